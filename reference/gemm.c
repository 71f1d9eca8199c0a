/* gemm.c -- host reference for gemm_* definitions: C = A @ B.T (A [M, K], B [N, K]), as the
 * definition's `torch.matmul(A, B.T)`. Inputs are widened to float and multiplied with
 * OpenBLAS (float accumulation, like the fp32-accumulating kernels it judges). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

#include "reference.h"

int reference_gemm(const ref_problem *p, const void *const *inputs, float *const *outputs,
                   char *err, size_t errlen);

/* cblas takes int sizes. */
static const ref_sym SYMS[] = {
    {"M", "M", 0, INT32_MAX},
    {"N", "N", 0, INT32_MAX},
    {"K", "K", 0, INT32_MAX},
    {NULL, NULL, 0, 0},
};

static const ref_arg ARGS[] = {
    {"A", 0, "M K", 0, 0},
    {"B", 0, "N K", 0, 0},
    {"C", 1, "M N", 0, 0},
    {NULL, 0, NULL, 0, 0},
};

const ref_spec ref_spec_gemm = {"gemm", reference_gemm, SYMS, ARGS, NULL};

static float *widen(int dt, const void *src, int64_t n)
{
    float *f = malloc((size_t)(n ? n : 1) * sizeof *f);
    if (!f) return NULL;
    for (int64_t i = 0; i < n; i++)
        f[i] = dtype_load_float(dt, src, i);
    return f;
}

int reference_gemm(const ref_problem *p, const void *const *inputs, float *const *outputs,
                   char *err, size_t errlen)
{
    if (reference_check(&ref_spec_gemm, p, err, errlen)) return -1;
    int ia = ref_input(p, "A"), ib = ref_input(p, "B");
    int64_t M, N, K;
    ref_axis(p, "M", &M);
    ref_axis(p, "N", &N);
    ref_axis(p, "K", &K);
    float *a = widen(p->inputs[ia].dtype, inputs[ia], M * K);
    float *b = widen(p->inputs[ib].dtype, inputs[ib], N * K);
    if (!a || !b) {
        free(a);
        free(b);
        snprintf(err, errlen, "gemm reference: out of memory (M=%lld)", (long long)M);
        return -1;
    }
    if (M && N)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)N, (int)K, 1.0f, a,
                    (int)(K ? K : 1), b, (int)(K ? K : 1), 0.0f, outputs[ref_output(p, "C")],
                    (int)N);
    free(a);
    free(b);
    return 0;
}
