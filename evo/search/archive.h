/* archive.h -- the global elite archive: the best `archive_size` distinct PASSED candidates
 * of the whole run. A candidate enters if the archive has room or it beats the worst member;
 * a hash already present is skipped; ties keep the earlier member. */
#ifndef EVO_ARCHIVE_H
#define EVO_ARCHIVE_H
#include "island.h"
#include <jansson.h>

typedef struct evo_archive {
    int n, cap;
    evo_member *members; /* sorted by fitness, best first */
} evo_archive;

void archive_init(evo_archive *a, int cap);
void archive_free(evo_archive *a);
/* Returns 1 if m entered, 0 otherwise. */
int archive_offer(evo_archive *a, const evo_member *m);
int archive_find(const evo_archive *a, int64_t id);
void archive_reweight(evo_archive *a, const evo_config *cfg, int64_t id, double factor);
json_t *archive_to_json(const evo_archive *a);
/* Replace the members of *a (initialised by archive_init: its cap stays, members beyond it
 * are dropped) with archive_to_json's form. Returns 0, or -1 on a malformed form (then *a is
 * empty). */
int archive_from_json(evo_archive *a, const json_t *j);
#endif
