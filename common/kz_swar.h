/*
 * kz_swar.h -- UTF-8 eight bytes at a time, as bits on each byte's top bit
 * (SIMD within a register).  Header only: ingest/utf8.c validates two-byte
 * text with it, aggregate/samples.c finds the plain prefix of a snippet.
 * Both read Cyrillic between ASCII spaces, where a loop a byte at a time
 * guessed wrong at every change of class.  Little-endian words (byte k of
 * the text is bits 8k..8k+7); callers keep a byte-at-a-time path for the
 * rest and for big-endian machines (KZ_SWAR_LE).
 */
#ifndef KZ_SWAR_H
#define KZ_SWAR_H

#include <stdbool.h>
#include <stdint.h>

#define KZ_SWAR_LE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
#define KZ_SWAR_ONES UINT64_C(0x0101010101010101)
#define KZ_SWAR_HI UINT64_C(0x8080808080808080)

/* The classes of the eight bytes of w, each as its top bit: a continuation
 * (10xxxxxx), a lead of two (110xxxxx) whose five low bits are at least
 * min_low (2 leaves out the overlong C0 and C1; 3 leaves out C2 too, whose
 * characters include NBSP), and any other byte from 0x80 up (a lead of
 * three or four, or one of the two-byte leads left out). */
struct kz_swar_utf8 {
    uint64_t cont, lead2, other;
};

static inline struct kz_swar_utf8 kz_swar_utf8(uint64_t w, unsigned min_low)
{
    uint64_t hi = w & KZ_SWAR_HI;
    uint64_t b6 = (w << 1) & KZ_SWAR_HI; /* each byte's bit 6, moved to its bit 7 */
    uint64_t b5 = (w << 2) & KZ_SWAR_HI;
    uint64_t low5 = ((w & 0x1F * KZ_SWAR_ONES) + (0x80 - min_low) * KZ_SWAR_ONES) & KZ_SWAR_HI;
    struct kz_swar_utf8 c = {hi & ~b6, hi & b6 & ~b5 & low5, 0};

    c.other = hi & ~(c.cont | c.lead2);

    return c;
}

/* Are w's continuations exactly the bytes after its two-byte leads, byte 0
 * included when the word before ended on a lead (*carry, 0x80)?  If so,
 * *carry becomes whether this word does; if not, it is left as it was. */
static inline bool kz_swar_pairs(const struct kz_swar_utf8 *c, uint64_t *carry)
{
    if (c->cont != ((c->lead2 << 8) | *carry))
        return false;
    *carry = (c->lead2 >> 56) & 0x80;
    return true;
}

#endif /* KZ_SWAR_H */
