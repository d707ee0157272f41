/* redis_conn.c -- the Redis store's connection: URLs, connecting, commands, pipelines.
 *
 * Design: one blocking hiredis context per store, made on demand and thrown
 * away at the first I/O error, so that every call either finds a working
 * connection or makes one; a failure to reach Redis is KZ_EAGAIN, which the
 * pipeline loop answers with a retry after a backoff (a batch is never half
 * applied: see store_redis.c).  A new connection runs AUTH and SELECT when the
 * URL asks for them and loads the store's script, whose SHA the apply uses.
 * Pipelines send at most AGG_REDIS_PIPELINE commands per round trip, which
 * bounds the memory a query with a long window needs on both sides.  Error
 * replies map to KZ_EAGAIN when they say the server cannot serve for a moment
 * (BUSY, LOADING, TRYAGAIN, MASTERDOWN, OOM) and to KZ_EIO otherwise; the
 * message always carries Redis's own words.
 *
 * SIGPIPE: hiredis 0.14 writes with write(2), so writing to a server that
 * has just gone away raises SIGPIPE, which kills a process that did not
 * ignore it.  A library may not change process-wide signal handling, so every
 * call that writes blocks SIGPIPE in the calling thread only, and afterwards
 * consumes a SIGPIPE it caused before restoring the thread's mask (the write
 * itself fails with EPIPE, which becomes KZ_EAGAIN).
 *
 * hiredis 0.14 (Debian 12): redisConnectWithTimeout, redisSetTimeout,
 * redisCommandArgv, redisAppendCommandArgv + redisGetReply.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aggregate.h"
#include "agg_internal.h"
#include "redis_int.h"

/* ---------------------------------------------------------------------------
 * Configuration and URLs
 * ------------------------------------------------------------------------ */

void agg_redis_config_default(struct agg_redis_config *c)
{
    if (!c)
        return;
    c->url = "redis://127.0.0.1:6379";
    c->password = NULL;
    c->group = "kzpulse";
    c->minute_ttl_s = 7 * 86400;
    c->hour_ttl_s = 400 * 86400;
    c->timeout_ms = 2000;
}

/* url with any USER:PASSWORD@ masked, for messages. */
static void mask_url(const char *url, char *out, size_t size)
{
    const char *at = strchr(url, '@'), *slash = strstr(url, "://");
    const char *start = slash ? slash + 3 : url;

    if (at && at > start && (!strchr(start, '/') || at < strchr(start, '/')))
        snprintf(out, size, "%.*s***%s", (int)(start - url), url, at);
    else
        snprintf(out, size, "%s", url);
}

/* Parse an unsigned decimal of 1..10 digits at *p, at most max; advances *p. */
static int parse_uint(const char **p, long max, long *out)
{
    const char *s = *p;
    long v = 0;

    if (*s < '0' || *s > '9')
        return -1;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (*s++ - '0');
        if (v > max)
            return -1;
    }
    *p = s;
    *out = v;
    return 0;
}

static int url_error(const char *url, char *err, size_t errlen, const char *why)
{
    char shown[512];

    mask_url(url, shown, sizeof shown);
    return agg_errf(err, errlen, KZ_EINVAL,
                    "redis URL \"%s\": %s (expected redis://[USER:PASSWORD@]HOST[:PORT][/DB])",
                    shown, why);
}

int agg_redis_parse_url(const char *url, struct agg_redis_addr *out, char *err, size_t errlen)
{
    const char *p, *at, *end, *h0, *h1;
    long v;

    if (!url || !out)
        return agg_errf(err, errlen, KZ_EINVAL, "redis URL: missing");
    memset(out, 0, sizeof *out);
    out->port = 6379;
    if (strncasecmp(url, "redis://", 8) != 0)
        return url_error(url, err, errlen, "not a redis:// URL");
    p = url + 8;
    end = p + strcspn(p, "/");
    at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));

        if (!colon)
            return url_error(url, err, errlen, "credentials must be USER:PASSWORD or :PASSWORD");
        if ((size_t)(colon - p) >= sizeof out->user ||
            (size_t)(at - colon - 1) >= sizeof out->password)
            return url_error(url, err, errlen, "credentials too long");
        memcpy(out->user, p, (size_t)(colon - p));
        memcpy(out->password, colon + 1, (size_t)(at - colon - 1));
        p = at + 1;
    }
    if (*p == '[') {
        h0 = p + 1;
        h1 = memchr(h0, ']', (size_t)(end - h0));
        if (!h1)
            return url_error(url, err, errlen, "unterminated [IPv6 address]");
        p = h1 + 1;
    } else {
        h0 = p;
        h1 = p + strcspn(p, ":/");
        p = h1;
    }
    if (h1 == h0)
        return url_error(url, err, errlen, "no host");
    if ((size_t)(h1 - h0) >= sizeof out->host)
        return url_error(url, err, errlen, "host name too long");
    for (const char *q = h0; q < h1; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '.' || *q == '-' || *q == '_' || *q == ':' || *q == '%'))
            return url_error(url, err, errlen, "bad character in host");
    memcpy(out->host, h0, (size_t)(h1 - h0));
    if (*p == ':') {
        p++;
        if (parse_uint(&p, 65535, &v) || v == 0)
            return url_error(url, err, errlen, "port must be 1..65535");
        out->port = (int)v;
    }
    if (*p == '/') {
        p++;
        if (*p) {
            if (parse_uint(&p, INT_MAX, &v))
                return url_error(url, err, errlen, "database must be a number");
            out->db = (int)v;
        }
    }
    if (*p)
        return url_error(url, err, errlen, "unexpected text after the address");
    return KZ_OK;
}

/* ---------------------------------------------------------------------------
 * Connection and commands
 * ------------------------------------------------------------------------ */

struct sigpipe_guard {
    sigset_t old;
    int was_pending;
};

static void guard_on(struct sigpipe_guard *g)
{
    sigset_t pipe, pending;

    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    g->was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe, &g->old);
}

static void guard_off(struct sigpipe_guard *g)
{
    static const struct timespec zero = {0, 0};
    sigset_t pipe, pending;

    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    if (!g->was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1)
        while (sigtimedwait(&pipe, NULL, &zero) < 0 && errno == EINTR)
            ;
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

void agg_redis_drop(struct agg_redis_conn *c)
{
    if (c->c)
        redisFree(c->c);
    c->c = NULL;
    c->sha[0] = '\0';
}

int agg_redis_lost(struct agg_redis_conn *c, const char *what, char *err, size_t errlen)
{
    int oom = c->c && c->c->err == REDIS_ERR_OOM;
    int rc = oom ? KZ_ENOMEM : KZ_EAGAIN;

    agg_errf(err, errlen, rc, "redis %s: %s: %s", c->where, what,
             c->c && c->c->errstr[0] ? c->c->errstr : "connection lost");
    agg_redis_drop(c);
    if (rc == KZ_EAGAIN)
        c->st.unavailable++;
    return rc;
}

/* Error replies a server gives while it cannot serve for a moment. */
static int transient(const char *msg)
{
    static const char *const codes[] = {"BUSY", "LOADING", "TRYAGAIN", "MASTERDOWN", "OOM"};

    for (size_t i = 0; i < KZ_ARRAY_LEN(codes); i++) {
        size_t n = strlen(codes[i]);

        if (strncmp(msg, codes[i], n) == 0 && (msg[n] == ' ' || msg[n] == '\0'))
            return 1;
    }
    return 0;
}

int agg_redis_reply_error(struct agg_redis_conn *c, const redisReply *r, const char *what,
                          char *err, size_t errlen)
{
    int rc = transient(r->str) ? KZ_EAGAIN : KZ_EIO;

    if (rc == KZ_EAGAIN)
        c->st.unavailable++;
    return agg_errf(err, errlen, rc, "redis %s: %s: %.*s", c->where, what, (int)r->len, r->str);
}

int agg_redis_unexpected(struct agg_redis_conn *c, const redisReply *r, const char *what, char *err,
                         size_t errlen)
{
    return agg_errf(err, errlen, KZ_EIO, "redis %s: %s: unexpected reply (type %d)", c->where, what,
                    r ? r->type : -1);
}

/* An error reply is turned into its code here (and freed). */
redisReply *agg_redis_call(struct agg_redis_conn *c, int argc, const char **argv,
                           const size_t *lens)
{
    struct sigpipe_guard g;
    redisReply *r;

    guard_on(&g);
    r = redisCommandArgv(c->c, argc, argv, lens);
    guard_off(&g);
    return r;
}

int agg_redis_command(struct agg_redis_conn *c, int argc, const char **argv, const size_t *lens,
                      const char *what, redisReply **out, char *err, size_t errlen)
{
    redisReply *r = agg_redis_call(c, argc, argv, lens);

    *out = NULL;
    if (!r)
        return agg_redis_lost(c, what, err, errlen);
    if (r->type == REDIS_REPLY_ERROR) {
        int rc = agg_redis_reply_error(c, r, what, err, errlen);

        freeReplyObject(r);
        return rc;
    }
    *out = r;
    return KZ_OK;
}

int agg_redis_connect(struct agg_redis_conn *c, char *err, size_t errlen)
{
    const char *argv[3];
    size_t lens[3];
    redisReply *r;
    int rc;

    if (c->c && !c->c->err)
        return KZ_OK;
    agg_redis_drop(c);
    c->c = redisConnectWithTimeout(c->addr.host, c->addr.port, c->timeout);
    if (!c->c)
        return agg_errf(err, errlen, KZ_ENOMEM, "redis %s: cannot allocate a context", c->where);
    if (c->c->err)
        return agg_redis_lost(c, "connect", err, errlen);
    if (redisSetTimeout(c->c, c->timeout) != REDIS_OK)
        return agg_redis_lost(c, "setting the timeout", err, errlen);
    if (c->addr.password[0]) {
        int argc = 0;

        argv[argc] = "AUTH";
        lens[argc++] = 4;
        if (c->addr.user[0]) {
            argv[argc] = c->addr.user;
            lens[argc++] = strlen(c->addr.user);
        }
        argv[argc] = c->addr.password;
        lens[argc++] = strlen(c->addr.password);
        if ((rc = agg_redis_command(c, argc, argv, lens, "AUTH", &r, err, errlen)))
            goto fail;
        freeReplyObject(r);
    }
    if (c->addr.db) {
        char db[AGG_REDIS_NUM_MAX];

        argv[0] = "SELECT";
        lens[0] = 6;
        argv[1] = db;
        lens[1] = (size_t)snprintf(db, sizeof db, "%d", c->addr.db);
        if ((rc = agg_redis_command(c, 2, argv, lens, "SELECT", &r, err, errlen)))
            goto fail;
        freeReplyObject(r);
    }
    argv[0] = "SCRIPT";
    lens[0] = 6;
    argv[1] = "LOAD";
    lens[1] = 4;
    argv[2] = c->script;
    lens[2] = c->script_len;
    if ((rc = agg_redis_command(c, 3, argv, lens, "SCRIPT LOAD", &r, err, errlen)))
        goto fail;
    if (r->type != REDIS_REPLY_STRING || r->len != 40) {
        rc = agg_redis_unexpected(c, r, "SCRIPT LOAD", err, errlen);
        freeReplyObject(r);
        goto fail;
    }
    memcpy(c->sha, r->str, 40);
    c->sha[40] = '\0';
    freeReplyObject(r);
    c->st.connects++;
    return KZ_OK;
fail:
    agg_redis_drop(c);
    return rc;
}

int agg_redis_pipeline(struct agg_redis_conn *c, size_t n, agg_redis_build_fn build,
                       agg_redis_reply_fn on_reply, void *ctx, const char *what, char *err,
                       size_t errlen)
{
    struct sigpipe_guard g;
    int rc;

    if ((rc = agg_redis_connect(c, err, errlen)))
        return rc;
    guard_on(&g);
    for (size_t lo = 0; lo < n && !rc; lo += AGG_REDIS_PIPELINE) {
        size_t hi = n - lo > AGG_REDIS_PIPELINE ? lo + AGG_REDIS_PIPELINE : n;

        for (size_t i = lo; i < hi && !rc; i++) {
            const char *argv[AGG_REDIS_CMD_ARGS];
            size_t lens[AGG_REDIS_CMD_ARGS];
            int argc = 0;

            if (!(rc = build(ctx, i, argv, lens, &argc)) &&
                redisAppendCommandArgv(c->c, argc, argv, lens) != REDIS_OK)
                rc = agg_redis_lost(c, what, err, errlen);
        }
        for (size_t i = lo; i < hi && !rc; i++) {
            void *vr = NULL;
            redisReply *r;

            if (redisGetReply(c->c, &vr) != REDIS_OK || !vr) {
                rc = agg_redis_lost(c, what, err, errlen);
                break;
            }
            r = vr;
            if (r->type == REDIS_REPLY_ERROR)
                rc = agg_redis_reply_error(c, r, what, err, errlen);
            else
                rc = on_reply(ctx, i, r, err, errlen);
            freeReplyObject(r);
        }
    }
    guard_off(&g);
    /* Replies may be left unread: never reuse this connection. */
    if (rc)
        agg_redis_drop(c);
    return rc;
}
