/* report_summary.c -- the report's first section (what ran, where, how long, how far it got,
 * what it cost) and the configuration it ran with. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "report_parts.h"

static void card(FILE *out, const char *label, const char *value, const char *sub)
{
    fputs("<div class=\"card\"><div class=\"label\">", out);
    html_text(out, label);
    fputs("</div><div class=\"value\">", out);
    html_text(out, value);
    fputs("</div>", out);
    if (sub && *sub) {
        fputs("<div class=\"sub\">", out);
        html_text(out, sub);
        fputs("</div>", out);
    }
    fputs("</div>\n", out);
}

void report_task_text(const json_t *st, char *buf, size_t n)
{
    const json_t *ev = rj_get2(st, "config", "evaluator");
    const char *kind = rj_str(ev, "kind"), *task = rj_str(json_object_get(st, "facts"), "task");
    if (kind && strcmp(kind, "synthetic") == 0) {
        const json_t *syn = json_object_get(ev, "synthetic");
        snprintf(buf, n, "synthetic: %lld parameters of %lld levels", rj_int(syn, "dims"),
                 rj_int(syn, "levels"));
        return;
    }
    if (kind && strcmp(kind, "custom") == 0) {
        snprintf(buf, n, "a custom evaluator%s%s", task ? ": " : "", task ? task : "");
        return;
    }
    const char *where = rj_str(ev, "definition");
    if (!where || !*where) where = rj_str(ev, "dataset");
    if (!where || !*where) where = rj_str(ev, "task");
    if (task)
        snprintf(buf, n, "%s (%s)", task, where ? where : "?");
    else
        snprintf(buf, n, "%s", where ? where : "?");
}

/* "copy 4012 GB/s, matrix (cuBLAS) 712 TFLOP/s": only the ceilings measured. */
static void ceilings_text(const json_t *facts, char *buf, size_t n)
{
    double gbps = rj_num(facts, "ceiling_gbps"), tflops = rj_num(facts, "ceiling_tflops");
    int k = 0;
    buf[0] = 0;
    if (gbps > 0) k = snprintf(buf, n, "copy %.0f GB/s", gbps);
    if (tflops > 0 && k >= 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, "%smatrix (cuBLAS) %.0f TFLOP/s", k ? ", " : "", tflops);
    if (!buf[0]) snprintf(buf, n, "no ceiling measured");
}

static void baseline_text(const json_t *facts, char *buf, size_t n)
{
    const json_t *b = json_object_get(facts, "baseline");
    const char *kind = rj_str(b, "kind");
    if (!kind) {
        snprintf(buf, n, "the task's baseline");
        return;
    }
    if (strcmp(kind, "trace") != 0) {
        snprintf(buf, n, "the task's %s baseline, timed by evo's harness", kind);
        return;
    }
    int k = snprintf(
        buf, n, "%s from the FlashInfer-Bench trace %s (measured on %s), %lld of %lld workloads",
        rj_str(b, "label") ? rj_str(b, "label") : "?", rj_str(b, "path") ? rj_str(b, "path") : "?",
        rj_str(b, "hardware") ? rj_str(b, "hardware") : "?", rj_int(b, "covered"),
        rj_int(b, "workloads"));
    if (k > 0 && (size_t)k < n && rj_int(b, "fallback_count") > 0)
        snprintf(buf + k, n - (size_t)k, "; %lld fall back to the task's %s baseline",
                 rj_int(b, "fallback_count"),
                 rj_str(b, "fallback") ? rj_str(b, "fallback") : "own");
}

static void cards(FILE *out, const report_input *in)
{
    const json_t *st = in->status, *c = json_object_get(st, "counters");
    const json_t *facts = json_object_get(st, "facts"), *best = json_object_get(st, "best");
    const json_t *usage = json_object_get(st, "usage");
    char v[512], sub[1024], d[32];
    long long evals = rj_int(c, "evaluations"),
              maxe = rj_int(rj_get2(st, "config", "stop"), "max_evaluations");
    long long failed = 0;
    const char *k;
    json_t *x;
    json_object_foreach(json_object_get(c, "failures"), k, x) failed += json_integer_value(x);

    fputs("<div class=\"cards\">\n", out);
    if (json_is_object(best)) {
        snprintf(v, sizeof v, "%.4f", rj_num(best, "fitness"));
        snprintf(sub, sizeof sub, "#%lld %s%s%s", rj_int(best, "id"),
                 rj_str(best, "template") ? rj_str(best, "template") : "?",
                 in->speedups ? "; " : "", in->speedups ? in->speedups : "");
        card(out, "best fitness", v, sub);
    } else {
        card(out, "best fitness", "none", "no candidate has passed the correctness gate");
    }
    if (maxe > 0)
        snprintf(v, sizeof v, "%lld of %lld", evals, maxe);
    else
        snprintf(v, sizeof v, "%lld", evals);
    snprintf(sub, sizeof sub, "%lld failed, %lld reused from identical candidates", failed,
             rj_int(c, "cached"));
    card(out, "evaluations", v, sub);
    double el = rj_num(c, "elapsed_s");
    html_duration(d, sizeof d, isfinite(el) ? el : 0);
    long long sessions = rj_int(c, "sessions");
    if (el > 0)
        snprintf(sub, sizeof sub, "%lld session%s, %.0f evaluations an hour", sessions,
                 sessions == 1 ? "" : "s", evals / el * 3600);
    else
        snprintf(sub, sizeof sub, "%lld session%s", sessions, sessions == 1 ? "" : "s");
    card(out, "wall time", d, sub);
    if (json_is_true(json_object_get(c, "finished")))
        card(out, "state", "finished", rj_str(c, "stop_reason"));
    else
        card(out, "state", "not finished", "running now, or stopped early: evo resume DIR");
    if (rj_str(facts, "device")) {
        snprintf(v, sizeof v, "%s", rj_str(facts, "device"));
        char ceil[256];
        ceilings_text(facts, ceil, sizeof ceil);
        snprintf(sub, sizeof sub, "%s%s%s", rj_str(facts, "arch") ? rj_str(facts, "arch") : "",
                 rj_str(facts, "arch") ? ", " : "", ceil);
        card(out, "device", v, sub);
    } else {
        card(out, "device", "not recorded",
             json_is_object(facts) ? "the evaluator named no device" : "the run kept no device");
    }
    double cost = rj_num(usage, "cost_usd");
    if (rj_int(usage, "calls") > 0 || cost > 0) {
        snprintf(v, sizeof v, "$%.4f", isfinite(cost) ? cost : 0);
        snprintf(sub, sizeof sub, "%lld model calls, %lld tokens in, %lld out",
                 rj_int(usage, "calls"), rj_int(usage, "tokens_in"), rj_int(usage, "tokens_out"));
        card(out, "model cost", v, sub);
    }
    fputs("</div>\n", out);
}

static void stop_text(const json_t *stop, char *buf, size_t n)
{
    int k = 0;
    buf[0] = 0;
    if (rj_int(stop, "max_evaluations") > 0)
        k +=
            snprintf(buf + k, n - (size_t)k, "%lld evaluations; ", rj_int(stop, "max_evaluations"));
    if (rj_num(stop, "max_wall_seconds") > 0 && (size_t)k < n)
        k += snprintf(buf + k, n - (size_t)k, "%.0f s of wall time; ",
                      rj_num(stop, "max_wall_seconds"));
    if (rj_num(stop, "target_fitness") > 0 && (size_t)k < n)
        k += snprintf(buf + k, n - (size_t)k, "fitness %g; ", rj_num(stop, "target_fitness"));
    if (rj_int(stop, "stagnation") > 0 && (size_t)k < n)
        k += snprintf(buf + k, n - (size_t)k, "%lld evaluations without improvement; ",
                      rj_int(stop, "stagnation"));
    if (k >= 2 && (size_t)k <= n) buf[k - 2] = 0;
    if (!buf[0]) snprintf(buf, n, "none (until interrupted)");
}

static void operators_text(const json_t *ops, char *buf, size_t n)
{
    int k = 0;
    const char *name;
    json_t *w;
    buf[0] = 0;
    json_object_foreach((json_t *)ops, name, w)
    {
        if (!(json_number_value(w) > 0) || (size_t)k >= n) continue;
        k += snprintf(buf + k, n - (size_t)k, "%s%s %g", k ? ", " : "", name, json_number_value(w));
    }
}

static void models_text(const json_t *llm, char *buf, size_t n)
{
    int k = 0;
    size_t i;
    json_t *m;
    buf[0] = 0;
    json_array_foreach(json_object_get(llm, "models"), i, m)
    {
        if ((size_t)k >= n) break;
        k += snprintf(buf + k, n - (size_t)k, "%s%s (%s)", k ? ", " : "",
                      rj_str(m, "name") ? rj_str(m, "name") : "?",
                      rj_str(m, "model") ? rj_str(m, "model") : "?");
    }
}

static void run_table(FILE *out, const report_input *in)
{
    const json_t *st = in->status, *run = json_object_get(st, "run");
    const json_t *cfg = json_object_get(st, "config"), *facts = json_object_get(st, "facts");
    char buf[2048];
    fputs("<table class=\"kv\">\n", out);
    kv_row(out, "run", rj_str(run, "name"));
    kv_row(out, "directory", in->run_dir);
    kv_row(out, "created", rj_str(run, "created"));
    json_t *seed = json_object_get(run, "seed");
    if (json_is_integer(seed))
        kv_rowf(out, "seed", "%lld", (long long)json_integer_value(seed));
    else
        kv_row(out, "seed", rj_str(run, "seed"));
    kv_row(out, "evo version", rj_str(run, "evo_version"));
    report_task_text(st, buf, sizeof buf);
    kv_row(out, "task", buf);
    if (rj_str(facts, "device")) {
        char ceil[256];
        ceilings_text(facts, ceil, sizeof ceil);
        kv_rowf(out, "device", "%s%s%s%s, %lld SMs", rj_str(facts, "device"),
                rj_str(facts, "arch") ? " (" : "",
                rj_str(facts, "arch") ? rj_str(facts, "arch") : "",
                rj_str(facts, "arch") ? ")" : "", rj_int(facts, "sms"));
        kv_row(out, "measured ceilings", ceil);
    }
    const char *kind = rj_str(rj_get2(st, "config", "evaluator"), "kind");
    if (json_is_object(facts) || (kind && strcmp(kind, "gpu") == 0)) {
        baseline_text(facts, buf, sizeof buf);
        kv_row(out, "speedups against", buf);
    }
    const json_t *isl = json_object_get(cfg, "islands");
    kv_rowf(out, "islands", "%lld of %lld candidates, migration every %lld evaluations",
            rj_int(isl, "count"), rj_int(isl, "population"),
            rj_int(json_object_get(cfg, "migration"), "interval"));
    kv_rowf(out, "concurrency", "%lld", rj_int(cfg, "concurrency"));
    operators_text(json_object_get(cfg, "operators"), buf, sizeof buf);
    kv_row(out, "operator weights", buf);
    models_text(json_object_get(cfg, "llm"), buf, sizeof buf);
    if (buf[0]) kv_row(out, "models", buf);
    stop_text(json_object_get(cfg, "stop"), buf, sizeof buf);
    kv_row(out, "stop after", buf);
    kv_row(out, "report written", in->generated);
    fputs("</table>\n", out);
}

void report_summary(FILE *out, const report_input *in)
{
    section_open(out, "summary", "Summary");
    cards(out, in);
    run_table(out, in);
    section_close(out);
}

void report_config(FILE *out, const report_input *in)
{
    const json_t *cfg = json_object_get(in->status, "config");
    if (!json_is_object(cfg)) return;
    char *text = json_dumps(cfg, JSON_INDENT(2) | JSON_SORT_KEYS);
    fputs("<details class=\"config\"><summary>Configuration (every default filled in)</summary>\n",
          out);
    pre_block(out, "json", text ? text : "", 1 << 20);
    fputs("</details>\n", out);
    free(text);
}
