/*
 * agg_internal.h -- private declarations shared by the aggregate/ files.
 *
 * Not part of the public API and not to be included outside aggregate/.  It
 * holds the per-post expansion of facts into keys (dims.c), the string hash
 * (hll.c), bucket alignment, the error-message helper and the accessors the
 * in-process store needs from the generic wrapper (store.c).
 */
#ifndef KZ_AGG_INTERNAL_H
#define KZ_AGG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"

/* Grow the array *pp of elements of size sz to hold at least n, doubling
 * (batch.c).  0, or KZ_ENOMEM (nothing changed). */
int agg_grow(void *pp, size_t *cap, size_t n, size_t sz);

/* The register an element sets in a HyperLogLog and the value it offers it
 * (hll.c; agg_hll_add keeps the larger of that and the register's). */
void agg_hll_point(const void *data, size_t len, uint32_t *index, uint8_t *value);

/* MurmurHash64A over len bytes (hll.c); also the batch's key hash. */
uint64_t agg_murmur64a(const void *data, size_t len, uint64_t seed);

/* Floor t to a multiple of width (> 0).  KZ_ERANGE when the result is below
 * INT64_MIN, i.e. t lies in the partial bucket at the very bottom of int64. */
static inline int agg_align(int64_t t, int64_t width, int64_t *out)
{
    int64_t q = t / width;

    if (t % width < 0) {
        if (q <= INT64_MIN / width)
            return KZ_ERANGE;
        q--;
    }
    *out = q * width;
    return KZ_OK;
}

/* What one expanded key counts toward. */
enum agg_key_kind {
    AGG_KEY_COUNT = 0,   /* a counter dimension */
    AGG_KEY_AUTHOR = 1,  /* a dimension whose distinct authors are kept */
    AGG_KEY_TOP = 2,     /* a top-k member; sub holds the enum agg_top_kind */
    AGG_KEY_MAUTHOR = 3, /* a dimension whose distinct authors are kept per minute */
};

struct agg_key {
    size_t off; /* bytes in agg_expansion.buf */
    size_t len;
    uint64_t hash; /* agg_murmur64a of the bytes */
    uint8_t kind;  /* enum agg_key_kind */
    uint8_t sub;   /* AGG_KEY_TOP: the top-k kind; AGG_KEY_COUNT: 1 if sampled */
};

/* Scratch for one post's keys.  Reused post after post: it only allocates
 * when a post has more or longer keys than any before it. */
struct agg_expansion {
    char *buf;
    size_t len, cap;
    struct agg_key *keys;
    size_t n, cap_keys;
    size_t bytes_count, bytes_author, bytes_top; /* key bytes by kind, for reservations */
    size_t n_count, n_author, n_top;             /* AGG_KEY_MAUTHOR counts in n_author */
    bool mauthors_all; /* per-minute authors of every rule dimension, not calls only */
    /* watched members (agg_batch_set_watch): "hashtag:<v>" / "term:<v>", folded */
    char *const *watch;
    const size_t *watch_len;
    size_t nwatch;
    /* agg_batch_set_sample_dims: when only is set, a dimension's posts are
     * sampled only if it is one of these (folded, with their hashes) */
    bool only;
    char *const *only_dim;
    const size_t *only_len;
    const uint64_t *only_hash;
    size_t nonly;
};

/* The hash agg_expand gives a key's bytes (dims.c). */
uint64_t agg_key_hash(const char *p, size_t n);

/* Fill x with the keys of f (counter dims, author dims when f has an author,
 * top members).  Resets x first.  Returns 0 or KZ_ENOMEM. */
int agg_expand(struct agg_expansion *x, const struct agg_facts *f);
void agg_expansion_free(struct agg_expansion *x);

/* Encode the sample record of f into dst (AGG_SAMPLE_REC_MAX bytes; see
 * aggregate.h, "Sample posts"); returns its length (samples.c). */
size_t agg_sample_encode(char *dst, const struct agg_facts *f);

/* Append a copy of a record to a posts result (store.c): 0 or KZ_ENOMEM
 * (out stays consistent: agg_posts_free releases what it holds). */
int agg_posts_push(struct agg_posts *out, size_t *cap, int64_t minute_ms, const char *rec,
                   size_t len);

/* Write a one-line message to err (if any); returns rc for tail calls. */
int agg_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* A (string, count) pair of a query result.  Every store ranks with
 * agg_ranked_cmp (store.c): count descending, then bytes ascending, so top-k
 * and dimension lists come out identical from every store. */
struct agg_ranked {
    const char *s;
    size_t len;
    int64_t count;
};
int agg_ranked_cmp(const void *a, const void *b);

/* The in-process store's watermarks (wmtab.c): one entry per (group, member),
 * found by a linear search -- a group has a handful of members.  A zeroed
 * struct is an empty table; agg_wmtab_free() releases it. */
struct agg_wm_entry {
    char *group, *member; /* owned */
    int64_t watermark_ms, heartbeat_ms;
};
struct agg_wmtab {
    struct agg_wm_entry *e;
    size_t n, cap;
};
/* 0 or KZ_ENOMEM */
int agg_wmtab_publish(struct agg_wmtab *t, const char *group, const char *member,
                      int64_t watermark_ms, int64_t now_ms);
void agg_wmtab_retire(struct agg_wmtab *t, const char *group, const char *member);
/* 0 or KZ_ENOTFOUND (no live member) */
int agg_wmtab_min(const struct agg_wmtab *t, const char *group, int64_t max_age_ms, int64_t now_ms,
                  int64_t *watermark_ms);
void agg_wmtab_free(struct agg_wmtab *t);

/* Is a member whose heartbeat is hb live at now, for a reader allowing max_age?
 * (Shared by both stores, so they agree at the boundary.) */
static inline int agg_wm_live(int64_t hb, int64_t now_ms, int64_t max_age_ms)
{
    if (hb >= now_ms) /* a clock ahead of the reader's: live */
        return 1;
    return (uint64_t)now_ms - (uint64_t)hb < (uint64_t)max_age_ms; /* exact: now_ms > hb */
}

/* The implementation behind a wrapped store (store.c). */
const struct agg_store_ops *agg_store_ops_of(const struct agg_store *s);
void *agg_store_self(const struct agg_store *s);

#endif /* KZ_AGG_INTERNAL_H */
