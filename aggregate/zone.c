/*
 * zone.c -- time zones from the system tzdata: TZif files (RFC 8536) read
 * once into an immutable zone object that answers "what is the UTC offset at
 * this instant" without touching the process's TZ or locale.
 *
 * Why not ICU or localtime_r: ICU carries its own copy of the tz database
 * (Debian 12's ICU 72 says 2022e, and there Asia/Almaty is still UTC+6 after
 * 2024-03-01, when Kazakhstan went to one zone, UTC+5), and the C library
 * only converts through the TZ environment variable, which is one per
 * process: a multithreaded server with a zone per request would have to
 * setenv() around every call.  The system's zoneinfo files are what Debian's
 * tzdata package keeps current, so we read them ourselves: a zone is the
 * sorted list of its transitions (the 64-bit data block of a version 2+ file,
 * or the 32-bit block of a version 1 file) and the POSIX TZ string of its
 * footer, which rules every instant after the last transition (the "slim"
 * files of recent tzdata have few transitions and rely on it).  A lookup is a
 * binary search, or for an instant after the last transition the footer's
 * rule for that year (Mm.w.d, Jn and n day forms, RFC 8536 section 3.3.1).
 * tests/test_aggregate_zone.c holds the answers to the C library's own
 * (localtime_r under TZ=zone, 1900..2100, twelve zones).
 *
 * Invariants checked at load: at least one local time type; transitions
 * strictly ascending; every transition's type index in range; every offset
 * within +-25 hours.  A zone object is read-only after it is made, so any
 * number of threads may share it.  Leap-second records are skipped (the
 * "right/" zones are not what civil time uses).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kz_civil.h"
#include "aggregate.h"

#define TZIF_MAX (1 << 20) /* real TZif files are a few KiB */
#define OFFSET_MAX (25 * 3600)

struct rule {
    char kind; /* 'M' (month.week.day), 'J' (1..365, no Feb 29), 'N' (0..365) */
    int m, w, d, n;
    int32_t time_s; /* local time of day of the change, may be < 0 or > 24h */
};

struct agg_zone {
    char name[256];
    int64_t *trans; /* UTC seconds, ascending */
    uint8_t *idx;   /* type of each transition */
    size_t ntrans;
    int32_t types[256]; /* UT offsets of the local time types, seconds east */
    size_t ntypes;
    int has_rule; /* the footer gives a rule for after the last transition */
    int32_t std_off, dst_off;
    int has_dst;
    struct rule start, end;
};

/* ---------------------------------------------------------------------------
 * Calendar (days and dates: common/kz_civil.h)
 * ------------------------------------------------------------------------ */

static int leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---------------------------------------------------------------------------
 * The footer: a POSIX TZ string such as "<+05>-5" or "CET-1CEST,M3.5.0,M10.5.0/3"
 * ------------------------------------------------------------------------ */

static int tz_name(const char **p, const char *end)
{
    const char *s = *p;
    if (s < end && *s == '<') {
        while (s < end && *s != '>')
            s++;
        if (s == end)
            return -1;
        *p = s + 1;
        return 0;
    }
    while (s < end && ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
        s++;
    if (s - *p < 3)
        return -1;
    *p = s;
    return 0;
}

/* [+-]hh[:mm[:ss]] with hours up to max_h; seconds */
static int tz_hms(const char **p, const char *end, int max_h, int32_t *out)
{
    const char *s = *p;
    int sign = 1, part[3] = {0, 0, 0}, np = 0;
    if (s < end && (*s == '+' || *s == '-'))
        sign = *s++ == '-' ? -1 : 1;
    for (;;) {
        int digits = 0, v = 0;
        while (s < end && *s >= '0' && *s <= '9' && digits < 3)
            v = v * 10 + (*s++ - '0'), digits++;
        if (!digits)
            return -1;
        part[np++] = v;
        if (np == 3 || s >= end || *s != ':')
            break;
        s++;
    }
    if (part[0] > max_h || part[1] > 59 || part[2] > 59)
        return -1;
    *out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
    *p = s;
    return 0;
}

static int tz_num(const char **p, const char *end, int lo, int hi, int *out)
{
    const char *s = *p;
    int v = 0, digits = 0;
    while (s < end && *s >= '0' && *s <= '9' && digits < 3)
        v = v * 10 + (*s++ - '0'), digits++;
    if (!digits || v < lo || v > hi)
        return -1;
    *out = v;
    *p = s;
    return 0;
}

static int tz_rule(const char **p, const char *end, struct rule *r)
{
    const char *s = *p;
    memset(r, 0, sizeof(*r));
    if (s < end && *s == 'M') {
        s++;
        r->kind = 'M';
        if (tz_num(&s, end, 1, 12, &r->m) || s >= end || *s++ != '.' ||
            tz_num(&s, end, 1, 5, &r->w) || s >= end || *s++ != '.' || tz_num(&s, end, 0, 6, &r->d))
            return -1;
    } else if (s < end && *s == 'J') {
        s++;
        r->kind = 'J';
        if (tz_num(&s, end, 1, 365, &r->n))
            return -1;
    } else {
        r->kind = 'N';
        if (tz_num(&s, end, 0, 365, &r->n))
            return -1;
    }
    r->time_s = 7200; /* 02:00 by default */
    if (s < end && *s == '/') {
        s++;
        if (tz_hms(&s, end, 167, &r->time_s)) /* RFC 8536 3.3.1: -167..167 hours */
            return -1;
    }
    *p = s;
    return 0;
}

/* 0, or -1 when the string is not one we can follow (the zone then keeps the
 * last transition's type: still right for zones without DST rules). */
static int tz_footer(struct agg_zone *z, const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    int32_t off;
    if (n == 0 || tz_name(&p, end) || tz_hms(&p, end, 24, &off))
        return -1;
    z->std_off = -off; /* POSIX counts west of Greenwich as positive */
    z->dst_off = z->std_off + 3600;
    if (p < end) {
        if (tz_name(&p, end))
            return -1;
        if (p < end && *p != ',') {
            if (tz_hms(&p, end, 24, &off))
                return -1;
            z->dst_off = -off;
        }
        if (p >= end || *p++ != ',' || tz_rule(&p, end, &z->start) || p >= end || *p++ != ',' ||
            tz_rule(&p, end, &z->end))
            return -1;
        z->has_dst = 1;
    }
    if (p != end || z->std_off < -OFFSET_MAX || z->std_off > OFFSET_MAX ||
        z->dst_off < -OFFSET_MAX || z->dst_off > OFFSET_MAX)
        return -1;
    z->has_rule = 1;
    return 0;
}

/* The day (days since the epoch) a rule falls on in year y. */
static int64_t rule_day(const struct rule *r, int64_t y)
{
    if (r->kind == 'J')
        return kz_days_from_civil(y, 1, 1) + r->n - 1 + (leap(y) && r->n >= 60);
    if (r->kind == 'N')
        return kz_days_from_civil(y, 1, 1) + r->n;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t first = kz_days_from_civil(y, (unsigned)r->m, 1);
    int wd = (int)((first % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday (4) */
    int64_t day = first + (r->d - wd + 7) % 7 + (int64_t)(r->w - 1) * 7;
    int len = mdays[r->m - 1] + (r->m == 2 && leap(y));
    while (day >= first + len)
        day -= 7; /* week 5 means the last such day */
    return day;
}

static int32_t rule_offset(const struct agg_zone *z, int64_t t)
{
    if (!z->has_dst)
        return z->std_off;
    int64_t y;
    unsigned m, d;
    kz_civil_from_days(floor_div(t + z->std_off, 86400), &y, &m, &d);
    int64_t start = rule_day(&z->start, y) * 86400 + z->start.time_s - z->std_off;
    int64_t end = rule_day(&z->end, y) * 86400 + z->end.time_s - z->dst_off;
    int in_dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return in_dst ? z->dst_off : z->std_off;
}

/* ---------------------------------------------------------------------------
 * TZif
 * ------------------------------------------------------------------------ */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chars;
};

static int header(const unsigned char *p, size_t n, struct tzif_counts *c, int *version)
{
    if (n < 44 || memcmp(p, "TZif", 4))
        return -1;
    *version = p[4] ? p[4] - '0' : 1;
    c->isut = be32(p + 20);
    c->isstd = be32(p + 24);
    c->leap = be32(p + 28);
    c->time = be32(p + 32);
    c->type = be32(p + 36);
    c->chars = be32(p + 40);
    if (c->type == 0 || c->type > 256 || c->time > TZIF_MAX || c->leap > TZIF_MAX ||
        c->chars > TZIF_MAX || (c->isut && c->isut != c->type) || (c->isstd && c->isstd != c->type))
        return -1;
    return 0;
}

static size_t block_size(const struct tzif_counts *c, size_t tsize)
{
    return (size_t)c->time * tsize + c->time + (size_t)c->type * 6 + c->chars +
           (size_t)c->leap * (tsize + 4) + c->isstd + c->isut;
}

int agg_zone_from_tzif(const char *name, const void *data, size_t n, struct agg_zone **out,
                       char *err, size_t errlen)
{
    const unsigned char *p = data;
    struct tzif_counts c;
    int version;
    size_t tsize = 4;

    *out = NULL;
    if (!name || header(p, n, &c, &version))
        goto bad;
    if (version >= 2) { /* skip the 32-bit block to the 64-bit one */
        size_t skip = 44 + block_size(&c, 4);
        if (skip > n)
            goto bad;
        p += skip;
        n -= skip;
        if (header(p, n, &c, &version))
            goto bad;
        tsize = 8;
    }
    size_t need = 44 + block_size(&c, tsize);
    if (need > n)
        goto bad;

    struct agg_zone *z = calloc(1, sizeof(*z));
    if (!z)
        return KZ_ENOMEM;
    snprintf(z->name, sizeof(z->name), "%s", name);
    z->ntrans = c.time;
    z->ntypes = c.type;
    if (c.time && (!(z->trans = malloc(c.time * sizeof(int64_t))) || !(z->idx = malloc(c.time)))) {
        agg_zone_free(z);
        return KZ_ENOMEM;
    }
    const unsigned char *q = p + 44;
    for (size_t i = 0; i < c.time; i++, q += tsize) {
        z->trans[i] = tsize == 8 ? be64(q) : (int64_t)(int32_t)be32(q);
        if (i && z->trans[i] <= z->trans[i - 1])
            goto bad_zone;
    }
    for (size_t i = 0; i < c.time; i++, q++) {
        if (*q >= c.type)
            goto bad_zone;
        z->idx[i] = *q;
    }
    for (size_t i = 0; i < c.type; i++, q += 6) {
        z->types[i] = (int32_t)be32(q);
        if (z->types[i] < -OFFSET_MAX || z->types[i] > OFFSET_MAX)
            goto bad_zone;
    }
    if (version >= 2) { /* the footer: "\n" TZ string "\n" */
        const unsigned char *f = p + need, *fend = p + n;
        if (f < fend && *f == '\n') {
            const unsigned char *nl = memchr(f + 1, '\n', (size_t)(fend - f - 1));
            if (nl && nl > f + 1 && tz_footer(z, (const char *)f + 1, (size_t)(nl - f - 1)))
                z->has_rule = 0; /* a rule we cannot follow: keep the last type */
        }
    }
    *out = z;
    return 0;

bad_zone:
    agg_zone_free(z);
bad:
    snprintf(err, errlen, "time zone \"%s\": not a valid TZif file", name ? name : "");
    return KZ_EDECODE;
}

/* An IANA name: letters, digits, '_', '-', '+', '/' between non-empty parts;
 * no "." or ".." part, so a name never leaves the zoneinfo folder. */
static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 200 || s[0] == '/' || s[n - 1] == '/')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '+' || c == '/'))
            return 0;
        if (c == '/' && s[i + 1] == '/')
            return 0;
    }
    return 1;
}

int agg_zone_open(const char *name, struct agg_zone **out, char *err, size_t errlen)
{
    const char *dir = getenv("TZDIR");
    char path[512];
    *out = NULL;
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    if (!name || !valid_name(name)) {
        snprintf(err, errlen,
                 "unknown time zone \"%s\": expected an IANA name such as Asia/Almaty or UTC",
                 name ? name : "");
        return KZ_EINVAL;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t n = 0;
    if (f && (buf = malloc(TZIF_MAX)))
        n = fread(buf, 1, TZIF_MAX, f);
    int read_failed = !f || !buf || ferror(f);
    int saved = errno;
    if (f)
        fclose(f);
    if (read_failed) {
        free(buf);
        if (f && !buf)
            return KZ_ENOMEM;
        snprintf(err, errlen,
                 "unknown time zone \"%s\" (%s: %s): expected an IANA name such as "
                 "Asia/Almaty or UTC",
                 name, path, strerror(saved));
        return KZ_EINVAL;
    }
    int rc = agg_zone_from_tzif(name, buf, n, out, err, errlen);
    free(buf);
    if (rc == KZ_EDECODE) {
        snprintf(err, errlen, "unknown time zone \"%s\": %s is not a TZif file", name, path);
        return KZ_EINVAL;
    }
    return rc;
}

void agg_zone_free(struct agg_zone *z)
{
    if (!z)
        return;
    free(z->trans);
    free(z->idx);
    free(z);
}

const char *agg_zone_name(const struct agg_zone *z)
{
    return z ? z->name : "UTC";
}

/* ---------------------------------------------------------------------------
 * Lookups
 * ------------------------------------------------------------------------ */

int32_t agg_zone_offset(const struct agg_zone *z, int64_t utc_ms)
{
    if (!z)
        return 0;
    int64_t t = floor_div(utc_ms, 1000);
    if (z->ntrans == 0 || t < z->trans[0])
        return z->ntrans == 0 && z->has_rule ? rule_offset(z, t) : z->types[0];
    if (t >= z->trans[z->ntrans - 1] && z->has_rule)
        return rule_offset(z, t);
    size_t lo = 0, hi = z->ntrans; /* the last transition <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return z->types[z->idx[lo]];
}

int64_t agg_zone_day_floor(const struct agg_zone *z, int64_t utc_ms)
{
    int64_t off = (int64_t)agg_zone_offset(z, utc_ms) * 1000;
    int64_t local_midnight = floor_div(utc_ms + off, 86400000) * 86400000;
    int64_t u = local_midnight - off;
    /* the offset at midnight may differ from the one at utc_ms (a change
     * earlier that day): take midnight's own */
    int64_t off2 = (int64_t)agg_zone_offset(z, u) * 1000;
    if (off2 != off && local_midnight - off2 <= utc_ms)
        u = local_midnight - off2;
    return u;
}

int64_t agg_zone_day_ceil(const struct agg_zone *z, int64_t utc_ms)
{
    int64_t f = agg_zone_day_floor(z, utc_ms);
    if (f == utc_ms)
        return f;
    int64_t c = agg_zone_day_floor(z, f + 30 * AGG_HOUR_MS); /* days are 23 to 25 hours */
    /* a zone whose offset jumps by more than a few hours (none in tzdata, but
     * a TZif file may say anything) must not give an end before utc_ms */
    if (c > utc_ms)
        return c;
    int64_t h = floor_div(utc_ms, AGG_HOUR_MS) * AGG_HOUR_MS;
    return h == utc_ms ? h : h + AGG_HOUR_MS;
}

void agg_zone_format(const struct agg_zone *z, int64_t utc_ms, char *buf, size_t n)
{
    int32_t off = agg_zone_offset(z, utc_ms);
    if (off % 60)
        off = 0; /* local mean time of old dates: RFC 3339 offsets are whole minutes */
    int64_t l = floor_div(utc_ms, 1000) + off;
    int64_t y;
    unsigned m, d;
    kz_civil_from_days(floor_div(l, 86400), &y, &m, &d);
    int64_t sod = l - floor_div(l, 86400) * 86400;
    char zone[16] = "Z";
    if (off)
        snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 3600,
                 abs(off) / 60 % 60);
    snprintf(buf, n, "%04lld-%02u-%02uT%02d:%02d:%02d%s", (long long)y, m, d, (int)(sod / 3600),
             (int)(sod / 60 % 60), (int)(sod % 60), zone);
}
