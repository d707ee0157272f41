/*
 * serve.h -- kzpulse's HTTP server: the read-only JSON API v1, server-sent
 * events, Prometheus /metrics and the OpenAPI document, over libmicrohttpd.
 *
 * The API answers what `kzpulse query --json` prints, through the same code:
 * a request's parameters are set through the option table (kz_config_set),
 * its window resolved by pipeline_window_resolve(), its dimension checked and
 * its answer rendered by pipeline_query_render().  The server reads the store
 * and the alert stream only (DESIGN.md: serve/ reads, never writes).
 *
 *   GET /api/v1/series?dim=all&from=-2h&step=minute&tz=Asia/Almaty
 *   GET /api/v1/top?kind=hashtag&limit=20        /api/v1/distinct?dim=topic:protest
 *   GET /api/v1/dims?dim=region:&names=kk         /api/v1/posts?dim=mob:call&limit=5
 *   GET /api/v1/alerts?limit=50                   /api/v1/stream (text/event-stream)
 *   GET /api/v1/openapi.json                      /metrics
 *
 * Bounds: a pool of SERVE_THREADS threads (SSE clients are suspended between
 * events, not holding a thread), SERVE_MAX_CONNECTIONS connections,
 * SERVE_MAX_SSE event-stream clients, SERVE_TIMEOUT_S of idleness, and
 * SERVE_MEMORY_LIMIT bytes of request headers per connection (longer
 * requests get 431/414 from libmicrohttpd).  Only GET is served (405
 * otherwise), with no body.
 *
 * Security: the caller decides the address; serve_start() refuses a
 * non-loopback one without a token.  With a token every request must carry
 * "Authorization: Bearer TOKEN" (compared in constant time) or gets 401.  CORS
 * headers only for the configured origin.  JSON is built with jansson (every
 * string escaped) and served with X-Content-Type-Options: nosniff.
 *
 * Ownership: the config's pointers are borrowed for the server's life; a
 * store is used by one request at a time, as stores are not thread-safe:
 * with open_store (Redis) the server opens up to SERVE_THREADS + 1 of them,
 * one a concurrent request, else requests take turns on the one given.
 * Errors: 0 or a negative KZ_E* code, with a message in err.
 */
#ifndef KZ_SERVE_H
#define KZ_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"
#include "kz.h"
#include "metrics.h"
#include "pipeline.h"

#define SERVE_DEFAULT_LISTEN "127.0.0.1:8080"
#define SERVE_THREADS 4
#define SERVE_MAX_CONNECTIONS 512
#define SERVE_MAX_SSE 256
#define SERVE_TIMEOUT_S 30
#define SERVE_MEMORY_LIMIT (32 * 1024)
#define SERVE_SSE_POLL_MS 1000 /* how often the stream looks for new totals and alerts */
#define SERVE_ALERTS_KEY "kzp:v2:alerts"

/* Open a store: called whenever a request finds none free and fewer than
 * SERVE_THREADS + 1 are open (Redis unreachable at start, or more requests
 * at once than stores).  0 or a KZ_E* code. */
typedef int (*serve_open_fn)(void *ctx, struct agg_store **out, char *err, size_t errlen);

struct serve_config {
    const char *listen;      /* ADDR:PORT (IPv4 or [IPv6]); NULL = SERVE_DEFAULT_LISTEN */
    const char *token;       /* bearer token (copied); NULL = none (loopback only) */
    const char *cors_origin; /* NULL = no CORS headers */
    int metrics_only;        /* serve /metrics alone (kzpulse run --metrics-listen) */
    struct metrics *metrics; /* the registry /metrics renders; HTTP counts go in it too */

    /* the API (unused when metrics_only) */
    struct agg_store *store; /* may be NULL at start when open_store is given */
    serve_open_fn open_store;
    void *open_ctx;
    const struct nlp_lexicon *lexicon;  /* known topics and regions; NULL: the store's */
    const struct nlp_gazetteer *gaz;    /* region names; NULL: codes only */
    int archive;                        /* in-process store replayed from archives */
    int64_t data_from, data_to;         /* archive: the data's span (window defaults) */
    int64_t undated;                    /* archive: undated posts; Redis: -1 */
    const struct agg_redis_addr *redis; /* the alert stream's Redis; NULL: no alerts */
    const char *group; /* Redis: the consumer group whose watermark /metrics reports */
};

struct serve;

/*
 * Start serving in threads of its own.  Returns 0; KZ_EINVAL when the address
 * is bad or not loopback without a token; KZ_EIO when it cannot be bound; or
 * KZ_ENOMEM.  err says why.
 */
int serve_start(const struct serve_config *c, struct serve **out, char *err, size_t errlen);
/* The port it listens on (the one chosen when the address said port 0). */
int serve_port(const struct serve *s);
/* Close the event streams, stop the threads, free everything. */
void serve_stop(struct serve *s);

/*
 * The /metrics server of a command that is not `serve` (run, alerts): the
 * token from token_file or $KZPULSE_SERVE_TOKEN (serve_token_read), a new
 * registry in *m, and a metrics_only server on listen, started with SIGINT,
 * SIGTERM and SIGHUP blocked so that its threads never take the command's
 * signals.  0 with *m and *srv; KZ_EINVAL (a bad address or token, or not
 * loopback without a token), KZ_EIO or KZ_ENOMEM with err (naming the option
 * at fault), and nothing made.
 */
int serve_metrics_start(const char *listen, const char *token_file, struct metrics **m,
                        struct serve **srv, char *err, size_t errlen);

/* The bearer token into tok (cap bytes): the first line of file when given,
 * else $KZPULSE_SERVE_TOKEN, else none (tok empty).  0, or KZ_EINVAL with a
 * message in err (unreadable or empty file, a token longer than cap - 1). */
int serve_token_read(const char *file, char *tok, size_t cap, char *err, size_t errlen);

/* Is this ADDR:PORT on a loopback address (127.0.0.0/8, [::1])? */
int serve_is_loopback(const char *listen);

/* ---------------------------------------------------------------------------
 * Request parameters (params.c), exposed for the fuzz target and the tests
 * ------------------------------------------------------------------------ */

enum serve_param_bit {
    SERVE_P_FROM = 1 << 0,
    SERVE_P_TO = 1 << 1,
    SERVE_P_STEP = 1 << 2,
    SERVE_P_TZ = 1 << 3,
    SERVE_P_NAMES = 1 << 4,
    SERVE_P_LIMIT = 1 << 5,
    SERVE_P_DIM = 1 << 6,
    SERVE_P_KIND = 1 << 7,
};
#define SERVE_P_WINDOW (SERVE_P_FROM | SERVE_P_TO | SERVE_P_STEP | SERVE_P_TZ)

#define SERVE_PARAM_MAX 512 /* bytes of a decoded value */
#define SERVE_PARAMS_MAX 16 /* parameters in one query string */

struct serve_params {
    struct kz_config cfg; /* from, to, step, tz, names, limit: set as the flags set them */
    unsigned given;       /* enum serve_param_bit of those present */
    char dim[SERVE_PARAM_MAX + 1];
    char kind[SERVE_PARAM_MAX + 1];
};

/* Stream entry ids, as a client's Last-Event-ID sends them back (params.c).
 * Is id a Redis stream entry id, "MS-SEQ" with each part 1-20 decimal digits
 * and at most 2^64 - 1 ("1700000000000-0")?  1 or 0. */
int serve_alert_id_valid(const char *id);
/* Compare two valid entry ids as Redis orders them: <0, 0, >0. */
int serve_alert_id_cmp(const char *a, const char *b);

/* Do a request's headers announce a body (params.c)?  Any Transfer-Encoding
 * does; a Content-Length does unless its value is 0 (any number of zeros,
 * blanks around them).  NULL: the header is absent.  1 or 0. */
int serve_body_announced(const char *transfer_encoding, const char *content_length);

/*
 * Parse a query string ("dim=topic%3Aprotest&from=-2h", without the '?'; n
 * bytes, not NUL-terminated) taking only the parameters in `allowed`, with
 * relative times read against now_ms.  Returns 0, or KZ_EINVAL with the
 * offending parameter's name in param (NUL-terminated, at most 32 bytes) and
 * a one-line message in err: an unknown or repeated parameter, a bad percent
 * escape, a value too long, a value its option refuses.  KZ_ENOMEM too.
 * Free with serve_params_free() whatever it returned.
 */
int serve_params_parse(const char *qs, size_t n, unsigned allowed, int64_t now_ms,
                       struct serve_params *out, char *param, size_t paramlen, char *err,
                       size_t errlen);
void serve_params_free(struct serve_params *p);

#endif /* KZ_SERVE_H */
