/*
 * stream_report.c -- what the streaming job publishes about itself: the
 * watermark and the stats line.
 *
 * Watermark (DESIGN.md, "Time"): the minimum over this process's partitions
 * of the newest event time it has applied to the store, less cfg->lateness_ms
 * (default 60000).  Per partition the job keeps the newest event time
 * consumed ("seen"), the newest in the batch taken to be applied ("taken":
 * seen when it was taken) and the newest applied: an applied batch makes its
 * taken times applied, a fenced (dropped) batch rolls seen back to applied
 * (the pending batch is dropped with it), and a partition given away stops
 * counting.  Partitions that have not yielded a
 * post yet do not count; a process without any has no watermark.  After a
 * flush, at most once a second, it is published through the store
 * (agg_store_publish_watermark: in Redis the hashes kzp:v2:watermarks:{group}
 * and kzp:v2:heartbeats:{group}, field <host>:<pid>, with the wall-clock time
 * as the heartbeat and EXPIRE 86400), and retired at exit.  A reader takes the
 * minimum over the members whose heartbeat is less than 30 s old
 * (agg_store_watermark).  A publication that fails is counted and made up by
 * the next one.
 *
 * Stats: every cfg->stats_interval seconds a line on stderr (cfg->stats_json:
 * a JSON object per line) with posts/s, consumer lag (from librdkafka's cache:
 * no request), dead letters by reason, flush latency, retries (the store's
 * and the DLQ's), fencing conflicts and the watermark.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "stream_int.h"

/* ---------------------------------------------------------------------------
 * Watermark
 * ------------------------------------------------------------------------ */

static int wm_index(struct stream *s, const char *topic, int32_t partition, int add)
{
    int i;

    for (i = 0; i < s->nwm; i++)
        if (s->wm[i].partition == partition && !strcmp(s->wm[i].topic, topic))
            return i;
    if (!add || s->nwm == STREAM_MAX_WM)
        return -1;
    i = s->nwm++;
    snprintf(s->wm[i].topic, sizeof s->wm[i].topic, "%s", topic);
    s->wm[i].partition = partition;
    s->wm[i].seen = s->wm[i].taken = s->wm[i].applied = INT64_MIN;
    return i;
}

void stream_wm_seen(struct stream *s, const char *topic, int32_t partition, int64_t ts)
{
    int i = wm_index(s, topic, partition, 1);

    if (i >= 0 && ts > s->wm[i].seen)
        s->wm[i].seen = ts;
}

void stream_wm_taken(struct stream *s)
{
    for (int i = 0; i < s->nwm; i++)
        s->wm[i].taken = s->wm[i].seen;
}

void stream_wm_applied(struct stream *s)
{
    int64_t w = INT64_MAX;

    for (int i = 0; i < s->nwm; i++) {
        if (s->wm[i].taken > s->wm[i].applied)
            s->wm[i].applied = s->wm[i].taken;
        if (s->wm[i].applied != INT64_MIN && s->wm[i].applied < w)
            w = s->wm[i].applied;
    }
    s->watermark = w == INT64_MAX ? INT64_MIN : w - s->cfg->lateness_ms;
    assert(s->watermark == INT64_MIN || s->watermark <= w);
}

void stream_wm_rollback(struct stream *s)
{
    for (int i = 0; i < s->nwm; i++)
        s->wm[i].seen = s->wm[i].taken = s->wm[i].applied;
}

void stream_wm_forget(struct stream *s, const struct ingest_kafka_partition *parts, size_t n,
                      int all)
{
    if (all) {
        s->nwm = 0;
        return;
    }
    for (size_t k = 0; k < n; k++) {
        int i = wm_index(s, parts[k].topic, parts[k].partition, 0);

        if (i >= 0)
            s->wm[i] = s->wm[--s->nwm];
    }
    assert(s->nwm >= 0);
}

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void stream_wm_publish(struct stream *s)
{
    int64_t t = stream_now_ms();
    char err[256];

    if (s->watermark == INT64_MIN || t - s->last_wm_pub < 1000)
        return;
    s->last_wm_pub = t;
    s->wm_published = 1;
    if (agg_store_publish_watermark(s->store, s->cfg->group, s->member, s->watermark, wall_ms(),
                                    err, sizeof err))
        s->wm_failed++;
}

void stream_wm_retire(struct stream *s)
{
    char err[256];

    if (!s->wm_published && s->watermark == INT64_MIN)
        return;
    if (agg_store_retire(s->store, s->cfg->group, s->member, err, sizeof err))
        s->wm_failed++;
}

/* ---------------------------------------------------------------------------
 * Stats
 * ------------------------------------------------------------------------ */

void stream_print_stats(struct stream *s)
{
    const struct pipeline_stats *rs = pipeline_stats(s->pipe);
    const struct ingest_stats *is = pipeline_ingest_stats(s->pipe);
    int64_t t = stream_now_ms();
    double dt = (double)(t - s->last_stats) / 1000.0;
    double rate = dt > 0 ? (double)(rs->posts - s->last_posts) / dt : 0.0;
    double favg = s->iv_nflush ? s->iv_flush_sum / (double)s->iv_nflush : 0.0;
    int64_t lag = s->src ? ingest_kafka_lag(s->src) : -1;
    int json = s->cfg->stats_json;
    char dead[512];
    size_t used = 0;

    dead[0] = '\0';
    for (int i = 0; i < INGEST_DL_REASON_COUNT; i++) {
        int n;

        if (!is->dead[i] && !json)
            continue;
        n = snprintf(dead + used, sizeof dead - used, json ? "%s\"%s\":%llu" : "%s%s %llu",
                     used ? (json ? "," : ", ") : "",
                     ingest_dl_reason_name((enum ingest_dl_reason)i),
                     (unsigned long long)is->dead[i]);
        if (n < 0 || (size_t)n >= sizeof dead - used)
            break;
        used += (size_t)n;
    }
    if (json) {
        fprintf(stderr,
                "{\"ts\":%lld,\"uptime_s\":%lld,\"posts_per_s\":%.1f,\"posts\":%llu,"
                "\"records\":%llu,\"lag\":%lld,\"dead\":%llu,\"dead_by_reason\":{%s},"
                "\"dlq_sent\":%llu,\"flushes\":%llu,\"flush_ms_avg\":%.1f,\"flush_ms_max\":%.1f,"
                "\"redis_retries\":%llu,\"conflicts\":%llu,\"duplicates\":%llu,"
                "\"reloads\":%llu,\"watermark_ms\":%lld}\n",
                (long long)wall_ms(), (long long)((t - s->t0) / 1000), rate,
                (unsigned long long)rs->posts, (unsigned long long)rs->records, (long long)lag,
                (unsigned long long)rs->dead_total, dead,
                (unsigned long long)(s->src ? ingest_kafka_stats(s->src)->dlq_sent : 0),
                (unsigned long long)s->nflush, favg, s->iv_flush_max,
                (unsigned long long)s->retries, (unsigned long long)s->conflicts,
                (unsigned long long)rs->duplicate_batches, (unsigned long long)s->reloads,
                (long long)(s->watermark == INT64_MIN ? -1 : s->watermark));
    } else {
        char lagbuf[32];

        if (lag < 0)
            snprintf(lagbuf, sizeof lagbuf, "?");
        else
            snprintf(lagbuf, sizeof lagbuf, "%lld", (long long)lag);
        fprintf(stderr,
                STREAM_LOG "%.0f posts/s, %llu posts, lag %s, %llu dead (%s), %llu flushes, "
                           "flush avg %.1f ms max %.1f ms, %llu retries, %llu conflicts, "
                           "uptime %llds\n",
                rate, (unsigned long long)rs->posts, lagbuf, (unsigned long long)rs->dead_total,
                used ? dead : "none", (unsigned long long)s->nflush, favg, s->iv_flush_max,
                (unsigned long long)s->retries, (unsigned long long)s->conflicts,
                (long long)((t - s->t0) / 1000));
    }
    s->iv_flush_sum = s->iv_flush_max = 0;
    s->iv_nflush = 0;
    s->last_posts = rs->posts;
    s->last_stats = t;
}

/* ---------------------------------------------------------------------------
 * Metrics (kzpulse run --metrics-listen)
 * ------------------------------------------------------------------------ */

void stream_metrics_declare(struct stream *s)
{
    pipeline_set_metrics(s->pipe, s->metrics);
    s->m_lag = metrics_family(s->metrics, METRICS_GAUGE, "kzpulse_consumer_lag_messages",
                              "Messages behind the partitions' ends, over the assigned partitions.",
                              NULL, NULL, 0);
    s->m_wm_age =
        metrics_family(s->metrics, METRICS_GAUGE, "kzpulse_watermark_age_seconds",
                       "Wall time minus the event-time watermark applied.", NULL, NULL, 0);
}

void stream_metrics_update(struct stream *s)
{
    int64_t t = stream_now_ms();
    if (!s->metrics || t - s->last_gauges < 1000)
        return;
    s->last_gauges = t;
    int64_t lag = s->src ? ingest_kafka_lag(s->src) : -1;
    if (lag >= 0)
        metrics_set(s->m_lag, NULL, (double)lag);
    if (s->watermark != INT64_MIN)
        metrics_set(s->m_wm_age, NULL, (double)(wall_ms() - s->watermark) / 1000.0);
}
