/* persist.c -- the engine's state in the store's meta db (store_format.h names the keys):
 * counters, the engine's random stream, islands, archive, bandit, usage and seeds, written
 * in the commit's transaction and read back on resume. Islands and the archive, the largest
 * values, are written only when they changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "persist.h"
#include "store_format.h"

static json_t *counters_to_json(const evo_counters *c)
{
    json_t *fail = json_object();
    for (int s = EVO_STATUS_PASSED + 1; s < EVO_STATUS_COUNT; s++)
        if (c->failures[s])
            json_object_set_new(fail, evo_status_name((evo_status)s), json_integer(c->failures[s]));
    return json_pack(
        "{sI sI sI sI sI sI sI so sI sf sf sb ss}", "evaluations", (json_int_t)c->evaluations,
        "cached", (json_int_t)c->cached, "jobs_done", (json_int_t)c->jobs_done, "seeds_done",
        (json_int_t)c->seeds_done, "since_best", (json_int_t)c->since_best, "dup_streak",
        (json_int_t)c->dup_streak, "sessions", (json_int_t)c->sessions, "failures", fail, "best_id",
        (json_int_t)c->best_id, "best_fitness", c->best_fitness, "elapsed_s", c->elapsed_s,
        "finished", c->finished, "stop_reason", c->stop_reason);
}

static void counters_from_json(evo_counters *c, const json_t *j)
{
    memset(c, 0, sizeof *c);
    c->best_id = -1;
    if (!j) return;
    c->evaluations = json_integer_value(json_object_get(j, "evaluations"));
    c->cached = json_integer_value(json_object_get(j, "cached"));
    c->jobs_done = json_integer_value(json_object_get(j, "jobs_done"));
    c->seeds_done = json_integer_value(json_object_get(j, "seeds_done"));
    c->since_best = json_integer_value(json_object_get(j, "since_best"));
    c->dup_streak = json_integer_value(json_object_get(j, "dup_streak"));
    c->sessions = json_integer_value(json_object_get(j, "sessions"));
    json_t *best = json_object_get(j, "best_id");
    c->best_id = best ? json_integer_value(best) : -1;
    c->best_fitness = json_number_value(json_object_get(j, "best_fitness"));
    c->elapsed_s = json_number_value(json_object_get(j, "elapsed_s"));
    c->finished = json_is_true(json_object_get(j, "finished"));
    snprintf(c->stop_reason, sizeof c->stop_reason, "%s",
             json_string_value(json_object_get(j, "stop_reason"))
                 ? json_string_value(json_object_get(j, "stop_reason"))
                 : "");
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(j, "failures"), name, v)
    {
        int s = evo_status_from_name(name);
        if (s > 0) c->failures[s] = json_integer_value(v);
    }
}

static json_t *usage_to_json(const evo_usage *u)
{
    return json_pack("{sO sI sI sI sf}", "models", u->models, "tokens_in", (json_int_t)u->tokens_in,
                     "tokens_out", (json_int_t)u->tokens_out, "calls", (json_int_t)u->calls,
                     "cost_usd", u->cost_usd);
}

static json_t *rng_to_json(const evo_pcg32 *r)
{
    char s[32], i[32];
    snprintf(s, sizeof s, "%llu", (unsigned long long)r->state);
    snprintf(i, sizeof i, "%llu", (unsigned long long)r->inc);
    return json_pack("{ss ss}", "state", s, "inc", i);
}

/* Islands and the archive are written after most commits, yet only a member or two changes
 * each time: the JSON text of each member is kept in a direct-mapped cache and reused while
 * the member is unchanged, so a commit encodes what changed and copies the rest. The text
 * is exactly what member_to_json gives, so island_from_json reads it back. */
#define MEMBER_CACHE 8192

struct member_text {
    evo_member m;
    char *text;
};

/* owner: the island index, or -1 for the archive (one id may sit in several with other
 * weights, so each owner has its own slot). */
static const char *member_text(evo_engine *e, const evo_member *m, int owner)
{
    if (!e->member_cache) e->member_cache = calloc(MEMBER_CACHE, sizeof *e->member_cache);
    if (!e->member_cache) return NULL;
    uint64_t slot = ((uint64_t)m->id * 67 + (uint64_t)(owner + 1)) % MEMBER_CACHE;
    struct member_text *c = &e->member_cache[slot];
    if (c->text && memcmp(&c->m, m, sizeof *m) == 0) return c->text;
    json_t *j = member_to_json(m);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!text) return NULL;
    free(c->text);
    c->m = *m;
    c->text = text;
    return text;
}

void persist_free(evo_engine *e)
{
    for (int i = 0; e->member_cache && i < MEMBER_CACHE; i++)
        free(e->member_cache[i].text);
    free(e->member_cache);
    e->member_cache = NULL;
}

/* '{"members":[m1,m2,...],' followed by the rest of `head` (an encoded object). */
static char *with_members(evo_engine *e, const evo_member *ms, int n, int owner, const char *head)
{
    size_t cap = strlen(head) + 32, len = 0;
    const char **texts = calloc((size_t)n + 1, sizeof *texts);
    if (!texts) return NULL;
    for (int i = 0; i < n; i++) {
        texts[i] = member_text(e, &ms[i], owner);
        if (!texts[i]) {
            free(texts);
            return NULL;
        }
        cap += strlen(texts[i]) + 1;
    }
    char *out = malloc(cap);
    if (out) {
        len += (size_t)sprintf(out, "{\"members\":[");
        for (int i = 0; i < n; i++) {
            if (i) out[len++] = ',';
            size_t l = strlen(texts[i]);
            memcpy(out + len, texts[i], l);
            len += l;
        }
        out[len++] = ']';
        if (strcmp(head, "{}") != 0) out[len++] = ',';
        strcpy(out + len, head + 1);
    }
    free(texts);
    return out;
}

static int put_text(evo_txn *t, const char *key, char *text)
{
    int rc = text ? store_meta_put_text(t, key, text) : EVO_ENOMEM;
    free(text);
    return rc;
}

int persist_island(evo_engine *e, evo_txn *t, int i)
{
    const evo_island *is = &e->islands[i];
    json_t *memory = json_array();
    for (int k = 0; k < is->nmemory; k++)
        json_array_append_new(memory, json_string(is->memory[k]));
    json_t *head =
        json_pack("{si sI sf sf sI sI so}", "index", is->index, "best_id", (json_int_t)is->best_id,
                  "best_fitness", is->best_fitness, "explore_rate", is->explore_rate, "evaluations",
                  (json_int_t)is->evaluations, "since_improvement",
                  (json_int_t)is->since_improvement, "memory", memory);
    char *head_text = head ? json_dumps(head, JSON_COMPACT) : NULL;
    json_decref(head);
    char key[64];
    snprintf(key, sizeof key, "%s%d", META_ISLAND_PREFIX, i);
    int rc = head_text ? put_text(t, key, with_members(e, is->members, is->n, i, head_text))
                       : EVO_ENOMEM;
    free(head_text);
    return rc;
}

static int put_archive(evo_engine *e, evo_txn *t)
{
    char head[64];
    snprintf(head, sizeof head, "{\"cap\":%d}", e->archive.cap);
    return put_text(t, META_ARCHIVE, with_members(e, e->archive.members, e->archive.n, -1, head));
}

static int put_meta(evo_txn *t, const char *key, json_t *j)
{
    int rc = j ? store_meta_put(t, key, j) : EVO_ENOMEM;
    json_decref(j);
    return rc;
}

/* Everything but the islands, and the archive unless it changed: the two largest values
 * are written only when they change. */
int persist_state(evo_engine *e, evo_txn *t, int archive_changed)
{
    int rc = put_meta(t, META_COUNTERS, counters_to_json(&e->c));
    if (rc == EVO_OK) rc = put_meta(t, META_RNG, rng_to_json(&e->rng));
    if (rc == EVO_OK && archive_changed) rc = put_archive(e, t);
    if (rc == EVO_OK) rc = put_meta(t, META_BANDIT, bandit_to_json(&e->bandit));
    if (rc == EVO_OK) rc = put_meta(t, META_USAGE, usage_to_json(&e->usage));
    /* The ledger's settled calls leave it in the transaction that stores their usage. */
    if (rc == EVO_OK) rc = budget_commit_ledger(e, t);
    return rc;
}

int persist_all(evo_engine *e, evo_txn *t)
{
    int rc = persist_state(e, t, 1);
    if (rc == EVO_OK) rc = put_meta(t, META_ISLANDS, json_pack("{si}", "count", e->nislands));
    for (int i = 0; rc == EVO_OK && i < e->nislands; i++)
        rc = persist_island(e, t, i);
    return rc;
}

static uint64_t parse_u64(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? strtoull(s, NULL, 10) : 0;
}

static int load_seeds(evo_engine *e, evo_txn *t)
{
    json_t *seeds = store_meta_get(t, META_SEEDS);
    size_t i;
    json_t *s;
    json_array_foreach(seeds, i, s)
    {
        if (e->nseeds == (int)(sizeof e->seeds / sizeof e->seeds[0])) break;
        char *src = store_source_get(t, json_string_value(json_object_get(s, "source_sha")));
        if (!src) {
            json_decref(seeds);
            evo_engine_set_error(e, "store: source of seed '%s' is missing",
                                 json_string_value(json_object_get(s, "template")));
            return EVO_ESTORE;
        }
        evo_seed *sd = &e->seeds[e->nseeds++];
        snprintf(sd->name, sizeof sd->name, "%s",
                 json_string_value(json_object_get(s, "template")));
        sd->source = src;
    }
    json_decref(seeds);
    return EVO_OK;
}

static int load_state(evo_engine *e, evo_txn *t)
{
    json_t *c = store_meta_get(t, META_COUNTERS);
    json_t *rng = store_meta_get(t, META_RNG);
    json_t *arch = store_meta_get(t, META_ARCHIVE);
    json_t *usage = store_meta_get(t, META_USAGE);
    int rc = (c && rng && arch) ? EVO_OK : EVO_ESTORE;
    if (rc != EVO_OK)
        evo_engine_set_error(e, "%s: store lacks the engine state (counters, rng or archive)",
                             e->run_dir);
    if (rc == EVO_OK) {
        counters_from_json(&e->c, c);
        e->rng.state = parse_u64(rng, "state");
        e->rng.inc = parse_u64(rng, "inc");
        archive_from_json(&e->archive, arch);
        if (usage) {
            json_decref(e->usage.models);
            e->usage.models = json_deep_copy(json_object_get(usage, "models"));
            if (!e->usage.models) e->usage.models = json_object();
            e->usage.tokens_in = json_integer_value(json_object_get(usage, "tokens_in"));
            e->usage.tokens_out = json_integer_value(json_object_get(usage, "tokens_out"));
            e->usage.calls = json_integer_value(json_object_get(usage, "calls"));
            e->usage.cost_usd = json_number_value(json_object_get(usage, "cost_usd"));
        }
    }
    for (int i = 0; rc == EVO_OK && i < e->nislands; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s%d", META_ISLAND_PREFIX, i);
        json_t *j = store_meta_get(t, key);
        if (!j || island_from_json(&e->islands[i], e->cfg, j) != 0) {
            evo_engine_set_error(e, "%s: island %d state is missing or malformed", e->run_dir, i);
            rc = EVO_ESTORE;
        }
        json_decref(j);
    }
    json_t *k = store_meta_get(t, META_CONSTANTS);
    const char *name;
    json_t *v;
    json_object_foreach(k, name, v) constants_set(&e->constants, name, json_integer_value(v));
    json_decref(k);
    json_decref(c);
    json_decref(rng);
    json_decref(arch);
    json_decref(usage);
    return rc;
}

int persist_counters(evo_engine *e, evo_txn *t)
{
    return put_meta(t, META_COUNTERS, counters_to_json(&e->c));
}

int persist_load(evo_engine *e, evo_txn *t)
{
    int rc = load_state(e, t);
    if (rc == EVO_OK) budget_load(e, t); /* calls a kill left unsettled, at their bound */
    return rc == EVO_OK ? load_seeds(e, t) : rc;
}
