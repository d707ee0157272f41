/*
 * kk_stems.c -- the Kazakh stem of each word form, for the conflation
 * measure (bench/kk_conflation.py, tests/data/kk-roots.tsv).
 *
 * Usage: kk_stems < FILE.tsv
 * Reads lines whose first tab-separated field is a word form ('#' lines are
 * skipped) and prints "form<TAB>stem" for each, the stem being what the
 * analyzer gives the form as a Kazakh word (nlp_stem_word: normalized,
 * Latin transliterated, stemmed); a line that is not one word prints an
 * empty stem.  Like every benchmark it reports and never fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlp.h"

int main(void)
{
    struct nlp_analyzer *an;
    char err[256], line[1024];

    if (nlp_analyzer_new(NULL, &an, err, sizeof(err)) != 0) {
        fprintf(stderr, "kk_stems: %s\n", err);
        return 1;
    }
    while (fgets(line, sizeof(line), stdin)) {
        size_t n = strcspn(line, "\t\r\n");
        struct kz_str stem;

        if (line[0] == '#' || n == 0)
            continue;
        if (nlp_stem_word(an, line, n, NLP_LANG_KK, &stem) != 0)
            stem = KZ_STR_NULL;
        printf("%.*s\t%.*s\n", (int)n, line, (int)stem.n, stem.p ? stem.p : "");
    }
    nlp_analyzer_free(an);
    return 0;
}
