/*
 * report.c -- the replay report, as text for people and as JSON for scripts.
 *
 * Everything counted comes back out of the store through its query interface
 * (series, dims, top-k, distinct), never from side counters, so the report is
 * also a check that the store holds what was fed in.  Input accounting (records,
 * dead letters by reason, truncations, arrival-time fallbacks) comes from the
 * decoder's statistics.  Both formats carry the same facts.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"

static const char *const dim_sections[][2] = {
    {"platform:", "platform"}, {"lang:", "language"}, {"region:", "region"},
    {"topic:", "topic"},       {"stance:", "stance"}, {"mob:", "mobilization"},
};

static void fmt_hour(int64_t ms, char *buf, size_t n, const char *fmt)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, fmt, &tm);
}

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
 * Text
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
    static const char *const ticks[] = {" ", "\u2581", "\u2582", "\u2583", "\u2584",
                                        "\u2585", "\u2586", "\u2587", "\u2588"};
    int64_t max = 0, peak_ms = 0;
    for (size_t i = 0; i < h->n; i++)
        if (h->points[i].count > max)
            max = h->points[i].count, peak_ms = h->points[i].bucket_ms;
    char day[32], b1[32];
    fprintf(f, "\nPosts per hour (UTC; one cell an hour, 00..23; peak %s at ",
            grouped(max, b1, sizeof(b1)));
    fmt_hour(peak_ms, day, sizeof(day), "%Y-%m-%d %H:00");
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
        fmt_hour(day_start, day, sizeof(day), "%Y-%m-%d");
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

int kz_report_text(FILE *f, const struct kz_report_input *in)
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
        fmt_hour(w.from, t1, sizeof(t1), "%Y-%m-%d %H:00");
        fmt_hour(w.to, t2, sizeof(t2), "%Y-%m-%d %H:00");
        fprintf(f, "counted      %s posts, %s .. %s UTC\n", grouped(all.total, b1, 32), t1, t2);
        uint64_t authors = 0;
        if (agg_store_distinct(in->store, "all", w.from, w.to, &authors, err, sizeof(err)) == 0)
            fprintf(f, "authors      ~%s distinct (HyperLogLog)\n",
                    grouped((int64_t)authors, b1, 32));
    } else {
        fprintf(f, "counted      0 posts\n");
    }
    fprintf(f, "flagged      %s truncated to the text limit, %s with arrival time for a "
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
    agg_series_free(&all);
    return ferror(f) ? KZ_EIO : 0;
}

/* ---------------------------------------------------------------------------
 * JSON
 * ------------------------------------------------------------------------ */

static json_t *json_dims(struct agg_store *s, const struct window *w, const char *prefix)
{
    json_t *o = json_object();
    struct agg_dimcounts d = {0};
    char err[256];
    if (!w->empty && agg_store_dims(s, AGG_HOUR, prefix, w->from, w->to, &d, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < d.n; i++)
            json_object_set_new(o, d.items[i].dim + strlen(prefix), json_integer(d.items[i].count));
        agg_dimcounts_free(&d);
    }
    return o;
}

int kz_report_json(FILE *f, const struct kz_report_input *in)
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
            fmt_hour(all.points[i].bucket_ms, t, sizeof(t), "%Y-%m-%dT%H");
            json_object_set_new(hours, t, json_integer(all.points[i].count));
        }
        fmt_hour(w.from, t, sizeof(t), "%Y-%m-%dT%H:00:00Z");
        json_object_set_new(root, "from", json_string(t));
        fmt_hour(w.to, t, sizeof(t), "%Y-%m-%dT%H:00:00Z");
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

    int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ? KZ_EIO : 0;
    fputc('\n', f);
    json_decref(root);
    return rc || ferror(f) ? KZ_EIO : 0;
}
