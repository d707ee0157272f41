/*
 * cmd_serve.c -- `kzpulse serve (--redis URL | FILE...) [--listen ADDR:PORT]`:
 * the JSON API, the event stream and /metrics over the live counters in
 * Redis, or over archives replayed into the in-process store first.
 *
 * The wiring only: the server is serve/ (serve.h says what it answers and
 * how it is bounded).  This file opens the store as `kzpulse query` does
 * (Redis: the shipped lexicons name what may be asked and the gazetteer the
 * regions; archives: the replay walker fills the in-process store through
 * the pipeline, which also counts into the metrics), reads the bearer token
 * (--token-file, else $KZPULSE_SERVE_TOKEN), starts the server and waits for
 * SIGINT or SIGTERM.  Archives' records that cannot be decoded are counted,
 * and written with their reasons to --dead-letters FILE when given (as
 * replay writes them).  A Redis that cannot be reached at start is not fatal:
 * the API answers 503 until it can.  Exit codes: 0 stopped by a signal, 1 a
 * runtime failure, 2 bad usage (a non-loopback address without a token).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "metrics.h"
#include "serve.h"

#define TOKEN_MAX 4096

static int open_redis(void *ctx, struct agg_store **out, char *err, size_t errlen)
{
    return pipeline_redis_open(ctx, out, err, errlen);
}

int kz_cmd_serve(struct kz_config *cfg, char **args, int nargs)
{
    int status = KZ_EXIT_OK, rc;
    char err[1024], token[TOKEN_MAX];
    struct agg_store *st = NULL;
    struct pipeline *p = NULL;
    struct nlp_lexicon *lex = NULL;
    struct nlp_gazetteer *gaz = NULL;
    struct metrics *m = NULL;
    struct serve *srv = NULL;
    struct agg_redis_addr addr;
    struct serve_config sc = {0};
    struct pipeline_dead_file dead = {NULL, NULL, 0};

    if ((cfg->redis != NULL) == (nargs > 0)) {
        fprintf(stderr, "kzpulse serve: expected either --redis URL or archive FILE... "
                        "(see kzpulse serve --help)\n");
        return KZ_EXIT_USAGE;
    }
    if (serve_token_read(cfg->token_file, token, sizeof(token), err, sizeof(err))) {
        fprintf(stderr, "kzpulse serve: %s\n", err);
        return KZ_EXIT_USAGE;
    }
    if (metrics_new(&m))
        return KZ_EXIT_FAIL;
    sc.listen = cfg->listen;
    sc.token = token[0] ? token : NULL;
    sc.cors_origin = cfg->cors_origin;
    sc.metrics = m;
    if (!sc.token && !serve_is_loopback(sc.listen ? sc.listen : SERVE_DEFAULT_LISTEN)) {
        fprintf(stderr,
                "kzpulse serve: --listen %s is not a loopback address: refusing to serve it "
                "without a bearer token (--token-file FILE or KZPULSE_SERVE_TOKEN)\n",
                sc.listen);
        status = KZ_EXIT_USAGE;
        goto out;
    }
    if ((rc = pipeline_data_default(cfg, err, sizeof(err))) && (nargs || rc != KZ_ENOTFOUND)) {
        fprintf(stderr, "kzpulse serve: %s\n", err);
        status = rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
        goto out;
    }
    if (cfg->redis) {
        if ((rc = pipeline_redis_addr(cfg, &addr, err, sizeof(err)))) {
            fprintf(stderr, "kzpulse serve: --redis: %s\n", err);
            status = KZ_EXIT_USAGE;
            goto out;
        }
        rc = pipeline_redis_open(cfg, &st, err, sizeof(err));
        if (rc == KZ_EAGAIN) {
            fprintf(stderr, "kzpulse serve: --redis: %s (answering 503 until it can be reached)\n",
                    err);
        } else if (rc) {
            fprintf(stderr, "kzpulse serve: --redis: %s\n", err);
            status = rc == KZ_EINVAL ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
            goto out;
        }
        if (cfg->lexicons) {
            if (pipeline_lexicons_load(cfg->lexicons, &lex, err, sizeof(err)))
                lex = NULL;
            if ((rc = pipeline_gazetteer_load(cfg->lexicons, &gaz, err, sizeof(err))) &&
                rc != KZ_EIO) {
                fprintf(stderr, "kzpulse serve: %s\n", err);
                status = rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
                goto out;
            }
        }
        sc.store = st;
        sc.open_store = open_redis;
        sc.open_ctx = cfg;
        sc.lexicon = lex;
        sc.gaz = gaz;
        sc.undated = -1;
        sc.redis = &addr;
        sc.group = cfg->group ? cfg->group : "kzpulse";
    } else {
        struct agg_mem_config mc = {0, 0};
        dead.path = cfg->dead_letters; /* NULL: counted and said, not written */
        if (dead.path && !pipeline_dead_path_ok(dead.path)) {
            fprintf(stderr, "kzpulse serve: --dead-letters: cannot write %s: %s\n", dead.path,
                    strerror(errno));
            status = KZ_EXIT_USAGE;
            goto out;
        }
        if (agg_store_mem_new(&mc, &st) ||
            (rc = pipeline_new(cfg, st, dead.path ? pipeline_dead_to_path : NULL,
                               dead.path ? &dead : NULL, &p, err, sizeof(err)))) {
            fprintf(stderr, "kzpulse serve: %s\n", st ? err : "out of memory");
            status = KZ_EXIT_USAGE;
            goto out;
        }
        pipeline_set_metrics(p, m);
        if (isatty(STDERR_FILENO))
            pipeline_set_progress(p, stderr);
        for (int i = 0; i < nargs && status != KZ_EXIT_FAIL; i++) {
            char why[768];
            if ((rc = pipeline_walk_file(p, args[i], why, sizeof(why)))) {
                fprintf(stderr, "kzpulse serve: %s\n", why);
                status = rc == PIPELINE_BAD_SOURCE && status != KZ_EXIT_FAIL ? KZ_EXIT_USAGE
                                                                             : KZ_EXIT_FAIL;
            }
        }
        if (dead.open_errno) {
            fprintf(stderr, "kzpulse serve: --dead-letters: cannot write %s: %s\n", dead.path,
                    strerror(dead.open_errno));
            status = KZ_EXIT_FAIL;
        } else if (pipeline_dead_file_close(&dead)) {
            fprintf(stderr, "kzpulse serve: %s: %s\n", dead.path, strerror(errno));
            status = KZ_EXIT_FAIL;
        }
        if (status != KZ_EXIT_OK)
            goto out;
        sc.store = st;
        sc.archive = 1;
        if (agg_store_mem_bounds(st, &sc.data_from, &sc.data_to))
            sc.data_from = sc.data_to = 0;
        sc.undated = (int64_t)pipeline_ingest_stats(p)->ts_arrival;
        sc.lexicon = pipeline_lexicon(p);
        sc.gaz = pipeline_gazetteer(p);
        fprintf(stderr, "kzpulse serve: %llu posts replayed from %d archive%s\n",
                (unsigned long long)pipeline_stats(p)->posts, nargs, nargs > 1 ? "s" : "");
        if (pipeline_stats(p)->dead_total && dead.path)
            fprintf(stderr,
                    "kzpulse serve: %llu records could not be decoded and are not counted; "
                    "written with their reasons to %s\n",
                    (unsigned long long)pipeline_stats(p)->dead_total,
                    strcmp(dead.path, "-") ? dead.path : "stderr");
        else if (pipeline_stats(p)->dead_total)
            fprintf(stderr,
                    "kzpulse serve: %llu records could not be decoded and are not counted "
                    "(--dead-letters FILE writes them with their reasons)\n",
                    (unsigned long long)pipeline_stats(p)->dead_total);
    }

    /* the server's threads inherit a mask without these: sigwait takes them */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((rc = serve_start(&sc, &srv, err, sizeof(err)))) {
        fprintf(stderr, "kzpulse serve: --listen %s\n", err);
        status = rc == KZ_EINVAL ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
        goto out;
    }
    fprintf(stderr, "kzpulse serve: listening on port %d (API /api/v1/, metrics /metrics)\n",
            serve_port(srv));
    int sig;
    sigwait(&set, &sig);
    fprintf(stderr, "kzpulse serve: stopping (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
out:
    pipeline_dead_file_close(&dead); /* a walk that failed half way */
    serve_stop(srv);
    if (!sc.store || sc.store == st)
        agg_store_free(st);
    pipeline_free(p);
    nlp_lexicon_free(lex);
    nlp_gazetteer_free(gaz);
    metrics_free(m);
    memset(&addr, 0, sizeof(addr));
    memset(token, 0, sizeof(token));
    return status;
}
