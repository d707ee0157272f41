/*
 * test_nlp_gazetteer.c -- the gazetteer (nlp/gazetteer.c) and the shipped
 * lexicons/gazetteer.tsv: all 20 ISO 3166-2:KZ codes with every name, towns
 * in existing oblasts, lookups by any spelling, file:line errors for bad
 * rows, and region and town verdicts from post text through the lexicons.
 */
#include <stdlib.h>
#include <string.h>

#include "nlp.h"
#include "tap.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = 0;
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static int is(struct kz_str s, const char *lit)
{
    return s.n == strlen(lit) && (!s.n || !memcmp(s.p, lit, s.n));
}

/* The 20 regions, as ISO 3166-2:KZ has them since 2022. */
static const struct {
    const char *code, *en;
    enum nlp_place_kind kind;
} want_regions[] = {
    {"KZ-10", "Abai Region", NLP_PLACE_OBLAST},
    {"KZ-11", "Akmola Region", NLP_PLACE_OBLAST},
    {"KZ-15", "Aktobe Region", NLP_PLACE_OBLAST},
    {"KZ-19", "Almaty Region", NLP_PLACE_OBLAST},
    {"KZ-23", "Atyrau Region", NLP_PLACE_OBLAST},
    {"KZ-27", "West Kazakhstan Region", NLP_PLACE_OBLAST},
    {"KZ-31", "Jambyl Region", NLP_PLACE_OBLAST},
    {"KZ-33", "Jetisu Region", NLP_PLACE_OBLAST},
    {"KZ-35", "Karaganda Region", NLP_PLACE_OBLAST},
    {"KZ-39", "Kostanay Region", NLP_PLACE_OBLAST},
    {"KZ-43", "Kyzylorda Region", NLP_PLACE_OBLAST},
    {"KZ-47", "Mangystau Region", NLP_PLACE_OBLAST},
    {"KZ-55", "Pavlodar Region", NLP_PLACE_OBLAST},
    {"KZ-59", "North Kazakhstan Region", NLP_PLACE_OBLAST},
    {"KZ-61", "Turkistan Region", NLP_PLACE_OBLAST},
    {"KZ-62", "Ulytau Region", NLP_PLACE_OBLAST},
    {"KZ-63", "East Kazakhstan Region", NLP_PLACE_OBLAST},
    {"KZ-71", "Astana", NLP_PLACE_CITY},
    {"KZ-75", "Almaty", NLP_PLACE_CITY},
    {"KZ-79", "Shymkent", NLP_PLACE_CITY},
};

static void test_shipped(const struct nlp_gazetteer *g)
{
    size_t n = nlp_gazetteer_count(g), regions = 0, towns = 0;

    for (size_t i = 0; i < KZ_ARRAY_LEN(want_regions); i++) {
        const struct nlp_place *p = nlp_gazetteer_find(g, want_regions[i].code, 5);
        CHECK(p != NULL);
        if (!p)
            continue;
        CHECK(is(p->id, want_regions[i].code));
        CHECK(is(p->region, want_regions[i].code));
        CHECK_EQ_INT(p->kind, want_regions[i].kind);
        CHECK(is(p->name[NLP_NAMES_EN], want_regions[i].en));
    }
    for (size_t i = 0; i < n; i++) {
        const struct nlp_place *p = nlp_gazetteer_place(g, i);
        const struct nlp_place *r = nlp_gazetteer_region_of(g, p);
        int empty = 0;
        for (int k = 0; k < NLP_NAMES_COUNT; k++)
            empty += p->name[k].n == 0;
        if (empty)
            fprintf(stderr, "# %.*s has an empty name\n", (int)p->id.n, p->id.p);
        CHECK_EQ_INT(empty, 0);
        if (p->kind == NLP_PLACE_TOWN) {
            towns++;
            /* every town lies in an oblast that exists (not in a city, not nowhere) */
            CHECK(r != NULL && r->kind == NLP_PLACE_OBLAST && is(r->id, "") == 0);
            CHECK(r != NULL && r->id.n == p->region.n && !memcmp(r->id.p, p->region.p, r->id.n));
        } else {
            regions++;
            CHECK(r == p);
        }
    }
    CHECK_EQ_INT(regions, 20);
    CHECK(towns >= 40);
}

/* A value of a post's region field -> the place it names, or NULL. */
static void check_find(const struct nlp_gazetteer *g, const char *value, const char *id,
                       const char *region)
{
    const struct nlp_place *p = nlp_gazetteer_find(g, value, strlen(value));
    if (!id) {
        if (p)
            fprintf(stderr, "# \"%s\" should name nothing, names %.*s\n", value, (int)p->id.n,
                    p->id.p);
        CHECK(p == NULL);
        return;
    }
    if (!p || !is(p->id, id) || !is(p->region, region))
        fprintf(stderr, "# \"%s\": want %s in %s, got %.*s\n", value, id, region,
                p ? (int)p->id.n : 4, p ? p->id.p : "none");
    CHECK(p && is(p->id, id) && is(p->region, region));
}

static void test_find(const struct nlp_gazetteer *g)
{
    check_find(g, "KZ-47", "KZ-47", "KZ-47");
    check_find(g, "kz-47", "KZ-47", "KZ-47");
    check_find(g, "Маңғыстау облысы", "KZ-47", "KZ-47");
    check_find(g, "МАҢҒЫСТАУ", "KZ-47", "KZ-47");
    check_find(g, "Mañğystau oblysy", "KZ-47", "KZ-47");
    check_find(g, "mangystau", "KZ-47", "KZ-47");
    check_find(g, "Zhanaozen", "zhanaozen", "KZ-47");
    check_find(g, "ЖАҢАӨЗЕН", "zhanaozen", "KZ-47");
    check_find(g, "Жанаозен", "zhanaozen", "KZ-47");
    check_find(g, "Jañaözen", "zhanaozen", "KZ-47");
    check_find(g, "  Усть-Каменогорск ", "oskemen", "KZ-63");
    check_find(g, "ust_kamenogorsk", "oskemen", "KZ-63");
    check_find(g, "Өскемен", "oskemen", "KZ-63");
    check_find(g, "Nur-Sultan", "KZ-71", "KZ-71");
    check_find(g, "Нұр-Сұлтан", "KZ-71", "KZ-71");
    check_find(g, "Целиноград", "KZ-71", "KZ-71");
    check_find(g, "Акмолинск", "KZ-71", "KZ-71"); /* the city's old name, not the oblast */
    check_find(g, "Akmola", "KZ-11", "KZ-11");
    check_find(g, "almaty", "KZ-75", "KZ-75");
    check_find(g, "almaty_city", "KZ-75", "KZ-75");
    check_find(g, "Almaty Region", "KZ-19", "KZ-19");
    check_find(g, "Алматинская область", "KZ-19", "KZ-19");
    check_find(g, "Жетісу", "KZ-33", "KZ-33");
    check_find(g, "Жетысу", "KZ-33", "KZ-33");
    check_find(g, "zhetysu", "KZ-33", "KZ-33");
    check_find(g, "Jetisu", "KZ-33", "KZ-33");
    check_find(g, "Ulytau", "KZ-62", "KZ-62");
    check_find(g, "Abai", "KZ-10", "KZ-10");
    check_find(g, "Semipalatinsk", "semey", "KZ-10");
    check_find(g, "Konaev", "konaev", "KZ-19");
    check_find(g, "Kapchagay", "konaev", "KZ-19");
    check_find(g, "Baikonur", "baikonur", "KZ-43");
    check_find(g, "Kulsary", "kulsary", "KZ-23");
    check_find(g, "Экибастуз", "ekibastuz", "KZ-55");
    check_find(g, "Сатпаев", "satpayev", "KZ-62");
    check_find(g, "west_kazakhstan", "KZ-27", "KZ-27");
    check_find(g, "north_kazakhstan", "KZ-59", "KZ-59");
    check_find(g, "east_kazakhstan", "KZ-63", "KZ-63");
    /* what names no place */
    check_find(g, "mars", NULL, NULL);
    check_find(g, "Москва", NULL, NULL);
    check_find(g, "KZ-99", NULL, NULL);
    check_find(g, "unknown", NULL, NULL);
    check_find(g, "", NULL, NULL);
    check_find(g, " - ", NULL, NULL);
    check_find(g, "\xD0", NULL, NULL); /* a cut UTF-8 sequence */
    CHECK(nlp_gazetteer_find(NULL, "KZ-47", 5) == NULL);
}

/* ---------------------------------------------------------------------------
 * Bad files: one file:line message per bad row
 * ------------------------------------------------------------------------ */

struct errs {
    char msg[16][320];
    int n;
};

static void collect(void *ctx, const char *msg)
{
    struct errs *e = ctx;
    if (e->n < 16)
        snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
    e->n++;
}

static int has(const struct errs *e, const char *prefix, const char *part)
{
    for (int i = 0; i < e->n && i < 16; i++)
        if (!strncmp(e->msg[i], prefix, strlen(prefix)) && strstr(e->msg[i], part))
            return 1;
    return 0;
}

static void test_errors(void)
{
    static const char bad[] =
        "# a bad gazetteer\n" /* 1 */
        "region\tKZ-47\toblast\tМаңғыстау облысы\tMañğystau oblysy\tМангистауская "
        "область\tMangystau Region\n"                                              /* 2 */
        "region\tKZ-4X\toblast\ta\tb\tc\td\n"                                      /* 3 */
        "region\tKZ-23\tprovince\ta\tb\tc\td\n"                                    /* 4 */
        "town\tZhanaozen\tKZ-47\ta\tb\tc\td\n"                                     /* 5 */
        "town\ttaraz\tKZ-31\tТараз\tTaraz\tТараз\tTaraz\n"                         /* 6 */
        "town\taktau\tKZ-47\tАқтау\tAqtau\tАктау\n"                                /* 7 */
        "town\tzhanaozen\tKZ-47\tЖаңаөзен\tJañaözen\tЖанаозен\tMangystau Region\n" /* 8 */
        "street\tabai\tKZ-47\n"                                                    /* 9 */
        "match\tKZ-47\tмаңғыстау*\t1.5\tkk\t\n"                                    /* 10 */
        "match\tKZ-47\tмаңғыстау*\t1.0\tde\t\n"                                    /* 11 */
        "match\tKZ-99\tмарс\t1.0\tru\t\n"                                          /* 12 */
        "name\tKZ-47\t\t\n"                                                        /* 13 */
        "region\tKZ-47\toblast\ta\tb\tc\td\n"                                      /* 14 */
        "name\tKZ-47\t\xff\xfe\t\n";                                               /* 15 */
    struct errs e = {0};
    long n = nlp_gazetteer_check("g.tsv", bad, strlen(bad), collect, &e);

    for (int i = 0; i < e.n && i < 16; i++)
        fprintf(stderr, "# %s\n", e.msg[i]);
    CHECK(has(&e, "g.tsv:3:", "ISO 3166-2 code"));
    CHECK(has(&e, "g.tsv:4:", "not oblast or city"));
    CHECK(has(&e, "g.tsv:5:", "snake_case"));
    CHECK(has(&e, "g.tsv:6:", "KZ-31 is not defined"));
    CHECK(has(&e, "g.tsv:7:", "7 TAB-separated fields"));
    CHECK(has(&e, "g.tsv:8:", "already names KZ-47"));
    CHECK(has(&e, "g.tsv:9:", "unknown row kind"));
    CHECK(has(&e, "g.tsv:10:", "weight"));
    CHECK(has(&e, "g.tsv:11:", "lang"));
    CHECK(has(&e, "g.tsv:12:", "KZ-99 is not a region or town"));
    CHECK(has(&e, "g.tsv:13:", "empty name"));
    CHECK(has(&e, "g.tsv:14:", "defined twice (line 2)"));
    CHECK(has(&e, "g.tsv:15:", "UTF-8"));
    CHECK_EQ_INT(n, 13);
    CHECK_EQ_INT(e.n, 13);

    /* parse stops at the first and says where */
    struct nlp_gazetteer *g = NULL;
    char err[256];
    CHECK_EQ_INT(nlp_gazetteer_parse("g.tsv", bad, strlen(bad), &g, err, sizeof(err)), KZ_EINVAL);
    CHECK(g == NULL);
    CHECK(!strncmp(err, "g.tsv:3:", 8));

    /* empty and comment-only files are valid, and know no place */
    CHECK_EQ_INT(nlp_gazetteer_parse("e.tsv", "", 0, &g, err, sizeof(err)), 0);
    CHECK_EQ_INT(nlp_gazetteer_count(g), 0);
    CHECK(nlp_gazetteer_find(g, "KZ-47", 5) == NULL);
    nlp_gazetteer_free(g);

    /* region/ and city/ rows belong to the gazetteer, not to a lexicon */
    static const char lex[] = "region/almaty_city\tалматы\t1.0\tkk\t\n";
    struct nlp_lexicon_file f = {"old.tsv", lex, strlen(lex)};
    struct nlp_lexicon *lx = NULL;
    CHECK_EQ_INT(nlp_lexicon_compile(&f, 1, &lx, err, sizeof(err)), KZ_EINVAL);
    CHECK(strstr(err, "old.tsv:1:") && strstr(err, "gazetteer.tsv"));
    /* a gazetteer's errors reach lexicon lint with its file name */
    struct nlp_lexicon_file gf = {"lexicons/gazetteer.tsv", bad, strlen(bad)};
    memset(&e, 0, sizeof(e));
    CHECK_EQ_INT(nlp_lexicon_check(&gf, 1, collect, &e), 13);
    CHECK(has(&e, "lexicons/gazetteer.tsv:12:", "KZ-99"));
}

/* ---------------------------------------------------------------------------
 * Post text -> region and town, through the shipped lexicons
 * ------------------------------------------------------------------------ */

static void check_text(struct nlp_analyzer *a, const struct nlp_lexicon *lx, const char *text,
                       const char *region, const char *city)
{
    struct nlp_doc doc;
    struct nlp_verdict v;
    int ok;

    CHECK_EQ_INT(nlp_analyze(a, text, strlen(text), NLP_LANG_UND, &doc), 0);
    CHECK_EQ_INT(nlp_classify(a, lx, &doc, &v), 0);
    ok = is(v.region, region ? region : "") && is(v.city, city ? city : "");
    if (!ok)
        fprintf(stderr, "# %s: want %s/%s, got %.*s/%.*s\n", text, region ? region : "-",
                city ? city : "-", (int)v.region.n, v.region.p, (int)v.city.n, v.city.p);
    CHECK(ok);
}

static void test_text(struct nlp_analyzer *a, const struct nlp_lexicon *lx)
{
    check_text(a, lx, "Жаңаөзенде мұнайшылар тағы да ереуілге шықты", "KZ-47", "zhanaozen");
    check_text(a, lx, "В Жанаозене снова бастуют нефтяники", "KZ-47", "zhanaozen");
    check_text(a, lx, "Zhanaozen munaishylary erteñ alañğa şyğady", "KZ-47", "zhanaozen");
    check_text(a, lx, "#Жаңаөзен 2011 ұмытылмайды", "KZ-47", "zhanaozen");
    check_text(a, lx, "Ақтауда жарық жоқ, Маңғыстау облысы әкімдігі үндемейді", "KZ-47", "aktau");
    check_text(a, lx, "Өскеменде су тасқыны, тұрғындар көшірілді", "KZ-63", "oskemen");
    check_text(a, lx, "В Усть-Каменогорске выросли тарифы на тепло", "KZ-63", "oskemen");
    check_text(a, lx, "Теміртаудағы металлургтер жалақы талап етеді", "KZ-35", "temirtau");
    check_text(a, lx, "Конаевте жаңа аурухана ашылды", "KZ-19", "konaev");
    check_text(a, lx, "Алматы облысында жол жабылды", "KZ-19", NULL);
    check_text(a, lx, "Вчера в Алматы прошёл одиночный пикет", "KZ-75", NULL);
    check_text(a, lx, "Астанада жиналыс өтті", "KZ-71", NULL);
    check_text(a, lx, "Жетісу облысында егін шықпады", "KZ-33", NULL);
    check_text(a, lx, "Ұлытау облысының кеншілері", "KZ-62", NULL);
    check_text(a, lx, "Экибастузда көмір қымбаттады", "KZ-55", "ekibastuz");
    check_text(a, lx, "Байконурда зымыран ұшырылды", "KZ-43", "baikonur");
    check_text(a, lx, "Семейлік ақын емес, семейный бюджет", NULL, NULL);
    check_text(a, lx, "Бүгін ауа райы жақсы", NULL, NULL);
}

int main(void)
{
    const char *root = getenv("KZ_SOURCE_ROOT");
    char path[1024];
    size_t len = 0;
    char *data, err[512];
    struct nlp_gazetteer *g = NULL;

    snprintf(path, sizeof(path), "%s/lexicons/gazetteer.tsv", root ? root : "..");
    data = slurp(path, &len);
    CHECK(data != NULL);
    if (data) {
        int rc = nlp_gazetteer_parse(path, data, len, &g, err, sizeof(err));
        if (rc)
            fprintf(stderr, "# %s\n", err);
        CHECK_EQ_INT(rc, 0);
    }
    if (g) {
        test_shipped(g);
        test_find(g);
    }
    test_errors();

    /* the shipped lexicons with their gazetteer */
    if (data) {
        struct nlp_lexicon_file f = {path, data, len};
        struct nlp_lexicon *lx = NULL;
        struct nlp_analyzer *a = NULL;
        CHECK_EQ_INT(nlp_lexicon_compile(&f, 1, &lx, err, sizeof(err)), 0);
        CHECK(nlp_lexicon_gazetteer(lx) != NULL);
        CHECK_EQ_INT(nlp_gazetteer_count(nlp_lexicon_gazetteer(lx)), nlp_gazetteer_count(g));
        CHECK_EQ_INT(nlp_analyzer_new(NULL, &a, err, sizeof(err)), 0);
        if (lx && a)
            test_text(a, lx);
        nlp_analyzer_free(a);
        nlp_lexicon_free(lx);
    }
    nlp_gazetteer_free(g);
    free(data);
    return TAP_DONE();
}
