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
    uint64_t mapsize, txnid, root[2];
} store_header;

/* Lock DIR/lock with flock() and write this process's pid into it: EVO_OK with *fd set, or
 * EVO_EBUSY ("run directory DIR is in use by process PID") when another process holds it,
 * EVO_EIO when the file cannot be opened, locked or written. */
int store_take_lock(const char *dir, int *fd, char *err, size_t errlen);
/* Unlock and close *fd (nothing when it is -1) and set it to -1. */
void store_release_lock(int *fd);

/* Check that path is a whole LMDB file before LMDB maps it: both meta pages readable and
 * consistent, the roots inside the file. EVO_OK with *h filled, or EVO_ESTORE / EVO_EIO. */
int store_check_header(const char *path, store_header *h, char *err, size_t errlen);
#endif
