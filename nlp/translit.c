/*
 * translit.c -- Kazakh in Latin script to Cyrillic.
 *
 * Kazakhs type Latin in four ways, and one token may mix them:
 *   2017 official (apostrophes): a' g' i' n' o' u' y' s' c' = ә ғ и ң ө ү у ш ч
 *   2018 official (acutes):      á ǵ ı ń ó ú ý, sh ch   = ә ғ и ң ө ү у ш ч
 *   2021 official (diacritics):  ä ğ ı i y ñ ö ş ū ü ç  = ә ғ і и ы ң ө ш ұ ү ч
 *   informal: sh ch zh kh gh ng, q = қ, w = у, j = ж, y = ы (й after a vowel)
 * The input is the token's normalized form (NFKC, lower case, apostrophes
 * folded to '), so precomposed accented letters arrive as single code points.
 * We scan left to right, trying two-letter sequences before single letters.
 * Conflicts are resolved toward the most frequent reading:
 *   - "y" is ы (2017, 2018, informal), but й after a vowel before a consonant
 *     or the end (qalay -> қалай); "i" and "ı" after a vowel are й too;
 *   - "ı" is и in a word with 2018 acutes (й after a vowel), і otherwise
 *     (2021: bır -> бір, kelıp -> келіп);
 *   - "i" is і, but и in a word whose ı marks it as 2021 (tiıs -> тиіс; not
 *     beside sh, ch, zh, which 2021 writes ş, ç, j); a word with only other
 *     diacritics keeps і (ükimet -> үкімет), as people mix the alphabets;
 *     in a back-vowel word informal "i" before a vowel or at the end is и
 *     too, as і is a front vowel (qiyn -> қиын, sayasi -> саяси), and a
 *     "y" after that и is ы; between consonants it stays і, for the loans
 *     that mix the series (qazir -> қазір, kitap -> кітап); "ya" after a
 *     vowel is я (sayasi -> саяси, partiya -> партия);
 *   - "h" is х, "ng" is ң before a consonant or at the end (tanga stays
 *     танга);
 *   - "ukrain..." keeps the Russian spelling of the loan (украина), and so
 *     does a loan in -ing under a case ending (mitingke -> митингке);
 *   - vowel harmony restores what informal spelling loses: in a front word
 *     o is ө and a first-syllable u is ү; in a back word g, k are ғ, қ.
 * An apostrophe after an upper-case proper noun and before a case ending is
 * a separator, not a 2017 letter mark (Qazaqstan'da -> қазақстанда).
 * Output is at most 2 bytes per input byte plus one, allocated in the arena.
 */
#include <string.h>

#include "nlp_int.h"

static bool lat_vowel(int32_t c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y' || c == 0xE4 ||
           c == 0xF6 || c == 0xFC || c == 0x131 || c == 0x16B || c == 0xE1 || c == 0xF3 ||
           c == 0xFA || c == 0xFD;
}

struct cp_map {
    int32_t from, to;
};

/* Single Latin letters (and accented ones of 2018/2021). */
static const struct cp_map single[] = {
    {'a', 0x430},   {'b', 0x431},   {'c', 0x441},   {'d', 0x434},   {'e', 0x435},   {'f', 0x444},
    {'g', 0x433},   {'h', 0x445},   {'i', 0x456},   {'j', 0x436},   {'k', 0x43A},   {'l', 0x43B},
    {'m', 0x43C},   {'n', 0x43D},   {'o', 0x43E},   {'p', 0x43F},   {'q', 0x49B},   {'r', 0x440},
    {'s', 0x441},   {'t', 0x442},   {'u', 0x443},   {'v', 0x432},   {'w', 0x443},   {'x', 0x445},
    {'y', 0x44B},   {'z', 0x437},   {0xE4, 0x4D9},  {0x11F, 0x493}, {0x131, 0x456}, {0xF1, 0x4A3},
    {0xF6, 0x4E9},  {0x15F, 0x448}, {0x16B, 0x4B1}, {0xFC, 0x4AF},  {0xE7, 0x447},  {0xE1, 0x4D9},
    {0x1F5, 0x493}, {0x144, 0x4A3}, {0xF3, 0x4E9},  {0xFA, 0x4AF},  {0xFD, 0x443},  {0x259, 0x4D9},
};

/* Letter + apostrophe (2017). */
static const struct cp_map apos[] = {
    {'a', 0x4D9}, {'g', 0x493}, {'i', 0x438}, {'n', 0x4A3}, {'o', 0x4E9},
    {'u', 0x4AF}, {'y', 0x443}, {'s', 0x448}, {'c', 0x447},
};

static int32_t lookup(const struct cp_map *m, size_t n, int32_t c)
{
    for (size_t i = 0; i < n; i++)
        if (m[i].from == c)
            return m[i].to;
    return -1;
}

static bool case_ending(const char *p, size_t n)
{
    static const char *const e[] = {
        "da",   "de",   "ta",   "te",  "dan", "den", "tan", "ten", "nan", "nen", "ga",
        "ge",   "qa",   "ke",   "na",  "ne",  "ny",  "ni",  "dy",  "di",  "ty",  "ti",
        "nyn",  "nin",  "dyn",  "din", "tyn", "tin", "nyñ", "niñ", "men", "ben", "pen",
        "ǵa",   "ğa",   "lar",  "ler", "dar", "der", "tar", "ter", "nda", "nde", "daǵy",
        "dağy", "dagy", "degi", "nyń", "niń", "dyń", "diń", "tyń", "tiń", "ǵa",  "ǵe",
        "ğe",   "qa",   "ke",   "nan", "nen", "y",   "i",   "ı"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(e); i++)
        if (strlen(e[i]) == n && memcmp(e[i], p, n) == 0)
            return true;
    return false;
}

/*
 * Vowel harmony of a Latin word: +1 back (a, y and no front vowel), -1
 * front (e, ä, ö, ü, ə, acute á ó ú, and the 2021 ı, and no back vowel), 0
 * undecided; o, u and i say nothing, as they stand for both series in
 * informal spelling, nor does ı in a 2018 word (и there).
 * Informal spelling loses the letters that carry harmony (ө ү ғ қ); harmony
 * puts some back: in a front word o is ө and a word-initial u is ү; in a
 * back word g, k are ғ, қ (koremin -> көремін, s'ygys -> шығыс).
 */
static int word_harmony(const char *s, size_t n, bool acute)
{
    bool back = false, front = false, i_seen = false;
    size_t i = 0;

    while (i < n) {
        int32_t c = nlp_utf8_get(s, n, &i);
        if (c == 'a' || c == 'y')
            back = true;
        else if (c == 'e' || c == 0xE4 || c == 0xF6 || c == 0xFC || c == 0x259 || c == 0xE1 ||
                 c == 0xF3 || c == 0xFA || (c == 0x131 && !acute))
            front = true;
        else if (c == 'i')
            i_seen = true;
    }
    /* i alone leans front (bugin -> бүгін); beside a back vowel it is a loan's і. */
    front |= i_seen && !back;
    return back == front ? 0 : back ? 1 : -1;
}

/*
 * A Russian loan in -ing under a Kazakh case ending (mitingke, brifingte):
 * the offset of its "ing", else n.  Its "i"s are и and its "ng" нг, as the
 * loan is spelt; a native "-ің" takes no such ending directly (meningshe).
 */
static size_t ing_loan(const char *s, size_t n)
{
    static const char *const e[] = {"ke", "ge", "te", "ten", "ter", "tegi", "tin", "tyn"};

    for (size_t k = 0; k < KZ_ARRAY_LEN(e); k++) {
        size_t m = strlen(e[k]);
        if (n >= m + 6 && !memcmp(s + n - m, e[k], m) && !memcmp(s + n - m - 3, "ing", 3))
            return n - m - 3;
    }
    return n;
}

/* The 2018 alphabet's acutes; in a word that has them, ı is и (not 2021 і). */
static bool has_acute(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        int32_t c = nlp_utf8_get(s, n, &i);
        if (c == 0xE1 || c == 0x1F5 || c == 0x144 || c == 0xF3 || c == 0xFA || c == 0xFD)
            return true;
    }
    return false;
}

static bool cyr_vowel(int32_t c)
{
    switch (c) {
    case 0x430:
    case 0x4D9:
    case 0x435:
    case 0x451:
    case 0x438:
    case 0x43E:
    case 0x4E9:
    case 0x443:
    case 0x4B1:
    case 0x4AF:
    case 0x44B:
    case 0x456:
    case 0x44D:
    case 0x44E:
    case 0x44F:
        return true;
    default:
        return false;
    }
}

int nlp_translit_kk(struct nlp_analyzer *a, const struct kz_str *surface, const struct kz_str *in,
                    struct kz_str *out)
{
    const char *s = in->p;
    size_t n = in->n, i = 0, o = 0;
    char *buf = nlp_arena_alloc(&a->arena, 2 * n + 1);
    bool proper = surface->n > 0 &&
                  ((unsigned char)surface->p[0] >= 'A' && (unsigned char)surface->p[0] <= 'Z');
    bool acute = has_acute(s, n), pv = false; /* pv: the last letter written was a vowel */
    /* ı marks a 2021 word, unless 2018 acutes or the digraphs 2021 does not
     * use (sh ch zh: ıshki is і and і, not і and и) say otherwise */
    bool dotless = memmem(s, n, "\xC4\xB1", 2) != NULL && !memmem(s, n, "sh", 2) &&
                   !memmem(s, n, "ch", 2) && !memmem(s, n, "zh", 2);
    int harm = word_harmony(s, n, acute);
    size_t loan = ing_loan(s, n);
    bool vowel_seen = false;
    int32_t last = -1; /* the last Cyrillic letter written (-1: none or not a letter) */

    if (!buf)
        return KZ_ENOMEM;
    /* Loans keep their Russian spelling; the one that matters most here
     * would otherwise read уқрайна (i between vowels is й, as in oiyn). */
    if (n >= 6 && !memcmp(s, "ukrain", 6)) {
        memcpy(buf, "\xD1\x83\xD0\xBA\xD1\x80\xD0\xB0\xD0\xB8\xD0\xBD", 12); /* украин */
        o = 12;
        i = 6;
        vowel_seen = true;
        harm = 1; /* its endings are back, after the final а: Украинаға */
    }
    while (i < n) {
        size_t k = i, k2;
        int32_t c = nlp_utf8_get(s, n, &k), c2 = -1, to = -1;
        size_t next = k;

        if (c < 0) {
            i = k;
            continue;
        }
        k2 = k;
        if (k < n)
            c2 = nlp_utf8_get(s, n, &k2);
        if (c2 == '\'') {
            if (proper && case_ending(s + k2, n - k2)) {
                /* Qazaqstan'da: proper noun + apostrophe + case ending. */
                to = lookup(single, KZ_ARRAY_LEN(single), c);
                next = k2;
            } else if ((to = lookup(apos, KZ_ARRAY_LEN(apos), c)) >= 0) {
                next = k2;
            }
        }
        if (to < 0 && c2 == 'h' && (c == 's' || c == 'c' || c == 'z' || c == 'k' || c == 'g')) {
            static const int32_t hmap[] = {['s' - 'a'] = 0x448,
                                           ['c' - 'a'] = 0x447,
                                           ['z' - 'a'] = 0x436,
                                           ['k' - 'a'] = 0x445,
                                           ['g' - 'a'] = 0x493};
            to = hmap[c - 'a'];
            next = k2;
        }
        if (to < 0 && c == 'i' && i < loan + 1 && loan < n) {
            to = 0x438; /* the loan's и: mitingke -> митингке */
        } else if (to < 0 && c == 'n' && c2 == 'g' && i == loan + 1) {
            to = 0x43D; /* and its нг, whatever the harmony */
        } else if (to < 0 && c == 'g' && i == loan + 2 && loan < n) {
            to = 0x433;
        }
        if (to < 0 && c == 'n' && c2 == 'g') {
            size_t k3 = k2;
            int32_t c3 = k2 < n ? nlp_utf8_get(s, n, &k3) : -1;
            if (c3 < 0 || !lat_vowel(c3)) {
                to = 0x4A3;
                next = k2;
            }
        }
        if (to < 0) {
            switch (c) {
            case '\'':
                i = k; /* a stray apostrophe */
                continue;
            case 'y':
                if (c2 == 'a' && (o == 0 || pv)) {
                    to = 0x44F; /* ya -> я at the start or after a vowel: "yaǵni", "sayasi" */
                    next = k2;
                } else if (last == 0x438 && pv) {
                    to = 0x44B; /* after и, ы: qiyn -> қиын */
                } else if (last == 0x443 && o > 2) {
                    to = 0x44B; /* after a у past the first letter, ы: auyl, oquy */
                } else if (pv && (c2 < 0 || !lat_vowel(c2))) {
                    to = 0x439; /* qalay -> қалай */
                }
                break;
            case 'i':
                if (pv)
                    to = 0x439; /* qalai -> қалай, oiyn -> ойын */
                else if ((dotless && !acute) || (harm > 0 && (c2 < 0 || lat_vowel(c2))))
                    to = 0x438; /* 2021: tiıs -> тиіс; a back word: qiyn -> қиын */
                break;
            case 0x131:
                to = acute ? (pv ? 0x439 : 0x438) : 0x456; /* 2018 и, й; 2021 і */
                break;
            case 'u':
            case 'w':
                /* ү in the first syllable of a front word (bugin, ushin);
                 * later it is mostly у (sheru-ge, kelu). */
                to = (!pv && !vowel_seen && harm < 0) ? 0x4AF : 0x443;
                break;
            case 'o':
                if (harm < 0)
                    to = 0x4E9;
                break;
            case 'g':
                if (harm > 0)
                    to = 0x493;
                break;
            case 'k':
                if (harm > 0)
                    to = 0x49B;
                break;
            default:
                break;
            }
        }
        if (to < 0)
            to = lookup(single, KZ_ARRAY_LEN(single), c);
        if (to < 0) {
            /* Not a Latin letter we know (digit, hyphen, combining dot): keep,
             * but drop the combining dot above left by case-folding "İ". */
            if (c != 0x307) {
                memcpy(buf + o, s + i, k - i);
                o += k - i;
            }
            pv = false;
        } else {
            o += nlp_utf8_put(buf + o, to);
            pv = cyr_vowel(to);
            vowel_seen |= pv;
        }
        last = to;
        i = next;
    }
    buf[o] = '\0';
    *out = kz_str_make(buf, o);
    return 0;
}
