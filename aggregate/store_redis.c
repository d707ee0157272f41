/* store_redis.c -- the Redis store: key schema, the apply script, the store's life cycle.
 *
 * Design: the live store, shared by every kzpulse process of a consumer
 * group.  Counters are commutative increments, so processes need no
 * coordination beyond Redis itself; what makes a flush effectively-once is
 * that its increments and the offsets of the partitions it covers are applied
 * together by one Lua script, which Redis runs atomically.  The script first
 * compares the batch's positions with the offsets stored for the group: when
 * none is newer, the batch was applied before (a retry after a lost reply, a
 * replay after a crash) and nothing changes; when one overlaps what another
 * writer applied, nothing changes either and the caller hears of the conflict
 * (fencing; see below).  Otherwise it checks the type of
 * every key it will write (so a WRONGTYPE conflict aborts before any write),
 * applies HINCRBY, ZINCRBY, PFADD, RPUSH (sample posts) and EXPIREAT, and
 * raises the offsets.  Sample posts are part of the same script, so a batch
 * applied twice, or refused by fencing, adds no sample either.  A
 * lost connection is KZ_EAGAIN and is remade on the next call (redis_conn.c);
 * because the script runs whole or not at all, a retry either applies the
 * batch or finds it applied.  Queries (redis_query.c) only read, and answer
 * exactly as the in-process store (store_mem.c) does, distinct counts
 * included, because hll.c computes what PFCOUNT computes.
 *
 * Schema, version 1 (dashboards depend on it; the README's table copies this
 * one).  Every key kzpulse writes is here.  Every key starts with "kzp:v2:".
 * {x} is a placeholder: the braces are not part of the key.  An epoch minute
 * (hour) is floor(ms since 1970-01-01 UTC / 60 000 (3 600 000)), written in
 * decimal; the bucket holds [start, start + width).  Dimensions, members and
 * their folding are those of aggregate.h.  Bucket retention is an EXPIREAT
 * by event time (see below).
 *
 *   kzp:v2:m:{epoch_minute}             hash
 *       content:   dimension -> posts in the minute
 *       retention: bucket start + minute_ttl_s (default 7 days)
 *   kzp:v2:h:{epoch_hour}               hash
 *       content:   dimension -> posts in the hour
 *       retention: bucket start + hour_ttl_s (default 400 days)
 *   kzp:v2:top:{epoch_hour}:{kind}      sorted set
 *       content:   member -> posts; kind is hashtag, term or channel
 *       retention: bucket start + hour_ttl_s (default 400 days)
 *   kzp:v2:authors:{epoch_hour}:{dim}   HyperLogLog
 *       content:   distinct authors; dim is all, topic:<t> or region:<r>
 *       retention: bucket start + hour_ttl_s (default 400 days)
 *   kzp:v2:mauthors:{epoch_minute}:{dim} HyperLogLog
 *       content:   distinct authors in the minute; dim is one an alert rule
 *                  counts: mob:call, mob:call|region:<r>, topic:<t>,
 *                  topic:<t>|region:<r>, stance:<s>, topic:<t>|stance:<s>
 *                  (the rules' crowd test)
 *       retention: bucket start + minute_ttl_s (default 7 days), as minute keys
 *   kzp:v2:posts:{epoch_minute}:{dim}   list
 *       content:   sample posts behind the minute's count, at most 20, the first
 *                  ones applied, oldest first; dim is topic:<t>, stance:<s>,
 *                  mob:call or region:<r>; each entry a record: ts TAB id TAB
 *                  author TAB platform TAB region TAB snippet TAB evidence
 *                  (aggregate.h, "Sample posts")
 *       retention: bucket start + minute_ttl_s (default 7 days), as minute keys
 *   kzp:v2:offsets:{group}              hash
 *       content:   <topic>/<partition> -> last applied offset
 *       retention: never expires
 *   kzp:v2:watch                        set
 *       content:   the member dims alert rules judge: hashtag:<h>, term:<t>
 *                  (added by the evaluator, read by the streaming job)
 *       retention: never expires
 *   kzp:v2:watermarks:{group}           hash
 *       content:   <host>:<pid> -> the process's watermark, epoch ms
 *       retention: a day after the group's last publication (EXPIRE 86400); a clean exit
 *                  deletes its field
 *   kzp:v2:heartbeats:{group}           hash
 *       content:   <host>:<pid> -> when it last published, epoch ms
 *       retention: a day after the group's last publication (EXPIRE 86400); a clean exit
 *                  deletes its field
 *
 *   e.g. HGETALL kzp:v2:m:29416320 -> all 412, topic:protest 37,
 *        topic:protest|region:kz-75 9, mob:call|region:kz-47 3, lang:kk 250, ...
 *
 * Cost of the per-minute sketches: a batch with calls to action writes one
 * more HyperLogLog key per (minute, mob:call dimension) it touches -- a
 * PFADD and an EXPIREAT inside the same script call, so no extra round trip;
 * a minute with calls in k regions adds k + 1 keys of at most 12 KB (dense;
 * sparse, a few hundred bytes, under ~3000 authors).
 *
 * The alert evaluator (alerts/stream.c) writes two more, not through this
 * store:
 *   kzp:v2:alerts                       stream
 *       content:   one entry per alert event: id, event, record (JSON)
 *       retention: the newest ~100 000 entries (XADD MAXLEN ~ 100000)
 *   kzp:v2:alerts:claim:{id}:{event}:{last_minute_ms}  string
 *       content:   "1": the event was published (SET NX by the first evaluator)
 *       retention: 40 days (EX 3456000)
 *
 * (bench/peer/peer.py, the benchmark's Python peer, writes keys of its own
 * under "peer:"; kzpulse never reads them.)  The watermark keys are
 * redis_wm.c's; the others are written by the apply script below.
 *
 * Retention follows event time: every write sets EXPIREAT bucket start +
 * minute_ttl_s on m keys and + hour_ttl_s on h, top and authors keys, so
 * replaying old posts never makes old buckets live forever.  A write whose key
 * would already be past its expiry is skipped (counted in expired_keys).  A
 * TTL of 0, or an expiry beyond the year 9999, sets none.  The offsets hash
 * never expires.
 *
 * The script (APPLY_LUA) takes KEYS[1] = the offsets key and an ARGV of
 *   P, then P triples  field first last  the batch's positions: the first and
 *                                        the last offset it covers
 *   then triples     "H"|"Z"|"P"|"L" key at  select the hash, zset, HLL or list key
 *                                          to write, expiring at `at` (0: no
 *                                          EXPIREAT)
 *                    "h" field n           HINCRBY key field n
 *                    "z" member n          ZINCRBY key n member
 *                    "p" author ""         PFADD key author (authors, mauthors; the script adds 512
 *                                          per PFADD call)
 *                    "l" record ""         RPUSH key record while the list
 *                                          holds fewer than 20 (an "L" key
 *                                          select reads LLEN first; one
 *                                          RPUSH per key takes them all)
 * The client groups the ops by key (a sort, stable for the samples of one
 * list: they keep the batch's order), so each key is named once.  It
 * returns 0 for a duplicate (every last <= its stored offset), 1 for applied
 * (every first > its stored offset, or none stored), and 2, applying nothing,
 * for a conflict: a partition whose first <= stored < last, or a batch that
 * is a duplicate for one partition and new for another.  Only two writers
 * of one partition make a conflict (a zombie: a consumer paused past its
 * session timeout whose partitions were given to another process), and
 * applying it would count the overlap twice; see aggregate.h.  Offsets are compared as decimal
 * strings (Lua numbers are doubles).  The script is loaded with SCRIPT LOAD on
 * every new connection and called with EVALSHA; NOSCRIPT (a SCRIPT FLUSH, a
 * failover) falls back to EVAL, which caches it again.
 *
 * Limits: one apply is one request, held in memory here and run atomically
 * (so blocking Redis) there: keep batches far below ~64 MB encoded; over
 * RS_MAX_REQUEST it is refused.  The type checks make a conflicting key abort
 * the script before any write; an error no check foresees (HINCRBY on a field
 * someone else set to a non-integer, or its overflow) can still stop it half
 * way, since Redis does not roll scripts back.  Bucket keys travel in ARGV,
 * not KEYS, and span many hash slots: this is for standalone Redis (and its
 * replicas), not Redis Cluster.  Sorted-set scores are doubles: exact up to
 * 2^53.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggregate.h"
#include "agg_internal.h"
#include "redis_int.h"

#define RS_MAX_REQUEST ((size_t)512 * 1024 * 1024) /* Redis refuses requests over 1 GB */
#define RS_MAX_EXPIREAT 253402300799LL             /* 9999-12-31T23:59:59Z */
#define OFFSETS_PREFIX AGG_REDIS_PREFIX "offsets:"
#define KZ_STR_(x) #x
#define KZ_XSTR(x) KZ_STR_(x)

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
    "local dup, new = 0, 0\n"
    "for i = 1, np do\n"
    "  local cur = redis.call('HGET', off, ARGV[3 * i - 1])\n"
    "  if cur and not lt(cur, ARGV[3 * i + 1]) then dup = dup + 1\n" /* last <= stored */
    "  elseif cur and not lt(cur, ARGV[3 * i]) then return 2\n"      /* first <= stored < last */
    "  else new = new + 1 end\n"
    "end\n"
    "if np > 0 and new == 0 then return 0 end\n"
    "if dup > 0 then return 2 end\n"
    "local first, n = 3 * np + 2, #ARGV\n"
    "local want = {H = 'hash', Z = 'zset', P = 'string', L = 'list'}\n"
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
    "local key, at, buf, nb, room, list, nl = nil, '0', {}, 0, 0, {}, 0\n"
    "local function done()\n"
    "  if nb > 0 then redis.call('PFADD', key, unpack(buf, 1, nb)) nb = 0 end\n"
    "  if nl > 0 then redis.call('RPUSH', key, unpack(list, 1, nl)) nl = 0 end\n"
    "  if key and at ~= '0' then redis.call('EXPIREAT', key, at) end\n"
    "end\n"
    "for i = first, n, 3 do\n"
    "  local op, a, b = ARGV[i], ARGV[i + 1], ARGV[i + 2]\n"
    "  if op == 'h' then redis.call('HINCRBY', key, a, b)\n"
    "  elseif op == 'z' then redis.call('ZINCRBY', key, b, a)\n"
    "  elseif op == 'l' then\n"
    "    if room > 0 then nl = nl + 1 list[nl] = a room = room - 1 end\n"
    "  elseif op == 'p' then\n"
    "    nb = nb + 1 buf[nb] = a\n"
    "    if nb == 512 then redis.call('PFADD', key, unpack(buf, 1, nb)) nb = 0 end\n"
    "  else\n"
    "    done() key, at = a, b\n"
    "    if op == 'L' then room = " KZ_XSTR(
        AGG_SAMPLES_MAX) " - redis.call('LLEN', key) end\n"
                         "  end\n"
                         "end\n"
                         "done()\n"
                         "for i = 1, np do\n"
                         "  local f, o = ARGV[3 * i - 1], ARGV[3 * i + 1]\n"
                         "  local cur = redis.call('HGET', off, f)\n"
                         "  if not cur or lt(cur, o) then redis.call('HSET', off, f, o) end\n"
                         "end\n"
                         "return 1\n";

/* ---------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------ */

const int64_t agg_redis_width[AGG_RK_NTYPES] = {AGG_MINUTE_MS, AGG_HOUR_MS,   AGG_HOUR_MS,
                                                AGG_HOUR_MS,   AGG_MINUTE_MS, AGG_MINUTE_MS};

size_t agg_redis_key_format(char *dst, enum agg_redis_type t, int64_t bucket_ms, int sub,
                            struct kz_str dim)
{
    long long unit = (long long)(bucket_ms / agg_redis_width[t]); /* buckets are aligned */
    int n;

    switch (t) {
    case AGG_RK_MINUTE:
        n = snprintf(dst, AGG_REDIS_KEY_MAX, AGG_REDIS_PREFIX "m:%lld", unit);
        break;
    case AGG_RK_HOUR:
        n = snprintf(dst, AGG_REDIS_KEY_MAX, AGG_REDIS_PREFIX "h:%lld", unit);
        break;
    case AGG_RK_TOP:
        n = snprintf(dst, AGG_REDIS_KEY_MAX, AGG_REDIS_PREFIX "top:%lld:%s", unit,
                     agg_top_kind_name((enum agg_top_kind)sub));
        break;
    default:
        n = snprintf(dst, AGG_REDIS_KEY_MAX,
                     t == AGG_RK_POSTS      ? AGG_REDIS_PREFIX "posts:%lld:"
                     : t == AGG_RK_MAUTHORS ? AGG_REDIS_PREFIX "mauthors:%lld:"
                                            : AGG_REDIS_PREFIX "authors:%lld:",
                     unit);
        if (dim.n)
            memcpy(dst + n, dim.p, dim.n);
        n += (int)dim.n;
        dst[n] = '\0';
        break;
    }
    return (size_t)n;
}

int agg_redis_key(struct agg_redis_store *s, enum agg_redis_type t, int64_t bucket_ms, int sub,
                  struct kz_str dim, size_t *len)
{
    int rc = agg_grow(&s->kbuf, &s->cap_kbuf, AGG_REDIS_KEY_MAX + dim.n, 1);

    if (rc)
        return rc;
    *len = agg_redis_key_format(s->kbuf, t, bucket_ms, sub, dim);
    return KZ_OK;
}

size_t agg_redis_offset_field(char *dst, const char *source, int32_t partition)
{
    size_t n = strlen(source);

    memcpy(dst, source, n);
    return n + (size_t)snprintf(dst + n, AGG_REDIS_NUM_MAX, "/%ld", (long)partition);
}

int agg_redis_parse_i64(const char *p, size_t n, int64_t *out)
{
    char buf[AGG_REDIS_NUM_MAX], *end;
    long long v;

    if (n == 0 || n >= sizeof buf || !(p[0] == '-' || (p[0] >= '0' && p[0] <= '9')))
        return -1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* When a key of the bucket starting at bucket_ms expires: *at = 0 for never.
 * Returns 1 when that moment is already past (the write is to be skipped). */
static int expiry(const struct agg_redis_store *s, enum agg_redis_type t, int64_t bucket_ms,
                  int64_t now_s, int64_t *at)
{
    int64_t ttl = s->ttl_s[t], start = bucket_ms / 1000; /* buckets are whole seconds */

    *at = 0;
    if (ttl == 0 || start > RS_MAX_EXPIREAT - ttl)
        return 0;
    *at = start + ttl;
    return *at <= now_s;
}

/* ---------------------------------------------------------------------------
 * Apply
 * ------------------------------------------------------------------------ */

static int op_add(struct agg_redis_store *s, struct agg_redis_op op)
{
    int rc = agg_grow(&s->ops, &s->cap_ops, s->nops + 1, sizeof *s->ops);

    if (rc)
        return rc;
    s->ops[s->nops++] = op;
    return KZ_OK;
}

static int gather_count(void *ctx, enum agg_gran g, int64_t bucket_ms, struct kz_str dim, int64_t n)
{
    struct agg_redis_op op = {bucket_ms, KZ_STR_NULL, dim, n, (uint8_t)g, 0, 0};

    return op_add(ctx, op);
}

static int gather_top(void *ctx, int64_t hour_ms, enum agg_top_kind k, struct kz_str member,
                      int64_t n)
{
    struct agg_redis_op op = {hour_ms, KZ_STR_NULL, member, n, AGG_RK_TOP, (uint8_t)k, 0};

    return op_add(ctx, op);
}

static int gather_author(void *ctx, int64_t hour_ms, struct kz_str dim, struct kz_str author)
{
    struct agg_redis_op op = {hour_ms, dim, author, 0, AGG_RK_AUTHORS, 0, 0};

    return op_add(ctx, op);
}

static int gather_minute_author(void *ctx, int64_t minute_ms, struct kz_str dim,
                                struct kz_str author)
{
    struct agg_redis_op op = {minute_ms, dim, author, 0, AGG_RK_MAUTHORS, 0, 0};

    return op_add(ctx, op);
}

/*
 * Full lists.  A minute's sample list takes the first AGG_SAMPLES_MAX samples
 * and the script drops the rest; on a busy stream every flush of a minute
 * would still send up to AGG_SAMPLES_MAX per dimension, to be dropped.  So
 * the store remembers how many samples of each (minute, dimension) the script
 * has taken from it (counted only for batches it applied) and sends none for
 * a list it has filled.  The memo is direct-mapped: a slot that holds another
 * key knows nothing, and the samples go (the script still caps the list), so
 * it never holds back a sample from a list that is not full.  It is
 * forgotten whenever the connection is made again (Redis may have restarted
 * without its data).  Without memory for it (8192 slots, 192 KiB) every
 * sample is sent, as before.
 */
static struct agg_redis_sent *sent_slot(struct agg_redis_store *s, int64_t minute_ms,
                                        struct kz_str dim, uint64_t *h)
{
    *h = agg_murmur64a(dim.p, dim.n, (uint64_t)minute_ms);
    return &s->sent[*h & (AGG_REDIS_SENT_SLOTS - 1)];
}

static int gather_sample(void *ctx, int64_t minute_ms, struct kz_str dim, struct kz_str rec)
{
    struct agg_redis_store *s = ctx;
    struct agg_redis_op op = {minute_ms, dim, rec, 0, AGG_RK_POSTS, 0, (uint32_t)s->nops};

    if (s->sent) {
        uint64_t h;
        const struct agg_redis_sent *e = sent_slot(s, minute_ms, dim, &h);
        if (e->h == h && e->minute_ms == minute_ms && e->n >= AGG_SAMPLES_MAX)
            return 0; /* the list is full: the script would drop it */
    }
    return op_add(ctx, op);
}

/* After an applied batch: count the samples it sent into the memo. */
static void sent_count(struct agg_redis_store *s)
{
    for (size_t i = 0; s->sent && i < s->nops; i++) {
        const struct agg_redis_op *op = &s->ops[i];
        if (op->type != AGG_RK_POSTS)
            continue;
        uint64_t h;
        struct agg_redis_sent *e = sent_slot(s, op->bucket_ms, op->dim, &h);
        if (e->h != h || e->minute_ms != op->bucket_ms)
            *e = (struct agg_redis_sent){h, op->bucket_ms, 0};
        if (e->n < UINT32_MAX)
            e->n++;
    }
}

/* Order by key: type, bucket, top kind, authors dimension. */
static int op_key_cmp(const struct agg_redis_op *x, const struct agg_redis_op *y)
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

/* By key, then in gathering order: qsort is not stable, and the samples of
 * one key must reach the script in the order the batch kept them. */
static int op_cmp(const void *a, const void *b)
{
    const struct agg_redis_op *x = a, *y = b;
    int c = op_key_cmp(x, y);

    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Appends arguments; the arena was sized beforehand, so pointers stay valid. */
struct encoder {
    struct agg_redis_store *s;
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
    int n = snprintf(p, AGG_REDIS_NUM_MAX, "%lld", (long long)v);

    e->used += (size_t)n + 1;
    put(e, p, (size_t)n);
}

/* Encode pos and s->ops (sorted) as EVALSHA arguments; see the top comment. */
static int encode(struct agg_redis_store *s, const struct agg_position *pos, size_t npos,
                  int64_t now_s, struct encoder *e)
{
    size_t nargs = 5 + 3 * npos, arena = AGG_REDIS_NUM_MAX, skip_from = SIZE_MAX;
    int rc;

    for (size_t i = 0; i < npos; i++)
        arena += strlen(pos[i].source) + 3 * AGG_REDIS_NUM_MAX;
    for (size_t i = 0; i < s->nops; i++) {
        if (i == 0 || op_key_cmp(&s->ops[i - 1], &s->ops[i]) != 0) {
            nargs += 3;
            arena += AGG_REDIS_KEY_MAX + s->ops[i].dim.n + AGG_REDIS_NUM_MAX;
        }
        nargs += 3;
        arena += AGG_REDIS_NUM_MAX;
    }
    if ((rc = agg_grow(&s->argv, &s->cap_argv, nargs, sizeof *s->argv)))
        return rc;
    if (s->cap_argv > SIZE_MAX / sizeof *s->lens)
        return KZ_ENOMEM;
    {
        size_t *l = realloc(s->lens, s->cap_argv * sizeof *l);

        if (!l)
            return KZ_ENOMEM;
        s->lens = l;
    }
    if ((rc = agg_grow(&s->arena, &s->cap_arena, arena, 1)))
        return rc;

    memset(e, 0, sizeof *e);
    e->s = s;
    put(e, "EVALSHA", 7);
    put(e, s->conn.sha, 40);
    put(e, "1", 1);
    put(e, s->offsets_key, strlen(s->offsets_key));
    put_num(e, (int64_t)npos);
    for (size_t i = 0; i < npos; i++) {
        char *p = s->arena + e->used;
        size_t n = agg_redis_offset_field(p, pos[i].source, pos[i].partition);

        e->used += n + 1;
        put(e, p, n);
        put_num(e, pos[i].first_offset);
        put_num(e, pos[i].offset);
    }
    for (size_t i = 0; i < s->nops; i++) {
        const struct agg_redis_op *op = &s->ops[i];

        if (i == 0 || op_key_cmp(&s->ops[i - 1], op) != 0) {
            static const char sel[] = "HHZPLP"; /* by enum agg_redis_type */
            int64_t at;
            char *p;
            size_t n;

            if (expiry(s, (enum agg_redis_type)op->type, op->bucket_ms, now_s, &at)) {
                s->conn.st.expired_keys++;
                skip_from = i;
                continue;
            }
            skip_from = SIZE_MAX;
            p = s->arena + e->used;
            n = agg_redis_key_format(p, (enum agg_redis_type)op->type, op->bucket_ms, op->sub,
                                     op->dim);
            e->used += n + 1;
            put(e, &sel[op->type], 1);
            put(e, p, n);
            put_num(e, at);
        } else if (skip_from != SIZE_MAX) {
            continue;
        }
        switch (op->type) {
        case AGG_RK_MINUTE:
        case AGG_RK_HOUR:
            put(e, "h", 1);
            put(e, op->arg.p, op->arg.n);
            put_num(e, op->n);
            break;
        case AGG_RK_TOP:
            put(e, "z", 1);
            put(e, op->arg.p, op->arg.n);
            put_num(e, op->n);
            break;
        case AGG_RK_POSTS:
            put(e, "l", 1);
            put(e, op->arg.p, op->arg.n);
            put(e, "", 0);
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
    struct agg_redis_store *s = self;
    struct encoder e;
    redisReply *r;
    int rc;

    s->nops = 0;
    /* Connect first: the script's SHA is one of the arguments, and a new
     * connection resets the memo of full lists before the samples are taken. */
    if ((rc = agg_redis_connect(&s->conn, err, errlen)))
        return rc;
    if (s->sent && s->sent_connects != s->conn.st.connects) {
        /* a new connection: Redis may have restarted without its lists */
        memset(s->sent, 0, AGG_REDIS_SENT_SLOTS * sizeof *s->sent);
        s->sent_connects = s->conn.st.connects;
    }
    if ((rc = agg_batch_foreach_count(b, gather_count, s)) ||
        (rc = agg_batch_foreach_top(b, gather_top, s)) ||
        (rc = agg_batch_foreach_author(b, gather_author, s)) ||
        (rc = agg_batch_foreach_minute_author(b, gather_minute_author, s)) ||
        (rc = agg_batch_foreach_sample(b, gather_sample, s)))
        return agg_errf(err, errlen, rc, "apply: collecting %zu keys: %s (nothing applied)",
                        agg_batch_keys(b), kz_strerror(rc));
    if (s->nops > 1)
        qsort(s->ops, s->nops, sizeof *s->ops, op_cmp);
    if ((rc = encode(s, pos, npos, (int64_t)time(NULL), &e)))
        return agg_errf(err, errlen, rc, "apply: encoding %zu increments: %s (nothing applied)",
                        s->nops, kz_strerror(rc));
    if (e.bytes > RS_MAX_REQUEST || e.argc > INT_MAX)
        return agg_errf(err, errlen, KZ_ERANGE,
                        "apply: the batch encodes to %zu MB, over the %zu MB a script call may "
                        "take: flush more often (nothing applied)",
                        e.bytes >> 20, RS_MAX_REQUEST >> 20);

    r = agg_redis_call(&s->conn, (int)e.argc, s->argv, s->lens);
    if (!r)
        return agg_redis_lost(&s->conn, "apply", err, errlen);
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(r);
        s->conn.st.noscript++;
        s->argv[0] = "EVAL";
        s->lens[0] = 4;
        s->argv[1] = APPLY_LUA;
        s->lens[1] = sizeof APPLY_LUA - 1;
        r = agg_redis_call(&s->conn, (int)e.argc, s->argv, s->lens);
        if (!r)
            return agg_redis_lost(&s->conn, "apply", err, errlen);
    }
    if (r->type == REDIS_REPLY_ERROR)
        rc = agg_redis_reply_error(&s->conn, r, "apply", err, errlen);
    else if (r->type == REDIS_REPLY_INTEGER && r->integer >= 0 && r->integer <= 2)
        rc = r->integer == 1 ? KZ_OK : r->integer == 0 ? AGG_APPLY_DUPLICATE : AGG_APPLY_CONFLICT;
    else
        rc = agg_redis_unexpected(&s->conn, r, "apply", err, errlen);
    freeReplyObject(r);
    if (rc == KZ_OK) {
        s->conn.st.applied++;
        if (s->sent_connects == s->conn.st.connects)
            sent_count(s);
    } else if (rc == AGG_APPLY_DUPLICATE)
        s->conn.st.duplicates++;
    else if (rc == AGG_APPLY_CONFLICT)
        s->conn.st.conflicts++;
    return rc;
}

/* ---------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------ */

static void redis_free(void *self)
{
    struct agg_redis_store *s = self;

    if (!s)
        return;
    agg_redis_drop(&s->conn);
    free(s->offsets_key);
    free(s->ops);
    free(s->argv);
    free(s->lens);
    free(s->arena);
    free(s->kbuf);
    free(s->sent);
    free(s);
}

static const struct agg_store_ops redis_ops = {
    .name = "redis",
    .apply = redis_apply,
    .series = agg_redis_series,
    .topk = agg_redis_topk,
    .distinct = agg_redis_distinct,
    .dims = agg_redis_dims,
    .offset = agg_redis_offset,
    .posts = agg_redis_posts,
    .publish_watermark = agg_redis_publish_watermark,
    .retire = agg_redis_retire,
    .watermark = agg_redis_watermark,
    .free = redis_free,
};

int agg_store_redis_new(const struct agg_redis_config *cfg, struct agg_store **out, char *err,
                        size_t errlen)
{
    struct agg_redis_config def;
    struct agg_redis_store *s;
    struct agg_redis_conn *c;
    size_t glen;
    int rc, v6;

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
    s->sent = calloc(AGG_REDIS_SENT_SLOTS, sizeof *s->sent); /* NULL: the memo is off */
    c = &s->conn;
    if ((rc = agg_redis_parse_url(cfg->url ? cfg->url : "redis://127.0.0.1:6379", &c->addr, err,
                                  errlen))) {
        free(s->sent);
        free(s);
        return rc;
    }
    if (cfg->password) {
        size_t pl = strlen(cfg->password);
        if (!pl || pl >= sizeof c->addr.password) {
            free(s->sent);
            free(s);
            return agg_errf(err, errlen, KZ_EINVAL,
                            "redis store: the password must be 1 to %zu bytes",
                            sizeof c->addr.password - 1);
        }
        memcpy(c->addr.password, cfg->password, pl + 1);
    }
    v6 = strchr(c->addr.host, ':') != NULL;
    snprintf(c->where, sizeof c->where, "%s%s%s:%d/%d", v6 ? "[" : "", c->addr.host, v6 ? "]" : "",
             c->addr.port, c->addr.db);
    c->script = APPLY_LUA;
    c->script_len = sizeof APPLY_LUA - 1;
    glen = strlen(cfg->group);
    if (!(s->offsets_key = malloc(sizeof OFFSETS_PREFIX + glen))) {
        free(s->sent);
        free(s);
        return KZ_ENOMEM;
    }
    memcpy(s->offsets_key, OFFSETS_PREFIX, sizeof OFFSETS_PREFIX - 1);
    memcpy(s->offsets_key + sizeof OFFSETS_PREFIX - 1, cfg->group, glen + 1);
    s->ttl_s[AGG_RK_MINUTE] = cfg->minute_ttl_s;
    s->ttl_s[AGG_RK_HOUR] = s->ttl_s[AGG_RK_TOP] = s->ttl_s[AGG_RK_AUTHORS] = cfg->hour_ttl_s;
    s->ttl_s[AGG_RK_POSTS] = cfg->minute_ttl_s; /* samples live as long as their minute */
    s->ttl_s[AGG_RK_MAUTHORS] = cfg->minute_ttl_s;
    c->timeout.tv_sec = cfg->timeout_ms / 1000;
    c->timeout.tv_usec = (cfg->timeout_ms % 1000) * 1000;
    if ((rc = agg_redis_connect(c, err, errlen))) {
        redis_free(s);
        return rc;
    }
    return agg_store_wrap(&redis_ops, s, out);
}

struct agg_redis_store *agg_redis_of(struct agg_store *s)
{
    return s && agg_store_ops_of(s) == &redis_ops ? agg_store_self(s) : NULL;
}

int agg_store_redis_stats(const struct agg_store *s, struct agg_redis_stats *out)
{
    const struct agg_redis_store *r;

    if (!s || !out || agg_store_ops_of(s) != &redis_ops)
        return KZ_EINVAL;
    r = agg_store_self(s);
    *out = r->conn.st;
    return KZ_OK;
}
