/*
 * test_nlp_model.c -- learned models (nlp/model.c): training on a small set
 * of the project's own sentences predicts unseen ones; the model file
 * round-trips bit-exactly and rejects truncated, corrupt, foreign and
 * future files with a message; the same seed gives the same bytes;
 * classification with models explains its labels with model evidence; and
 * the packed rows classification reads hold exactly the dense weights.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nlp.h"
#include "nlp_test.h" /* the packed rows and the log table, checked against their sources */
#include "tap.h"

struct row {
    const char *text;
    enum nlp_stance stance;
    int mob;
    const char *topic; /* one topic or NULL */
};

/* Written for this test: war stance, rallies and prices, in Russian and English. */
static const struct row train_rows[] = {
    {"Слава героям, Украина выстоит и победит", NLP_STANCE_PRO_UKRAINE, 0, "war"},
    {"Украина победит, оккупанты уйдут домой", NLP_STANCE_PRO_UKRAINE, 0, "war"},
    {"Героям слава, мы с Украиной до победы", NLP_STANCE_PRO_UKRAINE, 0, "war"},
    {"Оккупанты снова обстреляли город, Украина выстоит", NLP_STANCE_PRO_UKRAINE, 0, "war"},
    {"Glory to Ukraine, the occupiers will lose", NLP_STANCE_PRO_UKRAINE, 0, "war"},
    {"Stand with Ukraine, glory to the heroes", NLP_STANCE_PRO_UKRAINE, 0, "war"},
    {"Ukraine will win, occupiers go home", NLP_STANCE_PRO_UKRAINE, 0, "war"},
    {"Мы с Украиной, слава героям фронта", NLP_STANCE_PRO_UKRAINE, 0, "war"},
    {"Спецоперация идёт по плану, денацификация продолжается", NLP_STANCE_PRO_RUSSIA, 0, "war"},
    {"Своих не бросаем, спецоперация по плану", NLP_STANCE_PRO_RUSSIA, 0, "war"},
    {"Денацификация и демилитаризация: своих не бросаем", NLP_STANCE_PRO_RUSSIA, 0, "war"},
    {"Киевский режим ответит, спецоперация продолжается", NLP_STANCE_PRO_RUSSIA, 0, "war"},
    {"The special operation goes to plan, denazification now", NLP_STANCE_PRO_RUSSIA, 0, "war"},
    {"Kiev regime will answer, the special operation continues", NLP_STANCE_PRO_RUSSIA, 0, "war"},
    {"Своих не бросаем, киевский режим падёт", NLP_STANCE_PRO_RUSSIA, 0, "war"},
    {"Denazification continues, we do not abandon our own", NLP_STANCE_PRO_RUSSIA, 0, "war"},
    {"Цены на хлеб опять выросли, зарплаты стоят", NLP_STANCE_NONE, 0, "prices"},
    {"Коммуналка подорожала, цены растут каждый месяц", NLP_STANCE_NONE, 0, "prices"},
    {"Bread prices went up again and wages stay flat", NLP_STANCE_NONE, 0, "prices"},
    {"Prices for utilities rise every month", NLP_STANCE_NONE, 0, "prices"},
    {"Выходим завтра на площадь, все на митинг", NLP_STANCE_NONE, 1, NULL},
    {"Собираемся в субботу у акимата, все приходите", NLP_STANCE_NONE, 1, NULL},
    {"Тарифы и цены растут, а пенсии нет", NLP_STANCE_NONE, 0, "prices"},
    {"Join the rally tomorrow at the square, everyone come out", NLP_STANCE_NONE, 1, NULL},
    {"Все на митинг завтра в полдень, выходим на площадь", NLP_STANCE_NONE, 1, NULL},
    {"Come to the rally on Saturday at the square, bring posters", NLP_STANCE_NONE, 1, NULL},
    {"Выходим на митинг у акимата в субботу", NLP_STANCE_NONE, 1, NULL},
    {"Завтра все на площадь, выходим на мирный митинг", NLP_STANCE_NONE, 1, NULL},
    {"Everyone out to the square tomorrow for the rally", NLP_STANCE_NONE, 1, NULL},
    {"Погода сегодня отличная, гуляли в парке", NLP_STANCE_NONE, 0, NULL},
    {"Вчера смотрели кино с друзьями, понравилось", NLP_STANCE_NONE, 0, NULL},
    {"The weather is lovely, we walked in the park", NLP_STANCE_NONE, 0, NULL},
    {"Watched a film with friends yesterday, loved it", NLP_STANCE_NONE, 0, NULL},
    {"Новый рецепт плова, очень вкусно получилось", NLP_STANCE_NONE, 0, NULL},
    {"Cooked a new pilaf recipe, turned out tasty", NLP_STANCE_NONE, 0, NULL},
};

static const struct row heldout_rows[] = {
    {"Слава Украине и её героям", NLP_STANCE_PRO_UKRAINE, 0, "war"},
    {"Спецоперация продолжается, своих не бросаем", NLP_STANCE_PRO_RUSSIA, 0, "war"},
    {"Прекрасная погода, гуляли с друзьями в парке", NLP_STANCE_NONE, 0, NULL},
    {"Выходим завтра на митинг на площадь", NLP_STANCE_NONE, 1, NULL},
    {"Цены на хлеб и коммуналку снова выросли", NLP_STANCE_NONE, 0, "prices"},
};

static struct kz_str topic_of(const struct row *r)
{
    return r->topic ? kz_str_make(r->topic, strlen(r->topic)) : KZ_STR_NULL;
}

static struct nlp_train_example *examples(struct kz_str *topics)
{
    size_t n = KZ_ARRAY_LEN(train_rows);
    struct nlp_train_example *ex = calloc(n, sizeof(*ex));

    CHECK(ex != NULL);
    for (size_t i = 0; ex && i < n; i++) {
        ex[i].text = train_rows[i].text;
        ex[i].len = strlen(train_rows[i].text);
        ex[i].lang = NLP_LANG_UND;
        ex[i].stance = train_rows[i].stance;
        ex[i].mobilization = train_rows[i].mob;
        topics[i] = topic_of(&train_rows[i]);
        ex[i].topics = &topics[i];
        ex[i].ntopics = train_rows[i].topic ? 1 : 0;
    }
    return ex;
}

static int g_char_ngrams;    /* train with character n-grams */
static unsigned g_bits = 12; /* hash bits of train() */

static struct nlp_model *train(struct nlp_analyzer *a, enum nlp_model_kind kind, uint64_t seed)
{
    struct kz_str topics[KZ_ARRAY_LEN(train_rows)];
    struct nlp_train_example *ex = examples(topics);
    struct nlp_train_config cfg;
    struct nlp_train_report rep;
    struct nlp_model *m = NULL;
    char err[256] = "";
    int rc;

    nlp_train_config_default(&cfg);
    cfg.kind = kind;
    cfg.seed = seed;
    cfg.hash_bits = g_bits;
    cfg.heldout = 0.0f; /* the set is tiny: train on all, test on heldout_rows */
    cfg.epochs = 40;
    cfg.char_ngrams = g_char_ngrams;
    rc = nlp_model_train(a, NULL, &cfg, ex, KZ_ARRAY_LEN(train_rows), &m, &rep, err, sizeof(err));
    if (rc)
        fprintf(stderr, "train: %s\n", err);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(rep.ntrain, KZ_ARRAY_LEN(train_rows));
    CHECK_EQ_INT(rep.epochs_run, 40);
    free(ex);
    return m;
}

static void classify(struct nlp_analyzer *a, const struct nlp_model *m, const char *text,
                     struct nlp_verdict *v)
{
    struct nlp_doc doc;
    const struct nlp_model *ms[1] = {m};

    CHECK_EQ_INT(nlp_analyze(a, text, strlen(text), NLP_LANG_UND, &doc), 0);
    CHECK_EQ_INT(nlp_classify_with_models(a, NULL, ms, 1, &doc, v), 0);
}

static int has_topic(const struct nlp_verdict *v, const char *name)
{
    for (size_t i = 0; i < v->ntopics; i++)
        if (v->topics[i].name.n == strlen(name) &&
            !memcmp(v->topics[i].name.p, name, v->topics[i].name.n))
            return 1;
    return 0;
}

static const struct nlp_evidence *model_evidence(const struct nlp_verdict *v, const char *cat)
{
    for (size_t i = 0; i < v->nevidence; i++)
        if (v->evidence[i].category.n == strlen(cat) &&
            !memcmp(v->evidence[i].category.p, cat, v->evidence[i].category.n))
            return &v->evidence[i];
    return NULL;
}

static void test_predicts_heldout(void)
{
    struct nlp_analyzer *a = NULL;
    struct nlp_model *ms, *mt, *mm;
    char err[256];

    CHECK_EQ_INT(nlp_analyzer_new(NULL, &a, err, sizeof(err)), 0);
    ms = train(a, NLP_MODEL_STANCE, 7);
    mt = train(a, NLP_MODEL_TOPICS, 7);
    mm = train(a, NLP_MODEL_MOBILIZATION, 7);
    CHECK(ms && mt && mm);
    if (!ms || !mt || !mm)
        goto out;
    CHECK_EQ_INT(nlp_model_get_kind(mt), NLP_MODEL_TOPICS);
    {
        const char *const *labels;
        CHECK_EQ_INT(nlp_model_labels(mt, &labels), 2); /* sorted: prices, war */
        CHECK_EQ_STR(labels[0], "prices");
        CHECK_EQ_STR(labels[1], "war");
    }
    for (size_t i = 0; i < KZ_ARRAY_LEN(heldout_rows); i++) {
        const struct row *r = &heldout_rows[i];
        struct nlp_verdict v;
        classify(a, ms, r->text, &v);
        if ((int)v.stance != (int)r->stance)
            fprintf(stderr, "stance of \"%s\": %s\n", r->text, nlp_stance_name(v.stance));
        CHECK_EQ_INT(v.stance, r->stance);
        if (r->stance != NLP_STANCE_NONE) {
            const struct nlp_evidence *e = model_evidence(
                &v, r->stance == NLP_STANCE_PRO_UKRAINE ? "model/pro_ukraine" : "model/pro_russia");
            CHECK(e != NULL);
            /* a token feature's span points at its text */
            if (e && e->match.n)
                CHECK(!memcmp(r->text + e->start, e->match.p, e->match.n));
            if (e)
                CHECK(e->weight > 0.0f);
        }
        classify(a, mm, r->text, &v);
        CHECK_EQ_INT(v.call_to_action, r->mob);
        classify(a, mt, r->text, &v);
        if (has_topic(&v, "prices") != (r->topic && !strcmp(r->topic, "prices")))
            fprintf(stderr, "topics of \"%s\": %zu, first %.*s %.3f\n", r->text, v.ntopics,
                    v.ntopics ? (int)v.topics[0].name.n : 0, v.ntopics ? v.topics[0].name.p : "",
                    v.ntopics ? (double)v.topics[0].score : 0.0);
        CHECK_EQ_INT(has_topic(&v, "war"), r->topic && !strcmp(r->topic, "war"));
        CHECK_EQ_INT(has_topic(&v, "prices"), r->topic && !strcmp(r->topic, "prices"));
    }
out:
    nlp_model_free(ms);
    nlp_model_free(mt);
    nlp_model_free(mm);
    nlp_analyzer_free(a);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void expect_reject(const void *buf, size_t len, int want_rc, const char *want_msg)
{
    struct nlp_model *m = (struct nlp_model *)1;
    char err[256] = "";
    int rc = nlp_model_load(buf, len, &m, err, sizeof(err));

    CHECK_EQ_INT(rc, want_rc);
    CHECK(m == NULL);
    if (!strstr(err, want_msg))
        fprintf(stderr, "error \"%s\" lacks \"%s\"\n", err, want_msg);
    CHECK(strstr(err, want_msg) != NULL);
}

static void test_file_format(void)
{
    struct nlp_analyzer *a = NULL;
    struct nlp_model *m, *m2 = NULL, *again;
    void *buf = NULL, *buf2 = NULL, *buf3 = NULL;
    size_t len = 0, len2 = 0, len3 = 0;
    unsigned char *bad;
    char err[256];

    CHECK_EQ_INT(nlp_analyzer_new(NULL, &a, err, sizeof(err)), 0);
    m = train(a, NLP_MODEL_STANCE, 3);
    CHECK(m != NULL);
    if (!m)
        goto out;
    CHECK_EQ_INT(nlp_model_save(m, &buf, &len), 0);
    CHECK(len > 24);
    CHECK(!memcmp(buf, "KZPM", 4));
    /* round trip, bit-exact */
    CHECK_EQ_INT(nlp_model_load(buf, len, &m2, err, sizeof(err)), 0);
    CHECK(m2 != NULL);
    if (m2) {
        CHECK_EQ_INT(nlp_model_save(m2, &buf2, &len2), 0);
        CHECK_EQ_INT(len2, len);
        CHECK(buf2 && !memcmp(buf, buf2, len));
        CHECK(nlp_model_blend(m2) == nlp_model_blend(m));
    }
    /* determinism: the same seed, the same bytes; another seed may differ */
    again = train(a, NLP_MODEL_STANCE, 3);
    CHECK(again != NULL);
    if (again) {
        CHECK_EQ_INT(nlp_model_save(again, &buf3, &len3), 0);
        CHECK(len3 == len && !memcmp(buf, buf3, len));
        nlp_model_free(again);
    }

    bad = malloc(len);
    CHECK(bad != NULL);
    if (!bad)
        goto out;
    /* truncated, at several lengths */
    expect_reject(buf, 0, KZ_EDECODE, "magic");
    expect_reject(buf, 5, KZ_EDECODE, "truncated");
    expect_reject(buf, 20, KZ_EDECODE, "truncated");
    expect_reject(buf, len - 1, KZ_EDECODE, "checksum");
    expect_reject(buf, len / 2, KZ_EDECODE, "checksum");
    /* one flipped bit in the weights */
    memcpy(bad, buf, len);
    bad[len - 9] ^= 0x10;
    expect_reject(bad, len, KZ_EDECODE, "checksum");
    /* foreign: a gzip header, a JSON file */
    expect_reject("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10, KZ_EDECODE, "magic");
    expect_reject("{\"kind\": \"stance\"}", 18, KZ_EDECODE, "magic");
    /* a future version, and version 1 (other features: its weights would not fit) */
    memcpy(bad, buf, len);
    bad[4] = 3;
    expect_reject(bad, len, KZ_EUNSUPPORTED, "version 3");
    bad[4] = 1;
    expect_reject(bad, len, KZ_EUNSUPPORTED, "version 1");
    /* the feature flags: word features only by default; unknown flags are refused */
    CHECK_EQ_INT(((unsigned char *)buf)[9], 0);
    memcpy(bad, buf, len);
    bad[9] = 0x80;
    expect_reject(bad, len, KZ_EDECODE, "feature flags");
    /* a valid checksum over a wrong field is caught by the field checks */
    memcpy(bad, buf, len);
    bad[6] = 9; /* kind */
    put32(bad + len - 4, 0);
    expect_reject(bad, len, KZ_EDECODE, "kind 9");
    free(bad);
out:
    free(buf);
    free(buf2);
    free(buf3);
    nlp_model_free(m);
    nlp_model_free(m2);
    nlp_analyzer_free(a);
}

static void test_bad_training_input(void)
{
    struct nlp_analyzer *a = NULL;
    struct nlp_train_config cfg;
    struct nlp_train_report rep;
    struct nlp_model *m = NULL;
    struct kz_str bad_topic = kz_str_make("Not Snake", 9);
    struct nlp_train_example ex[2];
    char err[256];

    CHECK_EQ_INT(nlp_analyzer_new(NULL, &a, err, sizeof(err)), 0);
    memset(ex, 0, sizeof(ex));
    ex[0].text = ex[1].text = "text";
    ex[0].len = ex[1].len = 4;
    ex[0].topics = &bad_topic;
    ex[0].ntopics = 1;
    nlp_train_config_default(&cfg);
    cfg.kind = NLP_MODEL_TOPICS;
    CHECK_EQ_INT(nlp_model_train(a, NULL, &cfg, ex, 2, &m, &rep, err, sizeof(err)), KZ_EINVAL);
    CHECK(strstr(err, "snake_case") != NULL);
    CHECK(m == NULL);
    cfg.kind = NLP_MODEL_STANCE;
    CHECK_EQ_INT(nlp_model_train(a, NULL, &cfg, ex, 1, &m, &rep, err, sizeof(err)), KZ_EINVAL);
    cfg.hash_bits = 30;
    CHECK_EQ_INT(nlp_model_train(a, NULL, &cfg, ex, 2, &m, &rep, err, sizeof(err)), KZ_EINVAL);
    nlp_analyzer_free(a);
}

/* Character n-grams: a flag in the file, round trip, and evidence whose
 * feature strings and spans are well formed. */
static void test_char_ngrams(void)
{
    struct nlp_analyzer *a = NULL;
    struct nlp_model *m, *m2 = NULL;
    void *buf = NULL, *buf2 = NULL;
    size_t len = 0, len2 = 0, ok = 0;
    char err[256];

    CHECK_EQ_INT(nlp_analyzer_new(NULL, &a, err, sizeof(err)), 0);
    g_char_ngrams = 1;
    m = train(a, NLP_MODEL_STANCE, 5);
    g_char_ngrams = 0;
    CHECK(m != NULL);
    if (!m)
        goto out;
    CHECK_EQ_INT(nlp_model_save(m, &buf, &len), 0);
    CHECK(buf && ((unsigned char *)buf)[9] == 1);
    CHECK_EQ_INT(nlp_model_load(buf, len, &m2, err, sizeof(err)), 0);
    if (m2) {
        CHECK_EQ_INT(nlp_model_save(m2, &buf2, &len2), 0);
        CHECK(len2 == len && buf2 && !memcmp(buf, buf2, len));
    }
    for (size_t i = 0; i < KZ_ARRAY_LEN(heldout_rows); i++) {
        const struct row *r = &heldout_rows[i];
        struct nlp_verdict v;
        classify(a, m2 ? m2 : m, r->text, &v);
        ok += (int)v.stance == (int)r->stance;
        for (size_t e = 0; e < v.nevidence; e++) {
            const struct nlp_evidence *ev = &v.evidence[e];
            CHECK(ev->rule.n > 2 && memchr(ev->rule.p, ':', ev->rule.n) &&
                  strlen(ev->rule.p) == ev->rule.n);
            if (ev->match.n)
                CHECK(!memcmp(r->text + ev->start, ev->match.p, ev->match.n));
        }
    }
    /* a tiny set: most, not necessarily all, held-out posts right */
    CHECK(ok * 3 >= KZ_ARRAY_LEN(heldout_rows) * 2);
out:
    free(buf);
    free(buf2);
    nlp_model_free(m);
    nlp_model_free(m2);
    nlp_analyzer_free(a);
}

/*
 * Target features: the same words are for one side when said of the other.
 * "Russia's army is collapsing" is pro-Ukrainian and "Ukraine's army is
 * collapsing" pro-Russian; every word (and the sides' names) occurs equally
 * often under both labels, so a bag of words is at chance, while words paired
 * with the side named next to them (--target-features) separate the two.
 */
static const char lex_targets[] = "cue/target_russia\trussia*\t1.0\ten\t\n"
                                  "cue/target_russia\tросси*\t1.0\tru\t\n"
                                  "cue/target_ukraine\tukrain*\t1.0\ten\t\n"
                                  "cue/target_ukraine\tукраин*\t1.0\tru\t\n"
                                  "cue/positive\tadvanc*\t1.0\ten\t\n"
                                  "cue/positive\tнаступ*\t1.0\tru\t\n"
                                  "cue/negative\tcollaps*\t1.0\ten\t\n"
                                  "cue/negative\tотступ*\t1.0\tru\t\n"
                                  "cue/negation\tnot\t1.0\ten\t\n";

static const struct row target_rows[] = {
    {"The Russian army is collapsing near the river", NLP_STANCE_PRO_UKRAINE, 0, NULL},
    {"The Ukrainian army is collapsing near the river", NLP_STANCE_PRO_RUSSIA, 0, NULL},
    {"The Ukrainian brigades are advancing in the south", NLP_STANCE_PRO_UKRAINE, 0, NULL},
    {"The Russian brigades are advancing in the south", NLP_STANCE_PRO_RUSSIA, 0, NULL},
    {"Russia's front is collapsing again this week", NLP_STANCE_PRO_UKRAINE, 0, NULL},
    {"Ukraine's front is collapsing again this week", NLP_STANCE_PRO_RUSSIA, 0, NULL},
    {"Ukraine's tanks are advancing toward the city", NLP_STANCE_PRO_UKRAINE, 0, NULL},
    {"Russia's tanks are advancing toward the city", NLP_STANCE_PRO_RUSSIA, 0, NULL},
    {"Российские войска отступают от реки", NLP_STANCE_PRO_UKRAINE, 0, NULL},
    {"Украинские войска отступают от реки", NLP_STANCE_PRO_RUSSIA, 0, NULL},
    {"Украинские части наступают на юге", NLP_STANCE_PRO_UKRAINE, 0, NULL},
    {"Российские части наступают на юге", NLP_STANCE_PRO_RUSSIA, 0, NULL},
    {"Russian lines collapsing, soldiers flee the village", NLP_STANCE_PRO_UKRAINE, 0, NULL},
    {"Ukrainian lines collapsing, soldiers flee the village", NLP_STANCE_PRO_RUSSIA, 0, NULL},
    {"Ukrainian units advancing fast along the road", NLP_STANCE_PRO_UKRAINE, 0, NULL},
    {"Russian units advancing fast along the road", NLP_STANCE_PRO_RUSSIA, 0, NULL},
};

static const struct row target_heldout[] = {
    {"Russian defence collapsing in the east", NLP_STANCE_PRO_UKRAINE, 0, NULL},
    {"Ukrainian defence collapsing in the east", NLP_STANCE_PRO_RUSSIA, 0, NULL},
    {"Ukrainian paratroopers advancing past the bridge", NLP_STANCE_PRO_UKRAINE, 0, NULL},
    {"Russian paratroopers advancing past the bridge", NLP_STANCE_PRO_RUSSIA, 0, NULL},
    {"Российская оборона отступает под огнём", NLP_STANCE_PRO_UKRAINE, 0, NULL},
    {"Украинская оборона отступает под огнём", NLP_STANCE_PRO_RUSSIA, 0, NULL},
    {"Украинская пехота наступает у моста", NLP_STANCE_PRO_UKRAINE, 0, NULL},
    {"Российская пехота наступает у моста", NLP_STANCE_PRO_RUSSIA, 0, NULL},
};

/* The target rows as training examples, and a stance training config. */
static void target_setup(struct nlp_train_example *ex, struct nlp_train_config *cfg)
{
    memset(ex, 0, KZ_ARRAY_LEN(target_rows) * sizeof(*ex));
    for (size_t i = 0; i < KZ_ARRAY_LEN(target_rows); i++) {
        ex[i].text = target_rows[i].text;
        ex[i].len = strlen(target_rows[i].text);
        ex[i].stance = target_rows[i].stance;
    }
    nlp_train_config_default(cfg);
    cfg->kind = NLP_MODEL_STANCE;
    cfg->target_features = 1;
}

static size_t target_accuracy(struct nlp_analyzer *a, const struct nlp_lexicon *lx, int target,
                              struct nlp_model **keep)
{
    size_t n = KZ_ARRAY_LEN(target_rows), ok = 0;
    struct nlp_train_example ex[KZ_ARRAY_LEN(target_rows)];
    struct nlp_train_config cfg;
    struct nlp_train_report rep;
    struct nlp_model *m = NULL;
    char err[256] = "";

    target_setup(ex, &cfg);
    cfg.seed = 3;
    cfg.hash_bits = 14;
    cfg.heldout = 0.0f;
    cfg.epochs = 40;
    cfg.target_features = target;
    CHECK_EQ_INT(nlp_model_train(a, lx, &cfg, ex, n, &m, &rep, err, sizeof(err)), 0);
    if (!m)
        return 0;
    for (size_t i = 0; i < KZ_ARRAY_LEN(target_heldout); i++) {
        const struct nlp_model *ms[1] = {m};
        struct nlp_doc doc;
        struct nlp_verdict v;
        const char *t = target_heldout[i].text;
        CHECK_EQ_INT(nlp_analyze(a, t, strlen(t), NLP_LANG_UND, &doc), 0);
        CHECK_EQ_INT(nlp_classify_with_models(a, lx, ms, 1, &doc, &v), 0);
        ok += v.stance == target_heldout[i].stance;
    }
    if (keep)
        *keep = m;
    else
        nlp_model_free(m);
    return ok;
}

/* --refit: the held-out part chooses the epochs, then every post trains;
 * deterministic like any training. */
static void test_refit(struct nlp_analyzer *a, const struct nlp_lexicon *lx)
{
    struct nlp_train_example ex[KZ_ARRAY_LEN(target_rows)];
    struct nlp_train_config cfg;
    struct nlp_train_report rep;
    struct nlp_model *r1 = NULL, *r2 = NULL;
    void *b1 = NULL, *b2 = NULL;
    size_t l1 = 0, l2 = 0;
    char err[256];

    target_setup(ex, &cfg);
    cfg.hash_bits = 12;
    cfg.heldout = 0.25f;
    cfg.refit = 1;
    CHECK_EQ_INT(nlp_model_train(a, lx, &cfg, ex, KZ_ARRAY_LEN(ex), &r1, &rep, err, sizeof(err)),
                 0);
    CHECK_EQ_INT(rep.nheldout, 4);
    CHECK_EQ_INT(rep.ntrain, KZ_ARRAY_LEN(ex));
    CHECK(rep.best_epoch >= 1);
    CHECK_EQ_INT(nlp_model_train(a, lx, &cfg, ex, KZ_ARRAY_LEN(ex), &r2, &rep, err, sizeof(err)),
                 0);
    if (r1 && r2 && !nlp_model_save(r1, &b1, &l1) && !nlp_model_save(r2, &b2, &l2))
        CHECK(l1 == l2 && !memcmp(b1, b2, l1));
    free(b1);
    free(b2);
    nlp_model_free(r1);
    nlp_model_free(r2);
}

/* Topics choose their blend on every post, out of fold (a tenth of the
 * posts holds too few of each topic): the path is deterministic, and with
 * no lexicon to lean on the model is what decides. */
static void test_topics_blend(void)
{
    struct kz_str topics[KZ_ARRAY_LEN(train_rows)];
    struct nlp_train_example *ex = examples(topics);
    struct nlp_analyzer *a = NULL;
    struct nlp_model *m[2] = {NULL, NULL};
    struct nlp_train_config cfg;
    struct nlp_train_report rep;
    void *b[2] = {NULL, NULL};
    size_t l[2] = {0, 0};
    char err[256];

    CHECK_EQ_INT(nlp_analyzer_new(NULL, &a, err, sizeof(err)), 0);
    nlp_train_config_default(&cfg);
    cfg.kind = NLP_MODEL_TOPICS;
    cfg.hash_bits = 12;
    cfg.heldout = 0.25f;
    for (int i = 0; i < 2 && ex && a; i++) {
        CHECK_EQ_INT(nlp_model_train(a, NULL, &cfg, ex, KZ_ARRAY_LEN(train_rows), &m[i], &rep, err,
                                     sizeof(err)),
                     0);
        CHECK(rep.best_epoch >= 1);
        CHECK(rep.heldout_macro_f1 >= 0.0 && rep.heldout_macro_f1 <= 1.0);
        if (m[i])
            CHECK_EQ_INT(nlp_model_save(m[i], &b[i], &l[i]), 0);
    }
    if (m[0] && m[1]) {
        CHECK(l[0] == l[1] && !memcmp(b[0], b[1], l[0]));
        CHECK(nlp_model_blend(m[0]) >= 0.5f); /* no lexicon: the lexicon side scores 0 */
    }
    for (int i = 0; i < 2; i++) {
        free(b[i]);
        nlp_model_free(m[i]);
    }
    nlp_analyzer_free(a);
    free(ex);
}

static void test_target_features(void)
{
    struct nlp_lexicon_file f = {"targets.tsv", lex_targets, strlen(lex_targets)};
    struct nlp_lexicon *lx = NULL;
    struct nlp_analyzer *a = NULL;
    struct nlp_model *m = NULL;
    void *buf = NULL;
    size_t len = 0, plain, paired;
    char err[256];

    CHECK_EQ_INT(nlp_analyzer_new(NULL, &a, err, sizeof(err)), 0);
    CHECK_EQ_INT(nlp_lexicon_compile(&f, 1, &lx, err, sizeof(err)), 0);
    if (!a || !lx)
        goto out;
    test_refit(a, lx);
    plain = target_accuracy(a, lx, 0, NULL);
    paired = target_accuracy(a, lx, 1, &m);
    fprintf(stderr, "# held out right: %zu of %zu with words alone, %zu with target features\n",
            plain, KZ_ARRAY_LEN(target_heldout), paired);
    CHECK(paired == KZ_ARRAY_LEN(target_heldout));
    CHECK(plain <= KZ_ARRAY_LEN(target_heldout) * 3 / 4);
    if (m) {
        /* the flag is in the file: a model reads posts as it was trained */
        CHECK_EQ_INT(nlp_model_save(m, &buf, &len), 0);
        CHECK(buf && len > 10 && ((unsigned char *)buf)[9] == 2);
    }
out:
    free(buf);
    nlp_model_free(m);
    nlp_lexicon_free(lx);
    nlp_analyzer_free(a);
}

/* The packed rows are the dense rows, zero rows are absent; a loaded model
 * (packed only, from a sparse or a dense file) scores exactly as the trained
 * one (dense kept). */
static void check_packed(struct nlp_analyzer *a, unsigned bits, int dense_file)
{
    struct nlp_model *m = NULL, *m2 = NULL;
    struct nlp_test_model_tables tm;
    void *buf = NULL;
    size_t len = 0, nonzero = 0, D;
    char err[256];
    static const char *const texts[] = {
        "Украина победит, слава героям",
        "Спецоперация по плану, своих не бросаем",
        "Ертең алаңға жиналамыз, бағалар өсті",
        "Цены на хлеб выросли",
        "",
    };

    g_bits = bits;
    m = train(a, NLP_MODEL_TOPICS, 5);
    g_bits = 12;
    tm = nlp_test_model_tables(m);
    CHECK(m != NULL && tm.w != NULL && tm.packed);
    if (!m || !tm.w || !tm.packed)
        goto out;
    D = (size_t)1 << tm.bits;
    for (size_t i = 0; i < D; i++) {
        const float *row = nlp_test_model_row(m, (uint32_t)i), *dense = tm.w + i * tm.nlabels;
        int zero = 1;
        for (size_t k = 0; k < tm.nlabels; k++)
            zero &= dense[k] == 0.0f;
        if (zero) {
            CHECK(row == NULL);
            continue;
        }
        nonzero++;
        CHECK(row != NULL && !memcmp(row, dense, tm.nlabels * sizeof(*row)));
    }
    CHECK(nonzero > 0 && nonzero < D);
    CHECK_EQ_INT(nlp_model_save(m, &buf, &len), 0);
    CHECK(len > 8 && ((unsigned char *)buf)[8] == (dense_file ? 0 : 1)); /* the encoding */
    CHECK_EQ_INT(nlp_model_load(buf, len, &m2, err, sizeof(err)), 0);
    /* a loaded model keeps the packed rows only */
    CHECK(m2 && nlp_test_model_tables(m2).w == NULL);
    for (size_t i = 0; m2 && i < D; i++) {
        const float *r1 = nlp_test_model_row(m, (uint32_t)i);
        const float *r2 = nlp_test_model_row(m2, (uint32_t)i);
        CHECK((r1 == NULL) == (r2 == NULL));
        if (r1 && r2)
            CHECK(!memcmp(r1, r2, tm.nlabels * sizeof(*r1)));
    }
    for (size_t t = 0; m2 && t < KZ_ARRAY_LEN(texts); t++) {
        struct nlp_verdict v1, v2;
        float s1[NLP_TEST_MODEL_MAX_LABELS];
        size_t n1;
        classify(a, m, texts[t], &v1);
        n1 = v1.ntopics;
        for (size_t i = 0; i < n1; i++)
            s1[i] = v1.topics[i].score;
        classify(a, m2, texts[t], &v2);
        CHECK_EQ_INT(v2.ntopics, n1);
        for (size_t i = 0; i < n1 && i < v2.ntopics; i++)
            CHECK(v2.topics[i].score == s1[i]);
    }
out:
    free(buf);
    nlp_model_free(m);
    nlp_model_free(m2);
}

/* Packed rows from sparse and dense files; the log table is log1pf; the
 * popcount. */
static void test_packed_rows(void)
{
    struct nlp_analyzer *a = NULL;
    char err[256];

    for (size_t c = 0; c < 200; c++)
        CHECK(nlp_feat_log1p(c) == log1pf((float)c));
    CHECK_EQ_INT(nlp_test_popcount64(0), 0);
    CHECK_EQ_INT(nlp_test_popcount64(~0ull), 64);
    CHECK_EQ_INT(nlp_test_popcount64(0x8000000000000001ull), 2);
    CHECK_EQ_INT(nlp_test_popcount64(0x00FF00FF00FF00FFull), 32);
    CHECK_EQ_INT(nlp_analyzer_new(NULL, &a, err, sizeof(err)), 0);
    check_packed(a, 12, 0); /* sparse file */
    check_packed(a, 8, 1);  /* 256 buckets, most of them used: a dense file */
    nlp_analyzer_free(a);
}

int main(void)
{
    RUN(test_predicts_heldout);
    RUN(test_file_format);
    RUN(test_packed_rows);
    RUN(test_char_ngrams);
    RUN(test_target_features);
    RUN(test_topics_blend);
    RUN(test_bad_training_input);
    return TAP_DONE();
}
