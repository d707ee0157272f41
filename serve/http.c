/*
 * http.c -- the server itself: libmicrohttpd set up with bounds on
 * everything, authentication, the method and path checks, headers, and the
 * HTTP request counter.
 *
 * libmicrohttpd runs a pool of SERVE_THREADS threads, each polling its share
 * of at most SERVE_MAX_CONNECTIONS connections (SERVE_MAX_SSE of them may be
 * event streams, suspended between events), closes connections idle for
 * SERVE_TIMEOUT_S, and gives each connection SERVE_MEMORY_LIMIT bytes for its
 * request line and headers (a longer request is refused by the library).
 * The request target is taken raw from the URI log callback and split at '?'
 * here, so the query string is decoded once, by params.c (the fuzzed parser),
 * and a path is matched byte for byte: "/api/v1/series/../x" or
 * "/api/v1/%73eries" are simply unknown paths.
 *
 * Every request runs through handle(): 401 without the bearer token when one
 * is set (compared in constant time: every byte of the expected token is
 * looked at whatever the given one is), 405 for anything but GET, then the
 * route.  Replies carry X-Content-Type-Options: nosniff and Cache-Control:
 * no-store, and CORS headers only for the configured origin.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "kz_secret.h"
#include "serve_int.h"
#include "web.h"

#define URI_MAX 8192

struct request {
    char *uri;   /* the raw request target, or NULL when too long */
    int seen;    /* the handler has been called for its headers */
    size_t body; /* bytes of a body sent with a GET (discarded, then refused) */
};

#define BODY_MAX 4096 /* a GET's body read and dropped before the connection is cut */

/* ---------------------------------------------------------------------------
 * Addresses
 * ------------------------------------------------------------------------ */

/* ADDR:PORT into a socket address.  0, or -1. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
    const char *colon = strrchr(listen, ':');
    char host[64];
    memset(ss, 0, sizeof(*ss));
    if (!colon || (size_t)(colon - listen) >= sizeof(host))
        return -1;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || end == colon + 1)
        return -1;
    if (listen[0] == '[') {
        size_t n = (size_t)(colon - listen);
        if (n < 3 || listen[n - 1] != ']')
            return -1;
        memcpy(host, listen + 1, n - 2);
        host[n - 2] = '\0';
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
            return -1;
        *len = sizeof(*a);
        return 0;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
        return -1;
    *len = sizeof(*a);
    return 0;
}

int serve_token_read(const char *file, char *tok, size_t cap, char *err, size_t errlen)
{
    tok[0] = '\0';
    if (!file) {
        const char *env = getenv("KZPULSE_SERVE_TOKEN");
        if (!env || !*env)
            return 0;
        if (strlen(env) >= cap) {
            snprintf(err, errlen, "KZPULSE_SERVE_TOKEN is longer than %zu bytes", cap - 1);
            return KZ_EINVAL;
        }
        memcpy(tok, env, strlen(env) + 1);
        return 0;
    }
    int rc = kz_secret_first_line(file, tok, cap);
    if (rc == KZ_EIO)
        snprintf(err, errlen, "--token-file %s: %s", file, strerror(errno));
    else if (rc == KZ_ERANGE)
        snprintf(err, errlen, "--token-file %s: the token is longer than %zu bytes", file, cap - 1);
    else if (rc)
        snprintf(err, errlen, "--token-file %s: %s", file, kz_secret_why(rc));
    return rc ? KZ_EINVAL : 0;
}

int serve_is_loopback(const char *listen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (!listen || parse_listen(listen, &ss, &len))
        return 0;
    if (ss.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
    return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
}

/* ---------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------ */

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct request *r = calloc(1, sizeof(*r));
    if (r && uri && strlen(uri) <= URI_MAX)
        r->uri = strdup(uri);
    return r;
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct serve *s = cls;
    /* Requests that did not end with their answer sent: among them those
     * libmicrohttpd refused itself (a line or headers over the limit, a
     * malformed request), which never reach the handler or its counter. */
    const char *why = toe == MHD_REQUEST_TERMINATED_WITH_ERROR        ? "error"
                      : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout"
                      : toe == MHD_REQUEST_TERMINATED_READ_ERROR      ? "read_error"
                      : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT    ? "client_abort"
                                                                      : NULL;
    if (why && s->m_http_failed)
        metrics_add(s->m_http_failed, &why, 1);
    struct request *r = *req_cls;
    if (r) {
        free(r->uri);
        free(r);
    }
    *req_cls = NULL;
}

/* Does the Authorization header carry the token?  Constant time in the
 * given header's content: the loop runs over the whole expected token. */
static int authorized(const struct serve *s, struct MHD_Connection *conn)
{
    const char *want = s->cfg.token;
    if (!want)
        return 1;
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7))
        return 0;
    const char *got = h + 7;
    size_t nw = strlen(want), ng = strlen(got);
    unsigned char d = (unsigned char)(nw != ng);
    for (size_t i = 0; i < nw; i++)
        d |= (unsigned char)(want[i] ^ (i < ng ? got[i] : 0));
    return d == 0;
}

static enum MHD_Result send_reply(struct serve *s, struct MHD_Connection *conn,
                                  struct serve_reply *rep, const char *allow)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(rep->len, rep->body ? rep->body : (void *)"",
                                        rep->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(rep->body);
        return MHD_NO;
    }
    rep->body = NULL;
    if (rep->ctype)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->ctype);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (rep->ctype && !strncmp(rep->ctype, "text/html", 9)) { /* the dashboard's page */
        MHD_add_response_header(resp, "Content-Security-Policy", SERVE_PAGE_CSP);
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    }
    if (s->cfg.cors_origin) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", s->cfg.cors_origin);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Origin");
    }
    if (rep->retry_after) {
        char v[16];
        snprintf(v, sizeof(v), "%d", rep->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, v);
    }
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    if (rep->status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"kzpulse\"");
    char code[8];
    snprintf(code, sizeof(code), "%u", rep->status);
    const char *label = code;
    metrics_add(s->m_http, &label, 1);
    enum MHD_Result ret = MHD_queue_response(conn, rep->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result metrics_reply(struct serve *s, struct MHD_Connection *conn)
{
    struct serve_reply rep = {200, NULL, 0, METRICS_CONTENT_TYPE, 0};
    FILE *f = open_memstream(&rep.body, &rep.len);
    if (!f || metrics_render(s->cfg.metrics, f) || fclose(f)) {
        free(rep.body);
        rep.body = NULL;
        rep.len = 0;
        serve_reply_error(&rep, 500, NULL, "rendering the metrics failed");
    }
    return send_reply(s, conn, &rep, NULL);
}

/* The request's headers say a body follows. */
static int announces_body(struct MHD_Connection *conn)
{
    return serve_body_announced(
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING),
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH));
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    struct serve *s = cls;
    struct request *req = *req_cls;
    struct serve_reply rep = {0, NULL, 0, NULL, 0};

    /* The first call has the headers only.  A GET without a body is answered
     * on the second (the request read whole), so that the connection can be
     * kept alive; a request that is not a GET, or a GET that announces a body
     * (a Content-Length other than 0, or any Transfer-Encoding), is answered
     * at once and the connection closed after, its body never read. */
    if (req && !req->seen && !strcmp(method, MHD_HTTP_METHOD_GET)) {
        req->seen = 1;
        if (!announces_body(conn))
            return MHD_YES;
        req->body = 1;
    }
    if (req && *upload_data_size) { /* a body the headers did not announce */
        req->body += *upload_data_size;
        *upload_data_size = 0;
        return req->body > BODY_MAX ? MHD_NO : MHD_YES;
    }
    if (req && req->body) {
        serve_reply_error(&rep, 413, NULL, "a GET takes no body");
        return send_reply(s, conn, &rep, NULL);
    }
    char path[256] = "";
    const char *qs = "";
    if (req && req->uri) {
        char *q = strchr(req->uri, '?');
        size_t plen = q ? (size_t)(q - req->uri) : strlen(req->uri);
        qs = q ? q + 1 : "";
        if (plen >= sizeof(path))
            plen = sizeof(path) - 1; /* too long for any route: stays unknown */
        memcpy(path, req->uri, plen);
        path[plen] = '\0';
    }
    /* The dashboard's own files (the page, its scripts and styles) hold no
     * data and are served without the token, so that a browser can load the
     * page, which then asks for the token and sends it with every API call. */
    int open_file = !s->cfg.metrics_only && !strcmp(method, MHD_HTTP_METHOD_GET) && *path &&
                    web_asset_find(path) != NULL;
    if (!open_file && !authorized(s, conn)) {
        serve_reply_error(&rep, 401, NULL,
                          "a bearer token is required (Authorization: Bearer ...)");
        return send_reply(s, conn, &rep, NULL);
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET)) {
        serve_reply_error(&rep, 405, NULL, "only GET is served");
        return send_reply(s, conn, &rep, "GET");
    }
    if (!req || !req->uri) {
        serve_reply_error(&rep, 414, NULL, "the request target is too long");
        return send_reply(s, conn, &rep, NULL);
    }
    if (!strcmp(path, "/metrics")) {
        if (*qs) {
            serve_reply_error(&rep, 400, NULL, "/metrics takes no parameters");
            return send_reply(s, conn, &rep, NULL);
        }
        return metrics_reply(s, conn);
    }
    if (s->cfg.metrics_only) {
        serve_reply_error(&rep, 404, NULL, "only /metrics is served here");
        return send_reply(s, conn, &rep, NULL);
    }
    if (!strcmp(path, "/api/v1/stream")) {
        if (*qs) {
            serve_reply_error(&rep, 400, NULL, "/api/v1/stream takes no parameters");
            return send_reply(s, conn, &rep, NULL);
        }
        unsigned status;
        const char *last = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
        struct MHD_Response *resp = serve_sse_response(s, conn, last, &status);
        if (!resp) {
            serve_reply_error(&rep, status, NULL,
                              status == 503 ? "too many event-stream clients; try again later"
                                            : "out of memory");
            return send_reply(s, conn, &rep, NULL);
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        if (s->cfg.cors_origin)
            MHD_add_response_header(resp, "Access-Control-Allow-Origin", s->cfg.cors_origin);
        const char *label = "200";
        metrics_add(s->m_http, &label, 1);
        enum MHD_Result ret = MHD_queue_response(conn, 200, resp);
        MHD_destroy_response(resp);
        return ret;
    }
    serve_api(s, path, qs, strlen(qs), &rep);
    return send_reply(s, conn, &rep, NULL);
}

/* ---------------------------------------------------------------------------
 * Start and stop
 * ------------------------------------------------------------------------ */

/* At each scrape (Redis): the age of the group's watermark, as the streaming
 * job publishes it, so that a dashboard of serve alone sees a job fall behind. */
static void collect(void *ctx, struct metrics *m)
{
    struct serve *s = ctx;
    char err[256];
    int64_t wm, now = pipeline_now_ms();
    struct agg_store *st;
    if (serve_store_acquire(s, &st, err, sizeof(err)))
        return;
    int rc = agg_store_watermark(st, s->cfg.group, 60000, now, &wm, err, sizeof(err));
    serve_store_release(s, st);
    if (rc == 0)
        metrics_set(s->m_wm_age, NULL, (double)(now - wm) / 1000.0);
}

int serve_start(const struct serve_config *c, struct serve **out, char *err, size_t errlen)
{
    static const char *const code_label[] = {"code", NULL};
    static const char *const reason_label[] = {"reason", NULL};
    const char *listen = c->listen ? c->listen : SERVE_DEFAULT_LISTEN;
    struct sockaddr_storage ss;
    socklen_t sslen;
    *out = NULL;
    if (parse_listen(listen, &ss, &sslen)) {
        snprintf(err, errlen, "%s: expected ADDR:PORT (127.0.0.1:8080, [::1]:8080)", listen);
        return KZ_EINVAL;
    }
    if (!serve_is_loopback(listen) && (!c->token || !*c->token)) {
        snprintf(err, errlen,
                 "%s is not a loopback address: refusing to serve it without a bearer token "
                 "(--token-file FILE or KZPULSE_SERVE_TOKEN)",
                 listen);
        return KZ_EINVAL;
    }
    struct serve *s = calloc(1, sizeof(*s));
    if (!s)
        return KZ_ENOMEM;
    s->cfg = *c;
    if (c->token && !(s->cfg.token = s->token_copy = strdup(c->token))) {
        free(s);
        return KZ_ENOMEM;
    }
    if (c->store) {
        s->stores[0].st = c->store;
        s->nstores = 1;
    }
    pthread_mutex_init(&s->store_lock, NULL);
    pthread_cond_init(&s->store_free, NULL);
    pthread_mutex_init(&s->redis_lock, NULL);
    pthread_mutex_init(&s->sse_lock, NULL);
    pthread_cond_init(&s->sse_wake, NULL);
    s->m_http = metrics_family(c->metrics, METRICS_COUNTER, "kzpulse_http_requests_total",
                               "HTTP requests answered, by status code.", code_label, NULL, 0);
    s->m_http_failed = metrics_family(
        c->metrics, METRICS_COUNTER, "kzpulse_http_requests_failed_total",
        "HTTP requests that ended without their answer sent: refused by the HTTP layer or "
        "malformed (error), idle too long (timeout), or cut by the client (read_error, "
        "client_abort).",
        reason_label, NULL, 0);
    if (!c->metrics_only && !c->archive && c->group) {
        s->m_wm_age = metrics_family(c->metrics, METRICS_GAUGE, "kzpulse_watermark_age_seconds",
                                     "Wall time minus the consumer group's watermark (members "
                                     "heard from in the last 60 s).",
                                     NULL, NULL, 0);
        metrics_on_collect(c->metrics, collect, s);
    }
    if (!c->metrics_only) {
        int rc = agg_zone_open(PIPELINE_DEFAULT_TZ, &s->default_zone, err, errlen);
        if (!rc)
            rc = serve_sse_start(s, err, errlen);
        if (rc) {
            serve_stop(s);
            return rc;
        }
    }
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)SERVE_THREADS, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)SERVE_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SERVE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVE_MEMORY_LIMIT, MHD_OPTION_URI_LOG_CALLBACK,
        uri_log, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "%s: cannot listen there (in use, or not an address of this host)",
                 listen);
        serve_stop(s);
        return KZ_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    *out = s;
    return 0;
}

int serve_metrics_start(const char *listen, const char *token_file, struct metrics **m,
                        struct serve **srv, char *err, size_t errlen)
{
    char token[4096];
    sigset_t set, old;
    int rc;

    *m = NULL;
    *srv = NULL;
    if ((rc = serve_token_read(token_file, token, sizeof token, err, errlen)))
        return rc;
    if ((rc = metrics_new(m))) {
        snprintf(err, errlen, "out of memory");
        memset(token, 0, sizeof token);
        return rc;
    }
    struct serve_config sc = {
        .listen = listen,
        .token = token[0] ? token : NULL,
        .metrics_only = 1,
        .metrics = *m,
    };
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    char why[512];
    rc = serve_start(&sc, srv, why, sizeof why);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    memset(token, 0, sizeof token);
    if (rc) {
        snprintf(err, errlen, "--metrics-listen %s", why);
        metrics_free(*m);
        *m = NULL;
    }
    return rc;
}

int serve_port(const struct serve *s)
{
    return s->port;
}

void serve_stop(struct serve *s)
{
    if (!s)
        return;
    serve_sse_stop(s);
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    if (s->m_wm_age)
        metrics_on_collect(s->cfg.metrics, NULL, NULL);
    for (size_t k = 0; k < SSE_RING; k++)
        free(s->ring[k].text);
    serve_alerts_close(s);
    for (int i = 0; i < s->nstores; i++)
        if (s->stores[i].own)
            agg_store_free(s->stores[i].st);
    agg_zone_free(s->default_zone);
    pthread_cond_destroy(&s->sse_wake);
    pthread_mutex_destroy(&s->sse_lock);
    pthread_mutex_destroy(&s->redis_lock);
    pthread_cond_destroy(&s->store_free);
    pthread_mutex_destroy(&s->store_lock);
    if (s->token_copy) {
        memset(s->token_copy, 0, strlen(s->token_copy));
        free(s->token_copy);
    }
    free(s);
}
