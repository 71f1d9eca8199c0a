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
 * on tensor cores. It writes one record per (chunk, v head), rows past the chunk's end zero:
 * W, Q~ = diag(e^lG) Q, K~^T = (diag(e^(lG_L - lG)) K)^T, U~ (each [C][128] or [128][C]), P
 * [C][C] and e^lG_L; every mma operand already rounded to TF32.
 * gdn_prefill_scan: one block per (sequence, v head, VT value columns); value columns of the
 * state are independent, so the f32 state tile [128][VT] lives in registers (accumulator
 * layout) for the whole sequence, read once and written once, with a TF32 copy in shared
 * memory. Per chunk two phases, one barrier each: U = U~ - W H with Q~ H beside it (same H
 * fragments, four independent accumulator chains), then O = Q~ H + P U and the state update
 * H = e^lG_L H + K~^T U. Every fragment comes from ldmatrix (one instruction per 16x8 TF32
 * tile). The next ST - 1 chunks' records arrive by cp.async, issued by the warps that have no
 * phase-1 tile, so the sequential chain never waits on copies or on their issue.
 * Measured on the H100 (bench/NOTES.md): the chunk step is latency bound (barriers and mma
 * dependencies), the prep bound by writing the records.
 * An absent state (NULL) starts from zeros; an empty sequence leaves new_state zero (as the
 * definition's reference does); scale 0 = 1/sqrt(128).
 *
 * Tunable parameters:
 *   C    set 16 32      tokens per chunk (longer chunks: fewer sequential steps, more work each;
 *                       64 does not fit ST >= 2 chunk buffers in shared memory)
 *   VTA  set 8 16 32    value columns per scan block for batches of at most NSPLIT sequences
 *   VTB  set 8 16 32    the same for larger batches (8 * 128 / VT blocks per sequence: few
 *                       long sequences want many small blocks, many sequences fewer waves)
 *   NSPLIT set 1 2 4 8  the launch plan runs gdn_prefill_scan (VTA) when num_seqs <= NSPLIT,
 *                       gdn_prefill_scan_many (VTB) otherwise: shape dispatch by `when`
 *   NW   set 1 2 4 8    warps per scan block
 *   PW   set 2 4 8      warps per prep block
 *   ST   set 2 3 4      chunk buffers in the scan: ST - 1 chunks in flight ahead of the one
 *                       being computed
 */
#include <cuda_bf16.h>

/* evo:params
 C       set 16 32          default 32
 VTA     set 8 16 32        default 8
 VTB     set 8 16 32        default 16
 NSPLIT  set 1 2 4 8        default 1
 NW      set 1 2 4 8        default 8
 PW      set 2 4 8          default 8
 ST      set 2 3 4          default 3
 require VTA * 528 + VTA * (C + 4) * 4 + ST * (1056 * C + 512 * (C + 4) + 4 * C * VTA + 4 * C * (C + 4) + 16) <= SMEM_LIMIT
 require VTB * 528 + VTB * (C + 4) * 4 + ST * (1056 * C + 512 * (C + 4) + 4 * C * VTB + 4 * C * (C + 4) + 16) <= SMEM_LIMIT
*/

/* evo:launch
 workspace rec float32 (ceil_div(total_seq_len, C) + num_seqs) * num_v_heads * (512 * C + C * C + 4)
 kernel gdn_prefill_prep
   grid  ceil_div(total_seq_len, C) + num_seqs, num_k_heads
   block PW * 32
   smem  1088 * C + 16 * C * (C + 4) + 32 * C
   args  q, k, v, A_log, a, dt_bias, b, cu_seqlens, rec, num_seqs
 kernel gdn_prefill_scan
   when  num_seqs <= NSPLIT
   grid  num_seqs * num_v_heads * (head_size / VTA)
   block NW * 32
   smem  VTA * 528 + VTA * (C + 4) * 4 + ST * (1056 * C + 512 * (C + 4) + 4 * C * VTA + 4 * C * (C + 4) + 16)
   args  state, cu_seqlens, rec, scale, output, new_state, num_seqs
 kernel gdn_prefill_scan_many
   when  num_seqs > NSPLIT
   grid  num_seqs * num_v_heads * (head_size / VTB)
   block NW * 32
   smem  VTB * 528 + VTB * (C + 4) * 4 + ST * (1056 * C + 512 * (C + 4) + 4 * C * VTB + 4 * C * (C + 4) + 16)
   args  state, cu_seqlens, rec, scale, output, new_state, num_seqs
*/

#ifndef C
#define C 32
#endif
#ifndef VTA
#define VTA 8
#endif
#ifndef VTB
#define VTB 16
#endif
#ifndef NW
#define NW 8
#endif
#ifndef PW
#define PW 8
#endif
#ifndef ST
#define ST 3
#endif

#define HK 4
#define HV 8
#define D 128
#define KP 136                    /* bf16 row of a q/k/v chunk: 272 bytes, no bank conflicts */
#define CP (C + 4)                /* f32 row of a C x C matrix */
#define WP (D + 4)                /* f32 row of a [*][128] tile in the scan (ldmatrix) */
#define REC (512 * C + C * C + 4) /* floats per (chunk, v head) record, see prep */

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

__device__ __forceinline__ void cp_commit()
{
    asm volatile("cp.async.commit_group;\n");
}
#define CP_WAIT(n) asm volatile("cp.async.wait_group %0;\n" ::"n"(n))

/* ---- kernel 1: per-chunk matrices, every chunk in parallel -------------------------------- */

extern "C" __global__ void __launch_bounds__(PW * 32)
    gdn_prefill_prep(const bf16 *__restrict__ q, const bf16 *__restrict__ k,
                     const bf16 *__restrict__ v, const float *__restrict__ A_log,
                     const bf16 *__restrict__ a, const float *__restrict__ dt_bias,
                     const bf16 *__restrict__ b, const long long *__restrict__ cu_seqlens,
                     float *__restrict__ rec, int num_seqs)
{
    extern __shared__ __align__(16) unsigned char smem[];
    bf16 *Ks = (bf16 *)smem;                /* [C][KP] */
    bf16 *Qs = Ks + C * KP;                 /* [C][KP] */
    bf16 *Vs = Qs + C * KP;                 /* [2][C][KP] both v heads */
    float *KK = (float *)(smem + 1088 * C); /* [C][CP] */
    float *QK = KK + C * CP;                /* [C][CP] */
    float *Tm = KK;                         /* [2][C][CP] T', over KK/QK once used */
    float *Am = QK + C * CP;                /* [2][C][CP] */
    float *lG = Am + 2 * C * CP;            /* [2][C] */
    float *bt = lG + 2 * C;                 /* [2][C] */
    float *eg = bt + 2 * C;                 /* [2][C] e^lG */
    float *ek = eg + 2 * C;                 /* [2][C] e^(lG_L - lG), K~'s row scales */

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
        __syncwarp();
        for (int i = lane; i < C; i += 32)
            ek[warp * C + i] = expf(lG[warp * C + L - 1] - lG[warp * C + i]);
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
    /* A of both heads; the record's P, Q~, K~^T and e^lG_L (TF32-rounded operands). Rows and
     * columns past L come out zero: their q, k rows are zero. */
    for (int e = tid; e < 2 * C * C; e += PW * 32) {
        int hh = e / (C * C), i = (e / C) % C, j = e % C, h = hk * 2 + hh;
        float dec = j <= i ? expf(lG[hh * C + i] - lG[hh * C + j]) : 0.0f;
        Am[(hh * C + i) * CP + j] = j < i ? bt[hh * C + i] * dec * KK[i * CP + j] : 0.0f;
        /* Tiles above the diagonal were never computed: select, do not multiply by 0. */
        rec[((size_t)blockIdx.x * HV + h) * REC + 4 * C * D + i * C + j] =
            __uint_as_float(tf32(j <= i ? dec * QK[i * CP + j] : 0.0f));
    }
    for (int e = tid; e < 2 * C * D; e += PW * 32) {
        int hh = e / (C * D), r = (e / D) % C, d = e % D, h = hk * 2 + hh;
        float *R = rec + ((size_t)blockIdx.x * HV + h) * REC;
        R[C * D + r * D + d] =
            __uint_as_float(tf32(eg[hh * C + r] * __bfloat162float(Qs[r * KP + d])));
        int dd = (e / C) % D, j = e % C; /* K~^T [d][j], written in order */
        R[2 * C * D + dd * C + j] =
            __uint_as_float(tf32(ek[hh * C + j] * __bfloat162float(Ks[j * KP + dd])));
        if (e % (C * D) == 0) R[4 * C * D + C * C] = eg[hh * C + L - 1];
    }
    __syncthreads();
    /* T = (I + A)^-1 by forward substitution, one column per thread, kept in registers;
     * T' = T diag(beta) into shared memory. Rows past L come out zero (beta = 0 there). */
    for (int p = tid; p < 2 * C; p += PW * 32) {
        int hh = p / C, c = p % C;
        const float *A = Am + hh * C * CP;
        float x[C];
#pragma unroll
        for (int i = 0; i < C; i++)
            x[i] = i == c ? 1.0f : 0.0f;
#pragma unroll
        for (int i = 1; i < C; i++) {
            if (i >= L) break; /* rows past the sequence's end only hold the identity */
            float acc = x[i];
#pragma unroll
            for (int j = 0; j < i; j++)
                acc -= A[i * CP + j] * x[j];
            x[i] = acc;
        }
        float bc = bt[hh * C + c];
#pragma unroll
        for (int i = 0; i < C; i++)
            Tm[(hh * C + i) * CP + c] = x[i] * bc;
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
        float *dst = rec + ((size_t)blockIdx.x * HV + h) * REC + (isu ? 3 * C * D : 0);
        float2 lo = make_float2(acc[0], acc[1]), hi = make_float2(acc[2], acc[3]);
        if (!isu) {
            lo = make_float2(__uint_as_float(tf32(lo.x)), __uint_as_float(tf32(lo.y)));
            hi = make_float2(__uint_as_float(tf32(hi.x)), __uint_as_float(tf32(hi.y)));
        }
        *(float2 *)(dst + r0 * D + cn) = lo;
        *(float2 *)(dst + (r0 + 8) * D + cn) = hi;
    }
}

/* ---- kernel 2: the sequential scan over chunks -------------------------------------------- */

/* Four 8x8 tiles of 32-bit words from shared memory in one instruction: lane L receives word
 * (L / 4, L % 4) of each tile, exactly a TF32 mma fragment; lanes 8m..8m+7 give tile m's rows. */
__device__ __forceinline__ void ldm4(unsigned &r0, unsigned &r1, unsigned &r2, unsigned &r3,
                                     const float *p)
{
    unsigned s = (unsigned)__cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(s)
                 : "memory");
}

__device__ __forceinline__ void ldm2(unsigned &r0, unsigned &r1, const float *p)
{
    unsigned s = (unsigned)__cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];\n"
                 : "=r"(r0), "=r"(r1)
                 : "r"(s)
                 : "memory");
}

#define KT (C + 4) /* f32 row of K~^T, P and U^T in the scan */
#define STAGE_FLOATS (2 * C * WP + D * KT + C * VT + C * KT + 4)
#define NTA ((C / 16) * (VT / 8))         /* [C][VT] output tiles */
#define TPW ((NTA + NW - 1) / NW)         /* of them per warp */
#define HPW ((VT + NW - 1) / NW)          /* [128][VT] state tiles (VT of them) per warp */
#define LOADERS (NTA < NW ? NW - NTA : 0) /* warps idle in phase 1 that issue the copies */

struct stage {
    float *W, *Q, *Kt, *U, *P, *gL;
};

template <int VT> __device__ __forceinline__ stage stage_at(float *base)
{
    stage s;
    s.W = base;
    s.Q = s.W + C * WP;
    s.Kt = s.Q + C * WP;
    s.U = s.Kt + D * KT;
    s.P = s.U + C * VT;
    s.gL = s.P + C * KT;
    return s;
}

/* Issue the copies of one chunk's record (all rows present: prep zeroed the padding). */
template <int VT>
__device__ __forceinline__ void load_chunk(stage s, const float *r, int vt, int tid, int nthr)
{
    for (int e = tid; e < C * (D / 4); e += nthr) {
        int i = e / (D / 4), c = e % (D / 4);
        cp16(s.W + i * WP + c * 4, r + i * D + c * 4, 16);
        cp16(s.Q + i * WP + c * 4, r + C * D + i * D + c * 4, 16);
    }
    for (int e = tid; e < D * (C / 4); e += nthr) {
        int d = e / (C / 4), c = e % (C / 4);
        cp16(s.Kt + d * KT + c * 4, r + 2 * C * D + d * C + c * 4, 16);
    }
    for (int e = tid; e < C * (VT / 4); e += nthr) {
        int i = e / (VT / 4), c = e % (VT / 4);
        cp16(s.U + i * VT + c * 4, r + 3 * C * D + i * D + vt * VT + c * 4, 16);
    }
    for (int e = tid; e < C * (C / 4) + 1; e += nthr) {
        if (e == C * (C / 4)) {
            cp16(s.gL, r + 4 * C * D + C * C, 16);
        } else {
            int i = e / (C / 4), c = e % (C / 4);
            cp16(s.P + i * KT + c * 4, r + 4 * C * D + i * C + c * 4, 16);
        }
    }
}

/* The scan for VT value columns per block (VT is the template parameter the macros above
 * read); instantiated twice below, one kernel per batch shape. */
template <int VT>
__device__ __forceinline__ void
scan_body(const float *__restrict__ state, const long long *__restrict__ cu_seqlens,
          const float *__restrict__ rec, float scale, bf16 *__restrict__ output,
          float *__restrict__ new_state, int num_seqs)
{
    extern __shared__ __align__(16) float fsm[];
    float *Ht = fsm;          /* [VT][WP] state tile transposed, TF32 */
    float *Ut = Ht + VT * WP; /* [VT][KT] U transposed, TF32 */
    float *stages = Ut + VT * KT;

    const int tiles = D / VT;
    int blk = blockIdx.x;
    int vt = blk % tiles, h = (blk / tiles) % HV, sq = blk / (tiles * HV);
    if (sq >= num_seqs) return;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;
    const long long t0 = cu_seqlens[sq], t1 = cu_seqlens[sq + 1];
    long long cg = 0; /* the sequence's first chunk in prep's numbering */
    for (int s2 = 0; s2 < sq; s2++)
        cg += (cu_seqlens[s2 + 1] - cu_seqlens[s2] + C - 1) / C;
    const float *r0p = rec + ((size_t)cg * HV + h) * REC;
    const size_t sbase = ((size_t)(sq * HV + h) * D + vt * VT) * D; /* state [V][K] rows */
    if (scale == 0.0f) scale = rsqrtf((float)D);

    /* Prologue: chunks 0 .. ST - 2 in flight. One commit group per chunk slot, empty past the
     * end, so the number of groups still pending at each wait is the constant ST - 2. */
    const int nch = (int)((t1 - t0 + C - 1) / C);
#pragma unroll
    for (int c = 0; c < ST - 1; c++) {
        if (c < nch)
            load_chunk<VT>(stage_at<VT>(stages + c * STAGE_FLOATS), r0p + (size_t)c * HV * REC, vt,
                           tid, NW * 32);
        cp_commit();
    }
    /* The f32 state lives in registers, in the accumulator layout of the tiles this warp
     * updates every chunk; Ht holds its TF32 copy for the other products. */
    float hr[HPW][4];
#pragma unroll
    for (int u = 0; u < HPW; u++) {
        int tI = warp + u * NW;
        if (tI >= VT) break;
        int d0 = (tI / (VT / 8)) * 16 + g, n0 = (tI % (VT / 8)) * 8 + 2 * t;
        const float *sp = state + sbase;
        bool have = state && t1 > t0;
        hr[u][0] = have ? sp[(size_t)n0 * D + d0] : 0.0f;
        hr[u][1] = have ? sp[(size_t)(n0 + 1) * D + d0] : 0.0f;
        hr[u][2] = have ? sp[(size_t)n0 * D + d0 + 8] : 0.0f;
        hr[u][3] = have ? sp[(size_t)(n0 + 1) * D + d0 + 8] : 0.0f;
        Ht[n0 * WP + d0] = __uint_as_float(tf32(hr[u][0]));
        Ht[(n0 + 1) * WP + d0] = __uint_as_float(tf32(hr[u][1]));
        Ht[n0 * WP + d0 + 8] = __uint_as_float(tf32(hr[u][2]));
        Ht[(n0 + 1) * WP + d0 + 8] = __uint_as_float(tf32(hr[u][3]));
    }

    /* ldmatrix row addresses: A tiles (16 rows) and B tiles (8 rows). */
    const int arow = (lane & 7) + ((lane >> 3) & 1) * 8, acol = (lane >> 4) * 4;
    const int brow = lane & 7, bcol = (lane >> 3) * 4; /* x4: four k-quarters of 16 */

    int ci = 0;
    for (long long c0 = t0; c0 < t1; c0 += C, ci++) {
        const int L = (int)min((long long)C, t1 - c0);
        stage s = stage_at<VT>(stages + (ci % ST) * STAGE_FLOATS);
        CP_WAIT(ST - 2);
        __syncthreads(); /* chunk ci landed for everyone; chunk ci - 1 is finished */
        /* Warps without a phase-1 tile issue the next copies while the others start on the
         * sequential chain; when every warp has a tile, the copies go after phase 1. */
        const bool pf = ci + ST - 1 < nch;
        float *pf_at = stages + ((ci + ST - 1) % ST) * STAGE_FLOATS;
        const float *pf_rec = r0p + (size_t)(ci + ST - 1) * HV * REC;
        if (LOADERS && pf && warp >= NW - LOADERS)
            load_chunk<VT>(stage_at<VT>(pf_at), pf_rec, vt, tid - (NW - LOADERS) * 32,
                           LOADERS * 32);

        /* Phase 1: U = U~ - W H (the sequential chain) and Q~ H beside it, sharing the H
         * fragments; even and odd k steps in separate accumulators. */
        float oq[TPW][4];
#pragma unroll
        for (int u = 0; u < TPW; u++) {
            int tI = warp + u * NW;
            if (tI >= NTA) break;
            int mt = tI / (VT / 8), nt = tI % (VT / 8);
            float w0[4] = {0.0f, 0.0f, 0.0f, 0.0f}, w1[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            float q0[4] = {0.0f, 0.0f, 0.0f, 0.0f}, q1[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            const float *wa = s.W + (mt * 16 + arow) * WP + acol;
            const float *qa = s.Q + (mt * 16 + arow) * WP + acol;
            const float *hb = Ht + (nt * 8 + brow) * WP + bcol;
#pragma unroll 2
            for (int k0 = 0; k0 < D; k0 += 16) {
                unsigned b0, b1, b2, b3, a0, a1, a2, a3, c0_, c1, c2, c3;
                ldm4(b0, b1, b2, b3, hb + k0);
                ldm4(a0, a1, a2, a3, wa + k0);
                ldm4(c0_, c1, c2, c3, wa + k0 + 8);
                mma(w0, a0, a1, a2, a3, b0, b1);
                mma(w1, c0_, c1, c2, c3, b2, b3);
                ldm4(a0, a1, a2, a3, qa + k0);
                ldm4(c0_, c1, c2, c3, qa + k0 + 8);
                mma(q0, a0, a1, a2, a3, b0, b1);
                mma(q1, c0_, c1, c2, c3, b2, b3);
            }
            int r0 = mt * 16 + g, cn = nt * 8 + 2 * t;
            const float *u0 = s.U + r0 * VT + cn, *u1 = u0 + 8 * VT;
            Ut[cn * KT + r0] = __uint_as_float(tf32(u0[0] - (w0[0] + w1[0])));
            Ut[(cn + 1) * KT + r0] = __uint_as_float(tf32(u0[1] - (w0[1] + w1[1])));
            Ut[cn * KT + r0 + 8] = __uint_as_float(tf32(u1[0] - (w0[2] + w1[2])));
            Ut[(cn + 1) * KT + r0 + 8] = __uint_as_float(tf32(u1[1] - (w0[3] + w1[3])));
#pragma unroll
            for (int x = 0; x < 4; x++)
                oq[u][x] = q0[x] + q1[x];
        }
        if (!LOADERS && pf) load_chunk<VT>(stage_at<VT>(pf_at), pf_rec, vt, tid, NW * 32);
        cp_commit();
        __syncthreads();

        /* Phase 2a: O = scale (Q~ H + P U), rows of this chunk only (P lower triangular). */
#pragma unroll
        for (int u = 0; u < TPW; u++) {
            int tI = warp + u * NW;
            if (tI >= NTA) break;
            int mt = tI / (VT / 8), nt = tI % (VT / 8);
            float *acc = oq[u];
            const float *pa = s.P + (mt * 16 + arow) * KT + acol;
            const float *ub = Ut + (nt * 8 + brow) * KT + ((lane >> 3) & 1) * 4;
            for (int k0 = 0; k0 < mt * 16 + 16; k0 += 8) {
                unsigned a0, a1, a2, a3, b0, b1;
                ldm4(a0, a1, a2, a3, pa + k0);
                ldm2(b0, b1, ub + k0);
                mma(acc, a0, a1, a2, a3, b0, b1);
            }
            int r0 = mt * 16 + g, cn = vt * VT + nt * 8 + 2 * t;
            if (r0 < L)
                *(__nv_bfloat162 *)(output + ((size_t)(c0 + r0) * HV + h) * D + cn) =
                    __floats2bfloat162_rn(scale * acc[0], scale * acc[1]);
            if (r0 + 8 < L)
                *(__nv_bfloat162 *)(output + ((size_t)(c0 + r0 + 8) * HV + h) * D + cn) =
                    __floats2bfloat162_rn(scale * acc[2], scale * acc[3]);
        }

        /* Phase 2b: H = e^lG_L H + K~^T U on the register state; Ht refreshed. */
        const float eL = s.gL[0];
        const int KS = (L + 7) & ~7; /* k steps past the chunk's end multiply zeros */
#pragma unroll
        for (int u = 0; u < HPW; u++) {
            int tI = warp + u * NW;
            if (tI >= VT) break;
            int mt = tI / (VT / 8), nt = tI % (VT / 8);
            float acc[4], ac2[4] = {0.0f, 0.0f, 0.0f, 0.0f};
#pragma unroll
            for (int x = 0; x < 4; x++)
                acc[x] = eL * hr[u][x];
            const float *ka = s.Kt + (mt * 16 + arow) * KT + acol;
            const float *ub = Ut + (nt * 8 + brow) * KT + ((lane >> 3) & 1) * 4;
            int k0 = 0;
            for (; k0 + 16 <= KS; k0 += 16) {
                unsigned a0, a1, a2, a3, b0, b1;
                ldm4(a0, a1, a2, a3, ka + k0);
                ldm2(b0, b1, ub + k0);
                mma(acc, a0, a1, a2, a3, b0, b1);
                ldm4(a0, a1, a2, a3, ka + k0 + 8);
                ldm2(b0, b1, ub + k0 + 8);
                mma(ac2, a0, a1, a2, a3, b0, b1);
            }
            if (k0 < KS) {
                unsigned a0, a1, a2, a3, b0, b1;
                ldm4(a0, a1, a2, a3, ka + k0);
                ldm2(b0, b1, ub + k0);
                mma(acc, a0, a1, a2, a3, b0, b1);
            }
            int d0 = mt * 16 + g, n0 = nt * 8 + 2 * t;
#pragma unroll
            for (int x = 0; x < 4; x++)
                hr[u][x] = acc[x] + ac2[x];
            Ht[n0 * WP + d0] = __uint_as_float(tf32(hr[u][0]));
            Ht[(n0 + 1) * WP + d0] = __uint_as_float(tf32(hr[u][1]));
            Ht[n0 * WP + d0 + 8] = __uint_as_float(tf32(hr[u][2]));
            Ht[(n0 + 1) * WP + d0 + 8] = __uint_as_float(tf32(hr[u][3]));
        }
    }
    /* An empty sequence never loaded its state: new_state stays zero, as in the reference. */
#pragma unroll
    for (int u = 0; u < HPW; u++) {
        int tI = warp + u * NW;
        if (tI >= VT) break;
        int d0 = (tI / (VT / 8)) * 16 + g, n0 = (tI % (VT / 8)) * 8 + 2 * t;
        float *sp = new_state + sbase;
        sp[(size_t)n0 * D + d0] = hr[u][0];
        sp[(size_t)(n0 + 1) * D + d0] = hr[u][1];
        sp[(size_t)n0 * D + d0 + 8] = hr[u][2];
        sp[(size_t)(n0 + 1) * D + d0 + 8] = hr[u][3];
    }
}

extern "C" __global__ void __launch_bounds__(NW * 32)
    gdn_prefill_scan(const float *__restrict__ state, const long long *__restrict__ cu_seqlens,
                     const float *__restrict__ rec, float scale, bf16 *__restrict__ output,
                     float *__restrict__ new_state, int num_seqs)
{
    scan_body<VTA>(state, cu_seqlens, rec, scale, output, new_state, num_seqs);
}

extern "C" __global__ void __launch_bounds__(NW * 32)
    gdn_prefill_scan_many(const float *__restrict__ state, const long long *__restrict__ cu_seqlens,
                          const float *__restrict__ rec, float scale, bf16 *__restrict__ output,
                          float *__restrict__ new_state, int num_seqs)
{
    scan_body<VTB>(state, cu_seqlens, rec, scale, output, new_state, num_seqs);
}
