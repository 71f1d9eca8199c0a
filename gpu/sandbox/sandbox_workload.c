/* sandbox_workload.c -- how a workload sits in the sandbox's memory: its drawn inputs at
 * offsets of the input region (rewritten before every run), its fixed inputs (stored blobs,
 * scalars) uploaded once and checked against their host copy after every sequence, its
 * outputs at offsets of each ring slot. Every device buffer sits between canaries. Sizes are
 * computed with overflow checks, so a workload with absurd axes is refused by name instead of
 * wrapping into a small allocation. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "input_gen.h"
#include "sandbox.h"

#define ALIGN 256
#define MAX_BYTES ((size_t)1 << 42) /* 4 TiB: larger than any device, small enough to add */

void sb_guard_pattern(unsigned char *p)
{
    for (int i = 0; i < SB_GUARD; i++)
        p[i] = (unsigned char)(0xA5 ^ (i * 37 + 11));
}

int sb_buffer_alloc(cw_buffer *b, const char *name, size_t bytes, cw_error *e)
{
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s", name);
    void *p = NULL;
    cudaError_t rc = cudaMalloc(&p, bytes + 2 * SB_GUARD);
    if (rc != cudaSuccess) {
        char what[TASK_NAME + 64];
        snprintf(what, sizeof what, "allocating %zu bytes for '%s'", bytes, name);
        return cw_cuda_check(e, rc, what);
    }
    b->base = p;
    b->data = b->base + SB_GUARD;
    b->bytes = bytes;
    return 0;
}

void sb_buffer_free(cw_buffer *b)
{
    if (b->base) cudaFree(b->base);
    b->base = b->data = NULL;
}

static size_t align_up(size_t n)
{
    return (n + ALIGN - 1) / ALIGN * ALIGN;
}

/* Bytes of tensor x in workload w, or (size_t)-1 when it cannot be sized or is absurd
 * (task_tensor_bytes: above TASK_MAX_TENSOR_BYTES). */
static size_t tensor_bytes(const evo_task *t, const task_workload *w, const task_tensor *x)
{
    size_t b = 0;
    if (task_tensor_bytes(t, w, x, &b) || b > MAX_BYTES) return (size_t)-1;
    return b;
}

static int input_absent(const task_workload *w, int i)
{
    return i < w->ninputs && w->inputs[i].kind == GEN_ABSENT;
}

int sb_workload_layout(const evo_task *t, int wi, size_t *slot_bytes, size_t *region_bytes,
                       char *err, size_t errlen)
{
    const task_workload *w = &t->workloads[wi];
    size_t slot = 0, region = 0;
    for (int o = 0; o < t->def.noutputs; o++) {
        size_t b = tensor_bytes(t, w, &t->def.outputs[o]);
        if (b == (size_t)-1) {
            snprintf(err, errlen, "workload %s: output '%s' cannot be sized (axes too large)",
                     w->label, t->def.outputs[o].name);
            return -1;
        }
        slot += SB_GUARD + align_up(b) + SB_GUARD;
        if (slot > MAX_BYTES) break; /* each term is below MAX_BYTES: no sum wraps */
    }
    for (int i = 0; i < t->def.ninputs; i++) {
        const task_tensor *x = &t->def.inputs[i];
        if (x->is_scalar || input_absent(w, i)) continue;
        size_t b = tensor_bytes(t, w, x);
        if (b == (size_t)-1) {
            snprintf(err, errlen, "workload %s: input '%s' cannot be sized (axes too large)",
                     w->label, x->name);
            return -1;
        }
        if (gate_input_drawn(t, w, i)) region += SB_GUARD + align_up(b) + SB_GUARD;
        if (region > MAX_BYTES) break;
    }
    if (slot > MAX_BYTES || region > MAX_BYTES) {
        snprintf(err, errlen, "workload %s is too large", w->label);
        return -1;
    }
    *slot_bytes = slot;
    *region_bytes = region;
    return 0;
}

static int upload_fixed(sandbox *s, int wi, int i, cw_error *e)
{
    sb_workload *l = &s->wl[wi];
    cw_buffer *b = &l->fixed[i];
    unsigned char guard[SB_GUARD];
    sb_guard_pattern(guard);
    if (cw_cuda_check(e, cudaMemcpy(b->base, guard, SB_GUARD, cudaMemcpyHostToDevice),
                      "uploading inputs") ||
        cw_cuda_check(e, cudaMemcpy(b->data, l->fixed_host[i], b->bytes, cudaMemcpyHostToDevice),
                      "uploading inputs") ||
        cw_cuda_check(e, cudaMemcpy(b->data + b->bytes, guard, SB_GUARD, cudaMemcpyHostToDevice),
                      "uploading inputs"))
        return -1;
    return 0;
}

/* Free what a workload holds and forget it (its layout is computed again on next use). */
static void workload_free(const evo_task *t, sb_workload *l)
{
    for (int i = 0; i < t->def.ninputs; i++) {
        if (l->fixed) sb_buffer_free(&l->fixed[i]);
        if (l->fixed_host) free(l->fixed_host[i]);
    }
    free(l->drawn);
    free(l->in_bytes);
    free(l->in_off);
    free(l->fixed_host);
    free(l->fixed);
    free(l->out_bytes);
    free(l->out_off);
    memset(l, 0, sizeof *l);
}

int sb_workload_prepare(sandbox *s, int wi, cw_error *e)
{
    sb_workload *l = &s->wl[wi];
    if (l->ready) return 0;
    const evo_task *t = s->task;
    const task_workload *w = &t->workloads[wi];
    int ni = t->def.ninputs, no = t->def.noutputs;
    if (ni > SB_MAX_INPUTS || no > SB_MAX_OUTPUTS) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "task %s: more than %d inputs or %d outputs",
                t->def.name, SB_MAX_INPUTS, SB_MAX_OUTPUTS);
        goto fail;
    }
    l->drawn = calloc((size_t)ni + 1, sizeof *l->drawn);
    l->in_bytes = calloc((size_t)ni + 1, sizeof *l->in_bytes);
    l->in_off = calloc((size_t)ni + 1, sizeof *l->in_off);
    l->fixed_host = calloc((size_t)ni + 1, sizeof *l->fixed_host);
    l->fixed = calloc((size_t)ni + 1, sizeof *l->fixed);
    l->out_bytes = calloc((size_t)no + 1, sizeof *l->out_bytes);
    l->out_off = calloc((size_t)no + 1, sizeof *l->out_off);
    if (!l->drawn || !l->in_bytes || !l->in_off || !l->fixed_host || !l->fixed || !l->out_bytes ||
        !l->out_off) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "sandbox out of host memory");
        goto fail;
    }
    char err[512];
    if (sb_workload_layout(t, wi, &l->slot_bytes, &l->region_bytes, err, sizeof err)) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "%s", err);
        goto fail;
    }
    size_t off = 0;
    for (int o = 0; o < no; o++) {
        l->out_bytes[o] = tensor_bytes(t, w, &t->def.outputs[o]);
        l->out_off[o] = off + SB_GUARD;
        off += SB_GUARD + align_up(l->out_bytes[o]) + SB_GUARD;
    }
    /* Fixed inputs come from gate_make_inputs with only their buffers given: the blobs and
     * scalar values, exactly as the harness's references see them. */
    off = 0;
    int nfixed = 0;
    for (int i = 0; i < ni; i++) {
        const task_tensor *x = &t->def.inputs[i];
        if (input_absent(w, i)) continue;
        l->in_bytes[i] = x->is_scalar ? (size_t)dtype_size(x->dtype) : tensor_bytes(t, w, x);
        l->drawn[i] = gate_input_drawn(t, w, i);
        if (l->drawn[i] && !x->is_scalar) {
            l->in_off[i] = off + SB_GUARD;
            off += SB_GUARD + align_up(l->in_bytes[i]) + SB_GUARD;
            continue;
        }
        if (l->drawn[i]) continue; /* a drawn scalar: drawn on the host, per run */
        l->fixed_host[i] = malloc(l->in_bytes[i] ? l->in_bytes[i] : 1);
        if (!l->fixed_host[i]) {
            cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "sandbox out of host memory for input '%s'",
                    x->name);
            goto fail;
        }
        nfixed++;
    }
    if (nfixed && gate_make_inputs(t, w, 0, l->fixed_host, err, sizeof err) != 0) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "workload %s: cannot make inputs: %s", w->label, err);
        goto fail;
    }
    for (int i = 0; i < ni; i++) {
        if (!l->fixed_host[i] || t->def.inputs[i].is_scalar) continue;
        if (sb_buffer_alloc(&l->fixed[i], t->def.inputs[i].name, l->in_bytes[i], e) ||
            upload_fixed(s, wi, i, e))
            goto fail;
    }
    l->ready = 1;
    return 0;
fail:
    /* Nothing half made is kept: the next candidate tries again from scratch. */
    workload_free(t, l);
    return -1;
}

void sb_workload_args(sandbox *s, int wi, int slot, uint64_t seed, sb_args *a)
{
    const evo_task *t = s->task;
    const task_workload *w = &t->workloads[wi];
    const sb_workload *l = &s->wl[wi];
    memset(a, 0, sizeof *a);
    for (int i = 0; i < t->def.ninputs; i++) {
        const task_tensor *x = &t->def.inputs[i];
        if (x->is_scalar) {
            if (l->drawn[i]) {
                ig_u64 b0, b1;
                ig_pair_bits((int)x->dtype, gate_input_key(t, w, seed, i), 0,
                             gate_input_scale(t, i), &b0, &b1);
                memcpy(a->scalar[i], &b0, (size_t)dtype_size(x->dtype));
            } else if (l->fixed_host[i]) {
                memcpy(a->scalar[i], l->fixed_host[i], l->in_bytes[i]);
            }
            continue;
        }
        if (l->drawn[i] && l->in_bytes[i])
            a->in[i] = s->region + l->in_off[i];
        else if (l->fixed[i].base)
            a->in[i] = l->fixed[i].data;
    }
    unsigned char *base = s->ring + (size_t)slot * s->stride;
    for (int o = 0; o < t->def.noutputs; o++)
        a->out[o] = base + l->out_off[o];
}

/* A pinned host buffer of at least `bytes` (reused; freed with the sandbox). */
static void *staging(sandbox *s, size_t bytes, cw_error *e)
{
    if (bytes <= s->staging_bytes) return s->staging;
    if (s->staging) cudaFreeHost(s->staging);
    s->staging = NULL;
    s->staging_bytes = 0;
    void *p = NULL;
    if (cw_cuda_check(e, cudaMallocHost(&p, bytes), "allocating pinned host memory")) return NULL;
    s->staging = p;
    s->staging_bytes = bytes;
    return p;
}

int sb_workload_check_fixed(sandbox *s, int wi, cw_error *e)
{
    const evo_task *t = s->task;
    sb_workload *l = &s->wl[wi];
    for (int i = 0; i < t->def.ninputs; i++) {
        cw_buffer *b = &l->fixed[i];
        if (!b->base) continue;
        void *tmp = staging(s, b->bytes ? b->bytes : 1, e);
        if (!tmp) return -1;
        if (cw_cuda_check(e, cudaMemcpy(tmp, b->data, b->bytes, cudaMemcpyDeviceToHost),
                          "reading inputs back"))
            return -1;
        if (memcmp(tmp, l->fixed_host[i], b->bytes) != 0) {
            cw_fail(e, EVO_STATUS_GUARD_VIOLATION, "input '%s' was modified in place", b->name);
            cw_error scratch = {.status = EVO_STATUS_PASSED};
            upload_fixed(s, wi, i, &scratch);
            return -1;
        }
    }
    return 0;
}

void sb_workloads_free(sandbox *s)
{
    if (!s->wl || !s->task) return;
    for (int wi = 0; wi < s->task->nworkloads; wi++)
        workload_free(s->task, &s->wl[wi]);
    free(s->wl);
    s->wl = NULL;
}
