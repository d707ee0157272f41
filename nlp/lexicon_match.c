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
 * Symbol cache.  What symbols a token carries depends only on its norm, so
 * each analyzer memoizes it in its word cache (wordcache.c), per lexicon:
 * a frequent word costs one look at the cache line langid has just read.
 * Kazakh tokens typed without Kazakh letters also carry the symbols of the
 * patterns they equal once folded ("Folded matching" below), memoized too.
 *
 * Complexity.  Compilation is O(total pattern tokens) after analysis.
 * Matching a post of n tokens costs, per token not yet in the symbol cache,
 * one hash of the word and one of its head, two tests of the lexicon's
 * 8 KiB bit filter (a table probe only when a test passes), and, for a token
 * whose head starts some stem prefix, at most NLP_LX_MAX_PREFIX prefix
 * lookups; then
 * O(|active| x |symbols|) edge lookups; |active| is bounded by the longest
 * pattern (in tokens) times the symbol ambiguity, in practice a handful, and
 * hard-capped at NLP_LX_MAX_ACTIVE.  Total O(n) for a fixed lexicon.  Working
 * memory comes from the analyzer's arena; the lexicon is immutable after
 * compilation and may be shared by any number of threads.
 */
#include <stdlib.h>
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

void nlp_lexicon_topic_cats(const struct nlp_lexicon *lx, long *war, long *protest)
{
    *war = lx->war_cat;
    *protest = lx->protest_cat;
}

/* Append symbol id (or, for a folded key, the symbols of its list) to syms,
 * once each: a folded key names symbols the exact lookup may have found. */
static size_t put_syms(const struct nlp_lexicon *lx, uint32_t id, bool folded, uint32_t *syms,
                       size_t ns)
{
    const uint32_t *set = &id;
    uint32_t cnt = 1;

    if (!folded) {
        syms[ns] = id;
        return ns + 1;
    }
    if (id & NLP_LX_FSET) {
        set = lx->fsets + (id & ~NLP_LX_FSET);
        cnt = *set++;
    }
    for (uint32_t k = 0; k < cnt && ns < NLP_LX_MAX_SYMS; k++) {
        size_t q = 0;
        while (q < ns && syms[q] != set[k])
            q++;
        if (q == ns)
            syms[ns++] = set[k];
    }
    return ns;
}

/*
 * Symbols of one key s[0..n) in one set of tables (the exact ones, or the
 * folded ones), appended to syms[0..ns): its word, then every stem prefix it
 * starts with.  The filter answers most keys (in no table) without a probe;
 * stem prefixes are tried only when the key's first NLP_LX_MIN_PREFIX code
 * points are the head of some prefix.
 */
static inline size_t key_symbols(const struct nlp_lexicon *lx, bool folded, const char *s, size_t n,
                                 uint32_t *syms, size_t ns)
{
    const struct symtab *words = folded ? &lx->fwords : &lx->words;
    const struct symtab *prefixes = folded ? &lx->fprefixes : &lx->prefixes;
    const struct symtab *heads = folded ? &lx->fheads : &lx->heads;
    const uint64_t *filter = folded ? lx->ffilter : lx->filter;
    size_t i = 0, cps = 0;
    uint32_t h = nlp_hash(s, n), id;

    if (nlp_lx_filter_has(filter, h) && (id = nlp_lx_symtab_find(lx, words, h, s, n)))
        ns = put_syms(lx, id, folded, syms, ns);
    if (!prefixes->n)
        return ns;
    while (cps < NLP_LX_MIN_PREFIX && i < n) {
        size_t from = i;
        if (nlp_utf8_get(s, n, &i) < 0 && i == from)
            return ns;
        cps++;
    }
    if (cps < NLP_LX_MIN_PREFIX)
        return ns;
    h = nlp_hash(s, i);
    if (!nlp_lx_filter_has(filter, h) || !nlp_lx_symtab_find(lx, heads, h, s, i))
        return ns; /* no stem prefix starts like this key */
    for (;;) {
        if ((id = nlp_lx_symtab_find(lx, prefixes, nlp_hash(s, i), s, i)))
            ns = put_syms(lx, id, folded, syms, ns);
        if (i >= n || cps >= lx->max_prefix || ns >= NLP_LX_MAX_SYMS)
            break;
        size_t from = i;
        if (nlp_utf8_get(s, n, &i) < 0 && i == from)
            break;
        cps++;
    }
    return ns;
}

/* Symbols of one token's norm in the exact tables. */
static size_t token_symbols(const struct nlp_lexicon *lx, const struct kz_str *norm, uint32_t *syms)
{
    return key_symbols(lx, false, norm->p, norm->n, syms, 0);
}

/* A new epoch: every form's symbols read as unknown, the lists are empty;
 * when the epochs wrap, every entry is emptied first. */
static void new_epoch(struct nlp_analyzer *a)
{
    a->nsymset = 0;
    if (++a->sc_epoch == 1u << NLP_SC_EPOCH_BITS) {
        for (size_t k = 0; k < NLP_WC_SLOTS; k++)
            a->wc[k].lxsym = 0;
        a->sc_epoch = 1;
    }
}

/* A form's several symbols, kept in a->symset: NLP_SC_SET | their index, or
 * NLP_SC_MANY when the table cannot grow.  Forms pushed out of the word
 * cache leave their lists behind; when the table is full, a new epoch starts
 * the cache afresh (rare: once per ~10^5 distinct multi-symbol forms). */
static uint32_t remember_set(struct nlp_analyzer *a, const uint32_t *syms, size_t ns)
{
    uint32_t at;

    if (a->nsymset + ns + 1 > NLP_SC_SETS_MAX)
        new_epoch(a);
    if (a->nsymset + ns + 1 > a->capsymset) {
        size_t cap = a->capsymset ? a->capsymset * 2 : 1024;
        uint32_t *p;
        while (cap < a->nsymset + ns + 1)
            cap *= 2;
        if (!(p = realloc(a->symset, cap * sizeof(*p))))
            return NLP_SC_MANY;
        a->symset = p;
        a->capsymset = cap;
    }
    at = (uint32_t)a->nsymset;
    a->symset[at] = (uint32_t)ns;
    memcpy(a->symset + at + 1, syms, ns * sizeof(*syms));
    a->nsymset += ns + 1;
    return NLP_SC_SET | at;
}

/*
 * Symbols of token i through the symbol cache: the word-cache slot langid
 * used for the token (a->tokwc[i]) names its form, once the slot is checked
 * to still hold exactly this norm (it may have been claimed by another form
 * since, or the norm rewritten by transliteration); other tokens find or
 * claim the slot of their norm.  The slot holds the form's symbols for the
 * current epoch; *slot receives it (NULL: a form too long for the word
 * cache, or with too many symbols, looked up each time).
 */
static size_t cached_symbols(const struct nlp_lexicon *lx, struct nlp_analyzer *a, size_t i,
                             const struct kz_str *norm, uint32_t *syms, struct nlp_wc_entry **slot)
{
    struct nlp_wc_entry *e = a->tokwc[i];
    uint32_t sym;
    size_t ns;
    bool hit;

    if (!e ||
        (!nlp_wc_unclaimed(a) && (e->klen != norm->n || !nlp_key_eq(e->key, norm->p, norm->n)))) {
        /* not a word langid scored (a hashtag, emoji, number...), or a
         * transliterated one: the form takes a slot of its own */
        e = nlp_wc_lookup(a, norm->p, norm->n, &hit);
        if (!e)
            return token_symbols(lx, norm, syms);
    }
    if ((e->lxsym & ((1u << NLP_SC_EPOCH_BITS) - 1)) == a->sc_epoch) {
        sym = e->lxsym >> NLP_SC_EPOCH_BITS;
        if (sym == NLP_SC_MANY)
            return token_symbols(lx, norm, syms);
        *slot = e;
        sym &= ~(NLP_SC_FOLDK | NLP_SC_FOLDX);
        if (sym & NLP_SC_SET) {
            const uint32_t *set = a->symset + (sym & ~NLP_SC_SET);
            memcpy(syms, set + 1, set[0] * sizeof(*syms));
            return set[0];
        }
        syms[0] = sym;
        return sym != 0;
    }
    ns = token_symbols(lx, norm, syms);
    if (ns == 0)
        sym = 0;
    else if (ns == 1 && syms[0] < NLP_SC_FOLDX)
        sym = syms[0];
    else
        sym = remember_set(a, syms, ns);
    e->lxsym = sym << NLP_SC_EPOCH_BITS | a->sc_epoch;
    if (sym != NLP_SC_MANY)
        *slot = e;
    return ns;
}

/*
 * Folded matching.  Kazakh is often typed without its nine own letters: in
 * Cyrillic on a Russian keyboard ("ертен аланга жиналамыз"), and in plain
 * ASCII Latin, whose transliteration must guess them ("akimat" becomes
 * ақімат, "erten" ертен).  A Kazakh word token that shows none of them (a
 * Cyrillic norm with nothing to fold; a Latin surface of ASCII only) gets,
 * besides its exact symbols, the symbols of every lexicon word and prefix
 * whose folded key (nlp_lx_fold) equals its own folded norm: ертен finds
 * ертең, ақімат finds акимат, жіналамыз finds жиналамыз.  A word written
 * with the letters (қол, көл) is matched exactly, so folding never merges
 * two words whose writer told them apart.  Only tokens the analyzer called
 * Kazakh are folded; a Russian кол stays кол.
 *
 * The folded symbols depend on the form alone.  They are looked up the first
 * time a Kazakh token has the form and kept beside its word-cache slot:
 * NLP_SC_FOLDK in the slot says they are known, NLP_SC_FOLDX that there are
 * some, listed at a->symset[a->wcfold[slot]].  Tokens of other languages
 * never pay for them, and a Kazakh token tests whether it folds only when
 * its form has folded symbols.
 */
static bool token_folds(const struct nlp_token *t)
{
    if (t->lang != NLP_LANG_KK || t->kind != NLP_TOK_WORD)
        return false;
    if (t->script == NLP_SCRIPT_LATN) {
        for (size_t i = 0; i < t->surface.n; i++)
            if ((unsigned char)t->surface.p[i] >= 0x80)
                return false; /* diacritics: the transliteration is exact */
        return true;
    }
    return !nlp_lx_foldable(t->norm.p, t->norm.n); /* no Kazakh letter written */
}

/* Append the folded symbols of norm (those not among syms[0..ns)) to syms. */
static size_t lookup_folded(const struct nlp_lexicon *lx, const struct kz_str *norm, uint32_t *syms,
                            size_t ns)
{
    char buf[NLP_LX_FOLD_MAX];

    if (norm->n > sizeof(buf))
        return ns;
    nlp_lx_fold(norm->p, norm->n, buf);
    return key_symbols(lx, true, buf, norm->n, syms, ns);
}

/* Token t's folded symbols appended to its exact ones syms[0..ns), through
 * its form's slot e when it has one. */
static size_t folded_symbols(const struct nlp_lexicon *lx, struct nlp_analyzer *a,
                             struct nlp_wc_entry *e, const struct nlp_token *t, uint32_t *syms,
                             size_t ns)
{
    uint32_t v, at, epoch = a->sc_epoch;
    size_t k, nf;

    if (!e)
        return token_folds(t) ? lookup_folded(lx, &t->norm, syms, ns) : ns;
    k = (size_t)(e - a->wc);
    v = e->lxsym >> NLP_SC_EPOCH_BITS;
    if (v & NLP_SC_FOLDK) {
        const uint32_t *set;
        if (!(v & NLP_SC_FOLDX) || !token_folds(t))
            return ns;
        set = a->symset + a->wcfold[k];
        memcpy(syms + ns, set + 1, set[0] * sizeof(*syms));
        return ns + set[0];
    }
    /* the form's first Kazakh token: look its folded symbols up once */
    nf = lookup_folded(lx, &t->norm, syms, ns);
    if (nf == ns) {
        e->lxsym |= NLP_SC_FOLDK << NLP_SC_EPOCH_BITS;
        return ns;
    }
    if (a->wcfold || (a->wcfold = malloc(NLP_WC_SLOTS * sizeof(*a->wcfold)))) {
        at = remember_set(a, syms + ns, nf - ns);
        if (at != NLP_SC_MANY && a->sc_epoch == epoch) { /* else not memoized */
            a->wcfold[k] = at & ~NLP_SC_SET;
            e->lxsym |= (NLP_SC_FOLDK | NLP_SC_FOLDX) << NLP_SC_EPOCH_BITS;
        }
    }
    return token_folds(t) ? nf : ns;
}

/*
 * Point a's symbol cache at lexicon lx: a new epoch when lx is not the one
 * it was filled for, so symbols of the previous lexicon read as none; when
 * the epochs wrap, every entry's symbol is emptied first.
 */
static void cache_for(struct nlp_analyzer *a, const struct nlp_lexicon *lx)
{
    if (a->sc_lexid == lx->id && a->sc_epoch != 0)
        return;
    new_epoch(a);
    a->sc_lexid = lx->id;
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

/* Hits of every pattern ending at state child, matched over [first, last]. */
static int emit(const struct nlp_lexicon *lx, struct nlp_arena *ar, struct nlp_lx_hit **h,
                size_t *nh, size_t *caph, uint32_t child, uint32_t first, uint32_t last)
{
    for (uint32_t o = lx->out[child]; o; o = lx->next_out[o - 1]) {
        if (*nh == *caph) {
            size_t nc = *caph ? *caph * 2 : 32;
            struct nlp_lx_hit *nhp = nlp_arena_alloc(ar, nc * sizeof(*nhp));
            if (!nhp)
                return KZ_ENOMEM;
            if (*nh)
                memcpy(nhp, *h, *nh * sizeof(**h));
            *h = nhp;
            *caph = nc;
        }
        (*h)[*nh].first = first;
        (*h)[*nh].last = last;
        (*h)[*nh].rule = o - 1;
        (*nh)++;
    }
    return 0;
}

int nlp_lexicon_match(const struct nlp_lexicon *lx, struct nlp_analyzer *a,
                      const struct nlp_doc *doc, struct nlp_lx_hit **hits, size_t *nhits)
{
    struct nlp_arena *ar = &a->arena;
    struct active *cur, *next, *tmp;
    struct nlp_lx_hit *h = NULL;
    size_t ncur = 0, nh = 0, caph = 0;
    uint32_t syms[NLP_LX_MAX_SYMS];
    bool cached;
    int rc;

    *hits = NULL;
    *nhits = 0;
    if (!lx || !lx->nrules || !doc->ntokens)
        return 0;
    /* The cache applies to a's own latest analysis only. */
    cached = doc->tokens == a->toks && doc->ntokens <= a->ntoks;
    if (cached)
        cache_for(a, lx);
    cur = nlp_arena_alloc(ar, 2 * NLP_LX_MAX_ACTIVE * sizeof(*cur));
    if (!cur)
        return KZ_ENOMEM;
    next = cur + NLP_LX_MAX_ACTIVE;
    for (size_t i = 0; i < doc->ntokens; i++) {
        const struct nlp_token *t = &doc->tokens[i];
        struct nlp_wc_entry *slot = NULL;
        size_t nsyms = cached ? cached_symbols(lx, a, i, &t->norm, syms, &slot)
                              : token_symbols(lx, &t->norm, syms);
        size_t nnext = 0;

        if (t->lang == NLP_LANG_KK && lx->fwords.n && nsyms < NLP_LX_MAX_SYMS)
            nsyms = folded_symbols(lx, a, slot, t, syms, nsyms);
        /* A Latin Kazakh hashtag keeps its norm as written; its Cyrillic
         * transliteration (the stem) matches the Cyrillic patterns too. */
        if (t->kind == NLP_TOK_HASHTAG && (t->flags & NLP_TOKF_TRANSLIT) && nsyms < NLP_LX_MAX_SYMS)
            nsyms = key_symbols(lx, false, t->stem.p, t->stem.n, syms, nsyms);

        /* Matches under way go on (or die) ...  Only states with edges out
         * stay active: a single-word pattern's state is reported and left. */
        for (size_t k = 0; k < ncur; k++) {
            for (size_t s = 0; s < nsyms; s++) {
                uint32_t child = nlp_lx_edge_find(&lx->edges, cur[k].state, syms[s]);
                if (!child || (lx->inner[child] && !push_active(next, &nnext, child, cur[k].first)))
                    continue;
                if ((rc = emit(lx, ar, &h, &nh, &caph, child, cur[k].first, (uint32_t)i)))
                    return rc;
            }
        }
        /* ... and new ones start here, through the root's direct table. */
        for (size_t s = 0; s < nsyms; s++) {
            uint32_t child = lx->root_child[syms[s]];
            if (!child || (lx->inner[child] && !push_active(next, &nnext, child, (uint32_t)i)))
                continue;
            if ((rc = emit(lx, ar, &h, &nh, &caph, child, (uint32_t)i, (uint32_t)i)))
                return rc;
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
