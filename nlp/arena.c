/*
 * arena.c -- the analyzer's scratch memory, reset once per post.
 *
 * A bump allocator over a chain of blocks.  Allocation is a pointer bump in
 * the current block; when it is full a new block at least twice as large is
 * chained in (earlier blocks stay put, so pointers already handed out remain
 * valid until the reset).  nlp_arena_reset() rewinds to empty; if the post
 * needed more than one block, the chain is replaced by a single block as large
 * as the whole chain, so that after a few posts the arena reaches its working
 * size and the hot path never calls malloc again.
 * Invariant: every block's `used` <= `size`; returned pointers are aligned to
 * NLP_ARENA_ALIGN.
 */
#include <stdlib.h>
#include <string.h>

#include "nlp_int.h"

#define NLP_ARENA_ALIGN 8u

struct nlp_arena_block {
    struct nlp_arena_block *prev;
    size_t size, used;
    unsigned char data[];
};

static struct nlp_arena_block *block_new(size_t size)
{
    struct nlp_arena_block *b;

    if (size > SIZE_MAX - sizeof(*b))
        return NULL;
    b = malloc(sizeof(*b) + size);
    if (!b)
        return NULL;
    b->prev = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

int nlp_arena_init(struct nlp_arena *ar, size_t initial)
{
    if (initial < 4096)
        initial = 4096;
    ar->cur = block_new(initial);
    return ar->cur ? 0 : KZ_ENOMEM;
}

void nlp_arena_free(struct nlp_arena *ar)
{
    struct nlp_arena_block *b = ar->cur;

    while (b) {
        struct nlp_arena_block *prev = b->prev;
        free(b);
        b = prev;
    }
    ar->cur = NULL;
}

void nlp_arena_reset(struct nlp_arena *ar)
{
    struct nlp_arena_block *b = ar->cur, *nb;
    size_t total = 0;

    if (!b)
        return;
    if (!b->prev) {
        b->used = 0;
        return;
    }
    for (struct nlp_arena_block *p = b; p; p = p->prev)
        total += p->size;
    nb = block_new(total);
    if (!nb) {
        /* Keep the largest (newest) block rather than failing the reset. */
        nlp_arena_block_chain_free(b->prev);
        b->prev = NULL;
        b->used = 0;
        return;
    }
    nlp_arena_block_chain_free(b);
    ar->cur = nb;
}

void nlp_arena_block_chain_free(struct nlp_arena_block *b)
{
    while (b) {
        struct nlp_arena_block *prev = b->prev;
        free(b);
        b = prev;
    }
}

void *nlp_arena_alloc(struct nlp_arena *ar, size_t n)
{
    struct nlp_arena_block *b = ar->cur;
    size_t off;

    if (!b)
        return NULL;
    off = (b->used + NLP_ARENA_ALIGN - 1) & ~(size_t)(NLP_ARENA_ALIGN - 1);
    if (off > b->size || n > b->size - off) {
        size_t want = b->size * 2;
        struct nlp_arena_block *nb;

        if (want < b->size || want < n + NLP_ARENA_ALIGN)
            want = n + NLP_ARENA_ALIGN;
        nb = block_new(want);
        if (!nb)
            return NULL;
        nb->prev = b;
        ar->cur = b = nb;
        off = 0;
    }
    b->used = off + n;
    return b->data + off;
}

char *nlp_arena_strdup(struct nlp_arena *ar, const char *s, size_t n)
{
    char *p = nlp_arena_alloc(ar, n + 1);

    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
