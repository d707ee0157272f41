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
#define KZ_MAX_MODELS 3     /* stance, topics, mobilization */
#define KZ_MAX_RECEIVERS 16 /* alert receivers (alerts.h: ALERTS_RX_MAX) */

/* An alert receiver as given: kind in alerts.h's enum alerts_rx_kind order
 * (0 webhook, 1 Alertmanager, 2 JSON lines), spec the flag's value. */
struct kz_receiver {
    int kind;
    char *spec;
};

struct kz_kv {
    char *key;
    char *value;
};

struct kz_config {
    struct ingest_config ingest; /* schema, max_text, max_record, max_future_ms */
    char *dead_letters;          /* dead-letter file; default "kzpulse-dead.jsonl" */
    char *lexicons;              /* lexicon directory; NULL = none (see pipeline_data_default) */
    int no_lexicons;             /* --no-lexicons: classify with no lexicons nor shipped models */
    int no_samples;              /* --no-samples: keep no sample posts (agg_batch_set_samples) */
    int report_json;             /* --json */
    int report_text;             /* --report (default when neither is given) */
    uint64_t flush_posts;        /* posts per batch; 0 (default): pipeline_flush_posts() */
    int jobs;                    /* threads analysing an archive; 0 (default): pipeline_jobs() */
    int flush_ms;                /* Kafka flush interval; default 500 */
    char *brokers;
    char *group;
    char *topics[KZ_MAX_TOPICS];
    int ntopics;
    char *redis;
    /* --redis-password-file: the file holding the password, not in the URL */
    char *redis_password_file;
    int stats_interval;     /* run: seconds between stats lines; 0 = off (default 10) */
    int until_eof;          /* run: exit once every partition is drained */
    int stats_json;         /* run: stats as JSON lines on stderr */
    int64_t lateness_ms;    /* run: allowed lateness for the watermark; default 60000 */
    int64_t from_ms, to_ms; /* query: window [from, to); 0 = default (see
                               pipeline_window_resolve) */
    int from_set, to_set;   /* --from / --to given (a time spec may be epoch 0) */
    int64_t now_ms;         /* the clock every time spec of the command is read
                               against: taken once, at the first (0 = not yet) */
    int step;               /* query: enum pipeline_step; default PIPELINE_STEP_AUTO */
    char *tz;               /* query, replay: IANA zone; NULL = PIPELINE_DEFAULT_TZ */
    int limit;              /* replay, query: top-k size (--limit, key "top"); default 10 */
    int names;              /* query, replay: enum nlp_names of region names; default en */
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
    char *alerts_check;        /* alerts --check-rules: the rules file to validate */
    char *alerts_rules;        /* alerts, replay --alerts: rules; NULL = the shipped defaults */
    int alerts;                /* replay --alerts: evaluate the rules over the archives */
    char *alerts_out;          /* alerts, replay --alerts: JSON lines file; NULL = stdout */
    int alerts_interval_ms;    /* alerts: ms between early looks; default 5000 */
    /* alerts: delivery of the alert stream (--deliver-only and the receivers) */
    int deliver_only;                               /* --deliver-only */
    struct kz_receiver receivers[KZ_MAX_RECEIVERS]; /* --webhook, --alertmanager, --deliver-file */
    int nreceivers;
    char *webhook_secret_file; /* else $KZPULSE_WEBHOOK_SECRET; never a flag's value */
    int deliver_timeout_s;     /* per attempt; default 10 */
    int deliver_lease_s;       /* a receiver's lease; default 30 */
    int deliver_retry_max_s;   /* the longest wait between attempts; default 300 */
    int am_resend_s;           /* firing alerts re-sent to Alertmanager; default 60 */
    char *generator_url;       /* Alertmanager generatorURL prefix (+ the alert id) */
    char *listen;              /* serve: ADDR:PORT; NULL = 127.0.0.1:8080 (SERVE_DEFAULT_LISTEN) */
    char *token_file;          /* serve: the bearer token's file (else $KZPULSE_SERVE_TOKEN) */
    char *cors_origin;         /* serve: the one origin allowed by CORS; NULL = no CORS headers */
    char *metrics_listen;      /* run: ADDR:PORT of /metrics; NULL = none */
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
 * The loader lists the keys in table order in its "unknown key" error: the
 * input and store settings first, then those of the streaming job, the
 * alerts and serve.
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
    OPT_REDIS_PASSWORD_FILE,
    OPT_KAFKA_PROP,
    OPT_NO_SAMPLES,
    OPT_JOBS,
    /* flags only, but for the keys of the job, alerts and serve settings below */
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
    OPT_GRAN, /* the older name of OPT_STEP, kept as an alias */
    OPT_STEP,
    OPT_TZ,
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
    OPT_NO_LEXICONS,
    OPT_LEARN_RATE_OLD, /* train's --rate, hidden: --learn-rate */
    OPT_NAMES,
    OPT_CHECK_RULES,
    OPT_RULES,
    OPT_ALERTS,
    OPT_ALERTS_OUT,
    OPT_ALERTS_INTERVAL,
    OPT_DELIVER_ONLY,
    OPT_WEBHOOK,
    OPT_WEBHOOK_SECRET_FILE,
    OPT_ALERTMANAGER,
    OPT_DELIVER_FILE,
    OPT_DELIVER_TIMEOUT,
    OPT_DELIVER_LEASE,
    OPT_GENERATOR_URL,
    OPT_DELIVER_RETRY_MAX,
    OPT_ALERTMANAGER_RESEND,
    OPT_LISTEN,
    OPT_TOKEN_FILE,
    OPT_CORS_ORIGIN,
    OPT_METRICS_LISTEN,
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
    bool list;            /* repeatable: its key takes a JSON array too, and the
                           * command line's values replace the file's */
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
/* Empty the list a repeatable option adds to (--webhook, --alertmanager and
 * --deliver-file share one: the receivers), before the command line's first
 * value of it replaces what the config file gave. */
void kz_config_clear_list(struct kz_config *c, enum kz_opt_id id);

/* ---------------------------------------------------------------------------
 * Loading: lexicons and models
 * ------------------------------------------------------------------------ */

/* Load every *.tsv file of a directory, in name order, into one compiled
 * lexicon (caller frees it with nlp_lexicon_free). */
int pipeline_lexicons_load(const char *dir, struct nlp_lexicon **out, char *err, size_t errlen);

/*
 * The shipped data, for commands that classify: with --no-lexicons
 * (cfg->no_lexicons) none (cfg->lexicons cleared); with --lexicons DIR that
 * directory; else the first data directory found, in this order: the
 * environment variable KZPULSE_DATA (then only it), next to the binary
 * (<bindir>/lexicons, <bindir>/../share/kzpulse/lexicons), the source tree when
 * the binary runs from its build tree, the install's <datadir>/kzpulse.  A
 * data directory's lexicons/ becomes cfg->lexicons and, when no --model was
 * given, the *.kzpm files of its models/ folder become cfg->models.  Returns 0,
 * KZ_ENOTFOUND with every path tried in err, KZ_EINVAL or KZ_ENOMEM.
 */
int pipeline_data_default(struct kz_config *cfg, char *err, size_t errlen);

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
    uint64_t region_unknown; /* posts whose own region field names no place of the gazetteer */
    int64_t last_ts_ms;      /* event time of the last post counted */
};

/* Where dead letters go: a JSON-lines file (replay, classify) or a Kafka
 * topic (run).  Returns 0, or a KZ_E* code that stops the pipeline. */
typedef int (*pipeline_dead_fn)(void *ctx, const struct ingest_dead *d);
/* A dead-letter sink writing JSON lines to a FILE * (ctx). */
int pipeline_dead_to_file(void *file, const struct ingest_dead *d);

/* A dead-letter file (--dead-letters) created at its first dead letter only,
 * so a run without any leaves no empty file (and an old one untouched).
 * pipeline_dead_to_path is its sink (ctx: the struct); a file that cannot be
 * created stops the pipeline (KZ_EIO) with open_errno set. */
struct pipeline_dead_file {
    const char *path; /* borrowed; "-": stderr */
    FILE *f;          /* NULL until the first dead letter */
    int open_errno;
};
int pipeline_dead_to_path(void *dead_file, const struct ingest_dead *d);
/* Could path be created or written?  Checked before a run, so that a bad
 * --dead-letters fails at once; errno says why not. */
bool pipeline_dead_path_ok(const char *path);
/* Flush and close the file if it was created (stderr is only flushed).
 * Returns 0, or KZ_EIO with errno set. */
int pipeline_dead_file_close(struct pipeline_dead_file *df);

/* Each classified post, for commands that print verdicts (classify), written
 * to out.  post is NULL for a plain-text line.  Everything is borrowed for
 * the call only.  Returns 0, or a KZ_E* code that stops the pipeline. */
typedef int (*pipeline_verdict_fn)(void *ctx, FILE *out, const struct ingest_post *post,
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
/* Give each verdict to fn, to be written to out.  A walk on several
 * threads (pipeline_jobs) calls fn on each at once, each with a buffer of
 * its own as out, and copies the buffers to out in the records' order: so
 * out gets the same bytes, and fn must only write to out (ctx is shared). */
void pipeline_on_verdict(struct pipeline *p, pipeline_verdict_fn fn, void *ctx, FILE *out);

/* Posts per batch: cfg->flush_posts when given, else the command's own --
 * PIPELINE_FLUSH_POSTS_RUN for the streaming job (a backlog in fewer, larger
 * Redis applies), PIPELINE_FLUSH_POSTS_WALK for the walkers (replay, query
 * over archives: a smaller batch stays in the caches; the same output).
 * bench/README.md, "Issue 19". */
#define PIPELINE_FLUSH_POSTS_RUN 20000
#define PIPELINE_FLUSH_POSTS_WALK 2000
uint64_t pipeline_flush_posts(const struct kz_config *cfg, int streaming);
/* Threads analysing an archive's records (replay, classify, query and
 * serve over archives): cfg->jobs when given, else the machine's online cores, at most
 * PIPELINE_JOBS_DEFAULT_MAX.  More than one: the walk reads and applies on
 * its own thread while that many workers decode, analyse and classify
 * chunks of records, reduced in the records' order, so every output is the
 * same as with one (pipeline_walk_file). */
#define PIPELINE_JOBS_DEFAULT_MAX 8
#define PIPELINE_JOBS_MAX 64
int pipeline_jobs(const struct kz_config *cfg);
/* Feed one record; with autoflush on (the default), applies the batch at
 * record boundaries once it holds pipeline_flush_posts(cfg, 0) posts. */
int pipeline_record(struct pipeline *p, const struct ingest_record *rec, char *err, size_t errlen);
/* Analyse and classify a plain text (no record, no metadata): the verdict
 * callback sees it with post NULL and id as given.  Store-less pipelines only. */
int pipeline_text(struct pipeline *p, const char *text, size_t n, char *err, size_t errlen);
/* The members the batch also counts as dimensions of their own: an alert
 * rule's surge subjects ("hashtag:<h>", "term:<t>"; agg_batch_set_watch).
 * 0 without a store; else agg_batch_set_watch's answer. */
int pipeline_set_watch(struct pipeline *p, const char *const *dims, size_t n);
/* The dimensions whose sample posts the store is given: dims[0..n) only, or
 * every sampled one again with dims NULL (agg_batch_set_sample_dims).  For a
 * store filled to answer known questions (replay's report, a query of
 * archives).  Before the first post; 0 without a store; else that answer. */
int pipeline_set_sample_dims(struct pipeline *p, const char *const *dims, size_t n);
/* A hashtag as the store keeps it: text (with or without its '#') read by
 * the analyzer as a post would be (NFKC, case-folded), without the '#'.
 * ctx unused (the shape of alerts_rules_normalize's callback).  0; KZ_EINVAL
 * when the text is not one whole hashtag; KZ_ERANGE (len too small),
 * KZ_ENOMEM. */
int pipeline_hashtag_form(void *ctx, const char *text, char *out, size_t len);

/* Apply the pending batch: 0 (applied, or a duplicate the store skipped),
 * AGG_APPLY_CONFLICT (the store refused it, see agg_store_apply(); the batch
 * is kept) or a negative KZ_E* code (kept too). */
int pipeline_flush(struct pipeline *p, char *err, size_t errlen);
/* Drop the pending batch and its positions. */
void pipeline_discard(struct pipeline *p);
/* With on (the default over an in-process store; set it before the first
 * record), the walkers' posts are coalesced and applied on a thread: the
 * loop copies each post's facts into a block, and a full block is
 * coalesced into a batch and applied to the store by a thread while the
 * loop fills the next (replay and query over archives; the streaming job
 * has its own, pipeline_take()).  The store sees the same batches in the
 * same order, so it ends the same.  A failed apply is told by the pipeline_record() that
 * flushes next, or by pipeline_flush(), which also waits for the batch in flight: flush, or
 * pipeline_settle(), before reading the store. */
void pipeline_set_apply_thread(struct pipeline *p, int on);
/* With on (set it before the first record), each post's facts are copied
 * into a block instead of the batch: pipeline_take() hands the block out,
 * and pipeline_apply_taken() coalesces it into a batch (once; a retry only
 * applies) and applies it, on whatever thread runs it -- so the loop only
 * analyses (the streaming job; the walkers' applier implies it).
 * pipeline_flush() then refuses: the caller takes.  Same counts, samples
 * and order as the batch filled in the loop. */
void pipeline_set_deferred(struct pipeline *p, int on);
/* Wait for the batch in flight, if any: 0 or its apply's error. */
int pipeline_settle(struct pipeline *p, char *err, size_t errlen);

/*
 * Applying one batch while the next one fills (the streaming job).
 * pipeline_take() hands the pending batch and its positions out and goes on
 * with a second batch (same settings).  pipeline_apply_taken() applies the
 * taken batch and may run on another thread meanwhile: it touches only the
 * store, the taken batch and (deferred) the taken block and its reader,
 * and the caller makes no other use of the
 * store, nor pipeline_flush(), until pipeline_taken_done().  It may be called
 * again after a failure (a retry).  pipeline_taken_done(), on the loop's
 * thread, ends it: counted when its last apply applied it (or found it
 * applied), forgotten otherwise (a conflict, or a job giving up).  One batch
 * at most is out at a time; pipeline_record() fails rather than flush while one
 * is (the caller flushes at PIPELINE_MAX_POSITIONS positions).
 */
#define PIPELINE_MAX_POSITIONS 64 /* partitions one batch covers at most */
/* 0; KZ_EINVAL (no store, a batch already out, or the walkers' applier on:
 * pipeline_set_apply_thread), KZ_ENOMEM. */
int pipeline_take(struct pipeline *p);
/* 0 (applied, or a duplicate the store skipped), AGG_APPLY_CONFLICT or a
 * negative KZ_E* code, as pipeline_flush(). */
int pipeline_apply_taken(struct pipeline *p, char *err, size_t errlen);
/* The taken batch's positions (valid until pipeline_taken_done()). */
const struct agg_position *pipeline_taken_positions(const struct pipeline *p, size_t *n);
void pipeline_taken_done(struct pipeline *p);
/* Use lex from the next post on (call between records); returns the old one,
 * which the caller frees. */
struct nlp_lexicon *pipeline_swap_lexicon(struct pipeline *p, struct nlp_lexicon *lex);
/* Compile cfg->lexicons again and swap them in between two records; on any
 * error the old set stays and err says why. */
int pipeline_reload_lexicons(struct pipeline *p, char *err, size_t errlen);
/* The streaming loop turns autoflush off and decides itself when to flush,
 * so that a failed flush can be retried. */
void pipeline_set_autoflush(struct pipeline *p, int on);
/* Count into m (borrowed for the pipeline's life; see metrics.h) from now on:
 * kzpulse_posts_total{platform,language}, kzpulse_dead_letters_total{reason},
 * kzpulse_batches_applied_total and kzpulse_apply_duration_seconds. */
struct metrics;
void pipeline_set_metrics(struct pipeline *p, struct metrics *m);
/* Undated posts (INGEST_POST_TS_ARRIVAL: no usable time of their own; a
 * Kafka message's timestamp is when it was produced, which for an archive
 * sent by `kzpulse produce` is today, so it does not date a post) are
 * counted by the decoder's statistics and kept out of the store (the default: an archive's span
 * stays its data's); with on, they go to the store as the dimension "undated" in the buckets of
 * their arrival and nothing else (the streaming job, so that Redis readers see them). */
void pipeline_set_store_undated(struct pipeline *p, int on);
uint64_t pipeline_pending(const struct pipeline *p); /* posts in the batch */
/* Positions covered by the pending batch (valid until the next flush). */
const struct agg_position *pipeline_positions(const struct pipeline *p, size_t *n);
const struct ingest_stats *pipeline_ingest_stats(const struct pipeline *p);
struct pipeline_stats *pipeline_stats(struct pipeline *p);
const struct kz_config *pipeline_config(const struct pipeline *p);
/* The lexicons in use (NULL: none); valid until the next swap. */
const struct nlp_lexicon *pipeline_lexicon(const struct pipeline *p);
/* The gazetteer of the pipeline's lexicons (NULL without one): the known
 * region codes and city slugs, for checking and naming region:/city: values. */
const struct nlp_gazetteer *pipeline_gazetteer(const struct pipeline *p);
/* Read DIR/gazetteer.tsv alone (query --redis names regions without compiling
 * the lexicons).  Returns 0, KZ_EIO or KZ_EINVAL (err: file:line) or KZ_ENOMEM. */
int pipeline_gazetteer_load(const char *dir, struct nlp_gazetteer **out, char *err, size_t errlen);

/* The gazetteer's regions (not its towns), codes and names in lang, copied:
 * for alert rules (the callbacks have the shape of alerts.h's struct
 * alerts_regions, ctx the object).  new: 0 or KZ_ENOMEM; the object is the
 * caller's, freed with pipeline_regions_free, and needs g only during new. */
struct pipeline_regions;
int pipeline_regions_new(const struct nlp_gazetteer *g, enum nlp_names lang,
                         struct pipeline_regions **out);
void pipeline_regions_free(struct pipeline_regions *r);
size_t pipeline_regions_count(const struct pipeline_regions *r);
int pipeline_regions_lookup(void *ctx, const char *code, const char **name);
void pipeline_regions_each(void *ctx, void (*fn)(void *arg, const char *code, const char *name),
                           void *arg);
/* Is topic one the lexicon (a const struct nlp_lexicon *) has a category
 * topic/<topic> of?  1 or 0. */
int pipeline_topic_known(void *lexicon, const char *topic);

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
 * Like pipeline_walk_file (the same source: plain, gzip, zstd, a Telegram
 * export, "-" for stdin), but a record whose first non-blank byte is not '{'
 * is plain text (pipeline_text), cut to cfg->ingest.max_text at a character
 * boundary: what classify reads.  Store-less pipelines only.  Returns 0,
 * PIPELINE_BAD_SOURCE, or a negative KZ_E* code with "path: why" in err.
 */
int pipeline_walk_lines(struct pipeline *p, const char *path, char *err, size_t errlen);

/* Show the walks' progress on out (a terminal: the command checks), one
 * line rewritten in place twice a second -- pipeline_progress_line() -- and
 * erased when each walk ends.  NULL (the default): none. */
void pipeline_set_progress(struct pipeline *p, FILE *out);
/* A progress line into buf (n bytes, cut to fit), which it returns:
 *   "NAME: 1,234,567 posts, 180.4 of 345.0 MB (52%), 48.1 MB/s, 0:04 left"
 * done and total bytes of the file read in secs; without a total (a pipe)
 *   "NAME: 1,234,567 posts, 180.4 MB, 48.1 MB/s"
 * and before the first byte, or the first tenth of a second, no rate. */
char *pipeline_progress_line(char *buf, size_t n, const char *name, uint64_t posts, uint64_t done,
                             uint64_t total, double secs);

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
 * Windows: --from, --to, --step and --tz made into a query's window
 *
 * A window is [from, to) in UTC ms.  Its buckets are those of the step that
 * overlap it: minute and hour buckets are the store's UTC ones, day buckets
 * are local days of the zone summed from hour buckets -- so the current,
 * partial minute or hour is always in a window that reaches now.  Hour and
 * day steps need a zone whose offset is a whole number of hours (the store's
 * hours are UTC hours); a zone such as Asia/Kolkata (+05:30) takes --step
 * minute, or the window is refused with a message that says so.
 * ------------------------------------------------------------------------ */

#define PIPELINE_DEFAULT_TZ "Asia/Almaty" /* Kazakhstan: one zone, UTC+5, since 2024-03-01 */

enum pipeline_step {
    PIPELINE_STEP_INVALID = -2,
    PIPELINE_STEP_AUTO = -1,
    PIPELINE_STEP_MINUTE = AGG_MINUTE,
    PIPELINE_STEP_HOUR = AGG_HOUR,
    PIPELINE_STEP_DAY = 2,
};

/* "minute", "hour", "day", "auto" <-> the enum (PIPELINE_STEP_INVALID if unknown). */
int pipeline_step_parse(const char *s);
const char *pipeline_step_name(enum pipeline_step s);

/* The wall clock, epoch ms (the one place commands read it). */
int64_t pipeline_now_ms(void);

struct pipeline_window_in {
    int64_t from_ms, to_ms;      /* as given; 0 = the default, unless *_set */
    int from_set, to_set;        /* given even when 0 (--from 1970-01-01T00:00:00Z) */
    enum pipeline_step step;     /* PIPELINE_STEP_AUTO: by the span */
    const struct agg_zone *zone; /* NULL = UTC */
    int64_t now_ms;
    int archive;                /* defaults: the data's span (else the last 24 hours to now) */
    int64_t data_from, data_to; /* archives: the store's bounds; data_to 0 when empty */
};

struct pipeline_window {
    int64_t from_ms, to_ms;
    enum pipeline_step step; /* never auto */
};

/*
 * Resolve a window.  Defaults: live (Redis), [now - 24 h, now); archives,
 * the data's span (when the archives hold no dated post, the last 24 hours).
 * --step auto: a span up to 3 hours gives minute, up to 7 days hour, else
 * day.  Refused with KZ_EINVAL and a one-line message naming the parameter: a
 * --from after now; an empty or inverted window (--to at or before --from,
 * or a --from after the archives' last post); an hour or day step in a zone
 * whose offset in the window is not a whole number of hours.  Pure: the
 * clock comes in now_ms.
 */
int pipeline_window_resolve(const struct pipeline_window_in *in, struct pipeline_window *out,
                            char *err, size_t errlen);

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

/* A query over a store.  Strings and the zone are borrowed. */
struct pipeline_query {
    const char *what;            /* "series", "top", "distinct", "dims" or "posts" */
    const char *arg;             /* a dimension (series, distinct, posts), a top-k kind (hashtag,
                                    term, channel) or a dimension prefix (dims) */
    enum pipeline_step step;     /* series and dims: minute, hour or day (not auto) */
    const struct agg_zone *zone; /* day boundaries and printed times; NULL = UTC */
    int64_t from_ms, to_ms;      /* the window [from, to), as resolved */
    size_t limit;                /* top, posts: at most this many members or posts, 0 = all */
    const struct nlp_lexicon *lexicon; /* topics and regions known besides the store's;
                                          NULL: none (see pipeline_query_check) */
    int64_t undated;                   /* series, dims: posts without a usable time to report
                                          apart; -1 = read the store's "undated" over the window */
    const struct nlp_gazetteer *gaz;   /* names beside region: and city: values; NULL: codes only */
    enum nlp_names names;              /* in this language */
};

/* Is what the name of a query? */
bool pipeline_query_known(const char *what);

/*
 * Dimensions a query may name (dims.c).  A query for a dimension nobody
 * counts is refused rather than answered with zeros: pipeline_query_check()
 * says whether q's argument is one (series, posts and distinct: a dimension;
 * dims: a prefix of one; top: a top-k kind), checking each KIND:VALUE against
 * the known values of its kind.  pipeline_query_render() calls it first.
 * Returns 0, or KZ_EINVAL with a one-line error listing what is known.
 */
struct pipeline_known {
    const struct nlp_lexicon *lexicon; /* loaded lexicons, or NULL */
    struct agg_store *store;           /* what it counted over [from_ms, to_ms) counts too */
    int64_t from_ms, to_ms;
};
int pipeline_query_check(const struct pipeline_query *q, const struct pipeline_known *known,
                         char *err, size_t errlen);
/* One dimension ("topic:protest", "topic:protest|region:astana"); with prefix,
 * the last value may be cut short or absent (a dims prefix). */
int pipeline_dim_check(const struct pipeline_known *known, const char *dim, bool prefix, char *err,
                       size_t errlen);

/* The known values of a dimension kind, sorted, owned by out (free with
 * pipeline_values_free): stance and mob fixed, topic and region from the
 * lexicons' categories and the store.  Returns 1 (out filled), 0 when the kind
 * takes any value of its syntax (platform, lang; out empty), or KZ_ENOMEM. */
struct pipeline_values {
    char **v;
    size_t n, cap;
};
int pipeline_dim_values(const struct pipeline_known *known, const char *kind,
                        struct pipeline_values *out);
void pipeline_values_free(struct pipeline_values *vals);

/*
 * Run q against the store and render the answer to f: what `kzpulse query`
 * prints.  Returns 0; KZ_EINVAL for an unknown query or top-k kind (err says
 * what is accepted); the store's error, with "what arg: why" in err; or
 * KZ_EIO when writing failed.
 */
int pipeline_query_render(struct agg_store *st, const struct pipeline_query *q,
                          enum pipeline_format fmt, FILE *f, char *err, size_t errlen);

/* The renderers alone, for answers already read from a store.  The JSON
 * objects name q's query, argument, window and zone (and the step and the
 * undated posts for a series or dims).  Times print in q->zone as RFC 3339
 * with the offset ("2026-03-05T14:00:00+05:00"), in text and JSON alike. */
int pipeline_render_series(FILE *f, enum pipeline_format fmt, const struct pipeline_query *q,
                           const struct agg_series *s, int64_t undated);
int pipeline_render_top(FILE *f, enum pipeline_format fmt, const struct pipeline_query *q,
                        const struct agg_top *t);
int pipeline_render_distinct(FILE *f, enum pipeline_format fmt, const struct pipeline_query *q,
                             uint64_t n);
int pipeline_render_dims(FILE *f, enum pipeline_format fmt, const struct pipeline_query *q,
                         const struct agg_dimcounts *d, int64_t undated);
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
    const char *dead_letters;        /* where the dead letters went */
    int top;                         /* entries in each top-k list */
    const struct agg_zone *zone;     /* days of the hourly chart, times printed; NULL = UTC */
    const struct nlp_gazetteer *gaz; /* names beside region codes; NULL: codes only */
    enum nlp_names names;
    uint64_t region_unknown; /* posts whose region field named no known place */
    bool no_samples;         /* replayed with --no-samples: no calls to list */
};

/* The replay report: totals, flags (undated posts among them: in no series
 * and no count by dimension), dead letters by reason, posts per hour (a line
 * a local day of r->zone), posts by platform, language, region, topic,
 * stance and mobilization, the top hashtags and terms, and the calls to
 * action (the newest `top` sample posts of mob:call), every count read back
 * from the store.  JSON: "from"/"to" in RFC 3339 with the zone's offset,
 * posts_per_hour keyed by UTC hour ("YYYY-MM-DDTHH", as the store's). */
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
#define PIPELINE_STOP_GRACE_MS 1000
/* After a stop, leaving the group and the Kafka client's teardown are waited for until
 * this long after the first signal (at least 100 ms more): librdkafka's
 * destroy against a frozen broker took from 0.7 s to over 5 s, so a slower
 * one is left to finish while the process exits, within 5 s of the signal. */
#define PIPELINE_STOP_TEARDOWN_MS 3000
/* How often the streaming job reads the watch set of alert rules (the
 * hashtags and terms evaluators ask it to count: agg_store_redis_watch_get). */
#define PIPELINE_WATCH_MS 5000

/*
 * Run the streaming job of cfg: consume cfg->topics in the consumer group
 * cfg->group from cfg->brokers (with cfg->kafka_props), take every message
 * through the pipeline, and every cfg->flush_ms or pipeline_flush_posts(cfg, 1) apply the
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
 * PIPELINE_STOP_GRACE_MS (the store: 4 s from the apply's start or the stop), or until a
 * second stop, then returns without applying that batch or committing its
 * offsets: a restart reads it again.
 *
 * With metrics (NULL: none), the job counts into that registry what the
 * pipeline counts (pipeline_set_metrics) and keeps the gauges
 * kzpulse_consumer_lag_messages and kzpulse_watermark_age_seconds, updated
 * once a second from the loop (the registry is read by another thread: the
 * /metrics server of `kzpulse run --metrics-listen`).
 *
 * Returns 0 (stopped, everything consumed applied), KZ_EINVAL when the
 * configuration was refused before anything ran (a Kafka property, the
 * lexicons or the models; err says which), or another negative KZ_E* with
 * err saying why (for a failure while running: "stopping: <why>").
 */
/*
 * Open the Redis store the configuration names: --redis URL, --group, the
 * retention options and the password from --redis-password-file, the URL or
 * $REDISCLI_AUTH, in that order (pipeline/redis.c).  Returns what
 * agg_store_redis_new() returns; KZ_EINVAL also for an unreadable or empty
 * password file.  The password never appears in err.
 */
int pipeline_redis_open(const struct kz_config *cfg, struct agg_store **out, char *err,
                        size_t errlen);
/* The password pipeline_redis_open() would use instead of the URL's, by the
 * same precedence (the file, then $REDISCLI_AUTH when the URL has none), into
 * pw (size >= 257): "" when there is none.  0, or KZ_EINVAL with err naming
 * the file (never its content). */
int pipeline_redis_password(const struct kz_config *cfg, char *pw, size_t size, char *err,
                            size_t errlen);

/* Where the configuration's Redis is, with the password it would AUTH with
 * (from the same places, in the same order) in addr->password: for readers
 * that talk to Redis directly (serve's alert stream).  0, or KZ_EINVAL. */
int pipeline_redis_addr(const struct kz_config *cfg, struct agg_redis_addr *addr, char *err,
                        size_t errlen);

int pipeline_stream_run(const struct kz_config *cfg, struct agg_store *store,
                        struct pipeline_signals *sig, struct metrics *metrics, char *err,
                        size_t errlen);

#endif /* KZ_PIPELINE_H */
