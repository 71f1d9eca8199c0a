/* export.h -- FlashInfer-Bench export of a searched candidate: a Solution JSON (the candidate
 * source with its parameters applied, plus a host binding that this code generates from the
 * candidate's launch plan) and Trace lines, one per workload the candidate was evaluated on,
 * in the FlashInfer Trace format:
 *
 *   Solution {"name", "definition", "author", "description",
 *             "spec": {"language": "cuda", "target_hardware": [...], "entry_point":
 *                      "binding.cc::run", "dependencies": [], "binding": "tvm-ffi",
 *                      "destination_passing_style": true},
 *             "sources": [{"path": "kernel.cuh", "content"}, {"path": "kernel.cu", ...},
 *                         {"path": "binding.cc", ...}]}
 * (binding.cpp and "torch" for the torch form). FlashInfer-Bench's builders compile every
 * .cu/.cc/.cpp source of a Solution and link them into one shared library: TVMFFIBuilder (its
 * default) with nvcc for the device's arch (sm_90 unless TVM_FFI_CUDA_ARCH_LIST says otherwise)
 * and g++ -O2 without CUDA's include path for .cc; TorchBuilder with torch's flags (sm_90 unless
 * TORCH_CUDA_ARCH_LIST says otherwise, host code unoptimised). So the candidate is a header
 * (kernel.cuh, the rendered source) that exactly one translation unit includes: kernel.cu, no
 * framework header in it, the plan's launches (evo_plan_launch) with the half/bfloat16
 * operators torch's flags take away given back, as NVRTC had them; the binding holds the
 * framework side (the entry `run`, tensor checks, the current stream) and calls it. The
 * TVM-FFI form costs FlashInfer-Bench less host time per call (bench/NOTES.md, binding floor).
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

#include "export_binding.h"
#include "export_launcher.h"
#include "plan.h"
#include "task.h"

typedef struct export_info {
    const char *name;      /* solution name */
    const char *author;    /* "evo" */
    const char *hardware;  /* environment.hardware and spec.target_hardware[0] */
    const char *timestamp; /* ISO-8601 */
    const char *libs;      /* "cuda=13.0" style, comma-separated; may be NULL */
    export_binding_kind binding;
} export_info;

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
