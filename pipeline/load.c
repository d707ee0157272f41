/*
 * load.c -- the one loader of lexicons and models for every command.
 *
 * Lexicons are a directory of TSV files compiled together, in name order, into
 * one automaton (nlp_lexicon_compile); a missing directory or an unreadable
 * file is an error naming the path.  Models are the --model files, at most one
 * per label kind (stance, topics, mobilization), each checked by the model
 * loader (nlp_model_load: magic, version, checksum).  Both are read whole into
 * memory first: they are small, and the compilers want the bytes in one piece.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
        snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, names[i]);
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

    snprintf(path, sizeof(path), "%s/gazetteer.tsv", dir);
    if ((rc = read_file(path, &data, &len))) {
        snprintf(err, errlen, "%s: %s", path, read_error(rc));
        return rc;
    }
    rc = nlp_gazetteer_parse(path, data, len, out, err, errlen);
    free(data);
    return rc;
}

int pipeline_lexicons_default(struct kz_config *cfg, char *err, size_t errlen)
{
    struct stat st;

    if (cfg->lexicons)
        return 0;
    if (stat("lexicons", &st) == 0 && S_ISDIR(st.st_mode)) {
        cfg->lexicons = strdup("lexicons");
        return cfg->lexicons ? 0 : KZ_ENOMEM;
    }
    snprintf(err, errlen, "no lexicons: pass --lexicons DIR (./lexicons does not exist)");
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
