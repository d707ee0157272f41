/*
 * stem.c -- stems per language: Snowball for Russian and English, our own
 * stripper for Kazakh (stem_kk.c), a light ending stripper for Ukrainian.
 *
 * One Snowball stemmer per language per analyzer (they are not thread-safe
 * and keep their own buffers).  A stem that is a prefix of the normalized
 * form is returned as a slice of it, so most words cost no arena bytes;
 * only a stem that differs (English "happi", Kazakh "кітап" from "кітабы")
 * is copied.  Stemmers see words in the script of their language only:
 * Latin words in a Russian post keep their norm, and so on.
 */
#include <stdio.h>
#include <string.h>

#include "nlp_int.h"

int nlp_stem_init(struct nlp_analyzer *a, char *err, size_t errlen)
{
    a->stem_ru = sb_stemmer_new("russian", "UTF_8");
    a->stem_en = sb_stemmer_new("english", "UTF_8");
    if (!a->stem_ru || !a->stem_en) {
        snprintf(err, errlen, "nlp: cannot create Snowball stemmers (russian, english)");
        return KZ_ENOMEM;
    }
    return 0;
}

void nlp_stem_fini(struct nlp_analyzer *a)
{
    if (a->stem_ru)
        sb_stemmer_delete(a->stem_ru);
    if (a->stem_en)
        sb_stemmer_delete(a->stem_en);
    a->stem_ru = a->stem_en = NULL;
}

/*
 * Ukrainian: strip the longest common inflectional ending, keeping at least
 * three letters.  Light on purpose: it conflates case forms of nouns and
 * adjectives and verb personal forms, and never touches the root.
 */
size_t nlp_stem_uk(const char *w, size_t n)
{
    static const char *const endings[] = {
        "ього", "ому", "ого", "ими", "ами",  "ями", "ові", "еві", "ій",  "ої",  "ою",  "ею",
        "их",   "ів",  "ах",  "ях",  "ам",   "ям",  "ом",  "ем",  "ть",  "ла",  "ло",  "ли",
        "ться", "ся",  "ний", "ная", "ного", "уть", "ють", "ить", "ать", "ємо", "имо", "ете",
        "ите",  "а",   "я",   "о",   "е",    "у",   "ю",   "і",   "и",   "ї",   "й",
    };
    size_t best = 0, ncp = 0, i = 0;

    while (i < n) {
        nlp_utf8_get(w, n, &i);
        ncp++;
    }
    for (size_t k = 0; k < KZ_ARRAY_LEN(endings); k++) {
        size_t el = strlen(endings[k]);
        if (el > best && el < n && memcmp(w + n - el, endings[k], el) == 0 && ncp - el / 2 >= 3)
            best = el;
    }
    return n - best;
}

static int set_stem(struct nlp_analyzer *a, struct nlp_token *t, const char *s, size_t n)
{
    char *p;

    if (n <= t->norm.n && memcmp(s, t->norm.p, n) == 0) {
        t->stem = kz_str_make(t->norm.p, n);
        return 0;
    }
    p = nlp_arena_strdup(&a->arena, s, n);
    if (!p)
        return KZ_ENOMEM;
    t->stem = kz_str_make(p, n);
    return 0;
}

static bool norm_is_cyrillic(const struct kz_str *s)
{
    return s->n >= 2 && ((unsigned char)s->p[0] == 0xD0 || (unsigned char)s->p[0] == 0xD1 ||
                         (unsigned char)s->p[0] == 0xD2 || (unsigned char)s->p[0] == 0xD3);
}

static int stem_uncached(struct nlp_analyzer *a, struct nlp_token *t, enum nlp_lang lang);

/*
 * A form's stem in a second language.  The same form is stemmed as Kazakh in
 * one post and as Russian in the next (a Russian word in a Kazakh post takes
 * the post's language when its own is unknown); with one stem an entry, each
 * switch stemmed it again (5% of the stems of the generated corpus).  When
 * the entry's stem is a prefix of the form -- a length, its stem bytes
 * unused -- those bytes hold a second (language, prefix length) pair:
 * stem[0] the language (0: none), stem[1] NLP_WC_PREFIX | the length.
 */
static bool alt_stem(const struct nlp_wc_entry *e, enum nlp_lang lang)
{
    return e->stem_lang && e->stem_lang != NLP_WC_TRANSLIT && (e->slen & NLP_WC_PREFIX) &&
           (unsigned char)e->stem[0] == (unsigned)lang &&
           ((unsigned char)e->stem[1] & NLP_WC_PREFIX);
}

/* Stems go through the word cache (wordcache.c): Snowball is costly. */
int nlp_stem_token(struct nlp_analyzer *a, struct nlp_token *t, enum nlp_lang lang,
                   struct nlp_wc_entry *e)
{
    bool hit = e != NULL;
    int rc;

    if (lang != NLP_LANG_RU && lang != NLP_LANG_EN && lang != NLP_LANG_KK && lang != NLP_LANG_UK) {
        t->stem = t->norm;
        return 0;
    }
    /* The slot langid used may since have been taken by another form (a
     * collision later in the post) or the norm rewritten: check the key. */
    if (e && !nlp_wc_unclaimed(a) &&
        !(e->klen == t->norm.n && nlp_key_eq(e->key, t->norm.p, t->norm.n)))
        e = NULL;
    hit = e != NULL;
    if (!e)
        e = nlp_wc_lookup(a, t->norm.p, t->norm.n, &hit);
    if (hit && e->stem_lang == lang) {
        if (e->slen & NLP_WC_PREFIX) {
            t->stem = kz_str_make(t->norm.p, e->slen & 0x7F);
            return 0;
        }
        return set_stem(a, t, e->stem, e->slen);
    }
    if (hit && alt_stem(e, lang)) {
        t->stem = kz_str_make(t->norm.p, (unsigned char)e->stem[1] & 0x7F);
        return 0;
    }
    rc = stem_uncached(a, t, lang);
    if (rc == 0 && e) {
        if (t->stem.p == t->norm.p && t->stem.n <= t->norm.n) {
            if (e->stem_lang && e->stem_lang != lang && (e->slen & NLP_WC_PREFIX)) {
                e->stem[0] = (char)lang; /* beside the other language's: see alt_stem */
                e->stem[1] = (char)(NLP_WC_PREFIX | t->stem.n);
            } else {
                e->slen = (uint8_t)(NLP_WC_PREFIX | t->stem.n); /* norm <= NLP_WC_KEY bytes */
                e->stem_lang = (uint8_t)lang;
                e->stem[0] = 0;
            }
        } else if (t->stem.n <= NLP_WC_STEM) {
            memcpy(e->stem, t->stem.p, t->stem.n);
            e->slen = (uint8_t)t->stem.n;
            e->stem_lang = (uint8_t)lang;
        }
    }
    return rc;
}

static int stem_one(struct nlp_analyzer *a, struct nlp_token *t, enum nlp_lang lang);

/*
 * A hyphenated compound (Қызыл-Орда, кто-то, Z-патриоты) inflects at its end:
 * stem the part after the last hyphen alone, so its root-length rules see
 * that part, and keep the head as it is.
 */
static int stem_uncached(struct nlp_analyzer *a, struct nlp_token *t, enum nlp_lang lang)
{
    const char *h = NULL;
    struct nlp_token tail;
    size_t head;
    char *p;
    int rc;

    for (size_t i = t->norm.n; i-- > 0;)
        if (t->norm.p[i] == '-') {
            h = t->norm.p + i;
            break;
        }
    if (!h || h + 1 == t->norm.p + t->norm.n)
        return stem_one(a, t, lang);
    head = (size_t)(h + 1 - t->norm.p);
    tail = *t;
    tail.norm = kz_str_make(h + 1, t->norm.n - head);
    rc = stem_one(a, &tail, lang);
    if (rc)
        return rc;
    if (tail.stem.p == tail.norm.p) {
        t->stem = kz_str_make(t->norm.p, head + tail.stem.n);
        return 0;
    }
    p = nlp_arena_alloc(&a->arena, head + tail.stem.n + 1);
    if (!p)
        return KZ_ENOMEM;
    memcpy(p, t->norm.p, head);
    memcpy(p + head, tail.stem.p, tail.stem.n);
    p[head + tail.stem.n] = '\0';
    t->stem = kz_str_make(p, head + tail.stem.n);
    return 0;
}

static int stem_one(struct nlp_analyzer *a, struct nlp_token *t, enum nlp_lang lang)
{
    bool cyr = norm_is_cyrillic(&t->norm);
    const sb_symbol *r;

    t->stem = t->norm;
    if (t->norm.n == 0 || t->norm.n > 256)
        return 0;
    switch (lang) {
    case NLP_LANG_RU:
        if (!cyr)
            return 0;
        r = sb_stemmer_stem(a->stem_ru, (const sb_symbol *)t->norm.p, (int)t->norm.n);
        if (!r)
            return KZ_ENOMEM;
        return set_stem(a, t, (const char *)r, (size_t)sb_stemmer_length(a->stem_ru));
    case NLP_LANG_EN:
        if (cyr)
            return 0;
        r = sb_stemmer_stem(a->stem_en, (const sb_symbol *)t->norm.p, (int)t->norm.n);
        if (!r)
            return KZ_ENOMEM;
        return set_stem(a, t, (const char *)r, (size_t)sb_stemmer_length(a->stem_en));
    case NLP_LANG_KK: {
        char buf[264];

        if (!cyr)
            return 0;
        return set_stem(a, t, buf, nlp_stem_kk(t->norm.p, t->norm.n, buf, sizeof(buf)));
    }
    case NLP_LANG_UK:
        if (cyr)
            t->stem = kz_str_make(t->norm.p, nlp_stem_uk(t->norm.p, t->norm.n));
        return 0;
    default:
        return 0;
    }
}

/* One of the auxiliaries of the continuous aspect (жатыр, отыр, тұр, жүр) in
 * any form, by its stem. */
static bool is_kk_aux(const struct nlp_token *t)
{
    const struct kz_str *s = &t->stem;

    /* most stems have neither length: one test without a branch on it */
    if (!((s->n < 16) & (0x140u >> (s->n & 15))))
        return false;
    if (s->n == 6)
        return (memcmp(s->p, "жат", 6) == 0 || memcmp(s->p, "тұр", 6) == 0 ||
                memcmp(s->p, "жүр", 6) == 0) &&
               t->kind == NLP_TOK_WORD && t->lang == NLP_LANG_KK;
    return s->n == 8 && memcmp(s->p, "отыр", 8) == 0 && t->kind == NLP_TOK_WORD &&
           t->lang == NLP_LANG_KK;
}

void nlp_stem_kk_aux(struct nlp_token *toks, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct nlp_token *t = &toks[i - 1];

        if (!is_kk_aux(&toks[i]) || t->kind != NLP_TOK_WORD || t->lang != NLP_LANG_KK ||
            t->stem.p != t->norm.p || t->stem.n != t->norm.n || !norm_is_cyrillic(&t->norm))
            continue;
        t->stem = kz_str_make(t->norm.p, nlp_stem_kk_converb(t->norm.p, t->norm.n));
    }
}
