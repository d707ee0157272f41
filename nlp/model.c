/*
 * model.c -- learned classifiers: regularized logistic regression on hashed
 * features, trained from gold posts and blended with the lexicon verdict.
 *
 * This file is the runtime: the model object, its accessors, scoring, and
 * classification with models (nlp_classify_with_models).  The features of a
 * post are read off in model_features.c, models are fitted in model_train.c,
 * and written and read in model_io.c, which documents the file format;
 * model_int.h holds what the four files share.
 *
 * Models.  stance: a 3-class softmax (none, pro_ukraine, pro_russia).
 * topics: one-vs-rest logistic outputs, one per topic seen in training.
 * mobilization: one logistic output.  Weights are feature-major
 * (w[bucket * nout + k]) so a post touches one short row per feature; they
 * are trained dense, and classification reads them packed (nlp_model_pack:
 * only the non-zero rows, found through a bitmap with ranks).
 *
 * Blending.  The final score of a label is
 *     s = blend * p_model + (1 - blend) * s_lexicon
 * where s_lexicon is the lexicon's own score for the label (topic score,
 * mobilization score; for stance, 0.5 + score/2 for the side the lexicons
 * chose and the rest for none).  blend is the value in {0, 0.05, ..., 1}
 * with the best macro-F1 (ties: the larger blend), stored in the model: on
 * the held-out split for stance and mobilization; for topics on every
 * example, out of fold (model_train.c, oof_predict), as a tenth of the
 * posts holds too few of each of many topics to rank the blends by.  The lexicon verdict is an
 * input of the model too (x:, v: features), so the model learns how far to trust each lexicon
 * signal; the blend only guards the cases the model has not seen.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"

#define NLP_MODEL_TOP_EVIDENCE 5 /* model features listed per decided label */

const char *const nlp_model_stance_labels[3] = {"none", "pro_ukraine", "pro_russia"};

const char *nlp_model_kind_name(enum nlp_model_kind k)
{
    switch (k) {
    case NLP_MODEL_STANCE:
        return "stance";
    case NLP_MODEL_TOPICS:
        return "topics";
    case NLP_MODEL_MOBILIZATION:
        return "mobilization";
    }
    return "unknown";
}

int nlp_model_kind_parse(const char *s, size_t n)
{
    for (int k = NLP_MODEL_STANCE; k <= NLP_MODEL_MOBILIZATION; k++) {
        const char *name = nlp_model_kind_name((enum nlp_model_kind)k);
        if (strlen(name) == n && !memcmp(name, s, n))
            return k;
    }
    return -1;
}

enum nlp_model_kind nlp_model_get_kind(const struct nlp_model *m)
{
    return m->kind;
}

size_t nlp_model_labels(const struct nlp_model *m, const char *const **labels)
{
    if (labels)
        *labels = (const char *const *)m->labels;
    return m->nlabels;
}

float nlp_model_blend(const struct nlp_model *m)
{
    return m->blend;
}

void nlp_train_config_default(struct nlp_train_config *c)
{
    memset(c, 0, sizeof(*c));
    c->kind = NLP_MODEL_STANCE;
    c->hash_bits = 18;
    c->seed = 1;
    c->epochs = 30;
    c->patience = 3;
    c->l2 = 1e-4f;
    c->rate = 0.2f;
    c->heldout = 0.1f;
    c->char_ngrams = 0;
    c->target_features = 0;
    c->refit = 0;
}

void nlp_model_free(struct nlp_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nlabels; i++) {
        free(m->labels[i]);
        free(m->category[i]);
    }
    free(m->bias);
    free(m->w);
    free(m->nzmap);
    free(m->nzrank);
    free(m->rows);
    free(m);
}

int nlp_model_set_map(struct nlp_model *m, uint64_t *map)
{
    size_t words = ((size_t)1 << m->bits) / 64, nrows = 0;
    uint32_t *rank = calloc(words, sizeof(*rank));
    float *rows;

    if (!rank) {
        free(map);
        return KZ_ENOMEM;
    }
    for (size_t wd = 0; wd < words; wd++) {
        rank[wd] = (uint32_t)nrows;
        nrows += nlp_popcount64(map[wd]);
    }
    rows = calloc((nrows ? nrows : 1) * m->nlabels, sizeof(*rows));
    if (!rows) {
        free(map);
        free(rank);
        return KZ_ENOMEM;
    }
    free(m->nzmap);
    free(m->nzrank);
    free(m->rows);
    m->nzmap = map;
    m->nzrank = rank;
    m->rows = rows;
    return 0;
}

int nlp_model_pack(struct nlp_model *m, int drop_dense)
{
    size_t D = (size_t)1 << m->bits, K = m->nlabels;
    uint64_t *map;
    int rc;

    if (!m->w)
        return m->nzmap ? 0 : KZ_EINVAL;
    if (!(map = calloc(D / 64, sizeof(*map))))
        return KZ_ENOMEM;
    for (size_t i = 0; i < D; i++)
        for (size_t k = 0; k < K; k++)
            if (m->w[i * K + k] != 0.0f) {
                map[i >> 6] |= 1ull << (i & 63);
                break;
            }
    if ((rc = nlp_model_set_map(m, map)))
        return rc;
    for (size_t i = 0; i < D; i++) {
        float *row = (float *)nlp_model_row(m, (uint32_t)i); /* the model's own rows */
        if (row)
            memcpy(row, m->w + i * K, K * sizeof(*row));
    }
    if (drop_dense) {
        free(m->w);
        m->w = NULL;
    }
    return 0;
}

/* An empty model with its labels; weights zeroed. */
int nlp_model_alloc(enum nlp_model_kind kind, unsigned bits, unsigned flags,
                    const struct kz_str *labels, size_t nlabels, struct nlp_model **out)
{
    struct nlp_model *m = calloc(1, sizeof(*m));
    size_t cells = ((size_t)1 << bits) * nlabels;

    *out = NULL;
    if (!m)
        return KZ_ENOMEM;
    m->kind = kind;
    m->bits = bits;
    m->flags = flags;
    m->blend = 1.0f;
    m->bias = calloc(nlabels, sizeof(*m->bias));
    m->w = calloc(cells, sizeof(*m->w));
    if (!m->bias || !m->w) {
        nlp_model_free(m);
        return KZ_ENOMEM;
    }
    for (size_t i = 0; i < nlabels; i++) {
        m->labels[i] = malloc(labels[i].n + 1);
        m->category[i] = malloc(labels[i].n + 7);
        m->nlabels = i + 1;
        if (!m->labels[i] || !m->category[i]) {
            nlp_model_free(m);
            return KZ_ENOMEM;
        }
        memcpy(m->labels[i], labels[i].p, labels[i].n);
        m->labels[i][labels[i].n] = '\0';
        m->label_len[i] = labels[i].n;
        memcpy(m->category[i], "model/", 6);
        memcpy(m->category[i] + 6, labels[i].p, labels[i].n);
        m->category[i][labels[i].n + 6] = '\0';
    }
    *out = m;
    return 0;
}

int nlp_model_is_softmax(const struct nlp_model *m)
{
    return m->kind == NLP_MODEL_STANCE;
}

/* ---------------------------------------------------------------------------
 * Scoring
 * ------------------------------------------------------------------------ */

static float sigmoid(float z)
{
    if (z >= 0.0f)
        return 1.0f / (1.0f + expf(-z));
    float e = expf(z);
    return e / (1.0f + e);
}

/* Model logits p[K] (bias included) to probabilities. */
static void finish_scores(const struct nlp_model *m, float *p)
{
    size_t K = m->nlabels;

    if (nlp_model_is_softmax(m)) {
        float mx = p[0], s = 0.0f;
        for (size_t k = 1; k < K; k++)
            if (p[k] > mx)
                mx = p[k];
        for (size_t k = 0; k < K; k++)
            s += (p[k] = expf(p[k] - mx));
        for (size_t k = 0; k < K; k++)
            p[k] /= s;
    } else {
        for (size_t k = 0; k < K; k++)
            p[k] = sigmoid(p[k]);
    }
}

/* Model probabilities p[nlabels] from features; dense weights w (the
 * model's or a training copy). */
void nlp_model_predict(const struct nlp_model *m, const float *w, const float *bias,
                       const struct feat *f, size_t nf, float *p)
{
    size_t K = m->nlabels;

    for (size_t k = 0; k < K; k++)
        p[k] = bias[k];
    for (size_t i = 0; i < nf; i++) {
        const float *row = w + (size_t)f[i].idx * K;
        /* rows are scattered over megabytes: ask for one a few features ahead */
        if (i + 6 < nf)
            __builtin_prefetch(w + (size_t)f[i + 6].idx * K);
        for (size_t k = 0; k < K; k++)
            p[k] += row[k] * f[i].val;
    }
    finish_scores(m, p);
}

/* The rows of a post's features, rows[i] NULL where bucket f[i] has only
 * zero weights (they add nothing: skipping them changes no sum), each
 * fetched ahead of its use. */
static void feature_rows(const struct nlp_model *m, const struct featset *fs, const float **rows)
{
    for (size_t i = 0; i < fs->n; i++)
        if ((rows[i] = nlp_model_row(m, fs->f[i].idx)))
            __builtin_prefetch(rows[i]);
}

/* The same sums as nlp_model_predict, over the rows found. */
static void model_scores(const struct nlp_model *m, const struct featset *fs,
                         const float *const *rows, float *p)
{
    size_t K = m->nlabels;

    for (size_t k = 0; k < K; k++)
        p[k] = m->bias[k];
    for (size_t i = 0; i < fs->n; i++) {
        const float *row = rows[i];
        if (!row)
            continue;
        for (size_t k = 0; k < K; k++)
            p[k] += row[k] * fs->f[i].val;
    }
    finish_scores(m, p);
}

/* The lexicon's score for each of the model's labels. */
void nlp_model_lexicon_scores(const struct nlp_model *m, const struct nlp_verdict *v, float *s)
{
    switch (m->kind) {
    case NLP_MODEL_STANCE:
        s[0] = 1.0f;
        s[1] = s[2] = 0.0f;
        if (v->stance != NLP_STANCE_NONE) {
            s[v->stance] = 0.5f + 0.5f * v->stance_score;
            s[0] = 1.0f - s[v->stance];
        }
        break;
    case NLP_MODEL_TOPICS:
        for (size_t k = 0; k < m->nlabels; k++) {
            s[k] = 0.0f;
            for (size_t t = 0; t < v->ntopics; t++)
                if (v->topics[t].name.n == m->label_len[k] &&
                    !memcmp(v->topics[t].name.p, m->labels[k], m->label_len[k]))
                    s[k] = v->topics[t].score;
        }
        break;
    case NLP_MODEL_MOBILIZATION:
        s[0] = v->call_to_action ? v->mob_score : fminf(v->mob_score, 0.49f);
        break;
    }
}

void nlp_model_blend_scores(float blend, const float *p, const float *lex, size_t K, float *out)
{
    for (size_t k = 0; k < K; k++)
        out[k] = blend * p[k] + (1.0f - blend) * lex[k];
}

/* Decisions from blended scores: stance argmax, binary >= 0.5. */
size_t nlp_model_argmax(const float *s, size_t K)
{
    size_t best = 0;

    for (size_t k = 1; k < K; k++)
        if (s[k] > s[best])
            best = k;
    return best;
}

/* ---------------------------------------------------------------------------
 * Classification with models
 * ------------------------------------------------------------------------ */

struct contrib {
    float c;
    size_t i;
};

/* Append the top contributing features of label k to the evidence list. */
static void add_evidence(struct nlp_analyzer *a, const struct nlp_model *m,
                         const struct nlp_doc *doc, const struct nlp_verdict *v,
                         const struct featset *fs, const float *const *rows, size_t k,
                         struct nlp_evidence *ev, size_t *nev)
{
    struct contrib top[NLP_MODEL_TOP_EVIDENCE];
    size_t ntop = 0, K = m->nlabels;
    const char *base = doc->ntokens ? doc->tokens[0].surface.p - doc->tokens[0].start : NULL;

    for (size_t i = 0; i < fs->n; i++) {
        const float *row = rows[i];
        float c;
        if (!row)
            continue;
        c = row[k] * fs->f[i].val;
        if (nlp_model_is_softmax(m)) /* relative to the other classes' mean */
            for (size_t q = 0; q < K; q++)
                if (q != k)
                    c -= row[q] * fs->f[i].val / (float)(K - 1);
        if (c <= 0.0f)
            continue;
        size_t pos = ntop < NLP_MODEL_TOP_EVIDENCE ? ntop++ : NLP_MODEL_TOP_EVIDENCE;
        if (pos == NLP_MODEL_TOP_EVIDENCE) {
            if (c <= top[pos - 1].c)
                continue;
            pos--;
        }
        while (pos > 0 && top[pos - 1].c < c) {
            top[pos] = top[pos - 1];
            pos--;
        }
        top[pos].c = c;
        top[pos].i = i;
    }
    for (size_t t = 0; t < ntop; t++) {
        const struct feat *f = &fs->f[top[t].i];
        struct fparts fp;
        size_t len = 0;
        char *s;
        struct nlp_evidence *e = &ev[(*nev)];

        nlp_feat_parts(doc, v, f, &fp);
        for (int i = 0; i < fp.n; i++)
            len += fp.p[i].n;
        s = nlp_arena_alloc(&a->arena, len + 1);
        if (!s)
            return; /* evidence is best effort under memory pressure */
        len = 0;
        for (int i = 0; i < fp.n; i++) {
            memcpy(s + len, fp.p[i].p, fp.p[i].n);
            len += fp.p[i].n;
        }
        s[len] = '\0';
        memset(e, 0, sizeof(*e));
        e->rule = kz_str_make(s, len);
        e->category = kz_str_make(m->category[k], m->label_len[k] + 6);
        e->weight = top[t].c;
        if (base && (f->src == FS_WORD || f->src == FS_BIGRAM)) {
            const struct nlp_token *t0 = &doc->tokens[f->a];
            const struct nlp_token *t1 = f->src == FS_BIGRAM ? &doc->tokens[f->b] : t0;
            e->start = t0->start;
            e->end = t1->end;
            e->match = kz_str_make(base + t0->start, t1->end - t0->start);
        }
        (*nev)++;
    }
}

/* Apply one model's blended decision to the verdict. */
static int apply_model(struct nlp_analyzer *a, const struct nlp_model *m, const struct nlp_doc *doc,
                       const struct nlp_verdict *lexv, struct nlp_verdict *v,
                       const struct featset *fs, struct nlp_evidence *ev, size_t *nev)
{
    float p[NLP_MODEL_MAX_LABELS], lex[NLP_MODEL_MAX_LABELS], s[NLP_MODEL_MAX_LABELS];
    size_t K = m->nlabels;
    const float **rows = nlp_arena_alloc(&a->arena, (fs->n ? fs->n : 1) * sizeof(*rows));

    if (!rows)
        return KZ_ENOMEM;
    feature_rows(m, fs, rows);
    model_scores(m, fs, rows, p);
    nlp_model_lexicon_scores(m, lexv, lex);
    nlp_model_blend_scores(m->blend, p, lex, K, s);
    switch (m->kind) {
    case NLP_MODEL_STANCE: {
        size_t k = nlp_model_argmax(s, K);
        v->stance = (enum nlp_stance)k;
        v->stance_score = k ? s[k] : 0.0f;
        if (k)
            add_evidence(a, m, doc, lexv, fs, rows, k, ev, nev);
        break;
    }
    case NLP_MODEL_MOBILIZATION:
        v->mob_score = s[0];
        v->call_to_action = s[0] >= 0.5f;
        if (v->call_to_action)
            add_evidence(a, m, doc, lexv, fs, rows, 0, ev, nev);
        break;
    case NLP_MODEL_TOPICS: {
        /* lexicon topics the model does not know stay; known ones are decided */
        struct nlp_topic *t = nlp_arena_alloc(&a->arena, (v->ntopics + K) * sizeof(*t));
        size_t nt = 0;
        if (!t)
            return KZ_ENOMEM;
        for (size_t i = 0; i < v->ntopics; i++) {
            int known = 0;
            for (size_t k = 0; k < K && !known; k++)
                known = v->topics[i].name.n == m->label_len[k] &&
                        !memcmp(v->topics[i].name.p, m->labels[k], m->label_len[k]);
            if (!known)
                t[nt++] = v->topics[i];
        }
        for (size_t k = 0; k < K; k++)
            if (s[k] >= 0.5f) {
                t[nt].name = kz_str_make(m->labels[k], m->label_len[k]);
                t[nt++].score = s[k];
                add_evidence(a, m, doc, lexv, fs, rows, k, ev, nev);
            }
        /* best first, as nlp_classify orders them */
        for (size_t i = 1; i < nt; i++)
            for (size_t j = i; j > 0 && t[j].score > t[j - 1].score; j--) {
                struct nlp_topic tmp = t[j];
                t[j] = t[j - 1];
                t[j - 1] = tmp;
            }
        v->topics = t;
        v->ntopics = nt;
        break;
    }
    }
    return 0;
}

int nlp_classify_with_models(struct nlp_analyzer *a, const struct nlp_lexicon *lx,
                             const struct nlp_model *const *models, size_t nmodels,
                             const struct nlp_doc *doc, struct nlp_verdict *v)
{
    struct nlp_verdict lexv;
    struct featset fs = {NULL, 0};
    struct nlp_evidence *ev;
    unsigned bits = 0, flags = 0;
    size_t nev;
    int rc;

    if ((rc = nlp_classify(a, lx, doc, v)))
        return rc;
    if (!nmodels || !models)
        return 0;
    lexv = *v;
    ev = nlp_arena_alloc(&a->arena,
                         (v->nevidence + nmodels * NLP_MODEL_MAX_LABELS * NLP_MODEL_TOP_EVIDENCE) *
                             sizeof(*ev));
    if (!ev)
        return KZ_ENOMEM;
    if (v->nevidence)
        memcpy(ev, v->evidence, v->nevidence * sizeof(*ev));
    nev = v->nevidence;
    for (size_t i = 0; i < nmodels; i++) {
        if (!models[i])
            continue;
        if (models[i]->bits != bits || models[i]->flags != flags) {
            /* features are shared by models of one width and feature set */
            bits = models[i]->bits;
            flags = models[i]->flags;
            if ((rc = nlp_feat_extract(&a->arena, doc, &lexv, bits, flags, &fs)))
                return rc;
        }
        if ((rc = apply_model(a, models[i], doc, &lexv, v, &fs, ev, &nev)))
            return rc;
    }
    v->evidence = ev;
    v->nevidence = nev;
    return 0;
}
