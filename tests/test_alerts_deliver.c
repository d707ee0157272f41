/*
 * test_alerts_deliver.c -- the parts of alert delivery (alerts/deliver*.c)
 * that need no server: the retry schedule, the webhook-id, the Alertmanager
 * body made from a real record (alerts_record_fill + alerts_record_json), the
 * checks of the configuration and of every receiver spec, and a poll against
 * a Redis that is not there (an error and a wait, never a crash).  The
 * deliveries themselves are tested against real servers by
 * cli_alerts_webhook.sh, cli_alerts_sigkill.sh and cli_alerts_alertmanager.sh.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "alerts.h"
#include "tap.h"

static void test_backoff(void)
{
    /* attempt k: b = min(max, 1 s * 2^(k-1)), then [b/2, b], never under 1 s */
    CHECK_EQ_INT(alerts_backoff_ms(1, 1000, 300000, 0), 1000);
    CHECK_EQ_INT(alerts_backoff_ms(1, 1000, 300000, 0.999), 1000);
    CHECK_EQ_INT(alerts_backoff_ms(2, 1000, 300000, 0), 1000);
    CHECK_EQ_INT(alerts_backoff_ms(2, 1000, 300000, 0.5), 1500);
    CHECK_EQ_INT(alerts_backoff_ms(3, 1000, 300000, 0), 2000);
    CHECK_EQ_INT(alerts_backoff_ms(4, 1000, 300000, 0.5), 6000);
    CHECK_EQ_INT(alerts_backoff_ms(9, 1000, 300000, 0), 128000);
    /* 2^9 s is over the cap: [150 s, 300 s] */
    CHECK_EQ_INT(alerts_backoff_ms(10, 1000, 300000, 0), 150000);
    CHECK(alerts_backoff_ms(10, 1000, 300000, 0.9999) <= 300000);
    CHECK(alerts_backoff_ms(10, 1000, 300000, 0.9999) >= 299000);
    /* no overflow however many attempts, nor with a bad u */
    CHECK_EQ_INT(alerts_backoff_ms(1000000, 1000, 300000, 0), 150000);
    CHECK_EQ_INT(alerts_backoff_ms(64, 1000, 300000, -1), 150000);
    CHECK_EQ_INT(alerts_backoff_ms(64, 1000, 300000, 7), 150000);
    /* every wait within [min, max] and at least half its step, for any u */
    int ok = 1;
    for (int k = 1; k <= 70; k++)
        for (double u = 0; u < 1; u += 0.125) {
            int64_t d = alerts_backoff_ms(k, 1000, 300000, u);
            int64_t b = k > 20 ? 300000 : (int64_t)1000 << (k - 1);
            if (b > 300000)
                b = 300000;
            if (d < 1000 || d > 300000 || d < b / 2 || d > b)
                ok = 0;
        }
    CHECK(ok);
    /* the schedule never shrinks from one attempt to the next (same u) */
    ok = 1;
    for (int k = 1; k < 40; k++)
        if (alerts_backoff_ms(k + 1, 1000, 300000, 0.3) < alerts_backoff_ms(k, 1000, 300000, 0.3))
            ok = 0;
    CHECK(ok);
    /* a cap under the minimum: the minimum */
    CHECK_EQ_INT(alerts_backoff_ms(5, 2000, 1000, 0.5), 2000);
}

static void test_msg_id(void)
{
    char id[160];
    CHECK(alerts_webhook_msg_id("0123456789abcdef0123456789abcdef", "resolved", "1772604900000-3",
                                id, sizeof id) == 0);
    CHECK_EQ_STR(id, "kzp_0123456789abcdef0123456789abcdef_resolved_1772604900000-3");
    CHECK(alerts_webhook_msg_id("a", "firing", "1-0", id, 12) == KZ_ERANGE);
}

/* A record as the evaluator makes it: rule, key, state, evidence. */
static char *make_record(enum alerts_event ev, const char *region, const char *name)
{
    struct alerts_rule r;
    struct alerts_state s;
    struct alerts_record rec;
    static const struct alerts_post posts[] = {
        {"tg:1", "telegram", "user_a", "Ертең сағат 12-де алаңға жиналайық", NULL, 1772604900000},
        {"vk:2", "vk", "user_b", "Бәріміз барамыз", "https://vk.com/wall1_2", 1772604960000},
    };
    static const struct alerts_member terms[] = {{"алаң", 41}, {"жиналу", 17}};
    static const struct alerts_member tags[] = {{"жаңаөзен", 22}};
    char dim[64], *json = NULL;

    memset(&r, 0, sizeof r);
    r.id = (char *)"mob_call_region";
    r.kind = ALERTS_CALL;
    r.severity = ALERTS_CRITICAL;
    alerts_state_init(&s);
    s.first_ms = 1772604900000; /* 2026-03-04T06:15:00Z */
    s.last_ms = 1772605200000;  /* 06:20 */
    s.count = 57;
    s.authors = 31;
    s.expected = 4.25;
    s.probability = 1.5e-12;
    if (region)
        snprintf(dim, sizeof dim, "mob:call|region:%s", region);
    else
        snprintf(dim, sizeof dim, "mob:call");
    if (alerts_record_fill(&rec, &r, dim, region, name, &s, ev))
        return NULL;
    rec.samples = posts;
    rec.nsamples = 2;
    rec.top_terms = terms;
    rec.nterms = 2;
    rec.top_hashtags = tags;
    rec.nhashtags = 1;
    alerts_record_json(&rec, &json);
    return json;
}

static const char *label(json_t *alert, const char *k)
{
    return json_string_value(json_object_get(json_object_get(alert, "labels"), k));
}

static const char *annotation(json_t *alert, const char *k)
{
    return json_string_value(json_object_get(json_object_get(alert, "annotations"), k));
}

static void test_am_json(void)
{
    char err[256], *out = NULL, *rec = make_record(ALERTS_EV_FIRING, "KZ-47", "Маңғыстау облысы");
    json_t *a;

    CHECK(rec != NULL);
    CHECK(alerts_am_json(rec, strlen(rec), "firing", "https://kzpulse.example/alerts/", &out, err,
                         sizeof err) == 0);
    a = json_loads(out ? out : "", 0, NULL);
    CHECK(json_is_array(a) && json_array_size(a) == 1);
    json_t *al = json_array_get(a, 0);
    CHECK_EQ_STR(label(al, "alertname"), "mob_call_region");
    CHECK_EQ_STR(label(al, "rule"), "mob_call_region");
    CHECK_EQ_STR(label(al, "kind"), "call");
    CHECK_EQ_STR(label(al, "severity"), "critical");
    CHECK_EQ_STR(label(al, "region"), "KZ-47");
    CHECK_EQ_STR(label(al, "dim"), "mob:call|region:KZ-47");
    char id[ALERTS_ID_LEN + 1];
    alerts_alert_id("mob_call_region", "mob:call|region:KZ-47", 1772604900000, id);
    CHECK_EQ_STR(label(al, "kzpulse_id"), id);
    /* only what never changes in an episode is a label */
    CHECK_EQ_INT(json_object_size(json_object_get(al, "labels")), 7);
    CHECK(strstr(annotation(al, "summary") ? annotation(al, "summary") : "",
                 "57 posts by 31 authors in Маңғыстау облысы (KZ-47), 4.2 expected") != NULL);
    CHECK(annotation(al, "description") != NULL);
    CHECK_EQ_STR(annotation(al, "count"), "57");
    CHECK_EQ_STR(annotation(al, "authors"), "31");
    CHECK_EQ_STR(annotation(al, "probability"), "1.5e-12");
    CHECK_EQ_STR(annotation(al, "top_terms"), "алаң (41), жиналу (17)");
    CHECK_EQ_STR(annotation(al, "top_hashtags"), "жаңаөзен (22)");
    CHECK_EQ_STR(annotation(al, "samples"), "telegram/user_a: Ертең сағат 12-де алаңға жиналайық\n"
                                            "vk/user_b: Бәріміз барамыз");
    CHECK_EQ_STR(json_string_value(json_object_get(al, "startsAt")), "2026-03-04T06:15:00Z");
    CHECK(json_object_get(al, "endsAt") == NULL); /* firing: Alertmanager's resolve_timeout */
    char gen[128];
    snprintf(gen, sizeof gen, "https://kzpulse.example/alerts/%s", id);
    CHECK_EQ_STR(json_string_value(json_object_get(al, "generatorURL")), gen);
    json_decref(a);
    free(out);
    free(rec);

    /* resolved: endsAt is the end of the last hot minute; overall: region "all" */
    rec = make_record(ALERTS_EV_RESOLVED, NULL, NULL);
    CHECK(alerts_am_json(rec, strlen(rec), "resolved", NULL, &out, err, sizeof err) == 0);
    a = json_loads(out ? out : "", 0, NULL);
    al = json_array_get(a, 0);
    CHECK_EQ_STR(json_string_value(json_object_get(al, "endsAt")), "2026-03-04T06:21:00Z");
    CHECK_EQ_STR(label(al, "region"), "all");
    CHECK(json_object_get(al, "generatorURL") == NULL);
    CHECK(strstr(annotation(al, "summary") ? annotation(al, "summary") : "", "in all regions"));
    json_decref(a);
    free(out);
    /* the record's state says resolved even when the event field is missing */
    CHECK(alerts_am_json(rec, strlen(rec), "", NULL, &out, err, sizeof err) == 0);
    CHECK(out && strstr(out, "\"endsAt\":\"2026-03-04T06:21:00Z\""));
    free(out);
    free(rec);

    /* not records */
    const char *bad[] = {"", "[1,2]", "{\"id\":\"x\"}",
                         "{\"id\":\"x\",\"rule\":\"r\","
                         "\"first_minute\":\"yesterday\","
                         "\"last_minute\":\"today\"}",
                         "{not json"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        out = (char *)"untouched";
        err[0] = '\0';
        CHECK(alerts_am_json(bad[i], strlen(bad[i]), "firing", NULL, &out, err, sizeof err) ==
              KZ_EINVAL);
        CHECK(out == NULL);
        CHECK(strncmp(err, "not an alert record: ", 21) == 0);
    }
}

/* A loopback port nothing listens on (bound, then closed). */
static int closed_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t n = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 1;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof a) &&
        !getsockname(fd, (struct sockaddr *)&a, &n))
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void test_config(void)
{
    struct alerts_delivery_config c;
    struct alerts_delivery *d = (struct alerts_delivery *)&c;
    char err[512], url[64];

    alerts_delivery_config_default(&c);
    CHECK(alerts_delivery_new(&c, &d, err, sizeof err) == KZ_EINVAL);
    CHECK(d == NULL);
    CHECK(strstr(err, "Redis URL is required"));
    c.redis_url = "http://127.0.0.1:6379";
    CHECK(alerts_delivery_new(&c, &d, err, sizeof err) == KZ_EINVAL);
    CHECK(strstr(err, "not a redis:// URL"));
    c.redis_url = "redis://127.0.0.1:1";
    c.lease_ms = c.timeout_ms;
    CHECK(alerts_delivery_new(&c, &d, err, sizeof err) == KZ_EINVAL);
    CHECK(strstr(err, "lease must outlast an attempt"));
    alerts_delivery_config_default(&c);
    c.redis_url = "redis://127.0.0.1:1";
    c.batch = 0;
    CHECK(alerts_delivery_new(&c, &d, err, sizeof err) == KZ_EINVAL);

    alerts_delivery_config_default(&c);
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", closed_port());
    c.redis_url = url;
    c.connect_timeout_ms = 500;
    c.timeout_ms = 1000;
    c.lease_ms = 2000;
    CHECK(alerts_delivery_new(&c, &d, err, sizeof err) == 0);
    if (!d)
        return;

    struct alerts_secret key, none;
    memset(&none, 0, sizeof none);
    const char *ws = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    CHECK(alerts_secret_parse(ws, strlen(ws), &key, err, sizeof err) == 0);

    /* webhooks: NAME=URL, http(s), a secret */
    CHECK(alerts_delivery_add(d, ALERTS_RX_WEBHOOK, "http://127.0.0.1:1/x", &key, err,
                              sizeof err) == KZ_EINVAL);
    CHECK(strstr(err, "--webhook: expected NAME=URL"));
    CHECK(alerts_delivery_add(d, ALERTS_RX_WEBHOOK, "ops=ftp://127.0.0.1/x", &key, err,
                              sizeof err) == KZ_EINVAL);
    CHECK(strstr(err, "expected an http:// or https:// URL"));
    CHECK(alerts_delivery_add(d, ALERTS_RX_WEBHOOK, "ops=http://exa mple.org/", &key, err,
                              sizeof err) == KZ_EINVAL);
    CHECK(strstr(err, "space or a control character"));
    CHECK(alerts_delivery_add(d, ALERTS_RX_WEBHOOK, "ops=not a url", &key, err, sizeof err) ==
          KZ_EINVAL);
    CHECK(alerts_delivery_add(d, ALERTS_RX_WEBHOOK, "ops=", &key, err, sizeof err) == KZ_EINVAL);
    CHECK(strstr(err, "nothing after \"ops=\""));
    CHECK(alerts_delivery_add(d, ALERTS_RX_WEBHOOK, "ops=http://127.0.0.1:1/x", &none, err,
                              sizeof err) == KZ_EINVAL);
    CHECK(strstr(err, "no signing secret") && strstr(err, ALERTS_SECRET_ENV));
    CHECK(alerts_delivery_add(d, ALERTS_RX_WEBHOOK, "ops=http://127.0.0.1:1/x", NULL, err,
                              sizeof err) == KZ_EINVAL);
    CHECK(alerts_delivery_add(d, ALERTS_RX_WEBHOOK, "ops=http://127.0.0.1:1/x?a=b", &key, err,
                              sizeof err) == 0);
    CHECK(alerts_delivery_add(d, ALERTS_RX_WEBHOOK, "ops=https://example.org/", &key, err,
                              sizeof err) == KZ_EINVAL);
    CHECK(strstr(err, "\"ops\" is given already"));
    /* Alertmanager: the default name; JSON lines: a file that cannot be made */
    CHECK(alerts_delivery_add(d, ALERTS_RX_ALERTMANAGER, "http://127.0.0.1:1/", NULL, err,
                              sizeof err) == 0);
    CHECK(alerts_delivery_add(d, ALERTS_RX_ALERTMANAGER, "am2=localhost:9093", NULL, err,
                              sizeof err) == KZ_EINVAL);
    CHECK(alerts_delivery_add(d, ALERTS_RX_JSONL, "/nonexistent/dir/alerts.jsonl", NULL, err,
                              sizeof err) == KZ_EIO);
    CHECK(strstr(err, "/nonexistent/dir/alerts.jsonl"));
    CHECK(alerts_delivery_add(d, ALERTS_RX_JSONL, "-", NULL, err, sizeof err) == 0);
    CHECK(alerts_delivery_add(d, (enum alerts_rx_kind)7, "-", NULL, err, sizeof err) == KZ_EINVAL);
    CHECK_EQ_INT(alerts_delivery_count(d), 3);
    struct alerts_rx_stats st;
    CHECK(alerts_delivery_stats(d, 1, &st) == 0);
    CHECK_EQ_STR(st.name, "alertmanager");
    CHECK(alerts_delivery_stats(d, 2, &st) == 0);
    CHECK_EQ_STR(st.name, "out");
    CHECK(alerts_delivery_stats(d, 3, &st) == KZ_ENOTFOUND);
    char spec[64];
    int rc = 0;
    for (int i = 3; i < ALERTS_RX_MAX && !rc; i++) {
        snprintf(spec, sizeof spec, "w%d=http://127.0.0.1:1/", i);
        rc = alerts_delivery_add(d, ALERTS_RX_WEBHOOK, spec, &key, err, sizeof err);
    }
    CHECK_EQ_INT(rc, 0);
    CHECK(alerts_delivery_add(d, ALERTS_RX_WEBHOOK, "one=http://127.0.0.1:1/", &key, err,
                              sizeof err) == KZ_EINVAL);
    CHECK(strstr(err, "at most 16 receivers"));

    /* Redis out of reach: KZ_EAGAIN after a wait no longer than asked, twice */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ_INT(alerts_delivery_poll(d, 300), KZ_EAGAIN);
    CHECK_EQ_INT(alerts_delivery_poll(d, 300), KZ_EAGAIN);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(s < 2.0);
    CHECK(alerts_delivery_stats(d, 0, &st) == 0);
    CHECK_EQ_INT(st.attempts, 0);
    alerts_delivery_free(d);
}

int main(void)
{
    test_backoff();
    test_msg_id();
    test_am_json();
    test_config();
    return TAP_DONE();
}
