/*
 * loop.c -- the evaluator's two drivers: live, over Redis, as the group's
 * watermark moves; and a replay's, over a store that holds every post.
 *
 * Live: a restarted evaluator first reads the stream's newest records back
 * (XREVRANGE) so that an alert still open is continued, not fired again; then
 * each round (every interval_ms) it reads the watermark, takes every minute
 * the watermark has passed final, in order (on the first round, the
 * backfill_ms before it as well: a restart or a late start loses no minute
 * the stream's states do not cover), then looks early at the minutes after
 * the last final one up to the wall clock's, the last three at most.  A
 * record is printed once this process has published it (the stream's claim
 * decides among evaluators); JSON lines hold the firing and resolved records,
 * one each per alert, while the stream also carries the updates (a later
 * minute, a larger count).  Redis away is a log line and a retry after
 * 1, 2, 4 ... 30 s, never an exit: the minutes not taken are taken later.
 * Any other error of one key at one minute is logged and that minute is left
 * behind (never silently: the line names it).
 *
 * Replay: the same evaluator, frozen store, every minute final in order from
 * the archives' first to their last and past it by the longest window plus
 * resolve_after, so a burst near the end resolves as it would live.  No
 * claims: a replay publishes nowhere, it writes what would have been fired
 * (firing and resolved records), with the live engine's ids.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alerts.h"
#include "metrics.h"

#define LOOP_WM_MAX_AGE_MS 30000             /* as the run's own readers (stream_report.c) */
#define LOOP_RESTORE_MAX 10000               /* stream records read back at the start */
#define LOOP_EARLY_MINUTES 3                 /* partial minutes looked at, at most */
#define LOOP_CATCHUP_MAX_MS (24 * 3600000LL) /* a watermark jump past this is skipped (logged) */
#define LOOP_BACKOFF_MAX_MS 30000
#define LOOP_WATCH_MS 60000 /* the watch set published again this often */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t floor_minute(int64_t t)
{
    int64_t q = t / AGG_MINUTE_MS;
    if (t % AGG_MINUTE_MS < 0)
        q--;
    return q * AGG_MINUTE_MS;
}

/* Sleep ms in steps of 100 ms, returning early on a stop. */
static void nap(const struct alerts_live_config *c, int64_t ms)
{
    while (ms > 0 && !*c->stop) {
        int64_t step = ms < 100 ? ms : 100;
        struct timespec ts = {0, (long)step * 1000000L};
        while (nanosleep(&ts, &ts) && errno == EINTR && !*c->stop)
            ;
        ms -= step;
    }
}

/* ---------------------------------------------------------------------------
 * Live
 * ------------------------------------------------------------------------ */

/* The evaluator's families on /metrics (all NULL without a registry). */
struct live_metrics {
    struct metrics_family *events, *elsewhere, *minutes, *errors, *round, *lag, *rules, *keys;
};

struct live {
    const struct alerts_live_config *c;
    struct live_metrics m;
    struct alerts_eval *e;
    struct alerts_rules *owned; /* rules loaded on a reload (the first are the caller's) */
    int64_t next_final;         /* the next minute to take final; INT64_MIN before a watermark */
    int64_t backoff;            /* ms before the next retry */
    int64_t watch_next;         /* when to publish the watch set again (0: now) */
    bool no_wm_logged;
    char err[512];
};

static void live_metrics_declare(struct live_metrics *lm, struct metrics *m)
{
    static const char *const rule_event[] = {"rule", "event", NULL};
    static const char *const pass[] = {"pass", NULL};
    static const char *const what[] = {"what", NULL};
    static const double secs[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    if (!m)
        return;
    lm->events = metrics_family(m, METRICS_COUNTER, "kzpulse_alerts_events_total",
                                "Alert events this evaluator published to the stream, by rule "
                                "and event (firing: an alert fired; update; resolved).",
                                rule_event, NULL, 0);
    lm->elsewhere =
        metrics_family(m, METRICS_COUNTER, "kzpulse_alerts_events_claimed_elsewhere_total",
                       "Events found already published by another evaluator (the "
                       "claim in Redis decided; not published twice).",
                       NULL, NULL, 0);
    lm->minutes = metrics_family(m, METRICS_COUNTER, "kzpulse_alerts_evaluations_total",
                                 "Evaluations of a minute for every rule's key: final once the "
                                 "group's watermark passed it, early while it fills.",
                                 pass, NULL, 0);
    lm->errors = metrics_family(m, METRICS_COUNTER, "kzpulse_alerts_errors_total",
                                "Rounds given up to Redis away (redis, retried with backoff) "
                                "and minutes left behind by an error of one key (minute).",
                                what, NULL, 0);
    lm->round = metrics_family(m, METRICS_HISTOGRAM, "kzpulse_alerts_round_seconds",
                               "Time of one evaluation round (final minutes, then early looks).",
                               NULL, secs, KZ_ARRAY_LEN(secs));
    lm->lag =
        metrics_family(m, METRICS_GAUGE, "kzpulse_alerts_final_lag_seconds",
                       "Wall time minus the end of the newest minute taken final.", NULL, NULL, 0);
    lm->rules = metrics_family(m, METRICS_GAUGE, "kzpulse_alerts_rules",
                               "Rules in force (enabled or not).", NULL, NULL, 0);
    lm->keys =
        metrics_family(m, METRICS_GAUGE, "kzpulse_alerts_keys",
                       "Keys (rule, region) the evaluator judges each minute.", NULL, NULL, 0);
}

static void live_metrics_rules(struct live *l, const struct alerts_rules *r)
{
    metrics_set(l->m.rules, NULL, (double)r->n);
    metrics_set(l->m.keys, NULL, (double)alerts_eval_keys(l->e));
}

static int live_emit(void *ctx, enum alerts_event ev, const struct alerts_record *rec,
                     const char *json)
{
    struct live *l = ctx;
    int rc = alerts_stream_publish(l->c->stream, rec->id, ev, rec->last_ms, json, strlen(json),
                                   l->err, sizeof(l->err));
    if (rc == 1)
        metrics_add(l->m.events, (const char *const[]){rec->rule, alerts_event_name(ev)}, 1);
    else if (rc == 0)
        metrics_add(l->m.elsewhere, NULL, 1);
    if (rc == 1 && l->c->out && ev != ALERTS_EV_UPDATE) {
        fprintf(l->c->out, "%s\n", json);
        fflush(l->c->out);
    }
    return rc;
}

static int restore_one(void *ctx, const char *json, size_t n)
{
    alerts_eval_restore(ctx, json, n); /* a record of another rule set: ignored */
    return 0;
}

/* Log a failure once per change of message, with the retry's delay. */
static void log_retry(const struct alerts_live_config *c, const char *what, const char *err,
                      int64_t delay_ms)
{
    if (c->log) {
        fprintf(c->log, "kzpulse alerts: %s: %s; retrying in %lld s\n", what, err,
                (long long)(delay_ms / 1000));
        fflush(c->log);
    }
}

/* Take final every minute the watermark has passed.  false: Redis is away
 * (said on the log); the minutes not taken wait for the next round. */
static bool live_finals(struct live *l, int64_t now)
{
    const struct alerts_live_config *c = l->c;
    int64_t wm = 0;
    int rc = agg_store_watermark(c->store, c->group, LOOP_WM_MAX_AGE_MS, now, &wm, l->err,
                                 sizeof(l->err));

    if (rc == KZ_ENOTFOUND) {
        if (!l->no_wm_logged && c->log)
            fprintf(c->log,
                    "kzpulse alerts: group %s has no live member publishing a watermark: "
                    "final evaluation waits (early looks go on)\n",
                    c->group);
        l->no_wm_logged = true;
        return true;
    }
    if (rc) {
        log_retry(c, "reading the watermark", l->err, l->backoff);
        metrics_add(l->m.errors, (const char *const[]){"redis"}, 1);
        return false;
    }
    l->no_wm_logged = false;
    int64_t last = floor_minute(wm - AGG_MINUTE_MS); /* the newest minute wm passed */
    if (l->next_final == INT64_MIN)
        l->next_final = last - (c->backfill_ms > 0 ? c->backfill_ms : 3600000) + AGG_MINUTE_MS;
    if (last - l->next_final > LOOP_CATCHUP_MAX_MS) {
        if (c->log)
            fprintf(c->log,
                    "kzpulse alerts: the watermark jumped %lld minutes ahead: minutes before "
                    "the last day of it are not evaluated\n",
                    (long long)((last - l->next_final) / AGG_MINUTE_MS));
        l->next_final = last - LOOP_CATCHUP_MAX_MS;
    }
    for (; l->next_final <= last && !*c->stop; l->next_final += AGG_MINUTE_MS) {
        rc = alerts_eval_minute(l->e, l->next_final, true, l->err, sizeof(l->err));
        if (rc == KZ_EAGAIN) {
            log_retry(c, "final evaluation", l->err, l->backoff);
            metrics_add(l->m.errors, (const char *const[]){"redis"}, 1);
            return false;
        }
        metrics_add(l->m.minutes, (const char *const[]){"final"}, 1);
        if (rc) /* one key's problem: said, and the minute left behind */
            metrics_add(l->m.errors, (const char *const[]){"minute"}, 1);
        if (rc && c->log)
            fprintf(c->log, "kzpulse alerts: minute %lld: %s (left behind)\n",
                    (long long)(l->next_final / AGG_MINUTE_MS), l->err);
    }
    metrics_set(l->m.lag, NULL, (double)(now - l->next_final) / 1000.0);
    return true;
}

/* Look early at the minutes after the last final one, up to now's (three at
 * most).  false: Redis is away. */
static bool live_early(struct live *l, int64_t now)
{
    const struct alerts_live_config *c = l->c;
    int64_t to = floor_minute(now);
    int64_t from = to - (LOOP_EARLY_MINUTES - 1) * AGG_MINUTE_MS;

    if (l->next_final != INT64_MIN && l->next_final > from)
        from = l->next_final;
    for (int64_t m = from; m <= to && !*c->stop; m += AGG_MINUTE_MS) {
        int rc = alerts_eval_minute(l->e, m, false, l->err, sizeof(l->err));
        if (rc == KZ_EAGAIN) {
            log_retry(c, "early evaluation", l->err, l->backoff);
            metrics_add(l->m.errors, (const char *const[]){"redis"}, 1);
            return false;
        }
        metrics_add(l->m.minutes, (const char *const[]){"early"}, 1);
        if (rc && c->log)
            fprintf(c->log, "kzpulse alerts: early look at minute %lld: %s\n",
                    (long long)(m / AGG_MINUTE_MS), l->err);
    }
    return true;
}

/* Publish the surge rules' members to the Redis watch set (SADD, every
 * LOOP_WATCH_MS and after a reload), so that the streaming jobs count them:
 * the set outlives us and is shared by every evaluator of the store.  A
 * failure is said and retried at the next round. */
static void live_watch(struct live *l, int64_t now)
{
    const struct alerts_live_config *c = l->c;
    const struct alerts_rules *rules = l->owned ? l->owned : c->rules;
    char **dims = NULL;
    size_t n = 0;
    int rc;

    if (now < l->watch_next)
        return;
    if ((rc = alerts_rules_watch(rules, &dims, &n)) == 0 && n)
        rc = agg_store_redis_watch_add(c->store, (const char *const *)dims, n, l->err,
                                       sizeof(l->err));
    agg_watch_free(dims, n);
    if (rc && c->log)
        fprintf(c->log, "kzpulse alerts: publishing the watch set: %s; again at the next round\n",
                rc == KZ_ENOMEM ? "out of memory" : l->err);
    l->watch_next = rc ? 0 : now + LOOP_WATCH_MS;
}

/* Sleep the backoff and double it (up to LOOP_BACKOFF_MAX_MS). */
static void back_off(struct live *l)
{
    nap(l->c, l->backoff);
    l->backoff = l->backoff * 2 > LOOP_BACKOFF_MAX_MS ? LOOP_BACKOFF_MAX_MS : l->backoff * 2;
}

/* New rules (SIGHUP): a new evaluator, its states read back from the
 * stream, then swapped in; any failure keeps the rules in force (said). */
static void live_reload(struct live *l, struct alerts_eval_config *ec)
{
    const struct alerts_live_config *c = l->c;
    struct alerts_rules *nr = NULL;
    struct alerts_eval *ne = NULL;

    if (c->load(c->load_ctx, &nr)) {
        if (c->log)
            fprintf(c->log, "kzpulse alerts: reload failed: the rules in force are kept\n");
        return;
    }
    ec->rules = nr;
    if (alerts_eval_new(ec, &ne, l->err, sizeof(l->err))) {
        if (c->log)
            fprintf(c->log, "kzpulse alerts: reload: %s; the rules in force are kept\n", l->err);
        alerts_rules_free(nr);
        return;
    }
    if (alerts_stream_recent(c->stream, LOOP_RESTORE_MAX, restore_one, ne, l->err,
                             sizeof(l->err))) {
        if (c->log) /* without the states an open alert could fire again: later */
            fprintf(c->log, "kzpulse alerts: reload postponed: %s\n", l->err);
        alerts_eval_free(ne);
        alerts_rules_free(nr);
        *c->reload = 1;
        return;
    }
    alerts_eval_free(l->e);
    alerts_rules_free(l->owned);
    l->e = ne;
    l->owned = nr;
    l->watch_next = 0; /* the new rules' members at once */
    live_metrics_rules(l, nr);
    if (c->log)
        fprintf(c->log, "kzpulse alerts: rules reloaded: %zu rule%s, %zu keys\n", nr->n,
                nr->n == 1 ? "" : "s", alerts_eval_keys(ne));
}

int alerts_live_run(const struct alerts_live_config *c, char *err, size_t errlen)
{
    struct live l = {.c = c, .next_final = INT64_MIN, .backoff = 1000};
    struct alerts_eval_config ec = {.rules = c->rules,
                                    .regions = c->regions,
                                    .store = c->store,
                                    .emit = live_emit,
                                    .emit_ctx = &l};
    int rc;

    if ((rc = alerts_eval_new(&ec, &l.e, err, errlen)))
        return rc;
    live_metrics_declare(&l.m, c->metrics);
    live_metrics_rules(&l, c->rules);
    while (!*c->stop) { /* the states first: an open alert is not fired again */
        if (!alerts_stream_recent(c->stream, LOOP_RESTORE_MAX, restore_one, l.e, l.err,
                                  sizeof(l.err)))
            break;
        log_retry(c, "reading the alert stream back", l.err, l.backoff);
        back_off(&l);
    }
    l.backoff = 1000;
    while (!*c->stop) {
        int64_t now = wall_ms();

        l.err[0] = '\0';
        if (c->reload && *c->reload && c->load) {
            *c->reload = 0;
            live_reload(&l, &ec);
        }
        live_watch(&l, now);
        if (!live_finals(&l, now) || !live_early(&l, now)) {
            back_off(&l);
            continue;
        }
        metrics_observe(l.m.round, NULL, (double)(wall_ms() - now) / 1000.0);
        l.backoff = 1000;
        nap(c, c->interval_ms > 0 ? c->interval_ms : 5000);
    }
    alerts_eval_free(l.e);
    alerts_rules_free(l.owned);
    return 0;
}

/* ---------------------------------------------------------------------------
 * Replay
 * ------------------------------------------------------------------------ */

struct replay {
    FILE *out;
    uint64_t n;
};

static int replay_emit(void *ctx, enum alerts_event ev, const struct alerts_record *rec,
                       const char *json)
{
    struct replay *r = ctx;
    (void)rec;
    if (ev == ALERTS_EV_UPDATE) /* the stream's, not the file's: see the top comment */
        return 1;
    if (fprintf(r->out, "%s\n", json) < 0)
        return KZ_EIO;
    r->n++;
    return 1;
}

int alerts_replay_run(const struct alerts_rules *rules, const struct alerts_regions *regions,
                      struct agg_store *store, FILE *out, uint64_t *nevents, char *err,
                      size_t errlen)
{
    struct replay r = {out, 0};
    struct alerts_eval *e = NULL;
    struct alerts_eval_config ec = {.rules = rules,
                                    .regions = regions,
                                    .store = store,
                                    .emit = replay_emit,
                                    .emit_ctx = &r,
                                    .frozen = true};
    int64_t from, to, tail = 0;
    int rc;

    *nevents = 0;
    if ((rc = alerts_eval_new(&ec, &e, err, errlen)))
        return rc;
    rc = agg_store_mem_bounds(store, &from, &to);
    if (rc == KZ_ENOTFOUND) { /* no post: nothing to evaluate */
        alerts_eval_free(e);
        return 0;
    }
    if (rc) {
        snprintf(err, errlen, "alerts: the replay's store has no bounds: %s", kz_strerror(rc));
        alerts_eval_free(e);
        return rc;
    }
    for (size_t i = 0; i < rules->n; i++) {
        int64_t t =
            (int64_t)(rules->rules[i].window + rules->rules[i].resolve_after) * AGG_MINUTE_MS;
        if (t > tail)
            tail = t;
    }
    for (int64_t m = from; m < to + tail; m += AGG_MINUTE_MS) {
        if ((rc = alerts_eval_minute(e, m, true, err, errlen)))
            break;
    }
    if (!rc && fflush(out)) {
        rc = KZ_EIO;
        snprintf(err, errlen, "writing alerts: %s", strerror(errno));
    }
    *nevents = r.n;
    alerts_eval_free(e);
    return rc;
}

/* ---------------------------------------------------------------------------
 * The shipped rules, and printing rule errors
 * ------------------------------------------------------------------------ */

int alerts_rules_default(const char *lexicons_dir, char *path, size_t n)
{
    size_t len = lexicons_dir ? strlen(lexicons_dir) : 0;

    while (len > 1 && lexicons_dir[len - 1] == '/')
        len--;
    if (!len) {
        snprintf(path, n, "alerts/default.rules");
        return KZ_ENOTFOUND;
    }
    snprintf(path, n, "%.*s/../alerts/default.rules", (int)len, lexicons_dir);
    return access(path, R_OK) == 0 ? 0 : KZ_ENOTFOUND;
}

void alerts_diag_print(void *ctx, const char *file, int line, int col, const char *msg)
{
    FILE *f = ctx ? ctx : stderr;
    if (line > 0)
        fprintf(f, "%s:%d:%d: %s\n", file, line, col, msg);
    else
        fprintf(f, "%s: %s\n", file, msg);
}
