/* baseline.cu -- GDN decode baseline (the task's baseline): the definition's loop as a plain
 * kernel. One block per (batch row, v head), one thread per value row v of the k-last state
 * [V, K]: the thread reads its row once to form old_v = k . (g S[v]), writes the updated row
 * and forms out[v] = scale * q . S_new[v]. Threads of a warp walk 32 different rows, so the
 * loads are not coalesced: L1 turns them into line reuse. No parameters.
 * An absent state (NULL) is read as zeros; scale 0 means 1/sqrt(128). */
#include <cuda_bf16.h>

/* evo:launch
 kernel gdn_decode_baseline
   grid  batch_size * num_v_heads
   block head_size
   args  q, k, v, state, A_log, a, dt_bias, b, scale, output, new_state, batch_size
*/

#define HK 4
#define HV 8
#define D 128

extern "C" __global__ void gdn_decode_baseline(const __nv_bfloat16 *q, const __nv_bfloat16 *k,
                                               const __nv_bfloat16 *v, const float *state,
                                               const float *A_log, const __nv_bfloat16 *a,
                                               const float *dt_bias, const __nv_bfloat16 *b,
                                               float scale, __nv_bfloat16 *output, float *new_state,
                                               int batch_size)
{
    __shared__ float qs[D], ks[D];
    int bh = blockIdx.x, bi = bh / HV, h = bh % HV, hk = h / (HV / HK);
    int row = threadIdx.x;
    if (bi >= batch_size) return;
    qs[row] = __bfloat162float(q[(bi * HK + hk) * D + row]);
    ks[row] = __bfloat162float(k[(bi * HK + hk) * D + row]);
    __syncthreads();
    if (scale == 0.0f) scale = rsqrtf((float)D);
    float x = __bfloat162float(a[bh]) + dt_bias[h];
    float sp = x > 20.0f ? x : log1pf(expf(x));
    float g = expf(-expf(A_log[h]) * sp);
    float beta = 1.0f / (1.0f + expf(-__bfloat162float(b[bh])));
    const float *S = state ? state + ((size_t)bh * D + row) * D : nullptr;
    float *Sn = new_state + ((size_t)bh * D + row) * D;
    float old_v = 0.0f;
    for (int i = 0; i < D; i++)
        old_v += ks[i] * (S ? g * S[i] : 0.0f);
    float vv = __bfloat162float(v[bh * D + row]);
    float new_v = beta * vv + (1.0f - beta) * old_v;
    float o = 0.0f;
    for (int i = 0; i < D; i++) {
        float s = S ? g * S[i] : 0.0f;
        s = (s - ks[i] * old_v) + ks[i] * new_v;
        Sn[i] = s;
        o += qs[i] * s;
    }
    output[bh * D + row] = __float2bfloat16(scale * o);
}
