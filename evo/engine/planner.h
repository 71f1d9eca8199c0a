/* planner.h -- the plan step (planner.c). */
#ifndef EVO_ENGINE_PLANNER_H
#define EVO_ENGINE_PLANNER_H
#include <stdint.h>

#include "engine_state.h"

/* The next job: seed *seeds_planned (then counted) while seeds remain, else a mutation.
 * NULL with *rc set and the engine's error saying why (no operator has weight, a parent
 * cannot be read back, a seed cannot be instantiated). */
evo_job *plan_job(evo_engine *e, int64_t *seeds_planned, int *rc);
#endif
