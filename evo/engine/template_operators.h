/* template_operators.h -- point, multi, crossover and restart as evo_operator tables
 * (template_operators.c over the pure moves of param_mutation.h). */
#ifndef EVO_ENGINE_TEMPLATE_OPERATORS_H
#define EVO_ENGINE_TEMPLATE_OPERATORS_H
#include "evo.h"

/* Fill ops[0..3] with point, multi, crossover and restart. Returns 4. */
int mutate_builtin_operators(evo_operator ops[4]);
#endif
