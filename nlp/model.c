/*
 * model.c -- learned classifiers: regularized logistic regression on hashed
 * features, trained from gold posts and blended with the lexicon verdict.
 *
 * Features.  A post is analysed (nlp_analyze) and classified by the lexicons
 * (nlp_classify) first; its features are then read off the tokens and the
 * lexicon verdict:
 *   w:<stem>  h:<#hashtag>  e:<emoji>  m:<@mention>  k:<time|date|number>
 *   u:<host>                          the host of a URL ("www." dropped)
 *   b:<stem> <stem>                   adjacent tokens (words inside a hashtag
 *                                     give unigrams, not bigrams)
 *   with the feature flag NLP_MODEL_F_CHAR (kzpulse train --char-ngrams):
 *   n:<norm>                          a word's norm where it differs from its stem
 *   c:<n-gram>                        character 3-5-grams (code points) of each
 *                                     word's norm and hashtag within "<" ">"
 *   x:<category>                      every lexicon category hit ("x:cue/negation")
 *   v:stance/<side> (score), v:mob (score), v:cta, v:topic/<name> (score):
 *                                     the lexicon verdict itself, rules included
 *   lang:<lang>, script:<script>
 * Text features are counted per post, dampened to log(1 + count), and the
 * word block (w h e m k u b n) and the character block (c) are each scaled
 * to unit L2 norm, so long posts do not outvote short ones and the many
 * character n-grams do not drown the words; lexicon and language features
 * keep their value.  Each feature string is hashed (64-bit FNV-1a with a final
 * mix, defined here so model files never depend on another hash) into 2^bits
 * buckets; one bit of the hash gives a sign, so collisions cancel in
 * expectation instead of adding up (Weinberger et al., "Feature Hashing for
 * Large Scale Multitask Learning", ICML 2009).  Features of a post live in
 * the analyzer's arena; each keeps where it came from (token, evidence), so
 * the strings of the few top contributing features are rebuilt for evidence
 * without a reverse map of the whole table.
 *
 * Models.  stance: a 3-class softmax (none, pro_ukraine, pro_russia).
 * topics: one-vs-rest logistic outputs, one per topic seen in training.
 * mobilization: one logistic output.  Weights are dense, feature-major
 * (w[bucket * nout + k]) so a post touches one short row per feature.
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
 * Blending.  The final score of a label is
 *     s = blend * p_model + (1 - blend) * s_lexicon
 * where s_lexicon is the lexicon's own score for the label (topic score,
 * mobilization score; for stance, 0.5 + score/2 for the side the lexicons
 * chose and the rest for none).  blend is chosen on the held-out split: the
 * value in {0, 0.05, ..., 1} with the best held-out macro-F1 (ties: the
 * larger blend), and stored in the model.  The lexicon verdict is an input of
 * the model too (x:, v: features), so the model learns how far to trust each
 * lexicon signal; the blend only guards the cases the model has not seen.
 *
 * File format (little-endian), version 2 (version 1, whose byte 9 was
 * reserved and whose features differ, is refused as unsupported):
 *   "KZPM" u16 version, u8 kind, u8 hash_bits, u8 encoding (0 dense, 1
 *   sparse), u8 feature flags (bit 0: character n-grams; other bits must be
 *   0), u16 nlabels, f32 blend, u32 nentries,
 *   nlabels x (u8 len, bytes), nlabels x f32 bias,
 *   dense: 2^bits * nlabels x f32;  sparse: nentries x (u32 index, f32 value),
 *   indexes strictly increasing;  u32 crc32 (zlib) of every byte before it.
 * The smaller encoding is written.  Loading checks the magic, the version,
 * the length, the checksum, then every field, and names the first problem.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "nlp_int.h"

#define NLP_MODEL_MAGIC "KZPM"
#define NLP_MODEL_VERSION 2
#define NLP_MODEL_MIN_BITS 8
#define NLP_MODEL_MAX_BITS 24
#define NLP_MODEL_MAX_LABELS 64
#define NLP_MODEL_MAX_CELLS (1u << 25) /* buckets x labels: 128 MiB of weights */
#define NLP_MODEL_MAX_CW 10.0f         /* largest class weight */
#define NLP_MODEL_TOP_EVIDENCE 5       /* model features listed per decided label */
#define NLP_MODEL_HEADER 20
#define NLP_MODEL_F_CHAR 1u            /* feature flag: character n-grams and norms */
#define NLP_MODEL_F_ALL NLP_MODEL_F_CHAR
#define NLP_MODEL_CHAR_MIN 3           /* character n-grams of 3..5 code points */
#define NLP_MODEL_CHAR_MAX 5
#define NLP_MODEL_CHAR_MAXCP 40        /* longer tokens give no character n-grams */

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
    float *w;    /* [2^bits * nlabels], feature-major */
};

static const char *const stance_labels[3] = {"none", "pro_ukraine", "pro_russia"};

const char *nlp_model_kind_name(enum nlp_model_kind k)
{
    switch (k) {
    case NLP_MODEL_STANCE: return "stance";
    case NLP_MODEL_TOPICS: return "topics";
    case NLP_MODEL_MOBILIZATION: return "mobilization";
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
    free(m);
}

/* An empty model with its labels; weights zeroed. */
static int model_alloc(enum nlp_model_kind kind, unsigned bits, unsigned flags,
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

static int is_softmax(const struct nlp_model *m)
{
    return m->kind == NLP_MODEL_STANCE;
}

/* ---------------------------------------------------------------------------
 * Features
 * ------------------------------------------------------------------------ */

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

#define FNV64_INIT 0xCBF29CE484222325ull

static uint64_t fnv64(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001B3ull;
    }
    return h;
}

static uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return h;
}

/* The parts of a feature's string: up to four pieces, concatenated. */
struct fparts {
    struct kz_str p[4];
    int n;
};

static void part(struct fparts *fp, const char *s, size_t n)
{
    fp->p[fp->n++] = kz_str_make(s, n);
}

static void part_c(struct fparts *fp, const char *s)
{
    part(fp, s, strlen(s));
}

/* The host of a URL token's norm: after "scheme://", up to '/', '?', '#' or
 * ':', without a leading "www.". */
static struct kz_str url_host(struct kz_str u)
{
    size_t i = 0, j;

    for (size_t k = 0; k + 2 < u.n; k++)
        if (u.p[k] == ':' && u.p[k + 1] == '/' && u.p[k + 2] == '/') {
            i = k + 3;
            break;
        }
    if (u.n - i > 4 && !memcmp(u.p + i, "www.", 4))
        i += 4;
    for (j = i; j < u.n && u.p[j] != '/' && u.p[j] != '?' && u.p[j] != '#' && u.p[j] != ':'; j++)
        ;
    return kz_str_make(u.p + i, j - i);
}

/* The text a character n-gram is taken from: a word's norm, a hashtag's
 * without its '#'. */
static struct kz_str char_base(const struct nlp_token *t)
{
    if (t->kind == NLP_TOK_HASHTAG && t->norm.n && t->norm.p[0] == '#')
        return kz_str_make(t->norm.p + 1, t->norm.n - 1);
    return t->norm;
}

static void feat_parts(const struct nlp_doc *doc, const struct nlp_verdict *v,
                       const struct feat *f, struct fparts *fp)
{
    const struct nlp_token *t;

    fp->n = 0;
    switch (f->src) {
    case FS_WORD:
        t = &doc->tokens[f->a];
        switch (t->kind) {
        case NLP_TOK_WORD: part_c(fp, "w:"); part(fp, t->stem.p, t->stem.n); break;
        case NLP_TOK_HASHTAG: part_c(fp, "h:"); part(fp, t->norm.p, t->norm.n); break;
        case NLP_TOK_EMOJI: part_c(fp, "e:"); part(fp, t->norm.p, t->norm.n); break;
        case NLP_TOK_MENTION: part_c(fp, "m:"); part(fp, t->norm.p, t->norm.n); break;
        default: part_c(fp, "k:"); part_c(fp, nlp_kind_name((enum nlp_kind)t->kind)); break;
        }
        break;
    case FS_NORM:
        t = &doc->tokens[f->a];
        part_c(fp, "n:");
        part(fp, t->norm.p, t->norm.n);
        break;
    case FS_BIGRAM:
        part_c(fp, "b:");
        part(fp, doc->tokens[f->a].stem.p, doc->tokens[f->a].stem.n);
        part_c(fp, " ");
        part(fp, doc->tokens[f->b].stem.p, doc->tokens[f->b].stem.n);
        break;
    case FS_DOMAIN: {
        struct kz_str h = url_host(doc->tokens[f->a].norm);
        part_c(fp, "u:");
        part(fp, h.p, h.n);
        break;
    }
    case FS_CHAR: {
        /* positions in the virtual string "<" base ">" */
        struct kz_str s = char_base(&doc->tokens[f->a]);
        size_t st = f->b & 0xFFFF, en = st + (f->b >> 16);
        part_c(fp, "c:");
        if (st == 0)
            part_c(fp, "<");
        {
            size_t bs = st ? st - 1 : 0, be = en > s.n + 1 ? s.n : en - 1;
            part(fp, s.p + bs, be - bs);
        }
        if (en == s.n + 2)
            part_c(fp, ">");
        break;
    }
    case FS_EVIDENCE:
        part_c(fp, "x:");
        part(fp, v->evidence[f->a].category.p, v->evidence[f->a].category.n);
        break;
    case FS_VSTANCE:
        part_c(fp, "v:stance/");
        part_c(fp, nlp_stance_name(v->stance));
        break;
    case FS_VMOB: part_c(fp, "v:mob"); break;
    case FS_VCTA: part_c(fp, "v:cta"); break;
    case FS_VTOPIC:
        part_c(fp, "v:topic/");
        part(fp, v->topics[f->a].name.p, v->topics[f->a].name.n);
        break;
    case FS_LANG: part_c(fp, "lang:"); part_c(fp, nlp_lang_name(doc->lang)); break;
    case FS_SCRIPT: part_c(fp, "script:"); part_c(fp, nlp_script_name(doc->script)); break;
    default: break;
    }
}

static void feat_hash(const struct nlp_doc *doc, const struct nlp_verdict *v, struct feat *f,
                      unsigned bits, float val)
{
    struct fparts fp;
    uint64_t h = FNV64_INIT;

    feat_parts(doc, v, f, &fp);
    for (int i = 0; i < fp.n; i++)
        h = fnv64(h, fp.p[i].p, fp.p[i].n);
    h = fmix64(h);
    f->idx = (uint32_t)(h & ((1ull << bits) - 1));
    f->val = (h >> 63) ? -val : val;
}

static int cmp_feat(const void *x, const void *y)
{
    const struct feat *a = x, *b = y;

    if (a->idx != b->idx)
        return a->idx < b->idx ? -1 : 1;
    /* the same bucket: keep the earliest source first, for evidence */
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return a->b < b->b ? -1 : a->b > b->b;
}

/* Token features and the block they are scaled in: 1 words, 2 characters. */
static int token_feature(const struct nlp_token *t)
{
    return t->kind == NLP_TOK_WORD || t->kind == NLP_TOK_HASHTAG || t->kind == NLP_TOK_EMOJI ||
           t->kind == NLP_TOK_MENTION || t->kind == NLP_TOK_NUMBER || t->kind == NLP_TOK_TIME ||
           t->kind == NLP_TOK_DATE;
}

static int block_of(uint8_t src)
{
    return src == FS_CHAR ? 2 : src <= FS_DOMAIN ? 1 : 0;
}

/* Code points of s, at most NLP_MODEL_CHAR_MAXCP (longer words give no
 * character n-grams: they are URLs, hashes or noise). */
static size_t cp_offsets(struct kz_str s, uint32_t *off)
{
    size_t n = 0;

    for (size_t i = 0; i < s.n; i++)
        if (((unsigned char)s.p[i] & 0xC0) != 0x80) {
            if (n == NLP_MODEL_CHAR_MAXCP)
                return 0;
            off[n++] = (uint32_t)i;
        }
    off[n] = (uint32_t)s.n;
    return n;
}

static int char_feature(const struct nlp_token *t)
{
    return (t->kind == NLP_TOK_WORD || t->kind == NLP_TOK_HASHTAG) && t->norm.n;
}

/*
 * The features of an analysed, lexicon-classified post, merged by bucket
 * and sorted.  Text features (word and character blocks) are counted by
 * bucket and sign, dampened to log(1 + count), and each block is scaled to
 * unit L2 norm (long posts do not outvote short ones, and the many character
 * n-grams do not drown the words); lexicon and language features keep their
 * value.
 */
static int extract(struct nlp_arena *ar, const struct nlp_doc *doc, const struct nlp_verdict *v,
                   unsigned bits, unsigned flags, struct featset *fs)
{
    size_t cap = 4 * doc->ntokens + v->nevidence + v->ntopics + 8, n = 0, ntext, m = 0;
    struct feat *f;
    long prev = -1;
    uint32_t off[NLP_MODEL_CHAR_MAXCP + 1];
    double norm2[3] = {0, 0, 0};

    if (flags & NLP_MODEL_F_CHAR)
        for (size_t i = 0; i < doc->ntokens; i++)
            if (char_feature(&doc->tokens[i])) {
                size_t L = cp_offsets(char_base(&doc->tokens[i]), off) + 2;
                for (unsigned g = NLP_MODEL_CHAR_MIN; g <= NLP_MODEL_CHAR_MAX && L > 2; g++)
                    cap += L >= g ? L - g + 1 : 0;
            }
    f = nlp_arena_alloc(ar, cap * sizeof(*f));
    fs->f = f;
    fs->n = 0;
    if (!f)
        return KZ_ENOMEM;
    for (size_t i = 0; i < doc->ntokens; i++) {
        const struct nlp_token *t = &doc->tokens[i];
        if (t->kind == NLP_TOK_URL && t->norm.n) {
            if (url_host(t->norm).n) {
                f[n] = (struct feat){0, 0.0f, (uint32_t)i, 0, FS_DOMAIN};
                feat_hash(doc, v, &f[n++], bits, 1.0f);
            }
            prev = -1;
            continue;
        }
        if (!token_feature(t) || !t->norm.n) {
            prev = -1;
            continue;
        }
        f[n] = (struct feat){0, 0.0f, (uint32_t)i, 0, FS_WORD};
        feat_hash(doc, v, &f[n++], bits, 1.0f);
        if ((flags & NLP_MODEL_F_CHAR) && t->kind == NLP_TOK_WORD &&
            (t->norm.n != t->stem.n || memcmp(t->norm.p, t->stem.p, t->norm.n))) {
            f[n] = (struct feat){0, 0.0f, (uint32_t)i, 0, FS_NORM};
            feat_hash(doc, v, &f[n++], bits, 1.0f);
        }
        if ((flags & NLP_MODEL_F_CHAR) && char_feature(t)) {
            size_t L = cp_offsets(char_base(t), off);
            /* virtual string "<" s ">": position p is off[p - 1] + 1 bytes in,
             * position 0 is "<", position L + 1 is ">" */
            for (unsigned g = NLP_MODEL_CHAR_MIN; L && g <= NLP_MODEL_CHAR_MAX; g++)
                for (size_t s0 = 0; s0 + g <= L + 2; s0++) {
                    size_t e0 = s0 + g; /* code points [s0, e0) of the virtual string */
                    uint32_t bs = s0 ? off[s0 - 1] + 1 : 0;
                    uint32_t be = e0 == L + 2 ? off[L] + 2 : off[e0 - 1] + 1;
                    if (be - bs > 0xFFFF)
                        continue;
                    f[n] = (struct feat){0, 0.0f, (uint32_t)i, bs | (be - bs) << 16, FS_CHAR};
                    feat_hash(doc, v, &f[n++], bits, 1.0f);
                }
        }
        /* bigrams along the post's own words (not inside hashtags) */
        if (t->flags & NLP_TOKF_HASHTAG_PART)
            continue;
        if (prev >= 0 && t->kind != NLP_TOK_NUMBER) {
            f[n] = (struct feat){0, 0.0f, (uint32_t)prev, (uint32_t)i, FS_BIGRAM};
            feat_hash(doc, v, &f[n++], bits, 1.0f);
        }
        prev = t->kind == NLP_TOK_NUMBER ? -1 : (long)i;
    }
    /* counts by bucket and sign, dampened: log(1 + count) */
    if (n > 1)
        qsort(f, n, sizeof(*f), cmp_feat);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && f[j].idx == f[i].idx && (f[j].val > 0) == (f[i].val > 0) &&
               block_of(f[j].src) == block_of(f[i].src))
            j++;
        f[m] = f[i];
        f[m].val = (f[i].val > 0 ? 1.0f : -1.0f) * log1pf((float)(j - i));
        norm2[block_of(f[m].src)] += (double)f[m].val * f[m].val;
        m++;
        i = j;
    }
    ntext = n = m;
    for (size_t i = 0; i < ntext; i++) {
        double nb = norm2[block_of(f[i].src)];
        f[i].val *= nb > 0 ? (float)(1.0 / sqrt(nb)) : 0.0f;
    }

    for (size_t e = 0; e < v->nevidence; e++) {
        int seen = 0;
        for (size_t k = 0; k < e && !seen; k++)
            seen = v->evidence[k].category.n == v->evidence[e].category.n &&
                   !memcmp(v->evidence[k].category.p, v->evidence[e].category.p,
                           v->evidence[e].category.n);
        if (seen || !v->evidence[e].category.n)
            continue;
        f[n] = (struct feat){0, 0.0f, (uint32_t)e, 0, FS_EVIDENCE};
        feat_hash(doc, v, &f[n++], bits, 1.0f);
    }
    if (v->stance != NLP_STANCE_NONE) {
        f[n] = (struct feat){0, 0.0f, 0, 0, FS_VSTANCE};
        feat_hash(doc, v, &f[n++], bits, 0.5f + 0.5f * v->stance_score);
    }
    if (v->mob_score > 0.0f) {
        f[n] = (struct feat){0, 0.0f, 0, 0, FS_VMOB};
        feat_hash(doc, v, &f[n++], bits, v->mob_score);
    }
    if (v->call_to_action) {
        f[n] = (struct feat){0, 0.0f, 0, 0, FS_VCTA};
        feat_hash(doc, v, &f[n++], bits, 1.0f);
    }
    for (size_t k = 0; k < v->ntopics; k++) {
        f[n] = (struct feat){0, 0.0f, (uint32_t)k, 0, FS_VTOPIC};
        feat_hash(doc, v, &f[n++], bits, v->topics[k].score);
    }
    f[n] = (struct feat){0, 0.0f, 0, 0, FS_LANG};
    feat_hash(doc, v, &f[n++], bits, 1.0f);
    f[n] = (struct feat){0, 0.0f, 0, 0, FS_SCRIPT};
    feat_hash(doc, v, &f[n++], bits, 1.0f);
    if (n > cap)
        return KZ_ERANGE; /* not reached: cap counts every source */

    /* merge equal buckets (collisions add, as hashing intends) */
    if (n > 1)
        qsort(f, n, sizeof(*f), cmp_feat);
    m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && f[i].idx == f[m - 1].idx)
            f[m - 1].val += f[i].val;
        else
            f[m++] = f[i];
    }
    fs->n = m;
    return 0;
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

/* Model probabilities p[nlabels] from features; weights w (the model's or a
 * training copy). */
static void predict(const struct nlp_model *m, const float *w, const float *bias,
                    const struct feat *f, size_t nf, float *p)
{
    size_t K = m->nlabels;

    for (size_t k = 0; k < K; k++)
        p[k] = bias[k];
    for (size_t i = 0; i < nf; i++) {
        const float *row = w + (size_t)f[i].idx * K;
        for (size_t k = 0; k < K; k++)
            p[k] += row[k] * f[i].val;
    }
    if (is_softmax(m)) {
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

/* The lexicon's score for each of the model's labels. */
static void lexicon_scores(const struct nlp_model *m, const struct nlp_verdict *v, float *s)
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

static void blend_scores(float blend, const float *p, const float *lex, size_t K, float *out)
{
    for (size_t k = 0; k < K; k++)
        out[k] = blend * p[k] + (1.0f - blend) * lex[k];
}

/* Decisions from blended scores: stance argmax, binary >= 0.5. */
static size_t argmax(const float *s, size_t K)
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
                         const struct featset *fs, size_t k, struct nlp_evidence *ev, size_t *nev)
{
    struct contrib top[NLP_MODEL_TOP_EVIDENCE];
    size_t ntop = 0, K = m->nlabels;
    const char *base = doc->ntokens ? doc->tokens[0].surface.p - doc->tokens[0].start : NULL;

    for (size_t i = 0; i < fs->n; i++) {
        const float *row = m->w + (size_t)fs->f[i].idx * K;
        float c = row[k] * fs->f[i].val;
        if (is_softmax(m)) /* relative to the other classes' mean */
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

        feat_parts(doc, v, f, &fp);
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
static int apply_model(struct nlp_analyzer *a, const struct nlp_model *m,
                       const struct nlp_doc *doc, const struct nlp_verdict *lexv,
                       struct nlp_verdict *v, const struct featset *fs,
                       struct nlp_evidence *ev, size_t *nev)
{
    float p[NLP_MODEL_MAX_LABELS], lex[NLP_MODEL_MAX_LABELS], s[NLP_MODEL_MAX_LABELS];
    size_t K = m->nlabels;

    predict(m, m->w, m->bias, fs->f, fs->n, p);
    lexicon_scores(m, lexv, lex);
    blend_scores(m->blend, p, lex, K, s);
    switch (m->kind) {
    case NLP_MODEL_STANCE: {
        size_t k = argmax(s, K);
        v->stance = (enum nlp_stance)k;
        v->stance_score = k ? s[k] : 0.0f;
        if (k)
            add_evidence(a, m, doc, lexv, fs, k, ev, nev);
        break;
    }
    case NLP_MODEL_MOBILIZATION:
        v->mob_score = s[0];
        v->call_to_action = s[0] >= 0.5f;
        if (v->call_to_action)
            add_evidence(a, m, doc, lexv, fs, 0, ev, nev);
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
                add_evidence(a, m, doc, lexv, fs, k, ev, nev);
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
    ev = nlp_arena_alloc(&a->arena, (v->nevidence + nmodels * NLP_MODEL_MAX_LABELS *
                                                        NLP_MODEL_TOP_EVIDENCE) * sizeof(*ev));
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
            if ((rc = extract(&a->arena, doc, &lexv, bits, flags, &fs)))
                return rc;
        }
        if ((rc = apply_model(a, models[i], doc, &lexv, v, &fs, ev, &nev)))
            return rc;
    }
    v->evidence = ev;
    v->nevidence = nev;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Training
 * ------------------------------------------------------------------------ */

struct tset {
    uint32_t *idx; /* all examples' features, concatenated */
    float *val;
    size_t *off;   /* example i: [off[i], off[i+1]) */
    float *y;      /* [n * K]: targets 0/1 */
    float *lex;    /* [n * K]: lexicon scores */
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
            labels[k] = kz_str_make(stance_labels[k], strlen(stance_labels[k]));
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
        if (is_softmax(m)) {
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

    if (is_softmax(m)) {
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
        if (is_softmax(m))
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
        blend_scores(blend, P + i * K, lex, K, s);
        if (is_softmax(m)) {
            size_t pk = argmax(s, K), gk = argmax(y, K);
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
        if (!is_softmax(m) && m->kind == NLP_MODEL_TOPICS && tp[k] + fn[k] == 0)
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
        predict(m, w, bias, scratch, nf, P + i * m->nlabels);
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
        predict(m, w, bias, scratch, nf, p);
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

int nlp_model_train(struct nlp_analyzer *a, const struct nlp_lexicon *lx,
                    const struct nlp_train_config *cfg, const struct nlp_train_example *ex,
                    size_t n, struct nlp_model **out, struct nlp_train_report *rep, char *err,
                    size_t errlen)
{
    struct kz_str labels[NLP_MODEL_MAX_LABELS];
    struct nlp_model *m = NULL;
    struct tset t;
    size_t K, nlabels, ntrain, nheld, D, maxf = 0, *order = NULL;
    float *best_w = NULL, *best_b = NULL, *G = NULL, *Gb = NULL, *P = NULL;
    float cw[2 * NLP_MODEL_MAX_LABELS];
    struct feat *scratch = NULL;
    double best_loss = INFINITY;
    unsigned since = 0;
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
        snprintf(err, errlen, "bad training configuration (kind, hash bits %u-%u, held-out "
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
    if ((rc = model_alloc(cfg->kind, cfg->hash_bits, cfg->char_ngrams ? NLP_MODEL_F_CHAR : 0,
                          labels, nlabels, &m)))
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
        if ((rc = nlp_analyze(a, ex[i].text, ex[i].len, ex[i].lang, &doc)) ||
            (rc = nlp_classify(a, lx, &doc, &v)) ||
            (rc = extract(&a->arena, &doc, &v, cfg->hash_bits, m->flags, &fs)))
            goto fail;
        t.off[t.n] = t.nf;
        if ((rc = tset_push(&t, &fs)))
            goto fail;
        if (fs.n > maxf)
            maxf = fs.n;
        targets(m, &ex[i], t.y + t.n * K);
        lexicon_scores(m, &v, t.lex + t.n * K);
        t.n++;
    }
    t.off[t.n] = t.nf;

    /* The seeded split: a Fisher-Yates shuffle, the first nheld held out. */
    for (size_t i = 0; i < t.n; i++)
        order[i] = i;
    for (size_t i = t.n - 1; i > 0; i--) {
        size_t j = (size_t)(xorshift(&rng) % (i + 1)), tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
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
        /* reshuffle the training part each epoch */
        for (size_t i = ntrain - 1; ntrain > 1 && i > 0; i--) {
            size_t j = (size_t)(xorshift(&rng) % (i + 1)), tmp = tr[i];
            tr[i] = tr[j];
            tr[j] = tmp;
        }
        epoch(cfg, m, m->w, m->bias, G, Gb, &t, tr, ntrain, cw, scratch);
        rep->epochs_run = ep;
        if (!nheld) {
            rep->best_epoch = ep;
            continue;
        }
        loss = predict_set(m, m->w, m->bias, &t, order, nheld, P, scratch);
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
        /* the blend: best held-out macro-F1, ties to the larger weight */
        double best = -1.0;
        for (int b = 20; b >= 0; b--) {
            double f = macro_f1(m, &t, order, nheld, P, (float)b / 20.0f);
            if (f > best + 1e-12) {
                best = f;
                m->blend = (float)b / 20.0f;
            }
        }
        rep->heldout_macro_f1 = best;
        rep->heldout_model_f1 = macro_f1(m, &t, order, nheld, P, 1.0f);
        rep->heldout_lexicon_f1 = macro_f1(m, &t, order, nheld, P, 0.0f);
    }
    rep->ntrain = ntrain;
    rep->nheldout = nheld;
    rep->blend = m->blend;
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
    return rc;
}

/* ---------------------------------------------------------------------------
 * Serialization
 * ------------------------------------------------------------------------ */

static void put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_f32(unsigned char *p, float f)
{
    uint32_t v;

    memcpy(&v, &f, 4);
    put_u32(p, v);
}

static uint16_t get_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static float get_f32(const unsigned char *p)
{
    uint32_t v = get_u32(p);
    float f;

    memcpy(&f, &v, 4);
    return f;
}

int nlp_model_save(const struct nlp_model *m, void **buf, size_t *len)
{
    size_t cells = ((size_t)1 << m->bits) * m->nlabels, nnz = 0, size, pos;
    unsigned char *p;
    int sparse;

    *buf = NULL;
    *len = 0;
    for (size_t i = 0; i < cells; i++)
        nnz += m->w[i] != 0.0f;
    sparse = nnz * 8 < cells * 4;
    size = NLP_MODEL_HEADER + 4 * m->nlabels + (sparse ? nnz * 8 : cells * 4) + 4;
    for (size_t k = 0; k < m->nlabels; k++)
        size += 1 + m->label_len[k];
    p = malloc(size);
    if (!p)
        return KZ_ENOMEM;
    memcpy(p, NLP_MODEL_MAGIC, 4);
    put_u16(p + 4, NLP_MODEL_VERSION);
    p[6] = (unsigned char)m->kind;
    p[7] = (unsigned char)m->bits;
    p[8] = (unsigned char)sparse;
    p[9] = (unsigned char)m->flags;
    put_u16(p + 10, (uint16_t)m->nlabels);
    put_f32(p + 12, m->blend);
    put_u32(p + 16, (uint32_t)(sparse ? nnz : cells));
    pos = NLP_MODEL_HEADER;
    for (size_t k = 0; k < m->nlabels; k++) {
        p[pos++] = (unsigned char)m->label_len[k];
        memcpy(p + pos, m->labels[k], m->label_len[k]);
        pos += m->label_len[k];
    }
    for (size_t k = 0; k < m->nlabels; k++, pos += 4)
        put_f32(p + pos, m->bias[k]);
    for (size_t i = 0; i < cells; i++) {
        if (sparse && m->w[i] == 0.0f)
            continue;
        if (sparse) {
            put_u32(p + pos, (uint32_t)i);
            pos += 4;
        }
        put_f32(p + pos, m->w[i]);
        pos += 4;
    }
    put_u32(p + pos, (uint32_t)crc32(0L, p, (uInt)pos));
    pos += 4;
    *buf = p;
    *len = pos;
    return 0;
}

#define LOAD_FAIL(code, ...)                                                                       \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        rc = code;                                                                                 \
        goto fail;                                                                                 \
    } while (0)

int nlp_model_load(const void *buf, size_t len, struct nlp_model **out, char *err, size_t errlen)
{
    const unsigned char *p = buf;
    struct kz_str labels[NLP_MODEL_MAX_LABELS];
    struct nlp_model *m = NULL;
    size_t pos, nlabels, cells, nent, need;
    unsigned kind, bits, enc, flags;
    char dummy[1];
    float blend;
    int rc = 0;

    *out = NULL;
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    if (len < 4 || memcmp(p, NLP_MODEL_MAGIC, 4))
        LOAD_FAIL(KZ_EDECODE, "not a kzpulse model (no \"KZPM\" magic at the start)");
    if (len < 6)
        LOAD_FAIL(KZ_EDECODE, "truncated model: %zu bytes, the header alone needs %d", len,
                  NLP_MODEL_HEADER + 4);
    if (get_u16(p + 4) != NLP_MODEL_VERSION)
        LOAD_FAIL(KZ_EUNSUPPORTED, "model file version %u, this kzpulse reads version %d",
                  get_u16(p + 4), NLP_MODEL_VERSION);
    if (len < NLP_MODEL_HEADER + 4)
        LOAD_FAIL(KZ_EDECODE, "truncated model: %zu bytes, the header alone needs %d", len,
                  NLP_MODEL_HEADER + 4);
    kind = p[6];
    bits = p[7];
    enc = p[8];
    flags = p[9];
    nlabels = get_u16(p + 10);
    blend = get_f32(p + 12);
    nent = get_u32(p + 16);
    if (kind < NLP_MODEL_STANCE || kind > NLP_MODEL_MOBILIZATION)
        LOAD_FAIL(KZ_EDECODE, "model kind %u is not stance (1), topics (2) or mobilization (3)",
                  kind);
    if (bits < NLP_MODEL_MIN_BITS || bits > NLP_MODEL_MAX_BITS)
        LOAD_FAIL(KZ_EDECODE, "hash bits %u outside %d-%d", bits, NLP_MODEL_MIN_BITS,
                  NLP_MODEL_MAX_BITS);
    if (enc > 1 || (flags & ~NLP_MODEL_F_ALL))
        LOAD_FAIL(KZ_EDECODE, "unknown weight encoding %u (0 dense, 1 sparse) or feature flags %u",
                  enc, flags);
    if (!nlabels || nlabels > NLP_MODEL_MAX_LABELS ||
        (kind == NLP_MODEL_STANCE && nlabels != 3) ||
        (kind == NLP_MODEL_MOBILIZATION && nlabels != 1))
        LOAD_FAIL(KZ_EDECODE, "%zu labels for a %s model", nlabels,
                  nlp_model_kind_name((enum nlp_model_kind)kind));
    if (!(blend >= 0.0f && blend <= 1.0f))
        LOAD_FAIL(KZ_EDECODE, "blend weight is not in [0, 1]");
    cells = ((size_t)1 << bits) * nlabels;
    if (cells > NLP_MODEL_MAX_CELLS)
        LOAD_FAIL(KZ_ERANGE, "2^%u buckets x %zu labels is too large", bits, nlabels);
    if (enc == 0 && nent != cells)
        LOAD_FAIL(KZ_EDECODE, "dense model with %zu weights, expected %zu", nent, cells);
    if (enc == 1 && nent > cells)
        LOAD_FAIL(KZ_EDECODE, "sparse model with %zu entries for %zu weights", nent, cells);
    /* the checksum covers everything before it; verify before reading further */
    if (get_u32(p + len - 4) != (uint32_t)crc32(0L, p, (uInt)(len - 4)))
        LOAD_FAIL(KZ_EDECODE, "checksum mismatch: the model file is truncated or corrupt "
                              "(%zu bytes)", len);
    pos = NLP_MODEL_HEADER;
    for (size_t k = 0; k < nlabels; k++) {
        size_t l;
        if (pos + 1 > len - 4)
            LOAD_FAIL(KZ_EDECODE, "truncated in label %zu", k + 1);
        l = p[pos++];
        if (!l || pos + l > len - 4)
            LOAD_FAIL(KZ_EDECODE, "label %zu: %s", k + 1, l ? "truncated" : "empty name");
        labels[k] = kz_str_make((const char *)p + pos, l);
        for (size_t i = 0; i < l; i++)
            if (!((p[pos + i] >= 'a' && p[pos + i] <= 'z') ||
                  (p[pos + i] >= '0' && p[pos + i] <= '9') || p[pos + i] == '_'))
                LOAD_FAIL(KZ_EDECODE, "label %zu: not an ASCII snake_case name", k + 1);
        for (size_t q = 0; q < k; q++)
            if (labels[q].n == l && !memcmp(labels[q].p, labels[k].p, l))
                LOAD_FAIL(KZ_EDECODE, "label %zu duplicates label %zu", k + 1, q + 1);
        if (kind == NLP_MODEL_STANCE &&
            (l != strlen(stance_labels[k]) || memcmp(p + pos, stance_labels[k], l)))
            LOAD_FAIL(KZ_EDECODE, "stance label %zu is \"%.*s\", expected \"%s\"", k + 1,
                      (int)l, (const char *)p + pos, stance_labels[k]);
        pos += l;
    }
    need = pos + 4 * nlabels + (enc ? 8 * nent : 4 * nent) + 4;
    if (need != len)
        LOAD_FAIL(KZ_EDECODE, "model is %zu bytes, its header describes %zu", len, need);
    if ((rc = model_alloc((enum nlp_model_kind)kind, bits, flags, labels, nlabels, &m)))
        LOAD_FAIL(rc, "loading model: %s", kz_strerror(rc));
    m->blend = blend;
    for (size_t k = 0; k < nlabels; k++, pos += 4)
        if (!isfinite(m->bias[k] = get_f32(p + pos)))
            LOAD_FAIL(KZ_EDECODE, "bias %zu is not a finite number", k + 1);
    for (size_t i = 0; i < nent; i++) {
        size_t at = i;
        float w;
        if (enc) {
            at = get_u32(p + pos);
            pos += 4;
            if (at >= cells || (i && at <= get_u32(p + pos - 12)))
                LOAD_FAIL(KZ_EDECODE, "sparse entry %zu: index %zu out of order or range", i + 1,
                          at);
        }
        w = get_f32(p + pos);
        pos += 4;
        if (!isfinite(w))
            LOAD_FAIL(KZ_EDECODE, "weight %zu is not a finite number", i + 1);
        m->w[at] = w;
    }
    *out = m;
    return 0;
fail:
    nlp_model_free(m);
    return rc;
}
