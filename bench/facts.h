/*
 * facts.h -- the synthetic posts of the aggregation benchmarks.
 *
 * bench_aggregate and bench_redis_apply feed the same stream of facts, with
 * the shape of real traffic: 1-2 topics, a region most of the time, a stance
 * on war posts, 0-3 hashtags, a few terms, 50 000 authors, event times in
 * order over a span, and what a sample post shows: an id, a Kazakh or Russian
 * text of 60-170 characters and 2-4 pieces of evidence.  Deterministic for a
 * given seed.
 */
#ifndef KZ_BENCH_FACTS_H
#define KZ_BENCH_FACTS_H

#include "aggregate.h"

#define BENCH_AUTHORS 50000
#define BENCH_TAGS 200
#define BENCH_TERMS 500

struct bench_facts {
    uint64_t st;
    int64_t base, span;
    int posts;
    char authors[BENCH_AUTHORS][16], tags[BENCH_TAGS][24], terms[BENCH_TERMS][24];
    struct kz_str tp[2], hs[3], tm[4]; /* the current post's lists */
    struct agg_evidence ev[4];
    char id[32];
};

/* Posts 0..posts-1 get event times base + i * span / posts.  g is large
 * (~1 MB): make it static. */
void bench_facts_init(struct bench_facts *g, int64_t base, int64_t span, int posts);
/* Fill f with post i; its strings live in g until the next call. */
void bench_facts_next(struct bench_facts *g, int i, struct agg_facts *f);

#endif
