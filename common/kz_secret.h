/*
 * kz_secret.h -- the first line of a secret file: a Redis password
 * (--redis-password-file), a bearer token (--token-file), a webhook secret
 * (--webhook-secret-file).
 *
 * kz_secret_first_line() reads at most cap - 1 bytes of the file into buf and
 * keeps its first line, the line ending cut and the rest of the buffer wiped.
 * It refuses, with buf wiped: a file it cannot open or read (KZ_EIO, errno
 * kept for the caller's message), a first line longer than cap - 1 bytes
 * (KZ_ERANGE), an empty first line (KZ_ENOTFOUND) and one holding a NUL byte
 * (KZ_EINVAL).  kz_secret_why() words the last three for a message.
 *
 * Header-only, as common/ is: pipeline/, serve/ and alerts/ each read one
 * kind of secret, and tests/fuzz/fuzz_secrets.c reads them through this.
 */
#ifndef KZ_SECRET_H
#define KZ_SECRET_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kz.h"

static inline int kz_secret_first_line(const char *path, char *buf, size_t cap)
{
    FILE *f;
    size_t n, len = 0;
    int bad, more, saved;

    if (!buf || cap < 2)
        return KZ_EINVAL;
    buf[0] = '\0';
    if (!(f = fopen(path, "rb")))
        return KZ_EIO;
    n = fread(buf, 1, cap - 1, f);
    bad = ferror(f);
    more = !bad && n == cap - 1 && fgetc(f) != EOF;
    saved = errno;
    fclose(f);
    errno = saved;
    buf[n] = '\0';
    while (len < n && buf[len] != '\n' && buf[len] != '\r')
        len++;
    int rc = bad                   ? KZ_EIO
             : more && len == n    ? KZ_ERANGE
             : !len                ? KZ_ENOTFOUND
             : memchr(buf, 0, len) ? KZ_EINVAL
                                   : KZ_OK;
    memset(buf + (rc ? 0 : len), 0, cap - (rc ? 0 : len));
    return rc;
}

static inline const char *kz_secret_why(int rc)
{
    switch (rc) {
    case KZ_ERANGE:
        return "the first line is too long";
    case KZ_ENOTFOUND:
        return "the first line is empty";
    case KZ_EINVAL:
        return "the first line holds a NUL byte";
    default:
        return "cannot be read";
    }
}

#endif /* KZ_SECRET_H */
