/*
 * deliver.c -- alert delivery: the alert stream in Redis to webhooks,
 * Alertmanager and JSON lines, at least once, in order, per receiver.
 *
 * Design.  The evaluator appends every alert event to one Redis stream
 * (alerts.h, "Delivery").  Each receiver has a cursor, the id of the last
 * stream entry it took, in the hash ALERTS_CURSOR_KEY; delivery reads the
 * entries after the cursor (XREAD, in stream order), sends the oldest, and
 * moves the cursor past it only once the receiver said yes (2xx; a line
 * written and flushed).  A failed attempt -- a connection refused, a timeout,
 * any answer but 2xx -- is retried after a backoff (alerts_backoff_ms; a
 * Retry-After longer than it wins), forever: an entry is never skipped, so a
 * receiver that refuses one for good holds its queue until someone looks (the
 * log says so at every attempt).  Only an entry that cannot be delivered to
 * anyone -- no record, a record over max_body, for Alertmanager a record it
 * cannot be mapped from -- is logged and passed (counted in malformed).
 *
 * A crash between the receiver's yes and the cursor's move sends the entry
 * again: at least once, not exactly once.  The webhook-id
 * (alerts_webhook_msg_id: the alert id, the event and the stream entry id) is
 * the same on every attempt and from every process, so a receiver dedupes by
 * it; Alertmanager dedupes by labels itself.
 *
 * Several processes may deliver for availability.  For each receiver one of
 * them holds its lease, a key SET NX PX with a random token; the holder renews
 * it before every attempt and moves the cursor with a script that first checks
 * the token, so a process that lost its lease (paused past the lease, cut from
 * Redis) cannot move a cursor another process now owns.  The others try to
 * take the lease every second or so; a SIGKILLed holder's lease expires after
 * lease_ms and delivery resumes from the cursor.
 *
 * Alertmanager forgets a firing alert resolve_timeout after it last heard of
 * it, so each Alertmanager receiver keeps the firing alerts it delivered
 * (latest body by alert id, dropped when resolved or older than am_max_age_ms)
 * and re-sends them all in one POST every am_resend_ms.  A process that takes
 * the lease rebuilds that set from the stream entries up to the cursor
 * (those of the last am_max_age_ms).
 *
 * One thread; attempts are made one at a time, so a slow receiver delays the
 * others by at most timeout_ms per attempt.
 *
 * This file holds the loop, the sending of an entry and the public side;
 * deliver_redis.c the connection, leases, cursors and reading the stream;
 * deliver_am.c the firing set; deliver_http.c HTTP, the retry schedule and
 * the Alertmanager body (deliver_int.h lists what they share).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deliver_int.h"
#include "metrics.h"

/* ---------------------------------------------------------------------------
 * Small things: clocks, randomness, the log
 * ------------------------------------------------------------------------ */

int64_t dl_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t dl_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*: jitter only, seeded from getrandom. */
double dl_rand01(struct alerts_delivery *d)
{
    d->rng ^= d->rng >> 12;
    d->rng ^= d->rng << 25;
    d->rng ^= d->rng >> 27;
    return (double)((d->rng * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

void dl_count(struct alerts_delivery *d, struct dl_rx *r, enum dl_stat k)
{
    uint64_t *const field[DL_NSTAT] = {
        [DL_DELIVERED] = &r->st.delivered, [DL_ATTEMPTS] = &r->st.attempts,
        [DL_FAILED] = &r->st.failed,       [DL_RETRIED] = &r->st.retried,
        [DL_MALFORMED] = &r->st.malformed, [DL_RESENT] = &r->st.resent,
    };
    const char *labels[] = {r->name, alerts_rx_kind_name(r->kind)};
    (*field[k])++;
    metrics_add(d->m[k], labels, 1);
}

/* The families of dl_count(), in the delivery's registry (none without). */
static void declare_metrics(struct alerts_delivery *d, struct metrics *m)
{
    static const char *const labels[] = {"receiver", "kind", NULL};
    static const struct {
        const char *name, *help;
    } fam[DL_NSTAT] = {
        [DL_DELIVERED] = {"kzpulse_alerts_delivered_total",
                          "Alert stream entries a receiver took (its cursor moved past them)."},
        [DL_ATTEMPTS] = {"kzpulse_alerts_delivery_attempts_total",
                         "Attempts to send to a receiver, first ones and retries."},
        [DL_FAILED] = {"kzpulse_alerts_delivery_failures_total",
                       "Attempts that failed (each is retried with backoff)."},
        [DL_RETRIED] = {"kzpulse_alerts_delivery_retried_total",
                        "Entries that needed more than one attempt."},
        [DL_MALFORMED] = {"kzpulse_alerts_delivery_malformed_total",
                          "Entries with no usable record: logged and passed."},
        [DL_RESENT] = {"kzpulse_alerts_delivery_resent_total",
                       "Alertmanager: periodic re-sends of the firing alerts."},
    };
    for (int k = 0; m && k < DL_NSTAT; k++)
        d->m[k] = metrics_family(m, METRICS_COUNTER, fam[k].name, fam[k].help, labels, NULL, 0);
}

void dl_log(const char *fmt, ...)
{
    va_list ap;
    char line[1024];
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, DL_LOG_PREFIX "%s\n", line);
}

static void sleep_ms(struct alerts_delivery *d, int64_t ms)
{
    while (ms > 0 && !*d->stop) {
        int64_t step = ms > 100 ? 100 : ms;
        struct timespec ts = {0, (long)step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

const char *alerts_rx_kind_name(enum alerts_rx_kind k)
{
    static const char *const names[] = {"webhook", "alertmanager", "jsonl"};
    return (unsigned)k < KZ_ARRAY_LEN(names) ? names[k] : "?";
}

/* ---------------------------------------------------------------------------
 * Sending one entry
 * ------------------------------------------------------------------------ */

/* 0 delivered, KZ_EAGAIN (retry; detail and retry_after set), KZ_EINVAL
 * (the entry cannot be delivered: detail says why). */
static int send_entry(struct alerts_delivery *d, struct dl_rx *r, const struct dl_entry *e,
                      char *detail, size_t dlen, int64_t *retry_after_ms)
{
    const char *event = dl_entry_event(e);
    struct dl_http_result res;
    int rc;

    *retry_after_ms = 0;
    if (e->bad) {
        snprintf(detail, dlen,
                 "its %s field holds bytes other than letters, digits, '-', '_', '.' and ':'",
                 e->bad);
        return KZ_EINVAL;
    }
    if (!e->record) {
        snprintf(detail, dlen, "the entry has no record field");
        return KZ_EINVAL;
    }
    if (e->n > d->c.max_body) {
        snprintf(detail, dlen, "the record is %zu bytes, over the limit of %zu", e->n,
                 d->c.max_body);
        return KZ_EINVAL;
    }
    if (r->kind == ALERTS_RX_JSONL) {
        errno = 0;
        if (fwrite(e->record, 1, e->n, r->f) != e->n || fputc('\n', r->f) == EOF || fflush(r->f) ||
            (r->f_sync && fdatasync(fileno(r->f)))) {
            snprintf(detail, dlen, "write: %s", errno ? strerror(errno) : "failed");
            clearerr(r->f);
            return KZ_EAGAIN;
        }
        return 0;
    }
    if (r->kind == ALERTS_RX_ALERTMANAGER) {
        char *body = NULL;
        struct curl_slist *hdr = dl_json_headers();
        if (!hdr)
            return KZ_EAGAIN;
        if ((rc = alerts_am_json(e->record, e->n, event, d->generator_url, &body, detail, dlen))) {
            curl_slist_free_all(hdr);
            return rc == KZ_ENOMEM ? KZ_EAGAIN : KZ_EINVAL;
        }
        rc = dl_http_post(r->curl, r->url, hdr, body, strlen(body), d->c.connect_timeout_ms,
                          d->c.timeout_ms, d->stop, &res);
        if (rc == 0 && e->alert_id[0])
            dl_firing_note(d, r, e->alert_id, event, body, dl_wall_ms());
        free(body);
        curl_slist_free_all(hdr);
    } else {
        /* Standard Webhooks: a fresh timestamp and signature per attempt, the
         * same id on every attempt. */
        char msgid[160], sig[ALERTS_SIG_LEN + 1], h_id[200], h_ts[64], h_sig[100], h_ev[64];
        int64_t ts = dl_wall_ms() / 1000;
        if (alerts_webhook_msg_id(e->alert_id[0] ? e->alert_id : "none", event, e->id, msgid,
                                  sizeof msgid) ||
            alerts_webhook_sign(&r->secret, msgid, ts, e->record, e->n, sig, sizeof sig)) {
            snprintf(detail, dlen, "cannot sign the entry");
            return KZ_EINVAL;
        }
        snprintf(h_id, sizeof h_id, "webhook-id: %s", msgid);
        snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %" PRId64, ts);
        snprintf(h_sig, sizeof h_sig, "webhook-signature: %s", sig);
        snprintf(h_ev, sizeof h_ev, "kzpulse-event: %s", event);
        struct curl_slist *hdr = dl_json_headers(), *h = hdr;
        const char *more[] = {h_id, h_ts, h_sig, h_ev};
        for (size_t i = 0; h && i < KZ_ARRAY_LEN(more); i++)
            h = curl_slist_append(hdr, more[i]);
        if (!h) {
            curl_slist_free_all(hdr);
            return KZ_EAGAIN;
        }
        rc = dl_http_post(r->curl, r->url, hdr, e->record, e->n, d->c.connect_timeout_ms,
                          d->c.timeout_ms, d->stop, &res);
        curl_slist_free_all(hdr);
    }
    snprintf(detail, dlen, "%s", res.detail);
    *retry_after_ms = res.retry_after_ms;
    return rc;
}

/* Send the queue's head e once: 1 sent (or passed, logged), 0 failed (a retry
 * is scheduled), -1 Redis failed. */
static int send_head(struct alerts_delivery *d, struct dl_rx *r, struct dl_entry *e)
{
    int v;
    /* The lease must outlast the attempt (lease_ms >= timeout_ms + 1 s). */
    if ((v = dl_lease_ensure(d, r, dl_mono_ms(), 1000)) <= 0)
        return v;
    char detail[400];
    int64_t retry_after = 0;
    dl_count(d, r, DL_ATTEMPTS);
    int rc = send_entry(d, r, e, detail, sizeof detail, &retry_after);
    if (rc == KZ_EAGAIN) {
        dl_count(d, r, DL_FAILED);
        if (++r->attempt == 1)
            dl_count(d, r, DL_RETRIED);
        int64_t wait =
            alerts_backoff_ms(r->attempt, d->c.backoff_min_ms, d->c.backoff_max_ms, dl_rand01(d));
        if (retry_after > wait)
            wait = retry_after < d->c.backoff_max_ms ? retry_after : d->c.backoff_max_ms;
        r->next_ms = dl_mono_ms() + wait;
        dl_log("%s \"%s\": entry %s (alert %s, %s): attempt %d failed: %s; next in %.1f s",
               alerts_rx_kind_name(r->kind), r->name, e->id, e->alert_id, dl_entry_event(e),
               r->attempt, detail, (double)wait / 1000);
        return 0;
    }
    if (rc == KZ_EINVAL) {
        dl_count(d, r, DL_MALFORMED);
        dl_log("%s \"%s\": entry %s (alert %s) cannot be delivered and is passed: %s",
               alerts_rx_kind_name(r->kind), r->name, e->id, e->alert_id[0] ? e->alert_id : "?",
               detail);
    } else {
        dl_count(d, r, DL_DELIVERED);
        if (r->attempt)
            dl_log("%s \"%s\": entry %s (alert %s) delivered at attempt %d",
                   alerts_rx_kind_name(r->kind), r->name, e->id, e->alert_id, r->attempt + 1);
    }
    r->sent = true;
    r->sent_after_failures = r->attempt > 0;
    r->attempt = 0;
    r->next_ms = 0;
    return 1;
}

/* Work on receiver r: 1 when it delivered (more may be waiting), 0 when it
 * has nothing to do now, -1 when Redis failed. */
static int rx_step(struct alerts_delivery *d, struct dl_rx *r, int64_t now)
{
    int v;
    int64_t third = d->c.lease_ms / 3;
    if (r->held && r->qhead < r->nq && now < r->next_ms) {
        /* backing off: keep the lease while waiting */
        return dl_lease_ensure(d, r, now, third) < 0 ? -1 : 0;
    }
    if ((v = dl_lease_ensure(d, r, now, third)) <= 0)
        return v;
    if (r->qhead == r->nq) {
        if (dl_queue_fill(d, r))
            return -1;
        if (r->qhead == r->nq) {
            if (r->kind == ALERTS_RX_ALERTMANAGER)
                dl_firing_resend(d, r, now);
            return 0;
        }
    }
    struct dl_entry *e = &r->q[r->qhead];
    if (!r->sent && (v = send_head(d, r, e)) <= 0)
        return v;
    /* Delivered (or passed): move the cursor.  When Redis fails here the
     * entry stays sent, and the next round only commits it. */
    if ((v = dl_cursor_commit(d, r, e->id)) <= 0)
        return v; /* lease lost: the queue is gone (sent again by the next holder) */
    r->sent = false;
    free(e->record);
    e->record = NULL;
    r->qhead++;
    /* back after failures: did the stream trim what waited behind? */
    if (r->sent_after_failures && dl_trimmed_check(d, r) < 0)
        return -1;
    return 1;
}

/* ---------------------------------------------------------------------------
 * The public side
 * ------------------------------------------------------------------------ */

void alerts_delivery_config_default(struct alerts_delivery_config *c)
{
    memset(c, 0, sizeof(*c));
    c->stream = ALERTS_STREAM_KEY;
    c->cursor_key = ALERTS_CURSOR_KEY;
    c->lease_prefix = ALERTS_LEASE_PREFIX;
    c->connect_timeout_ms = 5000;
    c->timeout_ms = 10000;
    c->lease_ms = 30000;
    c->backoff_min_ms = 1000;
    c->backoff_max_ms = 300000;
    c->poll_ms = 200;
    c->batch = 100;
    c->max_body = 1 << 20;
    c->am_resend_ms = 60000;
    c->am_max_age_ms = 86400000;
}

static int cfg_err(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return KZ_EINVAL;
}

int alerts_delivery_new(const struct alerts_delivery_config *c, struct alerts_delivery **out,
                        char *err, size_t errlen)
{
    *out = NULL;
    if (!c->redis_url)
        return cfg_err(err, errlen, "a Redis URL is required");
    if (c->connect_timeout_ms < 100 || c->timeout_ms < 100 || c->connect_timeout_ms > c->timeout_ms)
        return cfg_err(err, errlen, "timeouts: at least 100 ms, the connect one within the total");
    if (c->lease_ms < c->timeout_ms + 1000)
        return cfg_err(err, errlen,
                       "the lease must outlast an attempt: at least the timeout + 1 s");
    if (c->backoff_min_ms < 1 || c->backoff_max_ms < c->backoff_min_ms || c->poll_ms < 1 ||
        c->batch < 1 || c->batch > 10000 || c->max_body < 64 || c->am_resend_ms < 1000 ||
        c->am_max_age_ms < c->am_resend_ms)
        return cfg_err(err, errlen, "delivery settings out of range");
    struct alerts_delivery *d = calloc(1, sizeof(*d));
    if (!d)
        return KZ_ENOMEM;
    d->c = *c;
    int rc = agg_redis_parse_url(c->redis_url, &d->addr, err, errlen);
    if (rc) {
        free(d);
        return rc;
    }
    d->stream = strdup(c->stream ? c->stream : ALERTS_STREAM_KEY);
    d->cursor_key = strdup(c->cursor_key ? c->cursor_key : ALERTS_CURSOR_KEY);
    d->lease_prefix = strdup(c->lease_prefix ? c->lease_prefix : ALERTS_LEASE_PREFIX);
    d->generator_url = c->generator_url ? strdup(c->generator_url) : NULL;
    d->password = c->redis_password ? strdup(c->redis_password) : NULL;
    d->stop = &d->never;
    char host[64] = "host";
    unsigned char rnd[8] = {0};
    gethostname(host, sizeof host - 1);
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        memcpy(rnd, &(int64_t){dl_wall_ms() ^ getpid()}, sizeof rnd);
    memcpy(&d->rng, rnd, sizeof rnd);
    d->rng |= 1;
    snprintf(d->token, sizeof d->token, "%s:%ld:%016" PRIx64, host, (long)getpid(), d->rng);
    if (!d->stream || !d->cursor_key || !d->lease_prefix ||
        (c->generator_url && !d->generator_url) || (c->redis_password && !d->password) ||
        curl_global_init(CURL_GLOBAL_DEFAULT)) {
        alerts_delivery_free(d);
        return KZ_ENOMEM;
    }
    declare_metrics(d, c->metrics);
    *out = d;
    return 0;
}

static bool name_ok(const char *s, size_t n)
{
    if (!n || n > ALERTS_RX_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' || s[i] == '-'))
            return false;
    return true;
}

int alerts_delivery_add(struct alerts_delivery *d, enum alerts_rx_kind kind, const char *spec,
                        const struct alerts_secret *secret, char *err, size_t errlen)
{
    static const char *const defname[] = {NULL, "alertmanager", "out"};
    const char *what = kind == ALERTS_RX_WEBHOOK        ? "--webhook"
                       : kind == ALERTS_RX_ALERTMANAGER ? "--alertmanager"
                                                        : "--deliver-file";
    if ((unsigned)kind > ALERTS_RX_JSONL)
        return cfg_err(err, errlen, "unknown receiver kind");
    if (d->nrx == ALERTS_RX_MAX) {
        snprintf(err, errlen, "%s: at most %d receivers", what, ALERTS_RX_MAX);
        return KZ_EINVAL;
    }
    /* NAME= is a name when what precedes the first '=' is one. */
    const char *eq = strchr(spec, '='), *target = spec;
    char name[ALERTS_RX_NAME_MAX + 1];
    if (eq && name_ok(spec, (size_t)(eq - spec))) {
        snprintf(name, sizeof name, "%.*s", (int)(eq - spec), spec);
        target = eq + 1;
    } else if (defname[kind]) {
        snprintf(name, sizeof name, "%s", defname[kind]);
    } else {
        snprintf(err, errlen,
                 "%s: expected NAME=URL, NAME of 1-%d letters, digits, _ . -; got \"%.200s\"", what,
                 ALERTS_RX_NAME_MAX, spec);
        return KZ_EINVAL;
    }
    for (size_t i = 0; i < d->nrx; i++)
        if (!strcmp(d->rx[i].name, name)) {
            snprintf(err, errlen,
                     "%s: a receiver named \"%s\" is given already (names are the "
                     "cursors' keys: give each its own NAME=)",
                     what, name);
            return KZ_EINVAL;
        }
    if (!*target) {
        snprintf(err, errlen, "%s: nothing after \"%s=\"", what, name);
        return KZ_EINVAL;
    }
    struct dl_rx *r = &d->rx[d->nrx];
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    snprintf(r->name, sizeof r->name, "%s", name);
    int rc;
    if (kind == ALERTS_RX_JSONL) {
        if (!strcmp(target, "-")) {
            r->f = stdout;
        } else if (!(r->f = fopen(target, "a"))) {
            snprintf(err, errlen, "%s: %s: %s", what, target, strerror(errno));
            return KZ_EIO;
        } else {
            struct stat sb;
            r->f_own = true;
            r->f_sync = !fstat(fileno(r->f), &sb) && S_ISREG(sb.st_mode);
        }
    } else {
        if ((rc = dl_check_url(what, target, err, errlen)))
            return rc;
        if (kind == ALERTS_RX_WEBHOOK) {
            if (!secret || !secret->n) {
                snprintf(err, errlen,
                         "%s %s: no signing secret: put it in a file (--webhook-secret-file) or "
                         "in the environment variable %s",
                         what, name, ALERTS_SECRET_ENV);
                return KZ_EINVAL;
            }
            r->secret = *secret;
            r->url = strdup(target);
        } else {
            size_t n = strlen(target);
            while (n && target[n - 1] == '/')
                n--;
            if ((r->url = malloc(n + 16)))
                snprintf(r->url, n + 16, "%.*s/api/v2/alerts", (int)n, target);
        }
        if (!r->url || !(r->curl = curl_easy_init())) {
            free(r->url);
            curl_easy_cleanup(r->curl);
            return KZ_ENOMEM;
        }
    }
    size_t kl = strlen(d->lease_prefix) + strlen(name) + 1;
    if (!(r->lease_key = malloc(kl))) {
        if (r->f_own)
            fclose(r->f);
        free(r->url);
        curl_easy_cleanup(r->curl);
        return KZ_ENOMEM;
    }
    snprintf(r->lease_key, kl, "%s%s", d->lease_prefix, name);
    snprintf(r->cursor, sizeof r->cursor, "0-0");
    if (kind == ALERTS_RX_ALERTMANAGER &&
        !(r->firing = calloc(AM_MAX_FIRING, sizeof(*r->firing)))) {
        free(r->lease_key);
        free(r->url);
        curl_easy_cleanup(r->curl);
        return KZ_ENOMEM;
    }
    r->st.name = r->name;
    r->st.kind = kind;
    d->nrx++;
    return 0;
}

int alerts_delivery_poll(struct alerts_delivery *d, int max_wait_ms)
{
    int64_t now = dl_mono_ms(),
            wake = now + (max_wait_ms < d->c.poll_ms ? max_wait_ms : d->c.poll_ms);
    bool busy = false;

    if (dl_redis_connect(d)) {
        for (size_t i = 0; i < d->nrx; i++)
            d->rx[i].held = false; /* checked again (by token) once back */
        int64_t until = d->redis_next_ms < now + max_wait_ms ? d->redis_next_ms : now + max_wait_ms;
        sleep_ms(d, until - now);
        return KZ_EAGAIN;
    }
    for (size_t i = 0; i < d->nrx && !*d->stop; i++) {
        struct dl_rx *r = &d->rx[i];
        /* a few entries at a time, so one busy receiver does not starve the rest */
        for (int k = 0; k < 16 && !*d->stop; k++) {
            int v = rx_step(d, r, dl_mono_ms());
            if (v < 0) {
                /* an I/O error dropped the connection (the next poll makes
                 * a new one); an error reply was logged: do not spin on it */
                if (d->redis)
                    sleep_ms(d, 1000);
                return KZ_EAGAIN;
            }
            if (v == 0)
                break;
            busy = true;
        }
        if (r->held && r->qhead < r->nq && r->next_ms && r->next_ms < wake)
            wake = r->next_ms;
    }
    if (!busy)
        sleep_ms(d, wake - dl_mono_ms());
    return 0;
}

int alerts_delivery_run(struct alerts_delivery *d, volatile sig_atomic_t *stop)
{
    d->stop = stop ? stop : &d->never;
    while (!*d->stop)
        alerts_delivery_poll(d, 1000);
    /* Leave the leases to the next process at once (a SIGKILL leaves them to
     * expire after lease_ms). */
    for (size_t i = 0; i < d->nrx; i++)
        dl_lease_release(d, &d->rx[i]);
    d->stop = &d->never;
    return 0;
}

size_t alerts_delivery_count(const struct alerts_delivery *d)
{
    return d->nrx;
}

int alerts_delivery_stats(const struct alerts_delivery *d, size_t i, struct alerts_rx_stats *out)
{
    if (i >= d->nrx)
        return KZ_ENOTFOUND;
    *out = d->rx[i].st;
    return 0;
}

void alerts_delivery_free(struct alerts_delivery *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nrx; i++) {
        struct dl_rx *r = &d->rx[i];
        dl_queue_clear(r);
        while (r->nfiring)
            dl_firing_drop(r, r->nfiring - 1);
        free(r->firing);
        if (r->f_own)
            fclose(r->f);
        else if (r->f)
            fflush(r->f);
        curl_easy_cleanup(r->curl);
        free(r->url);
        free(r->lease_key);
        memset(&r->secret, 0, sizeof r->secret);
    }
    if (d->redis)
        redisFree(d->redis);
    free(d->stream);
    free(d->cursor_key);
    free(d->lease_prefix);
    free(d->generator_url);
    if (d->password)
        memset(d->password, 0, strlen(d->password));
    free(d->password);
    memset(&d->addr, 0, sizeof d->addr);
    free(d);
    curl_global_cleanup();
}
