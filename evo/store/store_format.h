/* store_format.h -- what the engine writes into the store: candidate records (written and
 * read back only by evo/engine/record.c) and the meta keys of the engine state (persist.c),
 * read by the run views (evo/api/run_view.c). JSON shapes are stable: `evo status --json`
 * and the fitness log expose them.
 *
 * Candidate record (candidates db, key = id):
 *   {"id":7, "hash":"<64 hex>", "template":"gemm_mma", "source_sha":"<64 hex>",
 *    "params":{"BM":"128",...}, "parents":[3] , "repair_of":null|id, "island":1,
 *    "operator":"point", "status":"PASSED", "fitness":1.12, "label":"improvement",
 *    "error":null|"...", "metrics":{...}, "workloads":{"M=1024":{...}},
 *    "artifacts":{"compile_log":"..."}, "notes":{"plan":"...","prompt":"..."},
 *    "usage":{"model":{"tokens_in":..,"tokens_out":..,"cost_usd":..,"calls":..}} or {},
 *    "insight":"#7 point on #3 (island 1): BM 128->64: improvement, 1.1 (parent 1.02)",
 *    "t":12.5 (run seconds at commit), "eval_ms":830.2, "session":1}
 * The source text lives once in the sources db under source_sha.
 *
 * Every value of an evo-store-2 (in every db) ends with a 12-byte seal, the tag "evs2" and
 * 8 bytes of XXH64 over its key and payload (store_seal.h), where the key is the db's
 * name, a NUL, then the LMDB key ("candidates\0" + 8-byte id); store_lmdb.c checks it on
 * every read and names the record that fails ("DIR/store.mdb: candidate #69: checksum
 * mismatch"). The shapes below are the payloads.
 *
 * Meta keys (meta db):
 *   "magic"            "evo-store-2" (store_lmdb.c); "evo-store-1" stores (no checksums)
 *                      are still read and written as they are
 *   "run_id"           "<32 hex>" drawn when the store is created and kept also in
 *                      DIR/run_id: a store.mdb swapped in from another run is refused
 *   "run"              {"name","created":"ISO-8601","evo_version","seed"}
 *   "config"           the configuration JSON with defaults
 *   "seeds"            [{"template":"gemm_mma","source_sha":"..."}] seed templates, in order
 *   "constants"        {"SMEM_LIMIT":232448,...} constants set by the evaluator
 *   "facts"            what the evaluator knew once started (evo_evaluator.facts), as of the
 *                      latest session: {"device","arch","sms","ceiling_gbps",
 *                      "ceiling_tflops","task",...}; absent when it told nothing
 *   "state/counters"   {"evaluations":n,"cached":n,"failures":{"COMPILE_ERROR":n,..},
 *                       "best_id":id|-1,"best_fitness":f,"elapsed_s":s,"sessions":n,
 *                       "since_best":n,"seeds_done":n,"jobs_done":n,"dup_streak":n,
 *                       "finished":bool,"stop_reason":"..."}
 *   "state/rng"        {"state":"<u64 decimal>","inc":"<u64 decimal>"} the engine stream
 *   "state/islands"    {"count":n}; each island under "state/island/<i>" (island_to_json),
 *                      so a commit writes only the islands it changed
 *   "state/archive"    archive_to_json
 *   "state/bandit"     bandit_to_json
 *   "state/usage"      {"models":{name:{tokens_in,tokens_out,cost_usd,calls}},
 *                       "tokens_in":n,"tokens_out":n,"cost_usd":x,"calls":n}
 *
 * Blob keys (blobs db), beside the search's records:
 *   "cubin/<sha256>"    a compiled candidate (the GPU evaluator)
 *   "validation/<id>"   `evo validate`'s verdict on candidate id: JSON text with its NUL
 */
#ifndef EVO_STORE_FORMAT_H
#define EVO_STORE_FORMAT_H

#define EVO_STORE_MAGIC "evo-store-2"    /* every value sealed with its checksum */
#define EVO_STORE_MAGIC_V1 "evo-store-1" /* older: no checksums, still read and written */
#define META_RUN_ID "run_id"
#define BLOB_VALIDATION_PREFIX "validation/"
#define META_RUN "run"
#define META_CONFIG "config"
#define META_SEEDS "seeds"
#define META_CONSTANTS "constants"
#define META_FACTS "facts"
#define META_COUNTERS "state/counters"
#define META_RNG "state/rng"
#define META_ISLANDS "state/islands"
#define META_ISLAND_PREFIX "state/island/"
#define META_ARCHIVE "state/archive"
#define META_BANDIT "state/bandit"
#define META_USAGE "state/usage"
/* Model calls reserved before they were sent and not yet settled by a commit (budget.c):
 * {"next":n,"pending":{"ticket":{model,tokens_in,tokens_out,cost_usd,calls}}} */
#define META_LLM_LEDGER "state/llm_ledger"
#endif
