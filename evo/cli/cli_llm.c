/* cli_llm.c -- `evo llm-check CONFIG`: send one short request to every configured model, all
 * at once, and print latency, token counts and "ok" or the exact reason it failed, so keys,
 * URLs and model names can be checked before an overnight run. Also loads the prompt
 * templates, so a typo in a slot shows up here too. Exit 0 when every model answered. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "evo.h"

int cli_llm_check(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: evo llm-check CONFIG\n");
        return EXIT_USAGE;
    }
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
