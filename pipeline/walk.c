/*
 * walk.c -- whole sources through a pipeline: archives (replay, query over
 * files, serve over files) and lines of posts or plain text (classify).
 *
 * An archive is read record by record through ingest_source (plain, gzip,
 * zstd, a Telegram export, stdin), and so are classify's lines, so that
 * classify reads every input replay reads; there a record that does not
 * start with '{' is plain text; each record's arrival time is the wall
 * clock when it is read, the fallback for posts without a usable time.  What
 * the source left pending is applied while it is still open, since the
 * batch's positions name it.  An unreadable or corrupt source is
 * PIPELINE_BAD_SOURCE: reported, counted, and the caller goes on with the
 * next one; only a failure of the pipeline itself stops the run.  With
 * pipeline_jobs() above one the records are analysed on worker threads
 * (par.c) and reduced here in their order; with pipeline_set_progress() a
 * line on the terminal says how far the walk is.
 */
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <time.h>

#include "pipeline_int.h"

int64_t pipeline_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------------------
 * Progress (pipeline_set_progress)
 * ------------------------------------------------------------------------ */

#define PROGRESS_FIRST_S 0.2 /* a walk shorter than this shows nothing */
#define PROGRESS_EVERY_S 0.5
#define PROGRESS_RECORDS 256 /* records between two looks at the clock */

struct progress {
    FILE *out;
    struct pipeline *p;
    struct ingest_source *src;
    const char *name;
    uint64_t total;
    double t0, next;
    unsigned n;
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* v with a comma every three digits. */
static const char *grouped(char *buf, size_t n, uint64_t v)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    size_t o = 0;

    for (int i = 0; i < len && o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

char *pipeline_progress_line(char *buf, size_t n, const char *name, uint64_t posts, uint64_t done,
                             uint64_t total, double secs)
{
    char np[40];
    double mb = (double)done / 1e6, rate = secs >= 0.1 && done ? mb / secs : 0;
    int o = snprintf(buf, n, "%s: %s posts, ", name, grouped(np, sizeof np, posts));

    if (o < 0 || (size_t)o >= n)
        return buf;
    if (total >= done && total) {
        o += snprintf(buf + o, n - (size_t)o, "%.1f of %.1f MB (%d%%)", mb, (double)total / 1e6,
                      (int)((double)done * 100 / (double)total));
    } else {
        o += snprintf(buf + o, n - (size_t)o, "%.1f MB", mb);
    }
    if ((size_t)o >= n || rate <= 0)
        return buf;
    o += snprintf(buf + o, n - (size_t)o, ", %.1f MB/s", rate);
    if ((size_t)o < n && total > done) {
        long left = (long)((double)(total - done) / 1e6 / rate + 0.5);
        if (left >= 3600)
            snprintf(buf + o, n - (size_t)o, ", %ld:%02ld:%02ld left", left / 3600, left / 60 % 60,
                     left % 60);
        else
            snprintf(buf + o, n - (size_t)o, ", %ld:%02ld left", left / 60, left % 60);
    }
    return buf;
}

static void progress_show(struct progress *pr)
{
    char line[256];

    pipeline_progress_line(line, sizeof line, pr->name, pipeline_stats(pr->p)->posts,
                           ingest_source_bytes(pr->src), pr->total, mono_s() - pr->t0);
    fprintf(pr->out, "\r%s\033[K", line);
    fflush(pr->out);
    *pipeline_progress_shown(pr->p) = 1;
}

/* A look at the clock now and then; the line when it is due. */
static void progress_tick(void *ctx)
{
    struct progress *pr = ctx;
    double now;

    if (!pr->out)
        return;
    now = mono_s();
    if (now < pr->next)
        return;
    pr->next = now + PROGRESS_EVERY_S;
    progress_show(pr);
}

static void progress_end(struct progress *pr)
{
    if (pr->out && *pipeline_progress_shown(pr->p)) {
        fputs("\r\033[K", pr->out);
        fflush(pr->out);
        *pipeline_progress_shown(pr->p) = 0;
    }
}

/* One record: through the decoder, or, in a walk of lines (text_lines), as
 * plain text when its first non-blank byte is not '{'. */
int pipeline_walk_record(struct pipeline *p, const struct ingest_record *rec, bool text_lines,
                         char *why, size_t whylen)
{
    size_t k = 0, len = rec->len;
    while (text_lines && k < len && (rec->data[k] == ' ' || rec->data[k] == '\t'))
        k++;
    if (!text_lines || (k < len && rec->data[k] == '{'))
        return pipeline_record(p, rec, why, whylen);
    if (k == len)
        return 0; /* a blank line */
    size_t max = pipeline_config(p)->ingest.max_text;
    size_t cut = len > max ? max : len;
    while (cut < len && cut > 0 && ((unsigned char)rec->data[cut] & 0xC0) == 0x80)
        cut--;
    return pipeline_text(p, rec->data, cut, why, whylen);
}

static int walk(struct pipeline *p, const char *path, bool text_lines, char *err, size_t errlen)
{
    const struct kz_config *cfg = pipeline_config(p);
    struct pipeline_stats *st = pipeline_stats(p);
    struct ingest_source *src;
    char why[512];
    int rc = ingest_source_open(path, &cfg->ingest, &src, why, sizeof(why));
    if (rc) {
        snprintf(err, errlen, "%s", why);
        st->sources_failed++;
        return PIPELINE_BAD_SOURCE;
    }
    int status = 0, jobs = pipeline_jobs(cfg);
    struct ingest_record rec;
    const char *base = strrchr(path, '/');
    struct progress pr = {.out = pipeline_progress_out(p),
                          .p = p,
                          .src = src,
                          .name = !strcmp(path, "-") ? "stdin"
                                  : base             ? base + 1
                                                     : path,
                          .total = ingest_source_size(src),
                          .t0 = mono_s()};
    pr.next = pr.t0 + PROGRESS_FIRST_S;
    if (jobs > 1 && pipeline_parallel_ok(p)) {
        if ((status = pipeline_par_walk(p, src, jobs, text_lines, progress_tick, &pr, &rc, why,
                                        sizeof(why))))
            snprintf(err, errlen, "%s: %s", path, why);
    } else {
        while ((rc = ingest_source_next(src, &rec, why, sizeof(why))) == 1) {
            if (++pr.n % PROGRESS_RECORDS == 0)
                progress_tick(&pr);
            rec.arrival_ms = pipeline_wall_ms();
            if ((status = pipeline_walk_record(p, &rec, text_lines, why, sizeof(why)))) {
                snprintf(err, errlen, "%s: %s", path, why);
                break;
            }
        }
    }
    if (rc < 0 && !status) {
        snprintf(err, errlen, "%s", why);
        status = PIPELINE_BAD_SOURCE;
    }
    progress_end(&pr);
    st->bytes_in += ingest_source_bytes(src);
    if (status == 0)
        st->sources_ok++;
    else
        st->sources_failed++;
    /* positions name the source; apply them while it is open */
    if (status >= 0 && (rc = pipeline_flush(p, why, sizeof(why)))) {
        snprintf(err, errlen, "store: %s", why);
        status = rc > 0 ? KZ_EIO : rc;
    } else if (status < 0) {
        pipeline_settle(p, why, sizeof(why)); /* the walk's own error is the one told */
    }
    ingest_source_close(src);
    return status;
}

int pipeline_walk_file(struct pipeline *p, const char *path, char *err, size_t errlen)
{
    return walk(p, path, false, err, errlen);
}

int pipeline_walk_lines(struct pipeline *p, const char *path, char *err, size_t errlen)
{
    return walk(p, path, true, err, errlen);
}
