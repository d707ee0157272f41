/*
 * fuzz_lexicon.c -- libFuzzer target for the lexicon TSV parser and compiler
 * (nlp_lexicon_compile, nlp_lexicon_check) and the matcher over what it
 * compiles.
 *
 * Each input is one lexicon file.  Invariants besides the sanitizers: lint
 * and compile agree (compile succeeds exactly when lint finds no error, and a
 * failure says why); a compiled lexicon classifies a fixed mixed-language
 * post and the input itself (as post text) twice with the same evidence, the
 * second time through the analyzer's symbol cache (and its memo of folded
 * symbols: the post has Kazakh typed without its letters), and every evidence span
 * lies inside its text.
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz tests/fuzz/fuzz_lexicon
 *   build-fuzz/tests/fuzz/fuzz_lexicon -max_total_time=600 /tmp/fz-lex tests/fuzz/corpus_lexicon
 * Dictionary: lexicon.dict (tests/fuzz/run.sh passes it with -dict=).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nlp_analyzer *g_an;

static const char post[] =
    "Ертең сағат 12-де алаңға жиналамыз! Митинг против войны, Russia's army is collapsing, "
    "слава Україні 🇺🇦 #Жаңаөзен @akimat https://example.kz/a не поддерживаю СВО. "
    "Erten akimat aldyna jinalamyz, ертен аланга барамыз, кол жаксы";

static size_t check_text(const struct nlp_lexicon *lx, const char *text, size_t len)
{
    struct nlp_doc doc;
    struct nlp_verdict v;
    size_t nev[2] = {0, 0};

    for (int pass = 0; pass < 2; pass++) {
        if (nlp_analyze(g_an, text, len, NLP_LANG_UND, &doc))
            return 0;
        if (nlp_classify(g_an, lx, &doc, &v))
            abort();
        for (size_t i = 0; i < v.nevidence; i++)
            if (v.evidence[i].start > v.evidence[i].end || v.evidence[i].end > len)
                abort();
        nev[pass] = v.nevidence;
    }
    if (nev[0] != nev[1])
        abort(); /* the symbol cache changes nothing */
    return nev[0];
}

static void ignore(void *ctx, const char *msg)
{
    (void)ctx;
    if (!msg || !*msg)
        abort(); /* every error says something */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nlp_lexicon_file f = {"fuzz.tsv", (const char *)data, size};
    struct nlp_lexicon *lx = NULL;
    char err[512];
    long nerr;
    int rc;

    if (!g_an && nlp_analyzer_new(NULL, &g_an, err, sizeof(err)))
        abort();
    if (size > 1 << 16)
        return 0;
    nerr = nlp_lexicon_check(&f, 1, ignore, NULL);
    err[0] = '\0';
    rc = nlp_lexicon_compile(&f, 1, &lx, err, sizeof(err));
    if (rc) {
        if (lx || !err[0] || nerr == 0)
            abort(); /* a failure leaves nothing, says why, and lint saw it too */
        return 0;
    }
    if (!lx || nerr != 0)
        abort();
    check_text(lx, post, sizeof(post) - 1);
    check_text(lx, (const char *)data, size);
    nlp_lexicon_free(lx);
    return 0;
}
