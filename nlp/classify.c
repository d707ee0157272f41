/*
 * classify.c -- lexicon compilation and nlp_classify() (first cut).
 *
 * Until issue 4 lands, an empty lexicon set compiles to an empty lexicon and a
 * non-empty one is refused with KZ_EUNSUPPORTED; nlp_classify() fills only the
 * language and script of the verdict (no topics, no stance, no mobilization).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlp_int.h"

struct nlp_lexicon {
    size_t nentries;
};

int nlp_lexicon_compile(const struct nlp_lexicon_file *files, size_t nfiles,
                        struct nlp_lexicon **out, char *err, size_t errlen)
{
    struct nlp_lexicon *lx;

    *out = NULL;
    for (size_t i = 0; files && i < nfiles; i++) {
        if (files[i].len > 0) {
            if (err && errlen)
                snprintf(err, errlen, "%s: lexicon compilation is not implemented yet",
                         files[i].name ? files[i].name : "(lexicon)");
            return KZ_EUNSUPPORTED;
        }
    }
    lx = calloc(1, sizeof(*lx));
    if (!lx) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory compiling lexicons");
        return KZ_ENOMEM;
    }
    *out = lx;
    return 0;
}

void nlp_lexicon_free(struct nlp_lexicon *lx)
{
    free(lx);
}

int nlp_classify(struct nlp_analyzer *a, const struct nlp_lexicon *lx, const struct nlp_doc *doc,
                 struct nlp_verdict *v)
{
    (void)a;
    (void)lx;
    memset(v, 0, sizeof(*v));
    v->lang = doc->lang;
    v->script = doc->script;
    v->stance = NLP_STANCE_NONE;
    return 0;
}
