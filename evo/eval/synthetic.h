/* synthetic.h -- a CPU-only evaluator with a known optimum, for tests, benchmarks and as an
 * example of a user-supplied evaluator (config "evaluator": {"kind": "synthetic"}).
 *
 * The genome has parameters P0..P{dims-1}, each an integer in [0, levels). The optimum is
 * evaluator.synthetic.optimum (or P_i = (7*i + 3) mod levels). Fitness is
 * 1 / (1 + sum_i ((P_i - O_i) / levels)^2 * dims), so 1.0 exactly at the optimum, with
 * a second, lower peak at the mirrored point to make the landscape multimodal. A candidate
 * whose hash falls under fail_rate reports COMPILE_ERROR; delay_ms simulates cost. */
#ifndef EVO_SYNTHETIC_H
#define EVO_SYNTHETIC_H
#include "evo.h"

typedef struct synthetic_evaluator synthetic_evaluator;

/* Build from a config's evaluator section (its "synthetic" keys). NULL on out of memory. */
#include <jansson.h>
synthetic_evaluator *synthetic_new(const json_t *evaluator_section);
void synthetic_free(synthetic_evaluator *s);
evo_evaluator synthetic_table(synthetic_evaluator *s);
/* The seed source with its evo:params block (static for s's life). */
const char *synthetic_seed(const synthetic_evaluator *s);
/* The fitness of g without the configured noise (what re-timing it measures). */
double synthetic_true_fitness(const synthetic_evaluator *s, const evo_genome *g);
#endif
