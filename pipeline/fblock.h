/*
 * fblock.h -- private to pipeline/: a block of facts in bytes.
 *
 * The walkers hand a batch's worth of posts to the applier thread, which
 * coalesces them (agg_batch_add) and applies them to the store while the
 * loop analyses the next ones.  struct agg_facts is views into the loop's
 * scratch, reused by the next post, so each post's facts are copied into a
 * block of bytes (every string, text included: a sample's snippet is cut on
 * the other side) and read back there as views into the block.
 */
#ifndef KZ_PIPELINE_FBLOCK_H
#define KZ_PIPELINE_FBLOCK_H

#include <stddef.h>

#include "aggregate.h"

struct fblock {
    char *buf;
    size_t len, cap;
    size_t nposts;
};

/* Append f; 0 or KZ_ENOMEM (the block is left as it was). */
int fblock_put(struct fblock *b, const struct agg_facts *f);
/* Append more's posts after b's; 0 or KZ_ENOMEM (b is left as it was). */
int fblock_append(struct fblock *b, const struct fblock *more);
/* Empty it, keeping its memory. */
void fblock_reset(struct fblock *b);
void fblock_free(struct fblock *b);

/* A reader's arrays for the views of one post at a time. */
struct fblock_reader {
    const char *cur, *end;
    struct kz_str *strs; /* topics, hashtags, terms */
    size_t cap_strs;
    struct agg_evidence *ev;
    size_t cap_ev;
};

/* Start reading b (the reader's arrays are kept from an earlier use). */
void fblock_read(struct fblock_reader *r, const struct fblock *b);
/* The next post's facts, valid until the next call: 1, 0 at the end, or
 * KZ_ENOMEM / KZ_EDECODE (a block that fblock_put did not write). */
int fblock_next(struct fblock_reader *r, struct agg_facts *f);
void fblock_reader_free(struct fblock_reader *r);

#endif /* KZ_PIPELINE_FBLOCK_H */
