/*
 * test_serve_params.c -- the API's query-string parser (serve/params.c):
 * percent-decoding and '+', values set through the flags' own setters (the
 * same words in errors), and every refusal naming its parameter; the stream
 * entry ids a client's Last-Event-ID sends back.
 */
#include <string.h>

#include "serve.h"
#include "tap.h"

#define NOW 1772960730000LL /* 2026-03-08T09:05:30Z */
#define ALL 0xff

static int parse(const char *qs, unsigned allowed, struct serve_params *p, char *param, char *err)
{
    return serve_params_parse(qs, strlen(qs), allowed, NOW, p, param, 33, err, 1024);
}

static void test_values(void)
{
    struct serve_params p;
    char param[33], err[1024];
    CHECK_EQ_INT(parse("dim=topic%3Aprotest%7Cregion%3AKZ-47&from=-2h&to=now&step=minute&tz=Asia%2F"
                       "Almaty&names=kk&limit=5&&",
                       ALL, &p, param, err),
                 0);
    CHECK_EQ_STR(p.dim, "topic:protest|region:KZ-47");
    CHECK_EQ_INT(p.cfg.from_ms, NOW - 2 * 3600000LL);
    CHECK_EQ_INT(p.cfg.to_ms, NOW);
    CHECK(p.cfg.from_set && p.cfg.to_set);
    CHECK_EQ_INT(p.cfg.step, PIPELINE_STEP_MINUTE);
    CHECK_EQ_STR(p.cfg.tz, "Asia/Almaty");
    CHECK_EQ_INT(p.cfg.names, NLP_NAMES_KK);
    CHECK_EQ_INT(p.cfg.limit, 5);
    CHECK_EQ_INT(p.given, SERVE_P_DIM | SERVE_P_FROM | SERVE_P_TO | SERVE_P_STEP | SERVE_P_TZ |
                              SERVE_P_NAMES | SERVE_P_LIMIT);
    serve_params_free(&p);
    /* '+' is a space, %2B a plus: an offset needs the escape */
    CHECK_EQ_INT(parse("from=2026-03-05T17:00:00%2B05:00&kind=a+b", ALL, &p, param, err), 0);
    CHECK_EQ_INT(p.cfg.from_ms, 1772712000000LL);
    CHECK_EQ_STR(p.kind, "a b");
    serve_params_free(&p);
    CHECK_EQ_INT(parse("", ALL, &p, param, err), 0);
    CHECK_EQ_INT(p.given, 0);
    CHECK_EQ_INT(p.cfg.limit, 10); /* the flags' defaults */
    serve_params_free(&p);
}

static void refused(const char *qs, unsigned allowed, const char *want_param, const char *want_msg)
{
    struct serve_params p;
    char param[33], err[1024];
    CHECK_EQ_INT(parse(qs, allowed, &p, param, err), KZ_EINVAL);
    CHECK_EQ_STR(param, want_param);
    if (!strstr(err, want_msg)) {
        fprintf(stderr, "%s: message \"%s\" lacks \"%s\"\n", qs, err, want_msg);
        CHECK(0);
    }
    serve_params_free(&p);
}

static void test_refusals(void)
{
    refused("form=-2h", ALL, "form", "unknown parameter");
    refused("dim=all", SERVE_P_KIND, "dim", "not taken by this endpoint");
    refused("dim=a&dim=b", ALL, "dim", "given more than once");
    refused("dim", ALL, "dim", "expected name=value");
    refused("dim=%4", ALL, "dim", "bad percent escape");
    refused("dim=%zz", ALL, "dim", "bad percent escape");
    refused("dim=a%00b", ALL, "dim", "NUL byte");
    refused("from=yesterday", ALL, "from", "parameter \"from\": expected an RFC 3339 time");
    refused("step=week", ALL, "step",
            "parameter \"step\": expected one of minute, hour, day, auto");
    refused("tz=Mars%2FOlympus", ALL, "tz", "parameter \"tz\": unknown time zone");
    refused("limit=-1", ALL, "limit", "parameter \"limit\"");
    refused("names=fr", ALL, "names", "parameter \"names\"");
    refused("step=%FF%0A", ALL, "step", "got \"\xff?\""); /* a line end is not echoed */
    refused("n%0Ame=1", ALL, "n?me", "unknown parameter");
    char many[400] = "";
    for (int i = 0; i < 17; i++)
        strcat(many, "dim=x&");
    refused(many, ALL, "dim", "given more than once");
    char big[700] = "dim=";
    memset(big + 4, 'a', 600);
    refused(big, ALL, "dim", "longer than 512 bytes");
}

static void test_event_ids(void)
{
    static const char *const good[] = {"0-0", "1700000000000-0", "1772960730000-12",
                                       "18446744073709551615-18446744073709551615"};
    static const char *const bad[] = {"",
                                      "-",
                                      "1-",
                                      "-1",
                                      "1",
                                      "1-2-3",
                                      "+1-0",
                                      "1-+0",
                                      " 1-0",
                                      "1-0 ",
                                      "1_0",
                                      "a-0",
                                      "18446744073709551616-0",
                                      "0-18446744073709551616",
                                      "000000000000000000001-0",
                                      "99999999999999999999-0",
                                      "1-0\n"};

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CHECK(serve_alert_id_valid(good[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(!serve_alert_id_valid(bad[i]));
    CHECK(serve_alert_id_cmp("1700000000000-0", "1700000000000-0") == 0);
    CHECK(serve_alert_id_cmp("1700000000000-1", "1700000000000-0") > 0);
    CHECK(serve_alert_id_cmp("999-5", "1000-0") < 0); /* numbers, not text */
    CHECK(serve_alert_id_cmp("18446744073709551615-0", "18446744073709551614-9") > 0);
}

/* A GET's headers announcing a body: refused with 413 before it is read. */
static void test_body_announced(void)
{
    static const char *const none[] = {"0", "00", " 0", "0 ", "\t0\t", ""};
    static const char *const some[] = {"1", "100000", " 7", "01", "0 5", "x", "-0"};

    CHECK(!serve_body_announced(NULL, NULL));
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
        CHECK(!serve_body_announced(NULL, none[i]));
    for (size_t i = 0; i < sizeof(some) / sizeof(some[0]); i++)
        CHECK(serve_body_announced(NULL, some[i]));
    CHECK(serve_body_announced("chunked", NULL));
    CHECK(serve_body_announced("", "0")); /* any Transfer-Encoding */
}

int main(void)
{
    RUN(test_values);
    RUN(test_refusals);
    RUN(test_event_ids);
    RUN(test_body_announced);
    return TAP_DONE();
}
