/* pop_config.h -- a hand-filled evo_config with the documented defaults, for the population
 * suites (islands, selection, bandit), which must not depend on the config parser. */
#ifndef EVO_TEST_POP_CONFIG_H
#define EVO_TEST_POP_CONFIG_H
#include "config.h"
#include "island.h"
#include <stdio.h>
#include <string.h>

static inline void pop_default_config(evo_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->islands = 3;
    cfg->population = 100;
    cfg->nfeatures = 2;
    cfg->features[0].kind = FEATURE_TEMPLATE;
    cfg->features[1].kind = FEATURE_HASH;
    cfg->features[1].bins = 16;
    cfg->migration_interval = 10;
    cfg->migration_rate = 0.2;
    strcpy(cfg->migration_topology, "ring");
    cfg->temperature = 1;
    cfg->explore_rate = 0.2;
    cfg->explore_max = 0.8;
    cfg->explore_growth = 2;
    cfg->stagnation_window = 20;
    cfg->elite_ratio = 0.3;
    cfg->global_mix = 0.3;
    cfg->weight_decay = 0.8;
    cfg->weight_boost = 1.5;
    cfg->min_weight = 0.05;
    cfg->inspirations = 4;
    cfg->archive_size = 50;
    strcpy(cfg->bandit_policy, "ucb");
    cfg->bandit_c = 0.5;
    cfg->bandit_discount = 0.98;
}

/* A member with weight 1 and no children; cell defaults to "c<id>" (its own cell). */
static inline evo_member pop_member(int64_t id, double fitness, const char *hash, const char *tmpl,
                                    const char *cell)
{
    evo_member m;
    memset(&m, 0, sizeof m);
    m.id = id;
    m.fitness = fitness;
    m.weight = 1;
    snprintf(m.hash, sizeof m.hash, "%s", hash ? hash : "");
    snprintf(m.tmpl, sizeof m.tmpl, "%s", tmpl ? tmpl : "t");
    if (cell)
        snprintf(m.cell, sizeof m.cell, "%s", cell);
    else
        snprintf(m.cell, sizeof m.cell, "c%lld", (long long)id);
    return m;
}

/* Hash text unique to id. */
static inline evo_member pop_simple(int64_t id, double fitness)
{
    char hash[65];
    snprintf(hash, sizeof hash, "%064llx", (unsigned long long)id);
    return pop_member(id, fitness, hash, "t", NULL);
}
#endif
