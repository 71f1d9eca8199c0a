/* llm_config.c -- the "llm" section of a configuration (defaults filled in by the loader)
 * read into the client's model table and options (llm_client.h). */
#include <stdio.h>
#include <string.h>

#include "llm_client.h"
#include "section.h"

static void copy_str(char *dst, size_t cap, const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    snprintf(dst, cap, "%s", s ? s : "");
}

int llm_config_read(const json_t *llm, llm_model_cfg *models, int max, llm_client_opts *opts,
                    char *err, size_t errlen)
{
    memset(opts, 0, sizeof *opts);
    opts->retries = (int)sec_int(llm, "retries");
    opts->backoff_ms = (int)sec_int(llm, "backoff_ms");
    opts->max_reply_bytes = (size_t)sec_int(llm, "max_reply_bytes");
    opts->circuit_breaker = (int)sec_int(llm, "circuit_breaker");
    opts->max_in_flight = (int)sec_int(llm, "max_in_flight");
    json_t *list = sec_get(llm, "models");
    size_t n = json_array_size(list);
    if ((int)n > max) {
        snprintf(err, errlen, "llm.models: %zu models configured; at most %d are supported", n,
                 max);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(list, i);
        llm_model_cfg *m = &models[i];
        memset(m, 0, sizeof *m);
        copy_str(m->name, sizeof m->name, o, "name");
        copy_str(m->base_url, sizeof m->base_url, o, "base_url");
        copy_str(m->model, sizeof m->model, o, "model");
        copy_str(m->api_key_env, sizeof m->api_key_env, o, "api_key_env");
        m->temperature = sec_double(o, "temperature");
        m->top_p = sec_double(o, "top_p");
        m->max_tokens = (int)sec_int(o, "max_tokens");
        m->timeout_s = sec_double(o, "timeout_s");
        m->price_in_per_mtok = sec_double(o, "price_in_per_mtok");
        m->price_out_per_mtok = sec_double(o, "price_out_per_mtok");
        m->weight = sec_double(o, "weight");
        if (!m->name[0] || !m->base_url[0] || !m->model[0]) {
            snprintf(err, errlen, "llm.models[%zu]: name, base_url and model are required", i);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(models[j].name, m->name) == 0) {
                snprintf(err, errlen,
                         "llm.models[%zu].name: '%s' is also the name of llm.models[%zu]", i,
                         m->name, j);
                return -1;
            }
    }
    return (int)n;
}
