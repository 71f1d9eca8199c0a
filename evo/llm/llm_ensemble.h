/* llm_ensemble.h -- the model choice of the "llm" operator (llm_ensemble.c): which model of
 * llm.models writes the next child under llm.policy (weights, bandit or block), and what each
 * child's outcome teaches the policy. Models of weight 0, or whose circuit breaker is open,
 * are never chosen. Not locked: the operator calls every function under its own lock. */
#ifndef EVO_LLM_ENSEMBLE_H
#define EVO_LLM_ENSEMBLE_H
#include "evo.h"
#include "llm_client.h"

typedef struct llm_ensemble {
    const llm_model_cfg *models; /* the operator's, nmodels of them */
    int nmodels;
    llm_client *client; /* its circuit breakers say which models answer now */
    int policy, block_size;
    int block_model, block_used, block_improved;
    char block_log[2048]; /* block policy: what the current block's model tried */
    char *handoff;        /* block policy: the note for the model that takes over */
    double reward[LLM_MAX_MODELS], spent[LLM_MAX_MODELS];
    int pulls[LLM_MAX_MODELS];
} llm_ensemble;

/* Start choosing among models (kept, not copied) with policy "weights", "bandit" or, for
 * anything else, "block" in blocks of block_size children (at least 1), the first model of
 * positive weight first. e starts zeroed. */
void llm_ensemble_init(llm_ensemble *e, const char *policy, int block_size,
                       const llm_model_cfg *models, int nmodels, llm_client *client);
void llm_ensemble_free(llm_ensemble *e);

/* The model for mutation m's child, or -1 when none is usable. *handoff is a copy of the
 * block policy's hand-off note for it (caller frees), or NULL. */
int llm_ensemble_pick(llm_ensemble *e, evo_mutation *m, char **handoff);
/* A child of model is judged: gain is its relative fitness gain over the parent (0 if none),
 * cost what it spent (llm_ensemble_cost_units); label and plan go into the block's log. */
void llm_ensemble_record(llm_ensemble *e, int model, double gain, double cost, const char *plan,
                         const char *label);
/* What a reply costs in the bandit's units: USD, or Mtok when the model is unpriced. */
double llm_ensemble_cost_units(const llm_reply *r);
#endif
