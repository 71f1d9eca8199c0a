/* gdn_decode_tuned.cu -- GDN decode seed that streams the [128 x 128] f32 state through
 * registers once: each value row v of the k-last state [V, K] is independent (S_new[v] =
 * g S[v] + k * beta (v[v] - k . g S[v])), so a warp takes RPW rows, every lane loads its
 * VEC-wide slices of all RPW rows before any arithmetic (RPW * 128 * 4 bytes in flight per
 * warp), reduces k . S[v] and q . S_new[v] with shuffles, and writes S_new once. The state is
 * read once and written once; q and k come from L2. An absent state (NULL) reads as zeros;
 * scale 0 means 1/sqrt(128).
 *
 * Tunable parameters:
 *   RPW    pow2 1..8     value rows per warp (loads in flight per lane: RPW * 128 / 32)
 *   WARPS  pow2 1..16    warps per block (rows per block = RPW * WARPS, at most 128)
 *   VEC    set 1 2 4     floats per state access (4, 8 or 16 bytes)
 *   MAP    enum BH HB    blockIdx.y = batch * 8 + head (BH) or head * batch_size + batch (HB)
 *   NC     bool          state loads through the non-coherent read-only path
 *   CS     bool          streaming (evict-first) stores of the new state
 *   ONEPASS bool         one shuffle-reduction round for k.S, q.S and q.k (1) or two (0)
 */
#include <cuda_bf16.h>

/* evo:params
 RPW     pow2 1..8      default 4
 WARPS   pow2 1..16     default 4
 VEC     set 1 2 4      default 4
 MAP     enum BH HB     default BH
 NC      bool           default 1
 CS      bool           default 1
 ONEPASS bool           default 1
 require RPW * WARPS <= 128
*/

/* evo:launch
 kernel gdn_decode_tuned
   grid  ceil_div(head_size, RPW * WARPS), batch_size * num_v_heads
   block WARPS * 32
   args  q, k, v, state, A_log, a, dt_bias, b, scale, output, new_state, batch_size
*/

#ifndef RPW
#define RPW 4
#endif
#ifndef WARPS
#define WARPS 4
#endif
#ifndef VEC
#define VEC 4
#endif
#ifndef NC
#define NC 1
#endif
#ifndef CS
#define CS 1
#endif
#ifndef ONEPASS
#define ONEPASS 1
#endif
#define BH 0
#define HB 1
#ifndef MAP
#define MAP BH
#endif

#define HK 4
#define HV 8
#define D 128
#define CH (D / (32 * VEC)) /* VEC-wide slices per lane per row */

#if VEC == 4
typedef float4 vec_t;
#elif VEC == 2
typedef float2 vec_t;
#else
typedef float vec_t;
#endif

__device__ __forceinline__ float vget(const vec_t &x, int i)
{
    return reinterpret_cast<const float *>(&x)[i];
}

__device__ __forceinline__ void vset(vec_t &x, int i, float f)
{
    reinterpret_cast<float *>(&x)[i] = f;
}

__device__ __forceinline__ vec_t vload(const vec_t *p)
{
#if NC
    return __ldg(p);
#else
    return *p;
#endif
}

__device__ __forceinline__ void vstore(vec_t *p, vec_t x)
{
#if CS
    __stcs(p, x);
#else
    *p = x;
#endif
}

__device__ __forceinline__ float warp_sum(float x)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
        x += __shfl_xor_sync(0xffffffffu, x, o);
    return x;
}

extern "C" __global__ void __launch_bounds__(WARPS * 32)
    gdn_decode_tuned(const __nv_bfloat16 *__restrict__ q, const __nv_bfloat16 *__restrict__ k,
                     const __nv_bfloat16 *__restrict__ v, const float *__restrict__ state,
                     const float *__restrict__ A_log, const __nv_bfloat16 *__restrict__ a,
                     const float *__restrict__ dt_bias, const __nv_bfloat16 *__restrict__ b,
                     float scale, __nv_bfloat16 *__restrict__ output, float *__restrict__ new_state,
                     int batch_size)
{
    int bi, h;
#if MAP == HB
    h = blockIdx.y / batch_size;
    bi = blockIdx.y % batch_size;
#else
    bi = blockIdx.y / HV;
    h = blockIdx.y % HV;
#endif
    int bh = bi * HV + h, hk = h / (HV / HK);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int row0 = (blockIdx.x * WARPS + warp) * RPW;
    if (row0 >= D) return;

    size_t base = (size_t)bh * D * D;
    vec_t s[RPW][CH];
    /* Issue every state load first: this is the whole memory traffic of the kernel. */
#pragma unroll
    for (int r = 0; r < RPW; r++)
#pragma unroll
        for (int c = 0; c < CH; c++) {
            int col = c * 32 * VEC + lane * VEC;
            if (state)
                s[r][c] = vload(
                    reinterpret_cast<const vec_t *>(state + base + (size_t)(row0 + r) * D + col));
            else
#pragma unroll
                for (int i = 0; i < VEC; i++)
                    vset(s[r][c], i, 0.0f);
        }

    float vrow[RPW];
#pragma unroll
    for (int r = 0; r < RPW; r++)
        vrow[r] = __bfloat162float(v[bh * D + row0 + r]);
    float qf[CH][VEC], kf[CH][VEC];
    const __nv_bfloat16 *qp = q + (bi * HK + hk) * D, *kp = k + (bi * HK + hk) * D;
#pragma unroll
    for (int c = 0; c < CH; c++)
#pragma unroll
        for (int i = 0; i < VEC; i++) {
            int col = c * 32 * VEC + lane * VEC + i;
            qf[c][i] = __bfloat162float(qp[col]);
            kf[c][i] = __bfloat162float(kp[col]);
        }
    if (scale == 0.0f) scale = rsqrtf((float)D);
    float x = __bfloat162float(a[bh]) + dt_bias[h];
    float sp = x > 20.0f ? x : log1pf(expf(x));
    float g = expf(-expf(A_log[h]) * sp);
    float beta = 1.0f / (1.0f + expf(-__bfloat162float(b[bh])));

    /* g S in place, with its dot products against k (and q, for ONEPASS). */
    float old_v[RPW], o[RPW];
#pragma unroll
    for (int r = 0; r < RPW; r++) {
        float ak = 0.0f, aq = 0.0f;
#pragma unroll
        for (int c = 0; c < CH; c++)
#pragma unroll
            for (int i = 0; i < VEC; i++) {
                float gs = g * vget(s[r][c], i);
                vset(s[r][c], i, gs);
                ak += kf[c][i] * gs;
                if (ONEPASS) aq += qf[c][i] * gs;
            }
        old_v[r] = ak;
        o[r] = aq;
    }
#if ONEPASS
    /* One reduction round: with delta = beta (v - k.gS), q.S_new = q.gS + (q.k) delta, so
     * k.gS, q.gS and q.k are reduced together (interleaved shuffles: one latency chain). */
    float qk = 0.0f;
#pragma unroll
    for (int c = 0; c < CH; c++)
#pragma unroll
        for (int i = 0; i < VEC; i++)
            qk += qf[c][i] * kf[c][i];
#pragma unroll
    for (int m = 16; m > 0; m >>= 1) {
#pragma unroll
        for (int r = 0; r < RPW; r++) {
            old_v[r] += __shfl_xor_sync(0xffffffffu, old_v[r], m);
            o[r] += __shfl_xor_sync(0xffffffffu, o[r], m);
        }
        qk += __shfl_xor_sync(0xffffffffu, qk, m);
    }
#pragma unroll
    for (int r = 0; r < RPW; r++) {
        float delta = beta * (vrow[r] - old_v[r]);
#pragma unroll
        for (int c = 0; c < CH; c++) {
#pragma unroll
            for (int i = 0; i < VEC; i++)
                vset(s[r][c], i, vget(s[r][c], i) + kf[c][i] * delta);
            int col = c * 32 * VEC + lane * VEC;
            vstore(reinterpret_cast<vec_t *>(new_state + base + (size_t)(row0 + r) * D + col),
                   s[r][c]);
        }
        o[r] += qk * delta;
    }
#else
#pragma unroll
    for (int r = 0; r < RPW; r++)
        old_v[r] = warp_sum(old_v[r]);

#pragma unroll
    for (int r = 0; r < RPW; r++) {
        float new_v = beta * vrow[r] + (1.0f - beta) * old_v[r];
        float acc = 0.0f;
#pragma unroll
        for (int c = 0; c < CH; c++) {
#pragma unroll
            for (int i = 0; i < VEC; i++) {
                float sn = (vget(s[r][c], i) - kf[c][i] * old_v[r]) + kf[c][i] * new_v;
                vset(s[r][c], i, sn);
                acc += qf[c][i] * sn;
            }
            int col = c * 32 * VEC + lane * VEC;
            vstore(reinterpret_cast<vec_t *>(new_state + base + (size_t)(row0 + r) * D + col),
                   s[r][c]);
        }
        o[r] = acc;
    }
#pragma unroll
    for (int r = 0; r < RPW; r++)
        o[r] = warp_sum(o[r]);
#endif
    if (lane < RPW) {
        float mine = o[0];
#pragma unroll
        for (int r = 1; r < RPW; r++)
            if (lane == r) mine = o[r];
        output[bh * D + row0 + lane] = __float2bfloat16(scale * mine);
    }
}
