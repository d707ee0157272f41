/*
 * analyzer.c -- analyzer lifetime and nlp_analyze(), the stage driver.
 *
 * nlp_analyze() runs the stages in order over one post:
 *   1. tokenize.c: social tokens and ICU words, each normalized on emission
 *      (normalize.c), so every token has surface, span, norm and script;
 *   2. langid.c: language per token and per post;
 *   3. translit.c: if the post is Kazakh in Latin script, its Latin words get
 *      a Cyrillic norm (flag NLP_TOKF_TRANSLIT), so lexicons are written once;
 *      a hashtag keeps its norm as written and gets the Cyrillic form as its
 *      stem, which the lexicon matcher tries too;
 *   4. stem.c: the stem of each word in its language.
 * Everything a post produces lives in the arena, reset at the start of the
 * next post; the token array is reused and grows only up to max_tokens, so
 * once an analyzer has warmed up the hot path makes no heap allocation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlp_int.h"

void nlp_config_default(struct nlp_config *cfg)
{
    cfg->arena_bytes = 256 * 1024;
    cfg->max_tokens = 65536;
}

int nlp_analyzer_new(const struct nlp_config *cfg, struct nlp_analyzer **out, char *err,
                     size_t errlen)
{
    struct nlp_analyzer *a;
    char dummy[1];
    int rc;

    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    err[0] = '\0';
    *out = NULL;
    a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, errlen, "nlp: out of memory creating analyzer");
        return KZ_ENOMEM;
    }
    if (cfg)
        a->cfg = *cfg;
    else
        nlp_config_default(&a->cfg);
    if (a->cfg.max_tokens == 0)
        a->cfg.max_tokens = 65536;
    rc = nlp_arena_init(&a->arena, a->cfg.arena_bytes);
    if (rc) {
        snprintf(err, errlen, "nlp: out of memory creating the analyzer arena");
        goto fail;
    }
    rc = nlp_tokenizer_init(a, err, errlen);
    if (rc)
        goto fail;
    rc = nlp_stem_init(a, err, errlen);
    if (rc)
        goto fail;
    rc = nlp_wc_init(a);
    if (rc) {
        snprintf(err, errlen, "nlp: out of memory creating the word cache");
        goto fail;
    }
    rc = nlp_langid_init(a);
    if (rc) {
        snprintf(err, errlen, "nlp: out of memory building language-ID tables");
        goto fail;
    }
    *out = a;
    return 0;
fail:
    nlp_analyzer_free(a);
    return rc;
}

void nlp_analyzer_free(struct nlp_analyzer *a)
{
    if (!a)
        return;
    nlp_langid_fini(a);
    nlp_wc_fini(a);
    nlp_stem_fini(a);
    nlp_tokenizer_fini(a);
    nlp_arena_free(&a->arena);
    free(a->toks);
    free(a->tokwc);
    free(a->cps);
    free(a->verdict_scratch);
    free(a);
}

int nlp_push_token(struct nlp_analyzer *a, const struct nlp_token *t)
{
    if (a->ntoks >= a->cfg.max_tokens)
        return 0;
    if (a->ntoks == a->captoks) {
        size_t cap = a->captoks ? a->captoks * 2 : 256;
        struct nlp_token *nt;

        if (cap > a->cfg.max_tokens)
            cap = a->cfg.max_tokens;
        struct nlp_wc_entry **nw;

        nt = realloc(a->toks, cap * sizeof(*nt));
        if (!nt)
            return KZ_ENOMEM;
        a->toks = nt;
        nw = realloc(a->tokwc, cap * sizeof(*nw));
        if (!nw)
            return KZ_ENOMEM;
        a->tokwc = nw;
        a->captoks = cap;
    }
    a->tokwc[a->ntoks] = NULL;
    a->toks[a->ntoks++] = *t;
    return 0;
}

static bool is_wordish(const struct nlp_token *t)
{
    return t->kind == NLP_TOK_WORD || t->kind == NLP_TOK_HASHTAG;
}

/*
 * Stage 3: Latin-script Kazakh words get a Cyrillic norm.  Only words
 * labelled Kazakh (by their own evidence or inherited from the post), so the
 * English words of a Kazakh post stay English; a hashtag is transliterated
 * when one of its words is Kazakh and none is English.
 */
static bool hashtag_is_kk(const struct nlp_analyzer *a, size_t h)
{
    bool kk = false;

    for (size_t j = h + 1; j < a->ntoks && (a->toks[j].flags & NLP_TOKF_HASHTAG_PART) &&
                           a->toks[j].start < a->toks[h].end;
         j++) {
        if (a->toks[j].lang == NLP_LANG_EN)
            return false;
        kk |= a->toks[j].lang == NLP_LANG_KK;
    }
    return kk;
}

/*
 * Transliteration through the word cache: the key is the Latin form behind a
 * marker byte (1, or 2 when the surface is capitalised, which changes how
 * "Qazaqstan'da" reads), so it never meets a real form; the Cyrillic result
 * rides in the stem field.
 */
static int translit_cached(struct nlp_analyzer *a, const struct nlp_token *t, struct kz_str *out)
{
    char key[NLP_WC_KEY];
    struct nlp_wc_entry *e = NULL;
    bool hit = false;
    int rc;

    if (t->norm.n + 1 <= sizeof(key)) {
        key[0] = (char)(t->surface.n && t->surface.p[0] >= 'A' && t->surface.p[0] <= 'Z' ? 2 : 1);
        memcpy(key + 1, t->norm.p, t->norm.n);
        e = nlp_wc_lookup(a, key, t->norm.n + 1, &hit);
    }
    if (hit && e->stem_lang == NLP_WC_TRANSLIT) {
        char *p = nlp_arena_strdup(&a->arena, e->stem, e->slen);
        if (!p)
            return KZ_ENOMEM;
        *out = kz_str_make(p, e->slen);
        return 0;
    }
    rc = nlp_translit_kk(a, &t->surface, &t->norm, out);
    if (rc == 0 && e && out->n <= NLP_WC_STEM) {
        memcpy(e->stem, out->p, out->n);
        e->slen = (uint8_t)out->n;
        e->stem_lang = NLP_WC_TRANSLIT;
    }
    return rc;
}

static int translit_post(struct nlp_analyzer *a)
{
    for (size_t i = 0; i < a->ntoks; i++) {
        struct nlp_token *t = &a->toks[i];
        struct kz_str out;
        int rc;

        if (!is_wordish(t) || t->script != NLP_SCRIPT_LATN)
            continue;
        if (t->kind == NLP_TOK_HASHTAG ? !hashtag_is_kk(a, i) : t->lang != NLP_LANG_KK)
            continue;
        rc = translit_cached(a, t, &out);
        if (rc)
            return rc;
        if (t->kind == NLP_TOK_HASHTAG)
            t->stem = out; /* the value stays as written: "#mañana" */
        else
            t->norm = t->stem = out;
        t->lang = NLP_LANG_KK;
        t->flags |= NLP_TOKF_TRANSLIT;
        a->tokwc[i] = NULL; /* no longer its norm's slot */
    }
    return 0;
}

/*
 * A Latin "i" hidden in a Cyrillic word was folded to "і" (Kazakh and
 * Ukrainian type it for і); in a Russian word the reader sees "и".  Same
 * byte length, so the arena copy is rewritten in place.
 */
static void russian_i(struct nlp_token *t)
{
    char *p = (char *)t->norm.p;

    for (size_t i = 0; i + 1 < t->norm.n; i++)
        if ((unsigned char)p[i] == 0xD1 && (unsigned char)p[i + 1] == 0x96) {
            p[i] = (char)0xD0;
            p[i + 1] = (char)0xB8;
        }
    t->stem = t->norm;
}

int nlp_analyze(struct nlp_analyzer *a, const char *text, size_t len, enum nlp_lang lang_hint,
                struct nlp_doc *doc)
{
    size_t nlatn_kk = 0, nkk = 0;
    int rc;

    memset(doc, 0, sizeof(*doc));
    nlp_arena_reset(&a->arena);
    a->ntoks = 0;
    a->ntimes = 0;
    if (!text)
        len = 0;
    if (len > UINT32_MAX)
        return KZ_ERANGE;
    rc = nlp_tokenize(a, text, len);
    if (rc)
        return rc;
    nlp_langid(a, lang_hint, doc);

    for (size_t i = 0; i < a->ntoks; i++) {
        if (a->toks[i].lang == NLP_LANG_KK && is_wordish(&a->toks[i])) {
            nkk++;
            nlatn_kk += a->toks[i].script == NLP_SCRIPT_LATN;
        }
    }
    if ((doc->lang == NLP_LANG_KK || doc->lang == NLP_LANG_MIXED) && nlatn_kk * 2 > nkk) {
        rc = translit_post(a);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < a->ntoks; i++) {
        struct nlp_token *t = &a->toks[i];
        enum nlp_lang l = t->lang != NLP_LANG_UND ? (enum nlp_lang)t->lang : doc->lang;

        if (t->kind != NLP_TOK_WORD) {
            a->ntimes += t->kind == NLP_TOK_TIME || t->kind == NLP_TOK_DATE;
            continue;
        }
        if ((t->flags & NLP_TOKF_HOMOGLYPH) && l == NLP_LANG_RU) {
            russian_i(t);
            a->tokwc[i] = NULL; /* the norm was rewritten */
        }
        rc = nlp_stem_token(a, t, l, a->tokwc[i]);
        if (rc)
            return rc;
    }
    if (nkk)
        nlp_stem_kk_aux(a->toks, a->ntoks);
    doc->tokens = a->toks;
    doc->ntokens = a->ntoks;
    return 0;
}

int nlp_stem_word(struct nlp_analyzer *a, const char *w, size_t n, enum nlp_lang lang,
                  struct kz_str *stem)
{
    struct nlp_doc doc;
    struct nlp_token t;
    size_t nwords = 0;
    int rc;

    *stem = KZ_STR_NULL;
    rc = nlp_analyze(a, w, n, lang, &doc);
    if (rc)
        return rc;
    for (size_t i = 0; i < a->ntoks; i++)
        if (a->toks[i].kind == NLP_TOK_WORD && !(a->toks[i].flags & NLP_TOKF_HASHTAG_PART)) {
            t = a->toks[i];
            nwords++;
        }
    if (nwords != 1)
        return KZ_EINVAL;
    if (lang == NLP_LANG_KK && t.script == NLP_SCRIPT_LATN && !(t.flags & NLP_TOKF_TRANSLIT)) {
        rc = translit_cached(a, &t, &t.norm);
        if (rc)
            return rc;
        t.flags |= NLP_TOKF_TRANSLIT;
    }
    t.stem = t.norm;
    rc = nlp_stem_token(a, &t, lang, NULL);
    if (rc)
        return rc;
    *stem = t.stem;
    return 0;
}
