/*
 * eval.c -- the evaluator: every enabled rule's keys, judged minute by minute
 * against their baselines, stepped through the state machine, and each event
 * handed out as a record with its evidence.
 *
 * Design: a key is (rule, store dimension), one per region for a rule over
 * regions.  For the window ending with minute m it reads the observed count
 * (a minute series of the dimension), and only when that reaches min_count
 * -- nothing under it can be hot, and it is a quiet minute -- the baseline
 * (alerts_baseline_read / alerts_share_read) and the distinct authors of the
 * window (the per-minute sketches every rule's dimension has,
 * agg_store_distinct_minutes).  Then alerts_evaluate() and alerts_step().
 *
 * Two states per key: st, taken from final minutes only (the watermark passed
 * them: every post is counted), and pv, the preview, a copy of st stepped
 * with early looks at partial minutes, so a burst fires within a minute
 * rather than after the watermark.  The preview is dropped (pv = st) whenever
 * the finals catch up with it or say something of their own (a fire, a
 * resolution).  Since counts only grow, a minute that fires early fires
 * final too, with the same first minute and so the same id; the same
 * (id, event, last minute) is handed to emit once per process, and the
 * stream's claim (stream.c) makes it once across processes.
 *
 * A final minute is taken per key: when emit or the store fails half way
 * through the keys, the keys done keep the minute and the others retry it on
 * the next call, so no event is lost and none is repeated.
 *
 * Frozen stores (a replay: every post is in before the first evaluation) are
 * read a day of minutes at a time per key, and the window summed from that
 * cache, so a month of minutes costs a few thousand series reads, not millions.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alerts.h"
#include "kz_civil.h"

#define EVAL_CACHE_MINUTES 1440
#define EVAL_SAMPLES 10
#define EVAL_TOP 10
#define EVAL_DIM_MAX 512

struct eval_key {
    const struct alerts_rule *rule;
    char *dim;                 /* the counted dimension */
    char *sample_dim;          /* the sampled dimension the evidence comes from */
    char *region;              /* the region code as the rule set knows it, or NULL */
    const char *region_name;   /* borrowed from the regions callback, or NULL */
    struct alerts_state st;    /* final minutes */
    struct alerts_state pv;    /* st plus early looks */
    bool restored;             /* a record set st (alerts_eval_restore) */
    enum alerts_event memo_ev; /* the last event handed to emit ... */
    int64_t memo_first, memo_last;
    struct agg_series cache; /* frozen stores: minute counts of [cache_from, cache_to) */
    int64_t cache_from, cache_to;
    struct agg_series dcache; /* stance_share: the denominator's */
    int64_t dcache_from, dcache_to;
};

struct alerts_eval {
    struct alerts_eval_config cfg;
    struct eval_key *keys;
    size_t n, cap;
    struct alerts_eval_stats stats;
};

/* ---------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------ */

static char *dupstr(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The sampled dimension behind a key: samples are kept for mob:call,
 * topic:<t> and stance:<s>, never for crosses; a region's posts are read off
 * them by their region field. */
static char *sample_dim(const struct alerts_rule *r)
{
    char buf[EVAL_DIM_MAX];

    switch (r->kind) {
    case ALERTS_CALL:
        return strdup("mob:call");
    case ALERTS_TOPIC:
        snprintf(buf, sizeof(buf), "topic:%s", r->subject);
        return strdup(buf);
    case ALERTS_STANCE_SHARE:
        snprintf(buf, sizeof(buf), "stance:%s", r->subject);
        return strdup(buf);
    case ALERTS_TERM_SURGE:
    case ALERTS_HASHTAG_SURGE: /* a watched member's dimension keeps its own samples */
        return alerts_rule_dim(r, NULL, buf, sizeof(buf)) ? NULL : strdup(buf);
    default:
        return NULL;
    }
}

struct add_ctx {
    struct alerts_eval *e;
    const struct alerts_rule *r;
    int rc;
    char *err;
    size_t errlen;
};

static void add_key(struct add_ctx *a, const char *code, const char *name)
{
    struct alerts_eval *e = a->e;
    char dim[EVAL_DIM_MAX];
    int rc;

    if (a->rc)
        return;
    if ((rc = alerts_rule_dim(a->r, code, dim, sizeof(dim)))) {
        a->rc = rc;
        snprintf(a->err, a->errlen,
                 rc == KZ_EUNSUPPORTED
                     ? "rule %s (line %d): kind %s%s is not evaluated: the store keeps no "
                       "per-minute counter for it (stances, terms and hashtags are not "
                       "counted per region); disable the rule or change its kind"
                     : "rule %s (line %d): kind %s%s: the dimension is too long",
                 a->r->id, a->r->line, alerts_kind_name(a->r->kind), code ? " per region" : "");
        return;
    }
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 32;
        struct eval_key *k = realloc(e->keys, cap * sizeof(*k));
        if (!k) {
            a->rc = KZ_ENOMEM;
            snprintf(a->err, a->errlen, "out of memory");
            return;
        }
        e->keys = k;
        e->cap = cap;
    }
    struct eval_key *k = &e->keys[e->n];
    memset(k, 0, sizeof(*k));
    k->rule = a->r;
    k->dim = strdup(dim);
    k->sample_dim = sample_dim(a->r);
    k->region = dupstr(code);
    k->region_name = name;
    alerts_state_init(&k->st);
    k->pv = k->st;
    k->memo_ev = ALERTS_EV_NONE;
    e->n++;
    if (!k->dim || !k->sample_dim || (code && !k->region)) {
        a->rc = KZ_ENOMEM;
        snprintf(a->err, a->errlen, "out of memory");
    }
}

static void add_each(void *arg, const char *code, const char *name)
{
    add_key(arg, code, name);
}

static void key_free(struct eval_key *k)
{
    free(k->dim);
    free(k->sample_dim);
    free(k->region);
    agg_series_free(&k->cache);
    agg_series_free(&k->dcache);
}

int alerts_eval_new(const struct alerts_eval_config *cfg, struct alerts_eval **out, char *err,
                    size_t errlen)
{
    *out = NULL;
    if (!cfg || !cfg->rules || !cfg->store || !cfg->emit) {
        snprintf(err, errlen, "alerts: the evaluator needs rules, a store and an emitter");
        return KZ_EINVAL;
    }
    struct alerts_eval *e = calloc(1, sizeof(*e));
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return KZ_ENOMEM;
    }
    e->cfg = *cfg;
    if (!e->cfg.regions)
        e->cfg.regions = &alerts_regions_iso;
    if (!e->cfg.off)
        e->cfg.off = alerts_offset_almaty;
    struct add_ctx a = {e, NULL, 0, err, errlen};
    for (size_t i = 0; i < cfg->rules->n && !a.rc; i++) {
        const struct alerts_rule *r = &cfg->rules->rules[i];
        if (!r->enabled)
            continue;
        a.r = r;
        if (r->scope == ALERTS_OVERALL) {
            add_key(&a, NULL, NULL);
        } else if (r->scope == ALERTS_EACH_REGION) {
            e->cfg.regions->each(e->cfg.regions->ctx, add_each, &a);
        } else {
            for (size_t j = 0; j < r->nregions && !a.rc; j++) {
                const char *name = NULL;
                if (!e->cfg.regions->lookup(e->cfg.regions->ctx, r->regions[j], &name)) {
                    a.rc = KZ_EINVAL;
                    snprintf(err, errlen, "rule %s (line %d): unknown region \"%s\"", r->id,
                             r->line, r->regions[j]);
                    break;
                }
                add_key(&a, r->regions[j], name);
            }
        }
    }
    if (a.rc) {
        alerts_eval_free(e);
        return a.rc;
    }
    *out = e;
    return 0;
}

static int no_emit(void *ctx, enum alerts_event ev, const struct alerts_record *rec,
                   const char *json)
{
    (void)ctx, (void)ev, (void)rec, (void)json;
    return 0;
}

int alerts_eval_check(const struct alerts_rules *rules, const struct alerts_regions *regions,
                      char *err, size_t errlen)
{
    struct agg_store *st = NULL;
    struct alerts_eval *e = NULL;
    int rc;

    if ((rc = agg_store_mem_new(NULL, &st))) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    struct alerts_eval_config c = {
        .rules = rules, .regions = regions, .store = st, .emit = no_emit};
    rc = alerts_eval_new(&c, &e, err, errlen);
    alerts_eval_free(e);
    agg_store_free(st);
    return rc;
}

int alerts_rules_check_topics(const struct alerts_rules *rules,
                              int (*known)(void *ctx, const char *topic), void *ctx, char *err,
                              size_t errlen)
{
    for (size_t i = 0; i < rules->n; i++) {
        const struct alerts_rule *r = &rules->rules[i];
        const char *t = r->kind == ALERTS_TOPIC ? r->subject
                        : r->kind == ALERTS_STANCE_SHARE && r->of && !strncmp(r->of, "topic:", 6)
                            ? r->of + 6
                            : NULL;
        if (t && !known(ctx, t)) {
            snprintf(err, errlen,
                     "rule %s (line %d): topic \"%s\" is not a topic the lexicons know "
                     "(their topic/<name> categories): the rule would never count a post",
                     r->id, r->line, t);
            return KZ_EINVAL;
        }
    }
    return 0;
}

void alerts_eval_free(struct alerts_eval *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++)
        key_free(&e->keys[i]);
    free(e->keys);
    free(e);
}

size_t alerts_eval_keys(const struct alerts_eval *e)
{
    return e ? e->n : 0;
}

void alerts_eval_stats(const struct alerts_eval *e, struct alerts_eval_stats *out)
{
    *out = e->stats;
}

int64_t alerts_eval_final_ms(const struct alerts_eval *e)
{
    int64_t m = INT64_MAX;
    for (size_t i = 0; i < e->n; i++)
        if (e->keys[i].st.last_final_ms < m)
            m = e->keys[i].st.last_final_ms;
    return e->n ? m : INT64_MIN;
}

/* ---------------------------------------------------------------------------
 * Reading the store
 * ------------------------------------------------------------------------ */

/* The count of dim over the window [from, to) of minutes: from the key's
 * cache on a frozen store (refilled a day at a time), else a series. */
static int window_count(struct alerts_eval *e, const char *dim, struct agg_series *cache,
                        int64_t *cfrom, int64_t *cto, int64_t from, int64_t to, int64_t *out,
                        char *err, size_t errlen)
{
    int rc;

    *out = 0;
    if (!e->cfg.frozen) {
        struct agg_series s;
        if ((rc = agg_store_series(e->cfg.store, AGG_MINUTE, dim, from, to, &s, err, errlen)))
            return rc;
        *out = s.total;
        agg_series_free(&s);
        return 0;
    }
    if (!cache->points || from < *cfrom || to > *cto) {
        agg_series_free(cache);
        *cfrom = from;
        *cto = to + EVAL_CACHE_MINUTES * AGG_MINUTE_MS;
        if ((rc = agg_store_series(e->cfg.store, AGG_MINUTE, dim, *cfrom, *cto, cache, err,
                                   errlen))) {
            *cfrom = *cto = 0;
            return rc;
        }
    }
    size_t i0 = (size_t)((from - *cfrom) / AGG_MINUTE_MS);
    size_t i1 = (size_t)((to - *cfrom) / AGG_MINUTE_MS);
    for (size_t i = i0; i < i1 && i < cache->n; i++)
        *out += cache->points[i].count;
    return 0;
}

/* Does a sample's region field name code?  ASCII case aside. */
static bool region_is(struct kz_str have, const char *code)
{
    size_t n = strlen(code);
    if (have.n != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)have.p[i]) != tolower((unsigned char)code[i]))
            return false;
    return true;
}

/* Evidence a record borrows: the samples' strings and the top members. */
struct evidence {
    struct agg_posts posts;
    struct agg_top terms, tags;
    struct alerts_post samples[EVAL_SAMPLES];
    struct alerts_member mterms[EVAL_TOP], mtags[EVAL_TOP];
    char *strs;  /* NUL-terminated copies of the samples' fields */
    char *tstrs; /* and of the posts' top terms */
};

static void evidence_free(struct evidence *ev)
{
    agg_posts_free(&ev->posts);
    agg_top_free(&ev->terms);
    agg_top_free(&ev->tags);
    free(ev->strs);
    free(ev->tstrs);
}

struct term_count {
    struct kz_str term;
    int64_t count;
};

static int term_cmp(const void *a, const void *b)
{
    const struct term_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    size_t n = x->term.n < y->term.n ? x->term.n : y->term.n;
    int c = memcmp(x->term.p, y->term.p, n);
    return c ? c : (x->term.n > y->term.n) - (x->term.n < y->term.n);
}

#define EVAL_TERMS_MAX 512 /* distinct terms counted over a window's posts */
#define EVAL_POST_TERMS 64 /* distinct terms of one post */

/* The lexicon entries behind the topics of the window's kept posts (those of
 * the key's region), each counted once a post, as the "term" top-k counts
 * them; the EVAL_TOP largest (ties by bytes) into ev->mterms.  0 posts: 0. */
static int posts_terms(const struct eval_key *k, struct evidence *ev, size_t *nout)
{
    struct term_count *tc = calloc(EVAL_TERMS_MAX, sizeof(*tc));
    size_t nt = 0, bytes = 0;

    *nout = 0;
    if (!tc)
        return KZ_ENOMEM;
    for (size_t j = 0; j < ev->posts.n; j++) {
        const struct agg_sample *s = &ev->posts.items[j].s;
        struct kz_str rest = s->evidence, seen[EVAL_POST_TERMS];
        struct agg_evidence a;
        size_t nseen = 0;
        if (k->region && !region_is(s->region, k->region))
            continue;
        while (agg_evidence_next(&rest, &a)) {
            struct kz_str t = a.rule;
            size_t i;
            if (a.category.n <= 6 || memcmp(a.category.p, "topic/", 6))
                continue;
            if (t.n >= 2 && t.p[0] == '"' && t.p[t.n - 1] == '"')
                t = kz_str_make(t.p + 1, t.n - 2);
            for (i = 0; i < nseen && !(seen[i].n == t.n && !memcmp(seen[i].p, t.p, t.n)); i++)
                ;
            if (!t.n || i < nseen || nseen == EVAL_POST_TERMS)
                continue;
            seen[nseen++] = t;
            for (i = 0; i < nt && !(tc[i].term.n == t.n && !memcmp(tc[i].term.p, t.p, t.n)); i++)
                ;
            if (i < nt)
                tc[i].count++;
            else if (nt < EVAL_TERMS_MAX)
                tc[nt++] = (struct term_count){t, 1};
        }
    }
    qsort(tc, nt, sizeof(*tc), term_cmp);
    size_t n = nt < EVAL_TOP ? nt : EVAL_TOP;
    for (size_t i = 0; i < n; i++)
        bytes += tc[i].term.n + 1;
    if (n && !(ev->tstrs = malloc(bytes))) {
        free(tc);
        return KZ_ENOMEM;
    }
    char *at = ev->tstrs;
    for (size_t i = 0; i < n; i++) {
        memcpy(at, tc[i].term.p, tc[i].term.n);
        at[tc[i].term.n] = '\0';
        ev->mterms[i] = (struct alerts_member){at, tc[i].count};
        at += tc[i].term.n + 1;
    }
    free(tc);
    *nout = n;
    return 0;
}

static const char *put_str(char **at, struct kz_str s)
{
    char *p = *at;
    memcpy(p, s.p, s.n);
    p[s.n] = '\0';
    *at += s.n + 1;
    return s.n ? p : NULL;
}

/* Up to EVAL_SAMPLES sample posts of the window (of the key's region); the
 * terms of all its kept posts (posts_terms), or when it kept none (samples
 * off) the top terms of the hours the window touches; and the top hashtags
 * of those hours (top-k is kept per hour; a sample keeps no hashtags). */
static int evidence_read(struct alerts_eval *e, const struct eval_key *k, int64_t from, int64_t to,
                         struct alerts_record *rec, struct evidence *ev, char *err, size_t errlen)
{
    int rc;

    memset(ev, 0, sizeof(*ev));
    if ((rc = agg_store_posts(e->cfg.store, k->sample_dim, from, to, 0, &ev->posts, err, errlen)))
        return rc;
    size_t bytes = 0, n = 0;
    for (size_t i = 0; i < ev->posts.n; i++)
        bytes += ev->posts.items[i].len + 8;
    if (bytes && !(ev->strs = malloc(bytes)))
        return KZ_ENOMEM;
    char *at = ev->strs;
    /* newest first from the store; the record lists the first posts of the
     * burst, oldest first, so walk backwards */
    for (size_t j = ev->posts.n; j-- > 0 && n < EVAL_SAMPLES;) {
        const struct agg_sample *s = &ev->posts.items[j].s;
        if (k->region && !region_is(s->region, k->region))
            continue;
        struct alerts_post *p = &ev->samples[n++];
        p->id = put_str(&at, s->id);
        p->platform = put_str(&at, s->platform);
        p->author = put_str(&at, s->author);
        p->text = put_str(&at, s->snippet);
        p->url = NULL;
        p->ts_ms = s->ts_ms;
    }
    rec->samples = ev->samples;
    rec->nsamples = n;

    int64_t hfrom = from / AGG_HOUR_MS * AGG_HOUR_MS;
    int64_t hto = (to + AGG_HOUR_MS - 1) / AGG_HOUR_MS * AGG_HOUR_MS;
    size_t nterms = 0;
    if ((rc = posts_terms(k, ev, &nterms)))
        return rc;
    rec->terms_from = "posts";
    if (!n) { /* no post kept (samples off): the hours' top terms */
        if ((rc = agg_store_topk(e->cfg.store, AGG_TOP_TERM, hfrom, hto, EVAL_TOP, &ev->terms, err,
                                 errlen)))
            return rc;
        for (size_t i = 0; i < ev->terms.n && i < EVAL_TOP; i++)
            ev->mterms[i] =
                (struct alerts_member){ev->terms.items[i].member, ev->terms.items[i].count};
        nterms = ev->terms.n < EVAL_TOP ? ev->terms.n : EVAL_TOP;
        rec->terms_from = "hours";
    }
    if ((rc = agg_store_topk(e->cfg.store, AGG_TOP_HASHTAG, hfrom, hto, EVAL_TOP, &ev->tags, err,
                             errlen)))
        return rc;
    for (size_t i = 0; i < ev->tags.n && i < EVAL_TOP; i++)
        ev->mtags[i] = (struct alerts_member){ev->tags.items[i].member, ev->tags.items[i].count};
    rec->top_terms = ev->mterms;
    rec->nterms = nterms;
    rec->top_hashtags = ev->mtags;
    rec->nhashtags = ev->tags.n < EVAL_TOP ? ev->tags.n : EVAL_TOP;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Judging a key
 * ------------------------------------------------------------------------ */

/* The observation of key k for the window ending with minute m. */
static int observe(struct alerts_eval *e, struct eval_key *k, int64_t m, bool final,
                   struct alerts_obs *o, char *err, size_t errlen)
{
    const struct alerts_rule *r = k->rule;
    int64_t from = m - (int64_t)(r->window - 1) * AGG_MINUTE_MS, to = m + AGG_MINUTE_MS;
    int64_t count;
    int rc;

    if ((rc = window_count(e, k->dim, &k->cache, &k->cache_from, &k->cache_to, from, to, &count,
                           err, errlen)))
        return rc;
    if (count < r->min_count) { /* cannot be hot; a quiet minute */
        memset(o, 0, sizeof(*o));
        o->minute_ms = m;
        o->final = final;
        o->count = count;
        o->authors = -1;
        o->probability = 1;
        o->quiet = true;
        e->stats.skipped++;
        return 0;
    }
    struct alerts_expect ex;
    if (r->kind == ALERTS_STANCE_SHARE) {
        int64_t den;
        if ((rc = window_count(e, r->of ? r->of : "all", &k->dcache, &k->dcache_from, &k->dcache_to,
                               from, to, &den, err, errlen)) ||
            (rc = alerts_share_read(e->cfg.store, k->dim, r->of ? r->of : "all", m, r->window,
                                    r->baseline_weeks, (double)den, e->cfg.off, e->cfg.offctx, &ex,
                                    err, errlen)))
            return rc;
    } else if ((rc = alerts_baseline_read(e->cfg.store, k->dim, m, r->window, r->baseline_weeks,
                                          e->cfg.off, e->cfg.offctx, &ex, err, errlen))) {
        return rc;
    }
    uint64_t authors;
    if ((rc = agg_store_distinct_minutes(e->cfg.store, k->dim, from, to, &authors, err, errlen)))
        return rc;
    alerts_evaluate(r, &ex, m, final, count, (int64_t)authors, o);
    e->stats.evaluations++;
    return 0;
}

/* Hand an event of state s to emit, with its evidence; once per (event,
 * first, last) for a key.  0 or emit's / the store's error. */
static int emit_event(struct alerts_eval *e, struct eval_key *k, const struct alerts_state *s,
                      enum alerts_event ev, char *err, size_t errlen)
{
    if (k->memo_ev == ev && k->memo_first == s->first_ms && k->memo_last == s->last_ms)
        return 0;
    struct alerts_record rec;
    struct evidence evd;
    char *json = NULL;
    int rc;

    if ((rc = alerts_record_fill(&rec, k->rule, k->dim, k->region, k->region_name, s, ev)))
        return rc;
    int64_t to = s->last_ms + AGG_MINUTE_MS;
    int64_t from = s->first_ms - (int64_t)(k->rule->window - 1) * AGG_MINUTE_MS;
    if (to - from > (int64_t)AGG_MINUTE_DISTINCT_MAX * AGG_MINUTE_MS)
        from = to - (int64_t)AGG_MINUTE_DISTINCT_MAX * AGG_MINUTE_MS;
    rc = evidence_read(e, k, from, to, &rec, &evd, err, errlen);
    if (!rc && (rc = alerts_record_json(&rec, &json)))
        snprintf(err, errlen, "alert record: out of memory");
    if (!rc) {
        e->stats.events++;
        rc = e->cfg.emit(e->cfg.emit_ctx, ev, &rec, json);
        if (rc > 0)
            e->stats.published++;
        if (rc >= 0) {
            k->memo_ev = ev;
            k->memo_first = s->first_ms;
            k->memo_last = s->last_ms;
            rc = 0;
        } else if (err && !err[0]) {
            snprintf(err, errlen, "publishing alert %s: %s", rec.id, kz_strerror(rc));
        }
    }
    free(json);
    evidence_free(&evd);
    return rc;
}

static int eval_key(struct alerts_eval *e, struct eval_key *k, int64_t m, bool final, char *err,
                    size_t errlen)
{
    struct alerts_obs o;
    int rc;

    if (final) {
        if (k->st.last_step_ms != INT64_MIN && m <= k->st.last_step_ms)
            return 0; /* taken already (or restored past it) */
        if ((rc = observe(e, k, m, true, &o, err, errlen)))
            return rc;
        struct alerts_state next = k->st;
        int ev = alerts_step(&next, k->rule, &o);
        if (ev < 0)
            return 0; /* an older minute: cannot happen after the check above */
        if (ev != ALERTS_EV_NONE && (rc = emit_event(e, k, &next, ev, err, errlen)))
            return rc; /* not taken: the minute is retried */
        k->st = next;
        if (k->pv.last_step_ms == INT64_MIN || k->pv.last_step_ms <= m || ev != ALERTS_EV_NONE)
            k->pv = k->st;
        return 0;
    }
    if (k->pv.last_step_ms != INT64_MIN && m < k->pv.last_step_ms)
        return 0;
    if (k->st.last_final_ms != INT64_MIN && m <= k->st.last_final_ms)
        return 0;
    if ((rc = observe(e, k, m, false, &o, err, errlen)))
        return rc;
    struct alerts_state next = k->pv;
    int ev = alerts_step(&next, k->rule, &o);
    if (ev < 0)
        return 0;
    if (ev == ALERTS_EV_FIRING || ev == ALERTS_EV_UPDATE) {
        if ((rc = emit_event(e, k, &next, ev, err, errlen)))
            return rc;
    }
    k->pv = next;
    return 0;
}

int alerts_eval_minute(struct alerts_eval *e, int64_t minute_ms, bool final, char *err,
                       size_t errlen)
{
    int64_t m = minute_ms / AGG_MINUTE_MS * AGG_MINUTE_MS;
    int first_rc = 0;

    if (err && errlen)
        err[0] = '\0';
    for (size_t i = 0; i < e->n; i++) {
        int rc = eval_key(e, &e->keys[i], m, final, err, errlen);
        if (rc == KZ_EAGAIN || rc == KZ_ENOMEM)
            return rc; /* the store is away: the other keys would fail alike */
        if (rc && !first_rc)
            first_rc = rc; /* one key's error: the others still go */
    }
    return first_rc;
}

/* ---------------------------------------------------------------------------
 * Restoring from the stream
 * ------------------------------------------------------------------------ */

/* "YYYY-MM-DDTHH:MM:SSZ" (alerts_rfc3339) -> epoch ms; -1 when it is not. */
static int parse_rfc3339(const char *s, int64_t *out)
{
    unsigned y, mo, d, h, mi, se;
    char z;
    if (!s || sscanf(s, "%4u-%2u-%2uT%2u:%2u:%2u%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 ||
        z != 'Z' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    *out = ((kz_days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000LL + se * 1000LL;
    return 0;
}

int alerts_eval_restore(struct alerts_eval *e, const char *json, size_t n)
{
    json_error_t jerr;
    json_t *o = json_loadb(json, n, 0, &jerr);
    int rc = KZ_EDECODE;
    int64_t first, last;

    if (!o)
        return KZ_EDECODE;
    const char *rule = json_string_value(json_object_get(o, "rule"));
    const char *dim = json_string_value(json_object_get(o, "dimension"));
    const char *state = json_string_value(json_object_get(o, "state"));
    if (!rule || !dim || !state ||
        parse_rfc3339(json_string_value(json_object_get(o, "first_minute")), &first) ||
        parse_rfc3339(json_string_value(json_object_get(o, "last_minute")), &last))
        goto out;
    rc = 0;
    for (size_t i = 0; i < e->n; i++) {
        struct eval_key *k = &e->keys[i];
        if (k->restored || strcmp(k->rule->id, rule) || strcmp(k->dim, dim))
            continue;
        struct alerts_state *s = &k->st;
        alerts_state_init(s);
        s->first_ms = first;
        s->last_ms = last;
        s->count = s->peak_count = json_integer_value(json_object_get(o, "count"));
        s->authors = json_is_integer(json_object_get(o, "authors"))
                         ? json_integer_value(json_object_get(o, "authors"))
                         : -1;
        s->expected = json_number_value(json_object_get(o, "expected"));
        s->probability = json_number_value(json_object_get(o, "probability"));
        if (!strcmp(state, "resolved")) {
            /* resolved after resolve_after quiet minutes past the last hot one */
            s->phase = ALERTS_COOLING;
            s->resolved_ms = last + (int64_t)k->rule->resolve_after * AGG_MINUTE_MS;
            s->last_step_ms = s->last_final_ms = s->resolved_ms;
        } else {
            s->phase = ALERTS_FIRING;
            s->last_step_ms = s->last_final_ms = last;
        }
        k->pv = *s;
        k->restored = true;
        k->memo_ev = !strcmp(state, "resolved") ? ALERTS_EV_RESOLVED : ALERTS_EV_FIRING;
        k->memo_first = first;
        k->memo_last = last;
        rc = 1;
        break;
    }
out:
    json_decref(o);
    return rc;
}
