/* reference.h -- host reference implementations, looked up by the name in a task.json.
 *
 * The lowest layer of evo: it includes nothing of the project. A reference sees one problem,
 * described by ref_problem (the definition's tensors with their dtypes and resolved shapes,
 * and the workload's axes), reads like the definition's math, accumulates in float (or double
 * where the math needs it) and uses OpenBLAS for matrix products. Inputs arrive in their
 * definition dtype (host copies of exactly what the device saw); outputs are written as
 * float32 arrays, one per output, of as many elements as its shape holds.
 *
 * Each reference states what it reads and writes as data (ref_spec: its tensors by name,
 * their dims in symbols bound to the definition's axes, dtypes, what may be optional), so the
 * task loader refuses a definition that disagrees before anything runs (reference_check over
 * every workload), and the reference checks the same table before it touches a buffer: it
 * never reads or writes past one because a definition said so. */
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
    int optional;               /* the definition marks it optional (NULL when absent) */
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

/* A symbol of a reference's shapes: bound to the definition's axis of that name, or (axis
 * NULL) to the first dim it stands for, and then the same everywhere; [min, max] are the
 * values the reference computes. */
typedef struct ref_sym {
    const char *name;
    const char *axis;
    int64_t min, max;
} ref_sym;

#define REF_DT(t) (1u << (t)) /* a dtype's bit in ref_arg.dtypes */

/* A tensor a reference reads (an input) or writes (an output), by the definition's name. */
typedef struct ref_arg {
    const char *name;
    int output;
    /* dims, space-separated: symbols, integers, or a symbol plus an integer ("B 1 HQ D",
     * "N+1"); "" for a scalar (or a tensor of no dims) */
    const char *shape;
    unsigned dtypes; /* REF_DT bits of the dtypes it reads; 0: any */
    int optional;    /* the definition may mark it optional (the reference reads NULL) */
} ref_arg;

/* What a reference needs of a problem. The definition must have exactly these tensors. */
typedef struct ref_spec {
    const char *name;
    reference_fn fn;
    const ref_sym *syms; /* ends with a NULL name */
    const ref_arg *args; /* ends with a NULL name */
    /* conditions the table cannot say (gdn: v heads a multiple of q heads), or NULL */
    int (*check)(const ref_problem *p, char *err, size_t errlen);
} ref_spec;

/* The reference called name ("gemm", "rmsnorm", ...), or NULL. */
reference_fn reference_find(const char *name);
const ref_spec *reference_spec(const char *name);
/* 0 if problem p gives reference s what its table says (names, optional marks, dtypes,
 * dims, symbol ranges, then s->check), else -1 with err naming the reference, the tensor
 * and what it must be, e.g. "rmsnorm reference: output 'output' is [7]; it must be [B, H] =
 * [7, 4096]". No buffer is read. */
int reference_check(const ref_spec *s, const ref_problem *p, char *err, size_t errlen);
/* The table as text, "hidden_states [B, H], weight [H] -> output [B, H]" (for messages). */
void reference_signature(const ref_spec *s, char *buf, size_t len);
/* Names of all references, NULL-terminated (static). */
const char *const *reference_names(void);

/* The value of an axis: 0, or -1 when the problem has none of that name. */
int ref_axis(const ref_problem *p, const char *name, int64_t *out);
/* Index of the input (output) of that name, or -1. */
int ref_input(const ref_problem *p, const char *name);
int ref_output(const ref_problem *p, const char *name);
/* Elements of a tensor (1 for a scalar). */
int64_t ref_numel(const ref_tensor *t);

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
