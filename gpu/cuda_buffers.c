/* cuda_buffers.c -- device memory for the gate: buffers wrapped in canaries, output
 * poisoning, and the cached input sets of each workload (host inputs, their checksums,
 * device copies, and host references, cached in memory and optionally on disk so a
 * restarted worker does not recompute large references). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cuda_worker.h"
#include "gate.h"
#include "reference.h"
#include "sha256.h"

/* Position-dependent so that a stray store of any constant is unlikely to match. */
static void guard_pattern(unsigned char *p) {
    for (int i = 0; i < CW_GUARD; i++) p[i] = (unsigned char)(0xA5 ^ (i * 37 + 11));
}

int cw_buffer_alloc(cw_buffer *b, const char *name, size_t bytes, cw_error *e) {
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s", name);
    void *p = NULL;
    cudaError_t rc = cudaMalloc(&p, bytes + 2 * CW_GUARD);
    if (rc != cudaSuccess) {
        char what[TASK_NAME + 64];
        snprintf(what, sizeof what, "allocating %zu bytes for '%s'", bytes, name);
        return cw_cuda_check(e, rc, what);
    }
    b->base = p;
    b->data = b->base + CW_GUARD;
    b->bytes = bytes;
    return 0;
}

void cw_buffer_free(cw_buffer *b) {
    if (b->base) cudaFree(b->base);
    b->base = b->data = NULL;
}

int cw_buffer_arm(cw_buffer *b, int poison, cudaStream_t s, cw_error *e) {
    /* Pageable source: the copy is staged before cudaMemcpyAsync returns, so a stack
     * buffer is safe. */
    unsigned char pattern[CW_GUARD];
    guard_pattern(pattern);
    if (cw_cuda_check(e, cudaMemcpyAsync(b->base, pattern, CW_GUARD, cudaMemcpyHostToDevice, s),
                      "writing canaries"))
        return -1;
    if (cw_cuda_check(e, cudaMemcpyAsync(b->data + b->bytes, pattern, CW_GUARD,
                                         cudaMemcpyHostToDevice, s),
                      "writing canaries"))
        return -1;
    if (poison && b->bytes &&
        cw_cuda_check(e, cudaMemsetAsync(b->data, 0xFF, b->bytes, s), "poisoning outputs"))
        return -1;
    return 0;
}

int cw_buffer_check_guards(cw_buffer *b, const char *what, cw_error *e) {
    unsigned char want[CW_GUARD], head[CW_GUARD], tail[CW_GUARD];
    guard_pattern(want);
    if (cw_cuda_check(e, cudaMemcpy(head, b->base, CW_GUARD, cudaMemcpyDeviceToHost),
                      "reading canaries") ||
        cw_cuda_check(e, cudaMemcpy(tail, b->data + b->bytes, CW_GUARD, cudaMemcpyDeviceToHost),
                      "reading canaries"))
        return -1;
    for (int i = 0; i < CW_GUARD; i++) {
        if (head[i] != want[i]) {
            cw_fail(e, EVO_STATUS_GUARD_VIOLATION, "%s '%s': %d bytes written before the start",
                    what, b->name, CW_GUARD - i);
            return -1;
        }
    }
    for (int i = CW_GUARD - 1; i >= 0; i--) {
        if (tail[i] != want[i]) {
            cw_fail(e, EVO_STATUS_GUARD_VIOLATION, "%s '%s': %d bytes written past the end",
                    what, b->name, i + 1);
            return -1;
        }
    }
    return 0;
}

static uint64_t splitmix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static int input_absent(const task_workload *wl, const char *name) {
    for (int i = 0; i < wl->ninputs; i++)
        if (strcmp(wl->inputs[i].name, name) == 0) return wl->inputs[i].kind == GEN_ABSENT;
    return 0;
}

static int set_init(worker *w, int wi, cw_set *s, uint64_t seed, cw_error *e) {
    const evo_task *t = w->task;
    const task_workload *wl = &t->workloads[wi];
    int ni = t->def.ninputs, no = t->def.noutputs;
    s->seed = seed;
    s->host = calloc((size_t)ni + 1, sizeof *s->host);
    s->bytes = calloc((size_t)ni + 1, sizeof *s->bytes);
    s->checksum = calloc((size_t)ni + 1, sizeof *s->checksum);
    s->dev = calloc((size_t)ni + 1, sizeof *s->dev);
    s->ref = calloc((size_t)no + 1, sizeof *s->ref);
    if (!s->host || !s->bytes || !s->checksum || !s->dev || !s->ref) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory");
        return -1;
    }
    for (int i = 0; i < ni; i++) {
        const task_tensor *x = &t->def.inputs[i];
        if (input_absent(wl, x->name)) continue;
        s->bytes[i] = (size_t)task_tensor_numel(t, wl, x) * (size_t)dtype_size(x->dtype);
        s->host[i] = malloc(s->bytes[i] ? s->bytes[i] : 1);
        if (!s->host[i]) {
            cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory for input '%s'",
                    x->name);
            return -1;
        }
    }
    char err[512] = "";
    cw_host_busy(w, 1);
    int made = gate_make_inputs(t, wl, seed, s->host, err, sizeof err);
    cw_host_busy(w, 0);
    if (made != 0) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "workload %s: cannot make inputs: %s", wl->label,
                err);
        return -1;
    }
    for (int i = 0; i < ni; i++) {
        if (!s->host[i]) continue;
        s->checksum[i] = gate_checksum(s->host[i], s->bytes[i]);
        if (cw_buffer_alloc(&s->dev[i], t->def.inputs[i].name, s->bytes[i], e)) return -1;
    }
    return cw_set_upload(w, s, s, e);
}

int cw_set_upload(worker *w, const cw_set *from, cw_set *into, cw_error *e) {
    for (int i = 0; i < w->task->def.ninputs; i++) {
        if (!into->dev[i].base) continue;
        if (cw_buffer_arm(&into->dev[i], 0, w->stream, e)) return -1;
        if (cw_cuda_check(e, cudaMemcpyAsync(into->dev[i].data, from->host[i], from->bytes[i],
                                             cudaMemcpyHostToDevice, w->stream),
                          "uploading inputs"))
            return -1;
    }
    return cw_cuda_check(e, cudaStreamSynchronize(w->stream), "uploading inputs");
}

int cw_workload_prepare(worker *w, int wi, cw_error *e) {
    cw_workload *c = &w->wl[wi];
    if (c->ready) return 0;
    const evo_task *t = w->task;
    const task_workload *wl = &t->workloads[wi];
    int n = w->trials > w->input_sets ? w->trials : w->input_sets;
    if (n < 2) n = 2;
    c->sets = calloc((size_t)n, sizeof *c->sets);
    c->outs = calloc((size_t)t->def.noutputs + 1, sizeof *c->outs);
    if (!c->sets || !c->outs) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory");
        return -1;
    }
    c->nsets = n;
    for (int k = 0; k < n; k++) {
        uint64_t seed = splitmix(w->seed ^ splitmix((uint64_t)wi * 1000003u + (uint64_t)k));
        cw_tick(w, "inputs");
        if (set_init(w, wi, &c->sets[k], seed, e)) return -1;
    }
    for (int o = 0; o < t->def.noutputs; o++) {
        const task_tensor *x = &t->def.outputs[o];
        size_t bytes = (size_t)task_tensor_numel(t, wl, x) * (size_t)dtype_size(x->dtype);
        if (cw_buffer_alloc(&c->outs[o], x->name, bytes, e)) return -1;
    }
    c->ready = 1;
    return 0;
}

static void ref_cache_path(worker *w, int wi, const cw_set *s, int o, char *path, size_t n) {
    const task_workload *wl = &w->task->workloads[wi];
    char key[1024], hex[65];
    snprintf(key, sizeof key, "evo-ref-v1|%s|%s|%s|%s|%llu|%d", w->task->def.name,
             w->task->reference, wl->uuid, wl->label, (unsigned long long)s->seed, o);
    sha256_hex(key, strlen(key), hex);
    snprintf(path, n, "%s/ref/%s.f32", w->cache_dir, hex);
}

static int ref_cache_read(const char *path, float *buf, int64_t n) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t got = fread(buf, sizeof(float), (size_t)n, f);
    int extra = fgetc(f);
    fclose(f);
    return got == (size_t)n && extra == EOF ? 0 : -1;
}

/* Atomic: write a temporary file, then rename; a failed write only costs a recompute. */
static void ref_cache_write(const char *dir, const char *path, const float *buf, int64_t n) {
    char sub[600], tmp[1100];
    snprintf(sub, sizeof sub, "%s/ref", dir);
    mkdir(dir, 0755);
    mkdir(sub, 0755);
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) return;
    size_t put = fwrite(buf, sizeof(float), (size_t)n, f);
    if (fclose(f) != 0 || put != (size_t)n || rename(tmp, path) != 0) unlink(tmp);
}

int cw_set_reference(worker *w, int wi, cw_set *s, cw_error *e) {
    const evo_task *t = w->task;
    const task_workload *wl = &t->workloads[wi];
    if (s->ref[0]) return 0;
    int no = t->def.noutputs;
    for (int o = 0; o < no; o++) {
        int64_t n = task_tensor_numel(t, wl, &t->def.outputs[o]);
        s->ref[o] = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
        if (!s->ref[o]) {
            cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory for the reference");
            return -1;
        }
    }
    int cached = w->cache_dir[0] != 0;
    for (int o = 0; cached && o < no; o++) {
        char path[1024];
        ref_cache_path(w, wi, s, o, path, sizeof path);
        if (ref_cache_read(path, s->ref[o], task_tensor_numel(t, wl, &t->def.outputs[o])))
            cached = 0;
    }
    if (cached) return 0;
    reference_fn fn = reference_find(t->reference);
    if (!fn) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "task %s: no host reference called '%s'",
                t->def.name, t->reference);
        goto fail;
    }
    char err[512] = "";
    cw_host_busy(w, 1);
    int ok = fn(t, wl, (const void *const *)s->host, s->ref, err, sizeof err);
    cw_host_busy(w, 0);
    if (ok != 0) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "workload %s: reference failed: %s", wl->label,
                err);
        goto fail;
    }
    for (int o = 0; w->cache_dir[0] && o < no; o++) {
        char path[1024];
        ref_cache_path(w, wi, s, o, path, sizeof path);
        ref_cache_write(w->cache_dir, path, s->ref[o],
                        task_tensor_numel(t, wl, &t->def.outputs[o]));
    }
    return 0;
fail:
    for (int o = 0; o < no; o++) {
        free(s->ref[o]);
        s->ref[o] = NULL;
    }
    return -1;
}

static void set_free(const evo_task *t, cw_set *s) {
    for (int i = 0; s->host && i < t->def.ninputs; i++) {
        free(s->host[i]);
        if (s->dev) cw_buffer_free(&s->dev[i]);
    }
    for (int o = 0; s->ref && o < t->def.noutputs; o++) free(s->ref[o]);
    for (int i = 0; s->pristine && i < t->def.ninputs; i++)
        if (s->pristine[i]) cudaFree(s->pristine[i]);
    for (int o = 0; s->dref && o < t->def.noutputs; o++)
        if (s->dref[o]) cudaFree(s->dref[o]);
    free(s->pristine);
    free(s->dref);
    free(s->host);
    free(s->bytes);
    free(s->checksum);
    free(s->dev);
    free(s->ref);
}

void cw_workloads_free(worker *w) {
    if (!w->wl) return;
    for (int i = 0; i < w->task->nworkloads; i++) {
        cw_workload *c = &w->wl[i];
        for (int k = 0; c->sets && k < c->nsets; k++) set_free(w->task, &c->sets[k]);
        for (int o = 0; c->outs && o < w->task->def.noutputs; o++) cw_buffer_free(&c->outs[o]);
        free(c->sets);
        free(c->outs);
    }
    free(w->wl);
    w->wl = NULL;
}
