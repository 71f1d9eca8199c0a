/* test_space.c -- evo:params blocks: every kind, defaults (explicit, from #ifndef/#define,
 * first value), decoration and comments, constraints over parameters and constants,
 * sampling, the JSON forms, and the exact text of every parse error. */
#include <stdlib.h>

#include "check.h"
#include "expr.h"
#include "space.h"

static const char *const GEMM =
    "// gemm.cu -- a test template\n"                                    /* 1 */
    "/* evo:params\n"                                                    /* 2 */
    " * BM       pow2 16..256           default 128   # powers of two\n" /* 3 */
    " * BK       set 16 32 64           default 32\n"                    /* 4 */
    " * STAGES   range 2..6 step 2      default 4\n"                     /* 5 */
    " * LAYOUT   enum ROW COL\n"                                         /* 6 */
    " * SWIZZLE  bool                   default 1\n"                     /* 7 */
    " * WARPS    range 1..8\n"                                           /* 8 */
    " * require  BM*BK*STAGES*2 <= SMEM_LIMIT   # smem\n"                /* 9 */
    " */\n"                                                              /* 10 */
    "#ifndef WARPS\n"
    "#define WARPS 4 // default warps\n"
    "#endif\n"
    "#ifndef LAYOUT\n"
    "#define LAYOUT COL\n"
    "#endif\n";

static evo_space *parse_ok(const char *src)
{
    char err[256];
    evo_space *s = space_parse(src, err, sizeof err);
    CHECK_MSG(s != NULL, "parse failed: %s", err);
    return s;
}

/* Parsing fails with exactly msg. */
static void parse_err(const char *src, const char *msg)
{
    char err[256];
    evo_space *s = space_parse(src, err, sizeof err);
    CHECK_MSG(s == NULL && strcmp(err, msg) == 0, "got \"%s\" want \"%s\"", s ? "(parsed)" : err,
              msg);
    space_free(s);
}

static void test_kinds_and_defaults(void)
{
    evo_space *s = parse_ok(GEMM);
    if (!s) return;
    CHECK(s->nparams == 6);
    CHECK(s->nconstraints == 1);
    const evo_param *bm = &s->params[space_find(s, "BM")];
    CHECK(bm->kind == PARAM_POW2 && bm->nvalues == 5);
    CHECK(bm->ints[0] == 16 && bm->ints[4] == 256 && strcmp(bm->values[3], "128") == 0);
    CHECK(bm->def == 3);
    const evo_param *bk = &s->params[space_find(s, "BK")];
    CHECK(bk->kind == PARAM_SET && bk->nvalues == 3 && bk->def == 1);
    const evo_param *st = &s->params[space_find(s, "STAGES")];
    CHECK(st->kind == PARAM_RANGE && st->nvalues == 3 && st->ints[2] == 6 && st->def == 1);
    const evo_param *ly = &s->params[space_find(s, "LAYOUT")];
    CHECK(ly->kind == PARAM_ENUM && ly->nvalues == 2 && strcmp(ly->values[1], "COL") == 0);
    CHECK(ly->def == 1); /* from #ifndef LAYOUT / #define LAYOUT COL */
    const evo_param *sw = &s->params[space_find(s, "SWIZZLE")];
    CHECK(sw->kind == PARAM_BOOL && sw->nvalues == 2 && sw->def == 1);
    const evo_param *wp = &s->params[space_find(s, "WARPS")];
    CHECK(wp->nvalues == 8 && wp->def == 3); /* #define WARPS 4 */
    CHECK(space_find(s, "NOPE") == -1);
    CHECK(strcmp(expr_text(s->constraints[0]), "BM*BK*STAGES*2 <= SMEM_LIMIT") == 0);
    space_free(s);

    /* No default and no #define (or one outside the domain): the first value. */
    s = parse_ok("/* evo:params\nA range 3..9\nB set 8 4\nC enum X Y\n*/\n"
                 "#ifndef A\n#define A 42\n#endif\n");
    if (s) {
        CHECK(s->params[0].def == 0 && s->params[1].def == 0 && s->params[2].def == 0);
        CHECK(s->params[1].ints[0] == 8); /* sets keep their written order */
        space_free(s);
    }
    /* Negative ranges, bools with true/false defaults, '//' decoration. */
    s = parse_ok(
        "/*  evo:params\n// OFF range -4..4 step 4 default -4\n//FLAG bool default false\n*/");
    if (s) {
        CHECK(s->nparams == 2 && s->params[0].nvalues == 3 && s->params[0].ints[0] == -4);
        CHECK(s->params[0].def == 0 && s->params[1].def == 0);
        space_free(s);
    }
}

static void test_no_block(void)
{
    evo_space *s = parse_ok("__global__ void k() { /* not params */ }\n");
    if (s) {
        CHECK(s->nparams == 0 && s->nconstraints == 0);
        space_free(s);
    }
    s = parse_ok(NULL);
    space_free(s);
    /* "evo:paramsX" is not the keyword. */
    s = parse_ok("/* evo:paramsX\nBM bogus\n*/");
    if (s) {
        CHECK(s->nparams == 0);
        space_free(s);
    }
    /* A block closed on its first line is empty; blank and comment-only lines are skipped. */
    s = parse_ok("/* evo:params */");
    space_free(s);
    s = parse_ok("/* evo:params\n\n   # nothing here\n *\n*/");
    if (s) {
        CHECK(s->nparams == 0);
        space_free(s);
    }
    /* The block ends at the closing mark even mid-line. */
    s = parse_ok("/* evo:params\n A bool */ B garbage\n");
    if (s) {
        CHECK(s->nparams == 1);
        space_free(s);
    }
}

static void test_errors(void)
{
    parse_err("/* evo:params\n A bool\n", "line 1: evo:params block is not closed");
    parse_err("x\n\n/* evo:params\n\n BM pow2 16..48\n*/",
              "line 5: parameter 'BM': pow2 bounds must be powers of two, found 48");
    parse_err("/* evo:params\nBM pow2 24..64\n*/",
              "line 2: parameter 'BM': pow2 bounds must be powers of two, found 24");
    parse_err("/* evo:params\nBM pow2 0..64\n*/",
              "line 2: parameter 'BM': pow2 bounds must be powers of two, found 0");
    parse_err("/* evo:params\nBM pow2 64..16\n*/", "line 2: parameter 'BM': 64..16 has HI < LO");
    parse_err("/* evo:params\nBM float 1..2\n*/",
              "line 2: parameter 'BM': unknown kind 'float' (expected range, pow2, set, enum or "
              "bool)");
    parse_err("/* evo:params\nBM\n*/",
              "line 2: parameter 'BM': expected a kind (range, pow2, set, enum, bool), found end "
              "of line");
    parse_err("/* evo:params\n3BM bool\n*/", "line 2: expected a parameter name, found '3BM'");
    parse_err("/* evo:params\nA bool\n\nA bool\n*/",
              "line 4: duplicate parameter 'A' (first declared on line 2)");
    parse_err("/* evo:params\nBK set\n*/", "line 2: parameter 'BK': empty domain");
    parse_err("/* evo:params\nBK set default 3\n*/", "line 2: parameter 'BK': empty domain");
    parse_err("/* evo:params\nL enum\n*/", "line 2: parameter 'L': empty domain");
    parse_err("/* evo:params\nBK set 16 x\n*/",
              "line 2: parameter 'BK': expected an integer, found 'x'");
    parse_err("/* evo:params\nBK set 16 32 16\n*/",
              "line 2: parameter 'BK': value 16 is listed twice");
    parse_err("/* evo:params\nL enum ROW 1COL\n*/",
              "line 2: parameter 'L': expected an identifier, found '1COL'");
    parse_err("/* evo:params\nL enum ROW ROW\n*/",
              "line 2: parameter 'L': value ROW is listed twice");
    parse_err("/* evo:params\nBM pow2 16..256 default 48\n*/",
              "line 2: parameter 'BM': default 48 is not in the domain");
    parse_err("/* evo:params\nL enum A B default C\n*/",
              "line 2: parameter 'L': default C is not in the domain");
    parse_err("/* evo:params\nF bool default 2\n*/",
              "line 2: parameter 'F': default 2 is not in the domain");
    parse_err("/* evo:params\nF bool default\n*/",
              "line 2: parameter 'F': expected a value after 'default', found end of line");
    parse_err("/* evo:params\nF bool default 1 2\n*/",
              "line 2: parameter 'F': unexpected '2' after the default");
    parse_err("/* evo:params\nF bool yes\n*/", "line 2: parameter 'F': unexpected 'yes'");
    parse_err("/* evo:params\nS range 6..2\n*/", "line 2: parameter 'S': 6..2 has HI < LO");
    parse_err("/* evo:params\nS range 2..6 step 0\n*/",
              "line 2: parameter 'S': step must be positive, found 0");
    parse_err("/* evo:params\nS range 2..6 step -1\n*/",
              "line 2: parameter 'S': step must be positive, found -1");
    parse_err("/* evo:params\nS range 2..6 step\n*/",
              "line 2: parameter 'S': expected an integer after 'step', found end of line");
    parse_err("/* evo:params\nS range 2..6 step two\n*/",
              "line 2: parameter 'S': expected an integer after 'step', found 'two'");
    parse_err("/* evo:params\nS range 2..6 by 2\n*/", "line 2: parameter 'S': unexpected 'by'");
    parse_err("/* evo:params\nS range\n*/",
              "line 2: parameter 'S': expected LO..HI, found end of line");
    parse_err("/* evo:params\nS range 2-6\n*/",
              "line 2: parameter 'S': expected LO..HI, found '2-6'");
    parse_err("/* evo:params\nS range 2..x\n*/",
              "line 2: parameter 'S': expected LO..HI, found '2..x'");
    parse_err("/* evo:params\nS range 0..65536\n*/",
              "line 2: parameter 'S': domain has 65537 values, more than 65536");
    parse_err("/* evo:params\nS range -9223372036854775808..9223372036854775807\n*/",
              "line 2: parameter 'S': domain has more than 65536 values");
    parse_err("/* evo:params\nS range -100000..100000 step 2\n*/",
              "line 2: parameter 'S': domain has 100001 values, more than 65536");
    parse_err("/* evo:params\nA bool\nrequire A +\n*/",
              "line 3: constraint 'A +': column 4: expected a number, a name or '(', found end "
              "of input");
    parse_err("/* evo:params\n* require   # empty\n*/",
              "line 2: constraint '': column 1: expected a number, a name or '(', found end of "
              "input");
    parse_err("/* evo:params\nrequire min(1)\n*/",
              "line 2: constraint 'min(1)': column 1: expected 2 arguments to 'min', found 1");
    /* A set written out with 65537 values is refused too. */
    size_t cap = 65537 * 8 + 64;
    char *big = malloc(cap);
    size_t len = (size_t)sprintf(big, "/* evo:params\nS set");
    for (int i = 0; i <= 65536; i++)
        len += (size_t)sprintf(big + len, " %d", i);
    sprintf(big + len, "\n*/");
    parse_err(big, "line 2: parameter 'S': domain has more than 65536 values");
    free(big);
    /* range 0..65535 is exactly the limit and parses. */
    evo_space *s = parse_ok("/* evo:params\nS range 0..65535\n*/");
    if (s) {
        CHECK(s->params[0].nvalues == 65536);
        space_free(s);
    }
}

static void test_constants(void)
{
    evo_constants k;
    constants_init(&k);
    int64_t v = 0;
    CHECK(constants_get(&k, "X", &v) == -1);
    CHECK(constants_set(&k, "X", 5) == 0);
    CHECK(constants_set(&k, "Y", -1) == 0);
    CHECK(constants_set(&k, "X", 7) == 0);
    CHECK(k.n == 2);
    CHECK(constants_get(&k, "X", &v) == 0 && v == 7);
    CHECK(constants_get(&k, "Y", &v) == 0 && v == -1);
    constants_free(&k);
    CHECK(k.n == 0);
}

static void test_check(void)
{
    evo_space *s = parse_ok(GEMM);
    if (!s) return;
    evo_constants k;
    constants_init(&k);
    char err[256];
    evo_point p = point_new(s);
    CHECK(p.n == 6);
    /* Without SMEM_LIMIT the constraint cannot be evaluated. */
    CHECK(space_check(s, &k, &p, err, sizeof err) == -1);
    CHECK_MSG(strcmp(err, "constraint 'BM*BK*STAGES*2 <= SMEM_LIMIT': unknown name "
                          "'SMEM_LIMIT'") == 0,
              "%s", err);
    constants_set(&k, "SMEM_LIMIT", 32768); /* default: 128*32*4*2 = 32768 */
    CHECK(space_check(s, &k, &p, err, sizeof err) == 1);
    p.idx[space_find(s, "BM")] = 4; /* 256 */
    CHECK(space_check(s, &k, &p, err, sizeof err) == 0);
    int fails[1] = {0};
    CHECK(space_check_count(s, &k, &p, fails, err, sizeof err) == 0 && fails[0] == 1);
    point_free(&p);
    CHECK(p.idx == NULL && p.n == 0);
    constants_free(&k);
    space_free(s);

    /* Enum parameters are visible to constraints as their index; params shadow constants. */
    s = parse_ok("/* evo:params\nL enum ROW COL default COL\nrequire L == 1 && N == 3\n"
                 "N set 3 4\n*/");
    if (s) {
        constants_init(&k);
        constants_set(&k, "N", 4);
        p = point_new(s);
        CHECK(space_check(s, &k, &p, err, sizeof err) == 1);
        p.idx[0] = 0;
        CHECK(space_check(s, &k, &p, err, sizeof err) == 0);
        point_free(&p);
        constants_free(&k);
        space_free(s);
    }
    /* Evaluation errors inside constraints are reported with the constraint. */
    s = parse_ok("/* evo:params\nA range 0..3\nrequire 8 / A > 1\n*/");
    if (s) {
        p = point_new(s);
        CHECK(space_check(s, NULL, &p, err, sizeof err) == -1);
        CHECK_MSG(strcmp(err, "constraint '8 / A > 1': division by zero in '8 / A'") == 0, "%s",
                  err);
        point_free(&p);
        space_free(s);
    }
}

static void test_sample(void)
{
    evo_space *s = parse_ok(GEMM);
    if (!s) return;
    evo_constants k;
    constants_init(&k);
    constants_set(&k, "SMEM_LIMIT", 49152);
    evo_pcg32 rng;
    pcg32_seed(&rng, 7, 11);
    char err[256];
    evo_point p = point_new(s);
    int seen_bm[5] = {0};
    for (int i = 0; i < 500; i++) {
        CHECK(space_sample(s, &k, &rng, 64, &p, err, sizeof err) == 0);
        CHECK(space_check(s, &k, &p, err, sizeof err) == 1);
        seen_bm[p.idx[0]]++;
    }
    CHECK(seen_bm[0] > 0 && seen_bm[1] > 0 && seen_bm[2] > 0 && seen_bm[3] > 0);
    /* Determinism: the same seed gives the same points. */
    evo_pcg32 a, b;
    pcg32_seed(&a, 3, 4);
    pcg32_seed(&b, 3, 4);
    evo_point pa = point_new(s), pb = point_new(s);
    for (int i = 0; i < 50; i++) {
        space_sample(s, &k, &a, 64, &pa, err, sizeof err);
        space_sample(s, &k, &b, 64, &pb, err, sizeof err);
        CHECK(memcmp(pa.idx, pb.idx, (size_t)pa.n * sizeof(int)) == 0);
    }
    point_free(&pa);
    point_free(&pb);

    /* Infeasible: the error names the constraint violated most often. */
    constants_set(&k, "SMEM_LIMIT", 1);
    CHECK(space_sample(s, &k, &rng, 10, &p, err, sizeof err) == -1);
    CHECK_MSG(strcmp(err, "no valid point in 10 tries: constraint 'BM*BK*STAGES*2 <= "
                          "SMEM_LIMIT' failed 10 times") == 0,
              "%s", err);
    point_free(&p);
    constants_free(&k);
    space_free(s);

    s = parse_ok("/* evo:params\nA range 0..9\nrequire A >= 0\nrequire A > 100\n"
                 "require A > 4\n*/");
    if (s) {
        p = point_new(s);
        CHECK(space_sample(s, NULL, &rng, 20, &p, err, sizeof err) == -1);
        CHECK_MSG(strcmp(err, "no valid point in 20 tries: constraint 'A > 100' failed 20 "
                              "times") == 0,
                  "%s", err);
        point_free(&p);
        space_free(s);
    }
    /* An empty space has exactly one point. */
    s = parse_ok("int x;\n");
    if (s) {
        p = point_new(s);
        CHECK(space_sample(s, NULL, &rng, 5, &p, err, sizeof err) == 0 && p.n == 0);
        space_free(s);
    }
}

static void test_json(void)
{
    evo_space *s = parse_ok(GEMM);
    if (!s) return;
    evo_point p = point_new(s);
    char *j = point_to_json(s, &p);
    CHECK_MSG(j && strcmp(j, "{\"BM\":128,\"BK\":32,\"STAGES\":4,\"LAYOUT\":\"COL\","
                             "\"SWIZZLE\":1,\"WARPS\":4}") == 0,
              "%s", j ? j : "(null)");
    free(j);
    char err[256];
    CHECK(point_from_json(s, "{\"BM\":64,\"LAYOUT\":\"ROW\",\"SWIZZLE\":false,\"BK\":\"16\"}", &p,
                          err, sizeof err) == 0);
    CHECK(p.idx[0] == 2 && p.idx[1] == 0 && p.idx[3] == 0 && p.idx[4] == 0);
    /* Bad entries are reported; the good ones are still applied. */
    CHECK(point_from_json(s, "{\"BM\":48,\"STAGES\":6}", &p, err, sizeof err) == -1);
    CHECK_MSG(strcmp(err, "parameter 'BM': value 48 is not in its domain") == 0, "%s", err);
    CHECK(p.idx[0] == 2 && p.idx[2] == 2);
    CHECK(point_from_json(s, "{\"FOO\":1}", &p, err, sizeof err) == -1);
    CHECK(strcmp(err, "unknown parameter 'FOO'") == 0);
    CHECK(point_from_json(s, "{\"LAYOUT\":[1]}", &p, err, sizeof err) == -1);
    CHECK_MSG(strcmp(err, "parameter 'LAYOUT': value [1] is not in its domain") == 0, "%s", err);
    CHECK(point_from_json(s, "[1]", &p, err, sizeof err) == -1);
    CHECK(strcmp(err, "parameters: expected a JSON object") == 0);
    CHECK(point_from_json(s, "{\"BM\":", &p, err, sizeof err) == -1);
    CHECK_MSG(strncmp(err, "parameters: invalid JSON at line 1 column", 40) == 0, "%s", err);
    evo_point q = point_copy(&p);
    CHECK(q.n == p.n && memcmp(q.idx, p.idx, (size_t)p.n * sizeof(int)) == 0);
    point_free(&q);
    point_free(&p);
    space_free(s);
}

int main(void)
{
    test_kinds_and_defaults();
    test_no_block();
    test_errors();
    test_constants();
    test_check();
    test_sample();
    test_json();
    return CHECK_DONE();
}
