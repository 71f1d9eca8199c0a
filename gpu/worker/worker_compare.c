/* worker_compare.c -- outputs against references, in the harness's own context: the
 * candidate's output lies in a slot of the sandbox's ring (mapped here by CUDA IPC), the
 * reference in this process's memory. FlashInfer-Bench's element test (an element fails only
 * if |x - y| > atol and |x - y| / (|y| + 1e-8) > rtol; NaN or Inf fails), in double, with only
 * counters coming back. The same pass re-takes the reference's keyed digest: a reference that
 * changed since upload is the harness's fault, reported as such and rebuilt. Where the task
 * checks rows (a loose matched ratio must not hide whole tokens left out), a second kernel
 * measures each row's matched fraction and relative L2 error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness_text.h"
#include "nvrtc.h"
#include "reference.h"
#include "worker.h"

typedef struct hw_stats {
    unsigned long long mismatched, nonfinite, first_bad, digest;
    double max_abs, max_rel;
} hw_stats;

static const char *const NAMES[] = {"evo_cmp_f32",  "evo_cmp_f16",  "evo_cmp_bf16",
                                    "evo_rows_f32", "evo_rows_f16", "evo_rows_bf16"};

static int kernel_for(evo_dtype dt)
{
    return dt == DT_FLOAT32 ? 0 : dt == DT_FLOAT16 ? 1 : dt == DT_BFLOAT16 ? 2 : -1;
}

int hw_compare_init(worker *w, cw_error *e)
{
    int major = 9, minor = 0;
    if (cw_cuda_check(e,
                      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, w->device),
                      "device") ||
        cw_cuda_check(e,
                      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, w->device),
                      "device"))
        return -1;
    const char *opts[] = {"-std=c++17"};
    nvrtc_output o;
    int rc =
        nvrtc_compile(evo_compare_kernels_text, "evo_compare.cu", arch_for_device(major, minor),
                      opts, 1, w->cache_dir[0] ? w->cache_dir : NULL, 0, &o);
    if (rc != EVO_OK) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "the comparison kernels do not compile: %s",
                o.log ? o.log : "");
        nvrtc_output_free(&o);
        return -1;
    }
    cudaError_t c = cudaLibraryLoadData(&w->clib, o.cubin, NULL, NULL, 0, NULL, NULL, 0);
    nvrtc_output_free(&o);
    if (cw_cuda_check(e, c, "loading the comparison kernels")) return -1;
    for (int i = 0; i < 6; i++) {
        cudaKernel_t k;
        if (cw_cuda_check(e, cudaLibraryGetKernel(&k, w->clib, NAMES[i]), NAMES[i])) return -1;
        if (i < 3)
            w->cmp_kernel[i] = k;
        else
            w->row_kernel[i - 3] = k;
    }
    if (cw_cuda_check(e, cudaMalloc(&w->dstats, sizeof(hw_stats)), "comparison counters") ||
        cw_cuda_check(e, cudaMallocHost(&w->hstats, sizeof(hw_stats)), "comparison counters"))
        return -1;
    return 0;
}

void hw_compare_free(worker *w)
{
    if (w->dstats) cudaFree(w->dstats);
    if (w->hstats) cudaFreeHost(w->hstats);
    if (w->clib) cudaLibraryUnload(w->clib);
    if (w->row_buf) cudaFree(w->row_buf);
    w->row_buf = NULL;
    w->row_cap = 0;
    w->dstats = w->hstats = NULL;
    w->clib = NULL;
}

/* One pass of a cmp kernel (got NULL: digest only); counters into *out. */
static int run_cmp(worker *w, evo_dtype dt, const void *got, const float *want, int64_t n,
                   hw_stats *out, cw_error *e)
{
    hw_stats init;
    memset(&init, 0, sizeof init);
    init.first_bad = ~0ull;
    int k = kernel_for(dt);
    if (k < 0) k = 0; /* digest-only passes read no output */
    long long nn = (long long)n;
    double atol = w->task->atol, rtol = w->task->rtol;
    unsigned long long key = w->digest_key;
    void *args[] = {(void *)&got, (void *)&want, &nn, &atol, &rtol, &key, &w->dstats};
    long long blocks = (n + 1023) / 1024;
    if (blocks > 132 * 8) blocks = 132 * 8;
    if (blocks < 1) blocks = 1;
    dim3 grid = {(unsigned)blocks, 1, 1}, block = {256, 1, 1};
    if (cw_cuda_check(
            e, cudaMemcpyAsync(w->dstats, &init, sizeof init, cudaMemcpyHostToDevice, w->stream),
            "comparing") ||
        cw_cuda_check(
            e, cudaLaunchKernel((const void *)w->cmp_kernel[k], grid, block, args, 0, w->stream),
            "comparing") ||
        cw_cuda_check(
            e,
            cudaMemcpyAsync(w->hstats, w->dstats, sizeof init, cudaMemcpyDeviceToHost, w->stream),
            "comparing") ||
        cw_cuda_check(e, cudaStreamSynchronize(w->stream), "comparing"))
        return -1;
    *out = *(hw_stats *)w->hstats;
    return 0;
}

int hw_digest(worker *w, const float *dref, int64_t n, uint64_t *out, cw_error *e)
{
    hw_stats st;
    if (run_cmp(w, DT_FLOAT32, NULL, dref, n, &st, e)) return -1;
    *out = st.digest;
    return 0;
}

/* Each row's matched fraction and relative L2 error; the worst of each. */
static int check_rows(worker *w, int wi, int o, const void *got, const float *want, int64_t n,
                      hw_figures *f, cw_error *e)
{
    const evo_task *t = w->task;
    const task_tensor *x = &t->def.outputs[o];
    const task_workload *wl = &t->workloads[wi];
    int64_t cols = 1;
    if (x->ndim < 1 || task_axis_value(t, wl, x->dims[x->ndim - 1], &cols) || cols < 1) return 0;
    long long nrows = (long long)(n / cols), nc = (long long)cols;
    if (nrows < 1) return 0;
    size_t need = (size_t)nrows * 2 * sizeof(float);
    if (need > w->row_cap) {
        if (w->row_buf) cudaFree(w->row_buf);
        w->row_buf = NULL;
        w->row_cap = 0;
        if (cw_cuda_check(e, cudaMalloc((void **)&w->row_buf, need), "row checks")) return -1;
        w->row_cap = need;
    }
    int k = kernel_for(x->dtype);
    double atol = t->atol, rtol = t->rtol;
    void *args[] = {(void *)&got, (void *)&want, &nrows, &nc, &atol, &rtol, &w->row_buf};
    long long blocks = nrows < 4096 ? nrows : 4096;
    dim3 grid = {(unsigned)blocks, 1, 1}, block = {256, 1, 1};
    float *host = malloc(need);
    if (!host) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory");
        return -1;
    }
    int rc = -1;
    if (cw_cuda_check(
            e, cudaLaunchKernel((const void *)w->row_kernel[k], grid, block, args, 0, w->stream),
            "row checks") ||
        cw_cuda_check(e, cudaMemcpyAsync(host, w->row_buf, need, cudaMemcpyDeviceToHost, w->stream),
                      "row checks") ||
        cw_cuda_check(e, cudaStreamSynchronize(w->stream), "row checks"))
        goto out;
    long long worst_r = 0, worst_e = 0;
    for (long long r = 1; r < nrows; r++) {
        if (host[2 * r] < host[2 * worst_r]) worst_r = r;
        if (host[2 * r + 1] > host[2 * worst_e + 1]) worst_e = r;
    }
    f->worst_row_ratio = host[2 * worst_r];
    if (host[2 * worst_e + 1] > f->worst_row_error) f->worst_row_error = host[2 * worst_e + 1];
    rc = 0;
    if (t->row_min_ratio > 0 && host[2 * worst_r] < t->row_min_ratio) {
        cw_fail(e, EVO_STATUS_INCORRECT_NUMERICAL,
                "workload %s: output '%s' row %lld matched %.4f of its %lld elements (each row "
                "must match "
                "%.4f): partial work inside the loose matched ratio",
                wl->label, x->name, worst_r, host[2 * worst_r], nc, t->row_min_ratio);
        rc = -1;
    } else if (t->row_max_error > 0 && host[2 * worst_e + 1] > t->row_max_error) {
        cw_fail(
            e, EVO_STATUS_INCORRECT_NUMERICAL,
            "workload %s: output '%s' row %lld has relative error %.4f (each row must stay within "
            "%.4f): partial work inside the loose matched ratio",
            wl->label, x->name, worst_e, host[2 * worst_e + 1], t->row_max_error);
        rc = -1;
    }
out:
    free(host);
    return rc;
}

int hw_compare(worker *w, int wi, int k, int slot, int o, size_t slot_off, hw_figures *f,
               cw_error *e)
{
    const evo_task *t = w->task;
    const task_workload *wl = &t->workloads[wi];
    const task_tensor *x = &t->def.outputs[o];
    hw_set *set = &w->wl[wi].sets[k];
    int64_t n = task_tensor_numel(t, wl, x);
    size_t bytes = 0;
    if (n < 0 || task_tensor_bytes(t, wl, x, &bytes) || slot_off + bytes > w->stride) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR,
                "workload %s: output '%s' cannot be sized or does not fit its ring slot", wl->label,
                x->name);
        return -1;
    }
    const unsigned char *got = w->ring + (size_t)slot * w->stride + slot_off;
    if (kernel_for(x->dtype) < 0) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "output '%s': dtype %s is not compared on the device",
                x->name, dtype_name(x->dtype));
        return -1;
    }
    hw_stats st;
    if (run_cmp(w, x->dtype, got, set->dref[o], n, &st, e)) return -1;
    if (st.digest != set->digest[o]) {
        cw_fail(e, EVO_STATUS_HARNESS_TAMPERED,
                "workload %s: the harness's reference of output '%s' changed after it was "
                "uploaded; it is "
                "rebuilt",
                wl->label, x->name);
        return -1;
    }
    if (st.max_abs > f->max_abs) f->max_abs = st.max_abs;
    if (st.max_rel > f->max_rel) f->max_rel = st.max_rel;
    gate_stats g;
    memset(&g, 0, sizeof g);
    g.n = n;
    g.mismatched = (int64_t)st.mismatched;
    g.nonfinite = (int64_t)st.nonfinite;
    g.max_abs = st.max_abs;
    g.max_rel = st.max_rel;
    g.required_ratio = t->required_ratio;
    g.first_bad = st.first_bad == ~0ull ? -1 : (int64_t)st.first_bad;
    g.matched_ratio = n ? (double)(n - g.mismatched) / (double)n : 1.0;
    if (g.nonfinite == 0 && g.matched_ratio >= t->required_ratio) {
        if (t->row_min_ratio <= 0 && t->row_max_error <= 0) return 0;
        return check_rows(w, wi, o, got, set->dref[o], n, f, e);
    }
    if (g.first_bad >= 0) {
        unsigned char raw[8] = {0};
        int size = dtype_size(x->dtype);
        if (cw_cuda_check(
                e, cudaMemcpy(raw, got + g.first_bad * size, (size_t)size, cudaMemcpyDeviceToHost),
                "comparing") ||
            cw_cuda_check(e,
                          cudaMemcpy(&g.first_want, set->dref[o] + g.first_bad, sizeof(float),
                                     cudaMemcpyDeviceToHost),
                          "comparing"))
            return -1;
        g.first_got = dtype_load_float(x->dtype, raw, 0);
    }
    char text[1024];
    gate_describe(x->name, &g, text, sizeof text);
    cw_fail(e, EVO_STATUS_INCORRECT_NUMERICAL, "workload %s: %s", wl->label, text);
    return -1;
}
