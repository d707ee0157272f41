/*
 * alerts_int.h -- what the files of alerts/ share and no other module sees:
 * the rule fields' order (rules.c's table, rules_write.c's writer) and the
 * helpers both use.
 */
#ifndef KZ_ALERTS_INT_H
#define KZ_ALERTS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "alerts.h"

/* The keys of a rule table, in the canonical writer's order. */
enum alerts_field {
    F_ID = 0,
    F_KIND,
    F_REGION,
    F_TOPIC,
    F_STANCE,
    F_OF,
    F_TERM,
    F_HASHTAG,
    F_WINDOW,
    F_BASELINE_WEEKS,
    F_MIN_COUNT,
    F_MIN_AUTHORS,
    F_THRESHOLD,
    F_SEVERITY,
    F_COOLDOWN,
    F_RESOLVE_AFTER,
    F_RESOLVE_ABOVE,
    F_ENABLED,
    F_DESCRIPTION,
    FIELD_COUNT
};

/* ---------------------------------------------------------------------------
 * The rules parser (rules.c: fields and tables; rules_lex.c: cursor, values)
 * ------------------------------------------------------------------------ */

enum vtype { V_STR, V_INT, V_FLOAT, V_BOOL, V_ARRAY };

/* A value as read; strings are NUL-terminated, valid UTF-8, owned. */
struct value {
    enum vtype t;
    char *s; /* V_STR */
    long long i;
    double d;
    bool b;
    char **arr; /* V_ARRAY: strings */
    size_t narr;
};

struct rules_diag {
    int line, col;
    size_t seq; /* order found, for a stable sort */
    char *msg;
};

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
    struct rules_diag *diags; /* collected, flushed sorted */
    size_t ndiags, capdiags;
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

struct buf {
    char *p;
    size_t n, cap;
};

int rules_buf_put(struct buf *b, const char *s, size_t n); /* 0 or KZ_ENOMEM */

const char *rules_vtype_name(enum vtype t); /* "a string", ... */
void rules_value_free(struct value *v);

int rules_col(const struct parser *p); /* the cursor's column */
/* Report an error at line:col (collected; flushed sorted). */
void rules_err(struct parser *p, int line, int c, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void rules_diag_flush(struct parser *p); /* to p->diag in line order, then freed */

int rules_peek(const struct parser *p); /* the byte at the cursor, -1 at the end */
void rules_skip_ws(struct parser *p);
bool rules_at_eol(const struct parser *p);
void rules_next_line(struct parser *p);     /* past the current line's newline */
bool rules_rest_is_empty(struct parser *p); /* white space and a comment to the end */
bool rules_bare_char(int c);                /* A-Z a-z 0-9 _ - */
/* A value at the cursor: 0, -1 (reported) or KZ_ENOMEM (p->oom set). */
int rules_parse_value(struct parser *p, struct value *v);

/* The key naming a kind's subject ("topic", "stance", ...), NULL for call. */
const char *alerts_kind_subject(enum alerts_kind k);
/* Free a rule's strings and zero it. */
void alerts_rule_clear(struct alerts_rule *r);

#endif /* KZ_ALERTS_INT_H */
