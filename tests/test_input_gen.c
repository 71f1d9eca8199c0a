/* test_input_gen.c -- the input generator that the host and the GPU share (CPU suite): its
 * conversions round exactly as the reference's do (every finite bf16, fp16 and fp8 value
 * and the midpoints between them), its normals have the moments and tails of randn, fp8
 * draws stay in [-2, 2], integers in their bound, every element can be drawn alone and
 * checked, and different seeds, inputs and workloads give different data. The GPU compiles
 * the same text (the sandbox's draws must match the worker's host references for any honest
 * candidate of the GPU suites to pass); no suite compares the two bit for bit. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "input_gen.h"
#include "reference.h"

static float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Every float whose top 16 bits are any value, plus offsets that land on and around the
 * rounding midpoints of the narrow formats. */
static void test_conversions(void)
{
    int64_t bad16 = 0, badbf = 0, bad8 = 0, n = 0;
    static const uint32_t lows[] = {0, 1, 0x0fff, 0x1000, 0x1001, 0x7fff, 0x8000, 0x8001, 0xffff};
    for (uint32_t hi = 0; hi < 65536; hi++) {
        for (size_t k = 0; k < sizeof lows / sizeof lows[0]; k++) {
            uint32_t u = hi << 16 | lows[k];
            float f = u2f(u);
            if (isnan(f)) continue;
            n++;
            badbf += ig_to_bf16(f) != float_to_bf16(f);
            bad16 += ig_to_half(f) != float_to_half(f);
            if (fabsf(f) <= 500.0f) bad8 += ig_to_e4m3(f) != float_to_fp8e4m3(f);
        }
    }
    CHECK_MSG(badbf == 0, "bf16: %lld of %lld differ from the reference", (long long)badbf,
              (long long)n);
    CHECK_MSG(bad16 == 0, "fp16: %lld of %lld differ", (long long)bad16, (long long)n);
    CHECK_MSG(bad8 == 0, "e4m3: %lld differ", (long long)bad8);
    /* Every e4m3 code and the midpoints between neighbours. */
    int bad = 0;
    for (int c = 0; c < 0x7e; c++) {
        float a = fp8e4m3_to_float((uint8_t)c), b = fp8e4m3_to_float((uint8_t)(c + 1));
        float mid = (a + b) / 2;
        bad += ig_to_e4m3(a) != c || ig_to_e4m3(-a) != float_to_fp8e4m3(-a);
        bad += ig_to_e4m3(mid) != float_to_fp8e4m3(mid);
    }
    CHECK_MSG(bad == 0, "%d e4m3 codes or midpoints differ", bad);
    CHECK(ig_to_e4m3(448.0f) == 0x7e && ig_to_e4m3(1e6f) == 0x7e && ig_to_e4m3(-1e6f) == 0xfe);
}

static void test_normals(void)
{
    const int64_t n = 1 << 22;
    double s = 0, s2 = 0, s4 = 0, maxabs = 0;
    int64_t beyond3 = 0;
    ig_u64 key = ig_key(12345, 0);
    for (int64_t i = 0; i < n; i += 2) {
        float a, b;
        ig_normal_pair(key, (ig_u64)i / 2, &a, &b);
        double v[2] = {a, b};
        for (int k = 0; k < 2; k++) {
            s += v[k];
            s2 += v[k] * v[k];
            s4 += v[k] * v[k] * v[k] * v[k];
            if (fabs(v[k]) > maxabs) maxabs = fabs(v[k]);
            beyond3 += fabs(v[k]) > 3;
        }
    }
    double mean = s / n, var = s2 / n - mean * mean, kurt = s4 / n / (var * var);
    CHECK_MSG(fabs(mean) < 0.003, "mean %g", mean);
    CHECK_MSG(fabs(var - 1) < 0.005, "variance %g", var);
    CHECK_MSG(fabs(kurt - 3) < 0.05, "kurtosis %g", kurt);
    /* P(|z| > 3) = 0.0027; the largest of 4M draws is about 5.3. */
    CHECK_MSG(fabs((double)beyond3 / n - 0.0027) < 0.0003, "tail %g", (double)beyond3 / n);
    CHECK_MSG(maxabs > 4.5 && maxabs < 6.5, "largest |z| %g", maxabs);
    /* ig_log and ig_cossin2pi against libm, which they replace for reproducibility only. */
    double worst = 0;
    for (int i = 1; i <= 1 << 16; i++) {
        float x = (float)i / 65536.0f;
        double e = fabs(ig_log(x) - log(x)) / (fabs(log(x)) + 1e-3);
        if (e > worst) worst = e;
        float c, sn;
        ig_cossin2pi(x * 0.999f, &c, &sn);
        e = fabs(c - cos(2 * M_PI * x * 0.999f)) + fabs(sn - sin(2 * M_PI * x * 0.999f));
        if (e > worst) worst = e;
    }
    CHECK_MSG(worst < 1e-5, "log/cos/sin worst error %g", worst);
}

static void test_kinds(void)
{
    enum { N = 4097 };
    static unsigned char buf[N * 8 + 8], again[N * 8 + 8];
    int kinds[] = {IG_F32, IG_F16, IG_BF16, IG_E4M3, IG_E5M2, IG_F64,
                   IG_I64, IG_I32, IG_I16,  IG_I8,   IG_U8,   IG_BOOL};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        int kind = kinds[k];
        ig_u64 key = ig_key(99, (int)k);
        memset(buf, 0xee, sizeof buf);
        for (ig_u64 j = 0; j < (N + 1) / 2; j++)
            ig_fill_pair(kind, buf, key, j, N, 0.5f);
        /* The byte after the last element stays untouched (odd n). */
        CHECK_MSG(buf[N * ig_size(kind)] == 0xee, "kind %d wrote past the end", kind);
        int bad = 0;
        for (ig_u64 j = 0; j < (N + 1) / 2; j++)
            bad += ig_check_pair(kind, buf, key, j, N, 0.5f) != -1;
        CHECK_MSG(bad == 0, "kind %d: %d pairs fail their own check", kind, bad);
        /* Filling in another order gives the same bytes. */
        memset(again, 0xee, sizeof again);
        for (ig_u64 j = (N + 1) / 2; j-- > 0;)
            ig_fill_pair(kind, again, key, j, N, 0.5f);
        CHECK_MSG(memcmp(buf, again, (size_t)N * ig_size(kind)) == 0, "kind %d depends on order",
                  kind);
        /* One changed element is found at its index. */
        int size = ig_size(kind);
        buf[1234 * size] ^= 1;
        CHECK(ig_check_pair(kind, buf, key, 617, N, 0.5f) == 1234);
        buf[1234 * size] ^= 1;
        CHECK(ig_check_pair(kind, buf, ig_key(100, (int)k), 617, N, 0.5f) != -1 || kind == IG_BOOL);
        for (int i = 0; i < N; i++) {
            double v;
            switch (kind) {
            case IG_E4M3:
                v = fp8e4m3_to_float(buf[i]);
                break;
            case IG_E5M2:
                v = half_to_float((uint16_t)(buf[i] << 8));
                break;
            case IG_BOOL:
                v = buf[i];
                break;
            case IG_U8:
                v = buf[i];
                break;
            case IG_I8:
                v = ((signed char *)buf)[i];
                break;
            case IG_I32:
                v = ((int32_t *)buf)[i];
                break;
            default:
                v = 0;
                break;
            }
            if (kind == IG_E4M3 || kind == IG_E5M2) CHECK(v >= -2 && v <= 2);
            if (kind == IG_BOOL) CHECK(v == 0 || v == 1);
            if (kind == IG_I8) CHECK(v >= 0 && v < 128);
            if (kind == IG_I32) CHECK(v >= 0 && v < 32768);
        }
    }
    /* Seeds and inputs give different keys; a key gives the same pair every time. */
    CHECK(ig_key(1, 0) != ig_key(2, 0) && ig_key(1, 0) != ig_key(1, 1));
    float a, b, c, d;
    ig_normal_pair(ig_key(1, 0), 5, &a, &b);
    ig_normal_pair(ig_key(1, 0), 5, &c, &d);
    CHECK(a == c && b == d && a != b);
}

int main(void)
{
    test_conversions();
    test_normals();
    test_kinds();
    return CHECK_DONE();
}
