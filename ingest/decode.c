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
 * Two readers of the JSON, one outcome: a record is first read in one pass
 * without a DOM (pull.c: a tape of tokens, reused for every record), and the
 * schema mappings read the tape.  Whatever that pass leaves to jansson (see
 * pull.c: all that is not JSON, so bad_json keeps jansson's message, and
 * some JSON) and every container (a Telegram export, an X data[] array: a
 * dead element's raw bytes are jansson's re-serialization) are read again
 * from the start by jansson.  What the tape reads, it reads with jansson's
 * values, so the mappings give the same posts and the same dead letters
 * (bad_type, no_text, empty_text, future_ts: reason, detail, and the record
 * as raw bytes) from either; tests/test_ingest_pull.c and
 * tests/fuzz/fuzz_decode_diff.c compare the two, ingest_test.h's switch
 * turning the tape off.  The tape hands a record over only before anything
 * of it is handed out or counted, but stats.elements, which is put back.
 *
 * Memory: post strings are borrowed from the tape's mirror of the record, the
 * jansson tree or composed in one scratch buffer, and dead-letter raw text in
 * another; all are reused for every record, so after warm-up a post read by
 * the tape allocates nothing.
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
#include "ingest_test.h"

struct ingest_decoder {
    struct ingest_config cfg;
    struct ingest_stats stats;
    struct ingest_scratch sc;  /* post strings, reset per post */
    struct ingest_scratch raw; /* re-serialized container elements */
    struct ingest_map map;
    struct ingest_tape tape; /* the pull decoder's, reused for every record */
    int dom;                 /* 1: jansson for every record (tests) */
    uint64_t pulled;         /* records read through the tape alone */
    char detail[512];
};

/* The state of one ingest_decode() call. */
struct call {
    struct ingest_decoder *dec;
    const struct ingest_record *rec;
    ingest_post_fn on_post;
    ingest_dead_fn on_dead;
    void *ctx;
    int pull;     /* reading the tape: a dead letter hands the record to jansson */
    int fallback; /* the tape's reading stopped: hand the record to jansson */
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
    ingest_tape_free(&dec->tape);
    free(dec);
}

const struct ingest_stats *ingest_decoder_stats(const struct ingest_decoder *dec)
{
    return &dec->stats;
}

void ingest_decoder_stats_move(struct ingest_decoder *to, struct ingest_decoder *from)
{
    struct ingest_stats *t = &to->stats, *f = &from->stats;

    t->records += f->records;
    t->posts += f->posts;
    for (size_t i = 0; i < INGEST_DL_REASON_COUNT; i++)
        t->dead[i] += f->dead[i];
    t->truncated += f->truncated;
    t->ts_arrival += f->ts_arrival;
    t->skipped_service += f->skipped_service;
    for (size_t i = 0; i < INGEST_SCHEMA_COUNT; i++)
        t->by_schema[i] += f->by_schema[i];
    t->skipped_empty += f->skipped_empty;
    t->elements += f->elements;
    memset(f, 0, sizeof *f);
}

/* ---------------------------------------------------------------------------
 * Dead letters
 * ------------------------------------------------------------------------ */

/* Emit a dead letter whose detail is already in dec->detail.  `el` is the
 * container element it stands for, or NULL for the whole record. */
static int dead(struct call *c, enum ingest_dl_reason reason, uint32_t index, struct ingest_jv el)
{
    struct ingest_decoder *dec = c->dec;
    struct ingest_dead d = {reason, dec->detail, c->rec->pos, c->rec->data, c->rec->len};

    assert((unsigned)reason < INGEST_DL_REASON_COUNT);
    if (el.t) {
        /* An element's raw bytes are jansson's serialization of it; the
         * tape never reaches here (decode_array() hands containers over). */
        c->fallback = 1;
        return KZ_EAGAIN;
    }
    if (!d.raw)
        d.raw_len = 0;
    d.pos.index = index;
    if (el.j) {
        const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
        size_t n = json_dumpb(el.j, dec->raw.p, dec->raw.cap, flags);
        if (n > dec->raw.cap) {
            dec->raw.len = 0;
            if (ingest_scratch_reserve(&dec->raw, n))
                return KZ_ENOMEM;
            n = json_dumpb(el.j, dec->raw.p, dec->raw.cap, flags);
        }
        if (n == 0 || n > dec->raw.cap)
            return KZ_ENOMEM; /* jansson fails only when it cannot allocate */
        d.raw = dec->raw.p;
        d.raw_len = n;
    }
    dec->stats.dead[reason]++;
    return c->on_dead ? c->on_dead(c->ctx, &d) : 0;
}

static int deadf(struct call *c, enum ingest_dl_reason reason, uint32_t index, struct ingest_jv el,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int deadf(struct call *c, enum ingest_dl_reason reason, uint32_t index, struct ingest_jv el,
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

static int decode_post(struct call *c, struct ingest_jv obj, enum ingest_schema schema,
                       uint32_t index, struct ingest_jv el, const struct ingest_val *channel)
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
static int decode_array(struct call *c, struct ingest_jv arr, enum ingest_schema schema,
                        const struct ingest_val *channel)
{
    struct ingest_decoder *dec = c->dec;
    size_t i, n = ingest_jv_size(arr);
    struct ingest_jiter it;
    struct ingest_jv el;
    int rc;

    if (c->pull) {
        /* Containers are rare on the hot path, and a dead element needs its
         * bytes as jansson writes them: jansson reads them. */
        c->fallback = 1;
        return KZ_EAGAIN;
    }
    if (n == 0) {
        dec->stats.elements++;
        dec->stats.skipped_empty++;
        return 0;
    }
    ingest_jiter_init(&it, arr);
    for (i = 0; ingest_jiter_next(&it, &el); i++) {
        uint32_t index = i > UINT32_MAX ? UINT32_MAX : (uint32_t)i;
        dec->stats.elements++;
        if (!ingest_jv_is(el, INGEST_J_OBJECT))
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

static int decode_object(struct call *c, struct ingest_jv obj)
{
    struct ingest_decoder *dec = c->dec;
    enum ingest_schema s = dec->cfg.schema;
    struct ingest_jv v;

    if (s == INGEST_SCHEMA_AUTO)
        s = c->rec->schema;
    if ((unsigned)s >= INGEST_SCHEMA_COUNT)
        s = INGEST_SCHEMA_AUTO;

    /* A Telegram Desktop export: {"name": ..., "messages": [...]}. */
    v = ingest_jv_get(obj, "messages");
    if ((s == INGEST_SCHEMA_AUTO || s == INGEST_SCHEMA_TELEGRAM) &&
        ingest_jv_is(v, INGEST_J_ARRAY)) {
        struct ingest_val channel = {NULL, 0, 0};
        struct ingest_jv name = ingest_jv_get(obj, "name");
        if (ingest_jv_is(name, INGEST_J_STRING))
            channel = (struct ingest_val){ingest_jv_str(name), 0, ingest_jv_strlen(name)};
        return decode_array(c, v, INGEST_SCHEMA_TELEGRAM, &channel);
    }

    /* An X API v2 response: {"data": {...}} or {"data": [...]}.  In AUTO
     * mode a top-level "text" means a generic post that has a "data" field. */
    v = ingest_jv_get(obj, "data");
    enum ingest_jtype vt = ingest_jv_type(v);
    if ((s == INGEST_SCHEMA_X && vt != INGEST_J_ABSENT && vt != INGEST_J_NULL) ||
        (s == INGEST_SCHEMA_AUTO && (vt == INGEST_J_OBJECT || vt == INGEST_J_ARRAY) &&
         ingest_jv_is(ingest_jv_get(obj, "text"), INGEST_J_ABSENT))) {
        if (vt == INGEST_J_ARRAY)
            return decode_array(c, v, INGEST_SCHEMA_X, NULL);
        dec->stats.elements++;
        if (vt == INGEST_J_OBJECT)
            return decode_post(c, v, INGEST_SCHEMA_X, 0, INGEST_JV_NONE, NULL);
        return deadf(c, INGEST_DL_BAD_TYPE, 0, INGEST_JV_NONE,
                     "field \"data\": expected object or array, got %s", ingest_json_type_name(v));
    }

    dec->stats.elements++;
    if (s == INGEST_SCHEMA_AUTO)
        s = ingest_schema_detect(obj);
    return decode_post(c, obj, s, 0, INGEST_JV_NONE, NULL);
}

/* ---------------------------------------------------------------------------
 * Records
 * ------------------------------------------------------------------------ */

/* The record through the tape (pull.c); c->fallback set when the record is
 * jansson's to read (not read by the tape, a container, or a dead letter),
 * in which case nothing was handed out and only stats.elements may have
 * moved. */
static int decode_pulled(struct call *c, const char *data, size_t len)
{
    int rc = ingest_tape_parse(&c->dec->tape, data, len);

    if (rc == KZ_EAGAIN) {
        c->fallback = 1;
        return rc;
    }
    if (rc)
        return rc;
    struct ingest_jv root = ingest_tape_root(&c->dec->tape);
    if (!ingest_jv_is(root, INGEST_J_OBJECT)) {
        c->fallback = 1;
        return KZ_EAGAIN;
    }
    c->pull = 1;
    return decode_object(c, root);
}

static int decode_record(struct ingest_decoder *dec, const struct ingest_record *rec,
                         ingest_post_fn on_post, ingest_dead_fn on_dead, void *ctx)
{
    struct call c = {dec, rec, on_post, on_dead, ctx, 0, 0};
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
            return deadf(&c, INGEST_DL_TOO_LARGE, 0, INGEST_JV_NONE,
                         "record longer than %s (%zu bytes); only its first %zu bytes kept",
                         limit_name, limit, len);
        return deadf(&c, INGEST_DL_TOO_LARGE, 0, INGEST_JV_NONE,
                     "record of %zu bytes exceeds %s (%zu bytes)", len, limit_name, limit);
    }
    bad = ingest_utf8_valid_prefix(data, len);
    if (bad != len) {
        dec->stats.elements++;
        return deadf(&c, INGEST_DL_BAD_UTF8, 0, INGEST_JV_NONE,
                     "invalid UTF-8 at byte %zu (0x%02x)", bad, (unsigned char)data[bad]);
    }
    /* Some Windows tools start every file with a BOM; it is not JSON. */
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    /* An export document (the hint) is a container: jansson reads it. */
    if (!dec->dom && rec->schema != INGEST_SCHEMA_TELEGRAM) {
        uint64_t elements = dec->stats.elements;
        rc = decode_pulled(&c, data, len);
        if (!c.fallback) {
            dec->pulled++;
            return rc;
        }
        /* Nothing was handed out or counted but the element: undo that. */
        dec->stats.elements = elements;
        c.pull = c.fallback = 0;
    }
    root = json_loadb(data, len, JSON_DECODE_ANY, &jerr);
    if (!root) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return KZ_ENOMEM;
        dec->stats.elements++;
        return deadf(&c, INGEST_DL_BAD_JSON, 0, INGEST_JV_NONE, "line %d column %d: %s", jerr.line,
                     jerr.column, jerr.text);
    }
    if (!json_is_object(root)) {
        dec->stats.elements++;
        rc = deadf(&c, INGEST_DL_NOT_OBJECT, 0, INGEST_JV_NONE, "expected a JSON object, got %s",
                   ingest_json_type_name(ingest_jv_dom(root)));
    } else {
        rc = decode_object(&c, ingest_jv_dom(root));
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

void ingest_decoder_use_dom(struct ingest_decoder *dec, int on)
{
    dec->dom = !!on;
}

uint64_t ingest_decoder_pulled(const struct ingest_decoder *dec)
{
    return dec->pulled;
}

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
