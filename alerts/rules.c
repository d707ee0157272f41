/*
 * rules.c -- the rules file: a small TOML subset, parsed by hand, validated
 * against one table of fields, every error reported with file:line:col.
 *
 * Why TOML and our own parser: ops people write and review these files, so
 * comments and one key per line matter, and every mistake must point at its
 * line -- a JSON library gives positions for syntax errors only.  The subset:
 *   # comment                         (anywhere outside a string)
 *   [rule.NAME]  or  [[rule]] + id = "NAME"     one table per rule
 *   key = "basic string" | 'literal string' | 42 | -1_000 | 1e-4 | 0.5
 *       | true | false | ["array", "of", "strings"]   (may span lines)
 * Basic strings take TOML's escapes (\" \\ \b \t \n \f \r \uXXXX
 * \UXXXXXXXX); strings must be valid UTF-8 without NUL.  Anything else of
 * TOML (inline tables, dates, dotted keys, multi-line strings) is an error
 * that says so.
 *
 * The parser is a loop over lines with a cursor (line, column in bytes from
 * 1; the cursor, the values and the diagnostics are rules_lex.c's); an error
 * skips to the end of its line and parsing goes on, so a file with five
 * mistakes gets five messages, sorted by line.  A rule's semantic checks (missing
 * kind, a subject key that does not fit the kind, unknown regions, resolve
 * level under the threshold, duplicate ids) run when its table ends and
 * point at the key, or at the table header when a key is missing.
 * Fields are rows of `fields` (STYLE.md 10): adding one is a row plus its
 * place in alerts_rule, the writer and the comparison (rules_write.c).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts_int.h"

/* ---------------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------------ */

static const char *const kind_names[] = {"call", "topic", "stance_share", "term_surge",
                                         "hashtag_surge"};
/* The key naming each kind's subject (NULL: none). */
static const char *const kind_subject[] = {NULL, "topic", "stance", "term", "hashtag"};
static const char *const severity_names[] = {"info", "warning", "critical"};

const char *alerts_kind_name(enum alerts_kind k)
{
    return (unsigned)k < KZ_ARRAY_LEN(kind_names) ? kind_names[k] : "?";
}

const char *alerts_severity_name(enum alerts_severity s)
{
    return (unsigned)s < KZ_ARRAY_LEN(severity_names) ? severity_names[s] : "?";
}

const char *alerts_kind_subject(enum alerts_kind k)
{
    return (unsigned)k < KZ_ARRAY_LEN(kind_subject) ? kind_subject[k] : NULL;
}

/* ---------------------------------------------------------------------------
 * Fields: one row each
 * ------------------------------------------------------------------------ */

struct field {
    const char *key;
    enum vtype t; /* V_FLOAT also takes an integer; V_ARRAY: a string or an array */
    double min, max;
    const char *expects;
};

/* clang-format off */
static const struct field fields[FIELD_COUNT] = {
    [F_ID]             = {"id", V_STR, 1, 64, "a rule id: 1 to 64 of A-Z a-z 0-9 _ -"},
    [F_KIND]           = {"kind", V_STR, 0, 0,
                          "one of call, topic, stance_share, term_surge, hashtag_surge"},
    [F_REGION]         = {"region", V_ARRAY, 0, 0,
                          "\"all\" (the whole country), \"any\" (each region apart), an ISO "
                          "3166-2:KZ code (\"KZ-47\") or an array of codes"},
    [F_TOPIC]          = {"topic", V_STR, 1, 64, "a topic name: 1 to 64 of a-z 0-9 _"},
    [F_STANCE]         = {"stance", V_STR, 0, 0, "one of pro_ukraine, pro_russia"},
    [F_OF]             = {"of", V_STR, 0, 0, "\"all\" or \"topic:<name>\""},
    [F_TERM]           = {"term", V_STR, 1, 128, "a term of 1 to 128 bytes"},
    [F_HASHTAG]        = {"hashtag", V_STR, 1, 128, "a hashtag of 1 to 128 bytes (# optional, no other #)"},
    [F_WINDOW]         = {"window", V_INT, 1, 1440, "minutes, an integer from 1 to 1440"},
    [F_BASELINE_WEEKS] = {"baseline_weeks", V_INT, 1, 8, "weeks, an integer from 1 to 8"},
    [F_MIN_COUNT]      = {"min_count", V_INT, 1, 1e9, "an integer from 1 to 1000000000"},
    [F_MIN_AUTHORS]    = {"min_authors", V_INT, 0, 1e9, "an integer from 0 to 1000000000"},
    [F_THRESHOLD]      = {"threshold", V_FLOAT, 0, 0.5,
                          "a tail probability above 0 and at most 0.5 (e.g. 1e-4)"},
    [F_SEVERITY]       = {"severity", V_STR, 0, 0, "one of info, warning, critical"},
    [F_COOLDOWN]       = {"cooldown", V_INT, 0, 10080, "minutes, an integer from 0 to 10080"},
    [F_RESOLVE_AFTER]  = {"resolve_after", V_INT, 1, 1440, "minutes, an integer from 1 to 1440"},
    [F_RESOLVE_ABOVE]  = {"resolve_above", V_FLOAT, 0, 1,
                          "a probability above 0 and at most 1, above threshold (e.g. 0.01)"},
    [F_ENABLED]        = {"enabled", V_BOOL, 0, 0, "true or false"},
    [F_DESCRIPTION]    = {"description", V_STR, 0, 1000, "a string of up to 1000 bytes"},
};
/* clang-format on */

static int field_find(const char *key, size_t n)
{
    for (int f = 0; f < FIELD_COUNT; f++)
        if (strlen(fields[f].key) == n && !memcmp(fields[f].key, key, n))
            return f;
    return -1;
}

static int name_find(const char *const *names, size_t count, const char *s)
{
    for (size_t i = 0; i < count; i++)
        if (!strcmp(names[i], s))
            return (int)i;
    return -1;
}

static bool id_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!rules_bare_char((unsigned char)s[i]))
            return false;
    return true;
}

static bool topic_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static void rule_defaults(struct alerts_rule *r)
{
    memset(r, 0, sizeof(*r));
    r->scope = ALERTS_OVERALL;
    r->window = 5;
    r->baseline_weeks = 4;
    r->min_count = 10;
    r->min_authors = 3;
    r->threshold = 1e-4;
    r->severity = ALERTS_WARNING;
    r->cooldown = 60;
    r->resolve_after = 10;
    r->resolve_above = 0.01;
    r->enabled = true;
}

void alerts_rule_clear(struct alerts_rule *r)
{
    free(r->id);
    free(r->subject);
    free(r->of);
    free(r->description);
    for (size_t i = 0; i < r->nregions; i++)
        free(r->regions[i]);
    memset(r, 0, sizeof(*r));
}

/* Take a string value (the field's type was checked). */
static char *take_str(struct value *v)
{
    char *s = v->s;
    v->s = NULL;
    return s;
}

static void type_error(struct parser *p, int line, int c, int f, const struct value *v)
{
    rules_err(p, line, c, "key \"%s\": expected %s; got %s", fields[f].key, fields[f].expects,
              rules_vtype_name(v->t));
}

static int set_region(struct parser *p, struct alerts_rule *r, struct value *v, int line, int c);

/* Set field f of rule r from v; reports and returns -1 on a bad value. */
static int set_field(struct parser *p, struct alerts_rule *r, int f, struct value *v, int line,
                     int c)
{
    const struct field *fd = &fields[f];
    bool num_ok = fd->t == V_FLOAT && (v->t == V_INT || v->t == V_FLOAT);
    bool region_ok = fd->t == V_ARRAY && (v->t == V_STR || v->t == V_ARRAY);
    if (v->t != fd->t && !num_ok && !region_ok) {
        type_error(p, line, c, f, v);
        return -1;
    }
    if (fd->t == V_INT) {
        if (v->i < (long long)fd->min || v->i > (long long)fd->max)
            goto range;
    } else if (fd->t == V_FLOAT) {
        double d = v->t == V_INT ? (double)v->i : v->d;
        if (!(d > fd->min) || d > fd->max)
            goto range;
        v->d = d;
    } else if (fd->t == V_STR && fd->max > 0 && strlen(v->s) > (size_t)fd->max) {
        goto range;
    }
    switch (f) {
    case F_ID:
        if (!id_ok(v->s))
            goto range;
        free(r->id);
        r->id = take_str(v);
        return 0;
    case F_KIND: {
        int k = name_find(kind_names, KZ_ARRAY_LEN(kind_names), v->s);
        if (k < 0)
            goto range;
        r->kind = (enum alerts_kind)k;
        return 0;
    }
    case F_REGION:
        return set_region(p, r, v, line, c) ? -1 : 0;
    case F_TOPIC:
        if (!topic_ok(v->s))
            goto range;
        break;
    case F_STANCE:
        if (strcmp(v->s, "pro_ukraine") && strcmp(v->s, "pro_russia"))
            goto range;
        break;
    case F_OF:
        if (strcmp(v->s, "all") && !(!strncmp(v->s, "topic:", 6) && topic_ok(v->s + 6)))
            goto range;
        free(r->of);
        r->of = take_str(v);
        return 0;
    case F_HASHTAG:
        if (v->s[0] == '#')
            memmove(v->s, v->s + 1, strlen(v->s));
        if (!v->s[0] || strchr(v->s, '#'))
            goto range; /* "##x" would be written "#x" and read back as "x" */
        break;
    case F_TERM:
        break;
    case F_WINDOW:
        r->window = (int)v->i;
        return 0;
    case F_BASELINE_WEEKS:
        r->baseline_weeks = (int)v->i;
        return 0;
    case F_MIN_COUNT:
        r->min_count = v->i;
        return 0;
    case F_MIN_AUTHORS:
        r->min_authors = v->i;
        return 0;
    case F_THRESHOLD:
        r->threshold = v->d;
        return 0;
    case F_SEVERITY: {
        int s = name_find(severity_names, KZ_ARRAY_LEN(severity_names), v->s);
        if (s < 0)
            goto range;
        r->severity = (enum alerts_severity)s;
        return 0;
    }
    case F_COOLDOWN:
        r->cooldown = (int)v->i;
        return 0;
    case F_RESOLVE_AFTER:
        r->resolve_after = (int)v->i;
        return 0;
    case F_RESOLVE_ABOVE:
        r->resolve_above = v->d;
        return 0;
    case F_ENABLED:
        r->enabled = v->b;
        return 0;
    case F_DESCRIPTION:
        free(r->description);
        r->description = take_str(v);
        return 0;
    }
    /* the subject keys: topic, stance, term, hashtag */
    free(r->subject);
    r->subject = take_str(v);
    return 0;
range:
    if (v->t == V_STR)
        rules_err(p, line, c, "key \"%s\": expected %s; got \"%.60s\"", fd->key, fd->expects, v->s);
    else if (v->t == V_INT)
        rules_err(p, line, c, "key \"%s\": expected %s; got %lld", fd->key, fd->expects, v->i);
    else
        rules_err(p, line, c, "key \"%s\": expected %s; got %g", fd->key, fd->expects, v->d);
    return -1;
}

/* ---------------------------------------------------------------------------
 * Regions
 * ------------------------------------------------------------------------ */

struct known_list {
    char buf[400];
    size_t n;
};

static void add_known(void *arg, const char *code, const char *name)
{
    struct known_list *k = arg;
    (void)name;
    if (k->n < sizeof(k->buf))
        k->n +=
            (size_t)snprintf(k->buf + k->n, sizeof(k->buf) - k->n, "%s%s", k->n ? ", " : "", code);
}

static int check_code(struct parser *p, const char *code, int line, int c)
{
    const char *name;
    if (p->regions->lookup(p->regions->ctx, code, &name))
        return 0;
    struct known_list k = {.n = 0};
    k.buf[0] = '\0';
    if (p->regions->each)
        p->regions->each(p->regions->ctx, add_known, &k);
    rules_err(p, line, c, "key \"region\": unknown region \"%.40s\" (known: all, any, %s)", code,
              k.buf);
    return -1;
}

static int set_region(struct parser *p, struct alerts_rule *r, struct value *v, int line, int c)
{
    for (size_t i = 0; i < r->nregions; i++)
        free(r->regions[i]);
    r->nregions = 0;
    if (v->t == V_STR) {
        if (!strcmp(v->s, "all") || !strcmp(v->s, "any")) {
            r->scope = v->s[1] == 'l' ? ALERTS_OVERALL : ALERTS_EACH_REGION;
            return 0;
        }
        if (check_code(p, v->s, line, c))
            return -1;
        r->scope = ALERTS_REGIONS;
        r->regions[r->nregions++] = take_str(v);
        return 0;
    }
    if (!v->narr || v->narr > ALERTS_MAX_REGIONS) {
        rules_err(p, line, c, "key \"region\": an array of 1 to %d region codes",
                  ALERTS_MAX_REGIONS);
        return -1;
    }
    int bad = 0;
    for (size_t i = 0; i < v->narr; i++) {
        for (size_t j = 0; j < i; j++)
            if (!strcmp(v->arr[i], v->arr[j])) {
                rules_err(p, line, c, "key \"region\": \"%.40s\" listed twice", v->arr[i]);
                bad = 1;
            }
        if (check_code(p, v->arr[i], line, c))
            bad = 1;
    }
    if (bad)
        return -1;
    r->scope = ALERTS_REGIONS;
    for (size_t i = 0; i < v->narr; i++) {
        r->regions[r->nregions++] = v->arr[i];
        v->arr[i] = NULL;
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Tables and the file
 * ------------------------------------------------------------------------ */

/* The rule's checks across keys, when its table ends; a bad rule is dropped. */
static void end_rule(struct parser *p)
{
    if (p->cur < 0)
        return;
    struct alerts_rule *r = &p->set->rules[p->cur];
    long before = p->nerr;
    int hl = r->line, hc = p->cur_col;
    if (!r->id)
        rules_err(p, hl, hc, "this [[rule]] has no id (add id = \"NAME\")");
    if (!p->pos[F_KIND].line) {
        rules_err(p, hl, hc,
                  "rule \"%s\" has no kind (add kind = \"call\", \"topic\", "
                  "\"stance_share\", \"term_surge\" or \"hashtag_surge\")",
                  r->id ? r->id : "(no id)");
    } else if (p->pos[F_KIND].ok) {
        const char *subj = kind_subject[r->kind];
        for (int f = F_TOPIC; f <= F_HASHTAG; f++) {
            if (f == F_OF)
                continue;
            bool given = p->pos[f].line != 0, wanted = subj && !strcmp(subj, fields[f].key);
            if (given && !wanted)
                rules_err(p, p->pos[f].line, p->pos[f].col,
                          "key \"%s\" does not apply to kind "
                          "\"%s\"%s%s%s",
                          fields[f].key, kind_names[r->kind], subj ? " (it takes \"" : "",
                          subj ? subj : "", subj ? "\")" : "");
            if (wanted && !given)
                rules_err(p, hl, hc, "rule \"%s\" of kind \"%s\" needs key \"%s\"",
                          r->id ? r->id : "?", kind_names[r->kind], subj);
        }
        if (p->pos[F_OF].line && r->kind != ALERTS_STANCE_SHARE)
            rules_err(p, p->pos[F_OF].line, p->pos[F_OF].col,
                      "key \"of\" applies to kind \"stance_share\" only");
        if (r->scope != ALERTS_OVERALL && r->kind != ALERTS_CALL && r->kind != ALERTS_TOPIC) {
            int l = p->pos[F_REGION].line ? p->pos[F_REGION].line : hl;
            int c = p->pos[F_REGION].line ? p->pos[F_REGION].col : hc;
            rules_err(p, l, c,
                      "key \"region\": kind \"%s\" has no per-region counter; region must be "
                      "\"all\"",
                      kind_names[r->kind]);
        }
    }
    if (!(r->resolve_above > r->threshold)) {
        int f = p->pos[F_RESOLVE_ABOVE].line ? F_RESOLVE_ABOVE : F_THRESHOLD;
        int l = p->pos[f].line ? p->pos[f].line : hl, c = p->pos[f].line ? p->pos[f].col : hc;
        rules_err(p, l, c, "resolve_above (%g) must be above threshold (%g)", r->resolve_above,
                  r->threshold);
    }
    if (r->kind == ALERTS_STANCE_SHARE && !r->of && !(r->of = strdup("all")))
        p->oom = true;
    for (long j = 0; r->id && j < p->cur; j++)
        if (p->set->rules[j].id && !strcmp(p->set->rules[j].id, r->id))
            rules_err(p, hl, hc, "duplicate rule id \"%s\" (first on line %d)", r->id,
                      p->set->rules[j].line);
    if (p->nerr != before || p->oom) {
        /* keep its id, for later duplicates to name the first */
        char *id = r->id;
        int line = r->line;
        r->id = NULL;
        alerts_rule_clear(r);
        r->id = id;
        r->line = line;
    }
    p->cur = -1;
}

static int begin_rule(struct parser *p, char *id, int line, int c)
{
    struct alerts_rule *rules = realloc(p->set->rules, (p->set->n + 1) * sizeof(*rules));
    if (!rules) {
        free(id);
        p->oom = true;
        return KZ_ENOMEM;
    }
    p->set->rules = rules;
    p->cur = (long)p->set->n++;
    rule_defaults(&rules[p->cur]);
    rules[p->cur].id = id;
    rules[p->cur].line = line;
    p->cur_col = c;
    p->cur_named = id != NULL;
    memset(p->pos, 0, sizeof(p->pos));
    return 0;
}

/* A table header at the cursor ('['). */
static void parse_header(struct parser *p)
{
    int line = p->line, c = rules_col(p);
    end_rule(p);
    p->cur_bad_table = false;
    bool arr = p->i + 1 < p->n && p->s[p->i + 1] == '[';
    p->i += arr ? 2 : 1;
    rules_skip_ws(p);
    size_t a = p->i;
    while (p->i < p->n && (rules_bare_char((unsigned char)p->s[p->i]) || p->s[p->i] == '.'))
        p->i++;
    size_t b = p->i;
    rules_skip_ws(p);
    bool closed =
        p->i < p->n && p->s[p->i] == ']' && (!arr || (p->i + 1 < p->n && p->s[p->i + 1] == ']'));
    if (closed)
        p->i += arr ? 2 : 1;
    if (!closed || !rules_rest_is_empty(p)) {
        rules_err(p, line, c, "bad table header (expected [rule.NAME] or [[rule]])");
        p->cur_bad_table = true;
        return;
    }
    const char *name = p->s + a;
    size_t n = b - a;
    if (arr && n == 4 && !memcmp(name, "rule", 4)) {
        begin_rule(p, NULL, line, c);
        return;
    }
    if (!arr && n > 5 && !memcmp(name, "rule.", 5) && !memchr(name + 5, '.', n - 5)) {
        char *id = strndup(name + 5, n - 5);
        if (!id) {
            p->oom = true;
            return;
        }
        if (!id_ok(id)) {
            rules_err(p, line, c, "rule name \"%s\": expected 1 to 64 of A-Z a-z 0-9 _ -", id);
            free(id);
            p->cur_bad_table = true;
            return;
        }
        begin_rule(p, id, line, c);
        return;
    }
    rules_err(p, line, c, "unknown table [%s%.*s%s] (expected [rule.NAME] or [[rule]])",
              arr ? "[" : "", (int)(n > 60 ? 60 : n), name, arr ? "]" : "");
    p->cur_bad_table = true;
}

/* key = value at the cursor (a bare-key character). */
static void parse_keyval(struct parser *p)
{
    int line = p->line, c = rules_col(p);
    size_t a = p->i;
    while (p->i < p->n && rules_bare_char((unsigned char)p->s[p->i]))
        p->i++;
    const char *key = p->s + a;
    size_t kn = p->i - a;
    rules_skip_ws(p);
    if (rules_peek(p) != '=') {
        rules_err(p, p->line, rules_col(p), "expected = after key \"%.*s\"%s",
                  (int)(kn > 60 ? 60 : kn), key,
                  rules_peek(p) == '.' ? " (dotted keys are not supported)" : "");
        return;
    }
    p->i++;
    rules_skip_ws(p);
    int vline = p->line, vc = rules_col(p);
    struct value v;
    int rc = rules_parse_value(p, &v);
    if (rc) {
        rules_value_free(&v);
        return;
    }
    if (!rules_rest_is_empty(p)) {
        rules_err(p, p->line, rules_col(p), "unexpected text after the value of \"%.*s\"",
                  (int)(kn > 60 ? 60 : kn), key);
        rules_value_free(&v);
        return;
    }
    if (p->cur_bad_table) {
        rules_value_free(&v);
        return;
    }
    if (p->cur < 0) {
        rules_err(p, line, c, "key \"%.*s\" outside a rule: start one with [rule.NAME]",
                  (int)(kn > 60 ? 60 : kn), key);
        rules_value_free(&v);
        return;
    }
    int f = field_find(key, kn);
    if (f < 0) {
        char list[600];
        size_t ln = 0;
        for (int i = 0; i < FIELD_COUNT; i++)
            ln += (size_t)snprintf(list + ln, sizeof(list) - ln, "%s%s", i ? ", " : "",
                                   fields[i].key);
        rules_err(p, line, c, "unknown key \"%.*s\" (accepted: %s)", (int)(kn > 60 ? 60 : kn), key,
                  list);
        rules_value_free(&v);
        return;
    }
    struct alerts_rule *r = &p->set->rules[p->cur];
    if (p->pos[f].line) {
        rules_err(p, line, c, "key \"%s\" given twice in this rule (first on line %d)",
                  fields[f].key, p->pos[f].line);
    } else if (f == F_ID && p->cur_named) {
        rules_err(p, line, c, "key \"id\": the table [rule.%s] names the rule already", r->id);
    } else {
        p->pos[f].line = line;
        p->pos[f].col = c;
        p->pos[f].ok = set_field(p, r, f, &v, vline, vc) == 0;
    }
    rules_value_free(&v);
}

long alerts_rules_parse(const char *file, const char *text, size_t n,
                        const struct alerts_regions *regions, alerts_diag_fn diag, void *ctx,
                        struct alerts_rules **out)
{
    struct parser p = {.file = file ? file : "(rules)",
                       .s = text,
                       .n = n,
                       .line = 1,
                       .diag = diag,
                       .ctx = ctx,
                       .regions = regions ? regions : &alerts_regions_iso,
                       .cur = -1};
    *out = NULL;
    if (!(p.set = calloc(1, sizeof(*p.set))))
        return KZ_ENOMEM;
    if (n >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        p.i = p.line_start = 3; /* a UTF-8 byte-order mark */
    while (p.i < p.n && !p.oom) {
        rules_skip_ws(&p);
        int c = rules_peek(&p);
        if (c == '[')
            parse_header(&p);
        else if (c != -1 && rules_bare_char(c))
            parse_keyval(&p);
        else if (!rules_rest_is_empty(&p))
            rules_err(&p, p.line, rules_col(&p),
                      "expected [rule.NAME], key = value or a # comment");
        rules_next_line(&p);
    }
    end_rule(&p);
    if (p.oom) {
        for (size_t i = 0; i < p.ndiags; i++)
            free(p.diags[i].msg);
        free(p.diags);
        alerts_rules_free(p.set);
        return KZ_ENOMEM;
    }
    if (p.diag)
        rules_diag_flush(&p);
    if (p.nerr) {
        alerts_rules_free(p.set);
        return p.nerr;
    }
    *out = p.set;
    return 0;
}

long alerts_rules_load(const char *path, const struct alerts_regions *regions, alerts_diag_fn diag,
                       void *ctx, struct alerts_rules **out)
{
    FILE *f = fopen(path, "rb");
    *out = NULL;
    if (!f) {
        if (diag) {
            char msg[300];
            snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
            diag(ctx, path, 0, 0, msg);
        }
        return 1;
    }
    struct buf b = {0};
    char chunk[65536];
    size_t k;
    int rc = 0;
    while (!rc && (k = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = b.n + k > (16u << 20) ? KZ_ERANGE : rules_buf_put(&b, chunk, k);
    bool bad = ferror(f);
    int read_errno = errno;
    fclose(f);
    if (rc == KZ_ENOMEM) {
        free(b.p);
        return KZ_ENOMEM;
    }
    if (bad || rc) {
        if (diag) {
            char msg[300];
            snprintf(msg, sizeof(msg), "%s%s",
                     bad ? "cannot read: " : "larger than 16 MiB: not a rules file",
                     bad ? strerror(read_errno) : "");
            diag(ctx, path, 0, 0, msg);
        }
        free(b.p);
        return 1;
    }
    long r = alerts_rules_parse(path, b.p ? b.p : "", b.n, regions, diag, ctx, out);
    free(b.p);
    return r;
}

void alerts_rules_free(struct alerts_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        alerts_rule_clear(&r->rules[i]);
    free(r->rules);
    free(r);
}

const struct alerts_rule *alerts_rules_find(const struct alerts_rules *r, const char *id)
{
    for (size_t i = 0; r && i < r->n; i++)
        if (r->rules[i].id && !strcmp(r->rules[i].id, id))
            return &r->rules[i];
    return NULL;
}
