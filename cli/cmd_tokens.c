/*
 * cmd_tokens.c -- `kzpulse tokens`: what the analyzer makes of each line.
 *
 * For people writing lexicons: one JSON object per input line with the line's
 * language and script and every token (surface, norm, stem, lang, script,
 * kind, byte span, flags), exactly what lexicon patterns are matched against.
 * Lines are read whole however long; bytes past --max-text are not analysed.
 * Bytes that are not UTF-8 make no token; nothing is dropped unsaid: a line
 * with any says how many ("invalid_utf8": N) and a last stderr line gives the
 * total.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

/* Token strings are valid UTF-8 by the analyzer's contract; null if not. */
static json_t *jstr(struct kz_str s)
{
    json_t *j = json_stringn(s.p ? s.p : "", s.n);
    return j ? j : json_null();
}

/* Bytes of s that are not part of valid UTF-8: each byte where a sequence
 * breaks counts once, and the count resumes at the next byte. */
static size_t invalid_utf8(const char *s, size_t n)
{
    size_t bad = 0, i = 0;
    while (i < n) {
        i += ingest_utf8_valid_prefix(s + i, n - i);
        if (i < n) {
            bad++;
            i++;
        }
    }
    return bad;
}

static int print_doc(const struct nlp_doc *doc, uint64_t line, size_t bad)
{
    json_t *o = json_object();
    json_object_set_new(o, "line", json_integer((json_int_t)line));
    if (bad)
        json_object_set_new(o, "invalid_utf8", json_integer((json_int_t)bad));
    json_object_set_new(o, "lang", json_string(nlp_lang_name(doc->lang)));
    json_object_set_new(o, "script", json_string(nlp_script_name(doc->script)));
    json_t *toks = json_array();
    for (size_t i = 0; i < doc->ntokens; i++) {
        const struct nlp_token *t = &doc->tokens[i];
        json_t *j = json_object();
        json_object_set_new(j, "surface", jstr(t->surface));
        json_object_set_new(j, "norm", jstr(t->norm));
        json_object_set_new(j, "stem", jstr(t->stem));
        json_object_set_new(j, "lang", json_string(nlp_lang_name((enum nlp_lang)t->lang)));
        json_object_set_new(j, "script", json_string(nlp_script_name((enum nlp_script)t->script)));
        json_object_set_new(j, "kind", json_string(nlp_kind_name((enum nlp_kind)t->kind)));
        json_object_set_new(j, "start", json_integer(t->start));
        json_object_set_new(j, "end", json_integer(t->end));
        if (t->flags & NLP_TOKF_HASHTAG_PART)
            json_object_set_new(j, "hashtag_part", json_true());
        if (t->flags & NLP_TOKF_HOMOGLYPH)
            json_object_set_new(j, "homoglyph", json_true());
        if (t->flags & NLP_TOKF_TRANSLIT)
            json_object_set_new(j, "translit", json_true());
        json_array_append_new(toks, j);
    }
    json_object_set_new(o, "tokens", toks);
    int rc = json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    putchar('\n');
    return rc;
}

int kz_cmd_tokens(struct kz_config *cfg, char **args, int nargs)
{
    int status = KZ_EXIT_OK;
    char err[512];
    struct nlp_analyzer *a = NULL;
    FILE *in = NULL;
    char *line = NULL;
    size_t cap = 0;
    const char *path = args[0]; /* main.c makes it exactly one, "-" by default */

    in = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!in) {
        fprintf(stderr, "kzpulse tokens: cannot read %s: %s\n", path, strerror(errno));
        status = KZ_EXIT_USAGE;
        goto out;
    }
    struct nlp_config nc;
    nlp_config_default(&nc);
    if (nlp_analyzer_new(&nc, &a, err, sizeof(err))) {
        fprintf(stderr, "kzpulse tokens: %s\n", err);
        status = KZ_EXIT_FAIL;
        goto out;
    }
    ssize_t n;
    uint64_t lineno = 0, bad_bytes = 0, bad_lines = 0;
    while ((n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        size_t cut = len > cfg->ingest.max_text ? cfg->ingest.max_text : len;
        /* never cut inside a UTF-8 sequence */
        while (cut < len && cut > 0 && ((unsigned char)line[cut] & 0xC0) == 0x80)
            cut--;
        struct nlp_doc doc;
        if (nlp_analyze(a, line, cut, NLP_LANG_UND, &doc)) {
            fprintf(stderr, "kzpulse tokens: line %llu: out of memory\n",
                    (unsigned long long)lineno);
            status = KZ_EXIT_FAIL;
            break;
        }
        size_t bad = invalid_utf8(line, cut);
        bad_bytes += bad;
        bad_lines += bad > 0;
        if (print_doc(&doc, lineno, bad)) {
            status = KZ_EXIT_FAIL;
            break;
        }
    }
    if (ferror(in)) {
        fprintf(stderr, "kzpulse tokens: reading %s: %s\n", path, strerror(errno));
        status = KZ_EXIT_USAGE;
    }
    if (bad_bytes)
        fprintf(stderr,
                "kzpulse tokens: %llu byte%s of invalid UTF-8 on %llu line%s made no token (see "
                "\"invalid_utf8\" in %s)\n",
                (unsigned long long)bad_bytes, bad_bytes == 1 ? "" : "s",
                (unsigned long long)bad_lines, bad_lines == 1 ? "" : "s",
                bad_lines == 1 ? "that line" : "those lines");
out:
    nlp_analyzer_free(a);
    if (in && in != stdin)
        fclose(in);
    free(line);
    return status;
}
