/*
 * time.c -- event times: RFC 3339 strings and epoch numbers to UTC milliseconds.
 *
 * RFC 3339 section 5.6 date-time: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)".
 * We accept 't' and a space for the separator and 'z' for Z (section 5.6 NOTE
 * and ISO 8601 practice), any number of fraction digits (truncated to the
 * millisecond), "-00:00" as UTC, and second 60 (a leap second) which, as POSIX
 * time does, lands on the first second of the next minute.  The calendar is
 * checked (no 31 April, 29 February only in leap years).  Days are counted with
 * Howard Hinnant's days_from_civil (common/kz_civil.h),
 * which needs neither timegm() nor the TZ environment, so parsing is pure.
 *
 * Epoch numbers are seconds when below 1e11 (year 5138 in seconds, 1973 in
 * milliseconds, so the two ranges cannot be confused for real posts) and
 * milliseconds otherwise.  Every result is kept within years 0000..9999 so
 * arithmetic on it cannot overflow.
 *
 * Time specs (ingest_time_spec_parse) are what a person types for a window's
 * edge: the RFC 3339 and epoch forms above (integers only, no sign), "now",
 * and an offset back from now, "-<digits><unit>" with unit s, m, h, d or w, or
 * "-<digits>" alone for seconds ("-3600" is an hour ago, never 1969).  The
 * function is pure: "now" is an argument, so the command line and an HTTP
 * request read a spec the same way and tests can fix the clock.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kz_civil.h"
#include "ingest_impl.h"

#define EPOCH_SECONDS_LIMIT 100000000000LL /* 1e11 */
#define MS_MIN (-62167219200000LL)         /* 0000-01-01T00:00:00Z */
#define MS_MAX 253402300799999LL           /* 9999-12-31T23:59:59.999Z */

/* ---------------------------------------------------------------------------
 * Calendar
 * ------------------------------------------------------------------------ */

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    assert(m >= 1 && m <= 12);
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

/* ---------------------------------------------------------------------------
 * RFC 3339
 * ------------------------------------------------------------------------ */

/* Read exactly `width` ASCII digits at s[*i]. */
static int digits(const char *s, size_t n, size_t *i, int width, unsigned *out)
{
    unsigned v = 0;
    if (*i + (size_t)width > n)
        return -1;
    for (int k = 0; k < width; k++) {
        char c = s[*i + (size_t)k];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (unsigned)(c - '0');
    }
    *i += (size_t)width;
    *out = v;
    return 0;
}

static int expect(const char *s, size_t n, size_t *i, char c)
{
    if (*i >= n || s[*i] != c)
        return -1;
    (*i)++;
    return 0;
}

int ingest_time_parse_rfc3339(const char *s, size_t n, int allow_local, int64_t *ms)
{
    unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, frac = 0;
    size_t i = 0;
    int64_t off_min = 0;

    if (digits(s, n, &i, 4, &y) || expect(s, n, &i, '-') || digits(s, n, &i, 2, &mo) ||
        expect(s, n, &i, '-') || digits(s, n, &i, 2, &d))
        return KZ_EDECODE;
    if (i >= n || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
        return KZ_EDECODE;
    i++;
    if (digits(s, n, &i, 2, &h) || expect(s, n, &i, ':') || digits(s, n, &i, 2, &mi) ||
        expect(s, n, &i, ':') || digits(s, n, &i, 2, &sec))
        return KZ_EDECODE;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
        return KZ_EDECODE;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        unsigned scale = 100;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            frac += (unsigned)(s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start)
            return KZ_EDECODE;
    }
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int neg = s[i] == '-';
        unsigned oh = 0, om = 0;
        i++;
        if (digits(s, n, &i, 2, &oh) || expect(s, n, &i, ':') || digits(s, n, &i, 2, &om) ||
            oh > 23 || om > 59)
            return KZ_EDECODE;
        off_min = (int64_t)oh * 60 + om;
        if (neg)
            off_min = -off_min;
    } else if (!allow_local) {
        return KZ_EDECODE;
    }
    if (i != n)
        return KZ_EDECODE;

    int64_t secs =
        kz_days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + sec;
    secs -= off_min * 60; /* local = UTC + offset */
    *ms = secs * 1000 + frac;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Epoch numbers
 * ------------------------------------------------------------------------ */

int ingest_time_from_int(int64_t v, int64_t *ms)
{
    if (v < EPOCH_SECONDS_LIMIT) {
        if (v < MS_MIN / 1000)
            return KZ_EDECODE;
        v *= 1000;
    }
    if (v > MS_MAX)
        return KZ_EDECODE;
    *ms = v;
    return 0;
}

int ingest_time_from_number(double v, int64_t *ms)
{
    if (!isfinite(v))
        return KZ_EDECODE;
    if (v < (double)EPOCH_SECONDS_LIMIT)
        v *= 1000.0;
    /* Range first, so the conversion below is defined; then round to the
     * nearest millisecond: 1741424700.123 is 1741424700122.9998 in binary. */
    if (v < (double)MS_MIN || v > (double)MS_MAX)
        return KZ_EDECODE;
    *ms = (int64_t)(v < 0 ? v - 0.5 : v + 0.5);
    return 0;
}

/* A numeric string: -?digits(.digits)?([eE][+-]?digits)?  Pure integers are
 * converted exactly; anything else goes through strtod. */
static int parse_numeric(const char *s, size_t n, int64_t *ms)
{
    size_t i = 0, int_digits = 0;
    int integral = 1;

    if (i < n && s[i] == '-')
        i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, int_digits++;
    if (int_digits == 0)
        return KZ_EDECODE;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return KZ_EDECODE;
        integral = 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return KZ_EDECODE;
        integral = 0;
    }
    if (i != n || n >= 64)
        return KZ_EDECODE;

    if (integral && int_digits <= 18) {
        int64_t v = 0;
        size_t k = s[0] == '-';
        for (; k < n; k++)
            v = v * 10 + (s[k] - '0');
        return ingest_time_from_int(s[0] == '-' ? -v : v, ms);
    }
    char buf[64];
    memcpy(buf, s, n);
    buf[n] = '\0';
    return ingest_time_from_number(strtod(buf, NULL), ms);
}

int ingest_parse_time(const char *s, size_t n, int64_t *ms)
{
    if (!s || n == 0)
        return KZ_EDECODE;
    /* A date-time starts with four digits and a dash; a number never has a
     * dash in position 4. */
    if (n >= 5 && s[4] == '-')
        return ingest_time_parse_rfc3339(s, n, 0, ms);
    return parse_numeric(s, n, ms);
}

/* ---------------------------------------------------------------------------
 * Time specs: --from / --to
 * ------------------------------------------------------------------------ */

#define SPEC_EXPECTS                                                                               \
    "expected an RFC 3339 time (2026-03-05T14:00:00+05:00), epoch seconds (or milliseconds "       \
    "from 1e11), now, or a time ago (-30s, -15m, -2h, -7d, -1w; -3600 is seconds)"

static int spec_bad(const char *s, size_t n, char *err, size_t errlen, const char *why)
{
    if (err && errlen) {
        /* quote at most 64 bytes of what was given, and only printable ASCII
         * as it is: the message stays one line whatever the input holds */
        char shown[64 * 4 + 8];
        size_t o = 0;
        for (size_t i = 0; i < n && i < 64; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
                shown[o++] = (char)c;
            else if (c >= 0x80)
                shown[o++] = (char)c; /* UTF-8 bytes pass (the caller's terminal decides) */
            else
                o += (size_t)snprintf(shown + o, sizeof(shown) - o, "\\x%02x", c);
        }
        if (n > 64)
            o += (size_t)snprintf(shown + o, sizeof(shown) - o, "...");
        shown[o] = 0;
        snprintf(err, errlen, "%s; got \"%s\"", why ? why : SPEC_EXPECTS, shown);
    }
    return KZ_EINVAL;
}

int ingest_time_spec_parse(const char *s, size_t n, int64_t now_ms, int64_t *ms, char *err,
                           size_t errlen)
{
    static const struct {
        char unit;
        int64_t ms;
    } units[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}, {'w', 604800000}};
    int64_t v;

    if (!s || n == 0)
        return spec_bad("", 0, err, errlen, NULL);
    if (n == 3 && !memcmp(s, "now", 3)) {
        *ms = now_ms;
        return 0;
    }
    if (s[0] == '-') { /* a time ago: -<digits>[unit] */
        size_t i = 1;
        int64_t k = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i <= 12)
            k = k * 10 + (s[i++] - '0');
        if (i == 1 || (i < n && s[i] >= '0' && s[i] <= '9'))
            return spec_bad(s, n, err, errlen, i == 1 ? NULL : "a time ago has at most 12 digits");
        int64_t unit = 1000;
        if (i < n) {
            size_t u;
            for (u = 0; u < KZ_ARRAY_LEN(units) && units[u].unit != s[i]; u++)
                ;
            if (u == KZ_ARRAY_LEN(units) || i + 1 != n)
                return spec_bad(s, n, err, errlen, NULL);
            unit = units[u].ms;
        }
        /* divide, not multiply: 1e12 weeks in ms does not fit in 63 bits */
        if (now_ms < MS_MIN || now_ms > MS_MAX || k > (now_ms - MS_MIN) / unit)
            return spec_bad(s, n, err, errlen, "a time ago before year 0000");
        *ms = now_ms - k * unit;
        return 0;
    }
    if (n >= 5 && s[4] == '-') {
        if (ingest_time_parse_rfc3339(s, n, 0, &v))
            return spec_bad(s, n, err, errlen,
                            "expected an RFC 3339 time with seconds and an offset "
                            "(2026-03-05T14:00:00+05:00 or ...Z)");
        *ms = v;
        return 0;
    }
    /* epoch: digits only, the post rule (below 1e11 seconds, else ms) */
    if (n > 18)
        return spec_bad(s, n, err, errlen, NULL);
    v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return spec_bad(s, n, err, errlen, NULL);
        v = v * 10 + (s[i] - '0');
    }
    if (ingest_time_from_int(v, ms))
        return spec_bad(s, n, err, errlen, "an epoch time after year 9999");
    return 0;
}

/* ---------------------------------------------------------------------------
 * Formatting (for dead-letter details)
 * ------------------------------------------------------------------------ */

void ingest_time_format(int64_t ms, char *buf, size_t n)
{
    assert(buf && n >= 32);
    int64_t days = ms / 86400000, rem = ms % 86400000;
    if (rem < 0) {
        rem += 86400000;
        days--;
    }
    int64_t y;
    unsigned m, d;
    kz_civil_from_days(days, &y, &m, &d);
    snprintf(buf, n, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", (long long)y, m, d,
             (unsigned)(rem / 3600000), (unsigned)(rem / 60000 % 60), (unsigned)(rem / 1000 % 60),
             (unsigned)(rem % 1000));
}
