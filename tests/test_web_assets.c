/*
 * test_web_assets.c -- the dashboard's embedded files (web/web.h).
 *
 * Every file is found by its own URL path, with the bytes of the file in web/
 * (read here from the source tree, so the generator is checked against the
 * files it was given), its content type and an ETag of the right form; the
 * table is sorted and free of duplicates, which the binary search needs.
 * Paths that are not in the table -- traversals and their encodings, absolute
 * file names, near misses -- are NULL: the lookup never touches the
 * filesystem, so there is nothing for them to reach.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "web.h"

/* The contents of web/<name> in the source tree (malloc'd), or NULL. */
static unsigned char *read_source(const char *name, size_t *n)
{
    const char *root = getenv("KZ_SOURCE_ROOT");
    char path[4096];
    snprintf(path, sizeof(path), "%s/web/%s", root ? root : "..", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)len + 1);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *n = buf ? (size_t)len : 0;
    return buf;
}

static void check_file(const char *path, const char *file, const char *type)
{
    const struct web_asset *a = web_asset_find(path);
    size_t n;
    unsigned char *want = read_source(file, &n);
    CHECK(want != NULL);
    CHECK(a != NULL);
    if (a && want) {
        CHECK_EQ_STR(a->path, path);
        CHECK_EQ_STR(a->content_type, type);
        CHECK_EQ_INT(a->length, n);
        CHECK(a->length > 0 && memcmp(a->bytes, want, n) == 0);
    }
    free(want);
}

static void test_known_paths(void)
{
    check_file("/", "index.html", "text/html; charset=utf-8");
    check_file("/index.html", "index.html", "text/html; charset=utf-8");
    check_file("/assets/app.js", "app.js", "text/javascript; charset=utf-8");
    check_file("/assets/style.css", "style.css", "text/css; charset=utf-8");
    check_file("/assets/vendor/uplot/uPlot.iife.min.js", "vendor/uplot/uPlot.iife.min.js",
               "text/javascript; charset=utf-8");
    check_file("/assets/vendor/uplot/uPlot.min.css", "vendor/uplot/uPlot.min.css",
               "text/css; charset=utf-8");
    check_file("/assets/vendor/uplot/LICENSE", "vendor/uplot/LICENSE", "text/plain; charset=utf-8");
}

static void test_unknown_paths(void)
{
    const char *bad[] = {
        "",
        "../",
        "/../",
        "/..",
        "/../web/index.html",
        "/assets/../index.html",
        "/assets/../../README.md",
        "/etc/passwd",
        "/%2e%2e/etc/passwd",
        "/%2e%2e%2findex.html",
        "%2e%2e",
        "/assets/%2e%2e/app.js",
        "/assets/..%2fapp.js",
        "/assets",
        "/assets/",
        "/assets/vendor",
        "/assets/vendor/uplot/",
        "//",
        "/ASSETS/app.js",
        "/assets/app.js/",
        "/assets/app.js?v=1",
        "/assets/app.js\n",
        "assets/app.js",
        "/app.js",
        "/web/app.js",
        "/embed.py",
        "/assets/embed.py",
        "/meson.build",
        "/assets/web.h",
        "\\assets\\app.js",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const struct web_asset *a = web_asset_find(bad[i]);
        if (a)
            fprintf(stderr, "found, want NULL: \"%s\"\n", bad[i]);
        CHECK(a == NULL);
    }
    CHECK(web_asset_find(NULL) == NULL);
}

static int is_etag(const char *e)
{
    size_t n = strlen(e);
    if (n != 18 || e[0] != '"' || e[17] != '"')
        return 0;
    for (size_t i = 1; i < 17; i++)
        if (!isxdigit((unsigned char)e[i]) || isupper((unsigned char)e[i]))
            return 0;
    return 1;
}

static void test_table(void)
{
    size_t n;
    const struct web_asset *t = web_assets(&n);
    CHECK(n >= 8);
    for (size_t i = 0; i < n; i++) {
        CHECK(t[i].path[0] == '/');
        CHECK(is_etag(t[i].etag));
        CHECK(t[i].length > 0);
        CHECK(web_asset_find(t[i].path) == &t[i]);
        if (i > 0)
            CHECK(strcmp(t[i - 1].path, t[i].path) < 0);
    }
    /* Same bytes, same ETag; different bytes, different ETags. */
    const struct web_asset *a = web_asset_find("/"), *b = web_asset_find("/index.html");
    const struct web_asset *c = web_asset_find("/assets/app.js");
    CHECK(a && b && c);
    if (a && b && c) {
        CHECK_EQ_STR(a->etag, b->etag);
        CHECK(strcmp(a->etag, c->etag) != 0);
    }
}

int main(void)
{
    RUN(test_known_paths);
    RUN(test_unknown_paths);
    RUN(test_table);
    return TAP_DONE();
}
