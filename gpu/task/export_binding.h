/* export_binding.h -- the host binding of an exported Solution (export.h has the layout). */
#ifndef EVO_EXPORT_BINDING_H
#define EVO_EXPORT_BINDING_H
#include <stddef.h>

#include "plan.h"
#include "task.h"

/* The two forms of host binding FlashInfer-Bench builds (spec.binding). */
typedef enum export_binding_kind {
    EXPORT_BINDING_TVM_FFI, /* binding.cc, "tvm-ffi": FlashInfer-Bench's default builder */
    EXPORT_BINDING_TORCH,   /* binding.cpp, "torch": a pybind11 torch extension */
} export_binding_kind;

/* The binding: `run(inputs..., outputs...)` in the definition's order (TVM-FFI TensorViews,
 * or torch tensors through pybind11): checks every tensor (CUDA, one device, dtype, rank,
 * contiguous, each dim against its axis), derives the axes, allocates the workspaces from the
 * framework's allocator and calls evo_plan_launch on the current stream. Caller frees. NULL
 * with err on a plan it cannot express. */
char *export_binding(const evo_task *t, const evo_plan *p, export_binding_kind kind, char *err,
                     size_t errlen);
const char *export_binding_file(export_binding_kind kind); /* "binding.cc", "binding.cpp" */
const char *export_binding_name(export_binding_kind kind); /* spec.binding: "tvm-ffi", "torch" */
#endif
