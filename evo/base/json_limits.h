/* json_limits.h -- bounds on the JSON texts evo reads from users and datasets (a config,
 * task.json, a FlashInfer definition, a workload line), and the one checked reader of them.
 *
 * jansson parses any size and nests to 2048 levels, and what evo does with a tree afterwards
 * (positions, validation, defaults) grows with its size: a 5 MB config or 160,000 keys once
 * took minutes and gigabytes. So every such text is measured first, in one pass that
 * allocates nothing: its bytes, its nesting depth and its number of values (object members
 * plus array elements). A text over a limit is refused with its name, the line:column where
 * the limit was crossed, and the limit. */
#ifndef EVO_JSON_LIMITS_H
#define EVO_JSON_LIMITS_H
#include <jansson.h>
#include <stddef.h>

typedef struct json_limits {
    size_t max_bytes;  /* the text's size */
    int max_depth;     /* objects and arrays open at once (the root counts 1) */
    size_t max_values; /* object members plus array elements, all levels together */
    const char *what;  /* "a config", for messages: "(the limit for a config)" */
} json_limits;

/* A run configuration: 1 MiB, 32 levels, 10,000 values (the shipped ones are under 4 KB). */
extern const json_limits json_limits_config;
/* task.json and a FlashInfer definition: 4 MiB, 32 levels, 100,000 values. */
extern const json_limits json_limits_data;
/* One line of a workload JSONL file: 1 MiB, 32 levels, 100,000 values; the file as a whole:
 * 64 MiB, and 10,000 workloads of one definition. */
extern const json_limits json_limits_line;
#define JSON_LIMITS_JSONL_BYTES (64u << 20)
#define JSON_LIMITS_JSONL_RECORDS 10000

/* Measure text[0, len) against lim. 0 if it is within, else -1 with err set to
 * "NAME:LINE:COL: <what is over> (the limit for WHAT)", or "NAME:COL: ..." when one_line (the
 * name then already holds the line, as "file.jsonl:12"); with name NULL, the message alone
 * without a position. The text need not be valid JSON; the
 * scan then measures what it can and leaves the syntax to the parser. */
int json_limits_check(const char *text, size_t len, const json_limits *lim, const char *name,
                      int one_line, char *err, size_t errlen);

/* Read and parse the file at path under lim with jansson's flags. A new reference, or NULL
 * with err naming path: "cannot read: <reason>", "larger than N bytes", a limit as above,
 * "LINE:COL: invalid JSON: <jansson's text>", or "out of memory". */
json_t *json_limits_load_file(const char *path, const json_limits *lim, size_t flags, char *err,
                              size_t errlen);
#endif
