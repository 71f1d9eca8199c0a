/* baseline.cu -- GDN prefill baseline (the task's baseline): the definition's token loop as a
 * sequential scan. One block per (sequence, v head), one thread per value row v of the k-last
 * state, the row held in 128 registers for the whole sequence; per token the block stages q
 * and k in shared memory, each thread forms old_v = k . (g S[v]), updates its row and writes
 * out[t, h, v] = scale * q . S_new[v]. Tokens are strictly sequential: the latency of one
 * step times the sequence length. No parameters.
 * An absent state (NULL) starts from zeros; an empty sequence leaves new_state zero, as the
 * definition does; scale 0 means 1/sqrt(128). */
#include <cuda_bf16.h>

/* evo:launch
 kernel gdn_prefill_baseline
   grid  num_seqs * num_v_heads
   block head_size
   args  q, k, v, state, A_log, a, dt_bias, b, cu_seqlens, scale, output, new_state, num_seqs
*/

#define HK 4
#define HV 8
#define D 128

extern "C" __global__ void __launch_bounds__(D)
    gdn_prefill_baseline(const __nv_bfloat16 *q, const __nv_bfloat16 *k, const __nv_bfloat16 *v,
                         const float *state, const float *A_log, const __nv_bfloat16 *a,
                         const float *dt_bias, const __nv_bfloat16 *b, const long long *cu_seqlens,
                         float scale, __nv_bfloat16 *output, float *new_state, int num_seqs)
{
    __shared__ float qs[D], ks[D];
    int sq = blockIdx.x / HV, h = blockIdx.x % HV, hk = h / (HV / HK);
    int row = threadIdx.x;
    if (sq >= num_seqs) return;
    long long t0 = cu_seqlens[sq], t1 = cu_seqlens[sq + 1];
    size_t sbase = ((size_t)(sq * HV + h) * D + row) * D;
    float s[D];
#pragma unroll
    for (int i = 0; i < D; i++)
        s[i] = (state && t1 > t0) ? state[sbase + i] : 0.0f;
    if (scale == 0.0f) scale = rsqrtf((float)D);
    float A = expf(A_log[h]), dtb = dt_bias[h];
    for (long long t = t0; t < t1; t++) {
        __syncthreads();
        qs[row] = __bfloat162float(q[(t * HK + hk) * D + row]);
        ks[row] = __bfloat162float(k[(t * HK + hk) * D + row]);
        __syncthreads();
        float x = __bfloat162float(a[t * HV + h]) + dtb;
        float sp = x > 20.0f ? x : log1pf(expf(x));
        float g = expf(-A * sp);
        float beta = 1.0f / (1.0f + expf(-__bfloat162float(b[t * HV + h])));
        float old_v = 0.0f;
#pragma unroll
        for (int i = 0; i < D; i++) {
            s[i] *= g;
            old_v += ks[i] * s[i];
        }
        float new_v = beta * __bfloat162float(v[(t * HV + h) * D + row]) + (1.0f - beta) * old_v;
        float o = 0.0f;
#pragma unroll
        for (int i = 0; i < D; i++) {
            s[i] = (s[i] - ks[i] * old_v) + ks[i] * new_v;
            o += qs[i] * s[i];
        }
        output[(t * HV + h) * D + row] = __float2bfloat16(scale * o);
    }
#pragma unroll
    for (int i = 0; i < D; i++)
        new_state[sbase + i] = s[i];
}
