/*
 * source.c -- file and stdin sources: decompression, JSONL lines, Telegram
 * Desktop export documents.
 *
 * Layers, each pulling from the one below:
 *   file --fread--> `in` (compressed bytes) --inflate/ZSTD--> `buf` --lines--> records
 * Compression is chosen from the first four bytes (gzip 1f 8b, zstd 28 b5 2f fd)
 * and never from the name, so a misnamed file still reads.  Concatenated gzip
 * members and zstd frames are read one after another (`cat a.gz b.gz` works).
 *
 * The line buffer holds [beg, end) of the decompressed stream; `beg_off` is the
 * stream offset of buf[beg], so a record's position is exact however the
 * buffer is compacted or grown.  It grows to at most max_record plus a little:
 * a longer line is returned with its first max_record bytes and oversize=1,
 * and the rest of it is discarded as it streams past, so memory stays bounded
 * whatever the input.  A trailing '\r' is dropped (CRLF files); lines holding
 * only spaces, tabs or '\r' are skipped; a last line without '\n' is a record.
 *
 * Telegram export detection, done once at open: if the first non-blank byte is
 * '{' and its line is not by itself a complete JSON object (JSONL lines are),
 * the whole document is buffered (up to max_document when its first line is a
 * bare "{", else max_record) and parsed; an object with
 * a "messages" array becomes one record with schema hint TELEGRAM, anything
 * else is read as JSONL from the same buffer.  A document whose first line is
 * just "{" (how Telegram Desktop writes result.json) and that is larger than
 * max_document (1 GiB by default) is returned as one oversize record.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <zlib.h>
#include <zstd.h>

#include "ingest_impl.h"

#define IN_CHUNK (128 * 1024)
#define BUF_INITIAL (64 * 1024)

enum comp { COMP_NONE, COMP_GZIP, COMP_ZSTD };
enum mode { MODE_JSONL, MODE_EXPORT, MODE_DONE };

struct ingest_source {
    char *name;
    FILE *f;
    int own_f;
    size_t max_record;
    size_t max_document; /* for a multi-line document (export) only */

    /* compressed input */
    enum comp comp;
    unsigned char *in;
    size_t in_len, in_pos;
    int in_eof;
    uint64_t in_bytes;
    z_stream z;
    int z_init, z_member_end;
    ZSTD_DStream *zs;
    size_t zs_hint; /* last ZSTD_decompressStream result: 0 = frame complete */

    /* decompressed line buffer */
    char *buf;
    size_t cap, beg, end, scan;
    uint64_t beg_off;
    size_t consume; /* bytes of the last record to drop on the next call */
    int eof;        /* decompressed stream exhausted */
    int skipping;   /* discarding the rest of an oversize line */

    enum mode mode;
    size_t export_start, export_len;
    int export_oversize;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------------------
 * Raw input and decompression
 * ------------------------------------------------------------------------ */

static int read_raw(struct ingest_source *src, char *err, size_t errlen)
{
    if (src->in_pos < src->in_len || src->in_eof)
        return 0;
    src->in_pos = 0;
    src->in_len = fread(src->in, 1, IN_CHUNK, src->f);
    src->in_bytes += src->in_len;
    if (src->in_len == 0) {
        if (ferror(src->f)) {
            seterr(err, errlen, "%s: read error: %s", src->name, strerror(errno));
            return KZ_EIO;
        }
        src->in_eof = 1;
    }
    return 0;
}

static int in_exhausted(const struct ingest_source *src)
{
    return src->in_pos == src->in_len && src->in_eof;
}

/* Append at least one decompressed byte to buf[end..cap), or set eof.  The
 * caller guarantees end < cap. */
static int fill(struct ingest_source *src, char *err, size_t errlen)
{
    assert(src->end < src->cap);
    for (;;) {
        size_t room = src->cap - src->end;
        int rc = read_raw(src, err, errlen);
        if (rc)
            return rc;

        if (src->comp == COMP_NONE) {
            if (in_exhausted(src)) {
                src->eof = 1;
                return 0;
            }
            size_t n = src->in_len - src->in_pos;
            if (n > room)
                n = room;
            memcpy(src->buf + src->end, src->in + src->in_pos, n);
            src->in_pos += n;
            src->end += n;
            return 0;
        }

        if (src->comp == COMP_GZIP) {
            if (src->z_member_end) {
                if (in_exhausted(src)) {
                    src->eof = 1;
                    return 0;
                }
                if (inflateReset(&src->z) != Z_OK) {
                    seterr(err, errlen, "%s: gzip: cannot reset stream", src->name);
                    return KZ_EDECODE;
                }
                src->z_member_end = 0;
            }
            src->z.next_in = src->in + src->in_pos;
            src->z.avail_in = (uInt)(src->in_len - src->in_pos);
            src->z.next_out = (Bytef *)src->buf + src->end;
            src->z.avail_out = (uInt)(room > UINT32_MAX ? UINT32_MAX : room);
            uInt out_before = src->z.avail_out;
            int zr = inflate(&src->z, Z_NO_FLUSH);
            src->in_pos = src->in_len - src->z.avail_in;
            size_t produced = out_before - src->z.avail_out;
            src->end += produced;
            if (zr == Z_STREAM_END) {
                src->z_member_end = 1;
            } else if (zr == Z_BUF_ERROR) {
                if (in_exhausted(src)) {
                    seterr(err, errlen, "%s: gzip: truncated input", src->name);
                    return KZ_EDECODE;
                }
            } else if (zr != Z_OK) {
                seterr(err, errlen, "%s: gzip: %s at compressed byte %llu", src->name,
                       src->z.msg ? src->z.msg : "corrupt data",
                       (unsigned long long)(src->in_bytes - (src->in_len - src->in_pos)));
                return zr == Z_MEM_ERROR ? KZ_ENOMEM : KZ_EDECODE;
            }
            if (produced)
                return 0;
            continue;
        }

        /* zstd */
        if (in_exhausted(src) && src->zs_hint == 0) {
            src->eof = 1;
            return 0;
        }
        ZSTD_inBuffer ib = {src->in, src->in_len, src->in_pos};
        ZSTD_outBuffer ob = {src->buf + src->end, room, 0};
        size_t zr = ZSTD_decompressStream(src->zs, &ob, &ib);
        if (ZSTD_isError(zr)) {
            seterr(err, errlen, "%s: zstd: %s", src->name, ZSTD_getErrorName(zr));
            return KZ_EDECODE;
        }
        int progressed = ib.pos != src->in_pos || ob.pos > 0;
        src->zs_hint = zr;
        src->in_pos = ib.pos;
        src->end += ob.pos;
        if (ob.pos)
            return 0;
        if (!progressed && in_exhausted(src)) {
            seterr(err, errlen, "%s: zstd: truncated input", src->name);
            return KZ_EDECODE;
        }
    }
}

/* Make room after `end`: compact first, grow only when the buffer is full of
 * unconsumed data.  The buffer never needs more than max_record + 2 bytes of
 * one line (the '\r' and one byte past the limit), plus room to read into. */
static int make_room(struct ingest_source *src)
{
    if (src->end < src->cap)
        return 0;
    if (src->beg > 0) {
        memmove(src->buf, src->buf + src->beg, src->end - src->beg);
        src->end -= src->beg;
        src->scan -= src->beg;
        src->beg = 0;
        return 0;
    }
    size_t limit =
        (src->max_document > src->max_record ? src->max_document : src->max_record) + BUF_INITIAL;
    size_t cap = src->cap * 2 > limit ? limit : src->cap * 2;
    if (cap <= src->cap)
        return KZ_ERANGE;
    char *p = realloc(src->buf, cap);
    if (!p)
        return KZ_ENOMEM;
    src->buf = p;
    src->cap = cap;
    return 0;
}

static void advance(struct ingest_source *src, size_t n)
{
    assert(n <= src->end - src->beg);
    src->beg += n;
    src->beg_off += n;
    if (src->scan < src->beg)
        src->scan = src->beg;
}

static int read_more(struct ingest_source *src, char *err, size_t errlen)
{
    int rc = make_room(src);
    if (rc) {
        seterr(err, errlen, "%s: %s", src->name, kz_strerror(rc));
        return rc;
    }
    return fill(src, err, errlen);
}

/* ---------------------------------------------------------------------------
 * Opening and Telegram export detection
 * ------------------------------------------------------------------------ */

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int detect_compression(struct ingest_source *src, char *err, size_t errlen)
{
    /* Gather four bytes; fread may return fewer from a pipe. */
    while (src->in_len < 4 && !src->in_eof) {
        size_t n = fread(src->in + src->in_len, 1, IN_CHUNK - src->in_len, src->f);
        src->in_bytes += n;
        src->in_len += n;
        if (n == 0) {
            if (ferror(src->f)) {
                seterr(err, errlen, "%s: read error: %s", src->name, strerror(errno));
                return KZ_EIO;
            }
            src->in_eof = 1;
        }
    }
    if (src->in_len >= 2 && src->in[0] == 0x1f && src->in[1] == 0x8b) {
        src->comp = COMP_GZIP;
        if (inflateInit2(&src->z, 16 + MAX_WBITS) != Z_OK) {
            seterr(err, errlen, "%s: gzip: cannot initialize", src->name);
            return KZ_ENOMEM;
        }
        src->z_init = 1;
    } else if (src->in_len >= 4 && memcmp(src->in, "\x28\xb5\x2f\xfd", 4) == 0) {
        src->comp = COMP_ZSTD;
        src->zs = ZSTD_createDStream();
        if (!src->zs || ZSTD_isError(ZSTD_initDStream(src->zs))) {
            seterr(err, errlen, "%s: zstd: cannot initialize", src->name);
            return KZ_ENOMEM;
        }
        src->zs_hint = 1;
    }
    return 0;
}

/* 1 when [s, s+n) is one JSON object with a "messages" array. */
static int is_telegram_export(const char *s, size_t n)
{
    json_t *root = json_loadb(s, n, 0, NULL);
    int yes = root && json_is_object(root) && json_is_array(json_object_get(root, "messages"));
    json_decref(root);
    return yes;
}

static int detect_export(struct ingest_source *src, char *err, size_t errlen)
{
    size_t q = 0, nl; /* offsets from beg: read_more() may move the data */
    int rc;

    /* Find the first non-blank byte, dropping whole blank lines before it
     * (JSONL skips them too); give up on absurd indentation. */
    for (;;) {
        if (src->beg + q == src->end) {
            if (src->eof || q > 4096)
                return 0;
            if ((rc = read_more(src, err, errlen)))
                return rc;
            continue;
        }
        char c = src->buf[src->beg + q];
        if (c == '\n') {
            advance(src, q + 1);
            q = 0;
        } else if (is_ws(c)) {
            q++;
        } else {
            break;
        }
    }
    if (src->buf[src->beg + q] != '{')
        return 0;
    for (nl = q;; nl++) {
        if (src->beg + nl == src->end) {
            if (src->eof)
                break;
            if (nl > src->max_record + 1)
                return 0;
            if ((rc = read_more(src, err, errlen)))
                return rc;
            nl--;
            continue;
        }
        if (src->buf[src->beg + nl] == '\n')
            break;
    }
    size_t line_end = nl;
    while (line_end > q && is_ws(src->buf[src->beg + line_end - 1]))
        line_end--;
    int bare_brace = line_end - q == 1;
    if (!bare_brace) {
        json_t *first = json_loadb(src->buf + src->beg + q, line_end - q, 0, NULL);
        int complete = first != NULL;
        json_decref(first);
        if (complete)
            return 0; /* JSONL whose first line is an object */
    }

    /* Buffer the whole document, up to one byte more than its limit: a
     * pretty-printed document (a bare "{" first line) may be as large as
     * max_document; anything else is held to max_record like a line. */
    size_t limit =
        bare_brace && src->max_document > src->max_record ? src->max_document : src->max_record;
    while (!src->eof && src->end - src->beg - q <= limit) {
        if ((rc = read_more(src, err, errlen)))
            return rc;
    }
    size_t start = src->beg + q, doc_len = src->end - start;
    if (doc_len > limit) {
        if (!bare_brace)
            return 0;
        src->mode = MODE_EXPORT;
        src->export_start = start;
        src->export_len = limit;
        src->export_oversize = 1;
        return 0;
    }
    while (doc_len > 0 && is_ws(src->buf[start + doc_len - 1]))
        doc_len--;
    if (is_telegram_export(src->buf + start, doc_len)) {
        src->mode = MODE_EXPORT;
        src->export_start = start;
        src->export_len = doc_len;
    }
    return 0;
}

int ingest_source_open(const char *path, const struct ingest_config *cfg,
                       struct ingest_source **out, char *err, size_t errlen)
{
    struct ingest_source *src;
    struct ingest_config defaults;
    int rc;

    *out = NULL;
    if (!path) {
        seterr(err, errlen, "no path given");
        return KZ_EINVAL;
    }
    if (!cfg) {
        ingest_config_default(&defaults);
        cfg = &defaults;
    }
    if (cfg->max_record == 0 || cfg->max_record > SIZE_MAX / 4) {
        seterr(err, errlen, "%s: max_record out of range", path);
        return KZ_EINVAL;
    }
    src = calloc(1, sizeof(*src));
    if (!src)
        goto nomem;
    src->max_record = cfg->max_record;
    src->max_document = cfg->max_document;
    src->name = strdup(path);
    src->in = malloc(IN_CHUNK);
    src->cap = BUF_INITIAL;
    src->buf = malloc(src->cap);
    if (!src->name || !src->in || !src->buf)
        goto nomem;
    if (strcmp(path, "-") == 0) {
        src->f = stdin;
    } else {
        src->f = fopen(path, "rb");
        if (!src->f) {
            seterr(err, errlen, "%s: %s", path, strerror(errno));
            ingest_source_close(src);
            return KZ_EIO;
        }
        src->own_f = 1;
    }
    if ((rc = detect_compression(src, err, errlen)))
        goto fail;
    /* Read the first bytes to skip a UTF-8 BOM, which is not JSON. */
    while (src->end < 3 && !src->eof)
        if ((rc = read_more(src, err, errlen)))
            goto fail;
    if (src->end >= 3 && memcmp(src->buf, "\xEF\xBB\xBF", 3) == 0) {
        src->beg = src->scan = 3;
        src->beg_off = 3;
    }
    if ((rc = detect_export(src, err, errlen)))
        goto fail;
    *out = src;
    return 0;

nomem:
    seterr(err, errlen, "%s: out of memory", path);
    rc = KZ_ENOMEM;
fail:
    ingest_source_close(src);
    return rc;
}

void ingest_source_close(struct ingest_source *src)
{
    if (!src)
        return;
    if (src->own_f && src->f)
        fclose(src->f);
    if (src->z_init)
        inflateEnd(&src->z);
    ZSTD_freeDStream(src->zs);
    free(src->in);
    free(src->buf);
    free(src->name);
    free(src);
}

uint64_t ingest_source_bytes(const struct ingest_source *src)
{
    return src->in_bytes;
}

uint64_t ingest_source_size(const struct ingest_source *src)
{
    struct stat st;

    if (fstat(fileno(src->f), &st) || !S_ISREG(st.st_mode) || st.st_size < 0)
        return 0;
    return (uint64_t)st.st_size;
}

/* ---------------------------------------------------------------------------
 * Records
 * ------------------------------------------------------------------------ */

static int fill_record(struct ingest_source *src, struct ingest_record *rec, size_t start,
                       size_t len, int oversize, enum ingest_schema hint)
{
    /* A record lies within the unconsumed part of the buffer. */
    assert(start >= src->beg && start <= src->end && len <= src->end - start);
    memset(rec, 0, sizeof(*rec));
    rec->data = src->buf + start;
    rec->len = len;
    rec->pos.source = src->name;
    rec->pos.partition = -1;
    rec->pos.offset = src->beg_off + (start - src->beg);
    rec->arrival_ms = now_ms();
    rec->schema = hint;
    rec->oversize = oversize;
    return 1;
}

int ingest_source_next(struct ingest_source *src, struct ingest_record *rec, char *err,
                       size_t errlen)
{
    int rc;

    advance(src, src->consume);
    src->consume = 0;
    if (src->mode == MODE_DONE)
        return 0;
    if (src->mode == MODE_EXPORT) {
        src->mode = MODE_DONE;
        return fill_record(src, rec, src->export_start, src->export_len, src->export_oversize,
                           INGEST_SCHEMA_TELEGRAM);
    }
    for (;;) {
        assert(src->beg <= src->scan && src->scan <= src->end && src->end <= src->cap);
        if (src->skipping) {
            char *p = memchr(src->buf + src->beg, '\n', src->end - src->beg);
            if (p) {
                advance(src, (size_t)(p + 1 - (src->buf + src->beg)));
                src->skipping = 0;
            } else {
                src->beg_off += src->end - src->beg;
                src->beg = src->end = src->scan = 0;
                if (src->eof)
                    return 0;
                if ((rc = read_more(src, err, errlen)))
                    return rc;
                continue;
            }
        }
        char *p = memchr(src->buf + src->scan, '\n', src->end - src->scan);
        size_t line_end, next;
        if (p) {
            line_end = (size_t)(p - src->buf);
            next = line_end + 1;
        } else if (src->eof) {
            if (src->beg == src->end) {
                src->mode = MODE_DONE;
                return 0;
            }
            line_end = next = src->end;
        } else {
            src->scan = src->end;
            if (src->end - src->beg >= src->max_record + 2) {
                /* Longer than max_record even if it ends in "\r\n". */
                src->skipping = 1;
                return fill_record(src, rec, src->beg, src->max_record, 1, INGEST_SCHEMA_AUTO);
            }
            if ((rc = read_more(src, err, errlen)))
                return rc;
            continue;
        }

        size_t start = src->beg, len = line_end - start;
        if (len > 0 && src->buf[line_end - 1] == '\r')
            len--;
        size_t k = 0;
        while (k < len && is_ws(src->buf[start + k]))
            k++;
        if (k == len) {
            advance(src, next - src->beg);
            continue;
        }
        src->consume = next - src->beg;
        if (len > src->max_record)
            return fill_record(src, rec, start, src->max_record, 1, INGEST_SCHEMA_AUTO);
        return fill_record(src, rec, start, len, 0, INGEST_SCHEMA_AUTO);
    }
}
