/* cli.h -- the `evo` command line: one function per subcommand, dispatched by cli.c.
 * Each returns the process exit code (documented in README.md):
 *   0 success, 1 error (message on stderr), 2 usage error, 3 no GPU found,
 *   4 run directory busy, 5 store corrupt or foreign, 6 configuration invalid,
 *   130 interrupted (SIGINT/SIGTERM). */
#ifndef EVO_CLI_H
#define EVO_CLI_H
#include <jansson.h>
#include <stddef.h>

#include "evo.h"

#define EXIT_OK 0
#define EXIT_ERROR 1
#define EXIT_USAGE 2
#define EXIT_NOGPU 3
#define EXIT_BUSY 4
#define EXIT_STORE 5
#define EXIT_CONFIG 6
#define EXIT_INTERRUPTED 130

int cli_run(int argc, char **argv);       /* evo run CONFIG [--run-dir DIR] */
int cli_resume(int argc, char **argv);    /* evo resume DIR */
int cli_status(int argc, char **argv);    /* evo status DIR [--json] */
int cli_best(int argc, char **argv);      /* evo best DIR [--out FILE] */
int cli_log(int argc, char **argv);       /* evo log DIR [--csv] */
int cli_plot(int argc, char **argv);      /* evo plot DIR -o FILE.svg */
int cli_check(int argc, char **argv);     /* evo check [--arch ARCH] [--samples N] */
int cli_trace(int argc, char **argv);     /* evo trace DIR [CANDIDATE] */
int cli_llm_check(int argc, char **argv); /* evo llm-check CONFIG */
int cli_export(int argc, char **argv);    /* evo export DIR --flashinfer-bench OUT_DIR */
int cli_validate(int argc, char **argv);  /* evo validate DIR [CANDIDATE] */
int cli_verify(int argc, char **argv);    /* evo verify DIR [--json] */
int cli_report(int argc, char **argv);    /* evo report DIR [-o FILE.html] */
/* The lineage of candidate c (taken and freed) as a JSON array of records, seed first: its
 * first parents (or the attempt a repair replaced) upwards, as `evo trace` prints it. */
json_t *cli_lineage(evo_run *r, evo_candidate *c);
/* "geomean 2.41x, min 0.98x, won 14 of 15": the speedups of a candidate's workloads (a JSON
 * object of per-workload figures), so one near-zero workload cannot hide behind the mean. */
void cli_speedup_summary(const json_t *workloads, char *buf, size_t n);

/* Map an EVO_E* code to an exit code. Inline here so the suites that compile one cli_*.c
 * file in (tests/test_cli_*.c) share it instead of copying it. */
static inline int cli_exit_code(int rc)
{
    switch (rc) {
    case EVO_OK:
        return EXIT_OK;
    case EVO_ENOGPU:
        return EXIT_NOGPU;
    case EVO_EBUSY:
        return EXIT_BUSY;
    case EVO_ESTORE:
        return EXIT_STORE;
    case EVO_ECONFIG:
        return EXIT_CONFIG;
    case EVO_EINTERRUPT:
        return EXIT_INTERRUPTED;
    case EVO_EINVAL:
        return EXIT_USAGE;
    default:
        return EXIT_ERROR;
    }
}
#endif
