/* store_guard.c -- what stands between a run directory and LMDB (store_guard.h): the
 * writer's lock and the header check of store.mdb.
 *
 * DIR/lock, held with flock() by the one writer, turns a second writer away with EVO_EBUSY
 * and the holder's pid (written into the file right after locking). flock, not the file's
 * text, says who holds the run: the kernel drops the lock when its holder dies, even by
 * kill -9, so a stale pid never keeps a run locked.
 *
 * LMDB trusts its file: a foreign or truncated file can make it divide by zero or touch pages
 * past the end of the map (SIGBUS). So the two meta pages are read here with pread and
 * checked before mdb_env_open, and only a file that looks like a whole LMDB environment
 * reaches LMDB. Both guards use plain POSIX calls and nothing of store_lmdb.c, which calls
 * them while it opens a store. */
#include "store_guard.h"
#include "errbuf.h"

#include "evo_status.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOCK_FILE "lock"

/* ---------------------------------------------------------------------------------------
 * The directory lock
 * ------------------------------------------------------------------------------------- */

/* The pid written into a held lock file, 0 if none can be read yet. */
static long lock_holder(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    buf[n] = 0;
    char *end;
    long pid = strtol(buf, &end, 10);
    return (end != buf && pid > 0) ? pid : 0;
}

int store_take_lock(const char *dir, int *fd_out, char *err, size_t errlen)
{
    char path[PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/" LOCK_FILE, dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return errbuf_set(err, errlen, EVO_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        long pid = 0;
        /* The holder writes its pid right after locking; give it a moment. */
        for (int i = 0; e == EWOULDBLOCK && i < 20 && !(pid = lock_holder(fd)); i++)
            nanosleep(&(struct timespec){0, 5000000}, NULL);
        close(fd);
        if (e != EWOULDBLOCK)
            return errbuf_set(err, errlen, EVO_EIO, "%s: cannot lock: %s", path, strerror(e));
        if (pid)
            return errbuf_set(err, errlen, EVO_EBUSY, "run directory %s is in use by process %ld",
                              dir, pid);
        return errbuf_set(err, errlen, EVO_EBUSY, "run directory %s is in use by another process",
                          dir);
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        int e = errno;
        close(fd);
        return errbuf_set(err, errlen, EVO_EIO, "%s: cannot write pid: %s", path, strerror(e));
    }
    *fd_out = fd;
    return EVO_OK;
}

void store_release_lock(int *fd)
{
    if (*fd < 0) return;
    /* Unlock explicitly: a forked child may share this open file description, and close()
     * alone would leave the lock held until the child exits too. */
    if (ftruncate(*fd, 0) != 0) {
        /* The stale pid is harmless: flock, not the file's text, says who holds the run. */
    }
    flock(*fd, LOCK_UN);
    close(*fd);
    *fd = -1;
}

/* ---------------------------------------------------------------------------------------
 * The header check
 * ------------------------------------------------------------------------------------- */

/* What the header check reads from LMDB 0.9's meta pages (see mdb.c: MDB_page, MDB_meta).
 * Offsets from the start of a meta page: page header 16 bytes, then the meta. */
#define LMDB_MAGIC 0xBEEFC0DEu
#define LMDB_DATA_VERSION 1u
#define LMDB_P_META 0x08u
#define OFF_FLAGS 10   /* mp_flags, uint16 */
#define OFF_MAGIC 16   /* mm_magic, uint32 */
#define OFF_VERSION 20 /* mm_version, uint32 */
#define OFF_MAPSIZE 32 /* mm_mapsize, size_t */
#define OFF_PSIZE 40   /* mm_dbs[FREE_DBI].md_pad, uint32 */
#define OFF_ROOT0 80   /* mm_dbs[FREE_DBI].md_root, pgno */
#define OFF_ROOT1 128  /* mm_dbs[MAIN_DBI].md_root, pgno */
#define OFF_TXNID 144  /* mm_txnid */
#define META_BYTES 152

static uint16_t rd16(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}
static uint32_t rd32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}
static uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Parse one meta page: 0 ok, 1 bad header, 2 wrong version (version in *ver). */
static int parse_meta(const unsigned char *p, store_header *h, uint32_t *ver)
{
    if (rd32(p + OFF_MAGIC) != LMDB_MAGIC || !(rd16(p + OFF_FLAGS) & LMDB_P_META)) return 1;
    *ver = rd32(p + OFF_VERSION);
    if (*ver != LMDB_DATA_VERSION) return 2;
    h->psize = rd32(p + OFF_PSIZE);
    if (h->psize < 512 || h->psize > 65536 || (h->psize & (h->psize - 1))) return 1;
    h->mapsize = rd64(p + OFF_MAPSIZE);
    h->txnid = rd64(p + OFF_TXNID);
    h->root[0] = rd64(p + OFF_ROOT0);
    h->root[1] = rd64(p + OFF_ROOT1);
    return 0;
}

/* One pass of the header check on an open file: EVO_OK with *h filled, or an error in err.
 * *retry is set when the failure might come from a concurrent commit (torn read). */
static int check_header_once(int fd, const char *path, store_header *h, int *retry, char *err,
                             size_t errlen)
{
    struct stat st;
    unsigned char m0[META_BYTES], m1[META_BYTES];
    *retry = 0;
    if (fstat(fd, &st) != 0)
        return errbuf_set(err, errlen, EVO_EIO, "%s: %s", path, strerror(errno));
    off_t size = st.st_size;
    memset(m0, 0, sizeof m0);
    ssize_t n = pread(fd, m0, sizeof m0, 0);
    if (n < 0)
        return errbuf_set(err, errlen, EVO_EIO, "%s: cannot read: %s", path, strerror(errno));
    if (n >= OFF_MAGIC + 4 && rd32(m0 + OFF_MAGIC) != LMDB_MAGIC)
        return errbuf_set(err, errlen, EVO_ESTORE, "%s: not an LMDB file (bad header)", path);
    if (n < META_BYTES)
        return errbuf_set(err, errlen, EVO_ESTORE, "%s: truncated (%lld bytes)", path,
                          (long long)size);
    store_header h0, h1;
    uint32_t ver = 0;
    int bad = parse_meta(m0, &h0, &ver);
    if (bad == 2)
        return errbuf_set(err, errlen, EVO_ESTORE,
                          "%s: LMDB data version %u is not supported (expected %u)", path, ver,
                          LMDB_DATA_VERSION);
    if (bad) return errbuf_set(err, errlen, EVO_ESTORE, "%s: not an LMDB file (bad header)", path);
    if (size < 2 * (off_t)h0.psize)
        return errbuf_set(err, errlen, EVO_ESTORE, "%s: truncated (%lld bytes)", path,
                          (long long)size);
    if (pread(fd, m1, sizeof m1, h0.psize) != (ssize_t)sizeof m1 || parse_meta(m1, &h1, &ver) ||
        h1.psize != h0.psize)
        return errbuf_set(err, errlen, EVO_ESTORE, "%s: not an LMDB file (bad second meta page)",
                          path);
    *h = h1.txnid > h0.txnid ? h1 : h0;
    /* Pages past the end of the file would be a SIGBUS inside LMDB: the roots must be in. */
    uint64_t pages = (uint64_t)size / h->psize;
    for (int i = 0; i < 2; i++) {
        if (h->root[i] != UINT64_MAX && h->root[i] >= pages) {
            *retry = 1;
            return errbuf_set(err, errlen, EVO_ESTORE, "%s: truncated (%lld bytes)", path,
                              (long long)size);
        }
    }
    return EVO_OK;
}

/* Check that path is a whole LMDB file before LMDB maps it. */
int store_check_header(const char *path, store_header *h, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errbuf_set(err, errlen, EVO_EIO, "%s: cannot open: %s", path, strerror(errno));
    int rc, retry = 0;
    for (int i = 0; i < 3; i++) {
        rc = check_header_once(fd, path, h, &retry, err, errlen);
        if (rc == EVO_OK || !retry) break;
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    close(fd);
    return rc;
}
