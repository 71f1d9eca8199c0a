/* test_record.c -- the candidate record's reader (evo/engine/record.c): a record read back
 * gives the genome it was made from, and every malformed field of a damaged or hand-edited
 * store is refused with an error naming the candidate and the field, never a wrong genome. */
#include "check.h"
#include "evo.h"
#include "genome.h"
#include "record.h"
#include "scratch.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *SRC = "/* evo:params\n BM pow2 16..128 default 64\n*/\n__global__ void k() {}\n";

static void put(evo_store *s, int64_t id, const char *json)
{
    evo_txn *t;
    CHECK(store_begin(s, 1, &t) == EVO_OK);
    json_t *rec = json_loads(json, 0, NULL);
    CHECK_MSG(rec != NULL, "bad fixture %s", json);
    CHECK(store_cand_put(t, id, rec) == EVO_OK);
    json_decref(rec);
    CHECK(store_commit(t) == EVO_OK);
}

/* record_load of id: its code, and the message into err. */
static int load(evo_store *s, int64_t id, evo_genome **g, json_t **rec, char *err, size_t n)
{
    evo_txn *t;
    CHECK(store_begin(s, 0, &t) == EVO_OK);
    int rc = record_load(t, id, rec, g, err, n);
    store_abort(t);
    return rc;
}

static void expect_error(evo_store *s, int64_t id, int code, const char *message)
{
    char err[512] = "";
    evo_genome *g = (evo_genome *)1;
    json_t *rec = (json_t *)1;
    int rc = load(s, id, &g, &rec, err, sizeof err);
    CHECK_MSG(rc == code, "candidate %lld: rc %d, expected %d (%s)", (long long)id, rc, code, err);
    CHECK_MSG(g == NULL && rec == NULL, "candidate %lld: outputs not cleared on failure",
              (long long)id);
    CHECK_CONTAINS(err, message);
}

int main(void)
{
    const char *root = scratch_dir("record");
    evo_store *s = NULL;
    char err[512];
    CHECK(store_open(&s, root, STORE_CREATE, "none", err, sizeof err) == EVO_OK);

    evo_genome *want =
        genome_from_pairs("tiled", SRC, 1, (const char *[]){"BM"}, (const char *[]){"32"});
    evo_txn *t;
    CHECK(store_begin(s, 1, &t) == EVO_OK);
    CHECK(store_source_put(t, want->source_sha, SRC) == EVO_OK);
    CHECK(store_commit(t) == EVO_OK);

    char good[512];
    snprintf(good, sizeof good,
             "{\"id\":1,\"template\":\"tiled\",\"source_sha\":\"%s\",\"params\":{\"BM\":\"32\"},"
             "\"status\":\"PASSED\",\"fitness\":1.5,\"artifacts\":{\"compile_log\":\"long\"}}",
             want->source_sha);
    put(s, 1, good);
    /* A number where a string belongs (written by hand or an older tool) reads as its text. */
    snprintf(good, sizeof good,
             "{\"id\":2,\"template\":\"tiled\",\"source_sha\":\"%s\",\"params\":{\"BM\":32}}",
             want->source_sha);
    put(s, 2, good);
    put(s, 3, "{\"id\":3,\"template\":\"tiled\",\"source_sha\":\"\",\"params\":{}}");
    put(s, 4, "{\"id\":4,\"template\":\"tiled\",\"source_sha\":\"abcd\",\"params\":{}}");
    put(s, 5, "{\"id\":5,\"template\":7,\"source_sha\":\"\",\"params\":{}}");
    put(s, 6, "{\"id\":6,\"template\":\"t\",\"source_sha\":\"\",\"params\":[\"BM\"]}");
    put(s, 7, "{\"id\":7,\"template\":\"t\",\"source_sha\":\"\",\"params\":{\"BM\":[32]}}");
    put(s, 8, "{\"id\":8,\"template\":\"t\",\"source_sha\":42,\"params\":{}}");

    /* The genome comes back whole: template, source, parameters, and so the same hash. */
    for (int64_t id = 1; id <= 2; id++) {
        evo_genome *g = NULL;
        json_t *rec = NULL;
        CHECK(load(s, id, &g, &rec, err, sizeof err) == EVO_OK);
        CHECK(g && strcmp(evo_genome_hash(g), evo_genome_hash(want)) == 0);
        CHECK(g && strcmp(evo_genome_template(g), "tiled") == 0 &&
              strcmp(evo_genome_source(g), SRC) == 0);
        CHECK(rec && json_integer_value(json_object_get(rec, "id")) == id);
        if (id == 1) {
            char *text = record_prompt_text(rec);
            CHECK(text && !strstr(text, "compile_log") && strstr(text, "\"fitness\":1.5"));
            free(text);
        }
        json_decref(rec);
        genome_free(g);
    }
    /* A candidate that never had a source (its operator failed) reads with "". */
    evo_genome *g = NULL;
    CHECK(load(s, 3, &g, NULL, err, sizeof err) == EVO_OK);
    CHECK(g && strcmp(evo_genome_source(g), "") == 0);
    genome_free(g);

    expect_error(s, 4, EVO_ESTORE, "candidate 4: source abcd is missing from the store");
    expect_error(s, 5, EVO_ESTORE, "candidate 5: template is not a string");
    expect_error(s, 6, EVO_ESTORE, "candidate 6: params is not an object");
    expect_error(s, 7, EVO_ESTORE, "candidate 7: parameter BM is not a string or number");
    expect_error(s, 8, EVO_ESTORE, "candidate 8: source_sha is not a string");
    expect_error(s, 9, EVO_ENOTFOUND, "candidate 9: not found (the run has 8 candidates)");
    expect_error(s, 0, EVO_ENOTFOUND, "candidate 0: not found");

    genome_free(want);
    store_close(s);
    CHECK(scratch_remove() == 0);
    return CHECK_DONE();
}
