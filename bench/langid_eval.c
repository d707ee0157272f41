/*
 * langid_eval.c -- language-identification accuracy on labelled JSONL files.
 *
 * Usage: langid_eval [-v] FILE.jsonl...
 * Each line is a JSON object with "text" and a gold "lang".  Posts are split
 * by length in whitespace-separated words (1-4 words, >= 5 words), and the
 * tool prints, per file and overall, the accuracy of nlp_analyze()'s post
 * language in each bucket, plus what the misses were labelled as.  With -v it
 * also prints every miss.  No hint is passed to the analyzer: the gold label
 * is only compared against.  Like every benchmark it reports and never fails.
 * Reproduce the figures in bench/README.md with:
 *   langid_eval ../shared/data/kazsandra-kk.val.jsonl \
 *       ../shared/data/sensitive-topics-ru.val.jsonl ../shared/data/ruw-stance-en.val.jsonl
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "nlp.h"

struct bucket {
    long n, ok;
    long as[NLP_LANG_MIXED + 1];
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

static void print_bucket(const char *name, const char *label, const struct bucket *b)
{
    printf("%-40s %-6s n=%-5ld acc=%6.2f%%  misses:", name, label, b->n,
           b->n ? 100.0 * (double)b->ok / (double)b->n : 0.0);
    for (int l = 0; l <= NLP_LANG_MIXED; l++)
        if (b->as[l])
            printf(" %s=%ld", nlp_lang_name((enum nlp_lang)l), b->as[l]);
    printf("\n");
}

int main(int argc, char **argv)
{
    struct nlp_analyzer *an;
    struct bucket total[2] = {{0}};
    char err[256];
    int verbose = 0, first = 1;

    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        verbose = 1;
        first = 2;
    }
    if (argc <= first) {
        fprintf(stderr, "usage: langid_eval [-v] FILE.jsonl...\n");
        return 2;
    }
    if (nlp_analyzer_new(NULL, &an, err, sizeof(err)) != 0) {
        fprintf(stderr, "langid_eval: %s\n", err);
        return 1;
    }
    for (int f = first; f < argc; f++) {
        FILE *fp = fopen(argv[f], "r");
        struct bucket b[2] = {{0}};
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;

        if (!fp) {
            perror(argv[f]);
            continue;
        }
        while ((len = getline(&line, &cap, fp)) > 0) {
            json_error_t je;
            json_t *o = json_loadb(line, (size_t)len, 0, &je);
            const char *text, *lang;
            size_t tn;
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
            if (nlp_analyze(an, text, tn, NLP_LANG_UND, &d) == 0) {
                size_t w = count_words(text, tn);
                if (w == 0) {
                    json_decref(o);
                    continue;
                }
                k = w >= 5;
                b[k].n++;
                if ((int)d.lang == gold) {
                    b[k].ok++;
                } else {
                    b[k].as[d.lang]++;
                    if (verbose)
                        printf("MISS %s->%s: %.*s\n", lang, nlp_lang_name(d.lang),
                               (int)(tn > 200 ? 200 : tn), text);
                }
            }
            json_decref(o);
        }
        free(line);
        fclose(fp);
        {
            const char *base = strrchr(argv[f], '/');
            base = base ? base + 1 : argv[f];
            print_bucket(base, "1-4w", &b[0]);
            print_bucket(base, ">=5w", &b[1]);
        }
        for (int k = 0; k < 2; k++) {
            total[k].n += b[k].n;
            total[k].ok += b[k].ok;
            for (int l = 0; l <= NLP_LANG_MIXED; l++)
                total[k].as[l] += b[k].as[l];
        }
    }
    print_bucket("all", "1-4w", &total[0]);
    print_bucket("all", ">=5w", &total[1]);
    nlp_analyzer_free(an);
    return 0;
}
