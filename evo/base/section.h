/* section.h -- reading one section of a configuration, as JSON: what evaluators and operators
 * are handed ("evaluator", "llm"), so nothing below the engine includes the config internals.
 *
 * The configuration loader has filled in every default from the schema (evo/config), so a
 * section holds every key it documents: these readers take no fallback, and a key that is
 * not there (a section a program built by hand) reads as 0, 0.0, false or "". Paths may be
 * dotted ("synthetic.dims"). */
#ifndef EVO_SECTION_H
#define EVO_SECTION_H
#include <jansson.h>
#include <stdint.h>

json_t *sec_get(const json_t *sec, const char *path); /* borrowed, NULL if absent */
int64_t sec_int(const json_t *sec, const char *path);
double sec_double(const json_t *sec, const char *path);
int sec_bool(const json_t *sec, const char *path);
const char *sec_string(const json_t *sec, const char *path); /* "" if absent */
/* A path from the section resolved against base_dir (the config file's folder): absolute
 * paths and "~/" as they are, "" stays "". Caller frees; NULL on out of memory. */
char *sec_path(const char *base_dir, const char *path);
#endif
