/*
 * test_aggregate_zone.c -- time zones from the system tzdata (aggregate/zone.c).
 *
 * The zones come from /usr/share/zoneinfo (Debian's tzdata; 2024a or later
 * is required, which moved Kazakhstan to one zone, UTC+5, on 2024-03-01).
 * Expected instants were computed independently (zdump -v and Python's
 * zoneinfo) and are written out as numbers.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggregate.h"
#include "tap.h"

#define H 3600000LL
/* 2024-02-29T18:00:00Z: 2024-03-01T00:00 +06 became 2024-02-29T23:00 +05 */
#define ALMATY_CHANGE 1709229600000LL

static struct agg_zone *open_zone(const char *name)
{
    struct agg_zone *z = NULL;
    char err[512] = "";
    int rc = agg_zone_open(name, &z, err, sizeof(err));
    if (rc)
        fprintf(stderr, "# %s: %s\n", name, err);
    CHECK_EQ_INT(rc, 0);
    return z;
}

static void test_almaty_2024(void)
{
    struct agg_zone *z = open_zone("Asia/Almaty");
    if (!z)
        return;
    CHECK_EQ_STR(agg_zone_name(z), "Asia/Almaty");
    CHECK_EQ_INT(agg_zone_offset(z, ALMATY_CHANGE - 1), 6 * 3600);
    CHECK_EQ_INT(agg_zone_offset(z, ALMATY_CHANGE), 5 * 3600);
    CHECK_EQ_INT(agg_zone_offset(z, 1704067200000LL), 6 * 3600); /* 2024-01-01T00:00Z */
    CHECK_EQ_INT(agg_zone_offset(z, 1772960700000LL), 5 * 3600); /* 2026-03-08 */
    CHECK_EQ_INT(agg_zone_offset(z, 4102444800000LL), 5 * 3600); /* 2100: the footer's rule */
    CHECK_EQ_INT(agg_zone_offset(z, 0), 6 * 3600);               /* 1970: +06 then */

    char buf[40];
    agg_zone_format(z, ALMATY_CHANGE - 1000, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "2024-02-29T23:59:59+06:00");
    agg_zone_format(z, ALMATY_CHANGE, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "2024-02-29T23:00:00+05:00");
    agg_zone_format(z, 1772960700000LL, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "2026-03-08T14:05:00+05:00");

    /* local days: 2026-03-08 in Almaty starts 2026-03-07T19:00:00Z */
    CHECK_EQ_INT(agg_zone_day_floor(z, 1772960700000LL), 1772910000000LL);
    CHECK_EQ_INT(agg_zone_day_ceil(z, 1772960700000LL), 1772910000000LL + 24 * H);
    CHECK_EQ_INT(agg_zone_day_ceil(z, 1772910000000LL), 1772910000000LL);
    /* At 2024-02-29T18:00:00Z the clocks went from 00:00 +06 back to 23:00 +05:
     * 2024-02-29 was 25 hours long (28T18:00Z to 29T19:00Z) and 2024-03-01
     * began at 19:00Z */
    CHECK_EQ_INT(agg_zone_day_floor(z, ALMATY_CHANGE + H), ALMATY_CHANGE + H);
    CHECK_EQ_INT(agg_zone_day_floor(z, ALMATY_CHANGE - H), ALMATY_CHANGE - 24 * H);
    CHECK_EQ_INT(agg_zone_day_floor(z, ALMATY_CHANGE), ALMATY_CHANGE - 24 * H);
    CHECK_EQ_INT(agg_zone_day_ceil(z, ALMATY_CHANGE - H), ALMATY_CHANGE + H);
    agg_zone_free(z);
}

static void test_other_zones(void)
{
    struct agg_zone *z = open_zone("UTC");
    char buf[40];
    CHECK_EQ_INT(agg_zone_offset(z, 1772960700000LL), 0);
    agg_zone_format(z, 1772960700000LL, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "2026-03-08T09:05:00Z");
    agg_zone_free(z);
    CHECK_EQ_INT(agg_zone_offset(NULL, 1772960700000LL), 0);
    CHECK_EQ_STR(agg_zone_name(NULL), "UTC");

    z = open_zone("Asia/Kolkata");
    CHECK_EQ_INT(agg_zone_offset(z, 1772960700000LL), 5 * 3600 + 1800);
    agg_zone_format(z, 1772960700000LL, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "2026-03-08T14:35:00+05:30");
    agg_zone_free(z);

    /* DST by the footer's rule: Berlin, 2030-03-31 01:00Z and 2030-10-27 01:00Z */
    z = open_zone("Europe/Berlin");
    CHECK_EQ_INT(agg_zone_offset(z, 1901149200000LL - 1), 3600);
    CHECK_EQ_INT(agg_zone_offset(z, 1901149200000LL), 7200);
    CHECK_EQ_INT(agg_zone_offset(z, 1919293200000LL - 1), 7200);
    CHECK_EQ_INT(agg_zone_offset(z, 1919293200000LL), 3600);
    agg_zone_free(z);

    /* the southern hemisphere: Santiago, DST over the new year */
    z = open_zone("America/Santiago");
    CHECK_EQ_INT(agg_zone_offset(z, 1893456000000LL), -3 * 3600); /* 2030-01-01 */
    CHECK_EQ_INT(agg_zone_offset(z, 1909008000000LL), -4 * 3600); /* 2030-06-30 */
    agg_zone_free(z);
}

static void test_bad_zones(void)
{
    const char *bad[] = {"Mars/Olympus",
                         "",
                         "../../etc/passwd",
                         "/etc/localtime",
                         "Asia",
                         "Asia//Almaty",
                         "Asia/Almaty/",
                         "Asia/Алматы",
                         "asia almaty"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct agg_zone *z = (struct agg_zone *)1;
        char err[512] = "";
        CHECK_EQ_INT(agg_zone_open(bad[i], &z, err, sizeof(err)), KZ_EINVAL);
        CHECK(z == NULL);
        CHECK(strstr(err, "unknown time zone") != NULL);
        CHECK(strchr(err, '\n') == NULL);
    }

    /* TZif bytes: garbage, a cut header, a transition with a type out of range */
    struct agg_zone *z = NULL;
    char err[256];
    CHECK_EQ_INT(agg_zone_from_tzif("x", "not a zone", 10, &z, err, sizeof(err)), KZ_EDECODE);
    unsigned char tzif[44 + 4 + 1 + 6] = "TZif2";
    memset(tzif + 5, 0, sizeof(tzif) - 5);
    memcpy(tzif, "TZif", 4);
    tzif[4] = 0;      /* version 1 */
    tzif[35] = 1;     /* one transition */
    tzif[39] = 1;     /* one type */
    tzif[44 + 4] = 3; /* its type: 3, out of range */
    CHECK_EQ_INT(agg_zone_from_tzif("x", tzif, sizeof(tzif), &z, err, sizeof(err)), KZ_EDECODE);
    CHECK(z == NULL);
    tzif[44 + 4] = 0;
    tzif[44 + 5 + 2] = 0x46; /* type 0: +0x4650 s = +05:00 */
    tzif[44 + 5 + 3] = 0x50;
    CHECK_EQ_INT(agg_zone_from_tzif("x", tzif, sizeof(tzif), &z, err, sizeof(err)), 0);
    CHECK_EQ_INT(agg_zone_offset(z, 1772960700000LL), 18000);
    agg_zone_free(z);
    CHECK_EQ_INT(agg_zone_from_tzif("x", tzif, 40, &z, err, sizeof(err)), KZ_EDECODE);
}

/*
 * zone.c reads the TZif files itself (ICU here carries 2022e data; the C
 * library converts only through the process-wide TZ).  Its answers must be
 * the C library's own over the same files: for each zone, the UTC offset at
 * an instant every 7 h 13 min from 1900 to 2100 (so every hour of the day and
 * every day of the week is hit, and the footer's rules past the last stored
 * transition too), against localtime_r under TZ=zone -- here, in one thread,
 * where setting TZ is safe.
 */
static void test_same_as_libc(void)
{
    static const char *const zones[] = {
        "Asia/Almaty",   "Asia/Qyzylorda",   "Asia/Aqtobe",         "Asia/Oral",
        "Europe/Moscow", "Europe/Kyiv",      "Europe/Berlin",       "America/New_York",
        "Asia/Kolkata",  "America/Santiago", "Australia/Lord_Howe", "UTC",
    };
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
        struct agg_zone *z = open_zone(zones[i]);
        if (!z)
            continue;
        setenv("TZ", zones[i], 1);
        tzset();
        long n = 0, diff = 0;
        for (int64_t t = -2208988800LL; t < 4102444800LL; t += 7 * 3600 + 13 * 60, n++) {
            time_t tt = (time_t)t;
            struct tm tm;
            if (!localtime_r(&tt, &tm))
                continue;
            if (agg_zone_offset(z, t * 1000) != (int32_t)tm.tm_gmtoff && diff++ < 3)
                fprintf(stderr, "# %s at %lld: zone.c %d s, libc %ld s\n", zones[i], (long long)t,
                        (int)agg_zone_offset(z, t * 1000), (long)tm.tm_gmtoff);
        }
        CHECK_EQ_INT(diff, 0);
        CHECK(n > 200000);
        agg_zone_free(z);
    }
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

int main(void)
{
    RUN(test_almaty_2024);
    RUN(test_other_zones);
    RUN(test_bad_zones);
    RUN(test_same_as_libc);
    return TAP_DONE();
}
