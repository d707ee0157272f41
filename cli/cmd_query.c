/*
 * cmd_query.c -- `kzpulse query`: read series, top-k, distinct counts,
 * dimension totals and sample posts from a store.
 *
 * The same queries run against Redis (--redis URL: the live counters) or
 * against the in-process store filled by replaying archives given as
 * arguments, and print the same output either way — so a researcher can check
 * a dashboard's numbers against an archive, and tests can compare the two
 * stores through the command line.  Output is tab-separated text (one row a
 * bucket or member, then a total) or, with --json, one JSON object: the
 * pipeline renders it (pipeline_query_render), as it will for the HTTP API.
 *
 *   kzpulse query series DIM      [--gran minute|hour] [--from T] [--to T]
 *   kzpulse query top KIND        [--limit N] [--from T] [--to T]     KIND: hashtag|term|channel
 *   kzpulse query distinct DIM    [--from T] [--to T]                 DIM: all|topic:x|region:y
 *   kzpulse query dims PREFIX     [--gran ...] [--from T] [--to T]    PREFIX: platform: ...
 *   kzpulse query posts DIM       [--limit N] [--from T] [--to T]     DIM:
 * topic:x|stance:s|mob:call|region:y
 *
 * Windows are [from, to), aligned down to the granularity.  Defaults: with
 * Redis the last 24 hours; with archives the span of their data.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int kz_cmd_query(struct kz_config *cfg, char **args, int nargs)
{
    int status = KZ_EXIT_OK, rc;
    char err[1024];
    struct agg_store *st = NULL;
    struct pipeline *p = NULL;

    if (nargs < 2 || (cfg->redis && nargs > 2) || (!cfg->redis && nargs < 3)) {
        fprintf(stderr, "kzpulse query: expected QUERY ARG and either --redis URL or archive "
                        "FILE... (see kzpulse query --help)\n");
        status = KZ_EXIT_USAGE;
        goto out;
    }
    if (!pipeline_query_known(args[0])) {
        fprintf(stderr,
                "kzpulse query: expected one of series, top, distinct, dims, posts; got \"%s\" "
                "(see kzpulse query --help)\n",
                args[0]);
        status = KZ_EXIT_USAGE;
        goto out;
    }
    int64_t from = cfg->from_ms, to = cfg->to_ms;
    if (cfg->redis) {
        struct agg_redis_config rc_cfg;
        agg_redis_config_default(&rc_cfg);
        rc_cfg.url = cfg->redis;
        if (cfg->group)
            rc_cfg.group = cfg->group;
        if ((rc = agg_store_redis_new(&rc_cfg, &st, err, sizeof(err)))) {
            fprintf(stderr, "kzpulse query: --redis: %s\n", err);
            status = rc == KZ_EINVAL ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
            goto out;
        }
        if (!to)
            to = ((int64_t)time(NULL) * 1000 / AGG_MINUTE_MS + 1) * AGG_MINUTE_MS;
        if (!from)
            from = to - 24 * AGG_HOUR_MS;
    } else {
        struct agg_mem_config mc = {0, 0};
        if (agg_store_mem_new(&mc, &st)) {
            status = KZ_EXIT_FAIL;
            goto out;
        }
        if ((rc = pipeline_new(cfg, st, NULL, NULL, &p, err, sizeof(err)))) {
            fprintf(stderr, "kzpulse query: %s\n", err);
            status = rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
            goto out;
        }
        for (int i = 2; i < nargs && status != KZ_EXIT_FAIL; i++) {
            char why[768];
            if ((rc = pipeline_walk_file(p, args[i], why, sizeof(why)))) {
                fprintf(stderr, "kzpulse query: %s\n", why);
                status = rc == PIPELINE_BAD_SOURCE && status != KZ_EXIT_FAIL ? KZ_EXIT_USAGE
                                                                             : KZ_EXIT_FAIL;
            }
        }
        if (status != KZ_EXIT_OK)
            goto out;
        uint64_t dead = pipeline_stats(p)->dead_total;
        if (dead)
            fprintf(stderr,
                    "kzpulse query: %llu records could not be decoded and are not "
                    "counted (kzpulse replay writes them with their reasons)\n",
                    (unsigned long long)dead);
        int64_t b0 = 0, b1 = 0;
        if (agg_store_mem_bounds(st, &b0, &b1) == 0) {
            if (!from)
                from = b0;
            if (!to)
                to = b1;
        }
    }
    if (to <= from) {
        fprintf(stderr, "kzpulse query: empty window: --to must be after --from\n");
        status = KZ_EXIT_USAGE;
        goto out;
    }
    struct pipeline_query q = {
        .what = args[0],
        .arg = args[1],
        .gran = (enum agg_gran)cfg->gran,
        .from_ms = from,
        .to_ms = to,
        .limit = (size_t)cfg->limit,
    };
    rc = pipeline_query_render(st, &q, cfg->report_json ? PIPELINE_JSON : PIPELINE_TEXT, stdout,
                               err, sizeof(err));
    if (rc) {
        fprintf(stderr, "kzpulse query: %s\n", err);
        status = rc == KZ_ERANGE || rc == KZ_EINVAL ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
    } else if (fflush(stdout)) {
        status = KZ_EXIT_FAIL;
    }
out:
    pipeline_free(p);
    agg_store_free(st);
    return status;
}
