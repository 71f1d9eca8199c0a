/* cuda_check.c -- the gate's two big comparisons done on the device: a candidate's output
 * against the reference (FlashInfer-Bench's element test, in double like gate_compare) and a
 * candidate's input buffers against pristine device copies (an in-place edit is a guard
 * violation). Reading hundreds of MB back per check kept the GPU idle most of the time;
 * here only a few counters come back. The kernels are compiled with NVRTC when the worker
 * starts; if that fails, or for dtypes they do not cover, the gate uses the host path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_worker.h"
#include "gate.h"
#include "nvrtc.h"
#include "reference.h"

static const char *CHECK_SOURCE =
    "#include <cuda_fp16.h>\n"
    "#include <cuda_bf16.h>\n"
    "struct Stats { unsigned long long mismatched, nonfinite, first_bad, diff;\n"
    "               double max_abs, max_rel; };\n"
    "__device__ double evo_atomic_max(double *a, double v) {\n"
    "  unsigned long long *p = (unsigned long long *)a, old = *p, got;\n"
    "  while (__longlong_as_double(old) < v) {\n"
    "    got = atomicCAS(p, old, __double_as_longlong(v));\n"
    "    if (got == old) break;\n"
    "    old = got;\n"
    "  }\n"
    "  return __longlong_as_double(old);\n"
    "}\n"
    "__device__ float ld(const float *p, long long i) { return p[i]; }\n"
    "__device__ float ld(const __half *p, long long i) { return __half2float(p[i]); }\n"
    "__device__ float ld(const __nv_bfloat16 *p, long long i) { return __bfloat162float(p[i]); }\n"
    "template <typename T>\n"
    "__device__ void cmp(const T *got, const float *want, long long n, double atol, double rtol,\n"
    "                    Stats *st) {\n"
    "  unsigned long long bad = 0, nonfinite = 0, first = ~0ull;\n"
    "  double mabs = 0, mrel = 0;\n"
    "  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;\n"
    "       i += (long long)gridDim.x * blockDim.x) {\n"
    "    double g = ld(got, i), y = want[i];\n"
    "    int b;\n"
    "    if (!isfinite(g)) { nonfinite++; b = 1; }\n"
    "    else if (!isfinite(y)) b = 1;\n"
    "    else {\n"
    "      double ae = fabs(g - y), re = ae / (fabs(y) + 1e-8);\n"
    "      mabs = fmax(mabs, ae); mrel = fmax(mrel, re);\n"
    "      b = ae > atol && re > rtol;\n"
    "    }\n"
    "    if (b) { bad++; if ((unsigned long long)i < first) first = i; }\n"
    "  }\n"
    "  for (int o = 16; o > 0; o /= 2) {\n"
    "    bad += __shfl_down_sync(0xffffffffu, bad, o);\n"
    "    nonfinite += __shfl_down_sync(0xffffffffu, nonfinite, o);\n"
    "    unsigned long long f = __shfl_down_sync(0xffffffffu, first, o); first = f < first ? f : first;\n"
    "    mabs = fmax(mabs, __shfl_down_sync(0xffffffffu, mabs, o));\n"
    "    mrel = fmax(mrel, __shfl_down_sync(0xffffffffu, mrel, o));\n"
    "  }\n"
    "  if ((threadIdx.x & 31) == 0) {\n"
    "    if (bad) atomicAdd(&st->mismatched, bad);\n"
    "    if (nonfinite) atomicAdd(&st->nonfinite, nonfinite);\n"
    "    if (first != ~0ull) atomicMin(&st->first_bad, first);\n"
    "    evo_atomic_max(&st->max_abs, mabs);\n"
    "    evo_atomic_max(&st->max_rel, mrel);\n"
    "  }\n"
    "}\n"
    "extern \"C\" __global__ void evo_cmp_f32(const float *g, const float *w, long long n,\n"
    "    double atol, double rtol, Stats *st) { cmp(g, w, n, atol, rtol, st); }\n"
    "extern \"C\" __global__ void evo_cmp_f16(const __half *g, const float *w, long long n,\n"
    "    double atol, double rtol, Stats *st) { cmp(g, w, n, atol, rtol, st); }\n"
    "extern \"C\" __global__ void evo_cmp_bf16(const __nv_bfloat16 *g, const float *w, long long n,\n"
    "    double atol, double rtol, Stats *st) { cmp(g, w, n, atol, rtol, st); }\n"
    "extern \"C\" __global__ void evo_diff(const unsigned char *a, const unsigned char *b,\n"
    "                                      long long n, Stats *st) {\n"
    "  unsigned long long d = 0;\n"
    "  long long n16 = n / 16;\n"
    "  const uint4 *a4 = (const uint4 *)a, *b4 = (const uint4 *)b;\n"
    "  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n16;\n"
    "       i += (long long)gridDim.x * blockDim.x) {\n"
    "    uint4 x = a4[i], y = b4[i];\n"
    "    d += (x.x != y.x) | (x.y != y.y) | (x.z != y.z) | (x.w != y.w);\n"
    "  }\n"
    "  if (blockIdx.x == 0 && threadIdx.x == 0)\n"
    "    for (long long i = n16 * 16; i < n; i++) d += a[i] != b[i];\n"
    "  if (d) atomicAdd(&st->diff, d);\n"
    "}\n";

typedef struct cw_stats {
    unsigned long long mismatched, nonfinite, first_bad, diff;
    double max_abs, max_rel;
} cw_stats;

void cw_check_init(worker *w)
{
    w->dcheck = 0;
    char arch[16];
    snprintf(arch, sizeof arch, "%s", arch_for_device(w->cc_major, w->cc_minor));
    nvrtc_output out;
    memset(&out, 0, sizeof out);
    const char *opts[] = {"-std=c++17"};
    if (nvrtc_compile(CHECK_SOURCE, "evo_check.cu", arch, opts, 1, w->cache_dir[0] ? w->cache_dir : NULL, 0,
                      &out) != EVO_OK) {
        fprintf(stderr, "evo-worker: device checks unavailable, checking on the host: %s\n",
                out.log ? out.log : "");
        nvrtc_output_free(&out);
        return;
    }
    cudaError_t rc = cudaLibraryLoadData(&w->check_lib, out.cubin, NULL, NULL, 0, NULL, NULL, 0);
    nvrtc_output_free(&out);
    static const char *const names[] = {"evo_cmp_f32", "evo_cmp_f16", "evo_cmp_bf16", "evo_diff"};
    for (int i = 0; rc == cudaSuccess && i < 4; i++)
        rc = cudaLibraryGetKernel(&w->check_kernels[i], w->check_lib, names[i]);
    if (rc == cudaSuccess) rc = cudaMalloc(&w->dstats, sizeof(cw_stats));
    if (rc == cudaSuccess) rc = cudaMallocHost(&w->hstats, sizeof(cw_stats));
    if (rc != cudaSuccess) {
        fprintf(stderr, "evo-worker: device checks unavailable: %s\n", cudaGetErrorString(rc));
        return;
    }
    w->dcheck = 1;
}

void cw_check_free(worker *w)
{
    if (w->dstats) cudaFree(w->dstats);
    if (w->hstats) cudaFreeHost(w->hstats);
    if (w->check_lib) cudaLibraryUnload(w->check_lib);
    w->dstats = w->hstats = NULL;
    w->check_lib = NULL;
    w->dcheck = 0;
}

static int kernel_for(evo_dtype dt)
{
    return dt == DT_FLOAT32 ? 0 : dt == DT_FLOAT16 ? 1 : dt == DT_BFLOAT16 ? 2 : -1;
}

int cw_check_covers(const worker *w, evo_dtype dt) { return w->dcheck && kernel_for(dt) >= 0; }

static int run_check(worker *w, int k, void **args, long long n, cw_error *e)
{
    cw_stats init;
    memset(&init, 0, sizeof init);
    init.first_bad = ~0ull;
    long long blocks = (n + 1023) / 1024;
    if (blocks > (long long)w->sms * 8) blocks = (long long)w->sms * 8;
    if (blocks < 1) blocks = 1;
    dim3 grid = {(unsigned)blocks, 1, 1}, block = {256, 1, 1};
    if (cw_cuda_check(e, cudaMemcpyAsync(w->dstats, &init, sizeof init, cudaMemcpyHostToDevice, w->stream),
                      "device check") ||
        cw_cuda_check(e, cudaLaunchKernel((const void *)w->check_kernels[k], grid, block, args, 0, w->stream),
                      "device check") ||
        cw_cuda_check(e, cudaMemcpyAsync(w->hstats, w->dstats, sizeof init, cudaMemcpyDeviceToHost, w->stream),
                      "device check") ||
        cw_cuda_check(e, cudaStreamSynchronize(w->stream), "device check"))
        return -1;
    return 0;
}

/* Device copies of a set's inputs and references, made once. */
static int set_device_copies(worker *w, cw_set *s, int wi, cw_error *e)
{
    const evo_task *t = w->task;
    if (!s->pristine) s->pristine = calloc((size_t)t->def.ninputs + 1, sizeof *s->pristine);
    if (!s->dref) s->dref = calloc((size_t)t->def.noutputs + 1, sizeof *s->dref);
    if (!s->pristine || !s->dref) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory");
        return -1;
    }
    for (int i = 0; i < t->def.ninputs; i++) {
        if (!s->host[i] || s->pristine[i]) continue;
        if (cw_cuda_check(e, cudaMalloc(&s->pristine[i], s->bytes[i] ? s->bytes[i] : 1), "device copy of inputs") ||
            cw_cuda_check(e, cudaMemcpy(s->pristine[i], s->host[i], s->bytes[i], cudaMemcpyHostToDevice),
                          "device copy of inputs"))
            return -1;
    }
    for (int o = 0; o < t->def.noutputs; o++) {
        if (s->dref[o] || !s->ref[o]) continue;
        size_t bytes = (size_t)task_tensor_numel(t, &t->workloads[wi], &t->def.outputs[o]) * sizeof(float);
        if (cw_cuda_check(e, cudaMalloc((void **)&s->dref[o], bytes ? bytes : 4), "device copy of the reference") ||
            cw_cuda_check(e, cudaMemcpy(s->dref[o], s->ref[o], bytes, cudaMemcpyHostToDevice),
                          "device copy of the reference"))
            return -1;
    }
    return 0;
}

int cw_check_input_device(worker *w, const cw_buffer *b, cw_set *content, int wi, int i, int *same,
                          cw_error *e)
{
    if (set_device_copies(w, content, wi, e)) return -1;
    const void *a = b->data, *p = content->pristine[i];
    long long n = (long long)b->bytes;
    void *args[] = {&a, &p, &n, &w->dstats};
    if (run_check(w, 3, args, n / 16 + 1, e)) return -1;
    *same = ((cw_stats *)w->hstats)->diff == 0;
    return 0;
}

int cw_check_output_device(worker *w, const cw_buffer *b, evo_dtype dt, cw_set *content, int wi, int o,
                           int64_t n, double atol, double rtol, gate_stats *st, cw_error *e)
{
    if (set_device_copies(w, content, wi, e)) return -1;
    const void *g = b->data;
    const float *want = content->dref[o];
    long long nn = (long long)n;
    void *args[] = {&g, &want, &nn, &atol, &rtol, &w->dstats};
    if (run_check(w, kernel_for(dt), args, nn, e)) return -1;
    const cw_stats *r = w->hstats;
    st->n = n;
    st->mismatched = (int64_t)r->mismatched;
    st->nonfinite = (int64_t)r->nonfinite;
    st->max_abs = r->max_abs;
    st->max_rel = r->max_rel;
    st->first_bad = r->first_bad == ~0ull ? -1 : (int64_t)r->first_bad;
    if (st->first_bad >= 0) {
        /* Two elements back for the message. */
        unsigned char raw[8] = {0};
        int size = dtype_size(dt);
        if (cw_cuda_check(e, cudaMemcpy(raw, (const unsigned char *)g + st->first_bad * size, (size_t)size,
                                        cudaMemcpyDeviceToHost),
                          "device check") ||
            cw_cuda_check(e, cudaMemcpy(&st->first_want, want + st->first_bad, sizeof(float), cudaMemcpyDeviceToHost),
                          "device check"))
            return -1;
        st->first_got = dtype_load_float(dt, raw, 0);
    }
    st->matched_ratio = n ? (double)(n - st->mismatched) / (double)n : 1.0;
    return 0;
}
