/* test_ingest_kafka.c -- the Kafka source (ingest/source_kafka.c) against the real broker.
 *
 * Runs under tests/harness/with-servers.sh (KZ_TEST_BROKERS; the test fails,
 * not skips, without it).  A fresh two-partition topic is filled by a plain
 * librdkafka producer with message i on partition i % 2 at offset i / 2, so
 * every record's position says what its bytes must be.  Then, in one
 * consumer group after another:
 *  - the start hook's KZ_ENOTFOUND starts at the earliest offset: every
 *    record once, with its position, arrival time and bytes, an oversize one
 *    cut and flagged, partition ends for --until-eof, lag 0 at the end;
 *  - a dead letter reaches <topic>.dlq with its key and headers;
 *  - committed positions are where the group starts again, a start hook's
 *    offset overrides them, a seek reads again, a pause fetches nothing
 *    until the resume;
 *  - the revoke hook runs on close; a failing start hook fails the poll;
 *  - properties librdkafka refuses are KZ_EINVAL, named as -X.
 * An alarm ends the test after 120 s, so a broken broker never hangs CI.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "ingest.h"
#include "tap.h"

#define N 40        /* messages 0..N-1, then one oversize message N */
#define MAX_REC 100 /* max_record: message N is longer */

static const char *brokers;
static char topic[96];

static void on_alarm(int sig)
{
    static const char msg[] = "test_ingest_kafka: FAIL: still running after 120 s\n";

    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) {
        /* nothing more to do */
    }
    _exit(1);
}

/* ---------------------------------------------------------------------------
 * The topic, filled by a plain producer
 * ------------------------------------------------------------------------ */

static rd_kafka_t *producer(void)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_t *rk;

    if (rd_kafka_conf_set(c, "bootstrap.servers", brokers, err, sizeof err) ||
        rd_kafka_conf_set(c, "enable.idempotence", "true", err, sizeof err)) {
        fprintf(stderr, "conf: %s\n", err);
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err)))
        fprintf(stderr, "producer: %s\n", err);
    return rk;
}

static int create_topic(rd_kafka_t *rk)
{
    char err[512];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, 2, 1, err, sizeof err);
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_event_t *ev;
    int rc = -1;

    rd_kafka_AdminOptions_set_operation_timeout(o, 30000, err, sizeof err);
    rd_kafka_CreateTopics(rk, &nt, 1, o, q);
    if ((ev = rd_kafka_queue_poll(q, 60000))) {
        const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
        size_t n = 0;
        const rd_kafka_topic_result_t **tr =
            res ? rd_kafka_CreateTopics_result_topics(res, &n) : NULL;

        rc = n == 1 && !rd_kafka_topic_result_error(tr[0]) ? 0 : -1;
        if (rc)
            fprintf(stderr, "create topic: %s\n",
                    n ? rd_kafka_topic_result_error_string(tr[0])
                      : rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_NewTopic_destroy(nt);
    return rc;
}

/* The bytes of message i. */
static size_t message(int i, char *buf, size_t size)
{
    if (i == N) { /* longer than MAX_REC */
        memset(buf, 'x', 3 * MAX_REC);
        return 3 * MAX_REC;
    }
    return (size_t)snprintf(buf, size, "{\"text\":\"message %d\",\"author\":\"a%d\"}", i, i % 5);
}

static int produce(rd_kafka_t *rk, int from, int to)
{
    char buf[512];

    for (int i = from; i < to; i++) {
        size_t n = message(i, buf, sizeof buf);

        if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % 2),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(buf, n),
                              RD_KAFKA_V_END))
            return -1;
    }
    return rd_kafka_flush(rk, 30000) ? -1 : 0;
}

/* ---------------------------------------------------------------------------
 * The source and its hooks
 * ------------------------------------------------------------------------ */

struct hooks_seen {
    int starts, revokes, revoked_all;
    int64_t next[2]; /* start hook's answer per partition; -1: KZ_ENOTFOUND */
    int fail_start;  /* the start hook fails */
};

static int on_start(void *ctx, const char *t, int32_t partition, int64_t *next, char *err,
                    size_t errlen)
{
    struct hooks_seen *h = ctx;

    h->starts++;
    CHECK_EQ_STR(t, topic);
    if (h->fail_start) {
        snprintf(err, errlen, "store offsets: the store is gone");
        return KZ_EIO;
    }
    if (partition < 0 || partition > 1 || h->next[partition] < 0)
        return KZ_ENOTFOUND;
    *next = h->next[partition];
    return 0;
}

static int on_revoke(void *ctx, const struct ingest_kafka_partition *p, size_t n, int all,
                     char *err, size_t errlen)
{
    struct hooks_seen *h = ctx;

    h->revokes++;
    h->revoked_all += all;
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_STR(p[i].topic, topic);
    return 0;
}

static struct ingest_kafka *source(const char *group, struct hooks_seen *h,
                                   const struct ingest_kafka_prop *props, int nprops, int *rc,
                                   char *err, size_t errlen)
{
    const char *topics[1] = {topic};
    struct ingest_kafka_config cfg = {
        .brokers = brokers,
        .group = group,
        .topics = topics,
        .ntopics = 1,
        .props = props,
        .nprops = nprops,
        .max_record = MAX_REC,
        .track_eof = 1,
    };
    struct ingest_kafka_hooks hooks = {.start = on_start, .revoke = on_revoke};
    struct ingest_kafka *k = NULL;

    *rc = ingest_kafka_new(&cfg, &hooks, h, &k, err, errlen);
    return k;
}

/* Poll until drained with at least want records (or 30 s); count[p][offset]
 * += 1 for every record, checking its bytes.  Returns the records seen. */
static int drain(struct ingest_kafka *k, int count[2][N + 8], int want_records)
{
    time_t end = time(NULL) + 30;
    int got = 0;

    while (time(NULL) < end && (got < want_records || !ingest_kafka_drained(k))) {
        struct ingest_record rec;
        char err[256], want[512];
        int rc = ingest_kafka_poll(k, 100, &rec, err, sizeof err);
        size_t n;
        int i;

        CHECK(rc == 0 || rc == 1);
        if (rc != 1)
            continue;
        got++;
        CHECK_EQ_STR(rec.pos.source, topic);
        CHECK(rec.pos.partition == 0 || rec.pos.partition == 1);
        CHECK(rec.pos.offset < N / 2 + 4);
        if (rec.pos.partition < 0 || rec.pos.partition > 1 || rec.pos.offset >= N / 2 + 4)
            continue;
        count[rec.pos.partition][rec.pos.offset]++;
        i = (int)rec.pos.offset * 2 + rec.pos.partition;
        n = message(i, want, sizeof want);
        CHECK(rec.arrival_ms > 1700000000000LL);
        CHECK_EQ_INT(rec.schema, INGEST_SCHEMA_AUTO);
        CHECK_EQ_INT(rec.oversize, n > MAX_REC);
        CHECK_EQ_INT(rec.len, n > MAX_REC ? MAX_REC : n);
        CHECK(rec.len <= n && !memcmp(rec.data, want, rec.len));
    }
    CHECK(ingest_kafka_drained(k));
    return got;
}

/* ---------------------------------------------------------------------------
 * The DLQ, read back by a plain consumer
 * ------------------------------------------------------------------------ */

static const char *header(rd_kafka_headers_t *hdrs, const char *name, char *buf, size_t size)
{
    const void *v;
    size_t n;

    buf[0] = '\0';
    if (hdrs && !rd_kafka_header_get_last(hdrs, name, &v, &n))
        snprintf(buf, size, "%.*s", (int)n, (const char *)v);
    return buf;
}

static void check_dlq(void)
{
    char err[512], dlq[128], b[128];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_t *rk;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    time_t end = time(NULL) + 30;
    int found = 0;

    snprintf(dlq, sizeof dlq, "%s.dlq", topic);
    rd_kafka_conf_set(c, "bootstrap.servers", brokers, err, sizeof err);
    rd_kafka_conf_set(c, "group.id", "test-ingest-kafka-dlq", err, sizeof err);
    if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err))) {
        CHECK(!"a consumer for the DLQ");
        return;
    }
    {
        /* Every partition the DLQ topic has (the broker's default number). */
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *t = rd_kafka_topic_new(rk, dlq, NULL);

        if (t && !rd_kafka_metadata(rk, 0, t, &md, 10000) && md->topic_cnt == 1)
            for (int p = 0; p < md->topics[0].partition_cnt; p++)
                rd_kafka_topic_partition_list_add(l, dlq, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        if (md)
            rd_kafka_metadata_destroy(md);
        if (t)
            rd_kafka_topic_destroy(t);
    }
    CHECK(l->cnt > 0);
    rd_kafka_assign(rk, l);
    while (!found && time(NULL) < end) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        rd_kafka_headers_t *h = NULL;

        if (!m)
            continue;
        if (!m->err) {
            found = 1;
            CHECK(m->key_len == 4 && !memcmp(m->key, "1:17", 4));
            CHECK(m->len == 9 && !memcmp(m->payload, "{\"text\":1", 9));
            rd_kafka_message_headers(m, &h);
            CHECK_EQ_STR(header(h, "kzp-reason", b, sizeof b), "bad_type");
            CHECK_EQ_STR(header(h, "kzp-detail", b, sizeof b), "field \"text\": a number");
            CHECK_EQ_STR(header(h, "kzp-topic", b, sizeof b), topic);
            CHECK_EQ_STR(header(h, "kzp-partition", b, sizeof b), "1");
            CHECK_EQ_STR(header(h, "kzp-offset", b, sizeof b), "17");
        }
        rd_kafka_message_destroy(m);
    }
    CHECK(found);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

/* ---------------------------------------------------------------------------
 * Cases
 * ------------------------------------------------------------------------ */

static void group_name(char *buf, size_t size, const char *what)
{
    snprintf(buf, size, "%s-%s", topic, what);
}

int main(void)
{
    static int count[2][N + 8];
    struct hooks_seen h;
    struct ingest_kafka *k;
    rd_kafka_t *prod;
    char group[160], err[512];
    int rc;

    brokers = getenv("KZ_TEST_BROKERS");
    if (!brokers || !*brokers) {
        fprintf(stderr, "test_ingest_kafka: KZ_TEST_BROKERS is not set; run it through "
                        "tests/harness/with-servers.sh (meson test does)\n");
        return 1;
    }
    signal(SIGALRM, on_alarm);
    alarm(120);
    snprintf(topic, sizeof topic, "ik-%ld-%ld", (long)getpid(), (long)time(NULL));
    if (!(prod = producer()) || create_topic(prod) || produce(prod, 0, N + 1)) {
        fprintf(stderr, "test_ingest_kafka: cannot set up the topic\n");
        return 1;
    }

    /* 1. From the earliest: everything once; then a dead letter; commit. */
    memset(&h, 0, sizeof h);
    h.next[0] = h.next[1] = -1;
    group_name(group, sizeof group, "a");
    k = source(group, &h, NULL, 0, &rc, err, sizeof err);
    CHECK_EQ_INT(rc, 0);
    if (!k) {
        fprintf(stderr, "source: %s\n", err);
        return TAP_DONE();
    }
    CHECK_EQ_INT(drain(k, count, N + 1), N + 1);
    for (int p = 0; p < 2; p++)
        for (int o = 0; o < N / 2 + (p == 0); o++)
            CHECK_EQ_INT(count[p][o], 1);
    CHECK_EQ_INT(h.starts, 2);
    CHECK_EQ_INT(ingest_kafka_lag(k), 0);
    {
        struct ingest_dead d = {
            .reason = INGEST_DL_BAD_TYPE,
            .detail = "field \"text\": a number",
            .pos = {topic, 1, 17, 0},
            .raw = "{\"text\":1",
            .raw_len = 9,
        };

        CHECK_EQ_INT(ingest_kafka_dead(k, &d), 0);
        CHECK_EQ_INT(ingest_kafka_dlq_flush(k, 30000, err, sizeof err), 0);
        CHECK_EQ_INT(ingest_kafka_stats(k)->dlq_sent, 1);
        CHECK_EQ_INT(ingest_kafka_stats(k)->dlq_failed, 0);
    }
    {
        struct ingest_pos done[3] = {{topic, 0, 9, 0}, {NULL, 0, 0, 0}, {topic, 1, 19, 0}};

        CHECK_EQ_INT(ingest_kafka_commit(k, done, 3), 0);
    }
    rd_kafka_poll(prod, 0);
    sleep(1); /* the commit is asynchronous: let it land before the group is left */
    CHECK_EQ_INT(ingest_kafka_close(k), 0);
    CHECK_EQ_INT(h.revokes, 1);
    CHECK_EQ_INT(h.revoked_all, 1); /* the eager protocol takes everything */
    ingest_kafka_free(k);
    check_dlq();

    /* 2. The same group starts after its commits. */
    memset(&h, 0, sizeof h);
    memset(count, 0, sizeof count);
    h.next[0] = h.next[1] = -1;
    k = source(group, &h, NULL, 0, &rc, err, sizeof err);
    CHECK_EQ_INT(rc, 0);
    if (k) {
        CHECK_EQ_INT(drain(k, count, N / 2 + 1 - 10), N / 2 + 1 - 10);
        CHECK_EQ_INT(count[0][9], 0);
        CHECK_EQ_INT(count[0][10], 1);
        CHECK_EQ_INT(count[0][N / 2], 1);
        CHECK_EQ_INT(count[1][19], 0);
        ingest_kafka_close(k);
        ingest_kafka_free(k);
    }

    /* 3. The start hook overrides the commits; a seek reads again; a pause
     *    fetches nothing until the resume. */
    memset(&h, 0, sizeof h);
    memset(count, 0, sizeof count);
    h.next[0] = 15;
    h.next[1] = 0;
    k = source(group, &h, NULL, 0, &rc, err, sizeof err);
    CHECK_EQ_INT(rc, 0);
    if (k) {
        struct ingest_pos again = {topic, 1, 18, 0};
        struct ingest_record rec;
        time_t end;
        int got = 0;

        CHECK_EQ_INT(drain(k, count, (N / 2 + 1 - 15) + N / 2), (N / 2 + 1 - 15) + N / 2);
        CHECK_EQ_INT(count[0][14], 0);
        CHECK_EQ_INT(count[0][15], 1);
        CHECK_EQ_INT(count[1][0], 1);
        CHECK_EQ_INT(ingest_kafka_seek(k, &again, 1, err, sizeof err), 0);
        memset(count, 0, sizeof count);
        CHECK_EQ_INT(drain(k, count, 2), 2);
        CHECK_EQ_INT(count[1][18], 1);
        CHECK_EQ_INT(count[1][19], 1);

        CHECK_EQ_INT(ingest_kafka_pause(k), 0);
        CHECK_EQ_INT(produce(prod, N + 1, N + 3), 0); /* 20 on partition 1, 21 on 0 */
        for (end = time(NULL) + 2; time(NULL) < end;)
            got += ingest_kafka_poll(k, 100, &rec, err, sizeof err) == 1;
        CHECK_EQ_INT(got, 0);
        CHECK_EQ_INT(ingest_kafka_resume(k), 0);
        memset(count, 0, sizeof count);
        CHECK_EQ_INT(drain(k, count, 2), 2);
        CHECK_EQ_INT(count[0][21], 1);
        CHECK_EQ_INT(count[1][20], 1);
        ingest_kafka_close(k);
        ingest_kafka_free(k);
    }

    /* 4. A start hook that fails makes the poll fail with its message. */
    memset(&h, 0, sizeof h);
    h.fail_start = 1;
    group_name(group, sizeof group, "d");
    k = source(group, &h, NULL, 0, &rc, err, sizeof err);
    CHECK_EQ_INT(rc, 0);
    if (k) {
        struct ingest_record rec;
        time_t end = time(NULL) + 30;

        rc = 0;
        while (rc == 0 && time(NULL) < end)
            rc = ingest_kafka_poll(k, 100, &rec, err, sizeof err);
        CHECK_EQ_INT(rc, KZ_EIO);
        CHECK_EQ_STR(err, "store offsets: the store is gone");
        ingest_kafka_free(k);
    }

    /* 5. Properties librdkafka refuses: one by one, and as a whole. */
    {
        struct ingest_kafka_prop bad[] = {{"no.such.property", "1"}};
        struct ingest_kafka_prop whole[] = {{"fetch.max.bytes", "100"},
                                            {"message.max.bytes", "100000"}};

        k = source(group, &h, bad, 1, &rc, err, sizeof err);
        CHECK_EQ_INT(rc, KZ_EINVAL);
        CHECK(k == NULL);
        CHECK(!strncmp(err, "-X no.such.property: ", 21));
        k = source(group, &h, whole, 2, &rc, err, sizeof err);
        CHECK_EQ_INT(rc, KZ_EINVAL);
        CHECK(k == NULL);
        CHECK(strstr(err, "-X: librdkafka rejects the properties given with -X") != NULL);
    }
    /* 6. A broker that accepts connections and never answers: the bounded
     * teardown returns within its wait (plus slack), whether librdkafka's
     * destroy finished or was left to finish on its own thread. */
    {
        struct sockaddr_in sa = {.sin_family = AF_INET};
        socklen_t salen = sizeof sa;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        char silent[64];
        struct timespec t0, t1;

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        CHECK(fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof sa) && !listen(fd, 16) &&
              !getsockname(fd, (struct sockaddr *)&sa, &salen));
        snprintf(silent, sizeof silent, "127.0.0.1:%d", ntohs(sa.sin_port));
        brokers = silent;
        k = source(group, &h, NULL, 0, &rc, err, sizeof err);
        CHECK_EQ_INT(rc, 0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = ingest_kafka_free_within(k, 200);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("# silent broker: the teardown %s\n", rc ? "finished" : "was left running");
        CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 1200);
        CHECK_EQ_INT(ingest_kafka_free_within(NULL, 200), 1);
        close(fd);
    }
    rd_kafka_destroy(prod);
    return TAP_DONE();
}
