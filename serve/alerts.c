/*
 * alerts.c -- the alert stream in Redis (kzp:v2:alerts), read for the API and
 * the event stream.
 *
 * The alert engine appends one stream entry a state change, with the fields
 * id (the alert's own id), event (what happened) and record (the alert as
 * JSON).  The server reads it with XREVRANGE (the newest, for
 * /api/v1/alerts) and XRANGE from an exclusive start (what is new since an
 * entry id, for the event stream and its Last-Event-ID resume).  One
 * connection, made on first use and again after a failure, serves every
 * reader under a lock; timeouts bound every command, so a Redis that hangs
 * delays one request by at most SERVE_REDIS_TIMEOUT_MS, not the server.
 * Archives have no alert stream: every read is empty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_int.h"

#define SERVE_REDIS_TIMEOUT_MS 2000

void serve_alerts_close(struct serve *s)
{
    if (s->redis)
        redisFree(s->redis);
    s->redis = NULL;
}

/* Connect (AUTH, SELECT) unless connected.  Lock held.  0 or KZ_EAGAIN/KZ_EIO. */
static int connect_redis(struct serve *s, char *err, size_t errlen)
{
    const struct agg_redis_addr *a = s->cfg.redis;
    if (s->redis)
        return 0;
    struct timeval tv = {SERVE_REDIS_TIMEOUT_MS / 1000, (SERVE_REDIS_TIMEOUT_MS % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(a->host, a->port, tv);
    if (!c || c->err) {
        snprintf(err, errlen, "redis %s:%d: %s", a->host, a->port, c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return KZ_EAGAIN;
    }
    redisSetTimeout(c, tv);
    redisReply *r = NULL;
    if (a->password[0])
        r = a->user[0] ? redisCommand(c, "AUTH %s %s", a->user, a->password)
                       : redisCommand(c, "AUTH %s", a->password);
    int bad = a->password[0] && (!r || r->type == REDIS_REPLY_ERROR);
    freeReplyObject(r);
    r = NULL;
    if (!bad && a->db)
        bad = !(r = redisCommand(c, "SELECT %d", a->db)) || r->type == REDIS_REPLY_ERROR;
    freeReplyObject(r);
    if (bad) {
        snprintf(err, errlen, "redis %s:%d: AUTH or SELECT refused", a->host, a->port);
        redisFree(c);
        return KZ_EIO;
    }
    s->redis = c;
    return 0;
}

/* One entry [id, [field, value, ...]] as a JSON object. */
static json_t *entry_json(const redisReply *e)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_ARRAY)
        return NULL;
    json_t *o = json_pack("{s:s%}", "stream_id", e->element[0]->str, e->element[0]->len);
    const redisReply *f = e->element[1];
    for (size_t i = 0; o && i + 1 < f->elements; i += 2) {
        const redisReply *k = f->element[i], *v = f->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        json_t *val = NULL;
        if (!strcmp(k->str, "record"))
            val = json_loadb(v->str, v->len, JSON_DECODE_ANY, NULL);
        if (!val)
            val = json_stringn(v->str, v->len); /* NULL when not UTF-8: then left out */
        if (val && (!strcmp(k->str, "id") || !strcmp(k->str, "event") || !strcmp(k->str, "record")))
            json_object_set_new(o, k->str, val);
        else
            json_decref(val);
    }
    return o;
}

int serve_alerts_read(struct serve *s, const char *after, const char *upto, size_t count,
                      json_t **out, char *err, size_t errlen)
{
    json_t *list = json_array();
    int rc = 0;
    *out = NULL;
    if (!list)
        return KZ_ENOMEM;
    if (!s->cfg.redis) {
        *out = list;
        return 0;
    }
    pthread_mutex_lock(&s->redis_lock);
    for (int attempt = 0; attempt < 2; attempt++) {
        if ((rc = connect_redis(s, err, errlen)))
            break;
        char start[64], n[24];
        redisReply *r;
        snprintf(n, sizeof(n), "%zu", count); /* hiredis formats %s and %b only */
        if (after) {
            snprintf(start, sizeof(start), "(%s", after);
            r = redisCommand(s->redis, "XRANGE %s %s %s COUNT %s", SERVE_ALERTS_KEY, start,
                             upto ? upto : "+", n);
        } else {
            r = redisCommand(s->redis, "XREVRANGE %s + - COUNT %s", SERVE_ALERTS_KEY, n);
        }
        if (!r) { /* the connection is lost: once more on a new one */
            snprintf(err, errlen, "redis: %s", s->redis->errstr);
            serve_alerts_close(s);
            rc = KZ_EAGAIN;
            continue;
        }
        if (r->type == REDIS_REPLY_ARRAY) {
            for (size_t i = 0; i < r->elements; i++) {
                json_t *e = entry_json(r->element[i]);
                if (e)
                    json_array_append_new(list, e);
            }
            rc = 0;
        } else {
            snprintf(err, errlen, "redis: %s", r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
            rc = KZ_EIO;
        }
        freeReplyObject(r);
        break;
    }
    pthread_mutex_unlock(&s->redis_lock);
    if (rc)
        json_decref(list);
    else
        *out = list;
    return rc;
}
