/*
 * bench_nlp.c -- throughput of the whole NLP stage on one core.
 *
 * Usage: bench_nlp [--runs N] [--limit N] CORPUS.jsonl
 * Loads every line's "text" field into memory first (a tiny JSON string
 * scanner, so the measurement is not a JSON parser's), then times
 * nlp_analyze() -- normalization, social tokens, ICU segmentation, language
 * ID, transliteration and stemming -- over all posts with one analyzer, runs
 * times, and prints the median run as one line:
 *   nlp: N posts, X posts/s, Y MB/s
 * MB are 10^6 bytes of post text.  It reports and never fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corpus.h"
#include "nlp.h"

int main(int argc, char **argv)
{
    const char *path = NULL;
    int runs = 3;
    long limit = -1;
    struct bench_corpus c;
    struct nlp_analyzer *an;
    char err[256];
    double times[64];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
            limit = atol(argv[++i]);
        else
            path = argv[i];
    }
    if (!path || runs < 1 || runs > 64) {
        fprintf(stderr, "usage: bench_nlp [--runs 1..64] [--limit N] CORPUS.jsonl\n");
        return 2;
    }
    if (bench_corpus_load(path, limit, &c))
        return 1;
    if (nlp_analyzer_new(NULL, &an, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_nlp: %s\n", err);
        return 1;
    }
    for (int r = 0; r < runs; r++) {
        double t0 = bench_now();
        size_t ntok = 0;
        for (size_t i = 0; i < c.n; i++) {
            struct nlp_doc d;
            if (nlp_analyze(an, c.texts + c.tv[i].off, c.tv[i].len, NLP_LANG_UND, &d) == 0)
                ntok += d.ntokens;
        }
        times[r] = bench_now() - t0;
        if (ntok == (size_t)-1)
            printf("unreachable\n");
    }
    qsort(times, (size_t)runs, sizeof(double), bench_cmp_double);
    double t = times[runs / 2];
    printf("nlp: %zu posts, %.0f posts/s, %.1f MB/s\n", c.n, (double)c.n / t,
           (double)c.bytes / 1e6 / t);
    nlp_analyzer_free(an);
    bench_corpus_free(&c);
    return 0;
}
