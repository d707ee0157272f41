/*
 * fuzz_event_id.c -- libFuzzer target for the stream entry ids a client's
 * Last-Event-ID header sends back to /api/v1/stream (serve/params.c:
 * serve_alert_id_valid, serve_alert_id_cmp).
 *
 * The input is split at its first NUL into two header values.  Invariants
 * besides the sanitizers: an accepted id is digits, one '-', digits, each part
 * at most 20 digits; an id printed back from its two parsed numbers
 * ("%llu-%llu") is accepted and compares equal to it; the comparison of two
 * accepted ids is antisymmetric and agrees with the numbers' order.
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz tests/fuzz/fuzz_event_id
 *   build-fuzz/tests/fuzz/fuzz_event_id -max_total_time=600 /tmp/fz-ev tests/fuzz/corpus_event_id
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The shape of an accepted id, checked apart from the parser; its numbers. */
static void check_shape(const char *id, unsigned long long *ms, unsigned long long *seq)
{
    size_t a = strspn(id, "0123456789");
    if (a == 0 || a > 20 || id[a] != '-')
        abort();
    size_t b = strspn(id + a + 1, "0123456789");
    if (b == 0 || b > 20 || id[a + 1 + b] != '\0')
        abort();
    *ms = strtoull(id, NULL, 10);
    *seq = strtoull(id + a + 1, NULL, 10);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 2), *x, *y;
    unsigned long long xm, xs, ym, ys;
    char back[64];

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = '\0';
    x = buf;
    y = buf + strlen(buf) + 1; /* "" when there is no NUL */
    int vx = serve_alert_id_valid(x), vy = serve_alert_id_valid(y);
    if (vx) {
        check_shape(x, &xm, &xs);
        snprintf(back, sizeof(back), "%llu-%llu", xm, xs);
        if (!serve_alert_id_valid(back) || serve_alert_id_cmp(back, x) != 0)
            abort();
    }
    if (vx && vy) {
        check_shape(y, &ym, &ys);
        int c = serve_alert_id_cmp(x, y), d = serve_alert_id_cmp(y, x);
        int want = xm != ym ? (xm < ym ? -1 : 1) : xs != ys ? (xs < ys ? -1 : 1) : 0;
        if ((c > 0) - (c < 0) != want || (d > 0) - (d < 0) != -want)
            abort();
    }
    free(buf);
    return 0;
}
