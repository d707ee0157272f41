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

/* Keys come first in the table: the loader lists them in table order. */
static void test_unknown_key_lists_the_table(void)
{
    struct kz_config c;
    char err[1024];
    kz_config_init(&c);
    CHECK(load_one(&c, "max_txt", "1", err, sizeof(err)) != 0);
    CHECK(strstr(err, "config key \"max_txt\": unknown key (accepted: schema, max_text, "
                      "max_record, max_future_s, dead_letters, lexicons, top, flush_posts, "
                      "flush_ms, stats_interval, minute_ttl_s, hour_ttl_s, brokers, group, "
                      "redis, redis_password_file, kafka, no_samples, jobs)") != NULL);
    kz_config_free(&c);
}

static int is_string_key(const char *key)
{
    static const char *const keys[] = {"dead_letters", "lexicons", "brokers",
                                       "group",        "redis",    "redis_password_file"};
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
    RUN(test_values_land);
    unlink(cfg_path);
    return TAP_DONE();
}
