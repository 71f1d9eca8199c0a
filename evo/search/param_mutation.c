/* param_mutation.c -- the template moves behind the point, multi, crossover and restart operators
 * (see param_mutation.h); template_operators.c adapts them to the evo_operator interface.
 *
 * Everything here is pure: a space, points and a PCG stream in, a point or genome out. All
 * randomness comes from the stream the caller passes, so a planned mutation replays exactly
 * on a resumed run. Constraints are handled by rejection: draw, check, retry a bounded
 * number of times, and when nothing fits say which constraint rejected the most tries. */
#include "param_mutation.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- options and constants ---- */

void mutate_options_default(mutate_options *o)
{
    o->multi_max = 3;
    o->resample_prob = 0.2;
    o->max_tries = 64;
}

static json_t *load_object(const char *json, const char *what, char *err, size_t errlen)
{
    if (!json || !*json) return json_object();
    json_error_t je;
    json_t *o = json_loads(json, 0, &je);
    if (!o) {
        snprintf(err, errlen, "%s: invalid JSON at line %d column %d: %s", what, je.line, je.column,
                 je.text);
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        snprintf(err, errlen, "%s: expected a JSON object", what);
        return NULL;
    }
    return o;
}

static int read_int_option(json_t *o, const char *key, int min, int *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!v) return 0;
    if (!json_is_integer(v)) {
        snprintf(err, errlen, "options: %s must be an integer", key);
        return -1;
    }
    json_int_t x = json_integer_value(v);
    if (x < min || x > 1000000) {
        snprintf(err, errlen, "options: %s must be in [%d, 1000000], found %lld", key, min,
                 (long long)x);
        return -1;
    }
    *out = (int)x;
    return 0;
}

int mutate_options_parse(const char *json, mutate_options *o, char *err, size_t errlen)
{
    json_t *j = load_object(json, "options", err, errlen);
    if (!j) return -1;
    int rc = 0;
    if (read_int_option(j, "multi_max", 2, &o->multi_max, err, errlen) ||
        read_int_option(j, "max_tries", 1, &o->max_tries, err, errlen))
        rc = -1;
    json_t *p = json_object_get(j, "resample_prob");
    if (rc == 0 && p) {
        if (!json_is_number(p)) {
            snprintf(err, errlen, "options: resample_prob must be a number");
            rc = -1;
        } else if (!(json_number_value(p) >= 0 && json_number_value(p) <= 1)) {
            snprintf(err, errlen, "options: resample_prob must be in [0, 1], found %g",
                     json_number_value(p));
            rc = -1;
        } else {
            o->resample_prob = json_number_value(p);
        }
    }
    json_decref(j);
    return rc;
}

int mutate_constants_parse(const char *json, evo_constants *k, char *err, size_t errlen)
{
    json_t *j = load_object(json, "constants", err, errlen);
    if (!j) return -1;
    const char *name;
    json_t *v;
    int rc = 0;
    json_object_foreach(j, name, v)
    {
        if (!json_is_integer(v)) {
            snprintf(err, errlen, "constants: '%s' must be an integer", name);
            rc = -1;
            break;
        }
        if (constants_set(k, name, (int64_t)json_integer_value(v)) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
    }
    json_decref(j);
    return rc;
}

/* ---- moves on points ---- */

/* Indices of the parameters with more than one value, into out (s->nparams entries). */
static int tunables(const evo_space *s, int *out)
{
    int n = 0;
    for (int i = 0; i < s->nparams; i++)
        if (s->params[i].nvalues > 1) out[n++] = i;
    return n;
}

/* The point rule for one parameter: a different value index than cur. */
static int step_value(const evo_param *p, int cur, double resample_prob, evo_pcg32 *rng)
{
    int n = p->nvalues;
    if (n == 2) return 1 - cur;
    if (pcg32_uniform(rng) < resample_prob) {
        int j = (int)pcg32_bounded(rng, (uint32_t)(n - 1));
        return j >= cur ? j + 1 : j;
    }
    if (cur <= 0) return 1;
    if (cur >= n - 1) return n - 2;
    return pcg32_bounded(rng, 2) ? cur + 1 : cur - 1;
}

/* The retry loop shared by the moves: propose() fills a candidate, which is kept if it
 * satisfies the constraints. */
typedef int (*propose_fn)(const evo_space *s, evo_pcg32 *rng, const void *arg, evo_point *c);

static int reject_loop(const evo_space *s, const evo_constants *k, evo_pcg32 *rng, int max_tries,
                       propose_fn propose, const void *arg, evo_point *child, char *err,
                       size_t errlen)
{
    if (max_tries < 1) max_tries = 1;
    evo_point c = point_new(s);
    int *fails = calloc((size_t)s->nconstraints + 1, sizeof *fails);
    if ((s->nparams > 0 && !c.idx) || !fails) {
        point_free(&c);
        free(fails);
        snprintf(err, errlen, "out of memory");
        return EVO_ENOMEM;
    }
    int rc = EVO_ESPACE, found = 0;
    for (int t = 0; t < max_tries && !found; t++) {
        propose(s, rng, arg, &c);
        int ok = space_check_count(s, k, &c, fails, err, errlen);
        if (ok < 0) break;
        found = ok;
    }
    if (found) {
        rc = EVO_OK;
        point_free(child);
        *child = c;
    } else {
        if (err[0] == '\0') space_explain_failures(s, fails, max_tries, "child", err, errlen);
        point_free(&c);
    }
    free(fails);
    return rc;
}

typedef struct change_arg {
    const evo_point *parent;
    double resample_prob;
    int nchange_min, nchange_max; /* how many parameters change */
    const int *tun;
    int ntun;
} change_arg;

/* Copy the parent and change a random number of distinct tunable parameters. */
static int propose_change(const evo_space *s, evo_pcg32 *rng, const void *varg, evo_point *c)
{
    const change_arg *a = varg;
    memcpy(c->idx, a->parent->idx, (size_t)s->nparams * sizeof *c->idx);
    int span = a->nchange_max - a->nchange_min + 1;
    int count = a->nchange_min + (int)pcg32_bounded(rng, (uint32_t)span);
    int pool[a->ntun];
    memcpy(pool, a->tun, sizeof pool);
    for (int j = 0; j < count; j++) { /* partial Fisher-Yates: distinct parameters */
        int r = j + (int)pcg32_bounded(rng, (uint32_t)(a->ntun - j));
        int i = pool[r];
        pool[r] = pool[j];
        pool[j] = i;
        c->idx[i] = step_value(&s->params[i], a->parent->idx[i], a->resample_prob, rng);
    }
    return 0;
}

static int change(const evo_space *s, const evo_constants *k, evo_pcg32 *rng,
                  const evo_point *parent, double resample_prob, int nmin, int nmax, int max_tries,
                  evo_point *child, char *err, size_t errlen)
{
    err[0] = '\0';
    if (parent->n != s->nparams) {
        snprintf(err, errlen, "the parent point does not match the space");
        return EVO_EINVAL;
    }
    int tun[s->nparams > 0 ? s->nparams : 1];
    int ntun = tunables(s, tun);
    if (ntun == 0) {
        snprintf(err, errlen, "no tunable parameters");
        return EVO_EDUPLICATE;
    }
    if (nmax > ntun) nmax = ntun;
    if (nmin > nmax) nmin = nmax;
    change_arg a = {parent, resample_prob, nmin, nmax, tun, ntun};
    return reject_loop(s, k, rng, max_tries, propose_change, &a, child, err, errlen);
}

int mutate_point(const evo_space *s, const evo_constants *k, evo_pcg32 *rng,
                 const evo_point *parent, double resample_prob, int max_tries, evo_point *child,
                 char *err, size_t errlen)
{
    return change(s, k, rng, parent, resample_prob, 1, 1, max_tries, child, err, errlen);
}

int mutate_multi(const evo_space *s, const evo_constants *k, evo_pcg32 *rng,
                 const evo_point *parent, double resample_prob, int multi_max, int max_tries,
                 evo_point *child, char *err, size_t errlen)
{
    if (multi_max < 2) multi_max = 2;
    return change(s, k, rng, parent, resample_prob, 2, multi_max, max_tries, child, err, errlen);
}

typedef struct cross_arg {
    const evo_point *a, *b;
    const int *diff; /* parameters where a and b differ */
    int ndiff;
} cross_arg;

/* Uniform crossover over the differing parameters; all-from-a and all-from-b are redrawn
 * (each has probability 2^-ndiff, so at most 1/4 with ndiff >= 2). */
static int propose_cross(const evo_space *s, evo_pcg32 *rng, const void *varg, evo_point *c)
{
    const cross_arg *x = varg;
    memcpy(c->idx, x->a->idx, (size_t)s->nparams * sizeof *c->idx);
    for (;;) {
        int from_b = 0;
        for (int j = 0; j < x->ndiff; j++) {
            int i = x->diff[j];
            int pick_b = (int)pcg32_bounded(rng, 2);
            c->idx[i] = pick_b ? x->b->idx[i] : x->a->idx[i];
            from_b += pick_b;
        }
        if (from_b > 0 && from_b < x->ndiff) return 0;
    }
}

int mutate_crossover(const evo_space *s, const evo_constants *k, evo_pcg32 *rng, const evo_point *a,
                     const evo_point *b, double resample_prob, int max_tries, evo_point *child,
                     char *err, size_t errlen)
{
    err[0] = '\0';
    if (a->n != s->nparams || b->n != s->nparams) {
        snprintf(err, errlen, "the parent point does not match the space");
        return EVO_EINVAL;
    }
    int diff[s->nparams > 0 ? s->nparams : 1];
    int ndiff = 0;
    for (int i = 0; i < s->nparams; i++)
        if (a->idx[i] != b->idx[i]) diff[ndiff++] = i;
    if (ndiff < 2) return mutate_point(s, k, rng, a, resample_prob, max_tries, child, err, errlen);
    cross_arg x = {a, b, diff, ndiff};
    return reject_loop(s, k, rng, max_tries, propose_cross, &x, child, err, errlen);
}

int mutate_restart(const evo_space *s, const evo_constants *k, evo_pcg32 *rng, int max_tries,
                   evo_point *child, char *err, size_t errlen)
{
    err[0] = '\0';
    if (space_sample(s, k, rng, max_tries, child, err, errlen) != 0)
        return strcmp(err, "out of memory") == 0 ? EVO_ENOMEM : EVO_ESPACE;
    return EVO_OK;
}

/* ---- whole operators ---- */

static int move(mutate_kind kind, const evo_space *s, const evo_constants *k,
                const mutate_options *o, evo_pcg32 *rng, const evo_point *pa, const evo_point *pb,
                evo_point *child, char *err, size_t errlen)
{
    switch (kind) {
    case MUTATE_POINT:
        return mutate_point(s, k, rng, pa, o->resample_prob, o->max_tries, child, err, errlen);
    case MUTATE_MULTI:
        return mutate_multi(s, k, rng, pa, o->resample_prob, o->multi_max, o->max_tries, child, err,
                            errlen);
    case MUTATE_CROSSOVER:
        if (!pb)
            return mutate_point(s, k, rng, pa, o->resample_prob, o->max_tries, child, err, errlen);
        return mutate_crossover(s, k, rng, pa, pb, o->resample_prob, o->max_tries, child, err,
                                errlen);
    default:
        return mutate_restart(s, k, rng, o->max_tries, child, err, errlen);
    }
}

/* Prefix err with "template 'X': ". */
static void prefix_template(const evo_genome *a, char *err, size_t errlen)
{
    char *copy = strdup(err);
    if (!copy) return;
    snprintf(err, errlen, "template '%s': %s", a->tmpl, copy);
    free(copy);
}

/* Make children until one is unseen; space and points already prepared. */
static int unseen_child(mutate_kind kind, const evo_genome *a, const evo_space *s,
                        const evo_constants *k, const mutate_options *o, evo_pcg32 *rng,
                        const evo_point *pa, const evo_point *pb, mutate_seen_fn seen, void *user,
                        evo_genome **out, char *err, size_t errlen)
{
    evo_point c = point_new(s);
    int tries = o->max_tries < 1 ? 1 : o->max_tries;
    int rc = EVO_EDUPLICATE;
    for (int t = 0; t < tries && rc == EVO_EDUPLICATE; t++) {
        int mrc = move(kind, s, k, o, rng, pa, pb, &c, err, errlen);
        if (mrc != EVO_OK) {
            rc = mrc;
            break;
        }
        evo_genome *g = genome_new(a->tmpl, a->source, s, &c);
        if (!g) {
            snprintf(err, errlen, "out of memory");
            rc = EVO_ENOMEM;
            break;
        }
        if (!seen || !seen(user, g->hash)) {
            *out = g;
            rc = EVO_OK;
        } else {
            genome_free(g);
        }
    }
    point_free(&c);
    if (rc == EVO_EDUPLICATE)
        snprintf(err, errlen, "template '%s': every child in %d tries had been seen", a->tmpl,
                 tries);
    else if (rc != EVO_OK)
        prefix_template(a, err, errlen);
    return rc;
}

int mutate_child(mutate_kind kind, const evo_genome *a, const evo_genome *b, const evo_constants *k,
                 const mutate_options *o, evo_pcg32 *rng, mutate_seen_fn seen, void *user,
                 evo_genome **child, char *err, size_t errlen)
{
    *child = NULL;
    char perr[512];
    evo_space *s = space_parse(a->source, perr, sizeof perr);
    if (!s) {
        snprintf(err, errlen, "template '%s': %s", a->tmpl, perr);
        return strcmp(perr, "out of memory") == 0 ? EVO_ENOMEM : EVO_ESPACE;
    }
    int rc = mutate_child_in(s, kind, a, b, k, o, rng, seen, user, child, err, errlen);
    space_free(s);
    return rc;
}

int mutate_child_in(const evo_space *s, mutate_kind kind, const evo_genome *a, const evo_genome *b,
                    const evo_constants *k, const mutate_options *o, evo_pcg32 *rng,
                    mutate_seen_fn seen, void *user, evo_genome **child, char *err, size_t errlen)
{
    *child = NULL;
    int tun[s->nparams > 0 ? s->nparams : 1];
    if (kind != MUTATE_RESTART && tunables(s, tun) == 0) {
        snprintf(err, errlen, "template '%s' has no tunable parameters", a->tmpl);
        return EVO_EDUPLICATE;
    }
    evo_point pa = {0, NULL}, pb = {0, NULL};
    int rc = EVO_OK, have_b = 0;
    if (genome_point(a, s, &pa) != 0) {
        snprintf(err, errlen,
                 "template '%s': a parameter value of the parent is outside the "
                 "space of its source",
                 a->tmpl);
        rc = EVO_ESPACE;
    }
    /* A second parent whose values do not fit a's space cannot be crossed with it: the
     * move then falls back to a point mutation of a. */
    if (rc == EVO_OK && kind == MUTATE_CROSSOVER && b) have_b = genome_point(b, s, &pb) == 0;
    if (rc == EVO_OK)
        rc = unseen_child(kind, a, s, k, o, rng, &pa, have_b ? &pb : NULL, seen, user, child, err,
                          errlen);
    point_free(&pa);
    point_free(&pb);
    return rc;
}
