/*
 * test_pipeline_take.c -- a batch applied while the next one fills
 * (pipeline_take, pipeline_apply_taken, pipeline_taken_done: the streaming
 * job's applier thread), on the in-process store.
 *
 * The promises: the same records give the same store whether applied in one
 * flush or taken in the middle; the second batch keeps the first's settings
 * (no samples, watched members); the store sees the taken batch's positions
 * and the pending one's start at the next record; nothing else may use the
 * store while a batch is out (pipeline_flush refuses); a refused apply
 * (fencing) counts nothing and leaves the pipeline whole for the next batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"
#include "tap.h"

#define NPOSTS 60

static const char *const texts[] = {
    "Ертең сағат онда алаңға шығайық, бәріміз бірге барамыз #Жаңаөзен",
    "Жалақы тағы кешікті, жұмысшылар наразы",
    "Завтра в 12:00 все на площадь у акимата, приходите с друзьями #Жанаозен",
    "Цены на газ снова выросли, а зарплаты стоят на месте",
    "Кешке паркте концерт болады, балаларды ертіп келіңіздер",
};

/* Post i as a record of partition i % 2 at offset i / 2 of "t". */
static int feed(struct pipeline *p, int i, int64_t base_s, char *err, size_t errlen)
{
    char line[512];
    int n = snprintf(line, sizeof line,
                     "{\"id\": \"tk:%d\", \"platform\": \"telegram\", \"author\": \"a%02d\", "
                     "\"ts\": %lld, \"text\": \"%s\"}",
                     i, i % 7, (long long)(base_s + i * 7), texts[i % 5]);
    struct ingest_record rec = {
        .data = line,
        .len = (size_t)n,
        .pos = {.source = "t", .partition = i % 2, .offset = (uint64_t)(i / 2)},
        .arrival_ms = (base_s + i * 7) * 1000,
    };
    return pipeline_record(p, &rec, err, errlen);
}

/* The streaming job's pipeline: its posts' facts coalesced when taken. */
static int deferred;

/* The posts' times start at base (two hours ago, on the hour); every query
 * window is [from, to), which holds them all (set in main). */
static int64_t base, from, to;

struct rig {
    struct kz_config cfg;
    struct agg_store *store;
    struct pipeline *p;
};

static int rig_new_n(struct rig *r, int no_samples, uint64_t flush_posts)
{
    char lex[1024], err[512];
    const char *root = getenv("KZ_SOURCE_ROOT");

    memset(r, 0, sizeof *r);
    kz_config_init(&r->cfg);
    snprintf(lex, sizeof lex, "%s/lexicons", root ? root : ".");
    r->cfg.lexicons = strdup(lex);
    r->cfg.no_samples = no_samples;
    r->cfg.flush_posts = flush_posts;
    if (agg_store_mem_new(NULL, &r->store))
        return -1;
    if (pipeline_new(&r->cfg, r->store, NULL, NULL, &r->p, err, sizeof err)) {
        fprintf(stderr, "# pipeline_new: %s\n", err);
        return -1;
    }
    pipeline_set_autoflush(r->p, 0);
    pipeline_set_apply_thread(r->p, 0); /* as the streaming job's, over Redis */
    pipeline_set_deferred(r->p, deferred);
    return 0;
}

static int rig_new(struct rig *r, int no_samples)
{
    return rig_new_n(r, no_samples, 0);
}

/* Apply what is pending: a flush, or (deferred) a take, apply and done. */
static int apply_pending(struct pipeline *p, char *err, size_t errlen)
{
    int rc;

    if (!deferred)
        return pipeline_flush(p, err, errlen);
    if ((rc = pipeline_take(p)))
        return rc;
    rc = pipeline_apply_taken(p, err, errlen);
    pipeline_taken_done(p);
    return rc;
}

static void rig_free(struct rig *r)
{
    pipeline_free(r->p);
    agg_store_free(r->store);
    kz_config_free(&r->cfg);
}

static int64_t total(struct agg_store *s, const char *dim, int64_t from_ms, int64_t to_ms)
{
    struct agg_series ser;
    char err[256];
    int64_t t;

    if (agg_store_series(s, AGG_HOUR, dim, from_ms, to_ms, &ser, err, sizeof err))
        return -1;
    t = ser.total;
    agg_series_free(&ser);
    return t;
}

static size_t nposts(struct agg_store *s, const char *dim, int64_t from_ms, int64_t to_ms)
{
    struct agg_posts ps;
    char err[256];
    size_t n;

    if (agg_store_posts(s, dim, from_ms, to_ms, 0, &ps, err, sizeof err))
        return (size_t)-1;
    n = ps.total;
    agg_posts_free(&ps);
    return n;
}

/* Taken in the middle, the store ends as after one flush. */
static void test_same_as_one_flush(void)
{
    struct rig one, two;
    char err[512];
    const char *dims[] = {"all", "mob:call", "topic:protest", "platform:telegram", "lang:kk"};
    size_t n;
    const struct agg_position *pos;
    int64_t off;

    if (rig_new(&one, 0) || rig_new(&two, 0)) {
        CHECK(0);
        return;
    }
    for (int i = 0; i < NPOSTS; i++)
        CHECK_EQ_INT(feed(one.p, i, base, err, sizeof err), 0);
    CHECK_EQ_INT(apply_pending(one.p, err, sizeof err), 0);

    for (int i = 0; i < NPOSTS / 2; i++)
        CHECK_EQ_INT(feed(two.p, i, base, err, sizeof err), 0);
    CHECK_EQ_INT(pipeline_take(two.p), 0);
    CHECK_EQ_INT(pipeline_take(two.p), KZ_EINVAL); /* one out at a time */
    CHECK_EQ_INT((int)pipeline_pending(two.p), 0);
    pos = pipeline_taken_positions(two.p, &n);
    CHECK_EQ_INT((int)n, 2);
    CHECK_EQ_INT((int)pos[0].offset, (NPOSTS / 2 - 2) / 2);
    /* the next batch fills meanwhile, its positions start afresh */
    for (int i = NPOSTS / 2; i < NPOSTS; i++)
        CHECK_EQ_INT(feed(two.p, i, base, err, sizeof err), 0);
    pos = pipeline_positions(two.p, &n);
    CHECK_EQ_INT((int)n, 2);
    CHECK_EQ_INT((int)pos[0].first_offset, NPOSTS / 4);
    /* the store is the taken batch's: a flush is refused and says why */
    CHECK_EQ_INT(pipeline_flush(two.p, err, sizeof err), KZ_EINVAL);
    CHECK(strstr(err, "being applied") != NULL);
    CHECK_EQ_INT(pipeline_apply_taken(two.p, err, sizeof err), 0);
    CHECK_EQ_INT(agg_store_offset(two.store, "t", 0, &off, err, sizeof err), 0);
    CHECK_EQ_INT((int)off, (NPOSTS / 2 - 2) / 2);
    CHECK_EQ_INT((int)pipeline_stats(two.p)->flushes, 0); /* counted when done */
    pipeline_taken_done(two.p);
    CHECK_EQ_INT((int)pipeline_stats(two.p)->flushes, 1);
    CHECK_EQ_INT(pipeline_apply_taken(two.p, err, sizeof err), KZ_EINVAL); /* none out */
    CHECK_EQ_INT(apply_pending(two.p, err, sizeof err), 0);
    CHECK_EQ_INT((int)pipeline_stats(two.p)->flushes, 2);
    CHECK_EQ_INT(agg_store_offset(two.store, "t", 1, &off, err, sizeof err), 0);
    CHECK_EQ_INT((int)off, (NPOSTS - 1) / 2);

    for (size_t d = 0; d < sizeof dims / sizeof *dims; d++) {
        int64_t a = total(one.store, dims[d], from, to), b = total(two.store, dims[d], from, to);
        CHECK(a > 0);
        CHECK_EQ_INT((int)b, (int)a);
    }
    CHECK_EQ_INT((int)total(two.store, "all", from, to), NPOSTS);
    CHECK(nposts(one.store, "mob:call", from, to) > 0);
    CHECK_EQ_INT((int)nposts(two.store, "mob:call", from, to),
                 (int)nposts(one.store, "mob:call", from, to));
    rig_free(&one);
    rig_free(&two);
}

/* A store that refuses its first `fail` applies untouched (a Redis that is
 * down), then applies to the in-process store it wraps. */
struct flaky {
    struct agg_store *inner;
    int fail;
};

static int flaky_apply(void *self, const struct agg_batch *b, const struct agg_position *pos,
                       size_t npos, char *err, size_t errlen)
{
    struct flaky *f = self;

    if (f->fail > 0) {
        f->fail--;
        snprintf(err, errlen, "store down");
        return KZ_EIO;
    }
    return agg_store_apply(f->inner, b, pos, npos, err, errlen);
}

static void flaky_free(void *self)
{
    free(self);
}

static const struct agg_store_ops flaky_ops = {
    .name = "flaky", .apply = flaky_apply, .free = flaky_free};

/* A failed apply is tried again with the same batch: its block is coalesced
 * once, so the retry counts every post once (coalesced again, it would count
 * them twice: the store never saw the first try). */
static void test_retry_coalesces_once(void)
{
    struct rig r;
    struct flaky *f = calloc(1, sizeof *f);
    struct agg_store *flaky_store = NULL;
    char err[512];

    if (!f || rig_new(&r, 0)) {
        free(f);
        CHECK(0);
        return;
    }
    f->inner = r.store;
    f->fail = 2;
    CHECK_EQ_INT(agg_store_wrap(&flaky_ops, f, &flaky_store), 0);
    pipeline_free(r.p);
    CHECK_EQ_INT(pipeline_new(&r.cfg, flaky_store, NULL, NULL, &r.p, err, sizeof err), 0);
    pipeline_set_autoflush(r.p, 0);
    pipeline_set_apply_thread(r.p, 0);
    pipeline_set_deferred(r.p, deferred);
    for (int i = 0; i < 20; i++)
        CHECK_EQ_INT(feed(r.p, i, base, err, sizeof err), 0);
    CHECK_EQ_INT(pipeline_take(r.p), 0);
    CHECK_EQ_INT(pipeline_apply_taken(r.p, err, sizeof err), KZ_EIO);
    CHECK(strstr(err, "store down") != NULL);
    CHECK_EQ_INT(pipeline_apply_taken(r.p, err, sizeof err), KZ_EIO);
    CHECK_EQ_INT(pipeline_apply_taken(r.p, err, sizeof err), 0);
    pipeline_taken_done(r.p);
    CHECK_EQ_INT((int)pipeline_stats(r.p)->flushes, 1);
    CHECK_EQ_INT((int)total(r.store, "all", from, to), 20);
    CHECK_EQ_INT((int)total(r.store, "platform:telegram", from, to), 20);
    CHECK(total(r.store, "mob:call", from, to) > 0);
    CHECK_EQ_INT((int)nposts(r.store, "mob:call", from, to),
                 (int)total(r.store, "mob:call", from, to)); /* each kept once */
    pipeline_free(r.p);
    r.p = NULL;
    agg_store_free(flaky_store);
    rig_free(&r);
}

/* The second batch takes the first's settings: no samples, watched members. */
static void test_second_batch_settings(void)
{
    struct rig r;
    char err[512];
    const char *watch[] = {"hashtag:жаңаөзен"};

    if (rig_new(&r, 1)) {
        CHECK(0);
        return;
    }
    CHECK_EQ_INT(pipeline_set_watch(r.p, watch, 1), 0);
    for (int round = 0; round < 3; round++) { /* each batch in turn is the second */
        for (int i = round * 20; i < round * 20 + 20; i++)
            CHECK_EQ_INT(feed(r.p, i, base, err, sizeof err), 0);
        CHECK_EQ_INT(pipeline_take(r.p), 0);
        CHECK_EQ_INT(pipeline_apply_taken(r.p, err, sizeof err), 0);
        pipeline_taken_done(r.p);
    }
    CHECK_EQ_INT((int)total(r.store, "all", from, to), NPOSTS);
    /* watched: texts[0] carries it, every fifth post */
    CHECK_EQ_INT((int)total(r.store, "hashtag:жаңаөзен", from, to), NPOSTS / 5);
    CHECK(total(r.store, "mob:call", from, to) > 0);
    CHECK_EQ_INT((int)nposts(r.store, "mob:call", from, to), 0); /* no samples, any batch */
    rig_free(&r);
}

/* A refused apply counts nothing; the pipeline goes on with a fresh batch. */
static void test_conflict_counts_nothing(void)
{
    struct rig r;
    char err[512];

    if (rig_new(&r, 0)) {
        CHECK(0);
        return;
    }
    for (int i = 0; i < 20; i++)
        CHECK_EQ_INT(feed(r.p, i, base, err, sizeof err), 0);
    CHECK_EQ_INT(apply_pending(r.p, err, sizeof err), 0);
    /* records 10..19 again (offsets 5..9 of each partition, applied) and
     * 20..29: a batch that overlaps what the store holds is refused */
    for (int i = 10; i < 30; i++)
        CHECK_EQ_INT(feed(r.p, i, base, err, sizeof err), 0);
    CHECK_EQ_INT(pipeline_take(r.p), 0);
    CHECK_EQ_INT(pipeline_apply_taken(r.p, err, sizeof err), AGG_APPLY_CONFLICT);
    pipeline_taken_done(r.p);
    CHECK_EQ_INT((int)pipeline_stats(r.p)->flushes, 1);
    CHECK_EQ_INT((int)total(r.store, "all", from, to), 20);
    /* read again after the stored offsets: counted once */
    for (int i = 20; i < 30; i++)
        CHECK_EQ_INT(feed(r.p, i, base, err, sizeof err), 0);
    CHECK_EQ_INT(pipeline_take(r.p), 0);
    CHECK_EQ_INT(pipeline_apply_taken(r.p, err, sizeof err), 0);
    pipeline_taken_done(r.p);
    CHECK_EQ_INT((int)total(r.store, "all", from, to), 30);
    rig_free(&r);
}

/* The walkers' applier thread (on by default over the in-process store):
 * the store ends as with applies in the loop, and a failed apply is told
 * by the next flush. */
static void test_apply_thread(void)
{
    struct rig on, off;
    char err[512];
    const char *dims[] = {"all",     "mob:call",       "topic:protest",
                          "lang:ru", "region:unknown", "hashtag:жаңаөзен"};

    if (rig_new_n(&on, 0, 7) || rig_new_n(&off, 0, 7)) {
        CHECK(0);
        return;
    }
    pipeline_set_autoflush(on.p, 1);
    pipeline_set_autoflush(off.p, 1);
    pipeline_set_apply_thread(on.p, 1);
    CHECK_EQ_INT(pipeline_take(on.p), KZ_EINVAL); /* the walkers' applier has its own */
    CHECK_EQ_INT(pipeline_set_watch(on.p, (const char *const[]){"hashtag:жаңаөзен"}, 1), 0);
    CHECK_EQ_INT(pipeline_set_watch(off.p, (const char *const[]){"hashtag:жаңаөзен"}, 1), 0);
    for (int i = 0; i < NPOSTS; i++) {
        CHECK_EQ_INT(feed(on.p, i, base, err, sizeof err), 0);
        CHECK_EQ_INT(feed(off.p, i, base, err, sizeof err), 0);
    }
    CHECK_EQ_INT(pipeline_flush(on.p, err, sizeof err), 0);
    CHECK_EQ_INT(pipeline_flush(off.p, err, sizeof err), 0);
    CHECK_EQ_INT((int)pipeline_stats(on.p)->flushes, (int)pipeline_stats(off.p)->flushes);
    CHECK(pipeline_stats(on.p)->flushes >= 2);
    for (size_t d = 0; d < sizeof dims / sizeof *dims; d++)
        CHECK_EQ_INT((int)total(on.store, dims[d], from, to),
                     (int)total(off.store, dims[d], from, to));
    CHECK_EQ_INT((int)total(on.store, "hashtag:жаңаөзен", from, to), NPOSTS / 5);
    CHECK_EQ_INT((int)nposts(on.store, "mob:call", from, to),
                 (int)nposts(off.store, "mob:call", from, to));
    /* the same records again: the store refuses a batch over offsets it
     * holds in part, and the next record or flush says so */
    {
        int rc = 0;
        for (int i = NPOSTS - 20; i < NPOSTS + 20 && !rc; i++)
            rc = feed(on.p, i, base, err, sizeof err);
        if (!rc)
            rc = pipeline_flush(on.p, err, sizeof err);
        CHECK_EQ_INT(rc, AGG_APPLY_CONFLICT);
        CHECK(pipeline_settle(on.p, err, sizeof err) == 0); /* nothing left in flight */
    }
    rig_free(&on);
    rig_free(&off);
}

int main(void)
{
    base = (int64_t)time(NULL) / 3600 * 3600 - 7200;
    from = (base - 3600) * 1000;
    to = (base + 7200) * 1000;
    RUN(test_same_as_one_flush);
    RUN(test_second_batch_settings);
    RUN(test_conflict_counts_nothing);
    RUN(test_apply_thread);
    deferred = 1; /* the same, with the facts coalesced when taken */
    RUN(test_same_as_one_flush);
    RUN(test_retry_coalesces_once);
    RUN(test_second_batch_settings);
    RUN(test_conflict_counts_nothing);
    CHECK_EQ_INT(deferred, 1);
    return TAP_DONE();
}
