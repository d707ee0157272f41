/*
 * dims.c -- which dimensions a query may name, and the values each kind takes.
 *
 * A query for a dimension nobody counts ("topics:protest", "region:mars",
 * "stance:maybe") would read as a series of zeros, which an analyst takes for
 * a fact.  So every query's argument is checked first (pipeline_query_check,
 * called by pipeline_query_render for every query), against the grammar of
 * aggregate.h's dimensions and the known values of each kind:
 *
 *   all | KIND:VALUE | a cross: topic:<t>|region:<r>, topic:<t>|stance:<s>,
 *                               stance:<s>|lang:<l>, topic:<t>|platform:<p>
 *
 * Known values (pipeline_dim_values, the one place that says them): stance
 * and mob are fixed; topic is the loaded lexicons' categories; region and
 * city are the gazetteer's ISO 3166-2:KZ codes and town slugs (compiled into
 * the lexicons as region/<code> and city/<slug> categories) plus
 * region:unknown; each together with whatever the store counted over the
 * window (a store filled by `kzpulse run` may have lexicons of its own);
 * platform and lang take any value of their syntax, since any source may
 * bring a new one.  Values are folded as aggregate.h folds them (ASCII
 * lower case), so "region:KZ-47" asks for the counter region:kz-47; a region
 * or town given by name ("region:astana") is refused with the code to use.
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

/* ---------------------------------------------------------------------------
 * Kinds and their values
 * ------------------------------------------------------------------------ */

static const char *const kinds[] = {"platform", "lang", "region", "city", "topic", "stance", "mob"};

/* The crosses the store counts, as "first|second" kinds (aggregate.h). */
static const char *const crosses[][2] = {
    {"topic", "region"},
    {"topic", "stance"},
    {"stance", "lang"},
    {"topic", "platform"},
};

static bool is_kind(const char *k, size_t n)
{
    for (size_t i = 0; i < KZ_ARRAY_LEN(kinds); i++)
        if (strlen(kinds[i]) == n && !memcmp(kinds[i], k, n))
            return true;
    return false;
}

/* A value's syntax: lower-case letters, digits, '_', '-', '.', or UTF-8
 * beyond ASCII (values are folded as aggregate.h says). */
static bool value_syntax(const char *v, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (!(c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* ASCII upper case to lower, in place: the store's folding of values. */
static void fold_ascii(char *v)
{
    for (; *v; v++)
        if (*v >= 'A' && *v <= 'Z')
            *v = (char)(*v - 'A' + 'a');
}

static int add_value(struct pipeline_values *vals, const char *v, size_t n)
{
    char tmp[256];
    if (n < sizeof(tmp)) {
        memcpy(tmp, v, n);
        tmp[n] = '\0';
        fold_ascii(tmp);
        v = tmp;
    }
    for (size_t i = 0; i < vals->n; i++)
        if (strlen(vals->v[i]) == n && !memcmp(vals->v[i], v, n))
            return 0;
    if (vals->n == vals->cap) {
        size_t cap = vals->cap ? vals->cap * 2 : 32;
        char **nv = realloc(vals->v, cap * sizeof(char *));
        if (!nv)
            return KZ_ENOMEM;
        vals->v = nv;
        vals->cap = cap;
    }
    if (!(vals->v[vals->n] = strndup(v, n)))
        return KZ_ENOMEM;
    vals->n++;
    return 0;
}

void pipeline_values_free(struct pipeline_values *vals)
{
    for (size_t i = 0; i < vals->n; i++)
        free(vals->v[i]);
    free(vals->v);
    memset(vals, 0, sizeof(*vals));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int pipeline_dim_values(const struct pipeline_known *known, const char *kind,
                        struct pipeline_values *out)
{
    int rc = 0;
    memset(out, 0, sizeof(*out));
    if (!strcmp(kind, "stance")) {
        rc = add_value(out, "pro_ukraine", 11);
        if (!rc)
            rc = add_value(out, "pro_russia", 10);
        if (rc)
            pipeline_values_free(out);
        return rc ? rc : 1;
    }
    if (!strcmp(kind, "mob")) {
        if (add_value(out, "call", 4)) {
            pipeline_values_free(out);
            return KZ_ENOMEM;
        }
        return 1;
    }
    if (strcmp(kind, "topic") && strcmp(kind, "region") && strcmp(kind, "city"))
        return 0; /* platform, lang: any value of their syntax */
    if (!strcmp(kind, "region") && (rc = add_value(out, "unknown", 7)))
        return rc;

    size_t klen = strlen(kind);
    for (size_t i = 0; i < nlp_lexicon_categories(known->lexicon) && !rc; i++) {
        struct kz_str c = nlp_lexicon_category(known->lexicon, i);
        if (c.n > klen + 1 && !memcmp(c.p, kind, klen) && c.p[klen] == '/')
            rc = add_value(out, c.p + klen + 1, c.n - klen - 1);
    }
    if (!rc && known->store && known->to_ms > known->from_ms) {
        char prefix[16], err[256];
        struct agg_dimcounts d = {0};
        snprintf(prefix, sizeof(prefix), "%s:", kind);
        if (agg_store_dims(known->store, AGG_HOUR, prefix,
                           known->from_ms / AGG_HOUR_MS * AGG_HOUR_MS, known->to_ms, &d, err,
                           sizeof(err)) == 0) {
            for (size_t i = 0; i < d.n && !rc; i++)
                if (!strchr(d.items[i].dim, '|'))
                    rc = add_value(out, d.items[i].dim + klen + 1,
                                   strlen(d.items[i].dim) - klen - 1);
            agg_dimcounts_free(&d);
        }
    }
    if (rc) {
        pipeline_values_free(out);
        return rc;
    }
    if (out->n)
        qsort(out->v, out->n, sizeof(char *), cmp_str);
    return 1;
}

/* ---------------------------------------------------------------------------
 * Checking a query's argument
 * ------------------------------------------------------------------------ */

/* "known: a, b, c" (at most a screenful) after what err already holds. */
static void list_values(const struct pipeline_values *vals, char *err, size_t errlen)
{
    size_t used = strlen(err);
    for (size_t i = 0; i < vals->n && used + 1 < errlen; i++) {
        int w = snprintf(err + used, errlen - used, "%s%s", i ? ", " : "", vals->v[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (!vals->n && used + 1 < errlen)
        snprintf(err + used, errlen - used, "(none: no lexicons loaded and none counted)");
}

static const char dim_grammar[] =
    "all, platform:<p>, lang:<l>, region:<r>, city:<c>, topic:<t>, stance:<s>, mob:call, or a "
    "cross "
    "topic:<t>|region:<r>, topic:<t>|stance:<s>, stance:<s>|lang:<l>, topic:<t>|platform:<p>";

/* One KIND:VALUE part of a dimension (n bytes at d); prefix: the value may be
 * cut short (a dims prefix), or absent.  Puts the kind in kind[]. */
static int check_part(const struct pipeline_known *known, const char *dim, const char *d, size_t n,
                      bool prefix, char *kind, size_t kindlen, char *err, size_t errlen)
{
    const char *colon = memchr(d, ':', n);
    if (!colon || !is_kind(d, (size_t)(colon - d))) {
        snprintf(err, errlen, "unknown dimension \"%s\": expected %s", dim, dim_grammar);
        return KZ_EINVAL;
    }
    snprintf(kind, kindlen, "%.*s", (int)(colon - d), d);
    const char *v = colon + 1;
    size_t vn = n - (size_t)(v - d);
    if (prefix && !vn)
        return 0;
    char folded[256];
    if (vn < sizeof(folded)) { /* "region:KZ-47" is the counter region:kz-47 */
        memcpy(folded, v, vn);
        folded[vn] = '\0';
        fold_ascii(folded);
        v = folded;
    }
    if (!value_syntax(v, vn)) {
        snprintf(err, errlen,
                 "unknown dimension \"%s\": a %s value is lower-case letters, digits, '_', '-' "
                 "or '.'",
                 dim, kind);
        return KZ_EINVAL;
    }
    struct pipeline_values vals;
    int rc = pipeline_dim_values(known, kind, &vals);
    if (rc <= 0)
        return rc; /* any value of the syntax, or out of memory */
    bool found = false;
    for (size_t i = 0; i < vals.n && !found; i++)
        found = prefix ? !strncmp(vals.v[i], v, vn)
                       : strlen(vals.v[i]) == vn && !memcmp(vals.v[i], v, vn);
    if (!found) {
        /* a place given by name: say which code or slug counts it */
        const struct nlp_gazetteer *g =
            known->lexicon ? nlp_lexicon_gazetteer(known->lexicon) : NULL;
        const struct nlp_place *pl = g && (!strcmp(kind, "region") || !strcmp(kind, "city"))
                                         ? nlp_gazetteer_find(g, v, vn)
                                         : NULL;
        if (pl) {
            const struct nlp_place *r = nlp_gazetteer_region_of(g, pl);
            snprintf(err, errlen,
                     "unknown %s \"%.*s\" in \"%s\": regions are ISO 3166-2:KZ codes, towns "
                     "city:<slug>; \"%.*s\" is %s:%.*s (%.*s)",
                     kind, (int)vn, v, dim, (int)vn, v,
                     pl->kind == NLP_PLACE_TOWN ? "city" : "region", (int)pl->id.n, pl->id.p,
                     (int)r->name[NLP_NAMES_EN].n, r->name[NLP_NAMES_EN].p);
        } else {
            snprintf(err, errlen, "unknown %s \"%.*s\" in \"%s\"; known: ", kind, (int)vn, v, dim);
            list_values(&vals, err, errlen);
        }
    }
    pipeline_values_free(&vals);
    return found ? 0 : KZ_EINVAL;
}

/* The argument is the user's, quoted in the message: a control character in
 * it (a newline) must not break the one line. */
static int one_line(int rc, char *err)
{
    for (char *c = err; rc && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return rc;
}

static int dim_check(const struct pipeline_known *known, const char *dim, bool prefix, char *err,
                     size_t errlen)
{
    char k1[16] = "", k2[16] = "";
    int rc;

    if (!strcmp(dim, "all"))
        return 0;
    const char *bar = strchr(dim, '|');
    if (!bar)
        return check_part(known, dim, dim, strlen(dim), prefix, k1, sizeof(k1), err, errlen);
    if ((rc = check_part(known, dim, dim, (size_t)(bar - dim), false, k1, sizeof(k1), err,
                         errlen)) ||
        (rc =
             check_part(known, dim, bar + 1, strlen(bar + 1), prefix, k2, sizeof(k2), err, errlen)))
        return rc;
    for (size_t i = 0; i < KZ_ARRAY_LEN(crosses); i++) {
        if (!strcmp(crosses[i][0], k1) && !strcmp(crosses[i][1], k2))
            return 0;
        if (!strcmp(crosses[i][0], k2) && !strcmp(crosses[i][1], k1)) {
            snprintf(err, errlen, "unknown dimension \"%s\": the cross is counted as %s:...|%s:...",
                     dim, k2, k1);
            return KZ_EINVAL;
        }
    }
    snprintf(err, errlen, "unknown dimension \"%s\": %s and %s are not crossed; expected %s", dim,
             k1, k2, dim_grammar);
    return KZ_EINVAL;
}

int pipeline_dim_check(const struct pipeline_known *known, const char *dim, bool prefix, char *err,
                       size_t errlen)
{
    return one_line(dim_check(known, dim, prefix, err, errlen), err);
}

static int query_check(const struct pipeline_query *q, const struct pipeline_known *known,
                       char *err, size_t errlen)
{
    if (!strcmp(q->what, "top")) {
        if (agg_top_kind_parse(q->arg) >= 0)
            return 0;
        snprintf(err, errlen, "top: expected one of hashtag, term, channel; got \"%s\"", q->arg);
        return KZ_EINVAL;
    }
    if (!strcmp(q->what, "distinct") && strcmp(q->arg, "all") && strncmp(q->arg, "topic:", 6) &&
        strncmp(q->arg, "region:", 7)) {
        snprintf(err, errlen,
                 "distinct: authors are counted for all, topic:<t> and region:<r>; got \"%s\"",
                 q->arg);
        return KZ_EINVAL;
    }
    if (!strcmp(q->what, "dims") && !strchr(q->arg, ':')) {
        snprintf(err, errlen,
                 "dims: expected a prefix such as topic: or topic:protest|region:; got "
                 "\"%s\"",
                 q->arg);
        return KZ_EINVAL;
    }
    return dim_check(known, q->arg, !strcmp(q->what, "dims"), err, errlen);
}

int pipeline_query_check(const struct pipeline_query *q, const struct pipeline_known *known,
                         char *err, size_t errlen)
{
    return one_line(query_check(q, known, err, errlen), err);
}
