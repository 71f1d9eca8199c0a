/* export.c -- FlashInfer-Bench Solution and Trace export (see export.h for the formats): the
 * Solution object around the generated launcher (export_launcher.c) and binding
 * (export_binding.c), the Trace lines of a candidate record, FlashInfer-Bench's validation
 * rules for both, and the dataset layout they are written in. */
#include "export.h"
#include "errbuf.h"
#include "export_text.h"
#include "safe_path.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "evo_status.h"

/* ---- solution ---- */

json_t *export_solution(const evo_task *t, const evo_plan *p, const char *rendered,
                        const export_info *info, char *err, size_t errlen)
{
    const export_binding_kind kind = info->binding;
    char *launcher = export_launcher(t, p, rendered, err, errlen);
    char *binding = launcher ? export_binding(t, p, kind, err, errlen) : NULL;
    if (!binding) {
        free(launcher);
        return NULL;
    }
    const char *file = export_binding_file(kind);
    char desc[700], entry[64];
    snprintf(desc, sizeof desc,
             "Found by evo's evolutionary search. kernel.cuh is the candidate with its parameters "
             "applied as #defines; kernel.cu (its one CUDA translation unit: the launches of its "
             "plan, %d kernel%s) and %s (%s: tensor checks, then the call) were generated from "
             "its launch plan.%s",
             p->nkernels, p->nkernels == 1 ? "" : "s", file,
             kind == EXPORT_BINDING_TORCH ? "torch" : "TVM-FFI",
             !export_needs_sm90a(rendered)  ? ""
             : kind == EXPORT_BINDING_TORCH ? " Needs sm_90a: build with TORCH_CUDA_ARCH_LIST=9.0a."
                                            : " Needs sm_90a: build with "
                                              "TVM_FFI_CUDA_ARCH_LIST=9.0a.");
    snprintf(entry, sizeof entry, "%s::run", file);
    json_t *s = json_pack(
        "{s:s,s:s,s:s,s:s,s:{s:s,s:[s],s:s,s:[],s:s,s:b},s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}]}",
        "name", info->name, "definition", t->def.name, "author", info->author, "description", desc,
        "spec", "language", "cuda", "target_hardware", info->hardware, "entry_point", entry,
        "dependencies", "binding", export_binding_name(kind), "destination_passing_style", 1,
        "sources", "path", "kernel.cuh", "content", rendered, "path", "kernel.cu", "content",
        launcher, "path", file, "content", binding);
    free(launcher);
    free(binding);
    if (!s) errbuf_fail(err, errlen, "solution: cannot build the JSON (a string is not UTF-8?)");
    return s;
}

/* ---- traces ---- */

static json_t *workload_json(const evo_task *t, const task_workload *w)
{
    json_t *axes = json_object(), *inputs = json_object();
    for (int i = 0; i < w->naxes; i++)
        json_object_set_new(axes, w->axis_names[i], json_integer(w->axis_values[i]));
    for (int i = 0; i < w->ninputs && i < t->def.ninputs; i++) {
        const task_input_gen *g = &w->inputs[i];
        const char *name = t->def.inputs[i].name;
        switch (g->kind) {
        case GEN_RANDOM:
            json_object_set_new(inputs, name, json_pack("{s:s}", "type", "random"));
            break;
        case GEN_SCALAR:
            json_object_set_new(inputs, name,
                                json_pack("{s:s,s:f}", "type", "scalar", "value", g->scalar));
            break;
        case GEN_SAFETENSORS:
            json_object_set_new(inputs, name,
                                json_pack("{s:s,s:s,s:s}", "type", "safetensors", "path", g->path,
                                          "tensor_key", g->tensor_key));
            break;
        case GEN_ABSENT:
            break;
        }
    }
    return json_pack("{s:s,s:o,s:o}", "uuid", w->uuid, "axes", axes, "inputs", inputs);
}

/* Our statuses as FlashInfer-Bench's: a guard violation or a write over the harness is a
 * runtime failure of the solution, a time beyond the physical floor a wrong result (it did
 * not do the work), an invalid parameter point one that does not build. */
static const char *fib_status(const char *ours)
{
    if (!ours) return "RUNTIME_ERROR";
    if (!strcmp(ours, "GUARD_VIOLATION") || !strcmp(ours, "HARNESS_TAMPERED"))
        return "RUNTIME_ERROR";
    if (!strcmp(ours, "BEYOND_FLOOR")) return "INCORRECT_NUMERICAL";
    if (!strcmp(ours, "INVALID")) return "COMPILE_ERROR";
    return ours;
}

static double num(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0.0;
}

json_t *export_trace(const evo_task *t, const task_workload *w, const json_t *record,
                     const export_info *info)
{
    json_t *fig = json_object_get(json_object_get(record, "workloads"), w->label);
    if (!json_is_object(fig)) return NULL;
    const char *cand = json_string_value(json_object_get(record, "status"));
    json_t *st = json_object_get(fig, "status");
    const char *status;
    if (json_is_string(st))
        status = json_string_value(st);
    else if (json_is_integer(st))
        status = evo_status_name((evo_status)json_integer_value(st));
    else
        status = json_object_get(fig, "latency_us") ? "PASSED" : cand;
    status = fib_status(status);
    const char *error = json_string_value(json_object_get(record, "error"));
    char log[1024];
    snprintf(log, sizeof log,
             "evo candidate %lld (%s)%s%s; reference latency = the task "
             "baseline kernel, timed by the same harness",
             (long long)json_integer_value(json_object_get(record, "id")),
             json_string_value(json_object_get(record, "template"))
                 ? json_string_value(json_object_get(record, "template"))
                 : "?",
             strcmp(status, "PASSED") && error ? ": " : "",
             strcmp(status, "PASSED") && error ? error : "");
    json_t *libs = json_object();
    if (info->libs) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", info->libs);
        for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv;
             kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            if (eq) {
                *eq = 0;
                json_object_set_new(libs, kv, json_string(eq + 1));
            }
        }
    }
    json_t *ev = json_pack("{s:s,s:{s:s,s:o},s:s,s:s}", "status", status, "environment", "hardware",
                           info->hardware, "libs", libs, "timestamp", info->timestamp, "log", log);
    if (!strcmp(status, "PASSED") || !strcmp(status, "INCORRECT_NUMERICAL"))
        json_object_set_new(ev, "correctness",
                            json_pack("{s:f,s:f}", "max_relative_error", num(fig, "max_rel_err"),
                                      "max_absolute_error", num(fig, "max_abs_err")));
    if (!strcmp(status, "PASSED")) {
        double us = num(fig, "latency_us"), base = num(fig, "baseline_us");
        double sp = num(fig, "speedup");
        if (sp <= 0 && us > 0) sp = base / us;
        json_object_set_new(ev, "performance",
                            json_pack("{s:f,s:f,s:f}", "latency_ms", us / 1000.0,
                                      "reference_latency_ms", base / 1000.0, "speedup_factor", sp));
    }
    return json_pack("{s:s,s:o,s:s,s:o}", "definition", t->def.name, "workload",
                     workload_json(t, w), "solution", info->name, "evaluation", ev);
}

/* ---- validation ---- */

static int need_string(const json_t *o, const char *where, const char *key, char *err,
                       size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return errbuf_fail(err, errlen, "%s: key '%s': expected a string", where, key);
    if (!json_string_value(v)[0])
        return errbuf_fail(err, errlen, "%s: key '%s': must not be empty", where, key);
    return 0;
}

static int need_figures(const json_t *o, const char *where, const char *const *keys, char *err,
                        size_t errlen)
{
    if (!json_is_object(o)) return errbuf_fail(err, errlen, "%s: expected an object", where);
    for (int i = 0; keys[i]; i++) {
        json_t *v = json_object_get(o, keys[i]);
        if (!json_is_number(v))
            return errbuf_fail(err, errlen, "%s: key '%s': expected a number", where, keys[i]);
        if (json_number_value(v) < 0)
            return errbuf_fail(err, errlen, "%s: key '%s': must be non-negative, found %g", where,
                               keys[i], json_number_value(v));
    }
    return 0;
}

int export_check_solution(const json_t *s, char *err, size_t errlen)
{
    if (!json_is_object(s)) return errbuf_fail(err, errlen, "solution: expected an object");
    static const char *const req[] = {"name", "definition", "author", NULL};
    for (int i = 0; req[i]; i++)
        if (need_string(s, "solution", req[i], err, errlen)) return -1;
    json_t *spec = json_object_get(s, "spec");
    if (!json_is_object(spec))
        return errbuf_fail(err, errlen, "solution: key 'spec': expected an object");
    if (need_string(spec, "solution.spec", "language", err, errlen) ||
        need_string(spec, "solution.spec", "entry_point", err, errlen))
        return -1;
    const char *lang = json_string_value(json_object_get(spec, "language"));
    if (strcmp(lang, "cuda") && strcmp(lang, "triton") && strcmp(lang, "python"))
        return errbuf_fail(err, errlen, "solution.spec: key 'language': unknown language '%s'",
                           lang);
    const char *entry = json_string_value(json_object_get(spec, "entry_point"));
    const char *sep = strstr(entry, "::");
    if (!sep || sep == entry || !sep[2])
        return errbuf_fail(err, errlen,
                           "solution.spec: key 'entry_point': '%s' is not FILE::FUNCTION", entry);
    json_t *hw = json_object_get(spec, "target_hardware");
    if (!json_is_array(hw) || !json_array_size(hw))
        return errbuf_fail(err, errlen,
                           "solution.spec: key 'target_hardware': expected a non-empty "
                           "array of strings");
    json_t *dps = json_object_get(spec, "destination_passing_style");
    if (dps && !json_is_boolean(dps))
        return errbuf_fail(err, errlen,
                           "solution.spec: key 'destination_passing_style': expected a "
                           "boolean");
    json_t *src = json_object_get(s, "sources");
    if (!json_is_array(src) || !json_array_size(src))
        return errbuf_fail(err, errlen, "solution: key 'sources': expected a non-empty array");
    int entry_found = 0;
    size_t i;
    json_t *f;
    json_array_foreach(src, i, f)
    {
        char where[64];
        snprintf(where, sizeof where, "solution.sources[%zu]", i);
        if (need_string(f, where, "path", err, errlen)) return -1;
        if (!json_is_string(json_object_get(f, "content")))
            return errbuf_fail(err, errlen, "%s: key 'content': expected a string", where);
        const char *path = json_string_value(json_object_get(f, "path"));
        if (path[0] == '/' || strstr(path, ".."))
            return errbuf_fail(err, errlen, "%s: key 'path': '%s' must be relative, without '..'",
                               where, path);
        entry_found |=
            strlen(path) == (size_t)(sep - entry) && !strncmp(path, entry, (size_t)(sep - entry));
    }
    if (!entry_found)
        return errbuf_fail(err, errlen, "solution.spec: key 'entry_point': no source '%.*s'",
                           (int)(sep - entry), entry);
    return 0;
}

static const char *const STATUSES[] = {"PASSED",
                                       "INCORRECT_SHAPE",
                                       "INCORRECT_NUMERICAL",
                                       "INCORRECT_DTYPE",
                                       "RUNTIME_ERROR",
                                       "COMPILE_ERROR",
                                       "TIMEOUT",
                                       NULL};

int export_check_trace(const json_t *tr, char *err, size_t errlen)
{
    if (!json_is_object(tr)) return errbuf_fail(err, errlen, "trace: expected an object");
    if (need_string(tr, "trace", "definition", err, errlen)) return -1;
    json_t *w = json_object_get(tr, "workload");
    if (!json_is_object(w))
        return errbuf_fail(err, errlen, "trace: key 'workload': expected an object");
    if (need_string(w, "trace.workload", "uuid", err, errlen)) return -1;
    if (!json_is_object(json_object_get(w, "axes")) ||
        !json_is_object(json_object_get(w, "inputs")))
        return errbuf_fail(err, errlen,
                           "trace.workload: keys 'axes' and 'inputs': expected objects");
    json_t *ev = json_object_get(tr, "evaluation");
    json_t *sol = json_object_get(tr, "solution");
    if (json_is_null(ev) && json_is_null(sol)) return 0; /* a workload-only line */
    if (!json_is_string(sol) || !json_string_value(sol)[0])
        return errbuf_fail(err, errlen, "trace: key 'solution': expected a solution name");
    if (!json_is_object(ev))
        return errbuf_fail(err, errlen, "trace: key 'evaluation': expected an object");
    if (need_string(ev, "trace.evaluation", "status", err, errlen) ||
        need_string(ev, "trace.evaluation", "timestamp", err, errlen))
        return -1;
    const char *st = json_string_value(json_object_get(ev, "status"));
    int known = 0;
    for (int i = 0; STATUSES[i]; i++)
        known |= !strcmp(st, STATUSES[i]);
    if (!known)
        return errbuf_fail(err, errlen, "trace.evaluation: key 'status': unknown status '%s'", st);
    json_t *env = json_object_get(ev, "environment");
    if (!json_is_object(env))
        return errbuf_fail(err, errlen, "trace.evaluation: key 'environment': expected an object");
    if (need_string(env, "trace.evaluation.environment", "hardware", err, errlen)) return -1;
    json_t *libs = json_object_get(env, "libs");
    if (libs && !json_is_object(libs))
        return errbuf_fail(err, errlen,
                           "trace.evaluation.environment: key 'libs': expected an object");
    json_t *log = json_object_get(ev, "log");
    if (log && !json_is_string(log))
        return errbuf_fail(err, errlen, "trace.evaluation: key 'log': expected a string");
    int passed = !strcmp(st, "PASSED"), numerical = !strcmp(st, "INCORRECT_NUMERICAL");
    json_t *corr = json_object_get(ev, "correctness"), *perf = json_object_get(ev, "performance");
    if (corr && json_is_null(corr)) corr = NULL;
    if (perf && json_is_null(perf)) perf = NULL;
    if ((passed || numerical) && !corr)
        return errbuf_fail(err, errlen, "trace.evaluation: status %s needs 'correctness'", st);
    if (!(passed || numerical) && corr)
        return errbuf_fail(err, errlen, "trace.evaluation: status %s must not have 'correctness'",
                           st);
    if (passed && !perf)
        return errbuf_fail(err, errlen, "trace.evaluation: status %s needs 'performance'", st);
    if (!passed && perf)
        return errbuf_fail(err, errlen, "trace.evaluation: status %s must not have 'performance'",
                           st);
    static const char *const ck[] = {"max_relative_error", "max_absolute_error", NULL};
    static const char *const pk[] = {"latency_ms", "reference_latency_ms", "speedup_factor", NULL};
    if (corr && need_figures(corr, "trace.evaluation.correctness", ck, err, errlen)) return -1;
    if (perf && need_figures(perf, "trace.evaluation.performance", pk, err, errlen)) return -1;
    return 0;
}

/* ---- files ---- */

static int mkdirs(const char *path, char *err, size_t errlen)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0777) && errno != EEXIST)
                return errbuf_fail(err, errlen, "cannot create %s: %s", buf, strerror(errno));
            if (!c) break;
            *p = c;
        }
    }
    return 0;
}

int export_write(const evo_task *t, const json_t *record, const char *rendered,
                 const export_info *info, const char *out_dir, int *ntraces, char *err,
                 size_t errlen)
{
    *ntraces = 0;
    /* Each of these becomes one folder or file name below out_dir: a name from a definition,
     * a stored record or a caller that is not plain ("../../..", "a/b") would write outside it
     * (evo/base/safe_path.h). op_type is optional in a definition. */
    const char *part[][2] = {{"author", info->author},
                             {"definition op_type", t->def.op_type[0] ? t->def.op_type : "x"},
                             {"definition name", t->def.name},
                             {"solution name", info->name}};
    for (size_t i = 0; i < sizeof part / sizeof part[0]; i++)
        if (!safe_name(part[i][1])) {
            char shown[600];
            return errbuf_fail(err, errlen,
                               "%s '%s' is not a plain name (letters, digits, '.', '_', '-'; no "
                               "leading dot): it cannot name a file below %s",
                               part[i][0], safe_text(part[i][1], shown, sizeof shown), out_dir);
        }
    char perr[512];
    evo_plan *p = plan_parse(rendered, t, perr, sizeof perr);
    if (!p)
        return errbuf_fail(err, errlen, "candidate %lld: %s",
                           (long long)json_integer_value(json_object_get(record, "id")), perr);
    json_t *sol = export_solution(t, p, rendered, info, err, errlen);
    plan_free(p);
    if (!sol) return -1;
    char dir[1024], file[1400];
    int rc = -1;
    snprintf(dir, sizeof dir, "%s/solutions/%s/%s/%s", out_dir, info->author, t->def.op_type,
             t->def.name);
    if (export_check_solution(sol, err, errlen) || mkdirs(dir, err, errlen)) goto out;
    snprintf(file, sizeof file, "%s/%s.json", dir, info->name);
    if (json_dump_file(sol, file, JSON_INDENT(2))) {
        errbuf_fail(err, errlen, "cannot write %s: %s", file, strerror(errno));
        goto out;
    }
    snprintf(dir, sizeof dir, "%s/traces/%s/%s", out_dir, info->author, t->def.op_type);
    if (mkdirs(dir, err, errlen)) goto out;
    snprintf(file, sizeof file, "%s/%s.jsonl", dir, t->def.name);
    FILE *f = fopen(file, "w");
    if (!f) {
        errbuf_fail(err, errlen, "cannot write %s: %s", file, strerror(errno));
        goto out;
    }
    rc = 0;
    for (int i = 0; i < t->nworkloads && rc == 0; i++) {
        json_t *tr = export_trace(t, &t->workloads[i], record, info);
        if (!tr) continue;
        char *line = NULL;
        if (export_check_trace(tr, err, errlen) == 0 && (line = json_dumps(tr, JSON_COMPACT))) {
            fprintf(f, "%s\n", line);
            (*ntraces)++;
        } else {
            rc = -1;
        }
        free(line);
        json_decref(tr);
    }
    if (fclose(f) && rc == 0)
        rc = errbuf_fail(err, errlen, "cannot write %s: %s", file, strerror(errno));
out:
    json_decref(sol);
    return rc;
}
