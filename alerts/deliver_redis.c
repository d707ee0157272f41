/*
 * deliver_redis.c -- alert delivery's side of Redis: one blocking connection,
 * remade after any I/O error; the receivers' leases and cursors; reading the
 * alert stream.
 *
 * Leases are plain keys (SET NX PX with a random token), renewed and released
 * by scripts that first compare the token, and the cursor moves by a script
 * that checks the lease in the same step, so a process that lost its lease
 * (paused past it, cut from Redis) can never move a cursor another process
 * owns.  Design: deliver.c.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver_int.h"
#include "kz.h"

/* ---------------------------------------------------------------------------
 * Redis: one blocking connection, remade after any I/O error
 * ------------------------------------------------------------------------ */

/* hiredis writes with write(2): a server gone away raises SIGPIPE.  A library
 * may not change how the process handles signals, so SIGPIPE is blocked in
 * this thread during a call and one it caused is consumed (the write fails
 * with EPIPE and the connection is dropped). */
static void pipe_block(sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &s, old);
}

static void pipe_restore(const sigset_t *old)
{
    sigset_t s, pend;
    struct timespec zero = {0, 0};
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    if (!sigismember(old, SIGPIPE) && !sigpending(&pend) && sigismember(&pend, SIGPIPE))
        sigtimedwait(&s, NULL, &zero);
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

void dl_redis_drop(struct alerts_delivery *d, const char *why)
{
    if (d->redis) {
        dl_log("Redis %s:%d: %s; reconnecting", d->addr.host, d->addr.port, why);
        redisFree(d->redis);
        d->redis = NULL;
    }
}

redisReply *dl_rcmd(struct alerts_delivery *d, int argc, const char **argv)
{
    sigset_t old;
    if (!d->redis)
        return NULL;
    pipe_block(&old);
    redisReply *r = redisCommandArgv(d->redis, argc, argv, NULL);
    pipe_restore(&old);
    if (!r) {
        dl_redis_drop(d, d->redis->errstr[0] ? d->redis->errstr : "connection lost");
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        dl_log("Redis answered %s to %s", r->str, argv[0]);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

int dl_redis_connect(struct alerts_delivery *d)
{
    int64_t now = dl_mono_ms();
    if (d->redis)
        return 0;
    if (now < d->redis_next_ms)
        return KZ_EAGAIN;
    struct timeval tv = {d->c.connect_timeout_ms / 1000, (d->c.connect_timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(d->addr.host, d->addr.port, tv);
    const char *why = !c ? "out of memory" : c->err ? c->errstr : NULL;
    if (!why) {
        struct timeval ct = {5, 0};
        redisSetTimeout(c, ct);
        d->redis = c;
        const char *pw = d->password ? d->password : d->addr.password;
        char db[16];
        snprintf(db, sizeof db, "%d", d->addr.db);
        const char *auth2[] = {"AUTH", pw}, *auth3[] = {"AUTH", d->addr.user, pw};
        const char *sel[] = {"SELECT", db};
        redisReply *r = NULL;
        if (pw[0] && !(r = dl_rcmd(d, d->addr.user[0] ? 3 : 2, d->addr.user[0] ? auth3 : auth2)))
            why = "AUTH failed";
        freeReplyObject(r);
        r = NULL;
        if (!why && d->addr.db && !(r = dl_rcmd(d, 2, sel)))
            why = "SELECT failed";
        freeReplyObject(r);
        if (!why) {
            if (d->redis_fails)
                dl_log("Redis %s:%d is back", d->addr.host, d->addr.port);
            d->redis_fails = 0;
            return 0;
        }
        c = d->redis;
        d->redis = NULL;
    }
    /* Log the first failure of an outage, then every tenth try. */
    if (d->redis_fails++ % 10 == 0)
        dl_log("Redis %s:%d unreachable (%s); delivery waits for it", d->addr.host, d->addr.port,
               why);
    if (c)
        redisFree(c);
    d->redis_next_ms =
        now + alerts_backoff_ms(d->redis_fails, 250, REDIS_RETRY_MAX_MS, dl_rand01(d));
    return KZ_EAGAIN;
}

/* ---------------------------------------------------------------------------
 * Leases and cursors
 * ------------------------------------------------------------------------ */

static const char RENEW_LUA[] = "if redis.call('get', KEYS[1]) == ARGV[1] then "
                                "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0";
static const char COMMIT_LUA[] = "if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end "
                                 "redis.call('pexpire', KEYS[1], ARGV[2]) "
                                 "redis.call('hset', KEYS[2], ARGV[3], ARGV[4]) return 1";
static const char RELEASE_LUA[] = "if redis.call('get', KEYS[1]) == ARGV[1] then "
                                  "return redis.call('del', KEYS[1]) end return 0";

/* 1 the script said 1, 0 it said 0, -1 Redis failed. */
static int eval_flag(struct alerts_delivery *d, const char **argv, int argc)
{
    redisReply *r = dl_rcmd(d, argc, argv);
    if (!r)
        return -1;
    int v = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);
    return v;
}

void dl_queue_clear(struct dl_rx *r)
{
    for (size_t i = r->qhead; i < r->nq; i++)
        free(r->q[i].record);
    free(r->q);
    r->q = NULL;
    r->nq = r->qhead = 0;
    r->sent = false;
}

void dl_lose_lease(struct dl_rx *r, const char *why)
{
    if (r->held)
        dl_log("%s \"%s\": %s; stopped delivering to it", alerts_rx_kind_name(r->kind), r->name,
               why);
    r->held = false;
    r->ready = false;
    r->attempt = 0;
    r->next_ms = 0;
    dl_queue_clear(r);
}

/* Compare two stream entry ids ("ms-seq"): <0, 0, >0. */
static int id_cmp(const char *a, const char *b)
{
    unsigned long long am = 0, as = 0, bm = 0, bs = 0;
    sscanf(a, "%llu-%llu", &am, &as);
    sscanf(b, "%llu-%llu", &bm, &bs);
    return am != bm ? (am < bm ? -1 : 1) : as != bs ? (as < bs ? -1 : 1) : 0;
}

/* The stream is capped: entries after those r has (its cursor, its queue)
 * may have been trimmed before r got them.  Trimming removes the oldest
 * first, so when the stream's first entry is past the newest one r has, that
 * one was trimmed and, most likely, some after it too; an XDEL past it shows
 * as max-deleted-entry-id (Redis 7).  Either is logged: what was removed
 * cannot be had back.  0 or -1 (Redis). */
int dl_trimmed_check(struct alerts_delivery *d, struct dl_rx *r)
{
    const char *argv[] = {"XINFO", "STREAM", d->stream};
    const char *have = r->qhead < r->nq ? r->q[r->nq - 1].id : r->cursor;
    if (!strcmp(have, "0-0"))
        return 0;
    sigset_t old;
    pipe_block(&old);
    redisReply *rep = redisCommandArgv(d->redis, 3, argv, NULL);
    pipe_restore(&old);
    if (!rep) {
        dl_redis_drop(d, d->redis->errstr[0] ? d->redis->errstr : "connection lost");
        return -1;
    }
    /* no such key (an error reply): nothing known removed */
    const char *first = NULL, *deleted = NULL;
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements; i += 2) {
        const redisReply *k = rep->element[i], *v = rep->element[i + 1];
        if (k->type != REDIS_REPLY_STRING)
            continue;
        if (!strcmp(k->str, "max-deleted-entry-id") && v->type == REDIS_REPLY_STRING)
            deleted = v->str;
        else if (!strcmp(k->str, "first-entry") && v->type == REDIS_REPLY_ARRAY &&
                 v->elements >= 1 && v->element[0]->type == REDIS_REPLY_STRING)
            first = v->element[0]->str;
    }
    if (first && id_cmp(first, have) > 0)
        dl_log("%s \"%s\": entries after %s and before %s were trimmed from %s before it got "
               "them (the stream keeps about 100 000 events): they are lost to it",
               alerts_rx_kind_name(r->kind), r->name, have, first, d->stream);
    else if (deleted && id_cmp(deleted, have) > 0)
        dl_log("%s \"%s\": entries after %s (up to %s) were deleted from %s before it got them",
               alerts_rx_kind_name(r->kind), r->name, have, deleted, d->stream);
    freeReplyObject(rep);
    return 0;
}

/* Hold r's lease: take it, or renew it when `fresh` ms have passed since it
 * was last renewed (0: now).  1 held, 0 not (another process delivers), -1
 * Redis failed. */
int dl_lease_ensure(struct alerts_delivery *d, struct dl_rx *r, int64_t now, int64_t fresh)
{
    char ms[24];
    snprintf(ms, sizeof ms, "%d", d->c.lease_ms);
    const char *renew[] = {"EVAL", RENEW_LUA, "1", r->lease_key, d->token, ms};
    if (r->held) {
        if (now - r->renewed_ms < fresh)
            return 1;
        int v = eval_flag(d, renew, 6);
        if (v == 0)
            dl_lose_lease(r, "its lease was lost to another process");
        if (v == 1)
            r->renewed_ms = now;
        return v;
    }
    if (now < r->next_lease_ms)
        return 0;
    r->next_lease_ms = now + 500 + (int64_t)(dl_rand01(d) * 1000);
    const char *set[] = {"SET", r->lease_key, d->token, "NX", "PX", ms};
    redisReply *rep = dl_rcmd(d, 6, set);
    if (!rep)
        return -1;
    int ok = rep->type == REDIS_REPLY_STATUS, mine = 0;
    freeReplyObject(rep);
    /* Still ours (we were cut from Redis for a moment)? */
    if (!ok && (mine = eval_flag(d, renew, 6)) < 0)
        return -1;
    if (!ok && !mine)
        return 0;
    r->renewed_ms = now;
    if (mine && r->ready) {
        /* ours all along, so no one moved the cursor: keep the queue and an
         * entry sent but not yet committed */
        r->held = true;
        return 1;
    }
    dl_queue_clear(r);
    /* Ours now: where did the last holder stop? */
    const char *get[] = {"HGET", d->cursor_key, r->name};
    if (!(rep = dl_rcmd(d, 3, get)))
        return -1;
    snprintf(r->cursor, sizeof r->cursor, "%s",
             rep->type == REDIS_REPLY_STRING && rep->len < ENTRY_ID_MAX ? rep->str : "0-0");
    freeReplyObject(rep);
    r->held = true;
    r->attempt = 0;
    r->next_ms = 0;
    snprintf(r->st.cursor, sizeof r->st.cursor, "%s", strcmp(r->cursor, "0-0") ? r->cursor : "");
    dl_log("%s \"%s\": delivering from after %s", alerts_rx_kind_name(r->kind), r->name,
           strcmp(r->cursor, "0-0") ? r->cursor : "the start of the stream");
    if (dl_trimmed_check(d, r) < 0)
        return -1;
    if (r->kind == ALERTS_RX_ALERTMANAGER && dl_firing_rebuild(d, r) < 0) {
        r->held = false; /* the lease is still ours: taken again (and rebuilt) next time */
        return -1;
    }
    r->ready = true;
    return 1;
}

/* Move r's cursor to id if r's lease is still ours.  1, 0 (lease lost), -1. */
int dl_cursor_commit(struct alerts_delivery *d, struct dl_rx *r, const char *id)
{
    char ms[24];
    snprintf(ms, sizeof ms, "%d", d->c.lease_ms);
    const char *argv[] = {"EVAL", COMMIT_LUA, "2", r->lease_key, d->cursor_key, d->token,
                          ms,     r->name,    id};
    int v = eval_flag(d, argv, 9);
    if (v == 1) {
        r->renewed_ms = dl_mono_ms();
        snprintf(r->cursor, sizeof r->cursor, "%s", id);
        snprintf(r->st.cursor, sizeof r->st.cursor, "%s", id);
    } else if (v == 0) {
        dl_lose_lease(r, "its lease was lost to another process before the cursor moved");
    }
    return v;
}

/* ---------------------------------------------------------------------------
 * Reading the stream
 * ------------------------------------------------------------------------ */

static const char *field(const redisReply *fields, const char *name, size_t *len)
{
    for (size_t i = 0; fields && i + 1 < fields->elements; i += 2) {
        const redisReply *k = fields->element[i], *v = fields->element[i + 1];
        if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
            !strcmp(k->str, name)) {
            *len = v->len;
            return v->str;
        }
    }
    return NULL;
}

/* One entry of an XREAD/XRANGE reply into e (record copied).  0, KZ_EINVAL
 * (not an entry) or KZ_ENOMEM. */
int dl_entry_parse(const redisReply *x, struct dl_entry *e)
{
    size_t n = 0;
    memset(e, 0, sizeof(*e));
    if (x->type != REDIS_REPLY_ARRAY || x->elements != 2 ||
        x->element[0]->type != REDIS_REPLY_STRING || x->element[0]->len >= ENTRY_ID_MAX)
        return KZ_EINVAL;
    snprintf(e->id, sizeof e->id, "%s", x->element[0]->str);
    const redisReply *f = x->element[1]->type == REDIS_REPLY_ARRAY ? x->element[1] : NULL;
    /* The id and the event go into HTTP headers and the log: plain tokens only. */
    const char *v = field(f, "id", &n);
    if (v && !kz_plain_token(v, n))
        e->bad = "id";
    else if (v && n <= ALERTS_ID_LEN)
        snprintf(e->alert_id, sizeof e->alert_id, "%.*s", (int)n, v);
    v = field(f, "event", &n);
    if (v && !kz_plain_token(v, n))
        e->bad = "event";
    else if (v && n < sizeof e->event)
        snprintf(e->event, sizeof e->event, "%.*s", (int)n, v);
    if ((v = field(f, "record", &n))) {
        if (!(e->record = malloc(n + 1)))
            return KZ_ENOMEM;
        memcpy(e->record, v, n);
        e->record[n] = '\0';
        e->n = n;
    }
    return 0;
}

/* Fill r's queue with the entries after its cursor.  0, or -1 (Redis). */
int dl_queue_fill(struct alerts_delivery *d, struct dl_rx *r)
{
    char count[16];
    snprintf(count, sizeof count, "%d", d->c.batch);
    const char *argv[] = {"XREAD", "COUNT", count, "STREAMS", d->stream, r->cursor};
    redisReply *rep = dl_rcmd(d, 6, argv);
    if (!rep)
        return -1;
    dl_queue_clear(r);
    const redisReply *list = NULL;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
        rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements == 2)
        list = rep->element[0]->element[1];
    if (list && list->type == REDIS_REPLY_ARRAY && list->elements) {
        r->q = calloc(list->elements, sizeof(*r->q));
        for (size_t i = 0; r->q && i < list->elements; i++) {
            int rc = dl_entry_parse(list->element[i], &r->q[r->nq]);
            if (rc == KZ_ENOMEM)
                break;
            if (rc == 0)
                r->nq++;
        }
    }
    freeReplyObject(rep);
    return 0;
}

/* The event of an entry: its field, else the record's state. */
const char *dl_entry_event(const struct dl_entry *e)
{
    if (e->event[0])
        return e->event;
    return e->record && strstr(e->record, "\"state\":\"resolved\"") ? "resolved" : "firing";
}

void dl_lease_release(struct alerts_delivery *d, struct dl_rx *r)
{
    if (!r->held || !d->redis)
        return;
    const char *argv[] = {"EVAL", RELEASE_LUA, "1", r->lease_key, d->token};
    redisReply *rep = dl_rcmd(d, 5, argv);
    freeReplyObject(rep);
    r->held = false;
    r->ready = false;
}
