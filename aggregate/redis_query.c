/* redis_query.c -- the Redis store's queries: series, top-k, distinct authors, dimensions, posts,
 * offsets.
 *
 * Design: queries only read.  The keys of a window are known from the schema
 * (store_redis.c), so a query sends one command per bucket, pipelined
 * (redis_conn.c), and merges the replies here: HGET per bucket for a series,
 * ZRANGE WITHSCORES per hour for top-k (summed and ranked client-side rather
 * than ZUNIONSTORE, which would write), HGETALL per bucket for dimension
 * totals, one PFCOUNT over all the hours (or, for the per-minute sketches
 * of mob:call, the minutes) for distinct authors (PFCOUNT of
 * several keys counts their union), LRANGE per minute for sample posts.  Results and their order
 * are exactly the in-process store's: series dense with zeros, top-k and dimensions by count
 * descending then bytes ascending, zero totals left out, crosses only when the prefix has '|'.
 *
 * Cost: one round trip per AGG_REDIS_PIPELINE buckets.  Windows over
 * RS_MAX_BUCKETS buckets are refused (KZ_ERANGE).  Over RS_PFCOUNT_DIRECT
 * hours, distinct first asks EXISTS of each hour so that PFCOUNT names only
 * the sketches that exist.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "agg_internal.h"
#include "memtab.h"
#include "redis_int.h"

#define RS_MAX_BUCKETS (1u << 24) /* the in-process store's limit on a series */
#define RS_PFCOUNT_DIRECT 4096    /* hours */

/* ---------------------------------------------------------------------------
 * Windows, totals and ranking
 * ------------------------------------------------------------------------ */

/* Floor t to w, clamped at the bottom of int64 (agg_batch_add refuses such times). */
static int64_t align_clamped(int64_t t, int64_t w)
{
    int64_t a;

    if (agg_align(t, w, &a))
        return (INT64_MIN / w) * w;
    return a;
}

/* The buckets of width w in [from, to): the first start and how many. */
static int rs_window(const char *what, int64_t from, int64_t to, int64_t w, int64_t *first,
                     size_t *n, char *err, size_t errlen)
{
    int64_t fa = align_clamped(from, w), ta = align_clamped(to, w);
    uint64_t k;

    *first = fa;
    *n = 0;
    if (ta <= fa)
        return KZ_OK;
    k = ((uint64_t)ta - (uint64_t)fa) / (uint64_t)w;
    if (k > RS_MAX_BUCKETS)
        return agg_errf(
            err, errlen, KZ_ERANGE, "%s: window of %llu %s buckets is over the limit of %u", what,
            (unsigned long long)k, w == AGG_MINUTE_MS ? "minute" : "hour", RS_MAX_BUCKETS);
    *n = (size_t)k;
    return KZ_OK;
}

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
        (rc = agg_grow(&a->sum, &a->cap, (size_t)id + 1, sizeof *a->sum)))
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

/* The non-zero totals of a, ranked; strings borrowed from a. */
static int acc_rank(const struct rs_acc *a, struct agg_ranked **out, size_t *n)
{
    struct agg_ranked *r;
    size_t k = 0;

    *out = NULL;
    *n = 0;
    if (a->strs.n == 0)
        return KZ_OK;
    r = malloc(a->strs.n * sizeof *r);
    if (!r)
        return KZ_ENOMEM;
    for (uint32_t id = 0; id < a->strs.n; id++) {
        if (a->sum[id] == 0)
            continue;
        r[k].s = agg_strtab_str(&a->strs, id, &r[k].len);
        r[k++].count = a->sum[id];
    }
    qsort(r, k, sizeof *r, agg_ranked_cmp);
    *out = r;
    *n = k;
    return KZ_OK;
}

/* ---------------------------------------------------------------------------
 * Queries
 * ------------------------------------------------------------------------ */

/* The state of one windowed query. */
struct rs_query {
    struct agg_redis_store *s;
    enum agg_redis_type type;
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
    return q->first + (int64_t)i * agg_redis_width[q->type];
}

static int build_hget(void *ctx, size_t i, const char **argv, size_t *lens, int *argc)
{
    struct rs_query *q = ctx;
    struct agg_redis_store *s = q->s;
    int rc = agg_redis_key(s, q->type, q_bucket(q, i), 0, KZ_STR_NULL, &lens[1]);

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

static int on_hget(void *ctx, size_t i, const redisReply *r, char *err, size_t errlen)
{
    struct rs_query *q = ctx;
    struct agg_redis_store *s = q->s;
    int64_t v;

    if (r->type == REDIS_REPLY_NIL)
        return KZ_OK;
    if (r->type != REDIS_REPLY_STRING || agg_redis_parse_i64(r->str, r->len, &v))
        return agg_redis_unexpected(&s->conn, r, "series: HGET", err, errlen);
    q->series->points[i].count = v;
    q->series->total += v;
    return KZ_OK;
}

int agg_redis_series(void *self, enum agg_gran g, const char *dim, int64_t from_ms, int64_t to_ms,
                     struct agg_series *out, char *err, size_t errlen)
{
    struct agg_redis_store *s = self;
    struct rs_query q = {
        .s = s, .type = (enum agg_redis_type)g, .dim = kz_str_make(dim, strlen(dim))};
    size_t n;
    int rc;

    if ((rc = rs_window("series", from_ms, to_ms, agg_redis_width[g], &q.first, &n, err, errlen)) ||
        n == 0)
        return rc;
    out->points = calloc(n, sizeof *out->points);
    if (!out->points)
        return KZ_ENOMEM;
    out->n = n;
    for (size_t i = 0; i < n; i++)
        out->points[i].bucket_ms = q_bucket(&q, i);
    q.series = out;
    return agg_redis_pipeline(&s->conn, n, build_hget, on_hget, &q, "series", err, errlen);
}

static int build_zrange(void *ctx, size_t i, const char **argv, size_t *lens, int *argc)
{
    struct rs_query *q = ctx;
    struct agg_redis_store *s = q->s;
    int rc = agg_redis_key(s, AGG_RK_TOP, q_bucket(q, i), q->sub, KZ_STR_NULL, &lens[1]);

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

/* Sum a flat [name, value, name, value, ...] reply (ZRANGE WITHSCORES,
 * HGETALL) into q->acc; with `filter`, only names under q's dimension prefix
 * (crosses only if asked for).  Values are parsed by `parse`. */
static int pairs_to_acc(struct rs_query *q, const redisReply *r, const char *what, int filter,
                        int (*parse)(const char *, size_t, int64_t *), char *err, size_t errlen)
{
    struct agg_redis_store *s = q->s;

    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2)
        return agg_redis_unexpected(&s->conn, r, what, err, errlen);
    for (size_t j = 0; j < r->elements; j += 2) {
        const redisReply *f = r->element[j], *v = r->element[j + 1];
        int64_t n;
        int rc;

        if (!f || !v || f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
            parse(v->str, v->len, &n))
            return agg_redis_unexpected(&s->conn, f && f->type != REDIS_REPLY_STRING ? f : v, what,
                                        err, errlen);
        if (filter && (f->len < q->plen || memcmp(f->str, q->prefix, q->plen) != 0 ||
                       (!q->crosses && memchr(f->str, '|', f->len))))
            continue;
        if ((rc = acc_add(&q->acc, f->str, f->len, n)))
            return rc;
    }
    return KZ_OK;
}

static int on_zrange(void *ctx, size_t i, const redisReply *r, char *err, size_t errlen)
{
    return pairs_to_acc(ctx, r, "topk: ZRANGE", 0, parse_score, err, errlen);
}

int agg_redis_topk(void *self, enum agg_top_kind k, int64_t from_ms, int64_t to_ms, size_t limit,
                   struct agg_top *out, char *err, size_t errlen)
{
    struct agg_redis_store *s = self;
    struct rs_query q = {.s = s, .type = AGG_RK_TOP, .sub = (int)k};
    struct agg_ranked *r = NULL;
    size_t n;
    int rc;

    if ((rc = rs_window("topk", from_ms, to_ms, AGG_HOUR_MS, &q.first, &n, err, errlen)) || n == 0)
        return rc;
    rc = agg_redis_pipeline(&s->conn, n, build_zrange, on_zrange, &q, "topk", err, errlen);
    if (!rc)
        rc = acc_rank(&q.acc, &r, &n);
    if (!rc && limit && n > limit)
        n = limit;
    if (!rc && n && !(out->items = calloc(n, sizeof *out->items)))
        rc = KZ_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!(out->items[i].member = strndup(r[i].s, r[i].len)))
            rc = KZ_ENOMEM; /* the wrapper frees the out->n items made so far */
        else
            out->items[out->n++].count = r[i].count;
    }
    free(r);
    acc_free(&q.acc);
    return rc;
}

/* Distinct: EXISTS over a long window first, to send PFCOUNT only the keys that exist. */
struct rs_distinct {
    struct rs_query q;
    char **keys; /* of hours with a sketch */
    size_t n;
};

static int build_exists(void *ctx, size_t i, const char **argv, size_t *lens, int *argc)
{
    struct rs_distinct *d = ctx;
    struct agg_redis_store *s = d->q.s;
    int rc = agg_redis_key(s, d->q.type, q_bucket(&d->q, i), 0, d->q.dim, &lens[1]);

    if (rc)
        return rc;
    argv[0] = "EXISTS";
    lens[0] = 6;
    argv[1] = s->kbuf;
    *argc = 2;
    return KZ_OK;
}

static int on_exists(void *ctx, size_t i, const redisReply *r, char *err, size_t errlen)
{
    struct rs_distinct *d = ctx;
    struct agg_redis_store *s = d->q.s;
    size_t len;
    int rc;

    if (r->type != REDIS_REPLY_INTEGER)
        return agg_redis_unexpected(&s->conn, r, "distinct: EXISTS", err, errlen);
    if (!r->integer)
        return KZ_OK;
    if ((rc = agg_redis_key(s, d->q.type, q_bucket(&d->q, i), 0, d->q.dim, &len)))
        return rc;
    if (!(d->keys[d->n] = strndup(s->kbuf, len)))
        return KZ_ENOMEM;
    d->n++;
    return KZ_OK;
}

int agg_redis_distinct(void *self, enum agg_gran g, const char *dim, int64_t from_ms, int64_t to_ms,
                       uint64_t *out, char *err, size_t errlen)
{
    struct agg_redis_store *s = self;
    enum agg_redis_type t = g == AGG_MINUTE ? AGG_RK_MAUTHORS : AGG_RK_AUTHORS;
    struct rs_distinct d = {.q = {.s = s, .type = t, .dim = kz_str_make(dim, strlen(dim))}};
    const char **argv = NULL;
    size_t *lens = NULL, n;
    redisReply *r = NULL;
    int rc;

    if ((rc = rs_window("distinct", from_ms, to_ms, agg_redis_width[t], &d.q.first, &n, err,
                        errlen)) ||
        n == 0)
        return rc;
    if (!(d.keys = calloc(n, sizeof *d.keys)))
        return KZ_ENOMEM;
    if (n > RS_PFCOUNT_DIRECT) {
        rc = agg_redis_pipeline(&s->conn, n, build_exists, on_exists, &d, "distinct", err, errlen);
    } else {
        for (size_t i = 0; i < n && !rc; i++) {
            size_t len;

            if ((rc = agg_redis_key(s, t, q_bucket(&d.q, i), 0, d.q.dim, &len)))
                break;
            if (!(d.keys[d.n] = strndup(s->kbuf, len)))
                rc = KZ_ENOMEM;
            else
                d.n++;
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
    if ((rc = agg_redis_connect(&s->conn, err, errlen)) ||
        (rc = agg_redis_command(&s->conn, (int)d.n + 1, argv, lens, "distinct: PFCOUNT", &r, err,
                                errlen)))
        goto out;
    if (r->type != REDIS_REPLY_INTEGER || r->integer < 0)
        rc = agg_redis_unexpected(&s->conn, r, "distinct: PFCOUNT", err, errlen);
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

static int build_hgetall(void *ctx, size_t i, const char **argv, size_t *lens, int *argc)
{
    struct rs_query *q = ctx;
    struct agg_redis_store *s = q->s;
    int rc = agg_redis_key(s, q->type, q_bucket(q, i), 0, KZ_STR_NULL, &lens[1]);

    if (rc)
        return rc;
    argv[0] = "HGETALL";
    lens[0] = 7;
    argv[1] = s->kbuf;
    *argc = 2;
    return KZ_OK;
}

static int on_hgetall(void *ctx, size_t i, const redisReply *r, char *err, size_t errlen)
{
    return pairs_to_acc(ctx, r, "dims: HGETALL", 1, agg_redis_parse_i64, err, errlen);
}

int agg_redis_dims(void *self, enum agg_gran g, const char *prefix, int64_t from_ms, int64_t to_ms,
                   struct agg_dimcounts *out, char *err, size_t errlen)
{
    struct agg_redis_store *s = self;
    struct rs_query q = {.s = s,
                         .type = (enum agg_redis_type)g,
                         .prefix = prefix,
                         .plen = strlen(prefix),
                         .crosses = strchr(prefix, '|') != NULL};
    struct agg_ranked *r = NULL;
    size_t n;
    int rc;

    if ((rc = rs_window("dims", from_ms, to_ms, agg_redis_width[g], &q.first, &n, err, errlen)) ||
        n == 0)
        return rc;
    rc = agg_redis_pipeline(&s->conn, n, build_hgetall, on_hgetall, &q, "dims", err, errlen);
    if (!rc)
        rc = acc_rank(&q.acc, &r, &n);
    if (!rc && n && !(out->items = calloc(n, sizeof *out->items)))
        rc = KZ_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!(out->items[i].dim = strndup(r[i].s, r[i].len)))
            rc = KZ_ENOMEM; /* the wrapper frees the out->n items made so far */
        else
            out->items[out->n++].count = r[i].count;
    }
    free(r);
    acc_free(&q.acc);
    return rc;
}

/* Sample posts: LRANGE 0 -1 of each minute's list, in minute order. */
struct rs_posts {
    struct rs_query q;
    struct agg_posts *out;
    size_t cap;
};

static int build_lrange(void *ctx, size_t i, const char **argv, size_t *lens, int *argc)
{
    struct rs_posts *d = ctx;
    struct agg_redis_store *s = d->q.s;
    int rc = agg_redis_key(s, AGG_RK_POSTS, q_bucket(&d->q, i), 0, d->q.dim, &lens[1]);

    if (rc)
        return rc;
    argv[0] = "LRANGE";
    lens[0] = 6;
    argv[1] = s->kbuf;
    argv[2] = "0";
    lens[2] = 1;
    argv[3] = "-1";
    lens[3] = 2;
    *argc = 4;
    return KZ_OK;
}

static int on_lrange(void *ctx, size_t i, const redisReply *r, char *err, size_t errlen)
{
    struct rs_posts *d = ctx;
    int rc;

    if (r->type != REDIS_REPLY_ARRAY)
        return agg_redis_unexpected(&d->q.s->conn, r, "posts: LRANGE", err, errlen);
    for (size_t j = 0; j < r->elements; j++) {
        const redisReply *e = r->element[j];

        if (!e || e->type != REDIS_REPLY_STRING)
            return agg_redis_unexpected(&d->q.s->conn, e ? e : r, "posts: LRANGE", err, errlen);
        if ((rc = agg_posts_push(d->out, &d->cap, q_bucket(&d->q, i), e->str, e->len)))
            return rc;
    }
    return KZ_OK;
}

int agg_redis_posts(void *self, const char *dim, int64_t from_ms, int64_t to_ms,
                    struct agg_posts *out, char *err, size_t errlen)
{
    struct agg_redis_store *s = self;
    struct rs_posts d = {.q = {.s = s, .type = AGG_RK_POSTS, .dim = kz_str_make(dim, strlen(dim))},
                         .out = out};
    size_t n;
    int rc;

    if ((rc = rs_window("posts", from_ms, to_ms, AGG_MINUTE_MS, &d.q.first, &n, err, errlen)) ||
        n == 0)
        return rc;
    return agg_redis_pipeline(&s->conn, n, build_lrange, on_lrange, &d, "posts", err, errlen);
}

int agg_redis_offset(void *self, const char *source, int32_t partition, int64_t *offset, char *err,
                     size_t errlen)
{
    struct agg_redis_store *s = self;
    size_t n = strlen(source);
    const char *argv[3];
    size_t lens[3];
    redisReply *r;
    char *field;
    int rc;

    if ((rc = agg_redis_connect(&s->conn, err, errlen)))
        return rc;
    if (!(field = malloc(n + AGG_REDIS_NUM_MAX)))
        return KZ_ENOMEM;
    n = agg_redis_offset_field(field, source, partition);
    argv[0] = "HGET";
    lens[0] = 4;
    argv[1] = s->offsets_key;
    lens[1] = strlen(s->offsets_key);
    argv[2] = field;
    lens[2] = n;
    rc = agg_redis_command(&s->conn, 3, argv, lens, "offset: HGET", &r, err, errlen);
    free(field);
    if (rc)
        return rc;
    if (r->type == REDIS_REPLY_NIL)
        rc = KZ_ENOTFOUND;
    else if (r->type != REDIS_REPLY_STRING || agg_redis_parse_i64(r->str, r->len, offset))
        rc = agg_redis_unexpected(&s->conn, r, "offset: HGET", err, errlen);
    freeReplyObject(r);
    return rc;
}
