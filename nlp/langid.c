/*
 * langid.c -- script and language of each token and of the post.
 *
 * Each word token gets a small score vector over {kk, ru, uk, en} from three
 * kinds of evidence, strongest first:
 *   1. letters that only one language uses: Kazakh ә ғ қ ң ө ұ ү һ,
 *      Ukrainian ї є ґ; і is Kazakh or Ukrainian but never Russian; ы э ъ ё
 *      are never Ukrainian.  In Latin script: q (without u), ä ö ü ğ ş ı ñ ū,
 *      the 2018 acutes and the 2017 apostrophe digraphs mark Kazakh.
 *   2. membership in hand-written lists of frequent words (langid_words.h),
 *      including Kazakh typed without its special letters (жаксы, рахмет,
 *      керек), derived at start-up by folding ә->а, қ->к, ... of the list;
 *   3. endings typical of each language (Kazakh -лар/-дың/-мыз..., Russian
 *      -ость/-ого/-ться..., English -ing/-tion/th...), weak but present on
 *      words no list holds.
 * The post's language is the argmax of the summed token scores (each token's
 * contribution is capped so one long word cannot outvote a sentence); the
 * source's hint breaks ties and decides when there is no evidence.  A post is
 * "mixed" when two languages each own at least two confidently-labelled
 * tokens and the smaller owns at least 30% of them (code switching).  Tokens
 * without evidence of their own inherit the post language if their script
 * allows it.  The word table is an open-addressing hash owned by the analyzer
 * (no globals), built once at analyzer creation.
 */
#include <stdlib.h>
#include <string.h>

#include "langid_words.h"
#include "nlp_int.h"

enum { L_KK = 0, L_RU, L_UK, L_EN, NL };
static const uint8_t lang_of[NL] = {NLP_LANG_KK, NLP_LANG_RU, NLP_LANG_UK, NLP_LANG_EN};

enum { M_KK = 1, M_RU = 2, M_UK = 4, M_EN = 8, M_KK_PLAIN = 16 };
/* Ending-table masks. */
enum { E_KK = 1, E_RU = 2, E_EN = 4, E_KKL = 8 };

struct wentry {
    const char *w;
    uint32_t hash;
    uint16_t n;
    uint8_t mask;
};

struct wtab {
    struct wentry *slots;
    size_t mask; /* nslots - 1 */
};

struct nlp_wordtab {
    struct wtab words; /* whole words */
    struct wtab ends;  /* endings, looked up by a word's last 1..5 code points */
    char *pool;        /* plain-spelling copies */
    size_t pool_used, pool_cap;
};

static uint32_t fnv1a(const char *s, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static const struct wentry *wt_find(const struct wtab *t, const char *w, size_t n)
{
    uint32_t h = fnv1a(w, n);

    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        const struct wentry *e = &t->slots[i];
        if (!e->w)
            return NULL;
        if (e->hash == h && e->n == n && memcmp(e->w, w, n) == 0)
            return e;
    }
}

static void wt_add(struct wtab *t, const char *w, size_t n, uint8_t mask)
{
    uint32_t h = fnv1a(w, n);

    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        struct wentry *e = &t->slots[i];
        if (!e->w) {
            e->w = w;
            e->n = (uint16_t)n;
            e->hash = h;
            e->mask = mask;
            return;
        }
        if (e->hash == h && e->n == n && memcmp(e->w, w, n) == 0) {
            e->mask |= mask;
            return;
        }
    }
}

/* Kazakh letters folded to the Russian letters people type instead. */
static int32_t kk_plain(int32_t cp)
{
    switch (cp) {
    case 0x4D9: return 0x430; /* ә а */
    case 0x493: return 0x433; /* ғ г */
    case 0x49B: return 0x43A; /* қ к */
    case 0x4A3: return 0x43D; /* ң н */
    case 0x4E9: return 0x43E; /* ө о */
    case 0x4B1: return 0x443; /* ұ у */
    case 0x4AF: return 0x443; /* ү у */
    case 0x4BB: return 0x445; /* һ х */
    case 0x456: return 0x438; /* і и */
    default: return cp;
    }
}

static size_t count_words(const char *s)
{
    size_t c = 1;

    for (; *s; s++)
        c += *s == ' ';
    return c;
}

static void add_list(struct wtab *t, const char *list, uint8_t mask)
{
    const char *p = list;

    while (*p) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n)
            wt_add(t, p, n, mask);
        if (!e)
            break;
        p = e + 1;
    }
}

/* Add the plain spelling of each Kazakh word that has special letters. */
static void add_plain(struct nlp_wordtab *t, const char *list)
{
    const char *p = list;

    while (*p) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p), i = 0, o = 0;
        char *dst = t->pool + t->pool_used;
        bool changed = false;

        if (t->pool_used + n + 1 > t->pool_cap)
            break;
        while (i < n) {
            int32_t cp = nlp_utf8_get(p, n, &i), f = kk_plain(cp);
            changed |= f != cp;
            o += nlp_utf8_put(dst + o, f < 0 ? 0xFFFD : f);
        }
        if (changed) {
            const struct wentry *ex = wt_find(&t->words, dst, o);
            /* A plain spelling that is a Russian word stays Russian. */
            if (!ex || !(ex->mask & M_RU)) {
                t->pool_used += o;
                wt_add(&t->words, dst, o, M_KK_PLAIN);
            }
        }
        if (!e)
            break;
        p = e + 1;
    }
}

struct ending {
    const char *s;
    size_t n;
};
#define E(lit) lit, sizeof(lit) - 1

static const struct ending kk_cyr_end[] = {
    {E("лар")}, {E("лер")}, {E("дар")}, {E("дер")}, {E("тар")}, {E("тер")}, {E("ның")},
    {E("нің")}, {E("дың")}, {E("дің")}, {E("тың")}, {E("тің")}, {E("ға")}, {E("ге")}, {E("қа")},
    {E("ке")}, {E("мыз")}, {E("міз")}, {E("сыз")}, {E("сіз")}, {E("ған")}, {E("ген")}, {E("қан")},
    {E("кен")}, {E("нын")}, {E("дын")}, {E("тын")}, {E("ган")}, {E("ымыз")}, {E("ыңыз")},
    {E("айық")}, {E("ейік")}, {E("йды")}, {E("йді")}, {E("ады")}, {E("еді")}, {E("мын")},
    {E("мін")}, {E("сың")}, {E("ды")}, {E("ты")}, {E("дағы")}, {E("дегі")}, {E("нда")},
    {E("лык")}, {E("лық")}, {E("лік")}, {E("дық")}, {E("дік")}, {E("шы")}, {E("ші")}, {E("ылы")},
    {E("ілі")}, {E("сы")}, {E("сі")}, {E("ғой")}, {E("пыз")}, {E("быз")},
};
static const struct ending ru_end[] = {
    {E("ость")}, {E("ение")}, {E("ание")}, {E("ться")}, {E("тся")}, {E("ого")}, {E("его")},
    {E("ому")}, {E("ему")}, {E("ыми")}, {E("ими")}, {E("ая")}, {E("яя")}, {E("ые")}, {E("ие")},
    {E("ый")}, {E("ий")}, {E("ой")}, {E("ов")}, {E("ев")}, {E("ать")}, {E("ять")}, {E("ить")},
    {E("еть")}, {E("ешь")}, {E("ет")}, {E("ют")}, {E("ут")}, {E("ся")}, {E("ах")}, {E("ях")},
    {E("ом")}, {E("ем")}, {E("ию")}, {E("ия")}, {E("ии")}, {E("ство")}, {E("ства")}, {E("ской")},
    {E("ских")}, {E("ский")}, {E("ная")}, {E("ное")}, {E("ные")}, {E("ный")}, {E("ции")},
    {E("ция")},
};
static const struct ending en_end[] = {
    {E("ing")}, {E("tion")}, {E("ed")}, {E("ly")}, {E("ness")}, {E("ment")}, {E("ous")},
    {E("ight")}, {E("ould")}, {E("ere")}, {E("ers")}, {E("ies")}, {E("'s")}, {E("n't")},
    {E("ful")}, {E("ive")},
};
static const struct ending kkl_end[] = {
    {E("lar")}, {E("ler")}, {E("dar")}, {E("der")}, {E("tar")}, {E("ter")}, {E("myz")},
    {E("miz")}, {E("nyn")}, {E("nin")}, {E("dyn")}, {E("din")}, {E("tyn")}, {E("tin")}, {E("ga")},
    {E("ge")}, {E("qa")}, {E("dan")}, {E("den")}, {E("gan")}, {E("gen")}, {E("qan")}, {E("ymyz")},
    {E("yniz")}, {E("aiyq")}, {E("iyq")}, {E("ady")}, {E("edi")}, {E("ity")}, {E("ty")},
    {E("dy")}, {E("syz")}, {E("siz")}, {E("yq")}, {E("yk")}, {E("ys")}, {E("ym")}, {E("ğa")},
    {E("ǵa")}, {E("ǵe")},
};

static void add_endings(struct wtab *t, const struct ending *list, size_t n, uint8_t mask)
{
    for (size_t i = 0; i < n; i++)
        wt_add(t, list[i].s, list[i].n, mask);
}

static int wtab_init(struct wtab *t, size_t nentries)
{
    size_t ns = 16;

    while (ns < nentries * 2)
        ns <<= 1;
    t->slots = calloc(ns, sizeof(*t->slots));
    t->mask = ns - 1;
    return t->slots ? 0 : KZ_ENOMEM;
}

int nlp_langid_init(struct nlp_analyzer *a)
{
    struct nlp_wordtab *t = calloc(1, sizeof(*t));
    size_t nw, ne;

    if (!t)
        return KZ_ENOMEM;
    a->words = t;
    nw = count_words(nlp_words_kk) * 2 + count_words(nlp_words_kk_latn) +
         count_words(nlp_words_ru) + count_words(nlp_words_uk) + count_words(nlp_words_en);
    ne = KZ_ARRAY_LEN(kk_cyr_end) + KZ_ARRAY_LEN(ru_end) + KZ_ARRAY_LEN(en_end) +
         KZ_ARRAY_LEN(kkl_end);
    t->pool_cap = sizeof(nlp_words_kk);
    t->pool = malloc(t->pool_cap);
    if (!t->pool || wtab_init(&t->words, nw) || wtab_init(&t->ends, ne))
        return KZ_ENOMEM;
    add_list(&t->words, nlp_words_ru, M_RU);
    add_list(&t->words, nlp_words_uk, M_UK);
    add_list(&t->words, nlp_words_en, M_EN);
    add_list(&t->words, nlp_words_kk, M_KK);
    add_list(&t->words, nlp_words_kk_latn, M_KK);
    add_plain(t, nlp_words_kk);
    add_endings(&t->ends, kk_cyr_end, KZ_ARRAY_LEN(kk_cyr_end), E_KK);
    add_endings(&t->ends, ru_end, KZ_ARRAY_LEN(ru_end), E_RU);
    add_endings(&t->ends, en_end, KZ_ARRAY_LEN(en_end), E_EN);
    add_endings(&t->ends, kkl_end, KZ_ARRAY_LEN(kkl_end), E_KKL);
    return 0;
}

void nlp_langid_fini(struct nlp_analyzer *a)
{
    if (!a->words)
        return;
    free(a->words->words.slots);
    free(a->words->ends.slots);
    free(a->words->pool);
    free(a->words);
    a->words = NULL;
}

/*
 * Masks of the endings of w: its last 1..5 code points looked up in the
 * ending table, always leaving at least two bytes of stem.
 */
static uint8_t ending_mask(const struct nlp_wordtab *t, const char *w, size_t n)
{
    uint8_t m = 0;
    size_t start = n;

    for (int k = 0; k < 5 && start > 0; k++) {
        const struct wentry *e;
        do
            start--;
        while (start > 0 && ((unsigned char)w[start] & 0xC0) == 0x80);
        if (start < 2)
            break;
        e = wt_find(&t->ends, w + start, n - start);
        if (e)
            m |= e->mask;
    }
    return m;
}

/* -- per-token evidence ----------------------------------------------------- */

struct tokscore {
    float s[NL];
};

static void score_cyrillic(const struct nlp_wordtab *wt, const struct kz_str *w, struct tokscore *sc)
{
    size_t i = 0;
    bool kk_letter = false, uk_letter = false, dotted_i = false, ru_only = false,
         uk_apos = false;
    const struct wentry *e;
    uint8_t em;

    while (i < w->n) {
        int32_t cp = nlp_utf8_get(w->p, w->n, &i);
        switch (cp) {
        case 0x4D9: case 0x493: case 0x49B: case 0x4A3: case 0x4E9: case 0x4B1: case 0x4AF:
        case 0x4BB:
            kk_letter = true;
            break;
        case 0x457: case 0x454: case 0x491:
            uk_letter = true;
            break;
        case 0x456:
            dotted_i = true;
            break;
        case 0x44B: case 0x44D: case 0x44A: case 0x451:
            ru_only = true; /* ы э ъ ё: never Ukrainian */
            break;
        case '\'':
            uk_apos = true;
            break;
        default:
            break;
        }
    }
    if (kk_letter)
        sc->s[L_KK] += 6;
    if (uk_letter)
        sc->s[L_UK] += 6;
    if (uk_apos && !kk_letter)
        sc->s[L_UK] += 2;
    if (dotted_i) {
        sc->s[L_RU] -= 4;
        if (!kk_letter && !uk_letter)
            sc->s[L_UK] += 1, sc->s[L_KK] += 1;
    }
    if (ru_only)
        sc->s[L_UK] -= 4;
    e = wt_find(&wt->words, w->p, w->n);
    if (e) {
        if (e->mask & M_KK)
            sc->s[L_KK] += 3;
        if (e->mask & M_KK_PLAIN)
            sc->s[L_KK] += 2.5f;
        if (e->mask & M_RU)
            sc->s[L_RU] += 3;
        if (e->mask & M_UK)
            sc->s[L_UK] += 3;
        return;
    }
    em = ending_mask(wt, w->p, w->n);
    if (em & E_KK)
        sc->s[L_KK] += 1;
    if (em & E_RU)
        sc->s[L_RU] += 1, sc->s[L_UK] += 0.3f;
}

static void score_latin(const struct nlp_wordtab *wt, const struct kz_str *w, struct tokscore *sc)
{
    size_t i = 0;
    int32_t prev = 0;
    bool kk_mark = false, q = false, th = false;
    const struct wentry *e;
    uint8_t em;

    while (i < w->n) {
        int32_t cp = nlp_utf8_get(w->p, w->n, &i);
        switch (cp) {
        case 0xE4: case 0xF6: case 0xFC: case 0x11F: case 0x15F: case 0x131: case 0xF1:
        case 0x16B: case 0xE1: case 0x1F5: case 0x144: case 0xF3: case 0xFA: case 0xFD:
            kk_mark = true;
            break;
        case 'q':
            q = true;
            break;
        case 'u':
            if (prev == 'q')
                q = false;
            break;
        case 'h':
            if (prev == 't')
                th = true;
            break;
        case '\'':
            if (prev == 's' || prev == 'g' || prev == 'n' || prev == 'o' || prev == 'u' ||
                prev == 'c' || prev == 'a' || prev == 'i' || prev == 'y') {
                /* 2017 letter marks, but not English "'s" / "n't" / "s'" plural */
                if (!(prev == 's' && i == w->n) && !(i < w->n && (w->p[i] == 's' || w->p[i] == 't')))
                    kk_mark = true;
            }
            break;
        default:
            break;
        }
        prev = cp;
    }
    if (kk_mark)
        sc->s[L_KK] += 5;
    if (q)
        sc->s[L_KK] += 2.5f;
    if (th)
        sc->s[L_EN] += 1.5f;
    e = wt_find(&wt->words, w->p, w->n);
    if (e) {
        if (e->mask & M_KK)
            sc->s[L_KK] += 3;
        if (e->mask & M_EN)
            sc->s[L_EN] += 3;
        return;
    }
    em = ending_mask(wt, w->p, w->n);
    if (em & E_KKL)
        sc->s[L_KK] += 1;
    if (em & E_EN)
        sc->s[L_EN] += 1;
    if (!q && !kk_mark)
        sc->s[L_EN] += 0.5f; /* an unknown plain Latin word is more often English */
}

static int argmax(const float *s, float *margin)
{
    int b = 0;
    float second = -1e9f;

    for (int l = 1; l < NL; l++)
        if (s[l] > s[b])
            b = l;
    for (int l = 0; l < NL; l++)
        if (l != b && s[l] > second)
            second = s[l];
    *margin = s[b] - second;
    return b;
}

void nlp_langid(struct nlp_analyzer *a, enum nlp_lang hint, struct nlp_doc *doc)
{
    float total[NL] = {0};
    size_t votes[NL] = {0}, nconf = 0, nlat = 0, ncyr = 0;
    float margin;
    int best;

    for (size_t i = 0; i < a->ntoks; i++) {
        struct nlp_token *t = &a->toks[i];
        struct tokscore sc = {{0}};
        struct kz_str w = t->norm;
        struct nlp_wc_entry *ce;
        bool hit;

        t->lang = NLP_LANG_UND;
        if (t->kind == NLP_TOK_HASHTAG)
            continue; /* its parts vote */
        if (t->kind != NLP_TOK_WORD)
            continue;
        if (t->script == NLP_SCRIPT_CYRL)
            ncyr++;
        else if (t->script == NLP_SCRIPT_LATN)
            nlat++;
        else
            continue;
        ce = nlp_wc_lookup(a, w.p, w.n, &hit);
        if (hit && ce->has_scores) {
            memcpy(sc.s, ce->s, sizeof(sc.s));
        } else {
            if (t->script == NLP_SCRIPT_CYRL) {
                score_cyrillic(a->words, &w, &sc);
                sc.s[L_EN] = -100;
            } else {
                score_latin(a->words, &w, &sc);
                sc.s[L_RU] = sc.s[L_UK] = -100;
            }
            if (ce) {
                memcpy(ce->s, sc.s, sizeof(sc.s));
                ce->has_scores = 1;
            }
        }
        a->tokwc[i] = ce;
        best = argmax(sc.s, &margin);
        if (sc.s[best] > 0 && margin >= 1) {
            t->lang = lang_of[best];
            votes[best]++;
            nconf++;
        }
        for (int l = 0; l < NL; l++) {
            float v = sc.s[l];
            if (v > 8)
                v = 8;
            if (v > 0)
                total[l] += v;
        }
    }

    doc->script = nlat && ncyr ? (ncyr >= 4 * nlat ? NLP_SCRIPT_CYRL
                                  : nlat >= 4 * ncyr ? NLP_SCRIPT_LATN
                                                     : NLP_SCRIPT_MIXED)
                  : ncyr ? NLP_SCRIPT_CYRL
                  : nlat ? NLP_SCRIPT_LATN
                         : NLP_SCRIPT_NONE;

    /* A Cyrillic post with no evidence is most likely Russian; Latin, English. */
    if (ncyr)
        total[L_RU] += 0.2f;
    if (nlat)
        total[L_EN] += 0.1f * (float)(nlat > ncyr);
    for (int l = 0; l < NL; l++)
        if (hint == lang_of[l])
            total[l] += 0.5f;
    best = argmax(total, &margin);
    if (total[best] <= 0.15f && hint == NLP_LANG_UND) {
        doc->lang = (ncyr || nlat) ? (ncyr >= nlat ? NLP_LANG_RU : NLP_LANG_EN) : NLP_LANG_UND;
        doc->lang_confidence = (ncyr || nlat) ? 0.2f : 0.0f;
        if (!ncyr && !nlat)
            doc->lang = NLP_LANG_UND;
    } else if (total[best] <= 0.15f) {
        doc->lang = hint;
        doc->lang_confidence = 0.3f;
    } else {
        float sum = 0;
        for (int l = 0; l < NL; l++)
            sum += total[l] > 0 ? total[l] : 0;
        doc->lang = lang_of[best];
        doc->lang_confidence = sum > 0 ? total[best] / sum : 0;
    }

    /* Code switching: two languages with real shares of the confident tokens. */
    if (nconf >= 4) {
        size_t first = 0, second = 0;
        for (int l = 0; l < NL; l++) {
            if (votes[l] > first) {
                second = first;
                first = votes[l];
            } else if (votes[l] > second) {
                second = votes[l];
            }
        }
        if (second >= 2 && second * 10 >= nconf * 3) {
            doc->lang = NLP_LANG_MIXED;
        }
    }

    /* Tokens without their own evidence inherit a compatible post language. */
    for (size_t i = 0; i < a->ntoks; i++) {
        struct nlp_token *t = &a->toks[i];
        enum nlp_lang dl = doc->lang;

        if (t->lang != NLP_LANG_UND || (t->kind != NLP_TOK_WORD && t->kind != NLP_TOK_HASHTAG))
            continue;
        if (dl == NLP_LANG_MIXED) {
            best = argmax(total, &margin);
            dl = (enum nlp_lang)lang_of[best];
        }
        if (t->script == NLP_SCRIPT_CYRL && dl != NLP_LANG_EN)
            t->lang = (uint8_t)dl;
        else if (t->script == NLP_SCRIPT_LATN && (dl == NLP_LANG_EN || dl == NLP_LANG_KK))
            t->lang = (uint8_t)dl;
    }
}
