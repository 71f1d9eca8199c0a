/* test_worker_nogpu.c -- the GPU evaluator on a machine without a usable GPU (CPU suite):
 * evo-worker answers init with "no CUDA device found: ..." instead of crashing (devices
 * hidden with CUDA_VISIBLE_DEVICES="" so this holds on GPU machines too), rejects unknown
 * requests by name, and the parent side reports EVO_ENOGPU from start(), keeps compile
 * errors and launch-plan errors as COMPILE_ERROR without a GPU, and names bad evaluator
 * settings precisely. Where no NVIDIA driver is installed, both programs say so (not that the
 * driver is too old, which the static runtime claims); with a driver library too old for the
 * runtime (tests/fakes/libcuda_old.c on LD_LIBRARY_PATH) they say that, with both versions. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "genome.h"
#include "gpu_evaluator.h"
#include "ipc.h"
#include "result.h"

#define WORKER EVO_BUILD_DIR "/evo-worker"
#define SANDBOX EVO_BUILD_DIR "/evo-sandbox"

static const char *text(const char *s)
{
    return s;
}

static json_t *ask(ipc_child *c, json_t *req)
{
    char err[512] = "";
    json_t *reply = NULL;
    void *p = NULL;
    size_t n = 0;
    CHECK(ipc_send(c->to_child, req, NULL, 0, err, sizeof err) == IPC_OK);
    json_decref(req);
    int rc = ipc_recv(c->from_child, 60000, &reply, &p, &n, err, sizeof err);
    CHECK_MSG(rc == IPC_OK, "no reply from the worker: %s", err);
    free(p);
    return reply;
}

static void test_worker(void)
{
    ipc_child c;
    char err[512] = "", how[64] = "";
    CHECK(ipc_spawn(WORKER, &c, err, sizeof err) == 0);
    json_t *r = ask(&c, json_pack("{s:s}", "op", "bogus"));
    CHECK(json_is_false(json_object_get(r, "ok")));
    CHECK_CONTAINS(json_string_value(json_object_get(r, "error")), "unknown request op 'bogus'");
    json_decref(r);
    r = ask(&c, json_pack("{s:s,s:s}", "op", "eval", "source", "x"));
    CHECK_CONTAINS(json_string_value(json_object_get(r, "status")), "RUNTIME_ERROR");
    CHECK_CONTAINS(json_string_value(json_object_get(r, "error")), "eval before init");
    json_decref(r);
    r = ask(&c, json_pack("{s:s,s:s,s:i}", "op", "init", "task_dir",
                          EVO_SOURCE_DIR "/kernels/rmsnorm", "device", 0));
    CHECK(json_is_false(json_object_get(r, "ok")));
    const char *e = json_string_value(json_object_get(r, "error"));
    CHECK_CONTAINS(e, "no CUDA device found: ");
    json_decref(r);
    ipc_child_kill(&c, how, sizeof how);
    CHECK(how[0] != 0);
}

/* The sandbox answers the same way: refusals by name, runs before init, no device; and it
 * ends cleanly at "quit". */
static void test_sandbox(void)
{
    ipc_child c;
    char err[512] = "", how[64] = "";
    CHECK(ipc_spawn(SANDBOX, &c, err, sizeof err) == 0);
    json_t *r = ask(&c, json_pack("{s:s}", "op", "bogus"));
    CHECK(json_is_false(json_object_get(r, "ok")));
    CHECK_CONTAINS(json_string_value(json_object_get(r, "error")), "unknown request op 'bogus'");
    json_decref(r);
    r = ask(&c, json_pack("{s:s,s:s,s:i,s:[s]}", "op", "run", "program", "a", "workload", 0,
                          "seeds", "1"));
    CHECK_CONTAINS(json_string_value(json_object_get(r, "status")), "RUNTIME_ERROR");
    CHECK_CONTAINS(json_string_value(json_object_get(r, "error")), "run: bad request");
    json_decref(r);
    r = ask(&c, json_pack("{s:s,s:s,s:s}", "op", "load", "slot", "a", "source", "x"));
    CHECK_CONTAINS(json_string_value(json_object_get(r, "error")), "load: before init");
    json_decref(r);
    r = ask(&c, json_pack("{s:s,s:s,s:i}", "op", "init", "task_dir",
                          EVO_SOURCE_DIR "/kernels/rmsnorm", "device", 0));
    CHECK(json_is_false(json_object_get(r, "ok")));
    CHECK_CONTAINS(json_string_value(json_object_get(r, "error")), "no CUDA device found: ");
    json_decref(r);
    json_t *q = json_pack("{s:s}", "op", "quit");
    CHECK(ipc_send(c.to_child, q, NULL, 0, err, sizeof err) == IPC_OK);
    json_decref(q);
    json_t *h = NULL;
    void *p = NULL;
    size_t n = 0;
    CHECK(ipc_recv(c.from_child, 10000, &h, &p, &n, err, sizeof err) == IPC_EOF);
    ipc_child_kill(&c, how, sizeof how);
    CHECK_MSG(!strcmp(how, "exit status 0"), "the sandbox ended with %s", how);
}

/* The error with which PROGRAM refuses init. */
static char *init_error(const char *program)
{
    ipc_child c;
    char err[512] = "", how[64] = "";
    CHECK(ipc_spawn(program, &c, err, sizeof err) == 0);
    json_t *r = ask(&c, json_pack("{s:s,s:s,s:i}", "op", "init", "task_dir",
                                  EVO_SOURCE_DIR "/kernels/rmsnorm", "device", 0));
    CHECK(json_is_false(json_object_get(r, "ok")));
    const char *e = json_string_value(json_object_get(r, "error"));
    char *out = strdup(e ? e : "");
    json_decref(r);
    ipc_child_kill(&c, how, sizeof how);
    return out;
}

/* No driver: named as such. A driver too old: named as such, with both versions. */
static void test_driver_messages(void)
{
    const char *programs[] = {WORKER, SANDBOX};
    void *h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    int driver = h != NULL;
    if (h) dlclose(h);
    for (int i = 0; i < 2; i++) {
        char *e = init_error(programs[i]);
        if (!driver) {
            CHECK_CONTAINS(e, "no CUDA device found: no NVIDIA driver is installed "
                              "(libcuda.so.1 not found)");
            CHECK_MSG(strstr(e, "insufficient") == NULL, "%s", e);
        } else {
            printf("(this machine has libcuda.so.1: the no-driver message is not checked)\n");
        }
        free(e);
    }
    const char *was = getenv("LD_LIBRARY_PATH");
    char *saved = was ? strdup(was) : NULL, path[4096];
    snprintf(path, sizeof path, "%s%s%s", EVO_BUILD_DIR "/fake-old-driver", saved ? ":" : "",
             saved ? saved : "");
    setenv("LD_LIBRARY_PATH", path, 1);
    for (int i = 0; i < 2; i++) {
        char *e = init_error(programs[i]);
        CHECK_CONTAINS(e, "no CUDA device found: CUDA driver version is insufficient for CUDA "
                          "runtime version (the NVIDIA driver supports CUDA 11.4, evo's runtime "
                          "is CUDA ");
        CHECK_CONTAINS(e, "upgrade the driver)");
        free(e);
    }
    if (saved)
        setenv("LD_LIBRARY_PATH", saved, 1);
    else
        unsetenv("LD_LIBRARY_PATH");
    free(saved);
}

static gpu_evaluator *open_eval(const char *extra, int want_rc, const char *want_err)
{
    char cfgtext[2048], err[2048] = "";
    snprintf(cfgtext, sizeof cfgtext,
             "{\"evaluator\": {\"task\": \"%s/kernels/rmsnorm\", "
             "\"cache_dir\": \"/tmp/evo-test-nogpu-cache\"%s}}",
             EVO_SOURCE_DIR, extra);
    evo_config *cfg = NULL;
    CHECK_MSG(evo_config_parse(cfgtext, "test", &cfg, err, sizeof err) == EVO_OK, "%s", err);
    if (!cfg) return NULL;
    gpu_evaluator *g = NULL;
    int rc =
        gpu_evaluator_new(config_get(cfg, "evaluator"), cfg->dir, cfg->seed, &g, err, sizeof err);
    evo_config_free(cfg);
    CHECK_MSG(rc == want_rc, "gpu_evaluator_new: %s (%s)", evo_strerror(rc), err);
    if (want_err) CHECK_CONTAINS(text(err), want_err);
    return g;
}

static evo_result *eval_src(evo_evaluator *ev, const char *src, int *rc)
{
    evo_genome *gen = genome_from_pairs("t", src, 0, NULL, NULL);
    evo_result *r = result_new();
    *rc = ev->evaluate(ev->user, 0, gen, r);
    genome_free(gen);
    return r;
}

static const char GOOD[] =
    "/* evo:launch\n kernel k\n   grid batch_size\n   block 256\n"
    "   args hidden_states, weight, output, batch_size, hidden_size\n*/\n"
    "#include <cuda_bf16.h>\n"
    "extern \"C\" __global__ void k(const __nv_bfloat16 *x, const __nv_bfloat16 *w,\n"
    "                               __nv_bfloat16 *y, int b, int h) { y[0] = x[0]; }\n";

static const char BROKEN_BODY[] =
    "/* evo:launch\n kernel k\n   grid batch_size\n   block 256\n"
    "   args hidden_states, weight, output, batch_size, hidden_size\n*/\n"
    "#include <cuda_bf16.h>\n"
    "extern \"C\" __global__ void k(const __nv_bfloat16 *x, const __nv_bfloat16 *w,\n"
    "                               __nv_bfloat16 *y, int b, int h) { y[0] = x[0] + ; }\n";

static int nsetup;
static char setup_log[512];
static void on_setup(void *user, const evo_setup_progress *p)
{
    (void)user;
    nsetup++;
    size_t n = strlen(setup_log);
    snprintf(setup_log + n, sizeof setup_log - n, "%s %lld/%lld;", p->step, (long long)p->done,
             (long long)p->total);
}

static void test_evaluator(void)
{
    setenv("EVO_WORKER", WORKER, 1);
    open_eval(", \"workloads\": [\"batch_size=999\"]", EVO_ECONFIG,
              "evaluator.workloads[0]: task 'rmsnorm_h4096' has no workload labelled or with "
              "uuid 'batch_size=999' (labels look like 'batch_size=7')");
    open_eval(", \"dataset\": \"/tmp\"", EVO_ECONFIG,
              "evaluator.definition: required when evaluator.dataset is set");
    gpu_evaluator *g = open_eval(", \"max_workloads\": 2", EVO_OK, NULL);
    CHECK(g != NULL);
    if (!g) return;
    evo_evaluator ev = gpu_evaluator_table(g);
    CHECK(strcmp(ev.name, "gpu") == 0);
    CHECK(gpu_evaluator_task(g)->nworkloads == 15);
    CHECK(strcmp(gpu_evaluator_arch(g), "sm_90a") == 0);
    CHECK_CONTAINS(ev.describe(ev.user), "evo:launch");
    /* Started by an engine (of its own run), whose setup callback hears the first compile. */
    char err[512];
    evo_config *ecfg = NULL;
    CHECK_MSG(evo_config_parse("{\"evaluator\": {\"kind\": \"synthetic\"}, "
                               "\"store\": {\"sync\": \"none\"}}",
                               "t.json", &ecfg, err, sizeof err) == EVO_OK,
              "%s", err);
    char dir[] = "/tmp/evo-test-nogpu-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    evo_engine *eng = NULL;
    CHECK_MSG(evo_engine_open(&eng, dir, ecfg) == EVO_OK, "%s", evo_errmsg(eng));
    evo_config_free(ecfg);
    evo_engine_set_setup_progress(eng, on_setup, NULL);
    CHECK(ev.start(ev.user, eng, 1) == EVO_ENOGPU);
    CHECK_CONTAINS(evo_errmsg(eng), "no CUDA device found: ");
    CHECK(nsetup == 0); /* the worker refused before the ceilings */

    int rc;
    /* A valid plan, then a kernel body NVRTC refuses: the compiler's log is the error. */
    evo_result *r = eval_src(&ev, BROKEN_BODY, &rc);
    CHECK(rc == EVO_OK && r->status == EVO_STATUS_COMPILE_ERROR);
    CHECK_CONTAINS(r->error, "error");
    result_free(r);
    /* The first compile is a setup step: reported started and done, once. */
    CHECK_MSG(nsetup == 2, "%d setup reports", nsetup);
    CHECK(!strcmp(setup_log, "compile 0/1;compile 1/1;"));

    r = eval_src(&ev,
                 "/* evo:launch\n kernel nothere\n   grid 1\n   block 32\n   args\n*/\n"
                 "extern \"C\" __global__ void k() { }\n",
                 &rc);
    CHECK(rc == EVO_OK && r->status == EVO_STATUS_COMPILE_ERROR);
    CHECK_CONTAINS(r->error, "launch plan line");
    /* The plan is checked before the source costs a compile. */
    CHECK(json_object_get(r->metrics, "compile_ms") == NULL);
    result_free(r);

    /* Compiles and plans fine, then there is no device to run on. */
    r = eval_src(&ev, GOOD, &rc);
    CHECK(rc == EVO_ENOGPU);
    CHECK_CONTAINS(r->error, "cannot restart the worker: no CUDA device found: ");
    CHECK(json_number_value(json_object_get(r->metrics, "compile_ms")) >= 0);
    result_free(r);
    CHECK_MSG(nsetup == 2, "later compiles are not setup: %s", setup_log);
    ev.stop(ev.user);
    gpu_evaluator_free(g);
    evo_engine_close(eng);
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    CHECK(system(rm) == 0);
}

int main(void)
{
    /* Hide any GPU so the suite means the same everywhere. */
    setenv("CUDA_VISIBLE_DEVICES", "", 1);
    if (access(WORKER, X_OK) != 0) {
        fprintf(stderr, "%s is not built\n", WORKER);
        return 1;
    }
    test_worker();
    test_sandbox();
    test_driver_messages();
    test_evaluator();
    return CHECK_DONE();
}
