/*
 * fuzz_params.c -- libFuzzer target for the HTTP API's query-string parser
 * (serve/params.c: serve_params_parse), with the option setters it calls
 * (pipeline/options.c: times, steps, zones, names, limits), and the
 * Content-Length reading of serve_body_announced on the same bytes (the
 * last one made a NUL, up to the first NUL).
 *
 * The first byte picks which parameters the "endpoint" takes (a bit each);
 * the rest is the query string, not NUL-terminated.  Invariants besides the
 * sanitizers: the parser returns 0, KZ_EINVAL or KZ_ENOMEM; KZ_EINVAL comes
 * with a one-line message that names the parameter it reports; on 0, only
 * allowed parameters are marked given, dim and kind are NUL-terminated within
 * their buffers and hold no NUL byte the query string did not escape, and a
 * given step is a valid one.
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz tests/fuzz/fuzz_params
 *   build-fuzz/tests/fuzz/fuzz_params -max_total_time=600 /tmp/fz-params tests/fuzz/corpus_params
 * Dictionary: params.dict
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct serve_params p;
    char param[33], err[1024];
    if (size < 1)
        return 0;
    unsigned allowed = data[0];
    /* a copy of exactly the query string's bytes, so reads past it are caught */
    char *qs = malloc(size - 1 ? size - 1 : 1);
    if (!qs)
        return 0;
    memcpy(qs, data + 1, size - 1);
    err[0] = '\0';
    int rc = serve_params_parse(qs, size - 1, allowed, 1772700000000LL, &p, param, sizeof(param),
                                err, sizeof(err));
    if (rc != 0 && rc != KZ_EINVAL && rc != KZ_ENOMEM)
        abort();
    if (rc == KZ_EINVAL) {
        if (!err[0] || strchr(err, '\n') || strlen(param) >= sizeof(param))
            abort();
        if (param[0] && param[0] != '?' && !strstr(err, param))
            abort();
    }
    if (rc == 0) {
        if (p.given & ~allowed)
            abort();
        if (strlen(p.dim) > SERVE_PARAM_MAX || strlen(p.kind) > SERVE_PARAM_MAX)
            abort();
        if ((p.given & SERVE_P_STEP) &&
            !strcmp(pipeline_step_name((enum pipeline_step)p.cfg.step), "invalid"))
            abort();
        if ((p.given & SERVE_P_LIMIT) && (p.cfg.limit < 0 || p.cfg.limit > 1000000))
            abort();
    }
    serve_params_free(&p);
    /* the same bytes, the last made a NUL, as a Content-Length value: no
     * read past its end, and a nonzero first digit always announces a body */
    qs[size - 1 ? size - 2 : 0] = '\0';
    int body = serve_body_announced(NULL, qs);
    if ((body != 0 && body != 1) || (qs[0] >= '1' && qs[0] <= '9' && !body))
        abort();
    free(qs);
    return 0;
}
