/* gpu_timing.c -- timing is repeatable and honest (needs a GPU; label gpu): the same kernel
 * timed twice gives medians within 3% on a workload large enough to fill the chip; the
 * baseline kernel evaluated as a candidate gets a speedup near 1; the copy ceiling is
 * plausible and the bandwidth fraction of a memory-bound kernel is at most about 1. */
#include "file_text.h"
#include "gpu_harness.h"
#include "space.h"

/* The cuBLAS baseline of the gemm task: it must pass the gate itself (a transposed call
 * would not), give a matrix ceiling near the anchors' 585-670 TFLOP/s, and time a seed. */
static void test_cublas_baseline(void)
{
    setenv("EVO_WORKER", harness_worker(), 1);
    char text[2048], err[2048] = "";
    snprintf(text, sizeof text,
             "{\"seed\": 3, \"evaluator\": {\"task\": \"%s/kernels/gemm\", \"cache_dir\": "
             "\"/tmp/evo-gpu-test-cache\", \"workloads\": [\"M=1\", \"M=1024\"], "
             "\"warmup\": 5, \"iterations\": 30, \"timeout_s\": 60}}",
             harness_source_dir());
    evo_config *cfg = NULL;
    CHECK_MSG(evo_config_parse(text, "gemm-test", &cfg, err, sizeof err) == EVO_OK, "%s", err);
    gpu_evaluator *g = NULL;
    int rc = cfg ? gpu_evaluator_new(config_get(cfg, "evaluator"), cfg->dir, cfg->seed, &g, err,
                                     sizeof err)
                 : EVO_ECONFIG;
    evo_config_free(cfg);
    CHECK_MSG(rc == EVO_OK, "%s", err);
    if (rc != EVO_OK) return;
    evo_evaluator ev = gpu_evaluator_table(g);
    CHECK(ev.start(ev.user, NULL, 1) == EVO_OK);
    double tf = gpu_evaluator_ceiling_tflops(g);
    printf("cuBLAS ceiling on the largest gemm workload: %.0f TFLOP/s\n", tf);
    CHECK(tf > 300 && tf < 1000);
    const evo_task *t = gpu_evaluator_task(g);
    int seed = -1;
    for (int i = 0; i < t->nseeds; i++)
        if (strcmp(t->seed_names[i], "gemm_simt") == 0) seed = i;
    CHECK(seed >= 0);
    evo_space *sp = seed >= 0 ? space_parse(t->seed_sources[seed], err, sizeof err) : NULL;
    CHECK_MSG(sp != NULL, "%s", err);
    if (sp) {
        evo_point pt = point_new(sp);
        evo_genome *gen = genome_new("gemm_simt", t->seed_sources[seed], sp, &pt);
        evo_result *r = result_new();
        rc = ev.evaluate(ev.user, 0, gen, r);
        CHECK_MSG(rc == EVO_OK, "evaluate: %s: %s", evo_strerror(rc), r->error ? r->error : "");
        CHECK_MSG(r->status == EVO_STATUS_PASSED, "gemm_simt: %s: %s", evo_status_name(r->status),
                  r->error ? r->error : "");
        double base = harness_metric(r, "M=1024", "baseline_us");
        printf("gemm_simt M=1024: %.1f us, cuBLAS %.1f us, %.1f TFLOP/s (%.2f of ceiling)\n",
               harness_metric(r, "M=1024", "latency_us"), base,
               harness_metric(r, "M=1024", "tflops"), harness_metric(r, "M=1024", "frac_flops"));
        CHECK(base > 20 && base < 200);
        result_free(r);
        genome_free(gen);
        point_free(&pt);
        space_free(sp);
    }
    ev.stop(ev.user);
    gpu_evaluator_free(g);
}

int main(void)
{
    gpu_evaluator *g = NULL;
    evo_evaluator ev;
    int rc = harness_open(", \"workloads\": [\"batch_size=14509\"], \"warmup\": 10, "
                          "\"iterations\": 100, \"timeout_s\": 30",
                          &g, &ev);
    if (rc) return rc;
    const char *wl = "batch_size=14509";
    CHECK(gpu_evaluator_ceiling_gbps(g) > 500);
    double lat[2];
    for (int i = 0; i < 2; i++) {
        evo_result *r = harness_eval(&ev, HOSTILE_SRC, MODE_OK);
        CHECK_MSG(r->status == EVO_STATUS_PASSED, "%s", r->error ? r->error : "");
        lat[i] = harness_metric(r, wl, "latency_us");
        double frac = harness_metric(r, wl, "frac_bw");
        printf("run %d: %.2f us, baseline %.2f us, %.0f GB/s (%.2f of the copy ceiling)\n", i,
               lat[i], harness_metric(r, wl, "baseline_us"), harness_metric(r, wl, "gbps"), frac);
        CHECK(frac > 0 && frac < 1.1);
        result_free(r);
    }
    double spread = lat[0] > lat[1] ? lat[0] / lat[1] : lat[1] / lat[0];
    CHECK_MSG(spread < 1.03, "medians %.3f and %.3f us differ by more than 3%%", lat[0], lat[1]);

    char path[1024];
    snprintf(path, sizeof path, "%s/kernels/rmsnorm/baseline.cu", harness_source_dir());
    char *base = file_read_text(path, 0, NULL);
    CHECK(base != NULL);
    if (base) {
        evo_genome *gen = genome_from_pairs("baseline", base, 0, NULL, NULL);
        evo_result *r = result_new();
        CHECK(ev.evaluate(ev.user, 0, gen, r) == EVO_OK);
        CHECK_MSG(r->status == EVO_STATUS_PASSED, "%s", r->error ? r->error : "");
        double s = harness_metric(r, wl, "speedup");
        printf("baseline as a candidate: speedup %.3f\n", s);
        CHECK_MSG(s > 0.9 && s < 1.1, "baseline against itself: speedup %.3f", s);
        result_free(r);
        genome_free(gen);
        free(base);
    }
    ev.stop(ev.user);
    gpu_evaluator_free(g);
    test_cublas_baseline();
    return CHECK_DONE();
}
