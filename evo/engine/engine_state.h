/* engine_state.h -- the engine's internal state, shared by its rooms: engine.c (open,
 * resume, the PES loop), planner.c (plan), pool.c (execute: the worker threads), commit.c
 * (summarize: one store transaction per batch of finished evaluations), and the small rooms
 * they use: operator_context.c (evo_mutation), inflight.c, budget.c, record.c, persist.c.
 *
 * Threading: the engine thread owns every field below except those marked "locked"; worker
 * threads only run operators and the evaluator on a job's private copies, and talk to the
 * engine thread through the pool's queues. */
#ifndef EVO_ENGINE_STATE_H
#define EVO_ENGINE_STATE_H
#include "archive.h"
#include "bandit.h"
#include "config.h"
#include "evo.h"
#include "fitlog.h"
#include "genome.h"
#include "island.h"
#include "pcg.h"
#include "result.h"
#include "space.h"
#include "store.h"
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>

#define EVO_MAX_OPERATORS 16
#define EVO_MAX_INSPIRATIONS 8
#define EVO_ERRMSG 4096

/* The operator slot used for seed evaluations (not a bandit arm). */
#define OP_SEED (-1)

struct evo_mutation {
    evo_engine *e;
    evo_pcg32 rng;
    int island;
    int op; /* operator index, or OP_SEED */
    int nparents;
    evo_genome *parents[2];
    int64_t parent_ids[2];
    double parent_fitness[2];
    char *parent_json[2];
    int ninsp;
    char *insp_json[EVO_MAX_INSPIRATIONS];
    char *memory;
    evo_genome *child;
    int64_t repair_round; /* 0 for the first child */
    char *repair_of;      /* hash of the failed child a repair replaces */
    json_t *notes;        /* audit texts for the child being made */
    json_t *usage;        /* {"model": {tokens_in, tokens_out, cost_usd, calls}} */
    char *insight;
    char err[EVO_ERRMSG];
};

/* What a worker reports to the engine thread. */
typedef enum { MSG_EVALUATED, MSG_INVALID, MSG_DUPLICATE, MSG_FATAL } evo_msg_kind;

typedef struct evo_msg {
    evo_msg_kind kind;
    struct evo_job *job;
    int final;             /* last message of its job */
    evo_genome *child;     /* EVALUATED, INVALID (may be NULL) */
    evo_result *result;    /* EVALUATED */
    char *repair_of;       /* hash, for repairs */
    char *label;           /* "improvement" / "regression" / "stale" */
    json_t *notes, *usage; /* owned */
    char *insight;         /* owned, may be NULL */
    char *error;           /* INVALID, FATAL */
    double eval_ms;
    int cached; /* DUPLICATE: the hash had a stored result */
    struct evo_msg *next;
} evo_msg;

typedef struct evo_job {
    evo_mutation m;
    int slot;
    struct evo_job *next;
} evo_job;

typedef struct evo_counters {
    int64_t evaluations, cached, jobs_done, seeds_done, since_best, dup_streak, sessions;
    int64_t failures[EVO_STATUS_COUNT];
    int64_t best_id;
    double best_fitness;
    double elapsed_s; /* summed over finished sessions' time up to last commit */
    int finished;
    char stop_reason[128];
} evo_counters;

typedef struct evo_usage {
    json_t *models; /* {"name": {tokens_in, tokens_out, cost_usd, calls}} */
    int64_t tokens_in, tokens_out, calls;
    double cost_usd;
} evo_usage;

typedef struct evo_pool evo_pool; /* pool.c */

typedef struct evo_seed {
    char name[64];
    char *source;
} evo_seed;

struct evo_engine {
    char errmsg[EVO_ERRMSG];
    char *run_dir;
    evo_config *cfg;
    evo_store *store;
    evo_fitlog *log;

    evo_evaluator ev;
    int have_evaluator;
    int nops;
    evo_operator ops[EVO_MAX_OPERATORS];
    evo_bandit bandit;
    int bandit_arm[EVO_MAX_OPERATORS]; /* arm of each operator */

    int nseeds;
    evo_seed seeds[32];
    evo_constants constants;
    char *constants_json;  /* built at run start, shared read-only with workers */
    char *options_json;    /* operator options, shared read-only with workers */
    const char *task_text; /* evaluator's describe(), or "" */

    evo_pcg32 rng;
    int nislands;
    evo_island *islands;
    evo_archive archive;
    struct member_text *member_cache; /* JSON text of members by id, reused while unchanged */
    int archive_dirty;                /* changed since the last commit */
    evo_counters c;
    evo_usage usage; /* locked by usage_mu */
    pthread_mutex_t usage_mu;
    /* Model calls reserved before they were sent and not yet committed (budget.c): their
     * totals, and models = {"ticket": bound}; locked by usage_mu. */
    evo_usage reserved;
    json_t *settled; /* tickets to drop from the stored ledger at the next commit (engine) */
    int64_t jobs_planned;

    /* Parsed parameter spaces by source, shared read-only with workers (locked by space_mu). */
    pthread_mutex_t space_mu;
    int nspaces;
    struct space_entry *spaces;

    /* In-flight hashes, so two workers never evaluate one candidate twice (locked by inflight_mu). */
    pthread_mutex_t inflight_mu;
    int ninflight, inflight_cap;
    char (*inflight)[65];

    /* The global best's genome and fitness, for the winner's-curse check (locked by best_mu). */
    pthread_mutex_t best_mu;
    evo_genome *incumbent;
    double incumbent_fitness;

    evo_pool *pool;
    evo_progress_fn progress;
    void *progress_user;
    evo_setup_fn setup_progress; /* setup_progress.c */
    void *setup_user;
    char setup_step[64];
    double setup_start;
    double session_start;            /* monotonic seconds at evo_engine_run start */
    double elapsed_base;             /* counters.elapsed_s at session start */
    volatile sig_atomic_t interrupt; /* 0 none, 1 soft, 2 hard */
};

/* engine_state.c */
/* Seconds on the monotonic clock, and run seconds (over every session) now. */
double engine_now(void);
double engine_elapsed(const evo_engine *e);
/* The incumbent best changed (engine thread): keep a copy for the workers' checks. */
void engine_set_incumbent(evo_engine *e, const evo_genome *g, double fitness);
/* The name of operator op, or "seed" for OP_SEED. */
const char *engine_operator_name(const evo_engine *e, int op);
#endif
