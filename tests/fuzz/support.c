/* support.c -- the helpers of fuzz.h. */
#include "fuzz.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *fuzz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) fuzz_fail("out of memory for a %zu-byte input", size);
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

int fuzz_split(char *text, char **parts, int max)
{
    int n = 0;
    parts[n++] = text;
    while (n < max) {
        char *sep = strstr(parts[n - 1], "\n%%\n");
        if (!sep) break;
        sep[1] = '\0'; /* the part keeps its last newline */
        parts[n++] = sep + 4;
    }
    return n;
}

static char dir[64];

static void remove_dir(void)
{
    if (!dir[0]) return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
                unlink(p);
            }
        closedir(d);
    }
    rmdir(dir);
}

const char *fuzz_dir(void)
{
    if (dir[0]) return dir;
    /* /dev/shm where there is one: targets write a file or three per input. */
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/evo-fuzz-XXXXXX", base);
    if (!mkdtemp(dir)) fuzz_fail("cannot make a scratch folder under %s", base);
    atexit(remove_dir);
    return dir;
}

const char *fuzz_path(const char *name)
{
    static char ring[8][512];
    static int next;
    char *p = ring[next++ % 8];
    snprintf(p, sizeof ring[0], "%s/%s", fuzz_dir(), name);
    return p;
}

void fuzz_write(const char *name, const char *text, size_t len)
{
    const char *p = fuzz_path(name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) fuzz_fail("cannot write %s", p);
}

void fuzz_note(const char *fmt, ...)
{
    static int verbose = -1;
    if (verbose < 0) verbose = getenv("EVO_FUZZ_VERBOSE") != NULL;
    if (!verbose) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}
