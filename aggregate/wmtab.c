/* wmtab.c -- the in-process store's watermarks and heartbeats.
 *
 * Design: what the Redis store keeps in two hashes per group
 * (kzp:v2:watermarks:{group} and kzp:v2:heartbeats:{group}, field = member)
 * is here one array of (group, member, watermark, heartbeat) entries, searched
 * linearly: a group has a handful of members, and a member publishes about
 * once a second.  A publication replaces both values (so a watermark may move
 * back, as a member's does when its partitions change); retiring removes the
 * entry by moving the last one into its place.  The reader's rule, live when
 * the heartbeat is less than max_age_ms old, is agg_wm_live(), the one the
 * Redis store applies too.  Entries never expire here: the store lives as
 * long as its process.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "agg_internal.h"

static struct agg_wm_entry *find(const struct agg_wmtab *t, const char *group, const char *member)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->e[i].group, group) && !strcmp(t->e[i].member, member))
            return &t->e[i];
    return NULL;
}

int agg_wmtab_publish(struct agg_wmtab *t, const char *group, const char *member,
                      int64_t watermark_ms, int64_t now_ms)
{
    struct agg_wm_entry *e = find(t, group, member);

    if (!e) {
        if (t->n == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 8;
            struct agg_wm_entry *ne = realloc(t->e, cap * sizeof *ne);

            if (!ne)
                return KZ_ENOMEM;
            t->e = ne;
            t->cap = cap;
        }
        e = &t->e[t->n];
        e->group = strdup(group);
        e->member = strdup(member);
        if (!e->group || !e->member) {
            free(e->group);
            free(e->member);
            return KZ_ENOMEM;
        }
        t->n++;
    }
    assert(t->n <= t->cap);
    e->watermark_ms = watermark_ms;
    e->heartbeat_ms = now_ms;
    return KZ_OK;
}

void agg_wmtab_retire(struct agg_wmtab *t, const char *group, const char *member)
{
    struct agg_wm_entry *e = find(t, group, member);

    if (!e)
        return;
    free(e->group);
    free(e->member);
    *e = t->e[--t->n];
}

int agg_wmtab_min(const struct agg_wmtab *t, const char *group, int64_t max_age_ms, int64_t now_ms,
                  int64_t *watermark_ms)
{
    int found = 0;

    for (size_t i = 0; i < t->n; i++) {
        const struct agg_wm_entry *e = &t->e[i];

        if (strcmp(e->group, group) || !agg_wm_live(e->heartbeat_ms, now_ms, max_age_ms))
            continue;
        if (!found || e->watermark_ms < *watermark_ms)
            *watermark_ms = e->watermark_ms;
        found = 1;
    }
    return found ? KZ_OK : KZ_ENOTFOUND;
}

void agg_wmtab_free(struct agg_wmtab *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->e[i].group);
        free(t->e[i].member);
    }
    free(t->e);
    memset(t, 0, sizeof *t);
}
