/* verify.c -- evo_verify (evo.h): read a run's whole store and say what is damaged.
 *
 * The store is opened read-only with the fault guard (STORE_GUARDED), so a page that would
 * crash LMDB ends a walk with a message instead of the process. Each database is walked in
 * key order (store_scan: checksum and bounds of every value); candidates are decoded by the
 * record reader (record.c) as every other reader does. When a walk breaks off on a damaged
 * page, the candidates after it are looked up one id at a time, so one bad page hides no
 * more than it holds. What can still be exported: the intact PASSED candidates whose source
 * is intact too. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "evo.h"
#include "record.h"
#include "store.h"
#include "store_format.h"

typedef struct verify {
    const char *path; /* DIR/store.mdb, the prefix damage messages start with */
    json_t *damaged;  /* [{"name","why"}] */
    json_t *cands;    /* id (decimal) -> record, intact ones */
    json_t *sources;  /* sha -> true, intact ones */
    json_t *meta;     /* key -> true, intact ones */
    int64_t records, max_id;
    const char *db;
} verify;

/* "DIR/store.mdb: candidate #69: checksum mismatch (...)" -> "checksum mismatch (...)". */
static const char *short_why(const verify *v, const char *name, const char *why)
{
    size_t n = strlen(v->path);
    if (strncmp(why, v->path, n) == 0 && why[n] == ':' && why[n + 1] == ' ') why += n + 2;
    n = strlen(name);
    if (strncmp(why, name, n) == 0 && why[n] == ':' && why[n + 1] == ' ') why += n + 2;
    return why;
}

static void add_damage(verify *v, const char *name, const char *why)
{
    json_array_append_new(v->damaged,
                          json_pack("{ss ss}", "name", name, "why", short_why(v, name, why)));
}

static int64_t be_id(const void *key, size_t n)
{
    if (n != 8) return -1;
    const unsigned char *p = key;
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = (x << 8) | p[i];
    return (int64_t)x;
}

static void take_candidate(verify *v, int64_t id, const void *payload, size_t n, const char *name)
{
    json_t *rec = NULL;
    char err[512];
    if (record_decode(payload, n, id, &rec, err, sizeof err) != EVO_OK) {
        add_damage(v, name, err);
        return;
    }
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)id);
    json_object_set_new(v->cands, key, rec);
}

static int scan_one(void *user, const char *name, const void *key, size_t klen, const void *payload,
                    size_t n, const char *damage)
{
    verify *v = user;
    v->records++;
    int cand = strcmp(v->db, "candidates") == 0;
    int64_t id = cand ? be_id(key, klen) : 0;
    if (cand && id > v->max_id) v->max_id = id;
    if (damage) {
        add_damage(v, name, damage);
        return 0;
    }
    if (cand) {
        if (id < 1)
            add_damage(v, name, "a key that is not a candidate id");
        else
            take_candidate(v, id, payload, n, name);
    } else if (strcmp(v->db, "sources") == 0 || strcmp(v->db, "meta") == 0) {
        char k[600];
        snprintf(k, sizeof k, "%.*s", (int)(klen < 512 ? klen : 512), (const char *)key);
        json_object_set_new(strcmp(v->db, "meta") == 0 ? v->meta : v->sources, k, json_true());
    } else if (strcmp(v->db, "hashes") == 0 && n != 8) {
        add_damage(v, name, "its value is not a candidate id");
    }
    return 0;
}

/* After a walk that broke off: look the ids it did not reach up one by one. */
static void candidates_by_id(verify *v, evo_txn *t, int64_t last)
{
    for (int64_t id = 1; id <= last; id++) {
        char key[32], name[48];
        snprintf(key, sizeof key, "%lld", (long long)id);
        if (json_object_get(v->cands, key)) continue;
        snprintf(name, sizeof name, "candidate #%lld", (long long)id);
        int seen = 0;
        size_t i;
        json_t *d;
        json_array_foreach(v->damaged, i, d) seen |=
            strcmp(json_string_value(json_object_get(d, "name")), name) == 0;
        if (seen) continue;
        const void *buf;
        size_t n;
        int rc = store_cand_get_bytes(t, id, &buf, &n);
        if (rc == EVO_OK)
            take_candidate(v, id, buf, n, name);
        else
            add_damage(v, name,
                       rc == EVO_ENOTFOUND ? "missing (ids run from 1 to the last without gaps)"
                                           : store_errmsg(store_txn_store(t)));
    }
}

static const char *const dbs[] = {"meta", "candidates", "hashes", "sources", "blobs"};

static json_t *check(verify *v, evo_store *s, evo_txn *t)
{
    json_t *counts = json_object();
    int broke_candidates = 0;
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
        v->db = dbs[i];
        int64_t before = v->records;
        if (store_scan(t, dbs[i], scan_one, v) != EVO_OK) {
            char name[64];
            snprintf(name, sizeof name, "%s database", dbs[i]);
            add_damage(v, name, store_errmsg(s));
            if (strcmp(dbs[i], "candidates") == 0) broke_candidates = 1;
        }
        json_object_set_new(counts, dbs[i], json_integer(v->records - before));
    }
    /* Ids run from 1 to the last without gaps: a gap is a record lost to damage. */
    int64_t last = store_cand_last(t);
    if (last < v->max_id) last = v->max_id;
    if (broke_candidates || (int64_t)json_object_size(v->cands) + 0 < last)
        candidates_by_id(v, t, last);
    /* The engine state a resume needs, once the run has committed. */
    static const char *const need[] = {META_RUN, META_CONFIG,  META_SEEDS,   META_COUNTERS,
                                       META_RNG, META_ARCHIVE, META_ISLANDS, META_BANDIT};
    if (json_object_get(v->meta, META_RUN) || last > 0) {
        for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
            char name[64];
            snprintf(name, sizeof name, "meta '%s'", need[i]);
            int reported = 0;
            size_t k;
            json_t *d;
            json_array_foreach(v->damaged, k, d) reported |=
                strcmp(json_string_value(json_object_get(d, "name")), name) == 0;
            if (!json_object_get(v->meta, need[i]) && !reported) add_damage(v, name, "missing");
        }
    }
    /* Sources every intact candidate names. */
    json_t *exportable = json_array();
    int64_t passed = 0;
    const char *key;
    json_t *rec;
    json_object_foreach(v->cands, key, rec)
    {
        const char *sha = json_string_value(json_object_get(rec, "source_sha"));
        int has = sha && *sha && json_object_get(v->sources, sha);
        if (sha && *sha && !has) {
            char name[48], why[160];
            snprintf(name, sizeof name, "candidate #%s", key);
            snprintf(why, sizeof why, "its source %.64s is missing or damaged", sha);
            add_damage(v, name, why);
        }
        const char *st = json_string_value(json_object_get(rec, "status"));
        if (st && strcmp(st, "PASSED") == 0) {
            passed++;
            if (has) json_array_append_new(exportable, json_integer(strtoll(key, NULL, 10)));
        }
    }
    json_t *out = json_object();
    json_object_set_new(out, "store", json_string(v->path));
    json_object_set_new(out, "format",
                        json_string(store_sealed(s) ? EVO_STORE_MAGIC : EVO_STORE_MAGIC_V1));
    json_object_set_new(out, "checksums", json_boolean(store_sealed(s)));
    json_object_set_new(out, "records", json_integer(v->records));
    json_object_set_new(out, "by_database", counts);
    json_object_set_new(out, "damaged", json_incref(v->damaged));
    json_object_set_new(out, "candidates", json_integer(last));
    json_object_set_new(out, "intact", json_integer((json_int_t)json_object_size(v->cands)));
    json_object_set_new(out, "passed", json_integer(passed));
    json_object_set_new(out, "exportable", exportable);
    /* The best by the intact records' own fitness (the counters may be what is damaged). */
    int64_t best = -1;
    double bf = 0;
    size_t i;
    json_t *id;
    json_array_foreach(exportable, i, id)
    {
        char k[32];
        snprintf(k, sizeof k, "%lld", (long long)json_integer_value(id));
        double f = json_number_value(json_object_get(json_object_get(v->cands, k), "fitness"));
        if (best < 0 || f > bf) best = json_integer_value(id), bf = f;
    }
    json_object_set_new(out, "best_exportable", best > 0 ? json_integer(best) : json_null());
    return out;
}

int evo_verify(const char *run_dir, char **report, char *err, size_t errlen)
{
    *report = NULL;
    if (err && errlen) err[0] = 0;
    evo_store *s = NULL;
    int rc =
        store_open(&s, run_dir, STORE_RDONLY | STORE_EXISTING | STORE_GUARDED, NULL, err, errlen);
    if (rc != EVO_OK) return rc;
    evo_txn *t;
    rc = store_begin(s, 0, &t);
    if (rc != EVO_OK) {
        errbuf_set(err, errlen, rc, "%s", store_errmsg(s));
        store_close(s);
        return rc;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/store.mdb", run_dir);
    verify v = {path, json_array(), json_object(), json_object(), json_object(), 0, 0, NULL};
    json_t *out = check(&v, s, t);
    store_abort(t);
    store_close(s);
    int damaged = json_array_size(v.damaged) > 0;
    json_decref(v.damaged);
    json_decref(v.cands);
    json_decref(v.sources);
    json_decref(v.meta);
    *report = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(out);
    if (!*report) return errbuf_set(err, errlen, EVO_ENOMEM, "out of memory");
    if (damaged) {
        errbuf_set(err, errlen, EVO_ESTORE, "%s: damaged records found", path);
        return EVO_ESTORE;
    }
    return EVO_OK;
}
