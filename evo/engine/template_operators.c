/* template_operators.c -- the four template operators as evo_operator tables.
 *
 * A thin layer: it gathers what the mutation context offers (parents, constants, options,
 * a random seed), runs the pure move in param_mutation.c, and emits the child or records why none
 * could be made. Kept apart from param_mutation.c so the moves can be tested without an engine. */
#include <stdlib.h>

#include "operator_context.h"
#include "param_mutation.h"
#include "template_operators.h"

static int seen_in_run(void *user, const char *hash)
{
    return evo_mutation_seen((const evo_mutation *)user, hash);
}

static int run(evo_mutation *m, mutate_kind kind)
{
    char err[1024];
    const evo_genome *a = evo_mutation_parent(m, 0);
    if (!a) {
        evo_mutation_fail(m, "template operator: the mutation has no parent");
        return EVO_EINVAL;
    }
    const evo_genome *b = NULL;
    if (kind == MUTATE_CROSSOVER && evo_mutation_parent_count(m) > 1) b = evo_mutation_parent(m, 1);

    /* Built in, so read from the engine directly: the knobs the schema checked and the
     * constants (read-only while the run goes on). */
    const evo_config *cfg = m->e->cfg;
    mutate_options o = {cfg->multi_max, cfg->resample_prob, cfg->max_tries};
    const evo_constants *k = &m->e->constants;
    /* Two draws seed a private stream: the move's randomness depends only on the plan. */
    uint32_t state = evo_mutation_random(m);
    uint32_t seq = evo_mutation_random(m);
    evo_pcg32 rng;
    pcg32_seed(&rng, state, seq);

    int owned = 0;
    const evo_space *s = mutation_space(m, evo_genome_source(a), &owned, err, sizeof err);
    if (!s) {
        evo_mutation_fail(m, "template '%s': %s", evo_genome_template(a), err);
        return EVO_ESPACE;
    }
    evo_genome *child = NULL;
    int rc = mutate_child_in(s, kind, a, b, k, &o, &rng, seen_in_run, m, &child, err, sizeof err);
    if (owned) space_free((evo_space *)s);
    if (rc != EVO_OK) {
        evo_mutation_fail(m, "%s", err);
        return rc;
    }
    /* The move made a checked genome of the parent's template: it is the child as it is
     * (emitting its parameters as text would parse, check and hash it all again). */
    genome_free(m->child);
    m->child = child;
    return EVO_OK;
}

static int op_point(void *user, evo_mutation *m)
{
    (void)user;
    return run(m, MUTATE_POINT);
}

static int op_multi(void *user, evo_mutation *m)
{
    (void)user;
    return run(m, MUTATE_MULTI);
}

static int op_crossover(void *user, evo_mutation *m)
{
    (void)user;
    return run(m, MUTATE_CROSSOVER);
}

static int op_restart(void *user, evo_mutation *m)
{
    (void)user;
    return run(m, MUTATE_RESTART);
}

int mutate_builtin_operators(evo_operator ops[4])
{
    static const struct {
        const char *name;
        int parents;
        int (*fn)(void *, evo_mutation *);
    } table[4] = {{"point", 1, op_point},
                  {"multi", 1, op_multi},
                  {"crossover", 2, op_crossover},
                  {"restart", 1, op_restart}};
    for (int i = 0; i < 4; i++) {
        ops[i] = (evo_operator){
            .name = table[i].name, .parents = table[i].parents, .mutate = table[i].fn};
    }
    return 4;
}
