/* commit.c -- the summarize step's bookkeeping: the evaluations that finished since the last
 * commit become one store transaction holding each candidate and every piece of engine state
 * they changed (islands, archive, bandit, counters, usage, RNG). Because the state and the
 * candidates commit together, a kill at any instant loses at most the evaluations still in flight, and a
 * resumed run continues exactly where the last commit left it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budget.h"
#include "commit.h"
#include "inflight.h"
#include "persist.h"
#include "record.h"

/* "#12 point on #7 (island 1): BM 128->64: improvement, 1.02 -> 1.10" */
static char *default_insight(const evo_engine *e, const evo_mutation *m, int64_t id,
                             const evo_genome *child, evo_status st, double fitness,
                             const char *label, const char *error)
{
    char buf[1024];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "#%lld %s", (long long)id,
                          engine_operator_name(e, m->op));
    if (m->nparents)
        n += (size_t)snprintf(buf + n, sizeof buf - n, " on #%lld", (long long)m->parent_ids[0]);
    n += (size_t)snprintf(buf + n, sizeof buf - n, " (island %d):", m->island);
    const evo_genome *p = m->nparents ? m->parents[0] : NULL;
    int changed = 0;
    if (p && child && strcmp(p->source_sha, child->source_sha) != 0) {
        n += (size_t)snprintf(buf + n, sizeof buf - n, " new source %s;", child->tmpl);
        changed++;
    }
    for (int i = 0; child && p && i < child->nparams && n < sizeof buf - 64; i++) {
        for (int k = 0; k < p->nparams; k++) {
            if (strcmp(p->names[k], child->names[i]) == 0 &&
                strcmp(p->values[k], child->values[i]) != 0) {
                n += (size_t)snprintf(buf + n, sizeof buf - n, " %s %s->%s", child->names[i],
                                      p->values[k], child->values[i]);
                changed++;
            }
        }
    }
    if (!changed && child && !p)
        n += (size_t)snprintf(buf + n, sizeof buf - n, " %s at defaults", child->tmpl);
    if (n >= sizeof buf) n = sizeof buf - 1;
    if (st == EVO_STATUS_PASSED) {
        n += (size_t)snprintf(buf + n, sizeof buf - n, ": %s, %.4g", label, fitness);
        if (p) snprintf(buf + n, sizeof buf - n, " (parent %.4g)", m->parent_fitness[0]);
    } else {
        char first[200] = "";
        if (error) {
            snprintf(first, sizeof first, "%s", error);
            char *nl = strchr(first, '\n');
            if (nl) *nl = 0;
        }
        snprintf(buf + n, sizeof buf - n, ": %s %s", evo_status_name(st), first);
    }
    return strdup(buf);
}

/* Offer a PASSED candidate to its island (every island for seeds) and the archive.
 * Returns whether the job's island best rose; marks changed islands in dirty. */
static int place_member(evo_engine *e, const evo_msg *msg, int64_t id, double fitness, char *dirty)
{
    const evo_mutation *m = &msg->job->m;
    evo_member mem;
    memset(&mem, 0, sizeof mem);
    mem.id = id;
    mem.fitness = fitness;
    mem.weight = 1.0;
    snprintf(mem.hash, sizeof mem.hash, "%s", msg->child->hash);
    snprintf(mem.tmpl, sizeof mem.tmpl, "%s", msg->child->tmpl);
    island_cell_key(e->cfg, msg->child, msg->result, mem.cell);
    int improved = 0;
    for (int i = 0; i < e->nislands; i++) {
        if (m->nparents && i != m->island) continue;
        double before = e->islands[i].best_id >= 0 ? e->islands[i].best_fitness : -INFINITY;
        if (island_offer(&e->islands[i], e->cfg, &mem)) dirty[i] = 1;
        if (i == m->island && e->islands[i].best_fitness > before) improved = 1;
    }
    if (archive_offer(&e->archive, &mem)) e->archive_dirty = 1;
    return improved;
}

static void learn(evo_engine *e, const evo_msg *msg, evo_status st, double fitness,
                  const char *label, int island_improved, char *dirty)
{
    const evo_mutation *m = &msg->job->m;
    if (m->op < 0) return;
    int improved = strcmp(label, "improvement") == 0;
    double factor = improved ? e->cfg->weight_boost : e->cfg->weight_decay;
    evo_island *is = &e->islands[m->island];
    for (int i = 0; i < m->nparents; i++) {
        island_reweight(is, e->cfg, m->parent_ids[i], factor);
        if (archive_find(&e->archive, m->parent_ids[i]) >= 0) {
            archive_reweight(&e->archive, e->cfg, m->parent_ids[i], factor);
            e->archive_dirty = 1;
        }
    }
    island_after_child(is, e->cfg, island_improved);
    dirty[m->island] = 1;
    double pf = m->nparents ? m->parent_fitness[0] : 0;
    double reward = 0;
    if (improved) reward = pf > 0 ? fmin(1.0, (fitness - pf) / pf) : 1.0;
    int arm = e->bandit_arm[m->op];
    if (arm >= 0) bandit_update(&e->bandit, e->cfg, arm, reward, improved, st != EVO_STATUS_PASSED);
}

static int commit_candidate(evo_engine *e, evo_msg *msg, evo_txn *t, char *dirty, json_t **line)
{
    const evo_mutation *m = &msg->job->m;
    int64_t id = e->c.evaluations + 1;
    evo_status st = msg->result ? msg->result->status : EVO_STATUS_INVALID;
    double fitness = (st == EVO_STATUS_PASSED) ? msg->result->fitness : 0.0;
    const char *label = msg->label ? msg->label : "regression";

    e->c.evaluations = id;
    if (st == EVO_STATUS_PASSED && (e->c.best_id < 0 || fitness > e->c.best_fitness)) {
        e->c.best_id = id;
        e->c.best_fitness = fitness;
        e->c.since_best = 0;
        engine_set_incumbent(e, msg->child, fitness);
    } else {
        e->c.since_best++;
    }
    if (st != EVO_STATUS_PASSED) e->c.failures[st]++;
    int island_improved = 0;
    if (st == EVO_STATUS_PASSED) island_improved = place_member(e, msg, id, fitness, dirty);
    learn(e, msg, st, fitness, label, island_improved, dirty);

    const char *error = msg->result ? msg->result->error : msg->error;
    char *text = msg->insight ? strdup(msg->insight)
                              : default_insight(e, m, id, msg->child, st, fitness, label, error);
    for (int i = 0; i < e->nislands; i++) {
        if (m->nparents && i != m->island) continue;
        island_remember(&e->islands[i], text);
        dirty[i] = 1;
    }
    json_t *rec = record_build(e, t, msg, id, st, fitness, label, text);
    free(text);
    int rc = rec ? EVO_OK : EVO_ENOMEM;
    if (rc == EVO_OK && msg->child) {
        rc = store_source_put(t, msg->child->source_sha, msg->child->source);
        if (rc == EVO_OK) rc = store_hash_put(t, msg->child->hash, id);
    }
    if (rc == EVO_OK) rc = store_cand_put(t, id, rec);
    *line = rec ? record_log_line(rec, e->c.best_fitness, e->c.best_id) : NULL;
    json_decref(rec);
    return rc;
}

/* Apply one message to the engine state and put its records into t. */
static int apply_message(evo_engine *e, evo_msg *msg, evo_txn *t, char *dirty, json_t **line)
{
    evo_mutation *m = &msg->job->m;
    int rc = EVO_OK;
    /* The calls' reservations end in this transaction, which stores their real usage. */
    if (msg->usage) budget_settle(e, msg->usage);
    if (msg->kind == MSG_DUPLICATE) {
        if (msg->cached) e->c.cached++;
        e->c.dup_streak++;
        int arm = m->op >= 0 ? e->bandit_arm[m->op] : -1;
        if (arm >= 0) bandit_update(&e->bandit, e->cfg, arm, 0.0, 0, 0);
    } else {
        e->c.dup_streak = 0;
        rc = commit_candidate(e, msg, t, dirty, line);
    }
    if (msg->usage) budget_add_usage(e, msg->usage);
    budget_apply(e);
    if (msg->final) {
        e->c.jobs_done++;
        if (m->op == OP_SEED) e->c.seeds_done++;
    }
    int migrate = msg->kind != MSG_DUPLICATE && e->cfg->migration_interval > 0 && e->nislands > 1 &&
                  e->c.evaluations % e->cfg->migration_interval == 0;
    if (migrate && islands_migrate(e->islands, e->nislands, e->cfg) > 0) memset(dirty, 1, 256);
    return rc;
}

/* Evaluations that finished while the last commit ran are committed together: one
 * transaction, one fsync. Each is applied in order exactly as it would be alone, so the
 * resulting state is the same, and a kill before the commit loses only evaluations that
 * were never committed. */
int commit_batch(evo_engine *e, evo_msg **msgs, int n)
{
    char dirty[256] = {0};
    json_t *lines[COMMIT_BATCH_MAX] = {0};
    if (n > COMMIT_BATCH_MAX) n = COMMIT_BATCH_MAX;
    evo_txn *t = NULL;
    int rc = store_begin(e->store, 1, &t);
    if (rc != EVO_OK) {
        evo_engine_set_error(e, "%s", store_errmsg(e->store));
        return rc;
    }
    for (int k = 0; rc == EVO_OK && k < n; k++)
        rc = apply_message(e, msgs[k], t, dirty, &lines[k]);
    e->c.elapsed_s = engine_elapsed(e);
    if (rc == EVO_OK) rc = persist_state(e, t, e->archive_dirty);
    e->archive_dirty = 0;
    for (int i = 0; rc == EVO_OK && i < e->nislands && i < (int)sizeof dirty; i++)
        if (dirty[i]) rc = persist_island(e, t, i);
    if (rc == EVO_OK) {
        rc = store_commit(t);
    } else {
        store_abort(t);
    }
    if (rc != EVO_OK) {
        evo_engine_set_error(e, "commit of candidate %lld failed: %s", (long long)e->c.evaluations,
                             store_errmsg(e->store));
        for (int k = 0; k < n; k++)
            json_decref(lines[k]);
        return rc;
    }
    for (int k = 0; k < n; k++) {
        if (msgs[k]->kind == MSG_EVALUATED) inflight_release(e, msgs[k]->child->hash);
        /* The log follows the store: a line lost to a crash here is rebuilt on resume. */
        if (lines[k] && e->log) fitlog_append(e->log, lines[k]);
        json_decref(lines[k]);
    }
    return EVO_OK;
}
