/*
 * fuzz_timespec.c -- libFuzzer target: arbitrary bytes as a window edge
 * (--from, --to, the HTTP API's from/to) to ingest_time_spec_parse().
 *
 * Each input is parsed against two clocks a second apart.  Invariants besides
 * the sanitizers: the result is 0 or KZ_EINVAL; a failure leaves *ms as it was
 * and says why in one line (no newline, NUL-terminated within the buffer,
 * also in a buffer too small for it); both clocks agree on success or
 * failure; a success lies within years 0000..9999; "now" and a time ago move
 * with the clock by exactly the second, every absolute form stays put; a time
 * ago is never after now.
 * Dictionary: timespec.dict (tests/fuzz/run.sh passes it with -dict=).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

#define NOW 1772960700000LL        /* 2026-03-08T09:05:00Z */
#define MS_MIN (-62167219200000LL) /* 0000-01-01T00:00:00Z */
#define MS_MAX 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

static void check_err(const char *err, size_t cap)
{
    if (!memchr(err, 0, cap) || !err[0] || strchr(err, '\n'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    int64_t a = -42, b = -42;
    char ea[512] = "", eb[16] = "";
    int ra = ingest_time_spec_parse(s, size, NOW, &a, ea, sizeof(ea));
    int rb = ingest_time_spec_parse(s, size, NOW + 1000, &b, eb, sizeof(eb));

    if ((ra != 0 && ra != KZ_EINVAL) || ra != rb)
        abort();
    if (ra) {
        if (a != -42 || b != -42)
            abort();
        check_err(ea, sizeof(ea));
        check_err(eb, sizeof(eb)); /* cut to the small buffer, still a string */
        return 0;
    }
    if (a < MS_MIN || a > MS_MAX || b < MS_MIN || b > MS_MAX)
        abort();
    int relative = (size == 3 && !memcmp(s, "now", 3)) || (size && s[0] == '-');
    if (relative ? (b - a != 1000 || a > NOW) : a != b)
        abort();
    return 0;
}
