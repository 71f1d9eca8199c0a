/* llm_client.h -- a client for OpenAI-compatible chat-completion endpoints (OpenAI, vLLM,
 * SGLang, llama.cpp's server, Ollama, OpenRouter, DeepSeek...), built on libcurl's multi
 * interface so several requests can be in flight from one call.
 *
 * It owns everything about talking to a model that is not prompt design: the request body,
 * retries with exponential backoff and jitter on 429/5xx/timeouts/dropped connections
 * (honouring Retry-After), a per-model circuit breaker, a cap on reply size, precise errors
 * for 401/403/404 and malformed replies, and token/cost accounting from `usage`.
 *
 * API keys: a model names the environment variable holding its key (api_key_env). The key is
 * read from the environment for each request, sent only as an Authorization header, and
 * never stored, logged, or put into an error message; any text that could echo a request
 * (server error bodies, replies) is scrubbed of it before the caller sees it.
 *
 * A client is shared by the LLM operator's worker threads: calls are thread-safe. */
#ifndef EVO_LLM_CLIENT_H
#define EVO_LLM_CLIENT_H
#include "evo.h"
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define LLM_MAX_MODELS 16

typedef struct llm_model_cfg {
    char name[64];
    char base_url[512];
    char model[256];
    char api_key_env[128];
    double temperature, top_p;
    int max_tokens;
    double timeout_s;
    double price_in_per_mtok, price_out_per_mtok;
    double weight;
} llm_model_cfg;

typedef struct llm_client_opts {
    int retries;            /* retries after the first attempt */
    int backoff_ms;         /* first retry delay; doubles per retry, with jitter */
    int max_retry_after_s;  /* cap on a server's Retry-After (0 = 600) */
    size_t max_reply_bytes; /* larger bodies are refused */
    int circuit_breaker;    /* consecutive failed calls that open a model's breaker (0 = never) */
    double breaker_cooldown_s; /* how long an open breaker skips the model (0 = 60) */
    int max_in_flight;         /* requests in flight over all threads */
} llm_client_opts;

/* A reported token count above this is absurd (no model's context is that large): the
 * reply's usage is refused and the call charged at its bound (llm_client_bound). */
#define LLM_USAGE_ABSURD 10000000

/* The shortest run of an API key's characters that the scrubber treats as an echo of it:
 * any 16 consecutive characters of a key (a whole key when it is shorter) are starred. */
#define LLM_SCRUB_RUN 16

/* One chat call: a system and a user message to model index `model`. max_tokens > 0
 * overrides the model's setting (llm-check uses a small one). stop, when set, is polled
 * while the call waits (a backoff or a server's Retry-After, or a free slot): once it
 * returns non-zero no further attempt is sent and the call ends at once with an error. */
typedef struct llm_call {
    int model;
    const char *system;
    const char *user;
    int max_tokens;
    int (*stop)(void *user);
    void *stop_user;
} llm_call;

typedef struct llm_reply {
    int rc;        /* EVO_OK, EVO_ELLM (see error), EVO_ENOMEM */
    char *content; /* the message text, key scrubbed; caller frees via llm_reply_clear */
    int64_t tokens_in, tokens_out;
    int usage_estimated; /* 1 when the reply had no usage and tokens were estimated */
    int usage_bad;       /* 1 when the server's usage was refused (negative, not an integer,
                          * absurd, or a 2xx reply that could not be read): charged at the
                          * call's bound; usage_note says why */
    char usage_note[256];
    double cost_usd;
    double latency_ms; /* wall time of the whole call, retries included */
    int attempts;      /* HTTP attempts made */
    long http_status;  /* status of the last attempt (0 = no HTTP reply) */
    char error[1024];  /* why rc != EVO_OK, naming the model; never holds the key */
} llm_reply;

typedef struct llm_client llm_client;

/* Build a client for n models. Returns NULL with err set on a bad argument or no memory. */
llm_client *llm_client_new(const llm_model_cfg *models, int n, const llm_client_opts *opts,
                           char *err, size_t errlen);
void llm_client_free(llm_client *c);
/* Read the "llm" section of cfg (models and client options) into models/opts.
 * Returns the number of models (0 when none is configured), or -1 with err set. */
int llm_config_read(const json_t *llm_section, llm_model_cfg *models, int max,
                    llm_client_opts *opts, char *err, size_t errlen);

/* 1 when the model's circuit breaker lets a call through now. */
int llm_client_available(llm_client *c, int model);

/* Run n calls concurrently (each with its own retries); replies[i] answers calls[i].
 * Returns EVO_OK when every call succeeded, else the first failing call's rc. */
int llm_chat_many(llm_client *c, int n, const llm_call *calls, llm_reply *replies);
/* One call. */
int llm_chat(llm_client *c, const llm_call *call, llm_reply *reply);
void llm_reply_clear(llm_reply *r);

/* The most a call can cost, charged before it is sent (a reservation) and when a reply's usage
 * cannot be trusted: every byte of the prompt a token (plus 64 for the chat template), the
 * whole max_tokens as reply, at the model's prices. */
void llm_client_bound(const llm_client *c, const llm_call *call, int64_t *tokens_in,
                      int64_t *tokens_out, double *cost_usd);

/* Star out, in place, every echo of secret in text: the whole secret and any run of at least
 * LLM_SCRUB_RUN consecutive characters of it (a prefix cut by a server's or our own
 * truncation, a suffix, a middle part); a no-op for NULL secrets or ones shorter than 6.
 * Exposed for tests and for callers that echo text which may have met a request. */
void llm_scrub(char *text, const char *secret);
/* The same over n bytes that need not end in NUL. */
void llm_scrub_bytes(char *text, size_t n, const char *secret);
#endif
