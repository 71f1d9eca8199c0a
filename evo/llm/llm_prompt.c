/* llm_prompt.c -- load, check and render prompt templates (see llm_prompt.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_text.h"
#include "llm_prompt.h"

#define PROMPT_MAX_BYTES (256 * 1024)

static const char *const files[PROMPT_COUNT] = {"system.txt", "planner.txt", "executor.txt",
                                                "repair.txt", "summarizer.txt"};

/* Every slot the operator can fill; a template may use any of them. */
static const char *const known[] = {
    "task",           "launch_format",  "params_format", "mode",   "parent_source", "parent_params",
    "parent_metrics", "parent_fitness", "inspirations",  "memory", "handoff",       "plan",
    "error",          "failed_source",  "child_metrics", "label",  "model",         NULL};

const char *llm_prompt_slot_names(void)
{
    return "task, launch_format, params_format, mode, parent_source, parent_params, "
           "parent_metrics, parent_fitness, inspirations, memory, handoff, plan, error, "
           "failed_source, child_metrics, label, model";
}

static int is_known(const char *name, size_t len)
{
    for (int i = 0; known[i]; i++)
        if (strlen(known[i]) == len && strncmp(known[i], name, len) == 0) return 1;
    return 0;
}

/* Find the slot starting at p ("{{"): name range and the end after "}}". 0, or -1. */
static int scan_slot(const char *p, const char **name, size_t *len, const char **end)
{
    const char *q = p + 2;
    while (*q == ' ')
        q++;
    const char *n = q;
    while (isalnum((unsigned char)*q) || *q == '_')
        q++;
    size_t k = (size_t)(q - n);
    while (*q == ' ')
        q++;
    if (q[0] != '}' || q[1] != '}' || k == 0) return -1;
    *name = n;
    *len = k;
    *end = q + 2;
    return 0;
}

int llm_prompt_check(const char *text, const char *name, char *err, size_t errlen)
{
    int line = 1;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') line++;
        if (p[0] != '{' || p[1] != '{') continue;
        const char *n, *end;
        size_t k;
        if (scan_slot(p, &n, &k, &end) != 0) {
            snprintf(err, errlen, "%s line %d: '{{' does not start a slot like {{task}}", name,
                     line);
            return -1;
        }
        if (!is_known(n, k)) {
            snprintf(err, errlen, "%s line %d: unknown slot {{%.*s}} (known slots: %s)", name, line,
                     (int)(k > 64 ? 64 : k), n, llm_prompt_slot_names());
            return -1;
        }
        p = end - 1;
    }
    return 0;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
    size_t n = 0;
    char *buf = file_read_text(path, PROMPT_MAX_BYTES, &n);
    if (!buf) {
        if (errno == EFBIG)
            snprintf(err, errlen, "prompt template %s is larger than %d bytes", path,
                     PROMPT_MAX_BYTES);
        else if (errno == ENOMEM)
            snprintf(err, errlen, "out of memory reading %s", path);
        else
            snprintf(err, errlen, "cannot read prompt template %s: %s", path, strerror(errno));
        return NULL;
    }
    if (strlen(buf) != n) {
        snprintf(err, errlen, "prompt template %s contains a NUL byte", path);
        free(buf);
        return NULL;
    }
    return buf;
}

int llm_prompts_load(const char *dir, llm_prompts *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (int k = 0; k < PROMPT_COUNT; k++) {
        snprintf(out->path[k], sizeof out->path[k], "%s/%s", dir, files[k]);
        out->text[k] = read_file(out->path[k], err, errlen);
        if (!out->text[k] || llm_prompt_check(out->text[k], out->path[k], err, errlen) != 0) {
            llm_prompts_free(out);
            return -1;
        }
    }
    return 0;
}

void llm_prompts_free(llm_prompts *p)
{
    if (!p) return;
    for (int k = 0; k < PROMPT_COUNT; k++)
        free(p->text[k]);
    memset(p, 0, sizeof *p);
}

static const char *value_of(const prompt_slot *slots, int n, const char *name, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(slots[i].name) == len && strncmp(slots[i].name, name, len) == 0)
            return slots[i].value ? slots[i].value : "";
    return "";
}

char *llm_prompt_render_text(const char *text, const prompt_slot *slots, int n)
{
    /* Two passes: measure, then write. */
    char *out = NULL;
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t k = 0;
        for (const char *p = text; *p;) {
            const char *name, *end;
            size_t len;
            if (p[0] == '{' && p[1] == '{' && scan_slot(p, &name, &len, &end) == 0) {
                const char *v = value_of(slots, n, name, len);
                size_t vl = strlen(v);
                if (pass) memcpy(out + k, v, vl);
                k += vl;
                p = end;
                continue;
            }
            if (pass) out[k] = *p;
            k++;
            p++;
        }
        if (pass) {
            out[k] = 0;
        } else {
            total = k;
            out = malloc(total + 1);
            if (!out) return NULL;
        }
    }
    return out;
}

char *llm_prompt_render(const llm_prompts *p, prompt_kind k, const prompt_slot *slots, int n)
{
    return llm_prompt_render_text(p->text[k] ? p->text[k] : "", slots, n);
}
