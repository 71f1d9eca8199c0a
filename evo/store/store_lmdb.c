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
#include "store_seal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define STORE_FILE "store.mdb"
#define RUN_ID_FILE "run_id"
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
    int sealed;       /* evo-store-2: every value carries its checksum (store_seal.h) */
    int guarded;      /* STORE_GUARDED: reads run under the fault guard */
    size_t file_size; /* the file's size when last looked at (atomic): it only grows */
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
    char damage[1024]; /* the first damage any read of this handle found (under err_mu) */
};

struct evo_txn {
    evo_store *s;
    MDB_txn *txn;
    int write;
    char first_err[512]; /* the error that broke a write transaction, for commit's message */
    char damage[512];    /* the first damage a read of this transaction found */
    int first_code;      /* first_err's code */
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

/* A read found damage (the message is in s->err): remember it in the transaction, which can
 * then no longer commit (nothing may be written from what a damaged read returned), and in
 * the handle, so that a caller that took a NULL for "absent" can still learn it was not. */
static void note_damage(evo_txn *t, evo_store *s)
{
    pthread_mutex_lock(&s->err_mu);
    if (t && !t->damage[0]) {
        size_t n = strnlen(s->err, sizeof t->damage - 1);
        memcpy(t->damage, s->err, n);
        t->damage[n] = 0;
    }
    if (!s->damage[0]) memcpy(s->damage, s->err, sizeof s->damage);
    pthread_mutex_unlock(&s->err_mu);
}

const char *store_damage(evo_store *s)
{
    if (!s) return NULL;
    pthread_mutex_lock(&s->err_mu);
    const char *d = s->damage[0] ? s->damage : NULL;
    pthread_mutex_unlock(&s->err_mu);
    return d;
}

/* What a failed LMDB call means: a system error (LMDB passes errno through: ENOSPC, EACCES,
 * EIO...) or a full map is the machine's, EVO_EIO; LMDB's own codes are the store's,
 * EVO_ESTORE. */
static int lmdb_code(int rc)
{
    return (rc > 0 || rc == MDB_MAP_FULL) ? EVO_EIO : EVO_ESTORE;
}

/* The errno's name and what it means for the run, for a system error; "" otherwise. */
static const char *sys_hint(int rc)
{
    switch (rc) {
    case ENOSPC:
        return " (ENOSPC: the disk is full; what was committed before is kept: free some space "
               "and resume the run)";
    case EDQUOT:
        return " (EDQUOT: the disk quota is used up; what was committed before is kept: free "
               "some space and resume the run)";
    case EACCES:
        return " (EACCES: permission denied on the run directory or its files)";
    case EPERM:
        return " (EPERM: the file may not be written: read-only or immutable)";
    case EROFS:
        return " (EROFS: the file system is read-only)";
    case EIO:
        return " (EIO: the device reported an I/O error; what was committed before is kept)";
    case ENOMEM:
        return " (ENOMEM: out of memory or address space for the map)";
    case EFBIG:
        return " (EFBIG: the file would exceed the size limit)";
    default:
        return "";
    }
}

/* Record a failed LMDB call made for op (already formatted) and return its code
 * (lmdb_code). A write transaction that failed keeps the first message and code so commit
 * can say why it cannot commit. */
static int lmdb_fail(evo_txn *t, evo_store *s, int rc, const char *op)
{
    if (is_corruption(rc)) {
        set_err(s, "store: %s: %s is corrupt: %s", op, s->path, mdb_strerror(rc));
        note_damage(t, s);
    } else if (rc == MDB_MAP_FULL) {
        set_err(s,
                "store: %s: %s (MDB_MAP_FULL: the map grows before the next write transaction; "
                "what was committed before is kept: retry it)",
                op, mdb_strerror(rc));
    } else {
        /* LMDB turns a short write into EIO: on a full disk that is ENOSPC in disguise. */
        struct statvfs vfs;
        if (rc == EIO && statvfs(s->dir, &vfs) == 0 &&
            (uint64_t)vfs.f_bavail * vfs.f_frsize < 4 * (uint64_t)(s->psize ? s->psize : 4096))
            set_err(s, "store: %s: %s: a write came up short and the disk has %llu bytes free%s",
                    op, s->path, (unsigned long long)vfs.f_bavail * vfs.f_frsize, sys_hint(ENOSPC));
        else
            set_err(s, "store: %s: %s: %s%s", op, s->path, mdb_strerror(rc), sys_hint(rc));
    }
    if (t && t->write && !t->first_err[0]) {
        pthread_mutex_lock(&s->err_mu);
        size_t n = strnlen(s->err, sizeof t->first_err - 1);
        memcpy(t->first_err, s->err, n);
        t->first_err[n] = 0;
        t->first_code = lmdb_code(rc);
        pthread_mutex_unlock(&s->err_mu);
    }
    return lmdb_code(rc);
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

/* What a seal binds (store_format.h): the database's name, a NUL, then the key, so a record
 * read from the wrong database (a damaged database record) fails its check like a moved
 * one. Keys are at most 511 bytes (LMDB's limit). */
#define SEAL_KEY_MAX (16 + 512)
static size_t seal_key(int db, const void *key, size_t klen, unsigned char buf[SEAL_KEY_MAX])
{
    size_t n = strlen(db_names[db]) + 1;
    memcpy(buf, db_names[db], n);
    if (klen > SEAL_KEY_MAX - n) klen = SEAL_KEY_MAX - n;
    if (klen) memcpy(buf + n, key, klen);
    return n + klen;
}

/* How a damage message names a record: "candidate #69", "meta 'state/counters'". */
static void record_name(int db, const MDB_val *k, char *buf, size_t n)
{
    static const char *const kinds[DB_COUNT] = {"meta", "candidate", "hash", "source", "blob"};
    if (db == DB_CANDIDATES) {
        snprintf(buf, n, "candidate #%lld", (long long)key_id(k));
        return;
    }
    char key[72];
    size_t m = k->mv_size < 64 ? k->mv_size : 64;
    for (size_t i = 0; i < m; i++) {
        char c = ((const char *)k->mv_data)[i];
        key[i] = (c >= 32 && c < 127) ? c : '?';
    }
    key[m] = 0;
    snprintf(buf, n, "%s '%s%s'", kinds[db], key, k->mv_size > 64 ? "..." : "");
}

/* A value LMDB handed back, before anyone reads it: it must lie inside the file (a damaged
 * page can point past its end, a SIGBUS when touched), and in a sealed store its checksum
 * must hold; the trailer is then stripped from v. EVO_OK, or EVO_ESTORE naming the record. */
static int check_value(evo_txn *t, int db, const MDB_val *k, MDB_val *v)
{
    evo_store *s = t->s;
    char name[112];
    MDB_envinfo info;
    if (mdb_env_info(s->env, &info) == 0 && info.me_mapaddr) {
        const char *map = info.me_mapaddr, *p = v->mv_data;
        /* Pages a write transaction dirtied live on the heap, not in the map. The file's size
         * is looked up again only when a value reaches past the size last seen. */
        size_t end = (size_t)(p - map), size = __atomic_load_n(&s->file_size, __ATOMIC_RELAXED);
        int in_map = p >= map && p < map + info.me_mapsize;
        if (in_map && (v->mv_size > size || end > size - v->mv_size)) {
            struct stat st;
            int fd;
            if (mdb_env_get_fd(s->env, &fd) == 0 && fstat(fd, &st) == 0) {
                size = (size_t)st.st_size;
                __atomic_store_n(&s->file_size, size, __ATOMIC_RELAXED);
            }
        }
        if (in_map && (v->mv_size > size || end > size - v->mv_size)) {
            record_name(db, k, name, sizeof name);
            set_err(s, "%s: %s: damaged page (the value points past the end of the file)", s->path,
                    name);
            note_damage(t, s);
            return EVO_ESTORE;
        }
    }
    if (!s->sealed) return EVO_OK;
    size_t n;
    unsigned char sk[SEAL_KEY_MAX];
    size_t skn = seal_key(db, k->mv_data, k->mv_size, sk);
    int rc = seal_check(sk, skn, v->mv_data, v->mv_size, &n);
    if (rc == SEAL_OK) {
        v->mv_size = n;
        return EVO_OK;
    }
    record_name(db, k, name, sizeof name);
    set_err(s, "%s: %s: checksum mismatch (%s)", s->path, name,
            rc == SEAL_MISSING ? "no checksum: the value was cut or overwritten"
                               : "its bytes changed after they were written");
    note_damage(t, s);
    return EVO_ESTORE;
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
    int grown = write ? maybe_grow(s) : EVO_OK;
    if (grown != EVO_OK) return grown;
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

/* A test hook for machines where no small file system can be filled (no root for a tmpfs):
 * EVO_STORE_TEST_FAIL="N:ENOSPC" (or EDQUOT, EIO) makes the N-th and every later write
 * commit of this process fail with that error, as LMDB reports a full disk: the transaction
 * is not written. tests/test_store_damage.c uses it; nothing else sets it. */
static int test_commit_failure(void)
{
    static int n, at = -1, code;
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&mu);
    if (at < 0) {
        const char *env = getenv("EVO_STORE_TEST_FAIL");
        char name[16] = "";
        at = 0;
        if (env && sscanf(env, "%d:%15s", &at, name) == 2 && at > 0) {
            code = strcmp(name, "ENOSPC") == 0   ? ENOSPC
                   : strcmp(name, "EDQUOT") == 0 ? EDQUOT
                   : strcmp(name, "EIO") == 0    ? EIO
                                                 : 0;
            if (!code) at = 0;
        } else {
            at = 0;
        }
    }
    int rc = at > 0 && ++n >= at ? code : 0;
    pthread_mutex_unlock(&mu);
    return rc;
}

int store_commit(evo_txn *t)
{
    evo_store *s = t->s;
    int injected = t->write ? test_commit_failure() : 0;
    if (injected) {
        store_abort(t);
        return lmdb_fail(NULL, s, injected, "commit");
    }
    if (t->damage[0]) {
        char damage[sizeof t->damage];
        memcpy(damage, t->damage, sizeof damage);
        store_abort(t);
        set_err(s, "store: commit refused: a read in the transaction found damage: %s", damage);
        return EVO_ESTORE;
    }
    char first[sizeof t->first_err];
    memcpy(first, t->first_err, sizeof first);
    int first_code = t->first_code;
    int rc = mdb_txn_commit(t->txn);
    gate_leave(s);
    free(t);
    if (rc == 0) return EVO_OK;
    if (first[0]) {
        set_err(s, "store: commit: transaction failed earlier: %s", first);
        return first_code ? first_code : EVO_ESTORE;
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

/* A put failed: on MDB_MAP_FULL remember the size so the next write transaction grows. */
static int put_failed(evo_txn *t, MDB_val *k, MDB_val *v, int rc, const char *op)
{
    if (rc == MDB_MAP_FULL) {
        pthread_mutex_lock(&t->s->gate_mu);
        t->s->grow_need += k->mv_size + v->mv_size + 4 * t->s->psize;
        pthread_mutex_unlock(&t->s->gate_mu);
    }
    return lmdb_fail(t, t->s, rc, op);
}

/* Put key -> value in db (sealed in an evo-store-2); on MDB_MAP_FULL remember the size so
 * the next write grows. */
static int raw_put(evo_txn *t, int db, MDB_val *k, MDB_val *v, const char *op)
{
    if (!t->s->sealed) {
        int rc = mdb_put(t->txn, t->s->dbi[db], k, v, 0);
        if (rc == 0) return EVO_OK;
        return put_failed(t, k, v, rc, op);
    }
    /* Sealed: reserve the payload and its trailer in place, then fill them. */
    if (v->mv_size > SIZE_MAX - SEAL_BYTES) {
        set_err(t->s, "store: %s: value too large", op);
        return EVO_EINVAL;
    }
    MDB_val r = {v->mv_size + SEAL_BYTES, NULL};
    int rc = mdb_put(t->txn, t->s->dbi[db], k, &r, MDB_RESERVE);
    if (rc) return put_failed(t, k, v, rc, op);
    if (v->mv_size) memcpy(r.mv_data, v->mv_data, v->mv_size);
    unsigned char sk[SEAL_KEY_MAX];
    size_t skn = seal_key(db, k->mv_data, k->mv_size, sk);
    seal_make(sk, skn, v->mv_data, v->mv_size, (unsigned char *)r.mv_data + v->mv_size);
    return EVO_OK;
}

/* ---- the fault guard (STORE_GUARDED) ----
 * LMDB trusts its pages: a damaged one can send it past the end of the map or the file
 * (SIGSEGV, SIGBUS). A guarded store (`evo verify`, one thread, read-only) runs each read
 * under sigsetjmp, and a fault during it jumps back as an error naming the record. A fault
 * outside a guarded read goes to the handler that was there before. */
static __thread sigjmp_buf *fault_jb;
static struct sigaction fault_old[2];
static int fault_installed;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
    (void)si, (void)uc;
    if (fault_jb) siglongjmp(*fault_jb, sig);
    /* Not a guarded read: put the previous action back; the fault repeats under it. */
    sigaction(sig, &fault_old[sig == SIGSEGV], NULL);
}

static void fault_guard_install(void)
{
    if (fault_installed++) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &fault_old[0]);
    sigaction(SIGSEGV, &sa, &fault_old[1]);
}

static void fault_guard_remove(void)
{
    if (!fault_installed || --fault_installed) return;
    sigaction(SIGBUS, &fault_old[0], NULL);
    sigaction(SIGSEGV, &fault_old[1], NULL);
}

enum { OP_GET, OP_CURSOR };
/* guarded_read's own results, beside LMDB's codes (0, MDB_*, errno values). */
#define READ_BAD (-1)   /* check_value refused what LMDB returned */
#define READ_FAULT (-2) /* a SIGBUS or SIGSEGV inside the read */

/* mdb_get or mdb_cursor_get, then check_value on what it found, under the guard when the
 * store has one. Returns the LMDB code (0 found); a failed check is READ_BAD, a fault
 * READ_FAULT, with the message set and the damage noted. */
static int guarded_read(evo_txn *t, int db, int kind, MDB_cursor *c, MDB_cursor_op cop, MDB_val *k,
                        MDB_val *v)
{
    evo_store *s = t->s;
    sigjmp_buf jb;
    volatile int rc = 0;
    if (s->guarded) {
        int sig = sigsetjmp(jb, 1);
        if (sig) {
            fault_jb = NULL;
            char name[112] = "a record";
            if (kind == OP_GET) record_name(db, k, name, sizeof name);
            set_err(s, "%s: %s database: reading %s hit a damaged page (%s inside LMDB)", s->path,
                    db_names[db], name, sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
            note_damage(t, s);
            return READ_FAULT;
        }
        fault_jb = &jb;
    }
    rc = kind == OP_GET ? mdb_get(t->txn, s->dbi[db], k, v) : mdb_cursor_get(c, k, v, cop);
    if (rc == 0 && check_value(t, db, k, v) != EVO_OK) rc = READ_BAD;
    fault_jb = NULL;
    return rc;
}

/* Get key from db: 1 found, 0 absent (message set), -1 on error (message set). */
/* A key that is not found may be one whose bytes were damaged: the record still sits where
 * the key sorts, under another key, and its seal (made with the right key) fails there. So
 * in a sealed store a miss looks at the records on either side of where the key would be;
 * one that fails its check makes the miss an error naming it (EVO_ESTORE, damage noted)
 * instead of an absence. EVO_OK when both neighbours are sound. */
static int miss_check(evo_txn *t, int db, const MDB_val *key)
{
    MDB_cursor *c;
    if (!t->s->sealed || mdb_cursor_open(t->txn, t->s->dbi[db], &c) != 0) return EVO_OK;
    MDB_val k = *key, v;
    int rc = guarded_read(t, db, OP_CURSOR, c, MDB_SET_RANGE, &k, &v);
    if (rc == 0 || rc == MDB_NOTFOUND)
        rc = guarded_read(t, db, OP_CURSOR, c, rc == 0 ? MDB_PREV : MDB_LAST, &k, &v);
    mdb_cursor_close(c);
    return (rc == READ_BAD || rc == READ_FAULT) ? EVO_ESTORE : EVO_OK;
}

static int raw_get(evo_txn *t, int db, MDB_val *k, MDB_val *v, const char *op)
{
    int rc = guarded_read(t, db, OP_GET, NULL, 0, k, v);
    if (rc == 0) return 1;
    if (rc == READ_BAD || rc == READ_FAULT) return -1;
    if (rc == MDB_NOTFOUND && miss_check(t, db, k) != EVO_OK) {
        char damage[sizeof t->s->err];
        pthread_mutex_lock(&t->s->err_mu);
        memcpy(damage, t->s->err, sizeof damage);
        pthread_mutex_unlock(&t->s->err_mu);
        set_err(t->s, "store: %s: not found, beside a damaged record (perhaps this one): %s", op,
                damage);
        return -1;
    }
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
    /* The value is checked too: its seal binds the key, so a key that a flipped bit moved
     * is not taken for the last id. */
    rc = guarded_read(t, db, OP_CURSOR, c, MDB_LAST, &k, &v);
    mdb_cursor_close(c);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc == READ_BAD || rc == READ_FAULT) return -1;
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
    if (strcmp(key, "magic") == 0 || strcmp(key, META_RUN_ID) == 0) {
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
    if (strcmp(key, "magic") == 0 || strcmp(key, META_RUN_ID) == 0 || !json_text) {
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
    for (rc = guarded_read(t, DB_CANDIDATES, OP_CURSOR, c, MDB_SET_RANGE, &k, &v); rc == 0;
         rc = guarded_read(t, DB_CANDIDATES, OP_CURSOR, c, MDB_NEXT, &k, &v)) {
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
    if (status == EVO_OK && (rc == READ_BAD || rc == READ_FAULT))
        status = EVO_ESTORE; /* message set by the read */
    else if (status == EVO_OK && rc != 0 && rc != MDB_NOTFOUND)
        status = lmdb_fail(t, t->s, rc, "iterate candidates");
    return status;
}

int store_cand_get_bytes(evo_txn *t, int64_t id, const void **buf, size_t *n)
{
    *buf = NULL;
    *n = 0;
    char op[64];
    snprintf(op, sizeof op, "get candidate %lld", (long long)id);
    int rc = check_id(t, op, id);
    if (rc) return rc;
    unsigned char kb[8];
    id_key(kb, id);
    MDB_val k = {8, kb}, v;
    int got = raw_get(t, DB_CANDIDATES, &k, &v, op);
    if (got == 0) return EVO_ENOTFOUND;
    if (got < 0) return EVO_ESTORE;
    *buf = v.mv_data;
    *n = v.mv_size;
    return EVO_OK;
}

int store_scan(evo_txn *t, const char *db, store_scan_fn fn, void *user)
{
    int d = -1;
    for (int i = 0; i < DB_COUNT; i++)
        if (db && strcmp(db, db_names[i]) == 0) d = i;
    if (d < 0) {
        set_err(t->s, "store: scan: no database '%s'", db ? db : "");
        return EVO_EINVAL;
    }
    MDB_cursor *c;
    MDB_val k = {0, NULL}, v;
    char op[64];
    snprintf(op, sizeof op, "scan database '%s'", db_names[d]);
    int rc = mdb_cursor_open(t->txn, t->s->dbi[d], &c);
    if (rc) return lmdb_fail(t, t->s, rc, op);
    int status = EVO_OK;
    for (rc = guarded_read(t, d, OP_CURSOR, c, MDB_FIRST, &k, &v);;
         rc = guarded_read(t, d, OP_CURSOR, c, MDB_NEXT, &k, &v)) {
        if (rc == MDB_NOTFOUND) break;
        if (rc != 0 && rc != READ_BAD) { /* the walk cannot go on past this page */
            if (rc != READ_FAULT) lmdb_fail(t, t->s, rc, op);
            status = EVO_ESTORE;
            break;
        }
        char name[112];
        record_name(d, &k, name, sizeof name);
        if (d == DB_CANDIDATES && key_id(&k) < 1)
            snprintf(name, sizeof name, "candidate key of %zu bytes", k.mv_size);
        int stop;
        if (rc == READ_BAD) {
            char why[1024];
            pthread_mutex_lock(&t->s->err_mu);
            snprintf(why, sizeof why, "%s", t->s->err);
            pthread_mutex_unlock(&t->s->err_mu);
            stop = fn(user, name, k.mv_data, k.mv_size, NULL, 0, why);
        } else {
            stop = fn(user, name, k.mv_data, k.mv_size, v.mv_data, v.mv_size, NULL);
        }
        if (stop) break;
    }
    mdb_cursor_close(c);
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
    return errbuf_set(err, errlen, lmdb_code(rc), "store: %s (%s): %s%s", op, s->path,
                      mdb_strerror(rc), sys_hint(rc));
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

/* Check the "magic" key of an open meta db and learn the format: evo-store-2 (sealed) or
 * the older evo-store-1 (no checksums, still read and written as it is). EVO_OK or
 * EVO_ESTORE with the message. */
static int check_magic(evo_store *s, MDB_txn *txn, MDB_dbi meta, char *err, size_t errlen)
{
    MDB_val k = {5, "magic"}, v;
    int rc = mdb_get(txn, meta, &k, &v);
    if (rc == MDB_NOTFOUND)
        return errbuf_set(err, errlen, EVO_ESTORE, "%s: not an evo run store (no magic key)",
                          s->dir);
    if (rc) return env_fail(s, err, errlen, rc, "read magic");
    size_t n = v.mv_size;
    unsigned char sk[SEAL_KEY_MAX];
    size_t skn = seal_key(DB_META, k.mv_data, k.mv_size, sk);
    int seal = seal_check(sk, skn, v.mv_data, v.mv_size, &n);
    if (seal == SEAL_MISMATCH)
        return errbuf_set(err, errlen, EVO_ESTORE,
                          "%s: meta 'magic': checksum mismatch (its bytes changed after they "
                          "were written)",
                          s->path);
    if (seal == SEAL_MISSING) n = v.mv_size;
    json_t *j = json_loadb(v.mv_data, n, JSON_DECODE_ANY, NULL);
    char found[72];
    if (json_is_string(j)) {
        snprintf(found, sizeof found, "%.64s", json_string_value(j));
    } else {
        size_t m = n < 64 ? n : 64;
        for (size_t i = 0; i < m; i++) {
            char c = ((const char *)v.mv_data)[i];
            found[i] = (c >= 32 && c < 127) ? c : '?';
        }
        found[m] = 0;
    }
    json_decref(j);
    if (seal == SEAL_OK && strcmp(found, EVO_STORE_MAGIC) == 0) {
        s->sealed = 1;
        return EVO_OK;
    }
    if (seal == SEAL_MISSING && strcmp(found, EVO_STORE_MAGIC_V1) == 0) {
        s->sealed = 0;
        return EVO_OK;
    }
    if (seal == SEAL_MISSING && strcmp(found, EVO_STORE_MAGIC) == 0)
        return errbuf_set(err, errlen, EVO_ESTORE,
                          "%s: meta 'magic': checksum mismatch (no checksum: the value was cut or "
                          "overwritten)",
                          s->path);
    return errbuf_set(err, errlen, EVO_ESTORE,
                      "%s: store format '%s' is not supported (expected " EVO_STORE_MAGIC
                      ", or " EVO_STORE_MAGIC_V1 " without checksums)",
                      s->dir, found);
}

/* Put a meta value during open, sealed when the store is. */
static int layout_put(evo_store *s, MDB_txn *txn, const char *key, const char *json_text)
{
    MDB_val k = {strlen(key), (void *)key};
    size_t n = strlen(json_text);
    MDB_val v = {n + (s->sealed ? SEAL_BYTES : 0), NULL};
    int rc = mdb_put(txn, s->dbi[DB_META], &k, &v, MDB_RESERVE);
    if (rc) return rc;
    memcpy(v.mv_data, json_text, n);
    unsigned char sk[SEAL_KEY_MAX];
    size_t skn = seal_key(DB_META, k.mv_data, k.mv_size, sk);
    if (s->sealed) seal_make(sk, skn, json_text, n, (unsigned char *)v.mv_data + n);
    return 0;
}

/* ---- the run id: what binds store.mdb to its run directory ----
 * A new store draws a random id and keeps it twice: in its meta ("run_id") and in
 * DIR/run_id. A store.mdb copied in from another run carries another id and is refused; a
 * run directory without the file (an older run, or a creation that died between the two
 * writes) adopts the store's id at the next writer open. */

static int new_run_id(char id[33])
{
    unsigned char b[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;
    if (fd >= 0) close(fd);
    if (got != (ssize_t)sizeof b) {
        /* No /dev/urandom: the time and pid still tell two runs apart. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x =
            (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 40);
        for (int i = 0; i < 16; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            b[i] = (unsigned char)(x >> 56);
        }
    }
    for (int i = 0; i < 16; i++)
        snprintf(id + 2 * i, 3, "%02x", b[i]);
    return 0;
}

static int valid_run_id(const char *id)
{
    size_t n = strlen(id);
    if (n != 32) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'))) return 0;
    return 1;
}

/* The store's run id from its meta: 1 found (id set), 0 none, or -EVO_ESTORE with err set. */
static int meta_run_id(evo_store *s, MDB_txn *txn, char id[33], char *err, size_t errlen)
{
    MDB_val k = {sizeof META_RUN_ID - 1, META_RUN_ID}, v;
    int rc = mdb_get(txn, s->dbi[DB_META], &k, &v);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return -env_fail(s, err, errlen, rc, "read meta 'run_id'");
    size_t n = v.mv_size;
    unsigned char sk[SEAL_KEY_MAX];
    size_t skn = seal_key(DB_META, k.mv_data, k.mv_size, sk);
    if (s->sealed && seal_check(sk, skn, v.mv_data, v.mv_size, &n) != SEAL_OK)
        return -errbuf_set(err, errlen, EVO_ESTORE, "%s: meta 'run_id': checksum mismatch",
                           s->path);
    json_t *j = json_loadb(v.mv_data, n, JSON_DECODE_ANY, NULL);
    int ok = json_is_string(j) && valid_run_id(json_string_value(j));
    if (ok) snprintf(id, 33, "%s", json_string_value(j));
    json_decref(j);
    if (!ok) return -errbuf_set(err, errlen, EVO_ESTORE, "%s: meta 'run_id' is malformed", s->path);
    return 1;
}

/* DIR/run_id: 1 read (id set), 0 absent, or -code with err set. */
static int file_run_id(evo_store *s, char id[33], char *err, size_t errlen)
{
    char path[PATH_MAX + 16], buf[80];
    snprintf(path, sizeof path, "%s/" RUN_ID_FILE, s->dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 0;
        return -errbuf_set(err, errlen, EVO_EIO, "%s: cannot read: %s", path, strerror(errno));
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0)
        return -errbuf_set(err, errlen, EVO_EIO, "%s: cannot read: %s", path, strerror(errno));
    buf[n] = 0;
    buf[strcspn(buf, "\r\n")] = 0;
    if (!valid_run_id(buf))
        return -errbuf_set(err, errlen, EVO_ESTORE,
                           "%s: not a run id (32 hex digits); it binds store.mdb to this run",
                           path);
    snprintf(id, 33, "%s", buf);
    return 1;
}

static int write_run_id_file(evo_store *s, const char *id, char *err, size_t errlen)
{
    char path[PATH_MAX + 16], tmp[PATH_MAX + 24], line[40];
    snprintf(path, sizeof path, "%s/" RUN_ID_FILE, s->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int n = snprintf(line, sizeof line, "%s\n", id);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int e = 0;
    if (fd < 0)
        e = errno;
    else if (write(fd, line, (size_t)n) != n || fsync(fd) != 0)
        e = errno ? errno : EIO;
    if (fd >= 0 && close(fd) != 0 && !e) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        unlink(tmp);
        return errbuf_set(err, errlen, EVO_EIO, "%s: cannot write the run id: %s", path,
                          strerror(e));
    }
    return EVO_OK;
}

/* Compare the store's run id with DIR/run_id. *put_id is set (to the id the file must get)
 * when a writer has to write the file after the layout commits; a writer also gives a store
 * without an id one (in txn). EVO_OK or EVO_ESTORE / EVO_EIO with err. */
static int bind_run(evo_store *s, MDB_txn *txn, char put_id[33], char *err, size_t errlen)
{
    char mid[33] = "", fid[33] = "";
    put_id[0] = 0;
    int m = meta_run_id(s, txn, mid, err, errlen);
    if (m < 0) return -m;
    int f = file_run_id(s, fid, err, errlen);
    if (f < 0) return -f;
    if (m && f && strcmp(mid, fid) != 0)
        return errbuf_set(err, errlen, EVO_ESTORE,
                          "%s belongs to another run (its run id %s, %s/" RUN_ID_FILE
                          " says %s): a store.mdb swapped in from another run is refused; put "
                          "this run's store.mdb back (or delete %s/" RUN_ID_FILE
                          " to adopt this store)",
                          s->path, mid, s->dir, fid, s->dir);
    if (!m && f)
        return errbuf_set(err, errlen, EVO_ESTORE,
                          "%s carries no run id, but %s/" RUN_ID_FILE
                          " names run %s: a store.mdb swapped in from another run is refused; "
                          "put this run's store.mdb back (or delete %s/" RUN_ID_FILE
                          " to adopt this store)",
                          s->path, s->dir, fid, s->dir);
    if (s->rdonly) return EVO_OK;
    if (!m) {
        char text[40];
        new_run_id(mid);
        snprintf(text, sizeof text, "\"%s\"", mid);
        int rc = layout_put(s, txn, META_RUN_ID, text);
        if (rc) return env_fail(s, err, errlen, rc, "write meta 'run_id'");
    }
    if (!f) snprintf(put_id, 33, "%s", mid);
    return EVO_OK;
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
    s->sealed = 1;
    rc = layout_put(s, txn, "magic", "\"" EVO_STORE_MAGIC "\"");
    if (rc) return env_fail(s, err, errlen, rc, "write magic");
    s->is_new = 1;
    return EVO_OK;
}

/* Open the named dbs, checking or (for a new run) writing the magic, and bind the store to
 * its directory (the run id). */
static int open_layout(evo_store *s, int may_create, char *err, size_t errlen)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, s->rdonly ? MDB_RDONLY : 0, &txn);
    if (rc) return env_fail(s, err, errlen, rc, "begin transaction");
    rc = mdb_dbi_open(txn, db_names[DB_META], 0, &s->dbi[DB_META]);
    int status;
    MDB_dbi other;
    if (rc == MDB_NOTFOUND && mdb_dbi_open(txn, db_names[DB_CANDIDATES], 0, &other) == 0)
        /* No meta, yet evo's candidates: an evo store whose meta record was damaged. */
        status = errbuf_set(err, errlen, EVO_ESTORE,
                            "%s: damaged: the 'meta' database is missing (the store holds evo's "
                            "'candidates')",
                            s->path);
    else if (rc == MDB_NOTFOUND && !s->rdonly)
        status = create_layout(s, txn, may_create, err, errlen);
    else if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
        status =
            errbuf_set(err, errlen, EVO_ESTORE, "%s: not an evo run store (no magic key)", s->dir);
    else if (rc)
        status = env_fail(s, err, errlen, rc, "open database 'meta'");
    else
        status = check_magic(s, txn, s->dbi[DB_META], err, errlen);
    for (int i = 1; i < DB_COUNT && status == EVO_OK && !s->is_new; i++) {
        /* An evo-store-2 has all five from its creation: one missing is damage (a damaged
         * database record), and a writer must not replace it with an empty one. An older
         * store may lack one that came later: a writer adds it. */
        rc = mdb_dbi_open(txn, db_names[i], (s->rdonly || s->sealed) ? 0 : MDB_CREATE, &s->dbi[i]);
        if (rc == MDB_NOTFOUND && s->sealed)
            status = errbuf_set(err, errlen, EVO_ESTORE,
                                "%s: damaged: the '%s' database is missing (the store has "
                                "its magic, so it had one)",
                                s->path, db_names[i]);
        else if (rc == MDB_NOTFOUND)
            status = errbuf_set(err, errlen, EVO_ESTORE,
                                "%s: not an evo run store (no '%s' database)", s->dir, db_names[i]);
        else if (rc) {
            char op[64];
            snprintf(op, sizeof op, "open database '%s'", db_names[i]);
            status = env_fail(s, err, errlen, rc, op);
        }
    }
    char put_id[33] = "";
    if (status == EVO_OK) status = bind_run(s, txn, put_id, err, errlen);
    if (status != EVO_OK) {
        mdb_txn_abort(txn);
        return status;
    }
    /* Commit even a read transaction: that is what keeps its db handles open. */
    rc = mdb_txn_commit(txn);
    if (rc) return env_fail(s, err, errlen, rc, "commit layout");
    /* The file after the meta: a crash in between leaves an id the next open adopts. */
    if (put_id[0]) return write_run_id_file(s, put_id, err, errlen);
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
    if (s->rdonly && (flags & STORE_GUARDED)) {
        s->guarded = 1;
        fault_guard_install();
    }
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
    /* A writer (the file at rest under the lock) and `evo verify` walk every tree first. */
    for (int i = 0; exists && (!s->rdonly || (flags & STORE_GUARDED)); i++) {
        rc = store_check_trees(s->path, &h, err, errlen);
        if (rc == EVO_OK) break;
        /* A reader without the lock may have raced a commit: look again at the new one. */
        store_header again;
        char e2[16];
        if (!s->rdonly || i == 2 || store_check_header(s->path, &again, e2, sizeof e2) != EVO_OK ||
            again.txnid == h.txnid)
            return rc;
        h = again;
    }
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
    if (s->guarded) fault_guard_remove();
    pthread_mutex_destroy(&s->gate_mu);
    pthread_cond_destroy(&s->gate_cv);
    pthread_mutex_destroy(&s->err_mu);
    free(s);
}

evo_store *store_txn_store(const evo_txn *t)
{
    return t ? t->s : NULL;
}

const char *store_path(const evo_store *s)
{
    return s ? s->path : "store.mdb";
}

const char *store_txn_damage(const evo_txn *t)
{
    return t && t->damage[0] ? t->damage : NULL;
}

int store_sealed(const evo_store *s)
{
    return s ? s->sealed : 0;
}

int store_is_new(const evo_store *s)
{
    return s ? s->is_new : 0;
}
