/* rmsnorm_warp.cu -- RMSNorm seed: one warp per row. Each lane loads its share of the row
 * with VEC-wide vector loads (VEC=8 bf16 = 16 bytes), keeps it in registers so x is read
 * from memory once, reduces the sum of squares with warp shuffles (no shared memory, no
 * block barrier), then scales by rsqrt(mean + eps) and the weight and stores VEC-wide.
 * Handles any hidden_size that is a multiple of VEC and at most HIDDEN_MAX; any batch size.
 *
 * Tunable parameters:
 *   VEC     set 2 4 8      bf16 elements per vector access (4, 8 or 16 bytes)
 *   WARPS   pow2 1..16     warps (= rows) per block (the row in registers: ~170 a thread)
 *   NC      bool           load x through the read-only, no-L1-allocate path
 *   UNROLL  set 1..16      vectors of x whose loads are issued before the first use
 *   MINB    set 0 1 2 4 8  __launch_bounds__ min blocks per SM (0 = none)
 */
#include <cuda_bf16.h>

/* evo:params
 VEC     set 2 4 8           default 8
 WARPS   pow2 1..16          default 4
 NC      bool                default 1
 UNROLL  set 1 2 4 8 16      default 16
 MINB    set 0 1 2 4 8       default 0
 require WARPS * 32 * MINB <= 512             # >= 128 registers a thread: no spills
 require UNROLL <= 4096 / (32 * VEC)
*/

/* evo:launch
 kernel rmsnorm_warp
   grid  ceil_div(batch_size, WARPS)
   block WARPS * 32
   args  hidden_states, weight, output, batch_size, hidden_size
*/

#ifndef VEC
#define VEC 8
#endif
#ifndef WARPS
#define WARPS 4
#endif
#ifndef NC
#define NC 1
#endif
#ifndef UNROLL
#define UNROLL 16
#endif
#ifndef MINB
#define MINB 0
#endif
#ifndef HIDDEN_MAX
#define HIDDEN_MAX 4096
#endif

#define EPS 1e-5f
/* vectors per lane that cover HIDDEN_MAX */
#define ITEMS (HIDDEN_MAX / (32 * VEC))
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
#define BOUNDS __launch_bounds__(WARPS * 32, MINB)
#else
#define BOUNDS __launch_bounds__(WARPS * 32)
#endif

static __device__ __forceinline__ void row_norm(const vec_t *__restrict__ x,
                                                const vec_t *__restrict__ w, vec_t *__restrict__ y,
                                                int nvec, int hidden_size, int lane)
{
    pack_t buf[ITEMS];
    float sum = 0.f;
#pragma unroll
    for (int base = 0; base < ITEMS; base += UNROLL) {
        /* issue UNROLL loads, then consume them: loads in flight before the first use */
#pragma unroll
        for (int j = 0; j < UNROLL; j++) {
            int i = (base + j) * 32 + lane;
            if (base + j < ITEMS && i < nvec) buf[base + j].v = load_x(x + i);
        }
#pragma unroll
        for (int j = 0; j < UNROLL; j++) {
            int i = (base + j) * 32 + lane;
            if (base + j < ITEMS && i < nvec) {
#pragma unroll
                for (int k = 0; k < VEC / 2; k++) {
                    float2 f = __bfloat1622float2(buf[base + j].h[k]);
                    sum += f.x * f.x + f.y * f.y;
                }
            }
        }
    }
#pragma unroll
    for (int off = 16; off > 0; off >>= 1)
        sum += __shfl_xor_sync(0xffffffffu, sum, off);
    float inv_rms = rsqrtf(sum / (float)hidden_size + EPS);

    /* the weight in chunks of WCHUNK vectors: a few loads in flight, few extra registers */
#pragma unroll
    for (int base = 0; base < ITEMS; base += WCHUNK) {
        pack_t wv[WCHUNK];
#pragma unroll
        for (int j = 0; j < WCHUNK; j++) {
            int i = (base + j) * 32 + lane;
            if (base + j < ITEMS && i < nvec) wv[j].v = __ldg(w + i);
        }
#pragma unroll
        for (int j = 0; j < WCHUNK; j++) {
            int i = (base + j) * 32 + lane;
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

extern "C" __global__ void BOUNDS rmsnorm_warp(const __nv_bfloat16 *__restrict__ hidden_states,
                                               const __nv_bfloat16 *__restrict__ weight,
                                               __nv_bfloat16 *__restrict__ output, int batch_size,
                                               int hidden_size)
{
    int lane = threadIdx.x & 31;
    int row = blockIdx.x * WARPS + (threadIdx.x >> 5);
    if (row >= batch_size) return;
    int nvec = hidden_size / VEC;
    const vec_t *x = reinterpret_cast<const vec_t *>(hidden_states + (size_t)row * hidden_size);
    const vec_t *w = reinterpret_cast<const vec_t *>(weight);
    vec_t *y = reinterpret_cast<vec_t *>(output + (size_t)row * hidden_size);
    row_norm(x, w, y, nvec, hidden_size, lane);
}
