/* test_sha256.c -- SHA-256 against the FIPS 180-4 example vectors, fed one-shot and in
 * pieces of awkward sizes (block boundaries are where padding bugs hide). */
#include <stdlib.h>

#include "check.h"
#include "sha256.h"

static void hex_of(const char *msg, char out[65])
{
    sha256_hex(msg, strlen(msg), out);
}

static void test_vectors(void)
{
    char hex[65];
    hex_of("", hex);
    CHECK_MSG(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0,
              "empty: %s", hex);
    hex_of("abc", hex);
    CHECK_MSG(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
              "abc: %s", hex);
    hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", hex);
    CHECK_MSG(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0,
              "448-bit: %s", hex);
}

static void test_million_a(void)
{
    /* One million 'a' in 1000 updates of 1000 bytes, and again in uneven 997-byte pieces. */
    char chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    const char *want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    uint8_t digest[32];
    char hex[65];
    evo_sha256 s;
    sha256_init(&s);
    for (int i = 0; i < 1000; i++)
        sha256_update(&s, chunk, sizeof chunk);
    sha256_final(&s, digest);
    sha256_to_hex(digest, hex);
    CHECK_MSG(strcmp(hex, want) == 0, "million a: %s", hex);

    sha256_init(&s);
    size_t left = 1000000;
    while (left > 0) {
        size_t n = left < 997 ? left : 997;
        sha256_update(&s, chunk, n);
        left -= n;
    }
    sha256_final(&s, digest);
    sha256_to_hex(digest, hex);
    CHECK_MSG(strcmp(hex, want) == 0, "million a uneven: %s", hex);
}

static void test_split_updates(void)
{
    /* Every split point of messages around the 55/56/64-byte padding edges agrees with
     * the one-shot digest. */
    char msg[130];
    for (int i = 0; i < 130; i++)
        msg[i] = (char)('A' + i % 26);
    for (size_t len = 50; len <= 130; len++) {
        char whole[65];
        sha256_hex(msg, len, whole);
        for (size_t cut = 0; cut <= len; cut += 7) {
            evo_sha256 s;
            uint8_t d[32];
            char hex[65];
            sha256_init(&s);
            sha256_update(&s, msg, cut);
            sha256_update(&s, msg + cut, len - cut);
            sha256_final(&s, d);
            sha256_to_hex(d, hex);
            CHECK_MSG(strcmp(hex, whole) == 0, "len %zu cut %zu", len, cut);
        }
    }
}

int main(void)
{
    test_vectors();
    test_million_a();
    test_split_updates();
    return CHECK_DONE();
}
