/* gemm_wgmma.cu -- GEMM seed for Hopper (sm_90a): C[M,N] = A[M,K] @ B[N,K]^T with warpgroup
 * MMA (wgmma.mma_async m64nBNk16, fp32 accumulate, both operands from shared memory).
 * BM/64 warpgroups each own 64 rows of the BM x BN block tile. All threads copy BM x 64 and
 * BN x 64 K-slices with cp.async into a STAGES-deep ring laid out in the 128-byte swizzle
 * that wgmma's shared-memory descriptors read (rows of 128 B, 16-byte chunk c of row r at
 * c ^ (r % 8), stages 1024-byte aligned); a proxy fence + barrier publishes each slice to
 * the tensor cores; one wgmma group stays in flight while the next slice is issued.
 * Blocks are rasterised in groups of GROUP_M tile rows for L2 reuse. fp16 by default, bf16
 * with -DEVO_BF16=1. Any M; N a multiple of 8 (partial N tiles guarded); K a multiple of 64.
 * For small M see gemm_wgmma_splitk.cu (the same kernel with K split across blocks).
 *
 * Tunable parameters:
 *   BM       set 64 128 192 256   block rows = 64 per warpgroup (threads = BM/64*128)
 *   BN       set 64 128 256       block columns = wgmma N
 *   STAGES   range 3..8           shared-memory ring depth (BK is fixed at 64)
 *   GROUP_M  set 1 4 8 16         block rasterisation group (1 = row-major order)
 *   WS       bool                 1: warp-specialised, an extra producer warpgroup copies
 *                                 and mbarriers (full/empty per slot) replace block barriers
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#error "gemm_wgmma.cu needs sm_90a (wgmma): compile it for H100/H200 only"
#endif

/* evo:params
 BM      set 64 128 192 256  default 128
 BN      set 64 128 256      default 256
 STAGES  range 3..8          default 4
 GROUP_M set 1 4 8 16        default 16
 WS      bool                default 1
 require (BM / 64 + WS) * 128 * (BN / 2 + 40) <= 65536
 require (BM + BN) * 128 * STAGES + 1024 + 128 <= SMEM_LIMIT
*/

/* evo:launch
 kernel gemm_wgmma
   grid  ceil_div(M, BM) * ceil_div(N, BN)
   block (BM / 64 + WS) * 128
   smem  (BM + BN) * 128 * STAGES + 1024
   args  A, B, C, M, N, K
*/

#ifndef BM
#define BM 128
#endif
#ifndef BN
#define BN 256
#endif
#ifndef STAGES
#define STAGES 4
#endif
#ifndef GROUP_M
#define GROUP_M 16
#endif
#ifndef WS
#define WS 1
#endif

#define BK 64
#define NWG (BM / 64)
#define NT ((NWG + WS) * 128) /* WS adds a producer warpgroup */
#define A_BYTES (BM * 128)    /* one stage of A: BM rows of 64 elements */
#define B_BYTES (BN * 128)

#ifdef EVO_BF16
typedef __nv_bfloat16 elem_t;
typedef __nv_bfloat162 elem2_t;
#define WG_TYPE "bf16"
static __device__ __forceinline__ elem2_t pack2(float a, float b)
{
    return __floats2bfloat162_rn(a, b);
}
#else
typedef __half elem_t;
typedef __half2 elem2_t;
#define WG_TYPE "f16"
static __device__ __forceinline__ elem2_t pack2(float a, float b)
{
    return __floats2half2_rn(a, b);
}
#endif

#if BN == 64
static __device__ __forceinline__ void wgmma_n64(float *d, unsigned long long da,
                                                 unsigned long long db)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n64k16.f32." WG_TYPE "." WG_TYPE " "
                 "{"
                 "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
                 "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31"
                 "}, %32, %33, p, 1, 1, 0, 0;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]),
                   "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]),
                   "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]),
                   "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
                   "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]),
                   "+f"(d[30]), "+f"(d[31])
                 : "l"(da), "l"(db), "r"(1));
}
#define WGMMA wgmma_n64
#endif
#if BN == 128
static __device__ __forceinline__ void wgmma_n128(float *d, unsigned long long da,
                                                  unsigned long long db)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32." WG_TYPE "." WG_TYPE " "
                 "{"
                 "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
                 "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
                 "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
                 "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"
                 "}, %64, %65, p, 1, 1, 0, 0;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]),
                   "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]),
                   "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]),
                   "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
                   "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]),
                   "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]),
                   "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]),
                   "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
                   "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]),
                   "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]),
                   "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                 : "l"(da), "l"(db), "r"(1));
}
#define WGMMA wgmma_n128
#endif
#if BN == 256
static __device__ __forceinline__ void wgmma_n256(float *d, unsigned long long da,
                                                  unsigned long long db)
{
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32." WG_TYPE "." WG_TYPE " "
        "{"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "
        "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "
        "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "
        "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, "
        "%111, "
        "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, "
        "%127"
        "}, %128, %129, p, 1, 1, 0, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]),
          "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]),
          "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]),
          "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]),
          "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]),
          "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]),
          "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]),
          "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]),
          "+f"(d[63]), "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]),
          "+f"(d[70]), "+f"(d[71]), "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]),
          "+f"(d[77]), "+f"(d[78]), "+f"(d[79]), "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]),
          "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]), "+f"(d[88]), "+f"(d[89]), "+f"(d[90]),
          "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]), "+f"(d[96]), "+f"(d[97]),
          "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
          "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]),
          "+f"(d[110]), "+f"(d[111]), "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]),
          "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]), "+f"(d[120]), "+f"(d[121]),
          "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
        : "l"(da), "l"(db), "r"(1));
}
#define WGMMA wgmma_n256
#endif

static __device__ __forceinline__ void cp_async16(unsigned dst, const void *src, bool valid)
{
    int n = valid ? 16 : 0; /* 0 bytes read: the 16 bytes are zero-filled */
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(n));
}
#if !WS
static __device__ __forceinline__ void cp_async_commit()
{
    asm volatile("cp.async.commit_group;\n" ::);
}
#endif
template <int N> static __device__ __forceinline__ void cp_async_wait()
{
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}
static __device__ __forceinline__ void wgmma_fence()
{
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
static __device__ __forceinline__ void wgmma_commit()
{
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
template <int N> static __device__ __forceinline__ void wgmma_wait()
{
    asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}

#if WS
static __device__ __forceinline__ void mbar_init(unsigned bar, unsigned count)
{
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count));
}
static __device__ __forceinline__ void mbar_wait(unsigned bar, unsigned parity)
{
    asm volatile("{\n.reg .pred p;\nWAIT_%=:\n"
                 "mbarrier.try_wait.parity.shared::cta.b64 p, [%0], %1;\n"
                 "@!p bra WAIT_%=;\n}\n" ::"r"(bar),
                 "r"(parity)
                 : "memory");
}
static __device__ __forceinline__ void mbar_arrive(unsigned bar)
{
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
/* arrives on bar once all of this thread's earlier cp.async copies have landed */
static __device__ __forceinline__ void mbar_arrive_cp_async(unsigned bar)
{
    asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(bar) : "memory");
}
#endif

/* Shared-memory matrix descriptor: K-major, 128-byte swizzle, 8-row groups 1024 B apart. */
static __device__ __forceinline__ unsigned long long sdesc(unsigned addr)
{
    return (unsigned long long)((addr & 0x3FFFF) >> 4) | (1ull << 16) |
           ((unsigned long long)(1024 >> 4) << 32) | (1ull << 62);
}

/* copy the 64-wide K slice kt of A rows m0.. and B rows n0.. into one stage */
template <int NTH>
static __device__ __forceinline__ void
load_stage(unsigned sA, unsigned sB, const elem_t *__restrict__ A, const elem_t *__restrict__ B,
           int m0, int n0, int kt, int M, int N, int K, int tid)
{
    int k0 = kt * BK;
#pragma unroll
    for (int i = 0; i < (BM * 8 + NTH - 1) / NTH; i++) {
        int c = tid + i * NTH, row = c >> 3, ch = c & 7;
        if ((BM * 8) % NTH != 0 && c >= BM * 8) break;
        bool ok = m0 + row < M;
        const elem_t *src = A + (size_t)(ok ? m0 + row : 0) * K + k0 + ch * 8;
        cp_async16(sA + row * 128 + ((ch ^ (row & 7)) << 4), src, ok);
    }
#pragma unroll
    for (int i = 0; i < (BN * 8 + NTH - 1) / NTH; i++) {
        int c = tid + i * NTH, row = c >> 3, ch = c & 7;
        if ((BN * 8) % NTH != 0 && c >= BN * 8) break;
        bool ok = n0 + row < N;
        const elem_t *src = B + (size_t)(ok ? n0 + row : 0) * K + k0 + ch * 8;
        cp_async16(sB + row * 128 + ((ch ^ (row & 7)) << 4), src, ok);
    }
}

extern "C" __global__ void __launch_bounds__(NT, 1)
    gemm_wgmma(const elem_t *__restrict__ A, const elem_t *__restrict__ B, elem_t *__restrict__ C,
               int M, int N, int K)
{
    extern __shared__ unsigned char smem_raw[];
    /* the 128-byte swizzle is defined on address bits, so stages start 1024-aligned */
    unsigned base = ((unsigned)__cvta_generic_to_shared(smem_raw) + 1023u) & ~1023u;
    unsigned smA = base, smB = base + STAGES * A_BYTES;

    int tid = threadIdx.x, wg = tid >> 7, lt = tid & 127;

    int tiles_m = (M + BM - 1) / BM, tiles_n = (N + BN - 1) / BN;
    int pid = blockIdx.x;
    int group = pid / (GROUP_M * tiles_n);
    int first_m = group * GROUP_M;
    int gsize = min(tiles_m - first_m, GROUP_M);
    int tm = first_m + (pid % (GROUP_M * tiles_n)) % gsize;
    int tn = (pid % (GROUP_M * tiles_n)) / gsize;
    int m0 = tm * BM, n0 = tn * BN;

    float d[BN / 2];
    const int kt0 = 0; /* first K slice (gemm_wgmma_splitk.cu splits K across blocks) */
    int nk = K / BK;
#if WS
    /* Warp-specialised: warpgroup 0 copies (cp.async, completion signalled on full[s]),
     * warpgroups 1..NWG multiply and hand each slot back through empty[s]. */
    __shared__ __align__(8) unsigned long long full_bar[STAGES], empty_bar[STAGES];
    unsigned fb = (unsigned)__cvta_generic_to_shared(full_bar);
    unsigned eb = (unsigned)__cvta_generic_to_shared(empty_bar);
    if (tid == 0) {
        for (int s = 0; s < STAGES; s++) {
            mbar_init(fb + 8 * s, 128);       /* one cp.async arrival per producer thread */
            mbar_init(eb + 8 * s, NWG * 128); /* one arrival per consumer thread */
        }
        asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    }
    __syncthreads();
    if (wg == 0) {
        for (int t = 0; t < nk; t++) {
            int s = t % STAGES, r = t / STAGES;
            if (r > 0) mbar_wait(eb + 8 * s, (r - 1) & 1);
            load_stage<128>(smA + s * A_BYTES, smB + s * B_BYTES, A, B, m0, n0, kt0 + t, M, N, K,
                            lt);
            mbar_arrive_cp_async(fb + 8 * s);
        }
        cp_async_wait<0>();
        return;
    }
    wg -= 1;
#pragma unroll
    for (int i = 0; i < BN / 2; i++)
        d[i] = 0.f;
    for (int t = 0; t < nk; t++) {
        int s = t % STAGES;
        mbar_wait(fb + 8 * s, (t / STAGES) & 1);
        /* the copies were generic-proxy writes; the tensor cores read through the async proxy */
        asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
        unsigned a0 = smA + s * A_BYTES + wg * 64 * 128, b0 = smB + s * B_BYTES;
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < BK / 16; kk++)
            WGMMA(d, sdesc(a0 + kk * 32), sdesc(b0 + kk * 32));
        wgmma_commit();
        wgmma_wait<1>(); /* tile t-1's wgmma has retired: its slot can be refilled */
        /* every consumer thread arrives: a lane-0-only branch here makes ptxas serialise
         * the wgmma pipeline (C7515) */
        if (t > 0) mbar_arrive(eb + 8 * ((t - 1) % STAGES));
    }
    wgmma_wait<0>();
#else
#pragma unroll
    for (int i = 0; i < BN / 2; i++)
        d[i] = 0.f;
        /* Tiles run STAGES-2 ahead: at iteration t the slot of tile t-2 is refilled, and every
     * warpgroup has retired tile t-2's wgmma (wait_group 1 after issuing t-1) before the
     * barrier of iteration t. */
#pragma unroll
    for (int s = 0; s < STAGES - 2; s++) {
        if (s < nk)
            load_stage<NT>(smA + s * A_BYTES, smB + s * B_BYTES, A, B, m0, n0, kt0 + s, M, N, K,
                           tid);
        cp_async_commit();
    }
    for (int t = 0; t < nk; t++) {
        cp_async_wait<STAGES - 3>();
        asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
        __syncthreads();
        int pf = t + STAGES - 2;
        if (pf < nk) {
            int ps = pf % STAGES;
            load_stage<NT>(smA + ps * A_BYTES, smB + ps * B_BYTES, A, B, m0, n0, kt0 + pf, M, N, K,
                           tid);
        }
        cp_async_commit();

        int s = t % STAGES;
        unsigned a0 = smA + s * A_BYTES + wg * 64 * 128, b0 = smB + s * B_BYTES;
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < BK / 16; kk++)
            WGMMA(d, sdesc(a0 + kk * 32), sdesc(b0 + kk * 32));
        wgmma_commit();
        wgmma_wait<1>();
    }
    wgmma_wait<0>();

#endif

    /* accumulator layout: warp w of the warpgroup owns rows 16w..16w+15; d[4j..4j+3] cover
     * columns 8j + 2*(lane%4) + {0,1} of rows lane/4 and lane/4 + 8 */
    int warp = lt >> 5, lane = lt & 31;
    int row = m0 + wg * 64 + warp * 16 + (lane >> 2);
#pragma unroll
    for (int j = 0; j < BN / 8; j++) {
        int col = n0 + j * 8 + (lane & 3) * 2;
        if (col >= N) continue;
        if (row < M)
            *reinterpret_cast<elem2_t *>(C + (size_t)row * N + col) = pack2(d[4 * j], d[4 * j + 1]);
        if (row + 8 < M)
            *reinterpret_cast<elem2_t *>(C + (size_t)(row + 8) * N + col) =
                pack2(d[4 * j + 2], d[4 * j + 3]);
    }
}
