/* test_dataset.c -- a task built from a FlashInfer Trace dataset (evaluator.dataset and
 * evaluator.definition; issue 18, item 3) on the shared folder ../shared/flashinfer-trace and
 * on small datasets made here: the seeds come from the task folder that has the same
 * definition (evaluator.task, else a shipped one), blob paths resolve against the dataset
 * root under either blob policy, and a run gets through evo_engine_configure to the worker's
 * no-GPU error instead of "evaluator.seeds names no seed". tests/test_dataset_cli.sh drives the
 * same through `evo check CONFIG` and `evo run`. */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "evo.h"
#include "file_text.h"
#include "gpu_evaluator.h"
#include "scratch.h"
#include "task.h"

#define FI "../shared/flashinfer-trace"
#define MOE "moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048"

static const char *S;

static void put(const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", S, rel);
    for (char *p = path + strlen(S) + 1; (p = strchr(p, '/')); p++) {
        *p = 0;
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    CHECK_MSG(f != NULL, "cannot write %s", path);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void test_seed_folder(void)
{
    char dir[1024] = "";
    CHECK(task_seed_folder("kernels/rmsnorm", "rmsnorm_h4096", dir, sizeof dir) == 0);
    CHECK_MSG(!strcmp(dir, "kernels/rmsnorm"), "got %s", dir);
    /* evaluator.task's default is for another definition: a shipped folder has this one. */
    CHECK(task_seed_folder("kernels/gemm", "rmsnorm_h4096", dir, sizeof dir) == 0);
    CHECK_MSG(!strcmp(dir, EVO_SOURCE_DIR "/kernels/rmsnorm"), "got %s", dir);
    CHECK(task_seed_folder("/nonexistent", "gemm_n4096_k4096", dir, sizeof dir) == 0);
    CHECK_MSG(!strcmp(dir, EVO_SOURCE_DIR "/kernels/gemm"), "got %s", dir);
    CHECK(task_seed_folder(NULL, MOE, dir, sizeof dir) == -1);
}

static void test_open(void)
{
    char err[2048] = "";
    evo_task *t = NULL;
    /* The dataset alone: its definition and workloads, no seeds. */
    CHECK_MSG(task_open(NULL, FI, "rmsnorm_h4096", 1, &t, err, sizeof err) == 0, "%s", err);
    if (t) {
        CHECK(t->nworkloads == 14 && t->nseeds == 0);
        task_free(t);
    }
    /* In the frame of the task folder with the same definition: its seeds, reference and
     * baseline, the dataset's workloads (14; the folder has 15). */
    CHECK_MSG(task_open("kernels/rmsnorm", FI, "rmsnorm_h4096", 0, &t, err, sizeof err) == 0, "%s",
              err);
    if (t) {
        CHECK(t->nworkloads == 14 && t->nseeds == 2);
        CHECK(!strcmp(t->seed_names[0], "rmsnorm_warp") && !strcmp(t->reference, "rmsnorm"));
        CHECK(!strcmp(t->baseline_kind, "kernel") && t->baseline_source);
        CHECK(!strcmp(t->def.name, "rmsnorm_h4096"));
        task_free(t);
    }
    CHECK_MSG(task_open("kernels/gemm", FI, "gemm_n4096_k4096", 0, &t, err, sizeof err) == 0, "%s",
              err);
    if (t) {
        CHECK(t->nworkloads == 43 && t->nseeds == 4 && !strcmp(t->baseline_kind, "cublas"));
        task_free(t);
    }
    /* A folder for another definition lends nothing. */
    CHECK(task_open("kernels/gemm", FI, "rmsnorm_h4096", 0, &t, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "kernels/gemm: the task folder is for definition 'gemm_n4096_k4096', not "
                        "the dataset's 'rmsnorm_h4096'");
    /* The same name over other tensors: the seeds would not fit. */
    json_t *d = json_load_file("kernels/rmsnorm/definition.json", 0, NULL);
    json_object_set_new(json_object_get(json_object_get(d, "inputs"), "hidden_states"), "dtype",
                        json_string("float16"));
    char *def = json_dumps(d, 0);
    json_decref(d);
    put("sig/definitions/rmsnorm/rmsnorm_h4096.json", def ? def : "");
    free(def);
    put("sig/workloads/rmsnorm/rmsnorm_h4096.jsonl",
        "{\"definition\": \"rmsnorm_h4096\", \"workload\": {\"uuid\": \"u1\", \"axes\": "
        "{\"batch_size\": 1}, \"inputs\": {\"hidden_states\": {\"type\": \"random\"}, "
        "\"weight\": {\"type\": \"random\"}}}}\n");
    char root[1100];
    snprintf(root, sizeof root, "%s/sig", S);
    CHECK(task_open("kernels/rmsnorm", root, "rmsnorm_h4096", 0, &t, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "kernels/rmsnorm: definition 'rmsnorm_h4096' differs from the dataset's "
                        "(inputs): its seeds do not fit");
}

/* Blob paths resolve against the dataset root whatever the policy: a stored blob to its real
 * path, a missing one to an error (policy error) or drawn inputs (policy random). */
static void test_blobs(void)
{
    char *def = file_read_text("kernels/rmsnorm/definition.json", 0, NULL);
    put("ds/definitions/rmsnorm/rmsnorm_h4096.json", def ? def : "");
    free(def);
    put("ds/blob/rmsnorm/w1.safetensors", "a regular file");
    put("ds/workloads/rmsnorm/rmsnorm_h4096.jsonl",
        "{\"definition\": \"rmsnorm_h4096\", \"workload\": {\"uuid\": \"u1\", \"axes\": "
        "{\"batch_size\": 1}, \"inputs\": {\"hidden_states\": {\"type\": \"random\"}, "
        "\"weight\": {\"type\": \"safetensors\", \"path\": \"./blob/rmsnorm/w1.safetensors\", "
        "\"tensor_key\": \"weight\"}}}}\n"
        "{\"definition\": \"rmsnorm_h4096\", \"workload\": {\"uuid\": \"u2\", \"axes\": "
        "{\"batch_size\": 2}, \"inputs\": {\"hidden_states\": {\"type\": \"random\"}, "
        "\"weight\": {\"type\": \"safetensors\", \"path\": \"blob/rmsnorm/w2.safetensors\", "
        "\"tensor_key\": \"weight\"}}}}\n");
    char root[1100], real[PATH_MAX], want[PATH_MAX + 64], err[2048] = "";
    snprintf(root, sizeof root, "%s/ds", S);
    CHECK(realpath(root, real) != NULL);
    snprintf(want, sizeof want, "%s/blob/rmsnorm/w1.safetensors", real);
    evo_task *t = NULL;
    CHECK(task_open(NULL, root, "rmsnorm_h4096", 0, &t, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "workload u2 (batch_size=2): input 'weight': safetensors blob "
                        "'blob/rmsnorm/w2.safetensors' not found (looked for ");
    CHECK_CONTAINS(err, "/ds/blob/rmsnorm/w2.safetensors); the dataset's blob store is missing");
    CHECK_MSG(task_open(NULL, root, "rmsnorm_h4096", 1, &t, err, sizeof err) == 0, "%s", err);
    if (t) {
        CHECK(t->workloads[0].inputs[1].kind == GEN_SAFETENSORS);
        CHECK_MSG(!strcmp(t->workloads[0].inputs[1].path, want), "resolved to %s, want %s",
                  t->workloads[0].inputs[1].path, want);
        CHECK(t->workloads[1].inputs[1].kind == GEN_RANDOM);
        task_free(t);
    }
    /* From another working directory the same dataset resolves the same (nothing relative to
     * the process's folder is left). */
    char cwd[PATH_MAX];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir("/") == 0);
    CHECK_MSG(task_open(NULL, real, "rmsnorm_h4096", 1, &t, err, sizeof err) == 0, "%s", err);
    if (t) {
        CHECK(!strcmp(t->workloads[0].inputs[1].path, want));
        task_free(t);
    }
    CHECK(chdir(cwd) == 0);

    /* The shared folder's MoE workloads: 38 blobs, no blob store. */
    CHECK(task_open(NULL, FI, MOE, 0, &t, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "input 'routing_logits': safetensors blob './blob/workloads/moe/");
    CHECK_MSG(task_open(NULL, FI, MOE, 1, &t, err, sizeof err) == 0, "%s", err);
    if (t) {
        int random = 0;
        for (int w = 0; w < t->nworkloads; w++)
            for (int i = 0; i < t->workloads[w].ninputs; i++)
                random += t->workloads[w].inputs[i].kind == GEN_SAFETENSORS;
        CHECK(t->nworkloads == 19 && random == 0);
        task_free(t);
    }
}

/* A dataset config through evo_engine_configure: the seeds of the task folder with that
 * definition, and then the no-GPU error from the worker. */
static int run_config(const char *text, char *msg, size_t n)
{
    evo_config *cfg = NULL;
    char err[2048] = "";
    int rc = evo_config_parse(text, "dataset.json", &cfg, err, sizeof err);
    CHECK_MSG(rc == EVO_OK, "%s", err);
    if (rc != EVO_OK) return rc;
    char dir[1100];
    static int k;
    snprintf(dir, sizeof dir, "%s/run%d", S, k++);
    evo_engine *e = NULL;
    rc = evo_engine_open(&e, dir, cfg);
    evo_config_free(cfg);
    if (rc == EVO_OK) rc = evo_engine_configure(e);
    if (rc == EVO_OK) rc = evo_engine_run(e);
    snprintf(msg, n, "%s", e ? evo_errmsg(e) : "");
    evo_engine_close(e);
    return rc;
}

static void test_run(void)
{
    char msg[2048], text[2048];
    snprintf(text, sizeof text,
             "{\"evaluator\": {\"dataset\": \"%s/" FI "\", \"definition\": \"rmsnorm_h4096\", "
             "\"blob_policy\": \"random\", \"cache_dir\": \"%s/cache\"}, "
             "\"stop\": {\"max_evaluations\": 2}}",
             EVO_SOURCE_DIR, S);
    int rc = run_config(text, msg, sizeof msg);
    CHECK_MSG(rc == EVO_ENOGPU, "%s: %s", evo_strerror(rc), msg);
    CHECK_CONTAINS(msg, "no CUDA device found: ");
    /* evo validate and export build the evaluator too, and the seed folder it names is the
     * one the run searched. */
    evo_config *cfg = NULL;
    char err[2048] = "";
    CHECK(evo_config_parse(text, "dataset.json", &cfg, err, sizeof err) == EVO_OK);
    gpu_evaluator *g = NULL;
    if (cfg)
        CHECK_MSG(gpu_evaluator_new(config_get(cfg, "evaluator"), cfg->dir, cfg->seed, &g, err,
                                    sizeof err) == EVO_OK,
                  "%s", err);
    if (g) {
        const evo_task *t = gpu_evaluator_task(g);
        CHECK(t->nseeds == 2 && t->nworkloads == 14);
        gpu_evaluator_free(g);
    }
    evo_config_free(cfg);

    /* A definition no task folder has: named, with what to do. */
    snprintf(text, sizeof text,
             "{\"evaluator\": {\"dataset\": \"%s/" FI "\", \"definition\": \"" MOE "\", "
             "\"blob_policy\": \"random\"}}",
             EVO_SOURCE_DIR);
    rc = run_config(text, msg, sizeof msg);
    CHECK_MSG(rc == EVO_ECONFIG, "%s: %s", evo_strerror(rc), msg);
    CHECK_CONTAINS(msg, "evaluator.definition: no seed kernels for definition '" MOE
                        "': set evaluator.task to a task folder whose definition is '" MOE "'");
}

int main(void)
{
    setenv("CUDA_VISIBLE_DEVICES", "", 1);
    setenv("EVO_WORKER", EVO_BUILD_DIR "/evo-worker", 1);
    S = scratch_dir("dataset");
    if (access(FI "/definitions", R_OK) != 0) {
        fprintf(stderr, "%s is not there: skipped\n", FI);
        return 77;
    }
    test_seed_folder();
    test_open();
    test_blobs();
    test_run();
    int rc = CHECK_DONE();
    scratch_remove();
    return rc;
}
