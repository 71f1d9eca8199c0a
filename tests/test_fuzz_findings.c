/* test_fuzz_findings.c -- what the fuzz targets (tests/fuzz/) found whose input is too large
 * for a corpus file: each case failed before its fix. The smaller findings live as
 * tests/fuzz/corpus/NAME/regress-* and are replayed by the ctests fuzz_NAME. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "expr.h"
#include "kernel_decl.h"
#include "llm_edit.h"
#include "plan.h"
#include "space.h"
#include "task.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

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

/* fuzz_launch: every "evo:launch" after a comment opener looked for its "*" "/" through the
 * rest of the source, so a source of 60000 unclosed markers (840 KB) took 0.6 s per plan check
 * (quadratic). */
static void test_unclosed_launch_markers(void)
{
    char *src = malloc(60000 * 14 + 1), *q = src;
    for (int i = 0; i < 60000; i++)
        q += sprintf(q, "/* evo:launch\n");
    evo_task task;
    memset(&task, 0, sizeof task);
    char err[512];
    double t0 = now();
    for (int i = 0; i < 20; i++)
        CHECK(plan_parse(src, &task, err, sizeof err) == NULL);
    double t = now() - t0;
    CHECK_MSG(t < 3, "20 plan checks of 60000 unclosed markers took %.1f s", t);
    CHECK_CONTAINS(err, "the source has no evo:launch block");
    free(src);
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

/* Text of n lines, each fmt with its index; then tail. */
static char *text_lines(int n, const char *fmt, const char *tail)
{
    size_t cap = (size_t)n * (strlen(fmt) + 12) + strlen(tail) + 1;
    char *s = malloc(cap), *q = s;
    if (!s) return NULL;
    for (int i = 0; i < n; i++)
        q += sprintf(q, fmt, i);
    strcpy(q, tail);
    return s;
}

/* Apply reply to parent; the seconds it took. */
static double edit_seconds(const char *parent, const char *reply, int *rc, char *reason, size_t cap)
{
    char *out = NULL;
    llm_edit_kind kind;
    double t0 = now();
    *rc = llm_edit_apply(parent, reply, 0, &out, &kind, reason, cap);
    double t = now() - t0;
    free(out);
    return t;
}

/* fuzz_edit: SEARCH text was looked for by comparing it at every line of the parent, again
 * with every line squashed for the whitespace-tolerant pass, for every block: a 1 MB reply of
 * 10000 one-line blocks on a 1 MB parent took 38 s, and one block of 2000 "}" lines and a
 * line not in a parent of 200000 "}" lines took minutes. A reply holds at most
 * LLM_EDIT_MAX_BLOCKS blocks, and each is found in time linear in the two texts. */
static void test_edit_bounds(void)
{
    char reason[512] = "";
    int rc;
    char *parent = text_lines(30000, "    int value_%05d = 1;\n", "");
    char *reply = text_lines(10000,
                             "<<<<<<< SEARCH\n  int   value_%05d = 1;\n=======\nx\n"
                             ">>>>>>> REPLACE\n",
                             "");
    double t = edit_seconds(parent, reply, &rc, reason, sizeof reason);
    CHECK_MSG(t < 60, "10000 blocks took %.1f s", t);
    CHECK(rc != 0);
    CHECK_CONTAINS(reason, "the reply has 10000 SEARCH/REPLACE blocks, more than 256");
    free(reply);
    /* 256 blocks that match only with whitespace ignored, on the 1 MB parent */
    reply = text_lines(256,
                       "<<<<<<< SEARCH\n  int   value_%05d = 1;\n=======\nx\n"
                       ">>>>>>> REPLACE\n",
                       "");
    t = edit_seconds(parent, reply, &rc, reason, sizeof reason);
    CHECK_MSG(t < 60 && rc == 0, "256 blocks: %.1f s, %s", t, reason);
    free(reply);
    free(parent);

    parent = text_lines(200000, "}\n", "");
    reply = text_lines(2000, "}\n", "not in the parent\n=======\nx\n>>>>>>> REPLACE\n");
    char *block = malloc(strlen(reply) + 32);
    sprintf(block, "<<<<<<< SEARCH\n%s", reply);
    t = edit_seconds(parent, block, &rc, reason, sizeof reason);
    CHECK_MSG(t < 5, "a 2000-line SEARCH in a 200000-line parent took %.1f s", t);

    CHECK_CONTAINS(reason, "SEARCH/REPLACE block 1: SEARCH text not found in the parent");
    /* ... and where it does match, every place is counted */
    sprintf(block, "<<<<<<< SEARCH\n}\n}\n=======\nx\n>>>>>>> REPLACE\n");
    t = edit_seconds(parent, block, &rc, reason, sizeof reason);
    CHECK_CONTAINS(reason, "SEARCH text is ambiguous: it matches 199999 places");
    free(block);
    free(reply);
    free(parent);
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    int rc = fputs(text, f) < 0;
    return fclose(f) || rc ? -1 : 0;
}

/* fuzz_trace: every workload holds an entry of about 800 bytes for each input of its
 * definition, present or not, so 144 KB of FlashInfer Trace files (1000 optional inputs, 1000
 * workloads giving none of them) took 774 MB. A definition has at most TASK_MAX_TENSORS inputs
 * and outputs and TASK_MAX_AXES axes (the workloads per file are bounded by json_limits.h). */
static void test_trace_bounds(void)
{
    char dir[] = "/tmp/evo-test-fuzz-findings-XXXXXX", def[128], err[1024] = "";
    CHECK(mkdtemp(dir) != NULL);
    snprintf(def, sizeof def, "%s/definition.json", dir);
    char *ins = text_lines(1000,
                           "\"x%d\": {\"shape\": null, \"dtype\": \"float32\", "
                           "\"optional\": true}, ",
                           "\"last\": {\"shape\": null, "
                           "\"dtype\": \"float32\"}");
    char *text = malloc(strlen(ins) + 256);
    sprintf(text,
            "{\"name\": \"d\", \"axes\": {\"M\": {\"type\": \"var\"}}, \"inputs\": {%s}, "
            "\"outputs\": {\"y\": {\"shape\": [\"M\"], \"dtype\": \"float32\"}}}",
            ins);
    CHECK(write_file(def, text) == 0);
    task_definition d;
    CHECK(task_load_definition(def, &d, err, sizeof err) != 0);
    CHECK_CONTAINS(err, "key 'inputs': 1001 tensors (at most 64)");
    free(text);
    free(ins);

    char *axes = text_lines(100, "\"A%d\": {\"type\": \"const\", \"value\": 1}, ",
                            "\"M\": {\"type\": \"var\"}");
    text = malloc(strlen(axes) + 256);
    sprintf(text,
            "{\"name\": \"d\", \"axes\": {%s}, \"inputs\": {}, \"outputs\": "
            "{\"y\": {\"shape\": [\"M\"], \"dtype\": \"float32\"}}}",
            axes);
    CHECK(write_file(def, text) == 0);
    CHECK(task_load_definition(def, &d, err, sizeof err) != 0);
    CHECK_CONTAINS(err, "key 'axes': 101 axes (at most 64)");
    free(text);
    free(axes);

    unlink(def);
    rmdir(dir);
}

static int no_names(void *user, const char *name, int64_t *out)
{
    (void)user;
    (void)name;
    *out = 1;
    return 0;
}

/* n copies of term joined by op, then tail. */
static char *chain(int n, const char *term, const char *op, const char *tail)
{
    size_t cap = (size_t)n * (strlen(term) + strlen(op)) + strlen(tail) + 1;
    char *s = malloc(cap), *q = s;
    if (!s) return NULL;
    for (int i = 0; i < n; i++)
        q += sprintf(q, "%s%s", i ? op : "", term);
    strcpy(q, tail);
    return s;
}

/* fuzz_expr: "1+1+...+1" builds a tree as deep as it has terms, and evaluating or freeing it
 * recursed that deep: 300000 terms (600 KB, a require line or a plan's grid a model writes)
 * overflowed the stack (SIGSEGV). An expression is at most 1000 operations deep. */
static void test_expr_height(void)
{
    char err[256];
    int64_t v = 0;
    char *text = chain(300000, "1", "+", "");
    evo_expr *e = expr_parse(text, err, sizeof err);
    CHECK(e == NULL);
    CHECK_CONTAINS(err, "the expression is more than 1000 operations deep");
    if (e) expr_eval(e, no_names, NULL, &v, err, sizeof err); /* recursed 300000 deep */
    expr_free(e);
    free(text);
    text = chain(300000, "x", "*", " +");
    e = expr_parse(text, err, sizeof err); /* refused before the syntax error, freed */
    CHECK(e == NULL);
    free(text);
    /* inside parentheses the depths add up */
    text = malloc(150 * 22 + 2); /* ((1+1...)+1+1...)...: 150 levels, 10 more terms each */
    char *q = text;
    for (int i = 0; i < 150; i++)
        *q++ = '(';
    *q++ = '1';
    for (int i = 0; i < 150; i++)
        q += sprintf(q, "+1+1+1+1+1+1+1+1+1+1)");
    e = expr_parse(text, err, sizeof err);
    CHECK(e == NULL);
    CHECK_CONTAINS(err, "operations deep");
    free(text);
    /* 1000 terms of a sum: 999 deep */
    text = chain(1000, "M", "+", "");
    e = expr_parse(text, err, sizeof err);
    CHECK_MSG(e && expr_eval(e, no_names, NULL, &v, err, sizeof err) == 0 && v == 1000, "%s", err);
    expr_free(e);
    free(text);
}

int main(void)
{
    test_many_declarations();
    test_kernel_past_the_limit();
    test_unclosed_launch_markers();
    test_space_bounds();
    test_edit_bounds();
    test_trace_bounds();
    test_expr_height();
    return CHECK_DONE();
}
