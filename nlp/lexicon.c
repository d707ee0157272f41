/*
 * lexicon.c -- lexicon TSV parsing, validation, and compilation into the
 * token-level Aho-Corasick automaton that lexicon_match.c runs once per post
 * (the automaton and the matching are described there).
 *
 * Compilation.  Every entry `category<TAB>pattern<TAB>weight<TAB>lang<TAB>note`
 * is validated (five fields, a known category family, a weight in (0, 1], a
 * known lang) and its pattern is normalized by the analyzer itself: a private
 * analyzer runs nlp_analyze() on the pattern text with the entry's lang as the
 * hint, and the tokens' norms become the pattern.  Patterns are therefore
 * normalized exactly as posts are (case fold, homoglyph fold, Kazakh Latin to
 * Cyrillic), and phrase splitting, hashtags ("#жаңаөзен" is one hashtag token
 * whose norm keeps the '#'), mentions, URLs and emoji ("💙💛" is two emoji
 * tokens) need no special case.  A `*` ends a stem element: it is replaced by
 * a space before analysis and the token that ends where it stood becomes a
 * prefix.  Tokens the analyzer adds inside a hashtag (NLP_TOKF_HASHTAG_PART)
 * are skipped, because a post's hashtag token is matched on its own.
 *
 * Symbols.  Each distinct normalized word is interned into a hash table
 * (word -> symbol id), each distinct stem prefix into a second one (prefix ->
 * symbol id, ids from the same space).  A pattern is a sequence of symbols.
 *
 * The compiled lexicon (struct nlp_lexicon, lexicon_int.h) is immutable
 * once nlp_lexicon_compile() returns.
 */
#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexicon_int.h"

#define NLP_LX_MAX_PATTOK 16 /* tokens in one pattern */

/* ---------------------------------------------------------------------------
 * Hash tables: string -> symbol id, and (state, symbol) -> state
 * ------------------------------------------------------------------------ */

static int grow_array(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t nc;
    void *np;

    if (need <= *cap)
        return 0;
    nc = *cap ? *cap : 64;
    while (nc < need)
        nc *= 2;
    np = realloc(*p, nc * elem);
    if (!np)
        return KZ_ENOMEM;
    *p = np;
    *cap = nc;
    return 0;
}

/* Copy s into the pool; *off receives its offset.  NUL-terminated for debug. */
/* A fresh lexicon id: 1, 2, ...; wraps past 0 after 2^32 compilations, far
 * beyond any process's reloads. */
static uint32_t lexicon_id(void)
{
    static atomic_uint next;
    uint32_t id;

    while ((id = (uint32_t)atomic_fetch_add(&next, 1) + 1) == 0)
        ;
    return id;
}

static int pool_add(struct nlp_lexicon *lx, const char *s, size_t n, uint32_t *off)
{
    if (lx->npool + n + 1 > UINT32_MAX)
        return KZ_ERANGE;
    if (grow_array((void **)&lx->pool, &lx->cappool, lx->npool + n + 1, 1))
        return KZ_ENOMEM;
    memcpy(lx->pool + lx->npool, s, n);
    lx->pool[lx->npool + n] = '\0';
    *off = (uint32_t)lx->npool;
    lx->npool += n + 1;
    return 0;
}

static int symtab_rehash(struct symtab *t, size_t cap)
{
    struct symslot *ns = calloc(cap, sizeof(*ns));

    if (!ns)
        return KZ_ENOMEM;
    for (size_t i = 0; i < t->cap; i++) {
        size_t j;
        if (!t->slot[i].id)
            continue;
        for (j = t->slot[i].hash & (cap - 1); ns[j].id; j = (j + 1) & (cap - 1))
            ;
        ns[j] = t->slot[i];
    }
    free(t->slot);
    t->slot = ns;
    t->cap = cap;
    return 0;
}

/* The symbol of s in t, interned if new. */
static int symtab_intern(struct nlp_lexicon *lx, struct symtab *t, const char *s, size_t n,
                         uint32_t *id)
{
    uint32_t h = nlp_hash(s, n), off;
    size_t j;
    int rc;

    if (t != &lx->prefixes) {
        uint32_t bit = h >> (32 - NLP_LX_FILTER_LOG2);
        lx->filter[bit >> 6] |= 1ull << (bit & 63);
    }
    if ((*id = nlp_lx_symtab_find(lx, t, h, s, n)))
        return 0;
    if ((t->n + 1) * 2 > t->cap && (rc = symtab_rehash(t, t->cap ? t->cap * 2 : 256)))
        return rc;
    if ((rc = pool_add(lx, s, n, &off)))
        return rc;
    for (j = h & (t->cap - 1); t->slot[j].id; j = (j + 1) & (t->cap - 1))
        ;
    t->slot[j].hash = h;
    t->slot[j].off = off;
    t->slot[j].len = (uint32_t)n;
    t->slot[j].id = *id = ++lx->nsyms;
    t->n++;
    return 0;
}

static int edge_add(struct edgetab *t, uint32_t state, uint32_t sym, uint32_t child)
{
    uint64_t key = ((uint64_t)state << 32) | sym;
    size_t i;

    if ((t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        struct edgeslot *ns = calloc(cap, sizeof(*ns));
        if (!ns)
            return KZ_ENOMEM;
        for (size_t k = 0; k < t->cap; k++) {
            if (!t->slot[k].key)
                continue;
            for (i = nlp_lx_mix64(t->slot[k].key) & (cap - 1); ns[i].key; i = (i + 1) & (cap - 1))
                ;
            ns[i] = t->slot[k];
        }
        free(t->slot);
        t->slot = ns;
        t->cap = cap;
    }
    for (i = nlp_lx_mix64(key) & (t->cap - 1); t->slot[i].key; i = (i + 1) & (t->cap - 1))
        ;
    t->slot[i].key = key;
    t->slot[i].child = child;
    t->n++;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Entry validation
 * ------------------------------------------------------------------------ */

struct lx_build {
    struct nlp_lexicon *lx;
    struct nlp_analyzer *a;
    nlp_lexicon_error_fn on_error;
    void *ctx;
    size_t nerrors;
    int stop_at_first;
    const char *fname; /* current file and line, for messages */
    size_t line;
    uint32_t *src; /* per pattern: file index << 20 | line, for duplicates */
    size_t capsrc;
    const struct nlp_lexicon_file *files;
    /* the entry being added */
    float w;
    int family;
    enum nlp_lang lang;
    size_t fileno;
    int dup;        /* insert_seq() found the sequence already in the category */
    int gaz_family; /* > 0: the entry comes from the gazetteer, of this family */
};

struct pat_sym;
static int insert_seq(struct lx_build *b, const struct pat_sym *syms, int nsym, int written,
                      uint32_t cat, const char *const f[5], const size_t fl[5], int quiet);

void nlp_file_verror(nlp_lexicon_error_fn on_error, void *ctx, const char *fname, size_t line,
                     const char *fmt, va_list ap)
{
    char msg[512];
    int k = snprintf(msg, sizeof(msg), "%s:%zu: ", fname, line);

    if (!on_error)
        return;
    if (k < 0)
        k = 0;
    if ((size_t)k >= sizeof(msg))
        k = (int)sizeof(msg) - 1; /* a name that fills the buffer: the message is cut */
    vsnprintf(msg + k, sizeof(msg) - (size_t)k, fmt, ap);
    on_error(ctx, msg);
}

static void report(struct lx_build *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    nlp_file_verror(b->on_error, b->ctx, b->fname, b->line, fmt, ap);
    va_end(ap);
    b->nerrors++;
}

static int is_snake(const char *s, size_t n)
{
    if (!n || !(s[0] >= 'a' && s[0] <= 'z'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static int field_is(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && !memcmp(s, lit, n);
}

/* Family of a category, or -1. */
static int category_family(const char *s, size_t n)
{
    static const struct {
        const char *name;
        int family;
    } fixed[] = {
        {"stance/pro_ukraine", NLP_CAT_PRO_UKRAINE},
        {"stance/pro_russia", NLP_CAT_PRO_RUSSIA},
        {"cue/call_to_action", NLP_CAT_CALL},
        {"cue/negation", NLP_CAT_NEGATION},
        {"cue/reporting", NLP_CAT_REPORTING},
        {"cue/time", NLP_CAT_TIME},
        {"cue/place", NLP_CAT_PLACE},
        {"cue/past", NLP_CAT_PAST},
        {"cue/everyday", NLP_CAT_EVERYDAY},
        {"cue/target_russia", NLP_CAT_TARGET_RU},
        {"cue/target_ukraine", NLP_CAT_TARGET_UA},
        {"cue/target_west", NLP_CAT_TARGET_WEST},
        {"cue/positive", NLP_CAT_POSITIVE},
        {"cue/negative", NLP_CAT_NEGATIVE},
        {"cue/opposition", NLP_CAT_OPPOSITION},
        {"cue/sarcasm", NLP_CAT_SARCASM},
    };

    for (size_t i = 0; i < KZ_ARRAY_LEN(fixed); i++)
        if (field_is(s, n, fixed[i].name))
            return fixed[i].family;
    if (n > 6 && !memcmp(s, "topic/", 6) && is_snake(s + 6, n - 6))
        return NLP_CAT_TOPIC;
    return -1;
}

static int parse_weight(const char *s, size_t n, float *w)
{
    char buf[32], *end;
    double d;

    if (!n || n >= sizeof(buf))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]) && s[i] != '.')
            return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    d = strtod(buf, &end);
    if (*end || !isfinite(d) || d <= 0.0 || d > 1.0)
        return -1;
    *w = (float)d;
    return 0;
}

static int intern_category(struct nlp_lexicon *lx, const char *s, size_t n, int family,
                           uint32_t *idx)
{
    uint32_t off;
    int rc;

    for (size_t i = 0; i < lx->ncats; i++)
        if (lx->cats[i].name_len == n && !memcmp(lx->pool + lx->cats[i].name_off, s, n)) {
            *idx = (uint32_t)i;
            return 0;
        }
    if ((rc = grow_array((void **)&lx->cats, &lx->capcats, lx->ncats + 1, sizeof(*lx->cats))))
        return rc;
    if ((rc = pool_add(lx, s, n, &off)))
        return rc;
    memset(&lx->cats[lx->ncats], 0, sizeof(lx->cats[0]));
    lx->cats[lx->ncats].name_off = off;
    lx->cats[lx->ncats].name_len = (uint32_t)n;
    lx->cats[lx->ncats].family = (uint8_t)family;
    lx->cats[lx->ncats].parent = UINT32_MAX;
    *idx = (uint32_t)lx->ncats++;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Pattern normalization and insertion
 * ------------------------------------------------------------------------ */

struct pat_sym {
    const char *s; /* the analyzer's norm */
    size_t n;
    const char *w; /* the norm before Kazakh transliteration (== s if none) */
    size_t wn;
    int prefix;
};

/*
 * Normalize the pattern field into symbols.  Returns the number of symbols,
 * 0 when nothing is left (an error for the caller), -1 after reporting a
 * syntax error, or -2 when out of memory.
 */
static int normalize_pattern(struct lx_build *b, const char *p, size_t n, enum nlp_lang lang,
                             struct pat_sym *out, char *buf, size_t bufcap)
{
    struct nlp_doc doc;
    size_t nout = 0;
    int quoted = 0;

    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
        p++;
        n -= 2;
        quoted = 1;
    }
    if (n + 1 > bufcap) {
        report(b, "pattern too long (%zu bytes)", n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') {
            report(b, "stray '\"' in pattern (a phrase is quoted as a whole: \"a b\")");
            return -1;
        }
        if (!quoted && (p[i] == ' ' || p[i] == '\t')) {
            report(b, "pattern has spaces: quote a phrase (\"%.*s\")", (int)n, p);
            return -1;
        }
        if (p[i] == '*' && i + 1 < n && p[i + 1] != ' ') {
            report(b, "'*' is allowed only at the end of a word");
            return -1;
        }
        buf[i] = p[i] == '*' ? ' ' : p[i];
    }
    buf[n] = '\0';
    if (nlp_analyze(b->a, buf, n, lang, &doc))
        return -2;
    for (size_t i = 0; i < doc.ntokens; i++) {
        const struct nlp_token *t = &doc.tokens[i];
        if (t->flags & NLP_TOKF_HASHTAG_PART)
            continue;
        if (nout == NLP_LX_MAX_PATTOK) {
            report(b, "pattern has more than %d tokens", NLP_LX_MAX_PATTOK);
            return -1;
        }
        out[nout].s = out[nout].w = t->norm.p;
        out[nout].n = out[nout].wn = t->norm.n;
        if ((t->flags & NLP_TOKF_TRANSLIT) && t->kind == NLP_TOK_HASHTAG) {
            out[nout].s = t->stem.p; /* a hashtag's norm is as written, its stem Cyrillic */
            out[nout].n = t->stem.n;
        } else if (t->flags & NLP_TOKF_TRANSLIT) {
            struct kz_str wn;
            uint8_t script, flags = 0;
            if (nlp_normalize_word(b->a, t->surface.p, t->surface.n, &wn, &script, &flags))
                return -2;
            out[nout].w = wn.p;
            out[nout].wn = wn.n;
        }
        out[nout].prefix = t->end < n && p[t->end] == '*';
        if (out[nout].prefix) {
            size_t cps = 0, k = 0;
            while (k < t->norm.n) {
                (void)nlp_utf8_get(t->norm.p, t->norm.n, &k);
                cps++;
            }
            if (cps < NLP_LX_MIN_PREFIX) {
                report(b, "stem \"%.*s*\" is shorter than %d letters", (int)t->norm.n, t->norm.p,
                       NLP_LX_MIN_PREFIX);
                return -1;
            }
            if (cps > NLP_LX_MAX_PREFIX) {
                report(b, "stem \"%.*s*\" is longer than %d letters", (int)t->norm.n, t->norm.p,
                       NLP_LX_MAX_PREFIX);
                return -1;
            }
            if (cps > b->lx->max_prefix)
                b->lx->max_prefix = (uint32_t)cps;
        }
        nout++;
    }
    for (size_t i = 0; i < n; i++) {
        /* every '*' must have ended a token */
        if (p[i] != '*')
            continue;
        int ok = 0;
        for (size_t k = 0; k < doc.ntokens && !ok; k++)
            ok = doc.tokens[k].end == i && !(doc.tokens[k].flags & NLP_TOKF_HASHTAG_PART);
        if (!ok) {
            report(b, "'*' does not follow a word");
            return -1;
        }
    }
    return (int)nout;
}

static int add_entry(struct lx_build *b, size_t fileno, const char *const f[5], const size_t fl[5])
{
    struct nlp_lexicon *lx = b->lx;
    struct pat_sym syms[NLP_LX_MAX_PATTOK];
    char buf[1024];
    int family, nsym, rc;
    float w;
    uint32_t cat;
    enum nlp_lang lang;

    family = b->gaz_family > 0 ? b->gaz_family : category_family(f[0], fl[0]);
    if (family < 0 &&
        ((fl[0] > 7 && !memcmp(f[0], "region/", 7)) || (fl[0] > 5 && !memcmp(f[0], "city/", 5)))) {
        report(b,
               "\"%.*s\": regions and towns are rows of gazetteer.tsv (match ID PATTERN "
               "WEIGHT LANG note), not lexicon categories",
               (int)fl[0], f[0]);
        return 0;
    }
    if (family < 0) {
        report(b,
               "unknown category \"%.*s\" (expected topic/<name>, stance/pro_ukraine, "
               "stance/pro_russia, cue/call_to_action|negation|opposition|reporting|time|"
               "place|past|everyday|target_russia|target_ukraine|target_west|positive|"
               "negative|sarcasm, names in ASCII snake_case)",
               (int)fl[0], f[0]);
        return 0;
    }
    if (parse_weight(f[2], fl[2], &w)) {
        report(b, "weight \"%.*s\" is not a decimal number in (0, 1]", (int)fl[2], f[2]);
        return 0;
    }
    if (field_is(f[3], fl[3], "*"))
        lang = NLP_LANG_UND;
    else if (field_is(f[3], fl[3], "kk") || field_is(f[3], fl[3], "ru") ||
             field_is(f[3], fl[3], "uk") || field_is(f[3], fl[3], "en"))
        lang = (enum nlp_lang)nlp_lang_parse(f[3], fl[3]);
    else {
        report(b, "lang \"%.*s\" is not one of kk, ru, uk, en, *", (int)fl[3], f[3]);
        return 0;
    }
    if (!fl[1]) {
        report(b, "empty pattern");
        return 0;
    }
    nsym = normalize_pattern(b, f[1], fl[1], lang, syms, buf, sizeof(buf));
    if (nsym == -2)
        return KZ_ENOMEM;
    if (nsym < 0)
        return 0;
    if (nsym == 0) {
        report(b, "pattern \"%.*s\" is empty after normalization", (int)fl[1], f[1]);
        return 0;
    }
    if ((rc = intern_category(lx, f[0], fl[0], family, &cat)))
        return rc;
    b->w = w;
    b->family = family;
    b->lang = lang;
    b->fileno = fileno;

    /*
     * Kazakh rows take the transliterated form (what a Kazakh post's Latin
     * words become); other rows keep their Latin spelling, as in posts of
     * their language.  The other form, if different, is added silently when
     * it is new to the category, so "#qandyqantar" (kk) also matches in a
     * Russian post and "almaty" (en) does not clash with "алматы" (kk).
     */
    {
        int written_first = lang != NLP_LANG_KK, differ = 0;
        for (int i = 0; i < nsym; i++)
            differ |= syms[i].n != syms[i].wn || memcmp(syms[i].s, syms[i].w, syms[i].n);
        if ((rc = insert_seq(b, syms, nsym, written_first, cat, f, fl, 0)))
            return rc;
        if (differ && !b->dup && (rc = insert_seq(b, syms, nsym, !written_first, cat, f, fl, 1)))
            return rc;
    }
    return 0;
}

/* Insert one symbol sequence for the current entry (rule index = a new rule). */
static int insert_seq(struct lx_build *b, const struct pat_sym *syms, int nsym, int written,
                      uint32_t cat, const char *const f[5], const size_t fl[5], int quiet)
{
    struct nlp_lexicon *lx = b->lx;
    uint32_t state = 0, pidx, rule_off;
    int rc;

    b->dup = 0;
    for (int i = 0; i < nsym; i++) {
        uint32_t sym, child;
        const char *ps = written ? syms[i].w : syms[i].s;
        size_t pn = written ? syms[i].wn : syms[i].n;
        rc = symtab_intern(lx, syms[i].prefix ? &lx->prefixes : &lx->words, ps, pn, &sym);
        if (rc)
            return rc;
        if (syms[i].prefix) {
            size_t j = 0, from;
            uint32_t head;
            for (int cps = 0; cps < NLP_LX_MIN_PREFIX && j < pn; cps++) {
                from = j;
                if (nlp_utf8_get(ps, pn, &j) < 0 && j == from)
                    break;
            }
            if ((rc = symtab_intern(lx, &lx->heads, ps, j, &head)))
                return rc;
        }
        child = nlp_lx_edge_find(&lx->edges, state, sym);
        if (!child) {
            if ((rc = grow_array((void **)&lx->out, &lx->capstates, (size_t)lx->nstates + 1,
                                 sizeof(*lx->out))))
                return rc;
            child = lx->nstates++;
            lx->out[child] = 0;
            if ((rc = edge_add(&lx->edges, state, sym, child)))
                return rc;
        }
        state = child;
    }
    /* Duplicate (category, normalized pattern)? */
    for (uint32_t o = lx->out[state]; o; o = lx->next_out[o - 1]) {
        if (lx->rules[o - 1].cat == cat) {
            uint32_t src = b->src[o - 1];
            b->dup = 1;
            if (quiet)
                return 0;
            report(b, "duplicate of %s:%u (%.*s \"%.*s\" normalizes to the same pattern)",
                   b->files[src >> 20].name ? b->files[src >> 20].name : "(lexicon)", src & 0xFFFFF,
                   (int)fl[0], f[0], (int)fl[1], f[1]);
            return 0;
        }
    }
    if ((rc = grow_array((void **)&lx->rules, &lx->caprules, lx->nrules + 1, sizeof(*lx->rules))))
        return rc;
    {
        size_t c1 = b->capsrc, c2 = b->capsrc, c3 = b->capsrc;
        if ((rc = grow_array((void **)&b->src, &c1, lx->nrules + 1, sizeof(*b->src))) ||
            (rc = grow_array((void **)&lx->next_out, &c2, lx->nrules + 1, sizeof(uint32_t))) ||
            (rc = grow_array((void **)&lx->rule_off, &c3, lx->nrules + 1, sizeof(uint32_t))))
            return rc;
        b->capsrc = c1;
    }
    if ((rc = pool_add(lx, f[1], fl[1], &rule_off)))
        return rc;
    pidx = (uint32_t)lx->nrules++;
    memset(&lx->rules[pidx], 0, sizeof(lx->rules[pidx]));
    lx->rules[pidx].weight = b->w;
    lx->rules[pidx].cat = cat;
    lx->rules[pidx].family = (uint8_t)b->family;
    lx->rules[pidx].ntokens = (uint8_t)nsym;
    lx->rules[pidx].lang = (uint8_t)b->lang;
    lx->rule_off[pidx] = rule_off;
    lx->rules[pidx].rule.n = fl[1];
    b->src[pidx] = (uint32_t)(b->fileno << 20) | (uint32_t)(b->line & 0xFFFFF);
    lx->next_out[pidx] = lx->out[state];
    lx->out[state] = pidx + 1;
    return 0;
}

/* Split one line into exactly five TAB-separated fields. */
static int parse_line(struct lx_build *b, size_t fileno, const char *s, size_t n)
{
    const char *f[5];
    size_t fl[5], nf = 0, start = 0;

    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '\t')
            continue;
        if (nf < 5) {
            f[nf] = s + start;
            fl[nf] = i - start;
        }
        nf++;
        start = i + 1;
    }
    if (nf != 5) {
        report(b,
               "expected 5 TAB-separated fields (category, pattern, weight, lang, note), "
               "got %zu",
               nf);
        return 0;
    }
    return add_entry(b, fileno, f, fl);
}

/* ---------------------------------------------------------------------------
 * The gazetteer file: its places become categories region/<code> and
 * city/<slug> (a city's parent is its region), its match rows entries
 * ------------------------------------------------------------------------ */

static bool is_gazetteer(const char *name)
{
    size_t n = name ? strlen(name) : 0, k = strlen("gazetteer.tsv");
    return n >= k && !strcmp(name + n - k, "gazetteer.tsv") && (n == k || name[n - k - 1] == '/');
}

static int parse_gazetteer(struct lx_build *b, size_t fileno)
{
    const struct nlp_lexicon_file *file = &b->files[fileno];
    struct nlp_lexicon *lx = b->lx;
    const struct nlp_gaz_match *m;
    size_t nerr, np, nm;
    uint32_t *cat;
    char name[80];
    int rc;

    b->fname = file->name;
    if (lx->gaz) {
        b->line = 1;
        report(b, "a second gazetteer file (give one)");
        return 0;
    }
    rc = nlp_gazetteer_build(file->name, file->data, file->len, b->on_error, b->ctx,
                             b->stop_at_first, &lx->gaz, &nerr);
    b->nerrors += nerr;
    if (rc)
        return rc == KZ_EINVAL ? 0 : rc;
    np = nlp_gazetteer_count(lx->gaz);
    if (!(cat = malloc((np + 1) * sizeof(*cat))))
        return KZ_ENOMEM;
    for (size_t i = 0; i < np && !rc; i++) {
        const struct nlp_place *p = nlp_gazetteer_place(lx->gaz, i);
        int town = p->kind == NLP_PLACE_TOWN;
        int n = snprintf(name, sizeof(name), "%s/%.*s", town ? "city" : "region", (int)p->id.n,
                         p->id.p);
        rc = intern_category(lx, name, (size_t)n, town ? NLP_CAT_CITY : NLP_CAT_REGION, &cat[i]);
    }
    for (size_t i = 0; i < np && !rc; i++) {
        const struct nlp_place *p = nlp_gazetteer_place(lx->gaz, i);
        if (p->kind == NLP_PLACE_TOWN)
            lx->cats[cat[i]].parent = cat[p->region_index];
    }
    nm = nlp_gazetteer_matches(lx->gaz, &m);
    for (size_t i = 0; i < nm && !rc; i++) {
        const struct nlp_place *p = nlp_gazetteer_place(lx->gaz, m[i].place);
        const struct nlp_lx_cat *c = &lx->cats[cat[m[i].place]];
        const char *f[5] = {lx->pool + c->name_off, m[i].pattern.p, m[i].weight.p, m[i].lang.p,
                            m[i].note.p};
        const size_t fl[5] = {c->name_len, m[i].pattern.n, m[i].weight.n, m[i].lang.n, m[i].note.n};
        char catbuf[80];
        /* the pool may move while the entry is added: the category goes by copy */
        memcpy(catbuf, f[0], fl[0]);
        f[0] = catbuf;
        b->line = m[i].line;
        b->gaz_family = p->kind == NLP_PLACE_TOWN ? NLP_CAT_CITY : NLP_CAT_REGION;
        rc = add_entry(b, fileno, f, fl);
        b->gaz_family = 0;
        if (b->nerrors && b->stop_at_first)
            break;
    }
    free(cat);
    return rc;
}

static int parse_file(struct lx_build *b, size_t fileno)
{
    const struct nlp_lexicon_file *file = &b->files[fileno];
    const char *s = file->data;
    size_t n = file->len, pos = 0;
    int rc;

    if (is_gazetteer(file->name))
        return parse_gazetteer(b, fileno);
    b->fname = file->name ? file->name : "(lexicon)";
    b->line = 0;
    while (pos < n) {
        const char *eol = memchr(s + pos, '\n', n - pos);
        size_t end = eol ? (size_t)(eol - s) : n, len, k = 0;

        b->line++;
        len = end - pos;
        if (len && s[pos + len - 1] == '\r')
            len--;
        if (b->line == 1 && len >= 3 && !memcmp(s + pos, "\xEF\xBB\xBF", 3)) {
            pos += 3; /* a BOM */
            len -= 3;
        }
        while (k < len && (s[pos + k] == ' ' || s[pos + k] == '\t'))
            k++;
        if (k < len && s[pos + k] != '#') {
            if ((rc = parse_line(b, fileno, s + pos, len)))
                return rc;
            if (b->nerrors && b->stop_at_first)
                return 0;
        }
        pos = end + 1;
    }
    return 0;
}

static bool str_is(struct kz_str s, const char *lit)
{
    return s.n == strlen(lit) && !memcmp(s.p, lit, s.n);
}

/* ---------------------------------------------------------------------------
 * Folded keys (lexicon_int.h, nlp_lx_fold; lexicon_match.c, "Folded matching")
 * ------------------------------------------------------------------------ */

/* Add sym under the folded key s[0..n) of t: the key's id becomes sym, or a
 * list in fsets when another symbol folds alike (a new list replaces the old
 * one; the old stays unused, which only compilation pays for). */
static int fold_add(struct nlp_lexicon *lx, struct symtab *t, const char *s, size_t n, uint32_t sym,
                    bool filter)
{
    uint32_t h = nlp_hash(s, n), old = 0, *set = NULL, cnt = 1, off;
    size_t j;
    int rc;

    if (filter) {
        uint32_t bit = h >> (32 - NLP_LX_FILTER_LOG2);
        lx->ffilter[bit >> 6] |= 1ull << (bit & 63);
    }
    if ((t->n + 1) * 2 > t->cap && (rc = symtab_rehash(t, t->cap ? t->cap * 2 : 256)))
        return rc;
    for (j = h & (t->cap - 1); t->slot[j].id; j = (j + 1) & (t->cap - 1))
        if (t->slot[j].hash == h && t->slot[j].len == n &&
            !memcmp(lx->pool + t->slot[j].off, s, n)) {
            old = t->slot[j].id;
            break;
        }
    if (!old) {
        if ((rc = pool_add(lx, s, n, &off)))
            return rc;
        t->slot[j].hash = h;
        t->slot[j].off = off;
        t->slot[j].len = (uint32_t)n;
        t->slot[j].id = sym;
        t->n++;
        return 0;
    }
    if (old == sym)
        return 0;
    if (old & NLP_LX_FSET) {
        set = lx->fsets + (old & ~NLP_LX_FSET);
        cnt = set[0];
        for (uint32_t k = 1; k <= cnt; k++)
            if (set[k] == sym)
                return 0;
    }
    if (lx->nfsets + cnt + 2 >= NLP_LX_FSET)
        return KZ_ERANGE;
    if ((rc = grow_array((void **)&lx->fsets, &lx->capfsets, lx->nfsets + cnt + 2,
                         sizeof(*lx->fsets))))
        return rc;
    uint32_t *ns = lx->fsets + lx->nfsets;
    if (old & NLP_LX_FSET)
        memcpy(ns + 1, lx->fsets + (old & ~NLP_LX_FSET) + 1, cnt * sizeof(*ns));
    else
        ns[1] = old;
    ns[cnt + 1] = sym;
    ns[0] = cnt + 1;
    t->slot[j].id = NLP_LX_FSET | (uint32_t)lx->nfsets;
    lx->nfsets += cnt + 2;
    return 0;
}

/* Every word and stem prefix again under its folded key; prefixes' folded
 * heads too.  Keys are copied out of the pool first: adding to it moves it. */
static int build_folded(struct nlp_lexicon *lx)
{
    const struct symtab *src[2] = {&lx->words, &lx->prefixes};
    struct symtab *dst[2] = {&lx->fwords, &lx->fprefixes};
    char buf[NLP_LX_FOLD_MAX];
    int rc;

    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < src[t]->cap; i++) {
            const struct symslot *e = &src[t]->slot[i];
            size_t n = e->len, j = 0, from;
            if (!e->id || n > sizeof(buf))
                continue;
            nlp_lx_fold(lx->pool + e->off, n, buf);
            if ((rc = fold_add(lx, dst[t], buf, n, e->id, t == 0)))
                return rc;
            if (t == 0)
                continue;
            for (int cps = 0; cps < NLP_LX_MIN_PREFIX && j < n; cps++) {
                from = j;
                if (nlp_utf8_get(buf, n, &j) < 0 && j == from)
                    break;
            }
            if ((rc = fold_add(lx, &lx->fheads, buf, j, 1, true)))
                return rc;
        }
    return 0;
}

/* Resolve pool offsets into the rules' strings once the pool stops moving;
 * index the root's edges by symbol; mark the states with edges out. */
static int finish(struct nlp_lexicon *lx)
{
    int rc;

    if ((rc = build_folded(lx)))
        return rc;
    lx->root_child = calloc((size_t)lx->nsyms + 1, sizeof(*lx->root_child));
    lx->inner = calloc(lx->nstates, 1);
    if (!lx->root_child || !lx->inner)
        return KZ_ENOMEM;
    for (size_t i = 0; i < lx->edges.cap; i++) {
        uint64_t key = lx->edges.slot[i].key;
        if (!key)
            continue;
        lx->inner[key >> 32] = 1;
        if ((key >> 32) == 0)
            lx->root_child[(uint32_t)key] = lx->edges.slot[i].child;
    }
    lx->war_cat = lx->protest_cat = -1;
    for (size_t i = 0; i < lx->ncats; i++) {
        struct nlp_lx_cat *c = &lx->cats[i];
        const char *slash = memchr(lx->pool + c->name_off, '/', c->name_len);
        c->category = kz_str_make(lx->pool + c->name_off, c->name_len);
        c->name = kz_str_make(slash + 1, c->name_len - (size_t)(slash + 1 - c->category.p));
        if (str_is(c->category, "topic/war_ukraine"))
            lx->war_cat = (long)i;
        else if (str_is(c->category, "topic/protest"))
            lx->protest_cat = (long)i;
    }
    for (size_t i = 0; i < lx->nrules; i++) {
        lx->rules[i].rule.p = lx->pool + lx->rule_off[i];
        lx->rules[i].category = lx->cats[lx->rules[i].cat].category;
        lx->rules[i].name = lx->cats[lx->rules[i].cat].name;
    }
    return 0;
}

static int build(const struct nlp_lexicon_file *files, size_t nfiles, struct lx_build *b)
{
    char aerr[256];
    int rc;

    b->lx = calloc(1, sizeof(*b->lx));
    if (!b->lx)
        return KZ_ENOMEM;
    b->lx->id = lexicon_id();
    /* state 0: the root */
    b->lx->out = calloc(64, sizeof(*b->lx->out));
    b->lx->filter = calloc((size_t)1 << (NLP_LX_FILTER_LOG2 - 6), sizeof(uint64_t));
    b->lx->ffilter = calloc((size_t)1 << (NLP_LX_FILTER_LOG2 - 6), sizeof(uint64_t));
    if (!b->lx->out || !b->lx->filter || !b->lx->ffilter)
        return KZ_ENOMEM;
    b->lx->capstates = 64;
    b->lx->nstates = 1;
    b->files = files;
    if (nfiles > 4095)
        return KZ_ERANGE;
    if ((rc = nlp_analyzer_new(NULL, &b->a, aerr, sizeof(aerr))))
        return rc;
    for (size_t i = 0; files && i < nfiles; i++) {
        if ((rc = parse_file(b, i)))
            return rc;
        if (b->nerrors && b->stop_at_first)
            return 0;
    }
    return finish(b->lx);
}

/* ---------------------------------------------------------------------------
 * Public: compile, check, free
 * ------------------------------------------------------------------------ */

struct first_err {
    char *err;
    size_t errlen;
};

static void keep_first(void *ctx, const char *msg)
{
    struct first_err *fe = ctx;

    if (fe->err && fe->errlen && !fe->err[0])
        snprintf(fe->err, fe->errlen, "%s", msg);
}

int nlp_lexicon_compile(const struct nlp_lexicon_file *files, size_t nfiles,
                        struct nlp_lexicon **out, char *err, size_t errlen)
{
    struct first_err fe = {err, errlen};
    struct lx_build b;
    int rc;

    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    memset(&b, 0, sizeof(b));
    b.on_error = keep_first;
    b.ctx = &fe;
    b.stop_at_first = 1;
    rc = build(files, nfiles, &b);
    nlp_analyzer_free(b.a);
    free(b.src);
    if (!rc && b.nerrors)
        rc = KZ_EINVAL;
    if (rc) {
        if (err && errlen && !err[0])
            snprintf(err, errlen, "compiling lexicons: %s", kz_strerror(rc));
        nlp_lexicon_free(b.lx);
        return rc;
    }
    *out = b.lx;
    return 0;
}

long nlp_lexicon_check(const struct nlp_lexicon_file *files, size_t nfiles,
                       nlp_lexicon_error_fn on_error, void *ctx)
{
    struct lx_build b;
    int rc;

    memset(&b, 0, sizeof(b));
    b.on_error = on_error;
    b.ctx = ctx;
    rc = build(files, nfiles, &b);
    nlp_analyzer_free(b.a);
    free(b.src);
    nlp_lexicon_free(b.lx);
    return rc ? rc : (long)b.nerrors;
}

void nlp_lexicon_free(struct nlp_lexicon *lx)
{
    if (!lx)
        return;
    free(lx->pool);
    free(lx->words.slot);
    free(lx->prefixes.slot);
    free(lx->heads.slot);
    free(lx->fwords.slot);
    free(lx->fprefixes.slot);
    free(lx->fheads.slot);
    free(lx->fsets);
    free(lx->filter);
    free(lx->ffilter);
    free(lx->edges.slot);
    free(lx->root_child);
    free(lx->inner);
    free(lx->out);
    free(lx->rules);
    free(lx->next_out);
    free(lx->rule_off);
    free(lx->cats);
    nlp_gazetteer_free(lx->gaz);
    free(lx);
}

const struct nlp_gazetteer *nlp_lexicon_gazetteer(const struct nlp_lexicon *lx)
{
    return lx ? lx->gaz : NULL;
}

size_t nlp_lexicon_size(const struct nlp_lexicon *lx)
{
    return lx ? lx->nrules : 0;
}

size_t nlp_lexicon_categories(const struct nlp_lexicon *lx)
{
    return lx ? lx->ncats : 0;
}

struct kz_str nlp_lexicon_category(const struct nlp_lexicon *lx, size_t i)
{
    assert(lx && i < lx->ncats);
    return lx->cats[i].category;
}
