/*
 * corpus.c -- load a JSONL corpus's texts for the benchmarks (see corpus.h).
 *
 * Parsing is jansson's, one line at a time, outside any timed section: the
 * benchmarks measure the NLP and classification stages, never JSON decoding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "corpus.h"

int bench_corpus_load(const char *path, long limit, struct bench_corpus *c)
{
    FILE *f = fopen(path, "rb");
    char *line = NULL;
    size_t cap = 0, used = 0, tcap = 0, vcap = 0;
    ssize_t len;

    memset(c, 0, sizeof(*c));
    if (!f) {
        perror(path);
        return -1;
    }
    while ((limit < 0 || (long)c->n < limit) && (len = getline(&line, &cap, f)) >= 0) {
        json_t *o = json_loadb(line, (size_t)len, 0, NULL);
        json_t *t = json_is_object(o) ? json_object_get(o, "text") : NULL;
        if (json_is_string(t)) {
            size_t n = json_string_length(t);
            if (used + n > tcap) {
                size_t nc = tcap ? tcap : 1 << 20;
                while (nc < used + n)
                    nc *= 2;
                char *p = realloc(c->texts, nc);
                if (!p)
                    goto oom;
                c->texts = p;
                tcap = nc;
            }
            if (c->n == vcap) {
                size_t nc = vcap ? vcap * 2 : 1024;
                struct bench_text *p = realloc(c->tv, nc * sizeof(*p));
                if (!p)
                    goto oom;
                c->tv = p;
                vcap = nc;
            }
            memcpy(c->texts + used, json_string_value(t), n);
            c->tv[c->n].off = used;
            c->tv[c->n].len = n;
            c->n++;
            used += n;
        }
        json_decref(o);
    }
    c->bytes = used;
    free(line);
    fclose(f);
    return 0;
oom:
    fprintf(stderr, "%s: out of memory\n", path);
    free(line);
    fclose(f);
    bench_corpus_free(c);
    return -1;
}

void bench_corpus_free(struct bench_corpus *c)
{
    free(c->texts);
    free(c->tv);
    memset(c, 0, sizeof(*c));
}

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
