/* search_quality.c -- how close the search gets to the exhaustive optimum, and how fast.
 *
 *   bench_search_quality sweep CONFIG TEMPLATE RUN_DIR
 *       Evaluate every valid point of one seed template with the evaluator CONFIG names
 *       (the GPU evaluator on the device machine): an "enumerate" operator emits the points
 *       in order, so the run store ends up holding the whole landscape.
 *   bench_search_quality replay SWEEP_DIR [SEEDS]
 *       On the CPU: an evaluator that answers from the sweep's measured fitness table (same
 *       genome hash, same fitness) drives (a) the engine's search and (b) random sampling
 *       without replacement, each with budgets of 5%, 10% and 20% of the sweep's size, over
 *       SEEDS seeds (default 5); prints the median best found as a fraction of the optimum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "evo.h"
#include "genome.h"
#include "gpu_evaluator.h"
#include "space.h"

/* ---- sweep ------------------------------------------------------------------------ */

typedef struct enumerator {
    evo_space *space;
    evo_constants k;
    int64_t next, total;
} enumerator;

static int decode(const enumerator *en, int64_t index, evo_point *p)
{
    for (int i = 0; i < en->space->nparams; i++) {
        int n = en->space->params[i].nvalues;
        p->idx[i] = (int)(index % n);
        index /= n;
    }
    return index == 0;
}

static int enumerate_mutate(void *user, evo_mutation *m)
{
    enumerator *en = user;
    const evo_genome *parent = evo_mutation_parent(m, 0);
    evo_point p = point_new(en->space);
    char err[256];
    int rc = EVO_EDUPLICATE;
    while (en->next < en->total) {
        decode(en, en->next++, &p);
        if (space_check(en->space, &en->k, &p, err, sizeof err) != 1) continue;
        char *params = point_to_json(en->space, &p);
        evo_genome *g =
            genome_new(evo_genome_template(parent), evo_genome_source(parent), en->space, &p);
        int seen = g && evo_mutation_seen(m, g->hash);
        genome_free(g);
        if (!seen)
            rc = evo_mutation_emit(m, evo_genome_template(parent), evo_genome_source(parent),
                                   params);
        free(params);
        if (!seen) break;
    }
    point_free(&p);
    return rc;
}

static int64_t count_valid(enumerator *en)
{
    int64_t valid = 0;
    evo_point p = point_new(en->space);
    char err[256];
    for (int64_t i = 0; i < en->total; i++) {
        decode(en, i, &p);
        if (space_check(en->space, &en->k, &p, err, sizeof err) == 1) valid++;
    }
    point_free(&p);
    return valid;
}

static int sweep(const char *config_path, const char *tmpl, const char *dir)
{
    char err[4096];
    evo_config *cfg;
    if (evo_config_load(config_path, &cfg, err, sizeof err) != EVO_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    /* The GPU evaluator on the device machine; the synthetic one to try the bench anywhere.
     * The enumerator needs the seed's source before the engine opens, so the evaluator is
     * built here rather than by evo_engine_configure; the engine owns it once given it. */
    const char *source = NULL;
    evo_evaluator ev;
    int synthetic = strcmp(config_get_string(cfg, "evaluator.kind", "gpu"), "synthetic") == 0;
    if ((synthetic ? evo_evaluator_synthetic(cfg, &ev, &source, err, sizeof err)
                   : evo_evaluator_gpu(cfg, &ev, err, sizeof err)) != EVO_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (!synthetic) {
        /* evo.h has no accessor for a task's seed sources: the GPU evaluator's task. */
        const evo_task *t = gpu_evaluator_task(ev.user);
        for (int i = 0; i < t->nseeds; i++)
            if (strcmp(t->seed_names[i], tmpl) == 0) source = t->seed_sources[i];
    }
    if (!source) {
        fprintf(stderr, "no seed '%s' in the task\n", tmpl);
        ev.destroy(ev.user);
        return 1;
    }
    enumerator en = {0};
    en.space = space_parse(source, err, sizeof err);
    constants_init(&en.k);
    /* H100/H200 opt-in shared memory per block; the sweep is for those machines. */
    constants_set(&en.k, "SMEM_LIMIT", 232448);
    constants_set(&en.k, "SMEM_OPTIN", 232448);
    en.total = 1;
    for (int i = 0; i < en.space->nparams; i++)
        en.total *= en.space->params[i].nvalues;
    int64_t valid = count_valid(&en);
    printf("sweep: template %s, %lld points, %lld valid\n", tmpl, (long long)en.total,
           (long long)valid);

    /* The engine evaluates the seed (its defaults) first, then every other point. */
    json_t *over =
        json_pack("{s{sI} s{sf sf sf sf}}", "stop", "max_evaluations", (json_int_t)valid,
                  "operators", "point", 0.0, "multi", 0.0, "crossover", 0.0, "restart", 0.0);
    json_t *root = json_deep_copy(cfg->root);
    json_object_update_recursive(root, over);
    json_object_set_new(json_object_get(root, "evaluator"), "seeds", json_pack("[s]", tmpl));
    char *text = json_dumps(root, JSON_COMPACT);
    evo_config *cfg2;
    int rc = evo_config_parse(text, config_path, &cfg2, err, sizeof err);
    if (rc != EVO_OK) {
        fprintf(stderr, "%s\n", err);
        ev.destroy(ev.user);
        return 1;
    }
    free(cfg2->dir);
    cfg2->dir = strdup(cfg->dir);
    /* A sweep cut short by a time limit is continued: the enumerator skips what is stored. */
    evo_engine *e;
    char probe[1100];
    snprintf(probe, sizeof probe, "%s/store.mdb", dir);
    rc = access(probe, F_OK) == 0 ? evo_engine_resume(&e, dir) : evo_engine_open(&e, dir, cfg2);
    evo_operator op = {.name = "enumerate", .parents = 1, .user = &en, .mutate = enumerate_mutate};
    if (rc == EVO_OK) rc = evo_engine_set_evaluator(e, &ev);
    if (rc != EVO_OK) ev.destroy(ev.user); /* the engine did not take it */
    if (rc == EVO_OK) rc = evo_engine_add_operator(e, &op);
    if (rc == EVO_OK) rc = evo_engine_add_seed(e, tmpl, source);
    if (rc == EVO_OK) rc = evo_engine_run(e);
    if (rc != EVO_OK) fprintf(stderr, "sweep: %s\n", evo_errmsg(e));
    evo_engine_close(e);
    free(text);
    json_decref(root);
    json_decref(over);
    evo_config_free(cfg2);
    evo_config_free(cfg);
    return rc == EVO_OK ? 0 : 1;
}

/* ---- replay ----------------------------------------------------------------------- */

typedef struct table {
    int n;
    char (*hash)[65];
    double *fitness;
    int *passed;
    char *source, *tmpl;
    double optimum;
} table;

static int load_table(const char *dir, table *t)
{
    evo_run *r;
    if (evo_run_open(&r, dir) != EVO_OK) {
        fprintf(stderr, "%s\n", evo_run_errmsg(r));
        return -1;
    }
    int64_t n = evo_run_count(r);
    t->hash = calloc((size_t)n, sizeof *t->hash);
    t->fitness = calloc((size_t)n, sizeof *t->fitness);
    t->passed = calloc((size_t)n, sizeof *t->passed);
    for (int64_t id = 1; id <= n; id++) {
        evo_candidate *c;
        if (evo_run_candidate(r, id, &c) != EVO_OK) continue;
        const evo_genome *g = evo_candidate_genome(c);
        snprintf(t->hash[t->n], 65, "%s", evo_genome_hash(g));
        t->fitness[t->n] = evo_candidate_fitness(c);
        t->passed[t->n] = evo_candidate_status(c) == EVO_STATUS_PASSED;
        if (t->passed[t->n] && t->fitness[t->n] > t->optimum) t->optimum = t->fitness[t->n];
        if (!t->source) {
            t->source = strdup(evo_genome_source(g));
            t->tmpl = strdup(evo_genome_template(g));
        }
        t->n++;
        evo_candidate_free(c);
    }
    evo_run_close(r);
    return 0;
}

static int replay_evaluate(void *user, int slot, const evo_genome *g, evo_result *out)
{
    (void)slot;
    const table *t = user;
    for (int i = 0; i < t->n; i++) {
        if (strcmp(t->hash[i], evo_genome_hash(g)) != 0) continue;
        evo_result_set_status(out, t->passed[i] ? EVO_STATUS_PASSED : EVO_STATUS_RUNTIME_ERROR);
        evo_result_set_fitness(out, t->fitness[i]);
        return EVO_OK;
    }
    /* Points the sweep did not hold (invalid there) count as failures. */
    evo_result_set_status(out, EVO_STATUS_COMPILE_ERROR);
    return EVO_OK;
}

static double run_search(table *t, int seed, int64_t budget, int random_only)
{
    char text[1024], err[2048], dir[256];
    snprintf(
        text, sizeof text,
        "{\"seed\": %d, \"evaluator\": {\"kind\": \"custom\"}, \"store\": {\"sync\": \"none\"},"
        " \"constants\": {\"SMEM_LIMIT\": 232448, \"SMEM_OPTIN\": 232448},"
        " \"stop\": {\"max_evaluations\": %lld} %s}",
        seed, (long long)budget,
        random_only
            ? ", \"operators\": {\"point\": 0, \"multi\": 0, \"crossover\": 0, \"restart\": 1}"
            : "");
    snprintf(dir, sizeof dir, "/tmp/evo-sq-%d-%d-%lld-%d", (int)getpid(), seed, (long long)budget,
             random_only);
    evo_config *cfg;
    if (evo_config_parse(text, "replay", &cfg, err, sizeof err) != EVO_OK) {
        fprintf(stderr, "%s\n", err);
        return 0;
    }
    evo_engine *e;
    int rc = evo_engine_open(&e, dir, cfg);
    evo_evaluator ev = {.name = "replay", .user = t, .evaluate = replay_evaluate};
    if (rc == EVO_OK) rc = evo_engine_set_evaluator(e, &ev);
    if (rc == EVO_OK) rc = evo_engine_add_seed(e, t->tmpl, t->source);
    if (rc == EVO_OK) rc = evo_engine_run(e);
    evo_engine_close(e);
    evo_config_free(cfg);
    double best = 0;
    evo_run *r;
    evo_candidate *c;
    if (evo_run_open(&r, dir) == EVO_OK && evo_run_best(r, &c) == EVO_OK) {
        best = evo_candidate_fitness(c);
        evo_candidate_free(c);
    }
    evo_run_close(r);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "cleanup of %s failed\n", dir);
    return best;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int replay(const char *dir, int seeds)
{
    table t = {0};
    if (load_table(dir, &t) != 0 || t.n == 0) return 1;
    printf("sweep %s: %d points, optimum fitness %.4f\n", dir, t.n, t.optimum);
    printf("%-8s %-8s %-22s %-22s\n", "budget", "evals", "search (median best)",
           "random (median best)");
    const int pct[] = {5, 10, 20};
    for (int b = 0; b < 3; b++) {
        int64_t budget = (t.n * pct[b] + 99) / 100;
        double s[32], r[32];
        for (int k = 0; k < seeds && k < 32; k++) {
            s[k] = run_search(&t, 1 + k, budget, 0);
            r[k] = run_search(&t, 1 + k, budget, 1);
        }
        qsort(s, (size_t)seeds, sizeof *s, cmp_double);
        qsort(r, (size_t)seeds, sizeof *r, cmp_double);
        double ms = s[seeds / 2], mr = r[seeds / 2];
        printf("%3d%%     %-8lld %.4f (%5.1f%%)        %.4f (%5.1f%%)\n", pct[b], (long long)budget,
               ms, 100 * ms / t.optimum, mr, 100 * mr / t.optimum);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "sweep") == 0) return sweep(argv[2], argv[3], argv[4]);
    if (argc >= 3 && strcmp(argv[1], "replay") == 0)
        return replay(argv[2], argc > 3 ? atoi(argv[3]) : 5);
    fprintf(stderr, "usage: bench_search_quality sweep CONFIG TEMPLATE RUN_DIR\n"
                    "       bench_search_quality replay SWEEP_DIR [SEEDS]\n");
    return 2;
}
