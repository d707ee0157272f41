/*
 * model_int.h -- private declarations shared by the files of the learned
 * models: model.c (the runtime), model_features.c, model_train.c, model_io.c.
 *
 * Nothing else includes this header but nlp_test.c, which hands
 * test_nlp_model.c the packed and the dense rows to compare (nlp_test.h).
 * It holds the limits the files agree on, the model struct (it owns its
 * labels, categories, bias and weights: nlp_model_free), the features of a
 * post (they live in the arena they were extracted into, and each keeps the
 * token or evidence it came from, so the strings of the few top contributing
 * features can be rebuilt for evidence), and the scoring functions training
 * shares with classification.
 */
#ifndef KZ_NLP_MODEL_INT_H
#define KZ_NLP_MODEL_INT_H

#include "nlp_int.h"

#define NLP_MODEL_MIN_BITS 8
#define NLP_MODEL_MAX_BITS 24
#define NLP_MODEL_MAX_LABELS 64
#define NLP_MODEL_MAX_CELLS (1u << 25) /* buckets x labels: 128 MiB of weights */
#define NLP_MODEL_F_CHAR 1u            /* feature flag: character n-grams and norms */
#define NLP_MODEL_F_TARGET 2u          /* feature flag: words paired with the side named nearby */
#define NLP_MODEL_F_ALL (NLP_MODEL_F_CHAR | NLP_MODEL_F_TARGET)

struct nlp_model {
    enum nlp_model_kind kind;
    unsigned bits;
    unsigned flags; /* NLP_MODEL_F_* */
    size_t nlabels;
    char *labels[NLP_MODEL_MAX_LABELS]; /* NUL-terminated, owned */
    size_t label_len[NLP_MODEL_MAX_LABELS];
    char *category[NLP_MODEL_MAX_LABELS]; /* "model/<label>", owned */
    float blend;
    float *bias; /* [nlabels] */
    float *w;    /* [2^bits * nlabels], feature-major; NULL once packed without it */
    /* Packed rows (nlp_model_pack), what classification reads: a gold-trained
     * model has non-zero weights in a few percent of its buckets, so the
     * non-zero rows are kept together (a topic model's 17 MiB dense table
     * becomes 0.7 MiB) and found through a bitmap with a rank per word. */
    uint64_t *nzmap;  /* [2^bits / 64]: bit set for a bucket with a non-zero weight */
    uint32_t *nzrank; /* [2^bits / 64]: set bits in the words before */
    float *rows;      /* [set bits * nlabels], in bucket order */
};

/* Set bits of x (no popcnt instruction is assumed: the generic build would
 * call libgcc for __builtin_popcountll). */
static inline unsigned nlp_popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* Row of bucket idx (nlabels weights), or NULL when all its weights are 0. */
static inline const float *nlp_model_row(const struct nlp_model *m, uint32_t idx)
{
    if (m->nzmap) {
        uint64_t word = m->nzmap[idx >> 6], bit = 1ull << (idx & 63);
        if (!(word & bit))
            return NULL;
        return m->rows + ((size_t)m->nzrank[idx >> 6] + (size_t)nlp_popcount64(word & (bit - 1))) *
                             m->nlabels;
    }
    return m->w + (size_t)idx * m->nlabels;
}

extern const char *const nlp_model_stance_labels[3];

/* -- model_features.c ------------------------------------------------------- */

enum feat_src {
    FS_WORD = 0, /* token a: w:<stem>, h:<norm>, e:<norm>, m:<norm>, k:<kind> */
    FS_NORM,     /* token a: n:<norm>, a word whose stem differs from its norm */
    FS_BIGRAM,   /* tokens a, b */
    FS_DOMAIN,   /* token a: u:<host of the URL> */
    FS_CHAR,     /* token a: c:<n-gram>, b = start | len << 16 in "<norm>" */
    FS_EVIDENCE, /* verdict evidence a: x:<category> */
    FS_VSTANCE,  /* v:stance/<side> */
    FS_VMOB,     /* v:mob */
    FS_VCTA,     /* v:cta */
    FS_VTOPIC,   /* verdict topic a */
    FS_LANG,
    FS_SCRIPT,
    FS_TARGET, /* b = kind << 8 | side << 4 | x, a = token (see model_features.c) */
};

struct feat {
    uint32_t idx; /* bucket */
    float val;    /* signed value */
    uint32_t a, b;
    uint8_t src;
};

struct featset {
    struct feat *f;
    size_t n;
};

/* The parts of a feature's string: up to four pieces, concatenated. */
struct fparts {
    struct kz_str p[4];
    int n;
};

/* The string of feature f, in up to four pieces borrowed from doc and v. */
void nlp_feat_parts(const struct nlp_doc *doc, const struct nlp_verdict *v, const struct feat *f,
                    struct fparts *fp);
/* log(1 + count), the dampened value of a feature seen count times. */
float nlp_feat_log1p(size_t count);
/* The features of an analysed, lexicon-classified post, merged by bucket and
 * sorted, into fs (memory from ar). */
int nlp_feat_extract(struct nlp_arena *ar, const struct nlp_doc *doc, const struct nlp_verdict *v,
                     unsigned bits, unsigned flags, struct featset *fs);

/* -- model.c: allocation and scoring ---------------------------------------- */

/* An empty model with its labels; weights zeroed.  Free with nlp_model_free. */
int nlp_model_alloc(enum nlp_model_kind kind, unsigned bits, unsigned flags,
                    const struct kz_str *labels, size_t nlabels, struct nlp_model **out);
/* Build the packed rows from the dense weights (again, if they are packed
 * already); drop_dense then frees the dense table (a loaded model is only
 * read through nlp_model_row).  A model packed without its dense table is
 * left as it is. */
int nlp_model_pack(struct nlp_model *m, int drop_dense);
/* Packing from a bitmap of the buckets with a row (taken over; freed on
 * failure): ranks computed, rows allocated zeroed for the caller to fill,
 * replacing any packing before.  The dense table is left as it is. */
int nlp_model_set_map(struct nlp_model *m, uint64_t *map);
/* Stance is one softmax; topics and mobilization are independent logistic outputs. */
int nlp_model_is_softmax(const struct nlp_model *m);
/* Model probabilities p[nlabels] from features f[nf], dense weights w and
 * bias (training). */
void nlp_model_predict(const struct nlp_model *m, const float *w, const float *bias,
                       const struct feat *f, size_t nf, float *p);
/* The lexicon's score for each of the model's labels, into s[nlabels]. */
void nlp_model_lexicon_scores(const struct nlp_model *m, const struct nlp_verdict *v, float *s);
/* out[k] = blend * p[k] + (1 - blend) * lex[k] for k < K. */
void nlp_model_blend_scores(float blend, const float *p, const float *lex, size_t K, float *out);
/* The index of the largest of s[0..K), the first on ties. */
size_t nlp_model_argmax(const float *s, size_t K);

#endif
