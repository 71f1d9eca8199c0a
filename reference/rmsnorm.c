/* rmsnorm.c -- host reference for rmsnorm_* definitions, line for line the definition's
 * PyTorch: x = hidden_states.float(); inv_rms = rsqrt(mean(x^2) + 1e-5); y = x * inv_rms * w.
 * The sum of squares accumulates in double so the reference is not the noisier side. */
#include <math.h>
#include <stdio.h>

#include "reference.h"

#define RMSNORM_EPS 1e-5f

int reference_rmsnorm(const ref_problem *p, const void *const *inputs, float *const *outputs,
                      char *err, size_t errlen)
{
    if (p->ninputs != 2 || p->noutputs != 1 || p->inputs[0].ndim != 2) {
        snprintf(err, errlen,
                 "rmsnorm reference: %s must have inputs hidden_states [B, H], "
                 "weight [H] and one output",
                 p->definition);
        return -1;
    }
    int64_t B = p->inputs[0].dims[0], H = p->inputs[0].dims[1];
    if (B < 0 || H <= 0) { /* -1: an axis the workload did not resolve */
        snprintf(err, errlen,
                 "rmsnorm reference: %s: hidden_states is [%lld, %lld]; the batch must be known "
                 "and the hidden size above 0",
                 p->definition, (long long)B, (long long)H);
        return -1;
    }
    int64_t bh[2] = {B, H};
    if (ref_need_shape("rmsnorm", "input", &p->inputs[1], 1, &H, err, errlen) ||
        ref_need_shape("rmsnorm", "output", &p->outputs[0], 2, bh, err, errlen))
        return -1;
    int xt = p->inputs[0].dtype, wt = p->inputs[1].dtype;
    for (int64_t b = 0; b < B; b++) {
        double ss = 0;
        for (int64_t h = 0; h < H; h++) {
            double x = dtype_load_float(xt, inputs[0], b * H + h);
            ss += x * x;
        }
        float inv_rms = 1.0f / sqrtf((float)(ss / (double)H) + RMSNORM_EPS);
        for (int64_t h = 0; h < H; h++) {
            float x = dtype_load_float(xt, inputs[0], b * H + h);
            outputs[0][b * H + h] = (x * inv_rms) * dtype_load_float(wt, inputs[1], h);
        }
    }
    return 0;
}
