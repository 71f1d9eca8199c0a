/* setup_progress.c -- evo_engine_set_setup_progress and evo_engine_report_setup (evo.h): an
 * evaluator's long setup steps, passed on to the program with each step's elapsed time. Reports
 * come from the engine thread (start) and from worker threads (the first evaluations), so they
 * are serialised here; the engine itself never reports. */
#include <stdio.h>
#include <string.h>

#include "engine_state.h"

static pthread_mutex_t setup_mu = PTHREAD_MUTEX_INITIALIZER;

void evo_engine_set_setup_progress(evo_engine *e, evo_setup_fn fn, void *user)
{
    if (!e) return;
    pthread_mutex_lock(&setup_mu);
    e->setup_progress = fn;
    e->setup_user = user;
    e->setup_step[0] = 0;
    pthread_mutex_unlock(&setup_mu);
}

void evo_engine_report_setup(evo_engine *e, const char *step, int64_t done, int64_t total)
{
    if (!e || !step) return;
    pthread_mutex_lock(&setup_mu);
    if (e->setup_progress) {
        double now = engine_now();
        if (done <= 0 || strncmp(e->setup_step, step, sizeof e->setup_step - 1) != 0) {
            snprintf(e->setup_step, sizeof e->setup_step, "%s", step);
            e->setup_start = now;
        }
        if (total < 0) total = 0;
        if (done < 0) done = 0;
        if (total > 0 && done > total) done = total;
        evo_setup_progress p = {step, done, total, now - e->setup_start};
        e->setup_progress(e->setup_user, &p);
    }
    pthread_mutex_unlock(&setup_mu);
}
