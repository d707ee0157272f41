/*
 * test_alerts_scenario.c -- the detector end to end over a generated month in
 * the in-process store: baselines (alerts_baseline_read), observed counts
 * (agg_store_series), judgement (alerts_evaluate) and the state machine
 * (alerts_step), minute by minute, as the evaluator will run them.
 *
 * The month: four weeks of protest talk in two regions (KZ-47 Mangystau,
 * KZ-75 Almaty) with a daily rhythm (one post every fifth minute at night,
 * 4 a minute by day, 8 in the evening, Almaty time), a holiday (flat and low)
 * on the third Monday, then the fifth Monday with three decoys and one real
 * burst:
 *   03:00 KZ-47  a night blip: 4 posts in 4 minutes where 1 is usual;
 *   14:00 KZ-47  two accounts post 15 times a minute for 10 minutes (spam);
 *   19:30 KZ-75  a real burst: 30 more posts a minute from new people, 20 minutes.
 * Exactly the real burst must fire, in KZ-75, within a few minutes of its
 * start, and resolve after it; the holiday itself fires nothing.
 * Distinct authors per window come from the generator (the store keeps them
 * per hour; per-minute HyperLogLog is the evaluator's step): every ordinary
 * post and every burst post has its own author, the spam two.
 */
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "tap.h"

#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)
#define T0 1772391600000LL /* 2026-03-02T00:00:00+05:00, a Monday */
#define HOLIDAY 14         /* the third Monday */
#define TODAY 28           /* the fifth Monday */

enum { ORDINARY, SPAM, BURST };

/* Posts of one kind in a region's minute (region 0 = KZ-47, 1 = KZ-75). */
static int posts(int region, int64_t t, int kind)
{
    int64_t local = t + 5 * HOUR_MS;
    int day = (int)((t - T0) / DAY_MS);
    int h = (int)((local / HOUR_MS) % 24), m = (int)((local / MIN_MS) % 60);
    int mod = h * 60 + m;
    if (kind == ORDINARY) {
        if (h < 7)
            return m % 5 == 0 || (day == TODAY && region == 0 && mod >= 180 && mod < 184);
        if (day == HOLIDAY)
            return 1;
        return h >= 18 && h < 23 ? 8 : 4;
    }
    if (day != TODAY)
        return 0;
    if (kind == SPAM)
        return region == 0 && mod >= 14 * 60 && mod < 14 * 60 + 10 ? 15 : 0;
    return region == 1 && mod >= 19 * 60 + 30 && mod < 19 * 60 + 50 ? 30 : 0;
}

static int fill(struct agg_store *st)
{
    static const char *const regions[] = {"kz-47", "kz-75"};
    struct kz_str topic = {"protest", 7};
    char err[256], author[48];
    uint64_t serial = 0;
    for (int day = 0; day <= TODAY; day++) {
        struct agg_batch *b;
        if (agg_batch_new(&b))
            return -1;
        for (int64_t t = T0 + day * DAY_MS; t < T0 + (day + 1) * DAY_MS; t += MIN_MS)
            for (int r = 0; r < 2; r++)
                for (int kind = ORDINARY; kind <= BURST; kind++)
                    for (int i = 0; i < posts(r, t, kind); i++) {
                        int an = kind == SPAM ? snprintf(author, sizeof(author), "spam%d", i % 2)
                                              : snprintf(author, sizeof(author), "u%llu",
                                                         (unsigned long long)serial++);
                        struct agg_facts f = {.ts_ms = t + i * 100,
                                              .platform = {"telegram", 8},
                                              .lang = {"kk", 2},
                                              .region = {regions[r], 5},
                                              .author = {author, (size_t)an},
                                              .topics = &topic,
                                              .ntopics = 1};
                        if (agg_batch_add(b, &f))
                            return -1;
                    }
        int rc = agg_store_apply(st, b, NULL, 0, err, sizeof(err));
        agg_batch_free(b);
        if (rc)
            return -1;
    }
    return 0;
}

/* Distinct authors of a region's window ending with minute m (inclusive). */
static int64_t authors(int region, int64_t m, int window)
{
    int64_t n = 0;
    bool spam = false;
    for (int64_t t = m - (window - 1) * MIN_MS; t <= m; t += MIN_MS) {
        n += posts(region, t, ORDINARY) + posts(region, t, BURST);
        spam = spam || posts(region, t, SPAM) > 0;
    }
    return n + (spam ? 2 : 0);
}

/* Judge without authors (as a detector counting posts only would). */
static bool g_no_authors;

struct event {
    int region, day;
    enum alerts_event ev;
    int64_t minute_ms, first_ms, last_ms;
    char id[ALERTS_ID_LEN + 1];
};

static void run_day(struct agg_store *st, const struct alerts_rule *rule, int day,
                    struct event *evs, int *nevs)
{
    static const char *const dims[] = {"topic:protest|region:kz-47", "topic:protest|region:kz-75"};
    char err[256];
    for (int r = 0; r < 2; r++) {
        struct alerts_state s;
        alerts_state_init(&s);
        for (int64_t m = T0 + day * DAY_MS; m < T0 + (day + 1) * DAY_MS; m += MIN_MS) {
            struct alerts_expect e;
            struct agg_series ser;
            struct alerts_obs o;
            int rc = alerts_baseline_read(st, dims[r], m, rule->window, rule->baseline_weeks,
                                          alerts_offset_almaty, NULL, &e, err, sizeof(err));
            CHECK(rc == 0);
            rc = agg_store_series(st, AGG_MINUTE, dims[r], m - (rule->window - 1) * MIN_MS,
                                  m + MIN_MS, &ser, err, sizeof(err));
            CHECK(rc == 0);
            alerts_evaluate(rule, &e, m, true, ser.total,
                            g_no_authors ? -1 : authors(r, m, rule->window), &o);
            agg_series_free(&ser);
            int ev = alerts_step(&s, rule, &o);
            CHECK(ev >= 0);
            if ((ev == ALERTS_EV_FIRING || ev == ALERTS_EV_RESOLVED) && *nevs < 16) {
                struct event *x = &evs[(*nevs)++];
                x->region = r;
                x->day = day;
                x->ev = (enum alerts_event)ev;
                x->minute_ms = m;
                x->first_ms = s.first_ms;
                x->last_ms = s.last_ms;
                CHECK(alerts_alert_id("protest_region", dims[r], s.first_ms, x->id) == 0);
            }
        }
    }
}

static void test_month(void)
{
    struct agg_store *st;
    struct alerts_rule rule;
    struct event evs[16];
    int nevs = 0;
    memset(&rule, 0, sizeof(rule));
    rule.id = (char *)"protest_region";
    rule.kind = ALERTS_TOPIC;
    rule.scope = ALERTS_EACH_REGION;
    rule.window = 5;
    rule.baseline_weeks = 4;
    rule.min_count = 10;
    rule.min_authors = 5;
    rule.threshold = 1e-5;
    rule.cooldown = 60;
    rule.resolve_after = 10;
    rule.resolve_above = 0.01;
    rule.enabled = true;

    CHECK(agg_store_mem_new(NULL, &st) == 0);
    CHECK(fill(st) == 0);
    run_day(st, &rule, HOLIDAY, evs, &nevs);
    CHECK_EQ_INT(nevs, 0); /* the holiday fires nothing on its own */
    run_day(st, &rule, TODAY, evs, &nevs);
    for (int i = 0; i < nevs; i++)
        fprintf(
            stderr, "  event %s region %d day %d minute %lld (local %02lld:%02lld) first %lld\n",
            alerts_event_name(evs[i].ev), evs[i].region, evs[i].day, (long long)evs[i].minute_ms,
            (long long)(((evs[i].minute_ms + 5 * HOUR_MS) / HOUR_MS) % 24),
            (long long)(((evs[i].minute_ms + 5 * HOUR_MS) / MIN_MS) % 60),
            (long long)evs[i].first_ms);
    CHECK_EQ_INT(nevs, 2);
    int64_t start = T0 + TODAY * DAY_MS + 19 * HOUR_MS + 30 * MIN_MS; /* 19:30 local */
    CHECK(evs[0].ev == ALERTS_EV_FIRING && evs[0].region == 1);
    CHECK(evs[0].first_ms >= start && evs[0].first_ms <= start + 3 * MIN_MS);
    CHECK(evs[1].ev == ALERTS_EV_RESOLVED && evs[1].region == 1);
    CHECK(!strcmp(evs[0].id, evs[1].id)); /* the same alert, resolved */
    /* the last hot minute is within the burst's last window, the resolution
     * resolve_after quiet minutes later */
    CHECK(evs[1].last_ms >= start + 19 * MIN_MS && evs[1].last_ms <= start + 24 * MIN_MS);
    CHECK(evs[1].minute_ms > evs[1].last_ms && evs[1].minute_ms <= evs[1].last_ms + 20 * MIN_MS);

    /* The spam is a real decoy: counting posts only, it fires too (in KZ-47
     * at 14:00), besides the burst. */
    g_no_authors = true;
    rule.min_authors = 0;
    nevs = 0;
    run_day(st, &rule, TODAY, evs, &nevs);
    int spam = 0, burst = 0;
    for (int i = 0; i < nevs; i++)
        if (evs[i].ev == ALERTS_EV_FIRING) {
            int64_t local_min = ((evs[i].first_ms + 5 * HOUR_MS) / MIN_MS) % 1440;
            spam += evs[i].region == 0 && local_min >= 14 * 60 && local_min < 14 * 60 + 5;
            burst += evs[i].region == 1;
        }
    CHECK_EQ_INT(spam, 1);
    CHECK_EQ_INT(burst, 1);
    agg_store_free(st);
}

int main(void)
{
    RUN(test_month);
    return TAP_DONE();
}
