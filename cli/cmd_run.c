/*
 * cmd_run.c -- `kzpulse run`: a Kafka consumer group into Redis counters,
 * effectively once.
 *
 * One single-threaded loop (librdkafka keeps its own threads): poll a message,
 * run it through the pipeline (decode, analyse, coalesce), and every
 * --flush-ms or --flush-posts apply the batch to the store together with the
 * last offset of every partition it covers.  The store applies a batch and
 * raises those offsets in one atomic step (a Lua script in Redis) and skips a
 * batch whose offsets it already holds, so:
 *  - Kafka offsets are committed only after the store has applied the batch;
 *    the committed offset is a hint, the store's offsets are the truth;
 *  - on assignment each partition is started at the offset after the one the
 *    store holds, so a crash between apply and commit never counts twice, and
 *    a crash before apply never loses (the batch is simply consumed again);
 *  - before partitions are revoked the pending batch is flushed.
 * A flush that fails for a transient reason (Redis down) is retried with
 * backoff while nothing more is fetched: the batch is kept, memory stays
 * bounded by librdkafka's local queue, and max.poll.interval.ms is raised by
 * default so the group does not give the partitions away meanwhile.
 * Undecodable messages go to the dead-letter topic `<topic>.dlq` (original
 * bytes as the value; reason, detail, topic, partition and offset as headers)
 * and their offsets advance like any other; the DLQ producer is flushed before
 * the batch that covers them is applied, so a dead letter is never lost (it may
 * be written twice after a crash: the DLQ is at-least-once).
 *
 * Fencing: a batch carries the first and the last offset of every partition
 * it covers, and the store refuses (AGG_APPLY_CONFLICT) one that overlaps
 * what another process applied -- a zombie, paused past its session timeout
 * while its partitions went elsewhere.  The loop then drops the batch and
 * seeks those partitions to the offsets after the stored ones.
 *
 * SIGHUP reloads the lexicons: the new set is compiled completely first and
 * swapped in between two records (a post is classified by one lexicon, never
 * half by each); if it fails to load, the old one stays and the error is
 * logged.
 *
 * Stats lines and the watermark are published by run_stats.c (its top
 * comment has the details); run_int.h holds the state the two files share.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>

#include "run_int.h"

static volatile sig_atomic_t g_stop, g_reload;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        g_reload = 1;
    else
        g_stop = 1;
}

int64_t kz_run_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------------------
 * Dead letters -> <topic>.dlq
 * ------------------------------------------------------------------------ */

static void dlq_delivered(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct run *r = opaque;
    if (m->err)
        r->dlq_failed++;
}

static int dead_to_kafka(void *ctx, const struct ingest_dead *d)
{
    struct run *r = ctx;
    char topic[300], part[16], off[32], key[48];
    snprintf(topic, sizeof(topic), "%s.dlq", d->pos.source);
    snprintf(part, sizeof(part), "%d", (int)d->pos.partition);
    snprintf(off, sizeof(off), "%llu", (unsigned long long)d->pos.offset);
    /* Keyed by the source position: a dead letter written twice (after a
     * crash) lands in the same DLQ partition under the same key, so a
     * compacted DLQ topic, or a reader deduplicating by key, keeps one. */
    int keylen = snprintf(key, sizeof(key), "%s:%s", part, off);
    const char *reason = ingest_dl_reason_name(d->reason);
    const char *detail = d->detail ? d->detail : "";
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            r->dlq, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE((void *)d->raw, d->raw_len), RD_KAFKA_V_KEY(key, (size_t)keylen),
            RD_KAFKA_V_HEADER("kzp-reason", reason, -1),
            RD_KAFKA_V_HEADER("kzp-detail", detail, -1),
            RD_KAFKA_V_HEADER("kzp-topic", d->pos.source, -1),
            RD_KAFKA_V_HEADER("kzp-partition", part, -1), RD_KAFKA_V_HEADER("kzp-offset", off, -1),
            RD_KAFKA_V_END);
        if (!e) {
            r->dlq_sent++;
            return 0;
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return KZ_EIO;
        rd_kafka_poll(r->dlq, 100);
    }
}

/* ---------------------------------------------------------------------------
 * Flush: DLQ delivered, batch applied, offsets committed
 * ------------------------------------------------------------------------ */

static void commit_positions(struct run *r, const struct agg_position *pos, size_t n)
{
    if (!n)
        return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        if (pos[i].source) /* NULL if its copy failed: the store holds the truth anyway */
            rd_kafka_topic_partition_list_add(l, pos[i].source, pos[i].partition)->offset =
                pos[i].offset + 1;
    if (rd_kafka_commit(r->consumer, l, 1 /* async: the store holds the truth */))
        r->commits_failed++;
    rd_kafka_topic_partition_list_destroy(l);
}

/* After a conflict: start the batch's partitions again after the offsets the
 * store holds (partitions no longer assigned are ignored by librdkafka). */
static void reseek(struct run *r, const struct agg_position *pos, size_t n)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n + 1);
    for (size_t i = 0; i < n; i++) {
        char err[256];
        int64_t off;
        int rc, tries = 0;
        if (!pos[i].source)
            continue;
        while ((rc = agg_store_offset(r->store, pos[i].source, pos[i].partition, &off, err,
                                      sizeof(err))) == KZ_EAGAIN && tries++ < 50 && !g_stop) {
            r->retries++;
            sleep_ms(100);
        }
        if (rc == 0) {
            off += 1;
        } else if (rc == KZ_ENOTFOUND) {
            /* Nobody has applied this partition yet: read the dropped batch's
             * part of it again, or those posts would be skipped for good. */
            off = pos[i].first_offset;
        } else {
            fprintf(stderr, "kzpulse run: fenced: no stored offset for %s/%d: %s\n",
                    pos[i].source, (int)pos[i].partition, err);
            continue;
        }
        rd_kafka_topic_partition_list_add(l, pos[i].source, pos[i].partition)->offset = off;
    }
    if (l->cnt) {
        rd_kafka_error_t *e = rd_kafka_seek_partitions(r->consumer, l, 5000);
        if (e) {
            fprintf(stderr, "kzpulse run: seek: %s\n", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
}

/* Apply the pending batch, retrying transient failures with backoff until it
 * is applied or a hard stop.  Returns 0 or a KZ_E* code. */
static int flush(struct run *r)
{
    char err[256];
    int backoff = 100;
    size_t n;

    /* The dead letters this batch covers must be safe before its offsets move. */
    while (rd_kafka_flush(r->dlq, 1000) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
        r->retries++;
        if (g_stop > 1)
            return KZ_EAGAIN;
    }
    if (r->dlq_failed) {
        snprintf(r->fatal_msg, sizeof(r->fatal_msg), "%llu dead letters could not be written "
                 "to the DLQ topic", (unsigned long long)r->dlq_failed);
        return KZ_EIO;
    }
    const struct agg_position *pos = pipeline_positions(r->pipe, &n);
    struct agg_position copy[64];
    if (n > KZ_ARRAY_LEN(copy))
        n = KZ_ARRAY_LEN(copy);
    for (size_t i = 0; i < n; i++) {
        copy[i] = pos[i];
        copy[i].source = strdup(pos[i].source);
    }
    int64_t t0 = kz_run_now_ms();
    int rc;
    for (;;) {
        rc = pipeline_flush(r->pipe, err, sizeof(err));
        if (rc != KZ_EAGAIN)
            break; /* applied, or an error retrying cannot mend */
        r->retries++;
        fprintf(stderr, "kzpulse run: store: %s; retrying in %d ms\n", err, backoff);
        if (g_stop && kz_run_now_ms() - t0 > 4000)
            break; /* shutting down and the store is gone: exit without commit, lose nothing */
        sleep_ms(backoff);
        backoff = backoff < 5000 ? backoff * 2 : 5000;
    }
    if (rc == AGG_APPLY_CONFLICT) {
        r->conflicts++;
        fprintf(stderr, "kzpulse run: fenced: the batch overlaps offsets another process applied "
                        "(this one was paused past its session timeout?); dropping it and "
                        "resuming after the stored offsets\n");
        pipeline_discard(r->pipe);
        reseek(r, copy, n);
        kz_run_wm_rollback(r);
        rc = 0;
    } else if (rc == 0) {
        double ms = (double)(kz_run_now_ms() - t0);
        r->flush_ms_sum += ms;
        r->flush_ms_max = ms > r->flush_ms_max ? ms : r->flush_ms_max;
        r->nflush++;
        r->iv_flush_sum += ms;
        r->iv_flush_max = ms > r->iv_flush_max ? ms : r->iv_flush_max;
        r->iv_nflush++;
        commit_positions(r, copy, n);
        kz_run_wm_applied(r);
    } else {
        snprintf(r->fatal_msg, sizeof(r->fatal_msg), "store: %s", err);
    }
    for (size_t i = 0; i < n; i++)
        free((char *)copy[i].source);
    r->last_flush_ms = kz_run_now_ms();
    return rc;
}

/* ---------------------------------------------------------------------------
 * Rebalance: start where the store says, flush before giving partitions away
 * ------------------------------------------------------------------------ */

/* Mark a partition drained (eof = 1) or not. */
static void mark_eof(struct run *r, const char *topic, int32_t partition, int eof)
{
    int i;
    for (i = 0; i < r->nparts; i++)
        if (r->parts[i].partition == partition && !strcmp(r->parts[i].topic, topic))
            break;
    if (i == r->nparts && r->nparts < (int)KZ_ARRAY_LEN(r->parts)) {
        snprintf(r->parts[i].topic, sizeof(r->parts[i].topic), "%s", topic);
        r->parts[i].partition = partition;
        r->nparts++;
    }
    if (i < r->nparts)
        r->parts[i].eof = eof;
}

static int drained_count(const struct run *r)
{
    int n = 0;
    for (int i = 0; i < r->nparts; i++)
        n += r->parts[i].eof;
    return n;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct run *r = opaque;
    int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");

    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        for (int i = 0; i < parts->cnt; i++) {
            rd_kafka_topic_partition_t *tp = &parts->elems[i];
            char err[256];
            int64_t off;
            int rc, backoff = 100;
            while ((rc = agg_store_offset(r->store, tp->topic, tp->partition, &off, err,
                                          sizeof(err))) == KZ_EAGAIN && !g_stop) {
                r->retries++;
                fprintf(stderr, "kzpulse run: store: %s; retrying in %d ms\n", err, backoff);
                sleep_ms(backoff);
                backoff = backoff < 5000 ? backoff * 2 : 5000;
            }
            if (rc == 0)
                tp->offset = off + 1;
            else if (rc == KZ_ENOTFOUND)
                tp->offset = RD_KAFKA_OFFSET_INVALID; /* committed, else auto.offset.reset */
            else {
                snprintf(r->fatal_msg, sizeof(r->fatal_msg), "store offsets: %s", err);
                r->fatal = 1;
                g_stop = 1;
            }
        }
        if (cooperative)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        r->assigned += parts->cnt;
    } else {
        size_t n;
        pipeline_positions(r->pipe, &n);
        if (n && flush(r)) {
            r->fatal = 1;
            g_stop = 1;
        }
        if (cooperative)
            rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
        else
            rd_kafka_assign(rk, NULL);
        r->assigned = cooperative ? r->assigned - parts->cnt : 0;
        r->nparts = 0; /* re-learnt from EOF events after the next assignment */
        if (cooperative)
            kz_run_wm_forget(r, parts);
        else
            r->nwm = 0;
    }
}

/* ---------------------------------------------------------------------------
 * Setup
 * ------------------------------------------------------------------------ */

static int set(rd_kafka_conf_t *c, const char *k, const char *v)
{
    char err[256];
    if (rd_kafka_conf_set(c, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "kzpulse run: -X %s: %s\n", k, err);
        return -1;
    }
    return 0;
}

static rd_kafka_conf_t *base_conf(const struct kz_config *cfg, int consumer)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    int bad = set(c, "bootstrap.servers", cfg->brokers);
    if (consumer) {
        bad = bad || set(c, "group.id", cfg->group) || set(c, "enable.auto.commit", "false") ||
              set(c, "enable.auto.offset.store", "false") ||
              set(c, "auto.offset.reset", "earliest") ||
              set(c, "enable.partition.eof", cfg->until_eof ? "true" : "false") ||
              set(c, "max.poll.interval.ms", "86400000") ||
              set(c, "queued.max.messages.kbytes", "262144");
        for (int i = 0; !bad && i < cfg->nkafka_props; i++)
            bad = set(c, cfg->kafka_props[i].key, cfg->kafka_props[i].value);
    } else {
        bad = bad || set(c, "enable.idempotence", "true") || set(c, "linger.ms", "5");
        /* The DLQ producer talks to the same cluster: security and connection
         * properties apply to it too; consumer-only ones do not. */
        static const char *const consumer_only[] = {
            "group.", "session.", "heartbeat.", "max.poll.", "auto.", "enable.auto.",
            "enable.partition.eof", "fetch.", "queued.", "partition.assignment.",
            "isolation.level", "check.crcs", "allow.auto.create.topics", "coordinator.",
            "consume.", "offset.", "rebalance.",
        };
        for (int i = 0; !bad && i < cfg->nkafka_props; i++) {
            const char *k = cfg->kafka_props[i].key;
            size_t j;
            for (j = 0; j < KZ_ARRAY_LEN(consumer_only); j++)
                if (!strncmp(k, consumer_only[j], strlen(consumer_only[j])))
                    break;
            if (j == KZ_ARRAY_LEN(consumer_only))
                bad = set(c, k, cfg->kafka_props[i].value);
        }
    }
    if (bad) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    return c;
}

/* librdkafka refused the configuration as a whole (rd_kafka_new): with -X
 * properties given, that is bad usage (exit 2); without, a runtime failure. */
static int kafka_new_failed(const struct kz_config *cfg, const char *what, const char *err)
{
    if (cfg->nkafka_props) {
        fprintf(stderr, "kzpulse run: -X: librdkafka rejects the properties given with -X "
                        "(%s): %s\n", what, err);
        return KZ_EXIT_USAGE;
    }
    fprintf(stderr, "kzpulse run: %s: %s\n", what, err);
    return KZ_EXIT_FAIL;
}

/* SIGHUP: compile the lexicons again; swap only a complete new set. */
static void reload_lexicons(struct run *r)
{
    char err[512];
    struct nlp_lexicon *lex = NULL;
    if (!r->cfg->lexicons) {
        fprintf(stderr, "kzpulse run: SIGHUP: no --lexicons directory to reload\n");
        return;
    }
    int rc = pipeline_lexicons_load(r->cfg->lexicons, &lex, err, sizeof(err));
    if (rc) {
        r->reload_failed++;
        fprintf(stderr, "kzpulse run: SIGHUP: lexicons from %s not reloaded, keeping the old "
                        "ones: %s\n", r->cfg->lexicons, err);
        return;
    }
    nlp_lexicon_free(pipeline_swap_lexicon(r->pipe, lex));
    r->reloads++;
    fprintf(stderr, "kzpulse run: SIGHUP: lexicons reloaded from %s\n", r->cfg->lexicons);
}

/*
 * Ask for the DLQ topics' metadata once at start-up: a topic that does not
 * exist yet is created then (by the broker's auto-creation), not on the first
 * dead letter, whose flush would otherwise wait a second or two for it and
 * hold up every post of that batch.  Failure is harmless: the first dead
 * letter simply pays that cost.
 */
static void warm_dlq_topics(rd_kafka_t *dlq, const struct kz_config *cfg)
{
    for (int i = 0; i < cfg->ntopics; i++) {
        char name[300];
        const struct rd_kafka_metadata *md = NULL;
        snprintf(name, sizeof(name), "%s.dlq", cfg->topics[i]);
        rd_kafka_topic_t *t = rd_kafka_topic_new(dlq, name, NULL);
        if (!t)
            continue;
        if (rd_kafka_metadata(dlq, 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR)
            rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(t);
    }
}

int kz_cmd_run(struct kz_config *cfg, char **args, int nargs)
{
    int status = KZ_EXIT_OK, rc;
    char err[512];
    struct run r;

    memset(&r, 0, sizeof(r));
    const char *missing = !cfg->brokers ? "--brokers" : !cfg->ntopics ? "--topic"
                          : !cfg->group ? "--group" : !cfg->redis ? "--redis" : NULL;
    if (missing || nargs) {
        if (missing)
            fprintf(stderr, "kzpulse run: %s is required (see kzpulse run --help)\n", missing);
        else
            fprintf(stderr, "kzpulse run: unexpected argument \"%s\" (see kzpulse run --help)\n",
                    args[0]);
        status = KZ_EXIT_USAGE;
        goto out;
    }
    r.cfg = cfg;
    r.watermark = INT64_MIN;
    {
        char host[256];
        if (gethostname(host, sizeof(host)))
            snprintf(host, sizeof(host), "unknown");
        host[sizeof(host) - 1] = '\0';
        snprintf(r.member, sizeof(r.member), "%s:%ld", host, (long)getpid());
    }

    struct agg_redis_config rcfg;
    agg_redis_config_default(&rcfg);
    rcfg.url = cfg->redis;
    rcfg.group = cfg->group;
    rcfg.minute_ttl_s = cfg->minute_ttl_s;
    rcfg.hour_ttl_s = cfg->hour_ttl_s;
    if ((rc = agg_store_redis_new(&rcfg, &r.store, err, sizeof(err)))) {
        fprintf(stderr, "kzpulse run: --redis: %s\n", err);
        status = rc == KZ_EINVAL ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
        goto out;
    }
    if ((rc = pipeline_new(cfg, r.store, dead_to_kafka, &r, &r.pipe, err, sizeof(err)))) {
        fprintf(stderr, "kzpulse run: %s\n", err);
        status = rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
        goto out;
    }
    pipeline_set_autoflush(r.pipe, 0);

    rd_kafka_conf_t *cc = base_conf(cfg, 1), *pc = cc ? base_conf(cfg, 0) : NULL;
    if (!pc || !cc) {
        if (pc)
            rd_kafka_conf_destroy(pc);
        if (cc)
            rd_kafka_conf_destroy(cc);
        status = KZ_EXIT_USAGE;
        goto out;
    }
    rd_kafka_conf_set_dr_msg_cb(pc, dlq_delivered);
    rd_kafka_conf_set_opaque(pc, &r);
    if (!(r.dlq = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof(err)))) {
        rd_kafka_conf_destroy(pc);
        rd_kafka_conf_destroy(cc);
        status = kafka_new_failed(cfg, "DLQ producer", err);
        goto out;
    }
    warm_dlq_topics(r.dlq, cfg);
    rd_kafka_conf_set_rebalance_cb(cc, on_rebalance);
    rd_kafka_conf_set_opaque(cc, &r);
    if (!(r.consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof(err)))) {
        rd_kafka_conf_destroy(cc);
        status = kafka_new_failed(cfg, "consumer", err);
        goto out;
    }
    rd_kafka_poll_set_consumer(r.consumer);
    rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(cfg->ntopics);
    for (int i = 0; i < cfg->ntopics; i++)
        rd_kafka_topic_partition_list_add(subs, cfg->topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(r.consumer, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (e) {
        fprintf(stderr, "kzpulse run: subscribe: %s\n", rd_kafka_err2str(e));
        status = KZ_EXIT_FAIL;
        goto out;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    int64_t t0 = kz_run_now_ms(), last_stats = t0;
    uint64_t last_posts = 0;
    r.last_flush_ms = t0;
    while (!g_stop) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r.consumer, 50);
        rd_kafka_poll(r.dlq, 0);
        if (m) {
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                mark_eof(&r, rd_kafka_topic_name(m->rkt), m->partition, 1);
            } else if (m->err) {
                fprintf(stderr, "kzpulse run: kafka: %s\n", rd_kafka_message_errstr(m));
            } else {
                rd_kafka_timestamp_type_t tt;
                int64_t ts = rd_kafka_message_timestamp(m, &tt);
                struct ingest_record rec = {
                    .data = m->payload ? m->payload : "",
                    .len = m->len,
                    .pos = {rd_kafka_topic_name(m->rkt), m->partition, (uint64_t)m->offset, 0},
                    .arrival_ms = ts > 0 ? ts : (int64_t)time(NULL) * 1000,
                    .schema = INGEST_SCHEMA_AUTO,
                    .oversize = m->len > cfg->ingest.max_record,
                };
                if (rec.oversize)
                    rec.len = cfg->ingest.max_record;
                if (cfg->until_eof)
                    mark_eof(&r, rec.pos.source, m->partition, 0);
                uint64_t before = pipeline_stats(r.pipe)->posts;
                if ((rc = pipeline_record(r.pipe, &rec, err, sizeof(err)))) {
                    snprintf(r.fatal_msg, sizeof(r.fatal_msg), "%s", err);
                    r.fatal = 1;
                    rd_kafka_message_destroy(m);
                    break;
                }
                if (pipeline_stats(r.pipe)->posts != before)
                    kz_run_wm_seen(&r, rec.pos.source, m->partition,
                                   pipeline_stats(r.pipe)->last_ts_ms);
            }
            rd_kafka_message_destroy(m);
        }
        size_t npos;
        pipeline_positions(r.pipe, &npos);
        int due = npos && (pipeline_pending(r.pipe) >= cfg->flush_posts ||
                           kz_run_now_ms() - r.last_flush_ms >= cfg->flush_ms);
        if (due && flush(&r)) {
            r.fatal = 1;
            break;
        }
        if (cfg->until_eof && r.assigned > 0 && !npos && drained_count(&r) >= r.assigned)
            break;
        if (cfg->stats_interval && kz_run_now_ms() - last_stats >= cfg->stats_interval * 1000LL)
            kz_run_print_stats(&r, t0, &last_posts, &last_stats);
        if (g_reload) { /* between two records: no post is half-classified */
            g_reload = 0;
            reload_lexicons(&r);
        }
        kz_run_wm_publish(&r, 0);
    }
    /* Shutdown: flush what is pending, commit, leave the group. */
    if (!r.fatal) {
        size_t npos;
        pipeline_positions(r.pipe, &npos);
        if (npos && flush(&r))
            r.fatal = 1;
    }
    kz_run_print_stats(&r, t0, &last_posts, &last_stats); /* the final figures, always */
    if (r.wmc || r.watermark != INT64_MIN)
        kz_run_wm_publish(&r, 1);
    if (r.fatal) {
        fprintf(stderr, "kzpulse run: stopping: %s\n", r.fatal_msg);
        status = KZ_EXIT_FAIL;
    }
out:
    if (r.consumer) {
        if (!r.fatal)
            rd_kafka_consumer_close(r.consumer);
        rd_kafka_destroy(r.consumer);
    }
    if (r.dlq) {
        rd_kafka_flush(r.dlq, 5000);
        rd_kafka_destroy(r.dlq);
    }
    if (r.wmc)
        redisFree(r.wmc);
    pipeline_free(r.pipe);
    agg_store_free(r.store);
    return status;
}
