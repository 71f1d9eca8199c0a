/* progress.h -- the CLI's progress display.
 * On a terminal: one status line redrawn in place (\r, clear to end of line), at most a few
 * times a second. Off a terminal: a plain line every `interval` seconds, and a last one.
 * A stream that fails a write (closed pipe, hung-up terminal) is written no more. */
#ifndef EVO_PROGRESS_H
#define EVO_PROGRESS_H
#include "evo.h"
#include <stdio.h>

typedef struct evo_progress_view evo_progress_view;

evo_progress_view *progress_new(FILE *out, int is_tty, double interval_s);
/* A view for the run's log file: plain lines every `interval` seconds and the last one, each
 * after a UTC time stamp ("2026-12-04T02:13:11Z eval 120/500 ..."). */
evo_progress_view *progress_new_log(FILE *out, double interval_s);
/* 0 while the view's stream takes writes; once one failed, its errno (EPIPE, EIO): the
 * stream is written no more. */
int progress_dead(const evo_progress_view *v);
/* The time now as "2026-12-04T02:13:11Z" (UTC), the log's time stamp. */
void progress_stamp(char *buf, size_t n);
/* The engine's progress callback: pass progress_update as evo_progress_fn with the view. */
void progress_update(void *view, const evo_progress *p);
void progress_free(evo_progress_view *v);
/* Format one status line into buf: "eval 120/500 (38.2/min) best 1.234 #97 fail: 3
 * compile 1 timeout cached 4 elapsed 3m08s left 6m52s, 380 evals". Absent parts are left
 * out: "/max" without an evaluation limit, "best -" before the first PASSED candidate, the
 * failure counts that are zero (short names: compile runtime timeout numerical shape dtype
 * guard invalid), "cached" at 0, "llm $x.xx" without spending, "left" without a budget. */
void progress_format(const evo_progress *p, double rate_per_min, char *buf, size_t n);
/* The engine's setup-progress callback (evo_setup_fn) with the view. On a terminal the step's
 * line is a bar redrawn in place (at most four times a second), left on screen when the step
 * is done; off a terminal (a pipe, the run's log) a plain line at the step's start and end and
 * one every `interval` seconds between, never a redraw. */
void progress_setup(void *view, const evo_setup_progress *p);
/* "setup: references and baseline [########............] 6/15 elapsed 12s left 18s": the bar
 * bar_width cells wide (0: none, for plain lines); "left" once a unit is done and until the
 * last; with total 0, "6 done". */
void progress_format_setup(const evo_setup_progress *p, int bar_width, char *buf, size_t n);
#endif
