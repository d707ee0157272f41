/*
 * deliver_int.h -- what the files of delivery share; no other module sees it:
 *   deliver.c        the loop: receivers, sending an entry, the public side;
 *   deliver_redis.c  Redis: the connection, leases, cursors, the stream;
 *   deliver_am.c     Alertmanager's set of firing alerts and its re-sends;
 *   deliver_http.c   HTTP attempts, the retry schedule, the Alertmanager body.
 * deliver.c's opening comment holds the design.
 */
#ifndef KZ_ALERTS_DELIVER_INT_H
#define KZ_ALERTS_DELIVER_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>

#include "alerts.h"

#define DL_LOG_PREFIX "kzpulse alerts: deliver: "
#define ENTRY_ID_MAX 48
#define AM_MAX_FIRING 10000
#define REDIS_RETRY_MAX_MS 30000

/* The counters of struct alerts_rx_stats that /metrics shows too. */
enum dl_stat {
    DL_DELIVERED,
    DL_ATTEMPTS,
    DL_FAILED,
    DL_RETRIED,
    DL_MALFORMED,
    DL_RESENT,
    DL_NSTAT
};

struct dl_entry {
    char id[ENTRY_ID_MAX];
    char alert_id[ALERTS_ID_LEN + 1];
    char event[16];
    char *record; /* NULL: the entry had none */
    size_t n;
    const char *bad; /* a field that is not a plain token ("id", "event"), or NULL */
};

struct dl_firing {
    char id[ALERTS_ID_LEN + 1];
    char *alert;     /* one alert's JSON object (the array's element) */
    int64_t last_ms; /* wall clock of its last event */
};

struct dl_rx {
    enum alerts_rx_kind kind;
    char name[ALERTS_RX_NAME_MAX + 1];
    char *url; /* webhook: as given; Alertmanager: base + /api/v2/alerts */
    FILE *f;   /* JSON lines */
    bool f_own, f_sync;
    struct alerts_secret secret;
    CURL *curl;
    char *lease_key;
    bool held;
    bool ready; /* taken whole (cursor read, firing set rebuilt) and not lost since */
    bool sent;  /* the queue's head was delivered; its cursor move is pending */
    bool sent_after_failures;
    int64_t renewed_ms;    /* mono: when the lease was last taken or renewed */
    int64_t next_lease_ms; /* mono: when to try for the lease again */
    char cursor[ENTRY_ID_MAX];
    struct dl_entry *q;
    size_t nq, qhead;
    int attempt;     /* failed attempts of the queue's head */
    int64_t next_ms; /* mono: the head's next attempt */
    struct dl_firing *firing;
    size_t nfiring;
    int64_t resend_ms; /* mono: the next re-send */
    struct alerts_rx_stats st;
};

struct alerts_delivery {
    struct alerts_delivery_config c;
    char *stream, *cursor_key, *lease_prefix, *generator_url;
    struct agg_redis_addr addr;
    char *password; /* NULL: the URL's */
    redisContext *redis;
    int64_t redis_next_ms;
    int redis_fails;
    char token[96];
    struct dl_rx rx[ALERTS_RX_MAX];
    size_t nrx;
    volatile sig_atomic_t *stop;
    volatile sig_atomic_t never;
    struct metrics_family *m[DL_NSTAT]; /* NULL: no registry */
    uint64_t rng;
};

/* The outcome of one HTTP attempt. */
struct dl_http_result {
    long status;            /* the HTTP status; 0: no answer */
    int64_t retry_after_ms; /* the answer's Retry-After (0: none) */
    char detail[320];       /* for the log: "HTTP 500: <start of the body>", curl's error */
};

/*
 * POST body[0..n) to url with the headers on h (a handle reused per receiver,
 * so connections are kept), with connect and total timeouts, no redirects,
 * http and https only; the transfer is abandoned as soon as *stop is set.
 * 0 when the answer is 2xx, else KZ_EAGAIN (what happened in res->detail).
 */
int dl_http_post(CURL *h, const char *url, struct curl_slist *headers, const char *body, size_t n,
                 int connect_timeout_ms, int timeout_ms, volatile sig_atomic_t *stop,
                 struct dl_http_result *res);

/* Check an http(s) URL: 0, or KZ_EINVAL with a message naming what. */
int dl_check_url(const char *what, const char *url, char *err, size_t errlen);
/* Content-Type: application/json, and no Expect: 100-continue (NULL: out of
 * memory); the caller frees the list. */
struct curl_slist *dl_json_headers(void);

/* deliver.c: clocks (ms), jitter in [0, 1), the log (one line on stderr). */
int64_t dl_mono_ms(void);
int64_t dl_wall_ms(void);
double dl_rand01(struct alerts_delivery *d);
void dl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* deliver.c: count one k for receiver r, in its stats and on /metrics. */
void dl_count(struct alerts_delivery *d, struct dl_rx *r, enum dl_stat k);

/* deliver_redis.c.  Functions of a receiver return 1 / 0 as they say, and -1
 * when Redis failed (logged; the connection dropped on an I/O error, remade
 * by dl_redis_connect on the next poll). */
int dl_redis_connect(struct alerts_delivery *d); /* 0 or KZ_EAGAIN (waiting to retry) */
void dl_redis_drop(struct alerts_delivery *d, const char *why);
/* A command; NULL when it failed or Redis answered an error (logged). */
redisReply *dl_rcmd(struct alerts_delivery *d, int argc, const char **argv);
/* Hold r's lease: take it, or renew it when `fresh` ms passed since it was
 * last renewed (0: now).  1 held, 0 another process holds it, -1. */
int dl_lease_ensure(struct alerts_delivery *d, struct dl_rx *r, int64_t now, int64_t fresh);
void dl_lose_lease(struct dl_rx *r, const char *why);
void dl_lease_release(struct alerts_delivery *d, struct dl_rx *r); /* if ours */
/* Move r's cursor to id while r's lease is still ours: 1, 0 (lost), -1. */
int dl_cursor_commit(struct alerts_delivery *d, struct dl_rx *r, const char *id);
/* Read the entries after r's cursor into its queue: 0 or -1. */
int dl_queue_fill(struct alerts_delivery *d, struct dl_rx *r);
void dl_queue_clear(struct dl_rx *r);
/* One entry of an XREAD/XRANGE reply (record copied): 0, KZ_EINVAL, KZ_ENOMEM. */
int dl_entry_parse(const redisReply *x, struct dl_entry *e);
/* The event of an entry: its field, else the record's state. */
const char *dl_entry_event(const struct dl_entry *e);
/* Log entries trimmed from the stream before r got them: 0 or -1. */
int dl_trimmed_check(struct alerts_delivery *d, struct dl_rx *r);

/* deliver_am.c: the firing set of an Alertmanager receiver. */
void dl_firing_note(struct alerts_delivery *d, struct dl_rx *r, const char *alert_id,
                    const char *event, const char *body, int64_t when_ms);
int dl_firing_rebuild(struct alerts_delivery *d, struct dl_rx *r); /* 0 or -1 */
void dl_firing_resend(struct alerts_delivery *d, struct dl_rx *r, int64_t now);
void dl_firing_drop(struct dl_rx *r, size_t i);

#endif /* KZ_ALERTS_DELIVER_INT_H */
