/*
 * cmd_train.c -- `kzpulse train`: fit a learned model on gold posts.
 *
 * train reads gold lines in eval's format ({"text", "lang", "topics",
 * "stance", "mobilization"}), keeps the lines that carry the requested label
 * (the others are counted and skipped), and hands them to nlp_model_train()
 * with the lexicons, so lexicon hits and the lexicon verdict are features
 * and the lexicon score is what the model is blended with.  The model file
 * is written atomically (temporary file, then rename) and the held-out
 * figures printed: macro-F1 of the lexicons alone, the model alone and the
 * blend that classification will use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

/* ---------------------------------------------------------------------------
 * train
 * ------------------------------------------------------------------------ */

struct gold {
    json_t **lines; /* owned: the examples point into them */
    struct nlp_train_example *ex;
    struct kz_str *topics; /* every example's topic names, concatenated */
    size_t n, cap, ntopics, captopics, skipped;
};

static void gold_free(struct gold *g)
{
    for (size_t i = 0; i < g->n; i++)
        json_decref(g->lines[i]);
    free(g->lines);
    free(g->ex);
    free(g->topics);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t nc;
    void *np;

    if (need <= *cap)
        return 0;
    nc = *cap ? *cap * 2 : 1024;
    while (nc < need)
        nc *= 2;
    if (!(np = realloc(*p, nc * elem)))
        return KZ_ENOMEM;
    *p = np;
    *cap = nc;
    return 0;
}

/* One gold line: kept when it has the label.  KZ_EDECODE with err on a bad line. */
static int gold_line(struct gold *g, enum nlp_model_kind kind, const char *line, size_t len,
                     char *err, size_t errlen)
{
    json_error_t je;
    json_t *o = json_loadb(line, len, 0, &je), *jt, *jl, *lab;
    struct nlp_train_example e;
    size_t cap_lines = g->cap, cap_ex = g->cap;

    if (!o) {
        snprintf(err, errlen, "not JSON: %s", je.text);
        return KZ_EDECODE;
    }
    memset(&e, 0, sizeof(e));
    jt = json_object_get(o, "text");
    if (!json_is_string(jt)) {
        json_decref(o);
        snprintf(err, errlen, "field \"text\": expected a string");
        return KZ_EDECODE;
    }
    e.text = json_string_value(jt);
    e.len = json_string_length(jt);
    jl = json_object_get(o, "lang");
    e.lang = json_is_string(jl)
                 ? (enum nlp_lang)nlp_lang_parse(json_string_value(jl), json_string_length(jl))
                 : NLP_LANG_UND;
    lab = json_object_get(o, kind == NLP_MODEL_STANCE   ? "stance"
                             : kind == NLP_MODEL_TOPICS ? "topics"
                                                        : "mobilization");
    if (!lab) {
        g->skipped++;
        json_decref(o);
        return 0;
    }
    if (kind == NLP_MODEL_STANCE) {
        const char *s = json_is_string(lab) ? json_string_value(lab) : "";
        if (!strcmp(s, "none"))
            e.stance = NLP_STANCE_NONE;
        else if (!strcmp(s, "pro_ukraine"))
            e.stance = NLP_STANCE_PRO_UKRAINE;
        else if (!strcmp(s, "pro_russia"))
            e.stance = NLP_STANCE_PRO_RUSSIA;
        else {
            json_decref(o);
            snprintf(err, errlen, "field \"stance\": expected none, pro_ukraine or pro_russia");
            return KZ_EDECODE;
        }
    } else if (kind == NLP_MODEL_MOBILIZATION) {
        if (!json_is_boolean(lab)) {
            json_decref(o);
            snprintf(err, errlen, "field \"mobilization\": expected true or false");
            return KZ_EDECODE;
        }
        e.mobilization = json_is_true(lab);
    } else {
        size_t i;
        json_t *t;
        if (!json_is_array(lab)) {
            json_decref(o);
            snprintf(err, errlen, "field \"topics\": expected an array of names");
            return KZ_EDECODE;
        }
        if (grow((void **)&g->topics, &g->captopics, g->ntopics + json_array_size(lab),
                 sizeof(*g->topics))) {
            json_decref(o);
            return KZ_ENOMEM;
        }
        e.ntopics = 0;
        json_array_foreach(lab, i, t)
        {
            if (!json_is_string(t)) {
                json_decref(o);
                snprintf(err, errlen, "field \"topics\": expected an array of names");
                return KZ_EDECODE;
            }
            g->topics[g->ntopics + e.ntopics++] =
                kz_str_make(json_string_value(t), json_string_length(t));
        }
        /* offsets for now: g->topics may move; fixed up once all lines are read */
        e.topics = (const struct kz_str *)(uintptr_t)g->ntopics;
        g->ntopics += e.ntopics;
    }
    if (grow((void **)&g->lines, &cap_lines, g->n + 1, sizeof(*g->lines)) ||
        grow((void **)&g->ex, &cap_ex, g->n + 1, sizeof(*g->ex))) {
        json_decref(o);
        return KZ_ENOMEM;
    }
    g->cap = cap_lines < cap_ex ? cap_lines : cap_ex;
    g->lines[g->n] = o;
    g->ex[g->n++] = e;
    return 0;
}

static int read_gold(const char *path, enum nlp_model_kind kind, struct gold *g)
{
    FILE *in = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    char *line = NULL, err[256];
    size_t cap = 0;
    ssize_t n;
    uint64_t lineno = 0;
    int rc = 0;

    if (!in) {
        fprintf(stderr, "kzpulse train: cannot read %s: %s\n", path, strerror(errno));
        return KZ_EXIT_USAGE;
    }
    while ((n = getline(&line, &cap, in)) >= 0) {
        size_t len = (size_t)n;
        lineno++;
        if (pipeline_blank_line(line, len))
            continue;
        if ((rc = gold_line(g, kind, line, len, err, sizeof(err)))) {
            if (rc == KZ_ENOMEM)
                snprintf(err, sizeof(err), "out of memory");
            fprintf(stderr, "kzpulse train: %s:%llu: %s\n", path, (unsigned long long)lineno, err);
            break;
        }
    }
    if (!rc && ferror(in)) {
        fprintf(stderr, "kzpulse train: reading %s: %s\n", path, strerror(errno));
        rc = KZ_EIO;
    }
    free(line);
    if (in != stdin)
        fclose(in);
    if (rc)
        return rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
    if (kind == NLP_MODEL_TOPICS)
        for (size_t i = 0; i < g->n; i++)
            g->ex[i].topics = g->topics + (uintptr_t)g->ex[i].topics;
    return 0;
}

static int write_model(const char *path, const void *buf, size_t len, char *err, size_t errlen)
{
    char tmp[4096];
    FILE *f;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    if (!(f = fopen(tmp, "wb"))) {
        snprintf(err, errlen, "%s.tmp: %s", path, strerror(errno));
        return -1;
    }
    if (fwrite(buf, 1, len, f) != len || fflush(f)) {
        snprintf(err, errlen, "writing %s.tmp: %s", path, strerror(errno));
        fclose(f);
        remove(tmp);
        return -1;
    }
    if (fclose(f) || rename(tmp, path)) {
        snprintf(err, errlen, "writing %s: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

/* Training's progress on a terminal (ctx: stderr), one line rewritten:
 * "kzpulse train: analysing 1,024 of 3,994 posts", "... epoch 4 of at most
 * 30, held-out loss 0.6132", "... choosing the blend", "... refitting on
 * every post (7 epochs)". */
static void show_progress(void *ctx, const char *stage, size_t done, size_t total, double loss)
{
    FILE *out = ctx;

    if (!strcmp(stage, "analysing"))
        fprintf(out, "\rkzpulse train: analysing %zu of %zu posts", done, total);
    else if (!strcmp(stage, "epoch") && loss > 0)
        fprintf(out, "\rkzpulse train: epoch %zu of at most %zu, held-out loss %.4f", done, total,
                loss);
    else if (!strcmp(stage, "epoch"))
        fprintf(out, "\rkzpulse train: epoch %zu of %zu", done, total);
    else if (!strcmp(stage, "blend"))
        fprintf(out, "\rkzpulse train: choosing the blend of model and lexicons");
    else
        fprintf(out, "\rkzpulse train: refitting on every post (%zu epochs)", total);
    fputs("\033[K", out);
    fflush(out);
}

int kz_cmd_train(struct kz_config *cfg, char **args, int nargs)
{
    struct gold g;
    struct nlp_analyzer *nlp = NULL;
    struct nlp_lexicon *lx = NULL;
    struct nlp_model *m = NULL;
    struct nlp_train_config tc;
    struct nlp_train_report rep;
    struct timespec t0, t1;
    char err[512];
    void *buf = NULL;
    size_t len = 0;
    int status = KZ_EXIT_OK, rc, kind;

    memset(&g, 0, sizeof(g));
    if (!cfg->gold || !cfg->train_label || !cfg->train_out || nargs) {
        fprintf(stderr, "kzpulse train: usage: kzpulse train --gold FILE.jsonl --label "
                        "stance|topics|mobilization --out MODEL [options] (see --help)\n");
        status = KZ_EXIT_USAGE;
        goto out;
    }
    kind = nlp_model_kind_parse(cfg->train_label, strlen(cfg->train_label));
    if (pipeline_data_default(cfg, err, sizeof(err))) {
        fprintf(stderr, "kzpulse train: %s\n", err);
        status = KZ_EXIT_USAGE;
        goto out;
    }
    if (pipeline_lexicons_load(cfg->lexicons, &lx, err, sizeof(err))) {
        fprintf(stderr, "kzpulse train: lexicons: %s\n", err);
        status = KZ_EXIT_USAGE;
        goto out;
    }
    if ((status = read_gold(cfg->gold, (enum nlp_model_kind)kind, &g)))
        goto out;
    if (nlp_analyzer_new(NULL, &nlp, err, sizeof(err))) {
        fprintf(stderr, "kzpulse train: %s\n", err);
        status = KZ_EXIT_FAIL;
        goto out;
    }
    nlp_train_config_default(&tc);
    tc.kind = (enum nlp_model_kind)kind;
    tc.seed = cfg->train_seed;
    tc.epochs = (unsigned)cfg->train_epochs;
    tc.l2 = (float)cfg->train_l2;
    tc.hash_bits = (unsigned)cfg->train_hash_bits;
    tc.char_ngrams = cfg->train_char_ngrams;
    tc.target_features = cfg->train_target_features;
    tc.refit = cfg->train_refit;
    if (cfg->train_rate > 0)
        tc.rate = (float)cfg->train_rate;
    if (isatty(STDERR_FILENO)) {
        tc.progress = show_progress;
        tc.progress_ctx = stderr;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = nlp_model_train(nlp, lx, &tc, g.ex, g.n, &m, &rep, err, sizeof(err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (tc.progress)
        fputs("\r\033[K", stderr); /* the progress line erased */
    if (rc) {
        fprintf(stderr, "kzpulse train: %s: %s\n", cfg->gold, err);
        status = rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
        goto out;
    }
    if (nlp_model_save(m, &buf, &len)) {
        fprintf(stderr, "kzpulse train: out of memory\n");
        status = KZ_EXIT_FAIL;
        goto out;
    }
    if (write_model(cfg->train_out, buf, len, err, sizeof(err))) {
        fprintf(stderr, "kzpulse train: %s\n", err);
        status = KZ_EXIT_FAIL;
        goto out;
    }
    {
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (cfg->report_json) {
            json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:i, s:i, s:f, s:f, s:f, s:f, "
                                  "s:f, s:I, s:f}",
                                  "label", cfg->train_label, "model", cfg->train_out, "posts",
                                  (json_int_t)g.n, "skipped", (json_int_t)g.skipped, "train",
                                  (json_int_t)rep.ntrain, "heldout", (json_int_t)rep.nheldout,
                                  "epochs", (int)rep.epochs_run, "best_epoch", (int)rep.best_epoch,
                                  "heldout_loss", rep.heldout_loss, "heldout_lexicon_f1",
                                  rep.heldout_lexicon_f1, "heldout_model_f1", rep.heldout_model_f1,
                                  "heldout_macro_f1", rep.heldout_macro_f1, "blend",
                                  (double)rep.blend, "bytes", (json_int_t)len, "seconds", secs);
            if (!o ||
                json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4)))
                status = KZ_EXIT_FAIL;
            putchar('\n');
            json_decref(o);
        } else {
            printf("trained %s model on %zu posts (%zu held out, %zu without the label "
                   "skipped) in %.2f s\n",
                   cfg->train_label, rep.ntrain, rep.nheldout, g.skipped, secs);
            printf("epochs %u (best %u), held-out log-loss %.4f\n", rep.epochs_run, rep.best_epoch,
                   rep.heldout_loss);
            printf("held-out macro-F1: lexicons %.3f, model %.3f, blended %.3f (model weight "
                   "%.2f)\n",
                   rep.heldout_lexicon_f1, rep.heldout_model_f1, rep.heldout_macro_f1,
                   (double)rep.blend);
            printf("wrote %s (%zu bytes)\n", cfg->train_out, len);
        }
    }
out:
    free(buf);
    nlp_model_free(m);
    nlp_analyzer_free(nlp);
    nlp_lexicon_free(lx);
    gold_free(&g);
    return status;
}
