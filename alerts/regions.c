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
    default:
        return KZ_EUNSUPPORTED; /* top-k members: hour buckets only, for now */
    }
    return n < 0 || (size_t)n >= outlen ? KZ_ERANGE : 0;
}
