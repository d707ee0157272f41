/*
 * cmd_produce.c -- `kzpulse produce`: publish archives to a Kafka topic.
 *
 * Tests, demos and load generation feed Kafka with this.  Each record of the
 * input is published byte for byte, malformed ones included, so that the
 * consumer's dead-letter path sees realistic traffic.  The decoder is used
 * only to learn a record's author (the message key: one author's posts stay in
 * order in one partition) and event time (for --speed pacing); a record it
 * rejects is still published, without a key.
 *
 * Pacing: --rate N spaces messages 1/N s apart on a monotonic clock (no
 * drift: the schedule is computed from the start, not from the last send);
 * --speed X follows the posts' own timestamps, X times faster, never waiting
 * for a post that is older than the previous one.  A full local queue is
 * handled by polling and retrying, never by dropping.  Delivery failures are
 * counted and make the command exit 1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "cli.h"

struct produce_state {
    uint64_t sent, delivered, failed, bytes;
    char last_error[256];
    /* what the decoder told us about the current record */
    char key[256];
    size_t keylen;
    int64_t ts_ms;
    int have_ts;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct produce_state *st = opaque;
    if (m->err) {
        st->failed++;
        snprintf(st->last_error, sizeof(st->last_error), "%s", rd_kafka_err2str(m->err));
    } else {
        st->delivered++;
    }
}

static int on_post(void *ctx, const struct ingest_post *post)
{
    struct produce_state *st = ctx;
    size_t n = post->author.n < sizeof(st->key) ? post->author.n : sizeof(st->key);
    memcpy(st->key, post->author.p, n);
    st->keylen = n;
    st->ts_ms = post->ts_ms;
    st->have_ts = !(post->flags & INGEST_POST_TS_ARRIVAL);
    return 0;
}

static int on_dead(void *ctx, const struct ingest_dead *d)
{
    return 0; /* published anyway, unkeyed */
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(rd_kafka_t *rk, double t)
{
    for (;;) {
        double d = t - mono_s();
        if (d <= 0)
            return;
        /* serve delivery reports while waiting */
        rd_kafka_poll(rk, d > 0.1 ? 100 : (int)(d * 1000));
        if (d < 0.001) {
            struct timespec ts = {0, (long)(d * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
}

static rd_kafka_t *make_producer(const struct kz_config *cfg, struct produce_state *st)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", cfg->brokers, err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "linger.ms", "20", err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", err, sizeof(err))) {
        fprintf(stderr, "kzpulse produce: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    for (int i = 0; i < cfg->nkafka_props; i++)
        if (rd_kafka_conf_set(conf, cfg->kafka_props[i].key, cfg->kafka_props[i].value, err,
                              sizeof(err)) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "kzpulse produce: -X %s: %s\n", cfg->kafka_props[i].key, err);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, st);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "kzpulse produce: %s\n", err);
        rd_kafka_conf_destroy(conf);
    }
    return rk;
}

static int publish(rd_kafka_t *rk, const char *topic, const struct ingest_record *rec,
                   struct produce_state *st)
{
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE((void *)rec->data, rec->len),
            RD_KAFKA_V_KEY(st->keylen ? st->key : NULL, st->keylen), RD_KAFKA_V_END);
        if (!e) {
            st->sent++;
            st->bytes += rec->len;
            rd_kafka_poll(rk, 0);
            return 0;
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, "kzpulse produce: %s\n", rd_kafka_err2str(e));
            return -1;
        }
        rd_kafka_poll(rk, 50); /* let the queue drain; never drop */
    }
}

static int produce_file(rd_kafka_t *rk, const struct kz_config *cfg, struct ingest_decoder *dec,
                        const char *path, struct produce_state *st, double start)
{
    char err[512];
    struct ingest_source *src;
    if (ingest_source_open(path, &cfg->ingest, &src, err, sizeof(err))) {
        fprintf(stderr, "kzpulse produce: %s\n", err);
        return KZ_EXIT_USAGE;
    }
    int status = KZ_EXIT_OK, rc;
    struct ingest_record rec;
    int64_t first_ts = 0;
    int have_first = 0;
    double last_due = start;
    while ((rc = ingest_source_next(src, &rec, err, sizeof(err))) == 1) {
        if (rec.schema == INGEST_SCHEMA_TELEGRAM) {
            fprintf(stderr,
                    "kzpulse produce: %s: a Telegram export is one document, not a "
                    "stream of posts; replay it instead\n",
                    path);
            status = KZ_EXIT_USAGE;
            break;
        }
        st->keylen = 0;
        st->have_ts = 0;
        rec.arrival_ms = (int64_t)time(NULL) * 1000;
        if (ingest_decode(dec, &rec, on_post, on_dead, st) == KZ_ENOMEM) {
            fprintf(stderr, "kzpulse produce: out of memory\n");
            status = KZ_EXIT_FAIL;
            break;
        }
        if (cfg->rate > 0) {
            sleep_until(rk, start + (double)st->sent / cfg->rate);
        } else if (cfg->speed > 0 && st->have_ts) {
            if (!have_first) {
                first_ts = st->ts_ms;
                have_first = 1;
            }
            double due = start + (double)(st->ts_ms - first_ts) / 1000.0 / cfg->speed;
            if (due > last_due) {
                sleep_until(rk, due);
                last_due = due;
            }
        }
        if (publish(rk, cfg->topics[0], &rec, st)) {
            status = KZ_EXIT_FAIL;
            break;
        }
    }
    if (rc < 0) {
        fprintf(stderr, "kzpulse produce: %s\n", err);
        status = KZ_EXIT_USAGE;
    }
    ingest_source_close(src);
    return status;
}

int kz_cmd_produce(struct kz_config *cfg, char **files, int nfiles)
{
    int status = KZ_EXIT_OK;
    struct produce_state st;
    rd_kafka_t *rk = NULL;
    struct ingest_decoder *dec = NULL;

    memset(&st, 0, sizeof(st));
    const char *missing = !cfg->brokers ? "--brokers" : !cfg->ntopics ? "--topic" : NULL;
    if (missing || !nfiles) {
        fprintf(stderr, "kzpulse produce: %s is required (see kzpulse produce --help)\n",
                missing ? missing : "FILE");
        status = KZ_EXIT_USAGE;
        goto out;
    }
    if (cfg->ntopics > 1 || (cfg->rate > 0 && cfg->speed > 0)) {
        fprintf(stderr, "kzpulse produce: %s (see kzpulse produce --help)\n",
                cfg->ntopics > 1 ? "--topic: give exactly one topic"
                                 : "--rate and --speed exclude each other");
        status = KZ_EXIT_USAGE;
        goto out;
    }
    if (!(rk = make_producer(cfg, &st))) {
        status = KZ_EXIT_USAGE;
        goto out;
    }
    if (ingest_decoder_new(&cfg->ingest, &dec)) {
        status = KZ_EXIT_FAIL;
        goto out;
    }
    double start = mono_s();
    for (int i = 0; i < nfiles && status != KZ_EXIT_FAIL; i++) {
        int s = produce_file(rk, cfg, dec, files[i], &st, start);
        if (s > status)
            status = s;
    }
    /* Wait for every delivery report: success or a counted failure. */
    while (rd_kafka_outq_len(rk) > 0 && rd_kafka_flush(rk, 1000) == RD_KAFKA_RESP_ERR__TIMED_OUT &&
           mono_s() - start < 24 * 3600)
        ;
    double secs = mono_s() - start;
    /* a message neither confirmed nor failed (no report came) is not taken
     * as delivered: the exit status says so */
    uint64_t unconfirmed = st.sent - st.delivered - st.failed;
    fprintf(stderr,
            "kzpulse produce: %llu messages (%.1f MB) to %s in %.2f s: %.0f msg/s; %llu delivered, "
            "%llu failed%s%s",
            (unsigned long long)st.sent, (double)st.bytes / 1e6, cfg->topics[0], secs,
            secs > 0 ? (double)st.sent / secs : 0.0, (unsigned long long)st.delivered,
            (unsigned long long)st.failed, st.failed ? ": " : "", st.last_error);
    if (unconfirmed)
        fprintf(stderr, "; %llu unconfirmed", (unsigned long long)unconfirmed);
    fputc('\n', stderr);
    if ((st.failed || unconfirmed) && status == KZ_EXIT_OK)
        status = KZ_EXIT_FAIL;
out:
    if (rk)
        rd_kafka_destroy(rk);
    ingest_decoder_free(dec);
    return status;
}
