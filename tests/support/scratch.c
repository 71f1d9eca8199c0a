/* scratch.c -- see scratch.h. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "scratch.h"

static char root[256];

const char *scratch_dir(const char *name)
{
    snprintf(root, sizeof root, "/tmp/evo-test-%s-XXXXXX", name);
    if (!mkdtemp(root)) {
        perror("scratch_dir: mkdtemp");
        exit(1);
    }
    return root;
}

const char *scratch_path(const char *name)
{
    static char buf[8][512];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", root, name);
    return p;
}

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(p);
}

int scratch_remove(void)
{
    if (!root[0] || check_failed) return 0;
    return nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
