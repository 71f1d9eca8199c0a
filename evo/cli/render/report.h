/* report.h -- `evo report`: one self-contained HTML page about a run, for a user who opens it
 * after the run (README: "Reading a run"). The page loads nothing: its CSS, its script and
 * its figures (inline SVG, plot.h) are in the file, and a Content-Security-Policy lets only
 * its own script (by nonce) run and nothing be fetched. Every text from the run is escaped
 * (html.h).
 *
 * Sections, in order: the summary (task, device and measured ceilings, wall time,
 * evaluations, stop reason, best fitness, cost), the configuration, the best-so-far plot and
 * the plot of every candidate, the best candidate per workload against its baseline and the
 * ceilings, its lineage (each step's operator, plan and lesson), failures by status with
 * examples, islands, operators (the bandit's statistics), models (calls, tokens, cost).
 *
 * The CLI (cli_report.c) reads the run through the evo_run views and hands the pieces in;
 * nothing here opens the run. */
#ifndef EVO_REPORT_H
#define EVO_REPORT_H
#include <jansson.h>
#include <stdio.h>

#include "plot.h"

typedef struct report_input {
    const char *run_dir;
    const char *generated;    /* when the page was written: "2026-12-04T05:30:00Z" */
    const char *nonce;        /* the page script's CSP nonce: letters and digits */
    const json_t *status;     /* evo_run_status_json */
    const json_t *best;       /* the best candidate's record (evo_candidate_json), or NULL */
    const char *best_source;  /* its source with parameters applied, or NULL */
    const char *speedups;     /* "geomean 1.3x, min 0.9x, won 4 of 5 workloads", or NULL */
    const json_t *validation; /* evo validate's verdict on the best, or NULL */
    const json_t *lineage;    /* records from the seed down to the best (cli_lineage), or NULL */
    /* Failures by status from the log and a few records:
     * {"COMPILE_ERROR": {"count": n, "operators": {"llm": n, ...},
     *                    "examples": [{"id": n, "operator": "llm", "error": "..."}]}} */
    const json_t *failures;
    const plot_series *series; /* the fitness log, or NULL */
    const char *log_problem;   /* why series is NULL */
} report_input;

/* Writes the page. Returns 0, or -1 when out failed a write. */
int report_html(FILE *out, const report_input *in);
#endif
