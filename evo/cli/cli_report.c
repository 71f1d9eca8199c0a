/* cli_report.c -- `evo report DIR [-o FILE.html]`: one self-contained HTML page about a run
 * (render/report.h draws it), for a user who opens it after an overnight run.
 *
 * Everything comes through the read-only run views of evo.h, so it works while the run is
 * still going in another process: the status (counters, islands, bandit, usage, the
 * evaluator's facts), the best candidate and its lineage (cli_lineage, as `evo trace`), a kept
 * validation verdict, and from the fitness log the plots and, for each failing status, a few
 * candidates whose records give example errors. The page goes to FILE.tmp and is renamed
 * over FILE, so a failed write leaves an older FILE as it was; `-o -` writes it to stdout.
 * Without -o it is DIR/report.html. Exit codes as cli.h: 2 for usage, cli_exit_code() of the
 * library's code for a run that cannot be read (1 no run, 5 damaged), 1 for a write. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_args.h"
#include "evo.h"
#include "jsonl.h"
#include "plot.h"
#include "report.h"

#define USAGE "usage: evo report DIR [-o FILE.html]\n"
#define EXAMPLES_PER_STATUS 3
#define EXAMPLES_READ 12 /* records read per status to find examples with distinct errors */

/* ---- failures from the fitness log ---- */

typedef struct fail_scan {
    json_t *by_status; /* status -> {"operators": {op: n}, "ids": [..]} */
} fail_scan;

static int scan_line(void *user, const json_t *line, long lineno)
{
    (void)lineno;
    fail_scan *f = user;
    const char *status = json_string_value(json_object_get(line, "status"));
    json_t *id = json_object_get(line, "id");
    if (!status || strcmp(status, "PASSED") == 0 || !json_is_integer(id)) return 0;
    json_t *s = json_object_get(f->by_status, status);
    if (!s) {
        s = json_pack("{s{} s[]}", "operators", "ids");
        json_object_set_new(f->by_status, status, s);
    }
    const char *op = json_string_value(json_object_get(line, "operator"));
    json_t *ops = json_object_get(s, "operators");
    op = op ? op : "?";
    json_object_set_new(ops, op, json_integer(json_integer_value(json_object_get(ops, op)) + 1));
    json_array_append(json_object_get(s, "ids"), id);
    return 0;
}

/* The first line of an error, the key by which two examples are "the same error". */
static int same_first_line(const char *a, const char *b)
{
    size_t na = strcspn(a, "\n"), nb = strcspn(b, "\n");
    return na == nb && strncmp(a, b, na) == 0;
}

/* Up to EXAMPLES_PER_STATUS examples with distinct errors, from candidates spread over the
 * run (the first, the last and between). */
static json_t *pick_examples(evo_run *r, const json_t *ids)
{
    json_t *ex = json_array();
    size_t n = json_array_size(ids), tries = n < EXAMPLES_READ ? n : EXAMPLES_READ;
    for (size_t k = 0; k < tries && json_array_size(ex) < EXAMPLES_PER_STATUS; k++) {
        size_t at = tries > 1 ? k * (n - 1) / (tries - 1) : 0;
        evo_candidate *c;
        if (evo_run_candidate(r, json_integer_value(json_array_get(ids, at)), &c) != EVO_OK)
            continue;
        json_t *rec = json_loads(evo_candidate_json(c), 0, NULL);
        const char *err = json_string_value(json_object_get(rec, "error"));
        int dup = 0;
        for (size_t i = 0; err && i < json_array_size(ex); i++)
            dup |= same_first_line(
                err, json_string_value(json_object_get(json_array_get(ex, i), "error")));
        if (!dup)
            json_array_append_new(
                ex, json_pack("{sI ss* ss*}", "id", (json_int_t)evo_candidate_id(c), "operator",
                              json_string_value(json_object_get(rec, "operator")), "error", err));
        json_decref(rec);
        evo_candidate_free(c);
    }
    return ex;
}

/* NULL when the log cannot be read (the page says so). */
static json_t *failures_of(evo_run *r, const char *log)
{
    fail_scan f = {json_object()};
    char err[1024];
    if (jsonl_foreach(log, scan_line, &f, err, sizeof err) != 0) {
        json_decref(f.by_status);
        return NULL;
    }
    const char *status;
    json_t *s;
    json_object_foreach(f.by_status, status, s)
    {
        json_object_set_new(s, "examples", pick_examples(r, json_object_get(s, "ids")));
        json_object_del(s, "ids");
    }
    return f.by_status;
}

/* ---- the pieces ---- */

typedef struct pieces {
    report_input in;
    json_t *status, *best, *validation, *lineage, *failures;
    char *best_source;
    char speedups[256];
    plot_series *series;
    char log_problem[1200];
    char stamp[32], nonce[40];
} pieces;

static void free_pieces(pieces *p)
{
    json_decref(p->status);
    json_decref(p->best);
    json_decref(p->validation);
    json_decref(p->lineage);
    json_decref(p->failures);
    evo_free(p->best_source);
    plot_free(p->series);
}

/* 32 hex digits from /dev/urandom (time and pid where it cannot be read): the CSP nonce. */
static void make_nonce(char *buf, size_t n)
{
    unsigned char raw[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC), got = 0;
    if (fd >= 0) {
        got = read(fd, raw, sizeof raw) == (ssize_t)sizeof raw;
        close(fd);
    }
    if (!got) {
        unsigned long long x = (unsigned long long)time(NULL) * 2654435761u ^ (unsigned)getpid();
        for (size_t i = 0; i < sizeof raw; i++, x = x * 6364136223846793005ull + 1)
            raw[i] = (unsigned char)(x >> 56);
    }
    for (size_t i = 0; i < sizeof raw && 2 * i + 2 < n; i++)
        snprintf(buf + 2 * i, 3, "%02x", raw[i]);
}

/* The best, its source, speedups, verdict and lineage. EVO_OK also when nothing passed yet. */
static int read_best(evo_run *r, pieces *p)
{
    evo_candidate *c;
    int rc = evo_run_best(r, &c);
    if (rc == EVO_ENOTFOUND) return EVO_OK;
    if (rc != EVO_OK) return rc;
    p->best = json_loads(evo_candidate_json(c), 0, NULL);
    p->best_source = evo_candidate_render(c);
    int64_t id = evo_candidate_id(c);
    cli_speedup_summary(json_object_get(p->best, "workloads"), p->speedups, sizeof p->speedups);
    char *verdict = NULL;
    if (evo_run_validation(r, id, &verdict) == EVO_OK) p->validation = json_loads(verdict, 0, NULL);
    evo_free(verdict);
    p->lineage = cli_lineage(r, c);
    return p->best ? EVO_OK : EVO_ENOMEM;
}

static int gather(evo_run *r, const char *dir, pieces *p)
{
    char *text = NULL;
    int rc = evo_run_status_json(r, &text);
    if (rc != EVO_OK) return rc;
    p->status = json_loads(text, 0, NULL);
    evo_free(text);
    if (!json_is_object(p->status)) return EVO_ENOMEM;
    if ((rc = read_best(r, p)) != EVO_OK) return rc;

    size_t n = strlen(dir) + 16;
    char *log = malloc(n);
    if (!log) return EVO_ENOMEM;
    snprintf(log, n, "%s/fitness.jsonl", dir);
    if (plot_read(log, &p->series, p->log_problem, sizeof p->log_problem) != 0) p->series = NULL;
    p->failures = failures_of(r, log);
    free(log);

    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(p->stamp, sizeof p->stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    make_nonce(p->nonce, sizeof p->nonce);
    p->in = (report_input){
        .run_dir = dir,
        .generated = p->stamp,
        .nonce = p->nonce,
        .status = p->status,
        .best = p->best,
        .best_source = p->best_source,
        .speedups =
            p->best && json_object_size(json_object_get(p->best, "workloads")) ? p->speedups : NULL,
        .validation = p->validation,
        .lineage = p->lineage,
        .failures = p->failures,
        .series = p->series,
        .log_problem = p->log_problem};
    return EVO_OK;
}

/* ---- writing ---- */

static int write_file(const report_input *in, const char *path)
{
    size_t n = strlen(path) + 5;
    char *tmp = malloc(n);
    if (!tmp) {
        fprintf(stderr, "evo report: out of memory\n");
        return EXIT_ERROR;
    }
    snprintf(tmp, n, "%s.tmp", path);
    char err[4200] = "";
    FILE *out = fopen(tmp, "w");
    int rc = -1;
    if (!out)
        snprintf(err, sizeof err, "%s: %s", tmp, strerror(errno));
    else if ((rc = report_html(out, in)) != 0)
        snprintf(err, sizeof err, "%s: %s", tmp, strerror(errno));
    if (out && fclose(out) != 0 && rc == 0) {
        snprintf(err, sizeof err, "%s: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        snprintf(err, sizeof err, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc != 0 && out) remove(tmp);
    free(tmp);
    if (rc != 0) {
        fprintf(stderr, "evo report: %s\n", err);
        return EXIT_ERROR;
    }
    printf("wrote %s\n", path);
    return EXIT_OK;
}

/* A directory (or a path under a missing one) is refused before the run is read. */
static int check_out(const char *path)
{
    struct stat sb;
    char shown[4096];
    cli_shown(path, shown, sizeof shown);
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fprintf(stderr,
                "evo report: %s is a directory: give the page a file name (-o %s/report.html)\n",
                shown, shown);
        return EXIT_ERROR;
    }
    return EXIT_OK;
}

int cli_report(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL;
    if (cli_wants_help(argc, argv)) return cli_help(USAGE);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0) {
            if (!(out = cli_value("report", USAGE, argc, argv, &i))) return EXIT_USAGE;
        } else if (strncmp(a, "--out=", 6) == 0) {
            out = a + 6;
        } else if (!cli_is_operand(a) || dir) {
            return cli_bad_argument("report", USAGE, a);
        } else {
            dir = a;
        }
    }
    if (!dir) return cli_usage_error("report", USAGE, "no run directory DIR given");
    if (out && !*out)
        return cli_usage_error("report", USAGE, "-o needs a file name (or - for stdout)");
    char *def = NULL;
    if (!out) {
        size_t n = strlen(dir) + 16;
        if (!(def = malloc(n))) return EXIT_ERROR;
        snprintf(def, n, "%s/report.html", dir);
        out = def;
    }
    int to_stdout = strcmp(out, "-") == 0, code = to_stdout ? EXIT_OK : check_out(out);
    if (code != EXIT_OK) {
        free(def);
        return code;
    }
    evo_run *r;
    int rc = evo_run_open(&r, dir);
    pieces p = {0};
    if (rc == EVO_OK) rc = gather(r, dir, &p);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo report: %s\n", rc == EVO_ENOMEM ? "out of memory" : evo_run_errmsg(r));
        if (rc == EVO_ESTORE) {
            char shown[4096];
            cli_shown(dir, shown, sizeof shown);
            fprintf(stderr, "evo report: `evo verify %s` names what is damaged\n", shown);
        }
        code = cli_exit_code(rc);
    } else if (to_stdout) {
        code = report_html(stdout, &p.in) == 0 ? EXIT_OK : EXIT_ERROR;
        if (code != EXIT_OK)
            fprintf(stderr, "evo report: writing to stdout: %s\n", strerror(errno));
    } else {
        code = write_file(&p.in, out);
    }
    free_pieces(&p);
    evo_run_close(r);
    free(def);
    return code;
}
