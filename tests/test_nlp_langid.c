/*
 * test_nlp_langid.c -- script and language of posts and tokens.
 *
 * Our own sentences: Kazakh with and without its special letters and in
 * Latin script, Russian, Ukrainian, English, code-switched posts, and posts
 * with no language at all.  Accuracy on real data is measured, not tested,
 * by bench/langid_eval (figures in bench/README.md).
 */
#include <string.h>

#include "nlp.h"
#include "tap.h"

static struct nlp_analyzer *an;

struct lcase {
    const char *text;
    enum nlp_lang lang;
    enum nlp_script script;
};

static const struct lcase cases[] = {
    /* Kazakh, Cyrillic, with special letters */
    {"Бүгін ауа райы жақсы, балалар далада ойнап жүр.", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    {"Ертең алаңға жиналамыз, бәріңіз келіңіздер!", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    {"Қосымша өте ыңғайлы екен", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    {"Рақмет", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    {"Керемет", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    /* one Kazakh word whose only mark is і, in a Kazakh shape (issue 18) */
    {"Кірпіш", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    {"Жігіт", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    {"Іні", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    {"Ірі", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    /* one Kazakh word with a Kazakh-only suffix or letter */
    {"Білеміз", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    {"Келесіңдер", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    {"Ұят", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    {"Şyndyq", NLP_LANG_KK, NLP_SCRIPT_LATN},
    /* Kazakh typed without special letters */
    {"Жаксы", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    {"рахмет", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    {"керек емес", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    {"Жаксы косымша, рахмет сизге", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    {"Бул жерде жумыс истемейди", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    {"калай ашамын", NLP_LANG_KK, NLP_SCRIPT_CYRL},
    /* Kazakh, Latin script */
    {"Bügin aua raiy jaqsy, balalar dalada oinap jür.", NLP_LANG_KK, NLP_SCRIPT_LATN},
    {"Rahmet, bari jaqsy", NLP_LANG_KK, NLP_SCRIPT_LATN},
    {"Qazaqstan Respy'bli'kasy", NLP_LANG_KK, NLP_SCRIPT_LATN},
    {"jaksy", NLP_LANG_KK, NLP_SCRIPT_LATN},
    {"Men seni jaksy koremin", NLP_LANG_KK, NLP_SCRIPT_LATN},
    /* Russian */
    {"Сегодня хорошая погода, дети играют во дворе.", NLP_LANG_RU, NLP_SCRIPT_CYRL},
    {"Спасибо", NLP_LANG_RU, NLP_SCRIPT_CYRL},
    {"Не поддерживаю эту войну", NLP_LANG_RU, NLP_SCRIPT_CYRL},
    {"Цены растут, зарплаты нет", NLP_LANG_RU, NLP_SCRIPT_CYRL},
    /* Ukrainian */
    {"Сьогодні гарна погода, діти граються на подвір'ї.", NLP_LANG_UK, NLP_SCRIPT_CYRL},
    {"Дякую", NLP_LANG_UK, NLP_SCRIPT_CYRL},
    {"Слава Україні", NLP_LANG_UK, NLP_SCRIPT_CYRL},
    {"Привіт", NLP_LANG_UK, NLP_SCRIPT_CYRL},
    {"Ліс", NLP_LANG_UK, NLP_SCRIPT_CYRL},
    {"Кіт", NLP_LANG_UK, NLP_SCRIPT_CYRL},
    {"Сніг", NLP_LANG_UK, NLP_SCRIPT_CYRL},
    {"Пісні", NLP_LANG_UK, NLP_SCRIPT_CYRL},
    {"Ми не здамося, бо це наша земля", NLP_LANG_UK, NLP_SCRIPT_CYRL},
    /* English */
    {"The weather is nice today and the children play outside.", NLP_LANG_EN, NLP_SCRIPT_LATN},
    {"Thanks", NLP_LANG_EN, NLP_SCRIPT_LATN},
    {"Stop the war", NLP_LANG_EN, NLP_SCRIPT_LATN},
    /* Code switching */
    {"Сегодня бүгін барамыз митингке, потом посмотрим что будет дальше, бәрі жақсы "
     "болады",
     NLP_LANG_MIXED, NLP_SCRIPT_CYRL},
    {"Бүгін жиналыс болады, we will stream it live on our channel tonight for everyone",
     NLP_LANG_MIXED, NLP_SCRIPT_MIXED},
    /* No language */
    {"12345 !!! ...", NLP_LANG_UND, NLP_SCRIPT_NONE},
    {"🇰🇿🇰🇿🇰🇿", NLP_LANG_UND, NLP_SCRIPT_NONE},
    {"", NLP_LANG_UND, NLP_SCRIPT_NONE},
};

static void test_posts(void)
{
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        struct nlp_doc d;
        const struct lcase *c = &cases[i];
        int before = tap_failed;

        CHECK_EQ_INT(nlp_analyze(an, c->text, strlen(c->text), NLP_LANG_UND, &d), 0);
        CHECK_EQ_STR(nlp_lang_name(d.lang), nlp_lang_name(c->lang));
        CHECK_EQ_STR(nlp_script_name(d.script), nlp_script_name(c->script));
        CHECK(d.lang_confidence >= 0 && d.lang_confidence <= 1);
        if (tap_failed != before)
            fprintf(stderr, "  in \"%s\"\n", c->text);
    }
}

static void test_tokens(void)
{
    const char *s = "Сегодня бүгін барамыз митингке, потом посмотрим что будет дальше";
    struct nlp_doc d;

    CHECK_EQ_INT(nlp_analyze(an, s, strlen(s), NLP_LANG_UND, &d), 0);
    CHECK(d.ntokens == 9);
    if (d.ntokens != 9)
        return;
    CHECK_EQ_STR(nlp_lang_name(d.tokens[0].lang), "ru");
    CHECK_EQ_STR(nlp_lang_name(d.tokens[1].lang), "kk");
    CHECK_EQ_STR(nlp_lang_name(d.tokens[2].lang), "kk");
    CHECK_EQ_STR(nlp_lang_name(d.tokens[6].lang), "ru");
    CHECK_EQ_STR(nlp_script_name(d.tokens[0].script), "cyrl");
}

/* The source's claim decides only when the text cannot. */
static void test_hint(void)
{
    struct nlp_doc d;

    CHECK_EQ_INT(nlp_analyze(an, "Алматы", 12, NLP_LANG_KK, &d), 0);
    CHECK_EQ_INT(d.lang, NLP_LANG_KK);
    CHECK_EQ_INT(nlp_analyze(an, "Спасибо", 14, NLP_LANG_KK, &d), 0);
    CHECK_EQ_INT(d.lang, NLP_LANG_RU);
    CHECK_EQ_INT(nlp_analyze(an, "123", 3, NLP_LANG_EN, &d), 0);
    CHECK_EQ_INT(d.lang, NLP_LANG_EN);
}

/* A post is analysed the same whether its words are new to the analyzer or
 * remembered by its word cache: the first analysis of each case, in a new
 * analyzer, against a second one that finds every word cached (a researcher's
 * replay must not depend on which posts came before).  Before the cache's
 * scores were used on a miss too, a fresh score was a float and a cached one
 * rounded to 1/64, and the same line of the generated corpus came out kk,
 * then en. */
static void test_cache_same(void)
{
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        struct nlp_analyzer *fresh;
        struct nlp_doc d1, d2;
        enum nlp_lang tl[64];
        char err[256];
        const char *t = cases[i].text;
        float conf;
        enum nlp_lang lang;

        if (nlp_analyzer_new(NULL, &fresh, err, sizeof(err)) != 0) {
            CHECK(0);
            return;
        }
        CHECK_EQ_INT(nlp_analyze(fresh, t, strlen(t), NLP_LANG_UND, &d1), 0);
        lang = d1.lang;
        conf = d1.lang_confidence;
        for (size_t k = 0; k < d1.ntokens && k < 64; k++)
            tl[k] = d1.tokens[k].lang;
        CHECK_EQ_INT(nlp_analyze(fresh, t, strlen(t), NLP_LANG_UND, &d2), 0);
        CHECK_EQ_INT(d2.lang, lang);
        CHECK(d2.lang_confidence == conf);
        if (d2.lang_confidence != conf)
            fprintf(stderr, "  confidence %.9g then %.9g in \"%s\"\n", (double)conf,
                    (double)d2.lang_confidence, t);
        for (size_t k = 0; k < d2.ntokens && k < 64; k++)
            CHECK_EQ_INT(d2.tokens[k].lang, tl[k]);
        nlp_analyzer_free(fresh);
    }
}

int main(void)
{
    char err[256];

    if (nlp_analyzer_new(NULL, &an, err, sizeof(err)) != 0) {
        fprintf(stderr, "analyzer: %s\n", err);
        return 1;
    }
    RUN(test_posts);
    RUN(test_tokens);
    RUN(test_hint);
    RUN(test_cache_same);
    nlp_analyzer_free(an);
    return TAP_DONE();
}
