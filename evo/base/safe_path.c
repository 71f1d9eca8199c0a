/* safe_path.c -- plain names, confined relative paths, containment by real path
 * (safe_path.h states the rule). */
#include "safe_path.h"

#include <stdio.h>
#include <string.h>

int safe_name(const char *s)
{
    if (!s || !s[0] || s[0] == '.' || strlen(s) > SAFE_NAME_MAX) return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

int safe_relpath(const char *rel)
{
    if (!rel || !rel[0] || rel[0] == '/') return 0;
    for (const char *p = rel; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') return 0;
        p += n;
        while (*p == '/')
            p++;
    }
    return 1;
}

int safe_inside(const char *root, const char *path)
{
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    if (strncmp(root, path, n) != 0) return 0;
    return path[n] == 0 || path[n] == '/' || (n == 1 && root[0] == '/');
}

char *safe_text(const char *s, char *out, size_t n)
{
    size_t k = 0;
    if (!n) return out;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && k + 1 < n; p++) {
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f) {
            if (k + 5 > n) break;
            snprintf(out + k, n - k, "\\x%02x", *p);
            k += 4;
        } else {
            out[k++] = (char)*p;
        }
    }
    out[k] = 0;
    return out;
}
