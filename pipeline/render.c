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
 * decoder's statistics.  Both formats carry the same facts.  Times are UTC.
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
 * Query answers
 * ------------------------------------------------------------------------ */

/* {"query": ..., "arg": ..., "from": ..., "to": ...}: what every answer starts with. */
static json_t *window_json(const struct pipeline_query *q)
{
    char a[32], b[32];
    fmt_time(q->from_ms, a, sizeof(a), ISO_SECOND);
    fmt_time(q->to_ms, b, sizeof(b), ISO_SECOND);
    return json_pack("{s:s, s:s, s:s, s:s}", "query", q->what, "arg", q->arg, "from", a, "to", b);
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
                           const struct agg_series *s)
{
    char t[32];
    if (fmt == PIPELINE_TEXT) {
        for (size_t i = 0; i < s->n; i++) {
            fmt_time(s->points[i].bucket_ms, t, sizeof(t), ISO_SECOND);
            fprintf(f, "%s\t%lld\n", t, (long long)s->points[i].count);
        }
        fprintf(f, "total\t%lld\n", (long long)s->total);
        return written(f);
    }
    json_t *o = window_json(q), *pts = json_array();
    for (size_t i = 0; i < s->n; i++) {
        fmt_time(s->points[i].bucket_ms, t, sizeof(t), ISO_SECOND);
        json_array_append_new(pts, json_pack("[s, I]", t, (json_int_t)s->points[i].count));
    }
    json_object_set_new(o, "gran", json_string(agg_gran_name(q->gran)));
    json_object_set_new(o, "points", pts);
    json_object_set_new(o, "total", json_integer(s->total));
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
                         const struct agg_dimcounts *d)
{
    if (fmt == PIPELINE_TEXT) {
        for (size_t i = 0; i < d->n; i++)
            fprintf(f, "%s\t%lld\n", d->items[i].dim, (long long)d->items[i].count);
        return written(f);
    }
    json_t *o = window_json(q), *items = json_object();
    for (size_t i = 0; i < d->n; i++)
        json_object_set_new(items, d->items[i].dim, json_integer(d->items[i].count));
    json_object_set_new(o, "dims", items);
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
static json_t *post_json(const struct agg_post *p)
{
    char t[32];
    struct kz_str rest = p->s.evidence;
    struct agg_evidence e;
    json_t *ev = json_array(), *o;

    fmt_time(p->s.ts_ms, t, sizeof(t), ISO_SECOND);
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
static void post_text(FILE *f, const struct agg_post *p, const char *indent)
{
    char t[32];
    fmt_time(p->s.ts_ms, t, sizeof(t), ISO_SECOND);
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
            post_text(f, &ps->items[i], "");
        fprintf(f, "shown\t%zu of %zu sample posts (newest first; at most %d a minute kept)\n",
                ps->n, ps->total, AGG_SAMPLES_MAX);
        return written(f);
    }
    json_t *o = window_json(q), *items = json_array();
    for (size_t i = 0; i < ps->n; i++)
        json_array_append_new(items, post_json(&ps->items[i]));
    json_object_set_new(o, "posts", items);
    json_object_set_new(o, "shown", json_integer((json_int_t)ps->n));
    json_object_set_new(o, "total", json_integer((json_int_t)ps->total));
    return put_json(f, o);
}

/* ---------------------------------------------------------------------------
 * Named queries: read the store, render the answer
 * ------------------------------------------------------------------------ */

static int query_series(struct agg_store *st, const struct pipeline_query *q,
                        enum pipeline_format fmt, FILE *f, char *err, size_t errlen)
{
    struct agg_series s = {0};
    int rc = agg_store_series(st, q->gran, q->arg, q->from_ms, q->to_ms, &s, err, errlen);
    if (rc == 0)
        rc = pipeline_render_series(f, fmt, q, &s);
    agg_series_free(&s);
    return rc;
}

static int query_top(struct agg_store *st, const struct pipeline_query *q, enum pipeline_format fmt,
                     FILE *f, char *err, size_t errlen)
{
    struct agg_top t = {0};
    int rc = agg_store_topk(st, (enum agg_top_kind)agg_top_kind_parse(q->arg), q->from_ms, q->to_ms,
                            q->limit, &t, err, errlen);
    if (rc == 0)
        rc = pipeline_render_top(f, fmt, q, &t);
    agg_top_free(&t);
    return rc;
}

static int query_distinct(struct agg_store *st, const struct pipeline_query *q,
                          enum pipeline_format fmt, FILE *f, char *err, size_t errlen)
{
    uint64_t n = 0;
    int rc = agg_store_distinct(st, q->arg, q->from_ms, q->to_ms, &n, err, errlen);
    return rc ? rc : pipeline_render_distinct(f, fmt, q, n);
}

static int query_dims(struct agg_store *st, const struct pipeline_query *q,
                      enum pipeline_format fmt, FILE *f, char *err, size_t errlen)
{
    struct agg_dimcounts d = {0};
    int rc = agg_store_dims(st, q->gran, q->arg, q->from_ms, q->to_ms, &d, err, errlen);
    if (rc == 0)
        rc = pipeline_render_dims(f, fmt, q, &d);
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
    if (!strcmp(q->what, "top") && agg_top_kind_parse(q->arg) < 0) {
        snprintf(err, errlen, "top: expected one of hashtag, term, channel; got \"%s\"", q->arg);
        return KZ_EINVAL;
    }
    char why[512] = "";
    int rc = queries[i].run(st, q, fmt, f, why, sizeof(why));
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
    {"platform:", "platform"}, {"lang:", "language"}, {"region:", "region"},
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

static void text_dims(FILE *f, struct agg_store *s, const struct window *w, const char *prefix,
                      const char *title, int64_t total, int top)
{
    struct agg_dimcounts d = {0};
    char err[256], b1[32];
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
        pad(f, d.items[i].dim + strlen(prefix), 28);
        fprintf(f, " %9s  %5.1f%%\n", grouped(d.items[i].count, b1, sizeof(b1)),
                total ? 100.0 * (double)d.items[i].count / (double)total : 0.0);
    }
    if ((int)d.n > top)
        fprintf(f, "  (%zu more)\n", d.n - (size_t)top);
    /* the rest: posts without a value (topics overlap, so they have no rest) */
    const char *rest = !strcmp(prefix, "stance:") ? "(none)"
                       : !strcmp(prefix, "mob:")  ? "(no call)"
                                                  : "(unknown)";
    if (strcmp(prefix, "topic:") && total > counted)
        fprintf(f, "  %-28s %9s  %5.1f%%\n", rest, grouped(total - counted, b1, sizeof(b1)),
                100.0 * (double)(total - counted) / (double)total);
    agg_dimcounts_free(&d);
}

/* One line per day: a 24-cell sparkline of posts per hour and the day's total. */
static void text_hours(FILE *f, const struct agg_series *h)
{
    static const char *const ticks[] = {" ",      "\u2581", "\u2582", "\u2583", "\u2584",
                                        "\u2585", "\u2586", "\u2587", "\u2588"};
    int64_t max = 0, peak_ms = 0;
    for (size_t i = 0; i < h->n; i++)
        if (h->points[i].count > max)
            max = h->points[i].count, peak_ms = h->points[i].bucket_ms;
    char day[32], b1[32];
    fprintf(f, "\nPosts per hour (UTC; one cell an hour, 00..23; peak %s at ",
            grouped(max, b1, sizeof(b1)));
    fmt_time(peak_ms, day, sizeof(day), "%Y-%m-%d %H:00");
    fprintf(f, "%s)\n", day);
    size_t i = 0;
    int64_t skipped = 0;
    while (i < h->n) {
        int64_t day_start = h->points[i].bucket_ms - (h->points[i].bucket_ms % 86400000LL);
        /* a day without posts is one line of nothing: fold runs of them */
        size_t j = i;
        while (j < h->n && h->points[j].bucket_ms < day_start + 86400000LL && !h->points[j].count)
            j++;
        if (j < h->n && h->points[j].bucket_ms >= day_start + 86400000LL) {
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
        fmt_time(day_start, day, sizeof(day), "%Y-%m-%d");
        fprintf(f, "  %s |", day);
        int64_t sum = 0;
        for (int hr = 0; hr < 24; hr++) {
            int64_t at = day_start + hr * AGG_HOUR_MS;
            if (i < h->n && h->points[i].bucket_ms == at) {
                int64_t c = h->points[i].count;
                sum += c;
                int level = c == 0 ? 0 : max ? 1 + (int)((c - 1) * 8 / max) : 0;
                fputs(ticks[level > 8 ? 8 : level], f);
                i++;
            } else {
                fputc(' ', f);
            }
        }
        fprintf(f, "| %9s\n", grouped(sum, b1, sizeof(b1)));
    }
}

/* The calls to action: the newest `top` sample posts of mob:call. */
static void text_calls(FILE *f, struct agg_store *s, const struct window *w, int top)
{
    struct agg_posts ps = {0};
    char err[256];
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
        post_text(f, &ps.items[i], "  ");
    agg_posts_free(&ps);
}

static int report_text(FILE *f, const struct pipeline_report *in)
{
    struct window w = window_of(in->store);
    char err[256], b1[32], b2[32], t1[32], t2[32];
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
        fmt_time(w.from, t1, sizeof(t1), "%Y-%m-%d %H:00");
        fmt_time(w.to, t2, sizeof(t2), "%Y-%m-%d %H:00");
        fprintf(f, "counted      %s posts, %s .. %s UTC\n", grouped(all.total, b1, 32), t1, t2);
        uint64_t authors = 0;
        if (agg_store_distinct(in->store, "all", w.from, w.to, &authors, err, sizeof(err)) == 0)
            fprintf(f, "authors      ~%s distinct (HyperLogLog)\n",
                    grouped((int64_t)authors, b1, 32));
    } else {
        fprintf(f, "counted      0 posts\n");
    }
    fprintf(f,
            "flagged      %s truncated to the text limit, %s with arrival time for a "
            "missing or unreadable timestamp\n",
            grouped((int64_t)is->truncated, b1, 32), grouped((int64_t)is->ts_arrival, b2, 32));
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
        text_hours(f, &all);
    for (size_t i = 0; i < KZ_ARRAY_LEN(dim_sections); i++)
        text_dims(f, in->store, &w, dim_sections[i][0], dim_sections[i][1], all.total, in->top);

    struct agg_top top = {0};
    if (!w.empty && agg_store_topk(in->store, AGG_TOP_HASHTAG, w.from, w.to, (size_t)in->top, &top,
                                   err, sizeof(err)) == 0) {
        fprintf(f, "\nTop hashtags%s\n", top.n ? "" : ": none");
        int64_t max = top.n ? top.items[0].count : 0;
        for (size_t i = 0; i < top.n; i++) {
            char tag[96];
            snprintf(tag, sizeof(tag), "#%s", top.items[i].member);
            fprintf(f, "  %2zu. ", i + 1);
            pad(f, tag, 30);
            fprintf(f, " %7s  ", grouped(top.items[i].count, b1, 32));
            bar(f, top.items[i].count, max, 20);
            fputc('\n', f);
        }
        agg_top_free(&top);
    }
    text_calls(f, in->store, &w, in->top);
    agg_series_free(&all);
    return written(f);
}

/* ---------------------------------------------------------------------------
 * The replay report as JSON
 * ------------------------------------------------------------------------ */

static json_t *json_dims(struct agg_store *s, const struct window *w, const char *prefix)
{
    json_t *o = json_object();
    struct agg_dimcounts d = {0};
    char err[256];
    if (!w->empty &&
        agg_store_dims(s, AGG_HOUR, prefix, w->from, w->to, &d, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < d.n; i++)
            json_object_set_new(o, d.items[i].dim + strlen(prefix), json_integer(d.items[i].count));
        agg_dimcounts_free(&d);
    }
    return o;
}

static int report_json(FILE *f, const struct pipeline_report *in)
{
    struct window w = window_of(in->store);
    const struct ingest_stats *is = in->ingest;
    char err[256], t[32];
    json_t *root = json_object();

    json_t *src = json_array();
    for (int i = 0; i < in->nsources; i++)
        json_array_append_new(src, json_string(in->sources[i]));
    json_object_set_new(root, "sources", src);
    json_object_set_new(root, "records", json_integer((json_int_t)is->records));
    json_object_set_new(root, "posts", json_integer((json_int_t)is->posts));
    json_object_set_new(root, "truncated", json_integer((json_int_t)is->truncated));
    json_object_set_new(root, "ts_arrival", json_integer((json_int_t)is->ts_arrival));
    json_object_set_new(root, "skipped_service", json_integer((json_int_t)is->skipped_service));

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
        fmt_time(w.from, t, sizeof(t), "%Y-%m-%dT%H:00:00Z");
        json_object_set_new(root, "from", json_string(t));
        fmt_time(w.to, t, sizeof(t), "%Y-%m-%dT%H:00:00Z");
        json_object_set_new(root, "to", json_string(t));
    }
    json_object_set_new(root, "counted", json_integer(all.total));
    uint64_t authors = 0;
    if (!w.empty)
        agg_store_distinct(in->store, "all", w.from, w.to, &authors, err, sizeof(err));
    json_object_set_new(root, "distinct_authors", json_integer((json_int_t)authors));
    json_object_set_new(root, "posts_per_hour", hours);
    agg_series_free(&all);

    for (size_t i = 0; i < KZ_ARRAY_LEN(dim_sections); i++) {
        char key[32];
        snprintf(key, sizeof(key), "by_%s", dim_sections[i][1]);
        json_object_set_new(root, key, json_dims(in->store, &w, dim_sections[i][0]));
    }

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

    json_t *calls = json_array();
    struct agg_posts ps = {0};
    if (!w.empty && agg_store_posts(in->store, "mob:call", w.from, w.to, (size_t)in->top, &ps, err,
                                    sizeof(err)) == 0) {
        for (size_t i = 0; i < ps.n; i++)
            json_array_append_new(calls, post_json(&ps.items[i]));
    }
    json_object_set_new(root, "calls_to_action", calls);
    json_object_set_new(root, "calls_to_action_kept", json_integer((json_int_t)ps.total));
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
