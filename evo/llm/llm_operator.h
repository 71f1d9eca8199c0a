/* llm_operator.h -- the language-model mutation operator ("llm"): plan, execute, summarise.
 *
 * For each child: a planner prompt (task contract, the parent's source, parameters and
 * per-workload figures, inspirations, the island's insights and failures) gets a short plan;
 * an executor prompt turns plan and parent into a full new source or SEARCH/REPLACE blocks
 * (llm_edit.h); a failed evaluation goes back to the same model as a repair prompt for up to
 * max_repairs rounds; the summariser turns parent and child figures into a one-paragraph
 * lesson stored as the child's insight. Every prompt, reply, plan, lesson, token count and
 * cost is noted with the child it belongs to.
 *
 * Several models may share a run (llm.policy): by weight, by a bandit on improvement per
 * unit cost, or in blocks of llm.block_size children per model, switching with a hand-off
 * note when a block brings no improvement. Budgets (llm.max_cost_usd, max_tokens, max_calls)
 * are checked before every call. Model output is only ever text handed to the evaluator. */
#ifndef EVO_LLM_OPERATOR_H
#define EVO_LLM_OPERATOR_H
#include "evo.h"
#include <jansson.h>
#include <stddef.h>

/* Build the operator from cfg's "llm" section (models, policy, prompts). Returns EVO_OK with
 * *out filled (its destroy callback frees everything), or EVO_ECONFIG / EVO_EIO / EVO_ENOMEM
 * with err naming the problem (no models, unreadable or malformed prompt template...). */
int llm_operator_create(const json_t *llm_section, const char *base_dir, evo_operator *out,
                        char *err, size_t errlen);

/* The prompts folder the operator would use for cfg (caller frees). */
char *llm_prompts_dir(const json_t *llm_section, const char *base_dir);
#endif
