/* batch.c -- coalescing increments in memory between two flushes.
 *
 * Design: three open-addressing hash tables share one byte arena:
 *   counts   (granularity, bucket, dimension)   -> posts
 *   tops     (hour, kind, member)               -> posts
 *   authors  (hour, dimension, author)          -> present (a set); sub 0
 *            (minute, dimension, author)        -> the same per minute, sub 1
 *                                                  (AGG_KEY_MAUTHOR dims only)
 * Each table is a dense array of entries in insertion order (so iteration is
 * a linear scan and replaying the same posts yields the same order) plus a
 * power-of-two slot array of entry indices probed linearly.  A key's hash is
 * the per-post string hash from dims.c mixed with the bucket and the kind, so
 * the bytes of a dimension are hashed once for both granularities.  The keys
 * of counts and tops are interned in a fourth table (strs) first: the arena
 * holds one copy of each distinct key, equal keys have equal offsets, so
 * those two tables compare offsets instead of bytes, and a store can tell a
 * key by its address while it applies the batch (store_mem.c does).
 *
 * agg_batch_add() first expands the post, then reserves room for the worst
 * case (every key new) in the tables and the arena, and only then inserts:
 * a post is either wholly counted or, on KZ_ENOMEM, not at all.  Once the
 * tables have grown to a flush's working set, adding a post allocates nothing.
 * agg_batch_reset() empties entries, slots and arena but keeps their memory.
 *
 * Samples: a list of references (minute, dimension, record) in the order
 * posts were added.  The minute counter of a sampled dimension is the tally:
 * a post whose increment leaves it at most AGG_SAMPLES_MAX is among the
 * first 20 of its (minute, dimension) and is kept, so sampling costs no
 * lookup of its own.  A post's record is encoded once, the
 * first time one of its dimensions keeps it, and shared by the others; records
 * have a buffer of their own, so that the key bytes the tables compare stay
 * dense in the arena (records in between cost the counters cache misses).
 * Memory is bounded by the posts of a flush: one record (<=
 * AGG_SAMPLE_REC_MAX bytes) and a few references per post at most.
 *
 * Invariants: the load factor of every slot array stays <= 3/4; an entry's
 * key bytes live at arena[off, off + len) and, for authors, the first split
 * bytes are the dimension and the rest the author; an entry of counts or tops
 * has the off and len of its key's entry in strs.
 */
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "agg_internal.h"

#define AGG_AUTHOR_SEED 0x617574686f72ULL /* "author" */

struct agg_entry {
    uint64_t hash;
    int64_t bucket_ms;
    int64_t count;
    size_t off;     /* key bytes in the arena */
    uint32_t len;   /* key length */
    uint32_t split; /* authors: length of the dimension part; else len */
    uint8_t sub;    /* granularity or top kind */
};

struct agg_tab {
    struct agg_entry *e;
    size_t n, cap;
    uint32_t *slot; /* 0 = empty, else entry index + 1 */
    size_t nslot;   /* power of two, or 0 before first use */
};

struct agg_sample_ref {
    int64_t minute_ms; /* the (minute, dim) counter's, copied so that iterating */
    size_t dim_off;    /* the samples reads the refs one after the other */
    uint32_t dim_len;
    uint32_t len; /* record bytes */
    size_t off;   /* record bytes in recs */
};

struct agg_batch {
    struct agg_tab counts, tops, authors;
    char **watch; /* agg_batch_set_watch: owned, folded */
    size_t *watch_len, nwatch;
    char **only; /* agg_batch_set_sample_dims: owned, folded; NULL: every dim */
    size_t *only_len, nonly;
    uint64_t *only_hash;
    struct agg_tab strs; /* the distinct key bytes of counts and tops (bucket 0, sub 0) */
    struct agg_sample_ref *refs;
    size_t nrefs, cap_refs;
    char *recs; /* sample records: apart from the key bytes, which stay dense */
    size_t rlen, rcap;
    char *arena;
    size_t alen, acap;
    struct agg_expansion x;
    uint64_t posts;
    bool no_samples; /* agg_batch_set_samples(b, false) */
};

/* ---------------------------------------------------------------------------
 * Hash tables
 * ------------------------------------------------------------------------ */

/* splitmix64's finalizer: spreads bucket and kind bits over the whole word. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t key_hash(uint64_t h, int64_t bucket, uint8_t sub)
{
    return mix64(h ^ ((uint64_t)bucket * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)sub << 56));
}

static void tab_free(struct agg_tab *t)
{
    free(t->e);
    free(t->slot);
    memset(t, 0, sizeof *t);
}

static void tab_clear(struct agg_tab *t)
{
    t->n = 0;
    if (t->slot)
        memset(t->slot, 0, t->nslot * sizeof *t->slot);
}

static void tab_place(struct agg_tab *t, size_t idx)
{
    size_t mask = t->nslot - 1, i = (size_t)t->e[idx].hash & mask;

    while (t->slot[i])
        i = (i + 1) & mask;
    t->slot[i] = (uint32_t)(idx + 1);
}

/* Make room for `more` new entries without further allocation. */
static int tab_reserve(struct agg_tab *t, size_t more)
{
    size_t need = t->n + more, nslot;

    if (more > UINT32_MAX / 2 || need > UINT32_MAX / 2)
        return KZ_ERANGE; /* slot indices are 32-bit */
    if (need > t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        struct agg_entry *e;

        while (cap < need)
            cap *= 2;
        e = realloc(t->e, cap * sizeof *e);
        if (!e)
            return KZ_ENOMEM;
        t->e = e;
        t->cap = cap;
    }
    if (need * 4 <= t->nslot * 3)
        return KZ_OK;
    nslot = t->nslot ? t->nslot : 128;
    while (need * 4 > nslot * 3)
        nslot *= 2;
    {
        uint32_t *slot = calloc(nslot, sizeof *slot);

        if (!slot)
            return KZ_ENOMEM;
        free(t->slot);
        t->slot = slot;
        t->nslot = nslot;
    }
    for (size_t i = 0; i < t->n; i++)
        tab_place(t, i);
    return KZ_OK;
}

int agg_grow(void *pp, size_t *cap, size_t n, size_t sz)
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

static int arena_reserve(struct agg_batch *b, size_t more)
{
    if (more > SIZE_MAX / 2 - b->alen)
        return KZ_ENOMEM;
    return agg_grow(&b->arena, &b->acap, b->alen + more, 1);
}

static int refs_reserve(struct agg_batch *b, size_t more)
{
    if (more > UINT32_MAX / 2 || b->nrefs + more > UINT32_MAX / 2)
        return KZ_ERANGE;
    return agg_grow(&b->refs, &b->cap_refs, b->nrefs + more, sizeof *b->refs);
}

/* Room for one more sample record. */
static int recs_reserve(struct agg_batch *b)
{
    return agg_grow(&b->recs, &b->rcap, b->rlen + AGG_SAMPLE_REC_MAX, 1);
}

/* Add n to the entry for (hash, bucket, sub, a||c); room must be reserved.
 * Returns the entry so that set semantics can ignore the count. */
static struct agg_entry *tab_upsert(struct agg_batch *b, struct agg_tab *t, uint64_t hash,
                                    int64_t bucket, uint8_t sub, const char *a, size_t alen,
                                    const char *c, size_t clen, int64_t n)
{
    size_t mask = t->nslot - 1, i = (size_t)hash & mask;
    size_t len = alen + clen;
    struct agg_entry *e;

    while (t->slot[i]) {
        e = &t->e[t->slot[i] - 1];
        if (e->hash == hash && e->bucket_ms == bucket && e->sub == sub && e->len == len &&
            e->split == alen && memcmp(b->arena + e->off, a, alen) == 0 &&
            (clen == 0 || memcmp(b->arena + e->off + alen, c, clen) == 0)) {
            e->count += n;
            return e;
        }
        i = (i + 1) & mask;
    }
    e = &t->e[t->n];
    e->hash = hash;
    e->bucket_ms = bucket;
    e->count = n;
    e->off = b->alen;
    e->len = (uint32_t)len;
    e->split = (uint32_t)alen;
    e->sub = sub;
    if (alen)
        memcpy(b->arena + b->alen, a, alen);
    if (clen)
        memcpy(b->arena + b->alen + alen, c, clen);
    b->alen += len;
    t->slot[i] = (uint32_t)(t->n + 1);
    t->n++;
    return e;
}

/* Add n to the entry for (hash, bucket, sub, the string at off); room must be
 * reserved.  Strings are interned in b->strs, so equal keys have equal
 * offsets and the bytes need no comparison. */
static struct agg_entry *tab_upsert_str(struct agg_tab *t, uint64_t hash, int64_t bucket,
                                        uint8_t sub, const struct agg_entry *str, int64_t n)
{
    size_t mask = t->nslot - 1, i = (size_t)hash & mask;
    struct agg_entry *e;

    while (t->slot[i]) {
        e = &t->e[t->slot[i] - 1];
        if (e->hash == hash && e->bucket_ms == bucket && e->sub == sub && e->off == str->off &&
            e->len == str->len) {
            e->count += n;
            return e;
        }
        i = (i + 1) & mask;
    }
    e = &t->e[t->n];
    e->hash = hash;
    e->bucket_ms = bucket;
    e->count = n;
    e->off = str->off;
    e->len = str->len;
    e->split = str->len;
    e->sub = sub;
    t->slot[i] = (uint32_t)(t->n + 1);
    t->n++;
    return e;
}

/* ---------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

int agg_batch_new(struct agg_batch **out)
{
    struct agg_batch *b;

    if (!out)
        return KZ_EINVAL;
    *out = NULL;
    b = calloc(1, sizeof *b);
    if (!b)
        return KZ_ENOMEM;
    *out = b;
    return KZ_OK;
}

void agg_batch_set_minute_authors(struct agg_batch *b, bool all)
{
    if (b)
        b->x.mauthors_all = all;
}

void agg_batch_set_samples(struct agg_batch *b, bool on)
{
    if (b)
        b->no_samples = !on;
}

bool agg_watch_dim_ok(const char *dim)
{
    size_t len = dim ? strlen(dim) : 0;
    size_t p = dim && !strncmp(dim, "hashtag:", 8) ? 8 : dim && !strncmp(dim, "term:", 5) ? 5 : 0;
    return p && len > p && len <= AGG_WATCH_LEN && !memchr(dim + p, '|', len - p);
}

static void free_list(char **d, size_t n)
{
    if (!d)
        return;
    for (size_t i = 0; i < n; i++)
        free(d[i]);
    free(d);
}

static void watch_clear(struct agg_batch *b)
{
    free_list(b->watch, b->nwatch);
    free(b->watch_len);
    b->watch = NULL;
    b->watch_len = NULL;
    b->nwatch = 0;
    b->x.watch = NULL;
    b->x.watch_len = NULL;
    b->x.nwatch = 0;
}

/* Copies of dims[0..n), folded as dims.c folds keys (ASCII only), and their
 * lengths, in arrays of n + 1 (so that an empty list is a list): 0 or
 * KZ_ENOMEM. */
static int fold_list(const char *const *dims, size_t n, char ***out, size_t **lens)
{
    char **d = calloc(n + 1, sizeof *d);
    size_t *dl = calloc(n + 1, sizeof *dl);

    if (!d || !dl) {
        free(d);
        free(dl);
        return KZ_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(d[i] = strdup(dims[i]))) {
            free_list(d, i);
            free(dl);
            return KZ_ENOMEM;
        }
        for (char *c = d[i]; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        dl[i] = strlen(d[i]);
    }
    *out = d;
    *lens = dl;
    return KZ_OK;
}

int agg_batch_set_watch(struct agg_batch *b, const char *const *dims, size_t n)
{
    char **w;
    size_t *wl;

    if (!b || (n && !dims) || n > AGG_WATCH_MAX)
        return KZ_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!agg_watch_dim_ok(dims[i]))
            return KZ_EINVAL;
    if (fold_list(dims, n, &w, &wl))
        return KZ_ENOMEM;
    watch_clear(b);
    b->watch = w;
    b->watch_len = wl;
    b->nwatch = n;
    b->x.watch = w;
    b->x.watch_len = wl;
    b->x.nwatch = n;
    return KZ_OK;
}

static void only_clear(struct agg_batch *b)
{
    free_list(b->only, b->nonly);
    free(b->only_len);
    free(b->only_hash);
    b->only = NULL;
    b->only_len = NULL;
    b->only_hash = NULL;
    b->nonly = 0;
    b->x.only = false;
    b->x.only_dim = NULL;
    b->x.only_len = NULL;
    b->x.only_hash = NULL;
    b->x.nonly = 0;
}

int agg_batch_set_sample_dims(struct agg_batch *b, const char *const *dims, size_t n)
{
    char **d;
    size_t *dl;
    uint64_t *dh;

    if (!b || (n && !dims) || n > AGG_WATCH_MAX)
        return KZ_EINVAL;
    if (!dims) {
        only_clear(b);
        return KZ_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (!dims[i])
            return KZ_EINVAL;
    if (fold_list(dims, n, &d, &dl))
        return KZ_ENOMEM;
    if (!(dh = calloc(n + 1, sizeof *dh))) {
        free_list(d, n);
        free(dl);
        return KZ_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (!agg_sample_dim(d[i], dl[i])) { /* folded first: "MOB:call" is mob:call */
            free_list(d, n);
            free(dl);
            free(dh);
            return KZ_EINVAL;
        }
        dh[i] = agg_key_hash(d[i], dl[i]);
    }
    only_clear(b);
    b->only = d;
    b->only_len = dl;
    b->only_hash = dh;
    b->nonly = n;
    b->x.only = true;
    b->x.only_dim = d;
    b->x.only_len = dl;
    b->x.only_hash = dh;
    b->x.nonly = n;
    return KZ_OK;
}

void agg_batch_free(struct agg_batch *b)
{
    if (!b)
        return;
    only_clear(b);
    tab_free(&b->counts);
    tab_free(&b->tops);
    tab_free(&b->authors);
    tab_free(&b->strs);
    free(b->refs);
    free(b->recs);
    watch_clear(b);
    agg_expansion_free(&b->x);
    free(b->arena);
    free(b);
}

int agg_batch_set_like(struct agg_batch *dst, const struct agg_batch *src)
{
    if (!dst || !src || dst == src)
        return KZ_EINVAL;
    int rc;

    dst->x.mauthors_all = src->x.mauthors_all;
    dst->no_samples = src->no_samples;
    if ((rc = agg_batch_set_sample_dims(dst, (const char *const *)src->only, src->nonly)))
        return rc;
    return agg_batch_set_watch(dst, (const char *const *)src->watch, src->nwatch);
}

void agg_batch_reset(struct agg_batch *b)
{
    if (!b)
        return;
    tab_clear(&b->counts);
    tab_clear(&b->tops);
    tab_clear(&b->authors);
    tab_clear(&b->strs);
    b->nrefs = 0;
    b->rlen = 0;
    b->alen = 0;
    b->posts = 0;
}

int agg_batch_add(struct agg_batch *b, const struct agg_facts *f)
{
    struct agg_expansion *x;
    int64_t minute, hour;
    size_t arena_more, nsample;
    int rc;

    if (!b || !f)
        return KZ_EINVAL;
    if ((rc = agg_align(f->ts_ms, AGG_HOUR_MS, &hour)))
        return rc;
    /* A representable hour start implies a representable minute start; the
     * end of the hour must be representable too, for the store's bounds. */
    if (hour > INT64_MAX - AGG_HOUR_MS || (rc = agg_align(f->ts_ms, AGG_MINUTE_MS, &minute)))
        return rc ? rc : KZ_ERANGE;
    x = &b->x;
    if ((rc = agg_expand(x, f)))
        return rc;
    if (f->author.n > UINT32_MAX / 4 || x->len > UINT32_MAX / 4)
        return KZ_ERANGE;

    /* The sampled dimensions (dims.c marks them). */
    nsample = 0;
    for (size_t i = 0; i < x->n && !b->no_samples; i++)
        nsample += x->keys[i].kind == AGG_KEY_COUNT && x->keys[i].sub;

    /* Worst case: every key is new.  Reserve it all before touching a table. */
    arena_more = 2 * x->bytes_count + x->bytes_top + x->bytes_author + x->n_author * f->author.n;
    if ((rc = tab_reserve(&b->counts, 2 * x->n_count)) || (rc = tab_reserve(&b->tops, x->n_top)) ||
        (rc = tab_reserve(&b->authors, x->n_author)) ||
        (rc = tab_reserve(&b->strs, x->n_count + x->n_top)) || (rc = refs_reserve(b, nsample)) ||
        (rc = arena_reserve(b, arena_more)) || (nsample && (rc = recs_reserve(b))))
        return rc;

    {
        uint64_t ah = f->author.n ? agg_murmur64a(f->author.p, f->author.n, AGG_AUTHOR_SEED) : 0;
        size_t rec_off = 0, rec_len = 0;
        int have_rec = 0;

        for (size_t i = 0; i < x->n; i++) {
            const struct agg_key *k = &x->keys[i];
            const char *p = x->buf + k->off;
            const struct agg_entry *str = NULL;

            if (k->kind != AGG_KEY_AUTHOR && k->kind != AGG_KEY_MAUTHOR)
                str = tab_upsert(b, &b->strs, k->hash, 0, 0, p, k->len, NULL, 0, 0);
            switch (k->kind) {
            case AGG_KEY_COUNT: {
                /* The minute counter is also the (minute, dim)'s tally of
                 * posts: the first AGG_SAMPLES_MAX of them are kept. */
                struct agg_entry *e = tab_upsert_str(
                    &b->counts, key_hash(k->hash, minute, AGG_MINUTE), minute, AGG_MINUTE, str, 1);
                size_t entry = (size_t)(e - b->counts.e);

                tab_upsert_str(&b->counts, key_hash(k->hash, hour, AGG_HOUR), hour, AGG_HOUR, str,
                               1);
                if (k->sub && nsample && b->counts.e[entry].count <= AGG_SAMPLES_MAX) {
                    struct agg_sample_ref *r;

                    if (!have_rec) { /* reserved above: AGG_SAMPLE_REC_MAX */
                        rec_off = b->rlen;
                        rec_len = agg_sample_encode(b->recs + b->rlen, f);
                        b->rlen += rec_len;
                        have_rec = 1;
                    }
                    r = &b->refs[b->nrefs++];
                    r->minute_ms = minute;
                    r->dim_off = str->off;
                    r->dim_len = str->len;
                    r->off = rec_off;
                    r->len = (uint32_t)rec_len;
                }
                break;
            }
            case AGG_KEY_TOP:
                tab_upsert_str(&b->tops, key_hash(k->hash, hour, k->sub), hour, k->sub, str, 1);
                break;
            case AGG_KEY_AUTHOR: {
                /* A set: a repeated (hour, dim, author) is merged, never re-added. */
                uint64_t h = key_hash(k->hash ^ mix64(ah), hour, 0);

                tab_upsert(b, &b->authors, h, hour, 0, p, k->len, f->author.p, f->author.n, 0);
                break;
            }
            case AGG_KEY_MAUTHOR: {
                uint64_t h = key_hash(k->hash ^ mix64(ah), minute, 1);

                tab_upsert(b, &b->authors, h, minute, 1, p, k->len, f->author.p, f->author.n, 0);
                break;
            }
            }
        }
    }
    b->posts++;
    return KZ_OK;
}

size_t agg_batch_samples(const struct agg_batch *b)
{
    return b ? b->nrefs : 0;
}

uint64_t agg_batch_posts(const struct agg_batch *b)
{
    return b ? b->posts : 0;
}

size_t agg_batch_keys(const struct agg_batch *b)
{
    return b ? b->counts.n : 0;
}

int agg_batch_foreach_count(const struct agg_batch *b, agg_count_fn fn, void *ctx)
{
    if (!b || !fn)
        return KZ_EINVAL;
    for (size_t i = 0; i < b->counts.n; i++) {
        const struct agg_entry *e = &b->counts.e[i];
        int rc = fn(ctx, (enum agg_gran)e->sub, e->bucket_ms,
                    kz_str_make(b->arena + e->off, e->len), e->count);

        if (rc)
            return rc;
    }
    return KZ_OK;
}

int agg_batch_foreach_top(const struct agg_batch *b, agg_topm_fn fn, void *ctx)
{
    if (!b || !fn)
        return KZ_EINVAL;
    for (size_t i = 0; i < b->tops.n; i++) {
        const struct agg_entry *e = &b->tops.e[i];
        int rc = fn(ctx, e->bucket_ms, (enum agg_top_kind)e->sub,
                    kz_str_make(b->arena + e->off, e->len), e->count);

        if (rc)
            return rc;
    }
    return KZ_OK;
}

/* The authors entries of one granularity: sub 0 hour, 1 minute. */
static int foreach_author(const struct agg_batch *b, uint8_t sub, agg_author_fn fn, void *ctx)
{
    if (!b || !fn)
        return KZ_EINVAL;
    for (size_t i = 0; i < b->authors.n; i++) {
        const struct agg_entry *e = &b->authors.e[i];
        const char *p = b->arena + e->off;
        int rc;

        if (e->sub != sub)
            continue;
        rc = fn(ctx, e->bucket_ms, kz_str_make(p, e->split),
                kz_str_make(p + e->split, e->len - e->split));
        if (rc)
            return rc;
    }
    return KZ_OK;
}

int agg_batch_foreach_author(const struct agg_batch *b, agg_author_fn fn, void *ctx)
{
    return foreach_author(b, 0, fn, ctx);
}

int agg_batch_foreach_minute_author(const struct agg_batch *b, agg_author_fn fn, void *ctx)
{
    return foreach_author(b, 1, fn, ctx);
}

int agg_batch_foreach_sample(const struct agg_batch *b, agg_sample_fn fn, void *ctx)
{
    if (!b || !fn)
        return KZ_EINVAL;
    for (size_t i = 0; i < b->nrefs; i++) {
        const struct agg_sample_ref *r = &b->refs[i];
        int rc = fn(ctx, r->minute_ms, kz_str_make(b->arena + r->dim_off, r->dim_len),
                    kz_str_make(b->recs + r->off, r->len));

        if (rc)
            return rc;
    }
    return KZ_OK;
}
