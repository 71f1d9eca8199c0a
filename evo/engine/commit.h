/* commit.h -- the summarize step (commit.c). */
#ifndef EVO_ENGINE_COMMIT_H
#define EVO_ENGINE_COMMIT_H
#include "engine_state.h"

#define COMMIT_BATCH_MAX 64

/* Commit n finished messages (not MSG_FATAL) in one transaction, in order: each candidate,
 * the state it changed, the fitness-log lines after the commit. Returns EVO_OK or a store
 * code with the engine's error naming the candidate. */
int commit_batch(evo_engine *e, evo_msg **msgs, int n);
#endif
