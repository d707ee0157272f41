/*
 * regions.c -- region codes for rules, and the store dimension of a rule.
 *
 * Rules name regions by their ISO 3166-2:KZ code (KZ-47).  Which codes
 * exist, and their names, is the gazetteer's business (issue 15 builds it on
 * another branch); until it plugs in through struct alerts_regions, the 20
 * codes in force since the 2022 reform (17 oblasts, 3 cities of republican
 * significance) are listed here, named in Kazakh.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts_int.h"

/* clang-format off */
static const char *const iso_kz[][2] = {
    {"KZ-10", "Абай облысы"},         {"KZ-11", "Ақмола облысы"},
    {"KZ-15", "Ақтөбе облысы"},       {"KZ-19", "Алматы облысы"},
    {"KZ-23", "Атырау облысы"},       {"KZ-27", "Батыс Қазақстан облысы"},
    {"KZ-31", "Жамбыл облысы"},       {"KZ-33", "Жетісу облысы"},
    {"KZ-35", "Қарағанды облысы"},    {"KZ-39", "Қостанай облысы"},
    {"KZ-43", "Қызылорда облысы"},    {"KZ-47", "Маңғыстау облысы"},
    {"KZ-55", "Павлодар облысы"},     {"KZ-59", "Солтүстік Қазақстан облысы"},
    {"KZ-61", "Түркістан облысы"},    {"KZ-62", "Ұлытау облысы"},
    {"KZ-63", "Шығыс Қазақстан облысы"}, {"KZ-71", "Астана"},
    {"KZ-75", "Алматы"},              {"KZ-79", "Шымкент"},
};
/* clang-format on */

static int iso_lookup(void *ctx, const char *code, const char **name)
{
    (void)ctx;
    for (size_t i = 0; i < KZ_ARRAY_LEN(iso_kz); i++)
        if (!strcmp(iso_kz[i][0], code)) {
            if (name)
                *name = iso_kz[i][1];
            return 1;
        }
    return 0;
}

static void iso_each(void *ctx, void (*fn)(void *arg, const char *code, const char *name),
                     void *arg)
{
    (void)ctx;
    for (size_t i = 0; i < KZ_ARRAY_LEN(iso_kz); i++)
        fn(arg, iso_kz[i][0], iso_kz[i][1]);
}

const struct alerts_regions alerts_regions_iso = {iso_lookup, iso_each, NULL};

int alerts_region_dim(const char *code, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "region:%s", code);
    for (size_t i = 7; n > 0 && i < outlen && out[i]; i++)
        out[i] = (char)tolower((unsigned char)out[i]);
    return n;
}

int alerts_rule_dim(const struct alerts_rule *r, const char *region, char *out, size_t outlen)
{
    char reg[96] = "";
    int n;
    if (region && alerts_region_dim(region, reg, sizeof(reg)) >= (int)sizeof(reg))
        return KZ_ERANGE;
    switch (r->kind) {
    case ALERTS_CALL:
        n = snprintf(out, outlen, "mob:call%s%s", region ? "|" : "", reg);
        break;
    case ALERTS_TOPIC:
        n = snprintf(out, outlen, "topic:%s%s%s", r->subject, region ? "|" : "", reg);
        break;
    case ALERTS_STANCE_SHARE:
        if (region)
            return KZ_EUNSUPPORTED;
        /* the stance's posts among those of `of` (a topic: its cross) */
        if (r->of && !strncmp(r->of, "topic:", 6))
            n = snprintf(out, outlen, "%s|stance:%s", r->of, r->subject);
        else
            n = snprintf(out, outlen, "stance:%s", r->subject);
        break;
    case ALERTS_TERM_SURGE:
    case ALERTS_HASHTAG_SURGE: {
        /* a watched member's own dimension (agg_batch_set_watch), folded as
         * the store folds: ASCII only (the subject is the store's form) */
        if (region)
            return KZ_EUNSUPPORTED;
        n = snprintf(out, outlen, "%s:%s", r->kind == ALERTS_TERM_SURGE ? "term" : "hashtag",
                     r->subject);
        for (char *c = out; n > 0 && (size_t)n < outlen && *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        break;
    }
    default:
        return KZ_EUNSUPPORTED;
    }
    return n < 0 || (size_t)n >= outlen ? KZ_ERANGE : 0;
}

int alerts_rules_watch(const struct alerts_rules *rules, char ***out, size_t *n)
{
    char **v = NULL, dim[256];
    size_t k = 0;

    *out = NULL;
    *n = 0;
    if (rules->n && !(v = calloc(rules->n, sizeof *v)))
        return KZ_ENOMEM;
    for (size_t i = 0; i < rules->n; i++) {
        const struct alerts_rule *r = &rules->rules[i];
        size_t j;
        if (!r->enabled || (r->kind != ALERTS_TERM_SURGE && r->kind != ALERTS_HASHTAG_SURGE) ||
            alerts_rule_dim(r, NULL, dim, sizeof dim))
            continue;
        for (j = 0; j < k && strcmp(v[j], dim); j++)
            ;
        if (j < k)
            continue;
        if (!(v[k] = strdup(dim))) {
            agg_watch_free(v, k);
            return KZ_ENOMEM;
        }
        k++;
    }
    if (!k) {
        free(v);
        v = NULL;
    }
    *out = v;
    *n = k;
    return 0;
}

int alerts_rules_normalize(struct alerts_rules *rules,
                           int (*hashtag_form)(void *ctx, const char *in, char *out, size_t len),
                           void *ctx, char *err, size_t errlen)
{
    char form[256];
    for (size_t i = 0; i < rules->n; i++) {
        struct alerts_rule *r = &rules->rules[i];
        if (r->kind != ALERTS_HASHTAG_SURGE || !r->subject)
            continue;
        int rc = hashtag_form(ctx, r->subject, form, sizeof form);
        if (rc == KZ_ENOMEM)
            return rc;
        if (rc) {
            snprintf(err, errlen,
                     "rule %s (line %d): hashtag \"%.60s\" is not one hashtag as posts write it",
                     r->id, r->line, r->subject);
            return KZ_EINVAL;
        }
        char *s = strdup(form);
        if (!s)
            return KZ_ENOMEM;
        free(r->subject);
        r->subject = s;
    }
    return 0;
}
