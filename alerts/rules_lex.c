/*
 * rules_lex.c -- the rules file's lexical layer: the cursor over lines, the
 * values of the TOML subset (basic and literal strings with TOML's escapes,
 * integers and floats in TOML's shapes, booleans, arrays of strings that may
 * span lines), and the diagnostics.
 *
 * The cursor counts lines from 1 and columns in bytes from 1.  A value that
 * cannot be read is reported where it starts (or at the offending escape or
 * byte) and the caller skips the rest of the line.  Diagnostics are
 * collected, then handed to the caller's callback sorted by line and column
 * (rules_diag_flush), since a rule's cross-key checks run when its table
 * ends, after the errors of later lines were found.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts_int.h"

const char *rules_vtype_name(enum vtype t)
{
    static const char *const names[] = {"a string", "an integer", "a number", "a boolean",
                                        "an array"};
    return (unsigned)t < KZ_ARRAY_LEN(names) ? names[t] : "?";
}

/* ---------------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------------ */

void rules_value_free(struct value *v)
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

int rules_col(const struct parser *p)
{
    return (int)(p->i - p->line_start) + 1;
}

void rules_err(struct parser *p, int line, int c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    p->nerr++;
    if (!p->diag)
        return;
    if (p->ndiags == p->capdiags) {
        size_t cap = p->capdiags ? p->capdiags * 2 : 16;
        struct rules_diag *d = realloc(p->diags, cap * sizeof(*d));
        if (!d) {
            p->oom = true;
            return;
        }
        p->diags = d;
        p->capdiags = cap;
    }
    struct rules_diag *d = &p->diags[p->ndiags];
    if (!(d->msg = strdup(msg))) {
        p->oom = true;
        return;
    }
    d->line = line;
    d->col = c;
    d->seq = p->ndiags++;
}

static int diag_cmp(const void *a, const void *b)
{
    const struct rules_diag *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void rules_diag_flush(struct parser *p)
{
    if (p->ndiags) /* qsort's base must not be NULL, even for 0 elements */
        qsort(p->diags, p->ndiags, sizeof(*p->diags), diag_cmp);
    for (size_t i = 0; i < p->ndiags; i++) {
        if (i < ALERTS_MAX_DIAGS)
            p->diag(p->ctx, p->file, p->diags[i].line, p->diags[i].col, p->diags[i].msg);
        free(p->diags[i].msg);
    }
    if (p->ndiags > ALERTS_MAX_DIAGS) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%zu more errors not shown", p->ndiags - ALERTS_MAX_DIAGS);
        p->diag(p->ctx, p->file, p->diags[ALERTS_MAX_DIAGS].line, 1, msg);
    }
    free(p->diags);
    p->diags = NULL;
    p->ndiags = p->capdiags = 0;
}

int rules_peek(const struct parser *p)
{
    return p->i < p->n ? (unsigned char)p->s[p->i] : -1;
}

void rules_skip_ws(struct parser *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t'))
        p->i++;
}

bool rules_at_eol(const struct parser *p)
{
    int c = rules_peek(p);
    return c == -1 || c == '\n' || (c == '\r' && p->i + 1 < p->n && p->s[p->i + 1] == '\n');
}

/* Past the end of the current line (its newline included). */
void rules_next_line(struct parser *p)
{
    while (p->i < p->n && p->s[p->i] != '\n')
        p->i++;
    if (p->i < p->n)
        p->i++;
    p->line++;
    p->line_start = p->i;
}

/* White space, then a comment or nothing up to the end of the line. */
bool rules_rest_is_empty(struct parser *p)
{
    rules_skip_ws(p);
    if (rules_peek(p) == '#') {
        while (p->i < p->n && p->s[p->i] != '\n' && p->s[p->i] != '\r')
            p->i++;
    }
    return rules_at_eol(p);
}

/* White space, comments and newlines (inside an array). */
static void rules_skip_ws_nl(struct parser *p)
{
    for (;;) {
        rules_skip_ws(p);
        int c = rules_peek(p);
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

bool rules_bare_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* ---------------------------------------------------------------------------
 * Strings
 * ------------------------------------------------------------------------ */

int rules_buf_put(struct buf *b, const char *s, size_t n)
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
    return rules_buf_put(b, e, k) ? -2 : 0;
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
    int line = p->line, c0 = rules_col(p);
    struct buf b = {0};
    p->i++;
    for (;;) {
        if (p->i >= p->n || p->s[p->i] == '\n' || p->s[p->i] == '\r') {
            rules_err(p, line, c0, "unterminated string (strings end on their line)");
            free(b.p);
            return -1;
        }
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == (unsigned char)q) {
            p->i++;
            break;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
            rules_err(p, p->line, rules_col(p),
                      "control character 0x%02X in a string (write it escaped)", c);
            free(b.p);
            return -1;
        }
        if (c == '\\' && q == '"') {
            int ec = rules_col(p);
            char e = p->i + 1 < p->n ? p->s[p->i + 1] : '\0';
            const char *plain = strchr("btnfr\"\\", e) && e ? "\b\t\n\f\r\"\\" : NULL;
            if (plain) {
                char ch = plain[strchr("btnfr\"\\", e) - "btnfr\"\\"];
                if (rules_buf_put(&b, &ch, 1))
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
                    rules_err(p, p->line, ec,
                              "bad escape: \\%c takes %zu hex digits of a Unicode scalar value "
                              "other than 0",
                              e, k);
                    free(b.p);
                    return -1;
                }
                p->i += 2 + k;
                continue;
            }
            rules_err(p, p->line, ec,
                      "unknown escape \\%c (accepted: \\\" \\\\ \\b \\t \\n \\f \\r "
                      "\\uXXXX \\UXXXXXXXX)",
                      e ? e : ' ');
            free(b.p);
            return -1;
        }
        size_t k = utf8_len((const unsigned char *)p->s + p->i, p->n - p->i);
        if (!k) {
            rules_err(p, p->line, rules_col(p), "a string is not valid UTF-8 here");
            free(b.p);
            return -1;
        }
        if (rules_buf_put(&b, p->s + p->i, k))
            goto oom;
        p->i += k;
    }
    if (!b.p && rules_buf_put(&b, "", 0))
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

static int parse_array(struct parser *p, struct value *v)
{
    int line = p->line, c0 = rules_col(p);
    v->t = V_ARRAY;
    p->i++; /* [ */
    for (;;) {
        rules_skip_ws_nl(p);
        if (rules_peek(p) == ']') {
            p->i++;
            return 0;
        }
        if (rules_peek(p) == -1) {
            rules_err(p, line, c0, "unterminated array (no closing ])");
            return -1;
        }
        if (rules_peek(p) != '"' && rules_peek(p) != '\'') {
            rules_err(p, p->line, rules_col(p), "arrays hold strings only here");
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
        rules_skip_ws_nl(p);
        if (rules_peek(p) == ',') {
            p->i++;
        } else if (rules_peek(p) == -1) {
            rules_err(p, line, c0, "unterminated array (no closing ])");
            return -1;
        } else if (rules_peek(p) != ']') {
            rules_err(p, p->line, rules_col(p), "expected , or ] in the array");
            return -1;
        }
    }
}

int rules_parse_value(struct parser *p, struct value *v)
{
    int c = rules_peek(p);
    memset(v, 0, sizeof(*v));
    if (c == '"' || c == '\'') {
        v->t = V_STR;
        if (c == '"' && p->i + 2 < p->n && p->s[p->i + 1] == '"' && p->s[p->i + 2] == '"') {
            rules_err(p, p->line, rules_col(p), "multi-line strings are not supported here");
            return -1;
        }
        return parse_string(p, &v->s);
    }
    if (c == '[')
        return parse_array(p, v);
    if (c == '{') {
        rules_err(p, p->line, rules_col(p), "inline tables are not supported here");
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
        rules_err(p, p->line, c0, "number \"%.*s\" out of range", (int)(n > 40 ? 40 : n), t);
        return -1;
    }
    if (!n)
        rules_err(p, p->line, c0, "expected a value: a \"string\", a number, true, false or [...]");
    else
        rules_err(p, p->line, c0,
                  "expected a value: a \"string\", a number, true, false or [...]; got \"%.*s\" "
                  "(strings take quotes)",
                  (int)(n > 40 ? 40 : n), t);
    return -1;
}
