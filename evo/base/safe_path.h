/* safe_path.h -- the rules that keep paths built from data (task.json, definitions, workloads,
 * configs, stored records, model replies) inside the folder they belong to.
 *
 * The rule, one for the whole project:
 *   - A name that becomes one path component (a run name, a definition or op_type name, a
 *     seed's template name, an export's solution name) is plain: letters, digits, '.', '_' and
 *     '-', not starting with a dot, at most 127 bytes. So it can never be "..", hold a '/', or
 *     carry a control character to a terminal.
 *   - A relative path from a task folder's own files (task.json's definition, workloads, seed
 *     and baseline files) is confined lexically: not absolute, no ".." component. A symbolic
 *     link inside the folder is followed wherever it points: whoever made the folder put it
 *     there (tests/tasks/ link the shipped RMSNorm files this way), and a lexical rule cannot
 *     be fooled by a link made later between a check and an open.
 *   - A blob (a workload's safetensors file, data a dataset hands us) is confined lexically
 *     too, and then by its real path: realpath() must lie inside the dataset root's real path
 *     and name a regular file, so a link inside the dataset cannot reach /etc/passwd or
 *     /dev/zero either. */
#ifndef EVO_SAFE_PATH_H
#define EVO_SAFE_PATH_H
#include <stddef.h>

#define SAFE_NAME_MAX 127

/* 1 when s is a plain name (above), 0 otherwise (NULL and "" are not). */
int safe_name(const char *s);
/* 1 when rel is a non-empty relative path without a ".." component, 0 otherwise. */
int safe_relpath(const char *rel);
/* 1 when path (a real path) is root (a real path) or lies below it, 0 otherwise. */
int safe_inside(const char *root, const char *path);
/* s with every control character (below 0x20 but newline and tab, and 0x7f) written as
 * \xHH, into out (cut to n); returns out. For error messages that quote data. */
char *safe_text(const char *s, char *out, size_t n);
#endif
