/* select.h -- parent choice and inspirations.
 *
 * With probability island->explore_rate the parent is a uniform pick from the island's
 * members; otherwise the pool is, with probability global_mix, the global archive, else the
 * island's elites (its best ceil(elite_ratio * n) members), and the parent is drawn with
 * probability proportional to exp((f - f_max) / (temperature * scale)) * weight, where scale
 * is the pool's fitness range (1 if zero). An empty island falls back to the archive. */
#ifndef EVO_SELECT_H
#define EVO_SELECT_H
#include "archive.h"
#include "island.h"
#include "pcg.h"

/* Returns 0 with *out set, or -1 when there is no member anywhere. */
int select_parent(const evo_island *is, const evo_archive *a, const evo_config *cfg, evo_pcg32 *rng,
                  evo_member *out);
/* A second parent of the same template as first, different from it (Boltzmann over the
 * island then the archive). Returns -1 when none exists. */
int select_mate(const evo_island *is, const evo_archive *a, const evo_config *cfg, evo_pcg32 *rng,
                const evo_member *first, evo_member *out);
/* Up to max inspirations, excluding `exclude`: the island best, global elites, and one
 * uniform pick for diversity; no id twice. Returns how many were written. */
int select_inspirations(const evo_island *is, const evo_archive *a, evo_pcg32 *rng, int64_t exclude,
                        int max, evo_member *out);
#endif
