/* test_aggregate_hll.c -- HyperLogLog: agreement with Redis, merge, add.
 *
 * The expected counts below were read from a real redis-server 7.0.15
 * (PFADD of the same elements in chunks of 1000, then PFCOUNT; PFMERGE for the
 * union).  Agreement to the unit proves the hash, the register rule and the
 * estimator match Redis's, so dashboards reading Redis and replays reading
 * the in-process store show the same numbers.  The test itself needs no Redis.
 */
#include <stdio.h>
#include <stdlib.h>

#include "aggregate.h"
#include "tap.h"

/* Add "<prefix><i>" for i in [from, to). */
static void add_range(struct agg_hll *h, const char *prefix, int from, int to)
{
    char buf[64];

    for (int i = from; i < to; i++) {
        int n = snprintf(buf, sizeof buf, "%s%d", prefix, i);

        agg_hll_add(h, buf, (size_t)n);
    }
}

static struct agg_hll *new_hll(void)
{
    struct agg_hll *h = malloc(sizeof *h);

    if (h)
        agg_hll_init(h);
    return h;
}

static void test_empty(void)
{
    struct agg_hll *h = new_hll();

    CHECK(h != NULL);
    if (!h)
        return;
    CHECK_EQ_INT(agg_hll_count(h), 0); /* PFCOUNT of a missing key */
    free(h);
}

/* redis-cli: PFADD s1 author-0 ... ; PFCOUNT s1 etc. */
static void test_redis_agreement(void)
{
    static const struct {
        const char *prefix;
        int n;
        uint64_t want;
    } cases[] = {
        {"author-", 1, 1},         {"author-", 10, 10},         {"author-", 1000, 990},
        {"author-", 20000, 20240}, {"author-", 100000, 100684}, {"author-", 1000000, 1004702},
        {"автор-", 5000, 4973}, /* UTF-8 elements hash as bytes */
    };

    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        struct agg_hll *h = new_hll();

        CHECK(h != NULL);
        if (!h)
            return;
        add_range(h, cases[i].prefix, 0, cases[i].n);
        CHECK_EQ_INT(agg_hll_count(h), cases[i].want);
        free(h);
    }
}

/* PFADD a author-0..59999; PFADD b author-40000..99999; PFMERGE ab a b. */
static void test_merge(void)
{
    struct agg_hll *a = new_hll(), *b = new_hll(), *all = new_hll();

    CHECK(a && b && all);
    if (a && b && all) {
        add_range(a, "author-", 0, 60000);
        add_range(b, "author-", 40000, 100000);
        add_range(all, "author-", 0, 100000);
        CHECK_EQ_INT(agg_hll_count(a), 60464);
        CHECK_EQ_INT(agg_hll_count(b), 60484);
        agg_hll_merge(a, b);
        CHECK_EQ_INT(agg_hll_count(a), 100684);
        CHECK(memcmp(a->reg, all->reg, sizeof a->reg) == 0); /* merge == union, register-wise */
        agg_hll_merge(a, a);                                 /* idempotent */
        CHECK_EQ_INT(agg_hll_count(a), 100684);
    }
    free(a);
    free(b);
    free(all);
}

/* PFADD t author-0 -> 1; again -> 0; PFADD t author-1 -> 1. */
static void test_add_return(void)
{
    struct agg_hll *h = new_hll();
    int changed = 0;

    CHECK(h != NULL);
    if (!h)
        return;
    CHECK_EQ_INT(agg_hll_add(h, "author-0", 8), 1);
    CHECK_EQ_INT(agg_hll_add(h, "author-0", 8), 0);
    CHECK_EQ_INT(agg_hll_add(h, "author-1", 8), 1);
    CHECK_EQ_INT(agg_hll_count(h), 2);
    /* Re-adding a whole set never changes a register. */
    add_range(h, "author-", 0, 2000);
    for (int i = 0; i < 2000; i++) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "author-%d", i);

        changed += agg_hll_add(h, buf, (size_t)n);
    }
    CHECK_EQ_INT(changed, 0);
    /* The empty string is an element like any other. */
    CHECK_EQ_INT(agg_hll_add(h, "", 0) + agg_hll_add(h, "", 0) <= 1, 1);
    {
        int max = 0;

        for (size_t i = 0; i < AGG_HLL_REGISTERS; i++)
            max = h->reg[i] > max ? h->reg[i] : max;
        CHECK(max >= 1 && max <= 51); /* 50 hash bits + 1, as Redis caps it */
    }
    free(h);
}

int main(void)
{
    RUN(test_empty);
    RUN(test_redis_agreement);
    RUN(test_merge);
    RUN(test_add_return);
    return TAP_DONE();
}
