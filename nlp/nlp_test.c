/*
 * nlp_test.c -- the functions behind nlp_test.h, for tests only.
 *
 * Each reads a model's internals (model_int.h) and returns them unchanged, so
 * a test checks the very code classification runs (nlp_model_row and
 * nlp_popcount64 are inline in model_int.h) without seeing the model struct.
 * Built into a library of its own that only the tests link; nothing of it
 * reaches kzpulse.  Including nlp_test.h after the private headers makes the
 * compiler check that its repeated declarations still match them.
 */
#include "model_int.h"
#include "nlp_test.h"

_Static_assert(NLP_TEST_MODEL_MAX_LABELS == NLP_MODEL_MAX_LABELS,
               "nlp_test.h and model_int.h disagree on the label limit");

struct nlp_test_model_tables nlp_test_model_tables(const struct nlp_model *m)
{
    struct nlp_test_model_tables t = {0};

    if (m) {
        t.bits = m->bits;
        t.nlabels = m->nlabels;
        t.w = m->w;
        t.packed = m->nzmap != NULL;
    }
    return t;
}

const float *nlp_test_model_row(const struct nlp_model *m, uint32_t idx)
{
    return nlp_model_row(m, idx);
}

void nlp_test_plain_words(struct nlp_analyzer *a, bool on)
{
    a->no_plain_words = !on;
}

uint32_t nlp_test_wc_pair(const char *w, size_t n)
{
    return (nlp_hash(w, n) & (NLP_WC_SLOTS - 1)) >> 1;
}

unsigned nlp_test_popcount64(uint64_t x)
{
    return nlp_popcount64(x);
}
