/*
 * record.c -- the alert record: its deterministic id and its JSON line.
 *
 * The id must be the same whichever evaluator fires the alert and in a
 * replay of the same posts, so it is a function of what defines the episode
 * only: the rule, the dimension (which carries the region) and the first
 * minute.  It is the first 128 bits of SHA-256 (OpenSSL's libcrypto, which
 * librdkafka and libcurl load already) over
 *   "kzp-alert-v1" NUL rule_id NUL dim NUL first_ms (decimal)
 * in hex -- reproducible in any language:
 *   python3 -c 'import hashlib; print(hashlib.sha256(b"kzp-alert-v1\0" +
 *       b"RULE\0DIM\0" + b"1772604900000").hexdigest()[:32])'
 *
 * The JSON is written with jansson, keys in a fixed order, UTF-8 as it is
 * (no JSON_ENSURE_ASCII: a Kazakh region name stays readable).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "alerts.h"

int alerts_alert_id(const char *rule_id, const char *dim, int64_t first_ms,
                    char out[ALERTS_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char num[24];
    int nn = snprintf(num, sizeof(num), "%" PRId64, first_ms);
    EVP_MD_CTX *c = EVP_MD_CTX_new();

    out[0] = '\0';
    if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
        EVP_DigestUpdate(c, "kzp-alert-v1", 13) && /* with its NUL */
        EVP_DigestUpdate(c, rule_id, strlen(rule_id) + 1) &&
        EVP_DigestUpdate(c, dim, strlen(dim) + 1) && EVP_DigestUpdate(c, num, (size_t)nn))
        EVP_DigestFinal_ex(c, md, &mdlen);
    EVP_MD_CTX_free(c);
    if (mdlen < ALERTS_ID_LEN / 2)
        return KZ_ENOMEM; /* the only way EVP fails for SHA-256 */
    for (int i = 0; i < ALERTS_ID_LEN / 2; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[ALERTS_ID_LEN] = '\0';
    return 0;
}

void alerts_rfc3339(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "%" PRId64, ms);
}

int alerts_record_fill(struct alerts_record *rec, const struct alerts_rule *r, const char *dim,
                       const char *region_code, const char *region_name,
                       const struct alerts_state *s, enum alerts_event ev)
{
    memset(rec, 0, sizeof(*rec));
    if (alerts_alert_id(r->id, dim, s->first_ms, rec->id))
        return KZ_ENOMEM;
    rec->rule = r->id;
    rec->kind = alerts_kind_name(r->kind);
    rec->state = ev == ALERTS_EV_RESOLVED ? "resolved" : "firing";
    rec->severity = alerts_severity_name(r->severity);
    rec->dim = dim;
    rec->first_ms = s->first_ms;
    rec->last_ms = s->last_ms;
    rec->region_code = region_code;
    rec->region_name = region_name;
    rec->count = s->count;
    rec->authors = s->authors;
    rec->expected = s->expected;
    rec->probability = s->probability;
    return 0;
}

static json_t *str_or_null(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

static json_t *time_json(int64_t ms)
{
    char buf[32];
    alerts_rfc3339(ms, buf);
    return json_string(buf);
}

static json_t *members_json(const struct alerts_member *m, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "member", str_or_null(m[i].member));
        json_object_set_new(o, "count", json_integer(m[i].count));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *samples_json(const struct alerts_post *p, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n && i < 10; i++) {
        json_t *o = json_object();
        const char *keys[] = {"id", "platform", "author", "text", "url"};
        const char *vals[] = {p[i].id, p[i].platform, p[i].author, p[i].text, p[i].url};
        for (size_t k = 0; k < KZ_ARRAY_LEN(keys); k++)
            if (vals[k])
                json_object_set_new(o, keys[k], str_or_null(vals[k]));
        json_object_set_new(o, "ts", time_json(p[i].ts_ms));
        json_array_append_new(a, o);
    }
    return a;
}

int alerts_record_json(const struct alerts_record *rec, char **out)
{
    json_t *o = json_object(), *ev = json_object();
    *out = NULL;
    if (!o || !ev) {
        json_decref(o);
        json_decref(ev);
        return KZ_ENOMEM;
    }
    json_object_set_new(o, "id", json_string(rec->id));
    json_object_set_new(o, "rule", str_or_null(rec->rule));
    json_object_set_new(o, "kind", str_or_null(rec->kind));
    json_object_set_new(o, "state", str_or_null(rec->state));
    json_object_set_new(o, "severity", str_or_null(rec->severity));
    json_object_set_new(o, "first_minute", time_json(rec->first_ms));
    json_object_set_new(o, "last_minute", time_json(rec->last_ms));
    json_object_set_new(o, "region", str_or_null(rec->region_code));
    if (rec->region_name)
        json_object_set_new(o, "region_name", str_or_null(rec->region_name));
    json_object_set_new(o, "dimension", str_or_null(rec->dim));
    json_object_set_new(o, "count", json_integer(rec->count));
    json_object_set_new(o, "authors", rec->authors >= 0 ? json_integer(rec->authors) : json_null());
    json_object_set_new(o, "expected", json_real(rec->expected));
    json_object_set_new(o, "probability", json_real(rec->probability));
    json_object_set_new(ev, "samples", samples_json(rec->samples, rec->nsamples));
    json_object_set_new(ev, "top_terms", members_json(rec->top_terms, rec->nterms));
    if (rec->terms_from)
        json_object_set_new(ev, "terms_from", json_string(rec->terms_from));
    json_object_set_new(ev, "top_hashtags", members_json(rec->top_hashtags, rec->nhashtags));
    json_object_set_new(o, "evidence", ev);
    *out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(o);
    return *out ? 0 : KZ_ENOMEM;
}
