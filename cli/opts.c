/*
 * opts.c -- command-line flags of every command, over struct kz_config.
 *
 * A command's flags are the rows of the option table (pipeline/options.c)
 * its list in main.c names; names are looked up in that list only, so two
 * commands may give one letter to different settings (-g).  --help prints the
 * list in its order, from the rows.  Precedence is fixed: built-in defaults,
 * then the file named by --config (read before any other flag, wherever it
 * appears on the line), then flags in the order given; each value goes
 * through kz_config_set, the row's setter, which the config file uses too, so
 * a flag and a key accept the same values and fail with the same message.  An
 * unknown flag or a bad value is a one-line error naming the flag and what it
 * accepts, and the command exits 2.  A command that reads one input (classify,
 * tokens) gets exactly one argument: the FILE given, or "-" for stdin.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

void kz_print_help(const struct kz_cmd *cmd, FILE *f)
{
    fprintf(f, "usage: kzpulse %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
    if (cmd->details)
        fprintf(f, "\n%s\n", cmd->details);
    fprintf(f, "\noptions:\n");
    for (const struct kz_cmd_opt *co = cmd->opts; co->id; co++) {
        const struct kz_option *o = &kz_options[co->id];
        char left[64];
        if (co->help && !co->help[0]) /* KZ_HIDDEN */
            continue;
        if (o->shortname)
            snprintf(left, sizeof(left), "-%c, --%s%s%s", o->shortname, o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        else
            snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        fprintf(f, "  %-28s %s\n", left, co->help ? co->help : o->help);
    }
    fprintf(f, "\nexit codes: 0 ok, 1 runtime failure, 2 bad usage or unreadable input\n");
}

/* The command's option of that long name, or NULL. */
static const struct kz_cmd_opt *find_long(const struct kz_cmd *cmd, const char *name, size_t n)
{
    for (const struct kz_cmd_opt *co = cmd->opts; co->id; co++) {
        const char *o = kz_options[co->id].name;
        if (strlen(o) == n && !memcmp(o, name, n))
            return co;
    }
    return NULL;
}

static const struct kz_cmd_opt *find_short(const struct kz_cmd *cmd, char c)
{
    for (const struct kz_cmd_opt *co = cmd->opts; co->id; co++)
        if (kz_options[co->id].shortname == c)
            return co;
    return NULL;
}

#ifndef NDEBUG
/* A command's flags must be unambiguous: no long or short name twice (the
 * table reuses -g, and "rate" has two rows, for commands that never share).
 * cli_usage.sh parses --help of every command, which checks this. */
static bool opts_unambiguous(const struct kz_cmd *cmd)
{
    for (const struct kz_cmd_opt *a = cmd->opts; a->id; a++)
        for (const struct kz_cmd_opt *b = a + 1; b->id; b++)
            if (!strcmp(kz_options[a->id].name, kz_options[b->id].name) ||
                (kz_options[a->id].shortname &&
                 kz_options[a->id].shortname == kz_options[b->id].shortname))
                return false;
    return true;
}
#endif

static int usage_error(const struct kz_cmd *cmd, const char *msg)
{
    fprintf(stderr, "kzpulse %s: %s (see kzpulse %s --help)\n", cmd->name, msg, cmd->name);
    return KZ_EXIT_USAGE;
}

/* Resolve argv[*i] to an option and its value; advances *i past a separate value. */
static int next_opt(const struct kz_cmd *cmd, int argc, char **argv, int *i,
                    const struct kz_option **opt, const char **val, char *err, size_t errlen)
{
    const char *a = argv[*i];
    const struct kz_cmd_opt *co;
    const struct kz_option *o;
    const char *inline_val = NULL;

    if (a[1] == '-') {
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        co = find_long(cmd, name, n);
        if (!co) {
            snprintf(err, errlen, "unknown flag --%.*s", (int)n, name);
            return -1;
        }
        if (eq)
            inline_val = eq + 1;
    } else {
        co = find_short(cmd, a[1]);
        if (!co) {
            snprintf(err, errlen, "unknown flag -%c", a[1]);
            return -1;
        }
        if (a[2])
            inline_val = a + 2;
    }
    o = &kz_options[co->id];
    if (!o->arg) {
        if (inline_val) {
            snprintf(err, errlen, "--%s takes no value", o->name);
            return -1;
        }
        *val = NULL;
    } else if (inline_val) {
        *val = inline_val;
    } else {
        if (*i + 1 >= argc) {
            snprintf(err, errlen, "--%s needs a value (%s)", o->name, o->arg);
            return -1;
        }
        *val = argv[++*i];
    }
    *opt = o;
    return 0;
}

int kz_parse_args(const struct kz_cmd *cmd, int argc, char **argv, struct kz_config *cfg,
                  char ***args, int *nargs)
{
    char err[1536];
    const struct kz_option *o;
    const char *v;

    assert(opts_unambiguous(cmd));

    *args = calloc((size_t)argc + 1, sizeof(char *));
    *nargs = 0;
    if (!*args) {
        fprintf(stderr, "kzpulse %s: out of memory\n", cmd->name);
        return KZ_EXIT_FAIL;
    }

    /* Pass 1: --help and --config, so the file is applied before any flag. */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--"))
            break;
        if (a[0] != '-' || !a[1])
            continue;
        if (next_opt(cmd, argc, argv, &i, &o, &v, err, sizeof(err)))
            return usage_error(cmd, err);
        if (o == &kz_options[OPT_HELP]) {
            kz_print_help(cmd, stdout);
            return -1;
        }
        if (o == &kz_options[OPT_CONFIG] && kz_config_load(cfg, v, err, sizeof(err))) {
            fprintf(stderr, "kzpulse %s: --config: %s\n", cmd->name, err);
            return KZ_EXIT_USAGE;
        }
    }

    /* Pass 2: every other flag, in order; positional arguments collected.
     * The first value of a list on the command line replaces the file's. */
    int only_args = 0;
    bool listed[3] = {false, false, false}; /* topics, models, receivers */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (only_args || a[0] != '-' || !a[1]) {
            (*args)[(*nargs)++] = argv[i];
            continue;
        }
        if (!strcmp(a, "--")) {
            only_args = 1;
            continue;
        }
        if (next_opt(cmd, argc, argv, &i, &o, &v, err, sizeof(err)))
            return usage_error(cmd, err);
        if (!o->set) /* --help, --config: done in pass 1 */
            continue;
        if (o->list) {
            int g = o == &kz_options[OPT_TOPIC] ? 0 : o == &kz_options[OPT_MODEL] ? 1 : 2;
            if (!listed[g])
                kz_config_clear_list(cfg, (enum kz_opt_id)(o - kz_options));
            listed[g] = true;
        }
        char what[80];
        snprintf(what, sizeof(what), "--%s", o->name);
        if (kz_config_set(cfg, (enum kz_opt_id)(o - kz_options), what, v, err, sizeof(err)))
            return usage_error(cmd, err);
    }
    if (cmd->args == KZ_ARGS_INPUT) {
        if (*nargs > 1) {
            fprintf(stderr,
                    "kzpulse %s: expected at most one FILE, got %d (see kzpulse %s --help)\n",
                    cmd->name, *nargs, cmd->name);
            return KZ_EXIT_USAGE;
        }
        if (*nargs == 0)
            (*args)[(*nargs)++] = (char *)"-";
    }
    return 0;
}
