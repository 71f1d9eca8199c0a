/* gpu_evaluator.h -- the GPU evaluator: an evo_evaluator that compiles candidates with NVRTC
 * on the calling (CPU) thread (after the source policy), then hands them to the evo-worker
 * process of a device, which runs them in its evo-sandbox and compares their outputs with the
 * host references in its own CUDA context (README: "Fitness that cannot be gamed").
 *
 * Concurrency: every engine slot compiles in parallel; GPU work is serialised per device
 * through one worker per device, so compilation runs ahead of the GPU. A sandbox that faults
 * or hangs (watchdog: evaluator.timeout_s) is killed and replaced by its worker, a worker that
 * dies by the evaluator; the candidate gets RUNTIME_ERROR or TIMEOUT with the CUDA error text.
 *
 * Fitness = mean over workloads of baseline latency / candidate latency; 0 if any fails. */
#ifndef EVO_GPU_EVALUATOR_H
#define EVO_GPU_EVALUATOR_H
#include "evo.h"
#include "task.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct gpu_evaluator gpu_evaluator;

/* Build from a config's evaluator section (section.h: defaults filled in): task folder or
 * FlashInfer dataset, workloads, trials, warm-up, iterations, timeout, cache dir, devices;
 * paths relative to base_dir (the config file's folder); seed for what the evaluator draws
 * reproducibly. Loads the task; starts no process. Returns EVO_OK, or EVO_ECONFIG / EVO_EIO
 * with err naming the problem. */
#include <jansson.h>
int gpu_evaluator_new(const json_t *section, const char *base_dir, uint64_t seed,
                      gpu_evaluator **out, char *err, size_t errlen);
void gpu_evaluator_free(gpu_evaluator *g);
/* The evo_evaluator table bound to g (start launches the workers and reports EVO_ENOGPU with
 * "no CUDA device found: ..." when there is none; evaluate; describe; stop). */
evo_evaluator gpu_evaluator_table(gpu_evaluator *g);
/* Why the last start failed ("" if it did not): the message start gives the engine, for a
 * caller that starts the table without one (evo validate). */
const char *gpu_evaluator_start_error(const gpu_evaluator *g);
/* The loaded task (seeds, workloads, definition). */
const evo_task *gpu_evaluator_task(const gpu_evaluator *g);
/* Device facts after start: name, e.g. "NVIDIA H100 80GB HBM3", arch "sm_90a", and the
 * measured ceilings (copy bandwidth in GB/s, cuBLAS TFLOP/s for the task's GEMM shape or 0). */
const char *gpu_evaluator_device_name(const gpu_evaluator *g);
const char *gpu_evaluator_arch(const gpu_evaluator *g);
double gpu_evaluator_ceiling_gbps(const gpu_evaluator *g);
double gpu_evaluator_ceiling_tflops(const gpu_evaluator *g);
/* What task workload wi's figures are measured against, as each figure's "baseline" text
 * records it: "trace:<solution>" where a FlashInfer-Bench trace (evaluator.baseline, or the
 * task's "trace" baseline) has a record for it, else the task's own kind ("kernel",
 * "cublas", "none"). */
const char *gpu_evaluator_baseline(const gpu_evaluator *g, int wi);
/* Compile every seed of the task at its defaults and at `samples` random valid points of its
 * space for arch, with no GPU. Prints one line per compile to out; returns the number of
 * failures. Used by `evo check`. */
int gpu_check_task(const evo_task *t, const char *arch, int samples, uint64_t seed, FILE *out);
/* A "kernel" baseline as the sandbox will run it, on the CPU: its launch plan parsed against
 * the definition and resolved for every workload on arch, and (compile) the source compiled
 * with NVRTC. 0 (also for other baseline kinds), or -1 with err naming the task and what is
 * wrong. `evo check` runs it (gpu_check_task) and so does opening the evaluator (no compile),
 * so a baseline that cannot run stops `evo run` before any GPU time. */
int gpu_check_baseline(const evo_task *t, const char *arch, int compile, char *err, size_t errlen);
#endif
