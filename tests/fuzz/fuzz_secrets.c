/*
 * fuzz_secrets.c -- libFuzzer target for the secrets a user feeds kzpulse:
 * the first line of a secret file (common/kz_secret.h: the Redis password,
 * the bearer token, the webhook secret) and the webhook secret's own format
 * (alerts_secret_parse: "whsec_" and base64), alerts/sign.c recompiled
 * instrumented.
 *
 * Each input is written to a file.  Invariants besides the sanitizers:
 *   - kz_secret_first_line() with a small and a large buffer returns exactly
 *     what a plain reading of the bytes says (the first line up to CR or LF;
 *     too long, empty, or holding a NUL: refused) and leaves nothing of the
 *     file in the buffer past the line, nor anything at all when it refuses;
 *   - alerts_secret_parse() of the input either refuses with a message or
 *     yields 1 to ALERTS_SECRET_MAX bytes whose base64, with and without the
 *     prefix, parses back to the same key;
 *   - alerts_secret_load() of the file agrees with parsing its first line.
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz tests/fuzz/fuzz_secrets
 *   build-fuzz/tests/fuzz/fuzz_secrets -max_total_time=600 tests/fuzz/corpus_secrets
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "alerts.h"
#include "kz_secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_path[64];

static void write_input(const uint8_t *data, size_t size)
{
    if (!g_path[0]) {
        snprintf(g_path, sizeof g_path, "/tmp/kz-fuzz-secret.XXXXXX");
        int fd = mkstemp(g_path);
        if (fd < 0)
            abort();
        close(fd);
    }
    FILE *f = fopen(g_path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f))
        abort();
}

/* What kz_secret_first_line must answer for cap, from the bytes alone. */
static int expected(const uint8_t *d, size_t size, size_t cap, size_t *len)
{
    size_t n = size < cap - 1 ? size : cap - 1, l = 0;
    while (l < n && d[l] != '\n' && d[l] != '\r')
        l++;
    *len = l;
    if (size > cap - 1 && l == n)
        return KZ_ERANGE;
    if (!l)
        return KZ_ENOTFOUND;
    return memchr(d, 0, l) ? KZ_EINVAL : KZ_OK;
}

static void check_first_line(const uint8_t *data, size_t size, size_t cap)
{
    char *buf = malloc(cap);
    size_t len;
    if (!buf)
        abort();
    memset(buf, 'x', cap);
    int rc = kz_secret_first_line(g_path, buf, cap), want = expected(data, size, cap, &len);
    if (rc != want)
        abort();
    size_t from = rc ? 0 : len;
    if (!rc && memcmp(buf, data, len))
        abort();
    for (size_t i = from; i < cap; i++)
        if (buf[i])
            abort(); /* wiped */
    if (rc && !*kz_secret_why(rc))
        abort();
    free(buf);
}

static void check_parse(const uint8_t *data, size_t size)
{
    struct alerts_secret s, s2;
    char err[200] = "", b64[((ALERTS_SECRET_MAX + 2) / 3) * 4 + 8];
    if (alerts_secret_parse((const char *)data, size, &s, err, sizeof err)) {
        if (!err[0])
            abort();
        return;
    }
    if (s.n < 1 || s.n > ALERTS_SECRET_MAX)
        abort();
    int n = EVP_EncodeBlock((unsigned char *)b64 + 6, s.key, (int)s.n);
    memcpy(b64, "whsec_", 6);
    if (alerts_secret_parse(b64, 6 + (size_t)n, &s2, err, sizeof err) || s2.n != s.n ||
        memcmp(s.key, s2.key, s.n))
        abort();
    if (alerts_secret_parse(b64 + 6, (size_t)n, &s2, err, sizeof err) || s2.n != s.n ||
        memcmp(s.key, s2.key, s.n))
        abort();
}

static void check_load(const uint8_t *data, size_t size)
{
    struct alerts_secret a, b;
    char err[300] = "", why[200], line[1024];
    size_t len;
    int rc = alerts_secret_load(g_path, NULL, &a, err, sizeof err);
    if (expected(data, size, sizeof line, &len)) {
        if (!rc || !err[0])
            abort(); /* the first line itself is refused */
        return;
    }
    memcpy(line, data, len);
    int rc2 = alerts_secret_parse(line, len, &b, why, sizeof why);
    if ((rc == 0) != (rc2 == 0) || (!rc && (a.n != b.n || memcmp(a.key, b.key, a.n))))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    write_input(data, size);
    check_first_line(data, size, 8);
    check_first_line(data, size, 300);
    check_parse(data, size);
    check_load(data, size);
    return 0;
}
