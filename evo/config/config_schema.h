/* config_schema.h -- the table of every configuration key (internal).
 *
 * One table drives validation, default filling and the documentation in configs/README.md.
 * Paths are dotted; "[]" stands for any element of an array of objects
 * ("islands.features[].bins") and "*" for any member of a map ("operators.*"). Sections
 * ("islands", "llm") are implied by the paths below them and need no entry of their own.
 * The engine's and evaluator's keys live in config_schema.c, the llm section in
 * config_schema_llm.c; config.c and config_validate.c read both through config_schema_*(). */
#ifndef EVO_CONFIG_SCHEMA_H
#define EVO_CONFIG_SCHEMA_H
#include <jansson.h>
#include <stddef.h>

typedef enum config_type {
    CT_INT,    /* JSON integer (3.0 is not one), bounded by min/max when flagged */
    CT_NUMBER, /* integer or real, stored as real, bounded by min/max when flagged */
    CT_BOOL,
    CT_STRING,  /* allowed: "a|b|c" restricts the value; maxlen bounds its bytes */
    CT_OBJECT,  /* any JSON object, not looked into (evaluator.options) */
    CT_OBJECTS, /* array of objects whose keys are the entries under "path[]" */
    CT_STRINGS, /* array of strings */
    CT_INTS,    /* array of integers, each bounded by min/max when flagged */
    CT_MAP      /* object of name -> value; the value's entry is "path.*" */
} config_type;

enum {
    CK_REQUIRED = 1 << 0, /* no default: must be present in its object */
    CK_MIN = 1 << 1,      /* min applies (to the value, or to each element of CT_INTS) */
    CK_MAX = 1 << 2,      /* max applies */
    CK_MIN_EXCL = 1 << 3, /* the bound min itself is excluded */
    CK_URL = 1 << 4,      /* string must start with http:// or https:// */
    CK_ENVNAME = 1 << 5,  /* string is "" or an environment variable's name */
    CK_OPNAME = 1 << 6,   /* CT_MAP: member names match [a-z0-9_-]{1,31} */
    CK_IDENT = 1 << 7     /* CT_MAP: member names are identifiers of at most 63 bytes */
};

typedef struct config_key {
    const char *path;
    config_type type;
    const char *def; /* default as JSON text; NULL: absent unless given (or required) */
    int flags;
    double min, max;     /* value bounds (CK_MIN, CK_MAX) */
    int minlen, maxlen;  /* arrays and maps: element count; strings: bytes (0 = no limit) */
    const char *allowed; /* CT_STRING: the allowed values, '|'-separated */
    const char *doc;
} config_key;

/* The two halves of the table, each ended by an entry with a NULL path. */
extern const config_key config_schema_engine[];
extern const config_key config_schema_llm[];

/* The whole table in documentation order: count, and entry i. */
int config_schema_count(void);
const config_key *config_schema_at(int i);
/* The entry for a schema path ("islands.features[].bins"), or NULL. */
const config_key *config_schema_find(const char *path);
/* Whether some entry lies below prefix (so prefix names a section or an element object). */
int config_schema_has_children(const char *prefix);

/* "an integer in [1, 1024]", "one of \"ucb\", \"weights\"": what a key expects. */
void config_schema_expected(const config_key *k, char *buf, size_t len);
/* The Markdown table of every key (| Key | Type | Default | Meaning |); caller frees. */
char *config_schema_markdown(void);
#endif
