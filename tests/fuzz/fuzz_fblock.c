/*
 * fuzz_fblock.c -- libFuzzer target for the block of facts
 * (pipeline/fblock.c) that carries analysed posts from the walkers and the
 * stream loop to the applier thread.  Only fblock_put writes a block, but
 * its reader is a decoder of bytes like any other, and must hold on any.
 *
 * Each input is (1) read as a block: fblock_next ends in posts whose views
 * lie inside the block, then 0 or KZ_EDECODE, and allocates no more than the
 * bytes can describe; (2) cut into the facts of a post (counts from the
 * first byte, the time from the next eight, the strings split at '\n'),
 * written twice into one block and once into a second that is appended to
 * it, and read back: three posts equal to the one put in, then the end.
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz tests/fuzz/fuzz_fblock
 *   build-fuzz/tests/fuzz/fuzz_fblock -max_total_time=600 /tmp/fz-fblock tests/fuzz/corpus_fblock
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(struct kz_str s, const char *p, size_t n)
{
    return s.n == 0 || (s.p >= p && s.p + s.n <= p + n);
}

static int same(struct kz_str a, struct kz_str b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static void read_any(const uint8_t *data, size_t size)
{
    struct fblock b = {(char *)(uintptr_t)data, size, size, 0};
    struct fblock_reader r = {0};
    struct agg_facts f;
    int rc;

    fblock_read(&r, &b);
    while ((rc = fblock_next(&r, &f)) == 1) {
        const struct kz_str one[] = {f.platform, f.lang,   f.region, f.author, f.channel,
                                     f.city,     f.stance, f.id,     f.text};
        for (size_t i = 0; i < sizeof one / sizeof *one; i++)
            if (!inside(one[i], b.buf, b.len))
                abort();
        for (size_t i = 0; i < f.ntopics + f.nhashtags + f.nterms; i++)
            if (!inside(f.topics[i], b.buf, b.len))
                abort();
        for (size_t i = 0; i < f.nevidence; i++)
            if (!inside(f.evidence[i].category, b.buf, b.len) ||
                !inside(f.evidence[i].rule, b.buf, b.len) ||
                !inside(f.evidence[i].match, b.buf, b.len))
                abort();
        /* every string costs its 4-byte length at least */
        if (r.cap_strs > size / 4 || r.cap_ev > size / 12)
            abort();
    }
    if (rc != 0 && rc != KZ_EDECODE)
        abort();
    fblock_reader_free(&r);
}

static struct kz_str next_piece(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *s = *p, *nl;

    if (s >= end)
        return KZ_STR_NULL;
    nl = memchr(s, '\n', (size_t)(end - s));
    *p = nl ? nl + 1 : end;
    return kz_str_make((const char *)s, (size_t)((nl ? nl : end) - s));
}

static void equal_or_abort(const struct agg_facts *a, const struct agg_facts *b)
{
    const struct kz_str x[] = {a->platform, a->lang,   a->region, a->author, a->channel,
                               a->city,     a->stance, a->id,     a->text};
    const struct kz_str y[] = {b->platform, b->lang,   b->region, b->author, b->channel,
                               b->city,     b->stance, b->id,     b->text};

    if (a->ts_ms != b->ts_ms || a->undated != b->undated || a->mobilization != b->mobilization ||
        a->ntopics != b->ntopics || a->nhashtags != b->nhashtags || a->nterms != b->nterms ||
        a->nevidence != b->nevidence)
        abort();
    for (size_t i = 0; i < sizeof x / sizeof *x; i++)
        if (!same(x[i], y[i]))
            abort();
    for (size_t i = 0; i < a->ntopics; i++)
        if (!same(a->topics[i], b->topics[i]))
            abort();
    for (size_t i = 0; i < a->nhashtags; i++)
        if (!same(a->hashtags[i], b->hashtags[i]))
            abort();
    for (size_t i = 0; i < a->nterms; i++)
        if (!same(a->terms[i], b->terms[i]))
            abort();
    for (size_t i = 0; i < a->nevidence; i++)
        if (!same(a->evidence[i].category, b->evidence[i].category) ||
            !same(a->evidence[i].rule, b->evidence[i].rule) ||
            !same(a->evidence[i].match, b->evidence[i].match))
            abort();
}

static void round_trip(const uint8_t *data, size_t size)
{
    struct kz_str topics[3], hashtags[3], terms[3];
    struct agg_evidence ev[3];
    struct agg_facts f = {0}, g;
    struct fblock a = {0}, b = {0};
    struct fblock_reader r = {0};
    const uint8_t *p, *end = data + size;

    if (size < 9)
        return;
    f.ntopics = data[0] & 3u;
    f.nhashtags = (data[0] >> 2) & 3u;
    f.nterms = (data[0] >> 4) & 3u;
    f.nevidence = (data[0] >> 6) & 3u;
    memcpy(&f.ts_ms, data + 1, 8);
    f.undated = (int)(f.ts_ms & 1);
    f.mobilization = (int)((f.ts_ms >> 1) & 1);
    p = data + 9;
    f.platform = next_piece(&p, end);
    f.lang = next_piece(&p, end);
    f.region = next_piece(&p, end);
    f.author = next_piece(&p, end);
    f.channel = next_piece(&p, end);
    f.city = next_piece(&p, end);
    f.stance = next_piece(&p, end);
    f.id = next_piece(&p, end);
    for (size_t i = 0; i < 3; i++) {
        topics[i] = next_piece(&p, end);
        hashtags[i] = next_piece(&p, end);
        terms[i] = next_piece(&p, end);
        ev[i].category = next_piece(&p, end);
        ev[i].rule = next_piece(&p, end);
        ev[i].match = next_piece(&p, end);
    }
    f.text = kz_str_make((const char *)p, (size_t)(end - p)); /* the rest */
    f.topics = topics;
    f.hashtags = hashtags;
    f.terms = terms;
    f.evidence = ev;

    if (fblock_put(&a, &f) || fblock_put(&a, &f) || fblock_put(&b, &f) || fblock_append(&a, &b))
        abort(); /* no allocation here comes near the limits */
    if (a.nposts != 3 || b.nposts != 1)
        abort();
    fblock_read(&r, &a);
    for (int i = 0; i < 3; i++) {
        if (fblock_next(&r, &g) != 1)
            abort();
        equal_or_abort(&f, &g);
    }
    if (fblock_next(&r, &g) != 0)
        abort();
    fblock_reset(&a);
    fblock_read(&r, &a);
    if (fblock_next(&r, &g) != 0)
        abort();
    fblock_reader_free(&r);
    fblock_free(&a);
    fblock_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_any(data, size);
    round_trip(data, size);
    return 0;
}
