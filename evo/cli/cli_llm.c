/* cli_llm.c -- `evo llm-check CONFIG`: send one short request to every configured model, all
 * at once, and print latency, token counts and "ok" or the exact reason it failed, so keys,
 * URLs and model names can be checked before an overnight run. Also loads the prompt
 * templates, so a typo in a slot shows up here too. Exit 0 when every model answered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "evo.h"
#include "llm_client.h"
#include "llm_operator.h"
#include "llm_prompt.h"

static int usage_error(void)
{
    fprintf(stderr, "usage: evo llm-check CONFIG\n");
    return EXIT_USAGE;
}

static int check_prompts(const evo_config *cfg)
{
    char err[2048];
    char *dir = llm_prompts_dir(config_get(cfg, "llm"), cfg->dir);
    llm_prompts p;
    int rc = dir ? llm_prompts_load(dir, &p, err, sizeof err) : -1;
    if (rc == 0) {
        printf("prompts: %s ok\n", dir);
        llm_prompts_free(&p);
    } else {
        printf("prompts: %s\n", dir ? err : "out of memory");
    }
    free(dir);
    return rc;
}

int cli_llm_check(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') return usage_error();
    char err[2048];
    evo_config *cfg = NULL;
    int rc = evo_config_load(argv[1], &cfg, err, sizeof err);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo: %s\n", err);
        return cli_exit_code(rc);
    }
    llm_model_cfg models[LLM_MAX_MODELS];
    llm_client_opts opts;
    int n = llm_config_read(config_get(cfg, "llm"), models, LLM_MAX_MODELS, &opts, err, sizeof err);
    if (n <= 0) {
        fprintf(stderr, "evo: %s\n", n < 0 ? err : "no models configured (llm.models is empty)");
        evo_config_free(cfg);
        return EXIT_CONFIG;
    }
    int bad = check_prompts(cfg) != 0;
    /* One attempt each: the point is to see the first failure, not to wait it out. */
    opts.retries = 0;
    opts.circuit_breaker = 0;
    if (opts.max_in_flight < n) opts.max_in_flight = n;
    llm_client *c = llm_client_new(models, n, &opts, err, sizeof err);
    if (!c) {
        fprintf(stderr, "evo: %s\n", err);
        evo_config_free(cfg);
        return EXIT_ERROR;
    }
    llm_call calls[LLM_MAX_MODELS];
    llm_reply replies[LLM_MAX_MODELS];
    for (int i = 0; i < n; i++)
        calls[i] = (llm_call){.model = i, .system = "You are a health check.",
                              .user = "Reply with the single word: ok", .max_tokens = 16};
    llm_chat_many(c, n, calls, replies);
    printf("%-20s %10s %10s %10s  %s\n", "model", "latency", "tokens in", "tokens out", "result");
    for (int i = 0; i < n; i++) {
        llm_reply *r = &replies[i];
        printf("%-20s %8.0fms %10lld %10lld  %s\n", models[i].name, r->latency_ms,
               (long long)r->tokens_in, (long long)r->tokens_out, r->rc == EVO_OK ? "ok" : r->error);
        if (r->rc != EVO_OK) bad = 1;
        llm_reply_clear(r);
    }
    llm_client_free(c);
    evo_config_free(cfg);
    return bad ? EXIT_ERROR : EXIT_OK;
}
