/* store_mem.c -- the in-process store: counters, top-k and HyperLogLogs in memory.
 *
 * Design: every dimension and member is interned once into a string table
 * and referred to by a 32-bit id (the tables are in memtab.c).  Each granularity keeps its
 * time buckets as individually allocated records in an array sorted by start
 * (appends are the common case; late posts insert in the middle), found by
 * binary search.  A bucket holds small open-addressing maps id -> count for
 * its dimensions; hour buckets also hold one map per top-k kind and a map
 * dim id -> HyperLogLog (sparse while small: struct mem_sketch).  Per-partition offsets are a short
 * array searched linearly: a process owns a handful of partitions.  The group members' watermarks
 * and heartbeats are a table of their own (wmtab.c).
 *
 * apply is atomic by preparing before committing.  Prepare interns strings,
 * creates missing buckets, inserts zero-valued counters, allocates empty
 * sketches and adds not-yet-set offset slots: everything that can fail, and
 * nothing a query can see, because queries skip zero counts, an empty sketch
 * adds nothing to a merge, bounds() only reports buckets marked live and an
 * offset slot is invisible until set.  Prepare notes where each entry went
 * (bucket, map and string id; for an author, its sketch), so commit neither
 * interns nor searches buckets again: it only adds, which cannot fail.  A
 * failed prepare leaves harmless placeholders that a later apply reuses.
 *
 * Idempotency: when every given position is at or below the stored offset
 * of its partition, apply returns 1 before touching anything; otherwise it
 * applies and raises each stored offset to the maximum seen.
 *
 * Retention: after a commit, a granularity drops the buckets that are at
 * least its retention older than the newest bucket it has seen, so a
 * retention of R keeps ceil(R / width) buckets counting the newest.  Top-k and
 * sketches live in hour buckets and go with them.  Interned strings are
 * never dropped (their number is bounded by distinct dimensions and members).
 *
 * Samples (drill-down) live in minute buckets: per dimension a tally of at
 * most AGG_SAMPLES_MAX kept, and per bucket one array of the kept samples
 * (list, offset and length in the bucket's record bytes), filled in the order
 * batches bring them, so the first ones stay -- as in Redis.  (A fixed array
 * of 20 per list would cost 160 bytes for a list of one: most minutes of an
 * archive hold a post or two per region.)  Prepare counts the records each list will take (pending)
 * and then grows each bucket's record bytes and sample array once, to exactly what they will hold
 * (samples_room); commit copies them in.  A post kept for several dimensions
 * of one minute is stored once (the batch hands its samples one after another, with the same bytes)
 * and referred to by each list. Retention drops them with their minute.
 *
 * Query windows: a bucket is in [from, to) when floor(from) <= start <
 * floor(to), both floored to the bucket width, as aggregate.h states.
 */
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "agg_internal.h"
#include "memtab.h"

#define MEM_MAX_POINTS (1u << 24) /* a dense series larger than this is a caller bug */

/* ---------------------------------------------------------------------------
 * Buckets
 * ------------------------------------------------------------------------ */

struct mem_slist {
    uint8_t n;       /* kept */
    uint8_t pending; /* prepared, not yet committed */
};

/* A kept sample: its list and its record in mem_bucket.recs. */
struct mem_sent {
    uint32_t sl, off, len;
};

/* A distinct-authors sketch: sparse -- the registers set, each index << 8 |
 * value, no index twice, unsorted -- while it has at most MEM_SPARSE_MAX of
 * them, then a dense struct agg_hll.  Either way the registers are those
 * agg_hll_add() would set, so counts do not change; a minute with a handful
 * of callers costs a few dozen bytes instead of 16 KB.  pending counts the
 * points prepared and not yet committed: prepare makes room for them (or
 * goes dense), so commit never allocates. */
struct mem_sketch {
    struct agg_hll *dense; /* NULL while sparse */
    uint32_t *pt;
    uint32_t n, cap, pending;
};
#define MEM_SPARSE_MAX 2048 /* 8 KB of points; dense is 16 KB */

struct mem_bucket {
    int64_t start;
    struct agg_imap sample_idx; /* dim id -> index into sl (minute only) */
    struct mem_slist *sl;
    size_t nsl, cap_sl;
    struct mem_sent *se; /* every kept sample of the minute, in the order kept */
    size_t nse, cap_se, npending;
    char *recs; /* sample records, back to back */
    size_t rlen, rcap, rreserved;
    int live;                /* holds committed data (placeholders alone do not count) */
    struct agg_imap counts;  /* dim id -> posts */
    struct agg_imap top[3];  /* member id -> posts, per enum agg_top_kind (hour only) */
    struct agg_imap hll_idx; /* dim id -> index into hlls (minute: rule dims only) */
    struct mem_sketch **hlls;
    size_t nhll, cap_hll;
};

struct mem_gran {
    struct mem_bucket **b; /* sorted by start, no duplicates */
    size_t n, cap;
    int64_t width, retention;
    int64_t newest; /* newest committed bucket, valid when has_newest */
    int has_newest;
};

struct mem_offset {
    char *source;
    int32_t partition;
    int set; /* 0: a prepared slot that no apply has committed yet */
    int64_t offset;
};

/* Where prepare put a sample: its bucket and list, and whether it is kept. */
struct mem_sres {
    struct mem_bucket *b;
    uint32_t sl;
    int keep;
};

/* Where prepare put a counter, top-k member or author: commit adds there
 * without interning or finding the bucket again.  Buckets are allocated one
 * by one and their maps are inside them, so both addresses hold until the
 * sweep after commit; a map's values may move as prepare grows it, so commit
 * finds the value by id. */
struct mem_kres {
    struct mem_bucket *b;
    struct agg_imap *map; /* counts or top[k]; NULL for an author (idx: its HLL) */
    uint32_t id;          /* string id, or the HLL's index in b->hlls */
};

/* A key's bytes in the batch being applied and their string id. */
struct mem_sid {
    const char *p; /* NULL: empty slot */
    size_t n;
    uint32_t id;
};

struct mem_store {
    struct mem_gran gran[2]; /* by enum agg_gran */
    struct mem_sres *sres;   /* one per sample of the batch being applied */
    size_t nsres, cap_sres;
    struct mem_kres *kres; /* one per count, top-k and author entry of the batch */
    size_t nkres, cap_kres;
    struct mem_sid *sid; /* prepare: key bytes in the batch -> string id (see sid_intern) */
    size_t nsid, used_sid;
    struct agg_strtab strs;
    struct mem_offset *off;
    size_t noff, cap_off;
    struct agg_wmtab wm; /* watermarks and heartbeats (wmtab.c) */
};

static void bucket_free(struct mem_bucket *b)
{
    if (!b)
        return;
    agg_imap_free(&b->counts);
    for (size_t k = 0; k < KZ_ARRAY_LEN(b->top); k++)
        agg_imap_free(&b->top[k]);
    agg_imap_free(&b->hll_idx);
    agg_imap_free(&b->sample_idx);
    free(b->sl);
    free(b->se);
    free(b->recs);
    for (size_t i = 0; i < b->nhll; i++) {
        free(b->hlls[i]->dense);
        free(b->hlls[i]->pt);
        free(b->hlls[i]);
    }
    free(b->hlls);
    free(b);
}

/* The index of the first bucket starting at or after start. */
static size_t lower_bound(const struct mem_gran *g, int64_t start)
{
    size_t lo = 0, hi = g->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (g->b[mid]->start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct mem_bucket *bucket_find(const struct mem_gran *g, int64_t start)
{
    size_t i;

    /* Batches arrive in time order, so the newest bucket is the usual hit. */
    if (g->n && g->b[g->n - 1]->start == start)
        return g->b[g->n - 1];
    i = lower_bound(g, start);
    return i < g->n && g->b[i]->start == start ? g->b[i] : NULL;
}

static int bucket_get(struct mem_gran *g, int64_t start, struct mem_bucket **out)
{
    struct mem_bucket *b;
    size_t i;

    if ((*out = bucket_find(g, start)))
        return KZ_OK;
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        struct mem_bucket **a = realloc(g->b, cap * sizeof *a);

        if (!a)
            return KZ_ENOMEM;
        g->b = a;
        g->cap = cap;
    }
    b = calloc(1, sizeof *b);
    if (!b)
        return KZ_ENOMEM;
    b->start = start;
    i = lower_bound(g, start);
    memmove(g->b + i + 1, g->b + i, (g->n - i) * sizeof *g->b);
    g->b[i] = b;
    g->n++;
    *out = b;
    return KZ_OK;
}

static void gran_sweep(struct mem_gran *g)
{
    size_t drop = 0;

    if (g->retention <= 0 || !g->has_newest)
        return;
    while (drop < g->n && g->b[drop]->start <= g->newest &&
           (uint64_t)g->newest - (uint64_t)g->b[drop]->start >= (uint64_t)g->retention)
        bucket_free(g->b[drop++]);
    if (drop) {
        memmove(g->b, g->b + drop, (g->n - drop) * sizeof *g->b);
        g->n -= drop;
    }
}

static void gran_commit(struct mem_gran *g, struct mem_bucket *b)
{
    b->live = 1;
    if (!g->has_newest || b->start > g->newest) {
        g->newest = b->start;
        g->has_newest = 1;
    }
}

/* Floor t to the width; clamped at the bottom of int64, where no bucket can
 * be (agg_batch_add() refuses such times). */
static int64_t align_clamped(int64_t t, int64_t w)
{
    int64_t a;

    if (agg_align(t, w, &a))
        return (INT64_MIN / w) * w;
    return a;
}

/* The buckets of g in the window: indices [*lo, *hi). */
static void window(const struct mem_gran *g, int64_t from, int64_t to, size_t *lo, size_t *hi)
{
    int64_t fa = align_clamped(from, g->width), ta = align_clamped(to, g->width);

    if (ta <= fa) {
        *lo = *hi = 0;
        return;
    }
    *lo = lower_bound(g, fa);
    *hi = lower_bound(g, ta);
}

/* ---------------------------------------------------------------------------
 * Apply
 * ------------------------------------------------------------------------ */

struct apply_ctx {
    struct mem_store *m;
    int commit; /* 0: prepare (may fail), 1: commit (must not) */
    /* The record last counted in (prepare) or copied (commit), and where: the
     * batch hands one post's samples one after the other with the same
     * bytes, so a bucket stores a post's record once for all its dims. */
    const char *last_rec;
    const struct mem_bucket *last_b;
    uint32_t last_off;
    size_t isres; /* commit: the next entry of m->sres */
    size_t ikres; /* commit: the next entry of m->kres */
    /* prepare: the bucket last got per granularity.  A batch lists a post's
     * keys together, so most entries fall in the bucket of the one before;
     * this spares the binary search over the buckets (a pointer to follow at
     * each step) that bucket_find does for any bucket but the newest. */
    struct mem_bucket *last[2];
    /* prepare: (minute, dim) -> bucket and list, by the address of the dim's
     * bytes in the batch (one address per batch entry, fixed while it is
     * applied): the posts of a minute hit it, sparing intern and lookups */
    struct {
        const char *dim;
        int64_t minute;
        struct mem_bucket *b;
        uint32_t sl;
    } hit[64];
};

static struct mem_offset *offset_find(const struct mem_store *m, const char *source,
                                      int32_t partition)
{
    for (size_t i = 0; i < m->noff; i++)
        if (m->off[i].partition == partition && strcmp(m->off[i].source, source) == 0)
            return &m->off[i];
    return NULL;
}

static int offset_prepare(struct mem_store *m, const struct agg_position *p)
{
    struct mem_offset *o;
    char *src;
    size_t n;

    if (offset_find(m, p->source, p->partition))
        return KZ_OK;
    if (m->noff == m->cap_off) {
        size_t cap = m->cap_off ? m->cap_off * 2 : 8;

        o = realloc(m->off, cap * sizeof *o);
        if (!o)
            return KZ_ENOMEM;
        m->off = o;
        m->cap_off = cap;
    }
    n = strlen(p->source);
    src = malloc(n + 1);
    if (!src)
        return KZ_ENOMEM;
    memcpy(src, p->source, n + 1);
    o = &m->off[m->noff++];
    o->source = src;
    o->partition = p->partition;
    o->set = 0;
    o->offset = 0;
    return KZ_OK;
}

/* bucket_get() through c->last. */
static int ctx_bucket(struct apply_ctx *c, enum agg_gran gr, int64_t start, struct mem_bucket **out)
{
    int rc;

    if (c->last[gr] && c->last[gr]->start == start) {
        *out = c->last[gr];
        return KZ_OK;
    }
    if ((rc = bucket_get(&c->m->gran[gr], start, out)))
        return rc;
    c->last[gr] = *out;
    return KZ_OK;
}

/* Intern key.  The batch keeps one copy of each distinct key of its counters
 * and top-k members, so within one apply the address of the bytes names the
 * string: a map address -> id (reset per apply) spares hashing the bytes and
 * probing the string table for each of the many entries sharing a key. */
static int sid_intern(struct mem_store *m, struct kz_str key, uint32_t *id)
{
    size_t i, mask;
    int rc;

    if (m->used_sid * 2 >= m->nsid) { /* keep the load <= 1/2 */
        size_t n = m->nsid ? m->nsid * 2 : 1024;
        struct mem_sid *a = calloc(n, sizeof *a);

        if (!a)
            return KZ_ENOMEM;
        for (size_t j = 0; j < m->nsid; j++) {
            if (!m->sid[j].p)
                continue;
            i = (size_t)(((uintptr_t)m->sid[j].p * 0x9e3779b97f4a7c15ULL) >> 20) & (n - 1);
            while (a[i].p)
                i = (i + 1) & (n - 1);
            a[i] = m->sid[j];
        }
        free(m->sid);
        m->sid = a;
        m->nsid = n;
    }
    mask = m->nsid - 1;
    i = (size_t)(((uintptr_t)key.p * 0x9e3779b97f4a7c15ULL) >> 20) & mask;
    for (; m->sid[i].p; i = (i + 1) & mask) {
        if (m->sid[i].p == key.p && m->sid[i].n == key.n) {
            *id = m->sid[i].id;
            return KZ_OK;
        }
    }
    if ((rc = agg_strtab_intern(&m->strs, key.p, key.n, id)))
        return rc;
    if (key.p) {
        m->sid[i].p = key.p;
        m->sid[i].n = key.n;
        m->sid[i].id = *id;
        m->used_sid++;
    }
    return KZ_OK;
}

/* Room for one more entry in m->kres (prepare). */
static int kres_reserve(struct mem_store *m)
{
    if (m->nkres == m->cap_kres) {
        size_t cap = m->cap_kres ? m->cap_kres * 2 : 1024;
        struct mem_kres *a = realloc(m->kres, cap * sizeof *a);

        if (!a)
            return KZ_ENOMEM;
        m->kres = a;
        m->cap_kres = cap;
    }
    return KZ_OK;
}

/* The next entry prepare left for commit, or NULL (a bug: commit saw more
 * entries than prepare). */
static const struct mem_kres *kres_next(struct apply_ctx *c)
{
    return c->ikres < c->m->nkres ? &c->m->kres[c->ikres++] : NULL;
}

/* One increment of a bucket's counters (top_kind < 0) or of one of its top-k
 * maps.  Prepare (c->commit == 0) creates every entry the increment needs and
 * notes where it is (m->kres); commit only adds, so it cannot fail once
 * prepare succeeded. */
static int apply_to(struct apply_ctx *c, struct mem_gran *g, int64_t bucket_ms, struct kz_str key,
                    int top_kind, int64_t n)
{
    const struct mem_kres *r;
    struct mem_bucket *b;
    struct agg_imap *map;
    uint32_t id;
    int64_t *val;
    int isnew, rc;

    if (!c->commit) {
        if ((rc = kres_reserve(c->m)) || (rc = sid_intern(c->m, key, &id)) ||
            (rc = ctx_bucket(c, (enum agg_gran)(g - c->m->gran), bucket_ms, &b)))
            return rc;
        map = top_kind < 0 ? &b->counts : &b->top[top_kind];
        if ((rc = agg_imap_upsert(map, id, &val, &isnew)))
            return rc;
        c->m->kres[c->m->nkres++] = (struct mem_kres){b, map, id};
        return KZ_OK;
    }
    /* Prepare made all of these; a miss would be a bug, not a runtime error. */
    if (!(r = kres_next(c)) || !r->map || !(val = agg_imap_find(r->map, r->id)))
        return KZ_EINVAL;
    *val += n;
    gran_commit(g, r->b);
    return KZ_OK;
}

static int apply_count(void *vctx, enum agg_gran gr, int64_t bucket_ms, struct kz_str dim,
                       int64_t n)
{
    struct apply_ctx *c = vctx;
    return apply_to(c, &c->m->gran[gr], bucket_ms, dim, -1, n);
}

static int apply_top(void *vctx, int64_t hour_ms, enum agg_top_kind k, struct kz_str member,
                     int64_t n)
{
    struct apply_ctx *c = vctx;
    return apply_to(c, &c->m->gran[AGG_HOUR], hour_ms, member, (int)k, n);
}

/* The index in b->hlls of the sketch of dim id, made empty if missing. */
static int hll_prepare(struct mem_bucket *b, uint32_t id, uint32_t *idx)
{
    struct mem_sketch *h;
    int64_t *val;
    int isnew, rc;

    if ((val = agg_imap_find(&b->hll_idx, id))) {
        *idx = (uint32_t)*val;
        return KZ_OK;
    }
    if (b->nhll == b->cap_hll) {
        size_t cap = b->cap_hll ? b->cap_hll * 2 : 8;
        struct mem_sketch **a = realloc(b->hlls, cap * sizeof *a);

        if (!a)
            return KZ_ENOMEM;
        b->hlls = a;
        b->cap_hll = cap;
    }
    if (b->nhll >= UINT32_MAX / 2)
        return KZ_ERANGE;
    h = calloc(1, sizeof *h);
    if (!h)
        return KZ_ENOMEM;
    if ((rc = agg_imap_upsert(&b->hll_idx, id, &val, &isnew))) {
        free(h);
        return rc;
    }
    *val = (int64_t)b->nhll;
    *idx = (uint32_t)b->nhll;
    b->hlls[b->nhll++] = h;
    return KZ_OK;
}

/* Room for one more point in h: a larger array, or the dense form (the
 * same registers) once it would pass MEM_SPARSE_MAX. */
static int sketch_reserve(struct mem_sketch *h)
{
    if (h->dense)
        return KZ_OK;
    if (h->n + h->pending + 1 > MEM_SPARSE_MAX) {
        struct agg_hll *d = malloc(sizeof *d);

        if (!d)
            return KZ_ENOMEM;
        agg_hll_init(d);
        for (uint32_t i = 0; i < h->n; i++)
            d->reg[h->pt[i] >> 8] = (uint8_t)(h->pt[i] & 0xff);
        h->dense = d;
        free(h->pt);
        h->pt = NULL;
        h->n = h->cap = 0;
        return KZ_OK;
    }
    if (h->n + h->pending + 1 > h->cap) {
        uint32_t cap = h->cap ? 2 * h->cap : 8;
        uint32_t *p;

        while (cap < h->n + h->pending + 1)
            cap *= 2;
        if (!(p = realloc(h->pt, cap * sizeof *p)))
            return KZ_ENOMEM;
        h->pt = p;
        h->cap = cap;
    }
    h->pending++;
    return KZ_OK;
}

/* Commit one author (room made by sketch_reserve). */
static void sketch_add(struct mem_sketch *h, const char *p, size_t n)
{
    uint32_t index, i;
    uint8_t v;

    if (h->dense) {
        agg_hll_add(h->dense, p, n);
        return;
    }
    if (h->pending)
        h->pending--;
    agg_hll_point(p, n, &index, &v);
    for (i = 0; i < h->n; i++)
        if (h->pt[i] >> 8 == index) {
            if (v > (h->pt[i] & 0xff))
                h->pt[i] = index << 8 | v;
            return;
        }
    if (h->n < h->cap) /* always, after sketch_reserve */
        h->pt[h->n++] = index << 8 | v;
}

/* Fold a sketch into a dense accumulator. */
static void sketch_merge(struct agg_hll *acc, const struct mem_sketch *h)
{
    if (h->dense) {
        agg_hll_merge(acc, h->dense);
        return;
    }
    for (uint32_t i = 0; i < h->n; i++) {
        uint32_t index = h->pt[i] >> 8;
        uint8_t v = (uint8_t)(h->pt[i] & 0xff);

        if (v > acc->reg[index])
            acc->reg[index] = v;
    }
}

static int apply_author_in(struct apply_ctx *c, enum agg_gran gr, int64_t bucket_ms,
                           struct kz_str dim, struct kz_str author)
{
    struct mem_gran *g = &c->m->gran[gr];
    const struct mem_kres *r;
    struct mem_bucket *b;
    uint32_t id, idx;
    int rc;

    if (!c->commit) {
        if ((rc = kres_reserve(c->m)) || (rc = agg_strtab_intern(&c->m->strs, dim.p, dim.n, &id)) ||
            (rc = ctx_bucket(c, gr, bucket_ms, &b)) || (rc = hll_prepare(b, id, &idx)) ||
            (rc = sketch_reserve(b->hlls[idx])))
            return rc;
        c->m->kres[c->m->nkres++] = (struct mem_kres){b, NULL, idx};
        return KZ_OK;
    }
    if (!(r = kres_next(c)) || r->map || r->id >= r->b->nhll)
        return KZ_EINVAL;
    sketch_add(r->b->hlls[r->id], author.p, author.n);
    gran_commit(g, r->b);
    return KZ_OK;
}

static int apply_author(void *vctx, int64_t hour_ms, struct kz_str dim, struct kz_str author)
{
    return apply_author_in(vctx, AGG_HOUR, hour_ms, dim, author);
}

/* The per-minute sketches (mob:call and its regions): sparse while small,
 * like the hours' (struct mem_sketch), dropped with their minute bucket by
 * minute_retention_ms. */
static int apply_minute_author(void *vctx, int64_t minute_ms, struct kz_str dim,
                               struct kz_str author)
{
    return apply_author_in(vctx, AGG_MINUTE, minute_ms, dim, author);
}

/* Prepare: make the list, count the record in if the list has room, grow the
 * record bytes, and remember where the sample goes (m->sres), so that commit
 * copies without looking anything up again. */
static int apply_sample(void *vctx, int64_t minute_ms, struct kz_str dim, struct kz_str rec)
{
    struct apply_ctx *c = vctx;
    struct mem_store *m = c->m;
    struct mem_bucket *b;
    struct mem_slist *sl;
    uint32_t id;
    int64_t *val;
    int isnew, rc;

    if (!c->commit) {
        if (m->nsres == m->cap_sres) {
            size_t cap = m->cap_sres ? m->cap_sres * 2 : 1024;
            struct mem_sres *a = realloc(m->sres, cap * sizeof *a);

            if (!a)
                return KZ_ENOMEM;
            m->sres = a;
            m->cap_sres = cap;
        }
        size_t h = ((uintptr_t)dim.p >> 3) % KZ_ARRAY_LEN(c->hit);
        uint32_t sli;

        if (c->hit[h].dim == dim.p && c->hit[h].minute == minute_ms) {
            b = c->hit[h].b;
            sli = c->hit[h].sl;
        } else {
            if ((rc = sid_intern(m, dim, &id)) || (rc = ctx_bucket(c, AGG_MINUTE, minute_ms, &b)))
                return rc;
            if (b->nsl == b->cap_sl) { /* room for a new list (harmless if unused) */
                size_t cap = b->cap_sl ? b->cap_sl * 2 : 4;
                struct mem_slist *a = realloc(b->sl, cap * sizeof *a);

                if (!a)
                    return KZ_ENOMEM;
                b->sl = a;
                b->cap_sl = cap;
            }
            if ((rc = agg_imap_upsert(&b->sample_idx, id, &val, &isnew)))
                return rc;
            if (isnew) {
                memset(&b->sl[b->nsl], 0, sizeof *b->sl);
                *val = (int64_t)b->nsl++;
            }
            sli = (uint32_t)*val;
            c->hit[h].dim = dim.p;
            c->hit[h].minute = minute_ms;
            c->hit[h].b = b;
            c->hit[h].sl = sli;
        }
        m->sres[m->nsres].b = b;
        m->sres[m->nsres].sl = sli;
        m->sres[m->nsres].keep = 0;
        sl = &b->sl[sli];
        if (sl->n + sl->pending >= AGG_SAMPLES_MAX) {
            m->nsres++;
            return KZ_OK;
        }
        /* room in se and recs is made once per bucket, by samples_room() */
        if (!(rec.p == c->last_rec && b == c->last_b)) { /* else: shares the record before */
            if (rec.n > UINT32_MAX / 4 || b->rlen + b->rreserved + rec.n > UINT32_MAX / 2)
                return KZ_ERANGE;
            b->rreserved += rec.n;
            c->last_rec = rec.p;
            c->last_b = b;
        }
        sl->pending++;
        b->npending++;
        m->sres[m->nsres++].keep = 1;
        return KZ_OK;
    }
    if (c->isres >= m->nsres)
        return KZ_EINVAL; /* commit saw more samples than prepare: a bug */
    {
        const struct mem_sres *r = &m->sres[c->isres++];

        if (!r->keep)
            return KZ_OK; /* the list was full */
        b = r->b;
        sl = &b->sl[r->sl];
    }
    if (rec.p != c->last_rec || b != c->last_b) {
        memcpy(b->recs + b->rlen, rec.p, rec.n);
        c->last_rec = rec.p;
        c->last_b = b;
        c->last_off = (uint32_t)b->rlen;
        b->rlen += rec.n;
        b->rreserved -= rec.n;
    }
    b->se[b->nse].sl = (uint32_t)(sl - b->sl);
    b->se[b->nse].off = c->last_off;
    b->se[b->nse++].len = (uint32_t)rec.n;
    sl->n++;
    sl->pending--;
    b->npending--;
    gran_commit(&m->gran[AGG_MINUTE], b);
    return KZ_OK;
}

/* After prepare counted the samples in: grow each bucket's records and
 * sample array once, to exactly what it will hold.  A minute older than the
 * newest rarely takes more samples (late posts only), and a minute of a
 * sparse archive holds a few posts, so room left by doubling would mostly
 * stay unused (it was a third of the samples' memory); the newest minute
 * grows again, once, with the next apply. */
static int samples_room(struct mem_store *m)
{
    struct mem_bucket *last = NULL;

    for (size_t i = 0; i < m->nsres; i++) {
        struct mem_bucket *b = m->sres[i].b;

        if (b == last)
            continue;
        last = b;
        if (b->rlen + b->rreserved > b->rcap) {
            char *p = realloc(b->recs, b->rlen + b->rreserved);

            if (!p)
                return KZ_ENOMEM;
            b->recs = p;
            b->rcap = b->rlen + b->rreserved;
        }
        if (b->nse + b->npending > b->cap_se) {
            struct mem_sent *a = realloc(b->se, (b->nse + b->npending) * sizeof *a);

            if (!a)
                return KZ_ENOMEM;
            b->se = a;
            b->cap_se = b->nse + b->npending;
        }
    }
    return KZ_OK;
}

/* After a failed prepare: forget what it counted in (the bytes it grew stay). */
static void samples_unprepare(struct mem_store *m)
{
    struct mem_gran *g = &m->gran[AGG_MINUTE];

    for (size_t i = 0; i < g->n; i++) {
        for (size_t j = 0; j < g->b[i]->nsl; j++)
            g->b[i]->sl[j].pending = 0;
        g->b[i]->npending = 0;
        g->b[i]->rreserved = 0;
    }
}

static int mem_apply(void *self, const struct agg_batch *batch, const struct agg_position *pos,
                     size_t npos, char *err, size_t errlen)
{
    struct mem_store *m = self;
    struct apply_ctx c;
    int rc;

    if (npos) { /* the same rule as the Redis script: see agg_store_apply() */
        size_t dup = 0, fresh = 0;

        for (size_t i = 0; i < npos; i++) {
            const struct mem_offset *o = offset_find(m, pos[i].source, pos[i].partition);

            if (o && o->set && pos[i].offset <= o->offset)
                dup++;
            else if (o && o->set && pos[i].first_offset <= o->offset)
                return AGG_APPLY_CONFLICT;
            else
                fresh++;
        }
        if (!fresh)
            return AGG_APPLY_DUPLICATE;
        if (dup)
            return AGG_APPLY_CONFLICT;
    }

    memset(&c, 0, sizeof c);
    c.m = m;
    m->nsres = 0;
    m->nkres = 0;
    if (m->used_sid) { /* addresses name strings within one batch only */
        memset(m->sid, 0, m->nsid * sizeof *m->sid);
        m->used_sid = 0;
    }
    for (size_t i = 0; i < npos; i++)
        if ((rc = offset_prepare(m, &pos[i])))
            return agg_errf(err, errlen, rc, "apply: preparing offset of %s/%d: %s", pos[i].source,
                            (int)pos[i].partition, kz_strerror(rc));
    if ((rc = agg_batch_foreach_count(batch, apply_count, &c)) ||
        (rc = agg_batch_foreach_top(batch, apply_top, &c)) ||
        (rc = agg_batch_foreach_author(batch, apply_author, &c)) ||
        (rc = agg_batch_foreach_minute_author(batch, apply_minute_author, &c)) ||
        (rc = agg_batch_foreach_sample(batch, apply_sample, &c)) || (rc = samples_room(m))) {
        samples_unprepare(m);
        return agg_errf(err, errlen, rc, "apply: preparing %zu keys: %s (nothing applied)",
                        agg_batch_keys(batch), kz_strerror(rc));
    }

    c.commit = 1;
    c.last_rec = NULL;
    c.last_b = NULL;
    c.isres = 0;
    c.ikres = 0;
    if ((rc = agg_batch_foreach_count(batch, apply_count, &c)) ||
        (rc = agg_batch_foreach_top(batch, apply_top, &c)) ||
        (rc = agg_batch_foreach_author(batch, apply_author, &c)) ||
        (rc = agg_batch_foreach_minute_author(batch, apply_minute_author, &c)) ||
        (rc = agg_batch_foreach_sample(batch, apply_sample, &c)))
        return agg_errf(err, errlen, rc, "apply: internal error: commit missed a prepared key");
    for (size_t i = 0; i < npos; i++) {
        struct mem_offset *o = offset_find(m, pos[i].source, pos[i].partition);

        if (!o->set || pos[i].offset > o->offset)
            o->offset = pos[i].offset;
        o->set = 1;
    }
    gran_sweep(&m->gran[AGG_MINUTE]);
    gran_sweep(&m->gran[AGG_HOUR]);
    return KZ_OK;
}

/* ---------------------------------------------------------------------------
 * Queries
 * ------------------------------------------------------------------------ */

static int mem_series(void *self, enum agg_gran gr, const char *dim, int64_t from_ms, int64_t to_ms,
                      struct agg_series *out, char *err, size_t errlen)
{
    struct mem_store *m = self;
    const struct mem_gran *g = &m->gran[gr];
    int64_t fa = align_clamped(from_ms, g->width), ta = align_clamped(to_ms, g->width);
    uint64_t n;
    uint32_t id;
    size_t lo, hi;

    if (ta <= fa)
        return KZ_OK;
    n = ((uint64_t)ta - (uint64_t)fa) / (uint64_t)g->width;
    if (n > MEM_MAX_POINTS)
        return agg_errf(err, errlen, KZ_ERANGE,
                        "series: window of %llu %s buckets is over the limit of %u",
                        (unsigned long long)n, agg_gran_name(gr), MEM_MAX_POINTS);
    out->points = calloc((size_t)n, sizeof *out->points);
    if (!out->points)
        return KZ_ENOMEM;
    out->n = (size_t)n;
    for (size_t i = 0; i < out->n; i++)
        out->points[i].bucket_ms = fa + (int64_t)i * g->width;
    if (!agg_strtab_find(&m->strs, dim, strlen(dim), &id))
        return KZ_OK;
    window(g, from_ms, to_ms, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const int64_t *v = agg_imap_find(&g->b[i]->counts, id);

        if (v && *v) {
            out->points[((uint64_t)g->b[i]->start - (uint64_t)fa) / (uint64_t)g->width].count = *v;
            out->total += *v;
        }
    }
    return KZ_OK;
}

/* Turn accumulated id -> total into a sorted array of ranked strings. */
static int rank(const struct mem_store *m, const struct agg_imap *acc, struct agg_ranked **out,
                size_t *n)
{
    struct agg_ranked *r;
    size_t k = 0;

    *out = NULL;
    *n = 0;
    if (acc->n == 0)
        return KZ_OK;
    r = malloc(acc->n * sizeof *r);
    if (!r)
        return KZ_ENOMEM;
    for (uint32_t i = 0; i < acc->nslot; i++) {
        if (!acc->s[i].key || acc->s[i].val == 0)
            continue;
        r[k].s = agg_strtab_str(&m->strs, acc->s[i].key - 1, &r[k].len);
        r[k].count = acc->s[i].val;
        k++;
    }
    qsort(r, k, sizeof *r, agg_ranked_cmp);
    *out = r;
    *n = k;
    return KZ_OK;
}

/* Add every nonzero value of src into acc. */
static int accumulate(struct agg_imap *acc, const struct agg_imap *src)
{
    for (uint32_t j = 0; j < src->nslot; j++) {
        int64_t *v;
        int isnew, rc;

        if (!src->s[j].key || src->s[j].val == 0)
            continue;
        if ((rc = agg_imap_upsert(acc, src->s[j].key - 1, &v, &isnew)))
            return rc;
        *v += src->s[j].val;
    }
    return KZ_OK;
}

static int mem_topk(void *self, enum agg_top_kind k, int64_t from_ms, int64_t to_ms, size_t limit,
                    struct agg_top *out, char *err, size_t errlen)
{
    struct mem_store *m = self;
    const struct mem_gran *g = &m->gran[AGG_HOUR];
    struct agg_imap acc = {0};
    struct agg_ranked *r = NULL;
    size_t lo, hi, n = 0;
    int rc = KZ_OK;

    window(g, from_ms, to_ms, &lo, &hi);
    for (size_t i = lo; i < hi && !rc; i++)
        rc = accumulate(&acc, &g->b[i]->top[k]);
    if (!rc)
        rc = rank(m, &acc, &r, &n);
    agg_imap_free(&acc);
    if (rc)
        return rc;
    if (limit && n > limit)
        n = limit;
    if (n) {
        out->items = calloc(n, sizeof *out->items);
        if (!out->items) {
            free(r);
            return KZ_ENOMEM;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!(out->items[i].member = strndup(r[i].s, r[i].len))) {
            free(r);
            return KZ_ENOMEM; /* the wrapper frees the out->n items made so far */
        }
        out->items[i].count = r[i].count;
        out->n++;
    }
    free(r);
    return KZ_OK;
}

static int mem_distinct(void *self, enum agg_gran gr, const char *dim, int64_t from_ms,
                        int64_t to_ms, uint64_t *out, char *err, size_t errlen)
{
    struct mem_store *m = self;
    const struct mem_gran *g = &m->gran[gr];
    struct agg_hll *acc;
    size_t lo, hi;
    uint32_t id;

    *out = 0;
    if (!agg_strtab_find(&m->strs, dim, strlen(dim), &id))
        return KZ_OK;
    window(g, from_ms, to_ms, &lo, &hi);
    if (lo == hi)
        return KZ_OK;
    acc = malloc(sizeof *acc); /* 16 KB: kept off the stack */
    if (!acc)
        return KZ_ENOMEM;
    agg_hll_init(acc);
    for (size_t i = lo; i < hi; i++) {
        const int64_t *v = agg_imap_find(&g->b[i]->hll_idx, id);

        if (v)
            sketch_merge(acc, g->b[i]->hlls[*v]);
    }
    *out = agg_hll_count(acc);
    free(acc);
    return KZ_OK;
}

static int mem_dims(void *self, enum agg_gran gr, const char *prefix, int64_t from_ms,
                    int64_t to_ms, struct agg_dimcounts *out, char *err, size_t errlen)
{
    struct mem_store *m = self;
    const struct mem_gran *g = &m->gran[gr];
    size_t plen = strlen(prefix), lo, hi, n = 0;
    int crosses = strchr(prefix, '|') != NULL;
    struct agg_imap acc = {0};
    struct agg_ranked *r = NULL;
    int rc = KZ_OK;

    window(g, from_ms, to_ms, &lo, &hi);
    for (size_t i = lo; i < hi && !rc; i++) {
        const struct agg_imap *c = &g->b[i]->counts;

        for (uint32_t j = 0; j < c->nslot && !rc; j++) {
            const char *s;
            size_t len;
            int64_t *v;
            int isnew;

            if (!c->s[j].key || c->s[j].val == 0)
                continue;
            s = agg_strtab_str(&m->strs, c->s[j].key - 1, &len);
            if (len < plen || memcmp(s, prefix, plen) != 0 || (!crosses && memchr(s, '|', len)))
                continue;
            if (!(rc = agg_imap_upsert(&acc, c->s[j].key - 1, &v, &isnew)))
                *v += c->s[j].val;
        }
    }
    if (!rc)
        rc = rank(m, &acc, &r, &n);
    agg_imap_free(&acc);
    if (rc)
        return rc;
    if (n) {
        out->items = calloc(n, sizeof *out->items);
        if (!out->items) {
            free(r);
            return KZ_ENOMEM;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!(out->items[i].dim = strndup(r[i].s, r[i].len))) {
            free(r);
            return KZ_ENOMEM;
        }
        out->items[i].count = r[i].count;
        out->n++;
    }
    free(r);
    return KZ_OK;
}

static int mem_posts(void *self, const char *dim, int64_t from_ms, int64_t to_ms,
                     struct agg_posts *out, char *err, size_t errlen)
{
    struct mem_store *m = self;
    const struct mem_gran *g = &m->gran[AGG_MINUTE];
    size_t lo, hi, cap = 0;
    uint32_t id;
    int rc;

    if (!agg_strtab_find(&m->strs, dim, strlen(dim), &id))
        return KZ_OK;
    window(g, from_ms, to_ms, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        const struct mem_bucket *b = g->b[i];
        const int64_t *v = agg_imap_find(&b->sample_idx, id);

        if (!v)
            continue;
        for (size_t j = 0; j < b->nse; j++)
            if (b->se[j].sl == (uint32_t)*v &&
                (rc = agg_posts_push(out, &cap, b->start, b->recs + b->se[j].off, b->se[j].len)))
                return rc;
    }
    return KZ_OK;
}

static int mem_offset_get(void *self, const char *source, int32_t partition, int64_t *offset,
                          char *err, size_t errlen)
{
    const struct mem_offset *o = offset_find(self, source, partition);

    if (!o || !o->set)
        return KZ_ENOTFOUND;
    *offset = o->offset;
    return KZ_OK;
}

static int mem_publish_watermark(void *self, const char *group, const char *member,
                                 int64_t watermark_ms, int64_t now_ms, char *err, size_t errlen)
{
    struct mem_store *m = self;

    return agg_wmtab_publish(&m->wm, group, member, watermark_ms, now_ms);
}

static int mem_retire(void *self, const char *group, const char *member, char *err, size_t errlen)
{
    struct mem_store *m = self;

    agg_wmtab_retire(&m->wm, group, member);
    return KZ_OK;
}

static int mem_watermark(void *self, const char *group, int64_t max_age_ms, int64_t now_ms,
                         int64_t *watermark_ms, char *err, size_t errlen)
{
    const struct mem_store *m = self;

    return agg_wmtab_min(&m->wm, group, max_age_ms, now_ms, watermark_ms);
}

static void mem_free(void *self)
{
    struct mem_store *m = self;

    if (!m)
        return;
    for (size_t g = 0; g < KZ_ARRAY_LEN(m->gran); g++) {
        for (size_t i = 0; i < m->gran[g].n; i++)
            bucket_free(m->gran[g].b[i]);
        free(m->gran[g].b);
    }
    for (size_t i = 0; i < m->noff; i++)
        free(m->off[i].source);
    free(m->off);
    agg_strtab_free(&m->strs);
    agg_wmtab_free(&m->wm);
    free(m->sres);
    free(m->kres);
    free(m->sid);
    free(m);
}

static const struct agg_store_ops mem_ops = {
    .name = "mem",
    .apply = mem_apply,
    .series = mem_series,
    .topk = mem_topk,
    .distinct = mem_distinct,
    .dims = mem_dims,
    .offset = mem_offset_get,
    .posts = mem_posts,
    .publish_watermark = mem_publish_watermark,
    .retire = mem_retire,
    .watermark = mem_watermark,
    .free = mem_free,
};

int agg_store_mem_new(const struct agg_mem_config *cfg, struct agg_store **out)
{
    struct mem_store *m;

    if (!out)
        return KZ_EINVAL;
    *out = NULL;
    if (cfg && (cfg->minute_retention_ms < 0 || cfg->hour_retention_ms < 0))
        return KZ_EINVAL;
    m = calloc(1, sizeof *m);
    if (!m)
        return KZ_ENOMEM;
    m->gran[AGG_MINUTE].width = AGG_MINUTE_MS;
    m->gran[AGG_HOUR].width = AGG_HOUR_MS;
    if (cfg) {
        m->gran[AGG_MINUTE].retention = cfg->minute_retention_ms;
        m->gran[AGG_HOUR].retention = cfg->hour_retention_ms;
    }
    return agg_store_wrap(&mem_ops, m, out);
}

int agg_store_mem_bounds(struct agg_store *s, int64_t *from_ms, int64_t *to_ms)
{
    const struct mem_store *m;
    int found = 0;
    int64_t lo = 0, hi = 0;

    if (!s || !from_ms || !to_ms || agg_store_ops_of(s) != &mem_ops)
        return KZ_EINVAL;
    m = agg_store_self(s);
    /* The union over both granularities, so that a series at either one
     * over [from, to) covers every stored bucket. */
    for (size_t gi = 0; gi < KZ_ARRAY_LEN(m->gran); gi++) {
        const struct mem_gran *g = &m->gran[gi];
        size_t i, j;

        for (i = 0; i < g->n && !g->b[i]->live; i++)
            ;
        if (i == g->n)
            continue;
        for (j = g->n; !g->b[j - 1]->live; j--)
            ;
        if (!found || g->b[i]->start < lo)
            lo = g->b[i]->start;
        if (!found || g->b[j - 1]->start + g->width > hi)
            hi = g->b[j - 1]->start + g->width;
        found = 1;
    }
    if (!found)
        return KZ_ENOTFOUND;
    *from_ms = lo;
    *to_ms = hi;
    return KZ_OK;
}
