/* cuda_gate.c -- the correctness gate on the device. Before every run each output and
 * workspace is poisoned with 0xFF bytes (NaN in every float dtype) and every buffer sits
 * between canaries; after it the canaries, the input checksums and then the outputs
 * (gate_compare against the host reference) are checked. Trials use fresh inputs each, run
 * back to back, so returning the previous call's output fails; after timing, another set's
 * data is swapped in under the same pointers, so caching by pointer fails too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_worker.h"
#include "gate.h"

static int check_inputs(worker *w, int wi, const cw_set *bufs, const cw_set *content, cw_error *e) {
    for (int i = 0; i < w->task->def.ninputs; i++) {
        const cw_buffer *b = &bufs->dev[i];
        if (!b->base) continue;
        if (cw_buffer_check_guards((cw_buffer *)b, "input", e)) return -1;
        if (w->dcheck) {
            int same = 0;
            if (cw_check_input_device(w, b, (cw_set *)content, wi, i, &same, e)) return -1;
            if (!same) {
                cw_fail(e, EVO_STATUS_GUARD_VIOLATION, "input '%s' was modified in place", b->name);
                return -1;
            }
            continue;
        }
        void *tmp = cw_staging(w, b->bytes ? b->bytes : 1, e);
        if (!tmp) return -1;
        int rc = cw_cuda_check(e, cudaMemcpy(tmp, b->data, b->bytes, cudaMemcpyDeviceToHost),
                               "reading inputs back");
        /* Compared with the host copy the set was uploaded from: faster than hashing, and
         * exact. */
        int same = rc ? 0 : memcmp(tmp, content->host[i], b->bytes) == 0;
        if (rc) return -1;
        if (!same) {
            cw_fail(e, EVO_STATUS_GUARD_VIOLATION, "input '%s' was modified in place", b->name);
            return -1;
        }
    }
    return 0;
}

static int compare_outputs(worker *w, int wi, const cw_set *content, double *max_abs,
                           double *max_rel, cw_error *e) {
    const evo_task *t = w->task;
    const cw_workload *c = &w->wl[wi];
    for (int o = 0; o < t->def.noutputs; o++) {
        const task_tensor *x = &t->def.outputs[o];
        const cw_buffer *b = &c->outs[o];
        gate_stats st;
        memset(&st, 0, sizeof st);
        st.required_ratio = t->required_ratio;
        int64_t n = task_tensor_numel(t, &t->workloads[wi], x);
        int ok;
        if (cw_check_covers(w, x->dtype)) {
            if (cw_check_output_device(w, b, x->dtype, (cw_set *)content, wi, o, n, t->atol, t->rtol, &st, e))
                return -1;
            ok = st.nonfinite == 0 && st.matched_ratio >= t->required_ratio;
        } else {
            void *got = cw_staging(w, b->bytes ? b->bytes : 1, e);
            if (!got) return -1;
            if (cw_cuda_check(e, cudaMemcpy(got, b->data, b->bytes, cudaMemcpyDeviceToHost),
                              "reading outputs"))
                return -1;
            ok = gate_compare(x->dtype, got, content->ref[o], n, t->atol, t->rtol,
                              t->required_ratio, &st);
        }
        if (st.max_abs > *max_abs) *max_abs = st.max_abs;
        if (st.max_rel > *max_rel) *max_rel = st.max_rel;
        if (!ok) {
            char text[1024];
            gate_describe(x->name, &st, text, sizeof text);
            cw_fail(e, EVO_STATUS_INCORRECT_NUMERICAL, "workload %s: %s",
                    t->workloads[wi].label, text);
            return -1;
        }
    }
    return 0;
}

void *cw_staging(worker *w, size_t bytes, cw_error *e) {
    if (bytes <= w->staging_bytes) return w->staging;
    if (w->staging) cudaFreeHost(w->staging);
    w->staging = NULL;
    w->staging_bytes = 0;
    void *p = NULL;
    if (cw_cuda_check(e, cudaMallocHost(&p, bytes), "allocating pinned host memory")) return NULL;
    w->staging = p;
    w->staging_bytes = bytes;
    return p;
}

int cw_poison(worker *w, cw_bound *b, int wi, cw_error *e) {
    cw_workload *c = &w->wl[wi];
    for (int o = 0; o < w->task->def.noutputs; o++)
        if (cw_buffer_arm(&c->outs[o], 1, w->stream, e)) return -1;
    for (int i = 0; b && i < b->nws; i++)
        if (cw_buffer_arm(&b->ws[i], 1, w->stream, e)) return -1;
    return 0;
}

int cw_verify(worker *w, cw_bound *b, int wi, int buf_set, int content_set, double *max_abs,
              double *max_rel, cw_error *e) {
    cw_workload *c = &w->wl[wi];
    for (int o = 0; o < w->task->def.noutputs; o++)
        if (cw_buffer_check_guards(&c->outs[o], "output", e)) return -1;
    for (int i = 0; b && i < b->nws; i++)
        if (cw_buffer_check_guards(&b->ws[i], "workspace", e)) return -1;
    if (check_inputs(w, wi, &c->sets[buf_set], &c->sets[content_set], e)) return -1;
    return compare_outputs(w, wi, &c->sets[content_set], max_abs, max_rel, e);
}

/* Poison, launch, synchronise every stream, then check guards, inputs and outputs. */
static int run_and_check(worker *w, cw_program *p, cw_bound *b, int wi, int buf_set,
                         int content_set, double *max_abs, double *max_rel, cw_error *e) {
    if (cw_poison(w, b, wi, e)) return -1;
    if (cw_launch(w, p, b, wi, &w->wl[wi].sets[buf_set], e)) return -1;
    if (cw_cuda_check(e, cudaStreamSynchronize(w->stream), "running the kernel") ||
        cw_cuda_check(e, cudaDeviceSynchronize(), "running the kernel"))
        return -1;
    return cw_verify(w, b, wi, buf_set, content_set, max_abs, max_rel, e);
}

/* A failed check may leave the cached inputs dirty: put the set's own data back. */
static void restore_set(worker *w, int wi, int k) {
    cw_error scratch = {.status = EVO_STATUS_PASSED};
    cw_set *s = &w->wl[wi].sets[k];
    cw_set_upload(w, s, s, &scratch);
}

int cw_run_checked(worker *w, cw_program *p, cw_bound *b, int wi, int s, cw_error *e) {
    double a = 0, r = 0;
    if (cw_set_reference(w, wi, &w->wl[wi].sets[s], e)) return -1;
    int rc = run_and_check(w, p, b, wi, s, s, &a, &r, e);
    if (rc && !e->sticky) restore_set(w, wi, s);
    return rc;
}

int cw_gate(worker *w, cw_program *p, cw_bound *b, int wi, json_t *wl_json, cw_error *e) {
    double max_abs = 0, max_rel = 0;
    int rc = 0;
    for (int k = 0; k < w->trials && rc == 0; k++) {
        if (cw_set_reference(w, wi, &w->wl[wi].sets[k], e)) return -1;
        cw_tick(w, "trial");
        rc = run_and_check(w, p, b, wi, k, k, &max_abs, &max_rel, e);
        if (rc && !e->sticky) restore_set(w, wi, k);
    }
    json_object_set_new(wl_json, "max_abs_err", json_real(max_abs));
    json_object_set_new(wl_json, "max_rel_err", json_real(max_rel));
    return rc;
}

int cw_gate_after_timing(worker *w, cw_program *p, cw_bound *b, int wi, cw_error *e) {
    cw_workload *c = &w->wl[wi];
    if (cw_set_reference(w, wi, &c->sets[1], e)) return -1;
    if (cw_set_upload(w, &c->sets[1], &c->sets[0], e)) return -1;
    double a = 0, r = 0;
    int rc = run_and_check(w, p, b, wi, 0, 1, &a, &r, e);
    if (rc && e->status == EVO_STATUS_INCORRECT_NUMERICAL) {
        cw_prefix(e, "after timing, with new data in the same buffers: ");
    }
    if (!e->sticky) restore_set(w, wi, 0);
    return rc;
}
