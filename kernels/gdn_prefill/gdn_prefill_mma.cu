/* gdn_prefill_mma.cu -- GDN prefill in chunks of C tokens on tensor cores (mma.sync TF32),
 * split in two kernels so that only what truly depends on the previous chunk stays sequential.
 *
 * Notation (per sequence and v head; the k-last state [V][K] is handled as H = S^T [K][V]):
 * lG_i = sum_{s<=i} log g_s within the chunk (log space: ratios never overflow),
 *   A_ij = beta_i e^(lG_i - lG_j) k_i.k_j  (j < i)      T' = (I + A)^-1 diag(beta)
 *   P_ij = e^(lG_i - lG_j) q_i.k_j         (j <= i)
 *   W    = T' diag(e^lG) K      U~ = T' V               (the WY / UT representation)
 *   U    = U~ - W H                                     (the delta rule's "new values")
 *   O    = scale (diag(e^lG) Q H + P U)
 *   H   <- e^lG_L H + (diag(e^(lG_L - lG)) K)^T U
 *
 * gdn_prefill_prep: one block per (chunk, k head), all chunks of all sequences at once (they
 * are independent): the Gram matrices K K^T and Q K^T (shared by the k head's two v heads),
 * the gates, T' by forward substitution (one column per thread, in registers), then W and U~
 * on tensor cores. Writes W, U~ ([token][v head][128]), P ([token][v head][C]) and the decay
 * factors e^lG_i, e^(lG_L - lG_i) ([2][v head][token]); W and P already rounded to TF32.
 * gdn_prefill_scan: one block per (sequence, v head, VT value columns); value columns of the
 * state are independent, so the state tile H [128][VT] stays in shared memory for the whole
 * sequence (read once, written once). Per chunk two phases, one barrier each: U = U~ - W H
 * with Q H beside it (same H fragments, four independent accumulator chains), then O and the
 * state update. The next chunk's q, k, W, U~, P and decays arrive by cp.async meanwhile.
 * Operands that are bf16 inputs are exact in TF32; f32 operands are rounded to TF32 (10-bit
 * mantissa); every accumulation, and the state itself, is f32.
 * An absent state (NULL) starts from zeros; an empty sequence leaves new_state zero (as the
 * definition's reference does); scale 0 = 1/sqrt(128).
 *
 * Tunable parameters:
 *   C    set 16 32 64   tokens per chunk (longer chunks: fewer sequential steps, more work each)
 *   VT   set 8 16 32    value columns per scan block: 8 * 128 / VT blocks per sequence
 *   NW   set 1 2 4 8    warps per scan block
 *   PW   set 2 4 8      warps per prep block
 */
#include <cuda_bf16.h>

/* evo:params
 C       set 16 32 64       default 32
 VT      set 8 16 32        default 8
 NW      set 1 2 4 8        default 8
 PW      set 2 4 8          default 8
 require 512 * (VT == 8 ? 8 : VT + 8) + 2 * (1072 * C + 4 * C * VT + 4 * C * (C + 4) + 8 * C) + 8 * C * (VT == 8 ? 8 : VT + 8) <= SMEM_LIMIT
*/

/* evo:launch
 workspace ww float32 total_seq_len * num_v_heads * head_size
 workspace uw float32 total_seq_len * num_v_heads * head_size
 workspace pw float32 total_seq_len * num_v_heads * C
 workspace gw float32 2 * total_seq_len * num_v_heads
 kernel gdn_prefill_prep
   grid  ceil_div(total_seq_len, C) + num_seqs, num_k_heads
   block PW * 32
   smem  1088 * C + 16 * C * (C + 4) + 24 * C
   args  q, k, v, A_log, a, dt_bias, b, cu_seqlens, ww, uw, pw, gw, num_seqs,
   args  total_seq_len
 kernel gdn_prefill_scan
   grid  num_seqs * num_v_heads * (head_size / VT)
   block NW * 32
   smem  512 * (VT == 8 ? 8 : VT + 8) + 2 * (1072 * C + 4 * C * VT + 4 * C * (C + 4) + 8 * C) + 8 * C * (VT == 8 ? 8 : VT + 8)
   args  q, k, state, cu_seqlens, ww, uw, pw, gw, scale, output, new_state, num_seqs,
   args  total_seq_len
*/

#ifndef C
#define C 32
#endif
#ifndef VT
#define VT 8
#endif
#ifndef NW
#define NW 8
#endif
#ifndef PW
#define PW 8
#endif

#define HK 4
#define HV 8
#define D 128
#define KP 136                          /* bf16 row of a q/k/v chunk: 272 bytes, no bank conflicts */
#define CP (C + 4)                      /* f32 row of a C x C matrix */
#define WP (D + 4)                      /* f32 row of W in the scan */
#define HS (VT == 8 ? 8 : VT + 8)       /* f32 row of a [*][VT] tile: conflict-free B fragments */

typedef __nv_bfloat16 bf16;

/* ---- tensor-core and copy primitives ------------------------------------------------------ */

__device__ __forceinline__ unsigned tf32(float f)
{
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(f));
    return r;
}

/* A bf16 value is exact in TF32: its bits as f32 are already a valid operand. */
__device__ __forceinline__ unsigned bf(const bf16 *p)
{
    return __float_as_uint(__bfloat162float(*p));
}

/* d += a (16x8, row) * b (8x8, col). Fragments: g = lane / 4, t = lane % 4;
 * a0 (g, t) a1 (g+8, t) a2 (g, t+4) a3 (g+8, t+4); b0 (t, g) b1 (t+4, g);
 * d0 (g, 2t) d1 (g, 2t+1) d2 (g+8, 2t) d3 (g+8, 2t+1). */
__device__ __forceinline__ void mma(float *d, unsigned a0, unsigned a1, unsigned a2, unsigned a3,
                                    unsigned b0, unsigned b1)
{
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

/* 16-byte asynchronous copy; bytes = 0 fills the destination with zeros. */
__device__ __forceinline__ void cp16(void *dst, const void *src, int bytes)
{
    unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(src), "r"(bytes));
}

__device__ __forceinline__ void cp4(void *dst, const void *src, int bytes)
{
    unsigned s = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(s), "l"(src), "r"(bytes));
}

__device__ __forceinline__ void cp_commit() { asm volatile("cp.async.commit_group;\n"); }
__device__ __forceinline__ void cp_wait_all() { asm volatile("cp.async.wait_group 0;\n"); }

/* ---- kernel 1: per-chunk matrices, every chunk in parallel -------------------------------- */

extern "C" __global__ void __launch_bounds__(PW * 32) gdn_prefill_prep(
    const bf16 *__restrict__ q, const bf16 *__restrict__ k, const bf16 *__restrict__ v,
    const float *__restrict__ A_log, const bf16 *__restrict__ a, const float *__restrict__ dt_bias,
    const bf16 *__restrict__ b, const long long *__restrict__ cu_seqlens, float *__restrict__ ww,
    float *__restrict__ uw, float *__restrict__ pw, float *__restrict__ gw, int num_seqs, int total)
{
    extern __shared__ __align__(16) unsigned char smem[];
    bf16 *Ks = (bf16 *)smem;                     /* [C][KP] */
    bf16 *Qs = Ks + C * KP;                      /* [C][KP] */
    bf16 *Vs = Qs + C * KP;                      /* [2][C][KP] both v heads */
    float *KK = (float *)(smem + 1088 * C);      /* [C][CP] */
    float *QK = KK + C * CP;                     /* [C][CP] */
    float *Tm = KK;                              /* [2][C][CP] T', over KK/QK once used */
    float *Am = QK + C * CP;                     /* [2][C][CP] */
    float *lG = Am + 2 * C * CP;                 /* [2][C] */
    float *bt = lG + 2 * C;                      /* [2][C] */
    float *eg = bt + 2 * C;                      /* [2][C] e^lG */

    /* Which chunk: blocks enumerate the chunks of all sequences in order. */
    long long c0 = -1;
    int L = 0, ci = blockIdx.x;
    for (int s = 0; s < num_seqs; s++) {
        long long t0 = cu_seqlens[s], t1 = cu_seqlens[s + 1];
        int n = (int)((t1 - t0 + C - 1) / C);
        if (ci < n) {
            c0 = t0 + (long long)ci * C;
            L = (int)min((long long)C, t1 - c0);
            break;
        }
        ci -= n;
    }
    if (c0 < 0) return;
    const int hk = blockIdx.y, tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;

    /* q, k and both heads' v: every load issued before any store (one memory round trip). */
    {
        const int NL = C * (D / 8) / (PW * 32);
        uint4 kv[NL], qv[NL], v0[NL], v1[NL];
#pragma unroll
        for (int u = 0; u < NL; u++) {
            int e = tid + u * PW * 32, i = e / (D / 8), c = e % (D / 8);
            kv[u] = qv[u] = v0[u] = v1[u] = make_uint4(0, 0, 0, 0);
            if (i < L) {
                size_t off = ((size_t)(c0 + i) * HK + hk) * D + c * 8;
                size_t vo = ((size_t)(c0 + i) * HV + hk * 2) * D + c * 8;
                kv[u] = *(const uint4 *)(k + off);
                qv[u] = *(const uint4 *)(q + off);
                v0[u] = *(const uint4 *)(v + vo);
                v1[u] = *(const uint4 *)(v + vo + D);
            }
        }
#pragma unroll
        for (int u = 0; u < NL; u++) {
            int e = tid + u * PW * 32, i = e / (D / 8), c = e % (D / 8);
            *(uint4 *)(Ks + i * KP + c * 8) = kv[u];
            *(uint4 *)(Qs + i * KP + c * 8) = qv[u];
            *(uint4 *)(Vs + i * KP + c * 8) = v0[u];
            *(uint4 *)(Vs + (C + i) * KP + c * 8) = v1[u];
        }
    }
    /* Gates of the two v heads; padding rows: no decay (log g = 0), no update (beta = 0). */
    for (int e = tid; e < 2 * C; e += PW * 32) {
        int hh = e / C, i = e % C, h = hk * 2 + hh;
        float lg = 0.0f, be = 0.0f;
        if (i < L) {
            size_t gi = (size_t)(c0 + i) * HV + h;
            float x = __bfloat162float(a[gi]) + dt_bias[h];
            float sp = x > 20.0f ? x : log1pf(expf(x));
            lg = -expf(A_log[h]) * sp;
            be = 1.0f / (1.0f + expf(-__bfloat162float(b[gi])));
        }
        lG[e] = lg;
        bt[e] = be;
    }
    __syncthreads();
    /* Inclusive scan of log g, one warp per v head, E consecutive tokens per lane. */
    if (warp < 2) {
        const int E = (C + 31) / 32;
        float x[E], run = 0.0f;
#pragma unroll
        for (int u = 0; u < E; u++) {
            int i = lane * E + u;
            run += i < C ? lG[warp * C + i] : 0.0f;
            x[u] = run;
        }
        float incl = run;
#pragma unroll
        for (int o = 1; o < 32; o <<= 1) {
            float y = __shfl_up_sync(0xffffffffu, incl, o);
            if (lane >= o) incl += y;
        }
        float before = incl - run;
#pragma unroll
        for (int u = 0; u < E; u++) {
            int i = lane * E + u;
            if (i < C) {
                lG[warp * C + i] = x[u] + before;
                eg[warp * C + i] = expf(x[u] + before);
            }
        }
    }
    /* Gram products on tensor cores, lower-triangular tiles only; two accumulators per tile
     * halve the dependent chain of mma. */
    const int NTC = C / 8, NTILE = (C / 16) * NTC;
    for (int tI = warp; tI < 2 * NTILE; tI += PW) {
        int which = tI / NTILE, mt = (tI % NTILE) / NTC, nt = tI % NTC;
        if (nt * 8 > mt * 16 + 15) continue;
        const bf16 *X = which ? Qs : Ks;
        float c0a[4] = {0.0f, 0.0f, 0.0f, 0.0f}, c1a[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        const bf16 *ar = X + (mt * 16 + g) * KP + t, *br = Ks + (nt * 8 + g) * KP + t;
#pragma unroll 4
        for (int k0 = 0; k0 < D; k0 += 16) {
            mma(c0a, bf(ar + k0), bf(ar + 8 * KP + k0), bf(ar + k0 + 4), bf(ar + 8 * KP + k0 + 4),
                bf(br + k0), bf(br + k0 + 4));
            mma(c1a, bf(ar + k0 + 8), bf(ar + 8 * KP + k0 + 8), bf(ar + k0 + 12),
                bf(ar + 8 * KP + k0 + 12), bf(br + k0 + 8), bf(br + k0 + 12));
        }
        float *out = (which ? QK : KK) + (mt * 16 + g) * CP + nt * 8 + 2 * t;
        out[0] = c0a[0] + c1a[0];
        out[1] = c0a[1] + c1a[1];
        out[8 * CP] = c0a[2] + c1a[2];
        out[8 * CP + 1] = c0a[3] + c1a[3];
    }
    __syncthreads();
    /* A of both heads; P and the decay factors straight to the workspaces. */
    for (int e = tid; e < 2 * C * C; e += PW * 32) {
        int hh = e / (C * C), i = (e / C) % C, j = e % C, h = hk * 2 + hh;
        float dec = j <= i ? expf(lG[hh * C + i] - lG[hh * C + j]) : 0.0f;
        Am[(hh * C + i) * CP + j] = j < i ? bt[hh * C + i] * dec * KK[i * CP + j] : 0.0f;
        /* Tiles above the diagonal were never computed: select, do not multiply by 0. */
        if (i < L)
            pw[((size_t)(c0 + i) * HV + h) * C + j] =
                __uint_as_float(tf32(j <= i ? dec * QK[i * CP + j] : 0.0f));
    }
    for (int e = tid; e < 2 * L; e += PW * 32) {
        int hh = e / L, i = e % L, h = hk * 2 + hh;
        gw[(size_t)h * total + c0 + i] = eg[hh * C + i];
        gw[(size_t)(HV + h) * total + c0 + i] = expf(lG[hh * C + L - 1] - lG[hh * C + i]);
    }
    __syncthreads();
    /* T = (I + A)^-1 by forward substitution, one column per thread, kept in registers;
     * T' = T diag(beta) into shared memory. Rows past L come out zero (beta = 0 there). */
    for (int p = tid; p < 2 * C; p += PW * 32) {
        int hh = p / C, c = p % C;
        const float *A = Am + hh * C * CP;
        float x[C];
#pragma unroll
        for (int i = 0; i < C; i++) x[i] = i == c ? 1.0f : 0.0f;
#pragma unroll
        for (int i = 1; i < C; i++) {
            if (i >= L) break; /* rows past the sequence's end only hold the identity */
            float acc = x[i];
#pragma unroll
            for (int j = 0; j < i; j++) acc -= A[i * CP + j] * x[j];
            x[i] = acc;
        }
        float bc = bt[hh * C + c];
#pragma unroll
        for (int i = 0; i < C; i++) Tm[(hh * C + i) * CP + c] = x[i] * bc;
    }
    __syncthreads();
    /* W = T' diag(e^lG) K and U~ = T' V for both heads: [C][128] each, T' lower triangular. */
    for (int jb = warp; jb < 2 * 2 * (C / 16) * (D / 8); jb += PW) {
        int nt = jb % (D / 8), mt = (jb / (D / 8)) % (C / 16), isu = (jb / (D / 8) / (C / 16)) % 2;
        int hh = jb / (D / 8) / (C / 16) / 2, h = hk * 2 + hh;
        const float *ar = Tm + (hh * C + mt * 16 + g) * CP + t;
        const bf16 *br = (isu ? Vs + hh * C * KP : Ks) + t * KP + nt * 8 + g;
        const float *e = eg + hh * C + t;
        float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int k0 = 0; k0 < mt * 16 + 16; k0 += 8) {
            float x0 = __bfloat162float(br[k0 * KP]), x1 = __bfloat162float(br[(k0 + 4) * KP]);
            unsigned b0 = isu ? __float_as_uint(x0) : tf32(e[k0] * x0);
            unsigned b1 = isu ? __float_as_uint(x1) : tf32(e[k0 + 4] * x1);
            mma(acc, tf32(ar[k0]), tf32(ar[8 * CP + k0]), tf32(ar[k0 + 4]),
                tf32(ar[8 * CP + k0 + 4]), b0, b1);
        }
        int r0 = mt * 16 + g, cn = nt * 8 + 2 * t;
        float *dst = isu ? uw : ww;
        float2 lo = make_float2(acc[0], acc[1]), hi = make_float2(acc[2], acc[3]);
        if (!isu) {
            lo = make_float2(__uint_as_float(tf32(lo.x)), __uint_as_float(tf32(lo.y)));
            hi = make_float2(__uint_as_float(tf32(hi.x)), __uint_as_float(tf32(hi.y)));
        }
        if (r0 < L) *(float2 *)(dst + ((size_t)(c0 + r0) * HV + h) * D + cn) = lo;
        if (r0 + 8 < L) *(float2 *)(dst + ((size_t)(c0 + r0 + 8) * HV + h) * D + cn) = hi;
    }
}

/* ---- kernel 2: the sequential scan over chunks -------------------------------------------- */

#define STAGE_BYTES (544 * C + 4 * C * WP + 4 * C * VT + 4 * C * CP + 8 * C)
#define NTA ((C / 16) * (VT / 8))               /* [C][VT] output tiles */
#define TPW ((NTA + NW - 1) / NW)               /* of them per warp */

struct stage {
    bf16 *K, *Q;
    float *W, *U, *P, *G1, *G2;
};

__device__ __forceinline__ stage stage_at(unsigned char *base)
{
    stage s;
    s.K = (bf16 *)base;
    s.Q = s.K + C * KP;
    s.W = (float *)(s.Q + C * KP);
    s.U = s.W + C * WP;
    s.P = s.U + C * VT;
    s.G1 = s.P + C * CP;
    s.G2 = s.G1 + C;
    return s;
}

/* Issue the copies of one chunk (rows past L are zero-filled). A version with chunk base
 * pointers and 32-bit offsets measured slower on the H100 (scan at 8192 tokens 787 us vs
 * 680 us, bench/NOTES.md), so the plain form stays. */
__device__ __forceinline__ void load_chunk(stage s, const bf16 *q, const bf16 *k, const float *ww,
                                           const float *uw, const float *pw, const float *gw,
                                           long long c0, int L, int hk, int h, int vt, int total)
{
    const int tid = threadIdx.x;
    for (int e = tid; e < C * (D / 8); e += NW * 32) {
        int i = e / (D / 8), c = e % (D / 8), n = i < L ? 16 : 0;
        size_t off = i < L ? ((size_t)(c0 + i) * HK + hk) * D + c * 8 : 0;
        cp16(s.K + i * KP + c * 8, k + off, n);
        cp16(s.Q + i * KP + c * 8, q + off, n);
    }
    for (int e = tid; e < C * (D / 4); e += NW * 32) {
        int i = e / (D / 4), c = e % (D / 4), n = i < L ? 16 : 0;
        cp16(s.W + i * WP + c * 4, ww + (i < L ? ((size_t)(c0 + i) * HV + h) * D + c * 4 : 0), n);
    }
    for (int e = tid; e < C * (VT / 4); e += NW * 32) {
        int i = e / (VT / 4), c = e % (VT / 4), n = i < L ? 16 : 0;
        size_t off = i < L ? ((size_t)(c0 + i) * HV + h) * D + vt * VT + c * 4 : 0;
        cp16(s.U + i * VT + c * 4, uw + off, n);
    }
    for (int e = tid; e < C * (C / 4); e += NW * 32) {
        int i = e / (C / 4), c = e % (C / 4), n = i < L ? 16 : 0;
        cp16(s.P + i * CP + c * 4, pw + (i < L ? ((size_t)(c0 + i) * HV + h) * C + c * 4 : 0), n);
    }
    for (int i = tid; i < C; i += NW * 32) {
        int n = i < L ? 4 : 0;
        cp4(s.G1 + i, gw + (i < L ? (size_t)h * total + c0 + i : 0), n);
        cp4(s.G2 + i, gw + (i < L ? (size_t)(HV + h) * total + c0 + i : 0), n);
    }
    cp_commit();
}

extern "C" __global__ void __launch_bounds__(NW * 32) gdn_prefill_scan(
    const bf16 *__restrict__ q, const bf16 *__restrict__ k, const float *__restrict__ state,
    const long long *__restrict__ cu_seqlens, const float *__restrict__ ww,
    const float *__restrict__ uw, const float *__restrict__ pw, const float *__restrict__ gw,
    float scale, bf16 *__restrict__ output, float *__restrict__ new_state, int num_seqs, int total)
{
    extern __shared__ __align__(16) unsigned char smem[];
    float *Hs = (float *)smem;                                   /* [128][HS] state tile */
    unsigned char *stages = smem + 128 * HS * 4;
    float *Us = (float *)(stages + 2 * STAGE_BYTES);             /* [C][HS] U (TF32) */
    float *Uw = Us + C * HS;                                     /* [C][HS] decayed U (TF32) */

    const int tiles = D / VT;
    int blk = blockIdx.x;
    int vt = blk % tiles, h = (blk / tiles) % HV, sq = blk / (tiles * HV);
    if (sq >= num_seqs) return;
    const int hk = h / (HV / HK), tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;
    const long long t0 = cu_seqlens[sq], t1 = cu_seqlens[sq + 1];
    const size_t sbase = ((size_t)(sq * HV + h) * D + vt * VT) * D; /* state [V][K] rows */
    if (scale == 0.0f) scale = rsqrtf((float)D);

    if (t1 > t0)
        load_chunk(stage_at(stages), q, k, ww, uw, pw, gw, t0, (int)min((long long)C, t1 - t0), hk,
                   h, vt, total);
    /* The state tile in one batch of float4 loads (a loop of dependent-looking load/store
     * pairs cost a memory round trip each); value column n varies fastest across lanes so the
     * transposing stores to shared memory are at most 2-way conflicted. */
    {
        float4 st[VT / NW];
#pragma unroll
        for (int u = 0; u < VT / NW; u++) {
            int e = tid + u * NW * 32, n = e % VT, d4 = e / VT;
            st[u] = (state && t1 > t0)
                        ? *(const float4 *)(state + sbase + (size_t)n * D + d4 * 4)
                        : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        }
#pragma unroll
        for (int u = 0; u < VT / NW; u++) {
            int e = tid + u * NW * 32, n = e % VT, d4 = e / VT;
            Hs[(d4 * 4 + 0) * HS + n] = st[u].x;
            Hs[(d4 * 4 + 1) * HS + n] = st[u].y;
            Hs[(d4 * 4 + 2) * HS + n] = st[u].z;
            Hs[(d4 * 4 + 3) * HS + n] = st[u].w;
        }
    }

    int ci = 0;
    for (long long c0 = t0; c0 < t1; c0 += C, ci++) {
        const int L = (int)min((long long)C, t1 - c0);
        stage s = stage_at(stages + (ci & 1) * STAGE_BYTES);
        cp_wait_all();
        __syncthreads(); /* chunk ci landed for everyone; chunk ci - 1 is finished */
        if (c0 + C < t1)
            load_chunk(stage_at(stages + ((ci + 1) & 1) * STAGE_BYTES), q, k, ww, uw, pw, gw,
                       c0 + C, (int)min((long long)C, t1 - c0 - C), hk, h, vt, total);

        /* Phase 1: U = U~ - W H (the sequential chain) and Q H beside it, sharing the H
         * fragments; even and odd k steps in separate accumulators. */
        float oq[TPW][4];
#pragma unroll
        for (int u = 0; u < TPW; u++) {
            int tI = warp + u * NW;
            if (tI >= NTA) break;
            int mt = tI / (VT / 8), nt = tI % (VT / 8);
            float w0[4] = {0.0f, 0.0f, 0.0f, 0.0f}, w1[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            float q0[4] = {0.0f, 0.0f, 0.0f, 0.0f}, q1[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            const float *wr = s.W + (mt * 16 + g) * WP + t;
            const bf16 *qr = s.Q + (mt * 16 + g) * KP + t;
            const float *hr = Hs + t * HS + nt * 8 + g;
#pragma unroll 4
            for (int k0 = 0; k0 < D; k0 += 16) {
                unsigned b0 = tf32(hr[k0 * HS]), b1 = tf32(hr[(k0 + 4) * HS]);
                unsigned b2 = tf32(hr[(k0 + 8) * HS]), b3 = tf32(hr[(k0 + 12) * HS]);
                mma(w0, __float_as_uint(wr[k0]), __float_as_uint(wr[8 * WP + k0]),
                    __float_as_uint(wr[k0 + 4]), __float_as_uint(wr[8 * WP + k0 + 4]), b0, b1);
                mma(q0, bf(qr + k0), bf(qr + 8 * KP + k0), bf(qr + k0 + 4),
                    bf(qr + 8 * KP + k0 + 4), b0, b1);
                mma(w1, __float_as_uint(wr[k0 + 8]), __float_as_uint(wr[8 * WP + k0 + 8]),
                    __float_as_uint(wr[k0 + 12]), __float_as_uint(wr[8 * WP + k0 + 12]), b2, b3);
                mma(q1, bf(qr + k0 + 8), bf(qr + 8 * KP + k0 + 8), bf(qr + k0 + 12),
                    bf(qr + 8 * KP + k0 + 12), b2, b3);
            }
            int r0 = mt * 16 + g, cn = nt * 8 + 2 * t;
            const float *u0 = s.U + r0 * VT + cn, *u1 = u0 + 8 * VT;
            float x0 = u0[0] - (w0[0] + w1[0]), x1 = u0[1] - (w0[1] + w1[1]);
            float x2 = u1[0] - (w0[2] + w1[2]), x3 = u1[1] - (w0[3] + w1[3]);
            float d0 = s.G2[r0], d1 = s.G2[r0 + 8];
            Us[r0 * HS + cn] = __uint_as_float(tf32(x0));
            Us[r0 * HS + cn + 1] = __uint_as_float(tf32(x1));
            Us[(r0 + 8) * HS + cn] = __uint_as_float(tf32(x2));
            Us[(r0 + 8) * HS + cn + 1] = __uint_as_float(tf32(x3));
            Uw[r0 * HS + cn] = __uint_as_float(tf32(d0 * x0));
            Uw[r0 * HS + cn + 1] = __uint_as_float(tf32(d0 * x1));
            Uw[(r0 + 8) * HS + cn] = __uint_as_float(tf32(d1 * x2));
            Uw[(r0 + 8) * HS + cn + 1] = __uint_as_float(tf32(d1 * x3));
            float e0 = s.G1[r0], e1 = s.G1[r0 + 8];
            oq[u][0] = e0 * (q0[0] + q1[0]);
            oq[u][1] = e0 * (q0[1] + q1[1]);
            oq[u][2] = e1 * (q0[2] + q1[2]);
            oq[u][3] = e1 * (q0[3] + q1[3]);
        }
        __syncthreads();

        /* Phase 2a: O = scale (e^lG Q H + P U), rows of this chunk only. */
#pragma unroll
        for (int u = 0; u < TPW; u++) {
            int tI = warp + u * NW;
            if (tI >= NTA) break;
            int mt = tI / (VT / 8), nt = tI % (VT / 8);
            float *acc = oq[u];
            const float *ar = s.P + (mt * 16 + g) * CP + t, *br = Us + t * HS + nt * 8 + g;
            for (int k0 = 0; k0 < mt * 16 + 16; k0 += 8)
                mma(acc, __float_as_uint(ar[k0]), __float_as_uint(ar[8 * CP + k0]),
                    __float_as_uint(ar[k0 + 4]), __float_as_uint(ar[8 * CP + k0 + 4]),
                    __float_as_uint(br[k0 * HS]), __float_as_uint(br[(k0 + 4) * HS]));
            int r0 = mt * 16 + g, cn = vt * VT + nt * 8 + 2 * t;
            if (r0 < L)
                *(__nv_bfloat162 *)(output + ((size_t)(c0 + r0) * HV + h) * D + cn) =
                    __floats2bfloat162_rn(scale * acc[0], scale * acc[1]);
            if (r0 + 8 < L)
                *(__nv_bfloat162 *)(output + ((size_t)(c0 + r0 + 8) * HV + h) * D + cn) =
                    __floats2bfloat162_rn(scale * acc[2], scale * acc[3]);
        }

        /* Phase 2b: H = e^lG_L H + K^T Uw: [128][VT] tiles, A = K^T read transposed. */
        const float eL = s.G1[L - 1];
        const int KS = (L + 7) & ~7; /* k steps past the chunk's end multiply zeros */
        for (int tI = warp; tI < 8 * (VT / 8); tI += NW) {
            int mt = tI / (VT / 8), nt = tI % (VT / 8);
            int r0 = mt * 16 + g, cn = nt * 8 + 2 * t;
            float *h0 = Hs + r0 * HS + cn, *h1 = h0 + 8 * HS;
            float acc[4] = {eL * h0[0], eL * h0[1], eL * h1[0], eL * h1[1]};
            float ac2[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            const bf16 *ar = s.K + t * KP + mt * 16 + g;
            const float *br = Uw + t * HS + nt * 8 + g;
            int k0 = 0;
            for (; k0 + 16 <= KS; k0 += 16) {
                mma(acc, bf(ar + k0 * KP), bf(ar + k0 * KP + 8), bf(ar + (k0 + 4) * KP),
                    bf(ar + (k0 + 4) * KP + 8), __float_as_uint(br[k0 * HS]),
                    __float_as_uint(br[(k0 + 4) * HS]));
                mma(ac2, bf(ar + (k0 + 8) * KP), bf(ar + (k0 + 8) * KP + 8),
                    bf(ar + (k0 + 12) * KP), bf(ar + (k0 + 12) * KP + 8),
                    __float_as_uint(br[(k0 + 8) * HS]), __float_as_uint(br[(k0 + 12) * HS]));
            }
            if (k0 < KS)
                mma(acc, bf(ar + k0 * KP), bf(ar + k0 * KP + 8), bf(ar + (k0 + 4) * KP),
                    bf(ar + (k0 + 4) * KP + 8), __float_as_uint(br[k0 * HS]),
                    __float_as_uint(br[(k0 + 4) * HS]));
            h0[0] = acc[0] + ac2[0];
            h0[1] = acc[1] + ac2[1];
            h1[0] = acc[2] + ac2[2];
            h1[1] = acc[3] + ac2[3];
        }
    }
    __syncthreads();
#pragma unroll
    for (int u = 0; u < VT / NW; u++) {
        int e = tid + u * NW * 32, n = e % VT, d4 = e / VT;
        *(float4 *)(new_state + sbase + (size_t)n * D + d4 * 4) =
            make_float4(Hs[(d4 * 4 + 0) * HS + n], Hs[(d4 * 4 + 1) * HS + n],
                        Hs[(d4 * 4 + 2) * HS + n], Hs[(d4 * 4 + 3) * HS + n]);
    }
}
