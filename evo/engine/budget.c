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

void budget_add_usage(evo_engine *e, const json_t *usage)
{
    const char *model;
    json_t *u;
    pthread_mutex_lock(&e->usage_mu);
    json_object_foreach((json_t *)usage, model, u)
    {
        int64_t tin = json_integer_value(json_object_get(u, "tokens_in"));
        int64_t tout = json_integer_value(json_object_get(u, "tokens_out"));
        int64_t calls = json_integer_value(json_object_get(u, "calls"));
        double cost = json_number_value(json_object_get(u, "cost_usd"));
        json_t *t = json_object_get(e->usage.models, model);
        if (!t) {
            t = json_pack("{sI sI sf sI}", "tokens_in", (json_int_t)0, "tokens_out", (json_int_t)0,
                          "cost_usd", 0.0, "calls", (json_int_t)0);
            json_object_set_new(e->usage.models, model, t);
        }
        json_object_set_new(
            t, "tokens_in",
            json_integer(json_integer_value(json_object_get(t, "tokens_in")) + tin));
        json_object_set_new(
            t, "tokens_out",
            json_integer(json_integer_value(json_object_get(t, "tokens_out")) + tout));
        json_object_set_new(t, "calls",
                            json_integer(json_integer_value(json_object_get(t, "calls")) + calls));
        json_object_set_new(t, "cost_usd",
                            json_real(json_number_value(json_object_get(t, "cost_usd")) + cost));
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
