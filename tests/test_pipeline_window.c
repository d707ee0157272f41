/*
 * test_pipeline_window.c -- query windows (pipeline/window.c): defaults, the
 * step chosen by span, and every refusal, against a fixed clock.
 *
 * NOW is 2026-03-08T09:05:30Z (14:05:30 in Almaty).  Zones come from the
 * system tzdata.
 */
#include <string.h>

#include "pipeline.h"
#include "tap.h"

#define NOW 1772960730000LL
#define M 60000LL
#define H 3600000LL
#define D (24 * H)

static struct agg_zone *zone(const char *name)
{
    struct agg_zone *z = NULL;
    char err[512];
    CHECK_EQ_INT(agg_zone_open(name, &z, err, sizeof(err)), 0);
    return z;
}

static int resolve(struct pipeline_window_in in, struct pipeline_window *w, char *err, size_t n)
{
    in.now_ms = NOW;
    err[0] = 0;
    return pipeline_window_resolve(&in, w, err, n);
}

static void test_defaults(void)
{
    struct agg_zone *z = zone("Asia/Almaty");
    struct pipeline_window w;
    char err[512];

    /* live: the last 24 hours up to now itself (not an aligned hour) */
    CHECK_EQ_INT(resolve((struct pipeline_window_in){.step = PIPELINE_STEP_AUTO, .zone = z}, &w,
                         err, sizeof(err)),
                 0);
    CHECK_EQ_INT(w.to_ms, NOW);
    CHECK_EQ_INT(w.from_ms, NOW - D);
    CHECK_EQ_INT(w.step, PIPELINE_STEP_HOUR);

    /* live, --from -1h: minute buckets up to now */
    CHECK_EQ_INT(
        resolve(
            (struct pipeline_window_in){.from_ms = NOW - H, .step = PIPELINE_STEP_AUTO, .zone = z},
            &w, err, sizeof(err)),
        0);
    CHECK_EQ_INT(w.from_ms, NOW - H);
    CHECK_EQ_INT(w.to_ms, NOW);
    CHECK_EQ_INT(w.step, PIPELINE_STEP_MINUTE);

    /* archives: the data's span; with --from, from there to the data's end */
    struct pipeline_window_in a = {.step = PIPELINE_STEP_AUTO,
                                   .zone = z,
                                   .archive = 1,
                                   .data_from = NOW - 10 * D,
                                   .data_to = NOW - 2 * D};
    CHECK_EQ_INT(resolve(a, &w, err, sizeof(err)), 0);
    CHECK_EQ_INT(w.from_ms, NOW - 10 * D);
    CHECK_EQ_INT(w.to_ms, NOW - 2 * D);
    CHECK_EQ_INT(w.step, PIPELINE_STEP_DAY);
    a.from_ms = NOW - 3 * D;
    CHECK_EQ_INT(resolve(a, &w, err, sizeof(err)), 0);
    CHECK_EQ_INT(w.from_ms, NOW - 3 * D);
    CHECK_EQ_INT(w.to_ms, NOW - 2 * D);
    CHECK_EQ_INT(w.step, PIPELINE_STEP_HOUR);

    /* posts written ten minutes ago, --from -1h: the data ends at the end of
     * the current hour; minute buckets */
    a.data_from = NOW - 10 * M - (NOW - 10 * M) % H;
    a.data_to = a.data_from + H + H * ((NOW % H) < 10 * M);
    a.from_ms = NOW - H;
    CHECK_EQ_INT(resolve(a, &w, err, sizeof(err)), 0);
    CHECK_EQ_INT(w.from_ms, NOW - H);
    CHECK(w.to_ms >= NOW - 10 * M);
    CHECK_EQ_INT(w.step, PIPELINE_STEP_MINUTE);

    /* an archive without dated posts: the last 24 hours */
    a.data_from = a.data_to = 0;
    a.from_ms = 0;
    CHECK_EQ_INT(resolve(a, &w, err, sizeof(err)), 0);
    CHECK_EQ_INT(w.to_ms, NOW);
    agg_zone_free(z);
}

static void test_auto_step(void)
{
    static const struct {
        int64_t span;
        enum pipeline_step want;
    } cases[] = {
        {M, PIPELINE_STEP_MINUTE},       {3 * H, PIPELINE_STEP_MINUTE},
        {3 * H + 1, PIPELINE_STEP_HOUR}, {7 * D, PIPELINE_STEP_HOUR},
        {7 * D + 1, PIPELINE_STEP_DAY},  {400 * D, PIPELINE_STEP_DAY},
    };
    struct pipeline_window w;
    char err[512];
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        CHECK_EQ_INT(resolve((struct pipeline_window_in){.from_ms = NOW - cases[i].span,
                                                         .to_ms = NOW,
                                                         .step = PIPELINE_STEP_AUTO},
                             &w, err, sizeof(err)),
                     0);
        CHECK_EQ_INT(w.step, cases[i].want);
    }
    /* a step given is kept */
    CHECK_EQ_INT(
        resolve((struct pipeline_window_in){.from_ms = NOW - 30 * D, .step = PIPELINE_STEP_MINUTE},
                &w, err, sizeof(err)),
        0);
    CHECK_EQ_INT(w.step, PIPELINE_STEP_MINUTE);
    CHECK_EQ_INT(pipeline_step_parse("day"), PIPELINE_STEP_DAY);
    CHECK_EQ_INT(pipeline_step_parse("auto"), PIPELINE_STEP_AUTO);
    CHECK_EQ_INT(pipeline_step_parse("week"), PIPELINE_STEP_INVALID);
    CHECK_EQ_STR(pipeline_step_name(PIPELINE_STEP_HOUR), "hour");
}

static void test_refusals(void)
{
    struct agg_zone *z = zone("Asia/Almaty");
    struct pipeline_window w;
    char err[512];

    /* --from in the future */
    CHECK_EQ_INT(
        resolve((struct pipeline_window_in){.from_ms = NOW + H, .zone = z}, &w, err, sizeof(err)),
        KZ_EINVAL);
    CHECK_EQ_STR(err, "--from 2026-03-08T15:05:30+05:00 is in the future (now is "
                      "2026-03-08T14:05:30+05:00)");
    /* inverted and empty windows */
    CHECK_EQ_INT(
        resolve((struct pipeline_window_in){.from_ms = NOW - H, .to_ms = NOW - 2 * H, .zone = z},
                &w, err, sizeof(err)),
        KZ_EINVAL);
    CHECK(strstr(err, "empty window: --to 2026-03-08T12:05:30+05:00 must be after --from") == err);
    CHECK_EQ_INT(resolve((struct pipeline_window_in){.from_ms = NOW - H, .to_ms = NOW - H}, &w, err,
                         sizeof(err)),
                 KZ_EINVAL);
    CHECK(strstr(err, "empty window") == err);
    /* a --from after the archives' last post */
    CHECK_EQ_INT(resolve((struct pipeline_window_in){.from_ms = NOW - H,
                                                     .zone = z,
                                                     .archive = 1,
                                                     .data_from = NOW - 3 * D,
                                                     .data_to = NOW - 2 * D},
                         &w, err, sizeof(err)),
                 KZ_EINVAL);
    CHECK(strstr(err, "is at or after the end of the archives' data") != NULL);
    CHECK(strchr(err, '\n') == NULL);
    agg_zone_free(z);

    /* hour and day buckets need a whole-hour zone; minutes do not */
    z = zone("Asia/Kolkata");
    CHECK_EQ_INT(resolve((struct pipeline_window_in){.from_ms = NOW - 2 * D,
                                                     .step = PIPELINE_STEP_AUTO,
                                                     .zone = z},
                         &w, err, sizeof(err)),
                 KZ_EINVAL);
    CHECK_EQ_STR(err, "--tz Asia/Kolkata: UTC+05:30 is not a whole number of hours, and hour and "
                      "day buckets are built from whole UTC hours; use --step minute (or a "
                      "whole-hour zone)");
    CHECK_EQ_INT(resolve((struct pipeline_window_in){.from_ms = NOW - 2 * D,
                                                     .step = PIPELINE_STEP_MINUTE,
                                                     .zone = z},
                         &w, err, sizeof(err)),
                 0);
    agg_zone_free(z);
}

int main(void)
{
    RUN(test_defaults);
    RUN(test_auto_step);
    RUN(test_refusals);
    return TAP_DONE();
}
