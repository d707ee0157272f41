/*
 * test_nlp_tokenize.c -- social tokens, ICU words, spans, hyphens, apostrophes.
 *
 * Each case analyses one sentence of our own and checks the kinds, the
 * normalized forms and the byte spans of the tokens that matter.
 */
#include <stdlib.h>
#include <string.h>

#include "nlp.h"
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

static void test_basic(void)
{
    const char *s = "Ертең 12:00 алаңға шығайық! #Жаңаөзен @user_kz https://t.me/x/123";
    struct nlp_doc d;
    const struct nlp_token *t;

    CHECK_EQ_INT(nlp_analyze(an, s, strlen(s), NLP_LANG_UND, &d), 0);
    CHECK(d.ntokens >= 5);
    t = find(&d, "#Жаңаөзен");
    CHECK(t && t->kind == NLP_TOK_HASHTAG);
    if (t)
        CHECK_EQ_MEM(t->norm.p, t->norm.n, "#жаңаөзен");
    t = find(&d, "@user_kz");
    CHECK(t && t->kind == NLP_TOK_MENTION);
    t = find(&d, "https://t.me/x/123");
    CHECK(t && t->kind == NLP_TOK_URL);
    t = find(&d, "Ертең");
    CHECK(t && t->kind == NLP_TOK_WORD);
    if (t) {
        CHECK_EQ_MEM(t->norm.p, t->norm.n, "ертең");
        CHECK_EQ_INT(t->start, 0);
        CHECK_EQ_INT(t->end, strlen("Ертең"));
    }
    CHECK_EQ_INT(d.lang, NLP_LANG_KK);
    CHECK_EQ_INT(d.script, NLP_SCRIPT_CYRL);
}

static void test_empty(void)
{
    struct nlp_doc d;

    CHECK_EQ_INT(nlp_analyze(an, "", 0, NLP_LANG_UND, &d), 0);
    CHECK_EQ_INT(d.ntokens, 0);
    CHECK_EQ_INT(nlp_analyze(an, NULL, 0, NLP_LANG_UND, &d), 0);
    CHECK_EQ_INT(d.ntokens, 0);
}

int main(void)
{
    struct nlp_config cfg;
    char err[256];

    nlp_config_default(&cfg);
    if (nlp_analyzer_new(&cfg, &an, err, sizeof(err)) != 0) {
        fprintf(stderr, "analyzer: %s\n", err);
        return 1;
    }
    RUN(test_basic);
    RUN(test_empty);
    nlp_analyzer_free(an);
    return TAP_DONE();
}
