/* test_task_hostile.c -- hostile task folders and datasets, refused on the CPU with the file,
 * the workload and the tensor named (issue 18, items 1, 2 and the second half of 10):
 *   - sizes: a workload whose axes make a tensor overflow 64 bits, or pass the bound of 1 TiB a
 *     tensor (or a workload's tensors together), is refused by the loader (task folder and
 *     dataset alike), so by `evo check` and by opening the evaluator (`evo run`); and the
 *     input generator, handed such a workload behind the loader's back, refuses it instead of
 *     writing past a wrapped buffer;
 *   - shapes: each host reference's table (reference.h) against the definition, on every
 *     workload: tensors missing, unknown, declared with the wrong dims, direction, dtype or
 *     optional mark, axes out of the reference's range;
 *   - accepted but wrong: another operator's reference, a cuBLAS baseline for what is not
 *     C = A B^T (or in dtypes cuBLAS's path does not take), a kernel baseline without a launch
 *     plan, with an impossible launch or that does not compile.
 * Each refusal is one hostile case; the suite prints how many it tried. */
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "evo.h"
#include "gate.h"
#include "gpu_evaluator.h"
#include "scratch.h"
#include "task.h"

static int hostile; /* hostile cases tried */

/* Write text to DIR/NAME with every ' turned into " (the tests' JSON reads better so). */
static void put(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    for (const char *c = text; *c; c++)
        fputc(*c == '\'' ? '"' : *c, f);
    fclose(f);
}

static const char *folder(const char *name)
{
    const char *dir = scratch_path(name);
    mkdir(dir, 0777);
    return dir;
}

/* printf into a static ring of buffers (a few calls valid at once). */
static const char *fmt(const char *f, ...)
{
    static char buf[8][16384];
    static int next;
    char *b = buf[next++ % 8];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, sizeof buf[0], f, ap);
    va_end(ap);
    return b;
}

static const char KERNEL[] = "extern 'C' __global__ void k() {}\n";

#define TASK_JSON(ref, extra)                                                                      \
    "{'definition': 'definition.json', 'workloads': 'workloads.jsonl', 'reference': '" ref         \
    "', 'seeds': ['k.cu']" extra "}"

/* A task folder NAME with the definition, the workloads and task.json given. */
static const char *make_task(const char *name, const char *def, const char *wl, const char *tj)
{
    const char *dir = folder(name);
    put(dir, "definition.json", def);
    put(dir, "workloads.jsonl", wl);
    put(dir, "task.json", tj);
    put(dir, "k.cu", KERNEL);
    return dir;
}

/* task_load_dir(dir) fails and its message holds every needle; one hostile case. */
static void refused_(const char *dir, const char *const *needles, int line)
{
    char err[4096] = "";
    evo_task *t = NULL;
    hostile++;
    int rc = task_load_dir(dir, &t, err, sizeof err);
    CHECK_MSG(rc == -1 && t == NULL, "line %d: %s was accepted", line, dir);
    if (rc == 0) task_free(t);
    for (int i = 0; needles[i]; i++)
        CHECK_MSG(strstr(err, needles[i]) != NULL, "line %d: \"%s\" does not contain \"%s\"", line,
                  err, needles[i]);
}
#define REFUSED(dir, ...) refused_((dir), (const char *const[]){__VA_ARGS__, NULL}, __LINE__)

static evo_task *accepted(const char *dir)
{
    char err[4096] = "";
    evo_task *t = NULL;
    int rc = task_load_dir(dir, &t, err, sizeof err);
    CHECK_MSG(rc == 0, "%s refused: %s", dir, err);
    return rc == 0 ? t : NULL;
}

/* ------------------------------------------------------------------------------------ */
/* RMSNorm-shaped definitions                                                           */

/* dtype of hidden_states and output; hidden size; the weight's and the output's shapes. */
static const char *rms_def(const char *dtype, const char *hidden, const char *wshape,
                           const char *oshape)
{
    return fmt("{'name': 'r', 'op_type': 'rmsnorm', 'axes': {'batch_size': {'type': 'var'}, "
               "'hidden_size': {'type': 'const', 'value': %s}}, 'inputs': {'hidden_states': "
               "{'shape': ['batch_size', 'hidden_size'], 'dtype': '%s'}, 'weight': {'shape': %s, "
               "'dtype': 'bfloat16'}}, 'outputs': {'output': {'shape': %s, 'dtype': '%s'}}}",
               hidden, dtype, wshape, oshape, dtype);
}

static const char *RMS_OK_W = "['hidden_size']", *RMS_OK_O = "['batch_size', 'hidden_size']";

static const char *rms_wl(const char *uuid, const char *batch)
{
    return fmt("{'definition': 'r', 'workload': {'uuid': '%s', 'axes': {'batch_size': %s}, "
               "'inputs': {'hidden_states': {'type': 'random'}, 'weight': {'type': "
               "'random'}}}}\n",
               uuid, batch);
}

/* ------------------------------------------------------------------------------------ */
/* item 1: sizes                                                                        */

static void test_sizes(void)
{
    const char *d;
    /* The case: a float32 input of batch 2^60 (x 4 = 2^62 elements, 2^64 bytes: a
     * size_t product wraps to 0). */
    d = make_task("big60", rms_def("float32", "4", RMS_OK_W, RMS_OK_O),
                  rms_wl("u-big", "1152921504606846976"), TASK_JSON("rmsnorm", ""));
    REFUSED(d, "workloads.jsonl:1: workload u-big: input 'hidden_states' "
               "[batch_size=1152921504606846976, hidden_size=4] float32: its size overflows 64 "
               "bits (the bound is 1 TiB a tensor, more than any one device holds)");
    /* 2^62 rows: the element count itself overflows */
    d = make_task("big62", rms_def("bfloat16", "4", RMS_OK_W, RMS_OK_O),
                  rms_wl("u-62", "4611686018427387904"), TASK_JSON("rmsnorm", ""));
    REFUSED(d, "workload u-62: input 'hidden_states'", "overflows 64 bits");
    /* the largest integer JSON gives */
    d = make_task("bigmax", rms_def("bfloat16", "1", RMS_OK_W, RMS_OK_O),
                  rms_wl("u-max", "9223372036854775807"), TASK_JSON("rmsnorm", ""));
    REFUSED(d, "workload u-max: input 'hidden_states' [batch_size=9223372036854775807",
            "overflows 64 bits");
    /* no overflow, but 2 TiB in one tensor */
    d = make_task("big2t", rms_def("bfloat16", "4", RMS_OK_W, RMS_OK_O),
                  rms_wl("u-2t", "274877906944"), TASK_JSON("rmsnorm", ""));
    REFUSED(d, "workload u-2t: input 'hidden_states' [batch_size=274877906944, hidden_size=4] "
               "bfloat16 is 2199023255552 bytes, above the bound of 1 TiB a tensor");
    /* each tensor exactly 1 TiB, two of them: too much together */
    d = make_task("big1t", rms_def("bfloat16", "4", RMS_OK_W, RMS_OK_O),
                  rms_wl("u-1t", "137438953472"), TASK_JSON("rmsnorm", ""));
    REFUSED(d, "workload u-1t: its tensors need 1099511627784 bytes together (up to input "
               "'weight'), above the bound of 1 TiB a workload");
    /* the bad line is named among good ones */
    d = make_task(
        "bigline", rms_def("bfloat16", "4", RMS_OK_W, RMS_OK_O),
        fmt("%s%s%s", rms_wl("u-a", "3"), rms_wl("u-b", "5"), rms_wl("u-c", "1152921504606846976")),
        TASK_JSON("rmsnorm", ""));
    REFUSED(d, "workloads.jsonl:3: workload u-c: input 'hidden_states'");
    /* a definition's own const axis can be absurd too: weight [2^50] */
    d = make_task("bigconst", rms_def("bfloat16", "1125899906842624", RMS_OK_W, RMS_OK_O),
                  rms_wl("u-k", "1"), TASK_JSON("rmsnorm", ""));
    REFUSED(d, "workloads.jsonl:1: workload u-k: input 'hidden_states' [batch_size=1, "
               "hidden_size=1125899906842624] bfloat16 is 2251799813685248 bytes");
    /* an output (inputs small): C [M, N] of 2^41 elements */
    d = make_task("bigout",
                  "{'name': 'g', 'axes': {'M': {'type': 'var'}, 'N': {'type': 'const', 'value': "
                  "1048576}, 'K': {'type': 'const', 'value': 1}}, 'inputs': {'A': {'shape': ['M', "
                  "'K'], 'dtype': 'float16'}, 'B': {'shape': ['N', 'K'], 'dtype': 'float16'}}, "
                  "'outputs': {'C': {'shape': ['M', 'N'], 'dtype': 'float16'}}}",
                  "{'definition': 'g', 'workload': {'uuid': 'u-o', 'axes': {'M': 2097152}, "
                  "'inputs': {'A': {'type': 'random'}, 'B': {'type': 'random'}}}}\n",
                  TASK_JSON("gemm", ""));
    REFUSED(d, "workload u-o: output 'C' [M=2097152, N=1048576] float16 is 4398046511104 bytes");
    /* Below the bound is fine (nothing is allocated at load): 2^35 rows, 2^38 bytes each. */
    d = make_task("bigok", rms_def("bfloat16", "4", RMS_OK_W, RMS_OK_O),
                  rms_wl("u-ok", "34359738368"), TASK_JSON("rmsnorm", ""));
    evo_task *t = accepted(d);
    if (t) {
        CHECK(t->workloads[0].axis_values[0] == 34359738368LL);
        task_free(t);
    }

    /* A dataset (task_from_flashinfer) goes through the same reader. */
    const char *root = folder("ds");
    mkdir(fmt("%s/definitions", root), 0777);
    mkdir(fmt("%s/definitions/rmsnorm", root), 0777);
    mkdir(fmt("%s/workloads", root), 0777);
    mkdir(fmt("%s/workloads/rmsnorm", root), 0777);
    put(root, "definitions/rmsnorm/r.json", rms_def("float32", "4", RMS_OK_W, RMS_OK_O));
    put(root, "workloads/rmsnorm/r.jsonl", rms_wl("u-ds", "1152921504606846976"));
    char err[4096] = "";
    hostile++;
    CHECK(task_from_flashinfer(root, "r", &t, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "r.jsonl:1: workload u-ds: input 'hidden_states'");
    CHECK_CONTAINS(err, "overflows 64 bits");
}

/* `evo check` (evo_check_kernels over a folder of tasks) and opening the evaluator (`evo run`,
 * `evo check CONFIG`) refuse the oversized task with the loader's words. */
static void test_sizes_through_tools(void)
{
    const char *kdir = folder("kernels");
    const char *d = fmt("%s/huge", kdir);
    mkdir(d, 0777);
    put(d, "definition.json", rms_def("float32", "4", RMS_OK_W, RMS_OK_O));
    put(d, "workloads.jsonl", rms_wl("u-tool", "1152921504606846976"));
    put(d, "task.json", TASK_JSON("rmsnorm", ""));
    put(d, "k.cu", KERNEL);
    const char *archs[] = {"sm_90a"};
    char *report = NULL, err[2048] = "";
    int failures = 0;
    hostile++;
    int rc = evo_check_kernels(kdir, archs, 1, 0, &report, &failures, err, sizeof err);
    CHECK_MSG(rc == EVO_OK, "%s", err);
    CHECK_MSG(failures == 1, "failures %d:\n%s", failures, report ? report : "");
    CHECK_CONTAINS(report, "FAIL ");
    CHECK_CONTAINS(report, "workload u-tool: input 'hidden_states'");
    free(report);

    hostile++;
    char cfgtext[2048];
    snprintf(cfgtext, sizeof cfgtext, "{\"evaluator\": {\"task\": \"%s\", \"cache_dir\": \"%s\"}}",
             d, scratch_path("cache"));
    evo_config *cfg = NULL;
    CHECK_MSG(evo_config_parse(cfgtext, "test", &cfg, err, sizeof err) == EVO_OK, "%s", err);
    if (!cfg) return;
    gpu_evaluator *g = NULL;
    rc = gpu_evaluator_new(config_get(cfg, "evaluator"), cfg->dir, cfg->seed, &g, err, sizeof err);
    evo_config_free(cfg);
    CHECK_MSG(rc == EVO_ECONFIG, "gpu_evaluator_new: %s (%s)", evo_strerror(rc), err);
    CHECK_CONTAINS(err, "workloads.jsonl:1: workload u-tool: input 'hidden_states'");
    if (g) gpu_evaluator_free(g);
}

/* The second line: the input generator handed an oversized workload behind the loader's back
 * (a task built in memory) refuses it; it used to write 2^62 floats into a small buffer. Run in
 * a child, so that a crash is a failed check and not the end of the suite. */
static void test_second_line(void)
{
    const char *d = make_task("second", rms_def("float32", "4", RMS_OK_W, RMS_OK_O),
                              rms_wl("u-2nd", "2"), TASK_JSON("rmsnorm", ""));
    evo_task *t = accepted(d);
    if (!t) return;
    t->workloads[0].axis_values[0] = (int64_t)1 << 60; /* 2^62 elements, 2^64 bytes */
    hostile++;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        void *in[2] = {calloc(1, 64), calloc(1, 64)};
        char err[1024] = "";
        int rc = gate_make_inputs(t, &t->workloads[0], 7, in, err, sizeof err);
        _exit(rc == -1 && strstr(err, "input 'hidden_states'") ? 0 : 3);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "gate_make_inputs on 2^62 float32 elements: %s %d",
              WIFSIGNALED(status) ? "killed by signal" : "exit status",
              WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    task_free(t);
}

/* ------------------------------------------------------------------------------------ */
/* item 2: each reference's table against the definition                                */

static void test_rmsnorm_shapes(void)
{
    char *wl = strdup(fmt("%s%s", rms_wl("u-0", "3"), rms_wl("u-1", "5")));
    const char *d;
    /* the two cases: an output declared [batch_size], a weight declared [batch_size] */
    d = make_task("rms_out", rms_def("bfloat16", "4", RMS_OK_W, "['batch_size']"), wl,
                  TASK_JSON("rmsnorm", ""));
    REFUSED(d, "task.json: key 'reference': workload u-0 (batch_size=3): rmsnorm reference: "
               "output 'output' is [3]; it must be [B, H] = [3, 4]");
    d = make_task("rms_w", rms_def("bfloat16", "4", "['batch_size']", RMS_OK_O), wl,
                  TASK_JSON("rmsnorm", ""));
    REFUSED(d, "task.json: key 'reference': workload u-0 (batch_size=3): rmsnorm reference: "
               "input 'weight' is [3]; it must be [H] = [4]");
    d = make_task("rms_w2", rms_def("bfloat16", "4", "['batch_size', 'hidden_size']", RMS_OK_O), wl,
                  TASK_JSON("rmsnorm", ""));
    REFUSED(d, "input 'weight' is [3, 4]; it must be [H] = [4]");
    d = make_task(
        "rms_o3",
        rms_def("bfloat16", "4", RMS_OK_W, "['batch_size', 'hidden_size', 'hidden_size']"), wl,
        TASK_JSON("rmsnorm", ""));
    REFUSED(d, "output 'output' is [3, 4, 4]; it must be [B, H] = [3, 4]");
    /* the output of another hidden size than the input's */
    d = make_task("rms_oh",
                  "{'name': 'r', 'axes': {'batch_size': {'type': 'var'}, 'hidden_size': {'type': "
                  "'const', 'value': 4}, 'wide': {'type': 'const', 'value': 8}}, 'inputs': "
                  "{'hidden_states': {'shape': ['batch_size', 'hidden_size'], 'dtype': "
                  "'bfloat16'}, 'weight': {'shape': ['hidden_size'], 'dtype': 'bfloat16'}}, "
                  "'outputs': {'output': {'shape': ['batch_size', 'wide'], 'dtype': "
                  "'bfloat16'}}}",
                  wl, TASK_JSON("rmsnorm", ""));
    REFUSED(d, "output 'output' is [3, 8]; it must be [B, H] = [3, 4]");
    /* a hidden size of 0: a mean over nothing */
    d = make_task("rms_h0", rms_def("bfloat16", "0", RMS_OK_W, RMS_OK_O), wl,
                  TASK_JSON("rmsnorm", ""));
    REFUSED(d, "rmsnorm reference: H is 0; it must be in 1..");
    /* names: hidden_states called x; an input the reference does not read (a fused residual);
     * the weight marked optional; the output declared as an input */
    const char *x = rms_def("bfloat16", "4", RMS_OK_W, RMS_OK_O);
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", x);
    char *at = strstr(buf, "'hidden_states'");
    memcpy(at, "'x'            ", 15);
    d = make_task("rms_x", buf, rms_wl("u-0", "3"), TASK_JSON("rmsnorm", ""));
    /* (the workload names hidden_states: the reader refuses that first) */
    REFUSED(d, "'hidden_states' is not an input of r");
    put(d, "workloads.jsonl",
        "{'definition': 'r', 'workload': {'uuid': 'u-x', 'axes': {'batch_size': 3}, 'inputs': "
        "{'x': {'type': 'random'}, 'weight': {'type': 'random'}}}}\n");
    REFUSED(d, "key 'reference': workload u-x (batch_size=3): rmsnorm reference: r has no input "
               "'hidden_states' (the reference takes hidden_states [B, H], weight [H] -> output "
               "[B, H])");
    d = make_task("rms_res",
                  "{'name': 'r', 'axes': {'batch_size': {'type': 'var'}, 'hidden_size': {'type': "
                  "'const', 'value': 4}}, 'inputs': {'hidden_states': {'shape': ['batch_size', "
                  "'hidden_size'], 'dtype': 'bfloat16'}, 'residual': {'shape': ['batch_size', "
                  "'hidden_size'], 'dtype': 'bfloat16'}, 'weight': {'shape': ['hidden_size'], "
                  "'dtype': 'bfloat16'}}, 'outputs': {'output': {'shape': ['batch_size', "
                  "'hidden_size'], 'dtype': 'bfloat16'}}}",
                  "{'definition': 'r', 'workload': {'uuid': 'u-r', 'axes': {'batch_size': 3}, "
                  "'inputs': {'hidden_states': {'type': 'random'}, 'residual': {'type': "
                  "'random'}, 'weight': {'type': 'random'}}}}\n",
                  TASK_JSON("rmsnorm", ""));
    REFUSED(d, "rmsnorm reference: r has input 'residual', which the reference does not read or "
               "write");
    d = make_task("rms_opt",
                  "{'name': 'r', 'axes': {'batch_size': {'type': 'var'}, 'hidden_size': {'type': "
                  "'const', 'value': 4}}, 'inputs': {'hidden_states': {'shape': ['batch_size', "
                  "'hidden_size'], 'dtype': 'bfloat16'}, 'weight': {'shape': ['hidden_size'], "
                  "'dtype': 'bfloat16', 'optional': true}}, 'outputs': {'output': {'shape': "
                  "['batch_size', 'hidden_size'], 'dtype': 'bfloat16'}}}",
                  "{'definition': 'r', 'workload': {'uuid': 'u-o', 'axes': {'batch_size': 3}, "
                  "'inputs': {'hidden_states': {'type': 'random'}}}}\n",
                  TASK_JSON("rmsnorm", ""));
    REFUSED(d, "rmsnorm reference: r marks input 'weight' optional; the reference needs it in "
               "every workload");
    d = make_task("rms_dir",
                  "{'name': 'r', 'axes': {'batch_size': {'type': 'var'}, 'hidden_size': {'type': "
                  "'const', 'value': 4}}, 'inputs': {'hidden_states': {'shape': ['batch_size', "
                  "'hidden_size'], 'dtype': 'bfloat16'}, 'weight': {'shape': ['hidden_size'], "
                  "'dtype': 'bfloat16'}, 'output': {'shape': ['batch_size', 'hidden_size'], "
                  "'dtype': 'bfloat16'}}, 'outputs': {'y': {'shape': ['batch_size', "
                  "'hidden_size'], 'dtype': 'bfloat16'}}}",
                  "{'definition': 'r', 'workload': {'uuid': 'u-d', 'axes': {'batch_size': 3}, "
                  "'inputs': {'hidden_states': {'type': 'random'}, 'weight': {'type': 'random'}, "
                  "'output': {'type': 'random'}}}}\n",
                  TASK_JSON("rmsnorm", ""));
    REFUSED(d, "rmsnorm reference: r declares 'output' as an input; the reference takes it as an "
               "output");
    /* the shipped shapes load */
    d = make_task("rms_good", rms_def("bfloat16", "4", RMS_OK_W, RMS_OK_O), wl,
                  TASK_JSON("rmsnorm", ""));
    evo_task *t = accepted(d);
    if (t) task_free(t);
    free(wl);
}

static const char *gemm_def(const char *adt, const char *bdt, const char *bshape,
                            const char *cshape, const char *kname, const char *n)
{
    return fmt("{'name': 'g', 'op_type': 'gemm', 'axes': {'M': {'type': 'var'}, 'N': {'type': "
               "'const', 'value': %s}, '%s': {'type': 'const', 'value': 4}}, 'inputs': {'A': "
               "{'shape': ['M', '%s'], 'dtype': '%s'}, 'B': {'shape': %s, 'dtype': '%s'}}, "
               "'outputs': {'C': {'shape': %s, 'dtype': 'float16'}}}",
               n, kname, kname, adt, bshape, bdt, cshape);
}

static const char *gemm_wl(const char *m)
{
    return fmt("{'definition': 'g', 'workload': {'uuid': 'u-g', 'axes': {'M': %s}, 'inputs': "
               "{'A': {'type': 'random'}, 'B': {'type': 'random'}}}}\n",
               m);
}

static void test_gemm_shapes(void)
{
    const char *d;
    d = make_task("gemm_bt", gemm_def("float16", "float16", "['K', 'N']", "['M', 'N']", "K", "8"),
                  gemm_wl("2"), TASK_JSON("gemm", ""));
    REFUSED(d, "key 'reference': workload u-g (M=2): gemm reference: input 'B' is [4, 8]; it must "
               "be [N, K] = [8, 4]");
    d = make_task("gemm_c", gemm_def("float16", "float16", "['N', 'K']", "['M', 'K']", "K", "8"),
                  gemm_wl("2"), TASK_JSON("gemm", ""));
    REFUSED(d, "gemm reference: output 'C' is [2, 4]; it must be [M, N] = [2, 8]");
    d = make_task("gemm_k", gemm_def("float16", "float16", "['N', 'k']", "['M', 'N']", "k", "8"),
                  gemm_wl("2"), TASK_JSON("gemm", ""));
    REFUSED(d, "gemm reference: g has no axis 'K' (the reference needs it)");
    /* cblas takes int sizes: M = 2^31 is refused (the tensors themselves are small enough) */
    d = make_task("gemm_m", gemm_def("float16", "float16", "['N', 'K']", "['M', 'N']", "K", "1"),
                  gemm_wl("2147483648"), TASK_JSON("gemm", ""));
    REFUSED(d, "gemm reference: axis 'M' is 2147483648; it must be in 0..2147483647");
}

/* The shipped GDN definition at path with one edit (set key of tensor `name` in `group` to
 * the JSON value `value`, or an axis value), as a task folder with workloads wl. */
static const char *gdn_task(const char *name, const char *path, const char *group,
                            const char *tensor, const char *key, const char *value, const char *wl,
                            const char *ref)
{
    json_error_t je;
    json_t *d = json_load_file(path, 0, &je);
    CHECK_MSG(d != NULL, "%s: %s", path, je.text);
    if (!d) return folder(name);
    if (group) {
        json_t *v = json_loads(value, JSON_DECODE_ANY, &je);
        json_object_set_new(json_object_get(json_object_get(d, group), tensor), key, v);
    }
    char *text = json_dumps(d, 0);
    json_decref(d);
    const char *dir = folder(name);
    char file[1024];
    snprintf(file, sizeof file, "%s/definition.json", dir);
    FILE *f = fopen(file, "w");
    fputs(text, f);
    fclose(f);
    free(text);
    put(dir, "workloads.jsonl", wl);
    put(dir, "task.json", fmt(TASK_JSON("%s", ""), ref));
    put(dir, "k.cu", KERNEL);
    return dir;
}

#define DECODE_DEF "kernels/gdn_decode/definition.json"
#define PREFILL_DEF "kernels/gdn_prefill/definition.json"

static const char *decode_wl(const char *uuid, int batch)
{
    return fmt("{'definition': 'gdn_decode_qk4_v8_d128_k_last', 'workload': {'uuid': '%s', "
               "'axes': {'batch_size': %d}, 'inputs': {'q': {'type': 'random'}, 'k': {'type': "
               "'random'}, 'v': {'type': 'random'}, 'state': {'type': 'random'}, 'A_log': "
               "{'type': 'random'}, 'a': {'type': 'random'}, 'dt_bias': {'type': 'random'}, "
               "'b': {'type': 'random'}, 'scale': {'type': 'scalar', 'value': 0.08}}}}\n",
               uuid, batch);
}

static const char *prefill_wl(const char *uuid, int total, int seqs, int len)
{
    return fmt("{'definition': 'gdn_prefill_qk4_v8_d128_k_last', 'workload': {'uuid': '%s', "
               "'axes': {'total_seq_len': %d, 'num_seqs': %d, 'len_cu_seqlens': %d}, 'inputs': "
               "{'q': {'type': 'random'}, 'k': {'type': 'random'}, 'v': {'type': 'random'}, "
               "'state': {'type': 'random'}, 'A_log': {'type': 'random'}, 'a': {'type': "
               "'random'}, 'dt_bias': {'type': 'random'}, 'b': {'type': 'random'}, 'cu_seqlens': "
               "{'type': 'random'}, 'scale': {'type': 'scalar', 'value': 0.08}}}}\n",
               uuid, total, seqs, len);
}

static void test_gdn_shapes(void)
{
    const char *d;
    char *dw = strdup(decode_wl("u-d", 2));
    d = gdn_task("gdn_ok", DECODE_DEF, NULL, NULL, NULL, NULL, dw, "gdn_decode");
    evo_task *t = accepted(d);
    if (t) task_free(t);
    d = gdn_task("gdn_dt", DECODE_DEF, "inputs", "dt_bias", "dtype", "\"bfloat16\"", dw,
                 "gdn_decode");
    REFUSED(d, "gdn_decode reference: input 'dt_bias' is bfloat16; it must be float32");
    d = gdn_task("gdn_alog", DECODE_DEF, "inputs", "A_log", "shape", "[\"num_q_heads\"]", dw,
                 "gdn_decode");
    REFUSED(d, "gdn_decode reference: input 'A_log' is [4]; it must be [HV] = [8]");
    d = gdn_task("gdn_state", DECODE_DEF, "inputs", "state", "shape",
                 "[\"batch_size\", \"num_v_heads\", \"head_size\"]", dw, "gdn_decode");
    REFUSED(d, "input 'state' is [2, 8, 128]; it must be [B, HV, D, D] = [2, 8, 128, 128]");
    d = gdn_task("gdn_ns", DECODE_DEF, "outputs", "new_state", "shape",
                 "[\"batch_size\", \"num_q_heads\", \"head_size\", \"head_size\"]", dw,
                 "gdn_decode");
    REFUSED(d, "output 'new_state' is [2, 4, 128, 128]; it must be [B, HV, D, D] = [2, 8, 128, "
               "128]");
    d = gdn_task("gdn_heads", DECODE_DEF, "axes", "num_v_heads", "value", "6", dw, "gdn_decode");
    REFUSED(d, "gdn reference: num_v_heads 6 is not a multiple of num_q_heads 4");
    d = gdn_task("gdn_seq", DECODE_DEF, "axes", "seq_len", "value", "2", dw, "gdn_decode");
    REFUSED(d, "input 'q' is [2, 2, 4, 128]; it must be [B, 1, HQ, D] = [2, 1, 4, 128]");

    free(dw);
    char *pw = strdup(fmt("%s%s", prefill_wl("u-p1", 6, 2, 3), prefill_wl("u-p2", 6, 2, 2)));
    d = gdn_task("gdn_cu", PREFILL_DEF, NULL, NULL, NULL, NULL, pw, "gdn_prefill");
    free(pw);
    /* the first workload is right, the second's cu_seqlens has num_seqs entries */
    REFUSED(d, "workload u-p2 (total_seq_len=6,num_seqs=2,len_cu_seqlens=2): gdn_prefill "
               "reference: input 'cu_seqlens' is [2]; it must be [N+1] = [3]");
    d = gdn_task("gdn_cu32", PREFILL_DEF, "inputs", "cu_seqlens", "dtype", "\"int32\"",
                 prefill_wl("u-p", 6, 2, 3), "gdn_prefill");
    REFUSED(d, "gdn_prefill reference: input 'cu_seqlens' is int32; it must be int64");
    d = gdn_task("gdn_scale", PREFILL_DEF, "inputs", "scale", "dtype", "\"float16\"",
                 prefill_wl("u-p", 6, 2, 3), "gdn_prefill");
    REFUSED(d, "input 'scale' is float16; it must be float32");
}

/* ------------------------------------------------------------------------------------ */
/* item 10: another operator's reference, cuBLAS for what is not a GEMM, baselines       */

static void test_wrong_reference(void)
{
    const char *d;
    d = make_task("x_rms_gemm", rms_def("bfloat16", "4", RMS_OK_W, RMS_OK_O), rms_wl("u-0", "3"),
                  TASK_JSON("gemm", ""));
    REFUSED(d, "key 'reference': workload u-0 (batch_size=3): gemm reference: r has no input 'A'");
    d = make_task("x_gemm_rms",
                  gemm_def("float16", "float16", "['N', 'K']", "['M', 'N']", "K", "8"),
                  gemm_wl("2"), TASK_JSON("rmsnorm", ""));
    REFUSED(d, "rmsnorm reference: g has no input 'hidden_states'");
    d = gdn_task("x_dec_pre", DECODE_DEF, NULL, NULL, NULL, NULL, decode_wl("u-d", 2),
                 "gdn_prefill");
    REFUSED(d, "gdn_prefill reference: gdn_decode_qk4_v8_d128_k_last has no input 'cu_seqlens'");
    d = gdn_task("x_pre_dec", PREFILL_DEF, NULL, NULL, NULL, NULL, prefill_wl("u-p", 6, 2, 3),
                 "gdn_decode");
    REFUSED(d, "gdn_decode reference: gdn_prefill_qk4_v8_d128_k_last has input 'cu_seqlens', "
               "which the reference does not read or write");
    d = gdn_task("x_dec_rms", DECODE_DEF, NULL, NULL, NULL, NULL, decode_wl("u-d", 2), "rmsnorm");
    REFUSED(d, "rmsnorm reference: gdn_decode_qk4_v8_d128_k_last has no input 'hidden_states'");

    /* A dataset's definition of a known op_type that the reference does not take (a fused
     * residual) gets no reference, not a wrong one; the plain one gets it. */
    const char *root = folder("ds2");
    mkdir(fmt("%s/definitions", root), 0777);
    mkdir(fmt("%s/definitions/rmsnorm", root), 0777);
    mkdir(fmt("%s/workloads", root), 0777);
    mkdir(fmt("%s/workloads/rmsnorm", root), 0777);
    put(root, "definitions/rmsnorm/r.json",
        "{'name': 'r', 'op_type': 'rmsnorm', 'axes': {'batch_size': {'type': 'var'}, "
        "'hidden_size': {'type': 'const', 'value': 4}}, 'inputs': {'hidden_states': {'shape': "
        "['batch_size', 'hidden_size'], 'dtype': 'bfloat16'}, 'residual': {'shape': "
        "['batch_size', 'hidden_size'], 'dtype': 'bfloat16'}, 'weight': {'shape': "
        "['hidden_size'], 'dtype': 'bfloat16'}}, 'outputs': {'output': {'shape': ['batch_size', "
        "'hidden_size'], 'dtype': 'bfloat16'}}}");
    put(root, "workloads/rmsnorm/r.jsonl",
        "{'definition': 'r', 'workload': {'uuid': 'u-f', 'axes': {'batch_size': 3}, 'inputs': "
        "{'hidden_states': {'type': 'random'}, 'residual': {'type': 'random'}, 'weight': "
        "{'type': 'random'}}}}\n");
    char err[2048] = "";
    evo_task *t = NULL;
    hostile++;
    CHECK_MSG(task_from_flashinfer(root, "r", &t, err, sizeof err) == 0, "%s", err);
    if (t) {
        CHECK_MSG(t->reference[0] == 0, "a fused rmsnorm got the '%s' reference", t->reference);
        task_free(t);
    }
    put(root, "definitions/rmsnorm/r.json", rms_def("bfloat16", "4", RMS_OK_W, RMS_OK_O));
    put(root, "workloads/rmsnorm/r.jsonl", rms_wl("u-p", "3"));
    CHECK_MSG(task_from_flashinfer(root, "r", &t, err, sizeof err) == 0, "%s", err);
    if (t) {
        CHECK(strcmp(t->reference, "rmsnorm") == 0);
        task_free(t);
    }
}

static void test_cublas_baseline(void)
{
    const char *d;
    const char *cublas = ", 'baseline': {'kind': 'cublas'}";
    d = make_task("cb_rms", rms_def("bfloat16", "4", RMS_OK_W, RMS_OK_O), rms_wl("u-0", "3"),
                  fmt(TASK_JSON("rmsnorm", "%s"), cublas));
    REFUSED(d, "task.json: key 'baseline.kind': a cuBLAS baseline computes C = A B^T, and r is "
               "not that: workload u-0 (batch_size=3): gemm reference: r has no input 'A'");
    d = make_task("cb_fp8",
                  gemm_def("float8_e4m3fn", "float8_e4m3fn", "['N', 'K']", "['M', 'N']", "K", "8"),
                  gemm_wl("2"), fmt(TASK_JSON("gemm", "%s"), cublas));
    REFUSED(d, "key 'baseline.kind': a cuBLAS baseline takes float16, bfloat16 or float32; input "
               "'A' of g is float8_e4m3fn");
    d = make_task("cb_mix", gemm_def("float16", "bfloat16", "['N', 'K']", "['M', 'N']", "K", "8"),
                  gemm_wl("2"), fmt(TASK_JSON("gemm", "%s"), cublas));
    REFUSED(d, "a cuBLAS baseline takes A and B of one dtype; g has float16 and bfloat16");
    /* the gdn task with a cuBLAS baseline */
    d = gdn_task("cb_gdn", DECODE_DEF, NULL, NULL, NULL, NULL, decode_wl("u-d", 2), "gdn_decode");
    put(d, "task.json", fmt(TASK_JSON("gdn_decode", "%s"), cublas));
    REFUSED(d, "key 'baseline.kind': a cuBLAS baseline computes C = A B^T, and "
               "gdn_decode_qk4_v8_d128_k_last is not that");
    d = make_task("cb_ok", gemm_def("float16", "float16", "['N', 'K']", "['M', 'N']", "K", "8"),
                  gemm_wl("2"), fmt(TASK_JSON("gemm", "%s"), cublas));
    evo_task *t = accepted(d);
    if (t) task_free(t);
}

#define RMS_BASE_PLAN                                                                              \
    "/* evo:launch\n kernel base\n grid batch_size\n block %s\n"                                   \
    " args hidden_states, weight, output, batch_size, hidden_size\n*/\n"
#define RMS_BASE_KERNEL                                                                            \
    "extern 'C' __global__ void base(const float *x, const float *w, float *y, int b, int h)\n"    \
    "{ if (blockIdx.x < b && threadIdx.x < h) y[blockIdx.x * h + threadIdx.x] = x[0] * w[0]; "     \
    "%s}\n"

/* One kernel-baseline task in the kernels folder kdir; the report of `evo check` on it, and
 * the error of opening the evaluator on it (NULL: it opens). */
static const char *baseline_case(const char *kdir, const char *name, const char *source,
                                 char **report, int *failures, char *eval_err, size_t n)
{
    char *src = strdup(source); /* fmt's ring turns over below */
    const char *d = fmt("%s/%s", kdir, name);
    mkdir(d, 0777);
    put(d, "definition.json", rms_def("float32", "4", RMS_OK_W, RMS_OK_O));
    put(d, "workloads.jsonl", fmt("%s%s", rms_wl("u-b1", "3"), rms_wl("u-b2", "70000")));
    put(d, "task.json",
        TASK_JSON("rmsnorm", ", 'baseline': {'kind': 'kernel', 'source': 'baseline.cu'}"));
    put(d, "k.cu", fmt(RMS_BASE_PLAN RMS_BASE_KERNEL, "32", "")); /* a seed that passes */
    put(d, "baseline.cu", src);
    free(src);
    const char *archs[] = {"sm_90a"};
    char err[2048] = "";
    *report = NULL;
    hostile++;
    int rc = evo_check_kernels(kdir, archs, 1, 0, report, failures, err, sizeof err);
    CHECK_MSG(rc == EVO_OK, "%s", err);
    char cfgtext[2048];
    snprintf(cfgtext, sizeof cfgtext, "{\"evaluator\": {\"task\": \"%s\", \"cache_dir\": \"%s\"}}",
             d, scratch_path("cache"));
    evo_config *cfg = NULL;
    CHECK_MSG(evo_config_parse(cfgtext, "test", &cfg, err, sizeof err) == EVO_OK, "%s", err);
    eval_err[0] = 0;
    if (!cfg) return d;
    gpu_evaluator *g = NULL;
    rc = gpu_evaluator_new(config_get(cfg, "evaluator"), cfg->dir, cfg->seed, &g, eval_err, n);
    evo_config_free(cfg);
    if (rc == EVO_OK) eval_err[0] = 0;
    if (g) gpu_evaluator_free(g);
    return d;
}

static void test_kernel_baseline(void)
{
    char *report = NULL, eval_err[4096];
    int failures = 0;
    /* without a launch plan */
    const char *kdir = folder("kb1");
    baseline_case(kdir, "noplan", fmt(RMS_BASE_KERNEL, ""), &report, &failures, eval_err,
                  sizeof eval_err);
    CHECK_MSG(failures == 1, "failures %d:\n%s", failures, report);
    CHECK_CONTAINS(report, "FAIL noplan baseline sm_90a ");
    CHECK_CONTAINS(report, "noplan/task.json: key 'baseline.source': the baseline kernel needs a "
                           "launch plan the sandbox can run: ");
    CHECK_CONTAINS(eval_err, "evaluator: ");
    CHECK_CONTAINS(eval_err, "noplan/task.json: key 'baseline.source': the baseline kernel needs "
                             "a launch plan");
    free(report);
    /* a plan that names a tensor the definition does not have */
    kdir = folder("kb2");
    baseline_case(
        kdir, "badarg",
        "/* evo:launch\n kernel base\n grid batch_size\n block 32\n"
        " args hidden_states, residual, output, batch_size, hidden_size\n*/\n" RMS_BASE_KERNEL,
        &report, &failures, eval_err, sizeof eval_err);
    CHECK_MSG(failures == 1, "failures %d:\n%s", failures, report);
    CHECK_CONTAINS(report, "FAIL badarg baseline sm_90a ");
    CHECK_CONTAINS(report, "residual");
    CHECK_CONTAINS(eval_err, "badarg/task.json: key 'baseline.source'");
    free(report);
    /* a launch no device makes: 2048 threads a block, or a grid of 70000 rows (fine) */
    kdir = folder("kb3");
    baseline_case(kdir, "bigblock", fmt(RMS_BASE_PLAN RMS_BASE_KERNEL, "2048", ""), &report,
                  &failures, eval_err, sizeof eval_err);
    CHECK_MSG(failures == 1, "failures %d:\n%s", failures, report);
    CHECK_CONTAINS(report, "FAIL bigblock baseline sm_90a ");
    CHECK_CONTAINS(report, "the baseline's launch plan: workload batch_size=3: kernel 'base' "
                           "block.x = 2048");
    CHECK_CONTAINS(report, "must be in 1..1024");
    CHECK_CONTAINS(eval_err, "bigblock/task.json: key 'baseline.source': the baseline's launch "
                             "plan: workload batch_size=3: kernel 'base' block.x = 2048");
    free(report);
    /* a plan that is fine and a kernel that does not compile: `evo check` compiles it */
    kdir = folder("kb4");
    baseline_case(kdir, "nocompile",
                  fmt(RMS_BASE_PLAN RMS_BASE_KERNEL, "32", "undeclared_thing = 1; "), &report,
                  &failures, eval_err, sizeof eval_err);
    CHECK_MSG(failures == 1, "failures %d:\n%s", failures, report);
    CHECK_CONTAINS(report, "FAIL nocompile baseline sm_90a ");
    CHECK_CONTAINS(report, "the baseline kernel does not compile for sm_90a: ");
    CHECK_CONTAINS(report, "undeclared_thing");
    free(report);
    /* and a good one passes both */
    kdir = folder("kb5");
    hostile--; /* not hostile */
    baseline_case(kdir, "good", fmt(RMS_BASE_PLAN RMS_BASE_KERNEL, "32", ""), &report, &failures,
                  eval_err, sizeof eval_err);
    CHECK_MSG(failures == 0, "failures %d:\n%s", failures, report);
    CHECK_CONTAINS(report, "ok   good baseline sm_90a");
    CHECK_MSG(eval_err[0] == 0, "the evaluator refused a good baseline: %s", eval_err);
    free(report);
}

int main(void)
{
    scratch_dir("task-hostile");
    test_sizes();
    test_sizes_through_tools();
    test_second_line();
    test_rmsnorm_shapes();
    test_gemm_shapes();
    test_gdn_shapes();
    test_wrong_reference();
    test_cublas_baseline();
    test_kernel_baseline();
    printf("%d hostile task folders, datasets and workloads tried\n", hostile);
    int rc = CHECK_DONE();
    scratch_remove();
    return rc;
}
