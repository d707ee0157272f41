/*
 * test_nlp_normalize.c -- case folding, NFKC, repeated letters, zero-width
 * characters and homoglyph folding, one rule a case.
 */
#include <string.h>

#include "nlp.h"
#include "tap.h"

static struct nlp_analyzer *an;

/* Normalized form and flags of the single word in s. */
static void norm_of(const char *s, const char *want, int want_flags, int want_script)
{
    struct nlp_doc d;

    CHECK_EQ_INT(nlp_analyze(an, s, strlen(s), NLP_LANG_UND, &d), 0);
    CHECK_EQ_INT(d.ntokens, 1);
    if (d.ntokens != 1) {
        fprintf(stderr, "  input \"%s\"\n", s);
        return;
    }
    CHECK_EQ_MEM(d.tokens[0].norm.p, d.tokens[0].norm.n, want);
    CHECK_EQ_INT(d.tokens[0].flags & (NLP_TOKF_HOMOGLYPH), want_flags);
    if (want_script >= 0)
        CHECK_EQ_STR(nlp_script_name(d.tokens[0].script), nlp_script_name(want_script));
}

static void test_case_fold(void)
{
    norm_of("ҚАЗАҚСТАН", "қазақстан", 0, NLP_SCRIPT_CYRL);
    norm_of("ӘҒҚҢӨҰҮҺІ", "әғқңөұүһі", 0, NLP_SCRIPT_CYRL);
    norm_of("ЁЛКА", "ёлка", 0, NLP_SCRIPT_CYRL);
    norm_of("ЇЖАК", "їжак", 0, NLP_SCRIPT_CYRL);
    norm_of("\xD3\x80АЗ", "\xD3\x8Fаз", 0, NLP_SCRIPT_CYRL); /* palochka: U+04C0 -> U+04CF */
    norm_of("ҚАЗАҚ2024", "қазақ2024", 0, NLP_SCRIPT_CYRL);
    norm_of("ЖаңаӨзен", "жаңаөзен", 0, NLP_SCRIPT_CYRL);
    norm_of("ЀЍЎ", "ѐѝў", 0, NLP_SCRIPT_CYRL);
    norm_of("Straße", "strasse", 0, NLP_SCRIPT_LATN);
    norm_of("ÉCOLE", "école", 0, NLP_SCRIPT_LATN);
}

static void test_nfkc(void)
{
    norm_of("ＦＵＬＬ", "full", 0, NLP_SCRIPT_LATN);
    norm_of("ﬁnance", "finance", 0, NLP_SCRIPT_LATN);
    /* Decomposed й (и + combining breve) composes to й. */
    norm_of("и\xCC\x86ок", "йок", 0, NLP_SCRIPT_CYRL);
    norm_of("e\xCC\x81te", "éte", 0, NLP_SCRIPT_LATN);
}

static void test_repeats(void)
{
    norm_of("дааааа", "даа", 0, NLP_SCRIPT_CYRL);
    norm_of("ДАААА", "даа", 0, NLP_SCRIPT_CYRL);
    norm_of("coooool", "cool", 0, NLP_SCRIPT_LATN);
    norm_of("жақсыыыы", "жақсыы", 0, NLP_SCRIPT_CYRL);
    norm_of("1000000", "1000000", 0, -1); /* digits are never folded */
    norm_of("аа", "аа", 0, NLP_SCRIPT_CYRL);
    /* ASCII with capitals or repeats: the one-pass path */
    norm_of("NATO", "nato", 0, NLP_SCRIPT_LATN);
    norm_of("SoOOoo", "soo", 0, NLP_SCRIPT_LATN);
    norm_of("COOOL1112", "cool1112", 0, NLP_SCRIPT_LATN);
    norm_of("Zzz", "zz", 0, NLP_SCRIPT_LATN);
    norm_of("A1B2", "a1b2", 0, NLP_SCRIPT_LATN);
    norm_of("HelloOOO", "helloo", 0, NLP_SCRIPT_LATN);
}

static void test_zero_width(void)
{
    norm_of("ми\xE2\x80\x8Bтинг", "митинг", 0, NLP_SCRIPT_CYRL); /* ZWSP */
    norm_of("ми\xE2\x81\xA0тинг", "митинг", 0, NLP_SCRIPT_CYRL); /* WORD JOINER */
    norm_of("ми\xC2\xADтинг", "митинг", 0, NLP_SCRIPT_CYRL);     /* soft hyphen */
    norm_of("\xEF\xBB\xBFмитинг", "митинг", 0, NLP_SCRIPT_CYRL); /* BOM */
    norm_of("ми\xE2\x80\x8Cтинг", "митинг", 0, NLP_SCRIPT_CYRL); /* ZWNJ */
}

static void test_homoglyphs(void)
{
    /* Latin letters hidden in Cyrillic words fold to Cyrillic... */
    norm_of("пoлиция", "полиция", NLP_TOKF_HOMOGLYPH, NLP_SCRIPT_CYRL);
    norm_of("Пyтин", "путин", NLP_TOKF_HOMOGLYPH, NLP_SCRIPT_CYRL);
    norm_of("MИTИHГ", "митинг", NLP_TOKF_HOMOGLYPH, NLP_SCRIPT_CYRL);
    norm_of("бiз", "біз", NLP_TOKF_HOMOGLYPH, NLP_SCRIPT_CYRL);
    norm_of("сəлем", "сәлем", NLP_TOKF_HOMOGLYPH, NLP_SCRIPT_CYRL); /* Latin schwa */
    /* Latin u looks like и in handwriting and italics (issue 18) */
    norm_of("мuтинг", "митинг", NLP_TOKF_HOMOGLYPH, NLP_SCRIPT_CYRL);
    norm_of("Пoлuцuя", "полиция", NLP_TOKF_HOMOGLYPH, NLP_SCRIPT_CYRL);
    /* ...and Cyrillic letters in Latin words to Latin. */
    norm_of("Hеllо", "hello", NLP_TOKF_HOMOGLYPH, NLP_SCRIPT_LATN);
    norm_of("wоrld", "world", NLP_TOKF_HOMOGLYPH, NLP_SCRIPT_LATN);
    /* A letter without a look-alike keeps the word mixed. */
    norm_of("Zпатриот", "zпатриот", 0, NLP_SCRIPT_MIXED);
    /* A pure word is never touched, nor a Latin word's u. */
    norm_of("Рутин", "рутин", 0, NLP_SCRIPT_CYRL);
    norm_of("ukrainе", "ukraine", NLP_TOKF_HOMOGLYPH, NLP_SCRIPT_LATN);
}

/* An already-normalized word costs no copy: its norm is its surface. */
static void test_fast_path(void)
{
    struct nlp_doc d;
    const char *s = "жақсы idea";

    CHECK_EQ_INT(nlp_analyze(an, s, strlen(s), NLP_LANG_UND, &d), 0);
    CHECK_EQ_INT(d.ntokens, 2);
    CHECK(d.tokens[0].norm.p == s);
    CHECK(d.tokens[1].norm.p == s + strlen("жақсы "));
}

static void test_names(void)
{
    CHECK_EQ_STR(nlp_lang_name(NLP_LANG_KK), "kk");
    CHECK_EQ_STR(nlp_lang_name(NLP_LANG_MIXED), "mixed");
    CHECK_EQ_STR(nlp_lang_name((enum nlp_lang)99), "und");
    CHECK_EQ_STR(nlp_script_name(NLP_SCRIPT_LATN), "latn");
    CHECK_EQ_STR(nlp_kind_name(NLP_TOK_DATE), "date");
    CHECK_EQ_STR(nlp_stance_name(NLP_STANCE_PRO_UKRAINE), "pro_ukraine");
    CHECK_EQ_INT(nlp_lang_parse("kk", 2), NLP_LANG_KK);
    CHECK_EQ_INT(nlp_lang_parse("RU-ru", 5), NLP_LANG_RU);
    CHECK_EQ_INT(nlp_lang_parse("kaz", 3), NLP_LANG_KK);
    CHECK_EQ_INT(nlp_lang_parse("uk_UA", 5), NLP_LANG_UK);
    CHECK_EQ_INT(nlp_lang_parse("en", 1), NLP_LANG_UND); /* "e" */
    CHECK_EQ_INT(nlp_lang_parse("xx", 2), NLP_LANG_UND);
    CHECK_EQ_INT(nlp_lang_parse(NULL, 0), NLP_LANG_UND);
    CHECK_EQ_INT(nlp_lang_parse("verylonglanguagename", 20), NLP_LANG_UND);
}

int main(void)
{
    char err[256];

    if (nlp_analyzer_new(NULL, &an, err, sizeof(err)) != 0) {
        fprintf(stderr, "analyzer: %s\n", err);
        return 1;
    }
    RUN(test_case_fold);
    RUN(test_nfkc);
    RUN(test_repeats);
    RUN(test_zero_width);
    RUN(test_homoglyphs);
    RUN(test_fast_path);
    RUN(test_names);
    nlp_analyzer_free(an);
    return TAP_DONE();
}
