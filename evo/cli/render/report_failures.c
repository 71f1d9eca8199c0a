/* report_failures.c -- failures by status: how many (the run's counters, as `evo status`
 * counts them), which operators made them (from the log), and an excerpt of a few errors
 * each. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "html.h"
#include "report_parts.h"

#define EXCERPT_MAX 2000 /* bytes of an example error */

static void by_operator(FILE *out, const json_t *ops)
{
    const char *k;
    json_t *v;
    int first = 1;
    if (json_object_size(ops) == 0) return;
    fputs("<p class=\"meta\"><span class=\"key\">made by</span> ", out);
    json_object_foreach((json_t *)ops, k, v)
    {
        if (!first) fputs(", ", out);
        first = 0;
        html_text(out, k);
        fprintf(out, " %lld", (long long)json_integer_value(v));
    }
    fputs("</p>\n", out);
}

static void examples(FILE *out, const json_t *list, int linked_ids)
{
    size_t i;
    json_t *e;
    (void)linked_ids;
    json_array_foreach((json_t *)list, i, e)
    {
        fputs("<div class=\"example\"><div class=\"meta\">", out);
        candidate_ref(out, rj_int(e, "id"), 0);
        if (rj_str(e, "operator")) {
            fputs(" by <code>", out);
            html_text(out, rj_str(e, "operator"));
            fputs("</code>", out);
        }
        fputs("</div>", out);
        const char *err = rj_str(e, "error");
        pre_block(out, "error", err && *err ? err : "(no error text kept)", EXCERPT_MAX);
        fputs("</div>\n", out);
    }
}

void report_failures(FILE *out, const report_input *in)
{
    section_open(out, "failures", "Failures by status");
    const json_t *counts = rj_get2(in->status, "counters", "failures");
    long long evals = rj_int(json_object_get(in->status, "counters"), "evaluations"), total = 0;
    const char *status;
    json_t *v;
    json_object_foreach((json_t *)counts, status, v) total += json_integer_value(v);
    if (total == 0) {
        note_line(out, "No candidate failed.");
        section_close(out);
        return;
    }
    fprintf(out, "<p>%lld of %lld evaluations failed (%.1f%%).</p>\n", total, evals,
            evals > 0 ? 100.0 * (double)total / (double)evals : 0);
    fputs("<table class=\"grid sortable\" id=\"failure-counts\"><thead><tr><th "
          "data-sort=\"text\">status</th><th data-sort=\"num\">count</th><th "
          "data-sort=\"num\">of evaluations</th></tr></thead><tbody>\n",
          out);
    json_object_foreach((json_t *)counts, status, v)
    {
        long long n = (long long)json_integer_value(v);
        fputs("<tr><td><span class=\"badge bad\">", out);
        html_text(out, status);
        fprintf(out, "</span></td><td class=\"num\" data-v=\"%lld\">%lld</td>", n, n);
        num_cell(out, evals > 0 ? 100.0 * (double)n / (double)evals : NAN, "%.1f%%");
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    json_object_foreach((json_t *)counts, status, v)
    {
        const json_t *f = json_object_get(in->failures, status);
        fputs("<div class=\"failure\"><h3><span class=\"badge bad\">", out);
        html_text(out, status);
        fprintf(out, "</span> %lld</h3>\n", (long long)json_integer_value(v));
        by_operator(out, json_object_get(f, "operators"));
        if (json_array_size(json_object_get(f, "examples")) == 0)
            note_line(out, in->failures ? "no example found in the fitness log"
                                        : "no examples: the fitness log could not be read");
        examples(out, json_object_get(f, "examples"), 0);
        fputs("</div>\n", out);
    }
    section_close(out);
}
