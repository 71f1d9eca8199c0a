/* sandbox_main.c -- main of evo-sandbox, the process whose CUDA context runs candidate code.
 * evo-worker (the harness) starts it and asks, over the ipc.h framing on "--ipc IN OUT":
 *
 *   {"op":"init", "device", ["task_dir"], ["dataset","definition"[,"blob_fallback"]],
 *    "cache_dir", "max_runs", "ceilings":bool, "ceiling_gbps", "ceiling_tflops"}
 *     -> {"ok":true, "device":{...}, "ceiling_gbps", "ceiling_tflops",
 *         "ring":{"handle": CUDA IPC handle in hex, "bytes", "stride", "runs"}}
 *   {"op":"load", "slot":"a"|"b", "source", "params"} + cubin
 *     -> {"ok":true} | {"ok":false, "status":"COMPILE_ERROR"|..., "error"}
 *   {"op":"run", "program":"a"|"b"|"baseline", "workload":W, "seeds":[hex, ...],
 *    "timed_from":T, "check":[runs whose inputs to verify], "isolate":bool}
 *     -> {"status", "error", "latencies_us":[...], "slot_offsets":[per output]}
 *   {"op":"quit"}
 *
 * A reply may carry "exiting": the context is unusable after a CUDA error (a fault in the
 * candidate), and the process exits after replying; evo-worker starts another. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "sandbox.h"

static json_t *failed(const cw_error *e)
{
    return json_pack("{s:b,s:s,s:s}", "ok", 0, "status", evo_status_name(e->status), "error",
                     e->msg);
}

static int slot_index(const char *name)
{
    if (!name) return -1;
    if (!strcmp(name, "a")) return 0;
    if (!strcmp(name, "b")) return 1;
    if (!strcmp(name, "baseline")) return SB_BASELINE;
    return -1;
}

static json_t *handle_load(sandbox *s, json_t *req, const void *cubin, size_t n, int *sticky)
{
    cw_error e = {.status = EVO_STATUS_PASSED};
    int k = slot_index(ipc_str(req, "slot"));
    const char *source = ipc_str(req, "source");
    if (!s->task || k < 0 || k == SB_BASELINE || !source) {
        cw_fail(&e, EVO_STATUS_RUNTIME_ERROR, "load: %s",
                !s->task ? "before init" : "needs slot a or b and a source");
        return failed(&e);
    }
    cw_program_free(s->prog[k]);
    s->prog[k] = NULL;
    if (cw_program_load(s, source, cubin, n, json_object_get(req, "params"), &s->prog[k], &e)) {
        *sticky = e.sticky;
        return failed(&e);
    }
    return json_pack("{s:b}", "ok", 1);
}

static json_t *handle_run(sandbox *s, json_t *req, int *sticky)
{
    cw_error e = {.status = EVO_STATUS_PASSED};
    int p = slot_index(ipc_str(req, "program"));
    json_t *seeds = json_object_get(req, "seeds");
    int wi = (int)json_integer_value(json_object_get(req, "workload"));
    int n = (int)json_array_size(seeds);
    int timed_from = (int)json_integer_value(json_object_get(req, "timed_from"));
    if (!s->task || p < 0 || wi < 0 || wi >= s->task->nworkloads || n < 1) {
        cw_fail(&e, EVO_STATUS_RUNTIME_ERROR, "run: bad request (program, workload or seeds)");
        return failed(&e);
    }
    uint64_t *sv = calloc((size_t)n, sizeof *sv);
    double *lat = calloc((size_t)n, sizeof *lat);
    if (!sv || !lat) {
        free(sv);
        free(lat);
        cw_fail(&e, EVO_STATUS_RUNTIME_ERROR, "sandbox out of host memory");
        return failed(&e);
    }
    for (int i = 0; i < n; i++) {
        const char *h = json_string_value(json_array_get(seeds, (size_t)i));
        sv[i] = h ? strtoull(h, NULL, 16) : 0;
    }
    unsigned char *check = calloc((size_t)n, 1);
    size_t k;
    json_t *v;
    json_array_foreach(json_object_get(req, "check"), k, v)
    {
        json_int_t r = json_integer_value(v);
        if (check && r >= 0 && r < n) check[r] = 1;
    }
    int rc = sb_sequence(s, p, wi, sv, check, n, timed_from,
                         json_is_true(json_object_get(req, "isolate")), lat, &e);
    free(check);
    json_t *out = json_pack("{s:s,s:s}", "status", evo_status_name(e.status), "error", e.msg);
    if (rc == 0) {
        json_t *l = json_array(), *off = json_array();
        for (int i = 0; i < n - timed_from; i++)
            json_array_append_new(l, json_real(lat[i]));
        for (int o = 0; o < s->task->def.noutputs; o++)
            json_array_append_new(off, json_integer((json_int_t)s->wl[wi].out_off[o]));
        json_object_set_new(out, "latencies_us", l);
        json_object_set_new(out, "slot_offsets", off);
    }
    free(sv);
    free(lat);
    *sticky = e.sticky;
    return out;
}

static json_t *handle(void *user, const char *op, json_t *req, const void *payload, size_t n,
                      int *exit_now)
{
    sandbox *s = user;
    int sticky = 0;
    json_t *reply;
    if (!strcmp(op, "init"))
        reply = sb_init(s, req);
    else if (!strcmp(op, "load"))
        reply = handle_load(s, req, payload, n, &sticky);
    else if (!strcmp(op, "run"))
        reply = handle_run(s, req, &sticky);
    else
        reply = ipc_refusal("unknown request op '%s'", op[0] ? op : "(none)");
    if (sticky) *exit_now = 3;
    return reply;
}

int main(int argc, char **argv)
{
    int in, out;
    ipc_serve_fds(argc, argv, &in, &out);
    sandbox s;
    memset(&s, 0, sizeof s);
    s.reply_fd = out;
    pthread_mutex_init(&s.send_lock, NULL);
    int status = ipc_serve(in, out, &s.send_lock, "evo-sandbox", handle, &s);
    if (status == 3) {
        fprintf(stderr, "evo-sandbox: the CUDA context is unusable after an error; exiting\n");
        return 3; /* no cleanup: the context is gone and the driver frees it */
    }
    sb_free(&s);
    return status;
}
