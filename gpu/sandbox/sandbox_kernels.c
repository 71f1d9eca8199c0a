/* sandbox_kernels.c -- the harness's own kernels in the sandbox, compiled with NVRTC at start
 * (--fmad=false, so the draws are bit for bit the host's, input_gen.h):
 *   evo_pre    before a run, in one launch: clears the run's findings, writes its canaries,
 *              poisons its outputs and workspaces, draws its inputs, demotes their L2 lines;
 *   evo_post   after it: checks canaries (and inputs on compared runs) and writes the run's
 *              verdict, its random token if nothing was found, else 0. The token is a kernel
 *              parameter, so a candidate that runs later cannot write it for a run that failed;
 *   evo_gen    draws inputs for the benchmarks' own buffers (sb_draw);
 *   evo_guard  writes the canaries that stay for a whole sequence (around the inputs).
 * Their parameters are structs passed by value: no harness state lives in memory the
 * candidate's kernels could address, except the per-run findings, which only fail a run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "harness_text.h"
#include "nvrtc.h"
#include "sandbox.h"

/* The parameter blocks, laid out as the device structs above. */
typedef struct gen_in {
    void *ptr;
    uint64_t n, key;
    float scale;
    int kind;
} gen_in;
typedef struct gen_args {
    int count, pad;
    gen_in in[SB_MAX_INPUTS];
} gen_args;
typedef struct guard_args {
    int count, pad;
    unsigned char *at[SB_MAX_GUARDS];
} guard_args;
typedef struct fill_args {
    int count, pad;
    unsigned char *at[SB_MAX_FILLS];
    unsigned long long bytes[SB_MAX_FILLS];
} fill_args;

_Static_assert(sizeof(gen_in) == 32, "GenIn layout");
_Static_assert(SB_MAX_FILLS == 16, "Fills in sandbox_kernels.cu holds 16 ranges");
_Static_assert(sizeof(sb_fail) == 32 + 8 * SB_MAX_INPUTS + 8 * SB_MAX_GUARDS, "Fail layout");

int sb_kernels_load(sandbox *s, cw_error *e)
{
    size_t n = strlen(evo_input_gen_text) + strlen(evo_sandbox_kernels_text) + 2;
    char *src = malloc(n);
    if (!src) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "sandbox out of host memory");
        return -1;
    }
    snprintf(src, n, "%s\n%s", evo_input_gen_text, evo_sandbox_kernels_text);
    const char *opts[] = {"--fmad=false", "-std=c++17"};
    nvrtc_output o;
    int rc = nvrtc_compile(src, "evo_harness.cu", arch_for_device(s->cc_major, s->cc_minor), opts,
                           2, s->cache_dir[0] ? s->cache_dir : NULL, 0, &o);
    free(src);
    if (rc != EVO_OK) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "the harness kernels do not compile: %s",
                o.log ? o.log : evo_strerror(rc));
        nvrtc_output_free(&o);
        return -1;
    }
    cudaError_t c = cudaLibraryLoadData(&s->hlib, o.cubin, NULL, NULL, 0, NULL, NULL, 0);
    nvrtc_output_free(&o);
    if (cw_cuda_check(e, c, "loading the harness kernels") ||
        cw_cuda_check(e, cudaLibraryGetKernel(&s->k_gen, s->hlib, "evo_gen"), "evo_gen") ||
        cw_cuda_check(e, cudaLibraryGetKernel(&s->k_guard, s->hlib, "evo_guard"), "evo_guard") ||
        cw_cuda_check(e, cudaLibraryGetKernel(&s->k_pre, s->hlib, "evo_pre"), "evo_pre") ||
        cw_cuda_check(e, cudaLibraryGetKernel(&s->k_post, s->hlib, "evo_post"), "evo_post"))
        return -1;
    return 0;
}

void sb_kernels_free(sandbox *s)
{
    if (s->hlib) cudaLibraryUnload(s->hlib);
    s->hlib = NULL;
}

/* The draw of workload wi for a seed; returns the largest input's element count. */
static uint64_t gen_for(sandbox *s, int wi, uint64_t seed, gen_args *a)
{
    const evo_task *t = s->task;
    const task_workload *w = &t->workloads[wi];
    const sb_workload *l = &s->wl[wi];
    memset(a, 0, sizeof *a);
    uint64_t most = 0;
    for (int i = 0; i < t->def.ninputs; i++) {
        if (!l->drawn[i] || t->def.inputs[i].is_scalar || !l->in_bytes[i]) continue;
        gen_in *g = &a->in[a->count++];
        g->ptr = s->region + l->in_off[i];
        g->n = (uint64_t)task_tensor_numel(t, w, &t->def.inputs[i]);
        g->key = gate_input_key(t, w, seed, i);
        g->scale = gate_input_scale(t, i);
        g->kind = (int)t->def.inputs[i].dtype;
        if (g->n > most) most = g->n;
    }
    return most;
}

static dim3 grid_for(const sandbox *s, uint64_t threads)
{
    uint64_t blocks = (threads + 255) / 256, cap = (uint64_t)s->sms * 8;
    if (blocks > cap) blocks = cap;
    if (blocks < 1) blocks = 1;
    return (dim3){(unsigned)blocks, 1, 1};
}

int sb_pre(sandbox *s, int wi, uint64_t seed, unsigned char *const *guards, int n,
           unsigned char *const *fills, const size_t *fill_bytes, int nf, void *fail, cw_error *e)
{
    gen_args a;
    guard_args g;
    fill_args f, d;
    memset(&g, 0, sizeof g);
    memset(&f, 0, sizeof f);
    memset(&d, 0, sizeof d);
    /* Lines to demote: the input region, the fixed inputs, and the run's outputs and
     * workspaces; every one of them, or the run does not start (a line left out could stay
     * resident across the flush). */
    const sb_workload *l = &s->wl[wi];
    int demote = 1 + nf;
    for (int i = 0; i < s->task->def.ninputs; i++)
        demote += l->fixed[i].base != NULL;
    if (n > SB_MAX_GUARDS || nf > SB_MAX_FILLS || demote > SB_MAX_FILLS) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR,
                "task %s: a run has more buffers (%d guards, %d to poison, %d to demote) than the "
                "harness handles (%d, %d, %d)",
                s->task->def.name, n, nf, demote, SB_MAX_GUARDS, SB_MAX_FILLS, SB_MAX_FILLS);
        return -1;
    }
    d.at[d.count] = s->region;
    d.bytes[d.count++] = l->region_bytes;
    for (int i = 0; i < s->task->def.ninputs; i++)
        if (l->fixed[i].base) {
            d.at[d.count] = l->fixed[i].base;
            d.bytes[d.count++] = l->fixed[i].bytes + 2 * SB_GUARD;
        }
    for (int k = 0; k < nf; k++) {
        d.at[d.count] = fills[k];
        d.bytes[d.count++] = fill_bytes[k];
    }
    uint64_t most = gen_for(s, wi, seed, &a) / 2, poison = 0;
    g.count = n;
    memcpy(g.at, guards, (size_t)n * sizeof *guards);
    f.count = nf;
    for (int k = 0; k < nf; k++) {
        f.at[k] = fills[k];
        f.bytes[k] = fill_bytes[k];
        if (fill_bytes[k] / 16 > poison) poison = fill_bytes[k] / 16;
    }
    if (poison > most) most = poison;
    if ((uint64_t)n * SB_GUARD > most) most = (uint64_t)n * SB_GUARD;
    for (int k = 0; k < d.count; k++)
        if (d.bytes[k] / 128 > most) most = d.bytes[k] / 128;
    void *args[] = {&a, &f, &d, &g, &fail};
    return cw_cuda_check(e,
                         cudaLaunchKernel((const void *)s->k_pre, grid_for(s, most),
                                          (dim3){256, 1, 1}, args, 0, s->stream),
                         "preparing a run");
}

int sb_post(sandbox *s, int wi, uint64_t seed, int check_inputs, unsigned char *const *guards,
            int n, void *fail, uint64_t *res, uint64_t token, cw_error *e)
{
    gen_args a;
    guard_args g;
    memset(&g, 0, sizeof g);
    if (n > SB_MAX_GUARDS) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "too many guarded buffers");
        return -1;
    }
    /* The inputs' parameters go along either way; threads for them only when they are checked. */
    uint64_t pairs = gen_for(s, wi, seed, &a) / 2, most = check_inputs ? pairs : 0;
    g.count = n;
    memcpy(g.at, guards, (size_t)n * sizeof *guards);
    if ((uint64_t)n * SB_GUARD > most) most = (uint64_t)n * SB_GUARD;
    unsigned long long tok = token;
    void *args[] = {&a, &check_inputs, &g, &fail, &res, &tok};
    return cw_cuda_check(e,
                         cudaLaunchKernel((const void *)s->k_post, grid_for(s, most),
                                          (dim3){256, 1, 1}, args, 0, s->stream),
                         "checking a run");
}

int sb_draw(sandbox *s, void *ptr, uint64_t n, int kind, uint64_t key, cw_error *e)
{
    gen_args a;
    memset(&a, 0, sizeof a);
    a.count = 1;
    a.in[0] = (gen_in){ptr, n, key, 1.0f, kind};
    int check = 0;
    void *fail = NULL;
    void *args[] = {&a, &check, &fail};
    dim3 grid = {(unsigned)s->sms * 8, 1, 1}, block = {256, 1, 1};
    return cw_cuda_check(e,
                         cudaLaunchKernel((const void *)s->k_gen, grid, block, args, 0, s->stream),
                         "drawing inputs");
}

int sb_guards(sandbox *s, unsigned char *const *guards, int n, int check, int clear_fail,
              void *fail, cw_error *e)
{
    guard_args g;
    memset(&g, 0, sizeof g);
    if (n > SB_MAX_GUARDS) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "more than %d guarded buffers", SB_MAX_GUARDS / 2);
        return -1;
    }
    g.count = n;
    memcpy(g.at, guards, (size_t)n * sizeof *guards);
    void *args[] = {&g, &check, &clear_fail, &fail};
    dim3 grid = {(unsigned)(n > 0 ? n : 1), 1, 1}, block = {SB_GUARD, 1, 1};
    return cw_cuda_check(
        e, cudaLaunchKernel((const void *)s->k_guard, grid, block, args, 0, s->stream),
        check ? "checking canaries" : "writing canaries");
}
