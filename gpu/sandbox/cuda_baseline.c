/* cuda_baseline.c -- what candidates are measured against, run in the sandbox exactly as
 * candidates are (same sequence, fresh inputs, compared runs checked by evo-worker): cuBLAS
 * (cublasGemmEx, fp16/bf16 in, fp32 compute, C = A B^T row-major) for "cublas" tasks, or the
 * task's baseline kernel (compiled with NVRTC at start, run through its own launch plan) for
 * "kernel" tasks. Also the measured ceilings: the copy bandwidth (a device-to-device copy,
 * bytes read plus written) and the matrix rate (cuBLAS bf16 on an 8192-cube product of
 * random data: constant or zero data draws less power and runs faster). */
#include <cublas_v2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvrtc.h"
#include "sandbox.h"

static int cublas_handle(sandbox *s, cw_error *e)
{
    if (s->cublas) return 0;
    cublasHandle_t h = NULL;
    cublasStatus_t st = cublasCreate(&h);
    if (st != CUBLAS_STATUS_SUCCESS) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "cublasCreate failed: %s", cublasGetStatusString(st));
        return -1;
    }
    cublasSetStream(h, s->stream);
    s->cublas = h;
    return 0;
}

static int compile_baseline(sandbox *s, cw_error *e)
{
    const evo_task *t = s->task;
    if (!t->baseline_source) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "task %s: kernel baseline has no source", t->def.name);
        return -1;
    }
    int nopts = 0, rc = -1;
    char **opts = task_compile_options(t, 0, NULL, NULL, &nopts);
    if (!opts) goto out;
    nvrtc_output o;
    memset(&o, 0, sizeof o);
    int crc = nvrtc_compile(t->baseline_source, "baseline.cu",
                            arch_for_device(s->cc_major, s->cc_minor), (const char *const *)opts,
                            nopts, s->cache_dir[0] ? s->cache_dir : NULL, 0, &o);
    if (crc != EVO_OK) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "task %s: the baseline kernel does not compile: %s",
                t->def.name, o.log ? o.log : "");
    } else {
        rc =
            cw_program_load(s, t->baseline_source, o.cubin, o.size, NULL, &s->prog[SB_BASELINE], e);
        if (rc) {
            cw_prefix(e, "baseline kernel: ");
            e->status = EVO_STATUS_RUNTIME_ERROR;
        }
    }
    nvrtc_output_free(&o);
out:
    task_options_free(opts, nopts);
    if (rc && e->status == EVO_STATUS_PASSED)
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "sandbox out of host memory");
    return rc;
}

int cw_baseline_init(sandbox *s, cw_error *e)
{
    if (strcmp(s->task->baseline_kind, "kernel") == 0) return compile_baseline(s, e);
    return 0;
}

int cw_baseline_is_cublas(const sandbox *s)
{
    return strcmp(s->task->baseline_kind, "cublas") == 0;
}

void cw_baseline_free(sandbox *s)
{
    if (s->cublas) cublasDestroy((cublasHandle_t)s->cublas);
    s->cublas = NULL;
}

static int cuda_dtype(evo_dtype t, cudaDataType_t *out)
{
    switch (t) {
    case DT_FLOAT16:
        *out = CUDA_R_16F;
        return 0;
    case DT_BFLOAT16:
        *out = CUDA_R_16BF;
        return 0;
    case DT_FLOAT32:
        *out = CUDA_R_32F;
        return 0;
    default:
        return -1;
    }
}

/* C[M,N] = A[M,K] B[N,K]^T in row-major terms is column-major C^T = B A^T. */
static int gemm(sandbox *s, int64_t m, int64_t n, int64_t k, cudaDataType_t ab, cudaDataType_t c,
                const void *a, const void *b, void *out, cw_error *e)
{
    float alpha = 1.0f, beta = 0.0f;
    cublasStatus_t st = cublasGemmEx((cublasHandle_t)s->cublas, CUBLAS_OP_T, CUBLAS_OP_N, (int)n,
                                     (int)m, (int)k, &alpha, b, ab, (int)k, a, ab, (int)k, &beta,
                                     out, c, (int)n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    if (st != CUBLAS_STATUS_SUCCESS) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "cublasGemmEx failed: %s", cublasGetStatusString(st));
        return -1;
    }
    return 0;
}

int cw_cublas_run(sandbox *s, int wi, const sb_args *a, cw_error *e)
{
    const evo_task *t = s->task;
    const task_workload *wl = &t->workloads[wi];
    int64_t m, n, k;
    cudaDataType_t ab, c;
    /* By name, as the loader checked them (task_cublas_check), not by position. */
    int ia = -1, ib = -1, ic = -1;
    for (int i = 0; i < t->def.ninputs; i++) {
        if (!strcmp(t->def.inputs[i].name, "A")) ia = i;
        if (!strcmp(t->def.inputs[i].name, "B")) ib = i;
    }
    for (int o = 0; o < t->def.noutputs; o++)
        if (!strcmp(t->def.outputs[o].name, "C")) ic = o;
    if (task_axis_value(t, wl, "M", &m) || task_axis_value(t, wl, "N", &n) ||
        task_axis_value(t, wl, "K", &k) || ia < 0 || ib < 0 || ic < 0 || m > INT32_MAX ||
        n > INT32_MAX || k > INT32_MAX) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR,
                "task %s: a cublas baseline needs axes M, N, K, inputs A[M,K], B[N,K] and output "
                "C[M,N]",
                t->def.name);
        return -1;
    }
    if (cuda_dtype(t->def.inputs[ia].dtype, &ab) || cuda_dtype(t->def.outputs[ic].dtype, &c) ||
        t->def.inputs[ib].dtype != t->def.inputs[ia].dtype) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "task %s: cublas baseline does not support dtype %s",
                t->def.name, dtype_name(t->def.inputs[ia].dtype));
        return -1;
    }
    if (cublas_handle(s, e)) return -1;
    return gemm(s, m, n, k, ab, c, a->in[ia], a->in[ib], a->out[ic], e);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

typedef int (*timed_fn)(sandbox *s, void *user, cw_error *e);

/* Median milliseconds of 30 runs after 5, each behind an L2 flush. */
static int median_ms(sandbox *s, timed_fn fn, void *user, float *out, cw_error *e)
{
    enum { WARM = 5, RUNS = 30 };
    float ms[RUNS];
    for (int i = 0; i < WARM; i++)
        if (fn(s, user, e)) return -1;
    for (int i = 0; i < RUNS; i++) {
        if (cw_cuda_check(e, cudaMemsetAsync(s->flush, 0, s->flush_bytes, s->stream),
                          "flushing L2") ||
            cw_cuda_check(e, cudaEventRecord(s->ev_start[i], s->stream), "recording events") ||
            fn(s, user, e) ||
            cw_cuda_check(e, cudaEventRecord(s->ev_end[i], s->stream), "recording events"))
            return -1;
    }
    if (cw_cuda_check(e, cudaStreamSynchronize(s->stream), "measuring a ceiling")) return -1;
    for (int i = 0; i < RUNS; i++)
        if (cw_cuda_check(e, cudaEventElapsedTime(&ms[i], s->ev_start[i], s->ev_end[i]),
                          "reading events"))
            return -1;
    qsort(ms, RUNS, sizeof *ms, cmp_float);
    *out = 0.5f * (ms[RUNS / 2 - 1] + ms[RUNS / 2]);
    return 0;
}

typedef struct copy_job {
    void *dst, *src;
    size_t bytes;
} copy_job;

static int run_copy(sandbox *s, void *user, cw_error *e)
{
    copy_job *j = user;
    return cw_cuda_check(
        e, cudaMemcpyAsync(j->dst, j->src, j->bytes, cudaMemcpyDeviceToDevice, s->stream),
        "copying");
}

int cw_measure_copy_gbps(sandbox *s, double *gbps, cw_error *e)
{
    copy_job j = {NULL, NULL, (size_t)256 << 20};
    *gbps = 0;
    if ((int64_t)j.bytes * 4 > s->mem_bytes) j.bytes = (size_t)(s->mem_bytes / 8);
    int rc = -1;
    float ms = 0;
    if (s->max_runs < 30) return 0;
    if (cw_cuda_check(e, cudaMalloc(&j.src, j.bytes), "allocating the copy benchmark") ||
        cw_cuda_check(e, cudaMalloc(&j.dst, j.bytes), "allocating the copy benchmark") ||
        cw_cuda_check(e, cudaMemset(j.src, 1, j.bytes), "filling the copy benchmark") ||
        median_ms(s, run_copy, &j, &ms, e))
        goto out;
    if (ms > 0) *gbps = 2.0 * (double)j.bytes / (ms * 1e-3) / 1e9;
    rc = 0;
out:
    if (j.src) cudaFree(j.src);
    if (j.dst) cudaFree(j.dst);
    return rc;
}

typedef struct matrix_job {
    int64_t n;
    void *a, *b, *c;
} matrix_job;

static int run_matrix(sandbox *s, void *user, cw_error *e)
{
    matrix_job *j = user;
    return gemm(s, j->n, j->n, j->n, CUDA_R_16BF, CUDA_R_16BF, j->a, j->b, j->c, e);
}

int cw_measure_matrix_tflops(sandbox *s, double *tflops, cw_error *e)
{
    matrix_job j = {8192, NULL, NULL, NULL};
    *tflops = 0;
    size_t bytes = (size_t)j.n * (size_t)j.n * 2;
    if ((int64_t)bytes * 6 > s->mem_bytes || s->max_runs < 30) return 0;
    int rc = -1;
    float ms = 0;
    if (cublas_handle(s, e) ||
        cw_cuda_check(e, cudaMalloc(&j.a, bytes), "allocating the matrix benchmark") ||
        cw_cuda_check(e, cudaMalloc(&j.b, bytes), "allocating the matrix benchmark") ||
        cw_cuda_check(e, cudaMalloc(&j.c, bytes), "allocating the matrix benchmark") ||
        sb_draw(s, j.a, (uint64_t)j.n * (uint64_t)j.n, DT_BFLOAT16, 1, e) ||
        sb_draw(s, j.b, (uint64_t)j.n * (uint64_t)j.n, DT_BFLOAT16, 2, e) ||
        median_ms(s, run_matrix, &j, &ms, e))
        goto out;
    if (ms > 0) *tflops = 2.0 * (double)j.n * (double)j.n * (double)j.n / (ms * 1e-3) / 1e12;
    rc = 0;
out:
    if (j.a) cudaFree(j.a);
    if (j.b) cudaFree(j.b);
    if (j.c) cudaFree(j.c);
    return rc;
}
