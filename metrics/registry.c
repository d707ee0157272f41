/*
 * registry.c -- the metrics registry: families of series behind one mutex,
 * and their rendering in Prometheus's text exposition format.
 *
 * A family is an array of series found by a linear scan of their label
 * values: families hold at most METRICS_MAX_SERIES series, so a scan is a few
 * dozen short compares, less than the lock around it.  Values that could
 * grow a family without bound or break the exposition's quoting are folded
 * into "other" before the scan (metrics.h says when), so rendering needs no
 * escaping beyond the HELP text's backslashes and line ends.
 *
 * Reference: https://prometheus.io/docs/instrumenting/exposition_formats/
 */
#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kz.h"
#include "metrics.h"

struct series {
    char values[METRICS_MAX_LABELS][METRICS_VALUE_MAX + 1];
    double value;                              /* counter, gauge */
    double sum;                                /* histogram */
    uint64_t count;                            /* histogram: observations */
    uint64_t buckets[METRICS_MAX_BUCKETS + 1]; /* histogram: per bucket, not cumulative */
};

struct metrics_family {
    struct metrics *reg;
    enum metrics_type type;
    const char *name, *help;
    const char *const *labels;
    size_t nlabels;
    const double *bounds;
    size_t nbounds;
    struct series *series; /* METRICS_MAX_SERIES of them */
    size_t nseries;
    struct metrics_family *next;
};

struct metrics {
    pthread_mutex_t lock;
    struct metrics_family *head, *tail;
    metrics_collect_fn collect;
    void *collect_ctx;
};

int metrics_new(struct metrics **out)
{
    struct metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return KZ_ENOMEM;
    pthread_mutex_init(&m->lock, NULL);
    *out = m;
    return 0;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    for (struct metrics_family *f = m->head, *n; f; f = n) {
        n = f->next;
        free(f->series);
        free(f);
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void metrics_on_collect(struct metrics *m, metrics_collect_fn fn, void *ctx)
{
    pthread_mutex_lock(&m->lock);
    m->collect = fn;
    m->collect_ctx = ctx;
    pthread_mutex_unlock(&m->lock);
}

struct metrics_family *metrics_family(struct metrics *m, enum metrics_type type, const char *name,
                                      const char *help, const char *const *labels,
                                      const double *bounds, size_t nbounds)
{
    size_t nl = 0;
    while (labels && labels[nl])
        nl++;
    assert(nl <= METRICS_MAX_LABELS && nbounds <= METRICS_MAX_BUCKETS);
    if (nl > METRICS_MAX_LABELS || nbounds > METRICS_MAX_BUCKETS)
        return NULL;
    pthread_mutex_lock(&m->lock);
    struct metrics_family *f;
    for (f = m->head; f && strcmp(f->name, name); f = f->next)
        ;
    if (!f && (f = calloc(1, sizeof(*f)))) {
        f->series = calloc(METRICS_MAX_SERIES, sizeof(struct series));
        if (!f->series) {
            free(f);
            f = NULL;
        } else {
            *f = (struct metrics_family){m,      type,    name,      help, labels, nl,
                                         bounds, nbounds, f->series, 0,    NULL};
            if (m->tail)
                m->tail->next = f;
            else
                m->head = f;
            m->tail = f;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return f;
}

/* A label value as the registry keeps it: itself when short and plain, else "other". */
static const char *plain_value(const char *v)
{
    size_t n = v ? strlen(v) : 0;
    if (n > METRICS_VALUE_MAX || !kz_plain_token(v, n))
        return "other";
    return v ? v : "";
}

/* The series of these values, made if new; with the family full, the series
 * whose every value is "other" (the last slot is kept for it).  Lock held. */
static struct series *find_series(struct metrics_family *f, const char *const *values)
{
    const char *v[METRICS_MAX_LABELS];
    for (size_t i = 0; i < f->nlabels; i++)
        v[i] = plain_value(values[i]);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < f->nseries; k++) {
            size_t i;
            for (i = 0; i < f->nlabels && !strcmp(f->series[k].values[i], v[i]); i++)
                ;
            if (i == f->nlabels)
                return &f->series[k];
        }
        if (f->nseries < METRICS_MAX_SERIES - 1 || (pass == 1 && f->nseries < METRICS_MAX_SERIES))
            break;
        for (size_t i = 0; i < f->nlabels; i++)
            v[i] = "other"; /* full: fold into the overflow series */
    }
    struct series *s = &f->series[f->nseries++];
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < f->nlabels; i++)
        snprintf(s->values[i], sizeof(s->values[i]), "%s", v[i]);
    return s;
}

void metrics_add(struct metrics_family *f, const char *const *values, double v)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->reg->lock);
    find_series(f, values)->value += v;
    pthread_mutex_unlock(&f->reg->lock);
}

void metrics_set(struct metrics_family *f, const char *const *values, double v)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->reg->lock);
    find_series(f, values)->value = v;
    pthread_mutex_unlock(&f->reg->lock);
}

void metrics_observe(struct metrics_family *f, const char *const *values, double v)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->reg->lock);
    struct series *s = find_series(f, values);
    size_t b;
    for (b = 0; b < f->nbounds && v > f->bounds[b]; b++)
        ;
    s->buckets[b]++;
    s->count++;
    s->sum += v;
    pthread_mutex_unlock(&f->reg->lock);
}

/* ---------------------------------------------------------------------------
 * Rendering
 * ------------------------------------------------------------------------ */

static void put_number(FILE *out, double v)
{
    if (isinf(v))
        fputs(v > 0 ? "+Inf" : "-Inf", out);
    else if (isnan(v))
        fputs("NaN", out);
    else if (v == (double)(long long)v && fabs(v) < 1e15)
        fprintf(out, "%lld", (long long)v);
    else
        fprintf(out, "%.15g", v);
}

/* {a="x",b="y"} plus an extra le="..." for a histogram bucket (NULL: none). */
static void put_labels(FILE *out, const struct metrics_family *f, const struct series *s,
                       const char *le)
{
    if (!f->nlabels && !le)
        return;
    fputc('{', out);
    for (size_t i = 0; i < f->nlabels; i++)
        fprintf(out, "%s%s=\"%s\"", i ? "," : "", f->labels[i], s->values[i]);
    if (le)
        fprintf(out, "%sle=\"%s\"", f->nlabels ? "," : "", le);
    fputc('}', out);
}

static void put_help(FILE *out, const char *help)
{
    for (const char *c = help; *c; c++) {
        if (*c == '\\')
            fputs("\\\\", out);
        else if (*c == '\n')
            fputs("\\n", out);
        else
            fputc(*c, out);
    }
}

static void render_family(FILE *out, const struct metrics_family *f)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    fprintf(out, "# HELP %s ", f->name);
    put_help(out, f->help);
    fprintf(out, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
    for (size_t k = 0; k < f->nseries; k++) {
        const struct series *s = &f->series[k];
        if (f->type != METRICS_HISTOGRAM) {
            fputs(f->name, out);
            put_labels(out, f, s, NULL);
            fputc(' ', out);
            put_number(out, s->value);
            fputc('\n', out);
            continue;
        }
        uint64_t cum = 0;
        char le[40];
        for (size_t b = 0; b <= f->nbounds; b++) {
            cum += s->buckets[b];
            if (b < f->nbounds)
                snprintf(le, sizeof(le), "%g", f->bounds[b]);
            else
                snprintf(le, sizeof(le), "+Inf");
            fprintf(out, "%s_bucket", f->name);
            put_labels(out, f, s, le);
            fprintf(out, " %llu\n", (unsigned long long)cum);
        }
        fprintf(out, "%s_sum", f->name);
        put_labels(out, f, s, NULL);
        fputc(' ', out);
        put_number(out, s->sum);
        fprintf(out, "\n%s_count", f->name);
        put_labels(out, f, s, NULL);
        fprintf(out, " %llu\n", (unsigned long long)s->count);
    }
}

int metrics_render(struct metrics *m, FILE *out)
{
    pthread_mutex_lock(&m->lock);
    metrics_collect_fn fn = m->collect;
    void *ctx = m->collect_ctx;
    pthread_mutex_unlock(&m->lock);
    if (fn)
        fn(ctx, m);
    pthread_mutex_lock(&m->lock);
    for (const struct metrics_family *f = m->head; f; f = f->next)
        render_family(out, f);
    pthread_mutex_unlock(&m->lock);
    return ferror(out) ? KZ_EIO : 0;
}
