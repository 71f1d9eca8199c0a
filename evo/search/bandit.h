/* bandit.h -- choosing the operator: discounted UCB1 over reward per evaluation.
 *
 * Each arm (operator) keeps a discounted count and reward sum; every update multiplies all
 * arms' statistics by `discount` first, so the bandit follows recent payoff. An arm of zero
 * weight is never chosen; an arm never tried is chosen first (by weight order). Score =
 * mean + c * sqrt(ln(total) / count), multiplied by the configured weight. Policy "weights"
 * ignores rewards and draws by weight. Reward is the relative improvement of the child over
 * its parent clipped to [0, 1] (0 for failures and non-improvements). */
#ifndef EVO_BANDIT_H
#define EVO_BANDIT_H
#include "config.h"
#include "pcg.h"
#include <jansson.h>
#include <stdint.h>

#define EVO_MAX_ARMS 16

typedef struct evo_arm {
    char name[32];
    double weight;
    double count;  /* discounted */
    double reward; /* discounted sum */
    int64_t uses;  /* evaluations made by this operator */
    int64_t improvements;
    int64_t failures;
} evo_arm;

typedef struct evo_bandit {
    int n;
    evo_arm arms[EVO_MAX_ARMS];
} evo_bandit;

void bandit_init(evo_bandit *b);
/* Add an arm; returns its index or -1 when full. */
int bandit_add(evo_bandit *b, const char *name, double weight);
int bandit_find(const evo_bandit *b, const char *name);
/* Choose an arm; -1 when every weight is zero. */
int bandit_choose(const evo_bandit *b, const evo_config *cfg, evo_pcg32 *rng);
void bandit_update(evo_bandit *b, const evo_config *cfg, int arm, double reward, int improved,
                   int failed);
json_t *bandit_to_json(const evo_bandit *b);
/* Restores statistics of arms present in both (by name); unknown names are ignored. */
int bandit_from_json(evo_bandit *b, const json_t *j);
#endif
