/* pool.h -- the execute step (pool.c): worker threads that run a job's operator and the
 * evaluator, and post messages back to the engine thread. */
#ifndef EVO_ENGINE_POOL_H
#define EVO_ENGINE_POOL_H
#include "engine_state.h"

/* nthreads workers; NULL when they cannot start. */
evo_pool *pool_start(evo_engine *e, int nthreads);
/* The pool owns the job until its final message is out; the engine frees it then. */
void pool_submit(evo_pool *p, evo_job *job);
/* Wait for the next message (blocks). */
evo_msg *pool_next(evo_pool *p);
/* Non-blocking: NULL when none is queued. */
evo_msg *pool_poll(evo_pool *p);
/* Joins the threads after their current job; drops jobs not started and messages not taken. */
void pool_stop(evo_pool *p);
void msg_free(evo_msg *msg);
#endif
