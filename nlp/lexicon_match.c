/*
 * lexicon_match.c -- the token-level Aho-Corasick matcher that nlp_classify()
 * runs once per post over a lexicon compiled by lexicon.c.
 *
 * Automaton.  All patterns go into one trie over symbols: the goto function
 * of Aho-Corasick, stored as one open-addressing hash table keyed by
 * (state, symbol), with each state's outputs (patterns ending there) chained.
 * A token may carry several symbols at once (its exact word and every stem
 * prefix it starts with), so the single current state of classic
 * Aho-Corasick becomes a set of active (state, first token) pairs: at each
 * token the root is added to the set (a match may start there) and every
 * active state follows each of the token's symbols; states without an edge
 * die.  This is the automaton without failure links, simulated as an NFA:
 * failure links summarize "the longest suffix that is also a path" only when
 * each position has one symbol, which prefix symbols break.
 *
 * Complexity.  Compilation is O(total pattern tokens) after analysis.
 * Matching a post of n tokens costs, per token, one word lookup plus at most
 * NLP_LX_MAX_PREFIX prefix lookups (prefix hashes are computed incrementally,
 * FNV-1a over the norm's bytes, so each is O(1) expected), then
 * O(|active| x |symbols|) edge lookups; |active| is bounded by the longest
 * pattern (in tokens) times the symbol ambiguity, in practice a handful, and
 * hard-capped at NLP_LX_MAX_ACTIVE.  Total O(n) for a fixed lexicon.  Working
 * memory comes from the analyzer's arena; the lexicon is immutable after
 * compilation and may be shared by any number of threads.
 */
#include <string.h>

#include "lexicon_int.h"

#define NLP_LX_MAX_SYMS 24    /* symbols one token may carry */
#define NLP_LX_MAX_ACTIVE 512 /* active (state, start) pairs; more are dropped */

const struct nlp_lx_rule *nlp_lexicon_rules(const struct nlp_lexicon *lx, size_t *n)
{
    *n = lx->nrules;
    return lx->rules;
}

const struct nlp_lx_cat *nlp_lexicon_cats(const struct nlp_lexicon *lx, size_t *n)
{
    *n = lx->ncats;
    return lx->cats;
}

/* Symbols of one token: its exact word, then every stem prefix it starts with. */
static size_t token_symbols(const struct nlp_lexicon *lx, const struct kz_str *norm,
                            uint32_t *syms)
{
    size_t ns = 0, i = 0, cps = 0;
    uint32_t h = NLP_LX_FNV_INIT, id;

    id = nlp_lx_symtab_find(lx, &lx->words, nlp_lx_fnv_step(NLP_LX_FNV_INIT, norm->p, norm->n),
                            norm->p, norm->n);
    if (id)
        syms[ns++] = id;
    if (!lx->prefixes.n)
        return ns;
    while (i < norm->n && cps < lx->max_prefix && ns < NLP_LX_MAX_SYMS) {
        size_t from = i;
        if (nlp_utf8_get(norm->p, norm->n, &i) < 0 && i == from)
            break;
        h = nlp_lx_fnv_step(h, norm->p + from, i - from);
        if (++cps == NLP_LX_MIN_PREFIX && !nlp_lx_symtab_find(lx, &lx->heads, h, norm->p, i))
            break; /* no stem prefix starts like this token */
        if (cps >= NLP_LX_MIN_PREFIX && (id = nlp_lx_symtab_find(lx, &lx->prefixes, h, norm->p, i)))
            syms[ns++] = id;
    }
    return ns;
}

struct active {
    uint32_t state, first;
};

static int push_active(struct active *set, size_t *n, uint32_t state, uint32_t first)
{
    for (size_t i = 0; i < *n; i++)
        if (set[i].state == state && set[i].first == first)
            return 0;
    if (*n == NLP_LX_MAX_ACTIVE)
        return 0;
    set[*n].state = state;
    set[*n].first = first;
    (*n)++;
    return 1;
}

int nlp_lexicon_match(const struct nlp_lexicon *lx, const struct nlp_doc *doc,
                      struct nlp_arena *ar, struct nlp_lx_hit **hits, size_t *nhits)
{
    struct active *cur, *next, *tmp;
    struct nlp_lx_hit *h = NULL;
    size_t ncur = 0, nh = 0, caph = 0;
    uint32_t syms[NLP_LX_MAX_SYMS];

    *hits = NULL;
    *nhits = 0;
    if (!lx || !lx->nrules || !doc->ntokens)
        return 0;
    cur = nlp_arena_alloc(ar, 2 * NLP_LX_MAX_ACTIVE * sizeof(*cur));
    if (!cur)
        return KZ_ENOMEM;
    next = cur + NLP_LX_MAX_ACTIVE;
    for (size_t i = 0; i < doc->ntokens; i++) {
        size_t nsyms = token_symbols(lx, &doc->tokens[i].norm, syms), nnext = 0;

        if (nsyms && ncur < NLP_LX_MAX_ACTIVE)
            cur[ncur++] = (struct active){0, (uint32_t)i};
        for (size_t k = 0; k < ncur; k++) {
            for (size_t s = 0; s < nsyms; s++) {
                uint32_t child = nlp_lx_edge_find(&lx->edges, cur[k].state, syms[s]);
                if (!child || !push_active(next, &nnext, child, cur[k].first))
                    continue;
                for (uint32_t o = lx->out[child]; o; o = lx->next_out[o - 1]) {
                    if (nh == caph) {
                        size_t nc = caph ? caph * 2 : 32;
                        struct nlp_lx_hit *nhp = nlp_arena_alloc(ar, nc * sizeof(*nhp));
                        if (!nhp)
                            return KZ_ENOMEM;
                        if (nh)
                            memcpy(nhp, h, nh * sizeof(*h));
                        h = nhp;
                        caph = nc;
                    }
                    h[nh].first = cur[k].first;
                    h[nh].last = (uint32_t)i;
                    h[nh].rule = o - 1;
                    nh++;
                }
            }
        }
        tmp = cur;
        cur = next;
        next = tmp;
        ncur = nnext;
    }
    *hits = h;
    *nhits = nh;
    return 0;
}
