/*
 * test_metrics_registry.c -- the metrics registry (metrics/registry.c): the
 * text exposition of counters, gauges and histograms (a HELP and a TYPE line
 * each, labels in declaration order, cumulative buckets with +Inf, _sum and
 * _count), the bounds on labels (a value that is long or holds other bytes
 * is "other"; a family full of series folds new values into one "other"
 * series), escaping of HELP text, and a collect callback run before rendering.
 */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "tap.h"

static char *render(struct metrics *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    metrics_render(m, f);
    fclose(f);
    return buf;
}

static void collect(void *ctx, struct metrics *m)
{
    metrics_set(ctx, NULL, 42);
}

int main(void)
{
    struct metrics *m;
    static const char *const pl[] = {"platform", "language", NULL};
    static const char *const code[] = {"code", NULL};
    static const double bounds[] = {0.01, 0.1, 1};

    CHECK(metrics_new(&m) == 0);
    struct metrics_family *posts =
        metrics_family(m, METRICS_COUNTER, "kzpulse_posts_total", "Posts counted.", pl, NULL, 0);
    struct metrics_family *lat =
        metrics_family(m, METRICS_HISTOGRAM, "x_seconds", "Latency \\ with\nline", NULL, bounds, 3);
    struct metrics_family *g =
        metrics_family(m, METRICS_GAUGE, "x_gauge", "A gauge.", NULL, NULL, 0);
    CHECK(posts && lat && g);
    CHECK(metrics_family(m, METRICS_COUNTER, "kzpulse_posts_total", "again", pl, NULL, 0) == posts);
    const char *a[] = {"telegram", "kk"}, *b[] = {"vk", "ru"};
    metrics_add(posts, a, 2);
    metrics_add(posts, b, 1);
    metrics_add(posts, a, 1);
    const char *hostile[] = {"x\"} 1\nevil_total 9", "kk"};
    metrics_add(posts, hostile, 1);
    metrics_observe(lat, NULL, 0.005);
    metrics_observe(lat, NULL, 0.5);
    metrics_observe(lat, NULL, 7);
    metrics_on_collect(m, collect, g);
    char *t = render(m);
    CHECK(strstr(t,
                 "# HELP kzpulse_posts_total Posts counted.\n# TYPE kzpulse_posts_total counter\n"
                 "kzpulse_posts_total{platform=\"telegram\",language=\"kk\"} 3\n"
                 "kzpulse_posts_total{platform=\"vk\",language=\"ru\"} 1\n") != NULL);
    CHECK(strstr(t, "kzpulse_posts_total{platform=\"other\",language=\"kk\"} 1\n") != NULL &&
          !strstr(t, "evil"));
    CHECK(strstr(t, "# HELP x_seconds Latency \\\\ with\\nline\n# TYPE x_seconds histogram\n") !=
          NULL);
    CHECK(strstr(t, "x_seconds_bucket{le=\"0.01\"} 1\nx_seconds_bucket{le=\"0.1\"} 1\n"
                    "x_seconds_bucket{le=\"1\"} 2\nx_seconds_bucket{le=\"+Inf\"} 3\n"
                    "x_seconds_sum 7.505\nx_seconds_count 3\n") != NULL);
    CHECK(strstr(t, "# TYPE x_gauge gauge\nx_gauge 42\n") != NULL);
    free(t);

    struct metrics_family *http =
        metrics_family(m, METRICS_COUNTER, "http_requests_total", "Requests.", code, NULL, 0);
    char v[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(v, sizeof(v), "%d", i);
        const char *lv = v;
        metrics_add(http, &lv, 1);
    }
    t = render(m);
    size_t lines = 0;
    for (char *p = strstr(t, "http_requests_total{"); p; p = strstr(p + 1, "http_requests_total{"))
        lines++;
    CHECK(lines == METRICS_MAX_SERIES);
    snprintf(v, sizeof(v), "%d", 1000 - METRICS_MAX_SERIES + 1);
    CHECK(strstr(t, "http_requests_total{code=\"other\"} 937\n") != NULL);
    free(t);
    const char *longv[] = {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    metrics_add(http, longv, 1);
    t = render(m);
    CHECK(strstr(t, "http_requests_total{code=\"other\"} 938\n") != NULL);
    free(t);
    metrics_add(NULL, NULL, 1); /* an undeclared family is ignored */
    CHECK(1);
    metrics_free(m);
    CHECK(1);
    fprintf(stderr, "ok   metrics registry\n");
    return TAP_DONE();
}
