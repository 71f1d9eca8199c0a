/* test_expr.c -- the constraint/plan expression language: every operator, precedence,
 * the ternary, every function, short-circuiting, and the exact text of every parse and
 * evaluation error. */
#include <stdint.h>

#include "check.h"
#include "expr.h"

static int lookup(void *user, const char *name, int64_t *out)
{
    (void)user;
    static const struct {
        const char *name;
        int64_t v;
    } vars[] = {{"BM", 128},        {"BK", 32},           {"ZERO", 0}, {"NEG", -7},
                {"BIG", INT64_MAX}, {"SMALL", INT64_MIN}, {"M", 1000}};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (strcmp(vars[i].name, name) == 0) {
            *out = vars[i].v;
            return 0;
        }
    return -1;
}

/* Evaluate text; returns the value, or INT64_MIN+1 on any error (err then holds it). */
static int64_t ev(const char *text, char *err, size_t errlen)
{
    err[0] = '\0';
    evo_expr *e = expr_parse(text, err, errlen);
    if (!e) return INT64_MIN + 1;
    int64_t v = 0;
    int rc = expr_eval(e, lookup, NULL, &v, err, errlen);
    expr_free(e);
    return rc ? INT64_MIN + 1 : v;
}

#define EV(text, want)                                                                             \
    do {                                                                                           \
        char err_[256];                                                                            \
        int64_t got_ = ev(text, err_, sizeof err_);                                                \
        CHECK_MSG(got_ == (int64_t)(want), "%s: got %lld want %lld (%s)", text, (long long)got_,   \
                  (long long)(want), err_);                                                        \
    } while (0)

/* Parse or evaluation fails with exactly msg. */
#define EV_ERR(text, msg)                                                                          \
    do {                                                                                           \
        char err_[256];                                                                            \
        int64_t got_ = ev(text, err_, sizeof err_);                                                \
        CHECK_MSG(got_ == INT64_MIN + 1 && strcmp(err_, msg) == 0,                                 \
                  "%s: got %lld, error \"%s\", want \"%s\"", text, (long long)got_, err_, msg);    \
    } while (0)

static void test_operators(void)
{
    EV("1 + 2", 3);
    EV("10 - 12", -2);
    EV("6 * 7", 42);
    EV("7 / 2", 3);
    EV("-7 / 2", -3); /* C truncation */
    EV("7 % 3", 1);
    EV("-7 % 3", -1);
    EV("3 == 3", 1);
    EV("3 == 4", 0);
    EV("3 != 4", 1);
    EV("3 != 3", 0);
    EV("3 < 4", 1);
    EV("4 < 4", 0);
    EV("4 <= 4", 1);
    EV("5 <= 4", 0);
    EV("5 > 4", 1);
    EV("4 > 4", 0);
    EV("4 >= 4", 1);
    EV("3 >= 4", 0);
    EV("1 && 2", 1);
    EV("1 && 0", 0);
    EV("0 || 0", 0);
    EV("0 || 5", 1);
    EV("-5", -5);
    EV("--5", 5);
    EV("!0", 1);
    EV("!7", 0);
    EV("!!7", 1);
    EV("0x10 + 0XfF", 271);
    EV("9223372036854775807", INT64_MAX);
    EV("BM*BK*3*2 <= 49152", 1);
    EV("  BM\t+\nBK ", 160);
}

static void test_precedence(void)
{
    EV("1 + 2 * 3", 7);
    EV("(1 + 2) * 3", 9);
    EV("10 - 4 - 3", 3); /* left associative */
    EV("100 / 10 / 5", 2);
    EV("2 * 3 % 4", 2);
    EV("1 + 2 < 4", 1);              /* add binds tighter than cmp */
    EV("1 < 2 == 1", INT64_MIN + 1); /* cmp does not chain: error tested below */
    EV("1 || 0 && 0", 1);            /* && binds tighter than || */
    EV("(1 || 0) && 0", 0);
    EV("-2 * -3", 6);
    EV("!0 + 1", 2); /* unary binds tightest */
    EV("-BM + BK", -96);
}

static void test_ternary(void)
{
    EV("1 ? 10 : 20", 10);
    EV("0 ? 10 : 20", 20);
    EV("BM > 64 ? BM : 64", 128);
    EV("0 ? 1 : 0 ? 2 : 3", 3); /* right nested */
    EV("1 ? 0 ? 5 : 6 : 7", 6);
    EV("(BM > 1 ? 2 : 3) * 4", 8);
    /* Only the chosen branch is evaluated. */
    EV("ZERO ? 1 / ZERO : 9", 9);
    EV("1 ? 9 : UNKNOWN", 9);
}

static void test_functions(void)
{
    EV("min(3, 9)", 3);
    EV("min(-3, -9)", -9);
    EV("max(3, 9)", 9);
    EV("ceil_div(1000, 128)", 8);
    EV("ceil_div(1024, 128)", 8);
    EV("ceil_div(0, 128)", 0);
    EV("ceil_div(-7, 2)", -3);
    EV("ceil_div(7, -2)", -3);
    EV("ceil_div(-7, -2)", 4);
    EV("align_up(1000, 128)", 1024);
    EV("align_up(1024, 128)", 1024);
    EV("align_up(M, 64)", 1024);
    EV("log2(1)", 0);
    EV("log2(128)", 7);
    EV("log2(130)", 7);
    EV("log2(BIG)", 62);
    EV("pow2(0)", 1);
    EV("pow2(10)", 1024);
    EV("pow2(62)", (int64_t)1 << 62);
    EV("abs(-5)", 5);
    EV("abs(5)", 5);
    EV("abs(NEG)", 7);
    EV("max(min(BM, 64), ceil_div(BK, 3))", 64);
    EV("pow2(log2(BM)) == BM", 1);
}

static void test_short_circuit(void)
{
    EV("ZERO != 0 && BM / ZERO > 2", 0);
    EV("ZERO == 0 || BM / ZERO > 2", 1);
    EV("0 && UNKNOWN", 0);
    EV("1 || UNKNOWN", 1);
}

static void test_eval_errors(void)
{
    EV_ERR("FOO + 1", "unknown name 'FOO'");
    EV_ERR("BM / ZERO", "division by zero in 'BM / ZERO'");
    EV_ERR("1 + BM % (BK - 32)", "modulo by zero in 'BM % (BK - 32)'");
    EV_ERR("ceil_div(M, ZERO)", "division by zero in 'ceil_div(M, ZERO)'");
    EV_ERR("align_up(M, 0)", "division by zero in 'align_up(M, 0)'");
    EV_ERR("BIG + 1", "integer overflow in 'BIG + 1'");
    EV_ERR("SMALL - 1", "integer overflow in 'SMALL - 1'");
    EV_ERR("2 * BIG * 1", "integer overflow in '2 * BIG'");
    EV_ERR("SMALL / -1", "integer overflow in 'SMALL / -1'");
    EV("SMALL % -1", 0);
    EV_ERR("-SMALL", "integer overflow in '-SMALL'");
    EV_ERR("abs(SMALL)", "integer overflow in 'abs(SMALL)'");
    EV_ERR("ceil_div(SMALL, -1)", "integer overflow in 'ceil_div(SMALL, -1)'");
    EV_ERR("align_up(BIG, 2)", "integer overflow in 'align_up(BIG, 2)'");
    EV_ERR("log2(0)", "log2 of non-positive value 0 in 'log2(0)'");
    EV_ERR("log2(NEG)", "log2 of non-positive value -7 in 'log2(NEG)'");
    EV_ERR("pow2(63)", "pow2 exponent 63 out of range [0, 62] in 'pow2(63)'");
    EV_ERR("pow2(-1)", "pow2 exponent -1 out of range [0, 62] in 'pow2(-1)'");
    /* A NULL lookup knows no names. */
    char err[128];
    evo_expr *e = expr_parse("X", err, sizeof err);
    int64_t v;
    CHECK(e && expr_eval(e, NULL, NULL, &v, err, sizeof err) == -1);
    CHECK(strcmp(err, "unknown name 'X'") == 0);
    expr_free(e);
}

static void test_parse_errors(void)
{
    EV_ERR("", "column 1: expected a number, a name or '(', found end of input");
    EV_ERR("1 +", "column 4: expected a number, a name or '(', found end of input");
    EV_ERR("1 + * 2", "column 5: expected a number, a name or '(', found '*'");
    EV_ERR("(1 + 2", "column 7: expected ')', found end of input");
    EV_ERR("1 2", "column 3: expected an operator or end of input, found '2'");
    EV_ERR("1 < 2 == 1", "column 7: expected an operator or end of input, found '=='");
    EV_ERR("BM @ 2", "column 4: expected an operator or end of input, found '@'");
    EV_ERR("@", "column 1: expected a number, a name or '(', found '@'");
    EV_ERR("1 ? 2", "column 6: expected ':', found end of input");
    EV_ERR("1 ? 2 , 3", "column 7: expected ':', found ','");
    EV_ERR("12ab", "column 1: expected an integer, found '12ab'");
    EV_ERR("99999999999999999999",
           "column 1: expected an integer in the int64 range, found '99999999999999999999'");
    EV_ERR("9223372036854775808",
           "column 1: expected an integer in the int64 range, found '9223372036854775808'");
    EV_ERR("foo(1)", "column 1: expected a function (min, max, ceil_div, align_up, log2, pow2, "
                     "abs), found 'foo'");
    EV_ERR("1 + min(1)", "column 5: expected 2 arguments to 'min', found 1");
    EV_ERR("max(1, 2, 3)", "column 1: expected 2 arguments to 'max', found 3");
    EV_ERR("abs()", "column 1: expected 1 argument to 'abs', found 0");
    EV_ERR("min(1 2)", "column 7: expected ',' or ')', found '2'");
    EV_ERR("min(1,", "column 7: expected a number, a name or '(', found end of input");
    EV_ERR("1 = 2", "column 3: expected an operator or end of input, found '='");
    EV_ERR("1 & 2", "column 3: expected an operator or end of input, found '&'");

    /* Deep nesting is refused, not a stack overflow. */
    char deep[2100];
    memset(deep, '(', 1000);
    deep[1000] = '1';
    memset(deep + 1001, ')', 1000);
    deep[2001] = '\0';
    char err[256];
    const char *msg = err;
    CHECK(expr_parse(deep, err, sizeof err) == NULL);
    CHECK_CONTAINS(msg, "levels of nesting");
    memset(deep, '-', 1000);
    deep[1000] = '1';
    deep[1001] = '\0';
    CHECK(expr_parse(deep, err, sizeof err) == NULL);
    CHECK_CONTAINS(msg, "levels of nesting");
    EV("((((((((((1))))))))))", 1);
}

static void collect(void *user, const char *name)
{
    char *buf = user;
    strcat(buf, name);
    strcat(buf, ",");
}

static void test_names_and_text(void)
{
    char err[128], names[256] = "";
    evo_expr *e = expr_parse("BM*BK + min(BM, SMEM) > ceil_div(M, BK) ? X : BM", err, sizeof err);
    CHECK(e != NULL);
    expr_names(e, collect, names);
    CHECK_MSG(strcmp(names, "BM,BK,SMEM,M,X,") == 0, "names %s", names);
    CHECK(strcmp(expr_text(e), "BM*BK + min(BM, SMEM) > ceil_div(M, BK) ? X : BM") == 0);
    expr_free(e);
    expr_free(NULL);
    /* A NULL or tiny error buffer is tolerated. */
    CHECK(expr_parse("1 +", NULL, 0) == NULL);
    char tiny[4];
    CHECK(expr_parse("1 +", tiny, sizeof tiny) == NULL);
    CHECK(strlen(tiny) == 3);
}

int main(void)
{
    test_operators();
    test_precedence();
    test_ternary();
    test_functions();
    test_short_circuit();
    test_eval_errors();
    test_parse_errors();
    test_names_and_text();
    return CHECK_DONE();
}
