/* test_cli_export.c -- `evo export DIR --flashinfer-bench OUT_DIR` end to end on a run
 * directory written with store.h calls (the gdn_decode tuned seed as candidate 1, PASSED on
 * two workloads; a failed candidate 2): the files land in the FlashInfer Trace layout and
 * validate, the task is found from the stored config (relative to the config's directory) or
 * --task, and bad usage, unknown candidates and missing tasks give exact messages. The CLI
 * files are not in the library the tests link, so evo/cli/cli_export.c is compiled in here. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../evo/cli/cli_export.c"
#include "capture.h"
#include "check.h"
#include "export.h"
#include "file_text.h"
#include "store.h"
#include "store_format.h"

static char out_text[1 << 14], err_text[1 << 14];

static int run_cli(int argc, const char **argv)
{
    return capture_call(cli_export, argc, argv, out_text, sizeof out_text, err_text,
                        sizeof err_text);
}

#define RUN(...)                                                                                   \
    run_cli((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)),                         \
            (const char *[]){__VA_ARGS__})

#define SHA "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void put(evo_txn *t, const char *key, json_t *v)
{
    CHECK(store_meta_put(t, key, v) == EVO_OK);
    json_decref(v);
}

static void write_run(const char *dir, const char *config_dir, const char *task)
{
    evo_store *s;
    char err[512];
    CHECK_MSG(store_open(&s, dir, STORE_CREATE, "none", err, sizeof err) == EVO_OK, "%s", err);
    evo_txn *t;
    CHECK(store_begin(s, 1, &t) == EVO_OK);
    put(t, META_RUN,
        json_pack("{ss ss ss ss ss}", "name", "gdn", "created", "2026-11-24T16:00:00Z",
                  "evo_version", "0.1.0", "seed", "1", "config_dir", config_dir));
    put(t, META_CONFIG, json_pack("{s{ss ss}}", "evaluator", "kind", "gpu", "task", task));
    put(t, META_COUNTERS, json_pack("{si si}", "evaluations", 2, "best_id", 1));
    char *src = file_read_text("kernels/gdn_decode/gdn_decode_tuned.cu", 0, NULL);
    CHECK(src && store_source_put(t, SHA, src) == EVO_OK);
    free(src);
    json_t *rec = json_pack("{si ss ss ss s{ss ss} ss sf s{s{sf sf sf sf sf} s{sf sf sf sf sf}}}",
                            "id", 1, "hash", "h1", "template", "gdn_decode_tuned", "source_sha",
                            SHA, "params", "RPW", "8", "WARPS", "2", "status", "PASSED", "fitness",
                            3.0, "workloads", "batch_size=1", "latency_us", 5.0, "baseline_us",
                            43.0, "speedup", 8.6, "max_abs_err", 0.004, "max_rel_err", 0.01,
                            "batch_size=64", "latency_us", 28.0, "baseline_us", 146000.0, "speedup",
                            5214.0, "max_abs_err", 0.2, "max_rel_err", 0.009);
    CHECK(store_cand_put(t, 1, rec) == EVO_OK);
    json_decref(rec);
    rec = json_pack("{si ss ss ss s{} ss ss s{s{sf sf}}}", "id", 2, "hash", "h2", "template",
                    "gdn_decode_tuned", "source_sha", SHA, "params", "status",
                    "INCORRECT_NUMERICAL", "error", "output: 3 of 1024 elements differ",
                    "workloads", "batch_size=1", "max_abs_err", 0.5, "max_rel_err", 2.0);
    CHECK(store_cand_put(t, 2, rec) == EVO_OK);
    json_decref(rec);
    CHECK(store_commit(t) == EVO_OK);
    store_close(s);
}

static int count_valid_lines(const char *path, const char *status)
{
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f) return -1;
    char line[16384], err[256];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *tr = json_loads(line, 0, &je);
        CHECK_MSG(tr && export_check_trace(tr, err, sizeof err) == 0, "%s: %s", path, err);
        const char *st =
            json_string_value(json_object_get(json_object_get(tr, "evaluation"), "status"));
        CHECK(st && !strcmp(st, status));
        json_decref(tr);
        n++;
    }
    fclose(f);
    return n;
}

/* What `evo validate` keeps for a candidate. */
static void save_validation(const char *run, int id, const char *status)
{
    evo_store *s;
    char err[512], key[64], text[256];
    CHECK_MSG(store_open(&s, run, STORE_EXISTING, "none", err, sizeof err) == EVO_OK, "%s", err);
    snprintf(key, sizeof key, "validation/%d", id);
    snprintf(text, sizeof text,
             "{\"status\":\"%s\",\"error\":\"workload x: wrong\",\"candidate\":%d}", status, id);
    CHECK(store_save_blob(s, key, text, strlen(text) + 1) == EVO_OK);
    store_close(s);
}

int main(void)
{
    char cwd[512], cfgdir[700], run[] = "/tmp/evo_cli_export_XXXXXX";
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    snprintf(cfgdir, sizeof cfgdir, "%s/configs", cwd);
    CHECK(mkdtemp(run) != NULL);
    write_run(run, cfgdir, "../kernels/gdn_decode");
    char out[700];
    snprintf(out, sizeof out, "%s/fib", run);

    /* No export before `evo validate` has passed the candidate (unless told). */
    CHECK(RUN("export", run, "--flashinfer-bench", out, "--hardware", "NVIDIA_H100") == EXIT_ERROR);
    CHECK_CONTAINS(err_text, "candidate 1: it has not been validated; run `evo validate");
    CHECK_CONTAINS(err_text, "or pass --unvalidated");
    save_validation(run, 1, "INCORRECT_NUMERICAL");
    CHECK(RUN("export", run, "--flashinfer-bench", out, "--hardware", "NVIDIA_H100") == EXIT_ERROR);
    CHECK_CONTAINS(err_text, "its validation ended INCORRECT_NUMERICAL: workload x: wrong");
    save_validation(run, 1, "PASSED");
    CHECK(RUN("export", run, "--flashinfer-bench", out, "--hardware", "NVIDIA_H100") == EXIT_OK);
    CHECK_CONTAINS(out_text, "exported candidate 1 as evo_gdn_decode_tuned_c1");
    CHECK_CONTAINS(out_text, "and 2 trace lines in");
    char path[1024], err[512];
    snprintf(path, sizeof path,
             "%s/solutions/evo/gdn/gdn_decode_qk4_v8_d128_k_last/"
             "evo_gdn_decode_tuned_c1.json",
             out);
    json_error_t je;
    json_t *sol = json_load_file(path, 0, &je);
    CHECK_MSG(sol && export_check_solution(sol, err, sizeof err) == 0, "%s %s", je.text, err);
    const char *k = json_string_value(
        json_object_get(json_array_get(json_object_get(sol, "sources"), 0), "content"));
    CHECK_CONTAINS(k, "#define RPW 8");
    CHECK_CONTAINS(k, "#define WARPS 2");
    json_decref(sol);
    snprintf(path, sizeof path, "%s/traces/evo/gdn/gdn_decode_qk4_v8_d128_k_last.jsonl", out);
    CHECK(count_valid_lines(path, "PASSED") == 2);

    /* The failed candidate by id, with the task named on the command line. */
    CHECK(RUN("export", run, "--flashinfer-bench", out, "--candidate", "2", "--task",
              "kernels/gdn_decode", "--unvalidated") == EXIT_OK);
    CHECK(count_valid_lines(path, "INCORRECT_NUMERICAL") == 1);

    /* Bad usage and bad references, each with its message. */
    CHECK(RUN("export", run) == EXIT_USAGE);
    CHECK_CONTAINS(err_text, "evo export: missing --flashinfer-bench OUT_DIR");
    CHECK(RUN("export", "--flashinfer-bench", out) == EXIT_USAGE);
    CHECK_CONTAINS(err_text, "evo export: missing run directory DIR");
    CHECK(RUN("export", run, "--flashinfer-bench") == EXIT_USAGE);
    CHECK_CONTAINS(err_text, "evo export: --flashinfer-bench needs a value");
    CHECK(RUN("export", run, "--flashinfer-bench", out, "--candidate", "x7") == EXIT_USAGE);
    CHECK_CONTAINS(err_text, "evo export: --candidate: 'x7' is not a candidate id");
    CHECK(RUN("export", run, "--flashinfer-bench", out, "--frobnicate") == EXIT_USAGE);
    CHECK_CONTAINS(err_text, "evo export: unknown option '--frobnicate'");
    CHECK(RUN("export", run, "extra", "--flashinfer-bench", out) == EXIT_USAGE);
    CHECK_CONTAINS(err_text, "evo export: unexpected argument 'extra'");
    /* A candidate the run does not hold is a bad argument, refused before any work. */
    CHECK(RUN("export", run, "--flashinfer-bench", out, "--candidate", "9") == EXIT_USAGE);
    CHECK_CONTAINS(err_text, "evo export: --candidate: #9 does not exist");
    CHECK_CONTAINS(err_text, "holds #1 to #2");
    CHECK(RUN("export", run, "--flashinfer-bench", out, "--task", "/nonexistent-task") ==
          EXIT_ERROR);
    CHECK_CONTAINS(err_text, "evo export: --task: /nonexistent-task/task.json");
    CHECK(RUN("export", "/nonexistent-run", "--flashinfer-bench", out) != EXIT_OK);
    CHECK_CONTAINS(err_text, "evo export: ");

    /* A stored config whose task no longer resolves. */
    char run2[] = "/tmp/evo_cli_export_XXXXXX";
    CHECK(mkdtemp(run2) != NULL);
    write_run(run2, cfgdir, "../kernels/no_such_task");
    CHECK(RUN("export", run2, "--flashinfer-bench", out) == EXIT_ERROR);
    CHECK_CONTAINS(err_text, "kernels/no_such_task/task.json");
    CHECK_CONTAINS(err_text, "(from the run's config; pass --task DIR to override)");

    char cmd[1600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", run, run2);
    CHECK(system(cmd) == 0);
    return CHECK_DONE();
}
