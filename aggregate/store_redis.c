/* store_redis.c -- the Redis store: counters, top-k and HyperLogLogs in Redis, one script per apply.
 *
 * Design: the live store, shared by every kzpulse process of a consumer
 * group.  Counters are commutative increments, so processes need no
 * coordination beyond Redis itself; what makes a flush effectively-once is
 * that its increments and the offsets of the partitions it covers are applied
 * together by one Lua script, which Redis runs atomically.  The script first
 * compares the batch's positions with the offsets stored for the group: when
 * none is newer, the batch was applied before (a retry after a lost reply, a
 * replay after a crash) and nothing changes.  Otherwise it checks the type of
 * every key it will write (so a WRONGTYPE conflict aborts before any write),
 * applies HINCRBY, ZINCRBY, PFADD and EXPIREAT, and raises the offsets.
 * Queries are read-only: pipelined HGET/HGETALL/ZRANGE over the bucket keys of
 * the window, merged and ranked here, so results match the in-process store's
 * (store_mem.c) exactly, including distinct counts, because hll.c computes
 * what PFCOUNT computes.
 *
 * Schema, version 1 (dashboards depend on it; the README copies this block).
 * Every key starts with "kzp:v1:".  {x} is a placeholder: the braces are not
 * part of the key.  An epoch minute (hour) is floor(ms since 1970-01-01 UTC /
 * 60 000 (3 600 000)), written in decimal; the bucket holds [start, start +
 * width).  Dimensions, members and their folding are those of aggregate.h.
 *
 *   kzp:v1:m:{epoch_minute}            hash  dimension -> posts in the minute
 *   kzp:v1:h:{epoch_hour}              hash  dimension -> posts in the hour
 *   kzp:v1:top:{epoch_hour}:{kind}     zset  member -> posts; kind is hashtag,
 *                                            term or channel
 *   kzp:v1:authors:{epoch_hour}:{dim}  HLL   distinct authors; dim is all,
 *                                            topic:<t> or region:<r>
 *   kzp:v1:offsets:{group}             hash  "<source>/<partition>" -> last
 *                                            applied offset (decimal)
 *
 *   e.g. HGETALL kzp:v1:m:29416320 -> all 412, topic:protest 37,
 *        topic:protest|region:almaty 9, lang:kk 250, ...
 *
 * Retention follows event time: every write sets EXPIREAT bucket start +
 * minute_ttl_s on m keys and + hour_ttl_s on h, top and authors keys, so
 * replaying old posts never makes old buckets live forever.  A write whose key
 * would already be past its expiry is skipped (counted in expired_keys).  A
 * TTL of 0, or an expiry beyond the year 9999, sets none.  The offsets hash
 * never expires.
 *
 * The script (APPLY_LUA) takes KEYS[1] = the offsets key and an ARGV of
 *   P, then P pairs  field offset          the batch's positions
 *   then triples     "H"|"Z"|"P" key at    select the hash, zset or HLL key
 *                                          to write, expiring at `at` (0: no
 *                                          EXPIREAT)
 *                    "h" field n           HINCRBY key field n
 *                    "z" member n          ZINCRBY key n member
 *                    "p" author ""         PFADD key author (sent 512 at a time)
 * The client groups the ops by key (a sort), so each key is named once.  It
 * returns 0 for a duplicate, 1 for applied.  Offsets are compared as decimal
 * strings (Lua numbers are doubles).  The script is loaded with SCRIPT LOAD on
 * every new connection and called with EVALSHA; NOSCRIPT (a SCRIPT FLUSH, a
 * failover) falls back to EVAL, which caches it again.
 *
 * Limits: one apply is one request, held in memory here and run atomically
 * (so blocking Redis) there: keep batches far below ~64 MB encoded; over
 * RS_MAX_REQUEST it is refused.  Keys other than the offsets key are built by
 * the script, so this works on standalone Redis (and its replicas), not on
 * Redis Cluster.  Sorted-set scores are doubles: exact up to 2^53.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "aggregate.h"
#include "agg_internal.h"
#include "memtab.h"

#define RS_PREFIX "kzp:v1:"
#define RS_MAX_BUCKETS (1u << 24)                    /* a query window larger than this is a bug */
#define RS_MAX_REQUEST ((size_t)512 * 1024 * 1024)   /* Redis's own limit on one request is 1 GB */
#define RS_PIPELINE 1024                             /* commands in flight per round trip */
#define RS_PFCOUNT_DIRECT 4096                       /* hours; above, keep existing keys only */
#define RS_MAX_EXPIREAT 253402300799LL               /* 9999-12-31T23:59:59Z */
#define RS_KEY_MAX 48 /* bytes of a key besides its dimension, NUL included */
#define RS_NUM_MAX 24 /* bytes of a decimal int64, NUL included */
#define RS_CMD_ARGS 5 /* arguments of a pipelined query command, at most */

static const char APPLY_LUA[] =
    "local off = KEYS[1]\n"
    "local np = tonumber(ARGV[1])\n"
    "local function lt(a, b)\n" /* a < b for canonical decimal int64 strings */
    "  local na, nb = string.byte(a, 1) == 45, string.byte(b, 1) == 45\n"
    "  if na ~= nb then return na end\n"
    "  if a == b then return false end\n"
    "  if #a ~= #b then return (#a < #b) ~= na end\n"
    "  return (a < b) ~= na\n"
    "end\n"
    "local fresh = np == 0\n"
    "for i = 1, np do\n"
    "  local cur = redis.call('HGET', off, ARGV[2 * i])\n"
    "  if not cur or lt(cur, ARGV[2 * i + 1]) then fresh = true break end\n"
    "end\n"
    "if not fresh then return 0 end\n"
    "local first, n = 2 * np + 2, #ARGV\n"
    "local want = {H = 'hash', Z = 'zset', P = 'string'}\n"
    "for i = first, n, 3 do\n"
    "  local t = want[ARGV[i]]\n"
    "  if t then\n"
    "    local k = ARGV[i + 1]\n"
    "    local got = redis.call('TYPE', k).ok\n"
    "    if got ~= 'none' and (got ~= t or (t == 'string' and\n"
    "        redis.call('GETRANGE', k, 0, 3) ~= 'HYLL')) then\n"
    "      return redis.error_reply('WRONGTYPE key ' .. k .. ' holds a ' .. got ..\n"
    "        ', kzpulse expects a ' .. (t == 'string' and 'HyperLogLog' or t) ..\n"
    "        ' (nothing applied)')\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local key, at, buf, nb = nil, '0', {}, 0\n"
    "local function done()\n"
    "  if nb > 0 then redis.call('PFADD', key, unpack(buf, 1, nb)) nb = 0 end\n"
    "  if key and at ~= '0' then redis.call('EXPIREAT', key, at) end\n"
    "end\n"
    "for i = first, n, 3 do\n"
    "  local op, a, b = ARGV[i], ARGV[i + 1], ARGV[i + 2]\n"
    "  if op == 'h' then redis.call('HINCRBY', key, a, b)\n"
    "  elseif op == 'z' then redis.call('ZINCRBY', key, b, a)\n"
    "  elseif op == 'p' then\n"
    "    nb = nb + 1 buf[nb] = a\n"
    "    if nb == 512 then redis.call('PFADD', key, unpack(buf, 1, nb)) nb = 0 end\n"
    "  else done() key, at = a, b end\n"
    "end\n"
    "done()\n"
    "for i = 1, np do\n"
    "  local f, o = ARGV[2 * i], ARGV[2 * i + 1]\n"
    "  local cur = redis.call('HGET', off, f)\n"
    "  if not cur or lt(cur, o) then redis.call('HSET', off, f, o) end\n"
    "end\n"
    "return 1\n";

/* What a bucket key holds; the order of the apply sort. */
enum rs_type { RS_MIN = AGG_MINUTE, RS_HOUR = AGG_HOUR, RS_TOP = 2, RS_AUTHORS = 3 };

/* One increment of a batch, before encoding. */
struct rs_op {
    int64_t bucket_ms;
    struct kz_str dim; /* RS_AUTHORS: the dimension in the key */
    struct kz_str arg; /* field, member or author */
    int64_t n;
    uint8_t type; /* enum rs_type */
    uint8_t sub;  /* RS_TOP: enum agg_top_kind */
};

struct rs_store {
    struct agg_redis_addr addr;
    char where[300];    /* HOST:PORT/DB for messages, no credentials */
    char *offsets_key;  /* kzp:v1:offsets:{group} */
    int64_t ttl_s[4];   /* by enum rs_type */
    struct timeval timeout;
    redisContext *c;    /* NULL when disconnected */
    char sha[41];       /* of APPLY_LUA, from SCRIPT LOAD on this connection */
    struct agg_redis_stats st;
    /* Buffers reused from apply to apply and query to query. */
    struct rs_op *ops;
    size_t nops, cap_ops;
    const char **argv;
    size_t *lens, cap_argv;
    char *arena;
    size_t cap_arena;
    char *kbuf;
    size_t cap_kbuf;
};

/* ---------------------------------------------------------------------------
 * Configuration and URLs
 * ------------------------------------------------------------------------ */

void agg_redis_config_default(struct agg_redis_config *c)
{
    if (!c)
        return;
    c->url = "redis://127.0.0.1:6379";
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
    if (*h0 != '[' && memchr(h0, ':', (size_t)(h1 - h0)) && h0[-1] != '[')
        return url_error(url, err, errlen, "an IPv6 host goes in brackets");
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

static void rs_drop(struct rs_store *s)
{
    if (s->c)
        redisFree(s->c);
    s->c = NULL;
    s->sha[0] = '\0';
}

/* The connection failed under a command: forget it, so the next call reconnects. */
static int rs_lost(struct rs_store *s, const char *what, char *err, size_t errlen)
{
    int oom = s->c && s->c->err == REDIS_ERR_OOM;
    int rc = oom ? KZ_ENOMEM : KZ_EAGAIN;

    agg_errf(err, errlen, rc, "redis %s: %s: %s", s->where, what,
             s->c && s->c->errstr[0] ? s->c->errstr : "connection lost");
    rs_drop(s);
    if (rc == KZ_EAGAIN)
        s->st.unavailable++;
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

static int rs_reply_error(struct rs_store *s, const redisReply *r, const char *what, char *err,
                          size_t errlen)
{
    int rc = transient(r->str) ? KZ_EAGAIN : KZ_EIO;

    if (rc == KZ_EAGAIN)
        s->st.unavailable++;
    return agg_errf(err, errlen, rc, "redis %s: %s: %.*s", s->where, what, (int)r->len, r->str);
}

static int rs_unexpected(struct rs_store *s, const redisReply *r, const char *what, char *err,
                         size_t errlen)
{
    return agg_errf(err, errlen, KZ_EIO, "redis %s: %s: unexpected reply (type %d)", s->where,
                    what, r ? r->type : -1);
}

/* Run one command on the current connection; *out is the caller's to free.
 * An error reply is turned into its code here (and freed). */
static int rs_command(struct rs_store *s, int argc, const char **argv, const size_t *lens,
                      const char *what, redisReply **out, char *err, size_t errlen)
{
    redisReply *r = redisCommandArgv(s->c, argc, argv, lens);

    *out = NULL;
    if (!r)
        return rs_lost(s, what, err, errlen);
    if (r->type == REDIS_REPLY_ERROR) {
        int rc = rs_reply_error(s, r, what, err, errlen);

        freeReplyObject(r);
        return rc;
    }
    *out = r;
    return KZ_OK;
}

/* Make sure a connection is up: connect, AUTH, SELECT and load the script. */
static int rs_connect(struct rs_store *s, char *err, size_t errlen)
{
    const char *argv[3];
    size_t lens[3];
    redisReply *r;
    int rc;

    if (s->c && !s->c->err)
        return KZ_OK;
    rs_drop(s);
    s->c = redisConnectWithTimeout(s->addr.host, s->addr.port, s->timeout);
    if (!s->c)
        return agg_errf(err, errlen, KZ_ENOMEM, "redis %s: cannot allocate a context", s->where);
    if (s->c->err)
        return rs_lost(s, "connect", err, errlen);
    if (redisSetTimeout(s->c, s->timeout) != REDIS_OK)
        return rs_lost(s, "setting the timeout", err, errlen);
    if (s->addr.password[0]) {
        int argc = 0;

        argv[argc] = "AUTH";
        lens[argc++] = 4;
        if (s->addr.user[0]) {
            argv[argc] = s->addr.user;
            lens[argc++] = strlen(s->addr.user);
        }
        argv[argc] = s->addr.password;
        lens[argc++] = strlen(s->addr.password);
        if ((rc = rs_command(s, argc, argv, lens, "AUTH", &r, err, errlen)))
            goto fail;
        freeReplyObject(r);
    }
    if (s->addr.db) {
        char db[RS_NUM_MAX];

        argv[0] = "SELECT";
        lens[0] = 6;
        argv[1] = db;
        lens[1] = (size_t)snprintf(db, sizeof db, "%d", s->addr.db);
        if ((rc = rs_command(s, 2, argv, lens, "SELECT", &r, err, errlen)))
            goto fail;
        freeReplyObject(r);
    }
    argv[0] = "SCRIPT";
    lens[0] = 6;
    argv[1] = "LOAD";
    lens[1] = 4;
    argv[2] = APPLY_LUA;
    lens[2] = sizeof APPLY_LUA - 1;
    if ((rc = rs_command(s, 3, argv, lens, "SCRIPT LOAD", &r, err, errlen)))
        goto fail;
    if (r->type != REDIS_REPLY_STRING || r->len != 40) {
        rc = rs_unexpected(s, r, "SCRIPT LOAD", err, errlen);
        freeReplyObject(r);
        goto fail;
    }
    memcpy(s->sha, r->str, 40);
    s->sha[40] = '\0';
    freeReplyObject(r);
    s->st.connects++;
    return KZ_OK;
fail:
    rs_drop(s);
    return rc;
}

/* Grow a buffer of elements of size sz to hold at least n. */
static int grow(void *pp, size_t *cap, size_t n, size_t sz)
{
    void **p = pp;
    size_t c = *cap ? *cap : 64;
    void *q;

    if (n <= *cap)
        return KZ_OK;
    while (c < n) {
        if (c > SIZE_MAX / 2 / sz)
            return KZ_ENOMEM;
        c *= 2;
    }
    q = realloc(*p, c * sz);
    if (!q)
        return KZ_ENOMEM;
    *p = q;
    *cap = c;
    return KZ_OK;
}

/* Builds command i of a pipeline into argv/lens (at most RS_CMD_ARGS arguments). */
typedef int (*rs_build_fn)(struct rs_store *s, void *ctx, size_t i, const char **argv,
                           size_t *lens, int *argc);
/* Consumes reply i (never an error reply; not to be kept). */
typedef int (*rs_reply_fn)(struct rs_store *s, void *ctx, size_t i, const redisReply *r,
                           char *err, size_t errlen);

/* Send n commands, RS_PIPELINE per round trip, handing each reply to on_reply.
 * Any failure drops the connection, so no unread reply is left behind. */
static int rs_pipeline(struct rs_store *s, size_t n, rs_build_fn build, rs_reply_fn on_reply,
                       void *ctx, const char *what, char *err, size_t errlen)
{
    int rc;

    if ((rc = rs_connect(s, err, errlen)))
        return rc;
    for (size_t lo = 0; lo < n; lo += RS_PIPELINE) {
        size_t hi = n - lo > RS_PIPELINE ? lo + RS_PIPELINE : n;

        for (size_t i = lo; i < hi; i++) {
            const char *argv[RS_CMD_ARGS];
            size_t lens[RS_CMD_ARGS];
            int argc = 0;

            if ((rc = build(s, ctx, i, argv, lens, &argc)))
                goto fail;
            if (redisAppendCommandArgv(s->c, argc, argv, lens) != REDIS_OK)
                return rs_lost(s, what, err, errlen);
        }
        for (size_t i = lo; i < hi; i++) {
            void *vr = NULL;
            redisReply *r;

            if (redisGetReply(s->c, &vr) != REDIS_OK || !vr)
                return rs_lost(s, what, err, errlen);
            r = vr;
            if (r->type == REDIS_REPLY_ERROR)
                rc = rs_reply_error(s, r, what, err, errlen);
            else
                rc = on_reply(s, ctx, i, r, err, errlen);
            freeReplyObject(r);
            if (rc)
                goto fail;
        }
    }
    return KZ_OK;
fail:
    rs_drop(s);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------ */

static const int64_t rs_width[4] = {AGG_MINUTE_MS, AGG_HOUR_MS, AGG_HOUR_MS, AGG_HOUR_MS};

/* Write the key of a bucket into dst, which holds RS_KEY_MAX + dim.n bytes.
 * Returns its length (a NUL follows). */
static size_t rs_format_key(char *dst, enum rs_type t, int64_t bucket_ms, int sub,
                            struct kz_str dim)
{
    long long unit = (long long)(bucket_ms / rs_width[t]);
    int n;

    switch (t) {
    case RS_MIN:
        n = snprintf(dst, RS_KEY_MAX, RS_PREFIX "m:%lld", unit);
        break;
    case RS_HOUR:
        n = snprintf(dst, RS_KEY_MAX, RS_PREFIX "h:%lld", unit);
        break;
    case RS_TOP:
        n = snprintf(dst, RS_KEY_MAX, RS_PREFIX "top:%lld:%s", unit,
                     agg_top_kind_name((enum agg_top_kind)sub));
        break;
    default:
        n = snprintf(dst, RS_KEY_MAX, RS_PREFIX "authors:%lld:", unit);
        if (dim.n)
            memcpy(dst + n, dim.p, dim.n);
        n += (int)dim.n;
        dst[n] = '\0';
        break;
    }
    return (size_t)n;
}

/* The same into s->kbuf, for queries. */
static int rs_key(struct rs_store *s, enum rs_type t, int64_t bucket_ms, int sub,
                  struct kz_str dim, size_t *len)
{
    int rc = grow(&s->kbuf, &s->cap_kbuf, RS_KEY_MAX + dim.n, 1);

    if (rc)
        return rc;
    *len = rs_format_key(s->kbuf, t, bucket_ms, sub, dim);
    return KZ_OK;
}

/* When a key of the bucket starting at bucket_ms expires: *at = 0 for never.
 * Returns 1 when that moment is already past (the write is to be skipped). */
static int rs_expiry(const struct rs_store *s, enum rs_type t, int64_t bucket_ms, int64_t now_s,
                     int64_t *at)
{
    int64_t ttl = s->ttl_s[t], start = bucket_ms / 1000; /* buckets are whole seconds */

    *at = 0;
    if (ttl == 0 || start > RS_MAX_EXPIREAT - ttl)
        return 0;
    *at = start + ttl;
    return *at <= now_s;
}

/* Floor t to w, clamped at the bottom of int64 (agg_batch_add refuses such times). */
static int64_t align_clamped(int64_t t, int64_t w)
{
    int64_t a;

    if (agg_align(t, w, &a))
        return (INT64_MIN / w) * w;
    return a;
}

/* The buckets of width w in [from, to): the first start and how many. */
static int rs_window(int64_t from, int64_t to, int64_t w, int64_t *first, size_t *n, char *err,
                     size_t errlen)
{
    int64_t fa = align_clamped(from, w), ta = align_clamped(to, w);
    uint64_t k;

    *first = fa;
    *n = 0;
    if (ta <= fa)
        return KZ_OK;
    k = ((uint64_t)ta - (uint64_t)fa) / (uint64_t)w;
    if (k > RS_MAX_BUCKETS)
        return agg_errf(err, errlen, KZ_ERANGE,
                        "window of %llu %s buckets is over the limit of %u",
                        (unsigned long long)k, w == AGG_MINUTE_MS ? "minute" : "hour",
                        RS_MAX_BUCKETS);
    *n = (size_t)k;
    return KZ_OK;
}

/* A strict decimal int64 of exactly n bytes. */
static int parse_i64(const char *p, size_t n, int64_t *out)
{
    char buf[RS_NUM_MAX], *end;
    long long v;

    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno || *end || buf[0] == ' ' || buf[0] == '+')
        return -1;
    *out = v;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Apply
 * ------------------------------------------------------------------------ */

static int op_add(struct rs_store *s, struct rs_op op)
{
    int rc = grow(&s->ops, &s->cap_ops, s->nops + 1, sizeof *s->ops);

    if (rc)
        return rc;
    s->ops[s->nops++] = op;
    return KZ_OK;
}

static int gather_count(void *ctx, enum agg_gran g, int64_t bucket_ms, struct kz_str dim,
                        int64_t n)
{
    struct rs_op op = {bucket_ms, KZ_STR_NULL, dim, n, (uint8_t)g, 0};

    return op_add(ctx, op);
}

static int gather_top(void *ctx, int64_t hour_ms, enum agg_top_kind k, struct kz_str member,
                      int64_t n)
{
    struct rs_op op = {hour_ms, KZ_STR_NULL, member, n, RS_TOP, (uint8_t)k};

    return op_add(ctx, op);
}

static int gather_author(void *ctx, int64_t hour_ms, struct kz_str dim, struct kz_str author)
{
    struct rs_op op = {hour_ms, dim, author, 0, RS_AUTHORS, 0};

    return op_add(ctx, op);
}

/* Order by key: type, bucket, top kind, authors dimension. */
static int op_key_cmp(const struct rs_op *x, const struct rs_op *y)
{
    size_t n;
    int c;

    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    if (x->bucket_ms != y->bucket_ms)
        return x->bucket_ms < y->bucket_ms ? -1 : 1;
    if (x->sub != y->sub)
        return x->sub < y->sub ? -1 : 1;
    n = x->dim.n < y->dim.n ? x->dim.n : y->dim.n;
    c = n ? memcmp(x->dim.p, y->dim.p, n) : 0;
    if (c)
        return c;
    return x->dim.n < y->dim.n ? -1 : x->dim.n > y->dim.n;
}

static int op_cmp(const void *a, const void *b)
{
    return op_key_cmp(a, b);
}

/* Appends arguments; the arena was sized beforehand, so pointers stay valid. */
struct encoder {
    struct rs_store *s;
    size_t argc, used, bytes;
};

static void put(struct encoder *e, const char *p, size_t n)
{
    e->s->argv[e->argc] = p;
    e->s->lens[e->argc++] = n;
    e->bytes += n + 16; /* "$<len>\r\n" ... "\r\n" */
}

static void put_num(struct encoder *e, int64_t v)
{
    char *p = e->s->arena + e->used;
    int n = snprintf(p, RS_NUM_MAX, "%lld", (long long)v);

    e->used += (size_t)n + 1;
    put(e, p, (size_t)n);
}

/* Encode pos and s->ops (sorted) as EVALSHA arguments; see the top comment. */
static int encode(struct rs_store *s, const struct agg_position *pos, size_t npos, int64_t now_s,
                  struct encoder *e)
{
    size_t nargs = 5 + 2 * npos, arena = RS_NUM_MAX, skip_from = SIZE_MAX;
    int rc;

    for (size_t i = 0; i < npos; i++)
        arena += strlen(pos[i].source) + 2 * RS_NUM_MAX;
    for (size_t i = 0; i < s->nops; i++) {
        if (i == 0 || op_key_cmp(&s->ops[i - 1], &s->ops[i]) != 0) {
            nargs += 3;
            arena += RS_KEY_MAX + s->ops[i].dim.n + RS_NUM_MAX;
        }
        nargs += 3;
        arena += RS_NUM_MAX;
    }
    if ((rc = grow(&s->argv, &s->cap_argv, nargs, sizeof *s->argv)))
        return rc;
    if (s->cap_argv > SIZE_MAX / sizeof *s->lens)
        return KZ_ENOMEM;
    {
        size_t *l = realloc(s->lens, s->cap_argv * sizeof *l);

        if (!l)
            return KZ_ENOMEM;
        s->lens = l;
    }
    if ((rc = grow(&s->arena, &s->cap_arena, arena, 1)))
        return rc;

    memset(e, 0, sizeof *e);
    e->s = s;
    put(e, "EVALSHA", 7);
    put(e, s->sha, 40);
    put(e, "1", 1);
    put(e, s->offsets_key, strlen(s->offsets_key));
    put_num(e, (int64_t)npos);
    for (size_t i = 0; i < npos; i++) {
        char *p = s->arena + e->used;
        size_t n = strlen(pos[i].source);

        memcpy(p, pos[i].source, n);
        n += (size_t)snprintf(p + n, 2 * RS_NUM_MAX, "/%ld", (long)pos[i].partition);
        e->used += n + 1;
        put(e, p, n);
        put_num(e, pos[i].offset);
    }
    for (size_t i = 0; i < s->nops; i++) {
        const struct rs_op *op = &s->ops[i];

        if (i == 0 || op_key_cmp(&s->ops[i - 1], op) != 0) {
            static const char sel[] = "HHZP"; /* by enum rs_type */
            int64_t at;
            char *p;
            size_t n;

            if (rs_expiry(s, (enum rs_type)op->type, op->bucket_ms, now_s, &at)) {
                s->st.expired_keys++;
                skip_from = i;
                continue;
            }
            skip_from = SIZE_MAX;
            p = s->arena + e->used;
            n = rs_format_key(p, (enum rs_type)op->type, op->bucket_ms, op->sub, op->dim);
            e->used += n + 1;
            put(e, &sel[op->type], 1);
            put(e, p, n);
            put_num(e, at);
        } else if (skip_from != SIZE_MAX) {
            continue;
        }
        switch (op->type) {
        case RS_MIN:
        case RS_HOUR:
            put(e, "h", 1);
            put(e, op->arg.p, op->arg.n);
            put_num(e, op->n);
            break;
        case RS_TOP:
            put(e, "z", 1);
            put(e, op->arg.p, op->arg.n);
            put_num(e, op->n);
            break;
        default:
            put(e, "p", 1);
            put(e, op->arg.p, op->arg.n);
            put(e, "", 0);
            break;
        }
    }
    return KZ_OK;
}

static int redis_apply(void *self, const struct agg_batch *b, const struct agg_position *pos,
                       size_t npos, char *err, size_t errlen)
{
    struct rs_store *s = self;
    struct encoder e;
    redisReply *r;
    int rc;

    s->nops = 0;
    if ((rc = agg_batch_foreach_count(b, gather_count, s)) ||
        (rc = agg_batch_foreach_top(b, gather_top, s)) ||
        (rc = agg_batch_foreach_author(b, gather_author, s)))
        return agg_errf(err, errlen, rc, "apply: collecting %zu keys: %s (nothing applied)",
                        agg_batch_keys(b), kz_strerror(rc));
    if (s->nops > 1)
        qsort(s->ops, s->nops, sizeof *s->ops, op_cmp);
    /* Connect first: the script's SHA is one of the arguments. */
    if ((rc = rs_connect(s, err, errlen)))
        return rc;
    if ((rc = encode(s, pos, npos, (int64_t)time(NULL), &e)))
        return agg_errf(err, errlen, rc, "apply: encoding %zu increments: %s (nothing applied)",
                        s->nops, kz_strerror(rc));
    if (e.bytes > RS_MAX_REQUEST || e.argc > INT_MAX)
        return agg_errf(err, errlen, KZ_ERANGE,
                        "apply: the batch encodes to %zu MB, over the %zu MB a script call may "
                        "take: flush more often (nothing applied)",
                        e.bytes >> 20, RS_MAX_REQUEST >> 20);

    r = redisCommandArgv(s->c, (int)e.argc, s->argv, s->lens);
    if (!r)
        return rs_lost(s, "apply", err, errlen);
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(r);
        s->st.noscript++;
        s->argv[0] = "EVAL";
        s->lens[0] = 4;
        s->argv[1] = APPLY_LUA;
        s->lens[1] = sizeof APPLY_LUA - 1;
        r = redisCommandArgv(s->c, (int)e.argc, s->argv, s->lens);
        if (!r)
            return rs_lost(s, "apply", err, errlen);
    }
    if (r->type == REDIS_REPLY_ERROR)
        rc = rs_reply_error(s, r, "apply", err, errlen);
    else if (r->type == REDIS_REPLY_INTEGER && (r->integer == 0 || r->integer == 1))
        rc = r->integer ? KZ_OK : 1;
    else
        rc = rs_unexpected(s, r, "apply", err, errlen);
    freeReplyObject(r);
    if (rc == KZ_OK)
        s->st.applied++;
    else if (rc == 1)
        s->st.duplicates++;
    return rc;
}

/* ---------------------------------------------------------------------------
 * Queries
 * ------------------------------------------------------------------------ */

/* Totals by string (member or dimension), summed over buckets. */
struct rs_acc {
    struct agg_strtab strs;
    int64_t *sum; /* by string id */
    size_t cap;
};

static int acc_add(struct rs_acc *a, const char *p, size_t n, int64_t v)
{
    uint32_t id;
    size_t old = a->cap;
    int rc;

    if ((rc = agg_strtab_intern(&a->strs, p, n, &id)) ||
        (rc = grow(&a->sum, &a->cap, (size_t)id + 1, sizeof *a->sum)))
        return rc;
    if (a->cap > old)
        memset(a->sum + old, 0, (a->cap - old) * sizeof *a->sum);
    a->sum[id] += v;
    return KZ_OK;
}

static void acc_free(struct rs_acc *a)
{
    agg_strtab_free(&a->strs);
    free(a->sum);
}

/* agg_member and agg_dimcount have this layout; results are built as these. */
struct rs_ranked {
    char *s;
    int64_t count;
};

/* Same order as store_mem.c: count descending, then bytes ascending (strings
 * hold no NUL, so strcmp is memcmp with the shorter first). */
static int ranked_cmp(const void *a, const void *b)
{
    const struct rs_ranked *x = a, *y = b;

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->s, y->s);
}

/* The non-zero totals of a, ranked, at most limit (0: all), as owned strings. */
static int acc_rank(const struct rs_acc *a, size_t limit, struct rs_ranked **out, size_t *n)
{
    struct rs_ranked *r;
    size_t k = 0;

    *out = NULL;
    *n = 0;
    if (a->strs.n == 0)
        return KZ_OK;
    r = calloc(a->strs.n, sizeof *r);
    if (!r)
        return KZ_ENOMEM;
    for (uint32_t id = 0; id < a->strs.n; id++) {
        size_t len;

        if (a->sum[id] == 0)
            continue;
        r[k].s = (char *)agg_strtab_str(&a->strs, id, &len); /* borrowed until copied below */
        r[k++].count = a->sum[id];
    }
    qsort(r, k, sizeof *r, ranked_cmp);
    if (limit && k > limit)
        k = limit;
    for (size_t i = 0; i < k; i++) {
        size_t len = strlen(r[i].s);
        char *d = malloc(len + 1);

        if (!d) {
            for (size_t j = 0; j < i; j++)
                free(r[j].s);
            free(r);
            return KZ_ENOMEM;
        }
        memcpy(d, r[i].s, len + 1);
        r[i].s = d;
    }
    *out = r;
    *n = k;
    return KZ_OK;
}

/* The state of one windowed query. */
struct rs_query {
    enum rs_type type;
    int sub;
    int64_t first; /* start of bucket 0 */
    struct kz_str dim;
    const char *prefix;
    size_t plen;
    int crosses;
    struct agg_series *series;
    struct rs_acc acc;
};

static int64_t q_bucket(const struct rs_query *q, size_t i)
{
    return q->first + (int64_t)i * rs_width[q->type];
}

static int build_hget(struct rs_store *s, void *ctx, size_t i, const char **argv, size_t *lens,
                      int *argc)
{
    struct rs_query *q = ctx;
    int rc = rs_key(s, q->type, q_bucket(q, i), 0, KZ_STR_NULL, &lens[1]);

    if (rc)
        return rc;
    argv[0] = "HGET";
    lens[0] = 4;
    argv[1] = s->kbuf;
    argv[2] = q->dim.p;
    lens[2] = q->dim.n;
    *argc = 3;
    return KZ_OK;
}

static int on_hget(struct rs_store *s, void *ctx, size_t i, const redisReply *r, char *err,
                   size_t errlen)
{
    struct rs_query *q = ctx;
    int64_t v;

    if (r->type == REDIS_REPLY_NIL)
        return KZ_OK;
    if (r->type != REDIS_REPLY_STRING || parse_i64(r->str, r->len, &v))
        return rs_unexpected(s, r, "series: HGET", err, errlen);
    q->series->points[i].count = v;
    q->series->total += v;
    return KZ_OK;
}

static int redis_series(void *self, enum agg_gran g, const char *dim, int64_t from_ms,
                        int64_t to_ms, struct agg_series *out, char *err, size_t errlen)
{
    struct rs_store *s = self;
    struct rs_query q = {.type = (enum rs_type)g, .dim = kz_str_make(dim, strlen(dim))};
    size_t n;
    int rc;

    if ((rc = rs_window(from_ms, to_ms, rs_width[g], &q.first, &n, err, errlen)) || n == 0)
        return rc;
    out->points = calloc(n, sizeof *out->points);
    if (!out->points)
        return KZ_ENOMEM;
    out->n = n;
    for (size_t i = 0; i < n; i++)
        out->points[i].bucket_ms = q_bucket(&q, i);
    q.series = out;
    return rs_pipeline(s, n, build_hget, on_hget, &q, "series", err, errlen);
}

static int build_zrange(struct rs_store *s, void *ctx, size_t i, const char **argv, size_t *lens,
                        int *argc)
{
    struct rs_query *q = ctx;
    int rc = rs_key(s, RS_TOP, q_bucket(q, i), q->sub, KZ_STR_NULL, &lens[1]);

    if (rc)
        return rc;
    argv[0] = "ZRANGE";
    lens[0] = 6;
    argv[1] = s->kbuf;
    argv[2] = "0";
    lens[2] = 1;
    argv[3] = "-1";
    lens[3] = 2;
    argv[4] = "WITHSCORES";
    lens[4] = 10;
    *argc = 5;
    return KZ_OK;
}

/* A sorted-set score that counts posts: a whole number (Redis prints them so). */
static int parse_score(const char *p, size_t n, int64_t *out)
{
    char buf[64], *end;
    double d;

    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    errno = 0;
    d = strtod(buf, &end);
    if (errno || *end || !(d >= -9.2e18 && d <= 9.2e18) || d != floor(d))
        return -1;
    *out = (int64_t)d;
    return 0;
}

static int on_zrange(struct rs_store *s, void *ctx, size_t i, const redisReply *r, char *err,
                     size_t errlen)
{
    struct rs_query *q = ctx;

    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2)
        return rs_unexpected(s, r, "topk: ZRANGE", err, errlen);
    for (size_t j = 0; j < r->elements; j += 2) {
        const redisReply *m = r->element[j], *sc = r->element[j + 1];
        int64_t v;
        int rc;

        if (!m || !sc || m->type != REDIS_REPLY_STRING || sc->type != REDIS_REPLY_STRING ||
            parse_score(sc->str, sc->len, &v))
            return rs_unexpected(s, m && m->type != REDIS_REPLY_STRING ? m : sc, "topk: ZRANGE",
                                 err, errlen);
        if ((rc = acc_add(&q->acc, m->str, m->len, v)))
            return rc;
    }
    return KZ_OK;
}

static int redis_topk(void *self, enum agg_top_kind k, int64_t from_ms, int64_t to_ms,
                      size_t limit, struct agg_top *out, char *err, size_t errlen)
{
    struct rs_store *s = self;
    struct rs_query q = {.type = RS_TOP, .sub = (int)k};
    struct rs_ranked *r;
    size_t n;
    int rc;

    if ((rc = rs_window(from_ms, to_ms, AGG_HOUR_MS, &q.first, &n, err, errlen)) || n == 0)
        return rc;
    rc = rs_pipeline(s, n, build_zrange, on_zrange, &q, "topk", err, errlen);
    if (!rc)
        rc = acc_rank(&q.acc, limit, &r, &n);
    acc_free(&q.acc);
    if (rc)
        return rc;
    out->items = (struct agg_member *)r; /* same layout: char *, int64_t */
    out->n = n;
    return KZ_OK;
}

/* Distinct: EXISTS over a long window first, to send PFCOUNT only the keys that exist. */
struct rs_distinct {
    struct rs_query q;
    char **keys; /* of hours with a sketch */
    size_t n;
};

static int build_exists(struct rs_store *s, void *ctx, size_t i, const char **argv,
                        size_t *lens, int *argc)
{
    struct rs_distinct *d = ctx;
    int rc = rs_key(s, RS_AUTHORS, q_bucket(&d->q, i), 0, d->q.dim, &lens[1]);

    if (rc)
        return rc;
    argv[0] = "EXISTS";
    lens[0] = 6;
    argv[1] = s->kbuf;
    *argc = 2;
    return KZ_OK;
}

static int on_exists(struct rs_store *s, void *ctx, size_t i, const redisReply *r, char *err,
                     size_t errlen)
{
    struct rs_distinct *d = ctx;
    size_t len;
    int rc;

    if (r->type != REDIS_REPLY_INTEGER)
        return rs_unexpected(s, r, "distinct: EXISTS", err, errlen);
    if (!r->integer)
        return KZ_OK;
    if ((rc = rs_key(s, RS_AUTHORS, q_bucket(&d->q, i), 0, d->q.dim, &len)))
        return rc;
    if (!(d->keys[d->n] = malloc(len + 1)))
        return KZ_ENOMEM;
    memcpy(d->keys[d->n++], s->kbuf, len + 1);
    return KZ_OK;
}

static int redis_distinct(void *self, const char *dim, int64_t from_ms, int64_t to_ms,
                          uint64_t *out, char *err, size_t errlen)
{
    struct rs_store *s = self;
    struct rs_distinct d = {.q = {.type = RS_AUTHORS, .dim = kz_str_make(dim, strlen(dim))}};
    const char **argv = NULL;
    size_t *lens = NULL, n;
    redisReply *r = NULL;
    int rc;

    if ((rc = rs_window(from_ms, to_ms, AGG_HOUR_MS, &d.q.first, &n, err, errlen)) || n == 0)
        return rc;
    if (!(d.keys = calloc(n, sizeof *d.keys)))
        return KZ_ENOMEM;
    if (n > RS_PFCOUNT_DIRECT) {
        rc = rs_pipeline(s, n, build_exists, on_exists, &d, "distinct", err, errlen);
    } else {
        for (size_t i = 0; i < n && !rc; i++) {
            size_t len;

            if (!(rc = rs_key(s, RS_AUTHORS, q_bucket(&d.q, i), 0, d.q.dim, &len))) {
                if (!(d.keys[i] = malloc(len + 1)))
                    rc = KZ_ENOMEM;
                else
                    memcpy(d.keys[d.n++], s->kbuf, len + 1);
            }
        }
    }
    if (rc || d.n == 0)
        goto out;
    argv = malloc((d.n + 1) * sizeof *argv);
    lens = malloc((d.n + 1) * sizeof *lens);
    if (!argv || !lens) {
        rc = KZ_ENOMEM;
        goto out;
    }
    argv[0] = "PFCOUNT";
    lens[0] = 7;
    for (size_t i = 0; i < d.n; i++) {
        argv[i + 1] = d.keys[i];
        lens[i + 1] = strlen(d.keys[i]);
    }
    if (d.n + 1 > INT_MAX) {
        rc = KZ_ERANGE;
        goto out;
    }
    if ((rc = rs_connect(s, err, errlen)) ||
        (rc = rs_command(s, (int)d.n + 1, argv, lens, "distinct: PFCOUNT", &r, err, errlen)))
        goto out;
    if (r->type != REDIS_REPLY_INTEGER || r->integer < 0)
        rc = rs_unexpected(s, r, "distinct: PFCOUNT", err, errlen);
    else
        *out = (uint64_t)r->integer;
    freeReplyObject(r);
out:
    for (size_t i = 0; i < d.n; i++)
        free(d.keys[i]);
    free(d.keys);
    free(argv);
    free(lens);
    return rc;
}

static int build_hgetall(struct rs_store *s, void *ctx, size_t i, const char **argv,
                         size_t *lens, int *argc)
{
    struct rs_query *q = ctx;
    int rc = rs_key(s, q->type, q_bucket(q, i), 0, KZ_STR_NULL, &lens[1]);

    if (rc)
        return rc;
    argv[0] = "HGETALL";
    lens[0] = 7;
    argv[1] = s->kbuf;
    *argc = 2;
    return KZ_OK;
}

static int on_hgetall(struct rs_store *s, void *ctx, size_t i, const redisReply *r, char *err,
                      size_t errlen)
{
    struct rs_query *q = ctx;

    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2)
        return rs_unexpected(s, r, "dims: HGETALL", err, errlen);
    for (size_t j = 0; j < r->elements; j += 2) {
        const redisReply *f = r->element[j], *v = r->element[j + 1];
        int64_t n;
        int rc;

        if (!f || !v || f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
            parse_i64(v->str, v->len, &n))
            return rs_unexpected(s, f && f->type != REDIS_REPLY_STRING ? f : v, "dims: HGETALL",
                                 err, errlen);
        if (f->len < q->plen || memcmp(f->str, q->prefix, q->plen) != 0 ||
            (!q->crosses && memchr(f->str, '|', f->len)))
            continue;
        if ((rc = acc_add(&q->acc, f->str, f->len, n)))
            return rc;
    }
    return KZ_OK;
}

static int redis_dims(void *self, enum agg_gran g, const char *prefix, int64_t from_ms,
                      int64_t to_ms, struct agg_dimcounts *out, char *err, size_t errlen)
{
    struct rs_store *s = self;
    struct rs_query q = {.type = (enum rs_type)g, .prefix = prefix, .plen = strlen(prefix),
                         .crosses = strchr(prefix, '|') != NULL};
    struct rs_ranked *r;
    size_t n;
    int rc;

    if ((rc = rs_window(from_ms, to_ms, rs_width[g], &q.first, &n, err, errlen)) || n == 0)
        return rc;
    rc = rs_pipeline(s, n, build_hgetall, on_hgetall, &q, "dims", err, errlen);
    if (!rc)
        rc = acc_rank(&q.acc, 0, &r, &n);
    acc_free(&q.acc);
    if (rc)
        return rc;
    out->items = (struct agg_dimcount *)r; /* same layout: char *, int64_t */
    out->n = n;
    return KZ_OK;
}

static int redis_offset(void *self, const char *source, int32_t partition, int64_t *offset,
                        char *err, size_t errlen)
{
    struct rs_store *s = self;
    size_t n = strlen(source);
    const char *argv[3];
    size_t lens[3];
    redisReply *r;
    char *field;
    int rc;

    if ((rc = rs_connect(s, err, errlen)))
        return rc;
    if (!(field = malloc(n + RS_NUM_MAX + 1)))
        return KZ_ENOMEM;
    memcpy(field, source, n);
    n += (size_t)snprintf(field + n, RS_NUM_MAX + 1, "/%ld", (long)partition);
    argv[0] = "HGET";
    lens[0] = 4;
    argv[1] = s->offsets_key;
    lens[1] = strlen(s->offsets_key);
    argv[2] = field;
    lens[2] = n;
    rc = rs_command(s, 3, argv, lens, "offset: HGET", &r, err, errlen);
    free(field);
    if (rc)
        return rc;
    if (r->type == REDIS_REPLY_NIL)
        rc = KZ_ENOTFOUND;
    else if (r->type != REDIS_REPLY_STRING || parse_i64(r->str, r->len, offset))
        rc = rs_unexpected(s, r, "offset: HGET", err, errlen);
    freeReplyObject(r);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

static void redis_free(void *self)
{
    struct rs_store *s = self;

    if (!s)
        return;
    rs_drop(s);
    free(s->offsets_key);
    free(s->ops);
    free(s->argv);
    free(s->lens);
    free(s->arena);
    free(s->kbuf);
    free(s);
}

static const struct agg_store_ops redis_ops = {
    .name = "redis",
    .apply = redis_apply,
    .series = redis_series,
    .topk = redis_topk,
    .distinct = redis_distinct,
    .dims = redis_dims,
    .offset = redis_offset,
    .free = redis_free,
};

int agg_store_redis_new(const struct agg_redis_config *cfg, struct agg_store **out, char *err,
                        size_t errlen)
{
    struct agg_redis_config def;
    struct rs_store *s;
    size_t glen;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return agg_errf(err, errlen, KZ_EINVAL, "redis store: no result pointer");
    *out = NULL;
    if (!cfg) {
        agg_redis_config_default(&def);
        cfg = &def;
    }
    if (!cfg->group || !cfg->group[0])
        return agg_errf(err, errlen, KZ_EINVAL, "redis store: empty consumer group name");
    if (cfg->minute_ttl_s < 0 || cfg->hour_ttl_s < 0)
        return agg_errf(err, errlen, KZ_EINVAL, "redis store: negative TTL (%lld s, %lld s)",
                        (long long)cfg->minute_ttl_s, (long long)cfg->hour_ttl_s);
    if (cfg->timeout_ms <= 0)
        return agg_errf(err, errlen, KZ_EINVAL, "redis store: timeout %d ms: must be positive",
                        cfg->timeout_ms);
    if (!(s = calloc(1, sizeof *s)))
        return KZ_ENOMEM;
    if ((rc = agg_redis_parse_url(cfg->url ? cfg->url : "redis://127.0.0.1:6379", &s->addr, err,
                                  errlen))) {
        free(s);
        return rc;
    }
    snprintf(s->where, sizeof s->where, "%s%s%s:%d/%d", strchr(s->addr.host, ':') ? "[" : "",
             s->addr.host, strchr(s->addr.host, ':') ? "]" : "", s->addr.port, s->addr.db);
    glen = strlen(cfg->group);
    if (!(s->offsets_key = malloc(sizeof RS_PREFIX "offsets:" + glen))) {
        free(s);
        return KZ_ENOMEM;
    }
    memcpy(s->offsets_key, RS_PREFIX "offsets:", sizeof RS_PREFIX "offsets:" - 1);
    memcpy(s->offsets_key + sizeof RS_PREFIX "offsets:" - 1, cfg->group, glen + 1);
    s->ttl_s[RS_MIN] = cfg->minute_ttl_s;
    s->ttl_s[RS_HOUR] = s->ttl_s[RS_TOP] = s->ttl_s[RS_AUTHORS] = cfg->hour_ttl_s;
    s->timeout.tv_sec = cfg->timeout_ms / 1000;
    s->timeout.tv_usec = (cfg->timeout_ms % 1000) * 1000;
    if ((rc = rs_connect(s, err, errlen))) {
        redis_free(s);
        return rc;
    }
    return agg_store_wrap(&redis_ops, s, out);
}

int agg_store_redis_stats(const struct agg_store *s, struct agg_redis_stats *out)
{
    const struct rs_store *r;

    if (!s || !out || agg_store_ops_of(s) != &redis_ops)
        return KZ_EINVAL;
    r = agg_store_self(s);
    *out = r->st;
    return KZ_OK;
}
