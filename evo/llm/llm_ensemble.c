/* llm_ensemble.c -- which model of the "llm" operator's ensemble writes the next child
 * (llm_ensemble.h): the llm.policy of llm_operator.h.
 *
 * weights draws a model in proportion to its weight; bandit takes the best improvement per
 * unit cost with an exploration bonus, trying every model once first; block keeps one model
 * for llm.block_size children and, when a block brings no improvement, hands over to the
 * next model with a note of what the last one tried. Every policy passes over models of
 * weight 0 and models whose circuit breaker (llm_client.c) is open, so a failing endpoint is
 * skipped rather than chosen again. The operator (llm_operator.c) owns the state and its
 * lock; nothing here calls back into it. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_ensemble.h"
#include "strf.h"

enum { POLICY_WEIGHTS, POLICY_BANDIT, POLICY_BLOCK };

static int parse_policy(const char *s)
{
    if (strcmp(s, "weights") == 0) return POLICY_WEIGHTS;
    if (strcmp(s, "bandit") == 0) return POLICY_BANDIT;
    return POLICY_BLOCK;
}

void llm_ensemble_init(llm_ensemble *e, const char *policy, int block_size,
                       const llm_model_cfg *models, int nmodels, llm_client *client)
{
    e->models = models;
    e->nmodels = nmodels;
    e->client = client;
    e->policy = parse_policy(policy);
    e->block_size = block_size;
    if (e->block_size < 1) e->block_size = 1;
    for (int i = 0; i < e->nmodels; i++)
        if (e->models[i].weight > 0) {
            e->block_model = i;
            break;
        }
}

void llm_ensemble_free(llm_ensemble *e)
{
    free(e->handoff);
    e->handoff = NULL;
}

double llm_ensemble_cost_units(const llm_reply *r)
{
    /* Unpriced (local) models are charged by tokens so the bandit still sees a cost. */
    return r->cost_usd > 0 ? r->cost_usd : (double)(r->tokens_in + r->tokens_out) / 1e6;
}

/* ---- choice ---------------------------------------------------------------------------- */

static int usable(llm_ensemble *e, int i)
{
    return e->models[i].weight > 0 && llm_client_available(e->client, i);
}

static int pick_weights(llm_ensemble *e, evo_mutation *m)
{
    double total = 0;
    for (int i = 0; i < e->nmodels; i++)
        if (usable(e, i)) total += e->models[i].weight;
    if (total <= 0) return -1;
    double x = evo_mutation_uniform(m) * total;
    int last = -1;
    for (int i = 0; i < e->nmodels; i++) {
        if (!usable(e, i)) continue;
        last = i;
        if (x < e->models[i].weight) return i;
        x -= e->models[i].weight;
    }
    return last;
}

/* Improvement per unit cost with a multiplicative exploration bonus, so the scale of the
 * reward (relative fitness gain per dollar or per Mtok) does not matter. Untried first. */
static int pick_bandit(llm_ensemble *e)
{
    int best = -1, total = 0;
    for (int i = 0; i < e->nmodels; i++)
        total += e->pulls[i];
    double best_score = -1;
    for (int i = 0; i < e->nmodels; i++) {
        if (!usable(e, i)) continue;
        if (e->pulls[i] == 0) return i;
        double value = (e->reward[i] + 0.01) / (e->spent[i] + 0.01);
        double score = value * (1.0 + sqrt(2.0 * log((double)total + 1) / e->pulls[i]));
        if (score > best_score) {
            best_score = score;
            best = i;
        }
    }
    return best;
}

static int next_usable(llm_ensemble *e, int from)
{
    for (int k = 1; k <= e->nmodels; k++) {
        int i = (from + k) % e->nmodels;
        if (usable(e, i)) return i;
    }
    return -1;
}

static void make_handoff(llm_ensemble *e, int from)
{
    free(e->handoff);
    e->handoff =
        strf("You take over from model '%s', whose last %d attempts brought no "
             "improvement. What it tried:\n%sTry a different direction from these.\n",
             e->models[from].name, e->block_used, e->block_log[0] ? e->block_log : "(no record)\n");
    e->block_log[0] = 0;
}

/* Keep a model for a block; switch with a hand-off note when the block was fruitless. */
static int pick_block(llm_ensemble *e)
{
    int cur = e->block_model;
    if (e->block_used >= e->block_size) {
        if (!e->block_improved && e->nmodels > 1) {
            int nxt = next_usable(e, cur);
            if (nxt >= 0 && nxt != cur) {
                make_handoff(e, cur);
                cur = nxt;
            }
        } else if (e->block_improved) {
            free(e->handoff);
            e->handoff = NULL;
            e->block_log[0] = 0;
        }
        e->block_used = 0;
        e->block_improved = 0;
    }
    if (!usable(e, cur)) {
        int nxt = next_usable(e, cur);
        if (nxt < 0) return -1;
        if (e->block_used > 0) make_handoff(e, cur);
        cur = nxt;
        e->block_used = 0;
        e->block_improved = 0;
    }
    e->block_model = cur;
    e->block_used++;
    return cur;
}

int llm_ensemble_pick(llm_ensemble *e, evo_mutation *m, char **handoff)
{
    *handoff = NULL;
    int i = e->policy == POLICY_WEIGHTS  ? pick_weights(e, m)
            : e->policy == POLICY_BANDIT ? pick_bandit(e)
                                         : pick_block(e);
    if (i >= 0) e->pulls[i]++;
    if (e->policy == POLICY_BLOCK && e->handoff) *handoff = strdup(e->handoff);
    return i;
}

/* ---- outcomes -------------------------------------------------------------------------- */

void llm_ensemble_record(llm_ensemble *e, int model, double gain, double cost, const char *plan,
                         const char *label)
{
    e->reward[model] += gain;
    e->spent[model] += cost;
    if (e->policy != POLICY_BLOCK || model != e->block_model) return;
    if (strcmp(label, "improvement") == 0) e->block_improved = 1;
    char line[300];
    char first[200] = "";
    if (plan) {
        size_t k = strcspn(plan, "\n");
        snprintf(first, sizeof first, "%.*s", (int)(k > 180 ? 180 : k), plan);
    }
    snprintf(line, sizeof line, "- %s (%s)\n", first[0] ? first : "(no plan)", label);
    size_t used = strlen(e->block_log);
    if (used + strlen(line) < sizeof e->block_log)
        memcpy(e->block_log + used, line, strlen(line) + 1);
}
