/*
 * nlp_test.h -- for tests only: the few internals of nlp/ that the unit tests
 * check directly, and nothing else.
 *
 * Programs use nlp.h.  This header is the tests' narrow door into the module
 * (STYLE.md 11): the build copies it where only the programs under tests/
 * look (tests/meson.build), and tests/check_includes.sh rejects it anywhere
 * else.  It exposes:
 *  - the Kazakh stemmer and its table check (stem_kk.c): test_nlp_stem.c;
 *  - the gap segmenter that compares the fast segmenter with ICU, and the
 *    switch for the scanner's plain words (tokenize.c): test_nlp_tokenize.c;
 *  - the feature log table (model_features.c), the popcount and the packed
 *    rows of a model next to its dense weights (model_int.h), read through
 *    the nlp_test_* functions of nlp_test.c: test_nlp_model.c;
 *  - which pair of word-cache slots a form takes (wordcache.c):
 *    test_nlp_stem.c.
 * The declarations repeat those of nlp_int.h and model_int.h word for word;
 * nlp_test.c includes both sides, so the compiler rejects any drift.  The
 * nlp_test_* functions live in a library only the tests link (kznlptest).
 */
#ifndef KZ_NLP_TEST_H
#define KZ_NLP_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nlp.h"

/* -- stem_kk.c (test_nlp_stem.c) ------------------------------------------- */

/* The Kazakh stem of the case-folded Cyrillic word w, written to out (cap
 * >= n + 4 bytes: an undone alternation may add a letter, аузы -> ауыз);
 * returns its byte length. */
size_t nlp_stem_kk(const char *w, size_t n, char *out, size_t cap);
int nlp_stem_kk_check_tables(void); /* 0, or -(index) of the first misordered entry */

/* -- tokenize.c (test_nlp_tokenize.c) ------------------------------------- */

/*
 * Segment s[0, n) as the tokenizer segments a gap between social tokens:
 * the fast segmenter when every character allows it (*fast), else ICU, or
 * ICU always with force_icu.  Fills up to cap segment ends and word flags;
 * *nseg is the full count.
 */
int nlp_segment_gap(struct nlp_analyzer *a, const char *s, size_t n, bool force_icu, size_t *ends,
                    bool *words, size_t cap, size_t *nseg, bool *fast);

/* Whether the scanner emits plain words itself (the default) or
 * hands every word to the segmenter, as it did before it learned to: the
 * two must give the same tokens. */
void nlp_test_plain_words(struct nlp_analyzer *a, bool on);

/* -- model_features.c, model.c (test_nlp_model.c) ------------------------- */

/* log(1 + count), the dampened value of a feature seen count times. */
float nlp_feat_log1p(size_t count);

#define NLP_TEST_MODEL_MAX_LABELS 64 /* model_int.h's NLP_MODEL_MAX_LABELS */

/* What a model holds, read-only: its bucket count 2^bits, its labels, its
 * dense weights w[2^bits * nlabels] (feature-major; NULL once dropped, as
 * in a loaded model), and whether its packed rows are built. */
struct nlp_test_model_tables {
    unsigned bits;
    size_t nlabels;
    const float *w;
    bool packed;
};

/* The tables of m (all zero for NULL); they borrow from m. */
struct nlp_test_model_tables nlp_test_model_tables(const struct nlp_model *m);
/* nlp_model_row(): the row of bucket idx (nlabels weights) as classification
 * reads it, or NULL when all its weights are 0. */
const float *nlp_test_model_row(const struct nlp_model *m, uint32_t idx);
/* nlp_popcount64(): the set bits of x. */
unsigned nlp_test_popcount64(uint64_t x);

/* -- wordcache.c (test_nlp_stem.c) ----------------------------------------- */

/* The pair of word-cache slots the form w[0, n) goes to: forms of one pair
 * evict each other, which a test arranges within one post. */
uint32_t nlp_test_wc_pair(const char *w, size_t n);

#endif /* KZ_NLP_TEST_H */
