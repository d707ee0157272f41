/*
 * sign.c -- webhook signatures per the Standard Webhooks convention
 * (https://www.standardwebhooks.com, spec/standard-webhooks.md).
 *
 * A delivery carries webhook-id (the alert record's id plus its state, so a
 * receiver deduplicates retries), webhook-timestamp (epoch seconds) and
 * webhook-signature: "v1," + base64(HMAC-SHA256(key, id "." timestamp "."
 * body)), where the shared secret is "whsec_" + base64(key).  HMAC-SHA256 is
 * OpenSSL's libcrypto (already in the process through librdkafka and
 * libcurl); nothing here is hand-written cryptography.  Verification
 * compares in constant time (CRYPTO_memcmp) and bounds the timestamp, as the
 * convention asks of receivers (our tests' receiver uses it).
 *
 * The secret never comes from a flag (ps and shell history would show it):
 * from the first line of a file, or an environment variable.  Error messages
 * name the file or the variable, never the secret.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "alerts.h"
#include "kz_secret.h"

int alerts_secret_parse(const char *text, size_t n, struct alerts_secret *out, char *err,
                        size_t errlen)
{
    char b64[((ALERTS_SECRET_MAX + 2) / 3) * 4 + 1];
    unsigned char raw[sizeof(b64)];
    size_t m = 0;

    while (n && isspace((unsigned char)text[n - 1]))
        n--;
    while (n && isspace((unsigned char)*text))
        text++, n--;
    if (n >= 6 && !memcmp(text, "whsec_", 6))
        text += 6, n -= 6;
    if (!n || n % 4 || n >= sizeof(b64)) {
        snprintf(err, errlen,
                 "the webhook secret is not whsec_ followed by base64 of 1 to %d bytes",
                 ALERTS_SECRET_MAX);
        return KZ_EINVAL;
    }
    memcpy(b64, text, n);
    b64[n] = '\0';
    int len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
    if (len < 0) {
        OPENSSL_cleanse(raw, sizeof(raw));
        OPENSSL_cleanse(b64, sizeof(b64));
        snprintf(err, errlen, "the webhook secret's base64 is not valid");
        return KZ_EINVAL;
    }
    m = (size_t)len;
    for (size_t i = n; i > n - 2 && b64[i - 1] == '='; i--)
        m--; /* EVP_DecodeBlock counts padding as zero bytes */
    if (!m || m > ALERTS_SECRET_MAX) {
        OPENSSL_cleanse(raw, sizeof(raw));
        OPENSSL_cleanse(b64, sizeof(b64));
        snprintf(err, errlen, "the webhook secret must decode to 1 to %d bytes", ALERTS_SECRET_MAX);
        return KZ_EINVAL;
    }
    memcpy(out->key, raw, m);
    out->n = m;
    OPENSSL_cleanse(raw, sizeof(raw));
    OPENSSL_cleanse(b64, sizeof(b64));
    return 0;
}

int alerts_secret_load(const char *path, const char *env, struct alerts_secret *out, char *err,
                       size_t errlen)
{
    char line[1024], why[200];
    int rc;
    if (path) {
        if ((rc = kz_secret_first_line(path, line, sizeof(line))) == KZ_EIO) {
            snprintf(err, errlen, "webhook secret file %s: %s", path, strerror(errno));
            return KZ_EIO;
        }
        if (rc) {
            snprintf(err, errlen, "webhook secret file %s: %s", path, kz_secret_why(rc));
            return KZ_EINVAL;
        }
        rc = alerts_secret_parse(line, strlen(line), out, why, sizeof(why));
        OPENSSL_cleanse(line, sizeof(line));
        if (rc)
            snprintf(err, errlen, "webhook secret file %s: %s", path, why);
        return rc;
    }
    const char *v = env ? getenv(env) : NULL;
    if (!v || !*v) {
        snprintf(err, errlen, "no webhook secret: the environment variable %s is not set",
                 env ? env : "(none)");
        return KZ_ENOTFOUND;
    }
    rc = alerts_secret_parse(v, strlen(v), out, why, sizeof(why));
    if (rc)
        snprintf(err, errlen, "environment variable %s: %s", env, why);
    return rc;
}

/* The raw HMAC of id.ts.body; 0 or KZ_EIO. */
static int mac(const struct alerts_secret *key, const char *msg_id, int64_t ts_s, const char *body,
               size_t n, unsigned char md[EVP_MAX_MD_SIZE], unsigned *mdlen)
{
    char ts[24];
    int tn = snprintf(ts, sizeof(ts), "%" PRId64, ts_s);
    size_t idn = strlen(msg_id), total = idn + 1 + (size_t)tn + 1 + n;
    unsigned char *buf = malloc(total ? total : 1);
    if (!buf)
        return KZ_ENOMEM;
    memcpy(buf, msg_id, idn);
    buf[idn] = '.';
    memcpy(buf + idn + 1, ts, (size_t)tn);
    buf[idn + 1 + (size_t)tn] = '.';
    if (n)
        memcpy(buf + idn + 2 + (size_t)tn, body, n);
    unsigned char *r = HMAC(EVP_sha256(), key->key, (int)key->n, buf, total, md, mdlen);
    free(buf);
    return r ? 0 : KZ_EIO;
}

int alerts_webhook_sign(const struct alerts_secret *key, const char *msg_id, int64_t ts_s,
                        const char *body, size_t n, char *out, size_t outlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (outlen < ALERTS_SIG_LEN + 1)
        return KZ_ERANGE;
    int rc = mac(key, msg_id, ts_s, body, n, md, &mdlen);
    if (rc)
        return rc;
    memcpy(out, "v1,", 3);
    int len = EVP_EncodeBlock((unsigned char *)out + 3, md, (int)mdlen);
    out[3 + len] = '\0';
    return 0;
}

int alerts_webhook_verify(const struct alerts_secret *key, const char *msg_id, int64_t ts_s,
                          const char *body, size_t n, const char *header, int64_t now_s,
                          int64_t tolerance_s)
{
    char want[ALERTS_SIG_LEN + 1];
    if (!header || ts_s < now_s - tolerance_s || ts_s > now_s + tolerance_s)
        return 0;
    if (alerts_webhook_sign(key, msg_id, ts_s, body, n, want, sizeof(want)))
        return 0;
    int ok = 0;
    for (const char *p = header; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len == ALERTS_SIG_LEN && !CRYPTO_memcmp(p, want, ALERTS_SIG_LEN))
            ok = 1; /* go on: the time taken does not depend on which entry matched */
        p += len;
    }
    return ok;
}
