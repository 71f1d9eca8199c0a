/* run_view.c -- read-only views of a run directory: evo_run_* and evo_candidate_* of evo.h.
 *
 * `evo status`, `evo best` and research tools read a run while the engine may still be
 * writing it in another process, so the store is opened read-only without the directory
 * lock, and every view takes one LMDB read transaction (a consistent snapshot). Everything
 * is read from the shapes store_format.h documents; nothing here knows engine internals beyond
 * them. A candidate is the stored record plus its genome rebuilt from the sources db. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "evo.h"
#include "fitlog.h"
#include "genome.h"
#include "record.h"
#include "store.h"
#include "store_format.h"

#define STATUS_ARCHIVE_TOP 10

struct evo_run {
    evo_store *store;
    char *dir;
    char err[1024];
};

struct evo_candidate {
    int64_t id;
    evo_status status;
    double fitness;
    char *json;
    evo_genome *genome;
};

int run_fail(evo_run *r, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return rc;
}

int evo_run_open(evo_run **out, const char *run_dir)
{
    evo_run *r = calloc(1, sizeof *r);
    *out = r;
    if (!r) return EVO_ENOMEM;
    if (!run_dir || !*run_dir) return run_fail(r, EVO_EINVAL, "no run directory given");
    if (!(r->dir = strdup(run_dir))) return run_fail(r, EVO_ENOMEM, "out of memory");
    return store_open(&r->store, run_dir, STORE_RDONLY | STORE_EXISTING, NULL, r->err,
                      sizeof r->err);
}

void evo_run_close(evo_run *r)
{
    if (!r) return;
    store_close(r->store);
    free(r->dir);
    free(r);
}

const char *run_dir_of(const evo_run *r)
{
    return r->dir;
}

static void validation_key(int64_t id, char *key, size_t n)
{
    snprintf(key, n, "%s%lld", BLOB_VALIDATION_PREFIX, (long long)id);
}

int run_keep_validation(evo_run *r, int64_t id, const char *verdict)
{
    char err[1024], key[64];
    validation_key(id, key, sizeof key);
    evo_store *w = NULL;
    store_close(r->store);
    r->store = NULL;
    int rc = store_open(&w, r->dir, STORE_EXISTING, "full", err, sizeof err);
    if (rc == EVO_EBUSY)
        run_fail(r, rc,
                 "%s is held by a run in progress; the verdict is not kept (validate again "
                 "once it stops)",
                 r->dir);
    else if (rc != EVO_OK)
        run_fail(r, rc, "cannot keep the verdict: %s", err);
    else if ((rc = store_save_blob(w, key, verdict, strlen(verdict) + 1)) != EVO_OK)
        run_fail(r, rc, "cannot keep the verdict: %s", store_errmsg(w));
    store_close(w);
    int again = store_open(&r->store, r->dir, STORE_RDONLY | STORE_EXISTING, NULL, err, sizeof err);
    if (again != EVO_OK && rc == EVO_OK) rc = run_fail(r, again, "%s", err);
    return rc;
}

const char *evo_run_errmsg(const evo_run *r)
{
    return r ? r->err : "out of memory";
}

static int begin(evo_run *r, evo_txn **t)
{
    if (!r->store) return run_fail(r, EVO_EINVAL, "the run is not open");
    int rc = store_begin(r->store, 0, t);
    if (rc != EVO_OK) run_fail(r, rc, "%s", store_errmsg(r->store));
    return rc;
}

/* End a read: EVO_OK, or EVO_ESTORE naming the damage one of its reads found (a damaged
 * key reads as absent, and a view must not show it as absent). */
static int end_read(evo_run *r, evo_txn *t)
{
    const char *d = store_txn_damage(t);
    int rc = d ? run_fail(r, EVO_ESTORE, "%s", d) : EVO_OK;
    store_abort(t);
    return rc;
}

int64_t evo_run_count(evo_run *r)
{
    evo_txn *t;
    if (!r || begin(r, &t) != EVO_OK) return -1;
    int64_t n = store_cand_last(t);
    if (n < 0) run_fail(r, EVO_ESTORE, "%s", store_errmsg(r->store));
    store_abort(t);
    return n;
}

/* ---- status ---- */

static json_t *meta_or_null(evo_txn *t, const char *key)
{
    json_t *v = store_meta_get(t, key);
    return v ? v : json_null();
}

static json_t *island_summary(const json_t *is)
{
    static const char *const keys[] = {"best_id", "best_fitness", "explore_rate", "evaluations",
                                       "since_improvement"};
    json_t *o = json_object(), *index = json_object_get(is, "index");
    json_object_set(o, "index", index ? index : json_null());
    json_object_set_new(o, "members",
                        json_integer((json_int_t)json_array_size(json_object_get(is, "members"))));
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(is, keys[i]);
        json_object_set(o, keys[i], v ? v : json_null());
    }
    return o;
}

static json_t *islands_summary(evo_txn *t)
{
    json_t *arr = json_array(), *head = store_meta_get(t, META_ISLANDS);
    json_int_t n = json_integer_value(json_object_get(head, "count"));
    json_decref(head);
    for (json_int_t i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s%lld", META_ISLAND_PREFIX, (long long)i);
        json_t *is = store_meta_get(t, key);
        if (is) json_array_append_new(arr, island_summary(is));
        json_decref(is);
    }
    return arr;
}

static json_t *archive_summary(evo_txn *t)
{
    json_t *arr = json_array(), *archive = store_meta_get(t, META_ARCHIVE);
    json_t *members = json_object_get(archive, "members");
    for (size_t i = 0; i < json_array_size(members) && i < STATUS_ARCHIVE_TOP; i++) {
        json_t *m = json_array_get(members, i);
        json_array_append_new(arr, json_pack("{sO sO}", "id", json_object_get(m, "id"), "fitness",
                                             json_object_get(m, "fitness")));
    }
    json_decref(archive);
    return arr;
}

/* The best candidate in a few fields; null when nothing has passed yet. */
static json_t *best_summary(evo_txn *t, const json_t *counters)
{
    json_int_t id = json_integer_value(json_object_get(counters, "best_id"));
    json_t *rec = id >= 1 ? store_cand_get(t, id) : NULL;
    if (!rec) return json_null();
    json_t *o = json_object();
    static const char *const keys[] = {"id", "template", "params", "fitness", "workloads"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(rec, keys[i]);
        json_object_set(o, keys[i], v ? v : json_null());
    }
    json_decref(rec);
    api_order_workloads(o);
    return o;
}

/* The usage state plus the calls the ledger still holds (reserved before they were sent, not
 * settled by a commit: the process died first), at their bound, so a killed run's spend is
 * shown whole; "unsettled_calls" says how many. */
static json_t *with_unsettled(json_t *usage, evo_txn *t)
{
    json_t *ledger = store_meta_get(t, META_LLM_LEDGER);
    json_t *pending = json_object_get(ledger, "pending");
    if (!json_object_size(pending)) {
        json_decref(ledger);
        return usage;
    }
    if (!json_is_object(usage)) {
        json_decref(usage);
        usage = json_object();
    }
    if (!json_is_object(json_object_get(usage, "models")))
        json_object_set_new(usage, "models", json_object());
    const char *tk;
    json_t *p;
    json_object_foreach(pending, tk, p)
    {
        const char *name = json_string_value(json_object_get(p, "model"));
        json_t *m = json_object_get(json_object_get(usage, "models"), name ? name : "?");
        if (!m) {
            m = json_object();
            json_object_set_new(json_object_get(usage, "models"), name ? name : "?", m);
        }
        json_t *targets[] = {usage, m};
        for (int i = 0; i < 2; i++) {
            static const char *ints[] = {"tokens_in", "tokens_out", "calls"};
            for (int k = 0; k < 3; k++)
                json_object_set_new(
                    targets[i], ints[k],
                    json_integer(json_integer_value(json_object_get(targets[i], ints[k])) +
                                 json_integer_value(json_object_get(p, ints[k]))));
            json_object_set_new(
                targets[i], "cost_usd",
                json_real(json_number_value(json_object_get(targets[i], "cost_usd")) +
                          json_number_value(json_object_get(p, "cost_usd"))));
        }
    }
    json_object_set_new(usage, "unsettled_calls",
                        json_integer((json_int_t)json_object_size(pending)));
    json_decref(ledger);
    return usage;
}

int evo_run_status_json(evo_run *r, char **out)
{
    *out = NULL;
    evo_txn *t;
    int rc = begin(r, &t);
    if (rc != EVO_OK) return rc;
    json_t *counters = meta_or_null(t, META_COUNTERS);
    json_t *usage = with_unsettled(store_meta_get(t, META_USAGE), t);
    json_t *st = json_object();
    json_object_set_new(st, "run", meta_or_null(t, META_RUN));
    json_object_set_new(st, "config", meta_or_null(t, META_CONFIG));
    json_object_set_new(st, "facts", meta_or_null(t, META_FACTS));
    json_object_set(st, "counters", counters);
    json_object_set_new(st, "islands", islands_summary(t));
    json_object_set_new(st, "archive", archive_summary(t));
    json_object_set_new(st, "operators", meta_or_null(t, META_BANDIT));
    json_object_set_new(st, "usage", usage ? usage : json_object());
    json_object_set_new(st, "best", best_summary(t, counters));
    rc = end_read(r, t);
    json_decref(counters);
    if (rc != EVO_OK) {
        json_decref(st);
        return rc;
    }
    *out = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(st);
    return *out ? EVO_OK : run_fail(r, EVO_ENOMEM, "out of memory");
}

/* ---- workloads in the order of their axes ---- */

/* Labels are "name=value" pairs of the task's var axes in declaration order, joined by ','
 * ("batch_size=7,seq=3"): pairs compare in turn, values as numbers. A label of another shape
 * falls back to strcmp. */
int api_workload_cmp(const char *a, const char *b)
{
    const char *p = a, *q = b;
    while (*p && *q) {
        const char *ep = strchr(p, '='), *eq = strchr(q, '=');
        if (!ep || !eq || ep - p != eq - q || strncmp(p, q, (size_t)(ep - p)) != 0) break;
        char *endp, *endq;
        long long vp = strtoll(ep + 1, &endp, 10), vq = strtoll(eq + 1, &endq, 10);
        if (endp == ep + 1 || endq == eq + 1 || (*endp && *endp != ',') || (*endq && *endq != ','))
            break;
        if (vp != vq) return vp < vq ? -1 : 1;
        p = *endp ? endp + 1 : endp;
        q = *endq ? endq + 1 : endq;
        if (!*p || !*q) return (*p != 0) - (*q != 0);
    }
    return strcmp(a, b);
}

static int key_cmp(const void *x, const void *y)
{
    return api_workload_cmp(*(const char *const *)x, *(const char *const *)y);
}

void api_order_workloads(json_t *holder)
{
    json_t *w = json_object_get(holder, "workloads");
    size_t n = json_object_size(w), i = 0;
    if (!json_is_object(w) || n < 2) return;
    const char **keys = malloc(n * sizeof *keys);
    json_t *sorted = json_object();
    if (!keys || !sorted) {
        free(keys);
        json_decref(sorted);
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach(w, k, v) keys[i++] = k;
    qsort(keys, n, sizeof *keys, key_cmp);
    for (i = 0; i < n; i++)
        json_object_set(sorted, keys[i], json_object_get(w, keys[i]));
    free(keys);
    json_object_set_new(holder, "workloads", sorted); /* frees w, whose keys we held */
}

char *api_order_workloads_text(char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    if (!v) return text;
    api_order_workloads(v);
    char *ordered = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(v);
    if (!ordered) return text;
    free(text);
    return ordered;
}

/* ---- candidates ---- */

/* A candidate from its record and the genome record_load read back. */
static int make_candidate(evo_run *r, int64_t id, json_t *rec, evo_genome *genome,
                          evo_candidate **out)
{
    evo_candidate *c = calloc(1, sizeof *c);
    if (!c) {
        genome_free(genome);
        return run_fail(r, EVO_ENOMEM, "out of memory");
    }
    c->id = id;
    c->genome = genome;
    int st = evo_status_from_name(json_string_value(json_object_get(rec, "status")));
    c->status = st < 0 ? EVO_STATUS_PENDING : (evo_status)st;
    c->fitness = json_number_value(json_object_get(rec, "fitness"));
    api_order_workloads(rec);
    if (!(c->json = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        evo_candidate_free(c);
        return run_fail(r, EVO_ENOMEM, "out of memory");
    }
    *out = c;
    return EVO_OK;
}

static int load_candidate(evo_run *r, evo_txn *t, int64_t id, evo_candidate **out)
{
    json_t *rec = NULL;
    evo_genome *genome = NULL;
    char err[512];
    int rc = record_load(t, id, &rec, &genome, err, sizeof err);
    if (rc != EVO_OK) return run_fail(r, rc, "%s", err);
    rc = make_candidate(r, id, rec, genome, out);
    json_decref(rec);
    return rc;
}

int evo_run_candidate(evo_run *r, int64_t id, evo_candidate **out)
{
    *out = NULL;
    evo_txn *t;
    int rc = begin(r, &t);
    if (rc != EVO_OK) return rc;
    rc = load_candidate(r, t, id, out);
    store_abort(t);
    return rc;
}

int evo_run_best(evo_run *r, evo_candidate **out)
{
    *out = NULL;
    evo_txn *t;
    int rc = begin(r, &t);
    if (rc != EVO_OK) return rc;
    json_t *counters = store_meta_get(t, META_COUNTERS);
    json_int_t id = json_integer_value(json_object_get(counters, "best_id"));
    json_decref(counters);
    if (store_txn_damage(t)) return end_read(r, t);
    if (id < 1)
        rc = run_fail(r, EVO_ENOTFOUND, "no candidate has passed yet");
    else
        rc = load_candidate(r, t, id, out);
    store_abort(t);
    return rc;
}

void evo_candidate_free(evo_candidate *c)
{
    if (!c) return;
    genome_free(c->genome);
    free(c->json);
    free(c);
}

int64_t evo_candidate_id(const evo_candidate *c)
{
    return c->id;
}
evo_status evo_candidate_status(const evo_candidate *c)
{
    return c->status;
}
double evo_candidate_fitness(const evo_candidate *c)
{
    return c->fitness;
}
const evo_genome *evo_candidate_genome(const evo_candidate *c)
{
    return c->genome;
}
const char *evo_candidate_json(const evo_candidate *c)
{
    return c->json;
}
char *evo_candidate_render(const evo_candidate *c)
{
    return genome_render(c->genome);
}

/* ---- configuration, log, validation ---- */

int evo_run_config(evo_run *r, char **json, char **base_dir)
{
    *json = NULL;
    if (base_dir) *base_dir = NULL;
    evo_txn *t;
    int rc = begin(r, &t);
    if (rc != EVO_OK) return rc;
    json_t *cfg = store_meta_get(t, META_CONFIG), *run = store_meta_get(t, META_RUN);
    rc = end_read(r, t);
    if (rc != EVO_OK) {
        json_decref(cfg);
        json_decref(run);
        return rc;
    }
    if (!json_is_object(cfg)) {
        json_decref(cfg);
        json_decref(run);
        return run_fail(r, EVO_ESTORE, "%s: the run holds no configuration", r->dir);
    }
    *json = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
    const char *dir = json_string_value(json_object_get(run, "config_dir"));
    if (base_dir) *base_dir = strdup(dir ? dir : ".");
    json_decref(cfg);
    json_decref(run);
    return *json && (!base_dir || *base_dir) ? EVO_OK : run_fail(r, EVO_ENOMEM, "out of memory");
}

int evo_run_log_csv(evo_run *r, char **csv)
{
    *csv = NULL;
    char path[4200], err[1024] = "";
    snprintf(path, sizeof path, "%s/fitness.jsonl", r->dir);
    size_t n = 0;
    FILE *out = open_memstream(csv, &n);
    if (!out) return run_fail(r, EVO_ENOMEM, "out of memory");
    int rc = fitlog_to_csv(path, out, err, sizeof err);
    fclose(out);
    if (rc != 0) {
        free(*csv);
        *csv = NULL;
        return run_fail(r, EVO_EIO, "%s", err);
    }
    return EVO_OK;
}

int evo_run_validation(evo_run *r, int64_t id, char **json)
{
    *json = NULL;
    char key[64];
    validation_key(id, key, sizeof key);
    if (!r->store) return run_fail(r, EVO_EINVAL, "the run is not open");
    size_t n = 0;
    char *text = store_lookup_blob(r->store, key, &n);
    if (!text || n == 0 || text[n - 1] != 0) {
        free(text);
        return run_fail(r, EVO_ENOTFOUND, "candidate %lld has not been validated", (long long)id);
    }
    *json = api_order_workloads_text(text); /* verdicts kept before the order, too */
    return EVO_OK;
}
