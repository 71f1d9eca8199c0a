/* persist.h -- the engine's state in the store (persist.c). Every writer puts into a write
 * transaction the caller commits; errors are store codes (store_errmsg says more). */
#ifndef EVO_ENGINE_PERSIST_H
#define EVO_ENGINE_PERSIST_H
#include "engine_state.h"
#include "store.h"

/* Counters, RNG, bandit, usage, and the archive when archive_changed. */
int persist_state(evo_engine *e, evo_txn *t, int archive_changed);
/* Island i (members and memory). */
int persist_island(evo_engine *e, evo_txn *t, int i);
/* Everything: persist_state with the archive, the island count and every island. */
int persist_all(evo_engine *e, evo_txn *t);
/* The counters alone (a finished run's stop reason). */
int persist_counters(evo_engine *e, evo_txn *t);
/* A resumed run's state and seeds. Returns EVO_OK or EVO_ESTORE with the engine's error set
 * (the state is missing or an island is malformed; a seed's source is missing). */
int persist_load(evo_engine *e, evo_txn *t);
/* The cache of encoded members (engine close). */
void persist_free(evo_engine *e);
#endif
