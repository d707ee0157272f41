/*
 * test_alerts_eval.c -- the evaluator (alerts/eval.c) over the in-process
 * store: keys per region, the per-minute distinct authors of calls, events
 * with evidence, early looks that fire once, and a state restored from
 * published records that does not fire again.
 *
 * The store: four weeks and a day of calls to action in KZ-47 (Mangystau),
 * one every tenth minute from 08:00 to 22:00 Almaty time, each by its own
 * author; on the last day a two-account spam run at 14:00 (12 calls a minute
 * for 10 minutes) and a real burst at 19:30 (25 calls a minute by new people
 * for 15 minutes).  Only the burst may fire, once, and resolve.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "tap.h"

#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)
#define T0 1772391600000LL /* 2026-03-02T00:00:00+05:00, a Monday */
#define LAST 28            /* the day evaluated */

static int g_seq;

static void call(struct agg_batch *b, int64_t ts, const char *author)
{
    char id[32], text[128];
    snprintf(id, sizeof(id), "p%d", ++g_seq);
    snprintf(text, sizeof(text), "Бүгін алаңға шығайық, бәріміз бірге! (%d)", g_seq);
    static const struct kz_str topics[] = {{"protest", 7}};
    static const struct kz_str terms[] = {{"алаң", 8}, {"шығайық", 14}};
    static const struct agg_evidence evidence[] = {
        {{"topic/protest", 13}, {"алаң", 8}, {"алаңға", 12}},
        {{"topic/protest", 13}, {"\"алаңға шығайық\"", 29}, {"алаңға шығайық", 27}},
        {{"topic/protest", 13}, {"алаң", 8}, {"алаңға", 12}}, /* once a post */
        {{"cue/call_to_action", 18}, {"шығайық", 14}, {"шығайық", 14}},
    };
    struct agg_facts f = {
        .ts_ms = ts,
        .platform = kz_str_make("telegram", 8),
        .lang = kz_str_make("kk", 2),
        .region = kz_str_make("KZ-47", 5),
        .author = kz_str_make(author, strlen(author)),
        .topics = topics,
        .ntopics = 1,
        .mobilization = 1,
        .terms = terms,
        .nterms = 2,
        .id = kz_str_make(id, strlen(id)),
        .text = kz_str_make(text, strlen(text)),
        .evidence = evidence,
        .nevidence = KZ_ARRAY_LEN(evidence),
    };
    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
}

/* A post about prices, not a call: its term leads the hour's top-k. */
static void noise(struct agg_batch *b, int64_t ts)
{
    static const struct kz_str topics[] = {{"economy", 7}};
    static const struct kz_str terms[] = {{"баға", 8}};
    static const struct agg_evidence evidence[] = {
        {{"topic/economy", 13}, {"баға", 8}, {"баға", 8}}};
    char id[32], author[32];
    snprintf(id, sizeof(id), "n%d", ++g_seq);
    snprintf(author, sizeof(author), "n%d", g_seq);
    struct agg_facts f = {
        .ts_ms = ts,
        .platform = kz_str_make("telegram", 8),
        .lang = kz_str_make("kk", 2),
        .region = kz_str_make("KZ-47", 5),
        .author = kz_str_make(author, strlen(author)),
        .topics = topics,
        .ntopics = 1,
        .terms = terms,
        .nterms = 1,
        .id = kz_str_make(id, strlen(id)),
        .text = kz_str_make("Баға тағы өсті", 26),
        .evidence = evidence,
        .nevidence = 1,
    };
    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
}

static bool g_samples = true; /* fill keeps sample posts */

static int fill(struct agg_store *st)
{
    struct agg_batch *b = NULL;
    char author[32];
    int rc;

    if (agg_batch_new(&b))
        return -1;
    agg_batch_set_samples(b, g_samples);
    for (int d = 0; d <= LAST; d++) {
        for (int m = 8 * 60; m < 22 * 60; m += 10) {
            snprintf(author, sizeof(author), "u%d_%d", d, m);
            call(b, T0 + d * DAY_MS + m * MIN_MS + 1000, author);
        }
    }
    int64_t day = T0 + LAST * DAY_MS;
    for (int m = 0; m < 10; m++)
        for (int i = 0; i < 12; i++)
            call(b, day + 14 * HOUR_MS + m * MIN_MS + i * 1000, i % 2 ? "spam1" : "spam2");
    for (int m = 0; m < 15; m++)
        for (int i = 0; i < 25; i++) {
            snprintf(author, sizeof(author), "crowd%d_%d", m, i);
            call(b, day + 19 * HOUR_MS + 30 * MIN_MS + m * MIN_MS + i * 2000, author);
        }
    for (int m = 0; m < 60; m++)
        for (int i = 0; i < 10; i++)
            noise(b, day + 19 * HOUR_MS + m * MIN_MS + i * 3000);
    rc = agg_store_apply(st, b, NULL, 0, NULL, 0);
    agg_batch_free(b);
    return rc;
}

struct got {
    int n;
    char ev[16][16];
    char id[16][ALERTS_ID_LEN + 1];
    char dim[16][64];
    int64_t first[16];
    char *json[16];
    int publish; /* what emit answers */
    int updates; /* update events, not kept */
};

static int on_emit(void *ctx, enum alerts_event ev, const struct alerts_record *rec,
                   const char *json)
{
    struct got *g = ctx;
    if (g->publish < 0)
        return g->publish;
    if (ev == ALERTS_EV_UPDATE && g->publish == 1) {
        g->updates++;
        return 1;
    }
    if (g->n < 16) {
        snprintf(g->ev[g->n], sizeof(g->ev[0]), "%s", alerts_event_name(ev));
        memcpy(g->id[g->n], rec->id, sizeof(g->id[0]));
        snprintf(g->dim[g->n], sizeof(g->dim[0]), "%s", rec->dim);
        g->first[g->n] = rec->first_ms;
        g->json[g->n] = strdup(json);
        g->n++;
    }
    return g->publish;
}

static void got_free(struct got *g)
{
    for (int i = 0; i < g->n; i++)
        free(g->json[i]);
}

static const char RULES[] = "[rule.calls]\n"
                            "kind = \"call\"\n"
                            "region = \"any\"\n"
                            "window = 5\n"
                            "min_count = 10\n"
                            "min_authors = 5\n"
                            "threshold = 1e-5\n"
                            "resolve_after = 10\n";

static struct alerts_rules *rules(const char *text)
{
    struct alerts_rules *r = NULL;
    CHECK_EQ_INT(alerts_rules_parse("t.rules", text, strlen(text), NULL, NULL, NULL, &r), 0);
    return r;
}

static void run_day(struct alerts_eval *e, int64_t from, int64_t to)
{
    char err[256];
    for (int64_t m = from; m < to; m += MIN_MS)
        CHECK_EQ_INT(alerts_eval_minute(e, m, true, err, sizeof(err)), 0);
}

static void test_month(void)
{
    struct agg_store *st = NULL;
    struct alerts_rules *r = rules(RULES);
    struct alerts_eval *e = NULL, *e2 = NULL;
    struct got g = {.publish = 1}, g2 = {.publish = 1};
    char err[256];
    int64_t day = T0 + LAST * DAY_MS, burst = day + 19 * HOUR_MS + 30 * MIN_MS;

    CHECK_EQ_INT(agg_store_mem_new(NULL, &st), 0);
    if (!st || !r)
        goto out;
    CHECK_EQ_INT(fill(st), 0);
    struct alerts_eval_config c = {
        .rules = r, .store = st, .emit = on_emit, .emit_ctx = &g, .frozen = true};
    CHECK_EQ_INT(alerts_eval_new(&c, &e, err, sizeof(err)), 0);
    if (!e)
        goto out;
    CHECK_EQ_INT(alerts_eval_keys(e), 20); /* the 20 ISO regions */
    run_day(e, day, day + DAY_MS);
    CHECK_EQ_INT(g.n, 2);
    CHECK_EQ_STR(g.ev[0], "firing");
    CHECK_EQ_STR(g.ev[1], "resolved");
    CHECK_EQ_STR(g.dim[0], "mob:call|region:kz-47");
    CHECK(g.first[0] >= burst && g.first[0] <= burst + 3 * MIN_MS);
    CHECK_EQ_STR(g.id[0], g.id[1]);
    CHECK(g.n && strstr(g.json[0], "\"region\":\"KZ-47\"") != NULL);
    CHECK(g.n && strstr(g.json[0], "алаңға шығайық") != NULL); /* a sample post */
    CHECK(g.n && strstr(g.json[0], "\"author\":\"crowd") != NULL);
    CHECK(g.n && strstr(g.json[0], "spam1") == NULL);
    /* The evidence's terms are the burst's own posts' (each once a post, the
     * 20 kept a minute), not the hour's, where prices lead. */
    CHECK(g.n && strstr(g.json[0], "\"top_terms\":[{\"member\":\"алаң\",\"count\":") != NULL);
    CHECK(g.n && strstr(g.json[0], "{\"member\":\"алаңға шығайық\"") != NULL);
    CHECK(g.n && strstr(g.json[0], "\"terms_from\":\"posts\"") != NULL);
    CHECK(g.n && strstr(g.json[0], "баға") == NULL);
    CHECK(g.n && strstr(g.json[0], "\"member\":\"шығайық\"") == NULL); /* a cue, not a topic */
    struct alerts_eval_stats s;
    alerts_eval_stats(e, &s);
    CHECK(s.skipped > s.evaluations); /* most minutes need no baseline */
    CHECK(g.updates > 0 && g.updates < 20);
    fprintf(stderr, "  %llu evaluations, %llu skipped under min_count\n",
            (unsigned long long)s.evaluations, (unsigned long long)s.skipped);

    /* The same from the records a restarted evaluator reads back: the alert
     * is open after its firing record, and is not fired again. */
    c.emit_ctx = &g2;
    CHECK_EQ_INT(alerts_eval_new(&c, &e2, err, sizeof(err)), 0);
    if (!e2 || g.n < 1)
        goto out;
    CHECK_EQ_INT(alerts_eval_restore(e2, g.json[0], strlen(g.json[0])), 1);
    CHECK_EQ_INT(alerts_eval_restore(e2, g.json[0], strlen(g.json[0])), 0); /* older: ignored */
    CHECK_EQ_INT(alerts_eval_restore(e2, "{}", 2), KZ_EDECODE);
    run_day(e2, burst, day + DAY_MS);
    CHECK_EQ_INT(g2.n, 1);
    CHECK_EQ_STR(g2.ev[0], "resolved");
    CHECK_EQ_STR(g2.id[0], g.id[0]);
out:
    got_free(&g);
    got_free(&g2);
    alerts_eval_free(e);
    alerts_eval_free(e2);
    alerts_rules_free(r);
    agg_store_free(st);
}

/* A store that kept no posts (--no-samples): the evidence's terms are the
 * hours' top-k, and say so. */
static void test_terms_without_samples(void)
{
    struct agg_store *st = NULL;
    struct alerts_rules *r = rules(RULES);
    struct alerts_eval *e = NULL;
    struct got g = {.publish = 1};
    char err[256];
    int64_t day = T0 + LAST * DAY_MS;

    CHECK_EQ_INT(agg_store_mem_new(NULL, &st), 0);
    if (!st || !r)
        goto out;
    g_samples = false;
    CHECK_EQ_INT(fill(st), 0);
    g_samples = true;
    struct alerts_eval_config c = {
        .rules = r, .store = st, .emit = on_emit, .emit_ctx = &g, .frozen = true};
    CHECK_EQ_INT(alerts_eval_new(&c, &e, err, sizeof(err)), 0);
    if (!e)
        goto out;
    run_day(e, day + 19 * HOUR_MS, day + 20 * HOUR_MS);
    CHECK(g.n >= 1);
    CHECK(g.n && strstr(g.json[0], "\"samples\":[]") != NULL);
    CHECK(g.n && strstr(g.json[0], "\"top_terms\":[{\"member\":\"баға\",\"count\":600}") != NULL);
    CHECK(g.n && strstr(g.json[0], "\"terms_from\":\"hours\"") != NULL);
out:
    got_free(&g);
    alerts_eval_free(e);
    alerts_rules_free(r);
    agg_store_free(st);
}

/* Early looks fire at once; the final of the same minute repeats nothing;
 * an emit that fails leaves the minute to be retried. */
static void test_early_and_retry(void)
{
    struct agg_store *st = NULL;
    struct alerts_rules *r = rules(RULES);
    struct alerts_eval *e = NULL;
    struct got g = {.publish = 1};
    char err[256];
    int64_t day = T0 + LAST * DAY_MS, burst = day + 19 * HOUR_MS + 30 * MIN_MS;

    CHECK_EQ_INT(agg_store_mem_new(NULL, &st), 0);
    if (!st || !r)
        goto out;
    CHECK_EQ_INT(fill(st), 0);
    struct alerts_eval_config c = {.rules = r, .store = st, .emit = on_emit, .emit_ctx = &g};
    CHECK_EQ_INT(alerts_eval_new(&c, &e, err, sizeof(err)), 0);
    if (!e)
        goto out;
    run_day(e, burst - 10 * MIN_MS, burst);
    CHECK_EQ_INT(g.n, 0);
    for (int i = 0; i < 3; i++) /* three looks at the partial minute */
        CHECK_EQ_INT(alerts_eval_minute(e, burst + MIN_MS, false, err, sizeof(err)), 0);
    CHECK_EQ_INT(g.n, 1);
    CHECK_EQ_STR(g.ev[0], "firing");
    g.publish = KZ_EAGAIN; /* the stream is away */
    CHECK_EQ_INT(alerts_eval_minute(e, burst, true, err, sizeof(err)), KZ_EAGAIN);
    g.publish = 1;
    CHECK_EQ_INT(alerts_eval_minute(e, burst, true, err, sizeof(err)), 0);
    CHECK_EQ_INT(alerts_eval_minute(e, burst + MIN_MS, true, err, sizeof(err)), 0);
    /* the final fire came at the burst's first minute: a second record, the
     * id of the early one or not, but never twice the same (event, minute) */
    for (int i = 1; i < g.n; i++)
        CHECK(strcmp(g.ev[i], g.ev[i - 1]) != 0 || strcmp(g.id[i], g.id[i - 1]) != 0);
    CHECK_EQ_INT(alerts_eval_final_ms(e), burst + MIN_MS);
out:
    got_free(&g);
    alerts_eval_free(e);
    alerts_rules_free(r);
    agg_store_free(st);
}

/* A war post in KZ-75 (Almaty), pro-Russian or not. */
static void war(struct agg_batch *b, int64_t ts, int pro_russia, const char *author)
{
    static const struct kz_str topics[] = {{"war_ukraine", 11}};
    struct agg_facts f = {
        .ts_ms = ts,
        .lang = kz_str_make("ru", 2),
        .region = kz_str_make("KZ-75", 5),
        .author = kz_str_make(author, strlen(author)),
        .topics = topics,
        .ntopics = 1,
        .stance = pro_russia ? kz_str_make("pro_russia", 10) : kz_str_make("none", 4),
    };
    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
}

/* Four weeks of two posts a minute from 10:00 to 20:00 local, each by a new
 * person, one in ten marked (pro-Russian, tagged: post() decides); on the
 * last day, from surge for an hour, three more marked posts a minute by new
 * people (crowd) or by three loud accounts -- and, with hot_half, one
 * ordinary post in two marked that hour. */
typedef void (*post_fn)(struct agg_batch *b, int64_t ts, int marked, const char *author);

static void fill_weeks(struct agg_batch *b, post_fn post, int64_t surge, int crowd, int hot_half)
{
    char author[32];
    for (int d = 0; d <= LAST; d++)
        for (int m = 5 * 60; m < 15 * 60; m++)
            for (int i = 0; i < 2; i++) {
                int64_t t = T0 + d * DAY_MS + m * MIN_MS + i * 20000;
                int hot = d == LAST && t >= surge && t < surge + HOUR_MS;
                snprintf(author, sizeof(author), "w%d_%d_%d", d, m, i);
                post(b, t, hot && hot_half ? i == 0 : (m * 2 + i) % 10 == 0, author);
                for (int k = 0; hot && k < 3; k++) {
                    if (crowd)
                        snprintf(author, sizeof(author), "c%d_%d_%d", m, i, k);
                    else
                        snprintf(author, sizeof(author), "loud%d", k);
                    post(b, t + 5000 + k * 1000, 1, author);
                }
            }
}

/* A stance share and a topic per region, min_authors 0: four weeks of war
 * talk, 2 posts a minute from 10:00 to 20:00, one in ten pro-Russian; on the
 * last day at 15:00 an hour with six more pro-Russian posts a minute (the
 * volume four times, the share 7/8).  By a crowd (each post a new author)
 * both rules fire in their first minutes and resolve; by three loud
 * accounts neither fires: the window holds its usual authors plus three,
 * which the baseline expects (the crowd test, now that every rule's
 * dimension keeps its authors per minute). */
static void share_and_topic(int crowd)
{
    static const char text[] = "[rule.share]\n"
                               "kind = \"stance_share\"\n"
                               "stance = \"pro_russia\"\n"
                               "of = \"topic:war_ukraine\"\n"
                               "window = 30\n"
                               "min_count = 20\n"
                               "min_authors = 0\n"
                               "resolve_after = 30\n"
                               "[rule.war_almaty]\n"
                               "kind = \"topic\"\n"
                               "topic = \"war_ukraine\"\n"
                               "region = \"KZ-75\"\n"
                               "window = 30\n"
                               "min_count = 20\n"
                               "min_authors = 0\n"
                               "threshold = 1e-6\n"
                               "resolve_after = 30\n";
    struct agg_store *st = NULL;
    struct agg_batch *b = NULL;
    struct alerts_rules *r = rules(text);
    struct alerts_eval *e = NULL;
    struct got g = {.publish = 1};
    char err[256];
    int64_t day = T0 + LAST * DAY_MS, surge = day + 10 * HOUR_MS; /* 15:00 local */

    CHECK_EQ_INT(agg_store_mem_new(NULL, &st), 0);
    CHECK_EQ_INT(agg_batch_new(&b), 0);
    agg_batch_set_minute_authors(b, true); /* as run and replay --alerts do */
    if (!st || !b || !r)
        goto out;
    fill_weeks(b, war, surge, crowd, 1);
    CHECK_EQ_INT(agg_store_apply(st, b, NULL, 0, NULL, 0), 0);
    struct alerts_eval_config c = {
        .rules = r, .store = st, .emit = on_emit, .emit_ctx = &g, .frozen = true};
    CHECK_EQ_INT(alerts_eval_new(&c, &e, err, sizeof(err)), 0);
    if (!e)
        goto out;
    CHECK_EQ_INT(alerts_eval_keys(e), 2);
    run_day(e, day, day + DAY_MS);
    int share = -1, topic = -1;
    for (int i = 0; i < g.n; i++) {
        if (!strcmp(g.ev[i], "firing") && !strcmp(g.dim[i], "topic:war_ukraine|stance:pro_russia"))
            share = share < 0 ? i : 99;
        if (!strcmp(g.ev[i], "firing") && !strcmp(g.dim[i], "topic:war_ukraine|region:kz-75"))
            topic = topic < 0 ? i : 99;
    }
    int resolved = 0;
    for (int i = 0; i < g.n; i++)
        resolved += !strcmp(g.ev[i], "resolved");
    if (!crowd) {
        CHECK_EQ_INT(g.n, 0); /* three accounts are not a crowd */
        goto out;
    }
    CHECK(share >= 0 && share < 16 && g.first[share] >= surge &&
          g.first[share] <= surge + 10 * MIN_MS);
    CHECK(topic >= 0 && topic < 16 && g.first[topic] >= surge &&
          g.first[topic] <= surge + 15 * MIN_MS);
    CHECK(topic >= 0 && topic < 16 && strstr(g.json[topic], "\"region\":\"KZ-75\"") != NULL);
    /* 30 minutes of the crowd: 2 usual and 6 new authors a minute */
    CHECK(share >= 0 && share < 16 && strstr(g.json[share], "\"authors\":null") == NULL);
    CHECK_EQ_INT(resolved, 2);
out:
    got_free(&g);
    alerts_eval_free(e);
    alerts_rules_free(r);
    agg_batch_free(b);
    agg_store_free(st);
}

static void test_share_and_topic(void)
{
    share_and_topic(1);
}

static void test_share_and_topic_loud_few(void)
{
    share_and_topic(0);
}

/* A post in KZ-75 with or without the hashtag #митинг. */
static void tagged(struct agg_batch *b, int64_t ts, int tag, const char *author)
{
    static const struct kz_str tags[] = {{"митинг", 12}};
    struct agg_facts f = {
        .ts_ms = ts,
        .lang = kz_str_make("ru", 2),
        .region = kz_str_make("KZ-75", 5),
        .author = kz_str_make(author, strlen(author)),
        .hashtags = tags,
        .nhashtags = tag ? 1 : 0,
    };
    CHECK_EQ_INT(agg_batch_add(b, &f), 0);
}

/* A hashtag surge, judged on the member's own dimension, which the batch
 * counts because the rule's subject is watched: four weeks of two posts a
 * minute from 10:00 to 20:00, one in ten with #митинг; on the last day at
 * 15:00 an hour with six more tagged posts a minute.  By a crowd it fires in
 * its first minutes, with the dimension hashtag:митинг; by three loud
 * accounts it does not; and unwatched, the member has no counts at all. */
static void hashtag_surge(int crowd, int watch)
{
    static const char text[] = "[rule.tag]\n"
                               "kind = \"hashtag_surge\"\n"
                               "hashtag = \"#митинг\"\n"
                               "window = 30\n"
                               "min_count = 20\n"
                               "min_authors = 5\n"
                               "threshold = 1e-6\n"
                               "resolve_after = 30\n";
    struct agg_store *st = NULL;
    struct agg_batch *b = NULL;
    struct alerts_rules *r = rules(text);
    struct alerts_eval *e = NULL;
    struct got g = {.publish = 1};
    char err[256], **dims = NULL;
    size_t ndims = 0;
    int64_t day = T0 + LAST * DAY_MS, surge = day + 10 * HOUR_MS; /* 15:00 local */

    CHECK_EQ_INT(agg_store_mem_new(NULL, &st), 0);
    CHECK_EQ_INT(agg_batch_new(&b), 0);
    if (!st || !b || !r)
        goto out;
    CHECK_EQ_INT(alerts_rules_watch(r, &dims, &ndims), 0);
    CHECK_EQ_INT(ndims, 1);
    CHECK_EQ_STR(ndims ? dims[0] : NULL, "hashtag:митинг");
    if (watch)
        CHECK_EQ_INT(agg_batch_set_watch(b, (const char *const *)dims, ndims), 0);
    fill_weeks(b, tagged, surge, crowd, 0);
    CHECK_EQ_INT(agg_store_apply(st, b, NULL, 0, NULL, 0), 0);
    struct alerts_eval_config c = {
        .rules = r, .store = st, .emit = on_emit, .emit_ctx = &g, .frozen = true};
    CHECK_EQ_INT(alerts_eval_new(&c, &e, err, sizeof(err)), 0);
    if (!e)
        goto out;
    run_day(e, day, day + DAY_MS);
    int fired = -1;
    for (int i = 0; i < g.n; i++)
        if (!strcmp(g.ev[i], "firing"))
            fired = fired < 0 ? i : 99;
    if (!crowd || !watch) {
        CHECK_EQ_INT(g.n, 0);
        goto out;
    }
    CHECK(fired >= 0 && fired < 16 && !strcmp(g.dim[fired], "hashtag:митинг") &&
          g.first[fired] >= surge && g.first[fired] <= surge + 10 * MIN_MS);
    CHECK(fired >= 0 && fired < 16 && strstr(g.json[fired], "\"kind\":\"hashtag_surge\"") &&
          strstr(g.json[fired], "\"authors\":null") == NULL);
out:
    agg_watch_free(dims, ndims);
    got_free(&g);
    alerts_eval_free(e);
    alerts_rules_free(r);
    agg_batch_free(b);
    agg_store_free(st);
}

static void test_hashtag_surge(void)
{
    hashtag_surge(1, 1);
}

static void test_hashtag_surge_loud_few(void)
{
    hashtag_surge(0, 1);
}

static void test_hashtag_surge_unwatched(void)
{
    hashtag_surge(1, 0);
}

/* A surge per region has no counter: refused with the rule named. */
static void test_refused(void)
{
    struct agg_store *st = NULL;
    struct alerts_rules *r = rules("[rule.tags]\nkind = \"hashtag_surge\"\nhashtag = \"митинг\"\n");
    struct alerts_eval *e = NULL;
    struct got g = {.publish = 1};
    char err[512] = "", dim[64];

    CHECK_EQ_INT(agg_store_mem_new(NULL, &st), 0);
    if (!st || !r)
        goto out;
    CHECK_EQ_INT(alerts_rule_dim(&r->rules[0], "KZ-75", dim, sizeof(dim)), KZ_EUNSUPPORTED);
    struct alerts_eval_config c = {.rules = r, .store = st, .emit = on_emit, .emit_ctx = &g};
    CHECK_EQ_INT(alerts_eval_new(&c, &e, err, sizeof(err)), 0); /* overall: taken */
    alerts_eval_free(e);
out:
    alerts_rules_free(r);
    agg_store_free(st);
}

int main(void)
{
    RUN(test_month);
    RUN(test_terms_without_samples);
    RUN(test_early_and_retry);
    RUN(test_share_and_topic);
    RUN(test_share_and_topic_loud_few);
    RUN(test_hashtag_surge);
    RUN(test_hashtag_surge_loud_few);
    RUN(test_hashtag_surge_unwatched);
    RUN(test_refused);
    return TAP_DONE();
}
