/*
 * memtab.h -- private to aggregate/: the in-process store's hash tables.
 *
 * agg_imap: 32-bit id -> int64, open addressing.  agg_strtab: byte strings
 * interned to dense 32-bit ids.  Both are owned by their embedder and freed
 * with their *_free(); a zeroed struct is an empty table.  See memtab.c.
 */
#ifndef KZ_AGG_MEMTAB_H
#define KZ_AGG_MEMTAB_H

#include <stddef.h>
#include <stdint.h>

struct agg_imap_slot {
    uint32_t key; /* id + 1; 0 = empty */
    int64_t val;
};

struct agg_imap {
    struct agg_imap_slot *s;
    uint32_t n, nslot; /* nslot: power of two or 0 */
};

struct agg_str_ent {
    size_t off, len; /* NUL-terminated at buf[off + len] */
    uint64_t hash;
};

struct agg_strtab {
    char *buf;
    size_t len, cap;
    struct agg_str_ent *e;
    uint32_t n, cap_e;
    uint32_t *slot; /* entry index + 1; 0 = empty */
    uint32_t nslot;
};

/* The value of id, or NULL.  Valid until the next insert into m. */
int64_t *agg_imap_find(const struct agg_imap *m, uint32_t id);
/* Find id or insert it with value 0 (*isnew = 1).  0 or KZ_ENOMEM. */
int agg_imap_upsert(struct agg_imap *m, uint32_t id, int64_t **val, int *isnew);
void agg_imap_free(struct agg_imap *m);
/* 1 and *id if the string is interned, else 0. */
int agg_strtab_find(const struct agg_strtab *t, const char *p, size_t n, uint32_t *id);
/* The id of the string, interning it if new.  0, KZ_ENOMEM or KZ_ERANGE. */
int agg_strtab_intern(struct agg_strtab *t, const char *p, size_t n, uint32_t *id);
/* The NUL-terminated bytes of id; valid until the next intern. */
const char *agg_strtab_str(const struct agg_strtab *t, uint32_t id, size_t *len);
void agg_strtab_free(struct agg_strtab *t);

#endif /* KZ_AGG_MEMTAB_H */
