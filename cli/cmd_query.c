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
 *   kzpulse query series DIM      [--step minute|hour|day|auto] [--from T] [--to T] [--tz Z]
 *   kzpulse query top KIND        [--limit N] [--from T] [--to T]     KIND: hashtag|term|channel
 *   kzpulse query distinct DIM    [--from T] [--to T]                 DIM: all|topic:x|region:y
 *   kzpulse query dims PREFIX     [--step ...] [--from T] [--to T]    PREFIX: platform: ...
 *   kzpulse query posts DIM       [--limit N] [--from T] [--to T]     DIM:
 * topic:x|stance:s|mob:call|region:y
 *
 * Windows are [from, to) (pipeline_window_resolve): T is RFC 3339, epoch
 * seconds, now, or a time ago (-15m, -2h, -7d).  Defaults: with Redis the
 * last 24 hours up to now, with archives the span of their data.  Every
 * bucket that overlaps the window is shown, the partial one holding "now"
 * included.  --step auto picks minute, hour or day by the span; day buckets
 * and printed times follow --tz (default Asia/Almaty, from the system
 * tzdata).  Posts without a usable time are reported apart ("undated").
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int kz_cmd_query(struct kz_config *cfg, char **args, int nargs)
{
    int status = KZ_EXIT_OK, rc;
    char err[1024];
    struct agg_store *st = NULL;
    struct pipeline *p = NULL;
    struct nlp_lexicon *lex = NULL;
    struct agg_zone *zone = NULL;
    struct nlp_gazetteer *gaz = NULL; /* Redis: names of regions, read alone */

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
    if ((rc = agg_zone_open(cfg->tz ? cfg->tz : PIPELINE_DEFAULT_TZ, &zone, err, sizeof(err)))) {
        fprintf(stderr, "kzpulse query: --tz: %s\n", err);
        status = rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
        goto out;
    }
    struct pipeline_window_in win = {
        .from_ms = cfg->from_ms,
        .to_ms = cfg->to_ms,
        .from_set = cfg->from_set,
        .to_set = cfg->to_set,
        .step = (enum pipeline_step)cfg->step,
        .zone = zone,
        .now_ms = cfg->now_ms ? cfg->now_ms : pipeline_now_ms(), /* the specs' clock */
    };
    int64_t undated = -1; /* Redis: the store's "undated" */
    if (cfg->redis) {
        if ((rc = pipeline_redis_open(cfg, &st, err, sizeof(err)))) {
            fprintf(stderr, "kzpulse query: --redis: %s\n", err);
            status = rc == KZ_EINVAL ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
            goto out;
        }
        /* The lexicons name the topics and regions a query may ask for
         * (besides what Redis holds), and their gazetteer names the regions;
         * without any, the store's values alone and codes without names. */
        if (pipeline_data_default(cfg, err, sizeof(err)) == 0 && cfg->lexicons) {
            if (pipeline_lexicons_load(cfg->lexicons, &lex, err, sizeof(err)))
                lex = NULL;
            if ((rc = pipeline_gazetteer_load(cfg->lexicons, &gaz, err, sizeof(err))) &&
                rc != KZ_EIO) {
                fprintf(stderr, "kzpulse query: %s\n", err);
                status = rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
                goto out;
            }
        }
    } else {
        struct agg_mem_config mc = {0, 0};
        if (agg_store_mem_new(&mc, &st)) {
            status = KZ_EXIT_FAIL;
            goto out;
        }
        if ((rc = pipeline_data_default(cfg, err, sizeof(err)))) {
            fprintf(stderr, "kzpulse query: %s\n", err);
            status = rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
            goto out;
        }
        if ((rc = pipeline_new(cfg, st, NULL, NULL, &p, err, sizeof(err)))) {
            fprintf(stderr, "kzpulse query: %s\n", err);
            status = rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
            goto out;
        }
        /* the store answers this one query: the sample posts of its
         * dimension are kept, and no others (a dimension that is never
         * sampled is refused here and answered by the store's own error) */
        const char *const qdim[] = {args[1]};
        int posts = strcmp(args[0], "posts") == 0;
        if ((rc = pipeline_set_sample_dims(p, qdim, posts ? 1 : 0)) == KZ_ENOMEM) {
            fprintf(stderr, "kzpulse query: out of memory\n");
            status = KZ_EXIT_FAIL;
            goto out;
        }
        if (isatty(STDERR_FILENO))
            pipeline_set_progress(p, stderr);
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
        win.archive = 1;
        if (agg_store_mem_bounds(st, &win.data_from, &win.data_to))
            win.data_from = win.data_to = 0;
        undated = (int64_t)pipeline_ingest_stats(p)->ts_arrival; /* whatever the window */
    }
    struct pipeline_window w;
    if (pipeline_window_resolve(&win, &w, err, sizeof(err))) {
        fprintf(stderr, "kzpulse query: %s\n", err);
        status = KZ_EXIT_USAGE;
        goto out;
    }
    struct pipeline_query q = {
        .what = args[0],
        .arg = args[1],
        .step = w.step,
        .zone = zone,
        .from_ms = w.from_ms,
        .to_ms = w.to_ms,
        .limit = (size_t)cfg->limit,
        .lexicon = p ? pipeline_lexicon(p) : lex,
        .undated = undated,
        .gaz = gaz ? gaz : pipeline_gazetteer(p),
        .names = (enum nlp_names)cfg->names,
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
    nlp_gazetteer_free(gaz);
    pipeline_free(p);
    nlp_lexicon_free(lex);
    agg_store_free(st);
    agg_zone_free(zone);
    return status;
}
