/* cli_args.h -- what every command of `evo` shares about its arguments: --help and -h, the
 * usage errors (on stderr, exit 2, naming the option and the bad value) and the one strict
 * reader of numbers and candidate ids.
 *
 * A number is decimal digits and nothing else: no sign unless the range allows negatives, no
 * '+', spaces, fraction, exponent or hex, and no overflow (strtoll would take " 3", "3abc",
 * "0x10" and clamp 99999999999999999999; atoi returns 0 for "abc"). A candidate id is such a
 * number, at least 1, optionally written "#12" as evo prints it, and names a candidate the run
 * holds (cli_candidate_exists).
 *
 * Static inline, as cli_exit_code in cli.h, so the suites that compile one cli_*.c file in
 * get it too. */
#ifndef EVO_CLI_ARGS_H
#define EVO_CLI_ARGS_H
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "evo.h"

/* 1 when some argument after the command is --help or -h: help wins wherever it stands. */
static inline int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    return 0;
}

/* The usage text (one or more lines, "usage: evo CMD ...") on stdout; returns EXIT_OK. */
static inline int cli_help(const char *usage)
{
    fputs(usage, stdout);
    return EXIT_OK;
}

/* An argument as it may be shown: control characters as '?', so an escape sequence in a bad
 * value cannot reach the terminal, and cut with "..." to fit buf (n >= 4). */
static inline void cli_shown(const char *s, char *buf, size_t n)
{
    size_t k = 0;
    for (; *s && k + 4 < n; s++)
        buf[k++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
    if (*s) buf[k++] = '.', buf[k++] = '.', buf[k++] = '.';
    buf[k] = '\0';
}

/* "evo CMD: <message>\n<usage>" on stderr; returns EXIT_USAGE. */
static inline int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "evo %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", usage);
    return EXIT_USAGE;
}

/* An operand rather than an option: "x", "-" or a negative number ("-5" is a bad candidate id
 * to be named as such, not an unknown option). */
static inline int cli_is_operand(const char *arg)
{
    return arg[0] != '-' || arg[1] == '\0' || (arg[1] >= '0' && arg[1] <= '9');
}

/* "unknown option '-x'" or "unexpected argument 'x'", as fits the argument. */
static inline int cli_bad_argument(const char *cmd, const char *usage, const char *arg)
{
    char shown[80];
    cli_shown(arg, shown, sizeof shown);
    return cli_usage_error(cmd, usage,
                           cli_is_operand(arg) ? "unexpected argument '%s'" : "unknown option '%s'",
                           shown);
}

/* The value of option argv[*i] (argv[*i + 1], consumed), or NULL after "OPTION needs a value"
 * was printed. */
static inline const char *cli_value(const char *cmd, const char *usage, int argc, char **argv,
                                    int *i)
{
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, usage, "%s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

/* Reads text as an integer in [lo, hi] (see the top). EVO_OK with *out set, or EVO_EINVAL
 * after "evo CMD: WHAT: 'TEXT' is not a whole number from LO to HI" on stderr. */
static inline int cli_parse_int(const char *cmd, const char *what, const char *text, long long lo,
                                long long hi, long long *out)
{
    const char *p = text;
    int neg = 0;
    if (*p == '-' && lo < 0) neg = 1, p++;
    /* Accumulate negatively: -LLONG_MIN does not fit. */
    long long v = 0;
    int ok = *p != '\0', big = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') {
            ok = 0;
            break;
        }
        int d = *p - '0';
        if (v < (INT64_MIN + d) / 10)
            big = 1;
        else
            v = v * 10 - d;
    }
    if (ok && !neg && !big && v == INT64_MIN) big = 1;
    if (ok && !big) v = neg ? v : -v;
    char shown[80];
    cli_shown(text, shown, sizeof shown);
    if (!ok) {
        fprintf(stderr, "evo %s: %s: '%s' is not a whole number (expected %lld to %lld)\n", cmd,
                what, shown, lo, hi);
        return EVO_EINVAL;
    }
    if (big || v < lo || v > hi) {
        fprintf(stderr, "evo %s: %s: '%s' is out of range (expected %lld to %lld)\n", cmd, what,
                shown, lo, hi);
        return EVO_EINVAL;
    }
    *out = v;
    return EVO_OK;
}

/* A candidate id: "12" or "#12", at least 1. EVO_OK or EVO_EINVAL with the message printed
 * ("evo CMD: WHAT: 'x' is not a candidate id ..."). */
static inline int cli_parse_candidate(const char *cmd, const char *what, const char *text,
                                      long long *out)
{
    const char *digits = text[0] == '#' ? text + 1 : text;
    int ok = digits[0] != '\0';
    for (const char *p = digits; *p; p++)
        ok &= *p >= '0' && *p <= '9';
    char shown[80];
    cli_shown(text, shown, sizeof shown);
    if (!ok) {
        fprintf(stderr,
                "evo %s: %s: '%s' is not a candidate id (a number from 1, as in 12 or #12)\n", cmd,
                what, shown);
        return EVO_EINVAL;
    }
    long long v;
    if (cli_parse_int(cmd, what, digits, 1, INT64_MAX, &v) != EVO_OK) return EVO_EINVAL;
    *out = v;
    return EVO_OK;
}

/* EXIT_OK when the run holds candidate id, EXIT_USAGE after "evo CMD: WHAT: #ID does not
 * exist: DIR holds #1 to #N" (or "holds no candidate yet"). A store that cannot be counted
 * is left to the read that follows, which names the damage. */
static inline int cli_candidate_exists(const char *cmd, const char *what, evo_run *r,
                                       const char *dir, long long id)
{
    int64_t n = evo_run_count(r);
    if (n < 0 || id <= n) return EXIT_OK;
    char shown[4096];
    cli_shown(dir, shown, sizeof shown);
    if (n == 0)
        fprintf(stderr, "evo %s: %s: #%lld does not exist: %s holds no candidate yet\n", cmd, what,
                id, shown);
    else
        fprintf(stderr, "evo %s: %s: #%lld does not exist: %s holds #1 to #%lld\n", cmd, what, id,
                shown, (long long)n);
    return EXIT_USAGE;
}
#endif
