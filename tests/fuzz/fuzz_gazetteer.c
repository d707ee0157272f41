/*
 * fuzz_gazetteer.c -- libFuzzer target for the gazetteer parser
 * (nlp_gazetteer_parse, nlp_gazetteer_check, nlp_gazetteer_find) and the
 * lexicon compilation of a gazetteer file.
 *
 * Each input is one gazetteer file.  Invariants besides the sanitizers:
 * check and parse agree (parse fails exactly when check reports an error,
 * and a failure says why and leaves nothing); in a parsed gazetteer every
 * place is found by its id and by none of its names as another place, every
 * town lies in a region of the file, and a lookup of the input itself as a
 * region field never fails; compiled as lexicons/gazetteer.tsv, the input
 * compiles only if it parses, and then a verdict's region is one of its
 * regions and a verdict's city one of the towns of that region.
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz tests/fuzz/fuzz_gazetteer
 *   build-fuzz/tests/fuzz/fuzz_gazetteer -max_total_time=600 /tmp/fz-gaz
 * tests/fuzz/corpus_gazetteer Dictionary: gazetteer.dict (tests/fuzz/run.sh passes it with -dict=).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nlp_analyzer *g_an;

static const char post[] = "Жаңаөзенде ертең митинг, в Жанаозене бастуют, Zhanaozen, "
                           "Алматы облысында, Өскемен, #жаңаөзен KZ-47 almaty";

static void ignore(void *ctx, const char *msg)
{
    (void)ctx;
    if (!msg || !*msg)
        abort(); /* every error says something */
}

static int same(struct kz_str a, struct kz_str b)
{
    return a.n == b.n && !memcmp(a.p, b.p, a.n);
}

static void check_places(const struct nlp_gazetteer *g)
{
    size_t n = nlp_gazetteer_count(g);
    for (size_t i = 0; i < n; i++) {
        const struct nlp_place *p = nlp_gazetteer_place(g, i), *r = nlp_gazetteer_region_of(g, p);
        if (!p || !r || r->kind == NLP_PLACE_TOWN || !same(r->id, p->region))
            abort();
        if (nlp_gazetteer_find(g, p->id.p, p->id.n) != p)
            abort();
        for (int k = 0; k < NLP_NAMES_COUNT; k++) {
            const struct nlp_place *q = nlp_gazetteer_find(g, p->name[k].p, p->name[k].n);
            if (!p->name[k].n || (q && q != p))
                abort();
        }
    }
}

static void check_verdict(const struct nlp_lexicon *lx, const char *text, size_t len)
{
    const struct nlp_gazetteer *g = nlp_lexicon_gazetteer(lx);
    struct nlp_doc doc;
    struct nlp_verdict v;

    if (nlp_analyze(g_an, text, len, NLP_LANG_UND, &doc))
        return;
    if (nlp_classify(g_an, lx, &doc, &v))
        abort();
    if (v.region.n) {
        const struct nlp_place *r = nlp_gazetteer_find(g, v.region.p, v.region.n);
        if (!r || r->kind == NLP_PLACE_TOWN || !same(r->id, v.region))
            abort();
    } else if (v.city.n) {
        abort(); /* a town without its region */
    }
    if (v.city.n) {
        const struct nlp_place *c = nlp_gazetteer_find(g, v.city.p, v.city.n);
        if (!c || c->kind != NLP_PLACE_TOWN || !same(c->region, v.region))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nlp_gazetteer *g = NULL;
    struct nlp_lexicon *lx = NULL;
    char err[512];
    long nerr;
    int rc;

    if (!g_an && nlp_analyzer_new(NULL, &g_an, err, sizeof(err)))
        abort();
    if (size > 1 << 16)
        return 0;
    nerr = nlp_gazetteer_check("fuzz.tsv", (const char *)data, size, ignore, NULL);
    err[0] = '\0';
    rc = nlp_gazetteer_parse("fuzz.tsv", (const char *)data, size, &g, err, sizeof(err));
    if (rc) {
        if (g || !err[0] || (rc == KZ_EINVAL && nerr == 0))
            abort(); /* a failure leaves nothing, says why, and check saw it too */
    } else {
        if (!g || nerr != 0)
            abort();
        check_places(g);
        (void)nlp_gazetteer_find(g, (const char *)data, size);
    }

    struct nlp_lexicon_file f = {"lexicons/gazetteer.tsv", (const char *)data, size};
    err[0] = '\0';
    if (nlp_lexicon_compile(&f, 1, &lx, err, sizeof(err)) == 0) {
        if (rc || !nlp_lexicon_gazetteer(lx))
            abort(); /* compiled, so it parses */
        check_verdict(lx, post, sizeof(post) - 1);
        check_verdict(lx, (const char *)data, size);
        nlp_lexicon_free(lx);
    } else if (lx || !err[0]) {
        abort();
    }
    nlp_gazetteer_free(g);
    return 0;
}
