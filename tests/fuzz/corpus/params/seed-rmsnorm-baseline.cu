/* baseline.cu -- RMSNorm baseline: the plain reference CUDA kernel the rmsnorm task measures
 * seeds against. One block of 256 threads per row, scalar bf16 loads, two passes over the row
 * (sum of squares, then normalise), fp32 arithmetic. Correct and deliberately NOT tuned.
 * No tunable parameters.
 *
 *   y[b, i] = bf16( x[b, i] * rsqrt(mean_i(x[b, i]^2) + 1e-5) * w[i] )   (all in fp32)
 */
#include <cuda_bf16.h>

/* evo:launch
 kernel rmsnorm_baseline
   grid  batch_size
   block 256
   args  hidden_states, weight, output, batch_size, hidden_size
*/

extern "C" __global__ void rmsnorm_baseline(const __nv_bfloat16 *__restrict__ hidden_states,
                                            const __nv_bfloat16 *__restrict__ weight,
                                            __nv_bfloat16 *__restrict__ output, int batch_size,
                                            int hidden_size)
{
    __shared__ float partial[256];
    int row = blockIdx.x;
    if (row >= batch_size) return;
    const __nv_bfloat16 *x = hidden_states + (size_t)row * hidden_size;
    __nv_bfloat16 *y = output + (size_t)row * hidden_size;

    float sum = 0.f;
    for (int i = threadIdx.x; i < hidden_size; i += blockDim.x) {
        float v = __bfloat162float(x[i]);
        sum += v * v;
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
        __syncthreads();
    }
    float inv_rms = rsqrtf(partial[0] / (float)hidden_size + 1e-5f);

    for (int i = threadIdx.x; i < hidden_size; i += blockDim.x) {
        float v = __bfloat162float(x[i]) * inv_rms * __bfloat162float(weight[i]);
        y[i] = __float2bfloat16(v);
    }
}
