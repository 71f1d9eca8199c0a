/* test_export.c -- FlashInfer-Bench export (gpu/task/export.c): the Solution and Trace objects
 * built from the gdn_decode task, its tuned seed and hand-made candidate records follow the
 * format's rules (required keys and types, correctness/performance per status), the binding
 * is generated from the launch plan, the files land in the dataset layout, and every rule of
 * the validators rejects a broken object with its exact message.
 * With EVO_EXPORT_KEEP=DIR set, the exported files are left in DIR (for a GPU check). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "export.h"
#include "file_text.h"
#include "plan.h"
#include "task.h"

static evo_task *decode_task(void)
{
    evo_task *t = calloc(1, sizeof *t);
    char err[512] = "";
    CHECK_MSG(
        task_load_definition("kernels/gdn_decode/definition.json", &t->def, err, sizeof err) == 0,
        "%s", err);
    t->nworkloads = task_load_workloads("kernels/gdn_decode/workloads.jsonl", &t->def,
                                        &t->workloads, err, sizeof err);
    CHECK_MSG(t->nworkloads > 4, "%s", err);
    return t;
}

static void free_task(evo_task *t)
{
    task_definition_free(&t->def);
    task_workloads_free(t->workloads, t->nworkloads);
    free(t);
}

/* The tuned seed with parameters applied, as evo_candidate_render would give it. */
static char *rendered_seed(void)
{
    char *src = file_read_text("kernels/gdn_decode/gdn_decode_tuned.cu", 0, NULL);
    CHECK(src != NULL);
    if (!src) return NULL;
    const char *defs = "#define RPW 8\n#define WARPS 2\n#define VEC 4\n#define MAP HB\n";
    char *out = malloc(strlen(defs) + strlen(src) + 1);
    strcpy(out, defs);
    strcat(out, src);
    free(src);
    return out;
}

static const export_info INFO = {
    "evo_gdn_decode_tuned_c7", "evo", "NVIDIA_H100", "2026-11-24T16:00:00Z", "cuda=13.0,torch=2.11",
    EXPORT_BINDING_TORCH};

static void test_binding(const evo_task *t, const evo_plan *p, const char *src)
{
    char err[512] = "";
    /* binding.cpp: the torch side, no kernel source in it (the builders compile every .cu
     * and .cpp/.cc source once: a source #included by another would be defined twice). */
    char *b = export_binding(t, p, EXPORT_BINDING_TORCH, err, sizeof err);
    CHECK_MSG(b != NULL, "%s", err);
    if (!b) return;
    CHECK(strstr(b, "kernel.cu") == NULL || strstr(b, "#include \"kernel") == NULL);
    CHECK(strstr(b, "<<<") == NULL);
    CHECK_CONTAINS(b, "// binding.cpp -- host binding for FlashInfer-Bench (torch)");
    CHECK_CONTAINS(b, "#pragma GCC optimize(\"O2\")");
    CHECK_CONTAINS(b, "void run(const torch::Tensor &q, const torch::Tensor &k, const "
                      "torch::Tensor &v, const c10::optional<torch::Tensor> &state, const "
                      "torch::Tensor &A_log, const torch::Tensor &a, const torch::Tensor "
                      "&dt_bias, const torch::Tensor &b, double scale, const torch::Tensor "
                      "&output, const torch::Tensor &new_state)");
    CHECK_CONTAINS(b, "const int dev = q.is_cuda() ? (int)q.get_device() : -1;");
    CHECK_CONTAINS(b, "evo_check(q, \"q\", torch::kBFloat16, 4, dev);");
    CHECK_CONTAINS(b, "    if (state.has_value()) {\n        evo_check(*state, \"state\", "
                      "torch::kFloat32, 4, dev);");
    CHECK_CONTAINS(b, "const long long axes[");
    CHECK_CONTAINS(b, "q.size(0)");
    CHECK_CONTAINS(b, "evo_dim(new_state, \"new_state\", 0, axes[");
    CHECK_CONTAINS(b, "state.has_value() ? evo_data(*state) : nullptr");
    CHECK_CONTAINS(b, "c10::cuda::getCurrentCUDAStream(\n        "
                      "static_cast<c10::DeviceIndex>(dev)).stream()");
    CHECK_CONTAINS(b, "evo_plan_launch(dev, axes, tensors, scalars, workspaces, stream, &failed)");
    CHECK_CONTAINS(b, "TORCH_CHECK(e == 0, \"run: kernel \", what, \": \", evo_error_string(e));");
    CHECK_CONTAINS(b, "PYBIND11_MODULE(TORCH_EXTENSION_NAME, m)");
    CHECK(strstr(b, "tvm") == NULL);
    /* Nothing asked of the device per call. */
    CHECK(strstr(b, "cudaDeviceGetAttribute") == NULL && strstr(b, "cudaGetDevice(") == NULL &&
          strstr(b, "cudaFuncSetAttribute") == NULL);
    free(b);

    /* binding.cc: TVM-FFI's form, the same checks on DLPack views; no CUDA or torch header
     * (TVM-FFI compiles .cc without CUDA's include path). */
    b = export_binding(t, p, EXPORT_BINDING_TVM_FFI, err, sizeof err);
    CHECK_MSG(b != NULL, "%s", err);
    if (!b) return;
    CHECK_CONTAINS(b, "// binding.cc -- host binding for FlashInfer-Bench (tvm-ffi)");
    CHECK(strstr(b, "#include <cuda") == NULL && strstr(b, "torch") == NULL);
    CHECK(strstr(b, "<<<") == NULL && strstr(b, "#include \"kernel") == NULL);
    CHECK_CONTAINS(b, "#include <tvm/ffi/function.h>");
    CHECK_CONTAINS(b, "static void run_impl(TensorView q, TensorView k, TensorView v, "
                      "Optional<TensorView> state, TensorView A_log, TensorView a, TensorView "
                      "dt_bias, TensorView b, double scale, TensorView output, TensorView "
                      "new_state)");
    CHECK_CONTAINS(b, "const int dev = q.device().device_type == kDLCUDA ? "
                      "(int)q.device().device_id : -1;");
    CHECK_CONTAINS(b, "evo_check(q, \"q\", DLDataType{kDLBfloat, 16, 1}, 4, dev);");
    CHECK_CONTAINS(b, "    if (state.has_value()) {\n        evo_check(*state, \"state\", "
                      "DLDataType{kDLFloat, 32, 1}, 4, dev);");
    CHECK_CONTAINS(b, "evo_dim(new_state, \"new_state\", 0, axes[");
    CHECK_CONTAINS(b, "x.byte_offset()");
    CHECK_CONTAINS(b, "state.has_value() ? evo_data(*state) : nullptr");
    CHECK_CONTAINS(b, "void *const stream = TVMFFIEnvGetStream(kDLCUDA, dev);");
    CHECK_CONTAINS(b, "evo_plan_launch(dev, axes, tensors, scalars, workspaces, stream, &failed)");
    CHECK_CONTAINS(b, "TVM_FFI_THROW(RuntimeError) << \"run: kernel \" << what");
    CHECK_CONTAINS(b, "TVM_FFI_DLL_EXPORT_TYPED_FUNC(run, run_impl);");
    CHECK(strstr(b, "cudaDeviceGetAttribute") == NULL && strstr(b, "cudaFuncSetAttribute") == NULL);
    free(b);

    /* kernel.cu: the one CUDA translation unit, over kernel.cuh, with no torch header. */
    char *l = export_launcher(t, p, src, err, sizeof err);
    CHECK_MSG(l != NULL, "%s", err);
    if (!l) return;
    CHECK_CONTAINS(l, "#undef __CUDA_NO_HALF_OPERATORS__\n");
    CHECK_CONTAINS(l, "#undef __CUDA_NO_BFLOAT16_CONVERSIONS__\n");
    CHECK_CONTAINS(l, "#include \"kernel.cuh\"");
    CHECK(strstr(l, "torch") == NULL || strstr(l, "#include <torch") == NULL);
    CHECK_CONTAINS(l, "const long long batch_size = axes[");
    CHECK_CONTAINS(l, "dim3 grid((unsigned)(evo_ceil_div(head_size, RPW * WARPS)), "
                      "(unsigned)(batch_size * num_v_heads)), block((unsigned)(WARPS * 32));");
    CHECK_CONTAINS(l, "gdn_decode_tuned<<<grid, block, smem, stream>>>(");
    CHECK_CONTAINS(l, "reinterpret_cast<float *>(tensors[3])");
    CHECK_CONTAINS(l, "reinterpret_cast<__nv_bfloat16 *>(tensors[");
    CHECK_CONTAINS(l, "(float)scalars[8]");
    CHECK_CONTAINS(l, "(int)batch_size");
    CHECK_CONTAINS(l, "extern \"C\" int evo_plan_launch(");
    CHECK_CONTAINS(l, "static_cast<cudaStream_t>(stream)");
    CHECK_CONTAINS(l, "if (e == cudaSuccess && cur != dev) e = cudaSetDevice(dev);");
    CHECK_CONTAINS(l, "extern \"C\" const char *evo_error_string(int e)");
    CHECK(strstr(l, "#error") == NULL);                 /* no sm_90a instruction in it */
    CHECK(strstr(l, "cudaDeviceGetAttribute") == NULL); /* the plan names no device fact */
    free(l);

    /* A kernel with `when` is launched under the same condition; shared memory above 48 KiB
     * is opted into once per device and kernel, device facts are asked once. */
    const char *two = "/* evo:launch\n kernel few\n when batch_size <= 4\n grid batch_size\n"
                      " block 32\n smem 64 * 1024\n args output, new_state\n kernel many\n"
                      " when batch_size > 4\n grid SM_COUNT\n block 128\n args output, "
                      "new_state\n*/\n"
                      "extern \"C\" __global__ void few(__nv_bfloat16 *o, float *s) {}\n"
                      "extern \"C\" __global__ void many(__nv_bfloat16 *o, float *s) {}\n"
                      "// wgmma.mma_async\n";
    evo_plan *w = plan_parse(two, t, err, sizeof err);
    CHECK_MSG(w != NULL, "%s", err);
    if (!w) return;
    l = export_launcher(t, w, two, err, sizeof err);
    CHECK_MSG(l != NULL, "%s", err);
    if (l) {
        CHECK_CONTAINS(l, "    if ((batch_size <= 4))\n    {\n        const dim3 grid(");
        CHECK_CONTAINS(l, "    if ((batch_size > 4))\n    {\n");
        CHECK_CONTAINS(l, "few<<<grid, block, smem, stream>>>(");
        CHECK_CONTAINS(l, "evo_smem_optin(dev, 0, (const void *)few, smem)");
        CHECK_CONTAINS(l, "static std::atomic<int> evo_smem_allowed[EVO_MAX_DEVICES][2];");
        CHECK_CONTAINS(l, "if (f->ready.load(std::memory_order_acquire)) return f;");
        CHECK_CONTAINS(l, "const evo_facts *f = evo_device_facts(dev);");
        CHECK_CONTAINS(l, "#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)\n"
                          "#error \"this candidate uses sm_90a instructions");
        CHECK_CONTAINS(l, "TORCH_CUDA_ARCH_LIST=9.0a");
        CHECK_CONTAINS(l, "TVM_FFI_CUDA_ARCH_LIST=9.0a");
        free(l);
    }
    plan_free(w);
}

static void test_solution(const evo_task *t, const evo_plan *p, const char *src)
{
    char err[512] = "";
    json_t *s = export_solution(t, p, src, &INFO, err, sizeof err);
    CHECK_MSG(s != NULL, "%s", err);
    if (!s) return;
    CHECK_MSG(export_check_solution(s, err, sizeof err) == 0, "%s", err);
    json_t *spec = json_object_get(s, "spec");
    CHECK(!strcmp(json_string_value(json_object_get(spec, "language")), "cuda"));
    CHECK(!strcmp(json_string_value(json_object_get(spec, "entry_point")), "binding.cpp::run"));
    CHECK(json_array_size(json_object_get(spec, "dependencies")) == 0);
    CHECK(json_is_true(json_object_get(spec, "destination_passing_style")));
    CHECK(!strcmp(json_string_value(json_array_get(json_object_get(spec, "target_hardware"), 0)),
                  "NVIDIA_H100"));
    CHECK(!strcmp(json_string_value(json_object_get(s, "definition")),
                  "gdn_decode_qk4_v8_d128_k_last"));
    json_t *k = json_array_get(json_object_get(s, "sources"), 0);
    CHECK(!strcmp(json_string_value(json_object_get(k, "path")), "kernel.cuh"));
    CHECK(!strcmp(json_string_value(json_object_get(k, "content")), src));
    CHECK(!strcmp(json_string_value(json_object_get(spec, "binding")), "torch"));
    /* kernel.cu and binding.cpp: the two sources TorchBuilder compiles; only kernel.cu
     * includes the candidate. */
    json_t *srcs = json_object_get(s, "sources");
    CHECK(json_array_size(srcs) == 3);
    CHECK(
        !strcmp(json_string_value(json_object_get(json_array_get(srcs, 1), "path")), "kernel.cu"));
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(srcs, 2), "path")),
                  "binding.cpp"));
    CHECK_CONTAINS(json_string_value(json_object_get(json_array_get(srcs, 1), "content")),
                   "#include \"kernel.cuh\"");
    CHECK(!strstr(json_string_value(json_object_get(json_array_get(srcs, 2), "content")),
                  "#include \"kernel"));

    /* The default form: TVM-FFI's binding.cc, FlashInfer-Bench's default builder. */
    export_info tvm = INFO;
    tvm.binding = EXPORT_BINDING_TVM_FFI;
    json_t *v = export_solution(t, p, src, &tvm, err, sizeof err);
    CHECK_MSG(v != NULL, "%s", err);
    if (v) {
        CHECK_MSG(export_check_solution(v, err, sizeof err) == 0, "%s", err);
        json_t *vs = json_object_get(v, "spec");
        CHECK(!strcmp(json_string_value(json_object_get(vs, "binding")), "tvm-ffi"));
        CHECK(!strcmp(json_string_value(json_object_get(vs, "entry_point")), "binding.cc::run"));
        json_t *vb = json_array_get(json_object_get(v, "sources"), 2);
        CHECK(!strcmp(json_string_value(json_object_get(vb, "path")), "binding.cc"));
        CHECK_CONTAINS(json_string_value(json_object_get(vb, "content")),
                       "TVM_FFI_DLL_EXPORT_TYPED_FUNC(run, run_impl);");
        CHECK_CONTAINS(json_string_value(json_object_get(v, "description")), "binding.cc (TVM-FFI");
        json_decref(v);
    }

    /* Each rule, broken in a copy. */
    static const struct {
        const char *path, *key;
        json_t *(*value)(void);
        const char *msg;
    } cases[] = {
        {NULL, "name", json_null, "solution: key 'name': expected a string"},
        {NULL, "author", NULL, "solution: key 'author': expected a string"},
        {"spec", "language", NULL, "solution.spec: key 'language': expected a string"},
        {"spec", "entry_point", NULL, "solution.spec: key 'entry_point': expected a string"},
        {"spec", "target_hardware", json_array,
         "solution.spec: key 'target_hardware': expected "
         "a non-empty array of strings"},
        {"spec", "destination_passing_style", json_null,
         "solution.spec: key 'destination_passing_style': expected a boolean"},
        {NULL, "sources", json_array, "solution: key 'sources': expected a non-empty array"},
        {NULL, "spec", json_null, "solution: key 'spec': expected an object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *c = json_deep_copy(s);
        json_t *o = cases[i].path ? json_object_get(c, cases[i].path) : c;
        if (cases[i].value)
            json_object_set_new(o, cases[i].key, cases[i].value());
        else
            json_object_del(o, cases[i].key);
        err[0] = 0;
        CHECK(export_check_solution(c, err, sizeof err) == -1);
        CHECK_CONTAINS(err, cases[i].msg);
        json_decref(c);
    }
    json_t *c = json_deep_copy(s);
    json_object_set_new(json_object_get(c, "spec"), "entry_point", json_string("run"));
    CHECK(export_check_solution(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "solution.spec: key 'entry_point': 'run' is not FILE::FUNCTION");
    json_object_set_new(json_object_get(c, "spec"), "entry_point", json_string("main.cu::run"));
    CHECK(export_check_solution(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "solution.spec: key 'entry_point': no source 'main.cu'");
    json_object_set_new(json_object_get(c, "spec"), "language", json_string("fortran"));
    CHECK(export_check_solution(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "solution.spec: key 'language': unknown language 'fortran'");
    json_decref(c);
    c = json_deep_copy(s);
    json_object_set_new(json_object_get(c, "name"), "x", NULL);
    json_object_set_new(c, "name", json_string(""));
    CHECK(export_check_solution(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "solution: key 'name': must not be empty");
    json_decref(c);
    c = json_deep_copy(s);
    json_object_set_new(json_array_get(json_object_get(c, "sources"), 1), "path",
                        json_string("../binding.cpp"));
    CHECK(export_check_solution(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "solution.sources[1]: key 'path': '../binding.cpp' must be relative, "
                        "without '..'");
    json_decref(c);
    json_decref(s);
}

static json_t *record(const char *status, const char *label, const char *figures)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"id\":7,\"template\":\"gdn_decode_tuned\",\"status\":\"%s\",\"error\":%s,"
             "\"params\":{\"RPW\":\"8\"},\"workloads\":{\"%s\":%s}}",
             status, strcmp(status, "PASSED") ? "\"output: 12 of 1024 elements differ\"" : "null",
             label, figures);
    json_error_t je;
    json_t *r = json_loads(text, 0, &je);
    CHECK_MSG(r != NULL, "%s", je.text);
    return r;
}

static void test_traces(const evo_task *t)
{
    char err[512] = "";
    const task_workload *w = &t->workloads[0];
    json_t *rec = record("PASSED", w->label,
                         "{\"latency_us\":10.0,\"baseline_us\":40.0,\"speedup\":4.0,"
                         "\"max_abs_err\":0.001,\"max_rel_err\":0.002}");
    json_t *tr = export_trace(t, w, rec, &INFO);
    CHECK(tr != NULL);
    CHECK_MSG(export_check_trace(tr, err, sizeof err) == 0, "%s", err);
    json_t *ev = json_object_get(tr, "evaluation");
    CHECK(!strcmp(json_string_value(json_object_get(ev, "status")), "PASSED"));
    json_t *perf = json_object_get(ev, "performance");
    CHECK(json_real_value(json_object_get(perf, "latency_ms")) == 0.01);
    CHECK(json_real_value(json_object_get(perf, "reference_latency_ms")) == 0.04);
    CHECK(json_real_value(json_object_get(perf, "speedup_factor")) == 4.0);
    CHECK(json_real_value(
              json_object_get(json_object_get(ev, "correctness"), "max_absolute_error")) == 0.001);
    CHECK(!strcmp(json_string_value(json_object_get(
                      json_object_get(json_object_get(ev, "environment"), "libs"), "torch")),
                  "2.11"));
    json_t *wl = json_object_get(tr, "workload");
    CHECK(!strcmp(json_string_value(json_object_get(wl, "uuid")), w->uuid));
    CHECK(json_is_integer(json_object_get(json_object_get(wl, "axes"), "batch_size")));
    json_t *scale = json_object_get(json_object_get(wl, "inputs"), "scale");
    CHECK(!strcmp(json_string_value(json_object_get(scale, "type")), "scalar"));
    CHECK(!strcmp(json_string_value(json_object_get(tr, "solution")), INFO.name));

    /* Not evaluated on another workload: no line. */
    CHECK(export_trace(t, &t->workloads[1], rec, &INFO) == NULL);

    /* Per-status blocks: each rule, broken in a copy. */
    json_t *c = json_deep_copy(tr);
    json_object_del(json_object_get(c, "evaluation"), "performance");
    CHECK(export_check_trace(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "trace.evaluation: status PASSED needs 'performance'");
    json_object_del(json_object_get(c, "evaluation"), "correctness");
    CHECK(export_check_trace(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "trace.evaluation: status PASSED needs 'correctness'");
    json_decref(c);
    c = json_deep_copy(tr);
    json_object_set_new(json_object_get(c, "evaluation"), "status", json_string("TIMEOUT"));
    CHECK(export_check_trace(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "trace.evaluation: status TIMEOUT must not have 'correctness'");
    json_object_set_new(json_object_get(c, "evaluation"), "status",
                        json_string("INCORRECT_NUMERICAL"));
    CHECK(export_check_trace(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "trace.evaluation: status INCORRECT_NUMERICAL must not have 'performance'");
    json_object_set_new(json_object_get(c, "evaluation"), "status", json_string("GREAT"));
    CHECK(export_check_trace(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "trace.evaluation: key 'status': unknown status 'GREAT'");
    json_decref(c);
    c = json_deep_copy(tr);
    json_object_set_new(json_object_get(json_object_get(c, "evaluation"), "performance"),
                        "latency_ms", json_real(-1));
    CHECK(export_check_trace(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "trace.evaluation.performance: key 'latency_ms': must be non-negative, "
                        "found -1");
    json_object_set_new(json_object_get(json_object_get(c, "evaluation"), "performance"),
                        "latency_ms", json_string("fast"));
    CHECK(export_check_trace(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "trace.evaluation.performance: key 'latency_ms': expected a number");
    json_decref(c);
    c = json_deep_copy(tr);
    json_object_set_new(json_object_get(json_object_get(c, "evaluation"), "environment"),
                        "hardware", json_string(""));
    CHECK(export_check_trace(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "trace.evaluation.environment: key 'hardware': must not be empty");
    json_object_del(json_object_get(c, "evaluation"), "environment");
    CHECK(export_check_trace(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "trace.evaluation: key 'environment': expected an object");
    json_object_del(json_object_get(c, "evaluation"), "timestamp");
    CHECK(export_check_trace(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "trace.evaluation: key 'timestamp': expected a string");
    json_object_set_new(c, "solution", json_integer(3));
    CHECK(export_check_trace(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "trace: key 'solution': expected a solution name");
    json_object_del(json_object_get(c, "workload"), "uuid");
    CHECK(export_check_trace(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "trace.workload: key 'uuid': expected a string");
    json_object_del(c, "definition");
    CHECK(export_check_trace(c, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "trace: key 'definition': expected a string");
    json_decref(c);
    json_decref(tr);
    json_decref(rec);

    /* A numerical failure: correctness, no performance, the error in the log. */
    rec = record("INCORRECT_NUMERICAL", w->label, "{\"max_abs_err\":0.5,\"max_rel_err\":3.0}");
    tr = export_trace(t, w, rec, &INFO);
    CHECK_MSG(export_check_trace(tr, err, sizeof err) == 0, "%s", err);
    ev = json_object_get(tr, "evaluation");
    CHECK(!strcmp(json_string_value(json_object_get(ev, "status")), "INCORRECT_NUMERICAL"));
    CHECK(json_object_get(ev, "performance") == NULL && json_object_get(ev, "correctness"));
    CHECK_CONTAINS(json_string_value(json_object_get(ev, "log")),
                   "evo candidate 7 (gdn_decode_tuned): output: 12 of 1024 elements differ");
    json_decref(tr);
    json_decref(rec);
    /* Our own statuses map onto FlashInfer-Bench's. */
    rec = record("GUARD_VIOLATION", w->label, "{}");
    tr = export_trace(t, w, rec, &INFO);
    CHECK_MSG(export_check_trace(tr, err, sizeof err) == 0, "%s", err);
    CHECK(!strcmp(json_string_value(json_object_get(json_object_get(tr, "evaluation"), "status")),
                  "RUNTIME_ERROR"));
    json_decref(tr);
    json_decref(rec);
    /* A workload-only line (as in the published workloads files) is valid. */
    json_error_t je;
    c = json_loads("{\"definition\":\"d\",\"workload\":{\"uuid\":\"u\",\"axes\":{},\"inputs\":{}},"
                   "\"solution\":null,\"evaluation\":null}",
                   0, &je);
    CHECK(export_check_trace(c, err, sizeof err) == 0);
    json_decref(c);
}

/* The trace of a workload with the optional state absent leaves it out of inputs. */
static void test_absent_input(const evo_task *t)
{
    int s = -1;
    for (int i = 0; i < t->def.ninputs; i++)
        if (!strcmp(t->def.inputs[i].name, "state")) s = i;
    const task_workload *w = NULL;
    for (int i = 0; i < t->nworkloads && !w; i++)
        if (t->workloads[i].inputs[s].kind == GEN_ABSENT) w = &t->workloads[i];
    CHECK(w != NULL);
    if (!w) return;
    json_t *rec = record("PASSED", w->label, "{\"latency_us\":3,\"baseline_us\":6}");
    json_t *tr = export_trace(t, w, rec, &INFO);
    json_t *inputs = json_object_get(json_object_get(tr, "workload"), "inputs");
    CHECK(json_object_get(inputs, "state") == NULL && json_object_get(inputs, "q") != NULL);
    /* speedup derived when the record has none */
    CHECK(json_real_value(
              json_object_get(json_object_get(json_object_get(tr, "evaluation"), "performance"),
                              "speedup_factor")) == 2.0);
    json_decref(tr);
    json_decref(rec);
}

static void test_write(const evo_task *t, const char *src)
{
    char tmpl[] = "/tmp/evo_export_XXXXXX";
    const char *keep = getenv("EVO_EXPORT_KEEP");
    const char *dir = keep && *keep ? keep : mkdtemp(tmpl);
    CHECK(dir != NULL);
    if (!dir) return;
    /* PASSED on the first three workloads, as a finished candidate's record reads. */
    json_t *rec = record("PASSED", t->workloads[0].label,
                         "{\"latency_us\":10,\"baseline_us\":40,\"speedup\":4,\"max_abs_err\":0,"
                         "\"max_rel_err\":0}");
    json_t *wls = json_object_get(rec, "workloads");
    for (int i = 1; i < 3; i++)
        json_object_set(wls, t->workloads[i].label, json_object_get(wls, t->workloads[0].label));
    int distinct = json_object_size(wls);
    char err[512] = "";
    int n = -1;
    CHECK_MSG(export_write(t, rec, src, &INFO, dir, &n, err, sizeof err) == 0, "%s", err);
    CHECK(n == distinct);
    char path[512];
    snprintf(path, sizeof path,
             "%s/solutions/evo/gdn/gdn_decode_qk4_v8_d128_k_last/"
             "evo_gdn_decode_tuned_c7.json",
             dir);
    json_error_t je;
    json_t *sol = json_load_file(path, 0, &je);
    CHECK_MSG(sol != NULL, "%s: %s", path, je.text);
    CHECK_MSG(export_check_solution(sol, err, sizeof err) == 0, "%s", err);
    json_decref(sol);
    snprintf(path, sizeof path, "%s/traces/evo/gdn/gdn_decode_qk4_v8_d128_k_last.jsonl", dir);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    int lines = 0;
    char line[8192];
    while (f && fgets(line, sizeof line, f)) {
        json_t *tr = json_loads(line, 0, &je);
        CHECK_MSG(tr && export_check_trace(tr, err, sizeof err) == 0, "line %d: %s", lines + 1,
                  err);
        json_decref(tr);
        lines++;
    }
    if (f) fclose(f);
    CHECK(lines == distinct);
    /* A candidate whose plan does not parse is named in the error. */
    CHECK(export_write(t, rec, "extern \"C\" __global__ void k() {}", &INFO, dir, &n, err,
                       sizeof err) == -1);
    CHECK_CONTAINS(err, "candidate 7: ");
    json_decref(rec);
    if (!keep) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
    }
}

int main(void)
{
    evo_task *t = decode_task();
    char *src = rendered_seed();
    char err[512] = "";
    evo_plan *p = src ? plan_parse(src, t, err, sizeof err) : NULL;
    CHECK_MSG(p != NULL, "plan: %s", err);
    if (p) {
        test_binding(t, p, src);
        test_solution(t, p, src);
        test_traces(t);
        test_absent_input(t);
        test_write(t, src);
        plan_free(p);
    }
    free(src);
    free_task(t);
    return CHECK_DONE();
}
