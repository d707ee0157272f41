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
 * 1); an error skips to the end of its line and parsing goes on, so a file
 * with five mistakes gets five messages.  A rule's semantic checks (missing
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
 * Values
 * ------------------------------------------------------------------------ */

enum vtype { V_STR, V_INT, V_FLOAT, V_BOOL, V_ARRAY };
static const char *const vtype_names[] = {"a string", "an integer", "a number", "a boolean",
                                          "an array"};

struct value {
    enum vtype t;
    char *s; /* V_STR */
    long long i;
    double d;
    bool b;
    char **arr; /* V_ARRAY: strings */
    size_t narr;
};

static void value_free(struct value *v)
{
    free(v->s);
    for (size_t i = 0; i < v->narr; i++)
        free(v->arr[i]);
    free(v->arr);
    memset(v, 0, sizeof(*v));
}

/* ---------------------------------------------------------------------------
 * The parser's state
 * ------------------------------------------------------------------------ */

struct parser {
    const char *file;
    const char *s;
    size_t n, i;
    int line;
    size_t line_start;
    alerts_diag_fn diag;
    void *ctx;
    long nerr;
    bool oom;
    const struct alerts_regions *regions;
    struct alerts_rules *set;
    /* the rule being read: an index into set->rules, or -1 (none, or a
     * table we do not know, whose keys are skipped) */
    long cur;
    bool cur_bad_table;
    int cur_col;
    bool cur_named; /* [rule.NAME], not [[rule]] */
    struct {
        int line, col; /* 0: not given */
        bool ok;       /* given and accepted */
    } pos[FIELD_COUNT];
};

static int col(const struct parser *p)
{
    return (int)(p->i - p->line_start) + 1;
}

static void err_at(struct parser *p, int line, int c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    p->nerr++;
    if (p->diag)
        p->diag(p->ctx, p->file, line, c, msg);
}

static int peek(const struct parser *p)
{
    return p->i < p->n ? (unsigned char)p->s[p->i] : -1;
}

static void skip_ws(struct parser *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t'))
        p->i++;
}

static bool at_eol(const struct parser *p)
{
    int c = peek(p);
    return c == -1 || c == '\n' || (c == '\r' && p->i + 1 < p->n && p->s[p->i + 1] == '\n');
}

/* Past the end of the current line (its newline included). */
static void next_line(struct parser *p)
{
    while (p->i < p->n && p->s[p->i] != '\n')
        p->i++;
    if (p->i < p->n)
        p->i++;
    p->line++;
    p->line_start = p->i;
}

/* White space, then a comment or nothing up to the end of the line. */
static bool rest_is_empty(struct parser *p)
{
    skip_ws(p);
    if (peek(p) == '#') {
        while (p->i < p->n && p->s[p->i] != '\n' && p->s[p->i] != '\r')
            p->i++;
    }
    return at_eol(p);
}

/* White space, comments and newlines (inside an array). */
static void skip_ws_nl(struct parser *p)
{
    for (;;) {
        skip_ws(p);
        int c = peek(p);
        if (c == '#') {
            while (p->i < p->n && p->s[p->i] != '\n')
                p->i++;
        } else if (c == '\r' && p->i + 1 < p->n && p->s[p->i + 1] == '\n') {
            p->i++;
        } else if (c == '\n') {
            p->i++;
            p->line++;
            p->line_start = p->i;
        } else {
            return;
        }
    }
}

static bool bare_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* ---------------------------------------------------------------------------
 * Strings
 * ------------------------------------------------------------------------ */

struct buf {
    char *p;
    size_t n, cap;
};

static int buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return KZ_ENOMEM;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

/* Append code point u as UTF-8; -1 if it is not a scalar value. */
static int put_utf8(struct buf *b, unsigned long u)
{
    char e[4];
    size_t k;
    if (u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF))
        return -1;
    if (u < 0x80) {
        e[0] = (char)u, k = 1;
    } else if (u < 0x800) {
        e[0] = (char)(0xC0 | (u >> 6)), e[1] = (char)(0x80 | (u & 0x3F)), k = 2;
    } else if (u < 0x10000) {
        e[0] = (char)(0xE0 | (u >> 12)), e[1] = (char)(0x80 | ((u >> 6) & 0x3F));
        e[2] = (char)(0x80 | (u & 0x3F)), k = 3;
    } else {
        e[0] = (char)(0xF0 | (u >> 18)), e[1] = (char)(0x80 | ((u >> 12) & 0x3F));
        e[2] = (char)(0x80 | ((u >> 6) & 0x3F)), e[3] = (char)(0x80 | (u & 0x3F)), k = 4;
    }
    return buf_put(b, e, k) ? -2 : 0;
}

/* The length of the valid UTF-8 sequence at s[0..n), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t k = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (!k || s[0] > 0xF4 || k > n)
        return 0;
    for (size_t j = 1; j < k; j++)
        if ((s[j] & 0xC0) != 0x80)
            return 0;
    if (k == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0)))
        return 0;
    if (k == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90)))
        return 0;
    return k;
}

/* A string at the cursor (on its quote); 0, -1 (reported) or KZ_ENOMEM. */
static int parse_string(struct parser *p, char **out)
{
    char q = p->s[p->i];
    int line = p->line, c0 = col(p);
    struct buf b = {0};
    p->i++;
    for (;;) {
        if (p->i >= p->n || p->s[p->i] == '\n' || p->s[p->i] == '\r') {
            err_at(p, line, c0, "unterminated string (strings end on their line)");
            free(b.p);
            return -1;
        }
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == (unsigned char)q) {
            p->i++;
            break;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
            err_at(p, p->line, col(p), "control character 0x%02X in a string (write it escaped)",
                   c);
            free(b.p);
            return -1;
        }
        if (c == '\\' && q == '"') {
            int ec = col(p);
            char e = p->i + 1 < p->n ? p->s[p->i + 1] : '\0';
            const char *plain = strchr("btnfr\"\\", e) && e ? "\b\t\n\f\r\"\\" : NULL;
            if (plain) {
                char ch = plain[strchr("btnfr\"\\", e) - "btnfr\"\\"];
                if (buf_put(&b, &ch, 1))
                    goto oom;
                p->i += 2;
                continue;
            }
            if (e == 'u' || e == 'U') {
                size_t k = e == 'u' ? 4 : 8;
                unsigned long u = 0;
                size_t j;
                for (j = 0; j < k && p->i + 2 + j < p->n; j++) {
                    int h = p->s[p->i + 2 + j];
                    if (!isxdigit(h))
                        break;
                    u = u * 16 + (unsigned long)(isdigit(h) ? h - '0' : (tolower(h) - 'a' + 10));
                }
                int r = j == k && u != 0 ? put_utf8(&b, u) : -1;
                if (r == -2)
                    goto oom;
                if (r) {
                    err_at(p, p->line, ec,
                           "bad escape: \\%c takes %zu hex digits of a Unicode scalar value "
                           "other than 0",
                           e, k);
                    free(b.p);
                    return -1;
                }
                p->i += 2 + k;
                continue;
            }
            err_at(p, p->line, ec,
                   "unknown escape \\%c (accepted: \\\" \\\\ \\b \\t \\n \\f \\r "
                   "\\uXXXX \\UXXXXXXXX)",
                   e ? e : ' ');
            free(b.p);
            return -1;
        }
        size_t k = utf8_len((const unsigned char *)p->s + p->i, p->n - p->i);
        if (!k) {
            err_at(p, p->line, col(p), "a string is not valid UTF-8 here");
            free(b.p);
            return -1;
        }
        if (buf_put(&b, p->s + p->i, k))
            goto oom;
        p->i += k;
    }
    if (!b.p && buf_put(&b, "", 0))
        goto oom;
    *out = b.p;
    return 0;
oom:
    free(b.p);
    p->oom = true;
    return KZ_ENOMEM;
}

/* ---------------------------------------------------------------------------
 * Numbers and values
 * ------------------------------------------------------------------------ */

/* TOML's integer: [+-] digits with single underscores between digits, no
 * leading zero.  Its float: an integer part, then .digits and/or an
 * exponent.  The text t[0..n) without underscores goes to out. */
static int number_shape(const char *t, size_t n, char *out, size_t outlen, bool *is_float)
{
    size_t i = 0, o = 0;
    *is_float = false;
    if (n && (t[0] == '+' || t[0] == '-'))
        out[o++] = t[i++];
    size_t digits_from = i;
    int part = 0; /* 0 integer, 1 fraction, 2 exponent */
    bool need_digit = true;
    for (; i < n; i++) {
        char c = t[i];
        if (o + 2 >= outlen)
            return -1;
        if (isdigit((unsigned char)c)) {
            out[o++] = c;
            need_digit = false;
        } else if (c == '_') {
            if (need_digit || i + 1 >= n || !isdigit((unsigned char)t[i + 1]))
                return -1;
        } else if (c == '.' && part == 0 && !need_digit) {
            out[o++] = c;
            part = 1, need_digit = true, *is_float = true;
        } else if ((c == 'e' || c == 'E') && part < 2 && !need_digit) {
            out[o++] = c;
            part = 2, need_digit = true, *is_float = true;
            if (i + 1 < n && (t[i + 1] == '+' || t[i + 1] == '-'))
                out[o++] = t[++i];
        } else {
            return -1;
        }
    }
    out[o] = '\0';
    if (need_digit)
        return -1;
    /* no leading zero in the integer part ("0", "0.5" and "0e1" are fine) */
    if (out[digits_from] == '0' && isdigit((unsigned char)out[digits_from + 1]))
        return -1;
    return 0;
}

static int parse_value(struct parser *p, struct value *v);

static int parse_array(struct parser *p, struct value *v)
{
    int line = p->line, c0 = col(p);
    v->t = V_ARRAY;
    p->i++; /* [ */
    for (;;) {
        skip_ws_nl(p);
        if (peek(p) == ']') {
            p->i++;
            return 0;
        }
        if (peek(p) == -1) {
            err_at(p, line, c0, "unterminated array (no closing ])");
            return -1;
        }
        if (peek(p) != '"' && peek(p) != '\'') {
            err_at(p, p->line, col(p), "arrays hold strings only here");
            return -1;
        }
        char *s;
        int rc = parse_string(p, &s);
        if (rc)
            return rc;
        char **arr = realloc(v->arr, (v->narr + 1) * sizeof(*arr));
        if (!arr) {
            free(s);
            p->oom = true;
            return KZ_ENOMEM;
        }
        v->arr = arr;
        v->arr[v->narr++] = s;
        skip_ws_nl(p);
        if (peek(p) == ',') {
            p->i++;
        } else if (peek(p) == -1) {
            err_at(p, line, c0, "unterminated array (no closing ])");
            return -1;
        } else if (peek(p) != ']') {
            err_at(p, p->line, col(p), "expected , or ] in the array");
            return -1;
        }
    }
}

static int parse_value(struct parser *p, struct value *v)
{
    int c = peek(p);
    memset(v, 0, sizeof(*v));
    if (c == '"' || c == '\'') {
        v->t = V_STR;
        if (c == '"' && p->i + 2 < p->n && p->s[p->i + 1] == '"' && p->s[p->i + 2] == '"') {
            err_at(p, p->line, col(p), "multi-line strings are not supported here");
            return -1;
        }
        return parse_string(p, &v->s);
    }
    if (c == '[')
        return parse_array(p, v);
    if (c == '{') {
        err_at(p, p->line, col(p), "inline tables are not supported here");
        return -1;
    }
    size_t start = p->i;
    while (p->i < p->n && !strchr(" \t\r\n#,]", p->s[p->i]))
        p->i++;
    const char *t = p->s + start;
    size_t n = p->i - start;
    int c0 = (int)(start - p->line_start) + 1;
    if ((n == 4 && !memcmp(t, "true", 4)) || (n == 5 && !memcmp(t, "false", 5))) {
        v->t = V_BOOL;
        v->b = n == 4;
        return 0;
    }
    char num[64];
    bool is_float;
    if (n && number_shape(t, n, num, sizeof(num), &is_float) == 0) {
        char *end;
        errno = 0;
        if (is_float) {
            v->t = V_FLOAT;
            v->d = strtod(num, &end);
            if (!errno && !*end && isfinite(v->d))
                return 0;
        } else {
            v->t = V_INT;
            v->i = strtoll(num, &end, 10);
            if (!errno && !*end)
                return 0;
        }
        err_at(p, p->line, c0, "number \"%.*s\" out of range", (int)(n > 40 ? 40 : n), t);
        return -1;
    }
    if (!n)
        err_at(p, p->line, c0, "expected a value: a \"string\", a number, true, false or [...]");
    else
        err_at(p, p->line, c0,
               "expected a value: a \"string\", a number, true, false or [...]; got \"%.*s\" "
               "(strings take quotes)",
               (int)(n > 40 ? 40 : n), t);
    return -1;
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
    [F_HASHTAG]        = {"hashtag", V_STR, 1, 128, "a hashtag of 1 to 128 bytes (# optional)"},
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
        if (!bare_char((unsigned char)s[i]))
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
    err_at(p, line, c, "key \"%s\": expected %s; got %s", fields[f].key, fields[f].expects,
           vtype_names[v->t]);
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
        if (!v->s[0])
            goto range;
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
        err_at(p, line, c, "key \"%s\": expected %s; got \"%.60s\"", fd->key, fd->expects, v->s);
    else if (v->t == V_INT)
        err_at(p, line, c, "key \"%s\": expected %s; got %lld", fd->key, fd->expects, v->i);
    else
        err_at(p, line, c, "key \"%s\": expected %s; got %g", fd->key, fd->expects, v->d);
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
    err_at(p, line, c, "key \"region\": unknown region \"%.40s\" (known: all, any, %s)", code,
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
        err_at(p, line, c, "key \"region\": an array of 1 to %d region codes", ALERTS_MAX_REGIONS);
        return -1;
    }
    int bad = 0;
    for (size_t i = 0; i < v->narr; i++) {
        for (size_t j = 0; j < i; j++)
            if (!strcmp(v->arr[i], v->arr[j])) {
                err_at(p, line, c, "key \"region\": \"%.40s\" listed twice", v->arr[i]);
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
        err_at(p, hl, hc, "this [[rule]] has no id (add id = \"NAME\")");
    if (!p->pos[F_KIND].line) {
        err_at(p, hl, hc,
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
                err_at(p, p->pos[f].line, p->pos[f].col,
                       "key \"%s\" does not apply to kind "
                       "\"%s\"%s%s%s",
                       fields[f].key, kind_names[r->kind], subj ? " (it takes \"" : "",
                       subj ? subj : "", subj ? "\")" : "");
            if (wanted && !given)
                err_at(p, hl, hc, "rule \"%s\" of kind \"%s\" needs key \"%s\"",
                       r->id ? r->id : "?", kind_names[r->kind], subj);
        }
        if (p->pos[F_OF].line && r->kind != ALERTS_STANCE_SHARE)
            err_at(p, p->pos[F_OF].line, p->pos[F_OF].col,
                   "key \"of\" applies to kind \"stance_share\" only");
        if (r->scope != ALERTS_OVERALL && r->kind != ALERTS_CALL && r->kind != ALERTS_TOPIC) {
            int l = p->pos[F_REGION].line ? p->pos[F_REGION].line : hl;
            int c = p->pos[F_REGION].line ? p->pos[F_REGION].col : hc;
            err_at(p, l, c,
                   "key \"region\": kind \"%s\" has no per-region counter; region must be "
                   "\"all\"",
                   kind_names[r->kind]);
        }
    }
    if (!(r->resolve_above > r->threshold)) {
        int f = p->pos[F_RESOLVE_ABOVE].line ? F_RESOLVE_ABOVE : F_THRESHOLD;
        int l = p->pos[f].line ? p->pos[f].line : hl, c = p->pos[f].line ? p->pos[f].col : hc;
        err_at(p, l, c, "resolve_above (%g) must be above threshold (%g)", r->resolve_above,
               r->threshold);
    }
    if (r->kind == ALERTS_STANCE_SHARE && !r->of && !(r->of = strdup("all")))
        p->oom = true;
    for (long j = 0; r->id && j < p->cur; j++)
        if (p->set->rules[j].id && !strcmp(p->set->rules[j].id, r->id))
            err_at(p, hl, hc, "duplicate rule id \"%s\" (first on line %d)", r->id,
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
    int line = p->line, c = col(p);
    end_rule(p);
    p->cur_bad_table = false;
    bool arr = p->i + 1 < p->n && p->s[p->i + 1] == '[';
    p->i += arr ? 2 : 1;
    skip_ws(p);
    size_t a = p->i;
    while (p->i < p->n && (bare_char((unsigned char)p->s[p->i]) || p->s[p->i] == '.'))
        p->i++;
    size_t b = p->i;
    skip_ws(p);
    bool closed =
        p->i < p->n && p->s[p->i] == ']' && (!arr || (p->i + 1 < p->n && p->s[p->i + 1] == ']'));
    if (closed)
        p->i += arr ? 2 : 1;
    if (!closed || !rest_is_empty(p)) {
        err_at(p, line, c, "bad table header (expected [rule.NAME] or [[rule]])");
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
            err_at(p, line, c, "rule name \"%s\": expected 1 to 64 of A-Z a-z 0-9 _ -", id);
            free(id);
            p->cur_bad_table = true;
            return;
        }
        begin_rule(p, id, line, c);
        return;
    }
    err_at(p, line, c, "unknown table [%s%.*s%s] (expected [rule.NAME] or [[rule]])",
           arr ? "[" : "", (int)(n > 60 ? 60 : n), name, arr ? "]" : "");
    p->cur_bad_table = true;
}

/* key = value at the cursor (a bare-key character). */
static void parse_keyval(struct parser *p)
{
    int line = p->line, c = col(p);
    size_t a = p->i;
    while (p->i < p->n && bare_char((unsigned char)p->s[p->i]))
        p->i++;
    const char *key = p->s + a;
    size_t kn = p->i - a;
    skip_ws(p);
    if (peek(p) != '=') {
        err_at(p, p->line, col(p), "expected = after key \"%.*s\"%s", (int)(kn > 60 ? 60 : kn), key,
               peek(p) == '.' ? " (dotted keys are not supported)" : "");
        return;
    }
    p->i++;
    skip_ws(p);
    int vline = p->line, vc = col(p);
    struct value v;
    int rc = parse_value(p, &v);
    if (rc) {
        value_free(&v);
        return;
    }
    if (!rest_is_empty(p)) {
        err_at(p, p->line, col(p), "unexpected text after the value of \"%.*s\"",
               (int)(kn > 60 ? 60 : kn), key);
        value_free(&v);
        return;
    }
    if (p->cur_bad_table) {
        value_free(&v);
        return;
    }
    if (p->cur < 0) {
        err_at(p, line, c, "key \"%.*s\" outside a rule: start one with [rule.NAME]",
               (int)(kn > 60 ? 60 : kn), key);
        value_free(&v);
        return;
    }
    int f = field_find(key, kn);
    if (f < 0) {
        char list[600];
        size_t ln = 0;
        for (int i = 0; i < FIELD_COUNT; i++)
            ln += (size_t)snprintf(list + ln, sizeof(list) - ln, "%s%s", i ? ", " : "",
                                   fields[i].key);
        err_at(p, line, c, "unknown key \"%.*s\" (accepted: %s)", (int)(kn > 60 ? 60 : kn), key,
               list);
        value_free(&v);
        return;
    }
    struct alerts_rule *r = &p->set->rules[p->cur];
    if (p->pos[f].line) {
        err_at(p, line, c, "key \"%s\" given twice in this rule (first on line %d)", fields[f].key,
               p->pos[f].line);
    } else if (f == F_ID && p->cur_named) {
        err_at(p, line, c, "key \"id\": the table [rule.%s] names the rule already", r->id);
    } else {
        p->pos[f].line = line;
        p->pos[f].col = c;
        p->pos[f].ok = set_field(p, r, f, &v, vline, vc) == 0;
    }
    value_free(&v);
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
        skip_ws(&p);
        int c = peek(&p);
        if (c == '[')
            parse_header(&p);
        else if (c != -1 && bare_char(c))
            parse_keyval(&p);
        else if (!rest_is_empty(&p))
            err_at(&p, p.line, col(&p), "expected [rule.NAME], key = value or a # comment");
        next_line(&p);
    }
    end_rule(&p);
    if (p.oom) {
        alerts_rules_free(p.set);
        return KZ_ENOMEM;
    }
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
        rc = b.n + k > (16u << 20) ? KZ_ERANGE : buf_put(&b, chunk, k);
    bool bad = ferror(f);
    fclose(f);
    if (rc == KZ_ENOMEM) {
        free(b.p);
        return KZ_ENOMEM;
    }
    if (bad || rc) {
        if (diag)
            diag(ctx, path, 0, 0, bad ? "read error" : "larger than 16 MiB: not a rules file");
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
