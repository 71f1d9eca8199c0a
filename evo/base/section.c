/* section.c -- reading a configuration section (section.h). */
#include "section.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *sec_get(const json_t *sec, const char *path)
{
    const json_t *cur = sec;
    char key[128];
    while (cur && path && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof key) return NULL;
        memcpy(key, path, n);
        key[n] = 0;
        cur = json_object_get(cur, key);
        path = dot ? dot + 1 : NULL;
    }
    return (json_t *)cur;
}

int64_t sec_int(const json_t *sec, const char *path)
{
    json_t *v = sec_get(sec, path);
    return json_is_integer(v) ? json_integer_value(v)
           : json_is_real(v)  ? (int64_t)json_real_value(v)
                              : 0;
}

double sec_double(const json_t *sec, const char *path)
{
    return json_number_value(sec_get(sec, path));
}

int sec_bool(const json_t *sec, const char *path)
{
    return json_is_true(sec_get(sec, path));
}

const char *sec_string(const json_t *sec, const char *path)
{
    const char *s = json_string_value(sec_get(sec, path));
    return s ? s : "";
}

char *sec_path(const char *base_dir, const char *path)
{
    if (!path) return NULL;
    if (path[0] == '/' || path[0] == 0) return strdup(path);
    char *out = NULL;
    if (path[0] == '~' && (path[1] == '/' || path[1] == 0)) {
        const char *home = getenv("HOME");
        if (!home || !*home) return strdup(path);
        return asprintf(&out, "%s%s", home, path + 1) < 0 ? NULL : out;
    }
    const char *dir = base_dir && *base_dir ? base_dir : ".";
    const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
    return asprintf(&out, "%s%s%s", dir, sep, path) < 0 ? NULL : out;
}
