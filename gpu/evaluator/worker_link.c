/* worker_link.c -- the evaluator's side of one device's evo-worker: start it and hand it the
 * init request, ask it one request with a watchdog (every tick from the worker restarts it),
 * and bury a worker that hung or died, saying how it ended. The evaluator (evaluator.c)
 * decides what to ask; this file knows only the process and the pipe. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errbuf.h"
#include "ipc.h"
#include "result.h"
#include "worker_link.h"

void link_bury(gpu_device *d, char *why, size_t n)
{
    ipc_child_end(&d->child, "worker", d->err_tail, sizeof d->err_tail, why, n);
    d->alive = 0;
}

void link_stop(gpu_device *d)
{
    ipc_child_quit(&d->child);
    d->alive = 0;
}

int link_start(gpu_device *d, json_t *init_req, double timeout_s, json_t **facts, char *msg,
               size_t n)
{
    char path[4096], err[1024];
    if (ipc_worker_path(path, sizeof path, err, sizeof err) != 0)
        return errbuf_set(msg, n, EVO_EIO, "%s", err);
    if (ipc_spawn(path, &d->child, err, sizeof err) != 0)
        return errbuf_set(msg, n, EVO_EIO, "%s", err);
    d->child.on_progress = d->on_progress;
    d->child.progress_user = d->progress_user;
    d->alive = 1;
    d->err_tail[0] = 0;
    int rc = ipc_send(d->child.to_child, init_req, NULL, 0, err, sizeof err);
    json_t *reply = NULL;
    if (rc == IPC_OK)
        rc = ipc_child_await(&d->child, timeout_s, &reply, d->err_tail, sizeof d->err_tail, err,
                             sizeof err);
    if (rc != IPC_OK) {
        char why[1024];
        link_bury(d, why, sizeof why);
        return errbuf_set(msg, n, EVO_ECUDA, "device %d: %s during init (%s)", d->index,
                          rc == IPC_TIMEOUT ? "no answer" : why, err);
    }
    if (!json_is_true(json_object_get(reply, "ok"))) {
        const char *e = json_string_value(json_object_get(reply, "error"));
        int code = e && strncmp(e, "no CUDA device found", 20) == 0 ? EVO_ENOGPU : EVO_ECUDA;
        errbuf_set(msg, n, code, "%s", e ? e : "the worker refused init");
        json_decref(reply);
        link_bury(d, NULL, 0);
        return code;
    }
    if (facts)
        *facts = reply;
    else
        json_decref(reply);
    return EVO_OK;
}

int link_ask(gpu_device *d, json_t *req, const void *payload, size_t n, double timeout_s,
             json_t **reply, evo_result *out)
{
    char err[1024];
    *reply = NULL;
    double t0 = ipc_now_ms();
    int rc = ipc_send(d->child.to_child, req, payload, n, err, sizeof err);
    if (rc == IPC_OK)
        rc = ipc_child_await(&d->child, timeout_s, reply, d->err_tail, sizeof d->err_tail, err,
                             sizeof err);
    evo_result_add_metric(out, NULL, "gpu_ms", ipc_now_ms() - t0);
    if (rc == IPC_TIMEOUT) {
        link_bury(d, NULL, 0);
        evo_result_set_status(out, EVO_STATUS_TIMEOUT);
        evo_result_set_error(out, "kernel did not finish within %g s", timeout_s);
        return EVO_OK;
    }
    if (rc != IPC_OK) {
        char why[1024];
        link_bury(d, why, sizeof why);
        evo_result_set_status(out, EVO_STATUS_RUNTIME_ERROR);
        evo_result_set_error(out, "%s", why);
        return EVO_OK;
    }
    if (json_is_true(json_object_get(*reply, "exiting"))) link_bury(d, NULL, 0);
    return EVO_OK;
}
