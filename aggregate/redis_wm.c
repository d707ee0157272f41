/* redis_wm.c -- the Redis store's watermarks and heartbeats.
 *
 * Design: two hashes per consumer group, field = member ("<host>:<pid>"):
 *   kzp:v2:watermarks:{group}  member -> watermark, epoch ms
 *   kzp:v2:heartbeats:{group}  member -> wall-clock time of the publication
 * (the schema is in store_redis.c's top comment).  Also the watch set
 * (kzp:v2:watch): the member dims alert rules judge, added by the evaluator
 * and read by the streaming job.  A publication is one
 * pipelined round trip: HSET of both fields, then EXPIRE 86400 on both keys,
 * so a group's entries vanish a day after its last publication, whatever
 * became of its processes.  Retiring (a clean exit) is HDEL of both fields.
 * The reader fetches both hashes (HGETALL, two round trips: reads are rare)
 * and takes the minimum watermark over the members whose heartbeat is live by
 * agg_wm_live(), the rule the in-process store applies too; a member with a
 * watermark and no heartbeat is not live.  Everything goes through the store's
 * own connection (redis_conn.c): a lost connection is KZ_EAGAIN and is made
 * again by the next call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "agg_internal.h"
#include "redis_int.h"

#define WM_PREFIX AGG_REDIS_PREFIX "watermarks:"
#define HB_PREFIX AGG_REDIS_PREFIX "heartbeats:"
#define WM_TTL "86400" /* seconds after the last publication */

/* The two keys of a group, malloc'ed together: *wkey and *hkey point into it. */
static char *wm_keys(const char *group, const char **wkey, const char **hkey)
{
    size_t n = strlen(group);
    char *buf = malloc(2 * (n + sizeof WM_PREFIX));

    if (!buf)
        return NULL;
    snprintf(buf, n + sizeof WM_PREFIX, "%s%s", WM_PREFIX, group);
    snprintf(buf + n + sizeof WM_PREFIX, n + sizeof WM_PREFIX, "%s%s", HB_PREFIX, group);
    *wkey = buf;
    *hkey = buf + n + sizeof WM_PREFIX;
    return buf;
}

/* The commands of a pipeline, prepared in full before it is sent. */
struct wm_cmds {
    const char *argv[4][4];
    size_t lens[4][4];
    int argc[4];
};

static void wm_cmd(struct wm_cmds *c, size_t i, int argc, const char *const *argv)
{
    c->argc[i] = argc;
    for (int k = 0; k < argc; k++) {
        c->argv[i][k] = argv[k];
        c->lens[i][k] = strlen(argv[k]);
    }
}

static int wm_build(void *ctx, size_t i, const char **argv, size_t *lens, int *argc)
{
    const struct wm_cmds *c = ctx;

    *argc = c->argc[i];
    memcpy(argv, c->argv[i], (size_t)*argc * sizeof *argv);
    memcpy(lens, c->lens[i], (size_t)*argc * sizeof *lens);
    return KZ_OK;
}

static int wm_reply(void *ctx, size_t i, const redisReply *r, char *err, size_t errlen)
{
    return KZ_OK; /* HSET, EXPIRE and HDEL answer integers; errors are handled by the caller */
}

int agg_redis_publish_watermark(void *self, const char *group, const char *member,
                                int64_t watermark_ms, int64_t now_ms, char *err, size_t errlen)
{
    struct agg_redis_store *s = self;
    struct wm_cmds c;
    char wm[AGG_REDIS_NUM_MAX], now[AGG_REDIS_NUM_MAX];
    const char *wkey, *hkey;
    char *keys = wm_keys(group, &wkey, &hkey);
    int rc;

    if (!keys)
        return KZ_ENOMEM;
    snprintf(wm, sizeof wm, "%lld", (long long)watermark_ms);
    snprintf(now, sizeof now, "%lld", (long long)now_ms);
    wm_cmd(&c, 0, 4, (const char *[]){"HSET", wkey, member, wm});
    wm_cmd(&c, 1, 4, (const char *[]){"HSET", hkey, member, now});
    wm_cmd(&c, 2, 3, (const char *[]){"EXPIRE", wkey, WM_TTL});
    wm_cmd(&c, 3, 3, (const char *[]){"EXPIRE", hkey, WM_TTL});
    rc = agg_redis_pipeline(&s->conn, 4, wm_build, wm_reply, &c, "publish watermark", err, errlen);
    free(keys);
    return rc;
}

int agg_redis_retire(void *self, const char *group, const char *member, char *err, size_t errlen)
{
    struct agg_redis_store *s = self;
    struct wm_cmds c;
    const char *wkey, *hkey;
    char *keys = wm_keys(group, &wkey, &hkey);
    int rc;

    if (!keys)
        return KZ_ENOMEM;
    wm_cmd(&c, 0, 3, (const char *[]){"HDEL", wkey, member});
    wm_cmd(&c, 1, 3, (const char *[]){"HDEL", hkey, member});
    rc = agg_redis_pipeline(&s->conn, 2, wm_build, wm_reply, &c, "retire", err, errlen);
    free(keys);
    return rc;
}

/* HGETALL key into *out (a flat array of field, value strings). */
static int hgetall(struct agg_redis_store *s, const char *key, redisReply **out, char *err,
                   size_t errlen)
{
    const char *argv[2] = {"HGETALL", key};
    size_t lens[2] = {7, strlen(key)};
    int rc = agg_redis_command(&s->conn, 2, argv, lens, "watermark: HGETALL", out, err, errlen);

    if (rc)
        return rc;
    if ((*out)->type != REDIS_REPLY_ARRAY || (*out)->elements % 2) {
        rc = agg_redis_unexpected(&s->conn, *out, "watermark: HGETALL", err, errlen);
        freeReplyObject(*out);
        *out = NULL;
        return rc;
    }
    for (size_t i = 0; i < (*out)->elements; i++)
        if ((*out)->element[i]->type != REDIS_REPLY_STRING) {
            rc = agg_redis_unexpected(&s->conn, (*out)->element[i], "watermark: HGETALL", err,
                                      errlen);
            freeReplyObject(*out);
            *out = NULL;
            return rc;
        }
    return KZ_OK;
}

/* Field f's value in an HGETALL reply as an integer: 1 (found), 0 (absent), or
 * KZ_EIO when it is not a decimal integer. */
static int hfield(struct agg_redis_store *s, const redisReply *h, const char *key,
                  const redisReply *f, int64_t *v, char *err, size_t errlen)
{
    for (size_t i = 0; i < h->elements; i += 2) {
        const redisReply *k = h->element[i], *val = h->element[i + 1];

        if (k->len != f->len || memcmp(k->str, f->str, f->len))
            continue;
        if (agg_redis_parse_i64(val->str, val->len, v))
            return agg_errf(err, errlen, KZ_EIO,
                            "redis %s: watermark: %s field \"%.*s\": \"%.*s\" is not a decimal "
                            "integer",
                            s->conn.where, key, (int)f->len, f->str, (int)val->len, val->str);
        return 1;
    }
    return 0;
}

int agg_redis_watermark(void *self, const char *group, int64_t max_age_ms, int64_t now_ms,
                        int64_t *watermark_ms, char *err, size_t errlen)
{
    struct agg_redis_store *s = self;
    redisReply *wh = NULL, *hh = NULL;
    const char *wkey, *hkey;
    char *keys = wm_keys(group, &wkey, &hkey);
    int rc, found = 0;

    if (!keys)
        return KZ_ENOMEM;
    if ((rc = agg_redis_connect(&s->conn, err, errlen)) ||
        (rc = hgetall(s, wkey, &wh, err, errlen)) || (rc = hgetall(s, hkey, &hh, err, errlen)))
        goto out;
    for (size_t i = 0; i < wh->elements; i += 2) {
        int64_t wm, hb;

        if ((rc = hfield(s, wh, wkey, wh->element[i], &wm, err, errlen)) < 0 ||
            (rc = hfield(s, hh, hkey, wh->element[i], &hb, err, errlen)) < 0)
            goto out;
        if (rc == 0 || !agg_wm_live(hb, now_ms, max_age_ms))
            continue; /* no heartbeat, or an old one: not live */
        if (!found || wm < *watermark_ms)
            *watermark_ms = wm;
        found = 1;
    }
    rc = found ? KZ_OK : KZ_ENOTFOUND;
out:
    if (wh)
        freeReplyObject(wh);
    if (hh)
        freeReplyObject(hh);
    free(keys);
    return rc;
}

/* ---------------------------------------------------------------------------
 * The watch set: kzp:v2:watch, the member dims alert rules judge
 * ------------------------------------------------------------------------ */

int agg_store_redis_watch_add(struct agg_store *st, const char *const *dims, size_t n, char *err,
                              size_t errlen)
{
    struct agg_redis_store *s;
    const char **argv;
    size_t *lens;
    redisReply *r = NULL;
    int rc;

    if (!(s = agg_redis_of(st)) || (n && !dims))
        return KZ_EINVAL;
    if (!n)
        return KZ_OK;
    argv = calloc(n + 2, sizeof *argv);
    lens = calloc(n + 2, sizeof *lens);
    if (!argv || !lens) {
        free(argv);
        free(lens);
        return KZ_ENOMEM;
    }
    argv[0] = "SADD";
    argv[1] = AGG_REDIS_WATCH_KEY;
    for (size_t i = 0; i < n; i++)
        argv[i + 2] = dims[i];
    for (size_t i = 0; i < n + 2; i++)
        lens[i] = strlen(argv[i]);
    rc = agg_redis_command(&s->conn, (int)(n + 2), argv, lens, "watch: SADD", &r, err, errlen);
    if (!rc && r->type != REDIS_REPLY_INTEGER)
        rc = agg_redis_unexpected(&s->conn, r, "watch: SADD", err, errlen);
    if (r)
        freeReplyObject(r);
    free(argv);
    free(lens);
    return rc;
}

int agg_store_redis_watch_get(struct agg_store *st, char ***out, size_t *n, size_t *left_out,
                              char *err, size_t errlen)
{
    const char *argv[2] = {"SMEMBERS", AGG_REDIS_WATCH_KEY};
    size_t lens[2] = {8, sizeof AGG_REDIS_WATCH_KEY - 1};
    struct agg_redis_store *s;
    redisReply *r = NULL;
    char **v = NULL;
    size_t k = 0;
    int rc;

    *out = NULL;
    *n = 0;
    *left_out = 0;
    if (!(s = agg_redis_of(st)))
        return KZ_EINVAL;
    if ((rc = agg_redis_command(&s->conn, 2, argv, lens, "watch: SMEMBERS", &r, err, errlen)))
        return rc;
    if (r->type != REDIS_REPLY_ARRAY) {
        rc = agg_redis_unexpected(&s->conn, r, "watch: SMEMBERS", err, errlen);
        freeReplyObject(r);
        return rc;
    }
    if (r->elements && !(v = calloc(r->elements, sizeof *v))) {
        freeReplyObject(r);
        return KZ_ENOMEM;
    }
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        /* a member of another form (written by hand) is left out, counted */
        if (e->type != REDIS_REPLY_STRING || !e->len || memchr(e->str, '\0', e->len)) {
            (*left_out)++;
            continue;
        }
        if (!(v[k] = strndup(e->str, e->len))) {
            agg_watch_free(v, k);
            freeReplyObject(r);
            return KZ_ENOMEM;
        }
        if (!agg_watch_dim_ok(v[k])) {
            free(v[k]);
            (*left_out)++;
            continue;
        }
        k++;
    }
    freeReplyObject(r);
    *out = v;
    *n = k;
    return KZ_OK;
}

void agg_watch_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}
