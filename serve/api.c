/*
 * api.c -- the JSON API v1: one route a row, each answered through the code
 * `kzpulse query` runs.
 *
 * A query endpoint (series, top, distinct, dims, posts) parses its query
 * string (params.c), opens the zone it asks for, resolves its window with
 * pipeline_window_resolve() exactly as cmd_query.c does (archive defaults:
 * the data's span; Redis: the last 24 hours), and renders the answer with
 * pipeline_query_render() into memory: the body is the bytes `kzpulse query
 * --json` prints for the same request.  Errors become JSON with the HTTP
 * status that says whose fault they are: 400 names the parameter (the
 * window's messages name their flag, "--from ...", which is mapped back to
 * the parameter), 503 with Retry-After when the store cannot be reached, 500
 * otherwise.  The store is used under a lock, one request at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_int.h"
#include "web.h"

#define RETRY_AFTER_S 5

/* ---------------------------------------------------------------------------
 * Replies
 * ------------------------------------------------------------------------ */

void serve_reply_json(struct serve_reply *r, json_t *o)
{
    r->status = 200;
    r->ctype = "application/json";
    r->body = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!r->body) {
        r->status = 500;
        r->ctype = "text/plain; charset=utf-8";
        r->len = 0;
        return;
    }
    r->len = strlen(r->body);
    char *b = realloc(r->body, r->len + 2); /* a line end, as the command prints */
    if (b) {
        b[r->len++] = '\n';
        b[r->len] = '\0';
        r->body = b;
    }
}

void serve_reply_error(struct serve_reply *r, unsigned status, const char *param, const char *msg)
{
    json_t *e = json_pack("{s:i}", "status", (int)status);
    if (e && param)
        json_object_set_new(e, "parameter", json_string(param));
    json_t *m = json_string(msg);
    if (!m) { /* not UTF-8 (a value echoed): the message with '?' for every non-ASCII byte */
        char ascii[1024];
        size_t i;
        for (i = 0; msg[i] && i + 1 < sizeof(ascii); i++)
            ascii[i] = (unsigned char)msg[i] < 0x80 ? msg[i] : '?';
        ascii[i] = '\0';
        m = json_string(ascii);
    }
    if (e)
        json_object_set_new(e, "message", m);
    else
        json_decref(m);
    serve_reply_json(r, e ? json_pack("{s:o}", "error", e) : NULL);
    r->status = status;
    if (status == 503)
        r->retry_after = RETRY_AFTER_S;
}

/* The parameter a window message is about: its first "--flag". */
static const char *window_param(const char *msg)
{
    const char *f = strstr(msg, "--");
    if (f && !strncmp(f + 2, "to ", 3))
        return "to";
    if (f && !strncmp(f + 2, "tz ", 3))
        return "tz";
    if (f && !strncmp(f + 2, "step", 4))
        return "step";
    return "from";
}

/* ---------------------------------------------------------------------------
 * The store
 * ------------------------------------------------------------------------ */

int serve_store_acquire(struct serve *s, struct agg_store **st, char *err, size_t errlen)
{
    *st = NULL;
    pthread_mutex_lock(&s->store_lock);
    for (;;) {
        for (int i = 0; i < s->nstores; i++)
            if (!s->stores[i].busy) {
                s->stores[i].busy = 1;
                *st = s->stores[i].st;
                pthread_mutex_unlock(&s->store_lock);
                return 0;
            }
        if (s->cfg.open_store && s->nstores + s->opening < SERVE_STORES) {
            /* open one outside the lock: connecting may take its time */
            s->opening++;
            pthread_mutex_unlock(&s->store_lock);
            struct agg_store *o = NULL;
            int rc = s->cfg.open_store(s->cfg.open_ctx, &o, err, errlen);
            pthread_mutex_lock(&s->store_lock);
            s->opening--;
            if (rc == 0 && o) {
                int i = s->nstores++;
                s->stores[i].st = o;
                s->stores[i].busy = 1;
                s->stores[i].own = 1;
                *st = o;
            }
            pthread_cond_signal(&s->store_free); /* a waiter may open one in turn */
            pthread_mutex_unlock(&s->store_lock);
            return *st ? 0 : KZ_EAGAIN;
        }
        if (!s->cfg.open_store && !s->nstores) {
            pthread_mutex_unlock(&s->store_lock);
            snprintf(err, errlen, "no store");
            return KZ_EAGAIN;
        }
        pthread_cond_wait(&s->store_free, &s->store_lock);
    }
}

void serve_store_release(struct serve *s, struct agg_store *st)
{
    pthread_mutex_lock(&s->store_lock);
    for (int i = 0; i < s->nstores; i++)
        if (s->stores[i].st == st)
            s->stores[i].busy = 0;
    pthread_cond_signal(&s->store_free);
    pthread_mutex_unlock(&s->store_lock);
}

/* ---------------------------------------------------------------------------
 * Query endpoints
 * ------------------------------------------------------------------------ */

static void query(struct serve *s, const char *what, unsigned allowed, const char *qs, size_t qn,
                  struct serve_reply *r)
{
    struct serve_params p;
    char param[33], err[1024];
    struct agg_zone *zone = NULL;
    int rc = serve_params_parse(qs, qn, allowed, pipeline_now_ms(), &p, param, sizeof(param), err,
                                sizeof(err));
    if (rc) {
        serve_reply_error(r, rc == KZ_ENOMEM ? 500 : 400, rc == KZ_ENOMEM ? NULL : param, err);
        goto out;
    }
    int is_top = !strcmp(what, "top");
    const char *arg = is_top ? p.kind : p.dim;
    if (!*arg && (!strcmp(what, "series") || !strcmp(what, "distinct")))
        arg = "all";
    if (!*arg) {
        snprintf(err, sizeof(err), "parameter \"%s\": required by /api/v1/%s",
                 is_top ? "kind" : "dim", what);
        serve_reply_error(r, 400, is_top ? "kind" : "dim", err);
        goto out;
    }
    if (p.cfg.tz && (rc = agg_zone_open(p.cfg.tz, &zone, err, sizeof(err)))) {
        serve_reply_error(r, rc == KZ_ENOMEM ? 500 : 400, "tz", err);
        goto out;
    }
    struct pipeline_window_in win = {
        .from_ms = p.cfg.from_ms,
        .to_ms = p.cfg.to_ms,
        .from_set = p.cfg.from_set,
        .to_set = p.cfg.to_set,
        .step = (enum pipeline_step)p.cfg.step,
        .zone = zone ? zone : s->default_zone,
        .now_ms = p.cfg.now_ms,
        .archive = s->cfg.archive,
        .data_from = s->cfg.data_from,
        .data_to = s->cfg.data_to,
    };
    struct pipeline_window w;
    if (pipeline_window_resolve(&win, &w, err, sizeof(err))) {
        serve_reply_error(r, 400, window_param(err), err);
        goto out;
    }
    /* Bound the work one request may ask for: the store buckets it reads. */
    int64_t width = w.step == PIPELINE_STEP_MINUTE || (!strcmp(what, "posts") && !s->cfg.archive)
                        ? AGG_MINUTE_MS
                        : AGG_HOUR_MS;
    uint64_t nb =
        w.to_ms > w.from_ms ? ((uint64_t)w.to_ms - (uint64_t)w.from_ms) / (uint64_t)width : 0;
    if (nb > SERVE_MAX_BUCKETS) {
        snprintf(err, sizeof(err),
                 "parameter \"from\": the window spans %llu %s buckets, over the %u one request "
                 "may read; ask for a shorter window%s",
                 (unsigned long long)nb, width == AGG_MINUTE_MS ? "minute" : "hour",
                 SERVE_MAX_BUCKETS, width == AGG_MINUTE_MS ? " or a coarser step" : "");
        serve_reply_error(r, 400, "from", err);
        goto out;
    }
    struct pipeline_query q = {
        .what = what,
        .arg = arg,
        .step = w.step,
        .zone = win.zone,
        .from_ms = w.from_ms,
        .to_ms = w.to_ms,
        .limit = (size_t)p.cfg.limit,
        .lexicon = s->cfg.lexicon,
        .undated = s->cfg.archive ? s->cfg.undated : -1,
        .gaz = s->cfg.gaz,
        .names = (enum nlp_names)p.cfg.names,
    };
    struct agg_store *st;
    if (serve_store_acquire(s, &st, err, sizeof(err))) {
        serve_reply_error(r, 503, NULL, "the store cannot be reached; try again");
        goto out;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rc = f ? pipeline_query_render(st, &q, PIPELINE_JSON, f, err, sizeof(err)) : KZ_ENOMEM;
    serve_store_release(s, st);
    if (f && fclose(f) && !rc)
        rc = KZ_ENOMEM;
    if (rc == 0) {
        r->status = 200;
        r->ctype = "application/json";
        r->body = buf;
        r->len = len;
        goto out;
    }
    free(buf);
    if (rc == KZ_EINVAL || rc == KZ_ERANGE)
        serve_reply_error(r, 400, rc == KZ_ERANGE ? "from" : is_top ? "kind" : "dim", err);
    else if (rc == KZ_EAGAIN)
        serve_reply_error(r, 503, NULL, "the store cannot be reached; try again");
    else
        serve_reply_error(r, 500, NULL, err);
out:
    agg_zone_free(zone);
    serve_params_free(&p);
}

/* /api/v1/alerts?limit=N: the newest N entries of the alert stream. */
static void alerts(struct serve *s, const char *qs, size_t qn, struct serve_reply *r)
{
    struct serve_params p;
    char param[33], err[1024];
    json_t *list = NULL;
    int rc = serve_params_parse(qs, qn, SERVE_P_LIMIT, pipeline_now_ms(), &p, param, sizeof(param),
                                err, sizeof(err));
    if (!rc && p.cfg.limit > SERVE_ALERTS_MAX) {
        snprintf(err, sizeof(err),
                 "parameter \"limit\": at most %d alerts a request (0 is %d), got %d",
                 SERVE_ALERTS_MAX, SERVE_ALERTS_MAX, p.cfg.limit);
        snprintf(param, sizeof(param), "limit");
        rc = KZ_EINVAL;
    }
    if (rc)
        serve_reply_error(r, rc == KZ_ENOMEM ? 500 : 400, param, err);
    else if ((rc = serve_alerts_read(s, NULL, NULL,
                                     (size_t)(p.cfg.limit ? p.cfg.limit : SERVE_ALERTS_MAX), &list,
                                     err, sizeof(err))))
        serve_reply_error(r, rc == KZ_EAGAIN ? 503 : 500, NULL, err);
    else
        serve_reply_json(r, json_pack("{s:s, s:o}", "query", "alerts", "alerts", list));
    serve_params_free(&p);
}

static const struct {
    const char *path;
    const char *what; /* a query's name; NULL for the alerts */
    unsigned params;
} routes[] = {
    {"/api/v1/series", "series", SERVE_P_WINDOW | SERVE_P_DIM | SERVE_P_NAMES},
    {"/api/v1/top", "top", SERVE_P_WINDOW | SERVE_P_KIND | SERVE_P_LIMIT},
    {"/api/v1/distinct", "distinct", SERVE_P_WINDOW | SERVE_P_DIM | SERVE_P_NAMES},
    {"/api/v1/dims", "dims", SERVE_P_WINDOW | SERVE_P_DIM | SERVE_P_NAMES},
    {"/api/v1/posts", "posts", SERVE_P_WINDOW | SERVE_P_DIM | SERVE_P_LIMIT | SERVE_P_NAMES},
    {"/api/v1/alerts", NULL, SERVE_P_LIMIT},
};

void serve_api(struct serve *s, const char *path, const char *qs, size_t qn, struct serve_reply *r)
{
    for (size_t i = 0; i < KZ_ARRAY_LEN(routes); i++) {
        if (strcmp(path, routes[i].path))
            continue;
        if (routes[i].what)
            query(s, routes[i].what, routes[i].params, qs, qn, r);
        else
            alerts(s, qs, qn, r);
        return;
    }
    const struct serve_asset *a = serve_asset_find(path, strlen(path));
    if (a) {
        r->status = 200;
        r->ctype = a->ctype;
        r->body = malloc(a->len ? a->len : 1);
        if (!r->body) {
            r->status = 500;
            return;
        }
        memcpy(r->body, a->data, a->len);
        r->len = a->len;
        return;
    }
    const struct web_asset *w = web_asset_find(path); /* the dashboard */
    if (w) {
        r->status = 200;
        r->ctype = w->content_type;
        r->body = malloc(w->length ? w->length : 1);
        if (!r->body) {
            r->status = 500;
            return;
        }
        memcpy(r->body, w->bytes, w->length);
        r->len = w->length;
        return;
    }
    char msg[160];
    snprintf(msg, sizeof(msg), "no such path (see /api/v1/openapi.json)");
    serve_reply_error(r, 404, NULL, msg);
}

const struct serve_asset *serve_asset_find(const char *path, size_t n)
{
    for (size_t i = 0; i < serve_nassets; i++)
        if (strlen(serve_assets[i].path) == n && !memcmp(serve_assets[i].path, path, n))
            return &serve_assets[i];
    return NULL;
}
