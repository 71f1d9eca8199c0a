/* genome.h -- the internal form of a candidate: template name, source, parameter assignment.
 * A genome owns copies of everything. Its hash is SHA-256 over the normalised source (CRLF
 * to LF, trailing whitespace of each line removed, trailing blank lines removed), a zero
 * byte, then "NAME=VALUE\n" for each parameter sorted by name. */
#ifndef EVO_GENOME_H
#define EVO_GENOME_H
#include "evo.h"
#include "space.h"
#include <stdint.h>

struct evo_genome {
    char *tmpl;          /* template name */
    char *source;        /* source as written */
    char source_sha[65]; /* SHA-256 of the normalised source: identifies the template text */
    int nparams;
    char **names; /* sorted by name */
    char **values;
    char hash[65];
};

/* New genome from a source and a point in its space (space may be NULL for no params).
 * Returns NULL on allocation failure. */
evo_genome *genome_new(const char *tmpl, const char *source, const evo_space *space,
                       const evo_point *p);
/* New genome from explicit name/value pairs (used when loading from the store). */
evo_genome *genome_from_pairs(const char *tmpl, const char *source, int n, const char *const *names,
                              const char *const *values);
evo_genome *genome_copy(const evo_genome *g);
void genome_free(evo_genome *g);
/* Normalised copy of a source (caller frees). */
char *source_normalise(const char *source);
/* Parameters as a JSON object text (caller frees). */
char *genome_params_json(const evo_genome *g);
/* The source with "#define NAME VALUE" lines for its parameters before it (caller frees). */
char *genome_render(const evo_genome *g);
/* Recover the point of g in space s (parameters absent from g keep defaults, parameters s
 * does not declare are ignored). Returns 0, or -1 if a value of g is not in its domain.
 * *out must be a point (point_new, or {0, NULL}); its old storage is freed on success. */
int genome_point(const evo_genome *g, const evo_space *s, evo_point *out);
#endif
