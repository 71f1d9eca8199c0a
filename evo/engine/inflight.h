/* inflight.h -- the hashes under evaluation (inflight.c). Thread-safe. */
#ifndef EVO_ENGINE_INFLIGHT_H
#define EVO_ENGINE_INFLIGHT_H
#include "engine_state.h"

/* 1 when hash is committed, 2 when it is being evaluated, else 0. */
int inflight_seen(evo_engine *e, const char *hash);
/* Claim hash for evaluation: 0 when it was free (now claimed), else as inflight_seen (2 too
 * when memory is short: the child is retried later rather than lost). */
int inflight_claim(evo_engine *e, const char *hash);
/* The candidate is committed (or failed to evaluate): forget the claim. */
void inflight_release(evo_engine *e, const char *hash);
#endif
