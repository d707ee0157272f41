/*
 * test_pipeline_options.c -- the option table (pipeline/options.c) and the
 * config-file loader that takes its keys from it.
 *
 * The table's promise is that a flag and its config-file key are one
 * setting: for every row with a key, a value the flag refuses the file
 * refuses with the same message after the "what" prefix, and a value the
 * flag takes sets the same field.  Rows must be complete (a name, help, a
 * setter and what its errors expect) and keys unique.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline.h"
#include "tap.h"

static char cfg_path[64];

/* Write {"key": value} (value is JSON text) to a temporary file and load it. */
static int load_one(struct kz_config *c, const char *key, const char *json_value, char *err,
                    size_t errlen)
{
    FILE *f = fopen(cfg_path, "w");
    if (!f)
        return -99;
    fprintf(f, "{\"%s\": %s}\n", key, json_value);
    fclose(f);
    return kz_config_load(c, cfg_path, err, errlen);
}

static void test_rows_complete(void)
{
    for (int id = 1; id < KZ_OPT_COUNT; id++) {
        const struct kz_option *o = &kz_options[id];
        CHECK(o->name && *o->name);
        CHECK(o->help && *o->help);
        if (id == OPT_HELP || id == OPT_CONFIG) {
            CHECK(!o->set && !o->key);
            continue;
        }
        CHECK(o->set != NULL);
        /* a setting that takes a value and can refuse one says what it expects */
        if (o->arg && (o->min > 0 || o->max > 0 || id == OPT_SCHEMA || id == OPT_TOPIC))
            CHECK(o->expects != NULL);
        for (int j = id + 1; j < KZ_OPT_COUNT; j++)
            if (o->key && kz_options[j].key)
                CHECK(strcmp(o->key, kz_options[j].key) != 0);
    }
}

/* The loader lists the keys in table order. */
static void test_unknown_key_lists_the_table(void)
{
    struct kz_config c;
    char err[1024];
    kz_config_init(&c);
    CHECK(load_one(&c, "max_txt", "1", err, sizeof(err)) != 0);
    CHECK(strstr(err, "config key \"max_txt\": unknown key (accepted: schema, max_text, "
                      "max_record, max_future_s, dead_letters, lexicons, top, flush_posts, "
                      "flush_ms, stats_interval, minute_ttl_s, hour_ttl_s, brokers, group, "
                      "redis, redis_password_file, kafka, no_samples, jobs, topics, stats_json, "
                      "lateness_ms, tz, models, names, rules, alerts_out, alerts_interval_ms, "
                      "webhooks, webhook_secret_file, alertmanagers, deliver_files, "
                      "deliver_timeout_s, deliver_lease_s, generator_url, deliver_retry_max_s, "
                      "alertmanager_resend_s, listen, token_file, cors_origin, metrics_listen)") !=
          NULL);
    kz_config_free(&c);
}

static int is_string_key(const char *key)
{
    static const char *const keys[] = {
        "dead_letters",        "lexicons", "brokers",    "group",       "redis",
        "redis_password_file", "tz",       "rules",      "alerts_out",  "webhook_secret_file",
        "generator_url",       "listen",   "token_file", "cors_origin", "metrics_listen"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(keys); i++)
        if (!strcmp(key, keys[i]))
            return 1;
    return 0;
}

/* The same text through the flag and the file: same outcome, same message. */
static void check_same(enum kz_opt_id id, const char *v)
{
    const struct kz_option *o = &kz_options[id];
    struct kz_config a, b;
    char ea[1024] = "", eb[1024] = "", what[160], json[256];

    kz_config_init(&a);
    kz_config_init(&b);
    snprintf(what, sizeof(what), "--%s", o->name);
    int ra = kz_config_set(&a, id, what, v, ea, sizeof(ea));
    snprintf(json, sizeof(json), "\"%s\"", v);
    int rb = load_one(&b, o->key, json, eb, sizeof(eb));
    CHECK_EQ_INT(ra, rb);
    if (ra) {
        char prefix[160];
        snprintf(prefix, sizeof(prefix), "%s: config key \"%s\"", cfg_path, o->key);
        CHECK(!strncmp(ea, what, strlen(what)));
        CHECK(!strncmp(eb, prefix, strlen(prefix)));
        CHECK_EQ_STR(eb + strlen(prefix), ea + strlen(what));
    } else if (o->list) {
        /* the same one entry in the list */
        CHECK_EQ_INT(a.ntopics + a.nmodels + a.nreceivers, 1);
        CHECK_EQ_INT(b.ntopics + b.nmodels + b.nreceivers, 1);
        CHECK_EQ_STR(a.ntopics   ? a.topics[0]
                     : a.nmodels ? a.models[0]
                                 : a.receivers[0].spec,
                     b.ntopics   ? b.topics[0]
                     : b.nmodels ? b.models[0]
                                 : b.receivers[0].spec);
    } else if (is_string_key(o->key)) {
        /* the same text in the field */
        CHECK_EQ_STR(*(char *const *)((const char *)&a + o->off),
                     *(char *const *)((const char *)&b + o->off));
    } else {
        /* no pointers set: the two configs are the same bytes (kz_config_init
         * zeroes the padding too) */
        CHECK(!memcmp(&a, &b, sizeof(a)));
    }
    kz_config_free(&a);
    kz_config_free(&b);
}

static void test_flag_and_key_agree(void)
{
    static const char *const values[] = {
        "",         "0",        "1",     "-1",
        "7",        "64",       "1000",  "1001",
        "64K",      "16M",      "2G",    "lots",
        "auto",     "telegram", "xml",   "redis://127.0.0.1:6379/2",
        "redis://", "h:9092",   "86400", "315360001",
        "3600000",
    };
    for (int id = 1; id < KZ_OPT_COUNT; id++) {
        if (!kz_options[id].key || id == OPT_KAFKA_PROP)
            continue;
        for (size_t i = 0; i < KZ_ARRAY_LEN(values); i++)
            check_same((enum kz_opt_id)id, values[i]);
    }
}

/* A switch: its flag turns it on, its key takes true or false (JSON or text);
 * anything else is refused the same way from both. */
static void test_switch_key(void)
{
    struct kz_config c;
    char err[512];

    kz_config_init(&c);
    CHECK_EQ_INT(load_one(&c, "no_samples", "true", err, sizeof(err)), 0);
    CHECK_EQ_INT(c.no_samples, 1);
    CHECK_EQ_INT(load_one(&c, "no_samples", "false", err, sizeof(err)), 0);
    CHECK_EQ_INT(c.no_samples, 0);
    CHECK_EQ_INT(load_one(&c, "no_samples", "\"true\"", err, sizeof(err)), 0);
    CHECK_EQ_INT(c.no_samples, 1);
    CHECK(load_one(&c, "no_samples", "\"yes\"", err, sizeof(err)) != 0);
    CHECK(strstr(err, "config key \"no_samples\": expected true or false; got \"yes\"") != NULL);
    CHECK(load_one(&c, "no_samples", "1", err, sizeof(err)) != 0);
    CHECK(load_one(&c, "top", "true", err, sizeof(err)) != 0); /* a boolean where a number goes */
    CHECK_EQ_INT(kz_config_set(&c, OPT_NO_SAMPLES, "--no-samples", NULL, err, sizeof(err)), 0);
    CHECK_EQ_INT(c.no_samples, 1);
    kz_config_free(&c);
}

static void test_kafka_object(void)
{
    struct kz_config c;
    char err[512];
    kz_config_init(&c);
    CHECK_EQ_INT(load_one(&c, "kafka", "{\"fetch.max.bytes\": \"1024\"}", err, sizeof(err)), 0);
    CHECK_EQ_INT(c.nkafka_props, 1);
    CHECK_EQ_STR(c.kafka_props[0].key, "fetch.max.bytes");
    CHECK_EQ_STR(c.kafka_props[0].value, "1024");
    CHECK(load_one(&c, "kafka", "\"a=b\"", err, sizeof(err)) != 0);
    CHECK(strstr(err, "expected an object of librdkafka properties") != NULL);
    kz_config_free(&c);
}

/* A list's key takes one string or an array of strings; its values go
 * through the flag's setter; kz_config_clear_list empties it for the command
 * line's values to replace. */
static void test_list_keys(void)
{
    struct kz_config c;
    char err[512];

    kz_config_init(&c);
    CHECK_EQ_INT(load_one(&c, "topics", "[\"posts\", \"posts.kk\"]", err, sizeof(err)), 0);
    CHECK_EQ_INT(c.ntopics, 2);
    CHECK_EQ_STR(c.topics[1], "posts.kk");
    CHECK_EQ_INT(load_one(&c, "topics", "\"more\"", err, sizeof(err)), 0);
    CHECK_EQ_INT(c.ntopics, 3);
    CHECK(load_one(&c, "topics", "[\"bad topic\"]", err, sizeof(err)) != 0);
    CHECK(strstr(err, "config key \"topics\": expected a Kafka topic name") != NULL);
    CHECK(load_one(&c, "topics", "[1]", err, sizeof(err)) != 0);
    CHECK(strstr(err, "config key \"topics\": expected an array of strings") != NULL);
    CHECK(load_one(&c, "topics", "{}", err, sizeof(err)) != 0);
    CHECK(strstr(err, "expected a string, an integer or a boolean, or an array of strings") !=
          NULL);
    CHECK(load_one(&c, "listen", "[\"127.0.0.1:8080\"]", err, sizeof(err)) != 0);
    CHECK(strstr(err, "config key \"listen\": expected a string, an integer or a boolean") != NULL);
    kz_config_clear_list(&c, OPT_TOPIC);
    CHECK_EQ_INT(c.ntopics, 0);

    CHECK_EQ_INT(load_one(&c, "webhooks", "[\"ops=http://127.0.0.1:9/h\"]", err, sizeof(err)), 0);
    CHECK_EQ_INT(load_one(&c, "alertmanagers", "\"http://127.0.0.1:9093\"", err, sizeof(err)), 0);
    CHECK_EQ_INT(load_one(&c, "deliver_files", "[\"-\"]", err, sizeof(err)), 0);
    CHECK_EQ_INT(c.nreceivers, 3);
    CHECK_EQ_INT(c.receivers[0].kind, 0);
    CHECK_EQ_INT(c.receivers[1].kind, 1);
    CHECK_EQ_INT(c.receivers[2].kind, 2);
    kz_config_clear_list(&c, OPT_ALERTMANAGER); /* the three share one list */
    CHECK_EQ_INT(c.nreceivers, 0);
    CHECK_EQ_INT(load_one(&c, "models", "[\"a.kzpm\", \"b.kzpm\"]", err, sizeof(err)), 0);
    CHECK_EQ_INT(c.nmodels, 2);
    kz_config_clear_list(&c, OPT_MODEL);
    CHECK_EQ_INT(c.nmodels, 0);
    for (int id = 1; id < KZ_OPT_COUNT; id++) /* a list has a key */
        CHECK(!kz_options[id].list || kz_options[id].key);
    kz_config_free(&c);
}

/* The deployment settings land in their fields from the file. */
static void test_service_keys(void)
{
    struct kz_config c;
    char err[512];
    FILE *f = fopen(cfg_path, "w");

    CHECK(f != NULL);
    if (!f)
        return;
    fputs(
        "{\"lateness_ms\": 120000, \"tz\": \"UTC\", \"names\": \"kk\", \"rules\": \"r.rules\",\n"
        " \"alerts_out\": \"a.jsonl\", \"alerts_interval_ms\": 1000, \"stats_json\": true,\n"
        " \"webhook_secret_file\": \"s\", \"deliver_timeout_s\": 5, \"deliver_lease_s\": 20,\n"
        " \"generator_url\": \"http://x/\", \"deliver_retry_max_s\": 60,\n"
        " \"alertmanager_resend_s\": 30, \"listen\": \"127.0.0.1:8081\", \"token_file\": \"t\",\n"
        " \"cors_origin\": \"https://dash.example.kz\", \"metrics_listen\": \"127.0.0.1:9464\"}\n",
        f);
    fclose(f);
    kz_config_init(&c);
    CHECK_EQ_INT(kz_config_load(&c, cfg_path, err, sizeof(err)), 0);
    CHECK(c.lateness_ms == 120000);
    CHECK_EQ_STR(c.tz, "UTC");
    CHECK_EQ_INT(c.names, NLP_NAMES_KK);
    CHECK_EQ_STR(c.alerts_rules, "r.rules");
    CHECK_EQ_STR(c.alerts_out, "a.jsonl");
    CHECK_EQ_INT(c.alerts_interval_ms, 1000);
    CHECK_EQ_INT(c.stats_json, 1);
    CHECK_EQ_STR(c.webhook_secret_file, "s");
    CHECK_EQ_INT(c.deliver_timeout_s, 5);
    CHECK_EQ_INT(c.deliver_lease_s, 20);
    CHECK_EQ_STR(c.generator_url, "http://x/");
    CHECK_EQ_INT(c.deliver_retry_max_s, 60);
    CHECK_EQ_INT(c.am_resend_s, 30);
    CHECK_EQ_STR(c.listen, "127.0.0.1:8081");
    CHECK_EQ_STR(c.token_file, "t");
    CHECK_EQ_STR(c.cors_origin, "https://dash.example.kz");
    CHECK_EQ_STR(c.metrics_listen, "127.0.0.1:9464");
    kz_config_free(&c);
}

static void test_values_land(void)
{
    struct kz_config c;
    char err[512];
    kz_config_init(&c);
    CHECK_EQ_INT(kz_config_set(&c, OPT_MAX_TEXT, "--max-text", "1K", err, sizeof(err)), 0);
    CHECK_EQ_INT(c.ingest.max_text, 1024);
    CHECK_EQ_INT(kz_config_set(&c, OPT_MAX_FUTURE, "--max-future", "60", err, sizeof(err)), 0);
    CHECK_EQ_INT(c.ingest.max_future_ms, 60000);
    CHECK_EQ_INT(kz_config_set(&c, OPT_SCHEMA, "--schema", "vk", err, sizeof(err)), 0);
    CHECK_EQ_INT(c.ingest.schema, ingest_schema_parse("vk"));
    CHECK_EQ_INT(c.step, PIPELINE_STEP_AUTO); /* the default */
    CHECK_EQ_INT(kz_config_set(&c, OPT_GRAN, "--gran", "minute", err, sizeof(err)), 0);
    CHECK_EQ_INT(c.step, PIPELINE_STEP_MINUTE); /* --gran: the older name of --step */
    CHECK_EQ_INT(kz_config_set(&c, OPT_STEP, "--step", "day", err, sizeof(err)), 0);
    CHECK_EQ_INT(c.step, PIPELINE_STEP_DAY);
    CHECK_EQ_INT(kz_config_set(&c, OPT_STEP, "--step", "week", err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "--step: expected one of minute, hour, day, auto; got \"week\"");
    CHECK_EQ_INT(kz_config_set(&c, OPT_TZ, "--tz", "Asia/Almaty", err, sizeof(err)), 0);
    CHECK_EQ_STR(c.tz, "Asia/Almaty");
    CHECK_EQ_INT(kz_config_set(&c, OPT_TZ, "--tz", "Asia/Astana", err, sizeof(err)), -1);
    CHECK(strstr(err, "--tz: unknown time zone \"Asia/Astana\"") == err);
    CHECK_EQ_STR(c.tz, "Asia/Almaty"); /* a refused value changes nothing */
    CHECK_EQ_INT(kz_config_set(&c, OPT_FROM, "--from", "-2h", err, sizeof(err)), 0);
    CHECK(c.from_ms > 0 && c.from_ms < pipeline_now_ms() - 7190000);
    CHECK_EQ_INT(kz_config_set(&c, OPT_FROM, "--from", "вчера", err, sizeof(err)), -1);
    CHECK(strstr(err, "--from: expected an RFC 3339 time") == err);
    CHECK_EQ_INT(kz_config_set(&c, OPT_LEARN_RATE, "--rate", "0.1", err, sizeof(err)), 0);
    CHECK(c.train_rate == 0.1 && c.rate == 0);
    CHECK_EQ_INT(kz_config_set(&c, OPT_RATE, "--rate", "500", err, sizeof(err)), 0);
    CHECK(c.rate == 500);
    CHECK_EQ_INT(kz_config_set(&c, OPT_JSON, "--json", NULL, err, sizeof(err)), 0);
    CHECK_EQ_INT(c.report_json, 1);
    CHECK_EQ_INT(kz_config_set(&c, OPT_TOPIC, "--topic", "posts.v1", err, sizeof(err)), 0);
    CHECK_EQ_INT(kz_config_set(&c, OPT_TOPIC, "--topic", "posts v1", err, sizeof(err)), -1);
    CHECK_EQ_STR(err, "--topic: expected a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -); got "
                      "\"posts v1\"");
    CHECK_EQ_INT(c.ntopics, 1);
    CHECK_EQ_INT(kz_config_set(&c, OPT_HELP, "--help", NULL, err, sizeof(err)), -1);
    kz_config_free(&c);
}

int main(void)
{
    snprintf(cfg_path, sizeof(cfg_path), "/tmp/kz-options-%ld.json", (long)getpid());
    RUN(test_rows_complete);
    RUN(test_unknown_key_lists_the_table);
    RUN(test_flag_and_key_agree);
    RUN(test_switch_key);
    RUN(test_kafka_object);
    RUN(test_list_keys);
    RUN(test_service_keys);
    RUN(test_values_land);
    unlink(cfg_path);
    return TAP_DONE();
}
