/* gemm_simt.cu -- GEMM seed: C[M,N] = A[M,K] @ B[N,K]^T on the CUDA cores. A plain tiled
 * shared-memory kernel: each block computes a BM x BN tile of C, stepping through K in BK
 * slices that all threads copy into shared memory (transposed, as fp32, so the inner loop
 * reads rows of A and B with broadcast-friendly float loads); each thread accumulates a
 * TM x TN micro-tile of C in fp32 registers. No tensor cores, no pipelining: the slow,
 * simple starting point. fp16 by default, bf16 with -DEVO_BF16=1.
 * Any M, N, K (partial tiles are zero-filled and guarded).
 *
 * Tunable parameters:
 *   BM, BN  pow2 16..128  block tile of C
 *   BK      set 8 16 32   K slice per shared-memory step
 *   TM, TN  set 1 2 4 8   per-thread micro-tile (threads = (BM/TM)*(BN/TN), 32..1024)
 *   PAD     set 0 1 4     floats of padding per shared row (bank-conflict control)
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>

/* evo:params
 BM   pow2 16..128     default 64
 BN   pow2 16..128     default 64
 BK   set 8 16 32      default 16
 TM   set 1 2 4 8      default 4
 TN   set 1 2 4 8      default 4
 PAD  set 0 1 4        default 1
 require BM % TM == 0 && BN % TN == 0
 require (BM / TM) * (BN / TN) >= 32 && (BM / TM) * (BN / TN) <= 1024
 require (BM + BN) * (BK + PAD) * 4 <= 49152
*/

/* evo:launch
 kernel gemm_simt
   grid  ceil_div(N, BN), ceil_div(M, BM)
   block (BM / TM) * (BN / TN)
   args  A, B, C, M, N, K
*/

#ifndef BM
#define BM 64
#endif
#ifndef BN
#define BN 64
#endif
#ifndef BK
#define BK 16
#endif
#ifndef TM
#define TM 4
#endif
#ifndef TN
#define TN 4
#endif
#ifndef PAD
#define PAD 1
#endif

#ifdef EVO_BF16
typedef __nv_bfloat16 elem_t;
static __device__ __forceinline__ float to_f(elem_t v)
{
    return __bfloat162float(v);
}
static __device__ __forceinline__ elem_t from_f(float v)
{
    return __float2bfloat16(v);
}
#else
typedef __half elem_t;
static __device__ __forceinline__ float to_f(elem_t v)
{
    return __half2float(v);
}
static __device__ __forceinline__ elem_t from_f(float v)
{
    return __float2half(v);
}
#endif

#define NTHREADS ((BM / TM) * (BN / TN))

extern "C" __global__ void __launch_bounds__(NTHREADS)
    gemm_simt(const elem_t *__restrict__ A, const elem_t *__restrict__ B, elem_t *__restrict__ C,
              int M, int N, int K)
{
    /* stored k-major: As[k][m], so a thread reads TM consecutive m for one k */
    __shared__ float As[BK][BM + PAD];
    __shared__ float Bs[BK][BN + PAD];
    int tid = threadIdx.x;
    int tx = tid % (BN / TN), ty = tid / (BN / TN);
    int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;

    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++)
            acc[i][j] = 0.f;

    for (int k0 = 0; k0 < K; k0 += BK) {
        /* consecutive threads take consecutive k of one row: coalesced along K */
        for (int e = tid; e < BM * BK; e += NTHREADS) {
            int r = e / BK, c = e % BK;
            int gm = m0 + r, gk = k0 + c;
            As[c][r] = (gm < M && gk < K) ? to_f(A[(size_t)gm * K + gk]) : 0.f;
        }
        for (int e = tid; e < BN * BK; e += NTHREADS) {
            int r = e / BK, c = e % BK;
            int gn = n0 + r, gk = k0 + c;
            Bs[c][r] = (gn < N && gk < K) ? to_f(B[(size_t)gn * K + gk]) : 0.f;
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < BK; k++) {
            float a[TM], b[TN];
#pragma unroll
            for (int i = 0; i < TM; i++)
                a[i] = As[k][ty * TM + i];
#pragma unroll
            for (int j = 0; j < TN; j++)
                b[j] = Bs[k][tx * TN + j];
#pragma unroll
            for (int i = 0; i < TM; i++)
#pragma unroll
                for (int j = 0; j < TN; j++)
                    acc[i][j] += a[i] * b[j];
        }
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < TM; i++) {
        int gm = m0 + ty * TM + i;
        if (gm >= M) continue;
#pragma unroll
        for (int j = 0; j < TN; j++) {
            int gn = n0 + tx * TN + j;
            if (gn < N) C[(size_t)gm * N + gn] = from_f(acc[i][j]);
        }
    }
}
