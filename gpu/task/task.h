/* task.h -- tasks: a FlashInfer Trace definition, its workloads, tolerances, a host
 * reference, a baseline, a cost model, and the seed kernels with their parameter spaces.
 *
 * A task lives in a folder kernels/<op>/ with task.json:
 *   {"definition": "definition.json",      FlashInfer Trace definition (as published)
 *    "workloads": "workloads.jsonl",        FlashInfer Trace workloads (as published)
 *    "tolerance": {"atol": 1e-2, "rtol": 1e-2, "required_ratio": 1.0,
 *                  "row_min_ratio": 0, "row_max_error": 0},  per row of each output (its
 *                  last dimension): matched fraction and relative L2 error bounds; where
 *                  required_ratio < 1 they default to 2 * ratio - 1 and 0.2 (task.c says why)
 *    "reference": "gemm",                   host reference name (reference/reference.h);
 *                                           its table must take the definition
 *    "baseline": {"kind": "cublas"} | {"kind": "kernel", "source": "baseline.cu"}
 *                | {"kind": "none"} (the default),  cublas: only for C = A B^T
 *                                           (task_cublas_check); a kernel: with a launch plan
 *                | {"kind": "trace", "path": "flashinfer.jsonl",   a FlashInfer-Bench trace:
 *                   "solution": "flashinfer_gdn_decode",  its PASSED records' latency_ms
 *                   "allow_other_device": false,  replace the timed baseline where they
 *                   "fallback": {"kind": "kernel", "source": "baseline.cu"}}  cover a
 *                                           workload (trace_baseline.h); the fallback (a
 *                                           baseline of the kinds above, default none) times
 *                                           the rest. solution: needed when the file holds
 *                                           several; allow_other_device: accept a trace whose
 *                                           environment.hardware is not our GPU's name
 *    "cost": {"bytes": "2*(M*K + N*K + M*N)", "flops": "2*M*N*K"},  expressions over axes
 *    "seeds": ["gemm_simt.cu", {"file": "gemm_wgmma.cu", "archs": ["sm_90a"]}],
 *    "defines": {"T": "__half"},            macros for every compile of this task
 *    "nvrtc_options": ["--use_fast_math"],
 *    "notes": "free text"}                  (also "description"; any other key is an error)
 * Paths are relative to the folder and stay in it (no absolute path, no ".."; a symbolic link
 * inside the folder is followed: evo/base/safe_path.h states the rule). FlashInfer files can
 * also be loaded on their own (task_from_flashinfer) to build a task from a user's dataset. */
#ifndef EVO_TASK_H
#define EVO_TASK_H
#include <stddef.h>
#include <stdint.h>

#define TASK_NAME 128
#define TASK_MAX_DIMS 8
/* Bounds on a definition: every workload keeps an entry of about 800 bytes per input, so a
 * definition of 1000 optional inputs and 1000 workloads naming none (144 KB) took 774 MB. */
#define TASK_MAX_TENSORS 64 /* inputs, and outputs */
#define TASK_MAX_AXES 64

typedef enum {
    DT_FLOAT32,
    DT_FLOAT16,
    DT_BFLOAT16,
    DT_FLOAT8_E4M3,
    DT_FLOAT8_E5M2,
    DT_FLOAT64,
    DT_INT64,
    DT_INT32,
    DT_INT16,
    DT_INT8,
    DT_UINT8,
    DT_BOOL,
    DT_COUNT
} evo_dtype;

/* "float32", "bfloat16", "float8_e4m3fn", "int64", ... as FlashInfer writes them. */
const char *dtype_name(evo_dtype t);
int dtype_from_name(const char *s); /* -1 if unknown */
int dtype_size(evo_dtype t);
/* The CUDA C++ type a kernel parameter of this dtype points to ("__half", "float"...). */
const char *dtype_ctype(evo_dtype t);

typedef struct task_axis {
    char name[TASK_NAME];
    int is_var;    /* "var" axes take their value from each workload */
    int64_t value; /* for "const" axes */
} task_axis;

typedef struct task_tensor {
    char name[TASK_NAME];
    evo_dtype dtype;
    int ndim; /* 0 with is_scalar: a scalar input (shape null) */
    int is_scalar;
    int optional; /* the definition marks it optional (may be absent in a workload) */
    char dims[TASK_MAX_DIMS][TASK_NAME]; /* axis names */
} task_tensor;

typedef enum { GEN_RANDOM, GEN_SCALAR, GEN_SAFETENSORS, GEN_ABSENT } task_gen_kind;

typedef struct task_input_gen {
    char name[TASK_NAME];
    task_gen_kind kind;
    double scalar;  /* GEN_SCALAR */
    char path[512]; /* GEN_SAFETENSORS: path as written */
    char tensor_key[TASK_NAME];
} task_input_gen;

typedef struct task_workload {
    char uuid[64];
    char label[128]; /* "M=1024" or "batch_size=7,seq=3": var axes in order */
    int naxes;
    char (*axis_names)[TASK_NAME];
    int64_t *axis_values; /* the var axes' values */
    int ninputs;
    task_input_gen *inputs;
} task_workload;

typedef struct task_definition {
    char name[TASK_NAME];
    char op_type[TASK_NAME];
    char *description;
    char *reference_code; /* the Python reference, kept for prompts and export */
    int naxes;
    task_axis *axes;
    int ninputs, noutputs;
    task_tensor *inputs;
    task_tensor *outputs;
    int nconstraints;
    char **constraints; /* as written (Python expressions), kept for prompts */
} task_definition;

typedef struct evo_task {
    char dir[512];
    task_definition def;
    int nworkloads;
    task_workload *workloads;
    double atol, rtol, required_ratio;
    double row_min_ratio, row_max_error; /* per row (last dim): 0 = not checked */
    char reference[TASK_NAME];           /* host reference name */
    char baseline_kind[16];              /* "cublas", "kernel" or "none" */
    char *baseline_source;               /* kernel text for "kernel" baselines */
    /* A "trace" baseline (task.json; a config's evaluator.baseline replaces it): the trace
     * file (below the task folder), the solution whose records count ("" = the file's only
     * one), and whether a trace from another GPU is accepted. baseline_kind is then the
     * fallback's kind, for the workloads the trace does not cover. */
    char *trace_path;
    char trace_solution[TASK_NAME];
    int trace_allow_other_device;
    char *bytes_expr, *flops_expr; /* cost model over axes */
    int nseeds;
    char (*seed_names)[TASK_NAME]; /* file stem, e.g. "gemm_mma" */
    char **seed_sources;
    char **seed_archs; /* NULL, or "sm_90a,sm_90" where a seed needs those */
    int ndefines;
    char (*define_names)[TASK_NAME];
    char **define_values;
    int nnvrtc_options;
    char **nvrtc_options;
    double *input_scale; /* per definition input, or NULL (all 1) */
} evo_task;

/* Load a FlashInfer Trace definition JSON. Returns 0, or -1 with err naming the file and
 * key that is wrong. */
int task_load_definition(const char *path, task_definition *out, char *err, size_t errlen);
void task_definition_free(task_definition *d);
/* Load a workload JSONL for def (lines for another definition are skipped). A safetensors
 * input is loaded as GEN_SAFETENSORS; whether its blob exists is checked by
 * task_check_blobs. Returns the number loaded, or -1 with err "FILE:LINE: ...". */
int task_load_workloads(const char *path, const task_definition *def, task_workload **out,
                        char *err, size_t errlen);
void task_workloads_free(task_workload *w, int n);
/* Resolve each GEN_SAFETENSORS input's blob against dataset_root, to its real path, which
 * must lie inside the root's real path and be a regular file (else -1, with the workload, the
 * input and the path named, whatever the policy). A blob that is missing: policy 0 -> error
 * naming workload, input and path; policy 1 -> fall back to GEN_RANDOM (documented fallback)
 * and count it. Returns the number of fallbacks or -1. */
int task_check_blobs(task_workload *w, int n, const char *dataset_root, int policy, char *err,
                     size_t errlen);

/* Load kernels/<op>/task.json and everything it names. */
int task_load_dir(const char *dir, evo_task **out, char *err, size_t errlen);
/* Build a task from a FlashInfer Trace dataset root and a definition name (searches
 * definitions/ and workloads/ below root); tolerance defaults 1e-2, required ratio 1. */
int task_from_flashinfer(const char *root, const char *definition, evo_task **out, char *err,
                         size_t errlen);
/* A task from where a config says it lives: the FlashInfer dataset at dataset with definition
 * when dataset is not empty (blobs resolved against the dataset root; with blob_fallback,
 * workloads whose blobs are missing get drawn inputs), in the frame of the task folder
 * task_dir when that is not empty too (the folder lends its seeds, reference, baseline,
 * tolerance, cost model, defines, options and input scales; its definition must be the
 * dataset's, by name and tensors); else the task folder alone. 0, or -1 with err naming what
 * failed. */
int task_open(const char *task_dir, const char *dataset, const char *definition, int blob_fallback,
              evo_task **out, char *err, size_t errlen);
/* The task folder that holds seeds for a dataset's definition: preferred when its task.json's
 * definition is called `definition`, else the first shipped task folder (EVO_DATA_DIR's and
 * the source tree's kernels/) whose definition is. 0 with out set, or -1 when there is none. */
int task_seed_folder(const char *preferred, const char *definition, char *out, size_t n);
void task_free(evo_task *t);
/* The NVRTC options a source of this task compiles with, in one order everywhere (it keys the
 * cubin cache): the task's own options, its defines, then n parameters as -DNAME=VALUE. A
 * malloc'd array of *count strings (free with task_options_free), NULL when out of memory. */
char **task_compile_options(const evo_task *t, int n, const char *const *names,
                            const char *const *values, int *count);
void task_options_free(char **o, int count);

/* Whether seed i can be built for arch (a seed may list the architectures it needs, e.g.
 * wgmma kernels need sm_90a: {"file": "gemm_wgmma.cu", "archs": ["sm_90a"]}). */
int task_seed_supports(const evo_task *t, int i, const char *arch);
/* Value of an axis in a workload (const axes from the definition). -1 if unknown. */
int task_axis_value(const evo_task *t, const task_workload *w, const char *axis, int64_t *out);
/* Element count of a tensor in a workload (1 for scalars); -1 when an axis is unknown or the
 * count overflows. */
int64_t task_tensor_numel(const evo_task *t, const task_workload *w, const task_tensor *x);
/* The most bytes one tensor of a workload may have, and all of them together: 1 TiB, more
 * than any one device holds (an H200 has 141 GB, a B300 288 GB), so no larger workload
 * could run, and sums of sizes below it cannot overflow. task_load_workloads refuses a
 * workload above it, naming the line, the workload and the tensor. */
#define TASK_MAX_TENSOR_BYTES ((int64_t)1 << 40)
/* Bytes of a tensor in a workload (numel times dtype size), checked: 0 and *bytes set, or -1
 * when an axis is unknown, the product overflows or passes TASK_MAX_TENSOR_BYTES. Every
 * allocation of a tensor's buffer sizes it with this. */
int task_tensor_bytes(const evo_task *t, const task_workload *w, const task_tensor *x,
                      size_t *bytes);
/* Bytes and FLOPs of a workload from the cost model (0 when the task has none). */
double task_bytes(const evo_task *t, const task_workload *w);
double task_flops(const evo_task *t, const task_workload *w);
/* The task as prompt text: definition math, shapes, dtypes, tolerances (caller frees). */
char *task_describe(const evo_task *t);

/* task_problem.c: a workload as the host references see it, and a reference run on it. */
#include "reference.h"
int task_problem(const evo_task *t, const task_workload *w, ref_problem *p, char *err,
                 size_t errlen);
int task_reference_run(const evo_task *t, const task_workload *w, reference_fn fn,
                       const void *const *inputs, float *const *outputs, char *err, size_t errlen);
/* Whether host reference `name` takes this task's definition, as its table says
 * (reference_check), on every workload: 0, or -1 with err naming the workload and the
 * tensor. The loader calls it, so no reference ever meets a definition it would refuse. */
int task_reference_check(const evo_task *t, const char *name, char *err, size_t errlen);
/* Whether a cuBLAS baseline can run this task: C = A B^T (the gemm reference's table), int
 * sizes, float16/bfloat16/float32 with A and B alike. 0, or -1 with err. */
int task_cublas_check(const evo_task *t, char *err, size_t errlen);
#endif
