/*
 * deadletter.c -- dead-letter reasons and the dead-letter JSON line writer.
 *
 * A dead letter must let a person see what was wrong and let a tool replay the
 * exact bytes once the cause is fixed.  So each line carries the reason, a
 * human detail, the position, the record as readable text ("raw": valid UTF-8
 * kept, every byte that is not part of a valid sequence replaced by U+FFFD)
 * and, only when that replacement lost information, the exact bytes in
 * standard padded base64 ("raw_b64", RFC 4648 section 4).
 *
 * Escaping follows RFC 8259 section 7: '"' and '\\' and every control
 * character below U+0020 are escaped (short forms where JSON has them,
 * \u00XX otherwise); DEL and U+2028/U+2029 are escaped too, so a dead-letter
 * file can be pasted into JavaScript or a terminal without surprises.  Runs of
 * plain bytes are written with one fwrite each.  I/O errors are collected with
 * ferror() once at the end rather than after every call.
 */
#include <assert.h>
#include <string.h>

#include "ingest_impl.h"

static const char *const reason_names[INGEST_DL_REASON_COUNT] = {
    [INGEST_DL_BAD_JSON] = "bad_json",     [INGEST_DL_BAD_UTF8] = "bad_utf8",
    [INGEST_DL_NOT_OBJECT] = "not_object", [INGEST_DL_NO_TEXT] = "no_text",
    [INGEST_DL_EMPTY_TEXT] = "empty_text", [INGEST_DL_BAD_TYPE] = "bad_type",
    [INGEST_DL_FUTURE_TS] = "future_ts",   [INGEST_DL_TOO_LARGE] = "too_large",
};

const char *ingest_dl_reason_name(enum ingest_dl_reason r)
{
    if ((unsigned)r >= INGEST_DL_REASON_COUNT)
        return "unknown";
    assert(reason_names[r] != NULL); /* every reason has a name */
    return reason_names[r];
}

/* ---------------------------------------------------------------------------
 * JSON string escaping
 * ------------------------------------------------------------------------ */

/* Write s[0..n) as the body of a JSON string.  Invalid UTF-8 bytes become
 * U+FFFD, one per byte. */
static void write_escaped(FILE *f, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t run = 0, i = 0;

    while (i < n) {
        unsigned c = s[i];
        const char *esc = NULL;
        char ubuf[7];
        size_t k = 1;

        if (c >= 0x80) {
            k = ingest_utf8_seq_len(s + i, n - i);
            if (k == 0) {
                esc = "\xEF\xBF\xBD"; /* U+FFFD */
                k = 1;
            } else if (k == 3 && c == 0xE2 && s[i + 1] == 0x80 &&
                       (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
                esc = s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
            }
        } else if (c == '"') {
            esc = "\\\"";
        } else if (c == '\\') {
            esc = "\\\\";
        } else if (c < 0x20 || c == 0x7F) {
            switch (c) {
            case '\b':
                esc = "\\b";
                break;
            case '\f':
                esc = "\\f";
                break;
            case '\n':
                esc = "\\n";
                break;
            case '\r':
                esc = "\\r";
                break;
            case '\t':
                esc = "\\t";
                break;
            default:
                memcpy(ubuf, "\\u00", 4);
                ubuf[4] = hex[c >> 4];
                ubuf[5] = hex[c & 15];
                ubuf[6] = '\0';
                esc = ubuf;
            }
        }
        if (esc) {
            if (run < i)
                fwrite(s + run, 1, i - run, f);
            fputs(esc, f);
            i += k;
            run = i;
        } else {
            i += k;
        }
    }
    if (run < n)
        fwrite(s + run, 1, n - run, f);
}

static void write_string(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    write_escaped(f, s, n);
    fputc('"', f);
}

/* ---------------------------------------------------------------------------
 * Base64
 * ------------------------------------------------------------------------ */

static void write_base64(FILE *f, const unsigned char *s, size_t n)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char out[4 * 256];
    size_t o = 0, i = 0;

    fputc('"', f);
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = b64[v & 63];
        if (o == sizeof(out)) {
            fwrite(out, 1, o, f);
            o = 0;
        }
    }
    assert(o + 4 <= sizeof(out)); /* o is a multiple of 4, flushed when full */
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = '=';
    }
    fwrite(out, 1, o, f);
    fputc('"', f);
}

/* ---------------------------------------------------------------------------
 * The dead-letter line
 * ------------------------------------------------------------------------ */

int ingest_dead_write_json(FILE *f, const struct ingest_dead *d)
{
    const char *raw = d->raw ? d->raw : "";
    size_t raw_len = d->raw ? d->raw_len : 0;
    const char *detail = d->detail ? d->detail : "";
    const char *source = d->pos.source ? d->pos.source : "";

    if (!f)
        return KZ_EINVAL;
    fputs("{\"reason\":", f);
    write_string(f, ingest_dl_reason_name(d->reason), strlen(ingest_dl_reason_name(d->reason)));
    fputs(",\"detail\":", f);
    write_string(f, detail, strlen(detail));
    fputs(",\"source\":", f);
    write_string(f, source, strlen(source));
    if (d->pos.partition >= 0)
        fprintf(f, ",\"partition\":%ld", (long)d->pos.partition);
    fprintf(f, ",\"position\":%llu,\"index\":%lu,\"raw\":", (unsigned long long)d->pos.offset,
            (unsigned long)d->pos.index);
    write_string(f, raw, raw_len);
    if (ingest_utf8_valid_prefix(raw, raw_len) != raw_len) {
        fputs(",\"raw_b64\":", f);
        write_base64(f, (const unsigned char *)raw, raw_len);
    }
    fputs("}\n", f);
    return ferror(f) ? KZ_EIO : 0;
}
