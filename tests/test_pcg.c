/* test_pcg.c -- PCG32 matches the reference pcg32-demo output, bounded draws are uniform,
 * uniform doubles stay in [0, 1), and split streams are deterministic and distinct. */
#include <math.h>

#include "check.h"
#include "pcg.h"

static void test_reference_output(void)
{
    /* pcg32-demo: pcg32_srandom_r(&rng, 42u, 54u), first six 32-bit outputs. */
    static const uint32_t want[6] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                     0x83d2f293, 0xbfa4784b, 0xcbed606e};
    evo_pcg32 rng;
    pcg32_seed(&rng, 42u, 54u);
    for (int i = 0; i < 6; i++) {
        uint32_t got = pcg32_next(&rng);
        CHECK_MSG(got == want[i], "output %d: got 0x%08x want 0x%08x", i, got, want[i]);
    }
    CHECK(rng.inc & 1u);
}

static void test_bounded_uniformity(void)
{
    /* Chi-square over 10 cells with 100000 draws: 9 degrees of freedom, the 0.999 quantile
     * is 27.88, so a correct generator fails this only by a fixed-seed accident (it doesn't). */
    enum { CELLS = 10, DRAWS = 100000 };
    int count[CELLS] = {0};
    evo_pcg32 rng;
    pcg32_seed(&rng, 12345u, 678u);
    int out_of_range = 0;
    for (int i = 0; i < DRAWS; i++) {
        uint32_t v = pcg32_bounded(&rng, CELLS);
        if (v < CELLS)
            count[v]++;
        else
            out_of_range++;
    }
    CHECK(out_of_range == 0);
    double expect = (double)DRAWS / CELLS, chi2 = 0;
    for (int i = 0; i < CELLS; i++)
        chi2 += (count[i] - expect) * (count[i] - expect) / expect;
    CHECK_MSG(chi2 < 27.88, "chi-square %.2f too large", chi2);

    /* An awkward bound (just over half the range) still stays in range. */
    uint32_t big = 0x80000001u;
    for (int i = 0; i < 1000; i++)
        CHECK(pcg32_bounded(&rng, big) < big);
    CHECK(pcg32_bounded(&rng, 1) == 0);
}

static void test_uniform(void)
{
    evo_pcg32 rng;
    pcg32_seed(&rng, 1u, 2u);
    double sum = 0, min = 1, max = 0;
    int outside = 0;
    for (int i = 0; i < 100000; i++) {
        double u = pcg32_uniform(&rng);
        outside += !(u >= 0.0 && u < 1.0);
        sum += u;
        min = u < min ? u : min;
        max = u > max ? u : max;
    }
    CHECK(outside == 0);
    CHECK_MSG(fabs(sum / 100000 - 0.5) < 0.01, "mean %g", sum / 100000);
    CHECK(min < 0.001 && max > 0.999);

    /* Two draws per double: the result is exactly the 53-bit combination. */
    evo_pcg32 a, b;
    pcg32_seed(&a, 7u, 9u);
    pcg32_seed(&b, 7u, 9u);
    uint32_t hi = pcg32_next(&b) >> 5, lo = pcg32_next(&b) >> 6;
    double want = ((double)hi * 67108864.0 + lo) / 9007199254740992.0;
    CHECK(pcg32_uniform(&a) == want);
    CHECK(a.state == b.state);
}

static void test_split(void)
{
    evo_pcg32 p1, p2;
    pcg32_seed(&p1, 99u, 3u);
    pcg32_seed(&p2, 99u, 3u);
    evo_pcg32 c1 = pcg32_split(&p1), c2 = pcg32_split(&p2);
    CHECK(c1.state == c2.state && c1.inc == c2.inc);
    CHECK(c1.inc & 1u);
    /* The parent consumed two draws. */
    evo_pcg32 p3;
    pcg32_seed(&p3, 99u, 3u);
    pcg32_next(&p3);
    pcg32_next(&p3);
    CHECK(p3.state == p1.state);
    /* Two splits give different streams, and the child differs from the parent. */
    evo_pcg32 d1 = pcg32_split(&p1);
    int same = 0, same_parent = 0;
    for (int i = 0; i < 100; i++) {
        uint32_t x = pcg32_next(&c1), y = pcg32_next(&d1), z = pcg32_next(&p1);
        same += x == y;
        same_parent += x == z;
    }
    CHECK(same < 3);
    CHECK(same_parent < 3);
}

int main(void)
{
    test_reference_output();
    test_bounded_uniformity();
    test_uniform();
    test_split();
    return CHECK_DONE();
}
