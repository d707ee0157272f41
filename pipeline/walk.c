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
 * next one; only a failure of the pipeline itself stops the run.
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
    if (jobs > 1 && pipeline_parallel_ok(p)) {
        if ((status = pipeline_par_walk(p, src, jobs, text_lines, &rc, why, sizeof(why))))
            snprintf(err, errlen, "%s: %s", path, why);
    } else {
        while ((rc = ingest_source_next(src, &rec, why, sizeof(why))) == 1) {
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
