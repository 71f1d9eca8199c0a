/* budget.c -- what the model operators may still spend: the usage committed so far
 * (tokens, cost, calls, by model) against llm.max_cost_usd, llm.max_tokens and llm.max_calls.
 * The commit adds each candidate's usage; operators ask before calling a model; once a
 * budget is spent the model operators get bandit weight 0, so the search goes on with the
 * template operators alone. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "budget.h"
#include "section.h"
#include "store_format.h"

/* The ledger of model calls reserved before they were sent and not yet settled by a commit:
 * {"next": N, "pending": {"TICKET": {"model", tokens_in, tokens_out, cost_usd, calls}}}.
 * Workers add to it in their own write transactions (one per call, before the request goes
 * out); the commit that stores a call's real usage removes its ticket in the same
 * transaction, so at every instant each paid call is counted exactly once: in the usage
 * state, or at its bound in the ledger. A resumed run charges what the ledger still holds
 * (calls a kill cut off between the request and the commit) at its bound: over, never
 * under. */

/* Token counts and costs are summed only as sane numbers: a negative, NaN or huge figure
 * (a hostile server's usage, a third-party operator's mistake) cannot refund a budget or
 * overflow the sums. */
static int64_t sane_tokens(int64_t v)
{
    return v < 0 ? 0 : v > ((int64_t)1 << 50) ? ((int64_t)1 << 50) : v;
}

static double sane_cost(double v)
{
    return !(v >= 0) ? 0 : v > 1e12 ? 1e12 : v;
}

/* Budgets are checked against the committed usage plus every call reserved (at its bound)
 * before it was sent and not yet committed, so concurrent jobs cannot overspend them by more
 * than the calls that passed the check together. */
/* Whether a budget is spent by the committed usage and the outstanding reservations; the
 * caller holds usage_mu. */
static int left_locked(const evo_engine *e)
{
    /* The loader filled in the schema's defaults (0: unlimited). */
    const json_t *llm = config_get(e->cfg, "llm");
    double max_cost = sec_double(llm, "max_cost_usd");
    int64_t max_tokens = sec_int(llm, "max_tokens"), max_calls = sec_int(llm, "max_calls");
    double cost = e->usage.cost_usd + e->reserved.cost_usd;
    int64_t tokens = e->usage.tokens_in + e->usage.tokens_out + e->reserved.tokens_in +
                     e->reserved.tokens_out,
            calls = e->usage.calls + e->reserved.calls;
    if (max_cost > 0 && cost >= max_cost) return 0;
    if (max_tokens > 0 && tokens >= max_tokens) return 0;
    if (max_calls > 0 && calls >= max_calls) return 0;
    return 1;
}

int budget_left(const evo_engine *e)
{
    pthread_mutex_lock((pthread_mutex_t *)&e->usage_mu);
    int left = left_locked(e);
    pthread_mutex_unlock((pthread_mutex_t *)&e->usage_mu);
    return left;
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
    int64_t add[] = {sane_tokens(tokens_in), sane_tokens(tokens_out), sane_tokens(calls)};
    cost_usd = sane_cost(cost_usd);
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
        json_t *tickets = json_object_get(u, "tickets");
        json_t *to = json_object_get(into, model);
        if (json_array_size(tickets) && to) {
            if (!json_is_array(json_object_get(to, "tickets")))
                json_object_set_new(to, "tickets", json_array());
            json_array_extend(json_object_get(to, "tickets"), tickets);
        }
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
        tin = sane_tokens(tin);
        tout = sane_tokens(tout);
        calls = sane_tokens(calls);
        cost = sane_cost(cost);
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

/* ---- reservations ---------------------------------------------------------------------- */

static json_t *ledger_get(evo_txn *t)
{
    json_t *l = store_meta_get(t, META_LLM_LEDGER);
    if (!json_is_object(l) || !json_is_object(json_object_get(l, "pending"))) {
        json_decref(l);
        l = json_pack("{sI s{}}", "next", (json_int_t)1, "pending");
    }
    return l;
}

static void reserved_add(evo_engine *e, int64_t tin, int64_t tout, double cost, int64_t calls)
{
    e->reserved.tokens_in += tin;
    e->reserved.tokens_out += tout;
    e->reserved.cost_usd += cost;
    e->reserved.calls += calls;
}

int64_t budget_reserve(evo_engine *e, const char *model, int64_t tokens_in, int64_t tokens_out,
                       double cost_usd, char *err, size_t errlen)
{
    tokens_in = sane_tokens(tokens_in);
    tokens_out = sane_tokens(tokens_out);
    cost_usd = sane_cost(cost_usd);
    /* The check and the in-memory reservation are one step under the lock: concurrent workers
     * cannot all pass a budget that has room for one of them. */
    pthread_mutex_lock(&e->usage_mu);
    if (!left_locked(e)) {
        pthread_mutex_unlock(&e->usage_mu);
        snprintf(err, errlen,
                 "the LLM budget is exhausted (llm.max_cost_usd, llm.max_tokens or "
                 "llm.max_calls)");
        return 0;
    }
    reserved_add(e, tokens_in, tokens_out, cost_usd, 1);
    pthread_mutex_unlock(&e->usage_mu);

    /* Written (and synced as the store's sync mode says) before the request is sent. */
    evo_txn *t = NULL;
    int64_t ticket = 0;
    int rc = store_begin(e->store, 1, &t);
    json_t *l = rc == EVO_OK ? ledger_get(t) : NULL;
    if (rc == EVO_OK && !l) rc = EVO_ENOMEM;
    if (rc == EVO_OK) {
        ticket = json_integer_value(json_object_get(l, "next"));
        if (ticket < 1) ticket = 1;
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)ticket);
        json_object_set_new(l, "next", json_integer(ticket + 1));
        json_t *entry = json_pack("{ss sI sI sf sI}", "model", model ? model : "?", "tokens_in",
                                  (json_int_t)tokens_in, "tokens_out", (json_int_t)tokens_out,
                                  "cost_usd", cost_usd, "calls", (json_int_t)1);
        rc = entry && json_object_set_new(json_object_get(l, "pending"), key, entry) == 0
                 ? store_meta_put(t, META_LLM_LEDGER, l)
                 : EVO_ENOMEM;
    }
    json_decref(l);
    if (rc == EVO_OK) {
        rc = store_commit(t);
    } else if (t) {
        store_abort(t);
    }
    pthread_mutex_lock(&e->usage_mu);
    if (rc != EVO_OK) {
        reserved_add(e, -tokens_in, -tokens_out, -cost_usd, -1);
    } else {
        if (!e->reserved.models) e->reserved.models = json_object();
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)ticket);
        json_object_set_new(e->reserved.models, key,
                            json_pack("{sI sI sf}", "tokens_in", (json_int_t)tokens_in,
                                      "tokens_out", (json_int_t)tokens_out, "cost_usd", cost_usd));
    }
    pthread_mutex_unlock(&e->usage_mu);
    if (rc != EVO_OK) {
        snprintf(err, errlen,
                 "cannot record the model call in the run's store before sending it: %s",
                 store_errmsg(e->store));
        return rc < 0 ? rc : -rc;
    }
    return ticket;
}

void budget_settle(evo_engine *e, json_t *usage)
{
    const char *model;
    json_t *u;
    json_object_foreach(usage, model, u)
    {
        json_t *tickets = json_object_get(u, "tickets");
        size_t i;
        json_t *tk;
        json_array_foreach(tickets, i, tk)
        {
            char key[32];
            snprintf(key, sizeof key, "%lld", (long long)json_integer_value(tk));
            pthread_mutex_lock(&e->usage_mu);
            json_t *r = json_object_get(e->reserved.models, key);
            if (r) {
                reserved_add(e, -json_integer_value(json_object_get(r, "tokens_in")),
                             -json_integer_value(json_object_get(r, "tokens_out")),
                             -json_number_value(json_object_get(r, "cost_usd")), -1);
                json_object_del(e->reserved.models, key);
            }
            pthread_mutex_unlock(&e->usage_mu);
            if (!e->settled) e->settled = json_array();
            json_array_append_new(e->settled, json_string(key));
        }
        json_object_del(u, "tickets");
    }
}

int budget_commit_ledger(evo_engine *e, evo_txn *t)
{
    if (!json_array_size(e->settled)) return EVO_OK;
    json_t *l = ledger_get(t);
    if (!l) return EVO_ENOMEM;
    size_t i;
    json_t *k;
    json_array_foreach(e->settled, i, k)
        json_object_del(json_object_get(l, "pending"), json_string_value(k));
    int rc = store_meta_put(t, META_LLM_LEDGER, l);
    json_decref(l);
    if (rc == EVO_OK) json_array_clear(e->settled);
    return rc;
}

void budget_load(evo_engine *e, evo_txn *t)
{
    json_t *l = store_meta_get(t, META_LLM_LEDGER);
    const char *key;
    json_t *p;
    json_object_foreach(json_object_get(l, "pending"), key, p)
    {
        /* A call reserved by an earlier session that no commit settled (the process was
         * killed with the request in flight, or before its child committed): charged at its
         * bound, and dropped from the ledger by this session's first commit. */
        const char *model = json_string_value(json_object_get(p, "model"));
        json_t *one = json_object();
        usage_add(one, model ? model : "?", json_integer_value(json_object_get(p, "tokens_in")),
                  json_integer_value(json_object_get(p, "tokens_out")),
                  json_number_value(json_object_get(p, "cost_usd")), 1);
        budget_add_usage(e, one);
        json_decref(one);
        if (!e->settled) e->settled = json_array();
        json_array_append_new(e->settled, json_string(key));
    }
    json_decref(l);
}

void budget_free(evo_engine *e)
{
    json_decref(e->reserved.models);
    e->reserved.models = NULL;
    json_decref(e->settled);
    e->settled = NULL;
}
