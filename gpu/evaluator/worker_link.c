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
#include "result.h"
#include "worker_link.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Wait for a non-tick message; every tick restarts the watchdog. */
static int await_reply(gpu_device *d, double timeout_s, json_t **reply, char *err, size_t errlen)
{
    for (;;) {
        void *p = NULL;
        size_t n = 0;
        int rc = ipc_recv(d->child.from_child, (int)(timeout_s * 1000), reply, &p, &n, err, errlen);
        free(p);
        ipc_child_drain_stderr(&d->child, d->err_tail, sizeof d->err_tail);
        if (rc != IPC_OK) return rc;
        if (!json_object_get(*reply, "tick")) return IPC_OK;
        json_decref(*reply);
        *reply = NULL;
    }
}

/* Kill or reap the worker and say how it ended: "signal 9", or its last stderr line. */
void link_bury(gpu_device *d, char *why, size_t n)
{
    char how[64] = "", line[512] = "";
    ipc_child_drain_stderr(&d->child, d->err_tail, sizeof d->err_tail);
    ipc_child_kill(&d->child, how, sizeof how);
    ipc_last_line(d->err_tail, line, sizeof line);
    d->alive = 0;
    d->err_tail[0] = 0;
    if (why)
        snprintf(why, n, "worker died: %s%s%s", how[0] ? how : "unknown", line[0] ? ": " : "",
                 line);
}

void link_stop(gpu_device *d)
{
    if (!d->alive && d->child.pid <= 0) return;
    if (d->child.to_child >= 0) {
        char err[128];
        json_t *q = json_pack("{s:s}", "op", "quit");
        ipc_send(d->child.to_child, q, NULL, 0, err, sizeof err);
        json_decref(q);
        /* A moment to exit cleanly; then SIGKILL. */
        for (int i = 0; i < 50; i++) {
            json_t *h;
            void *p;
            size_t n;
            if (ipc_recv(d->child.from_child, 20, &h, &p, &n, err, sizeof err) == IPC_EOF) break;
            json_decref(h);
            free(p);
        }
    }
    ipc_child_kill(&d->child, NULL, 0);
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
    d->alive = 1;
    d->err_tail[0] = 0;
    int rc = ipc_send(d->child.to_child, init_req, NULL, 0, err, sizeof err);
    json_t *reply = NULL;
    if (rc == IPC_OK) rc = await_reply(d, timeout_s, &reply, err, sizeof err);
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
    double t0 = now_ms();
    int rc = ipc_send(d->child.to_child, req, payload, n, err, sizeof err);
    if (rc == IPC_OK) rc = await_reply(d, timeout_s, reply, err, sizeof err);
    evo_result_add_metric(out, NULL, "gpu_ms", now_ms() - t0);
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
