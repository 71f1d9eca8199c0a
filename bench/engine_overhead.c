/* engine_overhead.c -- the engine's own cost per candidate, with an evaluator that costs
 * nothing (the synthetic one, no delay) and durable commits, and its memory over a long run.
 *
 *   bench_engine_overhead EVALUATIONS SYNC [RUN_DIR [CONCURRENCY]]
 *
 * Prints wall time per candidate overall and per 10k block, and the resident set (anonymous
 * and file-backed, from /proc/self/status) at 10k, 50k, 100k, 200k evaluations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evo.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0) v = strtol(line + n + 1, NULL, 10);
    if (f) fclose(f);
    return v;
}

typedef struct bench {
    double t0, tblock;
    int64_t last;
} bench;

static void on_progress(void *user, const evo_progress *p)
{
    bench *b = user;
    if (p->done || p->evaluations == b->last) return;
    b->last = p->evaluations;
    if (p->evaluations % 10000 == 0) {
        double t = now();
        printf("%8lld evals  %.3f ms/candidate (last 10k)  RssAnon %ld kB  RssFile %ld kB  VmHWM "
               "%ld kB  best %.4f\n",
               (long long)p->evaluations, (t - b->tblock) / 10000 * 1e3, status_kb("RssAnon:"),
               status_kb("RssFile:"), status_kb("VmHWM:"), p->best_fitness);
        fflush(stdout);
        b->tblock = t;
    }
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000;
    const char *sync = argc > 2 ? argv[2] : "full";
    char dir[512];
    if (argc > 3)
        snprintf(dir, sizeof dir, "%s", argv[3]);
    else
        snprintf(dir, sizeof dir, "/tmp/evo-bench-overhead-%d", (int)getpid());
    int concurrency = argc > 4 ? atoi(argv[4]) : 1;
    char text[1024], err[2048];
    /* A space of 64^8 points so the run never exhausts it. */
    snprintf(
        text, sizeof text,
        "{\"concurrency\": %d, \"islands\": {\"count\": 3, \"population\": 100},"
        " \"evaluator\": {\"kind\": \"synthetic\", \"synthetic\": {\"dims\": 8, \"levels\": 64}},"
        " \"store\": {\"sync\": \"%s\"}, \"stop\": {\"max_evaluations\": %ld}}",
        concurrency, sync, n);
    evo_config *cfg;
    if (evo_config_parse(text, "bench", &cfg, err, sizeof err) != EVO_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    evo_engine *e;
    int rc = evo_engine_open(&e, dir, cfg);
    evo_config_free(cfg);
    /* The synthetic evaluator and its seed, owned by the engine. */
    if (rc == EVO_OK) rc = evo_engine_configure(e);
    bench b = {now(), now(), 0};
    evo_engine_set_progress(e, on_progress, &b);
    if (rc == EVO_OK) rc = evo_engine_run(e);
    double t = now() - b.t0;
    if (rc != EVO_OK) fprintf(stderr, "run: %s\n", evo_errmsg(e));
    evo_engine_close(e);
    printf("sync=%s: %ld candidates in %.2f s = %.3f ms/candidate; VmHWM %ld kB\n", sync, n, t,
           t / n * 1e3, status_kb("VmHWM:"));
    return rc == EVO_OK ? 0 : 1;
}
