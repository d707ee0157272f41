/*
 * bench_nlp.c -- throughput of the whole NLP stage on one core.
 *
 * Usage: bench_nlp [--runs N] [--limit N] [--icu] CORPUS.jsonl
 * Loads every line's "text" field into memory first (a tiny JSON string
 * scanner, so the measurement is not a JSON parser's), then times
 * nlp_analyze() -- normalization, social tokens, ICU segmentation, language
 * ID, transliteration and stemming -- over all posts with one analyzer, runs
 * times, and prints the median run as one line:
 *   nlp: N posts, X posts/s, Y MB/s
 * MB are 10^6 bytes of post text.  It reports and never fails.
 *
 * --icu also times ICU's word break iterator alone over the same texts (one
 * root-locale iterator, each text opened as UTF-8 UText in place and walked
 * boundary by boundary: the least any word segmentation with ICU can do),
 * alternating a run of each, and prints its median and the ratio
 *   icu: N posts, X posts/s, Y MB/s
 *   nlp/icu: R (MB/s)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unicode/ubrk.h>
#include <unicode/utext.h>

#include "corpus.h"
#include "nlp.h"

/* One pass of ICU word breaking over every text; the boundaries found. */
static size_t icu_pass(UBreakIterator *bi, const struct bench_corpus *c)
{
    UText ut = UTEXT_INITIALIZER;
    size_t nb = 0;

    for (size_t i = 0; i < c->n; i++) {
        UErrorCode st = U_ZERO_ERROR;
        utext_openUTF8(&ut, c->texts + c->tv[i].off, (int64_t)c->tv[i].len, &st);
        ubrk_setUText(bi, &ut, &st);
        if (U_FAILURE(st))
            continue;
        while (ubrk_next(bi) != UBRK_DONE)
            nb++;
    }
    utext_close(&ut);
    return nb;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int runs = 3, icu = 0;
    long limit = -1;
    struct bench_corpus c;
    struct nlp_analyzer *an;
    char err[256];
    double times[64], itimes[64];
    UBreakIterator *bi = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
            limit = atol(argv[++i]);
        else if (strcmp(argv[i], "--icu") == 0)
            icu = 1;
        else
            path = argv[i];
    }
    if (!path || runs < 1 || runs > 64) {
        fprintf(stderr, "usage: bench_nlp [--runs 1..64] [--limit N] [--icu] CORPUS.jsonl\n");
        return 2;
    }
    if (bench_corpus_load(path, limit, &c))
        return 1;
    if (nlp_analyzer_new(NULL, &an, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_nlp: %s\n", err);
        return 1;
    }
    if (icu) {
        UErrorCode st = U_ZERO_ERROR;
        bi = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
        if (U_FAILURE(st)) {
            fprintf(stderr, "bench_nlp: ubrk_open: %s\n", u_errorName(st));
            return 1;
        }
    }
    for (int r = 0; r < runs; r++) {
        double t0;
        if (bi) {
            t0 = bench_now();
            if (icu_pass(bi, &c) == (size_t)-1)
                printf("unreachable\n");
            itimes[r] = bench_now() - t0;
        }
        t0 = bench_now();
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
    if (bi) {
        qsort(itimes, (size_t)runs, sizeof(double), bench_cmp_double);
        double ti = itimes[runs / 2];
        printf("icu: %zu posts, %.0f posts/s, %.1f MB/s\n", c.n, (double)c.n / ti,
               (double)c.bytes / 1e6 / ti);
        printf("nlp/icu: %.2f (MB/s)\n", ti / t);
        ubrk_close(bi);
    }
    nlp_analyzer_free(an);
    bench_corpus_free(&c);
    return 0;
}
