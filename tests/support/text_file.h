/* text_file.h -- the tests' one reader of a whole file. */
#ifndef EVO_TEST_TEXT_FILE_H
#define EVO_TEST_TEXT_FILE_H

/* The file as a NUL-terminated malloc'd string (a pipe or a growing file too: it reads to
 * EOF), or NULL when it cannot be opened or memory runs out. */
char *read_text_file(const char *path);
#endif
