/* task_query.c -- what the evaluator, the gate, the references' problem builder and the
 * prompts ask of a loaded task: axis values, tensor sizes (checked), and the cost model's bytes
 * and FLOPs for a workload. Kept apart from the loader (task.c), which calls the reference
 * checks (task_problem.c) that ask these same queries: one file each way, no loop. */
#include "task.h"

#include <stdint.h>
#include <string.h>

#include "expr.h"
#include "task_trace.h"

int task_axis_value(const evo_task *t, const task_workload *w, const char *axis, int64_t *out)
{
    int a = task_find_axis(&t->def, axis);
    if (a < 0) return -1;
    if (!t->def.axes[a].is_var) {
        *out = t->def.axes[a].value;
        return 0;
    }
    for (int i = 0; w && i < w->naxes; i++)
        if (!strcmp(w->axis_names[i], axis)) {
            *out = w->axis_values[i];
            return 0;
        }
    return -1;
}

int64_t task_tensor_numel(const evo_task *t, const task_workload *w, const task_tensor *x)
{
    int64_t n = 1;
    for (int i = 0; i < x->ndim; i++) {
        int64_t v;
        if (task_axis_value(t, w, x->dims[i], &v)) return -1;
        if (v && n > INT64_MAX / v) return -1;
        n *= v;
    }
    return n;
}

int task_tensor_bytes(const evo_task *t, const task_workload *w, const task_tensor *x,
                      size_t *bytes)
{
    int64_t n = task_tensor_numel(t, w, x), size = dtype_size(x->dtype);
    if (n < 0 || size <= 0 || n > TASK_MAX_TENSOR_BYTES / size) return -1;
    *bytes = (size_t)(n * size);
    return 0;
}

struct axis_env {
    const evo_task *t;
    const task_workload *w;
};

static int axis_lookup(void *user, const char *name, int64_t *out)
{
    struct axis_env *e = user;
    return task_axis_value(e->t, e->w, name, out);
}

static double eval_cost(const evo_task *t, const task_workload *w, const char *text)
{
    if (!text) return 0;
    char err[256];
    evo_expr *e = expr_parse(text, err, sizeof err);
    if (!e) return 0;
    struct axis_env env = {t, w};
    int64_t v = 0;
    int rc = expr_eval(e, axis_lookup, &env, &v, err, sizeof err);
    expr_free(e);
    return rc ? 0 : (double)v;
}

double task_bytes(const evo_task *t, const task_workload *w)
{
    return eval_cost(t, w, t->bytes_expr);
}

double task_flops(const evo_task *t, const task_workload *w)
{
    return eval_cost(t, w, t->flops_expr);
}
