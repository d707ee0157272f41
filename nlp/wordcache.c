/*
 * wordcache.c -- per-analyzer memo of what a word form costs to work out.
 *
 * Word frequencies are Zipfian: a few thousand forms make up most tokens of
 * a stream of posts, and the per-form work -- language scores (langid.c) and
 * stems (stem.c; Snowball alone is a quarter of the stage's time without
 * this) -- depends only on the normalized form.  So each analyzer keeps a
 * direct-mapped table of NLP_WC_SLOTS entries, the slot chosen by a hash
 * (nlp_hash) and checked by the bytes of the form, holding its score
 * vector, its stem in one language and its lexicon symbol (lexicon_match.c).
 * A collision simply overwrites the slot: the cache is never wrong, only
 * forgetful.  Forms longer than NLP_WC_KEY bytes bypass it.  An entry is
 * one 64-byte cache line (scores as fixed point, a stem that is a prefix of
 * the form stored as a length); 65536 of them (4 MiB) measured fastest on
 * the generated corpus (16384: -20%, 262144: no better).
 * The table is allocated once with the analyzer; lookups allocate nothing.
 * It is mapped from the kernel's zero pages rather than allocated and
 * cleared: an analyzer that sees few words (the one a lexicon compile makes
 * to fold its entries, a short-lived command) touches a few pages, not 4 MiB
 * (clearing it was most of the time of compiling a small lexicon).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "nlp_int.h"

_Static_assert(sizeof(struct nlp_wc_entry) == 64, "a word-cache entry is one cache line");

int nlp_wc_init(struct nlp_analyzer *a)
{
    /* page-aligned (so cache-line aligned) and zero-filled on first touch */
    void *m = mmap(NULL, NLP_WC_SLOTS * sizeof(*a->wc), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return KZ_ENOMEM;
    a->wc = m;
    return 0;
}

void nlp_wc_fini(struct nlp_analyzer *a)
{
    if (a->wc)
        munmap(a->wc, NLP_WC_SLOTS * sizeof(*a->wc));
    free(a->symset);
    free(a->wcfold);
    a->wc = NULL;
    a->symset = NULL;
    a->wcfold = NULL;
}

struct nlp_wc_entry *nlp_wc_lookup(struct nlp_analyzer *a, const char *w, size_t n, bool *hit)
{
    uint32_t h;
    struct nlp_wc_entry *e;

    *hit = false;
    if (n == 0 || n > NLP_WC_KEY)
        return NULL;
    h = nlp_hash(w, n);
    e = &a->wc[h & (NLP_WC_SLOTS - 1)];
    if (e->klen == n && nlp_key_eq(e->key, w, n)) {
        *hit = true;
        return e;
    }
    /* Claim the slot for this form; callers fill what they computed. */
    e->lxsym = 0;
    e->klen = (uint8_t)n;
    e->has_scores = 0;
    e->stem_lang = 0;
    memcpy(e->key, w, n);
    return e;
}
