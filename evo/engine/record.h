/* record.h -- the candidate record: built by the commit, read back by the planner, the run
 * view and export (the shape is in store_format.h). Reads check every field they use. */
#ifndef EVO_ENGINE_RECORD_H
#define EVO_ENGINE_RECORD_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "evo.h"
#include "genome.h"
#include "store.h"

struct evo_msg; /* engine_state.h: the commit's message, only record_build reads it */

/* The record of candidate `id` made from a finished message (st, fitness and label as the
 * commit decided them; insight the line remembered by the islands). t resolves repair_of.
 * Returns a new object (NULL when out of memory). */
json_t *record_build(const evo_engine *e, evo_txn *t, const struct evo_msg *msg, int64_t id,
                     evo_status st, double fitness, const char *label, const char *insight);

/* The fitness-log line of a record, with the run's best at that point. New object. */
json_t *record_log_line(const json_t *rec, double best, int64_t best_id);

/* The genome of record rec (candidate id) with the given source. Returns EVO_OK, EVO_ESTORE
 * (err names the candidate and the field: params not an object, template not a string, a
 * parameter neither string nor number) or EVO_ENOMEM. The caller frees *out. */
int record_genome(const json_t *rec, int64_t id, const char *source, evo_genome **out, char *err,
                  size_t n);

/* Decode candidate id's stored JSON bytes buf[0..len) (its seal already checked by the
 * store): an object whose id, status, fitness and parents, where present, are what they
 * should be. EVO_OK with *out (new reference), or EVO_ESTORE with err naming the candidate
 * ("candidate #69: ..."). Reads only buf: safe on any bytes. */
int record_decode(const void *buf, size_t len, int64_t id, json_t **out, char *err, size_t n);

/* Candidate id's record, decoded: EVO_OK, EVO_ENOTFOUND (an id after the last), EVO_ESTORE
 * (damage: a checksum that failed, an id below the last that is missing, a malformed
 * field, named) or EVO_ENOMEM, with err. */
int record_read(evo_txn *t, int64_t id, json_t **out, char *err, size_t n);

/* Candidate id's record (into *rec when rec is not NULL: the caller decrefs it) and genome
 * (with its source from the sources db; "" for a candidate that never had one). Returns
 * EVO_OK, EVO_ENOTFOUND (no such candidate), EVO_ESTORE (a field is malformed or the source
 * is missing) or EVO_ENOMEM, with err saying which. */
int record_load(evo_txn *t, int64_t id, json_t **rec, evo_genome **genome, char *err, size_t n);

/* The record as a model sees a parent or an inspiration: without its artifacts (large, and
 * summarised by metrics), keys sorted. Deletes "artifacts" from rec; returns malloc'd text. */
char *record_prompt_text(json_t *rec);
#endif
