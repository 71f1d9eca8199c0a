/* test_source_policy.c -- a candidate source is device code only (CPU suite): every way of
 * naming a host file in an include directive (plain, angle brackets, relative, through a
 * macro, with comments or line splices inside the directive, digraph and trigraph
 * introducers, include_next, import, embed, __has_include) is refused before NVRTC with the
 * line it is on; the shipped seeds and baselines all pass; oversized sources and parameter
 * values that could smuggle text into -D are refused; and a secret planted in a host file,
 * in the working directory and in the environment never appears in a compile log, whatever a
 * candidate includes. Also the launch-size bounds of plans. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "evo.h"
#include "nvrtc.h"
#include "plan.h"
#include "scratch.h"
#include "source_policy.h"
#include "task.h"

#define SECRET "evo-planted-secret-7f3a9c"

static const char *dir;
static char secret_path[512];

static void refuse(const char *src, const char *want)
{
    char err[512] = "";
    int rc = source_policy_check(src, 0, err, sizeof err);
    CHECK_MSG(rc == -1, "accepted: %s", src);
    CHECK_CONTAINS(err, want);
    CHECK_MSG(!strstr(err, SECRET), "the reason quotes the secret: %s", err);
}

static void accept(const char *src)
{
    char err[512] = "";
    CHECK_MSG(source_policy_check(src, 0, err, sizeof err) == 0, "%s: %s", src, err);
}

static void test_includes(void)
{
    char src[2048];
    snprintf(src, sizeof src, "#include \"%s\"\n", secret_path);
    refuse(src, "line 1: #include \"");
    snprintf(src, sizeof src, "#include <%s>\n", secret_path);
    refuse(src, "is not allowed");
    refuse("#include \"/proc/self/environ\"\n", "only the CUDA device headers");
    refuse("int x;\n#include \"secret.txt\"\n", "line 2:");
    refuse("#include \"../secret.txt\"\n", "is not allowed");
    refuse("#include <cuda/../../../../etc/passwd>\n", "is not allowed");
    refuse("#include <cuda_runtime.h>\n", "is not allowed");
    refuse("   #   include   \"secret.txt\"\n", "is not allowed");
    refuse("#/* a comment */include \"secret.txt\"\n", "is not allowed");
    refuse("/* x */ # /* y */ include /* z */ \"secret.txt\"\n", "is not allowed");
    refuse("#/* a comment\n over two lines */include \"secret.txt\"\n", "is not allowed");
    refuse("%:include \"secret.txt\"\n", "is not allowed");
    refuse("?\?=include \"secret.txt\"\n", "is not allowed");
    refuse("#inc\\\nlude \"secret.txt\"\n", "is not allowed");
    refuse("#inc\\   \r\nlude \"secret.txt\"\n", "is not allowed");
    refuse("#inc?\?/\nlude \"secret.txt\"\n", "is not allowed");
    refuse("#include \\\n \"secret.txt\"\n", "is not allowed");
    refuse("#define F \"secret.txt\"\n#include F\n", "line 2: #include must name a header");
    refuse("#define F(x) #x\n#include F(secret.txt)\n", "a macro is not allowed");
    refuse("#if __has_include(\"secret.txt\")\n#endif\n", "__has_include is not allowed");
    refuse("#if __has_include_next(<x>)\n#endif\n", "__has_include");
    refuse("#include_next <cuda_bf16.h>\n", "#include_next is not allowed");
    refuse("#import \"secret.txt\"\n", "#import is not allowed");
    refuse("#embed \"secret.txt\"\n", "#embed is not allowed");
    refuse("#include \"secret.txt\n", "unterminated header name");
    /* A directive the compiler sees after a comment that a naive scanner would think is open
     * inside a string: the scan ignores literals, so it cannot be fooled. */
    refuse("const char *s = \"/*\";\n#include \"secret.txt\"\n// */\n", "line 2:");
    refuse("auto s = R\"x(\n)x\";\n#include \"secret.txt\"\n", "line 3:");
    /* Raw text that only looks like an include: refused too (the price of never missing one). */
    refuse("// remember to #include \"secret.txt\"\n", "is not allowed");

    accept("#include <cuda_bf16.h>\n#include \"cuda_fp16.h\"\n#include <cuda_fp8.h>\n");
    accept(
        "#include <cuda/std/cstdint>\n#include <cub/cub.cuh>\n#include <cooperative_groups.h>\n"
        "#include <cooperative_groups/reduce.h>\n#include <mma.h>\n#include <cuda_pipeline.h>\n");
    accept("#define X 1\n#pragma unroll\n#if X\n#endif\nint a = 1 % 2; // 50% done\n");
    accept("#define CAT(a, b) a##b\n#define STR(a) #a\n");
}

static void test_sizes_and_params(void)
{
    size_t big = 50u << 20;
    char *src = malloc(big + 1);
    CHECK(src != NULL);
    if (!src) return;
    memset(src, ' ', big);
    memcpy(src, "__global__ void k() {}\n", 23);
    src[big] = 0;
    char err[512] = "";
    CHECK(source_policy_check(src, 0, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "the source is 52428800 bytes, over the limit of 262144");
    CHECK_CONTAINS(err, "evaluator.max_source_bytes");
    /* No configuration raises the limit past the hard ceiling. */
    CHECK(source_policy_check(src, (size_t)1 << 40, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "over the limit of 4194304");
    src[300000] = 0;
    CHECK(source_policy_check(src, 0, err, sizeof err) == -1);
    CHECK(source_policy_check(src, 400000, err, sizeof err) == 0);
    free(src);

    CHECK(source_policy_param("BM", "128", err, sizeof err) == 0);
    CHECK(source_policy_param("LAYOUT", "ROW_MAJOR", err, sizeof err) == 0);
    CHECK(source_policy_param("EPS", "-1.5e-3", err, sizeof err) == 0);
    CHECK(source_policy_param("X", "1\n#include \"/etc/passwd\"", err, sizeof err) == -1);
    CHECK_CONTAINS(err, "parameter X: value has the character 0x0a");
    CHECK(source_policy_param("X", "\"/etc/passwd\"", err, sizeof err) == -1);
    CHECK(source_policy_param("X", "a b", err, sizeof err) == -1);
    CHECK(source_policy_param("1X", "1", err, sizeof err) == -1);
    CHECK_CONTAINS(err, "is not an identifier");
    CHECK(source_policy_param("X=Y", "1", err, sizeof err) == -1);
}

/* Every shipped seed and baseline passes the policy as it is. */
static void test_shipped_sources(void)
{
    const char *tasks[] = {"gemm", "gemm_bf16", "rmsnorm", "gdn_decode", "gdn_prefill"};
    int seen = 0;
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++) {
        char path[1024], err[2048] = "";
        snprintf(path, sizeof path, "%s/kernels/%s", EVO_SOURCE_DIR, tasks[i]);
        evo_task *t = NULL;
        CHECK_MSG(task_load_dir(path, &t, err, sizeof err) == 0, "%s", err);
        if (!t) continue;
        for (int k = 0; k < t->nseeds; k++, seen++)
            CHECK_MSG(source_policy_check(t->seed_sources[k], 0, err, sizeof err) == 0, "%s/%s: %s",
                      tasks[i], t->seed_names[k], err);
        if (t->baseline_source)
            CHECK_MSG(source_policy_check(t->baseline_source, 0, err, sizeof err) == 0,
                      "%s baseline: %s", tasks[i], err);
        task_free(t);
    }
    CHECK(seen >= 8);
}

/* NVRTC itself, with the secret in a file of the working directory, in a file named by an
 * absolute path and in the environment: no log carries it, and a quoted include of an allowed
 * name does not pick up a planted file of the working directory. */
static void test_compiles(void)
{
    char old[1024];
    CHECK(getcwd(old, sizeof old) != NULL);
    CHECK(chdir(dir) == 0);
    FILE *f = fopen("cuda_bf16.h", "w");
    if (f) {
        fprintf(f, "#error %s\n", SECRET);
        fclose(f);
    }
    const char *hostile[] = {
        "#include \"secret.txt\"\n__global__ void k() {}\n",
        "#include </proc/self/environ>\n",
        "#define P \"/proc/self/environ\"\n#include P\n",
        "%:include \"secret.txt\"\n",
        "#if __has_include(\"secret.txt\")\nint leaked = 1;\n#endif\n",
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        nvrtc_output o;
        int rc = nvrtc_compile(hostile[i], "hostile.cu", "sm_90a", NULL, 0, NULL, 0, &o);
        CHECK_MSG(rc == EVO_ECOMPILE, "hostile %zu compiled", i);
        CHECK_CONTAINS(o.log, "source policy:");
        CHECK_MSG(!o.log || !strstr(o.log, SECRET), "hostile %zu: log has the secret", i);
        nvrtc_output_free(&o);
    }
    nvrtc_output o;
    int rc = nvrtc_compile("#include \"cuda_bf16.h\"\nextern \"C\" __global__ void k(__nv_bfloat16 "
                           "*x) { x[0] = x[1]; }\n",
                           "quoted.cu", "sm_90a", NULL, 0, NULL, 0, &o);
    CHECK_MSG(rc == EVO_OK, "a quoted allowed include: %s", o.log ? o.log : "");
    nvrtc_output_free(&o);
    /* A failing compile: the log names the file without the virtual directory or the home. */
    rc = nvrtc_compile("__global__ void k() { undefined_thing(); }\n", "broken.cu", "sm_90a", NULL,
                       0, NULL, 0, &o);
    CHECK(rc == EVO_ECOMPILE);
    CHECK_CONTAINS(o.log, "broken.cu(1)");
    CHECK_MSG(o.log && !strstr(o.log, SOURCE_VIRTUAL_DIR), "log: %s", o.log ? o.log : "");
    CHECK_MSG(o.log && !strstr(o.log, SECRET), "log has the secret");
    nvrtc_output_free(&o);
    CHECK(chdir(old) == 0);
}

static void test_scrub(void)
{
    setenv("HOME", "/home/someone", 1);
    char *s = source_policy_scrub_log("/dev/null/evo/a.cu(3): error in /home/someone/x.h and "
                                      "/usr/local/cuda/include/cuda_bf16.hpp\x01\x1b[31m\xff\n",
                                      "/usr/local/cuda/include", 8192);
    CHECK_MSG(s && strcmp(s, "a.cu(3): error in ~/x.h and <cuda>/include/cuda_bf16.hpp??[31m?\n") ==
                       0,
              "scrubbed: %s", s ? s : "(null)");
    free(s);
    char long_log[20000];
    memset(long_log, 'e', sizeof long_log - 1);
    long_log[sizeof long_log - 1] = 0;
    s = source_policy_scrub_log(long_log, NULL, 8192);
    CHECK(s && strlen(s) <= 8192);
    CHECK_CONTAINS(s, "[log trimmed:");
    free(s);
}

static int evaluate(void *user, const char *name, int64_t *out)
{
    (void)user;
    if (!strcmp(name, "N")) return *out = 1 << 20, 0;
    return -1;
}

static void test_launch_bounds(void)
{
    char path[1024], err[2048] = "";
    snprintf(path, sizeof path, "%s/kernels/rmsnorm", EVO_SOURCE_DIR);
    evo_task *t = NULL;
    CHECK_MSG(task_load_dir(path, &t, err, sizeof err) == 0, "%s", err);
    if (!t) return;
    const char *src =
        "/* evo:launch\n kernel k\n   grid 65536, 65535, 65535\n   block 1\n   args output\n*/\n"
        "extern \"C\" __global__ void k(__nv_bfloat16 *y) {}\n";
    evo_plan *p = plan_parse(src, t, err, sizeof err);
    CHECK_MSG(p != NULL, "%s", err);
    plan_launch l;
    if (p) {
        CHECK(plan_resolve(p, 0, evaluate, NULL, 1 << 16, &l, err, sizeof err) == -1);
        CHECK_CONTAINS(err, "kernel 'k' grid has 281466386841600 blocks (at most 16777216)");
        plan_free(p);
    }
    src = "/* evo:launch\n kernel k\n   grid N * 8\n   block 1024\n   args output\n*/\n"
          "extern \"C\" __global__ void k(__nv_bfloat16 *y) {}\n";
    p = plan_parse(src, t, err, sizeof err);
    CHECK_MSG(p != NULL, "%s", err);
    if (p) {
        CHECK(plan_resolve(p, 0, evaluate, NULL, 1 << 16, &l, err, sizeof err) == -1);
        CHECK_CONTAINS(err, "launches 8589934592 threads in all");
        plan_free(p);
    }
    src = "/* evo:launch\n kernel k\n   grid 1\n   block 32\n   access_policy hitRatio 1.0\n   "
          "args output\n*/\n"
          "extern \"C\" __global__ void k(__nv_bfloat16 *y) {}\n";
    p = plan_parse(src, t, err, sizeof err);
    CHECK(p == NULL);
    CHECK_CONTAINS(err, "cannot set launch attributes");
    plan_free(p);
    task_free(t);
}

int main(void)
{
    dir = scratch_dir("policy");
    snprintf(secret_path, sizeof secret_path, "%s/secret.txt", dir);
    FILE *f = fopen(secret_path, "w");
    CHECK(f != NULL);
    if (f) {
        fprintf(f, "%s\n", SECRET);
        fclose(f);
    }
    setenv("EVO_PLANTED_SECRET", SECRET, 1);
    test_includes();
    test_sizes_and_params();
    test_shipped_sources();
    test_compiles();
    test_scrub();
    test_launch_bounds();
    if (scratch_remove() != 0) fprintf(stderr, "could not remove %s\n", dir);
    return CHECK_DONE();
}
