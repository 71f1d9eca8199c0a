/* replay.c -- a fuzz target without libFuzzer: runs LLVMFuzzerTestOneInput once on every file
 * named on the command line or found in a folder named there (the committed corpus, with the
 * inputs that once failed), in name order, and says how many it ran. The normal build's CPU
 * ctests use it (tests/fuzz/CMakeLists.txt), so gcc and its sanitizers see every input too. */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "replay: %s: out of memory\n", path);
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    int ran = 0, bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            bad++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            bad += run_file(argv[i]) != 0;
            ran++;
            continue;
        }
        struct dirent **names;
        int n = scandir(argv[i], &names, NULL, NULL);
        if (n < 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            bad++;
            continue;
        }
        char **paths = calloc((size_t)n + 1, sizeof *paths);
        int np = 0;
        for (int k = 0; k < n; k++) {
            if (names[k]->d_name[0] != '.') {
                size_t len = strlen(argv[i]) + strlen(names[k]->d_name) + 2;
                paths[np] = malloc(len);
                snprintf(paths[np++], len, "%s/%s", argv[i], names[k]->d_name);
            }
            free(names[k]);
        }
        free(names);
        qsort(paths, (size_t)np, sizeof *paths, by_name);
        for (int k = 0; k < np; k++) {
            bad += run_file(paths[k]) != 0;
            ran++;
            free(paths[k]);
        }
        free(paths);
    }
    printf("replay: %d inputs run, %d unreadable\n", ran, bad);
    return bad || ran == 0 ? 1 : 0;
}
