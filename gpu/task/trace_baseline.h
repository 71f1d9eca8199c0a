/* trace_baseline.h -- a baseline read from a FlashInfer-Bench trace file: the JSONL that
 * FlashInfer-Bench writes when it benchmarks a solution (one Trace per line: definition,
 * workload {uuid, axes, inputs}, solution, evaluation {status, environment {hardware, libs},
 * timestamp, log, correctness, performance {latency_ms, reference_latency_ms,
 * speedup_factor}}), the same schema `evo export` writes and export_check_trace checks: every
 * line goes through that one check.
 *
 * The rules:
 *   - every line must be a Trace of the task's definition (another definition is refused,
 *     naming the file and line); a malformed line is refused the same way;
 *   - workload-only lines (no solution, no evaluation) and records that did not pass are
 *     skipped (counted); only PASSED records count;
 *   - records of one solution count: the one named, else the file must hold only one;
 *   - a record is matched to a task workload by uuid, else by axes (every var axis equal) when
 *     exactly one task workload has those axes (ambiguous ones are skipped, counted);
 *   - several records for one workload: their median latency (the mean of the middle two when
 *     even), so one slow or fast outlier does not move the baseline;
 *   - the records used must come from one device (environment.hardware); whether that is ours
 *     is checked once the GPU is known (task_trace_device_check).
 * latency_ms becomes us. FlashInfer-Bench times each call from the host (launch included, L2
 * flushed, median of its iterations); evo times kernels on the device: configs/README.md says
 * what that means for the speedups. */
#ifndef EVO_TRACE_BASELINE_H
#define EVO_TRACE_BASELINE_H
#include <stddef.h>

#include "task.h"

typedef struct task_trace_baseline {
    char path[1024];
    char solution[TASK_NAME];      /* the solution whose records are used */
    char label[TASK_NAME + 8];     /* "trace:<solution>", what figures against it are marked */
    char hardware[256];            /* environment.hardware of those records */
    char timestamp[64];            /* the latest record's evaluation.timestamp */
    int nworkloads;                /* the task's */
    double *us;                    /* per task workload: the median latency in us, 0 = none */
    int *nrecords;                 /* per task workload: PASSED records used */
    int matched, by_uuid, by_axes; /* workloads covered; records matched each way */
    int lines, skipped_status, skipped_solution, workload_only, unmatched, ambiguous;
} task_trace_baseline;

/* Read path against task t, for solution (NULL or "": the file's only one). 0 with *out
 * set, or -1 with err "FILE:LINE: ..." or naming the file and what is wrong. */
int task_trace_baseline_load(const char *path, const evo_task *t, const char *solution,
                             task_trace_baseline **out, char *err, size_t errlen);
void task_trace_baseline_free(task_trace_baseline *b);
/* Whether the trace's device is device (the name the worker reports, e.g. "NVIDIA H200";
 * compared without case, spaces and underscores alike). 0 when it is or allow is set, else
 * -1 with err naming the file, both devices and the key that accepts it. */
int task_trace_device_check(const task_trace_baseline *b, const char *device, int allow, char *err,
                            size_t errlen);
#endif
