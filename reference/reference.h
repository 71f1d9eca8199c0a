/* reference.h -- host reference implementations, looked up by the name in a task.json.
 *
 * The lowest layer of evo: it includes nothing of the project. A reference sees one problem,
 * described by ref_problem (the definition's tensors with their dtypes and resolved shapes,
 * and the workload's axes), reads like the definition's math, accumulates in float (or double
 * where the math needs it) and uses OpenBLAS for matrix products. Inputs arrive in their
 * definition dtype (host copies of exactly what the device saw); outputs are written as
 * float32 arrays, one per output, of as many elements as its shape holds. Each reference
 * checks the shapes it needs first and refuses, naming the tensor, a problem that disagrees:
 * it never reads or writes past a buffer because a definition said so. */
#ifndef EVO_REFERENCE_H
#define EVO_REFERENCE_H
#include <stddef.h>
#include <stdint.h>

/* Element types, in the order of the task model's dtypes (gpu/task/task_problem.c checks it). */
typedef enum ref_dtype {
    REF_F32,
    REF_F16,
    REF_BF16,
    REF_E4M3,
    REF_E5M2,
    REF_F64,
    REF_I64,
    REF_I32,
    REF_I16,
    REF_I8,
    REF_U8,
    REF_BOOL
} ref_dtype;

#define REF_MAX_DIMS 8
#define REF_MAX_TENSORS 32
#define REF_MAX_AXES 32

typedef struct ref_tensor {
    const char *name;
    ref_dtype dtype;
    int ndim;                   /* 0 for a scalar */
    int64_t dims[REF_MAX_DIMS]; /* resolved for the workload */
} ref_tensor;

typedef struct ref_problem {
    const char *definition; /* for messages */
    const char *workload;   /* for messages */
    int ninputs, noutputs;
    ref_tensor inputs[REF_MAX_TENSORS], outputs[REF_MAX_TENSORS];
    int naxes;
    const char *axis_names[REF_MAX_AXES];
    int64_t axis_values[REF_MAX_AXES];
} ref_problem;

typedef int (*reference_fn)(const ref_problem *p, const void *const *inputs, float *const *outputs,
                            char *err, size_t errlen);

/* The reference called name ("gemm", "rmsnorm", ...), or NULL. */
reference_fn reference_find(const char *name);
/* Names of all references, NULL-terminated (static). */
const char *const *reference_names(void);

/* The value of an axis: 0, or -1 when the problem has none of that name. */
int ref_axis(const ref_problem *p, const char *name, int64_t *out);
/* Index of the input (output) of that name, or -1. */
int ref_input(const ref_problem *p, const char *name);
int ref_output(const ref_problem *p, const char *name);
/* Elements of a tensor (1 for a scalar). */
int64_t ref_numel(const ref_tensor *t);
/* 0 if tensor x has exactly the ndim dims given (-1 in want: any), else -1 with err naming
 * the reference (who), the tensor and both shapes. */
int ref_need_shape(const char *who, const char *kind, const ref_tensor *x, int ndim,
                   const int64_t *want, char *err, size_t errlen);

/* Conversions used by references and the gate. */
float half_to_float(uint16_t h);
uint16_t float_to_half(float f); /* round to nearest even */
float bf16_to_float(uint16_t b);
uint16_t float_to_bf16(float f); /* round to nearest even */
float fp8e4m3_to_float(uint8_t v);
uint8_t float_to_fp8e4m3(float f); /* saturating, round to nearest even */
/* Element i of a buffer of dtype t (a ref_dtype value) as float. */
float dtype_load_float(int t, const void *buf, int64_t i);
#endif
