/* task_trace.h -- what task.c borrows from the FlashInfer Trace reader (task_trace.c): the
 * checks of user JSON that task.json shares with definitions and workloads. The reader itself
 * (task_load_definition, task_load_workloads, task_check_blobs, the dtypes) is in task.h. */
#ifndef EVO_TASK_TRACE_H
#define EVO_TASK_TRACE_H
#include <jansson.h>
#include <stddef.h>

#include "task.h"

/* rel below dir (rel itself when absolute or dir is empty). */
void task_join_path(char *out, size_t n, const char *dir, const char *rel);
/* Copy a non-empty name shorter than TASK_NAME; -1 otherwise. */
int task_copy_name(char dst[TASK_NAME], const char *src);
/* Keys of obj must all be in allowed (NULL-terminated); returns the first stranger. */
const char *task_unknown_key(json_t *obj, const char *const *allowed);
/* Index of the axis called name in d, or -1. */
int task_find_axis(const task_definition *d, const char *name);
/* A list of strings at key (absent or null: nothing); -1 with err naming file and key. */
int task_parse_string_list(const char *file, const char *key, json_t *arr, char ***out, int *n,
                           char *err, size_t errlen);
#endif
