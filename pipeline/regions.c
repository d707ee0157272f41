/*
 * regions.c -- what alert rules may name, from the shipped data: the
 * gazetteer's regions as a lookup and an iteration, the shape alert rules
 * take their regions in (alerts.h, struct alerts_regions: the callbacks here
 * match it, so cli/ plugs one into the other without pipeline/ knowing
 * alerts/), and the lexicons' topics.
 *
 * The regions are the gazetteer's places that are not towns (17 oblasts and
 * 3 cities of ISO 3166-2:KZ), in file order, each with its code and its name
 * in one language, copied NUL-terminated (the gazetteer's strings are views
 * into its file).  Codes match ASCII case aside ("kz-47" is "KZ-47").
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pipeline.h"

struct pipeline_regions {
    char **code, **name;
    size_t n;
};

static char *copy(struct kz_str s)
{
    char *p = malloc(s.n + 1);
    if (p) {
        memcpy(p, s.p, s.n);
        p[s.n] = '\0';
    }
    return p;
}

int pipeline_regions_new(const struct nlp_gazetteer *g, enum nlp_names lang,
                         struct pipeline_regions **out)
{
    size_t n = nlp_gazetteer_count(g);
    struct pipeline_regions *r = calloc(1, sizeof(*r));

    *out = NULL;
    if (!r || !(r->code = calloc(n + 1, sizeof(char *))) ||
        !(r->name = calloc(n + 1, sizeof(char *)))) {
        pipeline_regions_free(r);
        return KZ_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const struct nlp_place *p = nlp_gazetteer_place(g, i);
        if (p->kind == NLP_PLACE_TOWN)
            continue;
        struct kz_str name = p->name[lang].n ? p->name[lang] : p->name[NLP_NAMES_EN];
        r->code[r->n] = copy(p->id);
        r->name[r->n] = copy(name);
        if (!r->code[r->n] || !r->name[r->n]) {
            r->n++;
            pipeline_regions_free(r);
            return KZ_ENOMEM;
        }
        r->n++;
    }
    *out = r;
    return 0;
}

void pipeline_regions_free(struct pipeline_regions *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->code && i < r->n; i++) {
        free(r->code[i]);
        free(r->name[i]);
    }
    free(r->code);
    free(r->name);
    free(r);
}

size_t pipeline_regions_count(const struct pipeline_regions *r)
{
    return r ? r->n : 0;
}

int pipeline_regions_lookup(void *ctx, const char *code, const char **name)
{
    const struct pipeline_regions *r = ctx;
    for (size_t i = 0; i < r->n; i++)
        if (!strcasecmp(r->code[i], code)) {
            if (name)
                *name = r->name[i];
            return 1;
        }
    return 0;
}

void pipeline_regions_each(void *ctx, void (*fn)(void *arg, const char *code, const char *name),
                           void *arg)
{
    const struct pipeline_regions *r = ctx;
    for (size_t i = 0; i < r->n; i++)
        fn(arg, r->code[i], r->name[i]);
}

int pipeline_topic_known(void *lexicon, const char *topic)
{
    const struct nlp_lexicon *lx = lexicon;
    size_t n = strlen(topic);

    for (size_t i = 0; i < nlp_lexicon_categories(lx); i++) {
        struct kz_str c = nlp_lexicon_category(lx, i);
        if (c.n == 6 + n && !memcmp(c.p, "topic/", 6) && !memcmp(c.p + 6, topic, n))
            return 1;
    }
    return 0;
}
