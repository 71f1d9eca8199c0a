/* config_validate.c -- checks a configuration tree against the schema table and words the
 * errors (see config_validate.h).
 *
 * The walk follows the user's tree, not the schema: each member is looked up by its schema
 * path ("islands.features[].bins" for "islands.features[1].bins"), so unknown keys are found
 * where they are written and the nearest valid key at that level can be suggested. Messages
 * quote the user's own text for the offending value (3.0 stays 3.0) via the position map. */
#include "config_validate.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_schema.h"
#include "evo.h"
#include "safe_path.h"

#define PATH_MAX_LEN 512
#define EXPECT_LEN 256
#define FOUND_LEN 96

/* Paths longer than PATH_MAX_LEN are cut: they only appear in messages and lookups of
 * positions, and no schema path comes near that length. */
static void path_fmt(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void path_fmt(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, PATH_MAX_LEN, fmt, ap);
    va_end(ap);
}

/* ---- messages ----------------------------------------------------------------------- */

static const config_pos *pos_near(const config_ctx *c, const char *path)
{
    char buf[PATH_MAX_LEN];
    path_fmt(buf, "%s", path);
    for (;;) {
        const config_pos *p = config_pos_find(&c->pos, buf);
        if (p || !*buf) return p;
        char *cut = strrchr(buf, '.'), *br = strrchr(buf, '[');
        if (br > cut) cut = br;
        if (cut)
            *cut = 0;
        else
            *buf = 0;
    }
}

int config_fail(config_ctx *c, const char *path, int at_key, const char *fmt, ...)
{
    if (!c->err || !c->errlen) return EVO_ECONFIG;
    const config_pos *p = pos_near(c, path);
    int line = 1, col = 1;
    if (p && at_key && p->key_line) {
        line = p->key_line;
        col = p->key_col;
    } else if (p) {
        line = p->line;
        col = p->col;
    }
    int n = snprintf(c->err, c->errlen, "%s:%d:%d: ", c->name, line, col);
    if (n < 0 || (size_t)n >= c->errlen) return EVO_ECONFIG;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return EVO_ECONFIG;
}

static const char *kind_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_NULL:
        return "null";
    default:
        return NULL;
    }
}

void config_found(const config_ctx *c, const char *path, const json_t *v, char *buf, size_t len)
{
    const char *kind = v ? kind_name(v) : NULL;
    if (kind) {
        snprintf(buf, len, "%s", kind);
        return;
    }
    const config_pos *p = config_pos_find(&c->pos, path);
    if (p && p->len) {
        const char *t = c->text + p->off;
        if (p->len > 48)
            snprintf(buf, len, "%.44s...%s", t, *t == '"' ? "\"" : "");
        else
            snprintf(buf, len, "%.*s", (int)p->len, t);
        return;
    }
    char *dump = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    snprintf(buf, len, "%s", dump ? dump : "nothing");
    free(dump);
}

static int fail_expected(config_ctx *c, const config_key *k, const char *path, const json_t *v)
{
    char exp[EXPECT_LEN], found[FOUND_LEN];
    config_schema_expected(k, exp, sizeof exp);
    config_found(c, path, v, found, sizeof found);
    return config_fail(c, path, 0, "key '%s': expected %s, found %s", path, exp, found);
}

/* ---- paths and names ---------------------------------------------------------------- */

static void join(char *out, const char *prefix, const char *key)
{
    if (*prefix)
        path_fmt(out, "%s.%s", prefix, key);
    else
        path_fmt(out, "%s", key);
}

/* "apiKey", "API_KEY", "api-key" all name a secret. */
static int is_api_key(const char *key)
{
    char norm[16];
    size_t n = 0;
    for (const char *p = key; *p; p++) {
        if (*p == '_' || *p == '-') continue;
        if (n + 1 >= sizeof norm) return 0;
        norm[n++] = (char)tolower((unsigned char)*p);
    }
    norm[n] = 0;
    return strcmp(norm, "apikey") == 0;
}

static int fail_api_key(config_ctx *c, const char *path)
{
    return config_fail(c, path, 1,
                       "key '%s': an API key must not be written in a config file; put it in "
                       "an environment variable and name that variable with 'api_key_env'",
                       path);
}

static int check_no_api_key(config_ctx *c, const json_t *v, const char *path)
{
    char child[PATH_MAX_LEN];
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            path_fmt(child, "%s[%zu]", path, i);
            if (check_no_api_key(c, json_array_get(v, i), child) != EVO_OK) return EVO_ECONFIG;
        }
        return EVO_OK;
    }
    if (!json_is_object(v)) return EVO_OK;
    const char *key;
    json_t *m;
    json_object_foreach((json_t *)v, key, m)
    {
        join(child, path, key);
        if (is_api_key(key)) return fail_api_key(c, child);
        if (check_no_api_key(c, m, child) != EVO_OK) return EVO_ECONFIG;
    }
    return EVO_OK;
}

static int is_opname(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 31) return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static int is_ident(const char *s, size_t maxlen)
{
    size_t n = strlen(s);
    if (n < 1 || n > maxlen || isdigit((unsigned char)*s)) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

static size_t levenshtein(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return (size_t)-1;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *config_nearest(const char *s, const char *const *names, int n)
{
    size_t limit = strlen(s) <= 5 ? 1 : 2, best_d = (size_t)-1;
    const char *best = NULL;
    for (int i = 0; i < n; i++) {
        size_t d = levenshtein(s, names[i]);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    return best && best_d > 0 && best_d <= limit ? best : NULL;
}

/* A map member that is no shipped operator but one or two edits from one ("pointt") is a
 * typo: refused, as an unknown key is. Names further off may be operators a program adds
 * (evo_engine_add_operator); the engine refuses those it was not given when the run starts. */
static int check_opname_typo(config_ctx *c, const json_t *shipped, const char *key,
                             const char *child)
{
    if (json_object_get(shipped, key)) return EVO_OK;
    const char *names[32];
    int n = 0;
    const char *name;
    json_t *w;
    json_object_foreach((json_t *)shipped, name, w) if (n < 32) names[n++] = name;
    const char *near = config_nearest(key, names, n);
    if (!near) return EVO_OK;
    return config_fail(c, child, 1, "key '%s': unknown operator '%s' (did you mean '%s'?)", child,
                       key, near);
}

/* The name of the schema child of sprefix in entry path p ("kind" of
 * "islands.features[].kind" under "islands.features[]"), copied to out; 0 if none. */
static int child_name(const char *sprefix, const char *p, char *out, size_t len)
{
    size_t n = strlen(sprefix);
    if (n) {
        if (strncmp(p, sprefix, n) != 0 || p[n] != '.') return 0;
        p += n + 1;
    }
    size_t m = strcspn(p, ".[");
    if (m == 0 || m >= len || (m == 1 && *p == '*')) return 0;
    memcpy(out, p, m);
    out[m] = 0;
    return 1;
}

static int fail_unknown(config_ctx *c, const char *path, const char *sprefix, const char *key)
{
    char dotted[PATH_MAX_LEN];
    join(dotted, sprefix, key);
    if (strchr(key, '.') && (config_schema_find(dotted) || config_schema_has_children(dotted)))
        return config_fail(c, path, 1,
                           "unknown key '%s' (a dotted path is not a key: nest "
                           "objects instead, as in {\"%.*s\": {...}})",
                           path, (int)strcspn(key, "."), key);
    char names[128][64], best[64] = "", list[1024] = "";
    int nn = 0;
    size_t best_d = (size_t)-1, used = 0;
    size_t limit = strlen(key) / 3 > 2 ? strlen(key) / 3 : 2;
    int n = config_schema_count();
    for (int i = 0; i < n && nn < 128; i++) {
        if (!child_name(sprefix, config_schema_at(i)->path, names[nn], sizeof names[nn])) continue;
        int seen = 0;
        for (int j = 0; j < nn && !seen; j++)
            seen = strcmp(names[j], names[nn]) == 0;
        if (seen) continue;
        if (used < sizeof list)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", nn ? ", " : "",
                                     names[nn]);
        size_t d = levenshtein(key, names[nn]);
        if (d < best_d) {
            best_d = d;
            memcpy(best, names[nn], sizeof best);
        }
        nn++;
    }
    const char *dot = strrchr(path, '.');
    int plen = dot ? (int)(dot - path + 1) : 0;
    if (best_d <= limit)
        return config_fail(c, path, 1, "unknown key '%s' (did you mean '%.*s%s'?)", path, plen,
                           path, best);
    return config_fail(c, path, 1, "unknown key '%s' (valid keys here: %s)", path, list);
}

/* ---- values ------------------------------------------------------------------------- */

static int in_bounds(const config_key *k, double x)
{
    if ((k->flags & CK_MIN) && (k->flags & CK_MIN_EXCL) && !(x > k->min)) return 0;
    if ((k->flags & CK_MIN) && x < k->min) return 0;
    if ((k->flags & CK_MAX) && x > k->max) return 0;
    return 1;
}

static int check_int(config_ctx *c, const config_key *k, const json_t *v, const char *path)
{
    if (!json_is_integer(v) || !in_bounds(k, (double)json_integer_value(v)))
        return fail_expected(c, k, path, v);
    return EVO_OK;
}

static int has_allowed(const char *allowed, const char *s)
{
    size_t n = strlen(s);
    for (const char *a = allowed; *a;) {
        size_t m = strcspn(a, "|");
        if (m == n && strncmp(a, s, n) == 0) return 1;
        a += m + (a[m] == '|');
    }
    return 0;
}

/* Whether an http(s) URL carries credentials: an '@' in its authority (between "://" and the
 * first '/', '?' or '#'). */
static int url_has_userinfo(const char *s)
{
    const char *a = strstr(s, "://");
    if (!a) return 0;
    for (a += 3; *a && *a != '/' && *a != '?' && *a != '#'; a++)
        if (*a == '@') return 1;
    return 0;
}

static int check_string(config_ctx *c, const config_key *k, const json_t *v, const char *path)
{
    if (!json_is_string(v)) return fail_expected(c, k, path, v);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (k->allowed && !has_allowed(k->allowed, s)) return fail_expected(c, k, path, v);
    if ((k->flags & CK_URL) && strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
        return fail_expected(c, k, path, v);
    if ((k->flags & CK_URL) && url_has_userinfo(s))
        /* Not quoted back: the part before '@' is a user name and likely a password. */
        return config_fail(c, path, 0,
                           "key '%s': expected a URL without credentials, found one with a "
                           "user name or password before '@' (the key belongs in the "
                           "environment variable named by api_key_env)",
                           path);
    if ((k->flags & CK_ENVNAME) && n && !is_ident(s, 127))
        /* Not quoted back: a value here that is no variable name may be the key itself. */
        return config_fail(c, path, 0,
                           "key '%s': expected the name of an environment variable "
                           "([A-Za-z_][A-Za-z0-9_]*), found a value that is not one",
                           path);
    if (k->maxlen && n > (size_t)k->maxlen) {
        char found[FOUND_LEN];
        config_found(c, path, v, found, sizeof found);
        return config_fail(c, path, 0,
                           "key '%s': expected a string of at most %d bytes, "
                           "found %zu bytes: %s",
                           path, k->maxlen, n, found);
    }
    if (memchr(s, 0, n))
        return config_fail(c, path, 0, "key '%s': expected a string without NUL characters", path);
    return EVO_OK;
}

static int check_count(config_ctx *c, const config_key *k, size_t n, const char *path)
{
    if (k->minlen && n < (size_t)k->minlen)
        return config_fail(c, path, 0, "key '%s': expected at least %d element%s, found %zu", path,
                           k->minlen, k->minlen == 1 ? "" : "s", n);
    if (k->maxlen && n > (size_t)k->maxlen)
        return config_fail(c, path, 0, "key '%s': expected at most %d element%s, found %zu", path,
                           k->maxlen, k->maxlen == 1 ? "" : "s", n);
    return EVO_OK;
}

static int validate_object(config_ctx *c, const json_t *obj, const char *path, const char *spath);

static int check_array(config_ctx *c, const config_key *k, const json_t *v, const char *path)
{
    if (!json_is_array(v)) return fail_expected(c, k, path, v);
    if (check_count(c, k, json_array_size(v), path) != EVO_OK) return EVO_ECONFIG;
    char elem[PATH_MAX_LEN], selem[PATH_MAX_LEN];
    path_fmt(selem, "%s[]", k->path);
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *e = json_array_get(v, i);
        path_fmt(elem, "%s[%zu]", path, i);
        char exp[EXPECT_LEN], found[FOUND_LEN];
        const char *want = NULL;
        if (k->type == CT_OBJECTS && !json_is_object(e))
            want = "an object";
        else if (k->type == CT_STRINGS && !json_is_string(e))
            want = "a string";
        if (want) {
            config_found(c, elem, e, found, sizeof found);
            return config_fail(c, elem, 0, "key '%s': expected %s, found %s", elem, want, found);
        }
        if (k->type == CT_INTS &&
            (!json_is_integer(e) || !in_bounds(k, (double)json_integer_value(e)))) {
            config_key one = *k;
            one.type = CT_INT;
            config_schema_expected(&one, exp, sizeof exp);
            config_found(c, elem, e, found, sizeof found);
            return config_fail(c, elem, 0, "key '%s': expected %s, found %s", elem, exp, found);
        }
        if (k->type == CT_OBJECTS && validate_object(c, e, elem, selem) != EVO_OK)
            return EVO_ECONFIG;
    }
    return EVO_OK;
}

/* Members of a map named in neither the defaults nor the user's object count once each. */
static size_t map_size_with_defaults(const config_key *k, const json_t *v)
{
    json_t *def = k->def ? json_loads(k->def, 0, NULL) : NULL;
    size_t n = json_object_size(def);
    const char *key;
    json_t *m;
    json_object_foreach((json_t *)v, key, m) n += json_object_get(def, key) == NULL;
    json_decref(def);
    return n;
}

static int check_map_member(config_ctx *c, const config_key *k, const config_key *vk,
                            const json_t *shipped, const char *key, const json_t *m,
                            const char *child)
{
    if (is_api_key(key)) return fail_api_key(c, child);
    int ok = (k->flags & CK_OPNAME) ? is_opname(key) : is_ident(key, 63);
    if (!ok)
        return config_fail(
            c, child, 1, "key '%s': expected a name matching %s, found \"%s\"", child,
            (k->flags & CK_OPNAME) ? "[a-z0-9_-]{1,31}" : "[A-Za-z_][A-Za-z0-9_]{0,62}", key);
    if (shipped && check_opname_typo(c, shipped, key, child) != EVO_OK) return EVO_ECONFIG;
    if (vk && vk->type == CT_INT && check_int(c, vk, m, child) != EVO_OK) return EVO_ECONFIG;
    if (vk && vk->type == CT_NUMBER && (!json_is_number(m) || !in_bounds(vk, json_number_value(m))))
        return fail_expected(c, vk, child, m);
    return EVO_OK;
}

static int check_map(config_ctx *c, const config_key *k, const json_t *v, const char *path)
{
    if (!json_is_object(v)) return fail_expected(c, k, path, v);
    char spath[PATH_MAX_LEN], child[PATH_MAX_LEN];
    path_fmt(spath, "%s.*", k->path);
    const config_key *vk = config_schema_find(spath);
    /* The default of an operator map names the shipped operators. */
    json_t *shipped = (k->flags & CK_OPNAME) && k->def ? json_loads(k->def, 0, NULL) : NULL;
    int rc = EVO_OK;
    const char *key;
    json_t *m;
    json_object_foreach((json_t *)v, key, m)
    {
        join(child, path, key);
        rc = check_map_member(c, k, vk, shipped, key, m, child);
        if (rc != EVO_OK) break;
    }
    json_decref(shipped);
    if (rc != EVO_OK) return rc;
    size_t n = map_size_with_defaults(k, v);
    if (k->maxlen && n > (size_t)k->maxlen)
        return config_fail(c, path, 0,
                           "key '%s': expected at most %d members (defaults "
                           "included), found %zu",
                           path, k->maxlen, n);
    return EVO_OK;
}

static int check_value(config_ctx *c, const config_key *k, const json_t *v, const char *path)
{
    switch (k->type) {
    case CT_INT:
        return check_int(c, k, v, path);
    case CT_NUMBER:
        if (!json_is_number(v) || !in_bounds(k, json_number_value(v)))
            return fail_expected(c, k, path, v);
        return EVO_OK;
    case CT_BOOL:
        return json_is_boolean(v) ? EVO_OK : fail_expected(c, k, path, v);
    case CT_STRING:
        return check_string(c, k, v, path);
    case CT_OBJECT:
        if (!json_is_object(v)) return fail_expected(c, k, path, v);
        return check_no_api_key(c, v, path);
    case CT_OBJECTS:
    case CT_STRINGS:
    case CT_INTS:
        return check_array(c, k, v, path);
    case CT_MAP:
        return check_map(c, k, v, path);
    }
    return EVO_OK;
}

/* ---- objects ------------------------------------------------------------------------ */

static int check_required(config_ctx *c, const json_t *obj, const char *path, const char *spath)
{
    char name[64];
    int n = config_schema_count();
    for (int i = 0; i < n; i++) {
        const config_key *k = config_schema_at(i);
        if (!(k->flags & CK_REQUIRED) || !child_name(spath, k->path, name, sizeof name)) continue;
        if (strchr(k->path + strlen(spath) + (*spath != 0), '.')) continue; /* a grandchild */
        if (!json_object_get(obj, name))
            return config_fail(c, path, 0, "key '%s': missing required key '%s'", path, name);
    }
    return EVO_OK;
}

static int fail_not_object(config_ctx *c, const char *path, const json_t *v)
{
    char found[FOUND_LEN];
    config_found(c, path, v, found, sizeof found);
    return config_fail(c, path, 0, "key '%s': expected an object, found %s", path, found);
}

static int validate_object(config_ctx *c, const json_t *obj, const char *path, const char *spath)
{
    char child[PATH_MAX_LEN], schild[PATH_MAX_LEN];
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        join(child, path, key);
        join(schild, spath, key);
        if (is_api_key(key)) return fail_api_key(c, child);
        const config_key *k =
            strchr(key, '.') || strchr(key, '[') ? NULL : config_schema_find(schild);
        int rc;
        if (k)
            rc = check_value(c, k, v, child);
        else if (!strchr(key, '.') && !strchr(key, '[') && config_schema_has_children(schild))
            rc = json_is_object(v) ? validate_object(c, v, child, schild)
                                   : fail_not_object(c, child, v);
        else
            rc = fail_unknown(c, child, spath, key);
        if (rc != EVO_OK) return rc;
    }
    return check_required(c, obj, path, spath);
}

int config_validate(config_ctx *c, json_t *root)
{
    if (!json_is_object(root)) {
        char found[FOUND_LEN];
        config_found(c, "", root, found, sizeof found);
        return config_fail(c, "", 0, "expected a JSON object at the top level, found %s", found);
    }
    return validate_object(c, root, "", "");
}

/* ---- rules across keys -------------------------------------------------------------- */

static json_t *get2(json_t *root, const char *section, const char *key)
{
    return json_object_get(json_object_get(root, section), key);
}

static int has_pos(const config_ctx *c, const char *path)
{
    return config_pos_find(&c->pos, path) != NULL;
}

static int rule_explore(config_ctx *c, json_t *root)
{
    double rate = json_number_value(get2(root, "selection", "explore_rate"));
    double max = json_number_value(get2(root, "selection", "explore_max"));
    if (rate <= max) return EVO_OK;
    char found[FOUND_LEN];
    if (has_pos(c, "selection.explore_rate")) {
        config_found(c, "selection.explore_rate", NULL, found, sizeof found);
        return config_fail(c, "selection.explore_rate", 0,
                           "key 'selection.explore_rate': expected a number <= "
                           "selection.explore_max (%g), found %s",
                           max, found);
    }
    config_found(c, "selection.explore_max", NULL, found, sizeof found);
    return config_fail(c, "selection.explore_max", 0,
                       "key 'selection.explore_max': expected a number >= "
                       "selection.explore_rate (%g), found %s",
                       rate, found);
}

static int rule_feature(config_ctx *c, json_t *f, size_t i)
{
    char path[PATH_MAX_LEN], child[PATH_MAX_LEN], found[FOUND_LEN];
    path_fmt(path, "islands.features[%zu]", i);
    const char *kind = json_string_value(json_object_get(f, "kind"));
    json_t *name = json_object_get(f, "name");
    int named = strcmp(kind, "param") == 0 || strcmp(kind, "metric") == 0;
    if (named && !name)
        return config_fail(c, path, 0,
                           "key '%s': missing required key 'name' (kind \"%s\" "
                           "needs one)",
                           path, kind);
    if (named && json_string_length(name) == 0)
        return config_fail(c, path, 0, "key '%s.name': expected a non-empty string, found \"\"",
                           path);
    int ranged = strcmp(kind, "metric") == 0 || strcmp(kind, "source_length") == 0;
    double lo = json_number_value(json_object_get(f, "min"));
    double hi = json_number_value(json_object_get(f, "max"));
    if (!ranged || lo < hi) return EVO_OK;
    path_fmt(child, "%s.max", path);
    if (has_pos(c, child)) {
        config_found(c, child, NULL, found, sizeof found);
        return config_fail(c, child, 0, "key '%s': expected a number > min (%g), found %s", child,
                           lo, found);
    }
    path_fmt(child, "%s.min", path);
    config_found(c, child, NULL, found, sizeof found);
    return config_fail(c, child, 0, "key '%s': expected a number < max (%g), found %s", child, hi,
                       found);
}

static int rule_optimum(config_ctx *c, json_t *root)
{
    json_t *syn = get2(root, "evaluator", "synthetic");
    json_t *opt = json_object_get(syn, "optimum");
    json_int_t dims = json_integer_value(json_object_get(syn, "dims"));
    json_int_t levels = json_integer_value(json_object_get(syn, "levels"));
    size_t n = json_array_size(opt);
    if (n == 0) return EVO_OK;
    if ((json_int_t)n != dims)
        return config_fail(c, "evaluator.synthetic.optimum", 0,
                           "key 'evaluator.synthetic.optimum': expected %lld integers (one per "
                           "dimension, evaluator.synthetic.dims) or [], found %zu",
                           (long long)dims, n);
    for (size_t i = 0; i < n; i++) {
        json_int_t x = json_integer_value(json_array_get(opt, i));
        if (x < levels) continue;
        char path[PATH_MAX_LEN];
        path_fmt(path, "evaluator.synthetic.optimum[%zu]", i);
        return config_fail(c, path, 0,
                           "key '%s': expected an integer in [0, %lld] "
                           "(evaluator.synthetic.levels is %lld), found %lld",
                           path, (long long)levels - 1, (long long)levels, (long long)x);
    }
    return EVO_OK;
}

static int rule_model_names(config_ctx *c, json_t *root)
{
    json_t *models = get2(root, "llm", "models");
    for (size_t i = 0; i < json_array_size(models); i++) {
        const char *a = json_string_value(json_object_get(json_array_get(models, i), "name"));
        for (size_t j = 0; j < i; j++) {
            const char *b = json_string_value(json_object_get(json_array_get(models, j), "name"));
            if (!a || !b || strcmp(a, b) != 0) continue;
            char path[PATH_MAX_LEN];
            path_fmt(path, "llm.models[%zu].name", i);
            return config_fail(c, path, 0,
                               "key '%s': model name \"%s\" is already used by "
                               "llm.models[%zu]",
                               path, a, j);
        }
    }
    return EVO_OK;
}

/* Names that become a path component (the run's folder runs/<name>-<stamp>, a dataset's
 * definition file, a seed's template) are plain (evo/base/safe_path.h); "" leaves the key
 * unset where it may be. */
static int plain_or_fail(config_ctx *c, const char *path, const json_t *v, int empty_ok)
{
    const char *s = json_string_value(v);
    if (!s || (empty_ok && !*s) || safe_name(s)) return EVO_OK;
    char found[FOUND_LEN];
    config_found(c, path, v, found, sizeof found);
    return config_fail(c, path, 0,
                       "key '%s': expected a plain name (letters, digits, '.', '_', '-', at most "
                       "%d bytes, no leading dot), found %s",
                       path, SAFE_NAME_MAX, found);
}

static int rule_plain_names(config_ctx *c, json_t *root)
{
    if (plain_or_fail(c, "name", json_object_get(root, "name"), 1) != EVO_OK ||
        plain_or_fail(c, "evaluator.definition", get2(root, "evaluator", "definition"), 1) !=
            EVO_OK)
        return EVO_ECONFIG;
    json_t *seeds = get2(root, "evaluator", "seeds");
    for (size_t i = 0; i < json_array_size(seeds); i++) {
        char path[PATH_MAX_LEN];
        path_fmt(path, "evaluator.seeds[%zu]", i);
        if (plain_or_fail(c, path, json_array_get(seeds, i), 0) != EVO_OK) return EVO_ECONFIG;
    }
    return EVO_OK;
}

/* The figures the shipped evaluators report (evo_result_add_metric): the GPU worker's per
 * workload (gpu/worker/worker_main.c) and whole-candidate ones (gpu/evaluator), the synthetic
 * evaluator's (evo/eval/synthetic.c), and the engine's re-timing figures (evo/engine/pool.c).
 * A metric feature naming none of them would bin every candidate as "missing". */
static const char *const metrics_gpu[] = {"latency_us",
                                          "baseline_us",
                                          "speedup",
                                          "gbps",
                                          "tflops",
                                          "frac_bw",
                                          "frac_flops",
                                          "max_abs_err",
                                          "max_rel_err",
                                          "worst_row_error",
                                          "worst_row_ratio",
                                          "status",
                                          "speedup_geomean",
                                          "speedup_min",
                                          "won_share",
                                          "compile_ms",
                                          "gpu_ms",
                                          "fitness_measured",
                                          "confirm_ratio",
                                          "confirm_noise",
                                          "confirm_rounds",
                                          "confirmed",
                                          NULL};
static const char *const metrics_synthetic[] = {
    "latency_us",       "baseline_us",   "speedup",
    "fitness_measured", "confirm_ratio", "confirm_noise",
    "confirm_rounds",   "confirmed",     NULL};

static int rule_metric_names(config_ctx *c, json_t *root)
{
    const char *ev = json_string_value(get2(root, "evaluator", "kind"));
    const char *const *known = !ev                            ? NULL
                               : strcmp(ev, "gpu") == 0       ? metrics_gpu
                               : strcmp(ev, "synthetic") == 0 ? metrics_synthetic
                                                              : NULL; /* custom: its own */
    json_t *features = get2(root, "islands", "features");
    for (size_t i = 0; known && i < json_array_size(features); i++) {
        json_t *f = json_array_get(features, i);
        const char *kind = json_string_value(json_object_get(f, "kind"));
        const char *name = json_string_value(json_object_get(f, "name"));
        if (!kind || strcmp(kind, "metric") != 0 || !name) continue;
        int n = 0, hit = 0;
        char list[512] = "";
        size_t used = 0;
        for (; known[n]; n++) {
            hit |= strcmp(known[n], name) == 0;
            if (used < sizeof list)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", n ? ", " : "",
                                         known[n]);
        }
        if (hit) continue;
        char path[PATH_MAX_LEN];
        path_fmt(path, "islands.features[%zu].name", i);
        const char *near = config_nearest(name, known, n);
        if (near)
            return config_fail(c, path, 0, "key '%s': unknown metric \"%s\" (did you mean \"%s\"?)",
                               path, name, near);
        return config_fail(c, path, 0,
                           "key '%s': unknown metric \"%s\" (the %s evaluator reports: %s)", path,
                           name, ev, list);
    }
    return EVO_OK;
}

int config_check_rules(config_ctx *c, json_t *root)
{
    if (rule_plain_names(c, root) != EVO_OK) return EVO_ECONFIG;
    if (rule_explore(c, root) != EVO_OK) return EVO_ECONFIG;
    json_t *features = get2(root, "islands", "features");
    for (size_t i = 0; i < json_array_size(features); i++)
        if (rule_feature(c, json_array_get(features, i), i) != EVO_OK) return EVO_ECONFIG;
    if (rule_metric_names(c, root) != EVO_OK) return EVO_ECONFIG;
    if (rule_optimum(c, root) != EVO_OK) return EVO_ECONFIG;
    return rule_model_names(c, root);
}
