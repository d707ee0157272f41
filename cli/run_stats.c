/*
 * run_stats.c -- what `kzpulse run` publishes about itself: the stats line
 * and the watermark.
 *
 * Stats: every --stats-interval seconds a line on stderr (--stats-json: a JSON
 * object per line) with posts/s, consumer lag (sum over the assigned
 * partitions of high watermark - position, both from librdkafka's cache, so
 * no request is made), dead letters by reason, flush latency, Redis retries,
 * fencing conflicts and the watermark.
 *
 * Watermark (DESIGN.md, "Time"): the minimum over this process's partitions
 * of the newest event time it has applied to Redis, less --lateness-ms
 * (default 60000).  After a flush, at most once a second, it is published as
 *   HSET kzp:v1:watermarks:{group}  <hostname>:<pid>  <watermark, epoch ms>
 *   HSET kzp:v1:heartbeats:{group}  <hostname>:<pid>  <wall clock now, epoch ms>
 * and both keys get EXPIRE 86400 (they vanish a day after the last process of
 * the group).  A reader takes the minimum over the fields whose heartbeat is
 * less than 30 s old (a dead process's entry is ignored after that); a clean
 * exit deletes both fields.  Partitions that have not yielded a post yet do
 * not count; a process without any has no field.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "run_int.h"

/* ---------------------------------------------------------------------------
 * Watermark
 * ------------------------------------------------------------------------ */

static int wm_index(struct run *r, const char *topic, int32_t partition, int add)
{
    for (int i = 0; i < r->nwm; i++)
        if (r->wm[i].partition == partition && !strcmp(r->wm[i].topic, topic))
            return i;
    if (!add || r->nwm == (int)KZ_ARRAY_LEN(r->wm))
        return -1;
    int i = r->nwm++;
    snprintf(r->wm[i].topic, sizeof(r->wm[i].topic), "%s", topic);
    r->wm[i].partition = partition;
    r->wm[i].seen = r->wm[i].applied = INT64_MIN;
    return i;
}

void kz_run_wm_seen(struct run *r, const char *topic, int32_t partition, int64_t ts)
{
    int i = wm_index(r, topic, partition, 1);
    if (i >= 0 && ts > r->wm[i].seen)
        r->wm[i].seen = ts;
}

/* Everything consumed is applied now. */
void kz_run_wm_applied(struct run *r)
{
    int64_t w = INT64_MAX;
    for (int i = 0; i < r->nwm; i++) {
        r->wm[i].applied = r->wm[i].seen;
        if (r->wm[i].applied != INT64_MIN && r->wm[i].applied < w)
            w = r->wm[i].applied;
    }
    r->watermark = w == INT64_MAX ? INT64_MIN : w - r->cfg->lateness_ms;
}

void kz_run_wm_rollback(struct run *r)
{
    for (int i = 0; i < r->nwm; i++)
        r->wm[i].seen = r->wm[i].applied;
}

/* Partitions given away no longer hold the watermark back. */
void kz_run_wm_forget(struct run *r, const rd_kafka_topic_partition_list_t *parts)
{
    for (int k = 0; k < parts->cnt; k++) {
        int i = wm_index(r, parts->elems[k].topic, parts->elems[k].partition, 0);
        if (i >= 0)
            r->wm[i] = r->wm[--r->nwm];
    }
}

static redisReply *wm_cmd(struct run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *rep = redisvCommand(r->wmc, fmt, ap);
    va_end(ap);
    if (!rep || rep->type == REDIS_REPLY_ERROR) {
        r->wm_failed++;
        if (rep)
            freeReplyObject(rep);
        redisFree(r->wmc); /* reconnect next time */
        r->wmc = NULL;
        return NULL;
    }
    return rep;
}

static int wm_connect(struct run *r)
{
    struct agg_redis_addr a;
    char err[256];
    if (r->wmc)
        return 0;
    if (agg_redis_parse_url(r->cfg->redis, &a, err, sizeof(err)))
        return -1;
    struct timeval tv = {1, 0};
    r->wmc = redisConnectWithTimeout(a.host, a.port, tv);
    if (!r->wmc || r->wmc->err) {
        r->wm_failed++;
        if (r->wmc)
            redisFree(r->wmc);
        r->wmc = NULL;
        return -1;
    }
    redisSetTimeout(r->wmc, tv);
    redisReply *rep = NULL;
    if (a.password[0])
        rep = a.user[0] ? wm_cmd(r, "AUTH %s %s", a.user, a.password)
                        : wm_cmd(r, "AUTH %s", a.password);
    if (a.password[0] && !rep)
        return -1;
    if (rep)
        freeReplyObject(rep);
    if (a.db && !(rep = wm_cmd(r, "SELECT %d", a.db)))
        return -1;
    if (a.db)
        freeReplyObject(rep);
    return 0;
}

/* Publish the watermark (see the top comment); on exit (bye), delete it. */
void kz_run_wm_publish(struct run *r, int bye)
{
    int64_t t = kz_run_now_ms();
    if (!bye && (r->watermark == INT64_MIN || t - r->last_wm_pub < 1000))
        return;
    r->last_wm_pub = t;
    if (wm_connect(r))
        return;
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    long long wall_ms = (long long)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
    const char *g = r->cfg->group;
    redisReply *rep;
    if (bye) {
        if ((rep = wm_cmd(r, "HDEL kzp:v1:watermarks:%s %s", g, r->member)))
            freeReplyObject(rep);
        if (r->wmc && (rep = wm_cmd(r, "HDEL kzp:v1:heartbeats:%s %s", g, r->member)))
            freeReplyObject(rep);
        return;
    }
    redisAppendCommand(r->wmc, "HSET kzp:v1:watermarks:%s %s %lld", g, r->member,
                       (long long)r->watermark);
    redisAppendCommand(r->wmc, "HSET kzp:v1:heartbeats:%s %s %lld", g, r->member, wall_ms);
    redisAppendCommand(r->wmc, "EXPIRE kzp:v1:watermarks:%s 86400", g);
    redisAppendCommand(r->wmc, "EXPIRE kzp:v1:heartbeats:%s 86400", g);
    for (int i = 0; i < 4 && r->wmc; i++) {
        void *v = NULL;
        if (redisGetReply(r->wmc, &v) != REDIS_OK || !v ||
            ((redisReply *)v)->type == REDIS_REPLY_ERROR) {
            r->wm_failed++;
            if (v)
                freeReplyObject(v);
            redisFree(r->wmc);
            r->wmc = NULL;
            break;
        }
        freeReplyObject(v);
    }
}

/* ---------------------------------------------------------------------------
 * Stats
 * ------------------------------------------------------------------------ */

/* Sum over the assigned partitions of high watermark - position, from
 * librdkafka's cache (no request).  -1 when nothing is known. */
static int64_t consumer_lag(rd_kafka_t *rk)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    int64_t lag = -1;
    if (rd_kafka_assignment(rk, &a) || !a)
        return -1;
    if (a->cnt && !rd_kafka_position(rk, a)) {
        for (int i = 0; i < a->cnt; i++) {
            int64_t lo, hi, pos = a->elems[i].offset;
            if (rd_kafka_get_watermark_offsets(rk, a->elems[i].topic, a->elems[i].partition, &lo,
                                               &hi) || hi < 0)
                continue;
            if (pos < 0)
                pos = lo >= 0 ? lo : hi; /* nothing consumed yet */
            lag = (lag < 0 ? 0 : lag) + (hi > pos ? hi - pos : 0);
        }
    }
    rd_kafka_topic_partition_list_destroy(a);
    return lag;
}

void kz_run_print_stats(struct run *r, int64_t t0, uint64_t *last_posts, int64_t *last_t)
{
    struct pipeline_stats *rs = pipeline_stats(r->pipe);
    const struct ingest_stats *is = pipeline_ingest_stats(r->pipe);
    int64_t t = kz_run_now_ms();
    double dt = (double)(t - *last_t) / 1000.0;
    double rate = dt > 0 ? (double)(rs->posts - *last_posts) / dt : 0.0;
    double favg = r->iv_nflush ? r->iv_flush_sum / (double)r->iv_nflush : 0.0;
    int64_t lag = r->consumer ? consumer_lag(r->consumer) : -1;
    char dead[512];
    size_t used = 0;
    int json = r->cfg->stats_json;

    dead[0] = '\0';
    for (int i = 0; i < INGEST_DL_REASON_COUNT; i++) {
        if (!is->dead[i] && !json)
            continue;
        int n = snprintf(dead + used, sizeof(dead) - used, json ? "%s\"%s\":%llu" : "%s%s %llu",
                         used ? (json ? "," : ", ") : "",
                         ingest_dl_reason_name((enum ingest_dl_reason)i),
                         (unsigned long long)is->dead[i]);
        if (n < 0 || (size_t)n >= sizeof(dead) - used)
            break;
        used += (size_t)n;
    }
    if (json) {
        struct timespec wall;
        clock_gettime(CLOCK_REALTIME, &wall);
        fprintf(stderr,
                "{\"ts\":%lld,\"uptime_s\":%lld,\"posts_per_s\":%.1f,\"posts\":%llu,"
                "\"records\":%llu,\"lag\":%lld,\"dead\":%llu,\"dead_by_reason\":{%s},"
                "\"dlq_sent\":%llu,\"flushes\":%llu,\"flush_ms_avg\":%.1f,\"flush_ms_max\":%.1f,"
                "\"redis_retries\":%llu,\"conflicts\":%llu,\"duplicates\":%llu,"
                "\"reloads\":%llu,\"watermark_ms\":%lld}\n",
                (long long)wall.tv_sec * 1000 + wall.tv_nsec / 1000000, (long long)((t - t0) / 1000),
                rate, (unsigned long long)rs->posts, (unsigned long long)rs->records,
                (long long)lag, (unsigned long long)rs->dead_total, dead,
                (unsigned long long)r->dlq_sent, (unsigned long long)r->nflush, favg,
                r->iv_flush_max, (unsigned long long)r->retries,
                (unsigned long long)r->conflicts, (unsigned long long)rs->duplicate_batches,
                (unsigned long long)r->reloads,
                (long long)(r->watermark == INT64_MIN ? -1 : r->watermark));
    } else {
        char lagbuf[32];
        if (lag < 0)
            snprintf(lagbuf, sizeof(lagbuf), "?");
        else
            snprintf(lagbuf, sizeof(lagbuf), "%lld", (long long)lag);
        fprintf(stderr,
                "kzpulse run: %.0f posts/s, %llu posts, lag %s, %llu dead (%s), %llu flushes, "
                "flush avg %.1f ms max %.1f ms, %llu retries, %llu conflicts, uptime %llds\n",
                rate, (unsigned long long)rs->posts, lagbuf, (unsigned long long)rs->dead_total,
                used ? dead : "none", (unsigned long long)r->nflush, favg, r->iv_flush_max,
                (unsigned long long)r->retries, (unsigned long long)r->conflicts,
                (long long)((t - t0) / 1000));
    }
    r->iv_flush_sum = r->iv_flush_max = 0;
    r->iv_nflush = 0;
    *last_posts = rs->posts;
    *last_t = t;
}
