/* gpu_isolation.c -- a stream of bad candidates cannot break the evaluator (needs a GPU;
 * label gpu): 100 consecutive failures (wild-pointer faults and hangs that kill the worker,
 * mixed with wrong, out-of-bounds, input-editing and stale kernels) each get their status,
 * and a correct kernel still passes afterwards, measured against the same baseline and
 * ceilings as before the first crash. The watchdog is 2 s. */
#include <time.h>

#include "gpu_harness.h"

int main(void)
{
    gpu_evaluator *g = NULL;
    evo_evaluator ev;
    int rc = harness_open(", \"workloads\": [\"batch_size=7\"], \"warmup\": 1, "
                          "\"iterations\": 3, \"timeout_s\": 2",
                          &g, &ev);
    if (rc) return rc;
    static const int cycle[10] = {MODE_FAULT, MODE_WRONG,    MODE_FAULT,      MODE_PAST_END,
                                  MODE_HANG,  MODE_FAULT,    MODE_EDIT_INPUT, MODE_FAULT,
                                  MODE_STALE, MODE_UNWRITTEN};
    static const evo_status want[11] = {[MODE_FAULT] = EVO_STATUS_RUNTIME_ERROR,
                                        [MODE_WRONG] = EVO_STATUS_INCORRECT_NUMERICAL,
                                        [MODE_PAST_END] = EVO_STATUS_GUARD_VIOLATION,
                                        [MODE_HANG] = EVO_STATUS_TIMEOUT,
                                        [MODE_EDIT_INPUT] = EVO_STATUS_GUARD_VIOLATION,
                                        [MODE_STALE] = EVO_STATUS_INCORRECT_NUMERICAL,
                                        [MODE_UNWRITTEN] = EVO_STATUS_INCORRECT_NUMERICAL};
    evo_result *first = harness_eval(&ev, HOSTILE_SRC, MODE_OK);
    CHECK(first->status == EVO_STATUS_PASSED);
    double base0 = harness_metric(first, "batch_size=7", "baseline_us");
    result_free(first);
    time_t t0 = time(NULL);
    int right = 0;
    for (int i = 0; i < 100; i++) {
        int mode = cycle[i % 10];
        evo_result *r = harness_eval(&ev, HOSTILE_SRC, mode);
        if (r->status == want[mode])
            right++;
        else
            fprintf(stderr, "candidate %d (mode %d): %s: %s\n", i, mode, evo_status_name(r->status),
                    r->error ? r->error : "");
        result_free(r);
    }
    CHECK_MSG(right == 100, "%d of 100 bad candidates got their status", right);
    evo_result *r = harness_eval(&ev, HOSTILE_SRC, MODE_OK);
    CHECK_MSG(r->status == EVO_STATUS_PASSED, "good candidate after 100 bad: %s (%s)",
              evo_status_name(r->status), r->error ? r->error : "");
    /* Replacement workers inherit the baseline and the ceilings: figures stay comparable. */
    CHECK(harness_metric(r, "batch_size=7", "baseline_us") == base0);
    CHECK(harness_metric(r, "batch_size=7", "frac_bw") > 0);
    result_free(r);
    printf("100 bad candidates and a good one in %lld s\n", (long long)(time(NULL) - t0));
    ev.stop(ev.user);
    gpu_evaluator_free(g);
    return CHECK_DONE();
}
