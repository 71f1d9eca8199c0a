/* test_progress.c -- the progress line: exact text for fixed inputs, when lines are printed
 * on and off a terminal, a stream that stops taking writes (a closed pipe, a hung-up
 * terminal) given up on, and the run log's time-stamped lines. The setup steps' bar (an ETA,
 * redrawn on a terminal, plain lines elsewhere) and the engine's evo_engine_report_setup that
 * feeds it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "evo.h"
#include "progress.h"
#include "scratch.h"

static evo_progress base(void)
{
    evo_progress p;
    memset(&p, 0, sizeof p);
    p.best_id = -1;
    return p;
}

static void expect_line(const evo_progress *p, double rate, const char *want)
{
    char buf[512];
    progress_format(p, rate, buf, sizeof buf);
    CHECK_MSG(strcmp(buf, want) == 0, "got \"%s\", want \"%s\"", buf, want);
}

static void test_format(void)
{
    evo_progress p = base();
    expect_line(&p, 0, "eval 0 (0.0/min) best - elapsed 0s");

    p.evaluations = 120;
    p.max_evaluations = 500;
    p.best_fitness = 1.2341;
    p.best_id = 97;
    p.failures[EVO_STATUS_COMPILE_ERROR] = 3;
    p.failures[EVO_STATUS_TIMEOUT] = 1;
    p.cached = 4;
    p.elapsed_s = 188;
    p.budget_s = 600;
    expect_line(&p, 38.24,
                "eval 120/500 (38.2/min) best 1.234 #97 fail: 3 compile 1 timeout cached 4 "
                "elapsed 3m08s left 6m52s, 380 evals");

    p.budget_s = 0;
    p.failures[EVO_STATUS_INCORRECT_NUMERICAL] = 2;
    p.failures[EVO_STATUS_GUARD_VIOLATION] = 5;
    p.failures[EVO_STATUS_INVALID] = 6;
    p.failures[EVO_STATUS_RUNTIME_ERROR] = 7;
    p.failures[EVO_STATUS_INCORRECT_SHAPE] = 8;
    p.failures[EVO_STATUS_INCORRECT_DTYPE] = 9;
    p.failures[EVO_STATUS_PASSED] = 100; /* not a failure: never listed */
    p.llm_cost_usd = 0.4249;
    p.elapsed_s = 7500;
    expect_line(&p, 1,
                "eval 120/500 (1.0/min) best 1.234 #97 fail: 3 compile 7 runtime 1 timeout "
                "2 numerical 8 shape 9 dtype 5 guard 6 invalid cached 4 llm $0.42 elapsed "
                "2h05m left 380 evals");

    evo_progress q = base();
    q.evaluations = 9;
    q.elapsed_s = 59.4;
    q.budget_s = 30;
    expect_line(&q, 9.1, "eval 9 (9.1/min) best - elapsed 59s left 0s");

    char small[12];
    progress_format(&p, 1, small, sizeof small);
    CHECK(strcmp(small, "eval 120/50") == 0);
}

static char *capture(int is_tty, double interval)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    evo_progress_view *v = progress_new(out, is_tty, interval);
    evo_progress p = base();
    p.elapsed_s = 60;
    for (int i = 1; i <= 3; i++) {
        p.evaluations = i;
        progress_update(v, &p);
    }
    p.done = 1;
    progress_update(v, &p);
    progress_free(v);
    fclose(out);
    return buf;
}

static void test_update(void)
{
    char *plain = capture(0, 3600);
    CHECK_MSG(plain && strcmp(plain, "eval 1 (1.0/min) best - elapsed 1m00s\n"
                                     "eval 3 (3.0/min) best - elapsed 1m00s\n") == 0,
              "got \"%s\"", plain ? plain : "(null)");
    free(plain);

    char *tty = capture(1, 3600);
    CHECK_MSG(tty && strcmp(tty, "\r\033[Keval 1 (1.0/min) best - elapsed 1m00s"
                                 "\r\033[Keval 3 (3.0/min) best - elapsed 1m00s\n") == 0,
              "got \"%s\"", tty ? tty : "(null)");
    free(tty);

    /* A run that ends without a final call still leaves the terminal on a new line. */
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    evo_progress_view *v = progress_new(out, 1, 1);
    evo_progress p = base();
    progress_update(v, &p);
    progress_free(v);
    fclose(out);
    CHECK(buf && strcmp(buf, "\r\033[Keval 0 (0.0/min) best - elapsed 0s\n") == 0);
    free(buf);
}

/* A stream that fails every write with EPIPE, counting the attempts. */
static int write_calls;
static ssize_t broken_write(void *cookie, const char *buf, size_t n)
{
    (void)cookie, (void)buf, (void)n;
    write_calls++;
    errno = EPIPE;
    return -1;
}

static void test_dead_stream(void)
{
    for (int tty = 0; tty <= 1; tty++) {
        cookie_io_functions_t io = {.write = broken_write};
        FILE *out = fopencookie(NULL, "w", io);
        setvbuf(out, NULL, _IONBF, 0);
        write_calls = 0;
        evo_progress_view *v = progress_new(out, tty, 0.0001);
        evo_progress p = base();
        CHECK(progress_dead(v) == 0);
        progress_update(v, &p);
        CHECK_MSG(progress_dead(v) == EPIPE, "dead %d after a failed write", progress_dead(v));
        int after_first = write_calls;
        CHECK(after_first >= 1);
        for (int i = 0; i < 50; i++) {
            p.evaluations = i;
            progress_update(v, &p);
        }
        p.done = 1;
        progress_update(v, &p);
        progress_free(v); /* no newline for a dead terminal either */
        CHECK_MSG(write_calls == after_first, "%d writes to a dead stream",
                  write_calls - after_first);
        fclose(out);
    }
}

static void test_log_view(void)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    evo_progress_view *v = progress_new_log(out, 3600);
    evo_progress p = base();
    p.evaluations = 4;
    progress_update(v, &p);
    p.evaluations = 5; /* not due */
    progress_update(v, &p);
    p.done = 1;
    progress_update(v, &p);
    progress_free(v);
    fclose(out);
    /* "2026-12-04T02:13:11Z eval 4 ..." then the final line. */
    int lines = 0, stamped = 1;
    for (char *l = buf; l && *l; lines++) {
        stamped &= strlen(l) > 21 && l[4] == '-' && l[10] == 'T' && l[19] == 'Z' && l[20] == ' ' &&
                   strncmp(l + 21, "eval ", 5) == 0;
        char *nl = strchr(l, '\n');
        l = nl ? nl + 1 : NULL;
    }
    CHECK_MSG(lines == 2 && stamped, "log view wrote \"%s\"", buf ? buf : "(null)");
    free(buf);
}

static void expect_setup(const char *step, int64_t done, int64_t total, double elapsed, int bar,
                         const char *want)
{
    evo_setup_progress p = {step, done, total, elapsed};
    char buf[512];
    progress_format_setup(&p, bar, buf, sizeof buf);
    CHECK_MSG(strcmp(buf, want) == 0, "got \"%s\", want \"%s\"", buf, want);
}

static void test_setup_format(void)
{
    expect_setup("references and baseline", 6, 15, 12, 20,
                 "setup: references and baseline [########............] 6/15 elapsed 12s left 18s");
    expect_setup("references and baseline", 6, 15, 12, 0,
                 "setup: references and baseline 6/15 elapsed 12s left 18s");
    /* No ETA before the first unit, nor once done. */
    expect_setup("ceilings", 0, 1, 0, 10, "setup: ceilings [..........] 0/1 elapsed 0s");
    expect_setup("ceilings", 1, 1, 3.2, 10, "setup: ceilings [##########] 1/1 elapsed 3s");
    expect_setup("compile", 4, 0, 75, 10, "setup: compile 4 done elapsed 1m15s");
}

/* Feeds a view a step: 0/4, 1/4 .. 4/4, then a second step 0/1, 1/1. */
static char *capture_setup(int is_tty, int stamped, double interval)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    evo_progress_view *v =
        stamped ? progress_new_log(out, interval) : progress_new(out, is_tty, interval);
    for (int i = 0; i <= 4; i++) {
        evo_setup_progress p = {"references and baseline", i, 4, 2.0 * i};
        progress_setup(v, &p);
    }
    evo_setup_progress c0 = {"compile", 0, 1, 0}, c1 = {"compile", 1, 1, 1};
    progress_setup(v, &c0);
    progress_setup(v, &c1);
    progress_free(v);
    fclose(out);
    return buf;
}

static void test_setup_view(void)
{
    /* Off a terminal: the step's first and last lines (the interval holds back the rest), no
     * carriage return, no escape. */
    char *plain = capture_setup(0, 0, 3600);
    CHECK_MSG(plain && strcmp(plain, "setup: references and baseline 0/4 elapsed 0s\n"
                                     "setup: references and baseline 4/4 elapsed 8s\n"
                                     "setup: compile 0/1 elapsed 0s\n"
                                     "setup: compile 1/1 elapsed 1s\n") == 0,
              "got \"%s\"", plain ? plain : "(null)");
    CHECK(plain && !strchr(plain, '\r') && !strchr(plain, '\033'));
    free(plain);
    /* The log: the same lines, time-stamped. */
    char *log = capture_setup(0, 1, 3600);
    CHECK(log && strstr(log, "Z setup: references and baseline 4/4 elapsed 8s\n"));
    CHECK(log && !strchr(log, '\r'));
    free(log);
    /* A terminal: the bar redrawn in place (here at most four times a second, so the first and
     * the last), each finished step left on its own line. */
    char *tty = capture_setup(1, 0, 3600);
    CHECK_MSG(tty && strcmp(tty,
                            "\r\033[Ksetup: references and baseline [....................] "
                            "0/4 elapsed 0s"
                            "\r\033[Ksetup: references and baseline [####################] "
                            "4/4 elapsed 8s\n"
                            "\r\033[Ksetup: compile [....................] 0/1 elapsed 0s"
                            "\r\033[Ksetup: compile [####################] 1/1 elapsed 1s\n") == 0,
              "got \"%s\"", tty ? tty : "(null)");
    free(tty);
    /* With no interval to hold them back, a terminal gets every redraw with its ETA. */
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    evo_progress_view *v = progress_new(out, 1, 1);
    evo_setup_progress a = {"references and baseline", 0, 4, 0};
    progress_setup(v, &a);
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    evo_setup_progress b = {"references and baseline", 1, 4, 2};
    progress_setup(v, &b);
    progress_free(v);
    fclose(out);
    CHECK_MSG(buf &&
                  strstr(buf, "\r\033[Ksetup: references and baseline [#####...............] 1/4 "
                              "elapsed 2s left 6s\n"),
              "got \"%s\"", buf ? buf : "(null)");
    free(buf);
}

/* What an evaluator reports reaches the program's callback, with the step's own clock. */
static evo_setup_progress got[8];
static char got_step[8][64];
static int ngot;
static void on_setup(void *user, const evo_setup_progress *p)
{
    (void)user;
    if (ngot >= 8) return;
    got[ngot] = *p;
    snprintf(got_step[ngot], sizeof got_step[ngot], "%s", p->step);
    got[ngot].step = got_step[ngot];
    ngot++;
}

static void test_engine_setup(void)
{
    evo_engine_report_setup(NULL, "x", 1, 2); /* no engine: nothing */
    char err[512];
    evo_config *cfg = NULL;
    CHECK_MSG(evo_config_parse("{\"evaluator\": {\"kind\": \"synthetic\"}, "
                               "\"store\": {\"sync\": \"none\"}}",
                               "t.json", &cfg, err, sizeof err) == EVO_OK,
              "%s", err);
    if (!cfg) return;
    scratch_dir("progress");
    evo_engine *e = NULL;
    CHECK_MSG(evo_engine_open(&e, scratch_path("run"), cfg) == EVO_OK, "%s", evo_errmsg(e));
    evo_config_free(cfg);
    evo_engine_report_setup(e, "ignored", 0, 1); /* no callback yet */
    evo_engine_set_setup_progress(e, on_setup, NULL);
    evo_engine_report_setup(e, "ceilings", 0, 1);
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    evo_engine_report_setup(e, "ceilings", 1, 1);
    evo_engine_report_setup(e, "references and baseline", 9, 4); /* clamped to the total */
    CHECK(ngot == 3);
    CHECK(!strcmp(got[0].step, "ceilings") && got[0].done == 0 && got[0].total == 1 &&
          got[0].step_elapsed_s < 0.04);
    CHECK_MSG(got[1].done == 1 && got[1].step_elapsed_s >= 0.04, "%g", got[1].step_elapsed_s);
    /* Another step starts its own clock. */
    CHECK(!strcmp(got[2].step, "references and baseline") && got[2].done == 4 &&
          got[2].total == 4 && got[2].step_elapsed_s < 0.04);
    evo_engine_close(e);
    scratch_remove();
}

int main(void)
{
    test_format();
    test_update();
    test_dead_stream();
    test_log_view();
    test_setup_format();
    test_setup_view();
    test_engine_setup();
    return CHECK_DONE();
}
