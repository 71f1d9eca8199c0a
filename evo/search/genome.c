/* genome.c -- candidates as data: template name, source text and parameter assignment, with
 * the content hash that identifies them across the run (see genome.h and evo.h).
 *
 * Two candidates with the same hash are the same candidate: the engine evaluates each hash
 * once and the mutation operators retry when they produce a hash already seen. The hash is
 * over the normalised source so that whitespace-only edits (CRLF, trailing blanks) by a
 * model or an editor do not count as new code. */
#include "genome.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

char *source_normalise(const char *source)
{
    if (!source) source = "";
    size_t n = strlen(source);
    char *out = malloc(n + 2);
    if (!out) return NULL;
    size_t len = 0, keep = 0; /* keep: length up to the last non-blank line */
    const char *p = source;
    while (*p) {
        size_t linelen = strcspn(p, "\n");
        size_t end = linelen;
        while (end > 0 && strchr(" \t\r\f\v", p[end - 1]))
            end--;
        memcpy(out + len, p, end);
        len += end;
        out[len++] = '\n';
        if (end > 0) keep = len;
        p += linelen;
        if (*p == '\n') p++;
    }
    out[keep] = '\0';
    return out;
}

/* ---- construction ---- */

static void genome_free_parts(evo_genome *g)
{
    for (int i = 0; i < g->nparams; i++) {
        free(g->names[i]);
        free(g->values[i]);
    }
    free(g->names);
    free(g->values);
    free(g->tmpl);
    free(g->source);
}

void genome_free(evo_genome *g)
{
    if (!g) return;
    genome_free_parts(g);
    free(g);
}

/* Insertion sort by name: parameter lists are short. */
static void sort_params(evo_genome *g)
{
    for (int i = 1; i < g->nparams; i++) {
        char *n = g->names[i], *v = g->values[i];
        int j = i;
        for (; j > 0 && strcmp(g->names[j - 1], n) > 0; j--) {
            g->names[j] = g->names[j - 1];
            g->values[j] = g->values[j - 1];
        }
        g->names[j] = n;
        g->values[j] = v;
    }
}

static int compute_hashes(evo_genome *g)
{
    char *norm = source_normalise(g->source);
    if (!norm) return -1;
    size_t nlen = strlen(norm);
    sha256_hex(norm, nlen, g->source_sha);
    evo_sha256 s;
    uint8_t digest[32];
    sha256_init(&s);
    sha256_update(&s, norm, nlen + 1); /* the source, then its terminating zero byte */
    free(norm);
    for (int i = 0; i < g->nparams; i++) {
        sha256_update(&s, g->names[i], strlen(g->names[i]));
        sha256_update(&s, "=", 1);
        sha256_update(&s, g->values[i], strlen(g->values[i]));
        sha256_update(&s, "\n", 1);
    }
    sha256_final(&s, digest);
    sha256_to_hex(digest, g->hash);
    return 0;
}

/* A genome owning copies of everything, with n parameter slots still to fill. */
static evo_genome *genome_alloc(const char *tmpl, const char *source, int n)
{
    evo_genome *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->tmpl = strdup(tmpl ? tmpl : "");
    g->source = strdup(source ? source : "");
    g->names = calloc((size_t)(n > 0 ? n : 1), sizeof *g->names);
    g->values = calloc((size_t)(n > 0 ? n : 1), sizeof *g->values);
    if (!g->tmpl || !g->source || !g->names || !g->values) {
        genome_free(g);
        return NULL;
    }
    return g;
}

/* Sort, hash and hand back g, or free it when a copy failed. */
static evo_genome *genome_finish(evo_genome *g, int n)
{
    for (int i = 0; i < n; i++)
        if (!g->names[i] || !g->values[i]) {
            g->nparams = n;
            genome_free(g);
            return NULL;
        }
    g->nparams = n;
    sort_params(g);
    if (compute_hashes(g) != 0) {
        genome_free(g);
        return NULL;
    }
    return g;
}

evo_genome *genome_from_pairs(const char *tmpl, const char *source, int n, const char *const *names,
                              const char *const *values)
{
    if (n < 0) n = 0;
    evo_genome *g = genome_alloc(tmpl, source, n);
    if (!g) return NULL;
    for (int i = 0; i < n; i++) {
        g->names[i] = strdup(names[i]);
        g->values[i] = strdup(values[i]);
    }
    return genome_finish(g, n);
}

evo_genome *genome_new(const char *tmpl, const char *source, const evo_space *space,
                       const evo_point *p)
{
    int n = space && p ? space->nparams : 0;
    if (p && n > p->n) n = p->n;
    evo_genome *g = genome_alloc(tmpl, source, n);
    if (!g) return NULL;
    for (int i = 0; i < n; i++) {
        const evo_param *par = &space->params[i];
        g->names[i] = strdup(par->name);
        g->values[i] = strdup(par->values[p->idx[i]]);
    }
    return genome_finish(g, n);
}

evo_genome *genome_copy(const evo_genome *g)
{
    if (!g) return NULL;
    return genome_from_pairs(g->tmpl, g->source, g->nparams, (const char *const *)g->names,
                             (const char *const *)g->values);
}

/* ---- views ---- */

char *genome_params_json(const evo_genome *g)
{
    json_t *o = json_object();
    if (!o) return NULL;
    for (int i = 0; i < g->nparams; i++) {
        int64_t v;
        json_t *j = text_to_int64(g->values[i], &v) == 0 ? json_integer((json_int_t)v)
                                                         : json_string(g->values[i]);
        if (json_object_set_new(o, g->names[i], j) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

char *genome_render(const evo_genome *g)
{
    /* "#line 1" after the defines makes compiler messages point at the source's own lines. */
    size_t n = strlen(g->source) + sizeof "#line 1\n";
    for (int i = 0; i < g->nparams; i++)
        n += strlen("#define  \n") + strlen(g->names[i]) + strlen(g->values[i]);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    size_t len = 0;
    for (int i = 0; i < g->nparams; i++)
        len += (size_t)sprintf(out + len, "#define %s %s\n", g->names[i], g->values[i]);
    len += (size_t)sprintf(out + len, "#line 1\n");
    memcpy(out + len, g->source, strlen(g->source) + 1);
    return out;
}

int genome_point(const evo_genome *g, const evo_space *s, evo_point *out)
{
    evo_point p = point_new(s);
    if (s->nparams > 0 && !p.idx) return -1;
    for (int i = 0; i < g->nparams; i++) {
        int k = space_find(s, g->names[i]);
        if (k < 0) continue; /* a parameter the space no longer declares */
        int v = param_value_index(&s->params[k], g->values[i]);
        if (v < 0) {
            point_free(&p);
            return -1;
        }
        p.idx[k] = v;
    }
    point_free(out);
    *out = p;
    return 0;
}

/* ---- public accessors (evo.h) ---- */

const char *evo_genome_source(const evo_genome *g)
{
    return g->source;
}
const char *evo_genome_template(const evo_genome *g)
{
    return g->tmpl;
}
const char *evo_genome_hash(const evo_genome *g)
{
    return g->hash;
}
int evo_genome_param_count(const evo_genome *g)
{
    return g->nparams;
}

const char *evo_genome_param_name(const evo_genome *g, int i)
{
    return i >= 0 && i < g->nparams ? g->names[i] : NULL;
}

const char *evo_genome_param_value(const evo_genome *g, int i)
{
    return i >= 0 && i < g->nparams ? g->values[i] : NULL;
}

int evo_genome_param_int(const evo_genome *g, const char *name, int64_t *out)
{
    for (int i = 0; i < g->nparams; i++)
        if (strcmp(g->names[i], name) == 0)
            return text_to_int64(g->values[i], out) == 0 ? EVO_OK : EVO_EINVAL;
    return EVO_ENOTFOUND;
}
