/* evaluator.c -- the GPU evaluator, parent side (gpu_evaluator.h). It loads the task and
 * picks the workloads, checks each candidate's launch plan, compiles it with NVRTC on the
 * calling engine thread (so compiles of several slots overlap GPU work), then hands the cubin
 * to the evo-worker process of a device (one per device, used under a mutex; the process and
 * its watchdog are worker_link.c). A worker that hangs is killed (TIMEOUT), one that dies or
 * reports an unusable context is reaped (RUNTIME_ERROR) and replaced on the next evaluation.
 * The CUDA runtime never enters this process: only NVRTC and pipes. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errbuf.h"
#include "gpu_evaluator.h"
#include "ipc.h"
#include "nvrtc.h"
#include "plan.h"
#include "result.h"
#include "section.h"
#include "source_policy.h"
#include "trace_baseline.h"
#include "worker_link.h"

#define INIT_TIMEOUT_S 300.0

struct gpu_evaluator {
    evo_task *task;
    int nsel;
    int *sel; /* indices of the evaluated workloads */
    char task_dir[1024], dataset[1024], definition[TASK_NAME];
    int blob_fallback;
    int trials, warmup, iterations, input_sets;
    uint64_t seed;
    double timeout_s, floor_slack;
    size_t max_source_bytes;
    int fresh_pool; /* draw new pool seeds and keep none (evo validate) */
    char cache_dir[1024];
    char arch_cfg[32];
    int ndev;
    gpu_device *devs;
    int started;
    char device_name[256], arch[32];
    int64_t sms, l2_bytes, smem_optin;
    double ceiling_gbps, ceiling_tflops;
    char *description;
    char *facts;            /* JSON, built at start */
    char start_error[2048]; /* why the last start failed, "" if it did not */
    int compile_reported;   /* the first NVRTC compile was reported as a setup step */
    pthread_mutex_t base_lock;
    double *base_us;            /* baseline latency per task workload, 0 = not measured yet */
    task_trace_baseline *trace; /* a FlashInfer-Bench trace's latencies, or NULL */
    int trace_allow_other;      /* accept a trace from another GPU */
    char *trace_note;           /* what the trace covers, for the report (facts) */
    evo_engine *engine;         /* the run, which keeps compiled cubins too (from start) */
};

static int find_workload(const evo_task *t, const char *name)
{
    for (int i = 0; i < t->nworkloads; i++)
        if (strcmp(t->workloads[i].label, name) == 0 || strcmp(t->workloads[i].uuid, name) == 0)
            return i;
    return -1;
}

/* Labels/uuids from evaluator.workloads, else all; then at most max_workloads, spread
 * evenly over the list so small and large shapes both stay. */
static int select_workloads(gpu_evaluator *g, const json_t *sec, char *err, size_t errlen)
{
    const evo_task *t = g->task;
    json_t *names = sec_get(sec, "workloads");
    size_t nn = json_is_array(names) ? json_array_size(names) : 0;
    int *all = calloc((size_t)t->nworkloads + nn + 1, sizeof *all);
    if (!all) return errbuf_set(err, errlen, EVO_ENOMEM, "out of memory");
    int n = 0;
    for (size_t i = 0; i < nn; i++) {
        const char *s = json_string_value(json_array_get(names, i));
        int wi = s ? find_workload(t, s) : -1;
        if (wi < 0) {
            free(all);
            return errbuf_set(err, errlen, EVO_ECONFIG,
                              "evaluator.workloads[%zu]: task '%s' has no workload labelled or "
                              "with uuid '%s' (labels look like '%s')",
                              i, t->def.name, s ? s : "?",
                              t->nworkloads ? t->workloads[0].label : "none");
        }
        all[n++] = wi;
    }
    if (nn == 0)
        for (int i = 0; i < t->nworkloads; i++)
            all[n++] = i;
    if (n == 0) {
        free(all);
        return errbuf_set(err, errlen, EVO_ECONFIG, "task '%s' has no workloads", t->def.name);
    }
    int max = (int)sec_int(sec, "max_workloads");
    if (max > 0 && max < n) {
        int *pick = calloc((size_t)max, sizeof *pick);
        if (!pick) {
            free(all);
            return errbuf_set(err, errlen, EVO_ENOMEM, "out of memory");
        }
        for (int i = 0; i < max; i++)
            pick[i] = all[max == 1 ? 0 : (int)((int64_t)i * (n - 1) / (max - 1))];
        free(all);
        all = pick;
        n = max;
    }
    g->sel = all;
    g->nsel = n;
    return EVO_OK;
}

static void default_cache_dir(char *out, size_t n)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(out, n, "%s/evo", xdg);
    else if (home && *home)
        snprintf(out, n, "%s/.cache/evo", home);
    else
        out[0] = 0;
}

static int load_task(gpu_evaluator *g, const json_t *sec, const char *base, char *err,
                     size_t errlen)
{
    const char *dataset = sec_string(sec, "dataset");
    if (*dataset) {
        const char *def = sec_string(sec, "definition");
        if (!*def)
            return errbuf_set(err, errlen, EVO_ECONFIG,
                              "evaluator.definition: required when evaluator.dataset is set");
        char *root = sec_path(base, dataset);
        snprintf(g->dataset, sizeof g->dataset, "%s", root ? root : dataset);
        free(root);
        snprintf(g->definition, sizeof g->definition, "%s", def);
        /* The seeds come from a task folder for the same definition: evaluator.task when it
         * is one, else a shipped one; without one the task has no seeds (evo_engine_configure
         * says so; evo validate and export need none). */
        char *dir = sec_path(base, sec_string(sec, "task"));
        if (task_seed_folder(dir, def, g->task_dir, sizeof g->task_dir) != 0) g->task_dir[0] = 0;
        free(dir);
    } else {
        const char *task = sec_string(sec, "task");
        char *dir = sec_path(base, task);
        snprintf(g->task_dir, sizeof g->task_dir, "%s", dir ? dir : task);
        free(dir);
    }
    char terr[2048] = "";
    if (task_open(g->task_dir, g->dataset, g->definition, g->blob_fallback, &g->task, terr,
                  sizeof terr) != 0)
        return errbuf_set(err, errlen, EVO_ECONFIG, "evaluator: %s", terr);
    return EVO_OK;
}

/* What workload wi's figures are against: the trace's label where it has a record, else the
 * task's own baseline kind ("kernel", "cublas", "none"). */
static const char *baseline_of(const gpu_evaluator *g, int wi)
{
    if (g->trace && wi >= 0 && wi < g->trace->nworkloads && g->trace->us[wi] > 0)
        return g->trace->label;
    return g->task->baseline_kind;
}

const char *gpu_evaluator_baseline(const gpu_evaluator *g, int wi)
{
    return baseline_of(g, wi);
}

/* A FlashInfer-Bench trace as the baseline (evaluator.baseline in the config, else the task's
 * "trace" baseline): its latencies stand in for the timed baseline of the workloads it covers
 * (they go to the worker as baselines already measured, so it never times those); the rest
 * fall back to the task's baseline (listed once, in the facts the end-of-run report prints),
 * and without one the run is refused. The device is checked at start, once the worker has
 * named the GPU. */
static int load_trace(gpu_evaluator *g, const json_t *sec, const char *base, char *err,
                      size_t errlen)
{
    const evo_task *t = g->task;
    const char *kind = sec_string(sec, "baseline.kind");
    char *path = NULL;
    const char *solution = t->trace_solution;
    g->trace_allow_other = t->trace_allow_other_device;
    if (!strcmp(kind, "trace")) {
        const char *p = sec_string(sec, "baseline.path");
        if (!*p)
            return errbuf_set(err, errlen, EVO_ECONFIG,
                              "evaluator.baseline.path: required when evaluator.baseline.kind is "
                              "\"trace\" (a FlashInfer-Bench trace file, .jsonl)");
        path = sec_path(base, p);
        solution = sec_string(sec, "baseline.solution");
        g->trace_allow_other = sec_bool(sec, "baseline.allow_other_device");
    } else if (t->trace_path) {
        path = strdup(t->trace_path);
    } else {
        return EVO_OK;
    }
    if (!path) return errbuf_set(err, errlen, EVO_ENOMEM, "out of memory");
    char why[2048];
    int rc = task_trace_baseline_load(path, t, solution, &g->trace, why, sizeof why);
    free(path);
    if (rc) return errbuf_set(err, errlen, EVO_ECONFIG, "evaluator.baseline: %s", why);
    /* The selected workloads the trace leaves to the task's own baseline, listed once. */
    char list[1024] = "";
    size_t used = 0;
    int missing = 0;
    for (int i = 0; i < g->nsel; i++) {
        int wi = g->sel[i];
        if (g->trace->us[wi] > 0) {
            g->base_us[wi] = g->trace->us[wi];
            continue;
        }
        if (used < sizeof list - 64)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", missing ? ", " : "",
                                     t->workloads[wi].label);
        else if (!strstr(list, ", ..."))
            used += (size_t)snprintf(list + used, sizeof list - used, ", ...");
        missing++;
    }
    if (missing && !strcmp(t->baseline_kind, "none"))
        return errbuf_set(err, errlen, EVO_ECONFIG,
                          "evaluator.baseline: %s has no PASSED record of %s for %d of the %d "
                          "workloads (%s), and task %s has no baseline of its own to time them "
                          "against (give the trace baseline a fallback, or select only covered "
                          "workloads with evaluator.workloads)",
                          g->trace->path, g->trace->solution, missing, g->nsel, list, t->def.name);
    json_t *note = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:i,s:s,s:s,s:b}", "kind", "trace", "label", g->trace->label,
        "path", g->trace->path, "hardware", g->trace->hardware, "timestamp", g->trace->timestamp,
        "covered", g->nsel - missing, "workloads", g->nsel, "fallback_count", missing, "fallback",
        t->baseline_kind, "fallback_workloads", list, "allow_other_device", g->trace_allow_other);
    g->trace_note = note ? json_dumps(note, JSON_COMPACT) : NULL;
    json_decref(note);
    return EVO_OK;
}

int gpu_evaluator_new(const json_t *sec, const char *base, uint64_t seed, gpu_evaluator **out,
                      char *err, size_t errlen)
{
    *out = NULL;
    gpu_evaluator *g = calloc(1, sizeof *g);
    if (!g) return errbuf_set(err, errlen, EVO_ENOMEM, "out of memory");
    const char *blob = sec_string(sec, "blob_policy");
    g->blob_fallback = blob && strcmp(blob, "random") == 0;
    g->trials = (int)sec_int(sec, "trials");
    g->warmup = (int)sec_int(sec, "warmup");
    g->iterations = (int)sec_int(sec, "iterations");
    g->input_sets = (int)sec_int(sec, "input_sets");
    g->timeout_s = sec_double(sec, "timeout_s");
    g->max_source_bytes = (size_t)sec_int(sec, "max_source_bytes");
    g->floor_slack = sec_double(sec, "floor_slack");
    g->fresh_pool = sec_bool(sec, "fresh_pool");
    g->seed = seed;
    snprintf(g->arch_cfg, sizeof g->arch_cfg, "%s", sec_string(sec, "arch"));
    const char *cache = sec_string(sec, "cache_dir");
    if (cache && *cache) {
        char *c = sec_path(base, cache);
        snprintf(g->cache_dir, sizeof g->cache_dir, "%s", c ? c : cache);
        free(c);
    } else {
        default_cache_dir(g->cache_dir, sizeof g->cache_dir);
    }
    pthread_mutex_init(&g->base_lock, NULL);
    int rc = load_task(g, sec, base, err, errlen);
    char why[2048];
    if (rc == EVO_OK &&
        gpu_check_baseline(g->task, g->arch_cfg[0] ? g->arch_cfg : "sm_90a", 0, why, sizeof why))
        rc = errbuf_set(err, errlen, EVO_ECONFIG, "evaluator: %s", why);
    if (rc == EVO_OK) rc = select_workloads(g, sec, err, errlen);
    if (rc == EVO_OK && !(g->base_us = calloc((size_t)g->task->nworkloads + 1, sizeof *g->base_us)))
        rc = errbuf_set(err, errlen, EVO_ENOMEM, "out of memory");
    if (rc == EVO_OK) rc = load_trace(g, sec, base, err, errlen);
    json_t *devs = sec_get(sec, "devices");
    g->ndev = json_is_array(devs) && json_array_size(devs) > 0 ? (int)json_array_size(devs) : 1;
    g->devs = calloc((size_t)g->ndev, sizeof *g->devs);
    if (rc == EVO_OK && !g->devs) rc = errbuf_set(err, errlen, EVO_ENOMEM, "out of memory");
    for (int i = 0; g->devs && i < g->ndev; i++) {
        json_t *d = json_array_get(devs, (size_t)i);
        g->devs[i].index = d ? (int)json_integer_value(d) : 0;
        g->devs[i].child.pid = -1;
        g->devs[i].child.to_child = g->devs[i].child.from_child = g->devs[i].child.err_fd = -1;
        pthread_mutex_init(&g->devs[i].lock, NULL);
    }
    snprintf(g->arch, sizeof g->arch, "%s", g->arch_cfg[0] ? g->arch_cfg : "sm_90a");
    snprintf(g->device_name, sizeof g->device_name, "(not started)");
    if (rc != EVO_OK) {
        gpu_evaluator_free(g);
        return rc;
    }
    *out = g;
    return EVO_OK;
}

void gpu_evaluator_free(gpu_evaluator *g)
{
    if (!g) return;
    for (int i = 0; g->devs && i < g->ndev; i++) {
        link_stop(&g->devs[i]);
        pthread_mutex_destroy(&g->devs[i].lock);
    }
    free(g->devs);
    free(g->sel);
    free(g->description);
    free(g->facts);
    free(g->base_us);
    task_trace_baseline_free(g->trace);
    free(g->trace_note);
    pthread_mutex_destroy(&g->base_lock);
    if (g->task) task_free(g->task);
    free(g);
}

const evo_task *gpu_evaluator_task(const gpu_evaluator *g)
{
    return g->task;
}
const char *gpu_evaluator_device_name(const gpu_evaluator *g)
{
    return g->device_name;
}
const char *gpu_evaluator_arch(const gpu_evaluator *g)
{
    return g->arch;
}
double gpu_evaluator_ceiling_gbps(const gpu_evaluator *g)
{
    return g->ceiling_gbps;
}
double gpu_evaluator_ceiling_tflops(const gpu_evaluator *g)
{
    return g->ceiling_tflops;
}
const char *gpu_evaluator_start_error(const gpu_evaluator *g)
{
    return g->start_error;
}

static json_t *init_request(const gpu_evaluator *g, const gpu_device *d, int ceilings)
{
    json_t *r = json_pack("{s:s,s:i,s:i,s:i,s:i,s:i,s:I,s:s,s:b}", "op", "init", "device", d->index,
                          "trials", g->trials, "warmup", g->warmup, "iterations", g->iterations,
                          "input_sets", g->input_sets, "seed",
                          (json_int_t)(g->seed & 0x7fffffffffffffffull), "cache_dir", g->cache_dir,
                          "ceilings", ceilings);
    if (g->dataset[0]) {
        json_object_set_new(r, "dataset", json_string(g->dataset));
        json_object_set_new(r, "definition", json_string(g->definition));
        json_object_set_new(r, "blob_fallback", json_boolean(g->blob_fallback));
    }
    if (g->task_dir[0]) json_object_set_new(r, "task_dir", json_string(g->task_dir));
    /* A replacement worker reuses the baselines already measured, so speedups stay
     * comparable across restarts and a crash costs no re-measurement. */
    json_t *known = json_array();
    pthread_mutex_lock((pthread_mutex_t *)&g->base_lock);
    for (int i = 0; g->base_us && i < g->task->nworkloads; i++)
        if (g->base_us[i] > 0) json_array_append_new(known, json_pack("[i,f]", i, g->base_us[i]));
    pthread_mutex_unlock((pthread_mutex_t *)&g->base_lock);
    json_object_set_new(r, "baselines", known);
    json_object_set_new(r, "timeout_s", json_real(g->timeout_s));
    json_object_set_new(r, "floor_slack", json_real(g->floor_slack));
    json_object_set_new(r, "fresh_pool", json_boolean(g->fresh_pool));
    json_object_set_new(r, "ceiling_gbps", json_real(g->ceiling_gbps));
    json_object_set_new(r, "ceiling_tflops", json_real(g->ceiling_tflops));
    return r;
}

static void take_facts(gpu_evaluator *g, json_t *reply)
{
    json_t *dev = json_object_get(reply, "device");
    const char *name = json_string_value(json_object_get(dev, "name"));
    const char *cc = json_string_value(json_object_get(dev, "cc"));
    if (name) snprintf(g->device_name, sizeof g->device_name, "%s", name);
    int major = 0, minor = 0;
    if (cc && sscanf(cc, "%d.%d", &major, &minor) == 2 && !g->arch_cfg[0])
        snprintf(g->arch, sizeof g->arch, "%s", arch_for_device(major, minor));
    g->sms = json_integer_value(json_object_get(dev, "sms"));
    g->l2_bytes = json_integer_value(json_object_get(dev, "l2_bytes"));
    g->smem_optin = json_integer_value(json_object_get(dev, "smem_optin"));
    g->ceiling_gbps = json_number_value(json_object_get(reply, "ceiling_gbps"));
    g->ceiling_tflops = json_number_value(json_object_get(reply, "ceiling_tflops"));
}

/* Start d's worker and initialise it (link_start). Called with d->lock held (or before any
 * evaluation). */
static int device_start(gpu_evaluator *g, gpu_device *d, int ceilings, json_t **facts, char *msg,
                        size_t n)
{
    json_t *req = init_request(g, d, ceilings);
    int rc = req ? link_start(d, req, INIT_TIMEOUT_S + g->timeout_s, facts, msg, n)
                 : errbuf_set(msg, n, EVO_ENOMEM, "out of memory");
    json_decref(req);
    return rc;
}

static const char PLAN_FORMAT[] =
    "Launch plan: each candidate source carries a comment block beginning `evo:launch` that "
    "lists, in order, the extern \"C\" __global__ kernels to run: `kernel NAME`, then `grid` "
    "(1-3 expressions), `block` (1-3), optional `smem` (dynamic bytes) and `args` (definition "
    "tensors as device pointers, workspaces, axis names as int or i64(NAME), scalar inputs "
    "by value, integer literals). `workspace NAME DTYPE COUNT` declares scratch memory. "
    "`when EXPR` in a kernel's block launches it only for workloads where EXPR is nonzero "
    "(dispatch on shape: e.g. one kernel `when num_seqs <= 2`, another `when num_seqs > 2`). "
    "Expressions may use axes, parameters and SM_COUNT, SMEM_OPTIN, L2_BYTES, WARP_SIZE, "
    "with min, max, ceil_div, align_up. Parameters arrive as -D macros (evo:params block).\n";

static void build_description(gpu_evaluator *g)
{
    char *task = task_describe(g->task);
    char dev[1024];
    if (g->started)
        snprintf(dev, sizeof dev,
                 "Target device: %s (%s, %lld SMs, L2 %lld KiB, shared memory opt-in %lld "
                 "bytes per block); measured ceilings: copy %.0f GB/s%s",
                 g->device_name, g->arch, (long long)g->sms, (long long)(g->l2_bytes / 1024),
                 (long long)g->smem_optin, g->ceiling_gbps, g->ceiling_tflops > 0 ? "" : ".\n");
    else
        snprintf(dev, sizeof dev, "Target architecture: %s.\n", g->arch);
    char flops[128] = "";
    if (g->started && g->ceiling_tflops > 0)
        snprintf(flops, sizeof flops, ", cuBLAS %.0f TFLOP/s.\n", g->ceiling_tflops);
    size_t n = (task ? strlen(task) : 0) + strlen(dev) + strlen(flops) + sizeof PLAN_FORMAT + 8;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s\n%s%s%s", task ? task : "", dev, flops, PLAN_FORMAT);
    free(task);
    free(g->description);
    g->description = s;
}

/* A worker's setup progress (the ceilings, references and baseline timing), to the engine. */
static void device_progress(void *user, const char *step, int64_t done, int64_t total)
{
    gpu_evaluator *g = user;
    evo_engine_report_setup(g->engine, step, done, total);
}

static int ev_start(void *user, evo_engine *e, int concurrency)
{
    gpu_evaluator *g = user;
    (void)concurrency;
    g->engine = e;
    for (int i = 0; i < g->ndev; i++) {
        g->devs[i].on_progress = device_progress;
        g->devs[i].progress_user = g;
    }
    char msg[2048];
    for (int i = 0; i < g->ndev; i++) {
        json_t *facts = NULL;
        int rc = device_start(g, &g->devs[i], i == 0, i == 0 ? &facts : NULL, msg, sizeof msg);
        if (rc != EVO_OK) {
            snprintf(g->start_error, sizeof g->start_error, "%s", msg);
            if (e) evo_engine_set_error(e, "%s", msg);
            return rc;
        }
        if (facts) {
            take_facts(g, facts);
            json_decref(facts);
        }
    }
    if (g->trace) {
        char why[2048];
        if (task_trace_device_check(g->trace, g->device_name, g->trace_allow_other, why,
                                    sizeof why)) {
            if (e) evo_engine_set_error(e, "evaluator.baseline: %s", why);
            return EVO_ECONFIG;
        }
    }
    g->started = 1;
    free(g->facts);
    g->facts = NULL;
    if (e) { /* NULL: a test or tool driving the evaluator without an engine */
        evo_engine_set_constant(e, "SMEM_OPTIN", g->smem_optin);
        evo_engine_set_constant(e, "SMEM_LIMIT", g->smem_optin);
        evo_engine_set_constant(e, "SM_COUNT", g->sms);
        evo_engine_set_constant(e, "L2_BYTES", g->l2_bytes);
    }
    build_description(g);
    return EVO_OK;
}

static void ev_stop(void *user)
{
    gpu_evaluator *g = user;
    for (int i = 0; i < g->ndev; i++) {
        pthread_mutex_lock(&g->devs[i].lock);
        link_stop(&g->devs[i]);
        pthread_mutex_unlock(&g->devs[i].lock);
    }
}

static const char *ev_facts(void *user)
{
    gpu_evaluator *g = user;
    if (!g->facts) {
        json_t *f =
            json_pack("{s:s,s:s,s:s,s:I,s:f,s:f,s:s}", "evaluator", "gpu", "device", g->device_name,
                      "arch", g->arch, "sms", (json_int_t)g->sms, "ceiling_gbps", g->ceiling_gbps,
                      "ceiling_tflops", g->ceiling_tflops, "task", g->task->def.name);
        json_t *b = g->trace_note ? json_loads(g->trace_note, 0, NULL)
                                  : json_pack("{s:s}", "kind", g->task->baseline_kind);
        if (b && g->trace)
            json_object_set_new(
                b, "other_device",
                json_boolean(task_trace_device_check(g->trace, g->device_name, 0, NULL, 0) != 0));
        if (f && b) json_object_set_new(f, "baseline", b);
        g->facts = f ? json_dumps(f, JSON_COMPACT) : NULL;
        json_decref(f);
    }
    return g->facts ? g->facts : "{}";
}

static const char *ev_describe(void *user)
{
    gpu_evaluator *g = user;
    if (!g->description) build_description(g);
    return g->description ? g->description : "";
}

static json_t *eval_request(const gpu_evaluator *g, const evo_genome *gen)
{
    json_t *params = json_object();
    for (int i = 0; i < evo_genome_param_count(gen); i++)
        json_object_set_new(params, evo_genome_param_name(gen, i),
                            json_string(evo_genome_param_value(gen, i)));
    json_t *wl = json_array();
    for (int i = 0; i < g->nsel; i++)
        json_array_append_new(wl, json_integer(g->sel[i]));
    return json_pack("{s:s,s:s,s:o,s:o}", "op", "eval", "source", evo_genome_source(gen), "params",
                     params, "workloads", wl);
}

/* Copy the worker's verdict into the result. Returns EVO_OK, or EVO_ECUDA for a harness
 * failure (the baseline broke) that must stop the run. */
static int take_verdict(gpu_evaluator *g, json_t *reply, evo_result *out)
{
    const char *status = json_string_value(json_object_get(reply, "status"));
    int s = status ? evo_status_from_name(status) : -1;
    const char *error = json_string_value(json_object_get(reply, "error"));
    if (json_is_true(json_object_get(reply, "fatal"))) {
        evo_result_set_status(out, EVO_STATUS_RUNTIME_ERROR);
        evo_result_set_error(out, "%s", error ? error : "the evaluator failed");
        return EVO_ECUDA;
    }
    if (s < 0) {
        evo_result_set_status(out, EVO_STATUS_RUNTIME_ERROR);
        evo_result_set_error(out, "the worker sent a bad verdict (status %s)",
                             status ? status : "missing");
        return EVO_OK;
    }
    evo_result_set_status(out, (evo_status)s);
    if (error && *error) evo_result_set_error(out, "%s", error);
    if (s == EVO_STATUS_PASSED)
        evo_result_set_fitness(out, json_number_value(json_object_get(reply, "fitness")));
    /* The mean alone can be carried by one near-zero workload: keep its companions. */
    static const char *const whole[] = {"speedup_geomean", "speedup_min", "won_share", NULL};
    for (int i = 0; whole[i]; i++) {
        json_t *v = json_object_get(reply, whole[i]);
        if (json_is_number(v)) evo_result_add_metric(out, NULL, whole[i], json_number_value(v));
    }
    const char *label;
    json_t *fig;
    json_object_foreach(json_object_get(reply, "workloads"), label, fig)
    {
        const char *key;
        json_t *v;
        double base = json_number_value(json_object_get(fig, "baseline_us"));
        int wi = find_workload(g->task, label);
        if (base > 0 && wi >= 0) {
            pthread_mutex_lock(&g->base_lock);
            g->base_us[wi] = base;
            pthread_mutex_unlock(&g->base_lock);
        }
        if (wi >= 0) evo_result_add_text(out, label, "baseline", baseline_of(g, wi));
        json_object_foreach(fig, key, v)
        {
            if (json_is_number(v))
                evo_result_add_metric(out, label, key, json_number_value(v));
            else if (json_is_string(v) && strcmp(key, "status") == 0)
                evo_result_add_metric(out, label, key, evo_status_from_name(json_string_value(v)));
        }
    }
    return EVO_OK;
}

/* Send req (+ payload) to the device's worker, restarting it first if it died; d->lock is
 * held. EVO_OK with *reply set, or EVO_OK with out's status set (the worker hung or died: it
 * is replaced next time), or another code when no worker could be started. */
static int device_ask(gpu_evaluator *g, gpu_device *d, json_t *req, const void *payload, size_t n,
                      json_t **reply, evo_result *out)
{
    *reply = NULL;
    if (!d->alive) {
        char msg[2048];
        int rc = device_start(g, d, 0, NULL, msg, sizeof msg);
        if (rc != EVO_OK) {
            evo_result_set_status(out, EVO_STATUS_RUNTIME_ERROR);
            evo_result_set_error(out, "cannot restart the worker: %s", msg);
            return rc;
        }
    }
    return link_ask(d, req, payload, n, g->timeout_s, reply, out);
}

static int run_on_device(gpu_evaluator *g, gpu_device *d, const evo_genome *gen,
                         const nvrtc_output *o, evo_result *out)
{
    json_t *req = eval_request(g, gen), *reply = NULL;
    int rc = device_ask(g, d, req, o->cubin, o->size, &reply, out);
    json_decref(req);
    if (rc != EVO_OK || !reply) return rc;
    rc = take_verdict(g, reply, out);
    json_decref(reply);
    return rc;
}

/* The source and its parameters pass the source policy before anything compiles or loads
 * them (a cubin kept in the run was compiled from a source that passed). */
static int policy_refuses(const gpu_evaluator *g, const evo_genome *gen, evo_result *out)
{
    char why[512];
    int bad = source_policy_check(evo_genome_source(gen), g->max_source_bytes, why, sizeof why);
    for (int i = 0; !bad && i < evo_genome_param_count(gen); i++)
        bad = source_policy_param(evo_genome_param_name(gen, i), evo_genome_param_value(gen, i),
                                  why, sizeof why);
    if (!bad) return 0;
    evo_result_set_status(out, EVO_STATUS_COMPILE_ERROR);
    evo_result_set_error(out, "%s", why);
    return 1;
}

/* The cubin of a genome (from the run's blobs, the cache, or NVRTC), its source policy and
 * launch plan checked first. Returns EVO_OK with o->cubin set; EVO_OK with o->cubin NULL when the candidate
 * failed to build (status and error in out); another code for a harness failure. */
static int build(gpu_evaluator *g, const evo_genome *gen, nvrtc_output *o, evo_result *out)
{
    memset(o, 0, sizeof *o);
    if (policy_refuses(g, gen, out)) return EVO_OK;
    /* A candidate whose launch plan does not parse is refused before it costs a compile. */
    char err[1024] = "";
    evo_plan *plan = plan_parse(evo_genome_source(gen), g->task, err, sizeof err);
    if (!plan) {
        evo_result_set_status(out, EVO_STATUS_COMPILE_ERROR);
        evo_result_set_error(out, "%s", err);
        return EVO_OK;
    }
    plan_free(plan);
    int nopts = 0;
    int np = evo_genome_param_count(gen);
    const char *names[np + 1], *values[np + 1];
    for (int i = 0; i < np; i++) {
        names[i] = evo_genome_param_name(gen, i);
        values[i] = evo_genome_param_value(gen, i);
    }
    char **opts = task_compile_options(g->task, np, names, values, &nopts);
    if (!opts) {
        evo_result_set_error(out, "out of memory");
        return EVO_ENOMEM;
    }
    char name[TASK_NAME + 8];
    snprintf(name, sizeof name, "%s.cu", evo_genome_template(gen));
    /* Cubins live in the shared cache directory and in the run itself, so a run keeps its
     * compiled code even when the cache is wiped or the run directory moves. */
    char key[65], blob_key[80];
    nvrtc_cache_key(evo_genome_source(gen), g->arch, (const char *const *)opts, nopts, key);
    snprintf(blob_key, sizeof blob_key, "cubin/%s", key);
    int rc = EVO_OK;
    o->cubin = g->engine ? evo_engine_load_blob(g->engine, blob_key, &o->size) : NULL;
    if (o->cubin) {
        o->cache_hit = 1;
        o->log = strdup("");
    } else {
        /* The first compile takes NVRTC's start-up too: a setup step of its own. */
        int first = !__atomic_exchange_n(&g->compile_reported, 1, __ATOMIC_SEQ_CST);
        if (first) evo_engine_report_setup(g->engine, "compile", 0, 1);
        rc = nvrtc_compile(evo_genome_source(gen), name, g->arch, (const char *const *)opts, nopts,
                           g->cache_dir[0] ? g->cache_dir : NULL, g->max_source_bytes, o);
        if (first) evo_engine_report_setup(g->engine, "compile", 1, 1);
        if (rc == EVO_OK && g->engine) evo_engine_save_blob(g->engine, blob_key, o->cubin, o->size);
    }
    task_options_free(opts, nopts);
    evo_result_add_metric(out, NULL, "compile_ms", o->ms);
    if (o->log && *o->log) evo_result_add_artifact(out, "compile_log", o->log);
    if (rc == EVO_ECOMPILE) {
        evo_result_set_status(out, EVO_STATUS_COMPILE_ERROR);
        evo_result_set_error(out, "%s", o->log && *o->log ? o->log : "NVRTC failed with no log");
        nvrtc_output_free(o);
        return EVO_OK;
    }
    if (rc != EVO_OK) {
        evo_result_set_error(out, "NVRTC: %s", o->log ? o->log : evo_strerror(rc));
        nvrtc_output_free(o);
        return rc;
    }
    return EVO_OK;
}

static int ev_evaluate(void *user, int slot, const evo_genome *gen, evo_result *out)
{
    gpu_evaluator *g = user;
    nvrtc_output o;
    int rc = build(g, gen, &o, out);
    if (rc != EVO_OK || !o.cubin) return rc;
    gpu_device *d = &g->devs[(slot < 0 ? 0 : slot) % g->ndev];
    pthread_mutex_lock(&d->lock);
    rc = run_on_device(g, d, gen, &o, out);
    pthread_mutex_unlock(&d->lock);
    nvrtc_output_free(&o);
    return rc;
}

static json_t *program_spec(const evo_genome *gen, size_t bytes)
{
    json_t *params = json_object();
    for (int i = 0; i < evo_genome_param_count(gen); i++)
        json_object_set_new(params, evo_genome_param_name(gen, i),
                            json_string(evo_genome_param_value(gen, i)));
    return json_pack("{s:s,s:o,s:I}", "source", evo_genome_source(gen), "params", params, "bytes",
                     (json_int_t)bytes);
}

/* The winner's curse: child and incumbent, interleaved, on the same device worker. */
static int ev_confirm(void *user, int slot, const evo_genome *child, const evo_genome *inc,
                      int rounds, double *child_fit, double *inc_fit, evo_result *out)
{
    gpu_evaluator *g = user;
    nvrtc_output a, b;
    evo_result *scratch = result_new();
    int rc = build(g, child, &a, out);
    if (rc == EVO_OK && a.cubin)
        rc = build(g, inc, &b, scratch);
    else
        memset(&b, 0, sizeof b);
    if (rc != EVO_OK || !a.cubin || !b.cubin) {
        /* An incumbent that no longer builds (a changed toolkit) cannot be compared against:
         * zero rounds leave the child unconfirmed, so it cannot displace the incumbent. */
        for (int i = 0; i < rounds; i++)
            child_fit[i] = inc_fit[i] = 0;
        nvrtc_output_free(&a);
        nvrtc_output_free(&b);
        result_free(scratch);
        return rc;
    }
    result_free(scratch);
    unsigned char *payload = malloc(a.size + b.size);
    if (!payload) {
        nvrtc_output_free(&a);
        nvrtc_output_free(&b);
        evo_result_set_error(out, "out of memory");
        return EVO_ENOMEM;
    }
    memcpy(payload, a.cubin, a.size);
    memcpy(payload + a.size, b.cubin, b.size);
    json_t *wl = json_array();
    for (int i = 0; i < g->nsel; i++)
        json_array_append_new(wl, json_integer(g->sel[i]));
    json_t *req =
        json_pack("{s:s,s:o,s:o,s:o,s:i}", "op", "confirm", "a", program_spec(child, a.size), "b",
                  program_spec(inc, b.size), "workloads", wl, "rounds", rounds);
    gpu_device *d = &g->devs[(slot < 0 ? 0 : slot) % g->ndev];
    pthread_mutex_lock(&d->lock);
    json_t *reply = NULL;
    rc = device_ask(g, d, req, payload, a.size + b.size, &reply, out);
    pthread_mutex_unlock(&d->lock);
    json_decref(req);
    free(payload);
    nvrtc_output_free(&a);
    nvrtc_output_free(&b);
    if (rc != EVO_OK || !reply) return rc;
    const char *status = json_string_value(json_object_get(reply, "status"));
    const char *error = json_string_value(json_object_get(reply, "error"));
    int s = status ? evo_status_from_name(status) : -1;
    if (json_is_true(json_object_get(reply, "fatal"))) {
        evo_result_set_error(out, "%s", error ? error : "the evaluator failed");
        json_decref(reply);
        return EVO_ECUDA;
    }
    if (s != EVO_STATUS_PASSED) {
        evo_result_set_status(out, s > 0 ? (evo_status)s : EVO_STATUS_RUNTIME_ERROR);
        evo_result_set_fitness(out, 0);
        evo_result_set_error(out, "re-timed against the incumbent: %s", error ? error : "failed");
    }
    json_t *fa = json_object_get(reply, "a"), *fb = json_object_get(reply, "b");
    for (int i = 0; i < rounds; i++) {
        child_fit[i] = json_number_value(json_array_get(fa, (size_t)i));
        inc_fit[i] = json_number_value(json_array_get(fb, (size_t)i));
    }
    json_decref(reply);
    return EVO_OK;
}

evo_evaluator gpu_evaluator_table(gpu_evaluator *g)
{
    evo_evaluator ev;
    memset(&ev, 0, sizeof ev);
    ev.name = "gpu";
    ev.user = g;
    ev.start = ev_start;
    ev.evaluate = ev_evaluate;
    ev.describe = ev_describe;
    ev.stop = ev_stop;
    ev.confirm = ev_confirm;
    ev.facts = ev_facts;
    return ev;
}
