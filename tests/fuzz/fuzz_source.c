/*
 * fuzz_source.c -- libFuzzer target for the file source (ingest_source_open,
 * ingest_source_next): compression detection, the Telegram export detection
 * and the split of a file into records.
 *
 * The source reads a path, so each input is written to one temporary file
 * (rewritten per input, removed at exit) and read twice: with the default
 * limits and with tight ones (max_record 16, max_document 64), so the
 * oversize-line and oversize-export paths run often.  Invariants besides the
 * sanitizers: open and next fail only with a KZ_E* code and a message;
 * record offsets strictly increase; a record is never longer than its limit
 * and is cut to exactly max_record when flagged oversize (JSONL lines); an
 * export is at most one record and comes first; and for an uncompressed
 * input every record lies inside the input: offset + len <= size and its
 * bytes equal the input's bytes at its offset.
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz tests/fuzz/fuzz_source
 *   build-fuzz/tests/fuzz/fuzz_source -max_total_time=600 -dict=tests/fuzz/json.dict \
 *       /tmp/fz-source tests/fuzz/corpus_source
 * Dictionary: json.dict (tests/fuzz/run.sh passes it with -dict=).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_path[256]; /* the process's temporary file */

static void remove_tmp(void)
{
    if (g_path[0])
        unlink(g_path);
}

static const char *tmp_path(void)
{
    if (!g_path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(g_path, sizeof(g_path), "%s/kz-fuzz-source-%ld", dir && *dir ? dir : "/tmp",
                 (long)getpid());
        atexit(remove_tmp);
    }
    return g_path;
}

static int is_compressed(const uint8_t *data, size_t size)
{
    return (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) ||
           (size >= 4 && data[0] == 0x28 && data[1] == 0xb5 && data[2] == 0x2f && data[3] == 0xfd);
}

static void read_all(const char *path, const uint8_t *data, size_t size, int tight)
{
    struct ingest_config cfg;
    struct ingest_source *src = NULL;
    struct ingest_record rec;
    char err[512];
    uint64_t last_off = 0;
    int nrec = 0, rc;

    ingest_config_default(&cfg);
    if (tight) {
        cfg.max_record = 16;
        cfg.max_document = 64;
    }
    err[0] = '\0';
    rc = ingest_source_open(path, &cfg, &src, err, sizeof(err));
    if (rc) {
        if (rc > 0 || src || !err[0])
            abort(); /* a failure is a KZ_E* code, leaves nothing and says why */
        return;
    }
    for (;;) {
        err[0] = '\0';
        rc = ingest_source_next(src, &rec, err, sizeof(err));
        if (rc == 0)
            break;
        if (rc < 0) {
            if (!err[0])
                abort();
            break;
        }
        if (rc != 1 || !rec.data || rec.pos.partition != -1 || !rec.pos.source)
            abort();
        if (nrec > 0 && rec.pos.offset <= last_off)
            abort(); /* positions strictly increase */
        if (rec.schema == INGEST_SCHEMA_TELEGRAM) {
            if (nrec > 0 || rec.len > cfg.max_document)
                abort(); /* an export is the one and only record */
        } else {
            if (rec.len > cfg.max_record || (rec.oversize && rec.len != cfg.max_record))
                abort();
            if (!rec.oversize && rec.len == 0)
                abort(); /* blank lines are skipped */
        }
        if (!is_compressed(data, size) &&
            (rec.pos.offset > size || rec.len > size - rec.pos.offset ||
             memcmp(data + rec.pos.offset, rec.data, rec.len) != 0))
            abort(); /* the record is the input's bytes at its position */
        last_off = rec.pos.offset;
        nrec++;
    }
    ingest_source_close(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = tmp_path();
    FILE *f = fopen(path, "wb");

    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    if (fclose(f))
        abort();
    read_all(path, data, size, 0);
    read_all(path, data, size, 1);
    return 0;
}
