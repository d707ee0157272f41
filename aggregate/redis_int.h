/*
 * redis_int.h -- private to aggregate/: what the Redis store's files share.
 *
 * Not part of the public API.  store_redis.c holds the key schema, the apply
 * script and the store's life cycle; redis_conn.c the connection (URLs,
 * connect, commands, pipelines, mapping Redis errors to KZ_E*); redis_query.c
 * the read-only queries; redis_wm.c the group members' watermarks.  Every
 * function here returns 0 or a negative KZ_E* and writes err (if any) on
 * failure.
 */
#ifndef KZ_AGG_REDIS_INT_H
#define KZ_AGG_REDIS_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "aggregate.h"

#define AGG_REDIS_PREFIX "kzp:v2:"
#define AGG_REDIS_WATCH_KEY AGG_REDIS_PREFIX "watch" /* redis_wm.c: the watch set */
#define AGG_REDIS_KEY_MAX 48    /* bytes of a key besides its dimension, NUL included */
#define AGG_REDIS_NUM_MAX 24    /* bytes of a decimal int64, NUL included */
#define AGG_REDIS_CMD_ARGS 5    /* arguments of a pipelined command, at most */
#define AGG_REDIS_PIPELINE 1024 /* commands in flight per round trip */

/* One connection, made and remade on demand. */
struct agg_redis_conn {
    struct agg_redis_addr addr;
    char where[300]; /* HOST:PORT/DB for messages, no credentials */
    struct timeval timeout;
    const char *script; /* loaded with SCRIPT LOAD on every new connection */
    size_t script_len;
    char sha[41];    /* its SHA1, valid while c is */
    redisContext *c; /* NULL when disconnected */
    struct agg_redis_stats st;
};

/* What a bucket key holds; also the order in which apply writes keys. */
enum agg_redis_type {
    AGG_RK_MINUTE = AGG_MINUTE,
    AGG_RK_HOUR = AGG_HOUR,
    AGG_RK_TOP = 2,
    AGG_RK_AUTHORS = 3,
    AGG_RK_POSTS = 4,    /* sample posts: a list per (minute, dimension) */
    AGG_RK_MAUTHORS = 5, /* distinct authors per (minute, dimension) */
};
#define AGG_RK_NTYPES 6

/* One increment of a batch, before encoding. */
struct agg_redis_op {
    int64_t bucket_ms;
    struct kz_str dim; /* AGG_RK_AUTHORS, _POSTS, _MAUTHORS: the dimension in the key */
    struct kz_str arg; /* field, member, author or sample record */
    int64_t n;
    uint8_t type; /* enum agg_redis_type */
    uint8_t sub;  /* AGG_RK_TOP: enum agg_top_kind */
    uint32_t seq; /* the order of ops of one key that must keep it (samples) */
};

struct agg_redis_store {
    struct agg_redis_conn conn;
    char *offsets_key;            /* kzp:v2:offsets:{group} */
    int64_t ttl_s[AGG_RK_NTYPES]; /* by enum agg_redis_type; 0 = no TTL */
    /* Buffers reused from apply to apply and query to query. */
    struct agg_redis_op *ops;
    size_t nops, cap_ops;
    const char **argv;
    size_t *lens, cap_argv;
    char *arena;
    size_t cap_arena;
    char *kbuf;
    size_t cap_kbuf;
    /* Sample lists this store has filled (store_redis.c, "Full lists"): a
     * direct-mapped memo of (minute, dimension) -> samples the script took. */
    struct agg_redis_sent *sent;
    uint64_t sent_connects; /* conn.st.connects when the memo was last valid */
};

/* One slot of the memo of sample lists: the key's hash, minute and count. */
struct agg_redis_sent {
    uint64_t h;
    int64_t minute_ms;
    uint32_t n;
};
#define AGG_REDIS_SENT_SLOTS 8192u

/* -- redis_conn.c ----------------------------------------------------------- */

/* Make sure c is connected: connect, AUTH, SELECT, SCRIPT LOAD.  KZ_EAGAIN when
 * Redis cannot be reached. */
int agg_redis_connect(struct agg_redis_conn *c, char *err, size_t errlen);
void agg_redis_drop(struct agg_redis_conn *c);
/* The connection failed under `what`: drop it (the next call reconnects);
 * KZ_EAGAIN (or KZ_ENOMEM when hiredis ran out of memory). */
int agg_redis_lost(struct agg_redis_conn *c, const char *what, char *err, size_t errlen);
/* An error reply: KZ_EAGAIN for a server busy, loading, failing over or out
 * of memory, KZ_EIO otherwise, with Redis's message. */
int agg_redis_reply_error(struct agg_redis_conn *c, const redisReply *r, const char *what,
                          char *err, size_t errlen);
/* A reply of the wrong shape: KZ_EIO. */
int agg_redis_unexpected(struct agg_redis_conn *c, const redisReply *r, const char *what, char *err,
                         size_t errlen);
/* One command on the current connection, SIGPIPE-safe (redis_conn.c): the
 * reply as hiredis gives it (an error reply included), or NULL when the
 * connection failed (see c->c->err). */
redisReply *agg_redis_call(struct agg_redis_conn *c, int argc, const char **argv,
                           const size_t *lens);
/* One command on the current connection; *out (never an error reply) is the
 * caller's to free with freeReplyObject(). */
int agg_redis_command(struct agg_redis_conn *c, int argc, const char **argv, const size_t *lens,
                      const char *what, redisReply **out, char *err, size_t errlen);

/* Builds command i of a pipeline (at most AGG_REDIS_CMD_ARGS arguments, which
 * must stay valid until the next call). */
typedef int (*agg_redis_build_fn)(void *ctx, size_t i, const char **argv, size_t *lens, int *argc);
/* Consumes reply i: never an error reply, not to be kept. */
typedef int (*agg_redis_reply_fn)(void *ctx, size_t i, const redisReply *r, char *err,
                                  size_t errlen);
/* Connect if needed, then send n commands, AGG_REDIS_PIPELINE per round trip.
 * Any failure drops the connection, so no unread reply is left behind. */
int agg_redis_pipeline(struct agg_redis_conn *c, size_t n, agg_redis_build_fn build,
                       agg_redis_reply_fn on_reply, void *ctx, const char *what, char *err,
                       size_t errlen);

/* -- store_redis.c ---------------------------------------------------------- */

extern const int64_t agg_redis_width[AGG_RK_NTYPES]; /* bucket width by enum agg_redis_type, ms */

/* Write the key of a bucket into dst, which holds AGG_REDIS_KEY_MAX + dim.n
 * bytes; returns its length (a NUL follows). */
size_t agg_redis_key_format(char *dst, enum agg_redis_type t, int64_t bucket_ms, int sub,
                            struct kz_str dim);
/* The same into s->kbuf. */
int agg_redis_key(struct agg_redis_store *s, enum agg_redis_type t, int64_t bucket_ms, int sub,
                  struct kz_str dim, size_t *len);
/* The offsets hash field of a position, "<source>/<partition>", into dst of
 * strlen(source) + AGG_REDIS_NUM_MAX bytes; returns its length. */
size_t agg_redis_offset_field(char *dst, const char *source, int32_t partition);
/* A strict decimal int64 of exactly n bytes: 0, or -1. */
int agg_redis_parse_i64(const char *p, size_t n, int64_t *out);
/* The Redis store behind s, or NULL when s is another store. */
struct agg_redis_store *agg_redis_of(struct agg_store *s);

/* -- redis_query.c: the store's queries, as struct agg_store_ops wants them - */

int agg_redis_series(void *self, enum agg_gran g, const char *dim, int64_t from_ms, int64_t to_ms,
                     struct agg_series *out, char *err, size_t errlen);
int agg_redis_topk(void *self, enum agg_top_kind k, int64_t from_ms, int64_t to_ms, size_t limit,
                   struct agg_top *out, char *err, size_t errlen);
int agg_redis_distinct(void *self, enum agg_gran g, const char *dim, int64_t from_ms, int64_t to_ms,
                       uint64_t *out, char *err, size_t errlen);
int agg_redis_dims(void *self, enum agg_gran g, const char *prefix, int64_t from_ms, int64_t to_ms,
                   struct agg_dimcounts *out, char *err, size_t errlen);
int agg_redis_offset(void *self, const char *source, int32_t partition, int64_t *offset, char *err,
                     size_t errlen);
int agg_redis_posts(void *self, const char *dim, int64_t from_ms, int64_t to_ms,
                    struct agg_posts *out, char *err, size_t errlen);

/* -- redis_wm.c: watermarks and heartbeats, as struct agg_store_ops wants them */

int agg_redis_publish_watermark(void *self, const char *group, const char *member,
                                int64_t watermark_ms, int64_t now_ms, char *err, size_t errlen);
int agg_redis_retire(void *self, const char *group, const char *member, char *err, size_t errlen);
int agg_redis_watermark(void *self, const char *group, int64_t max_age_ms, int64_t now_ms,
                        int64_t *watermark_ms, char *err, size_t errlen);

#endif /* KZ_AGG_REDIS_INT_H */
