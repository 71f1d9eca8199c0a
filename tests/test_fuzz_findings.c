/* test_fuzz_findings.c -- what the fuzz targets (tests/fuzz/) found whose input is too large
 * for a corpus file: each case failed before its fix. The smaller findings live as
 * tests/fuzz/corpus/NAME/regress-* and are replayed by the ctests fuzz_NAME. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "kernel_decl.h"
#include "plan.h"
#include "space.h"

/* fuzz_launch: every __global__ declaration took a 17 KB record, so a 1 MB source of short
 * declarations (a model's reply may be that long) made kernel_decl_parse allocate 1.2 GB. The
 * reader keeps the first KDECL_MAX_KERNELS; a kernel declared among them is still found. */
static void test_many_declarations(void)
{
    const char *head = "extern \"C\" __global__ void real(float *x, int n) {}\n";
    const char *decl = "__global__ f()\n";
    size_t n = 70000, len = strlen(head) + n * strlen(decl) + 1;
    char *src = malloc(len), *q = src;
    if (!src) {
        CHECK(!"out of memory");
        return;
    }
    q += sprintf(q, "%s", head);
    for (size_t i = 0; i < n; i++)
        q += sprintf(q, "%s", decl);
    int nk = -1;
    kdecl *ks = kernel_decl_parse(src, &nk);
    CHECK_MSG((size_t)nk * sizeof(kdecl) <= (16u << 20),
              "%d declarations kept: %zu MB for a %zu KB source", nk,
              (size_t)nk * sizeof(kdecl) >> 20, len >> 10);
    CHECK(ks && nk >= 1 && !strcmp(ks[0].name, "real") && ks[0].is_c && ks[0].nparams == 2);
    free(ks);
    free(src);
}

/* ... and a plan naming a kernel declared after them says why it is not found. */
static void test_kernel_past_the_limit(void)
{
    static const char def[] = "{\"name\": \"d\", \"axes\": {\"M\": {\"type\": \"var\"}},"
                              " \"inputs\": {}, \"outputs\": {\"C\": {\"shape\": [\"M\"],"
                              " \"dtype\": \"float32\"}}}";
    char path[] = "/tmp/evo-test-fuzz-findings-XXXXXX", err[512] = "";
    int fd = mkstemp(path);
    evo_task task;
    memset(&task, 0, sizeof task);
    CHECK(fd >= 0 && write(fd, def, sizeof def - 1) == (ssize_t)(sizeof def - 1));
    close(fd);
    CHECK_MSG(task_load_definition(path, &task.def, err, sizeof err) == 0, "%s", err);
    unlink(path);
    size_t cap = 400 * 20 + 512;
    char *src = malloc(cap), *q = src;
    q += sprintf(q, "/* evo:launch\n kernel late\n grid 1\n block 32\n args C\n*/\n");
    for (int i = 0; i < 400; i++)
        q += sprintf(q, "__global__ f%d()\n", i);
    sprintf(q, "extern \"C\" __global__ void late(float *C) {}\n");
    evo_plan *p = plan_parse(src, &task, err, sizeof err);
    CHECK(p == NULL);
    CHECK_CONTAINS(err, "kernel 'late' is not declared in the source");
    CHECK_CONTAINS(err, "only the first 256 declarations are read");
    plan_free(p);
    free(src);
    task_definition_free(&task.def);
}

/* An evo:params block of n lines, each line fmt with its index. */
static char *params_block(int n, const char *fmt)
{
    size_t cap = (size_t)n * (strlen(fmt) + 12) + 64;
    char *src = malloc(cap), *q = src;
    if (!src) return NULL;
    q += sprintf(q, "/* evo:params\n");
    for (int i = 0; i < n; i++)
        q += sprintf(q, fmt, i);
    sprintf(q, "*/\n");
    return src;
}

static void space_refused(const char *src, const char *want)
{
    char err[256] = "";
    evo_space *s = src ? space_parse(src, err, sizeof err) : NULL;
    CHECK_MSG(src && !s, "a space of %d parameters, %d constraints was accepted",
              s ? s->nparams : -1, s ? s->nconstraints : -1);
    CHECK_CONTAINS(err, want);
    space_free(s);
}

/* fuzz_params: a 20 KB block of 1000 "range 0..65535" parameters expanded 65 million values
 * (3 GB, 12 s); 20000 bool parameters took 15 s (each new name is compared with every other,
 * and looked for as an #ifndef default in the whole source); 20000 constraints are all checked
 * for every point tried. Spaces are bounded: parameters, constraints, values in all. */
static void test_space_bounds(void)
{
    char *src = params_block(1000, "P%d range 0..65535\n");
    space_refused(src, "the space's domains hold more than 262144 values in all");
    free(src);
    src = params_block(20000, "P%d bool\n");
    space_refused(src, "line 258: more than 256 parameters");
    free(src);
    src = params_block(20000, "require %d >= 0\n");
    space_refused(src, "line 258: more than 256 constraints");
    free(src);
    /* the bounds themselves are accepted */
    src = params_block(256, "P%d set 1 2\n");
    char err[256] = "";
    evo_space *s = space_parse(src, err, sizeof err);
    CHECK_MSG(s && s->nparams == 256, "%s", err);
    space_free(s);
    free(src);
    src = params_block(4, "P%d range 1..65536\n");
    s = space_parse(src, err, sizeof err);
    CHECK_MSG(s && s->nparams == 4, "%s", err);
    space_free(s);
    free(src);
}

int main(void)
{
    test_many_declarations();
    test_kernel_past_the_limit();
    test_space_bounds();
    return CHECK_DONE();
}
