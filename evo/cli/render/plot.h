/* plot.h -- fitness.jsonl drawn as SVG: `evo plot`'s standalone file, and the figures
 * `evo report` puts inline in its page.
 * A figure has one or two panels (fitness against evaluations, against wall time) sharing the
 * fitness axis, and layers chosen by flags: each PASSED candidate as a dot coloured by island,
 * failures as crosses at fitness 0, the best-so-far step line. Axes have ticks and labels; a
 * legend names islands (or statuses). */
#ifndef EVO_PLOT_H
#define EVO_PLOT_H
#include <stddef.h>
#include <stdio.h>

/* `evo plot`: both panels, every layer, a title line (title NULL: "evo: fitness over N
 * evaluations") and a summary line, as a standalone SVG file. Returns 0, or -1 with err
 * (unreadable log, no lines). */
int plot_svg(const char *jsonl_path, const char *title, FILE *out, char *err, size_t errlen);

/* The log read once, drawn as many figures as wanted. */
typedef struct plot_series plot_series;
/* Returns 0 with *out (free with plot_free), or -1 with err: unreadable, a line that is not
 * a JSON object ("PATH:LINE: ..."), or no complete line at all ("no evaluations to plot"). */
int plot_read(const char *jsonl_path, plot_series **out, char *err, size_t errlen);
void plot_free(plot_series *s);
/* Evaluations read. */
size_t plot_count(const plot_series *s);

#define PLOT_EVALS 0x01  /* a panel against the evaluation index */
#define PLOT_TIME 0x02   /* a panel against wall time (both: side by side) */
#define PLOT_DOTS 0x04   /* every PASSED candidate (thinned past 20000 a panel) */
#define PLOT_STEPS 0x08  /* only the candidates that raised the best so far */
#define PLOT_FAILED 0x10 /* failures, as crosses at fitness 0 */
#define PLOT_BEST 0x20   /* the best-so-far step line */
#define PLOT_HEADER 0x40 /* a title line and a summary line above the panels */
#define PLOT_BY_STATUS                                                                             \
    0x80                  /* also a colouring by status, shown while the <svg> element has
                             * the class "by-status" (a page's script switches it) */
#define PLOT_HOVER 0x100  /* a <title> (the browser's tooltip) on every dot and cross */
#define PLOT_INLINE 0x200 /* no xmlns: an <svg> inside an HTML page needs none */

typedef struct plot_options {
    unsigned what;     /* PLOT_* flags */
    const char *title; /* with PLOT_HEADER; NULL for the default */
    const char *id;    /* the <svg> element's id, or NULL (plain letters, digits, '-') */
} plot_options;

/* One <svg> element (no XML declaration: it may stand inside an HTML page). */
void plot_figure(FILE *out, const plot_series *s, const plot_options *o);
#endif
