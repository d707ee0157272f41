/*
 * decode_diff.h -- for the differential tests of ingest's two decoders
 * (test_ingest_pull.c, fuzz/fuzz_decode_diff.c): NCONF configurations, a
 * pair of decoders for each (the tape as programs use it, and jansson alone
 * through ingest_test.h's switch), and the canonical text of everything one
 * record gives a decoder -- the return code, every post with every field,
 * every dead letter with reason, detail, raw bytes and index, and the change
 * in every counter -- so that two decoders agree exactly when their texts are
 * the same bytes.
 */
#ifndef KZ_TESTS_DECODE_DIFF_H
#define KZ_TESTS_DECODE_DIFF_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "ingest_test.h"

#define ARRIVAL 1772964300000LL /* 2026-03-08T10:05:00Z */

/* ---------------------------------------------------------------------------
 * Canonical outcome text
 * ------------------------------------------------------------------------ */

struct buf {
    char *p;
    size_t n, cap;
};

static inline void put(struct buf *b, const void *s, size_t n)
{
    if (b->cap - b->n < n + 1) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap - b->n < n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p)
            abort();
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static inline void put_cstr(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static inline void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline void putf(struct buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A string with its length, then its bytes, then a check of its NUL. */
static inline void put_str(struct buf *b, const char *name, struct kz_str s)
{
    putf(b, " %s[%zu]=", name, s.n);
    if (s.n)
        put(b, s.p, s.n);
    if (s.n && s.p[s.n] != '\0')
        put(b, "<no NUL>", 8);
}

static inline int on_post(void *ctx, const struct ingest_post *p)
{
    struct buf *b = ctx;
    put(b, "post", 4);
    put_str(b, "id", p->id);
    put_str(b, "platform", p->platform);
    put_str(b, "author", p->author);
    put_str(b, "channel", p->channel);
    put_str(b, "lang", p->lang);
    put_str(b, "region", p->region);
    put_str(b, "url", p->url);
    put_str(b, "reply_to", p->reply_to);
    put_str(b, "repost_of", p->repost_of);
    put_str(b, "text", p->text);
    putf(b, " full=%zu ts=%lld views=%lld likes=%lld shares=%lld flags=%u schema=%d",
         p->text_full_len, (long long)p->ts_ms, (long long)p->views, (long long)p->likes,
         (long long)p->shares, (unsigned)p->flags, (int)p->schema);
    putf(b, " pos=%s/%d/%llu/%u\n", p->pos.source, (int)p->pos.partition,
         (unsigned long long)p->pos.offset, (unsigned)p->pos.index);
    return 0;
}

static inline int on_dead(void *ctx, const struct ingest_dead *d)
{
    struct buf *b = ctx;
    putf(b, "dead %s index=%u detail=", ingest_dl_reason_name(d->reason), (unsigned)d->pos.index);
    put(b, d->detail, strlen(d->detail));
    putf(b, " raw[%zu]=", d->raw_len);
    if (d->raw_len)
        put(b, d->raw, d->raw_len);
    put(b, "\n", 1);
    return 0;
}

static inline void put_stats(struct buf *b, const struct ingest_stats *s0,
                             const struct ingest_stats *s1)
{
    putf(b,
         "stats records+%llu posts+%llu elements+%llu trunc+%llu arrival+%llu service+%llu "
         "empty+%llu dead",
         (unsigned long long)(s1->records - s0->records),
         (unsigned long long)(s1->posts - s0->posts),
         (unsigned long long)(s1->elements - s0->elements),
         (unsigned long long)(s1->truncated - s0->truncated),
         (unsigned long long)(s1->ts_arrival - s0->ts_arrival),
         (unsigned long long)(s1->skipped_service - s0->skipped_service),
         (unsigned long long)(s1->skipped_empty - s0->skipped_empty));
    for (int r = 0; r < INGEST_DL_REASON_COUNT; r++)
        putf(b, " %llu", (unsigned long long)(s1->dead[r] - s0->dead[r]));
    put(b, " schema", 7);
    for (int s = 0; s < INGEST_SCHEMA_COUNT; s++)
        putf(b, " %llu", (unsigned long long)(s1->by_schema[s] - s0->by_schema[s]));
    put(b, "\n", 1);
}

/* ---------------------------------------------------------------------------
 * The decoders: auto with the defaults, each forced schema, the tightest
 * limits, and a max_text that cuts many texts.  (A record with the Telegram
 * export hint never reaches the tape: decode.c gives it to jansson.)
 * ------------------------------------------------------------------------ */

#define NCONF (INGEST_SCHEMA_COUNT + 2)

static struct ingest_decoder *pull_dec[NCONF], *dom_dec[NCONF];
static struct buf out_pull, out_dom;

static inline void setup(void)
{
    for (int i = 0; i < NCONF; i++) {
        struct ingest_config cfg;
        ingest_config_default(&cfg);
        if (i < INGEST_SCHEMA_COUNT)
            cfg.schema = (enum ingest_schema)i;
        if (i == INGEST_SCHEMA_COUNT) { /* the tightest limits */
            cfg.max_text = INGEST_MAX_TEXT_MIN;
            cfg.max_record = 96;
        }
        if (i == INGEST_SCHEMA_COUNT + 1)
            cfg.max_text = 50;
        if (ingest_decoder_new(&cfg, &pull_dec[i]) || ingest_decoder_new(&cfg, &dom_dec[i]))
            abort();
        ingest_decoder_use_dom(dom_dec[i], 1);
    }
}

static inline void teardown(void)
{
    for (int i = 0; i < NCONF; i++) {
        ingest_decoder_free(pull_dec[i]);
        ingest_decoder_free(dom_dec[i]);
    }
    free(out_pull.p);
    free(out_dom.p);
}

static inline void decode_into(struct ingest_decoder *dec, struct buf *b, const char *data,
                               size_t len)
{
    struct ingest_record rec;
    struct ingest_stats s0 = *ingest_decoder_stats(dec);

    memset(&rec, 0, sizeof(rec));
    rec.data = data;
    rec.len = len;
    rec.pos.source = "t";
    rec.pos.partition = -1;
    rec.pos.offset = 7;
    rec.arrival_ms = ARRIVAL;
    rec.schema = INGEST_SCHEMA_AUTO;
    b->n = 0;
    put(b, "", 0);
    int rc = ingest_decode(dec, &rec, on_post, on_dead, b);
    putf(b, "rc %d\n", rc);
    put_stats(b, &s0, ingest_decoder_stats(dec));
}

#endif /* KZ_TESTS_DECODE_DIFF_H */
