/*
 * fuzz_sample.c -- libFuzzer target for the sample-post records
 * (aggregate/samples.c): agg_sample_decode() reads records back from Redis,
 * where anything may have been written, agg_evidence_next() walks their
 * evidence, agg_snippet() cuts any text.
 *
 * Each input is (1) decoded as a record, its evidence walked; (2) cut into a
 * snippet; (3) split into the fields of a post (id, author, text, three
 * pieces of evidence) that go through a batch into the in-process store and
 * come back as a sample.  Invariants besides the sanitizers: decoded fields
 * lie inside the record; a snippet is well-formed UTF-8 of at most
 * AGG_SNIPPET_CHARS characters with no control byte and no leading, trailing
 * or double space; a stored record fits AGG_SAMPLE_REC_MAX, its evidence
 * AGG_SAMPLE_EVIDENCE_MAX, and it decodes to the time and snippet put in.
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz tests/fuzz/fuzz_sample
 *   build-fuzz/tests/fuzz/fuzz_sample -max_total_time=600 /tmp/fz-sample tests/fuzz/corpus_sample
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(struct kz_str f, const char *p, size_t n)
{
    return f.n == 0 || (f.p >= p && f.p + f.n <= p + n);
}

/* Characters of a well-formed UTF-8 string, or -1. */
static long chars_of(const unsigned char *s, size_t n)
{
    long c = 0;

    for (size_t i = 0; i < n; c++) {
        size_t len = s[i] < 0x80                    ? 1
                     : s[i] >= 0xC2 && s[i] <= 0xDF ? 2
                     : s[i] >= 0xE0 && s[i] <= 0xEF ? 3
                     : s[i] >= 0xF0 && s[i] <= 0xF4 ? 4
                                                    : 0;
        if (!len || i + len > n)
            return -1;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return -1;
        i += len;
    }
    return c;
}

static void check_snippet(const char *s, size_t n)
{
    long c = chars_of((const unsigned char *)s, n);

    if (c < 0 || c > AGG_SNIPPET_CHARS)
        abort();
    if (n && (s[0] == ' ' || s[n - 1] == ' '))
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (s[i] == ' ' && i + 1 < n && s[i + 1] == ' '))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct agg_sample s;
    struct agg_evidence e;
    char *snip = malloc(4 * AGG_SNIPPET_CHARS);

    if (!snip)
        abort();
    /* (1) a record from anywhere */
    if (agg_sample_decode(p, size, &s) == 0) {
        struct kz_str rest = s.evidence;
        size_t k = 0;

        if (!inside(s.id, p, size) || !inside(s.author, p, size) || !inside(s.platform, p, size) ||
            !inside(s.region, p, size) || !inside(s.snippet, p, size) ||
            !inside(s.evidence, p, size))
            abort();
        while (agg_evidence_next(&rest, &e)) {
            if (!inside(e.category, p, size) || !inside(e.rule, p, size) ||
                !inside(e.match, p, size) || ++k > size + 1)
                abort();
        }
    }
    /* (2) any text into a snippet */
    check_snippet(snip, agg_snippet(snip, p, size));

    /* (3) the input as a post's fields, through a batch and the in-process
     * store (the record is what every store keeps), decoded again */
    {
        static const struct kz_str topic = {"t", 1};
        size_t a = size / 8, b = size / 4, ns;
        struct agg_evidence ev[3] = {
            {kz_str_make(p, a), kz_str_make(p + a, a), kz_str_make(p + 2 * a, b)},
            {kz_str_make(p + b, size - b), kz_str_make(p, 0), kz_str_make(p, size)},
            {kz_str_make(p, size), kz_str_make(p, size), kz_str_make(p, size)},
        };
        struct agg_facts f = {
            .ts_ms = 1700000000000LL + (int64_t)(size % 1000),
            .id = kz_str_make(p, a),
            .author = kz_str_make(p + a, a),
            .platform = kz_str_make(p, size),
            .region = kz_str_make("kz", 2),
            .topics = &topic,
            .ntopics = 1,
            .text = kz_str_make(p + b, size - b),
            .evidence = ev,
            .nevidence = 3,
        };
        struct agg_batch *batch = NULL;
        struct agg_store *st = NULL;
        struct agg_posts ps = {0};
        char err[128];

        ns = agg_snippet(snip, f.text.p, f.text.n);
        if (agg_batch_new(&batch) || agg_store_mem_new(NULL, &st))
            abort();
        if (agg_batch_add(batch, &f) != 0 || agg_store_apply(st, batch, NULL, 0, err, sizeof err) ||
            agg_store_posts(st, "topic:t", 0, INT64_MAX, 0, &ps, err, sizeof err) || ps.n != 1)
            abort();
        if (ps.items[0].len > AGG_SAMPLE_REC_MAX || ps.items[0].s.ts_ms != f.ts_ms ||
            ps.items[0].s.snippet.n != ns || memcmp(ps.items[0].s.snippet.p, snip, ns) != 0 ||
            ps.items[0].s.evidence.n > AGG_SAMPLE_EVIDENCE_MAX)
            abort();
        agg_posts_free(&ps);
        agg_store_free(st);
        agg_batch_free(batch);
    }
    free(snip);
    return 0;
}
