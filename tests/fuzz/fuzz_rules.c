/*
 * fuzz_rules.c -- libFuzzer target for the alert rules parser
 * (alerts_rules_parse) and its canonical writer (alerts_rules_write).
 *
 * Each input is one rules file.  Invariants besides the sanitizers: a parse
 * either fails -- with as many diagnostics as the errors it counts (beyond
 * ALERTS_MAX_DIAGS, that many and one "N more"), each with a line of the
 * input, a column from 1 and a message -- or yields rules that
 * the canonical writer prints, and that text parses with no error to the same
 * rules (alerts_rules_equal), and prints back to the same bytes.  Every
 * rule's store dimension is asked for each of its regions (it fits or is
 * refused, never overflows).
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz tests/fuzz/fuzz_rules
 *   build-fuzz/tests/fuzz/fuzz_rules -max_total_time=600 /tmp/fz-rules tests/fuzz/corpus_rules
 * Dictionary: rules.dict (tests/fuzz/run.sh passes it with -dict=).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    long count;
    int max_line;
};

static void diag(void *ctx, const char *file, int line, int col, const char *msg)
{
    struct seen *s = ctx;
    (void)file;
    if (line < 1 || line > s->max_line || col < 1 || !msg || !*msg)
        abort();
    s->count++;
}

static char *canonical(const struct alerts_rules *r, size_t *n)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, n);
    if (!f)
        abort();
    if (alerts_rules_write(r, f))
        abort();
    fclose(f);
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct seen s = {0, 1};
    struct alerts_rules *r, *r2;
    for (size_t i = 0; i < size; i++)
        s.max_line += data[i] == '\n';

    long n = alerts_rules_parse("f", (const char *)data, size, NULL, diag, &s, &r);
    if (n == KZ_ENOMEM)
        return 0;
    long shown = n > ALERTS_MAX_DIAGS ? ALERTS_MAX_DIAGS + 1 : n; /* + "N more" */
    if (n < 0 || (n > 0) != (r == NULL) || s.count != shown)
        abort();
    if (n)
        return 0;

    for (size_t i = 0; i < r->n; i++) {
        const struct alerts_rule *x = &r->rules[i];
        char dim[160];
        int rc = alerts_rule_dim(x, NULL, dim, sizeof(dim));
        if (rc && rc != KZ_EUNSUPPORTED && rc != KZ_ERANGE)
            abort();
        for (size_t j = 0; j < x->nregions; j++) {
            rc = alerts_rule_dim(x, x->regions[j], dim, sizeof(dim));
            if (rc && rc != KZ_EUNSUPPORTED && rc != KZ_ERANGE)
                abort();
        }
    }

    size_t tn, tn2;
    char *text = canonical(r, &tn);
    struct seen s2 = {0, 1};
    for (size_t i = 0; i < tn; i++)
        s2.max_line += text[i] == '\n';
    long n2 = alerts_rules_parse("canonical", text, tn, NULL, diag, &s2, &r2);
    if (n2 == KZ_ENOMEM) {
        free(text);
        alerts_rules_free(r);
        return 0;
    }
    if (n2 != 0 || !alerts_rules_equal(r, r2))
        abort(); /* the canonical text is a rules file for the same rules */
    char *text2 = canonical(r2, &tn2);
    if (tn != tn2 || memcmp(text, text2, tn))
        abort(); /* and writing is a fixed point */
    free(text);
    free(text2);
    alerts_rules_free(r);
    alerts_rules_free(r2);
    return 0;
}
