/* pcg.c -- PCG32 random streams (see pcg.h).
 *
 * This is Melissa O'Neill's pcg32 (the "minimal C" pcg_basic variant): a 64-bit LCG whose
 * output is permuted by XSH-RR (xorshift high, random rotate) down to 32 bits. Reproducing
 * the reference exactly matters because stream states are stored with a run: a resumed run
 * must draw the very numbers it would have drawn had it never stopped. */
#include "pcg.h"

#define PCG_MULT 6364136223846793005ULL

void pcg32_seed(evo_pcg32 *rng, uint64_t initstate, uint64_t initseq)
{
    rng->state = 0U;
    rng->inc = (initseq << 1u) | 1u;
    pcg32_next(rng);
    rng->state += initstate;
    pcg32_next(rng);
}

uint32_t pcg32_next(evo_pcg32 *rng)
{
    uint64_t old = rng->state;
    rng->state = old * PCG_MULT + rng->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

uint32_t pcg32_bounded(evo_pcg32 *rng, uint32_t bound)
{
    /* Reject the low (2^32 mod bound) outputs so every residue is equally likely. */
    uint32_t threshold = -bound % bound;
    for (;;) {
        uint32_t r = pcg32_next(rng);
        if (r >= threshold) return r % bound;
    }
}

double pcg32_uniform(evo_pcg32 *rng)
{
    /* 27 high bits then 26 more: the full 53-bit mantissa of a double, never 1.0. */
    uint32_t a = pcg32_next(rng) >> 5;
    uint32_t b = pcg32_next(rng) >> 6;
    return ((double)a * 67108864.0 + (double)b) * (1.0 / 9007199254740992.0);
}

evo_pcg32 pcg32_split(evo_pcg32 *rng)
{
    /* Two draws of the parent pick the child's start state and its stream (the seeding makes
     * the increment odd), so children of one parent walk different sequences. */
    uint32_t state = pcg32_next(rng);
    uint32_t seq = pcg32_next(rng);
    evo_pcg32 child;
    pcg32_seed(&child, state, seq);
    return child;
}
