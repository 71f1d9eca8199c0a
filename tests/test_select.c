/* test_select.c -- parent, mate and inspiration choice: exact rules and, with fixed seeds
 * over many draws, the frequencies the Boltzmann and exploration formulas promise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "check.h"
#include "island.h"
#include "pcg.h"
#include "pop_config.h"
#include "select.h"

#define DRAWS 100000
#define MAXID 128

/* An island of members id 1..n with fitness equal to the id. */
static void make_island(evo_island *is, const evo_config *cfg, int n)
{
    island_init(is, 0, cfg);
    for (int i = 1; i <= n; i++) {
        evo_member m = pop_simple(i, i);
        island_offer(is, cfg, &m);
    }
}

static void draw_parents(const evo_island *is, const evo_archive *a, const evo_config *cfg,
                         uint64_t seed, int draws, double *freq)
{
    evo_pcg32 rng;
    pcg32_seed(&rng, seed, 54);
    memset(freq, 0, MAXID * sizeof *freq);
    for (int i = 0; i < draws; i++) {
        evo_member out;
        if (select_parent(is, a, cfg, &rng, &out) == 0 && out.id >= 0 && out.id < MAXID)
            freq[out.id] += 1.0 / draws;
    }
}

/* p_i ∝ exp((f_i - fmax) / (T * scale)) * w_i over pool[0..n). */
static void boltzmann(const evo_member *pool, int n, double t, double *p)
{
    double fmax = pool[0].fitness, fmin = pool[0].fitness, sum = 0;
    for (int i = 0; i < n; i++) {
        fmax = fmax > pool[i].fitness ? fmax : pool[i].fitness;
        fmin = fmin < pool[i].fitness ? fmin : pool[i].fitness;
    }
    double scale = fmax > fmin ? fmax - fmin : 1;
    for (int i = 0; i < n; i++) {
        p[i] = exp((pool[i].fitness - fmax) / (t * scale)) * pool[i].weight;
        sum += p[i];
    }
    for (int i = 0; i < n; i++)
        p[i] /= sum;
}

static void check_close(const double *freq, const double *expect, double tol, const char *what)
{
    for (int id = 0; id < MAXID; id++)
        CHECK_MSG(fabs(freq[id] - expect[id]) <= tol, "%s: id %d frequency %.4f expected %.4f",
                  what, id, freq[id], expect[id]);
}

static void test_uniform_explore(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_island is;
    make_island(&is, &cfg, 10);
    is.explore_rate = 1;
    evo_archive a;
    archive_init(&a, 5);
    double freq[MAXID];
    draw_parents(&is, &a, &cfg, 7, DRAWS, freq);
    double chi2 = 0, e = DRAWS / 10.0;
    for (int id = 1; id <= 10; id++)
        chi2 += pow(freq[id] * DRAWS - e, 2) / e;
    CHECK_MSG(chi2 < 27.88, "chi-square %.2f over 9 degrees of freedom", chi2); /* p = 0.001 */
    CHECK(freq[0] == 0 && freq[11] == 0);
    archive_free(&a);
    island_free(&is);
}

static void test_boltzmann_elites(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    cfg.global_mix = 0;
    evo_island is;
    make_island(&is, &cfg, 10);
    is.explore_rate = 0;
    evo_archive a;
    archive_init(&a, 5);

    /* Elites: top ceil(0.3 * 10) = 3, ids 10, 9, 8; scale 2, T 1. */
    double freq[MAXID], expect[MAXID] = {0}, p[3];
    boltzmann(is.members, 3, 1, p);
    for (int i = 0; i < 3; i++)
        expect[is.members[i].id] = p[i];
    draw_parents(&is, &a, &cfg, 11, DRAWS, freq);
    check_close(freq, expect, 0.01, "Boltzmann T=1");
    CHECK(fabs(expect[10] - 1 / (1 + exp(-0.5) + exp(-1))) < 1e-12);

    /* Weights scale the probabilities. */
    is.members[1].weight = 0.25;
    boltzmann(is.members, 3, 1, p);
    memset(expect, 0, sizeof expect);
    for (int i = 0; i < 3; i++)
        expect[is.members[i].id] = p[i];
    draw_parents(&is, &a, &cfg, 12, DRAWS, freq);
    check_close(freq, expect, 0.01, "weighted");
    CHECK(freq[9] < 0.12);
    is.members[1].weight = 1;

    /* A huge temperature makes it uniform over the elite pool only. */
    cfg.temperature = 1e9;
    memset(expect, 0, sizeof expect);
    expect[10] = expect[9] = expect[8] = 1.0 / 3;
    draw_parents(&is, &a, &cfg, 13, DRAWS, freq);
    check_close(freq, expect, 0.01, "hot");

    /* Pool size is ceil(elite_ratio * n), at least 1. */
    struct {
        double ratio;
        int k;
    } cases[] = {{0.25, 3}, {0.01, 1}, {0.0, 1}, {1.0, 10}, {0.5, 5}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        cfg.elite_ratio = cases[c].ratio;
        draw_parents(&is, &a, &cfg, 14, 20000, freq);
        int lowest = 11;
        for (int id = 1; id <= 10; id++)
            if (freq[id] > 0 && id < lowest) lowest = id;
        CHECK_MSG(lowest == 11 - cases[c].k, "elite_ratio %g: lowest id drawn %d", cases[c].ratio,
                  lowest);
    }
    archive_free(&a);
    island_free(&is);
}

/* The whole rule at once: explore, archive mix, elites. */
static void test_mixture(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_island is;
    make_island(&is, &cfg, 10);
    is.explore_rate = 0.2;
    evo_archive a;
    archive_init(&a, 5);
    evo_member arch[] = {pop_simple(100, 30), pop_simple(10, 10), pop_simple(101, 25)};
    arch[2].weight = 0.5;
    for (int i = 0; i < 3; i++)
        archive_offer(&a, &arch[i]);

    double expect[MAXID] = {0}, pe[3], pa[3], freq[MAXID];
    boltzmann(is.members, 3, 1, pe);
    boltzmann(a.members, 3, 1, pa);
    for (int id = 1; id <= 10; id++)
        expect[id] += 0.2 / 10;
    for (int i = 0; i < 3; i++) {
        expect[a.members[i].id] += 0.8 * 0.3 * pa[i];
        expect[is.members[i].id] += 0.8 * 0.7 * pe[i];
    }
    draw_parents(&is, &a, &cfg, 21, DRAWS, freq);
    check_close(freq, expect, 0.01, "mixture");

    /* global_mix 1: only the archive (after explore). */
    cfg.global_mix = 1;
    is.explore_rate = 0;
    draw_parents(&is, &a, &cfg, 22, 20000, freq);
    CHECK(freq[100] + freq[101] + freq[10] > 0.9999 && freq[9] == 0);

    /* Empty island: the archive; nothing anywhere: -1. */
    evo_island empty;
    island_init(&empty, 1, &cfg);
    cfg.global_mix = 0;
    memset(expect, 0, sizeof expect);
    for (int i = 0; i < 3; i++)
        expect[a.members[i].id] = pa[i];
    draw_parents(&empty, &a, &cfg, 23, DRAWS, freq);
    check_close(freq, expect, 0.01, "empty island");
    evo_archive none;
    archive_init(&none, 5);
    evo_pcg32 rng;
    pcg32_seed(&rng, 1, 1);
    evo_member out;
    CHECK(select_parent(&empty, &none, &cfg, &rng, &out) == -1);
    /* An empty archive with global_mix 1 falls back to the island's elites. */
    cfg.global_mix = 1;
    CHECK(select_parent(&is, &none, &cfg, &rng, &out) == 0 && out.id >= 8);
    archive_free(&none);
    island_free(&empty);
    archive_free(&a);
    island_free(&is);
}

static void test_determinism(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_island is;
    make_island(&is, &cfg, 10);
    evo_archive a;
    archive_init(&a, 5);
    evo_pcg32 r1, r2;
    pcg32_seed(&r1, 99, 3);
    pcg32_seed(&r2, 99, 3);
    int same = 1;
    for (int i = 0; i < 1000; i++) {
        evo_member x, y;
        select_parent(&is, &a, &cfg, &r1, &x);
        select_parent(&is, &a, &cfg, &r2, &y);
        same &= x.id == y.id;
    }
    CHECK(same && r1.state == r2.state);
    archive_free(&a);
    island_free(&is);
}

static void test_mate(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_island is;
    island_init(&is, 0, &cfg);
    for (int i = 1; i <= 6; i++) {
        evo_member m = pop_simple(i, i);
        strcpy(m.tmpl, i % 2 ? "a" : "b");
        island_offer(&is, &cfg, &m);
    }
    evo_archive a;
    archive_init(&a, 5);
    evo_member first = is.members[island_find(&is, 1)];
    evo_pcg32 rng;
    pcg32_seed(&rng, 5, 5);
    int seen[8] = {0}, bad = 0;
    for (int i = 0; i < 5000; i++) {
        evo_member out;
        if (select_mate(&is, &a, &cfg, &rng, &first, &out) != 0) {
            bad++;
            continue;
        }
        bad += strcmp(out.tmpl, "a") != 0 || out.id == 1;
        if (out.id >= 0 && out.id < 8) seen[out.id]++;
    }
    CHECK(bad == 0 && seen[3] > 0 && seen[5] > 0 && seen[5] > seen[3]);

    /* No other "c" on the island: the archive provides one, never first itself. */
    evo_member lonely = pop_simple(40, 1);
    strcpy(lonely.tmpl, "c");
    island_offer(&is, &cfg, &lonely);
    evo_member out;
    CHECK(select_mate(&is, &a, &cfg, &rng, &lonely, &out) == -1);
    archive_offer(&a, &lonely);
    CHECK(select_mate(&is, &a, &cfg, &rng, &lonely, &out) == -1);
    evo_member other = pop_simple(41, 2);
    strcpy(other.tmpl, "c");
    archive_offer(&a, &other);
    for (int i = 0; i < 100; i++)
        CHECK(select_mate(&is, &a, &cfg, &rng, &lonely, &out) == 0 && out.id == 41);
    /* The same genome under another id is not a mate either (placed directly: the
     * archive itself refuses a second copy of a hash). */
    evo_member twin = pop_simple(43, 3);
    strcpy(twin.tmpl, "c");
    strcpy(twin.hash, lonely.hash);
    a.members[a.n++] = twin;
    for (int i = 0; i < 100; i++)
        CHECK(select_mate(&is, &a, &cfg, &rng, &lonely, &out) == 0 && out.id == 41);
    archive_free(&a);
    island_free(&is);
}

static int unique_ids(const evo_member *m, int n)
{
    for (int i = 0; i < n; i++)
        for (int k = i + 1; k < n; k++)
            if (m[i].id == m[k].id) return 0;
    return 1;
}

static int has_id(const evo_member *m, int n, int64_t id)
{
    for (int i = 0; i < n; i++)
        if (m[i].id == id) return 1;
    return 0;
}

static void test_inspirations(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_island is;
    make_island(&is, &cfg, 5);
    evo_archive a;
    archive_init(&a, 10);
    evo_member arch[] = {pop_simple(22, 60), pop_simple(21, 55), pop_simple(20, 50),
                         pop_simple(5, 5)};
    for (int i = 0; i < 4; i++)
        archive_offer(&a, &arch[i]);
    evo_pcg32 rng;
    pcg32_seed(&rng, 77, 1);
    evo_member out[16];

    int n = select_inspirations(&is, &a, &rng, 20, 4, out);
    CHECK(n == 4 && unique_ids(out, n) && !has_id(out, n, 20));
    CHECK(out[0].id == 5 && out[1].id == 22 && out[2].id == 21);
    CHECK(out[3].id >= 1 && out[3].id <= 4);

    /* The diversity pick is uniform over the island members not yet taken. */
    int seen[5] = {0};
    for (int i = 0; i < 4000; i++) {
        n = select_inspirations(&is, &a, &rng, 20, 4, out);
        if (n == 4 && out[3].id >= 1 && out[3].id <= 4) seen[out[3].id]++;
    }
    for (int id = 1; id <= 4; id++)
        CHECK_MSG(seen[id] > 850 && seen[id] < 1150, "id %d picked %d of 4000", id, seen[id]);

    /* Exclude the island best; max 1; more places than members. */
    n = select_inspirations(&is, &a, &rng, 5, 4, out);
    CHECK(n == 4 && unique_ids(out, n) && !has_id(out, n, 5) && out[0].id == 22);
    n = select_inspirations(&is, &a, &rng, 20, 1, out);
    CHECK(n == 1 && out[0].id == 5);
    n = select_inspirations(&is, &a, &rng, 20, 16, out);
    CHECK(n == 7 && unique_ids(out, n) && !has_id(out, n, 20));
    CHECK(select_inspirations(&is, &a, &rng, 20, 0, out) == 0);

    evo_island empty;
    island_init(&empty, 1, &cfg);
    evo_archive none;
    archive_init(&none, 3);
    CHECK(select_inspirations(&empty, &none, &rng, -1, 4, out) == 0);
    n = select_inspirations(&empty, &a, &rng, -1, 3, out);
    CHECK(n == 3 && unique_ids(out, n) && out[0].id == 22 && out[1].id == 21);
    archive_free(&none);
    island_free(&empty);
    archive_free(&a);
    island_free(&is);
}

int main(void)
{
    test_uniform_explore();
    test_boltzmann_elites();
    test_mixture();
    test_determinism();
    test_mate();
    test_inspirations();
    return CHECK_DONE();
}
