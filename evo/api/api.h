/* api.h -- what the files of evo/api share: the run view's directory and its message. */
#ifndef EVO_API_H
#define EVO_API_H
#include "evo.h"

/* Set the run's message (evo_run_errmsg) and return rc. */
int run_fail(evo_run *r, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The run directory the view was opened on. */
const char *run_dir_of(const evo_run *r);
/* Keep candidate id's validation verdict (JSON text) in the run. The read-only store is
 * closed first (LMDB's locks are per process: two handles on one file may not live
 * together), the store opened for writing, the verdict saved, then the read-only view opened
 * again. EVO_OK, or a code with evo_run_errmsg(r) (EVO_EBUSY: a run holds the directory). */
int run_keep_validation(evo_run *r, int64_t id, const char *verdict);
#endif
