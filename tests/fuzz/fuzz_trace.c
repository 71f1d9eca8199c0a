/* fuzz_trace.c -- the FlashInfer Trace reader (gpu/task/task_trace.c): an input is a
 * definition JSON, a line "%%", then a workloads JSONL, each written to a file and read as a
 * dataset's files are. A definition and workloads that load are then used as the evaluator
 * uses them: every tensor's element count for every workload, the host references' view of
 * each workload, the blob check (fallback policy), and the cost model's queries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "task.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    char *part[2];
    int n = fuzz_split(text, part, 2);
    fuzz_write("definition.json", part[0], strlen(part[0]));
    fuzz_write("workloads.jsonl", n > 1 ? part[1] : "", n > 1 ? strlen(part[1]) : 0);
    free(text);

    char err[2048];
    evo_task *t = calloc(1, sizeof *t);
    if (!t) fuzz_fail("out of memory");
    snprintf(t->dir, sizeof t->dir, "%s", fuzz_dir());
    strcpy(t->baseline_kind, "none");
    err[0] = '\0';
    int rc = task_load_definition(fuzz_path("definition.json"), &t->def, err, sizeof err);
    if (rc) fuzz_note("trace: %s", err);
    if (rc) {
        if (!err[0]) fuzz_fail("task_load_definition failed without a message");
        task_free(t);
        return 0;
    }
    int nw =
        task_load_workloads(fuzz_path("workloads.jsonl"), &t->def, &t->workloads, err, sizeof err);
    fuzz_note("trace: %s", nw < 0 ? err : "accepted");
    if (nw < 0) {
        if (!err[0]) fuzz_fail("task_load_workloads failed without a message");
        if (t->workloads) fuzz_fail("task_load_workloads failed but handed out workloads");
        task_free(t);
        return 0;
    }
    t->nworkloads = nw;
    for (int i = 0; i < nw; i++) {
        const task_workload *w = &t->workloads[i];
        if (w->ninputs != t->def.ninputs) fuzz_fail("workload %d has %d inputs", i, w->ninputs);
        for (int j = 0; j < t->def.ninputs; j++)
            (void)task_tensor_numel(t, w, &t->def.inputs[j]);
        for (int j = 0; j < t->def.noutputs; j++)
            (void)task_tensor_numel(t, w, &t->def.outputs[j]);
        for (int a = 0; a < t->def.naxes; a++) {
            int64_t v;
            if (task_axis_value(t, w, t->def.axes[a].name, &v) == 0 && t->def.axes[a].is_var &&
                v < 0)
                fuzz_fail("workload %d: axis %s = %lld", i, t->def.axes[a].name, (long long)v);
        }
        ref_problem p;
        (void)task_problem(t, w, &p, err, sizeof err);
        (void)task_bytes(t, w);
        (void)task_flops(t, w);
    }
    err[0] = '\0';
    if (task_check_blobs(t->workloads, nw, fuzz_dir(), 1, err, sizeof err) < 0 && !err[0])
        fuzz_fail("task_check_blobs failed without a message");
    free(task_describe(t));
    task_free(t);
    return 0;
}
