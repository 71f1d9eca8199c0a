/* seed_bench.cu -- device harness for the seed kernels of kernels/gemm and kernels/rmsnorm.
 *
 * Loads each seed variant from a cubin (built by run.sh with nvcc -cubin and -D per
 * parameter point: the same compile the engine does with NVRTC), launches it the way the
 * seed's evo:launch block says (the formulas are mirrored here by seed name), checks it
 * against a host fp32/fp64 reference (GEMM: also every element against cuBLAS), and times it
 * with CUDA events: 10 warm-ups, median of 50, L2 flushed before every timed run, random
 * normal inputs, output poisoned before the checked run. Prints one table row per variant
 * and shape next to cuBLAS (GEMM) or the device copy ceiling (RMSNorm).
 *
 * Usage: seed_bench LIST       LIST lines: "<seed> <cubin> <K=V,K=V,...|-> <flags|->"
 * Seeds: gemm_simt gemm_mma gemm_wgmma gemm_wgmma_splitk rmsnorm_baseline rmsnorm_warp
 * rmsnorm_block.
 * Environment: EVO_BF16=1 runs the GEMM seeds in bf16 (cubins built with -DEVO_BF16=1). */
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cublas_v2.h>
#include <cuda.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <map>
#include <string>
#include <vector>

#define CK(x)                                                                                      \
    do {                                                                                           \
        cudaError_t e_ = (x);                                                                      \
        if (e_ != cudaSuccess) {                                                                   \
            fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_));     \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)
#define CU(x)                                                                                      \
    do {                                                                                           \
        CUresult r_ = (x);                                                                         \
        if (r_ != CUDA_SUCCESS) {                                                                  \
            const char *s_ = "";                                                                   \
            cuGetErrorString(r_, &s_);                                                             \
            fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, s_);                         \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static int g_bf16 = 0;
static const int kWarm = 10, kIters = 50;

typedef std::map<std::string, long> params_t;

static long P(const params_t &p, const char *k, long def)
{
    auto it = p.find(k);
    return it == p.end() ? def : it->second;
}
static long cdiv(long a, long b)
{
    return (a + b - 1) / b;
}

/* ---- random inputs (normal, via a counter hash + Box-Muller), poisoning, L2 flush ---- */
__device__ unsigned hash32(unsigned x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}
template <typename T> __global__ void fill_randn(T *p, size_t n, unsigned seed, float scale)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        unsigned a = hash32((unsigned)i * 2u + seed * 0x9e3779b9u);
        unsigned b = hash32((unsigned)i * 2u + 1u + seed * 0x85ebca6bu);
        float u1 = (a + 1.0f) * 2.3283064e-10f, u2 = b * 2.3283064e-10f;
        float z = sqrtf(-2.f * logf(u1)) * cospif(2.f * u2);
        p[i] = (T)(z * scale);
    }
}
template <typename T> static void randn(T *p, size_t n, unsigned seed, float scale = 1.f)
{
    fill_randn<T><<<1024, 256>>>(p, n, seed, scale);
    CK(cudaGetLastError());
}

static void *g_flush;
static size_t g_flush_bytes;
static void flush_l2()
{
    CK(cudaMemsetAsync(g_flush, 0, g_flush_bytes));
}

/* ---- host conversions ---- */
static float h2f(uint16_t v)
{
    __half h;
    memcpy(&h, &v, 2);
    return __half2float(h);
}
static float b2f(uint16_t v)
{
    uint32_t u = (uint32_t)v << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static float e2f(uint16_t v)
{
    return g_bf16 ? b2f(v) : h2f(v);
}

/* FlashInfer-Bench's element test: fails only if both abs and rel error exceed tol. */
static bool elem_bad(float x, float ref, double *maxabs)
{
    if (!std::isfinite(x)) {
        *maxabs = INFINITY;
        return true;
    }
    double d = fabs((double)x - ref);
    if (d > *maxabs) *maxabs = d;
    return d > 1e-2 && d / (fabs((double)ref) + 1e-8) > 1e-2;
}

/* ---- a seed variant: module + function(s) + launch shape ---- */
struct variant {
    std::string seed, cubin, ptext;
    bool quick; /* coverage point: fewer shapes */
    params_t p;
    CUmodule mod;
    CUfunction f[2];
    int nf;
};

static double median_ms(std::vector<float> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

/* ================================ GEMM ================================ */
struct gemm_bufs {
    void *A, *B, *C, *Cref, *ws;
    size_t ws_bytes;
    int maxM, N, K;
};

static void gemm_launch(variant &v, gemm_bufs &g, int M)
{
    int N = g.N, K = g.K;
    void *A = g.A, *B = g.B, *C = g.C;
    if (v.seed == "gemm_simt") {
        long BM = P(v.p, "BM", 64), BN = P(v.p, "BN", 64), TM = P(v.p, "TM", 4),
             TN = P(v.p, "TN", 4);
        void *args[] = {&A, &B, &C, &M, &N, &K};
        CU(cuLaunchKernel(v.f[0], cdiv(N, BN), cdiv(M, BM), 1, (BM / TM) * (BN / TN), 1, 1, 0, 0,
                          args, 0));
    } else if (v.seed == "gemm_mma") {
        long BM = P(v.p, "BM", 128), BN = P(v.p, "BN", 128), BK = P(v.p, "BK", 32),
             WM = P(v.p, "WM", 64), WN = P(v.p, "WN", 64), ST = P(v.p, "STAGES", 4),
             SW = P(v.p, "SWIZZLE", 1), KS = P(v.p, "KSPLIT", 1);
        unsigned smem = (BM + BN) * (BK + (SW ? 0 : 8)) * 2 * ST;
        void *ws = g.ws;
        void *args[] = {&A, &B, &C, &ws, &M, &N, &K};
        CU(cuLaunchKernel(v.f[0], cdiv(M, BM) * cdiv(N, BN), 1, KS, (BM / WM) * (BN / WN) * 32, 1,
                          1, smem, 0, args, 0));
        void *args2[] = {&ws, &C, &M, &N};
        CU(cuLaunchKernel(v.f[1], KS > 1 ? cdiv((long)M * N, 1024) : 1, 1, 1, 256, 1, 1, 0, 0,
                          args2, 0));
    } else if (v.seed == "gemm_wgmma" || v.seed == "gemm_wgmma_splitk") {
        bool split = v.seed == "gemm_wgmma_splitk";
        long BM = P(v.p, "BM", 128), BN = P(v.p, "BN", split ? 128 : 256),
             ST = P(v.p, "STAGES", split ? 6 : 4), WS = P(v.p, "WS", 1),
             KS = split ? P(v.p, "KSPLIT", 4) : 1;
        unsigned smem = (BM + BN) * 128 * ST + 1024;
        void *ws = g.ws;
        void *args[] = {&A, &B, &C, &M, &N, &K};
        void *args_split[] = {&A, &B, &C, &ws, &M, &N, &K};
        CU(cuLaunchKernel(v.f[0], cdiv(M, BM) * cdiv(N, BN), 1, KS, (BM / 64 + WS) * 128, 1, 1,
                          smem, 0, split ? args_split : args, 0));
        if (split) {
            void *args2[] = {&ws, &C, &M, &N};
            CU(cuLaunchKernel(v.f[1], cdiv((long)M * N, 1024), 1, 1, 256, 1, 1, 0, 0, args2, 0));
        }
    } else {
        fprintf(stderr, "unknown gemm seed %s\n", v.seed.c_str());
        exit(1);
    }
}

static void cublas_gemm(cublasHandle_t h, gemm_bufs &g, int M, void *C)
{
    /* row-major C[M,N] = A[M,K] B[N,K]^T  ==  column-major C^T[N,M] = B^T(op T) ... */
    float one = 1.f, zero = 0.f;
    cudaDataType t = g_bf16 ? CUDA_R_16BF : CUDA_R_16F;
    cublasStatus_t s =
        cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, g.N, M, g.K, &one, g.B, t, g.K, g.A, t, g.K,
                     &zero, C, t, g.N, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    if (s != CUBLAS_STATUS_SUCCESS) {
        fprintf(stderr, "cublas failed %d\n", (int)s);
        exit(1);
    }
}

template <typename F> static double time_it(F f)
{
    cudaEvent_t e0, e1;
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    for (int i = 0; i < kWarm; i++)
        f();
    std::vector<float> ts;
    for (int i = 0; i < kIters; i++) {
        flush_l2();
        CK(cudaEventRecord(e0));
        f();
        CK(cudaEventRecord(e1));
        CK(cudaEventSynchronize(e1));
        float ms;
        CK(cudaEventElapsedTime(&ms, e0, e1));
        ts.push_back(ms);
    }
    CK(cudaGetLastError());
    CK(cudaEventDestroy(e0));
    CK(cudaEventDestroy(e1));
    return median_ms(ts) * 1e3;
}

/* Host reference for sampled rows (fp64 accumulate over the exact inputs). */
static void gemm_check(gemm_bufs &g, int M, int *bad_rows, double *max_ref, double *max_cub,
                       long *nbad)
{
    int N = g.N, K = g.K;
    std::vector<uint16_t> C((size_t)M * N), Cr((size_t)M * N);
    CK(cudaMemcpy(C.data(), g.C, C.size() * 2, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(Cr.data(), g.Cref, Cr.size() * 2, cudaMemcpyDeviceToHost));
    *max_ref = 0;
    *max_cub = 0;
    *nbad = 0;
    *bad_rows = 0;
    for (size_t i = 0; i < C.size(); i++)
        if (elem_bad(e2f(C[i]), e2f(Cr[i]), max_cub)) (*nbad)++;
    /* rows: first, last, and a few in between, against the host */
    std::vector<int> rows = {0, M - 1, M / 2, M / 3, (M * 7) / 9};
    std::vector<uint16_t> a(K), b((size_t)N * K);
    CK(cudaMemcpy(b.data(), g.B, b.size() * 2, cudaMemcpyDeviceToHost));
    std::vector<float> bf(b.size());
    for (size_t i = 0; i < b.size(); i++)
        bf[i] = e2f(b[i]);
    for (int r : rows) {
        CK(cudaMemcpy(a.data(), (char *)g.A + (size_t)r * K * 2, K * 2, cudaMemcpyDeviceToHost));
        std::vector<float> af(K);
        for (int k = 0; k < K; k++)
            af[k] = e2f(a[k]);
        bool rb = false;
        for (int n = 0; n < N; n++) {
            double s = 0;
            const float *bp = &bf[(size_t)n * K];
            for (int k = 0; k < K; k++)
                s += (double)af[k] * bp[k];
            if (elem_bad(e2f(C[(size_t)r * N + n]), (float)s, max_ref)) rb = true;
        }
        if (rb) (*bad_rows)++;
    }
}

static void run_gemm(std::vector<variant> &vs)
{
    const int N = 4096, K = 4096;
    std::vector<int> Ms = {1, 16, 100, 257, 1024, 4096, 8192};
    gemm_bufs g;
    g.maxM = 8192;
    g.N = N;
    g.K = K;
    size_t es = 2;
    CK(cudaMalloc(&g.A, (size_t)g.maxM * K * es));
    CK(cudaMalloc(&g.B, (size_t)N * K * es));
    CK(cudaMalloc(&g.C, (size_t)g.maxM * N * es));
    CK(cudaMalloc(&g.Cref, (size_t)g.maxM * N * es));
    g.ws_bytes = (size_t)8 * 8192 * N * 4;
    CK(cudaMalloc(&g.ws, g.ws_bytes));
    cublasHandle_t h;
    cublasCreate(&h);
    printf("\n%-11s %-62s %5s %10s %10s %8s %8s %s\n", "seed", "params", "M", "us", "cublas_us",
           "%cublas", "TFLOP/s", "check");
    int seed = 1;
    for (int M : Ms) {
        if (g_bf16) {
            randn((__nv_bfloat16 *)g.A, (size_t)M * K, seed++);
            randn((__nv_bfloat16 *)g.B, (size_t)N * K, seed++);
        } else {
            randn((__half *)g.A, (size_t)M * K, seed++);
            randn((__half *)g.B, (size_t)N * K, seed++);
        }
        cublas_gemm(h, g, M, g.Cref);
        CK(cudaDeviceSynchronize());
        double tc = time_it([&] { cublas_gemm(h, g, M, g.Cref); });
        double fl = 2.0 * M * N * K;
        printf("%-11s %-62s %5d %10.1f %10.1f %8.1f %8.1f %s\n", "cublas", "-", M, tc, tc, 100.0,
               fl / tc * 1e-6, "ref");
        for (auto &v : vs) {
            if (v.seed.rfind("gemm", 0) != 0) continue;
            if ((v.seed == "gemm_simt" || v.quick) && M > 1024) continue; /* keep it short */
            if (v.quick && M == 16) continue;              /* quick: M = 1, 100, 257, 1024 */
            CK(cudaMemset(g.C, 0xff, (size_t)M * N * es)); /* NaN poison */
            gemm_launch(v, g, M);
            CK(cudaGetLastError());
            CK(cudaDeviceSynchronize());
            int bad_rows;
            double mr, mc;
            long nbad;
            gemm_check(g, M, &bad_rows, &mr, &mc, &nbad);
            char chk[128];
            snprintf(chk, sizeof chk, "%s maxerr_host=%.3g maxerr_cublas=%.3g bad=%ld",
                     (nbad == 0 && bad_rows == 0) ? "PASS" : "FAIL", mr, mc, nbad + bad_rows);
            double t = time_it([&] { gemm_launch(v, g, M); });
            printf("%-11s %-62s %5d %10.1f %10.1f %8.1f %8.1f %s\n", v.seed.c_str(),
                   v.ptext.c_str(), M, t, tc, 100.0 * tc / t, fl / t * 1e-6, chk);
            fflush(stdout);
        }
    }
    cublasDestroy(h);
    cudaFree(g.A);
    cudaFree(g.B);
    cudaFree(g.C);
    cudaFree(g.Cref);
    cudaFree(g.ws);
}

/* ================================ RMSNorm ================================ */
static void rms_launch(variant &v, void *x, void *w, void *y, int batch, int hidden)
{
    void *args[] = {&x, &w, &y, &batch, &hidden};
    unsigned grid, block;
    if (v.seed == "rmsnorm_baseline") {
        grid = batch;
        block = 256;
    } else if (v.seed == "rmsnorm_warp") {
        long W = P(v.p, "WARPS", 4);
        grid = cdiv(batch, W);
        block = W * 32;
    } else if (v.seed == "rmsnorm_block") {
        long T = P(v.p, "THREADS", 256), R = P(v.p, "ROWS", 1);
        grid = cdiv(batch, R);
        block = T;
    } else {
        fprintf(stderr, "unknown rmsnorm seed %s\n", v.seed.c_str());
        exit(1);
    }
    CU(cuLaunchKernel(v.f[0], grid, 1, 1, block, 1, 1, 0, 0, args, 0));
}

static void run_rmsnorm(std::vector<variant> &vs)
{
    const int H = 4096;
    std::vector<int> Bs = {1, 7, 64, 1000, 2048, 8192};
    const int maxB = 8192;
    __nv_bfloat16 *x, *w, *y;
    CK(cudaMalloc(&x, (size_t)maxB * H * 2));
    CK(cudaMalloc(&w, (size_t)H * 2));
    CK(cudaMalloc(&y, (size_t)maxB * H * 2));
    /* copy ceiling: a D2D copy the size of x, bytes read + written */
    double tcopy =
        time_it([&] { CK(cudaMemcpyAsync(y, x, (size_t)maxB * H * 2, cudaMemcpyDeviceToDevice)); });
    double copy_gbps = 2.0 * maxB * H * 2 / tcopy * 1e-3;
    printf("\ncopy ceiling: %.0f MB D2D in %.1f us = %.0f GB/s (read+write)\n", maxB * H * 2 / 1e6,
           tcopy, copy_gbps);
    printf("%-16s %-40s %5s %9s %9s %8s %s\n", "seed", "params", "batch", "us", "GB/s", "%copy",
           "check");
    int seed = 100;
    for (int Bn : Bs) {
        randn(x, (size_t)Bn * H, seed++);
        randn(w, (size_t)H, seed++);
        std::vector<__nv_bfloat16> hx((size_t)Bn * H), hw(H), hy((size_t)Bn * H);
        CK(cudaMemcpy(hx.data(), x, hx.size() * 2, cudaMemcpyDeviceToHost));
        CK(cudaMemcpy(hw.data(), w, H * 2, cudaMemcpyDeviceToHost));
        std::vector<float> ref((size_t)Bn * H);
        for (int b = 0; b < Bn; b++) {
            double ss = 0;
            for (int i = 0; i < H; i++) {
                float v = __bfloat162float(hx[(size_t)b * H + i]);
                ss += (double)v * v;
            }
            float inv = 1.f / sqrtf((float)(ss / H) + 1e-5f);
            for (int i = 0; i < H; i++)
                ref[(size_t)b * H + i] =
                    __bfloat162float(hx[(size_t)b * H + i]) * inv * __bfloat162float(hw[i]);
        }
        double bytes = 2.0 * Bn * H * 2 + H * 2;
        for (auto &v : vs) {
            if (v.seed.rfind("rmsnorm", 0) != 0) continue;
            CK(cudaMemset(y, 0xff, (size_t)Bn * H * 2));
            rms_launch(v, x, w, y, Bn, H);
            CK(cudaGetLastError());
            CK(cudaDeviceSynchronize());
            CK(cudaMemcpy(hy.data(), y, hy.size() * 2, cudaMemcpyDeviceToHost));
            double maxabs = 0;
            long nbad = 0;
            for (size_t i = 0; i < hy.size(); i++)
                if (elem_bad(__bfloat162float(hy[i]), ref[i], &maxabs)) nbad++;
            double t = time_it([&] { rms_launch(v, x, w, y, Bn, H); });
            double gbps = bytes / t * 1e-3;
            printf("%-16s %-40s %5d %9.2f %9.0f %8.1f %s maxerr=%.3g bad=%ld\n", v.seed.c_str(),
                   v.ptext.c_str(), Bn, t, gbps, 100.0 * gbps / 3000.0, nbad ? "FAIL" : "PASS",
                   maxabs, nbad);
            fflush(stdout);
        }
    }
    cudaFree(x);
    cudaFree(w);
    cudaFree(y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: seed_bench LIST\n");
        return 2;
    }
    g_bf16 = getenv("EVO_BF16") && atoi(getenv("EVO_BF16"));
    CK(cudaFree(0));
    CU(cuInit(0));
    cudaDeviceProp prop;
    CK(cudaGetDeviceProperties(&prop, 0));
    printf("device: %s, %d SMs, L2 %d MB, smem opt-in %zu, %s\n", prop.name,
           prop.multiProcessorCount, prop.l2CacheSize >> 20, prop.sharedMemPerBlockOptin,
           g_bf16 ? "bf16" : "fp16");
    g_flush_bytes = (size_t)prop.l2CacheSize * 2;
    CK(cudaMalloc(&g_flush, g_flush_bytes));

    FILE *fp = fopen(argv[1], "r");
    if (!fp) {
        perror(argv[1]);
        return 2;
    }
    std::vector<variant> vs;
    char seed[64], cubin[512], ptext[512], flags[128];
    while (fscanf(fp, "%63s %511s %511s %127s", seed, cubin, ptext, flags) == 4) {
        variant v;
        v.seed = seed;
        v.cubin = cubin;
        v.ptext = ptext;
        v.quick = strstr(flags, "quick") != NULL;
        if (strcmp(ptext, "-") != 0) {
            char *save = 0;
            for (char *t = strtok_r(ptext, ",", &save); t; t = strtok_r(0, ",", &save)) {
                char *eq = strchr(t, '=');
                if (eq) {
                    *eq = 0;
                    v.p[t] = atol(eq + 1);
                }
            }
        }
        CUresult r = cuModuleLoad(&v.mod, cubin);
        if (r != CUDA_SUCCESS) {
            fprintf(stderr, "load %s failed (%d)\n", cubin, (int)r);
            continue;
        }
        v.nf = 1;
        /* the split-K wgmma seed keeps the kernel name gemm_wgmma */
        const char *kname = v.seed == "gemm_wgmma_splitk" ? "gemm_wgmma" : v.seed.c_str();
        CU(cuModuleGetFunction(&v.f[0], v.mod, kname));
        if (v.seed == "gemm_mma" || v.seed == "gemm_wgmma_splitk") {
            CU(cuModuleGetFunction(&v.f[1], v.mod, "gemm_splitk_reduce"));
            v.nf = 2;
        }
        /* as the engine does: allow dynamic smem up to the opt-in limit minus static smem */
        int static_smem = 0;
        CU(cuFuncGetAttribute(&static_smem, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, v.f[0]));
        CU(cuFuncSetAttribute(v.f[0], CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                              (int)prop.sharedMemPerBlockOptin - static_smem));
        vs.push_back(v);
    }
    fclose(fp);
    bool any_gemm = false, any_rms = false;
    for (auto &v : vs) {
        if (v.seed.rfind("gemm", 0) == 0) any_gemm = true;
        if (v.seed.rfind("rmsnorm", 0) == 0) any_rms = true;
    }
    if (any_rms) run_rmsnorm(vs);
    if (any_gemm) run_gemm(vs);
    return 0;
}
