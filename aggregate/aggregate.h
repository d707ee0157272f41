/*
 * aggregate.h -- the aggregation model: facts -> increments -> store -> queries.
 *
 * Analysis says what a post is (struct agg_facts); this module decides what
 * that counts toward.  agg_batch_add() expands the facts into dimensions
 * ("all", "topic:protest", "topic:protest|region:kz-75", ...), buckets them by
 * event time into minute and hour buckets, and coalesces them in memory so a
 * flush sends each key once, however many posts hit it.  A store applies a
 * batch atomically together with the source positions it covers, and answers
 * series, top-k, distinct-count and sample-post queries over any window.  Two stores share
 * one interface: the in-process store (store_mem.c) and Redis (store_redis.c,
 * whose comment documents the Redis key schema).
 * The module knows nothing of ICU, Kafka or JSON.
 *
 * Dimensions (the "field" of a bucket), all lower case:
 *   all                       every post
 *   platform:<p>  lang:<l>  region:<r>  city:<c>  topic:<t>  stance:<s>  mob:call
 *   crosses: topic:<t>|region:<r>, topic:<t>|stance:<s>, stance:<s>|lang:<l>,
 *            topic:<t>|platform:<p>, mob:call|region:<r>
 *   undated                   posts without a usable event time, by arrival
 *                             (agg_facts.undated); such a post counts nowhere else
 * Regions are ISO 3166-2:KZ codes folded like every value: "region:kz-47"
 * (Mangystau), or "region:unknown" for a post whose region is not known;
 * city:<c> is a town's ASCII slug ("city:zhanaozen").  The module does not
 * check them: pipeline/ maps every post through the gazetteer
 * (lexicons/gazetteer.tsv) first.  Queries fold the dimension they are given
 * the same way, so "region:KZ-47" and "region:kz-47" are the same counter.
 * stance:none is not counted (the share is taken against topic:war_ukraine or
 * all); empty facts produce no dimension.  Values keep their bytes except that
 * ASCII A-Z is lowered (non-ASCII is left to nlp/'s normalization) and '|'
 * becomes '_', so '|' only ever separates a cross.  A value repeated within
 * one post counts once: counters count posts, not mentions.
 * Distinct authors (HyperLogLog, Redis's dense encoding and hash) are kept per
 * hour for "all", each topic and each region, and per minute for "mob:call"
 * and "mob:call|region:<r>" (the alert rules' crowd test, alerts/).
 * Top-k members per hour: hashtags (a leading '#' dropped), terms and channels,
 * folded like values.
 * Sample posts (drill-down: the posts behind a count) are kept per minute for
 * the dimensions an analyst opens -- topic:<t>, stance:<s>, mob:call and
 * region:<r>, not the crosses (a sample carries its region and platform, so a
 * cross's posts are read off its topic's samples; keeping crosses too would
 * multiply the samples by four).  At most AGG_SAMPLES_MAX per (minute,
 * dimension): the first ones in the order posts were added, so a replay keeps
 * the same samples and every store keeps the same ones.
 *
 * Time: buckets are [start, start + width) in UTC; minute = 60 000 ms,
 * hour = 3 600 000 ms.  Query windows are [from_ms, to_ms), aligned down to
 * the bucket width: a bucket is in the window when
 * floor(from_ms) <= start < floor(to_ms), so [10:15, 10:45) holds no hour
 * bucket; pass an aligned-up to_ms to include a partial bucket.
 *
 * Ownership: objects from *_new are the caller's, released with *_free.  Facts
 * passed to agg_batch_add() are copied; nothing keeps caller pointers.  Query
 * results are allocated by the store and released with agg_series_free(),
 * agg_top_free() and agg_dimcounts_free().  Thread rules: one thread at a time
 * per object.
 */
#ifndef KZ_AGGREGATE_H
#define KZ_AGGREGATE_H

#include <stdbool.h>
#include <stdint.h>

#include "kz.h"

enum agg_gran { AGG_MINUTE = 0, AGG_HOUR = 1 };
enum agg_top_kind { AGG_TOP_HASHTAG = 0, AGG_TOP_TERM = 1, AGG_TOP_CHANNEL = 2 };

#define AGG_MINUTE_MS 60000LL
#define AGG_HOUR_MS 3600000LL

const char *agg_gran_name(enum agg_gran g);         /* "minute", "hour" */
const char *agg_top_kind_name(enum agg_top_kind k); /* "hashtag", "term", "channel" */
int agg_top_kind_parse(const char *s);              /* -1 if unknown */

/* One piece of evidence that fired on a post: the lexicon or model category
 * ("topic/protest", "cue/call_to_action", "model/stance"), its rule (pattern
 * or feature) and the text it matched. */
struct agg_evidence {
    struct kz_str category, rule, match;
};

/* What analysis concluded about one post.  Empty strings mean "unknown". */
struct agg_facts {
    int64_t ts_ms; /* event time; for an undated post, when it arrived */
    int undated;   /* the post has no usable event time: it counts toward the
                      dimension "undated" (in the buckets of its arrival) and
                      nothing else, so no series is stretched to arrival time */
    struct kz_str platform, lang, region, author, channel;
    struct kz_str city; /* a town inside region (gazetteer slug), or empty */
    const struct kz_str *topics;
    size_t ntopics;
    struct kz_str stance;          /* pro_ukraine, pro_russia, none or empty */
    int mobilization;              /* non-zero: a call to action */
    const struct kz_str *hashtags; /* normalized, without '#' */
    size_t nhashtags;
    const struct kz_str *terms;
    size_t nterms;
    /* For sample posts (drill-down); only read when a sample is kept. */
    struct kz_str id;                    /* the post's id */
    struct kz_str text;                  /* its text; a sample keeps a snippet */
    const struct agg_evidence *evidence; /* what fired, in the classifier's order */
    size_t nevidence;
};

/* ---------------------------------------------------------------------------
 * Sample posts
 *
 * A sample is one record of bytes, the same in the batch, in every store and
 * in Redis:  ts TAB id TAB author TAB platform TAB region TAB snippet TAB
 * evidence, where ts is the event time in epoch ms (decimal) and evidence is
 * its entries separated by 0x1E, each "category 0x1F rule 0x1F match".  Bytes
 * below 0x20 in a field become spaces when the record is made, so the
 * separators are unambiguous.  id, author, platform and region keep at most
 * AGG_SAMPLE_FIELD_MAX bytes each, the evidence the entries that fit in
 * AGG_SAMPLE_EVIDENCE_MAX bytes (cuts fall on UTF-8 character boundaries).
 * ------------------------------------------------------------------------ */

#define AGG_SAMPLES_MAX 20          /* samples kept per (minute, dimension) */
#define AGG_SNIPPET_CHARS 280       /* characters of a snippet, at most */
#define AGG_SAMPLE_FIELD_MAX 128    /* bytes of id, author, platform, region */
#define AGG_SAMPLE_EVIDENCE_MAX 768 /* bytes of the encoded evidence */
/* bytes of a record, at most: ts, four fields, snippet, evidence, 6 tabs
 * (and room for an evidence entry that is written, then dropped) */
#define AGG_SAMPLE_REC_MAX                                                                         \
    (24 + 4 * AGG_SAMPLE_FIELD_MAX + 4 * AGG_SNIPPET_CHARS + AGG_SAMPLE_EVIDENCE_MAX + 3 * 64 +    \
     3 + 8)

/* Is dim (n bytes) a dimension whose posts are sampled?  topic:<t>,
 * stance:<s>, mob:call, region:<r>, and a watched member hashtag:<h> or
 * term:<t> (agg_batch_set_watch); never a cross. */
int agg_sample_dim(const char *dim, size_t n);

/*
 * The snippet of a text: whitespace runs (ASCII space and controls, NBSP,
 * the Unicode spaces and line separators) collapsed to one space, leading and
 * trailing ones dropped, at most AGG_SNIPPET_CHARS characters; a longer text
 * is cut at a character boundary and ends in "…" (counted in the 280).
 * Bytes that are not well-formed UTF-8 are skipped, so a cut never splits a
 * character.  dst holds at least 4 * AGG_SNIPPET_CHARS bytes; returns the
 * bytes written (no NUL).
 */
size_t agg_snippet(char *dst, const char *text, size_t n);

/* A record's fields, as views into the record's bytes. */
struct agg_sample {
    int64_t ts_ms;
    struct kz_str id, author, platform, region, snippet;
    struct kz_str evidence; /* encoded: walk it with agg_evidence_next() */
};

/* Split a record (n bytes).  0, or KZ_EDECODE when it is not a record. */
int agg_sample_decode(const char *rec, size_t n, struct agg_sample *out);
/* The next evidence entry of *rest (which it advances): 1, or 0 at the end. */
int agg_evidence_next(struct kz_str *rest, struct agg_evidence *e);

/* ---------------------------------------------------------------------------
 * Batch: coalesced increments waiting for a flush
 * ------------------------------------------------------------------------ */

struct agg_batch;

int agg_batch_new(struct agg_batch **out);
void agg_batch_free(struct agg_batch *b);
void agg_batch_reset(struct agg_batch *b); /* empty it, keep its memory */
/* Per-minute distinct authors (the alert rules' crowd test) of calls to
 * action only (the default), or with all of every dimension an alert rule
 * counts: topics overall, by region and by stance, and stances.  A store
 * that alerts are evaluated over needs all (run, replay --alerts); a replay
 * without alerts saves the sketches (bench/README.md). */
void agg_batch_set_minute_authors(struct agg_batch *b, bool all);
/* Sample posts on (the default) or off.  Off, the batch encodes no sample
 * record and offers none to the store: the counts are the same, the posts
 * behind them are not kept (replay and run --no-samples: a sparse archive's
 * samples hold every post in memory, and a busy stream's fill Redis).  Takes
 * effect from the next agg_batch_add. */
void agg_batch_set_samples(struct agg_batch *b, bool on);
/* Sample posts of some dimensions only: from the next agg_batch_add, a
 * post is kept as a sample of dims[0..n) (each a dimension agg_sample_dim
 * takes; any case, folded as the keys are) and of no other.  dims NULL: of
 * every sampled dimension again (the default).  A store filled only to answer
 * known questions -- replay's report lists the calls to action, a query of
 * archives reads one dimension -- saves the records nobody reads: most of a
 * replay's sample work and memory.  The list (at most AGG_WATCH_MAX) is
 * copied.  0, KZ_EINVAL (a dim that is not sampled, too many) or KZ_ENOMEM
 * (the list before stays). */
int agg_batch_set_sample_dims(struct agg_batch *b, const char *const *dims, size_t n);
/* Give dst the settings of src: minute authors, samples and watched members
 * (a second batch that fills while the first is applied).  0, KZ_EINVAL,
 * KZ_ENOMEM (dst keeps its own then). */
int agg_batch_set_like(struct agg_batch *dst, const struct agg_batch *src);
/* Watched members: dims "hashtag:<v>" or "term:<v>" (an alert rule's surge
 * subject, values as the store keeps them).  A post with a watched hashtag
 * or term also counts toward that dimension (minute and hour counters,
 * sample posts, per-minute authors), besides the hour's top-k.  The list
 * (at most AGG_WATCH_MAX, each at most AGG_WATCH_LEN bytes) is copied and
 * replaces the one before; takes effect from the next agg_batch_add.  0,
 * KZ_EINVAL (a dim of another form, too many or too long) or KZ_ENOMEM. */
#define AGG_WATCH_MAX 256
#define AGG_WATCH_LEN 200
int agg_batch_set_watch(struct agg_batch *b, const char *const *dims, size_t n);
/* Is dim a member dim agg_batch_set_watch takes ("hashtag:<h>" or
 * "term:<t>", not empty, no '|', at most AGG_WATCH_LEN bytes)? */
bool agg_watch_dim_ok(const char *dim);

/* Expand facts into increments and merge them.  All or nothing per post.
 * Returns 0, KZ_ENOMEM, KZ_EINVAL (NULL, or a count with a NULL list) or
 * KZ_ERANGE (ts_ms so close to INT64_MIN/MAX that its hour bucket's start or
 * end is not representable).  Allocates nothing once warm. */
int agg_batch_add(struct agg_batch *b, const struct agg_facts *f);

uint64_t agg_batch_posts(const struct agg_batch *b); /* posts added since reset */
size_t agg_batch_keys(const struct agg_batch *b);    /* distinct counter keys */

/* Iterate the batch's contents (order unspecified); a non-zero return stops.
 * The strings handed to fn are borrowed from the batch and stay where they
 * are until it is added to or reset; the dims and members of counts and tops
 * are one copy per distinct string, so equal keys come at the same address. */
typedef int (*agg_count_fn)(void *ctx, enum agg_gran g, int64_t bucket_ms, struct kz_str dim,
                            int64_t n);
typedef int (*agg_topm_fn)(void *ctx, int64_t hour_ms, enum agg_top_kind k, struct kz_str member,
                           int64_t n);
typedef int (*agg_author_fn)(void *ctx, int64_t hour_ms, struct kz_str dim, struct kz_str author);
int agg_batch_foreach_count(const struct agg_batch *b, agg_count_fn fn, void *ctx);
int agg_batch_foreach_top(const struct agg_batch *b, agg_topm_fn fn, void *ctx);
int agg_batch_foreach_author(const struct agg_batch *b, agg_author_fn fn, void *ctx);
/* The per-minute authors (mob:call, mob:call|region:<r>): the same callback,
 * its bucket the minute's start. */
int agg_batch_foreach_minute_author(const struct agg_batch *b, agg_author_fn fn, void *ctx);
/* Samples in the order they were added (so per (minute, dim) the first ones
 * first); rec is an encoded record, see "Sample posts". */
typedef int (*agg_sample_fn)(void *ctx, int64_t minute_ms, struct kz_str dim, struct kz_str rec);
int agg_batch_foreach_sample(const struct agg_batch *b, agg_sample_fn fn, void *ctx);
size_t agg_batch_samples(const struct agg_batch *b); /* (minute, dim, post) samples held */

/* ---------------------------------------------------------------------------
 * Store interface
 * ------------------------------------------------------------------------ */

/* The offsets of one source partition that a batch covers: first_offset to
 * offset, both included (first_offset <= offset). */
struct agg_position {
    const char *source;   /* topic or file name, NUL-terminated */
    int32_t partition;    /* -1 for files */
    int64_t offset;       /* the last offset covered */
    int64_t first_offset; /* the first offset covered */
};

/* agg_store_apply() results besides 0 (applied) and negative errors. */
#define AGG_APPLY_DUPLICATE 1
#define AGG_APPLY_CONFLICT 2

struct agg_point {
    int64_t bucket_ms;
    int64_t count;
};
struct agg_series {
    struct agg_point *points; /* dense: one per bucket in the window, zeros included */
    size_t n;
    int64_t total;
};

struct agg_member {
    char *member; /* NUL-terminated, owned by the result */
    int64_t count;
};
struct agg_top {
    struct agg_member *items; /* by count descending, then member ascending */
    size_t n;
};

struct agg_dimcount {
    char *dim;
    int64_t count;
};
struct agg_dimcounts {
    struct agg_dimcount *items; /* by count descending, then dim ascending */
    size_t n;
};

/* A sample post of a query: rec (owned, NUL-terminated) and its fields,
 * which point into rec. */
struct agg_post {
    char *rec;
    size_t len;
    int64_t minute_ms; /* the minute bucket it was kept in */
    size_t seq;        /* its place in the store's order: by minute, then as kept */
    struct agg_sample s;
};
struct agg_posts {
    struct agg_post *items; /* newest first: ts descending, then as kept */
    size_t n;
    size_t total; /* samples in the window, before the limit */
};

struct agg_store;

/* The operations every store implements; self is the implementation's state. */
struct agg_store_ops {
    const char *name;
    int (*apply)(void *self, const struct agg_batch *b, const struct agg_position *pos, size_t npos,
                 char *err, size_t errlen);
    int (*series)(void *self, enum agg_gran g, const char *dim, int64_t from_ms, int64_t to_ms,
                  struct agg_series *out, char *err, size_t errlen);
    int (*topk)(void *self, enum agg_top_kind k, int64_t from_ms, int64_t to_ms, size_t limit,
                struct agg_top *out, char *err, size_t errlen);
    /* g: the sketches' granularity (AGG_MINUTE: the per-minute ones) */
    int (*distinct)(void *self, enum agg_gran g, const char *dim, int64_t from_ms, int64_t to_ms,
                    uint64_t *out, char *err, size_t errlen);
    int (*dims)(void *self, enum agg_gran g, const char *prefix, int64_t from_ms, int64_t to_ms,
                struct agg_dimcounts *out, char *err, size_t errlen);
    int (*offset)(void *self, const char *source, int32_t partition, int64_t *offset, char *err,
                  size_t errlen);
    /* every sample of dim in the window, by minute ascending, then as kept */
    int (*posts)(void *self, const char *dim, int64_t from_ms, int64_t to_ms, struct agg_posts *out,
                 char *err, size_t errlen);
    int (*publish_watermark)(void *self, const char *group, const char *member,
                             int64_t watermark_ms, int64_t now_ms, char *err, size_t errlen);
    int (*retire)(void *self, const char *group, const char *member, char *err, size_t errlen);
    int (*watermark)(void *self, const char *group, int64_t max_age_ms, int64_t now_ms,
                     int64_t *watermark_ms, char *err, size_t errlen);
    void (*free)(void *self);
};

/* Wrap an implementation; takes ownership of self (ops->free releases it). */
int agg_store_wrap(const struct agg_store_ops *ops, void *self, struct agg_store **out);
void agg_store_free(struct agg_store *s);
const char *agg_store_name(const struct agg_store *s);

/*
 * Apply a batch atomically with the positions it covers.  Idempotent per
 * source partition: when every given position's offset is at or below the
 * offset the store already holds for that partition, nothing changes and
 * AGG_APPLY_DUPLICATE (1) is returned; 0 means applied (every first_offset is
 * above the stored offset, or none is stored) and raises the stored offsets.
 * Fencing: when a partition's first_offset <= stored < offset (the batch
 * overlaps what another writer applied), or the batch is a duplicate for one
 * partition and new for another, nothing changes and AGG_APPLY_CONFLICT (2) is
 * returned: applying it would count the overlap twice.  One writer per
 * partition never sees a conflict; two do when a consumer was paused past its
 * session timeout and its partitions went to another (a zombie): the caller
 * drops its batch and resumes after the stored offsets.  Negative is an error
 * (nothing applied; KZ_EINVAL when a first_offset is above its offset).  An
 * empty position list always applies.
 */
int agg_store_apply(struct agg_store *s, const struct agg_batch *b, const struct agg_position *pos,
                    size_t npos, char *err, size_t errlen);

/* A series for one dimension over [from_ms, to_ms).  An empty window gives
 * n = 0; the mem store refuses (KZ_ERANGE) windows over 2^24 buckets. */
int agg_store_series(struct agg_store *s, enum agg_gran g, const char *dim, int64_t from_ms,
                     int64_t to_ms, struct agg_series *out, char *err, size_t errlen);
/* The top `limit` members (0: all) of a kind over [from_ms, to_ms) (hour
 * granularity). */
int agg_store_topk(struct agg_store *s, enum agg_top_kind k, int64_t from_ms, int64_t to_ms,
                   size_t limit, struct agg_top *out, char *err, size_t errlen);
/* Distinct authors of a dimension ("all", "topic:x", "region:y") over the hours
 * of [from_ms, to_ms), estimated by merging the hourly HyperLogLogs.  0 for
 * any other dimension. */
int agg_store_distinct(struct agg_store *s, const char *dim, int64_t from_ms, int64_t to_ms,
                       uint64_t *out, char *err, size_t errlen);
/* Distinct authors of "mob:call" or "mob:call|region:<r>" over the minutes
 * of [from_ms, to_ms), from the per-minute sketches (Redis: one PFCOUNT over
 * the minutes' keys); 0 for any other dimension.  At most
 * AGG_MINUTE_DISTINCT_MAX minutes (else KZ_ERANGE): an alert window. */
#define AGG_MINUTE_DISTINCT_MAX 1440
int agg_store_distinct_minutes(struct agg_store *s, const char *dim, int64_t from_ms, int64_t to_ms,
                               uint64_t *out, char *err, size_t errlen);
/* Totals over [from_ms, to_ms) of every dimension starting with prefix
 * ("platform:", "topic:" ...; crosses excluded unless the prefix has '|'). */
int agg_store_dims(struct agg_store *s, enum agg_gran g, const char *prefix, int64_t from_ms,
                   int64_t to_ms, struct agg_dimcounts *out, char *err, size_t errlen);
/* The sample posts of a dimension over the minutes of [from_ms, to_ms),
 * newest first (event time descending; ties in the order they were kept),
 * at most `limit` (0: all); out->total counts them before the limit.  A
 * dimension that is not sampled (agg_sample_dim) is KZ_EINVAL. */
int agg_store_posts(struct agg_store *s, const char *dim, int64_t from_ms, int64_t to_ms,
                    size_t limit, struct agg_posts *out, char *err, size_t errlen);
/* The last applied offset of a partition; KZ_ENOTFOUND if none. */
int agg_store_offset(struct agg_store *s, const char *source, int32_t partition, int64_t *offset,
                     char *err, size_t errlen);

/*
 * Watermarks (DESIGN.md, "Time").  Every process of a consumer group -- a
 * member, named "<host>:<pid>" -- publishes its watermark: the oldest of the
 * newest event times it has applied over its partitions, less the allowed
 * lateness, so that every post before it has been counted.  Each publication
 * also records the member's heartbeat, now_ms, its wall-clock time in epoch
 * ms.  A reader of the group's watermark takes the minimum over the live
 * members, those whose heartbeat is less than max_age_ms before its own now_ms
 * (a member that died stops holding the group back after max_age_ms); a clean
 * exit retires the member, deleting both.  The Redis store keeps them in
 * kzp:v2:watermarks:{group} and kzp:v2:heartbeats:{group} (store_redis.c),
 * the in-process store in memory.
 *
 * publish: 0 or a negative KZ_E* (KZ_EAGAIN when Redis is unreachable: the
 * next publication makes up for it).  retire: 0 also when the member was not
 * there.  watermark: 0 and *watermark_ms, KZ_ENOTFOUND when no member is
 * live, or a negative KZ_E* (KZ_EIO when an entry is not a decimal integer).
 * group and member are non-empty NUL-terminated strings; max_age_ms >= 0.
 */
int agg_store_publish_watermark(struct agg_store *s, const char *group, const char *member,
                                int64_t watermark_ms, int64_t now_ms, char *err, size_t errlen);
int agg_store_retire(struct agg_store *s, const char *group, const char *member, char *err,
                     size_t errlen);
int agg_store_watermark(struct agg_store *s, const char *group, int64_t max_age_ms, int64_t now_ms,
                        int64_t *watermark_ms, char *err, size_t errlen);

void agg_series_free(struct agg_series *s);
void agg_top_free(struct agg_top *t);
void agg_dimcounts_free(struct agg_dimcounts *d);
void agg_posts_free(struct agg_posts *p);

/* ---------------------------------------------------------------------------
 * The in-process store
 * ------------------------------------------------------------------------ */

/* Retention R drops, after each apply, the buckets whose start is at least R
 * before the newest bucket seen (so ceil(R / width) buckets are kept).  Top-k
 * and author sketches live in hour buckets.  cfg NULL = all zeros. */
struct agg_mem_config {
    int64_t minute_retention_ms; /* 0 = keep forever (default for replay) */
    int64_t hour_retention_ms;   /* 0 = keep forever */
};

int agg_store_mem_new(const struct agg_mem_config *cfg, struct agg_store **out);
/* The earliest and one-past-latest bucket holding data, or KZ_ENOTFOUND if empty.
 * The union over both granularities (so usually hour-aligned): a series at
 * either granularity over [from, to) covers every stored bucket.  KZ_EINVAL
 * if s is not a mem store. */
int agg_store_mem_bounds(struct agg_store *s, int64_t *from_ms, int64_t *to_ms);

/* ---------------------------------------------------------------------------
 * The Redis store
 * ------------------------------------------------------------------------ */

/* Where a Redis is: parsed from redis://[USER:PASSWORD@]HOST[:PORT][/DB].
 * HOST is a name, an IPv4 address or an IPv6 address in brackets; the port
 * defaults to 6379 and the database to 0.  No percent-decoding. */
struct agg_redis_addr {
    char host[256];     /* without brackets */
    int port;           /* 1..65535 */
    int db;             /* SELECTed after connecting when not 0 */
    char user[128];     /* empty: AUTH with the password alone (if any) */
    char password[256]; /* empty: no AUTH */
};

/* 0, or KZ_EINVAL with a message naming the URL (credentials masked). */
int agg_redis_parse_url(const char *url, struct agg_redis_addr *out, char *err, size_t errlen);

/* Configuration; strings are borrowed during agg_store_redis_new() only. */
struct agg_redis_config {
    const char *url;      /* redis://HOST:PORT[/DB]; default redis://127.0.0.1:6379 */
    const char *password; /* AUTH with this instead of the URL's; NULL = the URL's */
    const char *group;    /* consumer group name for the offsets key; default "kzpulse" */
    int64_t minute_ttl_s; /* minute keys expire at bucket start + this; default 7 days */
    int64_t hour_ttl_s;   /* hour, top and authors keys; default 400 days; 0 = never */
                          /* (posts keys, the samples, expire as minute keys do) */
    int timeout_ms;       /* connect and command timeout; default 2000 */
};

void agg_redis_config_default(struct agg_redis_config *c);

/*
 * Connect (and SELECT, AUTH, SCRIPT LOAD) and wrap the Redis store.  Returns
 * 0, KZ_EINVAL (bad URL or configuration), KZ_EAGAIN (Redis unreachable: the
 * caller may retry), KZ_EIO (Redis refused AUTH or SELECT) or KZ_ENOMEM, with
 * a message.  On error *out is NULL.
 *
 * Once made, the store behaves as the interface says, with Redis-specific
 * errors: a lost or refused connection gives KZ_EAGAIN (the call had no
 * effect, or, for an apply whose reply was lost, had all of it: a retry of the
 * same batch then returns 1) and the next call reconnects; so does a server
 * that answers BUSY, LOADING, TRYAGAIN, MASTERDOWN or OOM.  Any other error
 * reply (WRONGTYPE, a script error) gives KZ_EIO with Redis's message.  An
 * apply sends the whole batch as one script call: keep batches well under
 * ~64 MB encoded (the default flush of 10 000 posts is a few MB); over 512 MB
 * it is refused with KZ_ERANGE.  Every query refuses (KZ_ERANGE) windows over
 * 2^24 buckets.
 */
int agg_store_redis_new(const struct agg_redis_config *cfg, struct agg_store **out, char *err,
                        size_t errlen);

/* Counters of a Redis store since it was made. */
struct agg_redis_stats {
    uint64_t connects;     /* successful connections, the first included */
    uint64_t unavailable;  /* calls that returned KZ_EAGAIN */
    uint64_t expired_keys; /* bucket keys an apply skipped: past their TTL already */
    uint64_t noscript;     /* EVALSHA answered NOSCRIPT and EVAL was used */
    uint64_t applied, duplicates;
    uint64_t conflicts; /* applies refused by fencing (AGG_APPLY_CONFLICT) */
};

/* KZ_EINVAL if s is not a Redis store. */
int agg_store_redis_stats(const struct agg_store *s, struct agg_redis_stats *out);

/*
 * The watch set (kzp:v2:watch, a Redis set): the member dims ("hashtag:<v>",
 * "term:<v>") that alert rules judge, which `run` counts as dimensions of
 * their own (agg_batch_set_watch).  The evaluator adds its surge rules'
 * subjects (SADD); a streaming job reads the set (SMEMBERS) every few
 * seconds.  Both: 0, KZ_EINVAL (not a Redis store), KZ_EAGAIN (Redis out of
 * reach), KZ_EIO or KZ_ENOMEM.  _get hands out a list to free with
 * agg_watch_free(), without the members that are not agg_watch_dim_ok()
 * (written by hand): *left_out counts them.
 */
int agg_store_redis_watch_add(struct agg_store *s, const char *const *dims, size_t n, char *err,
                              size_t errlen);
int agg_store_redis_watch_get(struct agg_store *s, char ***out, size_t *n, size_t *left_out,
                              char *err, size_t errlen);
void agg_watch_free(char **v, size_t n);

/* ---------------------------------------------------------------------------
 * Time zones (zone.c): the system tzdata's rules, for local hour and day
 * buckets and for printing times
 *
 * The store keeps minute and hour buckets in UTC; a reader that wants local
 * days (or prints local times) asks a zone for the offset at an instant.  A
 * zone is read from the TZif file $TZDIR/NAME (TZDIR defaults to
 * /usr/share/zoneinfo, Debian's tzdata package), never from ICU's built-in
 * copy (ICU 72 predates tzdata 2024a: Asia/Almaty is UTC+5 from 2024-03-01)
 * and never through the TZ environment variable.  A zone is immutable once
 * made: any number of threads may share one.  NULL stands for UTC in every
 * lookup.
 * ------------------------------------------------------------------------ */

struct agg_zone;

/* Open an IANA zone ("Asia/Almaty", "UTC", "Asia/Kolkata").  0, KZ_EINVAL
 * ("unknown time zone \"Mars/Olympus\" (path: why): expected an IANA name
 * ...", one line) or KZ_ENOMEM. */
int agg_zone_open(const char *name, struct agg_zone **out, char *err, size_t errlen);
/* The same from TZif bytes (RFC 8536, versions 1 to 4) in memory: 0,
 * KZ_EDECODE (not a valid TZif file) or KZ_ENOMEM.  For tests and fuzzing. */
int agg_zone_from_tzif(const char *name, const void *data, size_t n, struct agg_zone **out,
                       char *err, size_t errlen);
void agg_zone_free(struct agg_zone *z);
const char *agg_zone_name(const struct agg_zone *z); /* as opened; "UTC" for NULL */
/* Seconds east of UTC in force at utc_ms (Asia/Almaty: 21600 before
 * 2024-02-29T18:00:00Z, 18000 from then on). */
int32_t agg_zone_offset(const struct agg_zone *z, int64_t utc_ms);
/* The start (UTC ms) of the local day holding utc_ms (<= utc_ms), and of the
 * first local day starting at or after utc_ms (>= utc_ms).  Instants are
 * those of years 0000..9999, as every parsed time is. */
int64_t agg_zone_day_floor(const struct agg_zone *z, int64_t utc_ms);
int64_t agg_zone_day_ceil(const struct agg_zone *z, int64_t utc_ms);
/* utc_ms as local RFC 3339 with its offset, to the second:
 * "2026-03-05T14:00:00+05:00" ("...Z" for UTC, and for old local mean times
 * whose offset is not whole minutes).  n >= 32. */
void agg_zone_format(const struct agg_zone *z, int64_t utc_ms, char *buf, size_t n);

/* ---------------------------------------------------------------------------
 * HyperLogLog, compatible with Redis's (p = 14, 6-bit registers, MurmurHash64A)
 * ------------------------------------------------------------------------ */

#define AGG_HLL_REGISTERS 16384

struct agg_hll {
    uint8_t reg[AGG_HLL_REGISTERS]; /* one byte per register (dense, unpacked) */
};

void agg_hll_init(struct agg_hll *h);
/* Returns 1 if a register changed (as PFADD does), 0 otherwise. */
int agg_hll_add(struct agg_hll *h, const void *data, size_t len);
void agg_hll_merge(struct agg_hll *dst, const struct agg_hll *src);
uint64_t agg_hll_count(const struct agg_hll *h);

#endif /* KZ_AGGREGATE_H */
