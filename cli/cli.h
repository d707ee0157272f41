/*
 * cli.h -- what the kzpulse command-line files share: configuration, option
 * parsing, the replay pipeline and the report.  Private to cli/.
 */
#ifndef KZ_CLI_H
#define KZ_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "aggregate.h"
#include "ingest.h"
#include "kz.h"
#include "nlp.h"

/* Exit codes of every command. */
enum { KZ_EXIT_OK = 0, KZ_EXIT_FAIL = 1, KZ_EXIT_USAGE = 2 };

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
    int stats_interval;          /* run: seconds between stats lines; 0 = off (default 10) */
    int until_eof;               /* run: exit once every partition is drained */
    int stats_json;              /* run: stats as JSON lines on stderr */
    int64_t lateness_ms;         /* run: allowed lateness for the watermark; default 60000 */
    int64_t from_ms, to_ms;      /* query: window [from, to); 0 = default */
    int gran;                    /* query: enum agg_gran */
    int limit;                   /* query: top-k size; default 10 */
    int64_t minute_ttl_s;        /* run: Redis retention of minute buckets; default 7 days */
    int64_t hour_ttl_s;          /* run: ... of hour, top and authors buckets; default 400 days */
    double rate;                 /* produce: posts/s, 0 = full speed */
    double speed;                /* produce: pace of the original times x speed, 0 = off */
    struct kz_kv kafka_props[KZ_MAX_KAFKA_PROPS]; /* -X key=value, in order */
    int nkafka_props;
    char *gold;                  /* eval, train: gold-labelled JSON lines */
    char *models[KZ_MAX_MODELS]; /* --model files, at most one per label kind */
    int nmodels;
    char *train_label;           /* train: stance, topics or mobilization */
    char *train_out;             /* train: model file written */
    uint64_t train_seed;         /* train: default 1 */
    int train_epochs;            /* train: at most; default 30 */
    double train_l2;             /* train: L2 penalty; default 1e-4 */
    int train_hash_bits;         /* train: 2^bits feature buckets; default 18 */
    int train_char_ngrams;       /* train: character 3-5-gram features; default 0 */
    int train_target_features;   /* train: word x named-side features; default 0 */
    int train_refit;             /* train: refit on all posts after early stopping; default 0 */
};

void kz_config_init(struct kz_config *c);
void kz_config_free(struct kz_config *c);
/* Load a JSON config file over *c.  Unknown keys and wrong types are errors. */
int kz_config_load(struct kz_config *c, const char *path, char *err, size_t errlen);

/* ---------------------------------------------------------------------------
 * Option parsing shared by all subcommands
 * ------------------------------------------------------------------------ */

enum kz_opt_id {
    OPT_HELP = 1,
    OPT_CONFIG,
    OPT_SCHEMA,
    OPT_MAX_TEXT,
    OPT_MAX_RECORD,
    OPT_MAX_FUTURE,
    OPT_DEAD_LETTERS,
    OPT_LEXICONS,
    OPT_REPORT,
    OPT_JSON,
    OPT_TOP,
    OPT_FLUSH_POSTS,
    OPT_KAFKA_PROP,
    OPT_BROKERS,
    OPT_TOPIC,
    OPT_RATE,
    OPT_SPEED,
    OPT_GROUP,
    OPT_REDIS,
    OPT_FLUSH_MS,
    OPT_STATS_INTERVAL,
    OPT_UNTIL_EOF,
    OPT_GOLD,
    OPT_FROM,
    OPT_TO,
    OPT_GRAN,
    OPT_LIMIT,
    OPT_MINUTE_TTL,
    OPT_HOUR_TTL,
    OPT_MODEL,
    OPT_LABEL,
    OPT_OUT,
    OPT_SEED,
    OPT_EPOCHS,
    OPT_L2,
    OPT_HASH_BITS,
    OPT_STATS_JSON,
    OPT_LATENESS_MS,
    OPT_CHAR_NGRAMS,
    OPT_TARGET_FEATURES,
    OPT_REFIT,
};

struct kz_opt {
    enum kz_opt_id id;
    const char *name;  /* long name without dashes */
    char shortname;    /* 0 if none */
    const char *arg;   /* metavariable, NULL for a boolean flag */
    const char *help;
};

struct kz_cmd {
    const char *name;
    const char *usage;    /* after "kzpulse <name> " */
    const char *summary;  /* one line */
    const char *details;  /* paragraph printed by --help, may be NULL */
    const struct kz_opt *opts;
    int (*run)(const struct kz_cmd *cmd, int argc, char **argv);
};

/*
 * Parse argv (after the subcommand name): config file first, then flags.
 * Non-option arguments are collected into *args (caller frees the array,
 * not the strings).  Returns 0, or KZ_EXIT_USAGE after printing a one-line
 * error, or -1 when --help was printed (caller exits 0).
 */
int kz_parse_args(const struct kz_cmd *cmd, int argc, char **argv, struct kz_config *cfg,
                  char ***args, int *nargs);
void kz_print_help(const struct kz_cmd *cmd, FILE *f);

/* The one optional FILE of a line-reading command (classify, tokens): "-"
 * (stdin) when none.  Returns 0, or KZ_EXIT_USAGE after printing a one-line
 * error when there are more. */
int kz_input_arg(const char *cmdname, char **args, int nargs, const char **path);

/* Is the line blank (only spaces, tabs and line ends)? */
static inline bool kz_blank_line(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (s[k] != ' ' && s[k] != '\t' && s[k] != '\n' && s[k] != '\r')
            return false;
    return true;
}

/* ---------------------------------------------------------------------------
 * The pipeline: records -> posts -> analysis -> facts -> batch -> store
 * ------------------------------------------------------------------------ */

struct kz_pipeline;

struct kz_run_stats {
    uint64_t records, posts, dead_total, sources_ok, sources_failed;
    uint64_t bytes_in;
    uint64_t flushes, duplicate_batches;
    int64_t last_ts_ms; /* event time of the last post counted */
};

/* Where dead letters go: a JSON-lines file (replay) or a Kafka topic (run).
 * Returns 0, or a KZ_E* code that stops the pipeline. */
typedef int (*kz_dead_sink)(void *ctx, const struct ingest_dead *d);
int kz_dead_to_file(void *file, const struct ingest_dead *d);

int kz_pipeline_new(const struct kz_config *cfg, struct agg_store *store, kz_dead_sink dead,
                    void *dead_ctx, struct kz_pipeline **out, char *err, size_t errlen);
void kz_pipeline_free(struct kz_pipeline *p);
/* Feed one record; flushes to the store at record boundaries once the batch
 * holds cfg->flush_posts posts. */
int kz_pipeline_record(struct kz_pipeline *p, const struct ingest_record *rec, char *err,
                       size_t errlen);
/* Apply the pending batch: 0 (applied, or a duplicate the store skipped),
 * AGG_APPLY_CONFLICT (the store refused it, see agg_store_apply(); the batch
 * is kept) or a negative KZ_E* code (kept too). */
int kz_pipeline_flush(struct kz_pipeline *p, char *err, size_t errlen);
/* Drop the pending batch and its positions. */
void kz_pipeline_discard(struct kz_pipeline *p);
/* Use lex from the next post on (call between records); returns the old one,
 * which the caller frees. */
struct nlp_lexicon *kz_pipeline_swap_lexicon(struct kz_pipeline *p, struct nlp_lexicon *lex);
const struct ingest_stats *kz_pipeline_ingest_stats(const struct kz_pipeline *p);
/* Replay flushes by itself every flush_posts posts; the streaming loop turns
 * that off and decides itself, so a failed flush can be retried. */
void kz_pipeline_set_autoflush(struct kz_pipeline *p, int on);
uint64_t kz_pipeline_pending(const struct kz_pipeline *p); /* posts in the batch */
/* Positions covered by the pending batch (valid until the next flush). */
const struct agg_position *kz_pipeline_positions(const struct kz_pipeline *p, size_t *n);
struct kz_run_stats *kz_pipeline_run_stats(struct kz_pipeline *p);

/* Load every *.tsv file of a directory into a compiled lexicon. */
int kz_lexicons_load(const char *dir, struct nlp_lexicon **out, char *err, size_t errlen);
/* No --lexicons: use ./lexicons if it is a directory (0), else print why and
 * return KZ_EXIT_USAGE.  cmd_classify.c. */
int kz_lexicons_default(struct kz_config *cfg, const char *cmdname);

/*
 * Load the --model files of cfg (cmd_train.c).  models[] receives caller-owned
 * models (free each with nlp_model_free), one per label kind; a second model
 * of one kind, or a file that is not a valid model, is an error naming the
 * file.  Returns 0, KZ_EIO, KZ_EDECODE, KZ_EINVAL or KZ_ENOMEM.
 */
int kz_models_load(const struct kz_config *cfg, struct nlp_model *models[KZ_MAX_MODELS],
                   size_t *nmodels, char *err, size_t errlen);
void kz_models_free(struct nlp_model *models[KZ_MAX_MODELS], size_t nmodels);

/* ---------------------------------------------------------------------------
 * Report
 * ------------------------------------------------------------------------ */

struct kz_report_input {
    struct agg_store *store;
    const struct ingest_stats *ingest;
    const struct kz_run_stats *run;
    const char *const *sources;
    int nsources;
    const char *dead_letters; /* path */
    int top;
};

int kz_report_text(FILE *f, const struct kz_report_input *in);
int kz_report_json(FILE *f, const struct kz_report_input *in);

/* Commands */
int kz_cmd_replay(const struct kz_cmd *cmd, int argc, char **argv);
int kz_cmd_query(const struct kz_cmd *cmd, int argc, char **argv);
/* Run one file through a pipeline (replay and query share it).  Returns
 * KZ_EXIT_OK, KZ_EXIT_USAGE for a bad input file, or KZ_EXIT_FAIL. */
int kz_replay_file(struct kz_pipeline *p, const struct kz_config *cfg, const char *path,
                   const char *cmdname);
int kz_cmd_tokens(const struct kz_cmd *cmd, int argc, char **argv);
int kz_cmd_produce(const struct kz_cmd *cmd, int argc, char **argv);
int kz_cmd_run(const struct kz_cmd *cmd, int argc, char **argv);
int kz_cmd_classify(const struct kz_cmd *cmd, int argc, char **argv);
int kz_cmd_eval(const struct kz_cmd *cmd, int argc, char **argv);
int kz_cmd_lexicon(const struct kz_cmd *cmd, int argc, char **argv);
int kz_cmd_train(const struct kz_cmd *cmd, int argc, char **argv);

#endif /* KZ_CLI_H */
