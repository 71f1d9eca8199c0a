/* commit.c -- the summarize step's bookkeeping: one finished evaluation becomes one store
 * transaction holding the candidate and every piece of engine state it changed (islands,
 * archive, bandit, counters, usage, RNG). Because the state and the candidate commit
 * together, a kill at any instant loses at most the evaluations still in flight, and a
 * resumed run continues exactly where the last commit left it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "record.h"

double engine_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double engine_elapsed(const evo_engine *e)
{
    if (e->session_start <= 0) return e->c.elapsed_s;
    return e->elapsed_base + (engine_now() - e->session_start);
}

json_t *counters_to_json(const evo_counters *c)
{
    json_t *fail = json_object();
    for (int s = EVO_STATUS_PASSED + 1; s < EVO_STATUS_COUNT; s++)
        if (c->failures[s]) json_object_set_new(fail, evo_status_name((evo_status)s), json_integer(c->failures[s]));
    return json_pack("{sI sI sI sI sI sI sI so sI sf sf sb ss}", "evaluations",
                     (json_int_t)c->evaluations, "cached", (json_int_t)c->cached, "jobs_done",
                     (json_int_t)c->jobs_done, "seeds_done", (json_int_t)c->seeds_done,
                     "since_best", (json_int_t)c->since_best, "dup_streak",
                     (json_int_t)c->dup_streak, "sessions", (json_int_t)c->sessions,
                     "failures", fail, "best_id", (json_int_t)c->best_id, "best_fitness",
                     c->best_fitness, "elapsed_s", c->elapsed_s, "finished", c->finished,
                     "stop_reason", c->stop_reason);
}

void counters_from_json(evo_counters *c, const json_t *j)
{
    memset(c, 0, sizeof *c);
    c->best_id = -1;
    if (!j) return;
    c->evaluations = json_integer_value(json_object_get(j, "evaluations"));
    c->cached = json_integer_value(json_object_get(j, "cached"));
    c->jobs_done = json_integer_value(json_object_get(j, "jobs_done"));
    c->seeds_done = json_integer_value(json_object_get(j, "seeds_done"));
    c->since_best = json_integer_value(json_object_get(j, "since_best"));
    c->dup_streak = json_integer_value(json_object_get(j, "dup_streak"));
    c->sessions = json_integer_value(json_object_get(j, "sessions"));
    json_t *best = json_object_get(j, "best_id");
    c->best_id = best ? json_integer_value(best) : -1;
    c->best_fitness = json_number_value(json_object_get(j, "best_fitness"));
    c->elapsed_s = json_number_value(json_object_get(j, "elapsed_s"));
    c->finished = json_is_true(json_object_get(j, "finished"));
    snprintf(c->stop_reason, sizeof c->stop_reason, "%s",
             json_string_value(json_object_get(j, "stop_reason")) ? json_string_value(json_object_get(j, "stop_reason")) : "");
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(j, "failures"), name, v) {
        int s = evo_status_from_name(name);
        if (s > 0) c->failures[s] = json_integer_value(v);
    }
}

static json_t *usage_to_json(const evo_usage *u)
{
    return json_pack("{sO sI sI sI sf}", "models", u->models, "tokens_in", (json_int_t)u->tokens_in,
                     "tokens_out", (json_int_t)u->tokens_out, "calls", (json_int_t)u->calls,
                     "cost_usd", u->cost_usd);
}

static json_t *rng_to_json(const evo_pcg32 *r)
{
    char s[32], i[32];
    snprintf(s, sizeof s, "%llu", (unsigned long long)r->state);
    snprintf(i, sizeof i, "%llu", (unsigned long long)r->inc);
    return json_pack("{ss ss}", "state", s, "inc", i);
}

/* Islands and the archive are written after most commits, yet only a member or two changes
 * each time: the JSON text of each member is kept in a direct-mapped cache and reused while
 * the member is unchanged, so a commit encodes what changed and copies the rest. The text
 * is exactly what member_to_json gives, so island_from_json reads it back. */
#define MEMBER_CACHE 8192

struct member_text {
    evo_member m;
    char *text;
};

/* owner: the island index, or -1 for the archive (one id may sit in several with other
 * weights, so each owner has its own slot). */
static const char *member_text(evo_engine *e, const evo_member *m, int owner)
{
    if (!e->member_cache) e->member_cache = calloc(MEMBER_CACHE, sizeof *e->member_cache);
    if (!e->member_cache) return NULL;
    uint64_t slot = ((uint64_t)m->id * 67 + (uint64_t)(owner + 1)) % MEMBER_CACHE;
    struct member_text *c = &e->member_cache[slot];
    if (c->text && memcmp(&c->m, m, sizeof *m) == 0) return c->text;
    json_t *j = member_to_json(m);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!text) return NULL;
    free(c->text);
    c->m = *m;
    c->text = text;
    return text;
}

void member_cache_free(evo_engine *e)
{
    for (int i = 0; e->member_cache && i < MEMBER_CACHE; i++) free(e->member_cache[i].text);
    free(e->member_cache);
    e->member_cache = NULL;
}

/* '{"members":[m1,m2,...],' followed by the rest of `head` (an encoded object). */
static char *with_members(evo_engine *e, const evo_member *ms, int n, int owner, const char *head)
{
    size_t cap = strlen(head) + 32, len = 0;
    const char **texts = calloc((size_t)n + 1, sizeof *texts);
    if (!texts) return NULL;
    for (int i = 0; i < n; i++) {
        texts[i] = member_text(e, &ms[i], owner);
        if (!texts[i]) {
            free(texts);
            return NULL;
        }
        cap += strlen(texts[i]) + 1;
    }
    char *out = malloc(cap);
    if (out) {
        len += (size_t)sprintf(out, "{\"members\":[");
        for (int i = 0; i < n; i++) {
            if (i) out[len++] = ',';
            size_t l = strlen(texts[i]);
            memcpy(out + len, texts[i], l);
            len += l;
        }
        out[len++] = ']';
        if (strcmp(head, "{}") != 0) out[len++] = ',';
        strcpy(out + len, head + 1);
    }
    free(texts);
    return out;
}

static int put_text(evo_txn *t, const char *key, char *text)
{
    int rc = text ? store_meta_put_text(t, key, text) : EVO_ENOMEM;
    free(text);
    return rc;
}

static int put_island(evo_engine *e, evo_txn *t, int i)
{
    const evo_island *is = &e->islands[i];
    json_t *memory = json_array();
    for (int k = 0; k < is->nmemory; k++) json_array_append_new(memory, json_string(is->memory[k]));
    json_t *head = json_pack("{si sI sf sf sI sI so}", "index", is->index, "best_id", (json_int_t)is->best_id,
                             "best_fitness", is->best_fitness, "explore_rate", is->explore_rate, "evaluations",
                             (json_int_t)is->evaluations, "since_improvement", (json_int_t)is->since_improvement,
                             "memory", memory);
    char *head_text = head ? json_dumps(head, JSON_COMPACT) : NULL;
    json_decref(head);
    char key[64];
    snprintf(key, sizeof key, "%s%d", META_ISLAND_PREFIX, i);
    int rc = head_text ? put_text(t, key, with_members(e, is->members, is->n, i, head_text)) : EVO_ENOMEM;
    free(head_text);
    return rc;
}

static int put_archive(evo_engine *e, evo_txn *t)
{
    char head[64];
    snprintf(head, sizeof head, "{\"cap\":%d}", e->archive.cap);
    return put_text(t, META_ARCHIVE, with_members(e, e->archive.members, e->archive.n, -1, head));
}

static int put_meta(evo_txn *t, const char *key, json_t *j)
{
    int rc = j ? store_meta_put(t, key, j) : EVO_ENOMEM;
    json_decref(j);
    return rc;
}

/* Everything but the islands, and the archive unless it changed: the two largest values
 * are written only when they change. */
static int save_state(evo_engine *e, evo_txn *t, int archive_changed)
{
    int rc = put_meta(t, META_COUNTERS, counters_to_json(&e->c));
    if (rc == EVO_OK) rc = put_meta(t, META_RNG, rng_to_json(&e->rng));
    if (rc == EVO_OK && archive_changed) rc = put_archive(e, t);
    if (rc == EVO_OK) rc = put_meta(t, META_BANDIT, bandit_to_json(&e->bandit));
    if (rc == EVO_OK) rc = put_meta(t, META_USAGE, usage_to_json(&e->usage));
    return rc;
}

int engine_save_all(evo_engine *e, evo_txn *t)
{
    int rc = save_state(e, t, 1);
    if (rc == EVO_OK) rc = put_meta(t, META_ISLANDS, json_pack("{si}", "count", e->nislands));
    for (int i = 0; rc == EVO_OK && i < e->nislands; i++) rc = put_island(e, t, i);
    return rc;
}

static void add_usage(evo_engine *e, json_t *usage)
{
    const char *model;
    json_t *u;
    pthread_mutex_lock(&e->inflight_mu);
    json_object_foreach(usage, model, u) {
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
        json_object_set_new(t, "tokens_in", json_integer(json_integer_value(json_object_get(t, "tokens_in")) + tin));
        json_object_set_new(t, "tokens_out", json_integer(json_integer_value(json_object_get(t, "tokens_out")) + tout));
        json_object_set_new(t, "calls", json_integer(json_integer_value(json_object_get(t, "calls")) + calls));
        json_object_set_new(t, "cost_usd", json_real(json_number_value(json_object_get(t, "cost_usd")) + cost));
        e->usage.tokens_in += tin;
        e->usage.tokens_out += tout;
        e->usage.calls += calls;
        e->usage.cost_usd += cost;
    }
    pthread_mutex_unlock(&e->inflight_mu);
}

static const char *op_name(const evo_engine *e, int op)
{
    return op >= 0 ? e->ops[op].name : "seed";
}

/* "#12 point on #7 (island 1): BM 128->64: improvement, 1.02 -> 1.10" */
static char *default_insight(const evo_engine *e, const evo_mutation *m, int64_t id,
                             const evo_genome *child, evo_status st, double fitness,
                             const char *label, const char *error)
{
    char buf[1024];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "#%lld %s", (long long)id, op_name(e, m->op));
    if (m->nparents) n += (size_t)snprintf(buf + n, sizeof buf - n, " on #%lld", (long long)m->parent_ids[0]);
    n += (size_t)snprintf(buf + n, sizeof buf - n, " (island %d):", m->island);
    const evo_genome *p = m->nparents ? m->parents[0] : NULL;
    int changed = 0;
    if (p && child && strcmp(p->source_sha, child->source_sha) != 0) {
        n += (size_t)snprintf(buf + n, sizeof buf - n, " new source %s;", child->tmpl);
        changed++;
    }
    for (int i = 0; child && p && i < child->nparams && n < sizeof buf - 64; i++) {
        for (int k = 0; k < p->nparams; k++) {
            if (strcmp(p->names[k], child->names[i]) == 0 && strcmp(p->values[k], child->values[i]) != 0) {
                n += (size_t)snprintf(buf + n, sizeof buf - n, " %s %s->%s", child->names[i], p->values[k],
                                      child->values[i]);
                changed++;
            }
        }
    }
    if (!changed && child && !p) n += (size_t)snprintf(buf + n, sizeof buf - n, " %s at defaults", child->tmpl);
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

static json_t *parents_json(const evo_mutation *m)
{
    json_t *a = json_array();
    /* Before anything has passed, children grow from a seed's defaults: no committed parent. */
    for (int i = 0; i < m->nparents; i++)
        if (m->parent_ids[i] > 0) json_array_append_new(a, json_integer(m->parent_ids[i]));
    return a;
}

static json_t *params_json(const evo_genome *g)
{
    json_t *o = json_object();
    for (int i = 0; g && i < g->nparams; i++) json_object_set_new(o, g->names[i], json_string(g->values[i]));
    return o;
}

static json_t *build_record(evo_engine *e, evo_txn *t, const evo_msg *msg, int64_t id,
                            evo_status st, double fitness, const char *label)
{
    const evo_mutation *m = &msg->job->m;
    const evo_genome *g = msg->child;
    const evo_genome *p = m->nparents ? m->parents[0] : NULL;
    json_t *res = msg->result ? result_to_json(msg->result) : NULL;
    int64_t repair_of = msg->repair_of ? store_hash_get(t, msg->repair_of) : 0;
    json_t *rec = json_object();
    json_object_set_new(rec, "id", json_integer(id));
    json_object_set_new(rec, "hash", json_string(g ? g->hash : ""));
    json_object_set_new(rec, "template", json_string(g ? g->tmpl : p ? p->tmpl : ""));
    json_object_set_new(rec, "source_sha", json_string(g ? g->source_sha : p ? p->source_sha : ""));
    json_object_set_new(rec, "params", params_json(g));
    json_object_set_new(rec, "parents", parents_json(m));
    json_object_set_new(rec, "repair_of", repair_of > 0 ? json_integer(repair_of) : json_null());
    json_object_set_new(rec, "island", json_integer(m->island));
    json_object_set_new(rec, "operator", json_string(op_name(e, m->op)));
    json_object_set_new(rec, "status", json_string(evo_status_name(st)));
    json_object_set_new(rec, "fitness", json_real(fitness));
    json_object_set_new(rec, "label", json_string(label));
    const char *err = msg->result ? msg->result->error : msg->error;
    json_object_set_new(rec, "error", err ? json_string(err) : json_null());
    json_object_set_new(rec, "metrics", res ? json_incref(json_object_get(res, "metrics")) : json_object());
    json_object_set_new(rec, "workloads", res ? json_incref(json_object_get(res, "workloads")) : json_object());
    json_object_set_new(rec, "artifacts", res ? json_incref(json_object_get(res, "artifacts")) : json_object());
    json_object_set_new(rec, "notes", msg->notes ? json_incref(msg->notes) : json_object());
    json_object_set_new(rec, "usage", msg->usage ? json_incref(msg->usage) : json_object());
    json_object_set_new(rec, "t", json_real(engine_elapsed(e)));
    json_object_set_new(rec, "eval_ms", json_real(msg->eval_ms));
    json_object_set_new(rec, "session", json_integer(e->c.sessions));
    json_decref(res);
    return rec;
}

static json_t *log_line(const evo_engine *e, const json_t *rec)
{
    json_t *l = json_object();
    json_object_set(l, "index", json_object_get(rec, "id"));
    json_object_set(l, "t", json_object_get(rec, "t"));
    json_object_set(l, "island", json_object_get(rec, "island"));
    json_object_set(l, "id", json_object_get(rec, "id"));
    json_object_set(l, "parents", json_object_get(rec, "parents"));
    json_object_set(l, "operator", json_object_get(rec, "operator"));
    json_object_set(l, "template", json_object_get(rec, "template"));
    json_object_set(l, "status", json_object_get(rec, "status"));
    json_object_set(l, "fitness", json_object_get(rec, "fitness"));
    json_object_set_new(l, "best", json_real(e->c.best_id > 0 ? e->c.best_fitness : 0.0));
    json_object_set_new(l, "best_id", json_integer(e->c.best_id));
    json_object_set(l, "label", json_object_get(rec, "label"));
    json_object_set(l, "workloads", json_object_get(rec, "workloads"));
    return l;
}

/* Offer a PASSED candidate to its island (every island for seeds) and the archive.
 * Returns whether the job's island best rose; marks changed islands in dirty. */
static int place_member(evo_engine *e, const evo_msg *msg, int64_t id, double fitness,
                        char *dirty)
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
    json_t *ins = json_pack("{sI si ss ss ss}", "id", (json_int_t)id, "island", m->island,
                            "operator", op_name(e, m->op), "label", label, "text", text);
    json_t *rec = build_record(e, t, msg, id, st, fitness, label);
    json_object_set_new(rec, "insight", json_string(text));
    free(text);
    int rc = store_insight_put(t, id, ins);
    json_decref(ins);
    if (rc == EVO_OK && msg->child) {
        rc = store_source_put(t, msg->child->source_sha, msg->child->source);
        if (rc == EVO_OK) rc = store_hash_put(t, msg->child->hash, id);
    }
    if (rc == EVO_OK) rc = store_cand_put(t, id, rec);
    *line = log_line(e, rec);
    json_decref(rec);
    return rc;
}

/* Apply one message to the engine state and put its records into t. */
static int apply_message(evo_engine *e, evo_msg *msg, evo_txn *t, char *dirty, json_t **line)
{
    evo_mutation *m = &msg->job->m;
    int rc = EVO_OK;
    if (msg->kind == MSG_DUPLICATE) {
        if (msg->cached) e->c.cached++;
        e->c.dup_streak++;
        int arm = m->op >= 0 ? e->bandit_arm[m->op] : -1;
        if (arm >= 0) bandit_update(&e->bandit, e->cfg, arm, 0.0, 0, 0);
    } else {
        e->c.dup_streak = 0;
        rc = commit_candidate(e, msg, t, dirty, line);
    }
    if (msg->usage) add_usage(e, msg->usage);
    engine_check_budget(e);
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
    for (int k = 0; rc == EVO_OK && k < n; k++) rc = apply_message(e, msgs[k], t, dirty, &lines[k]);
    e->c.elapsed_s = engine_elapsed(e);
    if (rc == EVO_OK) rc = save_state(e, t, e->archive_dirty);
    e->archive_dirty = 0;
    for (int i = 0; rc == EVO_OK && i < e->nislands && i < (int)sizeof dirty; i++)
        if (dirty[i]) rc = put_island(e, t, i);
    if (rc == EVO_OK) {
        rc = store_commit(t);
    } else {
        store_abort(t);
    }
    if (rc != EVO_OK) {
        evo_engine_set_error(e, "commit of candidate %lld failed: %s", (long long)e->c.evaluations,
                             store_errmsg(e->store));
        for (int k = 0; k < n; k++) json_decref(lines[k]);
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

int commit_message(evo_engine *e, evo_msg *msg) { return commit_batch(e, &msg, 1); }
