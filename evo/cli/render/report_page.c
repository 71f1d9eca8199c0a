/* report_page.c -- the report page as a whole (report.h): head, navigation, the sections in
 * order, the script; and the plots section, which draws the fitness log with plot.h. */
#include <stdio.h>
#include <string.h>

#include "evo.h"
#include "html.h"
#include "report_parts.h"

/* Records every script error and every load the policy blocked, in data-errors on <body>
 * (on <html> until <body> exists): the page's own check that nothing went wrong. */
static const char head_js[] =
    "window.evoErrors = [];\n"
    "function evoRecord(text) {\n"
    "  window.evoErrors.push(text);\n"
    "  (document.body || document.documentElement).setAttribute('data-errors',\n"
    "      window.evoErrors.join(' | '));\n"
    "}\n"
    "window.onerror = function (msg, src, line) { evoRecord(String(msg) + ' (line ' + line + "
    "')'); };\n"
    "document.addEventListener('securitypolicyviolation', function (e) {\n"
    "  evoRecord('blocked by the page policy: ' + e.violatedDirective);\n"
    "});\n"
    "document.addEventListener('DOMContentLoaded', function () {\n"
    "  if (window.evoErrors.length) document.body.setAttribute('data-errors',\n"
    "      window.evoErrors.join(' | '));\n"
    "});\n";

/* Letters and digits only: it goes into an attribute and the policy unescaped. */
static const char *nonce_of(const report_input *in)
{
    const char *n = in->nonce;
    if (!n || !*n) return "evo";
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return "evo";
    return n;
}

static void head(FILE *out, const report_input *in)
{
    const char *name = rj_str(json_object_get(in->status, "run"), "name");
    const char *nonce = nonce_of(in);
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; script-src 'nonce-%s'\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>evo report: ",
            nonce);
    html_text(out, name ? name : "run");
    fprintf(out, "</title>\n<style>\n%s</style>\n<script nonce=\"%s\">\n%s</script>\n</head>\n",
            report_css, nonce, head_js);
}

static void top(FILE *out, const report_input *in)
{
    const char *name = rj_str(json_object_get(in->status, "run"), "name");
    char task[1024];
    report_task_text(in->status, task, sizeof task);
    fputs("<body>\n<header class=\"top\">\n<h1>evo report <span class=\"name\">", out);
    html_text(out, name ? name : "(unnamed run)");
    fputs("</span></h1>\n<p>", out);
    html_text(out, in->run_dir);
    fputs(" &middot; ", out);
    html_text(out, task);
    fputs(" &middot; written ", out);
    html_text(out, in->generated);
    fputs("</p>\n<nav>", out);
    static const char *const links[][2] = {
        {"summary", "Summary"},     {"progress", "Progress"},       {"best", "Best"},
        {"lineage", "Lineage"},     {"failures", "Failures"},       {"islands", "Islands"},
        {"operators", "Operators"}, {"models", "Models &amp; cost"}};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        fprintf(out, "<a href=\"#%s\">%s</a>", links[i][0], links[i][1]);
    fputs("</nav>\n</header>\n<main>\n", out);
}

void report_plots(FILE *out, const report_input *in)
{
    section_open(out, "progress", "Progress");
    if (!in->series) {
        note_line(out, in->log_problem ? in->log_problem : "no fitness log");
        section_close(out);
        return;
    }
    fprintf(out,
            "<h3>Best so far</h3>\n<p class=\"note\">The best fitness after each of the "
            "%zu evaluations, and the candidates that raised it (hover for details).</p>\n"
            "<div class=\"plotbox\">\n",
            plot_count(in->series));
    plot_options best = {.what = PLOT_EVALS | PLOT_TIME | PLOT_STEPS | PLOT_BEST | PLOT_HOVER |
                                 PLOT_INLINE,
                         .id = "plot-best"};
    plot_figure(out, in->series, &best);
    fputs("</div>\n<h3>Every candidate<span class=\"toggle\">"
          "<button class=\"on\" data-plot=\"plot-all\" data-mode=\"island\">by island</button>"
          "<button data-plot=\"plot-all\" data-mode=\"status\">by status</button></span></h3>\n"
          "<p class=\"note\">Each PASSED candidate is a dot at its fitness; each failure a cross "
          "at 0.</p>\n<div class=\"plotbox\">\n",
          out);
    plot_options all = {.what = PLOT_EVALS | PLOT_DOTS | PLOT_FAILED | PLOT_BEST | PLOT_BY_STATUS |
                                PLOT_HOVER | PLOT_INLINE,
                        .id = "plot-all"};
    plot_figure(out, in->series, &all);
    fputs("</div>\n", out);
    section_close(out);
}

int report_html(FILE *out, const report_input *in)
{
    head(out, in);
    top(out, in);
    report_summary(out, in);
    report_config(out, in);
    report_plots(out, in);
    report_best(out, in);
    report_lineage(out, in);
    report_failures(out, in);
    report_islands(out, in);
    report_operators(out, in);
    report_models(out, in);
    fputs("</main>\n<footer>written by evo ", out);
    html_text(out, evo_version());
    fputs(" &middot; <code>evo report DIR -o FILE.html</code></footer>\n", out);
    fprintf(out, "<script nonce=\"%s\">\n%s</script>\n</body>\n</html>\n", nonce_of(in), report_js);
    return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
