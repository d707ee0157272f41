/*
 * normalize.c -- per-token normalization: homoglyph fold, NFKC, case fold,
 * zero-width removal, repeated-letter folding.
 *
 * Normalizing whole posts with utf8proc runs at about 36 MB/s, too slow for
 * the stage's budget, so we normalize token by token and most tokens never
 * reach utf8proc's tables: ASCII and the Cyrillic block (U+0400..U+04FF) are
 * already NFKC, so their code points are only case-folded inline (the fast
 * path).  Anything else goes through utf8proc_decompose_char (NFKD + case fold
 * + strip default-ignorables such as ZWSP and soft hyphen) and, if that
 * happened, one utf8proc_normalize_utf32 pass recomposes to NFKC.
 *
 * Homoglyph folding runs first, on the original code points, because case
 * matters for it (Latin "H" looks like Cyrillic "Н", but "h" looks like "һ").
 * A word whose letters are both Latin and Cyrillic is folded to the script
 * that has more letters (Cyrillic on a tie: our posts are mostly Cyrillic);
 * only letters with a look-alike are folded, so "Zпатриот" stays mixed.
 * Then letters repeated more than twice are cut to two ("дааааа" -> "даа")
 * and typographic apostrophes become "'" (Kazakh Latin uses them as letters).
 *
 * Output goes to the analyzer's arena; the code point scratch buffer
 * (a->cps) is reused across tokens and posts and only grows.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "nlp_int.h"

#define NLP_NORM_MAX_BYTES 4096 /* longer tokens are not normalized (see below) */

/* Latin look-alikes of Cyrillic letters, case-sensitive, by source code point
 * ('u' is и as handwriting and italics show it: "мuтинг"). */
static const struct {
    int32_t from, to;
} lat2cyr[] = {
    {'A', 0x410},   {'B', 0x412},   {'C', 0x421},   {'E', 0x415},   {'H', 0x41D}, {'I', 0x406},
    {'K', 0x41A},   {'M', 0x41C},   {'O', 0x41E},   {'P', 0x420},   {'T', 0x422}, {'X', 0x425},
    {'Y', 0x423},   {'a', 0x430},   {'c', 0x441},   {'e', 0x435},   {'h', 0x4BB}, {'i', 0x456},
    {'k', 0x43A},   {'o', 0x43E},   {'p', 0x440},   {'u', 0x438},   {'x', 0x445}, {'y', 0x443},
    {0x18F, 0x4D8}, {0x259, 0x4D9}, {0x19F, 0x4E8}, {0x275, 0x4E9},
};

static const struct {
    int32_t from, to;
} cyr2lat[] = {
    {0x405, 'S'}, {0x406, 'I'}, {0x408, 'J'}, {0x410, 'A'},   {0x412, 'B'},   {0x415, 'E'},
    {0x41A, 'K'}, {0x41C, 'M'}, {0x41D, 'H'}, {0x41E, 'O'},   {0x420, 'P'},   {0x421, 'C'},
    {0x422, 'T'}, {0x423, 'Y'}, {0x425, 'X'}, {0x430, 'a'},   {0x435, 'e'},   {0x43A, 'k'},
    {0x43E, 'o'}, {0x440, 'p'}, {0x441, 'c'}, {0x443, 'y'},   {0x445, 'x'},   {0x455, 's'},
    {0x456, 'i'}, {0x458, 'j'}, {0x4BB, 'h'}, {0x4D8, 0x18F}, {0x4D9, 0x259},
};

int nlp_script_of(int32_t cp)
{
    if (cp < 0x80)
        return ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') ? NLP_SCRIPT_LATN : NLP_SCRIPT_NONE;
    if (cp >= 0x400 && cp <= 0x52F)
        return (cp >= 0x483 && cp <= 0x489) ? NLP_SCRIPT_NONE : NLP_SCRIPT_CYRL;
    if ((cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) || (cp >= 0x250 && cp <= 0x2AF) ||
        (cp >= 0x1E00 && cp <= 0x1EFF))
        return NLP_SCRIPT_LATN;
    return NLP_SCRIPT_NONE;
}

static int32_t fold_glyph(int32_t cp, int target)
{
    if (target == NLP_SCRIPT_CYRL) {
        for (size_t i = 0; i < KZ_ARRAY_LEN(lat2cyr); i++)
            if (lat2cyr[i].from == cp)
                return lat2cyr[i].to;
    } else {
        for (size_t i = 0; i < KZ_ARRAY_LEN(cyr2lat); i++)
            if (cyr2lat[i].from == cp)
                return cyr2lat[i].to;
    }
    return cp;
}

static bool is_letter(int32_t cp)
{
    if (cp < 0x80)
        return ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z');
    if (cp >= 0x400 && cp <= 0x4FF)
        return cp < 0x482 || cp > 0x489;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return true;
    default:
        return false;
    }
}

static int ensure_cps(struct nlp_analyzer *a, size_t need)
{
    int32_t *p;
    size_t cap;

    if (need <= a->capcps)
        return 0;
    cap = a->capcps ? a->capcps : 256;
    while (cap < need)
        cap *= 2;
    p = realloc(a->cps, cap * sizeof(*p));
    if (!p)
        return KZ_ENOMEM;
    a->cps = p;
    a->capcps = cap;
    return 0;
}

size_t nlp_utf8_put(char *out, int32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static bool is_apostrophe(int32_t cp)
{
    return cp == 0x2019 || cp == 0x2018 || cp == 0x02BC || cp == 0x0060 || cp == 0x00B4 ||
           cp == 0x02B9 || cp == 0x2032;
}

/*
 * The lower case of U+0400..U+04FF, by code point: Ѐ..Џ +0x50, А..Я +0x20,
 * the paired upper (even) / lower (odd) letters of U+0460..U+04FF to the
 * odd one, U+04C1..U+04CE the other way round (upper odd), palochka U+04C0
 * to U+04CF, the signs and combining marks U+0482..U+0489 unchanged.  A
 * table, so that a word's letters are lowered without a branch each.
 */
static const uint16_t cyr_lower_tab[256] = {
    0x450, 0x451, 0x452, 0x453, 0x454, 0x455, 0x456, 0x457, 0x458, 0x459, 0x45A, 0x45B, 0x45C,
    0x45D, 0x45E, 0x45F, 0x430, 0x431, 0x432, 0x433, 0x434, 0x435, 0x436, 0x437, 0x438, 0x439,
    0x43A, 0x43B, 0x43C, 0x43D, 0x43E, 0x43F, 0x440, 0x441, 0x442, 0x443, 0x444, 0x445, 0x446,
    0x447, 0x448, 0x449, 0x44A, 0x44B, 0x44C, 0x44D, 0x44E, 0x44F, 0x430, 0x431, 0x432, 0x433,
    0x434, 0x435, 0x436, 0x437, 0x438, 0x439, 0x43A, 0x43B, 0x43C, 0x43D, 0x43E, 0x43F, 0x440,
    0x441, 0x442, 0x443, 0x444, 0x445, 0x446, 0x447, 0x448, 0x449, 0x44A, 0x44B, 0x44C, 0x44D,
    0x44E, 0x44F, 0x450, 0x451, 0x452, 0x453, 0x454, 0x455, 0x456, 0x457, 0x458, 0x459, 0x45A,
    0x45B, 0x45C, 0x45D, 0x45E, 0x45F, 0x461, 0x461, 0x463, 0x463, 0x465, 0x465, 0x467, 0x467,
    0x469, 0x469, 0x46B, 0x46B, 0x46D, 0x46D, 0x46F, 0x46F, 0x471, 0x471, 0x473, 0x473, 0x475,
    0x475, 0x477, 0x477, 0x479, 0x479, 0x47B, 0x47B, 0x47D, 0x47D, 0x47F, 0x47F, 0x481, 0x481,
    0x482, 0x483, 0x484, 0x485, 0x486, 0x487, 0x488, 0x489, 0x48B, 0x48B, 0x48D, 0x48D, 0x48F,
    0x48F, 0x491, 0x491, 0x493, 0x493, 0x495, 0x495, 0x497, 0x497, 0x499, 0x499, 0x49B, 0x49B,
    0x49D, 0x49D, 0x49F, 0x49F, 0x4A1, 0x4A1, 0x4A3, 0x4A3, 0x4A5, 0x4A5, 0x4A7, 0x4A7, 0x4A9,
    0x4A9, 0x4AB, 0x4AB, 0x4AD, 0x4AD, 0x4AF, 0x4AF, 0x4B1, 0x4B1, 0x4B3, 0x4B3, 0x4B5, 0x4B5,
    0x4B7, 0x4B7, 0x4B9, 0x4B9, 0x4BB, 0x4BB, 0x4BD, 0x4BD, 0x4BF, 0x4BF, 0x4CF, 0x4C2, 0x4C2,
    0x4C4, 0x4C4, 0x4C6, 0x4C6, 0x4C8, 0x4C8, 0x4CA, 0x4CA, 0x4CC, 0x4CC, 0x4CE, 0x4CE, 0x4CF,
    0x4D1, 0x4D1, 0x4D3, 0x4D3, 0x4D5, 0x4D5, 0x4D7, 0x4D7, 0x4D9, 0x4D9, 0x4DB, 0x4DB, 0x4DD,
    0x4DD, 0x4DF, 0x4DF, 0x4E1, 0x4E1, 0x4E3, 0x4E3, 0x4E5, 0x4E5, 0x4E7, 0x4E7, 0x4E9, 0x4E9,
    0x4EB, 0x4EB, 0x4ED, 0x4ED, 0x4EF, 0x4EF, 0x4F1, 0x4F1, 0x4F3, 0x4F3, 0x4F5, 0x4F5, 0x4F7,
    0x4F7, 0x4F9, 0x4F9, 0x4FB, 0x4FB, 0x4FD, 0x4FD, 0x4FF, 0x4FF,
};

/* Lower case of a code point of the Cyrillic block U+0400..U+04FF. */
static inline int32_t cyr_lower(int32_t cp)
{
    assert(cp >= 0x400 && cp <= 0x4FF);
    return cyr_lower_tab[cp - 0x400];
}

/*
 * The general path: homoglyph folding, utf8proc NFKC + case fold for code
 * points outside ASCII and the Cyrillic block, repeat folding.
 */
/* NFC over the ncp decomposed code points in a->cps: their new count (the
 * same when utf8proc refuses). */
static size_t compose(struct nlp_analyzer *a, size_t ncp)
{
    utf8proc_ssize_t k;

    if (!ncp)
        return 0;
    k = utf8proc_normalize_utf32(a->cps, (utf8proc_ssize_t)ncp, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    return k >= 0 ? (size_t)k : ncp;
}

static int normalize_general(struct nlp_analyzer *a, const char *s, size_t n, size_t ncp, bool slow,
                             int target, struct kz_str *norm, uint8_t *script, uint8_t *flags)
{
    size_t i = 0, on = 0, lat = 0, cyr = 0;
    bool folded = false;
    char *out;
    int rc;

    /* Worst case 18 code points per input code point (NFKC of U+FDFA). */
    rc = ensure_cps(a, slow ? ncp * 18 + 4 : ncp + 1);
    if (rc)
        return rc;
    ncp = 0;
    while (i < n) {
        int32_t cp = nlp_utf8_get(s, n, &i);

        if (cp < 0)
            continue;
        if (target != NLP_SCRIPT_NONE) {
            int32_t f = fold_glyph(cp, target);
            if (f != cp) {
                cp = f;
                folded = true;
            }
        }
        if (cp < 0x80) {
            if (cp >= 'A' && cp <= 'Z')
                cp += 32;
            a->cps[ncp++] = cp;
        } else if (cp >= 0x400 && cp <= 0x4FF) {
            a->cps[ncp++] = cyr_lower(cp);
        } else if (is_apostrophe(cp)) {
            a->cps[ncp++] = '\'';
        } else {
            int last = 0;
            utf8proc_ssize_t k =
                utf8proc_decompose_char(cp, a->cps + ncp, (utf8proc_ssize_t)(a->capcps - ncp),
                                        UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                                            UTF8PROC_IGNORE | UTF8PROC_STABLE,
                                        &last);
            if (k < 0 || (size_t)k > a->capcps - ncp)
                continue;
            ncp += (size_t)k;
        }
    }
    if (slow)
        ncp = compose(a, ncp);

    out = nlp_arena_alloc(&a->arena, ncp * 4 + 1);
    if (!out)
        return KZ_ENOMEM;
    for (size_t k = 0, run = 0; k < ncp; k++) {
        int32_t cp = a->cps[k];
        int sc;

        run = (k > 0 && cp == a->cps[k - 1]) ? run + 1 : 1;
        if (run > 2 && is_letter(cp))
            continue;
        sc = nlp_script_of(cp);
        if (sc == NLP_SCRIPT_LATN)
            lat++;
        else if (sc == NLP_SCRIPT_CYRL)
            cyr++;
        on += nlp_utf8_put(out + on, cp);
    }
    out[on] = '\0';
    *norm = kz_str_make(out, on);
    *script = (uint8_t)(lat && cyr ? NLP_SCRIPT_MIXED
                        : lat      ? NLP_SCRIPT_LATN
                        : cyr      ? NLP_SCRIPT_CYRL
                                   : NLP_SCRIPT_NONE);
    if (folded)
        *flags |= NLP_TOKF_HOMOGLYPH;
    return 0;
}

/*
 * Normalize a word-like token.  Fills *norm and the token's script and
 * homoglyph flag.  One census pass over the bytes decides the path:
 *  - already normalized (ASCII/Cyrillic, lower case, no triple letters, one
 *    script): the norm is the surface itself, no copy (most tokens);
 *  - ASCII/Cyrillic needing case or repeat folding: one byte-level pass;
 *  - anything else (other scripts, compatibility forms, ignorables, mixed
 *    Latin/Cyrillic): normalize_general().
 */
/*
 * The commonest case first: a word of lower-case ASCII (and ASCII digits and
 * punctuation) or lower-case Cyrillic letters, in one script, with no
 * character three times in a row, is its own norm.  One tight pass over the
 * bytes says so; anything else (an upper-case letter, another block, a
 * triple) returns false and the full census below decides.
 */
/* The lower-case letters of U+0400..U+04FF by lead byte (D0..D3), one bit
 * per continuation byte (bit b - 0x80): а..п; р..я ѐ..џ; the odd (lower)
 * ones of U+048B..U+04BF (ғ қ ң ү ұ һ ...); of U+04D1..U+04FF (ә ө ...). */
const uint64_t nlp_cyr_lower_ok[4] = {
    0xFFFF000000000000ULL,
    0x00000000FFFFFFFFULL,
    0xAAAAAAAAAAAAA800ULL,
    0xAAAAAAAAAAAA0000ULL,
};

static inline bool already_normal(const char *s, size_t n, uint8_t *script)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned p1 = 0x10000, p2 = 0x20000, lat = 0, cyr = 0;
    size_t i = 0;

    while (i < n) {
        unsigned c = u[i], k;

        if (c < 0x80) {
            if (c - 'A' < 26u)
                return false;
            lat |= c - 'a' < 26u;
            k = c;
            i++;
        } else {
            unsigned b, hi = c - 0xD0, lo;
            if (i + 1 >= n)
                return false;
            b = u[i + 1];
            lo = b - 0x80;
            /* one test for every lower-case letter, whichever lead byte: a
             * chain of tests on D0 / D1 guessed wrong at every other letter */
            if (hi < 4 && lo < 64 && (nlp_cyr_lower_ok[hi] >> lo & 1)) {
                cyr = 1;
                k = c << 8 | b;
                i += 2;
            } else {
                return false;
            }
        }
        if (k == p1 && k == p2)
            return false;
        p2 = p1;
        p1 = k;
    }
    if (lat && cyr)
        return false;
    *script = (uint8_t)(lat ? NLP_SCRIPT_LATN : cyr ? NLP_SCRIPT_CYRL : NLP_SCRIPT_NONE);
    return true;
}

/*
 * A word of Cyrillic letters (and ASCII digits and signs) that
 * already_normal() refused -- a capital, a Kazakh capital, a letter three
 * times over: lowered by table, its runs cut, in one pass.  1 when done (or
 * *rc an error); 0 when the word is of another shape, for the census below.
 */
static int normalize_cyr(struct nlp_analyzer *a, const char *s, size_t n, struct kz_str *norm,
                         uint8_t *script, int *rc)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out = nlp_arena_alloc(&a->arena, n + 1);
    unsigned p1 = 0x10000, p2 = 0x20000;
    size_t i = 0, on = 0;

    *rc = 0;
    if (!out) {
        *rc = KZ_ENOMEM;
        return 1;
    }
    while (i < n) {
        unsigned c = u[i], k;
        if (c < 0x80) {
            if ((c | 0x20) - 'a' < 26u)
                return 0; /* a Latin letter: Latin or mixed */
            out[on++] = (char)c;
            k = c | 0x8000; /* never a letter's run */
            i++;
        } else {
            unsigned b, cp;
            if (c - 0xD0 >= 4u || i + 1 >= n || ((b = u[i + 1]) & 0xC0) != 0x80)
                return 0;
            cp = ((c & 0x1Fu) << 6) | (b & 0x3Fu);
            if (cp - 0x482u < 8u)
                return 0; /* signs and combining marks: not letters */
            cp = (unsigned)cyr_lower((int32_t)cp);
            out[on] = (char)(0xC0 | cp >> 6);
            out[on + 1] = (char)(0x80 | (cp & 0x3F));
            on += 2 * !((cp == p1) & (cp == p2)); /* a letter's third in a row */
            k = cp;
            i += 2;
        }
        p2 = p1;
        p1 = k;
    }
    out[on] = '\0';
    *norm = kz_str_make(out, on);
    *script = NLP_SCRIPT_CYRL;
    return 1;
}

/* Is every byte ASCII?  Eight at a time. */
static inline bool all_ascii(const char *s, size_t n)
{
    uint64_t acc = 0, w;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    for (; i < n; i++)
        acc |= (unsigned char)s[i];
    return !(acc & 0x8080808080808080ULL);
}

/*
 * An ASCII word that already_normal() refused (a capital, or a character
 * three times over): lowered, and a letter's third and later repeats cut, in
 * one pass without a branch a byte -- English capitals ("Russia", "NATO")
 * made the general census below guess wrong at every letter.
 */
static int normalize_ascii(struct nlp_analyzer *a, const char *s, size_t n, struct kz_str *norm,
                           uint8_t *script)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out = nlp_arena_alloc(&a->arena, n + 1);
    unsigned p1 = 0x100, p2 = 0x101, lat = 0;
    size_t on = 0;

    if (!out)
        return KZ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        unsigned c = u[i];
        c |= (unsigned)(c - 'A' < 26u) << 5;
        unsigned letter = c - 'a' < 26u;
        lat |= letter;
        out[on] = (char)c;
        on += !(letter & (c == p1) & (c == p2)); /* a letter's third in a row */
        p2 = p1;
        p1 = c;
    }
    out[on] = '\0';
    *norm = kz_str_make(out, on);
    *script = (uint8_t)(lat ? NLP_SCRIPT_LATN : NLP_SCRIPT_NONE);
    return 0;
}

int nlp_normalize_word(struct nlp_analyzer *a, const char *s, size_t n, struct kz_str *norm,
                       uint8_t *script, uint8_t *flags)
{
    size_t i = 0, ncp = 0, lat = 0, cyr = 0, run = 0;
    int32_t prev = -1;
    bool slow = false, changed = false;
    char *out;
    size_t on = 0;

    if (already_normal(s, n, script)) {
        *norm = kz_str_make(s, n);
        return 0;
    }
    if (all_ascii(s, n))
        return normalize_ascii(a, s, n, norm, script);
    int rc;
    if (normalize_cyr(a, s, n, norm, script, &rc))
        return rc;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        int32_t cp;

        if (c < 0x80) {
            cp = c;
            i++;
            if (c >= 'A' && c <= 'Z') {
                changed = true;
                lat++;
            } else if (c >= 'a' && c <= 'z') {
                lat++;
            }
        } else if (c >= 0xD0 && c <= 0xD3 && i + 1 < n &&
                   ((unsigned char)s[i + 1] & 0xC0) == 0x80) {
            cp = ((c & 0x1F) << 6) | ((unsigned char)s[i + 1] & 0x3F);
            i += 2;
            if (cp < 0x483 || cp > 0x489) {
                cyr++;
                if (cyr_lower(cp) != cp)
                    changed = true;
            }
        } else {
            int sc;
            cp = nlp_utf8_get(s, n, &i);
            slow = true;
            sc = nlp_script_of(cp);
            lat += sc == NLP_SCRIPT_LATN;
            cyr += sc == NLP_SCRIPT_CYRL;
        }
        ncp++;
        if (cp == prev) {
            if (++run > 2)
                changed = true;
        } else {
            run = 1;
            prev = cp;
        }
    }
    /*
     * A "word" of thousands of bytes is an attack or garbage, not language:
     * keep its bytes as they are rather than grow the scratch buffer by 18
     * code points per input code point.
     */
    if (n > NLP_NORM_MAX_BYTES && (slow || (lat && cyr))) {
        *script = (uint8_t)(lat && cyr ? NLP_SCRIPT_MIXED
                            : lat      ? NLP_SCRIPT_LATN
                            : cyr      ? NLP_SCRIPT_CYRL
                                       : NLP_SCRIPT_NONE);
        *norm = kz_str_make(s, n);
        return 0;
    }
    if (slow || (lat && cyr))
        return normalize_general(a, s, n, ncp, slow,
                                 lat && cyr ? (cyr >= lat ? NLP_SCRIPT_CYRL : NLP_SCRIPT_LATN)
                                            : NLP_SCRIPT_NONE,
                                 norm, script, flags);
    *script = (uint8_t)(lat ? NLP_SCRIPT_LATN : cyr ? NLP_SCRIPT_CYRL : NLP_SCRIPT_NONE);
    if (!changed) {
        *norm = kz_str_make(s, n);
        return 0;
    }
    /* Case and repeat folding keep every code point's byte length. */
    out = nlp_arena_alloc(&a->arena, n + 1);
    if (!out)
        return KZ_ENOMEM;
    i = 0;
    prev = -1;
    run = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        int32_t cp;

        if (c < 0x80) {
            cp = (c >= 'A' && c <= 'Z') ? c + 32 : c;
            i++;
        } else {
            cp = cyr_lower(((c & 0x1F) << 6) | ((unsigned char)s[i + 1] & 0x3F));
            i += 2;
        }
        if (cp == prev) {
            if (++run > 2 && is_letter(cp))
                continue;
        } else {
            run = 1;
            prev = cp;
        }
        on += nlp_utf8_put(out + on, cp);
    }
    out[on] = '\0';
    *norm = kz_str_make(out, on);
    return 0;
}

/*
 * Tags (hashtags and mentions) are values people search and count as they
 * typed them, so only case and composition are normalized.  ASCII and the
 * Cyrillic block are folded inline; anything else goes through utf8proc
 * (canonical decomposition + case fold, then composition: NFC of the folded
 * text, so "#man\u0303ana" equals "#mañana").
 */
int nlp_normalize_tag(struct nlp_analyzer *a, const char *s, size_t n, struct kz_str *norm,
                      uint8_t *script)
{
    size_t i = 0, ncp = 0, on = 0, lat = 0, cyr = 0;
    bool slow = false;
    char *out;
    int rc;

    if (already_normal(s, n, script)) { /* most tags: lower-case ASCII or Cyrillic */
        *norm = kz_str_make(s, n);
        return 0;
    }
    if (n > NLP_NORM_MAX_BYTES) { /* as in nlp_normalize_word: garbage, kept as it is */
        *script = NLP_SCRIPT_NONE;
        *norm = kz_str_make(s, n);
        return 0;
    }
    if ((rc = ensure_cps(a, n * 18 + 4)))
        return rc;
    while (i < n) {
        int32_t cp = nlp_utf8_get(s, n, &i);

        if (cp < 0)
            continue;
        if (ncp == 0 && (cp == 0xFF03 || cp == 0xFF20))
            cp = cp == 0xFF03 ? '#' : '@';
        if (cp < 0x80) {
            a->cps[ncp++] = cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
        } else if (cp >= 0x400 && cp <= 0x4FF) {
            a->cps[ncp++] = cyr_lower(cp);
        } else {
            int last = 0;
            utf8proc_ssize_t k = utf8proc_decompose_char(
                cp, a->cps + ncp, (utf8proc_ssize_t)(a->capcps - ncp),
                UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STABLE, &last);
            if (k < 0 || (size_t)k > a->capcps - ncp)
                continue;
            ncp += (size_t)k;
            slow = true;
        }
    }
    if (slow)
        ncp = compose(a, ncp);
    out = nlp_arena_alloc(&a->arena, ncp * 4 + 1);
    if (!out)
        return KZ_ENOMEM;
    for (size_t k = 0; k < ncp; k++) {
        int sc = nlp_script_of(a->cps[k]);
        lat += sc == NLP_SCRIPT_LATN;
        cyr += sc == NLP_SCRIPT_CYRL;
        on += nlp_utf8_put(out + on, a->cps[k]);
    }
    out[on] = '\0';
    *norm = kz_str_make(out, on);
    *script = (uint8_t)(lat && cyr ? NLP_SCRIPT_MIXED
                        : lat      ? NLP_SCRIPT_LATN
                        : cyr      ? NLP_SCRIPT_CYRL
                                   : NLP_SCRIPT_NONE);
    return 0;
}

/*
 * Emoji keep their joiners (ZWJ sequences are one emoji); only the variation
 * selectors go from the normalized form, so "❤️" and "❤" match alike.  The
 * stem also drops skin-tone modifiers, so one lexicon entry covers all tones.
 */
int nlp_normalize_emoji(struct nlp_analyzer *a, const char *s, size_t n, struct kz_str *norm,
                        struct kz_str *stem)
{
    char *o1 = nlp_arena_alloc(&a->arena, 2 * n + 2), *o2;
    size_t i = 0, n1 = 0, n2 = 0;

    if (!o1)
        return KZ_ENOMEM;
    o2 = o1 + n + 1;
    while (i < n) {
        size_t st = i;
        int32_t cp = nlp_utf8_get(s, n, &i);

        if (cp < 0 || cp == 0xFE0F || cp == 0xFE0E)
            continue;
        memcpy(o1 + n1, s + st, i - st);
        n1 += i - st;
        if (cp >= 0x1F3FB && cp <= 0x1F3FF)
            continue;
        memcpy(o2 + n2, s + st, i - st);
        n2 += i - st;
    }
    o1[n1] = '\0';
    o2[n2] = '\0';
    *norm = kz_str_make(o1, n1);
    *stem = kz_str_make(o2, n2);
    return 0;
}
