/*
 * fblock.c -- a block of facts in bytes (fblock.h).
 *
 * A post is: ts_ms (8 bytes), undated and mobilization (4 each), then the
 * strings platform, lang, region, author, channel, city, stance, id, text,
 * then the counts of topics, hashtags, terms and evidence (4 bytes each)
 * followed by their strings (three per evidence entry).  A string is its
 * length (4 bytes) and its bytes.  Integers are in the machine's order: a
 * block never leaves the process.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fblock.h"
#include "pipeline_int.h"

/* Kept here, with the block it grows first, so that fblock.c builds alone
 * (tests/fuzz/fuzz_fblock). */
int pipeline_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    if (need > SIZE_MAX / 2 / elem)
        return KZ_ENOMEM;
    size_t nc = *cap ? *cap : 16;
    while (nc < need)
        nc *= 2; /* below 2 * need: no overflow */
    void *np = realloc(*p, nc * elem);
    if (!np)
        return KZ_ENOMEM;
    *p = np;
    *cap = nc;
    return 0;
}

static int reserve(struct fblock *b, size_t more)
{
    if (more > SIZE_MAX / 2 - b->len)
        return KZ_ENOMEM;
    return pipeline_grow((void **)&b->buf, &b->cap, b->len + more, 1);
}

static void put(struct fblock *b, const void *p, size_t n)
{
    if (n)
        memcpy(b->buf + b->len, p, n);
    b->len += n;
}

static void put_u32(struct fblock *b, uint32_t v)
{
    put(b, &v, sizeof v);
}

static void put_str(struct fblock *b, struct kz_str s)
{
    put_u32(b, (uint32_t)s.n);
    put(b, s.p, s.n);
}

int fblock_append(struct fblock *b, const struct fblock *more)
{
    if (reserve(b, more->len))
        return KZ_ENOMEM;
    put(b, more->buf, more->len);
    b->nposts += more->nposts;
    return 0;
}

int fblock_put(struct fblock *b, const struct agg_facts *f)
{
    const struct kz_str one[] = {f->platform, f->lang,   f->region, f->author, f->channel,
                                 f->city,     f->stance, f->id,     f->text};
    size_t need = 8 + 4 + 4 + 4 * 4, nstr = 0;
    int32_t flags[2] = {f->undated, f->mobilization};

    for (size_t i = 0; i < sizeof one / sizeof *one; i++)
        need += 4 + one[i].n;
    for (size_t i = 0; i < f->ntopics; i++)
        need += 4 + f->topics[i].n;
    for (size_t i = 0; i < f->nhashtags; i++)
        need += 4 + f->hashtags[i].n;
    for (size_t i = 0; i < f->nterms; i++)
        need += 4 + f->terms[i].n;
    for (size_t i = 0; i < f->nevidence; i++)
        need += 12 + f->evidence[i].category.n + f->evidence[i].rule.n + f->evidence[i].match.n;
    nstr = f->ntopics + f->nhashtags + f->nterms + f->nevidence;
    for (size_t i = 0; i < sizeof one / sizeof *one; i++)
        if (one[i].n > UINT32_MAX)
            return KZ_ENOMEM;
    if (nstr > UINT32_MAX || reserve(b, need))
        return KZ_ENOMEM;
    put(b, &f->ts_ms, sizeof f->ts_ms);
    put(b, flags, sizeof flags);
    for (size_t i = 0; i < sizeof one / sizeof *one; i++)
        put_str(b, one[i]);
    put_u32(b, (uint32_t)f->ntopics);
    put_u32(b, (uint32_t)f->nhashtags);
    put_u32(b, (uint32_t)f->nterms);
    put_u32(b, (uint32_t)f->nevidence);
    for (size_t i = 0; i < f->ntopics; i++)
        put_str(b, f->topics[i]);
    for (size_t i = 0; i < f->nhashtags; i++)
        put_str(b, f->hashtags[i]);
    for (size_t i = 0; i < f->nterms; i++)
        put_str(b, f->terms[i]);
    for (size_t i = 0; i < f->nevidence; i++) {
        put_str(b, f->evidence[i].category);
        put_str(b, f->evidence[i].rule);
        put_str(b, f->evidence[i].match);
    }
    b->nposts++;
    return 0;
}

void fblock_reset(struct fblock *b)
{
    b->len = 0;
    b->nposts = 0;
}

void fblock_free(struct fblock *b)
{
    free(b->buf);
    memset(b, 0, sizeof *b);
}

void fblock_read(struct fblock_reader *r, const struct fblock *b)
{
    r->cur = b->buf;
    r->end = b->buf + b->len;
}

static int get(struct fblock_reader *r, void *p, size_t n)
{
    if ((size_t)(r->end - r->cur) < n)
        return KZ_EDECODE;
    memcpy(p, r->cur, n);
    r->cur += n;
    return 0;
}

static int get_str(struct fblock_reader *r, struct kz_str *s)
{
    uint32_t n;

    if (get(r, &n, sizeof n) || (size_t)(r->end - r->cur) < n)
        return KZ_EDECODE;
    s->p = r->cur;
    s->n = n;
    r->cur += n;
    return 0;
}

int fblock_next(struct fblock_reader *r, struct agg_facts *f)
{
    struct kz_str *one[] = {&f->platform, &f->lang,   &f->region, &f->author, &f->channel,
                            &f->city,     &f->stance, &f->id,     &f->text};
    uint32_t n[4];
    int32_t flags[2];
    size_t nstr;

    if (r->cur == r->end)
        return 0;
    memset(f, 0, sizeof *f);
    if (get(r, &f->ts_ms, sizeof f->ts_ms) || get(r, flags, sizeof flags))
        return KZ_EDECODE;
    f->undated = flags[0];
    f->mobilization = flags[1];
    for (size_t i = 0; i < sizeof one / sizeof *one; i++)
        if (get_str(r, one[i]))
            return KZ_EDECODE;
    if (get(r, n, sizeof n))
        return KZ_EDECODE;
    nstr = (size_t)n[0] + n[1] + n[2];
    /* each string is at least its 4-byte length: counts the rest of the
     * block cannot hold are not allocated for */
    if (nstr > (size_t)(r->end - r->cur) / 4 || n[3] > (size_t)(r->end - r->cur) / 12)
        return KZ_EDECODE;
    if (nstr > r->cap_strs) {
        struct kz_str *s = realloc(r->strs, nstr * sizeof *s);
        if (!s)
            return KZ_ENOMEM;
        r->strs = s;
        r->cap_strs = nstr;
    }
    if (n[3] > r->cap_ev) {
        struct agg_evidence *e = realloc(r->ev, n[3] * sizeof *e);
        if (!e)
            return KZ_ENOMEM;
        r->ev = e;
        r->cap_ev = n[3];
    }
    for (size_t i = 0; i < nstr; i++)
        if (get_str(r, &r->strs[i]))
            return KZ_EDECODE;
    for (size_t i = 0; i < n[3]; i++)
        if (get_str(r, &r->ev[i].category) || get_str(r, &r->ev[i].rule) ||
            get_str(r, &r->ev[i].match))
            return KZ_EDECODE;
    f->topics = nstr ? r->strs : NULL; /* no arithmetic on a reader's NULL */
    f->ntopics = n[0];
    f->hashtags = nstr ? r->strs + n[0] : NULL;
    f->nhashtags = n[1];
    f->terms = nstr ? r->strs + n[0] + n[1] : NULL;
    f->nterms = n[2];
    f->evidence = n[3] ? r->ev : NULL;
    f->nevidence = n[3];
    return 1;
}

void fblock_reader_free(struct fblock_reader *r)
{
    free(r->strs);
    free(r->ev);
    memset(r, 0, sizeof *r);
}
