/*
 * web_int.h -- the generated table behind web.h, private to web/:
 * web/embed.py defines these in web_assets_data.c, web_assets.c searches them.
 */
#ifndef KZ_WEB_INT_H
#define KZ_WEB_INT_H

#include "web.h"

/* Sorted by path in strcmp order (the generator sorts and checks). */
extern const struct web_asset web_asset_table[];
extern const size_t web_asset_count;

#endif
