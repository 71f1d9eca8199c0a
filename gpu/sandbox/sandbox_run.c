/* sandbox_run.c -- a sequence of runs of one program on one workload, the only way the
 * sandbox runs candidate code. Run r, enqueued without a host round trip between runs:
 *
 *   draw inputs (seed r), poison slot r and the workspaces, write their canaries (one launch)
 *   | flush L2 | event | the program's launches | event | check every canary and, for the runs
 *   the harness compares, that the inputs are still the draw; record the run's verdict (its
 *   token, or 0) (one launch)
 *
 * Before its launches, runs differ only in their seed and their ring slot, so a candidate
 * cannot tell a run the harness will compare from the others, nor a warm-up from a timed run.
 * (After a compared run the input check takes longer: that is seen only once the run is over.) After the sequence: one synchronisation, the verdicts, the fixed inputs
 * against their host copies, and the latencies of the timed runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ipc.h"
#include "sandbox.h"

/* Where each canary is and what it guards, for the message when one is broken. */
typedef struct guard_list {
    int n;
    unsigned char *at[SB_MAX_GUARDS];
    const char *what[SB_MAX_GUARDS]; /* "input", "output", "workspace" */
    const char *name[SB_MAX_GUARDS];
    int after[SB_MAX_GUARDS]; /* 0: before the data, 1: after */
} guard_list;

static int add_buffer(guard_list *g, unsigned char *data, size_t bytes, const char *what,
                      const char *name, cw_error *e)
{
    if (g->n + 2 > SB_MAX_GUARDS) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "more than %d guarded buffers", SB_MAX_GUARDS / 2);
        return -1;
    }
    for (int side = 0; side < 2; side++) {
        g->at[g->n] = side ? data + bytes : data - SB_GUARD;
        g->what[g->n] = what;
        g->name[g->n] = name;
        g->after[g->n++] = side;
    }
    return 0;
}

/* Guards that stay for the whole sequence (inputs), then those of run r (its slot, the
 * workspaces): *per_run is the index where the latter start. */
static int build_guards(sandbox *s, int wi, const cw_bound *b, int slot, guard_list *g,
                        int *per_run, cw_error *e)
{
    const evo_task *t = s->task;
    const sb_workload *l = &s->wl[wi];
    g->n = 0;
    for (int i = 0; i < t->def.ninputs; i++) {
        const char *name = t->def.inputs[i].name;
        if (t->def.inputs[i].is_scalar) continue;
        if (l->drawn[i] && l->in_bytes[i] &&
            add_buffer(g, s->region + l->in_off[i], l->in_bytes[i], "input", name, e))
            return -1;
        if (l->fixed[i].base &&
            add_buffer(g, l->fixed[i].data, l->fixed[i].bytes, "input", name, e))
            return -1;
    }
    *per_run = g->n;
    unsigned char *base = s->ring + (size_t)slot * s->stride;
    for (int o = 0; o < t->def.noutputs; o++)
        if (add_buffer(g, base + l->out_off[o], l->out_bytes[o], "output", t->def.outputs[o].name,
                       e))
            return -1;
    for (int k = 0; b && k < b->nws; k++)
        if (add_buffer(g, b->ws[k].data, b->ws[k].bytes, "workspace", b->ws[k].name, e)) return -1;
    return 0;
}

static sb_fail *fail_of(sandbox *s, int r)
{
    return (sb_fail *)((char *)s->dfail + (size_t)r * sizeof(sb_fail));
}

/* Everything of run r before the timed region: one harness launch, then the flush. */
static int prepare_run(sandbox *s, int wi, const cw_bound *b, int r, uint64_t seed, cw_error *e)
{
    guard_list g;
    int per_run = 0;
    if (build_guards(s, wi, b, r, &g, &per_run, e)) return -1;
    const evo_task *t = s->task;
    const sb_workload *l = &s->wl[wi];
    unsigned char *fills[SB_MAX_OUTPUTS + PLAN_MAX_WORKSPACES],
        *slot = s->ring + (size_t)r * s->stride;
    size_t bytes[SB_MAX_OUTPUTS + PLAN_MAX_WORKSPACES];
    int nf = 0;
    for (int o = 0; o < t->def.noutputs; o++, nf++) {
        fills[nf] = slot + l->out_off[o];
        bytes[nf] = l->out_bytes[o];
    }
    for (int k = 0; b && k < b->nws; k++, nf++) {
        fills[nf] = b->ws[k].data;
        bytes[nf] = b->ws[k].bytes;
    }
    if (sb_pre(s, wi, seed, g.at + per_run, g.n - per_run, fills, bytes, nf, fail_of(s, r), e))
        return -1;
    return cw_cuda_check(e, cudaMemsetAsync(s->flush, 0, s->flush_bytes, s->stream), "flushing L2");
}

static int check_run(sandbox *s, int wi, const cw_bound *b, int r, uint64_t seed, int check_inputs,
                     uint64_t token, cw_error *e)
{
    guard_list g;
    int per_run = 0;
    if (build_guards(s, wi, b, r, &g, &per_run, e)) return -1;
    return sb_post(s, wi, seed, check_inputs, g.at, g.n, fail_of(s, r), s->dres + r, token, e);
}

static int launch(sandbox *s, int p, int wi, cw_bound *b, int r, uint64_t seed, cw_error *e)
{
    sb_args a;
    sb_workload_args(s, wi, r, seed, &a);
    if (p == SB_BASELINE && cw_baseline_is_cublas(s)) return cw_cublas_run(s, wi, &a, e);
    return cw_launch(s, s->prog[p], b, wi, &a, e);
}

/* Say which run failed first and how, from what its check recorded. */
static void describe_failure(sandbox *s, int wi, const cw_bound *b, int r, cw_error *e)
{
    sb_fail f;
    if (cw_cuda_check(e, cudaMemcpy(&f, fail_of(s, r), sizeof f, cudaMemcpyDeviceToHost),
                      "reading the run's findings"))
        return;
    const evo_task *t = s->task;
    const sb_workload *l = &s->wl[wi];
    for (int i = 0, k = 0; i < t->def.ninputs; i++) {
        if (!l->drawn[i] || t->def.inputs[i].is_scalar) continue;
        if (f.input_bad & (1u << k)) {
            cw_fail(e, EVO_STATUS_GUARD_VIOLATION,
                    "input '%s' was modified in place (element %llu, run %d)",
                    t->def.inputs[i].name, (unsigned long long)f.first[k], r + 1);
            return;
        }
        k++;
    }
    guard_list g;
    int per_run = 0;
    if (build_guards(s, wi, b, r, &g, &per_run, e)) return;
    for (int k = 0; k < g.n; k++) {
        if (!(f.guard_bad[k >> 5] & (1u << (k & 31)))) continue;
        if (g.after[k])
            cw_fail(e, EVO_STATUS_GUARD_VIOLATION, "%s '%s': %d bytes written past the end",
                    g.what[k], g.name[k], f.hi[k] + 1);
        else
            cw_fail(e, EVO_STATUS_GUARD_VIOLATION, "%s '%s': %d bytes written before the start",
                    g.what[k], g.name[k], SB_GUARD - f.lo[k]);
        return;
    }
    /* The findings say nothing is wrong but the verdict is not the token: the candidate wrote
     * over the harness's record of a run. */
    cw_fail(
        e, EVO_STATUS_HARNESS_TAMPERED,
        "the harness's record of run %d was overwritten (a write outside the candidate's buffers)",
        r + 1);
}

static int bind(sandbox *s, int p, int wi, cw_bound *b, cw_error *e)
{
    memset(b, 0, sizeof *b);
    if (p == SB_BASELINE && cw_baseline_is_cublas(s)) return 0;
    if (!s->prog[p]) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "no program loaded in slot %d", p);
        return -1;
    }
    return cw_bind(s, s->prog[p], wi, b, e);
}

/* No L2 lines may persist from anything before: the limit is 0 and every line is normal. */
static int reset_l2(cw_error *e)
{
    size_t limit = 0;
    if (cw_cuda_check(e, cudaCtxResetPersistingL2Cache(), "resetting the persisting L2") ||
        cw_cuda_check(e, cudaDeviceGetLimit(&limit, cudaLimitPersistingL2CacheSize),
                      "reading the L2 limit"))
        return -1;
    if (limit != 0 && cw_cuda_check(e, cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, 0),
                                    "clearing the L2 limit"))
        return -1;
    return 0;
}

int sb_sequence(sandbox *s, int p, int wi, const uint64_t *seeds, const unsigned char *check, int n,
                int timed_from, int isolate, double *latencies_us, cw_error *e)
{
    if (n < 1 || n > s->max_runs || timed_from < 0 || timed_from >= n) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR,
                "a sequence of %d runs (timed from %d) does not fit %d slots", n, timed_from,
                s->max_runs);
        return -1;
    }
    if (sb_workload_prepare(s, wi, e)) return -1;
    uint64_t *tokens = malloc((size_t)n * sizeof *tokens);
    if (!tokens ||
        getrandom(tokens, (size_t)n * sizeof *tokens, 0) != (ssize_t)((size_t)n * sizeof *tokens)) {
        free(tokens);
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "sandbox: no random tokens");
        return -1;
    }
    for (int r = 0; r < n; r++)
        tokens[r] |= 1; /* never 0, the value of a failed run */
    cw_bound b;
    int rc = bind(s, p, wi, &b, e);
    guard_list g;
    int per_run = 0;
    if (rc == 0) rc = build_guards(s, wi, &b, 0, &g, &per_run, e);
    if (rc == 0) rc = sb_guards(s, g.at, per_run, 0, 0, fail_of(s, 0), e);
    if (rc == 0) rc = reset_l2(e);
    for (int r = 0; rc == 0 && r < n; r++) {
        if (isolate && (cw_cuda_check(e, cudaStreamSynchronize(s->stream), "running the kernel") ||
                        reset_l2(e)))
            rc = -1;
        if (rc == 0) rc = prepare_run(s, wi, &b, r, seeds[r], e);
        if (rc == 0)
            rc = cw_cuda_check(e, cudaEventRecord(s->ev_start[r], s->stream), "recording events");
        if (rc == 0) rc = launch(s, p, wi, &b, r, seeds[r], e);
        if (rc == 0)
            rc = cw_cuda_check(e, cudaEventRecord(s->ev_end[r], s->stream), "recording events");
        if (rc == 0) rc = check_run(s, wi, &b, r, seeds[r], check && check[r], tokens[r], e);
    }
    ipc_tick(s->reply_fd, &s->send_lock, "enqueued");
    if (rc == 0)
        rc = cw_cuda_check(e, cudaStreamSynchronize(s->stream), "running the kernel") ||
             cw_cuda_check(e, cudaDeviceSynchronize(), "running the kernel");
    if (rc == 0)
        rc = cw_cuda_check(
            e, cudaMemcpy(s->hres, s->dres, (size_t)n * sizeof *s->hres, cudaMemcpyDeviceToHost),
            "reading the runs' verdicts");
    for (int r = 0; rc == 0 && r < n; r++) {
        if (s->hres[r] == tokens[r]) continue;
        describe_failure(s, wi, &b, r, e);
        rc = -1;
    }
    if (rc == 0) rc = sb_workload_check_fixed(s, wi, e);
    for (int r = timed_from; rc == 0 && r < n; r++) {
        float ms = 0;
        rc = cw_cuda_check(e, cudaEventElapsedTime(&ms, s->ev_start[r], s->ev_end[r]),
                           "reading events");
        latencies_us[r - timed_from] = ms * 1e3;
    }
    if (!e->sticky) cw_unbind(&b);
    free(tokens);
    return rc;
}
