/*
 * test_nlp_tokenize.c -- social tokens, ICU words, spans, hyphens, apostrophes.
 *
 * Cases analyse sentences of our own and check kinds, normalized forms and
 * byte spans of the tokens that matter; invariant checks run over every case
 * (spans inside the text, in order, surface == text[start, end)).  The
 * golden files (test_nlp_golden.c) pin the full token streams; this file
 * states the rules one by one, so a failure names the rule it broke.
 */
#include <stdlib.h>
#include <string.h>

#include "nlp.h"
#include "nlp_test.h" /* nlp_segment_gap: the fast segmenter against ICU */
#include "tap.h"

static struct nlp_analyzer *an;

static const struct nlp_token *find(const struct nlp_doc *d, const char *surface)
{
    for (size_t i = 0; i < d->ntokens; i++)
        if (d->tokens[i].surface.n == strlen(surface) &&
            memcmp(d->tokens[i].surface.p, surface, d->tokens[i].surface.n) == 0)
            return &d->tokens[i];
    return NULL;
}

/* Spans lie inside the text, surfaces are the spanned bytes, starts never
 * go backwards except for the words of a hashtag, which nest inside it. */
static void check_invariants(const char *text, size_t len, const struct nlp_doc *d)
{
    uint32_t last_start = 0, outer_end = 0;

    for (size_t i = 0; i < d->ntokens; i++) {
        const struct nlp_token *t = &d->tokens[i];
        CHECK(t->start < t->end);
        CHECK(t->end <= len);
        CHECK(t->surface.p == text + t->start);
        CHECK(t->surface.n == t->end - t->start);
        CHECK(t->norm.n > 0 && t->norm.p != NULL);
        CHECK(t->stem.n > 0 && t->stem.p != NULL);
        if (t->flags & NLP_TOKF_HASHTAG_PART) {
            CHECK(t->end <= outer_end);
        } else {
            CHECK(t->start >= last_start);
            CHECK(t->start >= outer_end || i == 0);
            outer_end = t->end;
        }
        last_start = t->start;
    }
}

static struct nlp_doc analyse(const char *s)
{
    struct nlp_doc d;

    CHECK_EQ_INT(nlp_analyze(an, s, strlen(s), NLP_LANG_UND, &d), 0);
    check_invariants(s, strlen(s), &d);
    return d;
}

#define EXPECT(d, surface, kind_, norm_)                                                           \
    do {                                                                                           \
        const struct nlp_token *t_ = find(&(d), surface);                                          \
        CHECK(t_ != NULL);                                                                         \
        if (t_) {                                                                                  \
            CHECK_EQ_STR(nlp_kind_name(t_->kind), nlp_kind_name(kind_));                           \
            CHECK_EQ_MEM(t_->norm.p, t_->norm.n, norm_);                                           \
        } else {                                                                                   \
            fprintf(stderr, "  missing token \"%s\"\n", surface);                                  \
        }                                                                                          \
    } while (0)

static void test_urls(void)
{
    struct nlp_doc d = analyse("Қараңыз: https://t.me/kzpulse/5, t.me/kzpulse vk.com/id1 "
                               "instagram.com/p/Abc bit.ly/x1 www.Akorda.kz/ru HTTPS://ЕГОВ.kz "
                               "жаз@mail.kz. e.g. т.б.");

    EXPECT(d, "https://t.me/kzpulse/5", NLP_TOK_URL, "https://t.me/kzpulse/5");
    EXPECT(d, "t.me/kzpulse", NLP_TOK_URL, "t.me/kzpulse");
    EXPECT(d, "vk.com/id1", NLP_TOK_URL, "vk.com/id1");
    EXPECT(d, "instagram.com/p/Abc", NLP_TOK_URL, "instagram.com/p/Abc");
    EXPECT(d, "bit.ly/x1", NLP_TOK_URL, "bit.ly/x1");
    EXPECT(d, "www.Akorda.kz/ru", NLP_TOK_URL, "www.akorda.kz/ru");
    CHECK(find(&d, "e.g") != NULL && find(&d, "e.g")->kind == NLP_TOK_WORD);
    CHECK(find(&d, "т.б") != NULL && find(&d, "т.б")->kind == NLP_TOK_WORD);
}

static void test_mentions_hashtags(void)
{
    struct nlp_doc d = analyse("@user_kz @Nur.Otan #СлаваУкраїні #Жаңаөзен_ереуіл #NoWar2026 "
                               "#1 a#b x@y");
    const struct nlp_token *t;

    EXPECT(d, "@user_kz", NLP_TOK_MENTION, "@user_kz");
    EXPECT(d, "@Nur.Otan", NLP_TOK_MENTION, "@nur.otan");
    EXPECT(d, "#СлаваУкраїні", NLP_TOK_HASHTAG, "#славаукраїні");
    EXPECT(d, "Слава", NLP_TOK_WORD, "слава");
    EXPECT(d, "Україні", NLP_TOK_WORD, "україні");
    t = find(&d, "Україні");
    CHECK(t && (t->flags & NLP_TOKF_HASHTAG_PART));
    EXPECT(d, "Жаңаөзен", NLP_TOK_WORD, "жаңаөзен");
    EXPECT(d, "ереуіл", NLP_TOK_WORD, "ереуіл");
    EXPECT(d, "War", NLP_TOK_WORD, "war");
    EXPECT(d, "2026", NLP_TOK_NUMBER, "2026");
    CHECK(find(&d, "#1") == NULL);
    CHECK(find(&d, "#b") == NULL);
    CHECK(find(&d, "@y") == NULL);
    /* a tag needs a letter; a name may start with a digit */
    d = analyse("#_ @_ @2gis #2026жыл");
    CHECK(find(&d, "#_") == NULL);
    CHECK(find(&d, "@_") == NULL);
    EXPECT(d, "@2gis", NLP_TOK_MENTION, "@2gis");
    EXPECT(d, "#2026жыл", NLP_TOK_HASHTAG, "#2026жыл");
}

static void test_emoji(void)
{
    struct nlp_doc d =
        analyse("🇰🇿🇺🇦 👍🏽 👨‍👩‍👧 ❤️ 1️⃣ ✊🏿✊");
    const struct nlp_token *t;

    EXPECT(d, "🇰🇿", NLP_TOK_EMOJI, "🇰🇿");
    EXPECT(d, "🇺🇦", NLP_TOK_EMOJI, "🇺🇦");
    EXPECT(d, "👍🏽", NLP_TOK_EMOJI, "👍🏽");
    t = find(&d, "👍🏽");
    CHECK(t && t->stem.n == strlen("👍") && memcmp(t->stem.p, "👍", t->stem.n) == 0);
    EXPECT(d, "👨‍👩‍👧", NLP_TOK_EMOJI, "👨‍👩‍👧");
    EXPECT(d, "❤️", NLP_TOK_EMOJI, "❤");
    EXPECT(d, "1️⃣", NLP_TOK_EMOJI, "1⃣");
    EXPECT(d, "✊🏿", NLP_TOK_EMOJI, "✊🏿");
    EXPECT(d, "✊", NLP_TOK_EMOJI, "✊");
    CHECK_EQ_INT(d.ntokens, 8);
}

static void test_times_dates_numbers(void)
{
    struct nlp_doc d = analyse("ертең 12:00-де, 12.00, сағат 12-де, в 11 часов, 9.30 "
                               "05.03.2026, 5 марта, 8 наурызда, 16 желтоқсан 2025, 2026-03-08, "
                               "at 5 pm, 3.14, 1 000, 2026-жылы");

    EXPECT(d, "12:00-де", NLP_TOK_TIME, "12:00");
    EXPECT(d, "12.00", NLP_TOK_TIME, "12:00");
    EXPECT(d, "сағат 12-де", NLP_TOK_TIME, "12:00");
    EXPECT(d, "в 11 часов", NLP_TOK_TIME, "11:00");
    EXPECT(d, "9.30", NLP_TOK_TIME, "09:30");
    EXPECT(d, "05.03.2026", NLP_TOK_DATE, "2026-03-05");
    EXPECT(d, "5 марта", NLP_TOK_DATE, "03-05");
    EXPECT(d, "8 наурызда", NLP_TOK_DATE, "03-08");
    EXPECT(d, "16 желтоқсан 2025", NLP_TOK_DATE, "2025-12-16");
    EXPECT(d, "2026-03-08", NLP_TOK_DATE, "2026-03-08");
    EXPECT(d, "at 5 pm", NLP_TOK_TIME, "17:00");
    EXPECT(d, "3.14", NLP_TOK_NUMBER, "3.14");
    EXPECT(d, "2026-жылы", NLP_TOK_NUMBER, "2026");
}

/* A part of the day moves a clock hour to the 24-hour clock: Russian words
 * after the time ("в 7 вечера", "в 6 часов утра"), Kazakh words before it
 * ("кешкі сағат 7-де", "таңғы 9-да", "вечером в 7"), English am/pm; the token spans them
 * ("в" before a clock time with minutes stays a word, as elsewhere). */
static void test_times_part_of_day(void)
{
    struct nlp_doc d = analyse("в 7 вечера, в 3 дня, в 12 дня, в 11 утра, в 2 ночи, в 11 ночи, "
                               "в 12 ночи, в 7 часов вечера, в 6 часов утра, в 7:30 вечера, "
                               "19:00 вечера, 18.30 вечера, кешкі сағат 7-де, таңғы 9-да, "
                               "түскі 2-де, түнгі 11-де, кешке 8-де, keshki saghat 6-da, "
                               "at 12 pm, at 12 am, 7pm, Saǵat 10-da");

    EXPECT(d, "в 7 вечера", NLP_TOK_TIME, "19:00");
    EXPECT(d, "в 3 дня", NLP_TOK_TIME, "15:00");
    EXPECT(d, "в 12 дня", NLP_TOK_TIME, "12:00");
    EXPECT(d, "в 11 утра", NLP_TOK_TIME, "11:00");
    EXPECT(d, "в 2 ночи", NLP_TOK_TIME, "02:00");
    EXPECT(d, "в 11 ночи", NLP_TOK_TIME, "23:00");
    EXPECT(d, "в 12 ночи", NLP_TOK_TIME, "00:00");
    EXPECT(d, "в 7 часов вечера", NLP_TOK_TIME, "19:00");
    EXPECT(d, "в 6 часов утра", NLP_TOK_TIME, "06:00");
    EXPECT(d, "7:30 вечера", NLP_TOK_TIME, "19:30");
    EXPECT(d, "19:00 вечера", NLP_TOK_TIME, "19:00");
    EXPECT(d, "18.30 вечера", NLP_TOK_TIME, "18:30");
    EXPECT(d, "кешкі сағат 7-де", NLP_TOK_TIME, "19:00");
    EXPECT(d, "таңғы 9-да", NLP_TOK_TIME, "09:00");
    EXPECT(d, "түскі 2-де", NLP_TOK_TIME, "14:00");
    EXPECT(d, "түнгі 11-де", NLP_TOK_TIME, "23:00");
    EXPECT(d, "кешке 8-де", NLP_TOK_TIME, "20:00");
    EXPECT(d, "keshki saghat 6-da", NLP_TOK_TIME, "18:00");
    EXPECT(d, "Saǵat 10-da", NLP_TOK_TIME, "10:00"); /* the 2021 Latin alphabet */
    EXPECT(d, "at 12 pm", NLP_TOK_TIME, "12:00");
    EXPECT(d, "at 12 am", NLP_TOK_TIME, "00:00");
    EXPECT(d, "7pm", NLP_TOK_TIME, "19:00");
    d = analyse("сегодня вечером в 7 у акимата, утром в 9:30, ночью в 11, днём в 2 часа, "
                "вечером в 8:30 на площади, утром в 2 раза больше");
    EXPECT(d, "вечером в 7", NLP_TOK_TIME, "19:00");
    EXPECT(d, "утром в 9:30", NLP_TOK_TIME, "09:30");
    EXPECT(d, "ночью в 11", NLP_TOK_TIME, "23:00");
    EXPECT(d, "днём в 2 часа", NLP_TOK_TIME, "14:00");
    EXPECT(d, "вечером в 8:30", NLP_TOK_TIME, "20:30");
    EXPECT(d, "2", NLP_TOK_NUMBER, "2"); /* "в 2 раза": twice */
    d = analyse("9 вечеров, дня 3");
    /* not a part of the day: a plural noun, and a word before a bare number */
    EXPECT(d, "9", NLP_TOK_NUMBER, "9");
    EXPECT(d, "вечеров", NLP_TOK_WORD, "вечеров");
    EXPECT(d, "3", NLP_TOK_NUMBER, "3");
}

static void test_hyphens_apostrophes(void)
{
    struct nlp_doc d = analyse("Z-патриоты көп-көп кто-то - тире — Qazaqstan'da s'ygys a'ke "
                               "men bas' it's Don’t");

    EXPECT(d, "Z-патриоты", NLP_TOK_WORD, "z-патриоты");
    EXPECT(d, "көп-көп", NLP_TOK_WORD, "көп-көп");
    EXPECT(d, "кто-то", NLP_TOK_WORD, "кто-то");
    EXPECT(d, "тире", NLP_TOK_WORD, "тире");
    CHECK(find(&d, "-") == NULL);
    CHECK(find(&d, "Qazaqstan'da") != NULL);
    CHECK(find(&d, "s'ygys") != NULL);
    CHECK(find(&d, "bas'") != NULL); /* the 2017 "s'" at a word's end */
    CHECK(find(&d, "Don’t") != NULL);
}

static void test_zero_width_and_splits(void)
{
    struct nlp_doc d = analyse("ми\xE2\x80\x8Bтинг бү\xC2\xADгін Алаңға.Ертең Алматы:ертең");

    EXPECT(d, "ми\xE2\x80\x8Bтинг", NLP_TOK_WORD, "митинг");
    EXPECT(d, "бү\xC2\xADгін", NLP_TOK_WORD, "бүгін");
    EXPECT(d, "Алаңға", NLP_TOK_WORD, "алаңға");
    EXPECT(d, "Ертең", NLP_TOK_WORD, "ертең");
    EXPECT(d, "Алматы", NLP_TOK_WORD, "алматы");
    EXPECT(d, "ертең", NLP_TOK_WORD, "ертең");
}

static void test_spans(void)
{
    const char *s = "Ертең 12:00-де алаңға! #Жаңаөзен";
    struct nlp_doc d = analyse(s);

    CHECK(d.ntokens >= 5);
    CHECK_EQ_INT(d.tokens[0].start, 0);
    CHECK_EQ_INT(d.tokens[0].end, strlen("Ертең"));
    CHECK_EQ_INT(d.tokens[1].start, strlen("Ертең "));
    CHECK_EQ_INT(d.tokens[d.ntokens - 1].end, strlen(s));
}

static void test_empty_and_invalid(void)
{
    struct nlp_doc d;
    const char bad[] = "бар\xFF\xFEжоқ \xC3\x28 \xED\xA0\x80 \xF4\x90\x80\x80 \xC0\xAF ok";

    CHECK_EQ_INT(nlp_analyze(an, "", 0, NLP_LANG_UND, &d), 0);
    CHECK_EQ_INT(d.ntokens, 0);
    CHECK_EQ_INT(d.lang, NLP_LANG_UND);
    CHECK_EQ_INT(nlp_analyze(an, NULL, 0, NLP_LANG_UND, &d), 0);
    CHECK_EQ_INT(d.ntokens, 0);
    CHECK_EQ_INT(nlp_analyze(an, "   \n\t ", 7, NLP_LANG_UND, &d), 0);
    CHECK_EQ_INT(d.ntokens, 0);
    CHECK_EQ_INT(nlp_analyze(an, bad, sizeof(bad) - 1, NLP_LANG_UND, &d), 0);
    check_invariants(bad, sizeof(bad) - 1, &d);
    CHECK(find(&d, "бар") != NULL);
    CHECK(find(&d, "жоқ") != NULL);
    CHECK(find(&d, "ok") != NULL);
    /* Embedded NUL bytes are separators, not terminators. */
    CHECK_EQ_INT(nlp_analyze(an, "аб\0вг", 9, NLP_LANG_UND, &d), 0);
    CHECK_EQ_INT(d.ntokens, 2);
}

static void test_one_megabyte(void)
{
    const char *unit = "Ертең сағат 12:00-де алаңға шығайық! #Жаңаөзен @user_kz "
                       "https://t.me/x/1 🇰🇿 Митинг жақсы. ";
    size_t ul = strlen(unit), reps = (1 << 20) / ul + 1, len = ul * reps;
    char *text = malloc(len);
    struct nlp_config cfg;
    struct nlp_analyzer *big;
    struct nlp_doc d;
    char err[128];

    CHECK(text != NULL);
    if (!text)
        return;
    for (size_t i = 0; i < reps; i++)
        memcpy(text + i * ul, unit, ul);
    /* The default keeps 65536 tokens; a raised limit keeps them all. */
    CHECK_EQ_INT(nlp_analyze(an, text, len, NLP_LANG_UND, &d), 0);
    CHECK_EQ_INT(d.ntokens, 65536);
    nlp_config_default(&cfg);
    cfg.max_tokens = 1 << 20;
    CHECK_EQ_INT(nlp_analyzer_new(&cfg, &big, err, sizeof(err)), 0);
    CHECK_EQ_INT(nlp_analyze(big, text, len, NLP_LANG_UND, &d), 0);
    CHECK_EQ_INT(d.ntokens, reps * 11);
    CHECK_EQ_INT(d.lang, NLP_LANG_KK);
    check_invariants(text, len, &d);
    nlp_analyzer_free(big);
    free(text);
}

/* A pathological "word" (10 000 ä, or mixed scripts) is kept, not normalized. */
static void test_long_word(void)
{
    size_t n = 20000;
    char *text = malloc(n + 8);
    struct nlp_doc d;

    CHECK(text != NULL);
    if (!text)
        return;
    for (size_t i = 0; i < n; i += 2)
        memcpy(text + i, i % 4 ? "ä" : "\xD0\xB0", 2); /* ä and Cyrillic а alternate */
    CHECK_EQ_INT(nlp_analyze(an, text, n, NLP_LANG_UND, &d), 0);
    CHECK_EQ_INT(d.ntokens, 1);
    if (d.ntokens == 1) {
        CHECK_EQ_INT(d.tokens[0].norm.n, n);
        CHECK_EQ_INT(d.tokens[0].script, NLP_SCRIPT_MIXED);
    }
    check_invariants(text, n, &d);
    free(text);
}

/* A second post must not see the first one's tokens or memory. */
static void test_reuse(void)
{
    struct nlp_doc d1, d2;
    char *copy;

    CHECK_EQ_INT(nlp_analyze(an, "бір екі үш", 17, NLP_LANG_UND, &d1), 0);
    CHECK_EQ_INT(d1.ntokens, 3);
    copy = strdup("one two");
    CHECK_EQ_INT(nlp_analyze(an, copy, 7, NLP_LANG_UND, &d2), 0);
    CHECK_EQ_INT(d2.ntokens, 2);
    CHECK_EQ_MEM(d2.tokens[1].norm.p, d2.tokens[1].norm.n, "two");
    free(copy);
}

/*
 * The fast segmenter (tokenize.c) must cut exactly where ICU does and agree
 * on which segments are words, for every string it accepts.  Random strings
 * over its character classes, weighted to the hard cases (mid-word '.', ':',
 * ',', apostrophes between letters and digits, CR LF, runs of spaces).
 */
static int seg_compare(const char *s, size_t n)
{
    size_t e1[512], e2[512], n1, n2;
    bool w1[512], w2[512], fast, fast2;

    CHECK_EQ_INT(nlp_segment_gap(an, s, n, false, e1, w1, 512, &n1, &fast), 0);
    CHECK_EQ_INT(nlp_segment_gap(an, s, n, true, e2, w2, 512, &n2, &fast2), 0);
    CHECK(!fast2);
    if (!fast)
        return 0;
    CHECK_EQ_INT(n1, n2);
    if (n1 != n2 || n1 > 512) {
        fprintf(stderr, "segment count differs on |%.*s|\n", (int)n, s);
        return 1;
    }
    for (size_t i = 0; i < n1; i++) {
        if (e1[i] != e2[i] || w1[i] != w2[i]) {
            fprintf(stderr, "segment %zu differs on |%.*s|: fast %zu/%d, ICU %zu/%d\n", i, (int)n,
                    s, e1[i], w1[i], e2[i], w2[i]);
            CHECK(0);
            return 1;
        }
    }
    return 0;
}

static void test_fast_segmenter(void)
{
    static const char *const alphabet[] = {
        "a",
        "Z",
        "q",
        "д",
        "Ж",
        "ә",
        "Қ",
        "ң",
        "і",
        "ї",
        "ё",
        "é",
        "ğ",
        "ş",
        "ı",
        "ǵ",
        "ә",
        "ә",
        "1",
        "9",
        "0",
        ".",
        ":",
        ",",
        ";",
        "'",
        "\xE2\x80\x99",
        "\xE2\x80\x98",
        " ",
        "  ",
        "\t",
        "\n",
        "\r",
        "\r\n",
        "\v",
        "\f",
        "-",
        "!",
        "?",
        "\"",
        "(",
        ")",
        "/",
        "«",
        "»",
        "\xE2\x80\x94",
        "\xE2\x80\x93",
        "\xE2\x80\xA6",
        "\xE2\x80\x9C",
        "\xE2\x80\x9D",
        "\xE2\x80\x9E",
        "\xC2\xA0",
        "\xE2\x84\x96",
        "%",
        "+",
        "*",
        "&",
        "`",
        "~",
        "#",
        "$",
        "Ѐ",
        "џ",
        "Ѡ",
        "ѿ",
        "Ҋ",
        "ӿ",
        "Ԁ",
        "ԯ",
        "À",
        "ÿ",
        "ɐ",
        "ʯ",
        "\x01",
        "\x7F",
    };
    static const char *const cases[] = {
        "Қазақстан'да s'ózder",
        "e.g. т.б. 1.5 1,5 1;5 a:b a::b",
        "12:00 12.00 1'000",
        "a.1 1.a a1b 1a2 ab.'cd",
        "көп-көп Z-патриоты из-за",
        "«Жаңаөзен» — ереуіл…",
        "\r\n\r\n \t  x",
        "don't rock’n’roll ‘quoted’",
        "№5 а.\u00A0б",
        "",
    };
    uint64_t x = 0x2545F4914F6CDD1Dull;
    char buf[256];
    int bad = 0;

    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++)
        bad += seg_compare(cases[i], strlen(cases[i]));
    for (int iter = 0; iter < 20000 && bad < 5; iter++) {
        size_t n = 0, len;

        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        len = 1 + (size_t)(x % 24);
        for (size_t k = 0; k < len; k++) {
            const char *piece;
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            piece = alphabet[x % KZ_ARRAY_LEN(alphabet)];
            if (n + strlen(piece) >= sizeof(buf))
                break;
            memcpy(buf + n, piece, strlen(piece));
            n += strlen(piece);
        }
        bad += seg_compare(buf, n);
    }
    /* Outside the fast classes the gap goes to ICU. */
    {
        size_t e[8], nseg;
        bool w[8], fast;
        CHECK_EQ_INT(nlp_segment_gap(an, "a\xCC\x81 b", 4, false, e, w, 8, &nseg, &fast), 0);
        CHECK(!fast);
        CHECK_EQ_INT(nlp_segment_gap(an, "ab_c", 4, false, e, w, 8, &nseg, &fast), 0);
        CHECK(!fast);
        CHECK_EQ_INT(nlp_segment_gap(an, "ab c", 4, false, e, w, 8, &nseg, &fast), 0);
        CHECK(fast);
    }
}

/* A gap the fast segmenter starts and cannot finish (a character outside its
 * classes, late): the words it gave are taken back and ICU segments the
 * whole gap, so each word is there once, in order, as ICU cuts it. */
static void test_fast_then_icu(void)
{
    char text[2048];
    size_t n = 0, nw = 0;
    struct nlp_doc d;

    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "сөз%d ", i);
    n += (size_t)snprintf(text + n, sizeof text - n, "\xEF\xAC\x81nal 漢字 соңы");
    CHECK_EQ_INT(nlp_analyze(an, text, n, NLP_LANG_UND, &d), 0);
    for (size_t i = 0; i < d.ntokens; i++) {
        char want[16];
        snprintf(want, sizeof want, "сөз%zu", nw);
        if (d.tokens[i].norm.n == strlen(want) && !memcmp(d.tokens[i].norm.p, want, strlen(want)))
            nw++;
        if (i)
            CHECK(d.tokens[i].start >= d.tokens[i - 1].end);
    }
    CHECK_EQ_INT((int)nw, 60);
    CHECK(d.ntokens >= 63 && d.ntokens <= 64); /* final, 漢字 (one or two), соңы */
    CHECK_EQ_MEM(d.tokens[60].norm.p, d.tokens[60].norm.n, "final");
    CHECK_EQ_MEM(d.tokens[d.ntokens - 1].norm.p, d.tokens[d.ntokens - 1].norm.n, "соңы");
}

/*
 * The scanner's plain words against the segmenter: random texts of Cyrillic
 * and ASCII words (lower and upper case, Kazakh letters, tripled letters,
 * Latin homoglyphs, links and addresses), every separator the shortcut accepts and many it must not
 * (hyphens, apostrophes, dots, colons, digits, '_', '@', '#', guillemets,
 * combining marks, soft hyphens, joiners, CJK, emoji, invalid bytes), and
 * times that reach back over the words before them ("сағат 12:00", "в 11
 * утра"): the same tokens with the shortcut and without it, field by field.
 * Left out: U+0482 (҂), where ICU itself answers by text far away ("сөз҂ "
 * is one word, "сөз҂ мит 中文" two segments), so that where the gaps end
 * decides it.
 */
static void test_plain_words(void)
{
    /* the first six, most often: plain words */
    // clang-format off
    static const char *const piece[] = {
        "сөз", "митинг", "жиналамыз", "алаңға", "hello", "at", "в", "и", "ааа", "ааааа", "Алматы",
        "ЕРТЕҢ", "қала", "әке", "өмір", "ёлка", "мuтинг", "мiтинг", "ѣ", "а\u0483", "е\u0301",
        " ", "  ", ",", ";", "!", "?", "(", ")", "\"", "\n", "\r\n", "\t", "«", "»", "—", "-",
        "'", "’", ".", ":", "...", "_", "@", "#", "$", "12:00", "11", "сағат", "утра", "вечера",
        "2026", "12-де", "19:00-де", "abc", "Hello", "don't", "x.kz", "президент.рф",
        "https://t.me/x", "#тег", "@user", "$USD", "u", "🔥", "\u200d", "\u00ad", "\u00a0", "中文",
        "\xd0", "\xff", "5", "т.б.", "ж.", "7-ші", "Z-патриоты", "сағат 12", "в 11", "the",
        "aaab", "zzz", "10am", "pm", "www.example.com", "name@mail.kz", "http", "https", "t.me",
        "it's"};
    // clang-format on
    struct nlp_analyzer *b;
    char err[256], text[1024];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    int bad = 0;

    if (nlp_analyzer_new(NULL, &b, err, sizeof(err)) != 0) {
        CHECK(0);
        return;
    }
    nlp_test_plain_words(b, false);
    for (int k = 0; k < 40000 && bad < 5; k++) {
        size_t n = 0, np;
        struct nlp_doc d1, d2;

        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        np = 1 + x % 24;
        for (size_t p = 0; p < np; p++) {
            const char *s;
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* plain words and spaces most often, as in posts */
            s = x % 3 == 0   ? piece[x / 3 % 6]
                : x % 3 == 1 ? " "
                             : piece[x / 3 % KZ_ARRAY_LEN(piece)];
            if (n + strlen(s) >= sizeof text)
                break;
            memcpy(text + n, s, strlen(s));
            n += strlen(s);
        }
        if (nlp_analyze(an, text, n, NLP_LANG_UND, &d1) != 0 ||
            nlp_analyze(b, text, n, NLP_LANG_UND, &d2) != 0) {
            CHECK(0);
            break;
        }
        bool same = d1.ntokens == d2.ntokens && d1.lang == d2.lang;
        size_t i = 0;
        for (; same && i < d1.ntokens; i++) {
            const struct nlp_token *t1 = &d1.tokens[i], *t2 = &d2.tokens[i];
            same = t1->start == t2->start && t1->end == t2->end && t1->kind == t2->kind &&
                   t1->script == t2->script && t1->flags == t2->flags && t1->lang == t2->lang &&
                   t1->norm.n == t2->norm.n && !memcmp(t1->norm.p, t2->norm.p, t1->norm.n) &&
                   t1->stem.n == t2->stem.n && !memcmp(t1->stem.p, t2->stem.p, t1->stem.n);
        }
        if (!same) {
            fprintf(stderr, "# differs: \"%.*s\" (%zu and %zu tokens, languages %d and %d)\n",
                    (int)n, text, d1.ntokens, d2.ntokens, d1.lang, d2.lang);
            if (i > 0 && i <= d1.ntokens && i <= d2.ntokens)
                fprintf(stderr,
                        "#   token %zu: \"%.*s\" [%u, %u) %d/%d \"%.*s\" against \"%.*s\" [%u, %u) "
                        "%d/%d \"%.*s\"\n",
                        i - 1, (int)d1.tokens[i - 1].surface.n, d1.tokens[i - 1].surface.p,
                        d1.tokens[i - 1].start, d1.tokens[i - 1].end, d1.tokens[i - 1].kind,
                        d1.tokens[i - 1].lang, (int)d1.tokens[i - 1].stem.n,
                        d1.tokens[i - 1].stem.p, (int)d2.tokens[i - 1].surface.n,
                        d2.tokens[i - 1].surface.p, d2.tokens[i - 1].start, d2.tokens[i - 1].end,
                        d2.tokens[i - 1].kind, d2.tokens[i - 1].lang, (int)d2.tokens[i - 1].stem.n,
                        d2.tokens[i - 1].stem.p);
            bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
    nlp_analyzer_free(b);
}

int main(void)
{
    char err[256];

    if (nlp_analyzer_new(NULL, &an, err, sizeof(err)) != 0) {
        fprintf(stderr, "analyzer: %s\n", err);
        return 1;
    }
    RUN(test_urls);
    RUN(test_mentions_hashtags);
    RUN(test_emoji);
    RUN(test_times_dates_numbers);
    RUN(test_times_part_of_day);
    RUN(test_hyphens_apostrophes);
    RUN(test_zero_width_and_splits);
    RUN(test_spans);
    RUN(test_empty_and_invalid);
    RUN(test_one_megabyte);
    RUN(test_long_word);
    RUN(test_reuse);
    RUN(test_fast_segmenter);
    RUN(test_fast_then_icu);
    RUN(test_plain_words);
    nlp_analyzer_free(an);
    return TAP_DONE();
}
