/* cli_run.c -- `evo run`, `evo resume` and `evo check`: wire the engine from its config
 * (evo_engine_configure), drive it with a progress display and signal handling, and end with
 * a report.
 *
 * A search outlives its terminal. SIGPIPE is ignored, so a closed pipe (`evo run CFG | head`)
 * is a failed write that the progress view gives up on, not a death; SIGHUP (a dropped ssh
 * session, a closed terminal window) is noted and the search goes on; everything shown on
 * the terminal also goes to DIR/progress.log (time-stamped progress lines, notes, the final
 * report), so `tail -f DIR/progress.log` follows a run whose terminal is gone. The first
 * SIGINT or SIGTERM stops after the evaluations in flight, a second aborts at once. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_args.h"
#include "evo.h"
#include "progress.h"

#define RUN_USAGE "usage: evo run CONFIG [--run-dir DIR] [--quiet]\n"
#define RESUME_USAGE "usage: evo resume DIR [--quiet]\n"
#define CHECK_USAGE "usage: evo check [CONFIG | --kernels DIR] [--arch ARCH]... [--samples N]\n"
#define CHECK_MAX_SAMPLES 1000 /* points per seed's space; each is one NVRTC compile per arch */

/* The engine a signal should reach, and what arrived. Signals are process-wide, so this is
 * the one piece of static state in the program (never in the library). A stop that comes
 * before the engine exists is applied when drive() starts it. */
static evo_engine *volatile signal_engine;
static volatile sig_atomic_t signal_count, stop_signal, hangups;
static volatile sig_atomic_t signal_log_fd = -1; /* the run's log, for the abort line */

static void on_hangup(int sig)
{
    (void)sig;
    hangups++;
}

static void on_signal(int sig)
{
    stop_signal = sig;
    if (++signal_count > 1) {
        /* A second signal aborts at once; every commit is atomic, so the store stays whole. */
        static const char msg[] = "\nevo: aborted\n";
        static const char line[] = "aborted by a second SIGINT or SIGTERM: evaluations in "
                                   "flight are lost, every commit before them is kept\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        if (signal_log_fd >= 0) w = write(signal_log_fd, line, sizeof line - 1);
        (void)w;
        _exit(EXIT_INTERRUPTED);
    }
    if (signal_engine) evo_engine_interrupt(signal_engine, 0);
    static const char msg[] = "\nevo: stopping after the evaluations in flight (again to abort)\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
}

/* Before anything is printed. SIGHUP gets a handler rather than SIG_IGN so the worker
 * programs (their own process group) start with the default again. */
static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_hangup;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_signal;
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- the run's log: DIR/progress.log ---- */

typedef struct run_log {
    FILE *f;                        /* appended; NULL when it cannot be written */
    char path[4200];                /* DIR/progress.log */
    evo_progress_view *term, *file; /* the terminal's view (NULL with --quiet), the log's */
    int hangups_noted, stop_noted, term_dead_noted;
} run_log;

static void log_open(run_log *L, const char *dir)
{
    memset(L, 0, sizeof *L);
    snprintf(L->path, sizeof L->path, "%s/progress.log", dir);
    L->f = fopen(L->path, "ae"); /* not inherited by the worker programs */
    if (!L->f)
        fprintf(stderr, "evo: cannot write %s (%s): progress goes to the terminal only\n", L->path,
                strerror(errno));
}

static void log_vline(run_log *L, const char *fmt, va_list ap)
{
    if (!L->f) return;
    char stamp[32];
    progress_stamp(stamp, sizeof stamp);
    fprintf(L->f, "%s ", stamp);
    vfprintf(L->f, fmt, ap);
    fputc('\n', L->f);
    fflush(L->f);
}

/* A time-stamped line in the log only. */
static void log_line(run_log *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(run_log *L, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vline(L, fmt, ap);
    va_end(ap);
}

/* "evo: ..." on stderr (while it takes writes) and the same line in the log. */
static void note(run_log *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(run_log *L, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("evo: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    clearerr(stderr);
    va_end(ap);
    va_start(ap, fmt);
    log_vline(L, fmt, ap);
    va_end(ap);
}

/* What the signal handlers saw since the last call, into the log (the handlers cannot). */
static void log_signals(run_log *L)
{
    int h = hangups;
    if (h != L->hangups_noted) {
        L->hangups_noted = h;
        log_line(L, "SIGHUP (the terminal went away or was closed): the search goes on; follow "
                    "it here or with `evo status`");
    }
    if (signal_count > 0 && !L->stop_noted) {
        L->stop_noted = 1;
        log_line(L, "%s: stopping after the evaluations in flight",
                 stop_signal == SIGTERM ? "SIGTERM" : "SIGINT");
    }
}

/* The views are drawn from the engine thread (the search) and from evaluating threads (setup
 * steps): one at a time. */
static pthread_mutex_t view_mu = PTHREAD_MUTEX_INITIALIZER;

static void on_progress(void *user, const evo_progress *p)
{
    run_log *L = user;
    log_signals(L);
    pthread_mutex_lock(&view_mu);
    progress_update(L->term, p);
    if (progress_dead(L->term) && !L->term_dead_noted) {
        L->term_dead_noted = 1;
        log_line(L,
                 "stderr stopped taking the progress line (%s): the search goes on, "
                 "progress only here",
                 strerror(progress_dead(L->term)));
    }
    progress_update(L->file, p);
    pthread_mutex_unlock(&view_mu);
}

/* The evaluator's setup steps (ceilings, the first compile, references and baseline timing):
 * a bar with an ETA on a terminal, plain lines in the log. */
static void on_setup(void *user, const evo_setup_progress *p)
{
    run_log *L = user;
    pthread_mutex_lock(&view_mu);
    progress_setup(L->term, p);
    progress_setup(L->file, p);
    pthread_mutex_unlock(&view_mu);
}

static void log_close(run_log *L)
{
    progress_free(L->term);
    progress_free(L->file);
    if (L->f) fclose(L->f);
    L->f = NULL;
    L->term = L->file = NULL;
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

/* What the speedups are against (the evaluator's facts "baseline"): the task's own baseline,
 * or a FlashInfer-Bench trace, with what it covers and where its latencies come from. */
static void print_baseline(FILE *out, const json_t *facts)
{
    json_t *b = json_object_get(facts, "baseline");
    const char *kind = json_string_value(json_object_get(b, "kind"));
    if (!kind) return;
    if (strcmp(kind, "trace")) {
        fprintf(out, "baseline      : the task's %s baseline, timed by evo's harness\n", kind);
        return;
    }
    fprintf(out,
            "baseline      : %s from %s (measured on %s, %s), %lld of %lld workloads; its "
            "latencies come from FlashInfer-Bench's harness (host-timed calls, launch "
            "included), evo's from its own (device-timed kernels)\n",
            json_string_value(json_object_get(b, "label")),
            json_string_value(json_object_get(b, "path")),
            json_string_value(json_object_get(b, "hardware")),
            json_string_value(json_object_get(b, "timestamp")),
            (long long)json_integer_value(json_object_get(b, "covered")),
            (long long)json_integer_value(json_object_get(b, "workloads")));
    if (json_is_true(json_object_get(b, "other_device")))
        fprintf(out, "                ANOTHER GPU than this one (allow_other_device is set)\n");
    if (json_integer_value(json_object_get(b, "fallback_count")) > 0)
        fprintf(out, "                %lld fall back to the task's %s baseline: %s\n",
                (long long)json_integer_value(json_object_get(b, "fallback_count")),
                json_string_value(json_object_get(b, "fallback")),
                json_string_value(json_object_get(b, "fallback_workloads")));
}

static void print_report(FILE *out, const char *run_dir, const char *facts_json)
{
    evo_run *r;
    if (evo_run_open(&r, run_dir) != EVO_OK) {
        fprintf(out, "cannot reopen %s for the report: %s\n", run_dir, evo_run_errmsg(r));
        evo_run_close(r);
        return;
    }
    char *status = NULL;
    evo_run_status_json(r, &status);
    json_t *st = status ? json_loads(status, 0, NULL) : NULL;
    json_t *c = json_object_get(st, "counters");
    fprintf(out, "\n== evo report ==\n");
    fprintf(out, "run directory : %s\n", run_dir);
    fprintf(out, "evaluations   : %lld (%lld reused from identical candidates)\n",
            (long long)json_integer_value(json_object_get(c, "evaluations")),
            (long long)json_integer_value(json_object_get(c, "cached")));
    if (json_is_true(json_object_get(c, "finished")))
        fprintf(out, "stopped       : %s\n", json_string_value(json_object_get(c, "stop_reason")));
    json_t *facts = json_loads(facts_json, 0, NULL);
    if (json_object_get(facts, "device")) {
        /* Only the ceilings measured: a task with no matrix product has no cuBLAS figure. */
        double gbps = json_number_value(json_object_get(facts, "ceiling_gbps"));
        double tflops = json_number_value(json_object_get(facts, "ceiling_tflops"));
        fprintf(out, "device        : %s (%s)", json_string_value(json_object_get(facts, "device")),
                json_string_value(json_object_get(facts, "arch")));
        if (gbps > 0) fprintf(out, ", ceilings %.0f GB/s copy", gbps);
        if (tflops > 0)
            fprintf(out, "%s %.0f TFLOP/s cuBLAS", gbps > 0 ? "," : ", ceilings", tflops);
        fprintf(out, "\n");
    }
    print_baseline(out, facts);
    json_decref(facts);
    evo_candidate *best;
    if (evo_run_best(r, &best) != EVO_OK) {
        fprintf(out, "best          : none passed the correctness gate\n");
    } else {
        json_t *rec = json_loads(evo_candidate_json(best), 0, NULL);
        fprintf(out, "best          : #%lld %s, fitness %.4f (mean speedup over the baseline)\n",
                (long long)evo_candidate_id(best),
                json_string_value(json_object_get(rec, "template")), evo_candidate_fitness(best));
        char sum[256];
        cli_speedup_summary(json_object_get(rec, "workloads"), sum, sizeof sum);
        fprintf(out, "speedups      : %s\n", sum);
        const evo_genome *g = evo_candidate_genome(best);
        fprintf(out, "parameters    :");
        for (int i = 0; i < evo_genome_param_count(g); i++)
            fprintf(out, " %s=%s", evo_genome_param_name(g, i), evo_genome_param_value(g, i));
        /* The fractions of the ceilings only where some workload has them. */
        const char *wl;
        json_t *w;
        int bw = 0, fl = 0;
        json_object_foreach(json_object_get(rec, "workloads"), wl, w)
        {
            bw |= json_is_number(json_object_get(w, "frac_bw"));
            fl |= json_is_number(json_object_get(w, "frac_flops"));
        }
        fprintf(out, "\n%-24s %12s %12s %9s%s%s\n", "workload", "latency us", "baseline us",
                "speedup", bw ? "  frac bw" : "", fl ? "  frac fl" : "");
        json_object_foreach(json_object_get(rec, "workloads"), wl, w)
        {
            const char *against = json_string_value(json_object_get(w, "baseline"));
            char fracs[64] = "";
            if (bw)
                snprintf(fracs, sizeof fracs, " %8.2f",
                         json_number_value(json_object_get(w, "frac_bw")));
            if (fl)
                snprintf(fracs + strlen(fracs), sizeof fracs - strlen(fracs), " %8.2f",
                         json_number_value(json_object_get(w, "frac_flops")));
            fprintf(out, "%-24s %12.2f %12.2f %8.2fx%s%s%s\n", wl,
                    json_number_value(json_object_get(w, "latency_us")),
                    json_number_value(json_object_get(w, "baseline_us")),
                    json_number_value(json_object_get(w, "speedup")), fracs, against ? "  " : "",
                    against ? against : "");
        }
        fprintf(out, "source        : evo best %s --out best.cu\n", run_dir);
        json_decref(rec);
        evo_candidate_free(best);
    }
    fprintf(out, "plot          : evo plot %s -o %s/fitness.svg\n", run_dir, run_dir);
    json_decref(st);
    free(status);
    evo_run_close(r);
}

/* The report, on stdout while it takes writes, and in the log whatever happens. */
static void report_out(run_log *L, const char *dir, const char *facts)
{
    char *text = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&text, &n);
    if (!m) return;
    print_report(m, dir, facts);
    if (fclose(m) != 0 || !text) {
        free(text);
        return;
    }
    fputs(text, stdout);
    int gone = fflush(stdout) != 0 || ferror(stdout);
    int err = errno;
    if (L->f) {
        log_line(L, "report:");
        fputs(text, L->f);
        fflush(L->f);
    }
    if (gone) {
        clearerr(stdout);
        log_line(L, "stdout did not take the report (%s); it is only here", strerror(err));
    }
    free(text);
}

static int drive(evo_engine *e, int quiet, int fresh)
{
    const evo_config *cfg = evo_engine_config(e);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", evo_engine_run_dir(e));
    run_log L;
    log_open(&L, dir);
    double interval = config_number(cfg, "log", "progress_interval");
    if (!quiet) L.term = progress_new(stderr, isatty(2), interval);
    if (L.f) L.file = progress_new_log(L.f, interval);
    log_line(&L, "evo %s: %s in %s (pid %ld)", evo_version(), fresh ? "run" : "resume", dir,
             (long)getpid());
    if (fresh) note(&L, "run directory %s", dir);
    evo_engine_set_progress(e, on_progress, &L);
    evo_engine_set_setup_progress(e, on_setup, &L);
    if (L.f) signal_log_fd = fileno(L.f);
    signal_engine = e;
    if (signal_count > 0) evo_engine_interrupt(e, 0);
    int rc = evo_engine_run(e);
    signal_engine = NULL;
    log_signals(&L);
    progress_free(L.term);
    progress_free(L.file);
    L.term = L.file = NULL;
    if (rc == EVO_ENOGPU) {
        note(&L, "%s", evo_errmsg(e));
        evo_engine_close(e);
        log_line(&L, "exit %d", EXIT_NOGPU);
        signal_log_fd = -1;
        log_close(&L);
        return EXIT_NOGPU;
    }
    if (rc != EVO_OK && rc != EVO_EINTERRUPT)
        note(&L, "%s", evo_errmsg(e));
    else if (rc == EVO_OK && evo_errmsg(e)[0])
        note(&L, "%s", evo_errmsg(e));
    char *facts = strdup(evo_engine_evaluator_facts(e));
    evo_engine_close(e);
    if (rc == EVO_OK || rc == EVO_EINTERRUPT) report_out(&L, dir, facts ? facts : "{}");
    free(facts);
    if (rc == EVO_EINTERRUPT) note(&L, "interrupted; continue with `evo resume %s`", dir);
    log_line(&L, "exit %d", cli_exit_code(rc));
    signal_log_fd = -1;
    log_close(&L);
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
    if (cli_wants_help(argc, argv)) return cli_help(RUN_USAGE);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--run-dir") == 0) {
            if (!(run_dir = cli_value("run", RUN_USAGE, argc, argv, &i))) return EXIT_USAGE;
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            quiet = 1;
        } else if (argv[i][0] != '-' && !config) {
            config = argv[i];
        } else {
            return cli_bad_argument("run", RUN_USAGE, argv[i]);
        }
    }
    if (!config) return cli_usage_error("run", RUN_USAGE, "no CONFIG given");
    install_signals();
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
    return drive(e, quiet, 1);
}

int cli_resume(int argc, char **argv)
{
    const char *dir = NULL;
    int quiet = 0;
    if (cli_wants_help(argc, argv)) return cli_help(RESUME_USAGE);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0)
            quiet = 1;
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else
            return cli_bad_argument("resume", RESUME_USAGE, argv[i]);
    }
    if (!dir) return cli_usage_error("resume", RESUME_USAGE, "no run directory DIR given");
    install_signals();
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
    return drive(e, quiet, 0);
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
    if (cli_wants_help(argc, argv)) return cli_help(CHECK_USAGE);
    for (int i = 1; i < argc; i++) {
        const char *v;
        long long n;
        if (argv[i][0] != '-' && !config && !root) {
            config = argv[i]; /* evo check CONFIG: the seeds of that config's task */
        } else if (strcmp(argv[i], "--arch") == 0) {
            if (!(v = cli_value("check", CHECK_USAGE, argc, argv, &i))) return EXIT_USAGE;
            if (narch == 8)
                return cli_usage_error("check", CHECK_USAGE, "at most 8 --arch options");
            arches[narch++] = v;
        } else if (strcmp(argv[i], "--samples") == 0) {
            if (!(v = cli_value("check", CHECK_USAGE, argc, argv, &i))) return EXIT_USAGE;
            if (cli_parse_int("check", "--samples", v, 0, CHECK_MAX_SAMPLES, &n) != EVO_OK)
                return EXIT_USAGE;
            samples = (int)n;
        } else if (strcmp(argv[i], "--kernels") == 0) {
            if (!(v = cli_value("check", CHECK_USAGE, argc, argv, &i))) return EXIT_USAGE;
            if (config || root)
                return cli_usage_error("check", CHECK_USAGE,
                                       "give one of CONFIG and --kernels DIR");
            root = v;
        } else {
            return cli_bad_argument("check", CHECK_USAGE, argv[i]);
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
