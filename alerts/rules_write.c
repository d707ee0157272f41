/*
 * rules_write.c -- the canonical text of a rule set, and rule equality.
 *
 * Canonical: one [rule.ID] table per rule in the set's order, every field in
 * alerts_int.h's order, defaults written out, strings escaped as TOML basic
 * strings (", \ and control characters; UTF-8 as it is), reals in the
 * shortest form that reads back to the same double.  The fuzz target holds
 * the parser to it: what parses, written and parsed again, is the same set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts_int.h"

static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7F)
            fprintf(f, "\\u%04X", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* The shortest %g that reads back as d, always with a '.' or an exponent. */
static void put_real(FILE *f, double d)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".eE"))
        strcat(buf, ".0");
    fputs(buf, f);
}

int alerts_rules_write(const struct alerts_rules *set, FILE *f)
{
    for (size_t i = 0; i < set->n; i++) {
        const struct alerts_rule *r = &set->rules[i];
        const char *subj = alerts_kind_subject(r->kind);
        fprintf(f, "%s[rule.%s]\nkind = \"%s\"\nregion = ", i ? "\n" : "", r->id,
                alerts_kind_name(r->kind));
        if (r->scope == ALERTS_OVERALL) {
            fputs("\"all\"", f);
        } else if (r->scope == ALERTS_EACH_REGION) {
            fputs("\"any\"", f);
        } else if (r->nregions == 1) {
            put_string(f, r->regions[0]);
        } else {
            fputc('[', f);
            for (size_t j = 0; j < r->nregions; j++) {
                fputs(j ? ", " : "", f);
                put_string(f, r->regions[j]);
            }
            fputc(']', f);
        }
        fputc('\n', f);
        if (subj && r->subject) {
            fprintf(f, "%s = ", subj);
            put_string(f, r->subject);
            fputc('\n', f);
        }
        if (r->kind == ALERTS_STANCE_SHARE && r->of) {
            fputs("of = ", f);
            put_string(f, r->of);
            fputc('\n', f);
        }
        fprintf(f, "window = %d\nbaseline_weeks = %d\nmin_count = %lld\nmin_authors = %lld\n",
                r->window, r->baseline_weeks, (long long)r->min_count, (long long)r->min_authors);
        fputs("threshold = ", f);
        put_real(f, r->threshold);
        fprintf(f, "\nseverity = \"%s\"\ncooldown = %d\nresolve_after = %d\nresolve_above = ",
                alerts_severity_name(r->severity), r->cooldown, r->resolve_after);
        put_real(f, r->resolve_above);
        fprintf(f, "\nenabled = %s\n", r->enabled ? "true" : "false");
        if (r->description) {
            fputs("description = ", f);
            put_string(f, r->description);
            fputc('\n', f);
        }
    }
    return ferror(f) ? KZ_EIO : 0;
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

int alerts_rules_equal(const struct alerts_rules *a, const struct alerts_rules *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct alerts_rule *x = &a->rules[i], *y = &b->rules[i];
        if (!same_str(x->id, y->id) || x->kind != y->kind || !same_str(x->subject, y->subject) ||
            !same_str(x->of, y->of) || x->scope != y->scope || x->nregions != y->nregions ||
            x->window != y->window || x->baseline_weeks != y->baseline_weeks ||
            x->min_count != y->min_count || x->min_authors != y->min_authors ||
            x->threshold != y->threshold || x->severity != y->severity ||
            x->cooldown != y->cooldown || x->resolve_after != y->resolve_after ||
            x->resolve_above != y->resolve_above || x->enabled != y->enabled ||
            !same_str(x->description, y->description))
            return 0;
        for (size_t j = 0; j < x->nregions; j++)
            if (strcmp(x->regions[j], y->regions[j]))
                return 0;
    }
    return 1;
}
