/*
 * config.c -- settings for every command: defaults, the JSON config file, and
 * the one setter that flags (cli/options.c) and file keys both go through.
 *
 * Both the file and the flags are strict: an unknown key or flag, or a value
 * of the wrong shape, is a one-line error that names the key or flag and what
 * it accepts.  Kafka properties pass through untouched as `-X key=value`
 * (or the file's "kafka" object), as kcat does, so every librdkafka setting
 * is reachable without kzpulse knowing it.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pipeline.h"

void kz_config_init(struct kz_config *c)
{
    memset(c, 0, sizeof(*c));
    ingest_config_default(&c->ingest);
    c->top = 10;
    c->flush_posts = 10000;
    c->flush_ms = 500;
    c->stats_interval = 10;
    c->lateness_ms = 60000;
    c->gran = AGG_HOUR;
    c->minute_ttl_s = 7 * 86400;
    c->hour_ttl_s = 400 * 86400;
    c->limit = 10;
    c->train_seed = 1;
    c->train_epochs = 30;
    c->train_l2 = 1e-4;
    c->train_hash_bits = 18;
}

static void set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = v ? strdup(v) : NULL;
}

void kz_config_free(struct kz_config *c)
{
    free(c->dead_letters);
    free(c->lexicons);
    free(c->gold);
    for (int i = 0; i < c->nmodels; i++)
        free(c->models[i]);
    free(c->train_label);
    free(c->train_out);
    free(c->brokers);
    free(c->group);
    free(c->redis);
    for (int i = 0; i < c->ntopics; i++)
        free(c->topics[i]);
    for (int i = 0; i < c->nkafka_props; i++) {
        free(c->kafka_props[i].key);
        free(c->kafka_props[i].value);
    }
    memset(c, 0, sizeof(*c));
}

/* ---------------------------------------------------------------------------
 * Value parsers shared by the file and the flags
 * ------------------------------------------------------------------------ */

/* A size with an optional K/M/G suffix (binary units): "65536", "64K", "16M". */
static int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1024 * 1024, end++;
    else if (*end == 'g' || *end == 'G')
        mul = 1024ULL * 1024 * 1024, end++;
    if (*end == 'i' || *end == 'B')
        end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
    if (*end || v > max / mul || v * mul < min || v * mul > max)
        return -1;
    *out = v * mul;
    return 0;
}

static int parse_int(const char *s, long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static const char schema_names[] = "auto, generic, telegram, vk, x";

static int add_kafka_prop(struct kz_config *c, const char *kv, char *err, size_t errlen)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        snprintf(err, errlen, "-X: expected key=value (a librdkafka property), got \"%s\"", kv);
        return -1;
    }
    if (c->nkafka_props == KZ_MAX_KAFKA_PROPS) {
        snprintf(err, errlen, "-X: at most %d properties", KZ_MAX_KAFKA_PROPS);
        return -1;
    }
    struct kz_kv *p = &c->kafka_props[c->nkafka_props];
    p->key = strndup(kv, (size_t)(eq - kv));
    p->value = strdup(eq + 1);
    if (!p->key || !p->value) {
        free(p->key);
        free(p->value);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->nkafka_props++;
    return 0;
}

int kz_config_set(struct kz_config *c, enum kz_opt_id id, const char *what, const char *v,
                     char *err, size_t errlen)
{
    uint64_t u;
    long long ll;

    switch (id) {
    case OPT_SCHEMA: {
        int s = ingest_schema_parse(v);
        if (s < 0) {
            snprintf(err, errlen, "%s: expected one of %s; got \"%s\"", what, schema_names, v);
            return -1;
        }
        c->ingest.schema = (enum ingest_schema)s;
        return 0;
    }
    case OPT_MAX_TEXT:
        if (parse_size(v, 64, 64ULL * 1024 * 1024, &u)) {
            snprintf(err, errlen, "%s: expected a size from 64 to 64M (e.g. 65536, 64K); got \"%s\"",
                     what, v);
            return -1;
        }
        c->ingest.max_text = (size_t)u;
        return 0;
    case OPT_MAX_RECORD:
        if (parse_size(v, 1024, 1024ULL * 1024 * 1024, &u)) {
            snprintf(err, errlen, "%s: expected a size from 1K to 1G (e.g. 16M); got \"%s\"", what,
                     v);
            return -1;
        }
        c->ingest.max_record = (size_t)u;
        return 0;
    case OPT_MAX_FUTURE:
        if (parse_int(v, 0, 10LL * 365 * 86400, &ll)) {
            snprintf(err, errlen,
                     "%s: expected seconds from 0 to 315360000 (e.g. 86400); got \"%s\"", what, v);
            return -1;
        }
        c->ingest.max_future_ms = ll * 1000;
        return 0;
    case OPT_DEAD_LETTERS:
        if (!*v) {
            snprintf(err, errlen, "%s: expected a file path (or - for stderr); got \"\"", what);
            return -1;
        }
        set_str(&c->dead_letters, v);
        return 0;
    case OPT_LEXICONS:
        set_str(&c->lexicons, v);
        return 0;
    case OPT_GOLD:
        set_str(&c->gold, v);
        return 0;
    case OPT_TOP:
        if (parse_int(v, 1, 1000, &ll)) {
            snprintf(err, errlen, "%s: expected an integer from 1 to 1000; got \"%s\"", what, v);
            return -1;
        }
        c->top = (int)ll;
        return 0;
    case OPT_FLUSH_POSTS:
        if (parse_int(v, 1, 100000000, &ll)) {
            snprintf(err, errlen, "%s: expected an integer from 1 to 100000000; got \"%s\"", what,
                     v);
            return -1;
        }
        c->flush_posts = (uint64_t)ll;
        return 0;
    case OPT_KAFKA_PROP:
        return add_kafka_prop(c, v, err, errlen);
    case OPT_BROKERS:
        if (!*v) {
            snprintf(err, errlen, "%s: expected HOST:PORT[,HOST:PORT...]; got \"\"", what);
            return -1;
        }
        set_str(&c->brokers, v);
        return 0;
    case OPT_TOPIC:
        if (!*v || strlen(v) > 249 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                               "0123456789._-") != strlen(v)) {
            snprintf(err, errlen,
                     "%s: expected a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -); got \"%s\"",
                     what, v);
            return -1;
        }
        if (c->ntopics == KZ_MAX_TOPICS) {
            snprintf(err, errlen, "%s: at most %d topics", what, KZ_MAX_TOPICS);
            return -1;
        }
        c->topics[c->ntopics] = strdup(v);
        if (!c->topics[c->ntopics]) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        c->ntopics++;
        return 0;
    case OPT_RATE:
    case OPT_SPEED:
    case OPT_LEARN_RATE: {
        char *end;
        errno = 0;
        double d = strtod(v, &end);
        if (errno || end == v || *end || !(d > 0) || d > 1e9) {
            snprintf(err, errlen, "%s: expected a positive number (e.g. %s); got \"%s\"", what,
                     id == OPT_RATE ? "5000" : id == OPT_SPEED ? "60" : "0.2", v);
            return -1;
        }
        if (id == OPT_RATE)
            c->rate = d;
        else if (id == OPT_SPEED)
            c->speed = d;
        else
            c->train_rate = d;
        return 0;
    }
    case OPT_GROUP:
        if (!*v) {
            snprintf(err, errlen, "%s: expected a consumer group name; got \"\"", what);
            return -1;
        }
        set_str(&c->group, v);
        return 0;
    case OPT_REDIS:
        if (strncmp(v, "redis://", 8) || !v[8]) {
            snprintf(err, errlen, "%s: expected redis://HOST:PORT[/DB]; got \"%s\"", what, v);
            return -1;
        }
        set_str(&c->redis, v);
        return 0;
    case OPT_FLUSH_MS:
        if (parse_int(v, 1, 3600000, &ll)) {
            snprintf(err, errlen, "%s: expected milliseconds from 1 to 3600000; got \"%s\"", what,
                     v);
            return -1;
        }
        c->flush_ms = (int)ll;
        return 0;
    case OPT_STATS_INTERVAL:
        if (parse_int(v, 0, 86400, &ll)) {
            snprintf(err, errlen, "%s: expected seconds from 0 (off) to 86400; got \"%s\"", what,
                     v);
            return -1;
        }
        c->stats_interval = (int)ll;
        return 0;
    case OPT_STATS_JSON:
        c->stats_json = 1;
        return 0;
    case OPT_LATENESS_MS:
        if (parse_int(v, 0, 30LL * 86400000, &ll)) {
            snprintf(err, errlen, "%s: expected milliseconds from 0 to 2592000000; got \"%s\"",
                     what, v);
            return -1;
        }
        c->lateness_ms = ll;
        return 0;
    case OPT_UNTIL_EOF:
        c->until_eof = 1;
        return 0;
    case OPT_FROM:
    case OPT_TO: {
        int64_t ms;
        if (ingest_parse_time(v, strlen(v), &ms)) {
            snprintf(err, errlen,
                     "%s: expected an RFC 3339 time (2026-03-05T14:00:00+05:00) or epoch seconds "
                     "or milliseconds; got \"%s\"", what, v);
            return -1;
        }
        if (id == OPT_FROM)
            c->from_ms = ms;
        else
            c->to_ms = ms;
        return 0;
    }
    case OPT_GRAN:
        if (strcmp(v, "minute") && strcmp(v, "hour")) {
            snprintf(err, errlen, "%s: expected one of minute, hour; got \"%s\"", what, v);
            return -1;
        }
        c->gran = !strcmp(v, "hour") ? AGG_HOUR : AGG_MINUTE;
        return 0;
    case OPT_LIMIT:
        if (parse_int(v, 0, 1000000, &ll)) {
            snprintf(err, errlen, "%s: expected an integer from 0 (all) to 1000000; got \"%s\"",
                     what, v);
            return -1;
        }
        c->limit = (int)ll;
        return 0;
    case OPT_MINUTE_TTL:
    case OPT_HOUR_TTL:
        if (parse_int(v, 0, 100LL * 365 * 86400, &ll)) {
            snprintf(err, errlen, "%s: expected seconds from 0 (keep forever) to 3153600000; "
                     "got \"%s\"", what, v);
            return -1;
        }
        if (id == OPT_MINUTE_TTL)
            c->minute_ttl_s = ll;
        else
            c->hour_ttl_s = ll;
        return 0;
    case OPT_MODEL:
        if (!*v) {
            snprintf(err, errlen, "%s: expected a model file (from kzpulse train); got \"\"",
                     what);
            return -1;
        }
        if (c->nmodels == KZ_MAX_MODELS) {
            snprintf(err, errlen, "%s: at most %d models (one per label kind)", what,
                     KZ_MAX_MODELS);
            return -1;
        }
        if (!(c->models[c->nmodels] = strdup(v))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        c->nmodels++;
        return 0;
    case OPT_LABEL:
        if (strcmp(v, "stance") && strcmp(v, "topics") && strcmp(v, "mobilization")) {
            snprintf(err, errlen, "%s: expected one of stance, topics, mobilization; got \"%s\"",
                     what, v);
            return -1;
        }
        set_str(&c->train_label, v);
        return 0;
    case OPT_OUT:
        if (!*v) {
            snprintf(err, errlen, "%s: expected a file path; got \"\"", what);
            return -1;
        }
        set_str(&c->train_out, v);
        return 0;
    case OPT_SEED:
        if (parse_int(v, 0, INT64_MAX, &ll)) {
            snprintf(err, errlen, "%s: expected a non-negative integer; got \"%s\"", what, v);
            return -1;
        }
        c->train_seed = (uint64_t)ll;
        return 0;
    case OPT_EPOCHS:
        if (parse_int(v, 1, 1000, &ll)) {
            snprintf(err, errlen, "%s: expected an integer from 1 to 1000; got \"%s\"", what, v);
            return -1;
        }
        c->train_epochs = (int)ll;
        return 0;
    case OPT_HASH_BITS:
        if (parse_int(v, 8, 24, &ll)) {
            snprintf(err, errlen, "%s: expected an integer from 8 to 24; got \"%s\"", what, v);
            return -1;
        }
        c->train_hash_bits = (int)ll;
        return 0;
    case OPT_L2: {
        char *end;
        errno = 0;
        double d = strtod(v, &end);
        if (errno || end == v || *end || !(d >= 0) || d > 1) {
            snprintf(err, errlen, "%s: expected a number from 0 to 1 (e.g. 1e-4); got \"%s\"",
                     what, v);
            return -1;
        }
        c->train_l2 = d;
        return 0;
    }
    case OPT_CHAR_NGRAMS:
        c->train_char_ngrams = 1;
        return 0;
    case OPT_TARGET_FEATURES:
        c->train_target_features = 1;
        return 0;
    case OPT_REFIT:
        c->train_refit = 1;
        return 0;
    case OPT_REPORT:
        c->report_text = 1;
        return 0;
    case OPT_JSON:
        c->report_json = 1;
        return 0;
    case OPT_HELP:
    case OPT_CONFIG:
        break;
    }
    snprintf(err, errlen, "%s: not settable here", what);
    return -1;
}

/* ---------------------------------------------------------------------------
 * Config file
 * ------------------------------------------------------------------------ */

static const struct {
    const char *key;
    enum kz_opt_id id;
} file_keys[] = {
    {"schema", OPT_SCHEMA},
    {"max_text", OPT_MAX_TEXT},
    {"max_record", OPT_MAX_RECORD},
    {"max_future_s", OPT_MAX_FUTURE},
    {"dead_letters", OPT_DEAD_LETTERS},
    {"lexicons", OPT_LEXICONS},
    {"top", OPT_TOP},
    {"flush_posts", OPT_FLUSH_POSTS},
    {"flush_ms", OPT_FLUSH_MS},
    {"stats_interval", OPT_STATS_INTERVAL},
    {"minute_ttl_s", OPT_MINUTE_TTL},
    {"hour_ttl_s", OPT_HOUR_TTL},
};

static int load_kafka_obj(struct kz_config *c, json_t *obj, char *err, size_t errlen)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        if (!json_is_string(v)) {
            snprintf(err, errlen, "config key \"kafka.%s\": expected a string value", k);
            return -1;
        }
        char buf[1024];
        int n = snprintf(buf, sizeof(buf), "%s=%s", k, json_string_value(v));
        if (n < 0 || (size_t)n >= sizeof(buf)) {
            snprintf(err, errlen, "config key \"kafka.%s\": value too long", k);
            return -1;
        }
        if (add_kafka_prop(c, buf, err, errlen))
            return -1;
    }
    return 0;
}

int kz_config_load(struct kz_config *c, const char *path, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return -1;
    }
    int rc = -1;
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s: expected a JSON object at the top level", path);
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        char what[160];
        snprintf(what, sizeof(what), "%s: config key \"%s\"", path, key);
        if (!strcmp(key, "kafka")) {
            if (!json_is_object(val)) {
                snprintf(err, errlen, "%s: expected an object of librdkafka properties", what);
                goto out;
            }
            if (load_kafka_obj(c, val, err, errlen))
                goto out;
            continue;
        }
        if (!strcmp(key, "brokers") || !strcmp(key, "group") || !strcmp(key, "redis")) {
            if (!json_is_string(val)) {
                snprintf(err, errlen, "%s: expected a string", what);
                goto out;
            }
            set_str(!strcmp(key, "brokers") ? &c->brokers
                    : !strcmp(key, "group") ? &c->group
                                            : &c->redis,
                    json_string_value(val));
            continue;
        }
        size_t i;
        for (i = 0; i < KZ_ARRAY_LEN(file_keys); i++)
            if (!strcmp(key, file_keys[i].key))
                break;
        if (i == KZ_ARRAY_LEN(file_keys)) {
            snprintf(err, errlen,
                     "%s: unknown key (accepted: schema, max_text, max_record, max_future_s, "
                     "dead_letters, lexicons, top, flush_posts, flush_ms, stats_interval, "
                     "minute_ttl_s, hour_ttl_s, brokers, "
                     "group, redis, kafka)",
                     what);
            goto out;
        }
        char num[64];
        const char *s;
        if (json_is_string(val)) {
            s = json_string_value(val);
        } else if (json_is_integer(val)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(val));
            s = num;
        } else {
            snprintf(err, errlen, "%s: expected a string or an integer", what);
            goto out;
        }
        if (kz_config_set(c, file_keys[i].id, what, s, err, errlen))
            goto out;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}
