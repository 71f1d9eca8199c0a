/* island.c -- islands of the population: a MAP-Elites grid per island, its sampling weights,
 * exploration schedule and memory, and migration between islands (see island.h).
 *
 * Members are kept sorted best first (fitness descending, then id ascending), so the island
 * best is members[0], the elite pool is a prefix and the member to evict is the last one.
 * The engine stores the JSON form after every change, so everything here is plain data. */
#include "island.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- cell keys ---- */

static int clamp_bins(int bins)
{
    return bins < 1 ? 1 : bins;
}

/* Bin of v in [min, max] split into bins equal parts; values outside are clamped. */
static int bin_of(double v, double min, double max, int bins)
{
    bins = clamp_bins(bins);
    if (!(max > min) || isnan(v)) return 0;
    double b = floor((v - min) / (max - min) * bins);
    if (b < 0) return 0;
    if (b > bins - 1) return bins - 1;
    return (int)b;
}

static const char *param_value(const evo_genome *g, const char *name)
{
    for (int i = 0; g && i < g->nparams; i++)
        if (strcmp(g->names[i], name) == 0) return g->values[i];
    return NULL;
}

/* A candidate-level metric, else the mean over workloads; returns 0 when found. */
static int metric_value(const evo_result *r, const char *name, double *out)
{
    if (!r) return -1;
    json_t *v = json_object_get(r->metrics, name);
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    double sum = 0;
    int count = 0;
    const char *key;
    json_t *w;
    json_object_foreach(r->workloads, key, w)
    {
        json_t *x = json_object_get(w, name);
        if (json_is_number(x)) {
            sum += json_number_value(x);
            count++;
        }
    }
    if (count == 0) return -1;
    *out = sum / count;
    return 0;
}

static unsigned hash_prefix(const char *hash)
{
    char head[9] = {0};
    for (int i = 0; hash && i < 8 && hash[i]; i++)
        head[i] = hash[i];
    return (unsigned)strtoul(head, NULL, 16);
}

/* One "name=value" part of the key into part[size]. */
static void feature_part(const evo_feature_cfg *f, const evo_genome *g, const evo_result *r,
                         char *part, size_t size)
{
    double v;
    const char *s;
    switch (f->kind) {
    case FEATURE_TEMPLATE:
        snprintf(part, size, "t=%s", g && g->tmpl ? g->tmpl : "-");
        return;
    case FEATURE_PARAM:
        s = param_value(g, f->name);
        snprintf(part, size, "%s=%s", f->name, s ? s : "-");
        return;
    case FEATURE_METRIC:
        if (metric_value(r, f->name, &v) != 0)
            snprintf(part, size, "%s=-", f->name);
        else
            snprintf(part, size, "%s=%d", f->name, bin_of(v, f->min, f->max, f->bins));
        return;
    case FEATURE_SOURCE_LENGTH:
        v = g && g->source ? (double)strlen(g->source) : 0;
        snprintf(part, size, "len=%d", bin_of(v, f->min, f->max, f->bins));
        return;
    case FEATURE_HASH:
        snprintf(part, size, "h=%u",
                 hash_prefix(g ? g->hash : NULL) % (unsigned)clamp_bins(f->bins));
        return;
    }
    snprintf(part, size, "?");
}

void island_cell_key(const evo_config *cfg, const evo_genome *g, const evo_result *r, char key[96])
{
    char buf[1024] = "";
    size_t len = 0;
    for (int i = 0; i < cfg->nfeatures && i < EVO_MAX_FEATURES; i++) {
        char part[256];
        feature_part(&cfg->features[i], g, r, part, sizeof part);
        int w = snprintf(buf + len, sizeof buf - len, "%s%s", i ? "|" : "", part);
        if (w < 0 || (size_t)w >= sizeof buf - len) break;
        len += (size_t)w;
    }
    /* Cut to 95 bytes without splitting a UTF-8 sequence. */
    if (len > 95) {
        len = 95;
        while (len > 0 && ((unsigned char)buf[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(key, buf, len);
    key[len] = '\0';
}

/* ---- life cycle ---- */

void island_init(evo_island *is, int index, const evo_config *cfg)
{
    memset(is, 0, sizeof *is);
    is->index = index;
    is->cap = cfg->population < 1 ? 1 : cfg->population;
    is->best_id = -1;
    is->explore_rate = cfg->explore_rate;
}

void island_free(evo_island *is)
{
    free(is->members);
    for (int i = 0; i < is->nmemory; i++)
        free(is->memory[i]);
    is->members = NULL;
    is->n = 0;
    is->nmemory = 0;
}

int island_find(const evo_island *is, int64_t id)
{
    for (int i = 0; i < is->n; i++)
        if (is->members[i].id == id) return i;
    return -1;
}

/* ---- membership ---- */

/* The island order: higher fitness first, then the older (lower) id. */
static int member_before(const evo_member *a, const evo_member *b)
{
    if (a->fitness != b->fitness) return a->fitness > b->fitness;
    return a->id < b->id;
}

static void update_best(evo_island *is)
{
    is->best_id = is->n ? is->members[0].id : -1;
    is->best_fitness = is->n ? is->members[0].fitness : 0;
}

static void remove_at(evo_island *is, int i)
{
    memmove(&is->members[i], &is->members[i + 1], (size_t)(is->n - i - 1) * sizeof *is->members);
    is->n--;
}

/* Room for one more member, so the insertion below cannot fail half-way. */
static int reserve(evo_island *is)
{
    evo_member *grown = realloc(is->members, (size_t)(is->n + 1) * sizeof *grown);
    if (!grown) return -1;
    is->members = grown;
    return 0;
}

static void insert_sorted(evo_island *is, const evo_member *m)
{
    int pos = 0;
    while (pos < is->n && member_before(&is->members[pos], m))
        pos++;
    memmove(&is->members[pos + 1], &is->members[pos], (size_t)(is->n - pos) * sizeof *m);
    is->members[pos] = *m;
    is->n++;
}

static int is_duplicate(const evo_island *is, const evo_member *m)
{
    for (int i = 0; i < is->n; i++) {
        if (is->members[i].id == m->id) return 1;
        if (m->hash[0] && strcmp(is->members[i].hash, m->hash) == 0) return 1;
    }
    return 0;
}

static int find_cell(const evo_island *is, const char *cell)
{
    for (int i = 0; i < is->n; i++)
        if (strcmp(is->members[i].cell, cell) == 0) return i;
    return -1;
}

/* Returns 1 only if m is a member afterwards: a child evicted at once by the cap did not
 * enter. */
int island_offer(evo_island *is, const evo_config *cfg, const evo_member *m)
{
    (void)cfg; /* the cap was taken from cfg at init; cells come with the member */
    if (is_duplicate(is, m)) return 0;
    int occupant = find_cell(is, m->cell);
    if (occupant >= 0 && is->members[occupant].fitness >= m->fitness) return 0;
    if (reserve(is) != 0) return 0;
    if (occupant >= 0) remove_at(is, occupant);
    insert_sorted(is, m);
    int entered = 1;
    while (is->n > is->cap && is->n > 1) {
        if (is->members[is->n - 1].id == m->id) entered = 0;
        is->n--;
    }
    update_best(is);
    return entered;
}

/* ---- exploration, weights, memory ---- */

void island_after_child(evo_island *is, const evo_config *cfg, int improved)
{
    is->evaluations++;
    if (improved) {
        is->since_improvement = 0;
        is->explore_rate = cfg->explore_rate;
        return;
    }
    is->since_improvement++;
    if (cfg->stagnation_window > 0 && is->since_improvement % cfg->stagnation_window == 0) {
        double grown = is->explore_rate * cfg->explore_growth;
        is->explore_rate = grown < cfg->explore_max ? grown : cfg->explore_max;
    }
}

void island_reweight(evo_island *is, const evo_config *cfg, int64_t id, double factor)
{
    int i = island_find(is, id);
    if (i < 0) return;
    double w = is->members[i].weight * factor;
    if (!(w >= cfg->min_weight)) w = cfg->min_weight;
    if (w > 1) w = 1;
    is->members[i].weight = w;
    is->members[i].children++;
}

void island_remember(evo_island *is, const char *line)
{
    if (!line) return;
    char *copy = strdup(line);
    if (!copy) return;
    if (is->nmemory == EVO_MEMORY_LINES) {
        free(is->memory[0]);
        memmove(&is->memory[0], &is->memory[1], (EVO_MEMORY_LINES - 1) * sizeof(char *));
        is->nmemory--;
    }
    is->memory[is->nmemory++] = copy;
}

char *island_memory_text(const evo_island *is)
{
    size_t size = 1;
    for (int i = 0; i < is->nmemory; i++)
        size += strlen(is->memory[i]) + 1;
    char *text = malloc(size);
    if (!text) return NULL;
    size_t len = 0;
    for (int i = 0; i < is->nmemory; i++) {
        if (i) text[len++] = '\n';
        size_t l = strlen(is->memory[i]);
        memcpy(text + len, is->memory[i], l);
        len += l;
    }
    text[len] = '\0';
    return text;
}

/* ---- JSON ---- */

json_t *member_to_json(const evo_member *m)
{
    return json_pack("{sI sf sf sI ss ss ss}", "id", (json_int_t)m->id, "fitness", m->fitness,
                     "weight", m->weight, "children", (json_int_t)m->children, "hash", m->hash,
                     "tmpl", m->tmpl, "cell", m->cell);
}

static int copy_string(char *dst, size_t size, const json_t *v)
{
    if (!json_is_string(v) || json_string_length(v) >= size) return -1;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

int member_from_json(evo_member *m, const json_t *j)
{
    json_t *id = json_object_get(j, "id"), *fit = json_object_get(j, "fitness");
    json_t *w = json_object_get(j, "weight"), *ch = json_object_get(j, "children");
    memset(m, 0, sizeof *m);
    if (!json_is_integer(id) || !json_is_number(fit) || !json_is_number(w) || !json_is_integer(ch))
        return -1;
    m->id = json_integer_value(id);
    m->fitness = json_number_value(fit);
    m->weight = json_number_value(w);
    m->children = json_integer_value(ch);
    if (copy_string(m->hash, sizeof m->hash, json_object_get(j, "hash")) != 0 ||
        copy_string(m->tmpl, sizeof m->tmpl, json_object_get(j, "tmpl")) != 0 ||
        copy_string(m->cell, sizeof m->cell, json_object_get(j, "cell")) != 0)
        return -1;
    return 0;
}

json_t *island_to_json(const evo_island *is)
{
    json_t *members = json_array(), *memory = json_array();
    for (int i = 0; i < is->n; i++)
        json_array_append_new(members, member_to_json(&is->members[i]));
    for (int i = 0; i < is->nmemory; i++)
        json_array_append_new(memory, json_string(is->memory[i]));
    return json_pack("{si sI sf sf sI sI so so}", "index", is->index, "best_id",
                     (json_int_t)is->best_id, "best_fitness", is->best_fitness, "explore_rate",
                     is->explore_rate, "evaluations", (json_int_t)is->evaluations,
                     "since_improvement", (json_int_t)is->since_improvement, "members", members,
                     "memory", memory);
}

static int cmp_members(const void *pa, const void *pb)
{
    const evo_member *a = pa, *b = pb;
    if (member_before(a, b)) return -1;
    return member_before(b, a) ? 1 : 0;
}

static int load_members(evo_island *is, const json_t *arr)
{
    size_t count = json_array_size(arr);
    if (!json_is_array(arr)) return -1;
    if (count == 0) return 0;
    is->members = calloc(count, sizeof *is->members);
    if (!is->members) return -1;
    for (size_t i = 0; i < count; i++) {
        if (member_from_json(&is->members[is->n], json_array_get(arr, i)) != 0) return -1;
        is->n++;
    }
    qsort(is->members, (size_t)is->n, sizeof *is->members, cmp_members);
    if (is->n > is->cap) is->n = is->cap; /* the config shrank the population: keep the best */
    return 0;
}

static int load_memory(evo_island *is, const json_t *arr)
{
    if (!arr) return 0;
    if (!json_is_array(arr)) return -1;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v)) return -1;
        island_remember(is, json_string_value(v));
    }
    return 0;
}

int island_from_json(evo_island *is, const evo_config *cfg, const json_t *j)
{
    json_t *index = json_object_get(j, "index"), *rate = json_object_get(j, "explore_rate");
    json_t *evals = json_object_get(j, "evaluations");
    json_t *since = json_object_get(j, "since_improvement");
    island_free(is);
    island_init(is, json_is_integer(index) ? (int)json_integer_value(index) : is->index, cfg);
    if (!json_is_object(j) || !json_is_integer(index) || !json_is_number(rate) ||
        !json_is_integer(evals) || !json_is_integer(since))
        return -1;
    is->explore_rate = json_number_value(rate);
    is->evaluations = json_integer_value(evals);
    is->since_improvement = json_integer_value(since);
    if (load_members(is, json_object_get(j, "members")) != 0 ||
        load_memory(is, json_object_get(j, "memory")) != 0) {
        island_free(is);
        island_init(is, is->index, cfg);
        return -1;
    }
    update_best(is);
    return 0;
}

/* ---- migration ---- */

/* Copies of an island's best ceil(rate * n) members (at least one), fresh for a new home. */
static int emigrants(const evo_island *is, double rate, evo_member **out)
{
    *out = NULL;
    if (is->n == 0) return 0;
    double want = ceil(rate * is->n - 1e-9);
    int k = want < 1 ? 1 : want > is->n ? is->n : (int)want;
    *out = malloc((size_t)k * sizeof **out);
    if (!*out) return 0;
    for (int i = 0; i < k; i++) {
        (*out)[i] = is->members[i];
        (*out)[i].weight = 1;
        (*out)[i].children = 0;
    }
    return k;
}

/* Offer every island's emigrants to receiver r, best first, so the outcome does not depend
 * on the order of the senders. */
static int receive(evo_island *islands, int n, const evo_config *cfg, int r, int full,
                   evo_member **out, const int *nout)
{
    int total = 0;
    for (int s = 0; s < n; s++)
        if (s != r && (full || (s + 1) % n == r)) total += nout[s];
    if (total == 0) return 0;
    evo_member *in = malloc((size_t)total * sizeof *in);
    if (!in) return 0;
    int k = 0;
    for (int s = 0; s < n; s++)
        if (s != r && (full || (s + 1) % n == r))
            for (int i = 0; i < nout[s]; i++)
                in[k++] = out[s][i];
    qsort(in, (size_t)k, sizeof *in, cmp_members);
    int moved = 0;
    for (int i = 0; i < k; i++)
        moved += island_offer(&islands[r], cfg, &in[i]);
    free(in);
    return moved;
}

int islands_migrate(evo_island *islands, int n, const evo_config *cfg)
{
    if (n < 2) return 0;
    int full = strcmp(cfg->migration_topology, "full") == 0;
    evo_member **out = calloc((size_t)n, sizeof *out);
    int *nout = calloc((size_t)n, sizeof *nout);
    int moved = 0;
    if (out && nout) {
        for (int i = 0; i < n; i++)
            nout[i] = emigrants(&islands[i], cfg->migration_rate, &out[i]);
        for (int r = 0; r < n; r++)
            moved += receive(islands, n, cfg, r, full, out, nout);
    }
    for (int i = 0; out && i < n; i++)
        free(out[i]);
    free(out);
    free(nout);
    return moved;
}
