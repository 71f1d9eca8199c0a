/* file_text.h -- the library's one reader of a whole text file (configs, task files,
 * definitions, prompt templates). */
#ifndef EVO_FILE_TEXT_H
#define EVO_FILE_TEXT_H
#include <stddef.h>

/* The file at path as a NUL-terminated malloc'd string, its size in *len (when len is not
 * NULL; a file holding a NUL byte has *len > strlen). At most max_bytes are accepted (0: no
 * limit). NULL with errno set: fopen's or fread's error, EFBIG when the file is larger than
 * max_bytes, ENOMEM. */
char *file_read_text(const char *path, size_t max_bytes, size_t *len);
#endif
