/* validate.c -- evo_run_validate: the final evaluation, as FlashInfer-Bench makes one before it
 * ranks a solution. A run's candidate is evaluated again on every workload of the task, with a
 * stricter protocol than the search used (three times the compared runs, at least 10; twice
 * the timed runs; a fresh pool of reference sets whose seeds nobody has seen; new worker and
 * sandbox processes), and the verdict is kept in the run under "validation/<id>", where
 * evo_run_export looks for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "config.h"
#include "evo.h"
#include "gpu_evaluator.h"
#include "result.h"
#include "section.h"

/* The run's configuration with the validation protocol in place of the search's. */
static evo_config *strict_config(evo_run *r, int trials, int iterations)
{
    char *text = NULL, *base = NULL;
    if (evo_run_config(r, &text, &base) != EVO_OK) return NULL;
    json_t *cfg = json_loads(text, 0, NULL);
    free(text);
    json_t *ev = json_object_get(cfg, "evaluator");
    int64_t t = sec_int(ev, "trials"), it = sec_int(ev, "iterations");
    /* The loader filled in the search's own figures (schema minimum 1). */
    t = trials > 0 ? trials : t * 3 < 10 ? 10 : t * 3;
    it = iterations > 0 ? iterations : 2 * it;
    json_object_set_new(ev, "trials", json_integer(t > 100 ? 100 : t));
    json_object_set_new(ev, "iterations", json_integer(it > 10000 ? 10000 : it));
    json_object_set_new(ev, "input_sets", json_integer(0));
    json_object_set_new(ev, "workloads", json_array());
    json_object_set_new(ev, "max_workloads", json_integer(0));
    json_object_set_new(ev, "fresh_pool", json_true());
    char *strict = json_dumps(cfg, JSON_COMPACT);
    json_decref(cfg);
    char name[1100], err[2048];
    snprintf(name, sizeof name, "%s/store.mdb (stored config)", run_dir_of(r));
    evo_config *out = NULL;
    if (!strict || evo_config_parse(strict, name, &out, err, sizeof err) != EVO_OK) {
        run_fail(r, EVO_ECONFIG, "%s", strict ? err : "out of memory");
        out = NULL;
    } else {
        free(out->dir);
        out->dir = base;
        base = NULL;
    }
    free(strict);
    free(base);
    return out;
}

static char *verdict_json(const evo_result *res, int64_t id, const evo_config *cfg)
{
    json_t *v = result_to_json(res);
    if (!v) return NULL;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *ev = config_get(cfg, "evaluator");
    json_object_set_new(v, "candidate", json_integer(id));
    json_object_set_new(v, "date", json_string(stamp));
    json_object_set_new(v, "protocol",
                        json_pack("{s:I,s:I,s:I,s:b}", "trials", (json_int_t)sec_int(ev, "trials"),
                                  "iterations", (json_int_t)sec_int(ev, "iterations"), "warmup",
                                  (json_int_t)sec_int(ev, "warmup"), "fresh_pool", 1));
    char *out = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(v);
    return api_order_workloads_text(out); /* keys sorted, workloads by their axes */
}

int evo_run_validate(evo_run *r, int64_t id, int trials, int iterations, char **verdict)
{
    *verdict = NULL;
    evo_config *cfg = strict_config(r, trials, iterations);
    if (!cfg) return EVO_ECONFIG;
    evo_candidate *c = NULL;
    int rc = id ? evo_run_candidate(r, id, &c) : evo_run_best(r, &c);
    if (rc != EVO_OK) {
        evo_config_free(cfg);
        return rc;
    }
    id = evo_candidate_id(c);
    char err[2048];
    evo_evaluator ev;
    rc = evo_evaluator_gpu(cfg, &ev, err, sizeof err);
    if (rc != EVO_OK) {
        run_fail(r, rc, "%s", err);
        goto out;
    }
    rc = ev.start(ev.user, NULL, 1);
    if (rc != EVO_OK) {
        const char *why = gpu_evaluator_start_error(ev.user);
        run_fail(r, rc, "%s", *why ? why : evo_strerror(rc));
        ev.destroy(ev.user);
        goto out;
    }
    evo_result *res = result_new();
    rc = ev.evaluate(ev.user, 0, evo_candidate_genome(c), res);
    ev.stop(ev.user);
    ev.destroy(ev.user);
    if (rc != EVO_OK) {
        run_fail(r, rc, "the evaluator failed: %s", res->error ? res->error : evo_strerror(rc));
    } else {
        *verdict = verdict_json(res, id, cfg);
        if (!*verdict)
            rc = run_fail(r, EVO_ENOMEM, "out of memory");
        else
            /* A verdict that cannot be kept is still returned; the message says why. */
            run_keep_validation(r, id, *verdict);
    }
    result_free(res);
out:
    evo_candidate_free(c);
    evo_config_free(cfg);
    return rc;
}
