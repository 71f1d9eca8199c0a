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
#define OFF_DB0 40     /* mm_dbs[FREE_DBI], then mm_dbs[MAIN_DBI]: 48 bytes each */
#define OFF_DEPTH0 46  /* mm_dbs[FREE_DBI].md_depth, uint16 */
#define OFF_ROOT0 80   /* mm_dbs[FREE_DBI].md_root, pgno */
#define OFF_DEPTH1 94  /* mm_dbs[MAIN_DBI].md_depth, uint16 */
#define OFF_ROOT1 128  /* mm_dbs[MAIN_DBI].md_root, pgno */
#define OFF_LASTPG 136 /* mm_last_pg */
#define OFF_TXNID 144  /* mm_txnid */
#define LMDB_P_BRANCH 0x01u
#define LMDB_P_LEAF 0x02u
#define LMDB_P_OVERFLOW 0x04u
#define LMDB_PAGEHDR 16
#define LMDB_MAX_DEPTH 32 /* CURSOR_STACK */
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
    h->depth[0] = rd16(p + OFF_DEPTH0);
    h->depth[1] = rd16(p + OFF_DEPTH1);
    h->last_pg = rd64(p + OFF_LASTPG);
    memcpy(h->db[0], p + OFF_DB0, sizeof h->db[0]);
    memcpy(h->db[1], p + OFF_DB0 + sizeof h->db[0], sizeof h->db[1]);
    return 0;
}

static const char *const root_names[2] = {"free-list", "main database"};

/* The root page of tree i of meta h, read with pread: it must be a branch or leaf page that
 * names itself, as deep as the meta says, with its header's bounds inside the page. LMDB
 * would otherwise follow it into a page of another kind, or past the map (SIGBUS).
 * EVO_OK, or EVO_ESTORE with *retry set (a concurrent commit may have reused the page). */
static int check_root(int fd, const char *path, const store_header *h, int i, int *retry, char *err,
                      size_t errlen)
{
    uint64_t root = h->root[i];
    if (root == UINT64_MAX) {
        if (h->depth[i] == 0) return EVO_OK;
        *retry = 1;
        return errbuf_set(err, errlen, EVO_ESTORE,
                          "%s: damaged meta page: the %s has depth %u but no root page", path,
                          root_names[i], h->depth[i]);
    }
    unsigned char p[LMDB_PAGEHDR];
    const char *why = NULL;
    if (root < 2 || root > h->last_pg)
        why = "outside the pages in use";
    else if (h->depth[i] < 1 || h->depth[i] > LMDB_MAX_DEPTH)
        why = "under an impossible depth";
    else if (pread(fd, p, sizeof p, (off_t)(root * h->psize)) != (ssize_t)sizeof p)
        why = "unreadable";
    if (!why) {
        uint16_t flags = rd16(p + OFF_FLAGS), lower = rd16(p + 12), upper = rd16(p + 14);
        uint16_t want = h->depth[i] == 1 ? LMDB_P_LEAF : LMDB_P_BRANCH;
        if (rd64(p) != root)
            why = "a page that names another page number";
        else if ((flags & (LMDB_P_BRANCH | LMDB_P_LEAF | LMDB_P_OVERFLOW | LMDB_P_META)) != want)
            why = "a page of the wrong kind";
        else if (lower < LMDB_PAGEHDR || lower > upper || upper > h->psize)
            why = "a page whose header is damaged";
    }
    if (!why) return EVO_OK;
    *retry = 1;
    return errbuf_set(err, errlen, EVO_ESTORE,
                      "%s: damaged: the %s root (page %llu) is %s; LMDB would crash on it", path,
                      root_names[i], (unsigned long long)root, why);
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
    int newer = h1.txnid > h0.txnid;
    *h = newer ? h1 : h0;
    /* LMDB writes transaction t's meta into page t % 2, so the two differ by one (both 0 in
     * a new file). A flipped bit in a txnid would make LMDB open an older snapshot and
     * silently drop the commits after it. */
    uint64_t older = newer ? h0.txnid : h1.txnid;
    if ((h->txnid != 0 || older != 0) &&
        (h->txnid - older != 1 || (h->txnid & 1) != (uint64_t)newer)) {
        *retry = 1;
        return errbuf_set(err, errlen, EVO_ESTORE,
                          "%s: damaged meta page: transaction ids %llu and %llu do not follow "
                          "each other",
                          path, (unsigned long long)h0.txnid, (unsigned long long)h1.txnid);
    }
    /* Pages past the end of the file would be a SIGBUS inside LMDB: the roots must be in. */
    uint64_t pages = (uint64_t)size / h->psize;
    for (int i = 0; i < 2; i++) {
        if (h->root[i] != UINT64_MAX && h->root[i] >= pages) {
            *retry = 1;
            return errbuf_set(err, errlen, EVO_ESTORE, "%s: truncated (%lld bytes)", path,
                              (long long)size);
        }
    }
    if (h->last_pg >= pages) {
        *retry = 1;
        return errbuf_set(err, errlen, EVO_ESTORE,
                          "%s: truncated (%lld bytes; the last page in use is %llu)", path,
                          (long long)size, (unsigned long long)h->last_pg);
    }
    if (h->mapsize / h->psize <= h->last_pg) {
        *retry = 1;
        return errbuf_set(err, errlen, EVO_ESTORE,
                          "%s: damaged meta page: map size %llu is below the pages in use", path,
                          (unsigned long long)h->mapsize);
    }
    for (int i = 0; i < 2; i++) {
        int rc = check_root(fd, path, h, i, retry, err, errlen);
        if (rc != EVO_OK) return rc;
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

/* ---------------------------------------------------------------------------------------
 * The tree walk (store_check_trees)
 * ------------------------------------------------------------------------------------- */

/* MDB_db (48 bytes): md_pad u32, md_flags u16, md_depth u16, md_branch_pages, md_leaf_pages,
 * md_overflow_pages, md_entries, md_root (8 bytes each). MDB_node: mn_lo, mn_hi, mn_flags,
 * mn_ksize (u16 each), then key and data; a branch node's child is lo | hi << 16 | flags << 32,
 * a leaf node's data size lo | hi << 16. */
#define DB_DEPTH 6
#define DB_BRANCH 8
#define DB_LEAF 16
#define DB_OVERFLOW 24
#define DB_ENTRIES 32
#define DB_ROOT 40
#define NODE_HDR 8
#define F_BIGDATA 0x01
#define F_SUBDATA 0x02
#define F_DUPDATA 0x04

typedef struct walk {
    int fd;
    const char *path;
    uint32_t psize;
    uint64_t last_pg, txnid;
    unsigned char *seen; /* one bit per page */
    unsigned char *page; /* psize bytes per level */
    uint64_t *freed;     /* pages the free list offers */
    size_t nfreed, capfreed;
    uint64_t branch, leaf, overflow, entries;
    int is_free, is_main;
    int intkey; /* keys compare as native integers (the free list: MDB_INTEGERKEY) */
    char tree[80];
    char err[600];
} walk;

static int walk_fail(walk *w, uint64_t pg, const char *why)
{
    snprintf(w->err, sizeof w->err, "%s: damaged: %s, page %llu: %s", w->path, w->tree,
             (unsigned long long)pg, why);
    return -1;
}

/* Mark pages pg..pg+n-1 as reached: -1 if one is out of range or reached before. */
static int mark(walk *w, uint64_t pg, uint64_t n, const char *what)
{
    if (pg < 2 || n == 0 || pg > w->last_pg || n > w->last_pg - pg + 1)
        return walk_fail(w, pg, what[0] ? what : "out of the pages in use");
    for (uint64_t i = pg; i < pg + n; i++) {
        if (w->seen[i >> 3] & (1u << (i & 7)))
            return walk_fail(w, i, "reached twice (two trees, or a tree and the free list)");
        w->seen[i >> 3] |= (unsigned char)(1u << (i & 7));
    }
    return 0;
}

static int add_freed(walk *w, uint64_t pg)
{
    if (w->nfreed == w->capfreed) {
        size_t cap = w->capfreed ? 2 * w->capfreed : 256;
        uint64_t *p = realloc(w->freed, cap * sizeof *p);
        if (!p) return -1;
        w->freed = p, w->capfreed = cap;
    }
    w->freed[w->nfreed++] = pg;
    return 0;
}

static int walk_tree(walk *w, const unsigned char *db);

/* A free-list record: key a txnid, data the list of pages it freed (count, then pages). */
static int free_record(walk *w, uint64_t pg, const unsigned char *key, size_t ksize,
                       const unsigned char *data, size_t dsize)
{
    if (ksize != 8 || rd64(key) > w->txnid)
        return walk_fail(w, pg, "a free-list key that is not a past transaction");
    if (dsize < 8 || dsize % 8 || rd64(data) != dsize / 8 - 1)
        return walk_fail(w, pg, "a free-list entry whose page count disagrees with its size");
    for (size_t i = 1; i < dsize / 8; i++) {
        uint64_t f = rd64(data + 8 * i);
        if (f < 2 || f > w->last_pg)
            return walk_fail(w, pg, "the free list offers a page outside the file");
        if (add_freed(w, f)) return walk_fail(w, pg, "out of memory");
    }
    return 0;
}

/* An overflow value's pages: its first page must say so and count them. */
static int overflow_value(walk *w, uint64_t pg, uint64_t first, size_t dsize,
                          const unsigned char *buf)
{
    unsigned char hdr[LMDB_PAGEHDR];
    if (first < 2 || first > w->last_pg ||
        pread(w->fd, hdr, sizeof hdr, (off_t)(first * w->psize)) != (ssize_t)sizeof hdr)
        return walk_fail(w, pg, "a large value's first page is outside the file");
    uint32_t n = rd32(hdr + 12);
    if (rd64(hdr) != first || !(rd16(hdr + OFF_FLAGS) & LMDB_P_OVERFLOW) || n == 0 ||
        (uint64_t)n * w->psize < dsize + LMDB_PAGEHDR ||
        (uint64_t)(n - 1) * w->psize >= dsize + LMDB_PAGEHDR)
        return walk_fail(w, first, "a large value's pages do not hold its size");
    if (mark(w, first, n, "a large value's pages run out of the file")) return -1;
    w->overflow += n;
    (void)buf;
    return 0;
}

/* LMDB's key order: memcmp, then length; or, for an integer-keyed db, the 8-byte values. */
static int key_cmp(const walk *w, const unsigned char *a, size_t an, const unsigned char *b,
                   size_t bn)
{
    if (w->intkey && an == 8 && bn == 8) {
        uint64_t x = rd64(a), y = rd64(b);
        return x < y ? -1 : x > y;
    }
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    return c ? c : (an < bn ? -1 : an > bn);
}

/* A key range [lo, hi) a subtree's keys must fall in (NULL: open). */
typedef struct keyrange {
    const unsigned char *lo, *hi;
    size_t lo_n, hi_n;
} keyrange;

static int walk_page(walk *w, uint64_t pg, int depth, unsigned char *buf, keyrange r)
{
    if (mark(w, pg, 1, "")) return -1;
    if (pread(w->fd, buf, w->psize, (off_t)(pg * w->psize)) != (ssize_t)w->psize)
        return walk_fail(w, pg, "unreadable");
    uint16_t flags = rd16(buf + OFF_FLAGS), lower = rd16(buf + 12), upper = rd16(buf + 14);
    int leaf = depth == 1;
    uint16_t kind = flags & (LMDB_P_BRANCH | LMDB_P_LEAF | LMDB_P_OVERFLOW | LMDB_P_META);
    if (rd64(buf) != pg) return walk_fail(w, pg, "it names another page number");
    if (kind != (leaf ? LMDB_P_LEAF : LMDB_P_BRANCH) || (flags & 0x20))
        return walk_fail(w, pg,
                         leaf ? "not a leaf page where the depth needs one"
                              : "not a branch page where the depth needs one");
    if (lower < LMDB_PAGEHDR || lower > upper || upper > w->psize || (lower & 1))
        return walk_fail(w, pg, "its header's bounds are damaged");
    unsigned nkeys = (lower - LMDB_PAGEHDR) / 2;
    if (nkeys == 0) return walk_fail(w, pg, "an empty page inside a tree");
    if (leaf)
        w->leaf++;
    else
        w->branch++;
    unsigned char *child = leaf ? NULL : buf + w->psize;
    const unsigned char *prev = NULL;
    size_t prev_n = 0;
    for (unsigned i = 0; i < nkeys; i++) {
        unsigned off = rd16(buf + LMDB_PAGEHDR + 2 * i);
        if (off < upper || off + NODE_HDR > w->psize)
            return walk_fail(w, pg, "a node outside the page");
        const unsigned char *node = buf + off;
        uint16_t lo = rd16(node), hi = rd16(node + 2), nf = rd16(node + 4), ks = rd16(node + 6);
        if (off + NODE_HDR + ks > w->psize) return walk_fail(w, pg, "a key that runs off the page");
        /* Keys ascend (memcmp, then length) and stay inside the range the branch above
         * gave this page: LMDB's binary search depends on it. A branch page's first key is
         * empty by design (it stands for the range's low end). */
        const unsigned char *key = node + NODE_HDR;
        int counts = leaf || i > 0;
        if (counts && prev && key_cmp(w, prev, prev_n, key, ks) >= 0)
            return walk_fail(w, pg, "its keys are out of order");
        if (counts && ((r.lo && key_cmp(w, key, ks, r.lo, r.lo_n) < 0) ||
                       (r.hi && key_cmp(w, key, ks, r.hi, r.hi_n) >= 0)))
            return walk_fail(w, pg, "a key outside the range its parent page gives it");
        if (counts) prev = key, prev_n = ks;
        if (!leaf) {
            uint64_t c = (uint64_t)lo | ((uint64_t)hi << 16) | ((uint64_t)nf << 32);
            keyrange cr = r;
            if (i > 0) cr.lo = key, cr.lo_n = ks;
            if (i + 1 < nkeys) {
                unsigned noff = rd16(buf + LMDB_PAGEHDR + 2 * (i + 1));
                if (noff < upper || noff + NODE_HDR > w->psize ||
                    noff + NODE_HDR + rd16(buf + noff + 6) > w->psize)
                    return walk_fail(w, pg, "a node outside the page");
                cr.hi = buf + noff + NODE_HDR, cr.hi_n = rd16(buf + noff + 6);
            }
            if (walk_page(w, c, depth - 1, child, cr)) return -1;
            continue;
        }
        size_t dsize = (size_t)lo | ((size_t)hi << 16);
        const unsigned char *data = node + NODE_HDR + ks;
        if (nf & F_DUPDATA) return walk_fail(w, pg, "a duplicate-data node (evo has none)");
        w->entries++;
        if (nf & F_BIGDATA) {
            if (off + NODE_HDR + ks + 8 > w->psize)
                return walk_fail(w, pg, "a large value's page number runs off the page");
            if (w->is_main) return walk_fail(w, pg, "a large value where none can be");
            uint64_t first = rd64(data);
            if (overflow_value(w, pg, first, dsize, buf)) return -1;
            if (w->is_free) {
                /* A long free list lives on overflow pages: read it to check its pages. */
                unsigned char *big = malloc(dsize ? dsize : 1);
                if (!big) return walk_fail(w, pg, "out of memory");
                int bad = pread(w->fd, big, dsize, (off_t)(first * w->psize + LMDB_PAGEHDR)) !=
                              (ssize_t)dsize ||
                          free_record(w, pg, node + NODE_HDR, ks, big, dsize);
                free(big);
                if (bad) return w->err[0] ? -1 : walk_fail(w, first, "unreadable");
            }
            continue;
        }
        if (off + NODE_HDR + ks + dsize > w->psize)
            return walk_fail(w, pg, "a value that runs off the page");
        if (w->is_free && free_record(w, pg, node + NODE_HDR, ks, data, dsize)) return -1;
        if (w->is_main && (nf & F_SUBDATA)) {
            if (dsize != 48) return walk_fail(w, pg, "a database record of the wrong size");
            walk sub = *w;
            snprintf(sub.tree, sizeof sub.tree, "'%.*s' database", ks < 40 ? ks : 40,
                     (const char *)node + NODE_HDR);
            sub.is_main = sub.is_free = 0;
            /* Only plain databases (evo's) are walked; a foreign store's sorted-duplicate or
             * reverse-key database is left to the magic check that refuses it. */
            uint16_t dbflags = rd16(data + 4);
            sub.intkey = (dbflags & 0x08) != 0;
            if (dbflags & ~0x08u) continue;
            sub.page = w->page + (size_t)w->psize * (LMDB_MAX_DEPTH + 1);
            unsigned char rec[48];
            memcpy(rec, data, sizeof rec);
            int rc = walk_tree(&sub, rec);
            w->freed = sub.freed, w->nfreed = sub.nfreed, w->capfreed = sub.capfreed;
            if (rc) {
                memcpy(w->err, sub.err, sizeof w->err);
                return -1;
            }
        }
    }
    return 0;
}

/* Walk the tree of MDB_db record db and compare what it holds with what the record says. */
static int walk_tree(walk *w, const unsigned char *db)
{
    uint64_t root = rd64(db + DB_ROOT);
    uint16_t depth = rd16(db + DB_DEPTH);
    w->branch = w->leaf = w->overflow = w->entries = 0;
    if (root == UINT64_MAX) {
        if (depth == 0 && rd64(db + DB_ENTRIES) == 0) return 0;
        return walk_fail(w, root, "no root, yet entries or depth recorded");
    }
    if (depth < 1 || depth > LMDB_MAX_DEPTH) return walk_fail(w, root, "an impossible depth");
    keyrange all = {NULL, NULL, 0, 0};
    if (walk_page(w, root, depth, w->page, all)) return -1;
    if (w->branch != rd64(db + DB_BRANCH) || w->leaf != rd64(db + DB_LEAF) ||
        w->overflow != rd64(db + DB_OVERFLOW) || w->entries != rd64(db + DB_ENTRIES)) {
        char why[200];
        snprintf(why, sizeof why,
                 "the tree holds %llu branch, %llu leaf and %llu overflow pages and %llu "
                 "entries; its record says %llu, %llu, %llu and %llu",
                 (unsigned long long)w->branch, (unsigned long long)w->leaf,
                 (unsigned long long)w->overflow, (unsigned long long)w->entries,
                 (unsigned long long)rd64(db + DB_BRANCH), (unsigned long long)rd64(db + DB_LEAF),
                 (unsigned long long)rd64(db + DB_OVERFLOW),
                 (unsigned long long)rd64(db + DB_ENTRIES));
        return walk_fail(w, root, why);
    }
    return 0;
}

int store_check_trees(const char *path, const store_header *h, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errbuf_set(err, errlen, EVO_EIO, "%s: cannot open: %s", path, strerror(errno));
    walk w;
    memset(&w, 0, sizeof w);
    w.fd = fd, w.path = path, w.psize = h->psize, w.last_pg = h->last_pg, w.txnid = h->txnid;
    w.seen = calloc((size_t)(h->last_pg / 8 + 1), 1);
    /* A page buffer per level for the tree being walked, and as many for a named one. */
    w.page = malloc((size_t)h->psize * 2 * (LMDB_MAX_DEPTH + 1));
    int rc = EVO_OK;
    if (!w.seen || !w.page) {
        rc = errbuf_set(err, errlen, EVO_ENOMEM, "%s: out of memory for the tree check", path);
        goto out;
    }
    snprintf(w.tree, sizeof w.tree, "the free list");
    w.is_free = 1, w.intkey = 1;
    if (walk_tree(&w, h->db[0]) == 0) {
        snprintf(w.tree, sizeof w.tree, "the main database");
        w.is_free = 0, w.is_main = 1, w.intkey = 0;
        if (walk_tree(&w, h->db[1]) == 0) {
            snprintf(w.tree, sizeof w.tree, "the free list");
            for (size_t i = 0; i < w.nfreed && !w.err[0]; i++)
                mark(&w, w.freed[i], 1, "");
        }
    }
    if (w.err[0]) rc = errbuf_set(err, errlen, EVO_ESTORE, "%s", w.err);
out:
    free(w.seen);
    free(w.page);
    free(w.freed);
    close(fd);
    return rc;
}
