/*
 * run_int.h -- the state of one `kzpulse run` process, shared by cmd_run.c
 * (the consume, flush and rebalance loop) and run_stats.c (the stats line
 * and the watermark); nothing else includes this header.
 *
 * struct run is owned by kz_cmd_run(), on its stack, for the whole run; the
 * consumer, the DLQ producer, the store, the pipeline and the watermark's
 * Redis connection (wmc, opened lazily by kz_run_wm_publish) are its own and
 * are released when kz_cmd_run() returns.
 */
#ifndef KZ_CLI_RUN_INT_H
#define KZ_CLI_RUN_INT_H

#include <stdint.h>

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>

#include "cli.h"

struct run {
    const struct kz_config *cfg;
    rd_kafka_t *consumer, *dlq;
    struct agg_store *store;
    struct pipeline *pipe;
    int64_t last_flush_ms;
    uint64_t retries, dlq_failed, dlq_sent, commits_failed;
    double flush_ms_sum, flush_ms_max;
    uint64_t nflush;
    int assigned;
    /* --until-eof: which assigned partitions are drained; a message clears its flag */
    struct {
        char topic[256];
        int32_t partition;
        int eof;
    } parts[1024];
    int nparts;
    int fatal;
    char fatal_msg[512];
    /* fencing, reloads, stats */
    uint64_t conflicts, reloads, reload_failed;
    double iv_flush_sum, iv_flush_max; /* flush latency since the last stats line */
    uint64_t iv_nflush;
    /* watermark: newest event time per partition, consumed and applied */
    struct {
        char topic[256];
        int32_t partition;
        int64_t seen, applied; /* INT64_MIN: none */
    } wm[1024];
    int nwm;
    redisContext *wmc;
    char member[320];
    int64_t last_wm_pub;
    int64_t watermark; /* INT64_MIN: none */
    uint64_t wm_failed;
};

/* Monotonic clock, milliseconds (cmd_run.c). */
int64_t kz_run_now_ms(void);

/* -- run_stats.c ------------------------------------------------------------ */

/* A post with event time ts was consumed from topic/partition. */
void kz_run_wm_seen(struct run *r, const char *topic, int32_t partition, int64_t ts);
/* The batch is applied: everything consumed counts for the watermark. */
void kz_run_wm_applied(struct run *r);
/* The batch was dropped (fenced): forget what it had seen. */
void kz_run_wm_rollback(struct run *r);
/* Partitions given away no longer hold the watermark back. */
void kz_run_wm_forget(struct run *r, const rd_kafka_topic_partition_list_t *parts);
/* Publish the watermark and heartbeat at most once a second; bye: delete them. */
void kz_run_wm_publish(struct run *r, int bye);
/* One stats line on stderr (JSON with --stats-json) for the interval since
 * *last_t; updates *last_posts and *last_t. */
void kz_run_print_stats(struct run *r, int64_t t0, uint64_t *last_posts, int64_t *last_t);

#endif
