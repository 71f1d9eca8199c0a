/* file_text.c -- see file_text.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "file_text.h"

char *file_read_text(const char *path, size_t max_bytes, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    int errnum = 0;
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (max_bytes && n > max_bytes) {
            errnum = EFBIG;
            break;
        }
        if (n < cap) break;
        char *bigger = realloc(buf, 2 * cap + 1);
        if (!bigger) break;
        buf = bigger;
        cap *= 2;
    }
    if (!errnum) errnum = !buf || n == cap ? ENOMEM : ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (errnum) {
        free(buf);
        errno = errnum;
        return NULL;
    }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

long file_read_line(FILE *f, char **buf, size_t *cap, size_t max_bytes)
{
    size_t n = 0;
    int c = EOF;
    while ((c = getc(f)) != EOF) {
        if (c != '\n' && n >= max_bytes) return -2;
        if (n + 2 > *cap) {
            size_t bigger = *cap ? 2 * *cap : 256;
            char *b = realloc(*buf, bigger);
            if (!b) {
                errno = ENOMEM;
                return -1;
            }
            *buf = b;
            *cap = bigger;
        }
        (*buf)[n++] = (char)c;
        if (c == '\n') break;
    }
    if (n == 0) {
        errno = ferror(f) ? (errno ? errno : EIO) : 0;
        return -1;
    }
    (*buf)[n] = 0;
    return (long)n;
}
