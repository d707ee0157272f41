/*
 * pull.c -- a record's JSON in one pass, without a DOM: a tape of tokens, and
 * the one value interface the schema mappings read through.
 *
 * The hot path reads a dozen fields of a post; building a jansson tree for
 * that (an allocation per value, a hash table per object, all freed again)
 * cost about 38% of a replay.  Here one left-to-right pass over the record
 * checks the JSON and writes a flat array of tokens (a "tape", as simdjson
 * calls its own): a container's token holds its member count and the index
 * of the token after its last descendant, so members are walked by skipping;
 * a string's token points at its unescaped, NUL-terminated bytes in a buffer
 * that mirrors the record: the string whose contents start at record offset o
 * is written at offset o of the mirror.  Unescaping never lengthens a string
 * (an escape of 2, 6 or 12 bytes gives 1 to 4), and its NUL goes at most
 * where its closing quote was, so strings never overlap and the mirror never
 * moves while a record is read.  Numbers are converted once, on the way.
 * The root object's members are then indexed by key (a small open-addressed
 * table), as a post's mapping looks up some twenty keys there.
 *
 * The pass accepts a subset of what jansson accepts, with the same values.
 * Anything else -- JSON jansson refuses, and also what jansson may take but
 * we would rather not judge: \u0000, lone surrogates, an integer beyond
 * int64, a real whose strtod() reports ERANGE, a number longer than 63 bytes,
 * nesting deeper than PULL_MAX_DEPTH, more than PULL_MAX_TOKENS tokens --
 * returns KZ_EAGAIN, and the decoder gives the record to jansson, whose
 * verdict (post, or dead letter with its message) is then the one given.
 * So the fast path never has to reproduce jansson's error messages, only
 * its values, which the differential test (tests/test_ingest_pull.c) and the
 * fuzz target (tests/fuzz/fuzz_decode_diff.c) check against jansson.
 *
 * What jansson does, and so what a value here must be (jansson 2.14, load.c):
 * white space is space, tab, CR and LF; numbers follow RFC 8259 (no leading
 * zero, no '+', digits after '.' and after the exponent), an integer is a
 * number without '.', 'e' or 'E' and must fit json_int_t (long long), reals
 * come from strtod() in the C locale (kzpulse never calls setlocale());
 * strings refuse control bytes below 0x20, unknown escapes and short \u
 * escapes; a duplicate key replaces the earlier value, so lookups here return
 * the last member of a name.  UTF-8 is not checked here: decode.c validated
 * the whole record before either decoder sees it.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_impl.h"

enum {
    PULL_MAX_DEPTH = 64,        /* jansson allows 2048; deeper goes to jansson */
    PULL_MAX_TOKENS = 1u << 20, /* a post has dozens; more goes to jansson */
    PULL_MAX_NUMBER = 63,       /* bytes of a real copied for strtod() */
};

/* The state of one pass. */
struct pull {
    struct ingest_tape *t;
    const unsigned char *s, *end;
    const unsigned char *base; /* the record's first byte: mirror offsets */
    int depth;
};

void ingest_tape_free(struct ingest_tape *t)
{
    free(t->tok);
    free(t->mirror);
    memset(t, 0, sizeof(*t));
}

/* ---------------------------------------------------------------------------
 * The pass
 * ------------------------------------------------------------------------ */

static void skip_ws(struct pull *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\n' || *p->s == '\r' || *p->s == '\t'))
        p->s++;
}

/* Append a token of type `type`; its index in *idx. */
static int push(struct pull *p, enum ingest_jtype type, uint32_t *idx)
{
    struct ingest_tape *t = p->t;

    if (t->ntok >= PULL_MAX_TOKENS)
        return KZ_EAGAIN;
    if (t->ntok == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct ingest_tok *tok = realloc(t->tok, cap * sizeof(*tok));
        if (!tok)
            return KZ_ENOMEM;
        t->tok = tok;
        t->cap = cap;
    }
    *idx = (uint32_t)t->ntok++;
    memset(&t->tok[*idx], 0, sizeof(t->tok[*idx]));
    t->tok[*idx].type = (uint8_t)type;
    return 0;
}

static int hex4(const unsigned char *s, const unsigned char *end, unsigned *out)
{
    unsigned v = 0;

    if (end - s < 4)
        return KZ_EAGAIN;
    for (int i = 0; i < 4; i++) {
        unsigned c = s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return KZ_EAGAIN;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* After the backslash of a \u escape: the code point of the escape (or of
 * the surrogate pair) in UTF-8 at *out; refuses \u0000 and lone surrogates. */
static int unicode_escape(struct pull *p, unsigned char **out)
{
    unsigned cp, lo;
    unsigned char *o = *out;

    if (hex4(p->s + 1, p->end, &cp))
        return KZ_EAGAIN;
    p->s += 5;
    if (cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
        return KZ_EAGAIN;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (p->end - p->s < 2 || p->s[0] != '\\' || p->s[1] != 'u' || hex4(p->s + 2, p->end, &lo) ||
            lo < 0xDC00 || lo > 0xDFFF)
            return KZ_EAGAIN;
        p->s += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp < 0x80) {
        *o++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *o++ = (unsigned char)(0xC0 | cp >> 6);
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (unsigned char)(0xE0 | cp >> 12);
        *o++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (unsigned char)(0xF0 | cp >> 18);
        *o++ = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *out = o;
    return 0;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* The high bit set in the byte of w that is a quote, a backslash or below
 * 0x20 (the first such byte, in memory order, is marked exactly; bytes after
 * it may be marked falsely by borrows, which only the lowest mark matters
 * for).  UTF-8 bytes (>= 0x80) are never marked. */
static inline uint64_t special_bytes(uint64_t w)
{
    uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');
    uint64_t zq = (q - ONES) & ~q, zb = (b - ONES) & ~b, lt = (w - ONES * 0x20) & ~w;
    return (zq | zb | lt) & HIGHS;
}

/* A string at p->s (its opening quote), unescaped into the mirror. */
static int string(struct pull *p)
{
    uint32_t idx;
    int rc = push(p, INGEST_J_STRING, &idx);

    if (rc)
        return rc;
    p->s++;
    size_t off = (size_t)(p->s - p->base);
    unsigned char *o0 = (unsigned char *)p->t->mirror + off, *o = o0;
    for (;;) {
        const unsigned char *s = p->s;
        /* The run of plain bytes up to a quote, a backslash or a control:
         * eight at a time while none is in the word.  The mirror has room
         * for the eight bytes stored at o: o never passes s's place in it,
         * and what lies beyond o is not written yet. */
        while (p->end - s >= 8) {
            uint64_t w, m;
            memcpy(&w, s, 8);
            memcpy(o, s, 8); /* all eight, even past a mark: a store, no call */
            m = special_bytes(w);
            if (m) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                size_t k = (size_t)__builtin_ctzll(m) / 8; /* the first marked byte */
                o += k;
                s += k;
#endif
                break;
            }
            o += 8;
            s += 8;
        }
        while (s < p->end && *s != '"' && *s != '\\' && *s >= 0x20)
            *o++ = *s++;
        p->s = s;
        if (s == p->end || *s < 0x20)
            return KZ_EAGAIN;
        if (*s == '"')
            break;
        if (s + 1 == p->end)
            return KZ_EAGAIN;
        switch (s[1]) {
        case '"':
        case '\\':
        case '/':
            *o++ = s[1];
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u':
            p->s++;
            if ((rc = unicode_escape(p, &o)))
                return rc;
            continue;
        default:
            return KZ_EAGAIN;
        }
        p->s += 2;
    }
    assert(o <= (unsigned char *)p->t->mirror + (p->s - p->base));
    *o = '\0';
    p->s++;
    p->t->tok[idx].off = (uint32_t)off;
    p->t->tok[idx].n = (uint32_t)(o - o0);
    p->t->tok[idx].next = (uint32_t)p->t->ntok;
    return 0;
}

static int is_digit(const unsigned char *s, const unsigned char *end)
{
    return s < end && *s >= '0' && *s <= '9';
}

static int number(struct pull *p)
{
    const unsigned char *b = p->s, *s = p->s;
    int neg = 0, integral = 1;
    uint32_t idx;
    int rc;

    if (*s == '-') {
        neg = 1;
        s++;
    }
    if (!is_digit(s, p->end))
        return KZ_EAGAIN;
    if (*s == '0') {
        s++;
        if (is_digit(s, p->end))
            return KZ_EAGAIN; /* a leading zero */
    } else {
        while (is_digit(s, p->end))
            s++;
    }
    if (s < p->end && *s == '.') {
        integral = 0;
        if (!is_digit(++s, p->end))
            return KZ_EAGAIN;
        while (is_digit(s, p->end))
            s++;
    }
    if (s < p->end && (*s == 'e' || *s == 'E')) {
        integral = 0;
        s++;
        if (s < p->end && (*s == '+' || *s == '-'))
            s++;
        if (!is_digit(s, p->end))
            return KZ_EAGAIN;
        while (is_digit(s, p->end))
            s++;
    }
    if ((rc = push(p, integral ? INGEST_J_INTEGER : INGEST_J_REAL, &idx)))
        return rc;
    struct ingest_tok *tok = &p->t->tok[idx];
    if (integral) {
        /* Magnitudes up to 2^63 (the negative end), in uint64. */
        uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (const unsigned char *d = b + neg; d < s; d++) {
            unsigned dig = *d - '0';
            if (v > (lim - dig) / 10)
                return KZ_EAGAIN; /* jansson: "too big integer" */
            v = v * 10 + dig;
        }
        tok->v.i = neg ? (int64_t)(0 - v) : (int64_t)v;
    } else {
        char buf[PULL_MAX_NUMBER + 1], *e;
        size_t n = (size_t)(s - b);
        if (n > PULL_MAX_NUMBER)
            return KZ_EAGAIN;
        memcpy(buf, b, n);
        buf[n] = '\0';
        errno = 0;
        tok->v.d = strtod(buf, &e);
        if (errno == ERANGE || e != buf + n)
            return KZ_EAGAIN;
    }
    tok->next = (uint32_t)p->t->ntok;
    p->s = s;
    return 0;
}

static int literal(struct pull *p, const char *word, size_t n, enum ingest_jtype type)
{
    uint32_t idx;
    int rc;

    if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0)
        return KZ_EAGAIN;
    if ((rc = push(p, type, &idx)))
        return rc;
    p->t->tok[idx].next = (uint32_t)p->t->ntok;
    p->s += n;
    return 0;
}

static int value(struct pull *p);

/* An object or an array at p->s (its opening bracket). */
static int container(struct pull *p, enum ingest_jtype type)
{
    const unsigned char close = type == INGEST_J_OBJECT ? '}' : ']';
    uint32_t idx, count = 0;
    int rc;

    if (++p->depth > PULL_MAX_DEPTH)
        return KZ_EAGAIN;
    if ((rc = push(p, type, &idx)))
        return rc;
    p->s++;
    skip_ws(p);
    if (p->s < p->end && *p->s == close) {
        p->s++;
    } else {
        for (;;) {
            if (type == INGEST_J_OBJECT) {
                if (p->s == p->end || *p->s != '"')
                    return KZ_EAGAIN;
                if ((rc = string(p)))
                    return rc;
                skip_ws(p);
                if (p->s == p->end || *p->s != ':')
                    return KZ_EAGAIN;
                p->s++;
            }
            if ((rc = value(p)))
                return rc;
            count++;
            skip_ws(p);
            if (p->s == p->end)
                return KZ_EAGAIN;
            if (*p->s == close) {
                p->s++;
                break;
            }
            if (*p->s != ',')
                return KZ_EAGAIN;
            p->s++;
            skip_ws(p);
        }
    }
    p->depth--;
    p->t->tok[idx].n = count;
    p->t->tok[idx].next = (uint32_t)p->t->ntok;
    return 0;
}

static int value(struct pull *p)
{
    skip_ws(p);
    if (p->s == p->end)
        return KZ_EAGAIN;
    switch (*p->s) {
    case '{':
        return container(p, INGEST_J_OBJECT);
    case '[':
        return container(p, INGEST_J_ARRAY);
    case '"':
        return string(p);
    case 't':
        return literal(p, "true", 4, INGEST_J_TRUE);
    case 'f':
        return literal(p, "false", 5, INGEST_J_FALSE);
    case 'n':
        return literal(p, "null", 4, INGEST_J_NULL);
    default:
        if (*p->s == '-' || (*p->s >= '0' && *p->s <= '9'))
            return number(p);
        return KZ_EAGAIN;
    }
}

/* ---------------------------------------------------------------------------
 * The root object's index
 * ------------------------------------------------------------------------ */

enum { ROOT_SLOTS = 64, ROOT_MAX_MEMBERS = 32 }; /* at most half full */

_Static_assert(ROOT_SLOTS == sizeof(((struct ingest_tape *)0)->root_slot) / sizeof(uint32_t),
               "root_slot[] has ROOT_SLOTS entries");

/* Cheap on purpose: the keys a mapping asks for differ in length or ends. */
static unsigned key_hash(const char *k, size_t n)
{
    return n ? (unsigned)(n * 7 + (unsigned char)k[0] * 3 + (unsigned char)k[n - 1]) : 0;
}

/* The slot of key in the index: its member's, or the empty one it would
 * take (there is one: at most half the slots are used). */
static unsigned root_find(const struct ingest_tape *t, const char *key, size_t n)
{
    for (unsigned h = key_hash(key, n);; h++) {
        unsigned i = h % ROOT_SLOTS;
        if (!t->root_slot[i])
            return i;
        const struct ingest_tok *kt = &t->tok[t->root_slot[i] - 1];
        if (kt->n == n && memcmp(t->mirror + kt->off, key, n) == 0)
            return i;
    }
}

/* Index the root object's members; a later duplicate key takes the slot of
 * the earlier one, so a lookup finds the last, as jansson does. */
static void index_root(struct ingest_tape *t)
{
    t->root_indexed = 0;
    if (t->tok[0].type != INGEST_J_OBJECT || t->tok[0].n > ROOT_MAX_MEMBERS)
        return;
    memset(t->root_slot, 0, sizeof(t->root_slot));
    uint32_t k = 1;
    for (uint32_t m = 0; m < t->tok[0].n; m++) {
        const struct ingest_tok *kt = &t->tok[k];
        t->root_slot[root_find(t, t->mirror + kt->off, kt->n)] = k + 1;
        k = t->tok[k + 1].next;
    }
    t->root_indexed = 1;
}

int ingest_tape_parse(struct ingest_tape *t, const char *s, size_t n)
{
    struct pull p = {t, (const unsigned char *)s, (const unsigned char *)s + n,
                     (const unsigned char *)s, 0};
    int rc;

    t->ntok = 0;
    if (n >= UINT32_MAX)
        return KZ_EAGAIN;
    if (t->mirror_cap < n + 1) {
        char *m = realloc(t->mirror, n + 1);
        if (!m)
            return KZ_ENOMEM;
        t->mirror = m;
        t->mirror_cap = n + 1;
    }
    if ((rc = value(&p)))
        return rc;
    skip_ws(&p);
    if (p.s != p.end)
        return KZ_EAGAIN; /* jansson: "end of file expected" */
    assert(t->ntok > 0 && t->tok[0].next == t->ntok);
    index_root(t);
    return 0;
}

struct ingest_jv ingest_tape_root(const struct ingest_tape *t)
{
    struct ingest_jv v = {NULL, t, 0};
    assert(t->ntok > 0);
    return v;
}

/* ---------------------------------------------------------------------------
 * Values: one interface over a jansson node and a token of the tape
 * ------------------------------------------------------------------------ */

static const struct ingest_tok *tok(struct ingest_jv v)
{
    assert(v.t && v.i < v.t->ntok);
    return &v.t->tok[v.i];
}

enum ingest_jtype ingest_jv_dom_type(const json_t *j)
{
    if (!j)
        return INGEST_J_ABSENT;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return INGEST_J_OBJECT;
    case JSON_ARRAY:
        return INGEST_J_ARRAY;
    case JSON_STRING:
        return INGEST_J_STRING;
    case JSON_INTEGER:
        return INGEST_J_INTEGER;
    case JSON_REAL:
        return INGEST_J_REAL;
    case JSON_TRUE:
        return INGEST_J_TRUE;
    case JSON_FALSE:
        return INGEST_J_FALSE;
    default:
        return INGEST_J_NULL;
    }
}

struct ingest_jv ingest_jv_get(struct ingest_jv obj, const char *key)
{
    struct ingest_jv v = INGEST_JV_NONE;

    if (!obj.t) {
        v.j = obj.j ? json_object_get(obj.j, key) : NULL;
        return v;
    }
    const struct ingest_tok *o = tok(obj);
    if (o->type != INGEST_J_OBJECT)
        return v;
    size_t klen = strlen(key);
    if (obj.i == 0 && obj.t->root_indexed) {
        uint32_t slot = obj.t->root_slot[root_find(obj.t, key, klen)];
        if (slot) {
            v.t = obj.t;
            v.i = slot; /* the value follows its key: (slot - 1) + 1 */
        }
        return v;
    }
    uint32_t k = obj.i + 1;
    for (uint32_t m = 0; m < o->n; m++) {
        const struct ingest_tok *kt = &obj.t->tok[k];
        assert(kt->type == INGEST_J_STRING);
        if (kt->n == klen && memcmp(obj.t->mirror + kt->off, key, klen) == 0) {
            v.t = obj.t; /* the last of duplicate keys wins, as in jansson */
            v.i = k + 1;
        }
        k = obj.t->tok[k + 1].next;
    }
    return v;
}

const char *ingest_jv_str(struct ingest_jv v)
{
    if (!v.t)
        return json_string_value(v.j);
    return tok(v)->type == INGEST_J_STRING ? v.t->mirror + tok(v)->off : NULL;
}

size_t ingest_jv_strlen(struct ingest_jv v)
{
    if (!v.t)
        return json_string_length(v.j);
    return tok(v)->type == INGEST_J_STRING ? tok(v)->n : 0;
}

int64_t ingest_jv_int(struct ingest_jv v)
{
    if (!v.t)
        return json_integer_value(v.j);
    return tok(v)->type == INGEST_J_INTEGER ? tok(v)->v.i : 0;
}

double ingest_jv_real(struct ingest_jv v)
{
    if (!v.t)
        return json_real_value(v.j);
    return tok(v)->type == INGEST_J_REAL ? tok(v)->v.d : 0.0;
}

size_t ingest_jv_size(struct ingest_jv arr)
{
    if (!arr.t)
        return json_array_size(arr.j);
    return tok(arr)->type == INGEST_J_ARRAY ? tok(arr)->n : 0;
}

void ingest_jiter_init(struct ingest_jiter *it, struct ingest_jv arr)
{
    it->arr = arr;
    it->i = 0;
    it->n = ingest_jv_size(arr);
    it->next = arr.i + 1;
}

int ingest_jiter_next(struct ingest_jiter *it, struct ingest_jv *el)
{
    if (it->i >= it->n)
        return 0;
    *el = it->arr;
    if (it->arr.t) {
        el->i = it->next;
        it->next = it->arr.t->tok[it->next].next;
    } else {
        el->j = json_array_get(it->arr.j, it->i);
    }
    it->i++;
    return 1;
}
