/* cli_export.c -- `evo export DIR --flashinfer-bench OUT_DIR [--candidate ID] [--task DIR]
 * [--hardware NAME] [--libs K=V,...] [--binding tvm-ffi|torch] [--unvalidated]`: the best PASSED candidate of a run (or
 * the one named) as a FlashInfer-Bench Solution plus a Trace JSONL of its evaluated workloads,
 * once `evo validate` has passed it (evo_run_export). The task is found from the run's stored
 * configuration; --task overrides it.
 *
 * There is no `evo import`: a FlashInfer Trace dataset is used directly by setting
 * evaluator.dataset (the dataset folder) and evaluator.definition (a definition name) in a
 * config; the engine builds the task from it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "evo.h"

#define USAGE                                                                                      \
    "usage: evo export DIR --flashinfer-bench OUT_DIR [--candidate ID] [--task DIR] "              \
    "[--hardware NAME] [--libs K=V,...] [--binding tvm-ffi|torch] [--unvalidated]\n"

typedef struct export_args {
    const char *dir, *out, *task, *hardware, *libs, *binding;
    long long candidate; /* 0 = best */
    int unvalidated;     /* export without a passing `evo validate` */
} export_args;

static int parse(int argc, char **argv, export_args *a)
{
    memset(a, 0, sizeof *a);
    a->hardware = "unrecorded";
    if (cli_wants_help(argc, argv)) return cli_help(USAGE);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = !strcmp(s, "--flashinfer-bench") ? &a->out
                            : !strcmp(s, "--task")           ? &a->task
                            : !strcmp(s, "--hardware")       ? &a->hardware
                            : !strcmp(s, "--libs")           ? &a->libs
                            : !strcmp(s, "--binding")        ? &a->binding
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
            if (cli_parse_candidate("export", "--candidate", val, &a->candidate) != EVO_OK)
                return EXIT_USAGE;
        } else if (!strcmp(s, "--unvalidated")) {
            a->unvalidated = 1;
        } else if (!cli_is_operand(s) || a->dir) {
            return cli_bad_argument("export", USAGE, s);
        } else {
            a->dir = s;
        }
    }
    if (a->binding && strcmp(a->binding, "tvm-ffi") && strcmp(a->binding, "torch")) {
        fprintf(stderr, "evo export: --binding '%s': expected tvm-ffi or torch\n" USAGE,
                a->binding);
        return EXIT_USAGE;
    }
    if (!a->dir || !a->out) {
        fprintf(stderr, "evo export: %s\n" USAGE,
                !a->dir ? "missing run directory DIR" : "missing --flashinfer-bench OUT_DIR");
        return EXIT_USAGE;
    }
    return -1;
}

int cli_export(int argc, char **argv)
{
    export_args a;
    int code = parse(argc, argv, &a);
    if (code >= 0) return code;
    evo_run *r;
    char *summary = NULL;
    int rc = evo_run_open(&r, a.dir);
    if (rc == EVO_OK && a.candidate &&
        (code = cli_candidate_exists("export", "--candidate", r, a.dir, a.candidate)) != EXIT_OK) {
        evo_run_close(r);
        return code;
    }
    if (rc == EVO_OK)
        rc = evo_run_export(r, a.candidate, a.out, a.task, a.hardware, a.libs,
                            (a.unvalidated ? EVO_EXPORT_UNVALIDATED : 0) |
                                (a.binding && !strcmp(a.binding, "torch") ? EVO_EXPORT_TORCH : 0),
                            &summary);
    if (rc == EVO_OK) {
        printf("%s\n", summary);
        code = EXIT_OK;
    } else {
        fprintf(stderr, "evo export: %s\n", evo_run_errmsg(r));
        code = rc == EVO_ESTORE || rc == EVO_EBUSY ? cli_exit_code(rc) : EXIT_ERROR;
    }
    evo_free(summary);
    evo_run_close(r);
    return code;
}
