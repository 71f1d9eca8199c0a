/* test_llm_client.c -- the OpenAI-compatible client against the scripted loopback server
 * (tests/llm_server.py): every reply a real endpoint can give, each with its exact outcome
 * (retried and succeeded, or failed with the right reason), the circuit breaker, several
 * requests in flight, token and cost accounting, and that the API key (a random string in an
 * environment variable) never appears in any reply or error text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "evo.h"
#include "llm_client.h"
#include "loopback.h"

#define KEY_ENV "EVO_TEST_LLM_KEY"

static char key[64];
static char seen_text[65536]; /* every reply and error, to look for the key afterwards */

static void remember(const llm_reply *r)
{
    size_t n = strlen(seen_text);
    snprintf(seen_text + n, sizeof seen_text - n, "%s\n%s\n", r->error,
             r->content ? r->content : "");
}

static llm_client *client_for(int port, const char *key_env, int retries, double timeout_s,
                              int breaker)
{
    llm_model_cfg m;
    memset(&m, 0, sizeof m);
    snprintf(m.name, sizeof m.name, "loop");
    snprintf(m.base_url, sizeof m.base_url, "http://127.0.0.1:%d/v1/", port);
    snprintf(m.model, sizeof m.model, "scripted-1");
    snprintf(m.api_key_env, sizeof m.api_key_env, "%s", key_env);
    m.temperature = 0.5;
    m.top_p = 1;
    m.max_tokens = 256;
    m.timeout_s = timeout_s;
    m.price_in_per_mtok = 2.0;
    m.price_out_per_mtok = 8.0;
    m.weight = 1;
    llm_client_opts o = {.retries = retries,
                         .backoff_ms = 10,
                         .max_reply_bytes = 4096,
                         .circuit_breaker = breaker,
                         .max_in_flight = 4};
    char err[256];
    llm_client *c = llm_client_new(&m, 1, &o, err, sizeof err);
    if (!c) fprintf(stderr, "client: %s\n", err);
    return c;
}

/* Run one call against a fresh server playing script; returns the reply (caller clears). */
static int run_case(const char *script, const char *key_env, int retries, double timeout_s,
                    llm_reply *r, int *port_out)
{
    loopback lb;
    int rc = loopback_start(&lb, script, KEY_ENV, 30);
    if (rc != 0) return rc;
    if (port_out) *port_out = lb.port;
    llm_client *c = client_for(lb.port, key_env, retries, timeout_s, 0);
    llm_call call = {.model = 0, .system = "sys", .user = "## Role: executor\nhello"};
    llm_chat(c, &call, r);
    remember(r);
    llm_client_free(c);
    loopback_stop(&lb);
    return 0;
}

static void expect_error_t(const char *name, const char *script, const char *want, int attempts,
                           double timeout_s)
{
    llm_reply r;
    if (run_case(script, KEY_ENV, 2, timeout_s, &r, NULL) != 0) {
        CHECK_MSG(0, "%s: server did not start", name);
        return;
    }
    CHECK_MSG(r.rc == EVO_ELLM, "%s: rc %d", name, r.rc);
    CHECK_CONTAINS(r.error, want);
    CHECK_MSG(r.attempts == attempts, "%s: %d attempts, expected %d", name, r.attempts, attempts);
    CHECK(r.content == NULL);
    llm_reply_clear(&r);
}

static void expect_error(const char *name, const char *script, const char *want, int attempts)
{
    expect_error_t(name, script, want, attempts, 2.0);
}

static void expect_retry_ok(const char *name, const char *script, int attempts, double timeout_s,
                            double min_ms)
{
    llm_reply r;
    if (run_case(script, KEY_ENV, 2, timeout_s, &r, NULL) != 0) {
        CHECK_MSG(0, "%s: server did not start", name);
        return;
    }
    CHECK_MSG(r.rc == EVO_OK, "%s: %s", name, r.error);
    CHECK_MSG(r.attempts == attempts, "%s: %d attempts, expected %d", name, r.attempts, attempts);
    CHECK_MSG(r.content && strcmp(r.content, "fine") == 0, "%s: content '%s'", name,
              r.content ? r.content : "(null)");
    CHECK_MSG(r.latency_ms >= min_ms, "%s: latency %.0f ms < %.0f", name, r.latency_ms, min_ms);
    llm_reply_clear(&r);
}

static void test_good(void)
{
    llm_reply r;
    CHECK(run_case("{\"steps\": [{\"reply\": \"hello there\", \"usage\": [1000, 500]}]}", KEY_ENV,
                   2, 2.0, &r, NULL) == 0);
    CHECK_MSG(r.rc == EVO_OK, "%s", r.error);
    CHECK(r.content && strcmp(r.content, "hello there") == 0);
    CHECK(r.tokens_in == 1000 && r.tokens_out == 500);
    CHECK(!r.usage_estimated);
    /* 1000 * 2 / 1e6 + 500 * 8 / 1e6 */
    CHECK_MSG(r.cost_usd > 0.005999 && r.cost_usd < 0.006001, "cost %g", r.cost_usd);
    CHECK(r.attempts == 1 && r.http_status == 200);
    llm_reply_clear(&r);

    CHECK(run_case("{\"steps\": [{\"reply\": \"no usage here\", \"no_usage\": true}]}", KEY_ENV, 2,
                   2.0, &r, NULL) == 0);
    CHECK(r.rc == EVO_OK && r.usage_estimated && r.tokens_in > 0 && r.tokens_out == 4);
    llm_reply_clear(&r);
}

static void test_retries(void)
{
    expect_retry_ok("429",
                    "{\"steps\": [{\"status\": 429, \"headers\": {\"Retry-After\": \"1\"}},"
                    " {\"reply\": \"fine\"}]}",
                    2, 2.0, 990);
    expect_retry_ok("500", "{\"steps\": [{\"status\": 500}, {\"reply\": \"fine\"}]}", 2, 2.0, 0);
    expect_retry_ok("503 twice",
                    "{\"steps\": [{\"status\": 503}, {\"status\": 502}, {\"reply\": \"fine\"}]}", 3,
                    2.0, 0);
    expect_retry_ok("stall", "{\"steps\": [{\"stall\": 3}, {\"reply\": \"fine\"}]}", 2, 0.5, 490);
    expect_retry_ok("drop", "{\"steps\": [{\"drop\": true}, {\"reply\": \"fine\"}]}", 2, 2.0, 0);
    expect_error("500 x3", "{\"steps\": [{\"status\": 500}, {\"status\": 500}, {\"status\": 500}]}",
                 "model 'loop': HTTP 500: scripted error (after 3 attempts)", 3);
    expect_error_t("stall x3", "{\"steps\": [{\"stall\": 2}, {\"stall\": 2}, {\"stall\": 2}]}",
                   "model 'loop': request timed out after 0.3 s (timeout_s) (after 3 attempts)", 3,
                   0.3);
}

static void test_bad_replies(void)
{
    expect_error(
        "invalid json", "{\"steps\": [{\"raw\": \"this is not json\"}]}",
        "model 'loop': reply is not JSON (line 1 column 4: '[' or '{' expected near 'this'", 1);
    expect_error("invalid json excerpt", "{\"steps\": [{\"raw\": \"this is not json\"}]}",
                 "it begins 'this is not json')", 1);
    expect_error("empty choices", "{\"steps\": [{\"empty_choices\": true}]}",
                 "model 'loop': reply has an empty 'choices' array (the model returned nothing)",
                 1);
    expect_error("no choices", "{\"steps\": [{\"raw\": \"{\\\"id\\\": 1}\"}]}",
                 "model 'loop': reply JSON has no 'choices' array", 1);
    expect_error(
        "no content", "{\"steps\": [{\"no_content\": true}]}",
        "model 'loop': reply has no text in choices[0].message.content (finish_reason 'length')",
        1);
    expect_error("huge", "{\"steps\": [{\"huge\": 100000}]}",
                 "model 'loop': reply larger than llm.max_reply_bytes (4096 bytes); refused", 1);
    expect_error("api error",
                 "{\"steps\": [{\"raw\": \"{\\\"error\\\": {\\\"message\\\": \\\"context too "
                 "long\\\"}}\"}]}",
                 "model 'loop': the API returned an error: context too long", 1);
    expect_error("400",
                 "{\"steps\": [{\"status\": 400, \"body\": \"{\\\"error\\\": {\\\"message\\\": "
                 "\\\"bad max_tokens\\\"}}\"}]}",
                 "HTTP 400 from http://127.0.0.1:", 1);
    expect_error("404", "{\"steps\": [{\"status\": 404}]}",
                 "/v1/chat/completions: check base_url (most servers expect it to end in /v1) and "
                 "model 'scripted-1'",
                 1);
    expect_error("403", "{\"steps\": [{\"status\": 403}]}",
                 "the key in environment variable EVO_TEST_LLM_KEY may not use model 'scripted-1'",
                 1);
    expect_error("exhausted", "{\"steps\": []}",
                 "HTTP 503: loopback script exhausted (after 3 attempts)", 3);
}

static void test_keys(void)
{
    llm_reply r;
    int port = 0;
    setenv("EVO_TEST_WRONG_KEY", "wrong-key-0123456789", 1);
    CHECK(run_case("{\"steps\": [{\"reply\": \"x\"}]}", "EVO_TEST_WRONG_KEY", 2, 2.0, &r, &port) ==
          0);
    char want[512];
    snprintf(want, sizeof want,
             "model 'loop': HTTP 401 Unauthorized from http://127.0.0.1:%d/v1/chat/completions: "
             "the server rejected the key in environment variable EVO_TEST_WRONG_KEY (server said: "
             "Incorrect API key provided)",
             port);
    CHECK_CONTAINS(r.error, want);
    CHECK(r.attempts == 1);
    llm_reply_clear(&r);

    unsetenv("EVO_TEST_UNSET_KEY");
    CHECK(run_case("{\"steps\": [{\"reply\": \"x\"}]}", "EVO_TEST_UNSET_KEY", 2, 2.0, &r, NULL) ==
          0);
    CHECK_CONTAINS(r.error, "environment variable EVO_TEST_UNSET_KEY is not set or empty");
    llm_reply_clear(&r);

    CHECK(run_case("{\"steps\": [{\"reply\": \"x\"}]}", "", 2, 2.0, &r, NULL) == 0);
    CHECK_CONTAINS(r.error, "no API key is configured (set api_key_env");
    llm_reply_clear(&r);

    /* A server that echoes the request's Authorization header: the key must be scrubbed. */
    CHECK(run_case("{\"steps\": [{\"echo_auth\": true}]}", KEY_ENV, 2, 2.0, &r, NULL) == 0);
    CHECK_CONTAINS(r.error, "you sent Bearer ******");
    CHECK(strstr(r.error, key) == NULL);
    llm_reply_clear(&r);
    /* Echoed in a reply's content too. */
    char script[512];
    snprintf(script, sizeof script, "{\"steps\": [{\"reply\": \"your key is %s\"}]}", key);
    CHECK(run_case(script, KEY_ENV, 2, 2.0, &r, NULL) == 0);
    CHECK(r.rc == EVO_OK && r.content && strstr(r.content, key) == NULL);
    CHECK_CONTAINS(r.content, "your key is ****");
    llm_reply_clear(&r);
}

static void test_breaker_and_many(void)
{
    loopback lb;
    if (loopback_start(&lb,
                       "{\"steps\": [{\"status\": 404}, {\"status\": 404}, {\"reply\": \"a\"},"
                       " {\"reply\": \"b\"}, {\"reply\": \"c\"}, {\"reply\": \"d\"}]}",
                       KEY_ENV, 30) != 0) {
        CHECK_MSG(0, "server did not start");
        return;
    }
    llm_client *c = client_for(lb.port, KEY_ENV, 0, 2.0, 2);
    llm_call call = {.model = 0, .user = "hi"};
    llm_reply r;
    llm_chat(c, &call, &r);
    CHECK(r.rc == EVO_ELLM && llm_client_available(c, 0));
    llm_reply_clear(&r);
    llm_chat(c, &call, &r);
    CHECK(r.rc == EVO_ELLM);
    llm_reply_clear(&r);
    CHECK(!llm_client_available(c, 0));
    llm_chat(c, &call, &r);
    CHECK_CONTAINS(r.error, "model 'loop': circuit breaker open after 2 consecutive failed calls; "
                            "skipped for another 60 s");
    CHECK(r.attempts == 0);
    llm_reply_clear(&r);
    llm_client_free(c);

    /* Several requests in flight from one call. */
    c = client_for(lb.port, KEY_ENV, 0, 2.0, 0);
    llm_call calls[3] = {
        {.model = 0, .user = "1"}, {.model = 0, .user = "2"}, {.model = 0, .user = "3"}};
    llm_reply rs[3];
    CHECK(llm_chat_many(c, 3, calls, rs) == EVO_OK);
    int letters = 0;
    for (int i = 0; i < 3; i++) {
        CHECK_MSG(rs[i].rc == EVO_OK, "%s", rs[i].error);
        if (rs[i].content && strlen(rs[i].content) == 1) letters |= 1 << (rs[i].content[0] - 'a');
        remember(&rs[i]);
        llm_reply_clear(&rs[i]);
    }
    CHECK_MSG(letters == 7, "replies a, b, c each once (mask %d)", letters);
    llm_client_free(c);
    loopback_stop(&lb);
}

static void test_scrub(void)
{
    char s[] = "a secret-key-123 b secret-key-123";
    llm_scrub(s, "secret-key-123");
    CHECK(strcmp(s, "a ************** b **************") == 0);
    char t[] = "short ab";
    llm_scrub(t, "ab");
    CHECK(strcmp(t, "short ab") == 0);
}

int main(void)
{
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    snprintf(key, sizeof key, "sk-test-%08x%08x", (unsigned)rand(), (unsigned)rand());
    setenv(KEY_ENV, key, 1);
    loopback probe;
    int rc = loopback_start(&probe, "{}", NULL, 5);
    if (rc == 77) CHECK_SKIP("python3 is not available for the loopback server");
    if (rc != 0) {
        fprintf(stderr, "cannot start tests/llm_server.py (run from the repository root)\n");
        return 1;
    }
    loopback_stop(&probe);
    test_scrub();
    test_good();
    test_retries();
    test_bad_replies();
    test_keys();
    test_breaker_and_many();
    CHECK_MSG(strstr(seen_text, key) == NULL, "the key appeared in a reply or error");
    return CHECK_DONE();
}
