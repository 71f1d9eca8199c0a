/* kernel_decl.h -- the __global__ functions a CUDA source declares, as kernel_decl.c reads
 * them: what plan.c checks a launch plan's kernels and arguments against. */
#ifndef EVO_KERNEL_DECL_H
#define EVO_KERNEL_DECL_H
#include "task.h"

#define KDECL_MAX_PARAMS 64
/* Declarations kept (each is a 17 KB record: a 1 MB source of short ones would take GBs). */
#define KDECL_MAX_KERNELS 256

typedef enum { P_PTR, P_INT32, P_INT64, P_FLOAT, P_UNKNOWN } param_kind;

typedef struct kparam {
    param_kind kind;
    int is_const;   /* pointer to const data */
    evo_dtype fdt;  /* P_FLOAT: float32, float64, float16 or bfloat16 */
    char text[160]; /* the declaration as written (tokens joined by spaces) */
    char type[96];  /* the type without the name */
} kparam;

typedef struct kdecl {
    char name[TASK_NAME];
    int is_c;    /* declared extern "C" (or inside an extern "C" block) */
    int nparams; /* parameters past KDECL_MAX_PARAMS are not kept */
    kparam params[KDECL_MAX_PARAMS];
} kdecl;

/* Every __global__ function of source, marked extern "C" or not, in order: *nout of them
 * (caller frees the array; NULL when there are none). The list ends after KDECL_MAX_KERNELS,
 * or early when short of memory. */
kdecl *kernel_decl_parse(const char *source, int *nout);
#endif
