/* task_problem.c -- a task's workload as the host references see it (reference.h): tensors
 * with dtypes and shapes resolved from the workload's axes, the axes themselves, names for
 * messages. The references include nothing of the task model; this is the one place the two
 * meet. */
#include <stdio.h>
#include <string.h>

#include "reference.h"
#include "task.h"

_Static_assert(REF_F32 == (int)DT_FLOAT32 && REF_BF16 == (int)DT_BFLOAT16 &&
                   REF_E4M3 == (int)DT_FLOAT8_E4M3 && REF_F64 == (int)DT_FLOAT64 &&
                   REF_I64 == (int)DT_INT64 && REF_BOOL == (int)DT_BOOL,
               "the reference's dtypes follow the task model's");

static void view(const evo_task *t, const task_workload *w, const task_tensor *x, ref_tensor *out)
{
    out->name = x->name;
    out->dtype = (ref_dtype)x->dtype;
    out->optional = x->optional;
    out->ndim = x->is_scalar ? 0 : x->ndim;
    for (int d = 0; d < out->ndim && d < REF_MAX_DIMS; d++) {
        int64_t v = -1;
        /* An axis the workload cannot resolve stays -1: the reference names what it misses. */
        if (task_axis_value(t, w, x->dims[d], &v) != 0) v = -1;
        out->dims[d] = v;
    }
}

int task_problem(const evo_task *t, const task_workload *w, ref_problem *p, char *err,
                 size_t errlen)
{
    memset(p, 0, sizeof *p);
    const task_definition *d = &t->def;
    if (d->ninputs > REF_MAX_TENSORS || d->noutputs > REF_MAX_TENSORS || d->naxes > REF_MAX_AXES) {
        snprintf(err, errlen, "%s: more than %d tensors or %d axes for a host reference", d->name,
                 REF_MAX_TENSORS, REF_MAX_AXES);
        return -1;
    }
    p->definition = d->name;
    p->workload = w->uuid[0] ? w->uuid : w->label;
    p->ninputs = d->ninputs;
    p->noutputs = d->noutputs;
    for (int i = 0; i < d->ninputs; i++)
        view(t, w, &d->inputs[i], &p->inputs[i]);
    for (int o = 0; o < d->noutputs; o++)
        view(t, w, &d->outputs[o], &p->outputs[o]);
    for (int a = 0; a < d->naxes; a++) {
        int64_t v;
        if (task_axis_value(t, w, d->axes[a].name, &v) != 0) continue;
        p->axis_names[p->naxes] = d->axes[a].name;
        p->axis_values[p->naxes++] = v;
    }
    return 0;
}

int task_reference_run(const evo_task *t, const task_workload *w, reference_fn fn,
                       const void *const *inputs, float *const *outputs, char *err, size_t errlen)
{
    ref_problem p;
    if (task_problem(t, w, &p, err, errlen)) return -1;
    return fn(&p, inputs, outputs, err, errlen);
}

int task_reference_check(const evo_task *t, const char *name, char *err, size_t errlen)
{
    const ref_spec *s = reference_spec(name);
    if (!s) {
        snprintf(err, errlen, "no host reference called '%s'", name);
        return -1;
    }
    for (int i = 0; i < t->nworkloads; i++) {
        const task_workload *w = &t->workloads[i];
        ref_problem p;
        char why[1024];
        if (task_problem(t, w, &p, err, errlen)) return -1;
        if (reference_check(s, &p, why, sizeof why) == 0) continue;
        snprintf(err, errlen, "workload %s (%s): %s", w->uuid, w->label, why);
        return -1;
    }
    return 0;
}

/* cuBLAS's C = A B^T (cw_cublas_run): the gemm reference's tensors and int sizes, with A and
 * B of one dtype that cublasGemmEx reads and C one it writes. */
int task_cublas_check(const evo_task *t, char *err, size_t errlen)
{
    char why[1200];
    if (task_reference_check(t, "gemm", why, sizeof why)) {
        snprintf(err, errlen, "a cuBLAS baseline computes C = A B^T, and %s is not that: %s",
                 t->def.name, why);
        return -1;
    }
    const task_tensor *a = NULL, *b = NULL, *c = NULL;
    for (int i = 0; i < t->def.ninputs; i++) {
        if (!strcmp(t->def.inputs[i].name, "A")) a = &t->def.inputs[i];
        if (!strcmp(t->def.inputs[i].name, "B")) b = &t->def.inputs[i];
    }
    for (int o = 0; o < t->def.noutputs; o++)
        if (!strcmp(t->def.outputs[o].name, "C")) c = &t->def.outputs[o];
    const task_tensor *x[3] = {a, b, c};
    for (int i = 0; i < 3; i++)
        if (x[i]->dtype != DT_FLOAT16 && x[i]->dtype != DT_BFLOAT16 && x[i]->dtype != DT_FLOAT32) {
            snprintf(err, errlen,
                     "a cuBLAS baseline takes float16, bfloat16 or float32; %s '%s' of %s is %s",
                     i < 2 ? "input" : "output", x[i]->name, t->def.name, dtype_name(x[i]->dtype));
            return -1;
        }
    if (a->dtype != b->dtype) {
        snprintf(err, errlen, "a cuBLAS baseline takes A and B of one dtype; %s has %s and %s",
                 t->def.name, dtype_name(a->dtype), dtype_name(b->dtype));
        return -1;
    }
    return 0;
}
