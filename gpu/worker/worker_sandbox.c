/* worker_sandbox.c -- the harness's side of evo-sandbox: starting it (with the task, the
 * device and the ceilings, measured by the first sandbox and handed to every replacement),
 * mapping its ring of output slots through CUDA IPC, loading programs, running sequences
 * under a watchdog, and replacing it after a hang (TIMEOUT), a fault that spoiled its
 * context (RUNTIME_ERROR), or a candidate that wrote outside its buffers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker.h"

#define SB_INIT_TIMEOUT_S 300.0

static void unmap(worker *w)
{
    if (w->ring) cudaIpcCloseMemHandle(w->ring);
    w->ring = NULL;
    w->sb_alive = 0;
    w->loaded[0][0] = w->loaded[1][0] = 0;
}

void hw_sandbox_stop(worker *w, int polite)
{
    unmap(w);
    if (polite)
        ipc_child_quit(&w->sb);
    else
        ipc_child_kill(&w->sb, NULL, 0);
}

/* Kill or reap the sandbox and say how it ended: "signal 9", or its last stderr line. */
static void bury(worker *w, char *why, size_t n)
{
    unmap(w);
    ipc_child_end(&w->sb, "sandbox", w->sb_err, sizeof w->sb_err, why, n);
}

/* Wait for a reply that is not a tick; each tick restarts the clock. */
static int await(worker *w, double timeout_s, json_t **reply, char *err, size_t errlen)
{
    return ipc_child_await(&w->sb, timeout_s, reply, w->sb_err, sizeof w->sb_err, err, errlen);
}

static int map_ring(worker *w, json_t *ring, cw_error *e)
{
    const char *hex = json_string_value(json_object_get(ring, "handle"));
    cudaIpcMemHandle_t h;
    if (!hex || strlen(hex) != 2 * sizeof h) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "the sandbox sent no ring handle");
        return -1;
    }
    for (size_t i = 0; i < sizeof h; i++) {
        unsigned v = 0;
        sscanf(hex + 2 * i, "%2x", &v);
        ((unsigned char *)&h)[i] = (unsigned char)v;
    }
    void *p = NULL;
    if (cw_cuda_check(e, cudaIpcOpenMemHandle(&p, h, cudaIpcMemLazyEnablePeerAccess),
                      "mapping the sandbox's output ring"))
        return -1;
    w->ring = p;
    w->stride = (size_t)json_integer_value(json_object_get(ring, "stride"));
    w->max_runs = (int)json_integer_value(json_object_get(ring, "runs"));
    return 0;
}

int hw_sandbox_ensure(worker *w, cw_error *e)
{
    if (w->sb_alive) return 0;
    char path[4096], err[1024];
    if (ipc_program_path("evo-sandbox", "EVO_SANDBOX", path, sizeof path, err, sizeof err) ||
        ipc_spawn(path, &w->sb, err, sizeof err)) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "cannot start the sandbox: %s", err);
        return -1;
    }
    w->sb_alive = 1;
    w->sb_err[0] = 0;
    json_t *req = json_deep_copy(w->task_req);
    int runs = w->iterations + (3 * w->warmup + 1) / 2 + 1;
    json_object_set_new(req, "op", json_string("init"));
    json_object_set_new(req, "device", json_integer(w->device));
    json_object_set_new(req, "cache_dir", json_string(w->cache_dir));
    json_object_set_new(req, "max_runs", json_integer(runs < 30 ? 30 : runs));
    json_object_set_new(req, "ceilings", json_boolean(w->ceiling_gbps <= 0));
    json_object_set_new(req, "ceiling_gbps", json_real(w->ceiling_gbps));
    json_object_set_new(req, "ceiling_tflops", json_real(w->ceiling_tflops));
    int rc = ipc_send(w->sb.to_child, req, NULL, 0, err, sizeof err);
    json_decref(req);
    json_t *reply = NULL;
    if (rc == IPC_OK) rc = await(w, SB_INIT_TIMEOUT_S, &reply, err, sizeof err);
    if (rc != IPC_OK) {
        char why[1200];
        bury(w, why, sizeof why);
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "the sandbox did not start: %s (%s)",
                rc == IPC_TIMEOUT ? "no answer" : why, err);
        return -1;
    }
    if (!json_is_true(json_object_get(reply, "ok"))) {
        const char *why = json_string_value(json_object_get(reply, "error"));
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "%s", why ? why : "the sandbox refused init");
        json_decref(reply);
        bury(w, NULL, 0);
        return -1;
    }
    json_decref(w->device_facts);
    w->device_facts = json_incref(json_object_get(reply, "device"));
    w->ceiling_gbps = json_number_value(json_object_get(reply, "ceiling_gbps"));
    w->ceiling_tflops = json_number_value(json_object_get(reply, "ceiling_tflops"));
    rc = map_ring(w, json_object_get(reply, "ring"), e);
    json_decref(reply);
    if (rc) {
        bury(w, NULL, 0);
        return -1;
    }
    return 0;
}

/* Send req (+ payload) and wait; a hang, death or unusable context ends the sandbox. */
static json_t *ask(worker *w, json_t *req, const void *payload, size_t n, cw_error *e)
{
    char err[1024];
    int rc = ipc_send(w->sb.to_child, req, payload, n, err, sizeof err);
    json_t *reply = NULL;
    if (rc == IPC_OK) rc = await(w, w->timeout_s, &reply, err, sizeof err);
    if (rc == IPC_TIMEOUT) {
        bury(w, NULL, 0);
        cw_fail(e, EVO_STATUS_TIMEOUT, "kernel did not finish within %g s", w->timeout_s);
        return NULL;
    }
    if (rc != IPC_OK) {
        char why[1200];
        bury(w, why, sizeof why);
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "%s", why);
        return NULL;
    }
    return reply;
}

/* The reply's verdict into e; a sandbox that says its context is gone is replaced. */
static int take(worker *w, json_t *reply, cw_error *e)
{
    const char *status = json_string_value(json_object_get(reply, "status"));
    const char *error = json_string_value(json_object_get(reply, "error"));
    int s = status ? evo_status_from_name(status) : EVO_STATUS_PASSED;
    int rc = 0;
    if (json_is_false(json_object_get(reply, "ok")) || (s != EVO_STATUS_PASSED && s >= 0)) {
        cw_fail(e, s > EVO_STATUS_PASSED ? (evo_status)s : EVO_STATUS_RUNTIME_ERROR, "%s",
                error && *error ? error : "the sandbox failed");
        rc = -1;
    }
    if (json_is_true(json_object_get(reply, "exiting"))) {
        e->sticky = 1;
        bury(w, NULL, 0);
    }
    return rc;
}

int hw_sandbox_load(worker *w, int slot, const char *hash, const char *source, json_t *params,
                    const void *cubin, size_t n, cw_error *e)
{
    if (hw_sandbox_ensure(w, e)) return -1;
    if (hash && !strcmp(w->loaded[slot], hash)) return 0;
    w->loaded[slot][0] = 0;
    json_t *req = json_pack("{s:s,s:s,s:s,s:O}", "op", "load", "slot", slot ? "b" : "a", "source",
                            source, "params", params ? params : json_object());
    json_t *reply = ask(w, req, cubin, n, e);
    json_decref(req);
    if (!reply) return -1;
    int rc = take(w, reply, e);
    json_decref(reply);
    if (rc == 0 && hash) snprintf(w->loaded[slot], sizeof w->loaded[slot], "%s", hash);
    return rc;
}

int hw_sandbox_run(worker *w, const char *program, int wi, const uint64_t *seeds, const int *check,
                   int ncheck, int n, int timed_from, int isolate, double *latencies_us,
                   size_t *slot_off, cw_error *e)
{
    if (hw_sandbox_ensure(w, e)) return -1;
    json_t *sv = json_array();
    for (int i = 0; i < n; i++) {
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)seeds[i]);
        json_array_append_new(sv, json_string(hex));
    }
    json_t *cv = json_array();
    for (int i = 0; i < ncheck; i++)
        json_array_append_new(cv, json_integer(check[i]));
    json_t *req =
        json_pack("{s:s,s:s,s:i,s:o,s:o,s:i,s:b}", "op", "run", "program", program, "workload", wi,
                  "seeds", sv, "check", cv, "timed_from", timed_from, "isolate", isolate);
    json_t *reply = ask(w, req, NULL, 0, e);
    json_decref(req);
    if (!reply) return -1;
    int rc = take(w, reply, e);
    if (rc == 0) {
        json_t *lat = json_object_get(reply, "latencies_us"),
               *off = json_object_get(reply, "slot_offsets");
        if ((int)json_array_size(lat) != n - timed_from ||
            (int)json_array_size(off) != w->task->def.noutputs) {
            cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "the sandbox sent a malformed reply");
            rc = -1;
        }
        for (int i = 0; rc == 0 && i < n - timed_from; i++)
            latencies_us[i] = json_number_value(json_array_get(lat, (size_t)i));
        for (int o = 0; rc == 0 && o < w->task->def.noutputs; o++)
            slot_off[o] = (size_t)json_integer_value(json_array_get(off, (size_t)o));
    }
    /* A candidate that wrote outside its buffers may have written anywhere in the sandbox:
     * the next one gets a fresh process. */
    if (e->status == EVO_STATUS_GUARD_VIOLATION || e->status == EVO_STATUS_HARNESS_TAMPERED)
        hw_sandbox_stop(w, 0);
    json_decref(reply);
    return rc;
}
