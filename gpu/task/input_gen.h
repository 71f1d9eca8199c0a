/* input_gen.h -- the random inputs of a workload, element by element, bit for bit the same on
 * the host (gate.c, for the host reference) and on the GPU (the sandbox writes a fresh set
 * before every run of a candidate, from a seed the candidate never sees).
 *
 * This file is compiled twice: as C by the host compiler and, embedded as text, by NVRTC for
 * the sandbox's kernels. Both builds use only integer arithmetic and IEEE float +, -, *, /
 * and sqrt, with contraction into FMA off (-ffp-contract=off, --fmad=false), so the same
 * (seed, input, element) gives the same bits on both. No libm: glibc's logf and the GPU's
 * differ in the last place.
 *
 * The draw (FlashInfer-Bench draws randn for floats, fp8 randn clamped to [-2, 2], randint for
 * integers): element i of input `input` hashes (key, i / 2) with splitmix64, where key mixes
 * the seed, the workload and the input; the 64 bits give two uniforms, and Box-Muller turns
 * them into a pair of normals, element 2j taking the cosine and 2j + 1 the sine. Integers
 * take the high 32 bits of splitmix64(key, i) scaled to [0, bound). Counter based, so any
 * element can be drawn alone: the GPU fills millions in parallel. */
#ifndef EVO_INPUT_GEN_H
#define EVO_INPUT_GEN_H

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define IG_FN static __host__ __device__ __forceinline__
typedef unsigned long long ig_u64;
typedef unsigned int ig_u32;
typedef unsigned short ig_u16;
typedef unsigned char ig_u8;
#else
/* Host files include <math.h>, <stdint.h> and <string.h> before this one: the same text is
 * compiled by NVRTC, where the source policy allows no host header. */
#define IG_FN static inline
typedef uint64_t ig_u64;
typedef uint32_t ig_u32;
typedef uint16_t ig_u16;
typedef uint8_t ig_u8;
#endif

/* Element kinds, by how they are stored. */
enum {
    IG_F32 = 0,
    IG_F16,
    IG_BF16,
    IG_E4M3,
    IG_E5M2,
    IG_F64,
    IG_I64,
    IG_I32,
    IG_I16,
    IG_I8,
    IG_U8,
    IG_BOOL
};

#define IG_GOLDEN 0x9E3779B97F4A7C15ull

IG_FN ig_u64 ig_mix(ig_u64 z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The key of one input of one draw: seed (already mixed with the workload) and input index. */
IG_FN ig_u64 ig_key(ig_u64 seed, int input)
{
    return ig_mix(seed + IG_GOLDEN * (ig_u64)(input + 1));
}

IG_FN ig_u32 ig_f2u(float f)
{
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
    return __float_as_uint(f);
#else
    ig_u32 u;
    memcpy(&u, &f, 4);
    return u;
#endif
}

IG_FN float ig_u2f(ig_u32 u)
{
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
    return __uint_as_float(u);
#else
    float f;
    memcpy(&f, &u, 4);
    return f;
#endif
}

/* ln(x) for x in (0, 1]: x = m 2^e with m in [sqrt(1/2), sqrt(2)), then the atanh series of
 * (m - 1) / (m + 1) to the 9th power (relative error under 1e-7). */
IG_FN float ig_log(float x)
{
    ig_u32 b = ig_f2u(x);
    int e = (int)((b >> 23) & 0xff) - 127;
    float m = ig_u2f((b & 0x7fffffu) | 0x3f800000u);
    if (m > 1.41421354f) {
        m = m * 0.5f;
        e = e + 1;
    }
    float s = (m - 1.0f) / (m + 1.0f);
    float z = s * s;
    float p = 0x1.c71c72p-4f;   /* 1/9 */
    p = 0x1.249250p-3f + z * p; /* 1/7 */
    p = 0x1.99999ap-3f + z * p; /* 1/5 */
    p = 0x1.555556p-2f + z * p; /* 1/3 */
    p = 1.0f + z * p;
    return (float)e * 0x1.62e430p-1f + 2.0f * s * p; /* e ln 2 + 2 atanh(s) */
}

/* cos and sin of 2 pi u for u in [0, 1): the quadrant from 4u, then Taylor series on
 * [0, pi/2) (errors under 1e-8). */
IG_FN void ig_cossin2pi(float u, float *c, float *s)
{
    float t = u * 4.0f;
    int q = (int)t;
    float a = (t - (float)q) * 0x1.921fb6p+0f; /* pi/2 */
    float a2 = a * a;
    float cp = 0x1.1ee9ecp-29f;      /* 1/12! */
    cp = -0x1.27e4fcp-22f + a2 * cp; /* -1/10! */
    cp = 0x1.a01a02p-16f + a2 * cp;  /* 1/8! */
    cp = -0x1.6c16c2p-10f + a2 * cp; /* -1/6! */
    cp = 0x1.555556p-5f + a2 * cp;   /* 1/4! */
    cp = -0.5f + a2 * cp;
    cp = 1.0f + a2 * cp;
    float sp = 0x1.6124614p-33f;      /* 1/13! */
    sp = -0x1.ae64568p-26f + a2 * sp; /* -1/11! */
    sp = 0x1.71de3ap-19f + a2 * sp;   /* 1/9! */
    sp = -0x1.a01a02p-13f + a2 * sp;  /* -1/7! */
    sp = 0x1.111112p-7f + a2 * sp;    /* 1/5! */
    sp = -0x1.555556p-3f + a2 * sp;   /* -1/3! */
    sp = 1.0f + a2 * sp;
    sp = a * sp;
    if (q == 0) {
        *c = cp;
        *s = sp;
    } else if (q == 1) {
        *c = -sp;
        *s = cp;
    } else if (q == 2) {
        *c = -cp;
        *s = -sp;
    } else {
        *c = sp;
        *s = -cp;
    }
}

/* The standard normals of pair j: elements 2j (cosine) and 2j + 1 (sine). */
IG_FN void ig_normal_pair(ig_u64 key, ig_u64 j, float *a, float *b)
{
    ig_u64 h = ig_mix(key + IG_GOLDEN * j);
    float u1 = ((float)(ig_u32)(h >> 40) + 1.0f) * 0x1p-24f;     /* (0, 1] */
    float u2 = (float)(ig_u32)((h >> 8) & 0xffffffu) * 0x1p-24f; /* [0, 1) */
    float r = sqrtf(-2.0f * ig_log(u1));
    float c, s;
    ig_cossin2pi(u2, &c, &s);
    *a = r * c;
    *b = r * s;
}

/* An integer in [0, bound) for element i. */
IG_FN ig_u32 ig_uniform_int(ig_u64 key, ig_u64 i, ig_u32 bound)
{
    ig_u64 h = ig_mix(key + IG_GOLDEN * i);
    return (ig_u32)(((h >> 32) * (ig_u64)bound) >> 32);
}

IG_FN float ig_rint(float v)
{
    /* Round to nearest even for |v| < 2^23 by the 1.5 * 2^23 trick (exact in IEEE float). */
    const float big = 12582912.0f;
    if (v >= 0) return (v + big) - big;
    return -((-v + big) - big);
}

IG_FN ig_u16 ig_to_half(float f)
{
    ig_u32 u = ig_f2u(f);
    ig_u16 sign = (ig_u16)((u >> 16) & 0x8000);
    ig_u32 a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return (ig_u16)(sign | 0x7e00);
    if (a >= 0x477ff000u) return (ig_u16)(sign | 0x7c00);
    if (a < 0x38800000u) return (ig_u16)(sign | (ig_u16)ig_rint(ig_u2f(a) * 16777216.0f));
    ig_u32 r = a + 0xfffu + ((a >> 13) & 1u) - 0x38000000u;
    return (ig_u16)(sign | (ig_u16)(r >> 13));
}

IG_FN ig_u16 ig_to_bf16(float f)
{
    ig_u32 u = ig_f2u(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (ig_u16)((u >> 16) | 0x40);
    return (ig_u16)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

/* fp8 e4m3 (finite, saturating at 448), round to nearest even. */
IG_FN ig_u8 ig_to_e4m3(float f)
{
    ig_u32 u = ig_f2u(f);
    ig_u8 sign = (ig_u8)((u >> 24) & 0x80);
    float a = ig_u2f(u & 0x7fffffffu);
    if (!(a == a)) return (ig_u8)(sign | 0x7f);
    if (a >= 464.0f) return (ig_u8)(sign | 0x7e); /* 448 and above the midpoint to 480 */
    if (a < 0x1p-6f) {                            /* subnormal: multiples of 2^-9 */
        int q = (int)ig_rint(a * 512.0f);
        return (ig_u8)(sign | (ig_u8)q);
    }
    ig_u32 b = ig_f2u(a);
    ig_u32 r = b + 0x7ffffu + ((b >> 20) & 1u);
    int e = (int)((r >> 23) & 0xff) - 127 + 7;
    ig_u32 m = (r >> 20) & 7u;
    if (e > 15 || (e == 15 && m == 7)) return (ig_u8)(sign | 0x7e);
    return (ig_u8)(sign | (ig_u8)(e << 3) | (ig_u8)m);
}

/* fp8 e5m2 is the top byte of a half, rounded to nearest even on the low byte. */
IG_FN ig_u8 ig_to_e5m2(float f)
{
    ig_u16 h = ig_to_half(f);
    ig_u16 r = (ig_u16)(h + 0x7f + ((h >> 8) & 1));
    return (h & 0x7fff) > 0x7c00 ? (ig_u8)((h >> 8) | 2) : (ig_u8)(r >> 8);
}

/* Exclusive bound of randint for an integer kind: 1 << 15, narrowed to what fits. */
IG_FN ig_u32 ig_int_bound(int kind)
{
    return kind == IG_BOOL ? 2u : kind == IG_I8 ? 128u : kind == IG_U8 ? 256u : 32768u;
}

IG_FN int ig_is_float(int kind)
{
    return kind <= IG_F64;
}

IG_FN int ig_size(int kind)
{
    switch (kind) {
    case IG_F32:
    case IG_I32:
        return 4;
    case IG_F16:
    case IG_BF16:
    case IG_I16:
        return 2;
    case IG_F64:
    case IG_I64:
        return 8;
    default:
        return 1;
    }
}

/* The stored bits of a float value v (already scaled) in a float kind; fp8 kinds clamp to
 * [-2, 2] first, as FlashInfer-Bench draws them. */
IG_FN ig_u64 ig_encode_float(int kind, float v)
{
    if (kind == IG_E4M3 || kind == IG_E5M2) v = v < -2.0f ? -2.0f : v > 2.0f ? 2.0f : v;
    switch (kind) {
    case IG_F32:
        return ig_f2u(v);
    case IG_F16:
        return ig_to_half(v);
    case IG_BF16:
        return ig_to_bf16(v);
    case IG_E4M3:
        return ig_to_e4m3(v);
    case IG_E5M2:
        return ig_to_e5m2(v);
    default: {
        double d = (double)v;
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
        return (ig_u64)__double_as_longlong(d);
#else
        ig_u64 u;
        memcpy(&u, &d, 8);
        return u;
#endif
    }
    }
}

/* The stored bits of elements 2j and 2j + 1 of an input of this kind. */
IG_FN void ig_pair_bits(int kind, ig_u64 key, ig_u64 j, float scale, ig_u64 *b0, ig_u64 *b1)
{
    if (ig_is_float(kind)) {
        float a, b;
        ig_normal_pair(key, j, &a, &b);
        *b0 = ig_encode_float(kind, a * scale);
        *b1 = ig_encode_float(kind, b * scale);
        return;
    }
    ig_u32 bound = ig_int_bound(kind);
    ig_u32 x = ig_uniform_int(key, 2 * j, bound), y = ig_uniform_int(key, 2 * j + 1, bound);
    ig_u64 mask = ig_size(kind) == 8 ? ~0ull : ((1ull << (8 * ig_size(kind))) - 1);
    *b0 = (ig_u64)x & mask;
    *b1 = (ig_u64)y & mask;
}

IG_FN void ig_put(int size, void *buf, ig_u64 i, ig_u64 bits)
{
    switch (size) {
    case 1:
        ((ig_u8 *)buf)[i] = (ig_u8)bits;
        break;
    case 2:
        ((ig_u16 *)buf)[i] = (ig_u16)bits;
        break;
    case 4:
        ((ig_u32 *)buf)[i] = (ig_u32)bits;
        break;
    default:
        ((ig_u64 *)buf)[i] = bits;
        break;
    }
}

IG_FN ig_u64 ig_get(int size, const void *buf, ig_u64 i)
{
    switch (size) {
    case 1:
        return ((const ig_u8 *)buf)[i];
    case 2:
        return ((const ig_u16 *)buf)[i];
    case 4:
        return ((const ig_u32 *)buf)[i];
    default:
        return ((const ig_u64 *)buf)[i];
    }
}

/* Write elements 2j and 2j + 1 (if below n) of an input into buf. */
IG_FN void ig_fill_pair(int kind, void *buf, ig_u64 key, ig_u64 j, ig_u64 n, float scale)
{
    ig_u64 b0, b1;
    ig_pair_bits(kind, key, j, scale, &b0, &b1);
    int size = ig_size(kind);
    ig_put(size, buf, 2 * j, b0);
    if (2 * j + 1 < n) ig_put(size, buf, 2 * j + 1, b1);
}

/* The first of elements 2j and 2j + 1 (if below n) that differs from its draw, or -1. */
IG_FN long long ig_check_pair(int kind, const void *buf, ig_u64 key, ig_u64 j, ig_u64 n,
                              float scale)
{
    ig_u64 b0, b1;
    ig_pair_bits(kind, key, j, scale, &b0, &b1);
    int size = ig_size(kind);
    if (ig_get(size, buf, 2 * j) != b0) return (long long)(2 * j);
    if (2 * j + 1 < n && ig_get(size, buf, 2 * j + 1) != b1) return (long long)(2 * j + 1);
    return -1;
}
#endif
