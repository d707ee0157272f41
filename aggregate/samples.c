/* samples.c -- sample posts: which dimensions keep them, snippets, the record format.
 *
 * Design: a sample is the drill-down behind a count -- who wrote what, when,
 * and which evidence made it count.  It is encoded once, when the batch first
 * keeps it, into one record of bytes that the batch, the in-process store and
 * Redis keep as they are (aggregate.h, "Sample posts", states the format):
 * tab-separated fields with the evidence entries separated by the ASCII
 * record and unit separators.  Bytes below 0x20 inside a field become spaces
 * as the record is made, so no field can hold a separator and decoding is a
 * split.  The module knows no JSON; the renderer (pipeline/render.c) turns
 * records into text and JSON.
 *
 * Snippets count characters, not bytes: a snippet of 280 Cyrillic letters is
 * 560 bytes.  Whitespace (ASCII, NBSP, U+2000..U+200A, U+2028/9, U+202F,
 * U+205F, U+3000, U+0085) collapses to one space; the text is cut at a
 * character boundary and an ellipsis marks a cut.  Malformed UTF-8 (texts are
 * validated at ingest, but a record from elsewhere may not be) is skipped
 * byte by byte, never copied, so a snippet is always well-formed.
 */
#include <stdio.h>
#include <string.h>

#include "aggregate.h"
#include "agg_internal.h"
#include "kz_swar.h"

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026 */

int agg_sample_dim(const char *dim, size_t n)
{
    static const struct {
        const char *p;
        size_t n;
    } pre[] = {{"topic:", 6}, {"stance:", 7}, {"region:", 7}, {"hashtag:", 8}, {"term:", 5}};

    if (!dim || memchr(dim, '|', n))
        return 0;
    if (n == 8 && memcmp(dim, "mob:call", 8) == 0)
        return 1;
    if (n == 14 && memcmp(dim, "region:unknown", 14) == 0)
        return 0; /* dims.c: not sampled */
    for (size_t i = 0; i < KZ_ARRAY_LEN(pre); i++)
        if (n > pre[i].n && memcmp(dim, pre[i].p, pre[i].n) == 0)
            return 1;
    return 0;
}

/* ---------------------------------------------------------------------------
 * UTF-8
 * ------------------------------------------------------------------------ */

/* The length of the well-formed character at s[0..n), or 0 if there is none
 * (a stray continuation byte, a truncated or overlong sequence, a surrogate). */
static size_t u8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    size_t len;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, v = c & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) ||
        (len == 4 && (v < 0x10000 || v > 0x10FFFF)))
        return 0;
    *cp = v;
    return len;
}

static int is_space(uint32_t cp)
{
    return cp <= 0x20 || cp == 0x7F || cp == 0x85 || cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/*
 * How much of a text is its own snippet?  Most of a post is: printable
 * ASCII and two-byte letters from U+00C0 on (leads C3..DF), with single
 * spaces between them.  Told eight bytes at a time (kz_swar.h): no byte
 * outside 21..7E, a space and those sequences, every sequence whole, no
 * space beside another.  Returns the length of the longest such prefix of
 * whole words (the last word read through a copy padded with letters) that
 * starts and ends with a character, and in *chars its characters;
 * agg_snippet copies it at once, as its loop would have a character at a
 * time, and goes on from there.
 */
static size_t snippet_plain(const unsigned char *s, size_t n, size_t *chars)
{
    const uint64_t ones = KZ_SWAR_ONES, low7 = 0x7F * KZ_SWAR_ONES;
    uint64_t carry_lead = 0, carry_sp = 0;
    size_t i = 0, conts = 0, p;

    if (KZ_SWAR_LE && n && s[0] != ' ') {
        for (; i < n && i - conts + 8 < AGG_SNIPPET_CHARS; i += 8) {
            uint64_t w, l7, print, x, sp;
            struct kz_swar_utf8 c;

            if (i + 8 <= n) {
                memcpy(&w, s + i, 8);
            } else {
                unsigned char pad[8];
                memset(pad, 'a', sizeof pad);
                memcpy(pad, s + i, n - i);
                memcpy(&w, pad, 8);
            }
            l7 = w & low7;
            print = ~w & ((l7 + 0x5F * ones) & ~(l7 + ones)) & KZ_SWAR_HI; /* 21..7E */
            x = w ^ (0x20 * ones);
            sp = ~(((x & low7) + low7) | x) & KZ_SWAR_HI;
            c = kz_swar_utf8(w, 3);
            if ((print | sp | c.cont | c.lead2) != KZ_SWAR_HI || (sp & ((sp << 8) | carry_sp)) ||
                !kz_swar_pairs(&c, &carry_lead))
                break;
            carry_sp = (sp >> 56) & 0x80;
            conts += (size_t)__builtin_popcountll(c.cont);
        }
    }
    p = i < n ? i : n;
    if (carry_lead)
        p--; /* a lead whose continuation is not in the prefix */
    if (p && s[p - 1] == ' ')
        p--; /* a space is kept only before a character */
    *chars = p - conts;
    return p;
}

size_t agg_snippet(char *dst, const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, o = 0, chars = 0, cut_o = 0;
    int space = 0;

    if (n == 0)
        return 0; /* text may be NULL then */
    i = snippet_plain(s, n, &chars);
    if (i == n && chars <= AGG_SNIPPET_CHARS) {
        memcpy(dst, text, n);
        return n;
    }
    if (chars < AGG_SNIPPET_CHARS) {
        memcpy(dst, text, i);
        o = cut_o = i;
    } else {
        i = chars = 0;
    }
    while (i < n) {
        uint32_t cp;
        size_t len, run = i, runchars = 0;
        size_t used = chars + (size_t)space;
        size_t budget = used < AGG_SNIPPET_CHARS - 1 ? AGG_SNIPPET_CHARS - 1 - used : 0;

        /* A run of the characters that need no check -- printable ASCII, a
         * single space between two of them, and the two-byte letters from
         * U+00C0 on (Latin accents, Greek, Cyrillic: most of a Kazakh or
         * Russian post) -- is copied at once, up to the 279th character. */
        while (budget && run < n) {
            unsigned c = s[run];

            if (c - 0x21u < 0x5Eu) {
                run++;
            } else if (c - 0xC3u <= 0xDFu - 0xC3u && run + 1 < n && (s[run + 1] & 0xC0) == 0x80) {
                run += 2;
            } else if (c == ' ' && (chars || runchars) && !space && run + 1 < n &&
                       (s[run + 1] - 0x21u < 0x5Eu || s[run + 1] - 0xC3u <= 0xDFu - 0xC3u)) {
                run++; /* one space before a letter: kept as it is */
            } else {
                break;
            }
            runchars++;
            budget--;
        }
        if (runchars && s[run - 1] == ' ') { /* the budget ran out after a space */
            run--;
            runchars--;
        }
        if (runchars) {
            if (space) {
                dst[o++] = ' ';
                chars++;
                space = 0;
            }
            memcpy(dst + o, s + i, run - i);
            o += run - i;
            chars += runchars;
            i = run;
            cut_o = o; /* fewer than AGG_SNIPPET_CHARS - 1 characters so far */
            continue;
        }
        if ((len = u8_len(s + i, n - i, &cp)) == 0) { /* malformed: skip the byte */
            i++;
            continue;
        }
        if (is_space(cp)) {
            space = chars > 0;
            i += len;
            continue;
        }
        if (chars + space + 1 > AGG_SNIPPET_CHARS) { /* no room: cut, with the ellipsis */
            o = cut_o;
            memcpy(dst + o, ELLIPSIS, 3);
            return o + 3;
        }
        if (space) {
            dst[o++] = ' ';
            chars++;
            space = 0;
        }
        memcpy(dst + o, s + i, len);
        o += len;
        i += len;
        chars++;
        /* where to cut if the text goes on: after the 279th character, so
         * that the ellipsis is the 280th (a space before it is dropped) */
        if (chars <= AGG_SNIPPET_CHARS - 1)
            cut_o = o;
    }
    return o;
}

/* ---------------------------------------------------------------------------
 * Records
 * ------------------------------------------------------------------------ */

/* Does p[0..n) hold a byte below 0x20?  Eight bytes at a time: a byte b <
 * 0x20 is one where (b - 0x20) borrows into its top bit while b's is clear. */
static int has_control(const char *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t w;

        memcpy(&w, p + i, 8);
        if ((w - 0x20 * ones) & ~w & highs)
            return 1;
    }
    for (; i < n; i++)
        if ((unsigned char)p[i] < 0x20)
            return 1;
    return 0;
}

/* Copy at most max bytes of v, cut at a character boundary, control bytes as
 * spaces; returns the bytes written. */
static size_t put_field(char *dst, struct kz_str v, size_t max)
{
    size_t n = v.n;

    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)v.p[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(dst, v.p, n);
    if (has_control(v.p, n))
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)dst[i] < 0x20)
                dst[i] = ' ';
    return n;
}

/* Decimal int64 into dst (at most 20 bytes); returns its length. */
static size_t put_i64(char *dst, int64_t v)
{
    char tmp[24];
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0, o = 0;

    do
        tmp[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        dst[o++] = '-';
    while (n)
        dst[o++] = tmp[--n];
    return o;
}

size_t agg_sample_encode(char *dst, const struct agg_facts *f)
{
    size_t o = put_i64(dst, f->ts_ms), ev;

    dst[o++] = '\t';
    o += put_field(dst + o, f->id, AGG_SAMPLE_FIELD_MAX);
    dst[o++] = '\t';
    o += put_field(dst + o, f->author, AGG_SAMPLE_FIELD_MAX);
    dst[o++] = '\t';
    o += put_field(dst + o, f->platform, AGG_SAMPLE_FIELD_MAX);
    dst[o++] = '\t';
    o += put_field(dst + o, f->region, AGG_SAMPLE_FIELD_MAX);
    dst[o++] = '\t';
    o += agg_snippet(dst + o, f->text.p, f->text.n);
    dst[o++] = '\t';
    ev = o;
    for (size_t i = 0; i < f->nevidence; i++) {
        const struct agg_evidence *e = &f->evidence[i];
        size_t k = o;

        /* each part at most 64 bytes (an entry is a pattern and a word, not
         * prose); whole entries only, within AGG_SAMPLE_EVIDENCE_MAX */
        if (i > 0)
            dst[k++] = 0x1E;
        k += put_field(dst + k, e->category, 64);
        dst[k++] = 0x1F;
        k += put_field(dst + k, e->rule, 64);
        dst[k++] = 0x1F;
        k += put_field(dst + k, e->match, 64);
        if (k - ev > AGG_SAMPLE_EVIDENCE_MAX)
            break; /* did not fit: dropped (AGG_SAMPLE_REC_MAX has room for it) */
        o = k;
    }
    return o;
}

/* A strict decimal int64: 0, or -1. */
static int ms_parse(const char *p, size_t n, int64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    int neg = 0;

    if (n > 0 && p[0] == '-')
        neg = 1, i = 1;
    if (i == n || n - i > 19)
        return -1;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
        return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* The next field of *rest up to sep (or the end); advances past sep. */
static struct kz_str next_field(struct kz_str *rest, char sep, int *found)
{
    const char *p = rest->n ? memchr(rest->p, sep, rest->n) : NULL;
    struct kz_str f = *rest;

    *found = p != NULL;
    if (p) {
        f.n = (size_t)(p - rest->p);
        rest->p = p + 1;
        rest->n -= f.n + 1;
    } else {
        rest->p += rest->n;
        rest->n = 0;
    }
    return f;
}

int agg_sample_decode(const char *rec, size_t n, struct agg_sample *out)
{
    struct kz_str rest = kz_str_make(rec, n), ts;
    struct kz_str *fields[] = {&out->id,     &out->author,  &out->platform,
                               &out->region, &out->snippet, &out->evidence};
    int found;

    memset(out, 0, sizeof *out);
    if (!rec)
        return KZ_EDECODE;
    ts = next_field(&rest, '\t', &found);
    if (!found || ms_parse(ts.p, ts.n, &out->ts_ms))
        return KZ_EDECODE;
    for (size_t i = 0; i < KZ_ARRAY_LEN(fields); i++) {
        *fields[i] = next_field(&rest, '\t', &found);
        if (found != (i + 1 < KZ_ARRAY_LEN(fields)))
            return KZ_EDECODE; /* six tabs, exactly */
    }
    return KZ_OK;
}

int agg_evidence_next(struct kz_str *rest, struct agg_evidence *e)
{
    struct kz_str entry;
    int found;

    if (!rest || rest->n == 0)
        return 0;
    entry = next_field(rest, 0x1E, &found);
    e->category = next_field(&entry, 0x1F, &found);
    e->rule = next_field(&entry, 0x1F, &found);
    e->match = entry;
    return 1;
}
