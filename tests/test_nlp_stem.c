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
    char buf[128];
    size_t n = nlp_stem_kk(word, strlen(word), buf, sizeof(buf) - 1);

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
    kk("адамдармен", "адам"); /* the instrumental has no harmony */
    kk("досымның", "дос");
    kk("досыма", "дос"); /* dative -а after the possessive -м */
    kk("мектептегі", "мектеп");
    kk("алаңға", "алаң");
    kk("митингке", "митинг");
    kk("банкке", "банк"); /* a back loan in к takes front endings */
    kk("флагтар", "флаг");
    kk("жаңаөзенде", "жаңаөзен");
    kk("халықтың", "халық");
    kk("қазақстандықтар", "қазақстандық");
    kk("қазақстанда", "қазақстан");
    kk("ойымдағыдай", "ой");
    kk("қазақпыз", "қазақ"); /* predicative person */
    kk("мұғаліммін", "мұғалім");
    /* a root of one syllable may have two letters, if it ends in a consonant */
    kk("үйге", "үй");
    kk("елдің", "ел");
    kk("ұлты", "ұлт"); /* not ұл-ты: -ты only after a voiceless consonant */
    /* one possessive per word: басшы-сы, not басш; жұмыс-ы, not жұмы-сы */
    kk("басшысы", "басшы");
    kk("жұмысы", "жұмыс");
    kk("облысы", "облыс");
    kk("қаладасың", "қала"); /* personal ending after case */
    /* pronouns whose root changes */
    kk("маған", "мен");
    kk("оның", "ол");
}

static void test_kazakh_verbs(void)
{
    /* tense and aspect: past, present, participles, converb, aorist, intent */
    kk("айтты", "айт");
    kk("ұнады", "ұна");  /* past -ды, not ұн-ады: no verb ұн */
    kk("барады", "бар"); /* present -а-ды after a listed root */
    kk("барғанда", "бар");
    kk("жиналған", "жина");
    kk("алғаныма", "ал");
    kk("болатын", "бол");
    kk("ойнайтын", "ойна");
    kk("жазып", "жаз");
    kk("ойлап", "ойла");
    kk("айтар", "айт");
    kk("бармақ", "бар");
    kk("жазыпты", "жаз");
    kk("келгенше", "кел");
    kk("келгелі", "кел");
    kk("болғандықтан", "бол");
    kk("бармақшы", "бар");
    kk("болғай", "бол");
    kk("тоғай", "тоғай"); /* a forest, not то-ғай */
    kk("келе", "кел");    /* converb -е after a verb root */
    /* person */
    kk("барамын", "бар");
    kk("жиналамыз", "жина");
    kk("ойнаймын", "ойна");
    kk("келдім", "кел");
    kk("алдық", "ал");
    kk("келдіңіз", "кел");
    kk("жатырмын", "жат");
    kk("отырмыз", "отыр"); /* отыр is a root, not от-ыр */
    kk("тұрсың", "тұр");
    kk("жүрміз", "жүр");
    kk("аласыз", "ал");
    /* mood: conditional, imperative, desiderative */
    kk("болса", "бол");
    kk("алсаңыздар", "ал");
    kk("берсін", "бер");
    kk("шығайық", "шық");
    kk("келіңіздер", "кел");
    kk("ойнаңдар", "ойна");
    kk("қосыңыздаршы", "қос");
    kk("сөйлесейін", "сөйле");
    kk("айтқым", "айт");
    /* negation */
    kk("ұнамады", "ұна");
    kk("келмейді", "кел");
    kk("алмай", "ал");
    kk("шықпайды", "шық");
    kk("болмаса", "бол");
    kk("жазбайды", "жаз");
    /* voice: passive, reflexive, reciprocal; causative */
    kk("жазылды", "жаз");
    kk("айтылған", "айт");
    kk("жасалды", "жаса");
    kk("салынды", "сал");
    kk("сөйлесіп", "сөйле");
    kk("кеңесті", "кеңес"); /* no reciprocal under -ті, which may be the accusative */
    kk("жеткізді", "жет");
    kk("жүргізілді", "жүр");
    kk("өлтірді", "өл");
    kk("бітірді", "біт");
    kk("оқытады", "оқы");
    /* verbal nouns */
    kk("жазу", "жаз");
    kk("алуға", "ал");
    kk("келуі", "кел");
    kk("жазушылар", "жаз");
    kk("сайлау", "сайла");
}

static void test_kazakh_alternations(void)
{
    /* voicing: кітаб-ы -> кітап, жүрег-і -> жүрек, тарағ-ы -> тарақ */
    kk("кітабы", "кітап");
    kk("кітабым", "кітап");
    kk("жүрегі", "жүрек");
    kk("тарағы", "тарақ");
    kk("табылды", "тап");
    kk("тауып", "тап");
    /* a dropped high vowel comes back */
    kk("аузы", "ауыз");
    kk("орны", "орын");
    kk("орнына", "орын");
    kk("халқы", "халық");
    kk("ерні", "ерін");
    kk("қорқады", "қорық");
    /* й, и hidden in я, ю, и */
    kk("қояды", "қой");
    kk("қою", "қой");
    kk("оқиды", "оқы");
}

static void test_kazakh_guards(void)
{
    /* protected words that merely end like a suffix */
    kk("білім", "білім");
    kk("жақсы", "жақсы");
    kk("ертең", "ертең");
    kk("сенбі", "сенбі");
    kk("алматы", "алматы");
    kk("ереуіл", "ереуіл");
    kk("кітап", "кітап");
    kk("жағдай", "жағдай");
    /* vowel harmony: a front suffix is not cut from a back root */
    kk("қалаге", "қалаге");
    /* a root of one syllable must end in a consonant: су-ы, бо-л */
    kk("суы", "суы");
    kk("болды", "бол");
    /* inner verbal suffixes only after a verbal one */
    kk("жиналыс", "жиналыс");
    kk("жиналысқа", "жиналыс");
    kk("бағдарлама", "бағдарлама");
    kk("ойынды", "ойын");   /* not о-й-ын: -ын is passive only after л */
    kk("ауылды", "ауыл");   /* not ау-ыл: ау is no verb root */
    kk("уақытты", "уақыт"); /* not уақы-т: no causative under -ты */
    /* endings nouns share only where the root can be a verb */
    kk("базар", "базар");
    kk("үлкен", "үлкен"); /* a verbal suffix leaves a listed verb if short: no үл-кен */
    kk("нәрсе", "нәрсе");
    kk("жұмысшы", "жұмысшы"); /* agent noun, not imperative -шы */
    kk("қазақстандық", "қазақстандық");
    kk("жарнамасыз", "жарнамасыз");
    kk("ғажап", "ғажап");  /* converb -п only after а/е behind л д т н р с, or ы/і */
    kk("ұқсайды", "ұқса"); /* conditional -са ends a word: no ұқ-са-йды */
    kk("ойыны", "ойын");   /* a nominal ending leaving a protected word wins */
    kk("беріңіз", "бер");  /* ... but not one that may be verbal (бері-ңіз) */
    kk("дайын", "дайын");
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
    /* a converb -а/-е/-й before the auxiliaries жатыр, отыр, тұр, жүр */
    stem_in("Біз алаңға бара жатырмыз", "бара", "бар");
    stem_in("Балалар ойнай жатыр", "ойнай", "ойна");
    stem_in("Ол күле тұрды", "күле", "күл");
    stem_in("Ол сөйлей отырып", "сөйлей", "сөйле");
    stem_in("Бала жатыр", "Бала", "бала"); /* a protected noun stays */
    stem_in("Олар алаңға жинала жатыр", "жинала", "жина");
    stem_in("Кеме тұр", "Кеме", "кеме");     /* кем is no verb root */
    stem_in("Олар ойнай", "ойнай", "ойнай"); /* no auxiliary: could be a noun */
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

/* One form stemmed in turn as Kazakh, Russian, Ukrainian and English (a
 * cache entry keeps a second language's stem beside the first): each answer
 * equals a new analyzer's. */
static void test_cache_languages(void)
{
    static const char *const words[] = {"митингке",   "законами",  "балаларымызға", "кітабы",
                                        "протестами", "жиналамыз", "working",       "свободу"};
    static const enum nlp_lang seq[] = {NLP_LANG_KK, NLP_LANG_RU, NLP_LANG_KK, NLP_LANG_RU,
                                        NLP_LANG_EN, NLP_LANG_KK, NLP_LANG_UK, NLP_LANG_RU,
                                        NLP_LANG_KK, NLP_LANG_EN, NLP_LANG_RU, NLP_LANG_KK};

    for (size_t w = 0; w < KZ_ARRAY_LEN(words); w++) {
        for (size_t k = 0; k < KZ_ARRAY_LEN(seq); k++) {
            struct nlp_analyzer *fresh;
            struct kz_str got, want;
            char err[256], keep[128];

            CHECK_EQ_INT(nlp_stem_word(an, words[w], strlen(words[w]), seq[k], &got), 0);
            snprintf(keep, sizeof keep, "%.*s", (int)got.n, got.p);
            if (nlp_analyzer_new(NULL, &fresh, err, sizeof(err)) != 0) {
                CHECK(0);
                return;
            }
            CHECK_EQ_INT(nlp_stem_word(fresh, words[w], strlen(words[w]), seq[k], &want), 0);
            CHECK_EQ_MEM(want.p, want.n, keep);
            nlp_analyzer_free(fresh);
        }
    }
}

/*
 * Three forms that share a pair of word-cache slots, in one post: the third
 * takes the slot of the first, which language ID had looked up for the
 * first's tokens.  Each token must still get its own form's stem, the same
 * as a new analyzer gives the form alone, the first time (slots claimed in
 * the post) and again (every form cached, nothing claimed).
 */
static void test_cache_pair_in_post(void)
{
    static const char letters[][3] = {"а", "б", "в", "г", "д", "е", "ж", "з", "и", "к",
                                      "л", "м", "н", "о", "п", "р", "с", "т", "у", "ы"};
    char words[3][64], post[512];
    static uint32_t seen_pair[16384];
    static char seen[16384][64];
    size_t found = 0, nseen = 0;
    uint64_t x = 88172645463325252ull;
    struct nlp_analyzer *cold;
    char err[256];

    /* random Cyrillic words of 6-9 letters ending in -ами, until three share
     * a pair (one in 65,536: a few thousand words are enough) */
    while (found < 3 && nseen < KZ_ARRAY_LEN(seen)) {
        char w[64] = "";
        size_t len = 6 + (x % 4);
        uint32_t pair;

        for (size_t k = 0; k < len; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            strcat(w, letters[x % KZ_ARRAY_LEN(letters)]);
        }
        strcat(w, "ами");
        pair = nlp_test_wc_pair(w, strlen(w));
        found = 0;
        for (size_t k = 0; k < nseen && found < 2; k++)
            if (seen_pair[k] == pair && strcmp(seen[k], w) != 0)
                memcpy(words[found++], seen[k], sizeof seen[k]);
        if (found == 2) {
            memcpy(words[2], w, sizeof w);
            found = 3;
            break;
        }
        found = 0;
        seen_pair[nseen] = pair;
        memcpy(seen[nseen++], w, sizeof w);
    }
    CHECK_EQ_INT(found, 3);
    if (found != 3)
        return;
    snprintf(post, sizeof post, "%s %s %s %s %s %s", words[0], words[1], words[2], words[0],
             words[1], words[2]);
    if (nlp_analyzer_new(NULL, &cold, err, sizeof(err)) != 0) {
        CHECK(0);
        return;
    }
    for (int round = 0; round < 2; round++) {
        struct nlp_doc d;

        CHECK_EQ_INT(nlp_analyze(cold, post, strlen(post), NLP_LANG_RU, &d), 0);
        CHECK_EQ_INT(d.ntokens, 6);
        if (d.ntokens != 6)
            break;
        for (size_t i = 0; i < d.ntokens; i++) {
            const struct nlp_token *t = &d.tokens[i];
            enum nlp_lang l = t->lang != NLP_LANG_UND ? (enum nlp_lang)t->lang : d.lang;
            struct nlp_analyzer *fresh;
            struct kz_str want;
            char got[128];

            snprintf(got, sizeof got, "%.*s", (int)t->stem.n, t->stem.p);
            if (nlp_analyzer_new(NULL, &fresh, err, sizeof(err)) != 0) {
                CHECK(0);
                break;
            }
            CHECK_EQ_INT(nlp_stem_word(fresh, words[i % 3], strlen(words[i % 3]), l, &want), 0);
            CHECK_EQ_MEM(want.p, want.n, got);
            nlp_analyzer_free(fresh);
        }
    }
    nlp_analyzer_free(cold);
}

/* nlp_stem_word: one word as a given language, Latin Kazakh transliterated
 * first (the same rules as Cyrillic). */
static void test_stem_word(void)
{
    struct kz_str st;

    CHECK_EQ_INT(nlp_stem_word(an, "kıtaby", strlen("kıtaby"), NLP_LANG_KK, &st), 0);
    CHECK_EQ_MEM(st.p, st.n, "кітап");
    CHECK_EQ_INT(nlp_stem_word(an, "jazyldy", strlen("jazyldy"), NLP_LANG_KK, &st), 0);
    CHECK_EQ_MEM(st.p, st.n, "жаз");
    CHECK_EQ_INT(nlp_stem_word(an, "Ұнамады", strlen("Ұнамады"), NLP_LANG_KK, &st), 0);
    CHECK_EQ_MEM(st.p, st.n, "ұна");
    CHECK_EQ_INT(nlp_stem_word(an, "two words", 9, NLP_LANG_KK, &st), KZ_EINVAL);
    CHECK_EQ_INT(nlp_stem_word(an, "", 0, NLP_LANG_KK, &st), KZ_EINVAL);
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
    RUN(test_kazakh_verbs);
    RUN(test_kazakh_alternations);
    RUN(test_kazakh_guards);
    RUN(test_other_languages);
    RUN(test_cache_consistency);
    RUN(test_cache_languages);
    RUN(test_cache_pair_in_post);
    RUN(test_stem_word);
    nlp_analyzer_free(an);
    return TAP_DONE();
}
