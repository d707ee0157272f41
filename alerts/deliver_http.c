/*
 * deliver_http.c -- what alert delivery sends and how: the HTTP attempt
 * (libcurl), the retry schedule, the webhook-id, and the Alertmanager body.
 *
 * Retry schedule: "equal jitter" exponential backoff (the AWS architecture
 * blog's "Exponential Backoff And Jitter"): attempt k waits uniformly in
 * [b/2, b], b = min(max, min * 2^(k-1)), so processes that failed together do
 * not retry together, and the wait never drops under the minimum.
 *
 * Alertmanager (API v2, POST /api/v2/alerts) identifies an alert by its label
 * set, so the labels hold only what never changes during an episode: the rule,
 * its kind and severity, the region, the dimension and kzpulse_id (the alert
 * id; two episodes of one rule in one region stay two alerts).  The figures,
 * which move with every update, are annotations.  A firing alert has no
 * endsAt (Alertmanager then resolves it resolve_timeout after the last time
 * it heard of it, which is why deliver.c re-sends firing alerts); a resolved
 * one has endsAt = the end of its last hot minute.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "deliver_int.h"

/* ---------------------------------------------------------------------------
 * Retry schedule and webhook-id
 * ------------------------------------------------------------------------ */

int64_t alerts_backoff_ms(int attempt, int64_t min_ms, int64_t max_ms, double u)
{
    if (min_ms < 1)
        min_ms = 1;
    if (max_ms < min_ms)
        max_ms = min_ms;
    if (!(u >= 0) || u >= 1)
        u = 0;
    int64_t b = min_ms;
    for (int k = 1; k < attempt && b < max_ms; k++)
        b = b > max_ms / 2 ? max_ms : b * 2;
    if (b > max_ms)
        b = max_ms;
    int64_t d = b / 2 + (int64_t)(u * (double)(b - b / 2));
    return d < min_ms ? min_ms : d;
}

int alerts_webhook_msg_id(const char *alert_id, const char *event, const char *entry_id, char *out,
                          size_t outlen)
{
    int n = snprintf(out, outlen, "kzp_%s_%s_%s", alert_id, event, entry_id);
    return n < 0 || (size_t)n >= outlen ? KZ_ERANGE : 0;
}

/* ---------------------------------------------------------------------------
 * HTTP
 * ------------------------------------------------------------------------ */

int dl_check_url(const char *what, const char *url, char *err, size_t errlen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = 0;

    if (!u)
        return KZ_ENOMEM;
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f) {
            snprintf(err, errlen, "%s: the URL \"%s\" holds a space or a control character", what,
                     url);
            curl_url_cleanup(u);
            return KZ_EINVAL;
        }
    if (strlen(url) > 2048 || curl_url_set(u, CURLUPART_URL, url, 0) ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) ||
        (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
        snprintf(err, errlen, "%s: expected an http:// or https:// URL; got \"%.200s\"", what, url);
        rc = KZ_EINVAL;
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

struct sink {
    char text[160];
    size_t n;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    struct sink *s = ud;
    size_t n = size * nmemb, room = sizeof(s->text) - 1 - s->n;
    memcpy(s->text + s->n, p, n < room ? n : room);
    s->n += n < room ? n : room;
    return n; /* the rest is read and dropped: the connection stays usable */
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    volatile sig_atomic_t *stop = ud;
    return stop && *stop ? 1 : 0;
}

/* The start of an answer's body as one printable line. */
static void body_line(struct sink *s)
{
    s->text[s->n] = '\0';
    for (size_t i = 0; i < s->n; i++)
        if ((unsigned char)s->text[i] < ' ')
            s->text[i] = ' ';
}

int dl_http_post(CURL *h, const char *url, struct curl_slist *headers, const char *body, size_t n,
                 int connect_timeout_ms, int timeout_ms, volatile sig_atomic_t *stop,
                 struct dl_http_result *res)
{
    struct sink s = {.n = 0};
    char cerr[CURL_ERROR_SIZE] = "";

    memset(res, 0, sizeof(*res));
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)stop);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "kzpulse/0.1");

    CURLcode cc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    if (cc != CURLE_OK) {
        if (cc == CURLE_ABORTED_BY_CALLBACK)
            snprintf(res->detail, sizeof(res->detail), "abandoned: the process is stopping");
        else
            snprintf(res->detail, sizeof(res->detail), "%s%s%s", curl_easy_strerror(cc),
                     cerr[0] ? ": " : "", cerr);
        return KZ_EAGAIN;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
    curl_off_t ra = 0;
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
        res->retry_after_ms = (int64_t)(ra > 86400 ? 86400 : ra) * 1000;
    body_line(&s);
    /* A 4xx but 408 and 429 will not mend by itself: say so, and retry anyway
     * (skipping would lose the alert; a person mends the receiver). */
    bool refused =
        res->status >= 400 && res->status < 500 && res->status != 408 && res->status != 429;
    snprintf(res->detail, sizeof(res->detail), "HTTP %ld%s%s%s", res->status, s.n ? ": " : "",
             s.text, refused ? " (the receiver refuses it: check its URL and configuration)" : "");
    return res->status >= 200 && res->status < 300 ? 0 : KZ_EAGAIN;
}

struct curl_slist *dl_json_headers(void)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *h2 = h ? curl_slist_append(h, "Expect:") : NULL;
    if (!h2)
        curl_slist_free_all(h);
    return h2;
}

/* ---------------------------------------------------------------------------
 * The Alertmanager body
 * ------------------------------------------------------------------------ */

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* "2026-03-05T10:15:00Z" + secs, the same form; 0 or -1. */
static int rfc3339_add(const char *t, int secs, char out[32])
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = t ? strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
    if (!end || *end)
        return -1;
    alerts_rfc3339(((int64_t)timegm(&tm) + secs) * 1000, out);
    return 0;
}

/* Cut s to at most max bytes, at a UTF-8 character boundary. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

static int put(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len + n + 1 > cap)
        return -1;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
    return 0;
}

/* "member (count), ..." of a top list. */
static void members_text(json_t *a, char *buf, size_t cap)
{
    size_t len = 0;
    size_t i;
    json_t *m;
    buf[0] = '\0';
    json_array_foreach(a, i, m)
    {
        char one[300];
        const char *s = jstr(m, "member");
        int k = snprintf(one, sizeof one, "%s%s (%lld)", i ? ", " : "", s ? s : "?",
                         (long long)json_integer_value(json_object_get(m, "count")));
        if (k < 0 || (size_t)k >= sizeof one || put(buf, cap, &len, one, (size_t)k))
            break;
    }
}

/* Up to 5 sample posts, one a line: "platform/author: text" (each cut at 280
 * bytes), all of it within cap. */
static void samples_text(json_t *a, char *buf, size_t cap)
{
    size_t len = 0;
    size_t i;
    json_t *p;
    buf[0] = '\0';
    json_array_foreach(a, i, p)
    {
        if (i == 5)
            break;
        const char *plat = jstr(p, "platform"), *who = jstr(p, "author"), *text = jstr(p, "text");
        char head[200];
        int k = snprintf(head, sizeof head, "%s%s%s%s: ", i ? "\n" : "", plat ? plat : "",
                         plat && who ? "/" : "", who ? who : "");
        if (k < 0 || (size_t)k >= sizeof head || put(buf, cap, &len, head, (size_t)k))
            break;
        if (text && put(buf, cap, &len, text, utf8_cut(text, strlen(text), 280)))
            break;
    }
}

static int am_fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "not an alert record: %s", what);
    return KZ_EINVAL;
}

int alerts_am_json(const char *record, size_t n, const char *event, const char *generator_url,
                   char **out, char *err, size_t errlen)
{
    json_error_t je;
    json_t *rec = json_loadb(record, n, 0, &je);
    int rc = 0;

    *out = NULL;
    if (!json_is_object(rec)) {
        json_decref(rec);
        return am_fail(err, errlen, rec ? "not a JSON object" : je.text);
    }
    const char *id = jstr(rec, "id"), *rule = jstr(rec, "rule"), *kind = jstr(rec, "kind"),
               *sev = jstr(rec, "severity"), *dim = jstr(rec, "dimension"),
               *region = jstr(rec, "region"), *rname = jstr(rec, "region_name"),
               *first = jstr(rec, "first_minute"), *last = jstr(rec, "last_minute"),
               *state = jstr(rec, "state");
    char ends[32], starts[32];
    bool resolved = (event && !strcmp(event, "resolved")) || (state && !strcmp(state, "resolved"));
    if (!id || !*id || !rule || !*rule || !first || !last) {
        json_decref(rec);
        return am_fail(err, errlen, "id, rule, first_minute and last_minute are required");
    }
    if (rfc3339_add(first, 0, starts) || rfc3339_add(last, 60, ends)) {
        json_decref(rec);
        return am_fail(err, errlen, "first_minute and last_minute must be RFC 3339 UTC times");
    }

    json_t *count = json_object_get(rec, "count"), *authors = json_object_get(rec, "authors");
    double expected = json_number_value(json_object_get(rec, "expected"));
    double prob = json_number_value(json_object_get(rec, "probability"));
    json_t *ev = json_object_get(rec, "evidence");
    char where[300], summary[700], desc[900], num[64], terms[1024], tags[1024], samples[2048];

    if (region && rname)
        snprintf(where, sizeof where, "%s (%s)", rname, region);
    else
        snprintf(where, sizeof where, "%s", region ? region : "all regions");
    char authors_s[32] = "unknown";
    if (json_is_integer(authors))
        snprintf(authors_s, sizeof authors_s, "%lld", (long long)json_integer_value(authors));
    snprintf(summary, sizeof summary, "%s: %lld posts by %s authors in %s, %.1f expected", rule,
             (long long)json_integer_value(count), authors_s, where, expected);
    snprintf(desc, sizeof desc,
             "kzpulse %s alert (%s) on %s, from the minute %s to %s; P(at least this many) = %.3g "
             "under the baseline.",
             kind ? kind : "?", resolved ? "resolved" : "firing", dim ? dim : "?", first, last,
             prob);
    members_text(json_object_get(ev, "top_terms"), terms, sizeof terms);
    members_text(json_object_get(ev, "top_hashtags"), tags, sizeof tags);
    samples_text(json_object_get(ev, "samples"), samples, sizeof samples);

    json_t *labels = json_object(), *ann = json_object(), *alert = json_object(),
           *arr = json_array();
    json_object_set_new(labels, "alertname", json_string(rule));
    json_object_set_new(labels, "rule", json_string(rule));
    if (kind && *kind)
        json_object_set_new(labels, "kind", json_string(kind));
    json_object_set_new(labels, "severity", json_string(sev && *sev ? sev : "warning"));
    json_object_set_new(labels, "region", json_string(region && *region ? region : "all"));
    if (dim && *dim)
        json_object_set_new(labels, "dim", json_string(dim));
    json_object_set_new(labels, "kzpulse_id", json_string(id));
    json_object_set_new(ann, "summary", json_string(summary));
    json_object_set_new(ann, "description", json_string(desc));
    snprintf(num, sizeof num, "%lld", (long long)json_integer_value(count));
    json_object_set_new(ann, "count", json_string(num));
    json_object_set_new(ann, "authors", json_string(authors_s));
    snprintf(num, sizeof num, "%.2f", expected);
    json_object_set_new(ann, "expected", json_string(num));
    snprintf(num, sizeof num, "%.3g", prob);
    json_object_set_new(ann, "probability", json_string(num));
    if (tags[0])
        json_object_set_new(ann, "top_hashtags", json_string(tags));
    if (terms[0])
        json_object_set_new(ann, "top_terms", json_string(terms));
    if (samples[0])
        json_object_set_new(ann, "samples", json_string(samples));
    json_object_set_new(alert, "labels", labels);
    json_object_set_new(alert, "annotations", ann);
    json_object_set_new(alert, "startsAt", json_string(starts));
    if (resolved)
        json_object_set_new(alert, "endsAt", json_string(ends));
    if (generator_url && *generator_url) {
        size_t gl = strlen(generator_url) + strlen(id) + 1;
        char *g = malloc(gl);
        if (g) {
            snprintf(g, gl, "%s%s", generator_url, id);
            json_object_set_new(alert, "generatorURL", json_string(g));
            free(g);
        }
    }
    json_array_append_new(arr, alert);
    /* json_string() refuses invalid UTF-8 (a cut never makes any): a missing
     * member shows as a NULL set, which only memory pressure causes. */
    *out = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!*out)
        rc = KZ_ENOMEM;
    json_decref(arr);
    json_decref(rec);
    return rc;
}
