/* select.c -- choosing parents, mates and inspirations from an island and the archive
 * (see select.h). Every random choice draws from the rng passed in, and the number of
 * draws depends only on the inputs, so a run replays exactly from its stored streams.
 *
 * Island members are sorted best first (island.c), so the elite pool is a prefix. */
#include "select.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Boltzmann weight of each pool member: exp((f - fmax) / (T * scale)) * weight, where scale
 * is the pool's fitness range, so the temperature means the same on any fitness scale.
 * T <= 0 keeps only the best fitness. */
static double boltzmann_weight(double f, double fmax, double t, double scale, double weight)
{
    if (!(weight > 0)) return 0;
    if (!(t > 0)) return f >= fmax ? weight : 0;
    return exp((f - fmax) / (t * scale)) * weight;
}

/* Index into pool[0..n) drawn by Boltzmann weight (uniform if every weight is zero). */
static int boltzmann_pick(const evo_member *const *pool, int n, double temperature, evo_pcg32 *rng)
{
    double fmax = pool[0]->fitness, fmin = pool[0]->fitness;
    for (int i = 1; i < n; i++) {
        if (pool[i]->fitness > fmax) fmax = pool[i]->fitness;
        if (pool[i]->fitness < fmin) fmin = pool[i]->fitness;
    }
    double scale = fmax - fmin;
    if (!(scale > 0) || !isfinite(scale)) scale = 1;
    double *p = malloc((size_t)n * sizeof *p);
    double sum = 0;
    for (int i = 0; p && i < n; i++) {
        p[i] = boltzmann_weight(pool[i]->fitness, fmax, temperature, scale, pool[i]->weight);
        sum += p[i];
    }
    double u = pcg32_uniform(rng);
    if (!p || !(sum > 0)) {
        free(p);
        int i = (int)(u * n);
        return i < n ? i : n - 1;
    }
    double r = u * sum, acc = 0;
    int last = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] <= 0) continue;
        acc += p[i];
        last = i;
        if (r < acc) break;
    }
    free(p);
    return last;
}

/* Pointers to members[0..n), the form boltzmann_pick takes. */
static const evo_member **pointers(const evo_member *members, int n)
{
    const evo_member **pool = malloc((size_t)(n > 0 ? n : 1) * sizeof *pool);
    for (int i = 0; pool && i < n; i++)
        pool[i] = &members[i];
    return pool;
}

static int pick_from(const evo_member *members, int n, double temperature, evo_pcg32 *rng,
                     evo_member *out)
{
    const evo_member **pool = pointers(members, n);
    if (!pool) return -1;
    *out = *pool[boltzmann_pick(pool, n, temperature, rng)];
    free(pool);
    return 0;
}

static int elite_count(const evo_island *is, const evo_config *cfg)
{
    double want = ceil(cfg->elite_ratio * is->n - 1e-9);
    if (want < 1) return 1;
    return want > is->n ? is->n : (int)want;
}

int select_parent(const evo_island *is, const evo_archive *a, const evo_config *cfg, evo_pcg32 *rng,
                  evo_member *out)
{
    if (is->n == 0) {
        if (a->n == 0) return -1;
        return pick_from(a->members, a->n, cfg->temperature, rng, out);
    }
    if (pcg32_uniform(rng) < is->explore_rate) {
        *out = is->members[pcg32_bounded(rng, (uint32_t)is->n)];
        return 0;
    }
    if (pcg32_uniform(rng) < cfg->global_mix && a->n > 0)
        return pick_from(a->members, a->n, cfg->temperature, rng, out);
    return pick_from(is->members, elite_count(is, cfg), cfg->temperature, rng, out);
}

static int is_mate(const evo_member *m, const evo_member *first)
{
    return m->id != first->id && strcmp(m->hash, first->hash) != 0 &&
           strcmp(m->tmpl, first->tmpl) == 0;
}

/* Mates of first among members[0..n) into pool; returns how many. */
static int mates(const evo_member *members, int n, const evo_member *first, const evo_member **pool)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (is_mate(&members[i], first)) pool[k++] = &members[i];
    return k;
}

int select_mate(const evo_island *is, const evo_archive *a, const evo_config *cfg, evo_pcg32 *rng,
                const evo_member *first, evo_member *out)
{
    int size = is->n > a->n ? is->n : a->n;
    const evo_member **pool = malloc((size_t)(size > 0 ? size : 1) * sizeof *pool);
    if (!pool) return -1;
    int k = mates(is->members, is->n, first, pool);
    if (k == 0) k = mates(a->members, a->n, first, pool);
    int rc = -1;
    if (k > 0) {
        *out = *pool[boltzmann_pick(pool, k, cfg->temperature, rng)];
        rc = 0;
    }
    free(pool);
    return rc;
}

/* ---- inspirations ---- */

typedef struct picks {
    evo_member *out;
    int n, max;
    int64_t exclude;
} picks;

static int taken(const picks *p, const evo_member *m)
{
    if (m->id == p->exclude) return 1;
    for (int i = 0; i < p->n; i++)
        if (p->out[i].id == m->id) return 1;
    return 0;
}

static void add(picks *p, const evo_member *m)
{
    if (p->n < p->max && !taken(p, m)) p->out[p->n++] = *m;
}

/* One uniform pick among the island members not taken yet, else among the archive's. */
static void add_uniform(picks *p, const evo_member *members, int n, evo_pcg32 *rng)
{
    int free_count = 0;
    for (int i = 0; i < n; i++)
        free_count += !taken(p, &members[i]);
    if (free_count == 0) return;
    int k = (int)pcg32_bounded(rng, (uint32_t)free_count);
    for (int i = 0; i < n; i++) {
        if (taken(p, &members[i])) continue;
        if (k-- == 0) {
            add(p, &members[i]);
            return;
        }
    }
}

int select_inspirations(const evo_island *is, const evo_archive *a, evo_pcg32 *rng, int64_t exclude,
                        int max, evo_member *out)
{
    picks p = {out, 0, max, exclude};
    if (max <= 0) return 0;
    if (is->n > 0) add(&p, &is->members[0]);
    /* Global elites, leaving the last place for the diversity pick. */
    for (int i = 0; i < a->n && p.n < max - 1; i++)
        add(&p, &a->members[i]);
    if (p.n < max) {
        int before = p.n;
        add_uniform(&p, is->members, is->n, rng);
        if (p.n == before) add_uniform(&p, a->members, a->n, rng);
    }
    /* Fewer elites than places: fill with the island's best. */
    for (int i = 0; i < is->n && p.n < max; i++)
        add(&p, &is->members[i]);
    return p.n;
}
