/* planner.c -- the plan step, on the engine thread: the next job's island (round robin),
 * operator (bandit), parent(s) (selection), inspirations and the island's memory, and a PCG
 * stream of its own split from the engine's. Seeds are planned first, at their defaults.
 * With concurrency 1 every draw happens in a fixed order, so a seeded run is reproducible. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator_context.h"
#include "planner.h"
#include "record.h"
#include "select.h"

/* A parent's or inspiration's genome, and its record as the model reads it when json. */
static int load_parent(evo_txn *t, int64_t id, evo_genome **g, char **json, char *err, size_t n)
{
    json_t *rec = NULL;
    int rc = record_load(t, id, json ? &rec : NULL, g, err, n);
    if (rc == EVO_OK && json && !(*json = record_prompt_text(rec))) rc = EVO_ENOMEM;
    json_decref(rec);
    return rc;
}

static evo_genome *seed_genome(const evo_seed *sd)
{
    char err[512];
    evo_space *s = space_parse(sd->source, err, sizeof err);
    if (!s) return NULL;
    evo_point p = point_new(s);
    evo_genome *g = genome_new(sd->name, sd->source, s, &p);
    point_free(&p);
    space_free(s);
    return g;
}

static int pick_operator(evo_engine *e)
{
    int arm = bandit_choose(&e->bandit, e->cfg, &e->rng);
    for (int i = 0; arm >= 0 && i < e->nops; i++)
        if (e->bandit_arm[i] == arm) return i;
    return -1;
}

static int find_operator(const evo_engine *e, const char *name)
{
    for (int i = 0; i < e->nops; i++)
        if (strcmp(e->ops[i].name, name) == 0) return i;
    return -1;
}

/* Fill a job for a parent-based mutation; returns EVO_OK or an error with errmsg set. */
static int plan_mutation(evo_engine *e, evo_job *job)
{
    evo_mutation *m = &job->m;
    m->island = (int)(e->jobs_planned % e->nislands);
    m->op = pick_operator(e);
    if (m->op < 0) {
        evo_engine_set_error(e, "every operator has weight 0: nothing can make a child");
        return EVO_ECONFIG;
    }
    evo_island *is = &e->islands[m->island];
    evo_member p1, p2;
    if (select_parent(is, &e->archive, e->cfg, &e->rng, &p1) != 0) {
        /* Nothing has passed yet: mutate from a seed's defaults. */
        const evo_seed *sd = &e->seeds[pcg32_bounded(&e->rng, (uint32_t)e->nseeds)];
        m->parents[0] = seed_genome(sd);
        m->parent_ids[0] = 0;
        m->nparents = 1;
        if (e->ops[m->op].parents == 2)
            m->op = find_operator(e, "point") >= 0 ? find_operator(e, "point") : m->op;
        return m->parents[0] ? EVO_OK : EVO_ESPACE;
    }
    int two = e->ops[m->op].parents == 2;
    if (two && select_mate(is, &e->archive, e->cfg, &e->rng, &p1, &p2) != 0) {
        int point = find_operator(e, "point");
        if (point >= 0) m->op = point;
        two = 0;
    }
    /* Template operators need only the parents' genomes; model operators read the rest. */
    int context = e->ops[m->op].summarize != NULL;
    evo_txn *t;
    int rc = store_begin(e->store, 0, &t);
    if (rc != EVO_OK) return rc;
    char err[512] = "";
    rc =
        load_parent(t, p1.id, &m->parents[0], context ? &m->parent_json[0] : NULL, err, sizeof err);
    m->parent_ids[0] = p1.id;
    m->parent_fitness[0] = p1.fitness;
    m->nparents = 1;
    if (rc == EVO_OK && two) {
        rc = load_parent(t, p2.id, &m->parents[1], context ? &m->parent_json[1] : NULL, err,
                         sizeof err);
        m->parent_ids[1] = p2.id;
        m->parent_fitness[1] = p2.fitness;
        m->nparents = 2;
    }
    evo_member insp[EVO_MAX_INSPIRATIONS];
    int max =
        e->cfg->inspirations < EVO_MAX_INSPIRATIONS ? e->cfg->inspirations : EVO_MAX_INSPIRATIONS;
    /* Drawn for every operator so the random stream does not depend on which one runs. */
    int n = select_inspirations(is, &e->archive, &e->rng, p1.id, max, insp);
    for (int i = 0; context && rc == EVO_OK && i < n; i++) {
        evo_genome *g = NULL;
        char ierr[512];
        if (load_parent(t, insp[i].id, &g, &m->insp_json[m->ninsp], ierr, sizeof ierr) == EVO_OK)
            m->ninsp++;
        genome_free(g);
    }
    store_abort(t);
    if (context) m->memory = island_memory_text(is);
    if (rc != EVO_OK)
        evo_engine_set_error(e, "plan: cannot load parent #%lld from the store: %s",
                             (long long)p1.id, err);
    return rc;
}

evo_job *plan_job(evo_engine *e, int64_t *seeds_planned, int *rc)
{
    evo_job *job = calloc(1, sizeof *job);
    if (!job) {
        *rc = EVO_ENOMEM;
        return NULL;
    }
    mutation_init(&job->m, e);
    job->m.rng = pcg32_split(&e->rng);
    *rc = EVO_OK;
    if (*seeds_planned < e->nseeds) {
        const evo_seed *sd = &e->seeds[(*seeds_planned)++];
        job->m.op = OP_SEED;
        job->m.child = seed_genome(sd);
        if (!job->m.child) {
            evo_engine_set_error(e, "seed '%s' cannot be instantiated at its defaults", sd->name);
            *rc = EVO_ESPACE;
        }
    } else {
        *rc = plan_mutation(e, job);
        e->jobs_planned++;
    }
    if (*rc != EVO_OK) {
        mutation_clear(&job->m);
        free(job);
        return NULL;
    }
    return job;
}
