/* gemm.c -- host reference for gemm_* definitions: C = A @ B.T (A [M, K], B [N, K]), as the
 * definition's `torch.matmul(A, B.T)`. Inputs are widened to float and multiplied with
 * OpenBLAS (float accumulation, like the fp32-accumulating kernels it judges). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

#include "reference.h"

static int axis(const ref_problem *p, const char *name, int64_t *v, char *err, size_t errlen)
{
    if (ref_axis(p, name, v) == 0 && *v >= 0 && *v <= INT32_MAX) return 0;
    snprintf(err, errlen, "gemm reference: %s has no usable axis '%s'", p->definition, name);
    return -1;
}

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
    if (p->ninputs != 2 || p->noutputs != 1) {
        snprintf(err, errlen, "gemm reference: %s must have inputs A, B and output C",
                 p->definition);
        return -1;
    }
    int64_t M, N, K;
    if (axis(p, "M", &M, err, errlen) || axis(p, "N", &N, err, errlen) ||
        axis(p, "K", &K, err, errlen))
        return -1;
    int64_t mk[2] = {M, K}, nk[2] = {N, K}, mn[2] = {M, N};
    if (ref_need_shape("gemm", "input", &p->inputs[0], 2, mk, err, errlen) ||
        ref_need_shape("gemm", "input", &p->inputs[1], 2, nk, err, errlen) ||
        ref_need_shape("gemm", "output", &p->outputs[0], 2, mn, err, errlen))
        return -1;
    float *a = widen(p->inputs[0].dtype, inputs[0], M * K);
    float *b = widen(p->inputs[1].dtype, inputs[1], N * K);
    if (!a || !b) {
        free(a);
        free(b);
        snprintf(err, errlen, "gemm reference: out of memory (M=%lld)", (long long)M);
        return -1;
    }
    if (M && N)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)N, (int)K, 1.0f, a,
                    (int)(K ? K : 1), b, (int)(K ? K : 1), 0.0f, outputs[0], (int)N);
    free(a);
    free(b);
    return 0;
}
