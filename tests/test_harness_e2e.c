/*
 * test_harness_e2e.c -- the test harness end to end: real Kafka, real Redis.
 *
 * Proves that the servers tests/harness/with-servers.sh starts (or that
 * tests/run.sh shares through KZ_TEST_BROKERS and KZ_TEST_REDIS_PORT) carry
 * the whole path the engine uses, with nothing of kzpulse in between:
 *
 *   create a unique topic (4 partitions) -> produce N post JSON lines keyed by
 *   author (idempotent producer, every delivery report checked) -> consume
 *   them in a consumer group (earliest, manual commits) -> per batch, apply
 *   per-platform and per-author counts to one Redis hash with pipelined
 *   HINCRBY, then commit the batch's offsets -> read the hash back with HGETALL.
 *
 * Checks: each produced id is consumed exactly once, every message key is its
 * author, the Redis hash equals the counts computed at produce time (no field
 * missing, none extra), and the group's committed offsets equal each
 * partition's high watermark.  Only librdkafka, hiredis and libc are used.
 * An alarm ends the test after 120 s, so a broken server can never hang CI.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>

#include "tap.h"

#define N_POSTS 1000
#define N_AUTHORS 37
#define N_PARTITIONS 4
#define N_PLATFORMS 4
#define BATCH 128      /* posts per Redis apply + offset commit */
#define DEADLINE_S 120 /* hard limit for the whole test (SIGALRM) */
#define CONSUME_S 90   /* consume phase gives up after this */

static const char *const platforms[N_PLATFORMS] = {"telegram", "vk", "x", "instagram"};
static const char *const id_prefixes[N_PLATFORMS] = {"tg", "vk", "x", "ig"};

/* Short posts in Kazakh (Cyrillic and Latin script), Russian and mixed. */
static const char *const texts[] = {
    "Ертең алаңға жиналамыз #митинг",
    "Бүгін Алматыда жаңбыр жауады, қолшатыр алыңыздар",
    "Завтра в 12:00 все на площадь! #Жаңаөзен",
    "Цены на газ опять выросли, это грабёж",
    "Газ бағасы тағы өсті, біз келісеміз бе?",
    "Qazaqstan jastary, erteñ saǵat 10-da alańǵa jinalamyz",
    "Власти обещали разобраться, но ничего не изменилось",
    "Әкімдікке хат жаздық, жауап жоқ @akimat_kz",
    "Сегодня кофе в центре города, кто со мной? 😊",
    "Бәріміз бірге! Все вместе! #бірлік",
    "Он сказал: \\\"хватит\\\" — и ушёл",
    "Мобилизация туралы жаңалық: повестки раздают у метро",
    "Жанаозен, 16 декабря, помним. Ұмытпаймыз.",
};
#define N_TEXTS (sizeof texts / sizeof texts[0])

struct counts {
    long platform[N_PLATFORMS];
    long author[N_AUTHORS];
    long all;
};

static struct counts want; /* what was produced */
static int seen[N_POSTS];  /* times each id was consumed */
static char topic[96];
static char hash_key[128];
static const char *brokers; /* KZ_TEST_BROKERS */
static redisContext *redis; /* connection to KZ_TEST_REDIS_PORT */

/* -------------------------------------------------------------------------- */
/* Helpers                                                                     */
/* -------------------------------------------------------------------------- */

static void on_alarm(int sig)
{
    static const char msg[] = "test_harness_e2e: FAIL: still running after 120 s, giving up\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) {
        /* nothing more to do */
    }
    _exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int post_platform(int i)
{
    return (i * 7 + i / 13) % N_PLATFORMS;
}

static int post_author(int i)
{
    return (i * 31 + i / 7 + 5) % N_AUTHORS;
}

/* Format post i as one JSON line; returns its length. */
static int post_json(int i, char *buf, size_t size)
{
    int p = post_platform(i);
    return snprintf(buf, size,
                    "{\"id\":\"%s:%d\",\"platform\":\"%s\",\"author\":\"a%d\","
                    "\"ts\":\"2026-11-20T%02d:%02d:%02d+05:00\",\"text\":\"%s\"}",
                    id_prefixes[p], i, platforms[p], post_author(i), 10 + i / 3600, (i / 60) % 60,
                    i % 60, texts[(size_t)i % N_TEXTS]);
}

/* Find "name":"value" in a NUL-terminated JSON line; copy value to out. */
static int json_str(const char *line, const char *name, char *out, size_t size)
{
    char pat[64];
    const char *s, *e;
    snprintf(pat, sizeof pat, "\"%s\":\"", name);
    if (!(s = strstr(line, pat)))
        return -1;
    s += strlen(pat);
    if (!(e = strchr(s, '"')) || (size_t)(e - s) >= size)
        return -1;
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = '\0';
    return 0;
}

static int platform_index(const char *name)
{
    for (int p = 0; p < N_PLATFORMS; p++)
        if (strcmp(platforms[p], name) == 0)
            return p;
    return -1;
}

/* -------------------------------------------------------------------------- */
/* Produce                                                                     */
/* -------------------------------------------------------------------------- */

static int delivered, delivery_failed;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    if (m->err) {
        if (delivery_failed++ < 5)
            fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
    } else {
        delivered++;
    }
}

static rd_kafka_conf_t *base_conf(void)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err) ||
        rd_kafka_conf_set(conf, "client.id", "kzpulse-test-e2e", err, sizeof err)) {
        fprintf(stderr, "conf: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

static int set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "conf %s=%s: %s\n", k, v, err);
        return -1;
    }
    return 0;
}

static int create_topic(rd_kafka_t *rk)
{
    char err[512];
    int rc = -1;
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, N_PARTITIONS, 1, err, sizeof err);
    rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_event_t *ev = NULL;

    if (!nt || !opts || !q) {
        fprintf(stderr, "create topic: %s\n", nt ? "out of memory" : err);
        goto out;
    }
    rd_kafka_AdminOptions_set_request_timeout(opts, 30000, err, sizeof err);
    rd_kafka_AdminOptions_set_operation_timeout(opts, 30000, err, sizeof err);
    rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
    ev = rd_kafka_queue_poll(q, 60000);
    if (!ev) {
        fprintf(stderr, "create topic %s: no answer within 60 s\n", topic);
        goto out;
    }
    if (rd_kafka_event_error(ev)) {
        fprintf(stderr, "create topic %s: %s\n", topic, rd_kafka_event_error_string(ev));
        goto out;
    }
    const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const rd_kafka_topic_result_t **tr = res ? rd_kafka_CreateTopics_result_topics(res, &n) : NULL;
    if (n != 1 || rd_kafka_topic_result_error(tr[0])) {
        fprintf(stderr, "create topic %s: %s\n", topic,
                n == 1 ? rd_kafka_topic_result_error_string(tr[0]) : "no result");
        goto out;
    }
    rc = 0;
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    if (q)
        rd_kafka_queue_destroy(q);
    if (opts)
        rd_kafka_AdminOptions_destroy(opts);
    if (nt)
        rd_kafka_NewTopic_destroy(nt);
    return rc;
}

static void test_produce(void)
{
    char err[512], line[512], key[16];
    rd_kafka_conf_t *conf = base_conf();
    CHECK(conf != NULL);
    if (!conf)
        return;
    CHECK(set(conf, "acks", "all") == 0);
    CHECK(set(conf, "enable.idempotence", "true") == 0);
    CHECK(set(conf, "linger.ms", "5") == 0);
    CHECK(set(conf, "message.timeout.ms", "60000") == 0);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    CHECK(rk != NULL);
    if (!rk) {
        fprintf(stderr, "producer: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return;
    }
    int created = create_topic(rk);
    CHECK_EQ_INT(created, 0);

    for (int i = 0; i < N_POSTS && created == 0; i++) {
        int len = post_json(i, line, sizeof line);
        int klen = snprintf(key, sizeof key, "a%d", post_author(i));
        CHECK(len > 0 && (size_t)len < sizeof line);
        rd_kafka_resp_err_t e;
        do {
            e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, (size_t)klen),
                                  RD_KAFKA_V_VALUE(line, (size_t)len),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(rk, 100);
        } while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        if (e) {
            fprintf(stderr, "produce %d: %s\n", i, rd_kafka_err2str(e));
            CHECK_EQ_INT(e, 0);
            break;
        }
        want.platform[post_platform(i)]++;
        want.author[post_author(i)]++;
        want.all++;
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_resp_err_t fe = rd_kafka_flush(rk, 60000);
    if (fe)
        fprintf(stderr, "flush: %s\n", rd_kafka_err2str(fe));
    CHECK_EQ_INT(fe, 0);
    CHECK_EQ_INT(delivered, N_POSTS);
    CHECK_EQ_INT(delivery_failed, 0);
    CHECK_EQ_INT(want.all, N_POSTS);
    rd_kafka_destroy(rk);
}

/* -------------------------------------------------------------------------- */
/* Consume, apply to Redis, commit                                             */
/* -------------------------------------------------------------------------- */

static redisContext *redis_connect(int port)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!c || c->err) {
        fprintf(stderr, "redis 127.0.0.1:%d: %s\n", port, c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    tv.tv_sec = 10;
    redisSetTimeout(c, tv);
    return c;
}

/* Apply one batch with pipelined HINCRBY (one command per non-zero field). */
static int redis_apply(redisContext *c, const struct counts *b)
{
    int sent = 0, bad = 0;
    redisReply *r;

    for (int p = 0; p < N_PLATFORMS; p++)
        if (b->platform[p]) {
            redisAppendCommand(c, "HINCRBY %s platform:%s %ld", hash_key, platforms[p],
                               b->platform[p]);
            sent++;
        }
    for (int a = 0; a < N_AUTHORS; a++)
        if (b->author[a]) {
            redisAppendCommand(c, "HINCRBY %s author:a%d %ld", hash_key, a, b->author[a]);
            sent++;
        }
    redisAppendCommand(c, "HINCRBY %s all %ld", hash_key, b->all);
    sent++;
    for (int k = 0; k < sent; k++) {
        if (redisGetReply(c, (void **)&r) != REDIS_OK || !r) {
            fprintf(stderr, "redis: %s\n", c->errstr);
            return -1;
        }
        if (r->type != REDIS_REPLY_INTEGER) {
            fprintf(stderr, "redis HINCRBY: unexpected reply type %d %s\n", r->type,
                    r->type == REDIS_REPLY_ERROR ? r->str : "");
            bad++;
        }
        freeReplyObject(r);
    }
    return bad ? -1 : 0;
}

/* Process one message: note its id, check its key, count it in the batch. */
static void take_message(const rd_kafka_message_t *m, struct counts *batch)
{
    char line[512], id[32], platform[32], author[16];
    size_t n = m->len < sizeof line - 1 ? m->len : sizeof line - 1;
    memcpy(line, m->payload, n);
    line[n] = '\0';

    if (json_str(line, "id", id, sizeof id) ||
        json_str(line, "platform", platform, sizeof platform) ||
        json_str(line, "author", author, sizeof author)) {
        fprintf(stderr, "unparseable message at %s[%" PRId32 "]@%" PRId64 ": %s\n", topic,
                m->partition, m->offset, line);
        CHECK(!"message parses");
        return;
    }
    const char *colon = strchr(id, ':');
    long i = colon ? strtol(colon + 1, NULL, 10) : -1;
    int p = platform_index(platform);
    long a = author[0] == 'a' ? strtol(author + 1, NULL, 10) : -1;
    CHECK(i >= 0 && i < N_POSTS);
    CHECK(p >= 0);
    CHECK(a >= 0 && a < N_AUTHORS);
    if (i < 0 || i >= N_POSTS || p < 0 || a < 0 || a >= N_AUTHORS)
        return;
    CHECK(m->key_len == strlen(author) && memcmp(m->key, author, m->key_len) == 0);
    seen[i]++;
    batch->platform[p]++;
    batch->author[a]++;
    batch->all++;
}

static void check_committed(rd_kafka_t *rk)
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(N_PARTITIONS);
    int64_t total = 0;
    for (int p = 0; p < N_PARTITIONS; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p);
    rd_kafka_resp_err_t e = rd_kafka_committed(rk, parts, 10000);
    CHECK_EQ_INT(e, 0);
    for (int p = 0; e == 0 && p < parts->cnt; p++) {
        int64_t lo = -1, hi = -1;
        rd_kafka_resp_err_t we = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000);
        CHECK_EQ_INT(we, 0);
        CHECK_EQ_INT(parts->elems[p].err, 0);
        /* Everything consumed was applied, then committed: committed == end. */
        CHECK_EQ_INT(parts->elems[p].offset, hi);
        total += hi;
    }
    CHECK_EQ_INT(total, N_POSTS);
    rd_kafka_topic_partition_list_destroy(parts);
}

static void test_consume_apply(void)
{
    char err[512], group[160];
    struct counts batch;
    long consumed = 0;
    rd_kafka_conf_t *conf = base_conf();
    CHECK(conf != NULL);
    if (!conf)
        return;
    snprintf(group, sizeof group, "kzp-e2e-%s", topic);
    CHECK(set(conf, "group.id", group) == 0);
    CHECK(set(conf, "auto.offset.reset", "earliest") == 0);
    CHECK(set(conf, "enable.auto.commit", "false") == 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    CHECK(rk != NULL);
    if (!rk) {
        fprintf(stderr, "consumer: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(subs, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(rk, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    CHECK_EQ_INT(se, 0);

    memset(&batch, 0, sizeof batch);
    double start = now_s(), done_at = 0;
    int apply_failed = 0, commit_failed = 0, batches = 0;
    /* Run until everything arrived, then one more second to catch duplicates. */
    while (se == 0) {
        double t = now_s();
        if (t - start > CONSUME_S) {
            fprintf(stderr, "consume: only %ld of %d posts after %d s\n", consumed, N_POSTS,
                    CONSUME_S);
            CHECK(!"all posts consumed in time");
            break;
        }
        if (done_at > 0 && t - done_at > 1.0)
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (m && m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(m));
        } else if (m) {
            take_message(m, &batch);
            consumed++;
        }
        if (m)
            rd_kafka_message_destroy(m);
        /* Apply a full batch, or what we have once the topic goes quiet;
         * commit only after the counts are safely in Redis. */
        if (batch.all >= BATCH || (!m && batch.all > 0)) {
            if (redis_apply(redis, &batch) != 0)
                apply_failed++;
            rd_kafka_resp_err_t ce = rd_kafka_commit(rk, NULL, 0);
            if (ce) {
                fprintf(stderr, "commit: %s\n", rd_kafka_err2str(ce));
                commit_failed++;
            }
            batches++;
            memset(&batch, 0, sizeof batch);
        }
        if (consumed >= N_POSTS && batch.all == 0 && done_at == 0)
            done_at = now_s();
    }
    CHECK_EQ_INT(apply_failed, 0);
    CHECK_EQ_INT(commit_failed, 0);
    CHECK_EQ_INT(consumed, N_POSTS);
    CHECK(batches >= N_POSTS / BATCH);
    int missing = 0, dup = 0;
    for (int i = 0; i < N_POSTS; i++) {
        if (seen[i] == 0 && missing++ < 5)
            fprintf(stderr, "post %d never consumed\n", i);
        if (seen[i] > 1 && dup++ < 5)
            fprintf(stderr, "post %d consumed %d times\n", i, seen[i]);
    }
    CHECK_EQ_INT(missing, 0);
    CHECK_EQ_INT(dup, 0);
    fprintf(stderr, "consumed %ld posts in %d batches, %.1f s\n", consumed, batches,
            now_s() - start);

    check_committed(rk);
    CHECK_EQ_INT(rd_kafka_consumer_close(rk), 0);
    rd_kafka_destroy(rk);
}

/* -------------------------------------------------------------------------- */
/* Read back                                                                   */
/* -------------------------------------------------------------------------- */

static long expected_field(const char *field, int *known)
{
    *known = 1;
    if (strcmp(field, "all") == 0)
        return want.all;
    if (strncmp(field, "platform:", 9) == 0) {
        int p = platform_index(field + 9);
        if (p >= 0)
            return want.platform[p];
    }
    if (strncmp(field, "author:a", 8) == 0) {
        char *end;
        long a = strtol(field + 8, &end, 10);
        if (*end == '\0' && a >= 0 && a < N_AUTHORS)
            return want.author[a];
    }
    *known = 0;
    return 0;
}

static void test_redis_readback(void)
{
    redisContext *c = redis;
    int nonzero = 1; /* "all" */
    for (int p = 0; p < N_PLATFORMS; p++)
        nonzero += want.platform[p] != 0;
    for (int a = 0; a < N_AUTHORS; a++)
        nonzero += want.author[a] != 0;

    redisReply *r = redisCommand(c, "HGETALL %s", hash_key);
    CHECK(r != NULL);
    if (!r) {
        fprintf(stderr, "redis HGETALL: %s\n", c->errstr);
        return;
    }
    CHECK_EQ_INT(r->type, REDIS_REPLY_ARRAY);
    if (r->type == REDIS_REPLY_ARRAY) {
        CHECK_EQ_INT(r->elements, 2 * (size_t)nonzero);
        for (size_t k = 0; k + 1 < r->elements; k += 2) {
            const char *field = r->element[k]->str;
            int known;
            long want_v = expected_field(field, &known);
            long got_v = strtol(r->element[k + 1]->str, NULL, 10);
            if (!known)
                fprintf(stderr, "unexpected field %s in %s\n", field, hash_key);
            CHECK(known);
            if (got_v != want_v)
                fprintf(stderr, "%s %s: got %ld, want %ld\n", hash_key, field, got_v, want_v);
            CHECK_EQ_INT(got_v, want_v);
        }
    }
    freeReplyObject(r);
    r = redisCommand(c, "DEL %s", hash_key);
    CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1);
    if (r)
        freeReplyObject(r);
}

int main(void)
{
    brokers = getenv("KZ_TEST_BROKERS");
    const char *redis_port = getenv("KZ_TEST_REDIS_PORT");
    if (!brokers || !*brokers || !redis_port || !*redis_port) {
        fprintf(stderr,
                "test_harness_e2e: KZ_TEST_BROKERS and KZ_TEST_REDIS_PORT must be set; "
                "run it as tests/harness/with-servers.sh %s (meson test does)\n",
                "build/tests/test_harness_e2e");
        return 1;
    }
    signal(SIGALRM, on_alarm);
    alarm(DEADLINE_S);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    srand((unsigned)(tv.tv_usec ^ getpid()));
    snprintf(topic, sizeof topic, "kzp-e2e-%ld-%d-%04x", (long)tv.tv_sec, (int)getpid(),
             rand() & 0xffff);
    snprintf(hash_key, sizeof hash_key, "kzp:test:%s", topic);
    fprintf(stderr, "brokers %s, redis port %s, topic %s\n", brokers, redis_port, topic);

    redis = redis_connect(atoi(redis_port));
    CHECK(redis != NULL);
    if (!redis)
        return TAP_DONE();
    redisReply *r = redisCommand(redis, "DEL %s", hash_key);
    if (r)
        freeReplyObject(r);

    double t0 = now_s();
    RUN(test_produce);
    fprintf(stderr, "produced %d posts in %.1f s\n", delivered, now_s() - t0);
    if (delivered == N_POSTS) {
        RUN(test_consume_apply);
        RUN(test_redis_readback);
    }
    redisFree(redis);
    return TAP_DONE();
}
