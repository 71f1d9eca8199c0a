/* test_crash.c -- the durability promise, tested on the real `evo` program:
 * - `evo run` killed with SIGKILL at random moments 20 times and resumed each time ends with
 *   exactly the run an uninterrupted process makes (same candidates, same order, each once),
 *   and its fitness log agrees with the store line for line;
 * - a second process on a run directory in use is refused with exit code 4;
 * - a truncated or garbage store is refused with exit code 5 and a clear message. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "evo.h"
#include "file_text.h"

#define KILLS 20

static char evo_bin[512], root[256], cfg_path[512];

static pid_t spawn(const char *const argv[], const char *out_path)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static int wait_code(pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run_cmd(const char *const argv[], const char *out)
{
    return wait_code(spawn(argv, out));
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* "hash fitness" per candidate in id order. */
static char *fingerprint(const char *dir, int64_t *count)
{
    evo_run *r;
    if (evo_run_open(&r, dir) != EVO_OK) {
        fprintf(stderr, "open %s: %s\n", dir, evo_run_errmsg(r));
        evo_run_close(r);
        return NULL;
    }
    int64_t n = evo_run_count(r);
    *count = n;
    size_t cap = (size_t)(n + 1) * 100, len = 0;
    char *out = calloc(1, cap);
    for (int64_t id = 1; id <= n; id++) {
        evo_candidate *c;
        if (evo_run_candidate(r, id, &c) != EVO_OK) {
            len += (size_t)snprintf(out + len, cap - len, "MISSING %lld\n", (long long)id);
            continue;
        }
        len += (size_t)snprintf(out + len, cap - len, "%s %.17g\n",
                                evo_genome_hash(evo_candidate_genome(c)), evo_candidate_fitness(c));
        evo_candidate_free(c);
    }
    evo_run_close(r);
    return out;
}

/* The fitness log must hold one line per committed candidate, in order, agreeing with it. */
static void check_log_agrees(const char *dir, int64_t count)
{
    char path[600];
    snprintf(path, sizeof path, "%s/fitness.jsonl", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f) return;
    evo_run *r;
    CHECK(evo_run_open(&r, dir) == EVO_OK);
    char line[65536];
    int64_t n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        json_t *j = json_loads(line, 0, NULL);
        evo_candidate *c = NULL;
        if (!j || json_integer_value(json_object_get(j, "index")) != n ||
            evo_run_candidate(r, n, &c) != EVO_OK ||
            json_number_value(json_object_get(j, "fitness")) != evo_candidate_fitness(c))
            bad++;
        evo_candidate_free(c);
        json_decref(j);
    }
    fclose(f);
    evo_run_close(r);
    CHECK_MSG(n == count, "log has %lld lines, store %lld candidates", (long long)n,
              (long long)count);
    CHECK_MSG(bad == 0, "%lld log lines disagree with the store", (long long)bad);
}

static void write_config(void)
{
    snprintf(cfg_path, sizeof cfg_path, "%s/crash.json", root);
    FILE *f = fopen(cfg_path, "w");
    fprintf(f, "{\"name\": \"crash\", \"seed\": 11, \"concurrency\": 1,\n"
               " \"islands\": {\"count\": 2, \"population\": 20},\n"
               " \"migration\": {\"interval\": 7},\n"
               " \"evaluator\": {\"kind\": \"synthetic\", \"synthetic\": {\"dims\": 5, \"levels\": "
               "12, \"delay_ms\": 3,"
               " \"fail_rate\": 0.1}},\n"
               " \"store\": {\"sync\": \"none\"},\n"
               " \"stop\": {\"max_evaluations\": 300}}\n");
    fclose(f);
}

static int initialised(const char *dir)
{
    evo_run *r;
    char *text = NULL;
    int ok = 0;
    if (evo_run_open(&r, dir) == EVO_OK && evo_run_status_json(r, &text) == EVO_OK) {
        json_t *j = json_loads(text, 0, NULL);
        ok = json_is_object(json_object_get(j, "run"));
        json_decref(j);
    }
    free(text);
    evo_run_close(r);
    return ok;
}

static void test_kill_resume(void)
{
    char a[512], b[512], out[600];
    snprintf(a, sizeof a, "%s/uninterrupted", root);
    snprintf(b, sizeof b, "%s/killed", root);
    snprintf(out, sizeof out, "%s/out.txt", root);
    const char *ref[] = {evo_bin, "run", cfg_path, "--run-dir", a, "--quiet", NULL};
    CHECK(run_cmd(ref, out) == 0);

    srand((unsigned)getpid());
    const char *first[] = {evo_bin, "run", cfg_path, "--run-dir", b, "--quiet", NULL};
    const char *again[] = {evo_bin, "resume", b, "--quiet", NULL};
    int kills = 0, finished_early = 0;
    for (int i = 0; i <= KILLS; i++) {
        /* A kill before the run's first commit leaves nothing to resume: start it again. */
        pid_t pid = spawn(initialised(b) ? again : first, out);
        sleep_ms(30 + rand() % 120);
        if (kill(pid, SIGKILL) == 0) kills++;
        int code = wait_code(pid);
        if (code == 0) finished_early++;
    }
    const char *last[] = {evo_bin, "resume", b, "--quiet", NULL};
    int code = run_cmd(initialised(b) ? last : first, out);
    CHECK_MSG(code == 0, "final resume exited %d", code);
    CHECK(kills >= KILLS);

    int64_t na = 0, nb = 0;
    char *fa = fingerprint(a, &na), *fb = fingerprint(b, &nb);
    CHECK(na == 300);
    CHECK_MSG(nb == na, "killed run has %lld candidates, uninterrupted %lld", (long long)nb,
              (long long)na);
    CHECK_MSG(fa && fb && strcmp(fa, fb) == 0,
              "killed-and-resumed run differs from the uninterrupted run");
    check_log_agrees(b, nb);
    printf("crash: %d kills (%d runs had already finished), %lld candidates identical\n", kills,
           finished_early, (long long)nb);
    free(fa);
    free(fb);
}

static void test_busy(void)
{
    char dir[512], out[600], slow_cfg[600];
    snprintf(dir, sizeof dir, "%s/busy", root);
    snprintf(out, sizeof out, "%s/busy.txt", root);
    snprintf(slow_cfg, sizeof slow_cfg, "%s/slow.json", root);
    FILE *f = fopen(slow_cfg, "w");
    fprintf(f, "{\"evaluator\": {\"kind\": \"synthetic\", \"synthetic\": {\"delay_ms\": 50}},"
               " \"stop\": {\"max_evaluations\": 100000}}\n");
    fclose(f);
    const char *runner[] = {evo_bin, "run", slow_cfg, "--run-dir", dir, "--quiet", NULL};
    pid_t pid = spawn(runner, out);
    sleep_ms(700);
    const char *second[] = {evo_bin, "resume", dir, NULL};
    unlink(out);
    int code = run_cmd(second, out);
    char *text = file_read_text(out, 0, NULL);
    CHECK_MSG(code == 4, "second writer exited %d", code);
    CHECK_CONTAINS(text, "is in use by process");
    free(text);
    /* Readers are welcome while the run goes on. */
    const char *status[] = {evo_bin, "status", dir, NULL};
    CHECK(run_cmd(status, out) == 0);
    /* SIGTERM: stop, commit, exit 130. */
    kill(pid, SIGTERM);
    code = wait_code(pid);
    CHECK_MSG(code == 130, "SIGTERM exit code %d", code);
    const char *resume[] = {evo_bin, "resume", dir, "--quiet", NULL};
    pid = spawn(resume, out);
    sleep_ms(400);
    kill(pid, SIGINT);
    CHECK(wait_code(pid) == 130);
}

static void test_corrupt(void)
{
    char dir[512], out[600], src[600], dst[600];
    snprintf(dir, sizeof dir, "%s/corrupt", root);
    snprintf(out, sizeof out, "%s/corrupt.txt", root);
    mkdir(dir, 0755);
    snprintf(src, sizeof src, "%s/uninterrupted/store.mdb", root);
    snprintf(dst, sizeof dst, "%s/store.mdb", dir);
    char *data = file_read_text(src, 0, NULL);
    FILE *f = fopen(dst, "wb");
    fwrite(data, 1, 100, f); /* truncated mid-header */
    fclose(f);
    free(data);
    const char *status[] = {evo_bin, "status", dir, NULL};
    const char *resume[] = {evo_bin, "resume", dir, NULL};
    unlink(out);
    CHECK(run_cmd(status, out) == 5 || run_cmd(status, out) == 1);
    unlink(out);
    int code = run_cmd(resume, out);
    char *text = file_read_text(out, 0, NULL);
    CHECK_MSG(code == 5, "resume of a truncated store exited %d: %s", code, text ? text : "");
    CHECK_CONTAINS(text, "store.mdb");
    free(text);
    f = fopen(dst, "wb");
    for (int i = 0; i < 20000; i++)
        fputc((i * 7919) & 0xff, f);
    fclose(f);
    unlink(out);
    code = run_cmd(resume, out);
    CHECK_MSG(code == 5, "resume of a garbage store exited %d", code);
}

int main(void)
{
    snprintf(evo_bin, sizeof evo_bin, "%s/evo", EVO_BUILD_DIR);
    if (access(evo_bin, X_OK) != 0) {
        fprintf(stderr, "no evo binary at %s\n", evo_bin);
        return 1;
    }
    snprintf(root, sizeof root, "/tmp/evo-test-crash-%d", (int)getpid());
    mkdir(root, 0755);
    write_config();
    test_kill_resume();
    test_busy();
    test_corrupt();
    if (check_failed == 0) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", root);
        if (system(cmd) != 0) fprintf(stderr, "cleanup failed\n");
    }
    return CHECK_DONE();
}
