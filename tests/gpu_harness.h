/* gpu_harness.h -- shared by the GPU suites (tests/gpu_*.c): builds a GPU evaluator for a
 * task folder (rmsnorm unless told) from a config string, skips with a visible reason when
 * there is no device, and evaluates hostile variants of one small RMSNorm kernel chosen by
 * its MODE parameter.
 * Header-only (static functions) so each suite stays one file in the build's glob. */
#ifndef EVO_TEST_GPU_HARNESS_H
#define EVO_TEST_GPU_HARNESS_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "evo.h"
#include "genome.h"
#include "gpu_evaluator.h"
#include "ipc.h"
#include "result.h"

enum {
    MODE_OK = 0,         /* correct */
    MODE_WRONG = 1,      /* scales by 1.1 */
    MODE_PAST_END = 2,   /* writes one element past the output */
    MODE_EDIT_INPUT = 3, /* writes into hidden_states */
    MODE_STALE = 4,      /* returns the previous call's output after the first call */
    MODE_UNWRITTEN = 5,  /* skips the last element of each row */
    MODE_HANG = 6,       /* spins forever */
    MODE_FAULT = 7,      /* writes to a wild pointer */
    MODE_BEFORE = 8,     /* writes one element before the output */
    MODE_MISSING = 9,    /* the planned kernel is compiled out */
    MODE_SYNTAX = 10     /* does not compile */
};

static const char HOSTILE_SRC[] =
    "#include <cuda_bf16.h>\n"
    "/* evo:params\n"
    " MODE set 0 1 2 3 4 5 6 7 8 9 10 default 0\n"
    "*/\n"
    "/* evo:launch\n"
    " kernel hostile\n"
    "   grid  batch_size\n"
    "   block 256\n"
    "   args  hidden_states, weight, output, batch_size, hidden_size\n"
    "*/\n"
    "#ifndef MODE\n#define MODE 0\n#endif\n"
    "#if MODE == 10\n this is not C++;\n#endif\n"
    "#if MODE == 4\n"
    "__device__ __nv_bfloat16 stash[65536 * 4];\n"
    "__device__ int calls[65536];\n"
    "#endif\n"
    "#if MODE != 9\n"
    "extern \"C\" __global__ void hostile(__nv_bfloat16 *x, const __nv_bfloat16 *w,\n"
    "                                    __nv_bfloat16 *y, int batch, int hidden) {\n"
    "    __shared__ float part[256];\n"
    "    int row = blockIdx.x;\n"
    "#if MODE == 6\n"
    "    for (;;) __nanosleep(1000);\n"
    "#endif\n"
    "#if MODE == 7\n"
    "    ((volatile int *)(size_t)0x100)[threadIdx.x + row * 977] = 1;\n"
    "#endif\n"
    "    const __nv_bfloat16 *xr = x + (size_t)row * hidden;\n"
    "    __nv_bfloat16 *yr = y + (size_t)row * hidden;\n"
    "#if MODE == 4\n"
    "    if (calls[row % 65536] > 0 && (size_t)(row + 1) * hidden <= 65536 * 4) {\n"
    "        for (int i = threadIdx.x; i < hidden; i += blockDim.x) yr[i] = stash[(size_t)row * "
    "hidden + i];\n"
    "        return;\n"
    "    }\n"
    "#endif\n"
    "    float s = 0.f;\n"
    "    for (int i = threadIdx.x; i < hidden; i += blockDim.x) { float v = "
    "__bfloat162float(xr[i]); s += v * v; }\n"
    "    part[threadIdx.x] = s;\n"
    "    __syncthreads();\n"
    "    for (int k = 128; k > 0; k >>= 1) { if (threadIdx.x < k) part[threadIdx.x] += "
    "part[threadIdx.x + k]; __syncthreads(); }\n"
    "    float inv = rsqrtf(part[0] / (float)hidden + 1e-5f);\n"
    "#if MODE == 1\n    inv *= 1.1f;\n#endif\n"
    "    int end = hidden;\n"
    "#if MODE == 5\n    end = hidden - 1;\n#endif\n"
    "    for (int i = threadIdx.x; i < end; i += blockDim.x) {\n"
    "        __nv_bfloat16 o = __float2bfloat16(__bfloat162float(xr[i]) * inv * "
    "__bfloat162float(w[i]));\n"
    "        yr[i] = o;\n"
    "#if MODE == 4\n"
    "        if ((size_t)(row + 1) * hidden <= 65536 * 4) stash[(size_t)row * hidden + i] = o;\n"
    "#endif\n"
    "    }\n"
    "    __syncthreads();\n"
    "#if MODE == 4\n    if (threadIdx.x == 0) calls[row % 65536] = 1;\n#endif\n"
    "#if MODE == 2\n    if (row == batch - 1 && threadIdx.x == 0) y[(size_t)batch * hidden] = "
    "yr[0];\n#endif\n"
    "#if MODE == 8\n    if (row == 0 && threadIdx.x == 0) y[-1] = yr[0];\n#endif\n"
    "#if MODE == 3\n    if (threadIdx.x == 0) x[(size_t)row * hidden] = "
    "__float2bfloat16(0.5f);\n#endif\n"
    "}\n"
    "#endif\n";

/* The worker and the repository as built, or relative to the working directory (the
 * repository root) when the build tree was moved to another machine. */
static const char *harness_worker(void)
{
    const char *env = getenv("EVO_TEST_WORKER");
    if (env && *env) return env;
    return access(EVO_BUILD_DIR "/evo-worker", X_OK) == 0 ? EVO_BUILD_DIR "/evo-worker"
                                                          : "build-gpu/evo-worker";
}

static const char *harness_source_dir(void)
{
    return access(EVO_SOURCE_DIR "/kernels/rmsnorm/task.json", R_OK) == 0 ? EVO_SOURCE_DIR : ".";
}

/* Ask a fresh worker why there is no device (start() keeps the message for the engine). */
static const char *harness_probe(char *buf, size_t n)
{
    ipc_child c;
    snprintf(buf, n, "the worker reported none (EVO_ENOGPU)");
    if (ipc_spawn(harness_worker(), &c, buf, n) != 0) return buf;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/kernels/rmsnorm", harness_source_dir());
    json_t *req = json_pack("{s:s,s:s}", "op", "init", "task_dir", dir);
    json_t *reply = NULL;
    void *p = NULL;
    size_t len = 0;
    char err[256];
    if (ipc_send(c.to_child, req, NULL, 0, err, sizeof err) == IPC_OK &&
        ipc_recv(c.from_child, 60000, &reply, &p, &len, err, sizeof err) == IPC_OK) {
        const char *e = json_string_value(json_object_get(reply, "error"));
        if (e) snprintf(buf, n, "%s", e);
    }
    json_decref(req);
    json_decref(reply);
    free(p);
    ipc_child_kill(&c, NULL, 0);
    return buf;
}

/* Build the evaluator for the task folder task_rel (relative to the repository, e.g.
 * "kernels/gdn_decode") with extra evaluator keys (a JSON fragment that starts with a comma,
 * or ""). Returns 77 to skip, 0 on success, 1 on failure (nothing left to free). */
__attribute__((unused)) static int harness_open_task(const char *task_rel, const char *extra,
                                                     gpu_evaluator **g, evo_evaluator *ev)
{
    setenv("EVO_WORKER", harness_worker(), 1);
    char text[4096];
    snprintf(text, sizeof text,
             "{\"seed\": 7, \"evaluator\": {\"task\": \"%s/%s\", "
             "\"cache_dir\": \"/tmp/evo-gpu-test-cache\"%s}}",
             harness_source_dir(), task_rel, extra);
    evo_config *cfg = NULL;
    char err[2048] = "";
    if (evo_config_parse(text, "gpu-test", &cfg, err, sizeof err) != EVO_OK) {
        fprintf(stderr, "config: %s\n", err);
        return 1;
    }
    int rc =
        gpu_evaluator_new(config_get(cfg, "evaluator"), cfg->dir, cfg->seed, g, err, sizeof err);
    evo_config_free(cfg);
    if (rc != EVO_OK) {
        fprintf(stderr, "gpu_evaluator_new: %s\n", err);
        return 1;
    }
    *ev = gpu_evaluator_table(*g);
    rc = ev->start(ev->user, NULL, 1);
    if (rc == EVO_ENOGPU) {
        gpu_evaluator_free(*g);
        *g = NULL;
        printf("SKIPPED: no CUDA device: %s\n", harness_probe(err, sizeof err));
        return 77;
    }
    if (rc != EVO_OK) {
        fprintf(stderr, "start failed: %s\n", evo_strerror(rc));
        gpu_evaluator_free(*g);
        *g = NULL;
        return 1;
    }
    printf("device %s (%s): copy %.0f GB/s\n", gpu_evaluator_device_name(*g),
           gpu_evaluator_arch(*g), gpu_evaluator_ceiling_gbps(*g));
    return 0;
}

/* harness_open_task for kernels/rmsnorm. */
__attribute__((unused)) static int harness_open(const char *extra, gpu_evaluator **g,
                                                evo_evaluator *ev)
{
    return harness_open_task("kernels/rmsnorm", extra, g, ev);
}

/* Evaluate src (template tmpl) with n parameters; the caller frees the result. */
__attribute__((unused)) static evo_result *harness_eval_as(evo_evaluator *ev, const char *tmpl,
                                                           const char *src, int n,
                                                           const char *const *names,
                                                           const char *const *values)
{
    evo_genome *gen = genome_from_pairs(tmpl, src, n, names, values);
    evo_result *r = result_new();
    int rc = ev->evaluate(ev->user, 0, gen, r);
    if (rc != EVO_OK) fprintf(stderr, "evaluate returned %s\n", evo_strerror(rc));
    genome_free(gen);
    return r;
}

/* Evaluate the hostile kernel in mode; returns the result (caller frees with result_free). */
__attribute__((unused)) static evo_result *harness_eval(evo_evaluator *ev, const char *src,
                                                        int mode)
{
    char value[16];
    snprintf(value, sizeof value, "%d", mode);
    const char *names[] = {"MODE"};
    const char *values[] = {value};
    return harness_eval_as(ev, "hostile", src, 1, names, values);
}

/* Evaluate src with n parameters; returns the result (caller frees with result_free). */
__attribute__((unused)) static evo_result *harness_eval_params(evo_evaluator *ev, const char *src,
                                                               int n, const char *const *names,
                                                               const char *const *values)
{
    return harness_eval_as(ev, "two", src, n, names, values);
}

__attribute__((unused)) static double harness_metric(const evo_result *r, const char *workload,
                                                     const char *key)
{
    json_t *w = workload ? json_object_get(r->workloads, workload) : r->metrics;
    return json_number_value(json_object_get(w, key));
}
#endif
