/*
 * fuzz_decode.c -- libFuzzer target: arbitrary bytes as one ingest record.
 *
 * Each input is decoded by one decoder per schema of the schema table (auto,
 * generic, telegram, vk, x), by one more in auto mode with the tightest limits,
 * and with the Telegram-export hint.  max_text is small so the truncation path
 * runs often; the extra decoder's is INGEST_MAX_TEXT_MIN, the floor, where a
 * text starting with a four-byte character is cut to just that character,
 * and its max_record is just below some inputs so too_large runs too.
 * Every post handed out is checked against the contract (NUL-terminated,
 * valid UTF-8, non-empty text within max_text) and every dead letter goes
 * through the JSON writer to /dev/null.  Decoders live for the whole run,
 * like in the pipeline, so scratch-buffer reuse between records is exercised.
 * The input is also held to UTF-8 validation by the letter of Unicode's
 * Table 3-7, one code point at a time (tests/utf8_ref.h): the validator reads
 * eight bytes at a time while it can (ingest/utf8.c).
 * The first byte of the input picks nothing: all configurations see all input.
 * Dictionary: json.dict (tests/fuzz/run.sh passes it with -dict=).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "../utf8_ref.h"

#define NDEC (INGEST_SCHEMA_COUNT + 1)

struct fuzz_state {
    struct ingest_decoder *dec[NDEC];
    size_t max_text[NDEC];
    FILE *devnull;
};

static struct fuzz_state *state(void)
{
    static struct fuzz_state st; /* libFuzzer gives no context pointer */
    static int ready;
    if (!ready) {
        for (int i = 0; i < NDEC; i++) {
            struct ingest_config cfg;
            ingest_config_default(&cfg);
            cfg.schema = (enum ingest_schema)(i % INGEST_SCHEMA_COUNT);
            cfg.max_text = i == NDEC - 1 ? INGEST_MAX_TEXT_MIN : 17 + (size_t)i * 5;
            cfg.max_record = i == NDEC - 1 ? 64 : 1 << 20;
            st.max_text[i] = cfg.max_text;
            if (ingest_decoder_new(&cfg, &st.dec[i]))
                abort();
        }
        st.devnull = fopen("/dev/null", "w");
        if (!st.devnull)
            abort();
        ready = 1;
    }
    return &st;
}

static void check_str(struct kz_str s)
{
    if (s.n == 0)
        return;
    if (!s.p || s.p[s.n] != '\0' || ingest_utf8_valid_prefix(s.p, s.n) != s.n)
        abort();
}

static int on_post(void *ctx, const struct ingest_post *p)
{
    size_t max_text = *(const size_t *)ctx;
    check_str(p->id);
    check_str(p->platform);
    check_str(p->author);
    check_str(p->channel);
    check_str(p->lang);
    check_str(p->region);
    check_str(p->url);
    check_str(p->reply_to);
    check_str(p->repost_of);
    check_str(p->text);
    if (p->text.n == 0 || p->text.n > max_text || p->text.n > p->text_full_len)
        abort();
    if (!!(p->flags & INGEST_POST_TRUNCATED) != (p->text.n < p->text_full_len))
        abort();
    return 0;
}

static int on_dead(void *ctx, const struct ingest_dead *d)
{
    (void)ctx;
    if ((unsigned)d->reason >= INGEST_DL_REASON_COUNT || !d->detail)
        abort();
    return ingest_dead_write_json(state()->devnull, d) ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_state *st = state();
    /* A private copy, so reading past `size` is caught by ASan. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    for (size_t off = 0; off < 8 && off <= size; off++) /* every alignment of its words */
        if (ingest_utf8_valid_prefix(buf + off, size - off) !=
            utf8_prefix_ref((const unsigned char *)buf + off, size - off))
            abort();

    for (int i = 0; i < NDEC + 1; i++) {
        int d = i < NDEC ? i : 0;
        struct ingest_record rec;
        memset(&rec, 0, sizeof(rec));
        rec.data = buf;
        rec.len = size;
        rec.pos.source = "fuzz";
        rec.pos.partition = -1;
        rec.arrival_ms = 1772960700000LL;
        rec.schema = i < NDEC ? INGEST_SCHEMA_AUTO : INGEST_SCHEMA_TELEGRAM;

        const struct ingest_stats *s = ingest_decoder_stats(st->dec[d]);
        uint64_t before = s->elements;
        int rc = ingest_decode(st->dec[d], &rec, on_post, on_dead, &st->max_text[d]);
        if (rc != 0 && rc != KZ_ENOMEM)
            abort();
        if (s->elements == before)
            abort(); /* every record accounts for at least one element */
        uint64_t dead = 0;
        for (int r = 0; r < INGEST_DL_REASON_COUNT; r++)
            dead += s->dead[r];
        if (s->elements != s->posts + dead + s->skipped_service + s->skipped_empty)
            abort();
    }

    /* The whole input also as a dead letter's raw bytes. */
    struct ingest_dead dl;
    memset(&dl, 0, sizeof(dl));
    dl.reason = INGEST_DL_BAD_JSON;
    dl.detail = "fuzz";
    dl.pos.source = buf[0] ? "fuzz" : "";
    dl.pos.partition = -1;
    dl.raw = buf;
    dl.raw_len = size;
    ingest_dead_write_json(st->devnull, &dl);

    /* And as a timestamp. */
    int64_t ms;
    ingest_parse_time(buf, size, &ms);
    free(buf);
    return 0;
}
