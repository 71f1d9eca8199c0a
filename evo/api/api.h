/* api.h -- what the files of evo/api share: the run view's directory and its message. */
#ifndef EVO_API_H
#define EVO_API_H
#include "evo.h"

/* Set the run's message (evo_run_errmsg) and return rc. */
int run_fail(evo_run *r, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The run directory the view was opened on. */
const char *run_dir_of(const evo_run *r);
#endif
