/* bench_aggregate.c -- throughput of facts -> batch -> in-process store.
 *
 * Design: 1 000 000 synthetic posts spread over two days of event time, with
 * the shape of real traffic (1-2 topics, a region most of the time, a stance
 * on war posts, 0-3 hashtags, a few terms, 50 000 authors), go through
 * agg_batch_add(); every 10 000 posts the batch is applied to a mem store with
 * its partition position and reset, as the pipeline loop does.  The figure
 * covers expansion, coalescing, apply and sketch updates; generating the
 * facts is a few array lookups.  Prints one line and never fails on speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggregate.h"
#include "facts.h"

#define POSTS 1000000
#define FLUSH_EVERY 10000

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    static struct bench_facts g;
    const int64_t base = 1641168000000LL; /* 2022-01-03 00:00 UTC */
    struct agg_store *store = NULL;
    struct agg_batch *batch = NULL;
    char err[256] = "";
    double t0, dt;
    int rc;

    if ((rc = agg_store_mem_new(NULL, &store)) || (rc = agg_batch_new(&batch))) {
        fprintf(stderr, "bench_aggregate: setup: %s\n", kz_strerror(rc));
        agg_store_free(store);
        return 1;
    }

    bench_facts_init(&g, base, 172800000LL /* two days */, POSTS);
    t0 = now_s();
    for (int i = 0; i < POSTS; i++) {
        struct agg_facts f;

        bench_facts_next(&g, i, &f);
        if ((rc = agg_batch_add(batch, &f))) {
            fprintf(stderr, "bench_aggregate: add: %s\n", kz_strerror(rc));
            break;
        }
        if ((i + 1) % FLUSH_EVERY == 0 || i == POSTS - 1) {
            struct agg_position pos = {"kz.posts", 0, i, i - i % FLUSH_EVERY};

            if ((rc = agg_store_apply(store, batch, &pos, 1, err, sizeof err)) < 0) {
                fprintf(stderr, "bench_aggregate: apply: %s\n", err);
                break;
            }
            agg_batch_reset(batch);
        }
    }
    dt = now_s() - t0;
    agg_batch_free(batch);
    agg_store_free(store);
    if (rc < 0)
        return 1;
    printf("aggregate: %d posts, %.0f posts/s\n", POSTS, POSTS / dt);
    return 0;
}
