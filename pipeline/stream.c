/*
 * stream.c -- the streaming job of `kzpulse run`: a Kafka consumer group into
 * a store, effectively once.
 *
 * One loop (librdkafka keeps its own threads): poll a record from the Kafka
 * source (ingest/source_kafka.c), run it through the pipeline (decode,
 * analyse, coalesce), and every --flush-ms or --flush-posts apply the batch
 * to the store together with the last offset of every partition it covers.
 * The apply runs on an applier thread while the loop fills the next batch
 * (pipeline_take): one batch at most is in flight, and it is settled --
 * applied and committed, retried, or dropped -- before the next is taken,
 * so batches reach the store in the order they were consumed.  The store is
 * the applier's while a batch is in flight; the loop reads offsets, the
 * watch set and publishes the watermark only between two.
 * The store applies a batch and raises those offsets in one atomic step (a
 * Lua script in Redis) and skips a batch whose offsets it already holds, so:
 *  - Kafka offsets are committed only after the store has applied the batch;
 *    the committed offset is a hint, the store's offsets are the truth;
 *  - on assignment each partition is started at the offset after the one the
 *    store holds (the source's start hook), so a crash between apply and
 *    commit never counts twice, and a crash before apply never loses (the
 *    batch is simply consumed again);
 *  - before partitions are revoked the pending batch is flushed (the revoke
 *    hook).
 * An apply that fails for a transient reason (the store down) is retried,
 * when the loop settles it (as soon as it has ended), with backoff (100 ms
 * doubling to 5 s) while nothing more is fetched: the batch is kept (and the next one,
 * filled meanwhile, waits behind it), the source is paused, and max.poll.interval.ms is a day, so
 * the group does not give the partitions away meanwhile.  Undecodable messages go to the
 * dead-letter topic `<topic>.dlq` and their offsets advance like any other; the DLQ producer is
 * flushed before the batch that covers them is applied, so a dead letter is never lost (it may be
 * written twice after a crash: the DLQ is at-least-once).
 *
 * Fencing: a batch carries the first and the last offset of every partition
 * it covers, and the store refuses (AGG_APPLY_CONFLICT) one that overlaps
 * what another process applied -- a zombie, paused past its session timeout
 * while its partitions went elsewhere.  The loop then drops the batch, and the
 * pending one that follows it, and seeks their partitions to the offsets
 * after the stored ones.
 *
 * Signals are the caller's (struct pipeline_signals): a stop ends the loop,
 * then the pending batch is flushed and committed and the group left; a
 * reload compiles the lexicons again (pipeline_reload_lexicons) and swaps
 * them in between two records (a post is classified by one lexicon, never
 * half by each); if they fail to load, the old ones stay and the error is
 * logged.  The waits of the last flush are bounded: for the broker to
 * confirm the dead letters it covers, PIPELINE_STOP_GRACE_MS after the stop
 * was first seen; for the store, 4 s from the apply's start or the stop, the sooner; either, until
 * a second stop.  Giving up on that flush applies nothing and commits nothing (the dead letters not
 * yet confirmed are dropped from the producer), and the job ends as failed without leaving the
 * group: a restart reads the batch again and sends its dead letters again.
 *
 * The watermark and the stats line are stream_report.c's; stream_int.h holds
 * the state the two files share.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

#include "stream_int.h"

int64_t stream_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static void say(const char *fmt, ...)
{
    va_list ap;

    fputs(STREAM_LOG, stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Has a stop been asked for?  Notes when it was first seen. */
static int stopping(struct stream *s)
{
    if (!s->sig->stop)
        return 0;
    if (!s->stop_seen) {
        s->stop_seen = 1;
        s->stop_seen_ms = stream_now_ms();
    }
    return 1;
}

/* Must a wait end now: a second stop, or the grace after the first is over? */
static int stop_now(struct stream *s)
{
    if (!stopping(s))
        return 0;
    assert(s->stop_seen);
    return s->sig->stop > 1 || stream_now_ms() - s->stop_seen_ms >= PIPELINE_STOP_GRACE_MS;
}

/* What is left of the teardown's time after a stop (100 ms at least). */
static int teardown_left(const struct stream *s)
{
    int64_t left = s->stop_seen_ms + PIPELINE_STOP_TEARDOWN_MS - stream_now_ms();
    return left < 100 ? 100 : (int)left;
}

/* Sleep ms, or less when a signal changes the stop flag (as a signal would
 * cut nanosleep short). */
static void nap(struct stream *s, int ms)
{
    sig_atomic_t stop = s->sig->stop;

    for (int slept = 0; slept < ms && s->sig->stop == stop; slept += 50) {
        int d = ms - slept < 50 ? ms - slept : 50;
        struct timespec ts = {0, (long)d * 1000000L};

        nanosleep(&ts, NULL);
    }
}

static void set_fatal(struct stream *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void set_fatal(struct stream *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->fatal_msg, sizeof s->fatal_msg, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------------------
 * Flush: DLQ confirmed, batch applied, offsets committed
 * ------------------------------------------------------------------------ */

/* Positions of the store as positions of the source. */
static size_t to_source(const struct agg_position *pos, size_t n, struct ingest_pos *out)
{
    for (size_t i = 0; i < n; i++) {
        out[i].source = pos[i].source;
        out[i].partition = pos[i].partition;
        out[i].offset = (uint64_t)pos[i].offset;
        out[i].index = 0;
    }
    return n;
}

/* After a conflict: start the dropped batches' partitions again after the
 * offsets the store holds (partitions no longer assigned are ignored by the
 * source).  0, or KZ_EIO when a partition could not be placed (its stored
 * offset unreadable, a name not copied, the seek refused): its dropped posts
 * would be skipped, so the job ends without committing and a restart starts
 * from the store (fatal_msg set). */
static int reseek(struct stream *s, const struct agg_position *pos, size_t n)
{
    struct ingest_pos to[2 * PIPELINE_MAX_POSITIONS]; /* the batch in flight and the pending one */
    size_t m = 0;
    char err[256];

    assert(n <= KZ_ARRAY_LEN(to));
    for (size_t i = 0; i < n; i++) {
        int64_t off;
        int rc, tries = 0;

        if (!pos[i].source) {
            set_fatal(s, "fenced: a partition of the dropped batch could not be noted (no "
                         "memory); ending so that a restart starts from the store");
            return KZ_EIO;
        }
        while ((rc = agg_store_offset(s->store, pos[i].source, pos[i].partition, &off, err,
                                      sizeof err)) == KZ_EAGAIN &&
               tries++ < 50 && !stopping(s)) {
            s->retries++;
            nap(s, 100);
        }
        if (rc == 0) {
            off += 1;
        } else if (rc == KZ_ENOTFOUND) {
            /* Nobody has applied this partition yet: read the dropped batch's
             * part of it again, or those posts would be skipped for good. */
            off = pos[i].first_offset;
        } else {
            set_fatal(s,
                      "fenced: no stored offset for %s/%d: %s; ending so that a restart "
                      "starts from the store",
                      pos[i].source, (int)pos[i].partition, err);
            return KZ_EIO;
        }
        to[m].source = pos[i].source;
        to[m].partition = pos[i].partition;
        to[m].offset = (uint64_t)off;
        to[m].index = 0;
        m++;
    }
    /* a seek that timed out (a busy broker) is asked again, twice, unless
     * the job is stopping: ending would be safe, but needless */
    int rc;
    for (int tries = 0; m && (rc = ingest_kafka_seek(s->src, to, m, err, sizeof err)); tries++) {
        if (rc != KZ_EAGAIN || tries == 2 || stopping(s)) {
            set_fatal(s, "fenced: %s; ending so that a restart starts from the store", err);
            return KZ_EIO;
        }
        say("fenced: %s; seeking again", err);
    }
    return 0;
}

/* The dead letters this batch covers must be safe before its offsets move.
 * Waits in short slices, so that a stop is seen at once; counts a retry per
 * second of waiting. */
static int dlq_wait(struct stream *s)
{
    int64_t t0 = stream_now_ms(), counted = 0;
    char err[256];
    int rc;

    while ((rc = ingest_kafka_dlq_flush(s->src, 100, err, sizeof err)) == KZ_EAGAIN) {
        int64_t waited = stream_now_ms() - t0;

        for (; counted + 1000 <= waited; counted += 1000)
            s->retries++;
        if (stop_now(s)) {
            ingest_kafka_dlq_purge(s->src);
            set_fatal(s,
                      "the broker did not confirm the dead letters of the last batch "
                      "within %lld ms of the stop; the batch is not applied and its "
                      "offsets are not committed: the next start reads it again",
                      (long long)(stream_now_ms() - s->stop_seen_ms));
            return KZ_EAGAIN;
        }
    }
    if (rc)
        set_fatal(s, "%s", err);
    return rc;
}

/* The members alert rules judge (the Redis watch set the evaluators fill):
 * read every PIPELINE_WATCH_MS and handed to the batch, so a post with a
 * watched hashtag or term also counts toward it.  Members of another form
 * and those past AGG_WATCH_MAX are left out, said whenever that changes;
 * Redis away: the list in force stays, said once. */
static void watch_refresh(struct stream *s)
{
    char **dims = NULL, err[256];
    size_t n = 0, bad = 0, use;
    int64_t now = stream_now_ms();
    int rc;

    if (now < s->watch_next_ms)
        return;
    s->watch_next_ms = now + PIPELINE_WATCH_MS;
    rc = agg_store_redis_watch_get(s->store, &dims, &n, &bad, err, sizeof err);
    if (!rc) {
        use = n > AGG_WATCH_MAX ? AGG_WATCH_MAX : n;
        if (bad + (n - use) != s->watch_left_out && bad + (n - use))
            say("kzp:v2:watch: %zu member%s not hashtag:<h> or term:<t> and %zu past the first "
                "%d left out",
                bad, bad == 1 ? "" : "s", n - use, AGG_WATCH_MAX);
        s->watch_left_out = bad + (n - use);
        rc = pipeline_set_watch(s->pipe, (const char *const *)dims, use);
        if (rc)
            snprintf(err, sizeof err, "%s", kz_strerror(rc));
    }
    if (rc && !s->watch_failed)
        say("the watch set of alert rules is not read: %s; the last one read stays in force", err);
    s->watch_failed = rc != 0;
    agg_watch_free(dims, n);
}

/* The applier thread: one apply of the taken batch (its posts' facts
 * coalesced first: pipeline_set_deferred). */
static void *applier(void *arg)
{
    struct stream *s = arg;

    s->apply_rc = pipeline_apply_taken(s->pipe, s->apply_err, sizeof s->apply_err);
    s->apply_end_ms = stream_now_ms();
    atomic_store(&s->apply_done, 1);
    return NULL;
}

/* Wait for the batch in flight, if any, to end its apply: 1, or 0 when
 * none was in flight. */
static int join_applier(struct stream *s)
{
    if (!s->inflight)
        return 0;
    if (!s->applier_inline)
        pthread_join(s->applier, NULL);
    s->applier_inline = 0;
    s->inflight = 0;
    return 1;
}

/* A failed job ends: wait for the applier, keep what it did (the store holds
 * the offsets), commit nothing. */
static void abandon(struct stream *s)
{
    if (join_applier(s))
        pipeline_taken_done(s->pipe);
}

/* The positions of the batch in flight, then those of the pending batch's
 * partitions it does not cover (a partition in both starts at the first's). */
static size_t both_positions(struct stream *s, struct agg_position *out, size_t cap)
{
    size_t nt, np, n = 0;
    const struct agg_position *t = pipeline_taken_positions(s->pipe, &nt);
    const struct agg_position *p = pipeline_positions(s->pipe, &np);

    for (size_t i = 0; i < nt && n < cap; i++)
        out[n++] = t[i];
    for (size_t j = 0; j < np && n < cap; j++) {
        size_t i = 0;

        while (i < nt && !(t[i].partition == p[j].partition && !strcmp(t[i].source, p[j].source)))
            i++;
        if (i == nt)
            out[n++] = p[j];
    }
    return n;
}

/* Wait for the batch in flight and settle it: applied (its offsets committed,
 * its posts count for the watermark), retried with backoff while the store
 * fails for a transient reason (nothing more is fetched meanwhile), or
 * refused by fencing -- then it is dropped together with the pending batch,
 * whose offsets follow it, and their partitions start again after the
 * store's offsets.  Returns 0 or a KZ_E* code (fatal_msg set). */
static int settle(struct stream *s)
{
    struct agg_position both[2 * PIPELINE_MAX_POSITIONS];
    struct ingest_pos done[PIPELINE_MAX_POSITIONS];
    const struct agg_position *pos;
    int backoff = 100, paused = 0, rc;
    size_t n;

    if (!join_applier(s))
        return 0;
    rc = s->apply_rc;
    while (rc == KZ_EAGAIN) {
        s->retries++;
        say("store: %s; retrying in %d ms", s->apply_err, backoff);
        if (!paused)
            paused = ingest_kafka_pause(s->src) == 0; /* fetch nothing more meanwhile */
        /* shutting down and the store is gone: exit without commit, lose
         * nothing -- 4 s from the apply's start or from the stop, the sooner */
        if (stopping(s) && (s->sig->stop > 1 || stream_now_ms() - s->apply_t0 > 4000 ||
                            stream_now_ms() - s->stop_seen_ms > 4000))
            break;
        nap(s, backoff);
        backoff = backoff < 5000 ? backoff * 2 : 5000;
        rc = pipeline_apply_taken(s->pipe, s->apply_err, sizeof s->apply_err);
        s->apply_end_ms = stream_now_ms();
    }
    if (paused)
        ingest_kafka_resume(s->src);
    if (rc == AGG_APPLY_CONFLICT) {
        s->conflicts++;
        say("fenced: the batch overlaps offsets another process applied (this one was paused "
            "past its session timeout?); dropping it and the next one and resuming after the "
            "stored offsets");
        n = both_positions(s, both, KZ_ARRAY_LEN(both));
        for (size_t i = 0; i < n; i++) /* NULL if it fails: the store holds the truth */
            both[i].source = both[i].source ? strdup(both[i].source) : NULL;
        pipeline_taken_done(s->pipe);
        pipeline_discard(s->pipe);
        assert(pipeline_pending(s->pipe) == 0);
        rc = reseek(s, both, n);
        for (size_t i = 0; i < n; i++)
            free((char *)both[i].source);
        stream_wm_rollback(s);
    } else if (rc == 0) {
        double ms = (double)(s->apply_end_ms - s->apply_t0);

        s->flush_ms_sum += ms;
        s->flush_ms_max = ms > s->flush_ms_max ? ms : s->flush_ms_max;
        s->nflush++;
        s->iv_flush_sum += ms;
        s->iv_flush_max = ms > s->iv_flush_max ? ms : s->iv_flush_max;
        s->iv_nflush++;
        pos = pipeline_taken_positions(s->pipe, &n);
        ingest_kafka_commit(s->src, done, to_source(pos, n, done));
        pipeline_taken_done(s->pipe);
        stream_wm_applied(s);
    } else {
        set_fatal(s, "store: %s", s->apply_err);
        pipeline_taken_done(s->pipe); /* not applied: the next start reads it again */
    }
    return rc;
}

/* Hand the pending batch to an applier thread and go on: the next batch
 * fills while this one is applied.  Its dead letters are confirmed first.
 * A batch of fewer than STREAM_APPLY_THREAD_MIN posts is applied here: a
 * thread would cost more than the overlap saves (--flush-posts 1 ran at half
 * the speed).  Returns 0 or a KZ_E* code (fatal_msg set). */
static int launch(struct stream *s)
{
    int rc;
    int here = pipeline_pending(s->pipe) < STREAM_APPLY_THREAD_MIN;

    assert(!s->inflight);
    if ((rc = dlq_wait(s)))
        return rc;
    if ((rc = pipeline_take(s->pipe))) {
        set_fatal(s, "taking the batch: %s", kz_strerror(rc));
        return rc;
    }
    stream_wm_taken(s);
    atomic_store(&s->apply_done, 0);
    s->apply_t0 = stream_now_ms();
    s->last_flush_ms = s->apply_t0;
    s->inflight = 1;
    if (here || pthread_create(&s->applier, NULL, applier, s)) {
        applier(s); /* here: settle() retries it if need be */
        s->applier_inline = 1;
    }
    return 0;
}

/* Settle the batch in flight, then start applying the pending one; with
 * wait, settle that one too (a revoke, the shutdown).  The store is free
 * between the two: the watermark is published and the watch set read then. */
static int flush(struct stream *s, int wait)
{
    size_t npos;
    int rc;

    if ((rc = settle(s)))
        return rc;
    stream_wm_publish(s);
    watch_refresh(s);
    pipeline_positions(s->pipe, &npos);
    if (npos && (rc = launch(s)))
        return rc;
    return wait || s->applier_inline ? settle(s) : 0;
}

/* ---------------------------------------------------------------------------
 * The source's hooks: start where the store says, flush before partitions go
 * ------------------------------------------------------------------------ */

static int on_start(void *ctx, const char *topic, int32_t partition, int64_t *next, char *err,
                    size_t errlen)
{
    struct stream *s = ctx;
    char why[256];
    int64_t off;
    int rc, backoff = 100;

    if ((rc = settle(s))) { /* the store is the applier's until then */
        snprintf(err, errlen, "%s", s->fatal_msg);
        return rc;
    }
    while ((rc = agg_store_offset(s->store, topic, partition, &off, why, sizeof why)) ==
               KZ_EAGAIN &&
           !stopping(s)) {
        s->retries++;
        say("store: %s; retrying in %d ms", why, backoff);
        nap(s, backoff);
        backoff = backoff < 5000 ? backoff * 2 : 5000;
    }
    if (rc == 0) {
        *next = off + 1;
        return 0;
    }
    if (rc == KZ_ENOTFOUND)
        return KZ_ENOTFOUND; /* committed, else the earliest */
    snprintf(err, errlen, "store offsets: %s", why);
    return rc;
}

static int on_revoke(void *ctx, const struct ingest_kafka_partition *parts, size_t n, int all,
                     char *err, size_t errlen)
{
    struct stream *s = ctx;
    size_t npos;
    int rc = 0;

    pipeline_positions(s->pipe, &npos);
    if ((npos || s->inflight) && (rc = flush(s, 1)))
        snprintf(err, errlen, "%s", s->fatal_msg);
    stream_wm_forget(s, parts, n, all);
    return rc;
}

static int on_cancel(void *ctx)
{
    return stop_now(ctx);
}

static void on_log(void *ctx, const char *msg)
{
    say("%s", msg);
}

static int on_dead(void *ctx, const struct ingest_dead *d)
{
    struct stream *s = ctx;

    assert(s->src); /* records come from the source, which exists by then */
    return ingest_kafka_dead(s->src, d);
}

/* ---------------------------------------------------------------------------
 * The loop
 * ------------------------------------------------------------------------ */

static void reload(struct stream *s)
{
    char err[512];

    if (!s->cfg->lexicons) {
        say("SIGHUP: no --lexicons directory to reload");
        return;
    }
    if (pipeline_reload_lexicons(s->pipe, err, sizeof err)) {
        s->reload_failed++;
        say("SIGHUP: lexicons from %s not reloaded, keeping the old ones: %s", s->cfg->lexicons,
            err);
        return;
    }
    s->reloads++;
    say("SIGHUP: lexicons reloaded from %s", s->cfg->lexicons);
}

/* Consume until a stop, the end (--until-eof) or a failure (s->fatal). */
static void consume(struct stream *s)
{
    const struct kz_config *cfg = s->cfg;
    char err[512];

    while (!stopping(s)) {
        struct ingest_record rec;
        size_t npos;
        int rc = ingest_kafka_poll(s->src, 50, &rec, err, sizeof err);

        if (rc < 0) {
            set_fatal(s, "%s", err);
            s->fatal = 1;
            break;
        }
        if (rc == 1) {
            uint64_t before = pipeline_stats(s->pipe)->posts;

            if (pipeline_record(s->pipe, &rec, err, sizeof err)) {
                set_fatal(s, "%s", err);
                s->fatal = 1;
                break;
            }
            if (pipeline_stats(s->pipe)->posts != before)
                stream_wm_seen(s, rec.pos.source, rec.pos.partition,
                               pipeline_stats(s->pipe)->last_ts_ms);
        }
        pipeline_positions(s->pipe, &npos);
        if (npos &&
            (pipeline_pending(s->pipe) >= s->flush_posts || npos == PIPELINE_MAX_POSITIONS ||
             stream_now_ms() - s->last_flush_ms >= cfg->flush_ms) &&
            flush(s, 0)) {
            s->fatal = 1;
            break;
        }
        if (cfg->until_eof && !npos && !s->inflight && ingest_kafka_drained(s->src))
            break;
        if (cfg->stats_interval && stream_now_ms() - s->last_stats >= cfg->stats_interval * 1000LL)
            stream_print_stats(s);
        if (s->sig->reload) { /* between two records: no post is half-classified */
            s->sig->reload = 0;
            reload(s);
        }
        /* an apply that is over is settled at once: its offsets committed,
         * its posts in the watermark, the store free */
        if (s->inflight && atomic_load(&s->apply_done) && settle(s)) {
            s->fatal = 1;
            break;
        }
        if (!s->inflight) { /* else the store is the applier's: flush() does these */
            stream_wm_publish(s);
            watch_refresh(s);
        }
        stream_metrics_update(s);
    }
}

static int start(struct stream *s, char *err, size_t errlen)
{
    const struct kz_config *cfg = s->cfg;
    struct ingest_kafka_prop props[KZ_MAX_KAFKA_PROPS];
    struct ingest_kafka_config kc = {
        .brokers = cfg->brokers,
        .group = cfg->group,
        .topics = (const char *const *)cfg->topics,
        .ntopics = cfg->ntopics,
        .props = props,
        .nprops = cfg->nkafka_props,
        .max_record = cfg->ingest.max_record,
        .track_eof = cfg->until_eof,
    };
    static const struct ingest_kafka_hooks hooks = {
        .start = on_start,
        .revoke = on_revoke,
        .cancel = on_cancel,
        .log = on_log,
    };
    char host[256];
    int rc;

    if (gethostname(host, sizeof host))
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    snprintf(s->member, sizeof s->member, "%s:%ld", host, (long)getpid());
    if ((rc = pipeline_new(cfg, s->store, on_dead, s, &s->pipe, err, errlen)) == 0 && s->metrics)
        stream_metrics_declare(s);
    if (rc)
        return rc == KZ_ENOMEM ? rc : KZ_EINVAL; /* lexicons or models that do not load */
    pipeline_set_autoflush(s->pipe, 0);
    pipeline_set_deferred(s->pipe, 1); /* the applier thread coalesces too */
    pipeline_set_store_undated(s->pipe, 1);
    assert(cfg->nkafka_props <= KZ_MAX_KAFKA_PROPS);
    for (int i = 0; i < cfg->nkafka_props; i++) {
        props[i].key = cfg->kafka_props[i].key;
        props[i].value = cfg->kafka_props[i].value;
    }
    return ingest_kafka_new(&kc, &hooks, s, &s->src, err, errlen);
}

int pipeline_stream_run(const struct kz_config *cfg, struct agg_store *store,
                        struct pipeline_signals *sig, struct metrics *metrics, char *err,
                        size_t errlen)
{
    struct stream *s = calloc(1, sizeof *s);
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!s)
        return KZ_ENOMEM;
    s->cfg = cfg;
    s->store = store;
    s->sig = sig;
    s->metrics = metrics;
    s->watermark = INT64_MIN;
    s->flush_posts = pipeline_flush_posts(cfg, 1);
    if ((rc = start(s, err, errlen)))
        goto out;
    s->t0 = s->last_stats = s->last_flush_ms = stream_now_ms();
    watch_refresh(s); /* before the first record */
    consume(s);
    /* Shutdown: flush what is pending, commit, leave the group. */
    if (!s->fatal) {
        size_t npos;

        pipeline_positions(s->pipe, &npos);
        if ((npos || s->inflight) && flush(s, 1))
            s->fatal = 1;
    }
    abandon(s);
    stream_print_stats(s); /* the final figures, always */
    stream_wm_retire(s);
    if (!s->fatal && !s->stop_seen) {
        ingest_kafka_close(s->src);
    } else if (!s->fatal) {
        /* a stop: leaving the group is bounded too (the store holds the
         * offsets; a group not told notices at the session timeout) */
        if (ingest_kafka_close_within(s->src, teardown_left(s)))
            say("leaving the group was cut short: the broker does not answer");
    }
    if (s->fatal) {
        snprintf(err, errlen, "stopping: %s", s->fatal_msg);
        rc = KZ_EIO;
    }
out:
    if (s->stop_seen) {
        /* after a stop the exit is promised within 5 s of the signal, and
         * librdkafka's teardown against a broker that does not answer is
         * not bounded (it waits for in-flight requests) */
        if (!ingest_kafka_free_within(s->src, teardown_left(s)))
            say("the Kafka client's teardown was cut short: the broker does not answer");
    } else {
        ingest_kafka_free(s->src);
    }
    pipeline_free(s->pipe);
    free(s);
    return rc;
}
