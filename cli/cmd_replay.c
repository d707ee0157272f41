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
#include <unistd.h>

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

/* --alerts: the rules, their regions and their output, made ready before a
 * single post is read (a mistake in the rules must not wait for the end of
 * a year's archives). */
struct replay_alerts {
    struct alerts_rules *rules;
    struct pipeline_regions *preg;
    struct alerts_regions regions;
    const struct alerts_regions *reg;
    FILE *out;
};

static void replay_alerts_free(struct replay_alerts *a)
{
    alerts_rules_free(a->rules);
    pipeline_regions_free(a->preg);
    if (a->out && a->out != stdout)
        fclose(a->out);
    memset(a, 0, sizeof(*a));
}

/* An exit code; a is ready to run on KZ_EXIT_OK. */
static int replay_alerts_prepare(struct kz_config *cfg, struct pipeline *p, struct replay_alerts *a)
{
    const struct nlp_gazetteer *gaz = pipeline_gazetteer(p);
    const struct nlp_lexicon *lex = pipeline_lexicon(p);
    char path[4096], err[768];
    const char *file = cfg->alerts_rules;

    memset(a, 0, sizeof(*a));
    if (!file) {
        if (alerts_rules_default(cfg->lexicons, path, sizeof(path))) {
            fprintf(stderr, "kzpulse replay: --alerts: no --rules, and no shipped rules at %s\n",
                    path);
            return KZ_EXIT_USAGE;
        }
        file = path;
    }
    /* the pipeline's gazetteer, the one its posts' regions come from */
    if (gaz && pipeline_regions_new(gaz, NLP_NAMES_KK, &a->preg) == KZ_ENOMEM) {
        fprintf(stderr, "kzpulse replay: out of memory\n");
        return KZ_EXIT_FAIL;
    }
    a->regions = (struct alerts_regions){pipeline_regions_lookup, pipeline_regions_each, a->preg};
    a->reg = pipeline_regions_count(a->preg) ? &a->regions : NULL;
    long nerr = alerts_rules_load(file, a->reg, alerts_diag_print, stderr, &a->rules);
    if (nerr) {
        fprintf(stderr, "kzpulse replay: --rules: %ld error%s in %s\n", nerr < 0 ? 1 : nerr,
                nerr == 1 ? "" : "s", file);
        return nerr < 0 && nerr != KZ_EIO ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
    }
    int rc;
    if ((lex && alerts_rules_check_topics(a->rules, pipeline_topic_known, (void *)lex, err,
                                          sizeof(err))) ||
        alerts_eval_check(a->rules, a->reg, err, sizeof(err)) ||
        (rc = alerts_rules_normalize(a->rules, pipeline_hashtag_form, NULL, err, sizeof(err)))) {
        fprintf(stderr, "kzpulse replay: --rules: %s\n", err);
        return KZ_EXIT_USAGE;
    }
    /* the surge rules' members, counted as dimensions of their own */
    char **dims = NULL;
    size_t ndims = 0;
    if ((rc = alerts_rules_watch(a->rules, &dims, &ndims)) ||
        (rc = pipeline_set_watch(p, (const char *const *)dims, ndims))) {
        agg_watch_free(dims, ndims);
        fprintf(stderr, "kzpulse replay: --rules: %s\n",
                rc == KZ_ENOMEM ? "out of memory" : "a surge subject the store cannot watch");
        return rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
    }
    agg_watch_free(dims, ndims);
    a->out = stdout;
    if (cfg->alerts_out && !(a->out = fopen(cfg->alerts_out, "w"))) {
        fprintf(stderr, "kzpulse replay: --alerts-out: cannot write %s: %s\n", cfg->alerts_out,
                strerror(errno));
        return KZ_EXIT_USAGE;
    }
    return KZ_EXIT_OK;
}

/* The rules over the store the archives filled; an exit code. */
static int replay_alerts_run(struct kz_config *cfg, struct agg_store *store,
                             struct replay_alerts *a)
{
    char err[768];
    uint64_t n = 0;
    int status = KZ_EXIT_OK;

    int rc = alerts_replay_run(a->rules, a->reg, store, a->out, &n, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "kzpulse replay: --alerts: %s\n", err);
        status = rc == KZ_EUNSUPPORTED || rc == KZ_EINVAL ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
    }
    if (a->out != stdout) {
        FILE *f = a->out;
        a->out = NULL;
        if (fclose(f) && !status) {
            fprintf(stderr, "kzpulse replay: --alerts-out %s: %s\n", cfg->alerts_out,
                    strerror(errno));
            status = KZ_EXIT_FAIL;
        }
    }
    fprintf(stderr, "kzpulse replay: %llu alert record%s\n", (unsigned long long)n,
            n == 1 ? "" : "s");
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
    struct replay_alerts alerts = {0};

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
    if (cfg->alerts && (status = replay_alerts_prepare(cfg, p, &alerts)))
        goto out;
    /* Without alerts nothing but the report reads this store, and of its
     * sample posts the report lists the calls to action alone: the others
     * are not kept (the alert rules' evidence may come from any dimension). */
    static const char *const report_dims[] = {"mob:call"};
    if (!cfg->alerts && (rc = pipeline_set_sample_dims(p, report_dims, 1))) {
        fprintf(stderr, "kzpulse replay: out of memory\n");
        status = KZ_EXIT_FAIL;
        goto out;
    }
    if (isatty(STDERR_FILENO))
        pipeline_set_progress(p, stderr);

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
    if (status != KZ_EXIT_FAIL && cfg->alerts && (rc = replay_alerts_run(cfg, store, &alerts)))
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
            .no_samples = cfg->no_samples != 0,
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
    replay_alerts_free(&alerts);
    pipeline_free(p);
    agg_store_free(store);
    agg_zone_free(zone);
    if (pipeline_dead_file_close(&dead) && status == KZ_EXIT_OK) {
        fprintf(stderr, "kzpulse replay: %s: %s\n", cfg->dead_letters, strerror(errno));
        status = KZ_EXIT_FAIL;
    }
    return status;
}
