/*
 * cmd_replay.c -- `kzpulse replay`: archives through the whole pipeline into
 * the in-process store, then a report.
 *
 * Researchers replay archives to get reproducible series; the embedded default
 * (the bundled sample, no servers) runs this very code.  Each file is read
 * record by record; an unreadable or corrupt file is reported, the others are
 * still processed, and the exit code says so (2).  A run-time failure (out of
 * memory, a full disk for the dead letters) stops the run with exit code 1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "cli.h"

/* Run one file through the pipeline.  Returns KZ_EXIT_OK, KZ_EXIT_USAGE for a
 * bad input file (the run goes on), or KZ_EXIT_FAIL (the run stops). */
static int replay_file(struct pipeline *p, const char *path)
{
    char err[768];
    int rc = pipeline_walk_file(p, path, err, sizeof(err));
    if (rc)
        fprintf(stderr, "kzpulse replay: %s\n", err);
    return rc == 0 ? KZ_EXIT_OK : rc == PIPELINE_BAD_SOURCE ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
}

/* --alerts: the rules over the store the archives filled; an exit code. */
static int replay_alerts(struct kz_config *cfg, struct agg_store *store,
                         const struct nlp_gazetteer *gaz)
{
    struct alerts_rules *rules = NULL;
    struct pipeline_regions *preg = NULL;
    char path[4096], err[768];
    const char *file = cfg->alerts_rules;
    FILE *out = stdout;
    uint64_t n = 0;
    int status = KZ_EXIT_OK;

    if (!file) {
        if (alerts_rules_default(cfg->lexicons, path, sizeof(path))) {
            fprintf(stderr, "kzpulse replay: --alerts: no --rules, and no shipped rules at %s\n",
                    path);
            return KZ_EXIT_USAGE;
        }
        file = path;
    }
    /* the pipeline's gazetteer, the one its posts' regions come from */
    if (gaz && pipeline_regions_new(gaz, NLP_NAMES_KK, &preg) == KZ_ENOMEM) {
        fprintf(stderr, "kzpulse replay: out of memory\n");
        return KZ_EXIT_FAIL;
    }
    struct alerts_regions regions = {pipeline_regions_lookup, pipeline_regions_each, preg};
    const struct alerts_regions *reg = pipeline_regions_count(preg) ? &regions : NULL;
    long nerr = alerts_rules_load(file, reg, alerts_diag_print, stderr, &rules);
    if (nerr) {
        pipeline_regions_free(preg);
        fprintf(stderr, "kzpulse replay: --rules: %ld error%s in %s\n", nerr < 0 ? 1 : nerr,
                nerr == 1 ? "" : "s", file);
        return nerr < 0 && nerr != KZ_EIO ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
    }
    alerts_rules_warn(rules, stderr, "kzpulse replay");
    if (cfg->alerts_out && !(out = fopen(cfg->alerts_out, "w"))) {
        fprintf(stderr, "kzpulse replay: --alerts-out: cannot write %s: %s\n", cfg->alerts_out,
                strerror(errno));
        alerts_rules_free(rules);
        pipeline_regions_free(preg);
        return KZ_EXIT_USAGE;
    }
    int rc = alerts_replay_run(rules, reg, store, out, &n, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "kzpulse replay: --alerts: %s\n", err);
        status = rc == KZ_EUNSUPPORTED || rc == KZ_EINVAL ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
    }
    if (out != stdout && fclose(out) && !status) {
        fprintf(stderr, "kzpulse replay: --alerts-out %s: %s\n", cfg->alerts_out, strerror(errno));
        status = KZ_EXIT_FAIL;
    }
    fprintf(stderr, "kzpulse replay: %llu alert record%s\n", (unsigned long long)n,
            n == 1 ? "" : "s");
    alerts_rules_free(rules);
    pipeline_regions_free(preg);
    return status;
}

int kz_cmd_replay(struct kz_config *cfg, char **files, int nfiles)
{
    int status = KZ_EXIT_OK, rc;
    char err[512];
    struct pipeline_dead_file dead = {NULL, NULL, 0};
    struct agg_store *store = NULL;
    struct pipeline *p = NULL;
    struct agg_zone *zone = NULL;

    if (nfiles == 0) {
        fprintf(stderr, "kzpulse replay: no input files (give FILE... or - for stdin; see "
                        "kzpulse replay --help)\n");
        status = KZ_EXIT_USAGE;
        goto out;
    }
    if ((rc = pipeline_data_default(cfg, err, sizeof(err)))) {
        fprintf(stderr, "kzpulse replay: %s\n", err);
        status = rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
        goto out;
    }
    if ((rc = agg_zone_open(cfg->tz ? cfg->tz : PIPELINE_DEFAULT_TZ, &zone, err, sizeof(err)))) {
        fprintf(stderr, "kzpulse replay: --tz: %s\n", err);
        status = rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
        goto out;
    }
    if (!cfg->dead_letters)
        cfg->dead_letters = strdup("kzpulse-dead.jsonl");
    if (!cfg->dead_letters) {
        fprintf(stderr, "kzpulse replay: out of memory\n");
        status = KZ_EXIT_FAIL;
        goto out;
    }
    dead.path = cfg->dead_letters;
    if (!pipeline_dead_path_ok(dead.path)) {
        fprintf(stderr, "kzpulse replay: --dead-letters: cannot write %s: %s\n", dead.path,
                strerror(errno));
        status = KZ_EXIT_USAGE;
        goto out;
    }

    struct agg_mem_config mc = {0, 0};
    if (agg_store_mem_new(&mc, &store)) {
        fprintf(stderr, "kzpulse replay: out of memory\n");
        status = KZ_EXIT_FAIL;
        goto out;
    }
    if ((rc = pipeline_new(cfg, store, pipeline_dead_to_path, &dead, &p, err, sizeof(err)))) {
        fprintf(stderr, "kzpulse replay: %s\n", err);
        status = rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
        goto out;
    }

    for (int i = 0; i < nfiles && status != KZ_EXIT_FAIL; i++) {
        int s = replay_file(p, files[i]);
        if (s > status)
            status = s;
    }
    if (dead.open_errno) {
        fprintf(stderr, "kzpulse replay: --dead-letters: cannot write %s: %s\n", dead.path,
                strerror(dead.open_errno));
        status = KZ_EXIT_FAIL;
    } else if (status != KZ_EXIT_FAIL && pipeline_dead_file_close(&dead)) {
        fprintf(stderr, "kzpulse replay: %s: %s\n", cfg->dead_letters, strerror(errno));
        status = KZ_EXIT_FAIL;
    }
    if (status != KZ_EXIT_FAIL && cfg->alerts &&
        (rc = replay_alerts(cfg, store, pipeline_gazetteer(p))))
        status = rc;
    if (status != KZ_EXIT_FAIL) {
        struct pipeline_report in = {
            .store = store,
            .ingest = pipeline_ingest_stats(p),
            .sources = (const char *const *)files,
            .nsources = nfiles,
            .dead_letters = cfg->dead_letters,
            .top = cfg->limit,
            .zone = zone,
            .gaz = pipeline_gazetteer(p),
            .names = (enum nlp_names)cfg->names,
            .region_unknown = pipeline_stats(p)->region_unknown,
        };
        if (cfg->report_text || !cfg->report_json)
            rc = pipeline_render_report(stdout, PIPELINE_TEXT, &in);
        if (cfg->report_json)
            rc = pipeline_render_report(stdout, PIPELINE_JSON, &in) || rc;
        if (rc || fflush(stdout)) {
            fprintf(stderr, "kzpulse replay: writing the report: %s\n", strerror(errno));
            status = KZ_EXIT_FAIL;
        }
    }
out:
    pipeline_free(p);
    agg_store_free(store);
    agg_zone_free(zone);
    if (pipeline_dead_file_close(&dead) && status == KZ_EXIT_OK) {
        fprintf(stderr, "kzpulse replay: %s: %s\n", cfg->dead_letters, strerror(errno));
        status = KZ_EXIT_FAIL;
    }
    return status;
}
