/*
 * cli.h -- what the kzpulse command-line files share: exit codes, option
 * parsing and the commands' entry points.  Private to cli/; the pipeline,
 * its configuration and its loaders are the pipeline/ module's.
 */
#ifndef KZ_CLI_H
#define KZ_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "aggregate.h"
#include "ingest.h"
#include "kz.h"
#include "nlp.h"
#include "pipeline.h"

/* Exit codes of every command. */
enum { KZ_EXIT_OK = 0, KZ_EXIT_FAIL = 1, KZ_EXIT_USAGE = 2 };

/* ---------------------------------------------------------------------------
 * Option parsing shared by all subcommands
 * ------------------------------------------------------------------------ */

/* One option of a command: a row of kz_options[] (pipeline.h), and the
 * command's own wording of its help line when the table's does not fit
 * (NULL: the table's).  A command's list ends with {0}. */
struct kz_cmd_opt {
    enum kz_opt_id id;
    const char *help;
};

struct kz_cmd {
    const char *name;
    const char *usage;    /* after "kzpulse <name> " */
    const char *summary;  /* one line */
    const char *details;  /* paragraph printed by --help, may be NULL */
    const struct kz_cmd_opt *opts; /* in --help order */
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
 * Report
 * ------------------------------------------------------------------------ */

struct kz_report_input {
    struct agg_store *store;
    const struct ingest_stats *ingest;
    const struct pipeline_stats *run;
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
int kz_cmd_tokens(const struct kz_cmd *cmd, int argc, char **argv);
int kz_cmd_produce(const struct kz_cmd *cmd, int argc, char **argv);
int kz_cmd_run(const struct kz_cmd *cmd, int argc, char **argv);
int kz_cmd_classify(const struct kz_cmd *cmd, int argc, char **argv);
int kz_cmd_eval(const struct kz_cmd *cmd, int argc, char **argv);
int kz_cmd_lexicon(const struct kz_cmd *cmd, int argc, char **argv);
int kz_cmd_train(const struct kz_cmd *cmd, int argc, char **argv);

#endif /* KZ_CLI_H */
