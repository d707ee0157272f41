/*
 * state.c -- judging a window, and the life of one alert per (rule, dimension).
 *
 * alerts_evaluate() turns a count, its distinct authors and the baseline into
 * an observation: hot when the tail probability is below the rule's threshold
 * AND the count reaches min_count AND the authors reach min_authors AND the
 * distinct authors are themselves improbable under the same baseline (so a
 * jump from 1 to 4 at night is not an alert, and neither are two accounts
 * posting a hundred times into an ordinary afternoon: the window then holds
 * its usual authors plus two, however many posts).  Distinct authors never
 * exceed posts, so judging them against the expected number of posts is
 * conservative: a real crowd of new voices passes, a loud few do not.  Quiet
 * when the count's probability is back above resolve_above or the count is
 * under min_count.
 *
 * alerts_step() is the state machine: idle -> firing -> cooling -> idle.
 * One alert per episode: while firing, later hot minutes update the same
 * alert (its last minute and count) instead of firing again, which is what
 * makes alerts that repeat every evaluation impossible.  Only final
 * observations (the watermark passed the minute) count toward resolving: a
 * partial minute is naturally low.  An early observation may fire, and since
 * counts only grow as a minute fills, the final evaluation of that minute is
 * hot too -- so the first minute, and with it the alert id, is the same in
 * the live engine and in a replay that sees each minute once, complete.
 */
#include <math.h>
#include <string.h>

#include "alerts.h"

void alerts_evaluate(const struct alerts_rule *r, const struct alerts_expect *e, int64_t minute_ms,
                     bool final, int64_t count, int64_t authors, struct alerts_obs *out)
{
    int64_t min_count = r->min_count;
    if (e->short_history)
        min_count *= ALERTS_SHORT_MIN_COUNT_FACTOR;
    double lp =
        e->r > 0 ? alerts_negbin_logsf(count, e->mean, e->r) : alerts_poisson_logsf(count, e->mean);
    memset(out, 0, sizeof(*out));
    out->minute_ms = minute_ms;
    out->final = final;
    out->count = count;
    out->authors = authors;
    out->expected = e->mean;
    out->probability = exp(lp);
    bool authors_ok = r->min_authors <= 0 || (authors >= 0 && authors >= r->min_authors);
    if (authors_ok && authors >= 0) {
        double la = e->r > 0 ? alerts_negbin_logsf(authors, e->mean, e->r)
                             : alerts_poisson_logsf(authors, e->mean);
        authors_ok = la < log(r->threshold);
    }
    out->hot = lp < log(r->threshold) && count >= min_count && authors_ok;
    out->quiet = !(lp <= log(r->resolve_above)) || count < min_count;
}

void alerts_state_init(struct alerts_state *s)
{
    memset(s, 0, sizeof(*s));
    s->last_step_ms = INT64_MIN;
    s->last_final_ms = INT64_MIN;
}

const char *alerts_event_name(enum alerts_event e)
{
    static const char *names[] = {"none", "firing", "update", "resolved"};
    return (unsigned)e < KZ_ARRAY_LEN(names) ? names[e] : "?";
}

static void take(struct alerts_state *s, const struct alerts_obs *o)
{
    s->last_ms = o->minute_ms;
    s->count = o->count;
    s->authors = o->authors;
    s->expected = o->expected;
    s->probability = o->probability;
    if (o->count > s->peak_count)
        s->peak_count = o->count;
}

int alerts_step(struct alerts_state *s, const struct alerts_rule *r, const struct alerts_obs *o)
{
    if (s->last_step_ms != INT64_MIN && o->minute_ms < s->last_step_ms)
        return KZ_EINVAL;
    s->last_step_ms = o->minute_ms;
    bool new_final = o->final && o->minute_ms > s->last_final_ms;
    if (o->final && !new_final)
        return ALERTS_EV_NONE; /* this minute's final evaluation was seen already */
    if (new_final)
        s->last_final_ms = o->minute_ms;

    if (s->phase == ALERTS_COOLING) {
        if (o->minute_ms < s->resolved_ms + (int64_t)r->cooldown * AGG_MINUTE_MS) {
            if (o->hot)
                s->suppressed++;
            return ALERTS_EV_NONE;
        }
        s->phase = ALERTS_IDLE;
    }
    if (s->phase == ALERTS_IDLE) {
        if (!o->hot)
            return ALERTS_EV_NONE;
        s->phase = ALERTS_FIRING;
        s->first_ms = o->minute_ms;
        s->peak_count = 0;
        s->quiet = 0;
        take(s, o);
        return ALERTS_EV_FIRING;
    }
    /* firing */
    if (o->hot) {
        s->quiet = 0;
        if (o->minute_ms == s->last_ms && o->count == s->count && o->authors == s->authors)
            return ALERTS_EV_NONE;
        if (o->minute_ms == s->last_ms && o->count < s->count)
            return ALERTS_EV_NONE; /* an early look at a minute already judged higher */
        take(s, o);
        return ALERTS_EV_UPDATE;
    }
    if (!o->final)
        return ALERTS_EV_NONE;
    if (!o->quiet) {
        s->quiet = 0; /* neither hot nor quiet: still an episode */
        return ALERTS_EV_NONE;
    }
    if (++s->quiet < r->resolve_after)
        return ALERTS_EV_NONE;
    s->phase = ALERTS_COOLING;
    s->resolved_ms = o->minute_ms;
    s->quiet = 0;
    return ALERTS_EV_RESOLVED;
}
