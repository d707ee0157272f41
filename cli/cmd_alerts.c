/*
 * cmd_alerts.c -- `kzpulse alerts`: for now, --check-rules FILE.
 *
 * Validates an alert rules file with the same parser the evaluator will use
 * (alerts_rules_load, the ISO 3166-2:KZ region list until the gazetteer plugs
 * in) and prints either "FILE: OK" with one line per rule, or every error as
 * FILE:LINE:COL: message on stderr, then a count; exit 0 or 2.  The
 * long-running evaluator over Redis (--redis, --group, --rules) comes next.
 */
#include <stdio.h>

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

int kz_cmd_alerts(struct kz_config *cfg, char **args, int nargs)
{
    if (!cfg->alerts_check) {
        fprintf(stderr, "kzpulse alerts: --check-rules FILE is required (the evaluator over "
                        "Redis is not built yet; see kzpulse alerts --help)\n");
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
