/*
 * gazetteer.c -- Kazakhstan's regions and towns as data: the parser of
 * lexicons/gazetteer.tsv and the lookup of a place by any of its names.
 *
 * The gazetteer is the one source of the region dimension.  Its rows (format
 * in lexicons/README.md, "Gazetteer") define the 20 regions of ISO 3166-2:KZ
 * (17 oblasts, 3 cities of republican significance) with their kk, kk Latin,
 * ru and en names, the towns in each region (each a `city:<slug>`), further
 * names of either for a post's own region field, and the lexicon patterns
 * that name either in post text.  lexicon.c compiles the match rows into the
 * automaton as categories region/<code> and city/<slug>; this file only
 * parses, validates and answers "which place is this name".
 *
 * Validation: every row has the field count of its kind, a region code is
 * KZ-<two digits>, a slug ASCII snake_case, a town's region and every row's
 * place are defined somewhere in the file, names are valid UTF-8 and no name
 * belongs to two places.  Errors are "file:line: message", all of them to the
 * callback (lint) or the first one (compile).
 *
 * Lookup: every name is folded into a key (NFKD with case folding through
 * utf8proc, one code point at a time into a fixed buffer, so a lookup does
 * not allocate; '-', '_', '.', ',' and white space become one space; ends
 * trimmed) and the keys go into an open-addressing table, key -> place.  A
 * field value is folded the same way and looked up: "Zhanaozen",
 * "ЖАҢАӨЗЕН", "kz-47", "almaty_city" and "Усть-Каменогорск" all hit.
 *
 * Ownership: the gazetteer copies the file's bytes; every string it hands
 * out points into that copy and lives until nlp_gazetteer_free().
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "nlp_int.h"

#define GAZ_KEY_MAX 256 /* bytes of a folded key; longer names are not indexed */

struct gaz_key {
    uint32_t hash;
    uint32_t off, len; /* in keys */
    int32_t place;     /* -1: empty slot */
    uint32_t line;
};

struct nlp_gazetteer {
    char *text; /* the file's bytes, split into fields in place */
    struct nlp_place *places;
    size_t nplaces, capplaces;
    struct nlp_gaz_match *matches;
    size_t nmatches, capmatches;
    struct nlp_gaz_name {
        struct kz_str id, value;
        uint32_t line;
    } * names;
    size_t nnames, capnames;
    char *keys; /* folded keys, back to back */
    size_t nkeys, capkeys;
    struct gaz_key *slot;
    size_t cap, n; /* cap a power of two */
};

struct gaz_build {
    struct nlp_gazetteer *g;
    const char *fname;
    uint32_t line;
    nlp_lexicon_error_fn on_error;
    void *ctx;
    size_t nerrors;
    int stop_at_first;
};

static void gerr(struct gaz_build *b, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void gerr(struct gaz_build *b, uint32_t line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    nlp_file_verror(b->on_error, b->ctx, b->fname, line, fmt, ap);
    va_end(ap);
    b->nerrors++;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 32;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, nc * elem);
    if (!np)
        return KZ_ENOMEM;
    *p = np;
    *cap = nc;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Keys: folded names
 * ------------------------------------------------------------------------ */

static int is_sep(int32_t cp)
{
    return cp == '-' || cp == '_' || cp == '.' || cp == ',' || cp == ' ' || cp == '\t' ||
           cp == 0xA0 || cp == 0x2010 || cp == 0x2013 || cp == 0x2014;
}

/* Fold s[0..n) into out (at most GAZ_KEY_MAX bytes).  Returns the key's
 * length, 0 when nothing is left, or -1 for invalid UTF-8 or a key too long. */
static int fold_key(const char *s, size_t n, char *out)
{
    size_t i = 0, o = 0;
    int space = 1; /* at the start: drop leading separators */

    while (i < n) {
        int32_t cp = nlp_utf8_get(s, n, &i);
        utf8proc_int32_t dec[8];
        utf8proc_ssize_t k;

        if (cp < 0)
            return -1;
        if (is_sep(cp)) {
            if (!space && o < GAZ_KEY_MAX)
                out[o++] = ' ';
            space = 1;
            continue;
        }
        space = 0;
        if (cp < 0x80) {
            if (o + 1 > GAZ_KEY_MAX)
                return -1;
            out[o++] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
            continue;
        }
        k = utf8proc_decompose_char(cp, dec, 8, UTF8PROC_COMPAT | UTF8PROC_CASEFOLD, NULL);
        if (k < 0 || k > 8)
            return -1;
        for (utf8proc_ssize_t j = 0; j < k; j++) {
            utf8proc_uint8_t enc[4];
            utf8proc_ssize_t m = utf8proc_encode_char(dec[j], enc);
            if (o + (size_t)m > GAZ_KEY_MAX)
                return -1;
            memcpy(out + o, enc, (size_t)m);
            o += (size_t)m;
        }
    }
    while (o && out[o - 1] == ' ')
        o--;
    return (int)o;
}

static int rehash(struct nlp_gazetteer *g, size_t cap)
{
    struct gaz_key *ns = malloc(cap * sizeof(*ns));

    if (!ns)
        return KZ_ENOMEM;
    for (size_t i = 0; i < cap; i++)
        ns[i].place = -1;
    for (size_t i = 0; i < g->cap; i++) {
        size_t j;
        if (g->slot[i].place < 0)
            continue;
        for (j = g->slot[i].hash & (cap - 1); ns[j].place >= 0; j = (j + 1) & (cap - 1))
            ;
        ns[j] = g->slot[i];
    }
    free(g->slot);
    g->slot = ns;
    g->cap = cap;
    return 0;
}

static struct gaz_key *key_find(const struct nlp_gazetteer *g, const char *k, size_t n, uint32_t h)
{
    if (!g->cap)
        return NULL;
    for (size_t j = h & (g->cap - 1);; j = (j + 1) & (g->cap - 1)) {
        struct gaz_key *e = &g->slot[j];
        if (e->place < 0)
            return NULL;
        if (e->hash == h && e->len == n && !memcmp(g->keys + e->off, k, n))
            return e;
    }
}

/* Index name s[0..n) of place p (given on `line`).  A name already held by
 * another place is an error, unless this one is weak (a stem's letters,
 * which may begin a longer name of another place); by the same place,
 * nothing. */
static int key_add(struct gaz_build *b, const char *s, size_t n, int32_t p, uint32_t line, int weak)
{
    struct nlp_gazetteer *g = b->g;
    char k[GAZ_KEY_MAX];
    int kn = fold_key(s, n, k);
    uint32_t h;
    struct gaz_key *e;
    int rc;

    if (kn <= 0)
        return 0; /* nothing to index (UTF-8 was checked when the row was read) */
    h = nlp_hash(k, (size_t)kn);
    if ((e = key_find(g, k, (size_t)kn, h))) {
        if (e->place != p && !weak)
            gerr(b, line, "\"%.*s\" already names %.*s (line %u)", (int)n, s,
                 (int)g->places[e->place].id.n, g->places[e->place].id.p, e->line);
        return 0;
    }
    if ((g->n + 1) * 2 > g->cap && (rc = rehash(g, g->cap ? g->cap * 2 : 256)))
        return rc;
    if ((rc = grow((void **)&g->keys, &g->capkeys, g->nkeys + (size_t)kn, 1)))
        return rc;
    memcpy(g->keys + g->nkeys, k, (size_t)kn);
    size_t j;
    for (j = h & (g->cap - 1); g->slot[j].place >= 0; j = (j + 1) & (g->cap - 1))
        ;
    g->slot[j] = (struct gaz_key){h, (uint32_t)g->nkeys, (uint32_t)kn, p, line};
    g->nkeys += (size_t)kn;
    g->n++;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Rows
 * ------------------------------------------------------------------------ */

static int field_is(struct kz_str f, const char *lit)
{
    return f.n == strlen(lit) && !memcmp(f.p, lit, f.n);
}

static int is_code(struct kz_str s)
{
    return s.n == 5 && s.p[0] == 'K' && s.p[1] == 'Z' && s.p[2] == '-' && s.p[3] >= '0' &&
           s.p[3] <= '9' && s.p[4] >= '0' && s.p[4] <= '9';
}

static int is_slug(struct kz_str s)
{
    if (!s.n || s.n > 64 || s.p[0] == '_' || s.p[s.n - 1] == '_')
        return 0;
    for (size_t i = 0; i < s.n; i++)
        if (!((s.p[i] >= 'a' && s.p[i] <= 'z') || (s.p[i] >= '0' && s.p[i] <= '9') ||
              s.p[i] == '_'))
            return 0;
    return !field_is(s, "unknown");
}

static int valid_utf8(struct kz_str s)
{
    size_t i = 0;
    while (i < s.n)
        if (nlp_utf8_get(s.p, s.n, &i) < 0)
            return 0;
    return 1;
}

static long place_index(const struct nlp_gazetteer *g, struct kz_str id)
{
    for (size_t i = 0; i < g->nplaces; i++)
        if (g->places[i].id.n == id.n && !memcmp(g->places[i].id.p, id.p, id.n))
            return (long)i;
    return -1;
}

static int parse_weight(struct kz_str s)
{
    char buf[32], *end;
    if (!s.n || s.n >= sizeof(buf))
        return -1;
    for (size_t i = 0; i < s.n; i++)
        if (!((s.p[i] >= '0' && s.p[i] <= '9') || s.p[i] == '.'))
            return -1;
    memcpy(buf, s.p, s.n);
    buf[s.n] = 0;
    double d = strtod(buf, &end);
    return *end || !(d > 0.0 && d <= 1.0) ? -1 : 0;
}

static int add_place(struct gaz_build *b, const struct kz_str *f, uint32_t line, int town)
{
    struct nlp_gazetteer *g = b->g;
    struct nlp_place *p;
    int rc;

    if (town ? !is_slug(f[1]) : !is_code(f[1])) {
        gerr(b, line,
             town ? "town \"%.*s\": expected an ASCII snake_case slug (not \"unknown\")"
                  : "region \"%.*s\": expected an ISO 3166-2 code KZ-<two digits>",
             (int)f[1].n, f[1].p);
        return 0;
    }
    if (place_index(g, f[1]) >= 0) {
        gerr(b, line, "%.*s is defined twice (line %u)", (int)f[1].n, f[1].p,
             g->places[place_index(g, f[1])].line);
        return 0;
    }
    if (!town && !field_is(f[2], "oblast") && !field_is(f[2], "city")) {
        gerr(b, line, "region %.*s: kind \"%.*s\" is not oblast or city", (int)f[1].n, f[1].p,
             (int)f[2].n, f[2].p);
        return 0;
    }
    if (town && !is_code(f[2])) {
        gerr(b, line, "town %.*s: region \"%.*s\" is not a code KZ-<two digits>", (int)f[1].n,
             f[1].p, (int)f[2].n, f[2].p);
        return 0;
    }
    for (int i = 0; i < NLP_NAMES_COUNT; i++)
        if (!f[3 + i].n) {
            gerr(b, line, "%.*s: empty %s name", (int)f[1].n, f[1].p,
                 nlp_names_name((enum nlp_names)i));
            return 0;
        }
    if ((rc = grow((void **)&g->places, &g->capplaces, g->nplaces + 1, sizeof(*g->places))))
        return rc;
    p = &g->places[g->nplaces++];
    memset(p, 0, sizeof(*p));
    p->id = f[1];
    p->region = town ? f[2] : f[1];
    p->kind = town ? NLP_PLACE_TOWN : field_is(f[2], "city") ? NLP_PLACE_CITY : NLP_PLACE_OBLAST;
    for (int i = 0; i < NLP_NAMES_COUNT; i++)
        p->name[i] = f[3 + i];
    p->line = line;
    return 0;
}

static int parse_row(struct gaz_build *b, struct kz_str *f, size_t nf, uint32_t line)
{
    struct nlp_gazetteer *g = b->g;
    static const struct {
        const char *kind;
        size_t nf;
        const char *fields;
    } kinds[] = {
        {"region", 7, "region, CODE, oblast|city, kk, kk_latn, ru, en"},
        {"town", 7, "town, SLUG, CODE, kk, kk_latn, ru, en"},
        {"name", 4, "name, ID, VALUE, note"},
        {"match", 6, "match, ID, PATTERN, WEIGHT, LANG, note"},
    };
    size_t k;
    int rc;

    for (k = 0; k < KZ_ARRAY_LEN(kinds) && !field_is(f[0], kinds[k].kind); k++)
        ;
    if (k == KZ_ARRAY_LEN(kinds)) {
        gerr(b, line, "unknown row kind \"%.*s\" (expected region, town, name or match)",
             (int)(f[0].n > 40 ? 40 : f[0].n), f[0].p);
        return 0;
    }
    if (nf != kinds[k].nf) {
        gerr(b, line, "a %s row has %zu TAB-separated fields (%s), got %zu", kinds[k].kind,
             kinds[k].nf, kinds[k].fields, nf);
        return 0;
    }
    for (size_t i = 0; i < nf; i++)
        if (!valid_utf8(f[i])) {
            gerr(b, line, "field %zu is not valid UTF-8", i + 1);
            return 0;
        }
    if (k <= 1)
        return add_place(b, f, line, k == 1);
    if (!f[2].n) {
        gerr(b, line, "empty %s", k == 2 ? "name" : "pattern");
        return 0;
    }
    if (k == 2) {
        if ((rc = grow((void **)&g->names, &g->capnames, g->nnames + 1, sizeof(*g->names))))
            return rc;
        g->names[g->nnames++] = (struct nlp_gaz_name){f[1], f[2], line};
        return 0;
    }
    if (parse_weight(f[3])) {
        gerr(b, line, "weight \"%.*s\" is not a decimal number in (0, 1]", (int)f[3].n, f[3].p);
        return 0;
    }
    if (!field_is(f[4], "kk") && !field_is(f[4], "ru") && !field_is(f[4], "uk") &&
        !field_is(f[4], "en") && !field_is(f[4], "*")) {
        gerr(b, line, "lang \"%.*s\" is not one of kk, ru, uk, en, *", (int)f[4].n, f[4].p);
        return 0;
    }
    if ((rc = grow((void **)&g->matches, &g->capmatches, g->nmatches + 1, sizeof(*g->matches))))
        return rc;
    g->matches[g->nmatches++] = (struct nlp_gaz_match){
        .id = f[1], .pattern = f[2], .weight = f[3], .lang = f[4], .note = f[5], .line = line};
    return 0;
}

/* A pattern as a name: quotes and '*' dropped; hashtags and accounts are not
 * names.  Returns 0 (none), 1 (a whole name) or 2 (a stem's letters). */
static int pattern_name(struct kz_str p, char *buf, size_t cap, struct kz_str *out)
{
    size_t o = 0;
    int stem = 0;
    if (p.n && (p.p[0] == '#' || p.p[0] == '@'))
        return 0;
    for (size_t i = 0; i < p.n; i++)
        stem |= p.p[i] == '*';
    for (size_t i = 0; i < p.n && o < cap; i++)
        if (p.p[i] != '"' && p.p[i] != '*')
            buf[o++] = p.p[i];
    *out = kz_str_make(buf, o);
    return o == 0 ? 0 : stem ? 2 : 1;
}

/* After every row is read: references resolve, names are indexed. */
static int finish(struct gaz_build *b)
{
    struct nlp_gazetteer *g = b->g;
    int rc;

    for (size_t i = 0; i < g->nplaces; i++) {
        struct nlp_place *p = &g->places[i];
        long r;
        if (p->kind != NLP_PLACE_TOWN)
            continue;
        r = place_index(g, p->region);
        if (r < 0 || g->places[r].kind == NLP_PLACE_TOWN)
            gerr(b, p->line, "town %.*s: region %.*s is not defined in this file", (int)p->id.n,
                 p->id.p, (int)p->region.n, p->region.p);
        else
            p->region_index = (size_t)r;
    }
    for (size_t i = 0; i < g->nplaces; i++) {
        struct nlp_place *p = &g->places[i];
        if (p->kind != NLP_PLACE_TOWN)
            p->region_index = i;
        if ((rc = key_add(b, p->id.p, p->id.n, (int32_t)i, p->line, 0)))
            return rc;
        for (int k = 0; k < NLP_NAMES_COUNT; k++)
            if ((rc = key_add(b, p->name[k].p, p->name[k].n, (int32_t)i, p->line, 0)))
                return rc;
    }
    for (size_t i = 0; i < g->nnames; i++) {
        long p = place_index(g, g->names[i].id);
        if (p < 0) {
            gerr(b, g->names[i].line, "name: %.*s is not a region or town of this file",
                 (int)g->names[i].id.n, g->names[i].id.p);
            continue;
        }
        if ((rc = key_add(b, g->names[i].value.p, g->names[i].value.n, (int32_t)p, g->names[i].line,
                          0)))
            return rc;
    }
    /* whole names first, then stems: a stem never takes a name from a place
     * that has it whole (акмолинск*, Akmola oblast, and акмолинск, Astana) */
    for (int pass = 1; pass <= 2; pass++)
        for (size_t i = 0; i < g->nmatches; i++) {
            struct nlp_gaz_match *m = &g->matches[i];
            long p = place_index(g, m->id);
            char buf[GAZ_KEY_MAX];
            struct kz_str nm;
            if (p < 0) {
                if (pass == 1)
                    gerr(b, m->line, "match: %.*s is not a region or town of this file",
                         (int)m->id.n, m->id.p);
                continue;
            }
            m->place = (size_t)p;
            if (pattern_name(m->pattern, buf, sizeof(buf), &nm) == pass &&
                (rc = key_add(b, nm.p, nm.n, (int32_t)p, m->line, pass == 2)))
                return rc;
        }
    return 0;
}

static int parse(struct gaz_build *b, const char *data, size_t len)
{
    struct nlp_gazetteer *g = b->g;
    size_t pos = 0;
    uint32_t line = 0;
    int rc;

    if (!(g->text = malloc(len + 1)))
        return KZ_ENOMEM;
    if (len)
        memcpy(g->text, data, len);
    g->text[len] = 0;
    while (pos < len) {
        char *s = g->text + pos, *eol = memchr(s, '\n', len - pos);
        size_t end = eol ? (size_t)(eol - g->text) : len, n = end - pos, k = 0;
        struct kz_str f[8];
        size_t nf = 0, start = 0;

        line++;
        if (n && s[n - 1] == '\r')
            n--;
        if (line == 1 && n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
            s += 3;
            n -= 3;
        }
        while (k < n && (s[k] == ' ' || s[k] == '\t'))
            k++;
        pos = end + 1;
        if (k == n || s[k] == '#')
            continue;
        for (size_t i = 0; i <= n; i++) {
            if (i < n && s[i] != '\t')
                continue;
            if (nf < KZ_ARRAY_LEN(f))
                f[nf] = kz_str_make(s + start, i - start);
            nf++;
            start = i + 1;
        }
        if (nf > KZ_ARRAY_LEN(f)) {
            gerr(b, line, "%zu TAB-separated fields, more than any row has", nf);
        } else if ((rc = parse_row(b, f, nf, line))) {
            return rc;
        }
        if (b->nerrors && b->stop_at_first)
            return 0;
    }
    return finish(b);
}

/* ---------------------------------------------------------------------------
 * Public
 * ------------------------------------------------------------------------ */

int nlp_gazetteer_build(const char *name, const char *data, size_t len,
                        nlp_lexicon_error_fn on_error, void *ctx, int stop_at_first,
                        struct nlp_gazetteer **out, size_t *nerrors)
{
    struct gaz_build b = {0};
    int rc;

    *out = NULL;
    *nerrors = 0;
    if (!(b.g = calloc(1, sizeof(*b.g))))
        return KZ_ENOMEM;
    b.fname = name ? name : "(gazetteer)";
    b.on_error = on_error;
    b.ctx = ctx;
    b.stop_at_first = stop_at_first;
    rc = parse(&b, data, len);
    *nerrors = b.nerrors;
    if (rc || b.nerrors) {
        nlp_gazetteer_free(b.g);
        return rc ? rc : KZ_EINVAL;
    }
    *out = b.g;
    return 0;
}

struct first_err {
    char *err;
    size_t errlen;
};

static void first_error(void *ctx, const char *msg)
{
    struct first_err *fe = ctx;
    if (fe->err && fe->errlen && !fe->err[0])
        snprintf(fe->err, fe->errlen, "%s", msg);
}

int nlp_gazetteer_parse(const char *name, const char *data, size_t len, struct nlp_gazetteer **out,
                        char *err, size_t errlen)
{
    struct first_err fe = {err, errlen};
    size_t nerr;
    int rc;

    if (err && errlen)
        err[0] = 0;
    rc = nlp_gazetteer_build(name, data, len, first_error, &fe, 1, out, &nerr);
    if (rc && err && errlen && !err[0])
        snprintf(err, errlen, "%s: %s", name ? name : "(gazetteer)", kz_strerror(rc));
    return rc;
}

long nlp_gazetteer_check(const char *name, const char *data, size_t len,
                         nlp_lexicon_error_fn on_error, void *ctx)
{
    struct nlp_gazetteer *g;
    size_t nerr;
    int rc = nlp_gazetteer_build(name, data, len, on_error, ctx, 0, &g, &nerr);

    nlp_gazetteer_free(g);
    return rc == KZ_ENOMEM ? KZ_ENOMEM : (long)nerr;
}

void nlp_gazetteer_free(struct nlp_gazetteer *g)
{
    if (!g)
        return;
    free(g->text);
    free(g->places);
    free(g->matches);
    free(g->names);
    free(g->keys);
    free(g->slot);
    free(g);
}

size_t nlp_gazetteer_count(const struct nlp_gazetteer *g)
{
    return g ? g->nplaces : 0;
}

const struct nlp_place *nlp_gazetteer_place(const struct nlp_gazetteer *g, size_t i)
{
    return g && i < g->nplaces ? &g->places[i] : NULL;
}

const struct nlp_place *nlp_gazetteer_region_of(const struct nlp_gazetteer *g,
                                                const struct nlp_place *p)
{
    return g && p ? &g->places[p->region_index] : NULL;
}

const struct nlp_place *nlp_gazetteer_find(const struct nlp_gazetteer *g, const char *s, size_t n)
{
    char k[GAZ_KEY_MAX];
    int kn;
    struct gaz_key *e;

    if (!g || !s)
        return NULL;
    kn = fold_key(s, n, k);
    if (kn <= 0)
        return NULL;
    e = key_find(g, k, (size_t)kn, nlp_hash(k, (size_t)kn));
    return e ? &g->places[e->place] : NULL;
}

size_t nlp_gazetteer_matches(const struct nlp_gazetteer *g, const struct nlp_gaz_match **m)
{
    *m = g ? g->matches : NULL;
    return g ? g->nmatches : 0;
}

const char *nlp_names_name(enum nlp_names l)
{
    static const char *const names[NLP_NAMES_COUNT] = {"kk", "kk-latn", "ru", "en"};
    return (unsigned)l < NLP_NAMES_COUNT ? names[l] : "en";
}

int nlp_names_parse(const char *s)
{
    for (int i = 0; s && i < NLP_NAMES_COUNT; i++)
        if (!strcmp(s, nlp_names_name((enum nlp_names)i)))
            return i;
    return -1;
}
