/* reference.c -- the registry of host references (task.json names one) and the number
 * conversions that references and the correctness gate share.
 *
 * Conversions are bit-exact with CUDA's intrinsics (__float2half_rn, __float2bfloat16_rn,
 * __nv_cvt_float_to_fp8 with saturation): the gate compares device bytes against float
 * references, so a conversion that rounds differently would show up as false mismatches. */
#include "reference.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsa.h"
#include "gdn.h"

/* Each reference lives in its own file (reference/<op>.c) with its table (ref_spec). To add
 * one, declare its table here (or include its header) and add it to SPECS. */
extern const ref_spec ref_spec_gemm, ref_spec_rmsnorm;

static const ref_spec *const SPECS[] = {
    &ref_spec_gemm,        &ref_spec_rmsnorm,          &ref_spec_gdn_decode,
    &ref_spec_gdn_prefill, &ref_spec_dsa_topk_indexer, &ref_spec_dsa_sparse_attention};

static const char *const NAMES[] = {"gemm",        "rmsnorm",          "gdn_decode",
                                    "gdn_prefill", "dsa_topk_indexer", "dsa_sparse_attention",
                                    NULL};

const ref_spec *reference_spec(const char *name)
{
    for (size_t i = 0; name && i < sizeof SPECS / sizeof SPECS[0]; i++)
        if (!strcmp(SPECS[i]->name, name)) return SPECS[i];
    return NULL;
}

reference_fn reference_find(const char *name)
{
    const ref_spec *s = reference_spec(name);
    return s ? s->fn : NULL;
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

/* ------------------------------------------------------------------------------------ */
/* the tables                                                                           */

static const char *const DTYPE_NAMES[] = {"float32",     "float16", "bfloat16", "float8_e4m3fn",
                                          "float8_e5m2", "float64", "int64",    "int32",
                                          "int16",       "int8",    "uint8",    "bool"};

static const char *dtype_text(ref_dtype t)
{
    return (unsigned)t < sizeof DTYPE_NAMES / sizeof DTYPE_NAMES[0] ? DTYPE_NAMES[t] : "?";
}

/* One dim of a shape: a symbol (sym >= 0) plus add, or a literal (sym < 0). */
typedef struct dim_term {
    int sym;
    int64_t add;
} dim_term;

#define SPEC_MAX_SYMS 16

/* The dims of a's shape as terms; the count, or -1 for a table that does not parse (a bug in
 * the reference, reported as such). */
static int parse_shape(const ref_spec *s, const ref_arg *a, dim_term *t)
{
    int n = 0;
    const char *c = a->shape ? a->shape : "";
    while (*c) {
        while (*c == ' ')
            c++;
        if (!*c) break;
        if (n == REF_MAX_DIMS) return -1;
        size_t len = strcspn(c, " +");
        t[n].sym = -1;
        t[n].add = 0;
        if (*c >= '0' && *c <= '9') {
            t[n].add = strtoll(c, NULL, 10);
        } else {
            for (int k = 0; s->syms[k].name && t[n].sym < 0; k++)
                if (strlen(s->syms[k].name) == len && !strncmp(s->syms[k].name, c, len))
                    t[n].sym = k;
            if (t[n].sym < 0) return -1;
        }
        c += len;
        if (*c == '+') {
            char *end;
            t[n].add = strtoll(c + 1, &end, 10);
            c = end;
        }
        n++;
    }
    return n;
}

static void term_text(const ref_spec *s, const dim_term *t, char *buf, size_t len)
{
    if (t->sym < 0)
        snprintf(buf, len, "%lld", (long long)t->add);
    else if (t->add)
        snprintf(buf, len, "%s+%lld", s->syms[t->sym].name, (long long)t->add);
    else
        snprintf(buf, len, "%s", s->syms[t->sym].name);
}

__attribute__((format(printf, 3, 4))) static void append(char *buf, size_t len, const char *fmt,
                                                         ...)
{
    size_t k = strlen(buf);
    if (k + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + k, len - k, fmt, ap);
    va_end(ap);
}

/* "[B, H]" for the table's dims; with vals, "[7, 4096]" (unknown ones as *). */
static void arg_shape_text(const ref_spec *s, const dim_term *t, int n, const int64_t *vals,
                           const int *bound, char *buf, size_t len)
{
    snprintf(buf, len, "[");
    for (int i = 0; i < n; i++) {
        if (i) append(buf, len, "%s", ", ");
        if (!vals) {
            char term[64];
            term_text(s, &t[i], term, sizeof term);
            append(buf, len, "%s", term);
        } else if (t[i].sym >= 0 && !bound[t[i].sym]) {
            append(buf, len, "%s", "*");
        } else {
            append(buf, len, "%lld", (long long)((t[i].sym >= 0 ? vals[t[i].sym] : 0) + t[i].add));
        }
    }
    append(buf, len, "%s", "]");
}

static void have_text(const ref_tensor *x, char *buf, size_t len)
{
    snprintf(buf, len, "[");
    for (int i = 0; i < x->ndim; i++) {
        if (i) append(buf, len, "%s", ", ");
        if (x->dims[i] < 0)
            append(buf, len, "%s", "?");
        else
            append(buf, len, "%lld", (long long)x->dims[i]);
    }
    append(buf, len, "%s", "]");
}

void reference_signature(const ref_spec *s, char *buf, size_t len)
{
    buf[0] = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0, first = 1; s->args[i].name; i++) {
            const ref_arg *a = &s->args[i];
            if (a->output != pass) continue;
            if (pass && first) append(buf, len, "%s", " -> ");
            if (!first) append(buf, len, "%s", ", ");
            first = 0;
            append(buf, len, "%s", a->name);
            dim_term t[REF_MAX_DIMS];
            int n = parse_shape(s, a, t);
            char shape[256];
            if (n > 0) {
                arg_shape_text(s, t, n, NULL, NULL, shape, sizeof shape);
                append(buf, len, " %s", shape);
            } else if (n == 0) {
                append(buf, len, "%s", " (scalar)");
            }
            if (a->optional) append(buf, len, "%s", " (optional)");
        }
}

static const ref_tensor *find_tensor(const ref_problem *p, const char *name, int *output)
{
    for (int i = 0; i < p->ninputs; i++)
        if (!strcmp(p->inputs[i].name, name)) {
            *output = 0;
            return &p->inputs[i];
        }
    for (int i = 0; i < p->noutputs; i++)
        if (!strcmp(p->outputs[i].name, name)) {
            *output = 1;
            return &p->outputs[i];
        }
    return NULL;
}

static const ref_arg *find_arg(const ref_spec *s, const char *name)
{
    for (int i = 0; s->args[i].name; i++)
        if (!strcmp(s->args[i].name, name)) return &s->args[i];
    return NULL;
}

static const char *kind_text(int output)
{
    return output ? "output" : "input";
}

/* Names, directions, optional marks and dtypes: what does not depend on a workload. Missing
 * tensors first (the likeliest mistake: another operator's reference), then strangers. */
static int check_names(const ref_spec *s, const ref_problem *p, char *err, size_t errlen)
{
    char sig[1024];
    reference_signature(s, sig, sizeof sig);
    for (int i = 0; s->args[i].name; i++) {
        int output;
        if (find_tensor(p, s->args[i].name, &output)) continue;
        snprintf(err, errlen, "%s reference: %s has no %s '%s' (the reference takes %s)", s->name,
                 p->definition, kind_text(s->args[i].output), s->args[i].name, sig);
        return -1;
    }
    for (int pass = 0; pass < 2; pass++) {
        int n = pass ? p->noutputs : p->ninputs;
        for (int i = 0; i < n; i++) {
            const ref_tensor *x = pass ? &p->outputs[i] : &p->inputs[i];
            const ref_arg *a = find_arg(s, x->name);
            if (a && a->output == pass) continue;
            if (a)
                snprintf(err, errlen,
                         "%s reference: %s declares '%s' as an %s; the reference takes it as an "
                         "%s (%s)",
                         s->name, p->definition, x->name, kind_text(pass), kind_text(a->output),
                         sig);
            else
                snprintf(err, errlen,
                         "%s reference: %s has %s '%s', which the reference does not read or "
                         "write (it takes %s)",
                         s->name, p->definition, kind_text(pass), x->name, sig);
            return -1;
        }
    }
    for (int i = 0; s->args[i].name; i++) {
        const ref_arg *a = &s->args[i];
        int output;
        const ref_tensor *x = find_tensor(p, a->name, &output);
        if (x->optional && !a->optional) {
            snprintf(err, errlen,
                     "%s reference: %s marks %s '%s' optional; the reference needs it in every "
                     "workload",
                     s->name, p->definition, kind_text(output), a->name);
            return -1;
        }
        if (a->dtypes && !(a->dtypes & REF_DT(x->dtype))) {
            char want[256] = "";
            for (int t = 0; t < (int)(sizeof DTYPE_NAMES / sizeof DTYPE_NAMES[0]); t++)
                if (a->dtypes & REF_DT(t))
                    append(want, sizeof want, "%s%s", want[0] ? " or " : "", DTYPE_NAMES[t]);
            snprintf(err, errlen, "%s reference: %s '%s' is %s; it must be %s", s->name,
                     kind_text(output), a->name, dtype_text(x->dtype), want);
            return -1;
        }
    }
    return 0;
}

int reference_check(const ref_spec *s, const ref_problem *p, char *err, size_t errlen)
{
    int64_t vals[SPEC_MAX_SYMS] = {0};
    int bound[SPEC_MAX_SYMS] = {0};
    if (check_names(s, p, err, errlen)) return -1;
    for (int k = 0; s->syms[k].name; k++) {
        if (k == SPEC_MAX_SYMS) {
            snprintf(err, errlen, "%s reference: its table has too many symbols", s->name);
            return -1;
        }
        if (!s->syms[k].axis) continue;
        if (ref_axis(p, s->syms[k].axis, &vals[k])) {
            snprintf(err, errlen, "%s reference: %s has no axis '%s' (the reference needs it)",
                     s->name, p->definition, s->syms[k].axis);
            return -1;
        }
        bound[k] = 1;
    }
    for (int i = 0; s->args[i].name; i++) {
        const ref_arg *a = &s->args[i];
        int output;
        const ref_tensor *x = find_tensor(p, a->name, &output);
        dim_term t[REF_MAX_DIMS];
        int n = parse_shape(s, a, t);
        if (n < 0) {
            snprintf(err, errlen, "%s reference: its table's shape of '%s' does not parse", s->name,
                     a->name);
            return -1;
        }
        int ok = x->ndim == n;
        for (int d = 0; ok && d < n; d++) {
            if (x->dims[d] < 0) {
                snprintf(err, errlen,
                         "%s reference: dim %d of %s '%s' is an axis the workload does not give",
                         s->name, d, kind_text(output), a->name);
                return -1;
            }
            int k = t[d].sym;
            if (k >= 0 && !bound[k]) {
                vals[k] = x->dims[d] - t[d].add;
                bound[k] = 1;
            }
            ok = x->dims[d] == (k >= 0 ? vals[k] : 0) + t[d].add;
        }
        if (!ok) {
            char have[256], sym[256], want[256];
            have_text(x, have, sizeof have);
            arg_shape_text(s, t, n, NULL, NULL, sym, sizeof sym);
            arg_shape_text(s, t, n, vals, bound, want, sizeof want);
            if (!strcmp(sym, want))
                snprintf(err, errlen, "%s reference: %s '%s' is %s; it must be %s", s->name,
                         kind_text(output), a->name, have, sym);
            else
                snprintf(err, errlen, "%s reference: %s '%s' is %s; it must be %s = %s", s->name,
                         kind_text(output), a->name, have, sym, want);
            return -1;
        }
    }
    for (int k = 0; s->syms[k].name; k++) {
        const ref_sym *y = &s->syms[k];
        if (bound[k] && (vals[k] < y->min || vals[k] > y->max)) {
            snprintf(err, errlen, "%s reference: %s%s%s is %lld; it must be in %lld..%lld", s->name,
                     y->axis ? "axis '" : "", y->axis ? y->axis : y->name, y->axis ? "'" : "",
                     (long long)vals[k], (long long)y->min, (long long)y->max);
            return -1;
        }
    }
    return s->check ? s->check(p, err, errlen) : 0;
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
