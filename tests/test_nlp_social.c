/*
 * test_nlp_social.c -- social entities (URLs, mentions, hashtags, cashtags)
 * against the case table tests/data/nlp/social.golden.
 *
 * Each case is analysed on its own; its entities are the tokens of kinds url,
 * mention, hashtag and cashtag, in text order, rendered "<kind>:<value>"
 * (a URL's value is its span as written, the others' their norm) and joined
 * with spaces, "-" when there is none.  Every case must agree; the per-class
 * agreement ("agreement: url 30/30 mention 20/20 ...") is printed too, for
 * the before/after figures in bench/README.md.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlp.h"
#include "tap.h"

#ifndef KZ_TEST_DATA
#define KZ_TEST_DATA "tests/data"
#endif

static const char *const classes[] = {"url", "mention", "hashtag", "cashtag"};
#define NCLASS (sizeof(classes) / sizeof(classes[0]))

static bool entity_kind(const char *k)
{
    for (size_t c = 0; c < NCLASS; c++)
        if (strcmp(k, classes[c]) == 0)
            return true;
    return false;
}

static size_t put_cp(char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The input field's escapes (\t, \uXXXX, \\) decoded into out (same size or less). */
static size_t unescape(const char *s, size_t n, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && s[i + 1] == 't') {
            out[o++] = '\t';
            i++;
        } else if (s[i] == '\\' && i + 5 < n && s[i + 1] == 'u') {
            char hex[5];
            memcpy(hex, s + i + 2, 4);
            hex[4] = '\0';
            o += put_cp(out + o, strtoul(hex, NULL, 16));
            i += 5;
        } else if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\\') {
            out[o++] = '\\';
            i++;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return o;
}

/* The entities of text, rendered into got (cap bytes). */
static void entities(struct nlp_analyzer *an, const char *text, size_t n, char *got, size_t cap)
{
    struct nlp_doc d;
    size_t o = 0;

    got[0] = '\0';
    CHECK_EQ_INT(nlp_analyze(an, text, n, NLP_LANG_UND, &d), 0);
    for (size_t i = 0; i < d.ntokens; i++) {
        const struct nlp_token *t = &d.tokens[i];
        const char *kind = nlp_kind_name((enum nlp_kind)t->kind);
        struct kz_str v = t->kind == NLP_TOK_URL ? t->surface : t->norm;

        if (!entity_kind(kind))
            continue;
        o += (size_t)snprintf(got + o, o < cap ? cap - o : 0, "%s%s:%.*s", o ? " " : "", kind,
                              (int)v.n, v.p);
    }
    if (o == 0)
        snprintf(got, cap, "-");
}

static void test_case_table(void)
{
    char path[1024], *line = NULL;
    const char *base = getenv("KZ_TEST_DATA");
    struct nlp_analyzer *an;
    size_t cap = 0, lineno = 0, total[NCLASS] = {0}, agree[NCLASS] = {0}, ncases = 0;
    ssize_t len;
    char err[256];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/nlp/social.golden", base ? base : KZ_TEST_DATA);
    CHECK_EQ_INT(nlp_analyzer_new(NULL, &an, err, sizeof(err)), 0);
    fp = fopen(path, "rb");
    CHECK(fp != NULL);
    while (fp && (len = getline(&line, &cap, fp)) >= 0) {
        char *f[3], *p = line, text[1024], got[2048];
        size_t nf = 0, c, tn;

        lineno++;
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        while (nf < 3 && p) {
            f[nf++] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = '\0';
        }
        CHECK(nf == 3 && p == NULL);
        if (nf != 3 || p != NULL) {
            fprintf(stderr, "%s:%zu: want rule<TAB>input<TAB>expected\n", path, lineno);
            continue;
        }
        for (c = 0; c < NCLASS; c++) {
            size_t cl = strlen(classes[c]);
            if (strncmp(f[0], classes[c], cl) == 0 && f[0][cl] == '.')
                break;
        }
        CHECK(c < NCLASS);
        if (c == NCLASS || strlen(f[1]) >= sizeof(text)) {
            fprintf(stderr, "%s:%zu: unknown class or input too long\n", path, lineno);
            continue;
        }
        tn = unescape(f[1], strlen(f[1]), text);
        entities(an, text, tn, got, sizeof(got));
        ncases++;
        total[c]++;
        if (strcmp(got, f[2]) == 0) {
            agree[c]++;
        } else {
            fprintf(stderr, "%s:%zu: %s: \"%s\"\n    want %s\n    got  %s\n", path, lineno, f[0],
                    f[1], f[2], got);
        }
        CHECK_EQ_STR(got, f[2]);
    }
    fprintf(stderr, "agreement:");
    for (size_t c = 0; c < NCLASS; c++)
        fprintf(stderr, " %s %zu/%zu", classes[c], agree[c], total[c]);
    fprintf(stderr, "\n");
    CHECK(ncases >= 40);
    for (size_t c = 0; c < NCLASS; c++)
        CHECK(total[c] > 0);
    free(line);
    if (fp)
        fclose(fp);
    nlp_analyzer_free(an);
}

/* Every TLD of nlp/tlds.txt (the data file nlp/tlds.h is generated from)
 * makes a host without a scheme a link, and a made-up one does not. */
static void test_tld_list(void)
{
    char path[1024], *line = NULL, text[256], got[512], want[256];
    const char *root = getenv("KZ_SOURCE_ROOT");
    struct nlp_analyzer *an;
    size_t cap = 0, ntld = 0, bad = 0;
    ssize_t len;
    char err[256];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/nlp/tlds.txt", root ? root : ".");
    CHECK_EQ_INT(nlp_analyzer_new(NULL, &an, err, sizeof(err)), 0);
    fp = fopen(path, "rb");
    CHECK(fp != NULL);
    while (fp && (len = getline(&line, &cap, fp)) >= 0) {
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        ntld++;
        snprintf(text, sizeof(text), "сайт kzpulse.%s бар", line);
        snprintf(want, sizeof(want), "url:kzpulse.%s", line);
        entities(an, text, strlen(text), got, sizeof(got));
        if (strcmp(got, want) != 0 && bad++ < 10)
            fprintf(stderr, "tld %s: got %s\n", line, got);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(ntld > 1000);
    entities(an, "сайт kzpulse.kzq бар", strlen("сайт kzpulse.kzq бар"), got, sizeof(got));
    CHECK_EQ_STR(got, "-");
    free(line);
    if (fp)
        fclose(fp);
    nlp_analyzer_free(an);
}

int main(void)
{
    RUN(test_case_table);
    RUN(test_tld_list);
    return TAP_DONE();
}
