/* test_aggregate_samples.c -- sample posts: snippets, records, the batch's cap, the in-process
 * store.
 *
 * The drill-down behind a count must be honest and bounded: a snippet keeps
 * at most 280 characters of well-formed UTF-8 whatever the text; a record
 * decodes back to what went in; a batch keeps the first 20 posts per (minute,
 * dimension) in the order they came, whatever else arrives; the in-process
 * store keeps the first 20 across batches, adds nothing for a duplicate
 * batch, and answers newest first.  Texts are realistic Kazakh and Russian
 * posts about a rally in Zhanaozen and the war.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "tap.h"

#define S(lit) kz_str_make(lit, sizeof(lit) - 1)

static struct kz_str cs(const char *s)
{
    return s ? kz_str_make(s, strlen(s)) : KZ_STR_NULL;
}

/* Characters (code points) of well-formed UTF-8; -1 if it is not. */
static long u8_chars(const char *p, size_t n)
{
    long chars = 0;

    for (size_t i = 0; i < n; chars++) {
        unsigned char c = (unsigned char)p[i];
        size_t len = c < 0x80                 ? 1
                     : c >= 0xC2 && c <= 0xDF ? 2
                     : c >= 0xE0 && c <= 0xEF ? 3
                     : c >= 0xF0 && c <= 0xF4 ? 4
                                              : 0;
        if (!len || i + len > n)
            return -1;
        for (size_t k = 1; k < len; k++)
            if (((unsigned char)p[i + k] & 0xC0) != 0x80)
                return -1;
        i += len;
    }
    return chars;
}

/* ---------------------------------------------------------------------------
 * Snippets
 * ------------------------------------------------------------------------ */

static void test_snippet_short(void)
{
    char out[4 * AGG_SNIPPET_CHARS];
    const char *o = out; /* a pointer: tap.h tests it for NULL */
    const char *in = "  Ертең   сағат 12-де\n\tалаңға\u00a0жиналамыз!\r\n ";
    size_t n = agg_snippet(out, in, strlen(in));

    CHECK_EQ_MEM(o, n, "Ертең сағат 12-де алаңға жиналамыз!");
    n = agg_snippet(out, "", 0);
    CHECK_EQ_INT(n, 0);
    n = agg_snippet(out, " \n\t\u2028 ", strlen(" \n\t\u2028 "));
    CHECK_EQ_INT(n, 0);
}

static void test_snippet_long_cyrillic(void)
{
    char in[8192], out[4 * AGG_SNIPPET_CHARS];
    const char *sentence = "Жаңаөзенде мұнайшылар тағы да алаңға шықты, талаптары орындалмаған. ";
    size_t n = 0, len = strlen(sentence), got;

    while (n + len < sizeof in) {
        memcpy(in + n, sentence, len);
        n += len;
    }
    got = agg_snippet(out, in, n);
    CHECK_EQ_INT(u8_chars(out, got), AGG_SNIPPET_CHARS);
    CHECK(got >= 3 && memcmp(out + got - 3, "\xe2\x80\xa6", 3) == 0); /* ends in … */
    CHECK(memcmp(out, "Жаңаөзенде мұнайшылар", strlen("Жаңаөзенде мұнайшылар")) == 0);
    /* Exactly 280 characters: kept whole, no ellipsis. */
    {
        char exact[4 * AGG_SNIPPET_CHARS];
        size_t k = 0;

        for (int i = 0; i < AGG_SNIPPET_CHARS; i++) {
            memcpy(exact + k, "ж", 2);
            k += 2;
        }
        got = agg_snippet(out, exact, k);
        CHECK_EQ_INT(got, k);
        CHECK_EQ_INT(u8_chars(out, got), AGG_SNIPPET_CHARS);
        /* 281: cut to 279 and the ellipsis */
        memcpy(in, exact, k);
        memcpy(in + k, "ж", 2);
        got = agg_snippet(out, in, k + 2);
        CHECK_EQ_INT(u8_chars(out, got), AGG_SNIPPET_CHARS);
        CHECK_EQ_INT(got, 279 * 2 + 3);
    }
}

static void test_snippet_invalid_cuts(void)
{
    char out[4 * AGG_SNIPPET_CHARS];
    const char *o = out;
    /* A text cut inside a character (the first byte of "ң" left at the end),
     * a stray continuation byte, an overlong "/" and a surrogate: all skipped. */
    const char text[] = "Митинг ертең\xd2 \x80алаңда \xc0\xaf\xed\xa0\x80 болады\xd2";
    size_t n = agg_snippet(out, text, sizeof text - 1);

    CHECK(u8_chars(out, n) >= 0);
    CHECK_EQ_MEM(o, n, "Митинг ертең алаңда болады");
    /* Every prefix of a long text, cut at every byte, gives well-formed UTF-8
     * of at most 280 characters. */
    {
        char in[3000];
        size_t k = 0;
        int bad = 0;

        const char *chunk = "Соғысқа жоқ! Нет войне! 🇰🇿 ";
        size_t cn = strlen(chunk);

        while (k + cn <= sizeof in) {
            memcpy(in + k, chunk, cn);
            k += cn;
        }
        for (size_t cut = 0; cut <= k; cut++) {
            size_t m = agg_snippet(out, in, cut);
            long c = u8_chars(out, m);

            bad += c < 0 || c > AGG_SNIPPET_CHARS;
        }
        CHECK_EQ_INT(bad, 0);
    }
}

/* The snippet rule written the slow, obvious way: decode (skipping malformed
 * bytes), collapse whitespace, trim, and over 280 characters keep 279 (less
 * a space at the end) and an ellipsis. */
static size_t ref_len(const unsigned char *s, size_t n, unsigned long *cp)
{
    unsigned c = s[0];
    size_t len = c < 0x80                 ? 1
                 : c >= 0xC2 && c <= 0xDF ? 2
                 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4
                                          : 0;
    unsigned long v = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;

    if (!len || len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) ||
        (len == 4 && (v < 0x10000 || v > 0x10FFFF)))
        return 0;
    *cp = v;
    return len;
}

static size_t ref_snippet(char *dst, const char *text, size_t n)
{
    static size_t start[8192], clen[8192];
    static char buf[8192 * 4];
    const unsigned char *s = (const unsigned char *)text;
    size_t nc = 0, o = 0;
    int pend = 0;

    for (size_t i = 0; i < n;) {
        unsigned long cp;
        size_t len = ref_len(s + i, n - i, &cp);

        if (!len) {
            i++;
            continue;
        }
        if (cp <= 0x20 || cp == 0x7F || cp == 0x85 || cp == 0xA0 ||
            (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
            cp == 0x205F || cp == 0x3000) {
            pend = nc > 0;
            i += len;
            continue;
        }
        if (pend) {
            start[nc] = o, clen[nc++] = 1;
            buf[o++] = ' ';
            pend = 0;
        }
        start[nc] = o, clen[nc++] = len;
        memcpy(buf + o, s + i, len);
        o += len;
        i += len;
    }
    if (nc <= AGG_SNIPPET_CHARS) {
        memcpy(dst, buf, o);
        return o;
    }
    nc = AGG_SNIPPET_CHARS - 1;
    if (buf[start[nc - 1]] == ' ')
        nc--;
    o = start[nc - 1] + clen[nc - 1];
    memcpy(dst, buf, o);
    memcpy(dst + o, "\xe2\x80\xa6", 3);
    return o + 3;
}

/* Texts built from pieces of real posts, spaces of every kind and broken
 * bytes, at every length around the cut: the fast snippet equals the rule. */
static void test_snippet_reference(void)
{
    static const char *const pieces[] = {"Жаңаөзен",     "митинг",   "ертең",
                                         "12:00-де",     "алаңға",   "шығамыз!",
                                         "Нет войне",    "#Қаңтар",  "@aktau_online",
                                         "t.me/x/1",     "🇰🇿",       "✊",
                                         "erteng",       "qazaq",    "ï",
                                         "café",         " ",        "  ",
                                         "\n",           "\t",       "\xc2\xa0",
                                         "\xe2\x80\xa8", "\xd2",     "\x80",
                                         "\xc0\xaf",     "\xf0\x9f", "Ә",
                                         "Ұлы",          "Ё",        "я"};
    char in[6000], a[4 * AGG_SNIPPET_CHARS], b[4 * AGG_SNIPPET_CHARS];
    uint64_t st = 0x6b7a2026;
    int bad = 0, cases = 0;

    for (int t = 0; t < 3000; t++) {
        size_t n = 0, target = 200 + (size_t)(t % 700);

        while (n < target) {
            const char *p;

            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            p = pieces[(st >> 33) % KZ_ARRAY_LEN(pieces)];
            if (n + strlen(p) >= sizeof in)
                break;
            memcpy(in + n, p, strlen(p));
            n += strlen(p);
            if ((st >> 20) % 3 == 0)
                in[n++] = ' ';
        }
        for (size_t cut = n > 40 ? n - 40 : 0; cut <= n; cut += 7) {
            size_t la = agg_snippet(a, in, cut), lb = ref_snippet(b, in, cut);

            cases++;
            if (la != lb || memcmp(a, b, la) != 0) {
                if (bad++ < 3)
                    fprintf(stderr, "case %d: got \"%.*s\"\n want \"%.*s\"\n", t, (int)la, a,
                            (int)lb, b);
            }
        }
    }
    CHECK(cases > 10000);
    CHECK_EQ_INT(bad, 0);

    /* Plain texts (words and single spaces: the copy at once) of every
     * length up to past the cut, and the same with one thing that is not
     * plain put in at each place: a double space, a tab, NBSP, a broken byte. */
    {
        static const char *const words[] = {
            "Жаңаөзен", "митинг", "ертең", "12:00-де", "алаңға", "шығамыз!", "Нет", "войне",
            "#Қаңтар",  "🇰🇿",     "✊",     "café",     "ï",      "«Қаңтар»", "—",   "x"};
        static const char *const odd[] = {"  ", "\t", "\xc2\xa0", "\xd2", "\xe2\x80\xa8", " "};
        int plain_cases = 0;

        bad = 0;
        for (int t = 0; t < 400; t++) {
            size_t n = 0;

            while (n < 1400) {
                const char *w;
                st = st * 6364136223846793005ULL + 1442695040888963407ULL;
                w = words[(st >> 33) % KZ_ARRAY_LEN(words)];
                if (n)
                    in[n++] = ' ';
                memcpy(in + n, w, strlen(w));
                n += strlen(w);
            }
            for (size_t cut = 1; cut < n; cut += 1 + (size_t)(t % 5)) {
                char buf[1500];
                size_t m = cut, la, lb;

                if ((t & 1) && cut > 2) { /* one odd piece inside, at a place that moves */
                    const char *o = odd[(size_t)t / 2 % KZ_ARRAY_LEN(odd)];
                    size_t at = 1 + (cut * 7) % (cut - 1), ol = strlen(o);
                    memcpy(buf, in, at);
                    memcpy(buf + at, o, ol);
                    memcpy(buf + at + ol, in + at, cut - at);
                    m = cut + ol;
                } else {
                    memcpy(buf, in, cut);
                }
                la = agg_snippet(a, buf, m);
                lb = ref_snippet(b, buf, m);
                plain_cases++;
                if (la != lb || memcmp(a, b, la) != 0) {
                    if (bad++ < 3)
                        fprintf(stderr, "plain case %d/%zu: got \"%.*s\"\n want \"%.*s\"\n", t, cut,
                                (int)la, a, (int)lb, b);
                }
            }
        }
        CHECK(plain_cases > 50000);
        CHECK_EQ_INT(bad, 0);
    }
}

/* ---------------------------------------------------------------------------
 * Records through a batch
 * ------------------------------------------------------------------------ */

/* 2026-03-02 09:15:00 UTC */
#define T0 1772442900000LL
#define MIN 60000LL

struct collected {
    char line[64][1024];
    size_t n;
};

static int on_sample(void *ctx, int64_t minute, struct kz_str dim, struct kz_str rec)
{
    struct collected *c = ctx;
    struct agg_sample s;

    if (c->n == 64)
        return 0;
    if (agg_sample_decode(rec.p, rec.n, &s))
        return -1;
    snprintf(c->line[c->n++], sizeof c->line[0], "%lld %.*s %.*s", (long long)minute, (int)dim.n,
             dim.p, (int)s.id.n, s.id.p);
    return 0;
}

static void call(struct agg_batch *b, int64_t ts, const char *id, const char *author)
{
    static const struct kz_str topics[] = {{"protest", 7}};
    const struct agg_evidence call_ev[] = {
        {S("cue/call_to_action"), S("\"алаңға шығамыз\""), S("алаңға шығамыз")},
        {S("cue/time"), S("ертең"), S("ертең")},
    };
    const char *text = "Мұнайшылардың талабы орындалмаса, ертең сағат 11:00-де\tалаңға шығамыз!";
    struct agg_facts f = {
        .ts_ms = ts,
        .platform = S("telegram"),
        .lang = S("kk"),
        .region = S("mangystau"),
        .author = cs(author),
        .topics = topics,
        .ntopics = 1,
        .mobilization = 1,
        .id = cs(id),
        .text = cs(text),
        .evidence = call_ev,
        .nevidence = KZ_ARRAY_LEN(call_ev),
    };

    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
}

static void test_record_roundtrip(void)
{
    struct agg_batch *b = NULL;
    struct collected c = {0};

    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!b)
        return;
    call(b, T0 + 5000, "tg:zhanaozen_live/5501", "aktau\tnews\n");
    /* one post, kept for topic:protest, region:mangystau and mob:call: one record */
    CHECK_EQ_INT(agg_batch_samples(b), 3);
    CHECK_EQ_INT(agg_batch_foreach_sample(b, on_sample, &c), 0);
    CHECK_EQ_INT(c.n, 3);
    CHECK_EQ_STR(c.line[0], "1772442900000 region:mangystau tg:zhanaozen_live/5501");
    CHECK_EQ_STR(c.line[1], "1772442900000 mob:call tg:zhanaozen_live/5501");
    CHECK_EQ_STR(c.line[2], "1772442900000 topic:protest tg:zhanaozen_live/5501");

    /* The record's fields: control bytes in the author are spaces now. */
    {
        struct agg_posts ps = {0};
        struct agg_store *st = NULL;
        struct agg_evidence e;
        struct kz_str ev;
        char err[256];

        CHECK_EQ_INT(agg_store_mem_new(NULL, &st), 0);
        CHECK_EQ_INT(agg_store_apply(st, b, NULL, 0, err, sizeof err), 0);
        CHECK_EQ_INT(agg_store_posts(st, "mob:call", T0, T0 + MIN, 0, &ps, err, sizeof err), 0);
        CHECK_EQ_INT(ps.n, 1);
        if (ps.n == 1) {
            const struct agg_sample *s = &ps.items[0].s;

            CHECK_EQ_INT(s->ts_ms, T0 + 5000);
            CHECK_EQ_MEM(s->id.p, s->id.n, "tg:zhanaozen_live/5501");
            CHECK_EQ_MEM(s->author.p, s->author.n, "aktau news ");
            CHECK_EQ_MEM(s->platform.p, s->platform.n, "telegram");
            CHECK_EQ_MEM(s->region.p, s->region.n, "mangystau");
            CHECK_EQ_MEM(s->snippet.p, s->snippet.n,
                         "Мұнайшылардың талабы орындалмаса, ертең сағат 11:00-де алаңға шығамыз!");
            ev = s->evidence;
            CHECK_EQ_INT(agg_evidence_next(&ev, &e), 1);
            CHECK_EQ_MEM(e.category.p, e.category.n, "cue/call_to_action");
            CHECK_EQ_MEM(e.rule.p, e.rule.n, "\"алаңға шығамыз\"");
            CHECK_EQ_MEM(e.match.p, e.match.n, "алаңға шығамыз");
            CHECK_EQ_INT(agg_evidence_next(&ev, &e), 1);
            CHECK_EQ_MEM(e.category.p, e.category.n, "cue/time");
            CHECK_EQ_INT(agg_evidence_next(&ev, &e), 0);
        }
        agg_posts_free(&ps);
        /* Not a sampled dimension: refused, not an empty answer. */
        CHECK_EQ_INT(agg_store_posts(st, "topic:protest|region:mangystau", T0, T0 + MIN, 0, &ps,
                                     err, sizeof err),
                     KZ_EINVAL);
        CHECK(strstr(err, "mob:call") != NULL);
        CHECK_EQ_INT(agg_store_posts(st, "lang:kk", T0, T0 + MIN, 0, &ps, err, sizeof err),
                     KZ_EINVAL);
        agg_store_free(st);
    }
    agg_batch_free(b);

    /* Not records: no crash, KZ_EDECODE. */
    {
        struct agg_sample s;

        CHECK_EQ_INT(agg_sample_decode("", 0, &s), KZ_EDECODE);
        CHECK_EQ_INT(agg_sample_decode("12\ta\tb", 7, &s), KZ_EDECODE);
        CHECK_EQ_INT(agg_sample_decode("x\ta\tb\tc\td\te\tf", 13, &s), KZ_EDECODE);
        CHECK_EQ_INT(agg_sample_decode("1\ta\tb\tc\td\te\tf\tg", 15, &s), KZ_EDECODE);
        CHECK_EQ_INT(agg_sample_decode("1\ta\tb\tc\td\te\t", 13, &s), 0);
    }
    CHECK(agg_sample_dim("mob:call", 8));
    CHECK(agg_sample_dim("region:KZ-47", 12));
    CHECK(!agg_sample_dim("topic:", 6));
    CHECK(!agg_sample_dim("all", 3));
    CHECK(!agg_sample_dim("platform:vk", 11));
}

/* A post with 60 pieces of evidence and an id of 300 bytes: the record keeps
 * whole entries within AGG_SAMPLE_EVIDENCE_MAX and AGG_SAMPLE_FIELD_MAX bytes
 * of the id, cut at a character boundary. */
static void test_record_limits(void)
{
    static const struct kz_str topics[] = {{"war_ukraine", 11}};
    struct agg_evidence ev[60];
    char id[301], err[256];
    struct agg_batch *b = NULL;
    struct agg_store *st = NULL;
    struct agg_posts ps = {0};

    for (size_t i = 0; i < 60; i++)
        ev[i] =
            (struct agg_evidence){S("stance/pro_ukraine"), S("слава україні"), S("Слава Україні")};
    for (size_t i = 0; i < 150; i++)
        memcpy(id + 2 * i, "ж", 2);
    id[300] = '\0';
    {
        struct agg_facts f = {
            .ts_ms = T0,
            .topics = topics,
            .ntopics = 1,
            .id = kz_str_make(id, 300),
            .text = S("Слава Україні! Соғысқа жоқ."),
            .evidence = ev,
            .nevidence = 60,
        };

        CHECK_EQ_INT(agg_batch_new(&b), 0);
        CHECK_EQ_INT(agg_store_mem_new(NULL, &st), 0);
        if (!b || !st)
            goto out;
        CHECK_EQ_INT(agg_batch_add(b, &f), 0);
    }
    CHECK_EQ_INT(agg_store_apply(st, b, NULL, 0, err, sizeof err), 0);
    CHECK_EQ_INT(agg_store_posts(st, "topic:war_ukraine", T0, T0 + MIN, 0, &ps, err, sizeof err),
                 0);
    CHECK_EQ_INT(ps.n, 1);
    if (ps.n == 1) {
        const struct agg_sample *s = &ps.items[0].s;
        struct kz_str rest = s->evidence;
        struct agg_evidence e;
        size_t entry = strlen("stance/pro_ukraine") + 2 * strlen("Слава Україні") + 2, k = 0;

        CHECK(s->evidence.n <= AGG_SAMPLE_EVIDENCE_MAX);
        while (agg_evidence_next(&rest, &e)) {
            k++;
            CHECK_EQ_MEM(e.match.p, e.match.n, "Слава Україні");
        }
        CHECK_EQ_INT(k, (AGG_SAMPLE_EVIDENCE_MAX + 1) / (entry + 1)); /* whole entries */
        CHECK_EQ_INT(s->id.n, AGG_SAMPLE_FIELD_MAX);
        CHECK(u8_chars(s->id.p, s->id.n) == AGG_SAMPLE_FIELD_MAX / 2);
        CHECK(ps.items[0].len <= AGG_SAMPLE_REC_MAX);
    }
out:
    agg_posts_free(&ps);
    agg_store_free(st);
    agg_batch_free(b);
}

/* 50 calls in one minute: the first 20 are kept, in order; a second minute
 * keeps its own 20; memory stays with the posts of the batch. */
static void test_batch_cap(void)
{
    struct agg_batch *b = NULL;
    struct collected c = {0};
    char id[32];
    size_t mob = 0;

    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!b)
        return;
    for (int i = 0; i < 50; i++) {
        snprintf(id, sizeof id, "vk:-1_%d", i);
        call(b, T0 + i * 1000, id, "dana");
    }
    CHECK_EQ_INT(agg_batch_samples(b), 3 * AGG_SAMPLES_MAX);
    snprintf(id, sizeof id, "vk:-1_%d", 99);
    call(b, T0 + MIN + 1, id, "dana");
    CHECK_EQ_INT(agg_batch_samples(b), 3 * AGG_SAMPLES_MAX + 3);
    CHECK_EQ_INT(agg_batch_foreach_sample(b, on_sample, &c), 0);
    for (size_t i = 0; i < c.n; i++) {
        char want[128];

        if (!strstr(c.line[i], " mob:call "))
            continue;
        snprintf(want, sizeof want, "%lld mob:call vk:-1_%zu", T0,
                 mob < AGG_SAMPLES_MAX ? mob : (size_t)99);
        if (mob == AGG_SAMPLES_MAX)
            snprintf(want, sizeof want, "%lld mob:call vk:-1_99", T0 + MIN);
        CHECK_EQ_STR(c.line[i], want);
        mob++;
    }
    CHECK_EQ_INT(mob, AGG_SAMPLES_MAX + 1);
    agg_batch_reset(b);
    CHECK_EQ_INT(agg_batch_samples(b), 0);
    agg_batch_free(b);
}

/* ---------------------------------------------------------------------------
 * The in-process store
 * ------------------------------------------------------------------------ */

static size_t posts_of(struct agg_store *st, const char *dim, size_t limit, struct agg_posts *ps)
{
    char err[256];

    CHECK_EQ_INT(agg_store_posts(st, dim, T0 - MIN, T0 + 10 * MIN, limit, ps, err, sizeof err), 0);
    return ps->n;
}

/* Three batches of 12 calls into one minute: the first 20 stay (12 + 8), the
 * third adds none; a duplicate batch adds none; a replay into a fresh store
 * keeps the very same posts; the answer is newest first, --limit cuts it. */
static int count_sum(void *ctx, enum agg_gran g, int64_t bucket_ms, struct kz_str dim, int64_t n)
{
    (void)g;
    (void)bucket_ms;
    (void)dim;
    *(int64_t *)ctx += n;
    return 0;
}

/* Samples off (--no-samples): the same counts, no sample record; on again
 * from the next post. */
static void test_batch_samples_off(void)
{
    struct agg_batch *on = NULL, *off = NULL;
    int64_t sum_on = 0, sum_off = 0;
    char id[32];

    CHECK_EQ_INT(agg_batch_new(&on), 0);
    CHECK_EQ_INT(agg_batch_new(&off), 0);
    if (!on || !off)
        goto out;
    agg_batch_set_samples(off, false);
    for (int i = 0; i < 30; i++) {
        snprintf(id, sizeof id, "vk:-1_%d", i);
        call(on, T0 + i * 1000, id, "dana");
        call(off, T0 + i * 1000, id, "dana");
    }
    CHECK(agg_batch_samples(on) > 0);
    CHECK_EQ_INT(agg_batch_samples(off), 0);
    CHECK_EQ_INT(agg_batch_foreach_count(on, count_sum, &sum_on), 0);
    CHECK_EQ_INT(agg_batch_foreach_count(off, count_sum, &sum_off), 0);
    CHECK(sum_on > 0);
    CHECK_EQ_INT(sum_off, sum_on);
    agg_batch_set_samples(off, true);
    call(off, T0 + 2 * MIN, "vk:-1_77", "dana");
    CHECK(agg_batch_samples(off) > 0);
out:
    agg_batch_free(on);
    agg_batch_free(off);
}

/* The dimensions of the samples a foreach_sample offers, counted. */
struct dim_tally {
    int mob, topic, region, stance, other, n;
};

static int tally_dim(void *ctx, int64_t minute_ms, struct kz_str dim, struct kz_str rec)
{
    struct dim_tally *t = ctx;

    (void)minute_ms;
    (void)rec;
    t->n++;
    if (dim.n == 8 && !memcmp(dim.p, "mob:call", 8))
        t->mob++;
    else if (dim.n > 6 && !memcmp(dim.p, "topic:", 6))
        t->topic++;
    else if (dim.n > 7 && !memcmp(dim.p, "region:", 7))
        t->region++;
    else if (dim.n > 7 && !memcmp(dim.p, "stance:", 7))
        t->stance++;
    else
        t->other++;
    return 0;
}

/* Samples of some dimensions only (replay keeps what its report lists): the
 * same counts, samples of the listed dims alone (folded as keys are), the
 * list copied to a second batch, every dim again with NULL; a dim that is
 * never sampled is refused and the list before stays. */
static void test_batch_sample_dims(void)
{
    struct agg_batch *all = NULL, *mob = NULL, *none = NULL, *like = NULL;
    static const char *const only_mob[] = {"MOB:call"};
    static const char *const bad[][1] = {{"platform:vk"}, {"topic:x|region:y"}, {"region:unknown"}};
    int64_t sum_all = 0, sum_mob = 0, sum_none = 0;
    struct dim_tally t_all = {0}, t_mob = {0}, t_none = {0}, t_like = {0};
    char id[32];

    CHECK_EQ_INT(agg_batch_new(&all), 0);
    CHECK_EQ_INT(agg_batch_new(&mob), 0);
    CHECK_EQ_INT(agg_batch_new(&none), 0);
    CHECK_EQ_INT(agg_batch_new(&like), 0);
    if (!all || !mob || !none || !like)
        goto out;
    CHECK_EQ_INT(agg_batch_set_sample_dims(mob, only_mob, 1), 0);
    CHECK_EQ_INT(agg_batch_set_sample_dims(none, only_mob, 0), 0);
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++)
        CHECK_EQ_INT(agg_batch_set_sample_dims(mob, bad[i], 1), KZ_EINVAL);
    CHECK_EQ_INT(agg_batch_set_sample_dims(mob, NULL, 1), KZ_EINVAL);
    CHECK_EQ_INT(agg_batch_set_like(like, mob), 0);
    for (int i = 0; i < 30; i++) {
        snprintf(id, sizeof id, "tg:zhanaozen/%d", i);
        call(all, T0 + i * 1000, id, "aigerim");
        call(mob, T0 + i * 1000, id, "aigerim");
        call(none, T0 + i * 1000, id, "aigerim");
        call(like, T0 + i * 1000, id, "aigerim");
    }
    CHECK_EQ_INT(agg_batch_foreach_count(all, count_sum, &sum_all), 0);
    CHECK_EQ_INT(agg_batch_foreach_count(mob, count_sum, &sum_mob), 0);
    CHECK_EQ_INT(agg_batch_foreach_count(none, count_sum, &sum_none), 0);
    CHECK(sum_all > 0);
    CHECK_EQ_INT(sum_mob, sum_all);
    CHECK_EQ_INT(sum_none, sum_all);
    CHECK_EQ_INT(agg_batch_foreach_sample(all, tally_dim, &t_all), 0);
    CHECK_EQ_INT(agg_batch_foreach_sample(mob, tally_dim, &t_mob), 0);
    CHECK_EQ_INT(agg_batch_foreach_sample(none, tally_dim, &t_none), 0);
    CHECK_EQ_INT(agg_batch_foreach_sample(like, tally_dim, &t_like), 0);
    /* every post is a call about a protest in Mangystau: 20 of each kept */
    CHECK_EQ_INT(t_all.mob, AGG_SAMPLES_MAX);
    CHECK_EQ_INT(t_all.topic, AGG_SAMPLES_MAX);
    CHECK_EQ_INT(t_all.region, AGG_SAMPLES_MAX);
    CHECK_EQ_INT(t_mob.mob, AGG_SAMPLES_MAX);
    CHECK_EQ_INT(t_mob.n, AGG_SAMPLES_MAX);
    CHECK_EQ_INT(t_like.mob, AGG_SAMPLES_MAX);
    CHECK_EQ_INT(t_like.n, AGG_SAMPLES_MAX);
    CHECK_EQ_INT(t_none.n, 0);
    /* every dim again, from the next post */
    CHECK_EQ_INT(agg_batch_set_sample_dims(none, NULL, 0), 0);
    call(none, T0 + 3 * MIN, "tg:zhanaozen/99", "aigerim");
    memset(&t_none, 0, sizeof t_none);
    CHECK_EQ_INT(agg_batch_foreach_sample(none, tally_dim, &t_none), 0);
    CHECK_EQ_INT(t_none.mob, 1);
    CHECK_EQ_INT(t_none.topic, 1);
    CHECK_EQ_INT(t_none.region, 1);
out:
    agg_batch_free(all);
    agg_batch_free(mob);
    agg_batch_free(none);
    agg_batch_free(like);
}

static void test_store_cap_and_duplicates(void)
{
    struct agg_store *st = NULL, *st2 = NULL;
    struct agg_batch *b = NULL;
    struct agg_posts ps = {0}, ps2 = {0};
    char err[256], id[32];

    CHECK_EQ_INT(agg_store_mem_new(NULL, &st), 0);
    CHECK_EQ_INT(agg_store_mem_new(NULL, &st2), 0);
    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!st || !st2 || !b)
        goto out;
    for (int k = 0; k < 3; k++) {
        struct agg_position pos = {"calls.jsonl", -1, 100 * k + 99, 100 * k};

        agg_batch_reset(b);
        for (int i = 0; i < 12; i++) {
            snprintf(id, sizeof id, "tg:aktau/%d", 100 * k + i);
            /* times not in source order: the answer sorts by time */
            call(b, T0 + (i % 2 ? 40000 : 1000) + 100 * k + i, id, "miras");
        }
        CHECK_EQ_INT(agg_store_apply(st, b, &pos, 1, err, sizeof err), 0);
        CHECK_EQ_INT(agg_store_apply(st2, b, &pos, 1, err, sizeof err), 0);
        /* the same batch again: a duplicate, nothing added */
        CHECK_EQ_INT(agg_store_apply(st, b, &pos, 1, err, sizeof err), AGG_APPLY_DUPLICATE);
    }
    CHECK_EQ_INT(posts_of(st, "mob:call", 0, &ps), AGG_SAMPLES_MAX);
    CHECK_EQ_INT(ps.total, AGG_SAMPLES_MAX);
    {
        int from_first = 0, from_second = 0, from_third = 0, sorted = 1;

        for (size_t i = 0; i < ps.n; i++) {
            const struct agg_sample *s = &ps.items[i].s;

            int num = s->id.n > 9 ? atoi(s->id.p + 9) : -1; /* "tg:aktau/N" */

            from_first += num >= 0 && num < 100;
            from_second += num >= 100 && num < 200;
            from_third += num >= 200;
            if (i && s->ts_ms > ps.items[i - 1].s.ts_ms)
                sorted = 0;
        }
        CHECK_EQ_INT(from_first, 12);
        CHECK_EQ_INT(from_second, 8);
        CHECK_EQ_INT(from_third, 0);
        CHECK(sorted);
    }
    /* The same posts in a fresh store: the same answer, byte for byte. */
    CHECK_EQ_INT(posts_of(st2, "mob:call", 0, &ps2), ps.n);
    for (size_t i = 0; i < ps.n && i < ps2.n; i++)
        CHECK_EQ_STR(ps.items[i].rec, ps2.items[i].rec);
    agg_posts_free(&ps2);
    /* --limit: the newest three */
    CHECK_EQ_INT(posts_of(st, "mob:call", 3, &ps2), 3);
    CHECK_EQ_INT(ps2.total, AGG_SAMPLES_MAX);
    for (size_t i = 0; i < 3 && ps2.n == 3; i++)
        CHECK_EQ_STR(ps2.items[i].rec, ps.items[i].rec);
    agg_posts_free(&ps2);
    /* a window without the minute: none */
    CHECK_EQ_INT(agg_store_posts(st, "mob:call", T0 + MIN, T0 + 2 * MIN, 0, &ps2, err, sizeof err),
                 0);
    CHECK_EQ_INT(ps2.n, 0);
    agg_posts_free(&ps2);
    /* a dimension no post had */
    CHECK_EQ_INT(posts_of(st, "stance:pro_russia", 0, &ps2), 0);
    agg_posts_free(&ps2);
out:
    agg_posts_free(&ps);
    agg_batch_free(b);
    agg_store_free(st);
    agg_store_free(st2);
}

/* Samples go with their minute when retention drops it. */
static void test_store_retention(void)
{
    struct agg_mem_config mc = {2 * MIN, 0};
    struct agg_store *st = NULL;
    struct agg_batch *b = NULL;
    struct agg_posts ps = {0};
    char err[256];

    CHECK_EQ_INT(agg_store_mem_new(&mc, &st), 0);
    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!st || !b)
        goto out;
    call(b, T0, "tg:a/1", "a");
    CHECK_EQ_INT(agg_store_apply(st, b, NULL, 0, err, sizeof err), 0);
    CHECK_EQ_INT(posts_of(st, "region:mangystau", 0, &ps), 1);
    agg_posts_free(&ps);
    agg_batch_reset(b);
    call(b, T0 + 5 * MIN, "tg:a/2", "a");
    CHECK_EQ_INT(agg_store_apply(st, b, NULL, 0, err, sizeof err), 0);
    CHECK_EQ_INT(posts_of(st, "region:mangystau", 0, &ps), 1);
    if (ps.n == 1)
        CHECK_EQ_MEM(ps.items[0].s.id.p, ps.items[0].s.id.n, "tg:a/2");
out:
    agg_posts_free(&ps);
    agg_batch_free(b);
    agg_store_free(st);
}

int main(void)
{
    RUN(test_snippet_short);
    RUN(test_snippet_long_cyrillic);
    RUN(test_snippet_invalid_cuts);
    RUN(test_snippet_reference);
    RUN(test_record_roundtrip);
    RUN(test_record_limits);
    RUN(test_batch_cap);
    RUN(test_batch_samples_off);
    RUN(test_batch_sample_dims);
    RUN(test_store_cap_and_duplicates);
    RUN(test_store_retention);
    return TAP_DONE();
}
