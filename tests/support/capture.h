/* capture.h -- run one CLI subcommand function in-process with its stdout and stderr captured
 * (the suites that compile an evo/cli_*.c file in, to check exit codes and exact texts). */
#ifndef EVO_TEST_CAPTURE_H
#define EVO_TEST_CAPTURE_H
#include <stddef.h>

/* Calls fn(argc, argv) with fd 1 and 2 redirected to temporary files, then copies what it
 * printed into out and err (NUL-terminated, cut to the buffers). Returns fn's result. */
int capture_call(int (*fn)(int, char **), int argc, const char **argv, char *out, size_t outn,
                 char *err, size_t errn);
#endif
