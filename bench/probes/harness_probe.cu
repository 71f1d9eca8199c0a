// harness_probe.cu -- facts the honest-fitness harness is designed on, read off the GPU machine:
//  1. whether kernels can read pageable host memory (HMM): then host memory of a process that runs
//     candidate kernels is reachable by address;
//  2. whether CUDA IPC works between two processes (the sandbox exports its output slots, the
//     harness process maps them and compares there), what an open costs, and what a kernel in the
//     importer reads;
//  3. whether L2 lines loaded with an evict_last policy survive the memset flush of twice the L2,
//     with the persisting-L2 limit at 0, and whether a reset or a discard pass removes them;
//  4. the %globaltimer tick.
// Build: nvcc -O2 -std=c++17 -arch=sm_90a bench/probes/harness_probe.cu -o build-dev/harness_probe
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CK(x)                                                                                      \
    do {                                                                                           \
        cudaError_t rc_ = (x);                                                                     \
        if (rc_ != cudaSuccess) {                                                                  \
            printf("  %s: %s (%s)\n", #x, cudaGetErrorName(rc_), cudaGetErrorString(rc_));         \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

__global__ void read_host(const volatile int *p, int *out)
{
    *out = p[0] + p[1];
}

static double now_ms()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int probe_hmm()
{
    int dev = 0, pageable = 0, hostpt = 0, managed = 0;
    CK(cudaDeviceGetAttribute(&pageable, cudaDevAttrPageableMemoryAccess, dev));
    CK(cudaDeviceGetAttribute(&hostpt, cudaDevAttrPageableMemoryAccessUsesHostPageTables, dev));
    CK(cudaDeviceGetAttribute(&managed, cudaDevAttrConcurrentManagedAccess, dev));
    printf("1. pageableMemoryAccess=%d usesHostPageTables=%d concurrentManaged=%d\n", pageable,
           hostpt, managed);
    if (!pageable) return 0;
    int *h = (int *)malloc(64), *d = NULL, got = 0;
    h[0] = 40;
    h[1] = 2;
    CK(cudaMalloc(&d, 4));
    read_host<<<1, 1>>>(h, d);
    cudaError_t rc = cudaDeviceSynchronize();
    if (rc == cudaSuccess) CK(cudaMemcpy(&got, d, 4, cudaMemcpyDeviceToHost));
    printf("   a kernel read malloc'd host memory: %s (got %d)\n", cudaGetErrorString(rc), got);
    free(h);
    return 0;
}

__global__ void sum_kernel(const int *p, size_t n, unsigned long long *out)
{
    unsigned long long s = 0;
    for (size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        s += p[i];
    atomicAdd(out, s);
}

// Child: allocates 64 MiB, fills it with i, exports the handle, waits for the parent to finish.
static int ipc_child(int wfd, int rfd)
{
    const size_t n = 16u << 20;
    int *d = NULL;
    CK(cudaMalloc(&d, n * 4));
    int *h = (int *)malloc(n * 4);
    for (size_t i = 0; i < n; i++)
        h[i] = (int)(i & 1023);
    CK(cudaMemcpy(d, h, n * 4, cudaMemcpyHostToDevice));
    cudaIpcMemHandle_t hd;
    CK(cudaIpcGetMemHandle(&hd, d));
    if (write(wfd, &hd, sizeof hd) != (ssize_t)sizeof hd) return 1;
    char c;
    if (read(rfd, &c, 1) != 1) return 1;
    return 0;
}

static int probe_ipc()
{
    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent)) return 1;
    pid_t pid = fork(); // before this process touches CUDA
    if (pid == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        _exit(ipc_child(to_parent[1], to_child[0]));
    }
    close(to_child[0]);
    close(to_parent[1]);
    cudaIpcMemHandle_t hd;
    if (read(to_parent[0], &hd, sizeof hd) != (ssize_t)sizeof hd) {
        printf("2. IPC: the child sent no handle\n");
        return 1;
    }
    void *p = NULL;
    double t0 = now_ms();
    cudaError_t rc = cudaIpcOpenMemHandle(&p, hd, cudaIpcMemLazyEnablePeerAccess);
    double t1 = now_ms();
    printf("2. cudaIpcOpenMemHandle: %s in %.2f ms\n", cudaGetErrorString(rc), t1 - t0);
    if (rc == cudaSuccess) {
        unsigned long long *d = NULL, got = 0, want = 0;
        const size_t n = 16u << 20;
        for (size_t i = 0; i < n; i++)
            want += i & 1023;
        CK(cudaMalloc(&d, 8));
        CK(cudaMemset(d, 0, 8));
        sum_kernel<<<264, 256>>>((const int *)p, n, d);
        CK(cudaDeviceSynchronize());
        CK(cudaMemcpy(&got, d, 8, cudaMemcpyDeviceToHost));
        cudaEvent_t a, b;
        CK(cudaEventCreate(&a));
        CK(cudaEventCreate(&b));
        CK(cudaEventRecord(a));
        for (int i = 0; i < 10; i++)
            sum_kernel<<<264, 256>>>((const int *)p, n, d);
        CK(cudaEventRecord(b));
        CK(cudaEventSynchronize(b));
        float ms = 0;
        CK(cudaEventElapsedTime(&ms, a, b));
        printf("   importer kernel read the exporter's 64 MiB: sum %s, %.0f GB/s\n",
               got == want ? "right" : "WRONG", 10 * 64.0 * 1.048576e6 / (ms * 1e-3) / 1e9);
        t0 = now_ms();
        rc = cudaIpcCloseMemHandle(p);
        printf("   close: %s in %.2f ms\n", cudaGetErrorString(rc), now_ms() - t0);
    }
    char c = 1;
    if (write(to_child[1], &c, 1) != 1) return 1;
    int st = 0;
    waitpid(pid, &st, 0);
    printf("   child exit %d\n", WEXITSTATUS(st));
    return 0;
}

__global__ void touch_evict_last(const float4 *p, size_t n, float *sink)
{
    uint64_t pol;
    asm volatile("createpolicy.fractional.L2::evict_last.b64 %0, 1.0;" : "=l"(pol));
    float s = 0;
    for (size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        float4 v;
        asm volatile("ld.global.L2::cache_hint.v4.f32 {%0,%1,%2,%3}, [%4], %5;"
                     : "=f"(v.x), "=f"(v.y), "=f"(v.z), "=f"(v.w)
                     : "l"(p + i), "l"(pol));
        s += v.x + v.y + v.z + v.w;
    }
    if (s == 12345.f) *sink = s;
}

__global__ void touch_normal(const float4 *p, size_t n, float *sink)
{
    float s = 0;
    for (size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        float4 v = p[i];
        s += v.x + v.y + v.z + v.w;
    }
    if (s == 12345.f) *sink = s;
}

// Demote and drop every line of the flush buffer: after it, the L2 holds no line of anything.
__global__ void flush_evict(float4 *p, size_t n)
{
    uint64_t pol;
    asm volatile("createpolicy.fractional.L2::evict_last.b64 %0, 1.0;" : "=l"(pol));
    for (size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        float4 z = make_float4(0, 0, 0, 0);
        asm volatile("st.global.L2::cache_hint.v4.f32 [%0], {%1,%2,%3,%4}, %5;" ::"l"(p + i),
                     "f"(z.x), "f"(z.y), "f"(z.z), "f"(z.w), "l"(pol)
                     : "memory");
    }
}

__global__ void discard_lines(float4 *p, size_t n)
{
    // one thread per 128-byte line (8 float4)
    for (size_t i = (blockIdx.x * (size_t)blockDim.x + threadIdx.x) * 8; i < n;
         i += (size_t)gridDim.x * blockDim.x * 8)
        asm volatile("discard.global.L2 [%0], 128;" ::"l"(p + i) : "memory");
}

static int probe_l2()
{
    int l2 = 0;
    CK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, 0));
    size_t persist = 0;
    CK(cudaDeviceGetLimit(&persist, cudaLimitPersistingL2CacheSize));
    int maxp = 0;
    CK(cudaDeviceGetAttribute(&maxp, cudaDevAttrMaxPersistingL2CacheSize, 0));
    printf("3. L2 %d MB, persisting limit %zu, max persisting %d\n", l2 >> 20, persist, maxp);
    const size_t xbytes = 24u << 20, fbytes = 2 * (size_t)l2;
    float4 *x, *f;
    float *sink;
    CK(cudaMalloc(&x, xbytes));
    CK(cudaMalloc(&f, fbytes));
    CK(cudaMalloc(&sink, 4));
    CK(cudaMemset(x, 1, xbytes));
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a));
    CK(cudaEventCreate(&b));
    const size_t nx = xbytes / 16, nf = fbytes / 16;
    const char *names[] = {"normal load, memset flush", "evict_last load, memset flush",
                           "evict_last load, memset flush + reset persisting",
                           "evict_last load, evict_last store pass + discard",
                           "no flush at all (warm)"};
    for (int mode = 0; mode < 5; mode++) {
        float best = 1e9, med[21];
        for (int it = 0; it < 21; it++) {
            if (mode == 0 || mode == 4)
                touch_normal<<<528, 256>>>(x, nx, sink);
            else
                touch_evict_last<<<528, 256>>>(x, nx, sink);
            if (mode == 1 || mode == 2 || mode == 0) CK(cudaMemsetAsync(f, 0, fbytes));
            if (mode == 2) {
                CK(cudaDeviceSynchronize());
                CK(cudaCtxResetPersistingL2Cache());
            }
            if (mode == 3) {
                flush_evict<<<528, 256>>>(f, nf);
                discard_lines<<<528, 256>>>(f, nf);
            }
            CK(cudaEventRecord(a));
            touch_normal<<<528, 256>>>(x, nx, sink);
            CK(cudaEventRecord(b));
            CK(cudaEventSynchronize(b));
            float ms;
            CK(cudaEventElapsedTime(&ms, a, b));
            med[it] = ms;
            if (ms < best) best = ms;
        }
        for (int i = 0; i < 21; i++)
            for (int j = i + 1; j < 21; j++)
                if (med[j] < med[i]) {
                    float t = med[i];
                    med[i] = med[j];
                    med[j] = t;
                }
        printf("   %-50s read of 24 MB: median %.2f us (%.0f GB/s)\n", names[mode], med[10] * 1e3,
               xbytes / (med[10] * 1e-3) / 1e9);
    }
    return 0;
}

__global__ void ticks(unsigned long long *out)
{
    unsigned long long t0, t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
    int n = 0;
    unsigned long long last = t0;
    while (n < 8) {
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
        if (t != last) {
            out[n++] = t - last;
            last = t;
        }
    }
}

static int probe_timer()
{
    unsigned long long *d, h[8];
    CK(cudaMalloc(&d, sizeof h));
    ticks<<<1, 1>>>(d);
    CK(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost));
    printf("4. %%globaltimer steps (ns):");
    for (int i = 0; i < 8; i++)
        printf(" %llu", h[i]);
    printf("\n");
    return 0;
}

int main()
{
    probe_ipc(); // forks first, before this process initialises CUDA
    probe_hmm();
    probe_l2();
    probe_timer();
    return 0;
}
