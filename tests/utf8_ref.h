/*
 * utf8_ref.h -- for tests only: the valid UTF-8 prefix of a byte string by
 * the letter of Unicode's Table 3-7, one code point at a time.  The
 * validator of ingest/utf8.c reads eight bytes at a time while it can;
 * test_ingest_decode.c and fuzz_decode.c hold it to this.
 */
#ifndef KZ_TEST_UTF8_REF_H
#define KZ_TEST_UTF8_REF_H

#include <stddef.h>

static inline size_t utf8_prefix_ref(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i], lo = 0x80, hi = 0xBF;
        size_t k;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            k = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            k = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        else if (c >= 0xF0 && c <= 0xF4)
            k = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        else
            return i;
        if (i + k > n || s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t j = 2; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return i;
        i += k;
    }
    return n;
}

#endif /* KZ_TEST_UTF8_REF_H */
