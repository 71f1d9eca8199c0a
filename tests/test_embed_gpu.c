/* test_embed_gpu.c -- a program embedding libevo through evo.h alone runs a shipped GPU config
 * (CPU suite: devices hidden with CUDA_VISIBLE_DEVICES="", so this holds on GPU machines too).
 * evo_engine_configure gives the engine the GPU evaluator of configs/gdn_decode.json and the
 * task's seeds (those evaluator.seeds names); evo_engine_run then gets as far as starting the
 * worker and fails with EVO_ENOGPU and a message naming the missing device. The engine refuses
 * a run without seeds before it starts its evaluator, so reaching the device shows the seeds
 * were added. Also the README's example (run_config below), run the same way. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "evo.h"
#include "scratch.h"

#define WORKER EVO_BUILD_DIR "/evo-worker"
#define CONFIG "configs/gdn_decode.json"

/* README: a research tool running a shipped config through evo.h alone. */
static int run_config(const char *path, const char *dir)
{
    char err[4096];
    evo_config *cfg;
    evo_engine *e = NULL;
    int rc = evo_config_load(path, &cfg, err, sizeof err);
    if (rc != EVO_OK) return fprintf(stderr, "evo: %s\n", err), rc;
    rc = evo_engine_open(&e, dir, cfg);
    evo_config_free(cfg);
    if (rc == EVO_OK)
        rc = evo_engine_configure(e); /* the config's evaluator, task seeds, LLM operator */
    if (rc == EVO_OK) rc = evo_engine_run(e);
    if (rc != EVO_OK) fprintf(stderr, "evo: %s\n", evo_errmsg(e));
    evo_engine_close(e);
    evo_run *r = NULL;
    evo_candidate *best;
    if (rc == EVO_OK && evo_run_open(&r, dir) == EVO_OK && evo_run_best(r, &best) == EVO_OK) {
        printf("best #%lld, fitness %.3f\n", (long long)evo_candidate_id(best),
               evo_candidate_fitness(best));
        evo_candidate_free(best);
    }
    evo_run_close(r);
    return rc;
}

/* The shipped config, configured and run: no GPU, after the seeds are in. */
static void test_configured_run(void)
{
    char err[4096];
    evo_config *cfg = NULL;
    CHECK_MSG(evo_config_load(CONFIG, &cfg, err, sizeof err) == EVO_OK, "%s", err);
    if (!cfg) return;
    const char *dir = scratch_path("gdn");
    evo_engine *e = NULL;
    CHECK_MSG(evo_engine_open(&e, dir, cfg) == EVO_OK, "open: %s", evo_errmsg(e));
    evo_config_free(cfg);
    CHECK_MSG(evo_engine_configure(e) == EVO_OK, "configure: %s", evo_errmsg(e));
    /* The engine's evaluator is the GPU one, for the config's task. */
    CHECK_CONTAINS(evo_engine_evaluator_facts(e), "\"evaluator\":\"gpu\"");
    CHECK_CONTAINS(evo_engine_evaluator_facts(e), "\"task\":\"gdn_decode");
    int rc = evo_engine_run(e);
    CHECK_MSG(rc == EVO_ENOGPU, "run returned %d (%s): %s", rc, evo_strerror(rc), evo_errmsg(e));
    CHECK_CONTAINS(evo_errmsg(e), "no CUDA device found");
    /* Where no driver is installed, that is the reason given, not a driver "too old". */
    void *h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        CHECK_CONTAINS(evo_errmsg(e), "no CUDA device found: no NVIDIA driver is installed "
                                      "(libcuda.so.1 not found)");
        CHECK_MSG(strstr(evo_errmsg(e), "insufficient") == NULL, "%s", evo_errmsg(e));
    } else {
        dlclose(h);
    }
    /* Not the refusal of a run without seeds, which comes before the evaluator starts. */
    CHECK_MSG(strstr(evo_errmsg(e), "no seed templates") == NULL, "%s", evo_errmsg(e));
    evo_engine_close(e);
    /* Nothing was evaluated. */
    evo_run *r = NULL;
    CHECK_MSG(evo_run_open(&r, dir) == EVO_OK, "%s", evo_run_errmsg(r));
    CHECK(r && evo_run_count(r) == 0);
    evo_run_close(r);
}

/* Without configure's seeds the same run stops earlier, and evaluator.seeds picks them. */
static void test_seeds(void)
{
    char err[4096];
    evo_config *cfg = NULL;
    CHECK_MSG(evo_config_load(CONFIG, &cfg, err, sizeof err) == EVO_OK, "%s", err);
    if (!cfg) return;
    evo_engine *e = NULL;
    CHECK_MSG(evo_engine_open(&e, scratch_path("no-seeds"), cfg) == EVO_OK, "open: %s",
              evo_errmsg(e));
    evo_evaluator ev;
    CHECK_MSG(evo_evaluator_gpu(cfg, &ev, err, sizeof err) == EVO_OK, "%s", err);
    evo_config_free(cfg);
    CHECK(evo_engine_set_evaluator(e, &ev) == EVO_OK); /* the engine frees it */
    CHECK(evo_engine_run(e) == EVO_EINVAL);
    CHECK_CONTAINS(evo_errmsg(e), "no seed templates");
    evo_engine_close(e);

    const char *names[] = {"gdn_decode_tuned", "no_such_seed"};
    for (int i = 0; i < 2; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"evaluator\": {\"kind\": \"gpu\", \"task\": \"kernels/gdn_decode\", \"seeds\": "
                 "[\"%s\"]}}",
                 names[i]);
        cfg = NULL;
        CHECK_MSG(evo_config_parse(text, "seeds", &cfg, err, sizeof err) == EVO_OK, "%s", err);
        if (!cfg) continue;
        e = NULL;
        CHECK_MSG(evo_engine_open(&e, scratch_path(names[i]), cfg) == EVO_OK, "open: %s",
                  evo_errmsg(e));
        evo_config_free(cfg);
        int rc = evo_engine_configure(e);
        if (i == 0) {
            CHECK_MSG(rc == EVO_OK, "configure: %s", evo_errmsg(e));
        } else {
            CHECK(rc == EVO_ECONFIG);
            CHECK_CONTAINS(evo_errmsg(e), "evaluator.seeds names no seed of task 'gdn_decode");
        }
        evo_engine_close(e);
    }
}

/* "custom": the program brings its evaluator and seeds; configure still wires the rest (the
 * LLM operator, here without a model, so it must name the missing models). */
static void test_custom(void)
{
    char err[4096];
    evo_config *cfg = NULL;
    CHECK_MSG(evo_config_parse("{\"evaluator\": {\"kind\": \"custom\"}}", "custom", &cfg, err,
                               sizeof err) == EVO_OK,
              "%s", err);
    if (!cfg) return;
    evo_engine *e = NULL;
    CHECK(evo_engine_open(&e, scratch_path("custom"), cfg) == EVO_OK);
    evo_config_free(cfg);
    CHECK_MSG(evo_engine_configure(e) == EVO_OK, "%s", evo_errmsg(e));
    CHECK(evo_engine_run(e) == EVO_EINVAL);
    CHECK_CONTAINS(evo_errmsg(e), "no evaluator");
    evo_engine_close(e);

    cfg = NULL;
    CHECK(evo_config_parse("{\"evaluator\": {\"kind\": \"custom\"}, \"operators\": {\"llm\": 1}}",
                           "custom-llm", &cfg, err, sizeof err) == EVO_OK);
    if (!cfg) return;
    e = NULL;
    CHECK(evo_engine_open(&e, scratch_path("custom-llm"), cfg) == EVO_OK);
    evo_config_free(cfg);
    CHECK(evo_engine_configure(e) == EVO_ECONFIG);
    CHECK_CONTAINS(evo_errmsg(e), "llm");
    evo_engine_close(e);
}

int main(void)
{
    /* Hide any GPU before anything starts, and use the worker of this build. */
    setenv("CUDA_VISIBLE_DEVICES", "", 1);
    setenv("EVO_WORKER", WORKER, 1);
    if (access(WORKER, X_OK) != 0) {
        fprintf(stderr, "%s is not built\n", WORKER);
        return 1;
    }
    scratch_dir("embed-gpu");
    test_configured_run();
    test_seeds();
    test_custom();
    CHECK(run_config(CONFIG, scratch_path("readme")) == EVO_ENOGPU);
    if (scratch_remove() != 0) fprintf(stderr, "cleanup failed\n");
    return CHECK_DONE();
}
