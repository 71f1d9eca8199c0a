/* report_lineage.c -- how the search got to the best: each step from the seed down to it
 * (first parents, or the attempt a repair replaced), with its operator, outcome, the change
 * against its parent, and what a model planned and learned. Prompts and replies are kept
 * folded (and cut): a reader follows plans and lessons. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "html.h"
#include "report_parts.h"

#define NOTE_MAX (16 * 1024) /* bytes of a folded prompt or reply shown */
#define TEXT_MAX (8 * 1024)  /* of a plan, lesson or error */

static int folded(const char *key)
{
    size_t n = strlen(key);
    return (n > 7 && strcmp(key + n - 7, ".prompt") == 0) ||
           (n > 6 && strcmp(key + n - 6, ".reply") == 0);
}

/* Plans and lessons as paragraphs; the short notes (model, edit, usage) as one list; prompts
 * and replies folded. */
static void notes(FILE *out, const json_t *n)
{
    const char *k;
    json_t *v;
    static const char *const main_notes[] = {"plan", "lesson"};
    for (size_t i = 0; i < 2; i++) {
        const char *text = rj_str(n, main_notes[i]);
        if (!text || !*text) continue;
        fprintf(out, "<div class=\"%s\"><span class=\"tag\">%s</span>", main_notes[i],
                main_notes[i]);
        pre_block(out, "text", text, TEXT_MAX);
        fputs("</div>\n", out);
    }
    int small = 0;
    json_object_foreach((json_t *)n, k, v)
    {
        if (!json_is_string(v) || strcmp(k, "plan") == 0 || strcmp(k, "lesson") == 0 || folded(k) ||
            strlen(json_string_value(v)) > 400)
            continue;
        fputs(small++ ? "<br>" : "<p class=\"meta\">", out);
        fputs("<span class=\"key\">", out);
        html_text(out, k);
        fputs("</span> ", out);
        html_text(out, json_string_value(v));
    }
    if (small) fputs("</p>\n", out);
    json_object_foreach((json_t *)n, k, v)
    {
        if (!json_is_string(v) || strcmp(k, "plan") == 0 || strcmp(k, "lesson") == 0 ||
            (!folded(k) && strlen(json_string_value(v)) <= 400))
            continue;
        fputs("<details class=\"fold\"><summary>", out);
        html_text(out, k);
        fprintf(out, " (%zu bytes)</summary>\n", strlen(json_string_value(v)));
        pre_block(out, "text", json_string_value(v), NOTE_MAX);
        fputs("</details>\n", out);
    }
}

static void usage_line(FILE *out, const json_t *usage)
{
    const char *model;
    json_t *u;
    if (json_object_size(usage) == 0) return;
    fputs("<p class=\"meta\"><span class=\"key\">spent</span> ", out);
    int first = 1;
    json_object_foreach((json_t *)usage, model, u)
    {
        if (!first) fputs("; ", out);
        first = 0;
        html_text(out, model);
        fprintf(out, ": %lld call%s, %lld tokens in, %lld out, $%.4f", rj_int(u, "calls"),
                rj_int(u, "calls") == 1 ? "" : "s", rj_int(u, "tokens_in"), rj_int(u, "tokens_out"),
                isfinite(rj_num(u, "cost_usd")) ? rj_num(u, "cost_usd") : 0);
    }
    fputs("</p>\n", out);
}

static void status_badge(FILE *out, const char *status)
{
    int ok = status && strcmp(status, "PASSED") == 0;
    fprintf(out, "<span class=\"badge %s\">", ok ? "ok" : "bad");
    html_text(out, status ? status : "?");
    fputs("</span>", out);
}

static void step(FILE *out, const json_t *rec, const json_t *prev, size_t i, size_t n)
{
    long long id = rj_int(rec, "id");
    const char *status = rj_str(rec, "status");
    double fit = rj_num(rec, "fitness");
    int passed = status && strcmp(status, "PASSED") == 0;
    fprintf(out, "<li class=\"step%s\" id=\"c%lld\">\n<div class=\"head\">",
            i + 1 == n ? " last" : "", id);
    fprintf(out, "<span class=\"cand\">#%lld</span> <span class=\"op\">", id);
    html_text(out, rj_str(rec, "operator"));
    fputs("</span> <code>", out);
    html_text(out, rj_str(rec, "template"));
    fprintf(out, "</code> island %lld ", rj_int(rec, "island"));
    status_badge(out, status);
    if (passed && isfinite(fit)) {
        fprintf(out, " fitness <b>%.4f</b>", fit);
        double pf = prev ? rj_num(prev, "fitness") : NAN;
        if (prev && isfinite(pf) &&
            strcmp(rj_str(prev, "status") ? rj_str(prev, "status") : "", "PASSED") == 0)
            fprintf(out, " <span class=\"%s\">(%+.4f)</span>", fit >= pf ? "up" : "down", fit - pf);
    }
    if (rj_str(rec, "label")) {
        fputs(" <span class=\"label\">", out);
        html_text(out, rj_str(rec, "label"));
        fputs("</span>", out);
    }
    if (json_is_integer(json_object_get(rec, "repair_of")))
        fprintf(out, " <span class=\"label\">repair of #%lld</span>", rj_int(rec, "repair_of"));
    fputs("</div>\n", out);
    if (rj_str(rec, "insight")) {
        fputs("<p class=\"insight\">", out);
        html_text(out, rj_str(rec, "insight"));
        fputs("</p>\n", out);
    }
    if (rj_str(rec, "error") && *rj_str(rec, "error")) {
        fputs("<div class=\"errbox\"><span class=\"tag\">error</span>", out);
        pre_block(out, "error", rj_str(rec, "error"), TEXT_MAX);
        fputs("</div>\n", out);
    }
    notes(out, json_object_get(rec, "notes"));
    usage_line(out, json_object_get(rec, "usage"));
    fputs("</li>\n", out);
}

void report_lineage(FILE *out, const report_input *in)
{
    section_open(out, "lineage", "Lineage of the best");
    size_t n = json_array_size(in->lineage);
    if (n == 0) {
        note_line(out, "No candidate has passed yet: no lineage to show.");
        section_close(out);
        return;
    }
    const json_t *last = json_array_get(in->lineage, n - 1);
    fprintf(out, "<p>%zu step%s from the seed <b>#%lld</b> to the best <b>#%lld</b> ", n,
            n == 1 ? "" : "s", rj_int(json_array_get(in->lineage, 0), "id"), rj_int(last, "id"));
    fputs("(as <code>evo trace DIR</code> prints it), seed first.</p>\n<ol class=\"lineage\">\n",
          out);
    for (size_t i = 0; i < n; i++)
        step(out, json_array_get(in->lineage, i), i ? json_array_get(in->lineage, i - 1) : NULL, i,
             n);
    fputs("</ol>\n", out);
    section_close(out);
}
