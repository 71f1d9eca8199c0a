/* seed_check.c -- `evo check`: compile every seed of a task at its defaults and at random valid
 * points of its space, with no GPU, and check each launch plan against every workload.
 *
 * This is the cheap gate a kernel author runs before spending GPU time: a seed that does
 * not compile at some point of its own space, or whose plan asks for an impossible launch,
 * would otherwise surface as a stream of COMPILE_ERROR children mid-run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_evaluator.h"
#include "nvrtc.h"
#include "pcg.h"
#include "plan.h"
#include "space.h"

#define CHECK_MAX_TRIES 10000

/* Device facts for an architecture, as the worker would measure them on the part itself;
 * constraints and plans read them before any device exists. */
static void device_constants(const char *arch, evo_constants *k)
{
    int sm100 = !strncmp(arch, "sm_10", 5);
    constants_set(k, "SM_COUNT", sm100 ? 148 : 132);
    constants_set(k, "SMEM_OPTIN", 232448);
    constants_set(k, "SMEM_LIMIT", 232448);
    constants_set(k, "L2_BYTES", sm100 ? 126LL << 20 : 50LL << 20);
    constants_set(k, "WARP_SIZE", 32);
}

typedef struct env {
    const evo_task *t;
    const task_workload *w;
    const evo_space *s;
    const evo_point *p;
    const evo_constants *k;
} env;

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

/* First line of a compile log that says "error", else its first line. */
static void first_error(const char *log, char *buf, size_t n)
{
    const char *at = strstr(log, "error");
    if (at) {
        while (at > log && at[-1] != '\n')
            at--;
    } else {
        at = log;
    }
    size_t len = strcspn(at, "\n");
    snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), at);
}

/* Resolve every kernel and workspace of the plan for every workload at point p. */
static int check_launches(const evo_task *t, const evo_plan *plan, env *e, char *err, size_t n)
{
    int64_t optin = 0;
    constants_get(e->k, "SMEM_OPTIN", &optin);
    for (int w = 0; w < t->nworkloads; w++) {
        e->w = &t->workloads[w];
        char msg[512];
        plan_launch l;
        for (int k = 0; k < plan->nkernels; k++)
            if (plan_resolve(plan, k, env_lookup, e, optin, &l, msg, sizeof msg)) {
                snprintf(err, n, "workload %s: %s", e->w->label, msg);
                return -1;
            }
        for (int s = 0; s < plan->nworkspaces; s++)
            if (plan_workspace_bytes(plan, s, env_lookup, e, msg, sizeof msg) < 0) {
                snprintf(err, n, "workload %s: %s", e->w->label, msg);
                return -1;
            }
    }
    return 0;
}

static void point_text(const evo_space *s, const evo_point *p, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < s->nparams && used + 1 < n; i++) {
        int m = snprintf(buf + used, n - used, "%s%s=%s", i ? " " : "", s->params[i].name,
                         s->params[i].values[p->idx[i]]);
        if (m < 0) break;
        used += (size_t)m;
    }
    if (used >= n) used = n - 1;
    buf[used] = 0;
}

static const char *task_label(const evo_task *t)
{
    const char *slash = strrchr(t->dir, '/');
    const char *base = slash ? slash + 1 : t->dir;
    return base[0] && strcmp(base, ".") ? base : t->def.name;
}

/* One compile of seed i at point p: prints its line and returns 1 on failure. */
static int check_point(const evo_task *t, int i, const evo_space *s, const evo_point *p,
                       const evo_plan *plan, const evo_constants *k, const char *arch, FILE *out)
{
    char pt[1024], why[1024] = "";
    point_text(s, p, pt, sizeof pt);
    env e = {t, NULL, s, p, k};
    if (plan && check_launches(t, plan, &e, why, sizeof why)) {
        fprintf(out, "FAIL %s/%s %s %s launch: %s\n", task_label(t), t->seed_names[i], pt, arch,
                why);
        return 1;
    }
    int nopts = 0;
    const char *names[s->nparams + 1], *values[s->nparams + 1];
    for (int j = 0; j < s->nparams; j++) {
        names[j] = s->params[j].name;
        values[j] = s->params[j].values[p->idx[j]];
    }
    char **opts = task_compile_options(t, s->nparams, names, values, &nopts);
    char name[TASK_NAME + 4];
    snprintf(name, sizeof name, "%s.cu", t->seed_names[i]);
    nvrtc_output o;
    int rc = nvrtc_compile(t->seed_sources[i], name, arch, (const char *const *)opts, nopts, NULL,
                           0, &o);
    task_options_free(opts, nopts);
    if (rc == 0) {
        fprintf(out, "ok   %s/%s %s %s %.0f ms\n", task_label(t), t->seed_names[i], pt, arch, o.ms);
    } else {
        first_error(o.log ? o.log : "", why, sizeof why);
        fprintf(out, "FAIL %s/%s %s %s %s\n", task_label(t), t->seed_names[i], pt, arch, why);
    }
    nvrtc_output_free(&o);
    return rc != 0;
}

static int check_seed(const evo_task *t, int i, const char *arch, int samples, evo_pcg32 *rng,
                      const evo_constants *k, FILE *out)
{
    char err[512];
    const char *who = t->seed_names[i];
    evo_space *s = space_parse(t->seed_sources[i], err, sizeof err);
    if (!s) {
        fprintf(out, "FAIL %s/%s params: %s\n", task_label(t), who, err);
        return 1;
    }
    evo_plan *plan = plan_parse(t->seed_sources[i], t, err, sizeof err);
    int failures = 0;
    if (!plan) {
        fprintf(out, "FAIL %s/%s plan: %s\n", task_label(t), who, err);
        failures++;
    }
    evo_point p = point_new(s);
    err[0] = 0;
    if (space_check(s, k, &p, err, sizeof err) != 1) {
        fprintf(out, "FAIL %s/%s defaults violate the space's constraints%s%s\n", task_label(t),
                who, err[0] ? ": " : "", err);
        failures++;
    }
    failures += check_point(t, i, s, &p, plan, k, arch, out);
    for (int n = 0; n < samples; n++) {
        err[0] = 0;
        if (space_sample(s, k, rng, CHECK_MAX_TRIES, &p, err, sizeof err)) {
            fprintf(out, "FAIL %s/%s sample: %s\n", task_label(t), who, err);
            failures++;
            break;
        }
        failures += check_point(t, i, s, &p, plan, k, arch, out);
    }
    point_free(&p);
    plan_free(plan);
    space_free(s);
    return failures;
}

/* The constants a plan or a space of task t sees on arch. */
static void task_constants(const evo_task *t, const char *arch, evo_constants *k)
{
    constants_init(k);
    device_constants(arch, k);
    for (int i = 0; i < t->def.naxes; i++)
        if (!t->def.axes[i].is_var) constants_set(k, t->def.axes[i].name, t->def.axes[i].value);
}

int gpu_check_baseline(const evo_task *t, const char *arch, int compile, char *err, size_t errlen)
{
    if (strcmp(t->baseline_kind, "kernel")) return 0;
    char why[1024] = "", file[600];
    snprintf(file, sizeof file, "%s%s", t->dir[0] ? t->dir : t->def.name,
             t->dir[0] ? "/task.json" : "");
    if (!t->baseline_source) {
        snprintf(err, errlen, "%s: the kernel baseline has no source", file);
        return -1;
    }
    /* As the sandbox runs it (cuda_baseline.c): no parameters, its own launch plan. */
    evo_plan *plan = plan_parse(t->baseline_source, t, why, sizeof why);
    if (!plan) {
        snprintf(err, errlen,
                 "%s: key 'baseline.source': the baseline kernel needs a launch plan the sandbox "
                 "can run: %s",
                 file, why);
        return -1;
    }
    evo_constants k;
    task_constants(t, arch, &k);
    env e = {t, NULL, NULL, NULL, &k};
    int rc = check_launches(t, plan, &e, why, sizeof why);
    plan_free(plan);
    constants_free(&k);
    if (rc) {
        snprintf(err, errlen, "%s: key 'baseline.source': the baseline's launch plan: %s", file,
                 why);
        return -1;
    }
    if (!compile) return 0;
    int nopts = 0;
    char **opts = task_compile_options(t, 0, NULL, NULL, &nopts);
    nvrtc_output o;
    rc = nvrtc_compile(t->baseline_source, "baseline.cu", arch, (const char *const *)opts, nopts,
                       NULL, 0, &o);
    task_options_free(opts, nopts);
    if (rc) {
        first_error(o.log ? o.log : "", why, sizeof why);
        snprintf(err, errlen,
                 "%s: key 'baseline.source': the baseline kernel does not compile for "
                 "%s: %s",
                 file, arch, why);
    }
    nvrtc_output_free(&o);
    return rc ? -1 : 0;
}

int gpu_check_task(const evo_task *t, const char *arch, int samples, uint64_t seed, FILE *out)
{
    evo_constants k;
    task_constants(t, arch, &k);
    evo_pcg32 rng;
    pcg32_seed(&rng, seed, 0x6368656bULL); /* "chek": a stream of its own */
    int failures = 0;
    if (!strcmp(t->baseline_kind, "kernel")) {
        char why[2048];
        if (gpu_check_baseline(t, arch, 1, why, sizeof why)) {
            fprintf(out, "FAIL %s baseline %s %s\n", task_label(t), arch, why);
            failures++;
        } else {
            fprintf(out, "ok   %s baseline %s\n", task_label(t), arch);
        }
    }
    for (int i = 0; i < t->nseeds; i++) {
        if (!task_seed_supports(t, i, arch)) {
            fprintf(out, "skip %s/%s %s (the seed needs %s)\n", task_label(t), t->seed_names[i],
                    arch, t->seed_archs[i]);
            continue;
        }
        failures += check_seed(t, i, arch, samples, &rng, &k, out);
    }
    constants_free(&k);
    return failures;
}
