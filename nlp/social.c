/*
 * social.c -- the tokens ICU does not know: URLs, @mentions, #hashtags,
 * emoji sequences, numbers, clock times and dates.
 *
 * tokenize.c scans a post once and calls nlp_social_match() at each position
 * that can start one of these (a trigger byte at a word boundary); whatever no
 * matcher claims is left for the ICU word iterator.  Matchers are small
 * hand-written recognisers over the UTF-8 bytes, greedy, and never read
 * outside [0, n).  Times and dates get a canonical normalized form ("12:00",
 * "2026-03-05", "03-08") so lexicons and the mobilization detector can use
 * them whatever the spelling ("12.00", "сағат 12-де", "в 12 часов").
 *
 * URLs, mentions, hashtags and cashtags are recognised by entity.c, whose
 * top comment states the rules; this file holds the dispatcher, emoji,
 * numbers, times and dates.
 */
#include <stdio.h>
#include <string.h>

#include <utf8proc.h>

#include "nlp_int.h"

bool nlp_is_word_cp(int32_t cp)
{
    if (cp < 0)
        return false;
    if (cp < 0x80)
        return nlp_ascii_word(cp);
    if (cp >= 0x400 && cp <= 0x4FF)
        return true;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ND:
        return true;
    default:
        return false;
    }
}

/* The code point that ends just before byte i (or -1). */
int32_t nlp_utf8_prev(const char *s, size_t i)
{
    size_t j = i, k;
    int32_t cp;

    if (i == 0)
        return -1;
    j--;
    while (j > 0 && i - j < 4 && ((unsigned char)s[j] & 0xC0) == 0x80)
        j--;
    k = j;
    cp = nlp_utf8_get(s, i, &k);
    return k == i ? cp : -1;
}

bool nlp_at_boundary(const char *s, size_t i)
{
    return !nlp_is_word_cp(nlp_utf8_prev(s, i));
}

/* -- emoji ------------------------------------------------------------------ */

static int emoji_class(int32_t cp)
{
    const utf8proc_property_t *p;

    if (cp < 0xA9)
        return 0;
    p = utf8proc_get_property(cp);
    switch (p->boundclass) {
    case UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR:
        return 'R';
    case UTF8PROC_BOUNDCLASS_E_MODIFIER:
        return 'M';
    case UTF8PROC_BOUNDCLASS_E_BASE:
    case UTF8PROC_BOUNDCLASS_GLUE_AFTER_ZWJ:
    case UTF8PROC_BOUNDCLASS_E_BASE_GAZ:
    case UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC:
    case UTF8PROC_BOUNDCLASS_E_ZWG:
        return 'P';
    default:
        return 0;
    }
}

/* Modifiers that stay inside an emoji: VS15/16, skin tones, keycap, tags. */
static bool emoji_extender(int32_t cp)
{
    return cp == 0xFE0F || cp == 0xFE0E || (cp >= 0x1F3FB && cp <= 0x1F3FF) || cp == 0x20E3 ||
           (cp >= 0xE0020 && cp <= 0xE007F);
}

static size_t match_emoji(const char *s, size_t n, size_t i)
{
    size_t j = i, k;
    int32_t cp = nlp_utf8_get(s, n, &j);
    int c = emoji_class(cp);

    if (cp >= 0 && cp < 0x80) {
        /* Keycap: 1️⃣ #️⃣ *️⃣ */
        if (!(nlp_ascii_digit(cp) || cp == '#' || cp == '*'))
            return 0;
        k = j;
        cp = nlp_utf8_get(s, n, &k);
        if (cp == 0xFE0F) {
            j = k;
            cp = nlp_utf8_get(s, n, &k);
        }
        return cp == 0x20E3 ? k : 0;
    }
    if (c == 'R') {
        k = j;
        if (k < n && emoji_class(nlp_utf8_get(s, n, &k)) == 'R')
            return k;
        return j;
    }
    if (c != 'P' && c != 'M')
        return 0;
    for (;;) {
        while (j < n) {
            k = j;
            cp = nlp_utf8_get(s, n, &k);
            if (!emoji_extender(cp))
                break;
            j = k;
        }
        if (j >= n)
            break;
        k = j;
        if (nlp_utf8_get(s, n, &k) != 0x200D || k >= n)
            break;
        {
            size_t k2 = k;
            if (emoji_class(nlp_utf8_get(s, n, &k2)) != 'P')
                break;
            j = k2;
        }
    }
    return j;
}

/* -- numbers, times, dates -------------------------------------------------- */

static size_t digits(const char *s, size_t n, size_t i, unsigned *val)
{
    size_t j = i;
    unsigned v = 0;

    while (j < n && nlp_ascii_digit(s[j]) && j - i < 9)
        v = v * 10 + (unsigned)(s[j++] - '0');
    *val = v;
    return j - i;
}

/* Lower-case the word at [i, n) into buf (ASCII + Cyrillic only); returns its byte end. */
static size_t word_lower(const char *s, size_t n, size_t i, char *buf, size_t cap, size_t *blen)
{
    size_t j = i, o = 0;

    while (j < n) {
        size_t k = j;
        int32_t cp = nlp_utf8_get(s, n, &k);
        if (!nlp_is_word_cp(cp) || cp == '_' || (cp >= '0' && cp <= '9'))
            break;
        cp = utf8proc_tolower(cp);
        if (o + 4 >= cap)
            return 0;
        o += nlp_utf8_put(buf + o, cp);
        j = k;
    }
    buf[o] = '\0';
    *blen = o;
    return j;
}

static bool starts(const char *w, const char *p)
{
    return strncmp(w, p, strlen(p)) == 0;
}

/* Month number of a month word (ru/uk genitive, kk with any suffix, en), or 0. */
static int month_of(const char *w)
{
    static const char *const kk[] = {"қаңтар", "ақпан", "наурыз",   "сәуір", "мамыр",  "маусым",
                                     "шілде",  "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан"};
    static const char *const kk_plain[] = {"кантар",   "акпан",  "науруз", "сауир",
                                           "мамыр",    "маусым", "шилде",  "тамыз",
                                           "кыркуйек", "казан",  "караша", "желтоксан"};
    static const char *const ru[] = {"январ", "феврал", "март",    "апрел",  "ма",    "июн",
                                     "июл",   "август", "сентябр", "октябр", "ноябр", "декабр"};
    static const char *const uk[] = {"січня", "лютого", "березня", "квітня", "травня",    "червня",
                                     "липня", "серпня", "вересня", "жовтня", "листопада", "грудня"};
    static const char *const en[] = {"january",   "february", "march",    "april",
                                     "may",       "june",     "july",     "august",
                                     "september", "october",  "november", "december"};

    for (int m = 0; m < 12; m++) {
        if (starts(w, kk[m]) || starts(w, kk_plain[m]))
            return m + 1;
        if (strcmp(w, en[m]) == 0 || strcmp(w, uk[m]) == 0)
            return m + 1;
    }
    if (strcmp(w, "мая") == 0 || strcmp(w, "май") == 0)
        return 5;
    for (int m = 0; m < 12; m++)
        if (m != 4 && starts(w, ru[m]) && strlen(w) <= strlen(ru[m]) + 4)
            return m + 1;
    return 0;
}

/* "-де", "-ке", "-ші": a short hyphenated Kazakh/Russian suffix after a number. */
static size_t num_suffix(const char *s, size_t n, size_t j)
{
    size_t k, letters = 0, end = j;

    if (j >= n || s[j] != '-')
        return j;
    k = j + 1;
    while (k < n && letters < 8) {
        size_t k2 = k;
        int32_t cp = nlp_utf8_get(s, n, &k2);
        if (!(nlp_is_word_cp(cp) && !(cp >= '0' && cp <= '9') && cp != '_'))
            break;
        letters++;
        k = k2;
        end = k;
    }
    if (letters == 0 || (k < n && nlp_is_word_cp(nlp_utf8_prev(s, k + 1)) && letters >= 8))
        return j;
    return end;
}

/* The word right before byte i (skipping spaces), lower-cased into buf; its
 * start, or i when there is none (or it does not fit buf). */
static size_t word_before(const char *s, size_t i, size_t lo, char *buf, size_t cap)
{
    size_t j = i, we;
    size_t blen;

    while (j > lo && s[j - 1] == ' ')
        j--;
    if (j == i || j == lo)
        return i;
    we = j;
    /* Walk back whole code points. */
    while (j > lo) {
        int32_t cp = nlp_utf8_prev(s, j);
        size_t k = j - 1;
        if (!nlp_is_word_cp(cp))
            break;
        while (k > lo && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        j = k;
    }
    if (j == we || !word_lower(s, we, j, buf, cap, &blen))
        return i;
    return j;
}

/* The word right before byte i must be one of cues: its start, or i. */
static size_t cue_before(const char *s, size_t i, size_t lo, const char *const *cues, size_t ncues)
{
    char buf[32];
    size_t j = word_before(s, i, lo, buf, sizeof(buf));

    if (j == i)
        return i;
    for (size_t c = 0; c < ncues; c++)
        if (strcmp(buf, cues[c]) == 0)
            return j;
    return i;
}

/* Words before a clock hour that make a number a time. */
static const char *const kk_cues[] = {"сағат", "сағ", "сагат", "saghat", "sağat", "saǵat", "sagat"};
static const char *const ru_cues[] = {"в", "к", "с", "до", "после", "at", "by"};

/* Parts of the day that move a clock hour to the 24-hour clock. */
enum part_of_day { POD_NONE, POD_MORNING, POD_AFTERNOON, POD_EVENING, POD_NIGHT };

/* Russian genitives after the hour: "в 7 вечера", "в 6 часов утра". */
static enum part_of_day pod_after_word(const char *w)
{
    if (strcmp(w, "утра") == 0)
        return POD_MORNING;
    if (strcmp(w, "дня") == 0)
        return POD_AFTERNOON;
    if (strcmp(w, "вечера") == 0)
        return POD_EVENING;
    if (strcmp(w, "ночи") == 0)
        return POD_NIGHT;
    return POD_NONE;
}

/* Words before the hour: Kazakh ("кешкі сағат 7-де", "таңғы 9-да") as
 * written, typed without the Kazakh letters and in Latin; Russian before
 * "в" ("вечером в 7"). */
static enum part_of_day pod_before_word(const char *w)
{
    static const struct {
        const char *w;
        enum part_of_day pod;
    } words[] = {
        {"таңғы", POD_MORNING},    {"тангы", POD_MORNING},   {"таңертең", POD_MORNING},
        {"танертен", POD_MORNING}, {"tańǵy", POD_MORNING},   {"tangy", POD_MORNING},
        {"түскі", POD_AFTERNOON},  {"туски", POD_AFTERNOON}, {"тускі", POD_AFTERNOON},
        {"túski", POD_AFTERNOON},  {"tuski", POD_AFTERNOON}, {"кешкі", POD_EVENING},
        {"кешки", POD_EVENING},    {"кешке", POD_EVENING},   {"кешкісін", POD_EVENING},
        {"keshki", POD_EVENING},   {"keshke", POD_EVENING},  {"түнгі", POD_NIGHT},
        {"тунги", POD_NIGHT},      {"тунгі", POD_NIGHT},     {"түнде", POD_NIGHT},
        {"тунде", POD_NIGHT},      {"túngi", POD_NIGHT},     {"tungi", POD_NIGHT},
        {"túnde", POD_NIGHT},      {"tunde", POD_NIGHT},     {"утром", POD_MORNING},
        {"днём", POD_AFTERNOON},   {"днем", POD_AFTERNOON},  {"вечером", POD_EVENING},
        {"ночью", POD_NIGHT},
    };

    size_t n = strlen(w);

    if (n < 5 || n > 16) /* the table's shortest and longest words, in bytes */
        return POD_NONE;
    for (size_t k = 0; k < KZ_ARRAY_LEN(words); k++)
        if (w[0] == words[k].w[0] && strcmp(w, words[k].w) == 0)
            return words[k].pod;
    return POD_NONE;
}

/* The hour h (0-24) said with a part of the day, on the 24-hour clock.  An
 * hour past 12 is already there ("19:00 вечера"). */
static unsigned pod_hour(unsigned h, enum part_of_day pod)
{
    if (h > 12)
        return h;
    switch (pod) {
    case POD_AFTERNOON: /* "в 3 дня", "түскі 2-де"; "в 12 дня" is noon */
        return h >= 1 && h <= 7 ? h + 12 : h;
    case POD_EVENING:
        return h >= 1 && h < 12 ? h + 12 : h;
    case POD_NIGHT: /* "в 2 ночи"; "в 11 ночи" is 23:00, "в 12 ночи" midnight */
        return h == 12 ? 0 : h >= 9 ? h + 12 : h;
    case POD_MORNING:
    case POD_NONE:
        break;
    }
    return h;
}

/* A part-of-day word right before byte i: its start (or i), *pod. */
static size_t pod_before(const char *s, size_t i, size_t lo, enum part_of_day *pod)
{
    char buf[32];
    size_t j = word_before(s, i, lo, buf, sizeof(buf));

    *pod = j == i ? POD_NONE : pod_before_word(buf);
    return *pod == POD_NONE ? i : j;
}

static void put_time(struct nlp_match *m, unsigned h, unsigned mi)
{
    h %= 100;
    mi %= 100;
    m->kind = NLP_TOK_TIME;
    m->norm[0] = (char)('0' + h / 10);
    m->norm[1] = (char)('0' + h % 10);
    m->norm[2] = ':';
    m->norm[3] = (char)('0' + mi / 10);
    m->norm[4] = (char)('0' + mi % 10);
    m->norm[5] = '\0';
    m->normlen = 5;
}

static size_t skip_space(const char *s, size_t n, size_t j)
{
    if (j < n && s[j] == ' ')
        return j + 1;
    if (j + 1 < n && (unsigned char)s[j] == 0xC2 && (unsigned char)s[j + 1] == 0xA0)
        return j + 2;
    return j;
}

/* A Kazakh case ending on a bare hour that makes it a time: "9-да", "7-ге",
 * "8-ден" (at, until, from), not "5-і" (the fifth of them). */
static bool time_suffix(const char *s, size_t n, size_t j, size_t end)
{
    size_t k = j + 1;
    int32_t cp;

    if (end <= k || s[j] != '-')
        return false;
    cp = utf8proc_tolower(nlp_utf8_get(s, n, &k));
    return cp == 0x434 /* д */ || cp == 0x442 /* т */ || cp == 0x433 /* г */ ||
           cp == 0x493 /* ғ */ || cp == 0x43A /* к */ || cp == 0x49B /* қ */ || cp == 'd' ||
           cp == 't' || cp == 'g' || cp == 'k';
}

/* A clock time at hour h, minute mi spanning m->start..m->end: a Russian
 * part of the day right after it ("вечера"), am/pm, or a Kazakh one right
 * before it ("кешкі") joins the token and puts h on the 24-hour clock. */
static void put_clock(const char *s, size_t n, size_t lo, struct nlp_match *m, unsigned h,
                      unsigned mi)
{
    enum part_of_day pod = POD_NONE;
    size_t we = skip_space(s, n, m->end), e, wl;
    char w[32];

    if ((e = word_lower(s, n, we, w, sizeof(w), &wl)) > we) {
        if ((pod = pod_after_word(w)) != POD_NONE) {
            m->end = e;
        } else if (strcmp(w, "pm") == 0 || strcmp(w, "am") == 0) {
            m->end = e;
            if (w[0] == 'p' && h < 12)
                h += 12;
            else if (w[0] == 'a' && h == 12)
                h = 0;
            put_time(m, h, mi);
            return;
        }
    }
    if (pod == POD_NONE) { /* кешкі сағат 7-де; вечером в 7:30 */
        size_t st = pod_before(s, m->start, lo, &pod), cr;
        if (pod == POD_NONE &&
            (cr = cue_before(s, m->start, lo, ru_cues, KZ_ARRAY_LEN(ru_cues))) != m->start) {
            st = pod_before(s, cr, lo, &pod);
            if (pod == POD_NONE)
                st = m->start; /* "в 7:30" alone: the token starts at the number */
        }
        m->start = st;
    }
    put_time(m, pod_hour(h, pod), mi);
}

static bool match_numeric(const char *s, size_t n, size_t i, size_t lo, struct nlp_match *m)
{
    unsigned a, b, c;
    size_t la = digits(s, n, i, &a), j = i + la, lb, lc;
    char w[64];
    size_t wl, we;

    m->start = i;
    if (la == 0)
        return false;
    /* HH:MM */
    if (la <= 2 && j + 2 < n && s[j] == ':' && (lb = digits(s, n, j + 1, &b)) == 2 && a <= 24 &&
        b <= 59 && !(j + 3 < n && nlp_ascii_digit(s[j + 3]))) {
        m->end = num_suffix(s, n, j + 3);
        m->start = cue_before(s, i, lo, kk_cues, KZ_ARRAY_LEN(kk_cues));
        put_clock(s, n, lo, m, a, b);
        return true;
    }
    /* DD.MM.YYYY, DD/MM/YYYY, HH.MM, decimals */
    if (la <= 2 && j + 1 < n && (s[j] == '.' || s[j] == '/') && nlp_ascii_digit(s[j + 1])) {
        char sep = s[j];
        lb = digits(s, n, j + 1, &b);
        if (lb <= 2 && j + 1 + lb + 1 < n && s[j + 1 + lb] == sep &&
            ((lc = digits(s, n, j + 2 + lb, &c)) == 4 || lc == 2) && a >= 1 && a <= 31 && b >= 1 &&
            b <= 12) {
            m->end = j + 2 + lb + lc;
            m->kind = NLP_TOK_DATE;
            m->normlen = (size_t)snprintf(m->norm, sizeof(m->norm), "%04u-%02u-%02u",
                                          lc == 2 ? 2000 + c : c, b, a);
            return true;
        }
        if (sep == '.' && lb == 2 && a <= 23 && b <= 59 &&
            !(j + 3 < n && (nlp_ascii_digit(s[j + 3]) ||
                            (s[j + 3] == '.' && j + 4 < n && nlp_ascii_digit(s[j + 4]))))) {
            size_t cs = cue_before(s, i, lo, kk_cues, KZ_ARRAY_LEN(kk_cues));
            size_t cr = cue_before(s, i, lo, ru_cues, KZ_ARRAY_LEN(ru_cues));
            if (b % 5 == 0 || cs != i || cr != i) {
                m->end = num_suffix(s, n, j + 3);
                m->start = cs;
                put_clock(s, n, lo, m, a, b);
                return true;
            }
        }
    }
    /* YYYY-MM-DD */
    if (la == 4 && j + 5 < n && s[j] == '-' && digits(s, n, j + 1, &b) == 2 && s[j + 3] == '-' &&
        digits(s, n, j + 4, &c) == 2 && b >= 1 && b <= 12 && c >= 1 && c <= 31) {
        m->end = j + 6;
        m->kind = NLP_TOK_DATE;
        m->normlen = (size_t)snprintf(m->norm, sizeof(m->norm), "%04u-%02u-%02u", a, b, c);
        return true;
    }
    /* D month [YYYY] */
    if (la <= 2 && a >= 1 && a <= 31 && (we = skip_space(s, n, j)) != j &&
        (we = word_lower(s, n, skip_space(s, n, j), w, sizeof(w), &wl)) &&
        we > skip_space(s, n, j)) {
        int mon = month_of(w);
        if (mon) {
            size_t ye = skip_space(s, n, we);
            unsigned y;
            m->kind = NLP_TOK_DATE;
            m->end = we;
            if (ye != we && digits(s, n, ye, &y) == 4 &&
                !(ye + 4 < n && nlp_ascii_digit(s[ye + 4]))) {
                m->end = ye + 4;
                m->normlen =
                    (size_t)snprintf(m->norm, sizeof(m->norm), "%04u-%02u-%02u", y, mon, a);
            } else {
                m->normlen =
                    (size_t)snprintf(m->norm, sizeof(m->norm), "%02u-%02u", (unsigned)mon, a);
            }
            return true;
        }
    }
    /* сағат 12[-де] ; в 11 часов ; в 7 вечера ; 5 pm ; вечером в 7 ; таңғы 9-да */
    if (la <= 2 && a <= 24) {
        size_t cs = cue_before(s, i, lo, kk_cues, KZ_ARRAY_LEN(kk_cues));
        size_t cr = cue_before(s, i, lo, ru_cues, KZ_ARRAY_LEN(ru_cues)), e2;
        enum part_of_day pod;
        if (cs != i) {
            m->start = cs;
            m->end = num_suffix(s, n, j);
            put_clock(s, n, lo, m, a, 0);
            return true;
        }
        we = skip_space(s, n, j);
        if ((e2 = word_lower(s, n, we, w, sizeof(w), &wl)) > we) {
            bool clock = starts(w, "час") || strcmp(w, "ч") == 0;
            bool day = pod_after_word(w) != POD_NONE;
            bool ampm = strcmp(w, "pm") == 0 || strcmp(w, "am") == 0;
            if (clock || day || ampm) {
                if (day && cr == i) /* "3 дня" is three days; "в 3 дня", 15:00 */
                    goto number;
                m->start = cr;
                m->end = clock ? e2 : j;
                put_clock(s, n, lo, m, a, 0);
                return true;
            }
        } else {
            w[0] = '\0';
        }
        /* вечером в 7; not "утром в 2 раза больше" (twice as many) */
        if (cr != i && pod_before(s, cr, lo, &pod) != cr && !starts(w, "раз")) {
            m->start = cr;
            m->end = j;
            put_clock(s, n, lo, m, a, 0);
            return true;
        }
        /* таңғы 9-да: a case ending makes the bare hour a time (the cheap
         * test first: most numbers have none) */
        e2 = num_suffix(s, n, j);
        if (time_suffix(s, n, j, e2) && pod_before(s, i, lo, &pod) != i) {
            m->start = i;
            m->end = e2;
            put_clock(s, n, lo, m, a, 0);
            return true;
        }
    }
number:
    m->start = i;
    m->kind = NLP_TOK_NUMBER;
    while (j + 1 < n && (s[j] == '.' || s[j] == ',') && nlp_ascii_digit(s[j + 1])) {
        unsigned dummy;
        j += 1 + digits(s, n, j + 1, &dummy);
    }
    while (j < n && nlp_ascii_digit(s[j]))
        j++;
    m->normlen = j - i < sizeof(m->norm) ? j - i : sizeof(m->norm) - 1;
    memcpy(m->norm, s + i, m->normlen);
    for (size_t k = 0; k < m->normlen; k++)
        if (m->norm[k] == ',')
            m->norm[k] = '.';
    m->end = num_suffix(s, n, j);
    return true;
}

bool nlp_social_match(const char *s, size_t n, size_t i, size_t lo, struct nlp_match *m)
{
    unsigned char c = (unsigned char)s[i];
    size_t e;
    int fw;

    m->normlen = 0;
    m->start = i;
    if (c >= 0x80) {
        if (c == 0xEF && (fw = nlp_fullwidth_sigil(s, n, i)) != 0)
            return nlp_match_tag(s, n, i, fw, 3, m);
        if (c >= 0xC3 && c < 0xE0) { /* a two-byte letter: only an IDN host starts with one */
            if (!nlp_at_boundary(s, i) || !(e = nlp_match_url(s, n, i)))
                return false;
            m->end = e;
            m->kind = NLP_TOK_URL;
            return true;
        }
        e = match_emoji(s, n, i);
        if (!e)
            return false;
        m->end = e;
        m->kind = NLP_TOK_EMOJI;
        return true;
    }
    if (c == '#' || c == '@') {
        if (c == '#' && nlp_at_boundary(s, i) && (e = match_emoji(s, n, i)) != 0) {
            m->end = e;
            m->kind = NLP_TOK_EMOJI;
            return true;
        }
        return nlp_match_tag(s, n, i, c, 1, m);
    }
    if (c == '$') {
        if (!(e = nlp_match_cashtag(s, n, i, m)))
            return false;
        m->end = e;
        m->kind = NLP_TOK_CASHTAG;
        return true;
    }
    if (!nlp_at_boundary(s, i))
        return false;
    if (nlp_ascii_alnum(c) && (e = nlp_match_url(s, n, i)) != 0) {
        m->end = e;
        m->kind = NLP_TOK_URL;
        return true;
    }
    if (nlp_ascii_digit(c)) {
        if ((e = match_emoji(s, n, i)) != 0) {
            m->end = e;
            m->kind = NLP_TOK_EMOJI;
            return true;
        }
        return match_numeric(s, n, i, lo, m);
    }
    if (c == '*' && (e = match_emoji(s, n, i)) != 0) {
        m->end = e;
        m->kind = NLP_TOK_EMOJI;
        return true;
    }
    return false;
}
