/* shipped.c -- the evaluators and the operator evo ships, as evo.h hands them to programs, and
 * the one call that wires an engine from its configuration (what the evo command, the
 * benchmarks and the tests all do). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "evo.h"
#include "gpu_evaluator.h"
#include "llm_operator.h"
#include "section.h"
#include "synthetic.h"
#include "task.h"

static void gpu_destroy(void *user)
{
    gpu_evaluator_free(user);
}

int evo_evaluator_gpu(const evo_config *cfg, evo_evaluator *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    gpu_evaluator *g = NULL;
    int rc = gpu_evaluator_new(config_get(cfg, "evaluator"), cfg->dir, cfg->seed, &g, err, errlen);
    if (rc != EVO_OK) return rc;
    *out = gpu_evaluator_table(g);
    out->destroy = gpu_destroy;
    return EVO_OK;
}

static void synthetic_destroy(void *user)
{
    synthetic_free(user);
}

int evo_evaluator_synthetic(const evo_config *cfg, evo_evaluator *out, const char **seed_source,
                            char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    synthetic_evaluator *s = synthetic_new(config_get(cfg, "evaluator"));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return EVO_ENOMEM;
    }
    *out = synthetic_table(s);
    out->destroy = synthetic_destroy;
    if (seed_source) *seed_source = synthetic_seed(s);
    return EVO_OK;
}

int evo_operator_llm(const evo_config *cfg, evo_operator *out, char *err, size_t errlen)
{
    return llm_operator_create(config_get(cfg, "llm"), cfg->dir, out, err, errlen);
}

static int wanted_seed(const json_t *ev, const char *name)
{
    json_t *list = sec_get(ev, "seeds");
    if (json_array_size(list) == 0) return 1;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) if (json_string_value(v) &&
                                       strcmp(json_string_value(v), name) == 0) return 1;
    return 0;
}

/* The GPU evaluator and the task's seeds. Seeds for another architecture (wgmma on a B200)
 * are left out; the device is known only once the worker starts, so an unset arch means
 * Hopper, the test bed, and a seed that does not build there is recorded as it fails. */
static int configure_gpu(evo_engine *e, const evo_config *cfg)
{
    char err[2048];
    evo_evaluator ev;
    int rc = evo_evaluator_gpu(cfg, &ev, err, sizeof err);
    if (rc != EVO_OK) {
        evo_engine_set_error(e, "%s", err);
        return rc;
    }
    const evo_task *t = gpu_evaluator_task(ev.user);
    rc = evo_engine_set_evaluator(e, &ev);
    if (rc != EVO_OK) {
        ev.destroy(ev.user);
        return rc;
    }
    json_t *sec = config_get(cfg, "evaluator");
    const char *arch = sec_string(sec, "arch");
    int added = 0;
    for (int i = 0; rc == EVO_OK && i < t->nseeds; i++) {
        if (!wanted_seed(sec, t->seed_names[i]) ||
            !task_seed_supports(t, i, arch[0] ? arch : "sm_90a"))
            continue;
        rc = evo_engine_add_seed(e, t->seed_names[i], t->seed_sources[i]);
        added++;
    }
    if (rc == EVO_OK && t->nseeds == 0) {
        /* A dataset's definition with no task folder to lend it seeds (task_seed_folder). */
        evo_engine_set_error(e,
                             "evaluator.definition: no seed kernels for definition '%s': set "
                             "evaluator.task to a task folder whose definition is '%s' (its "
                             "seeds are used with the dataset's definition and workloads)",
                             t->def.name, t->def.name);
        rc = EVO_ECONFIG;
    } else if (rc == EVO_OK && added == 0) {
        evo_engine_set_error(e, "evaluator.seeds names no seed of task '%s'", t->def.name);
        rc = EVO_ECONFIG;
    }
    return rc;
}

static int configure_synthetic(evo_engine *e, const evo_config *cfg)
{
    char err[256];
    evo_evaluator ev;
    const char *seed = NULL;
    int rc = evo_evaluator_synthetic(cfg, &ev, &seed, err, sizeof err);
    if (rc != EVO_OK) {
        evo_engine_set_error(e, "%s", err);
        return rc;
    }
    rc = evo_engine_set_evaluator(e, &ev);
    if (rc != EVO_OK) {
        ev.destroy(ev.user);
        return rc;
    }
    return evo_engine_add_seed(e, "synthetic", seed);
}

int evo_engine_configure(evo_engine *e)
{
    const evo_config *cfg = evo_engine_config(e);
    const char *kind = sec_string(config_get(cfg, "evaluator"), "kind");
    int rc;
    if (!strcmp(kind, "gpu")) {
        rc = configure_gpu(e, cfg);
    } else if (!strcmp(kind, "synthetic")) {
        rc = configure_synthetic(e, cfg);
    } else {
        rc = EVO_OK; /* "custom": the program sets its evaluator and seeds itself */
    }
    if (rc != EVO_OK || config_operator_weight(cfg, "llm") <= 0) return rc;
    char err[2048];
    evo_operator op;
    rc = evo_operator_llm(cfg, &op, err, sizeof err);
    if (rc != EVO_OK) {
        evo_engine_set_error(e, "%s", err);
        return rc;
    }
    rc = evo_engine_add_operator(e, &op);
    if (rc != EVO_OK && op.destroy) op.destroy(op.user);
    return rc;
}
