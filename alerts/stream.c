/*
 * stream.c -- the alert stream in Redis: each event claimed and published
 * once, whichever of several evaluators sees it first.
 *
 * Design: an event is published by one script call, so the claim and the
 * append cannot come apart (a crash between two commands would either lose
 * the event or publish it twice):
 *
 *   SET kzp:v2:alerts:claim:<id>:<event>:<last_minute_ms> 1 NX EX 3456000
 *   and only if that set it:
 *   XADD kzp:v2:alerts MAXLEN ~ 100000 * id <id> event <event> record <json>
 *
 * Every evaluator computes the same id (rule, dimension, first minute) and the
 * same last minute for the same event, so the second to try finds the claim
 * and publishes nothing.  The claim lives 40 days (longer than any alert's
 * life between its events); the stream keeps about the last 100 000 events
 * (MAXLEN ~: Redis trims whole nodes).  Delivery reads the stream with XRANGE
 * from a cursor of its own and uses the fields id, event and record.
 *
 * The connection is made on first use and remade after a failure, which is
 * KZ_EAGAIN (the caller retries); an error reply is KZ_EIO.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "alerts.h"

/* The numbers are ALERTS_CLAIM_TTL_S and ALERTS_STREAM_MAXLEN (alerts.h). */
static const char PUBLISH_LUA[] =
    "if redis.call('SET', KEYS[1], '1', 'NX', 'EX', 3456000) then\n"
    "  redis.call('XADD', KEYS[2], 'MAXLEN', '~', 100000, '*',\n"
    "             'id', ARGV[1], 'event', ARGV[2], 'record', ARGV[3])\n"
    "  return 1\n"
    "end\n"
    "return 0\n";
_Static_assert(ALERTS_CLAIM_TTL_S == 3456000 && ALERTS_STREAM_MAXLEN == 100000,
               "PUBLISH_LUA spells these out");

struct alerts_stream {
    struct agg_redis_addr addr;
    struct timeval timeout;
    redisContext *c;
};

int alerts_stream_open(const char *url, const char *password, int timeout_ms,
                       struct alerts_stream **out, char *err, size_t errlen)
{
    struct alerts_stream *s = calloc(1, sizeof(*s));
    int rc;

    *out = NULL;
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return KZ_ENOMEM;
    }
    if ((rc = agg_redis_parse_url(url ? url : "redis://127.0.0.1:6379", &s->addr, err, errlen))) {
        free(s);
        return rc;
    }
    if (password && strlen(password) < sizeof(s->addr.password))
        memcpy(s->addr.password, password, strlen(password) + 1);
    if (timeout_ms <= 0)
        timeout_ms = 2000;
    s->timeout.tv_sec = timeout_ms / 1000;
    s->timeout.tv_usec = (timeout_ms % 1000) * 1000;
    *out = s;
    return 0;
}

static void drop(struct alerts_stream *s)
{
    if (s->c)
        redisFree(s->c);
    s->c = NULL;
}

void alerts_stream_close(struct alerts_stream *s)
{
    if (!s)
        return;
    drop(s);
    memset(&s->addr, 0, sizeof(s->addr)); /* the password */
    free(s);
}

/* A command whose reply must not be an error: 0, or KZ_EIO with it. */
static int expect_ok(struct alerts_stream *s, redisReply *r, const char *what, char *err,
                     size_t errlen)
{
    int rc = 0;
    if (!r) {
        snprintf(err, errlen, "redis %s:%d: %s: %s", s->addr.host, s->addr.port, what,
                 s->c && s->c->errstr[0] ? s->c->errstr : "connection lost");
        drop(s);
        return KZ_EAGAIN;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "redis %s:%d: %s: %s", s->addr.host, s->addr.port, what, r->str);
        rc = KZ_EIO;
    }
    freeReplyObject(r);
    return rc;
}

static int connect_once(struct alerts_stream *s, char *err, size_t errlen)
{
    int rc;

    if (s->c)
        return 0;
    s->c = redisConnectWithTimeout(s->addr.host, s->addr.port, s->timeout);
    if (!s->c || s->c->err) {
        snprintf(err, errlen, "redis %s:%d: connect: %s", s->addr.host, s->addr.port,
                 s->c ? s->c->errstr : "out of memory");
        drop(s);
        return KZ_EAGAIN;
    }
    redisSetTimeout(s->c, s->timeout);
    if (s->addr.password[0]) {
        redisReply *r = s->addr.user[0]
                            ? redisCommand(s->c, "AUTH %s %s", s->addr.user, s->addr.password)
                            : redisCommand(s->c, "AUTH %s", s->addr.password);
        if ((rc = expect_ok(s, r, "AUTH", err, errlen))) {
            drop(s);
            return rc;
        }
    }
    if (s->addr.db) {
        redisReply *r = redisCommand(s->c, "SELECT %d", s->addr.db);
        if ((rc = expect_ok(s, r, "SELECT", err, errlen))) {
            drop(s);
            return rc;
        }
    }
    return 0;
}

int alerts_stream_publish(struct alerts_stream *s, const char *id, enum alerts_event ev,
                          int64_t last_minute_ms, const char *json, size_t n, char *err,
                          size_t errlen)
{
    char claim[128];
    const char *evn = alerts_event_name(ev);
    int rc;

    if (ev != ALERTS_EV_FIRING && ev != ALERTS_EV_UPDATE && ev != ALERTS_EV_RESOLVED) {
        snprintf(err, errlen, "alert %s: no event to publish", id);
        return KZ_EINVAL;
    }
    snprintf(claim, sizeof(claim), ALERTS_CLAIM_PREFIX "%s:%s:%lld", id, evn,
             (long long)last_minute_ms);
    if ((rc = connect_once(s, err, errlen)))
        return rc;
    const char *argv[] = {"EVAL", PUBLISH_LUA, "2", claim, ALERTS_STREAM_KEY, id, evn, json};
    size_t lens[] = {4,
                     sizeof(PUBLISH_LUA) - 1,
                     1,
                     strlen(claim),
                     strlen(ALERTS_STREAM_KEY),
                     strlen(id),
                     strlen(evn),
                     n};
    redisReply *r = redisCommandArgv(s->c, 8, argv, lens);
    if (!r || r->type == REDIS_REPLY_ERROR)
        return expect_ok(s, r, "publishing an alert", err, errlen);
    rc = r->type == REDIS_REPLY_INTEGER ? (r->integer == 1) : KZ_EIO;
    if (rc < 0)
        snprintf(err, errlen, "redis %s:%d: publishing an alert: unexpected reply type %d",
                 s->addr.host, s->addr.port, r->type);
    freeReplyObject(r);
    return rc;
}

int alerts_stream_recent(struct alerts_stream *s, size_t max,
                         int (*fn)(void *ctx, const char *json, size_t n), void *ctx, char *err,
                         size_t errlen)
{
    int rc;

    if ((rc = connect_once(s, err, errlen)))
        return rc;
    redisReply *r = redisCommand(s->c, "XREVRANGE %s + - COUNT %llu", ALERTS_STREAM_KEY,
                                 (unsigned long long)max);
    if (!r || r->type == REDIS_REPLY_ERROR)
        return expect_ok(s, r, "reading the alert stream", err, errlen);
    rc = 0;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements && !rc; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
            e->element[1]->type != REDIS_REPLY_ARRAY)
            continue;
        const redisReply *f = e->element[1];
        for (size_t j = 0; j + 1 < f->elements; j += 2)
            if (f->element[j]->type == REDIS_REPLY_STRING &&
                !strcmp(f->element[j]->str, "record") &&
                f->element[j + 1]->type == REDIS_REPLY_STRING) {
                rc = fn(ctx, f->element[j + 1]->str, f->element[j + 1]->len);
                break;
            }
    }
    freeReplyObject(r);
    return rc;
}
