/* bench_redis_apply.c -- throughput and flush latency of the Redis store's apply.
 *
 * Design: the same synthetic traffic as bench_aggregate.c (1 000 000 posts
 * over two days of event time, 1-2 topics, a region most of the time, 0-3
 * hashtags, a few terms, 50 000 authors), ending now so that no key is past
 * its TTL, goes through agg_batch_add(); every 10 000 posts the batch is
 * applied to the Redis given by URL with its partition position, as the
 * pipeline loop flushes.  Only the applies are timed (encoding, the script
 * call and its round trip, i.e. what a flush costs the loop); building the
 * batches is bench_aggregate's figure.  The source name is unique per run, so
 * a re-run against the same Redis is never taken for a duplicate.  Prints one
 * line and never fails on speed; exits 1 if an apply fails, 2 on bad usage.
 *
 *   bench_redis_apply redis://127.0.0.1:6379/15
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "facts.h"

#define POSTS 1000000
#define FLUSH_EVERY 10000
#define FLUSHES (POSTS / FLUSH_EVERY)

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    static struct bench_facts g;
    static double flush_ms[FLUSHES];
    const int64_t span = 172800000LL; /* two days */
    const int64_t base = (int64_t)time(NULL) * 1000 - span;
    struct agg_redis_config cfg;
    struct agg_store *store = NULL;
    struct agg_batch *batch = NULL;
    char err[512] = "", source[64];
    double total = 0;
    int rc, nflush = 0;

    if (argc != 2 || strncmp(argv[1], "redis://", 8) != 0) {
        fprintf(stderr, "usage: bench_redis_apply redis://HOST:PORT[/DB]\n");
        return 2;
    }
    snprintf(source, sizeof source, "bench.%ld.%ld", (long)getpid(), (long)time(NULL));
    agg_redis_config_default(&cfg);
    cfg.url = argv[1];
    cfg.group = "bench";
    if ((rc = agg_store_redis_new(&cfg, &store, err, sizeof err)) || (rc = agg_batch_new(&batch))) {
        fprintf(stderr, "bench_redis_apply: setup: %s\n", err[0] ? err : kz_strerror(rc));
        agg_store_free(store);
        return 1;
    }

    bench_facts_init(&g, base, span, POSTS); /* in order, ending now */
    for (int i = 0; i < POSTS; i++) {
        struct agg_facts f;

        bench_facts_next(&g, i, &f);
        if ((rc = agg_batch_add(batch, &f))) {
            fprintf(stderr, "bench_redis_apply: add: %s\n", kz_strerror(rc));
            break;
        }
        if ((i + 1) % FLUSH_EVERY == 0) {
            struct agg_position pos = {source, 0, i, i + 1 - FLUSH_EVERY};
            double t0 = now_s();

            if ((rc = agg_store_apply(store, batch, &pos, 1, err, sizeof err)) != 0) {
                fprintf(stderr, "bench_redis_apply: apply: %s\n",
                        rc == 1 ? "taken for a duplicate" : err);
                rc = rc == 1 ? KZ_EINVAL : rc;
                break;
            }
            flush_ms[nflush] = (now_s() - t0) * 1e3;
            total += flush_ms[nflush++];
            agg_batch_reset(batch);
        }
    }
    agg_batch_free(batch);
    agg_store_free(store);
    if (rc < 0 || nflush == 0)
        return 1;
    qsort(flush_ms, (size_t)nflush, sizeof *flush_ms, cmp_double);
    printf("redis apply: %d posts, %.0f posts/s, %.1f ms p50 flush, %.1f ms p99 flush\n", POSTS,
           POSTS / (total / 1e3), flush_ms[(nflush + 1) / 2 - 1],
           flush_ms[(nflush * 99 + 99) / 100 - 1]); /* nearest rank */
    return 0;
}
