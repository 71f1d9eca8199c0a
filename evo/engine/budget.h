/* budget.h -- the model operators' spending (budget.c). Thread-safe. */
#ifndef EVO_ENGINE_BUDGET_H
#define EVO_ENGINE_BUDGET_H
#include <jansson.h>
#include <stdint.h>

#include "engine_state.h"

/* 1 while no LLM budget is spent (an estimate at most `concurrency` jobs late). */
int budget_left(const evo_engine *e);
/* Add to the {"model": {tokens_in, tokens_out, cost_usd, calls}} object models (the one shape
 * of usage: a child's, a message's, the run's). */
void usage_add(json_t *models, const char *model, int64_t tokens_in, int64_t tokens_out,
               double cost_usd, int64_t calls);
/* Add every model's figures of from into into. */
void usage_merge(json_t *into, const json_t *from);
/* Add a committed candidate's usage: {"model": {tokens_in, tokens_out, cost_usd, calls}}. */
void budget_add_usage(evo_engine *e, const json_t *usage);
/* When a budget is spent, give the model operators (those that summarize) weight 0 so the
 * bandit stops choosing them (engine thread). */
void budget_apply(evo_engine *e);
#endif
