/* fuzz_task.c -- evo's task.json (gpu/task/task.c) around a definition and its workloads: an
 * input is task.json, a line "%%", definition.json, "%%", workloads.jsonl, written into a task
 * folder that also holds four seed kernels (seed.cu, seed2.cu ...) and a baseline (baseline.cu), and
 * loaded as `evo run` loads kernels/<op>/. A task that loads is described for a prompt, costed
 * for each workload and given its compile options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "task.h"

static const char seed[] = "/* evo:params\n BM pow2 16..64 default 32\n*/\n"
                           "extern \"C\" __global__ void k(const float *A, float *C, int M) {}\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_write("seed.cu", seed, strlen(seed));
    fuzz_write("seed2.cu", seed, strlen(seed));
    fuzz_write("seed3.cu", seed, strlen(seed));
    fuzz_write("seed4.cu", seed, strlen(seed));
    fuzz_write("baseline.cu", seed, strlen(seed));
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    char *part[3];
    int n = fuzz_split(text, part, 3);
    fuzz_write("task.json", part[0], strlen(part[0]));
    fuzz_write("definition.json", n > 1 ? part[1] : "", n > 1 ? strlen(part[1]) : 0);
    fuzz_write("workloads.jsonl", n > 2 ? part[2] : "", n > 2 ? strlen(part[2]) : 0);
    free(text);

    char err[2048] = "";
    evo_task *t = NULL;
    int rc = task_load_dir(fuzz_dir(), &t, err, sizeof err);
    fuzz_note("task: %s", rc ? err : "accepted");
    if (rc) {
        if (t) fuzz_fail("task_load_dir failed but handed out a task");
        if (!err[0]) fuzz_fail("task_load_dir failed without a message");
        return 0;
    }
    if (t->nworkloads < 1 || t->nseeds < 1) fuzz_fail("a task with no workloads or no seeds");
    free(task_describe(t));
    for (int i = 0; i < t->nworkloads; i++) {
        (void)task_bytes(t, &t->workloads[i]);
        (void)task_flops(t, &t->workloads[i]);
    }
    for (int i = 0; i < t->nseeds; i++)
        (void)task_seed_supports(t, i, "sm_90a");
    const char *names[] = {"BM"}, *values[] = {"32"};
    int count = 0;
    char **opts = task_compile_options(t, 1, names, values, &count);
    if (!opts) fuzz_fail("task_compile_options failed");
    task_options_free(opts, count);
    task_free(t);
    return 0;
}
