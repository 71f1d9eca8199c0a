/* expr.h -- small integer expressions over named values.
 * Used for parameter constraints ("BM*BK*STAGES*2 <= SMEM_LIMIT") and for launch plans
 * ("ceil_div(M, BM)"). Grammar, lowest precedence first:
 *   cond  := or ('?' cond ':' cond)?
 *   or    := and ('||' and)*        and := cmp ('&&' cmp)*
 *   cmp   := add (('=='|'!='|'<'|'<='|'>'|'>=') add)?
 *   add   := mul (('+'|'-') mul)*   mul := unary (('*'|'/'|'%') unary)*
 *   unary := ('-'|'!') unary | atom
 *   atom  := INTEGER | NAME | NAME '(' args ')' | '(' cond ')'
 * Functions: min, max, ceil_div, align_up (round up to a multiple), log2 (floor), pow2, abs.
 * Arithmetic is int64 with C semantics for / and %; division by zero and overflow are
 * evaluation errors, never crashes. Comparisons and logic give 0 or 1. An expression nests at
 * most 200 levels and is at most 1000 operations deep (a parse error beyond). */
#ifndef EVO_EXPR_H
#define EVO_EXPR_H
#include <stddef.h>
#include <stdint.h>

typedef struct evo_expr evo_expr;

/* Look up a name: return 0 and set *out, or -1 if the name is unknown. */
typedef int (*evo_expr_lookup)(void *user, const char *name, int64_t *out);

/* Compile text. On error returns NULL and writes "column N: what was expected, what was
 * found" into err. */
evo_expr *expr_parse(const char *text, char *err, size_t errlen);
void expr_free(evo_expr *e);
/* The text the expression was parsed from. */
const char *expr_text(const evo_expr *e);
/* Evaluate. Returns 0 with *out set, or -1 with err naming the unknown name, the division
 * by zero or the overflow. */
int expr_eval(const evo_expr *e, evo_expr_lookup lookup, void *user, int64_t *out, char *err,
              size_t errlen);
/* Call fn for every distinct name the expression reads (functions excluded). */
void expr_names(const evo_expr *e, void (*fn)(void *user, const char *name), void *user);
#endif
