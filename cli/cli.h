/*
 * cli.h -- what the kzpulse commands share: exit codes and the commands'
 * entry points.  Private to cli/.
 *
 * main.c parses the command line (opts.c) into a struct kz_config and the
 * positional arguments, then calls the command; a command reads its settings
 * from cfg (which it may adjust, e.g. a default lexicon directory; main.c
 * frees it), and calls only pipeline/ and the modules, never another cli/
 * file.  The pipeline, its configuration and its loaders are the pipeline/
 * module's.
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

/*
 * Commands: cfg holds the defaults, the config file and the flags; args are
 * the positional arguments (borrowed from argv, valid for the call).  Each
 * returns an exit code.  classify and tokens get exactly one argument, the
 * input FILE, "-" for stdin when none was given.
 */
int kz_cmd_replay(struct kz_config *cfg, char **args, int nargs);
int kz_cmd_query(struct kz_config *cfg, char **args, int nargs);
int kz_cmd_tokens(struct kz_config *cfg, char **args, int nargs);
int kz_cmd_produce(struct kz_config *cfg, char **args, int nargs);
int kz_cmd_run(struct kz_config *cfg, char **args, int nargs);
int kz_cmd_classify(struct kz_config *cfg, char **args, int nargs);
int kz_cmd_eval(struct kz_config *cfg, char **args, int nargs);
int kz_cmd_lexicon(struct kz_config *cfg, char **args, int nargs);
int kz_cmd_train(struct kz_config *cfg, char **args, int nargs);
int kz_cmd_alerts(struct kz_config *cfg, char **args, int nargs);
int kz_cmd_serve(struct kz_config *cfg, char **args, int nargs);

#endif /* KZ_CLI_H */
