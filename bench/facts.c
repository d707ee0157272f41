/*
 * facts.c -- the synthetic posts of the aggregation benchmarks (see facts.h).
 */
#include <stdio.h>
#include <string.h>

#include "facts.h"

static const char *const topics[] = {"protest",   "war_ukraine", "prices", "mobilization",
                                     "elections", "corruption",  "energy", "ecology"};
static const char *const regions[] = {"almaty",    "astana", "mangystau", "atyrau",    "shymkent",
                                      "karaganda", "aktobe", "zhambyl",   "turkistan", ""};
static const char *const platforms[] = {"telegram", "vk", "x", "instagram"};
static const char *const langs[] = {"kk", "ru", "mixed", "en"};
static const char *const stances[] = {"pro_ukraine", "pro_russia", "none"};

/* Texts of the shape posts have (the snippet a sample keeps is all of them). */
static const char *const texts[] = {
    "Мұнайшылардың талабы орындалмаса, ертең сағат 11:00-де алаңға шығамыз! #Жаңаөзен",
    "Все, кому не всё равно: завтра в 12:00 выходим на площадь у акимата. Мирно, без "
    "провокаций.",
    "Бензин тағы қымбаттады, айлық сол күйі. Қалай өмір сүреміз? Әкімдік үндемейді.",
    "Цены на газ опять выросли, а зарплаты стоят на месте. Сколько можно терпеть? Подробнее: "
    "t.me/tengri_talqy/79828",
    "Украинадағы соғыс туралы жаңалықтар: бейбіт тұрғындар зардап шегуде. Соғысқа жоқ!",
    "Сегодня в Алматы прошёл пикет против повышения тарифов, полиция задержала троих "
    "участников. Видео в комментариях."};
static const char *const ev_cat[] = {"topic/protest", "cue/call_to_action", "cue/time",
                                     "cue/place",     "region/mangystau",   "topic/economy"};
static const char *const ev_rule[] = {"митинг*", "\"алаңға шығамыз\"", "ертең",
                                      "алаң*",   "жаңаөзен*",          "бағасы*"};
static const char *const ev_match[] = {"митингке", "алаңға шығамыз", "ертең",
                                       "алаңға",   "Жаңаөзен",       "бағасы"};

static uint64_t rnd(uint64_t *st)
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return *st * 0x2545f4914f6cdd1dULL;
}

static struct kz_str str(const char *s)
{
    return kz_str_make(s, strlen(s));
}

void bench_facts_init(struct bench_facts *g, int64_t base, int64_t span, int posts)
{
    g->st = 0x6b7a70756c7365ULL;
    g->base = base;
    g->span = span;
    g->posts = posts;
    for (int i = 0; i < BENCH_AUTHORS; i++)
        snprintf(g->authors[i], sizeof g->authors[i], "tg:%d", 100000 + i);
    for (int i = 0; i < BENCH_TAGS; i++)
        snprintf(g->tags[i], sizeof g->tags[i], "митинг_%d", i);
    for (int i = 0; i < BENCH_TERMS; i++)
        snprintf(g->terms[i], sizeof g->terms[i], "сөз%d", i);
}

void bench_facts_next(struct bench_facts *g, int i, struct agg_facts *f)
{
    uint64_t *st = &g->st;
    int w = (int)(rnd(st) % 8);

    memset(f, 0, sizeof(*f));
    f->ts_ms = g->base + (int64_t)i * g->span / g->posts;
    f->platform = str(platforms[rnd(st) % 4]);
    f->lang = str(langs[rnd(st) % 4]);
    f->region = str(regions[rnd(st) % 10]);
    f->author = str(g->authors[rnd(st) % BENCH_AUTHORS]);
    f->channel = str(g->tags[rnd(st) % 50]);
    f->topics = g->tp;
    f->ntopics = 1 + (size_t)(rnd(st) % 2);
    f->stance = w == 1 ? str(stances[rnd(st) % 3]) : KZ_STR_NULL;
    f->mobilization = rnd(st) % 20 == 0;
    f->hashtags = g->hs;
    f->nhashtags = (size_t)(rnd(st) % 4);
    f->terms = g->tm;
    f->nterms = (size_t)(rnd(st) % 5);
    g->tp[0] = str(topics[w]);
    g->tp[1] = str(topics[(w + 1 + rnd(st) % 7) % 8]);
    for (size_t j = 0; j < 3; j++)
        g->hs[j] = str(g->tags[rnd(st) % BENCH_TAGS]);
    for (size_t j = 0; j < 4; j++)
        g->tm[j] = str(g->terms[rnd(st) % BENCH_TERMS]);
    /* The sample fields draw from a stream of their own, so the counters'
     * stream is the one the figures before them measured. */
    uint64_t h = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);

    snprintf(g->id, sizeof g->id, "tg:kz_news/%d", i);
    f->id = str(g->id);
    f->text = str(texts[rnd(&h) % KZ_ARRAY_LEN(texts)]);
    f->nevidence = 2 + (size_t)(rnd(&h) % 3);
    for (size_t j = 0; j < f->nevidence; j++) {
        size_t k = (size_t)(rnd(&h) % KZ_ARRAY_LEN(ev_cat));

        g->ev[j].category = str(ev_cat[k]);
        g->ev[j].rule = str(ev_rule[k]);
        g->ev[j].match = str(ev_match[k]);
    }
    f->evidence = g->ev;
}
