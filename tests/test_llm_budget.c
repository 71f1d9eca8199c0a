/* test_llm_budget.c -- a hostile model server against the LLM budgets and secrets (issue 18,
 * items 7 and 8), on the CPU with the loopback server (tests/llm_server.py) and the synthetic
 * evaluator:
 *   - usage that is negative, not an integer, NaN, infinite or absurd is refused and the
 *     call charged at its bound (the client), and a cost budget holds under it (the server
 *     counts the calls a run made);
 *   - a run killed with SIGKILL five times with requests in flight, then resumed, has every
 *     request the server received counted in its store (over-counting allowed, never under);
 *   - a server echoing a 191-character key (whole, cut, \u-escaped, in an error or in a
 *     reply, or another model's key) leaves no 16-character run of it in any reply, error,
 *     store file or trace;
 *   - a base_url with credentials is refused at validation, naming the key, not the password;
 *   - an interrupt during a long Retry-After stops the run within seconds.
 * Every case is counted in `hostile`, printed at the end. */
#include <dirent.h>
#include <pthread.h>
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
#include "llm_client.h"
#include "loopback.h"

#define KEY_ENV "EVO_TEST_BUDGET_KEY"
#define KEY2_ENV "EVO_TEST_BUDGET_KEY2"
#define RUN 16 /* the shortest run of key characters that counts as a leak */

static char key[192], key2[192];
static char tmp_root[256];
static int hostile;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void random_key(char *k, size_t len, const char *prefix)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t p = strlen(prefix);
    memcpy(k, prefix, p);
    for (size_t i = p; i < len; i++)
        k[i] = abc[(unsigned)rand() % (sizeof abc - 1)];
    k[len] = 0;
}

/* Where a run of RUN characters of secret occurs in buf (n bytes), or -1. */
static long leak_at(const char *buf, size_t n, const char *secret)
{
    size_t k = strlen(secret);
    for (size_t i = 0; i + RUN <= n; i++)
        for (size_t j = 0; j + RUN <= k; j++)
            if (buf[i] == secret[j] && memcmp(buf + i, secret + j, RUN) == 0) return (long)i;
    return -1;
}

static int leaks(const char *text, const char *secret)
{
    return text && leak_at(text, strlen(text), secret) >= 0;
}

/* The first file under dir holding a run of secret (path into found), or 0. */
static int leak_in_dir(const char *dir, const char *secret, char *found, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *de;
    int hit = 0;
    while (!hit && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            hit = leak_in_dir(path, secret, found, cap);
            continue;
        }
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        char *buf = malloc((size_t)st.st_size + 1);
        size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
        fclose(f);
        long at = buf ? leak_at(buf, n, secret) : -1;
        if (at >= 0) {
            snprintf(found, cap, "%s at byte %ld", path, at);
            hit = 1;
        }
        free(buf);
    }
    closedir(d);
    return hit;
}

static long stats_requests(const char *path)
{
    json_t *j = json_load_file(path, 0, NULL);
    long n = (long)json_integer_value(json_object_get(j, "requests"));
    json_decref(j);
    return n;
}

/* ---- the client ---------------------------------------------------------------------- */

static llm_client *client_for(int port)
{
    llm_model_cfg m[2];
    memset(m, 0, sizeof m);
    for (int i = 0; i < 2; i++) {
        snprintf(m[i].name, sizeof m[i].name, "loop%d", i);
        snprintf(m[i].base_url, sizeof m[i].base_url, "http://127.0.0.1:%d/v1", port);
        snprintf(m[i].model, sizeof m[i].model, "scripted");
        snprintf(m[i].api_key_env, sizeof m[i].api_key_env, "%s", i ? KEY2_ENV : KEY_ENV);
        m[i].top_p = 1;
        m[i].max_tokens = 256;
        m[i].timeout_s = 5;
        m[i].price_in_per_mtok = 2.0;
        m[i].price_out_per_mtok = 8.0;
        m[i].weight = 1;
    }
    llm_client_opts o = {
        .retries = 0, .backoff_ms = 10, .max_reply_bytes = 65536, .max_in_flight = 2};
    char err[256];
    llm_client *c = llm_client_new(m, 2, &o, err, sizeof err);
    if (!c) fprintf(stderr, "client: %s\n", err);
    return c;
}

/* One call to model 0 against a server playing one step; 0 or -1. */
static int one_call(const char *step_json, llm_reply *r)
{
    char script[8192];
    snprintf(script, sizeof script, "{\"steps\": [%s]}", step_json);
    loopback lb;
    if (loopback_start(&lb, script, KEY_ENV, 30) != 0) return -1;
    llm_client *c = client_for(lb.port);
    llm_call call = {.model = 0, .system = "sys", .user = "## Role: executor\nhello"};
    llm_chat(c, &call, r);
    llm_client_free(c);
    loopback_stop(&lb);
    return 0;
}

/* The bound of that call: (3 + 23 + 64) bytes in at $2/M, 256 tokens out at $8/M. */
#define CALL_BOUND_USD ((3 + 23 + 64) * 2.0 / 1e6 + 256 * 8.0 / 1e6)

static void expect_bad_usage(const char *name, const char *usage_raw)
{
    hostile++;
    char step[1024];
    json_t *s = json_pack("{ss ss}", "reply", "fine", "usage_raw", usage_raw);
    char *t = json_dumps(s, JSON_COMPACT);
    snprintf(step, sizeof step, "%s", t);
    free(t);
    json_decref(s);
    llm_reply r;
    if (one_call(step, &r) != 0) {
        CHECK_MSG(0, "%s: server did not start", name);
        return;
    }
    CHECK_MSG(r.tokens_in >= 0 && r.tokens_out >= 0 && r.tokens_in <= 10000000 &&
                  r.tokens_out <= 10000000,
              "%s: tokens %lld in, %lld out", name, (long long)r.tokens_in,
              (long long)r.tokens_out);
    /* Charged conservatively: at least what the call could have cost. */
    CHECK_MSG(r.cost_usd >= CALL_BOUND_USD * 0.999 && r.cost_usd < 1,
              "%s: charged $%g, the call's bound is $%g", name, r.cost_usd, CALL_BOUND_USD);
#ifdef LLM_USAGE_ABSURD
    CHECK_MSG(r.usage_bad && strstr(r.usage_note, "bad usage from the server"),
              "%s: not recorded as bad usage (%s)", name, r.usage_note);
#endif
    llm_reply_clear(&r);
}

static void test_usage(void)
{
    expect_bad_usage("negative", "{\"prompt_tokens\": -1000000, \"completion_tokens\": -1000000}");
    expect_bad_usage("negative out", "{\"prompt_tokens\": 5, \"completion_tokens\": -3}");
    expect_bad_usage("strings", "{\"prompt_tokens\": \"12\", \"completion_tokens\": \"3\"}");
    expect_bad_usage("reals", "{\"prompt_tokens\": 1e308, \"completion_tokens\": 1e308}");
    expect_bad_usage("negative real", "{\"prompt_tokens\": -0.5, \"completion_tokens\": 1}");
    expect_bad_usage("2^62", "{\"prompt_tokens\": 4611686018427387904, \"completion_tokens\": "
                             "4611686018427387904}");
    expect_bad_usage("int64 max",
                     "{\"prompt_tokens\": 9223372036854775807, \"completion_tokens\": 1}");
    expect_bad_usage("just absurd", "{\"prompt_tokens\": 10000001, \"completion_tokens\": 1}");
    expect_bad_usage("NaN", "{\"prompt_tokens\": NaN, \"completion_tokens\": NaN}");
    expect_bad_usage("Infinity", "{\"prompt_tokens\": Infinity, \"completion_tokens\": -Infinity}");
    expect_bad_usage("objects", "{\"prompt_tokens\": {}, \"completion_tokens\": []}");
    /* At the bound itself the server is believed. */
    llm_reply r;
    CHECK(one_call("{\"reply\": \"fine\", \"usage\": [10000000, 0]}", &r) == 0);
    CHECK_MSG(r.rc == EVO_OK && r.tokens_in == 10000000, "bound: rc %d, %lld in", r.rc,
              (long long)r.tokens_in);
    llm_reply_clear(&r);
}

static void expect_no_echo(const char *name, const char *step_json, int model)
{
    hostile++;
    char script[8192];
    snprintf(script, sizeof script, "{\"steps\": [%s]}", step_json);
    loopback lb;
    if (loopback_start(&lb, script, model ? KEY2_ENV : KEY_ENV, 30) != 0) {
        CHECK_MSG(0, "%s: server did not start", name);
        return;
    }
    llm_client *c = client_for(lb.port);
    llm_call call = {.model = model, .system = "sys", .user = "## Role: executor\nhello"};
    llm_reply r;
    llm_chat(c, &call, &r);
    llm_client_free(c);
    loopback_stop(&lb);
    CHECK_MSG(!leaks(r.error, key) && !leaks(r.error, key2), "%s: the key leaks into '%s'", name,
              r.error);
    CHECK_MSG(!leaks(r.content, key) && !leaks(r.content, key2), "%s: the key leaks into '%s'",
              name, r.content ? r.content : "");
    llm_reply_clear(&r);
}

static void test_echo(void)
{
    expect_no_echo("400 echoing the whole header", "{\"echo_auth\": true}", 0);
    expect_no_echo("400 echoing 100 characters", "{\"echo_auth\": true, \"prefix\": 100}", 0);
    expect_no_echo("400 echoing 30 characters", "{\"echo_auth\": true, \"prefix\": 30}", 0);
    expect_no_echo("200 echoing the header", "{\"echo_auth\": true, \"code\": 200}", 0);
    expect_no_echo("200 echoing 140 characters",
                   "{\"echo_auth\": true, \"code\": 200, \"prefix\": 140}", 0);
    expect_no_echo("400 echoing it \\u-escaped", "{\"echo_auth\": true, \"escape\": true}", 0);
    expect_no_echo("200 echoing it \\u-escaped",
                   "{\"echo_auth\": true, \"escape\": true, \"code\": 200}", 0);
    expect_no_echo("429 echoing it", "{\"echo_auth\": true, \"code\": 429}", 0);
    /* A reply to model 0 that names model 1's key (a shared proxy's log), in the middle. */
    char step[1024];
    snprintf(step, sizeof step, "{\"reply\": \"debug: other key %.*s...\"}", 120, key2 + 30);
    expect_no_echo("another model's key, cut", step, 0);
    snprintf(step, sizeof step, "{\"status\": 500, \"body\": \"upstream said %.*s\"}", 60,
             key + 100);
    expect_no_echo("500 with a middle part of the key", step, 0);
}

/* ---- the engine ---------------------------------------------------------------------- */

static evo_config *engine_config(int port, int concurrency, const char *llm_extra,
                                 const char *top_extra)
{
    char text[4096], err[2048], cwd[512];
    snprintf(text, sizeof text,
             "{\"seed\": 5, \"concurrency\": %d, \"islands\": {\"count\": 1, \"population\": 40},"
             " \"operators\": {\"point\": 0.2, \"multi\": 0, \"crossover\": 0, \"restart\": 0, "
             "\"llm\": 3}, \"bandit\": {\"policy\": \"weights\"}, \"mutation\": {\"max_repairs\": "
             "1}, \"evaluator\": {\"kind\": \"synthetic\", \"synthetic\": {\"dims\": 4, "
             "\"levels\": 16}}, \"store\": {\"sync\": \"none\"} %s,"
             " \"llm\": {\"models\": [{\"name\": \"loop-a\", \"base_url\": "
             "\"http://127.0.0.1:%d/v1\", \"model\": \"scripted\", \"api_key_env\": \"" KEY_ENV
             "\", \"timeout_s\": 10, \"max_tokens\": 1000, \"price_in_per_mtok\": 1.0, "
             "\"price_out_per_mtok\": 2.0}], \"backoff_ms\": 10, "
             "\"prompts_dir\": \"%s/configs/prompts\" %s}}",
             concurrency, top_extra, port, getcwd(cwd, sizeof cwd), llm_extra);
    evo_config *cfg = NULL;
    if (evo_config_parse(text, "test", &cfg, err, sizeof err) != EVO_OK)
        fprintf(stderr, "config: %s\n", err);
    return cfg;
}

static int run_engine(const char *dir, evo_config *cfg)
{
    evo_engine *e = NULL;
    int rc = cfg ? evo_engine_open(&e, dir, cfg) : EVO_ECONFIG;
    evo_config_free(cfg);
    if (rc == EVO_OK) rc = evo_engine_configure(e);
    if (rc == EVO_OK) rc = evo_engine_run(e);
    if (rc != EVO_OK) fprintf(stderr, "run %s: %s\n", dir, evo_errmsg(e));
    evo_engine_close(e);
    return rc;
}

static int resume_engine(const char *dir)
{
    evo_engine *e = NULL;
    int rc = evo_engine_resume(&e, dir);
    if (rc == EVO_OK) rc = evo_engine_configure(e);
    if (rc == EVO_OK) rc = evo_engine_run(e);
    if (rc != EVO_OK) fprintf(stderr, "resume %s: %s\n", dir, evo_errmsg(e));
    evo_engine_close(e);
    return rc;
}

static json_t *usage_of(const char *dir)
{
    evo_run *r;
    char *text = NULL;
    if (evo_run_open(&r, dir) == EVO_OK) evo_run_status_json(r, &text);
    evo_run_close(r);
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    json_t *u = json_incref(json_object_get(j, "usage"));
    json_decref(j);
    return u;
}

/* A script whose every reply carries usage_raw, with the stats in stats_path. */
static char *usage_script(const char *usage_raw, const char *stats_path, double delay)
{
    json_t *step = json_pack("{ss ss sf}", "reply",
                             "Here.\n```cuda\n/* evo:params\n   P0 range 0..15 default 4\n   P1 "
                             "range 0..15 default 9\n   P2 range 0..15 default 2\n   P3 range "
                             "0..15 default 7\n*/\n/* evo:launch\n   kernel synthetic\n     grid "
                             "1\n     block 32\n*/\n/* a synthetic genome */\n```\n",
                             "usage_raw", usage_raw, "delay", delay);
    json_t *root = json_pack("{ss s{s[O] s[O] s[O] s[O]}}", "stats_file", stats_path, "roles",
                             "planner", step, "executor", step, "repair", step, "summarizer", step);
    json_decref(step);
    char *t = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return t;
}

static void budget_case(const char *name, const char *usage_raw)
{
    hostile++;
    char dir[512], stats[512];
    snprintf(dir, sizeof dir, "%s/budget_%s", tmp_root, name);
    snprintf(stats, sizeof stats, "%s/budget_%s.stats", tmp_root, name);
    char *sc = usage_script(usage_raw, stats, 0);
    loopback lb;
    CHECK(loopback_start(&lb, sc, KEY_ENV, 120) == 0);
    free(sc);
    /* One call's bound: about 5 KB of prompt at $1/M and 1000 tokens at $2/M, under a cent. */
    int rc = run_engine(dir, engine_config(lb.port, 2, ", \"retries\": 1, \"max_cost_usd\": 0.01",
                                           ", \"stop\": {\"max_evaluations\": 40}"));
    loopback_stop(&lb);
    CHECK_MSG(rc == EVO_OK, "%s: run rc %d", name, rc);
    long calls = stats_requests(stats);
    json_t *u = usage_of(dir);
    double cost = json_number_value(json_object_get(u, "cost_usd"));
    long stored = (long)json_integer_value(json_object_get(u, "calls"));
    printf("budget under %s usage: %ld calls reached the server, %ld stored, $%.4f\n", name, calls,
           stored, cost);
    /* Each call is charged at least its bound ($0.002 or more): the cent is spent after a few
     * calls (plus those already reserved by the two workers when it ran out). */
    CHECK_MSG(calls >= 1 && calls <= 8, "%s: %ld calls under max_cost_usd 0.01", name, calls);
    CHECK_MSG(cost >= 0.01 && cost < 1, "%s: the store says $%g was spent", name, cost);
    CHECK_MSG(stored >= calls, "%s: %ld calls stored, the server had %ld", name, stored, calls);
    json_decref(u);
}

static void test_budget(void)
{
    budget_case("negative", "{\"prompt_tokens\": -1000000000, \"completion_tokens\": -1000000000}");
    budget_case("nan", "{\"prompt_tokens\": NaN, \"completion_tokens\": NaN}");
    budget_case("strings", "{\"prompt_tokens\": \"0\", \"completion_tokens\": \"0\"}");
}

static void test_kill(void)
{
    char dir[512], stats[512];
    snprintf(dir, sizeof dir, "%s/killed", tmp_root);
    snprintf(stats, sizeof stats, "%s/killed.stats", tmp_root);
    char *sc = usage_script("{\"prompt_tokens\": 100, \"completion_tokens\": 50}", stats, 0.25);
    loopback lb;
    CHECK(loopback_start(&lb, sc, KEY_ENV, 300) == 0);
    free(sc);
    int kills = 0;
    for (int round = 0; round < 5; round++) {
        long before = stats_requests(stats);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            int rc = round == 0
                         ? run_engine(dir, engine_config(lb.port, 4, ", \"retries\": 1",
                                                         ", \"stop\": {\"max_wall_seconds\": "
                                                         "12}"))
                         : resume_engine(dir);
            _exit(rc == EVO_OK ? 0 : 1);
        }
        /* Wait for this session's traffic, then kill at a moment when requests are in flight
         * (each reply takes 0.25 s, four workers). */
        for (int i = 0; i < 400 && stats_requests(stats) < before + 3 + round; i++)
            usleep(20 * 1000);
        usleep((useconds_t)(100 + rand() % 200) * 1000);
        kill(pid, SIGKILL);
        int st = 0;
        waitpid(pid, &st, 0);
        kills += WIFSIGNALED(st);
        hostile++;
    }
    CHECK_MSG(kills == 5, "%d of 5 sessions were killed (others ended first)", kills);
    /* The last session runs to the end (12 s of run time over all sessions); the calls the
     * kills left unsettled are charged when it resumes. */
    long at_kill = stats_requests(stats);
    /* Before any resume the status already counts the calls the last kill cut off. */
    json_t *u0 = usage_of(dir);
    long stored0 = (long)json_integer_value(json_object_get(u0, "calls"));
    json_decref(u0);
    CHECK_MSG(stored0 >= at_kill, "after the kills the status counts %ld calls, the server had %ld",
              stored0, at_kill);
    CHECK(resume_engine(dir) == EVO_OK);
    loopback_stop(&lb);
    long served = stats_requests(stats);
    json_t *u = usage_of(dir);
    long stored = (long)json_integer_value(json_object_get(u, "calls"));
    json_decref(u);
    printf("kill -9 x5: the server had %ld requests (%ld at the last kill), the store counts "
           "%ld calls\n",
           served, at_kill, stored);
    CHECK_MSG(stored >= served, "the store counts %ld calls, the server received %ld (lost %ld)",
              stored, served, served - stored);
    /* Over-counting is bounded: at most the calls reserved but not yet sent at each kill. */
    CHECK_MSG(stored <= served + 5 * 4, "the store counts %ld calls for %ld requests", stored,
              served);
}

static void test_echo_run(void)
{
    hostile += 4;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/echo", tmp_root);
    /* Every role echoes the header, each in another way. */
    const char *sc = "{\"roles\": {\"planner\": [{\"echo_auth\": true, \"code\": 200, \"prefix\": "
                     "150}], \"executor\": [{\"echo_auth\": true, \"escape\": true}, "
                     "{\"echo_auth\": true}], \"repair\": [{\"echo_auth\": true, \"code\": 200}], "
                     "\"summarizer\": [{\"echo_auth\": true, \"code\": 200}]}}";
    loopback lb;
    CHECK(loopback_start(&lb, sc, KEY_ENV, 120) == 0);
    int rc = run_engine(dir, engine_config(lb.port, 1, ", \"retries\": 1",
                                           ", \"stop\": {\"max_evaluations\": 12}"));
    loopback_stop(&lb);
    CHECK_MSG(rc == EVO_OK, "echo run rc %d", rc);
    char found[1200] = "";
    CHECK_MSG(!leak_in_dir(dir, key, found, sizeof found), "a run of the key is in %s", found);
    /* The trace and log views, as `evo trace` and `evo log` print them. */
    evo_run *r;
    int seen = 0;
    if (evo_run_open(&r, dir) == EVO_OK) {
        for (int64_t id = 1; id <= evo_run_count(r); id++) {
            evo_candidate *c;
            if (evo_run_candidate(r, id, &c) != EVO_OK) continue;
            const char *j = evo_candidate_json(c);
            seen += strstr(j, "you sent") != NULL || strstr(j, "what you sent") != NULL;
            CHECK_MSG(!leaks(j, key), "candidate %lld holds a run of the key", (long long)id);
            evo_candidate_free(c);
        }
    }
    evo_run_close(r);
    CHECK_MSG(seen >= 2, "the echoes reached %d candidates (the test did not test)", seen);
}

static void test_base_url(void)
{
    const char *bad[] = {"https://alice:s3cretpass@api.example.com/v1",
                         "http://s3cretpass@127.0.0.1:8000/v1", "https://:s3cretpass@host/v1"};
    for (int i = 0; i < 3; i++) {
        hostile++;
        char text[1024], err[2048] = "";
        snprintf(text, sizeof text,
                 "{\"llm\": {\"models\": [{\"name\": \"a\", \"base_url\": \"%s\", \"model\": "
                 "\"m\"}]}}",
                 bad[i]);
        evo_config *cfg = NULL;
        int rc = evo_config_parse(text, "cfg.json", &cfg, err, sizeof err);
        CHECK_MSG(rc == EVO_ECONFIG, "base_url %d accepted", i);
        CHECK_CONTAINS(err, "llm.models[0].base_url");
        CHECK_MSG(!strstr(err, "s3cretpass"), "the error prints the credentials: %s", err);
        evo_config_free(cfg);
    }
    /* An '@' after the host is no credential. */
    char err[2048];
    evo_config *cfg = NULL;
    CHECK(evo_config_parse("{\"llm\": {\"models\": [{\"name\": \"a\", \"base_url\": "
                           "\"https://host/v1?user=a@b\", \"model\": \"m\"}]}}",
                           "cfg.json", &cfg, err, sizeof err) == EVO_OK);
    evo_config_free(cfg);
}

typedef struct interrupter {
    evo_engine *e;
    const char *stats;
    double at;
} interrupter;

static void *interrupt_later(void *arg)
{
    interrupter *it = arg;
    /* Once the first request got its 429 the client waits out the Retry-After. */
    for (int i = 0; i < 500 && stats_requests(it->stats) < 1; i++)
        usleep(20 * 1000);
    usleep(500 * 1000);
    it->at = now_s();
    evo_engine_interrupt(it->e, 0);
    return NULL;
}

static void test_interrupt(void)
{
    hostile++;
    char dir[512], stats[512], sc[1024];
    snprintf(dir, sizeof dir, "%s/interrupt", tmp_root);
    snprintf(stats, sizeof stats, "%s/interrupt.stats", tmp_root);
    snprintf(sc, sizeof sc,
             "{\"stats_file\": \"%s\", \"roles\": {\"planner\": [{\"status\": 429, \"headers\": "
             "{\"Retry-After\": \"2400\"}}]}}",
             stats);
    loopback lb;
    CHECK(loopback_start(&lb, sc, KEY_ENV, 120) == 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(30); /* unfixed, the wait is 600 s (the cap on Retry-After) */
        evo_config *cfg =
            engine_config(lb.port, 1, ", \"retries\": 4", ", \"stop\": {\"max_evaluations\": 50}");
        evo_engine *e = NULL;
        int rc = cfg ? evo_engine_open(&e, dir, cfg) : EVO_ECONFIG;
        evo_config_free(cfg);
        if (rc == EVO_OK) rc = evo_engine_configure(e);
        interrupter it = {e, stats, 0};
        pthread_t th;
        pthread_create(&th, NULL, interrupt_later, &it);
        if (rc == EVO_OK) rc = evo_engine_run(e);
        double took = now_s() - it.at;
        pthread_join(th, NULL);
        evo_engine_close(e);
        printf("interrupt during a Retry-After of 2400 s: stopped %.1f s later (rc %d)\n", took,
               rc);
        fflush(stdout);
        _exit(it.at > 0 && took < 5 ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    loopback_stop(&lb);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "the run did not stop within 5 s of the interrupt (%s)",
              WIFSIGNALED(st) ? "killed by its 30 s alarm" : "too slow");
}

int main(void)
{
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    random_key(key, 191, "sk-proj-");
    random_key(key2, 191, "sk-other-");
    setenv(KEY_ENV, key, 1);
    setenv(KEY2_ENV, key2, 1);
    loopback probe;
    int rc = loopback_start(&probe, "{}", NULL, 5);
    if (rc == 77) CHECK_SKIP("python3 is not available for the loopback server");
    if (rc != 0) {
        fprintf(stderr, "cannot start tests/llm_server.py (run from the repository root)\n");
        return 1;
    }
    loopback_stop(&probe);
    snprintf(tmp_root, sizeof tmp_root, "/tmp/evo_test_llm_budget_%d", (int)getpid());
    mkdir(tmp_root, 0700);
    double t0 = now_s();
    test_base_url();
    test_usage();
    test_echo();
    printf("client cases done after %.0f s\n", now_s() - t0);
    test_budget();
    printf("budgets done after %.0f s\n", now_s() - t0);
    test_echo_run();
    test_interrupt();
    printf("echo run and interrupt done after %.0f s\n", now_s() - t0);
    test_kill();
    printf("kill -9 done after %.0f s\n", now_s() - t0);
    printf("hostile cases: %d\n", hostile);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_root);
    if (!check_failed && !getenv("EVO_TEST_KEEP") && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp_root);
    return CHECK_DONE();
}
