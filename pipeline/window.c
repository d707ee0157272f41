/*
 * window.c -- a query's window from what a person asked: --from, --to,
 * --step and --tz, resolved against a clock and, for archives, the data's span.
 *
 * The rules (pipeline.h states them for callers): a live store's default is
 * the last 24 hours up to now, an archive's the span of its data; --step auto
 * picks the bucket width from the span (<= 3 h minute, <= 7 d hour, else
 * day) so a series stays between ~1 and ~200 rows for common windows.  What
 * cannot be answered honestly is refused, in one line that names the
 * parameter: a --from after now (nothing can be there yet), a window with no
 * time in it, and hour or day buckets in a zone whose offset is not a whole
 * number of hours, because the store's hour buckets are UTC hours and a
 * local hour of Asia/Kolkata (+05:30) straddles two of them.  The function is
 * pure (the clock is an argument), so the HTTP API can resolve a request's
 * window with the same code.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"

#define AUTO_MINUTE_MAX (3 * AGG_HOUR_MS)
#define AUTO_HOUR_MAX (7 * 24 * AGG_HOUR_MS)

static const char *const step_names[] = {"minute", "hour", "day"};

int pipeline_step_parse(const char *s)
{
    if (!s)
        return PIPELINE_STEP_INVALID;
    if (!strcmp(s, "auto"))
        return PIPELINE_STEP_AUTO;
    for (int i = 0; i < (int)KZ_ARRAY_LEN(step_names); i++)
        if (!strcmp(s, step_names[i]))
            return i;
    return PIPELINE_STEP_INVALID;
}

const char *pipeline_step_name(enum pipeline_step s)
{
    if (s == PIPELINE_STEP_AUTO)
        return "auto";
    return s >= 0 && s < (int)KZ_ARRAY_LEN(step_names) ? step_names[s] : "invalid";
}

int64_t pipeline_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "+05:30" for an offset in seconds */
static void offset_text(int32_t off, char *buf, size_t n)
{
    int a = off < 0 ? -off : off;
    snprintf(buf, n, "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

int pipeline_window_resolve(const struct pipeline_window_in *in, struct pipeline_window *out,
                            char *err, size_t errlen)
{
    char a[40], b[40];
    int64_t from = in->from_ms, to = in->to_ms;
    int has_from = in->from_set || from, has_to = in->to_set || to;

    if (has_from && from > in->now_ms) {
        agg_zone_format(in->zone, from, a, sizeof(a));
        agg_zone_format(in->zone, in->now_ms, b, sizeof(b));
        snprintf(err, errlen, "--from %s is in the future (now is %s)", a, b);
        return KZ_EINVAL;
    }
    int have_data = in->archive && in->data_to > in->data_from;
    if (!has_to)
        to = have_data ? in->data_to : in->now_ms;
    if (!has_from)
        from = have_data ? in->data_from : to - 24 * AGG_HOUR_MS;
    if (to <= from) {
        agg_zone_format(in->zone, from, a, sizeof(a));
        agg_zone_format(in->zone, to, b, sizeof(b));
        if (has_to)
            snprintf(err, errlen, "empty window: --to %s must be after --from %s", b, a);
        else
            snprintf(err, errlen,
                     "empty window: --from %s is at or after the end of the %s (%s); give "
                     "an earlier --from or a --to",
                     a, in->archive ? "archives' data" : "window", b);
        return KZ_EINVAL;
    }

    enum pipeline_step step = in->step;
    if (step == PIPELINE_STEP_AUTO)
        step = to - from <= AUTO_MINUTE_MAX ? PIPELINE_STEP_MINUTE
               : to - from <= AUTO_HOUR_MAX ? PIPELINE_STEP_HOUR
                                            : PIPELINE_STEP_DAY;
    if (step != PIPELINE_STEP_MINUTE) {
        int32_t o1 = agg_zone_offset(in->zone, from), o2 = agg_zone_offset(in->zone, to - 1);
        if (o1 % 3600 || o2 % 3600) {
            offset_text(o1 % 3600 ? o1 : o2, a, sizeof(a));
            snprintf(err, errlen,
                     "--tz %s: UTC%s is not a whole number of hours, and hour and day buckets "
                     "are built from whole UTC hours; use --step minute (or a whole-hour zone)",
                     agg_zone_name(in->zone), a);
            return KZ_EINVAL;
        }
    }
    out->from_ms = from;
    out->to_ms = to;
    out->step = step;
    return 0;
}
