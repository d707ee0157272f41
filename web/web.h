/*
 * web.h -- the dashboard's files (web/), compiled into the binary.
 *
 * The page, its script and style sheet and the vendored uPlot are turned into
 * a constant table at build time (web/embed.py writes web_assets_data.c), so
 * the server never reads the filesystem for them and needs no network: a
 * request path is looked up in the table and nothing else.  A path that is not
 * in the table ("/../x", "/etc/passwd", "/%2e%2e/x", "/assets") is NULL, so no
 * path can leave the embedded assets.
 *
 * Paths are the URL paths the server answers, without a query string:
 * "/" (and "/index.html") is the page, "/assets/<file>" the rest
 * ("/assets/app.js", "/assets/vendor/uplot/uPlot.iife.min.js").
 *
 * Ownership: everything here is static, read-only and lives as long as the
 * program; nothing is allocated or freed.  The table is safe to read from any
 * number of threads.
 */
#ifndef KZ_WEB_H
#define KZ_WEB_H

#include <stddef.h>

struct web_asset {
    const char *path;         /* URL path, "/" or "/assets/..." */
    const char *content_type; /* "text/html; charset=utf-8", ... */
    const unsigned char *bytes;
    size_t length;
    const char *etag; /* strong ETag with its quotes: "\"<16 hex of SHA-256>\"" */
};

/* The asset served at path (NUL-terminated, compared byte for byte), or NULL. */
const struct web_asset *web_asset_find(const char *path);

/* Every asset, sorted by path; *n is set to their number. */
const struct web_asset *web_assets(size_t *n);

#endif
