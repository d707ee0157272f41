/*
 * pipeline_int.h -- private to pipeline/: what a parallel walk (par.c) uses
 * of pipeline.c.
 *
 * A walk over an archive may analyse its records on several threads: each
 * worker is a pipeline of its own (its own decoder, analyzer and scratch)
 * that borrows the walker's lexicons, models, settings and metrics, and
 * turns a run of records into a part: the facts of their posts, their
 * counts, and the dead letters (kept by par.c's callback).  The walker
 * reduces the parts in the order of their records (pipeline_part_reduce),
 * so its store, counts and dead-letter file end as a walk in one thread
 * leaves them.
 */
#ifndef KZ_PIPELINE_INT_H
#define KZ_PIPELINE_INT_H

#include <stdbool.h>

#include "fblock.h"
#include "pipeline.h"

struct pipeline_part {
    struct fblock facts;      /* the posts' facts, in order */
    struct pipeline_stats st; /* records, posts, dead_total, region_unknown; last_ts_ms
                                 (INT64_MIN: no dated post) */
    struct ingest_pos last;   /* the last record's position */
};

/* Grow *p, an array of *cap elements of elem bytes, to hold need (doubling):
 * 0 or KZ_ENOMEM (*p as it was). */
int pipeline_grow(void **p, size_t *cap, size_t need, size_t elem);

/* Can p's walks run in parallel: a store applied on the walkers' thread
 * (pipeline_set_apply_thread) and no verdict callback, or no store and
 * verdicts written to a file (pipeline_on_verdict); autoflush on. */
bool pipeline_parallel_ok(const struct pipeline *p);
/* p's first n workers (made at the first call, kept for p's life), each
 * given p's lexicons, models and metrics as they are now: 0, KZ_ENOMEM, or
 * the analyzer's error (err). */
int pipeline_workers(struct pipeline *p, int n, struct pipeline ***out, char *err, size_t errlen);
/* A worker's part: begin (its facts go to part's block, emptied; dead
 * letters to keep(ctx, d); verdicts to vout), records through
 * pipeline_walk_record(), end (part holds the facts and counts). */
void pipeline_worker_begin(struct pipeline *w, struct pipeline_part *part, pipeline_dead_fn keep,
                           void *ctx, FILE *vout);
void pipeline_worker_end(struct pipeline *w, struct pipeline_part *part);
/* One record of a walk (walk.c): a post through the decoder or, in a walk
 * of lines (text_lines), a plain-text line.  0, or an error (why). */
int pipeline_walk_record(struct pipeline *p, const struct ingest_record *rec, bool text_lines,
                         char *why, size_t whylen);
/* After a walk: the workers' decoder counts into p's. */
void pipeline_workers_done(struct pipeline *p, int n);
/* The walker takes a part, in order: its position, counts and facts
 * (part's block is left empty), applied on the walkers' thread once the
 * pending block holds flush_posts posts.  0, or an error (err). */
int pipeline_part_reduce(struct pipeline *p, struct pipeline_part *part, char *err, size_t errlen);
/* Where p's walks show their progress (NULL: nowhere), and whether a line
 * is on it now (dead letters written to the same terminal erase it). */
FILE *pipeline_progress_out(const struct pipeline *p);
int *pipeline_progress_shown(struct pipeline *p);
/* Does p write verdicts (pipeline_on_verdict)? */
bool pipeline_verdicts_on(const struct pipeline *p);
/* A part's verdicts, as a worker wrote them, to p's: 0 or KZ_EIO (err). */
int pipeline_verdicts_emit(struct pipeline *p, const char *buf, size_t n, char *err, size_t errlen);
/* A worker's dead letter, already counted, to p's sink: 0, or the sink's
 * error (err). */
int pipeline_dead_emit(struct pipeline *p, const struct ingest_dead *d, char *err, size_t errlen);

/* The wall clock in ms: a record's arrival time in a walk (walk.c). */
int64_t pipeline_wall_ms(void);
/* par.c: the walk of src through n workers, reading and reducing here,
 * with tick(tick_ctx) after each chunk read: 0 or an error of the pipeline
 * (why says it); *read_rc is the source's last answer (negative: it
 * failed, and why says how, when the pipeline did not fail first). */
typedef void (*pipeline_tick_fn)(void *ctx);
int pipeline_par_walk(struct pipeline *p, struct ingest_source *src, int n, bool text_lines,
                      pipeline_tick_fn tick, void *tick_ctx, int *read_rc, char *why,
                      size_t whylen);

#endif /* KZ_PIPELINE_INT_H */
