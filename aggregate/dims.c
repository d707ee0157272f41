/* dims.c -- expanding one post's facts into the keys it counts toward.
 *
 * Design: agg_expand() writes every key of one post into a reusable scratch
 * (struct agg_expansion): the counter dimensions ("all", "platform:telegram",
 * "topic:protest|region:kz-75", ...), the dimensions whose distinct authors
 * are kept ("all", "topic:<t>", "region:<r>"; per minute "mob:call",
 * "mob:call|region:<r>", "topic:<t>", "topic:<t>|region:<r>", "stance:<s>"
 * and "topic:<t>|stance:<s>", the alert rules' dimensions) and the top-k members
 * (hashtags, terms, the channel).  Each key is hashed once here, so the batch
 * can combine that hash with the minute and the hour bucket without hashing
 * the bytes twice.
 *
 * Normalization: prefixes are lower-case ASCII constants; values arrive
 * normalized from analysis, and we only fold ASCII A-Z to a-z (bytes >= 0x80
 * are left alone: case folding UTF-8 is nlp/'s job, and folding bytes here
 * would corrupt multi-byte sequences).  A '|' inside a value becomes '_' so
 * that '|' always and only separates the two halves of a cross.  A leading
 * '#' on a hashtag is dropped.  Empty values produce no key; a value repeated
 * within one post (two equal topics, a hashtag used twice) counts once, so a
 * counter means "posts", not "mentions".  stance "none" is not counted.
 *
 * Invariant: after agg_expand() returns 0, keys[i] for i < n lies inside
 * buf[0, len) and no two keys of the same kind and sub are equal.
 */
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "agg_internal.h"

#define AGG_HASH_SEED 0x6b7a70756c7365ULL /* "kzpulse" */

const char *agg_gran_name(enum agg_gran g)
{
    switch (g) {
    case AGG_MINUTE:
        return "minute";
    case AGG_HOUR:
        return "hour";
    }
    return "unknown";
}

const char *agg_top_kind_name(enum agg_top_kind k)
{
    switch (k) {
    case AGG_TOP_HASHTAG:
        return "hashtag";
    case AGG_TOP_TERM:
        return "term";
    case AGG_TOP_CHANNEL:
        return "channel";
    }
    return "unknown";
}

int agg_top_kind_parse(const char *s)
{
    if (!s)
        return -1;
    if (strcmp(s, "hashtag") == 0)
        return AGG_TOP_HASHTAG;
    if (strcmp(s, "term") == 0)
        return AGG_TOP_TERM;
    if (strcmp(s, "channel") == 0)
        return AGG_TOP_CHANNEL;
    return -1;
}

/* ---------------------------------------------------------------------------
 * Scratch buffers
 * ------------------------------------------------------------------------ */

void agg_expansion_free(struct agg_expansion *x)
{
    free(x->buf);
    free(x->keys);
    memset(x, 0, sizeof *x);
}

static int reserve_bytes(struct agg_expansion *x, size_t more)
{
    size_t cap = x->cap ? x->cap : 256;
    char *p;

    if (more > SIZE_MAX / 2 - x->len)
        return KZ_ENOMEM;
    if (x->len + more <= x->cap)
        return KZ_OK;
    while (cap < x->len + more)
        cap *= 2;
    p = realloc(x->buf, cap);
    if (!p)
        return KZ_ENOMEM;
    x->buf = p;
    x->cap = cap;
    return KZ_OK;
}

static int reserve_keys(struct agg_expansion *x)
{
    size_t cap;
    struct agg_key *k;

    if (x->n < x->cap_keys)
        return KZ_OK;
    cap = x->cap_keys ? x->cap_keys * 2 : 32;
    k = realloc(x->keys, cap * sizeof *k);
    if (!k)
        return KZ_ENOMEM;
    x->keys = k;
    x->cap_keys = cap;
    return KZ_OK;
}

/* Append value folded: ASCII upper case to lower case, '|' to '_'. */
static void put_folded(char *dst, struct kz_str v)
{
    for (size_t i = 0; i < v.n; i++) {
        unsigned char c = (unsigned char)v.p[i];

        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        else if (c == '|')
            c = '_';
        dst[i] = (char)c;
    }
}

static int fold_eq(struct kz_str a, struct kz_str b)
{
    if (a.n != b.n)
        return 0;
    for (size_t i = 0; i < a.n; i++) {
        unsigned char x = (unsigned char)a.p[i], y = (unsigned char)b.p[i];

        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x == '|')
            x = '_';
        if (y == '|')
            y = '_';
        if (x != y)
            return 0;
    }
    return 1;
}

/* Does list[i] repeat an earlier entry?  Lists per post are short (a few
 * topics or hashtags), so the quadratic scan is cheaper than hashing. */
static int repeats(const struct kz_str *list, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (fold_eq(list[j], list[i]))
            return 1;
    return 0;
}

static struct kz_str strip_hash(struct kz_str v)
{
    if (v.n > 0 && v.p[0] == '#') {
        v.p++;
        v.n--;
    }
    return v;
}

uint64_t agg_key_hash(const char *p, size_t n)
{
    return agg_murmur64a(p, n, AGG_HASH_SEED);
}

/* Is the key d (len bytes, hash h) one of the dimensions still sampled? */
static int sampled(const struct agg_expansion *x, const char *d, size_t len, uint64_t h)
{
    if (!x->only)
        return 1;
    for (size_t i = 0; i < x->nonly; i++)
        if (x->only_hash[i] == h && x->only_len[i] == len && !memcmp(x->only_dim[i], d, len))
            return 1;
    return 0;
}

/* Push "<p1><v1>" or "<p1><v1>|<p2><v2>" (p2 NULL for a single key).  The
 * prefixes are literals; push() passes their lengths so that nothing calls
 * strlen() on the hot path. */
static int push_(struct agg_expansion *x, enum agg_key_kind kind, uint8_t sub, const char *p1,
                 size_t l1, struct kz_str v1, const char *p2, size_t l2, struct kz_str v2)
{
    size_t len;
    struct agg_key *k;
    char *d;
    int rc;

    if (v1.n > SIZE_MAX / 4 || v2.n > SIZE_MAX / 4)
        return KZ_ENOMEM;
    len = l1 + v1.n + (p2 ? 1 + l2 + v2.n : 0);
    if ((rc = reserve_bytes(x, len)) || (rc = reserve_keys(x)))
        return rc;
    d = x->buf + x->len;
    memcpy(d, p1, l1);
    put_folded(d + l1, v1);
    if (p2) {
        d[l1 + v1.n] = '|';
        memcpy(d + l1 + v1.n + 1, p2, l2);
        put_folded(d + l1 + v1.n + 1 + l2, v2);
    }
    k = &x->keys[x->n++];
    k->off = x->len;
    k->len = len;
    k->hash = agg_murmur64a(d, len, AGG_HASH_SEED);
    k->kind = (uint8_t)kind;
    k->sub = kind == AGG_KEY_COUNT && sub && !sampled(x, d, len, k->hash) ? 0 : sub;
    x->len += len;
    switch (kind) {
    case AGG_KEY_COUNT:
        x->n_count++;
        x->bytes_count += len;
        break;
    case AGG_KEY_AUTHOR:
    case AGG_KEY_MAUTHOR:
        x->n_author++;
        x->bytes_author += len;
        break;
    case AGG_KEY_TOP:
        x->n_top++;
        x->bytes_top += len;
        break;
    }
    return KZ_OK;
}

#define push(x, kind, sub, p1, v1, p2, v2)                                                         \
    push_(x, kind, sub, p1, sizeof(p1) - 1, v1, p2, sizeof(p2) - 1, v2)
#define push1(x, kind, p, v) push_(x, kind, 0, p, sizeof(p) - 1, v, NULL, 0, KZ_STR_NULL)
/* A counter dimension whose posts are sampled (agg_sample_dim): sub 1. */
#define push_sampled(x, p, v) push_(x, AGG_KEY_COUNT, 1, p, sizeof(p) - 1, v, NULL, 0, KZ_STR_NULL)

static int stance_counted(struct kz_str s)
{
    return s.n > 0 && !fold_eq(s, kz_str_make("none", 4));
}

/* ---------------------------------------------------------------------------
 * Expansion
 * ------------------------------------------------------------------------ */

static int expand_counts(struct agg_expansion *x, const struct agg_facts *f)
{
    int stance = stance_counted(f->stance);
    int rc;

    if ((rc = push1(x, AGG_KEY_COUNT, "all", KZ_STR_NULL)))
        return rc;
    if (f->platform.n && (rc = push1(x, AGG_KEY_COUNT, "platform:", f->platform)))
        return rc;
    if (f->lang.n && (rc = push1(x, AGG_KEY_COUNT, "lang:", f->lang)))
        return rc;
    /* region:unknown keeps no samples: a third of posts name no place, and
     * sampling them all cost more than the drill-down into "nowhere" gives */
    if (f->region.n && (rc = (f->region.n == 7 && !memcmp(f->region.p, "unknown", 7))
                                 ? push1(x, AGG_KEY_COUNT, "region:", f->region)
                                 : push_sampled(x, "region:", f->region)))
        return rc;
    if (f->city.n && (rc = push1(x, AGG_KEY_COUNT, "city:", f->city)))
        return rc;
    if (stance && (rc = push_sampled(x, "stance:", f->stance)))
        return rc;
    if (f->mobilization && (rc = push_sampled(x, "mob:call", KZ_STR_NULL)))
        return rc;
    /* the alert rules' per-region calls to action (alerts/, "call" rules) */
    if (f->mobilization && f->region.n &&
        (rc = push(x, AGG_KEY_COUNT, 0, "mob:call", KZ_STR_NULL, "region:", f->region)))
        return rc;
    if (stance && f->lang.n &&
        (rc = push(x, AGG_KEY_COUNT, 0, "stance:", f->stance, "lang:", f->lang)))
        return rc;
    for (size_t i = 0; i < f->ntopics; i++) {
        struct kz_str t = f->topics[i];

        if (t.n == 0 || repeats(f->topics, i))
            continue;
        if ((rc = push_sampled(x, "topic:", t)))
            return rc;
        if (f->region.n && (rc = push(x, AGG_KEY_COUNT, 0, "topic:", t, "region:", f->region)))
            return rc;
        if (stance && (rc = push(x, AGG_KEY_COUNT, 0, "topic:", t, "stance:", f->stance)))
            return rc;
        if (f->platform.n &&
            (rc = push(x, AGG_KEY_COUNT, 0, "topic:", t, "platform:", f->platform)))
            return rc;
    }
    return KZ_OK;
}

static int expand_authors(struct agg_expansion *x, const struct agg_facts *f)
{
    int rc;

    if (f->author.n == 0)
        return KZ_OK;
    if ((rc = push1(x, AGG_KEY_AUTHOR, "all", KZ_STR_NULL)))
        return rc;
    for (size_t i = 0; i < f->ntopics; i++) {
        if (f->topics[i].n == 0 || repeats(f->topics, i))
            continue;
        if ((rc = push1(x, AGG_KEY_AUTHOR, "topic:", f->topics[i])))
            return rc;
    }
    if (f->region.n && (rc = push1(x, AGG_KEY_AUTHOR, "region:", f->region)))
        return rc;
    /* Per minute, for the alert rules' crowd test: calls to action; with
     * mauthors_all (a store alerts are evaluated over) every dimension a rule
     * counts -- topics (overall and by region) and stances (overall and
     * within a topic) too -- and no other (a minute's sketch is a few dozen
     * bytes while sparse, but one per minute of every dimension would still
     * be most of the store). */
    if (f->mobilization && (rc = push1(x, AGG_KEY_MAUTHOR, "mob:call", KZ_STR_NULL)))
        return rc;
    if (f->mobilization && f->region.n &&
        (rc = push_(x, AGG_KEY_MAUTHOR, 0, "mob:call", 8, KZ_STR_NULL, "region:", 7, f->region)))
        return rc;
    if (!x->mauthors_all)
        return KZ_OK;
    int stance = stance_counted(f->stance);
    if (stance && (rc = push1(x, AGG_KEY_MAUTHOR, "stance:", f->stance)))
        return rc;
    for (size_t i = 0; i < f->ntopics; i++) {
        struct kz_str t = f->topics[i];

        if (t.n == 0 || repeats(f->topics, i))
            continue;
        if ((rc = push1(x, AGG_KEY_MAUTHOR, "topic:", t)) ||
            (f->region.n &&
             (rc = push(x, AGG_KEY_MAUTHOR, 0, "topic:", t, "region:", f->region))) ||
            (stance && (rc = push(x, AGG_KEY_MAUTHOR, 0, "topic:", t, "stance:", f->stance))))
            return rc;
    }
    return KZ_OK;
}

/* Is prefix + v (folded) one of the watched members? */
static int watched(const struct agg_expansion *x, const char *prefix, size_t plen, struct kz_str v)
{
    for (size_t i = 0; i < x->nwatch; i++)
        if (x->watch_len[i] == plen + v.n && !memcmp(x->watch[i], prefix, plen) &&
            fold_eq(kz_str_make(x->watch[i] + plen, v.n), v))
            return 1;
    return 0;
}

/* The top members of one kind; a watched one (an alert rule's surge
 * subject) also counts as a dimension of its own, "hashtag:<v>" or
 * "term:<v>", with its sample posts and, with an author, its authors per
 * minute -- the counters a hashtag_surge or term_surge rule judges. */
static int expand_list(struct agg_expansion *x, enum agg_top_kind kind, const struct kz_str *list,
                       size_t n, int hashtags, int author)
{
    const char *prefix = hashtags ? "hashtag:" : "term:";
    size_t plen = hashtags ? 8 : 5;
    int rc;

    for (size_t i = 0; i < n; i++) {
        struct kz_str v = hashtags ? strip_hash(list[i]) : list[i];
        int dup = 0;

        if (v.n == 0)
            continue;
        for (size_t j = 0; j < i && !dup; j++)
            dup = fold_eq(hashtags ? strip_hash(list[j]) : list[j], v);
        if (dup)
            continue;
        if ((rc = push_(x, AGG_KEY_TOP, (uint8_t)kind, "", 0, v, NULL, 0, KZ_STR_NULL)))
            return rc;
        if (x->nwatch && watched(x, prefix, plen, v) &&
            ((rc = push_(x, AGG_KEY_COUNT, 1, prefix, plen, v, NULL, 0, KZ_STR_NULL)) ||
             (author &&
              (rc = push_(x, AGG_KEY_MAUTHOR, 0, prefix, plen, v, NULL, 0, KZ_STR_NULL)))))
            return rc;
    }
    return KZ_OK;
}

int agg_expand(struct agg_expansion *x, const struct agg_facts *f)
{
    int rc;

    x->len = 0;
    x->n = 0;
    x->n_count = x->n_author = x->n_top = 0;
    x->bytes_count = x->bytes_author = x->bytes_top = 0;
    if ((f->ntopics && !f->topics) || (f->nhashtags && !f->hashtags) || (f->nterms && !f->terms))
        return KZ_EINVAL;
    if (f->undated) /* no event time: counted apart, in no series, top-k or sketch */
        return push1(x, AGG_KEY_COUNT, "undated", KZ_STR_NULL);
    if ((rc = expand_counts(x, f)) || (rc = expand_authors(x, f)))
        return rc;
    if ((rc = expand_list(x, AGG_TOP_HASHTAG, f->hashtags, f->nhashtags, 1, f->author.n > 0)) ||
        (rc = expand_list(x, AGG_TOP_TERM, f->terms, f->nterms, 0, f->author.n > 0)))
        return rc;
    if (f->channel.n &&
        (rc = push_(x, AGG_KEY_TOP, AGG_TOP_CHANNEL, "", 0, f->channel, NULL, 0, KZ_STR_NULL)))
        return rc;
    return KZ_OK;
}
