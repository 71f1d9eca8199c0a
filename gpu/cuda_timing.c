/* cuda_timing.c -- honest timing, the same for candidates and baselines: warm-up runs, then
 * timed runs each preceded by an L2 flush (a memset of twice the L2 on the same stream,
 * outside the timed region), rotating among input sets so the inputs are not cache
 * resident; events bracket all of the plan's launches on the one stream, and the device is
 * synchronised after the last event so no work escapes. The figure is the median. Also the
 * copy-bandwidth ceiling (a large device-to-device copy, bytes read plus written). */
#include <stdlib.h>
#include <string.h>

#include "cuda_worker.h"

int cw_timing_init(worker *w, cw_error *e) {
    w->flush_bytes = (size_t)(w->l2_bytes > 0 ? w->l2_bytes : 50 << 20) * 2;
    if (cw_cuda_check(e, cudaMalloc(&w->flush, w->flush_bytes), "allocating the L2 flush buffer"))
        return -1;
    int n = w->iterations > 0 ? w->iterations : 1;
    w->ev_start = calloc((size_t)n, sizeof *w->ev_start);
    w->ev_end = calloc((size_t)n, sizeof *w->ev_end);
    if (!w->ev_start || !w->ev_end) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (cw_cuda_check(e, cudaEventCreate(&w->ev_start[i]), "creating events") ||
            cw_cuda_check(e, cudaEventCreate(&w->ev_end[i]), "creating events"))
            return -1;
    }
    return 0;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int cw_time(worker *w, cw_run_fn run, void *user, int nsets, double *median_us, cw_error *e) {
    *median_us = 0;
    if (nsets < 1) nsets = 1;
    for (int i = 0; i < w->warmup; i++)
        if (run(w, user, i % nsets, e)) return -1;
    if (cw_cuda_check(e, cudaDeviceSynchronize(), "warm-up runs")) return -1;
    cw_tick(w, "timing");
    int n = w->iterations;
    for (int i = 0; i < n; i++) {
        if (cw_cuda_check(e, cudaMemsetAsync(w->flush, 0, w->flush_bytes, w->stream),
                          "flushing L2"))
            return -1;
        if (cw_cuda_check(e, cudaEventRecord(w->ev_start[i], w->stream), "recording events"))
            return -1;
        if (run(w, user, i % nsets, e)) return -1;
        if (cw_cuda_check(e, cudaEventRecord(w->ev_end[i], w->stream), "recording events"))
            return -1;
    }
    if (cw_cuda_check(e, cudaDeviceSynchronize(), "timed runs")) return -1;
    float *ms = malloc((size_t)n * sizeof *ms);
    if (!ms) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (cw_cuda_check(e, cudaEventElapsedTime(&ms[i], w->ev_start[i], w->ev_end[i]),
                          "reading events")) {
            free(ms);
            return -1;
        }
    }
    qsort(ms, (size_t)n, sizeof *ms, cmp_float);
    double med = n % 2 ? ms[n / 2] : 0.5 * ((double)ms[n / 2 - 1] + ms[n / 2]);
    free(ms);
    *median_us = med * 1e3;
    cw_tick(w, "timed");
    return 0;
}

typedef struct copy_job {
    void *dst, *src;
    size_t bytes;
} copy_job;

static int run_copy(worker *w, void *user, int set, cw_error *e) {
    (void)set;
    copy_job *j = user;
    return cw_cuda_check(e, cudaMemcpyAsync(j->dst, j->src, j->bytes, cudaMemcpyDeviceToDevice,
                                            w->stream),
                         "copying");
}

int cw_measure_copy_gbps(worker *w, double *gbps, cw_error *e) {
    copy_job j = {NULL, NULL, (size_t)256 << 20};
    *gbps = 0;
    if ((int64_t)j.bytes * 4 > w->mem_bytes) j.bytes = (size_t)(w->mem_bytes / 8);
    int rc = -1;
    if (cw_cuda_check(e, cudaMalloc(&j.src, j.bytes), "allocating the copy benchmark") ||
        cw_cuda_check(e, cudaMalloc(&j.dst, j.bytes), "allocating the copy benchmark") ||
        cw_cuda_check(e, cudaMemset(j.src, 1, j.bytes), "filling the copy benchmark"))
        goto out;
    double us = 0;
    if (cw_time(w, run_copy, &j, 1, &us, e)) goto out;
    if (us > 0) *gbps = 2.0 * (double)j.bytes / (us * 1e-6) / 1e9;
    rc = 0;
out:
    if (j.src) cudaFree(j.src);
    if (j.dst) cudaFree(j.dst);
    return rc;
}
