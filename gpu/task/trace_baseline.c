/* trace_baseline.c -- a baseline from a FlashInfer-Bench trace file (trace_baseline.h has the
 * rules). Each line is measured (json_limits.h), parsed, and checked as a Trace by the one
 * schema check export_check_trace (export.c); this file then matches it to the task. */
#include "trace_baseline.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "export.h"
#include "file_text.h"
#include "json_limits.h"
#include "safe_path.h"
#include "task_trace.h"

typedef struct {
    int wi;
    double us;
} sample;

void task_trace_baseline_free(task_trace_baseline *b)
{
    if (!b) return;
    free(b->us);
    free(b->nrecords);
    free(b);
}

/* The task workload whose var axes all equal the record's, when exactly one has them: its
 * index, -1 when none does, -2 when several do. */
static int match_axes(const evo_task *t, json_t *axes)
{
    int found = -1;
    for (int i = 0; i < t->nworkloads; i++) {
        const task_workload *w = &t->workloads[i];
        int same = w->naxes > 0;
        for (int a = 0; same && a < w->naxes; a++) {
            json_t *v = json_object_get(axes, w->axis_names[a]);
            same = json_is_integer(v) && json_integer_value(v) == w->axis_values[a];
        }
        if (!same) continue;
        if (found >= 0) return -2;
        found = i;
    }
    return found;
}

static int match_uuid(const evo_task *t, const char *uuid)
{
    for (int i = 0; uuid && i < t->nworkloads; i++)
        if (!strcmp(t->workloads[i].uuid, uuid)) return i;
    return -1;
}

static int by_workload(const void *a, const void *b)
{
    const sample *x = a, *y = b;
    if (x->wi != y->wi) return x->wi < y->wi ? -1 : 1;
    return x->us < y->us ? -1 : x->us > y->us;
}

static int only_space(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return 0;
    return 1;
}

/* One line: 0 (used or skipped, counted), or -1 with err. */
static int take_line(task_trace_baseline *b, const evo_task *t, const char *loc, const char *line,
                     sample **s, int *ns, int *cap, char *err, size_t errlen)
{
    size_t len = strcspn(line, "\r\n");
    if (json_limits_check(line, len, &json_limits_line, loc, 1, err, errlen)) return -1;
    json_error_t je;
    json_t *tr = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!tr)
        return errbuf_fail(err, errlen, "%s:%d: invalid JSON: %s", loc,
                           je.column > 0 ? je.column : je.position, je.text);
    int rc = -1;
    char why[1024] = "", shown[300];
    if (export_check_trace(tr, why, sizeof why)) {
        errbuf_fail(err, errlen, "%s: not a FlashInfer-Bench Trace: %s", loc, why);
        goto out;
    }
    const char *def = json_string_value(json_object_get(tr, "definition"));
    if (strcmp(def, t->def.name)) {
        errbuf_fail(err, errlen,
                    "%s: a trace of definition '%s', and the task's is '%s': this file is for "
                    "another kernel",
                    loc, safe_text(def, shown, sizeof shown), t->def.name);
        goto out;
    }
    json_t *ev = json_object_get(tr, "evaluation");
    rc = 0;
    if (!json_is_object(ev)) {
        b->workload_only++;
        goto out;
    }
    if (strcmp(json_string_value(json_object_get(ev, "status")), "PASSED")) {
        b->skipped_status++;
        goto out;
    }
    const char *sol = json_string_value(json_object_get(tr, "solution"));
    if (!b->solution[0]) {
        if (task_copy_name(b->solution, sol)) {
            rc = errbuf_fail(err, errlen, "%s: key 'solution': a name of at most %d bytes", loc,
                             TASK_NAME - 1);
            goto out;
        }
    } else if (strcmp(sol, b->solution)) {
        if (b->label[0]) { /* the solution was named: others are skipped */
            b->skipped_solution++;
            goto out;
        }
        rc = errbuf_fail(err, errlen,
                         "%s: records of solutions '%s' and '%s' in one file: name the one to "
                         "compare with (baseline.solution)",
                         loc, b->solution, safe_text(sol, shown, sizeof shown));
        goto out;
    }
    json_t *wl = json_object_get(tr, "workload");
    int wi = match_uuid(t, json_string_value(json_object_get(wl, "uuid")));
    if (wi >= 0) {
        b->by_uuid++;
    } else {
        wi = match_axes(t, json_object_get(wl, "axes"));
        if (wi == -2) {
            b->ambiguous++;
            goto out;
        }
        if (wi < 0) {
            b->unmatched++;
            goto out;
        }
        b->by_axes++;
    }
    json_t *env = json_object_get(ev, "environment");
    const char *hw = json_string_value(json_object_get(env, "hardware"));
    if (!b->hardware[0]) {
        snprintf(b->hardware, sizeof b->hardware, "%s", hw);
    } else if (strcmp(hw, b->hardware)) {
        rc = errbuf_fail(err, errlen,
                         "%s: measured on '%s', and earlier records on '%s': a baseline comes "
                         "from one device",
                         loc, safe_text(hw, shown, sizeof shown), b->hardware);
        goto out;
    }
    double ms =
        json_number_value(json_object_get(json_object_get(ev, "performance"), "latency_ms"));
    if (!(ms > 0)) {
        rc =
            errbuf_fail(err, errlen, "%s: a PASSED record with latency_ms %g (no timing)", loc, ms);
        goto out;
    }
    const char *ts = json_string_value(json_object_get(ev, "timestamp"));
    if (strcmp(ts, b->timestamp) > 0) snprintf(b->timestamp, sizeof b->timestamp, "%s", ts);
    if (*ns == *cap) {
        int nc = *cap ? *cap * 2 : 64;
        sample *n = realloc(*s, (size_t)nc * sizeof *n);
        if (!n) {
            rc = errbuf_fail(err, errlen, "out of memory");
            goto out;
        }
        *s = n;
        *cap = nc;
    }
    (*s)[(*ns)++] = (sample){wi, ms * 1000.0};
out:
    json_decref(tr);
    return rc;
}

int task_trace_baseline_load(const char *path, const evo_task *t, const char *solution,
                             task_trace_baseline **out, char *err, size_t errlen)
{
    *out = NULL;
    task_trace_baseline *b = calloc(1, sizeof *b);
    if (!b || !(b->us = calloc((size_t)t->nworkloads + 1, sizeof *b->us)) ||
        !(b->nrecords = calloc((size_t)t->nworkloads + 1, sizeof *b->nrecords))) {
        task_trace_baseline_free(b);
        return errbuf_fail(err, errlen, "out of memory");
    }
    b->nworkloads = t->nworkloads;
    snprintf(b->path, sizeof b->path, "%s", path);
    if (solution && *solution) {
        snprintf(b->solution, sizeof b->solution, "%s", solution);
        snprintf(b->label, sizeof b->label, "trace:%s", solution); /* marks "named" */
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        task_trace_baseline_free(b);
        return errbuf_fail(err, errlen, "%s: cannot open the trace: %s", path, strerror(errno));
    }
    sample *s = NULL;
    int ns = 0, cap = 0, rc = 0, lineno = 0;
    char *line = NULL, loc[1100];
    size_t lcap = 0, total = 0;
    long len;
    while ((len = file_read_line(f, &line, &lcap, json_limits_line.max_bytes)) >= 0) {
        lineno++;
        if ((total += (size_t)len) > JSON_LIMITS_JSONL_BYTES) {
            rc = errbuf_fail(err, errlen, "%s:%d: the file passes %u bytes (the limit for a trace)",
                             path, lineno, JSON_LIMITS_JSONL_BYTES);
            break;
        }
        if (only_space(line)) continue;
        b->lines++;
        if (b->lines > JSON_LIMITS_JSONL_RECORDS) {
            rc = errbuf_fail(err, errlen, "%s:%d: more than %d records (the limit for a trace)",
                             path, lineno, JSON_LIMITS_JSONL_RECORDS);
            break;
        }
        snprintf(loc, sizeof loc, "%s:%d", path, lineno);
        if ((rc = take_line(b, t, loc, line, &s, &ns, &cap, err, errlen))) break;
    }
    if (!rc && len == -2)
        rc = errbuf_fail(err, errlen, "%s:%d: longer than %zu bytes (the limit for %s)", path,
                         lineno + 1, json_limits_line.max_bytes, json_limits_line.what);
    else if (!rc && len == -1 && errno)
        rc = errbuf_fail(err, errlen, "%s:%d: cannot read: %s", path, lineno + 1, strerror(errno));
    free(line);
    fclose(f);
    if (!rc && ns == 0)
        rc = errbuf_fail(err, errlen,
                         "%s: no PASSED record of %s matches a workload of task %s (%d "
                         "lines: %d not PASSED, %d of other solutions, %d workload-only, %d "
                         "unmatched, %d ambiguous by axes)",
                         path, solution && *solution ? solution : "any solution", t->def.name,
                         b->lines, b->skipped_status, b->skipped_solution, b->workload_only,
                         b->unmatched, b->ambiguous);
    if (rc) {
        free(s);
        task_trace_baseline_free(b);
        return -1;
    }
    snprintf(b->label, sizeof b->label, "trace:%s", b->solution);
    /* The median of each workload's records. */
    qsort(s, (size_t)ns, sizeof *s, by_workload);
    for (int i = 0; i < ns;) {
        int j = i;
        while (j < ns && s[j].wi == s[i].wi)
            j++;
        int n = j - i;
        b->us[s[i].wi] = n % 2 ? s[i + n / 2].us : (s[i + n / 2 - 1].us + s[i + n / 2].us) / 2;
        b->nrecords[s[i].wi] = n;
        b->matched++;
        i = j;
    }
    free(s);
    *out = b;
    return 0;
}

/* Lower case, with spaces, '_' and '-' dropped: "NVIDIA_H100" and "NVIDIA H100" are one. */
static void device_key(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (; *s && k + 1 < n; s++)
        if (*s != ' ' && *s != '_' && *s != '-') out[k++] = (char)tolower((unsigned char)*s);
    out[k] = 0;
}

int task_trace_device_check(const task_trace_baseline *b, const char *device, int allow, char *err,
                            size_t errlen)
{
    char a[256], d[256], shown[300];
    device_key(b->hardware, a, sizeof a);
    device_key(device ? device : "", d, sizeof d);
    if (!strcmp(a, d) || allow) return 0;
    return errbuf_fail(err, errlen,
                       "%s: the trace was measured on '%s', and this GPU is '%s': latencies from "
                       "another device are no baseline here (set \"allow_other_device\": true in "
                       "the baseline to compare anyway; the report then says so)",
                       b->path, safe_text(b->hardware, shown, sizeof shown), device ? device : "?");
}
