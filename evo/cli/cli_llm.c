/* cli_llm.c -- `evo llm-check CONFIG`: send one short request to every configured model, all
 * at once, and print latency, token counts and "ok" or the exact reason it failed, so keys,
 * URLs and model names can be checked before an overnight run. Also loads the prompt
 * templates, so a typo in a slot shows up here too. Exit 0 when every model answered. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cli_args.h"
#include "evo.h"

#define USAGE "usage: evo llm-check CONFIG\n"

int cli_llm_check(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) return cli_help(USAGE);
    for (int i = 1; i < argc; i++)
        if (!cli_is_operand(argv[i]) || i > 1) return cli_bad_argument("llm-check", USAGE, argv[i]);
    if (argc < 2) return cli_usage_error("llm-check", USAGE, "no CONFIG given");
    char err[2048];
    evo_config *cfg = NULL;
    int rc = evo_config_load(argv[1], &cfg, err, sizeof err);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo: %s\n", err);
        return cli_exit_code(rc);
    }
    char *report = NULL;
    int failures = 0;
    rc = evo_llm_check(cfg, &report, &failures, err, sizeof err);
    evo_config_free(cfg);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo: %s\n", err);
        return rc == EVO_ECONFIG ? EXIT_CONFIG : EXIT_ERROR;
    }
    fputs(report, stdout);
    evo_free(report);
    return failures ? EXIT_ERROR : EXIT_OK;
}
