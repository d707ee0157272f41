/*
 * stem_kk.c -- a Kazakh suffix stripper.
 *
 * Kazakh is agglutinative: a noun takes plural, possessive, case and
 * predicative personal endings in that order (бала-лар-ымыз-ға "to our
 * children"), each in several forms chosen by vowel harmony (back а о ұ ы /
 * front ә е ө ү і) and by the last sound of the stem (-лар after vowels,
 * р у й; -дар after voiced consonants; -тар after voiceless).  We strip from
 * the end: at each round the longest suffix in the table whose conditions
 * hold is removed, and rounds repeat while a root of at least three letters
 * would remain.  Conditions keep the stripper honest:
 *   - vowel harmony: a suffix with back vowels only after a root whose last
 *     vowel is back (or neutral, as in Russian loans: митинг-ке), and so on;
 *   - some short suffixes only after a vowel (-сы, -ның, -н...) or only after
 *     a consonant (-ы, -ым, -ың...), as the grammar requires;
 *   - a protected list of words that merely end like a suffix (білім, жақсы,
 *     ертең, сенбі) is never cut.
 * After a vowel-initial suffix a root-final б/г/ғ returns to п/к/қ (кітабы ->
 * кітап), the voicing alternation.  Suffixes are also listed in their "plain"
 * spellings (-га, -нын, -ын) because many people type Kazakh without its
 * special letters.  Input is a case-folded Cyrillic word in UTF-8.
 * References: Krippes, "Kazakh Grammar with Affix List" (1993); the endings
 * tables of Muhamedowa, "Kazakh: A Comprehensive Grammar" (2016).
 */
#include <string.h>

#include "nlp_int.h"

enum cond {
    ANY = 0,
    AFTER_VOWEL = 1,     /* root ends in a vowel */
    AFTER_CONS = 2,      /* root ends in a consonant */
    AFTER_VOWEL_MNN = 3, /* vowel or м н ң (genitive/accusative н-forms) */
    AFTER_POSS3 = 5,     /* root ends in ы or і: қала-сы-н */
};

struct sfx {
    const char *s;
    unsigned char len;  /* bytes */
    unsigned char cond; /* enum cond */
    unsigned char slot; /* morphotactic slot, see below */
};

#define S(lit) lit, (unsigned char)(sizeof(lit) - 1)
#define S2(lit) lit, sizeof(lit) - 1

/*
 * Sorted by the last letter's UTF-8 bytes (then by bytes), so that one
 * binary search finds the few suffixes a word can end with.  The role of
 * each: pl plural, poss possessive, gen genitive, dat dative, acc
 * accusative, loc locative/ablative/instrumental/similative, pers
 * predicative personal ending, verb verbal form, plain a spelling without
 * the special letters.  tests/test_nlp_stem.c checks the order.
 * The slot number follows the order of Kazakh morphology, stem outward:
 * 0 participle/converb (-ған, -ып: they make a stem that declines like a
 * noun), 1 plural, 2 possessive, 3 case, 5 finite verb or personal ending.
 * Stripping from the end must go to strictly smaller slots (one possessive,
 * one case per word), so басшы-сы loses -сы but not also the -ы of басшы,
 * and бар-ған-да loses -да, then -ған.
 */
static const struct sfx suffixes[] = {
    {S("га"), ANY, 3},              /* plain */
    {S("да"), ANY, 3},              /* loc */
    {S("ка"), AFTER_CONS, 3},       /* plain */
    {S("на"), AFTER_POSS3, 3},      /* dat */
    {S("нда"), AFTER_POSS3, 3},     /* loc */
    {S("та"), AFTER_CONS, 3},       /* loc */
    {S("ға"), ANY, 3},              /* dat */
    {S("қа"), AFTER_CONS, 3},       /* dat */
    {S("ге"), ANY, 3},              /* dat */
    {S("де"), ANY, 3},              /* loc */
    {S("ке"), AFTER_CONS, 3},       /* dat */
    {S("нде"), AFTER_POSS3, 3},     /* loc */
    {S("не"), AFTER_POSS3, 3},      /* dat */
    {S("те"), AFTER_CONS, 3},       /* loc */
    {S("амыз"), AFTER_CONS, 5},     /* verb */
    {S("быз"), ANY, 5},             /* pers */
    {S("біз"), ANY, 5},             /* pers */
    {S("еміз"), AFTER_CONS, 5},     /* verb */
    {S("ймыз"), AFTER_VOWEL, 5},    /* verb */
    {S("йміз"), AFTER_VOWEL, 5},    /* verb */
    {S("миз"), ANY, 5},             /* plain */
    {S("мыз"), ANY, 5},             /* pers */
    {S("міз"), ANY, 5},             /* pers */
    {S("пыз"), AFTER_CONS, 5},      /* pers */
    {S("піз"), AFTER_CONS, 5},      /* pers */
    {S("сиз"), ANY, 5},             /* plain */
    {S("сыз"), ANY, 5},             /* pers */
    {S("сіз"), ANY, 5},             /* pers */
    {S("ымыз"), AFTER_CONS, 2},     /* poss */
    {S("ыңыз"), AFTER_CONS, 2},     /* poss */
    {S("іміз"), AFTER_CONS, 2},     /* poss */
    {S("іңіз"), AFTER_CONS, 2},     /* poss */
    {S("ңыз"), AFTER_VOWEL, 2},     /* poss */
    {S("ңіз"), AFTER_VOWEL, 2},     /* poss */
    {S("деги"), ANY, 3},            /* plain */
    {S("дай"), ANY, 3},             /* loc */
    {S("дей"), ANY, 3},             /* loc */
    {S("тай"), AFTER_CONS, 3},      /* loc */
    {S("тей"), AFTER_CONS, 3},      /* loc */
    {S("айык"), AFTER_CONS, 5},     /* plain */
    {S("бек"), ANY, 0},             /* verb */
    {S("ейик"), AFTER_CONS, 5},     /* plain */
    {S("ейік"), AFTER_CONS, 5},     /* verb */
    {S("йік"), AFTER_VOWEL, 5},     /* verb */
    {S("мек"), ANY, 0},             /* verb */
    {S("пек"), AFTER_CONS, 0},      /* verb */
    {S("ым"), AFTER_CONS, 2},       /* poss */
    {S("ім"), AFTER_CONS, 2},       /* poss */
    {S("амын"), AFTER_CONS, 5},     /* verb */
    {S("атын"), AFTER_CONS, 0},     /* verb */
    {S("бен"), ANY, 3},             /* loc */
    {S("бын"), ANY, 5},             /* pers */
    {S("бін"), ANY, 5},             /* pers */
    {S("ган"), ANY, 0},             /* plain */
    {S("ген"), ANY, 0},             /* verb */
    {S("дан"), ANY, 3},             /* loc */
    {S("ден"), ANY, 3},             /* loc */
    {S("дин"), AFTER_CONS, 3},      /* plain */
    {S("дын"), AFTER_CONS, 3},      /* plain */
    {S("емін"), AFTER_CONS, 5},     /* verb */
    {S("етін"), AFTER_CONS, 0},     /* verb */
    {S("ймын"), AFTER_VOWEL, 5},    /* verb */
    {S("ймін"), AFTER_VOWEL, 5},    /* verb */
    {S("йтын"), AFTER_VOWEL, 0},    /* verb */
    {S("йтін"), AFTER_VOWEL, 0},    /* verb */
    {S("кан"), AFTER_CONS, 0},      /* plain */
    {S("кен"), AFTER_CONS, 0},      /* verb */
    {S("мен"), ANY, 3},             /* loc */
    {S("мин"), ANY, 5},             /* plain */
    {S("мын"), ANY, 5},             /* pers */
    {S("мін"), ANY, 5},             /* pers */
    {S("н"), AFTER_POSS3, 3},       /* acc */
    {S("нан"), AFTER_VOWEL_MNN, 3}, /* loc */
    {S("нен"), AFTER_VOWEL_MNN, 3}, /* loc */
    {S("нин"), AFTER_VOWEL_MNN, 3}, /* plain */
    {S("нын"), AFTER_VOWEL_MNN, 3}, /* plain */
    {S("пен"), AFTER_CONS, 3},      /* loc */
    {S("пын"), AFTER_CONS, 5},      /* pers */
    {S("пін"), AFTER_CONS, 5},      /* pers */
    {S("тан"), AFTER_CONS, 3},      /* loc */
    {S("тен"), AFTER_CONS, 3},      /* loc */
    {S("тин"), AFTER_CONS, 3},      /* plain */
    {S("тын"), AFTER_CONS, 3},      /* plain */
    {S("ын"), AFTER_CONS, 2},       /* plain */
    {S("ған"), ANY, 0},             /* verb */
    {S("қан"), AFTER_CONS, 0},      /* verb */
    {S("ып"), AFTER_CONS, 0},       /* verb */
    {S("іп"), AFTER_CONS, 0},       /* verb */
    {S("дар"), ANY, 1},             /* pl */
    {S("дер"), ANY, 1},             /* pl */
    {S("лар"), ANY, 1},             /* pl */
    {S("лер"), ANY, 1},             /* pl */
    {S("сыздар"), ANY, 5},          /* pers */
    {S("сыңдар"), ANY, 5},          /* pers */
    {S("сіздер"), ANY, 5},          /* pers */
    {S("сіңдер"), ANY, 5},          /* pers */
    {S("тар"), ANY, 1},             /* pl */
    {S("тер"), ANY, 1},             /* pl */
    {S("ыңдар"), AFTER_CONS, 5},    /* verb */
    {S("ыңыздар"), AFTER_CONS, 5},  /* verb */
    {S("іңдер"), AFTER_CONS, 5},    /* verb */
    {S("іңіздер"), AFTER_CONS, 5},  /* verb */
    {S("ңдар"), AFTER_VOWEL, 5},    /* verb */
    {S("ңдер"), AFTER_VOWEL, 5},    /* verb */
    {S("ңыздар"), AFTER_VOWEL, 5},  /* verb */
    {S("ңіздер"), AFTER_VOWEL, 5},  /* verb */
    {S("ады"), AFTER_CONS, 5},      /* verb */
    {S("дагы"), ANY, 3},            /* plain */
    {S("дағы"), ANY, 3},            /* loc */
    {S("ды"), ANY, 3},              /* acc */
    {S("йды"), AFTER_VOWEL, 5},     /* verb */
    {S("ндағы"), AFTER_POSS3, 3},   /* loc */
    {S("ны"), AFTER_VOWEL, 3},      /* acc */
    {S("сы"), AFTER_VOWEL, 2},      /* poss */
    {S("тағы"), AFTER_CONS, 3},     /* loc */
    {S("ты"), AFTER_CONS, 3},       /* acc */
    {S("ы"), AFTER_CONS, 2},        /* poss */
    {S("дегі"), ANY, 3},            /* loc */
    {S("ді"), ANY, 3},              /* acc */
    {S("еді"), AFTER_CONS, 5},      /* verb */
    {S("йді"), AFTER_VOWEL, 5},     /* verb */
    {S("ндегі"), AFTER_POSS3, 3},   /* loc */
    {S("ні"), AFTER_VOWEL, 3},      /* acc */
    {S("сі"), AFTER_VOWEL, 2},      /* poss */
    {S("тегі"), AFTER_CONS, 3},     /* loc */
    {S("ті"), AFTER_CONS, 3},       /* acc */
    {S("і"), AFTER_CONS, 2},        /* poss */
    {S("айық"), AFTER_CONS, 5},     /* verb */
    {S("бақ"), ANY, 0},             /* verb */
    {S("йық"), AFTER_VOWEL, 5},     /* verb */
    {S("мақ"), ANY, 0},             /* verb */
    {S("пақ"), AFTER_CONS, 0},      /* verb */
    {S("дың"), AFTER_CONS, 3},      /* gen */
    {S("дің"), AFTER_CONS, 3},      /* gen */
    {S("ларың"), ANY, 2},           /* poss */
    {S("ның"), AFTER_VOWEL_MNN, 3}, /* gen */
    {S("нің"), AFTER_VOWEL_MNN, 3}, /* gen */
    {S("сың"), ANY, 5},             /* pers */
    {S("сің"), ANY, 5},             /* pers */
    {S("тың"), AFTER_CONS, 3},      /* gen */
    {S("тің"), AFTER_CONS, 3},      /* gen */
    {S("ың"), AFTER_CONS, 2},       /* poss */
    {S("ің"), AFTER_CONS, 2},       /* poss */
};

/* Words that end like a suffix but are roots (or are better left whole);
 * sorted by bytes for binary search. */
static const struct {
    const char *w;
    size_t n;
} protected_words[] = {
    {S2("адам")},     {S2("азамат")},   {S2("азаматтар")}, {S2("алаң")},    {S2("алматы")},
    {S2("ана")},      {S2("апай")},     {S2("ата")},       {S2("ауыл")},    {S2("ағай")},
    {S2("бала")},     {S2("барлығы")},  {S2("бейсенбі")},  {S2("бері")},    {S2("білім")},
    {S2("бірақ")},    {S2("бірге")},    {S2("бүгін")},     {S2("бәрі")},    {S2("бәріне")},
    {S2("дүйсенбі")}, {S2("ереуіл")},   {S2("ертең")},     {S2("есім")},    {S2("жаксы")},
    {S2("жақсы")},    {S2("жексенбі")}, {S2("жетім")},     {S2("жұма")},    {S2("және")},
    {S2("ислам")},    {S2("кейде")},    {S2("керек")},     {S2("кеше")},    {S2("кілем")},
    {S2("кәрі")},     {S2("көлем")},    {S2("көше")},      {S2("мектеп")},  {S2("митинг")},
    {S2("мында")},    {S2("мұнда")},    {S2("немесе")},    {S2("онда")},    {S2("отбасы")},
    {S2("рахмет")},   {S2("сайлау")},   {S2("сары")},      {S2("себебі")},  {S2("сейсенбі")},
    {S2("сенбі")},    {S2("сонда")},    {S2("сілтеме")},   {S2("сәлем")},   {S2("сәрсенбі")},
    {S2("тамыз")},    {S2("тағы")},     {S2("теңге")},     {S2("тірі")},    {S2("төлем")},
    {S2("шеру")},     {S2("ірі")},      {S2("ғылым")},     {S2("қазан")},   {S2("қазір")},
    {S2("қала")},     {S2("қалам")},    {S2("қара")},      {S2("қосымша")}, {S2("үшін")},
    {S2("әлем")},     {S2("әрі")},      {S2("өлім")},      {S2("өте")},
};

static bool is_vowel(int32_t cp)
{
    switch (cp) {
    case 0x430:
    case 0x435:
    case 0x438:
    case 0x43E:
    case 0x443:
    case 0x44B:
    case 0x44D:
    case 0x44E:
    case 0x44F:
    case 0x451:
    case 0x4D9:
    case 0x4E9:
    case 0x4AF:
    case 0x4B1:
    case 0x456:
        return true;
    default:
        return false;
    }
}

/* +1 back, -1 front, 0 neutral or none. */
static int harmony(int32_t cp)
{
    switch (cp) {
    case 0x430:
    case 0x43E:
    case 0x4B1:
    case 0x44B: /* а о ұ ы */
        return 1;
    case 0x4D9:
    case 0x435:
    case 0x4E9:
    case 0x4AF:
    case 0x456: /* ә е ө ү і */
        return -1;
    default:
        return 0;
    }
}

/* Suffixes are a few bytes: an inline loop beats a call to memcmp. */
static inline bool bytes_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* Decode the code points of w (Cyrillic is two bytes each, but be general). */
static size_t decode(const char *w, size_t n, int32_t *cps, size_t *offs, size_t cap)
{
    size_t i = 0, k = 0;

    while (i < n && k < cap) {
        offs[k] = i;
        int32_t cp = nlp_utf8_get(w, n, &i);
        cps[k++] = cp;
    }
    offs[k] = i;
    return i == n ? k : 0;
}

static int suffix_harmony(const char *s, size_t n)
{
    size_t i = 0;
    int h = 0;

    while (i < n) {
        int x = harmony(nlp_utf8_get(s, n, &i));
        if (x)
            h = x;
    }
    return h;
}

static bool is_protected(const char *w, size_t n)
{
    size_t lo = 0, hi = KZ_ARRAY_LEN(protected_words);

    while (lo < hi) {
        size_t mid = (lo + hi) / 2, m = protected_words[mid].n;
        int c = memcmp(protected_words[mid].w, w, m < n ? m : n);
        if (c == 0)
            c = m < n ? -1 : m > n;
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static bool cond_ok(int cond, int32_t last)
{
    switch (cond) {
    case AFTER_VOWEL:
        return is_vowel(last);
    case AFTER_CONS:
        return !is_vowel(last);
    case AFTER_VOWEL_MNN:
        return is_vowel(last) || last == 0x43C || last == 0x43D || last == 0x4A3;
    case AFTER_POSS3:
        return last == 0x44B || last == 0x456;
    default:
        return true;
    }
}

/* Compare the last two bytes of a suffix with a two-byte key. */
static int last2_cmp(const struct sfx *x, const unsigned char *key)
{
    const unsigned char *p = (const unsigned char *)x->s + x->len - 2;
    return p[0] != key[0] ? p[0] - key[0] : p[1] - key[1];
}

int nlp_stem_kk_check_tables(void)
{
    for (size_t i = 1; i < KZ_ARRAY_LEN(suffixes); i++) {
        const struct sfx *a = &suffixes[i - 1], *b = &suffixes[i];
        if (a->len < 2 || b->len < 2 || a->len % 2 || b->len % 2 ||
            last2_cmp(a, (const unsigned char *)b->s + b->len - 2) > 0)
            return -(int)i;
    }
    for (size_t i = 1; i < KZ_ARRAY_LEN(protected_words); i++) {
        const char *a = protected_words[i - 1].w, *b = protected_words[i].w;
        if (strcmp(a, b) >= 0)
            return -1000 - (int)i;
    }
    return 0;
}

/* The range of suffixes whose last letter is the word's last letter. */
static void suffix_range(const unsigned char *key, size_t *lo_out, size_t *hi_out)
{
    size_t lo = 0, hi = KZ_ARRAY_LEN(suffixes), l2, h2;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (last2_cmp(&suffixes[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    l2 = lo;
    h2 = KZ_ARRAY_LEN(suffixes);
    while (lo < h2) {
        size_t mid = (lo + h2) / 2;
        if (last2_cmp(&suffixes[mid], key) <= 0)
            lo = mid + 1;
        else
            h2 = mid;
    }
    *lo_out = l2;
    *hi_out = h2;
}

/*
 * Returns the stem's byte length; *final is set to a replacement for the
 * stem's last code point (п к қ after voicing) or 0.
 */
size_t nlp_stem_kk(const char *w, size_t n, int32_t *final)
{
    int32_t cps[64];
    size_t offs[65], ncp, len;

    int8_t hv[65];     /* hv[k]: harmony of the last harmonic vowel in cps[0..k) */
    unsigned slot = 6; /* suffixes still allowed: those of a smaller slot */

    *final = 0;
    if (n >= 60 * 2 || n < 8 || is_protected(w, n))
        return n;
    ncp = decode(w, n, cps, offs, 63);
    if (ncp < 4)
        return n;
    hv[0] = 0;
    for (size_t k = 0; k < ncp; k++) {
        int h = harmony(cps[k]);
        hv[k + 1] = (int8_t)(h ? h : hv[k]);
    }
    len = ncp;
    for (;;) {
        size_t best = 0, best_cps = 0, blocked = 0, lo, hi;
        unsigned best_slot = 0;
        bool vowel_initial = false;

        if (offs[len] - offs[len - 1] != 2)
            break; /* every suffix ends in a two-byte Cyrillic letter */
        suffix_range((const unsigned char *)w + offs[len] - 2, &lo, &hi);
        for (size_t i = lo; i < hi; i++) {
            const char *sx = suffixes[i].s;
            size_t sl = suffixes[i].len, scp = sl / 2, root;
            int32_t last;
            int h, rh;

            if (sl <= best || sl > offs[len] || suffixes[i].slot >= slot)
                continue;
            if (!bytes_eq(w + offs[len] - sl, sx, sl))
                continue;
            if (len < scp + 3) {
                /* ел-дің: the genitive would leave too short a root, and its
                 * tail -ің must not be taken for a possessive instead. */
                if (sl > blocked)
                    blocked = sl;
                continue;
            }
            root = len - scp;
            last = cps[root - 1];
            if (!cond_ok(suffixes[i].cond, last))
                continue;
            /* -стан is a place-name ending (Қазақстан), not ablative -тан. */
            if (last == 0x441 && sl == 6 && (bytes_eq(sx, "тан", 6) || bytes_eq(sx, "тен", 6)))
                continue;
            h = suffix_harmony(sx, sl);
            rh = hv[root];
            if (h && rh && h != rh)
                continue;
            best = sl;
            best_cps = scp;
            best_slot = suffixes[i].slot;
            vowel_initial = is_vowel(cps[root]);
        }
        if (!best || (best < blocked && vowel_initial))
            break;
        len -= best_cps;
        slot = best_slot;
        *final = 0;
        if (vowel_initial) {
            if (cps[len - 1] == 0x431)
                *final = 0x43F; /* б -> п */
            else if (cps[len - 1] == 0x433)
                *final = 0x43A; /* г -> к */
            else if (cps[len - 1] == 0x493)
                *final = 0x49B; /* ғ -> қ */
        }
        if (is_protected(w, offs[len]))
            break;
        if (*final)
            break; /* the alternated root is final: no suffix ends in п/к/қ + more */
    }
    return offs[len];
}
