/* bandit.c -- the operator bandit (see bandit.h): discounted UCB1 scaled by the configured
 * operator weights, or a plain draw by weight. The engine asks it which operator makes the
 * next child and tells it the reward once the child is evaluated; its statistics are stored
 * with the run so a resumed run keeps its preferences. */
#include "bandit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Below this a discounted count is treated as never tried. */
#define BANDIT_TINY 1e-9

void bandit_init(evo_bandit *b)
{
    memset(b, 0, sizeof *b);
}

int bandit_find(const evo_bandit *b, const char *name)
{
    for (int i = 0; i < b->n; i++)
        if (strcmp(b->arms[i].name, name) == 0) return i;
    return -1;
}

/* A name already present keeps its index and takes the new weight. */
int bandit_add(evo_bandit *b, const char *name, double weight)
{
    int i = bandit_find(b, name);
    if (i < 0) {
        if (b->n == EVO_MAX_ARMS) return -1;
        i = b->n++;
        memset(&b->arms[i], 0, sizeof b->arms[i]);
        snprintf(b->arms[i].name, sizeof b->arms[i].name, "%s", name);
    }
    b->arms[i].weight = weight > 0 ? weight : 0;
    return i;
}

static int untried(const evo_arm *arm)
{
    return arm->count < BANDIT_TINY && arm->uses == 0;
}

/* The untried arm of highest weight (lowest index on ties), or -1. */
static int first_untried(const evo_bandit *b)
{
    int best = -1;
    for (int i = 0; i < b->n; i++)
        if (b->arms[i].weight > 0 && untried(&b->arms[i]) &&
            (best < 0 || b->arms[i].weight > b->arms[best].weight))
            best = i;
    return best;
}

static int choose_by_weight(const evo_bandit *b, evo_pcg32 *rng)
{
    double sum = 0;
    for (int i = 0; i < b->n; i++)
        sum += b->arms[i].weight;
    double r = pcg32_uniform(rng) * sum, acc = 0;
    int last = -1;
    for (int i = 0; i < b->n; i++) {
        if (!(b->arms[i].weight > 0)) continue;
        acc += b->arms[i].weight;
        last = i;
        if (r < acc) break;
    }
    return last;
}

static int choose_ucb(const evo_bandit *b, const evo_config *cfg)
{
    int first = first_untried(b);
    if (first >= 0) return first;
    double total = 0;
    for (int i = 0; i < b->n; i++)
        total += b->arms[i].count;
    double log_total = log(total > 1 ? total : 1);
    int best = -1;
    double best_score = 0;
    for (int i = 0; i < b->n; i++) {
        const evo_arm *arm = &b->arms[i];
        if (!(arm->weight > 0)) continue;
        /* Tried long ago and discounted to nothing: as good as untried. */
        double score = arm->count < BANDIT_TINY
                           ? INFINITY
                           : arm->weight * (arm->reward / arm->count +
                                            cfg->bandit_c * sqrt(log_total / arm->count));
        if (best < 0 || score > best_score) {
            best = i;
            best_score = score;
        }
    }
    return best;
}

int bandit_choose(const evo_bandit *b, const evo_config *cfg, evo_pcg32 *rng)
{
    if (first_untried(b) < 0) {
        int any = 0;
        for (int i = 0; i < b->n; i++)
            any |= b->arms[i].weight > 0;
        if (!any) return -1;
    }
    if (strcmp(cfg->bandit_policy, "weights") == 0) return choose_by_weight(b, rng);
    return choose_ucb(b, cfg);
}

void bandit_update(evo_bandit *b, const evo_config *cfg, int arm, double reward, int improved,
                   int failed)
{
    if (arm < 0 || arm >= b->n) return;
    double d = cfg->bandit_discount;
    if (!(d > 0 && d <= 1)) d = 1;
    for (int i = 0; i < b->n; i++) {
        b->arms[i].count *= d;
        b->arms[i].reward *= d;
    }
    if (!(reward > 0)) reward = 0;
    if (reward > 1) reward = 1;
    evo_arm *a = &b->arms[arm];
    a->count += 1;
    a->reward += reward;
    a->uses++;
    a->improvements += improved != 0;
    a->failures += failed != 0;
}

json_t *bandit_to_json(const evo_bandit *b)
{
    json_t *arms = json_array();
    for (int i = 0; i < b->n; i++) {
        const evo_arm *a = &b->arms[i];
        json_array_append_new(arms, json_pack("{ss sf sf sf sI sI sI}", "name", a->name, "weight",
                                              a->weight, "count", a->count, "reward", a->reward,
                                              "uses", (json_int_t)a->uses, "improvements",
                                              (json_int_t)a->improvements, "failures",
                                              (json_int_t)a->failures));
    }
    return json_pack("{so}", "arms", arms);
}

/* Statistics only: the weights come from the configuration the bandit was built from. */
static int restore_arm(evo_arm *a, const json_t *j)
{
    json_t *count = json_object_get(j, "count"), *reward = json_object_get(j, "reward");
    json_t *uses = json_object_get(j, "uses"), *imp = json_object_get(j, "improvements");
    json_t *fail = json_object_get(j, "failures");
    if (!json_is_number(count) || !json_is_number(reward) || !json_is_integer(uses) ||
        !json_is_integer(imp) || !json_is_integer(fail))
        return -1;
    a->count = json_number_value(count);
    a->reward = json_number_value(reward);
    a->uses = json_integer_value(uses);
    a->improvements = json_integer_value(imp);
    a->failures = json_integer_value(fail);
    return 0;
}

/* Checks every entry before changing anything, so a bad form leaves b as it was. */
int bandit_from_json(evo_bandit *b, const json_t *j)
{
    json_t *arms = json_object_get(j, "arms");
    if (!json_is_array(arms)) return -1;
    size_t i;
    json_t *v;
    json_array_foreach(arms, i, v)
    {
        evo_arm scratch;
        if (!json_is_string(json_object_get(v, "name")) || restore_arm(&scratch, v) != 0) return -1;
    }
    json_array_foreach(arms, i, v)
    {
        int k = bandit_find(b, json_string_value(json_object_get(v, "name")));
        if (k >= 0) restore_arm(&b->arms[k], v);
    }
    return 0;
}
