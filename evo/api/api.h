/* api.h -- what the files of evo/api share: the run view's directory and its message. */
#ifndef EVO_API_H
#define EVO_API_H
#include "evo.h"
#include <jansson.h>

/* Set the run's message (evo_run_errmsg) and return rc. */
int run_fail(evo_run *r, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The run directory the view was opened on. */
const char *run_dir_of(const evo_run *r);
/* Keep candidate id's validation verdict (JSON text) in the run. The read-only store is
 * closed first (LMDB's locks are per process: two handles on one file may not live
 * together), the store opened for writing, the verdict saved, then the read-only view opened
 * again. EVO_OK, or a code with evo_run_errmsg(r) (EVO_EBUSY: a run holds the directory). */
int run_keep_validation(evo_run *r, int64_t id, const char *verdict);
/* The one order of per-workload figures in every view (candidates, status, validation): by the
 * workload's axes, numerically, over the task's var axes in declaration order (the label
 * "batch_size=7,seq=3" carries them so), not the order of the file. api_workload_cmp compares
 * two labels (strcmp for labels of another shape); api_order_workloads reorders
 * holder["workloads"] in place when it is an object. */
int api_workload_cmp(const char *a, const char *b);
void api_order_workloads(json_t *holder);
/* The same on JSON text (consumed): the reordered text, or text itself when it cannot be. */
char *api_order_workloads_text(char *text);
#endif
