/* plan.h -- launch plans: which extern "C" kernels of a candidate run, in order, with which
 * grid, block, dynamic shared memory and arguments. The plan lives in the source as a comment
 * block whose first line is `evo:launch`, so one text is the whole candidate:
 *
 *   (comment opens) evo:launch
 *    workspace partial float32 ceil_div(K, KSPLIT) * M * N   # name dtype element-count
 *    kernel gemm_partial
 *      grid  ceil_div(N, BN), ceil_div(M, BM), KSPLIT        # 1 to 3 expressions
 *      block NTHREADS                                        # 1 to 3 expressions
 *      smem  (BM + BN) * BK * 2 * STAGES                     # bytes, default 0
 *      args  A, B, partial, M, N, K                          # tensors, axes, workspaces
 *    kernel gemm_reduce
 *      grid ceil_div(M * N, 256)
 *      block 256
 *      args partial, C, M, N, i64(K)
 *   (comment closes)
 *
 * Shape dispatch: `when EXPR` in a kernel's block launches that kernel only for workloads where
 * EXPR (axes, parameters, constants; comparisons and && || ! as in C) is nonzero, e.g. one
 * kernel `when num_seqs <= 2` and another `when num_seqs > 2`. A skipped kernel's grid, block
 * and smem are not evaluated. Whether every output is written for every workload is then the
 * gate's to see (outputs are poisoned: an unwritten one fails).
 *
 * Arguments: a definition input or output tensor (passed as a device pointer), a workspace
 * (device pointer), an axis name (passed as int; i64(NAME) passes int64), a scalar input
 * (passed by value in its dtype), or an integer literal (int). Expressions (expr.h) may read
 * axes, parameters and device constants (SM_COUNT, SMEM_OPTIN, L2_BYTES, WARP_SIZE).
 * Validation checks, before any launch: known kernels (declared extern "C" __global__ in
 * the source, whose parameters are parsed to check count and kinds: pointer vs integer vs
 * float, and that an output is not passed to a const pointer), known argument names,
 * positive grid dims within limits, block threads in 1..1024, smem within SMEM_OPTIN.
 * Details: lines may carry leading '*' or '//' decoration and '#' comments; a long argument
 * list may end in ',' and continue on another `args` line; an output or workspace may go to a
 * const pointer only after an earlier kernel of the plan took it through a non-const one
 * (read-after-write across kernels), and every output must be written by some kernel. */
#ifndef EVO_PLAN_H
#define EVO_PLAN_H
#include "task.h"
#include <stddef.h>
#include <stdint.h>

#define PLAN_MAX_KERNELS 8
#define PLAN_MAX_ARGS 32
#define PLAN_MAX_WORKSPACES 8
/* Bounds on one launch as a whole: 2^24 blocks, 2^32 threads. */
#define PLAN_MAX_BLOCKS (1LL << 24)
#define PLAN_MAX_THREADS (1LL << 32)

typedef enum {
    ARG_TENSOR,
    ARG_WORKSPACE,
    ARG_AXIS_I32,
    ARG_AXIS_I64,
    ARG_SCALAR,
    ARG_LITERAL
} plan_arg_kind;

typedef struct plan_arg {
    plan_arg_kind kind;
    char name[TASK_NAME];
    int index; /* tensor: input index, or ninputs + output index; workspace index */
    int64_t literal;
} plan_arg;

typedef struct plan_kernel {
    char name[TASK_NAME];
    int ngrid, nblock;
    struct evo_expr *grid[3], *block[3], *smem, *when; /* when: NULL = always launched */
    int nargs;
    plan_arg args[PLAN_MAX_ARGS];
} plan_kernel;

typedef struct plan_workspace {
    char name[TASK_NAME];
    evo_dtype dtype;
    struct evo_expr *count;
} plan_workspace;

typedef struct evo_plan {
    int nkernels;
    plan_kernel kernels[PLAN_MAX_KERNELS];
    int nworkspaces;
    plan_workspace workspaces[PLAN_MAX_WORKSPACES];
} evo_plan;

/* A launch resolved for one workload. */
typedef struct plan_launch {
    unsigned grid[3], block[3];
    unsigned smem;
    int skip; /* the kernel's `when` is 0 for this workload: not launched */
} plan_launch;

/* Parse the evo:launch block of source and check it against the task's definition and the
 * kernel declarations in the source. Returns NULL with err "launch plan line L: ..." (line
 * in the source) on any problem: the engine reports it as COMPILE_ERROR. */
evo_plan *plan_parse(const char *source, const evo_task *task, char *err, size_t errlen);
void plan_free(evo_plan *p);

/* Named integers visible to plan expressions. */
typedef int (*plan_lookup)(void *user, const char *name, int64_t *out);
/* Resolve kernel k's grid/block/smem for a workload; checks positivity, grid limits
 * (x < 2^31, y,z < 65536), threads <= 1024 per block, at most PLAN_MAX_BLOCKS blocks and
 * PLAN_MAX_THREADS threads in all, smem <= smem_optin. Returns 0, or -1 with err. */
int plan_resolve(const evo_plan *p, int k, plan_lookup lookup, void *user, int64_t smem_optin,
                 plan_launch *out, char *err, size_t errlen);
/* Bytes of workspace w for a workload, or -1 with err. */
int64_t plan_workspace_bytes(const evo_plan *p, int w, plan_lookup lookup, void *user, char *err,
                             size_t errlen);
#endif
