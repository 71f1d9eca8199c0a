/* test_engine.c -- the PES loop end to end with the synthetic evaluator (known optimum):
 * the search reaches the optimum within a stated budget; a seeded run at concurrency 1 is
 * reproducible bit for bit, also when interrupted and resumed; concurrency > 1 runs; every
 * stop condition ends a run with its reason; a finished run does not restart; a second
 * writer on one run directory is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "evo.h"

static char tmp_root[256];

static char *run_dir(const char *name)
{
    static char buf[8][512];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, 512, "%s/%s", tmp_root, name);
    return b;
}

/* The base config merged (recursively) with extra, a list of members starting with ", ". */
static evo_config *config(const char *extra)
{
    char text[4096], err[2048];
    json_t *base = json_loads(
        "{\"seed\": 7, \"islands\": {\"count\": 3, \"population\": 30},"
        " \"evaluator\": {\"kind\": \"synthetic\", \"synthetic\": {\"dims\": 4, \"levels\": 16}},"
        " \"store\": {\"sync\": \"none\"}}",
        0, NULL);
    snprintf(text, sizeof text, "{%s}", extra[0] ? extra + 1 : "");
    json_t *more = json_loads(text, 0, NULL);
    if (!more) fprintf(stderr, "bad test config: %s\n", text);
    json_object_update_recursive(base, more);
    char *merged = json_dumps(base, JSON_COMPACT);
    evo_config *cfg = NULL;
    int rc = evo_config_parse(merged, "test", &cfg, err, sizeof err);
    if (rc != EVO_OK) fprintf(stderr, "config: %s\n", err);
    free(merged);
    json_decref(base);
    json_decref(more);
    return cfg;
}

typedef struct run_state {
    evo_engine *e;
    int stop_after; /* interrupt after this many progress reports (0 = never) */
    int reports;
} run_state;

static void on_progress(void *user, const evo_progress *p)
{
    run_state *s = user;
    if (p->done) return;
    if (s->stop_after && ++s->reports == s->stop_after) evo_engine_interrupt(s->e, 0);
}

static int attach(run_state *s, evo_engine *e)
{
    s->e = e;
    /* The config's synthetic evaluator and its seed; the engine frees them when it closes. */
    int rc = evo_engine_configure(e);
    evo_engine_set_progress(e, on_progress, s);
    return rc;
}

/* Run a fresh search to its stop; returns the engine's code. */
static int run_fresh(const char *dir, const char *extra, int stop_after)
{
    evo_config *cfg = config(extra);
    evo_engine *e;
    int rc = evo_engine_open(&e, dir, cfg);
    evo_config_free(cfg);
    run_state s = {0};
    s.stop_after = stop_after;
    if (rc == EVO_OK) rc = attach(&s, e);
    if (rc == EVO_OK) rc = evo_engine_run(e);
    if (rc != EVO_OK && rc != EVO_EINTERRUPT) fprintf(stderr, "run: %s\n", evo_errmsg(e));
    evo_engine_close(e);
    return rc;
}

static int run_resume(const char *dir, int stop_after)
{
    evo_engine *e;
    int rc = evo_engine_resume(&e, dir);
    run_state s = {0};
    s.stop_after = stop_after;
    if (rc == EVO_OK) rc = attach(&s, e);
    if (rc == EVO_OK) rc = evo_engine_run(e);
    if (rc != EVO_OK && rc != EVO_EINTERRUPT) fprintf(stderr, "resume: %s\n", evo_errmsg(e));
    evo_engine_close(e);
    return rc;
}

/* "hash fitness\n" per candidate, in id order: the run's identity. */
static char *fingerprint(const char *dir, int64_t *count)
{
    evo_run *r;
    if (evo_run_open(&r, dir) != EVO_OK) {
        evo_run_close(r);
        return NULL;
    }
    int64_t n = evo_run_count(r);
    *count = n;
    size_t cap = (size_t)(n + 1) * 96, len = 0;
    char *out = malloc(cap);
    out[0] = 0;
    for (int64_t id = 1; id <= n; id++) {
        evo_candidate *c;
        if (evo_run_candidate(r, id, &c) != EVO_OK) break;
        len += (size_t)snprintf(out + len, cap - len, "%s %.17g\n",
                                evo_genome_hash(evo_candidate_genome(c)), evo_candidate_fitness(c));
        evo_candidate_free(c);
    }
    evo_run_close(r);
    return out;
}

static json_t *status_of(const char *dir)
{
    evo_run *r;
    char *text = NULL;
    json_t *j = NULL;
    if (evo_run_open(&r, dir) == EVO_OK && evo_run_status_json(r, &text) == EVO_OK)
        j = json_loads(text, 0, NULL);
    free(text);
    evo_run_close(r);
    return j;
}

static void test_reaches_optimum(void)
{
    /* 16^4 = 65536 points; the search must find the exact optimum in 800 evaluations
     * (1.2% of the space). */
    const char *dir = run_dir("optimum");
    int rc =
        run_fresh(dir, ", \"stop\": {\"max_evaluations\": 800, \"target_fitness\": 0.9999}", 0);
    CHECK(rc == EVO_OK);
    json_t *st = status_of(dir);
    json_t *c = json_object_get(st, "counters");
    double best = json_number_value(json_object_get(c, "best_fitness"));
    CHECK_MSG(best >= 0.9999, "best %g after %lld evaluations", best,
              (long long)json_integer_value(json_object_get(c, "evaluations")));
    CHECK(json_is_true(json_object_get(c, "finished")));
    CHECK_CONTAINS(json_string_value(json_object_get(c, "stop_reason")), "target_fitness");
    json_decref(st);
}

static void test_reproducible(void)
{
    const char *extra = ", \"stop\": {\"max_evaluations\": 150}";
    CHECK(run_fresh(run_dir("rep-a"), extra, 0) == EVO_OK);
    CHECK(run_fresh(run_dir("rep-b"), extra, 0) == EVO_OK);
    int64_t na = 0, nb = 0;
    char *a = fingerprint(run_dir("rep-a"), &na), *b = fingerprint(run_dir("rep-b"), &nb);
    CHECK(na == 150 && nb == 150);
    CHECK(a && b && strcmp(a, b) == 0);
    /* Interrupted twice and resumed: the same run as if nothing happened. */
    CHECK(run_fresh(run_dir("rep-c"), extra, 40) == EVO_EINTERRUPT);
    CHECK(run_resume(run_dir("rep-c"), 55) == EVO_EINTERRUPT);
    CHECK(run_resume(run_dir("rep-c"), 0) == EVO_OK);
    int64_t nc = 0;
    char *c = fingerprint(run_dir("rep-c"), &nc);
    CHECK(nc == 150);
    CHECK_MSG(a && c && strcmp(a, c) == 0, "resumed run diverged from the uninterrupted one");
    /* A different seed gives a different run. */
    CHECK(run_fresh(run_dir("rep-d"), ", \"seed\": 8, \"stop\": {\"max_evaluations\": 150}", 0) ==
          EVO_OK);
    int64_t nd = 0;
    char *d = fingerprint(run_dir("rep-d"), &nd);
    CHECK(d && a && strcmp(a, d) != 0);
    free(d);
    free(a);
    free(b);
    free(c);
}

static void test_concurrency(void)
{
    const char *dir = run_dir("conc");
    int rc =
        run_fresh(dir,
                  ", \"concurrency\": 4, \"stop\": {\"max_evaluations\": 200},"
                  " \"evaluator\": {\"kind\": \"synthetic\", \"synthetic\": {\"delay_ms\": 1}}",
                  0);
    CHECK(rc == EVO_OK);
    int64_t n = 0;
    char *fp = fingerprint(dir, &n);
    CHECK(n >= 200 && n <= 204);
    /* No hash twice: the same candidate is never evaluated twice. */
    int dup = 0;
    for (char *line = fp; line && *line; line = strchr(line, '\n') + 1) {
        for (char *other = strchr(line, '\n') + 1; *other; other = strchr(other, '\n') + 1)
            if (strncmp(line, other, 64) == 0) dup++;
    }
    CHECK_MSG(dup == 0, "%d duplicate hashes", dup);
    free(fp);
}

static void test_stops_and_finish(void)
{
    const char *dir = run_dir("stag");
    CHECK(run_fresh(dir, ", \"stop\": {\"max_evaluations\": 0, \"stagnation\": 25}", 0) == EVO_OK);
    json_t *st = status_of(dir);
    CHECK_CONTAINS(
        json_string_value(json_object_get(json_object_get(st, "counters"), "stop_reason")),
        "stagnation");
    json_decref(st);
    /* Resuming a finished run does nothing and says why. */
    evo_engine *e;
    CHECK(evo_engine_resume(&e, dir) == EVO_OK);
    run_state s = {0};
    CHECK(attach(&s, e) == EVO_OK);
    CHECK(evo_engine_run(e) == EVO_OK);
    CHECK_CONTAINS(evo_errmsg(e), "run already finished");
    evo_engine_close(e);

    /* A tiny space is exhausted rather than looping forever. */
    const char *tiny = run_dir("tiny");
    CHECK(run_fresh(tiny,
                    ", \"stop\": {\"max_evaluations\": 0},"
                    " \"evaluator\": {\"kind\": \"synthetic\", \"synthetic\": {\"dims\": 2, "
                    "\"levels\": 3}}",
                    0) == EVO_OK);
    st = status_of(tiny);
    json_t *c = json_object_get(st, "counters");
    CHECK_CONTAINS(json_string_value(json_object_get(c, "stop_reason")), "search space exhausted");
    CHECK(json_integer_value(json_object_get(c, "evaluations")) == 9);
    json_decref(st);
}

static void test_open_errors(void)
{
    const char *dir = run_dir("twice");
    CHECK(run_fresh(dir, ", \"stop\": {\"max_evaluations\": 5}", 0) == EVO_OK);
    evo_config *cfg = config("");
    evo_engine *e;
    CHECK(evo_engine_open(&e, dir, cfg) == EVO_ESTORE);
    CHECK_CONTAINS(evo_errmsg(e), "already holds a run");
    evo_engine_close(e);
    /* A second writer in the same directory is refused while the first holds it. */
    evo_engine *a, *b;
    CHECK(evo_engine_resume(&a, dir) == EVO_OK);
    CHECK(evo_engine_resume(&b, dir) == EVO_EBUSY);
    CHECK_CONTAINS(evo_errmsg(b), "in use by process");
    evo_engine_close(b);
    evo_engine_close(a);
    CHECK(evo_engine_resume(&e, run_dir("nothing-here")) != EVO_OK);
    evo_engine_close(e);
    evo_config_free(cfg);
}

static void test_failures_are_not_parents(void)
{
    const char *dir = run_dir("fail");
    CHECK(
        run_fresh(dir,
                  ", \"stop\": {\"max_evaluations\": 200},"
                  " \"evaluator\": {\"kind\": \"synthetic\", \"synthetic\": {\"fail_rate\": 0.3}}",
                  0) == EVO_OK);
    evo_run *r;
    CHECK(evo_run_open(&r, dir) == EVO_OK);
    int64_t n = evo_run_count(r), failed = 0, bad_parent = 0;
    char *failed_ids = calloc((size_t)n + 2, 1);
    for (int64_t id = 1; id <= n; id++) {
        evo_candidate *c;
        if (evo_run_candidate(r, id, &c) != EVO_OK) continue;
        if (evo_candidate_status(c) != EVO_STATUS_PASSED) {
            failed++;
            failed_ids[id] = 1;
        }
        json_t *rec = json_loads(evo_candidate_json(c), 0, NULL);
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(rec, "parents"), i, p)
        {
            int64_t pid = json_integer_value(p);
            if (pid > 0 && pid <= n && failed_ids[pid]) bad_parent++;
        }
        json_decref(rec);
        evo_candidate_free(c);
    }
    CHECK(failed > 20);
    CHECK_MSG(bad_parent == 0, "%lld children of failed candidates", (long long)bad_parent);
    free(failed_ids);
    evo_run_close(r);
}

int main(void)
{
    snprintf(tmp_root, sizeof tmp_root, "/tmp/evo-test-engine-%d", (int)getpid());
    test_reaches_optimum();
    test_reproducible();
    test_concurrency();
    test_stops_and_finish();
    test_open_errors();
    test_failures_are_not_parents();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_root);
    if (check_failed == 0 && system(cmd) != 0) fprintf(stderr, "cleanup failed\n");
    return CHECK_DONE();
}
