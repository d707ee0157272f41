/*
 * schema.c -- the input schemas: one table that registers them, their field
 * mappings (generic post, Telegram export message, VK wall post, X API v2
 * tweet) and the detection that picks one for a JSON object.
 *
 * Every schema is one row of `schemas` at the end of this file: its name, a
 * line of help, the test that recognises its objects and the mapping that
 * reads them.  Names, parsing, the lists in help and errors, detection and
 * forced-schema decoding all come from the table, so adding a schema is a
 * value in enum ingest_schema, a row, and its mapping and detector here.
 *
 * A mapping reads a JSON object through struct ingest_jv (ingest_impl.h: a
 * jansson node, or a token of the pull decoder's tape; the mappings cannot
 * tell which) and fills a struct ingest_map: strings are borrowed from the
 * tree or the tape when they can be used as they are, and composed in the
 * decoder's scratch buffer when they cannot ("tg:" + id, decimal forms of
 * numeric ids, a Telegram text given as an array of entities).  A mapping
 * never allocates beyond growing that buffer, which is reused for every post.
 *
 * Rules shared by every mapping, chosen so the same record always maps the
 * same way:
 *  - JSON null means "absent", as APIs send null for unset fields.
 *  - A known field with another JSON type is a dead letter (bad_type) whose
 *    detail names the field, the types accepted and the type found.
 *  - Ids may be strings or JSON integers; integers are printed in decimal.
 *  - Counts must be JSON integers; a negative count is treated as absent.
 *  - A time that is present but not a time (wrong format, out of range) is not
 *    an error: the decoder falls back to arrival time and counts it.
 * Ids of replies and reposts get the same platform prefix as the post's own
 * id ("tg:", "vk:", "x:"), so they can be joined against post ids.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_impl.h"

/* ---------------------------------------------------------------------------
 * JSON type names
 * ------------------------------------------------------------------------ */

const char *ingest_json_type_name(struct ingest_jv v)
{
    switch (ingest_jv_type(v)) {
    case INGEST_J_OBJECT:
        return "object";
    case INGEST_J_ARRAY:
        return "array";
    case INGEST_J_STRING:
        return "string";
    case INGEST_J_INTEGER:
        return "integer";
    case INGEST_J_REAL:
        return "real";
    case INGEST_J_TRUE:
    case INGEST_J_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

/* ---------------------------------------------------------------------------
 * Scratch and map helpers
 * ------------------------------------------------------------------------ */

int ingest_scratch_reserve(struct ingest_scratch *sc, size_t extra)
{
    if (extra <= sc->cap - sc->len)
        return 0;
    if (extra > SIZE_MAX / 2 - sc->len)
        return KZ_ENOMEM;
    size_t cap = sc->cap ? sc->cap : 256;
    while (cap - sc->len < extra)
        cap *= 2;
    char *p = realloc(sc->p, cap);
    if (!p)
        return KZ_ENOMEM;
    sc->p = p;
    sc->cap = cap;
    assert(sc->cap - sc->len >= extra);
    return 0;
}

void ingest_scratch_free(struct ingest_scratch *sc)
{
    free(sc->p);
    sc->p = NULL;
    sc->len = sc->cap = 0;
}

void ingest_map_reset(struct ingest_map *m)
{
    struct ingest_scratch *sc = m->sc;
    char *detail = m->detail;
    size_t detail_len = m->detail_len;

    memset(m, 0, sizeof(*m));
    m->sc = sc;
    m->detail = detail;
    m->detail_len = detail_len;
    m->views = m->likes = m->shares = -1;
    sc->len = 0;
    if (detail_len)
        detail[0] = '\0';
}

static int fail(struct ingest_map *m, enum ingest_dl_reason r)
{
    m->reason = r;
    return KZ_EDECODE;
}

static int bad_type(struct ingest_map *m, const char *field, const char *want, struct ingest_jv got)
{
    snprintf(m->detail, m->detail_len, "field \"%s\": expected %s, got %s", field, want,
             ingest_json_type_name(got));
    return fail(m, INGEST_DL_BAD_TYPE);
}

static int sc_put(struct ingest_map *m, const char *s, size_t n)
{
    if (ingest_scratch_reserve(m->sc, n + 1))
        return KZ_ENOMEM;
    memcpy(m->sc->p + m->sc->len, s, n);
    m->sc->len += n;
    return 0;
}

static int sc_put_cstr(struct ingest_map *m, const char *s)
{
    return sc_put(m, s, strlen(s));
}

/* Close the scratch string begun at `off` (NUL-terminate it) into *v. */
static int sc_close(struct ingest_map *m, size_t off, struct ingest_val *v)
{
    assert(off <= m->sc->len);
    if (ingest_scratch_reserve(m->sc, 1))
        return KZ_ENOMEM;
    v->p = NULL;
    v->off = off;
    v->n = m->sc->len - off;
    m->sc->p[m->sc->len++] = '\0';
    return 0;
}

/* A member that is present and not JSON null; else absent. */
static struct ingest_jv get(struct ingest_jv obj, const char *key)
{
    struct ingest_jv v = ingest_jv_get(obj, key);
    return ingest_jv_is(v, INGEST_J_NULL) ? INGEST_JV_NONE : v;
}

static int present(struct ingest_jv v)
{
    return !ingest_jv_is(v, INGEST_J_ABSENT);
}

static int is_string(struct ingest_jv v)
{
    return ingest_jv_is(v, INGEST_J_STRING);
}

static int is_integer(struct ingest_jv v)
{
    return ingest_jv_is(v, INGEST_J_INTEGER);
}

static int is_object(struct ingest_jv v)
{
    return ingest_jv_is(v, INGEST_J_OBJECT);
}

static int is_array(struct ingest_jv v)
{
    return ingest_jv_is(v, INGEST_J_ARRAY);
}

static struct ingest_val borrow(struct ingest_jv str)
{
    struct ingest_val v = {ingest_jv_str(str), 0, ingest_jv_strlen(str)};
    return v;
}

static struct ingest_val literal(const char *s)
{
    struct ingest_val v = {s, 0, strlen(s)};
    return v;
}

/* A string field. */
static int get_str(struct ingest_map *m, struct ingest_jv obj, const char *key,
                   struct ingest_val *out)
{
    struct ingest_jv v = get(obj, key);
    if (!present(v))
        return 0;
    if (!is_string(v))
        return bad_type(m, key, "string", v);
    *out = borrow(v);
    return 0;
}

/* Append an id token (string as is, integer in decimal) to the scratch. */
static int put_token(struct ingest_map *m, struct ingest_jv v, const char *field)
{
    if (is_string(v))
        return sc_put(m, ingest_jv_str(v), ingest_jv_strlen(v));
    if (is_integer(v)) {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%lld", (long long)ingest_jv_int(v));
        return sc_put(m, buf, (size_t)n);
    }
    return bad_type(m, field, "string or integer", v);
}

static int check_token(struct ingest_map *m, struct ingest_jv v, const char *field)
{
    if (is_string(v) || is_integer(v))
        return 0;
    return bad_type(m, field, "string or integer", v);
}

/* An id field: string or integer, with an optional prefix. */
static int get_id(struct ingest_map *m, struct ingest_jv obj, const char *key, const char *prefix,
                  struct ingest_val *out)
{
    struct ingest_jv v = get(obj, key);
    int rc;

    if (!present(v))
        return 0;
    if ((rc = check_token(m, v, key)))
        return rc;
    if (is_string(v) && (!prefix || ingest_jv_strlen(v) == 0)) {
        *out = borrow(v);
        return 0;
    }
    size_t off = m->sc->len;
    if ((prefix && (rc = sc_put_cstr(m, prefix))) || (rc = put_token(m, v, key)))
        return rc;
    return sc_close(m, off, out);
}

/* A time field; unparseable values leave has_ts unset (arrival fallback). */
static int get_ts(struct ingest_map *m, struct ingest_jv obj, const char *key)
{
    struct ingest_jv v = get(obj, key);
    int64_t ms;
    int rc;

    if (!present(v))
        return 0;
    if (is_string(v))
        rc = ingest_parse_time(ingest_jv_str(v), ingest_jv_strlen(v), &ms);
    else if (is_integer(v))
        rc = ingest_time_from_int(ingest_jv_int(v), &ms);
    else if (ingest_jv_is(v, INGEST_J_REAL))
        rc = ingest_time_from_number(ingest_jv_real(v), &ms);
    else
        return bad_type(m, key, "string or number", v);
    if (rc == 0) {
        m->has_ts = 1;
        m->ts_ms = ms;
    }
    return 0;
}

/* A count: integer; field is the dotted name used in details. */
static int get_count(struct ingest_map *m, struct ingest_jv obj, const char *key, const char *field,
                     int64_t *out)
{
    struct ingest_jv v = get(obj, key);
    if (!present(v))
        return 0;
    if (!is_integer(v))
        return bad_type(m, field, "integer", v);
    if (ingest_jv_int(v) >= 0)
        *out = ingest_jv_int(v);
    return 0;
}

/* An object field that holds counts; NULL when absent. */
static int get_object(struct ingest_map *m, struct ingest_jv obj, const char *key,
                      struct ingest_jv *out)
{
    struct ingest_jv v = get(obj, key);
    *out = INGEST_JV_NONE;
    if (!present(v))
        return 0;
    if (!is_object(v))
        return bad_type(m, key, "object", v);
    *out = v;
    return 0;
}

static int get_text_string(struct ingest_map *m, struct ingest_jv obj, const char *key)
{
    struct ingest_jv v = get(obj, key);
    if (!present(v))
        return 0;
    if (!is_string(v))
        return bad_type(m, key, "string", v);
    m->text = borrow(v);
    m->text_present = 1;
    return 0;
}

/* The post's own place when it has no "region": a "geo" string, or the
 * first string of "region", "city", "name" or "title" in a "geo" object or
 * in its "place" object (VK's geo.place.title).  Leniently: "geo" is not part
 * of the post contract and sources fill it every way, so coordinates and
 * other shapes are not a place and never a dead letter (there is no reverse
 * geocoding here).  The pipeline maps the value through the gazetteer. */
static void get_geo(struct ingest_map *m, struct ingest_jv obj)
{
    static const char *const keys[] = {"region", "city", "name", "title"};
    struct ingest_jv g = get(obj, "geo");

    if (m->region.n)
        return;
    if (is_string(g)) {
        m->region = borrow(g);
        return;
    }
    for (int depth = 0; depth < 2 && is_object(g); depth++, g = get(g, "place"))
        for (size_t i = 0; i < KZ_ARRAY_LEN(keys); i++) {
            struct ingest_jv v = get(g, keys[i]);
            if (is_string(v) && ingest_jv_strlen(v)) {
                m->region = borrow(v);
                return;
            }
        }
}

/* ---------------------------------------------------------------------------
 * Generic: the post contract of DESIGN.md
 * ------------------------------------------------------------------------ */

static int map_generic(struct ingest_map *m, struct ingest_jv obj)
{
    struct ingest_jv metrics;
    int rc;

    if ((rc = get_text_string(m, obj, "text")) || (rc = get_id(m, obj, "id", NULL, &m->id)) ||
        (rc = get_str(m, obj, "platform", &m->platform)) ||
        (rc = get_id(m, obj, "author", NULL, &m->author)) ||
        (rc = get_id(m, obj, "channel", NULL, &m->channel)) ||
        (rc = get_str(m, obj, "lang", &m->lang)) || (rc = get_str(m, obj, "region", &m->region)) ||
        (rc = get_str(m, obj, "url", &m->url)) ||
        (rc = get_id(m, obj, "reply_to", NULL, &m->reply_to)) ||
        (rc = get_id(m, obj, "repost_of", NULL, &m->repost_of)) || (rc = get_ts(m, obj, "ts")) ||
        (rc = get_object(m, obj, "metrics", &metrics)))
        return rc;
    get_geo(m, obj);
    if (present(metrics) && ((rc = get_count(m, metrics, "views", "metrics.views", &m->views)) ||
                             (rc = get_count(m, metrics, "likes", "metrics.likes", &m->likes)) ||
                             (rc = get_count(m, metrics, "shares", "metrics.shares", &m->shares))))
        return rc;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Telegram Desktop export message
 *
 * {"id": 812, "type": "message", "date": "2026-03-08T14:05:00",
 *  "date_unixtime": "1772960700", "from": "Айгүл", "from_id": "user123",
 *  "forwarded_from": "...", "reply_to_message_id": 800,
 *  "text": "..." or ["plain ", {"type": "hashtag", "text": "#жаңаөзен"}, ...]}
 *
 * "date" is the exporting computer's local time without an offset; we cannot
 * know that zone, so it is read as UTC and used only when date_unixtime (exact)
 * is absent or unparseable.
 * ------------------------------------------------------------------------ */

static int tg_text(struct ingest_map *m, struct ingest_jv obj)
{
    struct ingest_jv v = get(obj, "text"), el;
    struct ingest_jiter it;
    size_t off;
    int rc;

    if (!present(v) || is_string(v))
        return get_text_string(m, obj, "text");
    if (!is_array(v))
        return bad_type(m, "text", "string or array", v);
    off = m->sc->len;
    ingest_jiter_init(&it, v);
    while (ingest_jiter_next(&it, &el)) {
        struct ingest_jv t = el;
        size_t i = it.i - 1;
        if (is_object(el)) {
            t = get(el, "text");
            if (!present(t))
                continue;
            if (!is_string(t)) {
                char field[48];
                snprintf(field, sizeof(field), "text[%zu].text", i);
                return bad_type(m, field, "string", t);
            }
        } else if (!is_string(el)) {
            char field[48];
            snprintf(field, sizeof(field), "text[%zu]", i);
            return bad_type(m, field, "string or entity object", el);
        }
        if ((rc = sc_put(m, ingest_jv_str(t), ingest_jv_strlen(t))))
            return rc;
    }
    m->text_present = 1;
    return sc_close(m, off, &m->text);
}

static int map_telegram(struct ingest_map *m, struct ingest_jv obj)
{
    struct ingest_jv type = get(obj, "type"), date;
    int rc;

    if (present(type) && !is_string(type))
        return bad_type(m, "type", "string", type);
    if (present(type) && strcmp(ingest_jv_str(type), "service") == 0) {
        m->service = 1;
        return 0;
    }
    m->platform = literal("telegram");
    if ((rc = get_id(m, obj, "id", "tg:", &m->id)) || (rc = tg_text(m, obj)) ||
        (rc = get_id(m, obj, "reply_to_message_id", "tg:", &m->reply_to)) ||
        (rc = get_str(m, obj, "forwarded_from", &m->repost_of)) ||
        (rc = get_id(m, obj, "from_id", NULL, &m->author)) ||
        (rc = get_ts(m, obj, "date_unixtime")))
        return rc;
    if (m->author.n == 0 && (rc = get_str(m, obj, "from", &m->author)))
        return rc;
    date = get(obj, "date");
    if (present(date) && !is_string(date))
        return bad_type(m, "date", "string", date);
    if (!m->has_ts && present(date) &&
        ingest_time_parse_rfc3339(ingest_jv_str(date), ingest_jv_strlen(date), 1, &m->ts_ms) == 0)
        m->has_ts = 1;
    return 0;
}

/* ---------------------------------------------------------------------------
 * VK wall post (API object)
 *
 * {"id": 45, "owner_id": -1, "from_id": -1, "date": 1772960700, "text": "...",
 *  "copy_history": [{"id": 7, "owner_id": -2, ...}], "likes": {"count": 3},
 *  "reposts": {"count": 1}, "views": {"count": 120}}
 *
 * The wall's owner is the post's channel; the author is from_id, or the owner
 * when from_id is absent (a community posting on its own wall).
 * ------------------------------------------------------------------------ */

/* Compose "<prefix><a>_<b>" from two id tokens. */
static int vk_pair(struct ingest_map *m, const char *prefix, struct ingest_jv a, const char *fa,
                   struct ingest_jv b, const char *fb, struct ingest_val *out)
{
    size_t off = m->sc->len;
    int rc;

    if ((rc = sc_put_cstr(m, prefix)) || (rc = put_token(m, a, fa)) || (rc = sc_put(m, "_", 1)) ||
        (rc = put_token(m, b, fb)))
        return rc;
    return sc_close(m, off, out);
}

static int vk_count(struct ingest_map *m, struct ingest_jv obj, const char *key, const char *field,
                    int64_t *out)
{
    struct ingest_jv o;
    int rc = get_object(m, obj, key, &o);
    if (rc || !present(o))
        return rc;
    return get_count(m, o, "count", field, out);
}

static int map_vk(struct ingest_map *m, struct ingest_jv obj)
{
    struct ingest_jv owner = get(obj, "owner_id"), id = get(obj, "id"), hist;
    struct ingest_jv rpost = get(obj, "reply_post_id"), rowner = get(obj, "reply_owner_id");
    int rc;

    m->platform = literal("vk");
    if ((present(owner) && (rc = check_token(m, owner, "owner_id"))) ||
        (present(id) && (rc = check_token(m, id, "id"))) ||
        (rc = get_text_string(m, obj, "text")) || (rc = get_ts(m, obj, "date")) ||
        (rc = get_id(m, obj, "from_id", NULL, &m->author)) ||
        (rc = get_id(m, obj, "owner_id", NULL, &m->channel)))
        return rc;
    if (present(owner) && present(id) &&
        ((rc = vk_pair(m, "vk:", owner, "owner_id", id, "id", &m->id)) ||
         (rc = vk_pair(m, "https://vk.com/wall", owner, "owner_id", id, "id", &m->url))))
        return rc;
    if (m->author.n == 0)
        m->author = m->channel;
    get_geo(m, obj);

    hist = get(obj, "copy_history");
    if (present(hist) && !is_array(hist))
        return bad_type(m, "copy_history", "array", hist);
    if (present(hist) && ingest_jv_size(hist) > 0) {
        struct ingest_jv h, ho, hi;
        struct ingest_jiter it;
        ingest_jiter_init(&it, hist);
        ingest_jiter_next(&it, &h);
        if (!is_object(h))
            return bad_type(m, "copy_history[0]", "object", h);
        ho = get(h, "owner_id");
        hi = get(h, "id");
        if (present(ho) && present(hi) &&
            (rc = vk_pair(m, "vk:", ho, "copy_history[0].owner_id", hi, "copy_history[0].id",
                          &m->repost_of)))
            return rc;
    }
    if (present(rpost)) {
        struct ingest_jv o = present(rowner) ? rowner : owner;
        if (present(o) &&
            (rc = vk_pair(m, "vk:", o, "reply_owner_id", rpost, "reply_post_id", &m->reply_to)))
            return rc;
    }
    if ((rc = vk_count(m, obj, "likes", "likes.count", &m->likes)) ||
        (rc = vk_count(m, obj, "reposts", "reposts.count", &m->shares)) ||
        (rc = vk_count(m, obj, "views", "views.count", &m->views)))
        return rc;
    return 0;
}

/* ---------------------------------------------------------------------------
 * X API v2 tweet
 *
 * {"id": "1790...", "text": "...", "author_id": "2244...", "lang": "ru",
 *  "created_at": "2026-03-08T09:05:00.000Z",
 *  "referenced_tweets": [{"type": "replied_to", "id": "1789..."}],
 *  "public_metrics": {"retweet_count": 2, "like_count": 9, "impression_count": 300}}
 *
 * Long posts carry their full text in note_tweet.text ("text" is then cut at
 * 280 characters), so that one is preferred when present.
 * ------------------------------------------------------------------------ */

static int x_refs(struct ingest_map *m, struct ingest_jv refs)
{
    struct ingest_jiter it;
    struct ingest_jv r;
    int rc;

    if (!is_array(refs))
        return bad_type(m, "referenced_tweets", "array", refs);
    ingest_jiter_init(&it, refs);
    while (ingest_jiter_next(&it, &r)) {
        struct ingest_jv type, rid;
        struct ingest_val *dst;
        if (!is_object(r))
            return bad_type(m, "referenced_tweets[]", "object", r);
        type = get(r, "type");
        rid = get(r, "id");
        if (present(type) && !is_string(type))
            return bad_type(m, "referenced_tweets[].type", "string", type);
        if (!present(type) || !present(rid))
            continue;
        if (strcmp(ingest_jv_str(type), "replied_to") == 0)
            dst = &m->reply_to;
        else if (strcmp(ingest_jv_str(type), "retweeted") == 0 ||
                 strcmp(ingest_jv_str(type), "quoted") == 0)
            dst = &m->repost_of;
        else
            continue;
        if (dst->n)
            continue; /* the first reference of a kind wins */
        size_t off = m->sc->len;
        if ((rc = sc_put(m, "x:", 2)) || (rc = put_token(m, rid, "referenced_tweets[].id")) ||
            (rc = sc_close(m, off, dst)))
            return rc;
    }
    return 0;
}

static int map_x(struct ingest_map *m, struct ingest_jv obj)
{
    struct ingest_jv pm, note, refs, id = get(obj, "id");
    int rc;

    m->platform = literal("x");
    if ((rc = get_id(m, obj, "id", "x:", &m->id)) || (rc = get_text_string(m, obj, "text")) ||
        (rc = get_id(m, obj, "author_id", NULL, &m->author)) ||
        (rc = get_str(m, obj, "lang", &m->lang)) || (rc = get_ts(m, obj, "created_at")) ||
        (rc = get_object(m, obj, "note_tweet", &note)) ||
        (rc = get_object(m, obj, "public_metrics", &pm)))
        return rc;
    if (present(note) && (rc = get_text_string(m, note, "text")))
        return rc;
    if (present(id)) {
        size_t off = m->sc->len;
        if ((rc = sc_put_cstr(m, "https://x.com/i/web/status/")) || (rc = put_token(m, id, "id")) ||
            (rc = sc_close(m, off, &m->url)))
            return rc;
    }
    refs = get(obj, "referenced_tweets");
    if (present(refs) && (rc = x_refs(m, refs)))
        return rc;
    if (!present(pm))
        return 0;
    if ((rc = get_count(m, pm, "impression_count", "public_metrics.impression_count", &m->views)) ||
        (rc = get_count(m, pm, "like_count", "public_metrics.like_count", &m->likes)) ||
        (rc = get_count(m, pm, "retweet_count", "public_metrics.retweet_count", &m->shares)))
        return rc;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Detectors: does an object look like a post of this schema?  Each looks only
 * for its own marks; where two schemas' marks can meet in one object, the
 * table's row order settles it.
 * ------------------------------------------------------------------------ */

/* A wall post has its wall's owner_id and a date, and from_id or post_type. */
static int detect_vk(struct ingest_jv obj)
{
    return present(get(obj, "owner_id")) && present(get(obj, "date")) &&
           (present(get(obj, "from_id")) || present(get(obj, "post_type")));
}

static int detect_x(struct ingest_jv obj)
{
    return present(get(obj, "author_id")) && present(get(obj, "created_at"));
}

/* date_unixtime is Telegram's own; otherwise a "message" or "service" type
 * with a date. */
static int detect_telegram(struct ingest_jv obj)
{
    struct ingest_jv type = get(obj, "type");

    if (present(get(obj, "date_unixtime")))
        return 1;
    return is_string(type) && present(get(obj, "date")) &&
           (strcmp(ingest_jv_str(type), "message") == 0 ||
            strcmp(ingest_jv_str(type), "service") == 0);
}

/* ---------------------------------------------------------------------------
 * The schema table
 *
 * One row per value of enum ingest_schema (checked at compile time for the
 * count, and by row() for each value).  Rows are in detection order: in auto
 * mode the first row whose detect() accepts an object wins, so a schema goes
 * above any schema whose marks its objects may also carry (a VK wall post has
 * from_id and date, as a Telegram message does; only VK has owner_id).
 * A row without detect() is never detected: "auto" is a mode, not a format,
 * and "generic" is what an object is when no detector accepts it.
 * Lists (ingest_schema_list(), help) go in enum order, not row order.
 * ------------------------------------------------------------------------ */

struct schema_def {
    enum ingest_schema id;
    const char *name;                    /* --schema, config "schema", reports */
    const char *about;                   /* one line for help text */
    int (*detect)(struct ingest_jv obj); /* 1: obj is one of ours; NULL: never detected */
    ingest_map_fn map;                   /* NULL only for auto */
};

static const struct schema_def schemas[] = {
    {INGEST_SCHEMA_AUTO, "auto", "detect the schema of each record (the default)", NULL, NULL},
    {INGEST_SCHEMA_VK, "vk", "VK wall post (API object)", detect_vk, map_vk},
    {INGEST_SCHEMA_X, "x", "X API v2 tweet (bare, or in {\"data\": ...})", detect_x, map_x},
    {INGEST_SCHEMA_TELEGRAM, "telegram", "Telegram Desktop export message", detect_telegram,
     map_telegram},
    {INGEST_SCHEMA_GENERIC, "generic", "the post contract (id, text, ts, platform, ...)", NULL,
     map_generic},
};

_Static_assert(KZ_ARRAY_LEN(schemas) == INGEST_SCHEMA_COUNT,
               "one row in schemas[] per value of enum ingest_schema");

/* The row of schema s; NULL when s is not a schema. */
static const struct schema_def *row(enum ingest_schema s)
{
    if ((unsigned)s >= INGEST_SCHEMA_COUNT)
        return NULL;
    for (size_t i = 0; i < KZ_ARRAY_LEN(schemas); i++)
        if (schemas[i].id == s)
            return &schemas[i];
    assert(!"a value of enum ingest_schema has no row in schemas[]");
    return NULL;
}

enum ingest_schema ingest_schema_detect(struct ingest_jv obj)
{
    for (size_t i = 0; i < KZ_ARRAY_LEN(schemas); i++)
        if (schemas[i].detect && schemas[i].detect(obj))
            return schemas[i].id;
    return INGEST_SCHEMA_GENERIC;
}

ingest_map_fn ingest_schema_mapping(enum ingest_schema s)
{
    const struct schema_def *r = row(s);
    return r && r->map ? r->map : map_generic;
}

int ingest_schema_by_name(const char *name, size_t n)
{
    if (!name)
        return KZ_ENOTFOUND;
    for (size_t i = 0; i < KZ_ARRAY_LEN(schemas); i++)
        if (strlen(schemas[i].name) == n && memcmp(schemas[i].name, name, n) == 0)
            return (int)schemas[i].id;
    return KZ_ENOTFOUND;
}

int ingest_schema_parse(const char *name)
{
    int s = name ? ingest_schema_by_name(name, strlen(name)) : KZ_ENOTFOUND;
    return s < 0 ? -1 : s;
}

const char *ingest_schema_name(enum ingest_schema s)
{
    const struct schema_def *r = row(s);
    return r ? r->name : "unknown";
}

const char *ingest_schema_about(enum ingest_schema s)
{
    const struct schema_def *r = row(s);
    return r ? r->about : NULL;
}

/* Append s to buf (size bytes) at len, as far as it fits, NUL-terminated;
 * returns the length the whole would have. */
static size_t put(char *buf, size_t size, size_t len, const char *s)
{
    size_t n = strlen(s);
    if (len < size) {
        size_t k = n < size - len - 1 ? n : size - len - 1;
        memcpy(buf + len, s, k);
        buf[len + k] = '\0';
    }
    return len + n;
}

size_t ingest_schema_list(char *buf, size_t size, const char *sep)
{
    size_t len = 0;

    if (size)
        buf[0] = '\0';
    for (int s = 0; s < INGEST_SCHEMA_COUNT; s++) {
        if (s)
            len = put(buf, size, len, sep);
        len = put(buf, size, len, ingest_schema_name((enum ingest_schema)s));
    }
    return len;
}
