/* memtab.c -- the in-process store's tables: id -> int64 maps and string interning.
 *
 * Design: both are open-addressing hash tables with linear probing over a
 * power-of-two slot array kept at most 3/4 full.  agg_imap maps a 32-bit id
 * to an int64 (a count, or an index); ids are hashed by Fibonacci hashing,
 * whose high bits are well mixed.  agg_strtab interns byte strings: each
 * distinct string is stored once, NUL-terminated, in one growing buffer and
 * named by a dense 32-bit id, so buckets key their maps by small integers
 * instead of strings and a query sorts by pointing into the buffer.
 *
 * Invariants: a slot key of 0 means empty (agg_imap stores id + 1); a string
 * id is its index in the entry array and never changes; every growth happens
 * before the table is modified, so a failed insert leaves it as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "agg_internal.h"
#include "memtab.h"

#define MEM_STR_SEED 0x6d656d737472ULL /* "memstr" */

/* ---------------------------------------------------------------------------
 * id -> int64 maps
 * ------------------------------------------------------------------------ */

static uint32_t imap_home(uint32_t key, uint32_t nslot)
{
    /* Fibonacci hashing: the high half of the product is well mixed. */
    return (uint32_t)(((uint64_t)key * 0x9e3779b97f4a7c15ULL) >> 32) & (nslot - 1);
}

int64_t *agg_imap_find(const struct agg_imap *m, uint32_t id)
{
    uint32_t key = id + 1, i;

    if (m->nslot == 0)
        return NULL;
    for (i = imap_home(key, m->nslot); m->s[i].key; i = (i + 1) & (m->nslot - 1))
        if (m->s[i].key == key)
            return &m->s[i].val;
    return NULL;
}

static int imap_grow(struct agg_imap *m)
{
    uint32_t nslot = m->nslot ? m->nslot * 2 : 8;
    struct agg_imap_slot *s;

    if (nslot == 0 || nslot > UINT32_MAX / 2)
        return KZ_ENOMEM;
    s = calloc(nslot, sizeof *s);
    if (!s)
        return KZ_ENOMEM;
    for (uint32_t j = 0; j < m->nslot; j++) {
        uint32_t i;

        if (!m->s[j].key)
            continue;
        for (i = imap_home(m->s[j].key, nslot); s[i].key; i = (i + 1) & (nslot - 1))
            ;
        s[i] = m->s[j];
    }
    free(m->s);
    m->s = s;
    m->nslot = nslot;
    return KZ_OK;
}

/* Find id, inserting it with value 0 if absent; *isnew tells which. */
int agg_imap_upsert(struct agg_imap *m, uint32_t id, int64_t **val, int *isnew)
{
    uint32_t key = id + 1, i;
    int rc;

    if ((*val = agg_imap_find(m, id))) {
        *isnew = 0;
        return KZ_OK;
    }
    if (((uint64_t)m->n + 1) * 4 > (uint64_t)m->nslot * 3 && (rc = imap_grow(m)))
        return rc;
    for (i = imap_home(key, m->nslot); m->s[i].key; i = (i + 1) & (m->nslot - 1))
        ;
    m->s[i].key = key;
    m->s[i].val = 0;
    m->n++;
    *val = &m->s[i].val;
    *isnew = 1;
    return KZ_OK;
}

void agg_imap_free(struct agg_imap *m)
{
    free(m->s);
    memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------------------
 * String interning
 * ------------------------------------------------------------------------ */

int agg_strtab_find(const struct agg_strtab *t, const char *p, size_t n, uint32_t *id)
{
    uint64_t h;
    uint32_t i;

    if (t->nslot == 0)
        return 0;
    h = agg_murmur64a(p, n, MEM_STR_SEED);
    for (i = (uint32_t)h & (t->nslot - 1); t->slot[i]; i = (i + 1) & (t->nslot - 1)) {
        const struct agg_str_ent *e = &t->e[t->slot[i] - 1];

        if (e->hash == h && e->len == n && memcmp(t->buf + e->off, p, n) == 0) {
            *id = t->slot[i] - 1;
            return 1;
        }
    }
    return 0;
}

static void strtab_place(struct agg_strtab *t, uint32_t idx)
{
    uint32_t i;

    for (i = (uint32_t)t->e[idx].hash & (t->nslot - 1); t->slot[i]; i = (i + 1) & (t->nslot - 1))
        ;
    t->slot[i] = idx + 1;
}

int agg_strtab_intern(struct agg_strtab *t, const char *p, size_t n, uint32_t *id)
{
    struct agg_str_ent *e;

    if (agg_strtab_find(t, p, n, id))
        return KZ_OK;
    if (t->n >= UINT32_MAX / 4 || n > SIZE_MAX / 4 - t->len)
        return KZ_ERANGE;
    /* Grow everything first so that a failure leaves the table unchanged. */
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        char *b;

        while (cap < t->len + n + 1)
            cap *= 2;
        b = realloc(t->buf, cap);
        if (!b)
            return KZ_ENOMEM;
        t->buf = b;
        t->cap = cap;
    }
    if (t->n == t->cap_e) {
        uint32_t cap = t->cap_e ? t->cap_e * 2 : 64;

        e = realloc(t->e, (size_t)cap * sizeof *e);
        if (!e)
            return KZ_ENOMEM;
        t->e = e;
        t->cap_e = cap;
    }
    if (((uint64_t)t->n + 1) * 4 > (uint64_t)t->nslot * 3) {
        uint32_t nslot = t->nslot ? t->nslot * 2 : 128;
        uint32_t *slot = calloc(nslot, sizeof *slot);

        if (!slot)
            return KZ_ENOMEM;
        free(t->slot);
        t->slot = slot;
        t->nslot = nslot;
        for (uint32_t i = 0; i < t->n; i++)
            strtab_place(t, i);
    }
    e = &t->e[t->n];
    e->off = t->len;
    e->len = n;
    e->hash = agg_murmur64a(p, n, MEM_STR_SEED);
    if (n)
        memcpy(t->buf + t->len, p, n);
    t->buf[t->len + n] = '\0';
    t->len += n + 1;
    strtab_place(t, t->n);
    *id = t->n++;
    return KZ_OK;
}

const char *agg_strtab_str(const struct agg_strtab *t, uint32_t id, size_t *len)
{
    *len = t->e[id].len;
    return t->buf + t->e[id].off;
}

void agg_strtab_free(struct agg_strtab *t)
{
    free(t->buf);
    free(t->e);
    free(t->slot);
    memset(t, 0, sizeof *t);
}
