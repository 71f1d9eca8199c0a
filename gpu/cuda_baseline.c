/* cuda_baseline.c -- what candidates are measured against, timed exactly as they are:
 * cuBLAS (cublasGemmEx, fp16/bf16 in, fp32 compute, C = A B^T row-major) for "cublas" tasks,
 * or the task's baseline kernel (compiled with NVRTC at worker start, run through its own
 * launch plan) for "kernel" tasks. Each baseline passes the gate once before it is timed, so
 * a wrong baseline cannot inflate speedups. Also the matrix ceiling (cuBLAS rate on the
 * task's largest GEMM shape). */
#include <cublas_v2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_worker.h"
#include "nvrtc.h"

static int cublas_handle(worker *w, cw_error *e) {
    if (w->cublas) return 0;
    cublasHandle_t h = NULL;
    cublasStatus_t st = cublasCreate(&h);
    if (st != CUBLAS_STATUS_SUCCESS) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "cublasCreate failed: %s", cublasGetStatusString(st));
        return -1;
    }
    cublasSetStream(h, w->stream);
    w->cublas = h;
    return 0;
}

static int compile_baseline(worker *w, cw_error *e) {
    const evo_task *t = w->task;
    if (!t->baseline_source) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "task %s: kernel baseline has no source",
                t->def.name);
        return -1;
    }
    int nopts = t->nnvrtc_options + t->ndefines;
    const char **opts = calloc((size_t)nopts + 1, sizeof *opts);
    char **owned = calloc((size_t)t->ndefines + 1, sizeof *owned);
    int rc = -1;
    if (!opts || !owned) goto out;
    for (int i = 0; i < t->nnvrtc_options; i++) opts[i] = t->nvrtc_options[i];
    for (int i = 0; i < t->ndefines; i++) {
        size_t n = strlen(t->define_names[i]) + strlen(t->define_values[i]) + 4;
        owned[i] = malloc(n);
        if (!owned[i]) goto out;
        snprintf(owned[i], n, "-D%s=%s", t->define_names[i], t->define_values[i]);
        opts[t->nnvrtc_options + i] = owned[i];
    }
    nvrtc_output o;
    memset(&o, 0, sizeof o);
    const char *arch = arch_for_device(w->cc_major, w->cc_minor);
    int crc = nvrtc_compile(t->baseline_source, "baseline.cu", arch, opts, nopts,
                            w->cache_dir[0] ? w->cache_dir : NULL, 0, &o);
    if (crc != EVO_OK) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "task %s: the baseline kernel does not compile: %s",
                t->def.name, o.log ? o.log : "");
    } else {
        rc = cw_program_load(w, t->baseline_source, o.cubin, o.size, NULL, &w->baseline, e);
        if (rc) {
            cw_prefix(e, "baseline kernel: ");
            e->status = EVO_STATUS_RUNTIME_ERROR;
        }
    }
    nvrtc_output_free(&o);
out:
    for (int i = 0; owned && i < t->ndefines; i++) free(owned[i]);
    free(owned);
    free(opts);
    if (rc && e->status == EVO_STATUS_PASSED)
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory");
    return rc;
}

int cw_baseline_init(worker *w, cw_error *e) {
    if (strcmp(w->task->baseline_kind, "kernel") == 0) return compile_baseline(w, e);
    return 0;
}

void cw_baseline_free(worker *w) {
    cw_program_free(w->baseline);
    w->baseline = NULL;
    if (w->cublas) cublasDestroy((cublasHandle_t)w->cublas);
    w->cublas = NULL;
}

/* A GEMM C[M,N] = A[M,K] B[N,K]^T in row-major terms. */
typedef struct gemm_job {
    int64_t m, n, k;
    cudaDataType_t ab, c;
    const void *a, *b;
    void *out;
} gemm_job;

static int cuda_dtype(evo_dtype t, cudaDataType_t *out) {
    switch (t) {
    case DT_FLOAT16: *out = CUDA_R_16F; return 0;
    case DT_BFLOAT16: *out = CUDA_R_16BF; return 0;
    case DT_FLOAT32: *out = CUDA_R_32F; return 0;
    default: return -1;
    }
}

static int gemm_shape(worker *w, int wi, gemm_job *j, cw_error *e) {
    const evo_task *t = w->task;
    const task_workload *wl = &t->workloads[wi];
    if (task_axis_value(t, wl, "M", &j->m) || task_axis_value(t, wl, "N", &j->n) ||
        task_axis_value(t, wl, "K", &j->k) || t->def.ninputs < 2 || t->def.noutputs < 1) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR,
                "task %s: a cublas baseline needs axes M, N, K, inputs A[M,K], B[N,K] and "
                "output C[M,N]",
                t->def.name);
        return -1;
    }
    if (cuda_dtype(t->def.inputs[0].dtype, &j->ab) || cuda_dtype(t->def.outputs[0].dtype, &j->c)) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "task %s: cublas baseline does not support dtype %s",
                t->def.name, dtype_name(t->def.inputs[0].dtype));
        return -1;
    }
    return 0;
}

static int gemm_run(worker *w, const gemm_job *j, cw_error *e) {
    float alpha = 1.0f, beta = 0.0f;
    /* Row-major C = A B^T is column-major C^T = B A^T: B is (K x N)^T, A is K x M. */
    cublasStatus_t st = cublasGemmEx((cublasHandle_t)w->cublas, CUBLAS_OP_T, CUBLAS_OP_N,
                                     (int)j->n, (int)j->m, (int)j->k, &alpha, j->b, j->ab,
                                     (int)j->k, j->a, j->ab, (int)j->k, &beta, j->out, j->c,
                                     (int)j->n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    if (st != CUBLAS_STATUS_SUCCESS) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "cublasGemmEx failed: %s", cublasGetStatusString(st));
        return -1;
    }
    return 0;
}

typedef struct base_ctx {
    int wi;
    cw_bound *bound;
    gemm_job job;
} base_ctx;

static int run_cublas(worker *w, void *user, int set, cw_error *e) {
    base_ctx *c = user;
    const cw_set *s = &w->wl[c->wi].sets[set];
    c->job.a = s->dev[0].data;
    c->job.b = s->dev[1].data;
    c->job.out = w->wl[c->wi].outs[0].data;
    return gemm_run(w, &c->job, e);
}

static int run_kernel(worker *w, void *user, int set, cw_error *e) {
    base_ctx *c = user;
    return cw_launch(w, w->baseline, c->bound, c->wi, &w->wl[c->wi].sets[set], e);
}

/* The cuBLAS baseline must pass the gate too (it checks the A B^T orientation). */
static int check_cublas(worker *w, base_ctx *c, cw_error *e) {
    if (cw_set_reference(w, c->wi, &w->wl[c->wi].sets[0], e)) return -1;
    if (cw_poison(w, c->bound, c->wi, e)) return -1;
    if (run_cublas(w, c, 0, e)) return -1;
    if (cw_cuda_check(e, cudaDeviceSynchronize(), "running cuBLAS")) return -1;
    double a = 0, r = 0;
    return cw_verify(w, c->bound, c->wi, 0, 0, &a, &r, e);
}

static int baseline_measure(worker *w, int wi, double *us, cw_error *e) {
    base_ctx c = {.wi = wi};
    cw_bound bound;
    memset(&bound, 0, sizeof bound);
    c.bound = &bound;
    int nsets = w->input_sets < w->wl[wi].nsets ? w->input_sets : w->wl[wi].nsets;
    int rc = -1;
    if (strcmp(w->task->baseline_kind, "cublas") == 0) {
        if (cublas_handle(w, e) || gemm_shape(w, wi, &c.job, e) || check_cublas(w, &c, e))
            return -1;
        rc = cw_time(w, run_cublas, &c, nsets, us, e);
    } else if (w->baseline) {
        if (cw_bind(w, w->baseline, wi, &bound, e) == 0 &&
            cw_run_checked(w, w->baseline, &bound, wi, 0, e) == 0)
            rc = cw_time(w, run_kernel, &c, nsets, us, e);
        cw_unbind(&bound);
    } else {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "task %s: unknown baseline kind '%s'",
                w->task->def.name, w->task->baseline_kind);
    }
    return rc;
}

int cw_baseline_us(worker *w, int wi, double *us, cw_error *e) {
    cw_workload *c = &w->wl[wi];
    if (!c->baseline_done) {
        cw_error be = {.status = EVO_STATUS_PASSED};
        if (cw_workload_prepare(w, wi, &be) == 0) baseline_measure(w, wi, &c->baseline_us, &be);
        if (be.status != EVO_STATUS_PASSED) {
            char pre[TASK_NAME + 64];
            snprintf(pre, sizeof pre, "baseline on workload %s: ", w->task->workloads[wi].label);
            cw_prefix(&be, pre);
            memcpy(c->baseline_err, be.msg, sizeof c->baseline_err);
        }
        c->baseline_done = 1;
        if (be.sticky) {
            e->sticky = 1;
            c->baseline_done = 0;
        }
    }
    *us = c->baseline_us;
    if (c->baseline_err[0]) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "%s", c->baseline_err);
        return -1;
    }
    return 0;
}

/* cuBLAS on the task's largest GEMM, on that workload's random inputs: constant or zero
 * data draws less power and runs faster than real data, which would inflate the ceiling. */
int cw_measure_gemm_tflops(worker *w, double *tflops, cw_error *e) {
    *tflops = 0;
    if (strcmp(w->task->baseline_kind, "cublas") != 0 || w->task->nworkloads == 0) return 0;
    int best = 0;
    for (int i = 1; i < w->task->nworkloads; i++)
        if (task_flops(w->task, &w->task->workloads[i]) >
            task_flops(w->task, &w->task->workloads[best]))
            best = i;
    base_ctx c;
    memset(&c, 0, sizeof c);
    c.wi = best;
    if (cublas_handle(w, e) || gemm_shape(w, best, &c.job, e) || cw_workload_prepare(w, best, e))
        return -1;
    int nsets = w->input_sets < w->wl[best].nsets ? w->input_sets : w->wl[best].nsets;
    double us = 0;
    if (cw_time(w, run_cublas, &c, nsets, &us, e)) return -1;
    double flops = task_flops(w->task, &w->task->workloads[best]);
    if (flops <= 0) flops = 2.0 * (double)c.job.m * (double)c.job.n * (double)c.job.k;
    if (us > 0) *tflops = flops / (us * 1e-6) / 1e12;
    return 0;
}
