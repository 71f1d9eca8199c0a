/* errbuf.h -- the library's one error formatter for functions that report into a caller's
 * buffer (char *err, size_t errlen): the config loader, parsers, the task model, the store's
 * open path. Handles (engine, store, run) keep their own message instead: see evo.h. */
#ifndef EVO_ERRBUF_H
#define EVO_ERRBUF_H
#include <stddef.h>

/* Format into err (which may be NULL, or errlen 0: nothing is written) and return rc, so a
 * failing path reads `return errbuf_set(err, errlen, -1, "line %d: ...", line);`. */
int errbuf_set(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same for functions whose failure is -1. */
#define errbuf_fail(err, errlen, ...) errbuf_set(err, errlen, -1, __VA_ARGS__)
#endif
