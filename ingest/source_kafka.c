/*
 * source_kafka.c -- the Kafka source: a consumer group in, dead letters out to
 * <topic>.dlq, positions committed only when the caller says they are safe.
 *
 * Design: the caller's store holds the truth about what was applied; Kafka's
 * committed offsets are a hint.  So the consumer never commits or stores
 * offsets by itself (enable.auto.commit and enable.auto.offset.store off),
 * commits only the positions ingest_kafka_commit() is given, and on
 * assignment asks the start hook where each partition begins (the caller
 * answers from its store).  Before partitions are taken away the revoke hook
 * runs, so the caller can apply what it read from them.  max.poll.interval.ms
 * is a day: a caller that stops polling while its store is down keeps its
 * partitions; ingest_kafka_pause() stops the fetching meanwhile.  The eager
 * and the cooperative rebalance protocols are both followed.
 *
 * Dead letters go to "<topic>.dlq" through an idempotent producer (linger 5
 * ms) that takes every -X property but the consumer-only ones, keyed by the
 * source position "<partition>:<offset>", so one written twice (after a
 * crash: the DLQ is at-least-once) lands in the same DLQ partition under the
 * same key and a compacted topic, or a reader deduplicating by key, keeps one.
 * The caller flushes the producer (ingest_kafka_dlq_flush) before it applies
 * the records the dead letters came from.  Its topics are asked for at start,
 * so that the broker creates a missing one then and not on the first dead
 * letter, whose flush would wait for it.
 *
 * --until-eof: with track_eof, partition-end events mark a partition drained
 * and a message from it marks it live again; the source is drained when every
 * assigned partition is (the table is relearnt after each revocation).
 *
 * Commits are asynchronous, one in flight at a time: positions handed over
 * meanwhile are gathered (the highest per partition) and go with the next,
 * sent when the result of the last one is served (or 5 s after it went
 * without one), before partitions are revoked, and on close.  So a broker
 * that does not answer never faces a pile of requests, which destroying the
 * consumer would have to fail one by one.  A source freed without a close
 * does not leave the group (RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE): no hook
 * runs then, and the group gives its partitions away after
 * session.timeout.ms.  Closing waits for the coordinator, at most about 5 s
 * when it does not answer (librdkafka's LeaveGroup timeout).
 *
 * librdkafka 2.0 (Debian 12).  The rebalance callback, and so the hooks, run
 * inside rd_kafka_consumer_poll() and ingest_kafka_close(); a hook's failure
 * is kept and returned by the poll that ran it.
 */
#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "ingest.h"

#define KAFKA_MAX_PARTS 1024 /* partitions tracked for --until-eof */
#define COMMIT_WAIT_MS 5000  /* a commit without a result no longer holds the next back */

struct kafka_part {
    char topic[256];
    int32_t partition;
    int eof;
};

struct ingest_kafka {
    rd_kafka_t *consumer, *dlq;
    struct ingest_kafka_hooks hooks;
    void *ctx;
    size_t max_record;
    int track_eof;
    rd_kafka_message_t *msg; /* behind the last record polled */
    int failed;              /* a hook failed during a rebalance: KZ_E* */
    char failmsg[512];
    int assigned; /* partitions assigned */
    struct kafka_part parts[KAFKA_MAX_PARTS];
    int nparts;
    rd_kafka_topic_partition_list_t *paused;
    rd_kafka_topic_partition_list_t *to_commit; /* positions not sent yet */
    int commits_inflight;                       /* sent, result not served yet */
    int64_t commit_sent_ms;                     /* when the last one went */
    int closed;
    struct ingest_kafka_stats stats;
};

static int errf(char *err, size_t errlen, int rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static int send_commits(struct ingest_kafka *k);
static void on_committed(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *offsets, void *opaque);

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cancelled(struct ingest_kafka *k)
{
    return k->hooks.cancel && k->hooks.cancel(k->ctx);
}

/* ---------------------------------------------------------------------------
 * Partition ends (--until-eof)
 * ------------------------------------------------------------------------ */

/* Mark a partition drained (eof = 1) or not. */
static void mark_eof(struct ingest_kafka *k, const char *topic, int32_t partition, int eof)
{
    int i;

    for (i = 0; i < k->nparts; i++)
        if (k->parts[i].partition == partition && !strcmp(k->parts[i].topic, topic))
            break;
    if (i == k->nparts && k->nparts < KAFKA_MAX_PARTS) {
        snprintf(k->parts[i].topic, sizeof k->parts[i].topic, "%s", topic);
        k->parts[i].partition = partition;
        k->nparts++;
    }
    if (i < k->nparts)
        k->parts[i].eof = eof;
    assert(k->nparts <= KAFKA_MAX_PARTS);
}

int ingest_kafka_drained(const struct ingest_kafka *k)
{
    int n = 0;

    for (int i = 0; i < k->nparts; i++)
        n += k->parts[i].eof;
    return k->assigned > 0 && n >= k->assigned;
}

/* ---------------------------------------------------------------------------
 * Rebalance: start where the caller says, let it make its work safe before
 * partitions go
 * ------------------------------------------------------------------------ */

static void fail(struct ingest_kafka *k, int rc, const char *msg)
{
    assert(rc != 0);
    if (k->failed)
        return; /* the first failure is the one to report */
    k->failed = rc < 0 ? rc : KZ_EIO;
    snprintf(k->failmsg, sizeof k->failmsg, "%s", msg);
}

static void assign(struct ingest_kafka *k, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts,
                   int cooperative)
{
    for (int i = 0; i < parts->cnt && k->hooks.start; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        char err[384] = "";
        int64_t next;
        int rc;

        if (k->failed)
            break;
        rc = k->hooks.start(k->ctx, tp->topic, tp->partition, &next, err, sizeof err);
        if (rc == 0)
            tp->offset = next;
        else if (rc == KZ_ENOTFOUND)
            tp->offset = RD_KAFKA_OFFSET_INVALID; /* committed, else auto.offset.reset */
        else
            fail(k, rc, err);
    }
    if (cooperative)
        rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
    else
        rd_kafka_assign(rk, parts);
    k->assigned += parts->cnt;
}

static void revoke(struct ingest_kafka *k, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts,
                   int cooperative)
{
    if (k->hooks.revoke) {
        struct ingest_kafka_partition *p = calloc((size_t)parts->cnt + 1, sizeof *p);
        char err[384] = "";
        int rc;

        if (!p) {
            fail(k, KZ_ENOMEM, "rebalance: out of memory");
        } else {
            for (int i = 0; i < parts->cnt; i++) {
                p[i].topic = parts->elems[i].topic;
                p[i].partition = parts->elems[i].partition;
            }
            rc = k->hooks.revoke(k->ctx, p, (size_t)parts->cnt, !cooperative, err, sizeof err);
            if (rc)
                fail(k, rc, err);
            free(p);
        }
    }
    send_commits(k); /* while this generation still owns the partitions */
    if (cooperative)
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
    else
        rd_kafka_assign(rk, NULL);
    k->assigned = cooperative ? k->assigned - parts->cnt : 0;
    assert(k->assigned >= 0);
    k->nparts = 0; /* relearnt from partition ends after the next assignment */
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct ingest_kafka *k = opaque;
    int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");

    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS)
        assign(k, rk, parts, cooperative);
    else
        revoke(k, rk, parts, cooperative);
}

/* ---------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------ */

static int set(rd_kafka_conf_t *c, const char *key, const char *v, char *err, size_t errlen)
{
    char why[256];

    if (rd_kafka_conf_set(c, key, v, why, sizeof why) != RD_KAFKA_CONF_OK)
        return errf(err, errlen, KZ_EINVAL, "-X %s: %s", key, why);
    return 0;
}

/* Properties only a consumer has: the DLQ producer leaves them out.  The
 * others (security, connections) apply to it too: it talks to the same
 * cluster. */
static int consumer_only(const char *key)
{
    /* clang-format off */
    static const char *const prefixes[] = {
        "group.", "session.", "heartbeat.", "max.poll.", "auto.", "enable.auto.",
        "enable.partition.eof", "fetch.", "queued.", "partition.assignment.",
        "isolation.level", "check.crcs", "allow.auto.create.topics", "coordinator.",
        "consume.", "offset.", "rebalance.",
    };
    /* clang-format on */

    for (size_t j = 0; j < sizeof prefixes / sizeof prefixes[0]; j++)
        if (!strncmp(key, prefixes[j], strlen(prefixes[j])))
            return 1;
    return 0;
}

static rd_kafka_conf_t *consumer_conf(const struct ingest_kafka_config *cfg, char *err,
                                      size_t errlen)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    int bad = set(c, "bootstrap.servers", cfg->brokers, err, errlen) ||
              set(c, "group.id", cfg->group, err, errlen) ||
              set(c, "enable.auto.commit", "false", err, errlen) ||
              set(c, "enable.auto.offset.store", "false", err, errlen) ||
              set(c, "auto.offset.reset", "earliest", err, errlen) ||
              set(c, "enable.partition.eof", cfg->track_eof ? "true" : "false", err, errlen) ||
              set(c, "max.poll.interval.ms", "86400000", err, errlen) ||
              set(c, "queued.max.messages.kbytes", "262144", err, errlen);

    for (int i = 0; !bad && i < cfg->nprops; i++)
        bad = set(c, cfg->props[i].key, cfg->props[i].value, err, errlen);
    if (bad) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    return c;
}

static rd_kafka_conf_t *producer_conf(const struct ingest_kafka_config *cfg, char *err,
                                      size_t errlen)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    int bad = set(c, "bootstrap.servers", cfg->brokers, err, errlen) ||
              set(c, "enable.idempotence", "true", err, errlen) ||
              set(c, "linger.ms", "5", err, errlen);

    for (int i = 0; !bad && i < cfg->nprops; i++)
        if (!consumer_only(cfg->props[i].key))
            bad = set(c, cfg->props[i].key, cfg->props[i].value, err, errlen);
    if (bad) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    return c;
}

/* librdkafka refused the configuration as a whole (rd_kafka_new): with
 * properties given, they are the likely cause (KZ_EINVAL). */
static int new_failed(const struct ingest_kafka_config *cfg, const char *what, const char *why,
                      char *err, size_t errlen)
{
    if (cfg->nprops)
        return errf(err, errlen, KZ_EINVAL,
                    "-X: librdkafka rejects the properties given with -X (%s): %s", what, why);
    return errf(err, errlen, KZ_EIO, "%s: %s", what, why);
}

static void dlq_delivered(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct ingest_kafka *k = opaque;

    if (m->err)
        k->stats.dlq_failed++;
}

/* Ask for every DLQ topic's metadata once: a topic that does not exist yet is
 * created now (by the broker's auto-creation).  Failure is harmless: the first
 * dead letter then pays that cost. */
static void warm_dlq_topics(rd_kafka_t *dlq, const struct ingest_kafka_config *cfg)
{
    for (int i = 0; i < cfg->ntopics; i++) {
        char name[300];
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *t;

        snprintf(name, sizeof name, "%s.dlq", cfg->topics[i]);
        if (!(t = rd_kafka_topic_new(dlq, name, NULL)))
            continue;
        if (rd_kafka_metadata(dlq, 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR)
            rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(t);
    }
}

int ingest_kafka_new(const struct ingest_kafka_config *cfg, const struct ingest_kafka_hooks *hooks,
                     void *ctx, struct ingest_kafka **out, char *err, size_t errlen)
{
    struct ingest_kafka *k;
    rd_kafka_conf_t *cc, *pc;
    rd_kafka_topic_partition_list_t *subs;
    rd_kafka_resp_err_t e;
    char why[512];

    if (err && errlen)
        err[0] = '\0';
    *out = NULL;
    if (!cfg->brokers || !cfg->group || cfg->ntopics < 1 || !cfg->topics)
        return errf(err, errlen, KZ_EINVAL, "kafka: brokers, group and topics are required");
    if (!(k = calloc(1, sizeof *k)))
        return KZ_ENOMEM;
    if (hooks)
        k->hooks = *hooks;
    k->ctx = ctx;
    k->max_record = cfg->max_record;
    k->track_eof = cfg->track_eof;
    /* Both configurations first: a bad property is reported before anything
     * connects. */
    if (!(cc = consumer_conf(cfg, err, errlen))) {
        free(k);
        return KZ_EINVAL;
    }
    if (!(pc = producer_conf(cfg, err, errlen))) {
        rd_kafka_conf_destroy(cc);
        free(k);
        return KZ_EINVAL;
    }
    rd_kafka_conf_set_dr_msg_cb(pc, dlq_delivered);
    rd_kafka_conf_set_opaque(pc, k);
    if (!(k->dlq = rd_kafka_new(RD_KAFKA_PRODUCER, pc, why, sizeof why))) {
        rd_kafka_conf_destroy(pc);
        rd_kafka_conf_destroy(cc);
        free(k);
        return new_failed(cfg, "DLQ producer", why, err, errlen);
    }
    warm_dlq_topics(k->dlq, cfg);
    rd_kafka_conf_set_rebalance_cb(cc, on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(cc, on_committed);
    rd_kafka_conf_set_opaque(cc, k);
    if (!(k->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, why, sizeof why))) {
        rd_kafka_conf_destroy(cc);
        ingest_kafka_free(k);
        return new_failed(cfg, "consumer", why, err, errlen);
    }
    rd_kafka_poll_set_consumer(k->consumer);
    subs = rd_kafka_topic_partition_list_new(cfg->ntopics);
    for (int i = 0; i < cfg->ntopics; i++)
        rd_kafka_topic_partition_list_add(subs, cfg->topics[i], RD_KAFKA_PARTITION_UA);
    e = rd_kafka_subscribe(k->consumer, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (e) {
        ingest_kafka_free(k);
        return errf(err, errlen, KZ_EIO, "subscribe: %s", rd_kafka_err2str(e));
    }
    *out = k;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Records
 * ------------------------------------------------------------------------ */

int ingest_kafka_poll(struct ingest_kafka *k, int timeout_ms, struct ingest_record *rec, char *err,
                      size_t errlen)
{
    rd_kafka_message_t *m;

    if (k->msg) {
        rd_kafka_message_destroy(k->msg);
        k->msg = NULL;
    }
    assert(!k->msg); /* a record borrows one message at a time */
    m = rd_kafka_consumer_poll(k->consumer, timeout_ms);
    rd_kafka_poll(k->dlq, 0); /* delivery reports */
    if (k->failed) {
        if (m)
            rd_kafka_message_destroy(m);
        return errf(err, errlen, k->failed, "%s", k->failmsg);
    }
    if (!m)
        return 0;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        mark_eof(k, rd_kafka_topic_name(m->rkt), m->partition, 1);
        rd_kafka_message_destroy(m);
        return 0;
    }
    if (m->err) {
        if (k->hooks.log) {
            char msg[600];

            snprintf(msg, sizeof msg, "kafka: %s", rd_kafka_message_errstr(m));
            k->hooks.log(k->ctx, msg);
        }
        rd_kafka_message_destroy(m);
        return 0;
    }
    {
        rd_kafka_timestamp_type_t tt;
        int64_t ts = rd_kafka_message_timestamp(m, &tt);

        memset(rec, 0, sizeof *rec);
        rec->data = m->payload ? m->payload : "";
        rec->len = m->len;
        rec->pos.source = rd_kafka_topic_name(m->rkt);
        rec->pos.partition = m->partition;
        rec->pos.offset = (uint64_t)m->offset;
        rec->pos.index = 0;
        rec->arrival_ms = ts > 0 ? ts : (int64_t)time(NULL) * 1000;
        rec->schema = INGEST_SCHEMA_AUTO;
        rec->oversize = m->len > k->max_record;
        if (rec->oversize)
            rec->len = k->max_record;
    }
    if (k->track_eof)
        mark_eof(k, rec->pos.source, m->partition, 0);
    k->msg = m;
    return 1;
}

/* ---------------------------------------------------------------------------
 * Positions: commit, seek, pause
 * ------------------------------------------------------------------------ */

/* Send the positions gathered so far as one asynchronous commit. */
static int send_commits(struct ingest_kafka *k)
{
    int rc = 0;

    if (!k->to_commit || !k->to_commit->cnt)
        return 0;
    /* async: the caller's store holds the truth, a commit is a hint */
    if (rd_kafka_commit(k->consumer, k->to_commit, 1)) {
        k->stats.commits_failed++;
        rc = KZ_EIO;
    } else {
        k->commits_inflight++;
        k->commit_sent_ms = mono_ms();
    }
    rd_kafka_topic_partition_list_destroy(k->to_commit);
    k->to_commit = NULL;
    return rc;
}

/* A commit's result (served by the poll): the next one may go. */
static void on_committed(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    struct ingest_kafka *k = opaque;

    assert(k->commits_inflight >= 0);
    if (k->commits_inflight > 0)
        k->commits_inflight--;
    if (!k->commits_inflight)
        send_commits(k);
}

int ingest_kafka_commit(struct ingest_kafka *k, const struct ingest_pos *pos, size_t n)
{
    if (!n)
        return 0;
    if (!k->to_commit && !(k->to_commit = rd_kafka_topic_partition_list_new((int)n)))
        return KZ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        rd_kafka_topic_partition_t *tp;

        if (!pos[i].source)
            continue;
        tp = rd_kafka_topic_partition_list_find(k->to_commit, pos[i].source, pos[i].partition);
        if (!tp)
            tp = rd_kafka_topic_partition_list_add(k->to_commit, pos[i].source, pos[i].partition);
        if ((int64_t)pos[i].offset + 1 > tp->offset || tp->offset < 0)
            tp->offset = (int64_t)pos[i].offset + 1;
    }
    /* One commit in flight at a time: while the broker does not answer, the
     * positions gather here instead of piling up requests (which a shutdown
     * would have to wait for).  A result that never comes holds them back
     * COMMIT_WAIT_MS at most. */
    if (k->commits_inflight && mono_ms() - k->commit_sent_ms < COMMIT_WAIT_MS)
        return 0;
    return send_commits(k);
}

int ingest_kafka_seek(struct ingest_kafka *k, const struct ingest_pos *pos, size_t n, char *err,
                      size_t errlen)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n + 1);
    int rc = 0;

    for (size_t i = 0; i < n; i++)
        if (pos[i].source)
            rd_kafka_topic_partition_list_add(l, pos[i].source, pos[i].partition)->offset =
                (int64_t)pos[i].offset;
    if (l->cnt) {
        rd_kafka_error_t *e = rd_kafka_seek_partitions(k->consumer, l, 5000);

        if (e) {
            /* timed out: the seeks may still be under way, and asking again is harmless */
            rc = errf(err, errlen,
                      rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR__TIMED_OUT ? KZ_EAGAIN : KZ_EIO,
                      "seek: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
        for (int i = 0; i < l->cnt && !rc; i++)
            if (l->elems[i].err) /* that partition reads on where it was */
                rc = errf(err, errlen,
                          l->elems[i].err == RD_KAFKA_RESP_ERR__TIMED_OUT ? KZ_EAGAIN : KZ_EIO,
                          "seek %s/%d to %lld: %s", l->elems[i].topic, (int)l->elems[i].partition,
                          (long long)l->elems[i].offset, rd_kafka_err2str(l->elems[i].err));
    }
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

int ingest_kafka_pause(struct ingest_kafka *k)
{
    rd_kafka_topic_partition_list_t *a = NULL;

    if (k->paused)
        return 0;
    if (rd_kafka_assignment(k->consumer, &a) || !a)
        return KZ_EIO;
    if (rd_kafka_pause_partitions(k->consumer, a)) {
        rd_kafka_topic_partition_list_destroy(a);
        return KZ_EIO;
    }
    k->paused = a;
    return 0;
}

int ingest_kafka_resume(struct ingest_kafka *k)
{
    int rc = 0;

    if (!k->paused)
        return 0;
    /* Partitions revoked meanwhile answer with an error of their own. */
    if (rd_kafka_resume_partitions(k->consumer, k->paused))
        rc = KZ_EIO;
    rd_kafka_topic_partition_list_destroy(k->paused);
    k->paused = NULL;
    return rc;
}

/* ---------------------------------------------------------------------------
 * Dead letters -> <topic>.dlq
 * ------------------------------------------------------------------------ */

int ingest_kafka_dead(void *kafka, const struct ingest_dead *d)
{
    struct ingest_kafka *k = kafka;
    char topic[300], part[16], off[32], key[48];
    const char *reason = ingest_dl_reason_name(d->reason);
    const char *detail = d->detail ? d->detail : "";
    int keylen;

    snprintf(topic, sizeof topic, "%s.dlq", d->pos.source);
    snprintf(part, sizeof part, "%d", (int)d->pos.partition);
    snprintf(off, sizeof off, "%llu", (unsigned long long)d->pos.offset);
    keylen = snprintf(key, sizeof key, "%s:%s", part, off);
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            k->dlq, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE((void *)d->raw, d->raw_len), RD_KAFKA_V_KEY(key, (size_t)keylen),
            RD_KAFKA_V_HEADER("kzp-reason", reason, -1),
            RD_KAFKA_V_HEADER("kzp-detail", detail, -1),
            RD_KAFKA_V_HEADER("kzp-topic", d->pos.source, -1),
            RD_KAFKA_V_HEADER("kzp-partition", part, -1), RD_KAFKA_V_HEADER("kzp-offset", off, -1),
            RD_KAFKA_V_END);

        if (!e) {
            k->stats.dlq_sent++;
            return 0;
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return KZ_EIO;
        if (cancelled(k))
            return KZ_EAGAIN;
        rd_kafka_poll(k->dlq, 100);
    }
}

int ingest_kafka_dlq_flush(struct ingest_kafka *k, int timeout_ms, char *err, size_t errlen)
{
    if (rd_kafka_flush(k->dlq, timeout_ms) == RD_KAFKA_RESP_ERR__TIMED_OUT)
        return KZ_EAGAIN;
    if (k->stats.dlq_failed)
        return errf(err, errlen, KZ_EIO, "%llu dead letters could not be written to the DLQ topic",
                    (unsigned long long)k->stats.dlq_failed);
    return 0;
}

void ingest_kafka_dlq_purge(struct ingest_kafka *k)
{
    rd_kafka_purge(k->dlq, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(k->dlq, 0); /* their (failed) delivery reports */
}

/* ---------------------------------------------------------------------------
 * Stats, close
 * ------------------------------------------------------------------------ */

int64_t ingest_kafka_lag(struct ingest_kafka *k)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    int64_t lag = -1;

    if (rd_kafka_assignment(k->consumer, &a) || !a)
        return -1;
    if (a->cnt && !rd_kafka_position(k->consumer, a)) {
        for (int i = 0; i < a->cnt; i++) {
            int64_t lo, hi, pos = a->elems[i].offset;

            if (rd_kafka_get_watermark_offsets(k->consumer, a->elems[i].topic,
                                               a->elems[i].partition, &lo, &hi) ||
                hi < 0)
                continue;
            if (pos < 0)
                pos = lo >= 0 ? lo : hi; /* nothing consumed yet */
            lag = (lag < 0 ? 0 : lag) + (hi > pos ? hi - pos : 0);
        }
    }
    rd_kafka_topic_partition_list_destroy(a);
    return lag;
}

const struct ingest_kafka_stats *ingest_kafka_stats(const struct ingest_kafka *k)
{
    return &k->stats;
}

/* What both closes do first: give back the message a record borrowed and
 * send the positions not yet committed.  0 when there is a close to make. */
static int close_begin(struct ingest_kafka *k)
{
    if (k->closed)
        return 1;
    if (k->msg) {
        rd_kafka_message_destroy(k->msg);
        k->msg = NULL;
    }
    send_commits(k);
    return 0;
}

int ingest_kafka_close(struct ingest_kafka *k)
{
    if (close_begin(k))
        return 0;
    k->closed = 1;
    return rd_kafka_consumer_close(k->consumer) ? KZ_EIO : 0;
}

int ingest_kafka_close_within(struct ingest_kafka *k, int wait_ms)
{
    rd_kafka_queue_t *q;
    rd_kafka_error_t *e;
    int64_t until = mono_ms() + wait_ms;

    if (close_begin(k))
        return 0;
    if (!(q = rd_kafka_queue_new(k->consumer)))
        return KZ_ENOMEM;
    if ((e = rd_kafka_consumer_close_queue(k->consumer, q))) {
        rd_kafka_error_destroy(e);
        rd_kafka_queue_destroy(q);
        return KZ_EIO;
    }
    /* The queue carries every kind of op (a rebalance, a commit's result,
     * an error, a fetched message): served as events, the rebalance and the
     * commit through our own callbacks -- so the revoke hook runs here, on
     * the caller's thread, as in a close -- and the rest dropped.  (Serving
     * it with callbacks only aborts on the first op that has none.) */
    for (int64_t left; !rd_kafka_consumer_closed(k->consumer) && (left = until - mono_ms()) > 0;) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, left < 100 ? (int)left : 100);
        if (!ev)
            continue;
        if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
            on_rebalance(k->consumer, rd_kafka_event_error(ev),
                         rd_kafka_event_topic_partition_list(ev), k);
        else if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_OFFSET_COMMIT)
            on_committed(k->consumer, rd_kafka_event_error(ev),
                         rd_kafka_event_topic_partition_list(ev), k);
        rd_kafka_event_destroy(ev);
    }
    k->closed = rd_kafka_consumer_closed(k->consumer);
    rd_kafka_queue_destroy(q);
    return k->closed ? 0 : KZ_EAGAIN;
}

void ingest_kafka_free(struct ingest_kafka *k)
{
    if (!k)
        return;
    if (k->msg)
        rd_kafka_message_destroy(k->msg);
    if (k->paused)
        rd_kafka_topic_partition_list_destroy(k->paused);
    if (k->to_commit)
        rd_kafka_topic_partition_list_destroy(k->to_commit);
    if (k->consumer)
        rd_kafka_destroy_flags(k->consumer, k->closed ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    if (k->dlq) {
        /* every dead letter a batch covered was confirmed before the batch
         * was applied; what is left belongs to a batch that was not, and is
         * sent again when it is read again: a short wait is enough */
        rd_kafka_flush(k->dlq, 1000);
        rd_kafka_destroy(k->dlq);
    }
    free(k);
}

/* The teardown thread of ingest_kafka_free_within and what it shares with the
 * caller: whoever finishes last frees it. */
struct kafka_teardown {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct ingest_kafka *k;
    int done, abandoned;
};

static void teardown_release(struct kafka_teardown *t)
{
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
}

static void *teardown_main(void *arg)
{
    struct kafka_teardown *t = arg;
    int abandoned;

    ingest_kafka_free(t->k);
    pthread_mutex_lock(&t->mu);
    t->done = 1;
    abandoned = t->abandoned;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    if (abandoned)
        teardown_release(t);
    return NULL;
}

int ingest_kafka_free_within(struct ingest_kafka *k, int wait_ms)
{
    struct kafka_teardown *t;
    struct timespec until;
    pthread_attr_t attr;
    pthread_t th;
    int done;

    if (!k)
        return 1;
    if (!(t = calloc(1, sizeof *t))) {
        ingest_kafka_free(k);
        return 1;
    }
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    t->k = k;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &attr, teardown_main, t)) {
        pthread_attr_destroy(&attr);
        teardown_release(t);
        ingest_kafka_free(k);
        return 1;
    }
    pthread_attr_destroy(&attr);
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&t->mu);
    while (!t->done && pthread_cond_timedwait(&t->cv, &t->mu, &until) == 0)
        ;
    done = t->done;
    if (!done)
        t->abandoned = 1;
    pthread_mutex_unlock(&t->mu);
    if (done)
        teardown_release(t);
    return done;
}
