/*
 * sse.c -- /api/v1/stream: server-sent events of the live minute totals and
 * of alerts as the alert stream receives them.
 *
 * One ticker thread looks every SERVE_SSE_POLL_MS for news: the totals of the
 * previous and the current minute (agg_store_series over "all"; an event when
 * either changed) and the alert entries after the newest one it has seen
 * (XRANGE with an exclusive start).  Each piece of news is formatted once as
 * an event and appended to a ring of SSE_RING events numbered by a sequence;
 * each client holds the sequence of the next event it is to receive.
 *
 * Clients do not hold threads: a client with nothing to read suspends its
 * connection (MHD_suspend_connection, from the content reader, as
 * libmicrohttpd allows) and the ticker resumes every suspended client after
 * each look, so the pool of SERVE_THREADS threads serves any number of them
 * up to SERVE_MAX_SSE.  A client that falls SSE_RING events behind catches
 * up as a resuming one does (below): the alerts it missed, from the last one
 * it was sent, are read again from Redis, then the minute's total (the
 * totals in between are superseded by it), then the ring from that moment.
 * A comment every 15 s keeps proxies from closing an idle stream; a client
 * that closed its end is noticed at the next look (peer_closed) and its
 * stream ended.
 *
 * Ids and resume: every event's id is the newest alert entry id the stream
 * had sent when it was made ("0-0" before any).  A client that reconnects
 * with Last-Event-ID gets first the alerts after that entry id up to the
 * ticker's newest when it joined, read from Redis RESUME_PAGE at a time as
 * the client takes them (however many: the memory a client holds is one
 * page), then the current minute's total, then the ring from the moment it
 * joined -- so no alert is lost; and alerts of the ring at or before its
 * Last-Event-ID are skipped (it may have had them from another server whose
 * poller was ahead), so none is sent twice.  When Redis cannot be read
 * during the resume, a "gap" event says so, with the last alert sent as its
 * id: a client that reconnects with it resumes from there.
 *
 *   event: minute        id: 1700000000000-0
 *   data: {"minute":"2026-03-05T14:07:00+05:00","total":42}
 *   event: alert         id: 1700000000123-0
 *   data: {"stream_id":"1700000000123-0","id":"...","event":"fired","record":{...}}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "serve_int.h"

#define KEEPALIVE_MS 15000
#define RESUME_PAGE 100 /* alerts read from Redis at a time for a resuming client */

struct sse_client {
    struct serve *s;
    struct MHD_Connection *conn;
    uint64_t seq;   /* the next ring event to send */
    char after[48]; /* alerts up to this entry id were sent (resume): skip them in the ring */
    char upto[48];  /* catching up: the backlog ends at this entry id (the ticker's then) */
    int paging;     /* resuming: pages of the backlog are still to be read */
    char *then;     /* what follows the backlog (the minute's total); NULL: nothing */
    char *buf;      /* what is being sent: the resume backlog, an event, a comment */
    size_t len, off;
    int suspended;
    int fd;   /* the connection's socket, to notice a client gone while suspended */
    int gone; /* the client closed its end: end the stream */
    int64_t last_write_ms;
    struct sse_client *next;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "event: NAME\nid: ID\ndata: JSON\n\n" (malloc'd; NULL when out of memory).
 * Takes the reference to data.  Compact JSON holds no line end. */
static char *format_event(const char *name, const char *id, json_t *data, size_t *len)
{
    char *js = data ? json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(data);
    if (!js)
        return NULL;
    char *out = NULL;
    int n = asprintf(&out, "event: %s\nid: %s\ndata: %s\n\n", name, id, js);
    free(js);
    if (n < 0)
        return NULL;
    *len = (size_t)n;
    return out;
}

/* Append an event to the ring (lock held); takes text.  alert: the entry id
 * of an alert event, NULL for a minute event. */
static void ring_push(struct serve *s, char *text, size_t len, const char *alert)
{
    if (!text)
        return;
    size_t k = (size_t)(s->head % SSE_RING);
    free(s->ring[k].text);
    s->ring[k].text = text;
    s->ring[k].len = len;
    snprintf(s->ring[k].alert, sizeof(s->ring[k].alert), "%s", alert ? alert : "");
    s->head++;
}

/* ---------------------------------------------------------------------------
 * The ticker
 * ------------------------------------------------------------------------ */

static void look_for_totals(struct serve *s)
{
    char err[256], t[40];
    int64_t now = pipeline_now_ms(), cur = now - now % AGG_MINUTE_MS;
    int64_t total[2] = {0, 0};
    struct agg_series ser;
    struct agg_store *st;
    if (serve_store_acquire(s, &st, err, sizeof(err)))
        return;
    int rc = agg_store_series(st, AGG_MINUTE, "all", cur - AGG_MINUTE_MS, cur + AGG_MINUTE_MS, &ser,
                              err, sizeof(err));
    serve_store_release(s, st);
    if (rc)
        return;
    for (size_t i = 0; i < ser.n; i++)
        total[ser.points[i].bucket_ms == cur] += ser.points[i].count;
    agg_series_free(&ser);
    pthread_mutex_lock(&s->sse_lock);
    for (int k = 0; k < 2; k++) {
        int64_t m = cur - (1 - k) * AGG_MINUTE_MS;
        int j = m == s->minute_ms[0] ? 0 : m == s->minute_ms[1] ? 1 : -1;
        if (j >= 0 && s->minute_total[j] == total[k])
            continue;
        if (k == 0 && j < 0)
            continue; /* the previous minute, never seen: nothing new to say about it */
        agg_zone_format(s->default_zone, m, t, sizeof(t));
        size_t len = 0;
        char *ev =
            format_event("minute", s->cursor,
                         json_pack("{s:s, s:I}", "minute", t, "total", (json_int_t)total[k]), &len);
        ring_push(s, ev, len, NULL);
    }
    s->minute_ms[0] = cur - AGG_MINUTE_MS;
    s->minute_total[0] = total[0];
    s->minute_ms[1] = cur;
    s->minute_total[1] = total[1];
    pthread_mutex_unlock(&s->sse_lock);
}

static void look_for_alerts(struct serve *s)
{
    char err[256], after[48];
    json_t *list;
    pthread_mutex_lock(&s->sse_lock);
    snprintf(after, sizeof(after), "%s", s->cursor);
    pthread_mutex_unlock(&s->sse_lock);
    if (serve_alerts_read(s, after, NULL, 100, &list, err, sizeof(err)))
        return;
    pthread_mutex_lock(&s->sse_lock);
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *id = json_string_value(json_object_get(e, "stream_id"));
        if (!id || !serve_alert_id_valid(id) || strlen(id) >= sizeof(s->cursor))
            continue;
        snprintf(s->cursor, sizeof(s->cursor), "%s", id);
        size_t len = 0;
        char *ev = format_event("alert", s->cursor, json_incref(e), &len);
        ring_push(s, ev, len, id);
    }
    pthread_mutex_unlock(&s->sse_lock);
    json_decref(list);
}

/* Has the peer closed the connection?  libmicrohttpd does not watch a
 * suspended connection, so a client that went away would hold its place
 * among SERVE_MAX_SSE until a keepalive failed; an event-stream client sends
 * nothing after its request, so a read of 0 bytes means it is gone. */
static int peer_closed(int fd)
{
    char b;
    return fd >= 0 && recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static void *ticker(void *arg)
{
    struct serve *s = arg;
    pthread_mutex_lock(&s->sse_lock);
    while (!s->closing) {
        pthread_mutex_unlock(&s->sse_lock);
        look_for_totals(s);
        look_for_alerts(s);
        pthread_mutex_lock(&s->sse_lock);
        for (struct sse_client *c = s->clients; c; c = c->next)
            if (c->suspended) {
                c->gone = peer_closed(c->fd);
                c->suspended = 0;
                MHD_resume_connection(c->conn);
            }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)(SERVE_SSE_POLL_MS % 1000) * 1000000;
        until.tv_sec += SERVE_SSE_POLL_MS / 1000 + until.tv_nsec / 1000000000;
        until.tv_nsec %= 1000000000;
        if (!s->closing)
            pthread_cond_timedwait(&s->sse_wake, &s->sse_lock, &until);
    }
    pthread_mutex_unlock(&s->sse_lock);
    return NULL;
}

int serve_sse_start(struct serve *s, char *err, size_t errlen)
{
    snprintf(s->cursor, sizeof(s->cursor), "0-0");
    json_t *newest;
    /* start after the newest alert already there: those are history */
    if (serve_alerts_read(s, NULL, NULL, 1, &newest, err, errlen) == 0) {
        const char *id = json_string_value(json_object_get(json_array_get(newest, 0), "stream_id"));
        if (id && serve_alert_id_valid(id) && strlen(id) < sizeof(s->cursor))
            snprintf(s->cursor, sizeof(s->cursor), "%s", id);
        json_decref(newest);
    }
    s->minute_ms[0] = s->minute_ms[1] = -1;
    if (pthread_create(&s->ticker, NULL, ticker, s)) {
        snprintf(err, errlen, "cannot start the event stream's thread");
        return KZ_ENOMEM;
    }
    s->ticker_started = 1;
    return 0;
}

void serve_sse_stop(struct serve *s)
{
    pthread_mutex_lock(&s->sse_lock);
    s->closing = 1;
    pthread_cond_broadcast(&s->sse_wake);
    for (struct sse_client *c = s->clients; c; c = c->next)
        if (c->suspended) {
            c->suspended = 0;
            MHD_resume_connection(c->conn);
        }
    pthread_mutex_unlock(&s->sse_lock);
    if (s->ticker_started)
        pthread_join(s->ticker, NULL);
    s->ticker_started = 0;
}

/* ---------------------------------------------------------------------------
 * Clients
 * ------------------------------------------------------------------------ */

/* The current minute's total as an event (sse_lock held), so that a client
 * has a start; NULL before the ticker's first look. */
static char *minute_event(struct serve *s, size_t *len)
{
    char t[40];
    *len = 0;
    if (s->minute_ms[1] < 0)
        return NULL;
    agg_zone_format(s->default_zone, s->minute_ms[1], t, sizeof(t));
    return format_event(
        "minute", s->cursor,
        json_pack("{s:s, s:I}", "minute", t, "total", (json_int_t)s->minute_total[1]), len);
}

/* Start c's catch-up from Redis when alerts after c->after are in the
 * stream (sse_lock held): the alerts up to the ticker's newest, then the
 * minute's total.  1 when started. */
static int catch_up(struct sse_client *c)
{
    struct serve *s = c->s;
    size_t n;
    if (!s->cfg.redis || serve_alert_id_cmp(c->after, s->cursor) >= 0)
        return 0;
    snprintf(c->upto, sizeof(c->upto), "%s", s->cursor);
    c->paging = 1;
    free(c->then);
    c->then = minute_event(s, &n);
    return 1;
}

/* The next page of a resuming client's backlog into c->buf (sse_lock not
 * held; only the client's own reader uses these fields): the alerts after
 * c->after up to c->upto, as events; when the backlog is done, what follows
 * it.  A Redis failure ends the backlog with a "gap" event. */
static void next_page(struct sse_client *c)
{
    struct serve *s = c->s;
    json_t *list = NULL;
    char err[256];
    char *buf = NULL;
    size_t blen = 0, n = 0;
    FILE *f = open_memstream(&buf, &blen);
    if (!f) {
        c->paging = 0;
        return;
    }
    if (serve_alerts_read(s, c->after, c->upto, RESUME_PAGE, &list, err, sizeof(err))) {
        char *ev = format_event("gap", c->after,
                                json_pack("{s:s, s:s}", "after", c->after, "message",
                                          "the alerts after this one could not be read: "
                                          "reconnect, or read /api/v1/alerts"),
                                &n);
        if (ev)
            fwrite(ev, 1, n, f);
        free(ev);
        c->paging = 0;
    } else {
        size_t i, advanced = 0;
        json_t *e;
        json_array_foreach(list, i, e)
        {
            const char *id = json_string_value(json_object_get(e, "stream_id"));
            if (!id || !serve_alert_id_valid(id) || strlen(id) >= sizeof(c->after))
                continue;
            char *ev = format_event("alert", id, json_incref(e), &n);
            if (ev)
                fwrite(ev, 1, n, f);
            free(ev);
            snprintf(c->after, sizeof(c->after), "%s", id);
            advanced++;
        }
        if (json_array_size(list) < RESUME_PAGE || !advanced || !strcmp(c->after, c->upto))
            c->paging = 0;
        json_decref(list);
    }
    if (!c->paging && c->then) {
        fputs(c->then, f);
        free(c->then);
        c->then = NULL;
    }
    if (fclose(f)) {
        free(buf);
        return;
    }
    pthread_mutex_lock(&s->sse_lock);
    free(c->buf);
    c->buf = buf;
    c->len = blen;
    c->off = 0;
    pthread_mutex_unlock(&s->sse_lock);
}

static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
    struct sse_client *c = cls;
    struct serve *s = c->s;
    pthread_mutex_lock(&s->sse_lock);
    if (s->closing || c->gone) {
        pthread_mutex_unlock(&s->sse_lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    while (c->off == c->len) {
        if (c->paging) { /* catching up: the next page from Redis, read outside the lock */
            pthread_mutex_unlock(&s->sse_lock);
            next_page(c);
            pthread_mutex_lock(&s->sse_lock);
            if (c->off < c->len || c->paging)
                continue;
        }
        free(c->buf);
        c->buf = NULL;
        c->len = c->off = 0;
        uint64_t oldest = s->head > SSE_RING ? s->head - SSE_RING : 0;
        if (c->seq < oldest) {
            /* The client read too slowly and the ring moved past it: the
             * alerts it missed are read again from Redis, from the last one
             * it was sent, then the minute's total; the ring goes on from
             * now.  Minute totals in between are superseded by that one. */
            c->seq = s->head;
            if (catch_up(c))
                continue;
            size_t n;
            c->buf = minute_event(s, &n);
        }
        while (!c->buf && c->seq < s->head) {
            const char *t = s->ring[c->seq % SSE_RING].text;
            size_t n = s->ring[c->seq % SSE_RING].len;
            const char *alert = s->ring[c->seq % SSE_RING].alert;
            /* a resumed client may know an alert this server's poller had not
             * read yet when it connected: not twice */
            int known = alert[0] && c->after[0] && serve_alert_id_cmp(alert, c->after) <= 0;
            if (!known && (c->buf = malloc(n + 1))) {
                memcpy(c->buf, t, n + 1);
                if (alert[0])
                    snprintf(c->after, sizeof(c->after), "%s", alert);
            }
            c->seq++;
        }
        if (!c->buf && mono_ms() - c->last_write_ms >= KEEPALIVE_MS)
            c->buf = strdup(":\n\n");
        c->len = c->buf ? strlen(c->buf) : 0;
        break;
    }
    if (c->off == c->len) { /* nothing to send: wait for the ticker */
        c->suspended = 1;
        pthread_mutex_unlock(&s->sse_lock);
        MHD_suspend_connection(c->conn);
        return 0;
    }
    size_t n = c->len - c->off < max ? c->len - c->off : max;
    memcpy(out, c->buf + c->off, n);
    c->off += n;
    c->last_write_ms = mono_ms();
    pthread_mutex_unlock(&s->sse_lock);
    return (ssize_t)n;
}

static void client_free(void *cls)
{
    struct sse_client *c = cls;
    struct serve *s = c->s;
    pthread_mutex_lock(&s->sse_lock);
    for (struct sse_client **p = &s->clients; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            s->nclients--;
            break;
        }
    pthread_mutex_unlock(&s->sse_lock);
    free(c->buf);
    free(c->then);
    free(c);
}

struct MHD_Response *serve_sse_response(struct serve *s, struct MHD_Connection *conn,
                                        const char *last_id, unsigned *status)
{
    struct sse_client *c = calloc(1, sizeof(*c));
    *status = 500;
    if (!c)
        return NULL;
    c->s = s;
    c->conn = conn;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    c->fd = ci ? ci->connect_fd : -1;
    pthread_mutex_lock(&s->sse_lock);
    if (s->nclients >= SERVE_MAX_SSE || s->closing) {
        pthread_mutex_unlock(&s->sse_lock);
        free(c);
        *status = 503;
        return NULL;
    }
    c->seq = s->head;
    /* The alerts the client is to get are those after its Last-Event-ID, or
     * after now.  Resuming, the backlog is read page by page by the reader,
     * and the minute's total waits for its end (its id is the newest alert's). */
    int resume = last_id && serve_alert_id_valid(last_id) && strlen(last_id) < sizeof(c->after);
    snprintf(c->after, sizeof(c->after), "%s", resume ? last_id : s->cursor);
    size_t now_len = 0;
    char *now_ev = catch_up(c) ? NULL : minute_event(s, &now_len);
    c->next = s->clients;
    s->clients = c;
    s->nclients++;
    pthread_mutex_unlock(&s->sse_lock);
    if (asprintf(&c->buf, "retry: 2000\n\n%.*s", (int)now_len, now_ev ? now_ev : "") < 0)
        c->buf = NULL;
    c->len = c->buf ? strlen(c->buf) : 0;
    free(now_ev);
    c->last_write_ms = mono_ms();
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, c, client_free);
    if (!r)
        client_free(c);
    return r;
}
