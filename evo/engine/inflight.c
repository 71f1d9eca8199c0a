/* inflight.c -- the hashes being evaluated now, so two workers never evaluate one candidate
 * twice. Workers claim a child's hash before evaluating it and the commit releases it once
 * the candidate is stored; the store answers for everything committed before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inflight.h"

static int inflight_index(const evo_engine *e, const char *hash)
{
    for (int i = 0; i < e->ninflight; i++)
        if (strcmp(e->inflight[i], hash) == 0) return i;
    return -1;
}

int inflight_seen(evo_engine *e, const char *hash)
{
    if (store_lookup_hash(e->store, hash) > 0) return 1;
    pthread_mutex_lock(&e->inflight_mu);
    int busy = inflight_index(e, hash) >= 0;
    pthread_mutex_unlock(&e->inflight_mu);
    return busy ? 2 : 0;
}

int inflight_claim(evo_engine *e, const char *hash)
{
    if (store_lookup_hash(e->store, hash) > 0) return 1;
    pthread_mutex_lock(&e->inflight_mu);
    int rc = 0;
    if (inflight_index(e, hash) >= 0) {
        rc = 2;
    } else if (e->ninflight == e->inflight_cap) {
        int cap = e->inflight_cap ? 2 * e->inflight_cap : 16;
        void *p = realloc(e->inflight, (size_t)cap * sizeof *e->inflight);
        if (!p) {
            rc = 2; /* treat as busy: the child is retried later rather than lost */
        } else {
            e->inflight = p;
            e->inflight_cap = cap;
        }
    }
    if (rc == 0) snprintf(e->inflight[e->ninflight++], 65, "%s", hash);
    pthread_mutex_unlock(&e->inflight_mu);
    return rc;
}

void inflight_release(evo_engine *e, const char *hash)
{
    pthread_mutex_lock(&e->inflight_mu);
    int i = inflight_index(e, hash);
    if (i >= 0) memcpy(e->inflight[i], e->inflight[--e->ninflight], 65);
    pthread_mutex_unlock(&e->inflight_mu);
}
