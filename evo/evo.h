/* evo.h -- the public interface of libevo, an evolutionary search engine for GPU kernels.
 *
 * Read this file as the manual. Every type is opaque and lives in a handle; there is no
 * global state, so several engines can run in one process. Functions return an int status
 * (EVO_OK or one of the EVO_E* codes below) and keep a human-readable message on the object
 * (evo_errmsg(), evo_run_errmsg()). The library never prints and never calls exit().
 *
 * The pieces:
 *   evo_config     a run's configuration, parsed from one JSON file (defaults applied).
 *   evo_engine     a search in a run directory: the plan-execute-summarize loop, islands,
 *                  elite archive and operator bandit, persisted in LMDB after every evaluation.
 *   evo_run        a read-only view of a run directory (status, best, candidates, log).
 *   evo_genome     a candidate: a source text plus an assignment of named parameters.
 *   evo_evaluator  a callback table that scores genomes (the GPU evaluator is one).
 *   evo_operator   a callback table that makes children (template mutations, the LLM, yours).
 */
#ifndef EVO_H
#define EVO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version, return codes and candidate statuses: the vocabulary every layer of evo shares,
 * in a header of its own so the layers below this API need not include it. */
#include "base/evo_status.h"

/* ---------------------------------------------------------------------------------------
 * Configuration. configs/README.md documents every key and its default.
 * ------------------------------------------------------------------------------------- */
typedef struct evo_config evo_config;

/* Parse the JSON file at path into *out. On error returns EVO_ECONFIG (or EVO_EIO) and writes
 * into err a message naming file, line:column, key path, what was expected and what was
 * found; unknown keys get the nearest valid key suggested. */
int evo_config_load(const char *path, evo_config **out, char *err, size_t errlen);
/* Same, from a string; name is used in messages in place of a file name. */
int evo_config_parse(const char *text, const char *name, evo_config **out, char *err,
                     size_t errlen);
void evo_config_free(evo_config *cfg);
/* The configuration as compact JSON with every default filled in (static for cfg's life). */
const char *evo_config_json(const evo_config *cfg);
/* The file the configuration came from ("" for a string), used to resolve relative paths. */
const char *evo_config_path(const evo_config *cfg);

/* ---------------------------------------------------------------------------------------
 * Genomes: a source text plus parameters. Parameters reach the source as -D macros. The
 * content hash of (normalised source, sorted parameters) identifies a candidate.
 * Views passed to callbacks are valid only during the callback.
 * ------------------------------------------------------------------------------------- */
typedef struct evo_genome evo_genome;

/* The source text as written (parameters not applied). */
const char *evo_genome_source(const evo_genome *g);
/* Name of the template the source came from ("gemm_mma", or "llm-<hash8>" for model code). */
const char *evo_genome_template(const evo_genome *g);
/* 64 hex digits: SHA-256 of the normalised source and the sorted parameter assignment. */
const char *evo_genome_hash(const evo_genome *g);
/* Number of parameters, and the i-th name and value (value as macro text, e.g. "128"). */
int evo_genome_param_count(const evo_genome *g);
const char *evo_genome_param_name(const evo_genome *g, int i);
const char *evo_genome_param_value(const evo_genome *g, int i);
/* Value of the parameter called name as an integer: EVO_OK, EVO_ENOTFOUND, or EVO_EINVAL
 * when its value is not an integer (an enum). */
int evo_genome_param_int(const evo_genome *g, const char *name, int64_t *out);

/* ---------------------------------------------------------------------------------------
 * Results: what an evaluator reports for one genome.
 * ------------------------------------------------------------------------------------- */
typedef struct evo_result evo_result;

/* The engine creates the result and owns it; an evaluator fills it during evaluate() and
 * keeps no pointer to it afterwards. Setters copy what they are given. */

/* The verdict (EVO_STATUS_PENDING until set). */
void evo_result_set_status(evo_result *r, evo_status s);
/* Fitness: larger is better; only meaningful with EVO_STATUS_PASSED. */
void evo_result_set_fitness(evo_result *r, double fitness);
/* An error excerpt (trimmed to 4 KiB) shown to users and to the LLM operator. */
void evo_result_set_error(evo_result *r, const char *fmt, ...);
/* A named figure; workload NULL means the candidate as a whole (e.g. "compile_ms").
 * Per-workload figures conventionally use latency_us, baseline_us, speedup, gbps, tflops,
 * frac_bw, frac_flops, max_abs_err, max_rel_err, status (as a status number). */
/* A second value for the same key replaces the first; a value that is not finite is kept as
 * null. EVO_OK, EVO_EINVAL (key NULL or empty), or EVO_ENOMEM. */
int evo_result_add_metric(evo_result *r, const char *workload, const char *key, double value);
/* A named text beside the figures (workload NULL: the candidate's), e.g. the GPU evaluator's
 * per-workload "baseline" ("trace:flashinfer_gdn_decode", "kernel"): what the figures are
 * against. Kept as a string in the record and the fitness log; replaces an earlier value.
 * EVO_OK, EVO_EINVAL (key or text NULL, key empty), or EVO_ENOMEM. */
int evo_result_add_text(evo_result *r, const char *workload, const char *key, const char *text);
/* A named text kept with the candidate (compile log, launch plan, prompts), trimmed to its
 * first 64 KiB. EVO_OK, EVO_EINVAL (name NULL or empty, text NULL), or EVO_ENOMEM. */
int evo_result_add_artifact(evo_result *r, const char *name, const char *text);
/* What has been set so far: the status (EVO_STATUS_PENDING if none) and the fitness (0). */
evo_status evo_result_status(const evo_result *r);
double evo_result_fitness(const evo_result *r);
/* The result as JSON {"status","fitness","error","metrics":{...},"workloads":{...}};
 * caller frees with evo_free(). */
char *evo_result_json(const evo_result *r);

/* ---------------------------------------------------------------------------------------
 * Evaluators. evaluate() is called from up to `concurrency` threads at once; `slot` is in
 * [0, concurrency) and unique among calls in flight, so state kept per slot needs no lock.
 * Return EVO_OK once a verdict is in `out` (a failing candidate is still EVO_OK); any other
 * code stops the run and the message set with evo_result_set_error() becomes the engine's.
 * ------------------------------------------------------------------------------------- */
typedef struct evo_engine evo_engine;

typedef struct evo_evaluator {
    const char *name;
    void *user;
    /* Optional. Called once on the engine thread before the first evaluation; may call
     * evo_engine_set_constant(). Non-EVO_OK stops the run with errmsg set by the evaluator
     * through evo_engine_set_error(). */
    int (*start)(void *user, evo_engine *e, int concurrency);
    int (*evaluate)(void *user, int slot, const evo_genome *g, evo_result *out);
    /* Optional. A description of the task (definition, shapes, tolerances, target device,
     * launch-plan format) for LLM prompts. Static for the evaluator's life. */
    const char *(*describe)(void *user);
    /* Optional. Called once when the run ends. */
    void (*stop)(void *user);
    /* Optional: the winner's curse. A child whose fitness beats the incumbent best is
     * re-timed against it, interleaved, `rounds` times on fresh inputs; fill child_fit[i] and
     * incumbent_fit[i] with both fitnesses of round i. A failure of the child in a round goes
     * into out (status and error) with EVO_OK returned; any other return code stops the run.
     * The engine admits the child as the new best only if it leads in every round and its mean
     * lead exceeds the rounds' own spread; otherwise its fitness is capped at the incumbent's. */
    int (*confirm)(void *user, int slot, const evo_genome *child, const evo_genome *incumbent,
                   int rounds, double *child_fit, double *incumbent_fit, evo_result *out);
    /* Optional. What the evaluator knows once started (its device, measured ceilings) as a
     * JSON object; static until destroy. */
    const char *(*facts)(void *user);
    /* Optional. Frees user. An engine given the table calls it when it closes; a program
     * that uses the table alone calls it itself. */
    void (*destroy)(void *user);
} evo_evaluator;

/* ---------------------------------------------------------------------------------------
 * Operators: make one child from the context of a mutation. Operators run on worker
 * threads; the context holds copies of everything they may read, so they never touch engine
 * state directly. Return EVO_OK after evo_mutation_emit(), EVO_EDUPLICATE if no unseen
 * child could be made, EVO_ESPACE if the space has no valid point, or another code with
 * evo_mutation_fail() explaining why (the attempt is recorded as an INVALID candidate).
 * ------------------------------------------------------------------------------------- */
typedef struct evo_mutation evo_mutation;

typedef struct evo_operator {
    const char *name; /* unique in the engine: "point", "multi", "crossover", "restart", "llm" */
    int parents;      /* parents needed: 1, or 2 for crossover */
    void *user;
    int (*mutate)(void *user, evo_mutation *m);
    /* Optional. The last child failed (compile error, wrong output...): emit a repaired child
     * and return EVO_OK, or return EVO_ENOTFOUND to give up. Called at most max_repairs times. */
    int (*repair)(void *user, evo_mutation *m, const evo_result *failed);
    /* Optional. The child has been evaluated; label is "improvement", "regression" or
     * "stale". May call evo_mutation_set_insight() with a lesson for later planners.
     * Operators that summarize are given the full context (parents' records,
     * inspirations, island memory); the others only the parents' genomes and fitness, so
     * that planning a template mutation stays cheap. */
    int (*summarize)(void *user, evo_mutation *m, const evo_result *child, const char *label);
    /* Optional. Called once when the engine closes. */
    void (*destroy)(void *user);
} evo_operator;

/* The context belongs to the engine and lives for one job: every pointer and string below is
 * owned by it and valid until the operator's callback returns. */

/* Uniform random numbers from the mutation's own PCG32 stream (deterministic per plan). */
uint32_t evo_mutation_random(evo_mutation *m);
double evo_mutation_uniform(evo_mutation *m); /* in [0, 1) */
/* Parents (1 or 2), their fitness and full records as JSON (metrics, status, lineage). */
int evo_mutation_parent_count(const evo_mutation *m);
const evo_genome *evo_mutation_parent(const evo_mutation *m, int i);
double evo_mutation_parent_fitness(const evo_mutation *m, int i);
const char *evo_mutation_parent_json(const evo_mutation *m, int i);
/* Inspirations: records (JSON) of the island best, global elites and a diverse pick. */
int evo_mutation_inspiration_count(const evo_mutation *m);
const char *evo_mutation_inspiration_json(const evo_mutation *m, int i);
/* The island's recent insights and failures, one per line, newest last. */
const char *evo_mutation_memory(const evo_mutation *m);
/* The evaluator's task description ("" when it has none). */
const char *evo_mutation_task(const evo_mutation *m);
/* The island the child will join, and the operators' options as JSON: the mutation knobs
 * (multi_max, resample_prob, max_tries, max_repairs) and the config's "llm" section. */
int evo_mutation_island(const evo_mutation *m);
const char *evo_mutation_options(const evo_mutation *m);
/* The engine's named constants, usable in evo:params constraints (evo_engine_set_constant and
 * the config's "constants"), as a JSON object such as {"SMEM_LIMIT":232448}; "{}" if none. */
const char *evo_mutation_constants_json(const evo_mutation *m);

/* Emit the child. template_name NULL keeps the first parent's template when the source is
 * the same, or names the new template "llm-<hash8>". params_json is an object mapping
 * parameter names to values; NULL takes the source's defaults, keeping the first parent's
 * value for every parameter both share. Returns EVO_ESPACE with evo_mutation_errmsg() set
 * when the source's evo:params block is malformed or the assignment violates it. */
int evo_mutation_emit(evo_mutation *m, const char *template_name, const char *source,
                      const char *params_json);
/* The child emitted last (NULL before the first emit). */
const evo_genome *evo_mutation_child(const evo_mutation *m);
/* Whether a genome with this hash has already been evaluated or is in flight. */
int evo_mutation_seen(const evo_mutation *m, const char *hash);
/* Record why no child could be made (kept as the INVALID candidate's error; 4 KiB at most). */
void evo_mutation_fail(evo_mutation *m, const char *fmt, ...);
const char *evo_mutation_errmsg(const evo_mutation *m);
/* Audit trail: a named text kept with the child (prompt, reply, plan, lesson...). */
void evo_mutation_note(evo_mutation *m, const char *name, const char *text);
/* Language-model usage spent on this child, counted per model and against the budgets. */
void evo_mutation_add_usage(evo_mutation *m, const char *model, int64_t tokens_in,
                            int64_t tokens_out, double cost_usd);
/* Whether a budget (cost, tokens, calls) is exhausted; an LLM operator checks it first. */
int evo_mutation_budget_left(const evo_mutation *m);
/* Reserve one model call before sending it: its bound (the most it can cost) counts against
 * the budgets at once and is written to the run's store, so a process killed while the
 * request is in flight still has the call counted when the run resumes. Returns a ticket
 * (> 0) for evo_mutation_settle_usage; 0 when a budget is spent, or a negative EVO_ code when
 * the store could not record it: then the call must not be sent (evo_mutation_errmsg says
 * why). */
int64_t evo_mutation_reserve_usage(evo_mutation *m, const char *model, int64_t tokens_in,
                                   int64_t tokens_out, double cost_usd);
/* What a reserved call really spent (as evo_mutation_add_usage); it replaces the reservation
 * in the transaction that commits the child. */
void evo_mutation_settle_usage(evo_mutation *m, int64_t ticket, const char *model,
                               int64_t tokens_in, int64_t tokens_out, double cost_usd);
/* Non-zero once the run is stopping (an interrupt): send no new model request, and end any
 * wait (a backoff, a server's Retry-After) at once. */
int evo_mutation_stopping(const evo_mutation *m);
/* Set the lesson stored as this child's insight (replaces the structured default line). */
void evo_mutation_set_insight(evo_mutation *m, const char *text);

/* ---------------------------------------------------------------------------------------
 * Engine: one search in one run directory.
 * ------------------------------------------------------------------------------------- */

/* Start a new run in run_dir (created if missing) from cfg, which the engine copies. Fails
 * with EVO_EBUSY if another process holds the directory, EVO_ESTORE if it already holds a
 * run or a foreign/corrupt store. On failure *out is still set (or NULL on EVO_ENOMEM) so
 * evo_errmsg() can be read; close it with evo_engine_close(). */
int evo_engine_open(evo_engine **out, const char *run_dir, const evo_config *cfg);
/* Reopen the run in run_dir to continue it; its configuration is read from the store. */
int evo_engine_resume(evo_engine **out, const char *run_dir);
/* Close: stop workers, commit, release the directory. NULL is a no-op. */
void evo_engine_close(evo_engine *e);
/* The last error message ("" if none). Never NULL; e may be NULL (gives "out of memory"). */
const char *evo_errmsg(const evo_engine *e);
/* Set the error message (for evaluators and operators reporting through the engine; 4 KiB
 * at most). */
void evo_engine_set_error(evo_engine *e, const char *fmt, ...);
/* The run's configuration and directory (owned by the engine, valid until it closes). */
const evo_config *evo_engine_config(const evo_engine *e);
const char *evo_engine_run_dir(const evo_engine *e);

/* Add a seed template: a source with an evo:params block (copied). On a resumed run a seed
 * already stored is skipped. The seed is evaluated first at its defaults. EVO_OK, EVO_ESPACE
 * (the evo:params block is malformed), EVO_EINVAL (more than 32 seeds) or a store code, with
 * evo_errmsg(e). */
int evo_engine_add_seed(evo_engine *e, const char *template_name, const char *source);
/* Set the evaluator (copied; the engine calls its destroy when it closes, and on the one it
 * replaces). Must be called before evo_engine_run(). EVO_EINVAL when it has no evaluate. */
int evo_engine_set_evaluator(evo_engine *e, const evo_evaluator *ev);
/* Add an operator (copied; the engine calls its destroy when it closes). The four template
 * operators are built in and added by evo_engine_open(); names must be unique. The config's
 * operator weights apply by name. EVO_EINVAL (no name or mutate, parents not 1 or 2, a name
 * taken, more than 16 operators) with evo_errmsg(e). */
int evo_engine_add_operator(evo_engine *e, const evo_operator *op);
/* A named integer constant usable in parameter constraints (e.g. SMEM_LIMIT). EVO_OK or
 * EVO_ENOMEM. */
int evo_engine_set_constant(evo_engine *e, const char *name, int64_t value);
/* Keep bytes with the run under a key (an evaluator's compiled code by content hash) and get
 * them back; both thread-safe. save returns EVO_OK or EVO_ESTORE; load returns a copy the
 * caller frees with evo_free(), or NULL when the key is absent. */
int evo_engine_save_blob(evo_engine *e, const char *key, const void *data, size_t n);
void *evo_engine_load_blob(evo_engine *e, const char *key, size_t *n);

/* Progress reports, called on the engine thread after every committed evaluation. */
typedef struct evo_progress {
    int64_t evaluations; /* evaluations committed (this run, all sessions) */
    int64_t cached;      /* children whose result was reused from an identical candidate */
    int64_t failures[EVO_STATUS_COUNT]; /* count per status */
    double best_fitness;                /* 0 before the first PASSED candidate */
    int64_t best_id;                    /* -1 before the first PASSED candidate */
    double elapsed_s;                   /* wall time summed over sessions */
    double budget_s;                    /* the wall-time stop, 0 if none */
    int64_t max_evaluations;            /* 0 if none */
    double llm_cost_usd;
    int64_t llm_tokens;
    int64_t last_id; /* candidate just committed */
    evo_status last_status;
    double last_fitness;
    int done; /* 1 on the final call */
} evo_progress;
typedef void (*evo_progress_fn)(void *user, const evo_progress *p);
void evo_engine_set_progress(evo_engine *e, evo_progress_fn fn, void *user);

/* Setup progress: the long steps before the search's first figures (the GPU evaluator's:
 * "ceilings" at start, "compile" for the first NVRTC compile, "references and baseline" for
 * the host references and baseline timing of the first evaluation), reported by the
 * evaluator with evo_engine_report_setup as units done of a total. The engine adds the
 * step's elapsed time and calls fn, from whichever thread reported, one call at a time; a
 * program renders it (the evo command: a bar with an ETA on a terminal, plain lines off one). */
typedef struct evo_setup_progress {
    const char *step;      /* what is being done, e.g. "references and baseline" */
    int64_t done, total;   /* units done of total (0 <= done <= total; total 0: unknown) */
    double step_elapsed_s; /* since the step's first report */
} evo_setup_progress;
typedef void (*evo_setup_fn)(void *user, const evo_setup_progress *p);
void evo_engine_set_setup_progress(evo_engine *e, evo_setup_fn fn, void *user);
/* For evaluators: done of total units of step. Thread-safe; a no-op when e is NULL or no
 * callback is set. A report with another step name, or done 0, starts the step's clock. */
void evo_engine_report_setup(evo_engine *e, const char *step, int64_t done, int64_t total);

/* Run until a stop condition holds. Returns EVO_OK at a stop condition, EVO_EINTERRUPT
 * after evo_engine_interrupt(), or an error code with evo_errmsg() set. */
int evo_engine_run(evo_engine *e);
/* Ask the run to stop: hard = 0 finishes evaluations in flight and commits them; hard = 1
 * abandons them. Async-signal-safe (only sets a flag). */
void evo_engine_interrupt(evo_engine *e, int hard);

/* ---------------------------------------------------------------------------------------
 * Run directories, read-only: usable while a run is in progress in another process.
 * ------------------------------------------------------------------------------------- */
typedef struct evo_run evo_run;
typedef struct evo_candidate evo_candidate;

/* Open run_dir read-only. On failure *out is set for evo_run_errmsg() (or NULL). */
int evo_run_open(evo_run **out, const char *run_dir);
void evo_run_close(evo_run *r);
const char *evo_run_errmsg(const evo_run *r);
/* The run's status as JSON (counters, best, islands, operators, budgets, and "facts": what
 * the evaluator told of itself once started, its device and ceilings, or null); caller frees
 * with evo_free(). EVO_OK, or a code with evo_run_errmsg(r). */
int evo_run_status_json(evo_run *r, char **out);
/* Number of committed candidates; ids run from 1 to this number. -1 with evo_run_errmsg(r)
 * when the store cannot be read. */
int64_t evo_run_count(evo_run *r);
/* Candidate by id, or the best PASSED candidate; the caller frees *out with
 * evo_candidate_free(). EVO_ENOTFOUND (no such candidate, or none has passed), EVO_ESTORE (a
 * malformed record or a missing source, named) or EVO_ENOMEM, with evo_run_errmsg(r). */
int evo_run_candidate(evo_run *r, int64_t id, evo_candidate **out);
int evo_run_best(evo_run *r, evo_candidate **out);
void evo_candidate_free(evo_candidate *c);

/* Views of a candidate; the genome and strings are owned by c. */
int64_t evo_candidate_id(const evo_candidate *c);
evo_status evo_candidate_status(const evo_candidate *c);
double evo_candidate_fitness(const evo_candidate *c);
const evo_genome *evo_candidate_genome(const evo_candidate *c);
/* The full record as JSON: id, hash, parents, island, operator, params, status, fitness,
 * metrics, error, timings, notes. Static for c's life. */
const char *evo_candidate_json(const evo_candidate *c);
/* The source with its parameters applied as #define lines before it; caller frees with
 * evo_free(). NULL on out of memory. */
char *evo_candidate_render(const evo_candidate *c);

/* The configuration the run was started with (every default filled in), as JSON, and the
 * folder its relative paths resolve against; caller frees *json with evo_free(). EVO_OK, or
 * EVO_ESTORE with evo_run_errmsg(r). */
int evo_run_config(evo_run *r, char **json, char **base_dir);
/* The fitness log as CSV (fixed columns, then one per workload figure; README): caller
 * frees *csv. EVO_OK, or EVO_EIO with evo_run_errmsg(r). */
int evo_run_log_csv(evo_run *r, char **csv);
/* The verdict `evo validate` kept for candidate id, as JSON (caller frees), or EVO_ENOTFOUND
 * when it has none. */
int evo_run_validation(evo_run *r, int64_t id, char **json);

/* Check a run directory's store record by record (`evo verify`): every value of every
 * database read and its checksum checked, candidate records decoded, sources and the engine
 * state present; a damaged page that would crash LMDB is reported, not a crash. *report
 * (caller frees with evo_free) is JSON: {"store", "format", "checksums", "records",
 * "damaged": [{"name": "candidate #69", "why": "..."}], "candidates", "intact",
 * "passed", "exportable": [ids of intact PASSED candidates with their source],
 * "best_exportable": the fittest of them or null}. EVO_OK when nothing is damaged;
 * EVO_ESTORE when something is (report set) or when the store cannot be opened as a run's
 * (report NULL, err says why: a damaged header, another run's store.mdb); EVO_ENOTFOUND (no
 * run), EVO_EIO, EVO_ENOMEM.
 * Installs a SIGBUS/SIGSEGV handler while it reads: call it from one thread. */
int evo_verify(const char *run_dir, char **report, char *err, size_t errlen);

/* ---------------------------------------------------------------------------------------
 * What evo ships, for programs that embed it: the evaluators, the LLM operator, and the
 * tools behind the evo command. Messages: functions on a handle leave theirs on it
 * (evo_errmsg, evo_run_errmsg); the builders below have no handle yet, so they write into a
 * caller's buffer (err, errlen), as evo_config_load does.
 * ------------------------------------------------------------------------------------- */

/* The GPU evaluator of cfg's evaluator section: candidates compiled with NVRTC, gated and
 * timed on the device by evo-worker and evo-sandbox (README). Nothing starts until the
 * engine starts it; the table's destroy frees it (an engine calls it when it closes). */
int evo_evaluator_gpu(const evo_config *cfg, evo_evaluator *out, char *err, size_t errlen);
/* The synthetic evaluator (evaluator.synthetic: a known optimum, for tests and benchmarks)
 * and its seed template's source (static for the table's life). */
int evo_evaluator_synthetic(const evo_config *cfg, evo_evaluator *out, const char **seed_source,
                            char *err, size_t errlen);
/* The LLM mutation operator of cfg's llm section (EVO_ECONFIG when no model is configured). */
int evo_operator_llm(const evo_config *cfg, evo_operator *out, char *err, size_t errlen);
/* Everything the engine's configuration asks for, in one call: the evaluator of
 * evaluator.kind ("gpu" or "synthetic"; with "custom" the program sets its own evaluator and
 * seeds, and still gets the rest), its seeds (a GPU
 * task's seed kernels, those named by evaluator.seeds, for evaluator.arch), and the LLM
 * operator when operators.llm has a weight. The engine owns all of it. EVO_OK, or a code with
 * evo_errmsg(e). */
int evo_engine_configure(evo_engine *e);
/* What the engine's evaluator knows once started (evo_evaluator.facts), or "{}". */
const char *evo_engine_evaluator_facts(evo_engine *e);

/* `evo check`: compile every seed of every task under kernels_dir, at its defaults and at
 * `samples` random valid points, for each of archs (no GPU needed). *report gets one line
 * per compile (caller frees) and *failures the count; EVO_OK, or EVO_EIO with err. */
int evo_check_kernels(const char *kernels_dir, const char *const *archs, int narchs, int samples,
                      char **report, int *failures, char *err, size_t errlen);
/* `evo check CONFIG`: the same for the task cfg's GPU evaluator would search (a task folder,
 * or a FlashInfer dataset's definition with the seeds of the task folder that has it, blobs
 * resolved as evaluator.blob_policy says). EVO_OK, or EVO_ECONFIG with err (no task, or a
 * task without seed kernels). */
int evo_check_config(const evo_config *cfg, const char *const *archs, int narchs, int samples,
                     char **report, int *failures, char *err, size_t errlen);
/* `evo llm-check`: one short request to every model of cfg, all at once, and the prompt
 * templates loaded; *report gets a line per model (caller frees), *failures the count of
 * models (and prompt sets) that failed. EVO_OK, or EVO_ECONFIG with err. */
int evo_llm_check(const evo_config *cfg, char **report, int *failures, char *err, size_t errlen);
/* `evo validate`: candidate id of the run (0: the best) evaluated again on every workload with
 * the stricter protocol (trials and iterations 0: three times the run's compared runs, at
 * least 10, and twice its timed runs), a fresh reference pool and new processes; the verdict
 * kept in the run and returned as JSON (caller frees). EVO_OK with the verdict (which may be a
 * failure), or a code with evo_run_errmsg(r). */
int evo_run_validate(evo_run *r, int64_t id, int trials, int iterations, char **verdict);
/* `evo export`: candidate id (0: the best) as a FlashInfer-Bench Solution and Trace under
 * out_dir. The task comes from the run's configuration unless task_dir is given; hardware and
 * libs (may be NULL) go into the trace. flags: EVO_EXPORT_UNVALIDATED exports a candidate that
 * has not passed evo_run_validate (refused otherwise, EVO_EINVAL with the reason);
 * EVO_EXPORT_TORCH writes the torch (pybind11) binding instead of TVM-FFI's, FlashInfer-Bench's
 * default and the cheaper per call. *summary (caller frees) says what was written. A code with
 * evo_run_errmsg(r) otherwise. */
#define EVO_EXPORT_UNVALIDATED 1
#define EVO_EXPORT_TORCH 2
int evo_run_export(evo_run *r, int64_t id, const char *out_dir, const char *task_dir,
                   const char *hardware, const char *libs, int flags, char **summary);

#ifdef __cplusplus
}
#endif
#endif /* EVO_H */
