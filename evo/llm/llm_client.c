/* llm_client.c -- OpenAI-compatible chat completions over libcurl (see llm_client.h).
 *
 * One llm_chat_many() call drives its requests through a private curl multi handle: each
 * request is a small state machine (waiting for its start time -> running -> done) so that
 * retries wait out their backoff without blocking the other requests of the call. A
 * counter shared by all threads caps the requests in flight; a call that finds no free
 * slot keeps polling rather than blocking, so it can never wait on itself. */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "llm_client.h"

struct llm_client {
    int n;
    llm_model_cfg models[LLM_MAX_MODELS];
    llm_client_opts o;
    pthread_mutex_t mu;
    int in_flight;                     /* locked */
    int fails[LLM_MAX_MODELS];         /* consecutive failed calls, locked */
    double open_until[LLM_MAX_MODELS]; /* breaker open until (monotonic s), locked */
    uint64_t rng;                      /* jitter, locked */
};

typedef struct growbuf {
    char *p;
    size_t n, cap, limit;
    int too_big;
} growbuf;

enum { REQ_WAIT, REQ_RUN, REQ_DONE };

typedef struct req {
    llm_client *c;
    const llm_call *call;
    llm_reply *out;
    char *body;
    CURL *easy;
    struct curl_slist *hdrs;
    growbuf resp;
    double retry_after_s; /* from the last reply's header, -1 if none */
    int state;
    double next_at, t0;
    char curl_err[CURL_ERROR_SIZE];
} req;

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void llm_scrub_bytes(char *text, size_t n, const char *secret)
{
    if (!text || !secret) return;
    size_t k = strlen(secret);
    /* Very short "keys" would scrub ordinary words; nobody issues keys that short. */
    if (k < 6) return;
    /* A run of w characters of the secret anywhere in text is an echo of it: a whole key
     * shorter than LLM_SCRUB_RUN, else any LLM_SCRUB_RUN consecutive characters of it, so a
     * prefix that a truncation cut (the server's or an excerpt's) is caught too. Each byte
     * is starred only after every window that reads it was compared, so overlapping runs
     * merge into one. */
    size_t w = k < LLM_SCRUB_RUN ? k : LLM_SCRUB_RUN;
    if (n < w) return;
    size_t until = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + w <= n) {
            for (size_t j = 0; j + w <= k; j++) {
                if (secret[j] == text[i] && memcmp(text + i, secret + j, w) == 0) {
                    until = i + w;
                    break;
                }
            }
        }
        if (i < until) text[i] = '*';
    }
}

void llm_scrub(char *text, const char *secret)
{
    if (text) llm_scrub_bytes(text, strlen(text), secret);
}

static const char *key_of(const llm_model_cfg *m)
{
    if (!m->api_key_env[0]) return NULL;
    const char *k = getenv(m->api_key_env);
    return k && *k ? k : NULL;
}

/* Scrub every configured model's key, not only the one the request carried: a server may
 * echo what another model's request sent it (a shared proxy). */
static void scrub_all(const llm_client *c, char *text, size_t n)
{
    for (int i = 0; text && i < c->n; i++)
        llm_scrub_bytes(text, n, key_of(&c->models[i]));
}

static void usage_bound(const llm_model_cfg *m, const llm_call *call, int64_t *tin, int64_t *tout,
                        double *cost)
{
    size_t in = (call->system ? strlen(call->system) : 0) + (call->user ? strlen(call->user) : 0);
    *tin = (int64_t)in + 64;
    *tout = call->max_tokens > 0 ? call->max_tokens : m->max_tokens;
    if (*tout < 1) *tout = 1;
    *cost = (double)*tin * m->price_in_per_mtok / 1e6 + (double)*tout * m->price_out_per_mtok / 1e6;
}

void llm_client_bound(const llm_client *c, const llm_call *call, int64_t *tokens_in,
                      int64_t *tokens_out, double *cost_usd)
{
    *tokens_in = *tokens_out = 0;
    *cost_usd = 0;
    if (call->model < 0 || call->model >= c->n) return;
    usage_bound(&c->models[call->model], call, tokens_in, tokens_out, cost_usd);
}

/* ---- construction ---------------------------------------------------------------------- */

llm_client *llm_client_new(const llm_model_cfg *models, int n, const llm_client_opts *opts,
                           char *err, size_t errlen)
{
    if (n < 0 || n > LLM_MAX_MODELS) {
        snprintf(err, errlen, "llm: %d models configured; at most %d are supported", n,
                 LLM_MAX_MODELS);
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "llm: libcurl failed to initialise");
        return NULL;
    }
    llm_client *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "llm: out of memory");
        return NULL;
    }
    c->n = n;
    if (n) memcpy(c->models, models, (size_t)n * sizeof *models);
    c->o = *opts;
    if (c->o.max_in_flight < 1) c->o.max_in_flight = 1;
    if (c->o.max_reply_bytes < 1024) c->o.max_reply_bytes = 1024;
    if (c->o.max_retry_after_s <= 0) c->o.max_retry_after_s = 600;
    if (c->o.breaker_cooldown_s <= 0) c->o.breaker_cooldown_s = 60;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)c;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void llm_client_free(llm_client *c)
{
    if (!c) return;
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* ---- circuit breaker and in-flight slots ----------------------------------------------- */

int llm_client_available(llm_client *c, int model)
{
    if (model < 0 || model >= c->n) return 0;
    pthread_mutex_lock(&c->mu);
    int ok = c->open_until[model] <= mono_now();
    pthread_mutex_unlock(&c->mu);
    return ok;
}

static int breaker_check(llm_client *c, int model, char *err, size_t errlen)
{
    pthread_mutex_lock(&c->mu);
    double wait = c->open_until[model] - mono_now();
    int fails = c->fails[model];
    pthread_mutex_unlock(&c->mu);
    if (wait <= 0) return 0;
    snprintf(err, errlen,
             "model '%s': circuit breaker open after %d consecutive failed calls; "
             "skipped for another %.0f s",
             c->models[model].name, fails, ceil(wait));
    return -1;
}

static void breaker_record(llm_client *c, int model, int ok)
{
    pthread_mutex_lock(&c->mu);
    if (ok) {
        c->fails[model] = 0;
        c->open_until[model] = 0;
    } else if (++c->fails[model] >= c->o.circuit_breaker && c->o.circuit_breaker > 0) {
        c->open_until[model] = mono_now() + c->o.breaker_cooldown_s;
    }
    pthread_mutex_unlock(&c->mu);
}

static int slot_try_acquire(llm_client *c)
{
    pthread_mutex_lock(&c->mu);
    int ok = c->in_flight < c->o.max_in_flight;
    if (ok) c->in_flight++;
    pthread_mutex_unlock(&c->mu);
    return ok;
}

static void slot_release(llm_client *c)
{
    pthread_mutex_lock(&c->mu);
    c->in_flight--;
    pthread_mutex_unlock(&c->mu);
}

/* A factor in [0.5, 1.5): spreads retries of many clients hitting one rate limit. */
static double jitter(llm_client *c)
{
    pthread_mutex_lock(&c->mu);
    uint64_t z = (c->rng += 0x9e3779b97f4a7c15ULL);
    pthread_mutex_unlock(&c->mu);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return 0.5 + (double)(z >> 11) / 9007199254740992.0;
}

/* ---- one request ----------------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    growbuf *b = user;
    size_t k = size * nmemb;
    if (b->n + k > b->limit) {
        b->too_big = 1;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    if (b->n + k + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + k + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, k);
    b->n += k;
    b->p[b->n] = 0;
    return k;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
    req *r = user;
    size_t k = size * nmemb;
    static const char name[] = "retry-after:";
    if (k > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
        char val[128];
        size_t vlen = k - (sizeof name - 1);
        if (vlen >= sizeof val) vlen = sizeof val - 1;
        memcpy(val, data + sizeof name - 1, vlen);
        val[vlen] = 0;
        char *end;
        double s = strtod(val, &end);
        if (end != val && s >= 0) {
            r->retry_after_s = s;
        } else {
            /* An HTTP date: wait until then. */
            time_t when = curl_getdate(val, NULL);
            if (when > 0) r->retry_after_s = difftime(when, time(NULL));
        }
    }
    return k;
}

static char *request_body(const llm_model_cfg *m, const llm_call *call)
{
    json_t *msgs = json_array();
    if (call->system && *call->system)
        json_array_append_new(msgs,
                              json_pack("{ss ss}", "role", "system", "content", call->system));
    json_array_append_new(
        msgs, json_pack("{ss ss}", "role", "user", "content", call->user ? call->user : ""));
    int max_tokens = call->max_tokens > 0 ? call->max_tokens : m->max_tokens;
    json_t *body =
        json_pack("{ss so sf sf si sb}", "model", m->model, "messages", msgs, "temperature",
                  m->temperature, "top_p", m->top_p, "max_tokens", max_tokens, "stream", 0);
    if (!body) return NULL;
    char *s = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return s;
}

static void url_of(const llm_model_cfg *m, char *out, size_t cap)
{
    size_t n = strlen(m->base_url);
    while (n > 0 && m->base_url[n - 1] == '/')
        n--;
    snprintf(out, cap, "%.*s/chat/completions", (int)n, m->base_url);
}

static int start_attempt(req *r, CURLM *multi)
{
    const llm_model_cfg *m = &r->c->models[r->call->model];
    r->easy = curl_easy_init();
    if (!r->easy) return -1;
    free(r->resp.p);
    memset(&r->resp, 0, sizeof r->resp);
    r->resp.limit = r->c->o.max_reply_bytes;
    r->retry_after_s = -1;
    r->curl_err[0] = 0;
    char url[600];
    url_of(m, url, sizeof url);
    r->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    r->hdrs = curl_slist_append(r->hdrs, "Expect:");
    const char *key = key_of(m);
    if (key) {
        /* The header lives only in curl's list for this attempt and is wiped after it. */
        size_t hl = strlen(key) + 32;
        char *h = malloc(hl);
        if (!h) return -1;
        snprintf(h, hl, "Authorization: Bearer %s", key);
        r->hdrs = curl_slist_append(r->hdrs, h);
        memset(h, 0, hl);
        free(h);
    }
    long timeout_ms = (long)(m->timeout_s * 1000.0);
    if (timeout_ms < 1) timeout_ms = 1;
    curl_easy_setopt(r->easy, CURLOPT_URL, url);
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hdrs);
    curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, &r->resp);
    curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->curl_err);
    curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
    /* Never follow redirects: the Authorization header must not travel to another host. */
    curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(r->easy, CURLOPT_ACCEPT_ENCODING, "");
    r->out->attempts++;
    return curl_multi_add_handle(multi, r->easy) == CURLM_OK ? 0 : -1;
}

static void wipe_headers(req *r)
{
    for (struct curl_slist *s = r->hdrs; s; s = s->next)
        memset(s->data, 0, strlen(s->data));
    curl_slist_free_all(r->hdrs);
    r->hdrs = NULL;
}

static void end_attempt(req *r, CURLM *multi)
{
    curl_multi_remove_handle(multi, r->easy);
    curl_easy_cleanup(r->easy);
    r->easy = NULL;
    wipe_headers(r);
    slot_release(r->c);
}

/* A short printable excerpt of a reply body for error messages. */
static void excerpt(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < cap && i < 160; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
        out[k++] = isprint(ch) ? (char)ch : '?';
    }
    if (n > 160 && k + 4 < cap) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = 0;
}

/* The server's own explanation: error.message of a JSON body, or the body's start. */
static void server_message(const llm_client *c, const growbuf *b, char *out, size_t cap)
{
    out[0] = 0;
    if (!b->p || !b->n) return;
    json_t *j = json_loadb(b->p, b->n, 0, NULL);
    json_t *e = json_object_get(j, "error");
    const char *msg =
        json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "message"));
    if (msg) {
        /* Decoded text may spell a key with \u escapes the raw scrub could not see: scrub it
         * again, before the excerpt cuts it. */
        char *m = strdup(msg);
        if (m) scrub_all(c, m, strlen(m));
        excerpt(m ? m : "", m ? strlen(m) : 0, out, cap);
        free(m);
    } else {
        excerpt(b->p, b->n, out, cap);
    }
    json_decref(j);
}

static void set_error(req *r, const char *fmt, const char *detail)
{
    const llm_model_cfg *m = &r->c->models[r->call->model];
    r->out->rc = EVO_ELLM;
    char msg[2048];
    snprintf(msg, sizeof msg, fmt, detail ? detail : "");
    size_t cap = sizeof r->out->error;
    int k = snprintf(r->out->error, cap, "model '%s': ", m->name);
    if (k < 0 || (size_t)k >= cap) return;
    size_t room = cap - (size_t)k - 1, len = strlen(msg);
    if (len > room) len = room;
    memcpy(r->out->error + k, msg, len);
    r->out->error[(size_t)k + len] = 0;
}

static void http_error(req *r, long status)
{
    const llm_model_cfg *m = &r->c->models[r->call->model];
    char url[600], srv[200], text[2048];
    url_of(m, url, sizeof url);
    server_message(r->c, &r->resp, srv, sizeof srv);
    char hint[512] = "";
    if (status == 401 || status == 403) {
        if (!m->api_key_env[0])
            snprintf(hint, sizeof hint,
                     "no API key is configured (set api_key_env to the name of "
                     "the environment variable holding it)");
        else if (!key_of(m))
            snprintf(hint, sizeof hint, "environment variable %s is not set or empty",
                     m->api_key_env);
        else if (status == 401)
            snprintf(hint, sizeof hint, "the server rejected the key in environment variable %s",
                     m->api_key_env);
        else
            snprintf(hint, sizeof hint, "the key in environment variable %s may not use model '%s'",
                     m->api_key_env, m->model);
    }
    if (status == 401)
        snprintf(text, sizeof text, "HTTP 401 Unauthorized from %s: %s", url, hint);
    else if (status == 403)
        snprintf(text, sizeof text, "HTTP 403 Forbidden from %s: %s", url, hint);
    else if (status == 404)
        snprintf(text, sizeof text,
                 "HTTP 404 Not Found from %s: check base_url (most servers "
                 "expect it to end in /v1) and model '%s'",
                 url, m->model);
    else
        snprintf(text, sizeof text, "HTTP %ld from %s", status, url);
    if (srv[0]) {
        size_t k = strlen(text);
        snprintf(text + k, sizeof text - k, " (server said: %s)", srv);
    }
    set_error(r, "%s", text);
}

static char *content_text(json_t *msg)
{
    json_t *c = json_object_get(msg, "content");
    if (json_is_string(c)) return strdup(json_string_value(c));
    if (!json_is_array(c)) return NULL;
    /* Content given as parts: join the text parts. */
    size_t len = 0, i;
    json_t *part;
    json_array_foreach(c, i, part)
    {
        const char *t = json_string_value(json_object_get(part, "text"));
        if (t) len += strlen(t);
    }
    char *s = malloc(len + 1);
    if (!s) return NULL;
    s[0] = 0;
    json_array_foreach(c, i, part)
    {
        const char *t = json_string_value(json_object_get(part, "text"));
        if (t) strcat(s, t);
    }
    return s;
}

/* The server's usage cannot be trusted (or a 2xx body could not be read, so it may have been
 * paid for without saying how much): charge the call's bound and say why. */
static void bad_usage(req *r, const char *which, const char *why)
{
    llm_reply *o = r->out;
    usage_bound(&r->c->models[r->call->model], r->call, &o->tokens_in, &o->tokens_out,
                &o->cost_usd);
    o->usage_bad = 1;
    o->usage_estimated = 0;
    snprintf(o->usage_note, sizeof o->usage_note,
             "bad usage from the server (%s %s); charged the call's bound: %lld tokens in, %lld "
             "out, $%.6f",
             which, why, (long long)o->tokens_in, (long long)o->tokens_out, o->cost_usd);
}

/* Parse a 2xx body into the reply; returns 0, or -1 with the reason set. */
static int parse_reply(req *r)
{
    llm_reply *o = r->out;
    json_error_t je;
    char ex[200];
    json_t *j = json_loadb(r->resp.p ? r->resp.p : "", r->resp.n, 0, &je);
    if (!j) {
        excerpt(r->resp.p ? r->resp.p : "", r->resp.n, ex, sizeof ex);
        char d[400];
        snprintf(d, sizeof d, "line %d column %d: %s; it begins '%s'", je.line, je.column, je.text,
                 ex);
        set_error(r, "reply is not JSON (%s)", d);
        return -1;
    }
    int rc = -1;
    json_t *choices = json_object_get(j, "choices");
    json_t *err = json_object_get(j, "error");
    if (!json_is_object(j)) {
        set_error(r, "reply JSON is not an object%s", "");
    } else if (err && !json_is_null(err)) {
        const char *m = json_is_string(err) ? json_string_value(err)
                                            : json_string_value(json_object_get(err, "message"));
        char *ms = strdup(m ? m : "?");
        if (ms) scrub_all(r->c, ms, strlen(ms));
        excerpt(ms ? ms : "?", ms ? strlen(ms) : 1, ex, sizeof ex);
        free(ms);
        set_error(r, "the API returned an error: %s", ex);
    } else if (!json_is_array(choices)) {
        set_error(r,
                  "reply JSON has no 'choices' array (not an OpenAI-compatible chat completion)%s",
                  "");
    } else if (json_array_size(choices) == 0) {
        set_error(r, "reply has an empty 'choices' array (the model returned nothing)%s", "");
    } else {
        json_t *c0 = json_array_get(choices, 0);
        json_t *msg = json_object_get(c0, "message");
        char *text = msg ? content_text(msg) : NULL;
        if (!text) {
            const char *fr = json_string_value(json_object_get(c0, "finish_reason"));
            set_error(r, "reply has no text in choices[0].message.content (finish_reason '%s')",
                      fr ? fr : "none");
        } else {
            scrub_all(r->c, text, strlen(text));
            o->content = text;
            rc = 0;
        }
    }
    if (rc == 0) {
        json_t *u = json_object_get(j, "usage");
        json_t *pt = json_object_get(u, "prompt_tokens"),
               *ct = json_object_get(u, "completion_tokens");
        const llm_model_cfg *m = &r->c->models[r->call->model];
        if (!pt || !ct || json_is_null(pt) || json_is_null(ct)) {
            /* No usage: about four bytes per token, so budgets still bite. */
            size_t in = strlen(r->body);
            o->tokens_in = (int64_t)(in / 4 + 1);
            o->tokens_out = (int64_t)(strlen(o->content) / 4 + 1);
            o->usage_estimated = 1;
        } else {
            /* Reported counts are believed only when they are integers in
             * [0, LLM_USAGE_ABSURD]: a negative count would refund the budget, a huge one
             * overflow the sums. */
            const char *which = "prompt_tokens";
            char why[96] = "";
            json_t *v = pt;
            for (int k = 0; k < 2 && !why[0]; k++, v = ct, which = "completion_tokens") {
                if (!json_is_integer(v))
                    snprintf(why, sizeof why, "is not an integer");
                else if (json_integer_value(v) < 0)
                    snprintf(why, sizeof why, "is negative (%lld)",
                             (long long)json_integer_value(v));
                else if (json_integer_value(v) > LLM_USAGE_ABSURD)
                    snprintf(why, sizeof why, "is absurd (%lld, above %d)",
                             (long long)json_integer_value(v), LLM_USAGE_ABSURD);
            }
            if (why[0]) {
                bad_usage(r, which, why);
            } else {
                o->tokens_in = json_integer_value(pt);
                o->tokens_out = json_integer_value(ct);
            }
        }
        if (!o->usage_bad)
            o->cost_usd = (double)o->tokens_in * m->price_in_per_mtok / 1e6 +
                          (double)o->tokens_out * m->price_out_per_mtok / 1e6;
    }
    json_decref(j);
    return rc;
}

static int retryable_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_COULDNT_CONNECT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

/* Decide what a finished attempt means: done (ok or failed) or retry later. */
static void finish_attempt(req *r, CURLcode cc)
{
    llm_client *c = r->c;
    const llm_model_cfg *m = &c->models[r->call->model];
    long status = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    r->out->http_status = status;
    /* Scrub the body before anything reads, parses or cuts it. */
    scrub_all(c, r->resp.p, r->resp.n);
    int retry = 0;
    r->out->rc = EVO_OK;
    r->out->error[0] = 0;
    if (cc != CURLE_OK) {
        if (r->resp.too_big) {
            char d[64];
            snprintf(d, sizeof d, "%zu", c->o.max_reply_bytes);
            set_error(r, "reply larger than llm.max_reply_bytes (%s bytes); refused", d);
        } else if (cc == CURLE_OPERATION_TIMEDOUT) {
            char d[64];
            snprintf(d, sizeof d, "%g", m->timeout_s);
            set_error(r, "request timed out after %s s (timeout_s)", d);
            retry = 1;
        } else {
            char d[CURL_ERROR_SIZE + 64];
            snprintf(d, sizeof d, "%s%s%s", curl_easy_strerror(cc), r->curl_err[0] ? ": " : "",
                     r->curl_err);
            set_error(
                r, retryable_curl(cc) ? "connection failed or dropped: %s" : "request failed: %s",
                d);
            retry = retryable_curl(cc);
        }
    } else if (status == 429 || status == 408 || status >= 500) {
        char d[300], srv[200];
        server_message(r->c, &r->resp, srv, sizeof srv);
        snprintf(d, sizeof d, "%ld%s%s%s", status, status == 429 ? " Too Many Requests" : "",
                 srv[0] ? ": " : "", srv);
        set_error(r, "HTTP %s", d);
        retry = 1;
    } else if (status < 200 || status > 299) {
        http_error(r, status);
    } else if (parse_reply(r) != 0) {
        /* A 2xx reply may have been paid for even when it cannot be read. */
        bad_usage(r, "the reply", "could not be read");
    }
    if (retry && r->out->attempts <= c->o.retries) {
        double delay = c->o.backoff_ms / 1000.0 * pow(2.0, r->out->attempts - 1) * jitter(c);
        if (r->retry_after_s >= 0) {
            double ra = r->retry_after_s > c->o.max_retry_after_s ? c->o.max_retry_after_s
                                                                  : r->retry_after_s;
            if (ra > delay) delay = ra;
        }
        r->state = REQ_WAIT;
        r->next_at = mono_now() + delay;
        return;
    }
    if (r->out->rc != EVO_OK && r->out->attempts > 1) {
        size_t k = strlen(r->out->error);
        snprintf(r->out->error + k, sizeof r->out->error - k, " (after %d attempts)",
                 r->out->attempts);
    }
    r->state = REQ_DONE;
}

static void finish_call(req *r)
{
    llm_reply *o = r->out;
    o->latency_ms = (mono_now() - r->t0) * 1e3;
    breaker_record(r->c, r->call->model, o->rc == EVO_OK);
    scrub_all(r->c, o->error, strlen(o->error));
    if (o->content) scrub_all(r->c, o->content, strlen(o->content));
    free(r->body);
    r->body = NULL;
    free(r->resp.p);
    r->resp.p = NULL;
}

/* ---- the call loop --------------------------------------------------------------------- */

static int init_req(llm_client *c, req *r, const llm_call *call, llm_reply *out)
{
    memset(r, 0, sizeof *r);
    memset(out, 0, sizeof *out);
    r->c = c;
    r->call = call;
    r->out = out;
    r->t0 = mono_now();
    r->state = REQ_WAIT;
    if (call->model < 0 || call->model >= c->n) {
        out->rc = EVO_EINVAL;
        snprintf(out->error, sizeof out->error, "no model with index %d", call->model);
        r->state = REQ_DONE;
        return 0;
    }
    if (breaker_check(c, call->model, out->error, sizeof out->error) != 0) {
        out->rc = EVO_ELLM;
        r->state = REQ_DONE;
        return 0;
    }
    r->body = request_body(&c->models[call->model], call);
    if (!r->body) {
        out->rc = EVO_ENOMEM;
        snprintf(out->error, sizeof out->error, "out of memory building a request");
        r->state = REQ_DONE;
    }
    return 0;
}

static void stop_waiting(req *r, double now)
{
    char d[160];
    if (r->out->attempts == 0)
        snprintf(d, sizeof d, "before its first attempt");
    else
        snprintf(d, sizeof d, "%.0f s before retry %d (backoff or the server's Retry-After)",
                 ceil(r->next_at > now ? r->next_at - now : 0), r->out->attempts);
    /* The last attempt's error without its "model 'NAME': " prefix (set_error adds one). */
    const char *last = r->out->error;
    const char *colon = strstr(last, "': ");
    char prev[sizeof r->out->error];
    snprintf(prev, sizeof prev, "%s", colon && strncmp(last, "model '", 7) == 0 ? colon + 3 : last);
    char text[sizeof prev + 256];
    snprintf(text, sizeof text, "stopped by an interrupt %s%s%s", d, prev[0] ? "; last: " : "",
             prev);
    set_error(r, "%s", text);
    r->state = REQ_DONE;
    finish_call(r);
}

int llm_chat_many(llm_client *c, int n, const llm_call *calls, llm_reply *replies)
{
    req *rs = calloc((size_t)(n > 0 ? n : 1), sizeof *rs);
    CURLM *multi = curl_multi_init();
    if (!rs || !multi) {
        free(rs);
        if (multi) curl_multi_cleanup(multi);
        for (int i = 0; i < n; i++) {
            memset(&replies[i], 0, sizeof replies[i]);
            replies[i].rc = EVO_ENOMEM;
            snprintf(replies[i].error, sizeof replies[i].error, "out of memory");
        }
        return EVO_ENOMEM;
    }
    for (int i = 0; i < n; i++)
        init_req(c, &rs[i], &calls[i], &replies[i]);
    for (;;) {
        double now = mono_now();
        for (int i = 0; i < n; i++) {
            req *r = &rs[i];
            if (r->state == REQ_WAIT && r->call->stop && r->call->stop(r->call->stop_user)) {
                /* Stopping: a waiting call sends nothing more (no request is in flight). */
                stop_waiting(r, now);
                continue;
            }
            if (r->state != REQ_WAIT || r->next_at > now || !slot_try_acquire(c)) continue;
            if (start_attempt(r, multi) != 0) {
                if (r->easy) curl_easy_cleanup(r->easy);
                r->easy = NULL;
                wipe_headers(r);
                slot_release(c);
                r->out->rc = EVO_ENOMEM;
                snprintf(r->out->error, sizeof r->out->error, "cannot start a request (libcurl)");
                r->state = REQ_DONE;
                finish_call(r);
                continue;
            }
            r->state = REQ_RUN;
        }
        int running = 0;
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            req *r = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            CURLcode cc = msg->data.result;
            finish_attempt(r, cc);
            end_attempt(r, multi);
            if (r->state == REQ_DONE) finish_call(r);
        }
        /* Sleep until socket activity, the next retry's start, or 100 ms (slot polling). */
        int pending = 0;
        now = mono_now();
        double wake = now + 0.1;
        for (int i = 0; i < n; i++) {
            if (rs[i].state == REQ_DONE) continue;
            pending = 1;
            if (rs[i].state != REQ_WAIT) continue;
            /* Due but no free slot: look again shortly rather than spin. */
            double at = rs[i].next_at > now ? rs[i].next_at : now + 0.005;
            if (at < wake) wake = at;
        }
        if (!pending) break;
        int ms = (int)((wake - now) * 1000);
        if (ms < 1) ms = 1;
        curl_multi_poll(multi, NULL, 0, ms, NULL);
    }
    /* Calls that ended before any attempt (breaker, bad index) still get their bookkeeping. */
    int rc = EVO_OK;
    for (int i = 0; i < n; i++) {
        if (rs[i].body || replies[i].attempts == 0) {
            if (rs[i].body)
                finish_call(&rs[i]);
            else
                replies[i].latency_ms = (mono_now() - rs[i].t0) * 1e3;
        }
        if (rc == EVO_OK && replies[i].rc != EVO_OK) rc = replies[i].rc;
    }
    curl_multi_cleanup(multi);
    free(rs);
    return rc;
}

int llm_chat(llm_client *c, const llm_call *call, llm_reply *reply)
{
    return llm_chat_many(c, 1, call, reply);
}

void llm_reply_clear(llm_reply *r)
{
    if (!r) return;
    free(r->content);
    memset(r, 0, sizeof *r);
}
