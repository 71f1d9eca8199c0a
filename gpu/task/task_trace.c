/* task_trace.c -- the FlashInfer Trace reader: a definition JSON and its workloads JSONL as
 * FlashInfer-Bench publishes them, with the dtypes they name (task.h declares all of it).
 *
 * Validation is strict, with messages that name the file, the line (JSONL) and the key, so
 * the evaluator never meets a malformed definition or workload later. Blob (safetensors)
 * inputs are recorded as such; task_check_blobs decides what happens when the blob store is
 * missing (FlashInfer-Bench's datasets ship without it). Nothing here knows evo's task.json:
 * task.c reads that around a definition and workloads loaded here, and borrows the JSON
 * checks both need (task_trace.h). */
#include "task_trace.h"
#include "errbuf.h"
#include "file_text.h"
#include "json_limits.h"
#include "safe_path.h"
#include "task.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------ */
/* dtypes                                                                               */

static const struct {
    const char *name;
    int size;
    const char *ctype;
} DTYPES[DT_COUNT] = {
    [DT_FLOAT32] = {"float32", 4, "float"},
    [DT_FLOAT16] = {"float16", 2, "__half"},
    [DT_BFLOAT16] = {"bfloat16", 2, "__nv_bfloat16"},
    [DT_FLOAT8_E4M3] = {"float8_e4m3fn", 1, "__nv_fp8_e4m3"},
    [DT_FLOAT8_E5M2] = {"float8_e5m2", 1, "__nv_fp8_e5m2"},
    [DT_FLOAT64] = {"float64", 8, "double"},
    [DT_INT64] = {"int64", 8, "long long"},
    [DT_INT32] = {"int32", 4, "int"},
    [DT_INT16] = {"int16", 2, "short"},
    [DT_INT8] = {"int8", 1, "signed char"},
    [DT_UINT8] = {"uint8", 1, "unsigned char"},
    [DT_BOOL] = {"bool", 1, "bool"},
};

const char *dtype_name(evo_dtype t)
{
    return (unsigned)t < DT_COUNT ? DTYPES[t].name : "?";
}
int dtype_size(evo_dtype t)
{
    return (unsigned)t < DT_COUNT ? DTYPES[t].size : 0;
}
const char *dtype_ctype(evo_dtype t)
{
    return (unsigned)t < DT_COUNT ? DTYPES[t].ctype : "?";
}

int dtype_from_name(const char *s)
{
    for (int i = 0; s && i < DT_COUNT; i++)
        if (!strcmp(s, DTYPES[i].name)) return i;
    return -1;
}

/* ------------------------------------------------------------------------------------ */
/* small helpers                                                                        */

void task_join_path(char *out, size_t n, const char *dir, const char *rel)
{
    if (rel[0] == '/' || !dir || !dir[0])
        snprintf(out, n, "%s", rel);
    else
        snprintf(out, n, "%s/%s", dir, rel);
}

int task_copy_name(char dst[TASK_NAME], const char *src)
{
    if (strlen(src) >= TASK_NAME || !src[0]) return -1;
    strcpy(dst, src);
    return 0;
}

/* Keys of obj must all be in allowed (NULL-terminated); returns the first stranger. */
const char *task_unknown_key(json_t *obj, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        int ok = 0;
        for (int i = 0; allowed[i] && !ok; i++)
            ok = !strcmp(k, allowed[i]);
        if (!ok) return k;
    }
    return NULL;
}

static const char *json_kind(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* ------------------------------------------------------------------------------------ */
/* definitions                                                                          */

void task_definition_free(task_definition *d)
{
    if (!d) return;
    free(d->description);
    free(d->reference_code);
    free(d->axes);
    free(d->inputs);
    free(d->outputs);
    for (int i = 0; i < d->nconstraints; i++)
        free(d->constraints[i]);
    free(d->constraints);
    memset(d, 0, sizeof *d);
}

int task_find_axis(const task_definition *d, const char *name)
{
    for (int i = 0; i < d->naxes; i++)
        if (!strcmp(d->axes[i].name, name)) return i;
    return -1;
}

static int parse_axes(const char *file, json_t *axes, task_definition *d, char *err, size_t errlen)
{
    static const char *const keys[] = {"type", "value", "description", NULL};
    if (!json_is_object(axes))
        return errbuf_fail(err, errlen, "%s: key 'axes': expected an object, found %s", file,
                           json_kind(axes));
    if (json_object_size(axes) > TASK_MAX_AXES)
        return errbuf_fail(err, errlen, "%s: key 'axes': %zu axes (at most %d)", file,
                           json_object_size(axes), TASK_MAX_AXES);
    d->axes = calloc(json_object_size(axes) + 1, sizeof *d->axes);
    if (!d->axes) return errbuf_fail(err, errlen, "%s: out of memory", file);
    const char *name;
    json_t *a;
    json_object_foreach(axes, name, a)
    {
        task_axis *x = &d->axes[d->naxes];
        if (task_copy_name(x->name, name))
            return errbuf_fail(err, errlen, "%s: key 'axes': axis name '%s' is empty or too long",
                               file, name);
        if (!json_is_object(a))
            return errbuf_fail(err, errlen, "%s: key 'axes.%s': expected an object, found %s", file,
                               name, json_kind(a));
        const char *bad = task_unknown_key(a, keys);
        if (bad)
            return errbuf_fail(err, errlen, "%s: key 'axes.%s.%s': unknown key", file, name, bad);
        const char *type = json_string_value(json_object_get(a, "type"));
        json_t *val = json_object_get(a, "value");
        if (!type)
            return errbuf_fail(err, errlen, "%s: key 'axes.%s.type': expected \"const\" or \"var\"",
                               file, name);
        if (!strcmp(type, "var")) {
            x->is_var = 1;
            if (val && !json_is_null(val))
                return errbuf_fail(err, errlen,
                                   "%s: key 'axes.%s.value': a var axis takes its value from each "
                                   "workload",
                                   file, name);
        } else if (!strcmp(type, "const")) {
            if (!json_is_integer(val) || json_integer_value(val) < 0)
                return errbuf_fail(err, errlen,
                                   "%s: key 'axes.%s.value': a const axis needs a non-negative "
                                   "integer value",
                                   file, name);
            x->value = json_integer_value(val);
        } else {
            return errbuf_fail(err, errlen,
                               "%s: key 'axes.%s.type': unknown axis type '%s' (expected const or "
                               "var)",
                               file, name, type);
        }
        d->naxes++;
    }
    return 0;
}

static int parse_tensor(const char *file, const char *group, const char *name, json_t *v,
                        const task_definition *d, task_tensor *t, char *err, size_t errlen)
{
    static const char *const keys[] = {"shape", "dtype", "optional", "description", NULL};
    if (task_copy_name(t->name, name))
        return errbuf_fail(err, errlen, "%s: key '%s': tensor name '%s' is empty or too long", file,
                           group, name);
    if (!json_is_object(v))
        return errbuf_fail(err, errlen, "%s: key '%s.%s': expected an object, found %s", file,
                           group, name, json_kind(v));
    const char *bad = task_unknown_key(v, keys);
    if (bad)
        return errbuf_fail(err, errlen, "%s: key '%s.%s.%s': unknown key", file, group, name, bad);
    json_t *dt = json_object_get(v, "dtype");
    if (!json_is_string(dt))
        return errbuf_fail(err, errlen, "%s: key '%s.%s.dtype': expected a dtype name", file, group,
                           name);
    int k = dtype_from_name(json_string_value(dt));
    if (k < 0)
        return errbuf_fail(err, errlen, "%s: key '%s.%s.dtype': unknown dtype '%s'", file, group,
                           name, json_string_value(dt));
    t->dtype = (evo_dtype)k;
    json_t *opt = json_object_get(v, "optional");
    if (opt && !json_is_boolean(opt))
        return errbuf_fail(err, errlen, "%s: key '%s.%s.optional': expected true or false", file,
                           group, name);
    t->optional = opt && json_is_true(opt);
    if (!json_object_get(v, "shape"))
        return errbuf_fail(err, errlen,
                           "%s: key '%s.%s.shape': missing (a list of axis names, or "
                           "null for a scalar)",
                           file, group, name);
    json_t *shape = json_object_get(v, "shape");
    if (json_is_null(shape)) {
        t->is_scalar = 1;
        return 0;
    }
    if (!json_is_array(shape))
        return errbuf_fail(err, errlen,
                           "%s: key '%s.%s.shape': expected a list of axis names or null", file,
                           group, name);
    if (json_array_size(shape) > TASK_MAX_DIMS)
        return errbuf_fail(err, errlen, "%s: key '%s.%s.shape': %zu dimensions (at most %d)", file,
                           group, name, json_array_size(shape), TASK_MAX_DIMS);
    size_t i;
    json_t *ax;
    json_array_foreach(shape, i, ax)
    {
        const char *an = json_string_value(ax);
        if (!an)
            return errbuf_fail(err, errlen, "%s: key '%s.%s.shape[%zu]': expected an axis name",
                               file, group, name, i);
        if (task_find_axis(d, an) < 0)
            return errbuf_fail(err, errlen, "%s: key '%s.%s.shape[%zu]': unknown axis '%s'", file,
                               group, name, i, an);
        strcpy(t->dims[i], an);
    }
    t->ndim = (int)json_array_size(shape);
    return 0;
}

static int parse_tensors(const char *file, const char *group, json_t *obj, const task_definition *d,
                         task_tensor **out, int *n, char *err, size_t errlen)
{
    if (!json_is_object(obj))
        return errbuf_fail(err, errlen, "%s: key '%s': expected an object, found %s", file, group,
                           obj ? json_kind(obj) : "nothing");
    if (json_object_size(obj) > TASK_MAX_TENSORS)
        return errbuf_fail(err, errlen, "%s: key '%s': %zu tensors (at most %d)", file, group,
                           json_object_size(obj), TASK_MAX_TENSORS);
    *out = calloc(json_object_size(obj) + 1, sizeof **out);
    if (!*out) return errbuf_fail(err, errlen, "%s: out of memory", file);
    const char *name;
    json_t *v;
    json_object_foreach(obj, name, v)
    {
        if (parse_tensor(file, group, name, v, d, &(*out)[*n], err, errlen)) return -1;
        (*n)++;
    }
    return 0;
}

int task_parse_string_list(const char *file, const char *key, json_t *arr, char ***out, int *n,
                           char *err, size_t errlen)
{
    if (!arr || json_is_null(arr)) return 0;
    if (!json_is_array(arr))
        return errbuf_fail(err, errlen, "%s: key '%s': expected a list of strings", file, key);
    *out = calloc(json_array_size(arr) + 1, sizeof **out);
    if (!*out) return errbuf_fail(err, errlen, "%s: out of memory", file);
    size_t i;
    json_t *s;
    json_array_foreach(arr, i, s)
    {
        if (!json_is_string(s))
            return errbuf_fail(err, errlen, "%s: key '%s[%zu]': expected a string, found %s", file,
                               key, i, json_kind(s));
        (*out)[(*n)++] = strdup(json_string_value(s));
    }
    return 0;
}

static int optional_string(const char *file, json_t *root, const char *key, char **out, char *err,
                           size_t errlen)
{
    json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v))
        return errbuf_fail(err, errlen, "%s: key '%s': expected a string, found %s", file, key,
                           json_kind(v));
    *out = strdup(json_string_value(v));
    return 0;
}

static int definition_from_json(const char *file, json_t *root, task_definition *d, char *err,
                                size_t errlen)
{
    static const char *const keys[] = {"name",        "op_type", "description", "tags",      "axes",
                                       "constraints", "inputs",  "outputs",     "reference", NULL};
    if (!json_is_object(root))
        return errbuf_fail(err, errlen, "%s: expected a JSON object, found %s", file,
                           json_kind(root));
    const char *bad = task_unknown_key(root, keys);
    if (bad) return errbuf_fail(err, errlen, "%s: key '%s': unknown key", file, bad);
    const char *name = json_string_value(json_object_get(root, "name"));
    if (!name) return errbuf_fail(err, errlen, "%s: key 'name': missing (a string)", file);
    char shown[3 * TASK_NAME];
    if (task_copy_name(d->name, name))
        return errbuf_fail(err, errlen, "%s: key 'name': '%s' is empty or longer than %d bytes",
                           file, safe_text(name, shown, sizeof shown), TASK_NAME - 1);
    /* The name and op_type become folder and file names (export, dataset lookup). */
    if (!safe_name(name))
        return errbuf_fail(err, errlen,
                           "%s: key 'name': '%s' is not a plain name (letters, digits, '.', '_', "
                           "'-'; no leading dot)",
                           file, safe_text(name, shown, sizeof shown));
    json_t *op = json_object_get(root, "op_type");
    if (op && !json_is_string(op))
        return errbuf_fail(err, errlen, "%s: key 'op_type': expected a string", file);
    if (op && task_copy_name(d->op_type, json_string_value(op)))
        return errbuf_fail(err, errlen, "%s: key 'op_type': empty or too long", file);
    if (op && !safe_name(d->op_type))
        return errbuf_fail(err, errlen,
                           "%s: key 'op_type': '%s' is not a plain name (letters, digits, '.', "
                           "'_', '-'; no leading dot)",
                           file, safe_text(d->op_type, shown, sizeof shown));
    if (optional_string(file, root, "description", &d->description, err, errlen) ||
        optional_string(file, root, "reference", &d->reference_code, err, errlen))
        return -1;
    char **tags = NULL;
    int ntags = 0;
    int rc = task_parse_string_list(file, "tags", json_object_get(root, "tags"), &tags, &ntags, err,
                                    errlen);
    for (int i = 0; i < ntags; i++)
        free(tags[i]);
    free(tags);
    if (rc) return -1;
    if (task_parse_string_list(file, "constraints", json_object_get(root, "constraints"),
                               &d->constraints, &d->nconstraints, err, errlen))
        return -1;
    json_t *axes = json_object_get(root, "axes");
    if (!axes) return errbuf_fail(err, errlen, "%s: key 'axes': missing", file);
    if (parse_axes(file, axes, d, err, errlen)) return -1;
    if (parse_tensors(file, "inputs", json_object_get(root, "inputs"), d, &d->inputs, &d->ninputs,
                      err, errlen) ||
        parse_tensors(file, "outputs", json_object_get(root, "outputs"), d, &d->outputs,
                      &d->noutputs, err, errlen))
        return -1;
    if (d->noutputs == 0) return errbuf_fail(err, errlen, "%s: key 'outputs': no outputs", file);
    for (int i = 0; i < d->noutputs; i++) {
        for (int j = 0; j < d->ninputs; j++)
            if (!strcmp(d->outputs[i].name, d->inputs[j].name))
                return errbuf_fail(err, errlen, "%s: key 'outputs.%s': also the name of an input",
                                   file, d->outputs[i].name);
        if (d->outputs[i].optional)
            return errbuf_fail(err, errlen,
                               "%s: key 'outputs.%s.optional': outputs cannot be optional", file,
                               d->outputs[i].name);
    }
    return 0;
}

int task_load_definition(const char *path, task_definition *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_t *root =
        json_limits_load_file(path, &json_limits_data, JSON_REJECT_DUPLICATES, err, errlen);
    if (!root) return -1;
    int rc = definition_from_json(path, root, out, err, errlen);
    json_decref(root);
    if (rc) task_definition_free(out);
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* workloads                                                                            */

void task_workloads_free(task_workload *w, int n)
{
    if (!w) return;
    for (int i = 0; i < n; i++) {
        free(w[i].axis_names);
        free(w[i].axis_values);
        free(w[i].inputs);
    }
    free(w);
}

static int find_input(const task_definition *d, const char *name)
{
    for (int i = 0; i < d->ninputs; i++)
        if (!strcmp(d->inputs[i].name, name)) return i;
    return -1;
}

static int parse_gen(const char *loc, const char *uuid, const char *name, json_t *v,
                     const task_tensor *x, task_input_gen *g, char *err, size_t errlen)
{
    static const char *const keys[] = {"type", "value", "path", "tensor_key", NULL};
    if (!json_is_object(v))
        return errbuf_fail(err, errlen, "%s: workload %s: input '%s': expected an object", loc,
                           uuid, name);
    const char *bad = task_unknown_key(v, keys);
    if (bad)
        return errbuf_fail(err, errlen, "%s: workload %s: input '%s': unknown key '%s'", loc, uuid,
                           name, bad);
    const char *type = json_string_value(json_object_get(v, "type"));
    if (!type)
        return errbuf_fail(err, errlen,
                           "%s: workload %s: input '%s': key 'type' missing (random, scalar or "
                           "safetensors)",
                           loc, uuid, name);
    strcpy(g->name, name);
    if (!strcmp(type, "random")) {
        g->kind = GEN_RANDOM;
    } else if (!strcmp(type, "scalar")) {
        json_t *val = json_object_get(v, "value");
        if (!json_is_number(val))
            return errbuf_fail(err, errlen,
                               "%s: workload %s: input '%s': a scalar needs a numeric "
                               "'value'",
                               loc, uuid, name);
        if (!x->is_scalar)
            return errbuf_fail(
                err, errlen,
                "%s: workload %s: input '%s' has shape [%s%s] but is given as a scalar", loc, uuid,
                name, x->ndim ? x->dims[0] : "", x->ndim > 1 ? ", ..." : "");
        g->kind = GEN_SCALAR;
        g->scalar = json_number_value(val);
    } else if (!strcmp(type, "safetensors")) {
        const char *path = json_string_value(json_object_get(v, "path"));
        const char *key = json_string_value(json_object_get(v, "tensor_key"));
        if (!path || !key)
            return errbuf_fail(err, errlen,
                               "%s: workload %s: input '%s': safetensors needs 'path' and "
                               "'tensor_key' strings",
                               loc, uuid, name);
        if (strlen(path) >= sizeof g->path || strlen(key) >= sizeof g->tensor_key)
            return errbuf_fail(err, errlen,
                               "%s: workload %s: input '%s': path or tensor_key too long", loc,
                               uuid, name);
        /* A blob lies inside the dataset: relative, no "..", checked again by its real path
         * when it is resolved (task_check_blobs). */
        if (!safe_relpath(path)) {
            char shown[3 * sizeof g->path];
            return errbuf_fail(err, errlen,
                               "%s: workload %s: input '%s': key 'path': '%s' leaves the dataset "
                               "folder (a blob path is relative to it, without '..')",
                               loc, uuid, name, safe_text(path, shown, sizeof shown));
        }
        g->kind = GEN_SAFETENSORS;
        strcpy(g->path, path);
        strcpy(g->tensor_key, key);
    } else {
        return errbuf_fail(err, errlen,
                           "%s: workload %s: input '%s': unknown type '%s' (random, "
                           "scalar or safetensors)",
                           loc, uuid, name, type);
    }
    return 0;
}

static int workload_axes(const char *loc, json_t *axes, const task_definition *d, task_workload *w,
                         char *err, size_t errlen)
{
    if (!json_is_object(axes))
        return errbuf_fail(err, errlen, "%s: workload %s: key 'axes': expected an object", loc,
                           w->uuid);
    const char *k;
    json_t *v;
    json_object_foreach(axes, k, v)
    {
        int a = task_find_axis(d, k);
        if (a < 0 || !d->axes[a].is_var)
            return errbuf_fail(err, errlen, "%s: workload axis '%s' is not a var axis of %s", loc,
                               k, d->name);
    }
    int nvar = 0;
    for (int i = 0; i < d->naxes; i++)
        nvar += d->axes[i].is_var;
    w->axis_names = calloc((size_t)nvar + 1, sizeof *w->axis_names);
    w->axis_values = calloc((size_t)nvar + 1, sizeof *w->axis_values);
    if (!w->axis_names || !w->axis_values)
        return errbuf_fail(err, errlen, "%s: out of memory", loc);
    size_t used = 0;
    for (int i = 0; i < d->naxes; i++) {
        if (!d->axes[i].is_var) continue;
        json_t *val = json_object_get(axes, d->axes[i].name);
        if (!val)
            return errbuf_fail(err, errlen, "%s: workload %s: var axis '%s' has no value", loc,
                               w->uuid, d->axes[i].name);
        if (!json_is_integer(val) || json_integer_value(val) < 0)
            return errbuf_fail(err, errlen,
                               "%s: workload %s: axis '%s': expected a non-negative "
                               "integer, found %s",
                               loc, w->uuid, d->axes[i].name, json_kind(val));
        strcpy(w->axis_names[w->naxes], d->axes[i].name);
        w->axis_values[w->naxes] = json_integer_value(val);
        int m = snprintf(w->label + used, sizeof w->label - used, "%s%s=%lld", used ? "," : "",
                         d->axes[i].name, (long long)w->axis_values[w->naxes]);
        if (m > 0)
            used = used + (size_t)m < sizeof w->label ? used + (size_t)m : sizeof w->label - 1;
        w->naxes++;
    }
    return 0;
}

static int workload_inputs(const char *loc, json_t *inputs, const task_definition *d,
                           task_workload *w, char *err, size_t errlen)
{
    if (!json_is_object(inputs))
        return errbuf_fail(err, errlen, "%s: workload %s: key 'inputs': expected an object", loc,
                           w->uuid);
    const char *k;
    json_t *v;
    json_object_foreach(inputs, k, v)
    {
        if (find_input(d, k) < 0)
            return errbuf_fail(err, errlen, "%s: workload %s: '%s' is not an input of %s", loc,
                               w->uuid, k, d->name);
    }
    w->inputs = calloc((size_t)d->ninputs + 1, sizeof *w->inputs);
    if (!w->inputs) return errbuf_fail(err, errlen, "%s: out of memory", loc);
    for (int i = 0; i < d->ninputs; i++) {
        const task_tensor *x = &d->inputs[i];
        json_t *g = json_object_get(inputs, x->name);
        if (!g) {
            if (!x->optional)
                return errbuf_fail(err, errlen, "%s: workload %s: input '%s' is missing", loc,
                                   w->uuid, x->name);
            strcpy(w->inputs[i].name, x->name);
            w->inputs[i].kind = GEN_ABSENT;
            continue;
        }
        if (parse_gen(loc, w->uuid, x->name, g, x, &w->inputs[i], err, errlen)) return -1;
    }
    w->ninputs = d->ninputs;
    return 0;
}

/* Every tensor of workload w sized, against TASK_MAX_TENSOR_BYTES each and all together:
 * a workload with absurd axes (a float32 input of 2^60 rows) is refused here, by line,
 * workload and tensor, instead of wrapping into a small allocation on a GPU later. */
static int workload_sizes(const char *loc, const task_definition *d, const task_workload *w,
                          char *err, size_t errlen)
{
    int64_t total = 0;
    for (int k = 0; k < d->ninputs + d->noutputs; k++) {
        const task_tensor *x = k < d->ninputs ? &d->inputs[k] : &d->outputs[k - d->ninputs];
        char shape[TASK_MAX_DIMS * (TASK_NAME + 24) + 4] = "[";
        int64_t n = 1, size = dtype_size(x->dtype);
        int over = 0;
        for (int i = 0; i < x->ndim; i++) {
            int a = task_find_axis(d, x->dims[i]);
            int64_t v = a >= 0 ? d->axes[a].value : 0;
            for (int j = 0; a >= 0 && d->axes[a].is_var && j < w->naxes; j++)
                if (!strcmp(w->axis_names[j], x->dims[i])) v = w->axis_values[j];
            size_t len = strlen(shape);
            snprintf(shape + len, sizeof shape - len, "%s%s=%lld", i ? ", " : "", x->dims[i],
                     (long long)v);
            if (v && n > INT64_MAX / v) over = 1;
            if (!over) n *= v;
        }
        strcat(shape, "]");
        if (!over && n > INT64_MAX / size) over = 1;
        const char *kind = k < d->ninputs ? "input" : "output";
        if (over)
            return errbuf_fail(err, errlen,
                               "%s: workload %s: %s '%s' %s %s: its size overflows 64 bits (the "
                               "bound is 1 TiB a tensor, more than any one device holds)",
                               loc, w->uuid, kind, x->name, shape, dtype_name(x->dtype));
        if (n * size > TASK_MAX_TENSOR_BYTES)
            return errbuf_fail(err, errlen,
                               "%s: workload %s: %s '%s' %s %s is %lld bytes, above the bound of "
                               "1 TiB a tensor (more than any one device holds)",
                               loc, w->uuid, kind, x->name, shape, dtype_name(x->dtype),
                               (long long)(n * size));
        total += n * size;
        if (total > TASK_MAX_TENSOR_BYTES)
            return errbuf_fail(err, errlen,
                               "%s: workload %s: its tensors need %lld bytes together (up to %s "
                               "'%s'), above the bound of 1 TiB a workload (more than any one "
                               "device holds)",
                               loc, w->uuid, (long long)total, kind, x->name);
    }
    return 0;
}

/* One JSONL line. Returns 1 if it is a workload of d (filled in), 0 if it belongs to
 * another definition, -1 on error. */
static int parse_workload_line(const char *loc, const char *line, const task_definition *d,
                               task_workload *w, char *err, size_t errlen)
{
    static const char *const keys[] = {"definition", "solution", "workload", "evaluation", NULL};
    static const char *const wkeys[] = {"uuid", "axes", "inputs", NULL};
    json_error_t je;
    size_t len = strcspn(line, "\r\n");
    if (json_limits_check(line, len, &json_limits_line, loc, 1, err, errlen)) return -1;
    json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return errbuf_fail(err, errlen, "%s:%d: invalid JSON: %s", loc,
                           je.column > 0 ? je.column : je.position, je.text);
    int rc = -1;
    const char *bad, *def;
    json_t *wl;
    if (!json_is_object(root)) {
        errbuf_fail(err, errlen, "%s: expected a JSON object, found %s", loc, json_kind(root));
        goto out;
    }
    if ((bad = task_unknown_key(root, keys))) {
        errbuf_fail(err, errlen, "%s: key '%s': unknown key", loc, bad);
        goto out;
    }
    def = json_string_value(json_object_get(root, "definition"));
    if (!def) {
        errbuf_fail(err, errlen, "%s: key 'definition': missing (the definition's name)", loc);
        goto out;
    }
    if (strcmp(def, d->name)) {
        rc = 0;
        goto out;
    }
    wl = json_object_get(root, "workload");
    if (!json_is_object(wl)) {
        errbuf_fail(err, errlen, "%s: key 'workload': expected an object", loc);
        goto out;
    }
    if ((bad = task_unknown_key(wl, wkeys))) {
        errbuf_fail(err, errlen, "%s: key 'workload.%s': unknown key", loc, bad);
        goto out;
    }
    const char *uuid = json_string_value(json_object_get(wl, "uuid"));
    if (!uuid || !uuid[0] || strlen(uuid) >= sizeof w->uuid) {
        errbuf_fail(err, errlen, "%s: key 'workload.uuid': expected a non-empty string", loc);
        goto out;
    }
    strcpy(w->uuid, uuid);
    if (workload_axes(loc, json_object_get(wl, "axes"), d, w, err, errlen) ||
        workload_inputs(loc, json_object_get(wl, "inputs"), d, w, err, errlen) ||
        workload_sizes(loc, d, w, err, errlen))
        goto out;
    rc = 1;
out:
    json_decref(root);
    return rc;
}

static int only_space(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return 0;
    return 1;
}

int task_load_workloads(const char *path, const task_definition *def, task_workload **out,
                        char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return errbuf_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    task_workload *ws = NULL;
    int n = 0, cap = 0, lineno = 0, rc = 0;
    char *line = NULL;
    size_t lcap = 0, total = 0;
    char loc[600];
    long len;
    while ((len = file_read_line(f, &line, &lcap, json_limits_line.max_bytes)) >= 0) {
        lineno++;
        if ((total += (size_t)len) > JSON_LIMITS_JSONL_BYTES) {
            rc = errbuf_fail(err, errlen,
                             "%s:%d: the file passes %u bytes (the limit for a "
                             "workloads file)",
                             path, lineno, JSON_LIMITS_JSONL_BYTES);
            break;
        }
        if (only_space(line)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            task_workload *nw = realloc(ws, (size_t)cap * sizeof *ws);
            if (!nw) {
                rc = errbuf_fail(err, errlen, "%s: out of memory", path);
                break;
            }
            ws = nw;
        }
        memset(&ws[n], 0, sizeof ws[n]);
        snprintf(loc, sizeof loc, "%s:%d", path, lineno);
        int r = parse_workload_line(loc, line, def, &ws[n], err, errlen);
        if (r < 0) {
            n++;
            rc = -1;
            break;
        }
        if (r == 1 && n == JSON_LIMITS_JSONL_RECORDS) {
            rc = errbuf_fail(err, errlen,
                             "%s: more than %d workloads of %s (the limit for a "
                             "workloads file)",
                             loc, JSON_LIMITS_JSONL_RECORDS, def->name);
            n++;
            break;
        }
        if (r == 1) {
            for (int j = 0; j < n; j++)
                if (!strcmp(ws[j].uuid, ws[n].uuid)) {
                    rc = errbuf_fail(err, errlen, "%s: workload uuid %s repeats line %d's", loc,
                                     ws[n].uuid, j + 1);
                    break;
                }
            n++;
            if (rc) break;
        } else {
            free(ws[n].axis_names);
            free(ws[n].axis_values);
            free(ws[n].inputs);
        }
    }
    if (!rc && len == -2)
        rc = errbuf_fail(err, errlen, "%s:%d: longer than %zu bytes (the limit for %s)", path,
                         lineno + 1, json_limits_line.max_bytes, json_limits_line.what);
    else if (!rc && len == -1 && errno)
        rc = errbuf_fail(err, errlen, "%s:%d: cannot read: %s", path, lineno + 1, strerror(errno));
    free(line);
    fclose(f);
    if (rc) {
        task_workloads_free(ws, n);
        return -1;
    }
    *out = ws;
    return n;
}

/* Where blob g of workload w lives: 0 with full set (its real path) when it is a regular file
 * inside the dataset root (real path root_real), 1 when it does not exist, -1 with err when it
 * exists but escapes the root or is not a regular file. An absolute g->path is one resolved by
 * an earlier call (workloads refuse absolute paths), checked the same way. */
static int resolve_blob(const task_workload *w, const task_input_gen *g, const char *root,
                        const char *root_real, char *full, size_t n, char *err, size_t errlen)
{
    char joined[1200], real[PATH_MAX];
    const char *rel = !strncmp(g->path, "./", 2) ? g->path + 2 : g->path;
    task_join_path(joined, sizeof joined, root, rel);
    snprintf(full, n, "%s", joined);
    if (!realpath(joined, real)) {
        if (errno == ENOENT || errno == ENOTDIR) return 1;
        return errbuf_fail(err, errlen, "workload %s (%s): input '%s': blob '%s': %s: %s", w->uuid,
                           w->label, g->name, g->path, joined, strerror(errno));
    }
    if (!safe_inside(root_real, real))
        return errbuf_fail(err, errlen,
                           "workload %s (%s): input '%s': blob '%s' resolves to %s, outside the "
                           "dataset folder %s",
                           w->uuid, w->label, g->name, g->path, real, root_real);
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
        return errbuf_fail(err, errlen,
                           "workload %s (%s): input '%s': blob '%s' (%s) is not a regular file",
                           w->uuid, w->label, g->name, g->path, real);
    if (strlen(real) >= sizeof g->path)
        return errbuf_fail(err, errlen, "workload %s (%s): input '%s': blob path %s is too long",
                           w->uuid, w->label, g->name, real);
    snprintf(full, n, "%s", real);
    return 0;
}

int task_check_blobs(task_workload *w, int n, const char *dataset_root, int policy, char *err,
                     size_t errlen)
{
    int fallbacks = 0;
    char root_real[PATH_MAX] = "";
    const char *root = dataset_root && *dataset_root ? dataset_root : ".";
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < w[i].ninputs; j++) {
            task_input_gen *g = &w[i].inputs[j];
            if (g->kind != GEN_SAFETENSORS) continue;
            if (!root_real[0] && !realpath(root, root_real))
                return errbuf_fail(err, errlen, "%s: cannot resolve the dataset folder: %s", root,
                                   strerror(errno));
            char full[PATH_MAX + 1200];
            int r = resolve_blob(&w[i], g, root, root_real, full, sizeof full, err, errlen);
            if (r < 0) return -1;
            if (r == 0) {
                /* Resolved once, to its real path, so the gate opens it without knowing the
                 * root and a second call finds it again. */
                strcpy(g->path, full);
                continue;
            }
            if (policy == 0)
                return errbuf_fail(err, errlen,
                                   "workload %s (%s): input '%s': safetensors blob '%s' not found "
                                   "(looked for %s); the dataset's blob store is missing",
                                   w[i].uuid, w[i].label, g->name, g->path, full);
            g->kind = GEN_RANDOM;
            fallbacks++;
        }
    }
    return fallbacks;
}
