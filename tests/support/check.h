/* check.h -- the tiny test harness shared by the C test suites.
 * CHECK(cond) records a failure with file:line and goes on; a suite ends with
 * CHECK_DONE(), which prints "N passed, N failed" and returns the exit code. */
#ifndef EVO_TEST_CHECK_H
#define EVO_TEST_CHECK_H
#include <stdio.h>
#include <string.h>

extern int check_passed, check_failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            check_passed++;                                                          \
        } else {                                                                     \
            check_failed++;                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_MSG(cond, ...)                                                          \
    do {                                                                              \
        if (cond) {                                                                   \
            check_passed++;                                                           \
        } else {                                                                      \
            check_failed++;                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                      \
        }                                                                             \
    } while (0)

/* Substring check with the actual text printed on failure. */
#define CHECK_CONTAINS(hay, needle) \
    CHECK_MSG((hay) && strstr((hay), (needle)), "\"%s\" does not contain \"%s\"", (hay) ? (hay) : "(null)", (needle))

#define CHECK_DONE()                                                        \
    (printf("%d passed, %d failed\n", check_passed, check_failed),         \
     check_failed ? 1 : 0)

/* Skip the whole suite with a visible reason (ctest SKIP_RETURN_CODE 77). */
#define CHECK_SKIP(...) \
    do { printf("SKIPPED: "); printf(__VA_ARGS__); printf("\n"); return 77; } while (0)
#endif
