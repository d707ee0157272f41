/*
 * test_ingest_source.c -- file sources: plain, gzip, zstd, lines, exports.
 *
 * The test makes its own inputs in a private temporary directory (compressing
 * with zlib and libzstd directly), reads them back through ingest_source and
 * checks every record's bytes and its byte offset in the decompressed stream.
 * The same JSONL content is read plain, gzip (also as two concatenated
 * members) and zstd, and must give identical records.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "ingest.h"
#include "tap.h"

#define MAXR 64

static char tmpdir[64];

struct rec {
    char *data;
    size_t len;
    uint64_t offset;
    int oversize;
    enum ingest_schema schema;
};

struct recs {
    struct rec r[MAXR];
    int n;
    int rc; /* last ingest_source_next() result */
    char err[256];
};

static char *path_of(const char *name)
{
    static char buf[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmpdir, name);
    return buf[k];
}

static void write_file(const char *name, const void *data, size_t n)
{
    FILE *f = fopen(path_of(name), "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK_EQ_INT(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* gzip with zlib's deflate (windowBits 16+15 writes the gzip wrapper); when
 * members > 1 the data is split and written as concatenated members. */
static void write_gz(const char *name, const char *data, size_t n, int members)
{
    size_t cap = n + n / 2 + 1024 * (size_t)members, out = 0;
    unsigned char *buf = malloc(cap);
    CHECK(buf != NULL);
    for (int m = 0; m < members && buf; m++) {
        size_t a = n * (size_t)m / (size_t)members, b = n * (size_t)(m + 1) / (size_t)members;
        z_stream z;
        memset(&z, 0, sizeof(z));
        CHECK_EQ_INT(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = (Bytef *)data + a;
        z.avail_in = (uInt)(b - a);
        z.next_out = buf + out;
        z.avail_out = (uInt)(cap - out);
        CHECK_EQ_INT(deflate(&z, Z_FINISH), Z_STREAM_END);
        out = cap - z.avail_out;
        deflateEnd(&z);
    }
    if (buf)
        write_file(name, buf, out);
    free(buf);
}

static size_t write_zst(const char *name, const char *data, size_t n)
{
    size_t cap = ZSTD_compressBound(n);
    void *buf = malloc(cap);
    CHECK(buf != NULL);
    if (!buf)
        return 0;
    size_t z = ZSTD_compress(buf, cap, data, n, 3);
    CHECK(!ZSTD_isError(z));
    write_file(name, buf, z);
    free(buf);
    return z;
}

static void recs_free(struct recs *rs)
{
    for (int i = 0; i < rs->n; i++)
        free(rs->r[i].data);
    rs->n = 0;
}

/* Read every record of a file with limits (0 = default); returns the open result. */
static int read_all_limits(const char *path, size_t max_record, size_t max_document,
                           struct recs *rs, uint64_t *bytes)
{
    struct ingest_config cfg;
    struct ingest_source *src = NULL;
    struct ingest_record r;
    int rc;

    memset(rs, 0, sizeof(*rs));
    ingest_config_default(&cfg);
    if (max_record)
        cfg.max_record = max_record;
    if (max_document)
        cfg.max_document = max_document;
    rc = ingest_source_open(path, &cfg, &src, rs->err, sizeof(rs->err));
    if (rc)
        return rc;
    while ((rc = ingest_source_next(src, &r, rs->err, sizeof(rs->err))) == 1) {
        CHECK_EQ_STR(r.pos.source, path);
        CHECK_EQ_INT(r.pos.partition, -1);
        CHECK(r.arrival_ms > 1700000000000LL);
        if (rs->n < MAXR) {
            struct rec *c = &rs->r[rs->n++];
            c->data = malloc(r.len + 1);
            if (c->data) {
                memcpy(c->data, r.data, r.len);
                c->data[r.len] = '\0';
            }
            c->len = r.len;
            c->offset = r.pos.offset;
            c->oversize = r.oversize;
            c->schema = r.schema;
        }
    }
    rs->rc = rc;
    if (bytes)
        *bytes = ingest_source_bytes(src);
    ingest_source_close(src);
    return 0;
}

static int read_all(const char *path, size_t max_record, struct recs *rs, uint64_t *bytes)
{
    return read_all_limits(path, max_record, 0, rs, bytes);
}

/* ---------------------------------------------------------------------------
 * JSONL
 * ------------------------------------------------------------------------ */

/* Lines: CRLF, blank lines (empty, spaces, a lone CR), no final newline. */
static const char jsonl[] = "{\"text\":\"Ертең алаңға жиналамыз\"}\r\n"
                            "\n"
                            "   \t \n"
                            "{\"text\":\"Цены на бензин опять выросли\"}\n"
                            "\r\n"
                            "{\"text\":\"Bügin Almatyda jañbyr jauady\"}\n"
                            "{\"text\":\"Сегодня митинг, ертең ереуіл\"}";

static void check_jsonl(const struct recs *rs)
{
    const char *l1 = "{\"text\":\"Ертең алаңға жиналамыз\"}";
    const char *l2 = "{\"text\":\"Цены на бензин опять выросли\"}";
    const char *l3 = "{\"text\":\"Bügin Almatyda jañbyr jauady\"}";
    const char *l4 = "{\"text\":\"Сегодня митинг, ертең ереуіл\"}";
    CHECK_EQ_INT(rs->rc, 0);
    CHECK_EQ_INT(rs->n, 4);
    if (rs->n != 4)
        return;
    CHECK_EQ_STR(rs->r[0].data, l1);
    CHECK_EQ_STR(rs->r[1].data, l2);
    CHECK_EQ_STR(rs->r[2].data, l3);
    CHECK_EQ_STR(rs->r[3].data, l4);
    /* Offsets are where each line starts in the (decompressed) stream. */
    CHECK_EQ_INT(rs->r[0].offset, 0);
    CHECK_EQ_INT(rs->r[1].offset, strstr(jsonl, l2) - jsonl);
    CHECK_EQ_INT(rs->r[2].offset, strstr(jsonl, l3) - jsonl);
    CHECK_EQ_INT(rs->r[3].offset, strstr(jsonl, l4) - jsonl);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_INT(rs->r[i].oversize, 0);
        CHECK_EQ_INT(rs->r[i].schema, INGEST_SCHEMA_AUTO);
    }
}

static void test_plain(void)
{
    struct recs rs;
    uint64_t bytes = 0;
    write_file("plain.jsonl", jsonl, sizeof(jsonl) - 1);
    CHECK_EQ_INT(read_all(path_of("plain.jsonl"), 0, &rs, &bytes), 0);
    check_jsonl(&rs);
    CHECK_EQ_INT(bytes, sizeof(jsonl) - 1);
    recs_free(&rs);

    /* Misnamed: a gzip file called .jsonl is still gzip (magic bytes). */
    write_gz("looks-plain.jsonl", jsonl, sizeof(jsonl) - 1, 1);
    CHECK_EQ_INT(read_all(path_of("looks-plain.jsonl"), 0, &rs, NULL), 0);
    check_jsonl(&rs);
    recs_free(&rs);

    /* Empty file, and a file of blank lines: no records. */
    write_file("empty.jsonl", "", 0);
    CHECK_EQ_INT(read_all(path_of("empty.jsonl"), 0, &rs, NULL), 0);
    CHECK_EQ_INT(rs.n, 0);
    CHECK_EQ_INT(rs.rc, 0);
    write_file("blank.jsonl", "\n\n  \r\n", 6);
    CHECK_EQ_INT(read_all(path_of("blank.jsonl"), 0, &rs, NULL), 0);
    CHECK_EQ_INT(rs.n, 0);

    /* A UTF-8 BOM is skipped; offsets still count it. */
    const char *bom = "\xEF\xBB\xBF{\"text\":\"Сәлем\"}\n{\"text\":\"Рахмет\"}\n";
    write_file("bom.jsonl", bom, strlen(bom));
    CHECK_EQ_INT(read_all(path_of("bom.jsonl"), 0, &rs, NULL), 0);
    CHECK_EQ_INT(rs.n, 2);
    if (rs.n == 2) {
        CHECK_EQ_STR(rs.r[0].data, "{\"text\":\"Сәлем\"}");
        CHECK_EQ_INT(rs.r[0].offset, 3);
        CHECK_EQ_INT(rs.r[1].offset, 25);
    }
    recs_free(&rs);
}

static void test_gzip(void)
{
    struct recs rs;
    write_gz("posts.jsonl.gz", jsonl, sizeof(jsonl) - 1, 1);
    CHECK_EQ_INT(read_all(path_of("posts.jsonl.gz"), 0, &rs, NULL), 0);
    check_jsonl(&rs);
    recs_free(&rs);

    write_gz("multi.gz", jsonl, sizeof(jsonl) - 1, 3);
    CHECK_EQ_INT(read_all(path_of("multi.gz"), 0, &rs, NULL), 0);
    check_jsonl(&rs);
    recs_free(&rs);
}

static void test_zstd(void)
{
    struct recs rs;
    uint64_t bytes = 0;
    size_t z = write_zst("posts.zst", jsonl, sizeof(jsonl) - 1);
    CHECK_EQ_INT(read_all(path_of("posts.zst"), 0, &rs, &bytes), 0);
    check_jsonl(&rs);
    CHECK_EQ_INT(bytes, z); /* compressed bytes, for progress */
    recs_free(&rs);
}

/* A long stream through a small max_record: lines longer than the limit come
 * back cut and flagged, the following lines intact with exact offsets, across
 * buffer refills and for each compression. */
static void test_oversize(void)
{
    const size_t max = 1000;
    size_t cap = 4 * 1024 * 1024, n = 0;
    char *data = malloc(cap);
    uint64_t offs[MAXR];
    size_t lens[MAXR];
    int big[MAXR], lines = 0;
    CHECK(data != NULL);
    if (!data)
        return;
    for (int i = 0; i < 40; i++) {
        size_t len = i % 5 == 2 ? 300000 + (size_t)i : i % 5 == 4 ? max + 1 : 40 + (size_t)i;
        if (i == 10)
            len = max; /* exactly the limit: fine */
        offs[lines] = n;
        lens[lines] = len;
        big[lines++] = len > max;
        for (size_t k = 0; k < len; k++)
            data[n + k] = (char)('a' + (i + (int)k) % 26);
        n += len;
        if (i % 3 == 0)
            data[n++] = '\r'; /* CRLF: the CR is not part of the record */
        data[n++] = '\n';
    }
    CHECK(n < cap);

    write_file("big.jsonl", data, n);
    write_gz("big.gz", data, n, 2);
    write_zst("big.zst", data, n);
    const char *names[] = {"big.jsonl", "big.gz", "big.zst"};
    for (int f = 0; f < 3; f++) {
        struct recs rs;
        CHECK_EQ_INT(read_all(path_of(names[f]), max, &rs, NULL), 0);
        CHECK_EQ_INT(rs.rc, 0);
        CHECK_EQ_INT(rs.n, lines);
        for (int i = 0; i < rs.n && i < lines; i++) {
            CHECK_EQ_INT(rs.r[i].offset, offs[i]);
            CHECK_EQ_INT(rs.r[i].oversize, big[i]);
            CHECK_EQ_INT(rs.r[i].len, big[i] ? max : lens[i]);
            CHECK(memcmp(rs.r[i].data, data + offs[i], rs.r[i].len) == 0);
        }
        recs_free(&rs);
    }

    /* An oversize last line without a newline. */
    const char *tail = "{\"text\":\"ok\"}\nxxxxxxxxxxxxxxxxxxxxxxxxx";
    write_file("tail.jsonl", tail, strlen(tail));
    struct recs rs;
    CHECK_EQ_INT(read_all(path_of("tail.jsonl"), 20, &rs, NULL), 0);
    CHECK_EQ_INT(rs.n, 2);
    if (rs.n == 2) {
        CHECK_EQ_INT(rs.r[1].oversize, 1);
        CHECK_EQ_INT(rs.r[1].len, 20);
        CHECK_EQ_INT(rs.r[1].offset, 14);
    }
    recs_free(&rs);
    free(data);
}

/* ---------------------------------------------------------------------------
 * Telegram Desktop exports
 * ------------------------------------------------------------------------ */

static const char export_doc[] =
    "{\n"
    " \"name\": \"Маңғыстау жаңалықтары\",\n"
    " \"type\": \"public_channel\",\n"
    " \"id\": 1001,\n"
    " \"messages\": [\n"
    "  {\n"
    "   \"id\": 1,\n"
    "   \"type\": \"message\",\n"
    "   \"date\": \"2026-03-08T14:05:00\",\n"
    "   \"date_unixtime\": \"1772960700\",\n"
    "   \"from\": \"Маңғыстау жаңалықтары\",\n"
    "   \"from_id\": \"channel1001\",\n"
    "   \"text\": \"Ақтауда су жоқ, тұрғындар әкімдікке барды\"\n"
    "  },\n"
    "  {\n"
    "   \"id\": 2,\n"
    "   \"type\": \"message\",\n"
    "   \"date_unixtime\": \"1772960760\",\n"
    "   \"text\": [\"Қосылыңыздар: \", {\"type\": \"hashtag\", \"text\": \"#ақтау\"}]\n"
    "  }\n"
    " ]\n"
    "}\n";

static int count_post(void *ctx, const struct ingest_post *p)
{
    (*(int *)ctx)++;
    CHECK_EQ_MEM(p->channel.p, p->channel.n, "Маңғыстау жаңалықтары");
    return 0;
}

static void test_telegram_export(void)
{
    struct recs rs;
    const char *names[] = {"result.json", "result.json.gz", "result.zst"};
    size_t doc_len = sizeof(export_doc) - 2; /* without the final newline */

    write_file("result.json", export_doc, sizeof(export_doc) - 1);
    write_gz("result.json.gz", export_doc, sizeof(export_doc) - 1, 1);
    write_zst("result.zst", export_doc, sizeof(export_doc) - 1);
    for (int f = 0; f < 3; f++) {
        CHECK_EQ_INT(read_all(path_of(names[f]), 0, &rs, NULL), 0);
        CHECK_EQ_INT(rs.n, 1);
        if (rs.n == 1) {
            CHECK_EQ_INT(rs.r[0].schema, INGEST_SCHEMA_TELEGRAM);
            CHECK_EQ_INT(rs.r[0].offset, 0);
            CHECK_EQ_INT(rs.r[0].len, doc_len);
            CHECK(memcmp(rs.r[0].data, export_doc, doc_len) == 0);
        }
        recs_free(&rs);
    }

    /* The record decodes into the export's messages. */
    struct ingest_source *src = NULL;
    struct ingest_decoder *dec = NULL;
    struct ingest_record r;
    char err[128];
    int posts = 0;
    CHECK_EQ_INT(ingest_source_open(path_of("result.json"), NULL, &src, err, sizeof(err)), 0);
    CHECK_EQ_INT(ingest_decoder_new(NULL, &dec), 0);
    while (src && dec && ingest_source_next(src, &r, err, sizeof(err)) == 1)
        CHECK_EQ_INT(ingest_decode(dec, &r, count_post, NULL, &posts), 0);
    CHECK_EQ_INT(posts, 2);
    ingest_decoder_free(dec);
    ingest_source_close(src);

    /* Larger than max_record but within max_document: still one whole record
     * (exports are often far larger than any single post). */
    CHECK_EQ_INT(read_all(path_of("result.json"), 100, &rs, NULL), 0);
    CHECK_EQ_INT(rs.n, 1);
    if (rs.n == 1) {
        CHECK_EQ_INT(rs.r[0].oversize, 0);
        CHECK_EQ_INT(rs.r[0].len, doc_len);
        CHECK_EQ_INT(rs.r[0].schema, INGEST_SCHEMA_TELEGRAM);
    }
    recs_free(&rs);

    /* Larger than max_document: one oversize record, not a flood of lines. */
    CHECK_EQ_INT(read_all_limits(path_of("result.json"), 100, 120, &rs, NULL), 0);
    CHECK_EQ_INT(rs.n, 1);
    if (rs.n == 1) {
        CHECK_EQ_INT(rs.r[0].oversize, 1);
        CHECK_EQ_INT(rs.r[0].len, 120);
        CHECK_EQ_INT(rs.r[0].schema, INGEST_SCHEMA_TELEGRAM);
    }
    recs_free(&rs);

    /* ... and the decoder takes a whole export up to max_document, not max_record. */
    {
        struct ingest_config cfg;
        ingest_config_default(&cfg);
        cfg.max_record = 100;
        struct ingest_decoder *d2 = NULL;
        int n2 = 0;
        struct ingest_record whole = {
            export_doc, doc_len, {"result.json", -1, 0, 0}, 1790000000000LL, INGEST_SCHEMA_TELEGRAM,
            0};
        CHECK_EQ_INT(ingest_decoder_new(&cfg, &d2), 0);
        if (d2)
            CHECK_EQ_INT(ingest_decode(d2, &whole, count_post, NULL, &n2), 0);
        CHECK_EQ_INT(n2, 2);
        ingest_decoder_free(d2);
    }
}

static void test_not_export(void)
{
    struct recs rs;

    /* JSONL whose first line is a complete object, even with "messages". */
    const char *j = "{\"messages\":[],\"name\":\"a\"}\n{\"text\":\"Сәлем\"}\n";
    write_file("first-complete.jsonl", j, strlen(j));
    CHECK_EQ_INT(read_all(path_of("first-complete.jsonl"), 0, &rs, NULL), 0);
    CHECK_EQ_INT(rs.n, 2);
    CHECK_EQ_INT(rs.r[0].schema, INGEST_SCHEMA_AUTO);
    recs_free(&rs);

    /* A pretty-printed object without "messages" is read as JSONL lines
     * (each then a bad_json dead letter). */
    const char *pretty = "\n\n{\n  \"text\": \"Бұл JSONL емес\"\n}\n";
    write_file("pretty.json", pretty, strlen(pretty));
    CHECK_EQ_INT(read_all(path_of("pretty.json"), 0, &rs, NULL), 0);
    CHECK_EQ_INT(rs.n, 3);
    if (rs.n == 3) {
        CHECK_EQ_STR(rs.r[0].data, "{");
        CHECK_EQ_INT(rs.r[0].offset, 2);
        CHECK_EQ_STR(rs.r[1].data, "  \"text\": \"Бұл JSONL емес\"");
        CHECK_EQ_INT(rs.r[1].offset, 4);
        CHECK_EQ_INT(rs.r[1].schema, INGEST_SCHEMA_AUTO);
    }
    recs_free(&rs);

    /* A broken first line that starts with '{' is just a bad line. */
    const char *broken = "{\"text\": \"жартылай\n{\"text\":\"толық\"}\n";
    write_file("broken.jsonl", broken, strlen(broken));
    CHECK_EQ_INT(read_all(path_of("broken.jsonl"), 0, &rs, NULL), 0);
    CHECK_EQ_INT(rs.n, 2);
    recs_free(&rs);
}

/* ---------------------------------------------------------------------------
 * stdin and errors
 * ------------------------------------------------------------------------ */

static void test_stdin(void)
{
    struct recs rs;
    write_gz("stdin.gz", jsonl, sizeof(jsonl) - 1, 1);
    int fd = open(path_of("stdin.gz"), O_RDONLY);
    int saved = dup(0);
    CHECK(fd >= 0 && saved >= 0);
    if (fd < 0 || saved < 0)
        return;
    CHECK_EQ_INT(dup2(fd, 0), 0);
    close(fd);
    CHECK_EQ_INT(read_all("-", 0, &rs, NULL), 0);
    check_jsonl(&rs);
    recs_free(&rs);
    dup2(saved, 0);
    close(saved);
    clearerr(stdin);
}

static void test_errors(void)
{
    struct recs rs;
    struct ingest_source *src = NULL;
    char err[256] = "";
    int rc;

    CHECK_EQ_INT(ingest_source_open(path_of("missing.jsonl"), NULL, &src, err, sizeof(err)),
                 KZ_EIO);
    CHECK(src == NULL);
    CHECK(strstr(err, "missing.jsonl") != NULL);

    /* A truncated gzip stream fails at the end, after the records it held. */
    size_t cap = 4096;
    unsigned char *buf = malloc(cap);
    z_stream z;
    memset(&z, 0, sizeof(z));
    CHECK_EQ_INT(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)jsonl;
    z.avail_in = sizeof(jsonl) - 1;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    CHECK_EQ_INT(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t zn = cap - z.avail_out;
    deflateEnd(&z);
    write_file("cut.gz", buf, zn - 6);
    CHECK_EQ_INT(read_all(path_of("cut.gz"), 0, &rs, NULL), 0);
    CHECK_EQ_INT(rs.rc, KZ_EDECODE);
    CHECK(strstr(rs.err, "truncated") != NULL);
    recs_free(&rs);

    /* Corrupt deflate data. */
    memset(buf + 12, 0xFF, 8);
    write_file("bad.gz", buf, zn);
    /* The source reads ahead at open, so the error may show there. */
    rc = read_all(path_of("bad.gz"), 0, &rs, NULL);
    CHECK(rc == KZ_EDECODE || rs.rc == KZ_EDECODE);
    CHECK(strstr(rs.err, "gzip") != NULL);
    recs_free(&rs);
    free(buf);

    /* A truncated zstd frame. */
    size_t zc = ZSTD_compressBound(sizeof(jsonl));
    void *zb = malloc(zc);
    size_t zl = ZSTD_compress(zb, zc, jsonl, sizeof(jsonl) - 1, 3);
    write_file("cut.zst", zb, zl - 5);
    rc = read_all(path_of("cut.zst"), 0, &rs, NULL);
    CHECK(rc == KZ_EDECODE || rs.rc == KZ_EDECODE);
    CHECK(strstr(rs.err, "zstd") != NULL);
    recs_free(&rs);
    free(zb);
}

static void cleanup(void)
{
    static const char *files[] = {
        "plain.jsonl", "looks-plain.jsonl",
        "empty.jsonl", "blank.jsonl",
        "bom.jsonl",   "posts.jsonl.gz",
        "multi.gz",    "posts.zst",
        "big.jsonl",   "big.gz",
        "big.zst",     "tail.jsonl",
        "result.json", "result.json.gz",
        "result.zst",  "first-complete.jsonl",
        "pretty.json", "broken.jsonl",
        "stdin.gz",    "cut.gz",
        "bad.gz",      "cut.zst",
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(files); i++)
        unlink(path_of(files[i]));
    rmdir(tmpdir);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/kzp-ingest-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_plain);
    RUN(test_gzip);
    RUN(test_zstd);
    RUN(test_oversize);
    RUN(test_telegram_export);
    RUN(test_not_export);
    RUN(test_stdin);
    RUN(test_errors);
    cleanup();
    return TAP_DONE();
}
