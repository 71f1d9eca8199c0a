/* fuzz_launch.c -- the evo:launch language (gpu/task/plan.c) and the kernel-declaration reader
 * under it (gpu/task/kernel_decl.c): any source, as a model could write it, is read for its
 * __global__ declarations and its launch plan is parsed against each shipped task's definition
 * (kernels/gemm, rmsnorm, gdn_decode, gdn_prefill); a plan that parses is resolved as `evo
 * check` and the sandbox resolve it: for a small, a middle and a large workload of the task,
 * at the defaults of the source's evo:params block, with an H100's device constants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kernel_decl.h"
#include "plan.h"
#include "space.h"

#define NTASKS 4
static evo_task tasks[NTASKS];
static int ntasks;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const char *const names[NTASKS] = {"gemm", "rmsnorm", "gdn_decode", "gdn_prefill"};
    for (int i = 0; i < NTASKS; i++) {
        char path[1024], err[1024];
        evo_task *t = &tasks[ntasks];
        snprintf(path, sizeof path, "%s/kernels/%s/definition.json", EVO_SOURCE_DIR, names[i]);
        if (task_load_definition(path, &t->def, err, sizeof err)) fuzz_fail("%s", err);
        snprintf(path, sizeof path, "%s/kernels/%s/workloads.jsonl", EVO_SOURCE_DIR, names[i]);
        task_workload *w = NULL;
        int n = task_load_workloads(path, &t->def, &w, err, sizeof err);
        if (n < 1) fuzz_fail("%s: %s", path, n < 0 ? err : "no workloads");
        /* three workloads: the first, the middle one and the last */
        int pick[3] = {0, n / 2, n - 1};
        t->workloads = calloc(3, sizeof *t->workloads);
        if (!t->workloads) fuzz_fail("out of memory");
        for (int k = 0; k < 3; k++) {
            t->workloads[k] = w[pick[k]];
            memset(&w[pick[k]], 0, sizeof w[0]);
        }
        task_workloads_free(w, n);
        t->nworkloads = 3;
        ntasks++;
    }
    return 0;
}

typedef struct env {
    const evo_task *t;
    const task_workload *w;
    const evo_space *s;
    const evo_point *p;
    const evo_constants *k;
} env;

/* As seed_check.c's: parameters, then device constants, then the workload's axes. */
static int env_lookup(void *user, const char *name, int64_t *out)
{
    const env *e = user;
    int i = e->s ? space_find(e->s, name) : -1;
    if (i >= 0) {
        const evo_param *par = &e->s->params[i];
        *out = par->kind == PARAM_ENUM ? e->p->idx[i] : par->ints[e->p->idx[i]];
        return 0;
    }
    if (constants_get(e->k, name, out) == 0) return 0;
    return task_axis_value(e->t, e->w, name, out);
}

static void resolve(const evo_plan *plan, env *e)
{
    char err[1024];
    for (int w = 0; w < e->t->nworkloads; w++) {
        e->w = &e->t->workloads[w];
        for (int k = 0; k < plan->nkernels; k++) {
            plan_launch l;
            err[0] = '\0';
            if (plan_resolve(plan, k, env_lookup, e, 232448, &l, err, sizeof err) == 0) {
                if (l.skip) continue;
                for (int d = 0; d < 3; d++)
                    if (l.grid[d] < 1 || l.block[d] < 1 || l.block[d] > 1024)
                        fuzz_fail("kernel %d resolved to grid %u block %u", k, l.grid[d],
                                  l.block[d]);
                if (l.smem > 232448) fuzz_fail("kernel %d resolved to smem %u", k, l.smem);
            } else if (!err[0]) {
                fuzz_fail("plan_resolve failed without a message");
            }
        }
        for (int s = 0; s < plan->nworkspaces; s++) {
            err[0] = '\0';
            if (plan_workspace_bytes(plan, s, env_lookup, e, err, sizeof err) < 0 && !err[0])
                fuzz_fail("plan_workspace_bytes failed without a message");
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *source = fuzz_text(data, size);
    int nk = 0;
    kdecl *ks = kernel_decl_parse(source, &nk);
    for (int i = 0; i < nk; i++)
        if (!ks[i].name[0] || ks[i].nparams < 0) fuzz_fail("kernel %d: no name or parameters", i);
    free(ks);

    char err[1024];
    evo_space *s = space_parse(source, err, sizeof err);
    evo_point p = s ? point_new(s) : (evo_point){0, NULL};
    evo_constants k;
    constants_init(&k);
    constants_set(&k, "SM_COUNT", 132);
    constants_set(&k, "SMEM_OPTIN", 232448);
    constants_set(&k, "SMEM_LIMIT", 232448);
    constants_set(&k, "L2_BYTES", 50LL << 20);
    constants_set(&k, "WARP_SIZE", 32);
    for (int t = 0; t < ntasks; t++) {
        err[0] = '\0';
        evo_plan *plan = plan_parse(source, &tasks[t], err, sizeof err);
        fuzz_note("launch: %s: %s", tasks[t].def.name, plan ? "plan accepted" : err);
        if (!plan) {
            if (strncmp(err, "launch plan line ", 17))
                fuzz_fail("plan_parse's error does not name the line: '%s'", err);
            continue;
        }
        env e = {&tasks[t], NULL, s, &p, &k};
        resolve(plan, &e);
        plan_free(plan);
    }
    constants_free(&k);
    point_free(&p);
    space_free(s);
    free(source);
    return 0;
}
