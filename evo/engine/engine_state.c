/* engine_state.c -- what every room of the engine shares: its error message, the session
 * clock, the incumbent best (read by workers for the winner's-curse check) and operator
 * names. The state itself is engine_state.h. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "engine_state.h"

const char *evo_errmsg(const evo_engine *e)
{
    return e ? e->errmsg : "out of memory";
}

void evo_engine_set_error(evo_engine *e, const char *fmt, ...)
{
    if (!e) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->errmsg, sizeof e->errmsg, fmt, ap);
    va_end(ap);
}

double engine_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double engine_elapsed(const evo_engine *e)
{
    if (e->session_start <= 0) return e->c.elapsed_s;
    return e->elapsed_base + (engine_now() - e->session_start);
}

void engine_set_incumbent(evo_engine *e, const evo_genome *g, double fitness)
{
    evo_genome *copy = g ? genome_copy(g) : NULL;
    pthread_mutex_lock(&e->best_mu);
    genome_free(e->incumbent);
    e->incumbent = copy;
    e->incumbent_fitness = fitness;
    pthread_mutex_unlock(&e->best_mu);
}

const char *engine_operator_name(const evo_engine *e, int op)
{
    return op >= 0 ? e->ops[op].name : "seed";
}
