/* space.c -- typed parameter spaces parsed from a source's evo:params block (see space.h).
 *
 * The template operators (param_mutation.c) walk these spaces, the engine turns the JSON form of a
 * point into a genome, and the GPU evaluator reads the constants. Parsing is line based:
 * each block line declares one parameter or one `require` constraint, and every error
 * names the source line so a kernel author can find it in the file.
 *
 * Constraints see integer parameters as their values, bool as 0/1, and enum parameters as
 * the 0-based index of their value in declaration order (so `LAYOUT == 1` means the second
 * listed value); parameters shadow constants of the same name. */
#include "space.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

#define MAX_DOMAIN 65536

/* ---- constants ---- */

void constants_init(evo_constants *c)
{
    c->n = 0;
    c->names = NULL;
    c->values = NULL;
}

int constants_set(evo_constants *c, const char *name, int64_t value)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->names[i], name) == 0) {
            c->values[i] = value;
            return 0;
        }
    char **names = realloc(c->names, (size_t)(c->n + 1) * sizeof *names);
    if (!names) return -1;
    c->names = names;
    int64_t *values = realloc(c->values, (size_t)(c->n + 1) * sizeof *values);
    if (!values) return -1;
    c->values = values;
    if (!(c->names[c->n] = strdup(name))) return -1;
    c->values[c->n++] = value;
    return 0;
}

int constants_get(const evo_constants *c, const char *name, int64_t *out)
{
    for (int i = 0; c && i < c->n; i++)
        if (strcmp(c->names[i], name) == 0) {
            *out = c->values[i];
            return 0;
        }
    return -1;
}

void constants_free(evo_constants *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->names[i]);
    free(c->names);
    free(c->values);
    constants_init(c);
}

/* ---- small text helpers ---- */

static int is_ident(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return 0;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
              (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

int text_to_int64(const char *s, int64_t *out)
{
    int neg = *s == '-';
    if (neg) s++;
    if (!*s) return -1;
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (limit - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int param_value_index(const evo_param *p, const char *text)
{
    for (int i = 0; i < p->nvalues; i++)
        if (strcmp(p->values[i], text) == 0) return i;
    int64_t v;
    if (p->kind == PARAM_ENUM || text_to_int64(text, &v) != 0) {
        if (p->kind == PARAM_BOOL && strcmp(text, "true") == 0) return 1;
        if (p->kind == PARAM_BOOL && strcmp(text, "false") == 0) return 0;
        return -1;
    }
    for (int i = 0; i < p->nvalues; i++)
        if (p->ints[i] == v) return i;
    return -1;
}

/* ---- space lifetime ---- */

static void param_free(evo_param *p)
{
    for (int i = 0; i < p->nvalues; i++)
        free(p->values[i]);
    free(p->values);
    free(p->ints);
    free(p->name);
}

void space_free(evo_space *s)
{
    if (!s) return;
    for (int i = 0; i < s->nparams; i++)
        param_free(&s->params[i]);
    free(s->params);
    for (int i = 0; i < s->nconstraints; i++)
        expr_free(s->constraints[i]);
    free(s->constraints);
    free(s);
}

int space_find(const evo_space *s, const char *name)
{
    for (int i = 0; s && i < s->nparams; i++)
        if (strcmp(s->params[i].name, name) == 0) return i;
    return -1;
}

/* ---- parsing ---- */

typedef struct parse_ctx {
    const char *source;
    evo_space *s;
    int *decl_line; /* source line of each parameter, for duplicate messages */
    int line;       /* current source line, 1-based */
    int nvalues;    /* values of all domains so far */
    char *err;
    size_t errlen;
} parse_ctx;

static int fail(parse_ctx *c, const char *fmt, ...)
{
    int n = snprintf(c->err, c->errlen, "line %d: ", c->line);
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int fail_oom(parse_ctx *c)
{
    return fail(c, "out of memory");
}

/* Append one value to p's domain; text NULL means the decimal form of v. Storage grows
 * by doubling (capacity is the next power of two), so a 65536-value range stays cheap. */
static int add_value(parse_ctx *c, evo_param *p, const char *text, int64_t v)
{
    if (p->nvalues >= MAX_DOMAIN)
        return fail(c, "parameter '%s': domain has more than %d values", p->name, MAX_DOMAIN);
    if (c->nvalues >= SPACE_MAX_VALUES)
        return fail(c, "parameter '%s': the space's domains hold more than %d values in all",
                    p->name, SPACE_MAX_VALUES);
    char buf[32];
    if (!text) {
        snprintf(buf, sizeof buf, "%lld", (long long)v);
        text = buf;
    }
    int n = p->nvalues;
    if (n == 0 || (n & (n - 1)) == 0) {
        size_t cap = n == 0 ? 1 : 2 * (size_t)n;
        char **values = realloc(p->values, cap * sizeof *values);
        if (!values) return fail_oom(c);
        p->values = values;
        int64_t *ints = realloc(p->ints, cap * sizeof *ints);
        if (!ints) return fail_oom(c);
        p->ints = ints;
    }
    if (!(p->values[n] = strdup(text))) return fail_oom(c);
    p->ints[n] = v;
    p->nvalues++;
    c->nvalues++;
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sets and enums written by hand may repeat a value; sorting a copy finds one in n log n. */
static int check_duplicates(parse_ctx *c, const evo_param *p)
{
    size_t n = (size_t)p->nvalues;
    if (n < 2) return 0;
    int is_enum = p->kind == PARAM_ENUM;
    void *copy = malloc(n * (is_enum ? sizeof(char *) : sizeof(int64_t)));
    if (!copy) return fail_oom(c);
    if (is_enum)
        memcpy(copy, p->values, n * sizeof(char *));
    else
        memcpy(copy, p->ints, n * sizeof(int64_t));
    qsort(copy, n, is_enum ? sizeof(char *) : sizeof(int64_t), is_enum ? cmp_str : cmp_int);
    char dup[64] = "";
    for (size_t i = 1; i < n && !dup[0]; i++) {
        if (is_enum && strcmp(((char **)copy)[i - 1], ((char **)copy)[i]) == 0)
            snprintf(dup, sizeof dup, "%s", ((char **)copy)[i]);
        else if (!is_enum && ((int64_t *)copy)[i - 1] == ((int64_t *)copy)[i])
            snprintf(dup, sizeof dup, "%lld", (long long)((int64_t *)copy)[i]);
    }
    free(copy);
    if (dup[0]) return fail(c, "parameter '%s': value %s is listed twice", p->name, dup);
    return 0;
}

/* "LO..HI" into lo, hi. */
static int parse_bounds(parse_ctx *c, const evo_param *p, const char *tok, int64_t *lo, int64_t *hi)
{
    if (!tok) return fail(c, "parameter '%s': expected LO..HI, found end of line", p->name);
    const char *dots = strstr(tok, "..");
    char left[64];
    if (!dots || (size_t)(dots - tok) >= sizeof left)
        return fail(c, "parameter '%s': expected LO..HI, found '%s'", p->name, tok);
    memcpy(left, tok, (size_t)(dots - tok));
    left[dots - tok] = '\0';
    if (text_to_int64(left, lo) != 0 || text_to_int64(dots + 2, hi) != 0)
        return fail(c, "parameter '%s': expected LO..HI, found '%s'", p->name, tok);
    if (*hi < *lo) return fail(c, "parameter '%s': %s has HI < LO", p->name, tok);
    return 0;
}

static int parse_range(parse_ctx *c, evo_param *p, char **args, int nargs)
{
    int64_t lo = 0, hi = 0, step = 1;
    if (parse_bounds(c, p, nargs > 0 ? args[0] : NULL, &lo, &hi)) return -1;
    int used = 1;
    if (nargs > 1 && strcmp(args[1], "step") == 0) {
        if (nargs < 3)
            return fail(c, "parameter '%s': expected an integer after 'step', found end of line",
                        p->name);
        if (text_to_int64(args[2], &step) != 0)
            return fail(c, "parameter '%s': expected an integer after 'step', found '%s'", p->name,
                        args[2]);
        if (step <= 0)
            return fail(c, "parameter '%s': step must be positive, found %lld", p->name,
                        (long long)step);
        used = 3;
    }
    if (nargs > used) return fail(c, "parameter '%s': unexpected '%s'", p->name, args[used]);
    uint64_t steps = ((uint64_t)hi - (uint64_t)lo) / (uint64_t)step, count = steps + 1;
    if (steps == UINT64_MAX) /* the whole int64 range: the count itself does not fit */
        return fail(c, "parameter '%s': domain has more than %d values", p->name, MAX_DOMAIN);
    if (count > MAX_DOMAIN)
        return fail(c, "parameter '%s': domain has %llu values, more than %d", p->name,
                    (unsigned long long)count, MAX_DOMAIN);
    for (uint64_t i = 0; i < count; i++)
        if (add_value(c, p, NULL, (int64_t)((uint64_t)lo + i * (uint64_t)step))) return -1;
    return 0;
}

static int is_pow2(int64_t v)
{
    return v > 0 && (v & (v - 1)) == 0;
}

static int parse_pow2(parse_ctx *c, evo_param *p, char **args, int nargs)
{
    int64_t lo = 0, hi = 0;
    if (parse_bounds(c, p, nargs > 0 ? args[0] : NULL, &lo, &hi)) return -1;
    if (!is_pow2(lo) || !is_pow2(hi))
        return fail(c, "parameter '%s': pow2 bounds must be powers of two, found %lld", p->name,
                    (long long)(is_pow2(lo) ? hi : lo));
    if (nargs > 1) return fail(c, "parameter '%s': unexpected '%s'", p->name, args[1]);
    for (int64_t v = lo;; v *= 2) {
        if (add_value(c, p, NULL, v)) return -1;
        if (v == hi) return 0;
    }
}

static int parse_set(parse_ctx *c, evo_param *p, char **args, int nargs)
{
    for (int i = 0; i < nargs; i++) {
        int64_t v;
        if (text_to_int64(args[i], &v) != 0)
            return fail(c, "parameter '%s': expected an integer, found '%s'", p->name, args[i]);
        if (add_value(c, p, NULL, v)) return -1;
    }
    return check_duplicates(c, p);
}

static int parse_enum(parse_ctx *c, evo_param *p, char **args, int nargs)
{
    for (int i = 0; i < nargs; i++) {
        if (!is_ident(args[i]))
            return fail(c, "parameter '%s': expected an identifier, found '%s'", p->name, args[i]);
        if (add_value(c, p, args[i], 0)) return -1;
    }
    return check_duplicates(c, p);
}

static int parse_bool(parse_ctx *c, evo_param *p, char **args, int nargs)
{
    if (nargs > 0) return fail(c, "parameter '%s': unexpected '%s'", p->name, args[0]);
    if (add_value(c, p, NULL, 0) || add_value(c, p, NULL, 1)) return -1;
    return 0;
}

static const struct {
    const char *name;
    evo_param_kind kind;
    int (*parse)(parse_ctx *, evo_param *, char **, int);
} kinds[] = {{"range", PARAM_RANGE, parse_range},
             {"pow2", PARAM_POW2, parse_pow2},
             {"set", PARAM_SET, parse_set},
             {"enum", PARAM_ENUM, parse_enum},
             {"bool", PARAM_BOOL, parse_bool}};

/* The value of `#define NAME value` under `#ifndef NAME`, into buf; 0 if found. */
static int find_define(const char *source, const char *name, char *buf, size_t buflen)
{
    size_t nlen = strlen(name);
    for (const char *l = source; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        const char *q = l + strspn(l, " \t");
        if (*q != '#') continue;
        q += 1 + strspn(q + 1, " \t");
        if (strncmp(q, "ifndef", 6) != 0) continue;
        q += 6;
        q += strspn(q, " \t");
        if (strncmp(q, name, nlen) != 0 || !strchr(" \t\r\n", q[nlen]))
            continue; /* strchr also accepts the terminating NUL */
        const char *next = strchr(q, '\n');
        if (!next) return -1;
        q = next + 1 + strspn(next + 1, " \t");
        if (*q != '#') continue;
        q += 1 + strspn(q + 1, " \t");
        if (strncmp(q, "define", 6) != 0) continue;
        q += 6;
        q += strspn(q, " \t");
        if (strncmp(q, name, nlen) != 0 || (q[nlen] != ' ' && q[nlen] != '\t')) continue;
        q += nlen;
        q += strspn(q, " \t");
        size_t len = strcspn(q, " \t\r\n/");
        if (len == 0 || len >= buflen) continue;
        memcpy(buf, q, len);
        buf[len] = '\0';
        return 0;
    }
    return -1;
}

static int parse_constraint(parse_ctx *c, const char *text)
{
    char experr[256];
    evo_space *s = c->s;
    if (s->nconstraints >= SPACE_MAX_CONSTRAINTS)
        return fail(c, "more than %d constraints", SPACE_MAX_CONSTRAINTS);
    evo_expr *e = expr_parse(text, experr, sizeof experr);
    if (!e) return fail(c, "constraint '%s': %s", text, experr);
    struct evo_expr **grown =
        realloc(s->constraints, (size_t)(s->nconstraints + 1) * sizeof *grown);
    if (!grown) {
        expr_free(e);
        return fail_oom(c);
    }
    s->constraints = grown;
    s->constraints[s->nconstraints++] = e;
    return 0;
}

/* A parameter line: NAME KIND ARGS... [default V]. */
static int parse_param(parse_ctx *c, char **tok, int ntok)
{
    evo_space *s = c->s;
    if (!is_ident(tok[0])) return fail(c, "expected a parameter name, found '%s'", tok[0]);
    if (s->nparams >= SPACE_MAX_PARAMS) return fail(c, "more than %d parameters", SPACE_MAX_PARAMS);
    int prev = space_find(s, tok[0]);
    if (prev >= 0)
        return fail(c, "duplicate parameter '%s' (first declared on line %d)", tok[0],
                    c->decl_line[prev]);
    if (ntok < 2)
        return fail(c,
                    "parameter '%s': expected a kind (range, pow2, set, enum, bool), found "
                    "end of line",
                    tok[0]);
    int k = -1;
    for (int i = 0; i < (int)(sizeof kinds / sizeof kinds[0]); i++)
        if (strcmp(kinds[i].name, tok[1]) == 0) k = i;
    if (k < 0)
        return fail(c,
                    "parameter '%s': unknown kind '%s' (expected range, pow2, set, enum or "
                    "bool)",
                    tok[0], tok[1]);

    evo_param *params = realloc(s->params, (size_t)(s->nparams + 1) * sizeof *params);
    int *lines = realloc(c->decl_line, (size_t)(s->nparams + 1) * sizeof *lines);
    if (params) s->params = params;
    if (lines) c->decl_line = lines;
    if (!params || !lines) return fail_oom(c);
    evo_param *p = &s->params[s->nparams];
    memset(p, 0, sizeof *p);
    p->kind = kinds[k].kind;
    if (!(p->name = strdup(tok[0]))) return fail_oom(c);
    c->decl_line[s->nparams] = c->line;
    s->nparams++; /* owned by the space from here, so failures below free it */

    int nargs = 0;
    while (2 + nargs < ntok && strcmp(tok[2 + nargs], "default") != 0)
        nargs++;
    if (kinds[k].parse(c, p, tok + 2, nargs)) return -1;
    if (p->nvalues == 0) return fail(c, "parameter '%s': empty domain", p->name);

    int at = 2 + nargs;
    if (at < ntok) { /* "default" */
        if (at + 1 >= ntok)
            return fail(c, "parameter '%s': expected a value after 'default', found end of line",
                        p->name);
        p->def = param_value_index(p, tok[at + 1]);
        if (p->def < 0)
            return fail(c, "parameter '%s': default %s is not in the domain", p->name, tok[at + 1]);
        if (at + 2 < ntok)
            return fail(c, "parameter '%s': unexpected '%s' after the default", p->name,
                        tok[at + 2]);
        return 0;
    }
    char buf[128];
    p->def = 0;
    if (find_define(c->source, p->name, buf, sizeof buf) == 0) {
        int i = param_value_index(p, buf);
        if (i >= 0) p->def = i;
    }
    return 0;
}

/* One line of the block, decoration already stripped and comment cut. */
static int parse_line(parse_ctx *c, char *text)
{
    char *rest = text + strspn(text, " \t\r");
    if (!*rest) return 0;
    if (strncmp(rest, "require", 7) == 0 && strchr(" \t\r", rest[7])) {
        char *expr = rest + 7;
        expr += strspn(expr, " \t");
        size_t len = strlen(expr);
        while (len > 0 && strchr(" \t\r", expr[len - 1]))
            expr[--len] = '\0';
        return parse_constraint(c, expr);
    }
    /* A line of n bytes has at most n/2 + 1 words. */
    char **tok = malloc((strlen(rest) / 2 + 2) * sizeof *tok);
    if (!tok) return fail_oom(c);
    int ntok = 0;
    for (char *save = NULL, *t = strtok_r(rest, " \t\r", &save); t;
         t = strtok_r(NULL, " \t\r", &save))
        tok[ntok++] = t;
    int rc = parse_param(c, tok, ntok);
    free(tok);
    return rc;
}

/* Find "/" "*" followed by blanks and the word evo:params; returns the position after
 * the word, or NULL. */
static const char *find_block(const char *src)
{
    for (const char *p = strstr(src, "/*"); p; p = strstr(p + 2, "/*")) {
        const char *q = p + 2;
        q += strspn(q, " \t");
        if (strncmp(q, "evo:params", 10) == 0 && (q[10] == '\0' || strchr(" \t\r\n*", q[10])))
            return q + 10;
    }
    return NULL;
}

static int line_of(const char *src, const char *at)
{
    int line = 1;
    for (const char *p = src; p < at; p++)
        line += *p == '\n';
    return line;
}

static int parse_block(parse_ctx *c, const char *start)
{
    const char *end = strstr(start, "*/");
    if (!end) return fail(c, "evo:params block is not closed");
    /* The rest of the evo:params line itself is not read: the block starts below it. */
    const char *first_nl = memchr(start, '\n', (size_t)(end - start));
    if (!first_nl) return 0;
    c->line = line_of(c->source, start) + 1;
    for (const char *l = first_nl + 1; l < end; c->line++) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        const char *stop = nl ? nl : end;
        size_t len = (size_t)(stop - l);
        char *text = malloc(len + 1);
        if (!text) return fail_oom(c);
        memcpy(text, l, len);
        text[len] = '\0';
        char *t = text + strspn(text, " \t");
        /* the decoration some authors put at the start of each line */
        if (strncmp(t, "//", 2) == 0)
            t += 2;
        else
            t += strspn(t, "*");
        char *hash = strchr(t, '#');
        if (hash) *hash = '\0';
        int rc = parse_line(c, t);
        free(text);
        if (rc) return -1;
        if (!nl) break;
        l = nl + 1;
    }
    return 0;
}

evo_space *space_parse(const char *source, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    evo_space *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!source) return s;
    const char *start = find_block(source);
    if (!start) return s;
    parse_ctx c = {
        .source = source, .s = s, .err = err, .errlen = errlen, .line = line_of(source, start)};
    int rc = parse_block(&c, start);
    free(c.decl_line);
    if (rc) {
        space_free(s);
        return NULL;
    }
    return s;
}

/* ---- points ---- */

evo_point point_new(const evo_space *s)
{
    evo_point p = {0, NULL};
    if (!s || s->nparams == 0) return p;
    p.idx = malloc((size_t)s->nparams * sizeof *p.idx);
    if (!p.idx) return p;
    p.n = s->nparams;
    for (int i = 0; i < s->nparams; i++)
        p.idx[i] = s->params[i].def;
    return p;
}

evo_point point_copy(const evo_point *p)
{
    evo_point q = {0, NULL};
    if (!p || p->n == 0) return q;
    q.idx = malloc((size_t)p->n * sizeof *q.idx);
    if (!q.idx) return q;
    q.n = p->n;
    memcpy(q.idx, p->idx, (size_t)p->n * sizeof *q.idx);
    return q;
}

void point_free(evo_point *p)
{
    free(p->idx);
    p->idx = NULL;
    p->n = 0;
}

/* ---- constraints ---- */

typedef struct lookup_ctx {
    const evo_space *s;
    const evo_constants *k;
    const evo_point *p;
} lookup_ctx;

static int lookup(void *user, const char *name, int64_t *out)
{
    const lookup_ctx *l = user;
    int i = space_find(l->s, name);
    if (i >= 0 && i < l->p->n) {
        const evo_param *p = &l->s->params[i];
        int v = l->p->idx[i];
        *out = p->kind == PARAM_ENUM ? v : p->ints[v];
        return 0;
    }
    return constants_get(l->k, name, out);
}

int space_check_count(const evo_space *s, const evo_constants *k, const evo_point *p, int *fails,
                      char *err, size_t errlen)
{
    lookup_ctx l = {s, k, p};
    int ok = 1;
    for (int i = 0; i < s->nconstraints; i++) {
        char experr[256];
        int64_t v;
        if (expr_eval(s->constraints[i], lookup, &l, &v, experr, sizeof experr) != 0) {
            snprintf(err, errlen, "constraint '%s': %s", expr_text(s->constraints[i]), experr);
            return -1;
        }
        if (v == 0) {
            ok = 0;
            if (!fails) return 0;
            fails[i]++;
        }
    }
    return ok;
}

int space_check(const evo_space *s, const evo_constants *k, const evo_point *p, char *err,
                size_t errlen)
{
    return space_check_count(s, k, p, NULL, err, errlen);
}

void space_explain_failures(const evo_space *s, const int *fails, int tries, const char *what,
                            char *err, size_t errlen)
{
    int worst = 0;
    for (int i = 1; i < s->nconstraints; i++)
        if (fails[i] > fails[worst]) worst = i;
    if (s->nconstraints == 0) {
        snprintf(err, errlen, "no valid %s in %d tries", what, tries);
        return;
    }
    snprintf(err, errlen, "no valid %s in %d tries: constraint '%s' failed %d times", what, tries,
             expr_text(s->constraints[worst]), fails[worst]);
}

int space_sample(const evo_space *s, const evo_constants *k, evo_pcg32 *rng, int max_tries,
                 evo_point *out, char *err, size_t errlen)
{
    if (max_tries < 1) max_tries = 1;
    evo_point p = point_new(s);
    int *fails = calloc((size_t)s->nconstraints + 1, sizeof *fails);
    if ((s->nparams > 0 && !p.idx) || !fails) {
        point_free(&p);
        free(fails);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = -1;
    for (int t = 0; t < max_tries && rc == -1; t++) {
        for (int i = 0; i < s->nparams; i++)
            p.idx[i] = (int)pcg32_bounded(rng, (uint32_t)s->params[i].nvalues);
        int ok = space_check_count(s, k, &p, fails, err, errlen);
        if (ok < 0)
            rc = -2;
        else if (ok)
            rc = 0;
    }
    if (rc == -1) space_explain_failures(s, fails, max_tries, "point", err, errlen);
    free(fails);
    if (rc != 0) {
        point_free(&p);
        return -1;
    }
    point_free(out);
    *out = p;
    return 0;
}

/* ---- JSON ---- */

char *point_to_json(const evo_space *s, const evo_point *p)
{
    json_t *o = json_object();
    if (!o) return NULL;
    for (int i = 0; i < s->nparams && i < p->n; i++) {
        const evo_param *par = &s->params[i];
        int v = p->idx[i];
        json_t *j = par->kind == PARAM_ENUM ? json_string(par->values[v])
                                            : json_integer((json_int_t)par->ints[v]);
        if (json_object_set_new(o, par->name, j) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

/* Index in par's domain of a JSON value, or -1. */
static int json_value_index(const evo_param *par, const json_t *v, char *text, size_t n)
{
    if (json_is_integer(v))
        snprintf(text, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_string(v))
        snprintf(text, n, "%s", json_string_value(v));
    else if (json_is_boolean(v))
        snprintf(text, n, "%s", json_is_true(v) ? "true" : "false");
    else if (json_is_real(v) && json_real_value(v) == (double)(int64_t)json_real_value(v))
        snprintf(text, n, "%lld", (long long)json_real_value(v));
    else {
        char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(text, n, "%s", dump ? dump : "?");
        free(dump);
        return -1;
    }
    return param_value_index(par, text);
}

int point_from_json(const evo_space *s, const char *json, evo_point *p, char *err, size_t errlen)
{
    json_error_t je;
    json_t *o = json_loads(json ? json : "", 0, &je);
    if (!o) {
        snprintf(err, errlen, "parameters: invalid JSON at line %d column %d: %s", je.line,
                 je.column, je.text);
        return -1;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        snprintf(err, errlen, "parameters: expected a JSON object");
        return -1;
    }
    int rc = 0;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        int i = space_find(s, key);
        char text[128];
        if (i < 0 || i >= p->n) {
            if (rc == 0) snprintf(err, errlen, "unknown parameter '%s'", key);
            rc = -1;
            continue;
        }
        int x = json_value_index(&s->params[i], v, text, sizeof text);
        if (x < 0) {
            if (rc == 0)
                snprintf(err, errlen, "parameter '%s': value %s is not in its domain", key, text);
            rc = -1;
            continue;
        }
        p->idx[i] = x;
    }
    json_decref(o);
    return rc;
}
