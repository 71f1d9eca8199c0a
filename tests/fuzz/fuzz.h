/* fuzz.h -- what the fuzz targets (tests/fuzz/fuzz_*.c) share: the libFuzzer entry points, the
 * input as text, inputs of several parts, and a private scratch folder for readers that take
 * a path. Each target is built twice: with libFuzzer (cmake -DEVO_FUZZ=ON, clang) and, in the
 * normal build, with replay.c, which runs every file of its corpus once (a CPU ctest), so the
 * inputs that once failed stay checked by gcc and its sanitizers too. */
#ifndef EVO_FUZZ_H
#define EVO_FUZZ_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as a NUL-terminated malloc'd copy (a NUL byte inside ends the text early, as it
 * would in a file read as a string). Never NULL: aborts when out of memory. */
char *fuzz_text(const uint8_t *data, size_t size);
/* Cut text in place at each line "%%" (the separator "\n%%\n"), into at most max parts;
 * the last part keeps any further separators. Returns the number of parts (at least 1). */
int fuzz_split(char *text, char **parts, int max);
/* A private folder, made on first use and removed at exit, and NAME inside it (static ring
 * of buffers). */
const char *fuzz_dir(void);
const char *fuzz_path(const char *name);
/* Write text (len bytes) to NAME in the folder, replacing it; aborts on failure. */
void fuzz_write(const char *name, const char *text, size_t len);
/* Print a line to stderr when EVO_FUZZ_VERBOSE is set (what a target accepted or refused, for
 * a look at what a corpus reaches: EVO_FUZZ_VERBOSE=1 fuzz_NAME_replay corpus/NAME). */
void fuzz_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Stop with a message: an invariant a target checks does not hold (libFuzzer keeps the
 * input as a crash). */
void fuzz_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
#endif
