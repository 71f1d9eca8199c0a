/* rmsnorm.c -- host reference for rmsnorm_* definitions, line for line the definition's
 * PyTorch: x = hidden_states.float(); inv_rms = rsqrt(mean(x^2) + 1e-5); y = x * inv_rms * w.
 * The sum of squares accumulates in double so the reference is not the noisier side. */
#include <math.h>
#include <stdio.h>

#include "reference.h"

#define RMSNORM_EPS 1e-5f

int reference_rmsnorm(const evo_task *t, const task_workload *w, const void *const *inputs,
                      float *const *outputs, char *err, size_t errlen)
{
    const task_definition *d = &t->def;
    if (d->ninputs != 2 || d->noutputs != 1 || d->inputs[0].ndim != 2) {
        snprintf(err, errlen, "rmsnorm reference: %s must have inputs hidden_states [B, H], "
                 "weight [H] and one output", d->name);
        return -1;
    }
    int64_t B, H;
    if (task_axis_value(t, w, d->inputs[0].dims[0], &B) ||
        task_axis_value(t, w, d->inputs[0].dims[1], &H) || H <= 0) {
        snprintf(err, errlen, "rmsnorm reference: %s: cannot size hidden_states", d->name);
        return -1;
    }
    evo_dtype xt = d->inputs[0].dtype, wt = d->inputs[1].dtype;
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
