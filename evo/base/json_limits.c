/* json_limits.c -- see json_limits.h. */
#include "json_limits.h"
#include "errbuf.h"
#include "file_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const json_limits json_limits_config = {1u << 20, 32, 10000, "a config"};
const json_limits json_limits_data = {4u << 20, 32, 100000, "a task or definition file"};
const json_limits json_limits_line = {1u << 20, 32, 100000, "a workload line"};

typedef struct meter {
    const json_limits *lim;
    const char *name;
    int one_line, line, col;
    char *err;
    size_t errlen;
} meter;

static int over(const meter *m, const char *fmt, size_t limit)
{
    char what[160];
    snprintf(what, sizeof what, fmt, limit);
    if (!m->name)
        return errbuf_fail(m->err, m->errlen, "%s (the limit for %s)", what, m->lim->what);
    if (m->one_line)
        return errbuf_fail(m->err, m->errlen, "%s:%d: %s (the limit for %s)", m->name, m->col, what,
                           m->lim->what);
    return errbuf_fail(m->err, m->errlen, "%s:%d:%d: %s (the limit for %s)", m->name, m->line,
                       m->col, what, m->lim->what);
}

/* Columns count code points from 1, as jansson's and the config's own messages do. */
static void step(meter *m, unsigned char c)
{
    if (c == '\n') {
        m->line++;
        m->col = 0;
    } else if ((c & 0xC0) != 0x80) {
        m->col++;
    }
}

int json_limits_check(const char *text, size_t len, const json_limits *lim, const char *name,
                      int one_line, char *err, size_t errlen)
{
    if (len > lim->max_bytes)
        return errbuf_fail(err, errlen, "%s%s%zu bytes, more than %zu (the limit for %s)",
                           name ? name : "", name ? ": " : "", len, lim->max_bytes, lim->what);
    meter m = {lim, name, one_line, 1, 0, err, errlen};
    int depth = 0, fresh = 0; /* fresh: after '{', '[' or ',', before the value that follows */
    size_t values = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        step(&m, c);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        /* A container's first member or element, and each one after a comma, is one value;
         * the limit is reported where that value starts. */
        if (fresh && c != '}' && c != ']' && ++values > lim->max_values)
            return over(&m, "more than %zu keys and array elements", lim->max_values);
        fresh = c == ',' && depth > 0;
        if (c == '{' || c == '[') {
            if (++depth > lim->max_depth)
                return over(&m, "nested deeper than %zu levels", (size_t)lim->max_depth);
            fresh = 1;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        } else if (c == '"') {
            for (i++; i < len && text[i] != '"'; i++) {
                step(&m, (unsigned char)text[i]);
                if (text[i] == '\\' && i + 1 < len) step(&m, (unsigned char)text[++i]);
            }
            if (i < len) step(&m, '"');
        }
    }
    return 0;
}

json_t *json_limits_load_file(const char *path, const json_limits *lim, size_t flags, char *err,
                              size_t errlen)
{
    size_t len = 0;
    char *text = file_read_text(path, lim->max_bytes, &len);
    if (!text) {
        int e = errno;
        if (e == EFBIG)
            errbuf_fail(err, errlen, "%s: larger than %zu bytes (the limit for %s)", path,
                        lim->max_bytes, lim->what);
        else if (e == ENOMEM)
            errbuf_fail(err, errlen, "%s: out of memory while reading it", path);
        else
            errbuf_fail(err, errlen, "%s: cannot read: %s", path, strerror(e));
        return NULL;
    }
    json_t *root = NULL;
    json_error_t je;
    if (json_limits_check(text, len, lim, path, 0, err, errlen) == 0) {
        root = json_loadb(text, len, flags, &je);
        if (!root && json_error_code(&je) == json_error_out_of_memory)
            errbuf_fail(err, errlen, "%s: out of memory while parsing it (%zu bytes)", path, len);
        else if (!root)
            errbuf_fail(err, errlen, "%s:%d:%d: invalid JSON: %s", path, je.line > 0 ? je.line : 1,
                        je.column > 0 ? je.column : 1, je.text);
    }
    free(text);
    return root;
}
