/* test_llm_search.c -- the LLM operator end to end, on the CPU: the synthetic evaluator (its
 * genomes are sources whose evo:params block declares P0..P3) and the loopback server
 * playing a scripted model. Asserts that model-made candidates are evaluated; that a
 * malformed evo:params block, a reply without code and a diff whose SEARCH text is absent
 * each become an INVALID candidate with the exact reason; that a failed candidate is
 * repaired; that template operators then tune kernels the model wrote; that plans, lessons,
 * prompts and usage are stored with their candidates; that a call budget stops the model;
 * that a run killed with SIGKILL in the middle of model traffic loses nothing committed and
 * resumes; and that the API key appears in no file of any run directory. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "config.h"
#include "evo.h"
#include "llm_operator.h"
#include "loopback.h"

#define KEY_ENV "EVO_TEST_LLM_KEY"

static char key[64];
static char tmp_root[256];

static char *synthetic_source(int p0, int p1, int p2, int p3, const char *extra)
{
    char *s = NULL;
    char p3line[64] = "";
    if (p3 >= 0) snprintf(p3line, sizeof p3line, "   P3 range 0..15 default %d\n", p3);
    if (asprintf(
            &s,
            "/* evo:params\n   P0 range 0..15 default %d\n   P1 range 0..15 default %d\n"
            "   P2 range 0..15 default %d\n%s*/\n/* evo:launch\n   kernel synthetic\n     grid 1\n"
            "     block 32\n*/\n/* a synthetic genome: the evaluator reads only its parameters "
            "*/\n%s",
            p0, p1, p2, p3line, extra) < 0)
        return NULL;
    return s;
}

static json_t *reply_step(const char *text, double delay)
{
    json_t *s = json_pack("{ss}", "reply", text);
    if (delay > 0) json_object_set_new(s, "delay", json_real(delay));
    return s;
}

static json_t *code_step(char *src, double delay)
{
    char *text = NULL;
    if (asprintf(&text, "Here is the new kernel.\n```cuda\n%s```\n", src) < 0) text = NULL;
    json_t *s = reply_step(text ? text : "", delay);
    free(text);
    free(src);
    return s;
}

/* The scripted model: a queue of executor replies covering each case, then good rewrites. */
static char *script(double delay)
{
    json_t *exec = json_array();
    json_array_append_new(exec, code_step(synthetic_source(3, 10, 1, 6, ""), delay));
    json_array_append_new(
        exec,
        reply_step(
            "<<<<<<< SEARCH\n/* a synthetic genome: the evaluator reads only its parameters */\n"
            "=======\n/* a synthetic genome: the evaluator reads only its parameters */\n"
            "/* variant made by a diff */\n>>>>>>> REPLACE\n",
            delay));
    json_array_append_new(exec, code_step(strdup("/* evo:params\n   P0 range 0..15 default 99\n*/\n"
                                                 "/* evo:launch\n kernel synthetic\n*/\n"),
                                          delay));
    json_array_append_new(exec,
                          code_step(synthetic_source(3, 10, 1, -1, "/* forgot P3 */\n"), delay));
    json_array_append_new(exec, reply_step("I would rather not write code today.", delay));
    json_array_append_new(
        exec,
        reply_step("<<<<<<< SEARCH\nthis line is not in the parent\n=======\nx\n>>>>>>> REPLACE\n",
                   delay));
    json_array_append_new(exec, code_step(synthetic_source(2, 9, 1, 8, "/* good 2 */\n"), delay));
    json_array_append_new(exec, code_step(synthetic_source(3, 10, 2, 7, "/* good 3 */\n"), delay));
    json_t *repair = json_array();
    json_array_append_new(
        repair, code_step(synthetic_source(3, 10, 1, 8, "/* repaired: P3 declared */\n"), delay));
    char lesson[256];
    /* The lesson echoes the key: the client must scrub it before anything is stored. */
    snprintf(lesson, sizeof lesson, "Moving P0 to 3 helped; keep P1 near 10. (debug %s)", key);
    json_t *root =
        json_pack("{s{s[o] so so s[o]}}", "roles", "planner",
                  reply_step("Plan: set P0 near 3 and P1 near 10; expose P3.", delay), "executor",
                  exec, "repair", repair, "summarizer", reply_step(lesson, 0));
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

static evo_config *config(int port, const char *extra)
{
    char text[4096], err[2048];
    snprintf(
        text, sizeof text,
        "{\"seed\": 11, \"concurrency\": 1, \"islands\": {\"count\": 1, \"population\": 40},"
        " \"operators\": {\"point\": 1, \"multi\": 1, \"crossover\": 0, \"restart\": 0, \"llm\": "
        "3},"
        " \"bandit\": {\"policy\": \"weights\"}, \"mutation\": {\"max_repairs\": 2},"
        " \"evaluator\": {\"kind\": \"synthetic\", \"synthetic\": {\"dims\": 4, \"levels\": 16}},"
        " \"store\": {\"sync\": \"none\"},"
        " \"llm\": {\"models\": [{\"name\": \"loop-a\", \"base_url\": \"http://127.0.0.1:%d/v1\","
        " \"model\": \"scripted\", \"api_key_env\": \"" KEY_ENV "\", \"timeout_s\": 5,"
        " \"price_in_per_mtok\": 1.0, \"price_out_per_mtok\": 2.0}],"
        " \"retries\": 1, \"backoff_ms\": 10, \"prompts_dir\": \"%s/configs/prompts\" %s}}",
        port, getcwd((char[512]){0}, 512), extra);
    evo_config *cfg = NULL;
    if (evo_config_parse(text, "test", &cfg, err, sizeof err) != EVO_OK)
        fprintf(stderr, "config: %s\n", err);
    return cfg;
}

static int run_fresh(const char *dir, int port, const char *stop_extra)
{
    char extra[512];
    snprintf(extra, sizeof extra, "%s", stop_extra);
    evo_config *cfg = config(port, extra);
    if (!cfg) return EVO_ECONFIG;
    /* Stop conditions sit outside "llm": splice them in through the top level. */
    evo_engine *e;
    int rc = evo_engine_open(&e, dir, cfg);
    evo_config_free(cfg);
    /* The config's synthetic evaluator, its seed and (operators.llm has a weight) the LLM
     * operator; the engine owns them and frees them when it closes. */
    if (rc == EVO_OK) rc = evo_engine_configure(e);
    if (rc == EVO_OK) rc = evo_engine_run(e);
    if (rc != EVO_OK) fprintf(stderr, "run: %s\n", evo_errmsg(e));
    evo_engine_close(e);
    return rc;
}

/* ---- looking at a run ------------------------------------------------------------------- */

typedef struct tally {
    int llm_passed, llm_invalid, tuned_llm, repaired_passed, with_plan, with_lesson, with_prompts;
    int bad_params, no_code, absent_search, budget_stop, shape_failed;
    int64_t count;
} tally;

static void look(const char *dir, tally *t)
{
    memset(t, 0, sizeof *t);
    evo_run *r;
    if (evo_run_open(&r, dir) != EVO_OK) {
        CHECK_MSG(0, "open %s: %s", dir, evo_run_errmsg(r));
        evo_run_close(r);
        return;
    }
    t->count = evo_run_count(r);
    for (int64_t id = 1; id <= t->count; id++) {
        evo_candidate *c;
        if (evo_run_candidate(r, id, &c) != EVO_OK) continue;
        json_t *j = json_loads(evo_candidate_json(c), 0, NULL);
        const char *op = json_string_value(json_object_get(j, "operator"));
        const char *tmpl = json_string_value(json_object_get(j, "template"));
        const char *st = json_string_value(json_object_get(j, "status"));
        const char *err = json_string_value(json_object_get(j, "error"));
        json_t *notes = json_object_get(j, "notes");
        int is_llm = op && strcmp(op, "llm") == 0;
        int passed = st && strcmp(st, "PASSED") == 0;
        if (is_llm && passed && tmpl && strncmp(tmpl, "llm-", 4) == 0) t->llm_passed++;
        if (is_llm && st && strcmp(st, "INVALID") == 0) t->llm_invalid++;
        if (!is_llm && op && (strcmp(op, "point") == 0 || strcmp(op, "multi") == 0) && tmpl &&
            strncmp(tmpl, "llm-", 4) == 0)
            t->tuned_llm++;
        if (is_llm && passed && !json_is_null(json_object_get(j, "repair_of")) &&
            json_object_get(notes, "repair.prompt"))
            t->repaired_passed++;
        if (is_llm && st && strcmp(st, "INCORRECT_SHAPE") == 0 && err &&
            strstr(err, "parameter P3 is missing"))
            t->shape_failed++;
        if (json_object_get(notes, "plan")) t->with_plan++;
        if (json_object_get(notes, "lesson")) t->with_lesson++;
        if (json_object_get(notes, "plan.prompt") && json_object_get(notes, "execute.reply"))
            t->with_prompts++;
        if (err &&
            strstr(err,
                   "model 'loop-a' wrote a source that cannot be used: evo:params block: line 2:"))
            t->bad_params++;
        if (err &&
            strstr(err, "model 'loop-a' reply not applied: the reply has no code: no fenced code "
                        "block and no SEARCH/REPLACE block"))
            t->no_code++;
        if (err &&
            strstr(err, "model 'loop-a' reply not applied: SEARCH/REPLACE block 1: SEARCH text not "
                        "found in the parent (first line: 'this line is not in the parent')"))
            t->absent_search++;
        if (err && strstr(err, "llm call skipped: the LLM budget is exhausted")) t->budget_stop++;
        json_decref(j);
        evo_candidate_free(c);
    }
    evo_run_close(r);
}

static json_t *status_of(const char *dir)
{
    evo_run *r;
    char *text = NULL;
    if (evo_run_open(&r, dir) == EVO_OK) evo_run_status_json(r, &text);
    evo_run_close(r);
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    return j;
}

/* Whether any file under dir contains needle (binary-safe). */
static int grep_dir(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *de;
    int found = 0;
    size_t k = strlen(needle);
    while (!found && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            found = grep_dir(path, needle);
            continue;
        }
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        char *buf = malloc((size_t)st.st_size + 1);
        size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
        fclose(f);
        for (size_t i = 0; buf && i + k <= n && !found; i++)
            if (buf[i] == needle[0] && memcmp(buf + i, needle, k) == 0) found = 1;
        free(buf);
    }
    closedir(d);
    return found;
}

/* ---- the tests -------------------------------------------------------------------------- */

static void test_search(void)
{
    char *sc = script(0);
    loopback lb;
    CHECK(loopback_start(&lb, sc, KEY_ENV, 120) == 0);
    free(sc);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/search", tmp_root);
    /* The config's stop section: */
    CHECK(run_fresh(dir, lb.port, "}, \"stop\": {\"max_evaluations\": 45") == EVO_OK);
    loopback_stop(&lb);
    tally t;
    look(dir, &t);
    printf("search: %lld candidates, %d model-made passed, %d invalid, %d repaired, %d tuned by "
           "template operators\n",
           (long long)t.count, t.llm_passed, t.llm_invalid, t.repaired_passed, t.tuned_llm);
    CHECK_MSG(t.count >= 45, "%lld candidates", (long long)t.count);
    CHECK_MSG(t.llm_passed >= 3, "model-made candidates that passed: %d", t.llm_passed);
    CHECK_MSG(t.bad_params == 1, "malformed evo:params recorded %d times", t.bad_params);
    CHECK_MSG(t.no_code == 1, "reply without code recorded %d times", t.no_code);
    CHECK_MSG(t.absent_search == 1, "absent SEARCH text recorded %d times", t.absent_search);
    CHECK_MSG(t.shape_failed == 1, "the candidate missing P3 failed %d times", t.shape_failed);
    CHECK_MSG(t.repaired_passed >= 1, "repaired candidates that passed: %d", t.repaired_passed);
    CHECK_MSG(t.tuned_llm >= 1, "template mutations of model-made kernels: %d", t.tuned_llm);
    CHECK_MSG(t.with_plan >= 3 && t.with_lesson >= 3 && t.with_prompts >= 3,
              "plans %d lessons %d prompts %d", t.with_plan, t.with_lesson, t.with_prompts);
    json_t *st = status_of(dir);
    json_t *u = json_object_get(st, "usage");
    json_t *m = json_object_get(json_object_get(u, "models"), "loop-a");
    CHECK_MSG(json_integer_value(json_object_get(m, "calls")) >= 10, "calls %lld",
              (long long)json_integer_value(json_object_get(m, "calls")));
    CHECK(json_integer_value(json_object_get(u, "tokens_in")) > 0);
    CHECK(json_number_value(json_object_get(u, "cost_usd")) > 0);
    json_decref(st);
    CHECK_MSG(!grep_dir(dir, key), "the API key was found in %s", dir);
    CHECK_MSG(grep_dir(dir, "Moving P0 to 3 helped"), "lessons are stored in %s", dir);
}

static void test_budget(void)
{
    char *sc = script(0);
    loopback lb;
    CHECK(loopback_start(&lb, sc, KEY_ENV, 60) == 0);
    free(sc);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/budget", tmp_root);
    CHECK(run_fresh(dir, lb.port, ", \"max_calls\": 4}, \"stop\": {\"max_evaluations\": 20") ==
          EVO_OK);
    loopback_stop(&lb);
    tally t;
    look(dir, &t);
    /* Once the budget is spent the model operator leaves the bandit, so only jobs already
     * planned can meet the exhausted budget. */
    CHECK_MSG(t.budget_stop <= 2, "budget stops recorded: %d", t.budget_stop);
    json_t *st = status_of(dir);
    int64_t calls = json_integer_value(json_object_get(json_object_get(st, "usage"), "calls"));
    /* Checked before every call against committed usage: at most one job's calls over. */
    CHECK_MSG(calls >= 4 && calls <= 4 + 2 + 2, "calls %lld with max_calls 4", (long long)calls);
    json_decref(st);
}

typedef struct snapshot {
    int64_t n;
    char (*hash)[65];
} snapshot;

static void snap(const char *dir, snapshot *s)
{
    s->n = 0;
    s->hash = NULL;
    evo_run *r;
    if (evo_run_open(&r, dir) != EVO_OK) {
        evo_run_close(r);
        return;
    }
    s->n = evo_run_count(r);
    s->hash = calloc((size_t)s->n + 1, sizeof *s->hash);
    for (int64_t id = 1; id <= s->n; id++) {
        evo_candidate *c;
        if (evo_run_candidate(r, id, &c) != EVO_OK) continue;
        snprintf(s->hash[id - 1], 65, "%s", evo_genome_hash(evo_candidate_genome(c)));
        evo_candidate_free(c);
    }
    evo_run_close(r);
}

static int same_prefix(const snapshot *before, const snapshot *after)
{
    if (after->n < before->n) return 0;
    for (int64_t i = 0; i < before->n; i++)
        if (strcmp(before->hash[i], after->hash[i]) != 0) return 0;
    return 1;
}

static void test_kill_resume(void)
{
    /* Slow model replies, so the kill lands while requests are in flight. */
    char *sc = script(0.05);
    loopback lb;
    CHECK(loopback_start(&lb, sc, KEY_ENV, 120) == 0);
    free(sc);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/killed", tmp_root);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = run_fresh(dir, lb.port, "}, \"stop\": {\"max_evaluations\": 40");
        _exit(rc == EVO_OK ? 0 : 1);
    }
    snapshot before = {0};
    for (int i = 0; i < 400; i++) {
        usleep(50 * 1000);
        free(before.hash);
        snap(dir, &before);
        if (before.n >= 8) break;
    }
    usleep(70 * 1000); /* into the middle of the next model call */
    free(before.hash);
    snap(dir, &before);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_MSG(WIFSIGNALED(status), "the run ended before it was killed (%lld candidates)",
              (long long)before.n);
    CHECK_MSG(before.n >= 8, "%lld candidates before the kill", (long long)before.n);
    snapshot after = {0};
    snap(dir, &after);
    CHECK_MSG(same_prefix(&before, &after),
              "committed candidates changed after SIGKILL (%lld -> %lld)", (long long)before.n,
              (long long)after.n);

    evo_engine *e;
    int rc = evo_engine_resume(&e, dir);
    if (rc == EVO_OK) rc = evo_engine_configure(e);
    if (rc == EVO_OK) rc = evo_engine_run(e);
    CHECK_MSG(rc == EVO_OK, "resume: %s", evo_errmsg(e));
    evo_engine_close(e);
    loopback_stop(&lb);
    snapshot done = {0};
    snap(dir, &done);
    CHECK_MSG(done.n >= 40, "%lld candidates after the resume", (long long)done.n);
    CHECK(same_prefix(&after, &done));
    CHECK_MSG(!grep_dir(dir, key), "the API key was found in %s", dir);
    free(before.hash);
    free(after.hash);
    free(done.hash);
}

/* Two models under a policy; returns the run directory's tally of models and hand-offs. */
static void run_ensemble(const char *policy, int *calls_a, int *calls_b, int *handoffs,
                         char *handoff, size_t hlen)
{
    *calls_a = *calls_b = *handoffs = 0;
    handoff[0] = 0;
    /* Every executor reply is the same small diff: children are "stale", blocks never improve. */
    json_t *root = json_pack(
        "{s{s[{ss}] s[{ss}] s[{ss}]}}", "roles", "planner", "reply", "Plan: add a comment line.",
        "executor", "reply",
        "<<<<<<< SEARCH\n/* a synthetic genome: the evaluator reads only its parameters */\n"
        "=======\n/* a synthetic genome: the evaluator reads only its parameters */\n"
        "/* one more comment */\n>>>>>>> REPLACE\n",
        "summarizer", "reply", "Comments change nothing.");
    char *sc = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    loopback lb;
    CHECK(loopback_start(&lb, sc, KEY_ENV, 60) == 0);
    free(sc);
    char text[4096], err[2048], cwd[512], dir[600];
    snprintf(
        text, sizeof text,
        "{\"seed\": 2, \"islands\": {\"count\": 1, \"population\": 40},"
        " \"operators\": {\"point\": 0.05, \"multi\": 0, \"crossover\": 0, \"restart\": 0, "
        "\"llm\": 1},"
        " \"bandit\": {\"policy\": \"weights\"}, \"stop\": {\"max_evaluations\": 16},"
        " \"evaluator\": {\"kind\": \"synthetic\"}, \"store\": {\"sync\": \"none\"},"
        " \"llm\": {\"policy\": \"%s\", \"block_size\": 2, \"prompts_dir\": \"%s/configs/prompts\","
        " \"models\": [{\"name\": \"loop-a\", \"base_url\": \"http://127.0.0.1:%d/v1\", \"model\": "
        "\"a\","
        " \"api_key_env\": \"" KEY_ENV "\", \"price_in_per_mtok\": 1}, {\"name\": \"loop-b\","
        " \"base_url\": \"http://127.0.0.1:%d/v1\", \"model\": \"b\", \"api_key_env\": \"" KEY_ENV
        "\","
        " \"price_in_per_mtok\": 1}]}}",
        policy, getcwd(cwd, sizeof cwd), lb.port, lb.port);
    snprintf(dir, sizeof dir, "%s/ensemble_%s", tmp_root, policy);
    evo_config *cfg = NULL;
    int rc = evo_config_parse(text, "ensemble", &cfg, err, sizeof err);
    CHECK_MSG(rc == EVO_OK, "%s", err);
    evo_engine *e = NULL;
    if (rc == EVO_OK) rc = evo_engine_open(&e, dir, cfg);
    evo_config_free(cfg);
    if (rc == EVO_OK) rc = evo_engine_configure(e);
    if (rc == EVO_OK) rc = evo_engine_run(e);
    CHECK_MSG(rc == EVO_OK, "ensemble run: %s", evo_errmsg(e));
    evo_engine_close(e);
    loopback_stop(&lb);
    evo_run *r;
    if (evo_run_open(&r, dir) != EVO_OK) {
        evo_run_close(r);
        return;
    }
    for (int64_t id = 1; id <= evo_run_count(r); id++) {
        evo_candidate *c;
        if (evo_run_candidate(r, id, &c) != EVO_OK) continue;
        json_t *j = json_loads(evo_candidate_json(c), 0, NULL);
        json_t *notes = json_object_get(j, "notes");
        const char *model = json_string_value(json_object_get(notes, "llm.model"));
        const char *h = json_string_value(json_object_get(notes, "handoff"));
        if (model && strcmp(model, "loop-a") == 0) (*calls_a)++;
        if (model && strcmp(model, "loop-b") == 0) (*calls_b)++;
        if (h) {
            if (!*handoffs) snprintf(handoff, hlen, "%s", h);
            (*handoffs)++;
        }
        json_decref(j);
        evo_candidate_free(c);
    }
    evo_run_close(r);
}

static void test_ensembles(void)
{
    int a, b, h;
    char handoff[2048];
    run_ensemble("block", &a, &b, &h, handoff, sizeof handoff);
    CHECK_MSG(a >= 2 && b >= 2, "block policy: loop-a %d, loop-b %d children", a, b);
    CHECK_MSG(h >= 1, "block policy: %d hand-off notes", h);
    CHECK_CONTAINS(
        handoff, "You take over from model 'loop-a', whose last 2 attempts brought no improvement. "
                 "What it tried:\n- Plan: add a comment line. (stale)\n");
    run_ensemble("bandit", &a, &b, &h, handoff, sizeof handoff);
    CHECK_MSG(a >= 1 && b >= 1 && h == 0, "bandit policy: loop-a %d, loop-b %d, hand-offs %d", a, b,
              h);
    run_ensemble("weights", &a, &b, &h, handoff, sizeof handoff);
    CHECK_MSG(a >= 1 && b >= 1 && h == 0, "weights policy: loop-a %d, loop-b %d, hand-offs %d", a,
              b, h);
}

static void test_create_errors(void)
{
    char err[1024];
    const char *err_p = err;
    evo_operator op;
    evo_config *cfg = NULL;
    CHECK(evo_config_parse("{}", "t", &cfg, err, sizeof err) == EVO_OK);
    CHECK(llm_operator_create(config_get(cfg, "llm"), cfg->dir, &op, err, sizeof err) ==
          EVO_ECONFIG);
    CHECK_CONTAINS(err_p, "llm: operators.llm is enabled but llm.models is empty");
    evo_config_free(cfg);
    CHECK(evo_config_parse(
              "{\"llm\": {\"prompts_dir\": \"/nonexistent\", \"models\": [{\"name\": \"a\","
              " \"base_url\": \"http://127.0.0.1:1/v1\", \"model\": \"m\"}]}}",
              "t", &cfg, err, sizeof err) == EVO_OK);
    CHECK(llm_operator_create(config_get(cfg, "llm"), cfg->dir, &op, err, sizeof err) ==
          EVO_ECONFIG);
    CHECK_CONTAINS(err_p, "cannot read prompt template /nonexistent/system.txt");
    evo_config_free(cfg);
}

int main(void)
{
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    snprintf(key, sizeof key, "sk-e2e-%08x%08x", (unsigned)rand(), (unsigned)rand());
    setenv(KEY_ENV, key, 1);
    loopback probe;
    int rc = loopback_start(&probe, "{}", NULL, 5);
    if (rc == 77) CHECK_SKIP("python3 is not available for the loopback server");
    if (rc != 0) {
        fprintf(stderr, "cannot start tests/llm_server.py (run from the repository root)\n");
        return 1;
    }
    loopback_stop(&probe);
    snprintf(tmp_root, sizeof tmp_root, "/tmp/evo_test_llm_search_%d", (int)getpid());
    mkdir(tmp_root, 0700);
    double t0 = (double)time(NULL);
    test_create_errors();
    test_search();
    printf("search done after %.0f s\n", (double)time(NULL) - t0);
    test_budget();
    printf("budget done after %.0f s\n", (double)time(NULL) - t0);
    test_ensembles();
    printf("ensembles done after %.0f s\n", (double)time(NULL) - t0);
    test_kill_resume();
    printf("kill/resume done after %.0f s\n", (double)time(NULL) - t0);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_root);
    if (!check_failed && !getenv("EVO_TEST_KEEP") && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp_root);
    return CHECK_DONE();
}
