/* config.h -- the run configuration: a schema of every key with its type, default and
 * documentation, parsed from JSON with jansson, validated with positions (line:column) so
 * errors point into the user's file, and exposed as this struct plus the defaulted JSON tree.
 *
 * Plug-in sections (evaluator, llm) are validated by the same schema; their code reads them
 * from `root` (defaults already filled in), handed to them as JSON (section.h). */
#ifndef EVO_CONFIG_H
#define EVO_CONFIG_H
#include "evo.h"
#include <jansson.h>
#include <stdint.h>

#define EVO_MAX_FEATURES 4

typedef enum {
    FEATURE_TEMPLATE,
    FEATURE_PARAM,
    FEATURE_METRIC,
    FEATURE_SOURCE_LENGTH,
    FEATURE_HASH
} evo_feature_kind;

typedef struct evo_feature_cfg {
    evo_feature_kind kind;
    char name[64];   /* param or metric name */
    int bins;        /* metric, source_length, hash: number of bins */
    double min, max; /* metric, source_length: binning range (values outside are clamped) */
} evo_feature_cfg;

typedef struct evo_operator_weight {
    char name[32];
    double weight; /* 0 disables */
} evo_operator_weight;

struct evo_config {
    char *path;   /* file it came from, "" for strings */
    char *dir;    /* directory of path, to resolve relative paths ("." for strings) */
    json_t *root; /* the whole config with defaults filled in */
    char *json;   /* compact dump of root */

    char name[128];
    uint64_t seed;
    int concurrency;

    /* islands */
    int islands;
    int population; /* cap on each island's population (occupied cells) */
    int nfeatures;
    evo_feature_cfg features[EVO_MAX_FEATURES];

    /* migration */
    int migration_interval;      /* evaluations between migrations; 0 disables */
    double migration_rate;       /* fraction of an island's population sent (at least 1) */
    char migration_topology[16]; /* "ring" or "full" */

    /* selection */
    double temperature;    /* Boltzmann temperature over normalised fitness */
    double explore_rate;   /* initial probability of a uniform parent pick */
    double explore_max;    /* cap on the exploration rate */
    double explore_growth; /* factor applied on stagnation (LoongFlow doubles it) */
    int stagnation_window; /* evaluations of an island without improvement = stagnation */
    double elite_ratio;    /* fraction of an island's population in its elite pool */
    double global_mix;     /* probability the parent pool is the global archive */
    double weight_decay;   /* sampling weight factor after a non-improving child */
    double weight_boost;   /* sampling weight factor after an improving child (cap 1) */
    double min_weight;     /* floor on sampling weights */
    int inspirations;      /* inspirations handed to operators */

    /* archive */
    int archive_size;

    /* operators and bandit */
    int noperators;
    evo_operator_weight operators[16];
    char bandit_policy[16]; /* "ucb" or "weights" */
    double bandit_c;        /* UCB exploration constant */
    double bandit_discount; /* per-evaluation discount of operator statistics */
    int max_repairs;        /* repair rounds per child for operators that repair */
    int multi_max;          /* most parameters changed by the multi operator */
    double resample_prob;   /* point operator: resample instead of stepping */
    int max_tries;          /* constraint and duplicate rejection tries */
    double improve_epsilon; /* relative change below which a child is "stale" */
    int confirm_rounds;     /* interleaved re-timings of a would-be new best (0 = off) */

    /* stop conditions (0 = none) */
    int64_t max_evaluations;
    double max_wall_seconds;
    double target_fitness;
    int64_t stagnation_patience; /* evaluations without a new global best */

    /* store and logs */
    char store_sync[8];       /* "full", "meta" or "none": LMDB durability */
    double progress_interval; /* seconds between plain progress lines off a terminal */

    /* constants for constraints, from the "constants" object */
    int nconstants;
    char (*constant_names)[64];
    int64_t *constant_values;
};

/* Typed lookups into cfg->root by dotted path ("evaluator.task", "llm.models"); they return
 * the default-filled value, or fallback when absent. */
const char *config_get_string(const evo_config *cfg, const char *path, const char *fallback);
int64_t config_get_int(const evo_config *cfg, const char *path, int64_t fallback);
double config_get_double(const evo_config *cfg, const char *path, double fallback);
int config_get_bool(const evo_config *cfg, const char *path, int fallback);
json_t *config_get(const evo_config *cfg, const char *path); /* borrowed */
/* Resolve a path from the config relative to the config file's directory (caller frees). */
char *config_resolve_path(const evo_config *cfg, const char *path);
/* Weight of the operator called name (1.0 if not listed, 0 for "llm" unless listed). */
double config_operator_weight(const evo_config *cfg, const char *name);
/* The name of names[0, n) nearest to s when it is near enough to be a typo of it (one edit
 * for names of up to 5 bytes, two beyond; s itself is not near), else NULL. */
const char *config_nearest(const char *s, const char *const *names, int n);
#endif
