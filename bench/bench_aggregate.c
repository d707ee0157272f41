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

#define POSTS 1000000
#define FLUSH_EVERY 10000
#define AUTHORS 50000
#define TAGS 200
#define TERMS 500

static uint64_t rnd(uint64_t *st)
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return *st * 0x2545f4914f6cdd1dULL;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct kz_str str(const char *s)
{
    return kz_str_make(s, strlen(s));
}

int main(void)
{
    static const char *const topics[] = {"protest", "war_ukraine", "prices", "mobilization",
                                         "elections", "corruption", "energy", "ecology"};
    static const char *const regions[] = {"almaty", "astana", "mangystau", "atyrau", "shymkent",
                                          "karaganda", "aktobe", "zhambyl", "turkistan", ""};
    static const char *const platforms[] = {"telegram", "vk", "x", "instagram"};
    static const char *const langs[] = {"kk", "ru", "mixed", "en"};
    static const char *const stances[] = {"pro_ukraine", "pro_russia", "none"};
    static char authors[AUTHORS][16], tags[TAGS][24], terms[TERMS][24];
    const int64_t base = 1641168000000LL; /* 2022-01-03 00:00 UTC */
    struct agg_store *store = NULL;
    struct agg_batch *batch = NULL;
    uint64_t st = 0x6b7a70756c7365ULL;
    char err[256] = "";
    double t0, dt;
    int rc;

    for (int i = 0; i < AUTHORS; i++)
        snprintf(authors[i], sizeof authors[i], "tg:%d", 100000 + i);
    for (int i = 0; i < TAGS; i++)
        snprintf(tags[i], sizeof tags[i], "митинг_%d", i);
    for (int i = 0; i < TERMS; i++)
        snprintf(terms[i], sizeof terms[i], "сөз%d", i);
    if ((rc = agg_store_mem_new(NULL, &store)) || (rc = agg_batch_new(&batch))) {
        fprintf(stderr, "bench_aggregate: setup: %s\n", kz_strerror(rc));
        agg_store_free(store);
        return 1;
    }

    t0 = now_s();
    for (int i = 0; i < POSTS; i++) {
        struct kz_str tp[2], hs[3], tm[4];
        int w = (int)(rnd(&st) % 8);
        struct agg_facts f = {
            .ts_ms = base + (int64_t)i * 172800000LL / POSTS, /* two days, in order */
            .platform = str(platforms[rnd(&st) % 4]),
            .lang = str(langs[rnd(&st) % 4]),
            .region = str(regions[rnd(&st) % 10]),
            .author = str(authors[rnd(&st) % AUTHORS]),
            .channel = str(tags[rnd(&st) % 50]),
            .topics = tp,
            .ntopics = 1 + (size_t)(rnd(&st) % 2),
            .stance = w == 1 ? str(stances[rnd(&st) % 3]) : KZ_STR_NULL,
            .mobilization = rnd(&st) % 20 == 0,
            .hashtags = hs,
            .nhashtags = (size_t)(rnd(&st) % 4),
            .terms = tm,
            .nterms = (size_t)(rnd(&st) % 5),
        };

        tp[0] = str(topics[w]);
        tp[1] = str(topics[(w + 1 + rnd(&st) % 7) % 8]);
        for (size_t j = 0; j < 3; j++)
            hs[j] = str(tags[rnd(&st) % TAGS]);
        for (size_t j = 0; j < 4; j++)
            tm[j] = str(terms[rnd(&st) % TERMS]);
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
