/* reference.h -- host reference implementations, looked up by the name in a task.json.
 * Each reads like the definition's math, accumulates in float (or double where the
 * definition's math needs it) and uses OpenBLAS for matrix products. Inputs arrive in their
 * definition dtype (host copies of exactly what the device saw); outputs are written as
 * float32 arrays, one per definition output, of task_tensor_numel elements each. */
#ifndef EVO_REFERENCE_H
#define EVO_REFERENCE_H
#include <stddef.h>
#include "../gpu/task.h"

typedef int (*reference_fn)(const evo_task *t, const task_workload *w,
                            const void *const *inputs, float *const *outputs, char *err,
                            size_t errlen);

/* The reference called name ("gemm", "rmsnorm", ...), or NULL. */
reference_fn reference_find(const char *name);
/* Names of all references, NULL-terminated (static). */
const char *const *reference_names(void);

/* Conversions used by references and the gate. */
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);     /* round to nearest even */
float bf16_to_float(uint16_t b);
uint16_t float_to_bf16(float f);     /* round to nearest even */
float fp8e4m3_to_float(uint8_t v);
uint8_t float_to_fp8e4m3(float f);   /* saturating, round to nearest even */
/* Element i of a buffer of dtype t as float. */
float dtype_load_float(evo_dtype t, const void *buf, int64_t i);
#endif
