/* test_reference.c -- number conversions (fp16, bf16, fp8 e4m3, e5m2) and the host
 * references (gemm, rmsnorm) on small cases worked out by hand. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "reference.h"
#include "task.h"

static void test_half(void)
{
    CHECK(float_to_half(1.0f) == 0x3c00);
    CHECK(float_to_half(-2.0f) == 0xc000);
    CHECK(float_to_half(65504.0f) == 0x7bff);
    CHECK(float_to_half(65519.0f) == 0x7bff);
    CHECK(float_to_half(65520.0f) == 0x7c00); /* rounds up to infinity */
    CHECK(float_to_half(INFINITY) == 0x7c00);
    CHECK(float_to_half(-INFINITY) == 0xfc00);
    CHECK(float_to_half(-0.0f) == 0x8000);
    CHECK((float_to_half(NAN) & 0x7fff) > 0x7c00);
    CHECK(float_to_half(ldexpf(1, -24)) == 0x0001);        /* smallest subnormal */
    CHECK(float_to_half(ldexpf(1, -25)) == 0x0000);        /* tie to even: 0 */
    CHECK(float_to_half(ldexpf(3, -25)) == 0x0002);        /* tie to even: 2 */
    CHECK(float_to_half(1.0f + ldexpf(1, -11)) == 0x3c00); /* tie: stays even */
    CHECK(float_to_half(1.0f + ldexpf(3, -11)) == 0x3c02); /* tie: rounds up to even */
    CHECK(float_to_half(1.0f + ldexpf(1, -11) + ldexpf(1, -20)) == 0x3c01);
    CHECK(float_to_half(2047.0f / 1024 * 0x1p-15f) == 0x0400); /* subnormal rounds to normal */
    CHECK(half_to_float(0x3555) == 0.333251953125f);
    CHECK(half_to_float(0x0001) == ldexpf(1, -24));
    CHECK(isinf(half_to_float(0x7c00)) && isnan(half_to_float(0x7e00)));
    int bad = 0;
    for (int h = 0; h < 65536; h++) {
        float f = half_to_float((uint16_t)h);
        if (isnan(f)) continue;
        bad += float_to_half(f) != h;
    }
    CHECK_MSG(bad == 0, "%d halves do not round-trip", bad);
}

static void test_bf16(void)
{
    CHECK(float_to_bf16(1.0f) == 0x3f80);
    CHECK(bf16_to_float(0x3f80) == 1.0f);
    CHECK(float_to_bf16(1.0f + ldexpf(1, -8)) == 0x3f80); /* tie: even */
    CHECK(float_to_bf16(1.0f + ldexpf(3, -8)) == 0x3f82); /* tie: up to even */
    CHECK(float_to_bf16(1.0f + ldexpf(1, -8) + ldexpf(1, -20)) == 0x3f81);
    CHECK(float_to_bf16(-0.0f) == 0x8000);
    CHECK(float_to_bf16(INFINITY) == 0x7f80);
    CHECK(float_to_bf16(3.4e38f) == 0x7f80); /* rounds past the largest finite */
    CHECK(isnan(bf16_to_float(float_to_bf16(NAN))));
    int bad = 0;
    for (int b = 0; b < 65536; b++) {
        float f = bf16_to_float((uint16_t)b);
        if (isnan(f)) continue;
        bad += float_to_bf16(f) != b;
    }
    CHECK_MSG(bad == 0, "%d bf16 values do not round-trip", bad);
}

static void test_fp8(void)
{
    CHECK(float_to_fp8e4m3(1.0f) == 0x38);
    CHECK(fp8e4m3_to_float(0x38) == 1.0f);
    CHECK(float_to_fp8e4m3(448.0f) == 0x7e);
    CHECK(fp8e4m3_to_float(0x7e) == 448.0f);
    CHECK(float_to_fp8e4m3(500.0f) == 0x7e); /* saturates */
    CHECK(float_to_fp8e4m3(-1e9f) == 0xfe);
    CHECK(float_to_fp8e4m3(INFINITY) == 0x7e);
    CHECK(float_to_fp8e4m3(NAN) == 0x7f);
    CHECK(isnan(fp8e4m3_to_float(0x7f)) && isnan(fp8e4m3_to_float(0xff)));
    CHECK(float_to_fp8e4m3(ldexpf(1, -9)) == 0x01);  /* smallest subnormal */
    CHECK(float_to_fp8e4m3(ldexpf(1, -10)) == 0x00); /* tie to even */
    CHECK(float_to_fp8e4m3(ldexpf(3, -10)) == 0x02);
    CHECK(float_to_fp8e4m3(1.0625f) == 0x38); /* tie between 1 and 1.125: even */
    CHECK(float_to_fp8e4m3(1.1875f) == 0x3a); /* tie between 1.125 and 1.25: even */
    CHECK(float_to_fp8e4m3(-0.0f) == 0x80);
    CHECK(float_to_fp8e4m3(2.0f) == 0x40 && float_to_fp8e4m3(-2.0f) == 0xc0);
    int bad = 0;
    for (int v = 0; v < 256; v++) {
        float f = fp8e4m3_to_float((uint8_t)v);
        if (isnan(f)) continue;
        bad += float_to_fp8e4m3(f) != v;
    }
    CHECK_MSG(bad == 0, "%d fp8 values do not round-trip", bad);
}

static void test_load_float(void)
{
    int64_t i64[] = {-5, 7};
    int32_t i32[] = {3, -9};
    int16_t i16[] = {-2};
    int8_t i8[] = {-128};
    uint8_t u8[] = {255, 0, 2};
    double f64[] = {0.25};
    uint16_t h[] = {0x3c00, 0xc000};
    uint8_t e5[] = {0x3c, 0xc0};
    CHECK(dtype_load_float(DT_INT64, i64, 1) == 7.0f);
    CHECK(dtype_load_float(DT_INT32, i32, 1) == -9.0f);
    CHECK(dtype_load_float(DT_INT16, i16, 0) == -2.0f);
    CHECK(dtype_load_float(DT_INT8, i8, 0) == -128.0f);
    CHECK(dtype_load_float(DT_UINT8, u8, 0) == 255.0f);
    CHECK(dtype_load_float(DT_BOOL, u8, 2) == 1.0f && dtype_load_float(DT_BOOL, u8, 1) == 0.0f);
    CHECK(dtype_load_float(DT_FLOAT64, f64, 0) == 0.25f);
    CHECK(dtype_load_float(DT_FLOAT16, h, 1) == -2.0f);
    CHECK(dtype_load_float(DT_BFLOAT16, h, 0) == bf16_to_float(0x3c00));
    CHECK(dtype_load_float(DT_FLOAT8_E5M2, e5, 0) == 1.0f);
    CHECK(dtype_load_float(DT_FLOAT8_E5M2, e5, 1) == -2.0f);
}

/* A two-axis task built by hand: a gemm with M = 2 (var), N = 2, K = 3. */
static void make_gemm(evo_task *t, task_workload *w, evo_dtype dt)
{
    static task_axis axes[3];
    static task_tensor in[2], out[1];
    static char names[1][TASK_NAME] = {"M"};
    static int64_t vals[1] = {2};
    memset(t, 0, sizeof *t);
    memset(w, 0, sizeof *w);
    strcpy(axes[0].name, "M");
    axes[0].is_var = 1;
    strcpy(axes[1].name, "N");
    axes[1].value = 2;
    strcpy(axes[2].name, "K");
    axes[2].value = 3;
    const char *dims[3][2] = {{"M", "K"}, {"N", "K"}, {"M", "N"}};
    const char *tnames[3] = {"A", "B", "C"};
    task_tensor *ts[3] = {&in[0], &in[1], &out[0]};
    for (int i = 0; i < 3; i++) {
        memset(ts[i], 0, sizeof *ts[i]);
        strcpy(ts[i]->name, tnames[i]);
        ts[i]->dtype = dt;
        ts[i]->ndim = 2;
        strcpy(ts[i]->dims[0], dims[i][0]);
        strcpy(ts[i]->dims[1], dims[i][1]);
    }
    strcpy(t->def.name, "gemm_test");
    t->def.naxes = 3;
    t->def.axes = axes;
    t->def.ninputs = 2;
    t->def.inputs = in;
    t->def.noutputs = 1;
    t->def.outputs = out;
    w->naxes = 1;
    w->axis_names = names;
    w->axis_values = vals;
}

static void test_gemm(void)
{
    reference_fn f = reference_find("gemm");
    CHECK(f != NULL && reference_find("rmsnorm") != NULL && reference_find("gemmm") == NULL);
    const char *const *names = reference_names();
    CHECK(!strcmp(names[0], "gemm") && !strcmp(names[1], "rmsnorm"));
    int n = 0;
    for (; names[n]; n++)
        CHECK_MSG(reference_find(names[n]) != NULL, "%s", names[n]);
    CHECK(n == 6 && reference_find("gdn_decode") && reference_find("gdn_prefill") &&
          reference_find("dsa_topk_indexer") && reference_find("dsa_sparse_attention"));
    evo_task t;
    task_workload w;
    /* A = [[1,2,3],[4,5,6]], B = [[1,0,1],[0,1,0.5]]: C = A B^T = [[4,3.5],[10,8]] */
    float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 1, 0, 1, 0.5f};
    evo_dtype dts[2] = {DT_FLOAT16, DT_BFLOAT16};
    for (int d = 0; d < 2; d++) {
        make_gemm(&t, &w, dts[d]);
        uint16_t ah[6], bh[6];
        for (int i = 0; i < 6; i++) {
            ah[i] = d == 0 ? float_to_half(a[i]) : float_to_bf16(a[i]);
            bh[i] = d == 0 ? float_to_half(b[i]) : float_to_bf16(b[i]);
        }
        float c[4] = {0};
        const void *ins[2] = {ah, bh};
        float *outs[1] = {c};
        char err[256] = "";
        CHECK_MSG(task_reference_run(&t, &w, f, ins, outs, err, sizeof err) == 0, "%s", err);
        CHECK(c[0] == 4 && c[1] == 3.5f && c[2] == 10 && c[3] == 8);
    }
    /* a task without the gemm axes is refused by name */
    strcpy(t.def.axes[2].name, "L");
    float c[4];
    const void *ins[2] = {a, b};
    float *outs[1] = {c};
    char err[256] = "";
    CHECK(task_reference_run(&t, &w, f, ins, outs, err, sizeof err) == -1);
    CHECK_MSG(!strcmp(err, "gemm reference: gemm_test has no axis 'K' (the reference needs it)"),
              "got %s", err);
}

static void test_rmsnorm(void)
{
    reference_fn f = reference_find("rmsnorm");
    static task_axis axes[2];
    static task_tensor in[2], out[1];
    static char names[1][TASK_NAME] = {"batch_size"};
    static int64_t vals[1] = {2};
    evo_task t;
    task_workload w;
    memset(&t, 0, sizeof t);
    memset(&w, 0, sizeof w);
    strcpy(axes[0].name, "batch_size");
    axes[0].is_var = 1;
    strcpy(axes[1].name, "hidden_size");
    axes[1].value = 4;
    in[0].dtype = in[1].dtype = out[0].dtype = DT_BFLOAT16;
    in[0].ndim = out[0].ndim = 2;
    strcpy(in[0].dims[0], "batch_size");
    strcpy(in[0].dims[1], "hidden_size");
    out[0] = in[0];
    strcpy(in[0].name, "hidden_states");
    strcpy(out[0].name, "output");
    strcpy(in[1].name, "weight");
    in[1].ndim = 1;
    strcpy(in[1].dims[0], "hidden_size");
    strcpy(t.def.name, "rmsnorm_test");
    t.def.naxes = 2;
    t.def.axes = axes;
    t.def.ninputs = 2;
    t.def.inputs = in;
    t.def.noutputs = 1;
    t.def.outputs = out;
    w.naxes = 1;
    w.axis_names = names;
    w.axis_values = vals;
    /* row 0: x = 1 2 3 4, mean(x^2) = 7.5; row 1: zeros (inv_rms = 1/sqrt(eps)) */
    float x[8] = {1, 2, 3, 4, 0, 0, 0, 0}, wt[4] = {1, 1, 2, 0.5f};
    uint16_t xb[8], wb[4];
    for (int i = 0; i < 8; i++)
        xb[i] = float_to_bf16(x[i]);
    for (int i = 0; i < 4; i++)
        wb[i] = float_to_bf16(wt[i]);
    float y[8];
    const void *ins[2] = {xb, wb};
    float *outs[1] = {y};
    char err[256] = "";
    CHECK_MSG(task_reference_run(&t, &w, f, ins, outs, err, sizeof err) == 0, "%s", err);
    float inv = 1.0f / sqrtf(7.5f + 1e-5f);
    CHECK(y[0] == 1 * inv && y[1] == 2 * inv && y[2] == (3 * inv) * 2 && y[3] == (4 * inv) * 0.5f);
    CHECK(fabsf(y[0] - 0.365148f) < 1e-5f);
    CHECK(y[4] == 0 && y[7] == 0);

    /* Shapes the reference cannot compute are refused by name, never half computed. */
    w.naxes = 0; /* batch_size unresolved */
    CHECK(task_reference_run(&t, &w, f, ins, outs, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "rmsnorm reference: dim 0 of input 'hidden_states' is an axis the "
                        "workload does not give");
    w.naxes = 1;
    strcpy(in[1].dims[0], "batch_size"); /* weight [2] against hidden size 4 */
    CHECK(task_reference_run(&t, &w, f, ins, outs, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "rmsnorm reference: input 'weight' is [2]; it must be [H] = [4]");
}

int main(void)
{
    test_half();
    test_bf16();
    test_fp8();
    test_load_float();
    test_gemm();
    test_rmsnorm();
    return CHECK_DONE();
}
