/* test_aggregate_store.c -- the in-process store: apply, queries, idempotency, retention.
 *
 * Posts are realistic (protest and war coverage across Kazakh regions) and
 * small enough to count by hand, except the last case: 100 000 random posts
 * flushed in random batch sizes, whose series are compared with a naive
 * per-minute count kept by the test itself.  Watermarks run the cases of
 * wm_steps.h, which the Redis store passes too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "tap.h"
#include "wm_steps.h"

#define S(lit) kz_str_make(lit, sizeof(lit) - 1)
#define MIN AGG_MINUTE_MS
#define HOUR AGG_HOUR_MS

static struct kz_str cs(const char *s)
{
    return kz_str_make(s, s ? strlen(s) : 0);
}

/* Add one post; NULL strings are unknown facts. */
static void post(struct agg_batch *b, int64_t ts, const char *platform, const char *region,
                 const char *topic, const char *stance, const char *author, const char *hashtag)
{
    struct kz_str t = cs(topic), h = cs(hashtag);
    struct agg_facts f = {
        .ts_ms = ts,
        .platform = cs(platform),
        .lang = S("kk"),
        .region = cs(region),
        .author = cs(author),
        .topics = &t,
        .ntopics = topic ? 1 : 0,
        .stance = cs(stance),
        .hashtags = &h,
        .nhashtags = hashtag ? 1 : 0,
    };

    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
}

/* Positions written {source, partition, offset} (first_offset 0) cover just
 * that offset. */
static int apply(struct agg_store *s, struct agg_batch *b, const struct agg_position *pos,
                 size_t npos)
{
    char err[256] = "";
    struct agg_position cp[16];
    int rc;

    for (size_t i = 0; i < npos && i < 16; i++) {
        cp[i] = pos[i];
        if (!cp[i].first_offset)
            cp[i].first_offset = cp[i].offset;
    }
    rc = agg_store_apply(s, b, npos ? cp : pos, npos, err, sizeof err);

    if (rc < 0)
        fprintf(stderr, "apply: %s\n", err);
    return rc;
}

/* The series as "3 0 1 ..." for compact comparison. */
static void check_series(struct agg_store *s, enum agg_gran g, const char *dim, int64_t from,
                         int64_t to, const char *want, int line)
{
    struct agg_series r;
    char err[256] = "", got[1024] = "";
    size_t len = 0;
    int64_t total = 0;
    int rc = agg_store_series(s, g, dim, from, to, &r, err, sizeof err);

    tap_checks++;
    if (rc) {
        tap_failed++;
        fprintf(stderr, "line %d: series %s: %s\n", line, dim, err);
        return;
    }
    for (size_t i = 0; i < r.n && len < sizeof got - 32; i++) {
        len += (size_t)snprintf(got + len, sizeof got - len, "%s%lld", i ? " " : "",
                                (long long)r.points[i].count);
        total += r.points[i].count;
    }
    tap_checks++;
    if (strcmp(got, want) != 0 || total != r.total) {
        tap_failed++;
        fprintf(stderr, "line %d: series %s: got \"%s\" (total %lld), want \"%s\"\n", line, dim,
                got, (long long)r.total, want);
    }
    agg_series_free(&r);
}

#define CHECK_SERIES(s, g, dim, from, to, want) check_series(s, g, dim, from, to, want, __LINE__)

/* A top-k or dims result as "a=3 b=2". */
static void check_top(struct agg_store *s, enum agg_top_kind k, int64_t from, int64_t to,
                      size_t limit, const char *want, int line)
{
    struct agg_top r;
    char got[1024] = "";
    size_t len = 0;
    int rc = agg_store_topk(s, k, from, to, limit, &r, NULL, 0);

    CHECK_EQ_INT(rc, 0);
    for (size_t i = 0; i < r.n; i++)
        len += (size_t)snprintf(got + len, sizeof got - len, "%s%s=%lld", i ? " " : "",
                                r.items[i].member, (long long)r.items[i].count);
    tap_checks++;
    if (strcmp(got, want) != 0) {
        tap_failed++;
        fprintf(stderr, "line %d: topk: got \"%s\", want \"%s\"\n", line, got, want);
    }
    agg_top_free(&r);
}

static void check_dims(struct agg_store *s, enum agg_gran g, const char *prefix, int64_t from,
                       int64_t to, const char *want, int line)
{
    struct agg_dimcounts r;
    char got[2048] = "";
    size_t len = 0;
    int rc = agg_store_dims(s, g, prefix, from, to, &r, NULL, 0);

    CHECK_EQ_INT(rc, 0);
    for (size_t i = 0; i < r.n; i++)
        len += (size_t)snprintf(got + len, sizeof got - len, "%s%s=%lld", i ? " " : "",
                                r.items[i].dim, (long long)r.items[i].count);
    tap_checks++;
    if (strcmp(got, want) != 0) {
        tap_failed++;
        fprintf(stderr, "line %d: dims \"%s\": got \"%s\", want \"%s\"\n", line, prefix, got, want);
    }
    agg_dimcounts_free(&r);
}

struct fixture {
    struct agg_store *s;
    struct agg_batch *b;
};

static int setup(struct fixture *fx, const struct agg_mem_config *cfg)
{
    fx->s = NULL;
    fx->b = NULL;
    CHECK_EQ_INT(agg_store_mem_new(cfg, &fx->s), 0);
    CHECK_EQ_INT(agg_batch_new(&fx->b), 0);
    return fx->s && fx->b;
}

static void teardown(struct fixture *fx)
{
    agg_batch_free(fx->b);
    agg_store_free(fx->s);
}

/* ---------------------------------------------------------------------------
 * Cases
 * ------------------------------------------------------------------------ */

static void test_series(void)
{
    struct fixture fx;

    if (!setup(&fx, NULL)) {
        teardown(&fx);
        return;
    }
    CHECK_EQ_STR(agg_store_name(fx.s), "mem");
    post(fx.b, 5000, "telegram", "almaty", "protest", NULL, "tg:1", NULL);
    post(fx.b, 40000, "telegram", "almaty", "protest", NULL, "tg:2", NULL);
    post(fx.b, 59999, "vk", "mangystau", "protest", NULL, "vk:1", NULL);
    post(fx.b, 2 * MIN + 1, "telegram", "mangystau", "war_ukraine", "pro_ukraine", "tg:1", NULL);
    post(fx.b, HOUR + 7 * MIN, "x", "almaty", "war_ukraine", "pro_russia", "x:9", NULL);
    post(fx.b, HOUR + 59 * MIN, "x", "almaty", "protest", NULL, "x:9", NULL);
    CHECK_EQ_INT(apply(fx.s, fx.b, NULL, 0), 0);

    CHECK_SERIES(fx.s, AGG_MINUTE, "all", 0, 5 * MIN, "3 0 1 0 0");
    CHECK_SERIES(fx.s, AGG_MINUTE, "topic:protest|region:almaty", 0, 3 * MIN, "2 0 0");
    CHECK_SERIES(fx.s, AGG_MINUTE, "region:mangystau", 0, 3 * MIN, "1 0 1");
    /* Unaligned ends are floored: [30 s, 4.5 min) is minutes 0..3. */
    CHECK_SERIES(fx.s, AGG_MINUTE, "all", 30000, 4 * MIN + 30000, "3 0 1 0");
    CHECK_SERIES(fx.s, AGG_MINUTE, "all", HOUR + 6 * MIN, HOUR + 8 * MIN, "0 1");
    CHECK_SERIES(fx.s, AGG_HOUR, "all", 0, 3 * HOUR, "4 2 0");
    CHECK_SERIES(fx.s, AGG_HOUR, "all", -2 * HOUR, HOUR, "0 0 4");
    CHECK_SERIES(fx.s, AGG_HOUR, "stance:pro_russia", 0, 2 * HOUR, "0 1");
    CHECK_SERIES(fx.s, AGG_HOUR, "topic:war_ukraine|stance:pro_ukraine", 0, 2 * HOUR, "1 0");
    CHECK_SERIES(fx.s, AGG_HOUR, "stance:none", 0, 2 * HOUR, "0 0");
    CHECK_SERIES(fx.s, AGG_HOUR, "topic:no_such", 0, 2 * HOUR, "0 0");
    CHECK_SERIES(fx.s, AGG_HOUR, "all", 2 * HOUR, HOUR, ""); /* empty window */
    CHECK_SERIES(fx.s, AGG_HOUR, "all", 10, 20, "");         /* floors to [0, 0) */
    {
        struct agg_series r;
        char err[128] = "";

        CHECK_EQ_INT(
            agg_store_series(fx.s, AGG_MINUTE, "all", INT64_MIN, INT64_MAX, &r, err, sizeof err),
            KZ_ERANGE);
        CHECK(err[0] != '\0');
        CHECK(r.points == NULL && r.n == 0);
        CHECK_EQ_INT(agg_store_series(fx.s, (enum agg_gran)7, "all", 0, 1, &r, err, sizeof err),
                     KZ_EINVAL);
    }
    teardown(&fx);
}

static void test_topk(void)
{
    struct fixture fx;
    static const char *const tags[] = {"митинг",   "митинг", "митинг", "жаңаөзен",
                                       "жаңаөзен", "qantar", "qantar"};

    if (!setup(&fx, NULL)) {
        teardown(&fx);
        return;
    }
    for (size_t i = 0; i < KZ_ARRAY_LEN(tags); i++)
        post(fx.b, (int64_t)i * MIN, "telegram", NULL, "protest", NULL, NULL, tags[i]);
    post(fx.b, HOUR + 1, "telegram", NULL, NULL, NULL, NULL, "жаңаөзен");
    post(fx.b, HOUR + 2, "telegram", NULL, NULL, NULL, NULL, "жаңаөзен");
    post(fx.b, 3 * HOUR, "telegram", NULL, NULL, NULL, NULL, "алаң");
    CHECK_EQ_INT(apply(fx.s, fx.b, NULL, 0), 0);

    /* Ties by member, bytewise: ASCII "qantar" sorts before Cyrillic. */
    check_top(fx.s, AGG_TOP_HASHTAG, 0, HOUR, 10, "митинг=3 qantar=2 жаңаөзен=2", __LINE__);
    check_top(fx.s, AGG_TOP_HASHTAG, 0, 2 * HOUR, 10, "жаңаөзен=4 митинг=3 qantar=2", __LINE__);
    check_top(fx.s, AGG_TOP_HASHTAG, 0, 2 * HOUR, 2, "жаңаөзен=4 митинг=3", __LINE__);
    check_top(fx.s, AGG_TOP_HASHTAG, 0, 2 * HOUR, 0, "жаңаөзен=4 митинг=3 qantar=2", __LINE__);
    check_top(fx.s, AGG_TOP_HASHTAG, HOUR, 4 * HOUR, 10, "жаңаөзен=2 алаң=1", __LINE__);
    check_top(fx.s, AGG_TOP_HASHTAG, 5 * HOUR, 9 * HOUR, 10, "", __LINE__);
    check_top(fx.s, AGG_TOP_TERM, 0, 4 * HOUR, 10, "", __LINE__);
    {
        struct agg_top r;

        CHECK_EQ_INT(agg_store_topk(fx.s, (enum agg_top_kind)9, 0, HOUR, 1, &r, NULL, 0),
                     KZ_EINVAL);
    }
    teardown(&fx);
}

static void test_distinct(void)
{
    struct fixture fx;
    struct agg_hll *want = malloc(sizeof *want);
    char author[32];
    uint64_t n = 0;

    if (!setup(&fx, NULL) || !want) {
        free(want);
        teardown(&fx);
        return;
    }
    agg_hll_init(want);
    /* 1000 authors in hour 0, 1000 in hour 1 of whom 500 were there before. */
    for (int i = 0; i < 1500; i++) {
        int len = snprintf(author, sizeof author, "tg:%d", i);

        if (i < 1000)
            post(fx.b, 10 * MIN, "telegram", "almaty", "protest", NULL, author, NULL);
        if (i >= 500)
            post(fx.b, HOUR + 10 * MIN, "telegram", "mangystau", "protest", NULL, author, NULL);
        agg_hll_add(want, author, (size_t)len);
    }
    CHECK_EQ_INT(apply(fx.s, fx.b, NULL, 0), 0);
    CHECK_EQ_INT(agg_store_distinct(fx.s, "all", 0, 2 * HOUR, &n, NULL, 0), 0);
    CHECK_EQ_INT(n, agg_hll_count(want)); /* merged hours == one sketch of the union */
    CHECK(n > 1480 && n < 1520);
    CHECK_EQ_INT(agg_store_distinct(fx.s, "topic:protest", 0, 2 * HOUR, &n, NULL, 0), 0);
    CHECK_EQ_INT(n, agg_hll_count(want));
    CHECK_EQ_INT(agg_store_distinct(fx.s, "region:almaty", 0, 2 * HOUR, &n, NULL, 0), 0);
    CHECK(n > 980 && n < 1020);
    CHECK_EQ_INT(agg_store_distinct(fx.s, "region:mangystau", 0, HOUR, &n, NULL, 0), 0);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(agg_store_distinct(fx.s, "all", HOUR, 2 * HOUR, &n, NULL, 0), 0);
    CHECK(n > 980 && n < 1020);
    CHECK_EQ_INT(agg_store_distinct(fx.s, "platform:telegram", 0, 2 * HOUR, &n, NULL, 0), 0);
    CHECK_EQ_INT(n, 0); /* not an author dimension */

    /* A sketch kept sparse goes dense past 2048 registers, in the middle of
     * a batch and across batches: the count is a dense sketch's, exactly. */
    agg_hll_init(want);
    for (int batch = 0; batch < 3; batch++) {
        agg_batch_reset(fx.b);
        for (int i = batch * 2000; i < (batch + 1) * 2000; i++) {
            int len = snprintf(author, sizeof author, "kk:%d", i);

            post(fx.b, 5 * HOUR + 10 * MIN, "vk", "kz-47", "protest", NULL, author, NULL);
            agg_hll_add(want, author, (size_t)len);
        }
        CHECK_EQ_INT(apply(fx.s, fx.b, NULL, 0), 0);
        CHECK_EQ_INT(agg_store_distinct(fx.s, "region:kz-47", 5 * HOUR, 6 * HOUR, &n, NULL, 0), 0);
        CHECK_EQ_INT(n, agg_hll_count(want));
    }
    CHECK(n > 5900 && n < 6100);
    free(want);
    teardown(&fx);
}

/* A call to action (mob:call) in region by author. */
static void call(struct agg_batch *b, int64_t ts, const char *region, const char *author)
{
    struct agg_facts f = {.ts_ms = ts,
                          .lang = S("kk"),
                          .region = cs(region),
                          .author = cs(author),
                          .mobilization = 1};

    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
}

/* The alert rules' counters: mob:call per region, distinct callers per minute. */
static void test_distinct_minutes(void)
{
    struct fixture fx;
    uint64_t n = 99;
    char err[256];

    if (!setup(&fx, NULL)) {
        teardown(&fx);
        return;
    }
    call(fx.b, 10 * MIN + 1, "kz-47", "a1");
    call(fx.b, 10 * MIN + 2, "kz-47", "a2");
    call(fx.b, 10 * MIN + 3, "kz-47", "a2"); /* the same author again */
    call(fx.b, 11 * MIN, "kz-47", "a3");
    call(fx.b, 11 * MIN + 5, "kz-47", "a1");
    call(fx.b, 11 * MIN + 7, "kz-75", "b1");
    call(fx.b, 12 * MIN, NULL, "c1"); /* no region: mob:call only */
    CHECK_EQ_INT(apply(fx.s, fx.b, NULL, 0), 0);
    CHECK_SERIES(fx.s, AGG_MINUTE, "mob:call|region:kz-47", 10 * MIN, 13 * MIN, "3 2 0");
    CHECK_SERIES(fx.s, AGG_MINUTE, "mob:call|region:KZ-75", 10 * MIN, 13 * MIN, "0 1 0");
    CHECK_SERIES(fx.s, AGG_HOUR, "mob:call", 0, HOUR, "7");
    CHECK_EQ_INT(
        agg_store_distinct_minutes(fx.s, "mob:call|region:kz-47", 10 * MIN, 11 * MIN, &n, NULL, 0),
        0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(
        agg_store_distinct_minutes(fx.s, "mob:call|region:kz-47", 10 * MIN, 12 * MIN, &n, NULL, 0),
        0);
    CHECK_EQ_INT(n, 3); /* a union, not a sum: a1 posted in both minutes */
    CHECK_EQ_INT(agg_store_distinct_minutes(fx.s, "mob:call", 0, 13 * MIN, &n, NULL, 0), 0);
    CHECK_EQ_INT(n, 5);
    CHECK_EQ_INT(agg_store_distinct_minutes(fx.s, "mob:call", 11 * MIN, 12 * MIN, &n, NULL, 0), 0);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_INT(agg_store_distinct_minutes(fx.s, "region:kz-47", 0, 13 * MIN, &n, NULL, 0), 0);
    CHECK_EQ_INT(n, 0); /* kept per hour only */
    CHECK_EQ_INT(agg_store_distinct(fx.s, "mob:call", 0, HOUR, &n, NULL, 0), 0);
    CHECK_EQ_INT(n, 0); /* kept per minute only */
    CHECK_EQ_INT(agg_store_distinct_minutes(fx.s, "mob:call", 0, 1441 * MIN, &n, err, sizeof err),
                 KZ_ERANGE);
    CHECK(strstr(err, "1441 minutes") != NULL);
    teardown(&fx);
}

static void test_dims(void)
{
    struct fixture fx;

    if (!setup(&fx, NULL)) {
        teardown(&fx);
        return;
    }
    post(fx.b, 0, "telegram", "almaty", "protest", NULL, NULL, NULL);
    post(fx.b, 1, "telegram", "mangystau", "protest", NULL, NULL, NULL);
    post(fx.b, 2, "vk", "mangystau", "protest", NULL, NULL, NULL);
    post(fx.b, 3, "vk", "almaty", "war_ukraine", "pro_russia", NULL, NULL);
    post(fx.b, 4, "x", NULL, "war_ukraine", "pro_ukraine", NULL, NULL);
    post(fx.b, HOUR, "x", NULL, "war_ukraine", "pro_ukraine", NULL, NULL);
    CHECK_EQ_INT(apply(fx.s, fx.b, NULL, 0), 0);

    check_dims(fx.s, AGG_HOUR, "topic:", 0, HOUR, "topic:protest=3 topic:war_ukraine=2", __LINE__);
    check_dims(fx.s, AGG_HOUR, "topic:", 0, 2 * HOUR, "topic:protest=3 topic:war_ukraine=3",
               __LINE__);
    check_dims(fx.s, AGG_MINUTE, "platform:", 0, MIN,
               "platform:telegram=2 platform:vk=2 platform:x=1", __LINE__);
    check_dims(fx.s, AGG_HOUR, "topic:protest|", 0, HOUR,
               "topic:protest|platform:telegram=2 topic:protest|region:mangystau=2 "
               "topic:protest|platform:vk=1 topic:protest|region:almaty=1",
               __LINE__);
    check_dims(fx.s, AGG_HOUR, "stance:", 0, 2 * HOUR, "stance:pro_ukraine=2 stance:pro_russia=1",
               __LINE__);
    check_dims(fx.s, AGG_HOUR, "", 0, HOUR,
               "all=5 lang:kk=5 topic:protest=3 platform:telegram=2 platform:vk=2 "
               "region:almaty=2 region:mangystau=2 topic:war_ukraine=2 platform:x=1 "
               "stance:pro_russia=1 stance:pro_ukraine=1",
               __LINE__);
    check_dims(fx.s, AGG_HOUR, "region:", 5 * HOUR, 6 * HOUR, "", __LINE__);
    teardown(&fx);
}

static void test_idempotency(void)
{
    struct fixture fx;
    struct agg_position p0 = {"kz.posts", 0, 100, 0}, p1 = {"kz.posts", 1, 50, 0};
    struct agg_position both[2] = {{"kz.posts", 0, 100, 0}, {"kz.posts", 1, 50, 0}};
    struct agg_position file = {"archive/2022-01.jsonl.zst", -1, 4096, 0};
    int64_t off = -1;
    char err[128] = "";

    if (!setup(&fx, NULL)) {
        teardown(&fx);
        return;
    }
    CHECK_EQ_INT(agg_store_offset(fx.s, "kz.posts", 0, &off, err, sizeof err), KZ_ENOTFOUND);
    post(fx.b, 0, "telegram", "almaty", "protest", NULL, "tg:1", "митинг");
    post(fx.b, MIN, "telegram", "almaty", "protest", NULL, "tg:2", "митинг");

    CHECK_EQ_INT(apply(fx.s, fx.b, &p0, 1), 0);
    CHECK_EQ_INT(agg_store_offset(fx.s, "kz.posts", 0, &off, NULL, 0), 0);
    CHECK_EQ_INT(off, 100);
    /* The same batch with the same position: a redelivery, nothing changes. */
    CHECK_EQ_INT(apply(fx.s, fx.b, &p0, 1), 1);
    p0.offset = 99;
    CHECK_EQ_INT(apply(fx.s, fx.b, &p0, 1), 1);
    CHECK_SERIES(fx.s, AGG_MINUTE, "all", 0, 2 * MIN, "1 1");
    check_top(fx.s, AGG_TOP_HASHTAG, 0, HOUR, 5, "митинг=2", __LINE__);
    CHECK_EQ_INT(agg_store_offset(fx.s, "kz.posts", 0, &off, NULL, 0), 0);
    CHECK_EQ_INT(off, 100); /* never lowered */

    /* A duplicate for partition 0 and new for partition 1: a conflict (two
     * writers), nothing changes. */
    CHECK_EQ_INT(apply(fx.s, fx.b, both, 2), AGG_APPLY_CONFLICT);
    CHECK_SERIES(fx.s, AGG_MINUTE, "all", 0, 2 * MIN, "1 1");
    CHECK_EQ_INT(agg_store_offset(fx.s, "kz.posts", 1, &off, NULL, 0), KZ_ENOTFOUND);
    /* Both partitions advanced (one a new one): the batch applies. */
    both[0].offset = 101;
    CHECK_EQ_INT(apply(fx.s, fx.b, both, 2), 0);
    CHECK_SERIES(fx.s, AGG_MINUTE, "all", 0, 2 * MIN, "2 2");
    CHECK_EQ_INT(agg_store_offset(fx.s, "kz.posts", 1, &off, NULL, 0), 0);
    CHECK_EQ_INT(off, 50);
    CHECK_EQ_INT(apply(fx.s, fx.b, both, 2), 1);
    p1.offset = 51;
    both[1] = p1;
    both[0].offset = 102;
    CHECK_EQ_INT(apply(fx.s, fx.b, both, 2), 0); /* both moved on */
    CHECK_SERIES(fx.s, AGG_MINUTE, "all", 0, 2 * MIN, "3 3");
    CHECK_EQ_INT(agg_store_offset(fx.s, "kz.posts", 1, &off, NULL, 0), 0);
    CHECK_EQ_INT(off, 51);
    CHECK_EQ_INT(agg_store_offset(fx.s, "kz.posts", 0, &off, NULL, 0), 0);
    CHECK_EQ_INT(off, 102);

    /* Fencing: a batch overlapping the stored offset (first <= stored < last)
     * changes nothing; one starting right after it applies. */
    {
        struct agg_position ov = {"kz.posts", 0, 150, 100}, next = {"kz.posts", 0, 150, 103};
        char e[128];

        CHECK_EQ_INT(agg_store_apply(fx.s, fx.b, &ov, 1, e, sizeof e), AGG_APPLY_CONFLICT);
        CHECK_SERIES(fx.s, AGG_MINUTE, "all", 0, 2 * MIN, "3 3");
        CHECK_EQ_INT(agg_store_offset(fx.s, "kz.posts", 0, &off, NULL, 0), 0);
        CHECK_EQ_INT(off, 102);
        CHECK_EQ_INT(agg_store_apply(fx.s, fx.b, &next, 1, e, sizeof e), 0);
        CHECK_SERIES(fx.s, AGG_MINUTE, "all", 0, 2 * MIN, "4 4");
        CHECK_EQ_INT(agg_store_apply(fx.s, fx.b, &ov, 1, e, sizeof e), AGG_APPLY_DUPLICATE);
        ov.first_offset = 151; /* first above last */
        CHECK_EQ_INT(agg_store_apply(fx.s, fx.b, &ov, 1, e, sizeof e), KZ_EINVAL);
        CHECK_EQ_INT(agg_store_offset(fx.s, "kz.posts", 0, &off, NULL, 0), 0);
        CHECK_EQ_INT(off, 150);
    }

    /* Files use partition -1; other sources and partitions stay unknown. */
    CHECK_EQ_INT(apply(fx.s, fx.b, &file, 1), 0);
    CHECK_EQ_INT(agg_store_offset(fx.s, file.source, -1, &off, NULL, 0), 0);
    CHECK_EQ_INT(off, 4096);
    CHECK_EQ_INT(agg_store_offset(fx.s, file.source, 0, &off, NULL, 0), KZ_ENOTFOUND);
    CHECK_EQ_INT(agg_store_offset(fx.s, "kz.posts", 2, &off, NULL, 0), KZ_ENOTFOUND);
    CHECK_EQ_INT(agg_store_offset(fx.s, "kz.other", 0, &off, NULL, 0), KZ_ENOTFOUND);

    /* No positions: always applies. */
    CHECK_EQ_INT(apply(fx.s, fx.b, NULL, 0), 0);
    CHECK_SERIES(fx.s, AGG_MINUTE, "all", 0, 2 * MIN, "6 6");
    {
        uint64_t n = 0;

        CHECK_EQ_INT(agg_store_distinct(fx.s, "all", 0, HOUR, &n, NULL, 0), 0);
        CHECK_EQ_INT(n, 2); /* re-applied authors are still two people */
    }
    /* Bad arguments leave a message. */
    err[0] = '\0';
    CHECK_EQ_INT(agg_store_apply(fx.s, NULL, NULL, 0, err, sizeof err), KZ_EINVAL);
    CHECK(err[0] != '\0');
    {
        struct agg_position nosrc = {NULL, 0, 1, 0};

        CHECK_EQ_INT(agg_store_apply(fx.s, fx.b, &nosrc, 1, err, sizeof err), KZ_EINVAL);
    }
    teardown(&fx);
}

static void test_retention_and_bounds(void)
{
    struct agg_mem_config cfg = {.minute_retention_ms = 10 * MIN, .hour_retention_ms = 2 * HOUR};
    struct fixture fx;
    int64_t from = 0, to = 0;

    if (!setup(&fx, &cfg)) {
        teardown(&fx);
        return;
    }
    CHECK_EQ_INT(agg_store_mem_bounds(fx.s, &from, &to), KZ_ENOTFOUND);
    for (int m = 0; m < 30; m++)
        post(fx.b, 3 * HOUR + m * MIN, "telegram", NULL, "protest", NULL, "tg:1", "митинг");
    post(fx.b, 0, "vk", NULL, NULL, NULL, "vk:1", "qantar"); /* hour 0, three hours old */
    CHECK_EQ_INT(apply(fx.s, fx.b, NULL, 0), 0);

    /* Minutes: the newest is 3h29m; 10 minutes keeps 3h20m..3h29m. */
    CHECK_SERIES(fx.s, AGG_MINUTE, "all", 3 * HOUR + 18 * MIN, 3 * HOUR + 22 * MIN, "0 0 1 1");
    CHECK_SERIES(fx.s, AGG_MINUTE, "all", 0, MIN, "0");
    /* Hours: the newest is 3h; 2 hours keeps hours 2 and 3. */
    CHECK_SERIES(fx.s, AGG_HOUR, "all", 0, 4 * HOUR, "0 0 0 30");
    check_top(fx.s, AGG_TOP_HASHTAG, 0, 4 * HOUR, 5, "митинг=30", __LINE__);
    CHECK_EQ_INT(agg_store_mem_bounds(fx.s, &from, &to), 0);
    CHECK_EQ_INT(from, 3 * HOUR);
    CHECK_EQ_INT(to, 4 * HOUR);

    /* A late post within retention is kept; the horizon moves with new data. */
    agg_batch_reset(fx.b);
    post(fx.b, 2 * HOUR + 30 * MIN, "vk", NULL, NULL, NULL, NULL, NULL);
    post(fx.b, 4 * HOUR + 5 * MIN, "vk", NULL, NULL, NULL, NULL, NULL);
    CHECK_EQ_INT(apply(fx.s, fx.b, NULL, 0), 0);
    CHECK_SERIES(fx.s, AGG_HOUR, "all", 2 * HOUR, 5 * HOUR, "0 30 1");
    CHECK_EQ_INT(agg_store_mem_bounds(fx.s, &from, &to), 0);
    CHECK_EQ_INT(from, 3 * HOUR);
    CHECK_EQ_INT(to, 5 * HOUR);
    CHECK_SERIES(fx.s, AGG_MINUTE, "all", 3 * HOUR + 55 * MIN, 4 * HOUR + 6 * MIN,
                 "0 0 0 0 0 0 0 0 0 0 1");
    teardown(&fx);

    /* Keep-forever store: bounds span every bucket, at hour resolution. */
    if (!setup(&fx, NULL)) {
        teardown(&fx);
        return;
    }
    post(fx.b, -90 * MIN, "vk", NULL, NULL, NULL, NULL, NULL);
    post(fx.b, 100 * HOUR + 1, "vk", NULL, NULL, NULL, NULL, NULL);
    CHECK_EQ_INT(apply(fx.s, fx.b, NULL, 0), 0);
    CHECK_EQ_INT(agg_store_mem_bounds(fx.s, &from, &to), 0);
    CHECK_EQ_INT(from, -2 * HOUR);
    CHECK_EQ_INT(to, 101 * HOUR);
    teardown(&fx);
}

/* A store with no operations: the wrapper must answer for it. */
static void nop_free(void *self)
{
    free(self);
}

static void test_wrapper(void)
{
    static const struct agg_store_ops nop = {.name = "nop", .free = nop_free};
    struct agg_store *s = NULL;
    struct agg_series r;
    struct agg_mem_config bad = {.minute_retention_ms = -1};
    int64_t a, z, off;
    char err[128] = "";

    CHECK_EQ_INT(agg_store_wrap(&nop, malloc(16), &s), 0);
    if (!s)
        return;
    CHECK_EQ_STR(agg_store_name(s), "nop");
    CHECK_EQ_INT(agg_store_series(s, AGG_HOUR, "all", 0, HOUR, &r, err, sizeof err),
                 KZ_EUNSUPPORTED);
    CHECK(strstr(err, "nop") != NULL);
    CHECK_EQ_INT(agg_store_offset(s, "kz.posts", 0, &off, err, sizeof err), KZ_EUNSUPPORTED);
    CHECK_EQ_INT(agg_store_publish_watermark(s, "g", "m", 0, 0, err, sizeof err), KZ_EUNSUPPORTED);
    CHECK(strstr(err, "nop") != NULL);
    CHECK_EQ_INT(agg_store_retire(s, "g", "m", err, sizeof err), KZ_EUNSUPPORTED);
    CHECK_EQ_INT(agg_store_watermark(s, "g", 0, 0, &off, err, sizeof err), KZ_EUNSUPPORTED);
    CHECK_EQ_INT(agg_store_mem_bounds(s, &a, &z), KZ_EINVAL); /* not a mem store */
    agg_store_free(s);
    CHECK_EQ_INT(agg_store_mem_new(&bad, &s), KZ_EINVAL);
    CHECK(s == NULL);
    CHECK_EQ_INT(agg_store_series(NULL, AGG_HOUR, "all", 0, HOUR, &r, NULL, 0), KZ_EINVAL);
    agg_store_free(NULL);
    agg_series_free(NULL);
    agg_top_free(NULL);
    agg_dimcounts_free(NULL);
}

/* ---------------------------------------------------------------------------
 * Watermarks: the cases of wm_steps.h
 * ------------------------------------------------------------------------ */

static void test_watermarks(void)
{
    struct agg_store *s = NULL;
    char err[128] = "";
    int64_t wm;

    CHECK_EQ_INT(agg_store_mem_new(NULL, &s), 0);
    if (!s)
        return;
    wm_run_steps(s, "");
    CHECK_EQ_INT(agg_store_watermark(s, "g2", 1000, T0, NULL, err, sizeof err), KZ_EINVAL);
    CHECK_EQ_INT(agg_store_watermark(NULL, "g2", 1000, T0, &wm, err, sizeof err), KZ_EINVAL);
    /* Many members, and a member of the same name in two groups. */
    for (int i = 0; i < 100; i++) {
        char m[32];

        snprintf(m, sizeof m, "host-%d:%d", i % 7, 1000 + i);
        CHECK_EQ_INT(
            agg_store_publish_watermark(s, "big", m, T0 + 1000 * (i % 13), T0, err, sizeof err), 0);
    }
    CHECK_EQ_INT(agg_store_publish_watermark(s, "other", "host-0:1000", -1, T0, err, sizeof err),
                 0);
    CHECK_EQ_INT(agg_store_watermark(s, "big", 1000, T0, &wm, err, sizeof err), 0);
    CHECK_EQ_INT(wm, T0);
    for (int i = 0; i < 100; i += 13) { /* the members holding T0 leave */
        char m[32];

        snprintf(m, sizeof m, "host-%d:%d", i % 7, 1000 + i);
        CHECK_EQ_INT(agg_store_retire(s, "big", m, err, sizeof err), 0);
    }
    CHECK_EQ_INT(agg_store_watermark(s, "big", 1000, T0, &wm, err, sizeof err), 0);
    CHECK_EQ_INT(wm, T0 + 1000);
    CHECK_EQ_INT(agg_store_watermark(s, "other", 1000, T0, &wm, err, sizeof err), 0);
    CHECK_EQ_INT(wm, -1);
    agg_store_free(s);
}

/* ---------------------------------------------------------------------------
 * Randomized: the store against a naive count
 * ------------------------------------------------------------------------ */

static uint64_t rnd(uint64_t *st)
{
    /* xorshift64*: deterministic, so a failure replays. */
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return *st * 0x2545f4914f6cdd1dULL;
}

#define R_MINUTES (3 * 24 * 60) /* three days */
#define R_POSTS 100000

static void test_randomized(void)
{
    static const char *const topics[] = {"protest", "war_ukraine", "prices", "mobilization"};
    static const char *const regions[] = {"almaty", "mangystau", "astana", "atyrau", NULL};
    static const char *const platforms[] = {"telegram", "vk", "x"};
    const int64_t base = 1641168000000LL; /* 2022-01-03 00:00 UTC: Qantar */
    int64_t *all = calloc(R_MINUTES, sizeof *all), *pa = calloc(R_MINUTES, sizeof *pa);
    int64_t hour_all[R_MINUTES / 60] = {0}, tot_topic[4] = {0};
    struct fixture fx;
    uint64_t st = 0x6b7a70756c7365ULL;
    int64_t offset = 0;
    size_t flush_at;
    int ok = 1;

    if (!all || !pa || !setup(&fx, NULL)) {
        free(all);
        free(pa);
        teardown(&fx);
        return;
    }
    flush_at = 1 + rnd(&st) % 5000;
    for (int i = 0; i < R_POSTS; i++) {
        int m = (int)(rnd(&st) % R_MINUTES);
        int64_t ts = base + m * MIN + (int64_t)(rnd(&st) % MIN);
        int t = (int)(rnd(&st) % 4);
        const char *r = regions[rnd(&st) % 5];
        const char *p = platforms[rnd(&st) % 3];
        char author[32];

        snprintf(author, sizeof author, "tg:%u", (unsigned)(rnd(&st) % 20000));
        post(fx.b, ts, p, r, topics[t], NULL, author, NULL);
        all[m]++;
        hour_all[m / 60]++;
        tot_topic[t]++;
        if (t == 0 && r && strcmp(r, "almaty") == 0)
            pa[m]++;
        if (agg_batch_posts(fx.b) >= flush_at || i == R_POSTS - 1) {
            struct agg_position pos = {"kz.posts", 3, offset + (int64_t)flush_at, offset + 1};

            offset += (int64_t)flush_at;

            ok &= apply(fx.s, fx.b, &pos, 1) == 0;
            ok &= apply(fx.s, fx.b, &pos, 1) == 1; /* redelivery is a no-op */
            agg_batch_reset(fx.b);
            flush_at = 1 + rnd(&st) % 5000;
        }
    }
    CHECK(ok);
    {
        struct agg_series s1, s2, s3;
        int64_t from = 0, to = 0, sum = 0;

        CHECK_EQ_INT(agg_store_mem_bounds(fx.s, &from, &to), 0);
        CHECK(from >= base - HOUR && to <= base + R_MINUTES * MIN + HOUR);
        CHECK_EQ_INT(
            agg_store_series(fx.s, AGG_MINUTE, "all", base, base + R_MINUTES * MIN, &s1, NULL, 0),
            0);
        CHECK_EQ_INT(agg_store_series(fx.s, AGG_MINUTE, "topic:protest|region:almaty", base,
                                      base + R_MINUTES * MIN, &s2, NULL, 0),
                     0);
        CHECK_EQ_INT(
            agg_store_series(fx.s, AGG_HOUR, "all", base, base + R_MINUTES * MIN, &s3, NULL, 0), 0);
        CHECK_EQ_INT(s1.n, R_MINUTES);
        CHECK_EQ_INT(s2.n, R_MINUTES);
        CHECK_EQ_INT(s3.n, R_MINUTES / 60);
        ok = s1.n == R_MINUTES && s2.n == R_MINUTES && s3.n == R_MINUTES / 60;
        for (size_t i = 0; ok && i < R_MINUTES; i++) {
            ok &= s1.points[i].count == all[i] && s2.points[i].count == pa[i];
            ok &= s1.points[i].bucket_ms == base + (int64_t)i * MIN;
            sum += all[i];
        }
        for (size_t i = 0; ok && i < R_MINUTES / 60; i++)
            ok &= s3.points[i].count == hour_all[i];
        CHECK(ok);
        CHECK_EQ_INT(s1.total, R_POSTS);
        CHECK_EQ_INT(s3.total, R_POSTS);
        CHECK_EQ_INT(sum, R_POSTS);
        agg_series_free(&s1);
        agg_series_free(&s2);
        agg_series_free(&s3);
    }
    {
        struct agg_dimcounts d;

        CHECK_EQ_INT(agg_store_dims(fx.s, AGG_MINUTE, "topic:", INT64_MIN, INT64_MAX, &d, NULL, 0),
                     0);
        CHECK_EQ_INT(d.n, 4);
        for (size_t i = 0; i < d.n; i++)
            for (size_t t = 0; t < 4; t++)
                if (strcmp(d.items[i].dim + 6, topics[t]) == 0)
                    CHECK_EQ_INT(d.items[i].count, tot_topic[t]);
        for (size_t i = 1; i < d.n; i++)
            CHECK(d.items[i - 1].count >= d.items[i].count);
        agg_dimcounts_free(&d);
    }
    {
        uint64_t n = 0;

        CHECK_EQ_INT(agg_store_distinct(fx.s, "all", INT64_MIN, INT64_MAX, &n, NULL, 0), 0);
        CHECK(n > 19500 && n < 20500); /* ~20000 authors, HLL error ~0.8% */
    }
    free(all);
    free(pa);
    teardown(&fx);
}

int main(void)
{
    RUN(test_series);
    RUN(test_topk);
    RUN(test_distinct);
    RUN(test_distinct_minutes);
    RUN(test_dims);
    RUN(test_idempotency);
    RUN(test_retention_and_bounds);
    RUN(test_wrapper);
    RUN(test_watermarks);
    RUN(test_randomized);
    return TAP_DONE();
}
