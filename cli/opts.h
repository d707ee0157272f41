/*
 * opts.h -- the command table's row and the option parser, for main.c and
 * opts.c only: commands get their settings already parsed (cli.h).
 */
#ifndef KZ_CLI_OPTS_H
#define KZ_CLI_OPTS_H

#include <stdio.h>

#include "cli.h"

/* One option of a command: a row of kz_options[] (pipeline.h), and the
 * command's own wording of its help line when the table's does not fit
 * (NULL: the table's).  A command's list ends with {0, NULL}. */
struct kz_cmd_opt {
    enum kz_opt_id id;
    const char *help; /* NULL: the table's; kz_opt_hidden: not listed in --help */
};

extern const char kz_opt_hidden[];

/* What a command takes besides options. */
enum kz_cmd_args {
    KZ_ARGS_ANY,   /* the command checks them */
    KZ_ARGS_INPUT, /* at most one FILE; "-" (stdin) when none */
};

struct kz_cmd {
    const char *name;
    const char *usage;             /* after "kzpulse <name> " */
    const char *summary;           /* one line */
    const char *details;           /* paragraph printed by --help, may be NULL */
    const struct kz_cmd_opt *opts; /* in --help order */
    enum kz_cmd_args args;
    int (*run)(struct kz_config *cfg, char **args, int nargs);
};

/*
 * Parse argv (after the subcommand name) into cfg: config file first, then
 * flags.  Non-option arguments are collected into *args (caller frees the
 * array, not the strings; room for at least one more than given).  Returns
 * 0, or KZ_EXIT_USAGE (KZ_EXIT_FAIL when out of memory) after printing a
 * one-line error, or -1 when --help was printed (caller exits 0).
 */
int kz_parse_args(const struct kz_cmd *cmd, int argc, char **argv, struct kz_config *cfg,
                  char ***args, int *nargs);
void kz_print_help(const struct kz_cmd *cmd, FILE *f);

#endif /* KZ_CLI_OPTS_H */
