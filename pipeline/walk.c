/*
 * walk.c -- whole sources through a pipeline: archives (replay, query over
 * files, serve over files) and lines of posts or plain text (classify).
 *
 * An archive is read record by record through ingest_source (plain, gzip,
 * zstd, a Telegram export, stdin); each record's arrival time is the wall
 * clock when it is read, the fallback for posts without a usable time.  What
 * the source left pending is applied while it is still open, since the
 * batch's positions name it.  An unreadable or corrupt source is
 * PIPELINE_BAD_SOURCE: reported, counted, and the caller goes on with the
 * next one; only a failure of the pipeline itself stops the run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pipeline_walk_file(struct pipeline *p, const char *path, char *err, size_t errlen)
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
    int status = 0;
    struct ingest_record rec;
    while ((rc = ingest_source_next(src, &rec, why, sizeof(why))) == 1) {
        rec.arrival_ms = wall_ms();
        if ((status = pipeline_record(p, &rec, why, sizeof(why)))) {
            snprintf(err, errlen, "%s: %s", path, why);
            break;
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
    }
    ingest_source_close(src);
    return status;
}

int pipeline_walk_lines(struct pipeline *p, FILE *in, const char *path, char *err, size_t errlen)
{
    const struct kz_config *cfg = pipeline_config(p);
    char *line = NULL, why[512];
    size_t cap = 0;
    ssize_t n;
    uint64_t lineno = 0, offset = 0;
    int rc = 0;

    while ((n = getline(&line, &cap, in)) >= 0) {
        size_t len = (size_t)n, k = 0;
        lineno++;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        while (k < len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == len) {
            offset += (uint64_t)n;
            continue;
        }
        if (line[k] == '{') {
            struct ingest_record rec;
            memset(&rec, 0, sizeof(rec));
            rec.data = line;
            rec.len = len;
            rec.pos.source = path;
            rec.pos.partition = -1;
            rec.pos.offset = offset;
            rec.arrival_ms = (int64_t)time(NULL) * 1000;
            rec.schema = cfg->ingest.schema;
            rc = pipeline_record(p, &rec, why, sizeof(why));
        } else {
            size_t cut = len > cfg->ingest.max_text ? cfg->ingest.max_text : len;
            while (cut < len && cut > 0 && ((unsigned char)line[cut] & 0xC0) == 0x80)
                cut--;
            rc = pipeline_text(p, line, cut, why, sizeof(why));
        }
        offset += (uint64_t)n;
        if (rc) {
            snprintf(err, errlen, "%s:%llu: %s", path, (unsigned long long)lineno, why);
            break;
        }
    }
    if (!rc && ferror(in)) {
        snprintf(err, errlen, "reading %s: %s", path, strerror(errno));
        rc = PIPELINE_BAD_SOURCE;
    }
    free(line);
    return rc;
}
