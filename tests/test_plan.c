/* test_plan.c -- launch plans: a multi-kernel plan with a workspace parsed and resolved,
 * every validation error with its exact text and line, and resolution limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "plan.h"

static evo_task task;

static const char *DEF =
    "{\"name\": \"g\", \"axes\": {\"M\": {\"type\": \"var\"}, \"N\": {\"type\": \"const\", "
    "\"value\": 4096}, \"K\": {\"type\": \"const\", \"value\": 4096}},"
    " \"inputs\": {\"A\": {\"shape\": [\"M\", \"K\"], \"dtype\": \"float16\"},"
    " \"B\": {\"shape\": [\"N\", \"K\"], \"dtype\": \"float16\"},"
    " \"alpha\": {\"shape\": null, \"dtype\": \"float32\"},"
    " \"off\": {\"shape\": null, \"dtype\": \"int32\"}},"
    " \"outputs\": {\"C\": {\"shape\": [\"M\", \"N\"], \"dtype\": \"float16\"}}}";

static int load_task(void)
{
    char path[] = "/tmp/evo_test_plan_XXXXXX", err[512];
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    if (write(fd, DEF, strlen(DEF)) != (ssize_t)strlen(DEF)) return -1;
    close(fd);
    int rc = task_load_definition(path, &task.def, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    unlink(path);
    return rc;
}

static const char *GOOD =
    "#include <cuda_fp16.h>\n"
    "/* evo:launch\n"
    " workspace partial float32 KSPLIT * M * N   # partial sums\n"
    " kernel gemm_partial\n"
    "   grid  ceil_div(N, BN), ceil_div(M, BM), KSPLIT\n"
    "\n"
    "   block NTHREADS\n"
    "   smem  (BM + BN) * BK * 2 * STAGES\n"
    "   args  A, B, partial, M, N, K\n"
    " * kernel gemm_reduce\n"
    " * grid ceil_div(M * N, 256)\n"
    "   block 256\n"
    "   args partial, C, M, N,\n"
    "   args i64(K), alpha, off, -4\n"
    "*/\n"
    "// extern \"C\" __global__ void decoy(int x);\n"
    "#define DECL extern \"C\" __global__ void macro_kernel(double)\n"
    "template <int N> __device__ int f(int x) { return x; }\n"
    "extern \"C\" __global__ void __launch_bounds__(256, 2)\n"
    "gemm_partial(const __half* __restrict__ A, const __half *__restrict__ B, float* partial,\n"
    "             int M, int N, int K) {}\n"
    "extern \"C\" {\n"
    "struct S { int a; };\n"
    "__global__ void gemm_reduce(const float* partial, __half* const C, int M, unsigned N,\n"
    "                            long long K, float alpha, int32_t off, int lit) { }\n"
    "}\n";

typedef struct {
    const char *name[12];
    int64_t value[12];
} vars;

static int lookup(void *user, const char *name, int64_t *out)
{
    const vars *v = user;
    for (int i = 0; i < 12 && v->name[i]; i++)
        if (!strcmp(v->name[i], name)) {
            *out = v->value[i];
            return 0;
        }
    return -1;
}

static void test_good_plan(void)
{
    char err[512] = "";
    evo_plan *p = plan_parse(GOOD, &task, err, sizeof err);
    CHECK_MSG(p != NULL, "%s", err);
    if (!p) return;
    CHECK(p->nkernels == 2 && p->nworkspaces == 1);
    CHECK(!strcmp(p->workspaces[0].name, "partial") && p->workspaces[0].dtype == DT_FLOAT32);
    const plan_kernel *k0 = &p->kernels[0], *k1 = &p->kernels[1];
    CHECK(!strcmp(k0->name, "gemm_partial") && k0->ngrid == 3 && k0->nblock == 1 && k0->smem);
    CHECK(k0->nargs == 6 && k0->args[0].kind == ARG_TENSOR && k0->args[0].index == 0);
    CHECK(k0->args[2].kind == ARG_WORKSPACE && k0->args[2].index == 0);
    CHECK(k0->args[3].kind == ARG_AXIS_I32 && !strcmp(k0->args[3].name, "M"));
    CHECK(!strcmp(k1->name, "gemm_reduce") && k1->ngrid == 1 && k1->smem == NULL);
    CHECK(k1->nargs == 8);
    CHECK(k1->args[1].kind == ARG_TENSOR && k1->args[1].index == 4); /* ninputs + 0 */
    CHECK(k1->args[4].kind == ARG_AXIS_I64 && !strcmp(k1->args[4].name, "K"));
    CHECK(k1->args[5].kind == ARG_SCALAR && k1->args[5].index == 2);
    CHECK(k1->args[6].kind == ARG_SCALAR && k1->args[6].index == 3);
    CHECK(k1->args[7].kind == ARG_LITERAL && k1->args[7].literal == -4);

    vars v = {{"M", "N", "K", "BM", "BN", "BK", "STAGES", "KSPLIT", "NTHREADS"},
              {1000, 4096, 4096, 128, 128, 32, 4, 4, 256}};
    plan_launch l;
    CHECK_MSG(plan_resolve(p, 0, lookup, &v, 232448, &l, err, sizeof err) == 0, "%s", err);
    CHECK(l.grid[0] == 32 && l.grid[1] == 8 && l.grid[2] == 4);
    CHECK(l.block[0] == 256 && l.block[1] == 1 && l.block[2] == 1 && l.smem == 65536);
    CHECK(plan_resolve(p, 1, lookup, &v, 232448, &l, err, sizeof err) == 0);
    CHECK(l.grid[0] == 16000 && l.grid[1] == 1 && l.smem == 0);
    CHECK(plan_workspace_bytes(p, 0, lookup, &v, err, sizeof err) == 4LL * 1000 * 4096 * 4);

    CHECK(plan_resolve(p, 0, lookup, &v, 49152, &l, err, sizeof err) == -1);
    CHECK_MSG(!strcmp(err, "kernel 'gemm_partial' smem = (BM + BN) * BK * 2 * STAGES = 65536 "
                           "bytes: must be in 0..49152 (SMEM_OPTIN)"),
              "got %s", err);
    v.value[0] = 0;
    CHECK(plan_resolve(p, 0, lookup, &v, 232448, &l, err, sizeof err) == -1);
    CHECK_MSG(!strcmp(err, "kernel 'gemm_partial' grid.y = ceil_div(M, BM) = 0: must be in "
                           "1..65535"),
              "got %s", err);
    v.value[0] = 128LL * 65536;
    CHECK(plan_resolve(p, 0, lookup, &v, 232448, &l, err, sizeof err) == -1);
    CHECK_MSG(!strcmp(err, "kernel 'gemm_partial' grid.y = ceil_div(M, BM) = 65536: must be in "
                           "1..65535"),
              "got %s", err);
    v.value[0] = 1LL << 40;
    CHECK(plan_resolve(p, 1, lookup, &v, 232448, &l, err, sizeof err) == -1);
    CHECK_MSG(strstr(err, "kernel 'gemm_reduce' grid.x = ceil_div(M * N, 256) = ") &&
                  strstr(err, ": must be in 1..2147483647"),
              "got %s", err);
    v.value[0] = 1000;
    v.value[8] = 2048;
    CHECK(plan_resolve(p, 0, lookup, &v, 232448, &l, err, sizeof err) == -1);
    CHECK_MSG(!strcmp(err, "kernel 'gemm_partial' block.x = NTHREADS = 2048: must be in 1..1024"),
              "got %s", err);
    v.name[8] = NULL;
    CHECK(plan_resolve(p, 0, lookup, &v, 232448, &l, err, sizeof err) == -1);
    CHECK_MSG(!strncmp(err, "kernel 'gemm_partial' block.x = NTHREADS: ", 42) &&
                  strstr(err, "NTHREADS"),
              "got %s", err);
    v.value[7] = -1;
    CHECK(plan_workspace_bytes(p, 0, lookup, &v, err, sizeof err) == -1);
    CHECK_MSG(!strncmp(err,
                       "workspace 'partial' count = KSPLIT * M * N = -4096000: must be in "
                       "0..2305843009213693951",
                       200),
              "got %s", err);
    CHECK(plan_resolve(p, 2, lookup, &v, 232448, &l, err, sizeof err) == -1);
    CHECK(!strcmp(err, "no kernel 2 in the plan"));
    plan_free(p);
}

static void test_block_threads(void)
{
    const char *src = "/* evo:launch\n kernel k\n grid 1\n block 32, 16, 4\n args C\n*/\n"
                      "extern \"C\" __global__ void k(__half* C) {}\n";
    char err[512] = "";
    evo_plan *p = plan_parse(src, &task, err, sizeof err);
    CHECK_MSG(p != NULL, "%s", err);
    if (!p) return;
    vars v = {{NULL}, {0}};
    plan_launch l;
    CHECK(plan_resolve(p, 0, lookup, &v, 1024, &l, err, sizeof err) == -1);
    CHECK_MSG(!strcmp(err, "kernel 'k' block has 2048 threads (at most 1024)"), "got %s", err);
    plan_free(p);
}

/* The source: line 1 opens the block, body lines follow from line 2. */
static void expect_error(const char *body, const char *decls, const char *want)
{
    char src[4096], err[512] = "";
    snprintf(src, sizeof src, "/* evo:launch\n%s*/\n%s", body, decls);
    evo_plan *p = plan_parse(src, &task, err, sizeof err);
    CHECK_MSG(p == NULL, "accepted: %s", body);
    CHECK_MSG(!strcmp(err, want), "\n  got  %s\n  want %s", err, want);
    plan_free(p);
}

#define K1 " kernel k\n grid 1\n block 32\n"
#define DECL_C "extern \"C\" __global__ void k(__half* C) {}\n"

/* Shape dispatch: each kernel launched only where its `when` holds; a skipped kernel's grid
 * (here 0 blocks, which would be an error) is not evaluated. */
static void test_when(void)
{
    const char *src = "/* evo:launch\n"
                      " kernel small\n when M <= 64\n grid M\n block 32\n args C\n"
                      " kernel big\n when M > 64 && !(M % 8)\n grid M / 8 - 8\n block 256\n"
                      " args C\n*/\n"
                      "extern \"C\" __global__ void small(__half* C) {}\n"
                      "extern \"C\" __global__ void big(__half* C) {}\n";
    char err[512] = "";
    evo_plan *p = plan_parse(src, &task, err, sizeof err);
    CHECK_MSG(p != NULL, "%s", err);
    if (!p) return;
    vars v = {{"M"}, {64}};
    plan_launch l;
    CHECK_MSG(plan_resolve(p, 0, lookup, &v, 1024, &l, err, sizeof err) == 0, "%s", err);
    CHECK(!l.skip && l.grid[0] == 64 && l.block[0] == 32);
    CHECK_MSG(plan_resolve(p, 1, lookup, &v, 1024, &l, err, sizeof err) == 0, "%s", err);
    CHECK(l.skip);
    v.value[0] = 128;
    CHECK(plan_resolve(p, 0, lookup, &v, 1024, &l, err, sizeof err) == 0 && l.skip);
    CHECK(plan_resolve(p, 1, lookup, &v, 1024, &l, err, sizeof err) == 0);
    CHECK(!l.skip && l.grid[0] == 8 && l.block[0] == 256);
    v.name[0] = "N"; /* an unknown name in a condition is an error, not a skip */
    CHECK(plan_resolve(p, 0, lookup, &v, 1024, &l, err, sizeof err) == -1);
    CHECK_MSG(!strncmp(err, "kernel 'small' when = M <= 64: ", 31), "got %s", err);
    plan_free(p);
}

/* A kernel declared only inside a macro's continued lines is not a kernel of the source. */
static void test_macro_continuation(void)
{
    const char *src = "/* evo:launch\n kernel hidden\n   grid 1\n   block 32\n   args C\n*/\n"
                      "#define DECLARE \\\n"
                      "    extern \"C\" __global__ void hidden(__half *C) {}\n"
                      "extern \"C\" __global__ void shown(__half *C) {}\n";
    char err[512] = "";
    evo_plan *p = plan_parse(src, &task, err, sizeof err);
    CHECK_MSG(p == NULL, "a kernel in a macro's continuation line was taken as declared");
    CHECK_CONTAINS(err, "hidden");
    plan_free(p);
}

static void test_errors(void)
{
    char err[512];
    CHECK(plan_parse("extern \"C\" __global__ void k(__half* C) {}\n", &task, err, sizeof err) ==
          NULL);
    CHECK_MSG(!strcmp(err, "launch plan line 1: the source has no evo:launch block (a comment "
                           "whose first line is evo:launch)"),
              "got %s", err);
    /* a block that does not open a comment is not a plan */
    CHECK(plan_parse("// evo:launch kernel k\n", &task, err, sizeof err) == NULL);

    expect_error("", DECL_C, "launch plan line 1: no 'kernel' in the evo:launch block");
    expect_error(" grid 1\n", DECL_C, "launch plan line 2: 'grid' before any 'kernel'");
    expect_error(" kernel k\n  grd 1\n", DECL_C,
                 "launch plan line 3: unknown statement 'grd' (expected workspace, kernel, grid, "
                 "block, smem, when or args)");
    expect_error(" kernel k\n block 32\n args C\n", DECL_C,
                 "launch plan line 2: kernel 'k' has no 'grid'");
    expect_error(" when 1\n", DECL_C, "launch plan line 2: 'when' before any 'kernel'");
    expect_error(" kernel k\n when 1\n when 0\n", DECL_C,
                 "launch plan line 4: a second 'when' for this kernel (first at line 3)");
    expect_error(" kernel k\n when\n", DECL_C, "launch plan line 3: when: empty expression");
    expect_error(" kernel k\n grid 1\n args C\n", DECL_C,
                 "launch plan line 2: kernel 'k' has no 'block'");
    expect_error(" kernel k\n grid 1\n grid 2\n", DECL_C,
                 "launch plan line 4: a second 'grid' for this kernel (first at line 3)");
    expect_error(" kernel k\n grid 1, 2, 3, 4\n", DECL_C,
                 "launch plan line 3: 'grid' takes 1 to 3 expressions, found more than 3");
    expect_error(" kernel k\n grid\n", DECL_C,
                 "launch plan line 3: 'grid' takes 1 to 3 expressions, found none");
    expect_error(" kernel k\n grid 1, ceil_div(M,\n", DECL_C,
                 "launch plan line 3: grid y: column 12: expected a number, a name or '(', found "
                 "end of input");
    expect_error(" kernel k\n grid 1\n block 32\n smem 1\n smem 2\n", DECL_C,
                 "launch plan line 6: a second 'smem' for this kernel (first at line 5)");
    expect_error(" kernel k extra\n", DECL_C, "launch plan line 2: 'kernel' takes one kernel name");
    expect_error(" workspace w float12 4\n" K1 " args C\n", DECL_C,
                 "launch plan line 2: workspace 'w': unknown dtype 'float12'");
    expect_error(" workspace w float32\n", DECL_C,
                 "launch plan line 2: 'workspace' takes NAME DTYPE COUNT (e.g. workspace partial "
                 "float32 KSPLIT * M * N)");
    expect_error(" workspace A float32 4\n", DECL_C,
                 "launch plan line 2: workspace 'A' has the name of a tensor or axis of g");
    expect_error(" workspace w float32 4\n workspace w int32 4\n", DECL_C,
                 "launch plan line 3: a second workspace 'w'");

    expect_error(K1 " args C\n", "__global__ void k(__half* C) {}\n",
                 "launch plan line 2: kernel 'k' is __global__ but not extern \"C\" (its symbol "
                 "name would be mangled)");
    expect_error(K1 " args C\n", "// extern \"C\" __global__ void k(__half* C) {}\n",
                 "launch plan line 2: kernel 'k' is not declared in the source (expected extern "
                 "\"C\" __global__ void k(...))");
    expect_error(K1 " args C\n", "extern \"C\" __global__ void k(__half* C, int M) {}\n",
                 "launch plan line 5: kernel 'k' takes 2 parameters but the plan passes 1 "
                 "arguments");
    expect_error(K1 " args C, foo\n", "extern \"C\" __global__ void k(__half* C, int M) {}\n",
                 "launch plan line 5: kernel 'k' argument 2 'foo' is not an input, output, "
                 "workspace or axis of g");
    expect_error(K1 " args C, i64(A)\n", "extern \"C\" __global__ void k(__half* C, long M) {}\n",
                 "launch plan line 5: kernel 'k' argument 2 'i64(A)': i64() takes an axis of g");
    expect_error(K1 " args A, C\n", "extern \"C\" __global__ void k(int A, __half* C) {}\n",
                 "launch plan line 5: kernel 'k' argument 1 'A' is an input (device pointer) but "
                 "parameter 1 is 'int A'");
    expect_error(K1 " args C, M\n", "extern \"C\" __global__ void k(__half* C, float *p) {}\n",
                 "launch plan line 5: kernel 'k' argument 2 'M' is an axis passed as int but "
                 "parameter 2 is 'float * p'");
    expect_error(K1 " args C, K\n", "extern \"C\" __global__ void k(__half* C, long long K) {}\n",
                 "launch plan line 5: kernel 'k' argument 2 'K' is an axis passed as int but "
                 "parameter 2 is 'long long K' (write i64(NAME))");
    expect_error(K1 " args C, i64(K)\n", "extern \"C\" __global__ void k(__half* C, int K) {}\n",
                 "launch plan line 5: kernel 'k' argument 2 'i64(K)' is an axis passed as int64 "
                 "but parameter 2 is 'int K'");
    expect_error(K1 " args C, 7\n", "extern \"C\" __global__ void k(__half* C, size_t n) {}\n",
                 "launch plan line 5: kernel 'k' argument 2 '7' is an int literal but parameter 2 "
                 "is 'size_t n'");
    expect_error(K1 " args C, alpha\n",
                 "extern \"C\" __global__ void k(__half* C, double alpha) {}\n",
                 "launch plan line 5: kernel 'k' argument 2 'alpha' is a float32 scalar but "
                 "parameter 2 is 'double alpha'");
    expect_error(K1 " args C, off\n", "extern \"C\" __global__ void k(__half* C, float off) {}\n",
                 "launch plan line 5: kernel 'k' argument 2 'off' is a int32 scalar but parameter "
                 "2 is 'float off'");
    expect_error(K1 " args C\n", "extern \"C\" __global__ void k(const __half* C) {}\n",
                 "launch plan line 5: kernel 'k' argument 1 'C' is an output but parameter 1 is "
                 "const");
    expect_error(" workspace w float32 M\n" K1 " args w, C\n",
                 "extern \"C\" __global__ void k(const float* w, __half* C) {}\n",
                 "launch plan line 6: kernel 'k' argument 1 'w' is a workspace no earlier kernel "
                 "writes but parameter 1 is const");
    expect_error(K1 " args C, s\n",
                 "struct S { int a; };\n"
                 "extern \"C\" __global__ void k(__half* C, S s) {}\n",
                 "launch plan line 5: kernel 'k' argument 2 's' is not an input, output, "
                 "workspace or axis of g");
    expect_error(K1 " args C, M\n",
                 "struct S { int a; };\n"
                 "extern \"C\" __global__ void k(__half* C, S s) {}\n",
                 "launch plan line 5: kernel 'k' parameter 2 'S s' has a type a plan cannot pass "
                 "('S')");
    expect_error(K1 " args C, M\n", "extern \"C\" __global__ void k(__half* C, int& m) {}\n",
                 "launch plan line 5: kernel 'k' parameter 2 'int & m' has a type a plan cannot "
                 "pass ('int & m')");
    expect_error(K1 " args A\n", "extern \"C\" __global__ void k(__half* A) {}\n",
                 "launch plan line 1: output 'C' is not written by any kernel (pass it to a "
                 "non-const pointer parameter)");
    char many[1024] = K1 " args C";
    for (int i = 0; i < 32; i++)
        strcat(many, ", M");
    strcat(many, "\n");
    expect_error(many, DECL_C, "launch plan line 5: more than 32 arguments");
}

/* Reading an output written by an earlier kernel through a const pointer is fine. */
static void test_read_after_write(void)
{
    const char *src =
        "/* evo:launch\n"
        " kernel fill\n grid 1\n block 1\n args C\n"
        " kernel scale\n grid 1\n block 1\n args C, C, M\n"
        "*/\n"
        "extern \"C\" __global__ void fill(__half* C) {}\n"
        "extern \"C\" __global__ void scale(const __half* in, __half* out, int M) {}\n";
    char err[512] = "";
    evo_plan *p = plan_parse(src, &task, err, sizeof err);
    CHECK_MSG(p != NULL, "%s", err);
    plan_free(p);
    /* parameters of (void) and none */
    src = "/* evo:launch\n kernel w\n grid 1\n block 1\n args C\n kernel z\n grid 1\n block 1\n*/\n"
          "extern \"C\" __global__ void w(__half* C) {}\n"
          "extern \"C\" __global__ void z(void) {}\n";
    p = plan_parse(src, &task, err, sizeof err);
    CHECK_MSG(p != NULL, "%s", err);
    plan_free(p);
}

int main(void)
{
    if (load_task()) return CHECK_DONE();
    test_good_plan();
    test_block_threads();
    test_when();
    test_errors();
    test_macro_continuation();
    test_read_after_write();
    task_definition_free(&task.def);
    return CHECK_DONE();
}
