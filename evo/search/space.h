/* space.h -- typed parameter spaces with constraints, parsed from a source's evo:params block.
 *
 * The block is a C comment whose first line is `evo:params`, so one text carries its own
 * tunables:
 *
 *   (comment opens) evo:params
 *    BM       pow2 16..256           default 128   # powers of two in [16, 256]
 *    BK       set 16 32 64           default 32    # explicit integer set
 *    STAGES   range 2..6 step 1      default 3     # integers lo..hi by step
 *    LAYOUT   enum ROW COL           default ROW   # identifiers, passed as macro text
 *    SWIZZLE  bool                   default 1     # 0 or 1
 *    require  BM*BK*STAGES*2 <= SMEM_LIMIT         # constraint over params and constants
 *   (comment closes)
 *
 * Lines may carry leading '*' or '//' decoration; '#' starts a comment. A parameter without
 * `default` takes the value of a `#define NAME value` under `#ifndef NAME` in the source if
 * that value is in its domain, else its first value. Constraints may read any parameter and
 * any constant (task or device constants set by the evaluator; an unknown name is an error).
 * In constraints an enum parameter reads as the 0-based index of its value (LAYOUT == 1 is
 * COL above) and a bool as 0/1; a parameter hides a constant of the same name.
 */
#ifndef EVO_SPACE_H
#define EVO_SPACE_H
#include "pcg.h"
#include <stddef.h>
#include <stdint.h>

/* Bounds on one space (a model writes the block of every child it makes): parameters,
 * constraints, and values of all domains together (each domain holds at most 65536). */
#define SPACE_MAX_PARAMS 256
#define SPACE_MAX_CONSTRAINTS 256
#define SPACE_MAX_VALUES (1 << 18)

typedef enum { PARAM_RANGE, PARAM_POW2, PARAM_SET, PARAM_ENUM, PARAM_BOOL } evo_param_kind;

typedef struct evo_param {
    char *name;
    evo_param_kind kind;
    int nvalues;   /* the domain, expanded, in order (ranges and pow2 included) */
    char **values; /* macro text of each value */
    int64_t *ints; /* integer value of each (0 for enums) */
    int def;       /* index of the default value */
} evo_param;

typedef struct evo_space {
    int nparams;
    evo_param *params; /* in declaration order */
    int nconstraints;
    struct evo_expr **constraints;
} evo_space;

/* A point: for each parameter of the space, an index into its values. */
typedef struct evo_point {
    int n;
    int *idx;
} evo_point;

/* Named integer constants (task and device facts) visible to constraints. */
typedef struct evo_constants {
    int n;
    char **names;
    int64_t *values;
} evo_constants;

/* A whole string as a decimal int64 with an optional '-': 0, or -1 (not a number, or it
 * overflows). Shared by spaces and genomes. */
int text_to_int64(const char *s, int64_t *out);

void constants_init(evo_constants *c);
int constants_set(evo_constants *c, const char *name, int64_t value);
int constants_get(const evo_constants *c, const char *name, int64_t *out);
void constants_free(evo_constants *c);

/* Parse the evo:params block of source (a source without one gives an empty space).
 * Returns NULL with err "line L: ..." (line in the source) on a malformed block. */
evo_space *space_parse(const char *source, char *err, size_t errlen);
void space_free(evo_space *s);
/* Index of the parameter called name, or -1. */
int space_find(const evo_space *s, const char *name);

evo_point point_new(const evo_space *s); /* all defaults */
evo_point point_copy(const evo_point *p);
void point_free(evo_point *p);
/* Whether p satisfies every constraint: 1 yes, 0 no, -1 error (written to err). */
int space_check(const evo_space *s, const evo_constants *k, const evo_point *p, char *err,
                size_t errlen);
/* Same, checking every constraint and adding 1 to fails[i] for each constraint i that p
 * violates (fails has s->nconstraints entries), for "most violated" messages. */
int space_check_count(const evo_space *s, const evo_constants *k, const evo_point *p, int *fails,
                      char *err, size_t errlen);
/* "no valid <what> in <tries> tries: constraint '<text>' failed <n> times", naming the
 * constraint with the most failures in fails. */
void space_explain_failures(const evo_space *s, const int *fails, int tries, const char *what,
                            char *err, size_t errlen);
/* Index of the value written text in p's domain (an integer matches by value, a bool also
 * takes true/false), or -1. */
int param_value_index(const evo_param *p, const char *text);
/* A uniformly random valid point, trying at most max_tries times. Returns 0, or -1 with err
 * "no valid point in N tries: <the constraint most often violated>". *out must be a point
 * (point_new, or {0, NULL}); its old storage is freed on success and kept on failure. */
int space_sample(const evo_space *s, const evo_constants *k, evo_pcg32 *rng, int max_tries,
                 evo_point *out, char *err, size_t errlen);
/* Assignment <-> JSON object text {"BM":128,"LAYOUT":"ROW"}. point_from_json sets every
 * parameter present in json whose value is in its domain; others keep p's values. */
char *point_to_json(const evo_space *s, const evo_point *p);
int point_from_json(const evo_space *s, const char *json, evo_point *p, char *err, size_t errlen);
#endif
