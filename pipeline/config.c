/*
 * config.c -- settings for every command: the defaults and the JSON config
 * file.
 *
 * The file's keys are those of the option table (options.c), and each value
 * goes through the row's setter, the one a flag goes through too, so a key
 * and its flag accept the same values and fail with the same message.  A
 * scalar may be written as a JSON string or integer.  The file is strict: an
 * unknown key, or a value of the wrong type or shape, is a one-line error
 * that names the file, the key and what it accepts.  Kafka properties pass
 * through untouched as the "kafka" object (or `-X key=value`), as kcat does,
 * so every librdkafka setting is reachable without kzpulse knowing it.  A
 * repeatable setting (topics, models, receivers) takes one string or an array
 * of them; the command line's values of it replace the file's (cli/opts.c).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pipeline.h"

void kz_config_init(struct kz_config *c)
{
    memset(c, 0, sizeof(*c));
    ingest_config_default(&c->ingest);
    c->flush_posts = 0; /* the command's own: pipeline_flush_posts() */
    c->flush_ms = 500;
    c->stats_interval = 10;
    c->lateness_ms = 60000;
    c->step = PIPELINE_STEP_AUTO;
    c->minute_ttl_s = 7 * 86400;
    c->hour_ttl_s = 400 * 86400;
    c->limit = 10;
    c->names = NLP_NAMES_EN;
    c->train_seed = 1;
    c->train_epochs = 30;
    c->train_l2 = 1e-4;
    c->train_hash_bits = 18;
    c->alerts_interval_ms = 5000;
    c->deliver_timeout_s = 10;
    c->deliver_lease_s = 30;
    c->deliver_retry_max_s = 300;
    c->am_resend_s = 60;
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
    free(c->alerts_check);
    free(c->alerts_rules);
    free(c->alerts_out);
    for (int i = 0; i < c->nreceivers; i++)
        free(c->receivers[i].spec);
    free(c->webhook_secret_file);
    free(c->generator_url);
    free(c->listen);
    free(c->token_file);
    free(c->cors_origin);
    free(c->metrics_listen);
    free(c->brokers);
    free(c->group);
    free(c->redis);
    free(c->redis_password_file);
    free(c->tz);
    for (int i = 0; i < c->ntopics; i++)
        free(c->topics[i]);
    for (int i = 0; i < c->nkafka_props; i++) {
        free(c->kafka_props[i].key);
        free(c->kafka_props[i].value);
    }
    memset(c, 0, sizeof(*c));
}

/* ---------------------------------------------------------------------------
 * Config file
 * ------------------------------------------------------------------------ */

static const struct kz_option *find_key(const char *key)
{
    for (int id = 1; id < KZ_OPT_COUNT; id++)
        if (kz_options[id].key && !strcmp(kz_options[id].key, key))
            return &kz_options[id];
    return NULL;
}

/* "schema, max_text, ..., kafka": the keys in table order. */
static const char *key_list(char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int id = 1; id < KZ_OPT_COUNT && used < n; id++)
        if (kz_options[id].key)
            used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "",
                                     kz_options[id].key);
    return buf;
}

/* "kafka": {"fetch.max.bytes": "52428800", ...}: each member is a -X value. */
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
        if (kz_config_set(c, OPT_KAFKA_PROP, "-X", buf, err, errlen))
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
        const struct kz_option *o = find_key(key);
        if (!o) {
            char keys[1024];
            snprintf(err, errlen, "%s: unknown key (accepted: %s)", what,
                     key_list(keys, sizeof(keys)));
            goto out;
        }
        if (o == &kz_options[OPT_KAFKA_PROP]) {
            if (!json_is_object(val)) {
                snprintf(err, errlen, "%s: expected an object of librdkafka properties", what);
                goto out;
            }
            if (load_kafka_obj(c, val, err, errlen))
                goto out;
            continue;
        }
        if (json_is_array(val) && o->list) {
            size_t i;
            json_t *el;
            json_array_foreach(val, i, el)
            {
                if (!json_is_string(el)) {
                    snprintf(err, errlen, "%s: expected an array of strings", what);
                    goto out;
                }
                if (kz_config_set(c, (enum kz_opt_id)(o - kz_options), what, json_string_value(el),
                                  err, errlen))
                    goto out;
            }
            continue;
        }
        char num[64];
        const char *s;
        if (json_is_string(val)) {
            s = json_string_value(val);
        } else if (json_is_integer(val)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(val));
            s = num;
        } else if (json_is_boolean(val)) {
            s = json_is_true(val) ? "true" : "false";
        } else {
            snprintf(err, errlen, "%s: expected a string, an integer or a boolean%s", what,
                     o->list ? ", or an array of strings" : "");
            goto out;
        }
        if (kz_config_set(c, (enum kz_opt_id)(o - kz_options), what, s, err, errlen))
            goto out;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}
