/* plot.h -- `evo plot`: a standalone SVG drawn from fitness.jsonl.
 * Two panels: fitness against evaluations and against wall time. Each candidate is a dot
 * coloured by island; failures are marked (red crosses on the axis at fitness 0); the
 * best-so-far is a step line. Axes have ticks and labels; a legend names islands. */
#ifndef EVO_PLOT_H
#define EVO_PLOT_H
#include <stddef.h>
#include <stdio.h>

/* Returns 0, or -1 with err (unreadable log, no lines). title may be NULL. */
int plot_svg(const char *jsonl_path, const char *title, FILE *out, char *err, size_t errlen);
#endif
