/*
 * model_train.c -- nlp_model_train(): fitting a learned model to gold posts.
 *
 * Training.  AdaGrad (Duchi, Hazan, Singer, JMLR 2011) over shuffled
 * examples, L2 applied to the weights an example touches (the usual sparse
 * approximation of the full penalty), class weights n / (K * n_c) for
 * imbalance (capped at NLP_MODEL_MAX_CW).  A seeded shuffle holds out a
 * fraction (10%) of the examples; after every epoch the held-out log-loss is
 * computed and the best weights kept; training stops after `patience`
 * epochs without improvement.  Everything is deterministic: one seed, one
 * xorshift generator, a fixed order of float operations.
 *
 * The blend of model and lexicons (model.c, "Blending") is chosen here too:
 * on the same held-out split, or for topics on out-of-fold probabilities of
 * every example (oof_predict: NLP_MODEL_BLEND_FOLDS models trained from
 * zero for the epochs early stopping chose).  That costs topics training
 * about five more fits (gold set: 0.15 s -> 0.45 s).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"

#define NLP_MODEL_BLEND_FOLDS 5 /* folds of the out-of-fold topic blend */

#define NLP_MODEL_MAX_CW 10.0f /* largest class weight */

struct tset {
    uint32_t *idx; /* all examples' features, concatenated */
    float *val;
    size_t *off; /* example i: [off[i], off[i+1]) */
    float *y;    /* [n * K]: targets 0/1 */
    float *lex;  /* [n * K]: lexicon scores */
    size_t n, nf, capf;
};

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void tset_free(struct tset *t)
{
    free(t->idx);
    free(t->val);
    free(t->off);
    free(t->y);
    free(t->lex);
}

static int tset_push(struct tset *t, const struct featset *fs)
{
    if (t->nf + fs->n > t->capf) {
        size_t nc = t->capf ? t->capf * 2 : 65536;
        while (nc < t->nf + fs->n)
            nc *= 2;
        uint32_t *ni = realloc(t->idx, nc * sizeof(*ni));
        if (!ni)
            return KZ_ENOMEM;
        t->idx = ni;
        float *nv = realloc(t->val, nc * sizeof(*nv));
        if (!nv)
            return KZ_ENOMEM;
        t->val = nv;
        t->capf = nc;
    }
    for (size_t i = 0; i < fs->n; i++) {
        t->idx[t->nf + i] = fs->f[i].idx;
        t->val[t->nf + i] = fs->f[i].val;
    }
    t->nf += fs->n;
    return 0;
}

static int snake(struct kz_str s)
{
    if (!s.n || s.n > 64)
        return 0;
    for (size_t i = 0; i < s.n; i++)
        if (!((s.p[i] >= 'a' && s.p[i] <= 'z') || (s.p[i] >= '0' && s.p[i] <= '9') ||
              s.p[i] == '_'))
            return 0;
    return 1;
}

static int cmp_label(const void *x, const void *y)
{
    const struct kz_str *a = x, *b = y;
    int c = memcmp(a->p, b->p, a->n < b->n ? a->n : b->n);

    return c ? c : (a->n > b->n) - (a->n < b->n);
}

/* Labels of the model: fixed for stance and mobilization, the sorted set of
 * topics in the examples for topics. */
static int collect_labels(const struct nlp_train_config *cfg, const struct nlp_train_example *ex,
                          size_t n, struct kz_str *labels, size_t *nlabels, char *err,
                          size_t errlen)
{
    *nlabels = 0;
    if (cfg->kind == NLP_MODEL_STANCE) {
        for (int k = 0; k < 3; k++)
            labels[k] = kz_str_make(nlp_model_stance_labels[k], strlen(nlp_model_stance_labels[k]));
        *nlabels = 3;
        return 0;
    }
    if (cfg->kind == NLP_MODEL_MOBILIZATION) {
        labels[0] = kz_str_make("mobilization", 12);
        *nlabels = 1;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < ex[i].ntopics; t++) {
            struct kz_str s = ex[i].topics[t];
            size_t k = 0;
            while (k < *nlabels && !(labels[k].n == s.n && !memcmp(labels[k].p, s.p, s.n)))
                k++;
            if (k < *nlabels)
                continue;
            if (*nlabels == NLP_MODEL_MAX_LABELS || !snake(s)) {
                snprintf(err, errlen, "example %zu: topic \"%.*s\": %s", i + 1, (int)s.n, s.p,
                         snake(s) ? "more than 64 distinct topics"
                                  : "not an ASCII snake_case name of 1-64 bytes");
                return KZ_EINVAL;
            }
            labels[k] = s;
            (*nlabels)++;
        }
    if (!*nlabels) {
        snprintf(err, errlen, "no topic labels in the examples");
        return KZ_EINVAL;
    }
    qsort(labels, *nlabels, sizeof(*labels), cmp_label);
    return 0;
}

static void targets(const struct nlp_model *m, const struct nlp_train_example *e, float *y)
{
    for (size_t k = 0; k < m->nlabels; k++)
        y[k] = 0.0f;
    switch (m->kind) {
    case NLP_MODEL_STANCE:
        y[e->stance <= NLP_STANCE_PRO_RUSSIA ? e->stance : 0] = 1.0f;
        break;
    case NLP_MODEL_MOBILIZATION:
        y[0] = e->mobilization ? 1.0f : 0.0f;
        break;
    case NLP_MODEL_TOPICS:
        for (size_t t = 0; t < e->ntopics; t++)
            for (size_t k = 0; k < m->nlabels; k++)
                if (e->topics[t].n == m->label_len[k] &&
                    !memcmp(e->topics[t].p, m->labels[k], m->label_len[k]))
                    y[k] = 1.0f;
        break;
    }
}

/* Class weights: cw[k] for y_k = 1 (and cw[K + k] for y_k = 0 in OvR). */
static void class_weights(const struct nlp_model *m, const struct tset *t, const size_t *order,
                          size_t ntrain, float *cw)
{
    size_t K = m->nlabels;
    double cnt[NLP_MODEL_MAX_LABELS] = {0};

    for (size_t i = 0; i < ntrain; i++)
        for (size_t k = 0; k < K; k++)
            cnt[k] += t->y[order[i] * K + k];
    for (size_t k = 0; k < K; k++) {
        double pos = cnt[k], neg = (double)ntrain - cnt[k], wp, wn;
        if (nlp_model_is_softmax(m)) {
            wp = pos > 0 ? (double)ntrain / ((double)K * pos) : 1.0;
            cw[k] = (float)fmin(wp, NLP_MODEL_MAX_CW);
        } else {
            wp = pos > 0 ? (double)ntrain / (2.0 * pos) : 1.0;
            wn = neg > 0 ? (double)ntrain / (2.0 * neg) : 1.0;
            cw[k] = (float)fmin(wp, NLP_MODEL_MAX_CW);
            cw[K + k] = (float)fmin(wn, NLP_MODEL_MAX_CW);
        }
    }
}

/* Per-example weight of output k's loss. */
static float ex_weight(const struct nlp_model *m, const float *cw, const float *y, size_t k)
{
    size_t K = m->nlabels;

    if (nlp_model_is_softmax(m)) {
        for (size_t q = 0; q < K; q++)
            if (y[q] > 0.5f)
                return cw[q];
        return 1.0f;
    }
    return y[k] > 0.5f ? cw[k] : cw[K + k];
}

static double log_loss(const struct nlp_model *m, const float *p, const float *y)
{
    double l = 0.0;

    for (size_t k = 0; k < m->nlabels; k++) {
        double q = fmin(fmax((double)p[k], 1e-7), 1.0 - 1e-7);
        if (nlp_model_is_softmax(m))
            l -= y[k] * log(q);
        else
            l -= y[k] * log(q) + (1.0 - y[k]) * log(1.0 - q);
    }
    return l;
}

/* Macro-F1 of blended decisions over examples order[0..n). */
static double macro_f1(const struct nlp_model *m, const struct tset *t, const size_t *order,
                       size_t n, const float *P, float blend)
{
    size_t K = m->nlabels;
    double tp[NLP_MODEL_MAX_LABELS] = {0}, fp[NLP_MODEL_MAX_LABELS] = {0},
           fn[NLP_MODEL_MAX_LABELS] = {0}, sum = 0.0;
    size_t classes = 0;
    /* mobilization is scored as two classes (true and false), like eval */
    double tp0 = 0, fp0 = 0, fn0 = 0;

    for (size_t i = 0; i < n; i++) {
        const float *y = t->y + order[i] * K, *lex = t->lex + order[i] * K;
        float s[NLP_MODEL_MAX_LABELS];
        nlp_model_blend_scores(blend, P + i * K, lex, K, s);
        if (nlp_model_is_softmax(m)) {
            size_t pk = nlp_model_argmax(s, K), gk = nlp_model_argmax(y, K);
            if (pk == gk) {
                tp[pk]++;
            } else {
                fp[pk]++;
                fn[gk]++;
            }
            continue;
        }
        for (size_t k = 0; k < K; k++) {
            int pr = s[k] >= 0.5f, g = y[k] > 0.5f;
            tp[k] += pr && g;
            fp[k] += pr && !g;
            fn[k] += !pr && g;
        }
        if (m->kind == NLP_MODEL_MOBILIZATION) {
            int pr = s[0] >= 0.5f, g = y[0] > 0.5f;
            tp0 += !pr && !g;
            fp0 += !pr && g;
            fn0 += pr && !g;
        }
    }
    for (size_t k = 0; k < K; k++) {
        if (!nlp_model_is_softmax(m) && m->kind == NLP_MODEL_TOPICS && tp[k] + fn[k] == 0)
            continue; /* topics absent from the split are not scored, as in eval */
        double d = 2 * tp[k] + fp[k] + fn[k];
        sum += d > 0 ? 2 * tp[k] / d : 0.0;
        classes++;
    }
    if (m->kind == NLP_MODEL_MOBILIZATION) {
        double d = 2 * tp0 + fp0 + fn0;
        sum += d > 0 ? 2 * tp0 / d : 0.0;
        classes++;
    }
    return classes ? sum / (double)classes : 0.0;
}

/* Probabilities of examples order[0..n) into P[n * K]; mean log-loss. */
static double predict_set(const struct nlp_model *m, const float *w, const float *bias,
                          const struct tset *t, const size_t *order, size_t n, float *P,
                          struct feat *scratch)
{
    double loss = 0.0;

    for (size_t i = 0; i < n; i++) {
        size_t e = order[i], nf = t->off[e + 1] - t->off[e];
        for (size_t j = 0; j < nf; j++) {
            scratch[j].idx = t->idx[t->off[e] + j];
            scratch[j].val = t->val[t->off[e] + j];
        }
        nlp_model_predict(m, w, bias, scratch, nf, P + i * m->nlabels);
        loss += log_loss(m, P + i * m->nlabels, t->y + e * m->nlabels);
    }
    return n ? loss / (double)n : 0.0;
}

/* One AdaGrad epoch over order[0..n). */
static void epoch(const struct nlp_train_config *cfg, const struct nlp_model *m, float *w,
                  float *bias, float *G, float *Gb, const struct tset *t, const size_t *order,
                  size_t n, const float *cw, struct feat *scratch)
{
    size_t K = m->nlabels;
    float p[NLP_MODEL_MAX_LABELS], g[NLP_MODEL_MAX_LABELS];
    const float eps = 1e-6f;

    for (size_t i = 0; i < n; i++) {
        size_t e = order[i], nf = t->off[e + 1] - t->off[e];
        const float *y = t->y + e * K;
        for (size_t j = 0; j < nf; j++) {
            scratch[j].idx = t->idx[t->off[e] + j];
            scratch[j].val = t->val[t->off[e] + j];
        }
        nlp_model_predict(m, w, bias, scratch, nf, p);
        for (size_t k = 0; k < K; k++)
            g[k] = (p[k] - y[k]) * ex_weight(m, cw, y, k);
        for (size_t k = 0; k < K; k++) {
            Gb[k] += g[k] * g[k];
            bias[k] -= cfg->rate * g[k] / sqrtf(Gb[k] + eps);
        }
        for (size_t j = 0; j < nf; j++) {
            size_t row = (size_t)scratch[j].idx * K;
            for (size_t k = 0; k < K; k++) {
                float gk = g[k] * scratch[j].val + cfg->l2 * w[row + k];
                G[row + k] += gk * gk;
                w[row + k] -= cfg->rate * gk / sqrtf(G[row + k] + eps);
            }
        }
    }
}

/* Fisher-Yates shuffle of a[0..n) with the training generator. */
static void shuffle(size_t *a, size_t n, uint64_t *rng)
{
    for (size_t i = n - 1; n > 1 && i > 0; i--) {
        size_t j = (size_t)(xorshift(rng) % (i + 1)), tmp = a[i];
        a[i] = a[j];
        a[j] = tmp;
    }
}

/* Weights w, bias fitted from zero to order[0..n) for `epochs` epochs, the
 * order reshuffled before each, class weights from those examples; G, Gb
 * are the AdaGrad sums (D * K and K floats), zeroed here too. */
static void fit_from_zero(const struct nlp_train_config *cfg, const struct nlp_model *m, float *w,
                          float *bias, float *G, float *Gb, const struct tset *t, size_t *order,
                          size_t n, unsigned epochs, uint64_t *rng, struct feat *scratch)
{
    size_t DK = ((size_t)1 << m->bits) * m->nlabels;
    float cw[2 * NLP_MODEL_MAX_LABELS];

    memset(w, 0, DK * sizeof(*w));
    memset(bias, 0, m->nlabels * sizeof(*bias));
    memset(G, 0, DK * sizeof(*G));
    memset(Gb, 0, m->nlabels * sizeof(*Gb));
    class_weights(m, t, order, n, cw);
    for (unsigned ep = 0; ep < epochs; ep++) {
        shuffle(order, n, rng);
        epoch(cfg, m, w, bias, G, Gb, t, order, n, cw, scratch);
    }
}

/*
 * Out-of-fold probabilities of every example, for choosing the blend on all
 * of them rather than on the held-out part alone: NLP_MODEL_BLEND_FOLDS
 * models, each trained from zero for `epochs` epochs on the other folds of
 * perm, score their own fold into P (P + i * K for perm[i]).
 */
static int oof_predict(const struct nlp_train_config *cfg, const struct nlp_model *m,
                       const struct tset *t, const size_t *perm, unsigned epochs, uint64_t *rng,
                       struct feat *scratch, float *P)
{
    size_t K = m->nlabels, D = (size_t)1 << m->bits, n = t->n, F = NLP_MODEL_BLEND_FOLDS;
    float *w = malloc(D * K * sizeof(*w)), *G = malloc(D * K * sizeof(*G));
    float bias[NLP_MODEL_MAX_LABELS], Gb[NLP_MODEL_MAX_LABELS];
    size_t *tr = malloc(n * sizeof(*tr));
    int rc = 0;

    if (!w || !G || !tr) {
        rc = KZ_ENOMEM;
        goto out;
    }
    for (size_t f = 0; f < F; f++) {
        size_t lo = n * f / F, hi = n * (f + 1) / F, ntr = 0;
        for (size_t i = 0; i < n; i++)
            if (i < lo || i >= hi)
                tr[ntr++] = perm[i];
        fit_from_zero(cfg, m, w, bias, G, Gb, t, tr, ntr, epochs, rng, scratch);
        predict_set(m, w, bias, t, perm + lo, hi - lo, P + lo * K, scratch);
    }
out:
    free(w);
    free(G);
    free(tr);
    return rc;
}

int nlp_model_train(struct nlp_analyzer *a, const struct nlp_lexicon *lx,
                    const struct nlp_train_config *cfg, const struct nlp_train_example *ex,
                    size_t n, struct nlp_model **out, struct nlp_train_report *rep, char *err,
                    size_t errlen)
{
    struct kz_str labels[NLP_MODEL_MAX_LABELS];
    struct nlp_model *m = NULL;
    struct tset t;
    size_t K, nlabels, ntrain, nheld, D, maxf = 0, *order = NULL;
    float *best_w = NULL, *best_b = NULL, *G = NULL, *Gb = NULL, *P = NULL, *Po = NULL;
    float cw[2 * NLP_MODEL_MAX_LABELS];
    struct feat *scratch = NULL;
    double best_loss = INFINITY;
    unsigned since = 0, flags;
    uint64_t rng = cfg->seed ? cfg->seed : 0x9E3779B97F4A7C15ull;
    int rc;

    memset(&t, 0, sizeof(t));
    memset(rep, 0, sizeof(*rep));
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (cfg->kind < NLP_MODEL_STANCE || cfg->kind > NLP_MODEL_MOBILIZATION ||
        cfg->hash_bits < NLP_MODEL_MIN_BITS || cfg->hash_bits > NLP_MODEL_MAX_BITS ||
        !(cfg->heldout >= 0.0f && cfg->heldout < 0.9f) || !(cfg->l2 >= 0.0f) ||
        !(cfg->rate > 0.0f) || !cfg->epochs) {
        snprintf(err, errlen,
                 "bad training configuration (kind, hash bits %u-%u, held-out "
                 "fraction [0, 0.9), l2 >= 0, rate > 0, epochs >= 1)",
                 NLP_MODEL_MIN_BITS, NLP_MODEL_MAX_BITS);
        return KZ_EINVAL;
    }
    if (n < 2) {
        snprintf(err, errlen, "need at least 2 labelled examples, got %zu", n);
        return KZ_EINVAL;
    }
    if ((rc = collect_labels(cfg, ex, n, labels, &nlabels, err, errlen)))
        return rc;
    D = (size_t)1 << cfg->hash_bits;
    if (D * nlabels > NLP_MODEL_MAX_CELLS) {
        snprintf(err, errlen, "2^%u buckets x %zu labels is too large (at most %u weights)",
                 cfg->hash_bits, nlabels, NLP_MODEL_MAX_CELLS);
        return KZ_ERANGE;
    }
    flags =
        (cfg->char_ngrams ? NLP_MODEL_F_CHAR : 0) | (cfg->target_features ? NLP_MODEL_F_TARGET : 0);
    if ((rc = nlp_model_alloc(cfg->kind, cfg->hash_bits, flags, labels, nlabels, &m)))
        goto fail;
    K = nlabels;

    /* Features, targets and lexicon scores of every example. */
    t.off = malloc((n + 1) * sizeof(*t.off));
    t.y = malloc(n * K * sizeof(*t.y));
    t.lex = malloc(n * K * sizeof(*t.lex));
    order = malloc(n * sizeof(*order));
    if (!t.off || !t.y || !t.lex || !order) {
        rc = KZ_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        struct nlp_doc doc;
        struct nlp_verdict v;
        struct featset fs;
        if (cfg->progress && i % 256 == 0)
            cfg->progress(cfg->progress_ctx, "analysing", i, n, 0);
        if ((rc = nlp_analyze(a, ex[i].text, ex[i].len, ex[i].lang, &doc)) ||
            (rc = nlp_classify(a, lx, &doc, &v)) ||
            (rc = nlp_feat_extract(&a->arena, &doc, &v, cfg->hash_bits, m->flags, &fs)))
            goto fail;
        t.off[t.n] = t.nf;
        if ((rc = tset_push(&t, &fs)))
            goto fail;
        if (fs.n > maxf)
            maxf = fs.n;
        targets(m, &ex[i], t.y + t.n * K);
        nlp_model_lexicon_scores(m, &v, t.lex + t.n * K);
        t.n++;
    }
    t.off[t.n] = t.nf;

    /* The seeded split: a Fisher-Yates shuffle, the first nheld held out. */
    for (size_t i = 0; i < t.n; i++)
        order[i] = i;
    shuffle(order, t.n, &rng);
    nheld = (size_t)((double)t.n * cfg->heldout + 0.5);
    if (cfg->heldout > 0.0f && nheld == 0)
        nheld = 1;
    ntrain = t.n - nheld;
    class_weights(m, &t, order + nheld, ntrain, cw);

    scratch = malloc((maxf + 1) * sizeof(*scratch));
    G = calloc(D * K, sizeof(*G));
    Gb = calloc(K, sizeof(*Gb));
    best_w = malloc(D * K * sizeof(*best_w));
    best_b = malloc(K * sizeof(*best_b));
    P = malloc((nheld + 1) * K * sizeof(*P));
    if (!scratch || !G || !Gb || !best_w || !best_b || !P) {
        rc = KZ_ENOMEM;
        goto fail;
    }
    memcpy(best_w, m->w, D * K * sizeof(*best_w));
    memcpy(best_b, m->bias, K * sizeof(*best_b));
    for (unsigned ep = 1; ep <= cfg->epochs; ep++) {
        size_t *tr = order + nheld;
        double loss;
        shuffle(tr, ntrain, &rng); /* the training part, each epoch */
        epoch(cfg, m, m->w, m->bias, G, Gb, &t, tr, ntrain, cw, scratch);
        rep->epochs_run = ep;
        if (!nheld) {
            rep->best_epoch = ep;
            if (cfg->progress)
                cfg->progress(cfg->progress_ctx, "epoch", ep, cfg->epochs, 0);
            continue;
        }
        loss = predict_set(m, m->w, m->bias, &t, order, nheld, P, scratch);
        if (cfg->progress)
            cfg->progress(cfg->progress_ctx, "epoch", ep, cfg->epochs, loss);
        if (loss < best_loss - 1e-6) {
            best_loss = loss;
            rep->best_epoch = ep;
            memcpy(best_w, m->w, D * K * sizeof(*best_w));
            memcpy(best_b, m->bias, K * sizeof(*best_b));
            since = 0;
        } else if (++since >= cfg->patience) {
            break;
        }
    }
    if (nheld) {
        memcpy(m->w, best_w, D * K * sizeof(*best_w));
        memcpy(m->bias, best_b, K * sizeof(*best_b));
        rep->heldout_loss = predict_set(m, m->w, m->bias, &t, order, nheld, P, scratch);
        /* The blend: the best macro-F1, ties to the larger weight.  Stance
         * and mobilization score it on the held-out part; topics on every
         * example, out of fold (oof_predict), because a tenth of the posts
         * holds too few of each topic to rank 21 blends by. */
        const float *Pb = P;
        const size_t nb = m->kind == NLP_MODEL_TOPICS ? t.n : nheld;
        double best = -1.0;
        if (cfg->progress)
            cfg->progress(cfg->progress_ctx, "blend", 0, 21, 0);
        if (m->kind == NLP_MODEL_TOPICS) {
            if (!(Po = malloc(t.n * K * sizeof(*Po)))) {
                rc = KZ_ENOMEM;
                goto fail;
            }
            if ((rc = oof_predict(cfg, m, &t, order, rep->best_epoch, &rng, scratch, Po)))
                goto fail;
            Pb = Po;
        }
        for (int b = 20; b >= 0; b--) {
            double f = macro_f1(m, &t, order, nb, Pb, (float)b / 20.0f);
            if (f > best + 1e-12) {
                best = f;
                m->blend = (float)b / 20.0f;
            }
        }
        rep->heldout_macro_f1 = macro_f1(m, &t, order, nheld, P, m->blend);
        rep->heldout_model_f1 = macro_f1(m, &t, order, nheld, P, 1.0f);
        rep->heldout_lexicon_f1 = macro_f1(m, &t, order, nheld, P, 0.0f);
    }
    if (cfg->refit && nheld && rep->best_epoch) {
        /* Again from zero on every example, for the epochs the held-out part
         * chose; the blend chosen stays.  (The held-out figures above are
         * those of the first fit: the refit has nothing left to score on.) */
        if (cfg->progress)
            cfg->progress(cfg->progress_ctx, "refit", 0, rep->best_epoch, 0);
        fit_from_zero(cfg, m, m->w, m->bias, G, Gb, &t, order, t.n, rep->best_epoch, &rng, scratch);
        ntrain = t.n;
    }
    rep->ntrain = ntrain;
    rep->nheldout = nheld;
    rep->blend = m->blend;
    if ((rc = nlp_model_pack(m, 0)))
        goto fail;
    *out = m;
    m = NULL;
    rc = 0;
fail:
    if (rc && err && errlen && !err[0])
        snprintf(err, errlen, "training: %s", kz_strerror(rc));
    nlp_model_free(m);
    tset_free(&t);
    free(order);
    free(scratch);
    free(G);
    free(Gb);
    free(best_w);
    free(best_b);
    free(P);
    free(Po);
    return rc;
}
