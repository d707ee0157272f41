/*
 * deliver.c -- alert delivery: the alert stream in Redis to webhooks,
 * Alertmanager and JSON lines, at least once, in order, per receiver.
 *
 * Design.  The evaluator appends every alert event to one Redis stream
 * (alerts.h, "Delivery").  Each receiver has a cursor, the id of the last
 * stream entry it took, in the hash ALERTS_CURSOR_KEY; delivery reads the
 * entries after the cursor (XREAD, in stream order), sends the oldest, and
 * moves the cursor past it only once the receiver said yes (2xx; a line
 * written and flushed).  A failed attempt -- a connection refused, a timeout,
 * any answer but 2xx -- is retried after a backoff (alerts_backoff_ms; a
 * Retry-After longer than it wins), forever: an entry is never skipped, so a
 * receiver that refuses one for good holds its queue until someone looks (the
 * log says so at every attempt).  Only an entry that cannot be delivered to
 * anyone -- no record, a record over max_body, for Alertmanager a record it
 * cannot be mapped from -- is logged and passed (counted in malformed).
 *
 * A crash between the receiver's yes and the cursor's move sends the entry
 * again: at least once, not exactly once.  The webhook-id
 * (alerts_webhook_msg_id: the alert id, the event and the stream entry id) is
 * the same on every attempt and from every process, so a receiver dedupes by
 * it; Alertmanager dedupes by labels itself.
 *
 * Several processes may deliver for availability.  For each receiver one of
 * them holds its lease, a key SET NX PX with a random token; the holder renews
 * it before every attempt and moves the cursor with a script that first checks
 * the token, so a process that lost its lease (paused past the lease, cut from
 * Redis) cannot move a cursor another process now owns.  The others try to
 * take the lease every second or so; a SIGKILLed holder's lease expires after
 * lease_ms and delivery resumes from the cursor.
 *
 * Alertmanager forgets a firing alert resolve_timeout after it last heard of
 * it, so each Alertmanager receiver keeps the firing alerts it delivered
 * (latest body by alert id, dropped when resolved or older than am_max_age_ms)
 * and re-sends them all in one POST every am_resend_ms.  A process that takes
 * the lease rebuilds that set from the stream entries up to the cursor
 * (those of the last am_max_age_ms).
 *
 * One thread; attempts are made one at a time, so a slow receiver delays the
 * others by at most timeout_ms per attempt.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "deliver_int.h"

#define LOG_PREFIX "kzpulse alerts: deliver: "
#define ENTRY_ID_MAX 48
#define AM_MAX_FIRING 10000
#define REDIS_RETRY_MAX_MS 30000

struct dl_entry {
    char id[ENTRY_ID_MAX];
    char alert_id[ALERTS_ID_LEN + 1];
    char event[16];
    char *record; /* NULL: the entry had none */
    size_t n;
};

struct dl_firing {
    char id[ALERTS_ID_LEN + 1];
    char *alert;     /* one alert's JSON object (the array's element) */
    int64_t last_ms; /* wall clock of its last event */
};

struct dl_rx {
    enum alerts_rx_kind kind;
    char name[ALERTS_RX_NAME_MAX + 1];
    char *url; /* webhook: as given; Alertmanager: base + /api/v2/alerts */
    FILE *f;   /* JSON lines */
    bool f_own, f_sync;
    struct alerts_secret secret;
    CURL *curl;
    char *lease_key;
    bool held;
    bool ready; /* taken whole (cursor read, firing set rebuilt) and not lost since */
    bool sent;  /* the queue's head was delivered; its cursor move is pending */
    bool sent_after_failures;
    int64_t renewed_ms;    /* mono: when the lease was last taken or renewed */
    int64_t next_lease_ms; /* mono: when to try for the lease again */
    char cursor[ENTRY_ID_MAX];
    struct dl_entry *q;
    size_t nq, qhead;
    int attempt;     /* failed attempts of the queue's head */
    int64_t next_ms; /* mono: the head's next attempt */
    struct dl_firing *firing;
    size_t nfiring;
    int64_t resend_ms; /* mono: the next re-send */
    struct alerts_rx_stats st;
};

struct alerts_delivery {
    struct alerts_delivery_config c;
    char *stream, *cursor_key, *lease_prefix, *generator_url;
    struct agg_redis_addr addr;
    char *password; /* NULL: the URL's */
    redisContext *redis;
    int64_t redis_next_ms;
    int redis_fails;
    char token[96];
    struct dl_rx rx[ALERTS_RX_MAX];
    size_t nrx;
    volatile sig_atomic_t *stop;
    volatile sig_atomic_t never;
    uint64_t rng;
};

/* ---------------------------------------------------------------------------
 * Small things: clocks, randomness, the log
 * ------------------------------------------------------------------------ */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*: jitter only, seeded from getrandom. */
static double rand01(struct alerts_delivery *d)
{
    d->rng ^= d->rng >> 12;
    d->rng ^= d->rng << 25;
    d->rng ^= d->rng >> 27;
    return (double)((d->rng * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static void dlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void dlog(const char *fmt, ...)
{
    va_list ap;
    char line[1024];
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, LOG_PREFIX "%s\n", line);
}

static void sleep_ms(struct alerts_delivery *d, int64_t ms)
{
    while (ms > 0 && !*d->stop) {
        int64_t step = ms > 100 ? 100 : ms;
        struct timespec ts = {0, (long)step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

const char *alerts_rx_kind_name(enum alerts_rx_kind k)
{
    static const char *const names[] = {"webhook", "alertmanager", "jsonl"};
    return (unsigned)k < KZ_ARRAY_LEN(names) ? names[k] : "?";
}

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

static void redis_drop(struct alerts_delivery *d, const char *why)
{
    if (d->redis) {
        dlog("Redis %s:%d: %s; reconnecting", d->addr.host, d->addr.port, why);
        redisFree(d->redis);
        d->redis = NULL;
    }
}

/* A command; NULL when it failed (logged; the connection dropped on an I/O
 * error).  The caller frees the reply. */
static redisReply *rcmd(struct alerts_delivery *d, int argc, const char **argv)
{
    sigset_t old;
    if (!d->redis)
        return NULL;
    pipe_block(&old);
    redisReply *r = redisCommandArgv(d->redis, argc, argv, NULL);
    pipe_restore(&old);
    if (!r) {
        redis_drop(d, d->redis->errstr[0] ? d->redis->errstr : "connection lost");
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        dlog("Redis answered %s to %s", r->str, argv[0]);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

static int redis_connect(struct alerts_delivery *d)
{
    int64_t now = mono_ms();
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
        if (pw[0] && !(r = rcmd(d, d->addr.user[0] ? 3 : 2, d->addr.user[0] ? auth3 : auth2)))
            why = "AUTH failed";
        freeReplyObject(r);
        r = NULL;
        if (!why && d->addr.db && !(r = rcmd(d, 2, sel)))
            why = "SELECT failed";
        freeReplyObject(r);
        if (!why) {
            if (d->redis_fails)
                dlog("Redis %s:%d is back", d->addr.host, d->addr.port);
            d->redis_fails = 0;
            return 0;
        }
        c = d->redis;
        d->redis = NULL;
    }
    /* Log the first failure of an outage, then every tenth try. */
    if (d->redis_fails++ % 10 == 0)
        dlog("Redis %s:%d unreachable (%s); delivery waits for it", d->addr.host, d->addr.port,
             why);
    if (c)
        redisFree(c);
    d->redis_next_ms = now + alerts_backoff_ms(d->redis_fails, 250, REDIS_RETRY_MAX_MS, rand01(d));
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
    redisReply *r = rcmd(d, argc, argv);
    if (!r)
        return -1;
    int v = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    freeReplyObject(r);
    return v;
}

static void queue_clear(struct dl_rx *r)
{
    for (size_t i = r->qhead; i < r->nq; i++)
        free(r->q[i].record);
    free(r->q);
    r->q = NULL;
    r->nq = r->qhead = 0;
    r->sent = false;
}

static void lose_lease(struct dl_rx *r, const char *why)
{
    if (r->held)
        dlog("%s \"%s\": %s; stopped delivering to it", alerts_rx_kind_name(r->kind), r->name, why);
    r->held = false;
    r->ready = false;
    r->attempt = 0;
    r->next_ms = 0;
    queue_clear(r);
}

static int firing_rebuild(struct alerts_delivery *d, struct dl_rx *r);

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
static int trimmed_check(struct alerts_delivery *d, struct dl_rx *r)
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
        redis_drop(d, d->redis->errstr[0] ? d->redis->errstr : "connection lost");
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
        dlog("%s \"%s\": entries after %s and before %s were trimmed from %s before it got "
             "them (the stream keeps about 100 000 events): they are lost to it",
             alerts_rx_kind_name(r->kind), r->name, have, first, d->stream);
    else if (deleted && id_cmp(deleted, have) > 0)
        dlog("%s \"%s\": entries after %s (up to %s) were deleted from %s before it got them",
             alerts_rx_kind_name(r->kind), r->name, have, deleted, d->stream);
    freeReplyObject(rep);
    return 0;
}

/* Hold r's lease: take it, or renew it when `fresh` ms have passed since it
 * was last renewed (0: now).  1 held, 0 not (another process delivers), -1
 * Redis failed. */
static int lease_ensure(struct alerts_delivery *d, struct dl_rx *r, int64_t now, int64_t fresh)
{
    char ms[24];
    snprintf(ms, sizeof ms, "%d", d->c.lease_ms);
    const char *renew[] = {"EVAL", RENEW_LUA, "1", r->lease_key, d->token, ms};
    if (r->held) {
        if (now - r->renewed_ms < fresh)
            return 1;
        int v = eval_flag(d, renew, 6);
        if (v == 0)
            lose_lease(r, "its lease was lost to another process");
        if (v == 1)
            r->renewed_ms = now;
        return v;
    }
    if (now < r->next_lease_ms)
        return 0;
    r->next_lease_ms = now + 500 + (int64_t)(rand01(d) * 1000);
    const char *set[] = {"SET", r->lease_key, d->token, "NX", "PX", ms};
    redisReply *rep = rcmd(d, 6, set);
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
    queue_clear(r);
    /* Ours now: where did the last holder stop? */
    const char *get[] = {"HGET", d->cursor_key, r->name};
    if (!(rep = rcmd(d, 3, get)))
        return -1;
    snprintf(r->cursor, sizeof r->cursor, "%s",
             rep->type == REDIS_REPLY_STRING && rep->len < ENTRY_ID_MAX ? rep->str : "0-0");
    freeReplyObject(rep);
    r->held = true;
    r->attempt = 0;
    r->next_ms = 0;
    snprintf(r->st.cursor, sizeof r->st.cursor, "%s", strcmp(r->cursor, "0-0") ? r->cursor : "");
    dlog("%s \"%s\": delivering from after %s", alerts_rx_kind_name(r->kind), r->name,
         strcmp(r->cursor, "0-0") ? r->cursor : "the start of the stream");
    if (trimmed_check(d, r) < 0)
        return -1;
    if (r->kind == ALERTS_RX_ALERTMANAGER && firing_rebuild(d, r) < 0) {
        r->held = false; /* the lease is still ours: taken again (and rebuilt) next time */
        return -1;
    }
    r->ready = true;
    return 1;
}

/* Move r's cursor to id if r's lease is still ours.  1, 0 (lease lost), -1. */
static int cursor_commit(struct alerts_delivery *d, struct dl_rx *r, const char *id)
{
    char ms[24];
    snprintf(ms, sizeof ms, "%d", d->c.lease_ms);
    const char *argv[] = {"EVAL", COMMIT_LUA, "2", r->lease_key, d->cursor_key, d->token,
                          ms,     r->name,    id};
    int v = eval_flag(d, argv, 9);
    if (v == 1) {
        r->renewed_ms = mono_ms();
        snprintf(r->cursor, sizeof r->cursor, "%s", id);
        snprintf(r->st.cursor, sizeof r->st.cursor, "%s", id);
    } else if (v == 0) {
        lose_lease(r, "its lease was lost to another process before the cursor moved");
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
static int entry_parse(const redisReply *x, struct dl_entry *e)
{
    size_t n = 0;
    memset(e, 0, sizeof(*e));
    if (x->type != REDIS_REPLY_ARRAY || x->elements != 2 ||
        x->element[0]->type != REDIS_REPLY_STRING || x->element[0]->len >= ENTRY_ID_MAX)
        return KZ_EINVAL;
    snprintf(e->id, sizeof e->id, "%s", x->element[0]->str);
    const redisReply *f = x->element[1]->type == REDIS_REPLY_ARRAY ? x->element[1] : NULL;
    const char *v = field(f, "id", &n);
    if (v && n <= ALERTS_ID_LEN)
        snprintf(e->alert_id, sizeof e->alert_id, "%.*s", (int)n, v);
    v = field(f, "event", &n);
    if (v && n < sizeof e->event)
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
static int queue_fill(struct alerts_delivery *d, struct dl_rx *r)
{
    char count[16];
    snprintf(count, sizeof count, "%d", d->c.batch);
    const char *argv[] = {"XREAD", "COUNT", count, "STREAMS", d->stream, r->cursor};
    redisReply *rep = rcmd(d, 6, argv);
    if (!rep)
        return -1;
    queue_clear(r);
    const redisReply *list = NULL;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
        rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements == 2)
        list = rep->element[0]->element[1];
    if (list && list->type == REDIS_REPLY_ARRAY && list->elements) {
        r->q = calloc(list->elements, sizeof(*r->q));
        for (size_t i = 0; r->q && i < list->elements; i++) {
            int rc = entry_parse(list->element[i], &r->q[r->nq]);
            if (rc == KZ_ENOMEM)
                break;
            if (rc == 0)
                r->nq++;
        }
    }
    freeReplyObject(rep);
    return 0;
}

/* ---------------------------------------------------------------------------
 * Alertmanager's firing set
 * ------------------------------------------------------------------------ */

static void firing_drop(struct dl_rx *r, size_t i)
{
    free(r->firing[i].alert);
    r->firing[i] = r->firing[--r->nfiring];
}

/* Note an event delivered to Alertmanager: body is the one-element array. */
static void firing_note(struct alerts_delivery *d, struct dl_rx *r, const char *alert_id,
                        const char *event, const char *body, int64_t when_ms)
{
    size_t i = 0;
    while (i < r->nfiring && strcmp(r->firing[i].id, alert_id))
        i++;
    if (i < r->nfiring)
        firing_drop(r, i);
    if (!strcmp(event, "resolved"))
        return;
    if (r->nfiring == AM_MAX_FIRING) {
        dlog("alertmanager \"%s\": over %d firing alerts; %s is not re-sent", r->name,
             AM_MAX_FIRING, alert_id);
        return;
    }
    size_t n = strlen(body);
    char *a = n >= 2 ? strndup(body + 1, n - 2) : NULL; /* the element, without [ ] */
    if (!a)
        return;
    struct dl_firing *f = &r->firing[r->nfiring++];
    snprintf(f->id, sizeof f->id, "%s", alert_id);
    f->alert = a;
    f->last_ms = when_ms;
}

/* The event of an entry: its field, else the record's state. */
static const char *entry_event(const struct dl_entry *e)
{
    if (e->event[0])
        return e->event;
    return e->record && strstr(e->record, "\"state\":\"resolved\"") ? "resolved" : "firing";
}

/* The stream entries of the last am_max_age_ms up to r's cursor: the alerts
 * still firing.  0 or -1 (Redis). */
static int firing_rebuild(struct alerts_delivery *d, struct dl_rx *r)
{
    char start[48], err[160];
    int64_t now = wall_ms();
    while (r->nfiring)
        firing_drop(r, r->nfiring - 1);
    if (!strcmp(r->cursor, "0-0"))
        return 0;
    snprintf(start, sizeof start, "%" PRId64, now - d->c.am_max_age_ms);
    for (;;) {
        const char *argv[] = {"XRANGE", d->stream, start, r->cursor, "COUNT", "500"};
        redisReply *rep = rcmd(d, 6, argv);
        if (!rep)
            return -1;
        size_t n = rep->type == REDIS_REPLY_ARRAY ? rep->elements : 0;
        for (size_t i = 0; i < n; i++) {
            struct dl_entry e;
            char *body = NULL;
            if (entry_parse(rep->element[i], &e) == 0 && e.record && e.alert_id[0] &&
                alerts_am_json(e.record, e.n, entry_event(&e), d->generator_url, &body, err,
                               sizeof err) == 0)
                firing_note(d, r, e.alert_id, entry_event(&e), body, strtoll(e.id, NULL, 10));
            free(body);
            free(e.record);
        }
        /* the next page starts just after the last id */
        unsigned long long ms = 0, seq = 0;
        const redisReply *last = n ? rep->element[n - 1] : NULL;
        bool more = n == 500 && last->type == REDIS_REPLY_ARRAY && last->elements >= 1 &&
                    last->element[0]->type == REDIS_REPLY_STRING &&
                    sscanf(last->element[0]->str, "%llu-%llu", &ms, &seq) == 2;
        snprintf(start, sizeof start, "%llu-%llu", ms, seq + 1);
        freeReplyObject(rep);
        if (!more)
            break;
    }
    if (r->nfiring)
        dlog("alertmanager \"%s\": %zu firing alert%s to keep re-sending", r->name, r->nfiring,
             r->nfiring == 1 ? "" : "s");
    r->resend_ms = 0; /* at once: Alertmanager may have forgotten them */
    return 0;
}

static struct curl_slist *json_headers(void)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *h2 = h ? curl_slist_append(h, "Expect:") : NULL;
    if (!h2)
        curl_slist_free_all(h);
    return h2;
}

/* Re-send r's firing alerts when due.  Failures are logged, not retried
 * before the next period. */
static void firing_resend(struct alerts_delivery *d, struct dl_rx *r, int64_t now)
{
    if (!r->nfiring || now < r->resend_ms)
        return;
    r->resend_ms = now + d->c.am_resend_ms;
    int64_t wnow = wall_ms();
    for (size_t i = r->nfiring; i-- > 0;)
        if (wnow - r->firing[i].last_ms > d->c.am_max_age_ms)
            firing_drop(r, i);
    size_t len = 2;
    for (size_t i = 0; i < r->nfiring; i++)
        len += strlen(r->firing[i].alert) + 1;
    char *body = malloc(len + 1);
    struct curl_slist *hdr = json_headers();
    if (body && hdr && r->nfiring) {
        size_t k = 0;
        body[k++] = '[';
        for (size_t i = 0; i < r->nfiring; i++) {
            if (i)
                body[k++] = ',';
            size_t n = strlen(r->firing[i].alert);
            memcpy(body + k, r->firing[i].alert, n);
            k += n;
        }
        body[k++] = ']';
        body[k] = '\0';
        struct dl_http_result res;
        r->st.attempts++;
        if (dl_http_post(r->curl, r->url, hdr, body, k, d->c.connect_timeout_ms, d->c.timeout_ms,
                         d->stop, &res)) {
            r->st.failed++;
            dlog("alertmanager \"%s\": re-sending %zu firing alerts failed: %s; again in %.0f s",
                 r->name, r->nfiring, res.detail, (double)d->c.am_resend_ms / 1000);
        } else {
            r->st.resent++;
        }
    }
    curl_slist_free_all(hdr);
    free(body);
}

/* ---------------------------------------------------------------------------
 * Sending one entry
 * ------------------------------------------------------------------------ */

/* 0 delivered, KZ_EAGAIN (retry; detail and retry_after set), KZ_EINVAL
 * (the entry cannot be delivered: detail says why). */
static int send_entry(struct alerts_delivery *d, struct dl_rx *r, const struct dl_entry *e,
                      char *detail, size_t dlen, int64_t *retry_after_ms)
{
    const char *event = entry_event(e);
    struct dl_http_result res;
    int rc;

    *retry_after_ms = 0;
    if (!e->record) {
        snprintf(detail, dlen, "the entry has no record field");
        return KZ_EINVAL;
    }
    if (e->n > d->c.max_body) {
        snprintf(detail, dlen, "the record is %zu bytes, over the limit of %zu", e->n,
                 d->c.max_body);
        return KZ_EINVAL;
    }
    if (r->kind == ALERTS_RX_JSONL) {
        errno = 0;
        if (fwrite(e->record, 1, e->n, r->f) != e->n || fputc('\n', r->f) == EOF || fflush(r->f) ||
            (r->f_sync && fdatasync(fileno(r->f)))) {
            snprintf(detail, dlen, "write: %s", errno ? strerror(errno) : "failed");
            clearerr(r->f);
            return KZ_EAGAIN;
        }
        return 0;
    }
    if (r->kind == ALERTS_RX_ALERTMANAGER) {
        char *body = NULL;
        struct curl_slist *hdr = json_headers();
        if (!hdr)
            return KZ_EAGAIN;
        if ((rc = alerts_am_json(e->record, e->n, event, d->generator_url, &body, detail, dlen))) {
            curl_slist_free_all(hdr);
            return rc == KZ_ENOMEM ? KZ_EAGAIN : KZ_EINVAL;
        }
        rc = dl_http_post(r->curl, r->url, hdr, body, strlen(body), d->c.connect_timeout_ms,
                          d->c.timeout_ms, d->stop, &res);
        if (rc == 0 && e->alert_id[0])
            firing_note(d, r, e->alert_id, event, body, wall_ms());
        free(body);
        curl_slist_free_all(hdr);
    } else {
        /* Standard Webhooks: a fresh timestamp and signature per attempt, the
         * same id on every attempt. */
        char msgid[160], sig[ALERTS_SIG_LEN + 1], h_id[200], h_ts[64], h_sig[100], h_ev[64];
        int64_t ts = wall_ms() / 1000;
        if (alerts_webhook_msg_id(e->alert_id[0] ? e->alert_id : "none", event, e->id, msgid,
                                  sizeof msgid) ||
            alerts_webhook_sign(&r->secret, msgid, ts, e->record, e->n, sig, sizeof sig)) {
            snprintf(detail, dlen, "cannot sign the entry");
            return KZ_EINVAL;
        }
        snprintf(h_id, sizeof h_id, "webhook-id: %s", msgid);
        snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %" PRId64, ts);
        snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
        snprintf(h_ev, sizeof h_ev, "kzpulse-event: %s", event);
        struct curl_slist *hdr = json_headers(), *h = hdr;
        const char *more[] = {h_id, h_ts, h_sig, h_ev};
        for (size_t i = 0; h && i < KZ_ARRAY_LEN(more); i++)
            h = curl_slist_append(hdr, more[i]);
        if (!h) {
            curl_slist_free_all(hdr);
            return KZ_EAGAIN;
        }
        rc = dl_http_post(r->curl, r->url, hdr, e->record, e->n, d->c.connect_timeout_ms,
                          d->c.timeout_ms, d->stop, &res);
        curl_slist_free_all(hdr);
    }
    snprintf(detail, dlen, "%s", res.detail);
    *retry_after_ms = res.retry_after_ms;
    return rc;
}

/* Send the queue's head e once: 1 sent (or passed, logged), 0 failed (a retry
 * is scheduled), -1 Redis failed. */
static int send_head(struct alerts_delivery *d, struct dl_rx *r, struct dl_entry *e)
{
    int v;
    /* The lease must outlast the attempt (lease_ms >= timeout_ms + 1 s). */
    if ((v = lease_ensure(d, r, mono_ms(), 1000)) <= 0)
        return v;
    char detail[400];
    int64_t retry_after = 0;
    r->st.attempts++;
    int rc = send_entry(d, r, e, detail, sizeof detail, &retry_after);
    if (rc == KZ_EAGAIN) {
        r->st.failed++;
        if (++r->attempt == 1)
            r->st.retried++;
        int64_t wait =
            alerts_backoff_ms(r->attempt, d->c.backoff_min_ms, d->c.backoff_max_ms, rand01(d));
        if (retry_after > wait)
            wait = retry_after < d->c.backoff_max_ms ? retry_after : d->c.backoff_max_ms;
        r->next_ms = mono_ms() + wait;
        dlog("%s \"%s\": entry %s (alert %s, %s): attempt %d failed: %s; next in %.1f s",
             alerts_rx_kind_name(r->kind), r->name, e->id, e->alert_id, entry_event(e), r->attempt,
             detail, (double)wait / 1000);
        return 0;
    }
    if (rc == KZ_EINVAL) {
        r->st.malformed++;
        dlog("%s \"%s\": entry %s (alert %s) cannot be delivered and is passed: %s",
             alerts_rx_kind_name(r->kind), r->name, e->id, e->alert_id[0] ? e->alert_id : "?",
             detail);
    } else {
        r->st.delivered++;
        if (r->attempt)
            dlog("%s \"%s\": entry %s (alert %s) delivered at attempt %d",
                 alerts_rx_kind_name(r->kind), r->name, e->id, e->alert_id, r->attempt + 1);
    }
    r->sent = true;
    r->sent_after_failures = r->attempt > 0;
    r->attempt = 0;
    r->next_ms = 0;
    return 1;
}

/* Work on receiver r: 1 when it delivered (more may be waiting), 0 when it
 * has nothing to do now, -1 when Redis failed. */
static int rx_step(struct alerts_delivery *d, struct dl_rx *r, int64_t now)
{
    int v;
    int64_t third = d->c.lease_ms / 3;
    if (r->held && r->qhead < r->nq && now < r->next_ms) {
        /* backing off: keep the lease while waiting */
        return lease_ensure(d, r, now, third) < 0 ? -1 : 0;
    }
    if ((v = lease_ensure(d, r, now, third)) <= 0)
        return v;
    if (r->qhead == r->nq) {
        if (queue_fill(d, r))
            return -1;
        if (r->qhead == r->nq) {
            if (r->kind == ALERTS_RX_ALERTMANAGER)
                firing_resend(d, r, now);
            return 0;
        }
    }
    struct dl_entry *e = &r->q[r->qhead];
    if (!r->sent && (v = send_head(d, r, e)) <= 0)
        return v;
    /* Delivered (or passed): move the cursor.  When Redis fails here the
     * entry stays sent, and the next round only commits it. */
    if ((v = cursor_commit(d, r, e->id)) <= 0)
        return v; /* lease lost: the queue is gone (sent again by the next holder) */
    r->sent = false;
    free(e->record);
    e->record = NULL;
    r->qhead++;
    /* back after failures: did the stream trim what waited behind? */
    if (r->sent_after_failures && trimmed_check(d, r) < 0)
        return -1;
    return 1;
}

/* ---------------------------------------------------------------------------
 * The public side
 * ------------------------------------------------------------------------ */

void alerts_delivery_config_default(struct alerts_delivery_config *c)
{
    memset(c, 0, sizeof(*c));
    c->stream = ALERTS_STREAM_KEY;
    c->cursor_key = ALERTS_CURSOR_KEY;
    c->lease_prefix = ALERTS_LEASE_PREFIX;
    c->connect_timeout_ms = 5000;
    c->timeout_ms = 10000;
    c->lease_ms = 30000;
    c->backoff_min_ms = 1000;
    c->backoff_max_ms = 300000;
    c->poll_ms = 200;
    c->batch = 100;
    c->max_body = 1 << 20;
    c->am_resend_ms = 60000;
    c->am_max_age_ms = 86400000;
}

static int cfg_err(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return KZ_EINVAL;
}

int alerts_delivery_new(const struct alerts_delivery_config *c, struct alerts_delivery **out,
                        char *err, size_t errlen)
{
    *out = NULL;
    if (!c->redis_url)
        return cfg_err(err, errlen, "a Redis URL is required");
    if (c->connect_timeout_ms < 100 || c->timeout_ms < 100 || c->connect_timeout_ms > c->timeout_ms)
        return cfg_err(err, errlen, "timeouts: at least 100 ms, the connect one within the total");
    if (c->lease_ms < c->timeout_ms + 1000)
        return cfg_err(err, errlen,
                       "the lease must outlast an attempt: at least the timeout + 1 s");
    if (c->backoff_min_ms < 1 || c->backoff_max_ms < c->backoff_min_ms || c->poll_ms < 1 ||
        c->batch < 1 || c->batch > 10000 || c->max_body < 64 || c->am_resend_ms < 1000 ||
        c->am_max_age_ms < c->am_resend_ms)
        return cfg_err(err, errlen, "delivery settings out of range");
    struct alerts_delivery *d = calloc(1, sizeof(*d));
    if (!d)
        return KZ_ENOMEM;
    d->c = *c;
    int rc = agg_redis_parse_url(c->redis_url, &d->addr, err, errlen);
    if (rc) {
        free(d);
        return rc;
    }
    d->stream = strdup(c->stream ? c->stream : ALERTS_STREAM_KEY);
    d->cursor_key = strdup(c->cursor_key ? c->cursor_key : ALERTS_CURSOR_KEY);
    d->lease_prefix = strdup(c->lease_prefix ? c->lease_prefix : ALERTS_LEASE_PREFIX);
    d->generator_url = c->generator_url ? strdup(c->generator_url) : NULL;
    d->password = c->redis_password ? strdup(c->redis_password) : NULL;
    d->stop = &d->never;
    char host[64] = "host";
    unsigned char rnd[8] = {0};
    gethostname(host, sizeof host - 1);
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        memcpy(rnd, &(int64_t){wall_ms() ^ getpid()}, sizeof rnd);
    memcpy(&d->rng, rnd, sizeof rnd);
    d->rng |= 1;
    snprintf(d->token, sizeof d->token, "%s:%ld:%016" PRIx64, host, (long)getpid(), d->rng);
    if (!d->stream || !d->cursor_key || !d->lease_prefix ||
        (c->generator_url && !d->generator_url) || (c->redis_password && !d->password) ||
        curl_global_init(CURL_GLOBAL_DEFAULT)) {
        alerts_delivery_free(d);
        return KZ_ENOMEM;
    }
    *out = d;
    return 0;
}

static bool name_ok(const char *s, size_t n)
{
    if (!n || n > ALERTS_RX_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' || s[i] == '-'))
            return false;
    return true;
}

int alerts_delivery_add(struct alerts_delivery *d, enum alerts_rx_kind kind, const char *spec,
                        const struct alerts_secret *secret, char *err, size_t errlen)
{
    static const char *const defname[] = {NULL, "alertmanager", "out"};
    const char *what = kind == ALERTS_RX_WEBHOOK        ? "--webhook"
                       : kind == ALERTS_RX_ALERTMANAGER ? "--alertmanager"
                                                        : "--alerts-out";
    if ((unsigned)kind > ALERTS_RX_JSONL)
        return cfg_err(err, errlen, "unknown receiver kind");
    if (d->nrx == ALERTS_RX_MAX) {
        snprintf(err, errlen, "%s: at most %d receivers", what, ALERTS_RX_MAX);
        return KZ_EINVAL;
    }
    /* NAME= is a name when what precedes the first '=' is one. */
    const char *eq = strchr(spec, '='), *target = spec;
    char name[ALERTS_RX_NAME_MAX + 1];
    if (eq && name_ok(spec, (size_t)(eq - spec))) {
        snprintf(name, sizeof name, "%.*s", (int)(eq - spec), spec);
        target = eq + 1;
    } else if (defname[kind]) {
        snprintf(name, sizeof name, "%s", defname[kind]);
    } else {
        snprintf(err, errlen,
                 "%s: expected NAME=URL, NAME of 1-%d letters, digits, _ . -; got \"%.200s\"", what,
                 ALERTS_RX_NAME_MAX, spec);
        return KZ_EINVAL;
    }
    for (size_t i = 0; i < d->nrx; i++)
        if (!strcmp(d->rx[i].name, name)) {
            snprintf(err, errlen,
                     "%s: a receiver named \"%s\" is given already (names are the "
                     "cursors' keys: give each its own NAME=)",
                     what, name);
            return KZ_EINVAL;
        }
    if (!*target) {
        snprintf(err, errlen, "%s: nothing after \"%s=\"", what, name);
        return KZ_EINVAL;
    }
    struct dl_rx *r = &d->rx[d->nrx];
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    snprintf(r->name, sizeof r->name, "%s", name);
    int rc;
    if (kind == ALERTS_RX_JSONL) {
        if (!strcmp(target, "-")) {
            r->f = stdout;
        } else if (!(r->f = fopen(target, "a"))) {
            snprintf(err, errlen, "%s: %s: %s", what, target, strerror(errno));
            return KZ_EIO;
        } else {
            struct stat sb;
            r->f_own = true;
            r->f_sync = !fstat(fileno(r->f), &sb) && S_ISREG(sb.st_mode);
        }
    } else {
        if ((rc = dl_check_url(what, target, err, errlen)))
            return rc;
        if (kind == ALERTS_RX_WEBHOOK) {
            if (!secret || !secret->n) {
                snprintf(err, errlen,
                         "%s %s: no signing secret: put it in a file (--webhook-secret-file) or "
                         "in the environment variable %s",
                         what, name, ALERTS_SECRET_ENV);
                return KZ_EINVAL;
            }
            r->secret = *secret;
            r->url = strdup(target);
        } else {
            size_t n = strlen(target);
            while (n && target[n - 1] == '/')
                n--;
            if ((r->url = malloc(n + 16)))
                snprintf(r->url, n + 16, "%.*s/api/v2/alerts", (int)n, target);
        }
        if (!r->url || !(r->curl = curl_easy_init())) {
            free(r->url);
            curl_easy_cleanup(r->curl);
            return KZ_ENOMEM;
        }
    }
    size_t kl = strlen(d->lease_prefix) + strlen(name) + 1;
    if (!(r->lease_key = malloc(kl))) {
        if (r->f_own)
            fclose(r->f);
        free(r->url);
        curl_easy_cleanup(r->curl);
        return KZ_ENOMEM;
    }
    snprintf(r->lease_key, kl, "%s%s", d->lease_prefix, name);
    snprintf(r->cursor, sizeof r->cursor, "0-0");
    if (kind == ALERTS_RX_ALERTMANAGER &&
        !(r->firing = calloc(AM_MAX_FIRING, sizeof(*r->firing)))) {
        free(r->lease_key);
        free(r->url);
        curl_easy_cleanup(r->curl);
        return KZ_ENOMEM;
    }
    r->st.name = r->name;
    r->st.kind = kind;
    d->nrx++;
    return 0;
}

int alerts_delivery_poll(struct alerts_delivery *d, int max_wait_ms)
{
    int64_t now = mono_ms(), wake = now + (max_wait_ms < d->c.poll_ms ? max_wait_ms : d->c.poll_ms);
    bool busy = false;

    if (redis_connect(d)) {
        for (size_t i = 0; i < d->nrx; i++)
            d->rx[i].held = false; /* checked again (by token) once back */
        int64_t until = d->redis_next_ms < now + max_wait_ms ? d->redis_next_ms : now + max_wait_ms;
        sleep_ms(d, until - now);
        return KZ_EAGAIN;
    }
    for (size_t i = 0; i < d->nrx && !*d->stop; i++) {
        struct dl_rx *r = &d->rx[i];
        /* a few entries at a time, so one busy receiver does not starve the rest */
        for (int k = 0; k < 16 && !*d->stop; k++) {
            int v = rx_step(d, r, mono_ms());
            if (v < 0) {
                /* an I/O error dropped the connection (the next poll makes
                 * a new one); an error reply was logged: do not spin on it */
                if (d->redis)
                    sleep_ms(d, 1000);
                return KZ_EAGAIN;
            }
            if (v == 0)
                break;
            busy = true;
        }
        if (r->held && r->qhead < r->nq && r->next_ms && r->next_ms < wake)
            wake = r->next_ms;
    }
    if (!busy)
        sleep_ms(d, wake - mono_ms());
    return 0;
}

int alerts_delivery_run(struct alerts_delivery *d, volatile sig_atomic_t *stop)
{
    d->stop = stop ? stop : &d->never;
    while (!*d->stop)
        alerts_delivery_poll(d, 1000);
    /* Leave the leases to the next process at once (a SIGKILL leaves them to
     * expire after lease_ms). */
    for (size_t i = 0; i < d->nrx && d->redis; i++)
        if (d->rx[i].held) {
            const char *argv[] = {"EVAL", RELEASE_LUA, "1", d->rx[i].lease_key, d->token};
            redisReply *rep = rcmd(d, 5, argv);
            freeReplyObject(rep);
            d->rx[i].held = false;
        }
    d->stop = &d->never;
    return 0;
}

size_t alerts_delivery_count(const struct alerts_delivery *d)
{
    return d->nrx;
}

int alerts_delivery_stats(const struct alerts_delivery *d, size_t i, struct alerts_rx_stats *out)
{
    if (i >= d->nrx)
        return KZ_ENOTFOUND;
    *out = d->rx[i].st;
    return 0;
}

void alerts_delivery_free(struct alerts_delivery *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nrx; i++) {
        struct dl_rx *r = &d->rx[i];
        queue_clear(r);
        while (r->nfiring)
            firing_drop(r, r->nfiring - 1);
        free(r->firing);
        if (r->f_own)
            fclose(r->f);
        else if (r->f)
            fflush(r->f);
        curl_easy_cleanup(r->curl);
        free(r->url);
        free(r->lease_key);
        memset(&r->secret, 0, sizeof r->secret);
    }
    if (d->redis)
        redisFree(d->redis);
    free(d->stream);
    free(d->cursor_key);
    free(d->lease_prefix);
    free(d->generator_url);
    if (d->password)
        memset(d->password, 0, strlen(d->password));
    free(d->password);
    memset(&d->addr, 0, sizeof d->addr);
    free(d);
    curl_global_cleanup();
}
