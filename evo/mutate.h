/* mutate.h -- the template operators: point, multi, crossover, restart.
 * Each is an evo_operator working on the evo:params space of its parent's source; all
 * respect constraints by reject-and-resample with a bounded number of tries, and try again
 * (up to the same bound) when the child's hash has already been seen in the run. */
#ifndef EVO_MUTATE_H
#define EVO_MUTATE_H
#include "evo.h"

/* Fill ops[0..3] with point, multi, crossover and restart. Returns 4. */
int mutate_builtin_operators(evo_operator ops[4]);
#endif
