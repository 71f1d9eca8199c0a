/* sha256.h -- SHA-256 (FIPS 180-4), for content hashes of candidates and compiled code. */
#ifndef EVO_SHA256_H
#define EVO_SHA256_H
#include <stddef.h>
#include <stdint.h>

typedef struct evo_sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t buf[64];
    size_t fill;
} evo_sha256;

void sha256_init(evo_sha256 *s);
void sha256_update(evo_sha256 *s, const void *data, size_t n);
void sha256_final(evo_sha256 *s, uint8_t out[32]);
/* One-shot: 64 lowercase hex digits and a NUL into hex[65]. */
void sha256_hex(const void *data, size_t n, char hex[65]);
void sha256_to_hex(const uint8_t digest[32], char hex[65]);
#endif
