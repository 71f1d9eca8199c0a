/* store_seal.h -- the checksum every value of an evo-store-2 carries (store_seal.c).
 *
 * A sealed value is the payload followed by a 12-byte trailer: the tag "evs2" and XXH64
 * (seed 0, little-endian) of the key length as 8 bytes little-endian, the key and the
 * payload. Binding the key in
 * means a record that moved (a flipped bit in its key, a page pointing at another record's
 * bytes) fails its check as surely as one whose bytes changed; the store passes as the key
 * its database's name, a NUL and the LMDB key, so a record read from another database fails
 * too (store_format.h). Pure functions on byte
 * buffers: store_lmdb.c seals on every put and checks on every get; record.c's decoder and
 * the fuzz target call them on bytes they were handed. */
#ifndef EVO_STORE_SEAL_H
#define EVO_STORE_SEAL_H
#include <stddef.h>

#define SEAL_BYTES 12

enum { SEAL_OK = 0, SEAL_MISSING = 1, SEAL_MISMATCH = 2 };

/* Write the trailer of payload under key into out[SEAL_BYTES]. */
void seal_make(const void *key, size_t klen, const void *payload, size_t n,
               unsigned char out[SEAL_BYTES]);
/* Check the sealed value buf[0..n) stored under key: SEAL_OK with *payload_n set to the
 * payload's length, SEAL_MISSING (too short or no tag: not a sealed value) or SEAL_MISMATCH. */
int seal_check(const void *key, size_t klen, const void *buf, size_t n, size_t *payload_n);
#endif
