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

/* Reserve one model call at its bound before it is sent (any thread): counted against the
 * budgets at once and written to the run's ledger in its own store transaction. Returns the
 * ticket (> 0), 0 when a budget is spent, or a negative EVO_ code when the ledger could not
 * be written (the call must then not be sent); err says why. */
int64_t budget_reserve(evo_engine *e, const char *model, int64_t tokens_in, int64_t tokens_out,
                       double cost_usd, char *err, size_t errlen);
/* A message's usage is being committed (engine thread): its tickets ("tickets" arrays in the
 * models' objects, removed here) leave the reservations and are dropped from the ledger by
 * budget_commit_ledger in the same transaction. */
void budget_settle(evo_engine *e, json_t *usage);
int budget_commit_ledger(evo_engine *e, evo_txn *t);
/* Resume: charge the calls an earlier session reserved and never settled (at their bound). */
void budget_load(evo_engine *e, evo_txn *t);
void budget_free(evo_engine *e);
#endif
