/* worker_pool.c -- each workload's pool of reference-checked input sets. A set is a seed:
 * the sandbox draws the inputs from it on the GPU when a compared run comes, and this process
 * draws the same bits on the host to compute the reference. Seeds come from getrandom, never
 * from the run's configuration (a predictable seed is an input a candidate could precompute),
 * and are kept in the cache directory (mode 0600) so a replacement worker or a later run on
 * the same task reuses the references, which are cached on disk too, keyed by seed. A fresh
 * pool (evo validate) draws new seeds and keeps nothing. The references' device copies live in
 * this process's context, out of any candidate's reach, each with a digest taken at upload. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reference.h"
#include "sha256.h"
#include "worker.h"

static uint64_t secret64(void)
{
    uint64_t v = 0;
    while (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
    }
    return v;
}

static void pool_path(const worker *w, int wi, char *path, size_t n)
{
    const task_workload *wl = &w->task->workloads[wi];
    char key[1024], hex[65];
    snprintf(key, sizeof key, "evo-pool-v1|%s|%s|%s", w->task->def.name, wl->uuid, wl->label);
    sha256_hex(key, strlen(key), hex);
    snprintf(path, n, "%s/pool/%s.seeds", w->cache_dir, hex);
}

/* The first n seeds of the workload's kept pool, extended (and rewritten) when short. */
static void pool_seeds(worker *w, int wi, uint64_t *seeds, int n)
{
    if (w->fresh_pool || !w->cache_dir[0]) {
        for (int i = 0; i < n; i++)
            seeds[i] = secret64();
        return;
    }
    char path[1200];
    pool_path(w, wi, path, sizeof path);
    int have = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        char line[64];
        if (fgets(line, sizeof line, f) && !strcmp(line, "evo-pool-v1\n"))
            while (have < n && fgets(line, sizeof line, f)) {
                char *end = NULL;
                unsigned long long v = strtoull(line, &end, 16);
                if (end != line) seeds[have++] = v;
            }
        fclose(f);
    }
    if (have == n) return;
    for (int i = have; i < n; i++)
        seeds[i] = secret64();
    char dir[1100], tmp[1300];
    snprintf(dir, sizeof dir, "%s", w->cache_dir);
    mkdir(dir, 0755);
    snprintf(dir, sizeof dir, "%s/pool", w->cache_dir);
    mkdir(dir, 0700);
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return; /* an unwritable cache only costs references next time */
    FILE *out = fdopen(fd, "w");
    if (!out) {
        close(fd);
        unlink(tmp);
        return;
    }
    fprintf(out, "evo-pool-v1\n");
    for (int i = 0; i < n; i++)
        fprintf(out, "%016llx\n", (unsigned long long)seeds[i]);
    if (fclose(out) != 0 || rename(tmp, path) != 0) unlink(tmp);
}

static void ref_cache_path(const worker *w, int wi, uint64_t seed, int o, char *path, size_t n)
{
    const task_workload *wl = &w->task->workloads[wi];
    char key[1024], hex[65];
    snprintf(key, sizeof key, "evo-ref-v2|%s|%s|%s|%s|%016llx|%d", w->task->def.name,
             w->task->reference, wl->uuid, wl->label, (unsigned long long)seed, o);
    sha256_hex(key, strlen(key), hex);
    snprintf(path, n, "%s/ref/%s.f32", w->cache_dir, hex);
}

static int ref_cache_read(const char *path, float *buf, int64_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t got = fread(buf, sizeof(float), (size_t)n, f);
    int extra = fgetc(f);
    fclose(f);
    return got == (size_t)n && extra == EOF ? 0 : -1;
}

/* Atomic: write a temporary file, then rename; a failed write only costs a recompute. */
static void ref_cache_write(const char *dir, const char *path, const float *buf, int64_t n)
{
    char sub[600], tmp[1300];
    snprintf(sub, sizeof sub, "%s/ref", dir);
    mkdir(dir, 0755);
    mkdir(sub, 0755);
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) return;
    size_t put = fwrite(buf, sizeof(float), (size_t)n, f);
    if (fclose(f) != 0 || put != (size_t)n || rename(tmp, path) != 0) unlink(tmp);
}

static void free_host(void **in, int ni, float **ref, int no)
{
    for (int i = 0; in && i < ni; i++)
        free(in[i]);
    for (int o = 0; ref && o < no; o++)
        free(ref[o]);
    free(in);
    free(ref);
}

/* The references of one seed on the host: from the disk cache, or the inputs drawn and the
 * reference run (and cached). */
static int host_reference(worker *w, int wi, uint64_t seed, float **ref, cw_error *e)
{
    const evo_task *t = w->task;
    const task_workload *wl = &t->workloads[wi];
    int ni = t->def.ninputs, no = t->def.noutputs;
    int cached = w->cache_dir[0] && !w->fresh_pool;
    for (int o = 0; cached && o < no; o++) {
        char path[1200];
        ref_cache_path(w, wi, seed, o, path, sizeof path);
        if (ref_cache_read(path, ref[o], task_tensor_numel(t, wl, &t->def.outputs[o]))) cached = 0;
    }
    if (cached) return 0;
    reference_fn fn = reference_find(t->reference);
    if (!fn) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "task %s: no host reference called '%s'", t->def.name,
                t->reference);
        return -1;
    }
    void **in = calloc((size_t)ni + 1, sizeof *in);
    if (!in) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory");
        return -1;
    }
    for (int i = 0; i < ni; i++) {
        const task_tensor *x = &t->def.inputs[i];
        if (i < wl->ninputs && wl->inputs[i].kind == GEN_ABSENT) continue;
        size_t bytes = 0;
        if (task_tensor_bytes(t, wl, x, &bytes)) {
            free_host(in, ni, NULL, 0);
            cw_fail(e, EVO_STATUS_RUNTIME_ERROR,
                    "workload %s: input '%s' cannot be sized (an axis unknown, or above %lld "
                    "bytes)",
                    wl->label, x->name, (long long)TASK_MAX_TENSOR_BYTES);
            return -1;
        }
        if (!(in[i] = malloc(bytes ? bytes : 1))) {
            free_host(in, ni, NULL, 0);
            cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory for input '%s'",
                    x->name);
            return -1;
        }
    }
    char err[512] = "";
    int rc = gate_make_inputs(t, wl, seed, in, err, sizeof err);
    if (rc == 0) rc = task_reference_run(t, wl, fn, (const void *const *)in, ref, err, sizeof err);
    free_host(in, ni, NULL, 0);
    if (rc != 0) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "workload %s: reference failed: %s", wl->label, err);
        return -1;
    }
    for (int o = 0; w->cache_dir[0] && !w->fresh_pool && o < no; o++) {
        char path[1200];
        ref_cache_path(w, wi, seed, o, path, sizeof path);
        ref_cache_write(w->cache_dir, path, ref[o], task_tensor_numel(t, wl, &t->def.outputs[o]));
    }
    return 0;
}

static int upload_set(worker *w, int wi, hw_set *s, cw_error *e)
{
    const evo_task *t = w->task;
    const task_workload *wl = &t->workloads[wi];
    int no = t->def.noutputs;
    s->dref = calloc((size_t)no + 1, sizeof *s->dref);
    s->digest = calloc((size_t)no + 1, sizeof *s->digest);
    float **ref = calloc((size_t)no + 1, sizeof *ref);
    if (!s->dref || !s->digest || !ref) {
        free(ref);
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory");
        return -1;
    }
    for (int o = 0; o < no; o++) {
        /* The reference is float32 whatever the output's dtype: sized as such, checked. */
        int64_t n = task_tensor_numel(t, wl, &t->def.outputs[o]);
        if (n < 0 || n > TASK_MAX_TENSOR_BYTES / (int64_t)sizeof(float)) {
            free_host(NULL, 0, ref, no);
            cw_fail(e, EVO_STATUS_RUNTIME_ERROR,
                    "workload %s: output '%s' cannot be sized (an axis unknown, or its float32 "
                    "reference above %lld bytes)",
                    wl->label, t->def.outputs[o].name, (long long)TASK_MAX_TENSOR_BYTES);
            return -1;
        }
        if (!(ref[o] = malloc((size_t)(n > 0 ? n : 1) * sizeof(float)))) {
            free_host(NULL, 0, ref, no);
            cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory for the reference");
            return -1;
        }
    }
    hw_busy(w, 1);
    int rc = host_reference(w, wi, s->seed, ref, e);
    hw_busy(w, 0);
    for (int o = 0; rc == 0 && o < no; o++) {
        int64_t n = task_tensor_numel(t, wl, &t->def.outputs[o]);
        size_t bytes = (size_t)(n > 0 ? n : 1) * sizeof(float);
        if (cw_cuda_check(e, cudaMalloc((void **)&s->dref[o], bytes),
                          "device copy of the reference") ||
            cw_cuda_check(
                e,
                cudaMemcpy(s->dref[o], ref[o], (size_t)n * sizeof(float), cudaMemcpyHostToDevice),
                "device copy of the reference") ||
            hw_digest(w, s->dref[o], n, &s->digest[o], e))
            rc = -1;
    }
    free_host(NULL, 0, ref, no);
    return rc;
}

static void free_set(const evo_task *t, hw_set *s)
{
    for (int o = 0; s->dref && o < t->def.noutputs; o++)
        if (s->dref[o]) cudaFree(s->dref[o]);
    free(s->dref);
    free(s->digest);
    s->dref = NULL;
    s->digest = NULL;
}

void hw_pool_drop(worker *w, int wi)
{
    hw_workload *l = &w->wl[wi];
    for (int k = 0; l->sets && k < w->pool; k++)
        free_set(w->task, &l->sets[k]);
    l->ready = 0;
}

int hw_pool_prepare(worker *w, int wi, cw_error *e)
{
    hw_workload *l = &w->wl[wi];
    if (l->ready) return 0;
    uint64_t *seeds = calloc((size_t)w->pool, sizeof *seeds);
    if (!l->sets) l->sets = calloc((size_t)w->pool, sizeof *l->sets);
    if (!seeds || !l->sets) {
        free(seeds);
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory");
        return -1;
    }
    pool_seeds(w, wi, seeds, w->pool);
    for (int k = 0; k < w->pool; k++) {
        hw_tick(w, "references");
        if (l->sets[k].dref) continue;
        l->sets[k].seed = seeds[k];
        if (upload_set(w, wi, &l->sets[k], e)) {
            free_set(w->task, &l->sets[k]);
            free(seeds);
            return -1;
        }
    }
    free(seeds);
    l->ready = 1;
    return 0;
}

void hw_pool_free(worker *w)
{
    if (!w->wl) return;
    for (int wi = 0; wi < w->task->nworkloads; wi++) {
        hw_workload *l = &w->wl[wi];
        for (int k = 0; l->sets && k < w->pool; k++)
            free_set(w->task, &l->sets[k]);
        free(l->sets);
    }
    free(w->wl);
    w->wl = NULL;
}
