/* jsonl.c -- a JSON-lines file read one object at a time (see jsonl.h). */
#include "jsonl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int jsonl_foreach(const char *path, int (*fn)(void *user, const json_t *line, long lineno),
                  void *user, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int rc = 0;
    while (rc == 0 && (len = getline(&buf, &cap, f)) > 0 && buf[len - 1] == '\n') {
        lineno++;
        if (len == 1) continue;
        json_error_t je;
        json_t *o = json_loadb(buf, (size_t)len, JSON_DECODE_ANY, &je);
        if (!json_is_object(o)) {
            set_err(err, errlen, "%s:%ld: not a JSON object: %s", path, lineno,
                    o ? "found another JSON value" : je.text);
            rc = -1;
        } else if (fn(user, o, lineno) != 0) {
            rc = -1;
        }
        json_decref(o);
    }
    free(buf);
    fclose(f);
    return rc;
}
