/*
 * tap.h -- the smallest test framework that does the job.
 *
 * CHECK(cond) records a failure with file:line and goes on; CHECK_EQ_INT and
 * CHECK_EQ_STR print both sides.  A test file's main() runs its cases with
 * RUN(fn) and returns TAP_DONE(), which is what meson reads: 1 when any check
 * failed, and 1 too when no check ran at all (a test that checks nothing
 * passes nothing); 0 otherwise.  A test that cannot run here (a server it
 * needs is missing) returns TAP_SKIP(why): exit status 77, which meson
 * reports as skipped, never as passed.  No globals leak between test files: each is its own
 * executable.
 */
#ifndef KZ_TAP_H
#define KZ_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_failed, tap_checks;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        tap_checks++;                                                                              \
        if (!(cond)) {                                                                             \
            tap_failed++;                                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long tap_a_ = (long long)(a), tap_b_ = (long long)(b);                                \
        tap_checks++;                                                                              \
        if (tap_a_ != tap_b_) {                                                                    \
            tap_failed++;                                                                          \
            fprintf(stderr, "%s:%d: %s == %s: got %lld, want %lld\n", __FILE__, __LINE__, #a, #b,  \
                    tap_a_, tap_b_);                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *tap_a_ = (a), *tap_b_ = (b);                                                   \
        tap_checks++;                                                                              \
        if (!tap_a_ || !tap_b_ || strcmp(tap_a_, tap_b_) != 0) {                                   \
            tap_failed++;                                                                          \
            fprintf(stderr, "%s:%d: %s == %s: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, #a,  \
                    #b, tap_a_ ? tap_a_ : "(null)", tap_b_ ? tap_b_ : "(null)");                   \
        }                                                                                          \
    } while (0)

/* Compare a (pointer, length) string with a C string. */
#define CHECK_EQ_MEM(p, n, want)                                                                   \
    do {                                                                                           \
        const char *tap_w_ = (want);                                                               \
        size_t tap_n_ = (n);                                                                       \
        tap_checks++;                                                                              \
        if (tap_n_ != strlen(tap_w_) || (tap_n_ && memcmp((p), tap_w_, tap_n_) != 0)) {            \
            tap_failed++;                                                                          \
            fprintf(stderr, "%s:%d: %s: got \"%.*s\", want \"%s\"\n", __FILE__, __LINE__, #p,      \
                    (int)tap_n_, (p) ? (const char *)(p) : "", tap_w_);                            \
        }                                                                                          \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        int tap_before_ = tap_failed;                                                              \
        fn();                                                                                      \
        fprintf(stderr, "%s %s\n", tap_failed == tap_before_ ? "ok  " : "FAIL", #fn);              \
    } while (0)

#define TAP_DONE()                                                                                 \
    (fprintf(stderr, "%d checks, %d failed%s\n", tap_checks, tap_failed,                           \
             tap_checks ? "" : " (no check ran: a failure)"),                                      \
     tap_failed || !tap_checks ? 1 : 0)

#define TAP_SKIP(why) (fprintf(stderr, "skipped: %s\n", (why)), 77)

#endif /* KZ_TAP_H */
