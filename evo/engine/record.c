/* record.c -- the candidate record (store_format.h has its shape): the one place that
 * writes it (the commit) and reads it back (the planner for parents and inspirations, the
 * run view and export for users), checking every field it reads, so a damaged or hand-edited
 * store gives an error naming the candidate and the field instead of a wrong genome. The
 * store checks each record's checksum before these checks see it (store_seal.h);
 * record_decode works on a byte buffer alone (the fuzz target calls it). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_state.h"
#include "errbuf.h"
#include "record.h"

static json_t *parents_json(const evo_mutation *m)
{
    json_t *a = json_array();
    /* Before anything has passed, children grow from a seed's defaults: no committed parent. */
    for (int i = 0; i < m->nparents; i++)
        if (m->parent_ids[i] > 0) json_array_append_new(a, json_integer(m->parent_ids[i]));
    return a;
}
static json_t *params_json(const evo_genome *g)
{
    json_t *o = json_object();
    for (int i = 0; g && i < g->nparams; i++)
        json_object_set_new(o, g->names[i], json_string(g->values[i]));
    return o;
}
json_t *record_build(const evo_engine *e, evo_txn *t, const struct evo_msg *msg, int64_t id,
                     evo_status st, double fitness, const char *label, const char *insight)
{
    const evo_mutation *m = &msg->job->m;
    const evo_genome *g = msg->child;
    const evo_genome *p = m->nparents ? m->parents[0] : NULL;
    json_t *res = msg->result ? result_to_json(msg->result) : NULL;
    int64_t repair_of = msg->repair_of ? store_hash_get(t, msg->repair_of) : 0;
    json_t *rec = json_object();
    json_object_set_new(rec, "id", json_integer(id));
    json_object_set_new(rec, "hash", json_string(g ? g->hash : ""));
    json_object_set_new(rec, "template", json_string(g ? g->tmpl : p ? p->tmpl : ""));
    json_object_set_new(rec, "source_sha", json_string(g ? g->source_sha : p ? p->source_sha : ""));
    json_object_set_new(rec, "params", params_json(g));
    json_object_set_new(rec, "parents", parents_json(m));
    json_object_set_new(rec, "repair_of", repair_of > 0 ? json_integer(repair_of) : json_null());
    json_object_set_new(rec, "island", json_integer(m->island));
    json_object_set_new(rec, "operator", json_string(engine_operator_name(e, m->op)));
    json_object_set_new(rec, "status", json_string(evo_status_name(st)));
    json_object_set_new(rec, "fitness", json_real(fitness));
    json_object_set_new(rec, "label", json_string(label));
    const char *err = msg->result ? msg->result->error : msg->error;
    json_object_set_new(rec, "error", err ? json_string(err) : json_null());
    json_object_set_new(rec, "metrics",
                        res ? json_incref(json_object_get(res, "metrics")) : json_object());
    json_object_set_new(rec, "workloads",
                        res ? json_incref(json_object_get(res, "workloads")) : json_object());
    json_object_set_new(rec, "artifacts",
                        res ? json_incref(json_object_get(res, "artifacts")) : json_object());
    json_object_set_new(rec, "notes", msg->notes ? json_incref(msg->notes) : json_object());
    json_object_set_new(rec, "usage", msg->usage ? json_incref(msg->usage) : json_object());
    json_object_set_new(rec, "t", json_real(engine_elapsed(e)));
    json_object_set_new(rec, "eval_ms", json_real(msg->eval_ms));
    json_object_set_new(rec, "session", json_integer(e->c.sessions));
    json_object_set_new(rec, "insight", json_string(insight ? insight : ""));
    json_decref(res);
    return rec;
}
json_t *record_log_line(const json_t *rec, double best, int64_t best_id)
{
    json_t *l = json_object();
    const char *keys[] = {"index",    "t",        "island", "id",     "parents",
                          "operator", "template", "status", "fitness"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        json_object_set(l, keys[i], json_object_get(rec, i == 0 ? "id" : keys[i]));
    json_object_set_new(l, "best", json_real(best_id > 0 ? best : 0.0));
    json_object_set_new(l, "best_id", json_integer(best_id));
    json_object_set(l, "label", json_object_get(rec, "label"));
    json_object_set(l, "workloads", json_object_get(rec, "workloads"));
    return l;
}

/* Parameter values are stored as strings; numbers written by hand or by older tools are
 * read as their decimal text. */
static const char *param_text(const json_t *v, char *buf, size_t n)
{
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v))
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, n, "%.17g", json_real_value(v));
    else
        return NULL;
    return buf;
}

int record_genome(const json_t *rec, int64_t id, const char *source, evo_genome **out, char *err,
                  size_t n)
{
    *out = NULL;
    json_t *params = json_object_get(rec, "params"), *tmpl = json_object_get(rec, "template");
    if (params && !json_is_object(params))
        return errbuf_set(err, n, EVO_ESTORE, "candidate %lld: params is not an object",
                          (long long)id);
    if (tmpl && !json_is_string(tmpl))
        return errbuf_set(err, n, EVO_ESTORE, "candidate %lld: template is not a string",
                          (long long)id);
    size_t np = json_object_size(params), i = 0;
    const char **names = calloc(np + 1, sizeof *names), **values = calloc(np + 1, sizeof *values);
    char(*bufs)[32] = calloc(np + 1, sizeof *bufs);
    int rc = names && values && bufs ? EVO_OK : errbuf_set(err, n, EVO_ENOMEM, "out of memory");
    const char *k;
    json_t *v;
    json_object_foreach(params, k, v)
    {
        if (rc != EVO_OK) break;
        names[i] = k;
        values[i] = param_text(v, bufs[i], sizeof bufs[i]);
        if (!values[i])
            rc = errbuf_set(err, n, EVO_ESTORE,
                            "candidate %lld: parameter %s is not a string or number", (long long)id,
                            k);
        i++;
    }
    if (rc == EVO_OK) {
        *out =
            genome_from_pairs(tmpl ? json_string_value(tmpl) : "", source, (int)np, names, values);
        if (!*out) rc = errbuf_set(err, n, EVO_ENOMEM, "out of memory");
    }
    free(names);
    free(values);
    free(bufs);
    return rc;
}

int record_decode(const void *buf, size_t len, int64_t id, json_t **out, char *err, size_t n)
{
    *out = NULL;
    json_error_t je;
    json_t *rec = buf ? json_loadb(buf, len, 0, &je) : NULL;
    if (!rec)
        return errbuf_set(err, n, EVO_ESTORE, "candidate #%lld: not JSON (byte %d: %s)",
                          (long long)id, buf ? je.position : 0, buf ? je.text : "no bytes");
    const char *bad = NULL;
    json_t *v = json_object_get(rec, "id");
    json_t *st = json_object_get(rec, "status"), *fit = json_object_get(rec, "fitness");
    json_t *parents = json_object_get(rec, "parents");
    if (!json_is_object(rec))
        bad = "the record is not an object";
    else if (v && (!json_is_integer(v) || json_integer_value(v) != id))
        bad = "its id field names another candidate";
    else if (st && (!json_is_string(st) || evo_status_from_name(json_string_value(st)) < 0))
        bad = "status is not a candidate status";
    else if (fit && !json_is_number(fit))
        bad = "fitness is not a number";
    else if (parents && !json_is_array(parents))
        bad = "parents is not an array";
    size_t i;
    json_array_foreach(parents, i, v)
    {
        if (!bad && (!json_is_integer(v) || json_integer_value(v) < 1))
            bad = "a parent is not a candidate id";
    }
    if (bad) {
        json_decref(rec);
        return errbuf_set(err, n, EVO_ESTORE, "candidate #%lld: %s", (long long)id, bad);
    }
    *out = rec;
    return EVO_OK;
}

int record_read(evo_txn *t, int64_t id, json_t **out, char *err, size_t n)
{
    *out = NULL;
    const void *buf = NULL;
    size_t len = 0;
    int rc = id >= 1 ? store_cand_get_bytes(t, id, &buf, &len) : EVO_ENOTFOUND;
    if (rc == EVO_OK) return record_decode(buf, len, id, out, err, n);
    if (rc == EVO_ESTORE) return errbuf_set(err, n, rc, "%s", store_errmsg(store_txn_store(t)));
    int64_t last = store_cand_last(t);
    /* An id up to the last one was committed: its absence is damage, not a wrong id. */
    if (rc == EVO_ENOTFOUND && id >= 1 && id <= last)
        return errbuf_set(err, n, EVO_ESTORE,
                          "%s: candidate #%lld: missing (the run has %lld candidates; ids run "
                          "from 1 without gaps)",
                          store_path(store_txn_store(t)), (long long)id, (long long)last);
    if (rc == EVO_ENOTFOUND)
        return errbuf_set(err, n, rc, "candidate %lld: not found (the run has %lld candidates)",
                          (long long)id, (long long)last);
    return errbuf_set(err, n, rc, "%s", store_errmsg(store_txn_store(t)));
}

int record_load(evo_txn *t, int64_t id, json_t **rec_out, evo_genome **genome, char *err, size_t n)
{
    *genome = NULL;
    if (rec_out) *rec_out = NULL;
    json_t *rec = NULL;
    int rc = record_read(t, id, &rec, err, n);
    if (rc != EVO_OK) return rc;
    json_t *sha = json_object_get(rec, "source_sha");
    char *source = NULL;
    if (sha && !json_is_string(sha)) {
        rc = errbuf_set(err, n, EVO_ESTORE, "candidate %lld: source_sha is not a string",
                        (long long)id);
    } else {
        /* A candidate without a source (an operator that failed before making one) stores "". */
        const char *s = sha ? json_string_value(sha) : "";
        source = *s ? store_source_get(t, s) : strdup("");
        if (!source && *s && store_txn_damage(t))
            rc = errbuf_set(err, n, EVO_ESTORE, "candidate #%lld: %s", (long long)id,
                            store_txn_damage(t));
        else if (!source)
            rc = *s ? errbuf_set(err, n, EVO_ESTORE,
                                 "%s: candidate %lld: source %.64s is missing from the store",
                                 store_path(store_txn_store(t)), (long long)id, s)
                    : errbuf_set(err, n, EVO_ENOMEM, "out of memory");
    }
    if (rc == EVO_OK) rc = record_genome(rec, id, source, genome, err, n);
    free(source);
    if (rc == EVO_OK && rec_out) {
        *rec_out = rec;
        return EVO_OK;
    }
    json_decref(rec);
    return rc;
}

char *record_prompt_text(json_t *rec)
{
    /* Artifacts are large and already summarised by metrics: keep prompts lean. */
    json_object_del(rec, "artifacts");
    return json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
}
