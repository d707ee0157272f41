/*
 * model_features.c -- the features of a post for the learned models, hashed
 * into 2^bits buckets.
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
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"

#define NLP_MODEL_CHAR_MIN 3 /* character n-grams of 3..5 code points */
#define NLP_MODEL_CHAR_MAX 5
#define NLP_MODEL_CHAR_MAXCP 40 /* longer tokens give no character n-grams */

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

/* ---------------------------------------------------------------------------
 * Target features (NLP_MODEL_F_TARGET, kzpulse train --target-features)
 *
 * A stance is a view of a side: "the army is collapsing" is for Ukraine when
 * the army is Russia's and for Russia when it is Ukraine's.  A bag of words
 * cannot tell the two apart; pairing each word with the side named nearest to
 * it can.  The sides come from the lexicons' cue/target_russia,
 * cue/target_ukraine and cue/target_west hits, praise and blame from
 * cue/positive and cue/negative, negation from cue/negation.  Features:
 *   t:<S>:<stem>      a word (hashtag: its norm) with the side S (R, U, W)
 *                     named nearest to it within NLP_TGT_WINDOW tokens
 *   ts:<S>:<pos|neg>  a praise/blame word near side S, flipped when a
 *                     negation ends within 3 tokens before it
 *   ts:<S><S|O>:...   the same, and whether the side was named before the
 *                     word (subject-like) or after it (object-like)
 *   s:<pos|neg>       every praise/blame word, unflipped
 *   tc:<S><0-3>       how often each side is named (3: three or more)
 *   tv:<-|0|+>        Russia's side named less, as often, more than Ukraine's
 *   tf:<S>            the side named first
 * They form their own block, scaled to unit L2 norm like the word block.
 * ------------------------------------------------------------------------ */

#define NLP_TGT_WINDOW 10 /* tokens between a word and the side it is paired with */
#define NLP_TGT_MAX 64    /* target and sentiment hits used per post */

enum { TK_WORD, TK_SENT, TK_SENTPOS, TK_COUNT, TK_BAL, TK_FIRST, TK_PLAIN };

static const char *const side_name[3] = {"R", "U", "W"};

static void target_parts(const struct nlp_doc *doc, const struct feat *f, struct fparts *fp)
{
    unsigned kind = f->b >> 8, side = (f->b >> 4) & 0xF, x = f->b & 0xF;
    static const char *const pol[2] = {"pos", "neg"}, *const bal[3] = {"-", "0", "+"};
    static const char *const digit[4] = {"0", "1", "2", "3"};
    const struct nlp_token *t;

    switch (kind) {
    case TK_WORD:
        t = &doc->tokens[f->a];
        part_c(fp, "t:");
        part_c(fp, side_name[side % 3]);
        if (t->kind == NLP_TOK_WORD) {
            part_c(fp, ":");
            part(fp, t->stem.p, t->stem.n);
        } else {
            part_c(fp, ":");
            part(fp, t->norm.p, t->norm.n);
        }
        break;
    case TK_SENT:
        part_c(fp, "ts:");
        part_c(fp, side_name[side % 3]);
        part_c(fp, x ? ":neg" : ":pos");
        break;
    case TK_SENTPOS:
        part_c(fp, "ts:");
        part_c(fp, side_name[side % 3]);
        part_c(fp, (x >> 1) ? "S:" : "O:");
        part_c(fp, pol[x & 1]);
        break;
    case TK_COUNT:
        part_c(fp, "tc:");
        part_c(fp, side_name[side % 3]);
        part_c(fp, digit[x & 3]);
        break;
    case TK_BAL:
        part_c(fp, "tv:");
        part_c(fp, bal[x % 3]);
        break;
    case TK_FIRST:
        part_c(fp, "tf:");
        part_c(fp, side_name[side % 3]);
        break;
    case TK_PLAIN:
        part_c(fp, "s:");
        part_c(fp, pol[x & 1]);
        break;
    default:
        break;
    }
}

void nlp_feat_parts(const struct nlp_doc *doc, const struct nlp_verdict *v, const struct feat *f,
                    struct fparts *fp)
{
    const struct nlp_token *t;

    fp->n = 0;
    switch (f->src) {
    case FS_WORD:
        t = &doc->tokens[f->a];
        switch (t->kind) {
        case NLP_TOK_WORD:
            part_c(fp, "w:");
            part(fp, t->stem.p, t->stem.n);
            break;
        case NLP_TOK_HASHTAG:
            part_c(fp, "h:");
            part(fp, t->norm.p, t->norm.n);
            break;
        case NLP_TOK_EMOJI:
            part_c(fp, "e:");
            part(fp, t->norm.p, t->norm.n);
            break;
        case NLP_TOK_MENTION:
            part_c(fp, "m:");
            part(fp, t->norm.p, t->norm.n);
            break;
        default:
            part_c(fp, "k:");
            part_c(fp, nlp_kind_name((enum nlp_kind)t->kind));
            break;
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
    case FS_VMOB:
        part_c(fp, "v:mob");
        break;
    case FS_VCTA:
        part_c(fp, "v:cta");
        break;
    case FS_VTOPIC:
        part_c(fp, "v:topic/");
        part(fp, v->topics[f->a].name.p, v->topics[f->a].name.n);
        break;
    case FS_LANG:
        part_c(fp, "lang:");
        part_c(fp, nlp_lang_name(doc->lang));
        break;
    case FS_SCRIPT:
        part_c(fp, "script:");
        part_c(fp, nlp_script_name(doc->script));
        break;
    case FS_TARGET:
        target_parts(doc, f, fp);
        break;
    default:
        break;
    }
}

/* FNV-1a states after "w:" and "b:", the prefixes of the two most common
 * features (the same hash as through nlp_feat_parts, without building the
 * parts). */
#define FNV_W (((FNV64_INIT ^ 'w') * 0x100000001B3ull ^ ':') * 0x100000001B3ull)
#define FNV_B (((FNV64_INIT ^ 'b') * 0x100000001B3ull ^ ':') * 0x100000001B3ull)

static void feat_hash(const struct nlp_doc *doc, const struct nlp_verdict *v, struct feat *f,
                      unsigned bits, float val)
{
    struct fparts fp;
    uint64_t h = FNV64_INIT;
    const struct nlp_token *t =
        f->src == FS_WORD || f->src == FS_BIGRAM ? &doc->tokens[f->a] : NULL;

    if (f->src == FS_WORD && t->kind == NLP_TOK_WORD) {
        h = fnv64(FNV_W, t->stem.p, t->stem.n);
    } else if (f->src == FS_BIGRAM) {
        h = fnv64(FNV_B, t->stem.p, t->stem.n);
        h = fnv64(h, " ", 1);
        h = fnv64(h, doc->tokens[f->b].stem.p, doc->tokens[f->b].stem.n);
    } else {
        nlp_feat_parts(doc, v, f, &fp);
        for (int i = 0; i < fp.n; i++)
            h = fnv64(h, fp.p[i].p, fp.p[i].n);
    }
    h = fmix64(h);
    f->idx = (uint32_t)(h & ((1ull << bits) - 1));
    f->val = (h >> 63) ? -val : val;
}

/* Feature order: by bucket, then (for evidence) the earliest source first.
 * Features with equal keys are equal in every field (the same source at the
 * same position), so any correct sort gives the same result. */
static inline bool feat_less(const struct feat *x, const struct feat *y)
{
    if (x->idx != y->idx)
        return x->idx < y->idx;
    if (x->src != y->src)
        return x->src < y->src;
    if (x->a != y->a)
        return x->a < y->a;
    return x->b < y->b;
}

/* Quicksort (median of three, the smaller side recursed) down to runs of
 * 16, then one insertion sort: qsort's call per comparison was half the
 * cost of extracting a post's features. */
static void feat_sort(struct feat *f, size_t n)
{
    while (n > 16) {
        struct feat *m = &f[n / 2], *l = &f[n - 1], p, t;
        size_t i = 0, j = n - 1;

        if (feat_less(m, f))
            t = *m, *m = *f, *f = t;
        if (feat_less(l, m)) {
            t = *l, *l = *m, *m = t;
            if (feat_less(m, f))
                t = *m, *m = *f, *f = t;
        }
        p = *m;
        for (;;) { /* Hoare partition around p */
            while (feat_less(&f[i], &p))
                i++;
            while (feat_less(&p, &f[j]))
                j--;
            if (i >= j)
                break;
            t = f[i], f[i] = f[j], f[j] = t;
            i++;
            j--;
        }
        /* [0, j] <= p <= [j + 1, n) */
        if (j + 1 < n - j - 1) {
            feat_sort(f, j + 1);
            f += j + 1;
            n -= j + 1;
        } else {
            feat_sort(f + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    for (size_t i = 1; i < n; i++) {
        struct feat t = f[i];
        size_t j = i;
        for (; j > 0 && feat_less(&t, &f[j - 1]); j--)
            f[j] = f[j - 1];
        f[j] = t;
    }
}

/* log(1 + count) for the small counts of one post's features, as log1pf
 * gives them with glibc (test_nlp_model compares the two); larger counts
 * call log1pf. */
static const float log1p_small[32] = {
    0x0p+0f,        0x1.62e43p-1f,  0x1.193ea8p+0f, 0x1.62e43p+0f,  0x1.9c042p+0f,  0x1.cab0cp+0f,
    0x1.f2272cp+0f, 0x1.0a2b24p+1f, 0x1.193ea8p+1f, 0x1.26bb1cp+1f, 0x1.32ee3cp+1f, 0x1.3e116cp+1f,
    0x1.485042p+1f, 0x1.51cca2p+1f, 0x1.5aa164p+1f, 0x1.62e43p+1f,  0x1.6aa6bcp+1f, 0x1.71f7b4p+1f,
    0x1.78e36p+1f,  0x1.7f7428p+1f, 0x1.85b2eap+1f, 0x1.8ba748p+1f, 0x1.9157ep+1f,  0x1.96ca78p+1f,
    0x1.9c042p+1f,  0x1.a1094ep+1f, 0x1.a5ddfcp+1f, 0x1.aa85aep+1f, 0x1.af038cp+1f, 0x1.b35a7p+1f,
    0x1.b78ce4p+1f, 0x1.bb9d3cp+1f};

float nlp_feat_log1p(size_t count)
{
    return count < 32 ? log1p_small[count] : log1pf((float)count);
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
    return src == FS_TARGET ? 3 : src == FS_CHAR ? 2 : src <= FS_DOMAIN ? 1 : 0;
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

/* What an evidence item is to the target features: a side (0 R, 1 U, 2 W),
 * 3 praise, 4 blame, 5 negation, or -1. */
static int target_role(const struct nlp_evidence *e)
{
    static const struct {
        const char *cat;
        int role;
    } roles[] = {{"cue/target_russia", 0}, {"cue/target_ukraine", 1}, {"cue/target_west", 2},
                 {"cue/positive", 3},      {"cue/negative", 4},       {"cue/negation", 5}};

    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (e->category.n == strlen(roles[i].cat) &&
            !memcmp(e->category.p, roles[i].cat, e->category.n))
            return roles[i].role;
    return -1;
}

/* The token an evidence item starts at (tokens are in text order). */
static size_t token_at(const struct nlp_doc *doc, uint32_t start)
{
    size_t lo = 0, hi = doc->ntokens;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (doc->tokens[mid].start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < doc->ntokens ? lo : doc->ntokens - 1;
}

struct tgt {
    uint32_t first, last;
    int role;
};

/* The side named nearest to token i within NLP_TGT_WINDOW tokens (not
 * counting a mention covering i), or -1; *before: whether it was named
 * before i.  Ties go to the earlier mention. */
static int nearest(const struct tgt *side, size_t nside, uint32_t i, bool *before)
{
    uint32_t bd = UINT32_MAX;
    int best = -1;

    *before = false;
    for (size_t k = 0; k < nside; k++) {
        bool b = side[k].last < i;
        uint32_t d;
        if (i >= side[k].first && i <= side[k].last)
            continue;
        d = b ? i - side[k].last : side[k].first - i;
        if (d <= NLP_TGT_WINDOW && (d < bd || (d == bd && b))) {
            bd = d;
            best = side[k].role;
            *before = b;
        }
    }
    return best;
}

static void tfeat(struct feat *f, size_t *n, uint32_t a, unsigned kind, unsigned side, unsigned x)
{
    f[*n] = (struct feat){0, 0.0f, a, kind << 8 | side << 4 | x, FS_TARGET};
    (*n)++;
}

/* The target features of a post into f[*n...] (hashed by the caller). */
static void target_features(const struct nlp_doc *doc, const struct nlp_verdict *v, struct feat *f,
                            size_t *n)
{
    struct tgt side[NLP_TGT_MAX], sent[NLP_TGT_MAX];
    uint32_t neg[NLP_TGT_MAX];
    size_t nside = 0, nsent = 0, nneg = 0, count[3] = {0, 0, 0};

    if (!doc->ntokens)
        return;
    for (size_t e = 0; e < v->nevidence; e++) {
        int role = target_role(&v->evidence[e]);
        size_t a, b;
        if (role < 0)
            continue;
        a = token_at(doc, v->evidence[e].start);
        for (b = a; b + 1 < doc->ntokens && doc->tokens[b].end < v->evidence[e].end; b++)
            ;
        if (role <= 2 && nside < NLP_TGT_MAX) {
            side[nside++] = (struct tgt){(uint32_t)a, (uint32_t)b, role};
            count[role]++;
        } else if ((role == 3 || role == 4) && nsent < NLP_TGT_MAX) {
            sent[nsent++] = (struct tgt){(uint32_t)a, (uint32_t)b, role - 3};
        } else if (role == 5 && nneg < NLP_TGT_MAX) {
            neg[nneg++] = (uint32_t)b;
        }
    }
    for (unsigned s = 0; s < 3; s++)
        tfeat(f, n, 0, TK_COUNT, s, count[s] > 3 ? 3 : (unsigned)count[s]);
    tfeat(f, n, 0, TK_BAL, 0, count[0] < count[1] ? 0 : count[0] == count[1] ? 1 : 2);
    if (nside) {
        size_t first = 0;
        for (size_t k = 1; k < nside; k++)
            if (side[k].first < side[first].first)
                first = k;
        tfeat(f, n, 0, TK_FIRST, (unsigned)side[first].role, 0);
    }
    for (size_t i = 0; nside && i < doc->ntokens; i++) {
        const struct nlp_token *t = &doc->tokens[i];
        int best;
        bool before, inside = false;
        if ((t->kind != NLP_TOK_WORD && t->kind != NLP_TOK_HASHTAG) || !t->norm.n)
            continue;
        for (size_t k = 0; k < nside && !inside; k++)
            inside = i >= side[k].first && i <= side[k].last;
        if (inside)
            continue;
        best = nearest(side, nside, (uint32_t)i, &before);
        if (best >= 0)
            tfeat(f, n, (uint32_t)i, TK_WORD, (unsigned)best, 0);
    }
    for (size_t k = 0; k < nsent; k++) {
        uint32_t at = sent[k].first;
        unsigned pol = (unsigned)sent[k].role, flip = 0;
        int best;
        bool before = false;
        tfeat(f, n, at, TK_PLAIN, 0, pol);
        for (size_t j = 0; j < nneg; j++)
            flip |= neg[j] < at && neg[j] + 3 >= at;
        best = nearest(side, nside, at, &before);
        if (best < 0)
            continue;
        pol ^= flip;
        tfeat(f, n, at, TK_SENT, (unsigned)best, pol);
        tfeat(f, n, at, TK_SENTPOS, (unsigned)best, pol | (before ? 2u : 0u));
    }
}

/*
 * The features of an analysed, lexicon-classified post, merged by bucket
 * and sorted.  Text features (word and character blocks) are counted by
 * bucket and sign, dampened to log(1 + count), and each block is scaled to
 * unit L2 norm (long posts do not outvote short ones, and the many character
 * n-grams do not drown the words); lexicon and language features keep their
 * value.
 */
int nlp_feat_extract(struct nlp_arena *ar, const struct nlp_doc *doc, const struct nlp_verdict *v,
                     unsigned bits, unsigned flags, struct featset *fs)
{
    size_t cap = 4 * doc->ntokens + v->nevidence + v->ntopics + 8, n = 0, ntext, m = 0;
    size_t ntgt0;
    struct feat *f;
    long prev = -1;
    uint32_t off[NLP_MODEL_CHAR_MAXCP + 1];
    double norm2[4] = {0, 0, 0, 0};

    if (flags & NLP_MODEL_F_CHAR)
        for (size_t i = 0; i < doc->ntokens; i++)
            if (char_feature(&doc->tokens[i])) {
                size_t L = cp_offsets(char_base(&doc->tokens[i]), off) + 2;
                for (unsigned g = NLP_MODEL_CHAR_MIN; g <= NLP_MODEL_CHAR_MAX && L > 2; g++)
                    cap += L >= g ? L - g + 1 : 0;
            }
    if (flags & NLP_MODEL_F_TARGET)
        cap += doc->ntokens + 3 * NLP_TGT_MAX + 8;
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
    if (flags & NLP_MODEL_F_TARGET) {
        ntgt0 = n;
        target_features(doc, v, f, &n);
        for (size_t i = ntgt0; i < n; i++)
            feat_hash(doc, v, &f[i], bits, 1.0f);
    }
    /* counts by bucket and sign, dampened: log(1 + count) */
    if (n > 1)
        feat_sort(f, n);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && f[j].idx == f[i].idx && (f[j].val > 0) == (f[i].val > 0) &&
               block_of(f[j].src) == block_of(f[i].src))
            j++;
        f[m] = f[i];
        f[m].val = (f[i].val > 0 ? 1.0f : -1.0f) * nlp_feat_log1p(j - i);
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

    /* merge equal buckets (collisions add, as hashing intends): the text
     * features are sorted already, the few others are sorted and merged in */
    if (n > ntext + 1)
        feat_sort(f + ntext, n - ntext);
    if (ntext && n > ntext && feat_less(&f[ntext], &f[ntext - 1])) {
        struct feat *tmp = nlp_arena_alloc(ar, n * sizeof(*tmp));
        size_t i = 0, j = ntext, k = 0;
        if (!tmp)
            return KZ_ENOMEM;
        while (i < ntext && j < n)
            tmp[k++] = feat_less(&f[j], &f[i]) ? f[j++] : f[i++];
        while (i < ntext)
            tmp[k++] = f[i++];
        while (j < n)
            tmp[k++] = f[j++];
        memcpy(f, tmp, n * sizeof(*f));
    }
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
