/* llm_operator.c -- the "llm" operator: plan / execute / repair / summarise with model
 * ensembles and budgets (see llm_operator.h). Which model of the ensemble writes a child is
 * llm_ensemble.c's to say; its state lives here, under the operator's lock.
 *
 * The engine calls mutate, then repair (after a failed evaluation) and summarize on the same
 * worker thread for one child, but hands the operator only the mutation context. What the
 * later steps need from the first (the model used, the plan, the source last written) is
 * kept in a small table keyed by the context, under the operator's lock; entries are dropped
 * by summarize, and the oldest is evicted if a chain ended without one (a duplicate child). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "llm_client.h"
#include "llm_edit.h"
#include "llm_ensemble.h"
#include "llm_operator.h"
#include "llm_prompt.h"
#include "section.h"
#include "space.h"
#include "strf.h"

#define TRACE_SLOTS 64
#define NOTE_ERROR_MAX 3000  /* error excerpt handed back to the model */
#define AUTO_DIFF_BYTES 6000 /* llm.mode auto: parents longer than this get diffs */

enum { MODE_AUTO, MODE_DIFF, MODE_REWRITE };

typedef struct trace {
    const evo_mutation *m; /* key; NULL = free */
    uint64_t age;
    int model;
    double parent_fitness;
    double cost; /* cost units spent on this child (USD, or Mtok when unpriced) */
    char *plan;
    char *source; /* last source written for this child */
} trace;

typedef struct llm_op {
    llm_client *client;
    llm_prompts prompts;
    int nmodels;
    llm_model_cfg models[LLM_MAX_MODELS];
    int mode;
    pthread_mutex_t mu;
    /* locked: */
    trace traces[TRACE_SLOTS];
    uint64_t tick;
    llm_ensemble ens;
} llm_op;

static const char PARAMS_FORMAT[] =
    "Tunable parameters live in a comment block whose first line is `evo:params`, one per "
    "line:\n"
    "  NAME range LO..HI [step S] default D   integers\n"
    "  NAME pow2 LO..HI default D             powers of two\n"
    "  NAME set A B C default D               an explicit integer set\n"
    "  NAME enum X Y Z default X              identifiers passed as macro text\n"
    "  NAME bool default 1                    0 or 1\n"
    "  require EXPR                           a constraint over parameters and constants\n"
    "Each parameter reaches the source as a -D macro, so guard it with `#ifndef NAME` / "
    "`#define NAME default` / `#endif`. You may add new parameters (with honest ranges) for "
    "choices you are unsure of: a tuner will search them afterwards without asking you.\n";

static const char LAUNCH_FORMAT[] =
    "The source must keep a comment block whose first line is `evo:launch`: it lists the "
    "extern \"C\" __global__ kernels to run, in order, as `kernel NAME`, then `grid` (1-3 "
    "expressions), `block` (1-3), optional `smem` (dynamic shared bytes) and `args` "
    "(definition tensors as device pointers, workspaces, axis names as int or i64(NAME), "
    "scalar inputs by value, integer literals); `workspace NAME DTYPE COUNT` declares scratch "
    "memory; `when EXPR` in a kernel's block launches it only for workloads where EXPR is "
    "nonzero (dispatch on shape). Expressions may use axes, parameters and SM_COUNT, SMEM_OPTIN, "
    "L2_BYTES, "
    "WARP_SIZE, with min, max, ceil_div, align_up.\n";

static const char NO_LAUNCH_FORMAT[] =
    "This task's sources carry no evo:launch block; keep the evo:params block intact.\n";

static const char MODE_DIFF_TEXT[] =
    "Reply with one or more SEARCH/REPLACE blocks that edit the parent source:\n"
    "<<<<<<< SEARCH\n(lines copied exactly from the parent, enough to be unique)\n=======\n"
    "(the lines that replace them)\n>>>>>>> REPLACE\n"
    "Blocks are applied in order. Do not repeat the whole file.\n";

static const char MODE_REWRITE_TEXT[] =
    "Reply with the complete new source in a single fenced code block (```cuda ... ```), "
    "including its evo:params block (and its evo:launch block if the parent has one). Put "
    "nothing else in code fences.\n";

/* ---- small helpers --------------------------------------------------------------------- */

/* Append to a malloc'd string (s may be NULL). */
static char *cat(char *s, const char *add)
{
    size_t a = s ? strlen(s) : 0, b = strlen(add);
    char *r = realloc(s, a + b + 1);
    if (!r) return s;
    memcpy(r + a, add, b + 1);
    return r;
}

static void figures_line(char **out, const char *indent, json_t *obj)
{
    const char *k;
    json_t *v;
    char buf[128];
    *out = cat(*out, indent);
    int first = 1;
    json_object_foreach(obj, k, v)
    {
        if (!json_is_number(v)) continue;
        snprintf(buf, sizeof buf, "%s%s=%.6g", first ? "" : " ", k, json_number_value(v));
        *out = cat(*out, buf);
        first = 0;
    }
    *out = cat(*out, "\n");
}

/* Status, fitness, error and figures of a record or result JSON, as readable lines. */
static char *figures(const char *json_text)
{
    json_t *j = json_loads(json_text ? json_text : "{}", 0, NULL);
    char *out = strdup("");
    if (!j || !out) {
        json_decref(j);
        return out;
    }
    const char *st = json_string_value(json_object_get(j, "status"));
    char *line = strf("status: %s, fitness: %.6g\n", st ? st : "?",
                      json_number_value(json_object_get(j, "fitness")));
    if (line) out = cat(out, line);
    free(line);
    const char *err = json_string_value(json_object_get(j, "error"));
    if (err && *err) {
        line = strf("error: %.600s\n", err);
        if (line) out = cat(out, line);
        free(line);
    }
    json_t *metrics = json_object_get(j, "metrics");
    if (json_object_size(metrics)) {
        out = cat(out, "overall:");
        figures_line(&out, " ", metrics);
    }
    json_t *wl = json_object_get(j, "workloads");
    const char *name;
    json_t *w;
    if (json_object_size(wl)) out = cat(out, "per workload:\n");
    int shown = 0;
    json_object_foreach(wl, name, w)
    {
        if (shown++ >= 24) {
            out = cat(out, "  ...\n");
            break;
        }
        out = cat(out, "  ");
        out = cat(out, name);
        figures_line(&out, ":", w);
    }
    json_decref(j);
    return out;
}

static char *params_text(const evo_genome *g)
{
    char *out = strdup("");
    for (int i = 0; g && out && i < evo_genome_param_count(g); i++) {
        char *l = strf("%s=%s\n", evo_genome_param_name(g, i), evo_genome_param_value(g, i));
        if (l) out = cat(out, l);
        free(l);
    }
    return out ? out : strdup("");
}

static char *inspirations_text(const evo_mutation *m)
{
    char *out = strdup("");
    int n = evo_mutation_inspiration_count(m);
    for (int i = 0; out && i < n; i++) {
        const char *rec = evo_mutation_inspiration_json(m, i);
        json_t *j = json_loads(rec, 0, NULL);
        const char *tmpl = json_string_value(json_object_get(j, "template"));
        char *params = json_dumps(json_object_get(j, "params"), JSON_COMPACT | JSON_SORT_KEYS);
        json_t *notes = json_object_get(j, "notes");
        const char *plan = json_string_value(json_object_get(notes, "plan"));
        const char *lesson = json_string_value(json_object_get(notes, "lesson"));
        char *fig = figures(rec);
        char *block = strf(
            "### Inspiration %d: candidate %lld, template %s, params %s\n%s%s%.800s%s%s%.800s%s\n",
            i + 1, (long long)json_integer_value(json_object_get(j, "id")), tmpl ? tmpl : "?",
            params ? params : "{}", fig ? fig : "", plan ? "its plan: " : "", plan ? plan : "",
            plan ? "\n" : "", lesson ? "its lesson: " : "", lesson ? lesson : "",
            lesson ? "\n" : "");
        if (block) out = cat(out, block);
        free(block);
        free(fig);
        free(params);
        json_decref(j);
    }
    if (out && !out[0]) out = cat(out, "(none yet)\n");
    return out ? out : strdup("");
}

/* ---- trace table ----------------------------------------------------------------------- */

static void trace_clear(trace *t)
{
    free(t->plan);
    free(t->source);
    memset(t, 0, sizeof *t);
}

/* Start the entry of m (replacing an old one), evicting the oldest when full. Locked. */
static trace *trace_put(llm_op *op, const evo_mutation *m)
{
    trace *slot = NULL, *oldest = &op->traces[0];
    for (int i = 0; i < TRACE_SLOTS; i++) {
        trace *t = &op->traces[i];
        if (t->m == m) {
            slot = t;
            break;
        }
        if (!slot && !t->m) slot = t;
        if (t->age < oldest->age) oldest = t;
    }
    if (!slot) slot = oldest;
    trace_clear(slot);
    slot->m = m;
    slot->age = ++op->tick;
    return slot;
}

static trace *trace_get(llm_op *op, const evo_mutation *m)
{
    for (int i = 0; i < TRACE_SLOTS; i++)
        if (op->traces[i].m == m) return &op->traces[i];
    return NULL;
}

/* ---- model choice (llm_ensemble.c, under the operator's lock) -------------------------- */

static int pick_model(llm_op *op, evo_mutation *m, char **handoff)
{
    pthread_mutex_lock(&op->mu);
    int i = llm_ensemble_pick(&op->ens, m, handoff);
    pthread_mutex_unlock(&op->mu);
    return i;
}

/* ---- calls ----------------------------------------------------------------------------- */

static int budget_check(evo_mutation *m, const char *step)
{
    if (evo_mutation_budget_left(m)) return 1;
    evo_mutation_fail(m,
                      "llm %s skipped: the LLM budget is exhausted (llm.max_cost_usd, "
                      "llm.max_tokens or llm.max_calls)",
                      step);
    return 0;
}

static int stopping(void *m)
{
    return evo_mutation_stopping(m);
}

/* One model call with its audit notes and usage; returns the reply text or NULL (reason in
 * err). The call is reserved at its bound before it is sent (counted even if the process dies
 * with the request in flight) and settled with what the reply says it cost; a wait for a
 * retry ends at once when the run is stopping. */
static char *call_model(llm_op *op, evo_mutation *m, int model, const char *step,
                        const char *system, const char *prompt, char *err, size_t errlen)
{
    llm_call call = {
        .model = model, .system = system, .user = prompt, .stop = stopping, .stop_user = m};
    llm_reply r;
    char name[64];
    snprintf(name, sizeof name, "%s.prompt", step);
    evo_mutation_note(m, name, prompt);
    const llm_model_cfg *mc = &op->models[model];
    if (evo_mutation_stopping(m)) {
        snprintf(err, errlen, "model '%s' not called: the run is stopping (interrupt)", mc->name);
        return NULL;
    }
    int64_t bin, bout;
    double bcost;
    llm_client_bound(op->client, &call, &bin, &bout, &bcost);
    int64_t ticket = evo_mutation_reserve_usage(m, mc->name, bin, bout, bcost);
    if (ticket <= 0) {
        snprintf(err, errlen, "model '%s' not called: %s", mc->name, evo_mutation_errmsg(m));
        return NULL;
    }
    llm_chat(op->client, &call, &r);
    evo_mutation_settle_usage(m, ticket, mc->name, r.tokens_in, r.tokens_out, r.cost_usd);
    char *usage = strf("model %s: %lld tokens in, %lld out%s, $%.6f, %.0f ms, %d attempt%s%s%s%s%s",
                       mc->name, (long long)r.tokens_in, (long long)r.tokens_out,
                       r.usage_estimated ? " (estimated)" : "", r.cost_usd, r.latency_ms,
                       r.attempts, r.attempts == 1 ? "" : "s", r.usage_bad ? "; " : "",
                       r.usage_bad ? r.usage_note : "", r.rc ? ": " : "", r.rc ? r.error : "");
    snprintf(name, sizeof name, "%s.usage", step);
    evo_mutation_note(m, name, usage ? usage : "");
    free(usage);
    /* Looked up again under the lock: the entry may have been evicted meanwhile. */
    pthread_mutex_lock(&op->mu);
    trace *t = trace_get(op, m);
    if (t) t->cost += llm_ensemble_cost_units(&r);
    pthread_mutex_unlock(&op->mu);
    if (r.rc != EVO_OK) {
        snprintf(err, errlen, "%s", r.error);
        llm_reply_clear(&r);
        return NULL;
    }
    snprintf(name, sizeof name, "%s.reply", step);
    evo_mutation_note(m, name, r.content);
    char *text = r.content;
    r.content = NULL;
    llm_reply_clear(&r);
    return text;
}

static const char *mode_text(const llm_op *op, const char *parent_source)
{
    int diff =
        op->mode == MODE_DIFF || (op->mode == MODE_AUTO && strlen(parent_source) > AUTO_DIFF_BYTES);
    return diff ? MODE_DIFF_TEXT : MODE_REWRITE_TEXT;
}

/* The parameter values a model's source starts from. A parameter whose declared default the
 * model left as it was in ref_src keeps the parent's (possibly tuned) value; one whose
 * default the model changed, or a new one, takes the model's default: that is the model's
 * stated intent. NULL when the source's block does not parse (emit then says why). */
static char *choose_params(const char *ref_src, const evo_genome *parent, const char *src)
{
    char err[256];
    evo_space *ns = space_parse(src, err, sizeof err);
    if (!ns) return NULL;
    evo_space *rs = space_parse(ref_src ? ref_src : "", err, sizeof err);
    json_t *o = json_object();
    for (int i = 0; i < ns->nparams; i++) {
        const evo_param *np = &ns->params[i];
        const char *val = np->values[np->def];
        int k = rs ? space_find(rs, np->name) : -1;
        int same_default = k >= 0 && strcmp(rs->params[k].values[rs->params[k].def], val) == 0;
        for (int j = 0; same_default && parent && j < evo_genome_param_count(parent); j++) {
            if (strcmp(evo_genome_param_name(parent, j), np->name) != 0) continue;
            if (param_value_index(np, evo_genome_param_value(parent, j)) >= 0)
                val = evo_genome_param_value(parent, j);
        }
        json_object_set_new(o, np->name, json_string(val));
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    space_free(ns);
    space_free(rs);
    return text;
}

/* Emit src; on a malformed evo:params block the context's message says why. */
static int emit_source(evo_mutation *m, const char *model, const char *step, const char *ref_src,
                       const char *src)
{
    char *params = choose_params(ref_src, evo_mutation_parent(m, 0), src);
    int rc = evo_mutation_emit(m, NULL, src, params);
    free(params);
    if (rc == EVO_OK) return EVO_OK;
    char why[1024];
    snprintf(why, sizeof why, "%s", evo_mutation_errmsg(m));
    evo_mutation_fail(m, "model '%s' %s: %s", model, step, why);
    evo_mutation_note(m, "error", evo_mutation_errmsg(m));
    return rc == EVO_ENOMEM ? rc : EVO_ERROR;
}

/* ---- mutate ---------------------------------------------------------------------------- */

typedef struct ctx {
    const char *parent_src;
    char *params, *metrics, *insp, *fitness, *handoff;
    const char *launch, *mode;
} ctx;

static void ctx_free(ctx *c)
{
    free(c->params);
    free(c->metrics);
    free(c->insp);
    free(c->fitness);
    free(c->handoff);
}

static int llm_mutate(void *user, evo_mutation *m)
{
    llm_op *op = user;
    if (!budget_check(m, "call")) return EVO_EBUDGET;
    const evo_genome *parent = evo_mutation_parent(m, 0);
    if (!parent) {
        evo_mutation_fail(m, "llm: no parent");
        return EVO_EINVAL;
    }
    ctx c = {0};
    int model = pick_model(op, m, &c.handoff);
    if (model < 0) {
        free(c.handoff);
        evo_mutation_fail(m, "llm: no model available (every model has weight 0 or an open "
                             "circuit breaker after repeated failures)");
        return EVO_ELLM;
    }
    const char *mname = op->models[model].name;
    c.parent_src = evo_genome_source(parent);
    int need_launch = llm_edit_has_launch(c.parent_src);
    c.params = params_text(parent);
    c.metrics = figures(evo_mutation_parent_json(m, 0));
    c.insp = inspirations_text(m);
    c.fitness = strf("%.6g", evo_mutation_parent_fitness(m, 0));
    c.launch = need_launch ? LAUNCH_FORMAT : NO_LAUNCH_FORMAT;
    c.mode = mode_text(op, c.parent_src);
    prompt_slot slots[] = {
        {"task", evo_mutation_task(m)},
        {"launch_format", c.launch},
        {"params_format", PARAMS_FORMAT},
        {"mode", c.mode},
        {"parent_source", c.parent_src},
        {"parent_params", c.params},
        {"parent_metrics", c.metrics},
        {"parent_fitness", c.fitness},
        {"inspirations", c.insp},
        {"memory", evo_mutation_memory(m)[0] ? evo_mutation_memory(m) : "(nothing recorded yet)"},
        {"handoff", c.handoff},
        {"model", mname},
        {"plan", NULL},
    };
    int nslots = (int)(sizeof slots / sizeof slots[0]);
    evo_mutation_note(m, "llm.model", mname);
    if (c.handoff) evo_mutation_note(m, "handoff", c.handoff);

    pthread_mutex_lock(&op->mu);
    trace *t = trace_put(op, m);
    t->model = model;
    t->parent_fitness = evo_mutation_parent_fitness(m, 0);
    pthread_mutex_unlock(&op->mu);

    char err[1024];
    int rc = EVO_ERROR;
    char *system = llm_prompt_render(&op->prompts, PROMPT_SYSTEM, slots, nslots);
    char *planner = llm_prompt_render(&op->prompts, PROMPT_PLANNER, slots, nslots);
    char *reply = NULL, *plan = NULL, *executor = NULL, *src = NULL;
    if (system) evo_mutation_note(m, "system.prompt", system);
    if (system && planner)
        reply = call_model(op, m, model, "plan", system, planner, err, sizeof err);
    if (!reply) {
        evo_mutation_fail(m, "planner call failed: %s", system && planner ? err : "out of memory");
        rc = EVO_ELLM;
        goto out;
    }
    plan = llm_edit_prose(reply, 4000);
    free(reply);
    reply = NULL;
    evo_mutation_note(m, "plan", plan ? plan : "");
    slots[nslots - 1].value = plan;
    if (!budget_check(m, "executor")) {
        rc = EVO_EBUDGET;
        goto out;
    }
    executor = llm_prompt_render(&op->prompts, PROMPT_EXECUTOR, slots, nslots);
    if (executor) reply = call_model(op, m, model, "execute", system, executor, err, sizeof err);
    if (!reply) {
        evo_mutation_fail(m, "executor call failed: %s", executor ? err : "out of memory");
        rc = EVO_ELLM;
        goto out;
    }
    llm_edit_kind kind;
    if (llm_edit_apply(c.parent_src, reply, need_launch, &src, &kind, err, sizeof err) != 0) {
        evo_mutation_fail(m, "model '%s' reply not applied: %s", mname, err);
        evo_mutation_note(m, "error", evo_mutation_errmsg(m));
        rc = EVO_ERROR;
        goto out;
    }
    evo_mutation_note(m, "edit", kind == LLM_EDIT_DIFF ? "diff" : "rewrite");
    rc = emit_source(m, mname, "wrote a source that cannot be used", c.parent_src, src);
    if (rc == EVO_OK) {
        pthread_mutex_lock(&op->mu);
        t = trace_get(op, m);
        if (t) {
            t->plan = plan;
            t->source = src;
            plan = src = NULL;
        }
        pthread_mutex_unlock(&op->mu);
    }
out:
    if (rc != EVO_OK) {
        pthread_mutex_lock(&op->mu);
        t = trace_get(op, m);
        if (t) trace_clear(t);
        pthread_mutex_unlock(&op->mu);
    }
    free(system);
    free(planner);
    free(executor);
    free(reply);
    free(plan);
    free(src);
    ctx_free(&c);
    return rc;
}

/* ---- repair ---------------------------------------------------------------------------- */

static char *error_text(const evo_result *failed)
{
    char *j = evo_result_json(failed);
    json_t *r = j ? json_loads(j, 0, NULL) : NULL;
    free(j);
    const char *st = json_string_value(json_object_get(r, "status"));
    const char *e = json_string_value(json_object_get(r, "error"));
    size_t el = e ? strlen(e) : 0;
    char *out =
        strf("status: %s\n%.*s%s", st ? st : "?", (int)(el > NOTE_ERROR_MAX ? NOTE_ERROR_MAX : el),
             e ? e : "(no error message)", el > NOTE_ERROR_MAX ? "\n[... trimmed]" : "");
    json_decref(r);
    return out;
}

static int llm_repair(void *user, evo_mutation *m, const evo_result *failed)
{
    llm_op *op = user;
    pthread_mutex_lock(&op->mu);
    trace *t = trace_get(op, m);
    int model = t ? t->model : -1;
    char *plan = t && t->plan ? strdup(t->plan) : NULL;
    char *prev = t && t->source ? strdup(t->source) : NULL;
    pthread_mutex_unlock(&op->mu);
    if (model < 0 || !prev) {
        free(plan);
        free(prev);
        return EVO_ENOTFOUND;
    }
    int rc = EVO_ENOTFOUND;
    char *errtxt = error_text(failed), *system = NULL, *prompt = NULL, *reply = NULL, *src = NULL;
    const char *mname = op->models[model].name;
    int need_launch = llm_edit_has_launch(prev);
    evo_mutation_note(m, "llm.model", mname);
    if (plan) evo_mutation_note(m, "plan", plan);
    if (!budget_check(m, "repair")) {
        evo_mutation_note(m, "repair.skipped", evo_mutation_errmsg(m));
        goto out;
    }
    prompt_slot slots[] = {
        {"task", evo_mutation_task(m)},
        {"launch_format", need_launch ? LAUNCH_FORMAT : NO_LAUNCH_FORMAT},
        {"params_format", PARAMS_FORMAT},
        {"mode", mode_text(op, prev)},
        {"failed_source", prev},
        {"error", errtxt},
        {"plan", plan},
        {"model", mname},
        {"memory", evo_mutation_memory(m)},
    };
    int n = (int)(sizeof slots / sizeof slots[0]);
    system = llm_prompt_render(&op->prompts, PROMPT_SYSTEM, slots, n);
    prompt = llm_prompt_render(&op->prompts, PROMPT_REPAIR, slots, n);
    char err[1024];
    if (system && prompt)
        reply = call_model(op, m, model, "repair", system, prompt, err, sizeof err);
    if (!reply) {
        evo_mutation_note(m, "repair.error", system && prompt ? err : "out of memory");
        goto out;
    }
    llm_edit_kind kind;
    if (llm_edit_apply(prev, reply, need_launch, &src, &kind, err, sizeof err) != 0) {
        char *why = strf("model '%s' repair not applied: %s", mname, err);
        evo_mutation_note(m, "repair.error", why ? why : err);
        free(why);
        goto out;
    }
    evo_mutation_note(m, "edit", kind == LLM_EDIT_DIFF ? "diff" : "rewrite");
    if (emit_source(m, mname, "repair cannot be used", prev, src) != EVO_OK) {
        evo_mutation_note(m, "repair.error", evo_mutation_errmsg(m));
        goto out;
    }
    pthread_mutex_lock(&op->mu);
    t = trace_get(op, m);
    if (t) {
        free(t->source);
        t->source = src;
        src = NULL;
    }
    pthread_mutex_unlock(&op->mu);
    rc = EVO_OK;
out:
    free(errtxt);
    free(system);
    free(prompt);
    free(reply);
    free(src);
    free(plan);
    free(prev);
    return rc;
}

/* ---- summarize ------------------------------------------------------------------------- */

static int llm_summarize(void *user, evo_mutation *m, const evo_result *child, const char *label)
{
    llm_op *op = user;
    pthread_mutex_lock(&op->mu);
    trace *t = trace_get(op, m);
    int model = t ? t->model : -1;
    char *plan = t && t->plan ? strdup(t->plan) : NULL;
    double pf = t ? t->parent_fitness : 0, cost = t ? t->cost : 0;
    if (model >= 0) {
        double f = evo_result_status(child) == EVO_STATUS_PASSED ? evo_result_fitness(child) : 0;
        double gain = f > pf ? (f - pf) / (pf > 0 ? pf : 1) : 0;
        llm_ensemble_record(&op->ens, model, gain, cost, plan, label);
    }
    pthread_mutex_unlock(&op->mu);
    if (model < 0) {
        free(plan);
        return EVO_OK;
    }
    int rc = EVO_OK;
    char *cj = evo_result_json(child);
    char *childfig = figures(cj);
    char *parentfig = figures(evo_mutation_parent_json(m, 0));
    char *system = NULL, *prompt = NULL, *reply = NULL;
    if (!evo_mutation_budget_left(m)) {
        evo_mutation_note(m, "summary.skipped", "the LLM budget is exhausted");
        goto out;
    }
    prompt_slot slots[] = {
        {"task", evo_mutation_task(m)},
        {"parent_metrics", parentfig},
        {"child_metrics", childfig},
        {"plan", plan},
        {"label", label},
        {"model", op->models[model].name},
        {"memory", evo_mutation_memory(m)},
    };
    int n = (int)(sizeof slots / sizeof slots[0]);
    system = llm_prompt_render(&op->prompts, PROMPT_SYSTEM, slots, n);
    prompt = llm_prompt_render(&op->prompts, PROMPT_SUMMARIZER, slots, n);
    char err[1024];
    if (system && prompt)
        reply = call_model(op, m, model, "summary", system, prompt, err, sizeof err);
    if (!reply) {
        evo_mutation_note(m, "summary.error", system && prompt ? err : "out of memory");
        goto out;
    }
    char *lesson = llm_edit_prose(reply, 600);
    if (lesson && lesson[0]) {
        evo_mutation_note(m, "lesson", lesson);
        char *insight = strf("[%s, %s] %s", op->models[model].name, label, lesson);
        evo_mutation_set_insight(m, insight ? insight : lesson);
        free(insight);
    }
    free(lesson);
out:
    pthread_mutex_lock(&op->mu);
    t = trace_get(op, m);
    if (t) trace_clear(t);
    pthread_mutex_unlock(&op->mu);
    free(cj);
    free(childfig);
    free(parentfig);
    free(system);
    free(prompt);
    free(reply);
    free(plan);
    return rc;
}

/* ---- construction ---------------------------------------------------------------------- */

static void llm_destroy(void *user)
{
    llm_op *op = user;
    if (!op) return;
    for (int i = 0; i < TRACE_SLOTS; i++)
        trace_clear(&op->traces[i]);
    llm_client_free(op->client);
    llm_prompts_free(&op->prompts);
    llm_ensemble_free(&op->ens);
    pthread_mutex_destroy(&op->mu);
    free(op);
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

char *llm_prompts_dir(const json_t *llm, const char *base_dir)
{
    const char *dir = sec_string(llm, "prompts_dir");
    if (*dir) return sec_path(base_dir, dir);
    /* The shipped prompts: beside the config (a config in configs/ finds configs/prompts), then
     * the installed data folder, then the source tree, then the working directory. */
    char *beside = sec_path(base_dir, "prompts");
    if (beside && is_dir(beside)) return beside;
    free(beside);
#ifdef EVO_DATA_DIR
    if (is_dir(EVO_DATA_DIR "/configs/prompts")) return strdup(EVO_DATA_DIR "/configs/prompts");
#endif
#ifdef EVO_SOURCE_DIR
    if (is_dir(EVO_SOURCE_DIR "/configs/prompts")) return strdup(EVO_SOURCE_DIR "/configs/prompts");
#endif
    return strdup("configs/prompts");
}

static int parse_mode(const char *s)
{
    if (strcmp(s, "diff") == 0) return MODE_DIFF;
    if (strcmp(s, "rewrite") == 0) return MODE_REWRITE;
    return MODE_AUTO;
}

int llm_operator_create(const json_t *llm, const char *base_dir, evo_operator *out, char *err,
                        size_t errlen)
{
    memset(out, 0, sizeof *out);
    llm_op *op = calloc(1, sizeof *op);
    if (!op) {
        snprintf(err, errlen, "llm: out of memory");
        return EVO_ENOMEM;
    }
    pthread_mutex_init(&op->mu, NULL);
    llm_client_opts opts;
    op->nmodels = llm_config_read(llm, op->models, LLM_MAX_MODELS, &opts, err, errlen);
    if (op->nmodels < 0) {
        llm_destroy(op);
        return EVO_ECONFIG;
    }
    if (op->nmodels == 0) {
        snprintf(err, errlen,
                 "llm: operators.llm is enabled but llm.models is empty; configure "
                 "a model or set operators.llm to 0");
        llm_destroy(op);
        return EVO_ECONFIG;
    }
    int any = 0;
    for (int i = 0; i < op->nmodels; i++)
        any |= op->models[i].weight > 0;
    if (!any) {
        snprintf(err, errlen, "llm: every model in llm.models has weight 0");
        llm_destroy(op);
        return EVO_ECONFIG;
    }
    op->mode = parse_mode(sec_string(llm, "mode"));
    char *dir = llm_prompts_dir(llm, base_dir);
    if (!dir || llm_prompts_load(dir, &op->prompts, err, errlen) != 0) {
        if (!dir) snprintf(err, errlen, "llm: out of memory");
        free(dir);
        llm_destroy(op);
        return EVO_ECONFIG;
    }
    free(dir);
    op->client = llm_client_new(op->models, op->nmodels, &opts, err, errlen);
    if (!op->client) {
        llm_destroy(op);
        return EVO_ENOMEM;
    }
    llm_ensemble_init(&op->ens, sec_string(llm, "policy"), (int)sec_int(llm, "block_size"),
                      op->models, op->nmodels, op->client);
    out->name = "llm";
    out->parents = 1;
    out->user = op;
    out->mutate = llm_mutate;
    out->repair = llm_repair;
    out->summarize = llm_summarize;
    out->destroy = llm_destroy;
    return EVO_OK;
}
