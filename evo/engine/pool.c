/* pool.c -- the worker threads of the execute step.
 *
 * A job is one planned mutation. A worker runs the operator to make the child, claims the
 * child's hash (so no candidate is evaluated twice), evaluates it, lets the operator repair
 * a failed child for up to max_repairs rounds, asks the operator to summarise the outcome,
 * and posts one message per evaluation to the engine thread, which alone commits state. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "inflight.h"
#include "operator_context.h"
#include "pool.h"

struct evo_pool {
    int nthreads;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t job_cv, msg_cv;
    evo_job *jobs, *jobs_tail; /* locked */
    evo_msg *msgs, *msgs_tail; /* locked */
    int *free_slots, nfree;    /* locked */
    int stopping;              /* locked */
    evo_engine *e;
};

static void post(evo_pool *p, evo_msg *msg)
{
    pthread_mutex_lock(&p->mu);
    if (p->msgs_tail)
        p->msgs_tail->next = msg;
    else
        p->msgs = msg;
    p->msgs_tail = msg;
    pthread_cond_broadcast(&p->msg_cv);
    pthread_mutex_unlock(&p->mu);
}

static evo_msg *msg_new(evo_msg_kind kind, evo_job *job, int final)
{
    evo_msg *msg = calloc(1, sizeof *msg);
    if (!msg) abort(); /* a lost message would lose a committed evaluation's bookkeeping */
    msg->kind = kind;
    msg->job = job;
    msg->final = final;
    return msg;
}

void msg_free(evo_msg *msg)
{
    if (!msg) return;
    genome_free(msg->child);
    result_free(msg->result);
    free(msg->repair_of);
    free(msg->label);
    json_decref(msg->notes);
    json_decref(msg->usage);
    free(msg->insight);
    free(msg->error);
    free(msg);
}

/* Move the job's audit notes and usage into a message, leaving fresh ones behind. */
static void take_notes(evo_mutation *m, evo_msg *msg)
{
    msg->notes = m->notes;
    msg->usage = m->usage;
    m->notes = json_object();
    m->usage = json_object();
}

static const char *label_for(const evo_engine *e, const evo_mutation *m, const evo_result *r)
{
    if (m->nparents == 0) return "seed";
    if (r->status != EVO_STATUS_PASSED) return "regression";
    double pf = m->parent_fitness[0], eps = e->cfg->improve_epsilon;
    if (r->fitness > pf * (1 + eps) && r->fitness > pf) return "improvement";
    if (r->fitness < pf * (1 - eps)) return "regression";
    return "stale";
}

static void post_simple(evo_pool *p, evo_job *job, evo_msg_kind kind, const char *error, int cached)
{
    evo_msg *msg = msg_new(kind, job, 1);
    take_notes(&job->m, msg);
    msg->error = error ? strdup(error) : NULL;
    msg->cached = cached;
    if (kind == MSG_INVALID && job->m.child) msg->child = genome_copy(job->m.child);
    post(p, msg);
}

/* The winner's curse: a child that would displace the incumbent best is re-timed against it,
 * interleaved, on fresh inputs, and displaces it only if it leads in every round by more than
 * the rounds' own spread; otherwise its fitness is capped at the incumbent's, so it stays a
 * member of its island but not the best. Returns the evaluator's code. */
static int confirm_best(evo_engine *e, int slot, const evo_genome *child, evo_result *r)
{
    int rounds = e->cfg->confirm_rounds;
    if (!e->ev.confirm || rounds <= 0 || r->status != EVO_STATUS_PASSED) return EVO_OK;
    pthread_mutex_lock(&e->best_mu);
    evo_genome *inc =
        e->incumbent && r->fitness > e->incumbent_fitness ? genome_copy(e->incumbent) : NULL;
    double inc_fit = e->incumbent_fitness;
    pthread_mutex_unlock(&e->best_mu);
    if (!inc || !strcmp(inc->hash, child->hash)) {
        genome_free(inc);
        return EVO_OK;
    }
    double *a = calloc((size_t)rounds, sizeof *a), *b = calloc((size_t)rounds, sizeof *b);
    int rc = a && b ? e->ev.confirm(e->ev.user, slot, child, inc, rounds, a, b, r) : EVO_ENOMEM;
    genome_free(inc);
    if (rc == EVO_OK && r->status == EVO_STATUS_PASSED) {
        double sum = 0, lo = INFINITY, alo = INFINITY, ahi = 0, blo = INFINITY, bhi = 0, as = 0,
               bs = 0;
        int ok = 1;
        for (int i = 0; i < rounds; i++) {
            double ratio = b[i] > 0 ? a[i] / b[i] : 0;
            ok = ok && a[i] > 0 && b[i] > 0;
            sum += ratio;
            lo = fmin(lo, ratio);
            alo = fmin(alo, a[i]);
            ahi = fmax(ahi, a[i]);
            blo = fmin(blo, b[i]);
            bhi = fmax(bhi, b[i]);
            as += a[i];
            bs += b[i];
        }
        double ratio = sum / rounds;
        /* The noise: how far apart the rounds of either candidate landed, relatively. */
        double noise = fmax(as > 0 ? (ahi - alo) / (as / rounds) : 1,
                            bs > 0 ? (bhi - blo) / (bs / rounds) : 1);
        int confirmed = ok && lo > 1 && ratio - 1 > noise;
        evo_result_add_metric(r, NULL, "fitness_measured", r->fitness);
        evo_result_add_metric(r, NULL, "confirm_ratio", ratio);
        evo_result_add_metric(r, NULL, "confirm_noise", noise);
        evo_result_add_metric(r, NULL, "confirm_rounds", rounds);
        evo_result_add_metric(r, NULL, "confirmed", confirmed);
        if (!confirmed) r->fitness = fmin(r->fitness, inc_fit);
    }
    free(a);
    free(b);
    return rc;
}

/* Evaluate the job's child, then its repairs. */
static void evaluate_chain(evo_pool *p, evo_job *job)
{
    evo_engine *e = p->e;
    evo_mutation *m = &job->m;
    const evo_operator *op = m->op >= 0 ? &e->ops[m->op] : NULL;
    for (;;) {
        evo_genome *child = m->child;
        m->child = NULL;
        int claim = inflight_claim(e, child->hash);
        if (claim != 0) {
            evo_msg *msg = msg_new(MSG_DUPLICATE, job, 1);
            take_notes(m, msg);
            msg->cached = claim == 1;
            msg->child = child;
            post(p, msg);
            return;
        }
        evo_result *r = result_new();
        double t0 = engine_now();
        int rc = e->ev.evaluate(e->ev.user, job->slot, child, r);
        if (rc == EVO_OK) rc = confirm_best(e, job->slot, child, r);
        double ms = (engine_now() - t0) * 1e3;
        if (rc != EVO_OK) {
            evo_msg *msg = msg_new(MSG_FATAL, job, 1);
            msg->error = strdup(r->error ? r->error : evo_strerror(rc));
            inflight_release(e, child->hash);
            genome_free(child);
            result_free(r);
            post(p, msg);
            return;
        }
        evo_msg *msg = msg_new(MSG_EVALUATED, job, 0);
        take_notes(m, msg);
        msg->child = child;
        msg->result = r;
        msg->eval_ms = ms;
        msg->label = strdup(label_for(e, m, r));
        msg->repair_of = m->repair_of ? strdup(m->repair_of) : NULL;

        int repaired = 0;
        if (r->status != EVO_STATUS_PASSED && op && op->repair &&
            m->repair_round < e->cfg->max_repairs && !e->interrupt) {
            m->repair_round++;
            free(m->repair_of);
            m->repair_of = strdup(child->hash);
            repaired = op->repair(op->user, m, r) == EVO_OK && m->child;
            if (!repaired) {
                /* Usage spent on a repair that made nothing is charged to the failed child. */
                usage_merge(msg->usage, m->usage);
                json_object_clear(m->usage);
            }
        }
        if (!repaired && op && op->summarize) {
            m->child = genome_copy(child);
            op->summarize(op->user, m, r, msg->label);
            genome_free(m->child);
            m->child = NULL;
            usage_merge(msg->usage, m->usage);
            json_object_clear(m->usage);
            json_object_update(msg->notes, m->notes);
            json_object_clear(m->notes);
            msg->insight = m->insight;
            m->insight = NULL;
        }
        msg->final = !repaired;
        post(p, msg);
        if (!repaired) return;
    }
}

static void run_job(evo_pool *p, evo_job *job)
{
    evo_engine *e = p->e;
    evo_mutation *m = &job->m;
    if (m->op >= 0) {
        const evo_operator *op = &e->ops[m->op];
        m->err[0] = 0;
        int rc = op->mutate(op->user, m);
        if (rc == EVO_EDUPLICATE) {
            post_simple(p, job, MSG_DUPLICATE, m->err[0] ? m->err : NULL,
                        m->child && inflight_seen(e, m->child->hash) == 1);
            return;
        }
        if (rc != EVO_OK || !m->child) {
            post_simple(p, job, MSG_INVALID, m->err[0] ? m->err : evo_strerror(rc), 0);
            return;
        }
    }
    evaluate_chain(p, job);
}

static void *worker_main(void *arg)
{
    evo_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->jobs && !p->stopping)
            pthread_cond_wait(&p->job_cv, &p->mu);
        if (!p->jobs) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        evo_job *job = p->jobs;
        p->jobs = job->next;
        if (!p->jobs) p->jobs_tail = NULL;
        job->slot = p->free_slots[--p->nfree];
        pthread_mutex_unlock(&p->mu);
        run_job(p, job);
    }
}

evo_pool *pool_start(evo_engine *e, int nthreads)
{
    evo_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->e = e;
    p->nthreads = nthreads;
    p->threads = calloc((size_t)nthreads, sizeof *p->threads);
    p->free_slots = calloc((size_t)nthreads, sizeof *p->free_slots);
    if (!p->threads || !p->free_slots) {
        free(p->threads);
        free(p->free_slots);
        free(p);
        return NULL;
    }
    /* Slots are handed out lowest first, so with concurrency 1 the evaluator sees slot 0. */
    for (int i = 0; i < nthreads; i++)
        p->free_slots[i] = nthreads - 1 - i;
    p->nfree = nthreads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->job_cv, NULL);
    pthread_cond_init(&p->msg_cv, NULL);
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
            p->nthreads = i;
            pool_stop(p);
            return NULL;
        }
    }
    return p;
}

void pool_submit(evo_pool *p, evo_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->jobs_tail)
        p->jobs_tail->next = job;
    else
        p->jobs = job;
    p->jobs_tail = job;
    pthread_cond_signal(&p->job_cv);
    pthread_mutex_unlock(&p->mu);
}

static evo_msg *pop_msg(evo_pool *p)
{
    evo_msg *msg = p->msgs;
    if (msg) {
        p->msgs = msg->next;
        if (!p->msgs) p->msgs_tail = NULL;
        msg->next = NULL;
        /* The slot is free again once the job's last message is out. */
        if (msg->final) p->free_slots[p->nfree++] = msg->job->slot;
    }
    return msg;
}

evo_msg *pool_next(evo_pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (!p->msgs)
        pthread_cond_wait(&p->msg_cv, &p->mu);
    evo_msg *msg = pop_msg(p);
    pthread_mutex_unlock(&p->mu);
    return msg;
}

evo_msg *pool_poll(evo_pool *p)
{
    pthread_mutex_lock(&p->mu);
    evo_msg *msg = pop_msg(p);
    pthread_mutex_unlock(&p->mu);
    return msg;
}

void pool_stop(evo_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    /* Jobs not yet started are dropped: their plans are replayed after a resume. */
    while (p->jobs) {
        evo_job *j = p->jobs;
        p->jobs = j->next;
        mutation_clear(&j->m);
        free(j);
    }
    p->jobs_tail = NULL;
    pthread_cond_broadcast(&p->job_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    while (p->msgs) {
        evo_msg *msg = pop_msg(p);
        if (msg->final) {
            mutation_clear(&msg->job->m);
            free(msg->job);
        }
        msg_free(msg);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->job_cv);
    pthread_cond_destroy(&p->msg_cv);
    free(p->threads);
    free(p->free_slots);
    free(p);
}
