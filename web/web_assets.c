/*
 * web_assets.c -- the lookup of an embedded dashboard file by URL path.
 *
 * The table itself is generated (web/embed.py -> web_assets_data.c), sorted by
 * path in byte order, so a lookup is a binary search with strcmp: an exact
 * match or nothing.  No decoding, no normalisation and no filesystem access
 * happen here, which is what keeps "../" and its encodings out: they are
 * simply not keys of the table.
 */
#include <stdlib.h>
#include <string.h>

#include "web_int.h"

static int by_path(const void *key, const void *elem)
{
    const struct web_asset *a = elem;
    return strcmp(key, a->path);
}

const struct web_asset *web_asset_find(const char *path)
{
    if (!path)
        return NULL;
    return bsearch(path, web_asset_table, web_asset_count, sizeof(web_asset_table[0]), by_path);
}

const struct web_asset *web_assets(size_t *n)
{
    *n = web_asset_count;
    return web_asset_table;
}
