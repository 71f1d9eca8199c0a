/* test_run_view.c -- evo_run_* and evo_candidate_*: a store written with store.h calls in
 * the shapes of store_format.h reads back through the read-only views: status JSON, candidates,
 * best, rendering; and bad inputs (no run, unknown candidate, missing source) give exact
 * errors. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "evo.h"
#include "store.h"
#include "store_format.h"

static const char *str(const char *s)
{
    return s;
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SRC_A "__global__ void k(float *x) { x[0] = BM; }\n"

static void put(evo_txn *t, const char *key, json_t *v)
{
    CHECK(store_meta_put(t, key, v) == EVO_OK);
    json_decref(v);
}

static json_t *record(int id, const char *status, double fitness, const char *sha)
{
    return json_pack("{si ss ss ss s{ss si} s[] sn si ss ss sf ss sn s{} s{s{sf sf sf}} s{} s{} "
                     "s{} sf sf si}",
                     "id", id, "hash", "h", "template", "gemm_mma", "source_sha", sha, "params",
                     "BM", "128", "BK", 32, "parents", "repair_of", "island", id % 2, "operator",
                     "point", "status", status, "fitness", fitness, "label", "improvement", "error",
                     "metrics", "workloads", "M=1024", "latency_us", 61.5, "baseline_us", 92.25,
                     "speedup", 1.5, "artifacts", "notes", "usage", "t", 1.5 * id, "eval_ms", 800.0,
                     "session", 1);
}

static void write_run(const char *dir)
{
    evo_store *s;
    char err[512];
    CHECK_MSG(store_open(&s, dir, STORE_CREATE, "none", err, sizeof err) == EVO_OK, "%s", err);
    evo_txn *t;
    CHECK(store_begin(s, 1, &t) == EVO_OK);
    put(t, META_RUN,
        json_pack("{ss ss ss si}", "name", "demo", "created", "2026-11-24T16:00:00Z", "evo_version",
                  "0.1.0", "seed", 7));
    put(t, META_CONFIG, json_pack("{s{si}}", "search", "max_evaluations", 100));
    put(t, META_COUNTERS,
        json_pack("{si si s{si} si sf sf si sb ss}", "evaluations", 3, "cached", 1, "failures",
                  "COMPILE_ERROR", 1, "best_id", 2, "best_fitness", 1.5, "elapsed_s", 4.5,
                  "sessions", 1, "finished", 1, "stop_reason", "max_evaluations"));
    put(t, META_ISLANDS, json_pack("{si}", "count", 2));
    put(t, META_ISLAND_PREFIX "0",
        json_pack("{si sI sf sf sI sI s[{si sf}] s[]}", "index", 0, "best_id", (json_int_t)2,
                  "best_fitness", 1.5, "explore_rate", 0.1, "evaluations", (json_int_t)2,
                  "since_improvement", (json_int_t)0, "members", "id", 2, "fitness", 1.5,
                  "memory"));
    put(t, META_ISLAND_PREFIX "1",
        json_pack("{si sI sf sf sI sI s[] s[]}", "index", 1, "best_id", (json_int_t)-1,
                  "best_fitness", 0.0, "explore_rate", 0.2, "evaluations", (json_int_t)1,
                  "since_improvement", (json_int_t)1, "members", "memory"));
    json_t *members = json_array();
    for (int i = 0; i < 12; i++)
        json_array_append_new(members,
                              json_pack("{si sf}", "id", 20 - i, "fitness", 3.0 - i * 0.1));
    put(t, META_ARCHIVE, json_pack("{si so}", "cap", 16, "members", members));
    put(t, META_BANDIT,
        json_pack("{s[{ss sf sf sf si si si}]}", "arms", "name", "point", "weight", 1.0, "count",
                  2.0, "reward", 0.5, "uses", 3, "improvements", 1, "failures", 1));
    CHECK(store_source_put(t, SHA_A, SRC_A) == EVO_OK);
    json_t *r1 = record(1, "PASSED", 1.0, SHA_A), *r2 = record(2, "PASSED", 1.5, SHA_A);
    json_t *r3 = record(3, "COMPILE_ERROR", 0, "bbbbbbbb");
    CHECK(store_cand_put(t, 1, r1) == EVO_OK);
    CHECK(store_cand_put(t, 2, r2) == EVO_OK);
    CHECK(store_cand_put(t, 3, r3) == EVO_OK);
    json_decref(r1);
    json_decref(r2);
    json_decref(r3);
    json_t *r4 =
        json_pack("{si ss ss ss s{} s[] ss sf}", "id", 4, "hash", "", "template", "", "source_sha",
                  "", "params", "parents", "status", "INVALID", "fitness", 0.0);
    CHECK(store_cand_put(t, 4, r4) == EVO_OK);
    json_decref(r4);
    CHECK(store_commit(t) == EVO_OK);
    store_close(s);
}

static void test_status(evo_run *r)
{
    char *text = NULL;
    CHECK(evo_run_status_json(r, &text) == EVO_OK);
    json_error_t je;
    json_t *st = json_loads(text ? text : "", 0, &je);
    CHECK_MSG(st != NULL, "%s", je.text);
    CHECK(text && strncmp(text, "{\"run\":{", 8) == 0);
    /* The store keeps objects in the order they were built; the views add theirs in a
     * fixed order. */
    CHECK_CONTAINS(text, "\"counters\":{\"evaluations\":3,\"cached\":1,");
    CHECK(json_integer_value(json_object_get(json_object_get(st, "config"), "search")) == 0);
    json_t *islands = json_object_get(st, "islands");
    CHECK(json_array_size(islands) == 2);
    CHECK_CONTAINS(text, "\"islands\":[{\"index\":0,\"members\":1,\"best_id\":2,"
                         "\"best_fitness\":1.5,\"explore_rate\":0.10000000000000001,"
                         "\"evaluations\":2,\"since_improvement\":0},{\"index\":1,\"members\":0,"
                         "\"best_id\":-1,");
    json_t *archive = json_object_get(st, "archive");
    CHECK(json_array_size(archive) == 10);
    CHECK_CONTAINS(text, "\"archive\":[{\"id\":20,\"fitness\":3.0},{\"id\":19,");
    CHECK_CONTAINS(text,
                   "\"operators\":{\"arms\":[{\"name\":\"point\",\"weight\":1.0,\"count\":2.0,");
    CHECK_CONTAINS(text, "\"usage\":{}");
    CHECK_CONTAINS(text, "\"best\":{\"id\":2,\"template\":\"gemm_mma\",\"params\":{\"BM\":\"128\","
                         "\"BK\":32},\"fitness\":1.5,\"workloads\":{\"M=1024\":{\"latency_us\":");
    json_decref(st);
    free(text);
}

static void test_candidates(evo_run *r)
{
    CHECK(evo_run_count(r) == 4);
    evo_candidate *c = NULL;
    CHECK_MSG(evo_run_candidate(r, 1, &c) == EVO_OK, "%s", evo_run_errmsg(r));
    if (c) {
        CHECK(evo_candidate_id(c) == 1);
        CHECK(evo_candidate_status(c) == EVO_STATUS_PASSED);
        CHECK(evo_candidate_fitness(c) == 1.0);
        const evo_genome *g = evo_candidate_genome(c);
        CHECK(strcmp(evo_genome_source(g), SRC_A) == 0);
        CHECK(strcmp(evo_genome_template(g), "gemm_mma") == 0);
        CHECK(evo_genome_param_count(g) == 2);
        CHECK(strcmp(evo_genome_param_name(g, 0), "BK") == 0);
        CHECK(strcmp(evo_genome_param_value(g, 0), "32") == 0);
        CHECK_CONTAINS(evo_candidate_json(c), "\"id\":1,\"hash\":\"h\",\"template\":\"gemm_mma\",");
        char *src = evo_candidate_render(c);
        CHECK_CONTAINS(src, "#define BK 32\n#define BM 128\n");
        CHECK_CONTAINS(src, SRC_A);
        free(src);
    }
    evo_candidate_free(c);

    CHECK(evo_run_best(r, &c) == EVO_OK);
    CHECK(c && evo_candidate_id(c) == 2 && evo_candidate_fitness(c) == 1.5);
    evo_candidate_free(c);

    CHECK(evo_run_candidate(r, 4, &c) == EVO_OK);
    CHECK(c && evo_candidate_status(c) == EVO_STATUS_INVALID);
    CHECK(c && strcmp(evo_genome_source(evo_candidate_genome(c)), "") == 0);
    evo_candidate_free(c);

    CHECK(evo_run_candidate(r, 9, &c) == EVO_ENOTFOUND);
    CHECK(c == NULL);
    CHECK_CONTAINS(evo_run_errmsg(r), "candidate 9: not found (the run has 4 candidates)");
    CHECK(evo_run_candidate(r, 0, &c) == EVO_ENOTFOUND);
    CHECK_CONTAINS(evo_run_errmsg(r), "candidate 0: not found (the run has 4 candidates)");
    CHECK(evo_run_candidate(r, 3, &c) == EVO_ESTORE);
    CHECK_CONTAINS(evo_run_errmsg(r), "candidate 3: source bbbbbbbb is missing from the store");
}

static void test_open_errors(const char *dir)
{
    evo_run *r = NULL;
    char empty[600];
    snprintf(empty, sizeof empty, "%s/empty", dir);
    CHECK(evo_run_open(&r, empty) == EVO_ENOTFOUND);
    char want[700];
    snprintf(want, sizeof want, "%s: no run here (no store.mdb)", empty);
    CHECK_CONTAINS(evo_run_errmsg(r), want);
    CHECK(evo_run_count(r) == -1);
    evo_candidate *c;
    CHECK(evo_run_best(r, &c) == EVO_EINVAL);
    CHECK_CONTAINS(evo_run_errmsg(r), "the run is not open");
    evo_run_close(r);

    CHECK(evo_run_open(&r, "") == EVO_EINVAL);
    CHECK_CONTAINS(evo_run_errmsg(r), "no run directory given");
    evo_run_close(r);
    CHECK_CONTAINS(str(evo_run_errmsg(NULL)), "out of memory");
}

/* A run whose engine has not committed anything yet: no counters, no best. */
static void test_fresh(const char *dir)
{
    char fresh[600], err[512];
    snprintf(fresh, sizeof fresh, "%s/fresh", dir);
    evo_store *s;
    CHECK_MSG(store_open(&s, fresh, STORE_CREATE, "none", err, sizeof err) == EVO_OK, "%s", err);
    store_close(s);
    evo_run *r;
    CHECK(evo_run_open(&r, fresh) == EVO_OK);
    char *text = NULL;
    CHECK(evo_run_status_json(r, &text) == EVO_OK);
    CHECK_MSG(
        text &&
            strcmp(text,
                   "{\"run\":null,\"config\":null,\"facts\":null,\"counters\":null,\"islands\":[],"
                   "\"archive\":[],\"operators\":null,\"usage\":{},\"best\":null}") == 0,
        "%s", text ? text : "(null)");
    free(text);
    evo_candidate *c;
    CHECK(evo_run_best(r, &c) == EVO_ENOTFOUND);
    CHECK_CONTAINS(evo_run_errmsg(r), "no candidate has passed yet");
    CHECK(evo_run_count(r) == 0);
    evo_run_close(r);
}

int main(void)
{
    char dir[] = "/tmp/evo_test_run_view_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char run[600];
    snprintf(run, sizeof run, "%s/run", dir);
    write_run(run);
    evo_run *r = NULL;
    CHECK_MSG(evo_run_open(&r, run) == EVO_OK, "%s", evo_run_errmsg(r));
    test_status(r);
    test_candidates(r);
    evo_run_close(r);
    test_open_errors(dir);
    test_fresh(dir);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return CHECK_DONE();
}
