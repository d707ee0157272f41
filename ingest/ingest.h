/*
 * ingest.h -- records in, posts out: sources, decoding, dead letters.
 *
 * The ingest module turns bytes from somewhere (a JSONL file, possibly gzip or
 * zstd compressed, a Telegram Desktop export, stdin, a Kafka consumer group)
 * into `struct ingest_post` values that follow the post contract of DESIGN.md,
 * and turns everything it cannot decode into a dead letter with a reason.  It
 * knows nothing of analysis, aggregation or Redis: the Kafka source asks its
 * caller, through hooks, where a partition starts and when pending work must
 * be made safe, and commits only the positions its caller hands back.
 *
 * Flow:   source --next--> record --decode--> 0..N posts + 0..N dead letters
 *
 * Ownership, stated once and followed by every function here:
 *  - Objects returned by *_new / *_open are owned by the caller and released
 *    with the matching *_free / *_close.
 *  - A record returned by ingest_source_next() borrows the source's buffer; it
 *    stays valid until the next call to ingest_source_next() or _close().
 *  - A post or dead letter handed to a callback borrows the decoder's and the
 *    record's memory; it is valid only during the callback.  Copy what you keep.
 *  - Nothing here keeps a pointer to caller memory after a call returns.
 * Thread rules: an object is used by one thread at a time; distinct objects
 * may be used from distinct threads.
 */
#ifndef KZ_INGEST_H
#define KZ_INGEST_H

#include <stdint.h>
#include <stdio.h>

#include "kz.h"

/* ---------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------ */

/* Input schemas.  Each value has one row in the schema table (ingest/schema.c)
 * that gives its name, help line, detection and mapping; adding a schema is a
 * value here (before INGEST_SCHEMA_COUNT) and a row there.  The values are
 * stable: they index ingest_stats.by_schema. */
enum ingest_schema {
    INGEST_SCHEMA_AUTO = 0, /* detect per record (the default) */
    INGEST_SCHEMA_GENERIC,  /* the post contract of DESIGN.md */
    INGEST_SCHEMA_TELEGRAM, /* Telegram Desktop export message */
    INGEST_SCHEMA_VK,       /* VK wall post (API object) */
    INGEST_SCHEMA_X,        /* X API v2 tweet (bare, or {"data": {...}}) */
    INGEST_SCHEMA_COUNT
};

struct ingest_config {
    enum ingest_schema schema; /* default INGEST_SCHEMA_AUTO */
    size_t max_text;           /* bytes of text analysed; default 65536 (64 KiB),
                                  at least INGEST_MAX_TEXT_MIN.  Longer texts are
                                  cut at a UTF-8 boundary and flagged
                                  INGEST_POST_TRUNCATED (not dead-lettered). */
    size_t max_record;         /* largest record accepted; default 16 MiB.
                                  Larger ones become INGEST_DL_TOO_LARGE. */
    size_t max_document;       /* largest whole-document record (a Telegram export,
                                  whose messages are each still held to max_record's
                                  spirit by max_text); default 1 GiB.  Larger exports
                                  become INGEST_DL_TOO_LARGE. */
    int64_t max_future_ms;     /* a ts later than arrival + this is dead-lettered
                                  as INGEST_DL_FUTURE_TS; default 86400000 (1 day) */
};

/*
 * The smallest max_text accepted: 4 bytes, the longest UTF-8 character.  A cut
 * keeps whole characters only, so below 4 bytes a text that starts with a
 * long character (an emoji, a CJK ideograph outside the BMP) would keep
 * nothing, and a post would come out with no text.  Refusing such a limit is
 * the rule; the cut also keeps the first character whole whatever the limit,
 * so no post ever has empty text.
 */
#define INGEST_MAX_TEXT_MIN 4

/* Fill *cfg with the documented defaults. */
void ingest_config_default(struct ingest_config *cfg);

/* Check a configuration: 0, or KZ_EINVAL with a message in err naming the
 * field, the value and the accepted range (err may be NULL).  Refused: an
 * unknown schema, max_text below INGEST_MAX_TEXT_MIN, max_record 0, a
 * negative max_future_ms.  ingest_decoder_new() applies the same check. */
int ingest_config_check(const struct ingest_config *cfg, char *err, size_t errlen);

/*
 * Schema names, from the schema table.  To go through every schema:
 *     for (int s = 0; s < INGEST_SCHEMA_COUNT; s++) ... ingest_schema_name(s) ...
 * ("auto" included, as value 0).  Names are matched exactly (case counts).
 */

/* The schema called name[0..n), or KZ_ENOTFOUND. */
int ingest_schema_by_name(const char *name, size_t n);

/* The same for a NUL-terminated name: the schema, or -1 if unknown or NULL. */
int ingest_schema_parse(const char *name);

/* "auto", "generic", "telegram", ...; "unknown" for a value out of range. */
const char *ingest_schema_name(enum ingest_schema s);

/* One line on what the schema reads, for help text; NULL out of range. */
const char *ingest_schema_about(enum ingest_schema s);

/* Every schema name in enum order joined by sep ("auto, generic, telegram,
 * vk, x" with ", "), written to buf as far as it fits in size bytes and
 * NUL-terminated when size > 0.  Returns the length of the whole list, like
 * snprintf: a return >= size means buf was too small. */
size_t ingest_schema_list(char *buf, size_t size, const char *sep);

/* ---------------------------------------------------------------------------
 * Records and positions
 * ------------------------------------------------------------------------ */

/*
 * Where a post came from.  For files: the file name (or "-" for stdin) and
 * the byte offset of the record's first byte in the decompressed stream;
 * `index` is the element's index inside a record that holds many posts (a
 * Telegram export's messages[], an X response's data[]), otherwise 0.  For
 * Kafka: source = topic, partition in `partition`, offset = offset.
 */
struct ingest_pos {
    const char *source; /* borrowed from the source object, NUL-terminated */
    int32_t partition;  /* -1 for files */
    uint64_t offset;
    uint32_t index;
};

struct ingest_record {
    const char *data; /* borrowed; not NUL-terminated */
    size_t len;
    struct ingest_pos pos;
    int64_t arrival_ms;        /* when the record arrived (read time, Kafka ts) */
    enum ingest_schema schema; /* hint from the source: a Telegram export
                                  file says TELEGRAM; AUTO otherwise */
    int oversize;              /* the record exceeded max_record: data holds
                                  only its first max_record bytes */
};

/* ---------------------------------------------------------------------------
 * Posts
 * ------------------------------------------------------------------------ */

enum ingest_post_flags {
    INGEST_POST_TRUNCATED = 1 << 0,   /* text cut to max_text */
    INGEST_POST_TS_ARRIVAL = 1 << 1,  /* ts missing or unparseable: the post is undated;
                                         ts_ms holds its arrival time (a file's read time,
                                         the Kafka message's timestamp), which is no event
                                         time and must not be counted in a time series */
    INGEST_POST_HAS_METRICS = 1 << 2, /* views/likes/shares present */
};

/* A decoded post.  Absent string fields have n == 0 (JSON null and "" count as
 * absent).  Strings are valid UTF-8 (validated once, here), NUL-terminated for
 * convenience, and borrowed.  Numeric ids are printed in decimal; reply_to and
 * repost_of carry the same platform prefix as id ("tg:", "vk:", "x:") when the
 * schema builds them from ids.  A Telegram export's "date" has no offset and
 * is read as UTC; "date_unixtime" is preferred when present. */
struct ingest_post {
    struct kz_str id;       /* "tg:123", "vk:-1_45", "x:1790...", or as given */
    struct kz_str platform; /* telegram, vk, x, facebook, instagram, blog, news, ... */
    struct kz_str author;
    struct kz_str channel;
    struct kz_str lang; /* the source's language hint, if any */
    struct kz_str region;
    struct kz_str url;
    struct kz_str reply_to;
    struct kz_str repost_of;
    struct kz_str text;           /* at most max_text bytes */
    size_t text_full_len;         /* length before truncation */
    int64_t ts_ms;                /* event time, ms since the epoch (UTC) */
    int64_t views, likes, shares; /* -1 when absent */
    unsigned flags;               /* enum ingest_post_flags */
    enum ingest_schema schema;    /* the schema actually used */
    struct ingest_pos pos;
};

/* ---------------------------------------------------------------------------
 * Dead letters
 * ------------------------------------------------------------------------ */

enum ingest_dl_reason {
    INGEST_DL_BAD_JSON = 0, /* not parseable JSON */
    INGEST_DL_BAD_UTF8,     /* bytes are not valid UTF-8 */
    INGEST_DL_NOT_OBJECT,   /* JSON, but not an object */
    INGEST_DL_NO_TEXT,      /* no text field */
    INGEST_DL_EMPTY_TEXT,   /* text present but empty or only whitespace */
    INGEST_DL_BAD_TYPE,     /* a known field has the wrong JSON type */
    INGEST_DL_FUTURE_TS,    /* ts more than max_future_ms after arrival */
    INGEST_DL_TOO_LARGE,    /* record longer than max_record */
    INGEST_DL_REASON_COUNT
};

/* Stable snake_case names used in dead-letter files, reports and Kafka headers:
 * bad_json, bad_utf8, not_object, no_text, empty_text, bad_type, future_ts,
 * too_large. */
const char *ingest_dl_reason_name(enum ingest_dl_reason r);

struct ingest_dead {
    enum ingest_dl_reason reason;
    const char *detail; /* human detail, e.g. `field "ts": expected string or
                           number, got boolean`; NUL-terminated, borrowed */
    struct ingest_pos pos;
    const char *raw; /* the offending bytes (the record, or the element) */
    size_t raw_len;
};

/*
 * Write one dead letter as a JSON line:
 *   {"reason":"bad_utf8","detail":"...","source":"a.jsonl","position":1234,
 *    "index":0,"raw":"...","raw_b64":"..."}
 * ("partition" is added after "source" when pos.partition >= 0.)
 * "raw" is the record as text: valid UTF-8 is kept, each invalid byte becomes
 * U+FFFD; "raw_b64" (base64 of the exact bytes) is present only when the raw
 * bytes were not valid UTF-8, so nothing is ever lost.  Returns 0 or KZ_EIO.
 */
int ingest_dead_write_json(FILE *f, const struct ingest_dead *d);

/* ---------------------------------------------------------------------------
 * Decoder
 * ------------------------------------------------------------------------ */

struct ingest_decoder;

/* Callbacks return 0 to go on; a non-zero return stops decoding of the
 * current record and is returned by ingest_decode(). */
typedef int (*ingest_post_fn)(void *ctx, const struct ingest_post *post);
typedef int (*ingest_dead_fn)(void *ctx, const struct ingest_dead *dead);

/* Per-decoder counters, for the run report. */
struct ingest_stats {
    uint64_t records; /* records seen */
    uint64_t posts;   /* posts emitted */
    uint64_t dead[INGEST_DL_REASON_COUNT];
    uint64_t truncated;                      /* posts with INGEST_POST_TRUNCATED */
    uint64_t ts_arrival;                     /* posts with INGEST_POST_TS_ARRIVAL: undated */
    uint64_t skipped_service;                /* Telegram service messages skipped */
    uint64_t by_schema[INGEST_SCHEMA_COUNT]; /* posts per enum ingest_schema */
    uint64_t skipped_empty;                  /* containers (messages[], data[]) with no element */
    uint64_t elements;                       /* units decoded: 1 per plain record, 1 per element
                                                of a container (1 for an empty container).
                                                Invariant: elements == posts + sum(dead) +
                                                skipped_service + skipped_empty. */
};

/* A decoder for cfg (NULL: the defaults).  KZ_EINVAL when cfg fails
 * ingest_config_check() (call that for the message), or KZ_ENOMEM. */
int ingest_decoder_new(const struct ingest_config *cfg, struct ingest_decoder **out);
void ingest_decoder_free(struct ingest_decoder *dec);

/*
 * Decode one record.  Calls on_post for every post and on_dead for every dead
 * letter it contains: a JSONL line gives one of either; a Telegram export or an
 * X response with data[] gives many.  Every byte of input ends up in exactly
 * one post, one dead letter, or one counted skip (Telegram service messages,
 * empty messages[] or data[]).
 * Returns 0, a callback's non-zero return, or KZ_ENOMEM.
 */
int ingest_decode(struct ingest_decoder *dec, const struct ingest_record *rec,
                  ingest_post_fn on_post, ingest_dead_fn on_dead, void *ctx);

const struct ingest_stats *ingest_decoder_stats(const struct ingest_decoder *dec);
/* Add from's counts to to's and zero from's: the decoders of one walk's
 * threads counted as one. */
void ingest_decoder_stats_move(struct ingest_decoder *to, struct ingest_decoder *from);

/*
 * Parse a timestamp: RFC 3339 with any offset ("2026-03-08T14:05:00+05:00",
 * "...Z", fractional seconds), or an epoch number: seconds when below 1e11,
 * milliseconds otherwise.  Returns 0 and *ms, or KZ_EDECODE.
 */
int ingest_parse_time(const char *s, size_t n, int64_t *ms);
int ingest_time_from_number(double v, int64_t *ms);

/*
 * Parse a time spec -- the edge of a window as a person gives it (--from,
 * --to, and the HTTP API's from/to) -- relative to now_ms (the caller's
 * clock, so the function is pure and thread-safe):
 *   RFC 3339 with Z or an offset     2026-03-05T14:00:00+05:00
 *   epoch, digits only               1772960700 (seconds: below 1e11), 1772960700000 (ms)
 *   now                              now_ms
 *   a time ago, -<digits>[unit]      -30s -15m -2h -7d -1w; no unit = seconds (-3600)
 * Nothing else: no sign on an epoch ("-3600" is an hour ago, not 1969), no
 * spaces, no fractions, units in lower case, at most 12 digits in a time
 * ago.  Returns 0 and *ms, or KZ_EINVAL with a one-line message in err (what
 * is accepted, and the input quoted); *ms is untouched on failure.  Whether
 * the time is in the future is the caller's rule, not this parser's.
 */
int ingest_time_spec_parse(const char *s, size_t n, int64_t now_ms, int64_t *ms, char *err,
                           size_t errlen);

/* Length of the longest valid UTF-8 prefix of s (== n when all valid). */
size_t ingest_utf8_valid_prefix(const char *s, size_t n);

/* ---------------------------------------------------------------------------
 * Sources
 * ------------------------------------------------------------------------ */

struct ingest_source;

/*
 * Open a file ("-" for stdin).  Compression is detected by magic bytes (gzip
 * 1f 8b, zstd 28 b5 2f fd), never by name.  A file whose first non-blank byte
 * is '{' and that parses as one JSON object with a "messages" array is a
 * Telegram Desktop export: it yields one record (the whole document, schema
 * hint TELEGRAM) that the decoder splits into messages; anything else is JSONL,
 * one record per line (blank lines skipped, a trailing '\r' dropped, a UTF-8
 * BOM at the start skipped).  A file whose first line is by itself a complete
 * JSON object is always JSONL.  An export must fit in max_record; a larger one
 * (first line just "{") is one oversize record.  Because the source reads
 * ahead at open, a decompression error may be reported here already.  On
 * failure returns KZ_EIO, KZ_EDECODE or KZ_ENOMEM with a message in err.
 */
int ingest_source_open(const char *path, const struct ingest_config *cfg,
                       struct ingest_source **out, char *err, size_t errlen);

/* Next record: returns 1 and fills *rec, 0 at end of input, or a negative
 * KZ_E* code on a read or decompression error (message in err). */
int ingest_source_next(struct ingest_source *src, struct ingest_record *rec, char *err,
                       size_t errlen);

/* Bytes consumed so far (compressed bytes for compressed files), for progress. */
uint64_t ingest_source_bytes(const struct ingest_source *src);
/* The file's size in the same bytes (0: not known, as for a pipe). */
uint64_t ingest_source_size(const struct ingest_source *src);

void ingest_source_close(struct ingest_source *src);

/* ---------------------------------------------------------------------------
 * Kafka source (source_kafka.c): a consumer group, and the dead-letter topics
 * ------------------------------------------------------------------------ */

/*
 * One consumer in a Kafka consumer group and one idempotent producer for the
 * dead letters, which go to "<topic>.dlq" of the record's topic.  The caller
 * drives it: ingest_kafka_poll() yields records; the caller applies them
 * somewhere and then hands the positions back to ingest_kafka_commit().
 * Nothing is committed otherwise (enable.auto.commit and
 * enable.auto.offset.store are off), so the caller's store can hold the truth
 * and the committed offsets are a hint.  Rebalances happen inside
 * ingest_kafka_poll() and ingest_kafka_close() and call the hooks.
 *
 * Ownership: a record from ingest_kafka_poll() borrows the consumed message,
 * valid until the next poll or free; positions and dead letters given to the
 * other calls are borrowed for the call.  The configuration's strings are
 * borrowed during ingest_kafka_new() only.  Errors: 0 or a negative KZ_E*,
 * with a message in err where there is one.
 */
struct ingest_kafka;

struct ingest_kafka_prop {
    const char *key, *value;
};

struct ingest_kafka_config {
    const char *brokers;       /* bootstrap.servers */
    const char *group;         /* group.id */
    const char *const *topics; /* subscribed; dead letters of T go to "T.dlq" */
    int ntopics;
    /* librdkafka properties (-X key=value), set in order after the defaults:
     * the consumer takes them all, the DLQ producer those that are not
     * consumer-only (group.*, session.*, fetch.*, auto.*, ...). */
    const struct ingest_kafka_prop *props;
    int nprops;
    size_t max_record; /* longer messages are cut and flagged oversize */
    int track_eof;     /* report partition ends (--until-eof) */
};

/* A partition, as the revoke hook sees it (topic borrowed for the call). */
struct ingest_kafka_partition {
    const char *topic;
    int32_t partition;
};

/* What the caller decides; any hook may be NULL.  Hooks run on the caller's
 * thread, inside ingest_kafka_poll() or ingest_kafka_close(). */
struct ingest_kafka_hooks {
    /* A partition is being assigned: 0 with *next = the offset to read first;
     * KZ_ENOTFOUND to start at the group's committed offset (else the
     * earliest); another KZ_E* code (message in err) fails the source:
     * ingest_kafka_poll() returns it.  NULL: committed offsets. */
    int (*start)(void *ctx, const char *topic, int32_t partition, int64_t *next, char *err,
                 size_t errlen);
    /* Partitions are about to be taken away (all: the whole assignment):
     * make what was read from them safe now.  Non-zero fails the source. */
    int (*revoke)(void *ctx, const struct ingest_kafka_partition *parts, size_t n, int all,
                  char *err, size_t errlen);
    /* Asked while a call waits on the broker (a full DLQ queue): non-zero
     * ends the wait (KZ_EAGAIN). */
    int (*cancel)(void *ctx);
    /* A consumer error worth a log line; the source goes on. */
    void (*log)(void *ctx, const char *msg);
};

/* Counters since the source was made. */
struct ingest_kafka_stats {
    uint64_t dlq_sent;       /* dead letters handed to the producer */
    uint64_t dlq_failed;     /* dead letters the broker did not take in the end */
    uint64_t commits_failed; /* commit requests refused locally */
};

/*
 * Make the DLQ producer (asking the broker once for every "<topic>.dlq", so a
 * missing one is created now and not on the first dead letter) and the
 * consumer, and subscribe.  Returns 0, KZ_EINVAL (a property librdkafka
 * refuses; err names it, as "-X key: why"), KZ_EIO (the client could not be
 * made, or the subscription failed) or KZ_ENOMEM.
 */
int ingest_kafka_new(const struct ingest_kafka_config *cfg, const struct ingest_kafka_hooks *hooks,
                     void *ctx, struct ingest_kafka **out, char *err, size_t errlen);

/* Wait up to timeout_ms for the next message: 1 and *rec (schema AUTO,
 * arrival = the message's timestamp, else now), 0 when there was none (or
 * only a partition end, or a consumer error given to the log hook), or a
 * negative KZ_E* when a hook failed during a rebalance (its message in err). */
int ingest_kafka_poll(struct ingest_kafka *k, int timeout_ms, struct ingest_record *rec, char *err,
                      size_t errlen);

/* With track_eof: has every assigned partition been read to its end?  (0
 * while nothing is assigned; a message read after an end clears it.) */
int ingest_kafka_drained(const struct ingest_kafka *k);

/* Commit, asynchronously, pos[i].offset + 1 for each position (those with a
 * NULL source are skipped): the caller has applied everything up to pos[i].
 * 0, or KZ_EIO when the request was refused (counted; the next commit covers
 * it). */
int ingest_kafka_commit(struct ingest_kafka *k, const struct ingest_pos *pos, size_t n);

/* Read the given partitions again from pos[i].offset (partitions no longer
 * assigned are ignored).  0; KZ_EAGAIN when the seeks did not finish within
 * 5 s (the state of those partitions is unknown: seek them again), or KZ_EIO
 * when refused; err says which. */
int ingest_kafka_seek(struct ingest_kafka *k, const struct ingest_pos *pos, size_t n, char *err,
                      size_t errlen);

/* Stop fetching every assigned partition, and start again: what was fetched
 * but not yet polled is dropped and fetched again after the last record
 * polled, so nothing is skipped.  0 or KZ_EIO. */
int ingest_kafka_pause(struct ingest_kafka *k);
int ingest_kafka_resume(struct ingest_kafka *k);

/* Send a dead letter to "<d->pos.source>.dlq": the record's bytes as the
 * value, the key "<partition>:<offset>", headers kzp-reason, kzp-detail,
 * kzp-topic, kzp-partition, kzp-offset.  kafka is the struct ingest_kafka
 * (the signature is that of ingest_dead_fn).  0, KZ_EAGAIN (the local queue
 * stayed full and the cancel hook said stop) or KZ_EIO. */
int ingest_kafka_dead(void *kafka, const struct ingest_dead *d);

/* Wait up to timeout_ms for the broker to confirm every dead letter sent so
 * far: 0, KZ_EAGAIN (some are still unconfirmed), or KZ_EIO with a message
 * when any could not be written at all. */
int ingest_kafka_dlq_flush(struct ingest_kafka *k, int timeout_ms, char *err, size_t errlen);
/* Drop the dead letters not yet confirmed (the records they came from will
 * be read and sent again). */
void ingest_kafka_dlq_purge(struct ingest_kafka *k);

/* Consumer lag: over the assigned partitions, high watermark - position,
 * from librdkafka's cache (no request); -1 when nothing is known. */
int64_t ingest_kafka_lag(struct ingest_kafka *k);
const struct ingest_kafka_stats *ingest_kafka_stats(const struct ingest_kafka *k);

/* Leave the group: the revoke hook runs, positions not yet committed are
 * sent, then the group is told (a coordinator that does not answer is given
 * up after about 5 s). */
int ingest_kafka_close(struct ingest_kafka *k);
/* ingest_kafka_close() for a process that was asked to stop: the same steps,
 * given up after wait_ms (a broker that does not answer).  0 closed;
 * KZ_EAGAIN not within wait_ms (the group is not told: it notices at the
 * session timeout; no hook runs after the return), KZ_EIO or KZ_ENOMEM. */
int ingest_kafka_close_within(struct ingest_kafka *k, int wait_ms);
/* Destroy; without a completed close, the group is not told and no hook
 * runs.  Waits up to 5 s for dead letters still unconfirmed (none after
 * ingest_kafka_dlq_purge()). */
void ingest_kafka_free(struct ingest_kafka *k);
/* ingest_kafka_free() bounded for a process about to exit after a cut-short
 * stop: librdkafka's destroy waits for requests an unresponsive broker may
 * never answer (until socket.timeout.ms), so the teardown runs on its own
 * thread and is waited for at most wait_ms; one that takes longer is left to
 * finish while the process exits.  1 when it finished, 0 when left. */
int ingest_kafka_free_within(struct ingest_kafka *k, int wait_ms);

#endif /* KZ_INGEST_H */
