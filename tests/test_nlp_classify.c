/*
 * test_nlp_classify.c -- lexicon compilation, lint errors, the token-level
 * automaton (exact words, stems, phrases, hashtags, emoji, byte spans) and
 * the classification rules (negation, reporting, mobilization).
 */
#include <stdlib.h>
#include <string.h>

#include "nlp.h"
#include "tap.h"

/* A lexicon file and, if gaz is not NULL, a gazetteer beside it. */
static struct nlp_lexicon *compile_gaz(const char *tsv, const char *gaz)
{
    struct nlp_lexicon_file f[2] = {{"test.tsv", tsv, strlen(tsv)},
                                    {"lexicons/gazetteer.tsv", gaz, gaz ? strlen(gaz) : 0}};
    struct nlp_lexicon *lx = NULL;
    char err[256];
    int rc = nlp_lexicon_compile(f, gaz ? 2 : 1, &lx, err, sizeof(err));

    if (rc)
        fprintf(stderr, "compile: %s\n", err);
    CHECK_EQ_INT(rc, 0);
    return lx;
}

static struct nlp_lexicon *compile(const char *tsv)
{
    return compile_gaz(tsv, NULL);
}

/* Mangystau, two of its towns, the hashtags that name them. */
static const char gaz_mangystau[] =
    "region\tKZ-47\toblast\tМаңғыстау облысы\tMañğystau oblysy\tМангистауская область\t"
    "Mangystau Region\n"
    "town\tzhanaozen\tKZ-47\tЖаңаөзен\tJañaözen\tЖанаозен\tZhanaozen\n"
    "town\taktau\tKZ-47\tАқтау\tAqtau\tАктау\tAktau\n"
    "match\tzhanaozen\t#жаңаөзен\t1.0\tkk\thashtag\n";
static const char gaz_aktau[] =
    "region\tKZ-47\toblast\tМаңғыстау облысы\tMañğystau oblysy\tМангистауская область\t"
    "Mangystau Region\n"
    "town\taktau\tKZ-47\tАқтау\tAqtau\tАктау\tAktau\n"
    "match\taktau\t#ақтау\t1.0\tkk\t\n";

/* The evidence of category cat and rule rule, or NULL. */
static const struct nlp_evidence *find_ev(const struct nlp_verdict *v, const char *cat,
                                          const char *rule)
{
    for (size_t i = 0; i < v->nevidence; i++) {
        const struct nlp_evidence *e = &v->evidence[i];
        if (e->category.n == strlen(cat) && !memcmp(e->category.p, cat, e->category.n) &&
            e->rule.n == strlen(rule) && !memcmp(e->rule.p, rule, e->rule.n))
            return e;
    }
    return NULL;
}

static int classify(struct nlp_analyzer *a, const struct nlp_lexicon *lx, const char *text,
                    struct nlp_verdict *v)
{
    struct nlp_doc doc;
    int rc = nlp_analyze(a, text, strlen(text), NLP_LANG_UND, &doc);

    if (!rc)
        rc = nlp_classify(a, lx, &doc, v);
    CHECK_EQ_INT(rc, 0);
    return rc;
}

/* The evidence's span points at its match, and the match is what we expect. */
static void check_span(const char *text, const struct nlp_evidence *e, const char *want)
{
    CHECK(e != NULL);
    if (!e)
        return;
    CHECK_EQ_MEM(text + e->start, e->end - e->start, want);
    CHECK_EQ_MEM(e->match.p, e->match.n, want);
}

static const char lex_match[] =
    "# matching\n"
    "\n"
    "topic/protest\tмитинг*\t0.9\tru\tstem\n"
    "topic/protest\tжиналамыз\t0.6\tkk\t\n"
    "topic/war_ukraine\t\"нет войне\"\t1.0\tru\tphrase\n"
    "topic/war_ukraine\t\"так называем*\"\t0.3\tru\tphrase ending in a stem\n"
    "stance/pro_ukraine\t🇺🇦\t0.9\t*\tflag\n"
    "stance/pro_ukraine\t💙💛\t0.8\t*\ttwo emoji\n";

static void test_matching(struct nlp_analyzer *a)
{
    struct nlp_lexicon *lx = compile_gaz(lex_match, gaz_mangystau);
    struct nlp_verdict v;
    const char *t1 = "Завтра митингующие и «нет войне» #Жаңаөзен 🇺🇦 💙💛";
    const char *t2 = "Ертең алаңға жиналамыз, так называемые выборы";

    if (!lx)
        return;
    CHECK_EQ_INT(nlp_lexicon_size(lx), 7);
    if (classify(a, lx, t1, &v))
        goto out;
    check_span(t1, find_ev(&v, "topic/protest", "митинг*"), "митингующие");
    check_span(t1, find_ev(&v, "topic/war_ukraine", "\"нет войне\""), "нет войне");
    check_span(t1, find_ev(&v, "city/zhanaozen", "#жаңаөзен"), "#Жаңаөзен");
    check_span(t1, find_ev(&v, "stance/pro_ukraine", "🇺🇦"), "🇺🇦");
    check_span(t1, find_ev(&v, "stance/pro_ukraine", "💙💛"), "💙💛");
    CHECK_EQ_MEM(v.region.p, v.region.n, "KZ-47");
    CHECK_EQ_MEM(v.city.p, v.city.n, "zhanaozen");
    CHECK(v.ntopics >= 1);
    CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_UKRAINE);
    /* topics sorted by score, best first */
    for (size_t i = 1; i < v.ntopics; i++)
        CHECK(v.topics[i - 1].score >= v.topics[i].score);

    if (classify(a, lx, t2, &v))
        goto out;
    check_span(t2, find_ev(&v, "topic/protest", "жиналамыз"), "жиналамыз");
    check_span(t2, find_ev(&v, "topic/war_ukraine", "\"так называем*\""), "так называемые");
    CHECK(find_ev(&v, "topic/protest", "митинг*") == NULL);

    /* Kazakh in Latin script meets the Cyrillic entry. */
    if (classify(a, lx, "Erteñ sağat 12-de alañğa jinalamyz", &v))
        goto out;
    CHECK(find_ev(&v, "topic/protest", "жиналамыз") != NULL ||
          v.nevidence > 0); /* transliteration is the analyzer's */

    /* A homoglyph word (Latin u for и) matches the Cyrillic entry (issue 18). */
    if (classify(a, lx, "Завтра мuтинг у акимата", &v))
        goto out;
    check_span("Завтра мuтинг у акимата", find_ev(&v, "topic/protest", "митинг*"), "мuтинг");

    /* No lexicon: language only. */
    if (classify(a, NULL, t1, &v))
        goto out;
    CHECK_EQ_INT(v.nevidence, 0);
    CHECK_EQ_INT(v.ntopics, 0);
out:
    nlp_lexicon_free(lx);
}

/* Two spellings of one stem ("митинг*", "мітинг*") and a hashtag whose
 * Latin and Cyrillic forms both compile: each match is evidence once, and
 * counts once for its topic (issue 18). */
static void test_evidence_once(struct nlp_analyzer *a)
{
    static const char lex[] = "topic/protest\tмитинг*\t0.5\tru\t\n"
                              "topic/protest\tмітинг*\t0.5\tkk\t\n"
                              "topic/protest\t#qandyqantar\t0.5\tkk\t\n"
                              "topic/war_ukraine\tмитинг*\t0.3\tru\tanother category\n"
                              "stance/pro_ukraine\t#соғысқажоқ\t0.9\tkk\t\n";
    struct nlp_lexicon *lx = compile(lex);
    const char *t1 = "Ертең митингке шығамыз";
    const char *t2 = "Biz #QandyQantar kúnderin umytpaımyz";
    const char *t3 = "Biz soǵysqa qarsymyz, bári alañǵa, #soǵysqajoq";
    struct nlp_verdict v;
    size_t protest = 0, war = 0;

    if (!lx)
        return;
    if (classify(a, lx, t1, &v))
        goto out;
    for (size_t i = 0; i < v.nevidence; i++) {
        protest += v.evidence[i].category.n == strlen("topic/protest");
        war += v.evidence[i].category.n == strlen("topic/war_ukraine");
    }
    CHECK_EQ_INT(protest, 1); /* was 2: митинг* and мітинг* on the same word */
    CHECK_EQ_INT(war, 1);     /* another category is other evidence */
    for (size_t i = 0; i < v.ntopics; i++)
        if (v.topics[i].name.n == strlen("protest"))
            CHECK(v.topics[i].score < 0.51f); /* 0.5 once, not 1 - 0.5 * 0.5 */
    if (classify(a, lx, t2, &v))
        goto out;
    CHECK_EQ_INT(v.nevidence, 1);
    check_span(t2, find_ev(&v, "topic/protest", "#qandyqantar"), "#QandyQantar");
    /* A Latin Kazakh hashtag keeps its value as written and still meets the
     * Cyrillic row through its transliteration. */
    if (classify(a, lx, t3, &v))
        goto out;
    check_span(t3, find_ev(&v, "stance/pro_ukraine", "#соғысқажоқ"), "#soǵysqajoq");
out:
    nlp_lexicon_free(lx);
}

/* A lexicon entry the tokenizer reads as one clock time ("в 11 утра" is the
 * time 11:00) matches that time in any post, on the very span the engine's
 * <time> rule takes: the time is evidence once, under the heavier rule. */
static void test_time_evidence_once(struct nlp_analyzer *a)
{
    static const char lex[] = "cue/time\t\"в 11 утра\"\t0.9\tru\t\n"
                              "cue/place\tалаң*\t1.0\tkk\t\n";
    struct nlp_lexicon *lx = compile(lex);
    const char *t = "Erteng saghat 11:00-de alanggha shyghamyz";
    struct nlp_verdict v;
    size_t times = 0;

    if (!lx)
        return;
    if (classify(a, lx, t, &v))
        goto out;
    for (size_t i = 0; i < v.nevidence; i++)
        times += v.evidence[i].category.n == strlen("cue/time");
    CHECK_EQ_INT(times, 1); /* was 2: <time> and "в 11 утра" on "saghat 11:00-de" */
    check_span(t, find_ev(&v, "cue/time", "<time>"), "saghat 11:00-de");
out:
    nlp_lexicon_free(lx);
}

static const char lex_stance[] = "stance/pro_russia\tсво\t1.0\tru\t\n"
                                 "stance/pro_russia\tденацификац*\t1.0\tru\t\n"
                                 "stance/pro_ukraine\t\"слава украине\"\t1.0\tru\t\n"
                                 "cue/negation\tне\t1.0\tru\t\n"
                                 "cue/negation\t\"не поддерживаю\"\t1.0\tru\t\n"
                                 "cue/negation\tнет\t1.0\tru\t\n"
                                 "cue/opposition\tпротив\t0.9\tru\t\n"
                                 "stance/pro_ukraine\t\"нет войне\"\t0.9\tru\t\n"
                                 "cue/opposition\tборьба\t0.8\tru\t\n"
                                 "cue/opposition\tқарсы\t0.9\tkk\t\n"
                                 "cue/opposition\tagainst\t0.9\ten\t\n"
                                 "stance/pro_ukraine\tоккупант*\t0.9\tru\t\n"
                                 "cue/negative\tоккупант*\t1.0\tru\t\n"
                                 "stance/pro_ukraine\tбасқыншы*\t0.7\tkk\t\n"
                                 "cue/negative\tбасқыншы*\t1.0\tkk\t\n"
                                 "stance/pro_ukraine\t\"russian aggression\"\t0.8\ten\t\n"
                                 "cue/negative\taggression\t1.0\ten\t\n"
                                 "stance/pro_russia\tукронацист*\t1.0\tru\t\n"
                                 "cue/negative\tукронацист*\t1.0\tru\t\n"
                                 "stance/pro_russia\t\"русский мир\"\t0.9\tru\t\n"
                                 "cue/reporting\t\"по словам\"\t1.0\tru\t\n"
                                 "cue/sarcasm\t\"ну да конечно\"\t1.0\tru\t\n"
                                 "cue/sarcasm\t🤡\t0.5\t*\t\n";

static void test_stance(struct nlp_analyzer *a)
{
    struct nlp_lexicon *lx = compile(lex_stance);
    struct nlp_verdict v;

    if (!lx)
        return;
    if (!classify(a, lx, "Поддерживаю СВО полностью", &v)) {
        CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_RUSSIA);
        CHECK(v.stance_score > 0.5f && v.stance_score <= 1.0f);
    }
    if (!classify(a, lx, "Я не поддерживаю СВО.", &v)) {
        CHECK_EQ_INT(v.stance, NLP_STANCE_NONE);
        /* still explained: the match and the negation are evidence */
        CHECK(find_ev(&v, "stance/pro_russia", "сво") != NULL);
        CHECK(find_ev(&v, "cue/negation", "\"не поддерживаю\"") != NULL);
    }
    if (!classify(a, lx, "Не поддерживаю СВО. Слава Украине!", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_UKRAINE);
    if (!classify(a, lx, "По словам МИД РФ, денацификация продолжится.", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_NONE);
    if (!classify(a, lx, "Денацификация продолжится.", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_RUSSIA);
    if (!classify(a, lx, "Они называют это «денацификацией».", &v))
        CHECK(v.stance != NLP_STANCE_PRO_RUSSIA);
    /* A negation reaches no further than its clause: a comma, a colon or a
     * dash ends it ... */
    if (!classify(a, lx, "Нет, денацификация продолжится, и это правильно.", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_RUSSIA);
    if (!classify(a, lx, "Не поддерживаю СВО и никогда не поддержу, нет войне.", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_UKRAINE);
    if (!classify(a, lx, "Не — денацификация это, а оккупация.", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_RUSSIA); /* the dash ends it too */
    if (!classify(a, lx, "Не денацификация, а оккупация.", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_NONE);
    /* ... and a slogan that is a negation itself is not negated again */
    if (!classify(a, lx, "Я против войны нет войне", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_UKRAINE);
    if (!classify(a, lx, "Нет войне!", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_UKRAINE);
    /* Opposition ("against", "против", "қарсы") cancels a term of support
     * but not one of blame (a term that is also a cue/negative word):
     * fighting the occupiers is for Ukraine, fighting "ukronazis" for Russia. */
    if (!classify(a, lx, "Борьба с оккупантами продолжается.", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_UKRAINE);
    if (!classify(a, lx, "Борьба против укронацистов продолжается.", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_RUSSIA);
    if (!classify(a, lx, "We stand united against Russian aggression.", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_UKRAINE);
    if (!classify(a, lx, "Басқыншыларға қарсы тұрамыз.", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_UKRAINE);
    if (!classify(a, lx, "Борьба против «русский мир» идёт.", &v))
        CHECK(v.stance != NLP_STANCE_PRO_RUSSIA);
    if (!classify(a, lx, "Мы против русский мир", &v))
        CHECK(v.stance != NLP_STANCE_PRO_RUSSIA);
    /* a plain negation still cancels a term of blame: "they are not occupiers" */
    if (!classify(a, lx, "Это не оккупанты.", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_NONE);
    /* Sarcasm: the term stays evidence, the verdict goes; a marker alone in
     * its sentence covers the sentences beside it, not the ones further off;
     * a weaker marker (0.5) halves the term (1.0 - 0.5 >= NLP_STANCE_MIN). */
    if (!classify(a, lx, "Ну да, конечно, денацификация идёт по плану.", &v)) {
        CHECK_EQ_INT(v.stance, NLP_STANCE_NONE);
        CHECK(find_ev(&v, "stance/pro_russia", "денацификац*") != NULL);
        CHECK(find_ev(&v, "cue/sarcasm", "\"ну да конечно\"") != NULL);
    }
    if (!classify(a, lx, "Ну да, конечно. Денацификация идёт по плану.", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_NONE);
    if (!classify(a, lx, "Денацификация идёт по плану. Ну да, конечно.", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_NONE);
    if (!classify(
            a, lx,
            "Ну да, конечно 🤡. Денацификация идёт по плану.",
            &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_NONE); /* markers only: the sentence is one */
    if (!classify(a, lx, "Ну да, конечно. Погода хорошая. Денацификация идёт.", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_RUSSIA);
    if (!classify(a, lx, "Ну да, конечно, я приду. Потом поговорим. Денацификация идёт.", &v))
        CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_RUSSIA);
    if (!classify(a, lx, "Денацификация идёт 🤡", &v)) {
        CHECK_EQ_INT(v.stance, NLP_STANCE_PRO_RUSSIA);
        CHECK(v.stance_score > 0.45f && v.stance_score < 0.55f);
    }
    /* the scare quote still flips: sarcasm does not undo it */
    if (!classify(a, lx, "Ну да, конечно, «денацификация».", &v))
        CHECK(v.stance != NLP_STANCE_PRO_RUSSIA);
    nlp_lexicon_free(lx);
}

static void test_mobilization(struct nlp_analyzer *a, const struct nlp_lexicon *lx)
{
    static const struct {
        const char *text;
        int call;
    } cases[] = {
        {"Ертең сағат 12-де алаңға жиналамыз!", 1},
        {"Выходим завтра в 12:00 к акимату", 1},
        {"Вчера прошёл митинг", 0},
        {"Завтра в 18:00 футбол, приходите", 0},
        {"Не выходите завтра на площадь", 0},
        /* opposition is no negation of a call */
        {"Против коррупции выходим завтра на площадь!", 1},
        /* a call and a time alone are plans, not mobilization: a place or a
         * topic must say what it is about */
        {"Выходим завтра в 12:00, кто с нами?", 0},
        {"Завтра в 12:00 выходим на митинг", 1},
        {"Приходите завтра в парк", 0}, /* a weak call, a weak place, no topic */
    };
    struct nlp_verdict v;

    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        if (classify(a, lx, cases[i].text, &v))
            continue;
        if (v.call_to_action != cases[i].call)
            fprintf(stderr, "mobilization of \"%s\": score %.2f\n", cases[i].text,
                    (double)v.mob_score);
        CHECK_EQ_INT(v.call_to_action, cases[i].call);
        CHECK(v.mob_score >= 0.0f && v.mob_score <= 1.0f);
    }
    if (!classify(a, lx, "Выходим завтра в 12:00 к акимату", &v)) {
        CHECK(v.when.n > 0);
        CHECK(v.where.n > 0);
        if (v.where.n)
            CHECK_EQ_MEM(v.where.p, v.where.n, "акимату");
    }
    /* nearby places join into one span, but never across a sentence end */
    if (!classify(a, lx, "Ертең алаңға жиналамыз! Акиматқа хат жаздық.", &v)) {
        CHECK(v.where.n > 0);
        if (v.where.n)
            CHECK_EQ_MEM(v.where.p, v.where.n, "алаңға");
    }
    if (!classify(a, lx, "Завтра выходим к акимату, на площадь.", &v)) {
        CHECK(v.where.n > 0);
        if (v.where.n)
            CHECK_EQ_MEM(v.where.p, v.where.n, "акимату, на площадь");
    }
    /* a Kazakh postposition takes the noun before it, and that noun's
     * possessor when the noun is in the genitive; a comma stops it */
    static const struct {
        const char *text, *where;
    } post[] = {
        {"Ертең Украина елшілігінің алдына жиналамыз!", "Украина елшілігінің алдына"},
        {"Ертең мектеп алдында жиналамыз!", "мектеп алдында"},
        {"Ертең, алдына жиналамыз!", "алдына"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(post); i++) {
        if (classify(a, lx, post[i].text, &v))
            continue;
        CHECK(v.where.n > 0);
        if (v.where.n)
            CHECK_EQ_MEM(v.where.p, v.where.n, post[i].where);
    }
}

static const char lex_mob[] = "cue/call_to_action\tжиналамыз\t1.0\tkk\t\n"
                              "cue/call_to_action\tвыходим\t1.0\tru\t\n"
                              "cue/call_to_action\tвыходите\t0.9\tru\t\n"
                              "cue/call_to_action\tприходите\t0.8\tru\t\n"
                              "cue/negation\tне\t1.0\tru\t\n"
                              "cue/opposition\tпротив\t0.9\tru\t\n"
                              "cue/time\tзавтра\t0.8\tru\t\n"
                              "cue/time\tертең\t0.8\tkk\t\n"
                              "cue/place\tалаң*\t0.8\tkk\t\n"
                              "cue/place\tакимат*\t0.8\tru\t\n"
                              "cue/place\tплощад*\t0.8\tru\t\n"
                              "cue/place\tпарк*\t0.5\tru\t\n"
                              "cue/place\tалдына\t0.5\tkk\t\n"
                              "cue/place\tалдында\t0.5\tkk\t\n"
                              "cue/past\tвчера\t1.0\tru\t\n"
                              "cue/past\tпрошёл\t1.0\tru\t\n"
                              "cue/everyday\tфутбол*\t1.0\tru\t\n"
                              "topic/protest\tмитинг*\t0.9\tru\t\n";

/* ---------------------------------------------------------------------------
 * Lint
 * ------------------------------------------------------------------------ */

struct errs {
    char msg[8][256];
    int n;
};

static void collect(void *ctx, const char *msg)
{
    struct errs *e = ctx;

    if (e->n < 8)
        snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
    e->n++;
}

static int has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static void test_lint(void)
{
    static const char bad[] = "# errors on lines 2, 3, 4, 5, 6, 7, 8\n"
                              "topic/protest\tмитинг\t0.9\tru\t\n"
                              "topic/protest\tМИТИНГ\t0.5\tru\tduplicate after case folding\n"
                              "topic/protest\t…\t0.5\tru\tempty after normalization\n"
                              "topic/Protest Now\tx\t0.5\tru\tunknown category\n"
                              "cue/shout\tx\t0.5\tru\tunknown category\n"
                              "topic/protest\tстачка\t1.5\tru\tbad weight\n"
                              "topic/protest\tзабастовка\t0.5\tru\n"
                              "topic/protest\tпикет\t0\tru\tbad weight\n"
                              "topic/protest\tголодовка\t0.7\tde\tbad lang\n";
    struct nlp_lexicon_file f = {"bad.tsv", bad, strlen(bad)};
    struct nlp_lexicon *lx = NULL;
    struct errs e;
    char err[256];
    long n;

    memset(&e, 0, sizeof(e));
    n = nlp_lexicon_check(&f, 1, collect, &e);
    CHECK_EQ_INT(n, 8);
    CHECK(has_prefix(e.msg[0], "bad.tsv:3: duplicate of bad.tsv:2"));
    CHECK(has_prefix(e.msg[1], "bad.tsv:4: pattern \"…\" is empty after normalization"));
    CHECK(has_prefix(e.msg[2], "bad.tsv:5: unknown category"));
    CHECK(has_prefix(e.msg[3], "bad.tsv:6: unknown category"));
    CHECK(has_prefix(e.msg[4], "bad.tsv:7: weight \"1.5\""));
    CHECK(has_prefix(e.msg[5], "bad.tsv:8: expected 5 TAB-separated fields"));
    CHECK(has_prefix(e.msg[6], "bad.tsv:9: weight \"0\""));
    CHECK(has_prefix(e.msg[7], "bad.tsv:10: lang \"de\""));
    for (int i = 0; i < e.n && i < 8; i++)
        fprintf(stderr, "# %s\n", e.msg[i]);

    /* compile stops at the first error, with the same message */
    CHECK_EQ_INT(nlp_lexicon_compile(&f, 1, &lx, err, sizeof(err)), KZ_EINVAL);
    CHECK(lx == NULL);
    CHECK(has_prefix(err, "bad.tsv:3: duplicate of bad.tsv:2"));

    /* a stem too short, '*' inside a word, an unquoted phrase */
    {
        static const char bad2[] = "topic/a\tми*\t0.5\tru\t\n"
                                   "topic/a\tми*тинг\t0.5\tru\t\n"
                                   "topic/a\tнет войне\t0.5\tru\t\n";
        struct nlp_lexicon_file f2 = {"b2.tsv", bad2, strlen(bad2)};
        memset(&e, 0, sizeof(e));
        CHECK_EQ_INT(nlp_lexicon_check(&f2, 1, collect, &e), 3);
        CHECK(has_prefix(e.msg[0], "b2.tsv:1: stem"));
        CHECK(has_prefix(e.msg[1], "b2.tsv:2: '*'"));
        CHECK(has_prefix(e.msg[2], "b2.tsv:3: pattern has spaces"));
    }
    /* an empty set compiles to an empty lexicon */
    CHECK_EQ_INT(nlp_lexicon_compile(NULL, 0, &lx, err, sizeof(err)), 0);
    CHECK(lx != NULL);
    CHECK_EQ_INT(nlp_lexicon_size(lx), 0);
    nlp_lexicon_free(lx);
}

/*
 * The analyzer memoizes each word form's lexicon symbols: switching between
 * lexicons (as a SIGHUP reload does), more switches than the cache has
 * epochs, a lexicon freed and another compiled in its place, and a document
 * analyzed by another analyzer must all match exactly what a fresh analyzer
 * matches.
 */
static const char lex_a[] = "topic/protest\tмитинг*\t0.9\tru\t\n"
                            "topic/economy\tмитинг\t0.5\tru\ta form with two symbols\n"
                            "topic/ecology\tқоқыс\t0.9\tkk\t\n"
                            "stance/pro_ukraine\t🇺🇦\t0.9\t*\t\n";
static const char lex_b[] = "topic/economy\tмитинг\t0.9\tru\t\n"
                            "topic/ecology\tмитингующие\t0.9\tru\t\n";

static size_t count_ev(const struct nlp_verdict *v, const char *cat)
{
    size_t n = 0;

    for (size_t i = 0; i < v->nevidence; i++)
        n += v->evidence[i].category.n == strlen(cat) &&
             !memcmp(v->evidence[i].category.p, cat, strlen(cat));
    return n;
}

static void test_symbol_cache(struct nlp_analyzer *a)
{
    static const char text[] = "Митинг и митингующие, қоқыс 🇺🇦 #Ақтау митингующие";
    struct nlp_lexicon *la = compile(lex_a), *lb = compile_gaz(lex_b, gaz_aktau);
    struct nlp_analyzer *other = NULL;
    struct nlp_verdict v;
    struct nlp_doc doc;
    char err[256];
    int bad = 0;

    if (!la || !lb)
        goto out;
    for (int round = 0; round < 600; round++) {
        const struct nlp_lexicon *lx = round % 2 ? lb : la;
        if (classify(a, lx, text, &v))
            goto out;
        if (lx == la)
            bad += count_ev(&v, "topic/protest") != 3 || count_ev(&v, "topic/ecology") != 1 ||
                   count_ev(&v, "topic/economy") != 1 || count_ev(&v, "stance/pro_ukraine") != 1 ||
                   count_ev(&v, "city/aktau") != 0;
        else
            bad += count_ev(&v, "topic/economy") != 1 || count_ev(&v, "topic/ecology") != 2 ||
                   count_ev(&v, "city/aktau") != 1 || count_ev(&v, "topic/protest") != 0;
    }
    CHECK_EQ_INT(bad, 0);

    /* A new lexicon in the old one's place (a reload). */
    nlp_lexicon_free(la);
    la = compile_gaz(lex_b, gaz_aktau);
    if (!la || classify(a, la, text, &v))
        goto out;
    CHECK_EQ_INT(count_ev(&v, "topic/economy"), 1);
    CHECK_EQ_INT(count_ev(&v, "topic/protest"), 0);

    /* Forms that later take the cached forms' word-cache slots must not
     * inherit their symbols: 300,000 made-up words cycle through every slot. */
    if (classify(a, lb, "митинг митингующие", &v))
        goto out;
    {
        static char buf[16384];
        size_t hits = 0;
        for (int t = 0, w = 0; t < 300; t++) {
            size_t n = 0;
            for (int k = 0; k < 1000; k++, w++) {
                for (int x = w, d = 0; d < 5; d++, x /= 26)
                    buf[n++] = (char)('a' + x % 26);
                buf[n++] = ' ';
            }
            buf[n] = '\0';
            if (classify(a, lb, buf, &v))
                goto out;
            hits += v.nevidence;
        }
        CHECK_EQ_INT(hits, 0);
    }

    /* A document from another analyzer: matched without a's cache. */
    CHECK_EQ_INT(nlp_analyzer_new(NULL, &other, err, sizeof(err)), 0);
    if (!other)
        goto out;
    CHECK_EQ_INT(nlp_analyze(other, text, strlen(text), NLP_LANG_UND, &doc), 0);
    CHECK_EQ_INT(nlp_classify(a, lb, &doc, &v), 0);
    CHECK_EQ_INT(count_ev(&v, "topic/ecology"), 2);
    CHECK_EQ_INT(count_ev(&v, "city/aktau"), 1);
out:
    nlp_analyzer_free(other);
    nlp_lexicon_free(la);
    nlp_lexicon_free(lb);
}

/* ---------------------------------------------------------------------------
 * Folded matching: Kazakh typed without its own letters
 * ------------------------------------------------------------------------ */

static const char lex_fold[] = "cue/time\tертең\t1.0\tkk\t\n"
                               "cue/place\tалаң*\t1.0\tkk\t\n"
                               "cue/place\tакимат*\t1.0\tru\t\n"
                               "cue/call_to_action\tжиналамыз\t1.0\tkk\t\n"
                               "topic/ecology\tкөл*\t0.9\tkk\t\n"
                               "topic/economy\tқол*\t0.9\tkk\t\n"
                               "topic/protest\t\"ереуілге шық*\"\t0.9\tkk\t\n";

static void test_folded(struct nlp_analyzer *a)
{
    static const struct {
        const char *text, *cat, *rule, *match; /* match NULL: must not hit */
    } cases[] = {
        /* Cyrillic typed on a Russian keyboard */
        {"Ертен кешке аланга жиналамыз, бәріміз барамыз", "cue/time", "ертең", "Ертен"},
        {"Ертен кешке аланга жиналамыз, бәріміз барамыз", "cue/place", "алаң*", "аланга"},
        {"Кеше мунайшылар ереуилге шыкты, жалакы аз", "topic/protest", "\"ереуілге шық*\"",
         "ереуилге шыкты"},
        /* plain ASCII Latin, whose transliteration guesses the letters */
        {"Erten akimat aldyna jinalamyz, bari kelinder", "cue/time", "ертең", "Erten"},
        {"Erten akimat aldyna jinalamyz, bari kelinder", "cue/place", "акимат*", "akimat"},
        {"Erten akimat aldyna jinalamyz, bari kelinder", "cue/call_to_action", "жиналамыз",
         "jinalamyz"},
        /* a word written with its letters is matched as written */
        {"Біз қолымызды көтердік, бәріміз келістік", "topic/economy", "қол*", "қолымызды"},
        {"Біз қолымызды көтердік, бәріміз келістік", "topic/ecology", "көл*", NULL},
        /* a Russian word is never folded */
        {"Он вбил кол в землю у дороги", "topic/economy", "қол*", NULL},
        {"Он вбил кол в землю у дороги", "topic/ecology", "көл*", NULL},
    };
    struct nlp_lexicon *lx = compile(lex_fold);
    struct nlp_verdict v;

    if (!lx)
        return;
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        const struct nlp_evidence *e;
        if (classify(a, lx, cases[i].text, &v))
            continue;
        e = find_ev(&v, cases[i].cat, cases[i].rule);
        if (!cases[i].match) {
            if (e)
                fprintf(stderr, "folded: %s hit %s in \"%s\"\n", cases[i].rule, cases[i].cat,
                        cases[i].text);
            CHECK(e == NULL);
        } else {
            if (!e)
                fprintf(stderr, "folded: %s missed in \"%s\"\n", cases[i].rule, cases[i].text);
            check_span(cases[i].text, e, cases[i].match);
        }
    }
    /* an ambiguous folded form finds every word it may be: кол is қол or көл */
    if (!classify(a, lx, "Бугин колге барамыз, кол жаксы", &v)) {
        CHECK(find_ev(&v, "topic/economy", "қол*") != NULL);
        CHECK(find_ev(&v, "topic/ecology", "көл*") != NULL);
    }
    nlp_lexicon_free(lx);
}

/* ---------------------------------------------------------------------------
 * Thresholds, pinned at their boundaries: a score exactly at a threshold
 * decides, a score just below it does not.  The weights are chosen so that
 * the score is exact in float (0.5 = 1 - (1 - 0.5); 0.5 * 1.0).
 * ------------------------------------------------------------------------ */

static int has_topic(const struct nlp_verdict *v, const char *name)
{
    for (size_t i = 0; i < v->ntopics; i++)
        if (v->topics[i].name.n == strlen(name) &&
            !memcmp(v->topics[i].name.p, name, v->topics[i].name.n))
            return 1;
    return 0;
}

static void check_one_threshold(struct nlp_analyzer *a, const char *tsv, const char *text,
                                const char *what, int want_topic, int want_stance, int want_call)
{
    struct nlp_lexicon *lx = compile(tsv);
    struct nlp_verdict v;

    if (!lx)
        return;
    if (classify(a, lx, text, &v) == 0) {
        if (want_topic >= 0 && has_topic(&v, "economy") != want_topic) {
            fprintf(stderr, "threshold: %s: topic %s\n", what, want_topic ? "missing" : "reported");
            CHECK(0);
        }
        if (want_stance >= 0)
            CHECK_EQ_INT(v.stance, want_stance ? NLP_STANCE_PRO_UKRAINE : NLP_STANCE_NONE);
        if (want_call >= 0) {
            if (v.call_to_action != want_call)
                fprintf(stderr, "threshold: %s: mob_score %.4f\n", what, v.mob_score);
            CHECK_EQ_INT(v.call_to_action, want_call);
        }
    }
    nlp_lexicon_free(lx);
}

static void test_thresholds(struct nlp_analyzer *a)
{
    /* topic: reported from a score of 0.5 */
    check_one_threshold(a, "topic/economy\tбағалар\t0.5\tkk\t\n", "Бағалар тағы өсті.",
                        "topic at 0.5", 1, -1, -1);
    check_one_threshold(a, "topic/economy\tбағалар\t0.49\tkk\t\n", "Бағалар тағы өсті.",
                        "topic at 0.49", 0, -1, -1);
    /* stance: decided from a margin of 0.35 */
    check_one_threshold(a, "stance/pro_ukraine\tсолидарность\t0.35\tru\t\n",
                        "Наша солидарность с соседями.", "stance at 0.35", -1, 1, -1);
    check_one_threshold(a, "stance/pro_ukraine\tсолидарность\t0.34\tru\t\n",
                        "Наша солидарность с соседями.", "stance at 0.34", -1, 0, -1);
    /* call to action: from a mobilization score of 0.5, which a call cue of
     * weight 1.0 alone gives a post that has a topic (not protest) */
    check_one_threshold(a,
                        "topic/economy\tбағалар\t1.0\tkk\t\n"
                        "cue/call_to_action\tшығайық\t1.0\tkk\t\n",
                        "Бағалар үшін шығайық.", "call at 0.5", 1, -1, 1);
    check_one_threshold(a,
                        "topic/economy\tбағалар\t1.0\tkk\t\n"
                        "cue/call_to_action\tшығайық\t0.98\tkk\t\n",
                        "Бағалар үшін шығайық.", "call at 0.49", 1, -1, 0);
}

int main(void)
{
    struct nlp_analyzer *a = NULL;
    struct nlp_lexicon *mob;
    char err[256];

    if (nlp_analyzer_new(NULL, &a, err, sizeof(err))) {
        fprintf(stderr, "analyzer: %s\n", err);
        return 1;
    }
    test_matching(a);
    test_stance(a);
    test_evidence_once(a);
    test_time_evidence_once(a);
    test_symbol_cache(a);
    test_folded(a);
    test_thresholds(a);
    mob = compile(lex_mob);
    if (mob)
        test_mobilization(a, mob);
    nlp_lexicon_free(mob);
    test_lint();
    nlp_analyzer_free(a);
    return TAP_DONE();
}
