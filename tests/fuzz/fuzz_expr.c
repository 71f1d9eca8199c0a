/* fuzz_expr.c -- the integer expression language (evo/base/expr.c) of constraints and launch
 * plans: parse any text, then evaluate it against names that read as ordinary sizes, as zero
 * and as the ends of int64 (overflow and division by zero must be errors, never UB), and list
 * its names. Checks that the text is kept as given and that evaluation is deterministic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "fuzz.h"

/* A name's value: one of a few sizes picked by the name's bytes; names starting with 'U' are
 * unknown. user: 0 ordinary sizes, 1 the extremes too. */
static int lookup(void *user, const char *name, int64_t *out)
{
    static const int64_t sizes[] = {1, 2, 3, 7, 16, 32, 64, 128, 1000, 4096};
    static const int64_t extremes[] = {0, -1, INT64_MAX, INT64_MIN, INT64_MAX / 2, -4096};
    if (name[0] == 'U') return -1;
    unsigned h = 0;
    for (const char *c = name; *c; c++)
        h = h * 31 + (unsigned char)*c;
    if (*(int *)user && h % 3 == 0)
        *out = extremes[h / 3 % (sizeof extremes / sizeof extremes[0])];
    else
        *out = sizes[h % (sizeof sizes / sizeof sizes[0])];
    return 0;
}

static void count_name(void *user, const char *name)
{
    if (!name[0]) fuzz_fail("expr_names gave an empty name");
    ++*(int *)user;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    char err[256];
    err[0] = '\0';
    evo_expr *e = expr_parse(text, err, sizeof err);
    fuzz_note("expr: %s", e ? "parsed" : err);
    if (!e) {
        if (!err[0]) fuzz_fail("expr_parse failed without a message");
    } else {
        if (strcmp(expr_text(e), text)) fuzz_fail("expr_text is not the parsed text");
        for (int mode = 0; mode < 2; mode++) {
            int64_t a = 0, b = 0;
            char e1[256] = "", e2[256] = "";
            int r1 = expr_eval(e, lookup, &mode, &a, e1, sizeof e1);
            int r2 = expr_eval(e, lookup, &mode, &b, e2, sizeof e2);
            if (r1 != r2 || (r1 == 0 && a != b) || strcmp(e1, e2))
                fuzz_fail("two evaluations of one expression differ");
            if (r1 != 0 && !e1[0]) fuzz_fail("expr_eval failed without a message");
        }
        int names = 0;
        expr_names(e, count_name, &names);
        expr_free(e);
    }
    free(text);
    return 0;
}
