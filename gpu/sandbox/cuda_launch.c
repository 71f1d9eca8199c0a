/* cuda_launch.c -- loading a candidate's cubin and running its launch plan in the sandbox:
 * kernels looked up by name in the cubin (cudaLibraryLoadData), their parameter lists checked
 * against the plan (sizes from cudaFuncGetParamInfo), grids resolved per workload, workspaces
 * allocated with canaries, and the launches enqueued on the sandbox's one stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

int cw_lookup(void *user, const char *name, int64_t *out)
{
    const cw_lookup_ctx *c = user;
    const sandbox *w = c->s;
    if (strcmp(name, "SM_COUNT") == 0) return *out = w->sms, 0;
    if (strcmp(name, "SMEM_OPTIN") == 0 || strcmp(name, "SMEM_LIMIT") == 0)
        return *out = w->smem_optin, 0;
    if (strcmp(name, "L2_BYTES") == 0) return *out = w->l2_bytes, 0;
    if (strcmp(name, "WARP_SIZE") == 0) return *out = 32, 0;
    for (int i = 0; c->p && i < c->p->nparams; i++) {
        if (strcmp(c->p->param_names[i], name) != 0) continue;
        if (!c->p->param_is_int[i]) return -1;
        *out = c->p->param_values[i];
        return 0;
    }
    if (c->wl && task_axis_value(w->task, c->wl, name, out) == 0) return 0;
    return -1;
}

static int parse_params(json_t *params, cw_program *p, cw_error *e)
{
    size_t n = params && json_is_object(params) ? json_object_size(params) : 0;
    p->param_names = calloc(n + 1, sizeof *p->param_names);
    p->param_values = calloc(n + 1, sizeof *p->param_values);
    p->param_is_int = calloc(n + 1, sizeof *p->param_is_int);
    if (!p->param_names || !p->param_values || !p->param_is_int) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory");
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach(params, key, v)
    {
        int i = p->nparams++;
        snprintf(p->param_names[i], TASK_NAME, "%s", key);
        if (json_is_integer(v)) {
            p->param_values[i] = json_integer_value(v);
            p->param_is_int[i] = 1;
        } else if (json_is_string(v)) {
            const char *s = json_string_value(v);
            char *end = NULL;
            long long x = strtoll(s, &end, 0);
            p->param_is_int[i] = *s && end && *end == 0;
            p->param_values[i] = x;
        }
    }
    return 0;
}

static size_t arg_size(const evo_task *t, const plan_arg *a)
{
    switch (a->kind) {
    case ARG_TENSOR:
    case ARG_WORKSPACE:
    case ARG_AXIS_I64:
        return 8;
    case ARG_AXIS_I32:
    case ARG_LITERAL:
        return 4;
    case ARG_SCALAR:
        return (size_t)dtype_size(t->def.inputs[a->index].dtype);
    }
    return 0;
}

/* The parameter list as compiled must match the plan's arguments one for one. */
static int check_params(const evo_task *t, const plan_kernel *k, cudaKernel_t f, cw_error *e)
{
    int count = 0;
    for (;; count++) {
        size_t off = 0, size = 0;
        cudaError_t rc = cudaFuncGetParamInfo((const void *)f, (size_t)count, &off, &size);
        if (rc != cudaSuccess) {
            cudaGetLastError();
            break;
        }
        if (count < k->nargs && size != arg_size(t, &k->args[count])) {
            cw_fail(e, EVO_STATUS_COMPILE_ERROR,
                    "launch plan: kernel '%s' parameter %d is %zu bytes but argument '%s' "
                    "passes %zu",
                    k->name, count + 1, size, k->args[count].name, arg_size(t, &k->args[count]));
            return -1;
        }
    }
    if (count != k->nargs) {
        cw_fail(e, EVO_STATUS_COMPILE_ERROR,
                "launch plan: kernel '%s' takes %d parameters but the plan passes %d", k->name,
                count, k->nargs);
        return -1;
    }
    return 0;
}

int cw_program_load(sandbox *w, const char *source, const void *cubin, size_t n, json_t *params,
                    cw_program **out, cw_error *e)
{
    *out = NULL;
    cw_program *p = calloc(1, sizeof *p);
    if (!p) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory");
        return -1;
    }
    if (parse_params(params, p, e)) goto fail;
    char err[1024] = "";
    p->plan = plan_parse(source, w->task, err, sizeof err);
    if (!p->plan) {
        cw_fail(e, EVO_STATUS_COMPILE_ERROR, "%s", err);
        goto fail;
    }
    if (!cubin || n == 0) {
        cw_fail(e, EVO_STATUS_COMPILE_ERROR, "no compiled code was sent");
        goto fail;
    }
    cudaError_t rc = cudaLibraryLoadData(&p->lib, cubin, NULL, NULL, 0, NULL, NULL, 0);
    if (rc != cudaSuccess) {
        cudaGetLastError();
        cw_fail(e, EVO_STATUS_COMPILE_ERROR, "cannot load the compiled code: %s: %s",
                cudaGetErrorName(rc), cudaGetErrorString(rc));
        p->lib = NULL;
        goto fail;
    }
    for (int k = 0; k < p->plan->nkernels; k++) {
        const plan_kernel *pk = &p->plan->kernels[k];
        rc = cudaLibraryGetKernel(&p->kernels[k], p->lib, pk->name);
        if (rc != cudaSuccess) {
            cudaGetLastError();
            cw_fail(e, EVO_STATUS_COMPILE_ERROR,
                    "launch plan: kernel '%s' is not in the compiled code (declare it "
                    "extern \"C\" __global__)",
                    pk->name);
            goto fail;
        }
        if (check_params(w->task, pk, p->kernels[k], e)) goto fail;
    }
    *out = p;
    return 0;
fail:
    cw_program_free(p);
    return -1;
}

void cw_program_free(cw_program *p)
{
    if (!p) return;
    if (p->lib) cudaLibraryUnload(p->lib);
    plan_free(p->plan);
    free(p->param_names);
    free(p->param_values);
    free(p->param_is_int);
    free(p);
}

int cw_bind(sandbox *w, cw_program *p, int wi, cw_bound *b, cw_error *e)
{
    memset(b, 0, sizeof *b);
    const task_workload *wl = &w->task->workloads[wi];
    cw_lookup_ctx ctx = {w, wl, p};
    char err[1024] = "";
    for (int k = 0; k < p->plan->nkernels; k++) {
        if (plan_resolve(p->plan, k, cw_lookup, &ctx, w->smem_optin, &b->launch[k], err,
                         sizeof err) != 0) {
            cw_fail(e, EVO_STATUS_COMPILE_ERROR, "workload %s: %s", wl->label, err);
            return -1;
        }
        unsigned smem = b->launch[k].smem;
        if (smem > 48 * 1024 &&
            cw_cuda_check(e,
                          cudaFuncSetAttribute((const void *)p->kernels[k],
                                               cudaFuncAttributeMaxDynamicSharedMemorySize,
                                               (int)smem),
                          "raising the dynamic shared memory limit")) {
            e->status = EVO_STATUS_COMPILE_ERROR;
            return -1;
        }
    }
    for (int i = 0; i < p->plan->nworkspaces; i++) {
        int64_t bytes = plan_workspace_bytes(p->plan, i, cw_lookup, &ctx, err, sizeof err);
        if (bytes < 0) {
            cw_fail(e, EVO_STATUS_COMPILE_ERROR, "workload %s: %s", wl->label, err);
            return -1;
        }
        if (bytes > w->mem_bytes) {
            cw_fail(e, EVO_STATUS_RUNTIME_ERROR,
                    "workload %s: workspace '%s' needs %lld bytes, more than the device has",
                    wl->label, p->plan->workspaces[i].name, (long long)bytes);
            return -1;
        }
        if (sb_buffer_alloc(&b->ws[i], p->plan->workspaces[i].name, (size_t)bytes, e)) return -1;
        b->nws = i + 1;
    }
    return 0;
}

void cw_unbind(cw_bound *b)
{
    for (int i = 0; i < b->nws; i++)
        sb_buffer_free(&b->ws[i]);
    b->nws = 0;
}

typedef union cw_argval {
    void *p;
    int i;
    int64_t l;
    unsigned char raw[16];
} cw_argval;

static int fill_arg(sandbox *w, const plan_arg *a, cw_bound *b, int wi, const sb_args *in,
                    cw_argval *v, cw_error *e)
{
    const evo_task *t = w->task;
    memset(v, 0, sizeof *v);
    int ni = t->def.ninputs;
    switch (a->kind) {
    case ARG_TENSOR:
        v->p = a->index < ni ? in->in[a->index] : in->out[a->index - ni];
        return 0;
    case ARG_WORKSPACE:
        v->p = b->ws[a->index].data;
        return 0;
    case ARG_LITERAL:
        v->i = (int)a->literal;
        return 0;
    case ARG_SCALAR:
        memcpy(v->raw, in->scalar[a->index], (size_t)dtype_size(t->def.inputs[a->index].dtype));
        return 0;
    case ARG_AXIS_I32:
    case ARG_AXIS_I64: {
        int64_t x = 0;
        if (task_axis_value(t, &t->workloads[wi], a->name, &x) != 0) break;
        if (a->kind == ARG_AXIS_I64)
            v->l = x;
        else
            v->i = (int)x;
        return 0;
    }
    }
    cw_fail(e, EVO_STATUS_COMPILE_ERROR, "launch plan: argument '%s' has no value for workload %s",
            a->name, t->workloads[wi].label);
    return -1;
}

int cw_launch(sandbox *w, cw_program *p, cw_bound *b, int wi, const sb_args *s, cw_error *e)
{
    for (int k = 0; k < p->plan->nkernels; k++) {
        const plan_kernel *pk = &p->plan->kernels[k];
        if (b->launch[k].skip) continue; /* `when` is 0 for this workload */
        cw_argval vals[PLAN_MAX_ARGS];
        void *argv[PLAN_MAX_ARGS];
        for (int i = 0; i < pk->nargs; i++) {
            if (fill_arg(w, &pk->args[i], b, wi, s, &vals[i], e)) return -1;
            argv[i] = &vals[i];
        }
        const plan_launch *l = &b->launch[k];
        dim3 grid = {l->grid[0], l->grid[1], l->grid[2]};
        dim3 block = {l->block[0], l->block[1], l->block[2]};
        cudaError_t rc =
            cudaLaunchKernel((const void *)p->kernels[k], grid, block, argv, l->smem, w->stream);
        if (rc != cudaSuccess) {
            char what[TASK_NAME + 32];
            snprintf(what, sizeof what, "launching kernel '%s'", pk->name);
            return cw_cuda_check(e, rc, what);
        }
    }
    return 0;
}
