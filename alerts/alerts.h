/*
 * alerts.h -- the alert engine's foundation: rules as data, the detector's
 * statistics, the per-(rule, dimension) state machine, the alert record and
 * its id, and Standard Webhooks signing.
 *
 * DESIGN.md: alerts/ reads the store only.  It knows nothing of Kafka; counts
 * come through the store interface (aggregate.h), so the same code runs over
 * the in-process store (archives, `replay --alerts`) and over Redis (the live
 * evaluator).  Everything here but alerts_baseline_read() and the secret
 * loader is a pure function of its arguments.
 *
 * How the evaluator (eval.c; driven by loop.c for `kzpulse alerts --redis URL
 * --group G` and `replay --alerts`) calls it, once a minute and again as
 * posts arrive:
 *   1. alerts_rules_load() once (and on SIGHUP), with the gazetteer's region
 *      callback; each enabled rule gives its keys: overall, each known
 *      region (region = "any", alerts_regions.each) or the listed ones, and
 *      alerts_rule_dim() names each key's store dimension;
 *   2. for each key and the minute m being evaluated (early: the partial
 *      minute; final: once the group's watermark, agg_store_watermark(),
 *      passed it): alerts_baseline_read() for the expected count of the
 *      window ending at m, agg_store_series() for the observed count, the
 *      distinct authors, then alerts_evaluate() -> struct alerts_obs;
 *   3. alerts_step() with the key's struct alerts_state (kept in memory,
 *      rebuilt after a restart from the alert stream) -> at most one event;
 *   4. for an event, alerts_record_fill() + evidence, alerts_record_json();
 *      the record's id (alerts_alert_id(): rule, dimension, first minute) is
 *      what two evaluators claim atomically in Redis (SET NX) and what a
 *      replay reproduces;
 *   5. delivery signs each body with alerts_webhook_sign().
 *
 * Ownership: objects from *_new / *_load are the caller's, freed with their
 * *_free.  A struct alerts_rule belongs to its struct alerts_rules; strings
 * in it live as long as the set.  Records borrow every string they point to.
 * Errors: 0 or a negative KZ_E* code, and a message in err where a person
 * needs one; rule files report every error as "file:line:col: message".
 */
#ifndef KZ_ALERTS_H
#define KZ_ALERTS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"

struct metrics; /* metrics.h: the registry of --metrics-listen */
#include "kz.h"

/* ---------------------------------------------------------------------------
 * Regions: a callback, so the gazetteer (ISO 3166-2:KZ) plugs in
 * ------------------------------------------------------------------------ */

/* Is code (e.g. "KZ-47") a known region?  1 and its name (borrowed, may be
 * NULL) in *name, or 0.  The set's iteration: alerts_regions.each. */
struct alerts_regions {
    int (*lookup)(void *ctx, const char *code, const char **name);
    /* Call fn(code, name) for every known region, in a stable order. */
    void (*each)(void *ctx, void (*fn)(void *arg, const char *code, const char *name), void *arg);
    void *ctx;
};

/* The built-in list of the 20 ISO 3166-2:KZ codes (17 oblasts, 3 cities),
 * names in Kazakh, until the gazetteer supplies its own. */
extern const struct alerts_regions alerts_regions_iso;

/* The store dimension of a region: "region:" + the code, ASCII lowered
 * ("region:kz-47"), as aggregate/ folds values.  Returns the length written
 * (snprintf's). */
int alerts_region_dim(const char *code, char *out, size_t outlen);

/* ---------------------------------------------------------------------------
 * Rules
 * ------------------------------------------------------------------------ */

/* Rule kinds: one row each in rules.c's kind table. */
enum alerts_kind {
    ALERTS_CALL = 0,     /* mob:call posts (calls to action) */
    ALERTS_TOPIC,        /* volume of a topic ("topic = ...") */
    ALERTS_STANCE_SHARE, /* posts of a stance against a denominator ("stance", "of") */
    ALERTS_TERM_SURGE,   /* a term ("term = ...") */
    ALERTS_HASHTAG_SURGE /* a hashtag ("hashtag = ...") */
};
const char *alerts_kind_name(enum alerts_kind k);

enum alerts_severity { ALERTS_INFO = 0, ALERTS_WARNING, ALERTS_CRITICAL };
const char *alerts_severity_name(enum alerts_severity s);

/* Where a rule looks: the whole country, every region apart, or a list. */
enum alerts_scope { ALERTS_OVERALL = 0, ALERTS_EACH_REGION, ALERTS_REGIONS };

#define ALERTS_MAX_REGIONS 32

struct alerts_rule {
    char *id; /* [a-z0-9_.-], unique in its set */
    enum alerts_kind kind;
    char *subject; /* topic, stance, term or hashtag; NULL for call */
    char *of;      /* stance_share denominator dimension ("all" default) */
    enum alerts_scope scope;
    char *regions[ALERTS_MAX_REGIONS]; /* ALERTS_REGIONS: the codes as written */
    size_t nregions;
    int window;                    /* minutes, 1..1440 (default 5) */
    int baseline_weeks;            /* 1..8 (default 4) */
    int64_t min_count;             /* default 10 */
    int64_t min_authors;           /* default 3 (0 = not checked) */
    double threshold;              /* tail probability, (0, 0.5] (default 1e-4) */
    enum alerts_severity severity; /* default warning */
    int cooldown;                  /* minutes after resolving before a new alert (default 60) */
    int resolve_after;             /* quiet final minutes that resolve it (default 10) */
    double resolve_above; /* a minute is quiet when its probability > this (default 0.01) */
    bool enabled;         /* default true */
    char *description;    /* free text, may be NULL */
    int line;             /* where the rule starts in its file (0 if built) */
};

struct alerts_rules {
    struct alerts_rule *rules;
    size_t n;
};

/* Diagnostics handed over at most (a binary file is an error a line): the
 * rest are counted in one last message, "N more errors not shown". */
#define ALERTS_MAX_DIAGS 100

/* One problem in a rules file: name:line:col: msg (msg NUL-terminated, valid
 * during the call). */
typedef void (*alerts_diag_fn)(void *ctx, const char *file, int line, int col, const char *msg);

/*
 * Parse and validate a rules file held in text[0..n) (any bytes), the TOML
 * subset README.md documents ("For people who wire alerts").  Every error is
 * reported through diag (may be NULL), in line order, not only the first (up
 * to ALERTS_MAX_DIAGS, then a count): syntax, unknown
 * keys, wrong types, values out of range, duplicate ids, unknown kinds,
 * regions the callback does not know (regions NULL: alerts_regions_iso).
 * Returns 0 and *out (caller frees with alerts_rules_free), the number of
 * errors (> 0, *out NULL), or KZ_ENOMEM.
 */
long alerts_rules_parse(const char *file, const char *text, size_t n,
                        const struct alerts_regions *regions, alerts_diag_fn diag, void *ctx,
                        struct alerts_rules **out);
/* The same, reading path: an unreadable file is one error (line 0). */
long alerts_rules_load(const char *path, const struct alerts_regions *regions, alerts_diag_fn diag,
                       void *ctx, struct alerts_rules **out);
void alerts_rules_free(struct alerts_rules *r);
const struct alerts_rule *alerts_rules_find(const struct alerts_rules *r, const char *id);

/* The canonical text of a set: [rule.ID] tables, every field, in one order;
 * parsing it gives the same rules (alerts_rules_equal).  0 or KZ_EIO. */
int alerts_rules_write(const struct alerts_rules *r, FILE *f);
/* Same rules, field by field (line numbers aside).  1 or 0. */
int alerts_rules_equal(const struct alerts_rules *a, const struct alerts_rules *b);

/* The store dimension a rule counts for a region code (NULL: overall), or
 * KZ_EUNSUPPORTED when the store keeps no such counter (a stance, term or
 * hashtag per region).  call: "mob:call", per region "mob:call|region:kz-47"
 * (a cross aggregate/ must add: README, "For people who wire alerts");
 * topic: "topic:<t>", "topic:<t>|region:<r>"; stance_share: "stance:<s>", or
 * "topic:<t>|stance:<s>" when of is a topic; term_surge "term:<t>" and
 * hashtag_surge "hashtag:<h>", ASCII folded: counted for the members the
 * store watches (alerts_rules_watch).  0 or KZ_ERANGE. */
int alerts_rule_dim(const struct alerts_rule *r, const char *region, char *out, size_t outlen);
/* The dims of the enabled surge rules (term_surge, hashtag_surge), each once:
 * the members the store must watch (agg_batch_set_watch, and the Redis watch
 * set the streaming job reads) for the rules to have counts.  0 with a list
 * to free with agg_watch_free() (NULL when none), or KZ_ENOMEM. */
int alerts_rules_watch(const struct alerts_rules *rules, char ***out, size_t *n);
/* Put each hashtag_surge subject in the store's form, through hashtag_form
 * (the analyzer's reading: pipeline_hashtag_form), before the evaluator or
 * the watch list takes the rules.  0; KZ_EINVAL with a message naming the
 * rule when a subject is not one hashtag; KZ_ENOMEM. */
int alerts_rules_normalize(struct alerts_rules *rules,
                           int (*hashtag_form)(void *ctx, const char *in, char *out, size_t len),
                           void *ctx, char *err, size_t errlen);

/* ---------------------------------------------------------------------------
 * Statistics: tail probabilities (stats.c)
 * ------------------------------------------------------------------------ */

/* ln P(X >= k) for X ~ Poisson(lambda), lambda > 0: accurate in the far tail
 * (P ~ 1e-300 and far below: the log stays finite).  0 for k <= 0. */
double alerts_poisson_logsf(int64_t k, double lambda);
/* ln P(X >= k) for X ~ negative binomial with mean mu > 0 and shape r > 0
 * (variance mu + mu^2 / r).  0 for k <= 0. */
double alerts_negbin_logsf(int64_t k, double mu, double r);

/* ---------------------------------------------------------------------------
 * Baselines (baseline.c)
 * ------------------------------------------------------------------------ */

/* One past observation of the window: value is the count in the window (hour
 * buckets already scaled to it), frac the window's share of the buckets it was
 * read from (1 for minute buckets, window/60 inside one hour bucket), so that
 * value / frac is the raw bucket count the dispersion is estimated from. */
struct alerts_sample {
    double value;
    double frac;
};

/* What to expect in the window. */
struct alerts_expect {
    double mean;        /* expected count (after the floor) */
    double r;           /* negative-binomial shape; 0 = Poisson */
    int nsamples;       /* samples the mean came from */
    bool short_history; /* fewer than baseline weeks' worth: the fallback */
};

/* The floor of an expected count, and of the short-history fallback. */
#define ALERTS_FLOOR_MEAN 0.5
#define ALERTS_SHORT_FLOOR_MEAN 2.0
/* With short history a rule needs this many times its min_count. */
#define ALERTS_SHORT_MIN_COUNT_FACTOR 3

/*
 * Fit the samples: with three or more, the quietest (by raw count) is left
 * out (a holiday or an outage must not lower what is expected, nor widen the
 * tail until a real burst hides in it); then the mean of the values (floored
 * at ALERTS_FLOOR_MEAN, or ALERTS_SHORT_FLOOR_MEAN when short), and the
 * dispersion by the method of moments on the raw counts value / frac:
 * r = m^2 / (v - m) when their sample variance v exceeds their mean m (two
 * samples or more), else Poisson.  Thinning keeps r: a window that is a
 * fraction of an hour bucket has the same shape as the hour.  n may be 0
 * (then the floor alone, short).  nsamples counts the valid samples given.
 */
void alerts_baseline_fit(const struct alerts_sample *s, size_t n, bool short_history,
                         struct alerts_expect *out);

/* The UTC offset in ms of the analysts' local time at a UTC instant (the zone
 * module plugs in; alerts_offset_almaty is UTC+5 since 2024-03-01, UTC+6
 * before). */
typedef int64_t (*alerts_offset_fn)(void *ctx, int64_t utc_ms);
int64_t alerts_offset_almaty(void *ctx, int64_t utc_ms);

/* The start of the same local minute j weeks (days) earlier. */
int64_t alerts_local_shift(int64_t utc_ms, int64_t back_ms, alerts_offset_fn off, void *offctx);

/*
 * The expected count of dim in the window of `window` minutes ending with the
 * minute that starts at end_minute_ms (inclusive), from the store: the same
 * local minute-of-day and weekday 1..weeks weeks back, read from hour buckets
 * (minute buckets are kept 7 days) and scaled to the window.  A week whose
 * day before the window holds no post at all ("all" is zero over the 24
 * hours) counts as no history.  With no weekly sample at all (under a week of
 * history), the fallback: the same local minute of days 1..6 back from minute
 * buckets, short_history set, the higher floor.  0 or the store's error.
 */
int alerts_baseline_read(struct agg_store *s, const char *dim, int64_t end_minute_ms, int window,
                         int weeks, alerts_offset_fn off, void *offctx, struct alerts_expect *out,
                         char *err, size_t errlen);

/*
 * Stance shares (stance_share rules): expect den_now times the weeks' share,
 * sum(num) / sum(den) over the samples whose denominator is positive and not
 * under the numerator; Poisson (r = 0), floored like alerts_baseline_fit.
 * alerts_share_read() reads both dimensions from the same weeks (or days,
 * short history) as alerts_baseline_read(); den_now is the denominator's
 * count in the window being judged.
 */
void alerts_share_fit(const struct alerts_sample *num, const struct alerts_sample *den, size_t n,
                      double den_now, bool short_history, struct alerts_expect *out);
int alerts_share_read(struct agg_store *s, const char *num_dim, const char *den_dim,
                      int64_t end_minute_ms, int window, int weeks, double den_now,
                      alerts_offset_fn off, void *offctx, struct alerts_expect *out, char *err,
                      size_t errlen);

/* ---------------------------------------------------------------------------
 * Evaluation and the state machine (state.c)
 * ------------------------------------------------------------------------ */

/* One evaluation of a key at a minute. */
struct alerts_obs {
    int64_t minute_ms; /* start of the window's last minute */
    bool final;        /* the watermark passed the minute (else early, partial) */
    int64_t count;     /* observed in the window */
    int64_t authors;   /* distinct authors in the window; -1 unknown */
    double expected;
    double probability; /* P(X >= count) under the baseline */
    bool hot;           /* all firing conditions hold */
    bool quiet;         /* a quiet minute toward resolving */
};

/* Judge count and authors against e under rule r (with the short-history
 * min_count factor): hot needs the count's tail probability under the
 * threshold, min_count, min_authors, and the distinct authors' own tail
 * probability (against the expected posts) under the threshold -- a crowd,
 * not a loud few.  Unknown authors (-1) fail a min_authors above 0 and skip
 * the crowd test when min_authors is 0. */
void alerts_evaluate(const struct alerts_rule *r, const struct alerts_expect *e, int64_t minute_ms,
                     bool final, int64_t count, int64_t authors, struct alerts_obs *out);

enum alerts_phase { ALERTS_IDLE = 0, ALERTS_FIRING, ALERTS_COOLING };

/* The state of one key (rule, dimension); alerts_state_init() it to start. */
struct alerts_state {
    enum alerts_phase phase;
    int64_t first_ms, last_ms; /* the current (or last) alert's minutes */
    int64_t peak_count;        /* largest count while firing */
    int64_t count, authors;    /* at last_ms */
    double expected, probability;
    int quiet;             /* consecutive quiet final minutes */
    int64_t resolved_ms;   /* when the last alert resolved */
    int64_t last_step_ms;  /* the newest minute stepped; INT64_MIN before any */
    int64_t last_final_ms; /* the newest minute stepped final; INT64_MIN before any */
    uint64_t suppressed;   /* hot minutes ignored while cooling down */
};
void alerts_state_init(struct alerts_state *s);

enum alerts_event { ALERTS_EV_NONE = 0, ALERTS_EV_FIRING, ALERTS_EV_UPDATE, ALERTS_EV_RESOLVED };
const char *alerts_event_name(enum alerts_event e);

/*
 * Step a key's state with one observation; returns the event.  Minutes go
 * forward: an observation older than the last one stepped is refused
 * (KZ_EINVAL as a negative return); the same minute again (the final
 * evaluation after an early one) is a re-evaluation.
 *   idle    + hot            -> firing (FIRING: a new alert, first = last = minute)
 *   firing  + hot            -> UPDATE when the minute or count moved (one alert,
 *                               never a repeat)
 *   firing  + quiet (final)  -> after resolve_after consecutive ones: RESOLVED,
 *                               last = the last hot minute; cooling
 *   cooling + hot            -> nothing (counted in suppressed) until cooldown
 *                               minutes after the resolution, then a new alert
 * Early (partial) observations may fire or update but never count as quiet.
 */
int alerts_step(struct alerts_state *s, const struct alerts_rule *r, const struct alerts_obs *o);

/* ---------------------------------------------------------------------------
 * The alert record (record.c)
 * ------------------------------------------------------------------------ */

/* The id: hex of the first 128 bits of SHA-256 over "kzp-alert-v1", the rule
 * id, the dimension and the first minute in epoch ms, NUL-separated; the same
 * in every evaluator and in a replay. */
#define ALERTS_ID_LEN 32
int alerts_alert_id(const char *rule_id, const char *dim, int64_t first_ms,
                    char out[ALERTS_ID_LEN + 1]); /* 0 or KZ_ENOMEM */

struct alerts_post {
    const char *id, *platform, *author, *text, *url; /* NULL: left out */
    int64_t ts_ms;
};
struct alerts_member {
    const char *member;
    int64_t count;
};

/* Every string borrowed. */
struct alerts_record {
    char id[ALERTS_ID_LEN + 1];
    const char *rule;
    const char *kind;
    const char *state; /* "firing" or "resolved" */
    const char *severity;
    const char *dim;
    int64_t first_ms, last_ms;
    const char *region_code, *region_name; /* NULL when overall / unknown */
    int64_t count, authors;                /* authors -1: unknown, left null */
    double expected, probability;
    const struct alerts_post *samples; /* up to 10 */
    size_t nsamples;
    const struct alerts_member *top_terms, *top_hashtags;
    size_t nterms, nhashtags;
    /* where top_terms come from: "posts" (the window's kept posts), "hours"
     * (the top-k of the hours it touches, when no post was kept), or NULL
     * (no evidence read: the field is left out) */
    const char *terms_from;
};

/* A record from a rule, its key and its state after an event (id included;
 * evidence left empty).  0 or KZ_ENOMEM. */
int alerts_record_fill(struct alerts_record *rec, const struct alerts_rule *r, const char *dim,
                       const char *region_code, const char *region_name,
                       const struct alerts_state *s, enum alerts_event ev);

/* The record as one JSON object (no newline), UTF-8 as it is (no \u escapes
 * of non-ASCII).  *out is malloc'd, the caller frees it.  0 or KZ_ENOMEM. */
int alerts_record_json(const struct alerts_record *rec, char **out);

/* RFC 3339 UTC of an epoch ms at second precision: "2026-03-05T10:15:00Z". */
void alerts_rfc3339(int64_t ms, char out[32]);

/* ---------------------------------------------------------------------------
 * Webhooks: the Standard Webhooks signature (sign.c)
 * ------------------------------------------------------------------------ */

#define ALERTS_SECRET_MAX 256

/* A signing key: the bytes of a "whsec_<base64>" secret. */
struct alerts_secret {
    unsigned char key[ALERTS_SECRET_MAX];
    size_t n;
};

/* Parse "whsec_" + base64 (the prefix optional, surrounding white space
 * ignored).  0, or KZ_EINVAL with a message that never shows the secret. */
int alerts_secret_parse(const char *text, size_t n, struct alerts_secret *out, char *err,
                        size_t errlen);
/* From the first line of a file, else (path NULL) from the environment
 * variable env (never from a flag: ps would show it).  0, KZ_EIO (unreadable
 * file), KZ_ENOTFOUND (the variable unset or empty) or KZ_EINVAL. */
int alerts_secret_load(const char *path, const char *env, struct alerts_secret *out, char *err,
                       size_t errlen);

/* webhook-signature's value: "v1," + base64(HMAC-SHA256(key, id "." ts "."
 * body)).  Needs outlen >= ALERTS_SIG_LEN + 1; 0, KZ_ERANGE or KZ_EIO. */
#define ALERTS_SIG_LEN 47
int alerts_webhook_sign(const struct alerts_secret *key, const char *msg_id, int64_t ts_s,
                        const char *body, size_t n, char *out, size_t outlen);
/* Check a webhook-signature header (space-separated "v1,..." entries, any one
 * may match) in constant time per entry, and that ts_s is within tolerance_s
 * of now_s.  1 valid, 0 not. */
int alerts_webhook_verify(const struct alerts_secret *key, const char *msg_id, int64_t ts_s,
                          const char *body, size_t n, const char *header, int64_t now_s,
                          int64_t tolerance_s);

/* ---------------------------------------------------------------------------
 * The evaluator (eval.c): every enabled rule's keys, minute by minute
 * ------------------------------------------------------------------------ */

/* An event to publish: the record (its strings borrowed for the call) and its
 * JSON.  Return 1 when published, 0 when it was not this process's to
 * publish (another evaluator claimed it), or a negative KZ_E*: then the
 * evaluation of that minute is not taken and the next call retries it. */
typedef int (*alerts_emit_fn)(void *ctx, enum alerts_event ev, const struct alerts_record *rec,
                              const char *json);

struct alerts_eval_config {
    const struct alerts_rules *rules;     /* borrowed for the evaluator's life */
    const struct alerts_regions *regions; /* NULL: alerts_regions_iso */
    struct agg_store *store;              /* borrowed */
    alerts_offset_fn off;                 /* NULL: alerts_offset_almaty */
    void *offctx;
    alerts_emit_fn emit;
    void *emit_ctx;
    bool frozen; /* the store no longer changes (a replay): counts are read a day at a time */
};

struct alerts_eval_stats {
    uint64_t evaluations; /* (key, minute) judged with a baseline */
    uint64_t skipped;     /* (key, minute) under min_count: no baseline read */
    uint64_t events;      /* events handed to emit */
    uint64_t published;   /* of which emit published */
};

struct alerts_eval;

/*
 * Make an evaluator: one key per enabled rule and region (alerts_rule_dim()).
 * A rule the store cannot count (a dimension per region it keeps no counter
 * for) is refused, KZ_EUNSUPPORTED with a message naming it; surge rules
 * count only what the store watches (alerts_rules_watch: the caller makes
 * sure it does);
 * KZ_EINVAL for a missing store, rules or emit.  0 and *out otherwise.
 */
int alerts_eval_new(const struct alerts_eval_config *cfg, struct alerts_eval **out, char *err,
                    size_t errlen);
void alerts_eval_free(struct alerts_eval *e);
/* Would alerts_eval_new() take these rules?  Its answer and message, with no
 * store needed (a command checks before it connects anywhere). */
int alerts_eval_check(const struct alerts_rules *rules, const struct alerts_regions *regions,
                      char *err, size_t errlen);
/* The topics the rules name (topic rules' subject, stance_share's of =
 * "topic:<t>") against the ones the lexicons know (known(ctx, name): 1
 * known): 0, or KZ_EINVAL with "rule ID (line N): topic \"x\" is not a
 * topic the lexicons know" for the first that is not. */
int alerts_rules_check_topics(const struct alerts_rules *rules,
                              int (*known)(void *ctx, const char *topic), void *ctx, char *err,
                              size_t errlen);
size_t alerts_eval_keys(const struct alerts_eval *e);
void alerts_eval_stats(const struct alerts_eval *e, struct alerts_eval_stats *out);

/*
 * Evaluate the window ending with the minute starting at minute_ms for every
 * key.  final: the group's watermark passed the minute; each key takes each
 * minute once, in order (an older or repeated minute is skipped), and only
 * final minutes resolve.  Early (!final): a look at a partial minute on a
 * copy of the key's state that may fire or update (so a burst fires within a
 * minute) and is replaced by the final evaluations when they catch up.  An
 * event goes through emit once per (id, event, last minute) in this process.
 * 0, or the store's or emit's error (the keys not yet done retry the minute
 * on the next call; those done are not repeated).
 */
int alerts_eval_minute(struct alerts_eval *e, int64_t minute_ms, bool final, char *err,
                       size_t errlen);

/*
 * Restore a key's state from a record this or another evaluator published
 * (its JSON, as alerts_record_json() wrote it), newest first: the first
 * record seen for a key sets it -- firing (an open alert: it is not fired
 * again, its final minutes continue it) or resolved (cooling down) -- and
 * older ones are ignored.  1 taken, 0 ignored (older, or a key this rule set
 * does not have), KZ_EDECODE (not a record).
 */
int alerts_eval_restore(struct alerts_eval *e, const char *json, size_t n);

/* The newest minute every key has taken final (INT64_MIN before any). */
int64_t alerts_eval_final_ms(const struct alerts_eval *e);

/* ---------------------------------------------------------------------------
 * The alert stream in Redis (stream.c): claim once, publish once
 * ------------------------------------------------------------------------ */

#define ALERTS_STREAM_KEY "kzp:v2:alerts"
#define ALERTS_CLAIM_PREFIX "kzp:v2:alerts:claim:"
#define ALERTS_CLAIM_TTL_S 3456000 /* 40 days */
#define ALERTS_STREAM_MAXLEN 100000

struct alerts_stream;

/* Where the stream is (redis://...: agg_redis_parse_url; password, when not
 * NULL, instead of the URL's); nothing is connected until the first call.
 * 0, KZ_EINVAL (bad URL) or KZ_ENOMEM. */
int alerts_stream_open(const char *url, const char *password, int timeout_ms,
                       struct alerts_stream **out, char *err, size_t errlen);
void alerts_stream_close(struct alerts_stream *s);

/*
 * One Redis EVAL: SET kzp:v2:alerts:claim:<id>:<event>:<last_minute_ms> 1 NX
 * EX 3456000 and, only if it was set, XADD kzp:v2:alerts MAXLEN ~ 100000 *
 * id <id> event <firing|update|resolved> record <json>.  1 published by this
 * call, 0 claimed before (by any evaluator), KZ_EAGAIN (Redis unreachable:
 * retry; the connection is remade on the next call) or KZ_EIO.
 */
int alerts_stream_publish(struct alerts_stream *s, const char *id, enum alerts_event ev,
                          int64_t last_minute_ms, const char *json, size_t n, char *err,
                          size_t errlen);

/* The newest `max` records of the stream (XREVRANGE), newest first, each
 * handed to fn (a non-zero return stops).  0 or KZ_EAGAIN / KZ_EIO. */
int alerts_stream_recent(struct alerts_stream *s, size_t max,
                         int (*fn)(void *ctx, const char *json, size_t n), void *ctx, char *err,
                         size_t errlen);

/* ---------------------------------------------------------------------------
 * Drivers (loop.c): the live evaluator over Redis, and a replay's
 * ------------------------------------------------------------------------ */

struct alerts_live_config {
    const struct alerts_rules *rules;     /* borrowed */
    const struct alerts_regions *regions; /* NULL: alerts_regions_iso */
    struct agg_store *store;              /* the Redis store, borrowed */
    struct alerts_stream *stream;         /* borrowed */
    const char *group;                    /* whose watermark makes minutes final */
    FILE *out;           /* firing and resolved records this process published, JSON lines */
    FILE *log;           /* one line per problem (Redis away, ...) */
    int interval_ms;     /* between two early looks; default 5000 */
    int64_t backfill_ms; /* final minutes taken before the first watermark; default 1 h */
    volatile sig_atomic_t *stop; /* non-zero: return at the next step */
    /* SIGHUP: when *reload is non-zero the loop clears it and calls load for
     * new rules: 0 and *out (the loop's from then on), or non-zero with the
     * reason said already -- the rules in force stay.  NULL: never. */
    volatile sig_atomic_t *reload;
    int (*load)(void *ctx, struct alerts_rules **out);
    void *load_ctx;
    struct metrics *metrics; /* the evaluator's counters (metrics.h); NULL: none */
};

/*
 * Run until *stop: restore the keys' states from the stream's newest
 * records, then every interval_ms take every minute the group's watermark
 * (agg_store_watermark, members live within 30 s) has passed final, and look
 * early at the minutes after it up to the wall clock's.  Redis away (at the
 * start or any time later) is a line on log and a retry with backoff (1 s
 * doubling to 30 s), never an exit.  On *reload, new rules (c->load) take
 * over at the next minute to take final: their keys' states are read back
 * from the stream, as at a start.  0 when stopped; KZ_ENOMEM, or the
 * evaluator's refusal of the rules (alerts_eval_new), with err.
 */
int alerts_live_run(const struct alerts_live_config *c, char *err, size_t errlen);

/*
 * A replay's evaluation: the store holds every post of the archives
 * (frozen), so each minute from its first to its last, and then as many
 * empty minutes as the longest window and resolve_after need, is taken
 * final, in order -- as a live evaluator whose watermark passes each minute
 * in turn.  Each firing and resolved record goes to out as a JSON line
 * (updates are left out); *nevents counts them.  0, or the store's or the evaluator's error with
 * err.
 */
int alerts_replay_run(const struct alerts_rules *rules, const struct alerts_regions *regions,
                      struct agg_store *store, FILE *out, uint64_t *nevents, char *err,
                      size_t errlen);

/* The shipped rules beside a data directory's lexicons: DIR/../alerts/
 * default.rules for lexicons DIR (pipeline_data_default's), written to
 * path.  0 when that file is readable, else KZ_ENOTFOUND (path still says
 * where it was looked for). */
int alerts_rules_default(const char *lexicons_dir, char *path, size_t n);
/* An alerts_diag_fn printing "file:line:col: msg" (or "file: msg" for line
 * 0) to ctx, a FILE *. */
void alerts_diag_print(void *ctx, const char *file, int line, int col, const char *msg);

/* ---------------------------------------------------------------------------
 * Delivery: webhooks, Alertmanager, JSON lines (deliver.c, deliver_http.c)
 *
 * The evaluator XADDs each event to the stream ALERTS_STREAM_KEY with the
 * fields id (the alert id), event (firing, update, resolved) and record (the
 * record's JSON).  Delivery reads that stream, in order, for each receiver
 * apart, and keeps the receiver's cursor (the last stream entry it took) in
 * the hash ALERTS_CURSOR_KEY, field = the receiver's name.  The cursor moves
 * only after the receiver took the entry, so every entry is delivered at least
 * once whatever dies when; a failed attempt is retried, with backoff, until it
 * succeeds: a receiver's entries are never skipped and never reordered.  One
 * process delivers to a receiver at a time: it holds the receiver's lease
 * (ALERTS_LEASE_PREFIX + name, SET NX PX, renewed before every attempt), and
 * the cursor moves only while the lease is still its own.
 * ------------------------------------------------------------------------ */

#define ALERTS_CURSOR_KEY "kzp:v2:alerts:cursor"
#define ALERTS_LEASE_PREFIX "kzp:v2:alerts:lease:"
/* Where the webhook secret comes from when no file is given. */
#define ALERTS_SECRET_ENV "KZPULSE_WEBHOOK_SECRET"
#define ALERTS_RX_NAME_MAX 64 /* [A-Za-z0-9_.-] */
#define ALERTS_RX_MAX 16

enum alerts_rx_kind { ALERTS_RX_WEBHOOK = 0, ALERTS_RX_ALERTMANAGER, ALERTS_RX_JSONL };
const char *alerts_rx_kind_name(enum alerts_rx_kind k);

/* Strings are borrowed during alerts_delivery_new() only. */
struct alerts_delivery_config {
    const char *redis_url;      /* redis://[USER:PASSWORD@]HOST[:PORT][/DB] (required) */
    const char *redis_password; /* AUTH with this instead of the URL's; NULL: the URL's */
    const char *stream;         /* default ALERTS_STREAM_KEY */
    const char *cursor_key;     /* default ALERTS_CURSOR_KEY */
    const char *lease_prefix;   /* default ALERTS_LEASE_PREFIX */
    const char *generator_url;  /* Alertmanager generatorURL: this + the alert id; NULL: none */
    int connect_timeout_ms;     /* per attempt; default 5000 */
    int timeout_ms;             /* per attempt, all of it; default 10000 */
    int lease_ms;               /* default 30000; at least timeout_ms + 1000 */
    int64_t backoff_min_ms;     /* default 1000 */
    int64_t backoff_max_ms;     /* default 300000 (5 min) */
    int poll_ms;                /* a caught-up receiver looks again after; default 200 */
    int batch;                  /* stream entries read at once; default 100 */
    size_t max_body;            /* a larger record is refused (logged, skipped); default 1M */
    int64_t am_resend_ms;       /* firing alerts re-sent to Alertmanager; default 60000 */
    int64_t am_max_age_ms;      /* ... until this long after their last event; default 1 day */
    struct metrics *metrics;    /* counters per receiver go here too (metrics.h); NULL: none */
};
void alerts_delivery_config_default(struct alerts_delivery_config *c);

/* Counters of one receiver since the delivery was made. */
struct alerts_rx_stats {
    const char *name; /* borrowed from the delivery */
    enum alerts_rx_kind kind;
    uint64_t delivered; /* entries the receiver took (the cursor moved past) */
    uint64_t attempts;  /* attempts to send an entry, the first ones included */
    uint64_t failed;    /* attempts that failed (each one retried later) */
    uint64_t retried;   /* entries that needed more than one attempt */
    uint64_t malformed; /* entries with no usable record: logged and passed */
    uint64_t resent;    /* Alertmanager: periodic re-sends of firing alerts */
    char cursor[48];    /* the last entry delivered ("" none yet) */
};

struct alerts_delivery;

/* Check the configuration and make a delivery (Redis is connected on the
 * first poll).  0, KZ_EINVAL or KZ_ENOMEM with a message. */
int alerts_delivery_new(const struct alerts_delivery_config *c, struct alerts_delivery **out,
                        char *err, size_t errlen);
/*
 * Add a receiver from its spec: webhook "NAME=URL" (http or https; secret
 * required), Alertmanager "[NAME=]URL" (its base URL: /api/v2/alerts is
 * appended; name default "alertmanager"), JSON lines "[NAME=]FILE" (- for
 * stdout; name default "out"; the file opened for append now).  Names are
 * unique.  0, KZ_EINVAL (with a message naming the spec, never the secret),
 * KZ_EIO (the file) or KZ_ENOMEM.  secret is copied.
 */
int alerts_delivery_add(struct alerts_delivery *d, enum alerts_rx_kind kind, const char *spec,
                        const struct alerts_secret *secret, char *err, size_t errlen);
/* One round over the receivers: take leases, read, send, retry what is due;
 * then wait up to max_wait_ms when there was nothing to do.  0, or KZ_EAGAIN
 * when Redis is out of reach (logged; the next round reconnects). */
int alerts_delivery_poll(struct alerts_delivery *d, int max_wait_ms);
/* Poll until *stop is set (a signal handler's flag), then release the leases.
 * A transfer in flight is abandoned when *stop is set: it is sent again by
 * whoever delivers next.  A delivery shares nothing with its caller but
 * *stop, so the evaluator may run it in a thread of its own (or call
 * alerts_delivery_poll() from its loop).  Failures are logged on stderr,
 * each line starting "kzpulse alerts: deliver: " and naming the receiver. */
int alerts_delivery_run(struct alerts_delivery *d, volatile sig_atomic_t *stop);
size_t alerts_delivery_count(const struct alerts_delivery *d);
/* Receiver i's counters; KZ_ENOTFOUND past the end. */
int alerts_delivery_stats(const struct alerts_delivery *d, size_t i, struct alerts_rx_stats *out);
void alerts_delivery_free(struct alerts_delivery *d);

/* The wait before retry `attempt` (1 = after the first failure), in ms:
 * b = min(max, min * 2^(attempt-1)), then uniform in [b/2, b] by u in [0, 1)
 * ("equal jitter"), never under min_ms. */
int64_t alerts_backoff_ms(int attempt, int64_t min_ms, int64_t max_ms, double u);

/* The webhook-id of a stream entry: "kzp_" alert id "_" event "_" entry id,
 * the same on every attempt and in every process.  0 or KZ_ERANGE. */
int alerts_webhook_msg_id(const char *alert_id, const char *event, const char *entry_id, char *out,
                          size_t outlen);

/*
 * The Alertmanager API v2 body for one record (its JSON in record[0..n)):
 * a one-element array, labels alertname (the rule), rule, kind, severity,
 * region ("all" when overall), dim, kzpulse_id; annotations summary,
 * description, the figures and the evidence as text; startsAt = the first
 * minute; endsAt = the end of the last minute when event is "resolved";
 * generatorURL = generator_url + id when given.  *out malloc'd.  0,
 * KZ_EINVAL (not a record: message in err) or KZ_ENOMEM.
 */
int alerts_am_json(const char *record, size_t n, const char *event, const char *generator_url,
                   char **out, char *err, size_t errlen);

#endif /* KZ_ALERTS_H */
