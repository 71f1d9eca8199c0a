/* fuzz_record.c -- the store's record decoder: any bytes as the value of candidate #3 in the
 * candidates db, through the seal check (evo/store/store_seal.c: payload and 12-byte trailer,
 * or an evo-store-1 value without one), the decoder (record_decode in evo/engine/record.c)
 * and what the planner, the run view and the prompts read from a decoded record: its genome,
 * its fitness-log line, its prompt text. Also checks a seal made over any bytes is accepted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "record.h"
#include "store_seal.h"

#define ID 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char key[8];
    for (int i = 0; i < 8; i++)
        key[i] = (unsigned char)((uint64_t)ID >> (56 - 8 * i)); /* ids are big-endian keys */

    /* A seal made over the input is the seal of the input. */
    unsigned char *sealed = malloc(size + SEAL_BYTES);
    if (!sealed) fuzz_fail("out of memory");
    if (size) memcpy(sealed, data, size);
    seal_make(key, sizeof key, data, size, sealed + size);
    size_t pn = 0;
    if (seal_check(key, sizeof key, sealed, size + SEAL_BYTES, &pn) != SEAL_OK || pn != size)
        fuzz_fail("a freshly sealed value fails its check");
    free(sealed);

    int sc = seal_check(key, sizeof key, data, size, &pn);
    if (sc == SEAL_MISMATCH) {
        fuzz_note("record: seal mismatch");
        return 0; /* the store reports the damage; nothing is decoded */
    }
    size_t len = sc == SEAL_OK ? pn : size;
    if (len > size) fuzz_fail("seal_check gave a payload of %zu of %zu bytes", len, size);
    json_t *rec = NULL;
    char err[512] = "";
    int rc = record_decode(data, len, ID, &rec, err, sizeof err);
    fuzz_note("record: %s", rc == EVO_OK ? "decoded" : err);
    if (rc != EVO_OK) {
        if (rec) fuzz_fail("record_decode failed but handed out a record");
        if (strncmp(err, "candidate #3", 12))
            fuzz_fail("the error does not name the candidate: %s", err);
        return 0;
    }
    if (!json_is_object(rec)) fuzz_fail("record_decode accepted a record that is not an object");
    evo_genome *g = NULL;
    if (record_genome(rec, ID, "__global__ void k() {}\n", &g, err, sizeof err) == EVO_OK) {
        if (!g) fuzz_fail("record_genome gave no genome");
        free(genome_params_json(g));
        free(genome_render(g));
        genome_free(g);
    } else if (g) {
        fuzz_fail("record_genome failed but handed out a genome");
    }
    json_t *line = record_log_line(rec, 1.5, 1);
    if (line) {
        free(json_dumps(line, JSON_COMPACT));
        json_decref(line);
    }
    free(record_prompt_text(rec));
    json_decref(rec);
    return 0;
}
