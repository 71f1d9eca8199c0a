/* param_mutation.h -- the template operators: point, multi, crossover, restart.
 * Each is an evo_operator working on the evo:params space of its parent's source; all
 * respect constraints by reject-and-resample with a bounded number of tries, and try again
 * (up to the same bound) when the child's hash has already been seen in the run.
 *
 * The logic is pure (no engine): the functions below work on spaces, points and genomes and
 * draw from a PCG stream, so they are tested directly; engine/template_operators.c wraps them as operators. */
#ifndef EVO_PARAM_MUTATION_H
#define EVO_PARAM_MUTATION_H
#include "evo.h"
#include "genome.h"
#include "pcg.h"
#include "space.h"
#include <stddef.h>

/* Knobs, read from the operator options JSON (evo_mutation_options). */
typedef struct mutate_options {
    int multi_max;        /* most parameters the multi operator changes (>= 2); default 3 */
    double resample_prob; /* chance a changed parameter is redrawn instead of stepped; 0.2 */
    int max_tries;        /* constraint and duplicate rejection tries (>= 1); default 64 */
} mutate_options;

void mutate_options_default(mutate_options *o);
/* Read multi_max, resample_prob and max_tries from a JSON object (other keys are ignored,
 * absent ones keep o's values; NULL or "" is an empty object). Returns 0, or -1 with err
 * naming the key. */
int mutate_options_parse(const char *json, mutate_options *o, char *err, size_t errlen);
/* Add the constants of a JSON object {"NAME": integer, ...} to k. Returns 0 or -1 (err). */
int mutate_constants_parse(const char *json, evo_constants *k, char *err, size_t errlen);

/* The four moves on points. Each returns EVO_OK with *child set (child is freed first, so
 * pass an initialised point), EVO_EDUPLICATE when no child different from the parent(s)
 * can exist (err "no tunable parameters"), EVO_ESPACE when no tried child satisfied the
 * constraints (err "no valid child in N tries: constraint 'E' failed M times") or a
 * constraint could not be evaluated, EVO_ENOMEM.
 *
 * point: one parameter with more than one value changes: with resample_prob it is redrawn
 * uniformly among its other values, else it steps to a neighbouring value (a two-valued
 * parameter, bool included, flips). */
int mutate_point(const evo_space *s, const evo_constants *k, evo_pcg32 *rng,
                 const evo_point *parent, double resample_prob, int max_tries, evo_point *child,
                 char *err, size_t errlen);
/* multi: 2..multi_max distinct parameters change, each by the point rule (one when the
 * space has a single tunable parameter). */
int mutate_multi(const evo_space *s, const evo_constants *k, evo_pcg32 *rng,
                 const evo_point *parent, double resample_prob, int multi_max, int max_tries,
                 evo_point *child, char *err, size_t errlen);
/* crossover: each parameter from a or b with probability 1/2, never equal to either parent;
 * when a and b differ in fewer than two parameters that is impossible and the child is a
 * point mutation of a. */
int mutate_crossover(const evo_space *s, const evo_constants *k, evo_pcg32 *rng, const evo_point *a,
                     const evo_point *b, double resample_prob, int max_tries, evo_point *child,
                     char *err, size_t errlen);
/* restart: a uniformly random valid point (space_sample; its message on failure). */
int mutate_restart(const evo_space *s, const evo_constants *k, evo_pcg32 *rng, int max_tries,
                   evo_point *child, char *err, size_t errlen);

typedef enum { MUTATE_POINT, MUTATE_MULTI, MUTATE_CROSSOVER, MUTATE_RESTART } mutate_kind;
/* Whether a hash was already evaluated or is in flight (evo_mutation_seen). */
typedef int (*mutate_seen_fn)(void *user, const char *hash);

/* A whole operator without the engine: parse a's space, recover the parents' points
 * (b may be NULL; it is used by crossover only), apply the move and build the child genome
 * (a's template and source), retrying up to o->max_tries times while seen() says the hash is
 * known. Returns EVO_OK with *child (caller frees with genome_free), or the codes above with
 * err written for evo_mutation_fail: "template 'X' has no tunable parameters" and "template
 * 'X': every child in N tries had been seen" (EVO_EDUPLICATE), "template 'X': ..." for a
 * malformed space or a parent outside it (EVO_ESPACE). */
int mutate_child(mutate_kind kind, const evo_genome *a, const evo_genome *b, const evo_constants *k,
                 const mutate_options *o, evo_pcg32 *rng, mutate_seen_fn seen, void *user,
                 evo_genome **child, char *err, size_t errlen);
/* Same, with a's space already parsed (the engine caches spaces by source). */
int mutate_child_in(const evo_space *s, mutate_kind kind, const evo_genome *a, const evo_genome *b,
                    const evo_constants *k, const mutate_options *o, evo_pcg32 *rng,
                    mutate_seen_fn seen, void *user, evo_genome **child, char *err, size_t errlen);
#endif
