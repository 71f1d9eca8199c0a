/* rmsnorm.c -- host reference for rmsnorm_* definitions, line for line the definition's
 * PyTorch: x = hidden_states.float(); inv_rms = rsqrt(mean(x^2) + 1e-5); y = x * inv_rms * w.
 * The sum of squares accumulates in double so the reference is not the noisier side. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "reference.h"

#define RMSNORM_EPS 1e-5f

int reference_rmsnorm(const ref_problem *p, const void *const *inputs, float *const *outputs,
                      char *err, size_t errlen);

static const ref_sym SYMS[] = {
    {"B", NULL, 0, INT64_MAX}, /* rows (tokens) */
    {"H", NULL, 1, INT64_MAX}, /* the hidden size: a mean over it */
    {NULL, NULL, 0, 0},
};

static const ref_arg ARGS[] = {
    {"hidden_states", 0, "B H", 0, 0},
    {"weight", 0, "H", 0, 0},
    {"output", 1, "B H", 0, 0},
    {NULL, 0, NULL, 0, 0},
};

const ref_spec ref_spec_rmsnorm = {"rmsnorm", reference_rmsnorm, SYMS, ARGS, NULL};

int reference_rmsnorm(const ref_problem *p, const void *const *inputs, float *const *outputs,
                      char *err, size_t errlen)
{
    if (reference_check(&ref_spec_rmsnorm, p, err, errlen)) return -1;
    int x = ref_input(p, "hidden_states"), wi = ref_input(p, "weight");
    float *y = outputs[ref_output(p, "output")];
    int64_t B = p->inputs[x].dims[0], H = p->inputs[x].dims[1];
    const void *xs = inputs[x], *ws = inputs[wi];
    int xt = p->inputs[x].dtype, wt = p->inputs[wi].dtype;
    for (int64_t b = 0; b < B; b++) {
        double ss = 0;
        for (int64_t h = 0; h < H; h++) {
            double v = dtype_load_float(xt, xs, b * H + h);
            ss += v * v;
        }
        float inv_rms = 1.0f / sqrtf((float)(ss / (double)H) + RMSNORM_EPS);
        for (int64_t h = 0; h < H; h++) {
            float v = dtype_load_float(xt, xs, b * H + h);
            y[b * H + h] = (v * inv_rms) * dtype_load_float(wt, ws, h);
        }
    }
    return 0;
}
