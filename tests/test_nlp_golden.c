/*
 * test_nlp_golden.c -- the analyzer against golden files of our own sentences.
 *
 * Each tests/data/nlp/<name>.golden file but social.golden (the entity case
 * table, read by test_nlp_social.c in a format of its own) holds cases:
 *
 *     # a comment (kept when regenerating)
 *     > input text, with \xNN for raw bytes (invalid UTF-8) and \\ for "\"
 *     = doc <lang> <script>
 *     <kind> <start>-<end> <lang> <script> <flags> |<surface>|<norm>|<stem>|
 *     ...one line per token, then a blank line
 *
 * A case whose input line starts with ">*N " analyses its text repeated N
 * times (the 1 MB case) and records the token count and the first and last
 * three tokens.  flags: h hashtag part, g homoglyph folded, t transliterated,
 * "-" none.  Bytes that are not valid UTF-8 print as \xNN.
 *
 * To regenerate after a deliberate change, run the test with
 *     KZ_NLP_GOLDEN_UPDATE=1 meson test -C BUILD nlp_golden
 * (or the test binary directly): files are rewritten with the current
 * output, and `git diff tests/data/nlp` shows what changed -- review it.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlp.h"
#include "tap.h"

#ifndef KZ_TEST_DATA
#define KZ_TEST_DATA "tests/data"
#endif

struct buf {
    char *p;
    size_t n, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p)
            abort();
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Print bytes, escaping invalid UTF-8, '|' and '\' so lines stay parseable. */
static void put_escaped(struct buf *b, const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        int ok = len > 0 && i + len <= n && !(c >= 0x80 && c < 0xC2) && c <= 0xF4;
        char tmp[8];

        for (size_t k = 1; ok && k < len; k++)
            ok = ((unsigned char)s[i + k] & 0xC0) == 0x80;
        if (!ok || c < 0x20 || c == '|' || c == '\\') {
            snprintf(tmp, sizeof(tmp), "\\x%02X", c);
            puts_(b, tmp);
            i++;
            continue;
        }
        put(b, s + i, len);
        i += len;
    }
}

static void render_token(struct buf *b, const struct nlp_token *t)
{
    char head[128], flags[8];
    size_t f = 0;

    if (t->flags & NLP_TOKF_HASHTAG_PART)
        flags[f++] = 'h';
    if (t->flags & NLP_TOKF_HOMOGLYPH)
        flags[f++] = 'g';
    if (t->flags & NLP_TOKF_TRANSLIT)
        flags[f++] = 't';
    if (!f)
        flags[f++] = '-';
    flags[f] = '\0';
    snprintf(head, sizeof(head), "%s %u-%u %s %s %s |", nlp_kind_name(t->kind), t->start, t->end,
             nlp_lang_name(t->lang), nlp_script_name(t->script), flags);
    puts_(b, head);
    put_escaped(b, t->surface.p, t->surface.n);
    puts_(b, "|");
    put_escaped(b, t->norm.p, t->norm.n);
    puts_(b, "|");
    put_escaped(b, t->stem.p, t->stem.n);
    puts_(b, "|\n");
}

/* Decode the input line's escapes into raw bytes. */
static size_t unescape(const char *s, size_t n, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x') {
            unsigned v;
            if (sscanf(s + i + 2, "%2x", &v) == 1) {
                out[o++] = (char)v;
                i += 3;
                continue;
            }
        }
        if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\\') {
            out[o++] = '\\';
            i++;
            continue;
        }
        out[o++] = s[i];
    }
    return o;
}

static int analyse_case(struct nlp_analyzer *an, const char *input, size_t n, struct buf *out)
{
    char *raw = malloc(n + 1), *text = raw;
    size_t len, reps = 1;
    struct nlp_doc d;
    char line[96];
    int rc;

    if (!raw)
        return -1;
    if (n > 1 && input[0] == '*') {
        char *end;
        reps = strtoul(input + 1, &end, 10);
        while (*end == ' ')
            end++;
        n -= (size_t)(end - input);
        input = end;
    }
    len = unescape(input, n, raw);
    if (reps > 1) {
        text = malloc(len * reps + 1);
        if (!text) {
            free(raw);
            return -1;
        }
        for (size_t r = 0; r < reps; r++)
            memcpy(text + r * len, raw, len);
        len *= reps;
    }
    rc = nlp_analyze(an, text, len, NLP_LANG_UND, &d);
    snprintf(line, sizeof(line), "= doc %s %s\n", nlp_lang_name(d.lang), nlp_script_name(d.script));
    puts_(out, rc ? "= error\n" : line);
    if (reps > 1) {
        snprintf(line, sizeof(line), "= bytes %zu tokens %zu\n", len, d.ntokens);
        puts_(out, line);
        for (size_t i = 0; i < d.ntokens && i < 3; i++)
            render_token(out, &d.tokens[i]);
        for (size_t i = d.ntokens > 3 ? d.ntokens - 3 : d.ntokens; i < d.ntokens; i++)
            render_token(out, &d.tokens[i]);
    } else {
        for (size_t i = 0; i < d.ntokens; i++)
            render_token(out, &d.tokens[i]);
    }
    if (text != raw)
        free(text);
    free(raw);
    return rc;
}

/* Run one golden file; returns its regenerated contents in *regen. */
static void run_file(struct nlp_analyzer *an, const char *path, struct buf *regen)
{
    FILE *fp = fopen(path, "rb");
    struct buf want = {0}, got = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int in_case = 0, ncases = 0;
    char input_copy[256];

    CHECK(fp != NULL);
    if (!fp)
        return;
    input_copy[0] = '\0';
#define FLUSH_CASE()                                                                               \
    do {                                                                                           \
        if (in_case) {                                                                             \
            CHECK(want.n == got.n && memcmp(want.p, got.p, got.n) == 0);                           \
            if (!(want.n == got.n && memcmp(want.p, got.p, got.n) == 0))                           \
                fprintf(stderr, "%s: case \"%s\":\n--- want\n%s--- got\n%s", path, input_copy,     \
                        want.p ? want.p : "", got.p ? got.p : "");                                 \
            puts_(regen, got.p ? got.p : "");                                                      \
            puts_(regen, "\n");                                                                    \
            want.n = got.n = 0;                                                                    \
            if (want.p)                                                                            \
                want.p[0] = '\0';                                                                  \
            if (got.p)                                                                             \
                got.p[0] = '\0';                                                                   \
            in_case = 0;                                                                           \
        }                                                                                          \
    } while (0)

    while ((len = getline(&line, &cap, fp)) >= 0) {
        size_t n = (size_t)len;
        if (n && line[n - 1] == '\n')
            n--;
        if (n && line[0] == '>') {
            FLUSH_CASE();
            put(regen, line, n);
            puts_(regen, "\n");
            snprintf(input_copy, sizeof(input_copy), "%.*s", (int)(n > 200 ? 200 : n), line + 1);
            analyse_case(an, line + 1 + (n > 1 && line[1] == ' '),
                         n - 1 - (n > 1 && line[1] == ' '), &got);
            in_case = 1;
            ncases++;
        } else if (in_case && n) {
            put(&want, line, n);
            puts_(&want, "\n");
        } else if (in_case) {
            FLUSH_CASE();
        } else {
            put(regen, line, n);
            puts_(regen, "\n");
        }
    }
    FLUSH_CASE();
    CHECK(ncases > 0);
    free(line);
    free(want.p);
    free(got.p);
    fclose(fp);
}

static void test_golden_files(void)
{
    char dirpath[1024];
    const char *base = getenv("KZ_TEST_DATA");
    const char *update = getenv("KZ_NLP_GOLDEN_UPDATE");
    struct nlp_analyzer *an;
    char err[256];
    DIR *dir;
    struct dirent *de;
    int files = 0;

    snprintf(dirpath, sizeof(dirpath), "%s/nlp", base ? base : KZ_TEST_DATA);
    CHECK_EQ_INT(nlp_analyzer_new(NULL, &an, err, sizeof(err)), 0);
    dir = opendir(dirpath);
    CHECK(dir != NULL);
    while (dir && (de = readdir(dir)) != NULL) {
        size_t nl = strlen(de->d_name);
        char path[2048];
        struct buf regen = {0};

        if (nl < 8 || strcmp(de->d_name + nl - 7, ".golden") != 0 ||
            strcmp(de->d_name, "social.golden") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
        run_file(an, path, &regen);
        files++;
        if (update && *update && regen.p) {
            FILE *o = fopen(path, "wb");
            CHECK(o != NULL);
            if (o) {
                fwrite(regen.p, 1, regen.n, o);
                fclose(o);
            }
        }
        free(regen.p);
    }
    if (dir)
        closedir(dir);
    CHECK(files >= 1);
    nlp_analyzer_free(an);
}

int main(void)
{
    RUN(test_golden_files);
    return TAP_DONE();
}
