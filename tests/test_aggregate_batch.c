/* test_aggregate_batch.c -- facts -> dimensions -> coalesced batch.
 *
 * Each case builds realistic posts (Kazakh protest and war coverage), adds
 * them to a batch and reads the batch back through its iteration functions
 * into sorted lines such as "m 60000 topic:protest|region:almaty = 2", which
 * are compared with the expected lines: the test is data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "aggregate.h"
#include "tap.h"

/* SI() for static tables, S() in expressions. */
#define SI(lit)                                                                                    \
    {                                                                                              \
        lit, sizeof(lit) - 1                                                                       \
    }
#define S(lit) kz_str_make(lit, sizeof(lit) - 1)

/* ---------------------------------------------------------------------------
 * Collecting a batch into sorted text lines
 * ------------------------------------------------------------------------ */

struct lines {
    char **v;
    size_t n, cap;
};

static int lines_add(struct lines *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **v = realloc(l->v, cap * sizeof *v);

        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = malloc(strlen(s) + 1)))
        return -1;
    strcpy(l->v[l->n++], s);
    return 0;
}

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int on_count(void *ctx, enum agg_gran g, int64_t bucket, struct kz_str dim, int64_t n)
{
    char buf[512];

    snprintf(buf, sizeof buf, "%c %lld %.*s = %lld", g == AGG_MINUTE ? 'm' : 'h', (long long)bucket,
             (int)dim.n, dim.p, (long long)n);
    return lines_add(ctx, buf);
}

static int on_top(void *ctx, int64_t hour, enum agg_top_kind k, struct kz_str member, int64_t n)
{
    char buf[512];

    snprintf(buf, sizeof buf, "%s %lld %.*s = %lld", agg_top_kind_name(k), (long long)hour,
             (int)member.n, member.p, (long long)n);
    return lines_add(ctx, buf);
}

static int on_author(void *ctx, int64_t hour, struct kz_str dim, struct kz_str author)
{
    char buf[512];

    snprintf(buf, sizeof buf, "%lld %.*s %.*s", (long long)hour, (int)dim.n, dim.p, (int)author.n,
             author.p);
    return lines_add(ctx, buf);
}

enum what { COUNTS, TOPS, AUTHORS, MINUTE_AUTHORS };

/* Compare the batch's lines of one kind with want[] (any order). */
static void check_lines(const struct agg_batch *b, enum what w, const char *const *want,
                        size_t nwant, int line)
{
    struct lines got = {0};
    char **sorted_want = malloc((nwant ? nwant : 1) * sizeof *sorted_want);
    int rc = w == COUNTS    ? agg_batch_foreach_count(b, on_count, &got)
             : w == TOPS    ? agg_batch_foreach_top(b, on_top, &got)
             : w == AUTHORS ? agg_batch_foreach_author(b, on_author, &got)
                            : agg_batch_foreach_minute_author(b, on_author, &got);
    size_t i, j;

    CHECK_EQ_INT(rc, 0);
    CHECK(sorted_want != NULL);
    if (!sorted_want) {
        lines_free(&got);
        return;
    }
    memcpy(sorted_want, want, nwant * sizeof *want);
    qsort(sorted_want, nwant, sizeof *sorted_want, cmp_str);
    if (got.n) /* qsort's base must not be NULL, even for 0 items */
        qsort(got.v, got.n, sizeof *got.v, cmp_str);
    for (i = 0, j = 0; i < got.n || j < nwant;) {
        int c = i == got.n ? 1 : j == nwant ? -1 : strcmp(got.v[i], sorted_want[j]);

        tap_checks++;
        if (c == 0) {
            i++, j++;
            continue;
        }
        tap_failed++;
        if (c < 0)
            fprintf(stderr, "line %d: unexpected \"%s\"\n", line, got.v[i++]);
        else
            fprintf(stderr, "line %d: missing \"%s\"\n", line, sorted_want[j++]);
    }
    free(sorted_want);
    lines_free(&got);
}

#define CHECK_LINES(b, w, arr) check_lines(b, w, arr, KZ_ARRAY_LEN(arr), __LINE__)

/* 2024-01-04 03:25:17 UTC: the hour and minute below are its buckets. */
#define TS 1704338717000LL
#define MIN_B "1704338700000"
#define HOUR_B "1704337200000"

/* ---------------------------------------------------------------------------
 * Cases
 * ------------------------------------------------------------------------ */

static void test_dimensions(void)
{
    static const struct kz_str topics[] = {SI("protest"), SI("war_ukraine")};
    static const struct kz_str tags[] = {SI("жаңаөзен"), SI("#Митинг")};
    static const struct kz_str terms[] = {SI("газ"), SI("бағасы")};
    struct agg_facts f = {
        .ts_ms = TS,
        .platform = S("Telegram"),
        .lang = S("kk"),
        .region = S("mangystau"),
        .author = S("tg:1001"),
        .channel = S("zhanaozen_live"),
        .topics = topics,
        .ntopics = 2,
        .stance = S("pro_ukraine"),
        .mobilization = 1,
        .hashtags = tags,
        .nhashtags = 2,
        .terms = terms,
        .nterms = 2,
    };
    static const char *const dims[] = {
        "all",
        "platform:telegram",
        "lang:kk",
        "region:mangystau",
        "stance:pro_ukraine",
        "mob:call",
        "mob:call|region:mangystau",
        "stance:pro_ukraine|lang:kk",
        "topic:protest",
        "topic:protest|region:mangystau",
        "topic:protest|stance:pro_ukraine",
        "topic:protest|platform:telegram",
        "topic:war_ukraine",
        "topic:war_ukraine|region:mangystau",
        "topic:war_ukraine|stance:pro_ukraine",
        "topic:war_ukraine|platform:telegram",
    };
    static const char *const tops[] = {
        "hashtag " HOUR_B " жаңаөзен = 1",
        "hashtag " HOUR_B " Митинг = 1",
        "term " HOUR_B " газ = 1",
        "term " HOUR_B " бағасы = 1",
        "channel " HOUR_B " zhanaozen_live = 1",
    };
    static const char *const authors[] = {
        HOUR_B " all tg:1001",
        HOUR_B " topic:protest tg:1001",
        HOUR_B " topic:war_ukraine tg:1001",
        HOUR_B " region:mangystau tg:1001",
    };
    static const char *const minute_authors[] = {
        MIN_B " mob:call tg:1001",
        MIN_B " mob:call|region:mangystau tg:1001",
        /* every dimension an alert rule counts: topics, stances, crosses */
        MIN_B " stance:pro_ukraine tg:1001",
        MIN_B " topic:protest tg:1001",
        MIN_B " topic:protest|region:mangystau tg:1001",
        MIN_B " topic:protest|stance:pro_ukraine tg:1001",
        MIN_B " topic:war_ukraine tg:1001",
        MIN_B " topic:war_ukraine|region:mangystau tg:1001",
        MIN_B " topic:war_ukraine|stance:pro_ukraine tg:1001",
    };
    char *want[2 * KZ_ARRAY_LEN(dims)];
    struct agg_batch *b = NULL;

    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!b)
        return;
    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
    CHECK_EQ_INT(agg_batch_posts(b), 1);
    CHECK_EQ_INT(agg_batch_keys(b), 2 * KZ_ARRAY_LEN(dims));
    for (size_t i = 0; i < KZ_ARRAY_LEN(dims); i++) {
        char buf[256];

        snprintf(buf, sizeof buf, "m " MIN_B " %s = 1", dims[i]);
        want[2 * i] = strdup(buf);
        snprintf(buf, sizeof buf, "h " HOUR_B " %s = 1", dims[i]);
        want[2 * i + 1] = strdup(buf);
    }
    check_lines(b, COUNTS, (const char *const *)want, KZ_ARRAY_LEN(want), __LINE__);
    for (size_t i = 0; i < KZ_ARRAY_LEN(want); i++)
        free(want[i]);
    CHECK_LINES(b, TOPS, tops);
    CHECK_LINES(b, AUTHORS, authors);
    /* by default, calls only (the first two): a replay without alerts */
    check_lines(b, MINUTE_AUTHORS, minute_authors, 2, __LINE__);
    /* where alerts are evaluated, every rule dimension */
    agg_batch_reset(b);
    agg_batch_set_minute_authors(b, true);
    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
    CHECK_LINES(b, MINUTE_AUTHORS, minute_authors);
    agg_batch_free(b);
}

/* Watched members (an alert rule's surge subject): a post's hashtag or term
 * in the list also counts as its own dimension, per minute and hour, with
 * its authors per minute; the list is folded as dims are, "#" dropped as
 * tops drop it; other forms are refused. */
static void test_watch(void)
{
    static const struct kz_str tags[] = {SI("#Miting"), SI("жаңаөзен")};
    static const struct kz_str terms[] = {SI("газ"), SI("жалақ*")};
    struct agg_facts f = {
        .ts_ms = TS,
        .author = S("tg:1001"),
        .hashtags = tags,
        .nhashtags = 2,
        .terms = terms,
        .nterms = 2,
    };
    static const char *const watch[] = {"hashtag:MITING", "term:жалақ*", "hashtag:газ"};
    static const char *const counts[] = {
        "m " MIN_B " all = 1",
        "h " HOUR_B " all = 1",
        "m " MIN_B " hashtag:miting = 1",
        "h " HOUR_B " hashtag:miting = 1",
        "m " MIN_B " term:жалақ* = 1",
        "h " HOUR_B " term:жалақ* = 1",
    };
    static const char *const minute_authors[] = {
        MIN_B " hashtag:miting tg:1001",
        MIN_B " term:жалақ* tg:1001",
    };
    struct agg_batch *b = NULL;

    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!b)
        return;
    /* not a member dim, a cross, empty: refused, the list unchanged */
    CHECK_EQ_INT(agg_batch_set_watch(b, (const char *const[]){"topic:protest"}, 1), KZ_EINVAL);
    CHECK_EQ_INT(agg_batch_set_watch(b, (const char *const[]){"hashtag:a|region:kz-47"}, 1),
                 KZ_EINVAL);
    CHECK_EQ_INT(agg_batch_set_watch(b, (const char *const[]){"term:"}, 1), KZ_EINVAL);
    CHECK_EQ_INT(agg_batch_set_watch(b, watch, KZ_ARRAY_LEN(watch)), 0);
    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
    CHECK_LINES(b, COUNTS, counts);
    CHECK_LINES(b, MINUTE_AUTHORS, minute_authors);
    CHECK_EQ_INT(agg_batch_samples(b), 2); /* the watched dims keep sample posts */
    /* an empty list: tops only again */
    agg_batch_reset(b);
    CHECK_EQ_INT(agg_batch_set_watch(b, NULL, 0), 0);
    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
    CHECK_LINES(b, COUNTS, ((const char *const[]){"m " MIN_B " all = 1", "h " HOUR_B " all = 1"}));
    agg_batch_free(b);
}

static void test_empty_and_none(void)
{
    struct agg_facts empty = {.ts_ms = 0};
    struct agg_facts none = {.ts_ms = 0, .lang = S("ru"), .stance = S("none")};
    static const char *const counts[] = {
        "m 0 all = 2",
        "h 0 all = 2",
        "m 0 lang:ru = 1",
        "h 0 lang:ru = 1",
    };
    static const char *const nothing[] = {0};
    struct agg_batch *b = NULL;

    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!b)
        return;
    CHECK_EQ_INT(agg_batch_add(b, &empty), 0);
    CHECK_EQ_INT(agg_batch_add(b, &none), 0); /* stance:none is not counted, nor crossed */
    CHECK_LINES(b, COUNTS, counts);
    check_lines(b, TOPS, nothing, 0, __LINE__);
    check_lines(b, AUTHORS, nothing, 0, __LINE__); /* no author: no distinct-author adds */
    agg_batch_free(b);
}

/* Issue 15: a post without a usable time counts toward "undated" in the
 * buckets of its arrival, and toward nothing else: not "all", no topic, no
 * top-k, no author sketch. */
static void test_undated(void)
{
    const struct kz_str topics[] = {S("protest")};
    const struct kz_str tags[] = {S("жаңаөзен")};
    struct agg_facts f = {.ts_ms = TS,
                          .undated = 1,
                          .platform = S("telegram"),
                          .lang = S("kk"),
                          .region = S("mangystau"),
                          .author = S("a1"),
                          .channel = S("news_kz"),
                          .topics = topics,
                          .ntopics = 1,
                          .mobilization = 1,
                          .hashtags = tags,
                          .nhashtags = 1};
    static const char *const counts[] = {
        "m " MIN_B " undated = 2",
        "h " HOUR_B " undated = 2",
    };
    static const char *const nothing[] = {0};
    struct agg_batch *b = NULL;

    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!b)
        return;
    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
    CHECK_EQ_INT(agg_batch_posts(b), 2);
    CHECK_LINES(b, COUNTS, counts);
    check_lines(b, TOPS, nothing, 0, __LINE__);
    check_lines(b, AUTHORS, nothing, 0, __LINE__);
    agg_batch_free(b);
}

static void test_folding(void)
{
    /* Equal topics after ASCII folding count once; non-ASCII bytes are left
     * as they are; '|' in a value cannot fake a cross. */
    static const struct kz_str topics[] = {SI("Protest"), SI("protest"), SI(""), SI("a|b")};
    static const struct kz_str tags[] = {SI("#Almaty"), SI("almaty"), SI("АЛМАТЫ"), SI("#")};
    struct agg_facts f = {
        .ts_ms = 0,
        .region = S("Алматы"),
        .topics = topics,
        .ntopics = 4,
        .hashtags = tags,
        .nhashtags = 4,
    };
    static const char *const counts[] = {
        "m 0 all = 1",           "m 0 region:Алматы = 1",
        "m 0 topic:protest = 1", "m 0 topic:protest|region:Алматы = 1",
        "m 0 topic:a_b = 1",     "m 0 topic:a_b|region:Алматы = 1",
        "h 0 all = 1",           "h 0 region:Алматы = 1",
        "h 0 topic:protest = 1", "h 0 topic:protest|region:Алматы = 1",
        "h 0 topic:a_b = 1",     "h 0 topic:a_b|region:Алматы = 1",
    };
    static const char *const tops[] = {"hashtag 0 almaty = 1", "hashtag 0 АЛМАТЫ = 1"};
    struct agg_batch *b = NULL;

    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!b)
        return;
    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
    CHECK_LINES(b, COUNTS, counts);
    CHECK_LINES(b, TOPS, tops);
    agg_batch_free(b);
}

static void test_coalescing(void)
{
    static const struct kz_str topics[] = {SI("protest")};
    static const struct kz_str tags[] = {SI("митинг")};
    struct agg_facts f = {
        .platform = S("vk"),
        .region = S("almaty"),
        .topics = topics,
        .ntopics = 1,
        .hashtags = tags,
        .nhashtags = 1,
    };
    static const char *const counts[] = {
        "m 0 all = 6000",
        "m 0 platform:vk = 6000",
        "m 0 region:almaty = 6000",
        "m 0 topic:protest = 6000",
        "m 0 topic:protest|region:almaty = 6000",
        "m 0 topic:protest|platform:vk = 6000",
        "m 60000 all = 4000",
        "m 60000 platform:vk = 4000",
        "m 60000 region:almaty = 4000",
        "m 60000 topic:protest = 4000",
        "m 60000 topic:protest|region:almaty = 4000",
        "m 60000 topic:protest|platform:vk = 4000",
        "h 0 all = 10000",
        "h 0 platform:vk = 10000",
        "h 0 region:almaty = 10000",
        "h 0 topic:protest = 10000",
        "h 0 topic:protest|region:almaty = 10000",
        "h 0 topic:protest|platform:vk = 10000",
    };
    static const char *const tops[] = {"hashtag 0 митинг = 10000"};
    struct agg_batch *b = NULL;

    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!b)
        return;
    for (int i = 0; i < 10000; i++) {
        f.ts_ms = i * 10; /* 100 s: 6000 posts in minute 0, 4000 in minute 1 */
        CHECK_EQ_INT(agg_batch_add(b, &f), 0);
    }
    CHECK_EQ_INT(agg_batch_posts(b), 10000);
    CHECK_EQ_INT(agg_batch_keys(b), KZ_ARRAY_LEN(counts));
    CHECK_LINES(b, COUNTS, counts);
    CHECK_LINES(b, TOPS, tops);
    agg_batch_free(b);
}

static void test_alignment(void)
{
    static const struct {
        int64_t ts;
        int rc;
        const char *minute, *hour; /* the "all" lines */
    } cases[] = {
        {0, 0, "m 0 all = 1", "h 0 all = 1"},
        {59999, 0, "m 0 all = 1", "h 0 all = 1"},
        {60000, 0, "m 60000 all = 1", "h 0 all = 1"},
        {3599999, 0, "m 3540000 all = 1", "h 0 all = 1"},
        {3600000, 0, "m 3600000 all = 1", "h 3600000 all = 1"},
        {-1, 0, "m -60000 all = 1", "h -3600000 all = 1"}, /* floor, not truncation */
        {-60000, 0, "m -60000 all = 1", "h -3600000 all = 1"},
        {-60001, 0, "m -120000 all = 1", "h -3600000 all = 1"},
        {-3600001, 0, "m -3660000 all = 1", "h -7200000 all = 1"},
        /* The lowest time whose hour bucket is representable. */
        {(INT64_MIN / 3600000) * 3600000, 0, "m -9223372036854000000 all = 1",
         "h -9223372036854000000 all = 1"},
        {INT64_MIN, KZ_ERANGE, NULL, NULL}, /* its bucket would start below INT64_MIN */
        {INT64_MAX, KZ_ERANGE, NULL, NULL}, /* its bucket would end above INT64_MAX */
    };
    struct agg_batch *b = NULL;

    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!b)
        return;
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        struct agg_facts f = {.ts_ms = cases[i].ts};

        agg_batch_reset(b);
        CHECK_EQ_INT(agg_batch_add(b, &f), cases[i].rc);
        if (cases[i].rc) {
            CHECK_EQ_INT(agg_batch_keys(b), 0); /* a refused post leaves no trace */
            CHECK_EQ_INT(agg_batch_posts(b), 0);
        } else {
            const char *want[] = {cases[i].minute, cases[i].hour};

            CHECK_LINES(b, COUNTS, want);
        }
    }
    agg_batch_free(b);
}

#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
static size_t heap_in_use(void)
{
    return mallinfo2().uordblks; /* 0 under valgrind and ASan: the check is then vacuous */
}
#else
static size_t heap_in_use(void)
{
    return 0;
}
#endif

static void fill(struct agg_batch *b, int posts)
{
    static const struct kz_str topics[][2] = {{SI("protest"), SI("prices")},
                                              {SI("war_ukraine"), SI("mobilization")}};
    static const struct kz_str regions[] = {SI("almaty"), SI("mangystau"), SI("astana")};
    static const struct kz_str tags[] = {SI("жаңаөзен"), SI("митинг"), SI("qantar")};
    char author[32];

    for (int i = 0; i < posts; i++) {
        int n = snprintf(author, sizeof author, "vk:%d", i % 97);
        struct agg_facts f = {
            .ts_ms = TS + i * 1000LL,
            .platform = S("vk"),
            .lang = S("ru"),
            .region = regions[i % 3],
            .author = kz_str_make(author, (size_t)n),
            .topics = topics[i % 2],
            .ntopics = 2,
            .stance = S("pro_russia"),
            .hashtags = &tags[i % 3],
            .nhashtags = 1,
        };

        CHECK_EQ_INT(agg_batch_add(b, &f), 0);
    }
}

static void test_reset_reuses_memory(void)
{
    struct agg_batch *b = NULL;
    size_t keys, before;

    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!b)
        return;
    fill(b, 5000);
    keys = agg_batch_keys(b);
    CHECK(keys > 0);
    agg_batch_reset(b);
    CHECK_EQ_INT(agg_batch_posts(b), 0);
    CHECK_EQ_INT(agg_batch_keys(b), 0);
    {
        static const char *const nothing[] = {0};

        check_lines(b, COUNTS, nothing, 0, __LINE__);
        check_lines(b, AUTHORS, nothing, 0, __LINE__);
    }
    before = heap_in_use();
    fill(b, 5000); /* the same working set: no allocation once warm */
    CHECK_EQ_INT(heap_in_use(), before);
    CHECK_EQ_INT(agg_batch_keys(b), keys);
    CHECK_EQ_INT(agg_batch_posts(b), 5000);
    agg_batch_free(b);
}

static int count_authors(void *ctx, int64_t hour, struct kz_str dim, struct kz_str author)
{
    (*(int *)ctx)++;
    return 0;
}

static int stop_at_first(void *ctx, enum agg_gran g, int64_t bucket, struct kz_str dim, int64_t n)
{
    (*(int *)ctx)++;
    return 42;
}

static void test_authors_dedup(void)
{
    static const struct kz_str topics[] = {SI("protest")};
    struct agg_facts f = {.region = S("almaty"), .topics = topics, .ntopics = 1};
    static const char *const want[] = {
        "0 all tg:aizhan",
        "0 topic:protest tg:aizhan",
        "0 region:almaty tg:aizhan",
        "0 all tg:nurlan",
        "0 topic:protest tg:nurlan",
        "0 region:almaty tg:nurlan",
        "3600000 all tg:aizhan",
        "3600000 topic:protest tg:aizhan",
        "3600000 region:almaty tg:aizhan",
    };
    struct agg_batch *b = NULL;
    int n = 0, calls = 0;

    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!b)
        return;
    for (int i = 0; i < 5; i++) { /* the same author five times in hour 0 */
        f.ts_ms = i * 60000;
        f.author = S("tg:aizhan");
        CHECK_EQ_INT(agg_batch_add(b, &f), 0);
    }
    f.author = S("tg:nurlan");
    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
    f.ts_ms = AGG_HOUR_MS + 5;
    f.author = S("tg:aizhan");
    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
    CHECK_LINES(b, AUTHORS, want);
    CHECK_EQ_INT(agg_batch_foreach_author(b, count_authors, &n), 0);
    CHECK_EQ_INT(n, KZ_ARRAY_LEN(want));
    /* A non-zero return stops the iteration and is passed on. */
    CHECK_EQ_INT(agg_batch_foreach_count(b, stop_at_first, &calls), 42);
    CHECK_EQ_INT(calls, 1);
    agg_batch_free(b);
}

static void test_names_and_args(void)
{
    struct agg_batch *b = NULL;
    struct agg_facts bad = {.ntopics = 1, .topics = NULL};

    CHECK_EQ_STR(agg_gran_name(AGG_MINUTE), "minute");
    CHECK_EQ_STR(agg_gran_name(AGG_HOUR), "hour");
    CHECK_EQ_STR(agg_top_kind_name(AGG_TOP_CHANNEL), "channel");
    CHECK_EQ_INT(agg_top_kind_parse("hashtag"), AGG_TOP_HASHTAG);
    CHECK_EQ_INT(agg_top_kind_parse("term"), AGG_TOP_TERM);
    CHECK_EQ_INT(agg_top_kind_parse("channel"), AGG_TOP_CHANNEL);
    CHECK_EQ_INT(agg_top_kind_parse("emoji"), -1);
    CHECK_EQ_INT(agg_top_kind_parse(NULL), -1);
    CHECK_EQ_INT(agg_batch_new(NULL), KZ_EINVAL);
    CHECK_EQ_INT(agg_batch_new(&b), 0);
    CHECK_EQ_INT(agg_batch_add(b, NULL), KZ_EINVAL);
    CHECK_EQ_INT(agg_batch_add(b, &bad), KZ_EINVAL);
    CHECK_EQ_INT(agg_batch_keys(b), 0);
    agg_batch_free(b);
    agg_batch_free(NULL);
    agg_batch_reset(NULL);
}

int main(void)
{
    RUN(test_dimensions);
    RUN(test_watch);
    RUN(test_empty_and_none);
    RUN(test_undated);
    RUN(test_folding);
    RUN(test_coalescing);
    RUN(test_alignment);
    RUN(test_reset_reuses_memory);
    RUN(test_authors_dedup);
    RUN(test_names_and_args);
    return TAP_DONE();
}
