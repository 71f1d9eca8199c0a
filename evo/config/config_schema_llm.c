/* config_schema_llm.c -- the configuration keys of the language-model operator ("llm").
 *
 * Part of the schema table (see config_schema.h): the validator, default filler and README
 * generator pick these entries up with the engine's. Add a key by adding an entry here; the
 * LLM code reads values with config_get_*(cfg, "llm....") and gets the default when absent.
 * A config never holds an API key: models name the environment variable that does
 * (api_key_env), and the validator rejects any key called "api_key". */
#include "config_schema.h"

#include <stddef.h>

const config_key config_schema_llm[] = {
    {.path = "llm.models", .type = CT_OBJECTS, .def = "[]",
     .doc = "Language models the llm operator may call ([] = the llm operator is unavailable)."},
    {.path = "llm.models[].name", .type = CT_STRING, .flags = CK_REQUIRED, .maxlen = 63,
     .doc = "Short name of the model, used in logs, notes and cost reports."},
    {.path = "llm.models[].base_url", .type = CT_STRING, .flags = CK_REQUIRED | CK_URL,
     .doc = "Base URL of an OpenAI-compatible API (\"https://api.openai.com/v1\")."},
    {.path = "llm.models[].model", .type = CT_STRING, .flags = CK_REQUIRED,
     .doc = "Model identifier sent in requests."},
    {.path = "llm.models[].api_key_env", .type = CT_STRING, .def = "\"\"", .flags = CK_ENVNAME,
     .maxlen = 127,
     .doc = "Name of the environment variable holding the API key (\"\" = no key sent)."},
    {.path = "llm.models[].temperature", .type = CT_NUMBER, .def = "0.7",
     .flags = CK_MIN | CK_MAX, .min = 0, .max = 2, .doc = "Sampling temperature."},
    {.path = "llm.models[].top_p", .type = CT_NUMBER, .def = "1.0",
     .flags = CK_MIN | CK_MAX | CK_MIN_EXCL, .min = 0, .max = 1,
     .doc = "Nucleus sampling probability mass."},
    {.path = "llm.models[].max_tokens", .type = CT_INT, .def = "4096", .flags = CK_MIN | CK_MAX,
     .min = 1, .max = 1000000, .doc = "Most tokens in one reply."},
    {.path = "llm.models[].timeout_s", .type = CT_NUMBER, .def = "120.0",
     .flags = CK_MIN | CK_MIN_EXCL, .min = 0, .doc = "Seconds one request may take."},
    {.path = "llm.models[].price_in_per_mtok", .type = CT_NUMBER, .def = "0.0",
     .flags = CK_MIN, .min = 0,
     .doc = "Price in USD per million prompt tokens, for the cost budget."},
    {.path = "llm.models[].price_out_per_mtok", .type = CT_NUMBER, .def = "0.0",
     .flags = CK_MIN, .min = 0,
     .doc = "Price in USD per million completion tokens, for the cost budget."},
    {.path = "llm.models[].weight", .type = CT_NUMBER, .def = "1.0", .flags = CK_MIN,
     .min = 0, .doc = "Sampling weight of the model under the weights policy (0 disables)."},
    {.path = "llm.policy", .type = CT_STRING, .def = "\"block\"",
     .allowed = "weights|bandit|block",
     .doc = "How a model is picked per call: by weight, by a bandit over rewards, or in "
            "blocks of block_size calls per model in turn."},
    {.path = "llm.block_size", .type = CT_INT, .def = "5", .flags = CK_MIN | CK_MAX, .min = 1,
     .max = 100000, .doc = "Calls per model before the block policy moves to the next."},
    {.path = "llm.max_cost_usd", .type = CT_NUMBER, .def = "0.0", .flags = CK_MIN, .min = 0,
     .doc = "Budget in USD over the run (0 = unlimited)."},
    {.path = "llm.max_tokens", .type = CT_INT, .def = "0", .flags = CK_MIN, .min = 0,
     .doc = "Budget of tokens (prompt and reply) over the run (0 = unlimited)."},
    {.path = "llm.max_calls", .type = CT_INT, .def = "0", .flags = CK_MIN, .min = 0,
     .doc = "Budget of model calls over the run (0 = unlimited)."},
    {.path = "llm.max_in_flight", .type = CT_INT, .def = "4", .flags = CK_MIN | CK_MAX,
     .min = 1, .max = 256, .doc = "Most requests in flight at once."},
    {.path = "llm.retries", .type = CT_INT, .def = "4", .flags = CK_MIN | CK_MAX, .min = 0,
     .max = 100, .doc = "Retries of a failed request (timeouts, 429 and 5xx replies)."},
    {.path = "llm.backoff_ms", .type = CT_INT, .def = "500", .flags = CK_MIN | CK_MAX,
     .min = 0, .max = 600000,
     .doc = "First retry delay in milliseconds; it doubles with each retry."},
    {.path = "llm.max_reply_bytes", .type = CT_INT, .def = "1048576", .flags = CK_MIN | CK_MAX,
     .min = 1024, .max = 1073741824, .doc = "Largest reply body accepted."},
    {.path = "llm.prompts_dir", .type = CT_STRING, .def = "\"\"",
     .doc = "Folder of prompt templates, relative to the config file (\"\" = the shipped "
            "configs/prompts)."},
    {.path = "llm.mode", .type = CT_STRING, .def = "\"auto\"", .allowed = "auto|diff|rewrite",
     .doc = "What the model is asked for: a diff, a full rewrite, or auto (diff for long "
            "sources)."},
    {.path = "llm.circuit_breaker", .type = CT_INT, .def = "5", .flags = CK_MIN, .min = 0,
     .doc = "Consecutive failed calls after which a model is skipped (0 = never)."},
    {.path = NULL},
};
