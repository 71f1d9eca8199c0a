/* result.c -- evaluation results: status, fitness, error excerpt, metrics and artifacts
 * (evo_result_* in evo.h, internal form in result.h).
 *
 * Results are stored as JSON in the run store and shown to users and to the LLM operator,
 * so texts are kept bounded (error 4 KiB, each artifact 64 KiB) and valid UTF-8: compiler
 * logs can carry arbitrary bytes, and jansson refuses strings that are not UTF-8. */
#include "result.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_MAX 4096
#define ARTIFACT_MAX 65536
#define TRIM_MARK "... [trimmed]"

/* Length of the valid UTF-8 sequence starting at s (1..4), or 0 if invalid there. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
    size_t n;
    if (s[0] < 0x80) return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    if (n > left) return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    /* overlong 3/4-byte forms, UTF-16 surrogates and code points past U+10FFFF */
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    return n;
}

/* A copy of text, invalid bytes replaced by '?', cut at a character boundary so that the
 * result with the trim marker fits in max bytes. */
static char *result_clean_text(const char *text, size_t max)
{
    size_t n = strlen(text);
    size_t budget = n > max ? max - strlen(TRIM_MARK) : n;
    char *out = malloc((n > max ? max : n) + 1);
    if (!out) return NULL;
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, len = 0;
    while (i < n) {
        size_t k = utf8_seq(s + i, n - i);
        if (len + (k ? k : 1) > budget) break;
        if (k == 0) {
            out[len++] = '?';
            i++;
            continue;
        }
        memcpy(out + len, s + i, k);
        len += k;
        i += k;
    }
    if (n > max) {
        memcpy(out + len, TRIM_MARK, strlen(TRIM_MARK));
        len += strlen(TRIM_MARK);
    }
    out[len] = '\0';
    return out;
}

/* ---- lifetime ---- */

static int result_init(evo_result *r)
{
    r->status = EVO_STATUS_PENDING;
    r->fitness = 0;
    r->error = NULL;
    r->metrics = json_object();
    r->workloads = json_object();
    r->artifacts = json_object();
    return r->metrics && r->workloads && r->artifacts ? 0 : -1;
}

static void result_clear(evo_result *r)
{
    free(r->error);
    json_decref(r->metrics);
    json_decref(r->workloads);
    json_decref(r->artifacts);
}

evo_result *result_new(void)
{
    evo_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    if (result_init(r) != 0) {
        result_free(r);
        return NULL;
    }
    return r;
}

void result_free(evo_result *r)
{
    if (!r) return;
    result_clear(r);
    free(r);
}

void result_reset(evo_result *r)
{
    result_clear(r);
    result_init(r);
}

evo_result *result_copy(const evo_result *r)
{
    json_t *j = result_to_json(r);
    if (!j) return NULL;
    evo_result *c = result_from_json(j);
    json_decref(j);
    return c;
}

/* ---- setters (evo.h) ---- */

void evo_result_set_status(evo_result *r, evo_status s)
{
    r->status = s;
}
void evo_result_set_fitness(evo_result *r, double fitness)
{
    r->fitness = fitness;
}
evo_status evo_result_status(const evo_result *r)
{
    return r->status;
}
double evo_result_fitness(const evo_result *r)
{
    return r->fitness;
}

void evo_result_set_error(evo_result *r, const char *fmt, ...)
{
    free(r->error);
    r->error = NULL;
    if (!fmt) return;
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    r->error = result_clean_text(text, ERROR_MAX);
    free(text);
}

/* A number for JSON: NaN and infinities have no JSON form and become null. */
static json_t *json_number_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

int evo_result_add_metric(evo_result *r, const char *workload, const char *key, double value)
{
    if (!key || !*key) return EVO_EINVAL;
    json_t *target = r->metrics;
    if (workload) {
        target = json_object_get(r->workloads, workload);
        if (!target) {
            target = json_object();
            if (!target || json_object_set_new(r->workloads, workload, target) != 0)
                return EVO_ENOMEM;
        }
    }
    return json_object_set_new(target, key, json_number_or_null(value)) == 0 ? EVO_OK : EVO_ENOMEM;
}

int evo_result_add_text(evo_result *r, const char *workload, const char *key, const char *text)
{
    if (!key || !*key || !text) return EVO_EINVAL;
    json_t *target = r->metrics;
    if (workload) {
        target = json_object_get(r->workloads, workload);
        if (!target) {
            target = json_object();
            if (!target || json_object_set_new(r->workloads, workload, target) != 0)
                return EVO_ENOMEM;
        }
    }
    char *clean = result_clean_text(text, 256);
    if (!clean) return EVO_ENOMEM;
    int rc = json_object_set_new(target, key, json_string(clean));
    free(clean);
    return rc == 0 ? EVO_OK : EVO_ENOMEM;
}

int evo_result_add_artifact(evo_result *r, const char *name, const char *text)
{
    if (!name || !*name || !text) return EVO_EINVAL;
    char *clean = result_clean_text(text, ARTIFACT_MAX);
    if (!clean) return EVO_ENOMEM;
    int rc = json_object_set_new(r->artifacts, name, json_string(clean));
    free(clean);
    return rc == 0 ? EVO_OK : EVO_ENOMEM;
}

/* ---- JSON form ---- */

json_t *result_to_json(const evo_result *r)
{
    json_t *j = json_object();
    if (!j) return NULL;
    int bad = 0;
    bad |= json_object_set_new(j, "status", json_string(evo_status_name(r->status)));
    bad |= json_object_set_new(j, "fitness", json_number_or_null(r->fitness));
    bad |= json_object_set_new(j, "error", r->error ? json_string(r->error) : json_null());
    bad |= json_object_set_new(j, "metrics", json_deep_copy(r->metrics));
    bad |= json_object_set_new(j, "workloads", json_deep_copy(r->workloads));
    bad |= json_object_set_new(j, "artifacts", json_deep_copy(r->artifacts));
    if (bad) {
        json_decref(j);
        return NULL;
    }
    return j;
}

char *evo_result_json(const evo_result *r)
{
    json_t *j = result_to_json(r);
    if (!j) return NULL;
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    return text;
}

/* Copy of an object member if it is an object, else a new empty object. */
static json_t *object_member(const json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_object(v) ? json_deep_copy(v) : json_object();
}

evo_result *result_from_json(const json_t *j)
{
    if (!json_is_object(j)) return NULL;
    evo_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    json_t *status = json_object_get(j, "status");
    int s = json_is_string(status) ? evo_status_from_name(json_string_value(status))
                                   : EVO_STATUS_PENDING;
    r->status = s < 0 ? EVO_STATUS_PENDING : (evo_status)s;
    json_t *fit = json_object_get(j, "fitness");
    r->fitness = json_is_number(fit) ? json_number_value(fit) : 0;
    json_t *err = json_object_get(j, "error");
    r->error = json_is_string(err) ? strdup(json_string_value(err)) : NULL;
    r->metrics = object_member(j, "metrics");
    r->workloads = object_member(j, "workloads");
    r->artifacts = object_member(j, "artifacts");
    if ((json_is_string(err) && !r->error) || !r->metrics || !r->workloads || !r->artifacts ||
        s < 0) {
        result_free(r);
        return NULL;
    }
    return r;
}
