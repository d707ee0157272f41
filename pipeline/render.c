/*
 * render.c -- what the store answers, as text for people and as JSON for
 * scripts: query answers (a series, a top-k, a distinct count, dimension
 * totals) and the replay report.
 *
 * This is the one place that turns store answers into output, so that
 * `kzpulse query`, `kzpulse replay` and the HTTP API print the same bytes for
 * the same answer.  Query answers are tab-separated rows (and a total) or one
 * compact JSON object that names the query and its window; the report is a
 * page of text or one indented JSON object.  Everything counted in the report
 * comes back out of the store through its query interface (series, dims,
 * top-k, distinct), never from side counters, so the report is also a check
 * that the store holds what was fed in; input accounting (records, dead
 * letters by reason, truncations, arrival-time fallbacks) comes from the
 * decoder's statistics.  Both formats carry the same facts.
 *
 * Time: query answers print every time in the query's zone as RFC 3339 with
 * its offset (2026-03-05T14:00:00+05:00), text and JSON alike.  Store buckets
 * are UTC minutes and hours; a window [from, to) is widened to the buckets
 * that overlap it (down at from, up at to), so the partial bucket holding
 * "now" is in it -- the store's own rule, floor(from) <= start < floor(to),
 * would leave it out.  Day buckets are the zone's local days, summed here
 * from hour buckets.  Posts without a usable time are reported apart, as
 * "undated", never inside a series.
 *
 * Region and town values are shown with their name from the gazetteer in the
 * language asked (--names): a third column in text, a "name" (or "names")
 * member in JSON, the code or slug itself unchanged.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "pipeline.h"

/* ---------------------------------------------------------------------------
 * Formatting
 * ------------------------------------------------------------------------ */

/* An epoch-ms instant as UTC text in a strftime format. */
static void fmt_time(int64_t ms, char *buf, size_t n, const char *fmt)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, fmt, &tm);
}

#define ISO_SECOND "%Y-%m-%dT%H:%M:%SZ" /* RFC 3339, as query answers give times */

/* 0, or KZ_EIO when a write to f has failed. */
static int written(FILE *f)
{
    return ferror(f) ? KZ_EIO : 0;
}

/* ---------------------------------------------------------------------------
 * Place names
 * ------------------------------------------------------------------------ */

/* The place a dimension's region: or city: value names (the last one in a
 * cross: "topic:protest|region:kz-47"), or NULL. */
static const struct nlp_place *dim_place(const struct nlp_gazetteer *g, const char *dim)
{
    const char *v = NULL, *s;
    if (!g || !dim)
        return NULL;
    for (s = dim; *s; s++)
        if ((s == dim || s[-1] == '|') && (!strncmp(s, "region:", 7) || !strncmp(s, "city:", 5)))
            v = strchr(s, ':') + 1;
    if (!v)
        return NULL;
    size_t n = strcspn(v, "|");
    return nlp_gazetteer_find(g, v, n);
}

static const char *dim_name(const struct nlp_gazetteer *g, enum nlp_names l, const char *dim,
                            char *buf, size_t cap)
{
    const struct nlp_place *pl = dim_place(g, dim);
    if (!pl || (unsigned)l >= NLP_NAMES_COUNT)
        return NULL;
    size_t n = pl->name[l].n < cap ? pl->name[l].n : cap - 1;
    while (n && n < pl->name[l].n && ((unsigned char)pl->name[l].p[n] & 0xC0) == 0x80)
        n--; /* a name cut to the buffer ends on a whole character */
    memcpy(buf, pl->name[l].p, n);
    buf[n] = '\0';
    return buf;
}

/* ---------------------------------------------------------------------------
 * Query answers
 * ------------------------------------------------------------------------ */

/* {"query": ..., "arg": ..., "from": ..., "to": ..., "tz": ...}: what every answer starts with. */
static json_t *window_json(const struct pipeline_query *q)
{
    char a[40], b[40];
    agg_zone_format(q->zone, q->from_ms, a, sizeof(a));
    agg_zone_format(q->zone, q->to_ms, b, sizeof(b));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "query", q->what, "arg", q->arg, "from", a,
                          "to", b, "tz", agg_zone_name(q->zone));
    char nm[256];
    if (o && strcmp(q->what, "dims") && dim_name(q->gaz, q->names, q->arg, nm, sizeof(nm)))
        json_object_set_new(o, "name", json_string(nm));
    return o;
}

/* One line of compact JSON; takes the reference to o. */
static int put_json(FILE *f, json_t *o)
{
    if (!o)
        return KZ_ENOMEM;
    int rc = json_dumpf(o, f, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fputc('\n', f);
    json_decref(o);
    return rc ? KZ_EIO : written(f);
}

int pipeline_render_series(FILE *f, enum pipeline_format fmt, const struct pipeline_query *q,
                           const struct agg_series *s, int64_t undated)
{
    char t[40];
    if (fmt == PIPELINE_TEXT) {
        for (size_t i = 0; i < s->n; i++) {
            agg_zone_format(q->zone, s->points[i].bucket_ms, t, sizeof(t));
            fprintf(f, "%s\t%lld\n", t, (long long)s->points[i].count);
        }
        fprintf(f, "total\t%lld\n", (long long)s->total);
        if (undated > 0)
            fprintf(f, "undated\t%lld\n", (long long)undated);
        return written(f);
    }
    json_t *o = window_json(q), *pts = json_array();
    for (size_t i = 0; i < s->n; i++) {
        agg_zone_format(q->zone, s->points[i].bucket_ms, t, sizeof(t));
        json_array_append_new(pts, json_pack("[s, I]", t, (json_int_t)s->points[i].count));
    }
    json_object_set_new(o, "step", json_string(pipeline_step_name(q->step)));
    json_object_set_new(o, "points", pts);
    json_object_set_new(o, "total", json_integer(s->total));
    json_object_set_new(o, "undated", json_integer(undated > 0 ? undated : 0));
    return put_json(f, o);
}

int pipeline_render_top(FILE *f, enum pipeline_format fmt, const struct pipeline_query *q,
                        const struct agg_top *t)
{
    if (fmt == PIPELINE_TEXT) {
        for (size_t i = 0; i < t->n; i++)
            fprintf(f, "%s\t%lld\n", t->items[i].member, (long long)t->items[i].count);
        return written(f);
    }
    json_t *o = window_json(q), *items = json_array();
    for (size_t i = 0; i < t->n; i++)
        json_array_append_new(
            items, json_pack("[s, I]", t->items[i].member, (json_int_t)t->items[i].count));
    json_object_set_new(o, "items", items);
    return put_json(f, o);
}

int pipeline_render_distinct(FILE *f, enum pipeline_format fmt, const struct pipeline_query *q,
                             uint64_t n)
{
    if (fmt == PIPELINE_TEXT) {
        fprintf(f, "%llu\n", (unsigned long long)n);
        return written(f);
    }
    json_t *o = window_json(q);
    json_object_set_new(o, "distinct", json_integer((json_int_t)n));
    return put_json(f, o);
}

int pipeline_render_dims(FILE *f, enum pipeline_format fmt, const struct pipeline_query *q,
                         const struct agg_dimcounts *d, int64_t undated)
{
    char nm[256];
    if (fmt == PIPELINE_TEXT) {
        for (size_t i = 0; i < d->n; i++) {
            const char *name = dim_name(q->gaz, q->names, d->items[i].dim, nm, sizeof(nm));
            fprintf(f, "%s\t%lld%s%s\n", d->items[i].dim, (long long)d->items[i].count,
                    name ? "\t" : "", name ? name : "");
        }
        if (undated > 0)
            fprintf(f, "undated\t%lld\n", (long long)undated);
        return written(f);
    }
    json_t *o = window_json(q), *items = json_object(), *names = json_object();
    for (size_t i = 0; i < d->n; i++) {
        json_object_set_new(items, d->items[i].dim, json_integer(d->items[i].count));
        if (dim_name(q->gaz, q->names, d->items[i].dim, nm, sizeof(nm)))
            json_object_set_new(names, d->items[i].dim, json_string(nm));
    }
    json_object_set_new(o, "step", json_string(pipeline_step_name(q->step)));
    json_object_set_new(o, "dims", items);
    json_object_set_new(o, "undated", json_integer(undated > 0 ? undated : 0));
    if (json_object_size(names))
        json_object_set_new(o, "names", names);
    else
        json_decref(names);
    return put_json(f, o);
}

/* A JSON string of n bytes; a string that is not UTF-8 (a record some other
 * writer put in Redis) becomes U+FFFD rather than failing the answer. */
static json_t *jstr(struct kz_str v)
{
    json_t *j = json_stringn(v.p ? v.p : "", v.n);
    return j ? j : json_string("\xef\xbf\xbd");
}

/* A sample post as a JSON object: what `query posts` and the report print. */
static json_t *post_json(const struct agg_post *p, const struct agg_zone *z)
{
    char t[40];
    struct kz_str rest = p->s.evidence;
    struct agg_evidence e;
    json_t *ev = json_array(), *o;

    agg_zone_format(z, p->s.ts_ms, t, sizeof(t));
    while (agg_evidence_next(&rest, &e)) {
        json_t *x = json_object();
        json_object_set_new(x, "category", jstr(e.category));
        json_object_set_new(x, "rule", jstr(e.rule));
        json_object_set_new(x, "match", jstr(e.match));
        json_array_append_new(ev, x);
    }
    o = json_object();
    json_object_set_new(o, "time", json_string(t));
    json_object_set_new(o, "id", jstr(p->s.id));
    json_object_set_new(o, "author", jstr(p->s.author));
    json_object_set_new(o, "platform", jstr(p->s.platform));
    json_object_set_new(o, "region", jstr(p->s.region));
    json_object_set_new(o, "snippet", jstr(p->s.snippet));
    json_object_set_new(o, "evidence", ev);
    return o;
}

/* A field of a post's text block: "-" when empty. */
static void put_field(FILE *f, struct kz_str v)
{
    if (v.n)
        fwrite(v.p, 1, v.n, f);
    else
        fputc('-', f);
}

/* The evidence of a post on one line: category rule "match"; ... */
static void put_evidence(FILE *f, struct kz_str ev)
{
    struct agg_evidence e;
    int first = 1;
    while (agg_evidence_next(&ev, &e)) {
        fputs(first ? "" : "; ", f);
        fprintf(f, "%.*s %.*s \"%.*s\"", (int)e.category.n, e.category.p, (int)e.rule.n, e.rule.p,
                (int)e.match.n, e.match.p);
        first = 0;
    }
    if (first)
        fputs("none", f);
}

/* A post as a block: a header line (time, id, author, platform, region,
 * tab-separated), the snippet and the evidence indented. */
static void post_text(FILE *f, const struct agg_post *p, const struct agg_zone *z,
                      const char *indent)
{
    char t[40];
    agg_zone_format(z, p->s.ts_ms, t, sizeof(t));
    fprintf(f, "%s%s\t", indent, t);
    put_field(f, p->s.id);
    fputc('\t', f);
    put_field(f, p->s.author);
    fputc('\t', f);
    put_field(f, p->s.platform);
    fputc('\t', f);
    put_field(f, p->s.region);
    fprintf(f, "\n%s  ", indent);
    fwrite(p->s.snippet.p, 1, p->s.snippet.n, f);
    fprintf(f, "\n%s  evidence: ", indent);
    put_evidence(f, p->s.evidence);
    fputc('\n', f);
}

int pipeline_render_posts(FILE *f, enum pipeline_format fmt, const struct pipeline_query *q,
                          const struct agg_posts *ps)
{
    if (fmt == PIPELINE_TEXT) {
        for (size_t i = 0; i < ps->n; i++)
            post_text(f, &ps->items[i], q->zone, "");
        fprintf(f, "shown\t%zu of %zu sample posts (newest first; at most %d a minute kept)\n",
                ps->n, ps->total, AGG_SAMPLES_MAX);
        return written(f);
    }
    json_t *o = window_json(q), *items = json_array();
    for (size_t i = 0; i < ps->n; i++)
        json_array_append_new(items, post_json(&ps->items[i], q->zone));
    json_object_set_new(o, "posts", items);
    json_object_set_new(o, "shown", json_integer((json_int_t)ps->n));
    json_object_set_new(o, "total", json_integer((json_int_t)ps->total));
    return put_json(f, o);
}

/* ---------------------------------------------------------------------------
 * Named queries: read the store, render the answer
 * ------------------------------------------------------------------------ */

static int64_t floor_to(int64_t t, int64_t w)
{
    return t - ((t % w) + w) % w;
}

/* The store's granularity for q's step, and the bucket range [*from, *to)
 * covering q's window: widened down at from and up at to, to whole buckets of
 * the step (local days for day). */
static enum agg_gran buckets_of(const struct pipeline_query *q, enum pipeline_step step,
                                int64_t *from, int64_t *to)
{
    if (step == PIPELINE_STEP_DAY) {
        *from = agg_zone_day_floor(q->zone, q->from_ms);
        *to = agg_zone_day_ceil(q->zone, q->to_ms);
        return AGG_HOUR;
    }
    int64_t w = step == PIPELINE_STEP_MINUTE ? AGG_MINUTE_MS : AGG_HOUR_MS;
    *from = floor_to(q->from_ms, w);
    *to = q->to_ms > INT64_MAX - w ? q->to_ms : floor_to(q->to_ms + w - 1, w);
    return step == PIPELINE_STEP_MINUTE ? AGG_MINUTE : AGG_HOUR;
}

/* Posts without a usable time over q's window: q->undated, or the store's
 * "undated" dimension (the streaming job's, by arrival) when it is -1. */
static int undated_of(struct agg_store *st, const struct pipeline_query *q, int64_t *n, char *err,
                      size_t errlen)
{
    *n = q->undated;
    if (q->undated >= 0)
        return 0;
    int64_t from, to;
    struct agg_series s = {0};
    enum agg_gran g = buckets_of(q, PIPELINE_STEP_HOUR, &from, &to);
    int rc = agg_store_series(st, g, "undated", from, to, &s, err, errlen);
    *n = rc ? 0 : s.total;
    agg_series_free(&s);
    return rc;
}

/* Hour points summed into the zone's local days (s is dense and starts at a
 * local midnight).  Refuses an hour whose offset is not whole hours. */
static int fold_days(const struct pipeline_query *q, struct agg_series *s, char *err, size_t errlen)
{
    size_t o = 0;
    for (size_t i = 0; i < s->n; i++) {
        int64_t at = s->points[i].bucket_ms;
        if (agg_zone_offset(q->zone, at) % 3600) {
            char t[40];
            agg_zone_format(q->zone, at, t, sizeof(t));
            snprintf(err, errlen,
                     "--tz %s: at %s the offset is not a whole number of hours, and day "
                     "buckets are built from whole UTC hours; use --step minute",
                     agg_zone_name(q->zone), t);
            return KZ_EINVAL;
        }
        int64_t day = agg_zone_day_floor(q->zone, at);
        if (o && s->points[o - 1].bucket_ms == day) {
            s->points[o - 1].count += s->points[i].count;
        } else {
            s->points[o].bucket_ms = day;
            s->points[o++].count = s->points[i].count;
        }
    }
    s->n = o;
    return 0;
}

static int query_series(struct agg_store *st, const struct pipeline_query *q,
                        enum pipeline_format fmt, FILE *f, char *err, size_t errlen)
{
    struct agg_series s = {0};
    int64_t from, to, undated = 0;
    enum agg_gran g = buckets_of(q, q->step, &from, &to);
    int rc = agg_store_series(st, g, q->arg, from, to, &s, err, errlen);
    if (rc == 0 && q->step == PIPELINE_STEP_DAY)
        rc = fold_days(q, &s, err, errlen);
    if (rc == 0)
        rc = undated_of(st, q, &undated, err, errlen);
    if (rc == 0)
        rc = pipeline_render_series(f, fmt, q, &s, undated);
    agg_series_free(&s);
    return rc;
}

static int query_top(struct agg_store *st, const struct pipeline_query *q, enum pipeline_format fmt,
                     FILE *f, char *err, size_t errlen)
{
    struct agg_top t = {0};
    int64_t from, to; /* top-k lives in hour buckets */
    buckets_of(q, q->step == PIPELINE_STEP_DAY ? PIPELINE_STEP_DAY : PIPELINE_STEP_HOUR, &from,
               &to);
    int rc = agg_store_topk(st, (enum agg_top_kind)agg_top_kind_parse(q->arg), from, to, q->limit,
                            &t, err, errlen);
    if (rc == 0)
        rc = pipeline_render_top(f, fmt, q, &t);
    agg_top_free(&t);
    return rc;
}

static int query_distinct(struct agg_store *st, const struct pipeline_query *q,
                          enum pipeline_format fmt, FILE *f, char *err, size_t errlen)
{
    uint64_t n = 0;
    int64_t from, to; /* author sketches live in hour buckets */
    buckets_of(q, q->step == PIPELINE_STEP_DAY ? PIPELINE_STEP_DAY : PIPELINE_STEP_HOUR, &from,
               &to);
    int rc = agg_store_distinct(st, q->arg, from, to, &n, err, errlen);
    return rc ? rc : pipeline_render_distinct(f, fmt, q, n);
}

static int query_dims(struct agg_store *st, const struct pipeline_query *q,
                      enum pipeline_format fmt, FILE *f, char *err, size_t errlen)
{
    struct agg_dimcounts d = {0};
    int64_t from, to, undated = 0;
    enum agg_gran g = buckets_of(q, q->step, &from, &to);
    int rc = agg_store_dims(st, g, q->arg, from, to, &d, err, errlen);
    if (rc == 0)
        rc = undated_of(st, q, &undated, err, errlen);
    if (rc == 0)
        rc = pipeline_render_dims(f, fmt, q, &d, undated);
    agg_dimcounts_free(&d);
    return rc;
}

static int query_posts(struct agg_store *st, const struct pipeline_query *q,
                       enum pipeline_format fmt, FILE *f, char *err, size_t errlen)
{
    struct agg_posts ps = {0};
    int rc = agg_store_posts(st, q->arg, q->from_ms, q->to_ms, q->limit, &ps, err, errlen);
    if (rc == 0)
        rc = pipeline_render_posts(f, fmt, q, &ps);
    agg_posts_free(&ps);
    return rc;
}

static const struct {
    const char *name;
    int (*run)(struct agg_store *st, const struct pipeline_query *q, enum pipeline_format fmt,
               FILE *f, char *err, size_t errlen);
} queries[] = {
    {"series", query_series}, {"top", query_top},     {"distinct", query_distinct},
    {"dims", query_dims},     {"posts", query_posts},
};

bool pipeline_query_known(const char *what)
{
    for (size_t i = 0; i < KZ_ARRAY_LEN(queries); i++)
        if (!strcmp(what, queries[i].name))
            return true;
    return false;
}

int pipeline_query_render(struct agg_store *st, const struct pipeline_query *q,
                          enum pipeline_format fmt, FILE *f, char *err, size_t errlen)
{
    size_t i;
    for (i = 0; i < KZ_ARRAY_LEN(queries) && strcmp(q->what, queries[i].name); i++)
        ;
    if (i == KZ_ARRAY_LEN(queries)) {
        snprintf(err, errlen, "expected one of series, top, distinct, dims, posts; got \"%s\"",
                 q->what);
        return KZ_EINVAL;
    }
    struct pipeline_known known = {q->lexicon, st, q->from_ms, q->to_ms};
    int rc = pipeline_query_check(q, &known, err, errlen);
    if (rc)
        return rc;
    char why[512] = "";
    rc = queries[i].run(st, q, fmt, f, why, sizeof(why));
    if (rc) /* the store says why; a renderer does not */
        snprintf(err, errlen, "%s %s: %s", q->what, q->arg,
                 why[0]      ? why
                 : ferror(f) ? "writing the answer failed"
                             : kz_strerror(rc));
    return rc;
}

/* ---------------------------------------------------------------------------
 * The replay report: totals, flags, dead letters, posts per hour, posts by
 * dimension, top hashtags
 * ------------------------------------------------------------------------ */

static const char *const dim_sections[][2] = {
    {"platform:", "platform"}, {"lang:", "language"}, {"region:", "region"},    {"city:", "city"},
    {"topic:", "topic"},       {"stance:", "stance"}, {"mob:", "mobilization"},
};

/* 1234567 -> "1,234,567" */
static const char *grouped(int64_t v, char *buf, size_t n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof(tmp), "%" PRId64, v < 0 ? -v : v);
    size_t o = 0;
    if (v < 0 && o + 1 < n)
        buf[o++] = '-';
    for (int i = 0; i < len && o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

/* Print s left-aligned in `width` columns, counting code points, not bytes,
 * so Cyrillic names line up with Latin ones. */
static void pad(FILE *f, const char *s, int width)
{
    int cols = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        cols += (*p & 0xC0) != 0x80;
    fputs(s, f);
    for (; cols < width; cols++)
        fputc(' ', f);
}

struct window {
    int64_t from, to;
    int empty;
};

static struct window window_of(struct agg_store *s)
{
    struct window w = {0, 0, 1};
    if (agg_store_mem_bounds(s, &w.from, &w.to) == 0)
        w.empty = 0;
    /* whole hours, so the minute and hour views agree */
    w.from -= ((w.from % AGG_HOUR_MS) + AGG_HOUR_MS) % AGG_HOUR_MS;
    w.to += (AGG_HOUR_MS - ((w.to % AGG_HOUR_MS) + AGG_HOUR_MS) % AGG_HOUR_MS) % AGG_HOUR_MS;
    return w;
}

/* ---------------------------------------------------------------------------
 * The replay report as text
 * ------------------------------------------------------------------------ */

static void bar(FILE *f, int64_t v, int64_t max, int width)
{
    int n = max > 0 ? (int)((v * width + max - 1) / max) : 0;
    for (int i = 0; i < n; i++)
        fputs("\u2588", f);
    for (int i = n; i < width; i++)
        fputc(' ', f);
}

static void text_dims(FILE *f, const struct pipeline_report *in, const struct window *w,
                      const char *prefix, const char *title, int64_t total, int top)
{
    struct agg_store *s = in->store;
    struct agg_dimcounts d = {0};
    char err[256], b1[32], label[320], nm[256];
    int width = in->gaz && (!strcmp(prefix, "region:") || !strcmp(prefix, "city:")) ? 44 : 28;
    if (agg_store_dims(s, AGG_HOUR, prefix, w->from, w->to, &d, err, sizeof(err)))
        return;
    fprintf(f, "\nBy %s", title);
    if (!d.n) {
        fprintf(f, ": none\n");
        return;
    }
    fputc('\n', f);
    int64_t counted = 0;
    for (size_t i = 0; i < d.n; i++) {
        counted += d.items[i].count;
        if ((int)i >= top)
            continue;
        fputs("  ", f);
        const struct nlp_place *pl = dim_place(in->gaz, d.items[i].dim);
        if (pl && dim_name(in->gaz, in->names, d.items[i].dim, nm, sizeof(nm))) {
            /* the code as ISO writes it, then the name */
            snprintf(label, sizeof(label), "%.*s  %s", (int)pl->id.n, pl->id.p, nm);
        } else {
            snprintf(label, sizeof(label), "%s", d.items[i].dim + strlen(prefix));
        }
        pad(f, label, width);
        fprintf(f, " %9s  %5.1f%%\n", grouped(d.items[i].count, b1, sizeof(b1)),
                total ? 100.0 * (double)d.items[i].count / (double)total : 0.0);
    }
    if ((int)d.n > top)
        fprintf(f, "  (%zu more)\n", d.n - (size_t)top);
    /* the rest: posts without a value (topics overlap, so they have no rest) */
    const char *rest = !strcmp(prefix, "stance:") ? "(none)"
                       : !strcmp(prefix, "mob:")  ? "(no call)"
                                                  : "(unknown)";
    if (strcmp(prefix, "topic:") && strcmp(prefix, "city:") && total > counted) {
        fputs("  ", f);
        pad(f, rest, width);
        fprintf(f, " %9s  %5.1f%%\n", grouped(total - counted, b1, sizeof(b1)),
                100.0 * (double)(total - counted) / (double)total);
    }
    agg_dimcounts_free(&d);
}

/* One line per local day of zone: a sparkline of posts per hour (24 cells; 23
 * or 25 on a day the clocks change) and the day's total. */
static void text_hours(FILE *f, const struct agg_series *h, const struct agg_zone *zone)
{
    static const char *const ticks[] = {" ",      "\u2581", "\u2582", "\u2583", "\u2584",
                                        "\u2585", "\u2586", "\u2587", "\u2588"};
    int64_t max = 0, peak_ms = 0;
    for (size_t i = 0; i < h->n; i++)
        if (h->points[i].count > max)
            max = h->points[i].count, peak_ms = h->points[i].bucket_ms;
    char day[40], b1[32];
    fprintf(f, "\nPosts per hour (%s; one cell an hour, 00..23; peak %s at ", agg_zone_name(zone),
            grouped(max, b1, sizeof(b1)));
    agg_zone_format(zone, peak_ms, day, sizeof(day));
    fprintf(f, "%.16s)\n", day); /* 2026-03-05T14:00 */
    size_t i = 0;
    int64_t skipped = 0;
    while (i < h->n) {
        int64_t day_start = agg_zone_day_floor(zone, h->points[i].bucket_ms);
        int64_t day_end = agg_zone_day_ceil(zone, h->points[i].bucket_ms + 1);
        /* a day without posts is one line of nothing: fold runs of them */
        size_t j = i;
        while (j < h->n && h->points[j].bucket_ms < day_end && !h->points[j].count)
            j++;
        if (j < h->n && h->points[j].bucket_ms >= day_end) {
            i = j;
            skipped++;
            continue;
        }
        if (j == h->n) {
            skipped++;
            break;
        }
        if (skipped) {
            fprintf(f, "  %s days without posts\n", grouped(skipped, b1, sizeof(b1)));
            skipped = 0;
        }
        agg_zone_format(zone, day_start, day, sizeof(day));
        fprintf(f, "  %.10s |", day);
        int64_t sum = 0;
        for (int64_t at = day_start; at < day_end; at += AGG_HOUR_MS) {
            /* the store's hours in this local hour: one, or two halves in a
             * zone such as +05:30; none before the window */
            int64_t c = 0;
            int any = 0;
            for (; i < h->n && h->points[i].bucket_ms < at + AGG_HOUR_MS &&
                   h->points[i].bucket_ms < day_end;
                 i++, any = 1)
                c += h->points[i].count;
            if (!any) {
                fputc(' ', f);
                continue;
            }
            sum += c;
            int level = c == 0 ? 0 : max ? 1 + (int)((c - 1) * 8 / max) : 0;
            fputs(ticks[level > 8 ? 8 : level], f);
        }
        fprintf(f, "| %9s\n", grouped(sum, b1, sizeof(b1)));
    }
}

/* A top-k list of the report, members shown after prefix ("#" for hashtags). */
static void text_top(FILE *f, struct agg_store *st, const struct window *w, enum agg_top_kind kind,
                     const char *title, const char *prefix, int n)
{
    struct agg_top top = {0};
    char err[256], b1[32];
    if (w->empty || agg_store_topk(st, kind, w->from, w->to, (size_t)n, &top, err, sizeof(err)))
        return;
    fprintf(f, "\n%s%s\n", title, top.n ? "" : ": none");
    int64_t max = top.n ? top.items[0].count : 0;
    for (size_t i = 0; i < top.n; i++) {
        char tag[160];
        snprintf(tag, sizeof(tag), "%s%s", prefix, top.items[i].member);
        fprintf(f, "  %2zu. ", i + 1);
        pad(f, tag, 30);
        fprintf(f, " %7s  ", grouped(top.items[i].count, b1, 32));
        bar(f, top.items[i].count, max, 20);
        fputc('\n', f);
    }
    agg_top_free(&top);
}

/* The calls to action: the newest `top` sample posts of mob:call. */
static void text_calls(FILE *f, struct agg_store *s, const struct window *w, int top,
                       const struct agg_zone *zone, bool no_samples)
{
    struct agg_posts ps = {0};
    char err[256];
    if (no_samples) {
        fprintf(f, "\nCalls to action: not listed (--no-samples); counted under mobilization\n");
        return;
    }
    if (w->empty ||
        agg_store_posts(s, "mob:call", w->from, w->to, (size_t)top, &ps, err, sizeof(err)))
        return;
    if (!ps.total) {
        fprintf(f, "\nCalls to action: none\n");
        return;
    }
    fprintf(f,
            "\nCalls to action (newest %zu of %zu sample posts kept, at most %d a minute; "
            "all: kzpulse query posts mob:call FILE --limit 0)\n",
            ps.n, ps.total, AGG_SAMPLES_MAX);
    for (size_t i = 0; i < ps.n; i++)
        post_text(f, &ps.items[i], zone, "  ");
    agg_posts_free(&ps);
}

static int report_text(FILE *f, const struct pipeline_report *in)
{
    struct window w = window_of(in->store);
    char err[256], b1[32], b2[32], t1[40], t2[40];
    const struct ingest_stats *is = in->ingest;
    struct agg_series all = {0};

    fprintf(f, "kzpulse replay report\n");
    fprintf(f, "=====================\n");
    for (int i = 0; i < in->nsources; i++)
        fprintf(f, "source       %s\n", in->sources[i]);
    fprintf(f, "records      %s read, %s posts decoded\n", grouped((int64_t)is->records, b1, 32),
            grouped((int64_t)is->posts, b2, 32));
    if (!w.empty &&
        agg_store_series(in->store, AGG_HOUR, "all", w.from, w.to, &all, err, sizeof(err)) == 0) {
        agg_zone_format(in->zone, w.from, t1, sizeof(t1));
        agg_zone_format(in->zone, w.to, t2, sizeof(t2));
        fprintf(f, "counted      %s posts, %s .. %s\n", grouped(all.total, b1, 32), t1, t2);
        uint64_t authors = 0;
        if (agg_store_distinct(in->store, "all", w.from, w.to, &authors, err, sizeof(err)) == 0)
            fprintf(f, "authors      ~%s distinct (HyperLogLog)\n",
                    grouped((int64_t)authors, b1, 32));
    } else {
        fprintf(f, "counted      0 posts\n");
    }
    fprintf(f, "flagged      %s truncated to the text limit\n",
            grouped((int64_t)is->truncated, b1, 32));
    if (is->ts_arrival)
        fprintf(f,
                "undated      %s posts without a usable time (missing or unreadable ts): "
                "in no series or count below\n",
                grouped((int64_t)is->ts_arrival, b2, 32));
    if (in->region_unknown)
        fprintf(f,
                "             %s with a region field that names no place of the gazetteer "
                "(counted as region unknown)\n",
                grouped((int64_t)in->region_unknown, b1, 32));
    if (is->skipped_service)
        fprintf(f, "skipped      %s Telegram service messages\n",
                grouped((int64_t)is->skipped_service, b1, 32));

    uint64_t dead = 0;
    for (int r = 0; r < INGEST_DL_REASON_COUNT; r++)
        dead += is->dead[r];
    fprintf(f, "dead letters %s", grouped((int64_t)dead, b1, 32));
    if (dead)
        fprintf(f, " -> %s", in->dead_letters);
    fputc('\n', f);
    for (int r = 0; r < INGEST_DL_REASON_COUNT; r++)
        if (is->dead[r])
            fprintf(f, "  %-14s %9s\n", ingest_dl_reason_name((enum ingest_dl_reason)r),
                    grouped((int64_t)is->dead[r], b1, 32));

    if (all.n)
        text_hours(f, &all, in->zone);
    for (size_t i = 0; i < KZ_ARRAY_LEN(dim_sections); i++)
        text_dims(f, in, &w, dim_sections[i][0], dim_sections[i][1], all.total, in->top);

    text_top(f, in->store, &w, AGG_TOP_HASHTAG, "Top hashtags", "#", in->top);
    text_top(f, in->store, &w, AGG_TOP_TERM, "Top terms (the lexicon entries behind the topics)",
             "", in->top);
    text_calls(f, in->store, &w, in->top, in->zone, in->no_samples);
    agg_series_free(&all);
    return written(f);
}

/* ---------------------------------------------------------------------------
 * The replay report as JSON
 * ------------------------------------------------------------------------ */

/* {value: count} of a prefix; names, if given, gets {value: name} of places. */
static json_t *json_dims(const struct pipeline_report *in, const struct window *w,
                         const char *prefix, json_t *names)
{
    json_t *o = json_object();
    struct agg_dimcounts d = {0};
    char err[256], nm[256];
    if (!w->empty &&
        agg_store_dims(in->store, AGG_HOUR, prefix, w->from, w->to, &d, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < d.n; i++) {
            const char *v = d.items[i].dim + strlen(prefix);
            json_object_set_new(o, v, json_integer(d.items[i].count));
            if (names && dim_name(in->gaz, in->names, d.items[i].dim, nm, sizeof(nm)))
                json_object_set_new(names, v, json_string(nm));
        }
        agg_dimcounts_free(&d);
    }
    return o;
}

static int report_json(FILE *f, const struct pipeline_report *in)
{
    struct window w = window_of(in->store);
    const struct ingest_stats *is = in->ingest;
    char err[256], t[40];
    json_t *root = json_object();

    json_t *src = json_array();
    for (int i = 0; i < in->nsources; i++)
        json_array_append_new(src, json_string(in->sources[i]));
    json_object_set_new(root, "sources", src);
    json_object_set_new(root, "records", json_integer((json_int_t)is->records));
    json_object_set_new(root, "posts", json_integer((json_int_t)is->posts));
    json_object_set_new(root, "truncated", json_integer((json_int_t)is->truncated));
    json_object_set_new(root, "ts_arrival", json_integer((json_int_t)is->ts_arrival));
    json_object_set_new(root, "undated", json_integer((json_int_t)is->ts_arrival));
    json_object_set_new(root, "skipped_service", json_integer((json_int_t)is->skipped_service));
    json_object_set_new(root, "region_unknown_field", json_integer((json_int_t)in->region_unknown));

    json_t *dead = json_object();
    uint64_t dead_total = 0;
    for (int r = 0; r < INGEST_DL_REASON_COUNT; r++) {
        dead_total += is->dead[r];
        json_object_set_new(dead, ingest_dl_reason_name((enum ingest_dl_reason)r),
                            json_integer((json_int_t)is->dead[r]));
    }
    json_object_set_new(dead, "total", json_integer((json_int_t)dead_total));
    json_object_set_new(root, "dead_letters", dead);
    json_object_set_new(root, "dead_letter_file", json_string(in->dead_letters));

    struct agg_series all = {0};
    json_t *hours = json_object();
    if (!w.empty &&
        agg_store_series(in->store, AGG_HOUR, "all", w.from, w.to, &all, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < all.n; i++) {
            if (!all.points[i].count)
                continue;
            fmt_time(all.points[i].bucket_ms, t, sizeof(t), "%Y-%m-%dT%H");
            json_object_set_new(hours, t, json_integer(all.points[i].count));
        }
        agg_zone_format(in->zone, w.from, t, sizeof(t));
        json_object_set_new(root, "from", json_string(t));
        agg_zone_format(in->zone, w.to, t, sizeof(t));
        json_object_set_new(root, "to", json_string(t));
        json_object_set_new(root, "tz", json_string(agg_zone_name(in->zone)));
    }
    json_object_set_new(root, "counted", json_integer(all.total));
    uint64_t authors = 0;
    if (!w.empty)
        agg_store_distinct(in->store, "all", w.from, w.to, &authors, err, sizeof(err));
    json_object_set_new(root, "distinct_authors", json_integer((json_int_t)authors));
    json_object_set_new(root, "posts_per_hour", hours);
    agg_series_free(&all);

    json_t *place_names = json_object();
    for (size_t i = 0; i < KZ_ARRAY_LEN(dim_sections); i++) {
        char key[32];
        int places = !strcmp(dim_sections[i][0], "region:") || !strcmp(dim_sections[i][0], "city:");
        snprintf(key, sizeof(key), "by_%s", dim_sections[i][1]);
        json_object_set_new(root, key,
                            json_dims(in, &w, dim_sections[i][0], places ? place_names : NULL));
    }
    /* region codes and town slugs -> names in the language asked (--names) */
    json_object_set_new(root, "place_names", place_names);

    json_t *tags = json_array();
    struct agg_top top = {0};
    if (!w.empty && agg_store_topk(in->store, AGG_TOP_HASHTAG, w.from, w.to, (size_t)in->top, &top,
                                   err, sizeof(err)) == 0) {
        for (size_t i = 0; i < top.n; i++)
            json_array_append_new(tags, json_pack("{s:s, s:I}", "hashtag", top.items[i].member,
                                                  "count", (json_int_t)top.items[i].count));
        agg_top_free(&top);
    }
    json_object_set_new(root, "top_hashtags", tags);
    json_t *terms = json_array();
    if (!w.empty && agg_store_topk(in->store, AGG_TOP_TERM, w.from, w.to, (size_t)in->top, &top,
                                   err, sizeof(err)) == 0) {
        for (size_t i = 0; i < top.n; i++)
            json_array_append_new(terms, json_pack("{s:s, s:I}", "term", top.items[i].member,
                                                   "count", (json_int_t)top.items[i].count));
        agg_top_free(&top);
    }
    json_object_set_new(root, "top_terms", terms);

    json_t *calls = json_array();
    struct agg_posts ps = {0};
    if (!w.empty && agg_store_posts(in->store, "mob:call", w.from, w.to, (size_t)in->top, &ps, err,
                                    sizeof(err)) == 0) {
        for (size_t i = 0; i < ps.n; i++)
            json_array_append_new(calls, post_json(&ps.items[i], in->zone));
    }
    json_object_set_new(root, "calls_to_action", calls);
    json_object_set_new(root, "calls_to_action_kept", json_integer((json_int_t)ps.total));
    if (in->no_samples) /* said only when off: the report's shape is unchanged otherwise */
        json_object_set_new(root, "samples", json_false());
    agg_posts_free(&ps);

    int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ? KZ_EIO : 0;
    fputc('\n', f);
    json_decref(root);
    return rc || ferror(f) ? KZ_EIO : 0;
}

int pipeline_render_report(FILE *f, enum pipeline_format fmt, const struct pipeline_report *r)
{
    return fmt == PIPELINE_JSON ? report_json(f, r) : report_text(f, r);
}
