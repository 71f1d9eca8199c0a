/* prefill_probe.cu -- times the two kernels of kernels/gdn_prefill/gdn_prefill_mma.cu apart
 * (the evaluator times the whole plan): same protocol as the evaluator (L2 flush, events
 * around one launch, median of 30). No correctness check here: the gate does that.
 * Build (one binary per parameter point, the point given as -D flags):
 *   nvcc -O2 -std=c++17 -arch=sm_90a -DC=64 -DVT=16 -DNW=4 -DPW=4 \
 *        -o build-dev/prefill_probe bench/prefill_probe.cu
 * Run: build-dev/prefill_probe [T N]  (prep and scan microseconds per shape, or one shape) */
#include "../kernels/gdn_prefill/gdn_prefill_mma.cu"
#include <algorithm>
#include <cstdio>
#include <vector>

#define CK(x)                                                                                      \
    do {                                                                                           \
        cudaError_t e_ = (x);                                                                      \
        if (e_ != cudaSuccess) {                                                                   \
            fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e_));             \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

template <class F> static float med(void *fl, size_t fb, F f)
{
    const int n = 30;
    std::vector<cudaEvent_t> a(n), b(n);
    for (int i = 0; i < n; i++)
        cudaEventCreate(&a[i]), cudaEventCreate(&b[i]);
    for (int i = 0; i < 5; i++)
        f();
    for (int i = 0; i < n; i++) {
        cudaMemsetAsync(fl, 0, fb);
        cudaEventRecord(a[i]);
        f();
        cudaEventRecord(b[i]);
    }
    CK(cudaDeviceSynchronize());
    std::vector<float> ms(n);
    for (int i = 0; i < n; i++)
        cudaEventElapsedTime(&ms[i], a[i], b[i]);
    std::sort(ms.begin(), ms.end());
    return ms[n / 2] * 1e3f;
}

int main(int argc, char **argv)
{
    size_t fb = 100 << 20;
    void *fl;
    CK(cudaMalloc(&fl, fb));
    int shapes[][2] = {{1, 1}, {64, 1}, {512, 1}, {8192, 1}, {1024, 16}, {4096, 16}, {16, 16}};
    int pbytes = 1088 * C + 16 * C * (C + 4) + 32 * C;
    const int VT = VTA; /* the one-sequence kernel */
    int sbytes = VT * 528 + VT * (C + 4) * 4 + ST * STAGE_FLOATS * 4;
    CK(cudaFuncSetAttribute(gdn_prefill_prep, cudaFuncAttributeMaxDynamicSharedMemorySize, pbytes));
    CK(cudaFuncSetAttribute(gdn_prefill_scan, cudaFuncAttributeMaxDynamicSharedMemorySize, sbytes));
    printf("C=%d VT=%d NW=%d PW=%d ST=%d smem prep %d scan %d\n", C, VT, NW, PW, ST, pbytes,
           sbytes);
    for (auto &sh : shapes) {
        int T = sh[0], N = sh[1];
        if (argc > 2 && (T != atoi(argv[1]) || N != atoi(argv[2]))) continue; /* one shape */
        std::vector<long long> cu(N + 1);
        for (int i = 0; i <= N; i++)
            cu[i] = (long long)T * i / N;
        bf16 *q, *k, *v, *a, *b, *o;
        float *st, *ns, *Al, *dt, *rec;
        long long *cud;
        CK(cudaMalloc(&q, (size_t)T * 4 * 128 * 2));
        CK(cudaMalloc(&k, (size_t)T * 4 * 128 * 2));
        CK(cudaMalloc(&v, (size_t)T * 8 * 128 * 2));
        CK(cudaMalloc(&o, (size_t)T * 8 * 128 * 2));
        CK(cudaMalloc(&a, (size_t)T * 8 * 2));
        CK(cudaMalloc(&b, (size_t)T * 8 * 2));
        CK(cudaMalloc(&st, (size_t)N * 8 * 128 * 128 * 4));
        CK(cudaMalloc(&ns, (size_t)N * 8 * 128 * 128 * 4));
        CK(cudaMalloc(&Al, 32));
        CK(cudaMalloc(&dt, 32));
        CK(cudaMalloc(&rec, (size_t)((T + C - 1) / C + N) * 8 * REC * 4));
        CK(cudaMalloc(&cud, (N + 1) * 8));
        CK(cudaMemcpy(cud, cu.data(), (N + 1) * 8, cudaMemcpyHostToDevice));
        CK(cudaMemset(q, 0, (size_t)T * 4 * 128 * 2));
        CK(cudaMemset(k, 0, (size_t)T * 4 * 128 * 2));
        CK(cudaMemset(v, 0, (size_t)T * 8 * 128 * 2));
        CK(cudaMemset(a, 0, (size_t)T * 8 * 2));
        CK(cudaMemset(b, 0, (size_t)T * 8 * 2));
        CK(cudaMemset(st, 0, (size_t)N * 8 * 128 * 128 * 4));
        CK(cudaMemset(Al, 0, 32));
        CK(cudaMemset(dt, 0, 32));
        dim3 pg((T + C - 1) / C + N, 4), sg(N * 8 * (128 / VT));
        auto prep = [&] {
            gdn_prefill_prep<<<pg, PW * 32, pbytes>>>(q, k, v, Al, a, dt, b, cud, rec, N);
        };
        auto scan = [&] {
            gdn_prefill_scan<<<sg, NW * 32, sbytes>>>(st, cud, rec, 0.0f, o, ns, N);
        };
        float tp = med(fl, fb, prep), ts = med(fl, fb, scan), tb = med(fl, fb, [&] {
                                                                  prep();
                                                                  scan();
                                                              });
        CK(cudaGetLastError());
        printf("T=%5d N=%2d  prep %8.2f us  scan %8.2f us  both %8.2f us\n", T, N, tp, ts, tb);
        for (void *p : {(void *)q, (void *)k, (void *)v, (void *)o, (void *)a, (void *)b,
                        (void *)st, (void *)ns, (void *)Al, (void *)dt, (void *)rec, (void *)cud})
            cudaFree(p);
    }
    return 0;
}
