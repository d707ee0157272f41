/*
 * baseline.c -- what a window should hold: the same local minute of the day
 * and day of the week over the past weeks.
 *
 * Posts follow the day (quiet at 3 a.m., busy at 9 p.m.) and the week, so a
 * window is compared with the same local window 1..N weeks back, never with a
 * flat mean.  Local time is the analysts' (Asia/Almaty; the offset is a
 * function so the zone module plugs in): a week back is the same local clock
 * time even across the 2024-03-01 change from UTC+6 to UTC+5.
 *
 * Resolution: the store keeps minute buckets 7 days and hour buckets 400 days
 * (README, Redis schema), so weeks back are read from hour buckets and scaled
 * to the window by overlap (a 5-minute window is 5/60 of its hour: the shape
 * inside the hour is lost, the level is kept).  The dispersion is estimated
 * on the raw bucket counts (value / frac) by the method of moments; binomial
 * thinning keeps a negative binomial's shape r, so the hour's r is the
 * window's.  A week with no post at all in the day before it is "no history"
 * (a zero count and a store that was not running yet look alike otherwise).
 *
 * With three samples or more the quietest is left out: a holiday or an
 * outage among the weeks only ever lowers what is expected, and it would
 * otherwise widen the negative binomial's tail until a real burst hides in
 * it (one holiday in four weeks: r ~ 3, and 40 -> 190 posts is P ~ 4e-4).
 * High weeks are kept: they make the detector more careful, never less.
 *
 * Shares (stance_share): what a window should hold of a stance is the
 * window's denominator now (posts on the war, or all) times the share the
 * same weeks had, sum of numerators over sum of denominators -- a ratio of
 * totals, not a mean of ratios, so a quiet week with 1 of 2 posts does not
 * weigh like a busy one.  The tail is Poisson with that mean: the binomial's
 * upper tail is lighter, so this is conservative.
 *
 * Short history (no week back at all): the same local minute 1..6 days back,
 * from minute buckets, mean floored at ALERTS_SHORT_FLOOR_MEAN, and
 * alerts_evaluate() asks ALERTS_SHORT_MIN_COUNT_FACTOR times the rule's
 * min_count: conservative, since days mix weekdays and weekends.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alerts.h"

#define DAY_MS (24 * AGG_HOUR_MS)
#define WEEK_MS (7 * DAY_MS)
/* Kazakhstan moved to one zone, UTC+5, on 2024-03-01 00:00 local (UTC+6). */
#define KZ_UTC5_FROM_MS 1709229600000LL

int64_t alerts_offset_almaty(void *ctx, int64_t utc_ms)
{
    (void)ctx;
    return utc_ms >= KZ_UTC5_FROM_MS ? 5 * AGG_HOUR_MS : 6 * AGG_HOUR_MS;
}

int64_t alerts_local_shift(int64_t utc_ms, int64_t back_ms, alerts_offset_fn off, void *offctx)
{
    int64_t u = utc_ms - back_ms;
    if (off)
        u += off(offctx, utc_ms) - off(offctx, u);
    return u;
}

void alerts_baseline_fit(const struct alerts_sample *s, size_t n, bool short_history,
                         struct alerts_expect *out)
{
    double sum = 0, rsum = 0, rsq = 0;
    size_t m = 0, valid = 0, low = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!(s[i].frac > 0) || !isfinite(s[i].value) || s[i].value < 0)
            continue;
        valid++;
        if (low == SIZE_MAX || s[i].value / s[i].frac < s[low].value / s[low].frac)
            low = i;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(s[i].frac > 0) || !isfinite(s[i].value) || s[i].value < 0)
            continue;
        if (valid >= 3 && i == low)
            continue; /* the quietest week: a holiday or an outage */
        double raw = s[i].value / s[i].frac;
        sum += s[i].value;
        rsum += raw;
        rsq += raw * raw;
        m++;
    }
    memset(out, 0, sizeof(*out));
    out->nsamples = (int)valid;
    out->short_history = short_history || m == 0;
    double mean = m ? sum / (double)m : 0;
    double floor = out->short_history ? ALERTS_SHORT_FLOOR_MEAN : ALERTS_FLOOR_MEAN;
    out->mean = mean > floor ? mean : floor;
    if (m >= 2) {
        double rm = rsum / (double)m;
        double var = (rsq - (double)m * rm * rm) / (double)(m - 1);
        if (var > rm && rm > 0)
            out->r = rm * rm / (var - rm);
    }
}

/* The window [from, from + w) as a share of the hour buckets it overlaps. */
static int hour_sample(struct agg_store *st, const char *dim, int64_t from, int64_t w,
                       struct alerts_sample *out, char *err, size_t errlen)
{
    int64_t h0 = from - (from % AGG_HOUR_MS + AGG_HOUR_MS) % AGG_HOUR_MS;
    int64_t to = from + w;
    int64_t h1 = to + (AGG_HOUR_MS - (to % AGG_HOUR_MS + AGG_HOUR_MS) % AGG_HOUR_MS) % AGG_HOUR_MS;
    struct agg_series ser;
    int rc = agg_store_series(st, AGG_HOUR, dim, h0, h1, &ser, err, errlen);
    if (rc)
        return rc;
    double v = 0;
    for (size_t i = 0; i < ser.n; i++) {
        int64_t a = ser.points[i].bucket_ms, b = a + AGG_HOUR_MS;
        int64_t lo = a > from ? a : from, hi = b < to ? b : to;
        if (hi > lo)
            v += (double)ser.points[i].count * (double)(hi - lo) / (double)AGG_HOUR_MS;
    }
    agg_series_free(&ser);
    out->value = v;
    out->frac = (double)w / (double)(h1 - h0);
    return 0;
}

/* Did the store count anything in the day before t? */
static int has_history(struct agg_store *st, int64_t t, bool *yes, char *err, size_t errlen)
{
    struct agg_series ser;
    int rc = agg_store_series(st, AGG_HOUR, "all", t - DAY_MS, t + AGG_HOUR_MS, &ser, err, errlen);
    if (rc)
        return rc;
    *yes = ser.total > 0;
    agg_series_free(&ser);
    return 0;
}

/* The past samples of up to two dimensions (den may be NULL) for the window
 * ending with end_minute_ms: the weeks from hour buckets, else (*short_out)
 * days 1..6 from minute buckets.  The same weeks or days for both. */
static int read_samples(struct agg_store *s, const char *dim, const char *den,
                        int64_t end_minute_ms, int window, int weeks, alerts_offset_fn off,
                        void *offctx, struct alerts_sample smp[8], struct alerts_sample dsmp[8],
                        size_t *nout, bool *short_out, char *err, size_t errlen)
{
    size_t n = 0;
    int64_t w = (int64_t)window * AGG_MINUTE_MS;
    int64_t from = end_minute_ms + AGG_MINUTE_MS - w;
    if (window < 1 || weeks < 1 || weeks > 8) {
        snprintf(err, errlen, "baseline: window %d, weeks %d out of range", window, weeks);
        return KZ_EINVAL;
    }
    for (int j = 1; j <= weeks; j++) {
        int64_t f = alerts_local_shift(from, j * WEEK_MS, off, offctx);
        bool yes;
        int rc = has_history(s, f, &yes, err, errlen);
        if (rc)
            return rc;
        if (!yes)
            continue;
        if ((rc = hour_sample(s, dim, f, w, &smp[n], err, errlen)))
            return rc;
        if (den && (rc = hour_sample(s, den, f, w, &dsmp[n], err, errlen)))
            return rc;
        n++;
    }
    *short_out = n == 0;
    if (*short_out) { /* the short-history fallback */
        for (int d = 1; d <= 6; d++) {
            int64_t f = alerts_local_shift(from, d * DAY_MS, off, offctx);
            bool yes;
            int rc = has_history(s, f, &yes, err, errlen);
            if (rc)
                return rc;
            if (!yes)
                continue;
            for (int k = 0; k < (den ? 2 : 1); k++) {
                struct agg_series ser;
                struct alerts_sample *x = k ? &dsmp[n] : &smp[n];
                rc = agg_store_series(s, AGG_MINUTE, k ? den : dim, f, f + w, &ser, err, errlen);
                if (rc)
                    return rc;
                x->value = (double)ser.total;
                x->frac = 1.0;
                agg_series_free(&ser);
            }
            n++;
        }
    }
    *nout = n;
    return 0;
}

int alerts_baseline_read(struct agg_store *s, const char *dim, int64_t end_minute_ms, int window,
                         int weeks, alerts_offset_fn off, void *offctx, struct alerts_expect *out,
                         char *err, size_t errlen)
{
    struct alerts_sample smp[8];
    size_t n = 0;
    bool short_history;
    int rc = read_samples(s, dim, NULL, end_minute_ms, window, weeks, off, offctx, smp, NULL, &n,
                          &short_history, err, errlen);
    if (rc)
        return rc;
    alerts_baseline_fit(smp, n, short_history, out);
    return 0;
}

void alerts_share_fit(const struct alerts_sample *num, const struct alerts_sample *den, size_t n,
                      double den_now, bool short_history, struct alerts_expect *out)
{
    double sn = 0, sd = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(num[i].value) || !isfinite(den[i].value) || num[i].value < 0 ||
            den[i].value <= 0 || num[i].value > den[i].value)
            continue;
        sn += num[i].value;
        sd += den[i].value;
        m++;
    }
    memset(out, 0, sizeof(*out));
    out->nsamples = (int)m;
    out->short_history = short_history || m == 0;
    double mean = sd > 0 && den_now > 0 ? den_now * sn / sd : 0;
    double floor = out->short_history ? ALERTS_SHORT_FLOOR_MEAN : ALERTS_FLOOR_MEAN;
    out->mean = mean > floor ? mean : floor;
}

int alerts_share_read(struct agg_store *s, const char *num_dim, const char *den_dim,
                      int64_t end_minute_ms, int window, int weeks, double den_now,
                      alerts_offset_fn off, void *offctx, struct alerts_expect *out, char *err,
                      size_t errlen)
{
    struct alerts_sample num[8], den[8];
    size_t n = 0;
    bool short_history;
    int rc = read_samples(s, num_dim, den_dim, end_minute_ms, window, weeks, off, offctx, num, den,
                          &n, &short_history, err, errlen);
    if (rc)
        return rc;
    alerts_share_fit(num, den, n, den_now, short_history, out);
    return 0;
}
