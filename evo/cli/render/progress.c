/* progress.c -- the CLI's one-line progress display, fed by the engine's progress callback.
 *
 * progress_format builds the line from an evo_progress alone (so it is testable with fixed
 * inputs); progress_update decides when to print. On a terminal the line is redrawn in place
 * at most four times a second, because redrawing after every evaluation of a fast evaluator
 * would cost more than the evaluation; off a terminal (a log file, CI) a plain line goes out
 * every `interval` seconds so the log stays short. The final call always prints.
 *
 * A stream that stops taking writes (a pipe whose reader exited: EPIPE with SIGPIPE ignored;
 * a terminal that hung up: EIO) is given up on: the view stops writing to it and the search
 * goes on. The run's own log (progress_new_log) is a second view with time-stamped lines. */
#include "progress.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#define TTY_MIN_INTERVAL_S 0.25

struct evo_progress_view {
    FILE *out;
    int is_tty;
    double interval_s;
    double last_print; /* monotonic seconds of the last line, < 0 before the first */
    int drawn;         /* a tty line is on screen without its newline */
    int stamped;       /* lines start with a UTC time stamp (the run's log) */
    int dead;          /* errno of a failed write: the stream is gone, nothing more is written */
    double last_setup; /* monotonic seconds of the last setup line, < 0 before the first */
};

/* Short failure names, in the order they are listed. */
static const struct {
    evo_status status;
    const char *name;
} failure_names[] = {
    {EVO_STATUS_COMPILE_ERROR, "compile"},     {EVO_STATUS_RUNTIME_ERROR, "runtime"},
    {EVO_STATUS_TIMEOUT, "timeout"},           {EVO_STATUS_INCORRECT_NUMERICAL, "numerical"},
    {EVO_STATUS_INCORRECT_SHAPE, "shape"},     {EVO_STATUS_INCORRECT_DTYPE, "dtype"},
    {EVO_STATUS_GUARD_VIOLATION, "guard"},     {EVO_STATUS_INVALID, "invalid"},
    {EVO_STATUS_HARNESS_TAMPERED, "tampered"}, {EVO_STATUS_BEYOND_FLOOR, "beyond-floor"},
};

void progress_stamp(char *buf, size_t n)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Appends to buf at *len, never past n; keeps *len accurate while space lasts. */
static void add(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
    if (*len >= n) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *len, n - *len, fmt, ap);
    va_end(ap);
    if (w > 0) *len += (size_t)w < n - *len ? (size_t)w : n - *len;
}

/* "42s", "3m08s", "2h05m". */
static void format_duration(double s, char *buf, size_t n)
{
    int64_t t = s > 0 ? (int64_t)(s + 0.5) : 0;
    if (t < 60)
        snprintf(buf, n, "%llds", (long long)t);
    else if (t < 3600)
        snprintf(buf, n, "%lldm%02llds", (long long)(t / 60), (long long)(t % 60));
    else
        snprintf(buf, n, "%lldh%02lldm", (long long)(t / 3600), (long long)(t % 3600 / 60));
}

static void add_failures(const evo_progress *p, char *buf, size_t n, size_t *len)
{
    int any = 0;
    for (size_t i = 0; i < sizeof failure_names / sizeof failure_names[0]; i++) {
        int64_t k = p->failures[failure_names[i].status];
        if (k <= 0) continue;
        add(buf, n, len, "%s %lld %s", any ? "" : " fail:", (long long)k, failure_names[i].name);
        any = 1;
    }
}

static void add_remaining(const evo_progress *p, char *buf, size_t n, size_t *len)
{
    char d[32];
    int wall = p->budget_s > 0, evals = p->max_evaluations > 0;
    if (!wall && !evals) return;
    add(buf, n, len, " left");
    if (wall) {
        format_duration(p->budget_s - p->elapsed_s, d, sizeof d);
        add(buf, n, len, " %s", d);
    }
    if (evals) {
        int64_t left = p->max_evaluations - p->evaluations;
        add(buf, n, len, "%s %lld evals", wall ? "," : "", (long long)(left > 0 ? left : 0));
    }
}

void progress_format(const evo_progress *p, double rate_per_min, char *buf, size_t n)
{
    size_t len = 0;
    char d[32];
    if (!buf || n == 0) return;
    buf[0] = '\0';
    add(buf, n, &len, "eval %lld", (long long)p->evaluations);
    if (p->max_evaluations > 0) add(buf, n, &len, "/%lld", (long long)p->max_evaluations);
    add(buf, n, &len, " (%.1f/min)", rate_per_min);
    if (p->best_id >= 0)
        add(buf, n, &len, " best %.4g #%lld", p->best_fitness, (long long)p->best_id);
    else
        add(buf, n, &len, " best -");
    add_failures(p, buf, n, &len);
    if (p->cached > 0) add(buf, n, &len, " cached %lld", (long long)p->cached);
    if (p->llm_cost_usd > 0) add(buf, n, &len, " llm $%.2f", p->llm_cost_usd);
    format_duration(p->elapsed_s, d, sizeof d);
    add(buf, n, &len, " elapsed %s", d);
    add_remaining(p, buf, n, &len);
}

evo_progress_view *progress_new(FILE *out, int is_tty, double interval_s)
{
    evo_progress_view *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->out = out;
    v->is_tty = is_tty;
    v->interval_s = interval_s > 0 ? interval_s : 10;
    v->last_print = -1;
    v->last_setup = -1;
    return v;
}

evo_progress_view *progress_new_log(FILE *out, double interval_s)
{
    evo_progress_view *v = progress_new(out, 0, interval_s);
    if (v) v->stamped = 1;
    return v;
}

int progress_dead(const evo_progress_view *v)
{
    return v ? v->dead : 0;
}

/* After a write (errno cleared before it): a stream in error is dead from now on. */
static void check_stream(evo_progress_view *v)
{
    if (fflush(v->out) != 0 || ferror(v->out)) {
        v->dead = errno ? errno : EIO;
        v->drawn = 0;
        clearerr(v->out);
    }
}

static int due(const evo_progress_view *v, double now)
{
    double gap = v->is_tty ? TTY_MIN_INTERVAL_S : v->interval_s;
    return v->last_print < 0 || now - v->last_print >= gap;
}

/* A line wider than the terminal wraps, and "\r\033[K" then clears only its last row:
 * cut it to the width instead. */
static void fit_terminal(FILE *out, char *line)
{
    struct winsize ws;
    int fd = fileno(out);
    if (fd < 0 || ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col < 2) return;
    if (strlen(line) >= ws.ws_col) line[ws.ws_col - 1] = '\0';
}

void progress_update(void *view, const evo_progress *p)
{
    evo_progress_view *v = view;
    if (!v || !p || v->dead) return;
    double now = now_s();
    if (!p->done && !due(v, now)) return;
    char line[512];
    double rate = p->elapsed_s > 0 ? (double)p->evaluations * 60.0 / p->elapsed_s : 0;
    progress_format(p, rate, line, sizeof line);
    errno = 0;
    if (v->is_tty) {
        fit_terminal(v->out, line);
        fprintf(v->out, "\r\033[K%s%s", line, p->done ? "\n" : "");
    } else if (v->stamped) {
        char stamp[32];
        progress_stamp(stamp, sizeof stamp);
        fprintf(v->out, "%s %s\n", stamp, line);
    } else
        fprintf(v->out, "%s\n", line);
    v->drawn = v->is_tty && !p->done;
    v->last_print = now;
    check_stream(v);
}

void progress_format_setup(const evo_setup_progress *p, int bar_width, char *buf, size_t n)
{
    size_t len = 0;
    char d[32];
    if (!buf || n == 0) return;
    buf[0] = '\0';
    int64_t done = p->done, total = p->total;
    add(buf, n, &len, "setup: %s", p->step ? p->step : "?");
    if (total > 0) {
        if (bar_width > 0) {
            int full = (int)((double)bar_width * (double)done / (double)total);
            add(buf, n, &len, " [");
            for (int i = 0; i < bar_width; i++)
                add(buf, n, &len, "%c", i < full ? '#' : '.');
            add(buf, n, &len, "]");
        }
        add(buf, n, &len, " %lld/%lld", (long long)done, (long long)total);
    } else {
        add(buf, n, &len, " %lld done", (long long)done);
    }
    format_duration(p->step_elapsed_s, d, sizeof d);
    add(buf, n, &len, " elapsed %s", d);
    if (total > 0 && done > 0 && done < total) {
        format_duration(p->step_elapsed_s / (double)done * (double)(total - done), d, sizeof d);
        add(buf, n, &len, " left %s", d);
    }
}

void progress_setup(void *view, const evo_setup_progress *p)
{
    evo_progress_view *v = view;
    if (!v || !p || v->dead) return;
    double now = now_s();
    int edge = p->done == 0 || (p->total > 0 && p->done >= p->total);
    /* A terminal redraws at most four times a second; elsewhere the step's first and last
     * lines, and one every interval between. */
    double gap = v->is_tty ? TTY_MIN_INTERVAL_S : v->interval_s;
    if (!edge && v->last_setup >= 0 && now - v->last_setup < gap) return;
    char line[512];
    progress_format_setup(p, v->is_tty ? 20 : 0, line, sizeof line);
    errno = 0;
    if (v->is_tty) {
        fit_terminal(v->out, line);
        /* A finished step stays on screen; the next line starts below it. */
        int finished = p->total > 0 && p->done >= p->total;
        fprintf(v->out, "\r\033[K%s%s", line, finished ? "\n" : "");
        v->drawn = !finished;
    } else if (v->stamped) {
        char stamp[32];
        progress_stamp(stamp, sizeof stamp);
        fprintf(v->out, "%s %s\n", stamp, line);
    } else {
        fprintf(v->out, "%s\n", line);
    }
    v->last_setup = now;
    check_stream(v);
}

/* A tty line left without its newline (the run ended without a final call) is finished
 * so the shell prompt does not overwrite it. */
void progress_free(evo_progress_view *v)
{
    if (!v) return;
    if (v->drawn && !v->dead) {
        fputc('\n', v->out);
        fflush(v->out);
        clearerr(v->out);
    }
    free(v);
}
