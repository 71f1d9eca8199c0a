/* fuzz_params.c -- the evo:params language (evo/search/space.c): parse any source's block,
 * then use the space as the search does: the default point, constraint checks against a few
 * constants, random valid points, the JSON form of a point and back, and a genome rendered
 * from it and read back. Checks the round trips give the point they started from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "genome.h"
#include "space.h"

static int same_point(const evo_space *s, const evo_point *a, const evo_point *b)
{
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n && i < s->nparams; i++)
        if (a->idx[i] != b->idx[i]) return 0;
    return 1;
}

static void use_point(const char *source, const evo_space *s, const evo_point *p)
{
    char err[512];
    char *json = point_to_json(s, p);
    if (!json) fuzz_fail("point_to_json failed");
    evo_point q = point_new(s);
    if (point_from_json(s, json, &q, err, sizeof err))
        fuzz_fail("point_from_json(%s): %s", json, err);
    if (!same_point(s, p, &q)) fuzz_fail("a point does not survive its JSON form %s", json);
    point_free(&q);
    free(json);

    evo_genome *g = genome_new("fuzz", source, s, p);
    if (!g) fuzz_fail("genome_new failed");
    evo_point r = {0, NULL};
    if (genome_point(g, s, &r)) fuzz_fail("genome_point refuses the genome's own values");
    if (!same_point(s, p, &r)) fuzz_fail("a point does not survive its genome");
    point_free(&r);
    free(genome_render(g));
    free(genome_params_json(g));
    genome_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *source = fuzz_text(data, size);
    char err[512];
    err[0] = '\0';
    evo_space *s = space_parse(source, err, sizeof err);
    fuzz_note("params: %s", s ? "accepted" : err);
    if (!s) {
        if (!err[0]) fuzz_fail("space_parse failed without a message");
        free(source);
        return 0;
    }
    evo_constants k;
    constants_init(&k);
    constants_set(&k, "SMEM_LIMIT", 232448);
    constants_set(&k, "SM_COUNT", 132);
    constants_set(&k, "WARP_SIZE", 32);
    constants_set(&k, "ZERO", 0);

    evo_point p = point_new(s);
    if (s->nparams && !p.idx) fuzz_fail("point_new failed");
    int *fails = calloc((size_t)s->nconstraints + 1, sizeof *fails);
    if (!fails) fuzz_fail("out of memory");
    int ok = space_check_count(s, &k, &p, fails, err, sizeof err);
    if (ok < 0 && !err[0]) fuzz_fail("space_check failed without a message");
    if (ok == 1) use_point(source, s, &p);
    for (int i = 0; i < s->nparams; i++) {
        const evo_param *q = &s->params[i];
        if (q->nvalues < 1 || q->def < 0 || q->def >= q->nvalues)
            fuzz_fail("parameter %s: default %d of %d values", q->name, q->def, q->nvalues);
        if (param_value_index(q, q->values[q->def]) < 0)
            fuzz_fail("parameter %s: its default '%s' is not in its domain", q->name,
                      q->values[q->def]);
    }

    evo_pcg32 rng;
    pcg32_seed(&rng, size, 54);
    for (int round = 0; round < 2; round++) {
        if (space_sample(s, &k, &rng, 8, &p, err, sizeof err) == 0) {
            if (space_check(s, &k, &p, err, sizeof err) != 1)
                fuzz_fail("space_sample gave a point its constraints refuse");
            use_point(source, s, &p);
        } else {
            space_explain_failures(s, fails, 8, "point", err, sizeof err);
        }
    }
    free(fails);
    point_free(&p);
    constants_free(&k);
    space_free(s);
    free(source);
    return 0;
}
