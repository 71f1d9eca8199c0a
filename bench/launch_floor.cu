/* launch_floor.cu -- what the evaluator's timing protocol measures for kernels that do almost
 * nothing: an L2 flush (memset of 2x L2) on the stream, a start event, one launch, an end event;
 * median of 50 after 10 warm-up runs. Compared: an empty kernel (1 and 256 blocks), a copy of
 * 512 KiB (the GDN decode state at batch 1, read then written), and the same without the flush.
 * It bounds from below what any batch-1 decode kernel can score in our harness (and in
 * FlashInfer-Bench's, which times the same way).
 * Build: nvcc -O2 -std=c++17 -arch=sm_90 -o build-dev/launch_floor bench/launch_floor.cu */
#include <algorithm>
#include <cstdio>
#include <cuda_runtime.h>
#include <vector>

#define CK(x)                                                                                      \
    do {                                                                                           \
        cudaError_t e_ = (x);                                                                      \
        if (e_ != cudaSuccess) {                                                                   \
            fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e_));             \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

__global__ void empty_kernel() {}

__global__ void copy_kernel(const float4 *__restrict__ src, float4 *__restrict__ dst, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) dst[i] = src[i];
}

template <class F> static double median_us(cudaStream_t s, void *flush, size_t fbytes, F launch)
{
    const int warm = 10, n = 50;
    std::vector<cudaEvent_t> a(n), b(n);
    for (int i = 0; i < n; i++)
        cudaEventCreate(&a[i]), cudaEventCreate(&b[i]);
    for (int i = 0; i < warm; i++)
        launch();
    cudaDeviceSynchronize();
    for (int i = 0; i < n; i++) {
        if (flush) cudaMemsetAsync(flush, 0, fbytes, s);
        cudaEventRecord(a[i], s);
        launch();
        cudaEventRecord(b[i], s);
    }
    cudaDeviceSynchronize();
    std::vector<float> ms(n);
    for (int i = 0; i < n; i++)
        cudaEventElapsedTime(&ms[i], a[i], b[i]);
    std::sort(ms.begin(), ms.end());
    for (int i = 0; i < n; i++)
        cudaEventDestroy(a[i]), cudaEventDestroy(b[i]);
    return 0.5 * (ms[n / 2 - 1] + ms[n / 2]) * 1e3;
}

int main()
{
    cudaDeviceProp p;
    CK(cudaGetDeviceProperties(&p, 0));
    size_t fbytes = (size_t)p.l2CacheSize * 2;
    void *flush;
    CK(cudaMalloc(&flush, fbytes));
    cudaStream_t s;
    CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    const int n4 = 512 * 1024 / 16;
    float4 *src, *dst;
    CK(cudaMalloc(&src, n4 * 16));
    CK(cudaMalloc(&dst, n4 * 16));
    CK(cudaMemset(src, 0, n4 * 16));
    printf("device %s, L2 %d MiB, flush %zu MiB\n", p.name, p.l2CacheSize >> 20, fbytes >> 20);
    for (int f = 1; f >= 0; f--) {
        void *fl = f ? flush : nullptr;
        printf("%s\n", f ? "with L2 flush" : "no flush");
        printf("  empty <<<1, 32>>>          %6.2f us\n",
               median_us(s, fl, fbytes, [&] { empty_kernel<<<1, 32, 0, s>>>(); }));
        printf("  empty <<<256, 128>>>       %6.2f us\n",
               median_us(s, fl, fbytes, [&] { empty_kernel<<<256, 128, 0, s>>>(); }));
        printf("  copy 512 KiB <<<256, 128>>> %6.2f us\n", median_us(s, fl, fbytes, [&] {
                   copy_kernel<<<n4 / 128, 128, 0, s>>>(src, dst, n4);
               }));
        printf("  copy 512 KiB <<<1024, 32>>> %6.2f us\n",
               median_us(s, fl, fbytes, [&] { copy_kernel<<<n4 / 32, 32, 0, s>>>(src, dst, n4); }));
    }
    CK(cudaGetLastError());
    return 0;
}
