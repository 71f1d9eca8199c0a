/* store.h -- the run store: one LMDB environment per run directory.
 *
 * Layout (named databases inside DIR/store.mdb, one file via MDB_NOSUBDIR):
 *   meta        "magic" -> "evo-store-2"; "run_id"; "config"; "state/..." keys for engine state
 *               (islands, archive, bandit, rng, counters, usage), values are JSON text
 *   candidates  id (uint64 big-endian) -> candidate record, JSON text
 *   hashes      genome hash (64 hex) -> id (uint64 big-endian)
 *   sources     source SHA-256 (64 hex) -> source text (deduplicated sources)
 *   blobs       key -> bytes (compiled cubins and other artifacts by content hash)
 *
 * A writer holds DIR/lock with flock(LOCK_EX|LOCK_NB); a second writer gets EVO_EBUSY with
 * "run directory DIR is in use by process PID". Readers (evo status/best/log while a run
 * goes on) open read-only without the lock. A file that is not an LMDB environment, or an
 * environment without our magic, gives EVO_ESTORE with a clear message, never a crash.
 * Every value carries a checksum over its key and bytes (store_seal.h), checked on every
 * read: a damaged record is an EVO_ESTORE naming it ("DIR/store.mdb: candidate #69:
 * checksum mismatch"), never different data. DIR/run_id holds the run id the store's meta
 * holds too; a store.mdb swapped in from another run is refused (EVO_ESTORE). A write that
 * fails for want of space or permission is EVO_EIO naming the cause (ENOSPC, EACCES, the
 * map full), not corruption; what was committed before stays.
 * All functions are safe to call from any thread with their own transaction; store_lookup_*
 * open and close their own read transaction and are safe from worker threads.
 */
#ifndef EVO_STORE_H
#define EVO_STORE_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct evo_store evo_store;
typedef struct evo_txn evo_txn;

#define STORE_CREATE 1   /* create the run if the directory holds none */
#define STORE_RDONLY 2   /* read-only, no lock */
#define STORE_EXISTING 4 /* the directory must hold a run */
#define STORE_GUARDED                                                                              \
    8 /* with STORE_RDONLY: reads survive a damaged page's SIGBUS/SIGSEGV
                          * as EVO_ESTORE (one thread only: `evo verify`) */

/* sync: "full" (fsync each commit), "meta" (MDB_NOMETASYNC), "none" (MDB_NOSYNC: survives
 * process kills, not power loss). Returns EVO_OK, EVO_EBUSY, EVO_ESTORE, EVO_EIO, with a
 * message in err. */
int store_open(evo_store **out, const char *dir, int flags, const char *sync, char *err,
               size_t errlen);
void store_close(evo_store *s);
/* Whether this store was created by this open (a new run). */
int store_is_new(const evo_store *s);

/* Whether values carry checksums (evo-store-2; an evo-store-1 store has none). */
int store_sealed(const evo_store *s);
/* The first damage a read of this handle found (a checksum that failed, a page LMDB or the
 * bounds check refused), or NULL. Reads that found damage return NULL like an absent key;
 * this tells the two apart. A write transaction that found damage refuses to commit. */
const char *store_damage(evo_store *s);

int store_begin(evo_store *s, int write, evo_txn **out);
/* The store of a transaction, and the first damage its reads found (NULL if none). */
evo_store *store_txn_store(const evo_txn *t);
/* DIR/store.mdb, for messages. */
const char *store_path(const evo_store *s);
const char *store_txn_damage(const evo_txn *t);
int store_commit(evo_txn *t); /* frees t; EVO_OK or EVO_ESTORE (e.g. disk full) */
void store_abort(evo_txn *t); /* frees t */
/* The last error message of the store (for messages after a failed call). */
const char *store_errmsg(const evo_store *s);

/* meta: JSON text values under string keys. get returns a new reference or NULL. */
int store_meta_put(evo_txn *t, const char *key, const json_t *value);
json_t *store_meta_get(evo_txn *t, const char *key);
/* Put a value already encoded as JSON text (the caller vouches that it is valid JSON). */
int store_meta_put_text(evo_txn *t, const char *key, const char *json_text);

/* candidates: id >= 1. */
int store_cand_put(evo_txn *t, int64_t id, const json_t *rec);
json_t *store_cand_get(evo_txn *t, int64_t id);
/* Candidate id's stored JSON bytes, checked and without their seal, valid until t ends (for
 * record.c's decoder): EVO_OK, EVO_ENOTFOUND or EVO_ESTORE (damage, named), message set. */
int store_cand_get_bytes(evo_txn *t, int64_t id, const void **buf, size_t *n);
int64_t store_cand_last(evo_txn *t); /* highest id, 0 if none */
/* Call fn for ids from..last in order; fn returns non-zero to stop. */
int store_cand_each(evo_txn *t, int64_t from, int (*fn)(void *user, int64_t id, json_t *rec),
                    void *user);

/* Walk every record of db ("meta", "candidates", "hashes", "sources" or "blobs") in key
 * order, checking each as a read does (for `evo verify`). fn gets the record's name
 * ("candidate #69", "source 'ab12...'"), its key, and either its payload (damage NULL) or
 * why it is damaged (payload NULL); it returns non-zero to stop. EVO_OK after the last
 * record, EVO_ESTORE (message set) when the walk itself broke off on a damaged page. */
typedef int (*store_scan_fn)(void *user, const char *name, const void *key, size_t klen,
                             const void *payload, size_t n, const char *damage);
int store_scan(evo_txn *t, const char *db, store_scan_fn fn, void *user);

/* hash index. get returns the id or 0 when absent. */
int store_hash_put(evo_txn *t, const char *hash, int64_t id);
int64_t store_hash_get(evo_txn *t, const char *hash);
/* Same, in its own read transaction (thread-safe). */
int64_t store_lookup_hash(evo_store *s, const char *hash);

/* sources, by SHA-256 of the normalised text. get returns a malloc'd copy or NULL. */
int store_source_put(evo_txn *t, const char *sha, const char *text);
char *store_source_get(evo_txn *t, const char *sha);

/* blobs. get returns a malloc'd copy and its size, or NULL. */
int store_blob_put(evo_txn *t, const char *key, const void *data, size_t n);
void *store_blob_get(evo_txn *t, const char *key, size_t *n);
void *store_lookup_blob(evo_store *s, const char *key, size_t *n);
int store_save_blob(evo_store *s, const char *key, const void *data, size_t n); /* own txn */
#endif
