/*
 * test_alerts_stream.c -- the alert stream (alerts/stream.c) against the
 * harness's real redis-server: one script call claims and appends, so an
 * event is published once however often it is offered; the claim's TTL;
 * the entry's fields (id, event, record) as delivery reads them; reading
 * back newest first; Redis away is KZ_EAGAIN, a bad URL KZ_EINVAL.
 * Needs tests/harness/with-servers.sh (KZ_TEST_REDIS_PORT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "alerts.h"
#include "tap.h"

#define DB 11

static redisContext *raw;
static char url[128];

static long long rint_cmd(const char *cmd, const char *arg)
{
    redisReply *r = redisCommand(raw, cmd, arg);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -999;
    if (r)
        freeReplyObject(r);
    return v;
}

struct seen {
    int n;
    char first[64];
};

static int on_record(void *ctx, const char *json, size_t n)
{
    struct seen *s = ctx;
    if (s->n++ == 0)
        snprintf(s->first, sizeof(s->first), "%.*s", (int)(n < 60 ? n : 60), json);
    return 0;
}

static void test_publish_once(void)
{
    struct alerts_stream *a = NULL, *b = NULL;
    char err[256], claim[128];
    const char *id = "4f6e7b3986ae0fd5d2ab8b6800e56145";
    const char *j1 = "{\"id\":\"4f6e\",\"state\":\"firing\",\"count\":80}";
    const char *j2 = "{\"id\":\"4f6e\",\"state\":\"firing\",\"count\":120}";
    int64_t m = 1772604900000LL;

    CHECK_EQ_INT(alerts_stream_open(url, NULL, 1000, &a, err, sizeof(err)), 0);
    CHECK_EQ_INT(alerts_stream_open(url, NULL, 1000, &b, err, sizeof(err)), 0);
    if (!a || !b)
        goto out;
    /* two evaluators offer the same event: one publishes */
    CHECK_EQ_INT(
        alerts_stream_publish(a, id, ALERTS_EV_FIRING, m, j1, strlen(j1), err, sizeof(err)), 1);
    CHECK_EQ_INT(
        alerts_stream_publish(b, id, ALERTS_EV_FIRING, m, j1, strlen(j1), err, sizeof(err)), 0);
    CHECK_EQ_INT(
        alerts_stream_publish(a, id, ALERTS_EV_FIRING, m, j1, strlen(j1), err, sizeof(err)), 0);
    /* a later minute's update is an event of its own, also once */
    CHECK_EQ_INT(
        alerts_stream_publish(b, id, ALERTS_EV_UPDATE, m + 60000, j2, strlen(j2), err, sizeof(err)),
        1);
    CHECK_EQ_INT(
        alerts_stream_publish(a, id, ALERTS_EV_UPDATE, m + 60000, j2, strlen(j2), err, sizeof(err)),
        0);
    CHECK_EQ_INT(rint_cmd("XLEN %s", ALERTS_STREAM_KEY), 2);
    snprintf(claim, sizeof(claim), ALERTS_CLAIM_PREFIX "%s:firing:%lld", id, (long long)m);
    long long ttl = rint_cmd("TTL %s", claim);
    CHECK(ttl > ALERTS_CLAIM_TTL_S - 5 && ttl <= ALERTS_CLAIM_TTL_S);
    CHECK_EQ_INT(alerts_stream_publish(a, id, ALERTS_EV_NONE, m, j1, strlen(j1), err, sizeof(err)),
                 KZ_EINVAL);

    /* the entry as delivery reads it */
    redisReply *r = redisCommand(raw, "XRANGE %s - + COUNT 1", ALERTS_STREAM_KEY);
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1);
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
        const redisReply *f = r->element[0]->element[1];
        CHECK_EQ_INT(f->elements, 6);
        if (f->elements == 6) {
            CHECK_EQ_STR(f->element[0]->str, "id");
            CHECK_EQ_STR(f->element[1]->str, id);
            CHECK_EQ_STR(f->element[2]->str, "event");
            CHECK_EQ_STR(f->element[3]->str, "firing");
            CHECK_EQ_STR(f->element[4]->str, "record");
            CHECK_EQ_STR(f->element[5]->str, j1);
        }
    }
    if (r)
        freeReplyObject(r);

    /* read back newest first */
    struct seen s = {0, ""};
    CHECK_EQ_INT(alerts_stream_recent(a, 100, on_record, &s, err, sizeof(err)), 0);
    CHECK_EQ_INT(s.n, 2);
    CHECK(strstr(s.first, "\"count\":120") != NULL);
out:
    alerts_stream_close(a);
    alerts_stream_close(b);
}

static void test_errors(void)
{
    struct alerts_stream *s = NULL;
    char err[256] = "";

    CHECK_EQ_INT(alerts_stream_open("http://x", NULL, 1000, &s, err, sizeof(err)), KZ_EINVAL);
    CHECK(s == NULL);
    CHECK_EQ_INT(alerts_stream_open("redis://127.0.0.1:1", NULL, 500, &s, err, sizeof(err)), 0);
    if (!s)
        return;
    CHECK_EQ_INT(alerts_stream_publish(s, "x", ALERTS_EV_FIRING, 0, "{}", 2, err, sizeof(err)),
                 KZ_EAGAIN);
    CHECK(strstr(err, "127.0.0.1:1") != NULL);
    struct seen sn = {0, ""};
    CHECK_EQ_INT(alerts_stream_recent(s, 10, on_record, &sn, err, sizeof(err)), KZ_EAGAIN);
    alerts_stream_close(s);
}

int main(void)
{
    const char *port = getenv("KZ_TEST_REDIS_PORT");

    if (!port || !*port) {
        fprintf(stderr, "test_alerts_stream: KZ_TEST_REDIS_PORT is not set; run it through "
                        "tests/harness/with-servers.sh (meson test does)\n");
        return 1;
    }
    snprintf(url, sizeof(url), "redis://127.0.0.1:%s/%d", port, DB);
    raw = redisConnect("127.0.0.1", atoi(port));
    if (!raw || raw->err) {
        fprintf(stderr, "test_alerts_stream: cannot connect to Redis on port %s\n", port);
        return 1;
    }
    freeReplyObject(redisCommand(raw, "SELECT %d", DB));
    freeReplyObject(redisCommand(raw, "FLUSHDB"));
    RUN(test_publish_once);
    RUN(test_errors);
    redisFree(raw);
    return TAP_DONE();
}
