/*
 * fuzz_dims.c -- libFuzzer target for the query dimension parser
 * (pipeline/dims.c: pipeline_query_check, pipeline_dim_check).
 *
 * The bytes after the first, up to the first NUL, are a query's argument; the
 * first byte picks the query (series, distinct, dims, top, posts) and whether
 * a small lexicon (two topics; a gazetteer of two regions and a town) and an in-process store
 * holding one post of each are known.  Invariants besides the sanitizers: the check returns 0,
 * KZ_EINVAL or KZ_ENOMEM; KZ_EINVAL always with a non-empty one-line message that fits the buffer;
 * an argument the check accepts for a series is answered by the store without an error. CC=clang
 * meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz tests/fuzz/fuzz_dims
 *   build-fuzz/tests/fuzz/fuzz_dims -max_total_time=600 /tmp/fz-dims tests/fuzz/corpus_dims
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S(lit) kz_str_make(lit, sizeof(lit) - 1)

static struct nlp_lexicon *g_lex;
static struct agg_store *g_store;

static void setup(void)
{
    static const char tsv[] = "topic/protest\tмитинг*\t1.0\tru\t\n"
                              "topic/economy\tбаға\t0.6\tkk\t\n";
    /* two regions and a town, as the shipped gazetteer writes them */
    static const char gaz[] =
        "region\tKZ-71\tcity\tАстана\tAstana\tАстана\tAstana\n"
        "region\tKZ-47\toblast\tМаңғыстау облысы\tMañğystau oblysy\tМангистауская область\t"
        "Mangystau Region\n"
        "town\tzhanaozen\tKZ-47\tЖаңаөзен\tJañaözen\tЖанаозен\tZhanaozen\n"
        "match\tKZ-71\tастана*\t1.0\tkk\t\n"
        "match\tzhanaozen\tжаңаөзен*\t1.0\tkk\t\n";
    struct nlp_lexicon_file f[2] = {{"fuzz.tsv", tsv, sizeof(tsv) - 1},
                                    {"gazetteer.tsv", gaz, sizeof(gaz) - 1}};
    char err[256];
    if (nlp_lexicon_compile(f, 2, &g_lex, err, sizeof(err))) {
        fprintf(stderr, "fuzz_dims: %s\n", err);
        abort();
    }
    struct agg_mem_config mc = {0, 0};
    struct agg_batch *b;
    if (agg_store_mem_new(&mc, &g_store) || agg_batch_new(&b))
        abort();
    struct kz_str topics[] = {S("protest")};
    struct agg_facts facts = {0};
    facts.ts_ms = 1772600000000LL;
    facts.platform = S("telegram");
    facts.lang = S("kk");
    facts.region = S("KZ-71");
    facts.author = S("aigerim");
    facts.topics = topics;
    facts.ntopics = 1;
    struct agg_position pos = {"fuzz", -1, 0, 0};
    if (agg_batch_add(b, &facts) || agg_store_apply(g_store, b, &pos, 1, err, sizeof(err)) < 0)
        abort();
    agg_batch_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const whats[] = {"series", "distinct", "dims", "top", "posts"};
    if (!g_lex)
        setup();
    if (size < 1)
        return 0;
    char *arg = strndup((const char *)data + 1, size - 1);
    if (!arg)
        return 0;
    struct pipeline_query q = {
        .what = whats[data[0] % 5],
        .arg = arg,
        .step = PIPELINE_STEP_HOUR,
        .from_ms = 1772596800000LL,
        .to_ms = 1772604000000LL,
    };
    struct pipeline_known known = {(data[0] & 8) ? g_lex : NULL, (data[0] & 16) ? g_store : NULL,
                                   q.from_ms, q.to_ms};
    char err[512];
    memset(err, 'x', sizeof(err));
    err[0] = 0;
    int rc = pipeline_query_check(&q, &known, err, sizeof(err));
    if (rc != 0 && rc != KZ_EINVAL && rc != KZ_ENOMEM)
        abort();
    if (rc == KZ_EINVAL && (!err[0] || !memchr(err, 0, sizeof(err)) || strchr(err, '\n')))
        abort();
    if (rc == 0 && !strcmp(q.what, "series")) {
        struct agg_series s = {0};
        if (agg_store_series(g_store, AGG_HOUR, arg, q.from_ms, q.to_ms, &s, err, sizeof(err)))
            abort();
        agg_series_free(&s);
    }
    free(arg);
    return 0;
}
