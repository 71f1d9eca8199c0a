/* gpu_llm_search.c -- the LLM operator with the GPU evaluator: a short search on the rmsnorm
 * task where the loopback server (tests/llm_server.py) serves scripted kernels made from the
 * rmsnorm_warp seed. Shows model-made kernels compiled, gated and timed on the device; one
 * that does not compile repaired by the model (the repair declares a new tunable parameter,
 * WCHUNK); and template mutations tuning kernels the model wrote. Skips without a device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "evo.h"
#include "file_text.h"
#include "loopback.h"

#define KEY_ENV "EVO_TEST_LLM_KEY"

/* src with the first occurrence of from replaced by to (caller frees); NULL if absent. */
static char *replace(const char *src, const char *from, const char *to)
{
    const char *p = strstr(src, from);
    if (!p) return NULL;
    size_t a = (size_t)(p - src), fl = strlen(from), tl = strlen(to);
    char *s = malloc(strlen(src) - fl + tl + 1);
    memcpy(s, src, a);
    memcpy(s + a, to, tl);
    strcpy(s + a + tl, p + fl);
    return s;
}

static json_t *code(char *src)
{
    char *text = NULL;
    if (asprintf(&text, "Here is the new kernel.\n```cuda\n%s```\n", src ? src : "") < 0)
        text = NULL;
    json_t *s = json_pack("{ss}", "reply", text ? text : "");
    free(text);
    free(src);
    return s;
}

static char *with_wchunk(const char *seed, const char *def)
{
    char line[128];
    snprintf(line, sizeof line, " WCHUNK  set 2 4 8           default %s\n require", def);
    char *a = replace(seed, " require", line);
    char *b = a ? replace(a, "#define WCHUNK 4", "#ifndef WCHUNK\n#define WCHUNK 4\n#endif") : NULL;
    free(a);
    return b;
}

static char *script(const char *seed)
{
    char *w8 = replace(seed, "WARPS   pow2 1..16          default 4",
                       "WARPS   pow2 1..16          default 8");
    char *typo = replace(seed, "float inv_rms = rsqrtf(", "float inv_rms = rsqrtf_missing(");
    json_t *exec = json_array();
    json_array_append_new(exec, code(w8));
    json_array_append_new(exec, code(typo));
    json_array_append_new(exec, code(with_wchunk(seed, "8")));
    json_t *repair = json_array();
    json_array_append_new(repair, code(with_wchunk(seed, "2")));
    json_t *root = json_pack("{s{s[{ss}] so so s[{ss}]}}", "roles", "planner", "reply",
                             "Plan: more rows per block; expose the weight chunk as WCHUNK.",
                             "executor", exec, "repair", repair, "summarizer", "reply",
                             "More warps per block helped at large batch; WCHUNK is worth tuning.");
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

int main(void)
{
    char key[64];
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    snprintf(key, sizeof key, "sk-gpu-%08x%08x", (unsigned)rand(), (unsigned)rand());
    setenv(KEY_ENV, key, 1);
    const char *worker = getenv("EVO_TEST_WORKER");
    if (worker && *worker)
        setenv("EVO_WORKER", worker, 1);
    else if (access(EVO_BUILD_DIR "/evo-worker", X_OK) == 0)
        setenv("EVO_WORKER", EVO_BUILD_DIR "/evo-worker", 1);

    char *seed = file_read_text("kernels/rmsnorm/rmsnorm_warp.cu", 0, NULL);
    if (!seed) {
        fprintf(stderr,
                "run from the repository root: kernels/rmsnorm/rmsnorm_warp.cu not found\n");
        return 1;
    }
    char *sc = script(seed);
    free(seed);
    loopback lb;
    int rc = loopback_start(&lb, sc, KEY_ENV, 600);
    free(sc);
    if (rc == 77) CHECK_SKIP("python3 is not available for the loopback server");
    CHECK(rc == 0);
    if (rc != 0) return CHECK_DONE();

    char dir[256], text[4096], err[2048], cwd[512];
    snprintf(dir, sizeof dir, "/tmp/evo_gpu_llm_%d", (int)getpid());
    snprintf(text, sizeof text,
             "{\"seed\": 3, \"islands\": {\"count\": 1, \"population\": 40},"
             " \"operators\": {\"point\": 1, \"multi\": 1, \"crossover\": 0, \"restart\": 0, "
             "\"llm\": 2},"
             " \"bandit\": {\"policy\": \"weights\"}, \"mutation\": {\"max_repairs\": 2},"
             " \"stop\": {\"max_evaluations\": 24}, \"store\": {\"sync\": \"none\"},"
             " \"evaluator\": {\"kind\": \"gpu\", \"task\": \"%s/kernels/rmsnorm\", \"seeds\": "
             "[\"rmsnorm_warp\"],"
             " \"max_workloads\": 4, \"trials\": 1, \"warmup\": 3, \"iterations\": 10,"
             " \"cache_dir\": \"/tmp/evo-gpu-llm-cache\"},"
             " \"llm\": {\"prompts_dir\": \"%s/configs/prompts\", \"models\": [{\"name\": \"loop\","
             " \"base_url\": \"http://127.0.0.1:%d/v1\", \"model\": \"scripted\", \"api_key_env\": "
             "\"" KEY_ENV "\"}]}}",
             getcwd(cwd, sizeof cwd), cwd, lb.port);
    evo_config *cfg = NULL;
    rc = evo_config_parse(text, "gpu-llm", &cfg, err, sizeof err);
    CHECK_MSG(rc == EVO_OK, "%s", err);
    evo_engine *e = NULL;
    if (rc == EVO_OK) rc = evo_engine_open(&e, dir, cfg);
    /* The GPU evaluator, the seed evaluator.seeds names (rmsnorm_warp) and the LLM operator
     * (operators.llm has a weight); the engine owns them and frees them when it closes. */
    if (rc == EVO_OK) {
        rc = evo_engine_configure(e);
        CHECK_MSG(rc == EVO_OK, "%s", evo_errmsg(e));
    }
    if (rc == EVO_OK) rc = evo_engine_run(e);
    if (rc == EVO_ENOGPU) {
        printf("SKIPPED: no CUDA device: %s\n", evo_errmsg(e));
        evo_engine_close(e);
        evo_config_free(cfg);
        loopback_stop(&lb);
        return 77;
    }
    CHECK_MSG(rc == EVO_OK, "run: %s", evo_errmsg(e));
    evo_engine_close(e);
    evo_config_free(cfg);
    loopback_stop(&lb);

    int llm_passed = 0, compile_failed = 0, repaired = 0, tuned = 0;
    evo_run *r;
    if (evo_run_open(&r, dir) == EVO_OK) {
        for (int64_t id = 1; id <= evo_run_count(r); id++) {
            evo_candidate *c;
            if (evo_run_candidate(r, id, &c) != EVO_OK) continue;
            json_t *j = json_loads(evo_candidate_json(c), 0, NULL);
            const char *opn = json_string_value(json_object_get(j, "operator"));
            const char *tmpl = json_string_value(json_object_get(j, "template"));
            const char *st = json_string_value(json_object_get(j, "status"));
            int is_llm = opn && !strcmp(opn, "llm"), passed = st && !strcmp(st, "PASSED");
            printf("#%lld %-6s %-14s %-20s %.3f %s\n", (long long)id, opn ? opn : "?",
                   tmpl ? tmpl : "?", st ? st : "?",
                   json_number_value(json_object_get(j, "fitness")),
                   json_is_null(json_object_get(j, "repair_of")) ? "" : "(repair)");
            if (is_llm && passed) llm_passed++;
            if (is_llm && st && !strcmp(st, "COMPILE_ERROR")) compile_failed++;
            if (is_llm && passed && !json_is_null(json_object_get(j, "repair_of"))) repaired++;
            if (!is_llm && tmpl && !strncmp(tmpl, "llm-", 4) && opn && strcmp(opn, "seed")) tuned++;
            json_decref(j);
            evo_candidate_free(c);
        }
    }
    evo_run_close(r);
    CHECK_MSG(llm_passed >= 2, "model-made kernels that passed: %d", llm_passed);
    CHECK_MSG(compile_failed >= 1, "model-made kernels that failed to compile: %d", compile_failed);
    CHECK_MSG(repaired >= 1, "repaired kernels that passed: %d", repaired);
    CHECK_MSG(tuned >= 1, "template mutations of model-made kernels: %d", tuned);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "grep -rqaF -- '%s' %s", key, dir);
    CHECK_MSG(system(cmd) != 0, "the API key was found in %s", dir);
    if (!check_failed) {
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    }
    return CHECK_DONE();
}
