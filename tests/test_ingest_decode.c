/*
 * test_ingest_decode.c -- records to posts and dead letters, every path.
 *
 * Each case decodes one record (a C string) and looks at what the callbacks
 * received; the collector copies posts and dead letters out, because what the
 * decoder hands out is valid only during the callback.  Every string handed
 * out is also checked to be NUL-terminated and valid UTF-8 right there.
 * The sample posts are our own sentences in Kazakh (Cyrillic and Latin),
 * Russian and a mix of both.
 */
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "tap.h"
#include "utf8_ref.h"

#define T0 1772960700000LL       /* 2026-03-08T09:05:00Z */
#define ARRIVAL (T0 + 3600000LL) /* records "arrive" an hour later */
#define MAXP 16

struct cpost {
    char *id, *platform, *author, *channel, *lang, *region, *url, *reply_to, *repost_of, *text;
    size_t text_len, text_full_len;
    int64_t ts_ms, views, likes, shares;
    unsigned flags;
    enum ingest_schema schema;
    uint32_t index;
    uint64_t offset;
};

struct cdead {
    enum ingest_dl_reason reason;
    char *detail;
    char *raw;
    size_t raw_len;
    uint32_t index;
};

struct sink {
    struct cpost post[MAXP];
    struct cdead dead[MAXP];
    int nposts, ndead;
    int stop_after; /* return 7 from the n-th post when > 0 */
};

static char *copy_str(struct kz_str s)
{
    /* The contract: absent is n == 0; present strings are NUL-terminated and
     * valid UTF-8. */
    if (s.n == 0)
        return NULL;
    CHECK(s.p != NULL && s.p[s.n] == '\0');
    CHECK(ingest_utf8_valid_prefix(s.p, s.n) == s.n);
    char *c = malloc(s.n + 1);
    if (c) {
        memcpy(c, s.p, s.n);
        c[s.n] = '\0';
    }
    return c;
}

static int on_post(void *ctx, const struct ingest_post *p)
{
    struct sink *s = ctx;
    if (s->nposts >= MAXP)
        return 0;
    struct cpost *c = &s->post[s->nposts++];
    c->id = copy_str(p->id);
    c->platform = copy_str(p->platform);
    c->author = copy_str(p->author);
    c->channel = copy_str(p->channel);
    c->lang = copy_str(p->lang);
    c->region = copy_str(p->region);
    c->url = copy_str(p->url);
    c->reply_to = copy_str(p->reply_to);
    c->repost_of = copy_str(p->repost_of);
    c->text = copy_str(p->text);
    c->text_len = p->text.n;
    c->text_full_len = p->text_full_len;
    c->ts_ms = p->ts_ms;
    c->views = p->views;
    c->likes = p->likes;
    c->shares = p->shares;
    c->flags = p->flags;
    c->schema = p->schema;
    c->index = p->pos.index;
    c->offset = p->pos.offset;
    if (s->stop_after && s->nposts == s->stop_after)
        return 7;
    return 0;
}

static int on_dead(void *ctx, const struct ingest_dead *d)
{
    struct sink *s = ctx;
    if (s->ndead >= MAXP)
        return 0;
    struct cdead *c = &s->dead[s->ndead++];
    c->reason = d->reason;
    c->detail = strdup(d->detail ? d->detail : "");
    c->raw = malloc(d->raw_len + 1);
    if (c->raw) {
        memcpy(c->raw, d->raw, d->raw_len);
        c->raw[d->raw_len] = '\0';
    }
    c->raw_len = d->raw_len;
    c->index = d->pos.index;
    /* And the writer accepts every dead letter the decoder produces. */
    FILE *f = fopen("/dev/null", "w");
    if (f) {
        CHECK_EQ_INT(ingest_dead_write_json(f, d), 0);
        fclose(f);
    }
    return 0;
}

static void sink_free(struct sink *s)
{
    for (int i = 0; i < s->nposts; i++) {
        struct cpost *c = &s->post[i];
        char **f[] = {&c->id,     &c->platform, &c->author,   &c->channel,   &c->lang,
                      &c->region, &c->url,      &c->reply_to, &c->repost_of, &c->text};
        for (size_t k = 0; k < KZ_ARRAY_LEN(f); k++)
            free(*f[k]);
    }
    for (int i = 0; i < s->ndead; i++) {
        free(s->dead[i].detail);
        free(s->dead[i].raw);
    }
    memset(s, 0, sizeof(*s));
}

static struct ingest_record record(const char *data, size_t len)
{
    struct ingest_record r;
    memset(&r, 0, sizeof(r));
    r.data = data;
    r.len = len;
    r.pos.source = "test.jsonl";
    r.pos.partition = -1;
    r.pos.offset = 100;
    r.arrival_ms = ARRIVAL;
    return r;
}

static int decode(struct ingest_decoder *dec, const char *json, struct sink *s)
{
    struct ingest_record r = record(json, strlen(json));
    return ingest_decode(dec, &r, on_post, on_dead, s);
}

static struct ingest_decoder *new_decoder(enum ingest_schema schema, size_t max_text)
{
    struct ingest_config cfg;
    struct ingest_decoder *dec = NULL;
    ingest_config_default(&cfg);
    cfg.schema = schema;
    if (max_text)
        cfg.max_text = max_text;
    CHECK_EQ_INT(ingest_decoder_new(&cfg, &dec), 0);
    return dec;
}

/* Decode one record that must give exactly one dead letter of `reason`. */
static void expect_dead(const char *json, enum ingest_dl_reason reason, const char *detail)
{
    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 0);
    struct sink s = {0};
    CHECK_EQ_INT(decode(dec, json, &s), 0);
    CHECK_EQ_INT(s.nposts, 0);
    CHECK_EQ_INT(s.ndead, 1);
    if (s.ndead == 1) {
        CHECK_EQ_STR(ingest_dl_reason_name(s.dead[0].reason), ingest_dl_reason_name(reason));
        if (detail)
            CHECK_EQ_STR(s.dead[0].detail, detail);
        CHECK_EQ_INT(s.dead[0].raw_len, strlen(json));
        CHECK(memcmp(s.dead[0].raw, json, strlen(json)) == 0);
    }
    CHECK_EQ_INT(ingest_decoder_stats(dec)->dead[reason], 1);
    sink_free(&s);
    ingest_decoder_free(dec);
}

/* ---------------------------------------------------------------------------
 * Generic
 * ------------------------------------------------------------------------ */

static void test_generic_full(void)
{
    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 0);
    struct sink s = {0};
    CHECK_EQ_INT(decode(dec,
                        "{\"id\":\"fb:991\",\"platform\":\"facebook\",\"author\":\"aigul_kz\","
                        "\"channel\":\"zhanaozen_news\",\"lang\":\"kk\",\"region\":\"mangystau\","
                        "\"url\":\"https://example.kz/p/991\",\"reply_to\":\"fb:990\","
                        "\"repost_of\":\"fb:900\",\"ts\":\"2026-03-08T14:05:00+05:00\","
                        "\"text\":\"Ертең алаңға жиналамыз, сағат онда\","
                        "\"metrics\":{\"views\":1200,\"likes\":45,\"shares\":7,\"saves\":3},"
                        "\"unknown\":{\"nested\":[1,2,{\"x\":null}]},\"score\":0.5}",
                        &s),
                 0);
    CHECK_EQ_INT(s.nposts, 1);
    CHECK_EQ_INT(s.ndead, 0);
    struct cpost *p = &s.post[0];
    CHECK_EQ_STR(p->id, "fb:991");
    CHECK_EQ_STR(p->platform, "facebook");
    CHECK_EQ_STR(p->author, "aigul_kz");
    CHECK_EQ_STR(p->channel, "zhanaozen_news");
    CHECK_EQ_STR(p->lang, "kk");
    CHECK_EQ_STR(p->region, "mangystau");
    CHECK_EQ_STR(p->url, "https://example.kz/p/991");
    CHECK_EQ_STR(p->reply_to, "fb:990");
    CHECK_EQ_STR(p->repost_of, "fb:900");
    CHECK_EQ_STR(p->text, "Ертең алаңға жиналамыз, сағат онда");
    CHECK_EQ_INT(p->ts_ms, T0);
    CHECK_EQ_INT(p->views, 1200);
    CHECK_EQ_INT(p->likes, 45);
    CHECK_EQ_INT(p->shares, 7);
    CHECK_EQ_INT(p->flags, INGEST_POST_HAS_METRICS);
    CHECK_EQ_INT(p->schema, INGEST_SCHEMA_GENERIC);
    CHECK_EQ_INT(p->offset, 100);
    CHECK_EQ_INT(p->index, 0);
    CHECK_EQ_INT(p->text_full_len, p->text_len);
    sink_free(&s);
    ingest_decoder_free(dec);
}

static void test_generic_minimal(void)
{
    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 0);
    struct sink s = {0};
    CHECK_EQ_INT(decode(dec, "{\"text\":\"Цены на бензин опять выросли\"}", &s), 0);
    CHECK_EQ_INT(s.nposts, 1);
    struct cpost *p = &s.post[0];
    CHECK(p->id == NULL && p->platform == NULL && p->author == NULL && p->channel == NULL);
    CHECK(p->lang == NULL && p->url == NULL && p->reply_to == NULL && p->repost_of == NULL);
    CHECK_EQ_STR(p->text, "Цены на бензин опять выросли");
    CHECK_EQ_INT(p->ts_ms, ARRIVAL);
    CHECK_EQ_INT(p->flags, INGEST_POST_TS_ARRIVAL);
    CHECK_EQ_INT(p->views, -1);
    CHECK_EQ_INT(p->likes, -1);
    CHECK_EQ_INT(p->shares, -1);
    CHECK_EQ_INT(ingest_decoder_stats(dec)->ts_arrival, 1);
    sink_free(&s);

    /* null means absent; empty strings are absent too. */
    CHECK_EQ_INT(decode(dec,
                        "{\"text\":\"Qazir Astanada qar jauyp tur\",\"lang\":null,\"ts\":null,"
                        "\"metrics\":null,\"author\":\"\",\"platform\":\"blog\"}",
                        &s),
                 0);
    CHECK_EQ_INT(s.nposts, 1);
    CHECK(s.post[0].lang == NULL && s.post[0].author == NULL);
    CHECK_EQ_STR(s.post[0].platform, "blog");
    CHECK_EQ_INT(s.post[0].flags, INGEST_POST_TS_ARRIVAL);
    sink_free(&s);
    ingest_decoder_free(dec);
}

/* The post's own place beside "region": a "geo" string, or a name inside a
 * "geo" object or its "place" (VK); coordinates and other shapes are not a
 * place and never a dead letter; "region" wins over "geo". */
static void test_geo(void)
{
    static const struct {
        const char *json, *region;
    } cases[] = {
        {"{\"text\":\"Жаңаөзенде жиын\",\"geo\":\"Жаңаөзен\"}", "Жаңаөзен"},
        {"{\"text\":\"Су жоқ\",\"geo\":{\"region\":\"Mangystau\",\"city\":\"Aktau\"}}",
         "Mangystau"},
        {"{\"text\":\"Су жоқ\",\"geo\":{\"city\":\"Aktau\"}}", "Aktau"},
        {"{\"text\":\"Свет отключили\",\"region\":\"KZ-47\",\"geo\":\"Almaty\"}", "KZ-47"},
        {"{\"text\":\"Свет отключили\",\"geo\":{\"lat\":43.2,\"lon\":76.9}}", NULL},
        {"{\"text\":\"Свет отключили\",\"geo\":[43.2,76.9]}", NULL},
        {"{\"text\":\"Свет отключили\",\"geo\":17}", NULL},
        {"{\"text\":\"Свет отключили\",\"geo\":\"\"}", NULL},
        {"{\"id\":48,\"owner_id\":-1,\"from_id\":1,\"date\":1772960700,\"text\":\"Жол жабық\","
         "\"geo\":{\"type\":\"point\",\"coordinates\":\"51.1 71.4\","
         "\"place\":{\"id\":1,\"title\":\"Астана\"}}}",
         "Астана"},
    };
    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 0);
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        struct sink s = {0};
        CHECK_EQ_INT(decode(dec, cases[i].json, &s), 0);
        CHECK_EQ_INT(s.nposts, 1);
        CHECK_EQ_INT(s.ndead, 0);
        if (s.nposts == 1) {
            if (cases[i].region)
                CHECK_EQ_STR(s.post[0].region, cases[i].region);
            else
                CHECK(s.post[0].region == NULL);
        }
        sink_free(&s);
    }
    ingest_decoder_free(dec);
}

static void test_numeric_ids(void)
{
    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 0);
    struct sink s = {0};
    CHECK_EQ_INT(decode(dec,
                        "{\"id\":1790000000000000123,\"author\":-42,\"channel\":0,"
                        "\"reply_to\":9007199254740993,\"repost_of\":\"77\","
                        "\"text\":\"Бүгін жиналыс болмайды, ертеңге ауыстырылды\"}",
                        &s),
                 0);
    CHECK_EQ_INT(s.nposts, 1);
    CHECK_EQ_STR(s.post[0].id, "1790000000000000123");
    CHECK_EQ_STR(s.post[0].author, "-42");
    CHECK_EQ_STR(s.post[0].channel, "0");
    CHECK_EQ_STR(s.post[0].reply_to, "9007199254740993"); /* exact beyond 2^53 */
    CHECK_EQ_STR(s.post[0].repost_of, "77");
    sink_free(&s);
    ingest_decoder_free(dec);
}

static void test_ts_forms(void)
{
    static const struct {
        const char *ts;
        int64_t want; /* 0: arrival fallback */
    } cases[] = {
        {"1772960700", T0},
        {"1772960700000", T0},
        {"1772960700.5", T0 + 500},
        {"\"1772960700\"", T0},
        {"\"1772960700000\"", T0},
        {"\"2026-03-08T05:35:00-03:30\"", T0},
        {"\"2026-03-08T09:05:00.250Z\"", T0 + 250},
        {"\"кеше кешке\"", 0},          /* "yesterday evening": not a time */
        {"\"2026-03-08T09:05:00\"", 0}, /* no offset in the generic schema */
        {"1e300", 0},
        {"-99999999999999999", 0},
    };
    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 0);
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        char json[256];
        struct sink s = {0};
        snprintf(json, sizeof(json), "{\"text\":\"Жаңалықтар\",\"ts\":%s}", cases[i].ts);
        CHECK_EQ_INT(decode(dec, json, &s), 0);
        CHECK_EQ_INT(s.nposts, 1);
        if (s.nposts == 1) {
            int64_t want = cases[i].want ? cases[i].want : ARRIVAL;
            if (s.post[0].ts_ms != want)
                fprintf(stderr, "  ts case %s\n", cases[i].ts);
            CHECK_EQ_INT(s.post[0].ts_ms, want);
            CHECK_EQ_INT(s.post[0].flags, cases[i].want ? 0 : INGEST_POST_TS_ARRIVAL);
        }
        sink_free(&s);
    }
    CHECK_EQ_INT(ingest_decoder_stats(dec)->ts_arrival, 4);
    ingest_decoder_free(dec);
}

/* ---------------------------------------------------------------------------
 * Telegram
 * ------------------------------------------------------------------------ */

static void test_telegram_message(void)
{
    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 0);
    struct sink s = {0};

    /* String text, date_unixtime preferred over date, from_id over from. */
    CHECK_EQ_INT(decode(dec,
                        "{\"id\":812,\"type\":\"message\",\"date\":\"2026-03-08T10:00:00\","
                        "\"date_unixtime\":\"1772960700\",\"from\":\"Айгүл\","
                        "\"from_id\":\"user123\",\"reply_to_message_id\":800,"
                        "\"forwarded_from\":\"Жаңаөзен хабарлары\","
                        "\"text\":\"Жаңаөзенде тағы да ереуіл басталды\",\"text_entities\":[]}",
                        &s),
                 0);
    CHECK_EQ_INT(s.nposts, 1);
    struct cpost *p = &s.post[0];
    CHECK_EQ_STR(p->id, "tg:812");
    CHECK_EQ_STR(p->platform, "telegram");
    CHECK_EQ_STR(p->author, "user123");
    CHECK_EQ_STR(p->reply_to, "tg:800");
    CHECK_EQ_STR(p->repost_of, "Жаңаөзен хабарлары");
    CHECK_EQ_STR(p->text, "Жаңаөзенде тағы да ереуіл басталды");
    CHECK(p->channel == NULL);
    CHECK_EQ_INT(p->ts_ms, T0);
    CHECK_EQ_INT(p->schema, INGEST_SCHEMA_TELEGRAM);
    sink_free(&s);

    /* Array text with entities; "date" (local, read as UTC) when there is no
     * date_unixtime; "from" when there is no from_id. */
    CHECK_EQ_INT(decode(dec,
                        "{\"id\":813,\"type\":\"message\",\"date\":\"2026-03-08T09:05:00\","
                        "\"from\":\"Ерлан\",\"text\":[\"Бәріміз алаңға! \","
                        "{\"type\":\"hashtag\",\"text\":\"#жаңаөзен\"},\" \","
                        "{\"type\":\"text_link\",\"text\":\"толығырақ\","
                        "\"href\":\"https://t.me/example/1\"},{\"type\":\"bold\"}]}",
                        &s),
                 0);
    CHECK_EQ_INT(s.nposts, 1);
    p = &s.post[0];
    CHECK_EQ_STR(p->text, "Бәріміз алаңға! #жаңаөзен толығырақ");
    CHECK_EQ_STR(p->author, "Ерлан");
    CHECK_EQ_INT(p->ts_ms, T0);
    CHECK_EQ_INT(p->flags, 0);
    sink_free(&s);

    /* A service message is skipped and counted, not dead-lettered. */
    CHECK_EQ_INT(decode(dec,
                        "{\"id\":814,\"type\":\"service\",\"date\":\"2026-03-08T09:06:00\","
                        "\"action\":\"pin_message\",\"text\":\"\"}",
                        &s),
                 0);
    CHECK_EQ_INT(s.nposts, 0);
    CHECK_EQ_INT(s.ndead, 0);
    CHECK_EQ_INT(ingest_decoder_stats(dec)->skipped_service, 1);

    /* A forced schema wins over detection. */
    struct ingest_decoder *tg = new_decoder(INGEST_SCHEMA_TELEGRAM, 0);
    CHECK_EQ_INT(decode(tg, "{\"id\":\"5\",\"text\":\"Сәлем\",\"from_id\":12}", &s), 0);
    CHECK_EQ_INT(s.nposts, 1);
    CHECK_EQ_STR(s.post[0].id, "tg:5");
    CHECK_EQ_STR(s.post[0].author, "12");
    CHECK_EQ_STR(s.post[0].platform, "telegram");
    sink_free(&s);
    ingest_decoder_free(tg);
    ingest_decoder_free(dec);
}

static const char export_json[] =
    "{\n \"name\": \"Алаң online\",\n \"type\": \"public_channel\",\n \"id\": 1001,\n"
    " \"messages\": [\n"
    "  {\"id\": 1, \"type\": \"service\", \"date\": \"2026-03-08T08:00:00\","
    " \"actor\": \"Алаң online\", \"action\": \"create_channel\", \"text\": \"\"},\n"
    "  {\"id\": 2, \"type\": \"message\", \"date\": \"2026-03-08T09:05:00\","
    " \"date_unixtime\": \"1772960700\", \"from\": \"Алаң online\","
    " \"from_id\": \"channel1001\", \"text\": \"Митинг сегодня отменили из-за погоды\"},\n"
    "  {\"id\": 3, \"type\": \"message\", \"date_unixtime\": \"1772960760\","
    " \"from_id\": \"channel1001\", \"text\": [\"Ертең сағат 12:00-де \","
    " {\"type\": \"hashtag\", \"text\": \"#алаң\"}]},\n"
    "  {\"id\": 4, \"type\": \"message\", \"date_unixtime\": \"1772960800\","
    " \"photo\": \"photos/1.jpg\", \"text\": \"\"},\n"
    "  [\"not\", \"a\", \"message\"],\n"
    "  {\"id\": 6, \"type\": \"message\", \"date_unixtime\": true, \"text\": \"Сәлем\"}\n"
    " ]\n}\n";

static void test_telegram_export(void)
{
    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 0);
    struct sink s = {0};
    struct ingest_record r = record(export_json, strlen(export_json));
    r.schema = INGEST_SCHEMA_TELEGRAM; /* as the source hints */
    CHECK_EQ_INT(ingest_decode(dec, &r, on_post, on_dead, &s), 0);
    CHECK_EQ_INT(s.nposts, 2);
    CHECK_EQ_INT(s.ndead, 3);
    if (s.nposts == 2) {
        CHECK_EQ_STR(s.post[0].id, "tg:2");
        CHECK_EQ_STR(s.post[0].channel, "Алаң online");
        CHECK_EQ_STR(s.post[0].author, "channel1001");
        CHECK_EQ_STR(s.post[0].text, "Митинг сегодня отменили из-за погоды");
        CHECK_EQ_INT(s.post[0].index, 1);
        CHECK_EQ_INT(s.post[0].ts_ms, T0);
        CHECK_EQ_STR(s.post[1].id, "tg:3");
        CHECK_EQ_STR(s.post[1].text, "Ертең сағат 12:00-де #алаң");
        CHECK_EQ_STR(s.post[1].channel, "Алаң online");
        CHECK_EQ_INT(s.post[1].index, 2);
        CHECK_EQ_INT(s.post[1].ts_ms, T0 + 60000);
        CHECK_EQ_INT(s.post[1].offset, 100);
    }
    if (s.ndead == 3) {
        CHECK_EQ_INT(s.dead[0].reason, INGEST_DL_EMPTY_TEXT);
        CHECK_EQ_INT(s.dead[0].index, 3);
        /* raw is the element alone, re-serialized. */
        CHECK_EQ_STR(s.dead[0].raw,
                     "{\"id\":4,\"type\":\"message\",\"date_unixtime\":\"1772960800\","
                     "\"photo\":\"photos/1.jpg\",\"text\":\"\"}");
        CHECK_EQ_INT(s.dead[1].reason, INGEST_DL_NOT_OBJECT);
        CHECK_EQ_INT(s.dead[1].index, 4);
        CHECK_EQ_STR(s.dead[1].raw, "[\"not\",\"a\",\"message\"]");
        CHECK_EQ_INT(s.dead[2].reason, INGEST_DL_BAD_TYPE);
        CHECK_EQ_INT(s.dead[2].index, 5);
        CHECK_EQ_STR(s.dead[2].detail,
                     "field \"date_unixtime\": expected string or number, got boolean");
    }
    const struct ingest_stats *st = ingest_decoder_stats(dec);
    CHECK_EQ_INT(st->records, 1);
    CHECK_EQ_INT(st->elements, 6);
    CHECK_EQ_INT(st->posts, 2);
    CHECK_EQ_INT(st->skipped_service, 1);
    CHECK_EQ_INT(st->by_schema[INGEST_SCHEMA_TELEGRAM], 2);
    sink_free(&s);

    /* Auto-detection finds the export without the hint too, and an empty
     * export is one counted skip. */
    CHECK_EQ_INT(decode(dec, export_json, &s), 0);
    CHECK_EQ_INT(s.nposts, 2);
    sink_free(&s);
    CHECK_EQ_INT(decode(dec, "{\"name\":\"Бос арна\",\"messages\":[]}", &s), 0);
    CHECK_EQ_INT(s.nposts + s.ndead, 0);
    CHECK_EQ_INT(st->skipped_empty, 1);
    sink_free(&s);
    ingest_decoder_free(dec);
}

/* ---------------------------------------------------------------------------
 * VK and X
 * ------------------------------------------------------------------------ */

static void test_vk(void)
{
    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 0);
    struct sink s = {0};
    CHECK_EQ_INT(decode(dec,
                        "{\"id\":45,\"owner_id\":-123,\"from_id\":-123,\"date\":1772960700,"
                        "\"post_type\":\"post\",\"text\":\"В Актау снова отключили воду\","
                        "\"copy_history\":[{\"id\":7,\"owner_id\":-555,\"from_id\":-555,"
                        "\"date\":1772950000,\"text\":\"Вода будет завтра\"}],"
                        "\"likes\":{\"count\":31,\"user_likes\":0},\"reposts\":{\"count\":4},"
                        "\"views\":{\"count\":1500}}",
                        &s),
                 0);
    CHECK_EQ_INT(s.nposts, 1);
    struct cpost *p = &s.post[0];
    CHECK_EQ_STR(p->id, "vk:-123_45");
    CHECK_EQ_STR(p->platform, "vk");
    CHECK_EQ_STR(p->author, "-123");
    CHECK_EQ_STR(p->channel, "-123");
    CHECK_EQ_STR(p->url, "https://vk.com/wall-123_45");
    CHECK_EQ_STR(p->repost_of, "vk:-555_7");
    CHECK_EQ_STR(p->text, "В Актау снова отключили воду");
    CHECK_EQ_INT(p->ts_ms, T0);
    CHECK_EQ_INT(p->likes, 31);
    CHECK_EQ_INT(p->shares, 4);
    CHECK_EQ_INT(p->views, 1500);
    CHECK_EQ_INT(p->flags, INGEST_POST_HAS_METRICS);
    CHECK_EQ_INT(p->schema, INGEST_SCHEMA_VK);
    sink_free(&s);

    /* A user's post on a community wall, no copy_history, no metrics. */
    CHECK_EQ_INT(decode(dec,
                        "{\"id\":46,\"owner_id\":-123,\"from_id\":777,\"date\":1772960700,"
                        "\"text\":\"Сегодня на площади было человек двести\"}",
                        &s),
                 0);
    CHECK_EQ_INT(s.nposts, 1);
    CHECK_EQ_STR(s.post[0].author, "777");
    CHECK(s.post[0].repost_of == NULL);
    CHECK_EQ_INT(s.post[0].flags, 0);
    sink_free(&s);

    /* Wrong types inside VK objects name the nested field. */
    CHECK_EQ_INT(decode(dec,
                        "{\"id\":47,\"owner_id\":-1,\"from_id\":1,\"date\":1772960700,"
                        "\"text\":\"Жол жабық\",\"likes\":{\"count\":\"many\"}}",
                        &s),
                 0);
    CHECK_EQ_INT(s.ndead, 1);
    CHECK_EQ_STR(s.dead[0].detail, "field \"likes.count\": expected integer, got string");
    sink_free(&s);
    ingest_decoder_free(dec);
}

#define X_TWEET(id, extra)                                                                         \
    "{\"id\":\"" id "\",\"author_id\":\"2244994945\",\"created_at\":\"2026-03-08T09:05:00.000Z\"," \
    "\"lang\":\"ru\",\"text\":\"Алматыда бензин тағы қымбаттады, " id "\"" extra "}"

static void test_x(void)
{
    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 0);
    struct sink s = {0};

    /* Bare tweet. */
    CHECK_EQ_INT(decode(dec,
                        X_TWEET("1790000000000000001",
                                ",\"referenced_tweets\":[{\"type\":\"replied_to\","
                                "\"id\":\"1789\"},{\"type\":\"quoted\",\"id\":\"1788\"}],"
                                "\"public_metrics\":{\"retweet_count\":2,\"reply_count\":1,"
                                "\"like_count\":9,\"quote_count\":0,\"impression_count\":300}"),
                        &s),
                 0);
    CHECK_EQ_INT(s.nposts, 1);
    struct cpost *p = &s.post[0];
    CHECK_EQ_STR(p->id, "x:1790000000000000001");
    CHECK_EQ_STR(p->platform, "x");
    CHECK_EQ_STR(p->author, "2244994945");
    CHECK_EQ_STR(p->lang, "ru");
    CHECK_EQ_STR(p->reply_to, "x:1789");
    CHECK_EQ_STR(p->repost_of, "x:1788");
    CHECK_EQ_STR(p->url, "https://x.com/i/web/status/1790000000000000001");
    CHECK_EQ_INT(p->ts_ms, T0);
    CHECK_EQ_INT(p->views, 300);
    CHECK_EQ_INT(p->likes, 9);
    CHECK_EQ_INT(p->shares, 2);
    CHECK_EQ_INT(p->schema, INGEST_SCHEMA_X);
    sink_free(&s);

    /* {"data": {...}} with a long-form note_tweet. */
    CHECK_EQ_INT(
        decode(dec,
               "{\"data\":" X_TWEET("1790000000000000002",
                                    ",\"note_tweet\":{\"text\":\"Ұзын мәтін: бензин "
                                    "бағасы туралы толық жазба\"}") ","
                                                                    "\"includes\":{\"users\":[]}}",
               &s),
        0);
    CHECK_EQ_INT(s.nposts, 1);
    CHECK_EQ_STR(s.post[0].id, "x:1790000000000000002");
    CHECK_EQ_STR(s.post[0].text, "Ұзын мәтін: бензин бағасы туралы толық жазба");
    CHECK_EQ_INT(s.post[0].index, 0);
    sink_free(&s);

    /* {"data": [...]} with a bad element: index and raw per element. */
    CHECK_EQ_INT(decode(dec,
                        "{\"data\":[" X_TWEET("11", "") "," X_TWEET(
                            "12", ",\"lang\":5") "," X_TWEET("13", "") "],\"meta\":{}}",
                        &s),
                 0);
    CHECK_EQ_INT(s.nposts, 2);
    CHECK_EQ_INT(s.ndead, 1);
    if (s.nposts == 2 && s.ndead == 1) {
        CHECK_EQ_STR(s.post[0].id, "x:11");
        CHECK_EQ_INT(s.post[0].index, 0);
        CHECK_EQ_STR(s.post[1].id, "x:13");
        CHECK_EQ_INT(s.post[1].index, 2);
        CHECK_EQ_INT(s.dead[0].index, 1);
        CHECK_EQ_STR(s.dead[0].detail, "field \"lang\": expected string, got integer");
        CHECK(strstr(s.dead[0].raw, "\"id\":\"12\"") != NULL);
        CHECK(strstr(s.dead[0].raw, "\"id\":\"11\"") == NULL);
    }
    sink_free(&s);

    /* A generic post with a "data" field stays generic. */
    CHECK_EQ_INT(decode(dec, "{\"text\":\"Жай пост\",\"data\":{\"k\":1}}", &s), 0);
    CHECK_EQ_INT(s.nposts, 1);
    CHECK_EQ_INT(s.post[0].schema, INGEST_SCHEMA_GENERIC);
    sink_free(&s);
    ingest_decoder_free(dec);
}

/* Detection when one object carries the marks of more than one schema: VK
 * wins over X and Telegram, X over Telegram; a near miss is generic. */
static void test_detect_order(void)
{
    static const struct {
        const char *json;
        enum ingest_schema want;
    } cases[] = {
        /* VK and Telegram: both have from_id and date, only VK has owner_id. */
        {"{\"id\":3,\"owner_id\":-5,\"from_id\":7,\"date\":1772960700,"
         "\"date_unixtime\":\"1772960700\",\"type\":\"message\","
         "\"text\":\"Жол жөндеу келесі аптада бітеді\"}",
         INGEST_SCHEMA_VK},
        /* VK and X. */
        {"{\"id\":4,\"owner_id\":-5,\"post_type\":\"post\",\"date\":1772960700,"
         "\"author_id\":\"44\",\"created_at\":\"2026-03-08T09:05:00.000Z\","
         "\"text\":\"Завтра в городе обещают сильный ветер\"}",
         INGEST_SCHEMA_VK},
        /* X and Telegram. */
        {"{\"id\":\"5\",\"author_id\":\"44\",\"created_at\":\"2026-03-08T09:05:00.000Z\","
         "\"date_unixtime\":\"1772960700\",\"text\":\"Кешке қарай жаңбыр басылды\"}",
         INGEST_SCHEMA_X},
        /* Telegram by either of its marks. */
        {"{\"id\":6,\"date_unixtime\":\"1772960700\",\"text\":\"Бүгін базар ашық\"}",
         INGEST_SCHEMA_TELEGRAM},
        {"{\"id\":7,\"type\":\"message\",\"date\":\"2026-03-08T09:05:00\","
         "\"text\":\"Автобус кешігіп келді\"}",
         INGEST_SCHEMA_TELEGRAM},
        /* Near misses. */
        {"{\"id\":8,\"owner_id\":-5,\"date\":1772960700,\"text\":\"Су жоқ\"}",
         INGEST_SCHEMA_GENERIC},
        {"{\"id\":9,\"author_id\":\"44\",\"text\":\"Пойду пешком\"}", INGEST_SCHEMA_GENERIC},
        {"{\"id\":10,\"type\":\"message\",\"text\":\"Хабар жоқ\"}", INGEST_SCHEMA_GENERIC},
        {"{\"id\":11,\"type\":\"photo\",\"date\":\"2026-03-08T09:05:00\","
         "\"text\":\"Суретте көпір\"}",
         INGEST_SCHEMA_GENERIC},
    };
    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 0);
    for (size_t i = 0; i < KZ_ARRAY_LEN(cases); i++) {
        struct sink s = {0};
        CHECK_EQ_INT(decode(dec, cases[i].json, &s), 0);
        CHECK_EQ_INT(s.nposts, 1);
        if (s.nposts == 1)
            CHECK_EQ_STR(ingest_schema_name(s.post[0].schema), ingest_schema_name(cases[i].want));
        sink_free(&s);
    }

    /* A document that looks like both containers is a Telegram export. */
    struct sink s = {0};
    CHECK_EQ_INT(decode(dec,
                        "{\"name\":\"Ауыл\",\"messages\":[{\"id\":1,\"type\":\"message\","
                        "\"date_unixtime\":\"1772960700\",\"text\":\"Мектеп жөнделді\"}],"
                        "\"data\":{\"id\":\"2\",\"text\":\"Бұл оқылмайды\"}}",
                        &s),
                 0);
    CHECK_EQ_INT(s.nposts, 1);
    if (s.nposts == 1) {
        CHECK_EQ_INT(s.post[0].schema, INGEST_SCHEMA_TELEGRAM);
        CHECK_EQ_STR(s.post[0].channel, "Ауыл");
    }
    sink_free(&s);
    ingest_decoder_free(dec);
}

/* ---------------------------------------------------------------------------
 * Dead letters
 * ------------------------------------------------------------------------ */

static void test_dead_reasons(void)
{
    expect_dead("{\"text\":\"Ертең \"алаң\"}", INGEST_DL_BAD_JSON, NULL);
    expect_dead("", INGEST_DL_BAD_JSON, NULL);
    expect_dead("{\"text\":\"a\\u0000b\"}", INGEST_DL_BAD_JSON, NULL);
    expect_dead("{\"text\":\"\\ud800\"}", INGEST_DL_BAD_JSON, NULL); /* lone surrogate */
    expect_dead("{\"text\":\"ok\"} trailing", INGEST_DL_BAD_JSON, NULL);
    expect_dead("{\"text\":\"\xD6\xE5\xED\xFB\"}", INGEST_DL_BAD_UTF8,
                "invalid UTF-8 at byte 9 (0xd6)");
    expect_dead("{\"text\":\"\xC0\xAF\"}", INGEST_DL_BAD_UTF8, NULL);     /* overlong */
    expect_dead("{\"text\":\"\xED\xA0\x80\"}", INGEST_DL_BAD_UTF8, NULL); /* surrogate */
    expect_dead("[{\"text\":\"Сәлем\"}]", INGEST_DL_NOT_OBJECT,
                "expected a JSON object, got array");
    expect_dead("\"Сәлем\"", INGEST_DL_NOT_OBJECT, "expected a JSON object, got string");
    expect_dead("42", INGEST_DL_NOT_OBJECT, "expected a JSON object, got integer");
    expect_dead("{\"id\":\"1\",\"title\":\"Жаңалық\"}", INGEST_DL_NO_TEXT,
                "field \"text\" missing");
    expect_dead("{\"text\":null}", INGEST_DL_NO_TEXT, NULL);
    expect_dead("{\"text\":\"\"}", INGEST_DL_EMPTY_TEXT, "field \"text\" is empty");
    expect_dead("{\"text\":\" \\t\\r\\n\xC2\xA0\xE3\x80\x80\xE2\x80\x8B\"}", INGEST_DL_EMPTY_TEXT,
                "field \"text\" holds only white space (12 bytes)");
    expect_dead("{\"text\":\"Ертең\",\"ts\":true}", INGEST_DL_BAD_TYPE,
                "field \"ts\": expected string or number, got boolean");
    expect_dead("{\"text\":42}", INGEST_DL_BAD_TYPE,
                "field \"text\": expected string, got integer");
    expect_dead("{\"text\":\"Ертең\",\"id\":1.5}", INGEST_DL_BAD_TYPE,
                "field \"id\": expected string or integer, got real");
    expect_dead("{\"text\":\"Ертең\",\"lang\":[\"kk\"]}", INGEST_DL_BAD_TYPE,
                "field \"lang\": expected string, got array");
    expect_dead("{\"text\":\"Ертең\",\"metrics\":[]}", INGEST_DL_BAD_TYPE,
                "field \"metrics\": expected object, got array");
    expect_dead("{\"text\":\"Ертең\",\"metrics\":{\"views\":\"1k\"}}", INGEST_DL_BAD_TYPE,
                "field \"metrics.views\": expected integer, got string");
    expect_dead("{\"text\":\"Ертең\",\"metrics\":{\"likes\":2.5}}", INGEST_DL_BAD_TYPE,
                "field \"metrics.likes\": expected integer, got real");
    expect_dead("{\"type\":\"message\",\"date\":\"2026-03-08T09:05:00\",\"text\":[1]}",
                INGEST_DL_BAD_TYPE,
                "field \"text[0]\": expected string or entity object, got integer");
    expect_dead("{\"type\":\"message\",\"date\":\"2026-03-08T09:05:00\",\"text\":{}}",
                INGEST_DL_BAD_TYPE, "field \"text\": expected string or array, got object");
    /* ts 2026-03-10T09:05:00Z is 47 h after arrival: more than one day. */
    expect_dead("{\"text\":\"Келешектен хат\",\"ts\":\"2026-03-10T09:05:00Z\"}",
                INGEST_DL_FUTURE_TS,
                "ts 2026-03-10T09:05:00.000Z is 169200000 ms after arrival "
                "2026-03-08T10:05:00.000Z (max_future_ms 86400000)");
    /* Within max_future_ms is fine. */
    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 0);
    struct sink s = {0};
    CHECK_EQ_INT(decode(dec, "{\"text\":\"Ертең\",\"ts\":\"2026-03-09T10:05:00Z\"}", &s), 0);
    CHECK_EQ_INT(s.nposts, 1);
    sink_free(&s);
    ingest_decoder_free(dec);
}

static void test_too_large(void)
{
    struct ingest_config cfg;
    struct ingest_decoder *dec = NULL;
    ingest_config_default(&cfg);
    cfg.max_record = 16;
    CHECK_EQ_INT(ingest_decoder_new(&cfg, &dec), 0);
    struct sink s = {0};
    const char *json = "{\"text\":\"Бұл жазба тым ұзын\"}";
    struct ingest_record r = record(json, strlen(json));
    CHECK_EQ_INT(ingest_decode(dec, &r, on_post, on_dead, &s), 0);
    /* A source that cut the record flags it instead. */
    r.len = 16;
    r.oversize = 1;
    CHECK_EQ_INT(ingest_decode(dec, &r, on_post, on_dead, &s), 0);
    CHECK_EQ_INT(s.ndead, 2);
    CHECK_EQ_INT(s.dead[0].reason, INGEST_DL_TOO_LARGE);
    CHECK_EQ_INT(s.dead[0].raw_len, strlen(json));
    CHECK_EQ_INT(s.dead[1].reason, INGEST_DL_TOO_LARGE);
    CHECK_EQ_INT(s.dead[1].raw_len, 16);
    CHECK_EQ_INT(ingest_decoder_stats(dec)->dead[INGEST_DL_TOO_LARGE], 2);
    sink_free(&s);
    ingest_decoder_free(dec);
}

/* ---------------------------------------------------------------------------
 * Truncation
 * ------------------------------------------------------------------------ */

static void test_truncation(void)
{
    /* "Ертең" is five two-byte letters: a 5-byte limit cuts inside the third
     * letter, so the text must end after the second (4 bytes). */
    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 5);
    struct sink s = {0};
    CHECK_EQ_INT(decode(dec, "{\"text\":\"Ертең\"}", &s), 0);
    CHECK_EQ_INT(s.nposts, 1);
    CHECK_EQ_STR(s.post[0].text, "Ер");
    CHECK_EQ_INT(s.post[0].text_len, 4);
    CHECK_EQ_INT(s.post[0].text_full_len, 10);
    CHECK(s.post[0].flags & INGEST_POST_TRUNCATED);
    sink_free(&s);

    /* Four-byte emoji and Telegram array text (composed in scratch). */
    CHECK_EQ_INT(decode(dec,
                        "{\"type\":\"message\",\"date_unixtime\":\"1772960700\","
                        "\"text\":[\"ab\",{\"type\":\"plain\",\"text\":\"\xF0\x9F\x94\xA5!\"}]}",
                        &s),
                 0);
    CHECK_EQ_INT(s.nposts, 1);
    CHECK_EQ_STR(s.post[0].text, "ab");
    CHECK_EQ_INT(s.post[0].text_full_len, 7);
    sink_free(&s);

    /* Exactly max_text bytes is not truncated. */
    CHECK_EQ_INT(decode(dec, "{\"text\":\"abcde\"}", &s), 0);
    CHECK_EQ_INT(s.post[0].flags & INGEST_POST_TRUNCATED, 0);
    CHECK_EQ_INT(ingest_decoder_stats(dec)->truncated, 2);
    sink_free(&s);
    ingest_decoder_free(dec);
}

/* The longest prefix of t (n bytes, valid UTF-8) that fits in max bytes
 * without splitting a character: what truncation must keep. */
static size_t whole_prefix(const char *t, size_t n, size_t max)
{
    size_t cut = 0;
    while (cut < n) {
        size_t len = 1;
        while (cut + len < n && ((unsigned char)t[cut + len] & 0xC0) == 0x80)
            len++;
        if (cut + len > max)
            break;
        cut += len;
    }
    return cut;
}

/* A max_text below the longest UTF-8 character (4 bytes) could leave no whole
 * character to keep: a text starting with U+29A69 (4 bytes) cut at 3 bytes
 * used to come out empty.  Such a limit is refused, and at every limit from 4
 * up the cut keeps whole characters and never empties a text. */
static void test_truncation_keeps_a_character(void)
{
    static const char bug[] = "{\"text\":\"\xF0\xA9\xA9\xA9l5;\"}";
    struct ingest_config cfg;
    struct ingest_decoder *dec = NULL;
    struct sink s = {0};

    ingest_config_default(&cfg);
    cfg.max_text = 3;
    CHECK_EQ_INT(ingest_decoder_new(&cfg, &dec), KZ_EINVAL);
    CHECK(dec == NULL);
    if (dec) {
        /* Accepted after all: at least the post must not be empty. */
        CHECK_EQ_INT(decode(dec, bug, &s), 0);
        CHECK_EQ_INT(s.nposts, 1);
        CHECK(s.nposts == 1 && s.post[0].text_len > 0);
        sink_free(&s);
        ingest_decoder_free(dec);
    }
    /* The check says why, in words a person can act on. */
    char err[256];
    CHECK_EQ_INT(ingest_config_check(&cfg, err, sizeof(err)), KZ_EINVAL);
    CHECK(strstr(err, "max_text: 3 bytes is below the minimum of 4") == err);
    CHECK_EQ_INT(ingest_config_check(&cfg, NULL, 0), KZ_EINVAL);
    cfg.max_text = 1;
    CHECK_EQ_INT(ingest_decoder_new(&cfg, &dec), KZ_EINVAL);
    CHECK(dec == NULL);
    ingest_decoder_free(dec);
    cfg.max_text = INGEST_MAX_TEXT_MIN;
    CHECK_EQ_INT(ingest_config_check(&cfg, err, sizeof(err)), 0);
    CHECK_EQ_STR(err, "");

    /* 4 bytes is the floor: the four-byte character is kept whole. */
    dec = new_decoder(INGEST_SCHEMA_AUTO, 4);
    CHECK_EQ_INT(decode(dec, bug, &s), 0);
    CHECK_EQ_INT(s.nposts, 1);
    if (s.nposts == 1) {
        CHECK_EQ_STR(s.post[0].text, "\xF0\xA9\xA9\xA9");
        CHECK_EQ_INT(s.post[0].text_full_len, 7);
        CHECK(s.post[0].flags & INGEST_POST_TRUNCATED);
    }
    sink_free(&s);
    ingest_decoder_free(dec);

    /* Every limit from the floor to past the end, on texts mixing characters
     * of one to four bytes, four-byte ones first and last. */
    static const char *const texts[] = {
        "\xF0\xA9\xA9\xA9l5;",
        "Қала \xF0\x9F\x94\xA5 тыныш €5",
        "€\xF0\x9F\x87\xB0\xF0\x9F\x87\xBF Ақ",
        "a\xF0\x9F\x94\xA5",
        "\xF0\x9F\x94\xA5",
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(texts); i++) {
        const char *t = texts[i];
        size_t n = strlen(t);
        char json[128];
        snprintf(json, sizeof(json), "{\"text\":\"%s\"}", t);
        for (size_t max = 4; max <= n + 1; max++) {
            dec = new_decoder(INGEST_SCHEMA_AUTO, max);
            CHECK_EQ_INT(decode(dec, json, &s), 0);
            CHECK_EQ_INT(s.nposts, 1);
            if (s.nposts == 1) {
                const struct cpost *p = &s.post[0];
                CHECK(p->text_len > 0);
                CHECK(p->text_len <= max);
                CHECK_EQ_INT(p->text_len, whole_prefix(t, n, max));
                CHECK(p->text && memcmp(p->text, t, p->text_len) == 0);
                CHECK_EQ_INT(p->text_full_len, n);
                CHECK_EQ_INT(!!(p->flags & INGEST_POST_TRUNCATED), p->text_len < n);
            }
            sink_free(&s);
            ingest_decoder_free(dec);
        }
    }
}

static void test_ten_megabytes(void)
{
    static const char sentence[] = "Алматыда жаңбыр жауып тұр, көшелерде су көп. ";
    const size_t target = 10 * 1024 * 1024, sl = sizeof(sentence) - 1;
    size_t reps = target / sl + 1, text_len = reps * sl;
    char *json = malloc(text_len + 32);
    CHECK(json != NULL);
    if (!json)
        return;
    size_t n = 0;
    memcpy(json, "{\"text\":\"", 9);
    n = 9;
    for (size_t i = 0; i < reps; i++, n += sl)
        memcpy(json + n, sentence, sl);
    memcpy(json + n, "\"}", 3);

    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 0);
    struct sink s = {0};
    CHECK_EQ_INT(decode(dec, json, &s), 0);
    CHECK_EQ_INT(s.nposts, 1);
    if (s.nposts == 1) {
        CHECK(s.post[0].text_len <= 65536 && s.post[0].text_len >= 65533);
        CHECK_EQ_INT(s.post[0].text_full_len, text_len);
        CHECK(s.post[0].flags & INGEST_POST_TRUNCATED);
        CHECK(memcmp(s.post[0].text, json + 9, s.post[0].text_len) == 0);
    }
    sink_free(&s);
    ingest_decoder_free(dec);
    free(json);
}

/* ---------------------------------------------------------------------------
 * Stats, callbacks, configuration
 * ------------------------------------------------------------------------ */

static void test_stats_exact(void)
{
    static const char *records[] = {
        "{\"text\":\"Бүгін ауа райы жақсы\"}",
        "{\"text\":\"\"}",
        "not json",
        "[]",
        "{\"text\":\"x\",\"ts\":{}}",
        "{\"type\":\"service\",\"date\":\"2026-03-08T09:05:00\"}",
        "{\"data\":[]}",
        "{\"data\":[" X_TWEET("1", "") ",7]}",
    };
    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 0);
    for (size_t i = 0; i < KZ_ARRAY_LEN(records); i++) {
        struct sink s = {0};
        CHECK_EQ_INT(decode(dec, records[i], &s), 0);
        sink_free(&s);
    }
    const struct ingest_stats *st = ingest_decoder_stats(dec);
    uint64_t dead = 0;
    for (int r = 0; r < INGEST_DL_REASON_COUNT; r++)
        dead += st->dead[r];
    CHECK_EQ_INT(st->records, 8);
    CHECK_EQ_INT(st->elements, 9);
    CHECK_EQ_INT(st->posts, 2);
    CHECK_EQ_INT(dead, 5);
    CHECK_EQ_INT(st->skipped_service, 1);
    CHECK_EQ_INT(st->skipped_empty, 1);
    CHECK_EQ_INT(st->elements, st->posts + dead + st->skipped_service + st->skipped_empty);
    CHECK_EQ_INT(st->by_schema[INGEST_SCHEMA_GENERIC], 1);
    CHECK_EQ_INT(st->by_schema[INGEST_SCHEMA_X], 1);
    CHECK_EQ_INT(st->dead[INGEST_DL_NOT_OBJECT], 2);
    ingest_decoder_free(dec);
}

static void test_callback_stop(void)
{
    struct ingest_decoder *dec = new_decoder(INGEST_SCHEMA_AUTO, 0);
    struct sink s = {0};
    s.stop_after = 1;
    CHECK_EQ_INT(decode(dec, export_json, &s), 7);
    CHECK_EQ_INT(s.nposts, 1);
    const struct ingest_stats *st = ingest_decoder_stats(dec);
    CHECK_EQ_INT(st->elements, 2); /* the service message and the first post */
    sink_free(&s);
    /* NULL callbacks are allowed. */
    struct ingest_record r = record(export_json, strlen(export_json));
    CHECK_EQ_INT(ingest_decode(dec, &r, NULL, NULL, NULL), 0);
    ingest_decoder_free(dec);
}

static void test_config(void)
{
    struct ingest_config cfg;
    struct ingest_decoder *dec = NULL;
    ingest_config_default(&cfg);
    CHECK_EQ_INT(cfg.schema, INGEST_SCHEMA_AUTO);
    CHECK_EQ_INT(cfg.max_text, 65536);
    CHECK_EQ_INT(cfg.max_record, 16 * 1024 * 1024);
    CHECK_EQ_INT(cfg.max_future_ms, 86400000);
    cfg.max_text = 0;
    CHECK_EQ_INT(ingest_decoder_new(&cfg, &dec), KZ_EINVAL);
    CHECK(dec == NULL);
    CHECK_EQ_INT(ingest_decoder_new(NULL, &dec), 0);
    ingest_decoder_free(dec);
    ingest_decoder_free(NULL);

    /* Every refusal names the field and the value. */
    char err[256];
    ingest_config_default(&cfg);
    CHECK_EQ_INT(ingest_config_check(&cfg, err, sizeof(err)), 0);
    cfg.schema = (enum ingest_schema)99;
    CHECK_EQ_INT(ingest_config_check(&cfg, err, sizeof(err)), KZ_EINVAL);
    CHECK_EQ_STR(err, "schema: 99 is not a known schema");
    CHECK_EQ_INT(ingest_decoder_new(&cfg, &dec), KZ_EINVAL);
    ingest_config_default(&cfg);
    cfg.max_record = 0;
    CHECK_EQ_INT(ingest_config_check(&cfg, err, sizeof(err)), KZ_EINVAL);
    CHECK_EQ_STR(err, "max_record: must be at least 1 byte, got 0");
    ingest_config_default(&cfg);
    cfg.max_future_ms = -1;
    CHECK_EQ_INT(ingest_config_check(&cfg, err, sizeof(err)), KZ_EINVAL);
    CHECK_EQ_STR(err, "max_future_ms: must be 0 or more, got -1");
    CHECK_EQ_INT(ingest_decoder_new(&cfg, &dec), KZ_EINVAL);
    CHECK(dec == NULL);

    CHECK_EQ_INT(ingest_schema_parse("auto"), INGEST_SCHEMA_AUTO);
    CHECK_EQ_INT(ingest_schema_parse("generic"), INGEST_SCHEMA_GENERIC);
    CHECK_EQ_INT(ingest_schema_parse("telegram"), INGEST_SCHEMA_TELEGRAM);
    CHECK_EQ_INT(ingest_schema_parse("vk"), INGEST_SCHEMA_VK);
    CHECK_EQ_INT(ingest_schema_parse("x"), INGEST_SCHEMA_X);
    CHECK_EQ_INT(ingest_schema_parse("twitter"), -1);
    CHECK_EQ_STR(ingest_schema_name(INGEST_SCHEMA_VK), "vk");

    /* A forced generic schema does not map VK fields. */
    dec = new_decoder(INGEST_SCHEMA_GENERIC, 0);
    struct sink s = {0};
    CHECK_EQ_INT(decode(dec,
                        "{\"id\":45,\"owner_id\":-1,\"from_id\":2,\"date\":1772960700,"
                        "\"text\":\"Жай мәтін\"}",
                        &s),
                 0);
    CHECK_EQ_INT(s.nposts, 1);
    CHECK_EQ_STR(s.post[0].id, "45");
    CHECK(s.post[0].platform == NULL);
    CHECK_EQ_INT(s.post[0].schema, INGEST_SCHEMA_GENERIC);
    sink_free(&s);
    ingest_decoder_free(dec);
}

/* The schema table seen through the public API: every value has a name that
 * parses back to it and a line of help; the list is what help and errors
 * print. */
static void test_schema_table(void)
{
    for (int s = 0; s < INGEST_SCHEMA_COUNT; s++) {
        const char *name = ingest_schema_name((enum ingest_schema)s);
        const char *about = ingest_schema_about((enum ingest_schema)s);
        CHECK(name != NULL && name[0] != '\0' && strcmp(name, "unknown") != 0);
        CHECK_EQ_INT(ingest_schema_parse(name), s);
        CHECK_EQ_INT(ingest_schema_by_name(name, strlen(name)), s);
        CHECK(about != NULL && about[0] != '\0');
    }
    CHECK_EQ_STR(ingest_schema_name(INGEST_SCHEMA_COUNT), "unknown");
    CHECK(ingest_schema_about(INGEST_SCHEMA_COUNT) == NULL);
    CHECK_EQ_STR(ingest_schema_name((enum ingest_schema) - 1), "unknown");

    /* Explicit lengths: a name need not end where the buffer does. */
    CHECK_EQ_INT(ingest_schema_by_name("vkontakte", 2), INGEST_SCHEMA_VK);
    CHECK_EQ_INT(ingest_schema_by_name("telegram", 4), KZ_ENOTFOUND);
    CHECK_EQ_INT(ingest_schema_by_name("", 0), KZ_ENOTFOUND);
    CHECK_EQ_INT(ingest_schema_by_name(NULL, 0), KZ_ENOTFOUND);
    CHECK_EQ_INT(ingest_schema_parse(NULL), -1);
    CHECK_EQ_INT(ingest_schema_parse("Telegram"), -1);
    CHECK_EQ_INT(ingest_schema_parse(""), -1);

    /* The list, in enum order, as the command line spells it today. */
    char buf[64];
    const char *want = "auto, generic, telegram, vk, x";
    CHECK_EQ_INT(ingest_schema_list(buf, sizeof(buf), ", "), strlen(want));
    CHECK_EQ_STR(buf, want);
    CHECK_EQ_INT(ingest_schema_list(buf, sizeof(buf), "|"), strlen("auto|generic|telegram|vk|x"));
    CHECK_EQ_STR(buf, "auto|generic|telegram|vk|x");
    /* Too small: cut, still NUL-terminated, and the length tells how much. */
    CHECK_EQ_INT(ingest_schema_list(buf, 8, ", "), strlen(want));
    CHECK_EQ_STR(buf, "auto, g");
    CHECK_EQ_INT(ingest_schema_list(buf, 1, ", "), strlen(want));
    CHECK_EQ_STR(buf, "");
    CHECK_EQ_INT(ingest_schema_list(NULL, 0, ", "), strlen(want));

    /* Each schema forced on a decoder maps with its own mapping. */
    static const struct {
        enum ingest_schema schema;
        const char *platform;
    } forced[] = {
        {INGEST_SCHEMA_GENERIC, NULL},
        {INGEST_SCHEMA_TELEGRAM, "telegram"},
        {INGEST_SCHEMA_VK, "vk"},
        {INGEST_SCHEMA_X, "x"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(forced); i++) {
        struct ingest_decoder *dec = new_decoder(forced[i].schema, 0);
        struct sink s = {0};
        CHECK_EQ_INT(decode(dec, "{\"id\":12,\"text\":\"Көктем ерте келді\"}", &s), 0);
        CHECK_EQ_INT(s.nposts, 1);
        if (s.nposts == 1) {
            CHECK_EQ_INT(s.post[0].schema, forced[i].schema);
            if (forced[i].platform)
                CHECK_EQ_STR(s.post[0].platform, forced[i].platform);
            else
                CHECK(s.post[0].platform == NULL);
        }
        CHECK_EQ_INT(ingest_decoder_stats(dec)->by_schema[forced[i].schema], 1);
        sink_free(&s);
        ingest_decoder_free(dec);
    }
}

static void test_utf8_validator(void)
{
    CHECK_EQ_INT(ingest_utf8_valid_prefix("", 0), 0);
    const char *kz = "Qazaqstan Қазақстан 🇰🇿";
    CHECK_EQ_INT(ingest_utf8_valid_prefix(kz, strlen(kz)), strlen(kz));
    CHECK_EQ_INT(ingest_utf8_valid_prefix(kz, 30), 29); /* a cut letter is not valid */
    CHECK_EQ_INT(ingest_utf8_valid_prefix("abcdefghij\x80", 11), 10);
    CHECK_EQ_INT(ingest_utf8_valid_prefix("\xE0\x9F\xBF", 3), 0);             /* overlong */
    CHECK_EQ_INT(ingest_utf8_valid_prefix("\xF0\x8F\xBF\xBF", 4), 0);         /* overlong */
    CHECK_EQ_INT(ingest_utf8_valid_prefix("\xF4\x8F\xBF\xBF", 4), 4);         /* U+10FFFF */
    CHECK_EQ_INT(ingest_utf8_valid_prefix("\xF4\x90\x80\x80", 4), 0);         /* > U+10FFFF */
    CHECK_EQ_INT(ingest_utf8_valid_prefix("\xED\x9F\xBF\xED\xA0\x80", 6), 3); /* D7FF, D800 */
    CHECK_EQ_INT(ingest_utf8_valid_prefix("\xEF\xBF\xBF", 3), 3);
    CHECK_EQ_INT(ingest_utf8_valid_prefix("ab\xD2", 3), 2); /* truncated at the end */
    CHECK_EQ_INT(ingest_utf8_valid_prefix("\xF8\x88\x80\x80\x80", 5), 0);
}

/* Random texts of ASCII, two-, three- and four-byte sequences, with a byte
 * now and then replaced, dropped or cut (a lone continuation, a lead
 * without one, C0/C1, F5..FF, a surrogate), at every length up to 70 and at
 * every offset of the eight-byte words: the same valid prefix as
 * tests/utf8_ref.h. */
static void test_utf8_validator_random(void)
{
    static const char *const piece[] = {
        "a", " ", "Қ", "ж", "é", "\xC2\xA0", "—", "🇰", "€", "\xED\x9F\xBF", "\xF4\x8F\xBF\xBF"};
    static const unsigned char junk[] = {0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
                                         0xED, 0xF0, 0xF4, 0xF5, 0xFF, 0xA0, 0x90};
    unsigned char buf[96];
    uint64_t x = 0x2545F4914F6CDD1Dull;
    int bad = 0;

    for (int k = 0; k < 200000; k++) {
        size_t n = 0, lim, off;

        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        lim = x % 71;
        off = (x >> 8) % 8;
        while (n < lim) {
            const char *p;
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            p = piece[x % 3 ? x % 4 : x % KZ_ARRAY_LEN(piece)];
            if (off + n + strlen(p) > sizeof buf)
                break;
            memcpy(buf + off + n, p, strlen(p));
            n += strlen(p);
        }
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (n && x % 3 == 0)
            buf[off + (x >> 8) % n] = junk[(x >> 20) % sizeof junk];
        if (n && x % 7 == 1)
            n -= 1 + (x >> 30) % (n < 3 ? n : 3); /* cut the end */
        if (ingest_utf8_valid_prefix((const char *)buf + off, n) != utf8_prefix_ref(buf + off, n) &&
            bad++ < 3)
            fprintf(stderr, "# differs on %zu bytes at offset %zu\n", n, off);
    }
    CHECK_EQ_INT(bad, 0);
}

int main(void)
{
    RUN(test_generic_full);
    RUN(test_generic_minimal);
    RUN(test_geo);
    RUN(test_numeric_ids);
    RUN(test_ts_forms);
    RUN(test_telegram_message);
    RUN(test_telegram_export);
    RUN(test_vk);
    RUN(test_x);
    RUN(test_detect_order);
    RUN(test_dead_reasons);
    RUN(test_too_large);
    RUN(test_truncation);
    RUN(test_truncation_keeps_a_character);
    RUN(test_ten_megabytes);
    RUN(test_stats_exact);
    RUN(test_callback_stop);
    RUN(test_config);
    RUN(test_schema_table);
    RUN(test_utf8_validator);
    RUN(test_utf8_validator_random);
    return TAP_DONE();
}
