/*
 * test_nlp_stem.c -- the Kazakh suffix stripper, and Snowball Russian and
 * English and light Ukrainian stemming through the analyzer.
 */
#include <string.h>

#include "nlp.h"
#include "nlp_test.h" /* the Kazakh stemmer and its tables, checked directly */
#include "tap.h"

static struct nlp_analyzer *an;

static void kk(const char *word, const char *want)
{
    int32_t final;
    size_t n = nlp_stem_kk(word, strlen(word), &final);
    char buf[128];

    memcpy(buf, word, n);
    if (final)
        n = n - 2 + nlp_utf8_put(buf + n - 2, final);
    buf[n] = '\0';
    CHECK_EQ_STR(buf, want);
}

static void test_tables(void)
{
    CHECK_EQ_INT(nlp_stem_kk_check_tables(), 0);
}

static void test_kazakh(void)
{
    /* plural, possessive, case, in their harmony and assimilation variants */
    kk("балалар", "бала");
    kk("мектептер", "мектеп");
    kk("қыздар", "қыз");
    kk("адамдар", "адам");
    kk("кітаптар", "кітап");
    kk("балаларымызға", "бала");
    kk("қалаларда", "қала");
    kk("қаласының", "қала");
    kk("адамдардан", "адам");
    kk("досымның", "дос");
    kk("мектептегі", "мектеп");
    kk("алаңға", "алаң");
    kk("митингке", "митинг");
    kk("үйге", "үйге"); /* root would be shorter than three letters */
    kk("жаңаөзенде", "жаңаөзен");
    kk("елдің", "елдің");
    kk("халықтың", "халық");
    kk("қазақстандықтар", "қазақстандық");
    kk("қазақстанда", "қазақстан");
    /* voicing: кітаб-ы -> кітап */
    kk("кітабым", "кітап");
    /* verbs of calls to action */
    kk("шығайық", "шық");
    kk("жиналамыз", "жинал");
    kk("келіңіздер", "кел");
    kk("барамын", "бар");
    kk("айтты", "айт");
    kk("ұнады", "ұна");
    kk("барғанда", "бар");
    kk("жиналған", "жинал");
    /* one possessive per word: басшы-сы, not басш */
    kk("басшысы", "басшы");
    kk("қаладасың", "қала"); /* personal ending after case */
    /* protected words that merely end like a suffix */
    kk("білім", "білім");
    kk("жақсы", "жақсы");
    kk("ертең", "ертең");
    kk("сенбі", "сенбі");
    kk("алматы", "алматы");
    kk("ереуіл", "ереуіл");
    /* vowel harmony: a front suffix is not cut from a back root */
    kk("қалаге", "қалаге");
}

static void stem_in(const char *text, const char *surface, const char *want)
{
    struct nlp_doc d;
    int found = 0;

    CHECK_EQ_INT(nlp_analyze(an, text, strlen(text), NLP_LANG_UND, &d), 0);
    for (size_t i = 0; i < d.ntokens; i++) {
        const struct nlp_token *t = &d.tokens[i];
        if (t->surface.n == strlen(surface) && memcmp(t->surface.p, surface, t->surface.n) == 0) {
            CHECK_EQ_MEM(t->stem.p, t->stem.n, want);
            found = 1;
        }
    }
    CHECK(found);
}

static void test_other_languages(void)
{
    stem_in("Митинги и митингующих на площадях", "митингующих", "митинг");
    stem_in("Митинги и митингующих на площадях", "площадях", "площад");
    stem_in("Protesters gathered peacefully in the square", "Protesters", "protest");
    stem_in("Protesters gathered peacefully in the square", "gathered", "gather");
    stem_in("Українці виходять на протести", "протести", "протест");
    stem_in("Біз ертең алаңға шығамыз", "шығамыз", "шық");
    /* hyphenated compounds stem their last part */
    stem_in("Қызыл-Орда қаласында", "Қызыл-Орда", "қызыл-орда");
    stem_in("Z-патриоты вышли снова", "Z-патриоты", "z-патриот");
    /* numbers, URLs, emoji keep their norm as stem */
    stem_in("ереуіл 2026 https://t.me/x", "https://t.me/x", "https://t.me/x");
}

/* A word seen twice (served from the word cache) stems the same. */
static void test_cache_consistency(void)
{
    const char *s = "балаларымызға балаларымызға Балаларымызға";
    struct nlp_doc d;

    CHECK_EQ_INT(nlp_analyze(an, s, strlen(s), NLP_LANG_KK, &d), 0);
    CHECK_EQ_INT(d.ntokens, 3);
    for (size_t i = 0; i < d.ntokens; i++)
        CHECK_EQ_MEM(d.tokens[i].stem.p, d.tokens[i].stem.n, "бала");
    CHECK_EQ_INT(nlp_analyze(an, s, strlen(s), NLP_LANG_KK, &d), 0);
    for (size_t i = 0; i < d.ntokens; i++)
        CHECK_EQ_MEM(d.tokens[i].stem.p, d.tokens[i].stem.n, "бала");
}

int main(void)
{
    char err[256];

    if (nlp_analyzer_new(NULL, &an, err, sizeof(err)) != 0) {
        fprintf(stderr, "analyzer: %s\n", err);
        return 1;
    }
    RUN(test_tables);
    RUN(test_kazakh);
    RUN(test_other_languages);
    RUN(test_cache_consistency);
    nlp_analyzer_free(an);
    return TAP_DONE();
}
