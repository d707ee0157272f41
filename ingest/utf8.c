/*
 * utf8.c -- UTF-8 validation for ingest: the one place bytes become text.
 *
 * Validation follows Unicode 15 Table 3-7 ("well-formed UTF-8 byte
 * sequences"): it rejects overlong forms (C0, C1, E0 80..9F, F0 80..8F),
 * UTF-16 surrogates (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..).
 * Posts are mostly Cyrillic (two-byte sequences) with ASCII punctuation and
 * JSON syntax around them, so the loop takes eight bytes at a time while
 * they are ASCII and two-byte sequences (valid_2byte_words below), and
 * decodes anything else one sequence at a time with a branch per lead-byte
 * class.
 */
#include <assert.h>
#include <string.h>

#include "ingest_impl.h"
#include "kz_swar.h"

/* ---------------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------------ */

size_t ingest_utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c;

    assert(n > 0);
    c = s[0];

    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0; /* continuation byte, or overlong lead C0/C1 */
    if (c < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80)
            return 0;
        return 2;
    }
    if (c < 0xF0) {
        unsigned lo = 0x80, hi = 0xBF;
        if (c == 0xE0)
            lo = 0xA0; /* overlong below U+0800 */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates U+D800..DFFF */
        if (n < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
            return 0;
        return 3;
    }
    if (c < 0xF5) {
        unsigned lo = 0x80, hi = 0xBF;
        if (c == 0xF0)
            lo = 0x90; /* overlong below U+10000 */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
        if (n < 4 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0; /* F5..FF never appear in UTF-8 */
}

/*
 * From s[i], eight bytes at a time while each word holds only ASCII and
 * whole two-byte sequences (C2..DF and a continuation), a sequence allowed
 * to straddle two words (kz_swar.h); returns where that stops, at the start
 * of a sequence.
 */
static size_t valid_2byte_words(const unsigned char *s, size_t n, size_t i)
{
    uint64_t carry = 0;

    while (i + 8 <= n) {
        uint64_t w;

        memcpy(&w, s + i, 8);
        if (!((w & KZ_SWAR_HI) | carry)) {
            i += 8;
            continue;
        }
        if (!KZ_SWAR_LE)
            break;
        struct kz_swar_utf8 c = kz_swar_utf8(w, 2);
        if (c.other || !kz_swar_pairs(&c, &carry))
            break;
        i += 8;
    }
    return carry ? i - 1 : i; /* back to the lead whose continuation is next */
}

size_t ingest_utf8_valid_prefix(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, slow_until = 0;

    while (i < n) {
        /* After a word the fast path refused, the rest of it goes one
         * sequence at a time, not back to the fast path after each. */
        if (i >= slow_until) {
            i = valid_2byte_words(s, n, i);
            slow_until = i + 8;
        }
        if (i >= n)
            break;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        /* Two-byte sequences (Cyrillic, Kazakh letters) inline. */
        if (s[i] >= 0xC2 && s[i] < 0xE0 && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
            i += 2;
            continue;
        }
        size_t k = ingest_utf8_seq_len(s + i, n - i);
        if (k == 0)
            return i;
        i += k;
    }
    return n;
}

/* ---------------------------------------------------------------------------
 * Blank text
 * ------------------------------------------------------------------------ */

static uint32_t decode_cp(const unsigned char *s, size_t k)
{
    assert(k >= 1 && k <= 4);
    switch (k) {
    case 1:
        return s[0];
    case 2:
        return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    case 3:
        return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    default:
        return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
               ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    }
}

/* White_Space from PropList.txt, plus characters that render as nothing and
 * that people paste to post "empty" messages (zero-width space/joiners, word
 * joiner, BOM, Hangul filler). */
static int is_blank_cp(uint32_t c)
{
    if (c == 0x20 || (c >= 0x09 && c <= 0x0D))
        return 1;
    if (c < 0x85)
        return 0;
    switch (c) {
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x180E:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x2060:
    case 0x3000:
    case 0x3164:
    case 0xFEFF:
        return 1;
    default:
        return c >= 0x2000 && c <= 0x200D;
    }
}

int ingest_utf8_is_blank(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < n) {
        size_t k = ingest_utf8_seq_len(s + i, n - i);
        if (k == 0)
            return 0; /* not text at all: let the caller decide, never "blank" */
        if (!is_blank_cp(decode_cp(s + i, k)))
            return 0;
        i += k;
    }
    return 1;
}
