/* report_best.c -- the best candidate: its figures per workload against the baseline and the
 * measured ceilings (workloads in the order the run views give them: by their axes), its
 * parameters, a validation verdict if one was kept, and its source. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "html.h"
#include "report_parts.h"

typedef struct columns {
    int against;   /* a "baseline" text per workload: what the speedup is against */
    int bw, flops; /* the copy and matrix ceilings, when measured */
    int err;       /* max_rel_err */
    int validated; /* latencies of a kept validation */
    double max_speedup;
} columns;

/* A ceiling column is shown when the run measured that ceiling; a run that kept no facts
 * (older runs) shows it when some workload has a non-zero fraction of it. */
static columns pick_columns(const json_t *facts, const json_t *workloads, const json_t *verdict)
{
    columns c = {0};
    int known = json_is_object(facts);
    c.bw = known && rj_num(facts, "ceiling_gbps") > 0;
    c.flops = known && rj_num(facts, "ceiling_tflops") > 0;
    const char *name;
    json_t *w;
    json_object_foreach((json_t *)workloads, name, w)
    {
        c.against |= rj_str(w, "baseline") != NULL;
        c.err |= isfinite(rj_num(w, "max_rel_err"));
        if (!known) {
            c.bw |= rj_num(w, "frac_bw") > 0;
            c.flops |= rj_num(w, "frac_flops") > 0;
        }
        double s = rj_num(w, "speedup");
        if (s > c.max_speedup) c.max_speedup = s;
    }
    c.validated = json_object_size(json_object_get(verdict, "workloads")) > 0;
    return c;
}

static void header(FILE *out, const columns *c)
{
    fputs("<thead><tr><th data-sort=\"num\">#</th><th data-sort=\"text\">workload</th>"
          "<th data-sort=\"num\">latency &micro;s</th><th data-sort=\"num\">baseline "
          "&micro;s</th><th data-sort=\"num\">speedup</th>",
          out);
    if (c->against) fputs("<th data-sort=\"text\">against</th>", out);
    if (c->validated) fputs("<th data-sort=\"num\">validated &micro;s</th>", out);
    if (c->bw) fputs("<th data-sort=\"num\">GB/s</th><th data-sort=\"num\">of copy</th>", out);
    if (c->flops)
        fputs("<th data-sort=\"num\">TFLOP/s</th><th data-sort=\"num\">of matrix rate</th>", out);
    if (c->err) fputs("<th data-sort=\"num\">max rel err</th>", out);
    fputs("</tr></thead>\n", out);
}

/* The speedup with a bar: its length against the table's largest, a tick at 1x. */
static void speedup_cell(FILE *out, double s, double max)
{
    if (!isfinite(s)) {
        fputs("<td class=\"num\" data-v=\"\">-</td>", out);
        return;
    }
    double scale = max > 1 ? max : 1;
    fprintf(out,
            "<td class=\"num speedup\" data-v=\"%.17g\"><span class=\"bar%s\" "
            "style=\"width:%.1f%%\"></span><span class=\"one\" style=\"left:%.1f%%\"></span>"
            "<span class=\"v\">%.3fx</span></td>",
            s, s >= 1 ? " win" : " loss", s > 0 ? fmin(100, s / scale * 100) : 0, 100 / scale, s);
}

static void percent_cell(FILE *out, double frac)
{
    if (isfinite(frac))
        fprintf(out, "<td class=\"num\" data-v=\"%.17g\">%.1f%%</td>", frac, frac * 100);
    else
        fputs("<td class=\"num\" data-v=\"\">-</td>", out);
}

static void workload_rows(FILE *out, const json_t *workloads, const json_t *verdict,
                          const columns *c)
{
    const char *name;
    json_t *w;
    int i = 0;
    const json_t *vw = json_object_get(verdict, "workloads");
    fputs("<tbody>\n", out);
    json_object_foreach((json_t *)workloads, name, w)
    {
        fprintf(out, "<tr><td class=\"num\" data-v=\"%d\">%d</td><td class=\"wl\">", i, i + 1);
        i++;
        html_text(out, name);
        fputs("</td>", out);
        num_cell(out, rj_num(w, "latency_us"), "%.2f");
        num_cell(out, rj_num(w, "baseline_us"), "%.2f");
        speedup_cell(out, rj_num(w, "speedup"), c->max_speedup);
        if (c->against) {
            fputs("<td>", out);
            html_text(out, rj_str(w, "baseline") ? rj_str(w, "baseline") : "-");
            fputs("</td>", out);
        }
        if (c->validated) num_cell(out, rj_num(json_object_get(vw, name), "latency_us"), "%.2f");
        if (c->bw) {
            num_cell(out, rj_num(w, "gbps"), "%.1f");
            percent_cell(out, rj_num(w, "frac_bw"));
        }
        if (c->flops) {
            num_cell(out, rj_num(w, "tflops"), "%.2f");
            percent_cell(out, rj_num(w, "frac_flops"));
        }
        if (c->err) num_cell(out, rj_num(w, "max_rel_err"), "%.2e");
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n", out);
}

static void params_line(FILE *out, const json_t *params)
{
    const char *k;
    json_t *v;
    fputs("<p class=\"params\">parameters: ", out);
    if (json_object_size(params) == 0) fputs("(none)", out);
    json_object_foreach((json_t *)params, k, v)
    {
        fputs("<code>", out);
        html_text(out, k);
        fputc('=', out);
        if (json_is_string(v))
            html_text(out, json_string_value(v));
        else if (json_is_integer(v))
            fprintf(out, "%lld", (long long)json_integer_value(v));
        else if (json_is_number(v))
            fprintf(out, "%g", json_number_value(v));
        fputs("</code> ", out);
    }
    fputs("</p>\n", out);
}

static void verdict_line(FILE *out, const json_t *v)
{
    if (!json_is_object(v)) {
        note_line(out, "not validated: evo validate DIR re-times it with the stricter protocol");
        return;
    }
    const json_t *p = json_object_get(v, "protocol");
    fputs("<p class=\"verdict\">validated ", out);
    html_text(out, rj_str(v, "date"));
    fputs(": <span class=\"status\">", out);
    html_text(out, rj_str(v, "status"));
    fputs("</span>", out);
    if (isfinite(rj_num(v, "fitness"))) fprintf(out, ", fitness %.4f", rj_num(v, "fitness"));
    fprintf(out, " (%lld trials, %lld timed runs, fresh inputs)</p>\n", rj_int(p, "trials"),
            rj_int(p, "iterations"));
    if (rj_str(v, "error") && *rj_str(v, "error"))
        pre_block(out, "error", rj_str(v, "error"), 4096);
}

void report_best(FILE *out, const report_input *in)
{
    section_open(out, "best", "Best candidate");
    const json_t *b = in->best;
    if (!json_is_object(b)) {
        note_line(out, "No candidate has passed the correctness gate yet.");
        section_close(out);
        return;
    }
    fputs("<p class=\"lead\">", out);
    candidate_ref(out, rj_int(b, "id"), in->lineage != NULL);
    fputs(" <code>", out);
    html_text(out, rj_str(b, "template"));
    fprintf(out, "</code>, fitness <b>%.4f</b>, made by <code>", rj_num(b, "fitness"));
    html_text(out, rj_str(b, "operator"));
    fprintf(out, "</code> on island %lld", rj_int(b, "island"));
    double t = rj_num(b, "t");
    if (isfinite(t)) {
        char d[32];
        html_duration(d, sizeof d, t);
        fprintf(out, ", %s into the run", d);
    }
    fputs("</p>\n", out);
    if (in->speedups) {
        fputs("<p>speedups: ", out);
        html_text(out, in->speedups);
        fputs("</p>\n", out);
    }
    params_line(out, json_object_get(b, "params"));
    verdict_line(out, in->validation);
    const json_t *w = json_object_get(b, "workloads");
    if (json_object_size(w) > 0) {
        columns c = pick_columns(json_object_get(in->status, "facts"), w, in->validation);
        fputs("<table class=\"grid sortable\" id=\"workloads\">\n", out);
        header(out, &c);
        workload_rows(out, w, in->validation, &c);
        fputs("</table>\n", out);
        if (!c.bw && !c.flops)
            note_line(out, "No ceiling was measured for this run: no fraction of copy bandwidth "
                           "or matrix rate to show.");
    } else {
        note_line(out, "The evaluator reported no per-workload figures.");
    }
    if (in->best_source) {
        fputs("<details><summary>source (parameters applied; evo best DIR writes it)</summary>\n",
              out);
        pre_block(out, "source", in->best_source, 256 * 1024);
        fputs("</details>\n", out);
    }
    section_close(out);
}
