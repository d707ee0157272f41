/*
 * test_alerts_stats.c -- the detector's math (alerts/stats.c, baseline.c)
 * and its judgement (alerts_evaluate): tail probabilities against values
 * computed independently, baselines read from a generated month in the
 * in-process store, and the cases that must and must not fire.
 *
 * Reference tails: mpmath at 60 digits summing the tail term by term (not
 * the incomplete gamma/beta functions the code uses):
 *   python3 -c 'from mpmath import *; mp.dps=60; lam=mpf(40); k=400;
 *     t=exp(-lam+k*log(lam)-loggamma(k+1)); s=0; i=k
 *     while t > s*mpf(10)**-50 or s == 0: s+=t; i+=1; t=t*lam/i
 *     print(log(s))'
 * and for the negative binomial (mean mu, shape r, p = r/(r+mu), q = 1-p)
 *   t = exp(loggamma(k+r)-loggamma(r)-loggamma(k+1)+r*log(p)+k*log(q)),
 *   t_{i+1} = t_i*(i+r)/(i+1)*q, summed from i = k.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "tap.h"

#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)

/* |got - want| <= rel * |want| */
#define CHECK_REL(got, want, rel)                                                                  \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        tap_checks++;                                                                              \
        if (!(fabs(g_ - w_) <= (rel)*fabs(w_))) {                                                  \
            tap_failed++;                                                                          \
            fprintf(stderr, "%s:%d: %s = %.17g, want %.17g (rel %g)\n", __FILE__, __LINE__, #got,  \
                    g_, w_, (double)(rel));                                                        \
        }                                                                                          \
    } while (0)

static void test_poisson_tail(void)
{
    static const struct {
        int64_t k;
        double lambda, logsf;
    } cases[] = {
        {4, 1, -3.9639398164695048609},    /* the 3 a.m. blip: P = 0.0190 */
        {400, 40, -564.84386337358944098}, /* 40 -> 400: P = 4.9e-246 */
        {10, 2.5, -8.19022275922605014},    {5, 0.5, -8.6673440398360598692},
        {1, 3, -0.051069180942701586539},   {150, 100, -13.182001675714710447},
        {3, 7.0, -0.030084189029953193374}, /* lambda > k: the continued fraction */
        {300, 25, -474.15642021915229599},  /* P = 1.19e-206 */
        {400, 25, -737.88600674159681695},  /* P = 3.5e-321: subnormal as a double */
        {1000, 10, -3619.5330453507496695}, /* P = 1.1e-1572: only its log exists */
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++)
        CHECK_REL(alerts_poisson_logsf(cases[i].k, cases[i].lambda), cases[i].logsf, 1e-9);
    CHECK_REL(exp(alerts_poisson_logsf(4, 1)), 0.018988156876153809079, 1e-9);
    CHECK(alerts_poisson_logsf(0, 5) == 0.0);
    CHECK(alerts_poisson_logsf(-3, 5) == 0.0);
    CHECK(isinf(alerts_poisson_logsf(1, 0)) && alerts_poisson_logsf(1, 0) < 0);
    /* monotone in k, and finite far out */
    double prev = 0;
    for (int64_t k = 1; k < 5000; k += 37) {
        double l = alerts_poisson_logsf(k, 40);
        CHECK(isfinite(l) && l <= prev);
        prev = l;
    }
    /* large counts near their mean converge */
    double mid = alerts_poisson_logsf(1000000, 1000000);
    CHECK(isfinite(mid) && exp(mid) > 0.49 && exp(mid) < 0.51);
}

static void test_negbin_tail(void)
{
    static const struct {
        int64_t k;
        double mu, r, logsf;
    } cases[] = {
        {400, 40, 5, -35.008044891839991028},  {10, 2.5, 1.5, -3.8132189516632001241},
        {60, 20, 3.0, -4.6978300197521352054}, {2000, 30, 2, -124.24076036819086535},
        {25, 20, 50, -1.6475074900666150483},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++)
        CHECK_REL(alerts_negbin_logsf(cases[i].k, cases[i].mu, cases[i].r), cases[i].logsf, 1e-9);
    /* overdispersion widens the tail; a huge shape is Poisson */
    CHECK(alerts_negbin_logsf(400, 40, 5) > alerts_poisson_logsf(400, 40));
    CHECK_REL(alerts_negbin_logsf(60, 40, 1e15), alerts_poisson_logsf(60, 40), 1e-9);
    CHECK(alerts_negbin_logsf(0, 40, 5) == 0.0);
}

static void test_baseline_fit(void)
{
    struct alerts_expect e;
    /* Poisson-like weeks: variance <= mean */
    struct alerts_sample s1[] = {{40, 1}, {41, 1}, {39, 1}, {40, 1}};
    alerts_baseline_fit(s1, 4, false, &e);
    CHECK_REL(e.mean, 121.0 / 3, 1e-12); /* 39 left out */
    CHECK(e.r == 0 && e.nsamples == 4 && !e.short_history);
    /* a holiday among the weeks is left out (the quietest of three or more) */
    struct alerts_sample s2[] = {{40, 1}, {41, 1}, {12, 1}, {39, 1}};
    alerts_baseline_fit(s2, 4, false, &e);
    CHECK_REL(e.mean, 40, 1e-12);
    CHECK(e.r == 0 && e.nsamples == 4);
    /* busy weeks vary: 40 left out, 80 60 120: mean 260/3, variance 2800/3 */
    struct alerts_sample s3[] = {{80, 1}, {40, 1}, {60, 1}, {120, 1}};
    alerts_baseline_fit(s3, 4, false, &e);
    CHECK_REL(e.mean, 260.0 / 3, 1e-12);
    CHECK_REL(e.r, (260.0 / 3) * (260.0 / 3) / (2800.0 / 3 - 260.0 / 3), 1e-12);
    /* hour buckets scaled to 5 minutes: the shape comes from the raw hours */
    struct alerts_sample s4[] = {{80, 5.0 / 60}, {40, 5.0 / 60}, {60, 5.0 / 60}, {120, 5.0 / 60}};
    alerts_baseline_fit(s4, 4, false, &e);
    CHECK_REL(e.mean, 260.0 / 3, 1e-12);
    CHECK_REL(e.r, 1040.0 * 1040.0 / (2800.0 * 144 / 3 - 1040.0), 1e-12);
    /* two samples: both kept */
    struct alerts_sample s5[] = {{10, 1}, {30, 1}};
    alerts_baseline_fit(s5, 2, false, &e);
    CHECK_REL(e.mean, 20, 1e-12);
    CHECK_REL(e.r, 400.0 / (200.0 - 20.0), 1e-12);
    /* floors */
    struct alerts_sample s6[] = {{0, 1}, {0, 1}};
    alerts_baseline_fit(s6, 2, false, &e);
    CHECK(e.mean == ALERTS_FLOOR_MEAN && e.r == 0);
    alerts_baseline_fit(NULL, 0, false, &e);
    CHECK(e.short_history && e.mean == ALERTS_SHORT_FLOOR_MEAN && e.nsamples == 0);
}

static void rule_init(struct alerts_rule *r)
{
    memset(r, 0, sizeof(*r));
    r->id = (char *)"t";
    r->window = 5;
    r->baseline_weeks = 4;
    r->min_count = 10;
    r->min_authors = 3;
    r->threshold = 1e-4;
    r->resolve_after = 3;
    r->resolve_above = 0.01;
    r->cooldown = 30;
    r->enabled = true;
}

static void test_verdicts(void)
{
    struct alerts_rule r;
    struct alerts_expect e;
    struct alerts_obs o;
    rule_init(&r);

    /* 1 -> 4 at 3 a.m.: weeks 1 0 2 1, the 0 left out, mean 4/3: P = 0.046
     * (mpmath, the tail summed from 4 with lambda = 4/3), and under min_count
     * anyway */
    struct alerts_sample night[] = {{1, 1}, {0, 1}, {2, 1}, {1, 1}};
    alerts_baseline_fit(night, 4, false, &e);
    alerts_evaluate(&r, &e, 0, true, 4, 4, &o);
    CHECK(!o.hot && o.quiet);
    CHECK_REL(o.probability, 0.04649430286533402922, 1e-9);
    /* even with min_count 1 it is not improbable enough */
    r.min_count = 1;
    alerts_evaluate(&r, &e, 0, true, 4, 4, &o);
    CHECK(!o.hot);
    r.min_count = 10;

    /* 40 -> 400 with a crowd behind it */
    struct alerts_sample day[] = {{38, 1}, {42, 1}, {40, 1}, {41, 1}};
    alerts_baseline_fit(day, 4, false, &e);
    alerts_evaluate(&r, &e, 0, true, 400, 180, &o);
    CHECK(o.hot && !o.quiet && o.probability < 1e-200);
    /* the same count from two accounts: spam, not a crowd */
    alerts_evaluate(&r, &e, 0, true, 400, 2, &o);
    CHECK(!o.hot);
    /* two accounts posting 150 times into an ordinary afternoon of 20 posts
     * by 20 people: 170 posts (P ~ 1e-80) but 22 voices where 20 posts were
     * expected (P = 0.32): not a crowd */
    struct alerts_sample noon[] = {{20, 1}, {19, 1}, {21, 1}, {20, 1}};
    alerts_baseline_fit(noon, 4, false, &e);
    alerts_evaluate(&r, &e, 0, true, 170, 22, &o);
    CHECK(!o.hot && o.probability < 1e-50);
    alerts_evaluate(&r, &e, 0, true, 170, 120, &o); /* the same posts from 120 people */
    CHECK(o.hot);
    /* authors unknown: a rule that asks for authors does not fire */
    alerts_evaluate(&r, &e, 0, true, 400, -1, &o);
    CHECK(!o.hot);

    /* a holiday among the weeks: the holiday itself (low, flat) and a normal
     * day after it (a little busy) are not alerts, a real burst still is */
    struct alerts_sample hol[] = {{40, 1}, {41, 1}, {12, 1}, {39, 1}};
    alerts_baseline_fit(hol, 4, false, &e);
    alerts_evaluate(&r, &e, 0, true, 12, 12, &o);
    CHECK(!o.hot && o.quiet);
    alerts_evaluate(&r, &e, 0, true, 55, 40, &o);
    CHECK(!o.hot);
    alerts_evaluate(&r, &e, 0, true, 400, 180, &o); /* a real burst still fires */
    CHECK(o.hot);

    /* short history: three times min_count */
    alerts_baseline_fit(NULL, 0, true, &e);
    alerts_evaluate(&r, &e, 0, true, 25, 25, &o);
    CHECK(!o.hot);
    alerts_evaluate(&r, &e, 0, true, 30, 25, &o);
    CHECK(o.hot);
}

/* ---------------------------------------------------------------------------
 * Baselines from the in-process store: a generated month
 * ------------------------------------------------------------------------ */

/* 2026-03-02T00:00:00+05:00, a Monday */
#define T0 1772391600000LL

/* Posts per minute of topic:protest in KZ-47 at a local hour: quiet nights,
 * a busy evening; one post every fifth minute at night. */
static int per_minute(int64_t utc_ms)
{
    int64_t local = utc_ms + 5 * HOUR_MS;
    int h = (int)((local / HOUR_MS) % 24);
    int m = (int)((local / MIN_MS) % 60);
    if (h < 7)
        return m % 5 == 0;
    return h >= 18 && h < 23 ? 8 : 4;
}

static int add_posts(struct agg_store *st, int64_t from, int64_t to, int (*rate)(int64_t))
{
    struct agg_batch *b;
    char err[256];
    if (agg_batch_new(&b))
        return -1;
    struct kz_str topic = {"protest", 7};
    for (int64_t t = from; t < to; t += MIN_MS) {
        int n = rate(t);
        for (int i = 0; i < n; i++) {
            char author[32];
            int an = snprintf(author, sizeof(author), "u%d", i);
            struct agg_facts f = {.ts_ms = t + i * 1000,
                                  .platform = {"telegram", 8},
                                  .lang = {"kk", 2},
                                  .region = {"kz-47", 5},
                                  .author = {author, (size_t)an},
                                  .topics = &topic,
                                  .ntopics = 1};
            if (agg_batch_add(b, &f))
                return -1;
        }
    }
    int rc = agg_store_apply(st, b, NULL, 0, err, sizeof(err));
    agg_batch_free(b);
    return rc;
}

static void test_baseline_read(void)
{
    struct agg_store *st;
    char err[256];
    struct alerts_expect e;
    const char *dim = "topic:protest|region:kz-47";
    CHECK(agg_store_mem_new(NULL, &st) == 0);
    CHECK(add_posts(st, T0, T0 + 28 * DAY_MS, per_minute) == 0);

    /* the fifth Monday, window 03:00-03:05 local: one post in 5 minutes */
    int64_t day = T0 + 28 * DAY_MS;
    CHECK(alerts_baseline_read(st, dim, day + 3 * HOUR_MS + 4 * MIN_MS, 5, 4, alerts_offset_almaty,
                               NULL, &e, err, sizeof(err)) == 0);
    CHECK(e.nsamples == 4 && !e.short_history);
    CHECK_REL(e.mean, 12.0 * 5 / 60, 1e-9); /* 12 posts an hour, scaled to 5 minutes */
    /* 19:00-19:05 local: 8 a minute */
    CHECK(alerts_baseline_read(st, dim, day + 19 * HOUR_MS + 4 * MIN_MS, 5, 4, alerts_offset_almaty,
                               NULL, &e, err, sizeof(err)) == 0);
    CHECK_REL(e.mean, 40, 1e-9);
    CHECK(e.r == 0); /* every week the same */
    /* a window across two hours: 17:58-18:03 = 2 minutes at 4 + 3 at 8 */
    CHECK(alerts_baseline_read(st, dim, day + 18 * HOUR_MS + 2 * MIN_MS, 5, 4, alerts_offset_almaty,
                               NULL, &e, err, sizeof(err)) == 0);
    CHECK_REL(e.mean, 2 * 4 + 3 * 8, 1e-9);
    /* eight weeks asked, four there: the four */
    CHECK(alerts_baseline_read(st, dim, day + 19 * HOUR_MS + 4 * MIN_MS, 5, 8, alerts_offset_almaty,
                               NULL, &e, err, sizeof(err)) == 0);
    CHECK(e.nsamples == 4 && !e.short_history);
    agg_store_free(st);

    /* two days of history only: the fallback, from minute buckets */
    CHECK(agg_store_mem_new(NULL, &st) == 0);
    CHECK(add_posts(st, T0, T0 + 2 * DAY_MS, per_minute) == 0);
    CHECK(alerts_baseline_read(st, dim, T0 + 2 * DAY_MS + 19 * HOUR_MS + 4 * MIN_MS, 5, 4,
                               alerts_offset_almaty, NULL, &e, err, sizeof(err)) == 0);
    CHECK(e.short_history && e.nsamples == 2);
    CHECK_REL(e.mean, 40, 1e-9);
    /* at night the fallback's floor */
    CHECK(alerts_baseline_read(st, dim, T0 + 2 * DAY_MS + 3 * HOUR_MS + 4 * MIN_MS, 5, 4,
                               alerts_offset_almaty, NULL, &e, err, sizeof(err)) == 0);
    CHECK(e.short_history && e.mean == ALERTS_SHORT_FLOOR_MEAN);
    /* an empty store: floor, short */
    agg_store_free(st);
    CHECK(agg_store_mem_new(NULL, &st) == 0);
    CHECK(alerts_baseline_read(st, dim, T0, 5, 4, alerts_offset_almaty, NULL, &e, err,
                               sizeof(err)) == 0);
    CHECK(e.short_history && e.nsamples == 0);
    CHECK(alerts_baseline_read(st, dim, T0, 0, 4, alerts_offset_almaty, NULL, &e, err,
                               sizeof(err)) == KZ_EINVAL);
    agg_store_free(st);
}

/* The local clock across Kazakhstan's 2024-03-01 change (UTC+6 -> UTC+5): a
 * week back from 2024-03-05 19:00 local (14:00Z) is 2024-02-27 19:00 local,
 * which was 13:00Z. */
static void test_local_shift(void)
{
    int64_t now = 1709647200000LL;  /* 2024-03-05T14:00:00Z */
    int64_t want = 1709038800000LL; /* 2024-02-27T13:00:00Z */
    CHECK_EQ_INT(alerts_local_shift(now, 7 * DAY_MS, alerts_offset_almaty, NULL), want);
    CHECK_EQ_INT(alerts_local_shift(now, 7 * DAY_MS, NULL, NULL), now - 7 * DAY_MS);
    CHECK_EQ_INT(alerts_offset_almaty(NULL, now), 5 * HOUR_MS);
    CHECK_EQ_INT(alerts_offset_almaty(NULL, want), 6 * HOUR_MS);
}

/* Shares: 42 of 410 posts on the war were pro-Russian over the weeks; now
 * 200 posts on the war. */
static void test_share(void)
{
    struct alerts_sample num[] = {{10, 1}, {12, 1}, {9, 1}, {11, 1}, {5, 1}};
    struct alerts_sample den[] = {{100, 1}, {110, 1}, {95, 1}, {105, 1}, {0, 1}};
    struct alerts_expect e;
    struct alerts_rule r;
    struct alerts_obs o;
    rule_init(&r);
    alerts_share_fit(num, den, 5, 200, false, &e); /* the last: no denominator, left out */
    CHECK_REL(e.mean, 200.0 * 42 / 410, 1e-12);
    CHECK(e.r == 0 && e.nsamples == 4 && !e.short_history);
    alerts_evaluate(&r, &e, 0, true, 60, 45, &o); /* 30% where 10% is usual */
    CHECK(o.hot);
    alerts_evaluate(&r, &e, 0, true, 25, 25, &o); /* 12.5% */
    CHECK(!o.hot);
    alerts_share_fit(num, den, 0, 200, false, &e);
    CHECK(e.short_history && e.mean == ALERTS_SHORT_FLOOR_MEAN);

    /* from the store: the month's protest posts in KZ-47 are all its posts,
     * a share of 1, so what is expected is the denominator now; against a
     * dimension never counted (lang:ru) there is no share to go by */
    struct agg_store *st;
    char err[256];
    CHECK(agg_store_mem_new(NULL, &st) == 0);
    CHECK(add_posts(st, T0, T0 + 28 * DAY_MS, per_minute) == 0);
    int64_t at = T0 + 28 * DAY_MS + 19 * HOUR_MS + 4 * MIN_MS;
    CHECK(alerts_share_read(st, "topic:protest|region:kz-47", "all", at, 5, 4, 50,
                            alerts_offset_almaty, NULL, &e, err, sizeof(err)) == 0);
    CHECK_REL(e.mean, 50, 1e-9);
    CHECK(alerts_share_read(st, "topic:protest|region:kz-47", "lang:ru", at, 5, 4, 50,
                            alerts_offset_almaty, NULL, &e, err, sizeof(err)) == 0);
    CHECK(e.nsamples == 0 && e.short_history && e.mean == ALERTS_SHORT_FLOOR_MEAN);
    agg_store_free(st);
}

int main(void)
{
    RUN(test_poisson_tail);
    RUN(test_negbin_tail);
    RUN(test_baseline_fit);
    RUN(test_verdicts);
    RUN(test_baseline_read);
    RUN(test_local_shift);
    RUN(test_share);
    return TAP_DONE();
}
