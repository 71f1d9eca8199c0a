/* report_stats.c -- the search's machinery in numbers: islands, the operator bandit's
 * statistics, and the language models' calls, tokens and cost against the budgets. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "html.h"
#include "report_parts.h"

void report_islands(FILE *out, const report_input *in)
{
    const json_t *arr = json_object_get(in->status, "islands");
    size_t i;
    json_t *is;
    if (json_array_size(arr) == 0) return;
    section_open(out, "islands", "Islands");
    fputs("<table class=\"grid sortable\" id=\"island-table\"><thead><tr>"
          "<th data-sort=\"num\">island</th><th data-sort=\"num\">members</th>"
          "<th data-sort=\"num\">evaluations</th><th data-sort=\"num\">best</th>"
          "<th data-sort=\"num\">best fitness</th><th data-sort=\"num\">since improvement</th>"
          "<th data-sort=\"num\">explore rate</th></tr></thead><tbody>\n",
          out);
    json_array_foreach((json_t *)arr, i, is)
    {
        long long best = rj_int(is, "best_id");
        fputs("<tr>", out);
        num_cell(out, (double)rj_int(is, "index"), "%.0f");
        num_cell(out, (double)rj_int(is, "members"), "%.0f");
        num_cell(out, (double)rj_int(is, "evaluations"), "%.0f");
        if (best >= 1)
            fprintf(out, "<td class=\"num\" data-v=\"%lld\">#%lld</td>", best, best);
        else
            fputs("<td class=\"num\" data-v=\"\">-</td>", out);
        num_cell(out, best >= 1 ? rj_num(is, "best_fitness") : NAN, "%.4f");
        num_cell(out, (double)rj_int(is, "since_improvement"), "%.0f");
        num_cell(out, rj_num(is, "explore_rate"), "%.2f");
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    section_close(out);
}

void report_operators(FILE *out, const report_input *in)
{
    const json_t *arms = rj_get2(in->status, "operators", "arms");
    size_t i;
    json_t *a;
    section_open(out, "operators", "Operators");
    if (json_array_size(arms) == 0) {
        note_line(out, "The run kept no operator statistics.");
        section_close(out);
        return;
    }
    const char *policy = rj_str(rj_get2(in->status, "config", "bandit"), "policy");
    fputs("<p>The bandit (", out);
    html_text(out, policy ? policy : "?");
    fputs(") picks an operator for each child by its discounted reward; an improvement is a "
          "child better than its parent.</p>\n",
          out);
    fputs("<table class=\"grid sortable\" id=\"operator-table\"><thead><tr>"
          "<th data-sort=\"text\">operator</th><th data-sort=\"num\">weight</th>"
          "<th data-sort=\"num\">uses</th><th data-sort=\"num\">improvements</th>"
          "<th data-sort=\"num\">improvement rate</th><th data-sort=\"num\">failures</th>"
          "<th data-sort=\"num\">failure rate</th><th data-sort=\"num\">mean reward</th>"
          "</tr></thead><tbody>\n",
          out);
    json_array_foreach((json_t *)arms, i, a)
    {
        double uses = (double)rj_int(a, "uses");
        fputs("<tr><td><code>", out);
        html_text(out, rj_str(a, "name"));
        fputs("</code></td>", out);
        num_cell(out, rj_num(a, "weight"), "%g");
        num_cell(out, uses, "%.0f");
        num_cell(out, (double)rj_int(a, "improvements"), "%.0f");
        num_cell(out, uses > 0 ? 100 * rj_int(a, "improvements") / uses : NAN, "%.1f%%");
        num_cell(out, (double)rj_int(a, "failures"), "%.0f");
        num_cell(out, uses > 0 ? 100 * rj_int(a, "failures") / uses : NAN, "%.1f%%");
        num_cell(out, rj_num(a, "reward"), "%.4f");
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    section_close(out);
}

static void budget_row(FILE *out, const char *what, double used, double limit, const char *fmt)
{
    char u[64], l[64];
    snprintf(u, sizeof u, fmt, used);
    snprintf(l, sizeof l, fmt, limit);
    fputs("<tr><th>", out);
    html_text(out, what);
    fputs("</th><td>", out);
    html_text(out, u);
    if (limit > 0) {
        fputs(" of ", out);
        html_text(out, l);
        fprintf(out, " (%.0f%%)", 100 * used / limit);
    } else {
        fputs(" (no limit)", out);
    }
    fputs("</td></tr>\n", out);
}

/* What the best's lineage spent on models: the cost of getting to the best. */
static double lineage_cost(const json_t *lineage)
{
    double sum = 0;
    size_t i;
    json_t *rec;
    json_array_foreach((json_t *)lineage, i, rec)
    {
        const char *m;
        json_t *u;
        json_object_foreach(json_object_get(rec, "usage"), m, u)
        {
            double c = rj_num(u, "cost_usd");
            if (isfinite(c)) sum += c;
        }
    }
    return sum;
}

void report_models(FILE *out, const report_input *in)
{
    const json_t *u = json_object_get(in->status, "usage"), *models = json_object_get(u, "models");
    const json_t *llm = rj_get2(in->status, "config", "llm");
    section_open(out, "models", "Models and cost");
    if (rj_int(u, "calls") <= 0 && json_object_size(models) == 0) {
        note_line(out, json_array_size(json_object_get(llm, "models")) > 0
                           ? "No model was called."
                           : "The run used no language model: it cost only machine time.");
        section_close(out);
        return;
    }
    double total = rj_num(u, "cost_usd");
    fputs("<table class=\"grid sortable\" id=\"model-table\"><thead><tr>"
          "<th data-sort=\"text\">model</th><th data-sort=\"num\">calls</th>"
          "<th data-sort=\"num\">tokens in</th><th data-sort=\"num\">tokens out</th>"
          "<th data-sort=\"num\">cost $</th><th data-sort=\"num\">of cost</th>"
          "</tr></thead><tbody>\n",
          out);
    const char *name;
    json_t *m;
    json_object_foreach((json_t *)models, name, m)
    {
        fputs("<tr><td><code>", out);
        html_text(out, name);
        fputs("</code></td>", out);
        num_cell(out, (double)rj_int(m, "calls"), "%.0f");
        num_cell(out, (double)rj_int(m, "tokens_in"), "%.0f");
        num_cell(out, (double)rj_int(m, "tokens_out"), "%.0f");
        num_cell(out, rj_num(m, "cost_usd"), "%.4f");
        num_cell(out, total > 0 ? 100 * rj_num(m, "cost_usd") / total : NAN, "%.1f%%");
        fputs("</tr>\n", out);
    }
    fputs("</tbody><tfoot><tr><th>total</th>", out);
    num_cell(out, (double)rj_int(u, "calls"), "%.0f");
    num_cell(out, (double)rj_int(u, "tokens_in"), "%.0f");
    num_cell(out, (double)rj_int(u, "tokens_out"), "%.0f");
    num_cell(out, total, "%.4f");
    fputs("<td></td></tr></tfoot></table>\n", out);
    if (rj_int(u, "unsettled_calls") > 0)
        fprintf(out,
                "<p class=\"note\">%lld call%s reserved but never settled (the process ended "
                "while waiting) %s counted at %s bound.</p>\n",
                rj_int(u, "unsettled_calls"), rj_int(u, "unsettled_calls") == 1 ? "" : "s",
                rj_int(u, "unsettled_calls") == 1 ? "is" : "are",
                rj_int(u, "unsettled_calls") == 1 ? "its" : "their");
    long long evals = rj_int(json_object_get(in->status, "counters"), "evaluations");
    fputs("<table class=\"kv\">\n", out);
    budget_row(out, "cost", isfinite(total) ? total : 0, rj_num(llm, "max_cost_usd"), "$%.4f");
    budget_row(out, "calls", (double)rj_int(u, "calls"), (double)rj_int(llm, "max_calls"), "%.0f");
    budget_row(out, "tokens", (double)(rj_int(u, "tokens_in") + rj_int(u, "tokens_out")),
               (double)rj_int(llm, "max_tokens"), "%.0f");
    if (evals > 0 && isfinite(total))
        kv_rowf(out, "cost per evaluation", "$%.5f", total / (double)evals);
    if (json_array_size(in->lineage) > 0)
        kv_rowf(out, "spent on the best's lineage", "$%.4f", lineage_cost(in->lineage));
    fputs("</table>\n", out);
    section_close(out);
}
