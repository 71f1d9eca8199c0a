/* pcg.h -- PCG32 (O'Neill's pcg32, XSH-RR 64/32) random streams.
 * Every random decision in a run draws from one of these, and their states are stored with
 * the run, so a resumed run continues the same streams. */
#ifndef EVO_PCG_H
#define EVO_PCG_H
#include <stdint.h>

typedef struct evo_pcg32 {
    uint64_t state;
    uint64_t inc; /* stream selector, always odd */
} evo_pcg32;

/* Seed exactly as pcg32_srandom_r(rng, initstate, initseq) of the reference implementation. */
void pcg32_seed(evo_pcg32 *rng, uint64_t initstate, uint64_t initseq);
uint32_t pcg32_next(evo_pcg32 *rng);
/* Uniform in [0, bound) without modulo bias (reference pcg32_boundedrand_r). bound > 0. */
uint32_t pcg32_bounded(evo_pcg32 *rng, uint32_t bound);
/* Uniform double in [0, 1) with 53 random bits. */
double pcg32_uniform(evo_pcg32 *rng);
/* A fresh stream derived from this one (consumes draws): used to give each planned
 * mutation its own stream so its outcome is independent of thread timing. */
evo_pcg32 pcg32_split(evo_pcg32 *rng);
#endif
