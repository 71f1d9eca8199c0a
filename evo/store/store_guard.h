/* store_guard.h -- the two guards a run directory passes before LMDB sees it (store_guard.c):
 * the writer's lock on DIR/lock, and the check that DIR/store.mdb is a whole LMDB file.
 * Used by store_lmdb.c when it opens a store; they know nothing of LMDB's API. Errors are
 * EVO_* codes with the message in err. */
#ifndef EVO_STORE_GUARD_H
#define EVO_STORE_GUARD_H
#include <stddef.h>
#include <stdint.h>

/* What the header check found in the newer of the two meta pages. */
typedef struct store_header {
    uint32_t psize;
    uint64_t mapsize, txnid, root[2], last_pg;
    uint16_t depth[2];
    unsigned char db[2][48]; /* the free-list's and main database's MDB_db records */
} store_header;

/* Lock DIR/lock with flock() and write this process's pid into it: EVO_OK with *fd set, or
 * EVO_EBUSY ("run directory DIR is in use by process PID") when another process holds it,
 * EVO_EIO when the file cannot be opened, locked or written. */
int store_take_lock(const char *dir, int *fd, char *err, size_t errlen);
/* Unlock and close *fd (nothing when it is -1) and set it to -1. */
void store_release_lock(int *fd);

/* Check that path is a whole LMDB file before LMDB maps it: both meta pages readable and
 * consistent (their transaction ids one apart), the last page and the free-list and main
 * roots inside the file, each root a branch or leaf page that names itself. EVO_OK with *h filled, or EVO_ESTORE / EVO_EIO. */
int store_check_header(const char *path, store_header *h, char *err, size_t errlen);

/* Walk every B-tree of the file h describes (the free list, the main database, each named
 * database) with pread, before LMDB follows them: each page in range, of its kind, naming
 * itself, its nodes inside it, no page reached twice, every page the free list offers for
 * reuse in range and in no tree, and the page and entry counts as each database records
 * them. LMDB asserts, writes at absurd offsets or reads past its map on what this refuses.
 * Cost: one read per branch and leaf page (overflow pages: their first page only). For a
 * writer (under the directory lock, the file at rest) and `evo verify`. EVO_OK, or
 * EVO_ESTORE naming the database and page ("PATH: damaged: 'candidates' database, page
 * 57: ..."), or EVO_EIO / EVO_ENOMEM. */
int store_check_trees(const char *path, const store_header *h, char *err, size_t errlen);
#endif
