/*
 * cmd_alerts.c -- `kzpulse alerts`: the live evaluator over Redis with the
 * delivery of its alerts, --deliver-only, and --check-rules FILE.
 *
 * The wiring only; the machinery is alerts/ (eval.c, stream.c, loop.c, and
 * deliver*.c).
 * --check-rules validates a rules file with the evaluator's parser
 * (alerts_rules_load, the ISO 3166-2:KZ region list) and prints either
 * "FILE: OK" with one line per rule, or every error as FILE:LINE:COL: message
 * on stderr, then a count; exit 0 or 2.
 * --redis URL --group G [--rules FILE] runs the evaluator until SIGTERM or
 * SIGINT (exit 0): the rules (default: the shipped alerts/default.rules,
 * found beside the shipped lexicons), the regions of the shipped gazetteer
 * (else the built-in ISO list), the Redis store (Redis away at the start is
 * retried, as later), the alert stream, and alerts_live_run().  SIGHUP reads
 * the rules again (a file with mistakes is said and the rules in force
 * stay).  The records this process published go to stdout or --alerts-out
 * FILE.  With receivers (--webhook, --alertmanager, --deliver-file), the
 * delivery of the stream runs beside the evaluator, on its own thread.
 * --deliver-only runs the delivery alone: the receivers from the flags, the
 * webhook secret from its file or the environment, the Redis password as
 * `run` takes it; SIGTERM or SIGINT stop it (exit 0) after a last line of
 * counters per receiver on stderr.
 * --metrics-listen ADDR:PORT serves Prometheus /metrics (serve/, as `run`
 * does): the evaluator's events, minutes, errors and rounds, and the
 * delivery's counters per receiver.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "cli.h"
#include "metrics.h"
#include "serve.h"

static volatile sig_atomic_t g_stop, g_reload;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        g_reload = 1;
    else
        g_stop = 1;
}

static const char *scope_text(const struct alerts_rule *r, char *buf, size_t len)
{
    if (r->scope == ALERTS_OVERALL)
        return "all regions together";
    if (r->scope == ALERTS_EACH_REGION)
        return "each region apart";
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->nregions && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", r->regions[i]);
    return buf;
}

static void delivery_report(struct alerts_delivery *d);

/* Fill the delivery's configuration and receivers from cfg.  0, or an exit
 * code after printing why. */
static int delivery_make(struct kz_config *cfg, struct metrics *m, struct alerts_delivery **out)
{
    struct alerts_delivery_config dc;
    struct alerts_secret secret;
    char err[600], pw[300];
    int rc, webhooks = 0;

    *out = NULL;
    memset(&secret, 0, sizeof secret);
    for (int i = 0; i < cfg->nreceivers; i++)
        webhooks += cfg->receivers[i].kind == ALERTS_RX_WEBHOOK;
    if (webhooks && (rc = alerts_secret_load(cfg->webhook_secret_file, ALERTS_SECRET_ENV, &secret,
                                             err, sizeof err))) {
        if (rc == KZ_ENOTFOUND)
            fprintf(stderr,
                    "kzpulse alerts: --webhook needs a signing secret: "
                    "--webhook-secret-file FILE or the environment variable %s\n",
                    ALERTS_SECRET_ENV);
        else
            fprintf(stderr, "kzpulse alerts: webhook secret: %s\n", err);
        return KZ_EXIT_USAGE;
    }
    if (pipeline_redis_password(cfg, pw, sizeof pw, err, sizeof err)) {
        fprintf(stderr, "kzpulse alerts: %s\n", err);
        return KZ_EXIT_USAGE;
    }
    alerts_delivery_config_default(&dc);
    dc.redis_url = cfg->redis;
    dc.redis_password = pw[0] ? pw : NULL;
    dc.timeout_ms = cfg->deliver_timeout_s * 1000;
    dc.connect_timeout_ms = dc.timeout_ms < 5000 ? dc.timeout_ms : 5000;
    dc.lease_ms = cfg->deliver_lease_s * 1000;
    dc.generator_url = cfg->generator_url;
    dc.backoff_max_ms = cfg->deliver_retry_max_s * 1000LL;
    dc.am_resend_ms = cfg->am_resend_s * 1000LL;
    dc.metrics = m;
    if (dc.lease_ms < dc.timeout_ms + 1000) {
        fprintf(stderr,
                "kzpulse alerts: --deliver-lease (%d s) must exceed --deliver-timeout (%d s) "
                "by a second at least\n",
                cfg->deliver_lease_s, cfg->deliver_timeout_s);
        return KZ_EXIT_USAGE;
    }
    rc = alerts_delivery_new(&dc, out, err, sizeof err);
    memset(pw, 0, sizeof pw);
    for (int i = 0; !rc && i < cfg->nreceivers; i++)
        rc = alerts_delivery_add(*out, (enum alerts_rx_kind)cfg->receivers[i].kind,
                                 cfg->receivers[i].spec, &secret, err, sizeof err);
    memset(&secret, 0, sizeof secret);
    if (rc) {
        fprintf(stderr, "kzpulse alerts: %s\n", rc == KZ_ENOMEM ? "out of memory" : err);
        alerts_delivery_free(*out);
        *out = NULL;
        return rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
    }
    return 0;
}

static int deliver(struct kz_config *cfg, struct metrics *m)
{
    struct alerts_delivery *d;
    struct sigaction sa;
    int status;

    if (!cfg->redis || !cfg->nreceivers) {
        fprintf(stderr, "kzpulse alerts: --deliver-only needs %s (see kzpulse alerts --help)\n",
                !cfg->redis ? "--redis URL"
                            : "a receiver: --webhook, --alertmanager or --deliver-file");
        return KZ_EXIT_USAGE;
    }
    if ((status = delivery_make(cfg, m, &d)))
        return status;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    alerts_delivery_run(d, &g_stop);
    delivery_report(d);
    alerts_delivery_free(d);
    return KZ_EXIT_OK;
}

/* The delivery's thread beside the evaluator: until g_stop. */
static void *delivery_main(void *arg)
{
    alerts_delivery_run(arg, &g_stop);
    return NULL;
}

/* A last line of counters per receiver, on stderr. */
static void delivery_report(struct alerts_delivery *d)
{
    for (size_t i = 0; i < alerts_delivery_count(d); i++) {
        struct alerts_rx_stats st;
        if (alerts_delivery_stats(d, i, &st))
            break;
        fprintf(stderr,
                "kzpulse alerts: %s \"%s\": %llu delivered, %llu attempts, %llu failed, %llu "
                "retried, %llu malformed, %llu re-sent; cursor %s\n",
                alerts_rx_kind_name(st.kind), st.name, (unsigned long long)st.delivered,
                (unsigned long long)st.attempts, (unsigned long long)st.failed,
                (unsigned long long)st.retried, (unsigned long long)st.malformed,
                (unsigned long long)st.resent, st.cursor[0] ? st.cursor : "(none)");
    }
}

static int check_rules(const char *path)
{
    struct alerts_rules *rules;
    long n = alerts_rules_load(path, NULL, alerts_diag_print, stderr, &rules);
    if (n < 0) {
        fprintf(stderr, "kzpulse alerts: %s: %s\n", path, kz_strerror((int)n));
        return KZ_EXIT_FAIL;
    }
    if (n > 0) {
        fprintf(stderr, "kzpulse alerts: %ld error%s in %s\n", n, n == 1 ? "" : "s", path);
        return KZ_EXIT_USAGE;
    }
    printf("%s: OK, %zu rule%s\n", path, rules->n, rules->n == 1 ? "" : "s");
    for (size_t i = 0; i < rules->n; i++) {
        const struct alerts_rule *r = &rules->rules[i];
        char regions[256];
        printf("  %s: %s%s%s, %s, window %d min, p < %g, min %lld posts and %lld authors, %s%s\n",
               r->id, alerts_kind_name(r->kind), r->subject ? " " : "",
               r->subject ? r->subject : "", scope_text(r, regions, sizeof(regions)), r->window,
               r->threshold, (long long)r->min_count, (long long)r->min_authors,
               alerts_severity_name(r->severity), r->enabled ? "" : " (disabled)");
    }
    alerts_rules_free(rules);
    return KZ_EXIT_OK;
}

/* The regions of the shipped gazetteer (names in Kazakh), else NULL: the
 * built-in ISO 3166-2:KZ list.  *data_err says why there is no data dir. */
static struct pipeline_regions *load_regions(struct kz_config *cfg, int *data_rc, char *err,
                                             size_t errlen)
{
    struct nlp_gazetteer *g = NULL;
    struct pipeline_regions *r = NULL;

    if ((*data_rc = pipeline_data_default(cfg, err, errlen)) || !cfg->lexicons)
        return NULL;
    if (pipeline_gazetteer_load(cfg->lexicons, &g, err, errlen))
        return NULL;
    if (pipeline_regions_new(g, NLP_NAMES_KK, &r) || !pipeline_regions_count(r)) {
        pipeline_regions_free(r);
        r = NULL;
    }
    nlp_gazetteer_free(g);
    return r;
}

/* The rules of --rules, else the shipped ones; an exit code. */
static int load_rules(struct kz_config *cfg, const char *cmd, int data_rc, const char *data_err,
                      const struct alerts_regions *regions, struct alerts_rules **out)
{
    char path[4096];
    const char *file = cfg->alerts_rules;

    *out = NULL;
    if (!file) {
        if (data_rc) {
            fprintf(stderr, "kzpulse %s: no --rules, and no shipped rules: %s\n", cmd, data_err);
            return data_rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
        }
        if (alerts_rules_default(cfg->lexicons, path, sizeof(path))) {
            fprintf(stderr, "kzpulse %s: no --rules, and no shipped rules at %s\n", cmd, path);
            return KZ_EXIT_USAGE;
        }
        file = path;
    }
    long n = alerts_rules_load(file, regions, alerts_diag_print, stderr, out);
    if (n < 0) {
        fprintf(stderr, "kzpulse %s: %s: %s\n", cmd, file, kz_strerror((int)n));
        return KZ_EXIT_FAIL;
    }
    if (n > 0) {
        fprintf(stderr, "kzpulse %s: %ld error%s in %s\n", cmd, n, n == 1 ? "" : "s", file);
        return KZ_EXIT_USAGE;
    }
    return KZ_EXIT_OK;
}

/* Where the rules come from, at the start and on SIGHUP. */
struct rules_src {
    struct kz_config *cfg;
    const struct alerts_regions *regions;
    int data_rc;
    const char *data_err;
};

/* The rules, checked as the evaluator will take them: the file, the topics
 * against the lexicons', the kinds the store can count.  An exit code; every
 * problem said on stderr. */
static int rules_ready(struct rules_src *src, struct alerts_rules **out)
{
    struct kz_config *cfg = src->cfg;
    char err[768];
    int status;

    if ((status = load_rules(cfg, "alerts", src->data_rc, src->data_err, src->regions, out)))
        return status;
    if (!src->data_rc && cfg->lexicons) { /* the topics the rules name, against the lexicons' */
        struct nlp_lexicon *lex = NULL;
        int bad = 0;
        if (!pipeline_lexicons_load(cfg->lexicons, &lex, err, sizeof(err)))
            bad = alerts_rules_check_topics(*out, pipeline_topic_known, lex, err, sizeof(err));
        nlp_lexicon_free(lex);
        if (bad)
            goto refused;
    }
    if (alerts_eval_check(*out, src->regions, err, sizeof(err)) ||
        alerts_rules_normalize(*out, pipeline_hashtag_form, NULL, err, sizeof(err)))
        goto refused;
    return KZ_EXIT_OK;
refused:
    fprintf(stderr, "kzpulse alerts: %s\n", err);
    alerts_rules_free(*out);
    *out = NULL;
    return KZ_EXIT_USAGE;
}

static int reload_rules(void *ctx, struct alerts_rules **out)
{
    return rules_ready(ctx, out);
}

/* The Redis store, retried until Redis answers or a signal stops us. */
static int open_store(const struct kz_config *cfg, struct agg_store **out)
{
    char err[768];
    int backoff = 1;

    for (;;) {
        int rc = pipeline_redis_open(cfg, out, err, sizeof(err));
        if (!rc)
            return KZ_EXIT_OK;
        if (rc != KZ_EAGAIN) {
            fprintf(stderr, "kzpulse alerts: --redis: %s\n", err);
            return rc == KZ_EINVAL ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
        }
        fprintf(stderr, "kzpulse alerts: --redis: %s; retrying in %d s\n", err, backoff);
        for (int i = 0; i < backoff * 10 && !g_stop; i++) {
            struct timespec ts = {0, 100000000L};
            nanosleep(&ts, NULL);
        }
        if (g_stop)
            return KZ_EXIT_OK;
        backoff = backoff * 2 > 30 ? 30 : backoff * 2;
    }
}

int kz_cmd_alerts(struct kz_config *cfg, char **args, int nargs)
{
    struct alerts_rules *rules = NULL;
    struct agg_store *store = NULL;
    struct alerts_stream *stream = NULL;
    struct pipeline_regions *preg = NULL;
    struct alerts_delivery *delivery = NULL;
    struct metrics *m = NULL;
    struct serve *srv = NULL;
    pthread_t deliverer;
    FILE *out = stdout;
    char err[768], data_err[768] = "";
    int status, data_rc = 0, delivering = 0;

    if (nargs) {
        fprintf(stderr, "kzpulse alerts: unexpected argument \"%s\" (see kzpulse alerts --help)\n",
                args[0]);
        return KZ_EXIT_USAGE;
    }
    if (cfg->alerts_check)
        return check_rules(cfg->alerts_check);
    const char *missing = cfg->deliver_only ? NULL
                          : !cfg->redis     ? "--redis"
                          : !cfg->group     ? "--group"
                                            : NULL;
    if (missing) {
        fprintf(stderr,
                "kzpulse alerts: %s is required (or --check-rules FILE; see kzpulse alerts "
                "--help)\n",
                missing);
        return KZ_EXIT_USAGE;
    }
    if (cfg->metrics_listen) {
        int rc =
            serve_metrics_start(cfg->metrics_listen, cfg->token_file, &m, &srv, err, sizeof(err));
        if (rc) {
            fprintf(stderr, "kzpulse alerts: %s\n", err);
            return rc == KZ_EINVAL ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
        }
        fprintf(stderr, "kzpulse alerts: metrics on port %d (/metrics)\n", serve_port(srv));
    }
    if (cfg->deliver_only) {
        status = deliver(cfg, m);
        goto out;
    }
    preg = load_regions(cfg, &data_rc, data_err, sizeof(data_err));
    struct alerts_regions regions = {pipeline_regions_lookup, pipeline_regions_each, preg};
    struct rules_src src = {cfg, preg ? &regions : NULL, data_rc, data_err};
    if ((status = rules_ready(&src, &rules)))
        goto out;
    if (cfg->alerts_out && !(out = fopen(cfg->alerts_out, "a"))) {
        fprintf(stderr, "kzpulse alerts: --alerts-out: cannot write %s: %s\n", cfg->alerts_out,
                strerror(errno));
        status = KZ_EXIT_USAGE;
        goto out;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    if ((status = open_store(cfg, &store)) || g_stop)
        goto out;
    char pw[512];
    if (pipeline_redis_password(cfg, pw, sizeof(pw), err, sizeof(err)) ||
        alerts_stream_open(cfg->redis, pw[0] ? pw : NULL, 2000, &stream, err, sizeof(err))) {
        memset(pw, 0, sizeof(pw));
        fprintf(stderr, "kzpulse alerts: --redis: %s\n", err);
        status = KZ_EXIT_USAGE;
        goto out;
    }
    memset(pw, 0, sizeof(pw));
    struct alerts_live_config lc = {
        .rules = rules,
        .regions = src.regions,
        .store = store,
        .stream = stream,
        .group = cfg->group,
        .out = out,
        .log = stderr,
        .interval_ms = cfg->alerts_interval_ms,
        .stop = &g_stop,
        .reload = &g_reload,
        .load = reload_rules,
        .load_ctx = &src,
        .metrics = m,
    };
    if (cfg->nreceivers) { /* the delivery beside the evaluator */
        if ((status = delivery_make(cfg, m, &delivery)))
            goto out;
        if (pthread_create(&deliverer, NULL, delivery_main, delivery)) {
            fprintf(stderr, "kzpulse alerts: cannot start the delivery thread\n");
            status = KZ_EXIT_FAIL;
            goto out;
        }
        delivering = 1;
    }
    int rc = alerts_live_run(&lc, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "kzpulse alerts: %s\n", err);
        status = rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
    }
out:
    if (delivering) {
        g_stop = 1;
        pthread_join(deliverer, NULL);
        delivery_report(delivery);
    }
    alerts_delivery_free(delivery);
    alerts_stream_close(stream);
    agg_store_free(store);
    alerts_rules_free(rules);
    pipeline_regions_free(preg);
    serve_stop(srv);
    metrics_free(m);
    if (out != stdout && fclose(out) && !status)
        status = KZ_EXIT_FAIL;
    return status;
}
