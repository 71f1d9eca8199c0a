/* test_mutate.c -- the template moves (point, multi, crossover, restart) checked by
 * statistics over many draws: how many parameters change and by how much, where crossover
 * values come from, that every child satisfies the constraints, determinism per seed, the
 * exact errors for infeasible and untunable spaces, duplicate retries, and option parsing. */
#include <stdlib.h>

#include "check.h"
#include "param_mutation.h"

/* BM*BK <= LIMIT removes some corners; LAYOUT and FLAG are two-valued. */
static const char *const SRC = "/* evo:params\n"
                               " BM     pow2 16..256      default 64\n"
                               " BK     set 8 16 32 64    default 16\n"
                               " STAGES range 1..5        default 2\n"
                               " LAYOUT enum ROW COL      default ROW\n"
                               " FLAG   bool              default 0\n"
                               " FIXED  set 7\n"
                               " require BM*BK <= LIMIT\n"
                               "*/\n"
                               "__global__ void k() {}\n";

static evo_space *space_of(const char *src)
{
    char err[256];
    evo_space *s = space_parse(src, err, sizeof err);
    CHECK_MSG(s != NULL, "%s", err);
    return s;
}

static int ndiff(const evo_point *a, const evo_point *b)
{
    int n = 0;
    for (int i = 0; i < a->n; i++)
        n += a->idx[i] != b->idx[i];
    return n;
}

static void limits(evo_constants *k, int64_t limit)
{
    constants_init(k);
    constants_set(k, "LIMIT", limit);
}

static void test_point(void)
{
    evo_space *s = space_of(SRC);
    if (!s) return;
    evo_constants k;
    limits(&k, 4096);
    evo_pcg32 rng;
    pcg32_seed(&rng, 1, 2);
    evo_point parent = point_new(s), child = point_new(s);
    char err[256];
    int changed[6] = {0}, far_steps = 0, resampled_far = 0;
    for (int t = 0; t < 3000; t++) {
        int rc = mutate_point(s, &k, &rng, &parent, 0.0, 64, &child, err, sizeof err);
        CHECK_MSG(rc == EVO_OK, "%s", err);
        CHECK(ndiff(&parent, &child) == 1);
        CHECK(space_check(s, &k, &child, err, sizeof err) == 1);
        for (int i = 0; i < s->nparams; i++)
            if (child.idx[i] != parent.idx[i]) {
                changed[i]++;
                far_steps += abs(child.idx[i] - parent.idx[i]) != 1;
            }
    }
    CHECK(far_steps == 0); /* resample_prob 0: neighbours only */
    for (int i = 0; i < 5; i++)
        CHECK_MSG(changed[i] > 300, "param %d changed %d times", i, changed[i]);
    CHECK(changed[5] == 0); /* FIXED has one value */

    /* resample_prob 1: redraws reach non-neighbours, never the current value. */
    int reached[5] = {0};
    for (int t = 0; t < 3000; t++) {
        CHECK(mutate_point(s, &k, &rng, &parent, 1.0, 64, &child, err, sizeof err) == EVO_OK);
        CHECK(ndiff(&parent, &child) == 1);
        if (child.idx[2] != parent.idx[2]) {
            reached[child.idx[2]]++;
            resampled_far += abs(child.idx[2] - parent.idx[2]) > 1;
        }
    }
    CHECK(reached[1] == 0); /* STAGES parent index 1 (value 2) */
    CHECK(reached[0] > 0 && reached[2] > 0 && reached[3] > 0 && reached[4] > 0);
    CHECK(resampled_far > 0);

    /* At the edge of the domain the step goes inward; bool flips. */
    parent.idx[0] = 0; /* BM 16 */
    parent.idx[4] = 1; /* FLAG 1 */
    for (int t = 0; t < 500; t++) {
        CHECK(mutate_point(s, &k, &rng, &parent, 0.0, 64, &child, err, sizeof err) == EVO_OK);
        if (child.idx[0] != parent.idx[0]) CHECK(child.idx[0] == 1);
        if (child.idx[4] != parent.idx[4]) CHECK(child.idx[4] == 0);
    }
    point_free(&parent);
    point_free(&child);
    constants_free(&k);
    space_free(s);
}

static void test_multi(void)
{
    evo_space *s = space_of(SRC);
    if (!s) return;
    evo_constants k;
    limits(&k, 1 << 20);
    evo_pcg32 rng;
    pcg32_seed(&rng, 3, 4);
    evo_point parent = point_new(s), child = point_new(s);
    char err[256];
    int count[7] = {0};
    for (int t = 0; t < 3000; t++) {
        CHECK(mutate_multi(s, &k, &rng, &parent, 0.2, 4, 64, &child, err, sizeof err) == EVO_OK);
        int d = ndiff(&parent, &child);
        CHECK_MSG(d >= 2 && d <= 4, "changed %d", d);
        count[d]++;
        CHECK(child.idx[5] == 0);
        CHECK(space_check(s, &k, &child, err, sizeof err) == 1);
    }
    CHECK(count[2] > 500 && count[3] > 500 && count[4] > 500);
    /* multi_max above the number of tunable parameters (5) is capped. */
    for (int t = 0; t < 500; t++) {
        CHECK(mutate_multi(s, &k, &rng, &parent, 0.2, 50, 64, &child, err, sizeof err) == EVO_OK);
        int d = ndiff(&parent, &child);
        CHECK(d >= 2 && d <= 5);
    }
    point_free(&parent);
    point_free(&child);
    constants_free(&k);
    space_free(s);

    /* One tunable parameter: multi changes just that one. */
    s = space_of("/* evo:params\nA range 1..4\nB set 3\n*/");
    if (!s) return;
    parent = point_new(s);
    child = point_new(s);
    for (int t = 0; t < 100; t++) {
        CHECK(mutate_multi(s, NULL, &rng, &parent, 0.0, 3, 64, &child, err, sizeof err) == EVO_OK);
        CHECK(ndiff(&parent, &child) == 1 && child.idx[0] == 1);
    }
    point_free(&parent);
    point_free(&child);
    space_free(s);
}

static void test_crossover(void)
{
    evo_space *s = space_of(SRC);
    if (!s) return;
    evo_constants k;
    limits(&k, 4096);
    evo_pcg32 rng;
    pcg32_seed(&rng, 5, 6);
    evo_point a = point_new(s), b = point_new(s), child = point_new(s);
    /* a: BM 16, BK 64, STAGES 1, ROW, 0; b: BM 64, BK 16, STAGES 5, COL, 1. */
    int av[6] = {0, 3, 0, 0, 0, 0}, bv[6] = {2, 1, 4, 1, 1, 0};
    memcpy(a.idx, av, sizeof av);
    memcpy(b.idx, bv, sizeof bv);
    char err[256];
    int from_b[6] = {0};
    for (int t = 0; t < 2000; t++) {
        CHECK(mutate_crossover(s, &k, &rng, &a, &b, 0.2, 64, &child, err, sizeof err) == EVO_OK);
        for (int i = 0; i < s->nparams; i++) {
            CHECK(child.idx[i] == a.idx[i] || child.idx[i] == b.idx[i]);
            from_b[i] += child.idx[i] == b.idx[i] && a.idx[i] != b.idx[i];
        }
        CHECK(ndiff(&child, &a) > 0 && ndiff(&child, &b) > 0);
        CHECK(space_check(s, &k, &child, err, sizeof err) == 1);
    }
    for (int i = 0; i < 5; i++)
        CHECK_MSG(from_b[i] > 600 && from_b[i] < 1400, "param %d from b %d", i, from_b[i]);

    /* Parents differing in one parameter cannot give a third point by crossover: the child
     * is a point mutation of a. */
    memcpy(b.idx, av, sizeof av);
    b.idx[4] = 1;
    for (int t = 0; t < 200; t++) {
        CHECK(mutate_crossover(s, &k, &rng, &a, &b, 0.2, 64, &child, err, sizeof err) == EVO_OK);
        CHECK(ndiff(&child, &a) == 1);
    }
    point_free(&a);
    point_free(&b);
    point_free(&child);
    constants_free(&k);
    space_free(s);
}

static void test_restart_and_determinism(void)
{
    evo_space *s = space_of(SRC);
    if (!s) return;
    evo_constants k;
    limits(&k, 2048);
    char err[256];
    evo_pcg32 r1, r2;
    pcg32_seed(&r1, 77, 1);
    pcg32_seed(&r2, 77, 1);
    evo_point p = point_new(s), c1 = point_new(s), c2 = point_new(s);
    for (int t = 0; t < 300; t++) {
        mutate_kind kind = (mutate_kind)(t % 4);
        int rc1, rc2;
        if (kind == MUTATE_RESTART) {
            rc1 = mutate_restart(s, &k, &r1, 64, &c1, err, sizeof err);
            rc2 = mutate_restart(s, &k, &r2, 64, &c2, err, sizeof err);
        } else if (kind == MUTATE_MULTI) {
            rc1 = mutate_multi(s, &k, &r1, &p, 0.3, 3, 64, &c1, err, sizeof err);
            rc2 = mutate_multi(s, &k, &r2, &p, 0.3, 3, 64, &c2, err, sizeof err);
        } else {
            rc1 = mutate_point(s, &k, &r1, &p, 0.3, 64, &c1, err, sizeof err);
            rc2 = mutate_point(s, &k, &r2, &p, 0.3, 64, &c2, err, sizeof err);
        }
        CHECK(rc1 == EVO_OK && rc2 == EVO_OK);
        CHECK(memcmp(c1.idx, c2.idx, (size_t)c1.n * sizeof(int)) == 0);
        CHECK(space_check(s, &k, &c1, err, sizeof err) == 1);
    }
    CHECK(r1.state == r2.state);
    point_free(&p);
    point_free(&c1);
    point_free(&c2);
    constants_free(&k);
    space_free(s);
}

static void test_infeasible_and_untunable(void)
{
    evo_space *s = space_of(SRC);
    if (!s) return;
    evo_constants k;
    limits(&k, 1);
    evo_pcg32 rng;
    pcg32_seed(&rng, 9, 9);
    evo_point p = point_new(s), c = point_new(s), b = point_new(s);
    char err[256];
    CHECK(mutate_point(s, &k, &rng, &p, 0.2, 8, &c, err, sizeof err) == EVO_ESPACE);
    CHECK_MSG(strcmp(err, "no valid child in 8 tries: constraint 'BM*BK <= LIMIT' failed 8 "
                          "times") == 0,
              "%s", err);
    CHECK(mutate_multi(s, &k, &rng, &p, 0.2, 3, 5, &c, err, sizeof err) == EVO_ESPACE);
    CHECK(strcmp(err, "no valid child in 5 tries: constraint 'BM*BK <= LIMIT' failed 5 times") ==
          0);
    b.idx[0] = 4;
    b.idx[1] = 0;
    CHECK(mutate_crossover(s, &k, &rng, &p, &b, 0.2, 3, &c, err, sizeof err) == EVO_ESPACE);
    CHECK(strcmp(err, "no valid child in 3 tries: constraint 'BM*BK <= LIMIT' failed 3 times") ==
          0);
    CHECK(mutate_restart(s, &k, &rng, 7, &c, err, sizeof err) == EVO_ESPACE);
    CHECK(strcmp(err, "no valid point in 7 tries: constraint 'BM*BK <= LIMIT' failed 7 times") ==
          0);
    /* A constraint that cannot be evaluated is an error at once. */
    evo_constants none;
    constants_init(&none);
    CHECK(mutate_point(s, &none, &rng, &p, 0.2, 8, &c, err, sizeof err) == EVO_ESPACE);
    CHECK_MSG(strcmp(err, "constraint 'BM*BK <= LIMIT': unknown name 'LIMIT'") == 0, "%s", err);
    point_free(&p);
    point_free(&c);
    point_free(&b);
    constants_free(&k);
    space_free(s);

    s = space_of("/* evo:params\nA set 4\nB enum ONLY\n*/");
    if (!s) return;
    p = point_new(s);
    c = point_new(s);
    CHECK(mutate_point(s, NULL, &rng, &p, 0.2, 8, &c, err, sizeof err) == EVO_EDUPLICATE);
    CHECK(strcmp(err, "no tunable parameters") == 0);
    CHECK(mutate_multi(s, NULL, &rng, &p, 0.2, 3, 8, &c, err, sizeof err) == EVO_EDUPLICATE);
    CHECK(mutate_crossover(s, NULL, &rng, &p, &p, 0.2, 8, &c, err, sizeof err) == EVO_EDUPLICATE);
    CHECK(mutate_restart(s, NULL, &rng, 8, &c, err, sizeof err) == EVO_OK);
    point_free(&p);
    point_free(&c);
    space_free(s);
}

/* ---- whole operators through mutate_child ---- */

typedef struct seen_set {
    char hashes[64][65];
    int n;
    int calls;
    int all; /* every hash counts as seen */
} seen_set;

static int seen_fn(void *user, const char *hash)
{
    seen_set *s = user;
    s->calls++;
    if (s->all) return 1;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->hashes[i], hash) == 0) return 1;
    return 0;
}

static void test_child(void)
{
    evo_space *s = space_of(SRC);
    if (!s) return;
    evo_point p = point_new(s);
    evo_genome *a = genome_new("gemm", SRC, s, &p);
    p.idx[0] = 2;
    p.idx[2] = 4;
    p.idx[3] = 1;
    evo_genome *b = genome_new("gemm", SRC, s, &p);
    evo_constants k;
    limits(&k, 4096);
    mutate_options o;
    mutate_options_default(&o);
    evo_pcg32 rng;
    pcg32_seed(&rng, 11, 12);
    char err[256];
    evo_genome *child = NULL;

    /* The point children of a, collected until all are seen: 4096 allows every step, and
     * with resample_prob 0 they are exactly the neighbours. */
    seen_set seen = {.n = 0};
    o.resample_prob = 0;
    strcpy(seen.hashes[seen.n++], a->hash);
    for (int t = 0; t < 30; t++) {
        int rc = mutate_child(MUTATE_POINT, a, NULL, &k, &o, &rng, seen_fn, &seen, &child, err,
                              sizeof err);
        if (rc != EVO_OK) {
            CHECK_MSG(rc == EVO_EDUPLICATE, "%d %s", rc, err);
            CHECK_MSG(strcmp(err, "template 'gemm': every child in 64 tries had been seen") == 0,
                      "%s", err);
            break;
        }
        CHECK(strcmp(child->tmpl, "gemm") == 0 && strcmp(child->source, SRC) == 0);
        CHECK(child->nparams == 6);
        CHECK(seen_fn(&seen, child->hash) == 0);
        strcpy(seen.hashes[seen.n++], child->hash);
        genome_free(child);
        child = NULL;
    }
    /* a's neighbours: BM 32/128, BK 8/32, STAGES 1/3, LAYOUT, FLAG = 8 children (all pass
     * BM*BK <= 4096 from BM 64, BK 16), then duplicates. */
    CHECK_MSG(seen.n == 9, "%d children", seen.n - 1);
    mutate_options_default(&o);

    seen_set all = {.all = 1};
    CHECK(mutate_child(MUTATE_RESTART, a, NULL, &k, &o, &rng, seen_fn, &all, &child, err,
                       sizeof err) == EVO_EDUPLICATE);
    CHECK(strcmp(err, "template 'gemm': every child in 64 tries had been seen") == 0);
    CHECK(all.calls == 64 && child == NULL);

    /* Crossover of a and b: values from either parent. */
    for (int t = 0; t < 50; t++) {
        CHECK(mutate_child(MUTATE_CROSSOVER, a, b, &k, &o, &rng, NULL, NULL, &child, err,
                           sizeof err) == EVO_OK);
        for (int i = 0; i < child->nparams; i++) {
            const char *v = child->values[i];
            CHECK(strcmp(v, a->values[i]) == 0 || strcmp(v, b->values[i]) == 0);
        }
        CHECK(strcmp(child->hash, a->hash) != 0 && strcmp(child->hash, b->hash) != 0);
        genome_free(child);
        child = NULL;
    }
    /* Crossover with no second parent is a point mutation. */
    CHECK(mutate_child(MUTATE_CROSSOVER, a, NULL, &k, &o, &rng, NULL, NULL, &child, err,
                       sizeof err) == EVO_OK);
    genome_free(child);
    child = NULL;

    /* Infeasible and broken inputs. */
    evo_constants tight;
    limits(&tight, 1);
    o.max_tries = 4;
    CHECK(mutate_child(MUTATE_MULTI, a, NULL, &tight, &o, &rng, NULL, NULL, &child, err,
                       sizeof err) == EVO_ESPACE);
    CHECK_MSG(strcmp(err, "template 'gemm': no valid child in 4 tries: constraint 'BM*BK <= "
                          "LIMIT' failed 4 times") == 0,
              "%s", err);
    CHECK(mutate_child(MUTATE_RESTART, a, NULL, &tight, &o, &rng, NULL, NULL, &child, err,
                       sizeof err) == EVO_ESPACE);
    CHECK(strcmp(err, "template 'gemm': no valid point in 4 tries: constraint 'BM*BK <= LIMIT' "
                      "failed 4 times") == 0);
    constants_free(&tight);
    mutate_options_default(&o);

    evo_genome *plain = genome_new("plain", "int x;\n", NULL, NULL);
    CHECK(mutate_child(MUTATE_POINT, plain, NULL, &k, &o, &rng, NULL, NULL, &child, err,
                       sizeof err) == EVO_EDUPLICATE);
    CHECK(strcmp(err, "template 'plain' has no tunable parameters") == 0);
    CHECK(mutate_child(MUTATE_CROSSOVER, plain, plain, &k, &o, &rng, NULL, NULL, &child, err,
                       sizeof err) == EVO_EDUPLICATE);
    CHECK(strcmp(err, "template 'plain' has no tunable parameters") == 0);
    CHECK(mutate_child(MUTATE_RESTART, plain, NULL, &k, &o, &rng, NULL, NULL, &child, err,
                       sizeof err) == EVO_OK);
    CHECK(child && child->nparams == 0 && strcmp(child->hash, plain->hash) == 0);
    genome_free(child);
    child = NULL;
    genome_free(plain);

    evo_genome *bad = genome_new("bad", "/* evo:params\nBM pow2 16..48\n*/", NULL, NULL);
    CHECK(mutate_child(MUTATE_POINT, bad, NULL, &k, &o, &rng, NULL, NULL, &child, err,
                       sizeof err) == EVO_ESPACE);
    CHECK_MSG(strcmp(err, "template 'bad': line 2: parameter 'BM': pow2 bounds must be powers "
                          "of two, found 48") == 0,
              "%s", err);
    genome_free(bad);

    const char *n1[] = {"BM"}, *v1[] = {"48"};
    evo_genome *outside = genome_from_pairs("gemm", SRC, 1, n1, v1);
    CHECK(mutate_child(MUTATE_POINT, outside, NULL, &k, &o, &rng, NULL, NULL, &child, err,
                       sizeof err) == EVO_ESPACE);
    CHECK_MSG(strcmp(err, "template 'gemm': a parameter value of the parent is outside the "
                          "space of its source") == 0,
              "%s", err);
    /* As a second parent it only disables crossover (point mutation of a instead). */
    CHECK(mutate_child(MUTATE_CROSSOVER, a, outside, &k, &o, &rng, NULL, NULL, &child, err,
                       sizeof err) == EVO_OK);
    genome_free(child);
    genome_free(outside);

    point_free(&p);
    constants_free(&k);
    genome_free(a);
    genome_free(b);
    space_free(s);
}

static void test_options(void)
{
    mutate_options o;
    mutate_options_default(&o);
    CHECK(o.multi_max == 3 && o.resample_prob == 0.2 && o.max_tries == 64);
    char err[256];
    CHECK(mutate_options_parse(NULL, &o, err, sizeof err) == 0 && o.multi_max == 3);
    CHECK(mutate_options_parse("{}", &o, err, sizeof err) == 0 && o.max_tries == 64);
    CHECK(mutate_options_parse("{\"multi_max\":5,\"resample_prob\":0.5,\"max_tries\":10,"
                               "\"weight\":2}",
                               &o, err, sizeof err) == 0);
    CHECK(o.multi_max == 5 && o.resample_prob == 0.5 && o.max_tries == 10);
    CHECK(mutate_options_parse("{\"resample_prob\":1}", &o, err, sizeof err) == 0 &&
          o.resample_prob == 1.0);
    struct {
        const char *json, *msg;
    } bad[] = {
        {"{\"multi_max\":1}", "options: multi_max must be in [2, 1000000], found 1"},
        {"{\"multi_max\":\"3\"}", "options: multi_max must be an integer"},
        {"{\"max_tries\":0}", "options: max_tries must be in [1, 1000000], found 0"},
        {"{\"resample_prob\":1.5}", "options: resample_prob must be in [0, 1], found 1.5"},
        {"{\"resample_prob\":null}", "options: resample_prob must be a number"},
        {"[]", "options: expected a JSON object"},
        {"{", "options: invalid JSON at line 1 column 1: string or '}' expected near end of "
              "file"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(mutate_options_parse(bad[i].json, &o, err, sizeof err) == -1);
        CHECK_MSG(strcmp(err, bad[i].msg) == 0, "%s: got \"%s\"", bad[i].json, err);
    }

    evo_constants k;
    constants_init(&k);
    int64_t v = 0;
    CHECK(mutate_constants_parse("{\"SMEM_LIMIT\":49152,\"SM_COUNT\":132}", &k, err, sizeof err) ==
          0);
    CHECK(constants_get(&k, "SMEM_LIMIT", &v) == 0 && v == 49152);
    CHECK(constants_get(&k, "SM_COUNT", &v) == 0 && v == 132);
    CHECK(mutate_constants_parse("", &k, err, sizeof err) == 0 && k.n == 2);
    CHECK(mutate_constants_parse("{\"X\":1.5}", &k, err, sizeof err) == -1);
    CHECK(strcmp(err, "constants: 'X' must be an integer") == 0);
    CHECK(mutate_constants_parse("7", &k, err, sizeof err) == -1);
    CHECK_MSG(strcmp(err, "constants: invalid JSON at line 1 column 1: '[' or '{' expected near "
                          "'7'") == 0,
              "%s", err);
    constants_free(&k);
}

int main(void)
{
    test_point();
    test_multi();
    test_crossover();
    test_restart_and_determinism();
    test_infeasible_and_untunable();
    test_child();
    test_options();
    return CHECK_DONE();
}
