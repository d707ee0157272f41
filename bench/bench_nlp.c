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

#include "nlp.h"

struct text {
    size_t off, len;
};

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static unsigned hex4(const char *p, const char *end)
{
    unsigned v = 0;

    if (end - p < 4)
        return 0xFFFD;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return 0xFFFD;
        v = v * 16 + (unsigned)h;
    }
    return v;
}

/* Find "text": "..." in a line and unescape it into out; returns length or -1. */
static long extract_text(const char *line, const char *end, char *out)
{
    const char *p = line;
    size_t o = 0;

    for (;;) {
        p = memchr(p, '"', (size_t)(end - p));
        if (!p || end - p < 7)
            return -1;
        if (memcmp(p, "\"text\"", 6) == 0) {
            p += 6;
            break;
        }
        p++;
    }
    while (p < end && (*p == ' ' || *p == ':'))
        p++;
    if (p >= end || *p != '"')
        return -1;
    p++;
    while (p < end && *p != '"') {
        if (*p != '\\') {
            out[o++] = *p++;
            continue;
        }
        if (++p >= end)
            break;
        switch (*p) {
        case 'n': out[o++] = '\n'; p++; break;
        case 't': out[o++] = '\t'; p++; break;
        case 'r': out[o++] = '\r'; p++; break;
        case 'b': out[o++] = '\b'; p++; break;
        case 'f': out[o++] = '\f'; p++; break;
        case 'u': {
            unsigned cp = hex4(p + 1, end);
            p += 5;
            if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                unsigned lo = hex4(p + 2, end);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            o += put_utf8(out + o, cp);
            break;
        }
        default: out[o++] = *p++; break;
        }
    }
    return (long)o;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int runs = 3;
    long limit = -1;
    FILE *fp;
    char *buf = NULL, *texts;
    long fsize;
    struct text *tv = NULL;
    size_t nt = 0, cap = 0, tbytes = 0, used = 0;
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
    fp = fopen(path, "rb");
    if (!fp || fseek(fp, 0, SEEK_END) != 0 || (fsize = ftell(fp)) < 0 ||
        fseek(fp, 0, SEEK_SET) != 0) {
        perror(path);
        return 1;
    }
    buf = malloc((size_t)fsize + 1);
    texts = malloc((size_t)fsize + 1);
    if (!buf || !texts || fread(buf, 1, (size_t)fsize, fp) != (size_t)fsize) {
        fprintf(stderr, "bench_nlp: cannot read %s\n", path);
        return 1;
    }
    fclose(fp);
    for (char *p = buf, *end = buf + fsize; p < end && (limit < 0 || (long)nt < limit);) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        long n;
        if (!nl)
            nl = end;
        n = extract_text(p, nl, texts + used);
        if (n >= 0) {
            if (nt == cap) {
                cap = cap ? cap * 2 : 1024;
                tv = realloc(tv, cap * sizeof(*tv));
                if (!tv)
                    return 1;
            }
            tv[nt].off = used;
            tv[nt].len = (size_t)n;
            nt++;
            used += (size_t)n;
            tbytes += (size_t)n;
        }
        p = nl + 1;
    }
    free(buf);
    if (nlp_analyzer_new(NULL, &an, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_nlp: %s\n", err);
        return 1;
    }
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        size_t ntok = 0;
        for (size_t i = 0; i < nt; i++) {
            struct nlp_doc d;
            if (nlp_analyze(an, texts + tv[i].off, tv[i].len, NLP_LANG_UND, &d) == 0)
                ntok += d.ntokens;
        }
        times[r] = now() - t0;
        if (ntok == (size_t)-1)
            printf("unreachable\n");
    }
    qsort(times, (size_t)runs, sizeof(double), cmp_double);
    {
        double t = times[runs / 2];
        printf("nlp: %zu posts, %.0f posts/s, %.1f MB/s\n", nt, (double)nt / t,
               (double)tbytes / 1e6 / t);
    }
    nlp_analyzer_free(an);
    free(texts);
    free(tv);
    return 0;
}
