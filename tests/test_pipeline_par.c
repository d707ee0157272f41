/*
 * test_pipeline_par.c -- an archive walked by several workers (--jobs,
 * pipeline/par.c) ends as a walk on one thread: the same store (the replay
 * report, every count and top list, the sample posts behind them), the same
 * counts, the same dead letters in the same order.
 *
 * The archive has what a real one has: posts in Kazakh, Russian and both,
 * hashtags, calls to action, malformed JSON, invalid UTF-8, wrong types,
 * posts without a time, region fields naming no place, a text past
 * --max-text, and blank lines; sizes that fill many chunks and wrap the ring
 * of slots.  Batch sizes 1 and 7 make the applier flush inside and across
 * parts.  A dead-letter sink that fails stops the walk with its error, every
 * worker joined.  classify's walk of lines (posts and plain text, no store)
 * prints the same verdicts in the same order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline.h"
#include "tap.h"

static const char *const texts[] = {
    "Ертең сағат онда алаңға шығайық, бәріміз бірге барамыз #Жаңаөзен",
    "Жалақы тағы кешікті, жұмысшылар наразы #еңбек",
    "Завтра в 12:00 все на площадь у акимата, приходите с друзьями #Жанаозен",
    "Цены на газ снова выросли, а зарплаты стоят на месте",
    "Кешке паркте концерт болады, балаларды ертіп келіңіздер",
    "Коммуналка опять подорожала, қымбатшылық бәрімізді қажытты #тариф",
    "Сегодня в Алматы снова пробки, автобусы ходят раз в час",
    "Мектепте жаңа спорт залы ашылды, балалар өте қуанышты",
};

static const char *const platforms[] = {"telegram", "vk", "facebook", "x", "instagram"};

/* n records of the archive, lines from k on; the base time in seconds. */
static int write_archive(const char *path, int k0, int n, long long base)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    for (int k = k0; k < k0 + n; k++) {
        if (k % 37 == 5)
            fprintf(f, "{\"id\": \"p%d\", \"text\": \"не закрыта\n", k); /* malformed */
        else if (k % 53 == 7)
            fprintf(f, "{\"id\": \"p%d\", \"ts\": %lld, \"text\": \"\xd0\xd0 bad\"}\n", k,
                    base + k * 61);
        else if (k % 59 == 3)
            fprintf(f, "{\"id\": \"p%d\", \"ts\": true, \"text\": \"тип\"}\n", k);
        else if (k % 71 == 1)
            fprintf(f, "{\"id\": \"p%d\", \"text\": \"%s\"}\n", k, texts[k % 8]); /* undated */
        else if (k % 89 == 2)
            fprintf(f, "\n");
        else if (k % 97 == 4)
            fprintf(f,
                    "{\"id\": \"p%d\", \"ts\": %lld, \"region\": \"Атлантида\", \"text\": "
                    "\"%s\"}\n",
                    k, base + k * 61, texts[k % 8]);
        else if (k == 1234) {
            fprintf(f, "{\"id\": \"p%d\", \"ts\": %lld, \"text\": \"", k, base + k * 61);
            for (int i = 0; i < 2000; i++)
                fprintf(f, "%s ", texts[i % 8]);
            fprintf(f, "\"}\n");
        } else
            fprintf(f,
                    "{\"id\": \"p%d\", \"platform\": \"%s\", \"author\": \"u%d\", \"ts\": %lld, "
                    "\"text\": \"%s %d\"}\n",
                    k, platforms[k % 5], k % 113, base + k * 61, texts[(k * 7) % 8], k % 10);
    }
    return fclose(f);
}

struct out {
    char *report, *dead;
    size_t nreport, ndead;
    struct pipeline_stats st;
    struct ingest_stats in;
    int rc;
    char err[512];
};

static void out_free(struct out *o)
{
    free(o->report);
    free(o->dead);
}

static int failing_sink_left;
static int failing_sink(void *file, const struct ingest_dead *d)
{
    if (--failing_sink_left < 0)
        return KZ_EIO;
    return pipeline_dead_to_file(file, d);
}

static const char *const sample_dims[] = {"lang:kk", "lang:ru", "mob:call", "platform:vk",
                                          "topic:protest"};

/* A config with the shipped lexicons and jobs workers; o emptied, its
 * report and dead letters gathered in memory. */
static void start(struct kz_config *cfg, int jobs, struct out *o, FILE **rep, FILE **dead)
{
    char lex[1024];
    const char *root = getenv("KZ_SOURCE_ROOT");

    memset(o, 0, sizeof *o);
    kz_config_init(cfg);
    snprintf(lex, sizeof lex, "%s/lexicons", root ? root : ".");
    cfg->lexicons = strdup(lex);
    cfg->jobs = jobs;
    *rep = open_memstream(&o->report, &o->nreport);
    *dead = open_memstream(&o->dead, &o->ndead);
}

/* Walk the archives with jobs workers and batches of flush_posts. */
static void walk(const char *const *paths, int npaths, int jobs, uint64_t flush_posts,
                 int fail_after, struct out *o)
{
    struct kz_config cfg;
    struct agg_store *store = NULL;
    struct pipeline *p = NULL;
    FILE *rep, *dead;

    start(&cfg, jobs, o, &rep, &dead);
    cfg.flush_posts = flush_posts;
    cfg.ingest.max_text = 4096;
    failing_sink_left = fail_after;
    if (agg_store_mem_new(NULL, &store) ||
        (o->rc = pipeline_new(&cfg, store, fail_after ? failing_sink : pipeline_dead_to_file, dead,
                              &p, o->err, sizeof o->err))) {
        o->rc = o->rc ? o->rc : -1;
        goto out;
    }
    for (int i = 0; i < npaths && !o->rc; i++)
        o->rc = pipeline_walk_file(p, paths[i], o->err, sizeof o->err);
    if (!o->rc)
        o->rc = pipeline_flush(p, o->err, sizeof o->err);
    o->st = *pipeline_stats(p);
    o->in = *pipeline_ingest_stats(p);
    if (!o->rc) {
        struct pipeline_report r = {
            .store = store,
            .ingest = pipeline_ingest_stats(p),
            .sources = paths,
            .nsources = npaths,
            .dead_letters = "mem",
            .top = 0,
            .gaz = pipeline_gazetteer(p),
            .region_unknown = pipeline_stats(p)->region_unknown,
        };
        pipeline_render_report(rep, PIPELINE_JSON, &r);
        for (size_t d = 0; d < sizeof sample_dims / sizeof *sample_dims; d++) {
            struct agg_posts ps;
            char err[256];
            if (agg_store_posts(store, sample_dims[d], 0, INT64_MAX / 2, 0, &ps, err, sizeof err)) {
                fprintf(rep, "%s: %s\n", sample_dims[d], err);
                continue;
            }
            fprintf(rep, "%s: %zu\n", sample_dims[d], ps.total);
            for (size_t i = 0; i < ps.n; i++)
                fprintf(rep, "%.*s\n", (int)ps.items[i].len, ps.items[i].rec);
            agg_posts_free(&ps);
        }
    }
out:
    pipeline_free(p);
    agg_store_free(store);
    fclose(rep);
    fclose(dead);
    kz_config_free(&cfg);
}

static int same(const struct out *a, const struct out *b)
{
    return a->rc == b->rc && a->nreport == b->nreport &&
           !memcmp(a->report, b->report, a->nreport) && a->ndead == b->ndead &&
           !memcmp(a->dead, b->dead, a->ndead) && a->st.records == b->st.records &&
           a->st.posts == b->st.posts && a->st.dead_total == b->st.dead_total &&
           a->st.region_unknown == b->st.region_unknown && a->st.last_ts_ms == b->st.last_ts_ms &&
           a->st.sources_ok == b->st.sources_ok && !memcmp(&a->in, &b->in, sizeof a->in);
}

static char big[64], small[64];

static void test_same_as_one_thread(void)
{
    const char *paths[] = {big, small};
    struct out one, many;

    walk(paths, 2, 1, 0, 0, &one);
    CHECK_EQ_INT(one.rc, 0);
    CHECK(one.st.posts > 5000 && one.st.dead_total > 200);
    CHECK(one.st.region_unknown > 0 && one.in.ts_arrival > 0 && one.in.truncated == 1);
    CHECK(strstr(one.report, "\"mob:call") || strstr(one.report, "mob:call"));
    static const struct {
        int jobs;
        uint64_t flush;
    } cases[] = {{2, 0}, {3, 0}, {4, 7}, {2, 1}, {8, 2000}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        walk(paths, 2, cases[i].jobs, cases[i].flush, 0, &many);
        CHECK_EQ_INT(many.rc, 0);
        if (!same(&one, &many))
            fprintf(stderr, "# --jobs %d --flush-posts %llu differs\n", cases[i].jobs,
                    (unsigned long long)cases[i].flush);
        CHECK(same(&one, &many));
        out_free(&many);
    }
    out_free(&one);
}

/* One walk that failed on its dead-letter sink reports it, like one thread. */
static void test_sink_fails(void)
{
    const char *paths[] = {big};
    struct out one, many;

    walk(paths, 1, 1, 0, 40, &one);
    walk(paths, 1, 3, 0, 40, &many);
    CHECK(one.rc < 0 && many.rc < 0);
    CHECK(strstr(many.err, "dead letter") != NULL);
    CHECK_EQ_INT((int)many.ndead, (int)one.ndead); /* the 40 before, in order */
    CHECK(!memcmp(one.dead, many.dead, one.ndead));
    out_free(&one);
    out_free(&many);
}

/* A verdict as a line: id, language, stance, topics, and the text's hashtags. */
static int print_verdict(void *ctx, FILE *out, const struct ingest_post *post,
                         const struct nlp_doc *doc, const struct nlp_verdict *v)
{
    (void)ctx;
    fprintf(out, "%.*s %s %d %.3f", post ? (int)post->id.n : 4, post ? post->id.p : "text",
            nlp_lang_name(v->lang), (int)v->stance, (double)v->stance_score);
    for (size_t i = 0; i < v->ntopics; i++)
        fprintf(out, " %.*s", (int)v->topics[i].name.n, v->topics[i].name.p);
    for (size_t i = 0; i < doc->ntokens; i++)
        if (doc->tokens[i].kind == NLP_TOK_HASHTAG)
            fprintf(out, " %.*s", (int)doc->tokens[i].norm.n, doc->tokens[i].norm.p);
    fputc('\n', out);
    return 0;
}

/* classify's walk: posts and plain-text lines, verdicts printed in order. */
static void classify(const char *path, int jobs, struct out *o)
{
    struct kz_config cfg;
    struct pipeline *p = NULL;
    FILE *rep, *dead;

    start(&cfg, jobs, o, &rep, &dead);
    if ((o->rc = pipeline_new(&cfg, NULL, pipeline_dead_to_file, dead, &p, o->err, sizeof o->err)))
        goto out;
    pipeline_on_verdict(p, print_verdict, NULL, rep);
    o->rc = pipeline_walk_lines(p, path, o->err, sizeof o->err);
    o->st = *pipeline_stats(p);
    o->in = *pipeline_ingest_stats(p);
out:
    pipeline_free(p);
    fclose(rep);
    fclose(dead);
    kz_config_free(&cfg);
}

static void test_classify_lines(void)
{
    char path[64];
    FILE *f;
    struct out one, many;

    snprintf(path, sizeof path, "/tmp/kz-par-%d-c.txt", (int)getpid());
    if (!(f = fopen(path, "wb"))) {
        CHECK(0);
        return;
    }
    for (int k = 0; k < 1500; k++) {
        if (k % 3 == 0)
            fprintf(f, "%s %d\n", texts[k % 8], k); /* plain text */
        else if (k % 41 == 0)
            fprintf(f, "{\"id\": \"c%d\", \"text\": \"\xff\"}\n", k); /* bad UTF-8 */
        else if (k % 43 == 0)
            fprintf(f, "   \n");
        else
            fprintf(f, "{\"id\": \"c%d\", \"ts\": %d, \"text\": \"%s\"}\n", k, 1767225600 + k,
                    texts[(k * 3) % 8]);
    }
    fclose(f);
    classify(path, 1, &one);
    CHECK_EQ_INT(one.rc, 0);
    CHECK(one.st.posts > 1000 && one.st.dead_total > 10);
    CHECK(one.nreport > 0 && strstr(one.report, "\ntext kk") && strstr(one.report, "\nc1 "));
    for (int jobs = 2; jobs <= 4; jobs++) {
        classify(path, jobs, &many);
        CHECK_EQ_INT(many.rc, 0);
        if (!same(&one, &many))
            fprintf(stderr, "# classify --jobs %d differs\n", jobs);
        CHECK(same(&one, &many));
        out_free(&many);
    }
    out_free(&one);
    unlink(path);
}

/* What the progress line says, in each of its shapes. */
static void test_progress_line(void)
{
    char b[160], tiny[24];

    CHECK_EQ_STR(
        pipeline_progress_line(b, sizeof b, "a.jsonl", 1234567, 180400000, 345000000, 3.75),
        "a.jsonl: 1,234,567 posts, 180.4 of 345.0 MB (52%), 48.1 MB/s, 0:03 left");
    CHECK_EQ_STR(pipeline_progress_line(b, sizeof b, "stdin", 999, 5000000, 0, 2),
                 "stdin: 999 posts, 5.0 MB, 2.5 MB/s");
    CHECK_EQ_STR(pipeline_progress_line(b, sizeof b, "x", 0, 0, 100, 0.05),
                 "x: 0 posts, 0.0 of 0.0 MB (0%)");
    CHECK_EQ_STR(pipeline_progress_line(b, sizeof b, "big.zst", 1000, 1000000, 9001000000, 1),
                 "big.zst: 1,000 posts, 1.0 of 9001.0 MB (0%), 1.0 MB/s, 2:30:00 left");
    /* a file that grew while read: no percentage past 100, no time left */
    CHECK_EQ_STR(pipeline_progress_line(b, sizeof b, "g", 10, 2000000, 1000000, 1),
                 "g: 10 posts, 2.0 MB, 2.0 MB/s");
    CHECK_EQ_STR(pipeline_progress_line(tiny, sizeof tiny, "a-long-name.jsonl", 1234567, 1, 2, 1),
                 "a-long-name.jsonl: 1,23");
}

int main(void)
{
    snprintf(big, sizeof big, "/tmp/kz-par-%d-a.jsonl", (int)getpid());
    snprintf(small, sizeof small, "/tmp/kz-par-%d-b.jsonl", (int)getpid());
    if (write_archive(big, 0, 6000, 1767225600LL) || write_archive(small, 6000, 30, 1767225600LL))
        return TAP_SKIP("cannot write the archives in /tmp");
    RUN(test_same_as_one_thread);
    RUN(test_sink_fails);
    RUN(test_classify_lines);
    RUN(test_progress_line);
    unlink(big);
    unlink(small);
    return TAP_DONE();
}
