/*
 * cmd_run.c -- `kzpulse run`: a Kafka consumer group into Redis counters,
 * effectively once.
 *
 * The wiring only: check the options, make the Redis store, install the
 * signal handlers and hand over to the streaming job, pipeline_stream_run()
 * (pipeline/stream.c, which holds the loop, the flushes, the rebalances, the
 * watermark and the stats; the Kafka source is ingest/source_kafka.c).
 * SIGTERM and SIGINT ask the job to stop (a second one: to stop now, see
 * struct pipeline_signals), SIGHUP to reload the lexicons.
 * With --metrics-listen ADDR:PORT the job's metrics are served at /metrics
 * (serve/ with metrics_only; a non-loopback address needs --token-file or
 * KZPULSE_SERVE_TOKEN, as for kzpulse serve).
 * Exit codes: 0 stopped cleanly, 1 a runtime failure, 2 bad usage (a missing
 * option, or a -X property, lexicon or model the job refuses).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "metrics.h"
#include "serve.h"

static struct pipeline_signals g_sig;

/* A first SIGTERM or SIGINT asks for a stop, a second one for a stop now. */
static void on_signal(int sig)
{
    if (sig == SIGHUP)
        g_sig.reload = 1;
    else if (g_sig.stop < 2)
        g_sig.stop++;
}

static void install_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigfillset(&sa.sa_mask); /* one handler at a time: no count is lost */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int kz_cmd_run(struct kz_config *cfg, char **args, int nargs)
{
    struct agg_store *store = NULL;
    int status = KZ_EXIT_OK, rc;
    char err[768];
    struct metrics *m = NULL;
    struct serve *srv = NULL;

    const char *missing = !cfg->brokers   ? "--brokers"
                          : !cfg->ntopics ? "--topic"
                          : !cfg->group   ? "--group"
                          : !cfg->redis   ? "--redis"
                                          : NULL;
    if (missing || nargs) {
        if (missing)
            fprintf(stderr, "kzpulse run: %s is required (see kzpulse run --help)\n", missing);
        else
            fprintf(stderr, "kzpulse run: unexpected argument \"%s\" (see kzpulse run --help)\n",
                    args[0]);
        status = KZ_EXIT_USAGE;
        goto out;
    }

    if ((rc = pipeline_data_default(cfg, err, sizeof err))) {
        fprintf(stderr, "kzpulse run: %s\n", err);
        status = rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
        goto out;
    }
    if ((rc = pipeline_redis_open(cfg, &store, err, sizeof err))) {
        fprintf(stderr, "kzpulse run: --redis: %s\n", err);
        status = rc == KZ_EINVAL ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
        goto out;
    }
    if (cfg->metrics_listen) {
        if ((rc = serve_metrics_start(cfg->metrics_listen, cfg->token_file, &m, &srv, err,
                                      sizeof err))) {
            fprintf(stderr, "kzpulse run: %s\n", err);
            status = rc == KZ_EINVAL ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
            goto out;
        }
        fprintf(stderr, "kzpulse run: metrics on port %d (/metrics)\n", serve_port(srv));
    }
    install_handlers();
    if ((rc = pipeline_stream_run(cfg, store, &g_sig, m, err, sizeof err))) {
        fprintf(stderr, "kzpulse run: %s\n", err);
        status = rc == KZ_EINVAL ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
    }
out:
    serve_stop(srv);
    metrics_free(m);
    agg_store_free(store);
    return status;
}
