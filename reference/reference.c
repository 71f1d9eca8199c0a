/* reference.c -- the registry of host references (task.json names one) and the number
 * conversions that references and the correctness gate share.
 *
 * Conversions are bit-exact with CUDA's intrinsics (__float2half_rn, __float2bfloat16_rn,
 * __nv_cvt_float_to_fp8 with saturation): the gate compares device bytes against float
 * references, so a conversion that rounds differently would show up as false mismatches. */
#include "reference.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gdn.h"

/* Each reference lives in its own file (reference/<op>.c). To add one, declare it here (or
 * include its header) and add a row to REFS and a name to NAMES. */
int reference_gemm(const ref_problem *p, const void *const *inputs, float *const *outputs,
                   char *err, size_t errlen);
int reference_rmsnorm(const ref_problem *p, const void *const *inputs, float *const *outputs,
                      char *err, size_t errlen);

static const struct {
    const char *name;
    reference_fn fn;
} REFS[] = {
    {"gemm", reference_gemm},
    {"rmsnorm", reference_rmsnorm},
    {"gdn_decode", reference_gdn_decode},
    {"gdn_prefill", reference_gdn_prefill},
};

static const char *const NAMES[] = {"gemm", "rmsnorm", "gdn_decode", "gdn_prefill", NULL};

reference_fn reference_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof REFS / sizeof REFS[0]; i++)
        if (!strcmp(REFS[i].name, name)) return REFS[i].fn;
    return NULL;
}

const char *const *reference_names(void)
{
    return NAMES;
}

int ref_axis(const ref_problem *p, const char *name, int64_t *out)
{
    for (int i = 0; i < p->naxes; i++)
        if (!strcmp(p->axis_names[i], name)) {
            *out = p->axis_values[i];
            return 0;
        }
    return -1;
}

int ref_input(const ref_problem *p, const char *name)
{
    for (int i = 0; i < p->ninputs; i++)
        if (!strcmp(p->inputs[i].name, name)) return i;
    return -1;
}

int ref_output(const ref_problem *p, const char *name)
{
    for (int i = 0; i < p->noutputs; i++)
        if (!strcmp(p->outputs[i].name, name)) return i;
    return -1;
}

int64_t ref_numel(const ref_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->dims[i];
    return n;
}

static void shape_text(const int64_t *d, int n, char *buf, size_t len)
{
    size_t k = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < n && k < len; i++) {
        if (d[i] < 0)
            k += (size_t)snprintf(buf + k, len - k, "%s*", i ? ", " : "");
        else
            k += (size_t)snprintf(buf + k, len - k, "%s%lld", i ? ", " : "", (long long)d[i]);
    }
    if (k < len) snprintf(buf + k, len - k, "]");
}

int ref_need_shape(const char *who, const char *kind, const ref_tensor *x, int ndim,
                   const int64_t *want, char *err, size_t errlen)
{
    int ok = x->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++)
        ok = want[i] < 0 || x->dims[i] == want[i];
    if (ok) return 0;
    char have[160], need[160];
    shape_text(x->dims, x->ndim, have, sizeof have);
    shape_text(want, ndim, need, sizeof need);
    snprintf(err, errlen, "%s reference: %s '%s' is %s; it must be %s", who, kind, x->name, have,
             need);
    return -1;
}

static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    int exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    if (exp == 0x1f) return u2f(sign | 0x7f800000u | (man << 13)); /* inf / nan */
    if (exp == 0) {
        float v = ldexpf((float)man, -24); /* subnormal or zero */
        return sign ? -v : v;
    }
    return u2f(sign | ((uint32_t)(exp - 15 + 127) << 23) | (man << 13));
}

uint16_t float_to_half(float f)
{
    uint32_t u = f2u(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return sign | 0x7e00;  /* nan */
    if (a >= 0x477ff000u) return sign | 0x7c00; /* rounds to >= 65520: inf */
    if (a < 0x38800000u) {
        /* Below the smallest normal (2^-14): a multiple of 2^-24, rounded to nearest even. */
        float v = u2f(a);
        float q = rintf(v * 16777216.0f); /* 2^24: exact scaling */
        return sign | (uint16_t)q;
    }
    uint32_t exp = (a >> 23) - 127 + 15;
    uint32_t man = a & 0x7fffff;
    uint32_t h = (exp << 10) | (man >> 13);
    uint32_t rest = man & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++; /* carries into exp correctly */
    return sign | (uint16_t)h;
}

float bf16_to_float(uint16_t b)
{
    return u2f((uint32_t)b << 16);
}

uint16_t float_to_bf16(float f)
{
    uint32_t u = f2u(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet nan */
    uint32_t lsb = (u >> 16) & 1;
    u += 0x7fff + lsb;
    return (uint16_t)(u >> 16);
}

float fp8e4m3_to_float(uint8_t v)
{
    int sign = v & 0x80;
    int exp = (v >> 3) & 0xf;
    int man = v & 7;
    float r;
    if (exp == 0xf && man == 7) return NAN;
    if (exp == 0)
        r = ldexpf((float)man, -9);
    else
        r = ldexpf(1.0f + man / 8.0f, exp - 7);
    return sign ? -r : r;
}

uint8_t float_to_fp8e4m3(float f)
{
    if (isnan(f)) return 0x7f;
    uint8_t sign = signbit(f) ? 0x80 : 0;
    double a = fabs((double)f);
    if (a >= 464.0) return sign | 0x7e; /* 448 is the largest finite; saturate */
    if (a < ldexp(1.0, -6)) {
        double q = rint(a * 512.0); /* subnormals are multiples of 2^-9 */
        return sign | (uint8_t)q;   /* q == 8 is exactly the smallest normal's code */
    }
    int e2;
    double fr = frexp(a, &e2); /* a = fr * 2^e2, fr in [0.5, 1) */
    int e = e2 - 1;
    double q = rint((fr * 2.0 - 1.0) * 8.0);
    if (q == 8) {
        q = 0;
        e++;
    }
    if (e > 8 || (e == 8 && q == 7)) return sign | 0x7e;
    return sign | (uint8_t)(((e + 7) << 3) | (int)q);
}

float dtype_load_float(int t, const void *buf, int64_t i)
{
    switch (t) {
    case REF_F32:
        return ((const float *)buf)[i];
    case REF_F16:
        return half_to_float(((const uint16_t *)buf)[i]);
    case REF_BF16:
        return bf16_to_float(((const uint16_t *)buf)[i]);
    case REF_E4M3:
        return fp8e4m3_to_float(((const uint8_t *)buf)[i]);
    case REF_E5M2:
        return half_to_float((uint16_t)(((const uint8_t *)buf)[i] << 8));
    case REF_F64:
        return (float)((const double *)buf)[i];
    case REF_I64:
        return (float)((const int64_t *)buf)[i];
    case REF_I32:
        return (float)((const int32_t *)buf)[i];
    case REF_I16:
        return (float)((const int16_t *)buf)[i];
    case REF_I8:
        return (float)((const int8_t *)buf)[i];
    case REF_U8:
        return (float)((const uint8_t *)buf)[i];
    case REF_BOOL:
        return ((const uint8_t *)buf)[i] ? 1.0f : 0.0f;
    default:
        return NAN;
    }
}
