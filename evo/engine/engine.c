/* engine.c -- a search in a run directory: opening and resuming runs, and the
 * plan-execute-summarize loop.
 *
 * Plan (planner.c, on the engine thread): pick the island (round robin), the operator
 * (bandit), the parent(s) (selection), inspirations and the island's memory, and give the job
 * its own PCG stream split from the engine's. Execute (pool.c, worker threads): the operator
 * makes the child, the evaluator scores it. Summarize (commit.c, back on the engine thread):
 * label the child, update islands, archive, weights and the bandit, and commit it all at once.
 * With concurrency 1 every random draw happens in a fixed order, so a seeded run is
 * reproducible bit for bit, across kills and resumes too. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "budget.h"
#include "commit.h"
#include "engine_state.h"
#include "operator_context.h"
#include "persist.h"
#include "planner.h"
#include "pool.h"
#include "record.h"
#include "sha256.h"
#include "store_format.h"
#include "template_operators.h"

/* Consecutive duplicate children after which the space is taken as exhausted. */
#define DUP_STREAK_LIMIT 1000

const evo_config *evo_engine_config(const evo_engine *e)
{
    return e->cfg;
}
const char *evo_engine_run_dir(const evo_engine *e)
{
    return e->run_dir;
}

void evo_engine_set_progress(evo_engine *e, evo_progress_fn fn, void *user)
{
    e->progress = fn;
    e->progress_user = user;
}

void evo_engine_interrupt(evo_engine *e, int hard)
{
    if (e) e->interrupt = hard ? 2 : 1;
}

int evo_engine_set_constant(evo_engine *e, const char *name, int64_t value)
{
    return constants_set(&e->constants, name, value) == 0 ? EVO_OK : EVO_ENOMEM;
}

int evo_engine_save_blob(evo_engine *e, const char *key, const void *data, size_t n)
{
    return store_save_blob(e->store, key, data, n);
}

void *evo_engine_load_blob(evo_engine *e, const char *key, size_t *n)
{
    return store_lookup_blob(e->store, key, n);
}

const char *evo_engine_evaluator_facts(evo_engine *e)
{
    const char *f = e && e->have_evaluator && e->ev.facts ? e->ev.facts(e->ev.user) : NULL;
    return f ? f : "{}";
}

int evo_engine_set_evaluator(evo_engine *e, const evo_evaluator *ev)
{
    if (!ev || !ev->evaluate) {
        evo_engine_set_error(e, "evaluator has no evaluate callback");
        return EVO_EINVAL;
    }
    if (e->have_evaluator && e->ev.destroy && e->ev.user != ev->user) e->ev.destroy(e->ev.user);
    e->ev = *ev;
    e->have_evaluator = 1;
    return EVO_OK;
}

int evo_engine_add_operator(evo_engine *e, const evo_operator *op)
{
    if (!op || !op->name || !op->mutate || op->parents < 1 || op->parents > 2) {
        evo_engine_set_error(e, "operator '%s': needs a name, a mutate callback and 1 or 2 parents",
                             op && op->name ? op->name : "?");
        return EVO_EINVAL;
    }
    for (int i = 0; i < e->nops; i++) {
        if (strcmp(e->ops[i].name, op->name) == 0) {
            evo_engine_set_error(e, "operator '%s' is already registered", op->name);
            return EVO_EINVAL;
        }
    }
    if (e->nops == EVO_MAX_OPERATORS) {
        evo_engine_set_error(e, "too many operators (at most %d)", EVO_MAX_OPERATORS);
        return EVO_EINVAL;
    }
    e->ops[e->nops++] = *op;
    return EVO_OK;
}

/* ---- opening and resuming ------------------------------------------------------- */

static evo_engine *engine_alloc(const char *run_dir)
{
    evo_engine *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->run_dir = strdup(run_dir);
    pthread_mutex_init(&e->inflight_mu, NULL);
    pthread_mutex_init(&e->usage_mu, NULL);
    pthread_mutex_init(&e->space_mu, NULL);
    pthread_mutex_init(&e->best_mu, NULL);
    constants_init(&e->constants);
    e->usage.models = json_object();
    e->c.best_id = -1;
    e->task_text = "";
    return e;
}

static int add_builtin_operators(evo_engine *e)
{
    evo_operator ops[4];
    int n = mutate_builtin_operators(ops);
    for (int i = 0; i < n; i++) {
        int rc = evo_engine_add_operator(e, &ops[i]);
        if (rc != EVO_OK) return rc;
    }
    return EVO_OK;
}

static int init_population(evo_engine *e)
{
    e->nislands = e->cfg->islands;
    e->islands = calloc((size_t)e->nislands, sizeof *e->islands);
    if (!e->islands) return EVO_ENOMEM;
    for (int i = 0; i < e->nislands; i++)
        island_init(&e->islands[i], i, e->cfg);
    archive_init(&e->archive, e->cfg->archive_size);
    bandit_init(&e->bandit);
    return EVO_OK;
}

static int open_store(evo_engine *e, int flags)
{
    char err[1024];
    const char *sync = e->cfg ? e->cfg->store_sync : "meta";
    int rc = store_open(&e->store, e->run_dir, flags, sync, err, sizeof err);
    if (rc != EVO_OK) evo_engine_set_error(e, "%s", err);
    return rc;
}

static int write_new_run(evo_engine *e)
{
    evo_txn *t;
    int rc = store_begin(e->store, 1, &t);
    if (rc != EVO_OK) return rc;
    char created[64];
    time_t now = time(NULL);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)e->cfg->seed);
    json_t *run = json_pack("{ss ss ss ss ss}", "name", e->cfg->name, "created", created,
                            "evo_version", EVO_VERSION, "seed", seed, "config_dir", e->cfg->dir);
    json_t *cfg = json_loads(e->cfg->json, 0, NULL);
    json_t *seeds = json_array();
    rc = store_meta_put(t, META_RUN, run);
    if (rc == EVO_OK) rc = store_meta_put(t, META_CONFIG, cfg);
    if (rc == EVO_OK) rc = store_meta_put(t, META_SEEDS, seeds);
    if (rc == EVO_OK) rc = persist_all(e, t);
    json_decref(run);
    json_decref(cfg);
    json_decref(seeds);
    if (rc == EVO_OK) return store_commit(t);
    store_abort(t);
    return rc;
}

static int open_log(evo_engine *e)
{
    char err[512];
    e->log = fitlog_open(e->run_dir, err, sizeof err);
    if (!e->log) {
        evo_engine_set_error(e, "%s", err);
        return EVO_EIO;
    }
    return EVO_OK;
}

static int copy_config(evo_engine *e, const evo_config *cfg)
{
    char err[2048];
    int rc = evo_config_parse(evo_config_json(cfg), evo_config_path(cfg), &e->cfg, err, sizeof err);
    if (rc != EVO_OK) {
        evo_engine_set_error(e, "%s", err);
        return rc;
    }
    free(e->cfg->dir);
    e->cfg->dir = strdup(cfg->dir ? cfg->dir : ".");
    return EVO_OK;
}

static int has_run(evo_engine *e)
{
    evo_txn *t;
    if (store_begin(e->store, 0, &t) != EVO_OK) return 1;
    json_t *run = store_meta_get(t, META_RUN);
    store_abort(t);
    json_decref(run);
    return run != NULL;
}

int evo_engine_open(evo_engine **out, const char *run_dir, const evo_config *cfg)
{
    evo_engine *e = *out = engine_alloc(run_dir);
    if (!e) return EVO_ENOMEM;
    int rc = copy_config(e, cfg);
    if (rc == EVO_OK) rc = open_store(e, STORE_CREATE);
    /* A store whose run was never written (killed during its creation) is taken as new. */
    if (rc == EVO_OK && !store_is_new(e->store) && has_run(e)) {
        evo_engine_set_error(
            e,
            "%s already holds a run: continue it with `evo resume %s` or choose another directory",
            run_dir, run_dir);
        rc = EVO_ESTORE;
    }
    if (rc == EVO_OK) rc = add_builtin_operators(e);
    if (rc == EVO_OK) rc = init_population(e);
    if (rc == EVO_OK) {
        pcg32_seed(&e->rng, e->cfg->seed, 0x9e3779b97f4a7c15ULL);
        rc = write_new_run(e);
        if (rc != EVO_OK) evo_engine_set_error(e, "%s", store_errmsg(e->store));
    }
    if (rc == EVO_OK) {
        fitlog_truncate(run_dir, 0);
        rc = open_log(e);
    }
    return rc;
}

struct rebuild {
    evo_fitlog *log;
    double best;
    int64_t best_id;
};

static int rebuild_line(void *user, int64_t id, json_t *rec)
{
    struct rebuild *r = user;
    double f = json_number_value(json_object_get(rec, "fitness"));
    const char *st = json_string_value(json_object_get(rec, "status"));
    if (st && strcmp(st, "PASSED") == 0 && (r->best_id < 0 || f > r->best)) {
        r->best = f;
        r->best_id = id;
    }
    json_t *l = record_log_line(rec, r->best, r->best_id);
    fitlog_append(r->log, l);
    json_decref(l);
    return 0;
}

static int count_line(void *user, int64_t id, json_t *rec)
{
    (void)user, (void)id, (void)rec;
    return 0;
}

/* The store is the truth: if the log lost lines to a crash (or has extra ones), rewrite it. */
static int reconcile_log(evo_engine *e, evo_txn *t)
{
    int64_t lines = fitlog_count(e->run_dir);
    if (lines == e->c.evaluations) return open_log(e);
    /* Every record must read back before the old log is given up for the rewrite. */
    int rc = store_cand_each(t, 1, count_line, NULL);
    if (rc != EVO_OK) {
        evo_engine_set_error(e, "%s", store_errmsg(e->store));
        return rc;
    }
    fitlog_truncate(e->run_dir, 0);
    rc = open_log(e);
    if (rc != EVO_OK) return rc;
    struct rebuild r = {e->log, 0.0, -1};
    rc = store_cand_each(t, 1, rebuild_line, &r);
    if (rc != EVO_OK) evo_engine_set_error(e, "%s", store_errmsg(e->store));
    return rc;
}

int evo_engine_resume(evo_engine **out, const char *run_dir)
{
    evo_engine *e = *out = engine_alloc(run_dir);
    if (!e) return EVO_ENOMEM;
    int rc = open_store(e, STORE_EXISTING);
    if (rc != EVO_OK) return rc;
    evo_txn *t;
    rc = store_begin(e->store, 0, &t);
    if (rc != EVO_OK) {
        evo_engine_set_error(e, "%s", store_errmsg(e->store));
        return rc;
    }
    json_t *cfg = store_meta_get(t, META_CONFIG);
    json_t *run = store_meta_get(t, META_RUN);
    if (!cfg || !run) {
        evo_engine_set_error(
            e,
            "%s: the run was stopped before its first commit, so nothing can be resumed; "
            "start it again with `evo run CONFIG --run-dir %s`",
            run_dir, run_dir);
        rc = EVO_ENOTFOUND;
    }
    if (rc == EVO_OK) {
        char *text = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
        char name[1100], err[2048];
        snprintf(name, sizeof name, "%s/store.mdb (stored config)", run_dir);
        rc = evo_config_parse(text, name, &e->cfg, err, sizeof err);
        free(text);
        if (rc != EVO_OK) evo_engine_set_error(e, "%s", err);
    }
    if (rc == EVO_OK) {
        const char *dir = json_string_value(json_object_get(run, "config_dir"));
        free(e->cfg->dir);
        e->cfg->dir = strdup(dir ? dir : ".");
        rc = add_builtin_operators(e);
    }
    if (rc == EVO_OK) rc = init_population(e);
    if (rc == EVO_OK) rc = persist_load(e, t);
    if (rc == EVO_OK) rc = reconcile_log(e, t);
    /* A damaged state key reads as absent; it must not resume as if it were. */
    if (store_txn_damage(t)) {
        evo_engine_set_error(e, "%s", store_txn_damage(t));
        rc = EVO_ESTORE;
    }
    json_decref(cfg);
    json_decref(run);
    store_abort(t);
    return rc;
}

void evo_engine_close(evo_engine *e)
{
    if (!e) return;
    pool_stop(e->pool);
    for (int i = 0; i < e->nops; i++)
        if (e->ops[i].destroy) e->ops[i].destroy(e->ops[i].user);
    if (e->have_evaluator && e->ev.destroy) e->ev.destroy(e->ev.user);
    fitlog_close(e->log);
    store_close(e->store);
    for (int i = 0; i < e->nislands; i++)
        island_free(&e->islands[i]);
    free(e->islands);
    archive_free(&e->archive);
    for (int i = 0; i < e->nseeds; i++)
        free(e->seeds[i].source);
    constants_free(&e->constants);
    free(e->constants_json);
    free(e->options_json);
    free(e->inflight);
    json_decref(e->usage.models);
    budget_free(e);
    pthread_mutex_destroy(&e->inflight_mu);
    pthread_mutex_destroy(&e->usage_mu);
    space_cache_free(e);
    persist_free(e);
    pthread_mutex_destroy(&e->space_mu);
    genome_free(e->incumbent);
    pthread_mutex_destroy(&e->best_mu);
    evo_config_free(e->cfg);
    free(e->run_dir);
    free(e);
}

int evo_engine_add_seed(evo_engine *e, const char *template_name, const char *source)
{
    char err[1024];
    evo_space *s = space_parse(source, err, sizeof err);
    if (!s) {
        evo_engine_set_error(e, "seed '%s': evo:params block: %s", template_name, err);
        return EVO_ESPACE;
    }
    space_free(s);
    char *norm = source_normalise(source);
    char sha[65];
    sha256_hex(norm, strlen(norm), sha);
    free(norm);
    for (int i = 0; i < e->nseeds; i++) {
        if (strcmp(e->seeds[i].name, template_name) == 0) return EVO_OK; /* resumed run */
    }
    if (e->nseeds == (int)(sizeof e->seeds / sizeof e->seeds[0])) {
        evo_engine_set_error(e, "too many seeds (at most %d)", e->nseeds);
        return EVO_EINVAL;
    }
    evo_txn *t;
    int rc = store_begin(e->store, 1, &t);
    if (rc != EVO_OK) return rc;
    json_t *seeds = store_meta_get(t, META_SEEDS);
    if (!seeds) seeds = json_array();
    json_array_append_new(seeds,
                          json_pack("{ss ss}", "template", template_name, "source_sha", sha));
    rc = store_source_put(t, sha, source);
    if (rc == EVO_OK) rc = store_meta_put(t, META_SEEDS, seeds);
    json_decref(seeds);
    if (rc == EVO_OK) {
        rc = store_commit(t);
    } else {
        store_abort(t);
    }
    if (rc != EVO_OK) {
        evo_engine_set_error(e, "%s", store_errmsg(e->store));
        return rc;
    }
    evo_seed *sd = &e->seeds[e->nseeds++];
    snprintf(sd->name, sizeof sd->name, "%s", template_name);
    sd->source = strdup(source);
    return EVO_OK;
}

/* ---- the loop --------------------------------------------------------------------- */

/* The stop condition that holds now, or NULL. */
static const char *stop_reason(evo_engine *e, int inflight, char *buf, size_t n)
{
    const evo_config *c = e->cfg;
    if (c->max_evaluations > 0 && e->c.evaluations + inflight >= c->max_evaluations) {
        snprintf(buf, n, "reached max_evaluations (%lld)", (long long)c->max_evaluations);
        return buf;
    }
    if (c->max_wall_seconds > 0 && engine_elapsed(e) >= c->max_wall_seconds) {
        snprintf(buf, n, "reached max_wall_seconds (%g s)", c->max_wall_seconds);
        return buf;
    }
    if (c->target_fitness > 0 && e->c.best_id >= 0 && e->c.best_fitness >= c->target_fitness) {
        snprintf(buf, n, "reached target_fitness (%g >= %g)", e->c.best_fitness, c->target_fitness);
        return buf;
    }
    if (c->stagnation_patience > 0 && e->c.since_best >= c->stagnation_patience) {
        snprintf(buf, n, "no improvement in %lld evaluations (stagnation)",
                 (long long)e->c.since_best);
        return buf;
    }
    if (e->c.dup_streak >= DUP_STREAK_LIMIT) {
        snprintf(buf, n, "search space exhausted: %d children in a row had been evaluated already",
                 DUP_STREAK_LIMIT);
        return buf;
    }
    return NULL;
}

static void report(evo_engine *e, const evo_msg *msg, int done)
{
    if (!e->progress) return;
    evo_progress p;
    memset(&p, 0, sizeof p);
    p.evaluations = e->c.evaluations;
    p.cached = e->c.cached;
    memcpy(p.failures, e->c.failures, sizeof p.failures);
    p.best_fitness = e->c.best_id >= 0 ? e->c.best_fitness : 0;
    p.best_id = e->c.best_id;
    p.elapsed_s = engine_elapsed(e);
    p.budget_s = e->cfg->max_wall_seconds;
    p.max_evaluations = e->cfg->max_evaluations;
    p.llm_cost_usd = e->usage.cost_usd;
    p.llm_tokens = e->usage.tokens_in + e->usage.tokens_out;
    p.last_id = msg && msg->kind != MSG_DUPLICATE ? e->c.evaluations : -1;
    p.last_status = msg && msg->result ? msg->result->status : EVO_STATUS_INVALID;
    p.last_fitness = msg && msg->result ? msg->result->fitness : 0;
    p.done = done;
    e->progress(e->progress_user, &p);
}

static char *constants_to_json(const evo_constants *k)
{
    json_t *o = json_object();
    for (int i = 0; i < k->n; i++)
        json_object_set_new(o, k->names[i], json_integer(k->values[i]));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

static int prepare_run(evo_engine *e)
{
    for (int i = 0; i < e->cfg->nconstants; i++)
        constants_set(&e->constants, e->cfg->constant_names[i], e->cfg->constant_values[i]);
    if (e->ev.start) {
        int rc = e->ev.start(e->ev.user, e, e->cfg->concurrency);
        if (rc != EVO_OK) {
            if (!e->errmsg[0])
                evo_engine_set_error(e, "evaluator '%s' failed to start: %s",
                                     e->ev.name ? e->ev.name : "?", evo_strerror(rc));
            return rc;
        }
    }
    free(e->constants_json);
    e->constants_json = constants_to_json(&e->constants);
    json_t *opts =
        json_pack("{sI sf sI sI}", "multi_max", (json_int_t)e->cfg->multi_max, "resample_prob",
                  e->cfg->resample_prob, "max_tries", (json_int_t)e->cfg->max_tries, "max_repairs",
                  (json_int_t)e->cfg->max_repairs);
    json_t *llm = config_get(e->cfg, "llm");
    if (llm) json_object_set(opts, "llm", llm);
    free(e->options_json);
    e->options_json = json_dumps(opts, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(opts);
    if (e->ev.describe) e->task_text = e->ev.describe(e->ev.user);
    if (!e->task_text) e->task_text = "";
    /* A resumed run's best is the incumbent new children are re-timed against. */
    if (e->c.best_id >= 0 && !e->incumbent) {
        evo_txn *bt;
        evo_genome *g = NULL;
        if (store_begin(e->store, 0, &bt) == EVO_OK) {
            char err[512];
            if (record_load(bt, e->c.best_id, NULL, &g, err, sizeof err) == EVO_OK)
                engine_set_incumbent(e, g, e->c.best_fitness);
            store_abort(bt);
        }
        genome_free(g);
    }

    /* Bandit arms follow the operators; statistics of a resumed run are restored by name. */
    evo_txn *t;
    json_t *saved = NULL;
    if (store_begin(e->store, 0, &t) == EVO_OK) {
        saved = store_meta_get(t, META_BANDIT);
        store_abort(t);
    }
    bandit_init(&e->bandit);
    for (int i = 0; i < e->nops; i++)
        e->bandit_arm[i] =
            bandit_add(&e->bandit, e->ops[i].name, config_operator_weight(e->cfg, e->ops[i].name));
    if (saved) bandit_from_json(&e->bandit, saved);
    json_decref(saved);
    budget_apply(e);

    json_t *k = json_loads(e->constants_json, 0, NULL);
    /* The device and ceilings of this session, for the reports read after the run. */
    json_t *facts = json_loads(evo_engine_evaluator_facts(e), 0, NULL);
    int rc = store_begin(e->store, 1, &t);
    if (rc == EVO_OK) {
        e->c.sessions++;
        rc = store_meta_put(t, META_CONSTANTS, k);
        if (rc == EVO_OK && json_object_size(facts) > 0) rc = store_meta_put(t, META_FACTS, facts);
        if (rc == EVO_OK) rc = persist_all(e, t);
        rc = rc == EVO_OK ? store_commit(t) : (store_abort(t), rc);
    }
    json_decref(k);
    json_decref(facts);
    if (rc != EVO_OK) evo_engine_set_error(e, "%s", store_errmsg(e->store));
    return rc;
}

static int mark_finished(evo_engine *e, const char *reason)
{
    e->c.finished = 1;
    snprintf(e->c.stop_reason, sizeof e->c.stop_reason, "%s", reason);
    e->c.elapsed_s = engine_elapsed(e);
    evo_txn *t;
    int rc = store_begin(e->store, 1, &t);
    if (rc != EVO_OK) return rc;
    rc = persist_counters(e, t);
    return rc == EVO_OK ? store_commit(t) : (store_abort(t), rc);
}

/* Names in the config that nothing in this engine answers to, refused before a new run
 * starts (the config caught near misses of shipped names; these are the rest): an operator
 * weight no operator added takes (the shipped names may stay unused: "llm" has none until it
 * is configured), and a param feature no seed template's evo:params block declares. */
static int check_config_names(evo_engine *e)
{
    const evo_config *cfg = e->cfg;
    const char *have[EVO_MAX_OPERATORS + 8];
    int n = 0;
    for (int i = 0; i < e->nops; i++)
        have[n++] = e->ops[i].name;
    static const char *const shipped[] = {"point", "multi", "crossover", "restart", "llm"};
    for (int i = 0; i < cfg->noperators; i++) {
        const char *name = cfg->operators[i].name;
        int found = 0;
        for (int j = 0; j < n && !found; j++)
            found = !strcmp(have[j], name);
        for (int j = 0; j < 5 && !found; j++)
            found = !strcmp(shipped[j], name);
        if (found) continue;
        const char *near = config_nearest(name, have, n);
        char list[512] = "";
        for (int j = 0, used = 0; j < n && used < (int)sizeof list; j++)
            used += snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", have[j]);
        evo_engine_set_error(
            e, "config key 'operators.%s': no operator called '%s' was added (%s%s%s)", name, name,
            near ? "did you mean '" : "operators: ", near ? near : list, near ? "'?" : "");
        return EVO_ECONFIG;
    }
    for (int f = 0; f < cfg->nfeatures; f++) {
        if (cfg->features[f].kind != FEATURE_PARAM) continue;
        const char *name = cfg->features[f].name;
        const char *params[64];
        int np = 0, found = 0;
        evo_space *sp[32];
        int ns = 0;
        for (int i = 0; i < e->nseeds && !found; i++) {
            evo_space *s = space_parse(e->seeds[i].source, NULL, 0);
            if (!s) continue;
            sp[ns++] = s;
            found = space_find(s, name) >= 0;
            for (int j = 0; j < s->nparams && np < 64; j++) {
                int dup = 0;
                for (int q = 0; q < np && !dup; q++)
                    dup = !strcmp(params[q], s->params[j].name);
                if (!dup) params[np++] = s->params[j].name;
            }
        }
        const char *near = found ? NULL : config_nearest(name, params, np);
        char list[512] = "";
        for (int j = 0, used = 0; !found && j < np && used < (int)sizeof list; j++)
            used += snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", params[j]);
        if (!found)
            evo_engine_set_error(e,
                                 "config key 'islands.features[%d].name': no seed template has a "
                                 "parameter called '%s' (%s%s%s)",
                                 f, name, near ? "did you mean '" : "parameters: ",
                                 near ? near
                                 : np ? list
                                      : "none",
                                 near ? "'?" : "");
        for (int i = 0; i < ns; i++)
            space_free(sp[i]);
        if (!found) return EVO_ECONFIG;
    }
    return EVO_OK;
}

int evo_engine_run(evo_engine *e)
{
    if (!e->have_evaluator) {
        evo_engine_set_error(e, "no evaluator: call evo_engine_set_evaluator first");
        return EVO_EINVAL;
    }
    if (e->c.finished) {
        evo_engine_set_error(e, "run already finished: %s", e->c.stop_reason);
        return EVO_OK;
    }
    if (e->nseeds == 0) {
        evo_engine_set_error(e, "no seed templates: add one with evo_engine_add_seed");
        return EVO_EINVAL;
    }
    e->errmsg[0] = 0;
    /* A resumed run keeps the names it started with. */
    int rc = e->c.sessions == 0 ? check_config_names(e) : EVO_OK;
    if (rc == EVO_OK) rc = prepare_run(e);
    if (rc != EVO_OK) return rc;
    e->session_start = engine_now();
    e->elapsed_base = e->c.elapsed_s;
    e->pool = pool_start(e, e->cfg->concurrency);
    if (!e->pool) {
        evo_engine_set_error(e, "cannot start %d worker threads", e->cfg->concurrency);
        return EVO_ENOMEM;
    }
    e->jobs_planned = e->c.jobs_done - e->c.seeds_done;
    int64_t seeds_planned = e->c.seeds_done;
    int inflight = 0, halted = 0;
    char why[256];
    const char *reason = NULL;
    for (;;) {
        /* A stop condition is looked at again after every message: a job that ends without
         * an evaluation (a duplicate) can leave room under max_evaluations. */
        while (!halted && !e->interrupt && inflight < e->cfg->concurrency) {
            if (stop_reason(e, inflight, why, sizeof why)) break;
            evo_job *job = plan_job(e, &seeds_planned, &rc);
            if (!job) {
                halted = 1;
                break;
            }
            pool_submit(e->pool, job);
            inflight++;
        }
        if (inflight == 0 || e->interrupt == 2) break;
        /* Take every message already waiting, so their commits share one transaction. */
        evo_msg *batch[COMMIT_BATCH_MAX], *ok[COMMIT_BATCH_MAX];
        int nb = 0, nok = 0;
        batch[nb++] = pool_next(e->pool);
        while (nb < COMMIT_BATCH_MAX && (batch[nb] = pool_poll(e->pool)) != NULL)
            nb++;
        for (int k = 0; k < nb; k++) {
            if (batch[k]->kind != MSG_FATAL) {
                ok[nok++] = batch[k];
            } else if (rc == EVO_OK) {
                evo_engine_set_error(e, "evaluator: %s",
                                     batch[k]->error ? batch[k]->error : "failed");
                rc = EVO_ERROR;
                halted = 1;
            }
        }
        if (rc == EVO_OK && nok > 0) {
            rc = commit_batch(e, ok, nok);
            if (rc != EVO_OK) halted = 1;
        }
        for (int k = 0; k < nb; k++) {
            evo_msg *msg = batch[k];
            if (msg->final) {
                inflight--;
                mutation_clear(&msg->job->m);
                free(msg->job);
            }
            if (msg->kind != MSG_FATAL) report(e, msg, 0);
            msg_free(msg);
        }
    }
    pool_stop(e->pool);
    e->pool = NULL;
    if (rc == EVO_OK && e->interrupt) {
        rc = EVO_EINTERRUPT;
        evo_engine_set_error(e, "interrupted");
    }
    if (rc == EVO_OK) {
        reason = stop_reason(e, 0, why, sizeof why);
        if (reason) rc = mark_finished(e, reason);
        if (rc != EVO_OK) evo_engine_set_error(e, "%s", store_errmsg(e->store));
    }
    if (e->ev.stop) e->ev.stop(e->ev.user);
    report(e, NULL, 1);
    return rc;
}
