/* test_cubin_store.c -- compiled cubins are kept in the run store as well as in the cache
 * directory: a candidate compiled once is not compiled again in that run even after the
 * cache directory is wiped. Runs without a GPU (the evaluation itself then fails to start a
 * worker, which is not what is checked here). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "evo.h"
#include "genome.h"
#include "gpu_evaluator.h"
#include "result.h"
#include "space.h"

int main(void)
{
    char root[128], text[512], err[2048], cmd[300];
    snprintf(root, sizeof root, "/tmp/evo-test-cubin-%d", (int)getpid());
    snprintf(text, sizeof text,
             "{\"evaluator\": {\"task\": \"kernels/rmsnorm\", \"cache_dir\": \"%s/cache\", "
             "\"timeout_s\": 20}}",
             root);
    evo_config *cfg;
    CHECK(evo_config_parse(text, "test", &cfg, err, sizeof err) == EVO_OK);
    /* The public GPU evaluator, used here as a table alone (no engine run), so this program
     * calls its destroy itself. */
    evo_evaluator ev;
    CHECK_MSG(evo_evaluator_gpu(cfg, &ev, err, sizeof err) == EVO_OK, "%s", err);
    if (!ev.user) return CHECK_DONE();
    char dir[200];
    snprintf(dir, sizeof dir, "%s/run", root);
    evo_engine *e;
    CHECK(evo_engine_open(&e, dir, cfg) == EVO_OK);
    ev.start(ev.user, e, 1); /* without a GPU this fails; the evaluator still knows the run */
    /* The task's seeds: evo.h has no accessor for them, so the evaluator's own. */
    const evo_task *t = gpu_evaluator_task(ev.user);
    evo_space *s = space_parse(t->seed_sources[0], err, sizeof err);
    evo_point p = point_new(s);
    evo_genome *gen = genome_new(t->seed_names[0], t->seed_sources[0], s, &p);
    double compile_ms[2] = {-1, -1};
    for (int round = 0; round < 2; round++) {
        evo_result *r = result_new();
        ev.evaluate(ev.user, 0, gen, r);
        compile_ms[round] = json_number_value(json_object_get(r->metrics, "compile_ms"));
        result_free(r);
        snprintf(cmd, sizeof cmd, "rm -rf %s/cache", root);
        CHECK(system(cmd) == 0);
    }
    CHECK_MSG(compile_ms[0] > 0, "first compile took %g ms", compile_ms[0]);
    CHECK_MSG(compile_ms[1] == 0,
              "second evaluation compiled again (%g ms) though the run kept the cubin",
              compile_ms[1]);
    size_t n = 0;
    void *none = evo_engine_load_blob(e, "cubin/absent", &n);
    CHECK(none == NULL);
    if (ev.stop) ev.stop(ev.user);
    genome_free(gen);
    point_free(&p);
    space_free(s);
    evo_engine_close(e);
    ev.destroy(ev.user);
    evo_config_free(cfg);
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0) fprintf(stderr, "cleanup failed\n");
    return CHECK_DONE();
}
