/*
 * ingest_impl.h -- private declarations shared by the files of ingest/.
 *
 * Nothing outside ingest/ includes this header.  It holds the scratch buffer
 * the decoder reuses between records, the pull decoder's tape and the JSON
 * value interface the mappings read (a jansson node or a tape token), the
 * "post under construction" that the schema mappings fill, and the time
 * helpers the mappings need beyond the public ingest_parse_time().
 *
 * Scratch strings are addressed by offset, not by pointer, while a post is
 * being built: the buffer may move when it grows, so pointers are resolved
 * only once the post is complete (ingest_val_str()).
 */
#ifndef KZ_INGEST_IMPL_H
#define KZ_INGEST_IMPL_H

#include <jansson.h>

#include "ingest.h"

/* ---------------------------------------------------------------------------
 * Scratch buffer: grows, never shrinks, reset per post.
 * ------------------------------------------------------------------------ */

struct ingest_scratch {
    char *p;
    size_t len, cap;
};

int ingest_scratch_reserve(struct ingest_scratch *sc, size_t extra);
void ingest_scratch_free(struct ingest_scratch *sc);

/* A string value of a post under construction: borrowed (p != NULL, e.g. a
 * jansson string, NUL-terminated) or in the scratch buffer at `off` (p == NULL,
 * NUL-terminated there too).  n == 0 means absent. */
struct ingest_val {
    const char *p;
    size_t off;
    size_t n;
};

static inline struct kz_str ingest_val_str(const struct ingest_val *v,
                                           const struct ingest_scratch *sc)
{
    if (v->n == 0)
        return KZ_STR_NULL;
    return kz_str_make(v->p ? v->p : sc->p + v->off, v->n);
}

/* ---------------------------------------------------------------------------
 * JSON values: a jansson node or a token of the pull decoder's tape (pull.c),
 * read through one interface so the schema mappings serve both decoders.
 * ------------------------------------------------------------------------ */

enum ingest_jtype {
    INGEST_J_ABSENT, /* no such member (jansson: a NULL json_t *) */
    INGEST_J_NULL,
    INGEST_J_FALSE,
    INGEST_J_TRUE,
    INGEST_J_INTEGER,
    INGEST_J_REAL,
    INGEST_J_STRING,
    INGEST_J_ARRAY,
    INGEST_J_OBJECT,
};

/* One token: what it is, and where the tape goes after it. */
struct ingest_tok {
    uint8_t type;  /* enum ingest_jtype */
    uint32_t next; /* index of the token after this value and its descendants */
    uint32_t n;    /* string: bytes; array: elements; object: members */
    uint32_t off;  /* string: offset of its bytes (NUL-terminated) in mirror */
    union {
        int64_t i;
        double d;
    } v; /* integer, real */
};

/* A record's JSON, read by ingest_tape_parse(): tokens in document order (an
 * object's members are key, value, key, value...) and the unescaped strings.
 * Both buffers grow, never shrink, and are reused for every record; what they
 * hold is valid until the next parse. */
struct ingest_tape {
    struct ingest_tok *tok;
    size_t ntok, cap;
    char *mirror; /* as long as the record, plus a NUL */
    size_t mirror_cap;
    /* The root object's members by key (open addressing, 1 + the key's
     * token, 0 empty): a post's dozens of lookups skip the member walk.
     * root_indexed is 0 when the root is no object or has too many. */
    uint32_t root_slot[64];
    int root_indexed;
};

/* 0, KZ_ENOMEM, or KZ_EAGAIN: not read here, give the record to jansson (it
 * is not JSON, or it is JSON this pass leaves to jansson: see pull.c). */
int ingest_tape_parse(struct ingest_tape *t, const char *s, size_t n);
void ingest_tape_free(struct ingest_tape *t);

/* A value: j for the DOM decoder, t and i for the tape; neither: absent.
 * Borrowed from the tree or the tape, valid as long as they are. */
struct ingest_jv {
    const json_t *j;
    const struct ingest_tape *t;
    uint32_t i;
};

#define INGEST_JV_NONE ((struct ingest_jv){NULL, NULL, 0})

static inline struct ingest_jv ingest_jv_dom(const json_t *j)
{
    struct ingest_jv v = {j, NULL, 0};
    return v;
}

/* The root value of a parsed tape. */
struct ingest_jv ingest_tape_root(const struct ingest_tape *t);

enum ingest_jtype ingest_jv_dom_type(const json_t *j); /* INGEST_J_ABSENT for NULL */

static inline enum ingest_jtype ingest_jv_type(struct ingest_jv v)
{
    return v.t ? (enum ingest_jtype)v.t->tok[v.i].type : ingest_jv_dom_type(v.j);
}

/* The member `key` of an object (the last one of that name), JSON null
 * included; absent when there is none or obj is not an object. */
struct ingest_jv ingest_jv_get(struct ingest_jv obj, const char *key);

/* A string's bytes (NUL-terminated) and length; NULL and 0 for other types. */
const char *ingest_jv_str(struct ingest_jv v);
size_t ingest_jv_strlen(struct ingest_jv v);
int64_t ingest_jv_int(struct ingest_jv v);   /* 0 when not an integer */
double ingest_jv_real(struct ingest_jv v);   /* 0.0 when not a real */
size_t ingest_jv_size(struct ingest_jv arr); /* elements; 0 when not an array */

/* The elements of an array in order:
 *   ingest_jiter_init(&it, arr); while (ingest_jiter_next(&it, &el)) ... */
struct ingest_jiter {
    struct ingest_jv arr;
    size_t i, n;
    uint32_t next; /* the tape: the next element's token */
};
void ingest_jiter_init(struct ingest_jiter *it, struct ingest_jv arr);
int ingest_jiter_next(struct ingest_jiter *it, struct ingest_jv *el);

static inline int ingest_jv_is(struct ingest_jv v, enum ingest_jtype type)
{
    return ingest_jv_type(v) == type;
}

/* ---------------------------------------------------------------------------
 * Schema mapping: JSON object -> post under construction.
 * ------------------------------------------------------------------------ */

struct ingest_map {
    /* inputs */
    struct ingest_scratch *sc;
    char *detail; /* where a dead letter's detail is written */
    size_t detail_len;

    /* outputs */
    struct ingest_val id, platform, author, channel, lang, region, url, reply_to, repost_of;
    struct ingest_val text;
    int text_present; /* a text field existed (possibly empty) */
    int has_ts;       /* ts_ms holds a parsed event time */
    int64_t ts_ms;
    int64_t views, likes, shares;
    int service;                  /* Telegram service message: skip it */
    enum ingest_dl_reason reason; /* set when a mapping returns KZ_EDECODE */
};

/* Reset the outputs (and empty the scratch buffer) before mapping a post. */
void ingest_map_reset(struct ingest_map *m);

/* A mapping returns 0, KZ_ENOMEM, or KZ_EDECODE with m->reason and m->detail
 * set.  `obj` must be a JSON object.  The mappings live in schema.c, each
 * registered in the schema table there. */
typedef int (*ingest_map_fn)(struct ingest_map *m, struct ingest_jv obj);

/* The mapping of schema s (never NULL: auto, which the decoder resolves
 * before mapping, and values out of range map as generic). */
ingest_map_fn ingest_schema_mapping(enum ingest_schema s);

/* Which single-post schema an object looks like (never AUTO): the first
 * detector of the schema table that accepts it, else generic. */
enum ingest_schema ingest_schema_detect(struct ingest_jv obj);

/* "object", "array", "string", "integer", "real", "boolean", "null". */
const char *ingest_json_type_name(struct ingest_jv v);

/* ---------------------------------------------------------------------------
 * Time
 * ------------------------------------------------------------------------ */

/* RFC 3339 date-time; with allow_local, a missing offset means UTC (Telegram
 * export "date").  0 or KZ_EDECODE. */
int ingest_time_parse_rfc3339(const char *s, size_t n, int allow_local, int64_t *ms);

/* An integral epoch value: seconds below 1e11, milliseconds otherwise. */
int ingest_time_from_int(int64_t v, int64_t *ms);

/* Format ms as "2026-03-08T09:05:00.000Z" into buf (>= 32 bytes). */
void ingest_time_format(int64_t ms, char *buf, size_t n);

/* ---------------------------------------------------------------------------
 * UTF-8
 * ------------------------------------------------------------------------ */

/* Length of the valid sequence starting at s[0] (1..4), or 0 when s[0] does
 * not start a valid sequence within n bytes. */
size_t ingest_utf8_seq_len(const unsigned char *s, size_t n);

/* 1 when s holds only white space (Unicode White_Space, plus zero-width
 * spaces and the BOM, which render as nothing). s must be valid UTF-8. */
int ingest_utf8_is_blank(const char *s, size_t n);

#endif /* KZ_INGEST_IMPL_H */
