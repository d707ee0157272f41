/* hll.c -- HyperLogLog distinct counting, compatible with Redis's PFADD/PFCOUNT.
 *
 * Design: the same sketch Redis keeps in its dense encoding (p = 14, so 16384
 * registers of at most 6 bits), but unpacked to one byte per register because
 * the in-process store favours simple code over the 4 KB saved per sketch.
 * An element is hashed with MurmurHash64A (seed 0xadc83b19, Redis's choice);
 * the low 14 bits pick the register and the register keeps the maximum over
 * its elements of "position of the first set bit in the remaining 50 bits,
 * plus one" (a sentinel bit 50 caps it at 51).  The count uses the estimator
 * Redis adopted in 4.0, from Otmar Ertl, "New cardinality estimation
 * algorithms for HyperLogLog sketches" (2017): a register histogram fed
 * through the sigma() and tau() corrections, then alpha_inf * m^2 / z rounded
 * to the nearest integer.  Because the hash, the register rule and the
 * estimator are the same, a sketch fed the same elements gives the same count
 * as Redis's PFCOUNT (tests/test_aggregate_hll.c pins numbers read from a
 * real redis-server).  Written from the published algorithm descriptions.
 *
 * Invariant: every register is in [0, AGG_HLL_Q + 1]; a zeroed sketch counts 0.
 * MurmurHash64A reads its input as little-endian 64-bit words on every host,
 * so sketches and counts do not depend on byte order.
 */
#include <math.h>
#include <string.h>

#include "aggregate.h"
#include "agg_internal.h"

#define AGG_HLL_P 14
#define AGG_HLL_Q (64 - AGG_HLL_P) /* bits left for the run length */
#define AGG_HLL_MASK (AGG_HLL_REGISTERS - 1)
#define AGG_HLL_ALPHA_INF 0.721347520444481703680 /* 1 / (2 ln 2) */

/* ---------------------------------------------------------------------------
 * MurmurHash64A (Austin Appleby, public domain algorithm)
 * ------------------------------------------------------------------------ */

static uint64_t load_le64(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

uint64_t agg_murmur64a(const void *data, size_t len, uint64_t seed)
{
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    const unsigned char *p = data;
    uint64_t h = seed ^ (len * m);
    size_t nblocks = len / 8;

    for (size_t i = 0; i < nblocks; i++, p += 8) {
        uint64_t k = load_le64(p);
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    /* The tail folds the last 1..7 bytes in, highest first, as the reference does. */
    switch (len & 7) {
    case 7:
        h ^= (uint64_t)p[6] << 48; /* fall through */
    case 6:
        h ^= (uint64_t)p[5] << 40; /* fall through */
    case 5:
        h ^= (uint64_t)p[4] << 32; /* fall through */
    case 4:
        h ^= (uint64_t)p[3] << 24; /* fall through */
    case 3:
        h ^= (uint64_t)p[2] << 16; /* fall through */
    case 2:
        h ^= (uint64_t)p[1] << 8; /* fall through */
    case 1:
        h ^= (uint64_t)p[0];
        h *= m;
        break;
    default:
        break;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

/* ---------------------------------------------------------------------------
 * Sketch operations
 * ------------------------------------------------------------------------ */

void agg_hll_init(struct agg_hll *h)
{
    memset(h->reg, 0, sizeof h->reg);
}

void agg_hll_point(const void *data, size_t len, uint32_t *index, uint8_t *value)
{
    uint64_t hash = agg_murmur64a(data, len, 0xadc83b19ULL);
    uint8_t count = 1;

    *index = (uint32_t)(hash & AGG_HLL_MASK);
    /* The sentinel bit bounds the loop and caps the run at Q + 1. */
    hash >>= AGG_HLL_P;
    hash |= (uint64_t)1 << AGG_HLL_Q;
    while ((hash & 1) == 0) {
        count++;
        hash >>= 1;
    }
    *value = count;
}

int agg_hll_add(struct agg_hll *h, const void *data, size_t len)
{
    uint32_t index;
    uint8_t count;

    agg_hll_point(data, len, &index, &count);
    if (count > h->reg[index]) {
        h->reg[index] = count;
        return 1;
    }
    return 0;
}

void agg_hll_merge(struct agg_hll *dst, const struct agg_hll *src)
{
    for (size_t i = 0; i < AGG_HLL_REGISTERS; i++)
        if (src->reg[i] > dst->reg[i])
            dst->reg[i] = src->reg[i];
}

/* Ertl's sigma(x) for the share x of empty registers; the series stops when
 * adding a term no longer changes the double, exactly as Redis iterates. */
static double hll_sigma(double x)
{
    double y = 1.0, z = x, zprev;

    if (x == 1.0)
        return INFINITY;
    do {
        x *= x;
        zprev = z;
        z += x * y;
        y += y;
    } while (zprev != z);
    return z;
}

/* Ertl's tau(x) for the share x of saturated registers. */
static double hll_tau(double x)
{
    double y = 1.0, z, zprev;

    if (x == 0.0 || x == 1.0)
        return 0.0;
    z = 1.0 - x;
    do {
        x = sqrt(x);
        zprev = z;
        y *= 0.5;
        z -= pow(1.0 - x, 2) * y;
    } while (zprev != z);
    return z / 3.0;
}

uint64_t agg_hll_count(const struct agg_hll *h)
{
    const double m = AGG_HLL_REGISTERS;
    int histo[64] = {0};
    double z;

    for (size_t i = 0; i < AGG_HLL_REGISTERS; i++)
        histo[h->reg[i] & 63]++;

    /* Same order of floating-point operations as Redis, so results agree to
     * the last bit before rounding. */
    z = m * hll_tau((m - histo[AGG_HLL_Q + 1]) / m);
    for (int j = AGG_HLL_Q; j >= 1; --j) {
        z += histo[j];
        z *= 0.5;
    }
    z += m * hll_sigma(histo[0] / m);
    return (uint64_t)llroundl(AGG_HLL_ALPHA_INF * m * m / z);
}
