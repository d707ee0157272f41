/*
 * deliver_am.c -- Alertmanager's set of firing alerts, and its re-sends.
 *
 * Alertmanager resolves a firing alert (one without endsAt) resolve_timeout
 * after it last heard of it, and expects whoever fires alerts to repeat them
 * meanwhile.  So each Alertmanager receiver keeps the alerts it delivered
 * that are still firing (the latest body by alert id, dropped when resolved or
 * older than am_max_age_ms, at most AM_MAX_FIRING) and re-sends them all in
 * one POST every am_resend_ms.  A process that takes the receiver's lease
 * rebuilds the set from the stream entries up to the cursor (those of the last
 * am_max_age_ms), so a restart or a takeover does not let alerts expire.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver_int.h"

/* ---------------------------------------------------------------------------
 * Alertmanager's firing set
 * ------------------------------------------------------------------------ */

void dl_firing_drop(struct dl_rx *r, size_t i)
{
    free(r->firing[i].alert);
    r->firing[i] = r->firing[--r->nfiring];
}

/* Note an event delivered to Alertmanager: body is the one-element array. */
void dl_firing_note(struct alerts_delivery *d, struct dl_rx *r, const char *alert_id,
                    const char *event, const char *body, int64_t when_ms)
{
    size_t i = 0;
    while (i < r->nfiring && strcmp(r->firing[i].id, alert_id))
        i++;
    if (i < r->nfiring)
        dl_firing_drop(r, i);
    if (!strcmp(event, "resolved"))
        return;
    if (r->nfiring == AM_MAX_FIRING) {
        dl_log("alertmanager \"%s\": over %d firing alerts; %s is not re-sent", r->name,
               AM_MAX_FIRING, alert_id);
        return;
    }
    size_t n = strlen(body);
    char *a = n >= 2 ? strndup(body + 1, n - 2) : NULL; /* the element, without [ ] */
    if (!a)
        return;
    struct dl_firing *f = &r->firing[r->nfiring++];
    snprintf(f->id, sizeof f->id, "%s", alert_id);
    f->alert = a;
    f->last_ms = when_ms;
}

/* The stream entries of the last am_max_age_ms up to r's cursor: the alerts
 * still firing.  0 or -1 (Redis). */
int dl_firing_rebuild(struct alerts_delivery *d, struct dl_rx *r)
{
    char start[48], err[160];
    int64_t now = dl_wall_ms();
    while (r->nfiring)
        dl_firing_drop(r, r->nfiring - 1);
    if (!strcmp(r->cursor, "0-0"))
        return 0;
    snprintf(start, sizeof start, "%" PRId64, now - d->c.am_max_age_ms);
    for (;;) {
        const char *argv[] = {"XRANGE", d->stream, start, r->cursor, "COUNT", "500"};
        redisReply *rep = dl_rcmd(d, 6, argv);
        if (!rep)
            return -1;
        size_t n = rep->type == REDIS_REPLY_ARRAY ? rep->elements : 0;
        for (size_t i = 0; i < n; i++) {
            struct dl_entry e;
            char *body = NULL;
            if (dl_entry_parse(rep->element[i], &e) == 0 && e.record && e.alert_id[0] &&
                alerts_am_json(e.record, e.n, dl_entry_event(&e), d->generator_url, &body, err,
                               sizeof err) == 0)
                dl_firing_note(d, r, e.alert_id, dl_entry_event(&e), body, strtoll(e.id, NULL, 10));
            free(body);
            free(e.record);
        }
        /* the next page starts just after the last id */
        unsigned long long ms = 0, seq = 0;
        const redisReply *last = n ? rep->element[n - 1] : NULL;
        bool more = n == 500 && last->type == REDIS_REPLY_ARRAY && last->elements >= 1 &&
                    last->element[0]->type == REDIS_REPLY_STRING &&
                    sscanf(last->element[0]->str, "%llu-%llu", &ms, &seq) == 2;
        snprintf(start, sizeof start, "%llu-%llu", ms, seq + 1);
        freeReplyObject(rep);
        if (!more)
            break;
    }
    if (r->nfiring)
        dl_log("alertmanager \"%s\": %zu firing alert%s to keep re-sending", r->name, r->nfiring,
               r->nfiring == 1 ? "" : "s");
    r->resend_ms = 0; /* at once: Alertmanager may have forgotten them */
    return 0;
}

/* Re-send r's firing alerts when due.  Failures are logged, not retried
 * before the next period. */
void dl_firing_resend(struct alerts_delivery *d, struct dl_rx *r, int64_t now)
{
    if (!r->nfiring || now < r->resend_ms)
        return;
    r->resend_ms = now + d->c.am_resend_ms;
    int64_t wnow = dl_wall_ms();
    for (size_t i = r->nfiring; i-- > 0;)
        if (wnow - r->firing[i].last_ms > d->c.am_max_age_ms)
            dl_firing_drop(r, i);
    size_t len = 2;
    for (size_t i = 0; i < r->nfiring; i++)
        len += strlen(r->firing[i].alert) + 1;
    char *body = malloc(len + 1);
    struct curl_slist *hdr = dl_json_headers();
    if (body && hdr && r->nfiring) {
        size_t k = 0;
        body[k++] = '[';
        for (size_t i = 0; i < r->nfiring; i++) {
            if (i)
                body[k++] = ',';
            size_t n = strlen(r->firing[i].alert);
            memcpy(body + k, r->firing[i].alert, n);
            k += n;
        }
        body[k++] = ']';
        body[k] = '\0';
        struct dl_http_result res;
        dl_count(d, r, DL_ATTEMPTS);
        if (dl_http_post(r->curl, r->url, hdr, body, k, d->c.connect_timeout_ms, d->c.timeout_ms,
                         d->stop, &res)) {
            dl_count(d, r, DL_FAILED);
            dl_log("alertmanager \"%s\": re-sending %zu firing alerts failed: %s; again in %.0f s",
                   r->name, r->nfiring, res.detail, (double)d->c.am_resend_ms / 1000);
        } else {
            dl_count(d, r, DL_RESENT);
        }
    }
    curl_slist_free_all(hdr);
    free(body);
}
