/*
 * cmd_alerts.c -- `kzpulse alerts`: --check-rules FILE, and --deliver-only.
 *
 * Validates an alert rules file with the same parser the evaluator will use
 * (alerts_rules_load, the ISO 3166-2:KZ region list until the gazetteer plugs
 * in) and prints either "FILE: OK" with one line per rule, or every error as
 * FILE:LINE:COL: message on stderr, then a count; exit 0 or 2.  The
 * long-running evaluator over Redis (--redis, --group, --rules) comes next.
 *
 * --deliver-only is the wiring of alerts/deliver.c: the receivers from the
 * flags, the webhook secret from its file or the environment, the Redis
 * password as `run` takes it; SIGTERM or SIGINT stop it (exit 0) after a
 * last line of counters per receiver on stderr.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "alerts.h"
#include "cli.h"

static void print_diag(void *ctx, const char *file, int line, int col, const char *msg)
{
    (void)ctx;
    if (line > 0)
        fprintf(stderr, "%s:%d:%d: %s\n", file, line, col, msg);
    else
        fprintf(stderr, "%s: %s\n", file, msg);
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

static volatile sig_atomic_t g_stop;

static void on_stop(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* Fill the delivery's configuration and receivers from cfg.  0, or an exit
 * code after printing why. */
static int delivery_make(struct kz_config *cfg, struct alerts_delivery **out)
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

static int deliver(struct kz_config *cfg)
{
    struct alerts_delivery *d;
    struct sigaction sa;
    int status;

    if (!cfg->redis || !cfg->nreceivers) {
        fprintf(stderr, "kzpulse alerts: --deliver-only needs %s (see kzpulse alerts --help)\n",
                !cfg->redis ? "--redis URL"
                            : "a receiver: --webhook, --alertmanager or --alerts-out");
        return KZ_EXIT_USAGE;
    }
    if ((status = delivery_make(cfg, &d)))
        return status;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    alerts_delivery_run(d, &g_stop);
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
    alerts_delivery_free(d);
    return KZ_EXIT_OK;
}

int kz_cmd_alerts(struct kz_config *cfg, char **args, int nargs)
{
    if (cfg->deliver_only && !cfg->alerts_check) {
        if (!nargs)
            return deliver(cfg);
        fprintf(stderr,
                "kzpulse alerts: unexpected argument \"%s\" (receivers are flags: see kzpulse "
                "alerts --help)\n",
                args[0]);
        return KZ_EXIT_USAGE;
    }
    if (!cfg->alerts_check) {
        fprintf(stderr, "kzpulse alerts: --check-rules FILE is required, or --deliver-only (the "
                        "evaluator over Redis is not built yet; see kzpulse alerts --help)\n");
        return KZ_EXIT_USAGE;
    }
    if (nargs) {
        fprintf(stderr,
                "kzpulse alerts: unexpected argument \"%s\" (usage: kzpulse alerts "
                "--check-rules FILE)\n",
                args[0]);
        return KZ_EXIT_USAGE;
    }
    struct alerts_rules *rules;
    long n = alerts_rules_load(cfg->alerts_check, NULL, print_diag, NULL, &rules);
    if (n < 0) {
        fprintf(stderr, "kzpulse alerts: %s: %s\n", cfg->alerts_check, kz_strerror((int)n));
        return KZ_EXIT_FAIL;
    }
    if (n > 0) {
        fprintf(stderr, "kzpulse alerts: %ld error%s in %s\n", n, n == 1 ? "" : "s",
                cfg->alerts_check);
        return KZ_EXIT_USAGE;
    }
    printf("%s: OK, %zu rule%s\n", cfg->alerts_check, rules->n, rules->n == 1 ? "" : "s");
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
