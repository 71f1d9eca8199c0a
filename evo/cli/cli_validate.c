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

#include "cli.h"
#include "cli_args.h"
#include "evo.h"

#define USAGE "usage: evo validate DIR [CANDIDATE] [--trials N] [--iterations N]\n"

typedef struct validate_args {
    const char *dir;
    long long candidate, trials, iterations;
} validate_args;

/* The ranges of evaluator.trials and evaluator.iterations in a config. */
#define MAX_TRIALS 100
#define MAX_ITERATIONS 10000

static int parse(int argc, char **argv, validate_args *a)
{
    memset(a, 0, sizeof *a);
    if (cli_wants_help(argc, argv)) return cli_help(USAGE);
    int have_candidate = 0;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *v;
        if (!strcmp(s, "--trials") || !strcmp(s, "--iterations")) {
            int trials = !strcmp(s, "--trials");
            if (!(v = cli_value("validate", USAGE, argc, argv, &i))) return EXIT_USAGE;
            if (cli_parse_int("validate", s, v, 1, trials ? MAX_TRIALS : MAX_ITERATIONS,
                              trials ? &a->trials : &a->iterations) != EVO_OK)
                return EXIT_USAGE;
        } else if (!cli_is_operand(s) || (a->dir && have_candidate)) {
            return cli_bad_argument("validate", USAGE, s);
        } else if (!a->dir) {
            a->dir = s;
        } else {
            have_candidate = 1;
            if (cli_parse_candidate("validate", "CANDIDATE", s, &a->candidate) != EVO_OK)
                return EXIT_USAGE;
        }
    }
    if (!a->dir) return cli_usage_error("validate", USAGE, "no run directory DIR given");
    return -1;
}

static void report(const char *verdict)
{
    json_t *v = json_loads(verdict, 0, NULL);
    const char *status = json_string_value(json_object_get(v, "status"));
    json_t *proto = json_object_get(v, "protocol");
    printf("validation of candidate #%lld: %s",
           (long long)json_integer_value(json_object_get(v, "candidate")), status ? status : "?");
    int passed = status && !strcmp(status, "PASSED");
    if (passed) printf(", fitness %.4f", json_number_value(json_object_get(v, "fitness")));
    printf(" (%lld compared runs and %lld timed runs per workload, fresh reference sets)\n",
           (long long)json_integer_value(json_object_get(proto, "trials")),
           (long long)json_integer_value(json_object_get(proto, "iterations")));
    if (!passed) printf("error: %s\n", json_string_value(json_object_get(v, "error")));
    json_t *wls = json_object_get(v, "workloads");
    char sum[256];
    cli_speedup_summary(wls, sum, sizeof sum);
    if (passed) printf("speedups: %s\n", sum);
    printf("%-28s %12s %12s %9s\n", "workload", "latency us", "baseline us", "speedup");
    const char *wl;
    json_t *w;
    json_object_foreach(wls, wl, w) printf("%-28s %12.2f %12.2f %8.2fx\n", wl,
                                           json_number_value(json_object_get(w, "latency_us")),
                                           json_number_value(json_object_get(w, "baseline_us")),
                                           json_number_value(json_object_get(w, "speedup")));
    json_decref(v);
}

int cli_validate(int argc, char **argv)
{
    validate_args a;
    int code = parse(argc, argv, &a);
    if (code >= 0) return code;
    evo_run *r = NULL;
    char *verdict = NULL;
    int rc = evo_run_open(&r, a.dir);
    if (rc == EVO_OK && a.candidate &&
        (code = cli_candidate_exists("validate", "CANDIDATE", r, a.dir, a.candidate)) != EXIT_OK) {
        evo_run_close(r);
        return code;
    }
    if (rc == EVO_OK)
        rc = evo_run_validate(r, a.candidate, (int)a.trials, (int)a.iterations, &verdict);
    if (verdict) {
        report(verdict);
        /* The verdict stands even when it could not be kept; the message says why. */
        if (evo_run_errmsg(r)[0]) fprintf(stderr, "evo validate: %s\n", evo_run_errmsg(r));
        json_t *v = json_loads(verdict, 0, NULL);
        const char *st = json_string_value(json_object_get(v, "status"));
        code = st && !strcmp(st, "PASSED") ? EXIT_OK : EXIT_ERROR;
        json_decref(v);
    } else {
        fprintf(stderr, "evo validate: %s\n", evo_run_errmsg(r));
        code = cli_exit_code(rc);
    }
    evo_free(verdict);
    evo_run_close(r);
    return code;
}
