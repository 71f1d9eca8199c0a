/* operator_context.c -- the context an operator works in (evo_mutation_* of evo.h).
 *
 * A context is filled on the engine thread when a job is planned (copies of the parents,
 * inspirations and island memory) and then used on one worker thread only, so operators
 * never read engine state directly. The few calls that do look at the engine
 * (evo_mutation_seen, evo_mutation_budget_left) use only thread-safe paths. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "inflight.h"
#include "operator_context.h"
#include "sha256.h"

void mutation_init(evo_mutation *m, evo_engine *e)
{
    memset(m, 0, sizeof *m);
    m->e = e;
    m->op = OP_SEED;
    m->notes = json_object();
    m->usage = json_object();
}

void mutation_clear(evo_mutation *m)
{
    for (int i = 0; i < 2; i++) {
        genome_free(m->parents[i]);
        free(m->parent_json[i]);
    }
    for (int i = 0; i < m->ninsp; i++)
        free(m->insp_json[i]);
    free(m->memory);
    genome_free(m->child);
    free(m->repair_of);
    json_decref(m->notes);
    json_decref(m->usage);
    free(m->insight);
    memset(m, 0, sizeof *m);
}

const evo_space *mutation_space(evo_mutation *m, const char *source, int *owned, char *err,
                                size_t errlen)
{
    evo_engine *e = m->e;
    char sha[65];
    sha256_hex(source, strlen(source), sha);
    *owned = 0;
    pthread_mutex_lock(&e->space_mu);
    for (int i = e->nspaces - 1; i >= 0; i--) {
        if (strcmp(e->spaces[i].sha, sha) == 0) {
            evo_space *s = e->spaces[i].space;
            pthread_mutex_unlock(&e->space_mu);
            return s;
        }
    }
    pthread_mutex_unlock(&e->space_mu);
    evo_space *s = space_parse(source, err, errlen);
    if (!s) return NULL;
    pthread_mutex_lock(&e->space_mu);
    if (!e->spaces) e->spaces = calloc(SPACE_CACHE_MAX, sizeof *e->spaces);
    if (e->spaces && e->nspaces < SPACE_CACHE_MAX) {
        /* Two workers may parse the same source at once; both entries are valid. */
        memcpy(e->spaces[e->nspaces].sha, sha, 65);
        e->spaces[e->nspaces++].space = s;
    } else {
        *owned = 1;
    }
    pthread_mutex_unlock(&e->space_mu);
    return s;
}

void space_cache_free(evo_engine *e)
{
    for (int i = 0; i < e->nspaces; i++)
        space_free(e->spaces[i].space);
    free(e->spaces);
    e->spaces = NULL;
    e->nspaces = 0;
}

uint32_t evo_mutation_random(evo_mutation *m)
{
    return pcg32_next(&m->rng);
}
double evo_mutation_uniform(evo_mutation *m)
{
    return pcg32_uniform(&m->rng);
}
int evo_mutation_parent_count(const evo_mutation *m)
{
    return m->nparents;
}

const evo_genome *evo_mutation_parent(const evo_mutation *m, int i)
{
    return (i >= 0 && i < m->nparents) ? m->parents[i] : NULL;
}

double evo_mutation_parent_fitness(const evo_mutation *m, int i)
{
    return (i >= 0 && i < m->nparents) ? m->parent_fitness[i] : 0.0;
}

const char *evo_mutation_parent_json(const evo_mutation *m, int i)
{
    return (i >= 0 && i < m->nparents && m->parent_json[i]) ? m->parent_json[i] : "{}";
}

int evo_mutation_inspiration_count(const evo_mutation *m)
{
    return m->ninsp;
}

const char *evo_mutation_inspiration_json(const evo_mutation *m, int i)
{
    return (i >= 0 && i < m->ninsp) ? m->insp_json[i] : "{}";
}

const char *evo_mutation_memory(const evo_mutation *m)
{
    return m->memory ? m->memory : "";
}
const char *evo_mutation_task(const evo_mutation *m)
{
    return m->e->task_text;
}
int evo_mutation_island(const evo_mutation *m)
{
    return m->island;
}

const char *evo_mutation_options(const evo_mutation *m)
{
    return m->e->options_json ? m->e->options_json : "{}";
}

const char *evo_mutation_constants_json(const evo_mutation *m)
{
    return m->e->constants_json ? m->e->constants_json : "{}";
}

/* Keep the first parent's value for every parameter both spaces share, so a model's rewrite
 * of a tuned kernel starts from the tuned point rather than from the defaults. */
static void inherit_params(const evo_mutation *m, const evo_space *s, evo_point *p)
{
    const evo_genome *parent = m->nparents ? m->parents[0] : NULL;
    if (!parent) return;
    for (int i = 0; i < parent->nparams; i++) {
        int k = space_find(s, parent->names[i]);
        if (k < 0) continue;
        for (int v = 0; v < s->params[k].nvalues; v++) {
            if (strcmp(s->params[k].values[v], parent->values[i]) == 0) {
                p->idx[k] = v;
                break;
            }
        }
    }
}

static void template_name_for(const evo_mutation *m, const char *tmpl, const char *source,
                              char out[64])
{
    if (tmpl && *tmpl) {
        snprintf(out, 64, "%s", tmpl);
        return;
    }
    const evo_genome *parent = m->nparents ? m->parents[0] : NULL;
    char *norm = source_normalise(source);
    char sha[65] = "";
    if (norm) sha256_hex(norm, strlen(norm), sha);
    free(norm);
    if (parent && strcmp(parent->source_sha, sha) == 0)
        snprintf(out, 64, "%s", parent->tmpl);
    else
        snprintf(out, 64, "llm-%.8s", sha);
}

int evo_mutation_emit(evo_mutation *m, const char *template_name, const char *source,
                      const char *params_json)
{
    if (!source) {
        evo_mutation_fail(m, "emit: no source");
        return EVO_EINVAL;
    }
    char err[1024];
    int owned = 0;
    const evo_space *s = mutation_space(m, source, &owned, err, sizeof err);
    if (!s) {
        evo_mutation_fail(m, "evo:params block: %s", err);
        return EVO_ESPACE;
    }
    evo_point p = point_new(s);
    int rc = EVO_OK;
    if (params_json) {
        if (point_from_json(s, params_json, &p, err, sizeof err) != 0) {
            evo_mutation_fail(m, "%s", err);
            rc = EVO_ESPACE;
        }
    } else {
        inherit_params(m, s, &p);
    }
    if (rc == EVO_OK) {
        evo_constants k;
        constants_init(&k);
        for (int i = 0; i < m->e->constants.n; i++)
            constants_set(&k, m->e->constants.names[i], m->e->constants.values[i]);
        int ok = space_check(s, &k, &p, err, sizeof err);
        constants_free(&k);
        if (ok != 1) {
            evo_mutation_fail(m, "parameters violate the space: %s",
                              ok < 0 ? err : "a constraint does not hold");
            rc = EVO_ESPACE;
        }
    }
    if (rc == EVO_OK) {
        char tmpl[64];
        template_name_for(m, template_name, source, tmpl);
        evo_genome *g = genome_new(tmpl, source, s, &p);
        if (!g) {
            rc = EVO_ENOMEM;
        } else {
            genome_free(m->child);
            m->child = g;
        }
    }
    point_free(&p);
    if (owned) space_free((evo_space *)s);
    return rc;
}

const evo_genome *evo_mutation_child(const evo_mutation *m)
{
    return m->child;
}

int evo_mutation_seen(const evo_mutation *m, const char *hash)
{
    return inflight_seen(m->e, hash);
}

int evo_mutation_budget_left(const evo_mutation *m)
{
    return budget_left(m->e);
}

void evo_mutation_fail(evo_mutation *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
}

const char *evo_mutation_errmsg(const evo_mutation *m)
{
    return m->err;
}

void evo_mutation_note(evo_mutation *m, const char *name, const char *text)
{
    if (!name || !text) return;
    /* Repeated names (one per repair round) are kept apart: "prompt", "prompt.2", ... */
    char key[96];
    snprintf(key, sizeof key, "%s", name);
    for (int n = 2; json_object_get(m->notes, key); n++)
        snprintf(key, sizeof key, "%s.%d", name, n);
    json_object_set_new(m->notes, key, json_string(text));
}

void evo_mutation_add_usage(evo_mutation *m, const char *model, int64_t tokens_in,
                            int64_t tokens_out, double cost_usd)
{
    usage_add(m->usage, model ? model : "?", tokens_in, tokens_out, cost_usd, 1);
}

int64_t evo_mutation_reserve_usage(evo_mutation *m, const char *model, int64_t tokens_in,
                                   int64_t tokens_out, double cost_usd)
{
    char err[512];
    int64_t t =
        budget_reserve(m->e, model ? model : "?", tokens_in, tokens_out, cost_usd, err, sizeof err);
    if (t <= 0) snprintf(m->err, sizeof m->err, "%s", err);
    return t;
}

void evo_mutation_settle_usage(evo_mutation *m, int64_t ticket, const char *model,
                               int64_t tokens_in, int64_t tokens_out, double cost_usd)
{
    const char *name = model ? model : "?";
    usage_add(m->usage, name, tokens_in, tokens_out, cost_usd, 1);
    json_t *u = json_object_get(m->usage, name);
    if (ticket <= 0 || !u) return;
    if (!json_is_array(json_object_get(u, "tickets")))
        json_object_set_new(u, "tickets", json_array());
    json_array_append_new(json_object_get(u, "tickets"), json_integer(ticket));
}

int evo_mutation_stopping(const evo_mutation *m)
{
    return m->e && m->e->interrupt != 0;
}

void evo_mutation_set_insight(evo_mutation *m, const char *text)
{
    free(m->insight);
    m->insight = text ? strdup(text) : NULL;
}
