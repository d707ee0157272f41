/*
 * load.c -- the one loader of lexicons and models for every command.
 *
 * Lexicons are a directory of TSV files compiled together, in name order, into
 * one automaton (nlp_lexicon_compile); a missing directory or an unreadable
 * file is an error naming the path.  Models are the --model files, at most one
 * per label kind (stance, topics, mobilization), each checked by the model
 * loader (nlp_model_load: magic, version, checksum).  Both are read whole into
 * memory first: they are small, and the compilers want the bytes in one piece.
 * Without --lexicons, the shipped data directory is found here too
 * (pipeline_data_default; the search order is in its section below).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline.h"

#define MAX_LEXICON_FILES 256

/* Read a whole file.  Returns 0, KZ_EIO (errno says why) or KZ_ENOMEM. */
static int read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return KZ_EIO;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : KZ_ENOMEM;
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            rc = KZ_ENOMEM;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    if (!rc && ferror(f))
        rc = KZ_EIO;
    int saved = errno;
    fclose(f);
    errno = saved;
    if (rc) {
        free(buf);
        return rc;
    }
    *data = buf;
    *len = n;
    return 0;
}

static const char *read_error(int rc)
{
    return rc == KZ_EIO ? strerror(errno) : kz_strerror(rc);
}

/* ---------------------------------------------------------------------------
 * Lexicons
 * ------------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of dir's *.tsv files, sorted; caller frees each and the count. */
static int list_tsv(const char *dir, char *names[MAX_LEXICON_FILES], size_t *n, char *err,
                    size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return KZ_EIO;
    }
    struct dirent *e;
    int rc = 0;
    *n = 0;
    while (!rc && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l <= 4 || strcmp(e->d_name + l - 4, ".tsv"))
            continue;
        if (*n == MAX_LEXICON_FILES) {
            snprintf(err, errlen, "%s: more than %d .tsv files", dir, MAX_LEXICON_FILES);
            rc = KZ_EINVAL;
        } else if (!(names[*n] = strdup(e->d_name))) {
            rc = KZ_ENOMEM;
        } else {
            (*n)++;
        }
    }
    closedir(d);
    if (rc) {
        for (size_t i = 0; i < *n; i++)
            free(names[i]);
        *n = 0;
        return rc;
    }
    qsort(names, *n, sizeof(char *), cmp_str);
    return 0;
}

int pipeline_lexicons_load(const char *dir, struct nlp_lexicon **out, char *err, size_t errlen)
{
    char *names[MAX_LEXICON_FILES];
    size_t n;
    int rc = list_tsv(dir, names, &n, err, errlen);
    if (rc)
        return rc;

    struct nlp_lexicon_file files[MAX_LEXICON_FILES];
    char paths[MAX_LEXICON_FILES][512];
    size_t loaded = 0;
    for (size_t i = 0; i < n; i++) {
        if ((size_t)snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, names[i]) >=
            sizeof(paths[i])) {
            snprintf(err, errlen, "%s/%s: path longer than %zu bytes", dir, names[i],
                     sizeof(paths[i]) - 1);
            rc = KZ_EINVAL;
            break;
        }
        char *data;
        size_t len;
        if ((rc = read_file(paths[i], &data, &len))) {
            snprintf(err, errlen, "%s: %s", paths[i], read_error(rc));
            break;
        }
        files[loaded].name = paths[i];
        files[loaded].data = data;
        files[loaded].len = len;
        loaded++;
    }
    if (!rc)
        rc = nlp_lexicon_compile(files, loaded, out, err, errlen);
    for (size_t i = 0; i < loaded; i++)
        free((char *)files[i].data);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    return rc;
}

int pipeline_gazetteer_load(const char *dir, struct nlp_gazetteer **out, char *err, size_t errlen)
{
    char path[512], *data;
    size_t len;
    int rc;

    if ((size_t)snprintf(path, sizeof(path), "%s/gazetteer.tsv", dir) >= sizeof(path)) {
        snprintf(err, errlen, "%s/gazetteer.tsv: path longer than %zu bytes", dir,
                 sizeof(path) - 1);
        return KZ_EINVAL;
    }
    if ((rc = read_file(path, &data, &len))) {
        snprintf(err, errlen, "%s: %s", path, read_error(rc));
        return rc;
    }
    rc = nlp_gazetteer_parse(path, data, len, out, err, errlen);
    free(data);
    return rc;
}

/* ---------------------------------------------------------------------------
 * The shipped data directory
 *
 * A data directory holds lexicons/ (the *.tsv files) and, optionally,
 * models/ (*.kzpm files from kzpulse train, at most one per label kind).
 * Without --lexicons the commands look for one, in this order, and take the
 * first that has a lexicons/ folder:
 *   1. $KZPULSE_DATA, when set (then only it: a wrong setting is an error);
 *   2. next to the binary: <bindir>/lexicons, then <bindir>/../share/kzpulse
 *      (a relocated install);
 *   3. the source tree, when the binary runs from its build tree (a fresh
 *      build works with no flags: build/cli/kzpulse replay samples/...);
 *   4. the install's data dir, <prefix>/<datadir>/kzpulse (meson install
 *      puts lexicons/ there).
 * None found is an error that names every path tried.
 * ------------------------------------------------------------------------ */

#ifndef KZ_DATADIR
#define KZ_DATADIR "/usr/local/share/kzpulse"
#endif

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory of the running binary, or "" when unknown. */
static void exe_dir(char *out, size_t outlen)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    out[0] = 0;
    if (n <= 0)
        return;
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    if (!slash)
        return;
    *slash = 0;
    snprintf(out, outlen, "%s", buf[0] ? buf : "/");
}

/* Does path lie inside dir (both absolute, dir without a trailing slash)? */
static bool path_inside(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return n && !strncmp(path, dir, n) && (path[n] == '/' || path[n] == 0);
}

/* The data directories to try, in order; returns 1 when KZPULSE_DATA is set
 * (then it is the only one). */
static int data_candidates(char paths[][PATH_MAX], size_t max, size_t *n)
{
    const char *env = getenv("KZPULSE_DATA");
    char bin[PATH_MAX];

    *n = 0;
    if (env && *env) {
        if (max)
            snprintf(paths[(*n)++], PATH_MAX, "%s", env);
        return 1; /* only it */
    }
    exe_dir(bin, sizeof(bin));
    if (bin[0] && *n < max)
        snprintf(paths[(*n)++], PATH_MAX, "%s", bin);
    if (bin[0] && *n < max)
        snprintf(paths[(*n)++], PATH_MAX, "%s/../share/kzpulse", bin);
#if defined(KZ_BUILD_ROOT) && defined(KZ_SOURCE_ROOT)
    char real_build[PATH_MAX];
    if (bin[0] && realpath(KZ_BUILD_ROOT, real_build) && path_inside(bin, real_build) && *n < max)
        snprintf(paths[(*n)++], PATH_MAX, "%s", KZ_SOURCE_ROOT);
#endif
    if (*n < max)
        snprintf(paths[(*n)++], PATH_MAX, "%s", KZ_DATADIR);
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && !strcmp(s + n - m, suffix);
}

/* Add the *.kzpm files of dir's models folder, in name order, as --model files. */
static int add_default_models(struct kz_config *cfg, const char *dir, char *err, size_t errlen)
{
    char mdir[PATH_MAX + 8];
    if (snprintf(mdir, sizeof(mdir), "%s/models", dir) >= (int)sizeof(mdir))
        return 0;
    DIR *d = opendir(mdir);
    if (!d)
        return 0; /* the release ships lexicons only */
    char *names[KZ_MAX_MODELS + 1];
    size_t n = 0;
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d))) {
        if (!ends_with(e->d_name, ".kzpm"))
            continue;
        if (n == KZ_MAX_MODELS) {
            snprintf(err, errlen, "%s: more than %d models (at most one per label kind)", mdir,
                     KZ_MAX_MODELS);
            rc = KZ_EINVAL;
        } else if (!(names[n] = strdup(e->d_name))) {
            rc = KZ_ENOMEM;
        } else {
            n++;
        }
    }
    closedir(d);
    qsort(names, n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[2 * PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", mdir, names[i]);
        if (!rc && !(cfg->models[cfg->nmodels] = strdup(path)))
            rc = KZ_ENOMEM;
        else if (!rc)
            cfg->nmodels++;
        free(names[i]);
    }
    return rc;
}

int pipeline_data_default(struct kz_config *cfg, char *err, size_t errlen)
{
    char paths[8][PATH_MAX];
    size_t n;

    if (cfg->no_lexicons) {
        free(cfg->lexicons);
        cfg->lexicons = NULL;
        return 0;
    }
    if (cfg->lexicons)
        return 0;
    bool only_env = data_candidates(paths, 8, &n);
    for (size_t i = 0; i < n; i++) {
        char lex[PATH_MAX + 16];
        if (snprintf(lex, sizeof(lex), "%s/lexicons", paths[i]) >= (int)sizeof(lex) || !is_dir(lex))
            continue;
        if (!(cfg->lexicons = strdup(lex)))
            return KZ_ENOMEM;
        return cfg->nmodels ? 0 : add_default_models(cfg, paths[i], err, errlen);
    }
    size_t used = (size_t)snprintf(err, errlen, "%s", only_env ? "KZPULSE_DATA: " : "");
    used += (size_t)snprintf(err + (used < errlen ? used : errlen),
                             used < errlen ? errlen - used : 0, "no lexicons found (tried");
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(err + (used < errlen ? used : errlen),
                                 used < errlen ? errlen - used : 0, "%s %s/lexicons", i ? "," : "",
                                 paths[i]);
    snprintf(err + (used < errlen ? used : errlen), used < errlen ? errlen - used : 0,
             "); pass --lexicons DIR, set KZPULSE_DATA, or --no-lexicons");
    return KZ_ENOTFOUND;
}

/* ---------------------------------------------------------------------------
 * Models
 * ------------------------------------------------------------------------ */

void pipeline_models_free(struct nlp_model *models[KZ_MAX_MODELS], size_t nmodels)
{
    for (size_t i = 0; i < nmodels; i++) {
        nlp_model_free(models[i]);
        models[i] = NULL;
    }
}

int pipeline_models_load(const struct kz_config *cfg, struct nlp_model *models[KZ_MAX_MODELS],
                         size_t *nmodels, char *err, size_t errlen)
{
    char merr[256];
    int rc = 0;

    *nmodels = 0;
    for (int i = 0; i < cfg->nmodels && !rc; i++) {
        char *data = NULL;
        size_t len = 0;
        struct nlp_model *m = NULL;

        if ((rc = read_file(cfg->models[i], &data, &len))) {
            snprintf(err, errlen, "%s: %s", cfg->models[i], read_error(rc));
            break;
        }
        rc = nlp_model_load(data, len, &m, merr, sizeof(merr));
        free(data);
        if (rc) {
            snprintf(err, errlen, "%s: %s", cfg->models[i], merr);
            break;
        }
        for (size_t k = 0; k < *nmodels; k++)
            if (nlp_model_get_kind(models[k]) == nlp_model_get_kind(m)) {
                snprintf(err, errlen, "%s: a second %s model (give one per label kind)",
                         cfg->models[i], nlp_model_kind_name(nlp_model_get_kind(m)));
                rc = KZ_EINVAL;
            }
        if (rc) {
            nlp_model_free(m);
            break;
        }
        models[(*nmodels)++] = m;
    }
    if (rc) {
        pipeline_models_free(models, *nmodels);
        *nmodels = 0;
    }
    return rc;
}
