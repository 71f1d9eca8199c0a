/* config.c -- loading a run configuration: read, parse, validate, fill defaults, and expose
 * it as struct evo_config plus the defaulted JSON tree (see config.h and evo.h).
 *
 * The steps: the text is measured against the limits of a config (json_limits.h: 1 MiB, 32
 * levels, 10,000 values); jansson parses it (syntax errors carry its line:column); config_pos scans
 * the same text for the position of every key and value (and finds duplicate keys);
 * config_validate checks the user's tree against the schema; defaults from the schema fill
 * in what is absent; config_check_rules checks rules across keys. The filled tree is dumped
 * with sorted keys and parsed back, so `root` has the same member order whether it came from
 * the user's file or from a stored dump on resume. */
#include "config.h"
#include "errbuf.h"
#include "file_text.h"
#include "json_limits.h"
#include "section.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_schema.h"
#include "config_validate.h"

/* 15 significant digits print 0.2 as 0.2 and reparse to the same double for any value a
 * person writes; the dump of a parsed dump is identical. */
#define CONFIG_DUMP_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15))

/* ---- defaults ----------------------------------------------------------------------- */

static int fill_object(json_t *obj, const char *spath);

/* Integers given for number keys become reals, so readers see one type. */
static void to_real(json_t *obj, const char *key, json_t *v)
{
    if (json_is_integer(v)) json_object_set_new(obj, key, json_real((double)json_integer_value(v)));
}

static int fill_map(const config_key *k, json_t *map)
{
    json_t *def = json_loads(k->def ? k->def : "{}", 0, NULL);
    if (!def) return EVO_ENOMEM;
    const char *key;
    json_t *v;
    json_object_foreach(def, key,
                        v) if (!json_object_get(map, key) && json_object_set(map, key, v) != 0)
    {
        json_decref(def);
        return EVO_ENOMEM;
    }
    json_decref(def);
    char spath[256];
    snprintf(spath, sizeof spath, "%s.*", k->path);
    const config_key *vk = config_schema_find(spath);
    if (vk && vk->type == CT_NUMBER) json_object_foreach(map, key, v) to_real(map, key, v);
    return EVO_OK;
}

static int fill_key(json_t *obj, const char *name, const config_key *k)
{
    json_t *v = json_object_get(obj, name);
    if (!v && k->def) {
        if (json_object_set_new(obj, name, json_loads(k->def, JSON_DECODE_ANY, NULL)) != 0)
            return EVO_ENOMEM;
        v = json_object_get(obj, name);
    }
    if (!v) return EVO_OK;
    if (k->type == CT_NUMBER) to_real(obj, name, v);
    if (k->type == CT_MAP) return fill_map(k, v);
    if (k->type != CT_OBJECTS) return EVO_OK;
    char selem[256];
    snprintf(selem, sizeof selem, "%s[]", k->path);
    for (size_t i = 0; i < json_array_size(v); i++)
        if (fill_object(json_array_get(v, i), selem) != EVO_OK) return EVO_ENOMEM;
    return EVO_OK;
}

/* The direct child of spath named by schema path p, into out (0 if p is not below spath). */
static int direct_child(const char *spath, const char *p, char *out, size_t len)
{
    size_t n = strlen(spath);
    if (n && (strncmp(p, spath, n) != 0 || p[n] != '.')) return 0;
    p += n ? n + 1 : 0;
    size_t m = strcspn(p, ".[");
    if (m == 0 || m >= len || (m == 1 && *p == '*')) return 0;
    memcpy(out, p, m);
    out[m] = 0;
    return 1;
}

static int seen_before(const char *spath, int upto, const char *name)
{
    char other[64];
    for (int j = 0; j < upto; j++)
        if (direct_child(spath, config_schema_at(j)->path, other, sizeof other) &&
            strcmp(other, name) == 0)
            return 1;
    return 0;
}

static int fill_object(json_t *obj, const char *spath)
{
    char name[64], child[256];
    int n = config_schema_count();
    for (int i = 0; i < n; i++) {
        if (!direct_child(spath, config_schema_at(i)->path, name, sizeof name) ||
            seen_before(spath, i, name))
            continue;
        snprintf(child, sizeof child, "%s%s%s", spath, *spath ? "." : "", name);
        const config_key *k = config_schema_find(child);
        if (k) {
            if (fill_key(obj, name, k) != EVO_OK) return EVO_ENOMEM;
            continue;
        }
        json_t *section = json_object_get(obj, name);
        if (!section) {
            if (json_object_set_new(obj, name, json_object()) != 0) return EVO_ENOMEM;
            section = json_object_get(obj, name);
        }
        if (fill_object(section, child) != EVO_OK) return EVO_ENOMEM;
    }
    return EVO_OK;
}

/* ---- the struct --------------------------------------------------------------------- */

static void copy_str(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static evo_feature_kind feature_kind(const char *s)
{
    static const char *const names[] = {"template", "param", "metric", "source_length", "hash"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) return (evo_feature_kind)i;
    return FEATURE_TEMPLATE;
}

static void read_features(evo_config *cfg)
{
    json_t *arr = config_get(cfg, "islands.features");
    cfg->nfeatures = 0;
    for (size_t i = 0; i < json_array_size(arr) && i < EVO_MAX_FEATURES; i++) {
        json_t *f = json_array_get(arr, i);
        evo_feature_cfg *out = &cfg->features[cfg->nfeatures++];
        out->kind = feature_kind(json_string_value(json_object_get(f, "kind")));
        copy_str(out->name, sizeof out->name, json_string_value(json_object_get(f, "name")));
        out->bins = (int)json_integer_value(json_object_get(f, "bins"));
        out->min = json_number_value(json_object_get(f, "min"));
        out->max = json_number_value(json_object_get(f, "max"));
    }
}

static int read_maps(evo_config *cfg)
{
    const char *key;
    json_t *v;
    cfg->noperators = 0;
    json_object_foreach(config_get(cfg, "operators"), key, v)
    {
        if (cfg->noperators == (int)(sizeof cfg->operators / sizeof cfg->operators[0])) break;
        evo_operator_weight *w = &cfg->operators[cfg->noperators++];
        copy_str(w->name, sizeof w->name, key);
        w->weight = json_number_value(v);
    }
    json_t *consts = config_get(cfg, "constants");
    size_t n = json_object_size(consts);
    cfg->constant_names = calloc(n ? n : 1, sizeof *cfg->constant_names);
    cfg->constant_values = calloc(n ? n : 1, sizeof *cfg->constant_values);
    if (!cfg->constant_names || !cfg->constant_values) return EVO_ENOMEM;
    cfg->nconstants = 0;
    json_object_foreach(consts, key, v)
    {
        copy_str(cfg->constant_names[cfg->nconstants], 64, key);
        cfg->constant_values[cfg->nconstants++] = json_integer_value(v);
    }
    return EVO_OK;
}

/* The loader filled in every default from the schema, so every key is there: no fallbacks. */
static int read_struct(evo_config *cfg)
{
    const json_t *r = cfg->root;
    copy_str(cfg->name, sizeof cfg->name, sec_string(r, "name"));
    cfg->seed = (uint64_t)sec_int(r, "seed");
    cfg->concurrency = (int)sec_int(r, "concurrency");
    cfg->islands = (int)sec_int(r, "islands.count");
    cfg->population = (int)sec_int(r, "islands.population");
    read_features(cfg);
    cfg->migration_interval = (int)sec_int(r, "migration.interval");
    cfg->migration_rate = sec_double(r, "migration.rate");
    copy_str(cfg->migration_topology, sizeof cfg->migration_topology,
             sec_string(r, "migration.topology"));
    cfg->temperature = sec_double(r, "selection.temperature");
    cfg->explore_rate = sec_double(r, "selection.explore_rate");
    cfg->explore_max = sec_double(r, "selection.explore_max");
    cfg->explore_growth = sec_double(r, "selection.explore_growth");
    cfg->stagnation_window = (int)sec_int(r, "selection.stagnation_window");
    cfg->elite_ratio = sec_double(r, "selection.elite_ratio");
    cfg->global_mix = sec_double(r, "selection.global_mix");
    cfg->weight_decay = sec_double(r, "selection.weight_decay");
    cfg->weight_boost = sec_double(r, "selection.weight_boost");
    cfg->min_weight = sec_double(r, "selection.min_weight");
    cfg->inspirations = (int)sec_int(r, "selection.inspirations");
    cfg->archive_size = (int)sec_int(r, "archive.size");
    copy_str(cfg->bandit_policy, sizeof cfg->bandit_policy, sec_string(r, "bandit.policy"));
    cfg->bandit_c = sec_double(r, "bandit.c");
    cfg->bandit_discount = sec_double(r, "bandit.discount");
    cfg->max_repairs = (int)sec_int(r, "mutation.max_repairs");
    cfg->multi_max = (int)sec_int(r, "mutation.multi_max");
    cfg->resample_prob = sec_double(r, "mutation.resample_prob");
    cfg->max_tries = (int)sec_int(r, "mutation.max_tries");
    cfg->improve_epsilon = sec_double(r, "mutation.improve_epsilon");
    cfg->confirm_rounds = (int)sec_int(r, "evaluator.confirm_rounds");
    cfg->max_evaluations = sec_int(r, "stop.max_evaluations");
    cfg->max_wall_seconds = sec_double(r, "stop.max_wall_seconds");
    cfg->target_fitness = sec_double(r, "stop.target_fitness");
    cfg->stagnation_patience = sec_int(r, "stop.stagnation");
    copy_str(cfg->store_sync, sizeof cfg->store_sync, sec_string(r, "store.sync"));
    cfg->progress_interval = sec_double(r, "log.progress_interval");
    return read_maps(cfg);
}

/* ---- parsing ------------------------------------------------------------------------ */

static int only_whitespace(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\r\n", text[i]) || !text[i]) return 0;
    return 1;
}

static int syntax_error(config_ctx *c, const json_error_t *e)
{
    if (c->err && c->errlen)
        snprintf(c->err, c->errlen, "%s:%d:%d: invalid JSON: %s", c->name,
                 e->line > 0 ? e->line : 1, e->column > 0 ? e->column : 1, e->text);
    return EVO_ECONFIG;
}

/* Every step may run out of memory (under ulimit -v, say); the message says so and names the
 * file, where an empty one once printed only "evo: ". */
static int out_of_memory(config_ctx *c, size_t len)
{
    errbuf_set(c->err, c->errlen, 0, "%s: out of memory while loading the config (%zu bytes)",
               c->name, len);
    return EVO_ENOMEM;
}

static int duplicate_error(config_ctx *c, int dup, int first)
{
    const config_pos *d = &c->pos.v[dup], *f = &c->pos.v[first];
    if (c->err && c->errlen)
        snprintf(c->err, c->errlen, "%s:%d:%d: duplicate key '%s' (first at %d:%d)", c->name,
                 d->key_line, d->key_col, d->path ? d->path : d->key, f->key_line, f->key_col);
    return EVO_ECONFIG;
}

/* Validate and default tree (consumed) into a new config. */
static int build(config_ctx *c, json_t *tree, const char *path, const char *dir, evo_config **out)
{
    int rc = config_validate(c, tree);
    if (rc == EVO_OK) rc = fill_object(tree, "");
    if (rc == EVO_OK) rc = config_check_rules(c, tree);
    if (rc != EVO_OK) {
        json_decref(tree);
        return rc;
    }
    evo_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        json_decref(tree);
        return EVO_ENOMEM;
    }
    cfg->json = json_dumps(tree, CONFIG_DUMP_FLAGS);
    json_decref(tree);
    /* The filled-in text is what a run stores and what evo_engine_open and resume parse
     * again: it must be within the limits too (defaults add about 150 values). */
    char over[256];
    if (cfg->json && json_limits_check(cfg->json, strlen(cfg->json), &json_limits_config, NULL, 0,
                                       over, sizeof over) != 0) {
        errbuf_set(c->err, c->errlen, 0, "%s: with its defaults filled in, %s", c->name, over);
        evo_config_free(cfg);
        return EVO_ECONFIG;
    }
    cfg->path = strdup(path);
    cfg->dir = strdup(dir);
    cfg->root = cfg->json ? json_loads(cfg->json, 0, NULL) : NULL;
    if (!cfg->json || !cfg->path || !cfg->dir || !cfg->root || read_struct(cfg) != EVO_OK) {
        evo_config_free(cfg);
        return EVO_ENOMEM;
    }
    *out = cfg;
    return EVO_OK;
}

static int parse_text(const char *text, size_t len, const char *name, const char *path,
                      const char *dir, evo_config **out, char *err, size_t errlen)
{
    config_ctx c = {.name = name, .text = text, .err = err, .errlen = errlen};
    if (err && errlen) err[0] = 0;
    if (only_whitespace(text, len)) {
        errbuf_set(err, errlen, 0, "%s:1:1: invalid JSON: %s", name,
                   "no content (a config with every default is {})");
        return EVO_ECONFIG;
    }
    /* Measured before anything is built from it: the steps below are linear in the text
     * only within these limits. */
    if (json_limits_check(text, len, &json_limits_config, name, 0, err, errlen) != 0)
        return EVO_ECONFIG;
    json_error_t e;
    json_t *tree = json_loadb(text, len, JSON_DECODE_ANY, &e);
    if (!tree && json_error_code(&e) == json_error_out_of_memory) return out_of_memory(&c, len);
    if (!tree) return syntax_error(&c, &e);
    int dup = -1, first = -1;
    int rc = config_pos_scan(&c.pos, text, len, &dup, &first);
    if (rc == EVO_ECONFIG) rc = duplicate_error(&c, dup, first);
    if (rc == EVO_OK)
        rc = build(&c, tree, path, dir, out);
    else
        json_decref(tree);
    config_pos_free(&c.pos);
    return rc == EVO_ENOMEM ? out_of_memory(&c, len) : rc;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int evo_config_load(const char *path, evo_config **out, char *err, size_t errlen)
{
    *out = NULL;
    size_t len = 0;
    char *text = file_read_text(path, json_limits_config.max_bytes, &len);
    int errnum = errno;
    if (!text && errnum == EFBIG) {
        errbuf_set(err, errlen, 0, "%s: larger than %zu bytes (the limit for %s)", path,
                   json_limits_config.max_bytes, json_limits_config.what);
        return EVO_ECONFIG;
    }
    if (!text && errnum == ENOMEM) {
        errbuf_set(err, errlen, 0, "%s: out of memory while reading the config", path);
        return EVO_ENOMEM;
    }
    if (!text) {
        errbuf_set(err, errlen, 0, "%s: cannot read: %s", path, strerror(errnum));
        return EVO_EIO;
    }
    char *dir = dir_of(path);
    int rc = dir ? parse_text(text, len, path, path, dir, out, err, errlen)
                 : errbuf_set(err, errlen, EVO_ENOMEM, "%s: out of memory while reading the config",
                              path);
    free(dir);
    free(text);
    return rc;
}

int evo_config_parse(const char *text, const char *name, evo_config **out, char *err, size_t errlen)
{
    *out = NULL;
    return parse_text(text, strlen(text), name ? name : "<config>", "", ".", out, err, errlen);
}

void evo_config_free(evo_config *cfg)
{
    if (!cfg) return;
    free(cfg->path);
    free(cfg->dir);
    json_decref(cfg->root);
    free(cfg->json);
    free(cfg->constant_names);
    free(cfg->constant_values);
    free(cfg);
}

const char *evo_config_json(const evo_config *cfg)
{
    return cfg->json;
}

const char *evo_config_path(const evo_config *cfg)
{
    return cfg->path;
}

/* ---- lookups ------------------------------------------------------------------------ */

json_t *config_get(const evo_config *cfg, const char *path)
{
    json_t *v = cfg ? cfg->root : NULL;
    const char *p = path;
    while (v && *p) {
        if (*p == '[') {
            char *end;
            long i = strtol(p + 1, &end, 10);
            if (*end != ']' || i < 0) return NULL;
            v = json_array_get(v, (size_t)i);
            p = end + 1;
        } else {
            size_t n = strcspn(p, ".[");
            char key[256];
            if (n >= sizeof key) return NULL;
            memcpy(key, p, n);
            key[n] = 0;
            v = json_object_get(v, key);
            p += n;
        }
        if (*p == '.') p++;
    }
    return v;
}

const char *config_get_string(const evo_config *cfg, const char *path, const char *fallback)
{
    json_t *v = config_get(cfg, path);
    return json_is_string(v) ? json_string_value(v) : fallback;
}

int64_t config_get_int(const evo_config *cfg, const char *path, int64_t fallback)
{
    json_t *v = config_get(cfg, path);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : fallback;
}

double config_get_double(const evo_config *cfg, const char *path, double fallback)
{
    json_t *v = config_get(cfg, path);
    return json_is_number(v) ? json_number_value(v) : fallback;
}

int config_get_bool(const evo_config *cfg, const char *path, int fallback)
{
    json_t *v = config_get(cfg, path);
    return json_is_boolean(v) ? json_is_true(v) : fallback;
}

char *config_resolve_path(const evo_config *cfg, const char *path)
{
    return sec_path(cfg && cfg->dir ? cfg->dir : ".", path);
}

double config_operator_weight(const evo_config *cfg, const char *name)
{
    for (int i = 0; i < cfg->noperators; i++)
        if (strcmp(cfg->operators[i].name, name) == 0) return cfg->operators[i].weight;
    return strcmp(name, "llm") == 0 ? 0.0 : 1.0;
}
