/*
 * corpus.h -- the benchmarks' corpus loader: the "text" of every JSON line of
 * a file, packed into one buffer before any timing starts.
 */
#ifndef KZ_BENCH_CORPUS_H
#define KZ_BENCH_CORPUS_H

#include <stddef.h>

struct bench_text {
    size_t off, len; /* into bench_corpus.texts */
};

struct bench_corpus {
    char *texts; /* every text, back to back (not NUL-separated) */
    struct bench_text *tv;
    size_t n;     /* texts loaded */
    size_t bytes; /* their total length */
};

/* Load at most limit texts (limit < 0: all).  Lines that are not JSON objects
 * with a string "text" are skipped (the corpus has malformed lines on purpose).
 * Returns 0, or -1 after printing why. */
int bench_corpus_load(const char *path, long limit, struct bench_corpus *c);
void bench_corpus_free(struct bench_corpus *c);

/* Monotonic seconds, and a qsort comparator for medians. */
double bench_now(void);
int bench_cmp_double(const void *a, const void *b);

#endif
