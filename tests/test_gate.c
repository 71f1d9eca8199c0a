/* test_gate.c -- the host side of the correctness gate: FlashInfer-Bench's element test
 * worked by hand, the failure description, checksums, and input generation (distributions,
 * determinism, scalars, absent inputs, safetensors blobs). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "gate.h"
#include "reference.h"

static char tmpdir[256];

static void test_element_rule(void)
{
    gate_stats st;
    /* abs 0.5 > atol but rel 0.005 <= rtol: passes */
    float got1[] = {100.5f}, want1[] = {100};
    CHECK(gate_compare(DT_FLOAT32, got1, want1, 1, 1e-2, 1e-2, 1.0, &st) == 1);
    CHECK(st.mismatched == 0 && st.first_bad == -1 && fabs(st.max_abs - 0.5) < 1e-9);
    /* rel is huge but abs 0.005 <= atol: passes */
    float got2[] = {0.005f}, want2[] = {0};
    CHECK(gate_compare(DT_FLOAT32, got2, want2, 1, 1e-2, 1e-2, 1.0, &st) == 1);
    /* both fail: a mismatch */
    float got3[] = {1.02f}, want3[] = {1};
    CHECK(gate_compare(DT_FLOAT32, got3, want3, 1, 1e-2, 1e-2, 1.0, &st) == 0);
    CHECK(st.mismatched == 1 && st.first_bad == 0 && st.matched_ratio == 0);
    /* -0 against 0 */
    float got4[] = {-0.0f}, want4[] = {0};
    CHECK(gate_compare(DT_FLOAT32, got4, want4, 1, 0, 0, 1.0, &st) == 1);
    /* ratio threshold: 1 of 4 bad gives 0.75 */
    float got5[] = {1, 2, 3, 9}, want5[] = {1, 2, 3, 4};
    CHECK(gate_compare(DT_FLOAT32, got5, want5, 4, 1e-2, 1e-2, 0.75, &st) == 1);
    CHECK(st.matched_ratio == 0.75 && st.first_bad == 3);
    CHECK(gate_compare(DT_FLOAT32, got5, want5, 4, 1e-2, 1e-2, 0.8, &st) == 0);
    /* NaN and Inf fail outright, whatever the ratio */
    float got6[] = {1, NAN, 3, 4}, want6[] = {1, 2, 3, 4};
    CHECK(gate_compare(DT_FLOAT32, got6, want6, 4, 1e9, 1e9, 0.0, &st) == 0);
    CHECK(st.nonfinite == 1 && st.first_bad == 1);
    float got7[] = {INFINITY}, want7[] = {INFINITY};
    CHECK(gate_compare(DT_FLOAT32, got7, want7, 1, 1e9, 1e9, 0.0, &st) == 0);
    CHECK(st.nonfinite == 1);
    /* a reference NaN against a finite output is a mismatch, not a crash */
    float got8[] = {1}, want8[] = {NAN};
    CHECK(gate_compare(DT_FLOAT32, got8, want8, 1, 1e-2, 1e-2, 1.0, &st) == 0);
    CHECK(st.nonfinite == 0 && st.mismatched == 1);
    /* half outputs are widened exactly: 0x4248 = 3.140625 against 3.14159 */
    uint16_t h[] = {0x4248, 0x7c00};
    float want9[] = {3.14159f, 1};
    CHECK(gate_compare(DT_FLOAT16, h, want9, 1, 1e-3, 1e-3, 1.0, &st) == 1);
    CHECK(gate_compare(DT_FLOAT16, h, want9, 2, 1e-3, 1e-3, 0.0, &st) == 0 && st.nonfinite == 1);
    /* bf16: 1.0078125 (one ulp above 1) against 1 passes at rtol 1e-2 */
    uint16_t b[] = {0x3f81};
    float want10[] = {1};
    CHECK(gate_compare(DT_BFLOAT16, b, want10, 1, 0, 1e-2, 1.0, &st) == 1);
    CHECK(gate_compare(DT_BFLOAT16, b, want10, 1, 0, 1e-3, 1.0, &st) == 0);
    /* empty outputs pass */
    CHECK(gate_compare(DT_FLOAT32, got1, want1, 0, 0, 0, 1.0, &st) == 1 && st.matched_ratio == 1);
}

static void test_describe(void)
{
    gate_stats st;
    char buf[512];
    float got[] = {1, 3.125f, 2, 4}, want[] = {1, 3.0625f, 2, 4};
    CHECK(gate_compare(DT_FLOAT32, got, want, 4, 1e-2, 1e-2, 1.0, &st) == 0);
    gate_describe("C", &st, buf, sizeof buf);
    CHECK_MSG(!strcmp(buf, "output 'C': 1 of 4 elements mismatched (matched 0.750000 < 1.000000); "
                           "max abs err 0.0625, max rel err 0.0204; first at 1: got 3.1250, want "
                           "3.0625"),
              "got %s", buf);
    float got2[] = {1, NAN};
    CHECK(gate_compare(DT_FLOAT32, got2, want, 2, 1e-2, 1e-2, 1.0, &st) == 0);
    gate_describe("out", &st, buf, sizeof buf);
    CHECK_MSG(!strcmp(buf, "output 'out': 1 of 2 elements are NaN or Inf; first bad at 1: got "
                           "nan, want 3.0625"),
              "got %s", buf);
    CHECK(gate_compare(DT_FLOAT32, want, want, 4, 1e-2, 1e-2, 1.0, &st) == 1);
    gate_describe("C", &st, buf, sizeof buf);
    CHECK_MSG(!strcmp(buf, "output 'C': all 4 elements matched; max abs err 0, max rel err 0"),
              "got %s", buf);
}

static void test_checksum(void)
{
    CHECK(gate_checksum("", 0) == 0xcbf29ce484222325ULL);
    CHECK(gate_checksum("a", 1) == 0xaf63dc4c8601ec8cULL);
    CHECK(gate_checksum("foobar", 6) == 0x85944171f73967e8ULL);
}

static const char *write_file(const char *name, const void *data, size_t n)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
    return path;
}

static const char *DEF =
    "{\"name\": \"mix\", \"axes\": {\"N\": {\"type\": \"var\"}, \"H\": {\"type\": \"const\", "
    "\"value\": 64}},"
    " \"inputs\": {\"x\": {\"shape\": [\"N\", \"H\"], \"dtype\": \"bfloat16\"},"
    " \"q\": {\"shape\": [\"N\", \"H\"], \"dtype\": \"float8_e4m3fn\"},"
    " \"idx\": {\"shape\": [\"N\"], \"dtype\": \"int32\"},"
    " \"flag\": {\"shape\": [\"H\"], \"dtype\": \"bool\"},"
    " \"small\": {\"shape\": [\"H\"], \"dtype\": \"int8\"},"
    " \"scale\": {\"shape\": null, \"dtype\": \"float32\"},"
    " \"state\": {\"shape\": [\"H\"], \"dtype\": \"float32\", \"optional\": true},"
    " \"blob\": {\"shape\": [\"N\"], \"dtype\": \"int32\"}},"
    " \"outputs\": {\"y\": {\"shape\": [\"N\", \"H\"], \"dtype\": \"float32\"}}}";

static evo_task *load_mix(int n)
{
    char err[512], wl[1024];
    evo_task *t = calloc(1, sizeof *t);
    const char *p = write_file("def.json", DEF, strlen(DEF));
    CHECK_MSG(task_load_definition(p, &t->def, err, sizeof err) == 0, "%s", err);
    snprintf(
        wl, sizeof wl,
        "{\"definition\": \"mix\", \"workload\": {\"uuid\": \"w-a\", \"axes\": {\"N\": %d}, "
        "\"inputs\": {\"x\": {\"type\": \"random\"}, \"q\": {\"type\": \"random\"}, "
        "\"idx\": {\"type\": \"random\"}, \"flag\": {\"type\": \"random\"}, "
        "\"small\": {\"type\": \"random\"}, \"scale\": {\"type\": \"scalar\", \"value\": 0.125}, "
        "\"blob\": {\"type\": \"safetensors\", \"path\": \"./b.safetensors\", \"tensor_key\": "
        "\"ids\"}}}}\n"
        "{\"definition\": \"mix\", \"workload\": {\"uuid\": \"w-b\", \"axes\": {\"N\": %d}, "
        "\"inputs\": {\"x\": {\"type\": \"random\"}, \"q\": {\"type\": \"random\"}, "
        "\"idx\": {\"type\": \"random\"}, \"flag\": {\"type\": \"random\"}, "
        "\"small\": {\"type\": \"random\"}, \"scale\": {\"type\": \"random\"}, "
        "\"blob\": {\"type\": \"random\"}, \"state\": {\"type\": \"random\"}}}}\n",
        n, n);
    p = write_file("w.jsonl", wl, strlen(wl));
    t->nworkloads = task_load_workloads(p, &t->def, &t->workloads, err, sizeof err);
    CHECK_MSG(t->nworkloads == 2, "%s", err);
    snprintf(t->dir, sizeof t->dir, "%s", tmpdir);
    return t;
}

/* A safetensors file with one int32 tensor "ids" = 0..n-1 (and a decoy first). */
static void write_blob(int n, const char *dtype)
{
    char hdr[256];
    int hl = snprintf(hdr, sizeof hdr,
                      "{\"decoy\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                      "\"ids\":{\"dtype\":\"%s\",\"shape\":[%d],\"data_offsets\":[4,%d]}}",
                      dtype, n, 4 + 4 * n);
    size_t size = 8 + (size_t)hl + 4 + 4 * (size_t)n;
    unsigned char *buf = calloc(1, size);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(buf + 8, hdr, (size_t)hl);
    for (int i = 0; i < n; i++) {
        int32_t v = i * 10;
        memcpy(buf + 8 + hl + 4 + 4 * i, &v, 4);
    }
    write_file("b.safetensors", buf, size);
    free(buf);
}

static void **alloc_inputs(const evo_task *t, const task_workload *w)
{
    void **in = calloc((size_t)t->def.ninputs, sizeof *in);
    for (int i = 0; i < t->def.ninputs; i++) {
        if (w->inputs[i].kind == GEN_ABSENT) continue;
        int64_t n = task_tensor_numel(t, w, &t->def.inputs[i]);
        in[i] = calloc((size_t)n, (size_t)dtype_size(t->def.inputs[i].dtype));
    }
    return in;
}

static void free_inputs(const evo_task *t, void **in)
{
    for (int i = 0; i < t->def.ninputs; i++)
        free(in[i]);
    free(in);
}

static void test_inputs(void)
{
    const int N = 512;
    evo_task *t = load_mix(N);
    if (t->nworkloads != 2) return;
    char err[512] = "";
    write_blob(N, "I32");
    CHECK(task_check_blobs(t->workloads, 2, t->dir, 0, err, sizeof err) == 0);
    CHECK(t->workloads[0].inputs[7].kind == GEN_SAFETENSORS &&
          t->workloads[0].inputs[7].path[0] == '/');
    /* a second check finds the resolved blob again (no double join, no fallback) */
    CHECK(task_check_blobs(t->workloads, 2, t->dir, 1, err, sizeof err) == 0);
    CHECK(t->workloads[0].inputs[7].kind == GEN_SAFETENSORS);
    task_workload *wa = &t->workloads[0], *wb = &t->workloads[1];
    void **a = alloc_inputs(t, wa), **a2 = alloc_inputs(t, wa), **b = alloc_inputs(t, wb);
    CHECK_MSG(gate_make_inputs(t, wa, 7, a, err, sizeof err) == 0, "%s", err);
    CHECK_MSG(gate_make_inputs(t, wa, 7, a2, err, sizeof err) == 0, "%s", err);
    CHECK(memcmp(a[0], a2[0], (size_t)N * 64 * 2) == 0); /* deterministic */
    CHECK(gate_make_inputs(t, wa, 8, a2, err, sizeof err) == 0);
    CHECK(memcmp(a[0], a2[0], (size_t)N * 64 * 2) != 0); /* a new seed, new inputs */
    CHECK(gate_make_inputs(t, wb, 7, b, err, sizeof err) == 0);
    CHECK(memcmp(a[0], b[0], (size_t)N * 64 * 2) != 0); /* another workload, other inputs */
    CHECK(memcmp(a[0], a[1], (size_t)N * 64) != 0);     /* inputs draw separate streams */

    /* bf16 randn: mean ~ 0, variance ~ 1 */
    double s = 0, s2 = 0;
    int n = N * 64;
    for (int i = 0; i < n; i++) {
        double v = dtype_load_float(DT_BFLOAT16, a[0], i);
        s += v;
        s2 += v * v;
    }
    CHECK_MSG(fabs(s / n) < 0.03 && fabs(s2 / n - 1) < 0.05, "mean %g var %g", s / n, s2 / n);
    /* fp8: clamped to [-2, 2], and the clamp is reached */
    int at2 = 0, out = 0;
    for (int i = 0; i < n; i++) {
        float v = dtype_load_float(DT_FLOAT8_E4M3, a[1], i);
        out += v < -2 || v > 2;
        at2 += fabsf(v) == 2;
    }
    CHECK(out == 0 && at2 > 0);
    /* int32 randint in [0, 1<<15), bool 0/1, int8 in [0, 128) */
    int32_t *idx = a[2];
    int lo = 1 << 30, hi = -1;
    for (int i = 0; i < N; i++)
        lo = idx[i] < lo ? idx[i] : lo, hi = idx[i] > hi ? idx[i] : hi;
    CHECK(lo >= 0 && hi < 32768 && hi > 16384);
    uint8_t *flag = a[3];
    int ones = 0, bad = 0;
    for (int i = 0; i < 64; i++)
        ones += flag[i] == 1, bad += flag[i] > 1;
    CHECK(bad == 0 && ones > 10 && ones < 54);
    int8_t *small = a[4];
    bad = 0;
    for (int i = 0; i < 64; i++)
        bad += small[i] < 0;
    CHECK(bad == 0);
    /* the scalar takes the workload's value; absent optional input stays NULL */
    CHECK(*(float *)a[5] == 0.125f);
    CHECK(a[6] == NULL);
    /* the safetensors blob is read by key */
    int32_t *ids = a[7];
    CHECK(ids[0] == 0 && ids[1] == 10 && ids[N - 1] == (N - 1) * 10);
    /* workload b draws the scalar and gives the optional state */
    CHECK(b[6] != NULL && isfinite(*(float *)b[5]));

    /* a blob of the wrong dtype is named precisely */
    write_blob(N, "I64");
    CHECK(gate_make_inputs(t, wa, 7, a, err, sizeof err) == -1);
    char want[1024];
    snprintf(want, sizeof want,
             "workload w-a: input 'blob': %s/b.safetensors: tensor 'ids' is I64, "
             "the definition says int32",
             tmpdir);
    CHECK_MSG(!strcmp(err, want), "got %s", err);
    write_blob(N - 1, "I32");
    CHECK(gate_make_inputs(t, wa, 7, a, err, sizeof err) == -1);
    snprintf(want, sizeof want,
             "workload w-a: input 'blob': %s/b.safetensors: tensor 'ids' holds "
             "2044 bytes, the workload needs 2048",
             tmpdir);
    CHECK_MSG(!strcmp(err, want), "got %s", err);
    unlink(wa->inputs[7].path);
    CHECK(gate_make_inputs(t, wa, 7, a, err, sizeof err) == -1);
    snprintf(want, sizeof want,
             "workload w-a: input 'blob': cannot open %s/b.safetensors: No such "
             "file or directory",
             tmpdir);
    CHECK_MSG(!strcmp(err, want), "got %s", err);

    free_inputs(t, a);
    free_inputs(t, a2);
    free_inputs(t, b);
    task_free(t);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/evo_test_gate_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    test_element_rule();
    test_describe();
    test_checksum();
    test_inputs();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmpdir);
    return CHECK_DONE();
}
