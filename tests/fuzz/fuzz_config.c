/*
 * fuzz_config.c -- libFuzzer target for the JSON config-file loader
 * (kz_config_load) and the option setters behind it (kz_config_set).
 *
 * The loader reads a path, so each input is written to one temporary file
 * (rewritten per input, removed at exit) and loaded over a fresh config.
 * Then the same bytes, up to the first NUL, go as a value through the
 * setter of the option the first byte picks (every row of kz_options[],
 * the flag-only ones too), over the config the load left, succeeded or not.
 * Invariants besides the sanitizers: a load or a set returns 0 or -1, and
 * -1 always with a non-empty message; the counted arrays stay within their
 * bounds; kz_config_free() releases everything (LeakSanitizer runs after
 * every input) and leaves the struct zeroed.
 *   CC=clang meson setup build-fuzz -Dfuzz=true && ninja -C build-fuzz tests/fuzz/fuzz_config
 *   build-fuzz/tests/fuzz/fuzz_config -max_total_time=600 -dict=tests/fuzz/json.dict \
 *       /tmp/fz-config tests/fuzz/corpus_config
 * Dictionary: json.dict (tests/fuzz/run.sh passes it with -dict=).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_path[256]; /* the process's temporary file */

static void remove_tmp(void)
{
    if (g_path[0])
        unlink(g_path);
}

static const char *tmp_path(void)
{
    if (!g_path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(g_path, sizeof(g_path), "%s/kz-fuzz-config-%ld.json", dir && *dir ? dir : "/tmp",
                 (long)getpid());
        atexit(remove_tmp);
    }
    return g_path;
}

static void check(const struct kz_config *c, int rc, const char *err)
{
    if (rc != 0 && rc != -1)
        abort();
    if (rc && !err[0])
        abort(); /* a failure says why */
    if (c->ntopics < 0 || c->ntopics > KZ_MAX_TOPICS || c->nmodels < 0 ||
        c->nmodels > KZ_MAX_MODELS || c->nkafka_props < 0 || c->nkafka_props > KZ_MAX_KAFKA_PROPS)
        abort();
    for (int i = 0; i < c->nkafka_props; i++)
        if (!c->kafka_props[i].key || !c->kafka_props[i].value)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct kz_config zero;
    const char *path = tmp_path();
    struct kz_config c;
    char err[1024], *v;
    FILE *f;
    int rc;

    if (size > 1 << 16)
        return 0;
    f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    if (fclose(f))
        abort();

    kz_config_init(&c);
    err[0] = '\0';
    rc = kz_config_load(&c, path, err, sizeof(err));
    check(&c, rc, err);

    /* The input as one option's value; the first byte picks the option. */
    v = malloc(size ? size : 1);
    if (!v)
        abort();
    if (size > 1)
        memcpy(v, data + 1, size - 1);
    v[size ? size - 1 : 0] = '\0';
    err[0] = '\0';
    rc = kz_config_set(&c, (enum kz_opt_id)(size ? data[0] % KZ_OPT_COUNT : 0), "fuzz", v, err,
                       sizeof(err));
    check(&c, rc, err);
    free(v);

    kz_config_free(&c);
    if (memcmp(&c, &zero, sizeof(c)) != 0)
        abort();
    return 0;
}
