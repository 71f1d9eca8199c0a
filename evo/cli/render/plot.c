/* plot.c -- fitness.jsonl drawn as SVG, with no external tools: `evo plot`'s standalone file
 * and the figures of `evo report` (plot.h).
 *
 * One or two panels side by side share the fitness axis: fitness against evaluation index,
 * and against wall time. PASSED candidates are dots coloured by island (a fixed palette of
 * 10, island i takes colour i % 10), failures are red crosses at fitness 0 (or, coloured by
 * status, one colour per status), and the best fitness so far is a dark step line drawn on
 * top. A legend under the panels names the islands (or statuses) and counts the failures. A
 * long run's log holds hundreds of thousands of lines, so dots and crosses are thinned by a
 * stride (improvements always kept) to keep the file a few MB. */
#include "plot.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "evo.h"
#include "html.h"
#include "jsonl.h"

#define MAX_DOTS 20000   /* per panel */
#define MAX_CROSSES 5000 /* per panel */

#define SVG_W 1200
#define PANEL_H 345.0
#define LEGEND_PER_ROW 7

static const char *const palette[10] = {"#4e79a7", "#f28e2b", "#76b7b2", "#59a14f", "#edc948",
                                        "#b07aa1", "#ff9da7", "#9c755f", "#17becf", "#bab0ac"};
#define FAIL_COLOUR "#d62728"
#define BEST_COLOUR "#222222"
/* Colouring by status: PASSED green, each failure its own colour (indexed by evo_status). */
static const char *const status_colour[EVO_STATUS_COUNT] = {
    "#7f7f7f", "#59a14f", "#8c564b", "#e377c2", "#bcbd22", "#ff7f0e",
    "#d62728", "#9467bd", "#17becf", "#aaaaaa", "#000000", "#8c6d31"};

typedef struct point {
    double idx, t, fit, best;
    long long id;
    int island;
    int status;
    int passed;
} point;

struct plot_series {
    point *p;
    size_t n, cap;
    int islands; /* highest island index + 1 */
    size_t passed, failed;
    size_t by_status[EVO_STATUS_COUNT];
    double fit_min, fit_max, t_max, idx_max;
    char *err; /* while reading */
    size_t errlen;
};
typedef struct plot_series series;

typedef struct axis {
    double lo, hi, step; /* data range shown and tick step */
    double px0, px1;     /* pixel range (px1 < px0 for a y axis) */
} axis;

typedef struct panel {
    axis x, y;
    int time;       /* x is wall time */
    double t_scale; /* seconds per time unit on the axis */
    const char *xlabel, *title;
} panel;

/* What one figure draws, worked out once. */
typedef struct figure {
    unsigned what;
    size_t dot_stride, cross_stride;
    double legend_top;
} figure;

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- reading ---- */

static double num(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

static int push(series *s, const point *pt)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        point *p = realloc(s->p, cap * sizeof *p);
        if (!p) return -1;
        s->p = p;
        s->cap = cap;
    }
    s->p[s->n++] = *pt;
    return 0;
}

static void note(series *s, const point *pt)
{
    if (pt->island + 1 > s->islands) s->islands = pt->island + 1;
    s->passed += pt->passed;
    s->failed += !pt->passed;
    s->by_status[pt->status]++;
    double hi = pt->passed && pt->fit > pt->best ? pt->fit : pt->best;
    double lo = pt->passed && pt->fit < 0 ? pt->fit : 0;
    if (hi > s->fit_max) s->fit_max = hi;
    if (lo < s->fit_min) s->fit_min = lo;
    if (pt->t > s->t_max) s->t_max = pt->t;
    if (pt->idx > s->idx_max) s->idx_max = pt->idx;
}

/* A status the log names, or PENDING (drawn as a failure) for one it does not. */
static int status_of(const json_t *v)
{
    int st = json_is_string(v) ? evo_status_from_name(json_string_value(v)) : -1;
    return st < 0 || st >= EVO_STATUS_COUNT ? EVO_STATUS_PENDING : st;
}

static int add_line(void *user, const json_t *o, long lineno)
{
    (void)lineno;
    series *s = user;
    json_t *island = json_object_get(o, "island"), *id = json_object_get(o, "id");
    point pt = {
        .idx = num(o, "index"), .t = num(o, "t"), .fit = num(o, "fitness"), .best = num(o, "best")};
    pt.status = status_of(json_object_get(o, "status"));
    pt.passed = pt.status == EVO_STATUS_PASSED;
    pt.island = json_is_integer(island) && json_integer_value(island) >= 0 &&
                        json_integer_value(island) < 1000
                    ? (int)json_integer_value(island)
                    : 0;
    pt.id = json_is_integer(id) ? (long long)json_integer_value(id) : 0;
    if (!isfinite(pt.fit)) pt.fit = 0;
    if (!isfinite(pt.best)) pt.best = 0;
    note(s, &pt);
    return push(s, &pt) == 0 ? 0 : (set_err(s->err, s->errlen, "out of memory"), -1);
}

int plot_read(const char *jsonl_path, plot_series **out, char *err, size_t errlen)
{
    series *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    s->islands = 1;
    s->err = err;
    s->errlen = errlen;
    int rc = jsonl_foreach(jsonl_path, add_line, s, err, errlen);
    if (rc == 0 && s->n == 0) {
        set_err(err, errlen, "%s: no evaluations to plot", jsonl_path);
        rc = -1;
    }
    s->err = NULL;
    if (rc != 0) {
        plot_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void plot_free(plot_series *s)
{
    if (!s) return;
    free(s->p);
    free(s);
}

size_t plot_count(const plot_series *s)
{
    return s ? s->n : 0;
}

/* ---- axes ---- */

/* The 1-2-5 step that splits span into about `target` intervals. */
static double nice_step(double span, int target)
{
    if (!(span > 0)) return 1;
    double raw = span / target, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/* min_step keeps counts (evaluations) on whole-number ticks. */
static axis make_axis(double lo, double hi, int target, double min_step, double px0, double px1)
{
    axis a = {.px0 = px0, .px1 = px1};
    if (!(hi > lo)) hi = lo + 1;
    a.step = nice_step(hi - lo, target);
    if (a.step < min_step) a.step = min_step;
    a.lo = floor(lo / a.step) * a.step;
    a.hi = ceil(hi / a.step - 1e-9) * a.step;
    if (a.hi <= a.lo) a.hi = a.lo + a.step;
    return a;
}

static double map(const axis *a, double v)
{
    return a->px0 + (v - a->lo) / (a->hi - a->lo) * (a->px1 - a->px0);
}

static void tick_label(double v, double step, char *buf, size_t n)
{
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (fabs(v) < step * 1e-6) v = 0;
    if (step >= 1000 && v == 0)
        snprintf(buf, n, "0");
    else if (step >= 1000 && fmod(v, 1e6) == 0)
        snprintf(buf, n, "%.0fM", v / 1e6);
    else if (step >= 1000)
        snprintf(buf, n, "%.*fk", fmod(v, 1000) == 0 ? 0 : 1, v / 1000);
    else
        snprintf(buf, n, "%.*f", decimals, v);
}

/* ---- drawing ---- */

static void draw_frame(FILE *out, const panel *pn)
{
    const axis *x = &pn->x, *y = &pn->y;
    char lab[32];
    fprintf(out, "<g class=\"frame\" font-size=\"12\" fill=\"#333\">\n");
    for (double v = y->lo; v <= y->hi + y->step * 1e-6; v += y->step) {
        double py = map(y, v);
        tick_label(v, y->step, lab, sizeof lab);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n",
                x->px0, py, x->px1, py);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", x->px0 - 6,
                py + 4, lab);
    }
    for (double v = x->lo; v <= x->hi + x->step * 1e-6; v += x->step) {
        double px = map(x, v);
        tick_label(v, x->step, lab, sizeof lab);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                px, y->px0, px, y->px0 + 5);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", px,
                y->px0 + 19, lab);
    }
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
            "stroke=\"#333\"/>\n",
            x->px0, y->px1, x->px1 - x->px0, y->px0 - y->px1);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"13\">%s</text>\n",
            (x->px0 + x->px1) / 2, y->px0 + 40, pn->xlabel);
    fprintf(out,
            "<text transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\" "
            "font-size=\"13\">fitness</text>\n",
            x->px0 - 48, (y->px0 + y->px1) / 2);
    fprintf(out,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"14\" "
            "font-weight=\"bold\">%s</text>\n",
            (x->px0 + x->px1) / 2, y->px1 - 10, pn->title);
    fprintf(out, "</g>\n");
}

static double px_x(const panel *pn, const point *pt)
{
    return map(&pn->x, pn->time ? pt->t / pn->t_scale : pt->idx);
}

/* The candidate that raised the best so far: always drawn, whatever the stride. */
static int improves(const series *s, size_t i)
{
    const point *pt = &s->p[i];
    return pt->passed && pt->fit >= pt->best && (i == 0 || pt->best > s->p[i - 1].best);
}

/* "#12, island 1, PASSED, fitness 0.8312, at 3m05s" for a tooltip. */
static void hover_title(FILE *out, const point *pt)
{
    fprintf(out, "<title>#%lld, island %d, %s", pt->id, pt->island,
            evo_status_name((evo_status)pt->status));
    if (pt->passed) fprintf(out, ", fitness %.4g", pt->fit);
    fprintf(out, ", evaluation %.0f at %.1f s</title>", pt->idx, pt->t);
}

/* Dots in commit order, so no island hides the others; the colour comes from a CSS class
 * (shorter than a fill on every circle). Dense plots get smaller, fainter dots. */
static void draw_dots(FILE *out, const panel *pn, const series *s, const figure *f)
{
    int steps_only = !(f->what & PLOT_DOTS);
    size_t shown = steps_only ? 0 : s->passed / f->dot_stride;
    double r = steps_only ? 3.5 : shown < 2000 ? 2.5 : shown < 10000 ? 1.8 : 1.3;
    fprintf(out, "<g class=\"dots\" fill-opacity=\"%s\">\n", shown < 2000 ? "0.8" : "0.55");
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        const point *pt = &s->p[i];
        if (!pt->passed) continue;
        int keep = improves(s, i) || (!steps_only && k % f->dot_stride == 0);
        k++;
        if (!keep) continue;
        fprintf(out, "<circle class=\"i%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"", pt->island % 10,
                px_x(pn, pt), map(&pn->y, pt->fit), r);
        if (f->what & PLOT_HOVER) {
            fputc('>', out);
            hover_title(out, pt);
            fputs("</circle>\n", out);
        } else {
            fputs("/>\n", out);
        }
    }
    fprintf(out, "</g>\n");
}

/* Failures of one status (all of them for status < 0), thinned by the stride over all
 * failures: one path, or one path each with a tooltip. */
static void draw_cross_group(FILE *out, const panel *pn, const series *s, const figure *f,
                             int status)
{
    double py = map(&pn->y, 0);
    int hover = (f->what & PLOT_HOVER) != 0, open = 0;
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        const point *pt = &s->p[i];
        if (pt->passed) continue;
        int keep = k++ % f->cross_stride == 0 && (status < 0 || pt->status == status);
        if (!keep) continue;
        if (!open || hover) {
            fprintf(out, "<path class=\"failed");
            if (status >= 0) fprintf(out, " s%d", status);
            fprintf(out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\" d=\"", FAIL_COLOUR);
            open = 1;
        }
        fprintf(out, "M%.1f %.1fl6 6m0 -6l-6 6", px_x(pn, pt) - 3, py - 3);
        if (hover) {
            fputs("\">", out);
            hover_title(out, pt);
            fputs("</path>\n", out);
        }
    }
    if (open && !hover) fprintf(out, "\"/>\n");
}

static void draw_crosses(FILE *out, const panel *pn, const series *s, const figure *f)
{
    if (s->failed == 0) return;
    if (!(f->what & PLOT_BY_STATUS)) {
        draw_cross_group(out, pn, s, f, -1);
        return;
    }
    for (int st = 0; st < EVO_STATUS_COUNT; st++)
        if (st != EVO_STATUS_PASSED && s->by_status[st]) draw_cross_group(out, pn, s, f, st);
}

/* Starts at the first PASSED candidate: before it there is no best to draw. */
static void draw_best(FILE *out, const panel *pn, const series *s)
{
    size_t first = 0;
    while (first < s->n && !s->p[first].passed)
        first++;
    if (first == s->n) return;
    fprintf(out,
            "<path class=\"best\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" d=\"M%.1f %.1f",
            BEST_COLOUR, px_x(pn, &s->p[first]), map(&pn->y, s->p[first].best));
    for (size_t i = first + 1; i < s->n; i++) {
        if (s->p[i].best == s->p[i - 1].best) continue;
        fprintf(out, "H%.1fV%.1f", px_x(pn, &s->p[i]), map(&pn->y, s->p[i].best));
    }
    fprintf(out, "H%.1f\"/>\n", px_x(pn, &s->p[s->n - 1]));
}

static void draw_panel(FILE *out, const panel *pn, const series *s, const figure *f)
{
    draw_frame(out, pn);
    if (f->what & (PLOT_DOTS | PLOT_STEPS)) draw_dots(out, pn, s, f);
    if (f->what & PLOT_FAILED) draw_crosses(out, pn, s, f);
    if (f->what & PLOT_BEST) draw_best(out, pn, s);
}

/* Legend entries flow left to right, wrapping under the panels. */
static void legend_slot(const figure *f, int k, double *x, double *y)
{
    *x = 80 + (k % LEGEND_PER_ROW) * 150.0;
    *y = f->legend_top + (k / LEGEND_PER_ROW) * 22.0;
}

static void legend_best(FILE *out, const figure *f, int *k)
{
    double x, y;
    if (!(f->what & PLOT_BEST)) return;
    legend_slot(f, (*k)++, &x, &y);
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"1.8\"/><text x=\"%.1f\" y=\"%.1f\">best so far</text>\n",
            x - 8, y, x + 8, y, BEST_COLOUR, x + 14, y + 4);
}

static void legend_thinned(FILE *out, const figure *f, int k)
{
    double x, y;
    if (f->dot_stride <= 1 || !(f->what & PLOT_DOTS)) return;
    legend_slot(f, (k + LEGEND_PER_ROW - 1) / LEGEND_PER_ROW * LEGEND_PER_ROW, &x, &y);
    fprintf(out,
            "<text x=\"%.1f\" y=\"%.1f\" font-style=\"italic\">dots thinned: every "
            "%zuth passed candidate, and every improvement</text>\n",
            x - 8, y + 4, f->dot_stride);
}

static void draw_legend(FILE *out, const series *s, const figure *f)
{
    double x, y;
    int k = 0;
    fprintf(out, "<g class=\"legend%s\" font-size=\"12\" fill=\"#333\">\n",
            f->what & PLOT_BY_STATUS ? " legend-island" : "");
    legend_best(out, f, &k);
    for (int isl = 0; isl < s->islands && (f->what & (PLOT_DOTS | PLOT_STEPS)); isl++) {
        legend_slot(f, k++, &x, &y);
        fprintf(out,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\">island %d</text>\n",
                x, y, palette[isl % 10], x + 14, y + 4, isl);
    }
    if (f->what & PLOT_FAILED) {
        legend_slot(f, k++, &x, &y);
        fprintf(out,
                "<path d=\"M%.1f %.1fl8 8m0 -8l-8 8\" stroke=\"%s\" stroke-width=\"1.5\"/>"
                "<text x=\"%.1f\" y=\"%.1f\">failed (%zu)</text>\n",
                x - 4, y - 4, FAIL_COLOUR, x + 14, y + 4, s->failed);
    }
    legend_thinned(out, f, k);
    fprintf(out, "</g>\n");
}

/* The legend of the colouring by status: PASSED, then each failing status seen. */
static void draw_status_legend(FILE *out, const series *s, const figure *f)
{
    double x, y;
    int k = 0;
    fprintf(out, "<g class=\"legend legend-status\" font-size=\"12\" fill=\"#333\">\n");
    legend_best(out, f, &k);
    if (s->passed) {
        legend_slot(f, k++, &x, &y);
        fprintf(out,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\">PASSED (%zu)</text>\n",
                x, y, status_colour[EVO_STATUS_PASSED], x + 14, y + 4, s->passed);
    }
    for (int st = 0; st < EVO_STATUS_COUNT; st++) {
        if (st == EVO_STATUS_PASSED || !s->by_status[st]) continue;
        legend_slot(f, k++, &x, &y);
        fprintf(out,
                "<path d=\"M%.1f %.1fl8 8m0 -8l-8 8\" stroke=\"%s\" stroke-width=\"1.5\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%s (%zu)</text>\n",
                x - 4, y - 4, status_colour[st], x + 14, y + 4, evo_status_name((evo_status)st),
                s->by_status[st]);
    }
    legend_thinned(out, f, k);
    fprintf(out, "</g>\n");
}

static int legend_rows(const series *s, const figure *f)
{
    int entries = !!(f->what & PLOT_BEST) + !!(f->what & PLOT_FAILED);
    if (f->what & (PLOT_DOTS | PLOT_STEPS)) entries += s->islands;
    if (f->what & PLOT_BY_STATUS) {
        int st_entries = !!(f->what & PLOT_BEST) + (s->passed > 0);
        for (int st = 0; st < EVO_STATUS_COUNT; st++)
            st_entries += st != EVO_STATUS_PASSED && s->by_status[st] > 0;
        if (st_entries > entries) entries = st_entries;
    }
    int thinned = f->dot_stride > 1 && (f->what & PLOT_DOTS);
    return (entries + LEGEND_PER_ROW - 1) / LEGEND_PER_ROW + thinned;
}

static void time_unit(double t_max, double *scale, const char **label)
{
    if (t_max > 3 * 3600) {
        *scale = 3600;
        *label = "wall time (h)";
    } else if (t_max > 300) {
        *scale = 60;
        *label = "wall time (min)";
    } else {
        *scale = 1;
        *label = "wall time (s)";
    }
}

static void figure_style(FILE *out, unsigned what)
{
    fprintf(out, "<style>");
    for (int i = 0; i < 10; i++)
        fprintf(out, ".i%d{fill:%s}", i, palette[i]);
    if (what & PLOT_BY_STATUS) {
        fprintf(out, "svg.by-status .dots circle{fill:%s}", status_colour[EVO_STATUS_PASSED]);
        for (int st = 0; st < EVO_STATUS_COUNT; st++)
            if (st != EVO_STATUS_PASSED)
                fprintf(out, "svg.by-status .failed.s%d{stroke:%s}", st, status_colour[st]);
        fprintf(out, "svg.by-status .legend-island,svg:not(.by-status) .legend-status"
                     "{display:none}");
    }
    fprintf(out, "</style>\n");
}

static void draw_header(FILE *out, const series *s, const char *title)
{
    fprintf(out,
            "<text x=\"%d\" y=\"30\" text-anchor=\"middle\" font-size=\"18\" "
            "font-weight=\"bold\">",
            SVG_W / 2);
    if (title)
        html_text(out, title); /* SVG text escapes as HTML does */
    else
        fprintf(out, "evo: fitness over %zu evaluations", s->n);
    fprintf(out,
            "</text>\n<text x=\"%d\" y=\"50\" text-anchor=\"middle\" font-size=\"12\" "
            "fill=\"#555\">",
            SVG_W / 2);
    if (s->passed)
        fprintf(out, "best %.4g, ", s->p[s->n - 1].best);
    else
        fprintf(out, "nothing passed yet, ");
    fprintf(out, "%zu passed, %zu failed, %d island%s</text>\n", s->passed, s->failed, s->islands,
            s->islands == 1 ? "" : "s");
}

/* An id as given when it is plain letters, digits and '-' (anything else is left out). */
static int plain_id(const char *id)
{
    if (!id || !*id) return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-'))
            return 0;
    return 1;
}

void plot_figure(FILE *out, const plot_series *s, const plot_options *o)
{
    figure f = {.what = o->what};
    if (!(f.what & (PLOT_EVALS | PLOT_TIME))) f.what |= PLOT_EVALS;
    f.dot_stride = (s->passed + MAX_DOTS - 1) / MAX_DOTS;
    f.cross_stride = (s->failed + MAX_CROSSES - 1) / MAX_CROSSES;
    f.dot_stride = f.dot_stride ? f.dot_stride : 1;
    f.cross_stride = f.cross_stride ? f.cross_stride : 1;
    double top = f.what & PLOT_HEADER ? 85.0 : 45.0, bottom = top + PANEL_H;
    f.legend_top = bottom + 70;
    axis fy =
        make_axis(s->fit_min, s->fit_max > s->fit_min ? s->fit_max * 1.04 : 1, 6, 0, bottom, top);
    int both = (f.what & PLOT_EVALS) && (f.what & PLOT_TIME);
    panel evals = {.x = make_axis(0, s->idx_max, both ? 6 : 12, 1, 80, both ? 560 : 1160),
                   .y = fy,
                   .xlabel = "evaluation",
                   .title = "fitness vs evaluations"};
    panel time = {.y = fy, .time = 1, .title = "fitness vs wall time"};
    time_unit(s->t_max, &time.t_scale, &time.xlabel);
    time.x = make_axis(0, s->t_max / time.t_scale, both ? 6 : 12, 0, both ? 680 : 80, 1160);

    int height = (int)f.legend_top + legend_rows(s, &f) * 22 + 4;
    fprintf(out, "<svg%s", f.what & PLOT_INLINE ? "" : " xmlns=\"http://www.w3.org/2000/svg\"");
    if (plain_id(o->id)) fprintf(out, " id=\"%s\"", o->id);
    fprintf(out,
            " class=\"plot\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "font-family=\"Helvetica, Arial, sans-serif\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            SVG_W, height, SVG_W, height);
    figure_style(out, f.what);
    if (f.what & PLOT_HEADER) draw_header(out, s, o->title);
    if (f.what & PLOT_EVALS) draw_panel(out, &evals, s, &f);
    if (f.what & PLOT_TIME) draw_panel(out, &time, s, &f);
    draw_legend(out, s, &f);
    if (f.what & PLOT_BY_STATUS) draw_status_legend(out, s, &f);
    fprintf(out, "</svg>\n");
}

int plot_svg(const char *jsonl_path, const char *title, FILE *out, char *err, size_t errlen)
{
    series *s;
    if (plot_read(jsonl_path, &s, err, errlen) != 0) return -1;
    plot_options o = {.what = PLOT_EVALS | PLOT_TIME | PLOT_DOTS | PLOT_FAILED | PLOT_BEST |
                              PLOT_HEADER,
                      .title = title};
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    plot_figure(out, s, &o);
    plot_free(s);
    if (fflush(out) != 0 || ferror(out)) {
        set_err(err, errlen, "writing SVG: %s", strerror(errno));
        return -1;
    }
    return 0;
}
