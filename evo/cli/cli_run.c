/* cli_run.c -- `evo run`, `evo resume` and `evo check`: wire the engine from its config
 * (evo_engine_configure), drive it with a progress display and signal handling, and end with
 * a report. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "evo.h"
#include "progress.h"

/* The engine a signal should reach. Signals are process-wide, so this is the one piece of
 * static state in the program (never in the library). */
static evo_engine *volatile signal_engine;
static volatile sig_atomic_t signal_count;

static void on_signal(int sig)
{
    (void)sig;
    if (++signal_count > 1) {
        /* A second signal aborts at once; every commit is atomic, so the store stays whole. */
        static const char msg[] = "\nevo: aborted\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(EXIT_INTERRUPTED);
    }
    if (signal_engine) evo_engine_interrupt(signal_engine, 0);
    static const char msg[] = "\nevo: stopping after the evaluations in flight (again to abort)\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
}

static void install_signals(evo_engine *e)
{
    signal_engine = e;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* A key of the configuration (defaults filled in; section NULL for the top level), read from
 * its JSON: a number, or text copied into buf. */
static double config_number(const evo_config *cfg, const char *section, const char *key)
{
    json_t *tree = json_loads(evo_config_json(cfg), 0, NULL);
    double v =
        json_number_value(json_object_get(section ? json_object_get(tree, section) : tree, key));
    json_decref(tree);
    return v;
}

static void config_text(const evo_config *cfg, const char *section, const char *key, char *buf,
                        size_t n)
{
    json_t *tree = json_loads(evo_config_json(cfg), 0, NULL);
    const char *v =
        json_string_value(json_object_get(section ? json_object_get(tree, section) : tree, key));
    snprintf(buf, n, "%s", v ? v : "");
    json_decref(tree);
}

static void print_report(const char *run_dir, const char *facts_json)
{
    evo_run *r;
    if (evo_run_open(&r, run_dir) != EVO_OK) {
        fprintf(stderr, "evo: cannot reopen %s for the report: %s\n", run_dir, evo_run_errmsg(r));
        evo_run_close(r);
        return;
    }
    char *status = NULL;
    evo_run_status_json(r, &status);
    json_t *st = status ? json_loads(status, 0, NULL) : NULL;
    json_t *c = json_object_get(st, "counters");
    printf("\n== evo report ==\n");
    printf("run directory : %s\n", run_dir);
    printf("evaluations   : %lld (%lld reused from identical candidates)\n",
           (long long)json_integer_value(json_object_get(c, "evaluations")),
           (long long)json_integer_value(json_object_get(c, "cached")));
    if (json_is_true(json_object_get(c, "finished")))
        printf("stopped       : %s\n", json_string_value(json_object_get(c, "stop_reason")));
    json_t *facts = json_loads(facts_json, 0, NULL);
    if (json_object_get(facts, "device"))
        printf("device        : %s (%s), ceilings %.0f GB/s copy, %.0f TFLOP/s cuBLAS\n",
               json_string_value(json_object_get(facts, "device")),
               json_string_value(json_object_get(facts, "arch")),
               json_number_value(json_object_get(facts, "ceiling_gbps")),
               json_number_value(json_object_get(facts, "ceiling_tflops")));
    json_decref(facts);
    evo_candidate *best;
    if (evo_run_best(r, &best) != EVO_OK) {
        printf("best          : none passed the correctness gate\n");
    } else {
        json_t *rec = json_loads(evo_candidate_json(best), 0, NULL);
        printf("best          : #%lld %s, fitness %.4f (mean speedup over the baseline)\n",
               (long long)evo_candidate_id(best),
               json_string_value(json_object_get(rec, "template")), evo_candidate_fitness(best));
        char sum[256];
        cli_speedup_summary(json_object_get(rec, "workloads"), sum, sizeof sum);
        printf("speedups      : %s\n", sum);
        const evo_genome *g = evo_candidate_genome(best);
        printf("parameters    :");
        for (int i = 0; i < evo_genome_param_count(g); i++)
            printf(" %s=%s", evo_genome_param_name(g, i), evo_genome_param_value(g, i));
        printf("\n%-24s %12s %12s %9s %8s %8s\n", "workload", "latency us", "baseline us",
               "speedup", "frac bw", "frac fl");
        const char *wl;
        json_t *w;
        json_object_foreach(json_object_get(rec, "workloads"), wl, w)
        {
            printf("%-24s %12.2f %12.2f %8.2fx %8.2f %8.2f\n", wl,
                   json_number_value(json_object_get(w, "latency_us")),
                   json_number_value(json_object_get(w, "baseline_us")),
                   json_number_value(json_object_get(w, "speedup")),
                   json_number_value(json_object_get(w, "frac_bw")),
                   json_number_value(json_object_get(w, "frac_flops")));
        }
        printf("source        : evo best %s --out best.cu\n", run_dir);
        json_decref(rec);
        evo_candidate_free(best);
    }
    printf("plot          : evo plot %s -o %s/fitness.svg\n", run_dir, run_dir);
    json_decref(st);
    free(status);
    evo_run_close(r);
}

static int drive(evo_engine *e, int quiet)
{
    const evo_config *cfg = evo_engine_config(e);
    evo_progress_view *view = NULL;
    if (!quiet) {
        view = progress_new(stderr, isatty(2), config_number(cfg, "log", "progress_interval"));
        evo_engine_set_progress(e, progress_update, view);
    }
    install_signals(e);
    int rc = evo_engine_run(e);
    signal_engine = NULL;
    progress_free(view);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", evo_engine_run_dir(e));
    if (rc == EVO_ENOGPU) {
        fprintf(stderr, "evo: %s\n", evo_errmsg(e));
        evo_engine_close(e);
        return EXIT_NOGPU;
    }
    if (rc != EVO_OK && rc != EVO_EINTERRUPT)
        fprintf(stderr, "evo: %s\n", evo_errmsg(e));
    else if (rc == EVO_OK && evo_errmsg(e)[0])
        fprintf(stderr, "evo: %s\n", evo_errmsg(e));
    char *facts = strdup(evo_engine_evaluator_facts(e));
    evo_engine_close(e);
    if (rc == EVO_OK || rc == EVO_EINTERRUPT) print_report(dir, facts ? facts : "{}");
    free(facts);
    if (rc == EVO_EINTERRUPT)
        fprintf(stderr, "evo: interrupted; continue with `evo resume %s`\n", dir);
    return cli_exit_code(rc);
}

static void default_run_dir(const evo_config *cfg, char *out, size_t n)
{
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
    char name[128];
    config_text(cfg, NULL, "name", name, sizeof name);
    snprintf(out, n, "runs/%s-%s", name[0] ? name : "run", stamp);
}

/* The evaluators evo itself builds; "custom" is for programs that bring their own. */
static int runnable(const evo_config *cfg)
{
    char kind[64];
    config_text(cfg, "evaluator", "kind", kind, sizeof kind);
    if (!strcmp(kind, "gpu") || !strcmp(kind, "synthetic")) return 1;
    fprintf(stderr,
            "evo: evaluator.kind '%s' is for programs that embed libevo with their own evaluator "
            "(evo_engine_set_evaluator); evo runs 'gpu' and 'synthetic'\n",
            kind);
    return 0;
}

int cli_run(int argc, char **argv)
{
    const char *config = NULL, *run_dir = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--run-dir") == 0 && i + 1 < argc) {
            run_dir = argv[++i];
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            quiet = 1;
        } else if (argv[i][0] != '-' && !config) {
            config = argv[i];
        } else {
            fprintf(stderr, "usage: evo run CONFIG [--run-dir DIR] [--quiet]\n");
            return EXIT_USAGE;
        }
    }
    if (!config) {
        fprintf(stderr, "usage: evo run CONFIG [--run-dir DIR] [--quiet]\n");
        return EXIT_USAGE;
    }
    evo_config *cfg;
    char err[4096];
    int rc = evo_config_load(config, &cfg, err, sizeof err);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo: %s\n", err);
        return cli_exit_code(rc);
    }
    if (!runnable(cfg)) {
        evo_config_free(cfg);
        return cli_exit_code(EVO_ECONFIG);
    }
    char dir[4096];
    if (run_dir)
        snprintf(dir, sizeof dir, "%s", run_dir);
    else
        default_run_dir(cfg, dir, sizeof dir);
    evo_engine *e;
    rc = evo_engine_open(&e, dir, cfg);
    evo_config_free(cfg);
    if (rc == EVO_OK) rc = evo_engine_configure(e);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo: %s\n", evo_errmsg(e));
        evo_engine_close(e);
        return cli_exit_code(rc);
    }
    fprintf(stderr, "evo: run directory %s\n", dir);
    return drive(e, quiet);
}

int cli_resume(int argc, char **argv)
{
    const char *dir = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0)
            quiet = 1;
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else
            dir = NULL, i = argc;
    }
    if (!dir) {
        fprintf(stderr, "usage: evo resume DIR [--quiet]\n");
        return EXIT_USAGE;
    }
    evo_engine *e;
    int rc = evo_engine_resume(&e, dir);
    if (rc == EVO_OK && !runnable(evo_engine_config(e))) {
        evo_engine_close(e);
        return cli_exit_code(EVO_ECONFIG);
    }
    if (rc == EVO_OK) rc = evo_engine_configure(e);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo: %s\n", evo_errmsg(e));
        evo_engine_close(e);
        return cli_exit_code(rc);
    }
    return drive(e, quiet);
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The shipped kernels: ./kernels, then the installed copy, then the source tree. */
static const char *kernels_root(void)
{
    if (is_dir("kernels")) return "kernels";
    if (is_dir(EVO_DATA_DIR "/kernels")) return EVO_DATA_DIR "/kernels";
    return EVO_SOURCE_DIR "/kernels";
}

int cli_check(int argc, char **argv)
{
    const char *arches[8];
    int narch = 0, samples = 3;
    const char *root = NULL, *config = NULL;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-' && !config && !root) {
            config = argv[i]; /* evo check CONFIG: the seeds of that config's task */
        } else if (strcmp(argv[i], "--arch") == 0 && i + 1 < argc && narch < 8) {
            arches[narch++] = argv[++i];
        } else if (strcmp(argv[i], "--samples") == 0 && i + 1 < argc) {
            samples = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--kernels") == 0 && i + 1 < argc && !config) {
            root = argv[++i];
        } else {
            fprintf(stderr, "usage: evo check [CONFIG | --kernels DIR] [--arch ARCH]... "
                            "[--samples N]\n");
            return EXIT_USAGE;
        }
    }
    if (narch == 0) arches[narch++] = "sm_90a";
    if (!root) root = kernels_root();
    char *report = NULL, err[4096];
    int failures = 0, rc;
    if (config) {
        evo_config *cfg;
        rc = evo_config_load(config, &cfg, err, sizeof err);
        if (rc == EVO_OK) {
            rc = evo_check_config(cfg, arches, narch, samples, &report, &failures, err, sizeof err);
            evo_config_free(cfg);
        }
    } else {
        rc = evo_check_kernels(root, arches, narch, samples, &report, &failures, err, sizeof err);
    }
    if (report) fputs(report, stdout);
    evo_free(report);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo check: %s\n", err);
        return rc == EVO_ECONFIG ? EXIT_CONFIG : EXIT_ERROR;
    }
    return failures ? EXIT_ERROR : EXIT_OK;
}
