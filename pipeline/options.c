/*
 * options.c -- the one table of settings: every flag and config-file key of
 * every command, with its help line, its setter and its bounds.
 *
 * A row says everything about one setting (after git's parse-options, where
 * OPT_INTEGER names the variable and its help, and curl's tool_getparam.c
 * alias table): the long and short flag, the value's metavariable, the --help
 * line, the setter with the struct kz_config field and the bounds it checks,
 * the words a bad value's error uses for what is expected, and the
 * config-file key, if the setting has one.  Adding a setting is a row here
 * (and its enum kz_opt_id), then its name in the lists of the commands that
 * take it (cli/main.c).
 *
 * Setters are few and generic -- a string, an int, a 64-bit count, a size
 * with K/M/G, a real, a switch -- plus the handful that check a shape of
 * their own (schema, topic, Redis URL, time, ...).  Every error reads
 * "<what>: expected <expects>; got "<value>"", where <what> is "--flag" or
 * "<file>: config key "<key>"", so the flag and the key fail alike.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

/* ---------------------------------------------------------------------------
 * Value parsers
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

static int parse_real(const char *s, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end)
        return -1;
    *out = d;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Setters
 * ------------------------------------------------------------------------ */

#define FIELD(c, o, type) ((type *)((char *)(c) + (o)->off))

static int bad(const struct kz_option *o, const char *what, const char *v, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: expected %s; got \"%s\"", what, o->expects, v);
    return -1;
}

static int oom(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* A string (char *), owned by the config; min 1: not empty. */
static int set_str(struct kz_config *c, const struct kz_option *o, const char *what, const char *v,
                   char *err, size_t errlen)
{
    if (strlen(v) < (size_t)o->min)
        return bad(o, what, v, err, errlen);
    char *copy = strdup(v), **slot = FIELD(c, o, char *);
    if (!copy)
        return oom(err, errlen);
    free(*slot);
    *slot = copy;
    return 0;
}

static int set_int(struct kz_config *c, const struct kz_option *o, const char *what, const char *v,
                   char *err, size_t errlen)
{
    long long ll;
    if (parse_int(v, o->min, o->max, &ll))
        return bad(o, what, v, err, errlen);
    *FIELD(c, o, int) = (int)ll;
    return 0;
}

static int set_i64(struct kz_config *c, const struct kz_option *o, const char *what, const char *v,
                   char *err, size_t errlen)
{
    long long ll;
    if (parse_int(v, o->min, o->max, &ll))
        return bad(o, what, v, err, errlen);
    *FIELD(c, o, int64_t) = ll;
    return 0;
}

static int set_u64(struct kz_config *c, const struct kz_option *o, const char *what, const char *v,
                   char *err, size_t errlen)
{
    long long ll;
    if (parse_int(v, o->min, o->max, &ll))
        return bad(o, what, v, err, errlen);
    *FIELD(c, o, uint64_t) = (uint64_t)ll;
    return 0;
}

/* Seconds given, milliseconds kept (int64_t). */
static int set_ms_of_s(struct kz_config *c, const struct kz_option *o, const char *what,
                       const char *v, char *err, size_t errlen)
{
    long long ll;
    if (parse_int(v, o->min, o->max, &ll))
        return bad(o, what, v, err, errlen);
    *FIELD(c, o, int64_t) = ll * 1000;
    return 0;
}

/* A byte count (size_t) with an optional K/M/G suffix. */
static int set_size(struct kz_config *c, const struct kz_option *o, const char *what, const char *v,
                    char *err, size_t errlen)
{
    uint64_t u;
    if (parse_size(v, (uint64_t)o->min, (uint64_t)o->max, &u))
        return bad(o, what, v, err, errlen);
    *FIELD(c, o, size_t) = (size_t)u;
    return 0;
}

/* A double in [min, max]. */
static int set_real(struct kz_config *c, const struct kz_option *o, const char *what, const char *v,
                    char *err, size_t errlen)
{
    double d;
    if (parse_real(v, &d) || !(d >= (double)o->min) || d > (double)o->max)
        return bad(o, what, v, err, errlen);
    *FIELD(c, o, double) = d;
    return 0;
}

/* A double in (0, max]. */
static int set_positive(struct kz_config *c, const struct kz_option *o, const char *what,
                        const char *v, char *err, size_t errlen)
{
    double d;
    if (parse_real(v, &d) || !(d > 0) || d > (double)o->max)
        return bad(o, what, v, err, errlen);
    *FIELD(c, o, double) = d;
    return 0;
}

/* A switch: the flag takes no value and sets an int to 1. */
/* A switch: its flag (no value) turns it on; a config key, where the row has
 * one, takes true or false. */
static int set_on(struct kz_config *c, const struct kz_option *o, const char *what, const char *v,
                  char *err, size_t errlen)
{
    if (!v || !strcmp(v, "true")) {
        *FIELD(c, o, int) = 1;
    } else if (!strcmp(v, "false")) {
        *FIELD(c, o, int) = 0;
    } else {
        snprintf(err, errlen, "%s: expected true or false; got \"%s\"", what, v);
        return -1;
    }
    return 0;
}

static int set_schema(struct kz_config *c, const struct kz_option *o, const char *what,
                      const char *v, char *err, size_t errlen)
{
    int s = ingest_schema_parse(v);
    if (s < 0) {
        char names[256]; /* from the schema table: a new schema needs no edit here */
        ingest_schema_list(names, sizeof(names), ", ");
        snprintf(err, errlen, "%s: expected one of %s; got \"%s\"", what, names, v);
        return -1;
    }
    *FIELD(c, o, enum ingest_schema) = (enum ingest_schema)s;
    return 0;
}

static int set_names(struct kz_config *c, const struct kz_option *o, const char *what,
                     const char *v, char *err, size_t errlen)
{
    int l = nlp_names_parse(v);
    if (l < 0)
        return bad(o, what, v, err, errlen);
    *FIELD(c, o, int) = l;
    return 0;
}

/* --step (and its older name --gran): minute, hour, day or auto. */
static int set_step(struct kz_config *c, const struct kz_option *o, const char *what, const char *v,
                    char *err, size_t errlen)
{
    int s = pipeline_step_parse(v);
    if (s == PIPELINE_STEP_INVALID)
        return bad(o, what, v, err, errlen);
    *FIELD(c, o, int) = s;
    return 0;
}

/* A time spec (ingest_time_spec_parse: RFC 3339, epoch, now, -15m ...),
 * kept as epoch ms.  Every spec of a command is read against one clock,
 * c->now_ms, taken at the first: "--from -10m --to -10m" is empty however
 * slowly the flags are parsed. */
static int set_time(struct kz_config *c, const struct kz_option *o, const char *what, const char *v,
                    char *err, size_t errlen)
{
    int64_t ms;
    char why[400];
    if (!c->now_ms)
        c->now_ms = pipeline_now_ms();
    if (ingest_time_spec_parse(v, strlen(v), c->now_ms, &ms, why, sizeof(why))) {
        snprintf(err, errlen, "%s: %s", what, why);
        return -1;
    }
    *FIELD(c, o, int64_t) = ms;
    if (o == &kz_options[OPT_FROM])
        c->from_set = 1;
    else if (o == &kz_options[OPT_TO])
        c->to_set = 1;
    return 0;
}

/* An IANA zone the system tzdata knows; opened once here to check it. */
static int set_tz(struct kz_config *c, const struct kz_option *o, const char *what, const char *v,
                  char *err, size_t errlen)
{
    struct agg_zone *z = NULL;
    char why[600];
    int rc = agg_zone_open(v, &z, why, sizeof(why));
    agg_zone_free(z);
    if (rc == KZ_ENOMEM)
        return oom(err, errlen);
    if (rc) {
        snprintf(err, errlen, "%s: %s", what, why);
        return -1;
    }
    return set_str(c, o, what, v, err, errlen);
}

static int set_redis(struct kz_config *c, const struct kz_option *o, const char *what,
                     const char *v, char *err, size_t errlen)
{
    if (strncmp(v, "redis://", 8) || !v[8])
        return bad(o, what, v, err, errlen);
    return set_str(c, o, what, v, err, errlen);
}

/* ADDR:PORT: an IPv4 address or a bracketed IPv6 one, and a port 1..65535
 * (serve.c resolves it; names are refused so that "loopback" is decidable). */
static int set_listen(struct kz_config *c, const struct kz_option *o, const char *what,
                      const char *v, char *err, size_t errlen)
{
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
        strlen(colon + 1) > 5 || atoi(colon + 1) > 65535) /* 0: any free port */
        return bad(o, what, v, err, errlen);
    size_t n = (size_t)(colon - v);
    if (v[0] == '[' ? v[n - 1] != ']' || n < 3 : strspn(v, "0123456789.") != n)
        return bad(o, what, v, err, errlen);
    return set_str(c, o, what, v, err, errlen);
}

/* An origin: scheme://host[:port], nothing after (no path, no quotes). */
static int set_origin(struct kz_config *c, const struct kz_option *o, const char *what,
                      const char *v, char *err, size_t errlen)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]";
    const char *host = strncmp(v, "https://", 8) == 0  ? v + 8
                       : strncmp(v, "http://", 7) == 0 ? v + 7
                                                       : NULL;
    if (!host || !*host || strspn(host, ok) != strlen(host))
        return bad(o, what, v, err, errlen);
    return set_str(c, o, what, v, err, errlen);
}

static int set_label(struct kz_config *c, const struct kz_option *o, const char *what,
                     const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "stance") && strcmp(v, "topics") && strcmp(v, "mobilization"))
        return bad(o, what, v, err, errlen);
    return set_str(c, o, what, v, err, errlen);
}

/* -X key=value, repeatable; the config file's "kafka" object gives one per
 * member.  Its errors name -X whatever gave the value. */
static int set_kafka_prop(struct kz_config *c, const struct kz_option *o, const char *what,
                          const char *kv, char *err, size_t errlen)
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
        return oom(err, errlen);
    }
    c->nkafka_props++;
    return 0;
}

/* --topic, repeatable (run consumes them all). */
static int set_topic(struct kz_config *c, const struct kz_option *o, const char *what,
                     const char *v, char *err, size_t errlen)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    size_t n = strlen(v);
    if (!n || n > 249 || strspn(v, chars) != n)
        return bad(o, what, v, err, errlen);
    if (c->ntopics == KZ_MAX_TOPICS) {
        snprintf(err, errlen, "%s: at most %d topics", what, KZ_MAX_TOPICS);
        return -1;
    }
    if (!(c->topics[c->ntopics] = strdup(v)))
        return oom(err, errlen);
    c->ntopics++;
    return 0;
}

/* --model, repeatable: one file per label kind. */
static int set_model(struct kz_config *c, const struct kz_option *o, const char *what,
                     const char *v, char *err, size_t errlen)
{
    if (!*v)
        return bad(o, what, v, err, errlen);
    if (c->nmodels == KZ_MAX_MODELS) {
        snprintf(err, errlen, "%s: at most %d models (one per label kind)", what, KZ_MAX_MODELS);
        return -1;
    }
    if (!(c->models[c->nmodels] = strdup(v)))
        return oom(err, errlen);
    c->nmodels++;
    return 0;
}

/* --webhook, --alertmanager, --deliver-file: repeatable, kept in the order
 * given; alerts/ checks the spec when the delivery starts. */
static int set_receiver(struct kz_config *c, const struct kz_option *o, const char *what,
                        const char *v, char *err, size_t errlen)
{
    int kind = o == &kz_options[OPT_WEBHOOK] ? 0 : o == &kz_options[OPT_ALERTMANAGER] ? 1 : 2;
    if (!*v)
        return bad(o, what, v, err, errlen);
    if (c->nreceivers == KZ_MAX_RECEIVERS) {
        snprintf(err, errlen, "%s: at most %d receivers in all", what, KZ_MAX_RECEIVERS);
        return -1;
    }
    if (!(c->receivers[c->nreceivers].spec = strdup(v)))
        return oom(err, errlen);
    c->receivers[c->nreceivers++].kind = kind;
    return 0;
}

/* ---------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------ */

/* The offset of a field of struct kz_config, which must have the type the
 * setter writes (a mismatch is a "distinct pointer types" warning). */
#define F(type, field)                                                                             \
    (offsetof(struct kz_config, field) + 0 * sizeof((type *)0 == &((struct kz_config *)0)->field))

#define K 1024LL
#define DAY_S 86400LL

/* name, short, metavar, help,
 *   setter, field, min, max, expected (in errors), config-file key, list */
/* clang-format off */
const struct kz_option kz_options[KZ_OPT_COUNT] = {
    [OPT_HELP] = {"help", 'h', NULL,
        "show this help and exit",
        NULL, 0, 0, 0, NULL, NULL},
    [OPT_CONFIG] = {"config", 'c', "FILE",
        "JSON config file, applied before the flags (flags win)",
        NULL, 0, 0, 0, NULL, NULL},
    [OPT_SCHEMA] = {"schema", 0, "NAME",
        "input schema: auto (default), generic, telegram, vk, x",
        set_schema, F(enum ingest_schema, ingest.schema), 0, 0,
        "one of the schema table's names", "schema"},
    [OPT_MAX_TEXT] = {"max-text", 0, "SIZE",
        "bytes of text analysed per post (default 64K; longer texts are cut and flagged)",
        set_size, F(size_t, ingest.max_text), 64, 64 * K * K,
        "a size from 64 to 64M (e.g. 65536, 64K)", "max_text"},
    [OPT_MAX_RECORD] = {"max-record", 0, "SIZE",
        "largest record accepted (default 16M; larger ones are dead letters)",
        set_size, F(size_t, ingest.max_record), K, K * K * K,
        "a size from 1K to 1G (e.g. 16M)", "max_record"},
    [OPT_MAX_FUTURE] = {"max-future", 0, "SECONDS",
        "how far past arrival a post's time may lie (default 86400)",
        set_ms_of_s, F(int64_t, ingest.max_future_ms), 0, 10 * 365 * DAY_S,
        "seconds from 0 to 315360000 (e.g. 86400)", "max_future_s"},
    [OPT_DEAD_LETTERS] = {"dead-letters", 'd', "FILE",
        "dead-letter file, JSON lines (default kzpulse-dead.jsonl; - for stderr)",
        set_str, F(char *, dead_letters), 1, 0, "a file path (or - for stderr)", "dead_letters"},
    [OPT_LEXICONS] = {"lexicons", 'l', "DIR",
        "lexicon directory (default: the shipped lexicons, see README \"Data directory\")",
        set_str, F(char *, lexicons), 0, 0, NULL, "lexicons"},
    [OPT_TOP] = {"top", 0, "N",
        "the old name of --limit in replay (and the config key of both)",
        set_int, F(int, limit), 0, 1000000, "an integer from 0 (all) to 1000000", "top"},
    [OPT_FLUSH_POSTS] = {"flush-posts", 0, "N",
        "posts per batch applied to the store (default 20000 in run, 2000 in replay)",
        set_u64, F(uint64_t, flush_posts), 1, 100000000,
        "an integer from 1 to 100000000", "flush_posts"},
    [OPT_FLUSH_MS] = {"flush-ms", 0, "MS",
        "apply the batch to Redis every MS ms (default 500)",
        set_int, F(int, flush_ms), 1, 3600000, "milliseconds from 1 to 3600000", "flush_ms"},
    [OPT_STATS_INTERVAL] = {"stats-interval", 0, "SECONDS",
        "stats line every SECONDS (default 10; 0 off)",
        set_int, F(int, stats_interval), 0, DAY_S,
        "seconds from 0 (off) to 86400", "stats_interval"},
    [OPT_MINUTE_TTL] = {"minute-ttl", 0, "SECONDS",
        "keep minute buckets this long (default 604800; 0 = forever)",
        set_i64, F(int64_t, minute_ttl_s), 0, 100 * 365 * DAY_S,
        "seconds from 0 (keep forever) to 3153600000", "minute_ttl_s"},
    [OPT_HOUR_TTL] = {"hour-ttl", 0, "SECONDS",
        "keep hour buckets this long (default 34560000; 0 = forever)",
        set_i64, F(int64_t, hour_ttl_s), 0, 100 * 365 * DAY_S,
        "seconds from 0 (keep forever) to 3153600000", "hour_ttl_s"},
    [OPT_BROKERS] = {"brokers", 'b', "HOST:PORT",
        "Kafka bootstrap servers (required)",
        set_str, F(char *, brokers), 1, 0, "HOST:PORT[,HOST:PORT...]", "brokers"},
    [OPT_GROUP] = {"group", 'g', "GROUP",
        "consumer group (required)",
        set_str, F(char *, group), 1, 0, "a consumer group name", "group"},
    [OPT_REDIS] = {"redis", 0, "URL",
        "redis://HOST:PORT[/DB] holding the counters (required)",
        set_redis, F(char *, redis), 1, 0, "redis://HOST:PORT[/DB]", "redis"},
    [OPT_REDIS_PASSWORD_FILE] = {"redis-password-file", 0, "FILE",
        "Redis password from the first line of FILE (else the URL's, else $REDISCLI_AUTH)",
        set_str, F(char *, redis_password_file), 1, 0, "a file name", "redis_password_file"},
    [OPT_KAFKA_PROP] = {"property", 'X', "KEY=VALUE",
        "librdkafka consumer property (repeatable)",
        set_kafka_prop, 0, 0, 0, "key=value (a librdkafka property)", "kafka"},
    [OPT_NO_SAMPLES] = {"no-samples", 0, NULL,
        "keep no sample posts behind the counts (no drill-down; less memory, faster)",
        set_on, F(int, no_samples), 0, 0, "true or false", "no_samples"},
    [OPT_JOBS] = {"jobs", 0, "N",
        "threads analysing the posts read (default: the cores, at most 8; 1: one thread)",
        set_int, F(int, jobs), 1, PIPELINE_JOBS_MAX, "an integer from 1 to 64", "jobs"},
    /* flags, and from --topic on some keys */
    [OPT_REPORT] = {"report", 'r', NULL,
        "print the report as text (the default)",
        set_on, F(int, report_text), 0, 0, NULL, NULL},
    [OPT_JSON] = {"json", 'j', NULL,
        "print the report as JSON",
        set_on, F(int, report_json), 0, 0, NULL, NULL},
    [OPT_TOPIC] = {"topic", 't', "TOPIC",
        "topic to consume (required; repeatable)",
        set_topic, 0, 0, 0, "a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -)", "topics", true},
    [OPT_RATE] = {"rate", 0, "N",
        "publish at N posts/s (default: as fast as possible)",
        set_positive, F(double, rate), 0, 1000000000, "a positive number (e.g. 5000)", NULL},
    [OPT_SPEED] = {"speed", 0, "X",
        "publish at the posts' original pace, X times faster",
        set_positive, F(double, speed), 0, 1000000000, "a positive number (e.g. 60)", NULL},
    [OPT_UNTIL_EOF] = {"until-eof", 0, NULL,
        "exit once every assigned partition is drained",
        set_on, F(int, until_eof), 0, 0, NULL, NULL},
    [OPT_STATS_JSON] = {"stats-json", 0, NULL,
        "print the stats lines as JSON lines (stderr)",
        set_on, F(int, stats_json), 0, 0, NULL, "stats_json"},
    [OPT_LATENESS_MS] = {"lateness-ms", 0, "MS",
        "allowed lateness: the watermark published to Redis trails event time by MS "
        "(default 60000)",
        set_i64, F(int64_t, lateness_ms), 0, 30 * DAY_S * 1000,
        "milliseconds from 0 to 2592000000", "lateness_ms"},
    [OPT_FROM] = {"from", 0, "TIME",
        "window start: RFC 3339, epoch seconds, now, or a time ago (-15m, -2h, -7d)",
        set_time, F(int64_t, from_ms), 0, 0,
        "an RFC 3339 time (2026-03-05T14:00:00+05:00), epoch seconds, now, or -15m/-2h/-7d",
        NULL},
    [OPT_TO] = {"to", 0, "TIME",
        "window end, exclusive, in the same forms (default: now, or the archives' end)",
        set_time, F(int64_t, to_ms), 0, 0,
        "an RFC 3339 time (2026-03-05T14:00:00+05:00), epoch seconds, now, or -15m/-2h/-7d",
        NULL},
    [OPT_GRAN] = {"gran", 0, "STEP",
        "the older name of --step",
        set_step, F(int, step), 0, 0, "one of minute, hour, day, auto", NULL},
    [OPT_STEP] = {"step", 0, "STEP",
        "minute, hour, day or auto (default: by the window's span)",
        set_step, F(int, step), 0, 0, "one of minute, hour, day, auto", NULL},
    [OPT_TZ] = {"tz", 0, "ZONE",
        "IANA time zone of day buckets and printed times (default Asia/Almaty)",
        set_tz, F(char *, tz), 1, 0, "an IANA time zone name such as Asia/Almaty or UTC", "tz"},
    [OPT_LIMIT] = {"limit", 'n', "N",
        "entries in each top-k list (default 10; 0 = all)",
        set_int, F(int, limit), 0, 1000000, "an integer from 0 (all) to 1000000", NULL},
    [OPT_GOLD] = {"gold", 'g', "FILE",
        "gold-labelled posts, JSON lines (required)",
        set_str, F(char *, gold), 0, 0, NULL, NULL},
    [OPT_MODEL] = {"model", 'm', "FILE",
        "model from kzpulse train (repeatable: one per label kind)",
        set_model, 0, 0, 0, "a model file (from kzpulse train)", "models", true},
    [OPT_LABEL] = {"label", 0, "KIND",
        "what to learn: stance, topics or mobilization (required)",
        set_label, F(char *, train_label), 0, 0, "one of stance, topics, mobilization", NULL},
    [OPT_OUT] = {"out", 'o', "FILE",
        "model file to write (required)",
        set_str, F(char *, train_out), 1, 0, "a file path", NULL},
    [OPT_SEED] = {"seed", 0, "N",
        "seed of the held-out split and the shuffles (default 1)",
        set_u64, F(uint64_t, train_seed), 0, INT64_MAX, "a non-negative integer", NULL},
    [OPT_EPOCHS] = {"epochs", 0, "N",
        "epochs at most; early stopping may end sooner (default 30)",
        set_int, F(int, train_epochs), 1, 1000, "an integer from 1 to 1000", NULL},
    [OPT_L2] = {"l2", 0, "X",
        "L2 penalty (default 1e-4)",
        set_real, F(double, train_l2), 0, 1, "a number from 0 to 1 (e.g. 1e-4)", NULL},
    [OPT_LEARN_RATE] = {"learn-rate", 0, "X",
        "AdaGrad learning rate (default 0.2)",
        set_positive, F(double, train_rate), 0, 1000000000, "a positive number (e.g. 0.2)", NULL},
    [OPT_HASH_BITS] = {"hash-bits", 0, "N",
        "2^N feature buckets, 8..24 (default 18)",
        set_int, F(int, train_hash_bits), 8, 24, "an integer from 8 to 24", NULL},
    [OPT_CHAR_NGRAMS] = {"char-ngrams", 0, NULL,
        "add character 3-5-grams of words (off by default)",
        set_on, F(int, train_char_ngrams), 0, 0, NULL, NULL},
    [OPT_TARGET_FEATURES] = {"target-features", 0, NULL,
        "pair words with the war side named near them (cue/target_* lexicons; off by default)",
        set_on, F(int, train_target_features), 0, 0, NULL, NULL},
    [OPT_REFIT] = {"refit", 0, NULL,
        "after early stopping on the held-out part, train again on all posts for as many epochs",
        set_on, F(int, train_refit), 0, 0, NULL, NULL},
    [OPT_NO_LEXICONS] = {"no-lexicons", 0, NULL,
        "classify with no lexicons: neither the shipped ones nor any --lexicons",
        set_on, F(int, no_lexicons), 0, 0, NULL, NULL},
    [OPT_LEARN_RATE_OLD] = {"rate", 0, "X",
        "the old name of train's --learn-rate",
        set_positive, F(double, train_rate), 0, 1000000000, "a positive number (e.g. 0.2)", NULL},
    [OPT_NAMES] = {"names", 0, "kk|kk-latn|ru|en",
        "language of region and town names beside their codes (default en)",
        set_names, F(int, names), 0, 0, "one of kk, kk-latn, ru, en", "names"},
    [OPT_CHECK_RULES] = {"check-rules", 0, "FILE",
        "validate a rules file: OK, or every error as FILE:LINE:COL: message (exit 2)",
        set_str, F(char *, alerts_check), 1, 0, "a rules file", NULL},
    [OPT_RULES] = {"rules", 0, "FILE",
        "alert rules (default: the shipped alerts/default.rules)",
        set_str, F(char *, alerts_rules), 1, 0, "a rules file", "rules"},
    [OPT_ALERTS] = {"alerts", 0, NULL,
        "evaluate the alert rules over the archives' event time (JSON lines: --alerts-out)",
        set_on, F(int, alerts), 0, 0, NULL, NULL},
    [OPT_ALERTS_OUT] = {"alerts-out", 0, "FILE",
        "write the alert records, JSON lines, to FILE (default stdout)",
        set_str, F(char *, alerts_out), 1, 0, "a file path", "alerts_out"},
    [OPT_ALERTS_INTERVAL] = {"interval-ms", 0, "MS",
        "ms between two early looks at the partial minutes (default 5000)",
        set_int, F(int, alerts_interval_ms), 100, 3600000, "milliseconds from 100 to 3600000",
        "alerts_interval_ms"},
    [OPT_DELIVER_ONLY] = {"deliver-only", 0, NULL,
        "deliver the alert stream in Redis to the receivers; evaluate nothing",
        set_on, F(int, deliver_only), 0, 0, NULL, NULL},
    [OPT_WEBHOOK] = {"webhook", 0, "NAME=URL",
        "POST each alert, signed (Standard Webhooks), to URL (repeatable)",
        set_receiver, 0, 0, 0, "NAME=URL", "webhooks", true},
    [OPT_WEBHOOK_SECRET_FILE] = {"webhook-secret-file", 0, "FILE",
        "the webhooks' signing secret, whsec_<base64>, on the first line of FILE "
        "(default: $KZPULSE_WEBHOOK_SECRET)",
        set_str, F(char *, webhook_secret_file), 1, 0, "a file path", "webhook_secret_file"},
    [OPT_ALERTMANAGER] = {"alertmanager", 0, "[NAME=]URL",
        "send alerts to an Alertmanager (its base URL; API v2) (repeatable)",
        set_receiver, 0, 0, 0, "[NAME=]URL", "alertmanagers", true},
    [OPT_DELIVER_FILE] = {"deliver-file", 0, "[NAME=]FILE",
        "append alerts to FILE as JSON lines (- for stdout) (repeatable)",
        set_receiver, 0, 0, 0, "[NAME=]FILE (- for stdout)", "deliver_files", true},
    [OPT_DELIVER_TIMEOUT] = {"deliver-timeout", 0, "SECONDS",
        "give up an attempt to deliver after SECONDS and retry later (default 10)",
        set_int, F(int, deliver_timeout_s), 1, 300, "seconds from 1 to 300", "deliver_timeout_s"},
    [OPT_DELIVER_LEASE] = {"deliver-lease", 0, "SECONDS",
        "a receiver's lease: a stopped process's receivers move on after it (default 30)",
        set_int, F(int, deliver_lease_s), 2, 3600, "seconds from 2 to 3600", "deliver_lease_s"},
    [OPT_GENERATOR_URL] = {"generator-url", 0, "URL",
        "Alertmanager's generatorURL of an alert: URL followed by the alert id",
        set_str, F(char *, generator_url), 1, 0, "a URL", "generator_url"},
    [OPT_DELIVER_RETRY_MAX] = {"deliver-retry-max", 0, "SECONDS",
        "the longest wait between two attempts at one alert (default 300; the first is 1 s)",
        set_int, F(int, deliver_retry_max_s), 1, 3600, "seconds from 1 to 3600", "deliver_retry_max_s"},
    [OPT_ALERTMANAGER_RESEND] = {"alertmanager-resend", 0, "SECONDS",
        "re-send firing alerts to Alertmanager every SECONDS, under its resolve_timeout "
        "(default 60)",
        set_int, F(int, am_resend_s), 1, 3600, "seconds from 1 to 3600", "alertmanager_resend_s"},
    [OPT_LISTEN] = {"listen", 0, "ADDR:PORT",
        "address to serve on (default 127.0.0.1:8080; any other than loopback needs a token)",
        set_listen, F(char *, listen), 1, 0, "ADDR:PORT (127.0.0.1:8080, [::1]:8080)", "listen"},
    [OPT_TOKEN_FILE] = {"token-file", 0, "FILE",
        "bearer token clients must send, from the first line of FILE "
        "(else $KZPULSE_SERVE_TOKEN)",
        set_str, F(char *, token_file), 1, 0, "a file name", "token_file"},
    [OPT_CORS_ORIGIN] = {"cors-origin", 0, "ORIGIN",
        "let pages from ORIGIN (https://host[:port]) read the API (default: no CORS headers)",
        set_origin, F(char *, cors_origin), 1, 0, "an origin such as https://dash.example.kz",
        "cors_origin"},
    [OPT_METRICS_LISTEN] = {"metrics-listen", 0, "ADDR:PORT",
        "serve Prometheus /metrics on ADDR:PORT (loopback unless a token is given)",
        set_listen, F(char *, metrics_listen), 1, 0, "ADDR:PORT (127.0.0.1:9464, [::1]:9464)",
        "metrics_listen"},
};
/* clang-format on */

void kz_config_clear_list(struct kz_config *c, enum kz_opt_id id)
{
    switch (id) {
    case OPT_TOPIC:
        for (int i = 0; i < c->ntopics; i++)
            free(c->topics[i]);
        c->ntopics = 0;
        break;
    case OPT_MODEL:
        for (int i = 0; i < c->nmodels; i++)
            free(c->models[i]);
        c->nmodels = 0;
        break;
    case OPT_WEBHOOK:
    case OPT_ALERTMANAGER:
    case OPT_DELIVER_FILE:
        for (int i = 0; i < c->nreceivers; i++)
            free(c->receivers[i].spec);
        c->nreceivers = 0;
        break;
    default:
        break;
    }
}

int kz_config_set(struct kz_config *c, enum kz_opt_id id, const char *what, const char *v,
                  char *err, size_t errlen)
{
    const struct kz_option *o = id > 0 && id < KZ_OPT_COUNT ? &kz_options[id] : NULL;
    if (!o || !o->set) {
        snprintf(err, errlen, "%s: not settable here", what);
        return -1;
    }
    assert(v || !o->arg);
    /* a switch gets NULL from its flag and true or false from its key */
    return o->set(c, o, what, v, err, errlen);
}
