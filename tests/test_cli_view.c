/* test_cli_view.c -- `evo status`, `evo best`, `evo log`, `evo plot` end to end on a run
 * directory written with store.h calls: exit codes, exact usage and error messages, and the
 * printed text. The CLI files are not part of the library the tests link, so this suite
 * compiles evo/cli/cli_view.c in directly and captures stdout/stderr around each call. */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../evo/cli/cli_view.c"
#include "capture.h"
#include "check.h"
#include "store.h"
#include "store_format.h"

static char out_text[1 << 16], err_text[1 << 16];

/* Runs fn with argv and captures what it prints. */
static int run_cli(int (*fn)(int, char **), int argc, const char **argv)
{
    return capture_call(fn, argc, argv, out_text, sizeof out_text, err_text, sizeof err_text);
}

#define RUN(fn, ...)                                                                               \
    run_cli(fn, (int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)),                     \
            (const char *[]){__VA_ARGS__})

static const char *str(const char *s)
{
    return s;
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SRC_A "__global__ void k(float *x) { x[0] = BM; } /* done */"

static void put(evo_txn *t, const char *key, json_t *v)
{
    CHECK(store_meta_put(t, key, v) == EVO_OK);
    json_decref(v);
}

static void write_run(const char *dir, int with_best)
{
    evo_store *s;
    char err[512];
    CHECK_MSG(store_open(&s, dir, STORE_CREATE, "none", err, sizeof err) == EVO_OK, "%s", err);
    evo_txn *t;
    CHECK(store_begin(s, 1, &t) == EVO_OK);
    put(t, META_RUN,
        json_pack("{ss ss ss ss}", "name", "demo", "created", "2026-11-24T16:00:00Z", "evo_version",
                  "0.1.0", "seed", "7"));
    put(t, META_CONFIG, json_pack("{s{si}}", "stop", "max_evaluations", 100));
    put(t, META_COUNTERS,
        json_pack("{si si s{si si} si sf sf si sb ss}", "evaluations", 2, "cached", 0, "failures",
                  "COMPILE_ERROR", 1, "TIMEOUT", 2, "best_id", with_best ? 1 : -1, "best_fitness",
                  1.25, "elapsed_s", 188.0, "sessions", 2, "finished", 0, "stop_reason", ""));
    put(t, META_ISLANDS, json_pack("{si}", "count", 1));
    put(t, META_ISLAND_PREFIX "0",
        json_pack("{si sI sf sf sI sI s[] s[]}", "index", 0, "best_id", (json_int_t)1,
                  "best_fitness", 1.25, "explore_rate", 0.1, "evaluations", (json_int_t)2,
                  "since_improvement", (json_int_t)1, "members", "memory"));
    put(t, META_BANDIT,
        json_pack("{s[{ss sf sf sf si si si}]}", "arms", "name", "point", "weight", 1.0, "count",
                  2.0, "reward", 0.5, "uses", 3, "improvements", 1, "failures", 1));
    put(t, META_USAGE,
        json_pack("{s{s{si si sf si}} si si sf si}", "models", "m1", "tokens_in", 1000,
                  "tokens_out", 200, "cost_usd", 0.5, "calls", 2, "tokens_in", 1000, "tokens_out",
                  200, "cost_usd", 0.5, "calls", 2));
    CHECK(store_source_put(t, SHA_A, SRC_A) == EVO_OK);
    json_t *rec =
        json_pack("{si ss ss ss s{ss} ss sf s{s{sf sf sf sf}}}", "id", 1, "hash", "h", "template",
                  "gemm_mma", "source_sha", SHA_A, "params", "BM", "128", "status", "PASSED",
                  "fitness", 1.25, "workloads", "M=1024", "latency_us", 61.5, "baseline_us", 92.25,
                  "speedup", 1.5, "frac_bw", 0.25);
    CHECK(store_cand_put(t, 1, rec) == EVO_OK);
    json_decref(rec);
    CHECK(store_commit(t) == EVO_OK);
    store_close(s);
}

static void write_log(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/fitness.jsonl", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"index\":1,\"t\":0.5,\"island\":0,\"id\":1,\"parents\":[],\"operator\":\"seed\","
          "\"template\":\"gemm_mma\",\"status\":\"PASSED\",\"fitness\":1.25,\"best\":1.25,"
          "\"best_id\":1,\"label\":\"improvement\",\"workloads\":{\"M=1024\":{\"speedup\":1.5}}}\n"
          "{\"index\":2,\"t\":1.5,\"island\":0,\"id\":2,\"parents\":[1],\"operator\":\"point\","
          "\"template\":\"gemm_mma\",\"status\":\"TIMEOUT\",\"fitness\":0,\"best\":1.25,"
          "\"best_id\":1,\"label\":\"regression\",\"workloads\":{}}\n"
          "{\"index\":3,\"t\":2",
          f);
    fclose(f);
}

static void test_usage(void)
{
    CHECK(RUN(cli_status, "status") == EXIT_USAGE);
    CHECK(strcmp(err_text,
                 "evo status: no run directory given\nusage: evo status DIR [--json]\n") == 0);
    CHECK(RUN(cli_status, "status", "a", "b") == EXIT_USAGE);
    CHECK(strcmp(err_text,
                 "evo status: unexpected argument 'b'\nusage: evo status DIR [--json]\n") == 0);
    CHECK(RUN(cli_log, "log", "--cvs", "a") == EXIT_USAGE);
    CHECK(strcmp(err_text, "evo log: unknown option '--cvs'\nusage: evo log DIR [--csv]\n") == 0);
    CHECK(RUN(cli_best, "best", "a", "--out") == EXIT_USAGE);
    CHECK(strcmp(err_text,
                 "evo best: option '--out' needs a value\nusage: evo best DIR [--out FILE]\n") ==
          0);
    CHECK(RUN(cli_plot, "plot", "-o") == EXIT_USAGE);
    CHECK(strcmp(err_text,
                 "evo plot: option '-o' needs a value\nusage: evo plot DIR [-o FILE.svg]\n") == 0);
    CHECK(RUN(cli_plot, "plot", "--help") == EXIT_OK);
    CHECK(strcmp(out_text, "usage: evo plot DIR [-o FILE.svg]\n") == 0);
}

static void test_missing_run(const char *base)
{
    char dir[256], want[1024];
    snprintf(dir, sizeof dir, "%s/none", base);
    int (*fns[])(int, char **) = {cli_status, cli_best, cli_log, cli_plot};
    const char *names[] = {"status", "best", "log", "plot"};
    for (int i = 0; i < 4; i++) {
        CHECK(RUN(fns[i], names[i], dir) == EXIT_ERROR);
        snprintf(want, sizeof want, "evo %s: %s: no run here (no store.mdb)\n", names[i], dir);
        CHECK_MSG(strcmp(err_text, want) == 0, "got %s", err_text);
    }

    /* A file that is not a store: exit 5 (store corrupt or foreign). */
    char bad[512];
    snprintf(dir, sizeof dir, "%s/bad", base);
    mkdir(dir, 0755);
    snprintf(bad, sizeof bad, "%s/store.mdb", dir);
    FILE *f = fopen(bad, "w");
    fputs("not a store\n", f);
    fclose(f);
    CHECK(RUN(cli_status, "status", dir) == EXIT_STORE);
    snprintf(want, sizeof want, "evo status: %s: truncated (12 bytes)\n", bad);
    CHECK_MSG(strcmp(err_text, want) == 0, "got %s", err_text);
}

static void test_status(const char *dir)
{
    CHECK(RUN(cli_status, "status", dir) == EXIT_OK);
    CHECK_CONTAINS(str(out_text),
                   "name         demo (created 2026-11-24T16:00:00Z, evo 0.1.0, seed 7)\n");
    CHECK_CONTAINS(str(out_text), "evaluations  2 of 100 (0 cached), 3m08s over 2 sessions\n");
    CHECK_CONTAINS(str(out_text), "state        not finished");
    CHECK_CONTAINS(str(out_text),
                   "best         #1 gemm_mma, fitness 1.2500\nparams       BM=128\n");
    CHECK_CONTAINS(str(out_text),
                   "  workload   latency us  baseline us      speedup      frac bw\n"
                   "  M=1024          61.50        92.25        1.50x        0.250\n");
    CHECK_CONTAINS(str(out_text), "failures     COMPILE_ERROR 1 TIMEOUT 2\n");
    CHECK_CONTAINS(
        str(out_text),
        "  0:   0 members, best #1 1.2500, 2 evaluations, 1 since improvement, explore 0.10\n");
    CHECK_CONTAINS(str(out_text),
                   "  point             3 uses      1 improvements      1 failures  weight 1\n");
    CHECK_CONTAINS(str(out_text),
                   "llm usage\n  total                2 calls, 1000 tokens in, 200 out, $0.5000\n"
                   "  m1                   2 calls,");
    CHECK(err_text[0] == '\0');

    CHECK(RUN(cli_status, "status", "--json", dir) == EXIT_OK);
    json_t *st = json_loads(out_text, 0, NULL);
    CHECK(json_is_object(st));
    CHECK(json_integer_value(json_object_get(json_object_get(st, "best"), "id")) == 1);
    json_decref(st);
}

static void test_best(const char *dir)
{
    CHECK(RUN(cli_best, "best", dir) == EXIT_OK);
    CHECK_CONTAINS(str(out_text), "#define BM 128\n");
    CHECK_CONTAINS(str(out_text), SRC_A "\n\n/* evo best: candidate #1 of run ");
    CHECK_CONTAINS(str(out_text), " * template gemm_mma, fitness 1.25 (PASSED)\n * params: BM=128\n"
                                  " * workload M=1024: latency_us=61.5 baseline_us=92.25 "
                                  "speedup=1.5 frac_bw=0.25\n */\n");

    char path[1024];
    snprintf(path, sizeof path, "%s/best.cu", dir);
    CHECK(RUN(cli_best, "best", "--out", path, dir) == EXIT_OK);
    CHECK(out_text[0] == '\0');
    CHECK_CONTAINS(str(err_text), "evo best: wrote candidate #1 (fitness 1.2500) to ");
    CHECK(access(path, R_OK) == 0);
    CHECK(RUN(cli_best, "best", dir, "-o", "/nonexistent-evo/x.cu") == EXIT_ERROR);
    CHECK(strcmp(err_text, "evo best: /nonexistent-evo/x.cu: No such file or directory\n") == 0);
}

static void test_no_best(const char *base)
{
    char dir[256], want[1024];
    snprintf(dir, sizeof dir, "%s/nobest", base);
    write_run(dir, 0);
    CHECK(RUN(cli_best, "best", dir) == EXIT_ERROR);
    snprintf(want, sizeof want, "evo best: %s: no candidate has passed yet\n", dir);
    CHECK(strcmp(err_text, want) == 0);
    CHECK(RUN(cli_status, "status", dir) == EXIT_OK);
    CHECK_CONTAINS(str(out_text),
                   "best         none yet (no candidate has passed the correctness gate)\n");
    CHECK(RUN(cli_log, "log", dir) == EXIT_ERROR);
    snprintf(want, sizeof want, "evo log: %s/fitness.jsonl: No such file or directory\n", dir);
    CHECK(strcmp(err_text, want) == 0);
    CHECK(RUN(cli_plot, "plot", dir) == EXIT_ERROR);
    snprintf(want, sizeof want, "evo plot: %s/fitness.jsonl: No such file or directory\n", dir);
    CHECK(strcmp(err_text, want) == 0);
    snprintf(want, sizeof want, "%s/fitness.svg", dir);
    CHECK(access(want, F_OK) != 0); /* a failed plot leaves no file behind */
}

static void test_log_plot(const char *dir)
{
    CHECK(RUN(cli_log, "log", dir) == EXIT_OK);
    CHECK(strncmp(out_text, "{\"index\":1,", 11) == 0);
    CHECK(strstr(out_text, "{\"index\":2,") && !strstr(out_text, "{\"index\":3"));
    CHECK(RUN(cli_log, "log", "--csv", dir) == EXIT_OK);
    CHECK(strcmp(out_text, "index,t,island,id,parents,operator,template,status,fitness,best,"
                           "best_id,label,M=1024.speedup\n"
                           "1,0.5,0,1,,seed,gemm_mma,PASSED,1.25,1.25,1,improvement,1.5\n"
                           "2,1.5,0,2,1,point,gemm_mma,TIMEOUT,0,1.25,1,regression,\n") == 0);

    char want[1024];
    CHECK(RUN(cli_plot, "plot", dir) == EXIT_OK);
    snprintf(want, sizeof want, "wrote %s/fitness.svg\n", dir);
    CHECK(strcmp(out_text, want) == 0);
    snprintf(want, sizeof want, "%s/fitness.svg", dir);
    CHECK(access(want, R_OK) == 0);
    snprintf(want, sizeof want, "%s/other.svg", dir);
    CHECK(RUN(cli_plot, "plot", "-o", want, dir) == EXIT_OK);
    CHECK(access(want, R_OK) == 0);
    CHECK(RUN(cli_plot, "plot", dir, "--out=/nonexistent-evo/p.svg") == EXIT_ERROR);
    CHECK(strcmp(err_text, "evo plot: /nonexistent-evo/p.svg.tmp: No such file or directory\n") ==
          0);

    /* A log that cannot be plotted leaves the previous SVG in place. */
    char log[1024];
    snprintf(log, sizeof log, "%s/fitness.jsonl", dir);
    FILE *f = fopen(log, "w");
    fputs("[]\n", f);
    fclose(f);
    CHECK(RUN(cli_plot, "plot", "-o", want, dir) == EXIT_ERROR);
    CHECK_CONTAINS(str(err_text), "fitness.jsonl:1: not a JSON object: found another JSON value\n");
    CHECK(access(want, R_OK) == 0);
    CHECK(RUN(cli_log, "log", dir, "--csv") == EXIT_ERROR);
    CHECK_CONTAINS(str(err_text), "evo log: ");
    CHECK_CONTAINS(str(err_text), "fitness.jsonl:1: not a JSON object: found another JSON value\n");
}

int main(void)
{
    char base[] = "/tmp/evo_test_cli_view_XXXXXX";
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    char dir[256];
    snprintf(dir, sizeof dir, "%s/run", base);
    write_run(dir, 1);
    write_log(dir);
    test_usage();
    test_missing_run(base);
    test_status(dir);
    test_best(dir);
    test_no_best(base);
    test_log_plot(dir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    CHECK(system(cmd) == 0);
    return CHECK_DONE();
}
