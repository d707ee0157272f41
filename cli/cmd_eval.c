/*
 * cmd_eval.c -- `kzpulse eval --gold FILE.jsonl`: classification quality on
 * labelled posts.
 *
 * Each gold line is {"text": ..., "lang": "kk", "topics": [...], "stance":
 * "pro_russia", "mobilization": true} with any subset of the labels; a task
 * is scored only on the lines that carry its label.  The text is analysed
 * with "lang" as the hint and classified with the lexicons (and the --model
 * files, if any), exactly as `classify` does.  Reported, as text or --json:
 *  - stance: precision, recall, F1 per class (none, pro_ukraine, pro_russia),
 *    macro-F1 over the three, and the confusion matrix (rows gold);
 *  - topics: multi-label, P/R/F1 per topic, macro-F1 over the topics that
 *    occur in the gold set, and micro-F1;
 *  - mobilization: binary, P/R/F1 of true and of false, macro-F1 of the two;
 *  - the 10 worst-classified posts: one point per wrong stance or
 *    mobilization (plus the wrong side's confidence), half a point per
 *    missed or spurious topic.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

#define EVAL_MAX_TOPICS 64
#define EVAL_WORST 10

struct prf {
    uint64_t tp, fp, fn;
};

struct worst {
    double err;
    json_t *desc; /* owned */
};

struct eval {
    uint64_t posts, n_stance, n_topics, n_mob;
    uint64_t confusion[3][3]; /* [gold][predicted] */
    char *topic[EVAL_MAX_TOPICS];
    struct prf tprf[EVAL_MAX_TOPICS];
    size_t ntopics;
    struct prf mob[2]; /* [0]: class false, [1]: class true */
    struct worst worst[EVAL_WORST];
};

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

static void prf_scores(const struct prf *c, double *p, double *r, double *f)
{
    *p = ratio(c->tp, c->tp + c->fp);
    *r = ratio(c->tp, c->tp + c->fn);
    *f = *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0.0;
}

static int topic_index(struct eval *ev, const char *name, size_t n)
{
    for (size_t i = 0; i < ev->ntopics; i++)
        if (strlen(ev->topic[i]) == n && !memcmp(ev->topic[i], name, n))
            return (int)i;
    if (ev->ntopics == EVAL_MAX_TOPICS)
        return -1;
    ev->topic[ev->ntopics] = strndup(name, n);
    if (!ev->topic[ev->ntopics])
        return -1;
    return (int)ev->ntopics++;
}

static int stance_index(const char *s)
{
    if (!strcmp(s, "pro_ukraine"))
        return NLP_STANCE_PRO_UKRAINE;
    if (!strcmp(s, "pro_russia"))
        return NLP_STANCE_PRO_RUSSIA;
    if (!strcmp(s, "none"))
        return NLP_STANCE_NONE;
    return -1;
}

static void keep_worst(struct eval *ev, double err, json_t *desc)
{
    size_t k = EVAL_WORST;

    for (size_t i = 0; i < EVAL_WORST; i++)
        if (!ev->worst[i].desc || err > ev->worst[i].err) {
            k = i;
            break;
        }
    if (k == EVAL_WORST) {
        json_decref(desc);
        return;
    }
    json_decref(ev->worst[EVAL_WORST - 1].desc);
    memmove(&ev->worst[k + 1], &ev->worst[k], (EVAL_WORST - 1 - k) * sizeof(ev->worst[0]));
    ev->worst[k].err = err;
    ev->worst[k].desc = desc;
}

static json_t *topics_json(const struct nlp_verdict *v)
{
    json_t *a = json_array();

    for (size_t i = 0; i < v->ntopics; i++)
        json_array_append_new(a, json_stringn(v->topics[i].name.p, v->topics[i].name.n));
    return a;
}

/* Score one gold line.  Returns 0, or KZ_EDECODE with a message in err. */
static int eval_line(struct eval *ev, struct nlp_analyzer *nlp, const struct nlp_lexicon *lx,
                     const struct nlp_model *const *models, size_t nmodels, const char *line,
                     size_t len, char *err, size_t errlen)
{
    json_error_t je;
    json_t *o = json_loadb(line, len, 0, &je), *jt, *jl, *jtop, *jst, *jmob;
    struct nlp_doc doc;
    struct nlp_verdict v;
    double errscore = 0.0;
    int rc = KZ_EDECODE, pred_top[EVAL_MAX_TOPICS] = {0}, gold_top[EVAL_MAX_TOPICS] = {0};
    const char *text;

    if (!o) {
        snprintf(err, errlen, "not JSON: %s", je.text);
        return KZ_EDECODE;
    }
    jt = json_object_get(o, "text");
    if (!json_is_string(jt)) {
        snprintf(err, errlen, "field \"text\": expected a string");
        goto out;
    }
    text = json_string_value(jt);
    jl = json_object_get(o, "lang");
    enum nlp_lang hint = json_is_string(jl) ? (enum nlp_lang)nlp_lang_parse(json_string_value(jl),
                                                                            json_string_length(jl))
                                            : NLP_LANG_UND;
    if ((rc = nlp_analyze(nlp, text, json_string_length(jt), hint, &doc)) ||
        (rc = nlp_classify_with_models(nlp, lx, models, nmodels, &doc, &v))) {
        snprintf(err, errlen, "%s", kz_strerror(rc));
        goto out;
    }
    rc = KZ_EDECODE;
    ev->posts++;

    jst = json_object_get(o, "stance");
    if (jst) {
        int g = json_is_string(jst) ? stance_index(json_string_value(jst)) : -1;
        if (g < 0) {
            snprintf(err, errlen, "field \"stance\": expected none, pro_ukraine or pro_russia");
            goto out;
        }
        ev->n_stance++;
        ev->confusion[g][v.stance]++;
        if ((int)v.stance != g)
            errscore += 1.0 + (v.stance != NLP_STANCE_NONE ? v.stance_score : 0.0);
    }
    jtop = json_object_get(o, "topics");
    if (jtop) {
        size_t i;
        json_t *e;
        if (!json_is_array(jtop)) {
            snprintf(err, errlen, "field \"topics\": expected an array of names");
            goto out;
        }
        ev->n_topics++;
        json_array_foreach(jtop, i, e)
        {
            int k = json_is_string(e) ? topic_index(ev, json_string_value(e), json_string_length(e))
                                      : -1;
            if (k < 0) {
                snprintf(err, errlen, "field \"topics\": bad or too many topic names");
                goto out;
            }
            gold_top[k] = 1;
        }
        for (size_t t = 0; t < v.ntopics; t++) {
            int k = topic_index(ev, v.topics[t].name.p, v.topics[t].name.n);
            if (k >= 0)
                pred_top[k] = 1;
        }
        for (size_t k = 0; k < ev->ntopics; k++) {
            if (gold_top[k] && pred_top[k])
                ev->tprf[k].tp++;
            else if (gold_top[k])
                ev->tprf[k].fn++;
            else if (pred_top[k])
                ev->tprf[k].fp++;
            errscore += 0.5 * (gold_top[k] != pred_top[k]);
        }
    }
    jmob = json_object_get(o, "mobilization");
    if (jmob) {
        int g;
        if (!json_is_boolean(jmob)) {
            snprintf(err, errlen, "field \"mobilization\": expected true or false");
            goto out;
        }
        g = json_is_true(jmob);
        ev->n_mob++;
        for (int c = 0; c < 2; c++) {
            int gp = g == c, pp = (v.call_to_action != 0) == c;
            ev->mob[c].tp += gp && pp;
            ev->mob[c].fn += gp && !pp;
            ev->mob[c].fp += !gp && pp;
        }
        if (g != (v.call_to_action != 0))
            errscore += 1.0 + (v.mob_score > 0.5f ? v.mob_score - 0.5 : 0.5 - v.mob_score);
    }
    if (errscore > 0.0) {
        json_t *d = json_object(), *gold = json_object(), *pred = json_object();
        json_object_set(d, "text", jt);
        if (jst)
            json_object_set(gold, "stance", jst);
        if (jtop)
            json_object_set(gold, "topics", jtop);
        if (jmob)
            json_object_set(gold, "mobilization", jmob);
        json_object_set_new(pred, "stance", json_string(nlp_stance_name(v.stance)));
        json_object_set_new(pred, "topics", topics_json(&v));
        json_object_set_new(pred, "mobilization", json_boolean(v.call_to_action));
        json_object_set_new(d, "gold", gold);
        json_object_set_new(d, "predicted", pred);
        json_object_set_new(d, "error", json_real(errscore));
        keep_worst(ev, errscore, d);
    }
    rc = 0;
out:
    json_decref(o);
    return rc;
}

static json_t *prf_json(const struct prf *c)
{
    double p, r, f;
    json_t *o = json_object();

    prf_scores(c, &p, &r, &f);
    json_object_set_new(o, "precision", json_real(p));
    json_object_set_new(o, "recall", json_real(r));
    json_object_set_new(o, "f1", json_real(f));
    json_object_set_new(o, "support", json_integer((json_int_t)(c->tp + c->fn)));
    json_object_set_new(o, "tp", json_integer((json_int_t)c->tp));
    json_object_set_new(o, "fp", json_integer((json_int_t)c->fp));
    json_object_set_new(o, "fn", json_integer((json_int_t)c->fn));
    return o;
}

/* Per-class counts of the stance confusion matrix. */
static struct prf stance_prf(const struct eval *ev, int c)
{
    struct prf r = {0, 0, 0};

    for (int g = 0; g < 3; g++)
        for (int p = 0; p < 3; p++) {
            uint64_t n = ev->confusion[g][p];
            if (g == c && p == c)
                r.tp += n;
            else if (g == c)
                r.fn += n;
            else if (p == c)
                r.fp += n;
        }
    return r;
}

static json_t *report(const struct eval *ev)
{
    json_t *o = json_object(), *st = json_object(), *labels = json_object(), *conf = json_object(),
           *tp = json_object(), *tl = json_object(), *mob = json_object(), *ml = json_object(),
           *worst = json_array();
    double macro = 0.0, p, r, f;
    struct prf micro = {0, 0, 0};
    size_t nt = 0;

    json_object_set_new(o, "posts", json_integer((json_int_t)ev->posts));
    for (int c = 0; c < 3; c++) {
        struct prf k = stance_prf(ev, c);
        json_t *row = json_object();
        prf_scores(&k, &p, &r, &f);
        macro += f / 3.0;
        json_object_set_new(labels, nlp_stance_name((enum nlp_stance)c), prf_json(&k));
        for (int q = 0; q < 3; q++)
            json_object_set_new(row, nlp_stance_name((enum nlp_stance)q),
                                json_integer((json_int_t)ev->confusion[c][q]));
        json_object_set_new(conf, nlp_stance_name((enum nlp_stance)c), row);
    }
    json_object_set_new(st, "posts", json_integer((json_int_t)ev->n_stance));
    json_object_set_new(st, "macro_f1", json_real(ev->n_stance ? macro : 0.0));
    json_object_set_new(st, "labels", labels);
    json_object_set_new(st, "confusion", conf);
    json_object_set_new(o, "stance", st);

    macro = 0.0;
    for (size_t k = 0; k < ev->ntopics; k++) {
        json_object_set_new(tl, ev->topic[k], prf_json(&ev->tprf[k]));
        micro.tp += ev->tprf[k].tp;
        micro.fp += ev->tprf[k].fp;
        micro.fn += ev->tprf[k].fn;
        if (ev->tprf[k].tp + ev->tprf[k].fn) {
            prf_scores(&ev->tprf[k], &p, &r, &f);
            macro += f;
            nt++;
        }
    }
    prf_scores(&micro, &p, &r, &f);
    json_object_set_new(tp, "posts", json_integer((json_int_t)ev->n_topics));
    json_object_set_new(tp, "macro_f1", json_real(nt ? macro / (double)nt : 0.0));
    json_object_set_new(tp, "micro_f1", json_real(f));
    json_object_set_new(tp, "labels", tl);
    json_object_set_new(o, "topics", tp);

    macro = 0.0;
    for (int c = 0; c < 2; c++) {
        prf_scores(&ev->mob[c], &p, &r, &f);
        macro += f / 2.0;
        json_object_set_new(ml, c ? "true" : "false", prf_json(&ev->mob[c]));
    }
    json_object_set_new(mob, "posts", json_integer((json_int_t)ev->n_mob));
    json_object_set_new(mob, "macro_f1", json_real(ev->n_mob ? macro : 0.0));
    json_object_set_new(mob, "labels", ml);
    json_object_set_new(o, "mobilization", mob);

    for (size_t i = 0; i < EVAL_WORST && ev->worst[i].desc; i++)
        json_array_append(worst, ev->worst[i].desc);
    json_object_set_new(o, "worst", worst);
    return o;
}

static void print_labels(json_t *labels)
{
    const char *k;
    json_t *v;

    printf("  %-18s %9s %9s %9s %8s\n", "label", "precision", "recall", "F1", "support");
    json_object_foreach(labels, k, v)
    {
        printf("  %-18s %9.3f %9.3f %9.3f %8lld\n", k,
               json_real_value(json_object_get(v, "precision")),
               json_real_value(json_object_get(v, "recall")),
               json_real_value(json_object_get(v, "f1")),
               (long long)json_integer_value(json_object_get(v, "support")));
    }
}

static void print_text(json_t *r, const char *gold)
{
    json_t *st = json_object_get(r, "stance"), *tp = json_object_get(r, "topics"),
           *mob = json_object_get(r, "mobilization"), *conf = json_object_get(st, "confusion");
    size_t i;
    json_t *w;

    printf("gold: %s, %lld posts\n\n", gold,
           (long long)json_integer_value(json_object_get(r, "posts")));
    printf("stance (%lld posts): macro-F1 %.3f\n",
           (long long)json_integer_value(json_object_get(st, "posts")),
           json_real_value(json_object_get(st, "macro_f1")));
    print_labels(json_object_get(st, "labels"));
    printf("  confusion (rows gold, columns predicted):\n  %-18s %11s %11s %11s\n", "", "none",
           "pro_ukraine", "pro_russia");
    for (int g = 0; g < 3; g++) {
        json_t *row = json_object_get(conf, nlp_stance_name((enum nlp_stance)g));
        printf("  %-18s", nlp_stance_name((enum nlp_stance)g));
        for (int p = 0; p < 3; p++)
            printf(" %11lld", (long long)json_integer_value(
                                  json_object_get(row, nlp_stance_name((enum nlp_stance)p))));
        printf("\n");
    }
    printf("\ntopics (%lld posts): macro-F1 %.3f, micro-F1 %.3f\n",
           (long long)json_integer_value(json_object_get(tp, "posts")),
           json_real_value(json_object_get(tp, "macro_f1")),
           json_real_value(json_object_get(tp, "micro_f1")));
    print_labels(json_object_get(tp, "labels"));
    printf("\nmobilization (%lld posts): macro-F1 %.3f\n",
           (long long)json_integer_value(json_object_get(mob, "posts")),
           json_real_value(json_object_get(mob, "macro_f1")));
    print_labels(json_object_get(mob, "labels"));
    printf("\nworst classified:\n");
    json_array_foreach(json_object_get(r, "worst"), i, w)
    {
        char *g = json_dumps(json_object_get(w, "gold"), JSON_COMPACT | JSON_PRESERVE_ORDER);
        char *p = json_dumps(json_object_get(w, "predicted"), JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%2zu. [%.2f] %s\n    gold      %s\n    predicted %s\n", i + 1,
               json_real_value(json_object_get(w, "error")),
               json_string_value(json_object_get(w, "text")), g ? g : "?", p ? p : "?");
        free(g);
        free(p);
    }
}

int kz_cmd_eval(struct kz_config *cfg, char **args, int nargs)
{
    struct eval *ev = NULL;
    struct nlp_analyzer *nlp = NULL;
    struct nlp_lexicon *lx = NULL;
    struct nlp_model *models[KZ_MAX_MODELS] = {NULL};
    char *line = NULL, err[512];
    int status = KZ_EXIT_OK, rc;
    size_t cap = 0, nmodels = 0;
    ssize_t n;
    uint64_t lineno = 0;
    FILE *in = NULL;

    if (!cfg->gold || nargs) {
        fprintf(stderr, "kzpulse eval: usage: kzpulse eval --gold FILE.jsonl [--json] "
                        "[--lexicons DIR]\n");
        status = KZ_EXIT_USAGE;
        goto out;
    }
    if (pipeline_data_default(cfg, err, sizeof(err))) {
        fprintf(stderr, "kzpulse eval: %s\n", err);
        status = KZ_EXIT_USAGE;
        goto out;
    }
    in = strcmp(cfg->gold, "-") ? fopen(cfg->gold, "rb") : stdin;
    if (!in) {
        fprintf(stderr, "kzpulse eval: cannot read %s: %s\n", cfg->gold, strerror(errno));
        status = KZ_EXIT_USAGE;
        goto out;
    }
    if (pipeline_lexicons_load(cfg->lexicons, &lx, err, sizeof(err))) {
        fprintf(stderr, "kzpulse eval: lexicons: %s\n", err);
        status = KZ_EXIT_USAGE;
        goto out;
    }
    if (pipeline_models_load(cfg, models, &nmodels, err, sizeof(err))) {
        fprintf(stderr, "kzpulse eval: --model %s\n", err);
        status = KZ_EXIT_USAGE;
        goto out;
    }
    ev = calloc(1, sizeof(*ev));
    if (!ev || nlp_analyzer_new(NULL, &nlp, err, sizeof(err))) {
        fprintf(stderr, "kzpulse eval: %s\n", ev ? err : "out of memory");
        status = KZ_EXIT_FAIL;
        goto out;
    }
    while ((n = getline(&line, &cap, in)) >= 0) {
        size_t len = (size_t)n;
        lineno++;
        if (pipeline_blank_line(line, len))
            continue;
        if ((rc = eval_line(ev, nlp, lx, (const struct nlp_model *const *)models, nmodels, line,
                            len, err, sizeof(err)))) {
            fprintf(stderr, "kzpulse eval: %s:%llu: %s\n", cfg->gold, (unsigned long long)lineno,
                    err);
            status = rc == KZ_EDECODE ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
            goto out;
        }
    }
    if (ferror(in)) {
        fprintf(stderr, "kzpulse eval: reading %s: %s\n", cfg->gold, strerror(errno));
        status = KZ_EXIT_USAGE;
        goto out;
    }
    {
        json_t *r = report(ev);
        if (cfg->report_json) {
            json_dumpf(r, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
            putchar('\n');
        } else {
            print_text(r, cfg->gold);
        }
        json_decref(r);
    }
out:
    if (ev) {
        for (size_t i = 0; i < ev->ntopics; i++)
            free(ev->topic[i]);
        for (size_t i = 0; i < EVAL_WORST; i++)
            json_decref(ev->worst[i].desc);
        free(ev);
    }
    nlp_analyzer_free(nlp);
    nlp_lexicon_free(lx);
    pipeline_models_free(models, nmodels);
    if (in && in != stdin)
        fclose(in);
    free(line);
    return status;
}
