/* cli_export.c -- `evo export DIR --flashinfer-bench OUT_DIR [--candidate ID] [--task DIR]
 * [--hardware NAME] [--libs K=V,...]`: the best PASSED candidate of a run (or the one named)
 * as a FlashInfer-Bench Solution plus a Trace JSONL of its evaluated workloads
 * (gpu/export.h), once `evo validate` has passed it (--unvalidated skips that). The task is found from the run's stored configuration (evaluator.task,
 * resolved against the directory of the config file the run started from, or
 * evaluator.dataset + evaluator.definition); --task overrides it.
 *
 * There is no `evo import`: a FlashInfer Trace dataset is used directly by setting
 * evaluator.dataset (the dataset folder) and evaluator.definition (a definition name) in a
 * config; the engine builds the task from it (task_from_flashinfer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "evo.h"
#include "export.h"
#include "record.h"
#include "store.h"
#include "task.h"

#define USAGE "usage: evo export DIR --flashinfer-bench OUT_DIR [--candidate ID] [--task DIR] " \
              "[--hardware NAME] [--libs K=V,...] [--unvalidated]\n"

typedef struct export_args {
    const char *dir, *out, *task, *hardware, *libs;
    long long candidate; /* 0 = best */
    int unvalidated;     /* export without a passing `evo validate` */
} export_args;

static int parse(int argc, char **argv, export_args *a)
{
    memset(a, 0, sizeof *a);
    a->hardware = "unrecorded";
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = !strcmp(s, "--flashinfer-bench") ? &a->out
                            : !strcmp(s, "--task")            ? &a->task
                            : !strcmp(s, "--hardware")        ? &a->hardware
                            : !strcmp(s, "--libs")            ? &a->libs
                                                              : NULL;
        if (slot || !strcmp(s, "--candidate")) {
            if (!val) {
                fprintf(stderr, "evo export: %s needs a value\n" USAGE, s);
                return EXIT_USAGE;
            }
            i++;
            if (slot) {
                *slot = val;
                continue;
            }
            char *end;
            a->candidate = strtoll(val, &end, 10);
            if (*end || a->candidate < 1) {
                fprintf(stderr, "evo export: --candidate: '%s' is not a candidate id\n", val);
                return EXIT_USAGE;
            }
        } else if (!strcmp(s, "--unvalidated")) {
            a->unvalidated = 1;
        } else if (s[0] == '-') {
            fprintf(stderr, "evo export: unknown option '%s'\n" USAGE, s);
            return EXIT_USAGE;
        } else if (!a->dir) {
            a->dir = s;
        } else {
            fprintf(stderr, "evo export: unexpected argument '%s'\n" USAGE, s);
            return EXIT_USAGE;
        }
    }
    if (!a->dir || !a->out) {
        fprintf(stderr, "evo export: %s\n" USAGE, !a->dir ? "missing run directory DIR"
                                                         : "missing --flashinfer-bench OUT_DIR");
        return EXIT_USAGE;
    }
    return -1;
}

/* Load the run's task: --task, else the stored config's evaluator keys. */
static int load_task(const export_args *a, evo_task **t)
{
    char err[1024] = "";
    if (a->task) {
        if (task_load_dir(a->task, t, err, sizeof err) == 0) return EXIT_OK;
        fprintf(stderr, "evo export: --task: %s\n", err);
        return EXIT_ERROR;
    }
    evo_store *s;
    int rc = store_open(&s, a->dir, STORE_RDONLY | STORE_EXISTING, "none", err, sizeof err);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo export: %s\n", err);
        return cli_exit_code(rc);
    }
    evo_txn *tx;
    json_t *cfg = NULL, *run = NULL;
    if (store_begin(s, 0, &tx) == EVO_OK) {
        cfg = store_meta_get(tx, META_CONFIG);
        run = store_meta_get(tx, META_RUN);
        store_abort(tx);
    }
    store_close(s);
    json_t *ev = json_object_get(cfg, "evaluator");
    const char *task = json_string_value(json_object_get(ev, "task"));
    const char *dataset = json_string_value(json_object_get(ev, "dataset"));
    const char *def = json_string_value(json_object_get(ev, "definition"));
    const char *base = json_string_value(json_object_get(run, "config_dir"));
    char path[2048];
    const char *rel = task && task[0] ? task : dataset;
    int code = EXIT_OK;
    if (!rel || !rel[0]) {
        fprintf(stderr, "evo export: %s: the run's config has no evaluator.task or "
                "evaluator.dataset; pass --task DIR\n", a->dir);
        code = EXIT_ERROR;
    } else {
        snprintf(path, sizeof path, "%s%s%s", rel[0] == '/' || !base ? "" : base,
                 rel[0] == '/' || !base ? "" : "/", rel);
        int r = task && task[0] ? task_load_dir(path, t, err, sizeof err)
                                : task_from_flashinfer(path, def ? def : "", t, err, sizeof err);
        if (r) {
            fprintf(stderr, "evo export: %s (from the run's config; pass --task DIR to "
                    "override)\n", err);
            code = EXIT_ERROR;
        }
    }
    json_decref(cfg);
    json_decref(run);
    return code;
}

/* Whether `evo validate` passed this candidate (its verdict is kept in the run). */
static int validated(const export_args *a, int64_t id, char *why, size_t n)
{
    char err[1024], key[64];
    evo_store *s;
    if (store_open(&s, a->dir, STORE_RDONLY | STORE_EXISTING, "none", err, sizeof err) != EVO_OK) {
        snprintf(why, n, "%.400s", err);
        return 0;
    }
    snprintf(key, sizeof key, "validation/%lld", (long long)id);
    size_t len = 0;
    char *text = store_lookup_blob(s, key, &len);
    store_close(s);
    json_t *v = text && len && text[len - 1] == 0 ? json_loads(text, 0, NULL) : NULL;
    free(text);
    const char *st = json_string_value(json_object_get(v, "status"));
    int ok = st && !strcmp(st, "PASSED");
    if (!v)
        snprintf(why, n, "it has not been validated");
    else if (!ok)
        snprintf(why, n, "its validation ended %s: %.300s", st ? st : "without a verdict",
                 json_string_value(json_object_get(v, "error")) ? json_string_value(json_object_get(v, "error")) : "");
    json_decref(v);
    return ok;
}

static int export_candidate(const export_args *a, const evo_task *t, evo_candidate *c)
{
    char why[512];
    if (!a->unvalidated && !validated(a, evo_candidate_id(c), why, sizeof why)) {
        fprintf(stderr, "evo export: candidate %lld: %s; run `evo validate %s %lld` first (a stricter "
                "re-evaluation on every workload with fresh inputs), or pass --unvalidated\n",
                (long long)evo_candidate_id(c), why, a->dir, (long long)evo_candidate_id(c));
        return EXIT_ERROR;
    }
    json_error_t je;
    json_t *rec = json_loads(evo_candidate_json(c), 0, &je);
    char *rendered = evo_candidate_render(c);
    if (!rec || !rendered) {
        fprintf(stderr, "evo export: candidate %lld: unreadable record\n",
                (long long)evo_candidate_id(c));
        json_decref(rec);
        free(rendered);
        return EXIT_ERROR;
    }
    const char *tmpl = json_string_value(json_object_get(rec, "template"));
    char name[256], stamp[32];
    snprintf(name, sizeof name, "evo_%s_c%lld", tmpl ? tmpl : "candidate",
             (long long)evo_candidate_id(c));
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char libs[256];
    snprintf(libs, sizeof libs, "%s%sevo=%s", a->libs ? a->libs : "", a->libs ? "," : "",
             evo_version());
    export_info info = {name, "evo", a->hardware, stamp, libs};
    char err[1024];
    int n = 0;
    int rc = export_write(t, rec, rendered, &info, a->out, &n, err, sizeof err);
    if (rc) fprintf(stderr, "evo export: %s\n", err);
    else printf("exported candidate %lld as %s: %s/solutions/evo/%s/%s/%s.json and %d trace "
                "line%s in %s/traces/evo/%s/%s.jsonl\n", (long long)evo_candidate_id(c), name,
                a->out, t->def.op_type, t->def.name, name, n, n == 1 ? "" : "s", a->out,
                t->def.op_type, t->def.name);
    json_decref(rec);
    free(rendered);
    return rc ? EXIT_ERROR : EXIT_OK;
}

int cli_export(int argc, char **argv)
{
    export_args a;
    int code = parse(argc, argv, &a);
    if (code >= 0) return code;
    evo_task *t = NULL;
    if ((code = load_task(&a, &t)) != EXIT_OK) return code;
    evo_run *r;
    int rc = evo_run_open(&r, a.dir);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo export: %s\n", evo_run_errmsg(r));
        evo_run_close(r);
        task_free(t);
        return cli_exit_code(rc);
    }
    evo_candidate *c = NULL;
    rc = a.candidate ? evo_run_candidate(r, a.candidate, &c) : evo_run_best(r, &c);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo export: %s: %s\n", a.dir, evo_run_errmsg(r));
        code = cli_exit_code(rc);
    } else {
        code = export_candidate(&a, t, c);
        evo_candidate_free(c);
    }
    evo_run_close(r);
    task_free(t);
    return code;
}
