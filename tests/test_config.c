/* test_config.c -- the run configuration: defaults, round trips, lookups, path resolution,
 * every malformed config in tests/configs/bad/ (each NAME.json beside NAME.expected, the exact
 * error), and the key table in configs/README.md against the schema.
 *
 * Run from the repository root. `test_config --update-readme` rewrites the generated table
 * in configs/README.md after a schema change. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "config_schema.h"
#include "file_text.h"

#define BAD_DIR "tests/configs/bad"
#define README "configs/README.md"
#define BEGIN_MARK                                                                                 \
    "<!-- BEGIN KEYS: generated from the schema by `test_config --update-readme` -->\n"
#define END_MARK "<!-- END KEYS -->\n"

static evo_config *parse_ok(const char *text)
{
    evo_config *cfg = NULL;
    char err[1024];
    int rc = evo_config_parse(text, "test", &cfg, err, sizeof err);
    CHECK_MSG(rc == EVO_OK, "parse of %s failed: %s", text, err);
    return cfg;
}

static void check_parse_error(const char *text, const char *expected)
{
    evo_config *cfg = NULL;
    char err[1024] = "";
    int rc = evo_config_parse(text, "inline", &cfg, err, sizeof err);
    CHECK_MSG(rc == EVO_ECONFIG && cfg == NULL, "rc %d for %s", rc, text);
    CHECK_MSG(strcmp(err, expected) == 0, "got '%s', expected '%s'", err, expected);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_json(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

static void check_bad_file(const char *name)
{
    char path[512], exp_path[512];
    snprintf(path, sizeof path, "%s/%s", BAD_DIR, name);
    snprintf(exp_path, sizeof exp_path, "%s/%.*s.expected", BAD_DIR, (int)strlen(name) - 5, name);
    char *expected = file_read_text(exp_path, 0, NULL);
    CHECK_MSG(expected != NULL, "%s is missing", exp_path);
    if (!expected) return;
    size_t n = strlen(expected);
    while (n && expected[n - 1] == '\n')
        expected[--n] = 0;
    evo_config *cfg = NULL;
    char err[1024] = "";
    int rc = evo_config_load(path, &cfg, err, sizeof err);
    CHECK_MSG(rc == EVO_ECONFIG && cfg == NULL, "%s: rc %d", path, rc);
    CHECK_MSG(strcmp(err, expected) == 0, "%s:\n  got      %s\n  expected %s", path, err, expected);
    evo_config_free(cfg);
    free(expected);
}

static void test_bad_configs(void)
{
    struct dirent **list;
    int n = scandir(BAD_DIR, &list, is_json, by_name);
    CHECK_MSG(n >= 25, "%s holds %d bad configs, want at least 25", BAD_DIR, n);
    for (int i = 0; i < n; i++) {
        check_bad_file(list[i]->d_name);
        free(list[i]);
    }
    if (n >= 0) free(list);
}

static void test_defaults(void)
{
    evo_config *cfg = parse_ok("{}");
    if (!cfg) return;
    CHECK(strcmp(cfg->name, "run") == 0);
    CHECK(cfg->seed == 1);
    CHECK(cfg->concurrency == 1);
    CHECK(cfg->islands == 3 && cfg->population == 100);
    CHECK(cfg->nfeatures == 2);
    CHECK(cfg->features[0].kind == FEATURE_TEMPLATE && cfg->features[0].bins == 8);
    CHECK(cfg->features[1].kind == FEATURE_HASH && cfg->features[1].bins == 16);
    CHECK(cfg->features[1].min == 0.0 && cfg->features[1].max == 1.0);
    CHECK(cfg->migration_interval == 10 && cfg->migration_rate == 0.2);
    CHECK(strcmp(cfg->migration_topology, "ring") == 0);
    CHECK(cfg->temperature == 1.0 && cfg->explore_rate == 0.2 && cfg->explore_max == 0.8);
    CHECK(cfg->explore_growth == 2.0 && cfg->stagnation_window == 20);
    CHECK(cfg->elite_ratio == 0.3 && cfg->global_mix == 0.3);
    CHECK(cfg->weight_decay == 0.8 && cfg->weight_boost == 1.5 && cfg->min_weight == 0.05);
    CHECK(cfg->inspirations == 3 && cfg->archive_size == 50);
    CHECK(cfg->noperators == 5);
    CHECK(strcmp(cfg->bandit_policy, "ucb") == 0);
    CHECK(cfg->bandit_c == 0.5 && cfg->bandit_discount == 0.98);
    CHECK(cfg->max_repairs == 2 && cfg->multi_max == 3 && cfg->resample_prob == 0.2);
    CHECK(cfg->max_tries == 64 && cfg->improve_epsilon == 0.005);
    CHECK(cfg->max_evaluations == 500 && cfg->max_wall_seconds == 0);
    CHECK(cfg->target_fitness == 0 && cfg->stagnation_patience == 0);
    CHECK(strcmp(cfg->store_sync, "meta") == 0 && cfg->progress_interval == 10);
    CHECK(cfg->nconstants == 0);
    CHECK(strcmp(evo_config_path(cfg), "") == 0 && strcmp(cfg->dir, ".") == 0);
    CHECK(strcmp(config_get_string(cfg, "evaluator.kind", NULL), "gpu") == 0);
    CHECK(strcmp(config_get_string(cfg, "evaluator.task", NULL), "kernels/gemm") == 0);
    CHECK(config_get_int(cfg, "evaluator.trials", -1) == 3);
    CHECK(config_get_int(cfg, "evaluator.iterations", -1) == 50);
    CHECK(config_get_int(cfg, "evaluator.devices[0]", -1) == 0);
    CHECK(json_array_size(config_get(cfg, "evaluator.workloads")) == 0);
    CHECK(config_get_int(cfg, "evaluator.synthetic.dims", -1) == 4);
    CHECK(json_is_object(config_get(cfg, "evaluator.options")));
    CHECK(strcmp(config_get_string(cfg, "llm.policy", NULL), "block") == 0);
    CHECK(config_get_int(cfg, "llm.max_reply_bytes", -1) == 1048576);
    CHECK(json_array_size(config_get(cfg, "llm.models")) == 0);
    CHECK_CONTAINS(evo_config_json(cfg), "\"seed\":1,");
    CHECK_CONTAINS(evo_config_json(cfg), "\"migration\":{\"interval\":10,\"rate\":0.2,");
    evo_config_free(cfg);
}

static void test_values(void)
{
    evo_config *cfg = parse_ok(
        "{\"seed\": 9223372036854775807, \"selection\": {\"temperature\": 2},"
        " \"islands\": {\"features\": [{\"kind\": \"metric\", \"name\": \"gbps\", \"bins\": 4,"
        " \"max\": 3000}, {\"kind\": \"param\", \"name\": \"BM\"}]},"
        " \"operators\": {\"llm\": 2, \"my-op\": 0.25},"
        " \"constants\": {\"SMEM_LIMIT\": 101376, \"WARP\": 32},"
        " \"llm\": {\"models\": [{\"name\": \"a\", \"base_url\": \"http://localhost:8000/v1\","
        " \"model\": \"qwen\", \"api_key_env\": \"MY_KEY\"}]}}");
    if (!cfg) return;
    CHECK(cfg->seed == 9223372036854775807ULL);
    CHECK(cfg->temperature == 2.0);
    CHECK(json_is_real(config_get(cfg, "selection.temperature")));
    CHECK(cfg->nfeatures == 2 && cfg->features[0].kind == FEATURE_METRIC);
    CHECK(strcmp(cfg->features[0].name, "gbps") == 0 && cfg->features[0].max == 3000);
    CHECK(cfg->features[1].kind == FEATURE_PARAM && strcmp(cfg->features[1].name, "BM") == 0);
    CHECK(cfg->features[1].bins == 8);
    /* Listed weights replace the defaults; the other defaults stay; sorted by name. */
    CHECK(cfg->noperators == 6);
    CHECK(strcmp(cfg->operators[0].name, "crossover") == 0);
    CHECK(config_operator_weight(cfg, "llm") == 2.0);
    CHECK(config_operator_weight(cfg, "my-op") == 0.25);
    CHECK(config_operator_weight(cfg, "restart") == 0.2);
    CHECK(config_operator_weight(cfg, "unlisted") == 1.0);
    CHECK(cfg->nconstants == 2);
    CHECK(strcmp(cfg->constant_names[0], "SMEM_LIMIT") == 0 && cfg->constant_values[0] == 101376);
    CHECK(strcmp(cfg->constant_names[1], "WARP") == 0 && cfg->constant_values[1] == 32);
    CHECK(strcmp(config_get_string(cfg, "llm.models[0].api_key_env", NULL), "MY_KEY") == 0);
    CHECK(config_get_double(cfg, "llm.models[0].temperature", -1) == 0.7);
    CHECK(config_get_int(cfg, "llm.models[0].max_tokens", -1) == 4096);
    CHECK(config_get(cfg, "llm.models[1]") == NULL);
    CHECK(config_get(cfg, "no.such.key") == NULL);
    CHECK(strcmp(config_get_string(cfg, "no.such", "fb"), "fb") == 0);
    CHECK(config_get_int(cfg, "name", 7) == 7);
    CHECK(config_get_bool(cfg, "name", 1) == 1);
    CHECK(config_get_double(cfg, "seed", 0) > 9e18);
    evo_config_free(cfg);

    cfg = parse_ok("{}");
    if (cfg) {
        CHECK(config_operator_weight(cfg, "llm") == 0.0);
        CHECK(config_operator_weight(cfg, "point") == 1.0);
        CHECK(config_operator_weight(cfg, "crossover") == 0.5);
        evo_config_free(cfg);
    }
}

static void test_roundtrip(const char *path)
{
    evo_config *a = NULL, *b = NULL;
    char err[1024] = "";
    int rc = evo_config_load(path, &a, err, sizeof err);
    CHECK_MSG(rc == EVO_OK, "%s: %s", path, err);
    if (rc != EVO_OK) return;
    rc = evo_config_parse(evo_config_json(a), "dump", &b, err, sizeof err);
    CHECK_MSG(rc == EVO_OK, "reparse of %s: %s", path, err);
    if (b) {
        CHECK_MSG(strcmp(evo_config_json(a), evo_config_json(b)) == 0, "%s\n%s", evo_config_json(a),
                  evo_config_json(b));
        CHECK(a->seed == b->seed && a->temperature == b->temperature);
        CHECK(a->noperators == b->noperators && a->nfeatures == b->nfeatures);
    }
    CHECK(strcmp(evo_config_path(a), path) == 0);
    evo_config_free(a);
    evo_config_free(b);
}

static void test_full_config(void)
{
    test_roundtrip("tests/configs/good/full.json");
    evo_config *cfg = NULL;
    char err[1024] = "";
    if (evo_config_load("tests/configs/good/full.json", &cfg, err, sizeof err) != EVO_OK) return;
    CHECK(strcmp(cfg->name, "gemm-full") == 0 && cfg->seed == 42 && cfg->concurrency == 2);
    CHECK(cfg->nfeatures == 3 && cfg->features[2].kind == FEATURE_SOURCE_LENGTH);
    CHECK(strcmp(cfg->migration_topology, "full") == 0);
    CHECK(strcmp(cfg->store_sync, "full") == 0 && cfg->bandit_discount == 1.0);
    CHECK(strcmp(cfg->dir, "tests/configs/good") == 0);
    CHECK(config_get_int(cfg, "evaluator.devices[1]", -1) == 1);
    CHECK(strcmp(config_get_string(cfg, "llm.models[1].name", ""), "local") == 0);
    CHECK(config_get_bool(cfg, "evaluator.options.verbose", 0) == 1);
    evo_config_free(cfg);
}

/* configs/default.json spells out every default, so it must equal {}. */
static void test_default_json(void)
{
    test_roundtrip("configs/default.json");
    evo_config *a = NULL, *b = parse_ok("{}");
    char err[1024] = "";
    int rc = evo_config_load("configs/default.json", &a, err, sizeof err);
    CHECK_MSG(rc == EVO_OK, "%s", err);
    if (a && b)
        CHECK_MSG(strcmp(evo_config_json(a), evo_config_json(b)) == 0,
                  "configs/default.json differs from the defaults:\n%s\n%s", evo_config_json(a),
                  evo_config_json(b));
    if (a) CHECK(strcmp(a->dir, "configs") == 0);
    evo_config_free(a);
    evo_config_free(b);
}

static void test_inline_errors(void)
{
    check_parse_error("{\"seed\": \"x\"}",
                      "inline:1:10: key 'seed': expected an integer >= 0, found \"x\"");
    check_parse_error("{\n\t\"islands\": {\"count\": 0}}",
                      "inline:2:23: key 'islands.count': expected an integer in [1, 64], found 0");
    check_parse_error("{\"selection\": {\"temperature\": \"hot\"}}",
                      "inline:1:31: key 'selection.temperature': expected a number > 0, found "
                      "\"hot\"");
    check_parse_error("{\"islands\": {\"populaton\": 1}}",
                      "inline:1:14: unknown key 'islands.populaton' (did you mean "
                      "'islands.population'?)");
    check_parse_error("{\"name\": \""
                      "0123456789012345678901234567890123456789012345678901234"
                      "\", \"seed\": 1, \"seed\": 2}",
                      "inline:1:80: duplicate key 'seed' (first at 1:69)");
    /* The name defaults when NULL; a long found value is cut. */
    evo_config *cfg = NULL;
    char err[256];
    CHECK(evo_config_parse(
              "{\"archive\": {\"size\": \"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\"}}",
              NULL, &cfg, err, sizeof err) == EVO_ECONFIG);
    CHECK_MSG(strcmp(err, "<config>:1:22: key 'archive.size': expected an integer in [1, 100000], "
                          "found \"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq...\"") == 0,
              "%s", err);
    /* A tiny buffer is truncated, never overrun; NULL err is allowed. */
    char tiny[8];
    CHECK(evo_config_parse("{\"x\": 1}", "n", &cfg, tiny, sizeof tiny) == EVO_ECONFIG);
    CHECK(strlen(tiny) == 7);
    CHECK(evo_config_parse("{\"x\": 1}", "n", &cfg, NULL, 0) == EVO_ECONFIG);
    CHECK(evo_config_parse("[", "n", &cfg, NULL, 0) == EVO_ECONFIG);
}

static void test_unreadable(void)
{
    evo_config *cfg = (evo_config *)1;
    char err[512] = "";
    int rc = evo_config_load("tests/configs/bad/no_such_file.json", &cfg, err, sizeof err);
    CHECK(rc == EVO_EIO && cfg == NULL);
    CHECK_MSG(strcmp(err, "tests/configs/bad/no_such_file.json: cannot read: No such file or "
                          "directory") == 0,
              "%s", err);
    rc = evo_config_load("tests/configs", &cfg, err, sizeof err);
    CHECK(rc == EVO_EIO);
    CHECK_MSG(strcmp(err, "tests/configs: cannot read: Is a directory") == 0, "%s", err);
}

static void test_resolve(void)
{
    evo_config *cfg = NULL;
    char err[512] = "";
    if (evo_config_load("tests/configs/good/full.json", &cfg, err, sizeof err) != EVO_OK) return;
    char *p = config_resolve_path(cfg, "kernels/gemm");
    CHECK(p && strcmp(p, "tests/configs/good/kernels/gemm") == 0);
    free(p);
    p = config_resolve_path(cfg, "/abs/path");
    CHECK(p && strcmp(p, "/abs/path") == 0);
    free(p);
    const char *home = getenv("HOME");
    p = config_resolve_path(cfg, "~/cache");
    if (home && *home) {
        char want[512];
        snprintf(want, sizeof want, "%s/cache", home);
        CHECK_MSG(p && strcmp(p, want) == 0, "%s", p ? p : "(null)");
    }
    free(p);
    p = config_resolve_path(cfg, "");
    CHECK(p && strcmp(p, "") == 0);
    free(p);
    evo_config_free(cfg);
    cfg = parse_ok("{}");
    if (!cfg) return;
    p = config_resolve_path(cfg, "a/b");
    CHECK(p && strcmp(p, "./a/b") == 0);
    free(p);
    evo_config_free(cfg);
}

/* Every key is documented, has a valid default, and the schema's own lookups agree. */
static void test_schema(void)
{
    int n = config_schema_count();
    CHECK(n > 80);
    for (int i = 0; i < n; i++) {
        const config_key *k = config_schema_at(i);
        CHECK_MSG(k->doc && *k->doc, "%s has no doc", k->path);
        CHECK_MSG(config_schema_find(k->path) == k, "%s is listed twice", k->path);
        if (k->def) {
            json_t *d = json_loads(k->def, JSON_DECODE_ANY, NULL);
            CHECK_MSG(d != NULL, "default of %s is not JSON: %s", k->path, k->def);
            json_decref(d);
        }
    }
    CHECK(config_schema_at(n) == NULL && config_schema_at(-1) == NULL);
    CHECK(config_schema_has_children("islands") && !config_schema_has_children("seed"));
}

static char *readme_table(const char *readme)
{
    const char *b = strstr(readme, BEGIN_MARK), *e = strstr(readme, END_MARK);
    if (!b || !e || e < b) return NULL;
    b += strlen(BEGIN_MARK);
    return strndup(b, (size_t)(e - b));
}

static void test_readme(void)
{
    char *readme = file_read_text(README, 0, NULL), *table = config_schema_markdown();
    CHECK_MSG(readme != NULL, "cannot read %s", README);
    char *have = readme ? readme_table(readme) : NULL;
    CHECK_MSG(have != NULL, "%s lacks the generated key table markers", README);
    if (have && table)
        CHECK_MSG(strcmp(have, table) == 0,
                  "%s is out of date with the schema: run "
                  "`build/tests/test_config --update-readme` from the repository root",
                  README);
    free(have);
    free(table);
    free(readme);
}

static int update_readme(void)
{
    char *readme = file_read_text(README, 0, NULL), *table = config_schema_markdown();
    const char *b = readme ? strstr(readme, BEGIN_MARK) : NULL;
    const char *e = readme ? strstr(readme, END_MARK) : NULL;
    if (!b || !e || !table) {
        fprintf(stderr, "%s: missing or lacks the key table markers\n", README);
        return 1;
    }
    FILE *f = fopen(README, "wb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", README, strerror(errno));
        return 1;
    }
    fwrite(readme, 1, (size_t)(b - readme) + strlen(BEGIN_MARK), f);
    fputs(table, f);
    fputs(e, f);
    fclose(f);
    printf("updated %s\n", README);
    free(readme);
    free(table);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--update-readme") == 0) return update_readme();
    test_defaults();
    test_values();
    test_full_config();
    test_default_json();
    test_inline_errors();
    test_unreadable();
    test_resolve();
    test_schema();
    test_bad_configs();
    test_readme();
    return CHECK_DONE();
}
