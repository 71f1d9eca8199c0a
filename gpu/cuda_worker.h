/* cuda_worker.h -- the state of evo-worker, the process that owns the CUDA context, shared
 * by its files: cuda_buffers.c (guarded device buffers, cached input sets and references),
 * cuda_launch.c (loading cubins and running launch plans), cuda_gate.c (the correctness
 * gate), cuda_timing.c (honest timing, copy-bandwidth ceiling), cuda_baseline.c (cuBLAS or
 * kernel baseline, matrix ceiling) and worker_main.c (the request loop).
 * Only the runtime API is used (cudaLibraryLoadData for cubins), linked statically, so the
 * binary starts on a machine with no driver and says so. */
#ifndef EVO_CUDA_WORKER_H
#define EVO_CUDA_WORKER_H
#include <cuda_runtime_api.h>
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "evo.h"
#include "plan.h"
#include "task.h"

#define CW_GUARD 256   /* canary bytes before and after every buffer (keeps data 256-aligned) */
#define CW_MSG 2048

/* A verdict in the making: status, message, and whether the context is now unusable. */
typedef struct cw_error {
    evo_status status;   /* EVO_STATUS_PASSED while nothing went wrong */
    int sticky;          /* a CUDA error that poisons the context: reply, then exit */
    char msg[CW_MSG];
} cw_error;

/* A device buffer with canaries: [guard][bytes of data][guard]. */
typedef struct cw_buffer {
    unsigned char *base, *data;
    size_t bytes;
    char name[TASK_NAME];
} cw_buffer;

/* One input set of a workload: inputs drawn for a seed, on host and device, and the host
 * reference for them (computed on first use). */
typedef struct cw_set {
    uint64_t seed;
    void **host;          /* per definition input; NULL when absent */
    size_t *bytes;
    uint64_t *checksum;   /* of host[i] */
    cw_buffer *dev;       /* per definition input */
    float **ref;          /* per output, NULL until computed */
    void **pristine;      /* device copies of host[i] for the input check (cuda_check.c) */
    float **dref;         /* device copies of ref[o] for the output check */
} cw_set;

typedef struct cw_workload {
    int ready;
    int nsets;
    cw_set *sets;         /* trials first, then timing-only sets */
    cw_buffer *outs;      /* per definition output, reused by every candidate */
    int baseline_done;
    double baseline_us;
    char baseline_err[CW_MSG];
} cw_workload;

/* A loaded program: a cubin, its launch plan, its parameters (for plan expressions). */
typedef struct cw_program {
    cudaLibrary_t lib;
    evo_plan *plan;
    cudaKernel_t kernels[PLAN_MAX_KERNELS];
    int nparams;
    char (*param_names)[TASK_NAME];
    int64_t *param_values;
    int *param_is_int;
} cw_program;

/* A program bound to one workload: resolved launches, workspaces, argument storage. */
typedef struct cw_bound {
    plan_launch launch[PLAN_MAX_KERNELS];
    cw_buffer ws[PLAN_MAX_WORKSPACES];
    int nws;
} cw_bound;

typedef struct worker {
    evo_task *task;
    int device;
    char name[256];
    int cc_major, cc_minor, sms;
    int64_t l2_bytes, smem_optin, mem_bytes;
    int trials, warmup, iterations, input_sets;
    uint64_t seed;
    char cache_dir[512];
    int reply_fd;         /* for ticks */
    pthread_mutex_t send_lock; /* ticks come from the heartbeat thread too */
    volatile int host_busy;    /* the heartbeat ticks while long host work runs */
    volatile int quit;
    cudaStream_t stream;
    void *flush;
    size_t flush_bytes;
    cudaEvent_t *ev_start, *ev_end;
    cw_workload *wl;      /* per task workload */
    void *cublas;         /* cublasHandle_t, created on first use */
    cw_program *baseline; /* "kernel" baselines */
    double ceiling_gbps, ceiling_tflops;
    void *staging;        /* pinned host buffer for reading results back, grown as needed */
    size_t staging_bytes;
    int dcheck;           /* the device-side checks of cuda_check.c are loaded */
    cudaLibrary_t check_lib;
    cudaKernel_t check_kernels[4];
    void *dstats, *hstats;
} worker;

/* Check a CUDA return code: on failure sets RUNTIME_ERROR "what: cudaErrorName: string",
 * marks the error sticky when the context is now unusable, and returns -1; else 0. */
int cw_cuda_check(cw_error *e, cudaError_t rc, const char *what);
void cw_fail(cw_error *e, evo_status s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Put prefix in front of the message (truncating the end). */
void cw_prefix(cw_error *e, const char *prefix);
/* Send a watchdog tick to the parent ("what" is informational). */
void cw_tick(worker *w, const char *what);
/* Mark long host work (inputs, references): a heartbeat keeps the watchdog fed meanwhile. */
void cw_host_busy(worker *w, int busy);

/* A pinned host buffer of at least `bytes` (reused): device-to-host copies into pageable
 * memory run several times slower and fault every page in on each call. */
void *cw_staging(worker *w, size_t bytes, cw_error *e);

/* cuda_buffers.c */
int cw_buffer_alloc(cw_buffer *b, const char *name, size_t bytes, cw_error *e);
void cw_buffer_free(cw_buffer *b);
/* Fill the guards with the canary pattern and (poison) the data with 0xFF (NaN in every
 * float dtype), asynchronously on stream. */
int cw_buffer_arm(cw_buffer *b, int poison, cudaStream_t s, cw_error *e);
/* Check both guards; GUARD_VIOLATION "what 'NAME': N bytes written past the end". */
int cw_buffer_check_guards(cw_buffer *b, const char *what, cw_error *e);
/* The input sets of workload wi (allocated on first use); the set's reference. */
int cw_workload_prepare(worker *w, int wi, cw_error *e);
int cw_set_reference(worker *w, int wi, cw_set *s, cw_error *e);
/* Copy host inputs of `from` into the device buffers of `into` (to restore or swap). */
int cw_set_upload(worker *w, const cw_set *from, cw_set *into, cw_error *e);
void cw_workloads_free(worker *w);

/* cuda_launch.c */
int cw_program_load(worker *w, const char *source, const void *cubin, size_t n,
                    json_t *params, cw_program **out, cw_error *e);
void cw_program_free(cw_program *p);
int cw_bind(worker *w, cw_program *p, int wi, cw_bound *b, cw_error *e);
void cw_unbind(cw_bound *b);
/* Enqueue the plan's launches for input set s on w->stream (no synchronisation). */
int cw_launch(worker *w, cw_program *p, cw_bound *b, int wi, const cw_set *s, cw_error *e);

/* cuda_gate.c: the gate for one workload (trials, guards, checksums, comparison); the
 * per-workload figures go into wl_json (max_abs_err, max_rel_err). */
int cw_gate(worker *w, cw_program *p, cw_bound *b, int wi, json_t *wl_json, cw_error *e);
/* After timing: swap in another set's data under the same pointers and check again. */
int cw_gate_after_timing(worker *w, cw_program *p, cw_bound *b, int wi, cw_error *e);
/* Poison outputs and workspaces (b may be NULL); after a run, check guards, inputs
 * (against content_set's checksums) and outputs (against its reference). */
int cw_poison(worker *w, cw_bound *b, int wi, cw_error *e);
int cw_verify(worker *w, cw_bound *b, int wi, int buf_set, int content_set, double *max_abs,
              double *max_rel, cw_error *e);
/* Poison outputs and workspaces, run once on set s, synchronise, verify. */
int cw_run_checked(worker *w, cw_program *p, cw_bound *b, int wi, int s, cw_error *e);

/* cuda_check.c: output and input checks on the device (falls back to the host path when
 * the check kernels could not be built or the dtype is not covered). */
void cw_check_init(worker *w);
void cw_check_free(worker *w);
int cw_check_covers(const worker *w, evo_dtype dt);
int cw_check_input_device(worker *w, const cw_buffer *b, cw_set *content, int wi, int i, int *same,
                          cw_error *e);
struct gate_stats;
int cw_check_output_device(worker *w, const cw_buffer *b, evo_dtype dt, cw_set *content, int wi, int o,
                           int64_t n, double atol, double rtol, struct gate_stats *st, cw_error *e);

/* cuda_timing.c */
typedef int (*cw_run_fn)(worker *w, void *user, int set, cw_error *e);
int cw_timing_init(worker *w, cw_error *e);
/* Median microseconds of `iterations` runs after `warmup`, L2 flushed before each,
 * rotating among the workload's input sets. */
int cw_time(worker *w, cw_run_fn run, void *user, int nsets, double *median_us, cw_error *e);
int cw_measure_copy_gbps(worker *w, double *gbps, cw_error *e);

/* cuda_baseline.c */
int cw_baseline_init(worker *w, cw_error *e);
/* Baseline latency of workload wi (timed once per worker, cached). */
int cw_baseline_us(worker *w, int wi, double *us, cw_error *e);
int cw_measure_gemm_tflops(worker *w, double *tflops, cw_error *e);
void cw_baseline_free(worker *w);

/* Plan-expression lookup: axes of the workload, program parameters, device constants. */
typedef struct cw_lookup_ctx {
    const worker *w;
    const task_workload *wl;
    const cw_program *p;
} cw_lookup_ctx;
int cw_lookup(void *user, const char *name, int64_t *out);
#endif
