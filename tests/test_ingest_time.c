/*
 * test_ingest_time.c -- event-time parsing: RFC 3339 and epoch numbers.
 *
 * Expected values were computed independently (Python's datetime) and are
 * written out as numbers, so the test does not share code with the parser.
 * 1772960700000 is 2026-03-08T09:05:00Z, the instant most cases express.
 */
#include <string.h>

#include "ingest.h"
#include "tap.h"

#define T0 1772960700000LL

static int64_t parse(const char *s, int *rc)
{
    int64_t ms = -42;
    *rc = ingest_parse_time(s, strlen(s), &ms);
    return ms;
}

#define CHECK_TIME(s, want)                                                                        \
    do {                                                                                           \
        int rc_;                                                                                   \
        int64_t got_ = parse(s, &rc_);                                                             \
        CHECK_EQ_INT(rc_, 0);                                                                      \
        CHECK_EQ_INT(got_, want);                                                                  \
    } while (0)

#define CHECK_BAD(s)                                                                               \
    do {                                                                                           \
        int rc_;                                                                                   \
        (void)parse(s, &rc_);                                                                      \
        CHECK_EQ_INT(rc_, KZ_EDECODE);                                                             \
    } while (0)

static void test_rfc3339_offsets(void)
{
    CHECK_TIME("2026-03-08T14:05:00+05:00", T0); /* Almaty */
    CHECK_TIME("2026-03-08T05:35:00-03:30", T0); /* Newfoundland */
    CHECK_TIME("2026-03-08T09:05:00Z", T0);
    CHECK_TIME("2026-03-08t09:05:00z", T0);
    CHECK_TIME("2026-03-08 09:05:00Z", T0);
    CHECK_TIME("2026-03-08T09:05:00+00:00", T0);
    CHECK_TIME("2026-03-08T09:05:00-00:00", T0);
    CHECK_TIME("2026-03-08T12:05:00+03:00", T0); /* Moscow */
    CHECK_TIME("2026-03-09T08:05:00+23:00", T0);
}

static void test_rfc3339_fraction(void)
{
    CHECK_TIME("2026-03-08T09:05:00.000Z", T0);
    CHECK_TIME("2026-03-08T09:05:00.5Z", T0 + 500);
    CHECK_TIME("2026-03-08T09:05:00.123Z", T0 + 123);
    CHECK_TIME("2026-03-08T09:05:00.123456789Z", T0 + 123); /* truncated, not rounded */
    CHECK_TIME("2026-03-08T14:05:00.999+05:00", T0 + 999);
    CHECK_TIME("2026-03-08T09:05:00.05Z", T0 + 50);
}

static void test_rfc3339_edges(void)
{
    CHECK_TIME("2024-02-29T23:59:59.999Z", 1709251199999LL); /* leap year */
    CHECK_TIME("2016-12-31T23:59:60Z", 1483228800000LL);     /* leap second -> next minute */
    CHECK_TIME("1969-12-31T23:59:59Z", -1000);
    CHECK_TIME("1970-01-01T00:00:00Z", 0);
    CHECK_TIME("2000-01-01T05:00:00+05:00", 946684800000LL);
    CHECK_TIME("9999-12-31T23:59:59.999Z", 253402300799999LL);
    CHECK_TIME("2000-02-29T00:00:00Z", 951782400000LL); /* 2000 is a leap year */

    CHECK_BAD("2023-02-29T00:00:00Z"); /* not a leap year */
    CHECK_BAD("1900-02-29T00:00:00Z"); /* century, not a leap year */
    CHECK_BAD("2026-04-31T00:00:00Z");
    CHECK_BAD("2026-13-01T00:00:00Z");
    CHECK_BAD("2026-00-10T00:00:00Z");
    CHECK_BAD("2026-03-00T00:00:00Z");
    CHECK_BAD("2026-03-08T24:00:00Z");
    CHECK_BAD("2026-03-08T09:60:00Z");
    CHECK_BAD("2026-03-08T09:05:61Z");
    CHECK_BAD("2026-03-08T09:05:00+24:00");
    CHECK_BAD("2026-03-08T09:05:00+05:60");
    CHECK_BAD("2026-03-08T09:05:00+0500");
    CHECK_BAD("2026-03-08T09:05:00.Z");
    CHECK_BAD("2026-03-08T09:05:00");   /* no offset: ambiguous */
    CHECK_BAD("2026-03-08T09:05Z");     /* seconds are required */
    CHECK_BAD("2026-03-08");            /* a date is not a time */
    CHECK_BAD("2026-03-08T09:05:00Z "); /* trailing garbage */
    CHECK_BAD("2026-3-8T09:05:00Z");
    CHECK_BAD("2026-03-08X09:05:00Z");
}

static void test_epoch(void)
{
    CHECK_TIME("1772960700", T0);          /* seconds */
    CHECK_TIME("1772960700000", T0);       /* milliseconds */
    CHECK_TIME("1772960700.25", T0 + 250); /* fractional seconds */
    CHECK_TIME("1.7729607e9", T0);
    CHECK_TIME("99999999999", 99999999999000LL); /* just below 1e11: seconds */
    CHECK_TIME("100000000000", 100000000000LL);  /* 1e11: milliseconds */
    CHECK_TIME("0", 0);
    CHECK_TIME("-86400", -86400000LL);

    int64_t ms = 0;
    CHECK_EQ_INT(ingest_time_from_number(1772960700.0, &ms), 0);
    CHECK_EQ_INT(ms, T0);
    CHECK_EQ_INT(ingest_time_from_number(1772960700.123, &ms), 0);
    CHECK_EQ_INT(ms, T0 + 123); /* rounded to the nearest ms, not truncated */
    CHECK_EQ_INT(ingest_time_from_number(1772960700123.0, &ms), 0);
    CHECK_EQ_INT(ms, T0 + 123);
    CHECK_EQ_INT(ingest_time_from_number(1e300, &ms), KZ_EDECODE);
    CHECK_EQ_INT(ingest_time_from_number(-1e300, &ms), KZ_EDECODE);
    CHECK_EQ_INT(ingest_time_from_number(0.0 / 0.0, &ms), KZ_EDECODE);
    CHECK_EQ_INT(ingest_time_from_number(1.0 / 0.0, &ms), KZ_EDECODE);
}

static void test_garbage(void)
{
    int64_t ms = 7;
    CHECK_EQ_INT(ingest_parse_time("", 0, &ms), KZ_EDECODE);
    CHECK_EQ_INT(ingest_parse_time(NULL, 0, &ms), KZ_EDECODE);
    CHECK_EQ_INT(ms, 7); /* untouched on failure */
    CHECK_BAD("кеше");   /* "yesterday" in Kazakh */
    CHECK_BAD("вчера в 12:00");
    CHECK_BAD("yesterday");
    CHECK_BAD("12abc");
    CHECK_BAD("1e");
    CHECK_BAD("-");
    CHECK_BAD(".5");
    CHECK_BAD("1.");
    CHECK_BAD(" 1772960700");
    CHECK_BAD("0x1234");
    CHECK_BAD("99999999999999999999999"); /* out of range */
    CHECK_BAD("1e20");
    CHECK_BAD("NaN");
    CHECK_BAD("inf");
    /* Length is honoured: a NUL-free prefix parses, the rest is ignored. */
    CHECK_EQ_INT(ingest_parse_time("2026-03-08T09:05:00Zjunk", 20, &ms), 0);
    CHECK_EQ_INT(ms, T0);
}

/* ---------------------------------------------------------------------------
 * Time specs (--from, --to): every form, every bad form
 * ------------------------------------------------------------------------ */

#define NOW 1772960700000LL /* the test's clock: 2026-03-08T09:05:00Z */

static int spec(const char *s, int64_t *ms, char *err, size_t errlen)
{
    return ingest_time_spec_parse(s, strlen(s), NOW, ms, err, errlen);
}

#define CHECK_SPEC(s, want)                                                                        \
    do {                                                                                           \
        int64_t ms_ = -42;                                                                         \
        char err_[512] = "";                                                                       \
        CHECK_EQ_INT(spec(s, &ms_, err_, sizeof(err_)), 0);                                        \
        CHECK_EQ_INT(ms_, want);                                                                   \
        CHECK_EQ_STR(err_, "");                                                                    \
    } while (0)

#define CHECK_SPEC_BAD(s, msg)                                                                     \
    do {                                                                                           \
        int64_t ms_ = -42;                                                                         \
        char err_[512] = "";                                                                       \
        CHECK_EQ_INT(spec(s, &ms_, err_, sizeof(err_)), KZ_EINVAL);                                \
        CHECK_EQ_INT(ms_, -42);                                                                    \
        CHECK(strstr(err_, msg) != NULL);                                                          \
        CHECK(strchr(err_, '\n') == NULL);                                                         \
    } while (0)

static void test_spec_forms(void)
{
    CHECK_SPEC("now", NOW);
    CHECK_SPEC("2026-03-08T14:05:00+05:00", NOW);
    CHECK_SPEC("2026-03-08T09:05:00Z", NOW);
    CHECK_SPEC("2026-03-08T09:05:00.250Z", NOW + 250);
    CHECK_SPEC("1772960700", NOW);    /* epoch seconds */
    CHECK_SPEC("1772960700000", NOW); /* epoch milliseconds: 1e11 and above */
    CHECK_SPEC("99999999999", 99999999999000LL);
    CHECK_SPEC("0", 0);
    CHECK_SPEC("-30s", NOW - 30000);
    CHECK_SPEC("-15m", NOW - 15 * 60000);
    CHECK_SPEC("-2h", NOW - 2 * 3600000LL);
    CHECK_SPEC("-7d", NOW - 7 * 86400000LL);
    CHECK_SPEC("-1w", NOW - 604800000LL);
    CHECK_SPEC("-3600", NOW - 3600000LL); /* a bare negative number: seconds ago */
    CHECK_SPEC("-0", NOW);
    CHECK_SPEC("-0h", NOW);
    CHECK_SPEC("-000000000001m", NOW - 60000);           /* 12 digits */
    CHECK_SPEC("-59999999999s", NOW - 59999999999000LL); /* year 125 */
}

static void test_spec_bad(void)
{
    const char *forms = "expected an RFC 3339 time";
    CHECK_SPEC_BAD("", forms);
    CHECK_SPEC_BAD("yesterday", "got \"yesterday\"");
    CHECK_SPEC_BAD("кеше", forms); /* "yesterday" */
    CHECK_SPEC_BAD("вчера", forms);
    CHECK_SPEC_BAD("NOW", forms);
    CHECK_SPEC_BAD("now ", forms);
    CHECK_SPEC_BAD(" now", forms);
    CHECK_SPEC_BAD("now-1h", forms);
    CHECK_SPEC_BAD("-", forms);
    CHECK_SPEC_BAD("-h", forms);
    CHECK_SPEC_BAD("-1H", forms);
    CHECK_SPEC_BAD("-1y", forms);
    CHECK_SPEC_BAD("-1hh", forms);
    CHECK_SPEC_BAD("-1.5h", forms);
    CHECK_SPEC_BAD("- 1h", forms);
    CHECK_SPEC_BAD("+1h", forms);
    CHECK_SPEC_BAD("1h", forms);
    CHECK_SPEC_BAD("--1h", forms);
    CHECK_SPEC_BAD("-1000000000000s", "at most 12 digits");
    CHECK_SPEC_BAD("-999999999999w", "before year 0000"); /* 6e20 ms: no overflow */
    CHECK_SPEC_BAD("-999999999999s", "before year 0000");
    CHECK_SPEC_BAD("1772960700.5", forms); /* no fractions on the command line */
    CHECK_SPEC_BAD("1.7e9", forms);
    CHECK_SPEC_BAD("+1772960700", forms);
    CHECK_SPEC_BAD("1234567890123456789", forms);
    CHECK_SPEC_BAD("999999999999999999", "after year 9999");
    CHECK_SPEC_BAD("2026-03-08T09:05:00", "with seconds and an offset"); /* no offset */
    CHECK_SPEC_BAD("2026-03-08", "with seconds and an offset");
    CHECK_SPEC_BAD("2026-02-30T00:00:00Z", "with seconds and an offset");
    CHECK_SPEC_BAD("2026-03-08T09:05Z", "with seconds and an offset");
    CHECK_SPEC_BAD("a\nb", "got \"a\\x0ab\""); /* one line, whatever the input */

    /* the length is honoured, NUL bytes and all; NULL is refused */
    int64_t ms = 5;
    char err[512];
    CHECK_EQ_INT(ingest_time_spec_parse("now\0", 4, NOW, &ms, err, sizeof(err)), KZ_EINVAL);
    CHECK_EQ_INT(ingest_time_spec_parse("nowhere", 3, NOW, &ms, err, sizeof(err)), 0);
    CHECK_EQ_INT(ms, NOW);
    CHECK_EQ_INT(ingest_time_spec_parse(NULL, 0, NOW, &ms, err, sizeof(err)), KZ_EINVAL);
    CHECK_EQ_INT(ingest_time_spec_parse("-1h", 3, NOW, &ms, NULL, 0), 0); /* err optional */
    CHECK_EQ_INT(ingest_time_spec_parse("x", 1, NOW, &ms, NULL, 0), KZ_EINVAL);
    /* a long input is quoted cut, and the message still fits */
    char big[300];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    CHECK_SPEC_BAD(big, "xxx...\"");
}

int main(void)
{
    RUN(test_spec_forms);
    RUN(test_spec_bad);
    RUN(test_rfc3339_offsets);
    RUN(test_rfc3339_fraction);
    RUN(test_rfc3339_edges);
    RUN(test_epoch);
    RUN(test_garbage);
    return TAP_DONE();
}
