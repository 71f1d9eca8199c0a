/* test_workload_order.c -- per-workload figures come out in the order of the workloads' axes
 * (numerically, var axes in declaration order), not in the order the task file lists them, in
 * every view: the candidate's JSON, `evo status` (JSON and text), `evo best`, a kept
 * validation verdict, and the end-of-run report of `evo run`; and the report names only the
 * ceilings that were measured (no "0 TFLOP/s cuBLAS" for a task without a matrix product, no
 * "frac fl" column). The run is written with store.h calls, in scrambled file order. Also
 * `evo validate` on a machine without a usable GPU names why (no driver, or a driver too old),
 * as `evo run` does. evo/cli/cli_run.c and cli_view.c are compiled in to reach the report and
 * the commands. */
#include <dlfcn.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../evo/cli/cli_run.c"
#include "../evo/cli/cli_view.c"
#include "api.h"
#include "capture.h"
#include "check.h"
#include "file_text.h"
#include "scratch.h"
#include "store.h"
#include "store_format.h"

#define SHA "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static char out_text[1 << 16], err_text[1 << 16];

static const char *str(const char *s)
{
    return s;
}

/* The file order of a FlashInfer-Bench workload file, and the order of the axes. */
static const int FILE_ORDER[] = {7, 1, 34, 170, 14418, 2};
static const int AXIS_ORDER[] = {1, 2, 7, 34, 170, 14418};
#define NW 6

static void put(evo_txn *t, const char *key, json_t *v)
{
    CHECK(store_meta_put(t, key, v) == EVO_OK);
    json_decref(v);
}

static json_t *scrambled_workloads(void)
{
    json_t *w = json_object();
    for (int i = 0; i < NW; i++) {
        char label[64];
        snprintf(label, sizeof label, "batch_size=%d", FILE_ORDER[i]);
        json_object_set_new(w, label,
                            json_pack("{sf sf sf sf}", "latency_us", 10.0 + i, "baseline_us",
                                      20.0 + i, "speedup", 2.0, "frac_bw", 0.5));
    }
    return w;
}

static void write_run(const char *dir, const char *config_dir)
{
    evo_store *s;
    char err[512];
    CHECK_MSG(store_open(&s, dir, STORE_CREATE, "none", err, sizeof err) == EVO_OK, "%s", err);
    evo_txn *t;
    CHECK(store_begin(s, 1, &t) == EVO_OK);
    put(t, META_RUN,
        json_pack("{ss ss ss ss ss}", "name", "order", "created", "2026-12-04T05:00:00Z",
                  "evo_version", "0.1.0", "seed", "1", "config_dir", config_dir));
    put(t, META_CONFIG,
        json_pack("{s{ss ss ss si si si}}", "evaluator", "kind", "gpu", "task",
                  "../kernels/gdn_decode", "cache_dir", "/tmp/evo-test-order-cache", "trials", 3,
                  "iterations", 50, "warmup", 10));
    put(t, META_COUNTERS, json_pack("{si si si}", "evaluations", 1, "cached", 0, "best_id", 1));
    char *src = file_read_text("kernels/gdn_decode/gdn_decode_tuned.cu", 0, NULL);
    CHECK(src && store_source_put(t, SHA, src) == EVO_OK);
    free(src);
    json_t *rec =
        json_pack("{si ss ss ss s{ss ss} ss sf so}", "id", 1, "hash", "h1", "template",
                  "gdn_decode_tuned", "source_sha", SHA, "params", "RPW", "8", "WARPS", "2",
                  "status", "PASSED", "fitness", 2.0, "workloads", scrambled_workloads());
    CHECK(store_cand_put(t, 1, rec) == EVO_OK);
    json_decref(rec);
    CHECK(store_commit(t) == EVO_OK);
    /* A verdict kept as evo validate kept it before the order (keys sorted as text). */
    json_t *v = json_pack("{ss sf si so}", "status", "PASSED", "fitness", 2.0, "candidate", 1,
                          "workloads", scrambled_workloads());
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(v);
    CHECK(store_save_blob(s, "validation/1", text, strlen(text) + 1) == EVO_OK);
    free(text);
    store_close(s);
}

/* The labels of AXIS_ORDER appear in text in that order (each once at least). */
static void check_order(const char *what, const char *text)
{
    const char *at = text;
    for (int i = 0; i < NW; i++) {
        char label[64];
        snprintf(label, sizeof label, "batch_size=%d", AXIS_ORDER[i]);
        const char *p = at ? strstr(at, label) : NULL;
        /* batch_size=1 is a prefix of batch_size=14418 and =170: skip such matches. */
        while (p && p[strlen(label)] >= '0' && p[strlen(label)] <= '9')
            p = strstr(p + 1, label);
        CHECK_MSG(p != NULL, "%s: %s missing or out of order in:\n%s", what, label, text);
        at = p ? p + strlen(label) : NULL;
    }
}

static void test_cmp(void)
{
    CHECK(api_workload_cmp("batch_size=7", "batch_size=14418") < 0);
    CHECK(api_workload_cmp("batch_size=14418", "batch_size=170") > 0);
    CHECK(api_workload_cmp("batch_size=3", "batch_size=3") == 0);
    /* Axes in declaration order: the first decides, then the next. */
    CHECK(api_workload_cmp("batch_size=9,seq=100", "batch_size=10,seq=1") < 0);
    CHECK(api_workload_cmp("batch_size=2,seq=10", "batch_size=2,seq=9") > 0);
    CHECK(api_workload_cmp("batch_size=2", "batch_size=2,seq=1") < 0);
    /* Labels of another shape: as text. */
    CHECK(api_workload_cmp("b", "a") > 0);
    CHECK(api_workload_cmp("M=x", "M=1") > 0);
}

static void test_views(const char *dir)
{
    evo_run *r = NULL;
    CHECK_MSG(evo_run_open(&r, dir) == EVO_OK, "%s", evo_run_errmsg(r));
    evo_candidate *c = NULL;
    CHECK(evo_run_candidate(r, 1, &c) == EVO_OK);
    if (c) check_order("evo_candidate_json", evo_candidate_json(c));
    evo_candidate_free(c);
    char *st = NULL;
    CHECK(evo_run_status_json(r, &st) == EVO_OK);
    if (st) check_order("evo_run_status_json", strstr(st, "\"best\""));
    free(st);
    char *v = NULL;
    CHECK(evo_run_validation(r, 1, &v) == EVO_OK);
    if (v) check_order("evo_run_validation", v);
    free(v);
    evo_run_close(r);

    const char *sargv[] = {"status", dir};
    CHECK(capture_call(cli_status, 2, sargv, out_text, sizeof out_text, err_text,
                       sizeof err_text) == EXIT_OK);
    check_order("evo status", out_text);
    const char *bargv[] = {"best", dir};
    CHECK(capture_call(cli_best, 2, bargv, out_text, sizeof out_text, err_text, sizeof err_text) ==
          EXIT_OK);
    check_order("evo best", out_text);
}

static void report(const char *dir, const char *facts, char *buf, size_t n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    CHECK(m != NULL);
    if (!m) return;
    print_report(m, dir, facts);
    fclose(m);
    snprintf(buf, n, "%s", text ? text : "");
    free(text);
}

static void test_report(const char *dir)
{
    static char text[1 << 14];
    /* A task with no matrix product: the copy ceiling alone, no frac flops column. */
    report(dir,
           "{\"evaluator\":\"gpu\",\"device\":\"NVIDIA H200\",\"arch\":\"sm_90a\","
           "\"ceiling_gbps\":4012.4,\"ceiling_tflops\":0}",
           text, sizeof text);
    CHECK_CONTAINS(str(text), "device        : NVIDIA H200 (sm_90a), ceilings 4012 GB/s copy\n");
    CHECK_MSG(strstr(text, "TFLOP") == NULL, "%s", text);
    CHECK_MSG(strstr(text, "frac fl") == NULL, "%s", text);
    CHECK_CONTAINS(str(text), "  frac bw\n");
    CHECK_CONTAINS(str(text),
                   "batch_size=1                    11.00        21.00     2.00x     0.50");
    check_order("the report", strstr(text, "latency us"));
    /* Both ceilings measured: both named. */
    report(dir,
           "{\"evaluator\":\"gpu\",\"device\":\"NVIDIA H200\",\"arch\":\"sm_90a\","
           "\"ceiling_gbps\":4012.4,\"ceiling_tflops\":702.2}",
           text, sizeof text);
    CHECK_CONTAINS(str(text), "ceilings 4012 GB/s copy, 702 TFLOP/s cuBLAS\n");
    /* Neither: no ceilings line part at all. */
    report(dir, "{\"device\":\"NVIDIA H200\",\"arch\":\"sm_90a\"}", text, sizeof text);
    CHECK_CONTAINS(str(text), "device        : NVIDIA H200 (sm_90a)\n");
}

/* evo validate without a usable GPU says why, as evo run does. */
static void test_validate_nogpu(const char *dir)
{
    void *h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    int driver = h != NULL;
    if (h) dlclose(h);
    evo_run *r = NULL;
    CHECK_MSG(evo_run_open(&r, dir) == EVO_OK, "%s", evo_run_errmsg(r));
    char *verdict = NULL;
    int rc = evo_run_validate(r, 1, 0, 0, &verdict);
    CHECK_MSG(rc == EVO_ENOGPU, "validate returned %s: %s", evo_strerror(rc), evo_run_errmsg(r));
    CHECK_CONTAINS(evo_run_errmsg(r), "no CUDA device found: ");
    if (!driver) {
        CHECK_CONTAINS(evo_run_errmsg(r), "no NVIDIA driver is installed (libcuda.so.1 not found)");
        CHECK_MSG(strstr(evo_run_errmsg(r), "insufficient") == NULL, "%s", evo_run_errmsg(r));
    }
    free(verdict);
    evo_run_close(r);
}

int main(void)
{
    setenv("CUDA_VISIBLE_DEVICES", "", 1);
    setenv("EVO_WORKER", EVO_BUILD_DIR "/evo-worker", 1);
    char cwd[512], cfgdir[700];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    snprintf(cfgdir, sizeof cfgdir, "%s/configs", cwd);
    scratch_dir("workload-order");
    const char *dir = scratch_path("run");
    write_run(dir, cfgdir);
    test_cmp();
    test_views(dir);
    test_report(dir);
    test_validate_nogpu(dir);
    int rc = CHECK_DONE();
    if (rc == 0) scratch_remove();
    return rc;
}
