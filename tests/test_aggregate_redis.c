/* test_aggregate_redis.c -- the Redis store against a real redis-server.
 *
 * Runs under tests/harness/with-servers.sh, which exports KZ_TEST_REDIS_PORT
 * (the test fails, not skips, without it) and KZ_TEST_HARNESS_DIR.  It works
 * in database 5 and flushes it before each case: keys are fixed by the
 * schema, and the harness's server is a throwaway one.
 *
 * The main case feeds the same 20 000 random posts (fixed seed, six hours of
 * event time with late posts, four Kafka partitions and one file) in random
 * batches to the in-process store and to the Redis store, re-applying some
 * batches, and requires every query to answer identically: series at both
 * granularities for every dimension and cross, dimension totals, top-k,
 * distinct authors, offsets.  Others pin idempotency, TTLs and retention by
 * event time, errors (WRONGTYPE, bad URLs, a flushed script cache) and a
 * Redis restart (KZ_EAGAIN while it is down, success after; skipped only
 * without KZ_TEST_HARNESS_DIR).  Watermarks run the cases of wm_steps.h (as
 * the in-process store does) and then look at the keys themselves: fields,
 * values, the day-long EXPIRE, retiring, an entry that is not a number.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "aggregate.h"
#include "tap.h"
#include "wm_steps.h"

#define DB 5
#define MIN AGG_MINUTE_MS
#define HOUR AGG_HOUR_MS
#define BASE 1741564800000LL /* 2025-03-10T00:00:00Z */
#define YEARS_100 (100LL * 365 * 86400)

static char url[128];
static redisContext *raw; /* the test's own connection, for set-up and inspection */

/* ---------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static struct kz_str cs(const char *s)
{
    return kz_str_make(s, s ? strlen(s) : 0);
}

static int raw_connect(void)
{
    const char *port = getenv("KZ_TEST_REDIS_PORT");
    redisReply *r;

    if (raw)
        redisFree(raw);
    raw = redisConnect("127.0.0.1", atoi(port));
    if (!raw || raw->err)
        return -1;
    r = redisCommand(raw, "SELECT %d", DB);
    if (!r || r->type == REDIS_REPLY_ERROR)
        return -1;
    freeReplyObject(r);
    return 0;
}

/* Run a command on the raw connection; returns the reply (caller frees). */
static redisReply *rcmd(const char *fmt, const char *arg)
{
    redisReply *r = redisCommand(raw, fmt, arg);

    if (!r)
        fprintf(stderr, "raw redis: %s\n", raw->errstr);
    return r;
}

static long long rint_cmd(const char *fmt, const char *arg)
{
    redisReply *r = rcmd(fmt, arg);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -999;

    if (r)
        freeReplyObject(r);
    return v;
}

static void flushdb(void)
{
    redisReply *r = rcmd("FLUSHDB", NULL);

    CHECK(r && r->type == REDIS_REPLY_STATUS);
    if (r)
        freeReplyObject(r);
}

static struct agg_store *redis_store(int64_t minute_ttl, int64_t hour_ttl)
{
    struct agg_redis_config cfg;
    struct agg_store *s = NULL;
    char err[256] = "";
    int rc;

    agg_redis_config_default(&cfg);
    cfg.url = url;
    cfg.group = "test";
    cfg.minute_ttl_s = minute_ttl;
    cfg.hour_ttl_s = hour_ttl;
    rc = agg_store_redis_new(&cfg, &s, err, sizeof err);
    if (rc)
        fprintf(stderr, "redis store: %s\n", err);
    CHECK_EQ_INT(rc, 0);
    return s;
}

/* One simple post: platform telegram, language kk. */
static void post(struct agg_batch *b, int64_t ts, const char *topic, const char *author,
                 const char *hashtag)
{
    struct kz_str t = cs(topic), h = cs(hashtag);
    struct agg_facts f = {
        .ts_ms = ts,
        .platform = cs("telegram"),
        .lang = cs("kk"),
        .region = cs("almaty"),
        .author = cs(author),
        .topics = &t,
        .ntopics = topic ? 1 : 0,
        .hashtags = &h,
        .nhashtags = hashtag ? 1 : 0,
    };

    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
}

/* Positions written {source, partition, offset} (first_offset 0) cover just
 * that offset. */
static int apply(struct agg_store *s, struct agg_batch *b, const struct agg_position *pos,
                 size_t npos, char *err, size_t errlen)
{
    struct agg_position cp[16];
    int rc;

    for (size_t i = 0; i < npos && i < 16; i++) {
        cp[i] = pos[i];
        if (!cp[i].first_offset)
            cp[i].first_offset = cp[i].offset;
    }
    rc = agg_store_apply(s, b, npos ? cp : pos, npos, err, errlen);

    if (rc < 0)
        fprintf(stderr, "apply (%s): %s\n", agg_store_name(s), err);
    return rc;
}

static int64_t series_total(struct agg_store *s, enum agg_gran g, const char *dim, int64_t from,
                            int64_t to)
{
    struct agg_series r;
    char err[256];
    int64_t t;

    if (agg_store_series(s, g, dim, from, to, &r, err, sizeof err)) {
        fprintf(stderr, "series %s: %s\n", dim, err);
        return -1;
    }
    t = r.total;
    agg_series_free(&r);
    return t;
}

/* ---------------------------------------------------------------------------
 * Comparing two stores
 * ------------------------------------------------------------------------ */

static void same_series(struct agg_store *a, struct agg_store *b, enum agg_gran g, const char *dim,
                        int64_t from, int64_t to)
{
    struct agg_series x, y;
    char e1[256], e2[256];
    int r1 = agg_store_series(a, g, dim, from, to, &x, e1, sizeof e1);
    int r2 = agg_store_series(b, g, dim, from, to, &y, e2, sizeof e2);

    CHECK_EQ_INT(r2, r1);
    if (r1 || r2) {
        fprintf(stderr, "series %s: %s / %s\n", dim, e1, e2);
        goto out;
    }
    tap_checks++;
    if (x.n != y.n || x.total != y.total) {
        tap_failed++;
        fprintf(stderr, "series %s %s [%lld, %lld): n %zu/%zu total %lld/%lld\n", dim,
                agg_gran_name(g), (long long)from, (long long)to, x.n, y.n, (long long)x.total,
                (long long)y.total);
        goto out;
    }
    for (size_t i = 0; i < x.n; i++) {
        if (x.points[i].bucket_ms != y.points[i].bucket_ms ||
            x.points[i].count != y.points[i].count) {
            tap_failed++;
            fprintf(stderr, "series %s %s: point %zu: %lld=%lld vs %lld=%lld\n", dim,
                    agg_gran_name(g), i, (long long)x.points[i].bucket_ms,
                    (long long)x.points[i].count, (long long)y.points[i].bucket_ms,
                    (long long)y.points[i].count);
            break;
        }
    }
out:
    agg_series_free(&x);
    agg_series_free(&y);
}

/* Returns the number of members. */
static size_t same_topk(struct agg_store *a, struct agg_store *b, enum agg_top_kind k, int64_t from,
                        int64_t to, size_t limit)
{
    struct agg_top x, y;
    char e1[256], e2[256];
    int r1 = agg_store_topk(a, k, from, to, limit, &x, e1, sizeof e1);
    int r2 = agg_store_topk(b, k, from, to, limit, &y, e2, sizeof e2);
    size_t n;

    CHECK_EQ_INT(r1, 0);
    CHECK_EQ_INT(r2, 0);
    tap_checks++;
    if (x.n != y.n) {
        tap_failed++;
        fprintf(stderr, "topk %s limit %zu: n %zu vs %zu (%s / %s)\n", agg_top_kind_name(k), limit,
                x.n, y.n, r1 ? e1 : "", r2 ? e2 : "");
    } else {
        for (size_t i = 0; i < x.n; i++) {
            if (strcmp(x.items[i].member, y.items[i].member) != 0 ||
                x.items[i].count != y.items[i].count) {
                tap_failed++;
                fprintf(stderr, "topk %s: item %zu: %s=%lld vs %s=%lld\n", agg_top_kind_name(k), i,
                        x.items[i].member, (long long)x.items[i].count, y.items[i].member,
                        (long long)y.items[i].count);
                break;
            }
        }
    }
    n = y.n;
    agg_top_free(&x);
    agg_top_free(&y);
    return n;
}

typedef int (*distinct_fn)(struct agg_store *, const char *, int64_t, int64_t, uint64_t *, char *,
                           size_t);

/* The two stores' answers of fn (named what) agree; returns the count. */
static uint64_t same_count(distinct_fn fn, const char *what, struct agg_store *a,
                           struct agg_store *b, const char *dim, int64_t from, int64_t to)
{
    uint64_t x = 1, y = 2;

    CHECK_EQ_INT(fn(a, dim, from, to, &x, NULL, 0), 0);
    CHECK_EQ_INT(fn(b, dim, from, to, &y, NULL, 0), 0);
    tap_checks++;
    if (x != y) {
        tap_failed++;
        fprintf(stderr, "%s %s [%lld, %lld): %llu vs %llu\n", what, dim, (long long)from,
                (long long)to, (unsigned long long)x, (unsigned long long)y);
    }
    return y;
}

static uint64_t same_distinct(struct agg_store *a, struct agg_store *b, const char *dim,
                              int64_t from, int64_t to)
{
    return same_count(agg_store_distinct, "distinct", a, b, dim, from, to);
}

/* Compare dims(prefix); then every dimension it lists, as series.  Returns how
 * many dimensions there were. */
static size_t same_dims(struct agg_store *a, struct agg_store *b, enum agg_gran g,
                        const char *prefix, int64_t from, int64_t to, int with_series)
{
    struct agg_dimcounts x, y;
    int r1 = agg_store_dims(a, g, prefix, from, to, &x, NULL, 0);
    int r2 = agg_store_dims(b, g, prefix, from, to, &y, NULL, 0);
    size_t n = x.n;

    CHECK_EQ_INT(r1, 0);
    CHECK_EQ_INT(r2, 0);
    tap_checks++;
    if (x.n != y.n) {
        tap_failed++;
        fprintf(stderr, "dims \"%s\" %s: n %zu vs %zu\n", prefix, agg_gran_name(g), x.n, y.n);
    } else {
        for (size_t i = 0; i < x.n; i++) {
            if (strcmp(x.items[i].dim, y.items[i].dim) != 0 ||
                x.items[i].count != y.items[i].count) {
                tap_failed++;
                fprintf(stderr, "dims \"%s\": item %zu: %s=%lld vs %s=%lld\n", prefix, i,
                        x.items[i].dim, (long long)x.items[i].count, y.items[i].dim,
                        (long long)y.items[i].count);
                break;
            }
        }
    }
    for (size_t i = 0; with_series && i < x.n; i++) {
        same_series(a, b, AGG_MINUTE, x.items[i].dim, from, to);
        same_series(a, b, AGG_HOUR, x.items[i].dim, from, to);
        same_series(a, b, AGG_MINUTE, x.items[i].dim, from + 17 * MIN + 5, from + 3 * HOUR - 1);
    }
    agg_dimcounts_free(&x);
    agg_dimcounts_free(&y);
    return n;
}

/* ---------------------------------------------------------------------------
 * Cases
 * ------------------------------------------------------------------------ */

static uint64_t rnd(uint64_t *st)
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return *st * 0x2545f4914f6cdd1dULL;
}

#define N_POSTS 20000
#define N_PART 5 /* four Kafka partitions and one file */

static const char *const topics[] = {"protest",      "war_ukraine", "prices",
                                     "mobilization", "elections",   "ecology"};
static const char *const regions[] = {"almaty",   "astana",    "mangystau", "atyrau",
                                      "shymkent", "zhanaozen", "",          ""};
static const char *const stances[] = {"pro_ukraine", "pro_russia", "none", ""};

static void random_post(struct agg_batch *b, uint64_t *st)
{
    static const char *const platforms[] = {"telegram", "vk", "x", "instagram"};
    static const char *const langs[] = {"kk", "ru", "mixed", "en", ""};
    static const char *const tag_stems[] = {"митинг", "жаңаөзен", "Qantar", "газ",
                                            "peace",  "Бірлік",   "news"};
    char author[32], channel[32], tagbuf[3][48], termbuf[4][32];
    struct kz_str tp[2], tags[3], terms[4];
    struct agg_facts f;
    size_t nt = rnd(st) % 3, nh = rnd(st) % 4, nterm = rnd(st) % 5;
    int64_t ts = BASE + (int64_t)(rnd(st) % (uint64_t)(6 * HOUR));

    if (rnd(st) % 100 < 3) /* late: up to five hours behind */
        ts -= (int64_t)(rnd(st) % (uint64_t)(5 * HOUR));
    memset(&f, 0, sizeof f);
    snprintf(author, sizeof author, "user%llu", (unsigned long long)(rnd(st) % 3000));
    snprintf(channel, sizeof channel, "chan%llu", (unsigned long long)(rnd(st) % 40));
    for (size_t i = 0; i < nt; i++)
        tp[i] = cs(topics[rnd(st) % KZ_ARRAY_LEN(topics)]);
    for (size_t i = 0; i < nh; i++) {
        snprintf(tagbuf[i], sizeof tagbuf[i], "%s%llu",
                 tag_stems[rnd(st) % KZ_ARRAY_LEN(tag_stems)], (unsigned long long)(rnd(st) % 40));
        tags[i] = cs(tagbuf[i]);
    }
    for (size_t i = 0; i < nterm; i++) {
        snprintf(termbuf[i], sizeof termbuf[i], "term%llu", (unsigned long long)(rnd(st) % 300));
        terms[i] = cs(termbuf[i]);
    }
    f.ts_ms = ts;
    f.platform = cs(platforms[rnd(st) % KZ_ARRAY_LEN(platforms)]);
    f.lang = cs(langs[rnd(st) % KZ_ARRAY_LEN(langs)]);
    f.region = cs(regions[rnd(st) % KZ_ARRAY_LEN(regions)]);
    f.author = rnd(st) % 20 ? cs(author) : cs("");
    f.channel = rnd(st) % 4 ? cs(channel) : cs("");
    f.topics = tp;
    f.ntopics = nt;
    f.stance = cs(stances[rnd(st) % KZ_ARRAY_LEN(stances)]);
    f.mobilization = rnd(st) % 10 == 0;
    f.hashtags = tags;
    f.nhashtags = nh;
    f.terms = terms;
    f.nterms = nterm;
    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
}

/* The sample posts of dim over [from, to) from both stores: the same
 * records in the same order.  Returns how many. */
static size_t same_posts(struct agg_store *mem, struct agg_store *red, const char *dim,
                         int64_t from, int64_t to, size_t limit)
{
    struct agg_posts a = {0}, b = {0};
    char e1[256], e2[256];
    size_t n;

    CHECK_EQ_INT(agg_store_posts(mem, dim, from, to, limit, &a, e1, sizeof e1), 0);
    CHECK_EQ_INT(agg_store_posts(red, dim, from, to, limit, &b, e2, sizeof e2), 0);
    CHECK_EQ_INT(b.n, a.n);
    CHECK_EQ_INT(b.total, a.total);
    for (size_t i = 0; i < a.n && i < b.n; i++) {
        CHECK_EQ_STR(b.items[i].rec, a.items[i].rec);
        CHECK_EQ_INT(b.items[i].minute_ms, a.items[i].minute_ms);
    }
    n = a.n;
    agg_posts_free(&a);
    agg_posts_free(&b);
    return n;
}

static uint64_t same_distinct_minutes(struct agg_store *a, struct agg_store *b, const char *dim,
                                      int64_t from, int64_t to)
{
    return same_count(agg_store_distinct_minutes, "distinct minutes", a, b, dim, from, to);
}

static void test_compare_random(void)
{
    static const char *const sources[N_PART] = {"posts", "posts", "posts", "posts",
                                                "archive/2025-03-10.jsonl"};
    static const int32_t parts[N_PART] = {0, 1, 2, 3, -1};
    struct agg_store *mem = NULL, *red;
    struct agg_batch *b = NULL;
    struct agg_position pos[N_PART];
    int64_t off[N_PART] = {0}, first[N_PART] = {0};
    uint64_t st = 0x5eed2025ULL;
    int done = 0, batches = 0, dups = 0;
    char e1[256], e2[256];

    flushdb();
    red = redis_store(YEARS_100, YEARS_100);
    CHECK_EQ_INT(agg_store_mem_new(NULL, &mem), 0);
    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!red || !mem || !b)
        goto out;
    while (done < N_POSTS) {
        int n = 100 + (int)(rnd(&st) % 1400), touched[N_PART] = {0};
        size_t npos = 0;

        if (n > N_POSTS - done)
            n = N_POSTS - done;
        agg_batch_reset(b);
        for (int i = 0; i < n; i++) {
            int p = (int)(rnd(&st) % N_PART);

            random_post(b, &st);
            if (!touched[p])
                first[p] = off[p] + 1;
            off[p] += 1 + (int64_t)(rnd(&st) % 3);
            touched[p] = 1;
        }
        for (int p = 0; p < N_PART; p++)
            if (touched[p])
                pos[npos++] = (struct agg_position){sources[p], parts[p], off[p], first[p]};
        CHECK_EQ_INT(apply(mem, b, pos, npos, e1, sizeof e1), 0);
        CHECK_EQ_INT(apply(red, b, pos, npos, e2, sizeof e2), 0);
        if (rnd(&st) % 4 == 0) { /* a retry after a lost acknowledgement */
            CHECK_EQ_INT(apply(mem, b, pos, npos, e1, sizeof e1), 1);
            CHECK_EQ_INT(apply(red, b, pos, npos, e2, sizeof e2), 1);
            dups++;
        }
        done += n;
        batches++;
    }
    fprintf(stderr, "  %d posts in %d batches, %d re-applied\n", done, batches, dups);

    {
        const int64_t from = BASE - 6 * HOUR, to = BASE + 7 * HOUR;
        size_t ndims = same_dims(mem, red, AGG_HOUR, "", from, to, 1);
        char prefix[64];

        CHECK(ndims > 20);
        same_dims(mem, red, AGG_MINUTE, "", from, to, 0);
        for (size_t i = 0; i < KZ_ARRAY_LEN(topics); i++) {
            snprintf(prefix, sizeof prefix, "topic:%s|", topics[i]);
            CHECK(same_dims(mem, red, AGG_HOUR, prefix, from, to, 1) > 0);
        }
        for (size_t i = 0; i < 2; i++) {
            snprintf(prefix, sizeof prefix, "stance:%s|", stances[i]);
            CHECK(same_dims(mem, red, AGG_MINUTE, prefix, from, to, 1) > 0);
        }
        same_dims(mem, red, AGG_MINUTE, "topic:", BASE + 90 * MIN, BASE + 100 * MIN, 0);
        same_dims(mem, red, AGG_HOUR, "region:", BASE + 2 * HOUR, BASE + 3 * HOUR, 0);
        same_series(mem, red, AGG_MINUTE, "no:such|dim", from, to);
        same_series(mem, red, AGG_HOUR, "all", to, from); /* empty window */
        for (int k = 0; k < 3; k++) {
            CHECK(same_topk(mem, red, (enum agg_top_kind)k, from, to, 0) > 30);
            CHECK_EQ_INT(same_topk(mem, red, (enum agg_top_kind)k, from, to, 10), 10);
            same_topk(mem, red, (enum agg_top_kind)k, BASE + HOUR, BASE + 3 * HOUR, 5);
            same_topk(mem, red, (enum agg_top_kind)k, BASE + 30 * MIN, BASE + 59 * MIN, 0);
        }
        CHECK(same_distinct(mem, red, "all", from, to) > 2500); /* 3000 authors */
        /* the per-minute sketches of calls to action (mauthors keys) */
        CHECK(same_distinct_minutes(mem, red, "mob:call", BASE, BASE + 20 * MIN) > 100);
        same_distinct_minutes(mem, red, "mob:call", BASE + 90 * MIN, BASE + 91 * MIN);
        for (size_t i = 0; i < KZ_ARRAY_LEN(regions); i++) {
            if (!regions[i][0])
                continue;
            snprintf(prefix, sizeof prefix, "mob:call|region:%s", regions[i]);
            CHECK(same_distinct_minutes(mem, red, prefix, BASE, BASE + 30 * MIN) > 10);
            same_series(mem, red, AGG_MINUTE, prefix, from, to);
        }
        for (int64_t h = BASE - 2 * HOUR; h < BASE + 6 * HOUR; h += HOUR)
            same_distinct(mem, red, "all", h, h + HOUR);
        for (size_t i = 0; i < KZ_ARRAY_LEN(topics); i++) {
            snprintf(prefix, sizeof prefix, "topic:%s", topics[i]);
            CHECK(same_distinct(mem, red, prefix, from, to) > 1000);
            same_distinct(mem, red, prefix, BASE + HOUR, BASE + 4 * HOUR);
        }
        for (size_t i = 0; i < 6; i++) {
            snprintf(prefix, sizeof prefix, "region:%s", regions[i]);
            same_distinct(mem, red, prefix, from, to);
        }
        same_distinct(mem, red, "lang:kk", from, to); /* not kept: 0 from both */
        /* Sample posts: the same first 20 a minute, in the same order. */
        for (size_t i = 0; i < KZ_ARRAY_LEN(topics); i++) {
            snprintf(prefix, sizeof prefix, "topic:%s", topics[i]);
            CHECK(same_posts(mem, red, prefix, from, to, 0) > 1000);
            CHECK_EQ_INT(same_posts(mem, red, prefix, from, to, 15), 15);
            same_posts(mem, red, prefix, BASE + 90 * MIN, BASE + 100 * MIN, 0);
        }
        for (size_t i = 0; i < 6; i++) {
            snprintf(prefix, sizeof prefix, "region:%s", regions[i]);
            same_posts(mem, red, prefix, from, to, 0);
        }
        same_posts(mem, red, "mob:call", from, to, 0);
        /* A long window: distinct asks EXISTS first (over 4096 hours). */
        same_distinct(mem, red, "all", BASE - 5000 * HOUR, to);
    }
    for (int p = 0; p < N_PART; p++) {
        int64_t x = -1, y = -2;

        CHECK_EQ_INT(agg_store_offset(mem, sources[p], parts[p], &x, NULL, 0), 0);
        CHECK_EQ_INT(agg_store_offset(red, sources[p], parts[p], &y, NULL, 0), 0);
        CHECK_EQ_INT(y, x);
        CHECK_EQ_INT(y, off[p]);
    }
    {
        int64_t x;

        CHECK_EQ_INT(agg_store_offset(red, "posts", 9, &x, NULL, 0), KZ_ENOTFOUND);
        CHECK_EQ_INT(agg_store_offset(mem, "posts", 9, &x, NULL, 0), KZ_ENOTFOUND);
    }
out:
    agg_batch_free(b);
    agg_store_free(mem);
    agg_store_free(red);
}

static void test_idempotency(void)
{
    struct agg_store *s;
    struct agg_batch *b = NULL;
    struct agg_position a[2] = {{"posts", 0, 10, 0}, {"posts", 1, 5, 0}};
    struct agg_position adv[2] = {{"posts", 0, 10, 0}, {"posts", 1, 6, 0}};
    struct agg_position big = {"posts", 0, 9000000000000000000LL, 0};
    char err[256];
    int64_t off;

    flushdb();
    s = redis_store(YEARS_100, YEARS_100);
    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!s || !b)
        goto out;
    post(b, BASE + 5 * MIN, "protest", "a1", "митинг");
    post(b, BASE + 6 * MIN, "protest", "a2", "митинг");
    CHECK_EQ_INT(apply(s, b, a, 2, err, sizeof err), 0);
    CHECK_EQ_INT(series_total(s, AGG_HOUR, "topic:protest", BASE, BASE + HOUR), 2);
    /* The same positions again: nothing changes. */
    CHECK_EQ_INT(apply(s, b, a, 2, err, sizeof err), 1);
    CHECK_EQ_INT(apply(s, b, a + 1, 1, err, sizeof err), 1);
    CHECK_EQ_INT(series_total(s, AGG_HOUR, "topic:protest", BASE, BASE + HOUR), 2);
    CHECK_EQ_INT(series_total(s, AGG_MINUTE, "all", BASE, BASE + HOUR), 2);
    /* A duplicate for partition 0, new for partition 1: a conflict (two
     * writers), nothing applies. */
    CHECK_EQ_INT(apply(s, b, adv, 2, err, sizeof err), AGG_APPLY_CONFLICT);
    CHECK_EQ_INT(series_total(s, AGG_HOUR, "topic:protest", BASE, BASE + HOUR), 2);
    /* Partition 1 alone advances: it applies and both offsets are kept. */
    CHECK_EQ_INT(apply(s, b, adv + 1, 1, err, sizeof err), 0);
    CHECK_EQ_INT(series_total(s, AGG_HOUR, "topic:protest", BASE, BASE + HOUR), 4);
    CHECK_EQ_INT(agg_store_offset(s, "posts", 0, &off, NULL, 0), 0);
    CHECK_EQ_INT(off, 10);
    CHECK_EQ_INT(agg_store_offset(s, "posts", 1, &off, NULL, 0), 0);
    CHECK_EQ_INT(off, 6);
    /* A new partition with a lower offset than others still applies. */
    {
        struct agg_position p2 = {"posts", 2, 1, 0};

        CHECK_EQ_INT(apply(s, b, &p2, 1, err, sizeof err), 0);
        CHECK_EQ_INT(apply(s, b, &p2, 1, err, sizeof err), 1);
    }
    /* Offsets compare as integers, not strings: 9 < 10, and 64-bit values. */
    {
        struct agg_position p9 = {"posts", 0, 9, 0};

        CHECK_EQ_INT(apply(s, b, &p9, 1, err, sizeof err), 1);
        CHECK_EQ_INT(apply(s, b, &big, 1, err, sizeof err), 0);
        big.offset--;
        CHECK_EQ_INT(apply(s, b, &big, 1, err, sizeof err), 1);
        CHECK_EQ_INT(agg_store_offset(s, "posts", 0, &off, NULL, 0), 0);
        CHECK_EQ_INT(off, 9000000000000000000LL);
    }
    /* Fencing: first <= stored < last changes nothing; starting after it applies. */
    {
        struct agg_position ov = {"posts", 1, 20, 6}, next = {"posts", 1, 20, 7};

        CHECK_EQ_INT(agg_store_apply(s, b, &ov, 1, err, sizeof err), AGG_APPLY_CONFLICT);
        CHECK_EQ_INT(agg_store_offset(s, "posts", 1, &off, NULL, 0), 0);
        CHECK_EQ_INT(off, 6);
        CHECK_EQ_INT(agg_store_apply(s, b, &next, 1, err, sizeof err), 0);
        CHECK_EQ_INT(agg_store_apply(s, b, &ov, 1, err, sizeof err), AGG_APPLY_DUPLICATE);
        CHECK_EQ_INT(agg_store_offset(s, "posts", 1, &off, NULL, 0), 0);
        CHECK_EQ_INT(off, 20);
    }
    /* No positions: always applies. */
    CHECK_EQ_INT(apply(s, b, NULL, 0, err, sizeof err), 0);
    CHECK_EQ_INT(series_total(s, AGG_HOUR, "all", BASE, BASE + HOUR), 12); /* 6 applies x 2 */
    {
        struct agg_redis_stats st;

        CHECK_EQ_INT(agg_store_redis_stats(s, &st), 0);
        CHECK_EQ_INT(st.applied, 6);
        CHECK_EQ_INT(st.duplicates, 6);
        CHECK_EQ_INT(st.conflicts, 2);
        CHECK_EQ_INT(st.connects, 1);
    }
out:
    agg_batch_free(b);
    agg_store_free(s);
}

static long long ttl_of(const char *key)
{
    return rint_cmd("TTL %s", key);
}

static void test_ttl(void)
{
    struct agg_store *s;
    struct agg_batch *b = NULL;
    struct agg_position p = {"posts", 0, 1, 0};
    struct agg_redis_stats st;
    int64_t now = (int64_t)time(NULL) * 1000, m, h, old, ancient;
    char key[128], err[256];
    long long t;

    flushdb();
    s = redis_store(7 * 86400, 400 * 86400);
    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!s || !b)
        goto out;
    m = now / MIN * MIN;
    h = now / HOUR * HOUR;
    old = now - 8 * 86400000LL;       /* past the minute retention only */
    ancient = now - 401 * 86400000LL; /* past both */
    post(b, now, "protest", "a1", "ttl");
    post(b, old, "protest", "a2", "ttl");
    post(b, ancient, "protest", "a3", "ttl");
    {
        struct agg_facts f = {
            .ts_ms = now, .region = cs("kz-47"), .author = cs("c1"), .mobilization = 1};

        CHECK_EQ_INT(agg_batch_add(b, &f), 0);
    }
    CHECK_EQ_INT(apply(s, b, &p, 1, err, sizeof err), 0);
    /* the per-minute sketches of calls live as long as the minute */
    snprintf(key, sizeof key, "kzp:v2:mauthors:%lld:mob:call|region:kz-47", (long long)(m / MIN));
    t = ttl_of(key);
    CHECK(t > 7 * 86400 - 120 && t <= 7 * 86400);
    CHECK_EQ_INT(rint_cmd("PFCOUNT %s", key), 1);
    snprintf(key, sizeof key, "kzp:v2:mauthors:%lld:mob:call", (long long)(m / MIN));
    CHECK_EQ_INT(rint_cmd("PFCOUNT %s", key), 1);

    snprintf(key, sizeof key, "kzp:v2:m:%lld", (long long)(m / MIN));
    t = ttl_of(key);
    CHECK(t > 7 * 86400 - 120 && t <= 7 * 86400);
    snprintf(key, sizeof key, "kzp:v2:h:%lld", (long long)(h / HOUR));
    t = ttl_of(key);
    CHECK(t > 400 * 86400 - 3700 && t <= 400 * 86400);
    snprintf(key, sizeof key, "kzp:v2:top:%lld:hashtag", (long long)(h / HOUR));
    CHECK(ttl_of(key) > 399 * 86400);
    snprintf(key, sizeof key, "kzp:v2:authors:%lld:topic:protest", (long long)(h / HOUR));
    CHECK(ttl_of(key) > 399 * 86400);
    CHECK_EQ_INT(rint_cmd("PFCOUNT %s", key), 1);

    /* Eight days old: its minute is gone already, its hour is kept. */
    snprintf(key, sizeof key, "kzp:v2:m:%lld", (long long)(old / MIN));
    CHECK_EQ_INT(rint_cmd("EXISTS %s", key), 0);
    snprintf(key, sizeof key, "kzp:v2:h:%lld", (long long)(old / HOUR));
    t = ttl_of(key);
    CHECK(t > 391 * 86400 && t < 393 * 86400);
    /* 401 days old: nothing written at all. */
    snprintf(key, sizeof key, "kzp:v2:h:%lld", (long long)(ancient / HOUR));
    CHECK_EQ_INT(rint_cmd("EXISTS %s", key), 0);
    snprintf(key, sizeof key, "kzp:v2:top:%lld:hashtag", (long long)(ancient / HOUR));
    CHECK_EQ_INT(rint_cmd("EXISTS %s", key), 0);
    snprintf(key, sizeof key, "kzp:v2:authors:%lld:all", (long long)(ancient / HOUR));
    CHECK_EQ_INT(rint_cmd("EXISTS %s", key), 0);
    CHECK_EQ_INT(series_total(s, AGG_HOUR, "all", ancient - HOUR, ancient + HOUR), 0);
    CHECK_EQ_INT(series_total(s, AGG_HOUR, "all", old - HOUR, old + HOUR), 1);
    CHECK_EQ_INT(series_total(s, AGG_MINUTE, "all", now - HOUR, now + HOUR), 2); /* and the call */
    CHECK_EQ_INT(agg_store_redis_stats(s, &st), 0);
    /* minute of old and ancient; hour, top and authors (all, topic, region) of ancient;
     * the sample posts of old and ancient (topic and region), which expire as minutes do */
    CHECK_EQ_INT(st.expired_keys, 2 + 1 + 1 + 3 + 2 * 2);
    /* The offsets advanced anyway, and never expire. */
    CHECK_EQ_INT(rint_cmd("TTL %s", "kzp:v2:offsets:test"), -1);
out:
    agg_batch_free(b);
    agg_store_free(s);
}

/* A post with what a sample shows: id, Kazakh text, evidence of a call. */
static void call_post(struct agg_batch *b, int64_t ts, int i)
{
    static const struct kz_str protest[] = {{"protest", 7}};
    const struct agg_evidence ev[] = {
        {cs("cue/call_to_action"), cs("шығамыз"), cs("шығамыз")},
        {cs("cue/place"), cs("алаң*"), cs("алаңға")},
    };
    char id[48], text[160];
    struct agg_facts f = {
        .ts_ms = ts,
        .platform = cs("vk"),
        .lang = cs("kk"),
        .region = cs("mangystau"),
        .author = cs("dana_ivanova"),
        .topics = protest,
        .ntopics = 1,
        .mobilization = 1,
        .evidence = ev,
        .nevidence = 2,
    };

    snprintf(id, sizeof id, "vk:-63926641_%d", i);
    snprintf(text, sizeof text, "Талабымыз орындалмаса, ертең %d:00-де алаңға шығамыз!", i % 24);
    f.id = cs(id);
    f.text = cs(text);
    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
}

/* Samples in Redis: written by the apply script with the counters and the
 * offsets, so a duplicate batch adds none; the first 20 a minute across
 * batches; expiring with the minute keys; the same answer as the in-process
 * store; a foreign entry in a list is left out, not a crash. */
static void test_samples(void)
{
    struct agg_store *red, *mem = NULL;
    struct agg_batch *b = NULL;
    int64_t now = (int64_t)time(NULL) * 1000, m = now / MIN * MIN;
    char key[128], err[256];
    long long t;
    int rc;

    flushdb();
    red = redis_store(7 * 86400, 400 * 86400);
    CHECK_EQ_INT(agg_store_mem_new(NULL, &mem), 0);
    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!red || !mem || !b)
        goto out;
    snprintf(key, sizeof key, "kzp:v2:posts:%lld:mob:call", (long long)(m / MIN));
    for (int k = 0; k < 3; k++) {
        struct agg_position pos = {"calls", 0, 100 * k + 99, 100 * k};

        agg_batch_reset(b);
        for (int i = 0; i < 12; i++)
            call_post(b, m + 1000 * i + k, 100 * k + i);
        CHECK_EQ_INT(agg_store_apply(red, b, &pos, 1, err, sizeof err), 0);
        CHECK_EQ_INT(agg_store_apply(mem, b, &pos, 1, err, sizeof err), 0);
        CHECK_EQ_INT(rint_cmd("LLEN %s", key), k == 0 ? 12 : 20);
        /* The same batch again (a retry after a lost reply): no sample added. */
        CHECK_EQ_INT(agg_store_apply(red, b, &pos, 1, err, sizeof err), AGG_APPLY_DUPLICATE);
        CHECK_EQ_INT(rint_cmd("LLEN %s", key), k == 0 ? 12 : 20);
        /* Fenced (overlapping another writer's offsets): none either. */
        if (k == 0) {
            struct agg_position ov = {"calls", 0, 150, 50};

            CHECK_EQ_INT(agg_store_apply(red, b, &ov, 1, err, sizeof err), AGG_APPLY_CONFLICT);
            CHECK_EQ_INT(rint_cmd("LLEN %s", key), 12);
        }
    }
    t = ttl_of(key);
    CHECK(t > 7 * 86400 - 120 && t <= 7 * 86400);
    CHECK_EQ_INT(same_posts(mem, red, "mob:call", m, m + MIN, 0), 20);
    CHECK_EQ_INT(same_posts(mem, red, "topic:protest", m - HOUR, m + HOUR, 0), 20);
    CHECK_EQ_INT(same_posts(mem, red, "region:mangystau", m, m + MIN, 5), 5);
    /* The first batch's 12 and the second's first 8, in that order. */
    {
        redisReply *r = rcmd("LRANGE %s 0 -1", key);
        struct agg_sample smp;

        CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 20);
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 20) {
            CHECK_EQ_INT(agg_sample_decode(r->element[0]->str, r->element[0]->len, &smp), 0);
            CHECK_EQ_MEM(smp.id.p, smp.id.n, "vk:-63926641_0");
            CHECK_EQ_MEM(smp.snippet.p, smp.snippet.n,
                         "Талабымыз орындалмаса, ертең 0:00-де алаңға шығамыз!");
            CHECK_EQ_INT(agg_sample_decode(r->element[19]->str, r->element[19]->len, &smp), 0);
            CHECK_EQ_MEM(smp.id.p, smp.id.n, "vk:-63926641_107");
        }
        if (r)
            freeReplyObject(r);
    }
    /* Something else pushed a line that is not a record: it is left out. */
    {
        struct agg_posts ps = {0};
        char k2[160];

        snprintf(k2, sizeof k2, "kzp:v2:posts:%lld:stance:pro_russia", (long long)(m / MIN));
        CHECK_EQ_INT(rint_cmd("RPUSH %s not-a-record", k2), 1);
        CHECK_EQ_INT(agg_store_posts(red, "stance:pro_russia", m, m + MIN, 0, &ps, err, sizeof err),
                     0);
        CHECK_EQ_INT(ps.n, 0);
        agg_posts_free(&ps);
    }
    /* A list the store has filled gets no more samples from it: with the
     * list deleted behind its back, a fourth batch writes its counts and no
     * list.  A new connection forgets that (Redis may have lost its data):
     * the next batch's samples go again. */
    {
        struct agg_position p4 = {"calls", 0, 399, 300}, p5 = {"calls", 0, 499, 400};

        CHECK_EQ_INT(rint_cmd("DEL %s", key), 1);
        agg_batch_reset(b);
        for (int i = 0; i < 12; i++)
            call_post(b, m + 1000 * i + 3, 300 + i);
        CHECK_EQ_INT(agg_store_apply(red, b, &p4, 1, err, sizeof err), 0);
        CHECK_EQ_INT(rint_cmd("LLEN %s", key), 0);
        CHECK_EQ_INT(rint_cmd("CLIENT KILL TYPE normal SKIPME %s", "yes") >= 1, 1);
        agg_batch_reset(b);
        for (int i = 0; i < 12; i++)
            call_post(b, m + 1000 * i + 4, 400 + i);
        rc = agg_store_apply(red, b, &p5, 1, err, sizeof err);
        if (rc == KZ_EAGAIN) /* the dead connection is found by this call */
            rc = agg_store_apply(red, b, &p5, 1, err, sizeof err);
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_INT(rint_cmd("LLEN %s", key), 12);
    }
out:
    agg_batch_free(b);
    agg_store_free(mem);
    agg_store_free(red);
}

static void test_wrongtype(void)
{
    struct agg_store *s;
    struct agg_batch *b = NULL;
    struct agg_position p = {"posts", 0, 1, 0};
    char key[128], mkey[128], err[256] = "";
    struct agg_series r;
    int64_t off;
    redisReply *rr;

    flushdb();
    s = redis_store(YEARS_100, YEARS_100);
    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!s || !b)
        goto out;
    snprintf(key, sizeof key, "kzp:v2:h:%lld", (long long)(BASE / HOUR));
    snprintf(mkey, sizeof mkey, "kzp:v2:m:%lld", (long long)(BASE / MIN));
    rr = redisCommand(raw, "SET %s %s", key, "not a hash");
    CHECK(rr && rr->type == REDIS_REPLY_STATUS);
    if (rr)
        freeReplyObject(rr);
    post(b, BASE, "protest", "a1", "x");
    CHECK_EQ_INT(agg_store_apply(s, b, &p, 1, err, sizeof err), KZ_EIO);
    CHECK(strstr(err, "WRONGTYPE") != NULL);
    CHECK(strstr(err, key) != NULL);
    fprintf(stderr, "  (expected) %s\n", err);
    /* Checked before any write: nothing applied, offset not raised. */
    CHECK_EQ_INT(rint_cmd("EXISTS %s", mkey), 0);
    CHECK_EQ_INT(agg_store_offset(s, "posts", 0, &off, NULL, 0), KZ_ENOTFOUND);
    /* A query on that key reports it too. */
    CHECK_EQ_INT(agg_store_series(s, AGG_HOUR, "all", BASE, BASE + HOUR, &r, err, sizeof err),
                 KZ_EIO);
    CHECK(strstr(err, "WRONGTYPE") != NULL);
    /* A string that is not a HyperLogLog is refused as well. */
    CHECK_EQ_INT(rint_cmd("DEL %s", key), 1);
    snprintf(key, sizeof key, "kzp:v2:authors:%lld:all", (long long)(BASE / HOUR));
    rr = redisCommand(raw, "SET %s %s", key, "plain");
    if (rr)
        freeReplyObject(rr);
    CHECK_EQ_INT(agg_store_apply(s, b, &p, 1, err, sizeof err), KZ_EIO);
    CHECK(strstr(err, "HyperLogLog") != NULL);
    CHECK_EQ_INT(rint_cmd("EXISTS %s", mkey), 0);
    /* Once the key is gone, the same batch applies. */
    CHECK_EQ_INT(rint_cmd("DEL %s", key), 1);
    CHECK_EQ_INT(apply(s, b, &p, 1, err, sizeof err), 0);
    CHECK_EQ_INT(series_total(s, AGG_MINUTE, "all", BASE, BASE + HOUR), 1);
out:
    agg_batch_free(b);
    agg_store_free(s);
}

static void test_noscript(void)
{
    struct agg_store *s;
    struct agg_batch *b = NULL;
    struct agg_position p = {"posts", 0, 1, 0};
    struct agg_redis_stats st;
    char err[256];
    redisReply *r;

    flushdb();
    s = redis_store(YEARS_100, YEARS_100);
    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!s || !b)
        goto out;
    r = rcmd("SCRIPT FLUSH", NULL);
    if (r)
        freeReplyObject(r);
    post(b, BASE, "protest", "a1", "x");
    CHECK_EQ_INT(apply(s, b, &p, 1, err, sizeof err), 0);
    p.offset = 2;
    CHECK_EQ_INT(apply(s, b, &p, 1, err, sizeof err), 0); /* EVAL cached it again */
    CHECK_EQ_INT(series_total(s, AGG_MINUTE, "all", BASE, BASE + HOUR), 2);
    CHECK_EQ_INT(agg_store_redis_stats(s, &st), 0);
    CHECK_EQ_INT(st.noscript, 1);
out:
    agg_batch_free(b);
    agg_store_free(s);
}

static void test_urls(void)
{
    static const char *const bad[] = {"redis://",
                                      "redis://host:0",
                                      "redis://host:65536",
                                      "redis://host:12x",
                                      "redis://host/db",
                                      "redis://[::1",
                                      "redis://host:1/2/3",
                                      "redis://user@host",
                                      "redis://h o",
                                      "127.0.0.1:6379",
                                      ""};
    struct agg_redis_config cfg;
    struct agg_redis_addr a;
    struct agg_store *s = (struct agg_store *)&cfg; /* not a store: must be reset to NULL */
    char err[256] = "";

    agg_redis_config_default(&cfg);
    cfg.url = "http://127.0.0.1:6379";
    CHECK_EQ_INT(agg_store_redis_new(&cfg, &s, err, sizeof err), KZ_EINVAL);
    CHECK(s == NULL);
    CHECK(strstr(err, "http://127.0.0.1:6379") != NULL);
    fprintf(stderr, "  (expected) %s\n", err);
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        err[0] = '\0';
        CHECK_EQ_INT(agg_redis_parse_url(bad[i], &a, err, sizeof err), KZ_EINVAL);
        if (strchr(bad[i], '@'))
            CHECK(strstr(err, "redis://***@host") != NULL); /* credentials masked */
        else
            CHECK(strstr(err, bad[i]) != NULL);
    }
    CHECK_EQ_INT(agg_redis_parse_url("redis://u:secret@host:1/2", &a, err, sizeof err), 0);
    CHECK_EQ_STR(a.user, "u");
    CHECK_EQ_STR(a.password, "secret");
    CHECK_EQ_STR(a.host, "host");
    CHECK_EQ_INT(a.port, 1);
    CHECK_EQ_INT(a.db, 2);
    CHECK_EQ_INT(agg_redis_parse_url("redis://:pw@[::1]:7000", &a, err, sizeof err), 0);
    CHECK_EQ_STR(a.host, "::1");
    CHECK_EQ_STR(a.user, "");
    CHECK_EQ_STR(a.password, "pw");
    CHECK_EQ_INT(a.port, 7000);
    CHECK_EQ_INT(a.db, 0);
    CHECK_EQ_INT(agg_redis_parse_url("REDIS://localhost/", &a, err, sizeof err), 0);
    CHECK_EQ_INT(a.port, 6379);
    /* Credentials never reach a message. */
    CHECK_EQ_INT(agg_redis_parse_url("redis://u:secret@host:0", &a, err, sizeof err), KZ_EINVAL);
    CHECK(strstr(err, "secret") == NULL);
    CHECK(strstr(err, "host:0") != NULL);
    /* Nothing listens on port 1: temporary, and the message names the address. */
    cfg.url = "redis://127.0.0.1:1/5";
    CHECK_EQ_INT(agg_store_redis_new(&cfg, &s, err, sizeof err), KZ_EAGAIN);
    CHECK(s == NULL);
    CHECK(strstr(err, "127.0.0.1:1") != NULL);
    fprintf(stderr, "  (expected) %s\n", err);
    /* A database Redis does not have. */
    {
        char u[128];

        snprintf(u, sizeof u, "redis://127.0.0.1:%s/999", getenv("KZ_TEST_REDIS_PORT"));
        cfg.url = u;
        CHECK_EQ_INT(agg_store_redis_new(&cfg, &s, err, sizeof err), KZ_EIO);
        CHECK(strstr(err, "SELECT") != NULL);
    }
    cfg.url = url;
    cfg.minute_ttl_s = -1;
    CHECK_EQ_INT(agg_store_redis_new(&cfg, &s, err, sizeof err), KZ_EINVAL);
    cfg.minute_ttl_s = 60;
    cfg.group = "";
    CHECK_EQ_INT(agg_store_redis_new(&cfg, &s, err, sizeof err), KZ_EINVAL);
    /* A mem store is not a Redis store. */
    {
        struct agg_store *m = NULL;
        struct agg_redis_stats st;

        CHECK_EQ_INT(agg_store_mem_new(NULL, &m), 0);
        CHECK_EQ_INT(agg_store_redis_stats(m, &st), KZ_EINVAL);
        agg_store_free(m);
    }
}

static void test_windows(void)
{
    struct agg_store *s = redis_store(YEARS_100, YEARS_100);
    struct agg_series r;
    struct agg_top t;
    char err[256];

    if (!s)
        return;
    CHECK_EQ_INT(agg_store_series(s, AGG_MINUTE, "all", 0, (int64_t)(1 << 24) * MIN + MIN, &r, err,
                                  sizeof err),
                 KZ_ERANGE);
    CHECK(strstr(err, "series") != NULL);
    CHECK_EQ_INT(agg_store_topk(s, AGG_TOP_TERM, INT64_MIN, INT64_MAX, 0, &t, err, sizeof err),
                 KZ_ERANGE);
    CHECK_EQ_INT(agg_store_series(s, AGG_HOUR, "all", BASE, BASE, &r, err, sizeof err), 0);
    CHECK_EQ_INT(r.n, 0);
    agg_store_free(s);
}

/* One field of a hash on the raw connection, or "" (caller's buffer). */
static const char *hget(const char *key, const char *field, char *buf, size_t size)
{
    redisReply *r = redisCommand(raw, "HGET %s %s", key, field);

    snprintf(buf, size, "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "");
    if (r)
        freeReplyObject(r);
    return buf;
}

static void test_watermarks(void)
{
    struct agg_store *s;
    char err[256] = "", buf[64];
    int64_t wm = 0;
    long long t;

    flushdb();
    s = redis_store(YEARS_100, YEARS_100);
    if (!s)
        return;
    wm_run_steps(s, "t-");

    /* The keys and fields the schema names, and their retention. */
    CHECK_EQ_INT(agg_store_publish_watermark(s, "t-g4", "kz-1.example:4242", T0 - 61000, T0, err,
                                             sizeof err),
                 0);
    CHECK_EQ_STR(hget("kzp:v2:watermarks:t-g4", "kz-1.example:4242", buf, sizeof buf),
                 "1767225539000");
    CHECK_EQ_STR(hget("kzp:v2:heartbeats:t-g4", "kz-1.example:4242", buf, sizeof buf),
                 "1767225600000");
    t = ttl_of("kzp:v2:watermarks:t-g4");
    CHECK(t > 86300 && t <= 86400);
    t = ttl_of("kzp:v2:heartbeats:t-g4");
    CHECK(t > 86300 && t <= 86400);
    CHECK_EQ_INT(agg_store_retire(s, "t-g4", "kz-1.example:4242", err, sizeof err), 0);
    CHECK_EQ_INT(rint_cmd("EXISTS %s", "kzp:v2:watermarks:t-g4"), 0); /* last field gone */
    CHECK_EQ_INT(rint_cmd("EXISTS %s", "kzp:v2:heartbeats:t-g4"), 0);

    /* A watermark without a heartbeat is not live; a value that is no number is an error. */
    freeReplyObject(redisCommand(raw, "HSET kzp:v2:watermarks:t-g5 ghost:1 5"));
    CHECK_EQ_INT(agg_store_watermark(s, "t-g5", 3600000, T0, &wm, err, sizeof err), KZ_ENOTFOUND);
    freeReplyObject(redisCommand(raw, "HSET kzp:v2:watermarks:t-g5 bad:2 soon"));
    freeReplyObject(redisCommand(raw, "HSET kzp:v2:heartbeats:t-g5 bad:2 %lld", (long long)T0));
    CHECK_EQ_INT(agg_store_watermark(s, "t-g5", 3600000, T0, &wm, err, sizeof err), KZ_EIO);
    fprintf(stderr, "  (expected) %s\n", err);
    CHECK(strstr(err, "bad:2") != NULL && strstr(err, "soon") != NULL);
    /* ... and a key of the wrong type is Redis's WRONGTYPE, not a crash. */
    freeReplyObject(redisCommand(raw, "SET kzp:v2:watermarks:t-g6 x"));
    CHECK_EQ_INT(agg_store_publish_watermark(s, "t-g6", "m:1", 1, T0, err, sizeof err), KZ_EIO);
    CHECK(strstr(err, "WRONGTYPE") != NULL);
    CHECK_EQ_INT(agg_store_watermark(s, "t-g6", 1000, T0, &wm, err, sizeof err), KZ_EIO);
    /* The store's connection is still good for counting. */
    {
        struct agg_batch *b = NULL;
        struct agg_position p = {"wm-posts", 0, 7, 0};

        CHECK_EQ_INT(agg_batch_new(&b), 0);
        if (b) {
            post(b, BASE, "protest", "a1", "x");
            CHECK_EQ_INT(apply(s, b, &p, 1, err, sizeof err), 0);
            agg_batch_free(b);
        }
    }
    agg_store_free(s);
}

static void test_restart(void)
{
    const char *hdir = getenv("KZ_TEST_HARNESS_DIR"), *root = getenv("KZ_SOURCE_ROOT");
    struct agg_store *s;
    struct agg_batch *b = NULL;
    struct agg_position p = {"posts", 0, 1, 0};
    struct agg_series r;
    char cmd[1024], err[256];
    int rc;

    int aof = -1;

    /* with-servers.sh sets both with the port: without them this case cannot
     * run, and a case that cannot run fails rather than pass unseen. */
    CHECK(hdir && *hdir);
    CHECK(root && *root);
    if (!hdir || !*hdir || !root || !*root)
        return;
    /* Whether the first post outlives the restart is the server's
     * configuration (appendonly), read from it rather than guessed. */
    {
        redisReply *c = redisCommand(raw, "CONFIG GET appendonly");

        if (c && c->type == REDIS_REPLY_ARRAY && c->elements == 2 &&
            c->element[1]->type == REDIS_REPLY_STRING)
            aof = strcmp(c->element[1]->str, "yes") == 0;
        if (c)
            freeReplyObject(c);
    }
    CHECK(aof == 0 || aof == 1);
    flushdb();
    s = redis_store(YEARS_100, YEARS_100);
    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!s || !b)
        goto out;
    post(b, BASE, "protest", "a1", "x");
    CHECK_EQ_INT(apply(s, b, &p, 1, err, sizeof err), 0);

    snprintf(cmd, sizeof cmd, "'%s/tests/harness/redis.sh' stop '%s/redis'", root, hdir);
    CHECK_EQ_INT(system(cmd), 0);
    p.offset = 2;
    /* The first call finds the old connection dead, the second cannot connect. */
    CHECK_EQ_INT(agg_store_apply(s, b, &p, 1, err, sizeof err), KZ_EAGAIN);
    fprintf(stderr, "  (expected) %s\n", err);
    CHECK(err[0] != '\0');
    CHECK_EQ_INT(agg_store_apply(s, b, &p, 1, err, sizeof err), KZ_EAGAIN);
    fprintf(stderr, "  (expected) %s\n", err);
    CHECK_EQ_INT(agg_store_series(s, AGG_HOUR, "all", BASE, BASE + HOUR, &r, err, sizeof err),
                 KZ_EAGAIN);

    snprintf(cmd, sizeof cmd, "'%s/tests/harness/redis.sh' restart '%s/redis'", root, hdir);
    CHECK_EQ_INT(system(cmd), 0);
    CHECK_EQ_INT(raw_connect(), 0);
    /* The caller retries the batch it kept: it applies (it never was). */
    rc = apply(s, b, &p, 1, err, sizeof err);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(apply(s, b, &p, 1, err, sizeof err), 1);
    {
        struct agg_redis_stats st;

        CHECK_EQ_INT(agg_store_redis_stats(s, &st), 0);
        CHECK_EQ_INT(st.connects, 2);
        CHECK(st.unavailable >= 3);
    }
    /* With AOF (appendfsync always) the first post survived; without it, and
     * with no snapshots (save ""), only the retried one counts. */
    CHECK_EQ_INT(series_total(s, AGG_MINUTE, "all", BASE, BASE + HOUR), aof == 1 ? 2 : 1);
out:
    agg_batch_free(b);
    agg_store_free(s);
}

int main(void)
{
    const char *port = getenv("KZ_TEST_REDIS_PORT");

    if (!port || !*port) {
        fprintf(stderr, "test_aggregate_redis: KZ_TEST_REDIS_PORT is not set; run it through "
                        "tests/harness/with-servers.sh (meson test does)\n");
        return 1;
    }
    snprintf(url, sizeof url, "redis://127.0.0.1:%s/%d", port, DB);
    if (raw_connect()) {
        fprintf(stderr, "test_aggregate_redis: cannot connect to Redis on port %s\n", port);
        return 1;
    }
    RUN(test_urls);
    RUN(test_windows);
    RUN(test_idempotency);
    RUN(test_ttl);
    RUN(test_samples);
    RUN(test_wrongtype);
    RUN(test_noscript);
    RUN(test_compare_random);
    RUN(test_watermarks);
    RUN(test_restart);
    if (raw)
        redisFree(raw);
    return TAP_DONE();
}
