/*
 * test_ingest_deadletter.c -- reason names and the dead-letter JSON line.
 *
 * Each case writes one dead letter to a memory stream, checks the exact line
 * where it is short enough to read, and otherwise parses it back with jansson:
 * "raw" must be the record with U+FFFD for each invalid byte, and "raw_b64"
 * must decode (with the small decoder below, not the writer's code) to the
 * exact original bytes.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "tap.h"

static char *write_dead(const struct ingest_dead *d, size_t *n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(f != NULL);
    if (!f)
        return NULL;
    CHECK_EQ_INT(ingest_dead_write_json(f, d), 0);
    fclose(f);
    *n = len;
    return buf;
}

static struct ingest_dead make(enum ingest_dl_reason r, const char *detail, const char *raw,
                               size_t raw_len)
{
    struct ingest_dead d;
    memset(&d, 0, sizeof(d));
    d.reason = r;
    d.detail = detail;
    d.pos.source = "posts-2026-03-08.jsonl";
    d.pos.partition = -1;
    d.pos.offset = 1234;
    d.pos.index = 0;
    d.raw = raw;
    d.raw_len = raw_len;
    return d;
}

static int b64val(int c)
{
    const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(tab, c) : NULL;
    return p ? (int)(p - tab) : -1;
}

/* Decode padded base64; returns the length or -1. */
static long b64decode(const char *s, unsigned char *out, size_t cap)
{
    size_t n = strlen(s), o = 0;
    if (n % 4)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++)
            v[k] = s[i + k] == '=' ? 0 : b64val(s[i + k]);
        if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
            return -1;
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        int bytes = s[i + 2] == '=' ? 1 : s[i + 3] == '=' ? 2 : 3;
        for (int k = 0; k < bytes; k++) {
            if (o >= cap)
                return -1;
            out[o++] = (unsigned char)(w >> (16 - 8 * k));
        }
    }
    return (long)o;
}

static void test_reason_names(void)
{
    CHECK_EQ_STR(ingest_dl_reason_name(INGEST_DL_BAD_JSON), "bad_json");
    CHECK_EQ_STR(ingest_dl_reason_name(INGEST_DL_BAD_UTF8), "bad_utf8");
    CHECK_EQ_STR(ingest_dl_reason_name(INGEST_DL_NOT_OBJECT), "not_object");
    CHECK_EQ_STR(ingest_dl_reason_name(INGEST_DL_NO_TEXT), "no_text");
    CHECK_EQ_STR(ingest_dl_reason_name(INGEST_DL_EMPTY_TEXT), "empty_text");
    CHECK_EQ_STR(ingest_dl_reason_name(INGEST_DL_BAD_TYPE), "bad_type");
    CHECK_EQ_STR(ingest_dl_reason_name(INGEST_DL_FUTURE_TS), "future_ts");
    CHECK_EQ_STR(ingest_dl_reason_name(INGEST_DL_TOO_LARGE), "too_large");
    CHECK_EQ_STR(ingest_dl_reason_name(INGEST_DL_REASON_COUNT), "unknown");
}

static void test_valid_utf8(void)
{
    const char *raw = "{\"text\":\"Ертең алаңға жиналамыз\",\"ts\":true}";
    struct ingest_dead d =
        make(INGEST_DL_BAD_TYPE, "field \"ts\": expected string or number, got boolean", raw,
             strlen(raw));
    size_t n;
    char *out = write_dead(&d, &n);
    CHECK_EQ_STR(out, "{\"reason\":\"bad_type\",\"detail\":\"field \\\"ts\\\": expected string or "
                      "number, got boolean\",\"source\":\"posts-2026-03-08.jsonl\","
                      "\"position\":1234,\"index\":0,\"raw\":\"{\\\"text\\\":\\\"Ертең алаңға "
                      "жиналамыз\\\",\\\"ts\\\":true}\"}\n");
    CHECK(out && strstr(out, "raw_b64") == NULL);
    free(out);
}

static void test_control_chars(void)
{
    /* Every byte 0x00..0x1F, DEL, quote, backslash, U+2028 and U+2029. */
    char raw[64];
    size_t n = 0;
    for (int c = 0; c < 0x20; c++)
        raw[n++] = (char)c;
    raw[n++] = 0x7F;
    raw[n++] = '"';
    raw[n++] = '\\';
    memcpy(raw + n, "\xE2\x80\xA8\xE2\x80\xA9", 6);
    n += 6;
    struct ingest_dead d = make(INGEST_DL_BAD_JSON, "line 1 column 1: tab\there", raw, n);
    size_t len;
    char *out = write_dead(&d, &len);
    CHECK(out && strstr(out, "\"raw\":\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
                             "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\\u0010") != NULL);
    CHECK(out && strstr(out, "\\u001f\\u007f\\\"\\\\\\u2028\\u2029\"") != NULL);
    CHECK(out && strstr(out, "\"detail\":\"line 1 column 1: tab\\there\"") != NULL);
    /* One line: no raw newline before the terminating one. */
    CHECK(out && strchr(out, '\n') == out + len - 1);
    CHECK(out && strstr(out, "raw_b64") == NULL); /* all valid UTF-8 */

    /* And jansson reads back the exact bytes. */
    json_error_t jerr;
    json_t *j = out ? json_loadb(out, len, JSON_ALLOW_NUL, &jerr) : NULL;
    CHECK(j != NULL);
    const json_t *r = json_object_get(j, "raw");
    CHECK(json_string_length(r) == n && memcmp(json_string_value(r), raw, n) == 0);
    json_decref(j);
    free(out);
}

static void check_roundtrip(const char *raw, size_t n, const char *want_raw, size_t want_n)
{
    struct ingest_dead d = make(INGEST_DL_BAD_UTF8, "invalid UTF-8", raw, n);
    size_t len;
    char *out = write_dead(&d, &len);
    json_error_t jerr;
    json_t *j = out ? json_loadb(out, len, JSON_ALLOW_NUL, &jerr) : NULL;
    CHECK(j != NULL);
    if (!j) {
        fprintf(stderr, "  output: %s  error: %s\n", out ? out : "(null)", jerr.text);
        free(out);
        return;
    }
    const json_t *r = json_object_get(j, "raw");
    CHECK_EQ_INT(json_string_length(r), want_n);
    CHECK(json_string_length(r) == want_n && memcmp(json_string_value(r), want_raw, want_n) == 0);
    const char *b64 = json_string_value(json_object_get(j, "raw_b64"));
    CHECK(b64 != NULL);
    unsigned char back[256];
    long m = b64 ? b64decode(b64, back, sizeof(back)) : -1;
    CHECK_EQ_INT(m, (long)n);
    CHECK(m == (long)n && memcmp(back, raw, n) == 0);
    CHECK_EQ_INT(json_integer_value(json_object_get(j, "position")), 1234);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "reason")), "bad_utf8");
    json_decref(j);
    free(out);
}

/* Literal lengths come from sizeof, so embedded NULs count. */
#define RT(raw, want) check_roundtrip(raw, sizeof(raw) - 1, want, sizeof(want) - 1)

static void test_invalid_utf8(void)
{
    /* Windows-1251 "Цены на бензин" pasted into a UTF-8 stream. */
    RT("{\"text\":\"\xD6\xE5\xED\xFB na benzin\"}",
       "{\"text\":\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD na benzin\"}");
    /* A truncated sequence, an overlong slash, a surrogate, above U+10FFFF;
     * each invalid byte is one U+FFFD, valid neighbours survive. */
    RT("қ\xE2\x82"
       "A",
       "қ\xEF\xBF\xBD\xEF\xBF\xBD"
       "A");
    RT("\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD");
    RT("\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    RT("\xF4\x90\x80\x80!", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!");
    /* base64 padding: lengths 1, 2, 3 and 4 mod 3. */
    RT("\xFF", "\xEF\xBF\xBD");
    RT("\xFF"
       "a",
       "\xEF\xBF\xBD"
       "a");
    RT("\xFF"
       "ab",
       "\xEF\xBF\xBD"
       "ab");
    RT("\xFF"
       "abc",
       "\xEF\xBF\xBD"
       "abc");
    /* A NUL among invalid bytes: escaped in raw, exact in raw_b64. */
    RT("\xFE\x00z", "\xEF\xBF\xBD\x00z");
}

static void test_all_bytes_base64(void)
{
    unsigned char raw[256];
    for (int i = 0; i < 256; i++)
        raw[i] = (unsigned char)(255 - i);
    struct ingest_dead d = make(INGEST_DL_BAD_UTF8, "", (const char *)raw, sizeof(raw));
    size_t len;
    char *out = write_dead(&d, &len);
    json_error_t jerr;
    json_t *j = out ? json_loadb(out, len, JSON_ALLOW_NUL, &jerr) : NULL;
    CHECK(j != NULL);
    const char *b64 = json_string_value(json_object_get(j, "raw_b64"));
    unsigned char back[300];
    long m = b64 ? b64decode(b64, back, sizeof(back)) : -1;
    CHECK_EQ_INT(m, 256);
    CHECK(m == 256 && memcmp(back, raw, 256) == 0);
    json_decref(j);
    free(out);
}

static void test_fields(void)
{
    /* Kafka-style position: partition printed; index of a container element. */
    struct ingest_dead d = make(INGEST_DL_NO_TEXT, "field \"text\" missing", "{}", 2);
    d.pos.source = "kz.posts";
    d.pos.partition = 3;
    d.pos.offset = 18446744073709551615ULL;
    d.pos.index = 17;
    size_t len;
    char *out = write_dead(&d, &len);
    CHECK_EQ_STR(out, "{\"reason\":\"no_text\",\"detail\":\"field \\\"text\\\" missing\","
                      "\"source\":\"kz.posts\",\"partition\":3,"
                      "\"position\":18446744073709551615,\"index\":17,\"raw\":\"{}\"}\n");
    free(out);

    /* Empty and NULL raw, NULL detail and source: still one valid line. */
    struct ingest_dead e = make(INGEST_DL_BAD_JSON, NULL, NULL, 5);
    e.pos.source = NULL;
    out = write_dead(&e, &len);
    CHECK_EQ_STR(out, "{\"reason\":\"bad_json\",\"detail\":\"\",\"source\":\"\",\"position\":1234,"
                      "\"index\":0,\"raw\":\"\"}\n");
    free(out);
}

static void test_io_error(void)
{
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        return; /* not on this system */
    setvbuf(f, NULL, _IONBF, 0);
    struct ingest_dead d = make(INGEST_DL_NO_TEXT, "x", "{}", 2);
    CHECK_EQ_INT(ingest_dead_write_json(f, &d), KZ_EIO);
    fclose(f);
}

int main(void)
{
    RUN(test_reason_names);
    RUN(test_valid_utf8);
    RUN(test_control_chars);
    RUN(test_invalid_utf8);
    RUN(test_all_bytes_base64);
    RUN(test_fields);
    RUN(test_io_error);
    return TAP_DONE();
}
