/* export.c -- evo_run_export: a run's candidate as a FlashInfer-Bench Solution and a Trace of
 * its evaluated workloads (gpu/task/export.h writes them), once `evo validate` has passed it.
 * The task comes from the run's stored configuration (evaluator.task, resolved against the
 * directory of the config file the run started from, or evaluator.dataset + definition)
 * unless a task folder is given. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "evo.h"
#include "export.h"
#include "section.h"
#include "task.h"

static int load_task(evo_run *r, const char *task_dir, evo_task **t)
{
    char err[2048] = "";
    if (task_dir) {
        if (task_load_dir(task_dir, t, err, sizeof err) == 0) return EVO_OK;
        return run_fail(r, EVO_ECONFIG, "--task: %s", err);
    }
    char *text = NULL, *base = NULL;
    int rc = evo_run_config(r, &text, &base);
    if (rc != EVO_OK) return rc;
    /* Where the run's evaluator found its task, resolved as the evaluator resolves it (a
     * dataset, when set, is what the run searched: the task key keeps its default). */
    json_t *cfg = json_loads(text, 0, NULL);
    const json_t *ev = json_object_get(cfg, "evaluator");
    const char *dataset = sec_string(ev, "dataset"), *task = sec_string(ev, "task");
    char *path = sec_path(base, *dataset ? dataset : task);
    if (!*dataset && !*task) {
        rc = run_fail(
            r, EVO_ECONFIG,
            "%s: the run's config has no evaluator.task or evaluator.dataset; pass --task DIR",
            run_dir_of(r));
    } else if (!path) {
        rc = run_fail(r, EVO_ENOMEM, "out of memory");
    } else if (task_open(
                   *dataset ? NULL : path, *dataset ? path : NULL, sec_string(ev, "definition"),
                   strcmp(sec_string(ev, "blob_policy"), "random") == 0, t, err, sizeof err) != 0) {
        rc = run_fail(r, EVO_ECONFIG, "%s (from the run's config; pass --task DIR to override)",
                      err);
    }
    free(path);
    json_decref(cfg);
    free(text);
    free(base);
    return rc;
}

/* Whether `evo validate` passed this candidate; why not, otherwise. */
static int validated(evo_run *r, int64_t id, char *why, size_t n)
{
    char *text = NULL;
    if (evo_run_validation(r, id, &text) != EVO_OK) {
        snprintf(why, n, "it has not been validated");
        return 0;
    }
    json_t *v = json_loads(text, 0, NULL);
    free(text);
    const char *st = json_string_value(json_object_get(v, "status"));
    const char *error = json_string_value(json_object_get(v, "error"));
    int ok = st && !strcmp(st, "PASSED");
    if (!ok)
        snprintf(why, n, "its validation ended %s: %.300s", st ? st : "without a verdict",
                 error ? error : "");
    json_decref(v);
    return ok;
}

static int write_candidate(evo_run *r, const evo_task *t, evo_candidate *c, const char *out_dir,
                           const char *hardware, const char *libs_in, export_binding_kind binding,
                           char **summary)
{
    json_t *rec = json_loads(evo_candidate_json(c), 0, NULL);
    char *rendered = evo_candidate_render(c);
    int rc = EVO_OK;
    if (!rec || !rendered) {
        rc = run_fail(r, EVO_ESTORE, "candidate %lld: unreadable record",
                      (long long)evo_candidate_id(c));
        goto out;
    }
    const char *tmpl = json_string_value(json_object_get(rec, "template"));
    char name[256], stamp[32], libs[256], err[1024];
    snprintf(name, sizeof name, "evo_%s_c%lld", tmpl ? tmpl : "candidate",
             (long long)evo_candidate_id(c));
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(libs, sizeof libs, "%s%sevo=%s", libs_in ? libs_in : "", libs_in ? "," : "",
             evo_version());
    export_info info = {name, "evo", hardware ? hardware : "unrecorded", stamp, libs, binding};
    int n = 0;
    if (export_write(t, rec, rendered, &info, out_dir, &n, err, sizeof err)) {
        rc = run_fail(r, EVO_EIO, "%s", err);
        goto out;
    }
    if (asprintf(
            summary,
            "exported candidate %lld as %s: %s/solutions/evo/%s/%s/%s.json and %d trace line%s in "
            "%s/traces/evo/%s/%s.jsonl",
            (long long)evo_candidate_id(c), name, out_dir, t->def.op_type, t->def.name, name, n,
            n == 1 ? "" : "s", out_dir, t->def.op_type, t->def.name) < 0) {
        *summary = NULL;
        rc = run_fail(r, EVO_ENOMEM, "out of memory");
    }
out:
    json_decref(rec);
    free(rendered);
    return rc;
}

int evo_run_export(evo_run *r, int64_t id, const char *out_dir, const char *task_dir,
                   const char *hardware, const char *libs, int flags, char **summary)
{
    *summary = NULL;
    evo_task *t = NULL;
    int rc = load_task(r, task_dir, &t);
    if (rc != EVO_OK) return rc;
    evo_candidate *c = NULL;
    rc = id ? evo_run_candidate(r, id, &c) : evo_run_best(r, &c);
    if (rc == EVO_OK) {
        char why[512];
        if (flags & ~(EVO_EXPORT_UNVALIDATED | EVO_EXPORT_TORCH))
            rc = run_fail(r, EVO_EINVAL, "export: unknown flags 0x%x", (unsigned)flags);
        else if (!(flags & EVO_EXPORT_UNVALIDATED) &&
                 !validated(r, evo_candidate_id(c), why, sizeof why))
            rc = run_fail(r, EVO_EINVAL,
                          "candidate %lld: %s; run `evo validate %s %lld` first (a stricter "
                          "re-evaluation on every "
                          "workload with fresh inputs), or pass --unvalidated",
                          (long long)evo_candidate_id(c), why, run_dir_of(r),
                          (long long)evo_candidate_id(c));
        else
            rc = write_candidate(
                r, t, c, out_dir, hardware, libs,
                flags & EVO_EXPORT_TORCH ? EXPORT_BINDING_TORCH : EXPORT_BINDING_TVM_FFI, summary);
        evo_candidate_free(c);
    }
    task_free(t);
    return rc;
}
