/* rmsnorm_block.cu -- RMSNorm seed: one block per row (looping over ROWS rows), the row
 * cached in registers so x is read from memory once. THREADS threads each hold
 * ceil(hidden/(THREADS*VEC)) vectors of VEC bf16; the sum of squares is reduced with warp
 * shuffles and one shared-memory exchange between warps; then scale, multiply by the weight
 * and store. Handles any hidden_size that is a multiple of VEC and at most HIDDEN_MAX, and
 * any batch size.
 *
 * Tunable parameters:
 *   THREADS pow2 32..1024  threads per block (one row at a time per block)
 *   VEC     set 2 4 8      bf16 elements per vector access (4, 8 or 16 bytes)
 *   ROWS    set 1 2 4 8    rows each block handles in turn (fewer, longer-lived blocks)
 *   NC      bool           load x through the read-only, no-L1-allocate path
 *   MINB    set 0 1 2 4    __launch_bounds__ min blocks per SM (0 = none)
 */
#include <cuda_bf16.h>

/* evo:params
 THREADS pow2 32..1024       default 256
 VEC     set 2 4 8           default 8
 ROWS    set 1 2 4 8         default 1
 NC      bool                default 1
 MINB    set 0 1 2 4         default 0
 require THREADS * VEC <= 4096
 require 4096 / (THREADS * VEC) <= 32
 require THREADS * MINB <= 2048
*/

/* evo:launch
 kernel rmsnorm_block
   grid  ceil_div(batch_size, ROWS)
   block THREADS
   args  hidden_states, weight, output, batch_size, hidden_size
*/

#ifndef THREADS
#define THREADS 256
#endif
#ifndef VEC
#define VEC 8
#endif
#ifndef ROWS
#define ROWS 1
#endif
#ifndef NC
#define NC 1
#endif
#ifndef MINB
#define MINB 0
#endif
#ifndef HIDDEN_MAX
#define HIDDEN_MAX 4096
#endif

#define EPS 1e-5f
#define ITEMS ((HIDDEN_MAX + THREADS * VEC - 1) / (THREADS * VEC))
#define NWARPS (THREADS / 32)
#define WCHUNK 4

#if VEC == 8
typedef uint4 vec_t;
#elif VEC == 4
typedef uint2 vec_t;
#else
typedef unsigned int vec_t;
#endif

union pack_t {
    vec_t v;
    __nv_bfloat162 h[VEC / 2];
};

static __device__ __forceinline__ vec_t load_x(const vec_t *p)
{
#if NC
    return __ldg(p);
#else
    return *p;
#endif
}

#if MINB > 0
#define BOUNDS __launch_bounds__(THREADS, MINB)
#else
#define BOUNDS __launch_bounds__(THREADS)
#endif

extern "C" __global__ void BOUNDS rmsnorm_block(const __nv_bfloat16 *__restrict__ hidden_states,
                                                const __nv_bfloat16 *__restrict__ weight,
                                                __nv_bfloat16 *__restrict__ output, int batch_size,
                                                int hidden_size)
{
#if NWARPS > 1
    __shared__ float warp_sums[2][NWARPS];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#endif
    int tid = threadIdx.x;
    int nvec = hidden_size / VEC;
    const vec_t *w = reinterpret_cast<const vec_t *>(weight);

    for (int r = 0; r < ROWS; r++) {
        int row = blockIdx.x * ROWS + r;
        if (row >= batch_size)
            return; /* uniform across the block: no thread waits at a barrier below */
        const vec_t *x = reinterpret_cast<const vec_t *>(hidden_states + (size_t)row * hidden_size);
        vec_t *y = reinterpret_cast<vec_t *>(output + (size_t)row * hidden_size);

        pack_t buf[ITEMS];
#pragma unroll
        for (int it = 0; it < ITEMS; it++) {
            int i = it * THREADS + tid;
            if (i < nvec) buf[it].v = load_x(x + i);
        }
        float sum = 0.f;
#pragma unroll
        for (int it = 0; it < ITEMS; it++) {
            int i = it * THREADS + tid;
            if (i < nvec) {
#pragma unroll
                for (int k = 0; k < VEC / 2; k++) {
                    float2 f = __bfloat1622float2(buf[it].h[k]);
                    sum += f.x * f.x + f.y * f.y;
                }
            }
        }
#pragma unroll
        for (int off = 16; off > 0; off >>= 1)
            sum += __shfl_xor_sync(0xffffffffu, sum, off);
#if NWARPS > 1
        /* double-buffered by row parity, so one barrier per row suffices */
        if (lane == 0) warp_sums[r & 1][warp] = sum;
        __syncthreads();
        sum = 0.f;
#pragma unroll
        for (int k = 0; k < NWARPS; k++)
            sum += warp_sums[r & 1][k];
#endif
        float inv_rms = rsqrtf(sum / (float)hidden_size + EPS);

        /* the weight in chunks of WCHUNK vectors: loads in flight before the stores */
#pragma unroll
        for (int base = 0; base < ITEMS; base += WCHUNK) {
            pack_t wv[WCHUNK];
#pragma unroll
            for (int j = 0; j < WCHUNK; j++) {
                int i = (base + j) * THREADS + tid;
                if (base + j < ITEMS && i < nvec) wv[j].v = __ldg(w + i);
            }
#pragma unroll
            for (int j = 0; j < WCHUNK; j++) {
                int i = (base + j) * THREADS + tid;
                if (base + j >= ITEMS || i >= nvec) continue;
                pack_t out;
#pragma unroll
                for (int k = 0; k < VEC / 2; k++) {
                    float2 f = __bfloat1622float2(buf[base + j].h[k]);
                    float2 g = __bfloat1622float2(wv[j].h[k]);
                    out.h[k] = __floats2bfloat162_rn(f.x * inv_rms * g.x, f.y * inv_rms * g.y);
                }
                y[i] = out.v;
            }
        }
    }
}
