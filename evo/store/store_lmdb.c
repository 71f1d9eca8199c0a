/* store_lmdb.c -- the run store (store.h) on LMDB: one environment per run directory.
 *
 * DIR/store.mdb is a single LMDB file (MDB_NOSUBDIR; LMDB adds DIR/store.mdb-lock) holding
 * five named databases: meta, candidates, hashes, sources, blobs (older stores also hold an
 * "insights" database, left untouched: each record holds its insight). The engine writes
 * one transaction per batch of finished evaluations; `evo status` and friends read the same file from other
 * processes while a run goes on. DIR/lock, held with flock() by the one writer, turns a
 * second writer away with EVO_EBUSY and the holder's pid (store_guard.c).
 *
 * Robustness, in order of where it bites:
 *   - LMDB trusts its file: a foreign or truncated file can make it divide by zero or touch
 *     pages past the end of the map (SIGBUS). So the two meta pages are checked before
 *     mdb_env_open (store_guard.c), and only a file that looks like a whole LMDB
 *     environment reaches LMDB.
 *   - The map is fixed-size. It starts at 1 GiB and doubles before a write transaction
 *     begins whenever more than 80% is used (or a put failed with MDB_MAP_FULL), which LMDB
 *     allows only while this process has no transaction open. Read transactions from worker
 *     threads therefore pass a gate (active count + condition variable) that a resize closes.
 *   - Committed transactions survive kill -9 in every sync mode: the pages are in the page
 *     cache even when not yet on disk. Stale reader slots of dead processes are cleared at
 *     each writer open (mdb_reader_check); LMDB's robust mutexes recover the writer lock.
 *
 * Threads: MDB_NOTLS, so a read transaction belongs to its evo_txn, not to a thread;
 * store_lookup_* run on worker threads while the engine thread holds the write transaction.
 * One write transaction at a time per process (LMDB blocks a second until the first ends),
 * and a thread must not begin a write transaction while it holds another transaction.
 * Do not open the same store twice in one process: LMDB's fcntl locks on store.mdb-lock
 * are per process, so closing one handle would drop the other's.
 */
#include "errbuf.h"
#include "store.h"

#include "evo.h"
#include "store_format.h"
#include "store_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STORE_FILE "store.mdb"
#define INITIAL_MAPSIZE ((size_t)1 << 30)
#define RESIZE_WAIT_S 2 /* how long a resize waits for other threads' transactions */

enum { DB_META, DB_CANDIDATES, DB_HASHES, DB_SOURCES, DB_BLOBS, DB_COUNT };
static const char *const db_names[DB_COUNT] = {"meta", "candidates", "hashes", "sources", "blobs"};

struct evo_store {
    MDB_env *env;
    int env_open; /* mdb_env_open succeeded */
    MDB_dbi dbi[DB_COUNT];
    int rdonly;
    int is_new;
    int lock_fd;
    size_t psize;
    char dir[PATH_MAX];
    char path[PATH_MAX];

    /* The resize gate: transactions in flight, and whether a resize holds the gate. */
    pthread_mutex_t gate_mu;
    pthread_cond_t gate_cv;
    int active;
    int resizing;
    size_t grow_need; /* bytes the last MDB_MAP_FULL put wanted (under gate_mu) */

    pthread_mutex_t err_mu;
    char err[1024];
};

struct evo_txn {
    evo_store *s;
    MDB_txn *txn;
    int write;
    char first_err[512]; /* the error that broke a write transaction, for commit's message */
};

/* ---------------------------------------------------------------------------------------
 * Messages
 * ------------------------------------------------------------------------------------- */

static void set_err(evo_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(evo_store *s, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&s->err_mu);
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&s->err_mu);
}

const char *store_errmsg(const evo_store *s)
{
    return s ? s->err : "out of memory";
}

static int is_corruption(int rc)
{
    return rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID;
}

/* Record a failed LMDB call made for op (already formatted) and return EVO_ESTORE. A write
 * transaction that failed keeps the first message so commit can say why it cannot commit. */
static int lmdb_fail(evo_txn *t, evo_store *s, int rc, const char *op)
{
    if (is_corruption(rc))
        set_err(s, "store: %s: %s is corrupt: %s", op, s->path, mdb_strerror(rc));
    else if (rc == MDB_MAP_FULL)
        set_err(s, "store: %s: %s (the map grows before the next write transaction; retry it)", op,
                mdb_strerror(rc));
    else
        set_err(s, "store: %s: %s", op, mdb_strerror(rc));
    if (t && t->write && !t->first_err[0]) {
        pthread_mutex_lock(&s->err_mu);
        size_t n = strnlen(s->err, sizeof t->first_err - 1);
        memcpy(t->first_err, s->err, n);
        t->first_err[n] = 0;
        pthread_mutex_unlock(&s->err_mu);
    }
    return EVO_ESTORE;
}

/* ---------------------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------------------- */

static void id_key(unsigned char buf[8], int64_t id)
{
    uint64_t v = (uint64_t)id;
    for (int i = 7; i >= 0; i--) {
        buf[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static int64_t key_id(const MDB_val *k)
{
    if (k->mv_size != 8) return -1;
    const unsigned char *p = k->mv_data;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return (int64_t)v;
}

/* String keys must be non-empty and fit LMDB's key limit. */
static int check_key(evo_txn *t, const char *what, const char *key)
{
    if (!key || !key[0]) {
        set_err(t->s, "store: %s: empty key", what);
        return EVO_EINVAL;
    }
    size_t n = strlen(key);
    int max = mdb_env_get_maxkeysize(t->s->env);
    if (n > (size_t)max) {
        set_err(t->s, "store: %s '%.40s...': key is %zu bytes (at most %d)", what, key, n, max);
        return EVO_EINVAL;
    }
    return EVO_OK;
}

/* op names the operation and the id ("put candidate 0"). */
static int check_id(evo_txn *t, const char *op, int64_t id)
{
    if (id >= 1) return EVO_OK;
    set_err(t->s, "store: %s: id must be >= 1", op);
    return EVO_EINVAL;
}

static int check_write(evo_txn *t, const char *op)
{
    if (t->write) return EVO_OK;
    set_err(t->s, "store: %s: transaction is read-only", op);
    return EVO_EINVAL;
}

/* ---------------------------------------------------------------------------------------
 * Map growth: the gate every transaction passes, and the resize that closes it
 * ------------------------------------------------------------------------------------- */

static void gate_enter(evo_store *s)
{
    pthread_mutex_lock(&s->gate_mu);
    while (s->resizing)
        pthread_cond_wait(&s->gate_cv, &s->gate_mu);
    s->active++;
    pthread_mutex_unlock(&s->gate_mu);
}

static void gate_leave(evo_store *s)
{
    pthread_mutex_lock(&s->gate_mu);
    if (--s->active == 0) pthread_cond_broadcast(&s->gate_cv);
    pthread_mutex_unlock(&s->gate_mu);
}

/* Set the map size (0 = adopt the size another process wrote) once no transaction of this
 * process is open. If other threads keep theirs open past RESIZE_WAIT_S (or the caller holds
 * one itself), the resize is skipped: a later write may then report MDB_MAP_FULL, but
 * nothing deadlocks. Returns the LMDB code, or -1 when skipped. */
static int resize_map(evo_store *s, size_t size)
{
    struct timespec until;
    int rc = 0;
    pthread_mutex_lock(&s->gate_mu);
    while (s->resizing)
        pthread_cond_wait(&s->gate_cv, &s->gate_mu);
    s->resizing = 1;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += RESIZE_WAIT_S;
    while (s->active > 0 && rc == 0)
        rc = pthread_cond_timedwait(&s->gate_cv, &s->gate_mu, &until);
    if (s->active == 0) {
        rc = mdb_env_set_mapsize(s->env, size);
        if (rc == 0) s->grow_need = 0;
    } else {
        rc = -1;
    }
    s->resizing = 0;
    pthread_cond_broadcast(&s->gate_cv);
    pthread_mutex_unlock(&s->gate_mu);
    return rc;
}

/* Before a write transaction: double the map while more than 80% of it would be in use,
 * counting what a put that failed with MDB_MAP_FULL asked for. */
static int maybe_grow(evo_store *s)
{
    MDB_envinfo info;
    int dead;
    /* Slots of readers killed mid-read pin old pages and make the file grow; free them. */
    int rc = mdb_reader_check(s->env, &dead);
    if (rc) return lmdb_fail(NULL, s, rc, "clear stale readers");
    rc = mdb_env_info(s->env, &info);
    if (rc) return lmdb_fail(NULL, s, rc, "map size");
    pthread_mutex_lock(&s->gate_mu);
    size_t need = s->grow_need;
    pthread_mutex_unlock(&s->gate_mu);
    size_t used = ((size_t)info.me_last_pgno + 1) * s->psize + need;
    size_t size = info.me_mapsize;
    while (used > size / 5 * 4)
        size *= 2;
    if (size == info.me_mapsize) return EVO_OK;
    rc = resize_map(s, size);
    if (rc > 0 || rc < -1) {
        char op[64];
        snprintf(op, sizeof op, "grow map to %zu bytes", size);
        return lmdb_fail(NULL, s, rc, op);
    }
    return EVO_OK;
}

/* ---------------------------------------------------------------------------------------
 * Transactions
 * ------------------------------------------------------------------------------------- */

int store_begin(evo_store *s, int write, evo_txn **out)
{
    *out = NULL;
    if (write && s->rdonly) {
        set_err(s, "store: begin: %s is open read-only", s->dir);
        return EVO_EINVAL;
    }
    if (write && maybe_grow(s) != EVO_OK) return EVO_ESTORE;
    evo_txn *t = calloc(1, sizeof *t);
    if (!t) {
        set_err(s, "store: begin: out of memory");
        return EVO_ENOMEM;
    }
    t->s = s;
    t->write = write;
    for (int attempt = 0;; attempt++) {
        gate_enter(s);
        int rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
        if (rc == 0) break;
        gate_leave(s);
        /* Another process grew the map past ours: adopt its size and try again. */
        if (rc == MDB_MAP_RESIZED && attempt < 3 && resize_map(s, 0) == 0) continue;
        free(t);
        return lmdb_fail(NULL, s, rc, write ? "begin write transaction" : "begin read transaction");
    }
    *out = t;
    return EVO_OK;
}

int store_commit(evo_txn *t)
{
    evo_store *s = t->s;
    char first[sizeof t->first_err];
    memcpy(first, t->first_err, sizeof first);
    int rc = mdb_txn_commit(t->txn);
    gate_leave(s);
    free(t);
    if (rc == 0) return EVO_OK;
    if (first[0]) {
        set_err(s, "store: commit: transaction failed earlier: %s", first);
        return EVO_ESTORE;
    }
    return lmdb_fail(NULL, s, rc, "commit");
}

void store_abort(evo_txn *t)
{
    if (!t) return;
    evo_store *s = t->s;
    mdb_txn_abort(t->txn);
    gate_leave(s);
    free(t);
}

/* ---------------------------------------------------------------------------------------
 * Raw get and put
 * ------------------------------------------------------------------------------------- */

/* Put key -> value in db; on MDB_MAP_FULL remember the size so the next write grows. */
static int raw_put(evo_txn *t, int db, MDB_val *k, MDB_val *v, const char *op)
{
    int rc = mdb_put(t->txn, t->s->dbi[db], k, v, 0);
    if (rc == 0) return EVO_OK;
    if (rc == MDB_MAP_FULL) {
        pthread_mutex_lock(&t->s->gate_mu);
        t->s->grow_need += k->mv_size + v->mv_size + 4 * t->s->psize;
        pthread_mutex_unlock(&t->s->gate_mu);
    }
    return lmdb_fail(t, t->s, rc, op);
}

/* Get key from db: 1 found, 0 absent (message set), -1 on error (message set). */
static int raw_get(evo_txn *t, int db, MDB_val *k, MDB_val *v, const char *op)
{
    int rc = mdb_get(t->txn, t->s->dbi[db], k, v);
    if (rc == 0) return 1;
    if (rc == MDB_NOTFOUND) {
        set_err(t->s, "store: %s: not found", op);
        return 0;
    }
    lmdb_fail(t, t->s, rc, op);
    return -1;
}

static int put_json(evo_txn *t, int db, MDB_val *k, const json_t *value, const char *op)
{
    if (!value) {
        set_err(t->s, "store: %s: no value", op);
        return EVO_EINVAL;
    }
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        set_err(t->s, "store: %s: value cannot be encoded as JSON (NaN or infinity?)", op);
        return EVO_EINVAL;
    }
    MDB_val v = {strlen(text), text};
    int rc = raw_put(t, db, k, &v, op);
    free(text);
    return rc;
}

static json_t *parse_json(evo_store *s, const MDB_val *v, const char *op)
{
    json_error_t je;
    json_t *j = json_loadb(v->mv_data, v->mv_size, JSON_DECODE_ANY, &je);
    if (!j) set_err(s, "store: %s: bad JSON at byte %d: %s", op, je.position, je.text);
    return j;
}

static json_t *get_json(evo_txn *t, int db, MDB_val *k, const char *op)
{
    MDB_val v;
    if (raw_get(t, db, k, &v, op) != 1) return NULL;
    return parse_json(t->s, &v, op);
}

/* A malloc'd copy of v, NUL-terminated for text; NULL (message set) without memory. */
static void *copy_val(evo_store *s, const MDB_val *v, const char *op)
{
    char *p = malloc(v->mv_size + 1);
    if (!p) {
        set_err(s, "store: %s: out of memory (%zu bytes)", op, v->mv_size);
        return NULL;
    }
    memcpy(p, v->mv_data, v->mv_size);
    p[v->mv_size] = 0;
    return p;
}

/* The highest id key in db, 0 if none, -1 on error. */
static int64_t last_id(evo_txn *t, int db, const char *what)
{
    MDB_cursor *c;
    MDB_val k, v;
    char op[64];
    snprintf(op, sizeof op, "last %s", what);
    int rc = mdb_cursor_open(t->txn, t->s->dbi[db], &c);
    if (rc) {
        lmdb_fail(t, t->s, rc, op);
        return -1;
    }
    rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
    mdb_cursor_close(c);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) {
        lmdb_fail(t, t->s, rc, op);
        return -1;
    }
    int64_t id = key_id(&k);
    if (id < 1) {
        set_err(t->s, "store: %s: key of %zu bytes is not an id", op, k.mv_size);
        return -1;
    }
    return id;
}

/* ---------------------------------------------------------------------------------------
 * meta
 * ------------------------------------------------------------------------------------- */

int store_meta_put(evo_txn *t, const char *key, const json_t *value)
{
    char op[128];
    snprintf(op, sizeof op, "put meta '%.64s'", key ? key : "");
    int rc = check_write(t, op);
    if (rc == EVO_OK) rc = check_key(t, "put meta", key);
    if (rc) return rc;
    if (strcmp(key, "magic") == 0) {
        set_err(t->s, "store: %s: the key is reserved for the store format", op);
        return EVO_EINVAL;
    }
    MDB_val k = {strlen(key), (void *)key};
    return put_json(t, DB_META, &k, value, op);
}

int store_meta_put_text(evo_txn *t, const char *key, const char *json_text)
{
    char op[128];
    snprintf(op, sizeof op, "put meta '%.64s'", key ? key : "");
    int rc = check_write(t, op);
    if (rc == EVO_OK) rc = check_key(t, "put meta", key);
    if (rc) return rc;
    if (strcmp(key, "magic") == 0 || !json_text) {
        set_err(t->s, "store: %s: %s", op,
                json_text ? "the key is reserved for the store format" : "no value");
        return EVO_EINVAL;
    }
    MDB_val k = {strlen(key), (void *)key};
    MDB_val v = {strlen(json_text), (void *)json_text};
    return raw_put(t, DB_META, &k, &v, op);
}

json_t *store_meta_get(evo_txn *t, const char *key)
{
    if (check_key(t, "get meta", key)) return NULL;
    char op[128];
    snprintf(op, sizeof op, "get meta '%.64s'", key);
    MDB_val k = {strlen(key), (void *)key};
    return get_json(t, DB_META, &k, op);
}

/* ---------------------------------------------------------------------------------------
 * candidates: id -> JSON
 * ------------------------------------------------------------------------------------- */

static int put_by_id(evo_txn *t, int db, const char *what, int64_t id, const json_t *rec)
{
    char op[64];
    snprintf(op, sizeof op, "put %s %lld", what, (long long)id);
    int rc = check_write(t, op);
    if (rc == EVO_OK) rc = check_id(t, op, id);
    if (rc) return rc;
    unsigned char kb[8];
    id_key(kb, id);
    MDB_val k = {8, kb};
    return put_json(t, db, &k, rec, op);
}

static json_t *get_by_id(evo_txn *t, int db, const char *what, int64_t id)
{
    char op[64];
    snprintf(op, sizeof op, "get %s %lld", what, (long long)id);
    if (check_id(t, op, id)) return NULL;
    unsigned char kb[8];
    id_key(kb, id);
    MDB_val k = {8, kb};
    return get_json(t, db, &k, op);
}

int store_cand_put(evo_txn *t, int64_t id, const json_t *rec)
{
    return put_by_id(t, DB_CANDIDATES, "candidate", id, rec);
}

json_t *store_cand_get(evo_txn *t, int64_t id)
{
    return get_by_id(t, DB_CANDIDATES, "candidate", id);
}

int64_t store_cand_last(evo_txn *t)
{
    return last_id(t, DB_CANDIDATES, "candidate");
}

/* Returns EVO_OK after the last id or when fn asked to stop; EVO_ESTORE if a record cannot
 * be read. rec is borrowed: fn takes a reference (json_incref) to keep it. */
int store_cand_each(evo_txn *t, int64_t from, int (*fn)(void *user, int64_t id, json_t *rec),
                    void *user)
{
    MDB_cursor *c;
    unsigned char kb[8];
    id_key(kb, from < 1 ? 1 : from);
    MDB_val k = {8, kb}, v;
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_CANDIDATES], &c);
    if (rc) return lmdb_fail(t, t->s, rc, "iterate candidates");
    int status = EVO_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        char op[64];
        int64_t id = key_id(&k);
        snprintf(op, sizeof op, "iterate candidates: candidate %lld", (long long)id);
        if (id < 1) {
            set_err(t->s, "store: iterate candidates: key of %zu bytes is not an id", k.mv_size);
            status = EVO_ESTORE;
            break;
        }
        json_t *rec = parse_json(t->s, &v, op);
        if (!rec) {
            status = EVO_ESTORE;
            break;
        }
        int stop = fn(user, id, rec);
        json_decref(rec);
        if (stop) break;
    }
    mdb_cursor_close(c);
    if (status == EVO_OK && rc != 0 && rc != MDB_NOTFOUND)
        status = lmdb_fail(t, t->s, rc, "iterate candidates");
    return status;
}

/* ---------------------------------------------------------------------------------------
 * hashes: genome hash -> id
 * ------------------------------------------------------------------------------------- */

int store_hash_put(evo_txn *t, const char *hash, int64_t id)
{
    char op[128];
    snprintf(op, sizeof op, "put hash '%.64s'", hash ? hash : "");
    int rc = check_write(t, op);
    if (rc == EVO_OK) rc = check_key(t, "put hash", hash);
    if (rc == EVO_OK) rc = check_id(t, op, id);
    if (rc) return rc;
    unsigned char vb[8];
    id_key(vb, id);
    MDB_val k = {strlen(hash), (void *)hash}, v = {8, vb};
    return raw_put(t, DB_HASHES, &k, &v, op);
}

int64_t store_hash_get(evo_txn *t, const char *hash)
{
    if (check_key(t, "get hash", hash)) return 0;
    char op[128];
    snprintf(op, sizeof op, "get hash '%.64s'", hash);
    MDB_val k = {strlen(hash), (void *)hash}, v;
    if (raw_get(t, DB_HASHES, &k, &v, op) != 1) return 0;
    int64_t id = key_id(&v);
    if (id < 1) {
        set_err(t->s, "store: %s: value of %zu bytes is not an id", op, v.mv_size);
        return 0;
    }
    return id;
}

int64_t store_lookup_hash(evo_store *s, const char *hash)
{
    evo_txn *t;
    if (store_begin(s, 0, &t)) return 0;
    int64_t id = store_hash_get(t, hash);
    store_abort(t);
    return id;
}

/* ---------------------------------------------------------------------------------------
 * sources and blobs: raw bytes
 * ------------------------------------------------------------------------------------- */

static int put_bytes(evo_txn *t, int db, const char *what, const char *key, const void *data,
                     size_t n)
{
    char op[128];
    snprintf(op, sizeof op, "put %s", what);
    int rc = check_key(t, op, key);
    snprintf(op, sizeof op, "put %s '%.64s'", what, key ? key : "");
    if (rc == EVO_OK) rc = check_write(t, op);
    if (rc) return rc;
    if (!data && n) {
        set_err(t->s, "store: %s: no data", op);
        return EVO_EINVAL;
    }
    MDB_val k = {strlen(key), (void *)key}, v = {n, (void *)(n ? data : "")};
    return raw_put(t, db, &k, &v, op);
}

static void *get_bytes(evo_txn *t, int db, const char *what, const char *key, size_t *n)
{
    char op[128];
    if (n) *n = 0;
    snprintf(op, sizeof op, "get %s", what);
    if (check_key(t, op, key)) return NULL;
    snprintf(op, sizeof op, "get %s '%.64s'", what, key);
    MDB_val k = {strlen(key), (void *)key}, v;
    if (raw_get(t, db, &k, &v, op) != 1) return NULL;
    void *p = copy_val(t->s, &v, op);
    if (p && n) *n = v.mv_size;
    return p;
}

int store_source_put(evo_txn *t, const char *sha, const char *text)
{
    if (!text) {
        set_err(t->s, "store: put source '%.64s': no text", sha ? sha : "");
        return EVO_EINVAL;
    }
    return put_bytes(t, DB_SOURCES, "source", sha, text, strlen(text));
}

char *store_source_get(evo_txn *t, const char *sha)
{
    return get_bytes(t, DB_SOURCES, "source", sha, NULL);
}

int store_blob_put(evo_txn *t, const char *key, const void *data, size_t n)
{
    return put_bytes(t, DB_BLOBS, "blob", key, data, n);
}

void *store_blob_get(evo_txn *t, const char *key, size_t *n)
{
    return get_bytes(t, DB_BLOBS, "blob", key, n);
}

void *store_lookup_blob(evo_store *s, const char *key, size_t *n)
{
    evo_txn *t;
    if (n) *n = 0;
    if (store_begin(s, 0, &t)) return NULL;
    void *p = store_blob_get(t, key, n);
    store_abort(t);
    return p;
}

int store_save_blob(evo_store *s, const char *key, const void *data, size_t n)
{
    evo_txn *t;
    int rc = store_begin(s, 1, &t);
    if (rc) return rc;
    rc = store_blob_put(t, key, data, n);
    if (rc) {
        store_abort(t);
        return rc;
    }
    return store_commit(t);
}

/* ---------------------------------------------------------------------------------------
 * Opening: paths, the environment, the magic (the lock and the header check: store_guard.c)
 * ------------------------------------------------------------------------------------- */

/* mkdir -p dir; 0 or errno. */
static int make_dirs(const char *dir)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p) continue;
        char c = *p;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return errno;
        *p = c;
        if (!c) break;
    }
    struct stat st;
    if (stat(dir, &st) != 0) return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

static int sync_flags(const char *sync, unsigned *flags)
{
    if (!sync || !*sync || strcmp(sync, "full") == 0)
        *flags = 0;
    else if (strcmp(sync, "meta") == 0)
        *flags = MDB_NOMETASYNC;
    else if (strcmp(sync, "none") == 0)
        *flags = MDB_NOSYNC;
    else
        return -1;
    return 0;
}

/* The initial map size: 1 GiB, the size the file last used if larger, or (a test hook)
 * EVO_STORE_INITIAL_MAPSIZE bytes. */
static size_t initial_mapsize(const store_header *h)
{
    size_t size = INITIAL_MAPSIZE;
    const char *env = getenv("EVO_STORE_INITIAL_MAPSIZE");
    if (env && *env) {
        char *end;
        unsigned long long v = strtoull(env, &end, 10);
        if (!*end && v >= 65536) size = (size_t)v;
    }
    if (h && h->mapsize > size) size = (size_t)h->mapsize;
    return size;
}

/* An LMDB call made while opening failed: "store: OP (PATH): ERROR", or for damage
 * LMDB detected, "store: OP: PATH is corrupt: ERROR". */
static int env_fail(evo_store *s, char *err, size_t errlen, int rc, const char *op)
{
    if (is_corruption(rc))
        return errbuf_set(err, errlen, EVO_ESTORE, "store: %s: %s is corrupt: %s", op, s->path,
                          mdb_strerror(rc));
    return errbuf_set(err, errlen, EVO_ESTORE, "store: %s (%s): %s", op, s->path, mdb_strerror(rc));
}

static int open_env(evo_store *s, const store_header *h, unsigned sflags, char *err, size_t errlen)
{
    int rc = mdb_env_create(&s->env);
    if (rc)
        return errbuf_set(err, errlen, EVO_ESTORE, "store: create environment: %s",
                          mdb_strerror(rc));
    const char *step = "set max databases";
    rc = mdb_env_set_maxdbs(s->env, DB_COUNT + 2);
    if (rc == 0) {
        step = "set max readers";
        rc = mdb_env_set_maxreaders(s->env, 256);
    }
    if (rc == 0) {
        step = "set map size";
        rc = mdb_env_set_mapsize(s->env, initial_mapsize(h));
    }
    unsigned flags = MDB_NOSUBDIR | MDB_NOTLS | sflags | (s->rdonly ? MDB_RDONLY : 0);
    if (rc == 0) {
        step = "open";
        rc = mdb_env_open(s->env, s->path, flags, 0644);
    }
    s->env_open = rc == 0;
    if (rc == MDB_INVALID)
        return errbuf_set(err, errlen, EVO_ESTORE, "%s: not an LMDB file (bad header)", s->path);
    if (rc) return env_fail(s, err, errlen, rc, step);
    MDB_stat st;
    rc = mdb_env_stat(s->env, &st);
    if (rc) return env_fail(s, err, errlen, rc, "stat");
    s->psize = st.ms_psize;
    if (!s->rdonly) {
        int dead;
        rc = mdb_reader_check(s->env, &dead);
        if (rc) return env_fail(s, err, errlen, rc, "clear stale readers");
    }
    return EVO_OK;
}

/* Check the "magic" key of an open meta db: EVO_OK or EVO_ESTORE with the message. */
static int check_magic(evo_store *s, MDB_txn *txn, MDB_dbi meta, char *err, size_t errlen)
{
    MDB_val k = {5, "magic"}, v;
    int rc = mdb_get(txn, meta, &k, &v);
    if (rc == MDB_NOTFOUND)
        return errbuf_set(err, errlen, EVO_ESTORE, "%s: not an evo run store (no magic key)",
                          s->dir);
    if (rc) return env_fail(s, err, errlen, rc, "read magic");
    json_t *j = json_loadb(v.mv_data, v.mv_size, JSON_DECODE_ANY, NULL);
    char found[72];
    if (json_is_string(j)) {
        snprintf(found, sizeof found, "%.64s", json_string_value(j));
    } else {
        size_t n = v.mv_size < 64 ? v.mv_size : 64;
        for (size_t i = 0; i < n; i++) {
            char c = ((const char *)v.mv_data)[i];
            found[i] = (c >= 32 && c < 127) ? c : '?';
        }
        found[n] = 0;
    }
    int ok = json_is_string(j) && strcmp(json_string_value(j), EVO_STORE_MAGIC) == 0;
    json_decref(j);
    if (ok) return EVO_OK;
    return errbuf_set(err, errlen, EVO_ESTORE,
                      "%s: store format '%s' is not supported (expected " EVO_STORE_MAGIC ")",
                      s->dir, found);
}

/* In a write transaction on an environment that has no meta db yet: create every db and
 * the magic. Only an empty environment qualifies (a fresh file, or a creation that died
 * before its first commit); anything else is someone else's data. */
static int create_layout(evo_store *s, MDB_txn *txn, int may_create, char *err, size_t errlen)
{
    MDB_stat st;
    MDB_dbi main_db;
    int rc = mdb_dbi_open(txn, NULL, 0, &main_db);
    if (rc == 0) rc = mdb_stat(txn, main_db, &st);
    if (rc) return env_fail(s, err, errlen, rc, "stat main database");
    if (st.ms_entries != 0 || !may_create)
        return errbuf_set(err, errlen, EVO_ESTORE, "%s: not an evo run store (no magic key)",
                          s->dir);
    for (int i = 0; i < DB_COUNT; i++) {
        rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE, &s->dbi[i]);
        if (rc) {
            char op[64];
            snprintf(op, sizeof op, "create database '%s'", db_names[i]);
            return env_fail(s, err, errlen, rc, op);
        }
    }
    const char *magic = "\"" EVO_STORE_MAGIC "\"";
    MDB_val k = {5, "magic"}, v = {strlen(magic), (void *)magic};
    rc = mdb_put(txn, s->dbi[DB_META], &k, &v, 0);
    if (rc) return env_fail(s, err, errlen, rc, "write magic");
    s->is_new = 1;
    return EVO_OK;
}

/* Open the named dbs, checking or (for a new run) writing the magic. */
static int open_layout(evo_store *s, int may_create, char *err, size_t errlen)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, s->rdonly ? MDB_RDONLY : 0, &txn);
    if (rc) return env_fail(s, err, errlen, rc, "begin transaction");
    rc = mdb_dbi_open(txn, db_names[DB_META], 0, &s->dbi[DB_META]);
    int status;
    if (rc == MDB_NOTFOUND && !s->rdonly)
        status = create_layout(s, txn, may_create, err, errlen);
    else if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
        status =
            errbuf_set(err, errlen, EVO_ESTORE, "%s: not an evo run store (no magic key)", s->dir);
    else if (rc)
        status = env_fail(s, err, errlen, rc, "open database 'meta'");
    else
        status = check_magic(s, txn, s->dbi[DB_META], err, errlen);
    for (int i = 1; i < DB_COUNT && status == EVO_OK && !s->is_new; i++) {
        rc = mdb_dbi_open(txn, db_names[i], s->rdonly ? 0 : MDB_CREATE, &s->dbi[i]);
        if (rc == MDB_NOTFOUND)
            status = errbuf_set(err, errlen, EVO_ESTORE,
                                "%s: not an evo run store (no '%s' database)", s->dir, db_names[i]);
        else if (rc) {
            char op[64];
            snprintf(op, sizeof op, "open database '%s'", db_names[i]);
            status = env_fail(s, err, errlen, rc, op);
        }
    }
    if (status != EVO_OK) {
        mdb_txn_abort(txn);
        return status;
    }
    /* Commit even a read transaction: that is what keeps its db handles open. */
    rc = mdb_txn_commit(txn);
    if (rc) return env_fail(s, err, errlen, rc, "commit layout");
    return EVO_OK;
}

static evo_store *store_alloc(void)
{
    evo_store *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->lock_fd = -1;
    pthread_mutex_init(&s->gate_mu, NULL);
    pthread_cond_init(&s->gate_cv, NULL);
    pthread_mutex_init(&s->err_mu, NULL);
    return s;
}

/* Where the file stands: 1 present, 0 absent, or an error code with the message. A
 * zero-length file counts as absent when may_create: it is a creation that died between
 * LMDB creating the file and writing its first pages, and LMDB initialises it as new. */
static int stat_store(evo_store *s, int may_create, char *err, size_t errlen)
{
    struct stat st;
    if (stat(s->path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return 0;
        return -errbuf_set(err, errlen, EVO_EIO, "%s: %s", s->path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return -errbuf_set(err, errlen, EVO_ESTORE, "%s: not an LMDB file (is a directory)",
                           s->path);
    if (!S_ISREG(st.st_mode))
        return -errbuf_set(err, errlen, EVO_ESTORE, "%s: not an LMDB file (not a regular file)",
                           s->path);
    return (st.st_size == 0 && may_create) ? 0 : 1;
}

static int open_store(evo_store *s, const char *dir, int flags, const char *sync, char *err,
                      size_t errlen)
{
    unsigned sflags;
    if (sync_flags(sync, &sflags))
        return errbuf_set(err, errlen, EVO_EINVAL,
                          "store: unknown sync mode '%s' (expected full, meta or none)", sync);
    if (!dir || !*dir) return errbuf_set(err, errlen, EVO_EINVAL, "store: no run directory given");
    if (strlen(dir) + sizeof "/" STORE_FILE "-lock" > sizeof s->path)
        return errbuf_set(err, errlen, EVO_EINVAL, "store: run directory path too long: %.64s...",
                          dir);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(s->path, sizeof s->path, "%s/" STORE_FILE, dir);
    s->rdonly = (flags & STORE_RDONLY) != 0;
    int may_create = (flags & STORE_CREATE) && !(flags & STORE_EXISTING) && !s->rdonly;

    int exists = stat_store(s, 0, err, errlen);
    if (exists < 0) return -exists;
    if (!exists && !may_create)
        return errbuf_set(err, errlen, EVO_ENOTFOUND, "%s: no run here (no " STORE_FILE ")", dir);
    if (!exists) {
        int e = make_dirs(dir);
        if (e)
            return errbuf_set(err, errlen, EVO_EIO, "%s: cannot create directory: %s", dir,
                              strerror(e));
    }
    int rc;
    if (!s->rdonly && (rc = store_take_lock(s->dir, &s->lock_fd, err, errlen)) != EVO_OK) return rc;
    /* Under the lock the file cannot appear or change behind us (readers aside). */
    exists = stat_store(s, may_create, err, errlen);
    if (exists < 0) return -exists;
    if (!exists && !may_create)
        return errbuf_set(err, errlen, EVO_ENOTFOUND, "%s: no run here (no " STORE_FILE ")", dir);
    store_header h;
    if (exists && (rc = store_check_header(s->path, &h, err, errlen)) != EVO_OK) return rc;
    if ((rc = open_env(s, exists ? &h : NULL, sflags, err, errlen)) != EVO_OK) return rc;
    return open_layout(s, may_create, err, errlen);
}

int store_open(evo_store **out, const char *dir, int flags, const char *sync, char *err,
               size_t errlen)
{
    *out = NULL;
    if (err && errlen) err[0] = 0;
    evo_store *s = store_alloc();
    if (!s) return errbuf_set(err, errlen, EVO_ENOMEM, "store: out of memory");
    int rc = open_store(s, dir, flags, sync, err, errlen);
    if (rc != EVO_OK) {
        store_close(s);
        return rc;
    }
    *out = s;
    return EVO_OK;
}

void store_close(evo_store *s)
{
    if (!s) return;
    if (s->env) {
        /* Without per-commit syncs, a clean close still leaves the data on disk. */
        if (s->env_open && !s->rdonly) mdb_env_sync(s->env, 1);
        mdb_env_close(s->env);
    }
    store_release_lock(&s->lock_fd);
    pthread_mutex_destroy(&s->gate_mu);
    pthread_cond_destroy(&s->gate_cv);
    pthread_mutex_destroy(&s->err_mu);
    free(s);
}

int store_is_new(const evo_store *s)
{
    return s ? s->is_new : 0;
}
