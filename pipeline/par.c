/*
 * par.c -- a walk's records analysed on several threads, reduced in order.
 *
 * The walker's thread reads the source and copies its records, a chunk at a
 * time, into a ring of slots.  Worker threads take the filled slots in ring
 * order and make each chunk a part (pipeline_int.h): the facts of its posts,
 * its counts, copies of its dead letters and, for classify, its verdicts as
 * the callback wrote them into a buffer.  The walker reduces the slots in
 * ring order -- the order of the records -- printing the verdicts, writing
 * the dead letters and handing the facts to the pending block, which the
 * walkers' applier coalesces and applies as in a walk on one thread.  So the
 * store, the counts, the verdicts and the dead-letter file end the same
 * whatever the number of workers, and whichever worker analysed a chunk: an
 * analyzer's caches do not change its answers (test_nlp_langid,
 * test_pipeline_par).
 *
 * A slot is FREE (the walker fills it), FILLED (a worker may take it), BUSY
 * (a worker has it), DONE (the walker may reduce it).  Only the state moves
 * under the lock; a slot's contents belong to whoever its state says.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"

/* Records a chunk holds at most, and bytes after which it is full: enough
 * to make the lock's cost nothing, few enough to keep every worker busy to
 * the end of a small archive. */
#define CHUNK_RECORDS 256
#define CHUNK_BYTES (256 * 1024)

enum { SLOT_FREE, SLOT_FILLED, SLOT_BUSY, SLOT_DONE };

struct rec {
    size_t off, len;
    struct ingest_pos pos; /* source borrowed from the source */
    int64_t arrival_ms;
    enum ingest_schema schema;
    int oversize;
};

/* A dead letter kept by a worker: detail and raw bytes in the slot's dbuf. */
struct dl {
    enum ingest_dl_reason reason;
    size_t detail, raw, raw_len;
    struct ingest_pos pos;
};

struct slot {
    int state;
    char *data; /* the records' bytes, back to back */
    size_t len, cap;
    struct rec *recs;
    size_t nrecs, caprecs;
    struct pipeline_part part;
    char *dbuf;
    size_t dlen, dcap;
    struct dl *dls;
    size_t ndl, capdl;
    char *vbuf; /* the verdicts, as the workers' callback wrote them */
    size_t vlen;
    int rc;  /* the worker's: 0 or the error that ends the walk */
    int oom; /* a dead letter could not be kept */
    char err[512];
};

struct par {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    struct slot *slots;
    int nslots;
    int take; /* the next slot a worker takes */
    int stop;
    bool text_lines; /* classify's walk of lines */
    bool verdicts;   /* the pipeline writes verdicts */
};

struct worker {
    struct par *par;
    struct pipeline *w;
    pthread_t thread;
};

/* A worker's dead letter, copied into the slot it works on (ctx). */
static int keep_dead(void *ctx, const struct ingest_dead *d)
{
    struct slot *s = ctx;
    size_t dn = strlen(d->detail ? d->detail : "") + 1;

    if (pipeline_grow((void **)&s->dls, &s->capdl, s->ndl + 1, sizeof *s->dls) ||
        pipeline_grow((void **)&s->dbuf, &s->dcap, s->dlen + dn + d->raw_len, 1)) {
        s->oom = 1;
        return KZ_ENOMEM;
    }
    struct dl *k = &s->dls[s->ndl++];
    k->reason = d->reason;
    k->pos = d->pos;
    k->detail = s->dlen;
    memcpy(s->dbuf + s->dlen, d->detail ? d->detail : "", dn);
    s->dlen += dn;
    k->raw = s->dlen;
    k->raw_len = d->raw_len;
    if (d->raw_len)
        memcpy(s->dbuf + s->dlen, d->raw, d->raw_len);
    s->dlen += d->raw_len;
    return 0;
}

/* One chunk through a worker's pipeline. */
static void analyse(const struct par *par, struct pipeline *w, struct slot *s)
{
    FILE *vf = NULL;

    s->ndl = s->dlen = 0;
    s->rc = s->oom = 0;
    if (par->verdicts && !(vf = open_memstream(&s->vbuf, &s->vlen))) {
        s->rc = KZ_ENOMEM;
        snprintf(s->err, sizeof s->err, "a buffer for the verdicts: %s", kz_strerror(s->rc));
        return;
    }
    pipeline_worker_begin(w, &s->part, keep_dead, s, vf);
    for (size_t i = 0; i < s->nrecs && !s->rc; i++) {
        const struct rec *r = &s->recs[i];
        struct ingest_record rec = {s->data + r->off, r->len,    r->pos,
                                    r->arrival_ms,    r->schema, r->oversize};
        s->rc = pipeline_walk_record(w, &rec, par->text_lines, s->err, sizeof s->err);
    }
    pipeline_worker_end(w, &s->part);
    s->part.last = s->recs[s->nrecs - 1].pos;
    if (vf && fclose(vf) && !s->rc) {
        s->rc = KZ_ENOMEM;
        snprintf(s->err, sizeof s->err, "a buffer for the verdicts: %s", kz_strerror(s->rc));
    }
}

static void *work(void *arg)
{
    struct worker *wk = arg;
    struct par *par = wk->par;

    pthread_mutex_lock(&par->mu);
    for (;;) {
        struct slot *s = &par->slots[par->take];
        if (s->state != SLOT_FILLED) {
            if (par->stop)
                break;
            pthread_cond_wait(&par->work, &par->mu);
            continue;
        }
        s->state = SLOT_BUSY;
        par->take = (par->take + 1) % par->nslots;
        pthread_mutex_unlock(&par->mu);
        analyse(par, wk->w, s);
        pthread_mutex_lock(&par->mu);
        s->state = SLOT_DONE;
        pthread_cond_broadcast(&par->done);
    }
    pthread_mutex_unlock(&par->mu);
    return NULL;
}

/* Copy rec into s: 0 or KZ_ENOMEM. */
static int add(struct slot *s, const struct ingest_record *rec)
{
    if (pipeline_grow((void **)&s->recs, &s->caprecs, s->nrecs + 1, sizeof *s->recs) ||
        pipeline_grow((void **)&s->data, &s->cap, s->len + rec->len, 1))
        return KZ_ENOMEM;
    struct rec *r = &s->recs[s->nrecs++];
    r->off = s->len;
    r->len = rec->len;
    r->pos = rec->pos;
    r->arrival_ms = rec->arrival_ms;
    r->schema = rec->schema;
    r->oversize = rec->oversize;
    if (rec->len)
        memcpy(s->data + s->len, rec->data, rec->len);
    s->len += rec->len;
    return 0;
}

static void publish(struct par *par, struct slot *s)
{
    pthread_mutex_lock(&par->mu);
    s->state = SLOT_FILLED;
    pthread_cond_signal(&par->work);
    pthread_mutex_unlock(&par->mu);
}

/* Wait for s's worker, then take its part into p, in order: 0, or the
 * error that ends the walk (why). */
static int reduce(struct pipeline *p, struct par *par, struct slot *s, char *why, size_t whylen)
{
    int rc;

    pthread_mutex_lock(&par->mu);
    while (s->state != SLOT_DONE)
        pthread_cond_wait(&par->done, &par->mu);
    s->state = SLOT_FREE;
    pthread_mutex_unlock(&par->mu);
    s->nrecs = s->len = 0;
    rc = !s->rc && s->vbuf ? pipeline_verdicts_emit(p, s->vbuf, s->vlen, why, whylen) : 0;
    free(s->vbuf);
    s->vbuf = NULL;
    s->vlen = 0;
    if (s->rc) {
        snprintf(why, whylen, "%s", s->oom ? "keeping a dead letter: out of memory" : s->err);
        return s->rc;
    }
    if (rc)
        return rc;
    for (size_t i = 0; i < s->ndl; i++) {
        const struct dl *k = &s->dls[i];
        struct ingest_dead d = {k->reason, s->dbuf + k->detail, k->pos, s->dbuf + k->raw,
                                k->raw_len};
        if ((rc = pipeline_dead_emit(p, &d, why, whylen)))
            return rc;
    }
    return pipeline_part_reduce(p, &s->part, why, whylen);
}

static void slots_free(struct slot *slots, int n)
{
    for (int i = 0; i < n; i++) {
        free(slots[i].data);
        free(slots[i].recs);
        free(slots[i].dbuf);
        free(slots[i].dls);
        free(slots[i].vbuf);
        fblock_free(&slots[i].part.facts);
    }
    free(slots);
}

int pipeline_par_walk(struct pipeline *p, struct ingest_source *src, int n, bool text_lines,
                      pipeline_tick_fn tick, void *tick_ctx, int *read_rc, char *why, size_t whylen)
{
    struct par par = {
        .nslots = 4 * n, .text_lines = text_lines, .verdicts = pipeline_verdicts_on(p)};
    struct pipeline **ws;
    struct worker *wk;
    int status = 0, started = 0, rc = 0;
    int fill = 0, red = 0, out = 0; /* the slot filled, the next to reduce, slots out */
    struct ingest_record rec;

    *read_rc = 0;
    if ((status = pipeline_workers(p, n, &ws, why, whylen)))
        return status;
    par.slots = calloc((size_t)par.nslots, sizeof *par.slots);
    wk = calloc((size_t)n, sizeof *wk);
    if (!par.slots || !wk) {
        free(par.slots);
        free(wk);
        snprintf(why, whylen, "%s", kz_strerror(KZ_ENOMEM));
        return KZ_ENOMEM;
    }
    pthread_mutex_init(&par.mu, NULL);
    pthread_cond_init(&par.work, NULL);
    pthread_cond_init(&par.done, NULL);
    for (; started < n; started++) {
        wk[started] = (struct worker){&par, ws[started], 0};
        if (pthread_create(&wk[started].thread, NULL, work, &wk[started]))
            break;
    }
    if (!started) { /* no thread at all: said, rather than waited for */
        snprintf(why, whylen, "no thread for a worker");
        status = KZ_ENOMEM;
        goto done;
    }

    while ((rc = ingest_source_next(src, &rec, why, whylen)) == 1) {
        struct slot *s = &par.slots[fill];
        rec.arrival_ms = pipeline_wall_ms();
        if ((status = add(s, &rec))) {
            snprintf(why, whylen, "%s", kz_strerror(status));
            break;
        }
        if (s->nrecs < CHUNK_RECORDS && s->len < CHUNK_BYTES)
            continue;
        publish(&par, s);
        tick(tick_ctx);
        fill = (fill + 1) % par.nslots;
        if (++out == par.nslots) { /* the next slot to fill is the oldest out */
            status = reduce(p, &par, &par.slots[red], why, whylen);
            red = (red + 1) % par.nslots;
            out--;
            if (status)
                break;
        }
    }
    *read_rc = rc;
    if (!status && par.slots[fill].nrecs) {
        publish(&par, &par.slots[fill]);
        out++;
    }
    while (!status && out) {
        status = reduce(p, &par, &par.slots[red], why, whylen);
        red = (red + 1) % par.nslots;
        out--;
    }
done:
    pthread_mutex_lock(&par.mu);
    par.stop = 1;
    pthread_cond_broadcast(&par.work);
    pthread_mutex_unlock(&par.mu);
    for (int i = 0; i < started; i++)
        pthread_join(wk[i].thread, NULL);
    pipeline_workers_done(p, n);
    pthread_cond_destroy(&par.done);
    pthread_cond_destroy(&par.work);
    pthread_mutex_destroy(&par.mu);
    slots_free(par.slots, par.nslots);
    free(wk);
    return status;
}
