/* export_launcher.h -- kernel.cu of an exported Solution (export.h has the layout). */
#ifndef EVO_EXPORT_LAUNCHER_H
#define EVO_EXPORT_LAUNCHER_H
#include <stddef.h>

#include "plan.h"
#include "task.h"

/* kernel.cu: includes kernel.cuh (rendered: the candidate) and defines
 * evo_plan_workspaces(dev, axes, counts), evo_plan_launch(dev, axes, tensors, scalars,
 * workspaces, stream, &failed), the plan's kernels in order on stream with dev made current
 * (grid, block and smem from the plan's expressions; cudaFuncSetAttribute only when a kernel
 * needs more shared memory than it was allowed before; device facts asked once per device),
 * and evo_error_string(e). Caller frees. */
char *export_launcher(const evo_task *t, const evo_plan *p, const char *rendered, char *err,
                      size_t errlen);
#endif
