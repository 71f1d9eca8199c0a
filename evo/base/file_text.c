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
