/*
 * metrics.h -- a small registry of Prometheus metrics: counters, gauges and
 * histograms with a fixed set of labels, rendered in the text exposition
 * format (version 0.0.4).
 *
 * The streaming job (`kzpulse run --metrics-listen`) and the server
 * (`kzpulse serve`) each keep one registry; the pipeline and the HTTP layer
 * update it, the /metrics handler renders it.  A family is declared once with
 * its name, its HELP text and its label names; its series are made on first
 * use.  Labels never carry unbounded values: a value longer than
 * METRICS_VALUE_MAX bytes or with a byte outside [A-Za-z0-9_.:-] is counted
 * as "other", and so is every new value once a family holds
 * METRICS_MAX_SERIES series, so a hostile post can neither grow the registry
 * nor put text of its own into the exposition.
 *
 * Thread safety: one mutex guards the registry; every call may come from any
 * thread.  Ownership: the registry owns its families and series; names, help
 * texts, label names and bucket bounds given to metrics_family() are
 * borrowed for the registry's life (string literals and static arrays).
 */
#ifndef KZ_METRICS_H
#define KZ_METRICS_H

#include <stddef.h>
#include <stdio.h>

#include "kz.h"

#define METRICS_MAX_LABELS 3
#define METRICS_MAX_SERIES 64 /* per family, "other" included */
#define METRICS_VALUE_MAX 40  /* bytes of a label value */
#define METRICS_MAX_BUCKETS 16

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM };

struct metrics;
struct metrics_family;

/* Called by metrics_render() before it renders, without the registry's lock:
 * a place to set gauges read at scrape time (a watermark's age). */
typedef void (*metrics_collect_fn)(void *ctx, struct metrics *m);

/* 0 or KZ_ENOMEM. */
int metrics_new(struct metrics **out);
void metrics_free(struct metrics *m);
void metrics_on_collect(struct metrics *m, metrics_collect_fn fn, void *ctx);

/*
 * Declare a family, or find the one of that name.  labels: NULL-terminated,
 * at most METRICS_MAX_LABELS.  bounds: a histogram's upper bounds, ascending
 * (+Inf is implied), at most METRICS_MAX_BUCKETS.  Returns NULL when out of
 * memory or when the declaration is invalid (asserted in debug builds).
 */
struct metrics_family *metrics_family(struct metrics *m, enum metrics_type type, const char *name,
                                      const char *help, const char *const *labels,
                                      const double *bounds, size_t nbounds);

/* Label values, as many as the family has label names (NULL when none).
 * A NULL family is ignored, so callers need not check declarations. */
void metrics_add(struct metrics_family *f, const char *const *values, double v);
void metrics_set(struct metrics_family *f, const char *const *values, double v);
void metrics_observe(struct metrics_family *f, const char *const *values, double v);

/* The exposition text of every family, in declaration order (series in
 * first-use order).  0, or KZ_EIO once a write to out failed. */
int metrics_render(struct metrics *m, FILE *out);

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif /* KZ_METRICS_H */
