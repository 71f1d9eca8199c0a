/* test_island.c -- islands (cell keys, cell and cap rules, exploration schedule, weights,
 * memory, JSON), migration between islands, and the global elite archive. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "check.h"
#include "genome.h"
#include "island.h"
#include "pop_config.h"
#include "result.h"

/* ---- archive ---- */

static int archive_ids(const evo_archive *a, const int64_t *ids, int n)
{
    if (a->n != n) return 0;
    for (int i = 0; i < n; i++)
        if (a->members[i].id != ids[i]) return 0;
    return 1;
}

static void test_archive_rules(void)
{
    evo_archive a;
    archive_init(&a, 3);
    evo_member m1 = pop_simple(1, 1.0), m2 = pop_simple(2, 3.0), m3 = pop_simple(3, 2.0);
    CHECK(archive_offer(&a, &m1) == 1);
    CHECK(archive_offer(&a, &m2) == 1);
    CHECK(archive_offer(&a, &m3) == 1);
    CHECK(archive_ids(&a, (int64_t[]){2, 3, 1}, 3)); /* filled to cap, best first */

    evo_member worse = pop_simple(4, 0.5), tie_worst = pop_simple(5, 1.0);
    CHECK(archive_offer(&a, &worse) == 0);
    CHECK(archive_offer(&a, &tie_worst) == 0); /* ties keep the earlier member */
    CHECK(archive_ids(&a, (int64_t[]){2, 3, 1}, 3));

    evo_member better = pop_simple(6, 2.5);
    CHECK(archive_offer(&a, &better) == 1); /* replaces the worst, keeps the order */
    CHECK(archive_ids(&a, (int64_t[]){2, 6, 3}, 3));

    evo_member dup_hash = pop_simple(7, 9.0);
    strcpy(dup_hash.hash, m3.hash);
    CHECK(archive_offer(&a, &dup_hash) == 0);
    evo_member dup_id = pop_simple(6, 9.0);
    CHECK(archive_offer(&a, &dup_id) == 0);
    CHECK(archive_find(&a, 6) == 1);
    CHECK(archive_find(&a, 1) == -1);
    archive_free(&a);

    /* An equal newcomer goes after the members it ties with. */
    archive_init(&a, 5);
    evo_member t1 = pop_simple(10, 2.0), t2 = pop_simple(11, 1.0), t3 = pop_simple(12, 2.0);
    archive_offer(&a, &t1);
    archive_offer(&a, &t2);
    CHECK(archive_offer(&a, &t3) == 1);
    CHECK(archive_ids(&a, (int64_t[]){10, 12, 11}, 3));
    archive_free(&a);

    archive_init(&a, 0);
    CHECK(archive_offer(&a, &t1) == 0);
    archive_free(&a);
}

static void test_archive_weights_json(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_archive a;
    archive_init(&a, 4);
    for (int i = 1; i <= 3; i++) {
        evo_member m = pop_simple(i, i * 0.37);
        archive_offer(&a, &m);
    }
    archive_reweight(&a, &cfg, 2, 0.8);
    int i2 = archive_find(&a, 2);
    CHECK(a.members[i2].weight == 0.8 && a.members[i2].children == 1);
    for (int k = 0; k < 50; k++)
        archive_reweight(&a, &cfg, 2, 0.8);
    CHECK(a.members[i2].weight == cfg.min_weight);
    archive_reweight(&a, &cfg, 3, 1.5);
    CHECK(a.members[archive_find(&a, 3)].weight == 1.0);
    archive_reweight(&a, &cfg, 99, 0.5); /* absent: nothing happens */

    json_t *j = archive_to_json(&a);
    evo_archive b;
    archive_init(&b, 4);
    CHECK(archive_from_json(&b, j) == 0);
    json_t *j2 = archive_to_json(&b);
    char *s1 = json_dumps(j, JSON_SORT_KEYS), *s2 = json_dumps(j2, JSON_SORT_KEYS);
    CHECK(s1 && s2 && strcmp(s1, s2) == 0);
    CHECK(b.cap == 4 && b.n == 3);
    free(s1);
    free(s2);
    json_decref(j2);
    archive_free(&b);

    /* The configured cap decides: a smaller archive keeps the best of the stored members,
     * and loading replaces what was there. */
    archive_init(&b, 2);
    evo_member old = pop_simple(50, 100);
    archive_offer(&b, &old);
    CHECK(archive_from_json(&b, j) == 0);
    CHECK(b.n == 2 && b.members[0].id == 3 && b.members[1].id == 2 && archive_find(&b, 50) < 0);

    /* Malformed forms: -1 and an empty, usable archive. */
    json_t *bad = json_pack("{ss}", "members", "x");
    CHECK(archive_from_json(&b, bad) == -1 && b.n == 0);
    json_decref(bad);
    bad = json_pack("{si s[{si}]}", "cap", 3, "members", "id", 1);
    CHECK(archive_from_json(&b, bad) == -1 && b.n == 0);
    json_decref(bad);
    bad = json_pack("{s[{sI sf sf sI ss ss si}]}", "members", "id", (json_int_t)1, "fitness", 1.0,
                    "weight", 1.0, "children", (json_int_t)0, "hash", "h", "tmpl", "t", "cell", 3);
    CHECK(archive_from_json(&b, bad) == -1 && b.n == 0);
    json_decref(bad);
    CHECK(archive_offer(&b, &old) == 1);
    archive_free(&b);

    json_decref(j);
    archive_free(&a);
}

/* ---- cell keys ---- */

static void test_cell_keys(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    cfg.nfeatures = 4;
    cfg.features[0] = (evo_feature_cfg){.kind = FEATURE_TEMPLATE};
    cfg.features[1] = (evo_feature_cfg){.kind = FEATURE_PARAM, .name = "BM"};
    cfg.features[2] = (evo_feature_cfg){
        .kind = FEATURE_METRIC, .name = "latency_us", .bins = 4, .min = 0, .max = 100};
    cfg.features[3] =
        (evo_feature_cfg){.kind = FEATURE_SOURCE_LENGTH, .bins = 4, .min = 0, .max = 1000};

    char *names[] = {"BK", "BM"}, *values[] = {"32", "128"};
    char source[301];
    memset(source, 'x', 300);
    source[300] = '\0';
    evo_genome g = {
        .tmpl = "gemm", .source = source, .nparams = 2, .names = names, .values = values};
    memset(g.hash, 'f', 64);
    memcpy(g.hash, "0000001a", 8);
    g.hash[64] = '\0';
    evo_result r = {.status = EVO_STATUS_PASSED,
                    .metrics = json_pack("{sf}", "latency_us", 60.0),
                    .workloads = json_object()};
    char key[96];
    island_cell_key(&cfg, &g, &r, key);
    CHECK_MSG(strcmp(key, "t=gemm|BM=128|latency_us=2|len=1") == 0, "key %s", key);

    /* Metric from the workloads' mean when the candidate has none; clamping at both ends. */
    json_object_clear(r.metrics);
    json_object_set_new(r.workloads, "a", json_pack("{sf}", "latency_us", 10.0));
    json_object_set_new(r.workloads, "b", json_pack("{sf}", "latency_us", 30.0));
    island_cell_key(&cfg, &g, &r, key);
    CHECK_MSG(strcmp(key, "t=gemm|BM=128|latency_us=0|len=1") == 0, "key %s", key);
    json_object_set_new(r.metrics, "latency_us", json_real(1e9));
    island_cell_key(&cfg, &g, &r, key);
    CHECK_MSG(strcmp(key, "t=gemm|BM=128|latency_us=3|len=1") == 0, "key %s", key);
    json_object_set_new(r.metrics, "latency_us", json_real(-5));
    island_cell_key(&cfg, &g, &r, key);
    CHECK_MSG(strcmp(key, "t=gemm|BM=128|latency_us=0|len=1") == 0, "key %s", key);
    json_object_clear(r.metrics);
    json_object_clear(r.workloads);
    island_cell_key(&cfg, &g, &r, key);
    CHECK_MSG(strcmp(key, "t=gemm|BM=128|latency_us=-|len=1") == 0, "key %s", key);

    /* Absent parameter; hash bins from the first 8 hex digits (0x1a = 26, 26 % 16 = 10). */
    cfg.nfeatures = 3;
    cfg.features[1] = (evo_feature_cfg){.kind = FEATURE_PARAM, .name = "BN"};
    cfg.features[2] = (evo_feature_cfg){.kind = FEATURE_HASH, .bins = 16};
    island_cell_key(&cfg, &g, &r, key);
    CHECK_MSG(strcmp(key, "t=gemm|BN=-|h=10") == 0, "key %s", key);
    cfg.features[2].bins = 7; /* 26 % 7 = 5 */
    island_cell_key(&cfg, &g, &r, key);
    CHECK_MSG(strcmp(key, "t=gemm|BN=-|h=5") == 0, "key %s", key);

    /* Long keys are cut at 95 characters. */
    char longname[64], longval[200];
    memset(longname, 'n', 63);
    longname[63] = '\0';
    memset(longval, 'v', 199);
    longval[199] = '\0';
    char *lnames[] = {"BM"}, *lvalues[] = {longval};
    evo_genome lg = {
        .tmpl = longname, .source = "", .nparams = 1, .names = lnames, .values = lvalues};
    cfg.nfeatures = 2;
    cfg.features[1] = (evo_feature_cfg){.kind = FEATURE_PARAM, .name = "BM"};
    island_cell_key(&cfg, &lg, &r, key);
    CHECK(strlen(key) == 95);
    CHECK(strncmp(key, "t=nnn", 5) == 0);

    /* No result at all: metric features read as absent. */
    cfg.nfeatures = 1;
    cfg.features[0] = (evo_feature_cfg){.kind = FEATURE_METRIC, .name = "x", .bins = 2, .max = 1};
    island_cell_key(&cfg, &g, NULL, key);
    CHECK_MSG(strcmp(key, "x=-") == 0, "key %s", key);

    json_decref(r.metrics);
    json_decref(r.workloads);
}

/* ---- island membership ---- */

static evo_member cell_member(int64_t id, double fitness, const char *cell)
{
    evo_member m = pop_simple(id, fitness);
    snprintf(m.cell, sizeof m.cell, "%s", cell);
    return m;
}

static void test_island_cells(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_island is;
    island_init(&is, 2, &cfg);
    CHECK(is.index == 2 && is.n == 0 && is.best_id == -1 && is.best_fitness == 0);
    CHECK(is.explore_rate == cfg.explore_rate);

    evo_member a = cell_member(1, 1.0, "A");
    CHECK(island_offer(&is, &cfg, &a) == 1);
    CHECK(is.best_id == 1 && is.best_fitness == 1.0);

    evo_member equal = cell_member(2, 1.0, "A"), worse = cell_member(3, 0.5, "A");
    CHECK(island_offer(&is, &cfg, &equal) == 0); /* only a strictly better one replaces */
    CHECK(island_offer(&is, &cfg, &worse) == 0);
    evo_member better = cell_member(4, 2.0, "A");
    CHECK(island_offer(&is, &cfg, &better) == 1);
    CHECK(is.n == 1 && island_find(&is, 1) == -1 && island_find(&is, 4) == 0);
    CHECK(is.best_id == 4 && is.best_fitness == 2.0);

    /* Duplicates by id and by hash never enter, even when better. */
    evo_member same_id = cell_member(4, 5.0, "B");
    CHECK(island_offer(&is, &cfg, &same_id) == 0);
    evo_member same_hash = cell_member(5, 5.0, "B");
    strcpy(same_hash.hash, better.hash);
    CHECK(island_offer(&is, &cfg, &same_hash) == 0);
    CHECK(is.n == 1);

    evo_member b = cell_member(6, 0.5, "B");
    CHECK(island_offer(&is, &cfg, &b) == 1);
    CHECK(is.n == 2 && is.best_id == 4);
    island_free(&is);
}

static void test_island_cap(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    cfg.population = 3;
    evo_island is;
    island_init(&is, 0, &cfg);
    CHECK(is.cap == 3);
    evo_member m5 = pop_simple(1, 5), m1 = pop_simple(2, 1), m3 = pop_simple(3, 3);
    island_offer(&is, &cfg, &m5);
    island_offer(&is, &cfg, &m1);
    island_offer(&is, &cfg, &m3);
    CHECK(is.n == 3);
    evo_member m2 = pop_simple(4, 2);
    CHECK(island_offer(&is, &cfg, &m2) == 1); /* the worst (id 2) goes */
    CHECK(is.n == 3 && island_find(&is, 2) == -1 && island_find(&is, 4) >= 0);
    evo_member low = pop_simple(5, 0.5);
    CHECK(island_offer(&is, &cfg, &low) == 0); /* evicted at once: it did not enter */
    CHECK(is.n == 3 && island_find(&is, 5) == -1);

    /* Ties at the bottom: the newer (higher id) goes. */
    evo_member t1 = pop_simple(10, 2), t2 = pop_simple(11, 2), t3 = pop_simple(12, 4);
    island_free(&is);
    island_init(&is, 0, &cfg);
    island_offer(&is, &cfg, &m5);
    island_offer(&is, &cfg, &t2);
    island_offer(&is, &cfg, &t1);
    CHECK(island_offer(&is, &cfg, &t3) == 1);
    CHECK(island_find(&is, 10) >= 0 && island_find(&is, 11) == -1);
    island_free(&is);

    /* Cap 1: the best is never dropped for a worse newcomer, a better one takes over. */
    cfg.population = 1;
    island_init(&is, 0, &cfg);
    island_offer(&is, &cfg, &m3);
    CHECK(island_offer(&is, &cfg, &m1) == 0);
    CHECK(is.n == 1 && is.best_id == 3);
    CHECK(island_offer(&is, &cfg, &m5) == 1);
    CHECK(is.n == 1 && is.best_id == 1 && is.best_fitness == 5);
    island_free(&is);
}

static void test_exploration(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_island is;
    island_init(&is, 0, &cfg);
    for (int i = 0; i < 19; i++)
        island_after_child(&is, &cfg, 0);
    CHECK(is.explore_rate == 0.2 && is.since_improvement == 19);
    island_after_child(&is, &cfg, 0);
    CHECK(is.explore_rate == 0.4);
    for (int i = 0; i < 19; i++)
        island_after_child(&is, &cfg, 0);
    CHECK(is.explore_rate == 0.4);
    island_after_child(&is, &cfg, 0);
    CHECK(is.explore_rate == 0.8);
    for (int i = 0; i < 20; i++)
        island_after_child(&is, &cfg, 0);
    CHECK(is.explore_rate == 0.8); /* capped at explore_max */
    CHECK(is.since_improvement == 60 && is.evaluations == 60);
    island_after_child(&is, &cfg, 1);
    CHECK(is.explore_rate == 0.2 && is.since_improvement == 0 && is.evaluations == 61);
    for (int i = 0; i < 20; i++)
        island_after_child(&is, &cfg, 0);
    CHECK(is.explore_rate == 0.4);

    /* A cap below a grown rate clamps the first growth. */
    cfg.explore_max = 0.3;
    island_after_child(&is, &cfg, 1);
    for (int i = 0; i < 20; i++)
        island_after_child(&is, &cfg, 0);
    CHECK(is.explore_rate == 0.3);
    island_free(&is);
}

static void test_weights_memory(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_island is;
    island_init(&is, 0, &cfg);
    evo_member m = pop_simple(7, 1);
    island_offer(&is, &cfg, &m);
    island_reweight(&is, &cfg, 7, cfg.weight_decay);
    CHECK(is.members[0].weight == 0.8 && is.members[0].children == 1);
    for (int i = 0; i < 30; i++)
        island_reweight(&is, &cfg, 7, cfg.weight_decay);
    CHECK(is.members[0].weight == cfg.min_weight && is.members[0].children == 31);
    for (int i = 0; i < 30; i++)
        island_reweight(&is, &cfg, 7, cfg.weight_boost);
    CHECK(is.members[0].weight == 1.0);
    island_reweight(&is, &cfg, 8, 0.1); /* absent */
    CHECK(is.members[0].weight == 1.0 && is.members[0].children == 61);

    char *text = island_memory_text(&is);
    CHECK(text && strcmp(text, "") == 0);
    free(text);
    island_remember(&is, "one");
    island_remember(&is, "two");
    text = island_memory_text(&is);
    CHECK(text && strcmp(text, "one\ntwo") == 0);
    free(text);
    for (int i = 0; i < 20; i++) {
        char line[32];
        snprintf(line, sizeof line, "line %d", i);
        island_remember(&is, line);
    }
    CHECK(is.nmemory == EVO_MEMORY_LINES);
    CHECK(strcmp(is.memory[0], "line 4") == 0 && strcmp(is.memory[15], "line 19") == 0);
    island_free(&is);
}

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
}

static void test_island_json(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_island is;
    island_init(&is, 4, &cfg);
    for (int i = 1; i <= 5; i++) {
        evo_member m = pop_simple(i, 1.0 / i);
        island_offer(&is, &cfg, &m);
    }
    island_reweight(&is, &cfg, 3, 0.8);
    island_remember(&is, "tiling BM=128 helped");
    island_remember(&is, "COMPILE_ERROR: \"quoted\"\nsecond line");
    for (int i = 0; i < 25; i++)
        island_after_child(&is, &cfg, 0);

    json_t *j = island_to_json(&is);
    evo_island back;
    island_init(&back, 0, &cfg);
    island_remember(&back, "replaced by the load");
    CHECK(island_from_json(&back, &cfg, j) == 0);
    json_t *j2 = island_to_json(&back);
    char *s1 = dump(j), *s2 = dump(j2);
    CHECK_MSG(s1 && s2 && strcmp(s1, s2) == 0, "%s vs %s", s1, s2);
    CHECK(back.index == 4 && back.n == 5 && back.best_id == 1 && back.nmemory == 2);
    CHECK(back.explore_rate == is.explore_rate && back.since_improvement == 25);
    free(s1);
    free(s2);
    json_decref(j2);

    /* A smaller population keeps the best members. */
    cfg.population = 2;
    CHECK(island_from_json(&back, &cfg, j) == 0);
    CHECK(back.n == 2 && back.cap == 2 && back.members[1].id == 2 && back.best_id == 1);
    cfg.population = 100;

    /* Malformed: -1 and an empty island. */
    json_object_set_new(j, "members", json_pack("[{si}]", "id", 1));
    CHECK(island_from_json(&back, &cfg, j) == -1 && back.n == 0 && back.best_id == -1);
    json_object_set_new(j, "members", json_array());
    json_object_set_new(j, "memory", json_pack("[i]", 3));
    CHECK(island_from_json(&back, &cfg, j) == -1 && back.nmemory == 0 && back.index == 4);
    json_object_set_new(j, "evaluations", json_string("many"));
    CHECK(island_from_json(&back, &cfg, j) == -1 && back.evaluations == 0);
    json_t *notobj = json_string("island");
    CHECK(island_from_json(&back, &cfg, notobj) == -1 && back.n == 0);
    island_free(&back);
    json_decref(notobj);
    json_decref(j);
    island_free(&is);
}

/* ---- migration ---- */

static void fill(evo_island *is, const evo_config *cfg, int64_t first_id, int n, double top)
{
    for (int i = 0; i < n; i++) {
        evo_member m = pop_simple(first_id + i, top - i);
        island_offer(is, cfg, &m);
    }
}

static void test_migration_ring(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_island is[3];
    for (int i = 0; i < 3; i++)
        island_init(&is[i], i, &cfg);
    fill(&is[0], &cfg, 100, 5, 50); /* ceil(0.2 * 5) = 1 emigrant */
    fill(&is[1], &cfg, 200, 6, 40); /* ceil(0.2 * 6) = 2 */
    fill(&is[2], &cfg, 300, 1, 30); /* 1 */
    island_reweight(&is[0], &cfg, 100, 0.5);

    int moved = islands_migrate(is, 3, &cfg);
    CHECK(moved == 4);
    CHECK(is[1].n == 7 && island_find(&is[1], 100) >= 0 && island_find(&is[1], 101) == -1);
    CHECK(is[2].n == 3 && island_find(&is[2], 200) >= 0 && island_find(&is[2], 201) >= 0);
    /* Order independence: island 2 got island 1's own best, not what island 1 just got. */
    CHECK(island_find(&is[2], 100) == -1);
    CHECK(is[0].n == 6 && island_find(&is[0], 300) >= 0);
    CHECK(is[2].best_id == 200 && is[1].best_id == 100 && is[0].best_id == 100);
    /* Copies start fresh: weight 1, no children; the original keeps its own. */
    evo_member *copy = &is[1].members[island_find(&is[1], 100)];
    CHECK(copy->weight == 1 && copy->children == 0);
    CHECK(is[0].members[0].weight == 0.5 && is[0].members[0].children == 1);

    /* A second round: members already present (same id) are skipped. */
    moved = islands_migrate(is, 3, &cfg);
    /* island 0 sends {100,101}: 100 is in island 1 -> 101 moves;
     * island 1 (7) sends {100,200}: 200 is in island 2 -> 100 moves;
     * island 2 (3) sends {200}: -> moves to island 0. */
    CHECK(moved == 3);
    CHECK(island_find(&is[1], 101) >= 0 && island_find(&is[2], 100) >= 0);
    CHECK(island_find(&is[0], 200) >= 0);
    for (int i = 0; i < 3; i++)
        island_free(&is[i]);
}

static void test_migration_rates(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    struct {
        double rate;
        int n, expect;
    } cases[] = {
        {0.2, 5, 1}, {0.2, 6, 2}, {0.2, 1, 1}, {0.0, 4, 1}, {1.0, 4, 4}, {0.3, 10, 3}, {0.5, 3, 2},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        cfg.migration_rate = cases[c].rate;
        evo_island is[2];
        island_init(&is[0], 0, &cfg);
        island_init(&is[1], 1, &cfg);
        fill(&is[0], &cfg, 1, cases[c].n, 100);
        int moved = islands_migrate(is, 2, &cfg);
        CHECK_MSG(moved == cases[c].expect && is[1].n == cases[c].expect, "rate %g n %d: moved %d",
                  cases[c].rate, cases[c].n, moved);
        island_free(&is[0]);
        island_free(&is[1]);
    }
    /* Nothing to migrate with one island or empty islands. */
    evo_island one;
    island_init(&one, 0, &cfg);
    fill(&one, &cfg, 1, 3, 10);
    CHECK(islands_migrate(&one, 1, &cfg) == 0);
    island_free(&one);
}

static void test_migration_duplicates_cells(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_island is[2];
    island_init(&is[0], 0, &cfg);
    island_init(&is[1], 1, &cfg);
    evo_member a = cell_member(1, 9, "X");
    island_offer(&is[0], &cfg, &a);
    /* Island 1 holds the same genome (hash) under another id, and a better member in X's cell
     * would block it too. */
    evo_member same_hash = cell_member(2, 1, "Y");
    strcpy(same_hash.hash, a.hash);
    island_offer(&is[1], &cfg, &same_hash);
    CHECK(islands_migrate(is, 2, &cfg) == 0);
    CHECK(is[0].n == 1 && is[1].n == 1);

    /* The cell rule applies to migrants: a worse occupant is replaced, a better one stays. */
    island_free(&is[1]);
    island_init(&is[1], 1, &cfg);
    evo_member occupant = cell_member(3, 5, "X");
    island_offer(&is[1], &cfg, &occupant);
    cfg.migration_rate = 1;
    int moved = islands_migrate(is, 2, &cfg); /* ring of two: 0 -> 1 and 1 -> 0 */
    CHECK(moved == 1);
    CHECK(island_find(&is[1], 1) >= 0 && island_find(&is[1], 3) == -1);
    CHECK(island_find(&is[0], 3) == -1);
    island_free(&is[0]);
    island_free(&is[1]);
}

/* Sorted ids of an island as text, to compare islands across arrangements. */
static void ids_text(const evo_island *is, char *out, size_t size)
{
    int64_t ids[64];
    int n = is->n < 64 ? is->n : 64;
    for (int i = 0; i < n; i++)
        ids[i] = is->members[i].id;
    for (int i = 1; i < n; i++)
        for (int k = i; k > 0 && ids[k - 1] > ids[k]; k--) {
            int64_t t = ids[k];
            ids[k] = ids[k - 1];
            ids[k - 1] = t;
        }
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%lld,", (long long)ids[i]);
}

static void test_migration_full(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    strcpy(cfg.migration_topology, "full");
    cfg.population = 6;
    /* Build islands A, B, C in two arrangements; full migration must give each the same set. */
    int order[2][3] = {{0, 1, 2}, {2, 0, 1}};
    char texts[2][3][256];
    for (int o = 0; o < 2; o++) {
        evo_island is[3];
        for (int k = 0; k < 3; k++) {
            int which = order[o][k];
            island_init(&is[k], k, &cfg);
            fill(&is[k], &cfg, 100 * (which + 1), 5, 10.0 * (which + 1));
        }
        int moved = islands_migrate(is, 3, &cfg);
        /* Each sends its best to both others; B and C evict A's best (fitness 10) at once. */
        CHECK(moved == 4);
        for (int k = 0; k < 3; k++) {
            int which = order[o][k];
            CHECK(is[k].n == 6); /* two arrivals, cap 6 evicts one */
            ids_text(&is[k], texts[o][which], sizeof texts[o][which]);
        }
        for (int k = 0; k < 3; k++)
            island_free(&is[k]);
    }
    for (int w = 0; w < 3; w++)
        CHECK_MSG(strcmp(texts[0][w], texts[1][w]) == 0, "%s vs %s", texts[0][w], texts[1][w]);
    /* Island A (ids 100..104, fitness 10..6) received 200 and 300, dropped 104. */
    CHECK(strcmp(texts[0][0], "100,101,102,103,200,300,") == 0);
}

int main(void)
{
    test_archive_rules();
    test_archive_weights_json();
    test_cell_keys();
    test_island_cells();
    test_island_cap();
    test_exploration();
    test_weights_memory();
    test_island_json();
    test_migration_ring();
    test_migration_rates();
    test_migration_duplicates_cells();
    test_migration_full();
    return CHECK_DONE();
}
