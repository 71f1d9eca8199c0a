/* test_nvrtc.c -- NVRTC compilation without a GPU: cubins for sm_90a and sm_100a, compile
 * errors with their line, -D options, CUDA headers (bf16, CUB), the cubin cache (miss, hit,
 * identical bytes, atomic files, concurrent writers) and log trimming. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "evo.h"
#include "gpu_evaluator.h"
#include "harness_text.h"
#include "nvrtc.h"
#include "task.h"

static const char *TINY = "extern \"C\" __global__ void add(const float* a, float* b, int n) {\n"
                          "    int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
                          "    if (i < n) b[i] += a[i] * SCALE;\n"
                          "}\n";

static char cache[256];

static int is_elf(const nvrtc_output *o)
{
    return o->cubin && o->size > 4 &&
           !memcmp(o->cubin,
                   "\x7f"
                   "ELF",
                   4);
}

static void test_facts(void)
{
    CHECK(!strcmp(arch_for_device(9, 0), "sm_90a"));
    CHECK(!strcmp(arch_for_device(10, 0), "sm_100a"));
    CHECK(!strcmp(arch_for_device(8, 0), "sm_80"));
    CHECK(!strcmp(arch_for_device(12, 0), "sm_120"));
    const char *inc = nvrtc_include_dir();
    CHECK_MSG(inc != NULL, "no CUDA include directory found");
    const char *v = nvrtc_version_string();
    int maj = 0, min = -1;
    CHECK_MSG(sscanf(v, "%d.%d", &maj, &min) == 2 && maj >= 11 && min >= 0, "version %s", v);

    const char *o1[] = {"-DSCALE=2"}, *o2[] = {"-DSCALE=3"};
    char k1[65], k2[65], k3[65], k4[65], k5[65];
    nvrtc_cache_key(TINY, "sm_90a", o1, 1, k1);
    nvrtc_cache_key(TINY, "sm_90a", o1, 1, k2);
    nvrtc_cache_key(TINY, "sm_90a", o2, 1, k3);
    nvrtc_cache_key(TINY, "sm_100a", o1, 1, k4);
    nvrtc_cache_key("x", "sm_90a", o1, 1, k5);
    CHECK(strlen(k1) == 64 && !strcmp(k1, k2));
    CHECK(strcmp(k1, k3) && strcmp(k1, k4) && strcmp(k1, k5));
}

static void test_compile(void)
{
    const char *opts[] = {"-DSCALE=2.0f"};
    const char *archs[] = {"sm_90a", "sm_100a"};
    for (int i = 0; i < 2; i++) {
        nvrtc_output o;
        int rc = nvrtc_compile(TINY, "tiny.cu", archs[i], opts, 1, NULL, 0, &o);
        CHECK_MSG(rc == EVO_OK, "%s: %s", archs[i], o.log);
        CHECK(is_elf(&o) && !o.cache_hit && o.ms > 0 && o.log != NULL);
        nvrtc_output_free(&o);
    }
    /* without the -D the source does not compile: the log names the line */
    nvrtc_output o;
    int rc = nvrtc_compile(TINY, "tiny.cu", "sm_90a", NULL, 0, NULL, 0, &o);
    CHECK(rc == EVO_ECOMPILE && o.cubin == NULL && o.size == 0);
    CHECK_CONTAINS(o.log, "tiny.cu(3): error");
    CHECK_CONTAINS(o.log, "SCALE");
    nvrtc_output_free(&o);

    const char *syntax = "extern \"C\" __global__ void k(int* p) {\n  p[0] = 1\n}\n";
    rc = nvrtc_compile(syntax, "syntax.cu", "sm_90a", NULL, 0, NULL, 0, &o);
    CHECK(rc == EVO_ECOMPILE);
    CHECK_CONTAINS(o.log, "syntax.cu(3): error: expected a \";\"");
    nvrtc_output_free(&o);
}

static void test_headers(void)
{
    const char *src = "#include <cuda_bf16.h>\n"
                      "#include <cuda_fp16.h>\n"
                      "#include <cub/block/block_reduce.cuh>\n"
                      "extern \"C\" __global__ void k(const __nv_bfloat16* x, float* out) {\n"
                      "    using R = cub::BlockReduce<float, 128>;\n"
                      "    __shared__ typename R::TempStorage tmp;\n"
                      "    float v = R(tmp).Sum(__bfloat162float(x[threadIdx.x]));\n"
                      "    if (threadIdx.x == 0) out[0] = v + __half2float(__float2half(1.0f));\n"
                      "}\n";
    nvrtc_output o;
    int rc = nvrtc_compile(src, "headers.cu", "sm_90a", NULL, 0, NULL, 0, &o);
    CHECK_MSG(rc == EVO_OK, "%s", o.log);
    CHECK(is_elf(&o));
    nvrtc_output_free(&o);
}

static void test_cache(void)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/nested/cubins", cache);
    const char *opts[] = {"-DSCALE=4"};
    nvrtc_output a, b;
    int rc = nvrtc_compile(TINY, "tiny.cu", "sm_90a", opts, 1, dir, 0, &a);
    CHECK_MSG(rc == EVO_OK, "%s", a.log);
    CHECK(!a.cache_hit && a.ms > 0);
    char key[65], path[512];
    nvrtc_cache_key(TINY, "sm_90a", opts, 1, key);
    snprintf(path, sizeof path, "%s/%s.cubin", dir, key);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (size_t)st.st_size == a.size);
    rc = nvrtc_compile(TINY, "tiny.cu", "sm_90a", opts, 1, dir, 0, &b);
    CHECK(rc == EVO_OK && b.cache_hit && b.ms == 0);
    CHECK(b.size == a.size && !memcmp(a.cubin, b.cubin, a.size));
    nvrtc_output_free(&b);
    /* a failed compile caches nothing */
    rc = nvrtc_compile("broken(", "b.cu", "sm_90a", NULL, 0, dir, 0, &b);
    CHECK(rc == EVO_ECOMPILE);
    nvrtc_cache_key("broken(", "sm_90a", NULL, 0, key);
    snprintf(path, sizeof path, "%s/%s.cubin", dir, key);
    CHECK(access(path, F_OK) != 0);
    nvrtc_output_free(&b);
    nvrtc_output_free(&a);
}

typedef struct job {
    int rc, hit;
    size_t size;
    char dir[300];
} job;

static void *compile_job(void *arg)
{
    job *j = arg;
    const char *opts[] = {"-DSCALE=5"};
    nvrtc_output o;
    j->rc = nvrtc_compile(TINY, "tiny.cu", "sm_100a", opts, 1, j->dir, 0, &o);
    j->hit = o.cache_hit;
    j->size = o.size;
    nvrtc_output_free(&o);
    return NULL;
}

static void test_concurrent(void)
{
    pthread_t th[3];
    job jobs[3];
    for (int i = 0; i < 3; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        snprintf(jobs[i].dir, sizeof jobs[i].dir, "%s/shared", cache);
        pthread_create(&th[i], NULL, compile_job, &jobs[i]);
    }
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 3; i++)
        CHECK(jobs[i].rc == EVO_OK && jobs[i].size == jobs[0].size);
    job again;
    memset(&again, 0, sizeof again);
    snprintf(again.dir, sizeof again.dir, "%s/shared", cache);
    compile_job(&again);
    CHECK(again.rc == EVO_OK && again.hit && again.size == jobs[0].size);
}

static void test_log_trim(void)
{
    /* many distinct errors: the log is cut to 8 KiB, keeping the first ones */
    size_t cap = 64 * 1024;
    char *src = malloc(cap);
    size_t n = 0;
    for (int i = 0; i < 400 && n + 100 < cap; i++)
        n += (size_t)snprintf(src + n, cap - n, "__device__ int v%d = undefined_name_%d;\n", i, i);
    nvrtc_output o;
    int rc = nvrtc_compile(src, "many.cu", "sm_90a", NULL, 0, NULL, 0, &o);
    CHECK(rc == EVO_ECOMPILE);
    CHECK_MSG(strlen(o.log) <= 8192, "log is %zu bytes", strlen(o.log));
    CHECK_CONTAINS(o.log, "many.cu(1): error");
    CHECK_CONTAINS(o.log, "undefined_name_0");
    CHECK_CONTAINS(o.log, "[log trimmed: ");
    nvrtc_output_free(&o);
    free(src);
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

#define PLAN                                                                                       \
    "/* evo:launch\n kernel scale\n grid ceil_div(M * N, BS * VEC)\n block BS\n"                   \
    " args A, C, M, N\n*/\n"
#define KERNEL                                                                                     \
    "extern \"C\" __global__ void scale(const float* a, float* c, int m, int n) {\n"               \
    "  int i = blockIdx.x * BS + threadIdx.x;\n"                                                   \
    "  if (i < m * n) c[i] = a[i] * VEC * TWO;\n}\n"

/* gpu_check_task on a small task folder: a good seed, one that fails to compile, one whose
 * plan is wrong and one whose launch is impossible. */
static void test_check_task(void)
{
    char dir[300], err[512] = "";
    snprintf(dir, sizeof dir, "%s/chk", cache);
    mkdir(dir, 0777);
    put(dir, "def.json",
        "{\"name\": \"sc\", \"axes\": {\"M\": {\"type\": \"var\"}, \"N\": {\"type\": "
        "\"const\", \"value\": 8}, \"K\": {\"type\": \"const\", \"value\": 8}}, "
        "\"inputs\": {\"A\": {\"shape\": [\"M\", \"K\"], \"dtype\": \"float32\"}, "
        "\"B\": {\"shape\": [\"N\", \"K\"], \"dtype\": \"float32\"}}, "
        "\"outputs\": {\"C\": {\"shape\": [\"M\", \"N\"], \"dtype\": \"float32\"}}}");
    put(dir, "w.jsonl",
        "{\"definition\": \"sc\", \"workload\": {\"uuid\": \"a\", \"axes\": {\"M\": 4}, "
        "\"inputs\": {\"A\": {\"type\": \"random\"}, \"B\": {\"type\": \"random\"}}}}\n"
        "{\"definition\": \"sc\", \"workload\": {\"uuid\": \"b\", \"axes\": {\"M\": 100}, "
        "\"inputs\": {\"A\": {\"type\": \"random\"}, \"B\": {\"type\": \"random\"}}}}\n");
    put(dir, "task.json",
        "{\"definition\": \"def.json\", \"workloads\": \"w.jsonl\", \"reference\": \"gemm\", "
        "\"seeds\": [\"good.cu\", \"bad.cu\", \"plan.cu\", \"big.cu\"], "
        "\"defines\": {\"TWO\": \"2\"}}");
    put(dir, "good.cu",
        "/* evo:params\n BS set 64 128 256 default 128\n VEC set 1 2 4 default 1\n"
        " require BS * VEC <= 512\n*/\n" PLAN KERNEL);
    put(dir, "bad.cu",
        "/* evo:params\n BS set 128\n VEC set 1\n*/\n" PLAN KERNEL
        "__device__ int broken = undeclared_thing;\n");
    put(dir, "plan.cu",
        "/* evo:params\n BS set 128\n VEC set 1\n*/\n"
        "/* evo:launch\n kernel scale\n grid 1\n block BS\n args A, C, M, A\n*/\n" KERNEL);
    put(dir, "big.cu", "/* evo:params\n BS set 2048\n VEC set 1\n*/\n" PLAN KERNEL);
    evo_task *t;
    int rc = task_load_dir(dir, &t, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc) return;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    int failures = gpu_check_task(t, "sm_90a", 2, 7, out);
    fclose(out);
    CHECK_MSG(failures == 1 * 3 + 1 + 3, "failures %d:\n%s", failures, text);
    CHECK_CONTAINS(text, "ok   chk/good BS=128 VEC=1 sm_90a ");
    CHECK_CONTAINS(text, "FAIL chk/bad BS=128 VEC=1 sm_90a bad.cu(15): error: identifier "
                         "\"undeclared_thing\" is undefined\n");
    CHECK_CONTAINS(text, "FAIL chk/plan plan: launch plan line 9: kernel 'scale' argument 4 'A' is "
                         "an input (device pointer) but parameter 4 is 'int n'\n");
    CHECK_CONTAINS(text, "ok   chk/plan BS=128 VEC=1 sm_90a ");
    CHECK_CONTAINS(text, "FAIL chk/big BS=2048 VEC=1 sm_90a launch: workload M=4: kernel 'scale' "
                         "block.x = BS = 2048: must be in 1..1024\n");
    int lines = 0;
    for (const char *c = text; *c; c++)
        lines += *c == '\n';
    CHECK_MSG(lines == 4 * 3 + 1, "%d lines:\n%s", lines, text);
    free(text);
    task_free(t);
}

/* The harness's own kernels compile, with the options the sandbox and the worker use, for
 * every architecture evo targets (and pass the source policy like any candidate). */
static void test_harness_kernels(void)
{
    size_t n = strlen(evo_input_gen_text) + strlen(evo_sandbox_kernels_text) + 2;
    char *src = malloc(n);
    CHECK(src != NULL);
    if (!src) return;
    snprintf(src, n, "%s\n%s", evo_input_gen_text, evo_sandbox_kernels_text);
    const char *archs[] = {"sm_90a", "sm_100a"};
    for (int i = 0; i < 2; i++) {
        const char *opts[] = {"--fmad=false", "-std=c++17"};
        nvrtc_output o;
        int rc = nvrtc_compile(src, "evo_harness.cu", archs[i], opts, 2, NULL, 0, &o);
        CHECK_MSG(rc == EVO_OK, "sandbox kernels for %s: %s", archs[i], o.log ? o.log : "");
        nvrtc_output_free(&o);
        const char *copts[] = {"-std=c++17"};
        rc = nvrtc_compile(evo_compare_kernels_text, "evo_compare.cu", archs[i], copts, 1, NULL, 0,
                           &o);
        CHECK_MSG(rc == EVO_OK, "comparison kernels for %s: %s", archs[i], o.log ? o.log : "");
        nvrtc_output_free(&o);
    }
    free(src);
}

int main(void)
{
    test_harness_kernels();
    snprintf(cache, sizeof cache, "/tmp/evo_test_nvrtc_XXXXXX");
    if (!mkdtemp(cache)) return 1;
    test_facts();
    test_compile();
    test_headers();
    test_cache();
    test_concurrent();
    test_log_trim();
    test_check_task();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", cache);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", cache);
    return CHECK_DONE();
}
