/*
 * fuzz_decode_diff.c -- libFuzzer target: ingest's two decoders, compared.
 *
 * Each input is one ingest record, given to a pair of decoders for every
 * configuration of ../decode_diff.h (auto, each forced schema, the tightest
 * limits, a small max_text): one reads as programs do (the one-pass tape of
 * ingest/pull.c, jansson for what it leaves to jansson), the other with
 * ingest_decoder_use_dom() (jansson for every record).  The canonical texts
 * of what the record gave each -- return code, posts with every field, dead
 * letters with reason, detail, raw bytes and index, counters -- must be the
 * same bytes; the target aborts, printing both, when they are not.  Decoders
 * live for the whole run, so the tape's buffers are reused across records.
 * Dictionary: json.dict (tests/fuzz/run.sh passes it with -dict=).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../decode_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    /* A private copy, so reading past `size` is caught by ASan. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    for (int i = 0; i < NCONF; i++) {
        decode_into(pull_dec[i], &out_pull, buf, size);
        decode_into(dom_dec[i], &out_dom, buf, size);
        if (out_pull.n != out_dom.n || memcmp(out_pull.p, out_dom.p, out_pull.n) != 0) {
            fprintf(stderr, "configuration %d: the decoders differ\n--- tape:\n%s--- jansson:\n%s",
                    i, out_pull.p, out_dom.p);
            abort();
        }
    }
    free(buf);
    return 0;
}
