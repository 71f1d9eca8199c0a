/* test_bandit.c -- the operator bandit: untried arms first, discounted UCB following the
 * payoff, zero weights never chosen, the "weights" policy's frequencies, and the JSON form. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bandit.h"
#include "check.h"
#include "pcg.h"
#include "pop_config.h"

static void test_add_find(void)
{
    evo_bandit b;
    bandit_init(&b);
    CHECK(b.n == 0);
    CHECK(bandit_add(&b, "point", 1) == 0);
    CHECK(bandit_add(&b, "multi", 0.5) == 1);
    CHECK(bandit_add(&b, "point", 2) == 0); /* same name: same arm, new weight */
    CHECK(b.n == 2 && b.arms[0].weight == 2);
    CHECK(bandit_find(&b, "multi") == 1 && bandit_find(&b, "llm") == -1);
    CHECK(bandit_add(&b, "neg", -3) == 2 && b.arms[2].weight == 0);
    for (int i = 3; i < EVO_MAX_ARMS; i++) {
        char name[16];
        snprintf(name, sizeof name, "op%d", i);
        CHECK(bandit_add(&b, name, 1) == i);
    }
    CHECK(bandit_add(&b, "one_too_many", 1) == -1);
    CHECK(b.n == EVO_MAX_ARMS);

    bandit_init(&b);
    CHECK(bandit_add(&b, "a_very_long_operator_name_beyond_31_characters", 1) == 0);
    CHECK(strlen(b.arms[0].name) == 31);
}

static void test_untried_and_zero(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_pcg32 rng;
    pcg32_seed(&rng, 1, 2);
    evo_bandit b;
    bandit_init(&b);
    CHECK(bandit_choose(&b, &cfg, &rng) == -1); /* no arms */
    bandit_add(&b, "a", 1);
    bandit_add(&b, "b", 2);
    bandit_add(&b, "c", 2);
    bandit_add(&b, "d", 0);
    CHECK(bandit_choose(&b, &cfg, &rng) == 1); /* highest weight, lowest index */
    bandit_update(&b, &cfg, 1, 0, 0, 0);
    CHECK(bandit_choose(&b, &cfg, &rng) == 2);
    bandit_update(&b, &cfg, 2, 0, 0, 1);
    CHECK(bandit_choose(&b, &cfg, &rng) == 0);
    bandit_update(&b, &cfg, 0, 0, 0, 0);
    int zero = 0;
    for (int i = 0; i < 500; i++) {
        int arm = bandit_choose(&b, &cfg, &rng);
        zero += arm == 3 || arm < 0;
        bandit_update(&b, &cfg, arm, 0.1 * (arm + 1), 1, 0);
    }
    CHECK(zero == 0 && b.arms[3].uses == 0);

    /* Every weight zero: nothing to choose, under either policy. */
    evo_bandit z;
    bandit_init(&z);
    bandit_add(&z, "a", 0);
    bandit_add(&z, "b", 0);
    CHECK(bandit_choose(&z, &cfg, &rng) == -1);
    strcpy(cfg.bandit_policy, "weights");
    CHECK(bandit_choose(&z, &cfg, &rng) == -1);
}

static void test_update(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_bandit b;
    bandit_init(&b);
    bandit_add(&b, "a", 1);
    bandit_add(&b, "b", 1);
    bandit_update(&b, &cfg, 0, 0.5, 1, 0);
    CHECK(b.arms[0].count == 1 && b.arms[0].reward == 0.5);
    bandit_update(&b, &cfg, 1, 5.0, 1, 0); /* clipped to 1; arm a discounted */
    CHECK(b.arms[1].count == 1 && b.arms[1].reward == 1);
    CHECK(fabs(b.arms[0].count - 0.98) < 1e-15 && fabs(b.arms[0].reward - 0.49) < 1e-15);
    bandit_update(&b, &cfg, 1, -2.0, 0, 1);
    bandit_update(&b, &cfg, 1, NAN, 0, 1);
    CHECK(fabs(b.arms[1].reward - 0.98 * 0.98) < 1e-15);
    CHECK(b.arms[1].uses == 3 && b.arms[1].improvements == 1 && b.arms[1].failures == 2);
    CHECK(b.arms[0].uses == 1 && b.arms[0].improvements == 1 && b.arms[0].failures == 0);
    bandit_update(&b, &cfg, 7, 1, 1, 1); /* no such arm: nothing changes */
    CHECK(b.arms[1].uses == 3 && fabs(b.arms[0].count - 0.98 * 0.98 * 0.98) < 1e-15);
}

static void test_ucb_score(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_pcg32 rng;
    pcg32_seed(&rng, 3, 4);
    evo_bandit b;
    bandit_init(&b);
    bandit_add(&b, "a", 1);
    bandit_add(&b, "b", 1);
    /* a: mean 0.5 + 0.5 * sqrt(ln 3 / 2) = 0.871; b: 0.2 + 0.5 * sqrt(ln 3) = 0.724. */
    b.arms[0] = (evo_arm){.name = "a", .weight = 1, .count = 2, .reward = 1, .uses = 2};
    b.arms[1] = (evo_arm){.name = "b", .weight = 1, .count = 1, .reward = 0.2, .uses = 1};
    CHECK(bandit_choose(&b, &cfg, &rng) == 0);
    b.arms[1].weight = 2; /* 1.448 */
    CHECK(bandit_choose(&b, &cfg, &rng) == 1);
    b.arms[1].weight = 1;
    cfg.bandit_c = 2; /* a: 0.5 + 2 * 0.741 = 1.98; b: 0.2 + 2 * 1.048 = 2.30 */
    CHECK(bandit_choose(&b, &cfg, &rng) == 1);
}

/* Fraction of choices of arm 1 in steps [from, to) of a run where arm 0 pays pay0 until
 * step stop0 (then 0) and arm 1 always pays pay1. */
static double run_two(const evo_config *cfg, double pay0, int stop0, double pay1, int from, int to)
{
    evo_pcg32 rng;
    pcg32_seed(&rng, 9, 9);
    evo_bandit b;
    bandit_init(&b);
    bandit_add(&b, "a", 1);
    bandit_add(&b, "b", 1);
    int ones = 0;
    for (int step = 0; step < to; step++) {
        int arm = bandit_choose(&b, cfg, &rng);
        double reward = arm == 0 ? (step < stop0 ? pay0 : 0) : pay1;
        bandit_update(&b, cfg, arm, reward, reward > 0, 0);
        if (step >= from) ones += arm == 1;
    }
    return (double)ones / (to - from);
}

static void test_follows_payoff(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    double share1 = run_two(&cfg, 0.5, 1 << 30, 0.1, 0, 2000);
    CHECK_MSG(share1 < 0.2, "the better arm 0 was chosen only %.3f of the time", 1 - share1);

    /* Arm 0 stops paying at step 300: with discount the lead goes within the window, without
     * it the old payoff keeps arm 0 ahead much longer. */
    double discounted = run_two(&cfg, 0.5, 300, 0.2, 400, 600);
    CHECK_MSG(discounted > 0.6, "arm 1 share after the switch %.3f", discounted);
    cfg.bandit_discount = 1;
    double plain = run_two(&cfg, 0.5, 300, 0.2, 400, 600);
    CHECK_MSG(plain < 0.5 && plain < discounted, "undiscounted arm 1 share %.3f", plain);
}

static void test_weights_policy(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    strcpy(cfg.bandit_policy, "weights");
    evo_bandit b;
    bandit_init(&b);
    bandit_add(&b, "a", 1);
    bandit_add(&b, "zero", 0);
    bandit_add(&b, "b", 2);
    bandit_add(&b, "c", 3);
    bandit_update(&b, &cfg, 3, 1, 1, 0); /* rewards are ignored by this policy */
    evo_pcg32 rng;
    pcg32_seed(&rng, 42, 7);
    int counts[4] = {0};
    const int draws = 100000;
    for (int i = 0; i < draws; i++) {
        int arm = bandit_choose(&b, &cfg, &rng);
        if (arm >= 0 && arm < 4) counts[arm]++;
    }
    double expect[4] = {1 / 6.0, 0, 2 / 6.0, 3 / 6.0};
    for (int i = 0; i < 4; i++)
        CHECK_MSG(fabs((double)counts[i] / draws - expect[i]) < 0.01, "arm %d: %.4f vs %.4f", i,
                  (double)counts[i] / draws, expect[i]);
    CHECK(counts[1] == 0);
}

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
}

static void build(evo_bandit *b)
{
    bandit_init(b);
    bandit_add(b, "point", 1);
    bandit_add(b, "multi", 0.5);
    bandit_add(b, "llm", 0);
}

static void test_json(void)
{
    evo_config cfg;
    pop_default_config(&cfg);
    evo_bandit b;
    build(&b);
    for (int i = 0; i < 30; i++)
        bandit_update(&b, &cfg, i % 2, 0.013 * i, i % 3 == 0, i % 5 == 0);
    json_t *j = bandit_to_json(&b);
    evo_bandit back;
    build(&back);
    CHECK(bandit_from_json(&back, j) == 0);
    json_t *j2 = bandit_to_json(&back);
    char *s1 = dump(j), *s2 = dump(j2);
    CHECK_MSG(s1 && s2 && strcmp(s1, s2) == 0, "%s vs %s", s1, s2);
    free(s1);
    free(s2);
    json_decref(j2);

    /* Restores by name: arms it lacks are ignored, arms the form lacks stay fresh, weights
     * come from the configuration. */
    evo_bandit other;
    bandit_init(&other);
    bandit_add(&other, "crossover", 1);
    bandit_add(&other, "multi", 2);
    CHECK(bandit_from_json(&other, j) == 0);
    CHECK(other.n == 2 && other.arms[0].uses == 0 && other.arms[1].uses == b.arms[1].uses);
    CHECK(other.arms[1].count == b.arms[1].count && other.arms[1].weight == 2);

    /* Malformed forms: -1 and nothing changed. */
    evo_bandit before = other;
    json_t *bad = json_pack("{ss}", "arms", "none");
    CHECK(bandit_from_json(&other, bad) == -1);
    json_decref(bad);
    bad = json_pack("{s[{ss sf sf sI sI sI} {ss sf}]}", "arms", "name", "multi", "count", 1.0,
                    "reward", 0.5, "uses", (json_int_t)1, "improvements", (json_int_t)0, "failures",
                    (json_int_t)0, "name", "crossover", "count", 1.0);
    CHECK(bad != NULL);
    CHECK(bandit_from_json(&other, bad) == -1);
    CHECK(memcmp(&before, &other, sizeof other) == 0);
    json_decref(bad);
    bad = json_pack("[]");
    CHECK(bandit_from_json(&other, bad) == -1);
    json_decref(bad);
    json_decref(j);
}

int main(void)
{
    test_add_find();
    test_untried_and_zero();
    test_update();
    test_ucb_score();
    test_follows_payoff();
    test_weights_policy();
    test_json();
    return CHECK_DONE();
}
