/* config_schema.c -- the engine's and evaluator's configuration keys, and access to the
 * whole schema table (this half plus the llm half in config_schema_llm.c).
 *
 * Each entry gives a key's type, bounds, default (as JSON text) and a one-line meaning; the
 * validator, the default filler and the README generator all read this table, so adding a
 * key here is all it takes to accept, default and document it. */
#include "config_schema.h"

#include <stdio.h>
#include <string.h>

#define FEATURES_DEFAULT "[{\"kind\":\"template\"},{\"kind\":\"hash\",\"bins\":16}]"
#define OPERATORS_DEFAULT                                                                          \
    "{\"point\":1.0,\"multi\":1.0,\"crossover\":0.5,\"restart\":0.2,\"llm\":0.0}"

const config_key config_schema_engine[] = {
    {.path = "name",
     .type = CT_STRING,
     .def = "\"run\"",
     .maxlen = 127,
     .doc = "Name of the run, shown by status and reports, and the start of its folder "
            "runs/<name>-<time>: a plain name (letters, digits, '.', '_', '-'; no leading dot)."},
    {.path = "seed",
     .type = CT_INT,
     .def = "1",
     .flags = CK_MIN,
     .min = 0,
     .doc = "Seed of every random stream: the same seed and configuration replay the same "
            "search."},
    {.path = "concurrency",
     .type = CT_INT,
     .def = "1",
     .flags = CK_MIN | CK_MAX,
     .min = 1,
     .max = 256,
     .doc = "Evaluations in flight at once (one evaluator slot each)."},

    {.path = "islands.count",
     .type = CT_INT,
     .def = "3",
     .flags = CK_MIN | CK_MAX,
     .min = 1,
     .max = 64,
     .doc = "Number of islands: populations that evolve apart and exchange "
            "migrants."},
    {.path = "islands.population",
     .type = CT_INT,
     .def = "100",
     .flags = CK_MIN | CK_MAX,
     .min = 1,
     .max = 100000,
     .doc = "Most occupied cells per island; beyond it the worst candidate is evicted."},
    {.path = "islands.features",
     .type = CT_OBJECTS,
     .def = FEATURES_DEFAULT,
     .minlen = 1,
     .maxlen = 4,
     .doc = "Dimensions of each island's MAP-Elites grid (1 to 4): one cell per "
            "combination of bins keeps its best candidate."},
    {.path = "islands.features[].kind",
     .type = CT_STRING,
     .flags = CK_REQUIRED,
     .allowed = "template|param|metric|source_length|hash",
     .doc = "What the dimension bins: the template, a parameter's value, a metric, the "
            "source length, or a hash of the genome."},
    {.path = "islands.features[].name",
     .type = CT_STRING,
     .maxlen = 63,
     .doc = "Parameter or metric name (required for param and metric)."},
    {.path = "islands.features[].bins",
     .type = CT_INT,
     .def = "8",
     .flags = CK_MIN | CK_MAX,
     .min = 1,
     .max = 1024,
     .doc = "Number of bins (metric, source_length, hash)."},
    {.path = "islands.features[].min",
     .type = CT_NUMBER,
     .def = "0.0",
     .doc = "Low end of the binning range (metric, source_length); values below are clamped."},
    {.path = "islands.features[].max",
     .type = CT_NUMBER,
     .def = "1.0",
     .doc = "High end of the binning range (metric, source_length); must exceed min."},

    {.path = "migration.interval",
     .type = CT_INT,
     .def = "10",
     .flags = CK_MIN,
     .min = 0,
     .doc = "Evaluations between migrations; 0 disables migration."},
    {.path = "migration.rate",
     .type = CT_NUMBER,
     .def = "0.2",
     .flags = CK_MIN | CK_MAX,
     .min = 0,
     .max = 1,
     .doc = "Fraction of an island's population sent at each migration (at least one)."},
    {.path = "migration.topology",
     .type = CT_STRING,
     .def = "\"ring\"",
     .allowed = "ring|full",
     .doc = "Where migrants go: the next island (ring) or every other island (full)."},

    {.path = "selection.temperature",
     .type = CT_NUMBER,
     .def = "1.0",
     .flags = CK_MIN | CK_MIN_EXCL,
     .min = 0,
     .doc = "Boltzmann temperature of parent selection over normalised fitness."},
    {.path = "selection.explore_rate",
     .type = CT_NUMBER,
     .def = "0.2",
     .flags = CK_MIN | CK_MAX,
     .min = 0,
     .max = 1,
     .doc = "Initial probability of picking a parent uniformly instead of by fitness."},
    {.path = "selection.explore_max",
     .type = CT_NUMBER,
     .def = "0.8",
     .flags = CK_MIN | CK_MAX,
     .min = 0,
     .max = 1,
     .doc = "Cap on the exploration rate as it grows on stagnation."},
    {.path = "selection.explore_growth",
     .type = CT_NUMBER,
     .def = "2.0",
     .flags = CK_MIN,
     .min = 1,
     .doc = "Factor applied to an island's exploration rate when it stagnates."},
    {.path = "selection.stagnation_window",
     .type = CT_INT,
     .def = "20",
     .flags = CK_MIN,
     .min = 1,
     .doc = "Evaluations of an island without improvement that count as stagnation."},
    {.path = "selection.elite_ratio",
     .type = CT_NUMBER,
     .def = "0.3",
     .flags = CK_MIN | CK_MAX | CK_MIN_EXCL,
     .min = 0,
     .max = 1,
     .doc = "Fraction of an island's population in its elite pool."},
    {.path = "selection.global_mix",
     .type = CT_NUMBER,
     .def = "0.3",
     .flags = CK_MIN | CK_MAX,
     .min = 0,
     .max = 1,
     .doc = "Probability that a parent is drawn from the global archive instead of the island."},
    {.path = "selection.weight_decay",
     .type = CT_NUMBER,
     .def = "0.8",
     .flags = CK_MIN | CK_MAX | CK_MIN_EXCL,
     .min = 0,
     .max = 1,
     .doc = "Factor on a parent's sampling weight after a child that did not improve."},
    {.path = "selection.weight_boost",
     .type = CT_NUMBER,
     .def = "1.5",
     .flags = CK_MIN,
     .min = 1,
     .doc = "Factor on a parent's sampling weight after an improving child (capped at 1)."},
    {.path = "selection.min_weight",
     .type = CT_NUMBER,
     .def = "0.05",
     .flags = CK_MIN | CK_MAX,
     .min = 0,
     .max = 1,
     .doc = "Floor on sampling weights, so no parent is starved."},
    {.path = "selection.inspirations",
     .type = CT_INT,
     .def = "3",
     .flags = CK_MIN | CK_MAX,
     .min = 0,
     .max = 16,
     .doc = "Inspirations (island best, elites, a diverse pick) handed to operators."},

    {.path = "archive.size",
     .type = CT_INT,
     .def = "50",
     .flags = CK_MIN | CK_MAX,
     .min = 1,
     .max = 100000,
     .doc = "Candidates kept in the global elite archive."},

    {.path = "operators",
     .type = CT_MAP,
     .def = OPERATORS_DEFAULT,
     .flags = CK_OPNAME,
     .maxlen = 16,
     .doc = "Operator name -> sampling weight (0 disables). Names not listed keep their "
            "defaults; an operator added by a program and not listed gets 1."},
    {.path = "operators.*",
     .type = CT_NUMBER,
     .flags = CK_MIN,
     .min = 0,
     .doc = "Weight of one operator."},

    {.path = "bandit.policy",
     .type = CT_STRING,
     .def = "\"ucb\"",
     .allowed = "ucb|weights",
     .doc = "How operators are chosen: discounted UCB over rewards, or the fixed weights."},
    {.path = "bandit.c",
     .type = CT_NUMBER,
     .def = "0.5",
     .flags = CK_MIN,
     .min = 0,
     .doc = "UCB exploration constant."},
    {.path = "bandit.discount",
     .type = CT_NUMBER,
     .def = "0.98",
     .flags = CK_MIN | CK_MAX | CK_MIN_EXCL,
     .min = 0,
     .max = 1,
     .doc = "Per-evaluation discount of operator statistics (1 = no forgetting)."},

    {.path = "mutation.max_repairs",
     .type = CT_INT,
     .def = "2",
     .flags = CK_MIN | CK_MAX,
     .min = 0,
     .max = 16,
     .doc = "Repair rounds per child for operators that can repair."},
    {.path = "mutation.multi_max",
     .type = CT_INT,
     .def = "3",
     .flags = CK_MIN | CK_MAX,
     .min = 1,
     .max = 64,
     .doc = "Most parameters changed at once by the multi operator."},
    {.path = "mutation.resample_prob",
     .type = CT_NUMBER,
     .def = "0.2",
     .flags = CK_MIN | CK_MAX,
     .min = 0,
     .max = 1,
     .doc = "Point operator: probability of resampling a value instead of stepping to a "
            "neighbour."},
    {.path = "mutation.max_tries",
     .type = CT_INT,
     .def = "64",
     .flags = CK_MIN | CK_MAX,
     .min = 1,
     .max = 100000,
     .doc = "Tries to find an assignment that meets the constraints and is not a duplicate."},
    {.path = "mutation.improve_epsilon",
     .type = CT_NUMBER,
     .def = "0.005",
     .flags = CK_MIN,
     .min = 0,
     .doc = "Relative fitness change below which a child counts as stale."},

    {.path = "stop.max_evaluations",
     .type = CT_INT,
     .def = "500",
     .flags = CK_MIN,
     .min = 0,
     .doc = "Stop after this many evaluations (0 = no limit)."},
    {.path = "stop.max_wall_seconds",
     .type = CT_NUMBER,
     .def = "0.0",
     .flags = CK_MIN,
     .min = 0,
     .doc = "Stop after this much wall time, summed over sessions (0 = no limit)."},
    {.path = "stop.target_fitness",
     .type = CT_NUMBER,
     .def = "0.0",
     .flags = CK_MIN,
     .min = 0,
     .doc = "Stop once a candidate reaches this fitness (0 = no target)."},
    {.path = "stop.stagnation",
     .type = CT_INT,
     .def = "0",
     .flags = CK_MIN,
     .min = 0,
     .doc = "Stop after this many evaluations without a new global best (0 = never)."},

    {.path = "store.sync",
     .type = CT_STRING,
     .def = "\"meta\"",
     .allowed = "full|meta|none",
     .doc = "LMDB durability: sync every commit (full), only metadata (meta), or leave it to "
            "the OS (none)."},
    {.path = "log.progress_interval",
     .type = CT_NUMBER,
     .def = "10.0",
     .flags = CK_MIN,
     .min = 0,
     .doc = "Seconds between plain progress lines when output is not a terminal."},

    {.path = "constants",
     .type = CT_MAP,
     .def = "{}",
     .flags = CK_IDENT,
     .doc = "Named integers usable in parameter constraints (e.g. {\"SMEM_LIMIT\": 101376})."},
    {.path = "constants.*", .type = CT_INT, .doc = "Value of one constant."},

    {.path = "evaluator.kind",
     .type = CT_STRING,
     .def = "\"gpu\"",
     .allowed = "gpu|synthetic|custom",
     .doc = "Which evaluator scores candidates: the GPU evaluator, the synthetic one used by "
            "tests, or one set by a program."},
    {.path = "evaluator.task",
     .type = CT_STRING,
     .def = "\"kernels/gemm\"",
     .doc = "Task folder (definition, workloads, seed kernels), relative to the config file's "
            "directory."},
    {.path = "evaluator.dataset",
     .type = CT_STRING,
     .def = "\"\"",
     .doc = "FlashInfer Trace dataset folder to build the task from (\"\" = use task): its "
            "definition and workloads, with the seeds (and reference, baseline, tolerance) of "
            "evaluator.task when that folder's definition has the same name, else of the "
            "shipped task folder that has it; blob paths resolve inside this folder."},
    {.path = "evaluator.definition",
     .type = CT_STRING,
     .def = "\"\"",
     .doc = "Definition name within the dataset (a plain name)."},
    {.path = "evaluator.workloads",
     .type = CT_STRINGS,
     .def = "[]",
     .doc = "Workloads to run, by label (\"M=1024\") or uuid ([] = all)."},
    {.path = "evaluator.max_workloads",
     .type = CT_INT,
     .def = "0",
     .flags = CK_MIN,
     .min = 0,
     .doc = "Most workloads to run (0 = all)."},
    {.path = "evaluator.seeds",
     .type = CT_STRINGS,
     .def = "[]",
     .doc = "Seed kernels to start from, by template name ([] = every seed of the task)."},
    {.path = "evaluator.arch",
     .type = CT_STRING,
     .def = "\"\"",
     .doc = "Target architecture for NVRTC (\"sm_90\"); \"\" = the device's own."},
    {.path = "evaluator.trials",
     .type = CT_INT,
     .def = "3",
     .flags = CK_MIN | CK_MAX,
     .min = 1,
     .max = 100,
     .doc = "Runs per workload whose outputs are compared with the host reference (at least "
            "3), each on an input set the candidate has not seen; their positions among the "
            "runs are drawn at random for every candidate."},
    {.path = "evaluator.warmup",
     .type = CT_INT,
     .def = "10",
     .flags = CK_MIN | CK_MAX,
     .min = 0,
     .max = 10000,
     .doc = "Untimed runs before the timed ones, on average: each candidate and workload "
            "draws the count from [warmup/2, 3*warmup/2]."},
    {.path = "evaluator.iterations",
     .type = CT_INT,
     .def = "50",
     .flags = CK_MIN | CK_MAX,
     .min = 1,
     .max = 10000,
     .doc = "Timed runs per workload, each on fresh inputs; the median is kept."},
    {.path = "evaluator.timeout_s",
     .type = CT_NUMBER,
     .def = "60.0",
     .flags = CK_MIN | CK_MIN_EXCL,
     .min = 0,
     .doc = "Seconds one candidate may take (compile and run) before it is a TIMEOUT."},
    {.path = "evaluator.cache_dir",
     .type = CT_STRING,
     .def = "\"\"",
     .doc = "Cache of compiled kernels and references (\"\" = $XDG_CACHE_HOME/evo or "
            "~/.cache/evo)."},
    {.path = "evaluator.devices",
     .type = CT_INTS,
     .def = "[0]",
     .flags = CK_MIN,
     .min = 0,
     .minlen = 1,
     .maxlen = 64,
     .doc = "CUDA devices to evaluate on, by index."},
    {.path = "evaluator.input_sets",
     .type = CT_INT,
     .def = "0",
     .flags = CK_MIN | CK_MAX,
     .min = 0,
     .max = 100,
     .doc = "Reference-checked input sets kept per workload, the pool that compared runs draw "
            "from without repeats (at least trials; 0 = twice trials)."},
    {.path = "evaluator.max_source_bytes",
     .type = CT_INT,
     .def = "262144",
     .flags = CK_MIN | CK_MAX,
     .min = 1024,
     .max = 4194304,
     .doc = "Largest candidate source accepted; a longer one is a COMPILE_ERROR before NVRTC "
            "sees it."},
    {.path = "evaluator.floor_slack",
     .type = CT_NUMBER,
     .def = "1.3",
     .flags = CK_MIN | CK_MAX,
     .min = 1.0,
     .max = 100.0,
     .doc = "A workload faster than its physical floor (its bytes at slack times the measured "
            "copy ceiling, its FLOPs at slack times the measured matrix rate, twice that for "
            "fp8) is re-timed, and BEYOND_FLOOR if it still is."},
    {.path = "evaluator.fresh_pool",
     .type = CT_BOOL,
     .def = "false",
     .doc = "Draw new secret seeds for the reference-checked input sets and keep none (evo "
            "validate sets it); otherwise a workload's pool is kept in the cache directory."},
    {.path = "evaluator.confirm_rounds",
     .type = CT_INT,
     .def = "3",
     .flags = CK_MIN | CK_MAX,
     .min = 0,
     .max = 20,
     .doc = "A candidate that would be the new global best is re-timed against the incumbent "
            "this many times, interleaved, on fresh inputs; it displaces the incumbent only if "
            "its lead exceeds the timing noise (0 = off)."},
    {.path = "evaluator.blob_policy",
     .type = CT_STRING,
     .def = "\"error\"",
     .allowed = "error|random",
     .doc = "Workload inputs stored as files (blobs) that are missing: fail, or use random "
            "inputs."},
    {.path = "evaluator.baseline.kind",
     .type = CT_STRING,
     .def = "\"task\"",
     .allowed = "task|trace",
     .doc = "What speedups are against: the task's own baseline (task.json), or the latencies "
            "of a FlashInfer-Bench trace file (e.g. FlashInfer's own kernels, written by "
            "bench/fib_trace.py), with the task's baseline timed for the workloads it does "
            "not cover."},
    {.path = "evaluator.baseline.path",
     .type = CT_STRING,
     .def = "\"\"",
     .doc = "The trace file (JSONL, FlashInfer-Bench's Trace schema) for kind trace, relative to "
            "the config file's directory."},
    {.path = "evaluator.baseline.solution",
     .type = CT_STRING,
     .def = "\"\"",
     .doc = "The solution whose PASSED records count (\"\" = the trace's only one)."},
    {.path = "evaluator.baseline.allow_other_device",
     .type = CT_BOOL,
     .def = "false",
     .doc = "Accept a trace measured on another GPU than ours (environment.hardware); the "
            "report then says so. Off: such a trace is refused with the reason."},
    {.path = "evaluator.options",
     .type = CT_OBJECT,
     .def = "{}",
     .doc = "Free-form options for a custom evaluator (not validated)."},
    {.path = "evaluator.synthetic.dims",
     .type = CT_INT,
     .def = "4",
     .flags = CK_MIN | CK_MAX,
     .min = 1,
     .max = 64,
     .doc = "Synthetic evaluator: number of parameters."},
    {.path = "evaluator.synthetic.levels",
     .type = CT_INT,
     .def = "16",
     .flags = CK_MIN | CK_MAX,
     .min = 2,
     .max = 1024,
     .doc = "Synthetic evaluator: values per parameter."},
    {.path = "evaluator.synthetic.optimum",
     .type = CT_INTS,
     .def = "[]",
     .flags = CK_MIN,
     .min = 0,
     .doc = "Synthetic evaluator: the best point, one level per dimension ([] = "
            "a fixed point chosen by the evaluator)."},
    {.path = "evaluator.synthetic.noise",
     .type = CT_NUMBER,
     .def = "0.0",
     .flags = CK_MIN,
     .min = 0,
     .doc = "Synthetic evaluator: relative noise added to the fitness."},
    {.path = "evaluator.synthetic.delay_ms",
     .type = CT_INT,
     .def = "0",
     .flags = CK_MIN | CK_MAX,
     .min = 0,
     .max = 600000,
     .doc = "Synthetic evaluator: milliseconds each evaluation sleeps."},
    {.path = "evaluator.synthetic.fail_rate",
     .type = CT_NUMBER,
     .def = "0.0",
     .flags = CK_MIN | CK_MAX,
     .min = 0,
     .max = 1,
     .doc = "Synthetic evaluator: probability that a candidate fails (RUNTIME_ERROR)."},
    {.path = NULL},
};

static int half_count(const config_key *t)
{
    int n = 0;
    while (t[n].path)
        n++;
    return n;
}

int config_schema_count(void)
{
    return half_count(config_schema_engine) + half_count(config_schema_llm);
}

const config_key *config_schema_at(int i)
{
    int n = half_count(config_schema_engine);
    if (i < 0) return NULL;
    if (i < n) return &config_schema_engine[i];
    if (i - n < half_count(config_schema_llm)) return &config_schema_llm[i - n];
    return NULL;
}

const config_key *config_schema_find(const char *path)
{
    int n = config_schema_count();
    for (int i = 0; i < n; i++)
        if (strcmp(config_schema_at(i)->path, path) == 0) return config_schema_at(i);
    return NULL;
}

int config_schema_has_children(const char *prefix)
{
    size_t len = strlen(prefix);
    int n = config_schema_count();
    for (int i = 0; i < n; i++) {
        const char *p = config_schema_at(i)->path;
        if (strncmp(p, prefix, len) == 0 && p[len] == '.') return 1;
    }
    return 0;
}

static void bounds_text(const config_key *k, const char *noun, char *buf, size_t len)
{
    int lo = k->flags & CK_MIN, hi = k->flags & CK_MAX, excl = k->flags & CK_MIN_EXCL;
    if (lo && hi)
        snprintf(buf, len, "%s in %c%g, %g]", noun, excl ? '(' : '[', k->min, k->max);
    else if (lo)
        snprintf(buf, len, "%s %s %g", noun, excl ? ">" : ">=", k->min);
    else if (hi)
        snprintf(buf, len, "%s <= %g", noun, k->max);
    else
        snprintf(buf, len, "%s", noun);
}

static void allowed_text(const char *allowed, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "one of ");
    for (const char *a = allowed; *a && used < len;) {
        size_t n = strcspn(a, "|");
        used += (size_t)snprintf(buf + used, len - used, "%s\"%.*s\"", a == allowed ? "" : ", ",
                                 (int)n, a);
        a += n + (a[n] == '|');
    }
}

void config_schema_expected(const config_key *k, char *buf, size_t len)
{
    switch (k->type) {
    case CT_INT:
        bounds_text(k, "an integer", buf, len);
        return;
    case CT_NUMBER:
        bounds_text(k, "a number", buf, len);
        return;
    case CT_BOOL:
        snprintf(buf, len, "true or false");
        return;
    case CT_STRING:
        if (k->allowed)
            allowed_text(k->allowed, buf, len);
        else if (k->flags & CK_URL)
            snprintf(buf, len, "a URL starting with http:// or https://");
        else if (k->flags & CK_ENVNAME)
            snprintf(buf, len, "the name of an environment variable");
        else
            snprintf(buf, len, "a string");
        return;
    case CT_OBJECT:
        snprintf(buf, len, "an object");
        return;
    case CT_OBJECTS:
        snprintf(buf, len, "an array of objects");
        return;
    case CT_STRINGS:
        snprintf(buf, len, "an array of strings");
        return;
    case CT_INTS:
        snprintf(buf, len, "an array of integers");
        return;
    case CT_MAP:
        snprintf(buf, len, "an object");
        return;
    }
    snprintf(buf, len, "a value");
}
