/* sandbox.h -- the state of evo-sandbox, the process whose CUDA context runs candidate code.
 *
 * Nothing a candidate could use to pass without doing the work lives here: no reference
 * output, no stored input set, no comparison. Inputs are drawn on the GPU right before each
 * run from a seed the candidate never sees (input_gen.h; the harness, evo-worker, computes
 * references on the host from the same seeds for the runs it compares); outputs go to a ring
 * of slots, one per run, which evo-worker maps through CUDA IPC and compares in its own
 * context after the sequence. Every run of a sequence looks the same to the candidate: fresh
 * inputs, poisoned outputs and workspaces, canaries, an L2 flush, then its launches between
 * two events, then the harness's own check of its inputs and canaries, whose verdict is a
 * random token per run that the candidate cannot forge.
 *
 * Files: sandbox_main.c (request loop), sandbox_setup.c (device, ring, harness kernels,
 * ceilings), sandbox_workload.c (layout and fixed inputs of a workload), sandbox_run.c (a
 * sequence of runs), cuda_launch.c (programs and launch plans), cuda_baseline.c (cuBLAS and
 * the matrix ceiling), sandbox_kernels.c (the harness's own kernels). */
#ifndef EVO_SANDBOX_H
#define EVO_SANDBOX_H
#include <cuda_runtime_api.h>
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cuda_error.h"
#include "evo_status.h"
#include "plan.h"
#include "task.h"

#define SB_GUARD 256 /* canary bytes before and after every buffer (keeps data 256-aligned) */
#define SB_MAX_INPUTS 32
#define SB_MAX_OUTPUTS 8
#define SB_MAX_GUARDS 128 /* two per buffer: before and after */
#define SB_MAX_FILLS 16   /* ranges one launch poisons, or demotes in L2 (Fills in the .cu) */
#define SB_PROGRAMS 3     /* candidate slots "a" and "b", then the task's baseline kernel */
#define SB_BASELINE 2

/* A device buffer with canaries: [guard][bytes of data][guard]. */
typedef struct cw_buffer {
    unsigned char *base, *data;
    size_t bytes;
    char name[TASK_NAME];
} cw_buffer;

/* A workload as the sandbox lays it out: drawn inputs at offsets of the input region (one
 * set, redrawn every run), fixed inputs (stored blobs) in buffers of their own, scalar inputs
 * by value, outputs at fixed offsets of every ring slot. */
typedef struct sb_workload {
    int ready;
    int *drawn;        /* per input: 1 drawn before every run */
    size_t *in_bytes;  /* per input */
    size_t *in_off;    /* drawn inputs: offset of the data in the input region */
    void **fixed_host; /* fixed tensors: the host copy (to check and restore); scalars: value */
    cw_buffer *fixed;  /* fixed tensors on the device */
    size_t *out_bytes; /* per output */
    size_t *out_off;   /* per output: offset of the data in a ring slot */
    size_t slot_bytes, region_bytes;
} sb_workload;

/* What one run hands the candidate. */
typedef struct sb_args {
    void *in[SB_MAX_INPUTS];                /* device pointer per tensor input (NULL if absent) */
    unsigned char scalar[SB_MAX_INPUTS][8]; /* scalar inputs, by value */
    void *out[SB_MAX_OUTPUTS];
} sb_args;

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

/* A program bound to one workload: resolved launches, workspaces. */
typedef struct cw_bound {
    plan_launch launch[PLAN_MAX_KERNELS];
    cw_buffer ws[PLAN_MAX_WORKSPACES];
    int nws;
} cw_bound;

typedef struct sandbox {
    evo_task *task;
    int device;
    char name[256];
    int cc_major, cc_minor, sms;
    int64_t l2_bytes, smem_optin, mem_bytes;
    char cache_dir[512];
    int reply_fd;
    pthread_mutex_t send_lock;
    cudaStream_t stream;
    void *flush;
    size_t flush_bytes;
    int max_runs;
    unsigned char *ring; /* max_runs slots of `stride` bytes, exported to evo-worker */
    size_t ring_bytes, stride;
    unsigned char *region; /* the drawn inputs of the current run */
    size_t region_bytes;
    cudaEvent_t *ev_start, *ev_end;
    void *dfail;           /* per run: what the harness's check found */
    uint64_t *dres, *hres; /* per run: the token, or 0 (device, pinned host) */
    cudaLibrary_t hlib;
    cudaKernel_t k_gen, k_guard, k_pre, k_post;
    sb_workload *wl;
    cw_program *prog[SB_PROGRAMS];
    void *cublas; /* cublasHandle_t for "cublas" baselines and the ceiling */
    double ceiling_gbps, ceiling_tflops;
    void *staging;
    size_t staging_bytes;
} sandbox;

/* The values of one run's check, as the harness kernels leave them (sandbox_kernels.c). */
typedef struct sb_fail {
    uint32_t input_bad;                     /* bit k: the k-th drawn input differs from its draw */
    uint32_t guard_bad[SB_MAX_GUARDS / 32]; /* bit g: guard g lost its canary */
    uint32_t done;                          /* blocks of the check that finished */
    uint32_t pad[2];
    uint64_t first[SB_MAX_INPUTS]; /* per drawn input: the first element that differs */
    int32_t lo[SB_MAX_GUARDS], hi[SB_MAX_GUARDS]; /* lowest and highest bad byte of each guard */
} sb_fail;

/* sandbox_setup.c */
json_t *sb_init(sandbox *s, json_t *req);
void sb_free(sandbox *s);

/* sandbox_kernels.c: the harness kernels, built with NVRTC at start. */
int sb_kernels_load(sandbox *s, cw_error *e);
void sb_kernels_free(sandbox *s);
/* Draw n random elements of a dtype into ptr (benchmarks' inputs). */
int sb_draw(sandbox *s, void *ptr, uint64_t n, int kind, uint64_t key, cw_error *e);
/* Write (check = 0) or verify (check = 1) canaries at guards[0..n). Arming also clears
 * *fail when clear_fail is set. */
int sb_guards(sandbox *s, unsigned char *const *guards, int n, int check, int clear_fail,
              void *fail, cw_error *e);
/* Before run r in one launch: clear its findings, write the canaries guards[0..n), poison
 * fills[0..nf) (data ranges), draw the inputs for seed. */
int sb_pre(sandbox *s, int wi, uint64_t seed, unsigned char *const *guards, int n,
           unsigned char *const *fills, const size_t *fill_bytes, int nf, void *fail, cw_error *e);
/* After run r in one launch: check the canaries, the inputs (if check_inputs), and write the
 * verdict (token or 0) into *res. */
int sb_post(sandbox *s, int wi, uint64_t seed, int check_inputs, unsigned char *const *guards,
            int n, void *fail, uint64_t *res, uint64_t token, cw_error *e);

/* sandbox_workload.c */
int sb_buffer_alloc(cw_buffer *b, const char *name, size_t bytes, cw_error *e);
void sb_buffer_free(cw_buffer *b);
/* The canary pattern (position dependent, so a stray constant is unlikely to match). */
void sb_guard_pattern(unsigned char *p);
/* The layout of workload wi (sizes checked against overflow and device memory). */
int sb_workload_layout(const evo_task *t, int wi, size_t *slot_bytes, size_t *region_bytes,
                       char *err, size_t errlen);
/* Lay out workload wi and upload its fixed inputs (once). */
int sb_workload_prepare(sandbox *s, int wi, cw_error *e);
/* The arguments of a run of wi in ring slot `slot` (scalar inputs drawn for seed). */
void sb_workload_args(sandbox *s, int wi, int slot, uint64_t seed, sb_args *a);
/* Fixed inputs still as uploaded? Restores them if not (GUARD_VIOLATION naming the input). */
int sb_workload_check_fixed(sandbox *s, int wi, cw_error *e);
void sb_workloads_free(sandbox *s);

/* sandbox_run.c: a sequence of runs of program p on workload wi, one seed per run; runs
 * [timed_from, n) are timed; check[r]: verify after run r that its inputs are the draw (the
 * harness asks it for the runs it compares; canaries are checked after every run). isolate: synchronise and reset the persisting L2 before every
 * run (the re-measure of a workload that beat its floor). latencies_us gets n - timed_from
 * values. */
int sb_sequence(sandbox *s, int p, int wi, const uint64_t *seeds, const unsigned char *check, int n,
                int timed_from, int isolate, double *latencies_us, cw_error *e);

/* cuda_launch.c */
int cw_program_load(sandbox *s, const char *source, const void *cubin, size_t n, json_t *params,
                    cw_program **out, cw_error *e);
void cw_program_free(cw_program *p);
int cw_bind(sandbox *s, cw_program *p, int wi, cw_bound *b, cw_error *e);
void cw_unbind(cw_bound *b);
/* Enqueue the plan's launches for one run on s->stream (no synchronisation). */
int cw_launch(sandbox *s, cw_program *p, cw_bound *b, int wi, const sb_args *a, cw_error *e);

/* Plan-expression lookup: axes of the workload, program parameters, device constants. */
typedef struct cw_lookup_ctx {
    const sandbox *s;
    const task_workload *wl;
    const cw_program *p;
} cw_lookup_ctx;
int cw_lookup(void *user, const char *name, int64_t *out);

/* cuda_baseline.c */
int cw_baseline_init(sandbox *s, cw_error *e);
void cw_baseline_free(sandbox *s);
/* Whether the task's baseline is cuBLAS (then sb_sequence runs it for p == SB_BASELINE). */
int cw_baseline_is_cublas(const sandbox *s);
int cw_cublas_run(sandbox *s, int wi, const sb_args *a, cw_error *e);
/* Copy bandwidth (bytes read plus written) and the bf16 matrix rate of cuBLAS on an
 * 8192-cube product of random inputs. */
int cw_measure_copy_gbps(sandbox *s, double *gbps, cw_error *e);
int cw_measure_matrix_tflops(sandbox *s, double *tflops, cw_error *e);
#endif
