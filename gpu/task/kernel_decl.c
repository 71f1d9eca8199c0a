/* kernel_decl.c -- the kernel-declaration reader (kernel_decl.h): every __global__ function
 * of a CUDA source, with its name, whether it is extern "C", and what each parameter takes.
 *
 * The declarations are read from the source itself (comments and preprocessor lines blanked,
 * then a small tokenizer), so checking a launch plan against them (plan.c) needs no compiler
 * and no GPU. It is not a C++ parser: a declaration it does not understand is skipped, and a
 * parameter type it cannot classify is P_UNKNOWN, for the plan check to report. */
#include "kernel_decl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tok {
    const char *s;
    int len;
} tok;

static int tok_is(const tok *t, const char *s)
{
    return (int)strlen(s) == t->len && !strncmp(t->s, s, (size_t)t->len);
}

/* Copy of src with comments and preprocessor directives blanked (newlines kept). */
static char *strip_source(const char *src)
{
    size_t n = strlen(src);
    char *o = malloc(n + 1);
    if (!o) return NULL;
    memcpy(o, src, n + 1);
    int line_start = 1;
    for (size_t i = 0; i < n; i++) {
        char c = o[i];
        if (c == '"' || c == '\'') {
            size_t j = i + 1;
            while (j < n && o[j] != c && o[j] != '\n')
                j += o[j] == '\\' ? 2 : 1;
            i = j < n ? j : n - 1;
            line_start = 0;
            continue;
        }
        if (c == '/' && o[i + 1] == '/') {
            while (i < n && o[i] != '\n')
                o[i++] = ' ';
            line_start = 1;
            continue;
        }
        if (c == '/' && o[i + 1] == '*') {
            o[i] = o[i + 1] = ' ';
            for (i += 2; i < n && !(o[i] == '*' && o[i + 1] == '/'); i++)
                if (o[i] != '\n') o[i] = ' ';
            if (i < n) o[i] = o[i + 1] = ' ', i++;
            continue;
        }
        if (line_start && c == '#') {
            /* a directive, with its backslash continuations (their newlines stay, so lines
             * keep their numbers) */
            while (i < n && o[i] != '\n') {
                if (o[i] == '\\' && o[i + 1] == '\n') {
                    o[i] = ' ';
                    i += 2;
                    continue;
                }
                o[i++] = ' ';
            }
            line_start = 1;
            continue;
        }
        if (c == '\n')
            line_start = 1;
        else if (!isspace((unsigned char)c))
            line_start = 0;
    }
    return o;
}

static tok *tokenize(const char *s, int *ntok)
{
    int cap = 1024, n = 0;
    tok *t = malloc((size_t)cap * sizeof *t);
    if (!t) return NULL;
    for (size_t i = 0; s[i];) {
        if (isspace((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t j = i + 1;
        if (isalpha((unsigned char)s[i]) || s[i] == '_') {
            while (isalnum((unsigned char)s[j]) || s[j] == '_')
                j++;
        } else if (isdigit((unsigned char)s[i])) {
            while (isalnum((unsigned char)s[j]) || s[j] == '.')
                j++;
        } else if (s[i] == '"' || s[i] == '\'') {
            while (s[j] && s[j] != s[i] && s[j] != '\n')
                j += s[j] == '\\' && s[j + 1] ? 2 : 1;
            if (s[j] == s[i]) j++;
        }
        if (n == cap) {
            cap *= 2;
            tok *nt = realloc(t, (size_t)cap * sizeof *t);
            if (!nt) {
                free(t);
                return NULL;
            }
            t = nt;
        }
        t[n].s = s + i;
        t[n].len = (int)(j - i);
        n++;
        i = j;
    }
    *ntok = n;
    return t;
}

static int matching_close(const tok *t, int n, int open)
{
    int depth = 0;
    for (int i = open; i < n; i++) {
        if (tok_is(&t[i], "("))
            depth++;
        else if (tok_is(&t[i], ")") && --depth == 0)
            return i;
    }
    return -1;
}

static int is_ident(const tok *t)
{
    return isalpha((unsigned char)t->s[0]) || t->s[0] == '_';
}

static int in_list(const char *s, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(s, list[i])) return 1;
    return 0;
}

static void classify_type(kparam *p)
{
    static const char *const i32[] = {"int",      "signed",       "signed int",
                                      "unsigned", "unsigned int", "int32_t",
                                      "uint32_t", "int signed",   NULL};
    static const char *const i64[] = {"long",
                                      "long int",
                                      "long long",
                                      "long long int",
                                      "unsigned long",
                                      "unsigned long int",
                                      "unsigned long long",
                                      "unsigned long long int",
                                      "signed long long",
                                      "int64_t",
                                      "uint64_t",
                                      "size_t",
                                      "ptrdiff_t",
                                      NULL};
    if (in_list(p->type, i32))
        p->kind = P_INT32;
    else if (in_list(p->type, i64))
        p->kind = P_INT64;
    else if (!strcmp(p->type, "float"))
        p->kind = P_FLOAT, p->fdt = DT_FLOAT32;
    else if (!strcmp(p->type, "double"))
        p->kind = P_FLOAT, p->fdt = DT_FLOAT64;
    else if (!strcmp(p->type, "__half") || !strcmp(p->type, "half"))
        p->kind = P_FLOAT, p->fdt = DT_FLOAT16;
    else if (!strcmp(p->type, "__nv_bfloat16") || !strcmp(p->type, "nv_bfloat16"))
        p->kind = P_FLOAT, p->fdt = DT_BFLOAT16;
    else
        p->kind = P_UNKNOWN;
}

static void append(char *dst, size_t n, const tok *t)
{
    size_t l = strlen(dst);
    if (l + (size_t)t->len + 2 >= n) return;
    if (l) dst[l++] = ' ';
    memcpy(dst + l, t->s, (size_t)t->len);
    dst[l + (size_t)t->len] = 0;
}

static void parse_param(const tok *t, int n, kparam *p)
{
    static const char *const quals[] = {
        "const", "volatile", "__restrict__", "__restrict", "restrict", "register", NULL};
    static const char *const words[] = {"int",  "unsigned", "signed", "long", "short",
                                        "char", "float",    "double", "bool", NULL};
    memset(p, 0, sizeof *p);
    int star = -1, amp = 0;
    for (int i = 0; i < n; i++) {
        if (tok_is(&t[i], "=")) n = i; /* default argument: ignore the rest */
    }
    for (int i = 0; i < n; i++) {
        append(p->text, sizeof p->text, &t[i]);
        if ((tok_is(&t[i], "*") || tok_is(&t[i], "[")) && star < 0) star = i;
        if (tok_is(&t[i], "&")) amp = 1;
    }
    if (star >= 0) {
        p->kind = P_PTR;
        for (int i = 0; i < star; i++)
            p->is_const |= tok_is(&t[i], "const");
        return;
    }
    if (amp) {
        p->kind = P_UNKNOWN;
        size_t l = strlen(p->text) < sizeof p->type ? strlen(p->text) : sizeof p->type - 1;
        memcpy(p->type, p->text, l);
        p->type[l] = 0;
        return;
    }
    int idx[32], m = 0;
    for (int i = 0; i < n && m < 32; i++) {
        char w[64];
        snprintf(w, sizeof w, "%.*s", t[i].len, t[i].s);
        if (!in_list(w, quals)) idx[m++] = i;
    }
    if (m >= 2) {
        char last[64];
        snprintf(last, sizeof last, "%.*s", t[idx[m - 1]].len, t[idx[m - 1]].s);
        if (is_ident(&t[idx[m - 1]]) && !in_list(last, words)) m--; /* the parameter's name */
    }
    for (int i = 0; i < m; i++)
        append(p->type, sizeof p->type, &t[idx[i]]);
    classify_type(p);
}

static void parse_params(const tok *t, int open, int close, kdecl *k)
{
    int start = open + 1, depth = 0;
    if (close == start) return;
    if (close == start + 1 && tok_is(&t[start], "void")) return;
    for (int i = start; i <= close; i++) {
        if (tok_is(&t[i], "(") || tok_is(&t[i], "<") || tok_is(&t[i], "[")) depth++;
        if (tok_is(&t[i], ")") || tok_is(&t[i], ">") || tok_is(&t[i], "]")) depth--;
        if (i == close || (depth == 0 && tok_is(&t[i], ","))) {
            if (k->nparams < KDECL_MAX_PARAMS)
                parse_param(&t[start], i - start, &k->params[k->nparams++]);
            start = i + 1;
        }
    }
}

/* After `__global__` at index g: the kernel's name and parameter list. Returns the index
 * after the closing parenthesis, or -1 if this is not a declaration we understand. */
static int parse_decl(const tok *t, int n, int g, kdecl *k)
{
    for (int j = g + 1; j < n && j < g + 64; j++) {
        if (tok_is(&t[j], ";") || tok_is(&t[j], "{")) return -1;
        if (tok_is(&t[j], "__launch_bounds__") || tok_is(&t[j], "__cluster_dims__") ||
            tok_is(&t[j], "__maxnreg__") || tok_is(&t[j], "__attribute__")) {
            if (j + 1 < n && tok_is(&t[j + 1], "(")) j = matching_close(t, n, j + 1);
            if (j < 0) return -1;
            continue;
        }
        if (is_ident(&t[j]) && j + 1 < n && tok_is(&t[j + 1], "(")) {
            int close = matching_close(t, n, j + 1);
            if (close < 0 || t[j].len >= TASK_NAME) return -1;
            snprintf(k->name, sizeof k->name, "%.*s", t[j].len, t[j].s);
            parse_params(t, j + 1, close, k);
            return close + 1;
        }
    }
    return -1;
}

/* Every __global__ function of the source, marked extern "C" or not. */
kdecl *kernel_decl_parse(const char *source, int *nout)
{
    *nout = 0;
    char *s = strip_source(source);
    int n = 0;
    tok *t = s ? tokenize(s, &n) : NULL;
    kdecl *ks = NULL;
    int nk = 0, cap = 0;
    int depth = 0, ext[64], next = 0, pending = 0;
    for (int i = 0; t && i < n; i++) {
        if (tok_is(&t[i], "extern") && i + 1 < n && tok_is(&t[i + 1], "\"C\"")) {
            if (i + 2 < n && tok_is(&t[i + 2], "{")) {
                depth++;
                if (next < 64) ext[next++] = depth;
                i += 2;
            } else {
                pending = 1;
                i++;
            }
            continue;
        }
        if (tok_is(&t[i], "{"))
            depth++, pending = 0;
        else if (tok_is(&t[i], "}")) {
            if (next && ext[next - 1] == depth) next--;
            depth--;
            pending = 0;
        } else if (tok_is(&t[i], ";"))
            pending = 0;
        else if (tok_is(&t[i], "__global__")) {
            if (nk == KDECL_MAX_KERNELS) break;
            if (nk == cap) {
                cap = cap ? cap * 2 : 8;
                kdecl *nks = realloc(ks, (size_t)cap * sizeof *ks);
                if (!nks) break;
                ks = nks;
            }
            memset(&ks[nk], 0, sizeof ks[nk]);
            ks[nk].is_c = pending || (next && ext[next - 1] == depth);
            int after = parse_decl(t, n, i, &ks[nk]);
            if (after < 0) continue;
            nk++;
            i = after - 1;
        }
    }
    free(t);
    free(s);
    *nout = nk;
    return ks;
}
