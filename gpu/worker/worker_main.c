/* worker_main.c -- main of evo-worker, the harness process of one device. It answers the GPU
 * evaluator (ipc.h framing; fds from "--ipc IN OUT", else stdin and stdout): "init" with the
 * device's facts and measured ceilings, "eval" with a candidate's verdict and figures per
 * workload, "confirm" with interleaved rounds of a candidate against the incumbent. Candidate
 * code never runs here: it runs in evo-sandbox, which this process starts and replaces. */
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "sha256.h"
#include "worker.h"

static json_t *load_task(worker *w, json_t *req)
{
    char err[2048] = "";
    const char *dir = ipc_str(req, "task_dir"), *root = ipc_str(req, "dataset");
    const char *def = ipc_str(req, "definition");
    int fallback = json_is_true(json_object_get(req, "blob_fallback"));
    if (task_open(dir, root, def, fallback, &w->task, err, sizeof err) != 0)
        return ipc_refusal("init: cannot load the task: %s", err);
    /* The sandbox loads the same task the same way. */
    w->task_req = json_object();
    if (dir && *dir) json_object_set_new(w->task_req, "task_dir", json_string(dir));
    if (root && *root) {
        json_object_set_new(w->task_req, "dataset", json_string(root));
        json_object_set_new(w->task_req, "definition", json_string(def));
        json_object_set_new(w->task_req, "blob_fallback", json_boolean(fallback));
    }
    w->wl = calloc((size_t)w->task->nworkloads + 1, sizeof *w->wl);
    if (!w->wl) return ipc_refusal("init: out of memory");
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(req, "baselines"), i, b)
    {
        int wi = (int)json_integer_value(json_array_get(b, 0));
        double us = json_number_value(json_array_get(b, 1));
        if (wi < 0 || wi >= w->task->nworkloads || us <= 0) continue;
        w->wl[wi].baseline_done = 1;
        w->wl[wi].baseline_us = us;
    }
    return NULL;
}

static json_t *open_device(worker *w)
{
    int count = 0;
    cudaError_t rc = cudaGetDeviceCount(&count);
    if (rc != cudaSuccess) {
        char why[512];
        cw_no_device(rc, why, sizeof why);
        return ipc_refusal("no CUDA device found: %s", why);
    }
    if (count == 0) return ipc_refusal("no CUDA device found: %s", "no devices");
    if (w->device < 0 || w->device >= count)
        return ipc_refusal("device %d is not present (this machine has %d)", w->device, count);
    if ((rc = cudaSetDevice(w->device)) != cudaSuccess ||
        (rc = cudaStreamCreate(&w->stream)) != cudaSuccess)
        return ipc_refusal("no CUDA device found: %s: %s", cudaGetErrorName(rc),
                           cudaGetErrorString(rc));
    return NULL;
}

static json_t *handle_init(worker *w, json_t *req)
{
    if (w->task) return ipc_refusal("init: the worker is already initialised");
    w->device = ipc_int(req, "device", 0);
    w->trials = ipc_int(req, "trials", 3);
    w->warmup = ipc_int(req, "warmup", 10);
    w->iterations = ipc_int(req, "iterations", 50);
    w->pool = ipc_int(req, "input_sets", 0);
    w->fresh_pool = json_is_true(json_object_get(req, "fresh_pool"));
    w->timeout_s = json_number_value(json_object_get(req, "timeout_s"));
    w->floor_slack = json_number_value(json_object_get(req, "floor_slack"));
    /* FlashInfer-Bench checks 3 input draws per workload; fewer would weaken the gate. */
    if (w->trials < 3) w->trials = 3;
    if (w->iterations < 1) w->iterations = 1;
    if (w->warmup < 0) w->warmup = 0;
    if (w->pool <= 0) w->pool = 2 * w->trials;
    if (w->pool < w->trials) w->pool = w->trials;
    if (w->timeout_s <= 0) w->timeout_s = 60;
    if (w->floor_slack < 1) w->floor_slack = 1.3;
    const char *cache = ipc_str(req, "cache_dir");
    snprintf(w->cache_dir, sizeof w->cache_dir, "%s", cache ? cache : "");
    uint64_t seed[2] = {0, 0};
    if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed ||
        getrandom(&w->digest_key, 8, 0) != 8)
        return ipc_refusal("init: no randomness from getrandom");
    pcg32_seed(&w->rng, seed[0], seed[1]);
    json_t *bad = open_device(w);
    if (!bad) bad = load_task(w, req);
    if (bad) return bad;
    cw_error e = {.status = EVO_STATUS_PASSED};
    w->ceiling_gbps = json_number_value(json_object_get(req, "ceiling_gbps"));
    w->ceiling_tflops = json_number_value(json_object_get(req, "ceiling_tflops"));
    if (json_is_true(json_object_get(req, "ceilings"))) w->ceiling_gbps = w->ceiling_tflops = 0;
    /* The sandbox measures the ceilings as it starts when none are known yet. */
    int measuring = w->ceiling_gbps <= 0;
    if (measuring) hw_progress(w, "ceilings", 0, 1);
    if (hw_compare_init(w, &e) || hw_sandbox_ensure(w, &e)) return ipc_refusal("init: %s", e.msg);
    if (measuring) hw_progress(w, "ceilings", 1, 1);
    return json_pack("{s:b,s:O,s:f,s:f}", "ok", 1, "device", w->device_facts, "ceiling_gbps",
                     w->ceiling_gbps, "ceiling_tflops", w->ceiling_tflops);
}

static void put(json_t *o, const char *k, double v)
{
    json_object_set_new(o, k, json_real(v));
}

static json_t *verdict(evo_status s, const char *error)
{
    return json_pack("{s:s,s:s,s:o,s:f}", "status", evo_status_name(s), "error", error, "workloads",
                     json_object(), "fitness", 0.0);
}

static void cubin_hash(const void *cubin, size_t n, const char *params, char out[65])
{
    evo_sha256 h;
    uint8_t d[32];
    sha256_init(&h);
    sha256_update(&h, cubin, n);
    sha256_update(&h, params, strlen(params));
    sha256_final(&h, d);
    sha256_to_hex(d, out);
}

static int load(worker *w, int slot, json_t *spec, const void *cubin, size_t n, cw_error *e)
{
    const char *source = ipc_str(spec, "source");
    json_t *params = json_object_get(spec, "params");
    if (!source || !cubin || n == 0) {
        cw_fail(e, EVO_STATUS_COMPILE_ERROR, "no compiled code was sent");
        return -1;
    }
    char *ptext = json_dumps(params ? params : json_null(), JSON_SORT_KEYS | JSON_COMPACT);
    char hash[65];
    cubin_hash(cubin, n, ptext ? ptext : "", hash);
    free(ptext);
    return hw_sandbox_load(w, slot, hash, source, params, cubin, n, e);
}

/* Figures of one passed workload into j. */
static double figures(worker *w, int wi, const hw_figures *f, double base, json_t *j)
{
    const task_workload *wl = &w->task->workloads[wi];
    double us = f->latency_us, bytes = task_bytes(w->task, wl), flops = task_flops(w->task, wl);
    double gbps = us > 0 ? bytes / (us * 1e-6) / 1e9 : 0,
           tflops = us > 0 ? flops / (us * 1e-6) / 1e12 : 0;
    double speedup = us > 0 ? base / us : 0;
    put(j, "latency_us", us);
    put(j, "baseline_us", base);
    put(j, "speedup", speedup);
    put(j, "gbps", gbps);
    put(j, "tflops", tflops);
    put(j, "frac_bw", w->ceiling_gbps > 0 ? gbps / w->ceiling_gbps : 0);
    put(j, "frac_flops", w->ceiling_tflops > 0 ? tflops / w->ceiling_tflops : 0);
    put(j, "max_abs_err", f->max_abs);
    put(j, "max_rel_err", f->max_rel);
    if (w->task->row_max_error > 0 || w->task->row_min_ratio > 0) {
        put(j, "worst_row_error", f->worst_row_error);
        put(j, "worst_row_ratio", f->worst_row_ratio);
    }
    if (f->remeasured) put(j, "remeasured_alone", 1);
    return speedup;
}

static json_t *handle_eval(worker *w, json_t *req, const void *cubin, size_t n)
{
    double t0 = ipc_now_ms();
    if (!w->task) return verdict(EVO_STATUS_RUNTIME_ERROR, "eval before init");
    if (!ipc_str(req, "source")) return verdict(EVO_STATUS_RUNTIME_ERROR, "eval without a source");
    cw_error e = {.status = EVO_STATUS_PASSED};
    hw_busy(w, 1);
    json_t *out = verdict(EVO_STATUS_PASSED, "");
    json_t *wls = json_object_get(out, "workloads");
    double sum = 0, logsum = 0, minimum = 0;
    int count = 0, won = 0, fatal = 0;
    if (load(w, 0, req, cubin, n, &e) == 0) {
        size_t i;
        json_t *v;
        /* The first evaluation of a workload builds its references and times the baseline:
         * the long part of setup, reported as workloads done of those that need it. */
        int64_t setup = 0, setup_done = 0;
        json_array_foreach(json_object_get(req, "workloads"), i, v)
        {
            int wi = (int)json_integer_value(v);
            setup += wi >= 0 && wi < w->task->nworkloads &&
                     (!w->wl[wi].ready || !w->wl[wi].baseline_done);
        }
        if (setup) hw_progress(w, "references and baseline", 0, setup);
        json_array_foreach(json_object_get(req, "workloads"), i, v)
        {
            int wi = (int)json_integer_value(v);
            int needs_setup = wi >= 0 && wi < w->task->nworkloads &&
                              (!w->wl[wi].ready || !w->wl[wi].baseline_done);
            if (wi < 0 || wi >= w->task->nworkloads) {
                cw_fail(&e, EVO_STATUS_RUNTIME_ERROR, "eval: no workload %d", wi);
                fatal = 1;
                break;
            }
            json_t *j = json_object();
            json_object_set_new(wls, w->task->workloads[wi].label, j);
            hw_figures f;
            double base = 0;
            int rc = hw_eval_workload(w, wi, &f, &base, &e);
            if (needs_setup) hw_progress(w, "references and baseline", ++setup_done, setup);
            json_object_set_new(j, "status", json_string(evo_status_name(e.status)));
            if (rc == -2) fatal = 1;
            if (rc) break;
            double s = figures(w, wi, &f, base, j);
            sum += s;
            logsum += log(s > 0 ? s : 1e-30);
            minimum = count == 0 || s < minimum ? s : minimum;
            won += s > 1;
            count++;
        }
    }
    hw_busy(w, 0);
    int passed = e.status == EVO_STATUS_PASSED && count;
    json_object_set_new(out, "status", json_string(evo_status_name(e.status)));
    json_object_set_new(out, "error", json_string(e.msg));
    put(out, "fitness", passed ? sum / count : 0);
    if (passed) {
        put(out, "speedup_geomean", exp(logsum / count));
        put(out, "speedup_min", minimum);
        put(out, "won_share", (double)won / count);
    }
    put(out, "wall_ms", ipc_now_ms() - t0);
    if (fatal) json_object_set_new(out, "fatal", json_true());
    return out;
}

/* Interleaved rounds of the candidate (a) against the incumbent (b): the payload holds a's
 * cubin then b's, "a"/"b" their sources, parameters and byte counts. */
static json_t *handle_confirm(worker *w, json_t *req, const unsigned char *payload, size_t n)
{
    if (!w->task) return verdict(EVO_STATUS_RUNTIME_ERROR, "confirm before init");
    json_t *a = json_object_get(req, "a"), *b = json_object_get(req, "b");
    size_t na = (size_t)json_integer_value(json_object_get(a, "bytes"));
    size_t nb = (size_t)json_integer_value(json_object_get(b, "bytes"));
    cw_error e = {.status = EVO_STATUS_PASSED};
    json_t *out = verdict(EVO_STATUS_PASSED, "");
    json_t *fa = json_array(), *fb = json_array();
    json_t *list = json_object_get(req, "workloads");
    int nl = (int)json_array_size(list), rounds = ipc_int(req, "rounds", 3), fatal = 0;
    int *wl = calloc((size_t)nl + 1, sizeof *wl);
    if (!wl || na + nb != n) cw_fail(&e, EVO_STATUS_RUNTIME_ERROR, "confirm: bad request");
    for (int i = 0; wl && i < nl; i++) {
        wl[i] = (int)json_integer_value(json_array_get(list, (size_t)i));
        if (wl[i] < 0 || wl[i] >= w->task->nworkloads)
            cw_fail(&e, EVO_STATUS_RUNTIME_ERROR, "confirm: no workload %d", wl[i]);
    }
    hw_busy(w, 1);
    for (int r = 0; r < rounds && e.status == EVO_STATUS_PASSED; r++) {
        /* Loaded each round: a replaced sandbox has neither. */
        double x = 0, y = 0;
        if (load(w, 0, a, payload, na, &e) || load(w, 1, b, payload + na, nb, &e)) break;
        int rc = hw_confirm_round(w, wl, nl, &x, &y, &e);
        if (rc == -2) fatal = 1;
        if (rc) break;
        json_array_append_new(fa, json_real(x));
        json_array_append_new(fb, json_real(y));
    }
    hw_busy(w, 0);
    free(wl);
    json_object_set_new(out, "status", json_string(evo_status_name(e.status)));
    json_object_set_new(out, "error", json_string(e.msg));
    json_object_set_new(out, "a", fa);
    json_object_set_new(out, "b", fb);
    if (fatal) json_object_set_new(out, "fatal", json_true());
    return out;
}

static json_t *handle(void *user, const char *op, json_t *req, const void *payload, size_t n,
                      int *exit_now)
{
    worker *w = user;
    (void)exit_now; /* the worker's context never runs candidate code: it does not go bad */
    if (!strcmp(op, "init")) return handle_init(w, req);
    if (!strcmp(op, "eval")) return handle_eval(w, req, payload, n);
    if (!strcmp(op, "confirm")) return handle_confirm(w, req, payload, n);
    return ipc_refusal("unknown request op '%s'", op[0] ? op : "(none)");
}

static void worker_free(worker *w)
{
    hw_sandbox_stop(w, 1);
    hw_pool_free(w);
    hw_compare_free(w);
    json_decref(w->device_facts);
    json_decref(w->task_req);
    if (w->task) task_free(w->task);
}

int main(int argc, char **argv)
{
    int in, out;
    ipc_serve_fds(argc, argv, &in, &out);
    worker w;
    memset(&w, 0, sizeof w);
    w.reply_fd = out;
    w.sb.pid = -1;
    w.sb.to_child = w.sb.from_child = w.sb.err_fd = -1;
    pthread_mutex_init(&w.send_lock, NULL);
    int beating = hw_heartbeat_start(&w) == 0;
    int status = ipc_serve(in, out, &w.send_lock, "evo-worker", handle, &w);
    if (beating) hw_heartbeat_stop(&w);
    worker_free(&w);
    return status;
}
