/* tools.c -- two tools behind the evo command, as library calls: `evo check` (every shipped
 * seed kernel, or those of one config's task, compiled with NVRTC, no GPU needed) and `evo
 * llm-check` (one short request to each configured model, and the prompt templates loaded). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "evo.h"
#include "gpu_evaluator.h"
#include "llm_client.h"
#include "llm_operator.h"
#include "llm_prompt.h"
#include "task.h"

int evo_check_kernels(const char *kernels_dir, const char *const *archs, int narchs, int samples,
                      char **report, int *failures, char *err, size_t errlen)
{
    *report = NULL;
    *failures = 0;
    struct dirent **ents;
    int nents = scandir(kernels_dir, &ents, NULL, alphasort);
    if (nents < 0) {
        snprintf(err, errlen, "cannot read %s: %s", kernels_dir, strerror(errno));
        return EVO_EIO;
    }
    size_t len = 0;
    FILE *out = open_memstream(report, &len);
    if (!out) {
        for (int k = 0; k < nents; k++)
            free(ents[k]);
        free(ents);
        snprintf(err, errlen, "out of memory");
        return EVO_ENOMEM;
    }
    int checked = 0;
    for (int k = 0; k < nents; k++) {
        char dir[4096], terr[2048], spec[4200];
        snprintf(dir, sizeof dir, "%s/%s", kernels_dir, ents[k]->d_name);
        snprintf(spec, sizeof spec, "%s/task.json", dir);
        int hidden = ents[k]->d_name[0] == '.';
        free(ents[k]);
        if (hidden || access(spec, R_OK) != 0) continue;
        checked++; /* a task the loader refuses is a task checked (and failed), not none */
        evo_task *t;
        if (task_load_dir(dir, &t, terr, sizeof terr) != 0) {
            fprintf(out, "FAIL %s\n", terr);
            (*failures)++;
            continue;
        }
        for (int a = 0; a < narchs; a++)
            *failures += gpu_check_task(t, archs[a], samples, 1, out);
        task_free(t);
    }
    free(ents);
    fprintf(out, "%s: %d task(s), %d failure(s)\n", *failures ? "FAILED" : "ok", checked,
            *failures);
    fclose(out);
    if (checked == 0) {
        snprintf(err, errlen, "no task folders under %s", kernels_dir);
        return EVO_EIO;
    }
    return EVO_OK;
}

int evo_check_config(const evo_config *cfg, const char *const *archs, int narchs, int samples,
                     char **report, int *failures, char *err, size_t errlen)
{
    *report = NULL;
    *failures = 0;
    gpu_evaluator *g = NULL;
    int rc = gpu_evaluator_new(config_get(cfg, "evaluator"), cfg->dir, cfg->seed, &g, err, errlen);
    if (rc != EVO_OK) return rc;
    const evo_task *t = gpu_evaluator_task(g);
    if (t->nseeds == 0) {
        snprintf(err, errlen,
                 "evaluator.definition: no seed kernels for definition '%s': set evaluator.task "
                 "to a task folder whose definition is '%s'",
                 t->def.name, t->def.name);
        gpu_evaluator_free(g);
        return EVO_ECONFIG;
    }
    size_t len = 0;
    FILE *out = open_memstream(report, &len);
    if (!out) {
        gpu_evaluator_free(g);
        snprintf(err, errlen, "out of memory");
        return EVO_ENOMEM;
    }
    fprintf(out, "task %s (%d workloads, %d seeds)\n", t->def.name, t->nworkloads, t->nseeds);
    for (int a = 0; a < narchs; a++)
        *failures += gpu_check_task(t, archs[a], samples, 1, out);
    fprintf(out, "%s: 1 task(s), %d failure(s)\n", *failures ? "FAILED" : "ok", *failures);
    fclose(out);
    gpu_evaluator_free(g);
    return EVO_OK;
}

static int check_prompts(const evo_config *cfg, FILE *out)
{
    char err[2048];
    char *dir = llm_prompts_dir(config_get(cfg, "llm"), cfg->dir);
    llm_prompts p;
    int rc = dir ? llm_prompts_load(dir, &p, err, sizeof err) : -1;
    if (rc == 0) {
        fprintf(out, "prompts: %s ok\n", dir);
        llm_prompts_free(&p);
    } else {
        fprintf(out, "prompts: %s\n", dir ? err : "out of memory");
    }
    free(dir);
    return rc;
}

int evo_llm_check(const evo_config *cfg, char **report, int *failures, char *err, size_t errlen)
{
    *report = NULL;
    *failures = 0;
    llm_model_cfg models[LLM_MAX_MODELS];
    llm_client_opts opts;
    int n = llm_config_read(config_get(cfg, "llm"), models, LLM_MAX_MODELS, &opts, err, errlen);
    if (n <= 0) {
        if (n == 0) snprintf(err, errlen, "no models configured (llm.models is empty)");
        return EVO_ECONFIG;
    }
    size_t len = 0;
    FILE *out = open_memstream(report, &len);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return EVO_ENOMEM;
    }
    *failures += check_prompts(cfg, out) != 0;
    /* One attempt each: the point is to see the first failure, not to wait it out. */
    opts.retries = 0;
    opts.circuit_breaker = 0;
    if (opts.max_in_flight < n) opts.max_in_flight = n;
    llm_client *c = llm_client_new(models, n, &opts, err, errlen);
    if (!c) {
        fclose(out);
        free(*report);
        *report = NULL;
        return EVO_ERROR;
    }
    llm_call calls[LLM_MAX_MODELS];
    llm_reply replies[LLM_MAX_MODELS];
    for (int i = 0; i < n; i++)
        calls[i] = (llm_call){.model = i,
                              .system = "You are a health check.",
                              .user = "Reply with the single word: ok",
                              .max_tokens = 16};
    llm_chat_many(c, n, calls, replies);
    fprintf(out, "%-20s %10s %10s %10s  %s\n", "model", "latency", "tokens in", "tokens out",
            "result");
    for (int i = 0; i < n; i++) {
        llm_reply *r = &replies[i];
        fprintf(out, "%-20s %8.0fms %10lld %10lld  %s\n", models[i].name, r->latency_ms,
                (long long)r->tokens_in, (long long)r->tokens_out,
                r->rc == EVO_OK ? "ok" : r->error);
        if (r->rc != EVO_OK) (*failures)++;
        llm_reply_clear(r);
    }
    llm_client_free(c);
    fclose(out);
    return EVO_OK;
}
