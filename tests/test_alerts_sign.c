/*
 * test_alerts_sign.c -- Standard Webhooks signatures (alerts/sign.c) against
 * signatures computed by python3's hmac module, the convention's own example,
 * verification (any entry of the header, timestamp tolerance, a changed byte)
 * and the secret's loading from a file or the environment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts.h"
#include "tap.h"

/* key = bytes(range(32)) */
static const char secret32[] = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
static const char body[] = "{\"id\":\"a1\",\"region\":\"KZ-47\",\"text\":\"Жаңаөзенде митинг\"}";

static void test_sign(void)
{
    struct alerts_secret k;
    char err[256], sig[ALERTS_SIG_LEN + 1];
    CHECK(alerts_secret_parse(secret32, strlen(secret32), &k, err, sizeof(err)) == 0);
    CHECK_EQ_INT(k.n, 32);
    CHECK(k.key[0] == 0 && k.key[31] == 31);
    /* python3 -c 'import hmac,hashlib,base64; print("v1," + base64.b64encode(hmac.new(
     *   bytes(range(32)), ("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W.1674087231." + BODY).encode(),
     *   hashlib.sha256).digest()).decode())'   with BODY the body above */
    CHECK(alerts_webhook_sign(&k, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", 1674087231, body, strlen(body),
                              sig, sizeof(sig)) == 0);
    CHECK_EQ_STR(sig, "v1,C70ejU3B2Q+7tPb0SOg67RW2rbWuF3Wbf36T/8mjMVA=");
    CHECK(alerts_webhook_sign(&k, "m", 1, body, strlen(body), sig, ALERTS_SIG_LEN) == KZ_ERANGE);

    /* the convention's example (standard-webhooks spec and libraries' tests) */
    const char *s2 = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const char *b2 = "{\"test\": 2432232314}";
    CHECK(alerts_secret_parse(s2, strlen(s2), &k, err, sizeof(err)) == 0);
    CHECK(alerts_webhook_sign(&k, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b2, strlen(b2), sig,
                              sizeof(sig)) == 0);
    CHECK_EQ_STR(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

static void test_verify(void)
{
    struct alerts_secret k;
    char err[256], sig[ALERTS_SIG_LEN + 1], hdr[200];
    const char *id = "0123456789abcdef0123456789abcdef.firing";
    alerts_secret_parse(secret32, strlen(secret32), &k, err, sizeof(err));
    alerts_webhook_sign(&k, id, 1772604900, body, strlen(body), sig, sizeof(sig));
    CHECK(alerts_webhook_verify(&k, id, 1772604900, body, strlen(body), sig, 1772604910, 300));
    /* a rotated secret: the header lists both, one matches */
    snprintf(hdr, sizeof(hdr), "v1,bm90IHRoZSBzaWduYXR1cmUgeW91IGFyZSBsb29raW5nIGZvcg== %s", sig);
    CHECK(alerts_webhook_verify(&k, id, 1772604900, body, strlen(body), hdr, 1772604910, 300));
    /* too old, from the future, another id, a changed byte, empty */
    CHECK(!alerts_webhook_verify(&k, id, 1772604900, body, strlen(body), sig, 1772605300, 300));
    CHECK(!alerts_webhook_verify(&k, id, 1772604900, body, strlen(body), sig, 1772604500, 300));
    CHECK(
        !alerts_webhook_verify(&k, "other", 1772604900, body, strlen(body), sig, 1772604910, 300));
    char changed[sizeof(body)];
    memcpy(changed, body, sizeof(body));
    changed[5] ^= 1;
    CHECK(
        !alerts_webhook_verify(&k, id, 1772604900, changed, strlen(changed), sig, 1772604910, 300));
    CHECK(!alerts_webhook_verify(&k, id, 1772604900, body, strlen(body), "", 1772604910, 300));
    CHECK(!alerts_webhook_verify(&k, id, 1772604900, body, strlen(body), NULL, 1772604910, 300));
}

static void test_secret_loading(void)
{
    struct alerts_secret k;
    char err[256];
    /* malformed secrets: the message never shows the secret */
    static const char *const bad[] = {"", "whsec_", "whsec_abc", "whsec_!!!!", "whsec_AAE=x"};
    for (size_t i = 0; i < KZ_ARRAY_LEN(bad); i++) {
        CHECK(alerts_secret_parse(bad[i], strlen(bad[i]), &k, err, sizeof(err)) == KZ_EINVAL);
        CHECK(strlen(bad[i]) < 7 || !strstr(err, bad[i] + 6));
    }
    /* the prefix is optional, white space around is ignored */
    CHECK(alerts_secret_parse("  AAEC\n", 7, &k, err, sizeof(err)) == 0 && k.n == 3);

    char path[] = "/tmp/kz-secret-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "%s\nsecond line ignored\n", secret32);
    fclose(f);
    CHECK(alerts_secret_load(path, "KZ_TEST_NO_SUCH_VAR", &k, err, sizeof(err)) == 0);
    CHECK_EQ_INT(k.n, 32);
    /* the first line as common/kz_secret.h reads it: CRLF cut, an empty first
     * line and a NUL refused with the file named, never the bytes */
    static const struct {
        const char *bytes;
        size_t n;
        int rc;
        const char *msg;
    } lines[] = {
        {"whsec_AAEC\r\nAAAA\n", 18, 0, NULL},
        {"\nwhsec_AAEC\n", 12, KZ_EINVAL, "the first line is empty"},
        {"whsec_AA\0EC\n", 12, KZ_EINVAL, "holds a NUL byte"},
    };
    for (size_t i = 0; i < KZ_ARRAY_LEN(lines); i++) {
        f = fopen(path, "wb");
        CHECK(f && fwrite(lines[i].bytes, 1, lines[i].n, f) == lines[i].n);
        fclose(f);
        err[0] = '\0';
        CHECK_EQ_INT(alerts_secret_load(path, NULL, &k, err, sizeof(err)), lines[i].rc);
        CHECK(lines[i].rc ? strstr(err, lines[i].msg) && strstr(err, path) : k.n == 3);
    }
    unlink(path);
    CHECK(alerts_secret_load(path, NULL, &k, err, sizeof(err)) == KZ_EIO);
    CHECK(strstr(err, path) != NULL);

    unsetenv("KZ_TEST_WEBHOOK_SECRET");
    CHECK(alerts_secret_load(NULL, "KZ_TEST_WEBHOOK_SECRET", &k, err, sizeof(err)) == KZ_ENOTFOUND);
    CHECK(strstr(err, "KZ_TEST_WEBHOOK_SECRET") != NULL);
    setenv("KZ_TEST_WEBHOOK_SECRET", "whsec_not base64", 1);
    CHECK(alerts_secret_load(NULL, "KZ_TEST_WEBHOOK_SECRET", &k, err, sizeof(err)) == KZ_EINVAL);
    CHECK(strstr(err, "KZ_TEST_WEBHOOK_SECRET") && !strstr(err, "not base64"));
    setenv("KZ_TEST_WEBHOOK_SECRET", secret32, 1);
    CHECK(alerts_secret_load(NULL, "KZ_TEST_WEBHOOK_SECRET", &k, err, sizeof(err)) == 0);
    CHECK_EQ_INT(k.n, 32);
}

int main(void)
{
    RUN(test_sign);
    RUN(test_verify);
    RUN(test_secret_loading);
    return TAP_DONE();
}
