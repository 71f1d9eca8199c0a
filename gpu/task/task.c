/* task.c -- tasks: evo's task.json (tolerance, host reference, baseline, cost model, seeds)
 * around a FlashInfer Trace definition and its workloads, a task built from a FlashInfer-Bench
 * dataset alone (task_from_flashinfer), its description for prompts, and its compile options.
 * The definition and workload files themselves are read by task_trace.c; the queries asked of
 * a loaded task (axis values, sizes, cost) are in task_query.c.
 *
 * Everything a user hands us is validated here, strictly, with messages that name the file
 * and the key, so the evaluator never meets a malformed task later. */
#include "task.h"
#include "errbuf.h"
#include "file_text.h"
#include "json_limits.h"
#include "safe_path.h"
#include "task_trace.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expr.h"
#include "reference.h"

/* ------------------------------------------------------------------------------------ */
/* small helpers                                                                        */

/* The file that key of task.json names, inside the task folder: confined by its lexical path
 * (safe_path.h: relative, no ".."; a link inside the folder is followed). 0 with path set, or
 * -1 with err naming task.json, the key and the path. */
static int task_file(const char *file, const char *key, const evo_task *t, const char *rel,
                     char *path, size_t n, char *err, size_t errlen)
{
    if (!safe_relpath(rel)) {
        char shown[1200];
        return errbuf_fail(err, errlen,
                           "%s: key '%s': '%s' leaves the task folder (paths in task.json are "
                           "relative to it, without '..'; copy the file in)",
                           file, key, safe_text(rel, shown, sizeof shown));
    }
    task_join_path(path, n, t->dir, rel);
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* tasks                                                                                */

void task_free(evo_task *t)
{
    if (!t) return;
    task_definition_free(&t->def);
    task_workloads_free(t->workloads, t->nworkloads);
    free(t->baseline_source);
    free(t->trace_path);
    free(t->bytes_expr);
    free(t->flops_expr);
    for (int i = 0; i < t->nseeds; i++)
        free(t->seed_sources ? t->seed_sources[i] : NULL);
    free(t->input_scale);
    free(t->seed_sources);
    for (int i = 0; t->seed_archs && i < t->nseeds; i++)
        free(t->seed_archs[i]);
    free(t->seed_archs);
    free(t->seed_names);
    for (int i = 0; i < t->ndefines; i++)
        free(t->define_values[i]);
    free(t->define_values);
    free(t->define_names);
    for (int i = 0; i < t->nnvrtc_options; i++)
        free(t->nvrtc_options[i]);
    free(t->nvrtc_options);
    free(t);
}

static void set_default_tolerance(evo_task *t)
{
    t->atol = 1e-2;
    t->rtol = 1e-2;
    t->required_ratio = 1.0;
}

/* Partial work inside a loose matched ratio: where the ratio is below 1 the mismatches that
 * it allows must be scattered, so unless the task says otherwise every row (the last
 * dimension: a token's hidden vector) must match at 2 * ratio - 1 of its elements and stay
 * within a relative L2 error of 0.2 (a token left out has 1; an expert of eight left out about
 * 0.35; fp8 block-scaled products about 0.05). */
static void default_row_checks(evo_task *t, int have_ratio, int have_error)
{
    if (t->required_ratio >= 1) return;
    if (!have_ratio)
        t->row_min_ratio = 2 * t->required_ratio - 1 > 0 ? 2 * t->required_ratio - 1 : 0;
    if (!have_error) t->row_max_error = 0.2;
}

static int parse_tolerance(const char *file, json_t *tol, evo_task *t, char *err, size_t errlen)
{
    static const char *const keys[] = {"atol",          "rtol",          "required_ratio",
                                       "row_min_ratio", "row_max_error", NULL};
    if (!tol) return 0;
    if (!json_is_object(tol))
        return errbuf_fail(err, errlen, "%s: key 'tolerance': expected an object", file);
    const char *bad = task_unknown_key(tol, keys);
    if (bad) return errbuf_fail(err, errlen, "%s: key 'tolerance.%s': unknown key", file, bad);
    double *dst[] = {&t->atol, &t->rtol, &t->required_ratio, &t->row_min_ratio, &t->row_max_error};
    for (int i = 0; i < 5; i++) {
        json_t *v = json_object_get(tol, keys[i]);
        if (!v) continue;
        if (!json_is_number(v) || json_number_value(v) < 0)
            return errbuf_fail(err, errlen,
                               "%s: key 'tolerance.%s': expected a non-negative number", file,
                               keys[i]);
        *dst[i] = json_number_value(v);
    }
    if (t->required_ratio > 1)
        return errbuf_fail(err, errlen, "%s: key 'tolerance.required_ratio': %g is above 1", file,
                           t->required_ratio);
    if (t->row_min_ratio > 1)
        return errbuf_fail(err, errlen, "%s: key 'tolerance.row_min_ratio': %g is above 1", file,
                           t->row_min_ratio);
    default_row_checks(t, json_object_get(tol, "row_min_ratio") != NULL,
                       json_object_get(tol, "row_max_error") != NULL);
    return 0;
}

struct name_check {
    const task_definition *d;
    char bad[TASK_NAME];
};

static void check_axis_name(void *user, const char *name)
{
    struct name_check *c = user;
    if (!c->bad[0] && task_find_axis(c->d, name) < 0) snprintf(c->bad, sizeof c->bad, "%s", name);
}

static int parse_cost(const char *file, json_t *cost, evo_task *t, char *err, size_t errlen)
{
    static const char *const keys[] = {"bytes", "flops", NULL};
    if (!cost) return 0;
    if (!json_is_object(cost))
        return errbuf_fail(err, errlen, "%s: key 'cost': expected an object", file);
    const char *bad = task_unknown_key(cost, keys);
    if (bad) return errbuf_fail(err, errlen, "%s: key 'cost.%s': unknown key", file, bad);
    char **dst[] = {&t->bytes_expr, &t->flops_expr};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(cost, keys[i]);
        if (!v) continue;
        if (!json_is_string(v))
            return errbuf_fail(err, errlen, "%s: key 'cost.%s': expected an expression string",
                               file, keys[i]);
        char perr[256];
        evo_expr *e = expr_parse(json_string_value(v), perr, sizeof perr);
        if (!e) return errbuf_fail(err, errlen, "%s: key 'cost.%s': %s", file, keys[i], perr);
        struct name_check c = {&t->def, ""};
        expr_names(e, check_axis_name, &c);
        expr_free(e);
        if (c.bad[0])
            return errbuf_fail(err, errlen, "%s: key 'cost.%s': '%s' is not an axis of %s", file,
                               keys[i], c.bad, t->def.name);
        *dst[i] = strdup(json_string_value(v));
    }
    return 0;
}

/* A baseline of kind cublas, kernel or none at key (`baseline`, or `baseline.fallback` of a
 * trace baseline). */
static int parse_plain_baseline(const char *file, const char *key, json_t *b, evo_task *t,
                                char *err, size_t errlen)
{
    static const char *const keys[] = {"kind", "source", NULL};
    if (!b || json_is_null(b)) {
        strcpy(t->baseline_kind, "none");
        return 0;
    }
    if (!json_is_object(b))
        return errbuf_fail(err, errlen, "%s: key '%s': expected an object", file, key);
    const char *bad = task_unknown_key(b, keys);
    if (bad) return errbuf_fail(err, errlen, "%s: key '%s.%s': unknown key", file, key, bad);
    const char *kind = json_string_value(json_object_get(b, "kind"));
    const char *src = json_string_value(json_object_get(b, "source"));
    if (!kind || (strcmp(kind, "cublas") && strcmp(kind, "kernel") && strcmp(kind, "none")))
        return errbuf_fail(err, errlen,
                           "%s: key '%s.kind': expected \"cublas\", \"kernel\"%s or \"none\"", file,
                           key, strcmp(key, "baseline") ? "" : ", \"trace\"");
    strcpy(t->baseline_kind, kind);
    if (strcmp(kind, "kernel")) {
        if (src)
            return errbuf_fail(err, errlen,
                               "%s: key '%s.source': only a kernel baseline "
                               "has a source",
                               file, key);
        char why[1536];
        if (!strcmp(kind, "cublas") && task_cublas_check(t, why, sizeof why))
            return errbuf_fail(err, errlen, "%s: key '%s.kind': %s", file, key, why);
        return 0;
    }
    char k[64];
    snprintf(k, sizeof k, "%s.source", key);
    if (!src) return errbuf_fail(err, errlen, "%s: key '%s': missing (a .cu file)", file, k);
    char path[1100];
    if (task_file(file, k, t, src, path, sizeof path, err, errlen)) return -1;
    t->baseline_source = file_read_text(path, 0, NULL);
    if (!t->baseline_source)
        return errbuf_fail(err, errlen, "%s: key '%s': cannot read %s: %s", file, k, path,
                           strerror(errno));
    return 0;
}

/* {"kind": "trace", "path", "solution", "allow_other_device", "fallback"}: the file is only
 * named here (confined to the task folder); the evaluator reads it (trace_baseline.h). */
static int parse_baseline(const char *file, json_t *b, evo_task *t, char *err, size_t errlen)
{
    static const char *const keys[] = {"kind",     "path", "solution", "allow_other_device",
                                       "fallback", NULL};
    const char *kind = json_string_value(json_object_get(b, "kind"));
    if (!json_is_object(b) || !kind || strcmp(kind, "trace"))
        return parse_plain_baseline(file, "baseline", b, t, err, errlen);
    const char *bad = task_unknown_key(b, keys);
    if (bad) return errbuf_fail(err, errlen, "%s: key 'baseline.%s': unknown key", file, bad);
    const char *rel = json_string_value(json_object_get(b, "path"));
    if (!rel)
        return errbuf_fail(err, errlen,
                           "%s: key 'baseline.path': missing (a FlashInfer-Bench trace, .jsonl)",
                           file);
    char path[1100];
    if (task_file(file, "baseline.path", t, rel, path, sizeof path, err, errlen)) return -1;
    json_t *sol = json_object_get(b, "solution"), *allow = json_object_get(b, "allow_other_device");
    if (sol && (!json_is_string(sol) || task_copy_name(t->trace_solution, json_string_value(sol))))
        return errbuf_fail(err, errlen, "%s: key 'baseline.solution': expected a solution name",
                           file);
    if (allow && !json_is_boolean(allow))
        return errbuf_fail(err, errlen, "%s: key 'baseline.allow_other_device': expected a boolean",
                           file);
    t->trace_allow_other_device = json_is_true(allow);
    if (!(t->trace_path = strdup(path))) return errbuf_fail(err, errlen, "out of memory");
    return parse_plain_baseline(file, "baseline.fallback", json_object_get(b, "fallback"), t, err,
                                errlen);
}

int task_seed_supports(const evo_task *t, int i, const char *arch)
{
    if (!t->seed_archs || !t->seed_archs[i] || !arch) return 1;
    size_t n = strlen(arch);
    for (const char *p = t->seed_archs[i]; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, arch, n) == 0) return 1;
        p += len + (comma ? 1 : 0);
    }
    return 0;
}

static void seed_stem(char out[TASK_NAME], const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, TASK_NAME, "%s", base);
    char *dot = strrchr(out, '.');
    if (dot && dot != out) *dot = 0;
}

static int parse_seeds(const char *file, json_t *seeds, evo_task *t, char *err, size_t errlen)
{
    if (!json_is_array(seeds) || json_array_size(seeds) == 0)
        return errbuf_fail(err, errlen, "%s: key 'seeds': expected a non-empty list of .cu files",
                           file);
    size_t n = json_array_size(seeds);
    t->seed_names = calloc(n, sizeof *t->seed_names);
    t->seed_sources = calloc(n, sizeof *t->seed_sources);
    t->seed_archs = calloc(n, sizeof *t->seed_archs);
    if (!t->seed_names || !t->seed_sources || !t->seed_archs)
        return errbuf_fail(err, errlen, "%s: out of memory", file);
    for (size_t i = 0; i < n; i++) {
        json_t *entry = json_array_get(seeds, i);
        json_t *archs = json_is_object(entry) ? json_object_get(entry, "archs") : NULL;
        const char *s =
            json_string_value(json_is_object(entry) ? json_object_get(entry, "file") : entry);
        if (!s || !s[0])
            return errbuf_fail(
                err, errlen, "%s: key 'seeds[%zu]': expected a file name or {\"file\", \"archs\"}",
                file, i);
        char list[256] = ""; /* kept by the task once the seed is read */
        if (archs) {
            size_t k;
            json_t *a;
            if (!json_is_array(archs) || json_array_size(archs) == 0)
                return errbuf_fail(err, errlen,
                                   "%s: key 'seeds[%zu].archs': expected a list like [\"sm_90a\"]",
                                   file, i);
            json_array_foreach(archs, k, a)
            {
                if (!json_is_string(a))
                    return errbuf_fail(err, errlen,
                                       "%s: key 'seeds[%zu].archs[%zu]': expected a string", file,
                                       i, k);
                size_t len = strlen(list);
                snprintf(list + len, sizeof list - len, "%s%s", len ? "," : "",
                         json_string_value(a));
            }
        }
        char path[1100], key[64];
        snprintf(key, sizeof key, json_is_object(entry) ? "seeds[%zu].file" : "seeds[%zu]", i);
        if (task_file(file, key, t, s, path, sizeof path, err, errlen)) return -1;
        seed_stem(t->seed_names[i], s);
        /* The stem is the seed's template name, which export turns into a file name. */
        if (!safe_name(t->seed_names[i])) {
            char shown[3 * TASK_NAME];
            return errbuf_fail(err, errlen,
                               "%s: key '%s': template name '%s' is not a plain name (letters, "
                               "digits, '.', '_', '-'; no leading dot)",
                               file, key, safe_text(t->seed_names[i], shown, sizeof shown));
        }
        for (int j = 0; j < t->nseeds; j++)
            if (!strcmp(t->seed_names[j], t->seed_names[i]))
                return errbuf_fail(err, errlen, "%s: key 'seeds[%zu]': a second seed called '%s'",
                                   file, i, t->seed_names[i]);
        t->seed_sources[i] = file_read_text(path, 0, NULL);
        if (!t->seed_sources[i])
            return errbuf_fail(err, errlen, "%s: key 'seeds[%zu]': cannot read %s: %s", file, i,
                               path, strerror(errno));
        if (archs) t->seed_archs[i] = strdup(list);
        t->nseeds++;
    }
    return 0;
}

static int parse_defines(const char *file, json_t *defs, evo_task *t, char *err, size_t errlen)
{
    if (!defs) return 0;
    if (!json_is_object(defs))
        return errbuf_fail(err, errlen, "%s: key 'defines': expected an object of macro values",
                           file);
    size_t n = json_object_size(defs);
    t->define_names = calloc(n + 1, sizeof *t->define_names);
    t->define_values = calloc(n + 1, sizeof *t->define_values);
    if (!t->define_names || !t->define_values)
        return errbuf_fail(err, errlen, "%s: out of memory", file);
    const char *k;
    json_t *v;
    json_object_foreach(defs, k, v)
    {
        char buf[64];
        const char *val = json_string_value(v);
        if (json_is_integer(v)) {
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
            val = buf;
        }
        if (!val)
            return errbuf_fail(err, errlen, "%s: key 'defines.%s': expected a string or an integer",
                               file, k);
        if (task_copy_name(t->define_names[t->ndefines], k))
            return errbuf_fail(err, errlen, "%s: key 'defines.%s': name too long", file, k);
        t->define_values[t->ndefines++] = strdup(val);
    }
    return 0;
}

/* "input_scale": {"k": 0.088}: randn draws for that input are multiplied by the factor
 * (a definition whose math overflows on unit-variance inputs states its input scale). */
static int parse_input_scale(const char *file, json_t *scales, evo_task *t, char *err,
                             size_t errlen)
{
    if (!scales) return 0;
    if (!json_is_object(scales))
        return errbuf_fail(err, errlen,
                           "%s: key 'input_scale': expected an object of input -> factor", file);
    t->input_scale = calloc((size_t)t->def.ninputs + 1, sizeof *t->input_scale);
    if (!t->input_scale) return errbuf_fail(err, errlen, "%s: out of memory", file);
    for (int i = 0; i < t->def.ninputs; i++)
        t->input_scale[i] = 1.0;
    const char *name;
    json_t *v;
    json_object_foreach(scales, name, v)
    {
        int k = -1;
        for (int i = 0; i < t->def.ninputs; i++)
            if (strcmp(t->def.inputs[i].name, name) == 0) k = i;
        if (k < 0)
            return errbuf_fail(err, errlen, "%s: key 'input_scale.%s': no input of that name", file,
                               name);
        if (!json_is_number(v) || json_number_value(v) <= 0)
            return errbuf_fail(err, errlen, "%s: key 'input_scale.%s': expected a positive number",
                               file, name);
        t->input_scale[k] = json_number_value(v);
    }
    return 0;
}

static int task_from_json(const char *file, json_t *root, evo_task *t, char *err, size_t errlen)
{
    static const char *const keys[] = {
        "definition", "workloads",     "tolerance",   "reference", "baseline",    "cost", "seeds",
        "defines",    "nvrtc_options", "input_scale", "notes",     "description", NULL};
    if (!json_is_object(root)) return errbuf_fail(err, errlen, "%s: expected a JSON object", file);
    const char *bad = task_unknown_key(root, keys);
    if (bad) return errbuf_fail(err, errlen, "%s: key '%s': unknown key", file, bad);
    const char *def = json_string_value(json_object_get(root, "definition"));
    const char *wl = json_string_value(json_object_get(root, "workloads"));
    if (!def) return errbuf_fail(err, errlen, "%s: key 'definition': missing (a .json file)", file);
    if (!wl) return errbuf_fail(err, errlen, "%s: key 'workloads': missing (a .jsonl file)", file);
    char path[1100];
    if (task_file(file, "definition", t, def, path, sizeof path, err, errlen)) return -1;
    if (task_load_definition(path, &t->def, err, errlen)) return -1;
    if (task_file(file, "workloads", t, wl, path, sizeof path, err, errlen)) return -1;
    t->nworkloads = task_load_workloads(path, &t->def, &t->workloads, err, errlen);
    if (t->nworkloads < 0) {
        t->nworkloads = 0;
        return -1;
    }
    if (t->nworkloads == 0)
        return errbuf_fail(err, errlen, "%s: no workloads for %s", path, t->def.name);
    set_default_tolerance(t);
    if (parse_tolerance(file, json_object_get(root, "tolerance"), t, err, errlen)) return -1;
    const char *ref = json_string_value(json_object_get(root, "reference"));
    if (!ref)
        return errbuf_fail(err, errlen, "%s: key 'reference': missing (a host reference name)",
                           file);
    if (!reference_find(ref))
        return errbuf_fail(err, errlen, "%s: key 'reference': no host reference called '%s'", file,
                           ref);
    task_copy_name(t->reference, ref);
    /* The reference's own table against the definition and every workload: a reference that
     * disagrees (another operator's, or shapes it would read past) is refused here. */
    char why[1536];
    if (task_reference_check(t, ref, why, sizeof why))
        return errbuf_fail(err, errlen, "%s: key 'reference': %s", file, why);
    if (parse_baseline(file, json_object_get(root, "baseline"), t, err, errlen) ||
        parse_cost(file, json_object_get(root, "cost"), t, err, errlen) ||
        parse_seeds(file, json_object_get(root, "seeds"), t, err, errlen) ||
        parse_defines(file, json_object_get(root, "defines"), t, err, errlen))
        return -1;
    char **opts = NULL;
    if (task_parse_string_list(file, "nvrtc_options", json_object_get(root, "nvrtc_options"), &opts,
                               &t->nnvrtc_options, err, errlen)) {
        t->nvrtc_options = opts;
        return -1;
    }
    t->nvrtc_options = opts;
    json_t *notes = json_object_get(root, "notes");
    if (notes && !json_is_string(notes))
        return errbuf_fail(err, errlen, "%s: key 'notes': expected a string", file);
    if (parse_input_scale(file, json_object_get(root, "input_scale"), t, err, errlen)) return -1;
    /* Blob paths in workloads are relative to the task folder; missing blobs are an error
     * named at load time rather than a failure of every candidate later. */
    if (task_check_blobs(t->workloads, t->nworkloads, t->dir, 0, err, errlen) < 0) return -1;
    return 0;
}

int task_load_dir(const char *dir, evo_task **out, char *err, size_t errlen)
{
    *out = NULL;
    evo_task *t = calloc(1, sizeof *t);
    if (!t) return errbuf_fail(err, errlen, "out of memory");
    if (strlen(dir) >= sizeof t->dir) {
        free(t);
        return errbuf_fail(err, errlen, "%s: task folder path too long", dir);
    }
    strcpy(t->dir, dir);
    for (size_t n = strlen(t->dir); n > 1 && t->dir[n - 1] == '/'; n--)
        t->dir[n - 1] = 0;
    char file[1100];
    task_join_path(file, sizeof file, dir, "task.json");
    json_t *root =
        json_limits_load_file(file, &json_limits_data, JSON_REJECT_DUPLICATES, err, errlen);
    if (!root) {
        free(t);
        return -1;
    }
    int rc = task_from_json(file, root, t, err, errlen);
    json_decref(root);
    if (rc) {
        task_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

/* Look for ROOT/SUB/<any>/NAME in each first-level folder; 0 and path set if found. */
static int find_in_tree(const char *root, const char *sub, const char *file, char *out, size_t n)
{
    char top[1100];
    task_join_path(top, sizeof top, root, sub);
    DIR *d = opendir(top);
    if (!d) return -1;
    struct dirent *e;
    int found = -1;
    while (found && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        int w = snprintf(out, n, "%s/%s/%s", top, e->d_name, file);
        if (w > 0 && (size_t)w < n && access(out, R_OK) == 0)
            found = 0; /* a cut path is no match */
    }
    closedir(d);
    return found;
}

int task_from_flashinfer(const char *root, const char *definition, evo_task **out, char *err,
                         size_t errlen)
{
    *out = NULL;
    char file[TASK_NAME + 8], dpath[1400], wpath[1400];
    if (!safe_name(definition) || strlen(definition) >= TASK_NAME) {
        char shown[1200];
        return errbuf_fail(err, errlen,
                           "'%s' is not a definition name (letters, digits, '.', '_', '-'; no "
                           "leading dot)",
                           safe_text(definition, shown, sizeof shown));
    }
    snprintf(file, sizeof file, "%s.json", definition);
    if (find_in_tree(root, "definitions", file, dpath, sizeof dpath))
        return errbuf_fail(err, errlen, "%s: no definition '%s' (looked for definitions/*/%s)",
                           root, definition, file);
    snprintf(file, sizeof file, "%s.jsonl", definition);
    if (find_in_tree(root, "workloads", file, wpath, sizeof wpath))
        return errbuf_fail(err, errlen, "%s: no workloads for '%s' (looked for workloads/*/%s)",
                           root, definition, file);
    evo_task *t = calloc(1, sizeof *t);
    if (!t) return errbuf_fail(err, errlen, "out of memory");
    snprintf(t->dir, sizeof t->dir, "%s", root);
    strcpy(t->baseline_kind, "none");
    set_default_tolerance(t);
    if (task_load_definition(dpath, &t->def, err, errlen)) goto bad;
    t->nworkloads = task_load_workloads(wpath, &t->def, &t->workloads, err, errlen);
    if (t->nworkloads < 0) {
        t->nworkloads = 0;
        goto bad;
    }
    if (t->nworkloads == 0) {
        errbuf_fail(err, errlen, "%s: no workloads for %s", wpath, definition);
        goto bad;
    }
    /* FlashInfer-Bench judges MoE with a looser tolerance (ANCHORS: ratio 0.9, atol 1,
     * rtol 0.3); every other operator uses the defaults. */
    if (!strcmp(t->def.op_type, "moe")) {
        t->atol = 1;
        t->rtol = 0.3;
        t->required_ratio = 0.9;
        default_row_checks(t, 0, 0);
    }
    /* The reference of the operator's name, where its table takes the definition (a dataset's
     * fused or differently shaped variant of an operator gets none rather than a wrong one). */
    char why[1536];
    if (reference_find(t->def.op_type) &&
        task_reference_check(t, t->def.op_type, why, sizeof why) == 0)
        task_copy_name(t->reference, t->def.op_type);
    /* cuBLAS is the natural yardstick for a plain GEMM; other operators have none here. */
    if (!strcmp(t->def.op_type, "gemm") && task_cublas_check(t, why, sizeof why) == 0)
        strcpy(t->baseline_kind, "cublas");
    *out = t;
    return 0;
bad:
    task_free(t);
    return -1;
}

static void describe_tensor(FILE *f, const task_tensor *x)
{
    fprintf(f, "  %s: %s ", x->name, dtype_name(x->dtype));
    if (x->is_scalar) {
        fprintf(f, "scalar (passed by value as %s)", dtype_ctype(x->dtype));
    } else {
        fputc('[', f);
        for (int i = 0; i < x->ndim; i++)
            fprintf(f, "%s%s", i ? ", " : "", x->dims[i]);
        fprintf(f, "] (device pointer to %s, row-major, contiguous)", dtype_ctype(x->dtype));
    }
    if (x->optional) fputs(", optional", f);
    fputc('\n', f);
}

char *task_describe(const evo_task *t)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    const task_definition *d = &t->def;
    fprintf(f, "Definition: %s", d->name);
    if (d->op_type[0]) fprintf(f, " (op_type %s)", d->op_type);
    fputc('\n', f);
    if (d->description) fprintf(f, "Description: %s\n", d->description);
    fputs("Axes:\n", f);
    for (int i = 0; i < d->naxes; i++) {
        if (d->axes[i].is_var) {
            fprintf(f, "  %s: var (per workload:", d->axes[i].name);
            int shown = 0;
            for (int w = 0; w < t->nworkloads && shown < 16; w++) {
                int64_t v;
                if (!task_axis_value(t, &t->workloads[w], d->axes[i].name, &v)) {
                    fprintf(f, " %lld", (long long)v);
                    shown++;
                }
            }
            fprintf(f, "%s)\n", t->nworkloads > shown ? " ..." : "");
        } else {
            fprintf(f, "  %s: const %lld\n", d->axes[i].name, (long long)d->axes[i].value);
        }
    }
    fputs("Inputs:\n", f);
    for (int i = 0; i < d->ninputs; i++)
        describe_tensor(f, &d->inputs[i]);
    fputs("Outputs:\n", f);
    for (int i = 0; i < d->noutputs; i++)
        describe_tensor(f, &d->outputs[i]);
    for (int i = 0; i < d->nconstraints; i++)
        fprintf(f, "%s%s\n", i ? "  " : "Constraints:\n  ", d->constraints[i]);
    fprintf(f, "Workloads: %d\n", t->nworkloads);
    fprintf(f,
            "Correctness: an element fails if |out - ref| > %g and |out - ref|/(|ref| + 1e-8) "
            "> %g; at least %g of the elements must match; NaN or Inf fails.\n",
            t->atol, t->rtol, t->required_ratio);
    if (t->ndefines) {
        fputs("Macros defined for every compile:", f);
        for (int i = 0; i < t->ndefines; i++)
            fprintf(f, " %s=%s", t->define_names[i], t->define_values[i]);
        fputc('\n', f);
    }
    if (d->reference_code) fprintf(f, "Reference (PyTorch):\n%s\n", d->reference_code);
    fclose(f);
    return buf;
}

/* The name of the definition the task folder dir's task.json names; 0, or -1 when dir holds
 * no readable task with a definition. */
static int folder_definition(const char *dir, char name[TASK_NAME])
{
    char file[1100];
    task_join_path(file, sizeof file, dir, "task.json");
    json_t *root = json_limits_load_file(file, &json_limits_data, JSON_REJECT_DUPLICATES, NULL, 0);
    const char *def = json_string_value(json_object_get(root, "definition"));
    int rc = -1;
    if (def && safe_relpath(def)) {
        task_join_path(file, sizeof file, dir, def);
        json_t *d = json_limits_load_file(file, &json_limits_data, JSON_REJECT_DUPLICATES, NULL, 0);
        const char *n = json_string_value(json_object_get(d, "name"));
        rc = n ? task_copy_name(name, n) : -1;
        json_decref(d);
    }
    json_decref(root);
    return rc;
}

/* The first folder below kernels whose task has definition `definition`. */
static int find_task_folder(const char *kernels, const char *definition, char *out, size_t n)
{
    DIR *d = opendir(kernels);
    if (!d) return -1;
    struct dirent *e;
    int found = -1;
    while (found && (e = readdir(d))) {
        char dir[1100], name[TASK_NAME];
        if (e->d_name[0] == '.') continue;
        int w = snprintf(dir, sizeof dir, "%s/%s", kernels, e->d_name);
        if (w > 0 && (size_t)w < sizeof dir && (size_t)w < n && folder_definition(dir, name) == 0 &&
            !strcmp(name, definition)) {
            snprintf(out, n, "%s", dir);
            found = 0;
        }
    }
    closedir(d);
    return found;
}

int task_seed_folder(const char *preferred, const char *definition, char *out, size_t n)
{
    char name[TASK_NAME];
    if (preferred && *preferred && folder_definition(preferred, name) == 0 &&
        !strcmp(name, definition) && strlen(preferred) < n) {
        snprintf(out, n, "%s", preferred);
        return 0;
    }
    const char *shipped[] = {
#ifdef EVO_DATA_DIR
        EVO_DATA_DIR "/kernels",
#endif
#ifdef EVO_SOURCE_DIR
        EVO_SOURCE_DIR "/kernels",
#endif
        NULL};
    for (int i = 0; shipped[i]; i++)
        if (find_task_folder(shipped[i], definition, out, n) == 0) return 0;
    return -1;
}

static const char *tensors_diff(const task_tensor *a, int na, const task_tensor *b, int nb,
                                const char *what)
{
    if (na != nb) return what;
    for (int i = 0; i < na; i++)
        if (strcmp(a[i].name, b[i].name) || a[i].dtype != b[i].dtype || a[i].ndim != b[i].ndim ||
            a[i].is_scalar != b[i].is_scalar)
            return what;
    return NULL;
}

/* Which of the tensors differ between two definitions ("inputs", "outputs"), or NULL. */
static const char *signature_diff(const task_definition *a, const task_definition *b)
{
    const char *d = tensors_diff(a->inputs, a->ninputs, b->inputs, b->ninputs, "inputs");
    return d ? d : tensors_diff(a->outputs, a->noutputs, b->outputs, b->noutputs, "outputs");
}

/* A dataset's definition and workloads in the task folder's frame: the folder lends its seeds,
 * reference, baseline, tolerance, cost model, defines and options (its own definition must be
 * the dataset's, by name); the dataset's definition and workloads replace the folder's. */
static int lend_folder(const char *task_dir, evo_task *ds, evo_task **out, char *err, size_t errlen)
{
    evo_task *f = NULL;
    if (task_load_dir(task_dir, &f, err, errlen) != 0) return -1;
    if (strcmp(f->def.name, ds->def.name)) {
        errbuf_fail(err, errlen,
                    "%s: the task folder is for definition '%s', not the dataset's '%s'", task_dir,
                    f->def.name, ds->def.name);
        task_free(f);
        return -1;
    }
    /* The seeds, the reference and the input scales (one per input, in order) are written
     * against the folder's inputs and outputs: the dataset's must be the same tensors. */
    const char *diff = signature_diff(&f->def, &ds->def);
    if (diff) {
        errbuf_fail(err, errlen,
                    "%s: definition '%s' differs from the dataset's (%s): its seeds do not fit",
                    task_dir, f->def.name, diff);
        task_free(f);
        return -1;
    }
    task_definition_free(&f->def);
    task_workloads_free(f->workloads, f->nworkloads);
    f->def = ds->def;
    f->workloads = ds->workloads;
    f->nworkloads = ds->nworkloads;
    memset(&ds->def, 0, sizeof ds->def);
    ds->workloads = NULL;
    ds->nworkloads = 0;
    *out = f;
    return 0;
}

int task_open(const char *task_dir, const char *dataset, const char *definition, int blob_fallback,
              evo_task **out, char *err, size_t errlen)
{
    *out = NULL;
    int have_dir = task_dir && *task_dir;
    if (!dataset || !*dataset) {
        if (have_dir) return task_load_dir(task_dir, out, err, errlen);
        return errbuf_fail(err, errlen,
                           "no task: give a task folder, or a dataset and a definition");
    }
    if (!definition || !*definition)
        return errbuf_fail(err, errlen, "%s: no definition named for the dataset", dataset);
    evo_task *ds = NULL;
    if (task_from_flashinfer(dataset, definition, &ds, err, errlen) != 0) return -1;
    /* Blob paths resolve against the dataset root, always: the policy only decides what a
     * missing blob becomes (an error, or drawn inputs). */
    if (task_check_blobs(ds->workloads, ds->nworkloads, dataset, blob_fallback, err, errlen) < 0) {
        task_free(ds);
        return -1;
    }
    if (!have_dir) {
        *out = ds;
        return 0;
    }
    int rc = lend_folder(task_dir, ds, out, err, errlen);
    task_free(ds);
    return rc;
}

char **task_compile_options(const evo_task *t, int n, const char *const *names,
                            const char *const *values, int *count)
{
    int total = t->nnvrtc_options + t->ndefines + n, k = 0, ok = 1;
    char **o = calloc((size_t)total + 1, sizeof *o);
    if (!o) return NULL;
    for (int i = 0; ok && i < t->nnvrtc_options; i++)
        ok = (o[k++] = strdup(t->nvrtc_options[i])) != NULL;
    for (int i = 0; ok && i < t->ndefines + n; i++) {
        const char *name = i < t->ndefines ? t->define_names[i] : names[i - t->ndefines];
        const char *value = i < t->ndefines ? t->define_values[i] : values[i - t->ndefines];
        if (asprintf(&o[k], "-D%s=%s", name, value) < 0) { /* *strp is undefined then */
            o[k] = NULL;
            ok = 0;
        }
        k++;
    }
    if (!ok) {
        task_options_free(o, k);
        return NULL;
    }
    *count = k;
    return o;
}

void task_options_free(char **o, int count)
{
    for (int i = 0; o && i < count; i++)
        free(o[i]);
    free(o);
}
