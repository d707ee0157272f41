/*
 * fuzz_analyze.c -- libFuzzer target for nlp_analyze().
 *
 * Any bytes are a post: invalid UTF-8, NULs, endless emoji modifiers, huge
 * runs of digits or hyphens.  One analyzer is reused across inputs, as in
 * production, so state leaking from one post into the next shows up too.
 * Besides the sanitizers, the target checks the invariants every caller
 * relies on: spans inside the text and surfaces equal to the spanned bytes.
 * The first input byte picks the language hint, so hints are fuzzed too.
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz tests/fuzz/fuzz_analyze
 *   build-fuzz/tests/fuzz/fuzz_analyze -max_total_time=600 tests/fuzz/corpus_analyze
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nlp_analyzer *analyzer(void)
{
    static struct nlp_analyzer *an; /* the fuzzer's process-wide analyzer */
    char err[128];

    if (!an && nlp_analyzer_new(NULL, &an, err, sizeof(err)) != 0)
        abort();
    return an;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nlp_analyzer *an = analyzer();
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
    }
    free(text);
    return 0;
}
