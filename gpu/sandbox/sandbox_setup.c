/* sandbox_setup.c -- starting the sandbox: the device and its facts, the task (host side
 * only: shapes, fixed inputs, the baseline's source), the persisting-L2 limit at 0, the L2
 * flush buffer, the harness kernels, the input region and the ring of output slots (sized
 * for the task's largest workload, exported to evo-worker by CUDA IPC), the events, and the
 * measured ceilings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "sandbox.h"

static json_t *load_task(sandbox *s, json_t *req)
{
    char err[2048] = "";
    const char *dir = ipc_str(req, "task_dir"), *root = ipc_str(req, "dataset");
    const char *def = ipc_str(req, "definition");
    if (task_open(dir, root, def, json_is_true(json_object_get(req, "blob_fallback")), &s->task,
                  err, sizeof err) != 0)
        return ipc_refusal("init: cannot load the task: %s", err);
    s->wl = calloc((size_t)s->task->nworkloads + 1, sizeof *s->wl);
    return s->wl ? NULL : ipc_refusal("init: out of memory");
}

static json_t *open_device(sandbox *s)
{
    int count = 0;
    cudaError_t rc = cudaGetDeviceCount(&count);
    if (rc != cudaSuccess) {
        char why[512];
        cw_no_device(rc, why, sizeof why);
        return ipc_refusal("no CUDA device found: %s", why);
    }
    if (count == 0) return ipc_refusal("no CUDA device found: %s", "no devices");
    if (s->device < 0 || s->device >= count)
        return ipc_refusal("device %d is not present (this machine has %d)", s->device, count);
    struct cudaDeviceProp p;
    if ((rc = cudaSetDevice(s->device)) != cudaSuccess ||
        (rc = cudaGetDeviceProperties(&p, s->device)) != cudaSuccess ||
        (rc = cudaStreamCreate(&s->stream)) != cudaSuccess)
        return ipc_refusal("no CUDA device found: %s: %s", cudaGetErrorName(rc),
                           cudaGetErrorString(rc));
    snprintf(s->name, sizeof s->name, "%s", p.name);
    s->cc_major = p.major;
    s->cc_minor = p.minor;
    s->sms = p.multiProcessorCount;
    s->l2_bytes = p.l2CacheSize;
    s->smem_optin = (int64_t)p.sharedMemPerBlockOptin;
    s->mem_bytes = (int64_t)p.totalGlobalMem;
    return NULL;
}

static json_t *device_facts(const sandbox *s)
{
    char cc[16];
    snprintf(cc, sizeof cc, "%d.%d", s->cc_major, s->cc_minor);
    return json_pack("{s:s,s:s,s:i,s:I,s:I,s:I}", "name", s->name, "cc", cc, "sms", s->sms,
                     "l2_bytes", (json_int_t)s->l2_bytes, "smem_optin", (json_int_t)s->smem_optin,
                     "mem_bytes", (json_int_t)s->mem_bytes);
}

/* The ring and the input region, sized for the largest workload of the task. */
static int allocate_ring(sandbox *s, cw_error *e)
{
    size_t stride = 256, region = 256;
    int widest = 0;
    char err[512];
    for (int wi = 0; wi < s->task->nworkloads; wi++) {
        size_t sl = 0, rg = 0;
        if (sb_workload_layout(s->task, wi, &sl, &rg, err, sizeof err)) {
            cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "%s", err);
            return -1;
        }
        if (sl > stride) {
            stride = sl;
            widest = wi;
        }
        if (rg > region) region = rg;
    }
    size_t free_b = 0, total = 0;
    if (cw_cuda_check(e, cudaMemGetInfo(&free_b, &total), "reading free device memory")) return -1;
    double need = (double)s->max_runs * (double)stride + (double)region;
    if (need > 0.8 * (double)free_b) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR,
                "workload %s: the outputs of %d runs (one slot each) need %.1f GiB and the device "
                "has %.1f GiB free; lower evaluator.iterations or evaluator.warmup",
                s->task->workloads[widest].label, s->max_runs, need / (1 << 30),
                (double)free_b / (1 << 30));
        return -1;
    }
    s->stride = stride;
    s->ring_bytes = (size_t)s->max_runs * stride;
    s->region_bytes = region;
    void *ring = NULL, *reg = NULL;
    if (cw_cuda_check(e, cudaMalloc(&ring, s->ring_bytes), "allocating the output ring") ||
        cw_cuda_check(e, cudaMalloc(&reg, s->region_bytes), "allocating the input region"))
        return -1;
    s->ring = ring;
    s->region = reg;
    return 0;
}

static int allocate_runs(sandbox *s, cw_error *e)
{
    int n = s->max_runs;
    s->ev_start = calloc((size_t)n, sizeof *s->ev_start);
    s->ev_end = calloc((size_t)n, sizeof *s->ev_end);
    if (!s->ev_start || !s->ev_end) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "sandbox out of host memory");
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (cw_cuda_check(e, cudaEventCreate(&s->ev_start[i]), "creating events") ||
            cw_cuda_check(e, cudaEventCreate(&s->ev_end[i]), "creating events"))
            return -1;
    void *fail = NULL, *res = NULL, *hres = NULL;
    if (cw_cuda_check(e, cudaMalloc(&fail, (size_t)n * sizeof(sb_fail)),
                      "allocating run records") ||
        cw_cuda_check(e, cudaMalloc(&res, (size_t)n * sizeof(uint64_t)),
                      "allocating run records") ||
        cw_cuda_check(e, cudaMallocHost(&hres, (size_t)n * sizeof(uint64_t)),
                      "allocating run records"))
        return -1;
    s->dfail = fail;
    s->dres = res;
    s->hres = hres;
    return 0;
}

static json_t *ring_facts(const sandbox *s, cw_error *e)
{
    cudaIpcMemHandle_t h;
    if (cw_cuda_check(e, cudaIpcGetMemHandle(&h, s->ring), "exporting the output ring"))
        return NULL;
    char hex[2 * sizeof h + 1];
    for (size_t i = 0; i < sizeof h; i++)
        snprintf(hex + 2 * i, 3, "%02x", ((unsigned char *)&h)[i]);
    return json_pack("{s:s,s:I,s:I,s:i}", "handle", hex, "bytes", (json_int_t)s->ring_bytes,
                     "stride", (json_int_t)s->stride, "runs", s->max_runs);
}

json_t *sb_init(sandbox *s, json_t *req)
{
    if (s->task) return ipc_refusal("init: the sandbox is already initialised");
    s->device = ipc_int(req, "device", 0);
    s->max_runs = ipc_int(req, "max_runs", 80);
    if (s->max_runs < 2) s->max_runs = 2;
    const char *cache = ipc_str(req, "cache_dir");
    snprintf(s->cache_dir, sizeof s->cache_dir, "%s", cache ? cache : "");
    json_t *bad = open_device(s);
    if (!bad) bad = load_task(s, req);
    if (bad) return bad;
    cw_error e = {.status = EVO_STATUS_PASSED};
    s->flush_bytes = (size_t)(s->l2_bytes > 0 ? s->l2_bytes : 50 << 20) * 2;
    if (cw_cuda_check(&e, cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, 0),
                      "clearing the L2 limit") ||
        cw_cuda_check(&e, cudaMalloc(&s->flush, s->flush_bytes),
                      "allocating the L2 flush buffer") ||
        sb_kernels_load(s, &e) || allocate_ring(s, &e) || allocate_runs(s, &e) ||
        cw_baseline_init(s, &e))
        return ipc_refusal("init: %s", e.msg);
    s->ceiling_gbps = json_number_value(json_object_get(req, "ceiling_gbps"));
    s->ceiling_tflops = json_number_value(json_object_get(req, "ceiling_tflops"));
    if (json_is_true(json_object_get(req, "ceilings")) &&
        (cw_measure_copy_gbps(s, &s->ceiling_gbps, &e) ||
         cw_measure_matrix_tflops(s, &s->ceiling_tflops, &e)))
        return ipc_refusal("init: measuring ceilings: %s", e.msg);
    json_t *ring = ring_facts(s, &e);
    if (!ring) return ipc_refusal("init: %s", e.msg);
    return json_pack("{s:b,s:o,s:f,s:f,s:o}", "ok", 1, "device", device_facts(s), "ceiling_gbps",
                     s->ceiling_gbps, "ceiling_tflops", s->ceiling_tflops, "ring", ring);
}

void sb_free(sandbox *s)
{
    for (int i = 0; i < SB_PROGRAMS; i++)
        cw_program_free(s->prog[i]);
    cw_baseline_free(s);
    sb_workloads_free(s);
    sb_kernels_free(s);
    if (s->flush) cudaFree(s->flush);
    if (s->ring) cudaFree(s->ring);
    if (s->region) cudaFree(s->region);
    if (s->dfail) cudaFree(s->dfail);
    if (s->dres) cudaFree(s->dres);
    if (s->hres) cudaFreeHost(s->hres);
    if (s->staging) cudaFreeHost(s->staging);
    for (int i = 0; s->ev_start && i < s->max_runs; i++) {
        if (s->ev_start[i]) cudaEventDestroy(s->ev_start[i]);
        if (s->ev_end[i]) cudaEventDestroy(s->ev_end[i]);
    }
    free(s->ev_start);
    free(s->ev_end);
    if (s->task) task_free(s->task);
}
