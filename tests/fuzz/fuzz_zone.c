/*
 * fuzz_zone.c -- libFuzzer target: arbitrary bytes as a TZif file (RFC 8536)
 * to agg_zone_from_tzif(), then lookups on what it loaded.
 *
 * Invariants besides the sanitizers: a load returns 0 with a zone or
 * KZ_EDECODE with a one-line message and no zone; a loaded zone answers, for
 * instants spread over years 0000..9999 and at the input's own words, an
 * offset within +-25 hours; its day floor is at or before the instant and its
 * day ceiling at or after it; formatting gives a NUL-terminated RFC 3339 time
 * that fits the 32 bytes agg_zone_format asks for (year 10000 included: an
 * instant late in 9999 UTC may be in 10000 locally).  The footer's POSIX TZ
 * string is where most of the parsing is: seeds are real zones of the system
 * tzdata (Asia/Almaty, Europe/Berlin, America/Santiago, Asia/Kolkata,
 * America/New_York, UTC).
 * Dictionary: zone.dict (tests/fuzz/run.sh passes it with -dict=).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"

#define MS_MIN (-62167219200000LL) /* 0000-01-01T00:00:00Z */
#define MS_MAX 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

static void check_instant(const struct agg_zone *z, int64_t t)
{
    if (t < MS_MIN || t > MS_MAX)
        return;
    int32_t off = agg_zone_offset(z, t);
    if (off < -25 * 3600 || off > 25 * 3600)
        abort();
    if (agg_zone_day_floor(z, t) > t || agg_zone_day_ceil(z, t) < t)
        abort();
    char buf[40];
    memset(buf, 'x', sizeof(buf));
    agg_zone_format(z, t, buf, sizeof(buf));
    size_t n = strnlen(buf, sizeof(buf));
    if (n >= 32) /* agg_zone_format asks for 32 bytes */
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct agg_zone *z = (struct agg_zone *)1;
    char err[256] = "";
    int rc = agg_zone_from_tzif("Fuzz/Zone", data, size, &z, err, sizeof(err));
    if (rc) {
        if (rc != KZ_EDECODE || z || !err[0] || strchr(err, '\n'))
            abort();
        return 0;
    }
    if (!z || strcmp(agg_zone_name(z), "Fuzz/Zone"))
        abort();
    /* a spread of instants, and the input's own 8-byte words read as times */
    for (int64_t t = MS_MIN; t <= MS_MAX - 97 * 86400000LL * 365; t += 97 * 86400000LL * 365)
        check_instant(z, t);
    for (int64_t y = 1900; y <= 2100; y += 7)
        check_instant(z, (y - 1970) * 31556952000LL);
    for (size_t i = 0; i + 8 <= size && i < 512; i += 8) {
        int64_t v;
        memcpy(&v, data + i, 8);
        check_instant(z, v);
        check_instant(z, v / 1000000);
    }
    agg_zone_free(z);
    return 0;
}
