/* test_trace_baseline.c -- baselines from FlashInfer-Bench trace files (trace_baseline.h), on
 * the CPU: the reader on lines written by FlashInfer-Bench 0.1.2's own pydantic models
 * (tests/data/trace_baseline/make_fixtures.py), matching by uuid and by axes, the median of
 * repeated records, records that did not pass ignored, foreign definitions, malformed lines
 * and two solutions refused with file:line, the device check (refused, or allowed and said),
 * task.json's "trace" kind (paths confined to the task folder, the fallback), the evaluator's
 * fallback list and its refusal without a fallback, and a whole run through a stand-in worker
 * (this program, re-executed: EVO_TRACE_FAKE_WORKER names the GPU it pretends to be) whose
 * fitness log marks each workload's figures with the baseline they are against and whose
 * speedups use the trace's latencies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "genome.h"
#include "gpu_evaluator.h"
#include "ipc.h"
#include "result.h"
#include "scratch.h"
#include "task.h"
#include "trace_baseline.h"

#define DATA EVO_SOURCE_DIR "/tests/data/trace_baseline/"
#define RMS EVO_SOURCE_DIR "/kernels/rmsnorm"

static const char *str(const char *s)
{
    return s ? s : "";
}

static int wl_of(const evo_task *t, int64_t batch)
{
    for (int i = 0; i < t->nworkloads; i++)
        if (t->workloads[i].axis_values[0] == batch) return i;
    return -1;
}

/* ---- the stand-in worker ---- */

static void put(json_t *o, const char *k, double v)
{
    json_object_set_new(o, k, json_real(v));
}

/* init: the device named by EVO_TRACE_FAKE_WORKER; eval: every workload PASSED at 5 us, against
 * the baseline the init request handed over (measured elsewhere: the trace), else one "timed"
 * here at 50 us. */
static int fake_worker(int argc, char **argv)
{
    int in = 0, out = 1;
    ipc_serve_fds(argc, argv, &in, &out);
    evo_task *t = NULL;
    double *known = NULL;
    char err[2048];
    for (;;) {
        json_t *req = NULL;
        void *p = NULL;
        size_t n = 0;
        if (ipc_recv(in, -1, &req, &p, &n, err, sizeof err) != IPC_OK) break;
        free(p);
        const char *op = ipc_str(req, "op");
        json_t *reply = NULL;
        if (op && !strcmp(op, "init")) {
            if (task_open(ipc_str(req, "task_dir"), NULL, NULL, 0, &t, err, sizeof err))
                reply = json_pack("{s:b,s:s}", "ok", 0, "error", err);
            else {
                known = calloc((size_t)t->nworkloads + 1, sizeof *known);
                size_t i;
                json_t *b;
                json_array_foreach(json_object_get(req, "baselines"), i, b)
                {
                    int wi = (int)json_integer_value(json_array_get(b, 0));
                    if (wi >= 0 && wi < t->nworkloads)
                        known[wi] = json_number_value(json_array_get(b, 1));
                }
                reply = json_pack("{s:b,s:{s:s,s:s,s:i,s:I,s:I,s:I},s:f,s:f}", "ok", 1, "device",
                                  "name", getenv("EVO_TRACE_FAKE_WORKER"), "cc", "9.0", "sms", 132,
                                  "l2_bytes", (json_int_t)52428800, "smem_optin",
                                  (json_int_t)232448, "mem_bytes", (json_int_t)1 << 37,
                                  "ceiling_gbps", 4000.0, "ceiling_tflops", 0.0);
            }
        } else if (op && !strcmp(op, "eval") && t) {
            json_t *wls = json_object();
            double sum = 0;
            size_t i, count = 0;
            json_t *v;
            json_array_foreach(json_object_get(req, "workloads"), i, v)
            {
                int wi = (int)json_integer_value(v);
                double base = known[wi] > 0 ? known[wi] : 50.0;
                json_t *f = json_object();
                put(f, "latency_us", 5.0);
                put(f, "baseline_us", base);
                put(f, "speedup", base / 5.0);
                json_object_set_new(f, "status", json_string("PASSED"));
                json_object_set_new(wls, t->workloads[wi].label, f);
                sum += base / 5.0;
                count++;
            }
            reply = json_pack("{s:s,s:s,s:f,s:o}", "status", "PASSED", "error", "", "fitness",
                              count ? sum / (double)count : 0.0, "workloads", wls);
        } else if (op && !strcmp(op, "quit")) {
            json_decref(req);
            break;
        } else {
            reply = json_pack("{s:s,s:s}", "status", "RUNTIME_ERROR", "error", "fake: unexpected");
        }
        json_decref(req);
        ipc_send(out, reply, NULL, 0, err, sizeof err);
        json_decref(reply);
    }
    free(known);
    task_free(t);
    return 0;
}

/* ---- the reader ---- */

static evo_task *rmsnorm(void)
{
    evo_task *t = NULL;
    char err[2048] = "";
    CHECK_MSG(task_load_dir(RMS, &t, err, sizeof err) == 0, "%s", err);
    return t;
}

static void test_reader(void)
{
    evo_task *t = rmsnorm();
    if (!t) return;
    task_trace_baseline *b = NULL;
    char err[2048] = "";
    int rc =
        task_trace_baseline_load(DATA "rmsnorm_flashinfer.jsonl", t, NULL, &b, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (b) {
        CHECK(!strcmp(b->solution, "flashinfer_rmsnorm"));
        CHECK(!strcmp(b->label, "trace:flashinfer_rmsnorm"));
        CHECK(!strcmp(b->hardware, "NVIDIA H200"));
        CHECK(!strcmp(b->timestamp, "2026-12-04T05:10:00")); /* the latest */
        CHECK_MSG(b->matched == 3, "matched %d", b->matched);
        CHECK(b->by_uuid == 4 && b->by_axes == 1);
        CHECK(b->skipped_status == 2 && b->workload_only == 1 && b->unmatched == 1);
        int w7 = wl_of(t, 7), w1 = wl_of(t, 1), w34 = wl_of(t, 34), w170 = wl_of(t, 170);
        /* 10, 30 and 11 us: the median, not the mean (17) nor the latest (11 by chance). */
        CHECK_MSG(b->us[w7] > 10.99 && b->us[w7] < 11.01 && b->nrecords[w7] == 3, "%g", b->us[w7]);
        CHECK(b->us[w1] > 7.99 && b->us[w1] < 8.01);
        CHECK(b->us[w34] > 8.99 && b->us[w34] < 9.01); /* by axes: its uuid is not ours */
        CHECK(b->us[w170] == 0);                       /* INCORRECT_NUMERICAL: not a baseline */
        /* The device: ours, spelled as FlashInfer-Bench or as the worker spells it. */
        CHECK(task_trace_device_check(b, "NVIDIA H200", 0, err, sizeof err) == 0);
        CHECK(task_trace_device_check(b, "nvidia_h200", 0, err, sizeof err) == 0);
        CHECK(task_trace_device_check(b, "NVIDIA H100 80GB HBM3", 0, err, sizeof err) == -1);
        CHECK_CONTAINS(err, "rmsnorm_flashinfer.jsonl: the trace was measured on 'NVIDIA H200', "
                            "and this GPU is 'NVIDIA H100 80GB HBM3'");
        CHECK_CONTAINS(err, "allow_other_device");
        CHECK(task_trace_device_check(b, "NVIDIA H100 80GB HBM3", 1, err, sizeof err) == 0);
        task_trace_baseline_free(b);
    }
    /* Another GPU's trace: its device is kept and refused against ours. */
    b = NULL;
    rc = task_trace_baseline_load(DATA "rmsnorm_h100.jsonl", t, NULL, &b, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (b) {
        CHECK(!strcmp(b->hardware, "NVIDIA H100 80GB HBM3") && b->matched == 1);
        CHECK(task_trace_device_check(b, "NVIDIA H200", 0, err, sizeof err) == -1);
        CHECK_CONTAINS(err, "rmsnorm_h100.jsonl: the trace was measured on 'NVIDIA H100 80GB "
                            "HBM3', and this GPU is 'NVIDIA H200'");
        task_trace_baseline_free(b);
    }
    /* A solution named: only its records. */
    b = NULL;
    rc = task_trace_baseline_load(DATA "rmsnorm_two_solutions.jsonl", t, "triton_rmsnorm", &b, err,
                                  sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (b) {
        CHECK(b->matched == 2 && b->skipped_solution == 1);
        CHECK(b->us[wl_of(t, 7)] > 19.99 && b->us[wl_of(t, 7)] < 20.01);
        task_trace_baseline_free(b);
    }
    /* Refusals, each naming the file and line. */
    static const struct {
        const char *file, *solution, *want;
    } bad[] = {
        {"rmsnorm_two_solutions.jsonl", NULL,
         "rmsnorm_two_solutions.jsonl:2: records of solutions 'flashinfer_rmsnorm' and "
         "'triton_rmsnorm' in one file: name the one to compare with (baseline.solution)"},
        {"rmsnorm_foreign_definition.jsonl", NULL,
         "rmsnorm_foreign_definition.jsonl:2: a trace of definition 'gemm_n4096_k4096', and the "
         "task's is 'rmsnorm_h4096'"},
        {"rmsnorm_malformed.jsonl", NULL, "rmsnorm_malformed.jsonl:3:"},
        {"rmsnorm_malformed.jsonl", NULL, "invalid JSON"},
        {"rmsnorm_flashinfer.jsonl", "nobody",
         "no PASSED record of nobody matches a workload of task rmsnorm_h4096"},
        {"missing.jsonl", NULL, "missing.jsonl: cannot open the trace: "},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b = NULL;
        err[0] = 0;
        char file[1200];
        snprintf(file, sizeof file, "%s%s", DATA, bad[i].file);
        rc = task_trace_baseline_load(file, t, bad[i].solution, &b, err, sizeof err);
        CHECK_MSG(rc == -1 && b == NULL, "%s was accepted", bad[i].file);
        CHECK_CONTAINS(err, bad[i].want);
    }
    /* A line that is JSON but not a Trace: FlashInfer-Bench's own rule (PASSED needs its
     * performance) through the one schema check. */
    const char *path = scratch_path("no_perf.jsonl");
    FILE *f = fopen(path, "w");
    fprintf(f, "\n{\"definition\":\"rmsnorm_h4096\",\"workload\":{\"axes\":{\"batch_size\":7},"
               "\"inputs\":{},\"uuid\":\"u\"},\"solution\":\"s\",\"evaluation\":{\"status\":"
               "\"PASSED\",\"environment\":{\"hardware\":\"NVIDIA H200\",\"libs\":{}},"
               "\"timestamp\":\"t\",\"log\":\"\",\"correctness\":{\"max_relative_error\":0,"
               "\"max_absolute_error\":0}}}\n");
    fclose(f);
    CHECK(task_trace_baseline_load(path, t, NULL, &b, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "no_perf.jsonl:2: not a FlashInfer-Bench Trace: trace.evaluation: status "
                        "PASSED needs 'performance'");
    task_free(t);
}

/* ---- task.json's "trace" kind ---- */

/* A task folder in the scratch directory: rmsnorm's files linked in, the given baseline. */
static const char *task_with(const char *name, const char *baseline)
{
    static char dir[1024];
    snprintf(dir, sizeof dir, "%s", scratch_path(name));
    mkdir(dir, 0777);
    static const char *const files[] = {"definition.json", "workloads.jsonl", "baseline.cu",
                                        "rmsnorm_warp.cu", "rmsnorm_block.cu"};
    char from[1200], to[1200];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(from, sizeof from, "%s/%s", RMS, files[i]);
        snprintf(to, sizeof to, "%s/%s", dir, files[i]);
        if (symlink(from, to) && errno != EEXIST) CHECK_MSG(0, "symlink %s", to);
    }
    snprintf(from, sizeof from, "%s", DATA "rmsnorm_flashinfer.jsonl");
    snprintf(to, sizeof to, "%s/flashinfer.jsonl", dir);
    if (symlink(from, to) && errno != EEXIST) CHECK_MSG(0, "symlink %s", to);
    snprintf(to, sizeof to, "%s/task.json", dir);
    FILE *f = fopen(to, "w");
    fprintf(f,
            "{\"definition\": \"definition.json\", \"workloads\": \"workloads.jsonl\", "
            "\"reference\": \"rmsnorm\", \"cost\": {\"bytes\": \"2*batch_size*hidden_size*2\"}, "
            "\"seeds\": [\"rmsnorm_warp.cu\"], \"baseline\": %s}\n",
            baseline);
    fclose(f);
    return dir;
}

static void test_task_json(void)
{
    evo_task *t = NULL;
    char err[2048] = "";
    const char *dir = task_with("t_ok", "{\"kind\": \"trace\", \"path\": \"flashinfer.jsonl\", "
                                        "\"allow_other_device\": true, \"fallback\": {\"kind\": "
                                        "\"kernel\", \"source\": \"baseline.cu\"}}");
    CHECK_MSG(task_load_dir(dir, &t, err, sizeof err) == 0, "%s", err);
    if (t) {
        CHECK(!strcmp(t->baseline_kind, "kernel") && t->baseline_source);
        CHECK_CONTAINS(t->trace_path, "/t_ok/flashinfer.jsonl");
        CHECK(t->trace_allow_other_device == 1 && t->trace_solution[0] == 0);
        task_free(t);
    }
    static const struct {
        const char *baseline, *want;
    } bad[] = {
        {"{\"kind\": \"trace\", \"path\": \"../../etc/passwd\"}",
         "key 'baseline.path': '../../etc/passwd' leaves the task folder"},
        {"{\"kind\": \"trace\", \"path\": \"/etc/passwd\"}", "leaves the task folder"},
        {"{\"kind\": \"trace\"}", "key 'baseline.path': missing"},
        {"{\"kind\": \"trace\", \"path\": \"flashinfer.jsonl\", \"device\": 1}",
         "key 'baseline.device': unknown key"},
        {"{\"kind\": \"trace\", \"path\": \"flashinfer.jsonl\", \"fallback\": {\"kind\": "
         "\"trace\"}}",
         "key 'baseline.fallback.kind': expected \"cublas\", \"kernel\" or \"none\""},
        {"{\"kind\": \"trace\", \"path\": \"flashinfer.jsonl\", \"allow_other_device\": 1}",
         "key 'baseline.allow_other_device': expected a boolean"},
        {"{\"kind\": \"trace\", \"path\": \"flashinfer.jsonl\", \"fallback\": {\"kind\": "
         "\"kernel\", \"source\": \"../x.cu\"}}",
         "key 'baseline.fallback.source': '../x.cu' leaves the task folder"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "t_bad%zu", i);
        t = NULL;
        err[0] = 0;
        CHECK_MSG(task_load_dir(task_with(name, bad[i].baseline), &t, err, sizeof err) == -1,
                  "%s was accepted", bad[i].baseline);
        CHECK_CONTAINS(err, bad[i].want);
        task_free(t);
    }
}

/* ---- the evaluator ---- */

static gpu_evaluator *open_eval(const char *evaluator, int want_rc, char *err, size_t errlen)
{
    char cfgtext[4096];
    snprintf(cfgtext, sizeof cfgtext, "{\"evaluator\": {%s, \"cache_dir\": \"%s\"}}", evaluator,
             scratch_path("cache"));
    evo_config *cfg = NULL;
    CHECK_MSG(evo_config_parse(cfgtext, "test", &cfg, err, errlen) == EVO_OK, "%s", err);
    if (!cfg) return NULL;
    gpu_evaluator *g = NULL;
    int rc = gpu_evaluator_new(config_get(cfg, "evaluator"), cfg->dir, cfg->seed, &g, err, errlen);
    evo_config_free(cfg);
    CHECK_MSG(rc == want_rc, "gpu_evaluator_new: %s (%s)", evo_strerror(rc), err);
    return g;
}

static void test_evaluator(void)
{
    char err[4096] = "", ev[2048];
    gpu_evaluator *g = NULL;
    snprintf(ev, sizeof ev,
             "\"task\": \"%s\", \"baseline\": {\"kind\": \"trace\", \"path\": \"%s\"}", RMS,
             DATA "rmsnorm_flashinfer.jsonl");
    g = open_eval(ev, EVO_OK, err, sizeof err);
    if (g) {
        const evo_task *t = gpu_evaluator_task(g);
        CHECK(!strcmp(gpu_evaluator_baseline(g, wl_of(t, 7)), "trace:flashinfer_rmsnorm"));
        CHECK(!strcmp(gpu_evaluator_baseline(g, wl_of(t, 34)), "trace:flashinfer_rmsnorm"));
        CHECK(!strcmp(gpu_evaluator_baseline(g, wl_of(t, 170)), "kernel"));
        gpu_evaluator_free(g);
    }
    /* No fallback (the task's trace baseline has none) and workloads left over: refused,
     * listing them; selecting only covered workloads is fine. */
    const char *dir = task_with("t_nofallback", "{\"kind\": \"trace\", \"path\": "
                                                "\"flashinfer.jsonl\"}");
    snprintf(ev, sizeof ev, "\"task\": \"%s\"", dir);
    g = open_eval(ev, EVO_ECONFIG, err, sizeof err);
    CHECK_CONTAINS(err, "has no PASSED record of flashinfer_rmsnorm for 12 of the 15 workloads (");
    CHECK_CONTAINS(err, "batch_size=14418");
    CHECK_CONTAINS(err, "and task rmsnorm_h4096 has no baseline of its own");
    gpu_evaluator_free(g);
    snprintf(ev, sizeof ev, "\"task\": \"%s\", \"workloads\": [\"batch_size=7\", \"batch_size=1\"]",
             dir);
    g = open_eval(ev, EVO_OK, err, sizeof err);
    gpu_evaluator_free(g);
    snprintf(ev, sizeof ev, "\"task\": \"%s\", \"baseline\": {\"kind\": \"trace\"}", RMS);
    g = open_eval(ev, EVO_ECONFIG, err, sizeof err);
    CHECK_CONTAINS(err, "evaluator.baseline.path: required when evaluator.baseline.kind is");
    gpu_evaluator_free(g);
    snprintf(ev, sizeof ev,
             "\"task\": \"%s\", \"baseline\": {\"kind\": \"trace\", \"path\": \"%s\"}", RMS,
             DATA "rmsnorm_foreign_definition.jsonl");
    g = open_eval(ev, EVO_ECONFIG, err, sizeof err);
    CHECK_CONTAINS(err, "rmsnorm_foreign_definition.jsonl:2: a trace of definition");
    gpu_evaluator_free(g);
}

/* The stand-in worker pretends to be device; start, one evaluation, the facts. */
static void test_device(const char *device, const char *extra, int want_start)
{
    setenv("EVO_TRACE_FAKE_WORKER", device, 1);
    char err[4096] = "", ev[2048];
    snprintf(ev, sizeof ev,
             "\"task\": \"%s\", \"max_workloads\": 15, \"baseline\": {\"kind\": \"trace\", "
             "\"path\": \"%s\"%s}",
             RMS, DATA "rmsnorm_flashinfer.jsonl", extra);
    fflush(stderr);
    gpu_evaluator *g = open_eval(ev, EVO_OK, err, sizeof err);
    if (!g) return;
    evo_evaluator tab = gpu_evaluator_table(g);
    int rc = tab.start(tab.user, NULL, 1);
    CHECK_MSG(rc == want_start, "start with %s: %s", device, evo_strerror(rc));
    if (rc == EVO_OK) {
        const char *facts = tab.facts(tab.user);
        CHECK_CONTAINS(facts, "\"label\":\"trace:flashinfer_rmsnorm\"");
        /* Said once, with how many and which fall back (the report prints it). */
        CHECK_CONTAINS(facts, "\"covered\":3,\"workloads\":15,\"fallback_count\":12,"
                              "\"fallback\":\"kernel\",\"fallback_workloads\":\"batch_size=170, "
                              "batch_size=14418, batch_size=11832, batch_size=64,");
        CHECK_MSG(strstr(facts, "batch_size=7,") == NULL && strstr(facts, "batch_size=34,") == NULL,
                  "%s", facts);
        CHECK_CONTAINS(facts, "\"hardware\":\"NVIDIA H200\"");
        if (strcmp(device, "NVIDIA H200"))
            CHECK_CONTAINS(facts, "\"other_device\":true");
        else
            CHECK_CONTAINS(facts, "\"other_device\":false");
    }
    if (tab.stop) tab.stop(tab.user);
    gpu_evaluator_free(g);
}

/* A whole run: the fitness log's figures say what they are against, and the trace's latency
 * is the baseline of the workloads it covers (the worker never timed them). */
static void test_run(void)
{
    setenv("EVO_TRACE_FAKE_WORKER", "NVIDIA H200", 1);
    char text[4096], err[4096] = "";
    snprintf(text, sizeof text,
             "{\"evaluator\": {\"task\": \"%s\", \"cache_dir\": \"%s\", \"confirm_rounds\": 0, "
             "\"baseline\": {\"kind\": \"trace\", \"path\": \"%s\"}}, "
             "\"stop\": {\"max_evaluations\": 1}}",
             RMS, scratch_path("cache"), DATA "rmsnorm_flashinfer.jsonl");
    evo_config *cfg = NULL;
    CHECK_MSG(evo_config_parse(text, "trace.json", &cfg, err, sizeof err) == EVO_OK, "%s", err);
    if (!cfg) return;
    const char *dir = scratch_path("run");
    evo_engine *e = NULL;
    int rc = evo_engine_open(&e, dir, cfg);
    evo_config_free(cfg);
    if (rc == EVO_OK) rc = evo_engine_configure(e);
    if (rc == EVO_OK) rc = evo_engine_run(e);
    CHECK_MSG(rc == EVO_OK, "%s: %s", evo_strerror(rc), e ? evo_errmsg(e) : "");
    evo_engine_close(e);
    char path[1200];
    snprintf(path, sizeof path, "%s/fitness.jsonl", dir);
    json_error_t je;
    FILE *f = fopen(path, "r");
    char line[65536] = "";
    if (f) {
        if (!fgets(line, sizeof line, f)) line[0] = 0;
        fclose(f);
    }
    json_t *l = json_loads(line, 0, &je);
    CHECK_MSG(l != NULL, "%s: %s", path, je.text);
    json_t *w = json_object_get(l, "workloads");
    json_t *w7 = json_object_get(w, "batch_size=7"), *w170 = json_object_get(w, "batch_size=170");
    CHECK_MSG(!strcmp(str(json_string_value(json_object_get(w7, "baseline"))),
                      "trace:flashinfer_rmsnorm"),
              "%s", line);
    CHECK(!strcmp(str(json_string_value(json_object_get(w170, "baseline"))), "kernel"));
    CHECK(json_number_value(json_object_get(w7, "baseline_us")) == 11.0);
    CHECK(json_number_value(json_object_get(w170, "baseline_us")) == 50.0);
    json_decref(l);
    /* evo status shows it per workload. */
    char cmd[1400], out[16384] = "";
    snprintf(cmd, sizeof cmd, "'%s' status '%s' 2>&1", EVO_BUILD_DIR "/evo", dir);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = 0;
    if (p) CHECK(pclose(p) == 0);
    CHECK_CONTAINS(out, "  against\n");
    const char *row = strstr(out, "batch_size=7 ");
    CHECK_MSG(row && strstr(row, "  trace:flashinfer_rmsnorm\n"), "%s", out);
    printf("%s", out);
    CHECK_CONTAINS(out, "  kernel\n");
}

/* evo run's end-of-run report: what the baseline is, where its figures come from, another
 * GPU's trace accepted and said, the fallbacks listed, each workload's baseline. */
static void test_report(void)
{
    setenv("EVO_TRACE_FAKE_WORKER", "NVIDIA H200", 1);
    const char *cfg = scratch_path("report.json");
    FILE *f = fopen(cfg, "w");
    fprintf(f,
            "{\"evaluator\": {\"task\": \"%s\", \"cache_dir\": \"%s\", \"confirm_rounds\": 0, "
            "\"baseline\": {\"kind\": \"trace\", \"path\": \"%s\", \"allow_other_device\": true}}, "
            "\"stop\": {\"max_evaluations\": 1}}\n",
            RMS, scratch_path("cache"), DATA "rmsnorm_h100.jsonl");
    fclose(f);
    char cmd[2400], out[32768] = "";
    snprintf(cmd, sizeof cmd, "'%s' run '%s' --run-dir '%s' --quiet 2>&1", EVO_BUILD_DIR "/evo",
             cfg, scratch_path("report-run"));
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = 0;
    if (p) CHECK_MSG(pclose(p) == 0, "%s", out);
    CHECK_CONTAINS(out, "baseline      : trace:flashinfer_rmsnorm from ");
    CHECK_CONTAINS(out, "rmsnorm_h100.jsonl (measured on NVIDIA H100 80GB HBM3, "
                        "2026-12-04T05:00:00), 1 of 15 workloads; its latencies come from "
                        "FlashInfer-Bench's harness");
    CHECK_CONTAINS(out, "ANOTHER GPU than this one (allow_other_device is set)");
    CHECK_CONTAINS(out, "14 fall back to the task's kernel baseline: batch_size=1, batch_size=34,");
    CHECK_CONTAINS(out, "2.40x  trace:flashinfer_rmsnorm\n");
}

int main(int argc, char **argv)
{
    if (getenv("EVO_TRACE_FAKE_WORKER") && argc > 1) return fake_worker(argc, argv);
    scratch_dir("trace-baseline");
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "cannot find this program (/proc/self/exe)\n");
        return 1;
    }
    self[n] = 0;
    setenv("EVO_WORKER", self, 1);
    test_reader();
    test_task_json();
    test_evaluator();
    test_device("NVIDIA H200", "", EVO_OK);
    test_device("NVIDIA H100 80GB HBM3", "", EVO_ECONFIG);
    test_device("NVIDIA H100 80GB HBM3", ", \"allow_other_device\": true", EVO_OK);
    test_run();
    test_report();
    int rc = CHECK_DONE();
    if (rc == 0) scratch_remove();
    return rc;
}
