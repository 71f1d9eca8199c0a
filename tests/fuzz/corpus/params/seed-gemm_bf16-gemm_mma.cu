/* gemm_mma.cu -- GEMM seed: C[M,N] = A[M,K] @ B[N,K]^T on the tensor cores with
 * mma.sync.m16n8k16 (fp32 accumulate). Each block computes a BM x BN tile of C with
 * (BM/WM)*(BN/WN) warps, each warp a WM x WN sub-tile. K is walked in BK slices through a
 * STAGES-deep cp.async pipeline into shared memory (XOR-swizzled or padded rows so ldmatrix
 * is bank-conflict free); fragments come from ldmatrix. Blocks are rasterised in groups of
 * GROUP_M tile rows for L2 reuse. KSPLIT > 1 splits K across blockIdx.z into fp32 partials
 * that a second kernel sums (more blocks for small M). fp16 by default, bf16 with
 * -DEVO_BF16=1. Any M; N a multiple of 8 (partial N tiles guarded), K a multiple of BK.
 *
 * Tunable parameters:
 *   BM, BN   set 64 128 256   block tile of C
 *   BK       set 32 64        K slice per pipeline stage
 *   WM, WN   set 16/32/64     warp tile (threads = (BM/WM)*(BN/WN)*32)
 *   STAGES   range 2..5       cp.async pipeline depth
 *   SWIZZLE  bool             1: XOR-swizzled rows, 0: rows padded by 16 bytes
 *   GROUP_M  set 1 4 8 16     block rasterisation group (1 = row-major order)
 *   KSPLIT   set 1 2 4 8      K split (>1 writes fp32 partials, reduced by a 2nd kernel)
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>

/* evo:params
 BM      set 64 128 256      default 128
 BN      set 64 128 256      default 128
 BK      set 32 64           default 32
 WM      set 16 32 64        default 64
 WN      set 16 32 64        default 64
 STAGES  range 2..5          default 4
 SWIZZLE bool                default 1
 GROUP_M set 1 4 8 16        default 8
 KSPLIT  set 1 2 4 8         default 1
 require BM % WM == 0 && BN % WN == 0
 require (BM / WM) * (BN / WN) >= 2 && (BM / WM) * (BN / WN) <= 16
 require (BM / WM) * (BN / WN) * 32 * (WM * WN / 32 + 48) <= 65536
 require (BM * BK / 8) % ((BM / WM) * (BN / WN) * 32) == 0
 require (BN * BK / 8) % ((BM / WM) * (BN / WN) * 32) == 0
 require (BM + BN) * (BK + (SWIZZLE ? 0 : 8)) * 2 * STAGES <= SMEM_LIMIT
*/

/* evo:launch
 workspace partial float32 KSPLIT > 1 ? KSPLIT * M * N : 1
 kernel gemm_mma
   grid  ceil_div(M, BM) * ceil_div(N, BN), 1, KSPLIT
   block (BM / WM) * (BN / WN) * 32
   smem  (BM + BN) * (BK + (SWIZZLE ? 0 : 8)) * 2 * STAGES
   args  A, B, C, partial, M, N, K
 kernel gemm_splitk_reduce
   when  KSPLIT > 1
   grid  ceil_div(M * N, 1024)
   block 256
   args  partial, C, M, N
*/

#ifndef BM
#define BM 128
#endif
#ifndef BN
#define BN 128
#endif
#ifndef BK
#define BK 32
#endif
#ifndef WM
#define WM 64
#endif
#ifndef WN
#define WN 64
#endif
#ifndef STAGES
#define STAGES 4
#endif
#ifndef SWIZZLE
#define SWIZZLE 1
#endif
#ifndef GROUP_M
#define GROUP_M 8
#endif
#ifndef KSPLIT
#define KSPLIT 1
#endif

#ifdef EVO_BF16
typedef __nv_bfloat16 elem_t;
typedef __nv_bfloat162 elem2_t;
#define MMA_TYPE "bf16"
static __device__ __forceinline__ elem2_t pack2(float a, float b)
{
    return __floats2bfloat162_rn(a, b);
}
#else
typedef __half elem_t;
typedef __half2 elem2_t;
#define MMA_TYPE "f16"
static __device__ __forceinline__ elem2_t pack2(float a, float b)
{
    return __floats2half2_rn(a, b);
}
#endif

#define NWARPS ((BM / WM) * (BN / WN))
#define NT (NWARPS * 32)
#define MI (WM / 16) /* m16 fragments per warp */
#define NI (WN / 8)  /* n8 fragments per warp */
#define CPR (BK / 8) /* 16-byte chunks per smem row */
#if SWIZZLE
#define LDS BK /* smem row stride in elements */
#else
#define LDS (BK + 8)
#endif
#define A_STAGE (BM * LDS)
#define B_STAGE (BN * LDS)

/* element offset of 16-byte chunk `ch` of smem row `row` */
static __device__ __forceinline__ int soff(int row, int ch)
{
#if SWIZZLE
    return row * LDS + ((ch ^ ((row / (8 / CPR)) & (CPR - 1))) * 8);
#else
    return row * LDS + ch * 8;
#endif
}

static __device__ __forceinline__ unsigned smem_u32(const void *p)
{
    return (unsigned)__cvta_generic_to_shared(p);
}

static __device__ __forceinline__ void cp_async16(unsigned dst, const void *src, bool valid)
{
    int n = valid ? 16 : 0; /* 0 bytes read: the 16 bytes are zero-filled */
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(n));
}
static __device__ __forceinline__ void cp_async_commit()
{
    asm volatile("cp.async.commit_group;\n" ::);
}
template <int N> static __device__ __forceinline__ void cp_async_wait()
{
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

static __device__ __forceinline__ void ldmatrix_x4(unsigned addr, unsigned &r0, unsigned &r1,
                                                   unsigned &r2, unsigned &r3)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(addr));
}

static __device__ __forceinline__ void mma16816(float *d, const unsigned *a, const unsigned *b)
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32." MMA_TYPE "." MMA_TYPE ".f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

/* copy one BM x BK slice of A and one BN x BK slice of B (k-tile kt) into a stage */
static __device__ __forceinline__ void load_stage(elem_t *sA, elem_t *sB,
                                                  const elem_t *__restrict__ A,
                                                  const elem_t *__restrict__ B, int m0, int n0,
                                                  int kt, int M, int N, int K, int tid)
{
    int k0 = kt * BK;
#pragma unroll
    for (int i = 0; i < BM * CPR / NT; i++) {
        int c = tid + i * NT, row = c / CPR, ch = c % CPR;
        int gm = m0 + row;
        bool ok = gm < M;
        const elem_t *src = A + (size_t)(ok ? gm : 0) * K + k0 + ch * 8;
        cp_async16(smem_u32(sA + soff(row, ch)), src, ok);
    }
#pragma unroll
    for (int i = 0; i < BN * CPR / NT; i++) {
        int c = tid + i * NT, row = c / CPR, ch = c % CPR;
        int gn = n0 + row;
        bool ok = gn < N;
        const elem_t *src = B + (size_t)(ok ? gn : 0) * K + k0 + ch * 8;
        cp_async16(smem_u32(sB + soff(row, ch)), src, ok);
    }
}

extern "C" __global__ void __launch_bounds__(NT)
    gemm_mma(const elem_t *__restrict__ A, const elem_t *__restrict__ B, elem_t *__restrict__ C,
             float *__restrict__ partial, int M, int N, int K)
{
    extern __shared__ __align__(128) unsigned char smem_raw[];
    elem_t *smA = reinterpret_cast<elem_t *>(smem_raw);
    elem_t *smB = smA + STAGES * A_STAGE;

    int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    int wm0 = (warp / (BN / WN)) * WM, wn0 = (warp % (BN / WN)) * WN;

    /* grouped rasterisation: GROUP_M tile rows share the B tiles they read from L2 */
    int tiles_m = (M + BM - 1) / BM, tiles_n = (N + BN - 1) / BN;
    int pid = blockIdx.x;
    int group = pid / (GROUP_M * tiles_n);
    int first_m = group * GROUP_M;
    int gsize = min(tiles_m - first_m, GROUP_M);
    int tm = first_m + (pid % (GROUP_M * tiles_n)) % gsize;
    int tn = (pid % (GROUP_M * tiles_n)) / gsize;
    int m0 = tm * BM, n0 = tn * BN;

    int ktiles = K / BK;
    int per = (ktiles + KSPLIT - 1) / KSPLIT;
    int kt0 = blockIdx.z * per;
    int nk = min(ktiles - kt0, per);
    if (nk < 0) nk = 0;

    float acc[MI][NI][4];
#pragma unroll
    for (int i = 0; i < MI; i++)
#pragma unroll
        for (int j = 0; j < NI; j++)
#pragma unroll
            for (int r = 0; r < 4; r++)
                acc[i][j][r] = 0.f;

#pragma unroll
    for (int s = 0; s < STAGES - 1; s++) {
        if (s < nk)
            load_stage(smA + s * A_STAGE, smB + s * B_STAGE, A, B, m0, n0, kt0 + s, M, N, K, tid);
        cp_async_commit();
    }

    for (int t = 0; t < nk; t++) {
        cp_async_wait<STAGES - 2>();
        __syncthreads(); /* tile t landed for all; stage (t-1)%STAGES is free again */
        int pf = t + STAGES - 1;
        if (pf < nk) {
            int ps = pf % STAGES;
            load_stage(smA + ps * A_STAGE, smB + ps * B_STAGE, A, B, m0, n0, kt0 + pf, M, N, K,
                       tid);
        }
        cp_async_commit();

        const elem_t *sA = smA + (t % STAGES) * A_STAGE;
        const elem_t *sB = smB + (t % STAGES) * B_STAGE;
#pragma unroll
        for (int kk = 0; kk < BK / 16; kk++) {
            unsigned af[MI][4], bf[NI][2];
#pragma unroll
            for (int i = 0; i < MI; i++) {
                int row = wm0 + i * 16 + (lane & 15);
                int ch = kk * 2 + (lane >> 4);
                ldmatrix_x4(smem_u32(sA + soff(row, ch)), af[i][0], af[i][1], af[i][2], af[i][3]);
            }
#pragma unroll
            for (int j = 0; j < NI; j += 2) {
                int row = wn0 + j * 8 + (lane & 7) + ((lane >> 4) << 3);
                int ch = kk * 2 + ((lane >> 3) & 1);
                ldmatrix_x4(smem_u32(sB + soff(row, ch)), bf[j][0], bf[j][1], bf[j + 1][0],
                            bf[j + 1][1]);
            }
#pragma unroll
            for (int i = 0; i < MI; i++)
#pragma unroll
                for (int j = 0; j < NI; j++)
                    mma16816(acc[i][j], af[i], bf[j]);
        }
    }
    cp_async_wait<0>();

#pragma unroll
    for (int i = 0; i < MI; i++) {
#pragma unroll
        for (int j = 0; j < NI; j++) {
            int row = m0 + wm0 + i * 16 + (lane >> 2);
            int col = n0 + wn0 + j * 8 + (lane & 3) * 2;
            if (col >= N) continue;
#pragma unroll
            for (int h = 0; h < 2; h++) {
                int r = row + h * 8;
                if (r >= M) continue;
#if KSPLIT > 1
                float2 v = make_float2(acc[i][j][2 * h], acc[i][j][2 * h + 1]);
                *reinterpret_cast<float2 *>(partial + ((size_t)blockIdx.z * M + r) * N + col) = v;
#else
                *reinterpret_cast<elem2_t *>(C + (size_t)r * N + col) =
                    pack2(acc[i][j][2 * h], acc[i][j][2 * h + 1]);
#endif
            }
        }
    }
}

/* Sums the KSPLIT fp32 partials into C; not launched when KSPLIT == 1 (the plan's `when`). */
extern "C" __global__ void __launch_bounds__(256)
    gemm_splitk_reduce(const float *__restrict__ partial, elem_t *__restrict__ C, int M, int N)
{
#if KSPLIT > 1
    size_t total = (size_t)M * N;
    size_t i = ((size_t)blockIdx.x * 256 + threadIdx.x) * 4;
    if (i >= total) return;
    float4 s = *reinterpret_cast<const float4 *>(partial + i);
#pragma unroll
    for (int z = 1; z < KSPLIT; z++) {
        float4 v = *reinterpret_cast<const float4 *>(partial + (size_t)z * total + i);
        s.x += v.x;
        s.y += v.y;
        s.z += v.z;
        s.w += v.w;
    }
    elem2_t lo = pack2(s.x, s.y), hi = pack2(s.z, s.w);
    *reinterpret_cast<elem2_t *>(C + i) = lo;
    *reinterpret_cast<elem2_t *>(C + i + 2) = hi;
#endif
}
