/*
 * test_alerts_state.c -- the alert state machine (alerts/state.c) over
 * generated sequences of minutes: one alert per episode however many
 * evaluations, early and final evaluations of a minute, resolving after
 * quiet final minutes, the cool-down, and the records and ids it yields.
 */
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "tap.h"

#define MIN_MS 60000LL
#define T0 1772604000000LL /* 2026-03-04T06:00:00Z, 11:00 in Almaty */

static struct alerts_rule rule;

static void rule_init(void)
{
    memset(&rule, 0, sizeof(rule));
    rule.id = (char *)"mob_call_region";
    rule.kind = ALERTS_CALL;
    rule.window = 5;
    rule.min_count = 10;
    rule.min_authors = 3;
    rule.threshold = 1e-4;
    rule.severity = ALERTS_CRITICAL;
    rule.resolve_after = 3;
    rule.resolve_above = 0.01;
    rule.cooldown = 20;
    rule.enabled = true;
}

static struct alerts_obs obs(int minute, bool final, int64_t count, int64_t authors)
{
    struct alerts_expect e = {.mean = 4, .r = 0, .nsamples = 4};
    struct alerts_obs o;
    alerts_evaluate(&rule, &e, T0 + minute * MIN_MS, final, count, authors, &o);
    return o;
}

/* Minutes 0..59: background 4 a window, a burst of 60..100 at 10..19, and
 * again at 30..33 (inside the cool-down) and 50..54 (after it).  Each minute
 * is evaluated early (half the count) and final.  Events are tallied. */
static void test_episode(void)
{
    struct alerts_state s;
    int fired = 0, updates = 0, resolved = 0;
    int64_t fire_min[4], resolve_min[4], last_min[4];
    char ids[4][ALERTS_ID_LEN + 1];
    rule_init();
    alerts_state_init(&s);
    for (int m = 0; m < 60; m++) {
        bool burst = (m >= 10 && m < 20) || (m >= 30 && m < 34) || (m >= 50 && m < 55);
        int64_t count = burst ? 60 + 4 * (m % 10) : 4;
        for (int pass = 0; pass < 2; pass++) {
            struct alerts_obs o = obs(m, pass == 1, pass ? count : count / 2, 25);
            int ev = alerts_step(&s, &rule, &o);
            CHECK(ev >= 0);
            if (ev == ALERTS_EV_FIRING) {
                CHECK(fired < 4);
                fire_min[fired] = m;
                CHECK(alerts_alert_id(rule.id, "mob:call|region:kz-47", s.first_ms, ids[fired]) ==
                      0);
                fired++;
            } else if (ev == ALERTS_EV_UPDATE) {
                updates++;
            } else if (ev == ALERTS_EV_RESOLVED) {
                CHECK(resolved < 4);
                resolve_min[resolved] = m;
                last_min[resolved] = (s.last_ms - T0) / MIN_MS;
                resolved++;
            }
        }
    }
    /* the first burst: fires once (at minute 10, on the early look), updates,
     * resolves after 3 quiet final minutes (20, 21, 22); the second burst is
     * inside the 20-minute cool-down; the third fires a new alert */
    CHECK_EQ_INT(fired, 2);
    CHECK_EQ_INT(fire_min[0], 10);
    CHECK_EQ_INT(resolve_min[0], 22);
    CHECK_EQ_INT(last_min[0], 19);
    CHECK_EQ_INT(updates, 28);     /* 10: final; 11..19, 51..54: early and final; 50: final */
    CHECK_EQ_INT(s.suppressed, 8); /* 30..33, early and final */
    CHECK_EQ_INT(fire_min[1], 50);
    CHECK_EQ_INT(resolved, 2);
    CHECK_EQ_INT(resolve_min[1], 57);
    CHECK(strcmp(ids[0], ids[1]) != 0);
}

/* An early look that fires, then its final evaluation: one alert, updated;
 * the final seen twice changes nothing; minutes never go back. */
static void test_reevaluation(void)
{
    struct alerts_state s;
    rule_init();
    alerts_state_init(&s);
    struct alerts_obs o = obs(0, false, 30, 20);
    CHECK_EQ_INT(alerts_step(&s, &rule, &o), ALERTS_EV_FIRING);
    o = obs(0, true, 45, 22);
    CHECK_EQ_INT(alerts_step(&s, &rule, &o), ALERTS_EV_UPDATE);
    CHECK_EQ_INT(s.count, 45);
    CHECK_EQ_INT(alerts_step(&s, &rule, &o), ALERTS_EV_NONE);
    o = obs(1, false, 20, 18); /* hot, early */
    CHECK_EQ_INT(alerts_step(&s, &rule, &o), ALERTS_EV_UPDATE);
    o = obs(0, true, 45, 22);
    CHECK_EQ_INT(alerts_step(&s, &rule, &o), KZ_EINVAL);
    /* quiet early looks do not resolve */
    for (int i = 0; i < 10; i++) {
        o = obs(2, false, 1, 1);
        CHECK_EQ_INT(alerts_step(&s, &rule, &o), ALERTS_EV_NONE);
    }
    CHECK(s.phase == ALERTS_FIRING);
    /* in between (neither hot nor quiet) resets the quiet run */
    struct alerts_obs q;
    q = obs(2, true, 1, 1);
    CHECK_EQ_INT(alerts_step(&s, &rule, &q), ALERTS_EV_NONE);
    q = obs(3, true, 1, 1);
    CHECK_EQ_INT(alerts_step(&s, &rule, &q), ALERTS_EV_NONE);
    q = obs(4, true, 11, 1); /* P(X >= 11 | 4) = 0.0028: not quiet, not hot */
    CHECK(!q.hot && !q.quiet);
    CHECK_EQ_INT(alerts_step(&s, &rule, &q), ALERTS_EV_NONE);
    for (int m = 5; m < 7; m++) {
        q = obs(m, true, 2, 1);
        CHECK_EQ_INT(alerts_step(&s, &rule, &q), ALERTS_EV_NONE);
    }
    q = obs(7, true, 2, 1);
    CHECK_EQ_INT(alerts_step(&s, &rule, &q), ALERTS_EV_RESOLVED);
    CHECK_EQ_INT(s.last_ms, T0 + MIN_MS);
}

/* The record of an event and its JSON. */
static void test_record_of_event(void)
{
    struct alerts_state s;
    struct alerts_record rec;
    char *json;
    rule_init();
    alerts_state_init(&s);
    struct alerts_obs o = obs(15, true, 80, 40);
    CHECK_EQ_INT(alerts_step(&s, &rule, &o), ALERTS_EV_FIRING);
    CHECK(alerts_record_fill(&rec, &rule, "mob:call|region:kz-47", "KZ-47", "Маңғыстау облысы", &s,
                             ALERTS_EV_FIRING) == 0);
    /* python3 -c 'import hashlib; print(hashlib.sha256(b"kzp-alert-v1\0mob_call_region\0"
     *   b"mob:call|region:kz-47\0" b"1772604900000").hexdigest()[:32])' */
    CHECK_EQ_STR(rec.id, "4f6e7b3986ae0fd5d2ab8b6800e56145");
    CHECK(alerts_record_json(&rec, &json) == 0);
    CHECK(strstr(json, "{\"id\":\"4f6e7b3986ae0fd5d2ab8b6800e56145\",\"rule\":\"mob_call_region\","
                       "\"kind\":\"call\",\"state\":\"firing\",\"severity\":\"critical\","
                       "\"first_minute\":\"2026-03-04T06:15:00Z\",\"last_minute\":"
                       "\"2026-03-04T06:15:00Z\",\"region\":\"KZ-47\",\"region_name\":"
                       "\"Маңғыстау облысы\",\"dimension\":\"mob:call|region:kz-47\","
                       "\"count\":80,\"authors\":40,\"expected\":4.0,\"probability\":") == json);
    /* mpmath: gammainc(80, 0, 4, regularized=True) = 3.93435635884e-73 */
    CHECK(strstr(json, "\"probability\":3.93436e-73,\"evidence\"") != NULL);
    CHECK(strstr(json, "\"evidence\":{\"samples\":[],\"top_terms\":[],\"top_hashtags\":[]}}"));
    free(json);
}

int main(void)
{
    RUN(test_episode);
    RUN(test_reevaluation);
    RUN(test_record_of_event);
    return TAP_DONE();
}
