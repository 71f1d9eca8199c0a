/* fitness_latency.c -- time from a new candidate's source to its gated fitness (NVRTC
 * compile, load, correctness gate, timing) through the GPU evaluator, cold and with a cubin
 * cache hit, and beside it the compile step the way Python harnesses do it (an nvcc
 * subprocess per candidate).
 *
 *   bench_fitness_latency CONFIG TEMPLATE N
 *
 * Prints p50 and p90 of the whole evaluation and of the compile step for N random valid
 * points of TEMPLATE, cold (empty cache directory) then warm (same points again). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "engine_state.h"
#include "evo.h"
#include "genome.h"
#include "gpu_evaluator.h"
#include "result.h"
#include "space.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    int i = (int)(p * (n - 1) + 0.5);
    return v[i];
}

/* nvcc as a subprocess, the way Python harnesses build a candidate. */
static double nvcc_ms(const char *rendered, int idx, const char *defines)
{
    char src[256], out[256];
    snprintf(src, sizeof src, "/tmp/evo-nvcc-%d-%d.cu", (int)getpid(), idx);
    snprintf(out, sizeof out, "/tmp/evo-nvcc-%d-%d.cubin", (int)getpid(), idx);
    FILE *f = fopen(src, "w");
    fputs(rendered, f);
    fclose(f);
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        execlp("nvcc", "nvcc", "-cubin", "-std=c++17", "-O3",
               "-gencode=arch=compute_90a,code=sm_90a", defines, "-o", out, src, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    double ms = (now() - t0) * 1e3;
    unlink(src);
    unlink(out);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? ms : -1;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_fitness_latency CONFIG TEMPLATE N\n");
        return 2;
    }
    int n = atoi(argv[3]);
    if (n < 2 || n > 256) n = 12;
    char err[4096];
    evo_config *cfg;
    if (evo_config_load(argv[1], &cfg, err, sizeof err) != EVO_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    /* The public GPU evaluator, driven here as a table alone (the engine only receives its
     * constants and blobs), so this program calls its destroy itself. */
    evo_evaluator ev;
    if (evo_evaluator_gpu(cfg, &ev, err, sizeof err) != EVO_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    char dir[128];
    snprintf(dir, sizeof dir, "/tmp/evo-latency-%d", (int)getpid());
    evo_engine *e;
    if (evo_engine_open(&e, dir, cfg) != EVO_OK || ev.start(ev.user, e, 1) != EVO_OK) {
        fprintf(stderr, "start: %s\n", evo_errmsg(e));
        return 1;
    }
    /* evo.h has no accessor for a task's seed sources: the GPU evaluator's task. */
    const evo_task *t = gpu_evaluator_task(ev.user);
    const char *source = NULL;
    for (int i = 0; i < t->nseeds; i++)
        if (strcmp(t->seed_names[i], argv[2]) == 0) source = t->seed_sources[i];
    if (!source) {
        fprintf(stderr, "no seed %s\n", argv[2]);
        return 1;
    }
    evo_space *s = space_parse(source, err, sizeof err);
    evo_pcg32 rng;
    pcg32_seed(&rng, (uint64_t)time(NULL), 7);
    evo_genome **gs = calloc((size_t)n, sizeof *gs);
    for (int i = 0; i < n; i++) {
        evo_point p = point_new(s);
        /* The constants start() set (SMEM_LIMIT...): evo.h can set them but not read them
         * back outside an operator (evo_mutation_constants_json), so the engine's own. */
        if (space_sample(s, &e->constants, &rng, 1000, &p, err, sizeof err) != 0) {
            fprintf(stderr, "sample: %s\n", err);
            return 1;
        }
        gs[i] = genome_new(argv[2], source, s, &p);
        point_free(&p);
    }
    double *total = calloc((size_t)2 * n, sizeof *total),
           *comp = calloc((size_t)2 * n, sizeof *comp);
    int passed = 0;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < n; i++) {
            evo_result *r = result_new();
            double t0 = now();
            ev.evaluate(ev.user, 0, gs[i], r);
            total[round * n + i] = (now() - t0) * 1e3;
            comp[round * n + i] = json_number_value(json_object_get(r->metrics, "compile_ms"));
            if (round == 0 && r->status == EVO_STATUS_PASSED) passed++;
            result_free(r);
        }
    }
    json_t *facts = json_loads(ev.facts(ev.user), 0, NULL); /* the device's name, once started */
    const char *device = json_string_value(json_object_get(facts, "device"));
    printf("template %s: %d random points (%d passed the gate), device %s\n", argv[2], n, passed,
           device ? device : "?");
    json_decref(facts);
    printf("cold  (NVRTC compile, empty cache): whole p50 %.0f ms p90 %.0f ms; compile p50 %.0f ms "
           "p90 %.0f ms\n",
           pct(total, n, 0.5), pct(total, n, 0.9), pct(comp, n, 0.5), pct(comp, n, 0.9));
    printf("warm  (cubin cache hit)           : whole p50 %.0f ms p90 %.0f ms; compile p50 %.0f ms "
           "p90 %.0f ms\n",
           pct(total + n, n, 0.5), pct(total + n, n, 0.9), pct(comp + n, n, 0.5),
           pct(comp + n, n, 0.9));
    /* nvcc on the same points, compile step only. */
    int m = n < 6 ? n : 6;
    double nv[6];
    int got = 0;
    for (int i = 0; i < m; i++) {
        char *rendered = genome_render(gs[i]);
        char defines[64];
        snprintf(defines, sizeof defines, "-D%s=1",
                 strcmp(t->def.name, "gemm_bf16_n4096_k4096") ? "EVO_FP16" : "EVO_BF16");
        double ms = nvcc_ms(rendered, i, defines);
        free(rendered);
        if (ms > 0) nv[got++] = ms;
    }
    if (got) {
        double p50 = pct(nv, got, 0.5);
        printf("nvcc subprocess (compile only, %d points): p50 %.0f ms; ratio to NVRTC cold "
               "compile p50: %.2fx\n",
               got, p50, p50 / pct(comp, n, 0.5));
    } else {
        printf("nvcc subprocess: not available here\n");
    }
    ev.stop(ev.user);
    evo_engine_close(e);
    ev.destroy(ev.user);
    return 0;
}
