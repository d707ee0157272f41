/*
 * serve_int.h -- private to serve/: the server's state, shared by http.c (the
 * libmicrohttpd glue, routing, authentication), api.c (the JSON endpoints),
 * sse.c (the event stream) and alerts.c (the alert stream in Redis).
 */
#ifndef KZ_SERVE_INT_H
#define KZ_SERVE_INT_H

#include <pthread.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "serve.h"

struct MHD_Daemon;
struct MHD_Connection;
struct MHD_Response;

/* An answer before it becomes an HTTP response. */
/* The dashboard page's Content-Security-Policy, as its <meta> says, and no
 * framing: only its own scripts, styles and API. */
#define SERVE_PAGE_CSP                                                                             \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "                 \
    "frame-ancestors 'none'"

struct serve_reply {
    unsigned status;
    char *body; /* malloc'd, or NULL for an empty body */
    size_t len;
    const char *ctype;
    int retry_after; /* seconds; 0 = no Retry-After */
};

/* The most store buckets (minutes, or hours) one query request may read: about
 * two years of minutes, a century of hours. */
#define SERVE_MAX_BUCKETS (1u << 20)
/* The most stores (Redis connections) open at once: a request thread each,
 * and the event stream's ticker. */
#define SERVE_STORES (SERVE_THREADS + 1)
/* The most alerts /api/v1/alerts returns at once (its limit=0). */
#define SERVE_ALERTS_MAX 1000

#define SSE_RING 256 /* events kept for clients that lag behind */

struct sse_client;

struct serve {
    struct serve_config cfg; /* its token is token_copy */
    char *token_copy;        /* the server's own copy of the bearer token */
    struct MHD_Daemon *daemon;
    int port;
    struct metrics_family *m_http, *m_http_failed, *m_wm_age;

    /* The stores: a store is used by one request at a time (stores are not
     * thread-safe).  With cfg.open_store (Redis) up to SERVE_STORES are
     * opened, on demand, so that requests do not wait for each other; an
     * archive's in-process store is the one given. */
    pthread_mutex_t store_lock;
    pthread_cond_t store_free;
    struct {
        struct agg_store *st;
        int busy, own; /* own: opened through cfg.open_store, freed at stop */
    } stores[SERVE_STORES];
    int nstores, opening;
    struct agg_zone *default_zone; /* PIPELINE_DEFAULT_TZ, shared (zones are immutable) */

    pthread_mutex_t redis_lock; /* the alert stream's connection */
    redisContext *redis;

    /* the event stream (sse.c); sse_lock guards all of it */
    pthread_mutex_t sse_lock;
    pthread_cond_t sse_wake;
    pthread_t ticker;
    int ticker_started, closing;
    struct sse_client *clients;
    int nclients;
    struct {
        char *text;
        size_t len;
        char alert[48]; /* an alert's entry id; "" for a minute event */
    } ring[SSE_RING];
    uint64_t head;   /* sequence number of the next event; ring[seq % SSE_RING] */
    char cursor[48]; /* the newest alert entry id in the ring ("0-0": none) */
    int64_t minute_ms[2], minute_total[2]; /* the last totals sent */
};

/* -- api.c ------------------------------------------------------------------ */

/* Fill r for a GET of path with the query string qs[0..qn). */
void serve_api(struct serve *s, const char *path, const char *qs, size_t qn, struct serve_reply *r);
/* r as a JSON error: {"error": {"status", "parameter" (when param), "message"}}. */
void serve_reply_error(struct serve_reply *r, unsigned status, const char *param, const char *msg);
/* Take the reference to o: r is 200 with its compact JSON and a line end. */
void serve_reply_json(struct serve_reply *r, json_t *o);
/* A store for this request alone, until released: one from the pool, opened
 * now when none is free and the pool is not full (with open_store), else the
 * first one released.  0, or KZ_EAGAIN (no store could be opened) with err. */
int serve_store_acquire(struct serve *s, struct agg_store **st, char *err, size_t errlen);
void serve_store_release(struct serve *s, struct agg_store *st);

/* -- alerts.c --------------------------------------------------------------- */

/* Entries of the alert stream as a JSON array of {"stream_id", "id", "event",
 * "record"}: with after NULL the newest `count`, newest first; else those
 * after the entry id `after` up to `upto` (NULL: the end), oldest first.
 * 0 (an empty array without Redis or without a stream), KZ_EAGAIN when Redis
 * cannot be reached, or KZ_EIO/KZ_ENOMEM, with err. */
int serve_alerts_read(struct serve *s, const char *after, const char *upto, size_t count,
                      json_t **out, char *err, size_t errlen);
void serve_alerts_close(struct serve *s);

/* -- sse.c ------------------------------------------------------------------ */

int serve_sse_start(struct serve *s, char *err, size_t errlen);
void serve_sse_stop(struct serve *s);
/* The response for a new event-stream client (NULL: too many clients, or out
 * of memory; *status says which).  last_id: its Last-Event-ID header or NULL. */
struct MHD_Response *serve_sse_response(struct serve *s, struct MHD_Connection *c,
                                        const char *last_id, unsigned *status);

/* -- assets (serve_assets.c, generated at build time by serve/embed.py) ------ */

/* Files compiled into the binary, served at their path exactly: a path that
 * is not in the table is 404, so no request can reach another file. */
struct serve_asset {
    const char *path;  /* "/api/v1/openapi.json" */
    const char *ctype; /* from the file's extension */
    const unsigned char *data;
    size_t len;
};
extern const struct serve_asset serve_assets[];
extern const size_t serve_nassets;
const struct serve_asset *serve_asset_find(const char *path, size_t n);

#endif /* KZ_SERVE_INT_H */
