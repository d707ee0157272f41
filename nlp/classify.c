/*
 * classify.c -- nlp_classify(): lexicon matches to topics, war stance,
 * mobilization and region, with the evidence for each.
 *
 * One pass of the lexicon automaton (lexicon_match.c) gives every match; everything
 * below is arithmetic over those matches and a little token context:
 *
 *  - Context per token, from one scan of the bytes between tokens: the
 *    sentence it is in (. ! ? … and newlines end sentences), its clause,
 *    and whether it is inside quotation marks (« », “ ”, „ “, "...").
 *  - Overlapping matches of one category count once, at their largest weight
 *    (митинг* and митингке both hit "митингке").
 *  - Topics: score = 1 - prod(1 - w) over the topic's matches; reported when
 *    >= NLP_TOPIC_MIN, best first.  Stance terms also count for the topic
 *    war_ukraine (at NLP_STANCE_TOPIC of their weight).
 *  - Stance: each stance match is cancelled by a negation cue ending within
 *    NLP_NEG_WINDOW tokens before it in the same clause (commas, colons,
 *    semicolons, brackets and dashes end clauses; for Kazakh negation, which
 *    follows the verb, also one starting within 2 tokens after it), unless
 *    the match holds a negation itself (a slogan: "нет войне"); an
 *    opposition cue ("против") cancels only terms no cue/negative word
 *    covers (see negated()).  A match is multiplied by NLP_REPORT_DISCOUNT
 *    in a sentence with a reporting cue.  Outside reported speech, a
 *    pro-Russian term in quotation marks is a scare quote (ridicule:
 *    «освобождение») and counts for the other side at NLP_SCARE_FLIP of its
 *    weight; quoted pro-Ukrainian terms are slogans («Нет войне») and count
 *    fully.  Otherwise a sarcasm cue ("ну да, конечно", "yeah right", 🙃)
 *    in the term's sentence, or in a sentence of markers only beside it,
 *    multiplies the term by 1 - its weight: a marker of weight 1 leaves the
 *    term as evidence only.  The sums of the two sides give
 *    score = min(1, S_win - S_lose); the side wins when score >= NLP_STANCE_MIN.
 *  - Mobilization: a weighted sum of the strongest un-negated call to action,
 *    a time (cue or a time/date token), a place (cue or region) and the
 *    protest topic, minus signals of a past event and of everyday invitations
 *    (small fixed word lists below: they are rules, not lexicon data).
 *    A post with no topic scores NLP_MOB_BARE less and needs a place: a
 *    call and a time alone are plans ("сенбіде шығайық").
 *    call_to_action needs a call cue and a score >= NLP_MOB_MIN, and adds
 *    the topic protest (a call to rally is about protest, whatever the cause).
 *  - Region: the region category with the largest summed weight.
 * Everything the verdict points to lives in the analyzer's arena or in the
 * lexicon; nothing here touches the heap.
 */
#include <stdlib.h>
#include <string.h>

#include "nlp_int.h"

_Static_assert(NLP_TOK_DATE == NLP_TOK_TIME + 1, "time and date kinds are adjacent");

#define NLP_TOPIC_MIN 0.5f       /* topic reported from this score */
#define NLP_STANCE_MIN 0.35f     /* stance decided from this score */
#define NLP_NEG_WINDOW 3         /* tokens before a stance or call match */
#define NLP_REPORT_DISCOUNT 0.3f /* stance inside quotes or reported speech */
#define NLP_MOB_MIN 0.5f         /* call_to_action from this score */
#define NLP_MOB_BARE 0.15f       /* less mobilization score for a post with no topic */
#define NLP_STANCE_TOPIC 0.8f    /* a stance term as evidence of topic war_ukraine */
#define NLP_SCARE_FLIP 0.6f      /* a pro-Russian term in scare quotes, as pro-Ukrainian */

/* ---------------------------------------------------------------------------
 * Token context: sentences, clauses and quotations
 * ------------------------------------------------------------------------ */

struct tokctx {
    uint32_t sentence;
    uint32_t clause; /* sentences, cut further at , ; : ( ) and dashes */
    uint8_t quoted;
};

static void scan_gap(const char *s, size_t from, size_t to, uint32_t *sent, uint32_t *clause,
                     int *depth, int *dq)
{
    size_t i = from;
    int32_t prev = 0;

    while (i < to) {
        int32_t c = nlp_utf8_get(s, to, &i);
        switch (c) {
        case '.':
        case '!':
        case '?':
        case '\n':
        case 0x2026: /* … */
            (*sent)++;
            (*clause)++;
            break;
        case ',':
        case ';':
        case ':':
        case '(':
        case ')':
        case 0x2013:
        case 0x2014: /* – — */
            (*clause)++;
            break;
        case '-': /* a dash, not a minus: " - " */
            if (prev == ' ')
                (*clause)++;
            break;
        case 0xAB:
        case 0x201C:
        case 0x201E: /* « “ „ */
            if (c == 0x201C && *depth > 0)
                (*depth)--; /* „...“ closes with “ */
            else
                (*depth)++;
            break;
        case 0xBB:
        case 0x201D: /* » ” */
            if (*depth > 0)
                (*depth)--;
            break;
        case '"':
            *dq = !*dq;
            break;
        default:
            break;
        }
        if (c < 0 && i == from)
            break;
        prev = c;
    }
}

static struct tokctx *token_context(struct nlp_analyzer *a, const struct nlp_doc *doc,
                                    const char *base)
{
    struct tokctx *ctx = nlp_arena_alloc(&a->arena, doc->ntokens * sizeof(*ctx));
    size_t pos = 0;
    uint32_t sent = 0, clause = 0;
    int depth = 0, dq = 0;

    if (!ctx)
        return NULL;
    for (size_t i = 0; i < doc->ntokens; i++) {
        const struct nlp_token *t = &doc->tokens[i];
        if (t->start > pos)
            scan_gap(base, pos, t->start, &sent, &clause, &depth, &dq);
        ctx[i].sentence = sent;
        ctx[i].clause = clause;
        ctx[i].quoted = depth > 0 || dq;
        if (t->end > pos)
            pos = t->end;
    }
    return ctx;
}

/* ---------------------------------------------------------------------------
 * Scoring
 * ------------------------------------------------------------------------ */

static int cmp_hit(const void *x, const void *y)
{
    const struct nlp_lx_hit *a = x, *b = y;

    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    if (a->last != b->last)
        return a->last < b->last ? -1 : 1;
    return a->rule < b->rule ? -1 : a->rule > b->rule;
}

static int cmp_topic(const void *x, const void *y)
{
    const struct nlp_topic *a = x, *b = y;

    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    if (a->name.n != b->name.n)
        return a->name.n < b->name.n ? -1 : 1;
    return memcmp(a->name.p, b->name.p, a->name.n);
}

static int cmp_evidence(const void *x, const void *y)
{
    const struct nlp_evidence *a = x, *b = y;
    int c;

    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    if (a->category.n != b->category.n)
        return a->category.n < b->category.n ? -1 : 1;
    if ((c = memcmp(a->category.p, b->category.p, a->category.n)))
        return c;
    if (a->rule.n != b->rule.n)
        return a->rule.n < b->rule.n ? -1 : 1;
    return memcmp(a->rule.p, b->rule.p, a->rule.n);
}

/*
 * Insertion sorts for the few items of one post (qsort's call per comparison
 * dominated); long lists go to qsort.  The comparators are total orders, so
 * the result does not depend on the algorithm.
 */
#define SMALL_SORT 24
#define DEFINE_SORT(name, type, cmp)                                                               \
    static void name(type *x, size_t n)                                                            \
    {                                                                                              \
        if (n > SMALL_SORT) {                                                                      \
            qsort(x, n, sizeof(*x), cmp);                                                          \
            return;                                                                                \
        }                                                                                          \
        for (size_t i = 1; i < n; i++) {                                                           \
            type t = x[i];                                                                         \
            size_t j = i;                                                                          \
            for (; j > 0 && cmp(&x[j - 1], &t) > 0; j--)                                           \
                x[j] = x[j - 1];                                                                   \
            x[j] = t;                                                                              \
        }                                                                                          \
    }
DEFINE_SORT(sort_hits, struct nlp_lx_hit, cmp_hit)
DEFINE_SORT(sort_topics, struct nlp_topic, cmp_topic)
DEFINE_SORT(sort_evidence, struct nlp_evidence, cmp_evidence)

/*
 * The same evidence once: hits (sorted by span) that cover the same tokens
 * for the same category -- two spellings of one stem ("митинг*", "мітинг*"),
 * a hashtag's written and transliterated forms -- keep the heaviest rule
 * only, so the evidence list shows the match once and its topic counts it
 * once.  Returns the number of hits kept, compacted in place.
 */
static size_t dedupe_hits(struct nlp_lx_hit *h, size_t n, const struct nlp_lx_rule *rules)
{
    size_t kept = 0, group = 0; /* group: the first kept hit of the current span */

    for (size_t k = 0; k < n; k++) {
        bool dup = false;

        if (kept == 0 || h[group].first != h[k].first || h[group].last != h[k].last)
            group = kept;
        for (size_t g = group; g < kept && !dup; g++) {
            if (rules[h[g].rule].cat != rules[h[k].rule].cat)
                continue;
            dup = true;
            if (rules[h[k].rule].weight > rules[h[g].rule].weight)
                h[g] = h[k];
        }
        if (!dup)
            h[kept++] = h[k];
    }
    return kept;
}

/* Whether match h (a stance term, or a call when call is set) is negated.
 * A negation cue cancels it from within NLP_NEG_WINDOW tokens before it in
 * its clause (a Kazakh one also from 2 tokens after it); an opposition cue
 * ("против", "against", "қарсы") does the same to a term of support but
 * not to a term of blame (one a cue/negative word covers: opposing the
 * "occupiers" is the stance itself), and never to a call ("против
 * коррупции выходим").  A match holding a negation is a negation already
 * ("нет войне", "соғысқа жоқ"). */
static int negated(const struct nlp_lx_rule *rules, const struct nlp_lx_hit *hits, size_t nhits,
                   const struct nlp_lx_hit *h, const struct tokctx *ctx, int call)
{
    int neg = 0, blame = -1;

    for (size_t k = 0; k < nhits; k++) {
        const struct nlp_lx_hit *g = &hits[k];
        int fam = rules[g->rule].family;
        if (fam != NLP_CAT_NEGATION && fam != NLP_CAT_OPPOSITION)
            continue;
        if (g->first >= h->first && g->last <= h->last)
            return 0; /* "нет войне", "соғысқа жоқ": a negation already */
        if (!(g->last < h->first && g->last + NLP_NEG_WINDOW >= h->first &&
              ctx[g->last].clause == ctx[h->first].clause) &&
            !(rules[g->rule].lang == NLP_LANG_KK && g->first > h->last && g->first <= h->last + 2 &&
              ctx[g->first].clause == ctx[h->last].clause))
            continue;
        if (fam == NLP_CAT_OPPOSITION) {
            if (call)
                continue;
            if (blame < 0) {
                blame = 0;
                for (size_t q = 0; q < nhits && !blame; q++)
                    blame = rules[hits[q].rule].family == NLP_CAT_NEGATIVE &&
                            hits[q].first <= h->last && hits[q].last >= h->first;
            }
            if (blame)
                continue;
        }
        neg = 1;
    }
    return neg;
}

/* Is every token of sentence sn, which holds token t, inside a cue/sarcasm
 * match ("Ну да, конечно 🙃.": markers only)? */
static bool only_sarcasm(const struct nlp_lx_rule *rules, const struct nlp_lx_hit *hits,
                         size_t nhits, const struct tokctx *ctx, size_t ntokens, uint32_t t)
{
    uint32_t sn = ctx[t].sentence, a = t, b = t;

    while (a > 0 && ctx[a - 1].sentence == sn)
        a--;
    while (b + 1 < ntokens && ctx[b + 1].sentence == sn)
        b++;
    for (uint32_t i = a; i <= b; i++) {
        bool in = false;
        for (size_t k = 0; k < nhits && !in; k++)
            in = rules[hits[k].rule].family == NLP_CAT_SARCASM && hits[k].first <= i &&
                 hits[k].last >= i;
        if (!in)
            return false;
    }
    return true;
}

/* How strongly sarcasm covers match h: the largest weight of a cue/sarcasm
 * match in its sentence, or in a sentence beside it when markers are all that
 * sentence holds ("Ну да, конечно. Слава России..."; "... Ахаха 😂").  A
 * marker inside the match's own span ("ну да" in a phrase) does not count. */
static float sarcasm(const struct nlp_lx_rule *rules, const struct nlp_lx_hit *hits, size_t nhits,
                     const struct nlp_lx_hit *h, const struct tokctx *ctx, size_t ntokens)
{
    float ws = 0.0f;

    for (size_t k = 0; k < nhits; k++) {
        const struct nlp_lx_hit *g = &hits[k];
        uint32_t gs, hs = ctx[h->first].sentence;
        if (rules[g->rule].family != NLP_CAT_SARCASM || rules[g->rule].weight <= ws)
            continue;
        if (g->first >= h->first && g->last <= h->last)
            continue;
        gs = ctx[g->first].sentence;
        if (gs != hs && ((gs + 1 != hs && hs + 1 != gs) ||
                         !only_sarcasm(rules, hits, nhits, ctx, ntokens, g->first)))
            continue;
        ws = rules[g->rule].weight;
    }
    return ws;
}

struct catacc {
    float prod;   /* prod(1 - w) over closed clusters */
    float cur;    /* the open cluster's largest weight */
    uint32_t end; /* the open cluster's last token; valid when cur > 0 */
    float sum;    /* sum over clusters (stance, regions) */
};

/* A post's category accumulators; only the categories it touches are
 * initialized and closed (a post hits a few of the lexicon's ~90). */
struct accs {
    struct catacc *acc; /* per category, + 1: pro-Russian terms flipped */
    uint32_t *touched;  /* categories in acc, in order of first touch */
    uint8_t *seen;
    size_t ntouched;
};

static struct catacc *acc_of(struct accs *s, size_t c)
{
    if (!s->seen[c]) {
        s->seen[c] = 1;
        s->acc[c] = (struct catacc){1.0f, 0.0f, 0, 0.0f};
        s->touched[s->ntouched++] = (uint32_t)c;
    }
    return &s->acc[c];
}

/* The region of a post: the region category with the largest summed weight,
 * a town's hits counting for its region too; then the town of that region
 * with the largest sum, if any.  Ties go to the category listed first.
 * Categories are closed; a post touches few of them, so pairs are cheap. */
static void region_close(const struct accs *as, const struct nlp_lx_cat *cats, size_t ncats,
                         struct nlp_verdict *v)
{
    size_t best = SIZE_MAX, city = SIZE_MAX;
    float best_sum = 0.0f, city_sum = 0.0f;

    for (size_t k = 0; k < as->ntouched; k++) {
        size_t c = as->touched[k], r;
        float sum = 0.0f;
        if (c == ncats || (cats[c].family != NLP_CAT_REGION && cats[c].family != NLP_CAT_CITY))
            continue;
        r = cats[c].family == NLP_CAT_CITY ? cats[c].parent : c;
        if (r == best || r >= ncats)
            continue;
        for (size_t j = 0; j < as->ntouched; j++) {
            size_t d = as->touched[j];
            if (d < ncats && (d == r || (cats[d].family == NLP_CAT_CITY && cats[d].parent == r)))
                sum += as->acc[d].sum;
        }
        if (sum > best_sum || (sum == best_sum && sum > 0.0f && r < best)) {
            best_sum = sum;
            best = r;
        }
    }
    if (best == SIZE_MAX)
        return;
    v->region = cats[best].name;
    for (size_t k = 0; k < as->ntouched; k++) {
        size_t c = as->touched[k];
        if (c == ncats || cats[c].family != NLP_CAT_CITY || cats[c].parent != best)
            continue;
        if (as->acc[c].sum > city_sum || (as->acc[c].sum == city_sum && c < city)) {
            city_sum = as->acc[c].sum;
            city = c;
        }
    }
    if (city != SIZE_MAX && city_sum > 0.0f)
        v->city = cats[city].name;
}

static void acc_add(struct catacc *c, uint32_t first, uint32_t last, float w)
{
    if (w <= 0.0f)
        return;
    if (c->cur > 0.0f && first <= c->end) {
        if (w > c->cur)
            c->cur = w;
        if (last > c->end)
            c->end = last;
        return;
    }
    if (c->cur > 0.0f) {
        c->prod *= 1.0f - c->cur;
        c->sum += c->cur;
    }
    c->cur = w;
    c->end = last;
}

static void add(struct accs *s, size_t c, uint32_t first, uint32_t last, float w)
{
    if (w > 0.0f)
        acc_add(acc_of(s, c), first, last, w);
}

static void acc_close(struct catacc *c)
{
    if (c->cur > 0.0f) {
        c->prod *= 1.0f - c->cur;
        c->sum += c->cur;
        c->cur = 0.0f;
    }
}

static float clamp01(float x)
{
    return x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x;
}

/* Whether a sentence ends in the bytes between tokens i and j (i < j); with
 * clause, whether a clause ends (a sentence end is one too). */
static int ends_between(const char *base, const struct nlp_doc *doc, uint32_t i, uint32_t j,
                        bool clause)
{
    uint32_t sent = 0, cl = 0;
    int depth = 0, dq = 0;

    for (uint32_t k = i + 1; k <= j && !(clause ? cl : sent); k++)
        if (doc->tokens[k].start > doc->tokens[k - 1].end)
            scan_gap(base, doc->tokens[k - 1].end, doc->tokens[k].start, &sent, &cl, &depth, &dq);
    return (clause ? cl : sent) != 0;
}

static bool ends_with(struct kz_str s, const char *suf)
{
    size_t n = strlen(suf);

    return s.n >= n && !memcmp(s.p + s.n - n, suf, n);
}

/* Kazakh postpositions of place, as written and typed without the Kazakh
 * letters ("алдына": in front of; "маңында": near; "жанында": beside). */
static bool kk_postposition(const struct nlp_token *t)
{
    static const char *const words[] = {
        "алдына",  "алдында", "алдынан", "маңында", "маңына",  "манында", "манына",
        "жанында", "жанына",  "қасында", "қасына",  "касында", "касына",
    };

    if (t->kind != NLP_TOK_WORD)
        return false;
    for (size_t i = 0; i < KZ_ARRAY_LEN(words); i++)
        if (t->norm.n == strlen(words[i]) && !memcmp(t->norm.p, words[i], t->norm.n))
            return true;
    return false;
}

/* A genitive ending (-ның -нің -дың -дің -тың -тің, or typed without the
 * Kazakh letters): "елшілігінің алдына", the embassy's front. */
static bool kk_genitive(const struct nlp_token *t)
{
    static const char *const ends[] = {"ның", "нің", "дың", "дің", "тың", "тің",
                                       "нын", "нин", "дын", "дин", "тын", "тин"};

    if (t->kind != NLP_TOK_WORD)
        return false;
    for (size_t i = 0; i < KZ_ARRAY_LEN(ends); i++)
        if (ends_with(t->norm, ends[i]))
            return true;
    return false;
}

/* The span of the first cue hit, grown over the hits that start within one
 * token of its end in the same sentence ("Республика алаңына", "к акимату,
 * на площадь").  With postpos, a span that starts at a Kazakh postposition
 * takes the word before it, and that word's possessor when the word is in
 * the genitive ("мектеп алдында", "Украина елшілігінің алдына"), within the
 * clause. */
static struct kz_str first_span(const char *base, const struct nlp_doc *doc, const uint32_t *f,
                                const uint32_t *l, size_t n, bool postpos)
{
    uint32_t first = UINT32_MAX, last = 0;

    for (size_t i = 0; i < n; i++)
        if (f[i] < first) {
            first = f[i];
            last = l[i];
        }
    if (first == UINT32_MAX)
        return KZ_STR_NULL;
    for (int grew = 1; grew;) {
        grew = 0;
        for (size_t i = 0; i < n; i++)
            if (f[i] > first && f[i] <= last + 2 && l[i] > last &&
                (f[i] <= last || !ends_between(base, doc, last, f[i], false))) {
                last = l[i];
                grew = 1;
            }
    }
    if (postpos && kk_postposition(&doc->tokens[first])) {
        for (int words = 0; words < 2 && first > 0; words++) {
            const struct nlp_token *p = &doc->tokens[first - 1];
            if (p->kind != NLP_TOK_WORD || ends_between(base, doc, first - 1, first, true))
                break;
            first--;
            if (!kk_genitive(p))
                break;
        }
    }
    return kz_str_make(base + doc->tokens[first].start,
                       doc->tokens[last].end - doc->tokens[first].start);
}

int nlp_classify(struct nlp_analyzer *a, const struct nlp_lexicon *lx, const struct nlp_doc *doc,
                 struct nlp_verdict *v)
{
    const struct nlp_lx_rule *rules;
    const struct nlp_lx_cat *cats;
    struct nlp_lx_hit *hits;
    struct tokctx *ctx;
    struct accs as = {0};
    struct nlp_evidence *ev;
    struct nlp_topic *topics;
    uint32_t *tf, *tl, *pf, *pl, *td;
    size_t ntd, nrules, ncats, nhits, ntime = 0, nplace = 0, nev = 0, ntopics = 0;
    const char *base;
    float cta = 0.0f, tim = 0.0f, place = 0.0f, protest = 0.0f, s_ua, s_ru;
    float past = 0.0f, everyday = 0.0f;
    bool bare;
    int rc;
    long protest_cat, war; /* the protest topic; war_ukraine, which stance terms imply */

    memset(v, 0, sizeof(*v));
    v->lang = doc->lang;
    v->script = doc->script;
    v->stance = NLP_STANCE_NONE;
    if (!lx || !doc->ntokens)
        return 0;
    base = doc->tokens[0].surface.p - doc->tokens[0].start;
    rules = nlp_lexicon_rules(lx, &nrules);
    cats = nlp_lexicon_cats(lx, &ncats);
    if ((rc = nlp_lexicon_match(lx, a, doc, &hits, &nhits)))
        return rc;
    ctx = NULL; /* sentences and quotes: only stance and call rules need them */
    {
        /* one block for the working arrays, largest alignment first */
        size_t nc = ncats + 1, nx = nhits + doc->ntokens + 1;
        char *p = nlp_arena_alloc(&a->arena, nc * sizeof(*as.acc) + nx * sizeof(*ev) +
                                                 nc * sizeof(*topics) +
                                                 (4 * nx + doc->ntokens + nc) * sizeof(*tf) + nc);
        _Static_assert(_Alignof(struct nlp_evidence) <= 8 && _Alignof(struct catacc) <= 8 &&
                           _Alignof(struct nlp_topic) <= 8,
                       "the arena aligns to 8");
        if (!p)
            return KZ_ENOMEM;
        ev = (struct nlp_evidence *)p;
        p += nx * sizeof(*ev);
        topics = (struct nlp_topic *)p;
        p += nc * sizeof(*topics);
        as.acc = (struct catacc *)p;
        p += nc * sizeof(*as.acc);
        tf = (uint32_t *)p;
        tl = tf + nx;
        pf = tl + nx;
        pl = pf + nx;
        td = pl + nx;
        as.touched = td + doc->ntokens;
        as.seen = (uint8_t *)(as.touched + nc);
    }
    memset(as.seen, 0, ncats + 1);
    if (nhits > 1) {
        sort_hits(hits, nhits);
        nhits = dedupe_hits(hits, nhits, rules);
    }
    nlp_lexicon_topic_cats(lx, &war, &protest_cat);

    /* Evidence, and each match's weight after the stance and mobilization rules. */
    for (size_t k = 0; k < nhits; k++) {
        const struct nlp_lx_hit *h = &hits[k];
        const struct nlp_lx_rule *r = &rules[h->rule];
        float w = r->weight;
        struct nlp_evidence *e = &ev[nev++];

        e->match = kz_str_make(base + doc->tokens[h->first].start,
                               doc->tokens[h->last].end - doc->tokens[h->first].start);
        e->rule = r->rule;
        e->category = r->category;
        e->start = doc->tokens[h->first].start;
        e->end = doc->tokens[h->last].end;
        e->weight = r->weight;

        if ((r->family == NLP_CAT_PRO_UKRAINE || r->family == NLP_CAT_PRO_RUSSIA ||
             r->family == NLP_CAT_CALL) &&
            !ctx && !(ctx = token_context(a, doc, base)))
            return KZ_ENOMEM;
        switch (r->family) {
        case NLP_CAT_PRO_UKRAINE:
        case NLP_CAT_PRO_RUSSIA: {
            int reported = 0;
            if (war >= 0)
                add(&as, (size_t)war, h->first, h->last, w * NLP_STANCE_TOPIC);
            for (size_t g = 0; g < nhits && !reported; g++)
                reported = rules[hits[g].rule].family == NLP_CAT_REPORTING &&
                           ctx[hits[g].first].sentence == ctx[h->first].sentence;
            if (negated(rules, hits, nhits, h, ctx, 0)) {
                w = 0.0f;
            } else if (reported) {
                w *= NLP_REPORT_DISCOUNT;
            } else if (ctx[h->first].quoted && r->family == NLP_CAT_PRO_RUSSIA) {
                /* scare quotes: «освобождение» mocks the framing it quotes */
                add(&as, ncats, h->first, h->last, w * NLP_SCARE_FLIP);
                w = 0.0f;
            } else {
                /* "Ну да, конечно, всё по плану": which side a sarcastic
                 * author takes is not in the words; evidence, no verdict */
                w *= 1.0f - sarcasm(rules, hits, nhits, h, ctx, doc->ntokens);
            }
            break;
        }
        case NLP_CAT_CALL:
            if (negated(rules, hits, nhits, h, ctx, 1))
                w = 0.0f;
            if (w > cta)
                cta = w;
            break;
        case NLP_CAT_TIME:
            if (w > tim)
                tim = w;
            tf[ntime] = h->first;
            tl[ntime++] = h->last;
            break;
        case NLP_CAT_PAST:
            if (w > past)
                past = w;
            break;
        case NLP_CAT_EVERYDAY:
            if (w > everyday)
                everyday = w;
            break;
        case NLP_CAT_PLACE:
        case NLP_CAT_REGION:
        case NLP_CAT_CITY:
            if (w > place)
                place = w;
            pf[nplace] = h->first;
            pl[nplace++] = h->last;
            break;
        default:
            break;
        }
        add(&as, r->cat, h->first, h->last, w);
    }
    /* Times and dates the tokenizer recognized; rule words of the mobilization rules. */
    ntd = 0; /* their indices first, without a branch per token (none to look for
                when the analyzer counted none in its own document) */
    for (size_t i = 0, n = doc->tokens == a->toks && !a->ntimes ? 0 : doc->ntokens; i < n; i++) {
        unsigned k = doc->tokens[i].kind;
        td[ntd] = (uint32_t)i;
        ntd += k - NLP_TOK_TIME <= 1u; /* NLP_TOK_TIME or NLP_TOK_DATE */
    }
    size_t nlex = nev; /* the lexicon's evidence */
    for (size_t j = 0; j < ntd; j++) {
        const struct nlp_token *t = &doc->tokens[td[j]];
        const char *rn = t->kind == NLP_TOK_TIME ? "<time>" : "<date>";
        /* An entry the tokenizer reads as this very time ("в 11 утра" is
         * 11:00) is the same evidence: listed once, under the heavier rule. */
        struct nlp_evidence *e = NULL;
        for (size_t i = 0; i < nlex && !e; i++)
            if (ev[i].start == t->start && ev[i].end == t->end && ev[i].category.n == 8 &&
                !memcmp(ev[i].category.p, "cue/time", 8))
                e = &ev[i];
        if (!e)
            e = &ev[nev++];

        e->match = kz_str_make(base + t->start, t->end - t->start);
        e->rule = kz_str_make(rn, strlen(rn));
        e->category = kz_str_make("cue/time", 8);
        e->start = t->start;
        e->end = t->end;
        e->weight = 1.0f;
        tim = 1.0f;
        tf[ntime] = tl[ntime] = td[j];
        ntime++;
    }

    /* Close the categories: topics, stance sums, region (ties go to the
     * category listed first, as if every category were visited in order). */
    s_ua = s_ru = 0.0f;
    for (size_t k = 0; k < as.ntouched; k++) {
        size_t c = as.touched[k];
        struct catacc *acc = &as.acc[c];
        float score;

        acc_close(acc);
        if (c == ncats) { /* pro-Russian terms in scare quotes */
            s_ua += acc->sum;
            continue;
        }
        score = 1.0f - acc->prod;
        switch (cats[c].family) {
        case NLP_CAT_TOPIC:
            if ((long)c == protest_cat)
                protest = score;
            if (score >= NLP_TOPIC_MIN) {
                topics[ntopics].name = cats[c].name;
                topics[ntopics++].score = score;
            }
            break;
        case NLP_CAT_PRO_UKRAINE:
            s_ua += acc->sum;
            break;
        case NLP_CAT_PRO_RUSSIA:
            s_ru += acc->sum;
            break;
        default:
            break;
        }
    }
    region_close(&as, cats, ncats, v);

    if (s_ua > s_ru && s_ua - s_ru >= NLP_STANCE_MIN) {
        v->stance = NLP_STANCE_PRO_UKRAINE;
        v->stance_score = clamp01(s_ua - s_ru);
    } else if (s_ru > s_ua && s_ru - s_ua >= NLP_STANCE_MIN) {
        v->stance = NLP_STANCE_PRO_RUSSIA;
        v->stance_score = clamp01(s_ru - s_ua);
    }

    /* A call and a time alone are plans ("сенбіде шығайық", "в пятницу
     * собираемся у Ерлана"): a post with no topic scores NLP_MOB_BARE less,
     * and calls to action only with a place. */
    bare = ntopics == 0;
    v->mob_score = clamp01(0.5f * cta + 0.2f * tim + 0.15f * place + 0.3f * protest - 0.4f * past -
                           0.45f * everyday - (bare ? NLP_MOB_BARE : 0.0f));
    v->call_to_action = cta > 0.0f && v->mob_score >= NLP_MOB_MIN && (!bare || place > 0.0f);
    if (v->call_to_action && protest_cat >= 0 && protest < NLP_TOPIC_MIN) {
        /* a call to rally is about protest, whatever its cause */
        topics[ntopics].name = cats[protest_cat].name;
        topics[ntopics++].score = v->mob_score;
    }
    if (ntopics > 1)
        sort_topics(topics, ntopics);
    v->topics = topics;
    v->ntopics = ntopics;
    v->when = ntime ? first_span(base, doc, tf, tl, ntime, false) : KZ_STR_NULL;
    v->where = nplace ? first_span(base, doc, pf, pl, nplace, true) : KZ_STR_NULL;

    if (nev > 1)
        sort_evidence(ev, nev);
    v->evidence = ev;
    v->nevidence = nev;
    return 0;
}
