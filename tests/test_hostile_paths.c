/* test_hostile_paths.c -- paths from data stay inside the folder they belong to, or are
 * refused with the file and key named (issue 18, item 4; the rule is evo/base/safe_path.h):
 *   - task.json's definition, workloads, seed and baseline files: no absolute path, no "..";
 *     a seed's template name is plain; symbolic links inside a task folder are followed;
 *   - a definition's name and op_type are plain (they become export folders);
 *   - blob paths: relative, no "..", and by real path inside the dataset root and a regular
 *     file (a link to /etc/passwd or /dev/zero is refused), whatever the blob policy;
 *   - export writes nothing outside OUT_DIR whatever the names it is handed;
 *   - a config's name, evaluator.definition and evaluator.seeds are plain names, refused at
 *     validation with the key named; `evo run` makes no folder outside runs/;
 *   - `evo status` shows control characters from a store as \xHH, never raw.
 * Each escape route is one hostile case; the suite prints how many it tried. */
#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../evo/cli/cli_view.c"
#include "capture.h"
#include "check.h"
#include "config.h"
#include "export.h"
#include "file_text.h"
#include "scratch.h"
#include "store.h"
#include "store_format.h"
#include "task.h"

static int hostile;   /* escape routes tried */
static const char *S; /* the scratch folder */
static char *RMS_DEF; /* kernels/rmsnorm/definition.json */

static void put(const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", S, rel);
    for (char *p = path + strlen(S) + 1; (p = strchr(p, '/')); p++) {
        *p = 0;
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    CHECK_MSG(f != NULL, "cannot write %s", path);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void link_to(const char *target, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", S, rel);
    unlink(path);
    CHECK_MSG(symlink(target, path) == 0, "symlink %s: %s", path, strerror(errno));
}

/* The RMSNorm definition with key set to value (a JSON text). Caller frees. */
static char *rms_def_with(const char *key, const char *value)
{
    json_t *d = json_loads(RMS_DEF, 0, NULL);
    json_object_set_new(d, key, json_loads(value, JSON_DECODE_ANY, NULL));
    char *s = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    return s;
}

/* One workload of rmsnorm_h4096 whose weight is the blob at path (a JSON string's body). */
static char *wl_with_blob(const char *path)
{
    char *s = NULL;
    if (asprintf(&s,
                 "{\"definition\": \"rmsnorm_h4096\", \"workload\": {\"uuid\": \"u1\", \"axes\": "
                 "{\"batch_size\": 1}, \"inputs\": {\"hidden_states\": {\"type\": \"random\"}, "
                 "\"weight\": {\"type\": \"safetensors\", \"path\": \"%s\", \"tensor_key\": "
                 "\"weight\"}}}}\n",
                 path) < 0)
        return NULL;
    return s;
}

static const char *WL_PLAIN =
    "{\"definition\": \"rmsnorm_h4096\", \"workload\": {\"uuid\": \"u1\", \"axes\": "
    "{\"batch_size\": 1}, \"inputs\": {\"hidden_states\": {\"type\": \"random\"}, "
    "\"weight\": {\"type\": \"random\"}}}}\n";

/* A task folder t/ with a plain definition, workloads and seed, and the task.json given;
 * returns the loader's error ("" when it loaded). */
static const char *load_task_json(const char *task_json)
{
    static char err[2048];
    put("t/definition.json", RMS_DEF);
    put("t/workloads.jsonl", WL_PLAIN);
    put("t/s.cu", "/* seed */\n");
    put("t/task.json", task_json);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/t", S);
    evo_task *t = NULL;
    err[0] = 0;
    if (task_load_dir(dir, &t, err, sizeof err) == 0) {
        task_free(t);
        return "";
    }
    return err;
}

#define TASK_JSON(defn, wl, seeds, extra)                                                          \
    "{\"definition\": \"" defn "\", \"workloads\": \"" wl "\", \"reference\": \"rmsnorm\", "       \
    "\"seeds\": " seeds extra "}"

static void expect_refused(const char *got, const char *want, const char *what)
{
    hostile++;
    CHECK_MSG(got[0] != 0, "%s: accepted", what);
    CHECK_MSG(strstr(got, want) != NULL, "%s: got \"%s\", want \"%s\"", what, got, want);
}

static void test_task_json_paths(void)
{
    /* A task next door whose files the hostile task.json reaches for. */
    put("outside/definition.json", RMS_DEF);
    put("outside/workloads.jsonl", WL_PLAIN);
    put("outside/s.cu", "/* secret */\n");
    put("outside/abs.cu", "/* secret */\n");
    put("t/sub/.keep", ""); /* so that sub/../../outside resolves */
    char abs[1200], text[2600];
    snprintf(abs, sizeof abs, "%s/outside/definition.json", S);

    CHECK_MSG(
        load_task_json(TASK_JSON("definition.json", "workloads.jsonl", "[\"s.cu\"]", ""))[0] == 0,
        "the plain task does not load: %s",
        load_task_json(TASK_JSON("definition.json", "workloads.jsonl", "[\"s.cu\"]", "")));
    expect_refused(
        load_task_json(
            TASK_JSON("../outside/definition.json", "workloads.jsonl", "[\"s.cu\"]", "")),
        "task.json: key 'definition': '../outside/definition.json' leaves the task folder",
        "definition ../");
    snprintf(text, sizeof text,
             "{\"definition\": \"%s\", \"workloads\": \"workloads.jsonl\", \"reference\": "
             "\"rmsnorm\", \"seeds\": [\"s.cu\"]}",
             abs);
    expect_refused(load_task_json(text), "task.json: key 'definition': '/", "definition absolute");
    expect_refused(
        load_task_json(
            TASK_JSON("definition.json", "../outside/workloads.jsonl", "[\"s.cu\"]", "")),
        "task.json: key 'workloads': '../outside/workloads.jsonl' leaves the task folder",
        "workloads ../");
    expect_refused(load_task_json(TASK_JSON("definition.json", "workloads.jsonl",
                                            "[\"../outside/s.cu\"]", "")),
                   "task.json: key 'seeds[0]': '../outside/s.cu' leaves the task folder",
                   "seed ../");
    snprintf(
        text, sizeof text,
        "{\"definition\": \"definition.json\", \"workloads\": \"workloads.jsonl\", "
        "\"reference\": \"rmsnorm\", \"seeds\": [\"s.cu\", {\"file\": \"%s/outside/abs.cu\"}]}",
        S);
    expect_refused(load_task_json(text), "task.json: key 'seeds[1].file': '/", "seed absolute");
    expect_refused(load_task_json(TASK_JSON("definition.json", "workloads.jsonl",
                                            "[\"sub/../../outside/s.cu\"]", "")),
                   "key 'seeds[0]': 'sub/../../outside/s.cu' leaves the task folder",
                   "seed ../ in the middle");
    expect_refused(load_task_json(TASK_JSON("definition.json", "workloads.jsonl", "[\"s.cu\"]",
                                            ", \"baseline\": {\"kind\": \"kernel\", \"source\": "
                                            "\"../outside/s.cu\"}")),
                   "task.json: key 'baseline.source': '../outside/s.cu' leaves the task folder",
                   "baseline ../");
    /* A seed file inside the folder whose name would become a template name with an ANSI
     * escape in it (and later an export file name). */
    put("t/\x1b[31mred.cu", "/* seed */\n");
    expect_refused(load_task_json(TASK_JSON("definition.json", "workloads.jsonl",
                                            "[\"\\u001b[31mred.cu\"]", "")),
                   "key 'seeds[0]': template name '\\x1b[31mred' is not a plain name",
                   "seed template name");

    /* Links inside a task folder are followed (the rule is lexical for task files). */
    evo_task *t = NULL;
    char err[2048] = "";
    int rc = task_load_dir("tests/tasks/rmsnorm_loose", &t, err, sizeof err);
    CHECK_MSG(rc == 0, "tests/tasks/rmsnorm_loose (links to kernels/rmsnorm): %s", err);
    task_free(t);
}

static void test_definition_names(void)
{
    static const struct {
        const char *key, *value, *want;
    } cases[] = {
        {"name", "\"../../..\"", "key 'name': '../../..' is not a plain name"},
        {"name", "\"a/b\"", "key 'name': 'a/b' is not a plain name"},
        {"name", "\".hidden\"", "key 'name': '.hidden' is not a plain name"},
        {"name", "\"\\u001b[2Jx\"", "key 'name': '\\x1b[2Jx' is not a plain name"},
        {"op_type", "\"../../x\"", "key 'op_type': '../../x' is not a plain name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = rms_def_with(cases[i].key, cases[i].value);
        put("defs/d.json", text);
        free(text);
        char path[1024], err[1024] = "";
        snprintf(path, sizeof path, "%s/defs/d.json", S);
        task_definition d;
        int rc = task_load_definition(path, &d, err, sizeof err);
        if (rc == 0) task_definition_free(&d);
        expect_refused(rc ? err : "", cases[i].want, cases[i].value);
    }
    /* A dataset definition name is a file stem, never a path. */
    evo_task *t = NULL;
    char err[1024] = "";
    CHECK(task_from_flashinfer("../shared/flashinfer-trace", "..", &t, err, sizeof err) == -1);
    expect_refused(err, "'..' is not a definition name", "dataset definition ..");
}

/* A dataset ds/ with rmsnorm_h4096 whose one workload's weight is the blob at path: the error
 * of task_open with the policy ("" when it loaded). */
static const char *open_with_blob(const char *path, int policy)
{
    static char err[2048];
    put("ds/definitions/rmsnorm/rmsnorm_h4096.json", RMS_DEF);
    char *wl = wl_with_blob(path);
    put("ds/workloads/rmsnorm/rmsnorm_h4096.jsonl", wl ? wl : "");
    free(wl);
    char root[1024];
    snprintf(root, sizeof root, "%s/ds", S);
    evo_task *t = NULL;
    err[0] = 0;
    if (task_open(NULL, root, "rmsnorm_h4096", policy, &t, err, sizeof err) == 0) {
        task_free(t);
        return "";
    }
    return err;
}

static void test_blob_paths(void)
{
    put("ds/blob/good.safetensors", "not really a tensor file, but a regular one");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/ds/blobdir", S);
    mkdir(dir, 0755);
    link_to("/etc/passwd", "ds/blob/passwd.safetensors");
    link_to("/dev/zero", "ds/blob/zero.safetensors");
    link_to("../../outside", "ds/blob/out");

    for (int policy = 0; policy < 2; policy++) {
        const char *p = policy ? " (random policy)" : " (error policy)";
        char what[128];
        CHECK_MSG(open_with_blob("./blob/good.safetensors", policy)[0] == 0, "good blob%s: %s", p,
                  open_with_blob("./blob/good.safetensors", policy));
        snprintf(what, sizeof what, "../../../../etc/passwd%s", p);
        expect_refused(open_with_blob("../../../../../../../../etc/passwd", policy),
                       "input 'weight': key 'path': '../../../../../../../../etc/passwd' leaves "
                       "the dataset folder",
                       what);
        snprintf(what, sizeof what, "/etc/passwd%s", p);
        expect_refused(open_with_blob("/etc/passwd", policy),
                       "key 'path': '/etc/passwd' leaves the dataset folder", what);
        snprintf(what, sizeof what, "/dev/zero%s", p);
        expect_refused(open_with_blob("/dev/zero", policy),
                       "key 'path': '/dev/zero' leaves the dataset folder", what);
        snprintf(what, sizeof what, "a directory%s", p);
        expect_refused(open_with_blob("./blobdir", policy), "is not a regular file", what);
        snprintf(what, sizeof what, "a link to /etc/passwd%s", p);
        expect_refused(open_with_blob("./blob/passwd.safetensors", policy),
                       "blob './blob/passwd.safetensors' resolves to /etc/passwd, outside the "
                       "dataset folder",
                       what);
        snprintf(what, sizeof what, "a link to /dev/zero%s", p);
        expect_refused(open_with_blob("./blob/zero.safetensors", policy),
                       "resolves to /dev/zero, outside the dataset folder", what);
        snprintf(what, sizeof what, "a linked folder outside%s", p);
        expect_refused(open_with_blob("blob/out/s.cu", policy), "outside the dataset folder", what);
    }
    /* The same rule in a task folder (blobs relative to it). */
    put("t/blob/evil.safetensors", "x");
    link_to("/etc/passwd", "t/blob/evil.safetensors");
    char *wl = wl_with_blob("./blob/evil.safetensors");
    put("t/definition.json", RMS_DEF);
    put("t/s.cu", "/* seed */\n");
    put("t/workloads.jsonl", wl);
    free(wl);
    put("t/task.json", TASK_JSON("definition.json", "workloads.jsonl", "[\"s.cu\"]", ""));
    snprintf(dir, sizeof dir, "%s/t", S);
    evo_task *t = NULL;
    char err[2048] = "";
    int rc = task_load_dir(dir, &t, err, sizeof err);
    if (rc == 0) task_free(t);
    expect_refused(rc ? err : "", "resolves to /etc/passwd, outside the dataset folder",
                   "task folder blob link");
}

static void test_export_names(void)
{
    evo_task *t = NULL;
    char err[2048] = "";
    CHECK_MSG(task_load_dir("kernels/gdn_decode", &t, err, sizeof err) == 0, "%s", err);
    if (!t) return;
    char *src = file_read_text("kernels/gdn_decode/gdn_decode_tuned.cu", 0, NULL);
    json_t *rec = json_pack("{si ss ss s{} s{}}", "id", 7, "template", "gdn_decode_tuned", "status",
                            "PASSED", "params", "workloads");
    char out[1024], escaped[1024], x[1100];
    snprintf(out, sizeof out, "%s/x/out", S);
    snprintf(escaped, sizeof escaped, "%s/escaped", S);
    export_info info = {"evo_gdn_decode_tuned_c7", "evo", "H100",
                        "2026-12-04T00:00:00Z",    NULL,  EXPORT_BINDING_TVM_FFI};
    int n = 0;
    /* The plain export works, and lands under out. */
    CHECK_MSG(export_write(t, rec, src, &info, out, &n, err, sizeof err) == 0, "%s", err);
    char def_name[TASK_NAME], op_type[TASK_NAME];
    strcpy(def_name, t->def.name);
    strcpy(op_type, t->def.op_type);

    strcpy(t->def.name, "../../../../../escaped");
    err[0] = 0;
    int rc = export_write(t, rec, src, &info, out, &n, err, sizeof err);
    expect_refused(rc ? err : "", "definition name '../../../../../escaped' is not a plain name",
                   "export definition name");
    CHECK_MSG(access(escaped, F_OK) != 0, "%s was created outside OUT_DIR", escaped);
    strcpy(t->def.name, def_name);

    strcpy(t->def.op_type, "../../../../escaped");
    rc = export_write(t, rec, src, &info, out, &n, err, sizeof err);
    expect_refused(rc ? err : "", "definition op_type '../../../../escaped' is not a plain name",
                   "export op_type");
    CHECK_MSG(access(escaped, F_OK) != 0, "%s was created outside OUT_DIR", escaped);
    strcpy(t->def.op_type, op_type);

    info.name = "../../../../../../escaped";
    rc = export_write(t, rec, src, &info, out, &n, err, sizeof err);
    expect_refused(rc ? err : "", "solution name '../../../../../../escaped' is not a plain name",
                   "export solution name");
    snprintf(x, sizeof x, "%s.json", escaped);
    CHECK_MSG(access(x, F_OK) != 0, "%s was written outside OUT_DIR", x);
    info.name = "evo_x";
    info.author = "../../../escaped";
    rc = export_write(t, rec, src, &info, out, &n, err, sizeof err);
    expect_refused(rc ? err : "", "author '../../../escaped' is not a plain name", "export author");
    CHECK_MSG(access(escaped, F_OK) != 0, "%s was created outside OUT_DIR", escaped);
    json_decref(rec);
    free(src);
    task_free(t);
}

static void test_config_names(void)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"{\"name\": \"../../x\"}", "key 'name': expected a plain name"},
        {"{\"name\": \"\\u001b[31mred\"}", "key 'name': expected a plain name"},
        {"{\"name\": \".hidden\"}", "key 'name': expected a plain name"},
        {"{\"name\": \"a/b\"}", "key 'name': expected a plain name"},
        {"{\"evaluator\": {\"definition\": \"../../x\"}}",
         "key 'evaluator.definition': expected a plain name"},
        {"{\"evaluator\": {\"seeds\": [\"gemm_mma\", \"../x\"]}}",
         "key 'evaluator.seeds[1]': expected a plain name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        evo_config *cfg = NULL;
        char err[1024] = "";
        int rc = evo_config_parse(cases[i].text, "c.json", &cfg, err, sizeof err);
        evo_config_free(cfg);
        hostile++;
        CHECK_MSG(rc == EVO_ECONFIG, "%s: accepted", cases[i].text);
        CHECK_MSG(strstr(err, cases[i].want) && !strchr(err, '\x1b'), "%s: got \"%s\"",
                  cases[i].text, err);
    }
    evo_config *cfg = NULL;
    char err[1024] = "";
    CHECK_MSG(evo_config_parse("{\"name\": \"gemm-2026.12_a\", \"evaluator\": {\"definition\": "
                               "\"rmsnorm_h4096\"}}",
                               "c.json", &cfg, err, sizeof err) == EVO_OK,
              "a plain name is refused: %s", err);
    evo_config_free(cfg);

    /* evo run makes no folder outside runs/ for such a name. */
    put("run/c.json", "{\"name\": \"../../x\", \"evaluator\": {\"kind\": \"synthetic\"}, "
                      "\"stop\": {\"max_evaluations\": 1}}");
    char cmd[2048], x[1024];
    snprintf(cmd, sizeof cmd, "cd %s/run && %s/evo run c.json --quiet > out.txt 2>&1", S,
             EVO_BUILD_DIR);
    int status = system(cmd);
    hostile++;
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_CONFIG, "evo run: status %d",
              status);
    /* runs/../../x-<time> would be S/x-<time> */
    snprintf(x, sizeof x, "%s/x-*", S);
    glob_t gl;
    CHECK_MSG(glob(x, 0, NULL, &gl) == GLOB_NOMATCH, "evo run made %s", gl.gl_pathv[0]);
    globfree(&gl);
    snprintf(x, sizeof x, "%s/run/out.txt", S);
    char *said = file_read_text(x, 0, NULL);
    CHECK_CONTAINS(said, "c.json:1:10: key 'name': expected a plain name");
    free(said);
}

static char out_text[1 << 16], err_text[1 << 16];

/* evo status on a run whose stored name and seed template carry ANSI escapes (a run made
 * before names were checked, or by a program through evo.h). */
static void test_status_text(void)
{
    evo_config *cfg = NULL;
    char err[1024] = "";
    CHECK_MSG(evo_config_parse("{\"evaluator\": {\"kind\": \"synthetic\"}, \"stop\": "
                               "{\"max_evaluations\": 2}}",
                               "c.json", &cfg, err, sizeof err) == EVO_OK,
              "%s", err);
    if (!cfg) return;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/statusrun", S);
    evo_engine *e = NULL;
    int rc = evo_engine_open(&e, dir, cfg);
    evo_evaluator ev;
    const char *seed = NULL;
    if (rc == EVO_OK) rc = evo_evaluator_synthetic(cfg, &ev, &seed, err, sizeof err);
    if (rc == EVO_OK) rc = evo_engine_set_evaluator(e, &ev);
    if (rc == EVO_OK) rc = evo_engine_add_seed(e, "\x1b[2Jseed", seed);
    if (rc == EVO_OK) rc = evo_engine_run(e);
    CHECK_MSG(rc == EVO_OK, "%s", e ? evo_errmsg(e) : "no engine");
    evo_engine_close(e);
    evo_config_free(cfg);
    /* The engine refuses such a name now (its config is validated); a store written before
     * that, or by another program, may still hold one. */
    evo_store *st = NULL;
    evo_txn *txn = NULL;
    CHECK_MSG(store_open(&st, dir, STORE_EXISTING, "full", err, sizeof err) == EVO_OK, "%s", err);
    if (st && store_begin(st, 1, &txn) == EVO_OK) {
        json_t *run = json_pack("{ss ss ss ss}", "name", "\x1b[31mred\x1b]0;title\x07", "created",
                                "2026-12-04T00:00:00Z", "evo_version", "0.1.0", "seed", "1");
        CHECK(store_meta_put(txn, META_RUN, run) == EVO_OK);
        json_decref(run);
        CHECK(store_commit(txn) == EVO_OK);
    }
    store_close(st);
    const char *argv[] = {"status", dir};
    rc = capture_call(cli_status, 2, argv, out_text, sizeof out_text, err_text, sizeof err_text);
    CHECK(rc == EXIT_OK);
    hostile += 2;
    CHECK_MSG(!strchr(out_text, '\x1b') && !strchr(out_text, '\x07'),
              "evo status printed a raw control character");
    CHECK_CONTAINS(out_text, "name         \\x1b[31mred\\x1b]0;title\\x07 (created");
    CHECK_CONTAINS(out_text, "\\x1b[2Jseed");
}

int main(void)
{
    S = scratch_dir("hostile_paths");
    RMS_DEF = file_read_text("kernels/rmsnorm/definition.json", 0, NULL);
    CHECK_MSG(RMS_DEF != NULL, "run from the source tree (kernels/rmsnorm/definition.json)");
    if (!RMS_DEF) return CHECK_DONE();
    test_task_json_paths();
    test_definition_names();
    test_blob_paths();
    test_export_names();
    test_config_names();
    test_status_text();
    printf("hostile cases tried: %d\n", hostile);
    free(RMS_DEF);
    int rc = CHECK_DONE();
    scratch_remove();
    return rc;
}
