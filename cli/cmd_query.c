/*
 * cmd_query.c -- `kzpulse query`: read series, top-k, distinct counts and
 * dimension totals from a store.
 *
 * The same queries run against Redis (--redis URL: the live counters) or
 * against the in-process store filled by replaying archives given as
 * arguments, and print the same output either way — so a researcher can check
 * a dashboard's numbers against an archive, and tests can compare the two
 * stores through the command line.  Output is tab-separated text (one row a
 * bucket or member, then a total) or, with --json, one JSON object.
 *
 *   kzpulse query series DIM      [--gran minute|hour] [--from T] [--to T]
 *   kzpulse query top KIND        [--limit N] [--from T] [--to T]     KIND: hashtag|term|channel
 *   kzpulse query distinct DIM    [--from T] [--to T]                 DIM: all|topic:x|region:y
 *   kzpulse query dims PREFIX     [--gran ...] [--from T] [--to T]    PREFIX: platform: ...
 *
 * Windows are [from, to), aligned down to the granularity.  Defaults: with
 * Redis the last 24 hours; with archives the span of their data.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"

static void iso(int64_t ms, char *buf, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *window_json(const char *what, const char *arg, int64_t from, int64_t to)
{
    char a[32], b[32];
    iso(from, a, sizeof(a));
    iso(to, b, sizeof(b));
    return json_pack("{s:s, s:s, s:s, s:s}", "query", what, "arg", arg, "from", a, "to", b);
}

static int print_json(json_t *o)
{
    int rc = json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(o);
    return rc;
}

static int do_query(struct agg_store *st, const struct kz_config *cfg, const char *what,
                    const char *arg, int64_t from, int64_t to, int as_json)
{
    char err[512], t[32];
    int rc;

    if (!strcmp(what, "series")) {
        struct agg_series s = {0};
        if ((rc = agg_store_series(st, (enum agg_gran)cfg->gran, arg, from, to, &s, err,
                                   sizeof(err))))
            goto fail;
        json_t *o = as_json ? window_json(what, arg, from, to) : NULL;
        json_t *pts = as_json ? json_array() : NULL;
        for (size_t i = 0; i < s.n; i++) {
            iso(s.points[i].bucket_ms, t, sizeof(t));
            if (as_json)
                json_array_append_new(pts, json_pack("[s, I]", t, (json_int_t)s.points[i].count));
            else
                printf("%s\t%lld\n", t, (long long)s.points[i].count);
        }
        if (as_json) {
            json_object_set_new(o, "gran", json_string(agg_gran_name((enum agg_gran)cfg->gran)));
            json_object_set_new(o, "points", pts);
            json_object_set_new(o, "total", json_integer(s.total));
            print_json(o);
        } else {
            printf("total\t%lld\n", (long long)s.total);
        }
        agg_series_free(&s);
    } else if (!strcmp(what, "top")) {
        int kind = agg_top_kind_parse(arg);
        if (kind < 0) {
            fprintf(stderr, "kzpulse query: top: expected one of hashtag, term, channel; got "
                            "\"%s\"\n", arg);
            return KZ_EXIT_USAGE;
        }
        struct agg_top tp = {0};
        if ((rc = agg_store_topk(st, (enum agg_top_kind)kind, from, to, (size_t)cfg->limit, &tp,
                                 err, sizeof(err))))
            goto fail;
        json_t *o = as_json ? window_json(what, arg, from, to) : NULL;
        json_t *items = as_json ? json_array() : NULL;
        for (size_t i = 0; i < tp.n; i++) {
            if (as_json)
                json_array_append_new(items, json_pack("[s, I]", tp.items[i].member,
                                                       (json_int_t)tp.items[i].count));
            else
                printf("%s\t%lld\n", tp.items[i].member, (long long)tp.items[i].count);
        }
        if (as_json) {
            json_object_set_new(o, "items", items);
            print_json(o);
        }
        agg_top_free(&tp);
    } else if (!strcmp(what, "distinct")) {
        uint64_t n = 0;
        if ((rc = agg_store_distinct(st, arg, from, to, &n, err, sizeof(err))))
            goto fail;
        if (as_json) {
            json_t *o = window_json(what, arg, from, to);
            json_object_set_new(o, "distinct", json_integer((json_int_t)n));
            print_json(o);
        } else {
            printf("%llu\n", (unsigned long long)n);
        }
    } else if (!strcmp(what, "dims")) {
        struct agg_dimcounts d = {0};
        if ((rc = agg_store_dims(st, (enum agg_gran)cfg->gran, arg, from, to, &d, err,
                                 sizeof(err))))
            goto fail;
        json_t *o = as_json ? window_json(what, arg, from, to) : NULL;
        json_t *items = as_json ? json_object() : NULL;
        for (size_t i = 0; i < d.n; i++) {
            if (as_json)
                json_object_set_new(items, d.items[i].dim, json_integer(d.items[i].count));
            else
                printf("%s\t%lld\n", d.items[i].dim, (long long)d.items[i].count);
        }
        if (as_json) {
            json_object_set_new(o, "dims", items);
            print_json(o);
        }
        agg_dimcounts_free(&d);
    } else {
        fprintf(stderr, "kzpulse query: expected one of series, top, distinct, dims; got \"%s\" "
                        "(see kzpulse query --help)\n", what);
        return KZ_EXIT_USAGE;
    }
    return fflush(stdout) ? KZ_EXIT_FAIL : KZ_EXIT_OK;
fail:
    fprintf(stderr, "kzpulse query: %s %s: %s\n", what, arg, err);
    return rc == KZ_ERANGE || rc == KZ_EINVAL ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
}

int kz_cmd_query(struct kz_config *cfg, char **args, int nargs)
{
    int status = KZ_EXIT_OK, rc;
    char err[512];
    struct agg_store *st = NULL;
    struct pipeline *p = NULL;

    if (nargs < 2 || (cfg->redis && nargs > 2) || (!cfg->redis && nargs < 3)) {
        fprintf(stderr, "kzpulse query: expected QUERY ARG and either --redis URL or archive "
                        "FILE... (see kzpulse query --help)\n");
        status = KZ_EXIT_USAGE;
        goto out;
    }
    static const char *const queries[] = {"series", "top", "distinct", "dims"};
    size_t q;
    for (q = 0; q < KZ_ARRAY_LEN(queries) && strcmp(args[0], queries[q]); q++)
        ;
    if (q == KZ_ARRAY_LEN(queries)) {
        fprintf(stderr, "kzpulse query: expected one of series, top, distinct, dims; got \"%s\" "
                        "(see kzpulse query --help)\n", args[0]);
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
            fprintf(stderr, "kzpulse query: %llu records could not be decoded and are not "
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
    status = do_query(st, cfg, args[0], args[1], from, to, cfg->report_json);
out:
    pipeline_free(p);
    agg_store_free(st);
    return status;
}
