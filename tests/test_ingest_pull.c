/*
 * test_ingest_pull.c -- the pull decoder against jansson, record by record.
 *
 * Two decoders of each configuration read the same records: one as programs
 * do (the one-pass tape of ingest/pull.c, jansson for what it leaves), one
 * with ingest_decoder_use_dom() (jansson for every record, the decoder as it
 * was).  Everything a record gives -- the return code, every post with every
 * field, every dead letter with its reason, detail, raw bytes and index, and
 * the change in every counter -- is written to a canonical text per decoder,
 * and the two texts must be the same byte for byte.
 *
 * Records: every line of every JSON and JSONL file under tests/data/,
 * samples/ and tests/fuzz/corpus_decode/, and each of those files whole;
 * hand-written nasty cases (escapes, surrogates, \u0000, control bytes, deep
 * nesting, duplicate keys, number edges, wrong types, limits); generated
 * posts of every schema with random strings; and, from a fixed seed, every
 * truncation of some posts and random mutations (bytes flipped, inserted,
 * deleted, JSON fragments spliced in) of many.  Configurations: auto with
 * the defaults, each forced schema, the tightest limits, a small max_text.
 * The test also checks that the tape does read valid posts, and the dead
 * letters of the mappings, itself (else it would compare jansson to itself).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_diff.h"
#include "tap.h"

static unsigned long n_records, n_differ;

static void show(const char *what, const char *s, size_t n)
{
    fprintf(stderr, "  %s: \"", what);
    for (size_t i = 0; i < n && i < 600; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F || c == '"' || c == '\\')
            fprintf(stderr, "\\x%02x", c);
        else
            fputc(c, stderr);
    }
    fprintf(stderr, "%s\"\n", n > 600 ? "..." : "");
}

/* Both decoders of every configuration over one record. */
static void compare(const char *data, size_t len, const char *origin)
{
    n_records++;
    for (int i = 0; i < NCONF; i++) {
        decode_into(pull_dec[i], &out_pull, data, len);
        decode_into(dom_dec[i], &out_dom, data, len);
        int same = out_pull.n == out_dom.n && memcmp(out_pull.p, out_dom.p, out_pull.n) == 0;
        CHECK(same);
        if (!same && ++n_differ <= 10) {
            fprintf(stderr, "%s: configuration %d: the decoders differ\n", origin, i);
            show("record", data, len);
            show("pull", out_pull.p, out_pull.n);
            show("jansson", out_dom.p, out_dom.n);
        }
    }
}

static void compare_str(const char *s, const char *origin)
{
    compare(s, strlen(s), origin);
}

/* ---------------------------------------------------------------------------
 * Inputs from the tree
 * ------------------------------------------------------------------------ */

static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    size_t cap = 0, len = 0, k;

    if (!f)
        return NULL;
    do {
        if (cap - len < 65536) {
            cap = cap ? cap * 2 : 65536;
            p = realloc(p, cap);
            if (!p)
                abort();
        }
        k = fread(p + len, 1, cap - len, f);
        len += k;
    } while (k > 0);
    fclose(f);
    *n = len;
    return p;
}

static int json_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".json") == 0) ||
           (n > 6 && strcmp(name + n - 6, ".jsonl") == 0) || strstr(name, "corpus_decode") != NULL;
}

static unsigned long files_read;

/* Every file under dir whose name says JSON: whole, and line by line. */
static void compare_tree(const char *dir, int all)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d))) {
        char path[4096];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        DIR *sub = opendir(path);
        if (sub) {
            closedir(sub);
            compare_tree(path, all || strstr(e->d_name, "corpus_decode") != NULL);
            continue;
        }
        if (!all && !json_name(e->d_name))
            continue;
        size_t n, b = 0;
        char *p = read_file(path, &n);
        if (!p)
            continue;
        files_read++;
        compare(p, n, path);
        for (size_t i = 0; i <= n; i++)
            if (i == n || p[i] == '\n') {
                if (i > b)
                    compare(p + b, i - b, path);
                b = i + 1;
            }
        free(p);
    }
    closedir(d);
}

static void test_tree(void)
{
    const char *root = getenv("KZ_SOURCE_ROOT");
    char path[4096];

    if (!root)
        root = KZ_TEST_DATA "/../..";
    snprintf(path, sizeof(path), "%s/tests/data", root);
    compare_tree(path, 0);
    snprintf(path, sizeof(path), "%s/samples", root);
    compare_tree(path, 0);
    snprintf(path, sizeof(path), "%s/tests/fuzz/corpus_decode", root);
    compare_tree(path, 1);
    CHECK(files_read >= 5);
}

/* ---------------------------------------------------------------------------
 * Hand-written nasty cases
 * ------------------------------------------------------------------------ */

static const char *const nasty[] = {
    /* syntax */
    "",
    " ",
    "{",
    "}",
    "{}",
    "[]",
    "null",
    "\"text\"",
    "1",
    "{\"text\":\"a\"",
    "{\"text\":\"a\"}x",
    "{\"text\":\"a\"} ",
    "\t{\"text\":\"a\"}\r\n",
    "{\"text\":\"a\",}",
    "{\"text\":\"a\" \"id\":1}",
    "{\"text\" \"a\"}",
    "{text:\"a\"}",
    "{'text':'a'}",
    "{\"text\":\"a\"}{}",
    "{\"text\":\"a\"\f}",
    "{\"text\":\"a\"\v}",
    "\xEF\xBB\xBF{\"text\":\"bom\"}",
    "{\"text\":\"a\",\"x\":[1,]}",
    "{\"text\":\"a\",\"x\":[,1]}",
    "{\"text\":\"a\",\"x\":[1 2]}",
    "{\"text\":\"a\",\"x\":tru}",
    "{\"text\":\"a\",\"x\":truex}",
    "{\"text\":\"a\",\"x\":nul}",
    "{\"text\":\"a\",\"x\":True}",
    "{\"text\":\"a\",\"x\":false,\"y\":null,\"z\":true}",
    "{\"text\":\"a\",\"x\":{\"y\":}}",
    "{\"text\":\"a\",\"x\":{,}}",
    "{\"text\":\"a\",:1}",
    "{\"text\":\"a\",\"\":1}",
    /* strings */
    "{\"text\":\"tab\there\"}",
    "{\"text\":\"nl\nhere\"}",
    "{\"text\":\"del\x7fhere\"}",
    "{\"text\":\"\\\"q\\\\ \\/ \\b\\f\\n\\r\\t\"}",
    "{\"text\":\"\\a\"}",
    "{\"text\":\"\\x41\"}",
    "{\"text\":\"\\u0041\\u00e9\\u0416\\u20AC\\uFFFF\"}",
    "{\"text\":\"\\u004\"}",
    "{\"text\":\"\\u00G1\"}",
    "{\"text\":\"\\u\"}",
    "{\"text\":\"end\\",
    "{\"text\":\"end\\u12",
    "{\"text\":\"\\u0000\"}",
    "{\"text\":\"a\\u0000b\"}",
    "{\"te\\u0000xt\":\"a\"}",
    "{\"text\":\"\\ud83d\\ude00 emoji\"}",
    "{\"text\":\"\\uD83D\\uDE00\"}",
    "{\"text\":\"\\ud83d\"}",
    "{\"text\":\"\\ud83d x\"}",
    "{\"text\":\"\\ud83d\\u0041\"}",
    "{\"text\":\"\\ude00\"}",
    "{\"text\":\"\\ude00\\ud83d\"}",
    "{\"text\":\"\\ud83d\\ud83d\"}",
    "{\"text\":\"\\udbff\\udfff\"}",
    "{\"text\":\"\\ud800\\udc00\"}",
    "{\"text\":\"\\ud83d\\",
    "{\"text\":\"\\ud83d\\u",
    "{\"text\":\"\\ud83d\\ude0\"}",
    "{\"\\u0074ext\":\"escaped key\"}",
    "{\"text\":\"\\u00a0\"}",
    "{\"text\":\"\\u2028\\u3000\"}",
    "{\"text\":\" \\t\\n \"}",
    "{\"text\":\"\"}",
    "{\"text\":\"\xD0\x90\xD2\x9B\"}",
    "{\"text\":\"\xF0\x9F\x98\x80\"}",
    "{\"text\":\"\xC0\x80\"}",
    "{\"text\":\"\xED\xA0\x80\"}",
    "{\"text\":\"a\x00b\"}",
    /* duplicate keys */
    "{\"text\":\"first\",\"text\":\"second\"}",
    "{\"text\":\"first\",\"text\":null}",
    "{\"text\":\"first\",\"text\":1}",
    "{\"text\":1,\"text\":\"last\"}",
    "{\"text\":\"a\",\"id\":1,\"id\":\"two\"}",
    "{\"text\":\"a\",\"metrics\":{\"views\":1,\"views\":-5,\"likes\":2}}",
    "{\"text\":\"a\",\"metrics\":{\"views\":1},\"metrics\":{\"likes\":3}}",
    "{\"text\":\"a\",\"data\":{\"text\":\"x\"},\"data\":null}",
    "{\"data\":{\"text\":\"x\",\"id\":\"1\"},\"data\":{\"text\":\"y\",\"id\":\"2\"}}",
    /* numbers */
    "{\"text\":\"a\",\"id\":9223372036854775807}",
    "{\"text\":\"a\",\"id\":9223372036854775808}",
    "{\"text\":\"a\",\"id\":-9223372036854775808}",
    "{\"text\":\"a\",\"id\":-9223372036854775809}",
    "{\"text\":\"a\",\"id\":99999999999999999999999}",
    "{\"text\":\"a\",\"id\":-0}",
    "{\"text\":\"a\",\"id\":0}",
    "{\"text\":\"a\",\"id\":01}",
    "{\"text\":\"a\",\"id\":+1}",
    "{\"text\":\"a\",\"id\":.5}",
    "{\"text\":\"a\",\"id\":1.}",
    "{\"text\":\"a\",\"id\":1.5}",
    "{\"text\":\"a\",\"id\":-}",
    "{\"text\":\"a\",\"id\":1e}",
    "{\"text\":\"a\",\"id\":1e+}",
    "{\"text\":\"a\",\"id\":1E2}",
    "{\"text\":\"a\",\"ts\":1e308}",
    "{\"text\":\"a\",\"ts\":1e309}",
    "{\"text\":\"a\",\"ts\":-1e309}",
    "{\"text\":\"a\",\"ts\":1e-400}",
    "{\"text\":\"a\",\"ts\":4.9e-324}",
    "{\"text\":\"a\",\"ts\":2.2250738585072011e-308}",
    "{\"text\":\"a\",\"ts\":1772960700.5}",
    "{\"text\":\"a\",\"ts\":1772960700500.0}",
    "{\"text\":\"a\",\"ts\":1772960700}",
    "{\"text\":\"a\",\"ts\":-1}",
    "{\"text\":\"a\",\"ts\":0.0}",
    "{\"text\":\"a\",\"ts\":-0.0}",
    "{\"text\":\"a\",\"ts\":17729607000000000000000}",
    "{\"text\":\"a\",\"ts\":1.00000000000000000000000000000000000000000000000000000000000001e9}",
    "{\"text\":\"a\",\"ts\":1772960700.000000000000000000000000000000000000000000000000000001}",
    "{\"text\":\"a\",\"metrics\":{\"views\":1e3}}",
    "{\"text\":\"a\",\"metrics\":{\"views\":-3}}",
    "{\"text\":\"a\",\"metrics\":{\"views\":9223372036854775807}}",
    "{\"text\":\"a\",\"x\":1.7976931348623157e308}",
    "{\"text\":\"a\",\"x\":1.7976931348623159e308}",
    /* wrong types */
    "{\"text\":1}",
    "{\"text\":true}",
    "{\"text\":[\"a\"]}",
    "{\"text\":{\"a\":1}}",
    "{\"text\":null}",
    "{\"text\":\"a\",\"id\":true}",
    "{\"text\":\"a\",\"id\":1.5}",
    "{\"text\":\"a\",\"id\":[1]}",
    "{\"text\":\"a\",\"platform\":1}",
    "{\"text\":\"a\",\"lang\":{}}",
    "{\"text\":\"a\",\"url\":[]}",
    "{\"text\":\"a\",\"ts\":true}",
    "{\"text\":\"a\",\"ts\":[]}",
    "{\"text\":\"a\",\"ts\":\"soon\"}",
    "{\"text\":\"a\",\"metrics\":[]}",
    "{\"text\":\"a\",\"metrics\":{\"likes\":\"3\"}}",
    "{\"text\":\"a\",\"geo\":{\"place\":{\"title\":\"Алматы\"}}}",
    "{\"text\":\"a\",\"geo\":\"KZ-75\"}",
    "{\"text\":\"a\",\"geo\":{\"city\":\"\",\"name\":\"Астана\"}}",
    "{\"text\":\"a\",\"geo\":[1,2]}",
    "{\"text\":\"a\",\"region\":\"KZ-71\",\"geo\":\"x\"}",
    "{\"id\":1}",
    "{\"data\":5}",
    "{\"data\":[]}",
    "{\"data\":[1,{\"text\":\"x\"}]}",
    "{\"messages\":[]}",
    "{\"name\":\"ch\",\"messages\":[{\"type\":\"message\",\"id\":1,\"text\":\"hi\"},2]}",
    "{\"messages\":{}}",
    "{\"text\":\"a\",\"data\":{\"text\":\"b\"}}",
    "{\"data\":{\"text\":\"b\"}}",
    "{\"data\":{\"text\":\"b\"},\"text\":null}",
    /* schemas */
    "{\"type\":\"service\",\"date_unixtime\":\"1772960700\",\"text\":\"\"}",
    "{\"type\":1,\"date_unixtime\":\"1772960700\",\"text\":\"a\"}",
    "{\"type\":\"message\",\"date\":\"2026-03-08T09:00:00\",\"text\":[\"a \",{\"type\":\"hashtag\","
    "\"text\":\"#b\"},{\"type\":\"x\"},\" "
    "c\"],\"id\":5,\"from\":\"Айгүл\",\"reply_to_message_id\":4}",
    "{\"type\":\"message\",\"date\":\"2026-03-08T09:00:00\",\"text\":[1]}",
    "{\"type\":\"message\",\"date\":\"2026-03-08T09:00:00\",\"text\":[{\"text\":2}]}",
    "{\"type\":\"message\",\"date\":5,\"text\":\"a\"}",
    "{\"owner_id\":-1,\"from_id\":-1,\"date\":1772960700,\"id\":45,\"text\":\"vk\","
    "\"copy_history\":[{\"id\":7,\"owner_id\":-2}],\"likes\":{\"count\":3},\"reposts\":{\"count\":"
    "1},"
    "\"views\":{\"count\":120},\"reply_post_id\":3}",
    "{\"owner_id\":-1,\"post_type\":\"post\",\"date\":1772960700,\"id\":\"45\",\"text\":\"vk\","
    "\"copy_history\":[5]}",
    "{\"owner_id\":-1,\"post_type\":\"post\",\"date\":1772960700,\"text\":\"vk\",\"copy_history\":{"
    "}}",
    "{\"owner_id\":true,\"from_id\":1,\"date\":1,\"text\":\"vk\"}",
    "{\"author_id\":\"22\",\"created_at\":\"2026-03-08T09:05:00.000Z\",\"id\":\"1790\",\"text\":"
    "\"short\",\"note_tweet\":{\"text\":\"long\"},\"referenced_tweets\":[{\"type\":\"quoted\","
    "\"id\":\"1\"},{\"type\":\"replied_to\",\"id\":2},{\"type\":\"retweeted\",\"id\":\"3\"}],"
    "\"public_metrics\":{\"retweet_count\":2,\"like_count\":9,\"impression_count\":300}}",
    "{\"author_id\":\"22\",\"created_at\":\"x\",\"text\":\"t\",\"referenced_tweets\":[{\"type\":5}]"
    "}",
    "{\"author_id\":\"22\",\"created_at\":\"x\",\"text\":\"t\",\"referenced_tweets\":{}}",
    "{\"author_id\":\"22\",\"created_at\":\"x\",\"text\":\"t\",\"public_metrics\":{\"like_count\":"
    "1.0}}",
    /* time */
    "{\"text\":\"a\",\"ts\":\"2099-01-01T00:00:00Z\"}",
    "{\"text\":\"a\",\"ts\":\"2026-03-08T09:05:00+05:00\"}",
    "{\"text\":\"a\",\"ts\":4102444800000}",
};

static void test_nasty(void)
{
    for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++)
        compare_str(nasty[i], "nasty");
    /* With the NUL bytes C strings cannot hold. */
    compare("{\"text\":\"a\0b\"}", 14, "nasty NUL in a string");
    compare("{\"text\":\"ab\"}\0", 14, "nasty NUL after");
    compare("\0{\"text\":\"ab\"}", 14, "nasty NUL before");
}

/* Nesting around the post and inside a field, across the tape's limit (64)
 * and jansson's (2048). */
static void test_deep(void)
{
    static const int depths[] = {1, 2, 62, 63, 64, 65, 100, 2046, 2047, 2048, 2049, 3000};
    struct buf b = {0};

    for (size_t k = 0; k < sizeof(depths) / sizeof(depths[0]); k++) {
        int d = depths[k];
        for (int form = 0; form < 4; form++) {
            b.n = 0;
            put(&b, "{\"text\":\"deep\",\"x\":", 19);
            for (int i = 0; i < d; i++)
                put(&b, form & 1 ? "{\"k\":" : "[", form & 1 ? 5 : 1);
            put(&b, "1", 1);
            if (form < 2)
                for (int i = 0; i < d; i++)
                    put(&b, form & 1 ? "}" : "]", 1);
            put(&b, "}", 1);
            compare(b.p, b.n, "deep");
        }
        /* The text itself behind a deep metrics object. */
        b.n = 0;
        put(&b, "{\"text\":\"deep\",\"metrics\":{\"views\":1,\"x\":", 40);
        for (int i = 0; i < d; i++)
            put(&b, "[", 1);
        for (int i = 0; i < d; i++)
            put(&b, "]", 1);
        put(&b, "}}", 2);
        compare(b.p, b.n, "deep metrics");
    }
    free(b.p);
}

/* Wide objects, around the tape's index of the root's members (at most 32
 * members are indexed), with duplicate and colliding keys. */
static void test_wide(void)
{
    static const int widths[] = {0, 1, 5, 30, 31, 32, 33, 40, 200};
    struct buf b = {0};
    char key[64];

    for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++)
        for (int form = 0; form < 3; form++) {
            b.n = 0;
            put_cstr(&b, form == 2 ? "{\"metrics\":{" : "{\"text\":\"first\",");
            for (int i = 0; i < widths[w]; i++) {
                /* Keys of one length, first and last letters: one hash. */
                snprintf(key, sizeof(key), "\"k%02dk\":%d,", i % 100, i);
                put_cstr(&b, key);
            }
            if (form == 1)
                put_cstr(&b, "\"text\":\"last\",\"id\":\"x\",\"id\":7,");
            put_cstr(&b,
                     form == 2 ? "\"views\":3,\"views\":4},\"text\":\"w\"}" : "\"lang\":\"kk\"}");
            compare(b.p, b.n, "wide");
        }
    free(b.p);
}

/* ---------------------------------------------------------------------------
 * Generated posts and their mutations
 * ------------------------------------------------------------------------ */

static uint64_t rng_state = 20261204;

static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/* A JSON string (quotes included) of random pieces: words in four scripts,
 * every escape, surrogate pairs, sometimes a lone one. */
static void gen_string(struct buf *b, int allow_bad)
{
    static const char *const pieces[] = {
        "Алматы",
        "қазақ",
        "тіл",
        "news",
        " ",
        "  ",
        "#тег",
        "@user",
        "http://x.kz/a?b=1",
        "\\n",
        "\\t",
        "\\\"",
        "\\\\",
        "\\/",
        "\\b",
        "\\f",
        "\\r",
        "\\u0041",
        "\\u04d8",
        "\\u0416",
        "\\u20ac",
        "\\ud83d\\ude00",
        "\\uD834\\uDD1E",
        "😀",
        "é",
        "ж",
        "\\u00A0",
        "\\u3000",
        "\\ufeff",
        "\\u200b",
        "中文",
        "Ә",
        "1",
        "",
    };
    static const char *const bad[] = {"\\ud83d", "\\udc00", "\\u0000", "\\x", "\x01", "\\u12"};
    int n = (int)below(8);

    put(b, "\"", 1);
    for (int i = 0; i < n; i++) {
        const char *p = allow_bad && below(40) == 0
                            ? bad[below(sizeof(bad) / sizeof(bad[0]))]
                            : pieces[below(sizeof(pieces) / sizeof(pieces[0]))];
        put(b, p, strlen(p));
    }
    put(b, "\"", 1);
}

/* A number; with int_only, an integer within int64. */
static void gen_number(struct buf *b, int int_only)
{
    static const char *const nums[] = {
        "0",
        "-0",
        "1",
        "-1",
        "42",
        "1772960700",
        "1772960700000",
        "9223372036854775807",
        "-9223372036854775808",
        "100000000000",
        "1772960700.25",
        "1.5e9",
        "9223372036854775808",
        "1e400",
        "1e-400",
        "0.1",
        "2.5E+3",
        "-7e-2",
        "12345678901234567890",
    };
    const char *p = nums[below(int_only ? 10 : sizeof(nums) / sizeof(nums[0]))];
    put(b, p, strlen(p));
}

static void gen_value(struct buf *b, int depth, int allow_bad);

static void gen_any(struct buf *b, int depth, int allow_bad)
{
    switch (below(depth > 3 ? 5 : 8)) {
    case 0:
    case 1:
        gen_string(b, allow_bad);
        break;
    case 2:
        gen_number(b, 0);
        break;
    case 3:
        put_cstr(b, below(2) ? "true" : "false");
        break;
    case 4:
        put(b, "null", 4);
        break;
    default:
        gen_value(b, depth + 1, allow_bad);
    }
}

/* An object or array of random values. */
static void gen_value(struct buf *b, int depth, int allow_bad)
{
    int obj = (int)below(2), n = (int)below(4);
    put(b, obj ? "{" : "[", 1);
    for (int i = 0; i < n; i++) {
        if (i)
            put(b, ",", 1);
        if (obj) {
            gen_string(b, 0);
            put(b, ":", 1);
        }
        gen_any(b, depth, allow_bad);
    }
    put(b, obj ? "}" : "]", 1);
}

/* One field: usually its expected type, sometimes anything. */
static void gen_field(struct buf *b, const char *key, char kind, int allow_bad)
{
    put(b, "\"", 1);
    put(b, key, strlen(key));
    put(b, "\":", 2);
    if (allow_bad && below(12) == 0) {
        gen_any(b, 2, allow_bad);
        return;
    }
    switch (kind) {
    case 's':
        gen_string(b, allow_bad);
        break;
    case 'i': /* id: string or integer */
        if (below(2))
            gen_string(b, allow_bad);
        else
            gen_number(b, !allow_bad);
        break;
    case 'n':
        gen_number(b, !allow_bad);
        break;
    case 't': { /* a time */
        static const char *const ts[] = {
            "\"2026-03-08T09:05:00Z\"",
            "\"2026-03-08T09:05:00.123+05:00\"",
            "\"2026-03-08T09:05:00\"",
            "\"1772960700\"",
            "1772960700",
            "1772960700123",
            "1772960700.5",
            "\"yesterday\"",
            "\"2099-12-31T00:00:00Z\"",
            "\"2026-02-30T00:00:00Z\"",
        };
        const char *p = ts[below(sizeof(ts) / sizeof(ts[0]) - (allow_bad ? 0 : 2))];
        put(b, p, strlen(p));
        break;
    }
    default: /* an object of counts, or a deeper value */
        gen_value(b, 1, allow_bad);
    }
}

struct field {
    const char *key;
    char kind;
};

static const struct field generic_fields[] = {
    {"id", 'i'},     {"platform", 's'}, {"author", 'i'},   {"channel", 'i'},   {"lang", 's'},
    {"region", 's'}, {"url", 's'},      {"reply_to", 'i'}, {"repost_of", 'i'}, {"ts", 't'},
    {"geo", 'o'},    {"data", 'o'},     {"x", 'o'},
};
static const struct field tg_fields[] = {
    {"id", 'i'},   {"type", 's'},    {"date", 't'},           {"date_unixtime", 't'},
    {"from", 's'}, {"from_id", 'i'}, {"forwarded_from", 's'}, {"reply_to_message_id", 'i'},
};
static const struct field vk_fields[] = {
    {"id", 'i'},    {"owner_id", 'i'},      {"from_id", 'i'},        {"date", 't'},
    {"geo", 'o'},   {"reply_post_id", 'i'}, {"reply_owner_id", 'i'}, {"post_type", 's'},
    {"likes", 'o'}, {"reposts", 'o'},       {"views", 'o'},          {"copy_history", 'o'},
};
static const struct field x_fields[] = {
    {"id", 'i'},         {"author_id", 'i'},         {"lang", 's'},           {"created_at", 't'},
    {"note_tweet", 'o'}, {"referenced_tweets", 'o'}, {"public_metrics", 'o'},
};

/* Counts that the schemas read, as objects, for the 'o' fields above. */
static void gen_counts(struct buf *b, const char *key, int allow_bad)
{
    static const char *const forms[] = {
        "{\"views\":%s,\"likes\":%s,\"shares\":%s}",
        "{\"count\":%s}",
        "{\"impression_count\":%s,\"like_count\":%s,\"retweet_count\":%s}",
        "[{\"type\":\"replied_to\",\"id\":%s},{\"type\":\"quoted\",\"id\":%s}]",
        "[{\"id\":%s,\"owner_id\":%s}]",
        "{\"text\":\"note %s\"}",
        "{\"place\":{\"title\":\"Шымкент\",\"n\":%s}}",
    };
    static const char *const nums[] = {"1",           "-2",   "0",   "300",
                                       "99999999999", "null", "1.5", "\"7\""};
    const unsigned nn = allow_bad ? 8 : 6;
    char tmp[256];
    const char *f = forms[below(sizeof(forms) / sizeof(forms[0]))];
    snprintf(tmp, sizeof(tmp), f, nums[below(nn)], nums[below(nn)], nums[below(nn)]);
    put(b, "\"", 1);
    put(b, key, strlen(key));
    put(b, "\":", 2);
    put(b, tmp, strlen(tmp));
}

static void gen_post(struct buf *b, int allow_bad)
{
    static const struct {
        const struct field *f;
        size_t n;
    } schemas[] = {
        {generic_fields, sizeof(generic_fields) / sizeof(generic_fields[0])},
        {tg_fields, sizeof(tg_fields) / sizeof(tg_fields[0])},
        {vk_fields, sizeof(vk_fields) / sizeof(vk_fields[0])},
        {x_fields, sizeof(x_fields) / sizeof(x_fields[0])},
    };
    unsigned s = below(4);
    int first = 1;

    b->n = 0;
    put(b, "{", 1);
    /* Text first, last or in between; sometimes twice, sometimes missing. */
    int text_at = (int)below((unsigned)schemas[s].n + 2), texts = below(10) == 0 ? 2 : 1;
    if (allow_bad && below(15) == 0)
        texts = 0;
    for (size_t i = 0; i <= schemas[s].n; i++) {
        if ((int)i == text_at || (texts == 2 && i == schemas[s].n)) {
            for (int t = 0; t < (texts == 2 ? 1 : texts); t++) {
                if (!first)
                    put_cstr(b, below(5) == 0 ? " , " : ",");
                first = 0;
                if (s == 1 && below(3) == 0) {
                    put(b, "\"text\":[", 8);
                    gen_string(b, allow_bad);
                    put(b, ",{\"type\":\"bold\",\"text\":", 23);
                    gen_string(b, allow_bad);
                    put(b, "}]", 2);
                } else {
                    gen_field(b, "text", 's', allow_bad);
                    if (!allow_bad) { /* a word, so the text is never blank */
                        b->n--;
                        put(b, " сөз\"", strlen(" сөз\""));
                    }
                }
            }
        }
        if (i == schemas[s].n || below(3) == 0)
            continue;
        if (!first)
            put(b, ",", 1);
        first = 0;
        if (schemas[s].f[i].kind == 'o' && (!allow_bad || below(4)))
            gen_counts(b, schemas[s].f[i].key, allow_bad);
        else
            gen_field(b, schemas[s].f[i].key, schemas[s].f[i].kind, allow_bad);
    }
    put_cstr(b, below(6) == 0 ? " }\n" : "}");
}

static void mutate(struct buf *b)
{
    static const char *const frags[] = {
        "\"",   "\\",   "\\u",  "\\ud83d", "{",  "}",       "[",         "]",
        ",",    ":",    "null", "1e999",   "-",  "0",       "\"text\":", "\"text\":\"x\",",
        "\xD0", "\x80", "\x00", " ",       "\n", "\\u0000", "tru",
    };
    int edits = 1 + (int)below(3);
    for (int e = 0; e < edits && b->n > 0; e++) {
        size_t at = below((unsigned)b->n);
        switch (below(4)) {
        case 0: /* flip a byte */
            b->p[at] = (char)(b->p[at] ^ (1u << below(8)));
            break;
        case 1: /* delete a run */
        {
            size_t k = 1 + below(4);
            if (at + k > b->n)
                k = b->n - at;
            memmove(b->p + at, b->p + at + k, b->n - at - k);
            b->n -= k;
            break;
        }
        default: { /* splice in a fragment */
            unsigned f = below(sizeof(frags) / sizeof(frags[0]));
            size_t k = f == 18 ? 1 : strlen(frags[f]);
            put(b, frags[f], k); /* grow by k, then move the tail */
            memmove(b->p + at + k, b->p + at, b->n - k - at);
            memcpy(b->p + at, frags[f], k);
        }
        }
    }
}

static void test_generated(void)
{
    struct buf b = {0}, m = {0};
    char origin[64];

    for (int i = 0; i < 4000; i++) {
        gen_post(&b, i % 2);
        snprintf(origin, sizeof(origin), "generated post %d", i);
        compare(b.p, b.n, origin);
        /* Every cut of the first posts, a few of the others. */
        size_t cuts = i < 60 ? b.n : 3;
        for (size_t c = 0; c < cuts; c++) {
            size_t at = i < 60 ? c : below((unsigned)b.n);
            compare(b.p, at, "truncated post");
        }
        for (int k = 0; k < 6; k++) {
            m.n = 0;
            put(&m, b.p, b.n);
            mutate(&m);
            snprintf(origin, sizeof(origin), "mutated post %d/%d", i, k);
            compare(m.p, m.n, origin);
        }
    }
    free(b.p);
    free(m.p);
}

/* The tape reads valid posts itself: jansson sees only what it must. */
static void test_pulled(void)
{
    struct buf b = {0};
    int posts = 0;
    uint64_t before = ingest_decoder_pulled(pull_dec[INGEST_SCHEMA_AUTO]);

    for (int i = 0; i < 200; i++) {
        gen_post(&b, 0);
        if (strstr(b.p, "1e400") || strstr(b.p, "1e-400") || strstr(b.p, "9223372036854775808") ||
            strstr(b.p, "12345678901234567890") || strstr(b.p, "\"data\""))
            continue; /* jansson's to judge */
        posts++;
        decode_into(pull_dec[INGEST_SCHEMA_AUTO], &out_pull, b.p, b.n);
        if (strncmp(out_pull.p, "post", 4) != 0)
            posts--; /* a dead letter (a wrong type): jansson gives it */
    }
    uint64_t pulled = ingest_decoder_pulled(pull_dec[INGEST_SCHEMA_AUTO]) - before;
    fprintf(stderr, "%d posts, %llu read by the tape\n", posts, (unsigned long long)pulled);
    CHECK(posts > 60);
    CHECK(pulled >= (uint64_t)posts);
    if (pulled < (uint64_t)posts)
        fprintf(stderr, "only %llu of %d posts read by the tape\n", (unsigned long long)pulled,
                posts);
    free(b.p);

    /* And the sample posts: every post of the file through the tape (with
     * the records the mappings make dead letters of). */
    const char *root = getenv("KZ_SOURCE_ROOT");
    char path[4096];
    size_t n;
    snprintf(path, sizeof(path), "%s/samples/posts.jsonl", root ? root : KZ_TEST_DATA "/../..");
    char *p = read_file(path, &n);
    CHECK(p != NULL);
    if (!p)
        return;
    struct ingest_decoder *dec = pull_dec[INGEST_SCHEMA_AUTO];
    struct ingest_stats s0 = *ingest_decoder_stats(dec);
    uint64_t pulled0 = ingest_decoder_pulled(dec);
    for (size_t i = 0, b0 = 0; i <= n; i++)
        if (i == n || p[i] == '\n') {
            if (i > b0)
                decode_into(dec, &out_pull, p + b0, i - b0);
            b0 = i + 1;
        }
    const struct ingest_stats *s1 = ingest_decoder_stats(dec);
    uint64_t sposts = s1->posts - s0.posts;
    /* The dead letters the mappings give, which the tape gives too. */
    static const enum ingest_dl_reason mapped[] = {INGEST_DL_BAD_TYPE, INGEST_DL_NO_TEXT,
                                                   INGEST_DL_EMPTY_TEXT, INGEST_DL_FUTURE_TS};
    uint64_t sdead = 0;
    for (size_t r = 0; r < sizeof(mapped) / sizeof(mapped[0]); r++)
        sdead += s1->dead[mapped[r]] - s0.dead[mapped[r]];
    pulled = ingest_decoder_pulled(dec) - pulled0;
    fprintf(stderr,
            "samples/posts.jsonl: %llu posts and %llu dead letters of the mappings, %llu "
            "records read by the tape\n",
            (unsigned long long)sposts, (unsigned long long)sdead, (unsigned long long)pulled);
    CHECK(sposts > 100 && sdead > 0 && pulled == sposts + sdead);
    free(p);
}

int main(void)
{
    setup();
    test_nasty();
    test_deep();
    test_wide();
    test_tree();
    test_generated();
    test_pulled();
    fprintf(stderr, "%lu records, %d configurations each, %lu differ\n", n_records, NCONF,
            n_differ);
    teardown();
    return TAP_DONE();
}
