/* export.h -- FlashInfer-Bench export of a searched candidate: a Solution JSON (the candidate
 * source with its parameters applied, plus a host binding that this code generates from the
 * candidate's launch plan) and Trace lines, one per workload the candidate was evaluated on,
 * in the FlashInfer Trace format:
 *
 *   Solution {"name", "definition", "author", "description",
 *             "spec": {"language": "cuda", "target_hardware": [...], "entry_point":
 *                      "binding.cpp::run", "dependencies": [], "binding": "torch",
 *                      "destination_passing_style": true},
 *             "sources": [{"path": "kernel.cuh", "content"}, {"path": "kernel.cu", ...},
 *                         {"path": "binding.cpp", ...}]}
 * FlashInfer-Bench's TorchBuilder compiles every .cu/.cpp source of a Solution and links them
 * into one torch extension, with torch's default flags (nvcc for sm_90 unless
 * TORCH_CUDA_ARCH_LIST says otherwise, host code unoptimised). So the candidate is a header
 * (kernel.cuh, the rendered source) that exactly one translation unit includes: kernel.cu, no
 * torch header in it, the plan's launches (evo_plan_launch) with the half/bfloat16 operators
 * torch's flags take away given back, as NVRTC had them; binding.cpp holds the torch side (the
 * pybind11 entry `run`, tensor checks, the current stream) and calls it.
 *   Trace    {"definition", "workload": {"uuid", "axes", "inputs"}, "solution",
 *             "evaluation": {"status", "environment": {"hardware", "libs"}, "timestamp",
 *                            "log", "correctness": {"max_relative_error",
 *                            "max_absolute_error"}, "performance": {"latency_ms",
 *                            "reference_latency_ms", "speedup_factor"}}}
 * correctness is present exactly for PASSED and INCORRECT_NUMERICAL, performance exactly for
 * PASSED (FlashInfer-Bench's own validation rule). The reference latency is the task's
 * baseline, timed by the same harness. Files are laid out as a FlashInfer Trace dataset:
 * OUT/solutions/<author>/<op_type>/<definition>/<name>.json and
 * OUT/traces/<author>/<op_type>/<definition>.jsonl.
 *
 * Importing needs no command: the config keys evaluator.dataset and evaluator.definition
 * build a task from any FlashInfer Trace dataset folder (task_from_flashinfer). */
#ifndef EVO_EXPORT_H
#define EVO_EXPORT_H
#include <jansson.h>
#include <stddef.h>

#include "plan.h"
#include "task.h"

typedef struct export_info {
    const char *name;      /* solution name */
    const char *author;    /* "evo" */
    const char *hardware;  /* environment.hardware and spec.target_hardware[0] */
    const char *timestamp; /* ISO-8601 */
    const char *libs;      /* "cuda=13.0" style, comma-separated; may be NULL */
} export_info;

/* kernel.cu: includes kernel.cuh (rendered: the candidate) and defines
 * evo_plan_workspaces(dev, axes, counts) and evo_plan_launch(dev, axes, tensors, scalars,
 * workspaces, stream, &failed), the plan's kernels in order on stream (grid, block and smem
 * from the plan's expressions; cudaFuncSetAttribute only when a kernel needs more shared
 * memory than it was allowed before; device facts asked once per device). Caller frees. */
char *export_launcher(const evo_task *t, const evo_plan *p, const char *rendered, char *err,
                      size_t errlen);

/* binding.cpp: `run(inputs..., outputs...)` in the definition's order (pybind11, torch
 * tensors): checks every tensor (CUDA, one device, dtype, rank, contiguous, each dim against
 * its axis), derives the axes, allocates the workspaces and calls evo_plan_launch on the
 * current stream. Caller frees. NULL with err on a plan it cannot express. */
char *export_binding(const evo_task *t, const evo_plan *p, char *err, size_t errlen);

/* The Solution object for a rendered source (parameters applied as #defines). */
json_t *export_solution(const evo_task *t, const evo_plan *p, const char *rendered,
                        const export_info *info, char *err, size_t errlen);

/* The Trace line of workload w from a candidate record (evo/store/store_format.h): figures are
 * record.workloads[w->label] (NULL when the workload was not evaluated: returns NULL). */
json_t *export_trace(const evo_task *t, const task_workload *w, const json_t *record,
                     const export_info *info);

/* FlashInfer-Bench's rules for the objects above: required keys and types, non-empty names,
 * known statuses, correctness/performance present per status, non-negative figures.
 * Return 0, or -1 with err naming the key. */
int export_check_solution(const json_t *s, char *err, size_t errlen);
int export_check_trace(const json_t *tr, char *err, size_t errlen);

/* Write the Solution and the Trace JSONL of a candidate record under out_dir (created).
 * rendered is the source with its parameters applied. Sets *ntraces. Returns 0, or -1 with
 * err naming the file or the record key. */
int export_write(const evo_task *t, const json_t *record, const char *rendered,
                 const export_info *info, const char *out_dir, int *ntraces, char *err,
                 size_t errlen);
#endif
