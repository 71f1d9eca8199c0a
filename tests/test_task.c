/* test_task.c -- tasks: every FlashInfer Trace file in shared/flashinfer-trace loads, the
 * blob fallback policy, the shipped task folders, and malformed inputs with exact errors. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "file_text.h"
#include "task.h"

#define FI "../shared/flashinfer-trace"

static char tmpdir[256];

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_dtypes(void)
{
    static const char *names[] = {"float32",     "float16", "bfloat16", "float8_e4m3fn",
                                  "float8_e5m2", "float64", "int64",    "int32",
                                  "int16",       "int8",    "uint8",    "bool"};
    static const int sizes[] = {4, 2, 2, 1, 1, 8, 8, 4, 2, 1, 1, 1};
    for (int i = 0; i < DT_COUNT; i++) {
        CHECK(dtype_from_name(names[i]) == i);
        CHECK(strcmp(dtype_name((evo_dtype)i), names[i]) == 0);
        CHECK(dtype_size((evo_dtype)i) == sizes[i]);
    }
    CHECK(dtype_from_name("float12") == -1);
    CHECK(strcmp(dtype_ctype(DT_BFLOAT16), "__nv_bfloat16") == 0);
    CHECK(strcmp(dtype_ctype(DT_FLOAT16), "__half") == 0);
}

/* Every definition and every workload file of the shared dataset loads. */
static void test_all_flashinfer(void)
{
    const char *ops[] = {"gemm", "rmsnorm", "gqa_paged", "mla_paged", "moe", "dsa_paged", "gdn"};
    int ndefs = 0, nworkfiles = 0, nwork = 0;
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        char dir[512];
        snprintf(dir, sizeof dir, FI "/definitions/%s", ops[o]);
        DIR *d = opendir(dir);
        CHECK_MSG(d != NULL, "cannot open %s", dir);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t len = strlen(e->d_name);
            if (len < 6 || strcmp(e->d_name + len - 5, ".json")) continue;
            char path[1024], err[512] = "";
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            task_definition def;
            int rc = task_load_definition(path, &def, err, sizeof err);
            CHECK_MSG(rc == 0, "%s", err);
            if (rc) continue;
            ndefs++;
            CHECK(def.reference_code && strstr(def.reference_code, "def run"));
            CHECK(def.noutputs >= 1 && def.ninputs >= 1);
            snprintf(path, sizeof path, FI "/workloads/%s/%s.jsonl", ops[o], def.name);
            if (access(path, R_OK) == 0) {
                task_workload *w;
                int n = task_load_workloads(path, &def, &w, err, sizeof err);
                CHECK_MSG(n > 0, "%s: %s", path, err);
                if (n > 0) {
                    nworkfiles++;
                    nwork += n;
                    task_workloads_free(w, n);
                }
            }
            task_definition_free(&def);
        }
        closedir(d);
    }
    CHECK_MSG(ndefs == 9, "loaded %d definitions", ndefs);
    CHECK_MSG(nworkfiles == 5, "loaded %d workload files", nworkfiles);
    CHECK_MSG(nwork == 43 + 14 + 48 + 47 + 19, "loaded %d workloads", nwork);
}

static void test_definition_details(void)
{
    char err[512];
    task_definition d;
    CHECK(task_load_definition(FI "/definitions/gdn/gdn_decode_qk4_v8_d128_k_last.json", &d, err,
                               sizeof err) == 0);
    CHECK(strcmp(d.name, "gdn_decode_qk4_v8_d128_k_last") == 0);
    CHECK(strcmp(d.op_type, "gdn") == 0);
    CHECK(d.naxes == 6 && d.axes[0].is_var && !d.axes[5].is_var && d.axes[5].value == 128);
    int state = -1, scale = -1;
    for (int i = 0; i < d.ninputs; i++) {
        if (!strcmp(d.inputs[i].name, "state")) state = i;
        if (!strcmp(d.inputs[i].name, "scale")) scale = i;
    }
    CHECK(state >= 0 && d.inputs[state].optional && d.inputs[state].ndim == 4);
    CHECK(scale >= 0 && d.inputs[scale].is_scalar && d.inputs[scale].dtype == DT_FLOAT32);
    CHECK(d.nconstraints == 3 && strcmp(d.constraints[2], "num_k_heads == num_q_heads") == 0);
    task_definition_free(&d);
}

static void test_flashinfer_task_and_blobs(void)
{
    char err[1024] = "";
    evo_task *t;
    int rc = task_from_flashinfer(
        FI, "moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048", &t, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc) return;
    CHECK(t->nworkloads == 19);
    CHECK(t->atol == 1 && t->rtol == 0.3 && t->required_ratio == 0.9);
    CHECK(strcmp(t->workloads[0].label, "seq_len=7") == 0);
    CHECK(t->workloads[0].inputs[0].kind == GEN_SAFETENSORS);
    CHECK(strcmp(t->workloads[0].inputs[0].tensor_key, "routing_logits") == 0);
    /* local_expert_offset is an int32 scalar given as an integer */
    int leo = -1;
    for (int i = 0; i < t->def.ninputs; i++)
        if (!strcmp(t->def.inputs[i].name, "local_expert_offset")) leo = i;
    CHECK(leo >= 0 && t->workloads[0].inputs[leo].kind == GEN_SCALAR &&
          t->workloads[0].inputs[leo].scalar == 192);

    rc = task_check_blobs(t->workloads, t->nworkloads, t->dir, 0, err, sizeof err);
    CHECK(rc == -1);
    CHECK_MSG(!strcmp(err,
                      "workload b8f4f012-a32e-4356-b4e1-7665b3d598af (seq_len=7): input "
                      "'routing_logits': safetensors blob './blob/workloads/moe/"
                      "moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048/"
                      "moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048_"
                      "547d24f37f554e2fab107fb57a41e73e.safetensors' not found (looked for "
                      "../shared/flashinfer-trace/blob/workloads/moe/"
                      "moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048/"
                      "moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048_"
                      "547d24f37f554e2fab107fb57a41e73e.safetensors); the dataset's blob store "
                      "is missing"),
              "got: %s", err);
    CHECK(t->workloads[0].inputs[0].kind == GEN_SAFETENSORS); /* policy 0 changes nothing */
    rc = task_check_blobs(t->workloads, t->nworkloads, t->dir, 1, err, sizeof err);
    CHECK_MSG(rc == 38, "fallbacks %d", rc);
    CHECK(t->workloads[0].inputs[0].kind == GEN_RANDOM);
    CHECK(task_check_blobs(t->workloads, t->nworkloads, t->dir, 1, err, sizeof err) == 0);
    task_free(t);

    rc = task_from_flashinfer(FI, "gqa_paged_decode_h32_kv8_d128_ps1", &t, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(strcmp(t->workloads[0].label,
                     "batch_size=1,num_pages=9316,len_indptr=2,num_kv_indices=73") == 0);
        CHECK(t->atol == 1e-2 && t->required_ratio == 1.0);
        CHECK(t->reference[0] == 0); /* no host reference for gqa yet */
        int64_t v = 0;
        CHECK(task_axis_value(t, &t->workloads[0], "num_pages", &v) == 0 && v == 9316);
        CHECK(task_axis_value(t, &t->workloads[0], "head_dim", &v) == 0 && v == 128);
        CHECK(task_axis_value(t, &t->workloads[0], "nope", &v) == -1);
        CHECK(task_tensor_numel(t, &t->workloads[0], &t->def.inputs[0]) == 1 * 32 * 128);
        task_free(t);
    }
    CHECK(task_from_flashinfer(FI, "gdn_decode_qk4_v8_d128_k_last", &t, err, sizeof err) == -1);
    CHECK_MSG(!strcmp(err, FI ": no workloads for 'gdn_decode_qk4_v8_d128_k_last' (looked for "
                              "workloads/*/gdn_decode_qk4_v8_d128_k_last.jsonl)"),
              "got: %s", err);
    CHECK(task_from_flashinfer(FI, "nosuch", &t, err, sizeof err) == -1);
    CHECK_MSG(!strcmp(err, FI ": no definition 'nosuch' (looked for definitions/*/nosuch.json)"),
              "got: %s", err);
}

static int seeds_present(const char *dir, const char *const *names)
{
    for (int i = 0; names[i]; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        if (access(p, R_OK)) {
            printf("note: %s missing; skipping the %s task folder checks\n", p, dir);
            return 0;
        }
    }
    return 1;
}

static void test_task_folders(void)
{
    static const char *const gemm_seeds[] = {"gemm_simt.cu", "gemm_mma.cu", NULL};
    static const char *const rms_seeds[] = {"rmsnorm_warp.cu", "rmsnorm_block.cu", "baseline.cu",
                                            NULL};
    char err[1024] = "";
    evo_task *t;
    if (seeds_present("kernels/gemm", gemm_seeds)) {
        int rc = task_load_dir("kernels/gemm", &t, err, sizeof err);
        CHECK_MSG(rc == 0, "%s", err);
        if (rc == 0) {
            CHECK(t->nworkloads == 46);
            CHECK(strcmp(t->def.name, "gemm_n4096_k4096") == 0);
            CHECK(strcmp(t->reference, "gemm") == 0 && strcmp(t->baseline_kind, "cublas") == 0);
            CHECK(t->nseeds == 4 && strcmp(t->seed_names[1], "gemm_mma") == 0);
            /* The wgmma seeds are Hopper-only; the others build everywhere. */
            CHECK(strcmp(t->seed_names[2], "gemm_wgmma") == 0);
            CHECK(task_seed_supports(t, 2, "sm_90a") && !task_seed_supports(t, 2, "sm_100a"));
            CHECK(task_seed_supports(t, 1, "sm_100a"));
            CHECK(t->seed_sources[1] && strstr(t->seed_sources[1], "evo:launch"));
            CHECK(t->atol == 1e-2 && t->rtol == 1e-2 && t->required_ratio == 1.0);
            const task_workload *w = &t->workloads[t->nworkloads - 3];
            CHECK(strcmp(w->label, "M=1024") == 0);
            CHECK(task_bytes(t, w) == 2.0 * (1024 * 4096 + 4096 * 4096 + 1024 * 4096));
            CHECK(task_flops(t, w) == 2.0 * 1024 * 4096 * 4096);
            int m8192 = 0;
            for (int i = 0; i < t->nworkloads; i++)
                m8192 += !strcmp(t->workloads[i].label, "M=8192");
            CHECK(m8192 == 1);
            char *desc = task_describe(t);
            CHECK_CONTAINS(desc, "Definition: gemm_n4096_k4096 (op_type gemm)");
            CHECK_CONTAINS(desc, "  N: const 4096\n");
            CHECK_CONTAINS(desc, "  M: var (per workload: 256 248");
            CHECK_CONTAINS(desc, "  A: float16 [M, K] (device pointer to __half");
            CHECK_CONTAINS(desc, "C = torch.matmul(A, B.T)");
            CHECK_CONTAINS(desc, "> 0.01 and |out - ref|/(|ref| + 1e-8) > 0.01");
            free(desc);
            task_free(t);
        }
        rc = task_load_dir("kernels/gemm_bf16/", &t, err, sizeof err);
        CHECK_MSG(rc == 0, "%s", err);
        if (rc == 0) {
            CHECK(t->nworkloads == 46 && t->def.inputs[0].dtype == DT_BFLOAT16);
            CHECK(t->ndefines == 1 && !strcmp(t->define_names[0], "EVO_BF16") &&
                  !strcmp(t->define_values[0], "1"));
            CHECK(strcmp(t->seed_names[0], "gemm_simt") == 0);
            CHECK(strcmp(t->dir, "kernels/gemm_bf16") == 0);
            /* Its seeds are copies of gemm's (a task folder holds its own files): they must
             * not drift apart. */
            for (int i = 0; i < t->nseeds; i++) {
                char p[512];
                snprintf(p, sizeof p, "kernels/gemm/%s.cu", t->seed_names[i]);
                char *fp16 = file_read_text(p, 0, NULL);
                CHECK_MSG(fp16 && !strcmp(fp16, t->seed_sources[i]),
                          "kernels/gemm_bf16/%s.cu differs from %s", t->seed_names[i], p);
                free(fp16);
            }
            task_free(t);
        }
    }
    if (seeds_present("kernels/rmsnorm", rms_seeds)) {
        int rc = task_load_dir("kernels/rmsnorm", &t, err, sizeof err);
        CHECK_MSG(rc == 0, "%s", err);
        if (rc == 0) {
            CHECK(t->nworkloads == 15 && strcmp(t->baseline_kind, "kernel") == 0);
            CHECK(t->baseline_source && strstr(t->baseline_source, "__global__"));
            CHECK(task_bytes(t, &t->workloads[1]) == 2.0 * 1 * 4096 * 2 + 4096 * 2);
            task_free(t);
        }
    }
}

static const char *GOOD_DEF =
    "{\"name\": \"g\", \"op_type\": \"gemm\", \"axes\": {\"M\": {\"type\": \"var\"}, "
    "\"K\": {\"type\": \"const\", \"value\": 8}},"
    " \"inputs\": {\"A\": {\"shape\": [\"M\", \"K\"], \"dtype\": \"float16\"},"
    " \"s\": {\"shape\": null, \"dtype\": \"float32\"}},"
    " \"outputs\": {\"C\": {\"shape\": [\"M\"], \"dtype\": \"float32\"}}}";

static void expect_def_error(const char *text, const char *want_suffix)
{
    char err[512] = "", want[1024];
    const char *path = write_file("def.json", text);
    task_definition d;
    CHECK(task_load_definition(path, &d, err, sizeof err) == -1);
    snprintf(want, sizeof want, "%s: %s", path, want_suffix);
    CHECK_MSG(!strcmp(err, want), "got \"%s\" want \"%s\"", err, want);
}

static void test_bad_definitions(void)
{
    char err[512];
    task_definition d;
    const char *path = write_file("def.json", GOOD_DEF);
    CHECK(task_load_definition(path, &d, err, sizeof err) == 0);
    task_definition_free(&d);

    expect_def_error("{\"name\": \"g\", \"axes\": {}, \"inputs\": {\"A\": {\"shape\": null, "
                     "\"dtype\": \"float12\"}}, \"outputs\": {}}",
                     "key 'inputs.A.dtype': unknown dtype 'float12'");
    expect_def_error("{\"name\": \"g\", \"axes\": {}, \"inputs\": {\"A\": {\"shape\": [\"Q\"], "
                     "\"dtype\": \"int32\"}}, \"outputs\": {}}",
                     "key 'inputs.A.shape[0]': unknown axis 'Q'");
    expect_def_error("{\"name\": \"g\", \"axes\": {\"M\": {\"type\": \"variable\"}}, "
                     "\"inputs\": {}, \"outputs\": {}}",
                     "key 'axes.M.type': unknown axis type 'variable' (expected const or var)");
    expect_def_error("{\"name\": \"g\", \"axes\": {\"M\": {\"type\": \"const\"}}, "
                     "\"inputs\": {}, \"outputs\": {}}",
                     "key 'axes.M.value': a const axis needs a non-negative integer value");
    expect_def_error("{\"name\": \"g\", \"axes\": {}, \"inputs\": {}, \"outputs\": {}, "
                     "\"refrence\": \"\"}",
                     "key 'refrence': unknown key");
    expect_def_error("{\"axes\": {}}", "key 'name': missing (a string)");
    expect_def_error("{\"name\": \"g\", \"axes\": {}, \"inputs\": {}, \"outputs\": {}}",
                     "key 'outputs': no outputs");
    expect_def_error("{\"name\": \"g\", \"axes\": {}, \"inputs\": {\"A\": {\"dtype\": \"int32\"}},"
                     " \"outputs\": {}}",
                     "key 'inputs.A.shape': missing (a list of axis names, or null for a scalar)");
    expect_def_error("{\"name\": \"g\", \"axes\": {}, \"inputs\": {\"A\": {\"shape\": null, "
                     "\"dtype\": \"int32\", \"optional\": 1}}, \"outputs\": {}}",
                     "key 'inputs.A.optional': expected true or false");

    path = write_file("def.json", "{\"name\": \"g\",\n \"axes\": [}");
    CHECK(task_load_definition(path, &d, err, sizeof err) == -1);
    char want[600];
    snprintf(want, sizeof want, "%s:2:11: invalid JSON: unexpected token near '}'", path);
    CHECK_MSG(!strcmp(err, want), "got %s", err);
}

static void expect_wl_error(const task_definition *d, const char *jsonl, const char *want_suffix)
{
    char err[512] = "", want[1024];
    const char *path = write_file("w.jsonl", jsonl);
    task_workload *w = NULL;
    CHECK(task_load_workloads(path, d, &w, err, sizeof err) == -1);
    CHECK(w == NULL);
    snprintf(want, sizeof want, "%s:%s", path, want_suffix);
    CHECK_MSG(!strcmp(err, want), "got \"%s\" want \"%s\"", err, want);
}

#define WL(axes, inputs)                                                                           \
    "{\"definition\": \"g\", \"solution\": null, \"workload\": {\"uuid\": \"u1\", \"axes\": " axes \
    ", \"inputs\": " inputs "}, \"evaluation\": null}\n"

static void test_bad_workloads(void)
{
    char err[512];
    task_definition d;
    CHECK(task_load_definition(write_file("def.json", GOOD_DEF), &d, err, sizeof err) == 0);
    const char *ok_inputs = "{\"A\": {\"type\": \"random\"}, \"s\": {\"type\": \"scalar\", "
                            "\"value\": 0.5}}";
    char text[2048];
    snprintf(text, sizeof text,
             "\n{\"definition\": \"other\", \"workload\": {}}\n"
             "{\"definition\": \"g\", \"solution\": null, \"workload\": {\"uuid\": \"u1\", "
             "\"axes\": {\"M\": 3}, \"inputs\": %s}, \"evaluation\": null}\n",
             ok_inputs);
    task_workload *w;
    const char *path = write_file("w.jsonl", text);
    int n = task_load_workloads(path, &d, &w, err, sizeof err);
    CHECK_MSG(n == 1, "%s", err);
    if (n == 1) {
        CHECK(strcmp(w[0].label, "M=3") == 0 && w[0].axis_values[0] == 3);
        CHECK(w[0].inputs[1].kind == GEN_SCALAR && w[0].inputs[1].scalar == 0.5);
        task_workloads_free(w, n);
    }

    expect_wl_error(&d, WL("{\"M\": 3, \"K\": 8}", "{}"),
                    "1: workload axis 'K' is not a var axis of g");
    expect_wl_error(&d, "\n" WL("{\"Q\": 3}", "{}"), "2: workload axis 'Q' is not a var axis of g");
    expect_wl_error(&d, WL("{}", "{}"), "1: workload u1: var axis 'M' has no value");
    expect_wl_error(&d, WL("{\"M\": -1}", "{}"),
                    "1: workload u1: axis 'M': expected a non-negative integer, found an integer");
    expect_wl_error(&d, WL("{\"M\": 2}", "{\"A\": {\"type\": \"random\"}}"),
                    "1: workload u1: input 's' is missing");
    expect_wl_error(&d, WL("{\"M\": 2}", "{\"A\": {\"type\": \"random\"}, \"B\": {}}"),
                    "1: workload u1: 'B' is not an input of g");
    expect_wl_error(&d,
                    WL("{\"M\": 2}", "{\"A\": {\"type\": \"scalar\", \"value\": 1}, "
                                     "\"s\": {\"type\": \"random\"}}"),
                    "1: workload u1: input 'A' has shape [M, ...] but is given as a scalar");
    expect_wl_error(&d,
                    WL("{\"M\": 2}", "{\"A\": {\"type\": \"randn\"}, \"s\": {\"type\": "
                                     "\"random\"}}"),
                    "1: workload u1: input 'A': unknown type 'randn' (random, scalar or "
                    "safetensors)");
    expect_wl_error(&d,
                    WL("{\"M\": 2}", "{\"A\": {\"type\": \"safetensors\", \"path\": \"x\"}, "
                                     "\"s\": {\"type\": \"random\"}}"),
                    "1: workload u1: input 'A': safetensors needs 'path' and 'tensor_key' strings");
    expect_wl_error(
        &d,
        "{\"definition\": \"g\", \"workload\": {\"uuid\": \"u1\", \"axes\": {\"M\": 1}"
        ", \"inputs\": {\"A\": {\"type\": \"random\"}, \"s\": {\"type\": \"random\"}}}}\n"
        "{\"definition\": \"g\", \"workload\": {\"uuid\": \"u1\", \"axes\": {\"M\": 2}"
        ", \"inputs\": {\"A\": {\"type\": \"random\"}, \"s\": {\"type\": \"random\"}}}}\n",
        "2: workload uuid u1 repeats line 1's");
    expect_wl_error(&d, "{\"definition\": \"g\", \"workload\": {\"uuid\": \"u1\"}, \"score\": 1}\n",
                    "1: key 'score': unknown key");
    expect_wl_error(&d, "{\"definition\": \"g\",\n",
                    "1:19: invalid JSON: string or '}' expected near end of file");
    task_definition_free(&d);
}

static void expect_task_error(const char *taskjson, const char *want_suffix)
{
    char err[512] = "", want[1024];
    const char *path = write_file("task.json", taskjson);
    evo_task *t = (evo_task *)1;
    CHECK(task_load_dir(tmpdir, &t, err, sizeof err) == -1);
    CHECK(t == NULL);
    snprintf(want, sizeof want, "%s: %s", path, want_suffix);
    CHECK_MSG(!strcmp(err, want), "got \"%s\" want \"%s\"", err, want);
}

/* A gemm the gemm reference takes (task.json names it; the loader checks its table). */
static const char *GEMM_DEF =
    "{\"name\": \"g\", \"op_type\": \"gemm\", \"axes\": {\"M\": {\"type\": \"var\"}, "
    "\"N\": {\"type\": \"const\", \"value\": 4}, \"K\": {\"type\": \"const\", \"value\": 8}},"
    " \"inputs\": {\"A\": {\"shape\": [\"M\", \"K\"], \"dtype\": \"float16\"},"
    " \"B\": {\"shape\": [\"N\", \"K\"], \"dtype\": \"float16\"}},"
    " \"outputs\": {\"C\": {\"shape\": [\"M\", \"N\"], \"dtype\": \"float32\"}}}";

static void test_bad_tasks(void)
{
    write_file("def.json", GEMM_DEF);
    write_file("w.jsonl", WL("{\"M\": 2}", "{\"A\": {\"type\": \"random\"}, \"B\": {\"type\": "
                                           "\"random\"}}"));
    write_file("k.cu", "extern \"C\" __global__ void k() {}\n");
#define TJ(extra)                                                                                  \
    "{\"definition\": \"def.json\", \"workloads\": \"w.jsonl\", \"reference\": \"gemm\", "         \
    "\"seeds\": [\"k.cu\"]" extra "}"
    char err[512];
    evo_task *t;
    write_file("task.json", TJ(", \"defines\": {\"T\": \"__half\", \"N\": 4}, \"nvrtc_options\": "
                               "[\"--use_fast_math\"]"));
    int rc = task_load_dir(tmpdir, &t, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(t->ndefines == 2 && !strcmp(t->define_values[1], "4"));
        CHECK(t->nnvrtc_options == 1 && !strcmp(t->nvrtc_options[0], "--use_fast_math"));
        CHECK(strcmp(t->baseline_kind, "none") == 0 && t->bytes_expr == NULL);
        CHECK(task_bytes(t, &t->workloads[0]) == 0);
        task_free(t);
    }
    expect_task_error("{\"definition\": \"def.json\", \"workloads\": \"w.jsonl\", \"reference\": "
                      "\"gemmm\", \"seeds\": [\"k.cu\"]}",
                      "key 'reference': no host reference called 'gemmm'");
    expect_task_error(TJ(", \"cost\": {\"bytes\": \"2*M*Q\"}"),
                      "key 'cost.bytes': 'Q' is not an axis of g");
    expect_task_error(TJ(", \"tolerance\": {\"atol\": -1}"),
                      "key 'tolerance.atol': expected a non-negative number");
    expect_task_error(TJ(", \"tolerance\": {\"required_ratio\": 1.5}"),
                      "key 'tolerance.required_ratio': 1.5 is above 1");
    expect_task_error(
        TJ(", \"baseline\": {\"kind\": \"torch\"}"),
        "key 'baseline.kind': expected \"cublas\", \"kernel\", \"trace\" or \"none\"");
    expect_task_error(TJ(", \"seed\": []"), "key 'seed': unknown key");
    char want[1024];
    snprintf(want, sizeof want, "key 'seeds[0]': cannot read %s/nope.cu: No such file or directory",
             tmpdir);
    expect_task_error("{\"definition\": \"def.json\", \"workloads\": \"w.jsonl\", \"reference\": "
                      "\"gemm\", \"seeds\": [\"nope.cu\"]}",
                      want);
    expect_task_error("{\"definition\": \"def.json\", \"workloads\": \"w.jsonl\", \"reference\": "
                      "\"gemm\", \"seeds\": [\"k.cu\", \"./k.cu\"]}",
                      "key 'seeds[1]': a second seed called 'k'");
    expect_task_error("{\"definition\": \"def.json\", \"workloads\": \"w.jsonl\", \"reference\": "
                      "\"gemm\", \"seeds\": []}",
                      "key 'seeds': expected a non-empty list of .cu files");
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/evo_test_task_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    test_dtypes();
    test_all_flashinfer();
    test_definition_details();
    test_flashinfer_task_and_blobs();
    test_task_folders();
    test_bad_definitions();
    test_bad_workloads();
    test_bad_tasks();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", tmpdir);
    return CHECK_DONE();
}
