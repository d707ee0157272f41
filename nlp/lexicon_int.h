/*
 * lexicon_int.h -- the compiled lexicon, shared by lexicon.c (which builds
 * it) and lexicon_match.c (which runs it); nothing else includes this header.
 *
 * A lexicon is one string pool, two symbol tables (word -> symbol id, stem
 * prefix -> symbol id) plus the table of prefix heads, a bit filter in front
 * of the word and head tables, and the trie of all patterns as one
 * open-addressing hash table keyed by (state, symbol), with each state's
 * patterns chained; rules and categories point into the pool.
 * The lookups below are the matcher's inner loop, so they are static inline
 * here rather than calls into lexicon.c.  The lexicon owns every array and
 * is immutable after compilation (nlp_lexicon_free releases it).
 */
#ifndef KZ_NLP_LEXICON_INT_H
#define KZ_NLP_LEXICON_INT_H

#include <stdint.h>
#include <string.h>

#include "nlp_int.h"

#define NLP_LX_MAX_PREFIX 32  /* code points of a token tried as stem prefixes */
#define NLP_LX_MIN_PREFIX 3   /* shortest stem accepted, in code points */
#define NLP_LX_FILTER_LOG2 16 /* bits in the word/head filter: 2^16 = 8 KiB */

/* ---------------------------------------------------------------------------
 * Hash tables: string -> symbol id, and (state, symbol) -> state
 * ------------------------------------------------------------------------ */

struct symslot {
    uint32_t hash;
    uint32_t off, len; /* in the lexicon's pool */
    uint32_t id;       /* 0: empty */
};

struct symtab {
    struct symslot *slot;
    size_t cap, n; /* cap a power of two, or 0 */
};

struct edgeslot {
    uint64_t key; /* (state << 32) | symbol; 0: empty (symbols start at 1) */
    uint32_t child;
};

struct edgetab {
    struct edgeslot *slot;
    size_t cap, n;
};

struct nlp_lexicon {
    uint32_t id; /* unique per compiled lexicon in the process, never 0: names
                    it in the analyzers' symbol caches */
    char *pool;  /* every string: categories, rules, symbols */
    size_t npool, cappool;
    struct symtab words, prefixes;
    struct symtab heads; /* the first NLP_LX_MIN_PREFIX code points of every prefix:
                            a token whose head is not here needs no prefix lookups */
    uint64_t *filter;    /* one bit per (hash >> (32 - NLP_LX_FILTER_LOG2)), set for
                            every word and head: most tokens are in neither table,
                            and this answers them from 8 KiB that stay in L1
                            instead of a probe that misses it */
    uint32_t nsyms;
    uint32_t max_prefix; /* longest stem prefix, in code points */
    /* Kazakh written without its own letters ("ертең" typed "ертен" or
     * "erten", "алаңға" typed "аланга"): every word, prefix and head again under its folded
     * key (nlp_lx_fold), whose id is the symbol itself or, when several
     * symbols fold alike, NLP_LX_FSET | i for the list at fsets[i] (count,
     * then the symbols).  See lexicon_match.c, "Folded matching". */
    struct symtab fwords, fprefixes, fheads;
    uint64_t *ffilter; /* the filter of fwords and fheads, as filter is of words and heads */
    uint32_t *fsets;
    size_t nfsets, capfsets;
    struct edgetab edges;
    uint8_t *inner;       /* per state: 1 if it has edges out */
    uint32_t *root_child; /* per symbol (1 .. nsyms): the root's child, or 0;
                             every match starts with this edge, so it is an
                             array rather than a probe of edges */
    uint32_t *out;        /* per state: first pattern index + 1, or 0 */
    uint32_t nstates;
    size_t capstates;
    struct nlp_lx_rule *rules; /* per pattern; strings resolved at the end */
    uint32_t *next_out;        /* per pattern: next pattern index + 1 at its state */
    uint32_t *rule_off;        /* per pattern: offsets of rule, category in pool */
    size_t nrules, caprules;
    struct nlp_lx_cat *cats;
    size_t ncats, capcats;
    long war_cat, protest_cat; /* topic/war_ukraine, topic/protest; -1: absent */
    struct nlp_gazetteer *gaz; /* from the gazetteer file, or NULL; owned */
};

#define NLP_LX_FSET 0x80000000u /* a folded key's id that names a list in fsets */

#define NLP_LX_FOLD_MAX 256 /* longest key folded, bytes (longer ones match exactly only) */

/*
 * Folding: the nine letters Kazakh has beside Russian's become the Russian
 * letters people type for them (ә а, ғ г, қ к, ң н, ө о, ұ ү у, һ х, і и).
 * Each is two bytes in UTF-8 and so is its replacement.  nlp_lx_fold_pair
 * gives the replacement of the two bytes c d, or NULL when they are not one
 * of the nine.
 */
static inline const char *nlp_lx_fold_pair(unsigned char c, unsigned char d)
{
    if (c == 0xD2)
        return d == 0x93                ? "\xD0\xB3"
               : d == 0x9B              ? "\xD0\xBA"
               : d == 0xA3              ? "\xD0\xBD"
               : d == 0xB1 || d == 0xAF ? "\xD1\x83"
               : d == 0xBB              ? "\xD1\x85"
                                        : NULL;
    if (c == 0xD3)
        return d == 0x99 ? "\xD0\xB0" : d == 0xA9 ? "\xD0\xBE" : NULL;
    return c == 0xD1 && d == 0x96 ? "\xD0\xB8" : NULL;
}

/* The folded form of s[0..n) into out[0..n). */
static inline void nlp_lx_fold(const char *s, size_t n, char *out)
{
    memcpy(out, s, n);
    for (size_t i = 0; i + 1 < n; i++) {
        const char *to = nlp_lx_fold_pair((unsigned char)s[i], (unsigned char)s[i + 1]);
        if (to) {
            out[i] = to[0];
            out[++i] = to[1];
        }
    }
}

/* Whether s[0..n) holds a letter nlp_lx_fold would fold. */
static inline bool nlp_lx_foldable(const char *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if ((unsigned char)s[i] >= 0xD1 && (unsigned char)s[i] <= 0xD3 &&
            nlp_lx_fold_pair((unsigned char)s[i], (unsigned char)s[i + 1]))
            return true;
    return false;
}

/* Symbol tables hash with nlp_hash (eight bytes per step); the high bits of
 * the same hash index the filter, the low bits the table. */
static inline bool nlp_lx_filter_has(const uint64_t *filter, uint32_t h)
{
    uint32_t b = h >> (32 - NLP_LX_FILTER_LOG2);

    return (filter[b >> 6] >> (b & 63)) & 1;
}

static inline uint64_t nlp_lx_mix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

static inline uint32_t nlp_lx_symtab_find(const struct nlp_lexicon *lx, const struct symtab *t,
                                          uint32_t h, const char *s, size_t n)
{
    if (!t->cap)
        return 0;
    for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        const struct symslot *e = &t->slot[i];
        if (!e->id)
            return 0;
        if (e->hash == h && e->len == n && !memcmp(lx->pool + e->off, s, n))
            return e->id;
    }
}

static inline uint32_t nlp_lx_edge_find(const struct edgetab *t, uint32_t state, uint32_t sym)
{
    uint64_t key = ((uint64_t)state << 32) | sym;

    if (!t->cap)
        return 0;
    for (size_t i = nlp_lx_mix64(key) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        if (t->slot[i].key == key)
            return t->slot[i].child;
        if (!t->slot[i].key)
            return 0;
    }
}

#endif
