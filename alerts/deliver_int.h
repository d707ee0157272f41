/*
 * deliver_int.h -- what deliver.c (the loop, cursors, leases) and
 * deliver_http.c (HTTP, bodies, backoff) share; no other module sees it.
 */
#ifndef KZ_ALERTS_DELIVER_INT_H
#define KZ_ALERTS_DELIVER_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "alerts.h"

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

#endif /* KZ_ALERTS_DELIVER_INT_H */
