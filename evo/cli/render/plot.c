/* plot.c -- `evo plot`: fitness.jsonl drawn as one standalone SVG, with no external tools.
 *
 * Two panels side by side share the fitness axis: fitness against evaluation index, and
 * against wall time. PASSED candidates are dots coloured by island (a fixed palette of 10,
 * island i takes colour i % 10), failures are red crosses at fitness 0, and the best fitness
 * so far is a dark step line drawn on top. A legend under the panels names the islands and
 * counts the failures. A long run's log holds hundreds of thousands of lines, so dots and
 * crosses are thinned by a stride (improvements always kept) to keep the file a few MB. */
#include "plot.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DOTS 20000   /* per panel */
#define MAX_CROSSES 5000 /* per panel */

#define SVG_W 1200
#define PLOT_TOP 85.0
#define PLOT_BOTTOM 430.0
#define LEGEND_TOP 500.0
#define LEGEND_PER_ROW 7

static const char *const palette[10] = {"#4e79a7", "#f28e2b", "#76b7b2", "#59a14f", "#edc948",
                                        "#b07aa1", "#ff9da7", "#9c755f", "#17becf", "#bab0ac"};
#define FAIL_COLOUR "#d62728"
#define BEST_COLOUR "#222222"

typedef struct point {
    double idx, t, fit, best;
    int island;
    int passed;
} point;

typedef struct series {
    point *p;
    size_t n, cap;
    int islands; /* highest island index + 1 */
    size_t passed, failed;
    double fit_min, fit_max, t_max, idx_max;
} series;

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
    double hi = pt->passed && pt->fit > pt->best ? pt->fit : pt->best;
    double lo = pt->passed && pt->fit < 0 ? pt->fit : 0;
    if (hi > s->fit_max) s->fit_max = hi;
    if (lo < s->fit_min) s->fit_min = lo;
    if (pt->t > s->t_max) s->t_max = pt->t;
    if (pt->idx > s->idx_max) s->idx_max = pt->idx;
}

static int add_line(series *s, const json_t *o)
{
    json_t *status = json_object_get(o, "status"), *island = json_object_get(o, "island");
    point pt = {
        .idx = num(o, "index"), .t = num(o, "t"), .fit = num(o, "fitness"), .best = num(o, "best")};
    pt.passed = json_is_string(status) && strcmp(json_string_value(status), "PASSED") == 0;
    pt.island = json_is_integer(island) && json_integer_value(island) >= 0 &&
                        json_integer_value(island) < 1000
                    ? (int)json_integer_value(island)
                    : 0;
    if (!isfinite(pt.fit)) pt.fit = 0;
    if (!isfinite(pt.best)) pt.best = 0;
    note(s, &pt);
    return push(s, &pt);
}

/* A last line without '\n' is torn (a writer in the middle of a line) and skipped. */
static int read_series(const char *path, series *s, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int rc = 0;
    while (rc == 0 && (len = getline(&buf, &cap, f)) > 0 && buf[len - 1] == '\n') {
        lineno++;
        if (len == 1) continue;
        json_error_t je;
        json_t *o = json_loadb(buf, (size_t)len, JSON_DECODE_ANY, &je);
        if (!json_is_object(o)) {
            set_err(err, errlen, "%s:%ld: not a JSON object: %s", path, lineno,
                    o ? "found another JSON value" : je.text);
            rc = -1;
        } else if (add_line(s, o) != 0) {
            set_err(err, errlen, "out of memory");
            rc = -1;
        }
        json_decref(o);
    }
    free(buf);
    fclose(f);
    if (rc == 0 && s->n == 0) {
        set_err(err, errlen, "%s: no evaluations to plot", path);
        rc = -1;
    }
    return rc;
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

static void xml_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t') fputc(*s, out);
        }
    }
}

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

/* Dots in commit order, so no island hides the others; the colour comes from a CSS class
 * (shorter than a fill on every circle). Dense plots get smaller, fainter dots. */
static void draw_dots(FILE *out, const panel *pn, const series *s, size_t stride)
{
    size_t shown = s->passed / stride;
    double r = shown < 2000 ? 2.5 : shown < 10000 ? 1.8 : 1.3;
    fprintf(out, "<g class=\"dots\" fill-opacity=\"%s\">\n", shown < 2000 ? "0.8" : "0.55");
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        const point *pt = &s->p[i];
        if (!pt->passed) continue;
        if (k++ % stride != 0 && !improves(s, i)) continue;
        fprintf(out, "<circle class=\"i%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"/>\n",
                pt->island % 10, px_x(pn, pt), map(&pn->y, pt->fit), r);
    }
    fprintf(out, "</g>\n");
}

static void draw_crosses(FILE *out, const panel *pn, const series *s, size_t stride)
{
    if (s->failed == 0) return;
    fprintf(out, "<path class=\"failed\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\" d=\"",
            FAIL_COLOUR);
    double py = map(&pn->y, 0);
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->p[i].passed || k++ % stride != 0) continue;
        fprintf(out, "M%.1f %.1fl6 6m0 -6l-6 6", px_x(pn, &s->p[i]) - 3, py - 3);
    }
    fprintf(out, "\"/>\n");
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

static void draw_panel(FILE *out, const panel *pn, const series *s, size_t dot_stride,
                       size_t cross_stride)
{
    draw_frame(out, pn);
    draw_dots(out, pn, s, dot_stride);
    draw_crosses(out, pn, s, cross_stride);
    draw_best(out, pn, s);
}

/* Legend entries flow left to right, wrapping under the panels. */
static void legend_slot(int k, double *x, double *y)
{
    *x = 80 + (k % LEGEND_PER_ROW) * 150.0;
    *y = LEGEND_TOP + (k / LEGEND_PER_ROW) * 22.0;
}

static void draw_legend(FILE *out, const series *s, size_t dot_stride)
{
    double x, y;
    int k = 0;
    fprintf(out, "<g class=\"legend\" font-size=\"12\" fill=\"#333\">\n");
    legend_slot(k++, &x, &y);
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"1.8\"/><text x=\"%.1f\" y=\"%.1f\">best so far</text>\n",
            x - 8, y, x + 8, y, BEST_COLOUR, x + 14, y + 4);
    for (int isl = 0; isl < s->islands; isl++) {
        legend_slot(k++, &x, &y);
        fprintf(out,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\">island %d</text>\n",
                x, y, palette[isl % 10], x + 14, y + 4, isl);
    }
    legend_slot(k++, &x, &y);
    fprintf(out,
            "<path d=\"M%.1f %.1fl8 8m0 -8l-8 8\" stroke=\"%s\" stroke-width=\"1.5\"/>"
            "<text x=\"%.1f\" y=\"%.1f\">failed (%zu)</text>\n",
            x - 4, y - 4, FAIL_COLOUR, x + 14, y + 4, s->failed);
    if (dot_stride > 1) {
        legend_slot((k + LEGEND_PER_ROW - 1) / LEGEND_PER_ROW * LEGEND_PER_ROW, &x, &y);
        fprintf(out,
                "<text x=\"%.1f\" y=\"%.1f\" font-style=\"italic\">dots thinned: every "
                "%zuth passed candidate, and every improvement</text>\n",
                x - 8, y + 4, dot_stride);
    }
    fprintf(out, "</g>\n");
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

static void draw(FILE *out, const series *s, const char *title)
{
    size_t dot_stride = (s->passed + MAX_DOTS - 1) / MAX_DOTS;
    size_t cross_stride = (s->failed + MAX_CROSSES - 1) / MAX_CROSSES;
    dot_stride = dot_stride ? dot_stride : 1;
    cross_stride = cross_stride ? cross_stride : 1;
    axis fy = make_axis(s->fit_min, s->fit_max > s->fit_min ? s->fit_max * 1.04 : 1, 6, 0,
                        PLOT_BOTTOM, PLOT_TOP);
    panel left = {.x = make_axis(0, s->idx_max, 6, 1, 80, 560),
                  .y = fy,
                  .xlabel = "evaluation",
                  .title = "fitness vs evaluations"};
    panel right = {.y = fy, .time = 1, .title = "fitness vs wall time"};
    time_unit(s->t_max, &right.t_scale, &right.xlabel);
    right.x = make_axis(0, s->t_max / right.t_scale, 6, 0, 680, 1160);

    /* Legend entries: best line, islands, failures, and a row for the thinning note. */
    int rows = (s->islands + 2 + LEGEND_PER_ROW - 1) / LEGEND_PER_ROW + (dot_stride > 1);
    int height = (int)LEGEND_TOP + rows * 22 + 4;
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, sans-serif\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<style>",
            SVG_W, height, SVG_W, height);
    for (int i = 0; i < 10; i++)
        fprintf(out, ".i%d{fill:%s}", i, palette[i]);
    fprintf(out, "</style>\n");
    fprintf(out,
            "<text x=\"%d\" y=\"30\" text-anchor=\"middle\" font-size=\"18\" "
            "font-weight=\"bold\">",
            SVG_W / 2);
    if (title)
        xml_text(out, title);
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
    draw_panel(out, &left, s, dot_stride, cross_stride);
    draw_panel(out, &right, s, dot_stride, cross_stride);
    draw_legend(out, s, dot_stride);
    fprintf(out, "</svg>\n");
}

int plot_svg(const char *jsonl_path, const char *title, FILE *out, char *err, size_t errlen)
{
    series s = {.islands = 1};
    if (read_series(jsonl_path, &s, err, errlen) != 0) {
        free(s.p);
        return -1;
    }
    draw(out, &s, title);
    free(s.p);
    if (fflush(out) != 0 || ferror(out)) {
        set_err(err, errlen, "writing SVG: %s", strerror(errno));
        return -1;
    }
    return 0;
}
