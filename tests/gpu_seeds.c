/* gpu_seeds.c -- every shipped seed kernel of every task, at its default parameters, through
 * the real GPU evaluator on all of the task's workloads (needs a GPU; label gpu).
 *
 * The tasks are the folders kernels/<task>/ holding a task.json, in name order; the seeds
 * are that task.json's "seeds" list as the task loader reads it. A seed restricted to other
 * architectures ({"file": ..., "archs": [...]}) is skipped with a note naming the device's.
 * Each seed prints one line per workload (label, status, latency, baseline latency,
 * speedup) and a summary: workloads timed, the arithmetic mean of per-workload latency (the
 * FlashInfer contest's figure for a definition), the arithmetic mean of per-workload
 * speedups against the task's baseline, and the fitness. A recap of every seed ends the run.
 *
 * Checks: every seed passes the gate (PASSED on every workload). Seeds of gdn_decode and
 * gdn_prefill must also beat the task's baseline (fitness, the mean speedup, above 1); for
 * the other tasks the speedup is only reported.
 *
 * Knobs, for kernel authors (environment variables; both unset in ctest):
 *   EVO_SEEDS_ONLY="task[/seedfile],..."  only these tasks, or these seeds of a task, e.g.
 *       "gdn_decode,gemm/gemm_mma.cu"; a seed is named by its file, with or without .cu
 *       and any directory ("gemm_bf16/gemm_simt" is gemm_simt.cu of gemm_bf16).
 *       An unknown task stops the suite before any GPU work; an unknown seed is a failure.
 *   EVO_SEEDS_PARAMS="NAME=VALUE,..."  evaluate this point instead of the defaults (names
 *       not given keep their defaults). For each seed, a name outside its evo:params space,
 *       a value outside the parameter's domain, or a point that breaks one of the space's
 *       constraints (read with the device constants `evo check` assumes) is a failure for
 *       that seed, printed, and the seed is not evaluated. With this knob set the
 *       beat-the-baseline check is not made (a point under study may be slower); the gate
 *       check still is.
 * Without a GPU the suite prints the reason and exits 77 (skipped). */
#include <glob.h>

#include "expr.h"
#include "gpu_harness.h"
#include "space.h"

#define SEEDS_MAX_TASKS 64
#define SEEDS_MAX_ITEMS 64
#define SEEDS_MAX_RECAP 256

typedef struct only_item {
    char task[TASK_NAME];
    char seed[TASK_NAME]; /* file stem, or "" for every seed of the task */
    int matched;
} only_item;

typedef struct param_item {
    char name[TASK_NAME];
    char value[TASK_NAME];
} param_item;

typedef struct knobs {
    int nonly;
    only_item only[SEEDS_MAX_ITEMS];
    int nparams;
    param_item params[SEEDS_MAX_ITEMS];
} knobs;

static int nrecap;
static char recap[SEEDS_MAX_RECAP][640];

/* One line of the recap printed at the end: a seed (or task) and what became of it. */
static void add_recap(const char *who, const char *what)
{
    if (nrecap < SEEDS_MAX_RECAP) snprintf(recap[nrecap++], sizeof recap[0], "%-36s %s", who, what);
}

/* "../gemm/gemm_simt.cu" -> "gemm_simt", as the task loader names seeds. */
static void file_stem(char out[TASK_NAME], const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, TASK_NAME, "%s", base);
    size_t n = strlen(out);
    if (n > 3 && strcmp(out + n - 3, ".cu") == 0) out[n - 3] = 0;
}

/* Trim spaces at both ends in place. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    return s;
}

/* Parse both knobs. Returns 0, or -1 after printing what is wrong. */
static int parse_knobs(knobs *k)
{
    memset(k, 0, sizeof *k);
    const char *only = getenv("EVO_SEEDS_ONLY");
    if (only && *only) {
        char *copy = strdup(only), *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            tok = trim(tok);
            if (!*tok) continue;
            if (k->nonly == SEEDS_MAX_ITEMS) {
                fprintf(stderr, "EVO_SEEDS_ONLY: more than %d entries\n", SEEDS_MAX_ITEMS);
                free(copy);
                return -1;
            }
            only_item *it = &k->only[k->nonly++];
            char *slash = strchr(tok, '/');
            if (slash) {
                *slash = 0;
                file_stem(it->seed, trim(slash + 1));
                if (!it->seed[0]) {
                    fprintf(stderr, "EVO_SEEDS_ONLY: entry '%s/': no seed after the '/'\n", tok);
                    free(copy);
                    return -1;
                }
            }
            snprintf(it->task, sizeof it->task, "%s", trim(tok));
        }
        free(copy);
    }
    const char *params = getenv("EVO_SEEDS_PARAMS");
    if (params && *params) {
        char *copy = strdup(params), *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            tok = trim(tok);
            if (!*tok) continue;
            char entry[256];
            snprintf(entry, sizeof entry, "%s", tok);
            char *eq = strchr(tok, '=');
            if (eq) *eq = 0;
            const char *name = trim(tok), *value = eq ? trim(eq + 1) : "";
            if (!eq || !*name || !*value) {
                fprintf(stderr, "EVO_SEEDS_PARAMS: entry '%s': expected NAME=VALUE\n", entry);
                free(copy);
                return -1;
            }
            if (k->nparams == SEEDS_MAX_ITEMS) {
                fprintf(stderr, "EVO_SEEDS_PARAMS: more than %d entries\n", SEEDS_MAX_ITEMS);
                free(copy);
                return -1;
            }
            for (int i = 0; i < k->nparams; i++) {
                if (strcmp(k->params[i].name, name) == 0) {
                    fprintf(stderr, "EVO_SEEDS_PARAMS: %s is given twice\n", name);
                    free(copy);
                    return -1;
                }
            }
            param_item *p = &k->params[k->nparams++];
            snprintf(p->name, sizeof p->name, "%s", name);
            snprintf(p->value, sizeof p->value, "%s", value);
        }
        free(copy);
    }
    return 0;
}

/* Task folder names (kernels/<name>/task.json), sorted. Returns the count, or -1. */
static int list_tasks(char names[][TASK_NAME], int max)
{
    char pattern[1024];
    snprintf(pattern, sizeof pattern, "%s/kernels/*/task.json", harness_source_dir());
    glob_t gl;
    if (glob(pattern, 0, NULL, &gl) != 0) {
        fprintf(stderr, "no task folders match %s\n", pattern);
        return -1;
    }
    int n = 0;
    for (size_t i = 0; i < gl.gl_pathc && n < max; i++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s", gl.gl_pathv[i]);
        char *slash = strrchr(dir, '/'); /* ".../kernels/<name>/task.json" */
        if (!slash) continue;
        *slash = 0;
        const char *name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
        size_t len = strlen(name);
        if (len >= TASK_NAME) continue; /* too long to be a task name here */
        memcpy(names[n++], name, len + 1);
    }
    globfree(&gl);
    return n;
}

static int task_wanted(const knobs *k, const char *task)
{
    if (k->nonly == 0) return 1;
    for (int i = 0; i < k->nonly; i++)
        if (strcmp(k->only[i].task, task) == 0) return 1;
    return 0;
}

static int seed_wanted(knobs *k, const char *task, const char *seed)
{
    if (k->nonly == 0) return 1;
    int want = 0;
    for (int i = 0; i < k->nonly; i++) {
        only_item *it = &k->only[i];
        if (strcmp(it->task, task) != 0) continue;
        if (!it->seed[0]) {
            want = 1;
        } else if (strcmp(it->seed, seed) == 0) {
            it->matched = 1;
            want = 1;
        }
    }
    return want;
}

/* Seeds named in EVO_SEEDS_ONLY for task that the task does not have. */
static void check_only_seeds(const knobs *k, const char *task, const evo_task *t)
{
    for (int i = 0; i < k->nonly; i++) {
        const only_item *it = &k->only[i];
        if (strcmp(it->task, task) != 0 || !it->seed[0] || it->matched) continue;
        char have[1024] = "";
        for (int s = 0; s < t->nseeds; s++) {
            size_t len = strlen(have);
            snprintf(have + len, sizeof have - len, "%s%s", s ? ", " : "", t->seed_names[s]);
        }
        CHECK_MSG(0, "EVO_SEEDS_ONLY: task %s has no seed '%s' (its seeds: %s)", task, it->seed,
                  have);
    }
}

/* The constants a constraint may read: the device facts `evo check` assumes for arch, and
 * the task's const axes. */
static void space_constants(const evo_task *t, const char *arch, evo_constants *k)
{
    int sm100 = strncmp(arch, "sm_10", 5) == 0;
    constants_set(k, "SM_COUNT", sm100 ? 148 : 132);
    constants_set(k, "SMEM_OPTIN", 232448);
    constants_set(k, "SMEM_LIMIT", 232448);
    constants_set(k, "L2_BYTES", sm100 ? 126LL << 20 : 50LL << 20);
    constants_set(k, "WARP_SIZE", 32);
    for (int i = 0; i < t->def.naxes; i++)
        if (!t->def.axes[i].is_var) constants_set(k, t->def.axes[i].name, t->def.axes[i].value);
}

/* Move p to the point EVO_SEEDS_PARAMS names. Returns 0, or -1 after a failed check that
 * says why (the seed is then not evaluated). */
static int apply_params(const knobs *k, const char *who, const evo_task *t, const char *arch,
                        const evo_space *sp, evo_point *p)
{
    for (int i = 0; i < k->nparams; i++) {
        const param_item *it = &k->params[i];
        int at = space_find(sp, it->name);
        if (at < 0) {
            char have[1024] = "";
            for (int j = 0; j < sp->nparams; j++) {
                size_t len = strlen(have);
                snprintf(have + len, sizeof have - len, "%s%s", j ? " " : "", sp->params[j].name);
            }
            CHECK_MSG(0, "EVO_SEEDS_PARAMS: %s has no parameter %s (its parameters: %s)", who,
                      it->name, have[0] ? have : "none");
            return -1;
        }
        const evo_param *par = &sp->params[at];
        int v = param_value_index(par, it->value);
        if (v < 0) {
            char dom[1024] = "";
            for (int j = 0; j < par->nvalues; j++) {
                size_t len = strlen(dom);
                snprintf(dom + len, sizeof dom - len, "%s%s", j ? " " : "", par->values[j]);
            }
            CHECK_MSG(0, "EVO_SEEDS_PARAMS: %s: %s=%s is not in the domain of %s (%s)", who,
                      it->name, it->value, it->name, dom);
            return -1;
        }
        p->idx[at] = v;
    }
    if (k->nparams == 0 || sp->nconstraints == 0) return 0; /* defaults: as the engine seeds */
    evo_constants kc;
    constants_init(&kc);
    space_constants(t, arch, &kc);
    int *fails = calloc((size_t)sp->nconstraints, sizeof *fails);
    char err[512] = "";
    int ok = fails ? space_check_count(sp, &kc, p, fails, err, sizeof err) : -1;
    constants_free(&kc);
    if (ok < 0) CHECK_MSG(0, "EVO_SEEDS_PARAMS: %s: cannot check the constraints: %s", who, err);
    for (int i = 0; ok == 0 && i < sp->nconstraints; i++)
        CHECK_MSG(!fails[i], "EVO_SEEDS_PARAMS: %s: the point breaks the constraint '%s'", who,
                  expr_text(sp->constraints[i]));
    free(fails);
    return ok == 1 ? 0 : -1;
}

static const char *workload_status(const json_t *fig)
{
    const json_t *st = json_object_get(fig, "status");
    if (!json_is_number(st)) return "?";
    int s = (int)json_number_value(st);
    return s >= 0 && s < EVO_STATUS_COUNT ? evo_status_name((evo_status)s) : "?";
}

/* Print the per-workload lines and the summary, and make the checks. */
static void report(const char *task, const char *who, const evo_task *t, const evo_result *r,
                   int at_defaults)
{
    int timed = 0, passed = 0, not_run = 0;
    double sum_us = 0, sum_speedup = 0;
    for (int i = 0; i < t->nworkloads; i++) {
        const char *label = t->workloads[i].label;
        json_t *fig = json_object_get(r->workloads, label);
        if (!fig) {
            not_run++;
            continue;
        }
        const char *st = workload_status(fig);
        if (strcmp(st, "PASSED") == 0) passed++;
        json_t *lat = json_object_get(fig, "latency_us");
        if (!json_is_number(lat)) {
            json_t *abs_err = json_object_get(fig, "max_abs_err");
            if (json_is_number(abs_err))
                printf("  %-36s %-24s max_abs_err %g\n", label, st, json_number_value(abs_err));
            else
                printf("  %-36s %s\n", label, st);
            continue;
        }
        double us = json_number_value(lat);
        double base = json_number_value(json_object_get(fig, "baseline_us"));
        double speedup = json_number_value(json_object_get(fig, "speedup"));
        timed++;
        sum_us += us;
        sum_speedup += speedup;
        if (base > 0)
            printf("  %-36s %-24s %10.2f us  baseline %10.2f us  speedup %6.3f\n", label, st, us,
                   base, speedup);
        else
            printf("  %-36s %-24s %10.2f us  baseline          -     speedup      -\n", label, st,
                   us);
    }
    if (not_run)
        printf("  (%d workloads not run: the evaluation stops at the first that fails)\n", not_run);
    double mean_us = timed ? sum_us / timed : 0, mean_speedup = timed ? sum_speedup / timed : 0;
    int ok = r->status == EVO_STATUS_PASSED && passed == t->nworkloads;
    printf("  %s: %s, %d/%d workloads timed, mean latency %.3f us, mean speedup %.3f "
           "(baseline: %s), fitness %.4f\n",
           who, evo_status_name(r->status), timed, t->nworkloads, mean_us, mean_speedup,
           t->baseline_kind, r->fitness);
    if (r->status != EVO_STATUS_PASSED && r->error) printf("  error: %s\n", r->error);
    char line[256];
    snprintf(line, sizeof line,
             "%-19s %3d/%-3d workloads  mean %10.3f us  mean speedup %6.3f  fitness %7.4f",
             evo_status_name(r->status), timed, t->nworkloads, mean_us, mean_speedup, r->fitness);
    add_recap(who, line);
    CHECK_MSG(ok, "%s: the gate: %s on the whole, PASSED on %d of %d workloads%s%s", who,
              evo_status_name(r->status), passed, t->nworkloads, r->error ? ": " : "",
              r->error ? r->error : "");
    int must_beat = strcmp(task, "gdn_decode") == 0 || strcmp(task, "gdn_prefill") == 0;
    if (!must_beat || !ok) return;
    if (!at_defaults) {
        printf("  (beating the baseline is not checked: EVO_SEEDS_PARAMS is set)\n");
        return;
    }
    CHECK_MSG(r->fitness > 1, "%s: fitness %.4f (mean speedup %.3f) does not beat the baseline",
              who, r->fitness, mean_speedup);
}

static void run_seed(evo_evaluator *ev, const knobs *k, const char *task, const evo_task *t, int i,
                     const char *arch)
{
    char who[2 * TASK_NAME + 2];
    snprintf(who, sizeof who, "%s/%s", task, t->seed_names[i]);
    char err[1024] = "";
    evo_space *sp = space_parse(t->seed_sources[i], err, sizeof err);
    CHECK_MSG(sp != NULL, "%s: evo:params: %s", who, err);
    if (!sp) {
        add_recap(who, "its evo:params block does not parse");
        return;
    }
    evo_point pt = point_new(sp);
    if (sp->nparams > 0 && !pt.idx) {
        CHECK_MSG(0, "%s: out of memory", who);
        space_free(sp);
        return;
    }
    if (apply_params(k, who, t, arch, sp, &pt) != 0) {
        add_recap(who, "not evaluated: EVO_SEEDS_PARAMS does not fit its space");
        point_free(&pt);
        space_free(sp);
        return;
    }
    char *params = point_to_json(sp, &pt);
    printf("-- %s at %s%s\n", who, params ? params : "?", k->nparams ? "" : " (defaults)");
    free(params);
    evo_genome *gen = genome_new(t->seed_names[i], t->seed_sources[i], sp, &pt);
    evo_result *r = result_new();
    int rc = gen && r ? ev->evaluate(ev->user, 0, gen, r) : EVO_ENOMEM;
    CHECK_MSG(rc == EVO_OK, "%s: evaluate returned %s: %s", who, evo_strerror(rc),
              r && r->error ? r->error : "");
    if (r) report(task, who, t, r, k->nparams == 0);
    result_free(r);
    genome_free(gen);
    point_free(&pt);
    space_free(sp);
}

/* Every wanted seed of one task. Returns 77 when there is no GPU, else 0. */
static int run_task(knobs *k, const char *task)
{
    char rel[TASK_NAME + 16];
    snprintf(rel, sizeof rel, "kernels/%s", task);
    printf("== %s\n", rel);
    fflush(stdout);
    gpu_evaluator *g = NULL;
    evo_evaluator ev;
    int rc = harness_open_task(rel, "", &g, &ev);
    if (rc == 77) return 77;
    CHECK_MSG(rc == 0, "%s: the evaluator did not start", rel);
    if (rc != 0) {
        add_recap(task, "the evaluator did not start");
        return 0;
    }
    const evo_task *t = gpu_evaluator_task(g);
    const char *arch = gpu_evaluator_arch(g);
    for (int i = 0; i < t->nseeds; i++) {
        if (!seed_wanted(k, task, t->seed_names[i])) continue;
        if (!task_seed_supports(t, i, arch)) {
            char who[2 * TASK_NAME + 2], why[256];
            snprintf(who, sizeof who, "%s/%s", task, t->seed_names[i]);
            snprintf(why, sizeof why, "skipped: needs %s, the device is %s", t->seed_archs[i],
                     arch);
            printf("-- %s %s\n", who, why);
            add_recap(who, why);
            continue;
        }
        run_seed(&ev, k, task, t, i, arch);
        fflush(stdout);
    }
    check_only_seeds(k, task, t);
    ev.stop(ev.user);
    gpu_evaluator_free(g);
    return 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep the CHECK failures (stderr) in place */
    knobs *k = calloc(1, sizeof *k);
    if (!k || parse_knobs(k) != 0) {
        free(k);
        return 1;
    }
    static char tasks[SEEDS_MAX_TASKS][TASK_NAME];
    int ntasks = list_tasks(tasks, SEEDS_MAX_TASKS);
    if (ntasks <= 0) {
        free(k);
        return 1;
    }
    for (int i = 0; i < k->nonly; i++) {
        int found = 0;
        for (int j = 0; j < ntasks; j++)
            found |= strcmp(k->only[i].task, tasks[j]) == 0;
        if (!found) {
            fprintf(stderr, "EVO_SEEDS_ONLY: no task folder kernels/%s with a task.json\n",
                    k->only[i].task);
            free(k);
            return 1;
        }
    }
    if (k->nparams) {
        printf("EVO_SEEDS_PARAMS:");
        for (int i = 0; i < k->nparams; i++)
            printf(" %s=%s", k->params[i].name, k->params[i].value);
        printf("\n");
    }
    for (int i = 0; i < ntasks; i++) {
        if (!task_wanted(k, tasks[i])) continue;
        if (run_task(k, tasks[i]) == 77) {
            free(k);
            return 77;
        }
    }
    printf("== recap (mean latency and mean speedup over each seed's workloads)\n");
    for (int i = 0; i < nrecap; i++)
        printf("  %s\n", recap[i]);
    free(k);
    return CHECK_DONE();
}
