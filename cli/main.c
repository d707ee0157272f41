/*
 * main.c -- the kzpulse command line: subcommand dispatch and top-level help.
 *
 * Each subcommand is a row in `commands`: its name, usage, help text, the
 * options it takes (rows of the one option table, pipeline/options.c), what
 * arguments it takes and its entry point.  main.c parses every command's line
 * the same way (opts.c) into a struct kz_config and the positional
 * arguments, so flags, the config file and error messages behave alike
 * everywhere, then calls the command with them and frees them after; this is
 * the only cli/ file that calls another.  Only this folder may call exit();
 * commands return exit codes.
 */
#include <stdlib.h>
#include <string.h>

#include "opts.h"

/* The options each command takes, in its --help order: rows of the option
 * table (pipeline/options.c), WORDED with the command's own help line where
 * the table's general one would not say what the flag does here. */
#define OPT(id)                                                                                    \
    {                                                                                              \
        OPT_##id, NULL                                                                             \
    }
#define WORDED(id, help)                                                                           \
    {                                                                                              \
        OPT_##id, help                                                                             \
    }
#define HIDDEN(id)                                                                                 \
    {                                                                                              \
        OPT_##id, KZ_HIDDEN                                                                        \
    }
#define END                                                                                        \
    {                                                                                              \
        0, NULL                                                                                    \
    }
#define INGEST_OPTS OPT(SCHEMA), OPT(MAX_TEXT), OPT(MAX_RECORD), OPT(MAX_FUTURE)
/* Every command that classifies uses the shipped lexicons (and models) unless
 * told otherwise (pipeline_data_default); those that can run without any take
 * --no-lexicons. */
#define LEXICONS_OPTS OPT(LEXICONS), OPT(NO_LEXICONS)

/* Only replay writes a dead-letter file: run sends dead letters to <topic>.dlq,
 * and query's archives are read for counting only. */
static const struct kz_cmd_opt replay_opts[] = {
    OPT(HELP),   OPT(CONFIG), INGEST_OPTS,     OPT(DEAD_LETTERS), LEXICONS_OPTS, OPT(MODEL),
    OPT(REPORT), OPT(JSON),   OPT(LIMIT),      OPT(FLUSH_POSTS),  OPT(TZ),       OPT(NAMES),
    OPT(ALERTS), OPT(RULES),  OPT(ALERTS_OUT), OPT(NO_SAMPLES),   OPT(JOBS),     HIDDEN(TOP),
    END,
};

static const struct kz_cmd_opt tokens_opts[] = {
    OPT(HELP),
    OPT(CONFIG),
    WORDED(MAX_TEXT, "bytes of each line analysed (default 64K)"),
    END,
};

static const struct kz_cmd_opt produce_opts[] = {
    OPT(HELP),
    OPT(CONFIG),
    OPT(BROKERS),
    WORDED(TOPIC, "topic to publish to (required)"),
    OPT(RATE),
    OPT(SPEED),
    WORDED(KAFKA_PROP, "librdkafka producer property (repeatable)"),
    WORDED(SCHEMA, "input schema, for keys and times: auto (default), ..."),
    END,
};

static const struct kz_cmd_opt run_opts[] = {
    OPT(HELP),
    OPT(CONFIG),
    OPT(BROKERS),
    OPT(TOPIC),
    OPT(GROUP),
    OPT(REDIS),
    OPT(REDIS_PASSWORD_FILE),
    OPT(FLUSH_MS),
    WORDED(FLUSH_POSTS, "... or every N posts, whichever first (default 20000)"),
    OPT(STATS_INTERVAL),
    OPT(UNTIL_EOF),
    OPT(STATS_JSON),
    OPT(LATENESS_MS),
    OPT(MINUTE_TTL),
    OPT(HOUR_TTL),
    OPT(METRICS_LISTEN),
    WORDED(TOKEN_FILE, "bearer token /metrics requires, from the first line of FILE "
                       "(else $KZPULSE_SERVE_TOKEN)"),
    OPT(KAFKA_PROP),
    INGEST_OPTS,
    LEXICONS_OPTS,
    OPT(MODEL),
    OPT(NO_SAMPLES),
    END,
};

static const struct kz_cmd_opt classify_opts[] = {
    OPT(HELP),     OPT(CONFIG),
    LEXICONS_OPTS, OPT(MODEL),
    INGEST_OPTS,   WORDED(DEAD_LETTERS, "dead-letter file, JSON lines (default - for stderr)"),
    OPT(JOBS),     END,
};

static const struct kz_cmd_opt eval_opts[] = {
    OPT(HELP),     OPT(CONFIG), OPT(GOLD),
    OPT(LEXICONS), OPT(MODEL),  WORDED(JSON, "print the figures as JSON"),
    END,
};

static const struct kz_cmd_opt train_opts[] = {
    OPT(HELP),
    OPT(CONFIG),
    OPT(GOLD),
    OPT(LABEL),
    OPT(OUT),
    OPT(LEXICONS),
    OPT(SEED),
    OPT(EPOCHS),
    OPT(L2),
    OPT(LEARN_RATE),
    HIDDEN(LEARN_RATE_OLD),
    OPT(HASH_BITS),
    OPT(CHAR_NGRAMS),
    OPT(TARGET_FEATURES),
    OPT(REFIT),
    WORDED(JSON, "print the training report as JSON"),
    END,
};

static const struct kz_cmd_opt lexicon_opts[] = {
    OPT(HELP),
    END,
};

static const struct kz_cmd_opt query_opts[] = {
    OPT(HELP),
    OPT(CONFIG),
    WORDED(REDIS, "query Redis (redis://HOST:PORT[/DB]) instead of archives"),
    OPT(REDIS_PASSWORD_FILE),
    OPT(FROM),
    OPT(TO),
    OPT(STEP),
    HIDDEN(GRAN), /* the older name of --step */
    OPT(TZ),
    OPT(LIMIT),
    WORDED(JSON, "print one JSON object instead of tab-separated rows"),
    WORDED(LEXICONS,
           "lexicons for replaying archives and the gazetteer's names (default: the shipped ones)"),
    OPT(NO_LEXICONS),
    OPT(NAMES),
    INGEST_OPTS,
    OPT(JOBS),
    END,
};

static const struct kz_cmd_opt alerts_opts[] = {
    OPT(HELP),
    OPT(CONFIG),
    WORDED(REDIS, "redis://HOST:PORT[/DB] holding the counters and the alert stream (required)"),
    OPT(REDIS_PASSWORD_FILE),
    WORDED(GROUP, "the run's consumer group whose watermark makes minutes final (required)"),
    OPT(RULES),
    OPT(ALERTS_OUT),
    OPT(ALERTS_INTERVAL),
    OPT(CHECK_RULES),
    OPT(DELIVER_ONLY),
    OPT(WEBHOOK),
    OPT(WEBHOOK_SECRET_FILE),
    OPT(ALERTMANAGER),
    OPT(DELIVER_FILE),
    OPT(DELIVER_TIMEOUT),
    OPT(DELIVER_LEASE),
    OPT(DELIVER_RETRY_MAX),
    OPT(ALERTMANAGER_RESEND),
    OPT(GENERATOR_URL),
    WORDED(METRICS_LISTEN, "serve Prometheus /metrics of the evaluator and the delivery on "
                           "ADDR:PORT (loopback unless a token is given)"),
    WORDED(TOKEN_FILE, "bearer token /metrics requires, from the first line of FILE "
                       "(else $KZPULSE_SERVE_TOKEN)"),
    END,
};

static const struct kz_cmd_opt serve_opts[] = {
    OPT(HELP),
    OPT(CONFIG),
    WORDED(REDIS, "serve Redis (redis://HOST:PORT[/DB]) instead of archives"),
    OPT(REDIS_PASSWORD_FILE),
    WORDED(GROUP, "consumer group whose watermark age /metrics reports (default kzpulse)"),
    OPT(LISTEN),
    OPT(TOKEN_FILE),
    OPT(CORS_ORIGIN),
    WORDED(LEXICONS,
           "lexicons for replaying archives and the gazetteer's names (default: the shipped ones)"),
    OPT(NO_LEXICONS),
    OPT(MODEL),
    INGEST_OPTS,
    WORDED(DEAD_LETTERS, "archives: write the records that cannot be decoded here, JSON lines "
                         "with their reasons (- for stderr; default: counted only)"),
    OPT(JOBS),
    END,
};

static const struct kz_cmd commands[] = {
    {"replay", "[options] FILE...",
     "Run archives through decode -> analyse -> aggregate into the in-process store and report.",
     "FILE is a JSON-lines archive (plain, gzip or zstd: detected by content), a Telegram\n"
     "Desktop export (result.json), or - for stdin.  Records that cannot be decoded go to the\n"
     "dead-letter file with their reason; everything else is counted.  The report gives totals,\n"
     "posts per hour, posts by platform, language, region and topic, top hashtags, distinct\n"
     "authors, dead letters by reason, and the calls to action found (the newest --limit of\n"
     "them: time, region, snippet, evidence).  --alerts evaluates the alert rules (--rules,\n"
     "default the shipped ones) minute by minute over the archives' event time and writes\n"
     "the alerts they would have fired, with the live engine's ids, to --alerts-out FILE\n"
     "(default stdout, before the report).",
     replay_opts, KZ_ARGS_ANY, kz_cmd_replay},
    {"query", "series|top|distinct|dims|posts ARG (--redis URL | FILE...) [options]",
     "Read a series, a top-k, a distinct count, dimension totals or sample posts from a store.",
     "The same queries run against Redis (--redis) or against archives replayed into the\n"
     "in-process store, with the same output either way:\n"
     "  series DIM      posts per bucket of a dimension (all, topic:protest, lang:kk, ...)\n"
     "  top KIND        top hashtags, terms or channels (KIND = hashtag, term, channel)\n"
     "  distinct DIM    distinct authors (DIM = all, topic:<t>, region:<r>), HyperLogLog\n"
     "Regions are ISO 3166-2:KZ codes (region:KZ-47, any case; region:unknown), towns city:<slug>\n"
     "(city:zhanaozen); --names kk|kk-latn|ru|en names them (default en).\n"
     "  dims PREFIX     totals of every dimension starting with PREFIX (platform:, topic:, ...)\n"
     "  posts DIM       the sample posts behind a count, newest first, at most --limit (0: all);\n"
     "                  DIM = topic:<t>, stance:<s>, mob:call, region:<r> (20 kept a minute)\n"
     "Windows are [--from, --to): TIME is RFC 3339 with an offset, epoch seconds, now, or a time\n"
     "ago (-30s, -15m, -2h, -7d, -1w; a bare -3600 is seconds ago).  Defaults: the last 24 hours\n"
     "up to now (Redis), the data's span (archives).  Every bucket that overlaps the window is\n"
     "shown, the current partial minute or hour included.  --step auto (default) takes minute\n"
     "up to 3 hours, hour up to 7 days, else day; days are local days of --tz (default\n"
     "Asia/Almaty, UTC+5 since 2024-03-01, from the system tzdata), and times print in that\n"
     "zone.  Hour and day steps need a whole-hour zone.  Posts without a usable time of their\n"
     "own (no ts; a Kafka timestamp does not count) are in no series: an \"undated\" row\n"
     "counts them.",
     query_opts, KZ_ARGS_ANY, kz_cmd_query},
    {"serve", "(--redis URL | FILE...) [--listen ADDR:PORT] [options]",
     "Serve the JSON API, live events and Prometheus metrics over Redis or archives.",
     "GET /api/v1/series, top, distinct, dims, posts answer what `kzpulse query --json` prints\n"
     "(parameters dim, kind, from, to, step, tz, names, limit); /api/v1/alerts lists the alert\n"
     "stream; /api/v1/stream sends server-sent events (minute totals, alerts; Last-Event-ID\n"
     "resumes); /api/v1/openapi.json describes it all; /metrics is for Prometheus.  Archives\n"
     "are replayed into memory first.  Listens on 127.0.0.1:8080 unless --listen says\n"
     "otherwise; any address but loopback needs a bearer token (--token-file FILE, or the\n"
     "environment variable KZPULSE_SERVE_TOKEN), which every request must then send as\n"
     "\"Authorization: Bearer TOKEN\".  SIGINT or SIGTERM stop it.",
     serve_opts, KZ_ARGS_ANY, kz_cmd_serve},
    {"tokens", "[options] [FILE|-]",
     "Print the tokens of each input line as JSON (surface, norm, stem, lang, kind, span).",
     "One JSON object per input line: the line's language and script, and its tokens.  Meant\n"
     "for people writing lexicons: it shows exactly what the patterns are matched against.",
     tokens_opts, KZ_ARGS_INPUT, kz_cmd_tokens},
    {"run", "--brokers HOST:PORT --topic T --group G --redis redis://HOST:PORT [options]",
     "Consume posts from Kafka, analyse them and keep rolling counters in Redis.",
     "Joins the consumer group, analyses each post, coalesces increments in memory and applies\n"
     "them to Redis every --flush-ms or --flush-posts, atomically with the partitions' offsets\n"
     "(effectively once: nothing lost, nothing counted twice across crashes and rebalances).\n"
     "Undecodable messages go to <topic>.dlq with their reason in headers.  SIGTERM or SIGINT\n"
     "flush, commit and exit 0.",
     run_opts, KZ_ARGS_ANY, kz_cmd_run},
    {"produce", "--brokers HOST:PORT --topic TOPIC [options] FILE...",
     "Publish archives to Kafka, one message per record, keyed by author.",
     "Every record is published as it is, malformed ones included (so a consumer's dead-letter\n"
     "path can be exercised); the key is the post's author, so one author's posts stay in\n"
     "order in one partition.  Full speed by default, --rate N posts/s, or --speed X to follow\n"
     "the posts' own timestamps X times faster.  Kafka settings pass through as -X key=value.\n"
     "Telegram Desktop exports are not published (replay them instead).",
     produce_opts, KZ_ARGS_ANY, kz_cmd_produce},
    {"classify", "[options] [FILE|-]",
     "Classify posts (JSON lines) or plain-text lines: one verdict JSON per line.",
     "Reads what replay reads (JSON lines, gzip, zstd, a Telegram export: one verdict per\n"
     "message); a line not starting with '{' is plain text.\n"
     "Each verdict gives language, topics, war stance, mobilization (score, call to action,\n"
     "when, where), region, hashtags, mentions, URLs, cashtags and the evidence: every lexicon\n"
     "match with its rule, category and byte span in the text.",
     classify_opts, KZ_ARGS_INPUT, kz_cmd_classify},
    {"eval", "--gold FILE.jsonl [options]",
     "Score classification against gold labels: P/R/F1, macro-F1, confusion, worst posts.",
     "Gold lines are {\"text\", \"lang\", \"topics\", \"stance\", \"mobilization\"} with any\n"
     "subset of the labels.  Stance is scored over 3 classes, topics per topic (multi-label),\n"
     "mobilization as a binary label; macro-F1 per task.",
     eval_opts, KZ_ARGS_ANY, kz_cmd_eval},
    {"train", "--gold FILE.jsonl --label stance|topics|mobilization --out MODEL [options]",
     "Train a learned model (logistic regression on hashed features) from gold posts.",
     "Features are token stems, stem bigrams, hashtags, mentions, emoji, URL hosts (character\n"
     "3-5-grams with --char-ngrams), lexicon category hits and verdict, and language,\n"
     "hashed into 2^N buckets.  A seeded 10% of the posts is held out: training stops when its\n"
     "loss stops improving, and the weight of the model against the lexicons is chosen on it.\n"
     "Prints held-out figures (lexicons alone, model alone, blended).  Use the model with\n"
     "--model in classify, eval, replay and run.",
     train_opts, KZ_ARGS_ANY, kz_cmd_train},
    {"lexicon", "lint DIR",
     "Check lexicon TSV files: fields, categories, weights, languages, duplicates.",
     "Reports every error as FILE:LINE: message.  Exit 0 when clean, 2 otherwise.", lexicon_opts,
     KZ_ARGS_ANY, kz_cmd_lexicon},
    {"alerts",
     "--redis URL --group GROUP [--rules FILE] [RECEIVER...] | --deliver-only --redis URL "
     "RECEIVER... | --check-rules FILE",
     "Evaluate alert rules over the Redis counters, live, and deliver the alerts.",
     "Rules are a TOML subset, one [rule.NAME] table per rule (README.md, \"For people who\n"
     "wire alerts\"; the shipped defaults are alerts/default.rules).  With --redis and\n"
     "--group it runs until SIGTERM/SIGINT: each minute final once the group's watermark\n"
     "passed it, early every --interval-ms; each event claimed and added once to the stream\n"
     "kzp:v2:alerts, whichever evaluator sees it first; the records this process published\n"
     "as JSON lines on stdout (or --alerts-out FILE).  Redis away: retried, never an exit.\n"
     "Receivers get every entry of the stream, in order, at least once, with a cursor per\n"
     "receiver in Redis: --webhook NAME=URL (signed; the secret from --webhook-secret-file\n"
     "or $KZPULSE_WEBHOOK_SECRET), --alertmanager [NAME=]URL, --deliver-file [NAME=]FILE;\n"
     "--deliver-only delivers without evaluating.\n"
     "--check-rules prints FILE: OK and the rules, or every error as FILE:LINE:COL: message\n"
     "and exits 2.",
     alerts_opts, KZ_ARGS_ANY, kz_cmd_alerts},
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

/* Parse the command's options into a config, run it, release both. */
static int run_command(const struct kz_cmd *cmd, int argc, char **argv)
{
    struct kz_config cfg;
    char **args = NULL;
    int nargs = 0;

    kz_config_init(&cfg);
    int status = kz_parse_args(cmd, argc, argv, &cfg, &args, &nargs);
    if (status == 0)
        status = cmd->run(&cfg, args, nargs);
    else if (status < 0) /* --help */
        status = KZ_EXIT_OK;
    free(args);
    kz_config_free(&cfg);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return KZ_EXIT_USAGE;
    }
    const char *name = argv[1];
    char *help_flag[] = {(char *)"--help", NULL};
    bool help = !strcmp(name, "help") && argc > 2; /* kzpulse help COMMAND = COMMAND --help */
    if (help)
        name = argv[2];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        usage(stdout);
        return KZ_EXIT_OK;
    }
    if (!strcmp(name, "--version")) {
        printf("kzpulse 0.1.0\n");
        return KZ_EXIT_OK;
    }
    for (size_t i = 0; i < KZ_ARRAY_LEN(commands); i++)
        if (!strcmp(name, commands[i].name))
            return help ? run_command(&commands[i], 1, help_flag)
                        : run_command(&commands[i], argc - 2, argv + 2);
    fprintf(stderr, "kzpulse: unknown command \"%s\" (accepted: ", name);
    for (size_t i = 0; i < KZ_ARRAY_LEN(commands); i++)
        fprintf(stderr, "%s%s", i ? ", " : "", commands[i].name);
    fprintf(stderr, "; see kzpulse --help)\n");
    return KZ_EXIT_USAGE;
}
