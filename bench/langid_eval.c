/*
 * langid_eval.c -- language-identification accuracy on labelled JSONL files.
 *
 * Usage: langid_eval [-v] [-m] FILE.jsonl...
 * Each line is a JSON object with "text" and a gold "lang" (kk ru uk en
 * mixed): the shared data files and the project's gold set
 * (tests/data/gold.jsonl) alike.  Posts are bucketed by length in
 * whitespace-separated words; per file and overall the tool prints the
 * accuracy of nlp_analyze()'s post language for 1-4 words and >= 5 words
 * (the two buckets the targets are stated for), then the finer buckets 1,
 * 2-4, 5-9, 10-19 and 20+ words, and what the misses were called.  With -m
 * it also prints a confusion matrix (rows gold, columns predicted) per file
 * and overall, for >= 5 words and for all lengths; with -v every miss.  No
 * hint is passed to the analyzer: the gold label is only compared against.
 * Like every benchmark it reports and never fails.  Reproduce the figures
 * in bench/README.md with:
 *   langid_eval -m ../shared/data/kazsandra-kk.val.jsonl \
 *       ../shared/data/sensitive-topics-ru.val.jsonl ../shared/data/ruw-stance-en.val.jsonl
 *   langid_eval -m tests/data/gold.jsonl
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "nlp.h"

#define NL (NLP_LANG_MIXED + 1)

/* Fine buckets: 1, 2-4, 5-9, 10-19, 20+ words. */
enum { B1, B2_4, B5_9, B10_19, B20, NB };
static const char *const bucket_name[NB] = {"1w", "2-4w", "5-9w", "10-19w", "20+w"};

struct bucket {
    long n, ok;
    long as[NL];
};

struct stats {
    struct bucket fine[NB];
    long conf[2][NL][NL]; /* [all lengths, >= 5 words][gold][predicted] */
};

static size_t count_words(const char *s, size_t n)
{
    size_t w = 0;
    int in = 0;

    for (size_t i = 0; i < n; i++) {
        int sp = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
        if (!sp && !in)
            w++;
        in = !sp;
    }
    return w;
}

static int bucket_of(size_t w)
{
    return w == 1 ? B1 : w <= 4 ? B2_4 : w <= 9 ? B5_9 : w <= 19 ? B10_19 : B20;
}

static void add_bucket(struct bucket *dst, const struct bucket *src)
{
    dst->n += src->n;
    dst->ok += src->ok;
    for (int l = 0; l < NL; l++)
        dst->as[l] += src->as[l];
}

static void print_bucket(const char *name, const char *label, const struct bucket *b)
{
    if (!b->n)
        return;
    printf("%-32s %-7s n=%-5ld acc=%6.2f%%  misses:", name, label, b->n,
           100.0 * (double)b->ok / (double)b->n);
    for (int l = 0; l < NL; l++)
        if (b->as[l])
            printf(" %s=%ld", nlp_lang_name((enum nlp_lang)l), b->as[l]);
    printf("\n");
}

static void print_matrix(const char *name, const char *label, long m[NL][NL])
{
    static const int order[] = {NLP_LANG_KK, NLP_LANG_RU,    NLP_LANG_UK,
                                NLP_LANG_EN, NLP_LANG_MIXED, NLP_LANG_UND};
    printf("%s, %s: rows gold, columns predicted\n%8s", name, label, "");
    for (int j = 0; j < NL; j++)
        printf(" %6s", nlp_lang_name((enum nlp_lang)order[j]));
    printf("\n");
    for (int i = 0; i < NL; i++) {
        long row = 0;
        for (int j = 0; j < NL; j++)
            row += m[order[i]][order[j]];
        if (!row)
            continue;
        printf("%8s", nlp_lang_name((enum nlp_lang)order[i]));
        for (int j = 0; j < NL; j++)
            printf(" %6ld", m[order[i]][order[j]]);
        printf("\n");
    }
}

static void report(const char *name, const struct stats *st, int matrix)
{
    struct bucket shortb = {0}, longb = {0};

    for (int k = 0; k < NB; k++)
        add_bucket(k < B5_9 ? &shortb : &longb, &st->fine[k]);
    print_bucket(name, "1-4w", &shortb);
    print_bucket(name, ">=5w", &longb);
    for (int k = 0; k < NB; k++)
        print_bucket(name, bucket_name[k], &st->fine[k]);
    if (matrix) {
        print_matrix(name, ">=5 words", (long(*)[NL])st->conf[1]);
        print_matrix(name, "all lengths", (long(*)[NL])st->conf[0]);
    }
}

int main(int argc, char **argv)
{
    struct nlp_analyzer *an;
    static struct stats total;
    char err[256];
    int verbose = 0, matrix = 0, first = 1;

    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "-v") == 0)
            verbose = 1;
        else if (strcmp(argv[first], "-m") == 0)
            matrix = 1;
        else
            break;
    }
    if (argc <= first) {
        fprintf(stderr, "usage: langid_eval [-v] [-m] FILE.jsonl...\n");
        return 2;
    }
    if (nlp_analyzer_new(NULL, &an, err, sizeof(err)) != 0) {
        fprintf(stderr, "langid_eval: %s\n", err);
        return 1;
    }
    for (int f = first; f < argc; f++) {
        FILE *fp = fopen(argv[f], "r");
        static struct stats st;
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;

        memset(&st, 0, sizeof(st));
        if (!fp) {
            perror(argv[f]);
            continue;
        }
        while ((len = getline(&line, &cap, fp)) > 0) {
            json_error_t je;
            json_t *o = json_loadb(line, (size_t)len, 0, &je);
            const char *text, *lang;
            size_t tn, w;
            struct nlp_doc d;
            int gold, k;

            if (!o)
                continue;
            text = json_string_value(json_object_get(o, "text"));
            lang = json_string_value(json_object_get(o, "lang"));
            if (!text || !lang) {
                json_decref(o);
                continue;
            }
            tn = json_string_length(json_object_get(o, "text"));
            gold = nlp_lang_parse(lang, strlen(lang));
            w = count_words(text, tn);
            if (w == 0 || nlp_analyze(an, text, tn, NLP_LANG_UND, &d) != 0) {
                json_decref(o);
                continue;
            }
            k = bucket_of(w);
            st.fine[k].n++;
            st.conf[0][gold][d.lang]++;
            if (w >= 5)
                st.conf[1][gold][d.lang]++;
            if ((int)d.lang == gold) {
                st.fine[k].ok++;
            } else {
                st.fine[k].as[d.lang]++;
                if (verbose)
                    printf("MISS %s->%s: %.*s\n", lang, nlp_lang_name(d.lang),
                           (int)(tn > 200 ? 200 : tn), text);
            }
            json_decref(o);
        }
        free(line);
        fclose(fp);
        {
            const char *base = strrchr(argv[f], '/');
            base = base ? base + 1 : argv[f];
            report(base, &st, matrix);
        }
        for (int k = 0; k < NB; k++)
            add_bucket(&total.fine[k], &st.fine[k]);
        for (int a = 0; a < 2; a++)
            for (int i = 0; i < NL; i++)
                for (int j = 0; j < NL; j++)
                    total.conf[a][i][j] += st.conf[a][i][j];
    }
    if (argc - first > 1)
        report("all", &total, matrix);
    nlp_analyzer_free(an);
    return 0;
}
