/* file_text.h -- the library's one reader of a whole text file (configs, task files,
 * definitions, prompt templates), and of one line at a time (workload JSONL), both bounded. */
#ifndef EVO_FILE_TEXT_H
#define EVO_FILE_TEXT_H
#include <stddef.h>
#include <stdio.h>

/* The file at path as a NUL-terminated malloc'd string, its size in *len (when len is not
 * NULL; a file holding a NUL byte has *len > strlen). At most max_bytes are accepted (0: no
 * limit). NULL with errno set: fopen's or fread's error, EFBIG when the file is larger than
 * max_bytes, ENOMEM. */
char *file_read_text(const char *path, size_t max_bytes, size_t *len);
/* The next line of f, its '\n' kept, into *buf (grown as getline grows it; NUL-terminated):
 * its length in bytes; -1 at the end of the file (errno 0) or on a read error or out of
 * memory (errno set); -2 when the line holds more than max_bytes before its '\n' (then what
 * follows in f is undefined). getline itself would grow without bound (/dev/zero). */
long file_read_line(FILE *f, char **buf, size_t *cap, size_t max_bytes);
#endif
