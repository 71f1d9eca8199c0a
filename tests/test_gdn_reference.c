/* test_gdn_reference.c -- the GDN tasks and host references (reference/gdn.c):
 *  - kernels/gdn_decode and kernels/gdn_prefill hold the published definitions (names, axes,
 *    shapes, dtypes, the optional state) and well-formed workloads (batch 1..64; 1..16
 *    sequences whose cu_seqlens blobs load and split total_seq_len exactly);
 *  - the references reproduce the definitions' own PyTorch on the committed vectors in
 *    tests/data/gdn (made by tests/gen_gdn_vectors.py on the device machine): the inputs are
 *    regenerated here with the generator's portable formula, the outputs compared;
 *  - bad inputs (broken cu_seqlens, a definition without an input) fail with exact errors. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "gate.h"
#include "gdn.h"
#include "reference.h"
#include "task.h"

#define DATA "tests/data/gdn/"

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Element i of input j of a case, exactly as gen_gdn_vectors.py draws it. */
static float draw(uint64_t seed, int j, int64_t i, double range)
{
    uint64_t x = splitmix64(seed * 1000 + (uint64_t)j + (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull);
    return (float)(((double)(int)(x >> 56) - 128.0) / 128.0 * range);
}

static float *read_f32(const char *name, int64_t n)
{
    char path[256];
    snprintf(path, sizeof path, DATA "%s", name);
    FILE *f = fopen(path, "rb");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f) return NULL;
    float *buf = malloc((size_t)n * sizeof *buf);
    size_t got = fread(buf, sizeof *buf, (size_t)n, f);
    int extra = fgetc(f);
    fclose(f);
    CHECK_MSG(got == (size_t)n && extra == EOF, "%s: expected %lld floats", path, (long long)n);
    return buf;
}

/* A task around a definition file, without seeds or workloads of its own. */
static evo_task *bare_task(const char *defpath)
{
    evo_task *t = calloc(1, sizeof *t);
    char err[512] = "";
    int rc = task_load_definition(defpath, &t->def, err, sizeof err);
    CHECK_MSG(rc == 0, "%s: %s", defpath, err);
    return t;
}

static void set_axes(task_workload *w, const char **names, const int64_t *vals, int n)
{
    w->naxes = n;
    w->axis_names = calloc((size_t)n, sizeof *w->axis_names);
    w->axis_values = calloc((size_t)n, sizeof *w->axis_values);
    for (int i = 0; i < n; i++) {
        snprintf(w->axis_names[i], TASK_NAME, "%s", names[i]);
        w->axis_values[i] = vals[i];
    }
    snprintf(w->uuid, sizeof w->uuid, "test-case");
}

static double input_range(json_t *meta, json_t *c, const char *name)
{
    if (!strcmp(name, "k")) return json_number_value(json_object_get(c, "k_range"));
    return json_number_value(json_object_get(json_object_get(meta, "ranges"), name));
}

/* Compare with FlashInfer-Bench's element test at (atol, rtol); returns failures. */
static int64_t compare(const float *got, const float *want, int64_t n, int64_t stride, double atol,
                       double rtol, double *max_abs)
{
    int64_t bad = 0;
    *max_abs = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)got[i * stride] - want[i]);
        if (d > *max_abs) *max_abs = d;
        if (d > atol && d / (fabs(want[i]) + 1e-8) > rtol) bad++;
    }
    return bad;
}

static void run_case(json_t *meta, json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    int prefill = !strcmp(json_string_value(json_object_get(c, "op")), "prefill");
    evo_task *t = bare_task(prefill ? "kernels/gdn_prefill/definition.json"
                                    : "kernels/gdn_decode/definition.json");
    task_workload w = {0};
    int64_t *cu = NULL, ncu = 0;
    if (prefill) {
        json_t *jc = json_object_get(c, "cu_seqlens");
        ncu = (int64_t)json_array_size(jc);
        cu = calloc((size_t)ncu, sizeof *cu);
        for (int64_t i = 0; i < ncu; i++)
            cu[i] = json_integer_value(json_array_get(jc, (size_t)i));
        const char *an[] = {"total_seq_len", "num_seqs", "len_cu_seqlens"};
        int64_t av[] = {cu[ncu - 1], ncu - 1, ncu};
        set_axes(&w, an, av, 3);
    } else {
        const char *an[] = {"batch_size"};
        int64_t av[] = {json_integer_value(json_object_get(c, "batch_size"))};
        set_axes(&w, an, av, 1);
    }
    uint64_t seed = (uint64_t)json_integer_value(json_object_get(c, "seed"));
    float scale = (float)json_number_value(json_object_get(c, "scale"));
    int has_state = json_is_true(json_object_get(c, "state"));
    const task_definition *d = &t->def;
    void **in = calloc((size_t)d->ninputs, sizeof *in);
    for (int j = 0; j < d->ninputs; j++) {
        const task_tensor *x = &d->inputs[j];
        if (!strcmp(x->name, "scale")) {
            in[j] = malloc(sizeof(float));
            memcpy(in[j], &scale, sizeof scale);
        } else if (!strcmp(x->name, "cu_seqlens")) {
            in[j] = malloc((size_t)ncu * sizeof *cu);
            memcpy(in[j], cu, (size_t)ncu * sizeof *cu);
        } else if (strcmp(x->name, "state") || has_state) {
            int64_t n = task_tensor_numel(t, &w, x);
            in[j] = malloc((size_t)n * (size_t)dtype_size(x->dtype));
            double range = input_range(meta, c, x->name);
            for (int64_t i = 0; i < n; i++) {
                float v = draw(seed, j, i, range);
                if (x->dtype == DT_BFLOAT16)
                    ((uint16_t *)in[j])[i] = float_to_bf16(v);
                else
                    ((float *)in[j])[i] = v;
            }
        }
    }
    int64_t nout = json_integer_value(json_object_get(c, "output_numel"));
    int64_t nstate = json_integer_value(json_object_get(c, "new_state_numel"));
    int64_t stride = json_integer_value(json_object_get(meta, "new_state_stride"));
    CHECK(nout == task_tensor_numel(t, &w, &d->outputs[0]));
    CHECK(nstate == task_tensor_numel(t, &w, &d->outputs[1]));
    float *out[2] = {malloc((size_t)nout * sizeof(float)), malloc((size_t)nstate * sizeof(float))};
    char err[512] = "";
    reference_fn fn = prefill ? reference_gdn_prefill : reference_gdn_decode;
    int rc = task_reference_run(t, &w, fn, (const void *const *)in, out, err, sizeof err);
    CHECK_MSG(rc == 0, "%s: %s", name, err);
    char file[128];
    snprintf(file, sizeof file, "%s.output.f32", name);
    float *want_out = read_f32(file, nout);
    int64_t nsamp = (nstate + stride - 1) / stride;
    snprintf(file, sizeof file, "%s.new_state.f32", name);
    float *want_state = read_f32(file, nsamp);
    if (rc == 0 && want_out && want_state) {
        double mo, ms;
        /* PyTorch rounds the output to bf16: the contest tolerance covers that. */
        int64_t bo = compare(out[0], want_out, nout, 1, 1e-2, 1e-2, &mo);
        /* The state is float on both sides: only summation order differs. */
        int64_t bs = compare(out[1], want_state, nsamp, stride, 1e-4, 1e-4, &ms);
        CHECK_MSG(bo == 0, "%s: %lld of %lld output elements differ (max abs %g)", name,
                  (long long)bo, (long long)nout, mo);
        CHECK_MSG(bs == 0, "%s: %lld of %lld new_state samples differ (max abs %g)", name,
                  (long long)bs, (long long)nsamp, ms);
        CHECK_MSG(mo < 8e-3 && ms < 1e-4, "%s: max abs output %g, state %g", name, mo, ms);
    }
    free(want_out);
    free(want_state);
    free(out[0]);
    free(out[1]);
    for (int j = 0; j < d->ninputs; j++)
        free(in[j]);
    free(in);
    free(cu);
    free(w.axis_names);
    free(w.axis_values);
    task_definition_free(&t->def);
    free(t);
}

static void test_vectors(void)
{
    json_error_t je;
    json_t *meta = json_load_file(DATA "cases.json", 0, &je);
    CHECK_MSG(meta != NULL, "cases.json: %s", je.text);
    if (!meta) return;
    json_t *cases = json_object_get(meta, "cases");
    CHECK(json_array_size(cases) == 4);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) run_case(meta, c);
    json_decref(meta);
}

static void test_step_by_hand(void)
{
    /* n = 1: S = g s; old = k g s; S' = g s + k beta (v - old); out = scale q S'. */
    float S = 2.0f, q = 3.0f, k = 0.5f, v = 4.0f, old, out;
    gdn_step(&S, &q, &k, &v, 0.5f, 0.25f, 2.0f, 1, &old, &out);
    CHECK(fabsf(S - (1.0f + 0.5f * 0.25f * (4.0f - 0.5f))) < 1e-6f);
    CHECK(fabsf(out - 2.0f * 3.0f * S) < 1e-5f);
    CHECK(fabsf(gdn_gate(0.0f, 0.0f, 0.0f) - 0.5f) < 1e-6f);           /* exp(-log 2) */
    CHECK(fabsf(gdn_gate(0.0f, 30.0f, 0.0f) - expf(-30.0f)) < 1e-12f); /* softplus = x */
    CHECK(fabsf(gdn_beta(0.0f) - 0.5f) < 1e-7f);
}

static int find_in(const task_definition *d, const char *name)
{
    for (int i = 0; i < d->ninputs; i++)
        if (!strcmp(d->inputs[i].name, name)) return i;
    return -1;
}

static int same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int x = fgetc(fa), y = fgetc(fb);
        if (x != y) same = 0;
        if (x == EOF || y == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

static void test_definitions(void)
{
    static const struct {
        const char *dir, *name, *shared;
    } defs[] = {
        {"kernels/gdn_decode", "gdn_decode_qk4_v8_d128_k_last",
         "../shared/flashinfer-trace/definitions/gdn/gdn_decode_qk4_v8_d128_k_last.json"},
        {"kernels/gdn_prefill", "gdn_prefill_qk4_v8_d128_k_last",
         "../shared/flashinfer-trace/definitions/gdn/gdn_prefill_qk4_v8_d128_k_last.json"},
    };
    for (int i = 0; i < 2; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/definition.json", defs[i].dir);
        evo_task *t = bare_task(path);
        const task_definition *d = &t->def;
        CHECK(!strcmp(d->name, defs[i].name));
        CHECK(!strcmp(d->op_type, "gdn"));
        CHECK(d->ninputs == (i ? 10 : 9) && d->noutputs == 2);
        int64_t v;
        task_workload none = {0};
        CHECK(task_axis_value(t, &none, "num_q_heads", &v) == 0 && v == 4);
        CHECK(task_axis_value(t, &none, "num_v_heads", &v) == 0 && v == 8);
        CHECK(task_axis_value(t, &none, "head_size", &v) == 0 && v == 128);
        int s = find_in(d, "state"), sc = find_in(d, "scale"), q = find_in(d, "q");
        CHECK(s >= 0 && d->inputs[s].optional && d->inputs[s].dtype == DT_FLOAT32 &&
              d->inputs[s].ndim == 4 && !strcmp(d->inputs[s].dims[3], "head_size"));
        CHECK(sc >= 0 && d->inputs[sc].is_scalar && d->inputs[sc].dtype == DT_FLOAT32);
        CHECK(q >= 0 && d->inputs[q].dtype == DT_BFLOAT16 && d->inputs[q].ndim == (i ? 3 : 4));
        CHECK(!strcmp(d->outputs[0].name, "output") && d->outputs[0].dtype == DT_BFLOAT16);
        CHECK(!strcmp(d->outputs[1].name, "new_state") && d->outputs[1].dtype == DT_FLOAT32);
        if (i) {
            int cu = find_in(d, "cu_seqlens");
            CHECK(cu >= 0 && d->inputs[cu].dtype == DT_INT64 && d->inputs[cu].ndim == 1);
        }
        /* The published file, byte for byte, where the shared tree is checked out. */
        if (access(defs[i].shared, R_OK) == 0)
            CHECK_MSG(same_file(path, defs[i].shared), "%s differs from %s", path, defs[i].shared);
        task_definition_free(&t->def);
        free(t);
    }
}

/* The engine keys a candidate's figures by workload label: labels must be distinct. */
static int distinct_labels(const task_workload *w, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(w[i].label, w[j].label)) return 0;
    return 1;
}

static void test_decode_workloads(void)
{
    evo_task *t = bare_task("kernels/gdn_decode/definition.json");
    char err[512] = "";
    task_workload *w = NULL;
    int n = task_load_workloads("kernels/gdn_decode/workloads.jsonl", &t->def, &w, err, sizeof err);
    CHECK_MSG(n >= 50, "%d workloads: %s", n, err);
    int64_t lo = 1 << 30, hi = 0;
    int absent = 0, s = find_in(&t->def, "state");
    for (int i = 0; i < n; i++) {
        int64_t b;
        CHECK(task_axis_value(t, &w[i], "batch_size", &b) == 0);
        lo = b < lo ? b : lo;
        hi = b > hi ? b : hi;
        absent += w[i].inputs[s].kind == GEN_ABSENT;
    }
    CHECK(lo == 1 && hi == 64);
    CHECK(distinct_labels(w, n));
    CHECK(absent >= 2 && absent < n / 4);
    task_workloads_free(w, n);
    task_definition_free(&t->def);
    free(t);
}

static void test_prefill_workloads(void)
{
    evo_task *t = bare_task("kernels/gdn_prefill/definition.json");
    char err[512] = "";
    task_workload *w = NULL;
    int n =
        task_load_workloads("kernels/gdn_prefill/workloads.jsonl", &t->def, &w, err, sizeof err);
    CHECK_MSG(n >= 20, "%d workloads: %s", n, err);
    CHECK_MSG(task_check_blobs(w, n, "kernels/gdn_prefill", 0, err, sizeof err) == 0, "%s", err);
    int cu = find_in(&t->def, "cu_seqlens"), s = find_in(&t->def, "state");
    int64_t maxT = 0, maxN = 0, minT = 1 << 30;
    int absent = 0, empty = 0;
    for (int i = 0; i < n; i++) {
        int64_t T, N, L;
        CHECK(task_axis_value(t, &w[i], "total_seq_len", &T) == 0);
        CHECK(task_axis_value(t, &w[i], "num_seqs", &N) == 0);
        CHECK(task_axis_value(t, &w[i], "len_cu_seqlens", &L) == 0 && L == N + 1);
        CHECK(w[i].inputs[cu].kind == GEN_SAFETENSORS);
        absent += w[i].inputs[s].kind == GEN_ABSENT;
        void **in = calloc((size_t)t->def.ninputs, sizeof *in);
        in[cu] = malloc((size_t)L * sizeof(int64_t));
        int rc = gate_make_inputs(t, &w[i], 1, in, err, sizeof err);
        CHECK_MSG(rc == 0, "workload %s: %s", w[i].uuid, err);
        const int64_t *c = in[cu];
        int ok = rc == 0 && c[0] == 0 && c[L - 1] == T;
        for (int64_t j = 0; rc == 0 && j + 1 < L; j++) {
            ok &= c[j] <= c[j + 1];
            empty += c[j] == c[j + 1];
        }
        CHECK_MSG(ok, "workload %s: cu_seqlens do not split %lld tokens", w[i].uuid, (long long)T);
        free(in[cu]);
        free(in);
        maxT = T > maxT ? T : maxT;
        minT = T < minT ? T : minT;
        maxN = N > maxN ? N : maxN;
    }
    CHECK(minT <= 8 && maxT >= 4096 && maxN == 16);
    CHECK(absent >= 2 && empty >= 1);
    CHECK(distinct_labels(w, n));
    task_workloads_free(w, n);
    task_definition_free(&t->def);
    free(t);
}

static void test_bad_inputs(void)
{
    evo_task *t = bare_task("kernels/gdn_prefill/definition.json");
    task_workload w = {0};
    const char *an[] = {"total_seq_len", "num_seqs", "len_cu_seqlens"};
    int64_t av[] = {4, 2, 3};
    set_axes(&w, an, av, 3);
    const task_definition *d = &t->def;
    void **in = calloc((size_t)d->ninputs, sizeof *in);
    for (int j = 0; j < d->ninputs; j++) {
        int64_t n = task_tensor_numel(t, &w, &d->inputs[j]);
        in[j] = calloc((size_t)n, (size_t)dtype_size(d->inputs[j].dtype));
    }
    int64_t *cu = in[find_in(d, "cu_seqlens")];
    cu[0] = 0;
    cu[1] = 3;
    cu[2] = 2; /* goes backwards */
    float *out[2] = {calloc(4 * 8 * 128, sizeof(float)), calloc(2 * 8 * 128 * 128, sizeof(float))};
    char err[512] = "";
    CHECK(task_reference_run(t, &w, reference_gdn_prefill, (const void *const *)in, out, err,
                             sizeof err) == -1);
    CHECK_CONTAINS(err, "gdn_prefill reference: workload test-case: cu_seqlens[1..2] = 3, 2 is "
                        "not a non-decreasing split of 4 tokens");
    cu[2] = 9; /* past the end */
    CHECK(task_reference_run(t, &w, reference_gdn_prefill, (const void *const *)in, out, err,
                             sizeof err) == -1);
    CHECK_CONTAINS(err, "cu_seqlens[1..2] = 3, 9 is not a non-decreasing split of 4 tokens");
    cu[2] = 4;
    CHECK(task_reference_run(t, &w, reference_gdn_prefill, (const void *const *)in, out, err,
                             sizeof err) == 0);
    /* The decode reference on the prefill definition: cu_seqlens is not one of its tensors. */
    CHECK(task_reference_run(t, &w, reference_gdn_decode, (const void *const *)in, out, err,
                             sizeof err) == -1);
    CHECK_CONTAINS(err, "gdn_decode reference: gdn_prefill_qk4_v8_d128_k_last has input "
                        "'cu_seqlens', which the reference does not read or write");
    /* A definition without cu_seqlens cannot be a prefill. */
    int c = find_in(d, "cu_seqlens");
    strcpy(t->def.inputs[c].name, "seqlens");
    CHECK(task_reference_run(t, &w, reference_gdn_prefill, (const void *const *)in, out, err,
                             sizeof err) == -1);
    CHECK_CONTAINS(err, "gdn_prefill reference: gdn_prefill_qk4_v8_d128_k_last has no input "
                        "'cu_seqlens'");
    strcpy(t->def.inputs[c].name, "cu_seqlens");
    strcpy(t->def.inputs[0].name, "query");
    CHECK(task_reference_run(t, &w, reference_gdn_prefill, (const void *const *)in, out, err,
                             sizeof err) == -1);
    CHECK_CONTAINS(err, "gdn_prefill reference: gdn_prefill_qk4_v8_d128_k_last has no input 'q'");
    for (int j = 0; j < d->ninputs; j++)
        free(in[j]);
    free(in);
    free(out[0]);
    free(out[1]);
    free(w.axis_names);
    free(w.axis_values);
    task_definition_free(&t->def);
    free(t);
}

int main(void)
{
    test_step_by_hand();
    test_definitions();
    test_decode_workloads();
    test_prefill_workloads();
    test_vectors();
    test_bad_inputs();
    return CHECK_DONE();
}
