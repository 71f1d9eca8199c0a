/* store_seal.c -- the per-value checksum of the run store (store_seal.h). */
#include "store_seal.h"

#include "sha256.h"

#include <stdint.h>
#include <string.h>

static const unsigned char seal_tag[4] = {'e', 'v', 's', '2'};

void seal_make(const void *key, size_t klen, const void *payload, size_t n,
               unsigned char out[SEAL_BYTES])
{
    unsigned char len[8];
    uint64_t k = (uint64_t)klen;
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)(k >> (8 * i));
    evo_sha256 h;
    uint8_t d[32];
    sha256_init(&h);
    sha256_update(&h, len, sizeof len);
    if (klen) sha256_update(&h, key, klen);
    if (n) sha256_update(&h, payload, n);
    sha256_final(&h, d);
    memcpy(out, seal_tag, sizeof seal_tag);
    memcpy(out + sizeof seal_tag, d, SEAL_BYTES - sizeof seal_tag);
}

int seal_check(const void *key, size_t klen, const void *buf, size_t n, size_t *payload_n)
{
    *payload_n = 0;
    if (!buf || n < SEAL_BYTES) return SEAL_MISSING;
    const unsigned char *t = (const unsigned char *)buf + (n - SEAL_BYTES);
    if (memcmp(t, seal_tag, sizeof seal_tag) != 0) return SEAL_MISSING;
    unsigned char want[SEAL_BYTES];
    seal_make(key, klen, buf, n - SEAL_BYTES, want);
    if (memcmp(want, t, SEAL_BYTES) != 0) return SEAL_MISMATCH;
    *payload_n = n - SEAL_BYTES;
    return SEAL_OK;
}
