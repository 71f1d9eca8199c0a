/* cli_view.c -- the read-only subcommands: `evo status`, `evo best`, `evo log`, `evo plot`.
 *
 * Each opens the run directory through the evo_run views (read-only, no lock), so all four
 * work while `evo run` is still writing in another process. They print to stdout, put
 * messages on stderr prefixed "evo CMD: ", and return exit codes per cli.h: 2 with a usage
 * line for bad arguments, cli_exit_code() of the library's code otherwise (a directory
 * without a run is 1). Flags may come before or after DIR. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "evo.h"
#include "plot.h"

/* ---- arguments ---- */

typedef struct flag {
    const char *name;  /* "--json" */
    const char *alias; /* "-o" or NULL */
    int takes_value;
    const char *value; /* set when seen: the value, or "" for a switch */
} flag;

typedef struct args {
    const char *cmd, *usage;
    flag *flags;
    int nflags;
    const char *dir;
} args;

static int usage_error(const args *a, const char *fmt, const char *what)
{
    fprintf(stderr, "evo %s: ", a->cmd);
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\nusage: %s\n", a->usage);
    return EXIT_USAGE;
}

static flag *find_flag(args *a, const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    for (int i = 0; i < a->nflags; i++) {
        flag *f = &a->flags[i];
        size_t n = strlen(f->name);
        if (strcmp(arg, f->name) == 0 || (f->alias && strcmp(arg, f->alias) == 0)) return f;
        if (f->takes_value && strncmp(arg, f->name, n) == 0 && arg[n] == '=') {
            *inline_value = arg + n + 1;
            return f;
        }
    }
    return NULL;
}

/* Returns -1 when parsed, else the exit code (0 after --help). argv[0] is the command. */
static int parse_args(args *a, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) { /* wherever it stands */
        printf("usage: %s\n", a->usage);
        return EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val;
        if (arg[0] != '-' || arg[1] == '\0') {
            if (a->dir) return usage_error(a, "unexpected argument '%s'", arg);
            a->dir = arg;
            continue;
        }
        flag *f = find_flag(a, arg, &val);
        if (!f) return usage_error(a, "unknown option '%s'", arg);
        if (f->takes_value && !val) {
            if (i + 1 >= argc) return usage_error(a, "option '%s' needs a value", arg);
            val = argv[++i];
        }
        f->value = f->takes_value ? val : "";
    }
    if (!a->dir) return usage_error(a, "%s", "no run directory given");
    return -1;
}

static int open_run(const char *cmd, const char *dir, evo_run **r)
{
    int rc = evo_run_open(r, dir);
    if (rc == EVO_OK) return EXIT_OK;
    fprintf(stderr, "evo %s: %s\n", cmd, evo_run_errmsg(*r));
    evo_run_close(*r);
    *r = NULL;
    return cli_exit_code(rc);
}

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* ---- evo status ---- */

static void format_duration(double s, char *buf, size_t n)
{
    long long t = s > 0 ? (long long)(s + 0.5) : 0;
    if (t < 60)
        snprintf(buf, n, "%llds", t);
    else if (t < 3600)
        snprintf(buf, n, "%lldm%02llds", t / 60, t % 60);
    else
        snprintf(buf, n, "%lldh%02lldm", t / 3600, t % 3600 / 60);
}

/* A string field, or "?" when the stored record lacks it. */
static const char *text_or(const json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : "?";
}

static json_t *path_get(const json_t *j, const char *a, const char *b)
{
    return json_object_get(json_object_get(j, a), b);
}

/* The engine stores the 64-bit seed as decimal text (JSON numbers lose precision). */
static void print_run_line(const json_t *st, const char *dir)
{
    json_t *run = json_object_get(st, "run"), *seed = json_object_get(run, "seed");
    char seed_text[32];
    if (json_is_integer(seed))
        snprintf(seed_text, sizeof seed_text, "%lld", (long long)json_integer_value(seed));
    else
        snprintf(seed_text, sizeof seed_text, "%s", text_or(seed));
    printf("run          %s\n", dir);
    if (json_is_object(run))
        printf("name         %s (created %s, evo %s, seed %s)\n",
               text_or(json_object_get(run, "name")), text_or(json_object_get(run, "created")),
               text_or(json_object_get(run, "evo_version")), seed_text);
}

static void print_counters(const json_t *st)
{
    json_t *c = json_object_get(st, "counters");
    json_t *stop = path_get(json_object_get(st, "config"), "stop", "max_evaluations");
    char d[32];
    if (!json_is_object(c)) {
        printf("evaluations  0 (nothing committed yet)\n");
        return;
    }
    printf("evaluations  %lld", (long long)json_integer_value(json_object_get(c, "evaluations")));
    if (json_integer_value(stop) > 0) printf(" of %lld", (long long)json_integer_value(stop));
    format_duration(json_number_value(json_object_get(c, "elapsed_s")), d, sizeof d);
    long long sessions = json_integer_value(json_object_get(c, "sessions"));
    printf(" (%lld cached), %s over %lld session%s\n",
           (long long)json_integer_value(json_object_get(c, "cached")), d, sessions,
           sessions == 1 ? "" : "s");
    if (json_is_true(json_object_get(c, "finished")))
        printf("state        finished: %s\n", text_or(json_object_get(c, "stop_reason")));
    else
        printf("state        not finished (running now, or stopped early: evo resume DIR)\n");
}

static void print_params(const json_t *params)
{
    const char *k;
    json_t *v;
    printf("params      ");
    if (json_object_size(params) == 0) printf(" (none)");
    json_object_foreach((json_t *)params, k, v)
    {
        if (json_is_string(v))
            printf(" %s=%s", k, json_string_value(v));
        else if (json_is_integer(v))
            printf(" %s=%lld", k, (long long)json_integer_value(v));
        else if (json_is_number(v))
            printf(" %s=%g", k, json_number_value(v));
    }
    printf("\n");
}

static const struct {
    const char *key, *head, *fmt;
} figure_cols[] = {
    {"latency_us", "latency us", "%.2f"}, {"baseline_us", "baseline us", "%.2f"},
    {"speedup", "speedup", "%.2fx"},      {"frac_bw", "frac bw", "%.3f"},
    {"frac_flops", "frac flops", "%.3f"},
};
#define NFIGURES (sizeof figure_cols / sizeof figure_cols[0])

/* latency and speedup always; the fractions only when some workload has them. */
static void workload_table(const json_t *workloads)
{
    int show[NFIGURES] = {1, 1, 1, 0, 0}, width = 8, against = 0;
    const char *name;
    json_t *w;
    json_object_foreach((json_t *)workloads, name, w)
    {
        if ((int)strlen(name) > width) width = (int)strlen(name);
        for (size_t i = 0; i < NFIGURES; i++)
            show[i] |= json_is_number(json_object_get(w, figure_cols[i].key));
        against |= json_is_string(json_object_get(w, "baseline"));
    }
    printf("\n  %-*s", width, "workload");
    for (size_t i = 0; i < NFIGURES; i++)
        if (show[i]) printf("  %11s", figure_cols[i].head);
    if (against) printf("  against"); /* which baseline: "trace:<solution>", "kernel", ... */
    printf("\n");
    json_object_foreach((json_t *)workloads, name, w)
    {
        printf("  %-*s", width, name);
        for (size_t i = 0; i < NFIGURES; i++) {
            if (!show[i]) continue;
            json_t *v = json_object_get(w, figure_cols[i].key);
            char cell[32] = "-";
            if (json_is_number(v))
                snprintf(cell, sizeof cell, figure_cols[i].fmt, json_number_value(v));
            printf("  %11s", cell);
        }
        if (against) {
            const char *b = json_string_value(json_object_get(w, "baseline"));
            printf("  %s", b ? b : "-");
        }
        printf("\n");
    }
    printf("\n");
}

void cli_speedup_summary(const json_t *workloads, char *buf, size_t n)
{
    double logsum = 0, lo = 0;
    int count = 0, won = 0;
    const char *k;
    json_t *w;
    json_object_foreach((json_t *)workloads, k, w)
    {
        double s = json_number_value(json_object_get(w, "speedup"));
        if (s <= 0) continue;
        logsum += log(s);
        lo = count == 0 || s < lo ? s : lo;
        won += s > 1;
        count++;
    }
    if (count == 0) {
        snprintf(buf, n, "no speedups");
        return;
    }
    snprintf(buf, n, "geomean %.3fx, min %.3fx, won %d of %d workloads", exp(logsum / count), lo,
             won, count);
}

static void print_best(const json_t *st)
{
    json_t *b = json_object_get(st, "best");
    if (!json_is_object(b)) {
        printf("best         none yet (no candidate has passed the correctness gate)\n");
        return;
    }
    printf("best         #%lld %s, fitness %.4f\n",
           (long long)json_integer_value(json_object_get(b, "id")),
           text_or(json_object_get(b, "template")),
           json_number_value(json_object_get(b, "fitness")));
    print_params(json_object_get(b, "params"));
    json_t *w = json_object_get(b, "workloads");
    if (json_object_size(w) > 0) {
        char sum[256];
        cli_speedup_summary(w, sum, sizeof sum);
        printf("speedups     %s\n", sum);
    }
    if (json_object_size(w) > 0) workload_table(w);
}

static void print_failures(const json_t *st)
{
    json_t *f = path_get(st, "counters", "failures");
    const char *k;
    json_t *v;
    printf("failures    ");
    if (json_object_size(f) == 0) printf(" none");
    json_object_foreach(f, k, v) printf(" %s %lld", k, (long long)json_integer_value(v));
    printf("\n");
}

static void print_islands(const json_t *st)
{
    json_t *arr = json_object_get(st, "islands"), *is;
    size_t i;
    if (json_array_size(arr) == 0) return;
    printf("islands\n");
    json_array_foreach(arr, i, is)
    {
        json_int_t best = json_integer_value(json_object_get(is, "best_id"));
        printf("  %lld: %3lld members, ",
               (long long)json_integer_value(json_object_get(is, "index")),
               (long long)json_integer_value(json_object_get(is, "members")));
        if (best >= 1)
            printf("best #%lld %.4f, ", (long long)best,
                   json_number_value(json_object_get(is, "best_fitness")));
        else
            printf("no best yet, ");
        printf("%lld evaluations, %lld since improvement, explore %.2f\n",
               (long long)json_integer_value(json_object_get(is, "evaluations")),
               (long long)json_integer_value(json_object_get(is, "since_improvement")),
               json_number_value(json_object_get(is, "explore_rate")));
    }
}

static void print_operators(const json_t *st)
{
    json_t *arms = path_get(st, "operators", "arms"), *a;
    size_t i;
    if (json_array_size(arms) == 0) return;
    printf("operators\n");
    json_array_foreach(arms, i, a)
        printf("  %-12s %6lld uses %6lld improvements %6lld failures  weight %g\n",
               text_or(json_object_get(a, "name")),
               (long long)json_integer_value(json_object_get(a, "uses")),
               (long long)json_integer_value(json_object_get(a, "improvements")),
               (long long)json_integer_value(json_object_get(a, "failures")),
               json_number_value(json_object_get(a, "weight")));
}

static void print_usage_line(const char *label, const json_t *u)
{
    printf("  %-20s %lld calls, %lld tokens in, %lld out, $%.4f\n", label,
           (long long)json_integer_value(json_object_get(u, "calls")),
           (long long)json_integer_value(json_object_get(u, "tokens_in")),
           (long long)json_integer_value(json_object_get(u, "tokens_out")),
           json_number_value(json_object_get(u, "cost_usd")));
}

static void print_llm(const json_t *st)
{
    json_t *u = json_object_get(st, "usage"), *models = json_object_get(u, "models"), *m;
    const char *name;
    if (json_integer_value(json_object_get(u, "calls")) <= 0 && json_object_size(models) == 0)
        return;
    printf("llm usage\n");
    print_usage_line("total", u);
    json_object_foreach(models, name, m) print_usage_line(name, m);
}

/* Text from a store (a run name, a template, an error, a model's words) goes to a terminal:
 * every control character but newline and tab is shown as \xHH, never sent raw (an ANSI
 * escape in a run's name must not repaint the screen). Caller frees. */
static char *tame_text(const char *s)
{
    size_t n = strlen(s), k = 0;
    char *out = malloc(4 * n + 1);
    if (!out) return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
            k += (size_t)sprintf(out + k, "\\x%02x", *p);
        else
            out[k++] = (char)*p;
    out[k] = 0;
    return out;
}

/* A copy of v with every string and key tamed (NULL when out of memory). */
static json_t *tamed(const json_t *v)
{
    if (json_is_string(v)) {
        char *t = tame_text(json_string_value(v));
        json_t *r = t ? json_string(t) : NULL;
        free(t);
        return r;
    }
    if (json_is_array(v)) {
        json_t *r = json_array();
        for (size_t i = 0; r && i < json_array_size(v); i++)
            if (json_array_append_new(r, tamed(json_array_get(v, i)))) {
                json_decref(r);
                r = NULL;
            }
        return r;
    }
    if (json_is_object(v)) {
        json_t *r = json_object();
        const char *k;
        json_t *m;
        json_object_foreach((json_t *)v, k, m)
        {
            char *t = tame_text(k);
            if (!r || !t || json_object_set_new(r, t, tamed(m))) {
                json_decref(r);
                r = NULL;
            }
            free(t);
        }
        return r;
    }
    return json_deep_copy(v);
}

static void print_status(const json_t *st, const char *dir)
{
    print_run_line(st, dir);
    print_counters(st);
    print_best(st);
    print_failures(st);
    print_islands(st);
    print_operators(st);
    print_llm(st);
}

int cli_status(int argc, char **argv)
{
    flag flags[] = {{"--json", NULL, 0, NULL}};
    args a = {"status", "evo status DIR [--json]", flags, 1, NULL};
    int code = parse_args(&a, argc, argv);
    if (code >= 0) return code;
    evo_run *r;
    if ((code = open_run(a.cmd, a.dir, &r)) != EXIT_OK) return code;
    char *text = NULL;
    int rc = evo_run_status_json(r, &text);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo status: %s\n", evo_run_errmsg(r));
        evo_run_close(r);
        return cli_exit_code(rc);
    }
    evo_run_close(r);
    if (flags[0].value) {
        printf("%s\n", text);
        free(text);
        return EXIT_OK;
    }
    json_t *raw = json_loads(text, 0, NULL), *st = tamed(raw);
    free(text);
    json_decref(raw);
    char *dir = tame_text(a.dir);
    print_status(st, dir ? dir : "?");
    free(dir);
    json_decref(st);
    return EXIT_OK;
}

/* ---- evo best ---- */

/* Text inside the trailing comment block must not close it early. */
static void comment_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (s[0] == '*' && s[1] == '/') {
            fputs("* /", out);
            s++;
        } else {
            fputc(*s == '\n' ? ' ' : *s, out);
        }
    }
}

static void comment_figures(FILE *out, const json_t *figures)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)figures, k, v)
    {
        fputc(' ', out);
        comment_text(out, k);
        if (json_is_number(v))
            fprintf(out, "=%.6g", json_number_value(v));
        else if (json_is_string(v)) {
            fputc('=', out);
            comment_text(out, json_string_value(v));
        }
    }
}

static void write_best(FILE *out, const evo_candidate *c, const char *dir)
{
    char *src = evo_candidate_render(c);
    json_t *rec = json_loads(evo_candidate_json(c), 0, NULL);
    const evo_genome *g = evo_candidate_genome(c);
    fputs(src ? src : "", out);
    if (src && *src && src[strlen(src) - 1] != '\n') fputc('\n', out);
    free(src);
    fprintf(out, "\n/* evo best: candidate #%lld of run ", (long long)evo_candidate_id(c));
    comment_text(out, dir);
    fprintf(out, "\n * template %s, fitness %.6g (%s)\n * params:", evo_genome_template(g),
            evo_candidate_fitness(c), evo_status_name(evo_candidate_status(c)));
    for (int i = 0; i < evo_genome_param_count(g); i++)
        fprintf(out, " %s=%s", evo_genome_param_name(g, i), evo_genome_param_value(g, i));
    if (evo_genome_param_count(g) == 0) fprintf(out, " (none)");
    const char *name;
    json_t *w;
    json_object_foreach(json_object_get(rec, "workloads"), name, w)
    {
        fprintf(out, "\n * workload ");
        comment_text(out, name);
        fputc(':', out);
        comment_figures(out, w);
    }
    fprintf(out, "\n */\n");
    json_decref(rec);
}

static int best_to_file(const evo_candidate *c, const char *dir, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "evo best: %s: %s\n", path, strerror(errno));
        return EXIT_ERROR;
    }
    write_best(f, c, dir);
    if (fclose(f) != 0) {
        fprintf(stderr, "evo best: %s: %s\n", path, strerror(errno));
        return EXIT_ERROR;
    }
    fprintf(stderr, "evo best: wrote candidate #%lld (fitness %.4f) to %s\n",
            (long long)evo_candidate_id(c), evo_candidate_fitness(c), path);
    return EXIT_OK;
}

int cli_best(int argc, char **argv)
{
    flag flags[] = {{"--out", "-o", 1, NULL}};
    args a = {"best", "evo best DIR [--out FILE]", flags, 1, NULL};
    int code = parse_args(&a, argc, argv);
    if (code >= 0) return code;
    evo_run *r;
    if ((code = open_run(a.cmd, a.dir, &r)) != EXIT_OK) return code;
    evo_candidate *c;
    int rc = evo_run_best(r, &c);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo best: %s: %s\n", a.dir, evo_run_errmsg(r));
        evo_run_close(r);
        return cli_exit_code(rc);
    }
    if (flags[0].value)
        code = best_to_file(c, a.dir, flags[0].value);
    else
        write_best(stdout, c, a.dir);
    evo_candidate_free(c);
    evo_run_close(r);
    return code;
}

/* ---- evo log, evo plot ---- */

/* The log's path once DIR is known to hold a run; NULL (with the message printed and the
 * exit code in *code) otherwise. */
static char *log_of_run(const char *cmd, const char *dir, int *code)
{
    evo_run *r;
    if ((*code = open_run(cmd, dir, &r)) != EXIT_OK) return NULL;
    evo_run_close(r);
    char *path = join_path(dir, "fitness.jsonl");
    if (!path) {
        fprintf(stderr, "evo %s: out of memory\n", cmd);
        *code = EXIT_ERROR;
    }
    return path;
}

/* Copies complete lines only: a writer may be in the middle of the last one. */
static int copy_log(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "evo log: %s: %s\n", path, strerror(errno));
        return EXIT_ERROR;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0 && line[n - 1] == '\n')
        fwrite(line, 1, (size_t)n, stdout);
    free(line);
    fclose(f);
    return EXIT_OK;
}

int cli_log(int argc, char **argv)
{
    flag flags[] = {{"--csv", NULL, 0, NULL}};
    args a = {"log", "evo log DIR [--csv]", flags, 1, NULL};
    int code = parse_args(&a, argc, argv);
    if (code >= 0) return code;
    char *path = log_of_run(a.cmd, a.dir, &code);
    if (!path) return code;
    if (flags[0].value) {
        evo_run *r;
        char *csv = NULL;
        int rc = evo_run_open(&r, a.dir);
        if (rc == EVO_OK) rc = evo_run_log_csv(r, &csv);
        if (rc != EVO_OK) {
            fprintf(stderr, "evo log: %s\n", evo_run_errmsg(r));
            code = EXIT_ERROR;
        } else {
            fputs(csv, stdout);
        }
        evo_free(csv);
        evo_run_close(r);
    } else {
        code = copy_log(path);
    }
    free(path);
    return code;
}

/* Drawn into FILE.tmp and renamed, so a failed plot leaves an older FILE as it was. */
static int write_plot(const char *log, const char *svg_path)
{
    char *tmp = malloc(strlen(svg_path) + 5);
    if (!tmp) {
        fprintf(stderr, "evo plot: out of memory\n");
        return EXIT_ERROR;
    }
    sprintf(tmp, "%s.tmp", svg_path);
    char err[1024];
    int rc = -1;
    FILE *out = fopen(tmp, "w");
    if (!out)
        snprintf(err, sizeof err, "%s: %s", tmp, strerror(errno));
    else
        rc = plot_svg(log, NULL, out, err, sizeof err);
    if (out && fclose(out) != 0 && rc == 0) {
        snprintf(err, sizeof err, "%s: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(tmp, svg_path) != 0) {
        snprintf(err, sizeof err, "%s: %s", svg_path, strerror(errno));
        rc = -1;
    }
    if (rc != 0) {
        fprintf(stderr, "evo plot: %s\n", err);
        if (out) remove(tmp);
    } else {
        printf("wrote %s\n", svg_path);
    }
    free(tmp);
    return rc == 0 ? EXIT_OK : EXIT_ERROR;
}

int cli_plot(int argc, char **argv)
{
    flag flags[] = {{"--out", "-o", 1, NULL}};
    args a = {"plot", "evo plot DIR [-o FILE.svg]", flags, 1, NULL};
    int code = parse_args(&a, argc, argv);
    if (code >= 0) return code;
    char *log = log_of_run(a.cmd, a.dir, &code);
    if (!log) return code;
    char *svg = flags[0].value ? strdup(flags[0].value) : join_path(a.dir, "fitness.svg");
    code = svg ? write_plot(log, svg) : EXIT_ERROR;
    free(svg);
    free(log);
    return code;
}
