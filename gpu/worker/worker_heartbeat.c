/* worker_heartbeat.c -- what evo-worker tells the engine while it works. The engine's
 * watchdog stops a worker it has not heard from; a worker busy building references on the
 * host or watching a long sequence in the sandbox ticks every 250 ms from a thread of its own,
 * and its files tick at each step they begin. */
#include <time.h>

#include "worker.h"

void hw_tick(worker *w, const char *what)
{
    ipc_tick(w->reply_fd, &w->send_lock, what);
}

void hw_progress(worker *w, const char *step, int64_t done, int64_t total)
{
    ipc_tick_progress(w->reply_fd, &w->send_lock, step, done, total);
}

void hw_busy(worker *w, int busy)
{
    /* Busy steps nest (a request that builds references): only the outermost end stops it. */
    __atomic_add_fetch(&w->busy, busy ? 1 : -1, __ATOMIC_SEQ_CST);
}

static void *beat(void *arg)
{
    worker *w = arg;
    while (!__atomic_load_n(&w->quit, __ATOMIC_SEQ_CST)) {
        struct timespec ts = {0, 250 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (__atomic_load_n(&w->busy, __ATOMIC_SEQ_CST)) hw_tick(w, "busy");
    }
    return NULL;
}

int hw_heartbeat_start(worker *w)
{
    return pthread_create(&w->beat, NULL, beat, w) == 0 ? 0 : -1;
}

void hw_heartbeat_stop(worker *w)
{
    __atomic_store_n(&w->quit, 1, __ATOMIC_SEQ_CST);
    pthread_join(w->beat, NULL);
}
