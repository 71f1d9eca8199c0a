/* check.h -- the tiny test harness shared by the C test suites.
 * CHECK(cond) records a failure with file:line and goes on; a suite ends with
 * CHECK_DONE(), which prints "N passed, N failed" and returns the exit code. */
#ifndef EVO_TEST_CHECK_H
#define EVO_TEST_CHECK_H
#include <stdio.h>
#include <string.h>

extern int check_passed, check_failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            check_passed++;                                                                        \
        } else {                                                                                   \
            check_failed++;                                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        if (cond) {                                                                                \
            check_passed++;                                                                        \
        } else {                                                                                   \
            check_failed++;                                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* Substring check with the actual text printed on failure. */
static inline int check_contains_(const char *hay, const char *needle)
{
    return hay && needle && strstr(hay, needle) != NULL;
}
static inline const char *check_text_(const char *s)
{
    return s ? s : "(null)";
}
#define CHECK_CONTAINS(hay, needle)                                                                \
    CHECK_MSG(check_contains_((hay), (needle)), "\"%s\" does not contain \"%s\"",                  \
              check_text_(hay), (needle))

#define CHECK_DONE()                                                                               \
    (printf("%d passed, %d failed\n", check_passed, check_failed), check_failed ? 1 : 0)

/* Skip the whole suite with a visible reason (ctest SKIP_RETURN_CODE 77). */
#define CHECK_SKIP(...)                                                                            \
    do {                                                                                           \
        printf("SKIPPED: ");                                                                       \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        return 77;                                                                                 \
    } while (0)
#endif
