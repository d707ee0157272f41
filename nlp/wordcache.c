/*
 * wordcache.c -- per-analyzer memo of what a word form costs to work out.
 *
 * Word frequencies are Zipfian: a few thousand forms make up most tokens of
 * a stream of posts, and the per-form work -- language scores (langid.c) and
 * stems (stem.c; Snowball alone is a quarter of the stage's time without
 * this) -- depends only on the normalized form.  So each analyzer keeps a
 * two-way set-associative table of NLP_WC_SLOTS entries: a hash (nlp_hash)
 * chooses a pair of adjacent slots, the bytes of the form pick the one that
 * holds it, with its score vector, its stem in one language and its lexicon
 * symbol (lexicon_match.c).  A new form takes the slot of the pair used
 * less recently (one bit a pair, in a->wcmru): the cache is never wrong,
 * only forgetful.  Direct-mapped, as before, two forms of one slot that a
 * stream keeps using evicted each other every time: with the ~7,000 forms
 * of 1,000 forum comments one lookup in 18 missed, run after run, and each
 * miss costs a Snowball stem and a language score.  Forms longer than
 * NLP_WC_KEY bytes bypass it.  An entry is
 * one 64-byte cache line (scores as fixed point, a stem that is a prefix of
 * the form stored as a length).  131072 of them (8 MiB, touched only as
 * forms arrive): on real posts (22,000 forms in 6,600 Kazakh reviews,
 * Russian comments and English tweets) the NLP stage ran 44.4 MB/s with
 * 65536, 48.3 with 131072, 49.7 with 262144; on the generated corpus
 * (fewer forms) 51.1, 51.5 and 50.0.
 * The table is allocated once with the analyzer; lookups allocate nothing.
 * It is mapped from the kernel's zero pages rather than allocated and
 * cleared: an analyzer that sees few words (the one a lexicon compile makes
 * to fold its entries, a short-lived command) touches a few pages, not 4 MiB
 * (clearing it was most of the time of compiling a small lexicon).
 * It lies on a 2 MiB boundary and asks for huge pages (MADV_HUGEPAGE; where
 * the kernel gives them only on request, as Debian's does): a lookup reads a
 * slot before it writes it, so with small pages each page cost two faults,
 * the second a copy of the zero page that interrupts every other core to
 * flush its TLB.  In a replay on two cores that was ~4% of the CPU time and
 * most of the page faults (17,300 -> 6,300 faults, replay 1.08x faster);
 * a short-lived analyzer clears at most the four huge pages (~1 ms).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "nlp_int.h"

_Static_assert(sizeof(struct nlp_wc_entry) == 64, "a word-cache entry is one cache line");

int nlp_wc_init(struct nlp_analyzer *a)
{
    /* page-aligned (so cache-line aligned) and zero-filled on first touch */
    const size_t size = NLP_WC_SLOTS * sizeof(*a->wc), huge = (size_t)2 << 20;
    char *r = mmap(NULL, size + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED)
        return KZ_ENOMEM;
    /* on a huge-page boundary, in huge pages where the kernel has them */
    size_t lead = (huge - (uintptr_t)r % huge) % huge;
    if (lead)
        munmap(r, lead);
    if (huge - lead)
        munmap(r + lead + size, huge - lead);
    void *m = r + lead;
#ifdef MADV_HUGEPAGE
    (void)madvise(m, size, MADV_HUGEPAGE);
#endif
    a->wc = m;
    a->wcmru = calloc(NLP_WC_SLOTS / 16, 1);
    if (!a->wcmru) {
        munmap(m, NLP_WC_SLOTS * sizeof(*a->wc));
        a->wc = NULL;
        return KZ_ENOMEM;
    }
    return 0;
}

void nlp_wc_fini(struct nlp_analyzer *a)
{
    if (a->wc)
        munmap(a->wc, NLP_WC_SLOTS * sizeof(*a->wc));
    free(a->symset);
    free(a->wcfold);
    free(a->wcmru);
    a->wcmru = NULL;
    a->wc = NULL;
    a->symset = NULL;
    a->wcfold = NULL;
}

struct nlp_wc_entry *nlp_wc_lookup(struct nlp_analyzer *a, const char *w, size_t n, bool *hit)
{
    *hit = false;
    if (n == 0 || n > NLP_WC_KEY)
        return NULL;
    return nlp_wc_lookup_h(a, w, n, nlp_hash(w, n), hit);
}

struct nlp_wc_entry *nlp_wc_lookup_h(struct nlp_analyzer *a, const char *w, size_t n, uint32_t h,
                                     bool *hit)
{
    uint32_t pair;
    uint8_t *mru, bit;
    struct nlp_wc_entry *e;

    *hit = false;
    pair = (h & (NLP_WC_SLOTS - 1)) >> 1;
    mru = &a->wcmru[pair >> 3];
    bit = (uint8_t)(1u << (pair & 7)); /* set: the pair's second slot was used last */
    e = &a->wc[pair << 1];
    if (e->klen == n && nlp_key_eq(e->key, w, n)) {
        *mru &= (uint8_t)~bit;
        *hit = true;
        return e;
    }
    if (e[1].klen == n && nlp_key_eq(e[1].key, w, n)) {
        *mru |= bit;
        *hit = true;
        return e + 1;
    }
    /* Claim the slot used less recently; callers fill what they computed. */
    a->wc_claims++;
    if (!(*mru & bit)) {
        e++;
        *mru |= bit;
    } else {
        *mru &= (uint8_t)~bit;
    }
    e->lxsym = 0;
    e->klen = (uint8_t)n;
    e->has_scores = 0;
    e->stem_lang = 0;
    memcpy(e->key, w, n);
    return e;
}
