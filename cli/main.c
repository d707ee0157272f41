/*
 * main.c -- the kzpulse command line: subcommand dispatch and top-level help.
 *
 * Each subcommand is a row in `commands`: its name, usage, help text, option
 * table and entry point.  Options are parsed the same way for all of them
 * (config.c), so flags, the config file and error messages behave alike
 * everywhere.  Only this folder may call exit(); commands return exit codes.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define OPT_HELP_ROW {OPT_HELP, "help", 'h', NULL, "show this help and exit"}
#define OPT_CONFIG_ROW                                                                             \
    {OPT_CONFIG, "config", 'c', "FILE", "JSON config file, applied before the flags (flags win)"}
#define OPT_INGEST_ROWS                                                                            \
    {OPT_SCHEMA, "schema", 0, "NAME", "input schema: auto (default), generic, telegram, vk, x"},  \
        {OPT_MAX_TEXT, "max-text", 0, "SIZE",                                                      \
         "bytes of text analysed per post (default 64K; longer texts are cut and flagged)"},       \
        {OPT_MAX_RECORD, "max-record", 0, "SIZE",                                                  \
         "largest record accepted (default 16M; larger ones are dead letters)"},                   \
        {OPT_MAX_FUTURE, "max-future", 0, "SECONDS",                                               \
         "how far past arrival a post's time may lie (default 86400)"}
/* Only replay writes a dead-letter file: run sends dead letters to <topic>.dlq,
 * and query's archives are read for counting only. */
#define OPT_DEAD_LETTERS_ROW                                                                       \
    {OPT_DEAD_LETTERS, "dead-letters", 'd', "FILE",                                                \
     "dead-letter file, JSON lines (default kzpulse-dead.jsonl; - for stderr)"}

static const struct kz_opt replay_opts[] = {
    OPT_HELP_ROW,
    OPT_CONFIG_ROW,
    OPT_INGEST_ROWS,
    OPT_DEAD_LETTERS_ROW,
    {OPT_LEXICONS, "lexicons", 'l', "DIR", "lexicon directory (TSV files) for classification"},
    {OPT_MODEL, "model", 'm', "FILE", "model from kzpulse train (repeatable: one per label kind)"},
    {OPT_REPORT, "report", 'r', NULL, "print the report as text (the default)"},
    {OPT_JSON, "json", 'j', NULL, "print the report as JSON"},
    {OPT_TOP, "top", 0, "N", "entries in each top-k list (default 10)"},
    {OPT_FLUSH_POSTS, "flush-posts", 0, "N", "posts per batch applied to the store (default 10000)"},
    {0, NULL, 0, NULL, NULL},
};

static const struct kz_opt tokens_opts[] = {
    OPT_HELP_ROW,
    OPT_CONFIG_ROW,
    {OPT_MAX_TEXT, "max-text", 0, "SIZE", "bytes of each line analysed (default 64K)"},
    {0, NULL, 0, NULL, NULL},
};

static const struct kz_opt produce_opts[] = {
    OPT_HELP_ROW,
    OPT_CONFIG_ROW,
    {OPT_BROKERS, "brokers", 'b', "HOST:PORT", "Kafka bootstrap servers (required)"},
    {OPT_TOPIC, "topic", 't', "TOPIC", "topic to publish to (required)"},
    {OPT_RATE, "rate", 0, "N", "publish at N posts/s (default: as fast as possible)"},
    {OPT_SPEED, "speed", 0, "X", "publish at the posts' original pace, X times faster"},
    {OPT_KAFKA_PROP, "property", 'X', "KEY=VALUE", "librdkafka producer property (repeatable)"},
    {OPT_SCHEMA, "schema", 0, "NAME", "input schema, for keys and times: auto (default), ..."},
    {0, NULL, 0, NULL, NULL},
};

static const struct kz_opt run_opts[] = {
    OPT_HELP_ROW,
    OPT_CONFIG_ROW,
    {OPT_BROKERS, "brokers", 'b', "HOST:PORT", "Kafka bootstrap servers (required)"},
    {OPT_TOPIC, "topic", 't', "TOPIC", "topic to consume (required; repeatable)"},
    {OPT_GROUP, "group", 'g', "GROUP", "consumer group (required)"},
    {OPT_REDIS, "redis", 0, "URL", "redis://HOST:PORT[/DB] holding the counters (required)"},
    {OPT_FLUSH_MS, "flush-ms", 0, "MS", "apply the batch to Redis every MS ms (default 500)"},
    {OPT_FLUSH_POSTS, "flush-posts", 0, "N", "... or every N posts, whichever first (default 10000)"},
    {OPT_STATS_INTERVAL, "stats-interval", 0, "SECONDS", "stats line every SECONDS (default 10; 0 off)"},
    {OPT_UNTIL_EOF, "until-eof", 0, NULL, "exit once every assigned partition is drained"},
    {OPT_STATS_JSON, "stats-json", 0, NULL, "print the stats lines as JSON lines (stderr)"},
    {OPT_LATENESS_MS, "lateness-ms", 0, "MS",
     "allowed lateness: the watermark published to Redis trails event time by MS (default 60000)"},
    {OPT_MINUTE_TTL, "minute-ttl", 0, "SECONDS", "keep minute buckets this long (default 604800; 0 = ever)"},
    {OPT_HOUR_TTL, "hour-ttl", 0, "SECONDS", "keep hour buckets this long (default 34560000; 0 = ever)"},
    {OPT_KAFKA_PROP, "property", 'X', "KEY=VALUE", "librdkafka consumer property (repeatable)"},
    OPT_INGEST_ROWS,
    {OPT_LEXICONS, "lexicons", 'l', "DIR", "lexicon directory (TSV files) for classification"},
    {OPT_MODEL, "model", 'm', "FILE", "model from kzpulse train (repeatable: one per label kind)"},
    {0, NULL, 0, NULL, NULL},
};

static const struct kz_opt classify_opts[] = {
    OPT_HELP_ROW,
    OPT_CONFIG_ROW,
    {OPT_LEXICONS, "lexicons", 'l', "DIR", "lexicon directory (default ./lexicons if it exists)"},
    {OPT_MODEL, "model", 'm', "FILE", "model from kzpulse train (repeatable: one per label kind)"},
    {OPT_SCHEMA, "schema", 0, "NAME", "schema of JSON lines: auto (default), generic, telegram, vk, x"},
    {OPT_MAX_TEXT, "max-text", 0, "SIZE", "bytes of text analysed per post (default 64K)"},
    {0, NULL, 0, NULL, NULL},
};

static const struct kz_opt eval_opts[] = {
    OPT_HELP_ROW,
    OPT_CONFIG_ROW,
    {OPT_GOLD, "gold", 'g', "FILE", "gold-labelled posts, JSON lines (required)"},
    {OPT_LEXICONS, "lexicons", 'l', "DIR", "lexicon directory (default ./lexicons if it exists)"},
    {OPT_MODEL, "model", 'm', "FILE", "model from kzpulse train (repeatable: one per label kind)"},
    {OPT_JSON, "json", 'j', NULL, "print the figures as JSON"},
    {0, NULL, 0, NULL, NULL},
};

static const struct kz_opt train_opts[] = {
    OPT_HELP_ROW,
    OPT_CONFIG_ROW,
    {OPT_GOLD, "gold", 'g', "FILE", "gold-labelled posts, JSON lines (required)"},
    {OPT_LABEL, "label", 0, "KIND", "what to learn: stance, topics or mobilization (required)"},
    {OPT_OUT, "out", 'o', "FILE", "model file to write (required)"},
    {OPT_LEXICONS, "lexicons", 'l', "DIR", "lexicon directory (default ./lexicons if it exists)"},
    {OPT_SEED, "seed", 0, "N", "seed of the held-out split and the shuffles (default 1)"},
    {OPT_EPOCHS, "epochs", 0, "N", "epochs at most; early stopping may end sooner (default 30)"},
    {OPT_L2, "l2", 0, "X", "L2 penalty (default 1e-4)"},
    {OPT_LEARN_RATE, "rate", 0, "X", "AdaGrad learning rate (default 0.2)"},
    {OPT_HASH_BITS, "hash-bits", 0, "N", "2^N feature buckets, 8..24 (default 18)"},
    {OPT_CHAR_NGRAMS, "char-ngrams", 0, NULL, "add character 3-5-grams of words (off by default)"},
    {OPT_TARGET_FEATURES, "target-features", 0, NULL,
     "pair words with the war side named near them (cue/target_* lexicons; off by default)"},
    {OPT_REFIT, "refit", 0, NULL,
     "after early stopping on the held-out part, train again on all posts for as many epochs"},
    {OPT_JSON, "json", 'j', NULL, "print the training report as JSON"},
    {0, NULL, 0, NULL, NULL},
};

static const struct kz_opt lexicon_opts[] = {
    OPT_HELP_ROW,
    {0, NULL, 0, NULL, NULL},
};

static const struct kz_opt query_opts[] = {
    OPT_HELP_ROW,
    OPT_CONFIG_ROW,
    {OPT_REDIS, "redis", 0, "URL", "query Redis (redis://HOST:PORT[/DB]) instead of archives"},
    {OPT_FROM, "from", 0, "TIME", "window start, RFC 3339 or epoch (default: see above)"},
    {OPT_TO, "to", 0, "TIME", "window end, exclusive"},
    {OPT_GRAN, "gran", 0, "minute|hour", "series and dims granularity (default hour)"},
    {OPT_LIMIT, "limit", 'n', "N", "top-k size (default 10; 0 = all)"},
    {OPT_JSON, "json", 'j', NULL, "print one JSON object instead of tab-separated rows"},
    {OPT_LEXICONS, "lexicons", 'l', "DIR", "lexicons for replaying archives"},
    OPT_INGEST_ROWS,
    {0, NULL, 0, NULL, NULL},
};

static const struct kz_cmd commands[] = {
    {"replay", "[options] FILE...",
     "Run archives through decode -> analyse -> aggregate into the in-process store and report.",
     "FILE is a JSON-lines archive (plain, gzip or zstd: detected by content), a Telegram\n"
     "Desktop export (result.json), or - for stdin.  Records that cannot be decoded go to the\n"
     "dead-letter file with their reason; everything else is counted.  The report gives totals,\n"
     "posts per hour, posts by platform, language, region and topic, top hashtags, distinct\n"
     "authors and dead letters by reason.",
     replay_opts, kz_cmd_replay},
    {"query", "series|top|distinct|dims ARG (--redis URL | FILE...) [options]",
     "Read a series, a top-k, a distinct count or dimension totals from a store.",
     "The same queries run against Redis (--redis) or against archives replayed into the\n"
     "in-process store, with the same output either way:\n"
     "  series DIM      posts per bucket of a dimension (all, topic:protest, lang:kk, ...)\n"
     "  top KIND        top hashtags, terms or channels (KIND = hashtag, term, channel)\n"
     "  distinct DIM    distinct authors (DIM = all, topic:<t>, region:<r>), HyperLogLog\n"
     "  dims PREFIX     totals of every dimension starting with PREFIX (platform:, topic:, ...)\n"
     "Windows are [--from, --to); defaults: the last 24 hours (Redis), the data's span (archives).",
     query_opts, kz_cmd_query},
    {"tokens", "[options] [FILE|-]",
     "Print the tokens of each input line as JSON (surface, norm, stem, lang, kind, span).",
     "One JSON object per input line: the line's language and script, and its tokens.  Meant\n"
     "for people writing lexicons: it shows exactly what the patterns are matched against.",
     tokens_opts, kz_cmd_tokens},
    {"run", "--brokers HOST:PORT --topic T --group G --redis redis://HOST:PORT [options]",
     "Consume posts from Kafka, analyse them and keep rolling counters in Redis.",
     "Joins the consumer group, analyses each post, coalesces increments in memory and applies\n"
     "them to Redis every --flush-ms or --flush-posts, atomically with the partitions' offsets\n"
     "(effectively once: nothing lost, nothing counted twice across crashes and rebalances).\n"
     "Undecodable messages go to <topic>.dlq with their reason in headers.  SIGTERM or SIGINT\n"
     "flush, commit and exit 0.",
     run_opts, kz_cmd_run},
    {"produce", "--brokers HOST:PORT --topic TOPIC [options] FILE...",
     "Publish archives to Kafka, one message per record, keyed by author.",
     "Every record is published as it is, malformed ones included (so a consumer's dead-letter\n"
     "path can be exercised); the key is the post's author, so one author's posts stay in\n"
     "order in one partition.  Full speed by default, --rate N posts/s, or --speed X to follow\n"
     "the posts' own timestamps X times faster.  Kafka settings pass through as -X key=value.\n"
     "Telegram Desktop exports are not published (replay them instead).",
     produce_opts, kz_cmd_produce},
    {"classify", "[options] [FILE|-]",
     "Classify posts (JSON lines) or plain-text lines: one verdict JSON per line.",
     "A line starting with '{' is a post (any schema replay accepts); any other line is text.\n"
     "Each verdict gives language, topics, war stance, mobilization (score, call to action,\n"
     "when, where), region, hashtags, mentions, URLs and the evidence: every lexicon match\n"
     "with its rule, category and byte span in the text.",
     classify_opts, kz_cmd_classify},
    {"eval", "--gold FILE.jsonl [options]",
     "Score classification against gold labels: P/R/F1, macro-F1, confusion, worst posts.",
     "Gold lines are {\"text\", \"lang\", \"topics\", \"stance\", \"mobilization\"} with any\n"
     "subset of the labels.  Stance is scored over 3 classes, topics per topic (multi-label),\n"
     "mobilization as a binary label; macro-F1 per task.",
     eval_opts, kz_cmd_eval},
    {"train", "--gold FILE.jsonl --label stance|topics|mobilization --out MODEL [options]",
     "Train a learned model (logistic regression on hashed features) from gold posts.",
     "Features are token stems, stem bigrams, hashtags, mentions, emoji, URL hosts (character\n"
     "3-5-grams with --char-ngrams), lexicon category hits and verdict, and language,\n"
     "hashed into 2^N buckets.  A seeded 10% of the posts is held out: training stops when its\n"
     "loss stops improving, and the weight of the model against the lexicons is chosen on it.\n"
     "Prints held-out figures (lexicons alone, model alone, blended).  Use the model with\n"
     "--model in classify, eval, replay and run.",
     train_opts, kz_cmd_train},
    {"lexicon", "lint DIR",
     "Check lexicon TSV files: fields, categories, weights, languages, duplicates.",
     "Reports every error as FILE:LINE: message.  Exit 0 when clean, 2 otherwise.",
     lexicon_opts, kz_cmd_lexicon},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: kzpulse COMMAND [options] [args]\n\n"
               "kzpulse: streaming discourse analytics for the Kazakhstani internet.\n\n"
               "commands:\n");
    for (size_t i = 0; i < KZ_ARRAY_LEN(commands); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'kzpulse COMMAND --help' describes a command's options.\n"
               "exit codes: 0 ok, 1 runtime failure, 2 bad usage or unreadable input\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return KZ_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        usage(stdout);
        return KZ_EXIT_OK;
    }
    if (!strcmp(name, "--version")) {
        printf("kzpulse 0.1.0\n");
        return KZ_EXIT_OK;
    }
    for (size_t i = 0; i < KZ_ARRAY_LEN(commands); i++)
        if (!strcmp(name, commands[i].name) && commands[i].run)
            return commands[i].run(&commands[i], argc - 2, argv + 2);
    fprintf(stderr, "kzpulse: unknown command \"%s\" (accepted: ", name);
    for (size_t i = 0; i < KZ_ARRAY_LEN(commands); i++)
        fprintf(stderr, "%s%s", i ? ", " : "", commands[i].name);
    fprintf(stderr, "; see kzpulse --help)\n");
    return KZ_EXIT_USAGE;
}
