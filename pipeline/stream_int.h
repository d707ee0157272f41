/*
 * stream_int.h -- private to pipeline/: the state of one streaming job,
 * shared by stream.c (the consume, flush and rebalance loop) and
 * stream_report.c (the watermark and the stats line).
 *
 * A struct stream is made and freed by pipeline_stream_run(), which owns the
 * Kafka source and the pipeline in it; the configuration, the store and the
 * signals are the caller's, borrowed for the run.
 */
#ifndef KZ_PIPELINE_STREAM_INT_H
#define KZ_PIPELINE_STREAM_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "pipeline.h"

#define STREAM_LOG "kzpulse run: "  /* the prefix of every line on stderr */
#define STREAM_MAX_WM 1024          /* partitions whose watermark is tracked */
#define STREAM_APPLY_THREAD_MIN 100 /* posts of a batch applied on a thread, at least */

struct stream {
    const struct kz_config *cfg;
    struct agg_store *store;
    struct pipeline *pipe;
    struct ingest_kafka *src;
    struct pipeline_signals *sig;
    int stop_seen;        /* the job has seen sig->stop set ... */
    int64_t stop_seen_ms; /* ... first at this time */
    int64_t t0, last_flush_ms;
    uint64_t flush_posts; /* pipeline_flush_posts(cfg, 1) */
    int fatal;
    char fatal_msg[512];
    /* The batch in flight: taken from the pipeline and applied by the
     * applier thread while the loop fills the next one.  The applier writes
     * apply_rc, apply_err and apply_end_ms, then sets apply_done; the loop
     * reads them after joining it (and writes them itself when it retries),
     * and makes no other use of the store meanwhile. */
    pthread_t applier;
    int inflight;       /* a batch is taken and not settled */
    int applier_inline; /* applied in the loop (a small batch, or no thread) */
    int apply_rc;
    char apply_err[256];
    int64_t apply_t0, apply_end_ms;
    atomic_int apply_done; /* the applier has finished (the loop settles it) */
    /* counters for the stats line */
    uint64_t retries, conflicts, reloads, reload_failed, nflush;
    double flush_ms_sum, flush_ms_max;
    double iv_flush_sum, iv_flush_max; /* flush latency since the last stats line */
    uint64_t iv_nflush;
    int64_t last_stats;
    int64_t watch_next_ms; /* when to read the Redis watch set again */
    bool watch_failed;     /* its last read failed (said once) */
    size_t watch_left_out; /* members its last read left out (said when it changes) */
    uint64_t last_posts;
    /* watermark: the newest event time per partition, consumed and applied */
    struct {
        char topic[256];
        int32_t partition;
        int64_t seen, taken, applied; /* INT64_MIN: none */
    } wm[STREAM_MAX_WM];
    int nwm;
    int64_t watermark; /* INT64_MIN: none */
    int64_t last_wm_pub;
    int wm_published;
    uint64_t wm_failed;
    char member[320]; /* <host>:<pid> */
    /* the registry of --metrics-listen (NULL: none) and the job's gauges */
    struct metrics *metrics;
    struct metrics_family *m_lag, *m_wm_age;
    int64_t last_gauges;
};

/* Monotonic clock, milliseconds. */
int64_t stream_now_ms(void);

/* -- stream_report.c ------------------------------------------------------- */

/* A post with event time ts was consumed from topic/partition. */
void stream_wm_seen(struct stream *s, const char *topic, int32_t partition, int64_t ts);
/* The pending batch is taken to be applied: what is consumed so far is in it. */
void stream_wm_taken(struct stream *s);
/* The taken batch is applied: what it holds counts for the watermark. */
void stream_wm_applied(struct stream *s);
/* The taken and the pending batch were dropped (fenced): forget what they had seen. */
void stream_wm_rollback(struct stream *s);
/* Partitions given away (all: every one) no longer hold the watermark back. */
void stream_wm_forget(struct stream *s, const struct ingest_kafka_partition *parts, size_t n,
                      int all);
/* Publish the watermark and heartbeat through the store, at most once a
 * second, when there is one. */
void stream_wm_publish(struct stream *s);
/* Declare the job's metrics in s->metrics (the pipeline's counters, the
 * gauges, and the alert counters at 0 until the alert engine lands). */
void stream_metrics_declare(struct stream *s);
/* Set the gauges (consumer lag, watermark age), at most once a second. */
void stream_metrics_update(struct stream *s);
/* At exit: delete this member's watermark and heartbeat. */
void stream_wm_retire(struct stream *s);
/* One stats line on stderr (a JSON object with cfg->stats_json) for the
 * interval since the last one. */
void stream_print_stats(struct stream *s);

#endif /* KZ_PIPELINE_STREAM_INT_H */
