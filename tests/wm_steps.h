/*
 * wm_steps.h -- the watermark cases both stores must pass, as data:
 * test_aggregate_store.c runs them on the in-process store,
 * test_aggregate_redis.c on Redis.
 *
 * Each step publishes, retires or reads (agg_store_publish_watermark,
 * agg_store_retire, agg_store_watermark) and states the result: the return
 * code and, for a read that finds live members, the group's watermark.
 * Times are epoch ms; members are live while now - heartbeat < max_age.
 */
#ifndef KZ_TEST_WM_STEPS_H
#define KZ_TEST_WM_STEPS_H

#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"
#include "tap.h"

enum wm_op { WM_PUB, WM_RETIRE, WM_READ };

struct wm_step {
    enum wm_op op;
    const char *group, *member;
    int64_t wm;      /* WM_PUB: the watermark published; WM_READ: the one expected */
    int64_t now;     /* WM_PUB: the heartbeat; WM_READ: the reader's clock */
    int64_t max_age; /* WM_READ */
    int rc;          /* expected return */
};

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

static const struct wm_step wm_steps[] = {
    {WM_READ, "g1", NULL, 0, T0, 30000, KZ_ENOTFOUND},
    {WM_PUB, "g1", "node-a:101", T0 - 60000, T0, 0, 0},
    {WM_PUB, "g1", "node-b:202", T0 - 90000, T0, 0, 0},
    {WM_PUB, "g2", "node-c:303", T0 - 999000, T0, 0, 0},    /* another group: never mixed in */
    {WM_READ, "g1", NULL, T0 - 90000, T0 + 1000, 30000, 0}, /* the minimum of a and b */
    {WM_READ, "g2", NULL, T0 - 999000, T0 + 1000, 30000, 0},
    /* a publishes again; b's heartbeat ages past max_age and stops holding g1 back */
    {WM_PUB, "g1", "node-a:101", T0 - 30000, T0 + 25000, 0, 0},
    {WM_READ, "g1", NULL, T0 - 90000, T0 + 29999, 30000, 0}, /* b: 29 999 ms old, live */
    {WM_READ, "g1", NULL, T0 - 30000, T0 + 30000, 30000, 0}, /* b: 30 000 ms old, not */
    {WM_READ, "g1", NULL, T0 - 30000, T0 + 54999, 30000, 0},
    {WM_READ, "g1", NULL, 0, T0 + 55000, 30000, KZ_ENOTFOUND}, /* nobody live */
    {WM_READ, "g1", NULL, T0 - 90000, T0 + 55000, 3600000, 0}, /* a reader allowing an hour */
    {WM_READ, "g1", NULL, T0 - 90000, T0 - 5000, 30000, 0},    /* heartbeats ahead: live */
    /* a watermark may move back (a member given an older partition) */
    {WM_PUB, "g1", "node-b:202", T0 - 120000, T0 + 56000, 0, 0},
    {WM_READ, "g1", NULL, T0 - 120000, T0 + 56000, 30000, 0},
    /* a clean exit retires the member; retiring an absent one is no error */
    {WM_RETIRE, "g1", "node-b:202", 0, 0, 0, 0},
    {WM_RETIRE, "g1", "node-b:202", 0, 0, 0, 0},
    {WM_RETIRE, "g1", "node-z:999", 0, 0, 0, 0},
    {WM_READ, "g1", NULL, T0 - 30000, T0 + 30000, 3600000, 0},
    {WM_RETIRE, "g1", "node-a:101", 0, 0, 0, 0},
    {WM_READ, "g1", NULL, 0, T0, 3600000, KZ_ENOTFOUND},
    {WM_READ, "g2", NULL, T0 - 999000, T0, 3600000, 0},
    /* negative watermarks (events before 1970) and extreme clocks */
    {WM_PUB, "g3", "old:1", -5000, T0, 0, 0},
    {WM_READ, "g3", NULL, -5000, T0, 1000, 0},
    {WM_READ, "g3", NULL, 0, INT64_MAX, 1000, KZ_ENOTFOUND},
    {WM_PUB, "g3", "old:1", INT64_MIN, INT64_MIN, 0, 0},
    {WM_READ, "g3", NULL, 0, INT64_MAX, INT64_MAX, KZ_ENOTFOUND}, /* 2^64 - 1 ms old */
    {WM_READ, "g3", NULL, INT64_MIN, INT64_MIN + 1, 2, 0},
    /* bad arguments */
    {WM_PUB, "", "node-a:101", 0, T0, 0, KZ_EINVAL},
    {WM_PUB, "g1", "", 0, T0, 0, KZ_EINVAL},
    {WM_PUB, "g1", NULL, 0, T0, 0, KZ_EINVAL},
    {WM_RETIRE, NULL, "node-a:101", 0, 0, 0, KZ_EINVAL},
    {WM_READ, "g1", NULL, 0, T0, -1, KZ_EINVAL},
};

/* Run every step on s; group names get prefix (Redis tests share a db). */
static void wm_run_steps(struct agg_store *s, const char *prefix)
{
    for (size_t i = 0; i < sizeof wm_steps / sizeof wm_steps[0]; i++) {
        const struct wm_step *st = &wm_steps[i];
        char group[64], err[256] = "";
        const char *g = st->group;
        int64_t got = 12345;
        int rc;

        if (g && g[0]) {
            snprintf(group, sizeof group, "%s%s", prefix, g);
            g = group;
        }
        if (st->op == WM_PUB)
            rc = agg_store_publish_watermark(s, g, st->member, st->wm, st->now, err, sizeof err);
        else if (st->op == WM_RETIRE)
            rc = agg_store_retire(s, g, st->member, err, sizeof err);
        else
            rc = agg_store_watermark(s, g, st->max_age, st->now, &got, err, sizeof err);
        if (rc != st->rc)
            fprintf(stderr, "  step %zu: rc %d, want %d (%s)\n", i, rc, st->rc, err);
        CHECK_EQ_INT(rc, st->rc);
        if (rc < 0 && rc != KZ_ENOTFOUND)
            CHECK(err[0] != '\0');
        if (st->op == WM_READ && st->rc == 0) {
            if (got != st->wm)
                fprintf(stderr, "  step %zu: watermark %lld, want %lld\n", i, (long long)got,
                        (long long)st->wm);
            CHECK_EQ_INT(got, st->wm);
        }
    }
}

#endif /* KZ_TEST_WM_STEPS_H */
