/*
 * fuzz_analyze.c -- libFuzzer target for nlp_analyze().
 *
 * Any bytes are a post: invalid UTF-8, NULs, endless emoji modifiers, huge
 * runs of digits or hyphens.  One analyzer is reused across inputs, as in
 * production, so state leaking from one post into the next shows up too.
 * Besides the sanitizers, the target checks the invariants every caller
 * relies on: spans inside the text and surfaces equal to the spanned bytes.
 * The first input byte picks the language hint, so hints are fuzzed too.
 * A second analyzer hands every word to the segmenter (nlp_test.h): both
 * must give the same tokens, unless the text holds U+0482, where ICU's own
 * answer depends on text far away (test_nlp_tokenize.c, test_plain_words).
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz tests/fuzz/fuzz_analyze
 *   build-fuzz/tests/fuzz/fuzz_analyze -max_total_time=600 tests/fuzz/corpus_analyze
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nlp.h"
#include "nlp_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nlp_analyzer *analyzer(int k)
{
    static struct nlp_analyzer *an[2]; /* the fuzzer's process-wide analyzers */
    char err[128];

    if (!an[k]) {
        if (nlp_analyzer_new(NULL, &an[k], err, sizeof(err)) != 0)
            abort();
        nlp_test_plain_words(an[k], k == 0);
    }
    return an[k];
}

/* The same tokens, field by field. */
static void same_tokens(const struct nlp_doc *a, const struct nlp_doc *b)
{
    if (a->ntokens != b->ntokens || a->lang != b->lang)
        abort();
    for (size_t i = 0; i < a->ntokens; i++) {
        const struct nlp_token *x = &a->tokens[i], *y = &b->tokens[i];
        if (x->start != y->start || x->end != y->end || x->kind != y->kind ||
            x->script != y->script || x->flags != y->flags || x->lang != y->lang ||
            x->norm.n != y->norm.n || memcmp(x->norm.p, y->norm.p, x->norm.n) != 0 ||
            x->stem.n != y->stem.n || memcmp(x->stem.p, y->stem.p, x->stem.n) != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nlp_analyzer *an = analyzer(0);
    enum nlp_lang hint = NLP_LANG_UND;
    struct nlp_verdict v;
    struct nlp_doc d;
    char *text;

    if (size > 0) {
        hint = (enum nlp_lang)(data[0] % (NLP_LANG_MIXED + 1));
        data++;
        size--;
    }
    /* A private copy, so reads past the end are caught by ASan. */
    text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    if (nlp_analyze(an, text, size, hint, &d) == 0) {
        for (size_t i = 0; i < d.ntokens; i++) {
            const struct nlp_token *t = &d.tokens[i];
            if (t->start >= t->end || t->end > size || t->surface.p != text + t->start ||
                t->surface.n != t->end - t->start || (t->norm.n && !t->norm.p))
                abort();
        }
        if (nlp_classify(an, NULL, &d, &v) != 0)
            abort();
        if (!memmem(text, size, "\xD2\x82", 2)) {
            struct nlp_doc d2;
            if (nlp_analyze(analyzer(1), text, size, hint, &d2) != 0 ||
                nlp_analyze(an, text, size, hint, &d) != 0)
                abort();
            same_tokens(&d, &d2);
        }
    }
    free(text);
    return 0;
}
