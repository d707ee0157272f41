/*
 * cmd_classify.c -- `kzpulse classify` (posts or lines in, verdicts out) and
 * `kzpulse lexicon lint DIR`.
 *
 * classify reads what replay reads (plain, gzip or zstd JSON lines, a
 * Telegram Desktop export, stdin) through the same source and decoder
 * (pipeline_walk_lines): a record whose first non-blank byte is '{' is a post
 * (any schema the decoder knows; an export gives one verdict per message;
 * undecodable ones are written to stderr as dead letters and produce no
 * verdict; they go to --dead-letters, stderr by default), any other line
 * is plain text.  Each post
 * is analysed and classified with the compiled lexicons and printed as one
 * verdict JSON object per line, in the shape of DESIGN.md, with every piece
 * of evidence and its byte span in the post's text.
 *
 * The lexicons are --lexicons DIR, else the shipped ones (pipeline_data_default;
 * --no-lexicons: none).  The pipeline walks the lines, with no store;
 * this file only prints each verdict.  --model FILE (one per label
 * kind) adds learned models: their labels blend model and lexicon scores and
 * their top features appear in the evidence as "model/<label>".
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <unistd.h>

#include "cli.h"

/* ---------------------------------------------------------------------------
 * Verdict JSON
 * ------------------------------------------------------------------------ */

static json_t *jstr(struct kz_str s)
{
    json_t *j = json_stringn(s.p ? s.p : "", s.n);
    return j ? j : json_null();
}

static json_t *jstr_or_null(struct kz_str s)
{
    return s.n ? jstr(s) : json_null();
}

static json_t *jscore(float x)
{
    return json_real((double)(int)(x * 1000.0f + 0.5f) / 1000.0);
}

/* Distinct norms of one token kind, without the leading sigil ('#', '@', '$'). */
static json_t *token_list(const struct nlp_doc *doc, enum nlp_kind kind, char sigil)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < doc->ntokens; i++) {
        const struct nlp_token *t = &doc->tokens[i];
        struct kz_str s = kind == NLP_TOK_URL ? t->surface : t->norm;
        int seen = 0;
        if (t->kind != kind)
            continue;
        if (sigil && s.n && s.p[0] == sigil) {
            s.p++;
            s.n--;
        }
        for (size_t k = 0; k < json_array_size(arr) && !seen; k++) {
            json_t *e = json_array_get(arr, k);
            seen = json_string_length(e) == s.n && !memcmp(json_string_value(e), s.p, s.n);
        }
        if (!seen && s.n)
            json_array_append_new(arr, jstr(s));
    }
    return arr;
}

static json_t *verdict_json(struct kz_str id, const struct nlp_doc *doc,
                            const struct nlp_verdict *v)
{
    json_t *o = json_object(), *topics = json_array(), *st = json_object(), *mob = json_object(),
           *ev = json_array();

    json_object_set_new(o, "id", jstr_or_null(id));
    json_object_set_new(o, "lang", json_string(nlp_lang_name(v->lang)));
    json_object_set_new(o, "script", json_string(nlp_script_name(v->script)));
    for (size_t i = 0; i < v->ntopics; i++) {
        json_t *t = json_object();
        json_object_set_new(t, "name", jstr(v->topics[i].name));
        json_object_set_new(t, "score", jscore(v->topics[i].score));
        json_array_append_new(topics, t);
    }
    json_object_set_new(o, "topics", topics);
    json_object_set_new(st, "war", json_string(nlp_stance_name(v->stance)));
    json_object_set_new(st, "score", jscore(v->stance_score));
    json_object_set_new(o, "stance", st);
    json_object_set_new(mob, "score", jscore(v->mob_score));
    json_object_set_new(mob, "call_to_action", json_boolean(v->call_to_action));
    json_object_set_new(mob, "when", jstr_or_null(v->when));
    json_object_set_new(mob, "where", jstr_or_null(v->where));
    json_object_set_new(o, "mobilization", mob);
    json_object_set_new(o, "region", jstr_or_null(v->region));
    json_object_set_new(o, "city", jstr_or_null(v->city));
    json_object_set_new(o, "hashtags", token_list(doc, NLP_TOK_HASHTAG, '#'));
    json_object_set_new(o, "mentions", token_list(doc, NLP_TOK_MENTION, '@'));
    json_object_set_new(o, "urls", token_list(doc, NLP_TOK_URL, 0));
    json_object_set_new(o, "cashtags", token_list(doc, NLP_TOK_CASHTAG, '$'));
    for (size_t i = 0; i < v->nevidence; i++) {
        const struct nlp_evidence *e = &v->evidence[i];
        json_t *j = json_object();
        json_object_set_new(j, "match", jstr(e->match));
        json_object_set_new(j, "rule", jstr(e->rule));
        json_object_set_new(j, "category", jstr(e->category));
        json_object_set_new(j, "start", json_integer(e->start));
        json_object_set_new(j, "end", json_integer(e->end));
        json_object_set_new(j, "weight", jscore(e->weight));
        json_array_append_new(ev, j);
    }
    json_object_set_new(o, "evidence", ev);
    return o;
}

/* ---------------------------------------------------------------------------
 * classify
 * ------------------------------------------------------------------------ */

static int print_verdict(void *ctx, FILE *out, const struct ingest_post *post,
                         const struct nlp_doc *doc, const struct nlp_verdict *v)
{
    json_t *o = verdict_json(post ? post->id : KZ_STR_NULL, doc, v);
    int rc = json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
    json_decref(o);
    putc('\n', out);
    return rc ? KZ_EIO : 0;
}

int kz_cmd_classify(struct kz_config *cfg, char **args, int nargs)
{
    struct pipeline *p = NULL;
    char err[768];
    int status = KZ_EXIT_OK, rc;
    const char *path = args[0]; /* main.c makes it exactly one, "-" by default */
    struct pipeline_dead_file dead = {NULL, NULL, 0};

    if (pipeline_data_default(cfg, err, sizeof(err))) {
        fprintf(stderr, "kzpulse classify: %s\n", err);
        status = KZ_EXIT_USAGE;
        goto out;
    }

    /* No store: verdicts are printed, not counted; dead letters go to
     * --dead-letters, stderr by default. */
    dead.path = cfg->dead_letters ? cfg->dead_letters : "-";
    if (!pipeline_dead_path_ok(dead.path)) {
        fprintf(stderr, "kzpulse classify: --dead-letters: cannot write %s: %s\n", dead.path,
                strerror(errno));
        status = KZ_EXIT_USAGE;
        goto out;
    }
    if ((rc = pipeline_new(cfg, NULL, pipeline_dead_to_path, &dead, &p, err, sizeof(err)))) {
        fprintf(stderr, "kzpulse classify: %s\n", err);
        status = rc == KZ_ENOMEM ? KZ_EXIT_FAIL : KZ_EXIT_USAGE;
        goto out;
    }
    pipeline_on_verdict(p, print_verdict, NULL, stdout);
    /* progress on a terminal that does not show the verdicts */
    if (isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO))
        pipeline_set_progress(p, stderr);
    rc = pipeline_walk_lines(p, path, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "kzpulse classify: %s\n", err);
        status = rc == PIPELINE_BAD_SOURCE ? KZ_EXIT_USAGE : KZ_EXIT_FAIL;
    }
    if (fflush(stdout)) {
        fprintf(stderr, "kzpulse classify: writing output: %s\n", strerror(errno));
        status = KZ_EXIT_FAIL;
    }
    if (dead.open_errno) {
        fprintf(stderr, "kzpulse classify: --dead-letters: cannot write %s: %s\n", dead.path,
                strerror(dead.open_errno));
        status = KZ_EXIT_FAIL;
    }
out:
    pipeline_free(p);
    if (pipeline_dead_file_close(&dead) && status == KZ_EXIT_OK) {
        fprintf(stderr, "kzpulse classify: %s: %s\n", dead.path, strerror(errno));
        status = KZ_EXIT_FAIL;
    }
    return status;
}

/* ---------------------------------------------------------------------------
 * lexicon lint
 * ------------------------------------------------------------------------ */

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int slurp(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, capb = 0;

    if (!f)
        return -1;
    for (;;) {
        if (n == capb) {
            char *nb = realloc(buf, capb ? capb * 2 : 65536);
            if (!nb)
                break;
            buf = nb;
            capb = capb ? capb * 2 : 65536;
        }
        size_t got = fread(buf + n, 1, capb - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f) || !buf) {
        fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    *data = buf;
    *len = n;
    return 0;
}

static void print_lint(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "%s\n", msg);
}

static int lint_dir(const char *dir)
{
    struct nlp_lexicon_file files[256];
    char *names[256], paths[256][512];
    size_t nnames = 0, nfiles = 0;
    struct dirent *e;
    int status = KZ_EXIT_OK;
    long nerr;
    DIR *d = opendir(dir);

    if (!d) {
        fprintf(stderr, "kzpulse lexicon lint: %s: %s\n", dir, strerror(errno));
        return KZ_EXIT_USAGE;
    }
    while ((e = readdir(d)) && nnames < KZ_ARRAY_LEN(names)) {
        size_t l = strlen(e->d_name);
        if (l > 4 && !strcmp(e->d_name + l - 4, ".tsv") && (names[nnames] = strdup(e->d_name)))
            nnames++;
    }
    closedir(d);
    qsort(names, nnames, sizeof(*names), cmp_name);
    for (size_t i = 0; i < nnames; i++) {
        char *data;
        size_t len;
        snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, names[i]);
        if (slurp(paths[i], &data, &len)) {
            fprintf(stderr, "kzpulse lexicon lint: %s: %s\n", paths[i], strerror(errno));
            status = KZ_EXIT_USAGE;
            break;
        }
        files[nfiles].name = paths[i];
        files[nfiles].data = data;
        files[nfiles++].len = len;
    }
    if (!status) {
        nerr = nlp_lexicon_check(files, nfiles, print_lint, NULL);
        if (nerr < 0) {
            fprintf(stderr, "kzpulse lexicon lint: %s\n", kz_strerror((int)nerr));
            status = KZ_EXIT_FAIL;
        } else if (nerr > 0) {
            fprintf(stderr, "kzpulse lexicon lint: %ld error%s in %s\n", nerr, nerr == 1 ? "" : "s",
                    dir);
            status = KZ_EXIT_USAGE;
        } else {
            struct nlp_lexicon *lx;
            char err[512];
            if (nlp_lexicon_compile(files, nfiles, &lx, err, sizeof(err))) {
                fprintf(stderr, "%s\n", err);
                status = KZ_EXIT_USAGE;
            } else {
                printf("%s: %zu files, %zu entries, no errors\n", dir, nfiles,
                       nlp_lexicon_size(lx));
                nlp_lexicon_free(lx);
            }
        }
    }
    for (size_t i = 0; i < nfiles; i++)
        free((char *)files[i].data);
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    return status;
}

int kz_cmd_lexicon(struct kz_config *cfg, char **args, int nargs)
{
    if (nargs != 2 || strcmp(args[0], "lint")) {
        fprintf(stderr, "kzpulse lexicon: usage: kzpulse lexicon lint DIR\n");
        return KZ_EXIT_USAGE;
    }
    return lint_dir(args[1]);
}
