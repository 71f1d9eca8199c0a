/* island.h -- islands: a MAP-Elites grid of cells per island, and migration between them.
 *
 * Each island keeps at most one member per cell (the cell is a key built from the feature
 * descriptors in the config) and at most `population` members; a child enters its cell if
 * the cell is empty or holds a lower fitness; when the island is over its cap the lowest
 * member (never the island best) is dropped. Only PASSED candidates are ever members.
 * All state is plain data with a JSON form, so the engine stores it after every change. */
#ifndef EVO_ISLAND_H
#define EVO_ISLAND_H
#include "config.h"
#include "genome.h"
#include "result.h"
#include <jansson.h>
#include <stdint.h>

#define EVO_MEMORY_LINES 16

typedef struct evo_member {
    int64_t id;
    double fitness;
    double weight;    /* LoongFlow-style sampling weight in [min_weight, 1] */
    int64_t children; /* times chosen as a parent */
    char hash[65];
    char tmpl[64]; /* template name: crossover pairs members of one template */
    char cell[96]; /* cell key */
} evo_member;

typedef struct evo_island {
    int index;
    int n, cap;
    evo_member *members;
    int64_t best_id; /* -1 when empty */
    double best_fitness;
    double explore_rate;       /* current exploration rate */
    int64_t evaluations;       /* children evaluated on this island */
    int64_t since_improvement; /* evaluations since the island best improved */
    int nmemory;
    char *memory[EVO_MEMORY_LINES]; /* recent insights and failures, oldest first */
} evo_island;

/* The cell key of a candidate under cfg's features, e.g. "t=gemm_mma|BM=128|h=5". */
void island_cell_key(const evo_config *cfg, const evo_genome *g, const evo_result *r, char key[96]);

void island_init(evo_island *is, int index, const evo_config *cfg);
void island_free(evo_island *is);
/* Offer a member: returns 1 if it entered (new cell or better than the occupant), 0 if not
 * (also 0 if a member with the same id or hash is already there). */
int island_offer(evo_island *is, const evo_config *cfg, const evo_member *m);
/* Index of the member with this id, or -1. */
int island_find(const evo_island *is, int64_t id);
/* After a child of this island is evaluated: improved = the island best rose. Updates the
 * stagnation counter and grows the exploration rate (explore_growth, capped at explore_max)
 * every stagnation_window evaluations without improvement; resets it on improvement. */
void island_after_child(evo_island *is, const evo_config *cfg, int improved);
/* Scale the sampling weight of member id (if present) by factor, clamped to
 * [min_weight, 1]; count a child. */
void island_reweight(evo_island *is, const evo_config *cfg, int64_t id, double factor);
/* Append a memory line (kept to the newest EVO_MEMORY_LINES). */
void island_remember(evo_island *is, const char *line);
/* Memory lines joined with newlines (caller frees). */
char *island_memory_text(const evo_island *is);

json_t *island_to_json(const evo_island *is);
/* Replace the contents of *is (initialised by island_init, or zeroed) with island_to_json's
 * form, the cap coming from cfg. Returns 0, or -1 on a malformed form (then *is is empty). */
int island_from_json(evo_island *is, const evo_config *cfg, const json_t *j);

/* JSON form of one member, shared with the archive (new reference). */
json_t *member_to_json(const evo_member *m);
/* Returns 0, or -1 if j is not a member's form. */
int member_from_json(evo_member *m, const json_t *j);

/* Ring (or full) migration: each island sends copies of its best ceil(rate * n) members to
 * its neighbour(s); members already present there (same id or hash) are skipped. Returns
 * the number of members that moved. */
int islands_migrate(evo_island *islands, int n, const evo_config *cfg);
#endif
