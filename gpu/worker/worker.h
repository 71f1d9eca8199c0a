/* worker.h -- the state of evo-worker, the harness process of one device.
 *
 * It holds everything a candidate must never reach, in a CUDA context of its own: the pool
 * of reference-checked input sets of each workload (their secret seeds, the host references,
 * the references' device copies) and the comparison kernels. Candidate code runs in another
 * process, evo-sandbox, which this one starts, watches and replaces; outputs cross over by
 * CUDA IPC (the sandbox's ring of output slots, mapped here read-only in effect) and are
 * compared here after each sequence of runs. A sandbox that faults, hangs or wrote outside
 * its buffers is replaced; the references survive it.
 *
 * For each candidate and workload the worker decides, from a random stream the candidate
 * cannot know: how many warm-up runs (around evaluator.warmup), which runs are compared (as
 * many as evaluator.trials, anywhere among warm-up and timed runs) and with which pool sets
 * (never one twice), and a fresh seed for every other run.
 *
 * Files: worker_main.c (requests of the engine's evaluator), worker_sandbox.c (the sandbox
 * process), worker_pool.c (pool sets and references), worker_compare.c (comparison on the
 * device), worker_eval.c (a workload's evaluation, the floors, the interleaved re-timing),
 * worker_heartbeat.c (ticks to the engine's watchdog). */
#ifndef EVO_WORKER_H
#define EVO_WORKER_H
#include <cuda_runtime_api.h>
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cuda_error.h"
#include "evo_status.h"
#include "gate.h"
#include "ipc.h"
#include "pcg.h"
#include "task.h"

#define HW_MAX_OUTPUTS 8

/* One reference-checked input set of a workload: its seed and the references' device copies
 * (with a keyed digest of each, taken at upload and re-taken by every comparison). */
typedef struct hw_set {
    uint64_t seed;
    float **dref;     /* per output */
    uint64_t *digest; /* per output */
} hw_set;

typedef struct hw_workload {
    int ready;
    hw_set *sets; /* worker.pool of them */
    int baseline_done;
    double baseline_us;
    char baseline_err[CW_MSG];
} hw_workload;

typedef struct worker {
    evo_task *task;
    json_t *task_req; /* how the sandbox loads the same task */
    int device, trials, warmup, iterations, pool, fresh_pool;
    double timeout_s, floor_slack;
    char cache_dir[512];
    int reply_fd;
    pthread_mutex_t send_lock;
    volatile int busy, quit; /* the heartbeat ticks to the engine while busy */
    pthread_t beat;
    /* the sandbox */
    ipc_child sb;
    int sb_alive;
    char sb_err[2048];
    json_t *device_facts;
    double ceiling_gbps, ceiling_tflops;
    unsigned char *ring; /* the sandbox's output slots, mapped by CUDA IPC */
    size_t stride;
    int max_runs;
    char loaded[2][65]; /* hash of the program in sandbox slots a and b */
    /* comparison */
    cudaStream_t stream;
    cudaLibrary_t clib;
    cudaKernel_t cmp_kernel[3], row_kernel[3]; /* f32, f16, bf16 */
    float *row_buf; /* per-row findings of the row checks, grown as needed */
    size_t row_cap;
    void *dstats, *hstats;
    uint64_t digest_key;
    hw_workload *wl;
    evo_pcg32 rng; /* seeded from getrandom: positions, warm-ups, fresh seeds */
} worker;

/* A workload's verdict and figures in the making. */
typedef struct hw_figures {
    double latency_us, max_abs, max_rel, worst_row_error, worst_row_ratio;
    int remeasured;
} hw_figures;

/* The worker's random stream: positions, warm-up counts, fresh seeds. */
static inline uint64_t hw_random64(worker *w)
{
    return (uint64_t)pcg32_next(&w->rng) << 32 | pcg32_next(&w->rng);
}

/* worker_heartbeat.c */
/* Tell the engine the worker is alive and what it does now. */
void hw_tick(worker *w, const char *what);
/* A setup step's progress for the engine's display: done of total units of step. */
void hw_progress(worker *w, const char *step, int64_t done, int64_t total);
/* hw_busy(w, 1) begins a busy step, hw_busy(w, 0) ends it; steps nest. While any is open a
 * thread ticks every 250 ms (the engine's watchdog hears from a long step). */
void hw_busy(worker *w, int busy);
int hw_heartbeat_start(worker *w);
void hw_heartbeat_stop(worker *w);

/* worker_sandbox.c */
/* Start the sandbox if it is not running (measuring ceilings when none are known yet). */
int hw_sandbox_ensure(worker *w, cw_error *e);
/* Put a program into slot 0 ("a") or 1 ("b"); skipped when the same one is there. */
int hw_sandbox_load(worker *w, int slot, const char *hash, const char *source, json_t *params,
                    const void *cubin, size_t n, cw_error *e);
/* A sequence: program "a", "b" or "baseline"; latencies_us gets n - timed_from values and
 * slot_off the offset of each output in a ring slot. A TIMEOUT or fault replaces the sandbox. */
int hw_sandbox_run(worker *w, const char *program, int wi, const uint64_t *seeds, const int *check,
                   int ncheck, int n, int timed_from, int isolate, double *latencies_us,
                   size_t *slot_off, cw_error *e);
/* Stop (and reap) the sandbox; unmaps the ring. */
void hw_sandbox_stop(worker *w, int polite);

/* worker_pool.c */
int hw_pool_prepare(worker *w, int wi, cw_error *e);
/* Forget a workload's references (they changed after upload): rebuilt on next use. */
void hw_pool_drop(worker *w, int wi);
void hw_pool_free(worker *w);

/* worker_compare.c */
int hw_compare_init(worker *w, cw_error *e);
void hw_compare_free(worker *w);
/* Digest of a reference on the device (at upload). */
int hw_digest(worker *w, const float *dref, int64_t n, uint64_t *out, cw_error *e);
/* Compare output o of run slot r (of workload wi) with pool set k. Fails with
 * INCORRECT_NUMERICAL (naming the workload, output and first bad element) or
 * HARNESS_TAMPERED (the reference changed since upload: the caller drops the workload's
 * pool with hw_pool_drop); figures updated. */
int hw_compare(worker *w, int wi, int k, int slot, int o, size_t slot_off, hw_figures *f,
               cw_error *e);

/* worker_eval.c */
/* Gate and time one workload of the program in slot "a": figures and the baseline's latency
 * (measured once per workload, through the same protocol). Returns 0, -1 (the candidate
 * failed: e says how), or -2 (the harness failed: stop the run). */
int hw_eval_workload(worker *w, int wi, hw_figures *f, double *baseline_us, cw_error *e);
/* One interleaved round: program "a" then "b" on every workload of list, each on fresh
 * inputs and gated; fitness of each (mean speedup over the baseline). */
int hw_confirm_round(worker *w, const int *list, int n, double *fit_a, double *fit_b, cw_error *e);
#endif
