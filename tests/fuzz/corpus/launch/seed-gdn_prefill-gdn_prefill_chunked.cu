/* gdn_prefill_chunked.cu -- GDN prefill seed: the delta rule in chunks of C tokens with the
 * WY/UT representation, so the sequential dependence is one small triangular solve per chunk
 * instead of one state update per token. Value rows of the state are independent, so a block
 * owns (sequence, v head, VT value columns of the [K, V] state) and keeps that state tile in
 * shared memory for the whole sequence (read once, written once). Per chunk, with
 * lG_i = sum_{s<=i} log g_s (log space: no 0/0 when decays underflow):
 *   A_ij = beta_i e^(lG_i - lG_j) k_i.k_j  (j < i)        P_ij = e^(lG_i - lG_j) q_i.k_j  (j <= i)
 *   (I + A) V' = beta (V - e^lG K S)                       forward substitution
 *   O = scale (e^lG Q S + P V')                            S = e^lG_L S + (e^(lG_L - lG) K)^T V'
 * All products are fp32 FMA on shared memory, register-tiled (tensor-core mma.sync versions
 * of the K S, Q S, P V' and K^T V' products are the next step for the search). An absent state
 * (NULL) starts from zeros; an empty sequence leaves new_state zero; scale 0 = 1/sqrt(128).
 *
 * Tunable parameters:
 *   C    set 16 32 64      tokens per chunk
 *   VT   set 32 64 128     state columns (value rows) per block: 128 / VT blocks per head
 *   NT   set 128 256 512   threads per block (C * VT / NT chunk rows per thread, at most 32)
 */
#include <cuda_bf16.h>

/* evo:params
 C       set 16 32 64       default 16
 VT      set 32 64 128      default 32
 NT      set 128 256 512    default 256
 require NT >= VT
 require C % (NT / VT) == 0
 require C * VT / NT <= 32          # chunk rows per thread: registers and compile time
 require 4 * (128 * (VT + 1) + 2 * C * 129 + C * VT + 2 * C * (C + 1) + 2 * C) <= SMEM_LIMIT
*/

/* evo:launch
 kernel gdn_prefill_chunked
   grid  num_seqs * num_v_heads * (head_size / VT)
   block NT
   smem  4 * (128 * (VT + 1) + 2 * C * 129 + C * VT + 2 * C * (C + 1) + 2 * C)
   args  q, k, v, state, A_log, a, dt_bias, b, cu_seqlens, scale, output, new_state, num_seqs
*/

#ifndef C
#define C 16
#endif
#ifndef VT
#define VT 32
#endif
#ifndef NT
#define NT 256
#endif

#define HK 4
#define HV 8
#define D 128
#define KP (D + 1)  /* padded row of the q/k chunk */
#define SP (VT + 1) /* padded row of the state tile */
#define G (NT / VT) /* row groups: thread = (group, column) */
#define RR (C / G)  /* chunk rows per thread */
#define RS (D / G)  /* state rows per thread */

extern "C" __global__ void __launch_bounds__(NT)
    gdn_prefill_chunked(const __nv_bfloat16 *q, const __nv_bfloat16 *k, const __nv_bfloat16 *v,
                        const float *state, const float *A_log, const __nv_bfloat16 *a,
                        const float *dt_bias, const __nv_bfloat16 *b, const long long *cu_seqlens,
                        float scale, __nv_bfloat16 *output, float *new_state, int num_seqs)
{
    extern __shared__ float smem[];
    float *S = smem;              /* [D][SP]   state tile, S[kk][vv] */
    float *Ks = S + D * SP;       /* [C][KP] */
    float *Qs = Ks + C * KP;      /* [C][KP] */
    float *Vp = Qs + C * KP;      /* [C][VT]   V, then R, then V' */
    float *Am = Vp + C * VT;      /* [C][C+1]  A (strictly lower) */
    float *Pm = Am + C * (C + 1); /* [C][C+1]  P (lower with diagonal) */
    float *lG = Pm + C * (C + 1); /* [C] */
    float *bt = lG + C;           /* [C] */

    const int tiles = D / VT;
    int blk = blockIdx.x;
    int vt = blk % tiles, h = (blk / tiles) % HV, sq = blk / (tiles * HV);
    int hk = h / (HV / HK);
    int tid = threadIdx.x, col = tid % VT, grp = tid / VT;
    if (sq >= num_seqs) return;
    long long t0 = cu_seqlens[sq], t1 = cu_seqlens[sq + 1];
    size_t sbase = ((size_t)(sq * HV + h) * D + vt * VT) * D; /* new_state/state [V][K] */

    for (int e = tid; e < VT * D; e += NT) {
        int vv = e / D, kk = e % D;
        S[kk * SP + vv] = (state && t1 > t0) ? state[sbase + (size_t)vv * D + kk] : 0.0f;
    }
    if (scale == 0.0f) scale = rsqrtf((float)D);
    float A = expf(A_log[h]), dtb = dt_bias[h];

    for (long long c0 = t0; c0 < t1; c0 += C) {
        int L = (int)min((long long)C, t1 - c0);
        __syncthreads();
        for (int e = tid; e < C * D; e += NT) {
            int i = e / D, kk = e % D;
            size_t off = ((size_t)(c0 + i) * HK + hk) * D + kk;
            Ks[i * KP + kk] = i < L ? __bfloat162float(k[off]) : 0.0f;
            Qs[i * KP + kk] = i < L ? __bfloat162float(q[off]) : 0.0f;
        }
        for (int e = tid; e < C * VT; e += NT) {
            int i = e / VT, vv = e % VT;
            Vp[e] =
                i < L ? __bfloat162float(v[((size_t)(c0 + i) * HV + h) * D + vt * VT + vv]) : 0.0f;
        }
        /* Gates in parallel (their loads are the latency of a chunk), then an inclusive scan
         * of log g by warp 0: lane l holds tokens l and l + 32. */
        if (tid < C) {
            float lg = 0.0f, be = 0.0f; /* padding rows: no decay, no update */
            if (tid < L) {
                size_t gi = (size_t)(c0 + tid) * HV + h;
                float x = __bfloat162float(a[gi]) + dtb;
                float sp = x > 20.0f ? x : log1pf(expf(x));
                lg = -A * sp;
                be = 1.0f / (1.0f + expf(-__bfloat162float(b[gi])));
            }
            lG[tid] = lg;
            bt[tid] = be;
        }
        __syncthreads();
        if (tid < 32) {
            float x0 = tid < C ? lG[tid] : 0.0f, x1 = tid + 32 < C ? lG[tid + 32] : 0.0f;
#pragma unroll
            for (int o = 1; o < 32; o <<= 1) {
                float y0 = __shfl_up_sync(0xffffffffu, x0, o);
                float y1 = __shfl_up_sync(0xffffffffu, x1, o);
                if (tid >= o) x0 += y0, x1 += y1;
            }
            x1 += __shfl_sync(0xffffffffu, x0, 31);
            if (tid < C) lG[tid] = x0;
            if (tid + 32 < C) lG[tid + 32] = x1;
        }
        __syncthreads();

        /* Gram products of the chunk. */
        for (int e = tid; e < C * C; e += NT) {
            int i = e / C, j = e % C;
            float kk_ = 0.0f, qk = 0.0f;
            if (j <= i) {
#pragma unroll 8
                for (int d = 0; d < D; d++) {
                    float kj = Ks[j * KP + d];
                    kk_ += Ks[i * KP + d] * kj;
                    qk += Qs[i * KP + d] * kj;
                }
            }
            float dec = j <= i ? expf(lG[i] - lG[j]) : 0.0f;
            Am[i * (C + 1) + j] = j < i ? bt[i] * dec * kk_ : 0.0f;
            Pm[i * (C + 1) + j] = dec * qk;
        }

        /* R = beta (V - e^lG K S) and the inter-chunk part of O, both against the old S. */
        float r[RR], o[RR];
#pragma unroll
        for (int x = 0; x < RR; x++)
            r[x] = o[x] = 0.0f;
        for (int d = 0; d < D; d++) {
            float s = S[d * SP + col];
#pragma unroll
            for (int x = 0; x < RR; x++) {
                int i = grp + x * G;
                r[x] += Ks[i * KP + d] * s;
                o[x] += Qs[i * KP + d] * s;
            }
        }
#pragma unroll
        for (int x = 0; x < RR; x++) {
            int i = grp + x * G;
            float e = expf(lG[i]);
            Vp[i * VT + col] = bt[i] * (Vp[i * VT + col] - e * r[x]);
            o[x] *= e;
        }
        __syncthreads();

        /* Forward substitution (I + A) V' = R, one column per thread of group 0, the column
         * in registers so the dependent chain is FMAs only. Padding rows have A = 0, R = 0. */
        if (grp == 0) {
            float x[C];
#pragma unroll
            for (int i = 0; i < C; i++)
                x[i] = Vp[i * VT + col];
#pragma unroll
            for (int i = 1; i < C; i++) {
                float acc = x[i];
#pragma unroll
                for (int j = 0; j < i; j++)
                    acc -= Am[i * (C + 1) + j] * x[j];
                x[i] = acc;
            }
#pragma unroll
            for (int i = 0; i < C; i++)
                Vp[i * VT + col] = x[i];
        }
        __syncthreads();

        /* O = scale (e^lG Q S + P V'). */
#pragma unroll
        for (int x = 0; x < RR; x++) {
            int i = grp + x * G;
            float acc = o[x];
            for (int j = 0; j <= i; j++)
                acc += Pm[i * (C + 1) + j] * Vp[j * VT + col];
            if (i < L)
                output[((size_t)(c0 + i) * HV + h) * D + vt * VT + col] =
                    __float2bfloat16(scale * acc);
        }
        __syncthreads();
        /* V'_j scaled by e^(lG_L - lG_j) for the state update. */
        float lGL = lG[L - 1];
#pragma unroll
        for (int x = 0; x < RR; x++) {
            int j = grp + x * G;
            Vp[j * VT + col] *= expf(lGL - lG[j]);
        }
        __syncthreads();
        float eL = expf(lGL);
#pragma unroll 4
        for (int y = 0; y < RS; y++) {
            int d = grp + y * G;
            float acc = eL * S[d * SP + col];
            for (int j = 0; j < L; j++)
                acc += Ks[j * KP + d] * Vp[j * VT + col];
            S[d * SP + col] = acc;
        }
    }
    __syncthreads();
    for (int e = tid; e < VT * D; e += NT) {
        int vv = e / D, kk = e % D;
        new_state[sbase + (size_t)vv * D + kk] = S[kk * SP + vv];
    }
}
