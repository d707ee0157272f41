/*
 * test_alerts_rules.c -- the rules file (alerts/rules.c, rules_write.c):
 * what parses and to what, every error with its file:line:col (all of them,
 * not the first), the canonical writer's round trip, the shipped defaults,
 * and a gazetteer plugged in through the region callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "tap.h"

struct diags {
    char all[8192];
    size_t n;
    int count;
};

static void collect(void *ctx, const char *file, int line, int col, const char *msg)
{
    struct diags *d = ctx;
    d->count++;
    if (d->n < sizeof(d->all))
        d->n += (size_t)snprintf(d->all + d->n, sizeof(d->all) - d->n, "%s:%d:%d: %s\n", file, line,
                                 col, msg);
}

static long parse(const char *text, struct diags *d, struct alerts_rules **out)
{
    memset(d, 0, sizeof(*d));
    return alerts_rules_parse("r.rules", text, strlen(text), NULL, collect, d, out);
}

static const char good[] = "# Rules for the Mangystau desk\n"
                           "[rule.mob_call_region]\n"
                           "kind = \"call\"          # calls to action\n"
                           "region = \"any\"\n"
                           "window = 5\n"
                           "min_count = 12\n"
                           "min_authors = 5\n"
                           "threshold = 1e-5\n"
                           "severity = \"critical\"\n"
                           "description = \"Шақыру: Жаңаөзен \\\"ереуіл\\\"\\tот\\u0435\"\n"
                           "\n"
                           "[[rule]]\n"
                           "id = 'protest-west'\n"
                           "kind = \"topic\"\n"
                           "topic = \"protest\"\n"
                           "region = [\n"
                           "  \"KZ-47\",  # Mangystau\n"
                           "  \"KZ-23\",\n"
                           "]\n"
                           "baseline_weeks = 6\n"
                           "min_count = 1_000\n"
                           "resolve_above = 1\n"
                           "enabled = false\n"
                           "[rule.war_share]\n"
                           "kind = \"stance_share\"\n"
                           "stance = \"pro_russia\"\n"
                           "of = \"topic:war_ukraine\"\n"
                           "[rule.tag]\n"
                           "kind = \"hashtag_surge\"\n"
                           "hashtag = \"#Жаңаөзен\"\n";

static void test_good(void)
{
    struct diags d;
    struct alerts_rules *r;
    CHECK_EQ_INT(parse(good, &d, &r), 0);
    if (!r) {
        fprintf(stderr, "%s", d.all);
        return;
    }
    CHECK_EQ_INT(r->n, 4);
    const struct alerts_rule *a = alerts_rules_find(r, "mob_call_region");
    CHECK(a && a->kind == ALERTS_CALL && a->scope == ALERTS_EACH_REGION && a->window == 5);
    CHECK(a && a->min_count == 12 && a->min_authors == 5 && a->threshold == 1e-5);
    CHECK(a && a->severity == ALERTS_CRITICAL && a->line == 2);
    CHECK(a && a->cooldown == 60 && a->resolve_after == 10 && a->baseline_weeks == 4);
    CHECK_EQ_STR(a ? a->description : NULL, "Шақыру: Жаңаөзен \"ереуіл\"\tот\u0435");
    const struct alerts_rule *b = alerts_rules_find(r, "protest-west");
    CHECK(b && b->kind == ALERTS_TOPIC && b->scope == ALERTS_REGIONS && b->nregions == 2);
    CHECK_EQ_STR(b ? b->regions[1] : NULL, "KZ-23");
    CHECK_EQ_STR(b ? b->subject : NULL, "protest");
    CHECK(b && b->min_count == 1000 && b->baseline_weeks == 6 && !b->enabled);
    CHECK(b && b->resolve_above == 1.0 && b->line == 12);
    const struct alerts_rule *c = alerts_rules_find(r, "war_share");
    CHECK_EQ_STR(c ? c->of : NULL, "topic:war_ukraine");
    CHECK_EQ_STR(c ? c->subject : NULL, "pro_russia");
    const struct alerts_rule *t = alerts_rules_find(r, "tag");
    CHECK_EQ_STR(t ? t->subject : NULL, "Жаңаөзен"); /* the '#' dropped, as the store does */

    char dim[128];
    CHECK(alerts_rule_dim(a, "KZ-47", dim, sizeof(dim)) == 0);
    CHECK_EQ_STR(dim, "mob:call|region:kz-47");
    CHECK(alerts_rule_dim(a, NULL, dim, sizeof(dim)) == 0);
    CHECK_EQ_STR(dim, "mob:call");
    CHECK(alerts_rule_dim(b, "KZ-23", dim, sizeof(dim)) == 0);
    CHECK_EQ_STR(dim, "topic:protest|region:kz-23");
    CHECK(alerts_rule_dim(c, NULL, dim, sizeof(dim)) == 0);
    CHECK_EQ_STR(dim, "topic:war_ukraine|stance:pro_russia"); /* among war posts */
    CHECK(alerts_rule_dim(t, NULL, dim, sizeof(dim)) == 0);
    CHECK_EQ_STR(dim, "hashtag:Жаңаөзен"); /* the caller puts the store's form first */
    CHECK(alerts_rule_dim(t, "KZ-47", dim, sizeof(dim)) == KZ_EUNSUPPORTED);
    CHECK(alerts_rule_dim(a, "KZ-47", dim, 10) == KZ_ERANGE);

    /* the canonical text parses to the same rules */
    char *text = NULL;
    size_t tn = 0;
    FILE *f = open_memstream(&text, &tn);
    CHECK(f && alerts_rules_write(r, f) == 0);
    fclose(f);
    struct alerts_rules *r2;
    CHECK_EQ_INT(parse(text, &d, &r2), 0);
    CHECK(r2 && alerts_rules_equal(r, r2));
    CHECK(strstr(text, "[rule.protest-west]\nkind = \"topic\"\nregion = [\"KZ-47\", \"KZ-23\"]\n"
                       "topic = \"protest\"\n"));
    CHECK(strstr(text, "threshold = 1e-05\n"));
    alerts_rules_free(r2);
    free(text);
    alerts_rules_free(r);
}

static const char bad[] = "[rule.a]\n"                         /* 1 */
                          "kind = \"cal\"\n"                   /* 2: unknown kind */
                          "windw = 5\n"                        /* 3: unknown key */
                          "window = \"5\"\n"                   /* 4: wrong type */
                          "threshold = 0.7\n"                  /* 5: out of range */
                          "region = \"KZ-99\"\n"               /* 6: unknown region */
                          "[rule.a]\n"                         /* 7: duplicate id */
                          "kind = \"call\"\n"                  /* 8 */
                          "topic = \"protest\"\n"              /* 9: not for call */
                          "min_count = 0\n"                    /* 10: out of range */
                          "min_count = 5\n"                    /* 11: twice */
                          "[rule.b]\n"                         /* 12: topic without "topic" */
                          "kind = \"topic\"\n"                 /* 13 */
                          "description = \"unterminated\n"     /* 14 */
                          "enabled = yes\n"                    /* 15: not a value */
                          "[alerts]\n"                         /* 16: unknown table */
                          "x = 1\n"                            /* 17: skipped under it */
                          "[rule.c]\n"                         /* 18 */
                          "kind = \"stance_share\"\n"          /* 19: needs stance */
                          "region = \"any\"\n"                 /* 20: no per-region counter */
                          "threshold = 0.05\n"                 /* 21 */
                          "resolve_above = 0.01\n"             /* 22: under threshold */
                          "[[rule]]\n"                         /* 23: no id, no kind */
                          "window = 1441\n"                    /* 24 */
                          "cooldown = 1.5\n"                   /* 25: an integer */
                          "severity = \"page\"\n"              /* 26 */
                          "region = [\"KZ-47\", \"KZ-47\"]\n"; /* 27 */

static void test_bad(void)
{
    struct diags d;
    struct alerts_rules *r = (struct alerts_rules *)1;
    long n = parse(bad, &d, &r);
    CHECK(r == NULL);
    CHECK_EQ_INT(n, d.count);
    static const char *const want[] = {
        "r.rules:2:8: key \"kind\": expected one of call, topic",
        "r.rules:3:1: unknown key \"windw\" (accepted: id, kind, region,",
        "r.rules:4:10: key \"window\": expected minutes, an integer from 1 to 1440; got a string",
        "r.rules:5:13: key \"threshold\": expected a tail probability above 0 and at most 0.5",
        "r.rules:6:10: key \"region\": unknown region \"KZ-99\" (known: all, any, KZ-10, KZ-11,",
        "r.rules:10:13: key \"min_count\": expected an integer from 1 to 1000000000; got 0",
        "r.rules:11:1: key \"min_count\" given twice in this rule (first on line 10)",
        "r.rules:9:1: key \"topic\" does not apply to kind \"call\"",
        "r.rules:7:1: duplicate rule id \"a\" (first on line 1)",
        "r.rules:14:15: unterminated string",
        "r.rules:15:11: expected a value: a \"string\", a number, true, false or [...]; got "
        "\"yes\"",
        "r.rules:12:1: rule \"b\" of kind \"topic\" needs key \"topic\"",
        "r.rules:16:1: unknown table [alerts]",
        "r.rules:18:1: rule \"c\" of kind \"stance_share\" needs key \"stance\"",
        "r.rules:20:1: key \"region\": kind \"stance_share\" has no per-region counter",
        "r.rules:22:1: resolve_above (0.01) must be above threshold (0.05)",
        "r.rules:24:10: key \"window\": expected minutes, an integer from 1 to 1440; got 1441",
        "r.rules:25:12: key \"cooldown\": expected minutes, an integer from 0 to 10080; got a "
        "number",
        "r.rules:26:12: key \"severity\": expected one of info, warning, critical; got \"page\"",
        "r.rules:27:10: key \"region\": \"KZ-47\" listed twice",
        "r.rules:23:1: this [[rule]] has no id",
        "r.rules:23:1: rule \"(no id)\" has no kind",
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(want); i++)
        if (!strstr(d.all, want[i])) {
            CHECK(!"a diagnostic is missing");
            fprintf(stderr, "  missing: %s\n", want[i]);
        }
    CHECK_EQ_INT(d.count, (long)KZ_ARRAY_LEN(want));
    if (d.count != (int)KZ_ARRAY_LEN(want))
        fprintf(stderr, "%s", d.all);
}

static void test_syntax_corners(void)
{
    struct diags d;
    struct alerts_rules *r;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"kind = \"call\"\n", "r.rules:1:1: key \"kind\" outside a rule"},
        {"[rule.x]\nkind = \"call\" extra\n", "r.rules:2:15: unexpected text after the value"},
        {"[rule.x]\nkind.sub = 1\n", "r.rules:2:5: expected = after key \"kind\" (dotted keys"},
        {"[rule.x]\nkind = {a = 1}\n", "r.rules:2:8: inline tables are not supported"},
        {"[rule.x]\nkind = \"\"\"call\"\"\"\n", "r.rules:2:8: multi-line strings"},
        {"[rule.x]\nkind = \"c\\qall\"\n", "r.rules:2:10: unknown escape \\q"},
        {"[rule.x]\nkind = \"\\u00\"\n", "r.rules:2:9: bad escape"},
        {"[rule.x]\nkind = \"\\u0000\"\n", "r.rules:2:9: bad escape"},
        {"[rule.x]\nkind = \"\xff\"\n", "r.rules:2:9: a string is not valid UTF-8"},
        {"[rule.x]\nmin_count = 0123\n", "r.rules:2:13: expected a value"},
        {"[rule.x]\nmin_count = 99999999999999999999\n", "r.rules:2:13: number"},
        {"[rule.x]\nregion = [\"KZ-47\", 3]\n", "r.rules:2:20: arrays hold strings only"},
        {"[rule.x]\nregion = [\"KZ-47\"\n", "r.rules:2:10: unterminated array"},
        {"[rule.x\n", "r.rules:1:1: bad table header"},
        {"[rule.x.y]\n", "r.rules:1:1: unknown table [rule.x.y]"},
        {"[rule.x]\n= 3\n", "r.rules:2:1: expected [rule.NAME], key = value or a # comment"},
        {"[rule.x]\nid = \"y\"\nkind = \"call\"\n", "r.rules:2:1: key \"id\": the table"},
        {"[[rule]]\nid = \"a b\"\nkind = \"call\"\n",
         "r.rules:2:6: key \"id\": expected a rule id"},
        {"[rule.x]\nkind = \"call\"\nregion = []\n", "r.rules:3:10: key \"region\": an array of 1"},
        {"[rule.x]\nkind = \"topic\"\ntopic = \"Protest!\"\n", "r.rules:3:9: key \"topic\""},
        {"[rule.x]\nkind = \"call\"\nof = \"all\"\n", "r.rules:3:1: key \"of\" applies"},
        {"[rule.x]\nkind = \"stance_share\"\nstance = \"s\"\n", "expected one of pro_ukraine"},
        /* one '#' is optional; another would make the canonical text a different tag */
        {"[rule.x]\nkind = \"hashtag_surge\"\nhashtag = \"##tag\"\n",
         "r.rules:3:11: key \"hashtag\": expected a hashtag of 1 to 128 bytes (# optional, no "
         "other #)"},
        {"[rule.x]\nkind = \"hashtag_surge\"\nhashtag = \"a#b\"\n", "key \"hashtag\""},
        {"[rule.x]\nkind = \"hashtag_surge\"\nhashtag = \"#\"\n", "key \"hashtag\""},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        long n = parse(cases[i].text, &d, &r);
        CHECK(n > 0 && !r);
        if (!strstr(d.all, cases[i].msg)) {
            CHECK(!"diagnostic");
            fprintf(stderr, "  case %zu: want \"%s\", got:\n%s", i, cases[i].msg, d.all);
        }
        alerts_rules_free(r);
    }
    /* CRLF, a BOM, an empty file, comments only */
    CHECK_EQ_INT(parse("\xEF\xBB\xBF[rule.x]\r\nkind = \"call\" # c\r\n", &d, &r), 0);
    CHECK(r && r->n == 1);
    alerts_rules_free(r);
    CHECK_EQ_INT(parse("", &d, &r), 0);
    CHECK(r && r->n == 0);
    alerts_rules_free(r);
    CHECK_EQ_INT(parse("# nothing yet\n\n   # still nothing\n", &d, &r), 0);
    alerts_rules_free(r);
}

/* A gazetteer of its own: two regions, with names. */
static int my_lookup(void *ctx, const char *code, const char **name)
{
    (void)ctx;
    if (!strcmp(code, "KZ-MAN")) {
        *name = "Mangystau";
        return 1;
    }
    return !strcmp(code, "KZ-ALA") ? (*name = "Almaty", 1) : 0;
}

static void my_each(void *ctx, void (*fn)(void *, const char *, const char *), void *arg)
{
    (void)ctx;
    fn(arg, "KZ-ALA", "Almaty");
    fn(arg, "KZ-MAN", "Mangystau");
}

static void test_region_callback(void)
{
    struct alerts_regions mine = {my_lookup, my_each, NULL};
    struct diags d = {0};
    struct alerts_rules *r;
    const char *t = "[rule.x]\nkind = \"call\"\nregion = \"KZ-MAN\"\n";
    CHECK_EQ_INT(alerts_rules_parse("m", t, strlen(t), &mine, collect, &d, &r), 0);
    alerts_rules_free(r);
    t = "[rule.x]\nkind = \"call\"\nregion = \"KZ-47\"\n";
    CHECK_EQ_INT(alerts_rules_parse("m", t, strlen(t), &mine, collect, &d, &r), 1);
    CHECK(strstr(d.all, "m:3:10: key \"region\": unknown region \"KZ-47\" (known: all, any, "
                        "KZ-ALA, KZ-MAN)"));
    const char *name = NULL;
    CHECK(alerts_regions_iso.lookup(NULL, "KZ-47", &name) == 1);
    CHECK_EQ_STR(name, "Маңғыстау облысы");
    CHECK(alerts_regions_iso.lookup(NULL, "kz-47", &name) == 0);
}

static void test_defaults_file(void)
{
    const char *root = getenv("KZ_SOURCE_ROOT");
    char path[1024];
    struct diags d = {0};
    struct alerts_rules *r;
    snprintf(path, sizeof(path), "%s/alerts/default.rules", root ? root : "..");
    long n = alerts_rules_load(path, NULL, collect, &d, &r);
    CHECK_EQ_INT(n, 0);
    if (n)
        fprintf(stderr, "%s", d.all);
    CHECK(r && r->n >= 4);
    CHECK(r && alerts_rules_find(r, "mob_call_region") != NULL);
    alerts_rules_free(r);
    CHECK_EQ_INT(alerts_rules_load("/nonexistent/x.rules", NULL, collect, &d, &r), 1);
    CHECK(strstr(d.all, "/nonexistent/x.rules:0:0: cannot read: No such file"));
    memset(&d, 0, sizeof(d));
    CHECK_EQ_INT(alerts_rules_load("/", NULL, collect, &d, &r), 1);
    CHECK(strstr(d.all, "/:0:0: cannot read: Is a directory"));
}

/* A file that is an error a line: the first ALERTS_MAX_DIAGS, then a count. */
static void test_many_errors(void)
{
    char text[4000] = "";
    size_t n = 0;
    struct diags d;
    struct alerts_rules *r;
    for (int i = 0; i < 150; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "?\n");
    CHECK_EQ_INT(parse(text, &d, &r), 150);
    CHECK_EQ_INT(d.count, ALERTS_MAX_DIAGS + 1);
    CHECK(strstr(d.all, "r.rules:100:1: expected [rule.NAME]") != NULL);
    CHECK(strstr(d.all, "r.rules:101:1: expected") == NULL);
    CHECK(strstr(d.all, "r.rules:101:1: 50 more errors not shown\n") != NULL);
}

int main(void)
{
    RUN(test_good);
    RUN(test_bad);
    RUN(test_syntax_corners);
    RUN(test_region_callback);
    RUN(test_defaults_file);
    RUN(test_many_errors);
    return TAP_DONE();
}
