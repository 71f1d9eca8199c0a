/* plan.c -- launch plans: the evo:launch comment block of a candidate, parsed and checked
 * against the task's definition and against the kernels the source declares.
 *
 * A candidate that passes an int where a kernel takes a pointer, or hands an output to a
 * const parameter, would crash or silently compute garbage on the GPU; here it becomes a
 * COMPILE_ERROR with the plan's line number before anything is launched. The kernel
 * declarations are read from the source itself (kernel_decl.c), so the check needs no
 * compiler and no GPU. */
#include "plan.h"
#include "errbuf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr.h"
#include "kernel_decl.h"

/* ------------------------------------------------------------------------------------ */
/* the evo:launch block                                                                 */

typedef struct raw_arg {
    char text[TASK_NAME];
    int line;
} raw_arg;

typedef struct raw_kernel {
    int line;
    int grid_line, block_line, smem_line, when_line;
    int nargs;
    raw_arg args[PLAN_MAX_ARGS + 1];
} raw_kernel;

typedef struct parser {
    const evo_task *task;
    evo_plan *plan;
    raw_kernel raw[PLAN_MAX_KERNELS];
    int block_line;
    char *err;
    size_t errlen;
} parser;

static int perr(parser *p, int line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return errbuf_fail(p->err, p->errlen, "launch plan line %d: %s", line, msg);
}

/* The line (1-based) at which the evo:launch marker stands, and where its block's body
 * begins and ends; 0 if the source has none. */
static int find_block(const char *src, const char **body, const char **end)
{
    for (const char *m = strstr(src, "evo:launch"); m; m = strstr(m + 1, "evo:launch")) {
        const char *b = m;
        while (b > src && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '*') &&
               !(b - src >= 2 && b[-2] == '/' && b[-1] == '*'))
            b--;
        if (!(b - src >= 2 && b[-2] == '/' && b[-1] == '*')) continue;
        const char *after = m + strlen("evo:launch");
        if (*after && !isspace((unsigned char)*after)) continue;
        const char *close = strstr(after, "*/");
        if (!close) break; /* nor after any later marker (this was quadratic) */
        int line = 1;
        for (const char *c = src; c < m; c++)
            line += *c == '\n';
        *body = after;
        *end = close;
        return line;
    }
    return 0;
}

static int find_tensor(const task_definition *d, const char *name)
{
    for (int i = 0; i < d->ninputs; i++)
        if (!strcmp(d->inputs[i].name, name)) return i;
    for (int i = 0; i < d->noutputs; i++)
        if (!strcmp(d->outputs[i].name, name)) return d->ninputs + i;
    return -1;
}

static int is_axis(const task_definition *d, const char *name)
{
    for (int i = 0; i < d->naxes; i++)
        if (!strcmp(d->axes[i].name, name)) return 1;
    return 0;
}

static int find_workspace(const evo_plan *pl, const char *name)
{
    for (int i = 0; i < pl->nworkspaces; i++)
        if (!strcmp(pl->workspaces[i].name, name)) return i;
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

/* Split at top-level commas (parentheses nest); returns the count or -1 if too many. */
static int split_commas(char *s, char **parts, int max)
{
    int n = 0, depth = 0;
    char *start = s;
    for (char *c = s;; c++) {
        if (*c == '(')
            depth++;
        else if (*c == ')')
            depth--;
        if (*c == 0 || (*c == ',' && depth == 0)) {
            int last = *c == 0;
            *c = 0;
            if (n == max) return -1;
            parts[n++] = trim(start);
            if (last) break;
            start = c + 1;
        }
    }
    return n;
}

static evo_expr *parse_expr(parser *p, int line, const char *what, const char *text)
{
    char e[256];
    if (!text[0]) {
        perr(p, line, "%s: empty expression", what);
        return NULL;
    }
    evo_expr *x = expr_parse(text, e, sizeof e);
    if (!x) perr(p, line, "%s: %s", what, e);
    return x;
}

static int st_dims(parser *p, int line, const char *kw, char *rest, struct evo_expr **dst,
                   int *ndst, int *seen_line)
{
    if (*seen_line)
        return perr(p, line, "a second '%s' for this kernel (first at line %d)", kw, *seen_line);
    char *parts[4];
    int n = split_commas(rest, parts, 3);
    if (n < 0) return perr(p, line, "'%s' takes 1 to 3 expressions, found more than 3", kw);
    if (n < 1 || (n == 1 && !parts[0][0]))
        return perr(p, line, "'%s' takes 1 to 3 expressions, found none", kw);
    for (int i = 0; i < n; i++) {
        char what[32];
        snprintf(what, sizeof what, "%s %s", kw, (const char *[]){"x", "y", "z"}[i]);
        if (!(dst[i] = parse_expr(p, line, what, parts[i]))) return -1;
        *ndst = i + 1;
    }
    *seen_line = line;
    return 0;
}

static int st_workspace(parser *p, int line, char *rest)
{
    evo_plan *pl = p->plan;
    char name[TASK_NAME], dt[64];
    int used = 0;
    if (sscanf(rest, "%127s %63s %n", name, dt, &used) < 2 || !rest[used])
        return perr(p, line,
                    "'workspace' takes NAME DTYPE COUNT (e.g. workspace partial "
                    "float32 KSPLIT * M * N)");
    if (pl->nworkspaces == PLAN_MAX_WORKSPACES)
        return perr(p, line, "more than %d workspaces", PLAN_MAX_WORKSPACES);
    if (find_tensor(&p->task->def, name) >= 0 || is_axis(&p->task->def, name))
        return perr(p, line, "workspace '%s' has the name of a tensor or axis of %s", name,
                    p->task->def.name);
    if (find_workspace(pl, name) >= 0) return perr(p, line, "a second workspace '%s'", name);
    int k = dtype_from_name(dt);
    if (k < 0) return perr(p, line, "workspace '%s': unknown dtype '%s'", name, dt);
    plan_workspace *w = &pl->workspaces[pl->nworkspaces];
    if (!(w->count = parse_expr(p, line, "workspace count", trim(rest + used)))) return -1;
    snprintf(w->name, sizeof w->name, "%s", name);
    w->dtype = (evo_dtype)k;
    pl->nworkspaces++;
    return 0;
}

static int st_args(parser *p, int line, raw_kernel *rk, char *rest)
{
    char *parts[PLAN_MAX_ARGS + 1];
    if (!rest[0]) return 0;
    int n = split_commas(rest, parts, PLAN_MAX_ARGS + 1);
    if (n > 1 && !parts[n - 1][0]) n--; /* a trailing comma continues on the next args line */
    if (n < 0 || rk->nargs + n > PLAN_MAX_ARGS)
        return perr(p, line, "more than %d arguments", PLAN_MAX_ARGS);
    for (int i = 0; i < n; i++) {
        if (!parts[i][0]) return perr(p, line, "empty argument %d", rk->nargs + 1);
        if (strlen(parts[i]) >= TASK_NAME)
            return perr(p, line, "argument %d is too long", rk->nargs + 1);
        strcpy(rk->args[rk->nargs].text, parts[i]);
        rk->args[rk->nargs++].line = line;
    }
    return 0;
}

/* A statement holding one expression, at most once per kernel (smem, when). */
static int st_single(parser *p, int line, const char *kw, const char *rest, struct evo_expr **dst,
                     int *seen_line)
{
    if (*seen_line)
        return perr(p, line, "a second '%s' for this kernel (first at line %d)", kw, *seen_line);
    *seen_line = line;
    return (*dst = parse_expr(p, line, kw, rest)) ? 0 : -1;
}

static int statement(parser *p, int line, char *text)
{
    evo_plan *pl = p->plan;
    char *kw = text, *rest = text;
    while (*rest && !isspace((unsigned char)*rest))
        rest++;
    if (*rest) *rest++ = 0;
    rest = trim(rest);
    if (!strcmp(kw, "workspace")) return st_workspace(p, line, rest);
    if (!strcmp(kw, "kernel")) {
        if (pl->nkernels == PLAN_MAX_KERNELS)
            return perr(p, line, "more than %d kernels", PLAN_MAX_KERNELS);
        if (!rest[0] || strchr(rest, ' ') || strlen(rest) >= TASK_NAME)
            return perr(p, line, "'kernel' takes one kernel name");
        snprintf(pl->kernels[pl->nkernels].name, TASK_NAME, "%s", rest);
        p->raw[pl->nkernels].line = line;
        pl->nkernels++;
        return 0;
    }
    /* Launch attributes are the harness's: an access-policy window or a persisting-L2 hint
     * would keep data resident across the flush, another stream would run outside the timed
     * region. */
    static const char *const attributes[] = {
        "attr", "attribute", "attributes", "access_policy", "accesspolicy", "persisting", "persist",
        "l2",   "stream",    "priority",   "cluster",       "graph",        NULL};
    for (int i = 0; attributes[i]; i++)
        if (!strcasecmp(kw, attributes[i]))
            return perr(p, line,
                        "'%s': a launch plan cannot set launch attributes (access-policy "
                        "windows, L2 persistence, streams, clusters); the harness launches every "
                        "kernel on its own stream with default attributes",
                        kw);
    int known = !strcmp(kw, "grid") || !strcmp(kw, "block") || !strcmp(kw, "smem") ||
                !strcmp(kw, "args") || !strcmp(kw, "when");
    if (!known)
        return perr(p, line,
                    "unknown statement '%s' (expected workspace, kernel, grid, block, "
                    "smem, when or args)",
                    kw);
    if (pl->nkernels == 0) return perr(p, line, "'%s' before any 'kernel'", kw);
    plan_kernel *k = &pl->kernels[pl->nkernels - 1];
    raw_kernel *rk = &p->raw[pl->nkernels - 1];
    if (!strcmp(kw, "grid"))
        return st_dims(p, line, "grid", rest, k->grid, &k->ngrid, &rk->grid_line);
    if (!strcmp(kw, "block"))
        return st_dims(p, line, "block", rest, k->block, &k->nblock, &rk->block_line);
    if (!strcmp(kw, "smem")) return st_single(p, line, "smem", rest, &k->smem, &rk->smem_line);
    if (!strcmp(kw, "when")) return st_single(p, line, "when", rest, &k->when, &rk->when_line);
    return st_args(p, line, rk, rest);
}

/* Strip decoration (leading '*' or '//'), '#' comments and blanks from one block line. */
static char *clean_line(char *s)
{
    s = trim(s);
    if (s[0] == '/' && s[1] == '/')
        s += 2;
    else if (s[0] == '*')
        s++;
    char *hash = strchr(s, '#');
    if (hash) *hash = 0;
    return trim(s);
}

static int parse_block(parser *p, const char *body, const char *end)
{
    size_t n = (size_t)(end - body);
    char *copy = malloc(n + 1);
    if (!copy)
        return errbuf_fail(p->err, p->errlen, "launch plan line %d: out of memory", p->block_line);
    memcpy(copy, body, n);
    copy[n] = 0;
    int line = p->block_line, rc = 0;
    for (char *s = copy; s && !rc;) {
        char *nl = strchr(s, '\n');
        if (nl) *nl = 0;
        char *text = clean_line(s);
        if (text[0]) rc = statement(p, line, text);
        s = nl ? nl + 1 : NULL;
        line++;
    }
    free(copy);
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* checking the plan against the declarations                                          */

static const kdecl *lookup_decl(const kdecl *ks, int n, const char *name)
{
    const kdecl *any = NULL;
    for (int i = 0; i < n; i++) {
        if (strcmp(ks[i].name, name)) continue;
        if (ks[i].is_c) return &ks[i];
        if (!any) any = &ks[i];
    }
    return any;
}

static int is_int_literal(const char *s)
{
    if (*s == '-') s++;
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

/* Resolve argument text to a plan_arg. */
static int resolve_arg(parser *p, const plan_kernel *k, int j, const raw_arg *ra, plan_arg *a)
{
    const task_definition *d = &p->task->def;
    const char *s = ra->text;
    if (is_int_literal(s)) {
        a->kind = ARG_LITERAL;
        a->literal = strtoll(s, NULL, 10);
        snprintf(a->name, sizeof a->name, "%s", s);
        return 0;
    }
    if (!strncmp(s, "i64(", 4) && s[strlen(s) - 1] == ')') {
        char inner[TASK_NAME];
        snprintf(inner, sizeof inner, "%.*s", (int)strlen(s) - 5, s + 4);
        char *in = trim(inner);
        if (!is_axis(d, in))
            return perr(p, ra->line, "kernel '%s' argument %d '%s': i64() takes an axis of %s",
                        k->name, j + 1, s, d->name);
        a->kind = ARG_AXIS_I64;
        snprintf(a->name, sizeof a->name, "%s", in);
        return 0;
    }
    snprintf(a->name, sizeof a->name, "%s", s);
    int t = find_tensor(d, s);
    if (t >= 0) {
        a->index = t;
        a->kind = t < d->ninputs && d->inputs[t].is_scalar ? ARG_SCALAR : ARG_TENSOR;
        return 0;
    }
    int w = find_workspace(p->plan, s);
    if (w >= 0) {
        a->kind = ARG_WORKSPACE;
        a->index = w;
        return 0;
    }
    if (is_axis(d, s)) {
        a->kind = ARG_AXIS_I32;
        return 0;
    }
    return perr(p, ra->line,
                "kernel '%s' argument %d '%s' is not an input, output, workspace or "
                "axis of %s",
                k->name, j + 1, s, d->name);
}

static const char *arg_what(const parser *p, const plan_arg *a, char *buf, size_t n)
{
    const task_definition *d = &p->task->def;
    switch (a->kind) {
    case ARG_TENSOR:
        return a->index < d->ninputs ? "an input (device pointer)" : "an output (device pointer)";
    case ARG_WORKSPACE:
        return "a workspace (device pointer)";
    case ARG_AXIS_I32:
        return "an axis passed as int";
    case ARG_AXIS_I64:
        return "an axis passed as int64";
    case ARG_LITERAL:
        return "an int literal";
    case ARG_SCALAR:
        snprintf(buf, n, "a %s scalar", dtype_name(d->inputs[a->index].dtype));
        return buf;
    }
    return "?";
}

/* Whether parameter q can take argument a (by kind and width). */
static int arg_fits(const parser *p, const plan_arg *a, const kparam *q)
{
    const task_definition *d = &p->task->def;
    switch (a->kind) {
    case ARG_TENSOR:
    case ARG_WORKSPACE:
        return q->kind == P_PTR;
    case ARG_AXIS_I32:
    case ARG_LITERAL:
        return q->kind == P_INT32;
    case ARG_AXIS_I64:
        return q->kind == P_INT64;
    case ARG_SCALAR: {
        evo_dtype dt = d->inputs[a->index].dtype;
        if (dt == DT_INT32) return q->kind == P_INT32;
        if (dt == DT_INT64) return q->kind == P_INT64;
        return q->kind == P_FLOAT && q->fdt == dt;
    }
    }
    return 0;
}

static int check_kernel(parser *p, int ki, const kdecl *ks, int nks, unsigned char *written)
{
    plan_kernel *k = &p->plan->kernels[ki];
    raw_kernel *rk = &p->raw[ki];
    const task_definition *d = &p->task->def;
    if (!rk->grid_line) return perr(p, rk->line, "kernel '%s' has no 'grid'", k->name);
    if (!rk->block_line) return perr(p, rk->line, "kernel '%s' has no 'block'", k->name);
    const kdecl *decl = lookup_decl(ks, nks, k->name);
    if (!decl) {
        char note[64] = "";
        if (nks == KDECL_MAX_KERNELS)
            snprintf(note, sizeof note, "; only the first %d declarations are read",
                     KDECL_MAX_KERNELS);
        return perr(p, rk->line,
                    "kernel '%s' is not declared in the source (expected extern \"C\" "
                    "__global__ void %s(...))%s",
                    k->name, k->name, note);
    }
    if (!decl->is_c)
        return perr(p, rk->line,
                    "kernel '%s' is __global__ but not extern \"C\" (its symbol "
                    "name would be mangled)",
                    k->name);
    int argline = rk->nargs ? rk->args[0].line : rk->line;
    if (decl->nparams != rk->nargs)
        return perr(p, argline,
                    "kernel '%s' takes %d parameters but the plan passes %d "
                    "arguments",
                    k->name, decl->nparams, rk->nargs);
    for (int j = 0; j < rk->nargs; j++) {
        plan_arg *a = &k->args[j];
        const kparam *q = &decl->params[j];
        int line = rk->args[j].line;
        if (resolve_arg(p, k, j, &rk->args[j], a)) return -1;
        k->nargs = j + 1;
        if (q->kind == P_UNKNOWN)
            return perr(p, line,
                        "kernel '%s' parameter %d '%s' has a type a plan cannot pass "
                        "('%s')",
                        k->name, j + 1, q->text, q->type);
        char buf[64];
        if (!arg_fits(p, a, q))
            return perr(p, line, "kernel '%s' argument %d '%s' is %s but parameter %d is '%s'%s",
                        k->name, j + 1, rk->args[j].text, arg_what(p, a, buf, sizeof buf), j + 1,
                        q->text,
                        a->kind == ARG_AXIS_I32 && q->kind == P_INT64 ? " (write i64(NAME))" : "");
        int slot = -1;
        if (a->kind == ARG_TENSOR && a->index >= d->ninputs) slot = a->index - d->ninputs;
        if (a->kind == ARG_WORKSPACE) slot = d->noutputs + a->index;
        if (slot < 0) continue;
        if (!q->is_const) {
            written[slot] = 1;
        } else if (!written[slot]) {
            if (a->kind == ARG_TENSOR)
                return perr(p, line,
                            "kernel '%s' argument %d '%s' is an output but parameter %d "
                            "is const",
                            k->name, j + 1, a->name, j + 1);
            return perr(p, line,
                        "kernel '%s' argument %d '%s' is a workspace no earlier kernel "
                        "writes but parameter %d is const",
                        k->name, j + 1, a->name, j + 1);
        }
    }
    return 0;
}

static int check_plan(parser *p, const char *source)
{
    evo_plan *pl = p->plan;
    const task_definition *d = &p->task->def;
    if (pl->nkernels == 0) return perr(p, p->block_line, "no 'kernel' in the evo:launch block");
    int nks = 0;
    kdecl *ks = kernel_decl_parse(source, &nks);
    /* outputs, then workspaces: set once some kernel takes them through a non-const pointer */
    unsigned char *written = calloc((size_t)d->noutputs + PLAN_MAX_WORKSPACES, 1);
    int rc = written ? 0 : perr(p, p->block_line, "out of memory");
    for (int i = 0; i < pl->nkernels && !rc; i++)
        rc = check_kernel(p, i, ks, nks, written);
    for (int o = 0; o < d->noutputs && !rc; o++)
        if (!written[o])
            rc = perr(p, p->block_line,
                      "output '%s' is not written by any kernel (pass it to a "
                      "non-const pointer parameter)",
                      d->outputs[o].name);
    free(ks);
    free(written);
    return rc;
}

void plan_free(evo_plan *p)
{
    if (!p) return;
    for (int i = 0; i < p->nkernels; i++) {
        plan_kernel *k = &p->kernels[i];
        for (int j = 0; j < 3; j++) {
            expr_free(k->grid[j]);
            expr_free(k->block[j]);
        }
        expr_free(k->smem);
        expr_free(k->when);
    }
    for (int i = 0; i < p->nworkspaces; i++)
        expr_free(p->workspaces[i].count);
    free(p);
}

evo_plan *plan_parse(const char *source, const evo_task *task, char *err, size_t errlen)
{
    parser *p = calloc(1, sizeof *p);
    evo_plan *pl = calloc(1, sizeof *pl);
    if (!p || !pl) {
        free(p);
        free(pl);
        errbuf_fail(err, errlen, "launch plan line 1: out of memory");
        return NULL;
    }
    p->task = task;
    p->plan = pl;
    p->err = err;
    p->errlen = errlen;
    const char *body, *end;
    p->block_line = find_block(source, &body, &end);
    int rc;
    if (!p->block_line)
        rc = errbuf_fail(err, errlen,
                         "launch plan line 1: the source has no evo:launch block (a "
                         "comment whose first line is evo:launch)");
    else
        rc = parse_block(p, body, end) || check_plan(p, source);
    free(p);
    if (rc) {
        plan_free(pl);
        return NULL;
    }
    return pl;
}

/* ------------------------------------------------------------------------------------ */
/* resolution for one workload                                                         */

static int eval(const evo_expr *e, plan_lookup lookup, void *user, int64_t *v, const char *kname,
                const char *what, char *err, size_t errlen)
{
    char e2[256];
    if (expr_eval(e, lookup, user, v, e2, sizeof e2))
        return errbuf_fail(err, errlen, "kernel '%s' %s = %s: %s", kname, what, expr_text(e), e2);
    return 0;
}

int plan_resolve(const evo_plan *p, int k, plan_lookup lookup, void *user, int64_t smem_optin,
                 plan_launch *out, char *err, size_t errlen)
{
    if (k < 0 || k >= p->nkernels) return errbuf_fail(err, errlen, "no kernel %d in the plan", k);
    const plan_kernel *pk = &p->kernels[k];
    static const char *const axes[] = {"x", "y", "z"};
    static const int64_t grid_max[] = {2147483647LL, 65535, 65535};
    static const int64_t block_max[] = {1024, 1024, 64};
    memset(out, 0, sizeof *out);
    if (pk->when) {
        int64_t on = 0;
        if (eval(pk->when, lookup, user, &on, pk->name, "when", err, errlen)) return -1;
        if (!on) {
            out->skip = 1; /* not launched for this workload: its grid need not be valid */
            return 0;
        }
    }
    int64_t threads = 1;
    for (int i = 0; i < 3; i++) {
        int64_t g = 1, b = 1;
        char what[32];
        snprintf(what, sizeof what, "grid.%s", axes[i]);
        if (i < pk->ngrid && eval(pk->grid[i], lookup, user, &g, pk->name, what, err, errlen))
            return -1;
        if (g < 1 || g > grid_max[i])
            return errbuf_fail(err, errlen, "kernel '%s' %s = %s = %lld: must be in 1..%lld",
                               pk->name, what, expr_text(pk->grid[i]), (long long)g,
                               (long long)grid_max[i]);
        snprintf(what, sizeof what, "block.%s", axes[i]);
        if (i < pk->nblock && eval(pk->block[i], lookup, user, &b, pk->name, what, err, errlen))
            return -1;
        if (b < 1 || b > block_max[i])
            return errbuf_fail(err, errlen, "kernel '%s' %s = %s = %lld: must be in 1..%lld",
                               pk->name, what, expr_text(pk->block[i]), (long long)b,
                               (long long)block_max[i]);
        threads *= b;
        out->grid[i] = (unsigned)g;
        out->block[i] = (unsigned)b;
    }
    if (threads > 1024)
        return errbuf_fail(err, errlen, "kernel '%s' block has %lld threads (at most 1024)",
                           pk->name, (long long)threads);
    /* Each dimension may be legal while the product is astronomical: only the watchdog would
     * stop it, after the time limit. */
    int64_t blocks = (int64_t)out->grid[0] * out->grid[1] * out->grid[2];
    if (blocks > PLAN_MAX_BLOCKS)
        return errbuf_fail(err, errlen, "kernel '%s' grid has %lld blocks (at most %lld)", pk->name,
                           (long long)blocks, (long long)PLAN_MAX_BLOCKS);
    if (blocks * threads > PLAN_MAX_THREADS)
        return errbuf_fail(err, errlen, "kernel '%s' launches %lld threads in all (at most %lld)",
                           pk->name, (long long)(blocks * threads), (long long)PLAN_MAX_THREADS);
    int64_t smem = 0;
    if (pk->smem && eval(pk->smem, lookup, user, &smem, pk->name, "smem", err, errlen)) return -1;
    if (smem < 0 || smem > smem_optin)
        return errbuf_fail(err, errlen,
                           "kernel '%s' smem = %s = %lld bytes: must be in 0..%lld "
                           "(SMEM_OPTIN)",
                           pk->name, expr_text(pk->smem), (long long)smem, (long long)smem_optin);
    out->smem = (unsigned)smem;
    return 0;
}

int64_t plan_workspace_bytes(const evo_plan *p, int w, plan_lookup lookup, void *user, char *err,
                             size_t errlen)
{
    if (w < 0 || w >= p->nworkspaces) {
        errbuf_fail(err, errlen, "no workspace %d in the plan", w);
        return -1;
    }
    const plan_workspace *ws = &p->workspaces[w];
    int64_t n;
    char e2[256];
    if (expr_eval(ws->count, lookup, user, &n, e2, sizeof e2)) {
        errbuf_fail(err, errlen, "workspace '%s' count = %s: %s", ws->name, expr_text(ws->count),
                    e2);
        return -1;
    }
    int64_t size = dtype_size(ws->dtype);
    if (n < 0 || n > INT64_MAX / size) {
        errbuf_fail(err, errlen, "workspace '%s' count = %s = %lld: must be in 0..%lld", ws->name,
                    expr_text(ws->count), (long long)n, (long long)(INT64_MAX / size));
        return -1;
    }
    return n * size;
}
