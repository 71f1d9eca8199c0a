/* engine.h -- the engine's internal state, shared by engine.c (open, resume, the PES loop),
 * commit.c (turning a finished evaluation into one store transaction), mutation.c (the
 * context handed to operators) and pool.c (the worker threads).
 *
 * Threading: the engine thread owns every field below except those marked "locked"; worker
 * threads only run operators and the evaluator on a job's private copies, and talk to the
 * engine thread through the pool's queues. */
#ifndef EVO_ENGINE_H
#define EVO_ENGINE_H
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
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

#define EVO_MAX_OPERATORS 16
#define EVO_MAX_INSPIRATIONS 8
#define EVO_ERRMSG 4096

/* The operator slot used for seed evaluations (not a bandit arm). */
#define OP_SEED (-1)

struct evo_mutation {
    evo_engine *e;
    evo_pcg32 rng;
    int island;
    int op;                       /* operator index, or OP_SEED */
    int nparents;
    evo_genome *parents[2];
    int64_t parent_ids[2];
    double parent_fitness[2];
    char *parent_json[2];
    int ninsp;
    char *insp_json[EVO_MAX_INSPIRATIONS];
    char *memory;
    evo_genome *child;
    int64_t repair_round;         /* 0 for the first child */
    char *repair_of;              /* hash of the failed child a repair replaces */
    json_t *notes;                /* audit texts for the child being made */
    json_t *usage;                /* {"model": {tokens_in, tokens_out, cost_usd, calls}} */
    char *insight;
    char err[EVO_ERRMSG];
};

/* What a worker reports to the engine thread. */
typedef enum { MSG_EVALUATED, MSG_INVALID, MSG_DUPLICATE, MSG_FATAL } evo_msg_kind;

typedef struct evo_msg {
    evo_msg_kind kind;
    struct evo_job *job;
    int final;                    /* last message of its job */
    evo_genome *child;            /* EVALUATED, INVALID (may be NULL) */
    evo_result *result;           /* EVALUATED */
    char *repair_of;              /* hash, for repairs */
    char *label;                  /* "improvement" / "regression" / "stale" */
    json_t *notes, *usage;        /* owned */
    char *insight;                /* owned, may be NULL */
    char *error;                  /* INVALID, FATAL */
    double eval_ms;
    int cached;                   /* DUPLICATE: the hash had a stored result */
    struct evo_msg *next;
} evo_msg;

typedef struct evo_job {
    evo_mutation m;
    int slot;
    struct evo_job *next;
} evo_job;

typedef struct evo_pool {
    int nthreads;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t job_cv, msg_cv;
    evo_job *jobs, *jobs_tail;    /* locked */
    evo_msg *msgs, *msgs_tail;    /* locked */
    int *free_slots, nfree;       /* locked */
    int stopping;                 /* locked */
    evo_engine *e;
} evo_pool;

typedef struct evo_counters {
    int64_t evaluations, cached, jobs_done, seeds_done, since_best, dup_streak, sessions;
    int64_t failures[EVO_STATUS_COUNT];
    int64_t best_id;
    double best_fitness;
    double elapsed_s;             /* summed over finished sessions' time up to last commit */
    int finished;
    char stop_reason[128];
} evo_counters;

typedef struct evo_usage {
    json_t *models;               /* {"name": {tokens_in, tokens_out, cost_usd, calls}} */
    int64_t tokens_in, tokens_out, calls;
    double cost_usd;
} evo_usage;

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
    char *constants_json;         /* built at run start, shared read-only with workers */
    char *options_json;           /* operator options, shared read-only with workers */
    const char *task_text;        /* evaluator's describe(), or "" */

    evo_pcg32 rng;
    int nislands;
    evo_island *islands;
    evo_archive archive;
    struct member_text *member_cache; /* JSON text of members by id, reused while unchanged */
    int archive_dirty;            /* changed since the last commit */
    evo_counters c;
    evo_usage usage;
    int64_t jobs_planned;

    /* Parsed parameter spaces by source, shared read-only with workers (locked by mu). */
    pthread_mutex_t space_mu;
    int nspaces;
    struct space_entry *spaces;

    /* In-flight hashes, so two workers never evaluate one candidate twice (locked by mu). */
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
    double session_start;         /* monotonic seconds at evo_engine_run start */
    double elapsed_base;          /* counters.elapsed_s at session start */
    volatile sig_atomic_t interrupt; /* 0 none, 1 soft, 2 hard */
};

/* mutation.c */
#define SPACE_CACHE_MAX 4096
struct space_entry { char sha[65]; evo_space *space; };
/* The parsed space of a source, cached by the engine (immutable, valid until the engine
 * closes). *owned is set when the cache is full and the caller must space_free it.
 * Returns NULL with err on a malformed evo:params block. */
const evo_space *mutation_space(evo_mutation *m, const char *source, int *owned, char *err,
                                size_t errlen);
void space_cache_free(evo_engine *e);
void mutation_init(evo_mutation *m, evo_engine *e);
void mutation_clear(evo_mutation *m);
/* pool.c */
evo_pool *pool_start(evo_engine *e, int nthreads);
void pool_submit(evo_pool *p, evo_job *job);
/* Wait for the next message (blocks). */
evo_msg *pool_next(evo_pool *p);
/* Non-blocking: NULL when none is queued. */
evo_msg *pool_poll(evo_pool *p);
void pool_stop(evo_pool *p);  /* joins the threads after their current job */
void msg_free(evo_msg *msg);
/* engine.c: in-flight bookkeeping (thread-safe). claim returns 0 if hash was free. */
int inflight_claim(evo_engine *e, const char *hash);
void inflight_release(evo_engine *e, const char *hash);
int engine_seen(evo_engine *e, const char *hash);
/* commit.c */
#define COMMIT_BATCH_MAX 64
int commit_message(evo_engine *e, evo_msg *msg);
/* Commit n finished messages (not MSG_FATAL) in one transaction, in order. */
int commit_batch(evo_engine *e, evo_msg **msgs, int n);
int engine_save_all(evo_engine *e, evo_txn *t);
void member_cache_free(evo_engine *e);
json_t *counters_to_json(const evo_counters *c);
void counters_from_json(evo_counters *c, const json_t *j);
double engine_now(void);
/* When an LLM budget is spent, give the model operators (those that summarize) weight 0 so
 * the bandit stops choosing them. */
void engine_check_budget(evo_engine *e);
/* The incumbent best changed (engine thread): keep a copy for the workers' checks. */
void engine_set_incumbent(evo_engine *e, const evo_genome *g, double fitness);
double engine_elapsed(const evo_engine *e);
#endif
