/* archive.c -- the global elite archive (see archive.h): the best distinct PASSED candidates
 * of the whole run, sorted best first, at most `cap` of them. Selection draws from it when
 * an island's own pool is not used, and inspirations come from it.
 *
 * Ties keep the earlier member: a newcomer goes after every member of equal fitness, and
 * one that only equals the worst of a full archive does not enter. */
#include "archive.h"

#include <stdlib.h>
#include <string.h>

void archive_init(evo_archive *a, int cap)
{
    a->n = 0;
    a->cap = cap < 0 ? 0 : cap;
    a->members = a->cap ? calloc((size_t)a->cap, sizeof *a->members) : NULL;
    if (!a->members) a->cap = 0;
}

void archive_free(evo_archive *a)
{
    free(a->members);
    a->members = NULL;
    a->n = 0;
    a->cap = 0;
}

int archive_find(const evo_archive *a, int64_t id)
{
    for (int i = 0; i < a->n; i++)
        if (a->members[i].id == id) return i;
    return -1;
}

static int has_hash(const evo_archive *a, const char *hash)
{
    for (int i = 0; hash[0] && i < a->n; i++)
        if (strcmp(a->members[i].hash, hash) == 0) return 1;
    return 0;
}

int archive_offer(evo_archive *a, const evo_member *m)
{
    if (a->cap == 0 || has_hash(a, m->hash) || archive_find(a, m->id) >= 0) return 0;
    if (a->n == a->cap) {
        if (!(m->fitness > a->members[a->n - 1].fitness)) return 0;
        a->n--; /* the worst makes room */
    }
    int pos = 0;
    while (pos < a->n && a->members[pos].fitness >= m->fitness)
        pos++;
    memmove(&a->members[pos + 1], &a->members[pos], (size_t)(a->n - pos) * sizeof *m);
    a->members[pos] = *m;
    a->n++;
    return 1;
}

void archive_reweight(evo_archive *a, const evo_config *cfg, int64_t id, double factor)
{
    int i = archive_find(a, id);
    if (i < 0) return;
    double w = a->members[i].weight * factor;
    if (!(w >= cfg->min_weight)) w = cfg->min_weight;
    if (w > 1) w = 1;
    a->members[i].weight = w;
    a->members[i].children++;
}

json_t *archive_to_json(const evo_archive *a)
{
    json_t *members = json_array();
    for (int i = 0; i < a->n; i++)
        json_array_append_new(members, member_to_json(&a->members[i]));
    return json_pack("{si so}", "cap", a->cap, "members", members);
}

/* Members are taken in stored order (already best first); beyond the cap they are dropped.
 * The stored "cap" is informational: the configuration decides. */
int archive_from_json(evo_archive *a, const json_t *j)
{
    json_t *members = json_object_get(j, "members");
    a->n = 0;
    if (!json_is_array(members)) return -1;
    for (size_t i = 0; i < json_array_size(members) && a->n < a->cap; i++) {
        if (member_from_json(&a->members[a->n], json_array_get(members, i)) != 0) {
            a->n = 0;
            return -1;
        }
        a->n++;
    }
    return 0;
}
