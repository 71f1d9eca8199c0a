/* operator_context.h -- the context an operator works in (operator_context.c): filled when a
 * job is planned, used by one worker thread, cleared when the job is done. */
#ifndef EVO_ENGINE_OPERATOR_CONTEXT_H
#define EVO_ENGINE_OPERATOR_CONTEXT_H
#include <stddef.h>

#include "engine_state.h"

#define SPACE_CACHE_MAX 4096
struct space_entry {
    char sha[65];
    evo_space *space;
};

void mutation_init(evo_mutation *m, evo_engine *e);
/* Frees everything the context holds and zeroes it. */
void mutation_clear(evo_mutation *m);
/* The parsed space of a source, cached by the engine (immutable, valid until the engine
 * closes). *owned is set when the cache is full and the caller must space_free it.
 * Returns NULL with err on a malformed evo:params block. */
const evo_space *mutation_space(evo_mutation *m, const char *source, int *owned, char *err,
                                size_t errlen);
void space_cache_free(evo_engine *e);
#endif
