/*
 * kz.h -- the few definitions every kzpulse module shares.
 *
 * Error codes: functions return 0 (KZ_OK) or a negative KZ_E* code; where a
 * person needs more, boundaries also take `char *err, size_t errlen` and write
 * a one-line message there.  Strings crossing module boundaries are UTF-8 with
 * explicit lengths (struct kz_str), never assumed NUL-terminated.
 *
 * This header is deliberately tiny and header-only: it is the one place the
 * modules agree on, and it holds nothing that belongs to any one of them.
 */
#ifndef KZ_H
#define KZ_H

#include <stddef.h>
#include <stdint.h>

enum kz_err {
    KZ_OK = 0,
    KZ_ENOMEM = -1,       /* allocation failed */
    KZ_EINVAL = -2,       /* bad argument or configuration */
    KZ_EIO = -3,          /* read/write/connect failed */
    KZ_EDECODE = -4,      /* input could not be decoded (see the dead letter) */
    KZ_ERANGE = -5,       /* value or size out of range */
    KZ_ENOTFOUND = -6,    /* no such item */
    KZ_EAGAIN = -7,       /* transient failure, retry later */
    KZ_EUNSUPPORTED = -8, /* not supported by this implementation */
};

static inline const char *kz_strerror(int rc)
{
    switch (rc) {
    case KZ_OK:
        return "ok";
    case KZ_ENOMEM:
        return "out of memory";
    case KZ_EINVAL:
        return "invalid argument";
    case KZ_EIO:
        return "i/o error";
    case KZ_EDECODE:
        return "undecodable input";
    case KZ_ERANGE:
        return "out of range";
    case KZ_ENOTFOUND:
        return "not found";
    case KZ_EAGAIN:
        return "temporary failure";
    case KZ_EUNSUPPORTED:
        return "unsupported";
    default:
        return "unknown error";
    }
}

/* A borrowed UTF-8 string with explicit length.  p may be NULL when n == 0. */
struct kz_str {
    const char *p;
    size_t n;
};

#define KZ_STR_NULL ((struct kz_str){NULL, 0})

static inline struct kz_str kz_str_make(const char *p, size_t n)
{
    struct kz_str s = {p, n};
    return s;
}

#define KZ_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* s[0..n) is a plain token: ASCII letters, digits, '_', '.', ':' and '-' only
 * (safe in an HTTP header, a log line and a Prometheus label). */
static inline int kz_plain_token(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == ':' || c == '-'))
            return 0;
    }
    return 1;
}

#endif /* KZ_H */
