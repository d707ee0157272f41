/*
 * decode.c -- records to posts and dead letters.
 *
 * A record goes through a fixed sequence of gates, each of which can turn it
 * into a dead letter with one reason, so a given record always gets the same
 * reason: size (too_large), raw bytes (bad_utf8, checked by us before jansson
 * so the reason is ours and the offset is exact), syntax (bad_json, with
 * jansson's line/column message), shape (not_object), then the schema mapping
 * (bad_type), text (no_text, empty_text) and time (future_ts).  Containers --
 * a Telegram export's messages[] and an X response's data[] -- are split here,
 * and each element goes through the shape and mapping gates on its own, with
 * pos.index set to its index and, when it is dead-lettered, raw set to the
 * element re-serialized by jansson.
 *
 * Schema choice: the decoder's configured schema if not AUTO, else the
 * record's hint (a Telegram export file), else detection per object
 * (ingest_schema_detect() and the container shapes below).  Each schema's
 * mapping and detector come from the schema table in schema.c; only the two
 * container documents -- a Telegram export and an X API response, which wrap
 * posts rather than being one -- are known here by name.
 *
 * Truncation: a text longer than max_text is cut at the last character
 * boundary at or before max_text bytes.  max_text is at least
 * INGEST_MAX_TEXT_MIN (4 bytes, the longest UTF-8 character), so the character
 * holding byte max_text starts at byte 1 or later and the cut keeps at least
 * one whole character.  A decoder cannot be made with a smaller limit; the cut
 * keeps the first character whole all the same (a few bytes over the limit)
 * rather than hand out a post with empty text, which every consumer may
 * assume never happens.
 *
 * Memory: post strings are borrowed from the jansson tree or composed in one
 * scratch buffer, and dead-letter raw text in another; both are reused for
 * every record, so after warm-up the only allocations are jansson's parse.
 *
 * Invariant kept in ingest_stats: every element ends as exactly one post, one
 * dead letter or one counted skip (elements == posts + sum(dead) +
 * skipped_service + skipped_empty).
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_impl.h"

struct ingest_decoder {
    struct ingest_config cfg;
    struct ingest_stats stats;
    struct ingest_scratch sc;  /* post strings, reset per post */
    struct ingest_scratch raw; /* re-serialized container elements */
    struct ingest_map map;
    char detail[512];
};

/* The state of one ingest_decode() call. */
struct call {
    struct ingest_decoder *dec;
    const struct ingest_record *rec;
    ingest_post_fn on_post;
    ingest_dead_fn on_dead;
    void *ctx;
};

void ingest_config_default(struct ingest_config *cfg)
{
    cfg->schema = INGEST_SCHEMA_AUTO;
    cfg->max_text = 64 * 1024;
    cfg->max_record = 16 * 1024 * 1024;
    cfg->max_document = (size_t)1024 * 1024 * 1024;
    cfg->max_future_ms = 86400000;
}

int ingest_config_check(const struct ingest_config *cfg, char *err, size_t errlen)
{
    char dummy[1];

    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    err[0] = '\0';
    if ((unsigned)cfg->schema >= INGEST_SCHEMA_COUNT) {
        snprintf(err, errlen, "schema: %d is not a known schema", (int)cfg->schema);
        return KZ_EINVAL;
    }
    if (cfg->max_text < INGEST_MAX_TEXT_MIN) {
        snprintf(err, errlen,
                 "max_text: %zu bytes is below the minimum of %d, the longest UTF-8 character "
                 "(a shorter limit could cut every character and leave no text)",
                 cfg->max_text, INGEST_MAX_TEXT_MIN);
        return KZ_EINVAL;
    }
    if (cfg->max_record == 0) {
        snprintf(err, errlen, "max_record: must be at least 1 byte, got 0");
        return KZ_EINVAL;
    }
    if (cfg->max_future_ms < 0) {
        snprintf(err, errlen, "max_future_ms: must be 0 or more, got %lld",
                 (long long)cfg->max_future_ms);
        return KZ_EINVAL;
    }
    return 0;
}

int ingest_decoder_new(const struct ingest_config *cfg, struct ingest_decoder **out)
{
    struct ingest_decoder *dec;

    *out = NULL;
    if (cfg && ingest_config_check(cfg, NULL, 0))
        return KZ_EINVAL;
    dec = calloc(1, sizeof(*dec));
    if (!dec)
        return KZ_ENOMEM;
    if (cfg)
        dec->cfg = *cfg;
    else
        ingest_config_default(&dec->cfg);
    dec->map.sc = &dec->sc;
    dec->map.detail = dec->detail;
    dec->map.detail_len = sizeof(dec->detail);
    *out = dec;
    return 0;
}

void ingest_decoder_free(struct ingest_decoder *dec)
{
    if (!dec)
        return;
    ingest_scratch_free(&dec->sc);
    ingest_scratch_free(&dec->raw);
    free(dec);
}

const struct ingest_stats *ingest_decoder_stats(const struct ingest_decoder *dec)
{
    return &dec->stats;
}

/* ---------------------------------------------------------------------------
 * Dead letters
 * ------------------------------------------------------------------------ */

/* Emit a dead letter whose detail is already in dec->detail.  `el` is the
 * container element it stands for, or NULL for the whole record. */
static int dead(struct call *c, enum ingest_dl_reason reason, uint32_t index, const json_t *el)
{
    struct ingest_decoder *dec = c->dec;
    struct ingest_dead d = {reason, dec->detail, c->rec->pos, c->rec->data, c->rec->len};

    assert((unsigned)reason < INGEST_DL_REASON_COUNT);
    if (!d.raw)
        d.raw_len = 0;
    d.pos.index = index;
    if (el) {
        const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
        size_t n = json_dumpb(el, dec->raw.p, dec->raw.cap, flags);
        if (n > dec->raw.cap) {
            dec->raw.len = 0;
            if (ingest_scratch_reserve(&dec->raw, n))
                return KZ_ENOMEM;
            n = json_dumpb(el, dec->raw.p, dec->raw.cap, flags);
        }
        if (n == 0 || n > dec->raw.cap)
            return KZ_ENOMEM; /* jansson fails only when it cannot allocate */
        d.raw = dec->raw.p;
        d.raw_len = n;
    }
    dec->stats.dead[reason]++;
    return c->on_dead ? c->on_dead(c->ctx, &d) : 0;
}

static int deadf(struct call *c, enum ingest_dl_reason reason, uint32_t index, const json_t *el,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int deadf(struct call *c, enum ingest_dl_reason reason, uint32_t index, const json_t *el,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->dec->detail, sizeof(c->dec->detail), fmt, ap);
    va_end(ap);
    return dead(c, reason, index, el);
}

/* ---------------------------------------------------------------------------
 * One post
 * ------------------------------------------------------------------------ */

/* Cut the text to max_text bytes at a UTF-8 boundary, NUL-terminated; at
 * least one whole character is kept (see the top of the file). */
static int truncate_text(struct ingest_decoder *dec, struct ingest_map *m)
{
    const char *t = m->text.p ? m->text.p : dec->sc.p + m->text.off;
    size_t cut = dec->cfg.max_text;

    assert(cut < m->text.n);
    /* The text is valid UTF-8, so backing off over continuation bytes (at
     * most three) lands on the first byte of a character. */
    while (cut > 0 && ((unsigned char)t[cut] & 0xC0) == 0x80)
        cut--;
    if (cut == 0) /* only with max_text below INGEST_MAX_TEXT_MIN */
        cut = ingest_utf8_seq_len((const unsigned char *)t, m->text.n);
    assert(cut > 0 && cut <= m->text.n);
    assert(cut == m->text.n || ((unsigned char)t[cut] & 0xC0) != 0x80);
    if (m->text.p) {
        /* Borrowed from jansson: copy, because the post's text must be
         * NUL-terminated where it ends. */
        size_t off = dec->sc.len;
        if (ingest_scratch_reserve(&dec->sc, cut + 1))
            return KZ_ENOMEM;
        memcpy(dec->sc.p + off, m->text.p, cut);
        dec->sc.p[off + cut] = '\0';
        dec->sc.len += cut + 1;
        m->text.p = NULL;
        m->text.off = off;
    } else {
        dec->sc.p[m->text.off + cut] = '\0';
    }
    m->text.n = cut;
    return 0;
}

static int decode_post(struct call *c, json_t *obj, enum ingest_schema schema, uint32_t index,
                       const json_t *el, const struct ingest_val *channel)
{
    struct ingest_decoder *dec = c->dec;
    struct ingest_map *m = &dec->map;
    struct ingest_post p;
    int rc;

    /* Auto is resolved (forced, hinted or detected) before a post is mapped. */
    assert(schema != INGEST_SCHEMA_AUTO && (unsigned)schema < INGEST_SCHEMA_COUNT);
    ingest_map_reset(m);
    if (channel)
        m->channel = *channel;
    rc = ingest_schema_mapping(schema)(m, obj);
    if (rc == KZ_EDECODE)
        return dead(c, m->reason, index, el);
    if (rc)
        return rc;
    if (m->service) {
        dec->stats.skipped_service++;
        return 0;
    }
    if (!m->text_present)
        return deadf(c, INGEST_DL_NO_TEXT, index, el, "field \"text\" missing");
    if (m->text.n == 0)
        return deadf(c, INGEST_DL_EMPTY_TEXT, index, el, "field \"text\" is empty");
    struct kz_str text = ingest_val_str(&m->text, &dec->sc);
    if (ingest_utf8_is_blank(text.p, text.n))
        return deadf(c, INGEST_DL_EMPTY_TEXT, index, el,
                     "field \"text\" holds only white space (%zu bytes)", text.n);

    memset(&p, 0, sizeof(p));
    if (m->has_ts) {
        int64_t arrival = c->rec->arrival_ms;
        if (arrival <= INT64_MAX - dec->cfg.max_future_ms &&
            m->ts_ms > arrival + dec->cfg.max_future_ms) {
            char ts[40], ar[40];
            ingest_time_format(m->ts_ms, ts, sizeof(ts));
            ingest_time_format(arrival, ar, sizeof(ar));
            return deadf(c, INGEST_DL_FUTURE_TS, index, el,
                         "ts %s is %lld ms after arrival %s (max_future_ms %lld)", ts,
                         (long long)(m->ts_ms - arrival), ar, (long long)dec->cfg.max_future_ms);
        }
        p.ts_ms = m->ts_ms;
    } else {
        p.ts_ms = c->rec->arrival_ms;
        p.flags |= INGEST_POST_TS_ARRIVAL;
    }
    p.text_full_len = m->text.n;
    if (m->text.n > dec->cfg.max_text) {
        if ((rc = truncate_text(dec, m)))
            return rc;
        if (m->text.n < p.text_full_len)
            p.flags |= INGEST_POST_TRUNCATED;
    }

    /* The scratch buffer no longer moves: resolve offsets to pointers. */
    p.id = ingest_val_str(&m->id, &dec->sc);
    p.platform = ingest_val_str(&m->platform, &dec->sc);
    p.author = ingest_val_str(&m->author, &dec->sc);
    p.channel = ingest_val_str(&m->channel, &dec->sc);
    p.lang = ingest_val_str(&m->lang, &dec->sc);
    p.region = ingest_val_str(&m->region, &dec->sc);
    p.url = ingest_val_str(&m->url, &dec->sc);
    p.reply_to = ingest_val_str(&m->reply_to, &dec->sc);
    p.repost_of = ingest_val_str(&m->repost_of, &dec->sc);
    p.text = ingest_val_str(&m->text, &dec->sc);
    p.views = m->views;
    p.likes = m->likes;
    p.shares = m->shares;
    if (p.views >= 0 || p.likes >= 0 || p.shares >= 0)
        p.flags |= INGEST_POST_HAS_METRICS;
    p.schema = schema;
    p.pos = c->rec->pos;
    p.pos.index = index;

    dec->stats.posts++;
    dec->stats.by_schema[schema]++;
    if (p.flags & INGEST_POST_TRUNCATED)
        dec->stats.truncated++;
    if (p.flags & INGEST_POST_TS_ARRIVAL)
        dec->stats.ts_arrival++;
    return c->on_post ? c->on_post(c->ctx, &p) : 0;
}

/* ---------------------------------------------------------------------------
 * Containers
 * ------------------------------------------------------------------------ */

/* Decode each element of arr as a post of `schema` (AUTO: detect per
 * element).  Elements are dead-lettered on their own, with their own bytes. */
static int decode_array(struct call *c, const json_t *arr, enum ingest_schema schema,
                        const struct ingest_val *channel)
{
    struct ingest_decoder *dec = c->dec;
    size_t i, n = json_array_size(arr);
    int rc;

    if (n == 0) {
        dec->stats.elements++;
        dec->stats.skipped_empty++;
        return 0;
    }
    for (i = 0; i < n; i++) {
        json_t *el = json_array_get(arr, i);
        uint32_t index = i > UINT32_MAX ? UINT32_MAX : (uint32_t)i;
        dec->stats.elements++;
        if (!json_is_object(el))
            rc = deadf(c, INGEST_DL_NOT_OBJECT, index, el,
                       "element %zu: expected a JSON object, got %s", i, ingest_json_type_name(el));
        else
            rc =
                decode_post(c, el, schema == INGEST_SCHEMA_AUTO ? ingest_schema_detect(el) : schema,
                            index, el, channel);
        if (rc)
            return rc;
    }
    return 0;
}

static int decode_object(struct call *c, json_t *obj)
{
    struct ingest_decoder *dec = c->dec;
    enum ingest_schema s = dec->cfg.schema;
    const json_t *v;

    if (s == INGEST_SCHEMA_AUTO)
        s = c->rec->schema;
    if ((unsigned)s >= INGEST_SCHEMA_COUNT)
        s = INGEST_SCHEMA_AUTO;

    /* A Telegram Desktop export: {"name": ..., "messages": [...]}. */
    v = json_object_get(obj, "messages");
    if ((s == INGEST_SCHEMA_AUTO || s == INGEST_SCHEMA_TELEGRAM) && json_is_array(v)) {
        struct ingest_val channel = {NULL, 0, 0};
        const json_t *name = json_object_get(obj, "name");
        if (json_is_string(name))
            channel = (struct ingest_val){json_string_value(name), 0, json_string_length(name)};
        return decode_array(c, v, INGEST_SCHEMA_TELEGRAM, &channel);
    }

    /* An X API v2 response: {"data": {...}} or {"data": [...]}.  In AUTO
     * mode a top-level "text" means a generic post that has a "data" field. */
    v = json_object_get(obj, "data");
    if ((s == INGEST_SCHEMA_X && v && !json_is_null(v)) ||
        (s == INGEST_SCHEMA_AUTO && (json_is_object(v) || json_is_array(v)) &&
         !json_object_get(obj, "text"))) {
        if (json_is_array(v))
            return decode_array(c, v, INGEST_SCHEMA_X, NULL);
        dec->stats.elements++;
        if (json_is_object(v))
            return decode_post(c, (json_t *)v, INGEST_SCHEMA_X, 0, NULL, NULL);
        return deadf(c, INGEST_DL_BAD_TYPE, 0, NULL,
                     "field \"data\": expected object or array, got %s", ingest_json_type_name(v));
    }

    dec->stats.elements++;
    if (s == INGEST_SCHEMA_AUTO)
        s = ingest_schema_detect(obj);
    return decode_post(c, obj, s, 0, NULL, NULL);
}

/* ---------------------------------------------------------------------------
 * Records
 * ------------------------------------------------------------------------ */

static int decode_record(struct ingest_decoder *dec, const struct ingest_record *rec,
                         ingest_post_fn on_post, ingest_dead_fn on_dead, void *ctx)
{
    struct call c = {dec, rec, on_post, on_dead, ctx};
    const char *data = rec->data ? rec->data : "";
    size_t len = rec->data ? rec->len : 0, bad;
    json_error_t jerr;
    json_t *root;
    int rc;

    dec->stats.records++;
    /* A whole export document has its own, larger limit. */
    size_t limit =
        rec->schema == INGEST_SCHEMA_TELEGRAM && dec->cfg.max_document > dec->cfg.max_record
            ? dec->cfg.max_document
            : dec->cfg.max_record;
    const char *limit_name = limit == dec->cfg.max_record ? "max_record" : "max_document";
    if (rec->oversize || len > limit) {
        dec->stats.elements++;
        if (rec->oversize)
            return deadf(&c, INGEST_DL_TOO_LARGE, 0, NULL,
                         "record longer than %s (%zu bytes); only its first %zu bytes kept",
                         limit_name, limit, len);
        return deadf(&c, INGEST_DL_TOO_LARGE, 0, NULL, "record of %zu bytes exceeds %s (%zu bytes)",
                     len, limit_name, limit);
    }
    bad = ingest_utf8_valid_prefix(data, len);
    if (bad != len) {
        dec->stats.elements++;
        return deadf(&c, INGEST_DL_BAD_UTF8, 0, NULL, "invalid UTF-8 at byte %zu (0x%02x)", bad,
                     (unsigned char)data[bad]);
    }
    /* Some Windows tools start every file with a BOM; it is not JSON. */
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    root = json_loadb(data, len, JSON_DECODE_ANY, &jerr);
    if (!root) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return KZ_ENOMEM;
        dec->stats.elements++;
        return deadf(&c, INGEST_DL_BAD_JSON, 0, NULL, "line %d column %d: %s", jerr.line,
                     jerr.column, jerr.text);
    }
    if (!json_is_object(root)) {
        dec->stats.elements++;
        rc = deadf(&c, INGEST_DL_NOT_OBJECT, 0, NULL, "expected a JSON object, got %s",
                   ingest_json_type_name(root));
    } else {
        rc = decode_object(&c, root);
    }
    json_decref(root);
    return rc;
}

#ifndef NDEBUG
/* The accounting invariant of the top of the file. */
static int stats_balanced(const struct ingest_stats *st)
{
    uint64_t dead = 0;
    for (int r = 0; r < INGEST_DL_REASON_COUNT; r++)
        dead += st->dead[r];
    return st->elements == st->posts + dead + st->skipped_service + st->skipped_empty;
}
#endif

int ingest_decode(struct ingest_decoder *dec, const struct ingest_record *rec,
                  ingest_post_fn on_post, ingest_dead_fn on_dead, void *ctx)
{
    int rc = decode_record(dec, rec, on_post, on_dead, ctx);

    /* Out of memory may leave an element counted with no outcome; a stop
     * asked by a callback never does, as outcomes are counted before the
     * callback is called. */
    assert(rc == KZ_ENOMEM || stats_balanced(&dec->stats));
    return rc;
}
