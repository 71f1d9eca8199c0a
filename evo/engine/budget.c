/* budget.c -- what the model operators may still spend: the usage committed so far
 * (tokens, cost, calls, by model) against llm.max_cost_usd, llm.max_tokens and llm.max_calls.
 * The commit adds each candidate's usage; operators ask before calling a model; once a
 * budget is spent the model operators get bandit weight 0, so the search goes on with the
 * template operators alone. */
#include <pthread.h>

#include "budget.h"
#include "section.h"

/* Budgets are checked against committed usage: an estimate at most `concurrency` jobs
 * late. The totals are read under the usage lock the commit path updates them under. */
int budget_left(const evo_engine *e)
{
    /* The loader filled in the schema's defaults (0: unlimited). */
    const json_t *llm = config_get(e->cfg, "llm");
    double max_cost = sec_double(llm, "max_cost_usd");
    int64_t max_tokens = sec_int(llm, "max_tokens"), max_calls = sec_int(llm, "max_calls");
    pthread_mutex_lock((pthread_mutex_t *)&e->usage_mu);
    double cost = e->usage.cost_usd;
    int64_t tokens = e->usage.tokens_in + e->usage.tokens_out, calls = e->usage.calls;
    pthread_mutex_unlock((pthread_mutex_t *)&e->usage_mu);
    if (max_cost > 0 && cost >= max_cost) return 0;
    if (max_tokens > 0 && tokens >= max_tokens) return 0;
    if (max_calls > 0 && calls >= max_calls) return 0;
    return 1;
}

void usage_add(json_t *models, const char *model, int64_t tokens_in, int64_t tokens_out,
               double cost_usd, int64_t calls)
{
    json_t *t = json_object_get(models, model);
    if (!t) {
        t = json_pack("{sI sI sf sI}", "tokens_in", (json_int_t)0, "tokens_out", (json_int_t)0,
                      "cost_usd", 0.0, "calls", (json_int_t)0);
        if (!t || json_object_set_new(models, model, t) != 0) return;
    }
    const char *ints[] = {"tokens_in", "tokens_out", "calls"};
    int64_t add[] = {tokens_in, tokens_out, calls};
    for (int i = 0; i < 3; i++)
        json_object_set_new(t, ints[i],
                            json_integer(json_integer_value(json_object_get(t, ints[i])) + add[i]));
    json_object_set_new(t, "cost_usd",
                        json_real(json_number_value(json_object_get(t, "cost_usd")) + cost_usd));
}

/* The figures of one model's usage object. */
static void figures(const json_t *u, int64_t *tin, int64_t *tout, double *cost, int64_t *calls)
{
    *tin = json_integer_value(json_object_get(u, "tokens_in"));
    *tout = json_integer_value(json_object_get(u, "tokens_out"));
    *calls = json_integer_value(json_object_get(u, "calls"));
    *cost = json_number_value(json_object_get(u, "cost_usd"));
}

void usage_merge(json_t *into, const json_t *from)
{
    const char *model;
    json_t *u;
    json_object_foreach((json_t *)from, model, u)
    {
        int64_t tin, tout, calls;
        double cost;
        figures(u, &tin, &tout, &cost, &calls);
        usage_add(into, model, tin, tout, cost, calls);
    }
}

void budget_add_usage(evo_engine *e, const json_t *usage)
{
    const char *model;
    json_t *u;
    pthread_mutex_lock(&e->usage_mu);
    json_object_foreach((json_t *)usage, model, u)
    {
        int64_t tin, tout, calls;
        double cost;
        figures(u, &tin, &tout, &cost, &calls);
        usage_add(e->usage.models, model, tin, tout, cost, calls);
        e->usage.tokens_in += tin;
        e->usage.tokens_out += tout;
        e->usage.calls += calls;
        e->usage.cost_usd += cost;
    }
    pthread_mutex_unlock(&e->usage_mu);
}

void budget_apply(evo_engine *e)
{
    if (budget_left(e)) return;
    for (int i = 0; i < e->nops; i++)
        if (e->ops[i].summarize && e->bandit_arm[i] >= 0)
            e->bandit.arms[e->bandit_arm[i]].weight = 0;
}
