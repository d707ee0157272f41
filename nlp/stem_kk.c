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
    AFTER_POSS12 = 4,    /* root ends in м or ң: бала-м-а */
    AFTER_POSS3 = 5,     /* root ends in ы or і: қала-сы-н */
};

struct sfx {
    const char *s;
    unsigned char cond;
};

/* Order does not matter: the longest applicable suffix wins each round. */
static const struct sfx suffixes[] = {
    /* plural */
    {"лар", ANY}, {"лер", ANY}, {"дар", ANY}, {"дер", ANY}, {"тар", ANY}, {"тер", ANY},
    /* possessive */
    {"ым", AFTER_CONS}, {"ім", AFTER_CONS}, {"ың", AFTER_CONS}, {"ің", AFTER_CONS},
    {"ымыз", AFTER_CONS}, {"іміз", AFTER_CONS}, {"ыңыз", AFTER_CONS}, {"іңіз", AFTER_CONS},
    {"ңыз", AFTER_VOWEL}, {"ңіз", AFTER_VOWEL}, {"ы", AFTER_CONS}, {"і", AFTER_CONS},
    {"сы", AFTER_VOWEL}, {"сі", AFTER_VOWEL}, {"ларың", ANY},
    /* genitive */
    {"ның", AFTER_VOWEL_MNN}, {"нің", AFTER_VOWEL_MNN}, {"дың", AFTER_CONS},
    {"дің", AFTER_CONS}, {"тың", AFTER_CONS}, {"тің", AFTER_CONS},
    /* dative */
    {"ға", ANY}, {"ге", ANY}, {"қа", AFTER_CONS}, {"ке", AFTER_CONS}, {"на", AFTER_POSS3},
    {"не", AFTER_POSS3}, {"а", AFTER_POSS12}, {"е", AFTER_POSS12},
    /* accusative */
    {"ны", AFTER_VOWEL}, {"ні", AFTER_VOWEL}, {"ды", ANY}, {"ді", ANY},
    {"ты", AFTER_CONS}, {"ті", AFTER_CONS}, {"н", AFTER_POSS3},
    /* locative, ablative, instrumental, similative, adjectival locative */
    {"да", ANY}, {"де", ANY}, {"та", AFTER_CONS}, {"те", AFTER_CONS}, {"нда", AFTER_POSS3},
    {"нде", AFTER_POSS3}, {"дан", ANY}, {"ден", ANY}, {"тан", AFTER_CONS}, {"тен", AFTER_CONS},
    {"нан", AFTER_VOWEL_MNN}, {"нен", AFTER_VOWEL_MNN}, {"мен", ANY}, {"бен", ANY},
    {"пен", AFTER_CONS}, {"дай", ANY}, {"дей", ANY}, {"тай", AFTER_CONS}, {"тей", AFTER_CONS},
    {"дағы", ANY}, {"дегі", ANY}, {"тағы", AFTER_CONS}, {"тегі", AFTER_CONS},
    {"ндағы", AFTER_POSS3}, {"ндегі", AFTER_POSS3},
    /* predicative personal endings */
    {"мын", ANY}, {"мін", ANY}, {"бын", ANY}, {"бін", ANY}, {"пын", AFTER_CONS},
    {"пін", AFTER_CONS}, {"сың", ANY}, {"сің", ANY}, {"сыз", ANY}, {"сіз", ANY},
    {"мыз", ANY}, {"міз", ANY}, {"быз", ANY}, {"біз", ANY}, {"пыз", AFTER_CONS},
    {"піз", AFTER_CONS}, {"сыңдар", ANY}, {"сіңдер", ANY}, {"сыздар", ANY}, {"сіздер", ANY},
    /* verb forms people use in calls and reports */
    {"ған", ANY}, {"ген", ANY}, {"қан", AFTER_CONS}, {"кен", AFTER_CONS}, {"ып", AFTER_CONS},
    {"іп", AFTER_CONS}, {"атын", AFTER_CONS}, {"етін", AFTER_CONS}, {"йтын", AFTER_VOWEL},
    {"йтін", AFTER_VOWEL}, {"айық", AFTER_CONS}, {"ейік", AFTER_CONS}, {"йық", AFTER_VOWEL},
    {"йік", AFTER_VOWEL}, {"ыңдар", AFTER_CONS}, {"іңдер", AFTER_CONS}, {"ңдар", AFTER_VOWEL},
    {"ңдер", AFTER_VOWEL}, {"ыңыздар", AFTER_CONS}, {"іңіздер", AFTER_CONS},
    {"ңыздар", AFTER_VOWEL}, {"ңіздер", AFTER_VOWEL}, {"мақ", ANY}, {"мек", ANY},
    {"бақ", ANY}, {"бек", ANY}, {"пақ", AFTER_CONS}, {"пек", AFTER_CONS}, {"ады", AFTER_CONS},
    {"еді", AFTER_CONS}, {"йды", AFTER_VOWEL}, {"йді", AFTER_VOWEL}, {"амын", AFTER_CONS},
    {"емін", AFTER_CONS}, {"ймын", AFTER_VOWEL}, {"ймін", AFTER_VOWEL}, {"амыз", AFTER_CONS},
    {"еміз", AFTER_CONS}, {"ймыз", AFTER_VOWEL}, {"йміз", AFTER_VOWEL},
    /* plain spellings, typed without the special letters */
    {"га", ANY}, {"ка", AFTER_CONS}, {"нын", AFTER_VOWEL_MNN}, {"нин", AFTER_VOWEL_MNN},
    {"дын", AFTER_CONS}, {"дин", AFTER_CONS}, {"тын", AFTER_CONS}, {"тин", AFTER_CONS},
    {"ган", ANY}, {"кан", AFTER_CONS}, {"ым", AFTER_CONS}, {"им", AFTER_CONS},
    {"ын", AFTER_CONS}, {"ин", AFTER_CONS}, {"миз", ANY}, {"сиз", ANY}, {"мин", ANY},
    {"ди", AFTER_CONS}, {"ти", AFTER_CONS}, {"ни", AFTER_VOWEL}, {"дагы", ANY},
    {"деги", ANY}, {"айык", AFTER_CONS}, {"ейик", AFTER_CONS},
};

/* Words that end like a suffix but are roots (or are better left whole). */
static const char *const protected_words[] = {
    "адам",   "алаң",    "ана",     "ата",     "бала",    "бері",    "білім",   "бүгін",
    "дүйсенбі", "ертең", "есім",    "жақсы",   "жаксы",   "жексенбі", "жетім",  "жұма",
    "кеше",   "керек",   "кілем",   "көше",    "қазір",   "қазан",   "қала",    "қара",
    "ғылым",  "мектеп",  "мұнда",   "сайлау",  "сары",    "сейсенбі", "сенбі",  "сәрсенбі",
    "бейсенбі", "тірі",  "тамыз",   "үшін",    "өлім",    "өте",     "рахмет",  "ереуіл",
    "шеру",   "митинг",  "әлем",    "сәлем",   "төлем",   "көлем",   "ислам",   "қалам",
    "бірге",  "бірақ",   "себебі",  "сонда",   "мында",   "онда",    "кейде",   "әрі",
    "ірі",    "кәрі",    "ауыл",    "ағай",    "апай",    "тағы",    "және",    "немесе",
    "азамат", "азаматтар",
};

static bool is_vowel(int32_t cp)
{
    switch (cp) {
    case 0x430: case 0x435: case 0x438: case 0x43E: case 0x443: case 0x44B: case 0x44D:
    case 0x44E: case 0x44F: case 0x451: case 0x4D9: case 0x4E9: case 0x4AF: case 0x4B1:
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
    case 0x430: case 0x43E: case 0x4B1: case 0x44B: /* а о ұ ы */
        return 1;
    case 0x4D9: case 0x435: case 0x4E9: case 0x4AF: case 0x456: /* ә е ө ү і */
        return -1;
    default:
        return 0;
    }
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

static int suffix_harmony(const char *s)
{
    size_t i = 0, n = strlen(s);
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
    for (size_t i = 0; i < KZ_ARRAY_LEN(protected_words); i++)
        if (strlen(protected_words[i]) == n && memcmp(protected_words[i], w, n) == 0)
            return true;
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
    case AFTER_POSS12:
        return last == 0x43C || last == 0x4A3;
    case AFTER_POSS3:
        return last == 0x44B || last == 0x456;
    default:
        return true;
    }
}

/*
 * Returns the stem's byte length; *final is set to a replacement for the
 * stem's last code point (п к қ after voicing) or 0.
 */
size_t nlp_stem_kk(const char *w, size_t n, int32_t *final)
{
    int32_t cps[64];
    size_t offs[65], ncp, len;

    *final = 0;
    if (n >= 60 * 2 || is_protected(w, n))
        return n;
    ncp = decode(w, n, cps, offs, 63);
    if (ncp < 4)
        return n;
    len = ncp;
    for (;;) {
        size_t best = 0, best_cps = 0;
        bool vowel_initial = false;

        for (size_t i = 0; i < KZ_ARRAY_LEN(suffixes); i++) {
            const char *sx = suffixes[i].s;
            size_t sl = strlen(sx), scp = sl / 2, root;
            int32_t last;
            int h, rh = 0;

            if (sl <= best || sl > offs[len])
                continue;
            if (memcmp(w + offs[len] - sl, sx, sl) != 0)
                continue;
            if (len < scp + 3)
                continue;
            root = len - scp;
            last = cps[root - 1];
            if (!cond_ok(suffixes[i].cond, last))
                continue;
            /* -стан is a place-name ending (Қазақстан), not ablative -тан. */
            if (last == 0x441 && (memcmp(sx, "тан", sl) == 0 || memcmp(sx, "тен", sl) == 0))
                continue;
            h = suffix_harmony(sx);
            for (size_t k = root; k-- > 0;)
                if ((rh = harmony(cps[k])) != 0)
                    break;
            if (h && rh && h != rh)
                continue;
            best = sl;
            best_cps = scp;
            vowel_initial = is_vowel(cps[root]);
        }
        if (!best)
            break;
        len -= best_cps;
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
