/*
 * params.c -- an API request's query string made into the settings a query
 * runs with.
 *
 * The query string is split on '&' into name=value pairs, each percent-decoded
 * ('+' is a space, as HTML forms send it).  The window and output parameters
 * (from, to, step, tz, names, limit) go through kz_config_set(), the setters
 * of the command-line flags, so that "from=-2h" and "--from -2h" accept the
 * same values and fail with the same words; dim and kind are kept as text for
 * pipeline_query_check().  Everything is bounded: SERVE_PARAMS_MAX pairs,
 * SERVE_PARAM_MAX bytes a value, no NUL byte; a parameter the endpoint does
 * not take, or one given twice, is refused rather than ignored, so a typo
 * ("form=-2h") is a 400 and not a silently different answer.
 */
#include <string.h>

#include "serve.h"

static const struct {
    const char *name;
    unsigned bit;
    enum kz_opt_id opt; /* 0: kept as text */
} params[] = {
    {"from", SERVE_P_FROM, OPT_FROM},
    {"to", SERVE_P_TO, OPT_TO},
    {"step", SERVE_P_STEP, OPT_STEP},
    {"tz", SERVE_P_TZ, OPT_TZ},
    {"names", SERVE_P_NAMES, OPT_NAMES},
    {"limit", SERVE_P_LIMIT, OPT_LIMIT},
    {"dim", SERVE_P_DIM, 0},
    {"kind", SERVE_P_KIND, 0},
};

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode s[0..n) into out (cap bytes with the NUL).  0, or -1 for a
 * bad escape, a NUL byte or a value that does not fit. */
static int decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c == '\0' || o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

/* A refused parameter: its name (printable ASCII kept, anything else '?',
 * as no known name holds other bytes) in param and the message in err. */
static int fail(char *param, size_t paramlen, const char *name, char *err, size_t errlen,
                const char *why)
{
    size_t i;
    for (i = 0; name[i] && i + 1 < paramlen; i++)
        param[i] = name[i] >= 0x20 && name[i] < 0x7f && name[i] != '"' ? name[i] : '?';
    param[i] = '\0';
    snprintf(err, errlen, "parameter \"%s\": %s", param, why);
    return KZ_EINVAL;
}

int serve_params_parse(const char *qs, size_t n, unsigned allowed, int64_t now_ms,
                       struct serve_params *out, char *param, size_t paramlen, char *err,
                       size_t errlen)
{
    char name[33], value[SERVE_PARAM_MAX + 1];
    size_t npairs = 0;

    kz_config_init(&out->cfg);
    out->cfg.now_ms = now_ms;
    out->given = 0;
    out->dim[0] = out->kind[0] = '\0';
    param[0] = '\0';
    for (size_t i = 0; i < n;) {
        size_t end = i;
        while (end < n && qs[end] != '&')
            end++;
        if (end == i) { /* "a=1&&b=2": an empty pair is nothing */
            i++;
            continue;
        }
        size_t eq = i;
        while (eq < end && qs[eq] != '=')
            eq++;
        if (++npairs > SERVE_PARAMS_MAX)
            return fail(param, paramlen, "", err, errlen, "too many parameters");
        if (decode(qs + i, eq - i, name, sizeof(name)))
            return fail(param, paramlen, "?", err, errlen, "a parameter name is not valid");
        size_t k;
        for (k = 0; k < KZ_ARRAY_LEN(params) && strcmp(params[k].name, name); k++)
            ;
        if (k == KZ_ARRAY_LEN(params) || !(allowed & params[k].bit))
            return fail(param, paramlen, name, err, errlen,
                        k == KZ_ARRAY_LEN(params) ? "unknown parameter"
                                                  : "not taken by this endpoint");
        if (out->given & params[k].bit)
            return fail(param, paramlen, name, err, errlen, "given more than once");
        if (eq == end)
            return fail(param, paramlen, name, err, errlen, "expected name=value");
        if (decode(qs + eq + 1, end - eq - 1, value, sizeof(value)))
            return fail(param, paramlen, name, err, errlen,
                        "bad percent escape, NUL byte, or longer than 512 bytes");
        out->given |= params[k].bit;
        if (params[k].opt) {
            char what[48];
            snprintf(what, sizeof(what), "parameter \"%s\"", name);
            if (kz_config_set(&out->cfg, params[k].opt, what, value, err, errlen)) {
                snprintf(param, paramlen, "%s", name);
                for (char *c = err; *c; c++) /* the value is echoed: keep it one line */
                    if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        *c = '?';
                return KZ_EINVAL;
            }
        } else {
            memcpy(params[k].bit == SERVE_P_DIM ? out->dim : out->kind, value, strlen(value) + 1);
        }
        i = end;
    }
    return 0;
}

void serve_params_free(struct serve_params *p)
{
    kz_config_free(&p->cfg);
}

/* One part of an entry id: 1-20 digits within 2^64 - 1; the byte after it in
 * *end.  1 or 0. */
static int id_part(const char *p, uint64_t *v, const char **end)
{
    size_t n = 0;

    *v = 0;
    for (; p[n] >= '0' && p[n] <= '9'; n++) {
        unsigned d = (unsigned)(p[n] - '0');
        if (n == 20 || *v > (UINT64_MAX - d) / 10)
            return 0;
        *v = *v * 10 + d;
    }
    *end = p + n;
    return n > 0;
}

static int id_parse(const char *id, uint64_t *ms, uint64_t *seq)
{
    const char *p;

    return id_part(id, ms, &p) && *p == '-' && id_part(p + 1, seq, &p) && *p == '\0';
}

int serve_alert_id_valid(const char *id)
{
    uint64_t ms, seq;

    return id_parse(id, &ms, &seq);
}

int serve_body_announced(const char *transfer_encoding, const char *content_length)
{
    const char *cl = content_length;

    if (transfer_encoding)
        return 1;
    if (!cl)
        return 0;
    while (*cl == ' ' || *cl == '\t')
        cl++;
    while (*cl == '0')
        cl++;
    while (*cl == ' ' || *cl == '\t')
        cl++;
    return *cl != '\0';
}

int serve_alert_id_cmp(const char *a, const char *b)
{
    uint64_t a1 = 0, a2 = 0, b1 = 0, b2 = 0;

    id_parse(a, &a1, &a2);
    id_parse(b, &b1, &b2);
    return a1 != b1 ? (a1 < b1 ? -1 : 1) : a2 != b2 ? (a2 < b2 ? -1 : 1) : 0;
}
