/* store.c -- the store interface: argument checks and dispatch to an implementation.
 *
 * Design: struct agg_store is a pair (ops, self), as in libuv's handles or
 * librdkafka's pluggable interceptors.  The wrapper checks what every
 * implementation would otherwise check again (NULL pointers, granularity and
 * kind ranges, an empty window), clears result structs before the call so a
 * failed query never leaves the caller with garbage to free, and writes a
 * message for errors an implementation reports without one.  Implementations
 * (store_mem.c, store_redis.c) only ever see valid arguments.
 *
 * Invariant: a result struct is either all-zero or owns its arrays; the
 * agg_*_free() functions accept both and leave the struct all-zero.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "agg_internal.h"

struct agg_store {
    const struct agg_store_ops *ops;
    void *self;
};

int agg_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

const struct agg_store_ops *agg_store_ops_of(const struct agg_store *s)
{
    return s ? s->ops : NULL;
}

void *agg_store_self(const struct agg_store *s)
{
    return s ? s->self : NULL;
}

int agg_store_wrap(const struct agg_store_ops *ops, void *self, struct agg_store **out)
{
    struct agg_store *s;

    if (!out)
        return KZ_EINVAL;
    *out = NULL;
    if (!ops)
        return KZ_EINVAL;
    s = malloc(sizeof *s);
    if (!s) {
        /* We took ownership: release self even when we cannot wrap it. */
        if (ops->free)
            ops->free(self);
        return KZ_ENOMEM;
    }
    s->ops = ops;
    s->self = self;
    *out = s;
    return KZ_OK;
}

void agg_store_free(struct agg_store *s)
{
    if (!s)
        return;
    if (s->ops->free)
        s->ops->free(s->self);
    free(s);
}

const char *agg_store_name(const struct agg_store *s)
{
    return s && s->ops->name ? s->ops->name : "unknown";
}

/* Make sure a failing implementation still leaves a message. */
static int finish(int rc, char *err, size_t errlen, const char *what)
{
    if (rc < 0 && err && errlen && err[0] == '\0')
        agg_errf(err, errlen, rc, "%s: %s", what, kz_strerror(rc));
    return rc;
}

static void clear_err(char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
}

/* A queried dimension folded as stored ones are (dims.c: ASCII A-Z to a-z),
 * so "region:KZ-47" finds "region:kz-47".  Into buf when it fits; else the
 * dimension as given (no stored dimension is that long). */
static const char *fold_dim(const char *dim, char *buf, size_t cap)
{
    size_t n = strlen(dim);
    if (n >= cap)
        return dim;
    for (size_t i = 0; i <= n; i++)
        buf[i] = (char)(dim[i] >= 'A' && dim[i] <= 'Z' ? dim[i] + 32 : dim[i]);
    return buf;
}

static int check_gran(enum agg_gran g, char *err, size_t errlen)
{
    if (g != AGG_MINUTE && g != AGG_HOUR)
        return agg_errf(err, errlen, KZ_EINVAL, "granularity %d: expected minute or hour", (int)g);
    return KZ_OK;
}

int agg_store_apply(struct agg_store *s, const struct agg_batch *b, const struct agg_position *pos,
                    size_t npos, char *err, size_t errlen)
{
    clear_err(err, errlen);
    if (!s || !b || (npos && !pos))
        return agg_errf(err, errlen, KZ_EINVAL, "apply: missing store, batch or positions");
    for (size_t i = 0; i < npos; i++)
        if (!pos[i].source)
            return agg_errf(err, errlen, KZ_EINVAL, "apply: position %zu has no source", i);
    for (size_t i = 0; i < npos; i++)
        if (pos[i].first_offset > pos[i].offset)
            return agg_errf(err, errlen, KZ_EINVAL,
                            "apply: %s/%d: first offset %lld is above the last, %lld",
                            pos[i].source, (int)pos[i].partition, (long long)pos[i].first_offset,
                            (long long)pos[i].offset);
    if (!s->ops->apply)
        return agg_errf(err, errlen, KZ_EUNSUPPORTED, "%s: apply not supported", s->ops->name);
    return finish(s->ops->apply(s->self, b, pos, npos, err, errlen), err, errlen, "apply");
}

int agg_store_series(struct agg_store *s, enum agg_gran g, const char *dim, int64_t from_ms,
                     int64_t to_ms, struct agg_series *out, char *err, size_t errlen)
{
    int rc;

    clear_err(err, errlen);
    if (out)
        memset(out, 0, sizeof *out);
    if (!s || !dim || !out)
        return agg_errf(err, errlen, KZ_EINVAL, "series: missing store, dimension or result");
    if ((rc = check_gran(g, err, errlen)))
        return rc;
    if (!s->ops->series)
        return agg_errf(err, errlen, KZ_EUNSUPPORTED, "%s: series not supported", s->ops->name);
    char fb[512];
    rc =
        s->ops->series(s->self, g, fold_dim(dim, fb, sizeof(fb)), from_ms, to_ms, out, err, errlen);
    if (rc < 0)
        agg_series_free(out);
    return finish(rc, err, errlen, "series");
}

int agg_store_topk(struct agg_store *s, enum agg_top_kind k, int64_t from_ms, int64_t to_ms,
                   size_t limit, struct agg_top *out, char *err, size_t errlen)
{
    int rc;

    clear_err(err, errlen);
    if (out)
        memset(out, 0, sizeof *out);
    if (!s || !out)
        return agg_errf(err, errlen, KZ_EINVAL, "topk: missing store or result");
    if (k != AGG_TOP_HASHTAG && k != AGG_TOP_TERM && k != AGG_TOP_CHANNEL)
        return agg_errf(err, errlen, KZ_EINVAL, "topk: kind %d: expected hashtag, term or channel",
                        (int)k);
    if (!s->ops->topk)
        return agg_errf(err, errlen, KZ_EUNSUPPORTED, "%s: topk not supported", s->ops->name);
    rc = s->ops->topk(s->self, k, from_ms, to_ms, limit, out, err, errlen);
    if (rc < 0)
        agg_top_free(out);
    return finish(rc, err, errlen, "topk");
}

int agg_store_distinct(struct agg_store *s, const char *dim, int64_t from_ms, int64_t to_ms,
                       uint64_t *out, char *err, size_t errlen)
{
    clear_err(err, errlen);
    if (out)
        *out = 0;
    if (!s || !dim || !out)
        return agg_errf(err, errlen, KZ_EINVAL, "distinct: missing store, dimension or result");
    if (!s->ops->distinct)
        return agg_errf(err, errlen, KZ_EUNSUPPORTED, "%s: distinct not supported", s->ops->name);
    char fb[512];
    dim = fold_dim(dim, fb, sizeof(fb));
    return finish(s->ops->distinct(s->self, AGG_HOUR, dim, from_ms, to_ms, out, err, errlen), err,
                  errlen, "distinct");
}

int agg_store_distinct_minutes(struct agg_store *s, const char *dim, int64_t from_ms, int64_t to_ms,
                               uint64_t *out, char *err, size_t errlen)
{
    clear_err(err, errlen);
    if (out)
        *out = 0;
    if (!s || !dim || !out)
        return agg_errf(err, errlen, KZ_EINVAL,
                        "distinct minutes: missing store, dimension or result");
    if (!s->ops->distinct)
        return agg_errf(err, errlen, KZ_EUNSUPPORTED, "%s: distinct not supported", s->ops->name);
    if (to_ms > from_ms &&
        ((uint64_t)to_ms - (uint64_t)from_ms) / AGG_MINUTE_MS > AGG_MINUTE_DISTINCT_MAX)
        return agg_errf(err, errlen, KZ_ERANGE,
                        "distinct minutes: window of %lld minutes is over the limit of %d",
                        (long long)(((uint64_t)to_ms - (uint64_t)from_ms) / AGG_MINUTE_MS),
                        AGG_MINUTE_DISTINCT_MAX);
    char fb[512];
    dim = fold_dim(dim, fb, sizeof(fb));
    return finish(s->ops->distinct(s->self, AGG_MINUTE, dim, from_ms, to_ms, out, err, errlen), err,
                  errlen, "distinct minutes");
}

int agg_store_dims(struct agg_store *s, enum agg_gran g, const char *prefix, int64_t from_ms,
                   int64_t to_ms, struct agg_dimcounts *out, char *err, size_t errlen)
{
    int rc;

    clear_err(err, errlen);
    if (out)
        memset(out, 0, sizeof *out);
    if (!s || !prefix || !out)
        return agg_errf(err, errlen, KZ_EINVAL, "dims: missing store, prefix or result");
    if ((rc = check_gran(g, err, errlen)))
        return rc;
    if (!s->ops->dims)
        return agg_errf(err, errlen, KZ_EUNSUPPORTED, "%s: dims not supported", s->ops->name);
    char fb[512];
    rc = s->ops->dims(s->self, g, fold_dim(prefix, fb, sizeof(fb)), from_ms, to_ms, out, err,
                      errlen);
    if (rc < 0)
        agg_dimcounts_free(out);
    return finish(rc, err, errlen, "dims");
}

int agg_store_offset(struct agg_store *s, const char *source, int32_t partition, int64_t *offset,
                     char *err, size_t errlen)
{
    int rc;

    clear_err(err, errlen);
    if (!s || !source || !offset)
        return agg_errf(err, errlen, KZ_EINVAL, "offset: missing store, source or result");
    if (!s->ops->offset)
        return agg_errf(err, errlen, KZ_EUNSUPPORTED, "%s: offset not supported", s->ops->name);
    rc = s->ops->offset(s->self, source, partition, offset, err, errlen);
    /* "No offset yet" is an answer, not a failure: no message unless one was given. */
    return rc == KZ_ENOTFOUND ? rc : finish(rc, err, errlen, "offset");
}

/* Newest first: event time descending, then the store's order. */
static int post_cmp(const void *a, const void *b)
{
    const struct agg_post *x = a, *y = b;

    if (x->s.ts_ms != y->s.ts_ms)
        return x->s.ts_ms > y->s.ts_ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int agg_store_posts(struct agg_store *s, const char *dim, int64_t from_ms, int64_t to_ms,
                    size_t limit, struct agg_posts *out, char *err, size_t errlen)
{
    size_t k = 0;
    int rc;

    clear_err(err, errlen);
    if (out)
        memset(out, 0, sizeof *out);
    if (!s || !dim || !out)
        return agg_errf(err, errlen, KZ_EINVAL, "posts: missing store, dimension or result");
    if (!agg_sample_dim(dim, strlen(dim)))
        return agg_errf(err, errlen, KZ_EINVAL,
                        "posts: \"%s\" keeps no sample posts; expected topic:<t>, stance:<s>, "
                        "mob:call or region:<r> (not unknown)",
                        dim);
    if (!s->ops->posts)
        return agg_errf(err, errlen, KZ_EUNSUPPORTED, "%s: posts not supported", s->ops->name);
    char fb[512];
    rc = s->ops->posts(s->self, fold_dim(dim, fb, sizeof(fb)), from_ms, to_ms, out, err, errlen);
    if (rc < 0) {
        agg_posts_free(out);
        return finish(rc, err, errlen, "posts");
    }
    /* Decode; a record that is not one (written by something else) is left out. */
    for (size_t i = 0; i < out->n; i++) {
        struct agg_post *p = &out->items[i];

        if (agg_sample_decode(p->rec, p->len, &p->s)) {
            free(p->rec);
            continue;
        }
        p->seq = i;
        out->items[k++] = *p;
    }
    out->n = k;
    if (k > 1)
        qsort(out->items, k, sizeof *out->items, post_cmp);
    out->total = k;
    if (limit && k > limit) {
        for (size_t i = limit; i < k; i++)
            free(out->items[i].rec);
        out->n = limit;
    }
    return rc;
}

/* A group or member name: non-empty. */
static int check_name(const char *what, const char *v, char *err, size_t errlen)
{
    if (!v || !v[0])
        return agg_errf(err, errlen, KZ_EINVAL, "watermark: missing %s name", what);
    return KZ_OK;
}

int agg_store_publish_watermark(struct agg_store *s, const char *group, const char *member,
                                int64_t watermark_ms, int64_t now_ms, char *err, size_t errlen)
{
    int rc;

    clear_err(err, errlen);
    if (!s)
        return agg_errf(err, errlen, KZ_EINVAL, "watermark: missing store");
    if ((rc = check_name("group", group, err, errlen)) ||
        (rc = check_name("member", member, err, errlen)))
        return rc;
    if (!s->ops->publish_watermark)
        return agg_errf(err, errlen, KZ_EUNSUPPORTED, "%s: watermarks not supported", s->ops->name);
    return finish(
        s->ops->publish_watermark(s->self, group, member, watermark_ms, now_ms, err, errlen), err,
        errlen, "publish watermark");
}

int agg_store_retire(struct agg_store *s, const char *group, const char *member, char *err,
                     size_t errlen)
{
    int rc;

    clear_err(err, errlen);
    if (!s)
        return agg_errf(err, errlen, KZ_EINVAL, "retire: missing store");
    if ((rc = check_name("group", group, err, errlen)) ||
        (rc = check_name("member", member, err, errlen)))
        return rc;
    if (!s->ops->retire)
        return agg_errf(err, errlen, KZ_EUNSUPPORTED, "%s: watermarks not supported", s->ops->name);
    return finish(s->ops->retire(s->self, group, member, err, errlen), err, errlen, "retire");
}

int agg_store_watermark(struct agg_store *s, const char *group, int64_t max_age_ms, int64_t now_ms,
                        int64_t *watermark_ms, char *err, size_t errlen)
{
    int rc;

    clear_err(err, errlen);
    if (!s || !watermark_ms)
        return agg_errf(err, errlen, KZ_EINVAL, "watermark: missing store or result");
    if ((rc = check_name("group", group, err, errlen)))
        return rc;
    if (max_age_ms < 0)
        return agg_errf(err, errlen, KZ_EINVAL, "watermark: negative maximum age %lld ms",
                        (long long)max_age_ms);
    if (!s->ops->watermark)
        return agg_errf(err, errlen, KZ_EUNSUPPORTED, "%s: watermarks not supported", s->ops->name);
    rc = s->ops->watermark(s->self, group, max_age_ms, now_ms, watermark_ms, err, errlen);
    /* "No live member" is an answer, not a failure: no message unless one was given. */
    return rc == KZ_ENOTFOUND ? rc : finish(rc, err, errlen, "watermark");
}

void agg_series_free(struct agg_series *s)
{
    if (!s)
        return;
    free(s->points);
    memset(s, 0, sizeof *s);
}

void agg_top_free(struct agg_top *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->items[i].member);
    free(t->items);
    memset(t, 0, sizeof *t);
}

void agg_dimcounts_free(struct agg_dimcounts *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->items[i].dim);
    free(d->items);
    memset(d, 0, sizeof *d);
}

int agg_posts_push(struct agg_posts *out, size_t *cap, int64_t minute_ms, const char *rec,
                   size_t len)
{
    struct agg_post *p;

    if (out->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        struct agg_post *a = realloc(out->items, nc * sizeof *a);

        if (!a)
            return KZ_ENOMEM;
        out->items = a;
        *cap = nc;
    }
    p = &out->items[out->n];
    memset(p, 0, sizeof *p);
    if (!(p->rec = malloc(len + 1)))
        return KZ_ENOMEM;
    memcpy(p->rec, rec, len);
    p->rec[len] = '\0';
    p->len = len;
    p->minute_ms = minute_ms;
    out->n++;
    return KZ_OK;
}

void agg_posts_free(struct agg_posts *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->items[i].rec);
    free(p->items);
    memset(p, 0, sizeof *p);
}

int agg_ranked_cmp(const void *a, const void *b)
{
    const struct agg_ranked *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c;

    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    c = memcmp(x->s, y->s, n);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}
