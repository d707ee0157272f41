/*
 * pipeline.h -- kzpulse's pipeline as a library: the configuration every
 * command shares (and the one table of its options), the loader of lexicons
 * and models, the walker that takes records through decode -> analyse ->
 * classify -> facts -> batch -> store, and the rendering of what the store
 * answers (query answers, the replay report).
 *
 * DESIGN.md draws the pipeline; this module wires ingest/, nlp/ and
 * aggregate/ together so that every command -- replay, run, query over
 * archives, classify, eval, train, and the alert and serve commands to come
 * -- runs the same code.  cli/ parses options and calls in here; it holds no
 * pipeline logic of its own.  The streaming job of `kzpulse run` (a Kafka
 * consumer group into a store, effectively once) is pipeline_stream_run().
 *
 * Ownership: struct kz_config owns its strings (kz_config_free releases
 * them).  A pipeline borrows its config and its store for its whole life and
 * owns everything else it creates (decoder, analyzer, lexicon, models,
 * batch).  Errors: functions return 0 or a negative KZ_E* code and write a
 * message a person can act on into err.
 */
#ifndef KZ_PIPELINE_H
#define KZ_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"
#include "ingest.h"
#include "kz.h"
#include "nlp.h"

/* ---------------------------------------------------------------------------
 * Configuration: defaults, then the JSON config file, then flags (flags win).
 * ------------------------------------------------------------------------ */

#define KZ_MAX_KAFKA_PROPS 64
#define KZ_MAX_TOPICS 16
#define KZ_MAX_MODELS 3 /* stance, topics, mobilization */

struct kz_kv {
    char *key;
    char *value;
};

struct kz_config {
    struct ingest_config ingest; /* schema, max_text, max_record, max_future_ms */
    char *dead_letters;          /* dead-letter file; default "kzpulse-dead.jsonl" */
    char *lexicons;              /* lexicon directory; NULL = none */
    int report_json;             /* --json */
    int report_text;             /* --report (default when neither is given) */
    int top;                     /* top-k size in reports; default 10 */
    uint64_t flush_posts;        /* posts per batch; default 10000 */
    int flush_ms;                /* Kafka flush interval; default 500 */
    char *brokers;
    char *group;
    char *topics[KZ_MAX_TOPICS];
    int ntopics;
    char *redis;
    int stats_interval;     /* run: seconds between stats lines; 0 = off (default 10) */
    int until_eof;          /* run: exit once every partition is drained */
    int stats_json;         /* run: stats as JSON lines on stderr */
    int64_t lateness_ms;    /* run: allowed lateness for the watermark; default 60000 */
    int64_t from_ms, to_ms; /* query: window [from, to); 0 = default */
    int gran;               /* query: enum agg_gran */
    int limit;              /* query: top-k size; default 10 */
    int64_t minute_ttl_s;   /* run: Redis retention of minute buckets; default 7 days */
    int64_t hour_ttl_s;     /* run: ... of hour, top and authors buckets; default 400 days */
    double rate;            /* produce: posts/s, 0 = full speed */
    double speed;           /* produce: pace of the original times x speed, 0 = off */
    struct kz_kv kafka_props[KZ_MAX_KAFKA_PROPS]; /* -X key=value, in order */
    int nkafka_props;
    char *gold;                  /* eval, train: gold-labelled JSON lines */
    char *models[KZ_MAX_MODELS]; /* --model files, at most one per label kind */
    int nmodels;
    char *train_label;         /* train: stance, topics or mobilization */
    char *train_out;           /* train: model file written */
    uint64_t train_seed;       /* train: default 1 */
    int train_epochs;          /* train: at most; default 30 */
    double train_l2;           /* train: L2 penalty; default 1e-4 */
    double train_rate;         /* train: AdaGrad learning rate; 0 = the trainer's (0.2) */
    int train_hash_bits;       /* train: 2^bits feature buckets; default 18 */
    int train_char_ngrams;     /* train: character 3-5-gram features; default 0 */
    int train_target_features; /* train: word x named-side features; default 0 */
    int train_refit;           /* train: refit on all posts after early stopping; default 0 */
};

void kz_config_init(struct kz_config *c);
void kz_config_free(struct kz_config *c);
/* Load a JSON config file over *c: each key of kz_options[] through its setter
 * (an object of librdkafka properties for "kafka").  Unknown keys and wrong
 * types are errors. */
int kz_config_load(struct kz_config *c, const char *path, char *err, size_t errlen);

/*
 * Options: every setting a flag or a config-file key can change is one row of
 * kz_options[], indexed by enum kz_opt_id: its flag (long and short name,
 * the value's metavariable), its --help line, its setter with the field and
 * bounds it sets, and its config-file key if it has one.  Commands choose
 * their flags from these rows (cli/main.c) and print their help from them;
 * kz_config_load() takes its keys from them; both set values through
 * kz_config_set(), so a flag and a key accept the same values and fail with
 * the same message.
 *
 * The rows with a config-file key come first, in the order the loader lists
 * them in its "unknown key" error.
 */
enum kz_opt_id {
    OPT_HELP = 1, /* 0 ends a command's list of options */
    OPT_CONFIG,
    OPT_SCHEMA,
    OPT_MAX_TEXT,
    OPT_MAX_RECORD,
    OPT_MAX_FUTURE,
    OPT_DEAD_LETTERS,
    OPT_LEXICONS,
    OPT_TOP,
    OPT_FLUSH_POSTS,
    OPT_FLUSH_MS,
    OPT_STATS_INTERVAL,
    OPT_MINUTE_TTL,
    OPT_HOUR_TTL,
    OPT_BROKERS,
    OPT_GROUP,
    OPT_REDIS,
    OPT_KAFKA_PROP,
    /* flags only */
    OPT_REPORT,
    OPT_JSON,
    OPT_TOPIC,
    OPT_RATE,
    OPT_SPEED,
    OPT_UNTIL_EOF,
    OPT_STATS_JSON,
    OPT_LATENESS_MS,
    OPT_FROM,
    OPT_TO,
    OPT_GRAN,
    OPT_LIMIT,
    OPT_GOLD,
    OPT_MODEL,
    OPT_LABEL,
    OPT_OUT,
    OPT_SEED,
    OPT_EPOCHS,
    OPT_L2,
    OPT_LEARN_RATE,
    OPT_HASH_BITS,
    OPT_CHAR_NGRAMS,
    OPT_TARGET_FEATURES,
    OPT_REFIT,
    KZ_OPT_COUNT
};

struct kz_option;

/* Set o's field of c from the text v; `what` names the setting in errors.
 * Returns 0, or -1 with a one-line error in err. */
typedef int (*kz_option_set_fn)(struct kz_config *c, const struct kz_option *o, const char *what,
                                const char *v, char *err, size_t errlen);

struct kz_option {
    const char *name;     /* long flag, without its dashes: "max-text" */
    char shortname;       /* one-letter flag, or 0; unique within a command only */
    const char *arg;      /* metavariable of the value; NULL for a switch without one */
    const char *help;     /* the --help line (a command may word its own) */
    kz_option_set_fn set; /* NULL for the parser's own: --help, --config */
    size_t off;           /* offset of the struct kz_config field set */
    long long min, max;   /* bounds of a number; a string: min 1 = not empty */
    const char *expects;  /* what a bad value's error says is expected */
    const char *key;      /* config-file key; NULL for a flag only */
};

/* The table, indexed by enum kz_opt_id (row 0 is empty). */
extern const struct kz_option kz_options[KZ_OPT_COUNT];

/*
 * Apply one setting given as text (a flag's value or a config-file value);
 * `what` names it in errors ("--schema" or "file: config key \"schema\"").
 * Returns 0, or -1 with a one-line error in err.
 */
int kz_config_set(struct kz_config *c, enum kz_opt_id id, const char *what, const char *v,
                  char *err, size_t errlen);

/* ---------------------------------------------------------------------------
 * Loading: lexicons and models
 * ------------------------------------------------------------------------ */

/* Load every *.tsv file of a directory, in name order, into one compiled
 * lexicon (caller frees it with nlp_lexicon_free). */
int pipeline_lexicons_load(const char *dir, struct nlp_lexicon **out, char *err, size_t errlen);

/* No --lexicons: use ./lexicons if it is a directory (0, cfg->lexicons set);
 * else KZ_ENOTFOUND with the reason in err. */
int pipeline_lexicons_default(struct kz_config *cfg, char *err, size_t errlen);

/*
 * Load the --model files of cfg.  models[] receives caller-owned models (free
 * with pipeline_models_free), one per label kind; a second model of one kind,
 * or a file that is not a valid model, is an error naming the file.  Returns
 * 0, KZ_EIO, KZ_EDECODE, KZ_EINVAL or KZ_ENOMEM.
 */
int pipeline_models_load(const struct kz_config *cfg, struct nlp_model *models[KZ_MAX_MODELS],
                         size_t *nmodels, char *err, size_t errlen);
void pipeline_models_free(struct nlp_model *models[KZ_MAX_MODELS], size_t nmodels);

/* ---------------------------------------------------------------------------
 * The pipeline: records -> posts -> analysis -> facts -> batch -> store
 * ------------------------------------------------------------------------ */

struct pipeline;

struct pipeline_stats {
    uint64_t records, posts, dead_total, sources_ok, sources_failed;
    uint64_t bytes_in;
    uint64_t flushes, duplicate_batches;
    int64_t last_ts_ms; /* event time of the last post counted */
};

/* Where dead letters go: a JSON-lines file (replay, classify) or a Kafka
 * topic (run).  Returns 0, or a KZ_E* code that stops the pipeline. */
typedef int (*pipeline_dead_fn)(void *ctx, const struct ingest_dead *d);
/* A dead-letter sink writing JSON lines to a FILE * (ctx). */
int pipeline_dead_to_file(void *file, const struct ingest_dead *d);

/* Each classified post, for commands that print verdicts (classify).  post is
 * NULL for a plain-text line.  Everything is borrowed for the call only.
 * Returns 0, or a KZ_E* code that stops the pipeline. */
typedef int (*pipeline_verdict_fn)(void *ctx, const struct ingest_post *post,
                                   const struct nlp_doc *doc, const struct nlp_verdict *v);

/*
 * A pipeline over cfg (borrowed): a decoder, an analyzer, the lexicons of
 * cfg->lexicons (none when NULL) and the --model files.  With a store
 * (borrowed), each post's verdict becomes facts in a batch applied to it;
 * without one (NULL), verdicts only go to the verdict callback.
 */
int pipeline_new(const struct kz_config *cfg, struct agg_store *store, pipeline_dead_fn dead,
                 void *dead_ctx, struct pipeline **out, char *err, size_t errlen);
void pipeline_free(struct pipeline *p);
void pipeline_on_verdict(struct pipeline *p, pipeline_verdict_fn fn, void *ctx);

/* Feed one record; with autoflush on (the default), applies the batch at
 * record boundaries once it holds cfg->flush_posts posts. */
int pipeline_record(struct pipeline *p, const struct ingest_record *rec, char *err, size_t errlen);
/* Analyse and classify a plain text (no record, no metadata): the verdict
 * callback sees it with post NULL and id as given.  Store-less pipelines only. */
int pipeline_text(struct pipeline *p, const char *text, size_t n, char *err, size_t errlen);

/* Apply the pending batch: 0 (applied, or a duplicate the store skipped),
 * AGG_APPLY_CONFLICT (the store refused it, see agg_store_apply(); the batch
 * is kept) or a negative KZ_E* code (kept too). */
int pipeline_flush(struct pipeline *p, char *err, size_t errlen);
/* Drop the pending batch and its positions. */
void pipeline_discard(struct pipeline *p);
/* Use lex from the next post on (call between records); returns the old one,
 * which the caller frees. */
struct nlp_lexicon *pipeline_swap_lexicon(struct pipeline *p, struct nlp_lexicon *lex);
/* Compile cfg->lexicons again and swap them in between two records; on any
 * error the old set stays and err says why. */
int pipeline_reload_lexicons(struct pipeline *p, char *err, size_t errlen);
/* The streaming loop turns autoflush off and decides itself when to flush,
 * so that a failed flush can be retried. */
void pipeline_set_autoflush(struct pipeline *p, int on);
uint64_t pipeline_pending(const struct pipeline *p); /* posts in the batch */
/* Positions covered by the pending batch (valid until the next flush). */
const struct agg_position *pipeline_positions(const struct pipeline *p, size_t *n);
const struct ingest_stats *pipeline_ingest_stats(const struct pipeline *p);
struct pipeline_stats *pipeline_stats(struct pipeline *p);
const struct kz_config *pipeline_config(const struct pipeline *p);

/* ---------------------------------------------------------------------------
 * Walkers: a whole source through the pipeline
 * ------------------------------------------------------------------------ */

/* What a walker returns besides 0 and the fatal KZ_E* codes: the source was
 * unreadable or corrupt (err says why); the pipeline is intact, the caller
 * may go on with the next source. */
#define PIPELINE_BAD_SOURCE 1

/*
 * Run one archive (a file, .gz, .zst, a Telegram export, or "-" for stdin)
 * through the pipeline, record by record, and apply what it left pending.
 * Returns 0, PIPELINE_BAD_SOURCE, or a negative KZ_E* code (stop the run).
 */
int pipeline_walk_file(struct pipeline *p, const char *path, char *err, size_t errlen);

/*
 * Read lines from in (named path in positions and errors): a line whose first
 * non-blank byte is '{' is a record and goes through the decoder (any schema
 * it knows); any other non-blank line is plain text (pipeline_text), cut to
 * cfg->ingest.max_text at a character boundary.  Store-less pipelines only.
 * Returns 0, PIPELINE_BAD_SOURCE (a read error), or a negative KZ_E* code
 * with "path:line: why" in err.
 */
int pipeline_walk_lines(struct pipeline *p, FILE *in, const char *path, char *err, size_t errlen);

/* Is the line blank (only spaces, tabs and line ends)?  Readers of JSON lines
 * (eval and train read gold files) skip such lines. */
static inline bool pipeline_blank_line(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (s[k] != ' ' && s[k] != '\t' && s[k] != '\n' && s[k] != '\r')
            return false;
    return true;
}

/* ---------------------------------------------------------------------------
 * Rendering: query answers and the replay report, as text or JSON
 *
 * One place turns store answers into output, so `kzpulse query`, `kzpulse
 * replay` and the HTTP API print the same bytes for the same answer.  Every
 * renderer writes to f and returns 0, KZ_ENOMEM, or KZ_EIO once a write to f
 * has failed (ferror); it neither flushes nor closes f.
 * ------------------------------------------------------------------------ */

enum pipeline_format {
    PIPELINE_TEXT, /* query: tab-separated rows (series: then a total); report: a page */
    PIPELINE_JSON, /* query: one compact JSON object a line; report: indented JSON */
};

/* A query over a store.  Strings are borrowed. */
struct pipeline_query {
    const char *what;       /* "series", "top", "distinct", "dims" or "posts" */
    const char *arg;        /* a dimension (series, distinct, posts), a top-k kind
                               (hashtag, term, channel) or a dimension prefix (dims) */
    enum agg_gran gran;     /* series and dims */
    int64_t from_ms, to_ms; /* the window [from, to) */
    size_t limit;           /* top, posts: at most this many members or posts, 0 = all */
};

/* Is what the name of a query? */
bool pipeline_query_known(const char *what);

/*
 * Run q against the store and render the answer to f: what `kzpulse query`
 * prints.  Returns 0; KZ_EINVAL for an unknown query or top-k kind (err says
 * what is accepted); the store's error, with "what arg: why" in err; or
 * KZ_EIO when writing failed.
 */
int pipeline_query_render(struct agg_store *st, const struct pipeline_query *q,
                          enum pipeline_format fmt, FILE *f, char *err, size_t errlen);

/* The renderers alone, for answers already read from a store.  The JSON
 * objects name q's query, argument and window (and gran for a series). */
int pipeline_render_series(FILE *f, enum pipeline_format fmt, const struct pipeline_query *q,
                           const struct agg_series *s);
int pipeline_render_top(FILE *f, enum pipeline_format fmt, const struct pipeline_query *q,
                        const struct agg_top *t);
int pipeline_render_distinct(FILE *f, enum pipeline_format fmt, const struct pipeline_query *q,
                             uint64_t n);
int pipeline_render_dims(FILE *f, enum pipeline_format fmt, const struct pipeline_query *q,
                         const struct agg_dimcounts *d);
/* Sample posts, newest first: text is a block per post (a tab-separated
 * header line -- time, id, author, platform, region -- then the snippet and
 * the evidence, indented) and a last line "shown N of M ..."; JSON is one
 * object with "posts" (time, id, author, platform, region, snippet,
 * evidence: [{category, rule, match}]), "shown" and "total". */
int pipeline_render_posts(FILE *f, enum pipeline_format fmt, const struct pipeline_query *q,
                          const struct agg_posts *ps);

/* What the replay report covers; everything is borrowed. */
struct pipeline_report {
    struct agg_store *store;           /* in-process: its bounds are the report's window */
    const struct ingest_stats *ingest; /* records, dead letters, flags */
    const char *const *sources;        /* the files replayed, as named */
    int nsources;
    const char *dead_letters; /* where the dead letters went */
    int top;                  /* entries in each top-k list */
};

/* The replay report: totals, flags, dead letters by reason, posts per hour,
 * posts by platform, language, region, topic, stance and mobilization, the
 * top hashtags and the calls to action (the newest `top` sample posts of
 * mob:call), every count read back from the store. */
int pipeline_render_report(FILE *f, enum pipeline_format fmt, const struct pipeline_report *r);

/* ---------------------------------------------------------------------------
 * The streaming job: a Kafka consumer group through the pipeline into a store
 * ------------------------------------------------------------------------ */

/*
 * What the caller's signal handlers set (the job installs none itself).  The
 * job reads it between records and while it waits on Kafka or the store.
 */
struct pipeline_signals {
    /* 1: stop -- flush and commit what is pending, leave the group, return.
     * 2 or more (a second signal): stop now, even when that flush waits on a
     * broker or a store that does not answer. */
    volatile sig_atomic_t stop;
    /* 1: reload cfg->lexicons between two records; the job clears it. */
    volatile sig_atomic_t reload;
};

/* After a first stop, how long the job still waits for a broker that has not
 * confirmed the dead letters of the last batch before it gives up as on a
 * second stop (ms). */
#define PIPELINE_STOP_GRACE_MS 2000

/*
 * Run the streaming job of cfg: consume cfg->topics in the consumer group
 * cfg->group from cfg->brokers (with cfg->kafka_props), take every message
 * through the pipeline, and every cfg->flush_ms or cfg->flush_posts apply the
 * batch to store (borrowed) with the offsets it covers, then commit them to
 * Kafka.  Dead letters go to "<topic>.dlq" before the batch that covers them
 * is applied.  A flush the store cannot take (KZ_EAGAIN) is retried with
 * backoff while nothing more is fetched; a batch the store refuses as
 * overlapping another writer's (fencing) is dropped and its partitions read
 * again after the stored offsets.  Each partition starts after the offset the
 * store holds.  Runs until sig->stop, or with cfg->until_eof until every
 * assigned partition is drained, or a failure.  Stats lines (cfg->stats_json:
 * JSON lines) and events go to stderr; the watermark (cfg->lateness_ms) is
 * published through the store as member "<host>:<pid>" of cfg->group and
 * retired at the end.  See stream.c for the design.
 *
 * When a stop comes while the last flush cannot complete -- the store down,
 * or dead letters the broker does not confirm -- the job waits
 * PIPELINE_STOP_GRACE_MS (the store: 4 s from the flush's start), or until a
 * second stop, then returns without applying that batch or committing its
 * offsets: a restart reads it again.
 *
 * Returns 0 (stopped, everything consumed applied), KZ_EINVAL when the
 * configuration was refused before anything ran (a Kafka property, the
 * lexicons or the models; err says which), or another negative KZ_E* with
 * err saying why (for a failure while running: "stopping: <why>").
 */
int pipeline_stream_run(const struct kz_config *cfg, struct agg_store *store,
                        struct pipeline_signals *sig, char *err, size_t errlen);

#endif /* KZ_PIPELINE_H */
