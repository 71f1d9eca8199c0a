/* expr.c -- small integer expressions over named values (see expr.h for the grammar).
 *
 * Constraints in evo:params blocks and launch-plan formulas are compiled once into a tree
 * by a recursive-descent parser, then evaluated many times (the mutation operators check
 * thousands of points). Every node keeps the span of text it came from, so an evaluation
 * error names the exact subexpression ("division by zero in 'K / (BK - 32)'"). Arithmetic
 * is checked int64: overflow is an error, never undefined behaviour. */
#include "expr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 200
/* Operations from the root to a leaf: evaluating and freeing recurse that deep, and a chain
 * "1+1+...+1" is as deep as it is long (300000 terms overflowed the stack). */
#define MAX_HEIGHT 1000

typedef enum { N_NUM, N_NAME, N_CALL, N_NEG, N_NOT, N_BIN, N_COND } node_kind;

typedef enum {
    OP_OR,
    OP_AND,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_MOD
} bin_op;

typedef enum { F_MIN, F_MAX, F_CEIL_DIV, F_ALIGN_UP, F_LOG2, F_POW2, F_ABS } func_id;

static const struct {
    const char *name;
    int nargs;
} funcs[] = {{"min", 2},  {"max", 2},  {"ceil_div", 2}, {"align_up", 2},
             {"log2", 1}, {"pow2", 1}, {"abs", 1}};
#define NFUNCS ((int)(sizeof funcs / sizeof funcs[0]))

typedef struct node {
    node_kind kind;
    int op; /* bin_op for N_BIN, func_id for N_CALL */
    int64_t num;
    char *name;
    struct node *kid[3]; /* operands; call arguments */
    int nkids;
    int height;        /* 1 for a leaf */
    size_t start, end; /* span in the source text */
} node;

struct evo_expr {
    char *text;
    node *root;
};

/* ---- tokens ---- */

typedef enum { T_END, T_NUM, T_NAME, T_OP, T_BAD } tok_kind;

typedef struct parser {
    const char *s;
    size_t pos; /* just past the current token */
    tok_kind kind;
    size_t start, len; /* current token */
    int depth;
    char *err;
    size_t errlen;
    int failed;
} parser;

static const char *const two_char_ops[] = {"||", "&&", "==", "!=", "<=", ">="};

static int is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}
static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void next_token(parser *p)
{
    const char *s = p->s;
    size_t i = p->pos;
    while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
        i++;
    p->start = i;
    if (s[i] == '\0') {
        p->kind = T_END;
        p->len = 0;
    } else if (is_digit(s[i])) {
        size_t j = i;
        while (is_name_char(s[j]))
            j++; /* digits and letters: "0x1f" and "12ab" are one token, checked later */
        p->kind = T_NUM;
        p->len = j - i;
    } else if (is_name_start(s[i])) {
        size_t j = i;
        while (is_name_char(s[j]))
            j++;
        p->kind = T_NAME;
        p->len = j - i;
    } else {
        p->kind = strchr("+-*/%()<>!?:,", s[i]) ? T_OP : T_BAD;
        p->len = 1;
        for (size_t k = 0; k < sizeof two_char_ops / sizeof two_char_ops[0]; k++)
            if (strncmp(s + i, two_char_ops[k], 2) == 0) {
                p->kind = T_OP;
                p->len = 2;
            }
    }
    p->pos = p->start + p->len;
}

static int tok_is(const parser *p, const char *op)
{
    return p->kind == T_OP && p->len == strlen(op) && strncmp(p->s + p->start, op, p->len) == 0;
}

/* "column N: expected <what>, found <the current token>" */
static void fail_expected(parser *p, const char *what)
{
    if (p->failed) return;
    p->failed = 1;
    if (p->kind == T_END)
        snprintf(p->err, p->errlen, "column %zu: expected %s, found end of input", p->start + 1,
                 what);
    else
        snprintf(p->err, p->errlen, "column %zu: expected %s, found '%.*s'", p->start + 1, what,
                 (int)(p->len > 64 ? 64 : p->len), p->s + p->start);
}

static void fail_at(parser *p, size_t col, const char *fmt, ...)
{
    if (p->failed) return;
    p->failed = 1;
    int n = snprintf(p->err, p->errlen, "column %zu: ", col + 1);
    if (n < 0 || (size_t)n >= p->errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* ---- tree ---- */

static void node_free(node *n)
{
    if (!n) return;
    for (int i = 0; i < n->nkids; i++)
        node_free(n->kid[i]);
    free(n->name);
    free(n);
}

static node *node_new(parser *p, node_kind kind, size_t start)
{
    node *n = calloc(1, sizeof *n);
    if (!n) {
        if (!p->failed) snprintf(p->err, p->errlen, "out of memory");
        p->failed = 1;
        return NULL;
    }
    n->kind = kind;
    n->start = start;
    n->end = start;
    n->height = 1;
    return n;
}

/* n's height from its operands; 0, or -1 (error set) when it passes MAX_HEIGHT. */
static int set_height(parser *p, node *n)
{
    for (int i = 0; i < n->nkids; i++)
        if (n->kid[i]->height + 1 > n->height) n->height = n->kid[i]->height + 1;
    if (n->height <= MAX_HEIGHT) return 0;
    fail_at(p, n->start, "the expression is more than %d operations deep", MAX_HEIGHT);
    return -1;
}

static node *parse_cond(parser *p);

/* Parse a decimal or 0x-hex literal that fits in int64. */
static node *parse_number(parser *p)
{
    const char *t = p->s + p->start;
    size_t len = p->len, i = 0;
    int base = 10;
    if (len > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
        base = 16;
        i = 2;
    }
    uint64_t v = 0;
    for (; i < len; i++) {
        int d;
        char c = t[i];
        if (is_digit(c))
            d = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else {
            fail_expected(p, "an integer");
            return NULL;
        }
        if (v > ((uint64_t)INT64_MAX - (uint64_t)d) / (uint64_t)base) {
            fail_expected(p, "an integer in the int64 range");
            return NULL;
        }
        v = v * (uint64_t)base + (uint64_t)d;
    }
    node *n = node_new(p, N_NUM, p->start);
    if (!n) return NULL;
    n->num = (int64_t)v;
    n->end = p->start + len;
    next_token(p);
    return n;
}

static int find_func(const char *name, size_t len)
{
    for (int i = 0; i < NFUNCS; i++)
        if (strlen(funcs[i].name) == len && strncmp(funcs[i].name, name, len) == 0) return i;
    return -1;
}

static node *parse_call(parser *p, size_t start, size_t namelen)
{
    int f = find_func(p->s + start, namelen);
    if (f < 0) {
        fail_at(p, start,
                "expected a function (min, max, ceil_div, align_up, log2, pow2, abs), "
                "found '%.*s'",
                (int)namelen, p->s + start);
        return NULL;
    }
    node *n = node_new(p, N_CALL, start);
    if (!n) return NULL;
    n->op = f;
    next_token(p); /* '(' */
    int count = 0;
    if (!tok_is(p, ")")) {
        for (;;) {
            node *arg = parse_cond(p);
            if (!arg) goto fail;
            if (count < 3)
                n->kid[n->nkids++] = arg;
            else
                node_free(arg);
            count++;
            if (!tok_is(p, ",")) break;
            next_token(p);
        }
    }
    if (!tok_is(p, ")")) {
        fail_expected(p, "',' or ')'");
        goto fail;
    }
    if (count != funcs[f].nargs) {
        fail_at(p, start, "expected %d argument%s to '%s', found %d", funcs[f].nargs,
                funcs[f].nargs == 1 ? "" : "s", funcs[f].name, count);
        goto fail;
    }
    if (set_height(p, n)) goto fail;
    n->end = p->pos;
    next_token(p);
    return n;
fail:
    node_free(n);
    return NULL;
}

static node *parse_atom(parser *p)
{
    if (p->kind == T_NUM) return parse_number(p);
    if (p->kind == T_NAME) {
        size_t start = p->start, len = p->len;
        next_token(p);
        if (tok_is(p, "(")) return parse_call(p, start, len);
        node *n = node_new(p, N_NAME, start);
        if (!n) return NULL;
        n->end = start + len;
        n->name = strndup(p->s + start, len);
        if (!n->name) {
            free(n);
            fail_at(p, start, "out of memory");
            return NULL;
        }
        return n;
    }
    if (tok_is(p, "(")) {
        size_t open = p->start;
        next_token(p);
        node *n = parse_cond(p);
        if (!n) return NULL;
        if (!tok_is(p, ")")) {
            fail_expected(p, "')'");
            node_free(n);
            return NULL;
        }
        /* The span takes in the parentheses so enclosing spans quote balanced text. */
        n->start = open;
        n->end = p->pos;
        next_token(p);
        return n;
    }
    fail_expected(p, "a number, a name or '('");
    return NULL;
}

static node *parse_unary(parser *p)
{
    if (!tok_is(p, "-") && !tok_is(p, "!")) return parse_atom(p);
    if (++p->depth > MAX_DEPTH) {
        fail_at(p, p->start, "expected at most %d levels of nesting, found more", MAX_DEPTH);
        return NULL;
    }
    node *n = node_new(p, tok_is(p, "-") ? N_NEG : N_NOT, p->start);
    if (!n) return NULL;
    next_token(p);
    node *a = parse_unary(p);
    p->depth--;
    if (!a) {
        free(n);
        return NULL;
    }
    n->kid[n->nkids++] = a;
    n->end = a->end;
    if (set_height(p, n)) {
        node_free(n);
        return NULL;
    }
    return n;
}

static node *make_binary(parser *p, int op, node *a, node *b)
{
    node *n = node_new(p, N_BIN, a->start);
    if (!n) {
        node_free(a);
        node_free(b);
        return NULL;
    }
    n->op = op;
    n->kid[0] = a;
    n->kid[1] = b;
    n->nkids = 2;
    n->end = b->end;
    if (set_height(p, n)) {
        node_free(n);
        return NULL;
    }
    return n;
}

/* One precedence level: operand (op operand)*, or at most one op when !repeat. */
typedef struct level {
    node *(*operand)(parser *p);
    const char *ops[6];
    int codes[6];
    int repeat;
} level;

static node *parse_level(parser *p, const level *lv)
{
    node *a = lv->operand(p);
    while (a) {
        int op = -1;
        for (int i = 0; i < 6 && lv->ops[i]; i++)
            if (tok_is(p, lv->ops[i])) op = lv->codes[i];
        if (op < 0) return a;
        next_token(p);
        node *b = lv->operand(p);
        if (!b) {
            node_free(a);
            return NULL;
        }
        a = make_binary(p, op, a, b);
        if (!lv->repeat) return a;
    }
    return NULL;
}

static node *parse_mul(parser *p)
{
    static const level lv = {parse_unary, {"*", "/", "%"}, {OP_MUL, OP_DIV, OP_MOD}, 1};
    return parse_level(p, &lv);
}
static node *parse_add(parser *p)
{
    static const level lv = {parse_mul, {"+", "-"}, {OP_ADD, OP_SUB}, 1};
    return parse_level(p, &lv);
}
static node *parse_cmp(parser *p)
{
    static const level lv = {parse_add,
                             {"==", "!=", "<=", ">=", "<", ">"},
                             {OP_EQ, OP_NE, OP_LE, OP_GE, OP_LT, OP_GT},
                             0};
    return parse_level(p, &lv);
}
static node *parse_and(parser *p)
{
    static const level lv = {parse_cmp, {"&&"}, {OP_AND}, 1};
    return parse_level(p, &lv);
}
static node *parse_or(parser *p)
{
    static const level lv = {parse_and, {"||"}, {OP_OR}, 1};
    return parse_level(p, &lv);
}

static node *parse_cond(parser *p)
{
    if (++p->depth > MAX_DEPTH) {
        fail_at(p, p->start, "expected at most %d levels of nesting, found more", MAX_DEPTH);
        return NULL;
    }
    node *c = parse_or(p);
    if (c && tok_is(p, "?")) {
        node *n = node_new(p, N_COND, c->start);
        if (!n) {
            node_free(c);
            c = NULL;
        } else {
            n->kid[n->nkids++] = c;
            next_token(p);
            node *a = parse_cond(p);
            node *b = NULL;
            if (a) {
                n->kid[n->nkids++] = a;
                if (!tok_is(p, ":"))
                    fail_expected(p, "':'");
                else {
                    next_token(p);
                    b = parse_cond(p);
                }
            }
            if (b) {
                n->kid[n->nkids++] = b;
                n->end = b->end;
                c = n;
                if (set_height(p, n)) {
                    node_free(n);
                    c = NULL;
                }
            } else {
                node_free(n);
                c = NULL;
            }
        }
    }
    p->depth--;
    return c;
}

evo_expr *expr_parse(const char *text, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    parser p = {.s = text ? text : "", .err = err, .errlen = errlen};
    next_token(&p);
    node *root = parse_cond(&p);
    if (root && p.kind != T_END) {
        fail_expected(&p, "an operator or end of input");
        node_free(root);
        root = NULL;
    }
    if (!root) return NULL;
    evo_expr *e = malloc(sizeof *e);
    char *copy = strdup(p.s);
    if (!e || !copy) {
        free(e);
        free(copy);
        node_free(root);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->text = copy;
    e->root = root;
    return e;
}

void expr_free(evo_expr *e)
{
    if (!e) return;
    node_free(e->root);
    free(e->text);
    free(e);
}

const char *expr_text(const evo_expr *e)
{
    return e ? e->text : "";
}

/* ---- evaluation ---- */

typedef struct eval_ctx {
    const char *text;
    evo_expr_lookup lookup;
    void *user;
    char *err;
    size_t errlen;
} eval_ctx;

/* Writes "<what> in '<the node's text>'" and returns -1. */
static int eval_fail(eval_ctx *c, const node *n, const char *what)
{
    int len = (int)(n->end - n->start);
    snprintf(c->err, c->errlen, "%s in '%.*s'", what, len > 200 ? 200 : len, c->text + n->start);
    return -1;
}

static int eval_node(eval_ctx *c, const node *n, int64_t *out);

static int eval_div(eval_ctx *c, const node *n, int op, int64_t a, int64_t b, int64_t *out)
{
    if (b == 0) return eval_fail(c, n, op == OP_MOD ? "modulo by zero" : "division by zero");
    if (b == -1) { /* INT64_MIN / -1 overflows; INT64_MIN % -1 is 0 but traps on x86 */
        if (op == OP_MOD) {
            *out = 0;
            return 0;
        }
        if (a == INT64_MIN) return eval_fail(c, n, "integer overflow");
    }
    *out = op == OP_MOD ? a % b : a / b;
    return 0;
}

static int eval_binary(eval_ctx *c, const node *n, int64_t *out)
{
    int64_t a, b;
    if (eval_node(c, n->kid[0], &a)) return -1;
    /* && and || short-circuit, so "X != 0 && Y / X > 2" is safe. */
    if (n->op == OP_AND && !a) {
        *out = 0;
        return 0;
    }
    if (n->op == OP_OR && a) {
        *out = 1;
        return 0;
    }
    if (eval_node(c, n->kid[1], &b)) return -1;
    int overflow = 0;
    switch (n->op) {
    case OP_OR:
    case OP_AND:
        *out = b != 0;
        break;
    case OP_EQ:
        *out = a == b;
        break;
    case OP_NE:
        *out = a != b;
        break;
    case OP_LT:
        *out = a < b;
        break;
    case OP_LE:
        *out = a <= b;
        break;
    case OP_GT:
        *out = a > b;
        break;
    case OP_GE:
        *out = a >= b;
        break;
    case OP_ADD:
        overflow = __builtin_add_overflow(a, b, out);
        break;
    case OP_SUB:
        overflow = __builtin_sub_overflow(a, b, out);
        break;
    case OP_MUL:
        overflow = __builtin_mul_overflow(a, b, out);
        break;
    default:
        return eval_div(c, n, n->op, a, b, out);
    }
    return overflow ? eval_fail(c, n, "integer overflow") : 0;
}

/* Ceiling of a / b for any signs (C division truncates toward zero). */
static int ceil_div(eval_ctx *c, const node *n, int64_t a, int64_t b, int64_t *out)
{
    if (b == 0) return eval_fail(c, n, "division by zero");
    if (b == -1 && a == INT64_MIN) return eval_fail(c, n, "integer overflow");
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) == (b < 0))) q++;
    *out = q;
    return 0;
}

static int eval_call(eval_ctx *c, const node *n, int64_t *out)
{
    int64_t v[2] = {0, 0};
    for (int i = 0; i < n->nkids; i++)
        if (eval_node(c, n->kid[i], &v[i])) return -1;
    char what[96];
    switch (n->op) {
    case F_MIN:
        *out = v[0] < v[1] ? v[0] : v[1];
        return 0;
    case F_MAX:
        *out = v[0] > v[1] ? v[0] : v[1];
        return 0;
    case F_CEIL_DIV:
        return ceil_div(c, n, v[0], v[1], out);
    case F_ALIGN_UP: {
        int64_t q;
        if (ceil_div(c, n, v[0], v[1], &q)) return -1;
        return __builtin_mul_overflow(q, v[1], out) ? eval_fail(c, n, "integer overflow") : 0;
    }
    case F_LOG2: {
        if (v[0] <= 0) {
            snprintf(what, sizeof what, "log2 of non-positive value %lld", (long long)v[0]);
            return eval_fail(c, n, what);
        }
        int64_t r = 0;
        for (int64_t x = v[0]; x > 1; x >>= 1)
            r++;
        *out = r;
        return 0;
    }
    case F_POW2:
        if (v[0] < 0 || v[0] > 62) {
            snprintf(what, sizeof what, "pow2 exponent %lld out of range [0, 62]", (long long)v[0]);
            return eval_fail(c, n, what);
        }
        *out = (int64_t)1 << v[0];
        return 0;
    default: /* F_ABS */
        if (v[0] == INT64_MIN) return eval_fail(c, n, "integer overflow");
        *out = v[0] < 0 ? -v[0] : v[0];
        return 0;
    }
}

static int eval_node(eval_ctx *c, const node *n, int64_t *out)
{
    int64_t v;
    switch (n->kind) {
    case N_NUM:
        *out = n->num;
        return 0;
    case N_NAME:
        if (!c->lookup || c->lookup(c->user, n->name, out) != 0) {
            snprintf(c->err, c->errlen, "unknown name '%s'", n->name);
            return -1;
        }
        return 0;
    case N_CALL:
        return eval_call(c, n, out);
    case N_NEG:
        if (eval_node(c, n->kid[0], &v)) return -1;
        if (v == INT64_MIN) return eval_fail(c, n, "integer overflow");
        *out = -v;
        return 0;
    case N_NOT:
        if (eval_node(c, n->kid[0], &v)) return -1;
        *out = !v;
        return 0;
    case N_BIN:
        return eval_binary(c, n, out);
    default: /* N_COND: only the chosen branch is evaluated */
        if (eval_node(c, n->kid[0], &v)) return -1;
        return eval_node(c, n->kid[v ? 1 : 2], out);
    }
}

int expr_eval(const evo_expr *e, evo_expr_lookup lookup, void *user, int64_t *out, char *err,
              size_t errlen)
{
    char dummy[8];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    eval_ctx c = {e->text, lookup, user, err, errlen};
    int64_t v = 0;
    if (eval_node(&c, e->root, &v)) return -1;
    *out = v;
    return 0;
}

/* ---- names ---- */

typedef struct name_list {
    const char **names;
    int n, cap;
} name_list;

static void collect_names(const node *n, name_list *l)
{
    if (n->kind == N_NAME) {
        for (int i = 0; i < l->n; i++)
            if (strcmp(l->names[i], n->name) == 0) return;
        if (l->n == l->cap) {
            int cap = l->cap ? 2 * l->cap : 8;
            const char **grown = realloc(l->names, (size_t)cap * sizeof *grown);
            if (!grown) return;
            l->names = grown;
            l->cap = cap;
        }
        l->names[l->n++] = n->name;
        return;
    }
    for (int i = 0; i < n->nkids; i++)
        collect_names(n->kid[i], l);
}

void expr_names(const evo_expr *e, void (*fn)(void *user, const char *name), void *user)
{
    name_list l = {0};
    collect_names(e->root, &l);
    for (int i = 0; i < l.n; i++)
        fn(user, l.names[i]);
    free(l.names);
}
