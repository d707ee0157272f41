/*
 * bench_classify.c -- what classification adds to the NLP stage, per post.
 *
 * Usage: bench_classify [--runs N] [--limit N] [--only MODE] --lexicons DIR
 *                       [--model FILE]... CORPUS.jsonl
 * Loads every line's "text" into memory first (bench/corpus.c), runs one
 * warm-up pass, then times three passes over all posts with one analyzer,
 * in runs rounds of one pass per mode (interleaved, so load elsewhere on the
 * machine falls on every mode alike; the median per mode is kept):
 *   analyze   nlp_analyze() alone (the NLP stage)
 *   lexicons  nlp_analyze() + nlp_classify() with the compiled lexicons
 *   models    nlp_analyze() + nlp_classify_with_models() with the --model files
 * and prints one line: posts/s and MB/s of each, and the time added by
 * classification as a percentage of the NLP stage's.  MB are 10^6 bytes of
 * post text.  --only MODE times that mode alone (for perf stat / perf
 * record).  It reports and never fails.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corpus.h"
#include "nlp.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *b;

    if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        if (f)
            fclose(f);
        return NULL;
    }
    b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static int load_lexicons(const char *dir, struct nlp_lexicon **lx)
{
    struct nlp_lexicon_file files[256];
    char paths[256][512], err[512];
    size_t n = 0;
    struct dirent *e;
    DIR *d = opendir(dir);
    int rc;

    if (!d)
        return -1;
    while ((e = readdir(d)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (l <= 4 || strcmp(e->d_name + l - 4, ".tsv"))
            continue;
        snprintf(paths[n], sizeof(paths[n]), "%s/%s", dir, e->d_name);
        files[n].name = paths[n];
        if (!(files[n].data = slurp(paths[n], &files[n].len)))
            break;
        n++;
    }
    closedir(d);
    rc = nlp_lexicon_compile(files, n, lx, err, sizeof(err));
    if (rc)
        fprintf(stderr, "bench_classify: %s\n", err);
    for (size_t i = 0; i < n; i++)
        free((char *)files[i].data);
    return rc;
}

enum mode { M_ANALYZE, M_LEXICONS, M_MODELS };

static double pass(struct nlp_analyzer *an, const struct nlp_lexicon *lx,
                   const struct nlp_model *const *models, size_t nmodels, enum mode mode,
                   const struct bench_corpus *c)
{
    double t0 = bench_now();
    size_t sink = 0;

    for (size_t i = 0; i < c->n; i++) {
        struct nlp_doc d;
        struct nlp_verdict v;
        if (nlp_analyze(an, c->texts + c->tv[i].off, c->tv[i].len, NLP_LANG_UND, &d))
            continue;
        if (mode == M_LEXICONS && !nlp_classify(an, lx, &d, &v))
            sink += v.nevidence;
        else if (mode == M_MODELS && !nlp_classify_with_models(an, lx, models, nmodels, &d, &v))
            sink += v.nevidence;
        sink += d.ntokens;
    }
    if (sink == (size_t)-1)
        printf("unreachable\n");
    return bench_now() - t0;
}

int main(int argc, char **argv)
{
    const char *path = NULL, *lexdir = NULL, *mpaths[8];
    struct nlp_model *models[8];
    size_t nmodels = 0, nmpaths = 0;
    int runs = 3;
    long limit = -1;
    struct nlp_analyzer *an;
    struct nlp_lexicon *lx = NULL;
    char err[256];
    double med[3], times[3][64];
    int only = -1;
    const char *names[3] = {"analyze", "lexicons", "models"};

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
            limit = atol(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = -1;
            for (int m = 0; m < 3; m++)
                if (strcmp(argv[i + 1], names[m]) == 0)
                    only = m;
            if (only < 0) {
                fprintf(stderr, "bench_classify: --only analyze|lexicons|models\n");
                return 2;
            }
            i++;
        } else if (strcmp(argv[i], "--lexicons") == 0 && i + 1 < argc)
            lexdir = argv[++i];
        else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc && nmpaths < 8)
            mpaths[nmpaths++] = argv[++i];
        else
            path = argv[i];
    }
    if (!path || !lexdir || runs < 1 || runs > 64) {
        fprintf(stderr, "usage: bench_classify [--runs 1..64] [--limit N] [--only MODE] "
                        "--lexicons DIR "
                        "[--model FILE]... CORPUS.jsonl\n");
        return 2;
    }
    if (load_lexicons(lexdir, &lx))
        return 1;
    for (size_t i = 0; i < nmpaths; i++) {
        size_t len;
        char *b = slurp(mpaths[i], &len);
        if (!b || nlp_model_load(b, len, &models[nmodels], err, sizeof(err))) {
            fprintf(stderr, "bench_classify: %s: %s\n", mpaths[i], b ? err : "cannot read");
            free(b);
            return 1;
        }
        free(b);
        nmodels++;
    }
    struct bench_corpus c;
    if (bench_corpus_load(path, limit, &c))
        return 1;
    if (nlp_analyzer_new(NULL, &an, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_classify: %s\n", err);
        return 1;
    }
    /* one warm-up pass fills the analyzer's word cache for every mode alike */
    pass(an, lx, (const struct nlp_model *const *)models, nmodels, M_ANALYZE, &c);
    /* Rounds interleave the modes, so a burst of load elsewhere on the
     * machine slows every mode of a round instead of only one mode. */
    for (int r = 0; r < runs; r++)
        for (int m = 0; m < 3; m++) {
            if ((m == M_MODELS && !nmodels) || (only >= 0 && m != only))
                continue;
            times[m][r] =
                pass(an, lx, (const struct nlp_model *const *)models, nmodels, (enum mode)m, &c);
        }
    for (int m = 0; m < 3; m++) {
        med[m] = 0.0;
        if ((m == M_MODELS && !nmodels) || (only >= 0 && m != only))
            continue;
        qsort(times[m], (size_t)runs, sizeof(double), bench_cmp_double);
        med[m] = times[m][runs / 2];
    }
    if (only >= 0) {
        printf("classify: %zu posts, %s %.0f posts/s\n", c.n, names[only], (double)c.n / med[only]);
        goto out;
    }
    printf("classify: %zu posts, %zu models;", c.n, nmodels);
    for (int m = 0; m < 3; m++)
        if (med[m] > 0.0)
            printf(" %s %.0f posts/s %.1f MB/s%s", names[m], (double)c.n / med[m],
                   (double)c.bytes / 1e6 / med[m], m == 2 ? "" : ";");
    printf(" added: lexicons +%.1f%%", 100.0 * (med[1] - med[0]) / med[0]);
    if (med[2] > 0.0)
        printf(", lexicons+models +%.1f%%", 100.0 * (med[2] - med[0]) / med[0]);
    printf("\n");
out:
    nlp_analyzer_free(an);
    nlp_lexicon_free(lx);
    for (size_t i = 0; i < nmodels; i++)
        nlp_model_free(models[i]);
    bench_corpus_free(&c);
    return 0;
}
