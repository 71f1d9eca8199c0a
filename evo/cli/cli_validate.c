/* cli_validate.c -- `evo validate DIR [CANDIDATE] [--trials N] [--iterations N]`: the final
 * evaluation, as FlashInfer-Bench makes one before it ranks a solution. The best candidate of a
 * run (or the one named) is evaluated again on every workload of the task, with a stricter
 * protocol than the search used (three times the compared runs, at least 10; twice the timed
 * runs; a fresh pool of reference sets whose seeds nobody has seen; new worker and sandbox
 * processes), and the verdict is kept in the run under "validation/<id>". `evo export`
 * refuses a candidate that has not passed it. Exit 0 when it passed, 1 when it did not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "evo.h"
#include "gpu_evaluator.h"
#include "record.h"
#include "result.h"
#include "store.h"

#define USAGE "usage: evo validate DIR [CANDIDATE] [--trials N] [--iterations N]\n"

typedef struct validate_args {
    const char *dir;
    long long candidate, trials, iterations;
} validate_args;

static int number(const char *opt, const char *val, long long *out) {
    char *end = NULL;
    long long v = val ? strtoll(val, &end, 10) : 0;
    if (!val || *end || v < 1) {
        fprintf(stderr, "evo validate: %s: '%s' is not a positive number\n" USAGE, opt, val ? val : "");
        return -1;
    }
    *out = v;
    return 0;
}

static int parse(int argc, char **argv, validate_args *a) {
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--trials") || !strcmp(s, "--iterations")) {
            if (number(s, i + 1 < argc ? argv[i + 1] : NULL, !strcmp(s, "--trials") ? &a->trials : &a->iterations))
                return EXIT_USAGE;
            i++;
        } else if (s[0] == '-') {
            fprintf(stderr, "evo validate: unknown option '%s'\n" USAGE, s);
            return EXIT_USAGE;
        } else if (!a->dir) {
            a->dir = s;
        } else if (!a->candidate) {
            if (number("CANDIDATE", s, &a->candidate)) return EXIT_USAGE;
        } else {
            fprintf(stderr, "evo validate: unexpected argument '%s'\n" USAGE, s);
            return EXIT_USAGE;
        }
    }
    if (!a->dir) {
        fprintf(stderr, "evo validate: missing run directory DIR\n" USAGE);
        return EXIT_USAGE;
    }
    return -1;
}

/* The run's stored configuration with the validation protocol in place of the search's. */
static evo_config *strict_config(const validate_args *a, char *err, size_t errlen) {
    evo_store *s;
    if (store_open(&s, a->dir, STORE_RDONLY | STORE_EXISTING, "none", err, errlen) != EVO_OK) return NULL;
    evo_txn *t;
    json_t *cfg = NULL, *run = NULL;
    if (store_begin(s, 0, &t) == EVO_OK) {
        cfg = store_meta_get(t, META_CONFIG);
        run = store_meta_get(t, META_RUN);
        store_abort(t);
    }
    store_close(s);
    evo_config *out = NULL;
    json_t *ev = json_object_get(cfg, "evaluator");
    if (!json_is_object(ev)) {
        snprintf(err, errlen, "%s: the run holds no configuration", a->dir);
    } else {
        long long trials = json_integer_value(json_object_get(ev, "trials"));
        long long iters = json_integer_value(json_object_get(ev, "iterations"));
        if (trials < 3) trials = 3;
        trials = a->trials ? a->trials : trials * 3 < 10 ? 10 : trials * 3;
        iters = a->iterations ? a->iterations : 2 * (iters > 0 ? iters : 50);
        json_object_set_new(ev, "trials", json_integer(trials > 100 ? 100 : trials));
        json_object_set_new(ev, "iterations", json_integer(iters > 10000 ? 10000 : iters));
        json_object_set_new(ev, "input_sets", json_integer(0));
        json_object_set_new(ev, "workloads", json_array());
        json_object_set_new(ev, "max_workloads", json_integer(0));
        json_object_set_new(ev, "fresh_pool", json_true());
        char *text = json_dumps(cfg, JSON_COMPACT);
        char name[1100];
        snprintf(name, sizeof name, "%s/store.mdb (stored config)", a->dir);
        if (evo_config_parse(text, name, &out, err, errlen) == EVO_OK) {
            const char *dir = json_string_value(json_object_get(run, "config_dir"));
            free(out->dir);
            out->dir = strdup(dir ? dir : ".");
        }
        free(text);
    }
    json_decref(cfg);
    json_decref(run);
    return out;
}

/* Keep the verdict with the run (beside, not inside, the search's own records). */
static int keep(const validate_args *a, int64_t id, const evo_result *r, const evo_config *cfg) {
    char *res = evo_result_json(r);
    json_t *v = json_loads(res ? res : "{}", 0, NULL);
    free(res);
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(v, "candidate", json_integer(id));
    json_object_set_new(v, "date", json_string(stamp));
    json_object_set_new(v, "protocol", json_pack("{s:I,s:I,s:I,s:b}", "trials",
                                                 config_get_int(cfg, "evaluator.trials", 0), "iterations",
                                                 config_get_int(cfg, "evaluator.iterations", 0), "warmup",
                                                 config_get_int(cfg, "evaluator.warmup", 0), "fresh_pool", 1));
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(v);
    char err[1024], key[64];
    evo_store *s;
    int rc = store_open(&s, a->dir, STORE_EXISTING, "full", err, sizeof err);
    if (rc == EVO_EBUSY) {
        /* A run in progress holds the directory: validate again once it has stopped. */
        fprintf(stderr, "evo validate: %s is held by a run in progress; the verdict is not kept\n", a->dir);
    } else if (rc != EVO_OK) {
        fprintf(stderr, "evo validate: cannot keep the verdict: %s\n", err);
    } else {
        snprintf(key, sizeof key, "validation/%lld", (long long)id);
        rc = store_save_blob(s, key, text, strlen(text) + 1);
        if (rc != EVO_OK) fprintf(stderr, "evo validate: cannot keep the verdict: %s\n", store_errmsg(s));
        store_close(s);
    }
    free(text);
    return rc;
}

static void report(int64_t id, const evo_result *r, const evo_config *cfg) {
    printf("validation of candidate #%lld: %s", (long long)id, evo_status_name(r->status));
    if (r->status == EVO_STATUS_PASSED) printf(", fitness %.4f", r->fitness);
    printf(" (%lld compared runs and %lld timed runs per workload, fresh reference sets)\n",
           (long long)config_get_int(cfg, "evaluator.trials", 0), (long long)config_get_int(cfg, "evaluator.iterations", 0));
    if (r->status != EVO_STATUS_PASSED) printf("error: %s\n", r->error ? r->error : "");
    char sum[256];
    cli_speedup_summary(r->workloads, sum, sizeof sum);
    if (r->status == EVO_STATUS_PASSED) printf("speedups: %s\n", sum);
    printf("%-28s %12s %12s %9s\n", "workload", "latency us", "baseline us", "speedup");
    const char *wl;
    json_t *w;
    json_object_foreach(r->workloads, wl, w)
        printf("%-28s %12.2f %12.2f %8.2fx\n", wl, json_number_value(json_object_get(w, "latency_us")),
               json_number_value(json_object_get(w, "baseline_us")), json_number_value(json_object_get(w, "speedup")));
}

int cli_validate(int argc, char **argv) {
    validate_args a;
    int code = parse(argc, argv, &a);
    if (code >= 0) return code;
    char err[2048] = "";
    evo_config *cfg = strict_config(&a, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "evo validate: %s\n", err);
        return EXIT_CONFIG;
    }
    evo_run *run = NULL;
    evo_candidate *c = NULL;
    int rc = evo_run_open(&run, a.dir);
    if (rc == EVO_OK) rc = a.candidate ? evo_run_candidate(run, a.candidate, &c) : evo_run_best(run, &c);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo validate: %s: %s\n", a.dir, evo_run_errmsg(run));
        evo_run_close(run);
        evo_config_free(cfg);
        return cli_exit_code(rc);
    }
    int64_t id = evo_candidate_id(c);
    gpu_evaluator *g = NULL;
    rc = gpu_evaluator_new(config_get(cfg, "evaluator"), cfg->dir, cfg->seed, &g, err, sizeof err);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo validate: %s\n", err);
        code = cli_exit_code(rc);
        goto out;
    }
    evo_evaluator ev = gpu_evaluator_table(g);
    rc = ev.start(ev.user, NULL, 1);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo validate: %s\n", rc == EVO_ENOGPU ? "no CUDA device found" : evo_strerror(rc));
        code = cli_exit_code(rc);
        goto out;
    }
    evo_result *r = result_new();
    rc = ev.evaluate(ev.user, 0, evo_candidate_genome(c), r);
    ev.stop(ev.user);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo validate: the evaluator failed: %s\n", r->error ? r->error : evo_strerror(rc));
        code = cli_exit_code(rc);
    } else {
        report(id, r, cfg);
        keep(&a, id, r, cfg);
        code = r->status == EVO_STATUS_PASSED ? EXIT_OK : EXIT_ERROR;
    }
    result_free(r);
out:
    gpu_evaluator_free(g);
    evo_candidate_free(c);
    evo_run_close(run);
    evo_config_free(cfg);
    return code;
}
