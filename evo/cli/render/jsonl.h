/* jsonl.h -- reading a JSON-lines file (the run's fitness.jsonl) one object at a time, for the
 * renderings that draw or count it (`evo plot`, `evo report`). */
#ifndef EVO_JSONL_H
#define EVO_JSONL_H
#include <jansson.h>
#include <stddef.h>

/* Calls fn(user, object, lineno) for each complete line of path that holds a JSON object, in
 * order. Blank lines are skipped, and so is a last line without '\n' (a writer in the middle
 * of it). Stops at the first line that is not an object ("PATH:LINE: not a JSON object: ...")
 * or when fn returns non-zero (fn sets err). Returns 0, or -1 with err. */
int jsonl_foreach(const char *path, int (*fn)(void *user, const json_t *line, long lineno),
                  void *user, char *err, size_t errlen);
#endif
