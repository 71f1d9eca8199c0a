/* worker_eval.c -- one workload's evaluation in the harness: the sequence plan (how many
 * warm-up runs, which runs are compared and against which pool sets, a fresh seed for every
 * other run, all drawn here, out of the candidate's reach), the sequence in the sandbox, the
 * comparisons, the median, and the physical floor: a workload faster than its bytes at the
 * measured copy ceiling or its FLOPs at the measured matrix rate (times evaluator.floor_slack)
 * is re-timed alone, each run after a synchronisation and a reset of the persisting L2, and is
 * BEYOND_FLOOR if it is still faster. The baseline goes through the same protocol, once per
 * workload. Also the interleaved re-timing of a candidate against the incumbent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The first k of a random permutation of [0, n) into out. */
static void pick(worker *w, int n, int k, int *out)
{
    int *all = malloc((size_t)n * sizeof *all);
    if (!all) {
        for (int i = 0; i < k; i++)
            out[i] = i;
        return;
    }
    for (int i = 0; i < n; i++)
        all[i] = i;
    for (int i = 0; i < k; i++) {
        int j = i + (int)pcg32_bounded(&w->rng, (uint32_t)(n - i));
        int t = all[i];
        all[i] = all[j];
        all[j] = t;
        out[i] = all[i];
    }
    free(all);
}

/* One sequence of program prog on workload wi: plan, run, compare; the median latency. */
static int sequence(worker *w, const char *prog, int wi, int isolate, double *median_us,
                    hw_figures *f, cw_error *e)
{
    int warm =
        w->warmup > 0 ? w->warmup / 2 + (int)pcg32_bounded(&w->rng, (uint32_t)w->warmup + 1) : 0;
    int runs = warm + w->iterations;
    if (w->max_runs > 0 && runs > w->max_runs) {
        runs = w->max_runs;
        warm = runs - w->iterations > 0 ? runs - w->iterations : 0;
    }
    int k = w->trials;
    if (k > w->pool) k = w->pool;
    if (k > runs) k = runs;
    uint64_t *seeds = calloc((size_t)runs, sizeof *seeds);
    double *lat = calloc((size_t)runs, sizeof *lat);
    int *pos = calloc((size_t)k + 1, sizeof *pos), *set = calloc((size_t)k + 1, sizeof *set);
    size_t off[HW_MAX_OUTPUTS];
    int rc = -1;
    if (!seeds || !lat || !pos || !set) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "worker out of host memory");
        goto out;
    }
    pick(w, runs, k, pos);
    pick(w, w->pool, k, set);
    for (int r = 0; r < runs; r++)
        seeds[r] = hw_random64(w);
    for (int j = 0; j < k; j++)
        seeds[pos[j]] = w->wl[wi].sets[set[j]].seed;
    if (hw_sandbox_run(w, prog, wi, seeds, pos, k, runs, warm, isolate, lat, off, e)) goto out;
    hw_tick(w, "compare");
    for (int j = 0; j < k; j++)
        for (int o = 0; o < w->task->def.noutputs; o++)
            if (hw_compare(w, wi, set[j], pos[j], o, off[o], f, e)) {
                /* A reference that changed after upload is rebuilt before the next use. */
                if (e->status == EVO_STATUS_HARNESS_TAMPERED) hw_pool_drop(w, wi);
                goto out;
            }
    *median_us = median(lat, runs - warm);
    rc = 0;
out:
    free(seeds);
    free(lat);
    free(pos);
    free(set);
    return rc;
}

static int has_fp8(const evo_task *t)
{
    for (int i = 0; i < t->def.ninputs; i++)
        if (t->def.inputs[i].dtype == DT_FLOAT8_E4M3 || t->def.inputs[i].dtype == DT_FLOAT8_E5M2)
            return 1;
    return 0;
}

/* The fastest a workload can physically run, in microseconds (0 when no ceiling is known). */
static double floor_us(const worker *w, int wi, char *why, size_t n)
{
    const task_workload *wl = &w->task->workloads[wi];
    double bytes = task_bytes(w->task, wl), flops = task_flops(w->task, wl);
    double bw = w->ceiling_gbps * w->floor_slack,
           fl = w->ceiling_tflops * w->floor_slack * (has_fp8(w->task) ? 2 : 1);
    double t_bw = bw > 0 ? bytes / (bw * 1e3) : 0, t_fl = fl > 0 ? flops / (fl * 1e6) : 0;
    if (t_bw >= t_fl)
        snprintf(why, n, "%.0f bytes at %.0f GB/s (%.2f x the measured copy ceiling)", bytes, bw,
                 w->floor_slack);
    else
        snprintf(why, n, "%.3g FLOPs at %.0f TFLOP/s (%.2f x the measured matrix rate%s)", flops,
                 fl, w->floor_slack, has_fp8(w->task) ? ", doubled for fp8" : "");
    return t_bw > t_fl ? t_bw : t_fl;
}

/* The baseline's latency on a workload, measured once through the same protocol (and gated:
 * a wrong baseline would inflate every speedup). Its failure is the harness's, not the
 * candidate's: the run stops. */
static int baseline(worker *w, int wi, double *us, cw_error *e)
{
    hw_workload *l = &w->wl[wi];
    if (!l->baseline_done) {
        cw_error be = {.status = EVO_STATUS_PASSED};
        hw_figures bf;
        memset(&bf, 0, sizeof bf);
        if (sequence(w, "baseline", wi, 0, &l->baseline_us, &bf, &be))
            snprintf(l->baseline_err, sizeof l->baseline_err, "baseline on workload %s: %.1800s",
                     w->task->workloads[wi].label, be.msg);
        l->baseline_done = 1;
    }
    *us = l->baseline_us;
    if (l->baseline_err[0]) {
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "%s", l->baseline_err);
        return -1;
    }
    return 0;
}

int hw_eval_workload(worker *w, int wi, hw_figures *f, double *baseline_us, cw_error *e)
{
    memset(f, 0, sizeof *f);
    f->worst_row_ratio = 1;
    if (hw_pool_prepare(w, wi, e) || baseline(w, wi, baseline_us, e)) return -2;
    double us = 0;
    if (sequence(w, "a", wi, 0, &us, f, e)) return -1;
    char why[256];
    double fl = floor_us(w, wi, why, sizeof why);
    if (fl > 0 && us < fl) {
        double alone = 0;
        if (sequence(w, "a", wi, 1, &alone, f, e)) return -1;
        f->remeasured = 1;
        if (alone < fl) {
            cw_fail(e, EVO_STATUS_BEYOND_FLOOR,
                    "workload %s: %.3f us (%.3f us re-timed alone) is below its physical floor of "
                    "%.3f us "
                    "(%s): the work was not done, or the task's cost model is wrong",
                    w->task->workloads[wi].label, us, alone, fl, why);
            return -1;
        }
        us = alone;
    }
    f->latency_us = us;
    return 0;
}

int hw_confirm_round(worker *w, const int *list, int n, double *fit_a, double *fit_b, cw_error *e)
{
    double sa = 0, sb = 0;
    for (int i = 0; i < n; i++) {
        int wi = list[i];
        double base = 0, ua = 0, ub = 0;
        hw_figures fa, fb;
        memset(&fa, 0, sizeof fa);
        memset(&fb, 0, sizeof fb);
        if (hw_pool_prepare(w, wi, e) || baseline(w, wi, &base, e)) return -2;
        if (sequence(w, "a", wi, 0, &ua, &fa, e)) return -1;
        if (sequence(w, "b", wi, 0, &ub, &fb, e)) {
            cw_prefix(e, "the incumbent: ");
            return -1;
        }
        sa += ua > 0 ? base / ua : 0;
        sb += ub > 0 ? base / ub : 0;
    }
    *fit_a = n ? sa / n : 0;
    *fit_b = n ? sb / n : 0;
    return 0;
}
