/*
 * stem_kk.c -- a Kazakh suffix stripper for nouns and verbs.
 *
 * Kazakh is agglutinative.  A noun takes plural, possessive, case and
 * predicative personal endings in that order (бала-лар-ымыз-ға "to our
 * children"); a verb takes voice (passive, reflexive, reciprocal, causative),
 * negation, tense or aspect, mood and person (жаз-ыл-ма-ды "was not
 * written", бар-а-мын "I go", кел-ме-се "if he does not come"), and its
 * participles and verbal nouns (-ған, -атын, -у, -ушы) then decline like
 * nouns (ал-ған-ым-а "to my having bought").  Every ending comes in several
 * forms chosen by vowel harmony (back а о ұ ы / front ә е ө ү і) and by the
 * last sound of the stem (-лар after vowels, р у й; -дар after voiced
 * consonants; -тар after voiceless).
 *
 * One table holds both chains.  Each suffix has a slot, its place in the
 * order of attachment counted from the root (causative 1, passive and
 * reciprocal 2, negation 3, tense/aspect/verbal noun 4, fused finite endings
 * 5, plural 6, possessive 7, case 8, personal 9); we strip from the end, at
 * each round the longest suffix whose conditions hold, and each round must go
 * to a strictly smaller slot (one case, one possessive a word), so a
 * participle may sit under a case (бар-ған-да) but a case never under a
 * plural.  The conditions keep the stripper honest:
 *   - vowel harmony: a back suffix only after a root whose last vowel is back
 *     (or neutral, as in Russian loans: митинг-ке), and so on;
 *   - the sound before the suffix (-сы, -ның only after a vowel; -ы, -ым
 *     only after a consonant; -на only after the possessive -ы/-і);
 *   - the inner verbal suffixes (negation, voice, causative) only right
 *     after a verbal suffix (or an ending that may be verbal, as -ды is
 *     past tense and accusative), so жиналыс "meeting" keeps its -ыс while
 *     жинал-ды loses -л;
 *   - endings that nouns end in too (present -ады, aorist -ар, converb -а,
 *     -ып, past plural -дық) only when what remains can be a verb: a
 *     one-syllable root from the list of monosyllabic verb roots (бар, ал,
 *     кел...), and for some a longer one that ends as a verb can (ұна-ды,
 *     not ұн-ады: no verb ұн; жинал-ады);
 *   - a guard against over-cutting by syllables: a root keeps a vowel, and a
 *     root of one syllable ends in a consonant (ел-дің, үй-ге, but not
 *     бо-л from бол); and a list of protected words that merely end like a
 *     suffix (білім, жақсы, ертең, кітап) is never cut;
 *   - pronouns that change their root (маған, оның) are looked up whole.
 * Root alternations are undone after a vowel-initial suffix: a final б/г/ғ
 * returns to п/к/қ (кітабы -> кітап, жүрегі -> жүрек, тарағы -> тарақ),
 * a dropped high vowel comes back (аузы -> ауыз, орны -> орын, халқы ->
 * халық, қорқады -> қорық), й before а/у is written я/ю (қояды, қою ->
 * қой), и is ый/ій (оқиды -> оқы), and тау-ып/жау-ып are тап/жап.  Suffixes
 * are also listed in their "plain" spellings (-га, -нын) because many people
 * type Kazakh without its special letters.  Input is a case-folded Cyrillic
 * word in UTF-8 (Latin-script Kazakh is transliterated before, translit.c).
 * The tables (suffixes, protected words, verb roots, irregular pronouns) are
 * in stem_kk_rules.h; this file holds the conditions and the stripping.
 * References: Krippes, "Kazakh Grammar with Affix List" (1993); the endings
 * tables of Muhamedowa, "Kazakh: A Comprehensive Grammar" (2016).
 */
#include <string.h>

#include "nlp_int.h"
#include "stem_kk_rules.h"

static bool is_vowel(int32_t cp)
{
    switch (cp) {
    case 0x430: /* а */
    case 0x435: /* е */
    case 0x438: /* и */
    case 0x43E: /* о */
    case 0x443: /* у */
    case 0x44B: /* ы */
    case 0x44D: /* э */
    case 0x44E: /* ю */
    case 0x44F: /* я */
    case 0x451: /* ё */
    case 0x4D9: /* ә */
    case 0x4E9: /* ө */
    case 0x4AF: /* ү */
    case 0x4B1: /* ұ */
    case 0x456: /* і */
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

static int word_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : an < bn ? -1 : an > bn;
}

static bool in_list(const struct word *list, size_t len, const char *w, size_t n)
{
    size_t lo = 0, hi = len;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = word_cmp(list[mid].w, list[mid].n, w, n);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static bool is_protected(const char *w, size_t n)
{
    return in_list(protected_words, KZ_ARRAY_LEN(protected_words), w, n);
}

/* A vowel letter that is a vowel here: у and и after a vowel are the glides
 * w and y (тау, ай), consonants for the rules. */
static bool vowel_at(const int32_t *cps, size_t k)
{
    if (!is_vowel(cps[k]))
        return false;
    return !((cps[k] == 0x443 || cps[k] == 0x438) && k > 0 && is_vowel(cps[k - 1]));
}

static size_t syllables(const int32_t *cps, size_t len)
{
    size_t s = 0;

    for (size_t k = 0; k < len; k++)
        s += vowel_at(cps, k);
    return s;
}

/* The guard against over-cutting: a root keeps a vowel, and a root of one
 * syllable ends in a consonant and has two letters at least (ел, үй, but no
 * бо from бол, no су from су-ы). */
static bool root_ok(const int32_t *cps, size_t len)
{
    size_t syl = syllables(cps, len);

    if (syl == 0)
        return false;
    return syl >= 2 || (len >= 2 && !vowel_at(cps, len - 1));
}

/*
 * Final consonant pairs a root may end in (айт, тарт, ұлт, ант, дос-т, and
 * loans: банк, митинг, факт, баланс).  Any other pair of consonants at the
 * end is a sign the cut went wrong (ойн-ады for ойна-ды) or a high vowel was
 * dropped before a vowel-initial suffix (аузы: ауыз).
 */
static bool final_pair_ok(int32_t a, int32_t b)
{
    static const int32_t ok[][2] = {
        {0x440, 0x442}, {0x439, 0x442}, {0x43B, 0x442}, {0x43D, 0x442}, /* рт йт лт нт */
        {0x441, 0x442}, {0x43D, 0x43A}, {0x43D, 0x433}, {0x43A, 0x442}, /* ст нк нг кт */
        {0x440, 0x441}, {0x43D, 0x441}, {0x43D, 0x434}, {0x440, 0x434}, /* рс нс нд рд */
        {0x439, 0x43A},                                                 /* йк */
    };

    if (a == 0x44C || b == 0x44C || a == 0x44A || b == 0x44A)
        return true; /* ь ъ: a Russian loan */
    for (size_t i = 0; i < KZ_ARRAY_LEN(ok); i++)
        if (ok[i][0] == a && ok[i][1] == b)
            return true;
    return false;
}

static bool ends_in_bad_pair(const int32_t *cps, size_t len)
{
    return len >= 2 && !vowel_at(cps, len - 1) && !vowel_at(cps, len - 2) &&
           !final_pair_ok(cps[len - 2], cps[len - 1]);
}

/* UTF-8 of cps[0..len) with its last letter replaced by last (if not 0). */
static size_t encode(const int32_t *cps, size_t len, int32_t last, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t k = 0; k < len && o + 4 <= cap; k++)
        o += nlp_utf8_put(out + o, k + 1 == len && last ? last : cps[k]);
    return o;
}

static int32_t devoiced(int32_t cp)
{
    return cp == 0x431 ? 0x43F : cp == 0x433 ? 0x43A : cp == 0x493 ? 0x49B : 0; /* б г ғ */
}

/* cps[0..len) (its last letter devoiced when voiced is set) is a listed
 * one-syllable verb root. */
static bool listed_verb(const int32_t *cps, size_t len, bool voiced)
{
    char buf[32];
    int32_t last = voiced && len ? devoiced(cps[len - 1]) : 0;
    size_t n;

    if (len > 6 || syllables(cps, len) != 1)
        return false;
    n = encode(cps, len, last, buf, sizeof(buf));
    return in_list(verb_roots, KZ_ARRAY_LEN(verb_roots), buf, n);
}

/* A dropped high vowel can come back: a vowel, then р л у й, then н з қ к
 * (орн-ы, ауз-ы, халқ-ы, ерк-і); before a verbal suffix only қ к (қорқ-ады,
 * not ойн-ады). */
static bool dropped_vowel(const int32_t *cps, size_t root, bool verbal)
{
    int32_t a, b;

    if (root < 3 || !vowel_at(cps, root - 3))
        return false;
    a = cps[root - 2];
    b = cps[root - 1];
    if (!(a == 0x440 || a == 0x43B || a == 0x443 || a == 0x439) || (a == 0x439 && b == 0x43A))
        return false;
    return b == 0x49B || b == 0x43A || (!verbal && (b == 0x43D || b == 0x437));
}

/* VR1: a listed verb root, or a longer root that ends as verbs can (in a
 * consonant, not in a pair no root ends in). */
static bool verb_ok(const int32_t *cps, size_t len, bool voiced)
{
    int32_t last = cps[len - 1];

    if (ends_in_bad_pair(cps, len) && dropped_vowel(cps, len, true))
        return true; /* қорқ-ады: қорық */
    if (syllables(cps, len) == 1)
        return listed_verb(cps, len, voiced);
    /* ұна-ма-ды, not ұнам-ады: the negative present is -май-ды; and
     * қала-да-сың, not қалад-асың: no verb of two syllables ends in д */
    if ((last == 0x43C || last == 0x431 || last == 0x43F) && vowel_at(cps, len - 2))
        return false;
    if (last == 0x434)
        return false;
    return !vowel_at(cps, len - 1) && !ends_in_bad_pair(cps, len);
}

static bool cond_ok(int cond, const int32_t *cps, size_t root)
{
    int32_t last = cps[root - 1];

    switch (cond) {
    case AV:
        return vowel_at(cps, root - 1) && last != 0x443;
    case AC:
        return !vowel_at(cps, root - 1) || last == 0x443;
    case AVMNN:
        return vowel_at(cps, root - 1) || last == 0x43C || last == 0x43D || last == 0x4A3;
    case AP3:
        return last == 0x44B || last == 0x456;
    case AP12: /* -ым/-ім/-ың/-ің: дос-ым-а; not бағдарла-м-а */
        return (last == 0x43C || last == 0x4A3) && root >= 3 &&
               (cps[root - 2] == 0x44B || cps[root - 2] == 0x456);
    case AL:
        return last == 0x43B;
    case AVL:
        switch (last) {
        case 0x43F: /* п */
        case 0x442: /* т */
        case 0x43A: /* к */
        case 0x433: /* г: a loan, флаг-тар */
        case 0x49B: /* қ */
        case 0x441: /* с */
        case 0x448: /* ш */
        case 0x449: /* щ */
        case 0x444: /* ф */
        case 0x445: /* х */
        case 0x446: /* ц */
        case 0x447: /* ч */
            return true;
        default:
            return false;
        }
    default:
        return true;
    }
}

/* -шы/-ші: after an imperative plural or polite form (-ңдар-шы, -ңыз-шы);
 * not the agent noun of жұмыс-шы, басшы. */
static bool shy_ok(const int32_t *cps, size_t root)
{
    if (root >= 3 && cps[root - 1] == 0x440 && cps[root - 3] == 0x434) /* -дар/-дер */
        return true;
    return root >= 3 && cps[root - 1] == 0x437 && cps[root - 3] == 0x4A3; /* -ңыз */
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
    for (size_t i = 1; i < KZ_ARRAY_LEN(protected_words); i++)
        if (strcmp(protected_words[i - 1].w, protected_words[i].w) >= 0)
            return -1000 - (int)i;
    for (size_t i = 1; i < KZ_ARRAY_LEN(verb_roots); i++)
        if (strcmp(verb_roots[i - 1].w, verb_roots[i].w) >= 0)
            return -2000 - (int)i;
    for (size_t i = 1; i < KZ_ARRAY_LEN(irregular); i++)
        if (strcmp(irregular[i - 1].w, irregular[i].w) >= 0)
            return -3000 - (int)i;
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

/* What a word has been cut to: cps[0..keep) and then up to two letters. */
struct cut {
    size_t keep;
    int32_t tail[2];
};

/* тау-ып, жау-ып: the converb of тап, жап (п between vowels is у). */
static bool tau_ip(const struct sfx *x, const int32_t *cps, size_t root)
{
    int32_t p[3];

    if (root != 3 || cps[2] != 0x443 || !is_vowel(cps[1]) || x->len != 4 || x->s[2] != (char)0xD0 ||
        x->s[3] != (char)0xBF) /* -ып/-іп */
        return false;
    p[0] = cps[0];
    p[1] = cps[1];
    p[2] = 0x43F;
    return listed_verb(p, 3, false);
}

/* May suffix x come off cps[0..len) here?  ctx: the flags of the suffix cut
 * just before (0 for none), slot: the slot it had. */
static bool may_strip(const struct sfx *x, const int32_t *cps, const int8_t *hv, size_t len,
                      unsigned slot, unsigned ctx)
{
    size_t root = len - x->len / 2;
    bool vinit;
    int h;

    if (x->slot >= slot || root < 1)
        return false;
    if ((x->flags & FIRST) && slot != TOP)
        return false;
    if ((x->flags & NV) && !(ctx & (V | B)))
        return false;
    if (!cond_ok(x->cond, cps, root))
        return false;
    h = x->flags & NOH ? 0 : suffix_harmony(x->s, x->len);
    /* a front suffix after a back loan that ends in к or г: банк-ке, митинг-ке */
    if (h && hv[root] && h != hv[root] &&
        !(h < 0 && (cps[root - 1] == 0x43A || cps[root - 1] == 0x433)))
        return false;
    if ((x->flags & PV) && (cps[root - 1] == 0x44B || cps[root - 1] == 0x456 ||
                            cps[root - 1] == 0x438 || cps[root - 1] == 0x443))
        return false;
    if ((x->flags & PS) && root >= 2 && (cps[root - 1] == 0x44B || cps[root - 1] == 0x456)) {
        int32_t p = cps[root - 2]; /* ш ғ г қ к */
        if (!(p == 0x448 || p == 0x493 || p == 0x433 || p == 0x49B || p == 0x43A))
            return false;
    }
    /* dative -а/-е after a possessive -ым/-ің that can itself come off
     * (дос-ым-а; not әңгім-е) */
    if (x->cond == AP12 && (!root_ok(cps, root - 2) || ends_in_bad_pair(cps, root - 2)))
        return false;
    /* -стан is a place-name ending (Қазақстан), not ablative -тан. */
    if (cps[root - 1] == 0x441 && x->len == 6 &&
        (bytes_eq(x->s, "тан", 6) || bytes_eq(x->s, "тен", 6)))
        return false;
    if (x->flags & (AY | AI))
        return root_ok(cps, root) || syllables(cps, root) >= 1;
    if (!root_ok(cps, root))
        return false;
    vinit = is_vowel(cps[root]);
    if ((x->flags & VRS) && !listed_verb(cps, root, vinit))
        return false;
    if ((x->flags & VR1) && !verb_ok(cps, root, vinit))
        return false;
    if ((x->flags & P2) && syllables(cps, root) < 2)
        return false;
    if (x->flags & PC) {
        int32_t l = cps[root - 1], p = cps[root - 2];
        if (!(l == 0x44B || l == 0x456 ||
              ((l == 0x430 || l == 0x435) &&
               (p == 0x43B || p == 0x434 || p == 0x442 || p == 0x43D || p == 0x440 || p == 0x441))))
            return false;
    }
    if ((x->flags & SHY) && !shy_ok(cps, root))
        return false;
    /* A verbal suffix leaves a verb: a listed one if it is short (үлкен is
     * no үл-кен, нәрсе no нәр-се). */
    if ((x->flags & (V | VL)) && syllables(cps, root) == 1 && !listed_verb(cps, root, vinit) &&
        !(vinit && ends_in_bad_pair(cps, root) && dropped_vowel(cps, root, true)) &&
        !tau_ip(x, cps, root))
        return false;
    /* After an ending that may be nominal (-ды, -дың), only the passive
     * (жаз-ыл-ды, сал-ын-ды, жаса-л-ды) and the causative of a listed root
     * (жет-кіз-ді), but not уақы-т-ты, облы-с-тың, тапсыр-ыс-ты. */
    if ((x->slot == VOICE || x->slot == CAUS) && !(ctx & V)) {
        char e = x->s[x->len - 1];
        bool passive = x->slot == VOICE && (e == (char)0xBB || e == (char)0xBD); /* л н */
        if (x->len == 2 ? !(passive && (cps[root - 1] == 0x430 || cps[root - 1] == 0x435))
                        : !(passive || (x->slot == CAUS && listed_verb(cps, root, false))))
            return false;
    }
    /* Reciprocal -с only after а/е (сөйле-с), causative -т only after а е ы і
     * (ойна-т, оқы-т). */
    if (x->len == 2 && (x->slot == VOICE || x->slot == CAUS) && x->s[1] != (char)0xBB) {
        int32_t l = cps[root - 1];
        if (!(l == 0x430 || l == 0x435 || (x->slot == CAUS && (l == 0x44B || l == 0x456))))
            return false;
    }
    /* No root ends in two consonants such as йн, сш: ойн-ады is ойна-ды,
     * жұмысш-ы is жұмысшы; but a dropped vowel may come back (орн-ы). */
    if (ends_in_bad_pair(cps, root) && (x->flags & V ? x->slot >= TENSE : vinit) &&
        !(vinit && dropped_vowel(cps, root, x->flags & V)))
        return false;
    return true;
}

/* After cutting a suffix down to cps[0..root): undo what the suffix did to
 * the root.  Returns true when the root is final (nothing more comes off). */
static bool undo_alternation(const struct sfx *x, const int32_t *cps, const int8_t *hv, size_t root,
                             struct cut *c)
{
    int32_t last = cps[root - 1], high = hv[root] < 0 ? 0x456 : 0x44B; /* і or ы */
    bool vinit = is_vowel(cps[root]) && !(x->flags & AY);

    c->keep = root;
    c->tail[0] = c->tail[1] = 0;
    if (x->flags & AY) {
        c->tail[0] = 0x439; /* й */
        return true;
    }
    if (x->flags & AI) {
        c->tail[0] = high;
        return true;
    }
    if (!vinit)
        return false;
    if (devoiced(last)) {
        c->keep = root - 1;
        c->tail[0] = devoiced(last);
        return true;
    }
    if (tau_ip(x, cps, root)) {
        c->keep = 2;
        c->tail[0] = 0x43F;
        return true;
    }
    /* A dropped high vowel: орн-ы -> орын, ауз-ы -> ауыз, қорқ-ады -> қорық. */
    if (ends_in_bad_pair(cps, root) && dropped_vowel(cps, root, x->flags & V)) {
        c->keep = root - 1;
        c->tail[0] = high;
        c->tail[1] = last;
        return true;
    }
    return false;
}

static size_t copy_out(const char *w, size_t n, char *out, size_t cap)
{
    n = n < cap ? n : cap;
    memcpy(out, w, n);
    return n;
}

static const char *irregular_root(const char *w, size_t n, size_t *rn)
{
    size_t lo = 0, hi = KZ_ARRAY_LEN(irregular);

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = word_cmp(irregular[mid].w, irregular[mid].n, w, n);
        if (c == 0) {
            *rn = irregular[mid].rn;
            return irregular[mid].root;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t nlp_stem_kk(const char *w, size_t n, char *out, size_t cap)
{
    int32_t cps[64];
    size_t offs[65], ncp, len, o;
    int8_t hv[65]; /* hv[k]: harmony of the last harmonic vowel in cps[0..k) */
    unsigned slot = TOP, ctx = 0;
    struct cut c = {0, {0, 0}};
    const char *irr;

    if (n >= 60 * 2 || n < 6 || is_protected(w, n))
        return copy_out(w, n, out, cap);
    if ((irr = irregular_root(w, n, &o)) != NULL)
        return copy_out(irr, o, out, cap);
    ncp = decode(w, n, cps, offs, 63);
    if (ncp < 3)
        return copy_out(w, n, out, cap);
    hv[0] = 0;
    for (size_t k = 0; k < ncp; k++) {
        int h = harmony(cps[k]);
        hv[k + 1] = (int8_t)(h ? h : hv[k]);
    }
    len = ncp;
    c.keep = len;
    for (;;) {
        const struct sfx *best = NULL;
        size_t lo, hi;

        if (offs[len] - offs[len - 1] != 2)
            break; /* every suffix ends in a two-byte Cyrillic letter */
        suffix_range((const unsigned char *)w + offs[len] - 2, &lo, &hi);
        for (size_t i = lo; i < hi; i++) {
            const struct sfx *x = &suffixes[i];

            if (x->len >= offs[len] || !bytes_eq(w + offs[len] - x->len, x->s, x->len))
                continue;
            bool prot;

            if (!may_strip(x, cps, hv, len, slot, ctx))
                continue;
            /* ойын-да, ойын-ы: a nominal ending that leaves a protected word
             * wins (not one that may be verbal: бер-іңіз, not бері-ңіз) */
            prot = x->slot >= PL && x->slot <= CASE && !(x->flags & B) &&
                   is_protected(w, offs[len - x->len / 2]);
            if (best && x->len <= best->len && !prot)
                continue;
            best = x;
            if (prot)
                break;
        }
        if (!best)
            break;
        len -= best->len / 2;
        slot = best->slot;
        ctx = best->flags;
        if (undo_alternation(best, cps, hv, len, &c))
            break;
        if (is_protected(w, offs[len]))
            break;
    }
    if (c.keep == len && !c.tail[0]) {
        if ((irr = irregular_root(w, offs[len], &o)) != NULL)
            return copy_out(irr, o, out, cap); /* жатыр-мын: жат */
        return copy_out(w, offs[len], out, cap);
    }
    o = copy_out(w, offs[c.keep], out, cap);
    for (int k = 0; k < 2 && c.tail[k] && o + 4 <= cap; k++)
        o += nlp_utf8_put(out + o, c.tail[k]);
    return o;
}

/*
 * The converb before an auxiliary: in бара жатыр, ойнай отыр, күле тұр the
 * first word is the verb with its converb -а/-е/-й, which alone could as well
 * be a noun (жинала, ойнай; a root of one syllable must still be a listed
 * verb: кеме тұр is "the ship stands").  The analyzer calls this for a word followed by a
 * form of жатыр, отыр, тұр or жүр; returns the byte length of the verb root,
 * or n when the word does not end as such a converb.
 */
size_t nlp_stem_kk_converb(const char *w, size_t n)
{
    int32_t cps[64];
    size_t offs[65], ncp;
    int32_t last;

    if (n >= 60 * 2 || n < 6 || is_protected(w, n))
        return n;
    ncp = decode(w, n, cps, offs, 63);
    if (ncp < 3)
        return n;
    last = cps[ncp - 1];
    if (last == 0x430 || last == 0x435) { /* а е after a consonant: бар-а, кел-е */
        int h = harmony(last), rh = 0;
        for (size_t k = 0; k + 1 < ncp; k++)
            rh = harmony(cps[k]) ? harmony(cps[k]) : rh;
        if (vowel_at(cps, ncp - 2) || !root_ok(cps, ncp - 1) || ends_in_bad_pair(cps, ncp - 1) ||
            (rh && rh != h))
            return n;
        if (syllables(cps, ncp - 1) == 1 && !listed_verb(cps, ncp - 1, false))
            return n; /* кеме тұр: the ship stands */
        if (cps[ncp - 2] == 0x43B && (cps[ncp - 3] == 0x430 || cps[ncp - 3] == 0x435) &&
            syllables(cps, ncp - 2) >= 2)
            return offs[ncp - 2]; /* the passive under it: жина-л-а */
        return offs[ncp - 1];
    }
    if (last == 0x439 && ncp >= 4 && syllables(cps, ncp - 1) >= 2 &&
        (cps[ncp - 2] == 0x430 || cps[ncp - 2] == 0x435)) /* ойна-й, сөйле-й */
        return offs[ncp - 1];
    return n;
}
