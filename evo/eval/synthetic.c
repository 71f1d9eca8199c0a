/* synthetic.c -- the synthetic evaluator (see synthetic.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "section.h"
#include "synthetic.h"

#define SYN_MAX_DIMS 64

struct synthetic_evaluator {
    int dims, levels;
    int64_t optimum[SYN_MAX_DIMS];
    double noise, fail_rate;
    int delay_ms;
    char *seed;
};

static char *make_seed(int dims, int levels)
{
    size_t cap = 256 + (size_t)dims * 64;
    char *s = malloc(cap);
    if (!s) return NULL;
    size_t n = (size_t)snprintf(s, cap, "/* evo:params\n");
    for (int i = 0; i < dims; i++)
        n += (size_t)snprintf(s + n, cap - n, "   P%d range 0..%d default 0\n", i, levels - 1);
    snprintf(s + n, cap - n,
             "*/\n/* a synthetic genome: the evaluator reads only its parameters */\n");
    return s;
}

synthetic_evaluator *synthetic_new(const json_t *sec)
{
    synthetic_evaluator *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->dims = (int)sec_int(sec, "synthetic.dims");
    s->levels = (int)sec_int(sec, "synthetic.levels");
    if (s->dims < 1) s->dims = 1;
    if (s->dims > SYN_MAX_DIMS) s->dims = SYN_MAX_DIMS;
    if (s->levels < 2) s->levels = 2;
    s->noise = sec_double(sec, "synthetic.noise");
    s->fail_rate = sec_double(sec, "synthetic.fail_rate");
    s->delay_ms = (int)sec_int(sec, "synthetic.delay_ms");
    json_t *opt = sec_get(sec, "synthetic.optimum");
    for (int i = 0; i < s->dims; i++) {
        json_t *v = json_array_get(opt, (size_t)i);
        s->optimum[i] = v ? json_integer_value(v) % s->levels : (7 * i + 3) % s->levels;
    }
    s->seed = make_seed(s->dims, s->levels);
    if (!s->seed) {
        free(s);
        return NULL;
    }
    return s;
}

void synthetic_free(synthetic_evaluator *s)
{
    if (!s) return;
    free(s->seed);
    free(s);
}

const char *synthetic_seed(const synthetic_evaluator *s)
{
    return s->seed;
}

/* A value in [0, 1) derived from the hash, so outcomes depend only on the candidate. */
static double hash_unit(const char *hash, int offset)
{
    unsigned v = 0;
    sscanf(hash + offset, "%8x", &v);
    return v / 4294967296.0;
}

/* The noiseless fitness of g, or -1 when a parameter is missing. */
static double true_fitness(const synthetic_evaluator *s, const evo_genome *g)
{
    double d1 = 0, d2 = 0;
    for (int i = 0; i < s->dims; i++) {
        char name[16];
        snprintf(name, sizeof name, "P%d", i);
        int64_t v = 0;
        if (evo_genome_param_int(g, name, &v) != EVO_OK) return -1;
        double a = (double)(v - s->optimum[i]) / s->levels;
        double b = (double)(v - (s->levels - 1 - s->optimum[i])) / s->levels;
        d1 += a * a;
        d2 += b * b;
    }
    double f1 = 1.0 / (1.0 + d1 * s->dims), f2 = 0.8 / (1.0 + d2 * s->dims);
    return f1 > f2 ? f1 : f2;
}

double synthetic_true_fitness(const synthetic_evaluator *s, const evo_genome *g)
{
    return true_fitness(s, g);
}

/* Re-timing against the incumbent measures the true fitness of both, each round off by at most
 * a hundredth of the configured noise: the measurement of evaluate() was the lucky one. */
static int syn_confirm(void *user, int slot, const evo_genome *child, const evo_genome *inc,
                       int rounds, double *child_fit, double *inc_fit, evo_result *out)
{
    (void)slot;
    (void)out;
    synthetic_evaluator *s = user;
    double fc = true_fitness(s, child), fi = true_fitness(s, inc);
    for (int i = 0; i < rounds; i++) {
        child_fit[i] = fc * (1.0 + 0.01 * s->noise *
                                       (hash_unit(evo_genome_hash(child), 16 + 4 * (i % 8)) - 0.5));
        inc_fit[i] = fi * (1.0 + 0.01 * s->noise *
                                     (hash_unit(evo_genome_hash(inc), 16 + 4 * (i % 8)) - 0.5));
    }
    return EVO_OK;
}

static int syn_evaluate(void *user, int slot, const evo_genome *g, evo_result *out)
{
    (void)slot;
    synthetic_evaluator *s = user;
    if (s->delay_ms > 0) {
        struct timespec ts = {s->delay_ms / 1000, (long)(s->delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    const char *hash = evo_genome_hash(g);
    if (s->fail_rate > 0 && hash_unit(hash, 0) < s->fail_rate) {
        evo_result_set_status(out, EVO_STATUS_COMPILE_ERROR);
        evo_result_set_error(out, "synthetic failure (hash %.8s below fail_rate %g)", hash,
                             s->fail_rate);
        return EVO_OK;
    }
    for (int i = 0; i < s->dims; i++) {
        char name[16];
        snprintf(name, sizeof name, "P%d", i);
        int64_t v = 0;
        if (evo_genome_param_int(g, name, &v) != EVO_OK) {
            evo_result_set_status(out, EVO_STATUS_INCORRECT_SHAPE);
            evo_result_set_error(out, "parameter %s is missing", name);
            return EVO_OK;
        }
    }
    double f = true_fitness(s, g);
    if (s->noise > 0) f *= 1.0 + s->noise * (hash_unit(hash, 8) - 0.5);
    evo_result_set_status(out, EVO_STATUS_PASSED);
    evo_result_set_fitness(out, f);
    evo_result_add_metric(out, "w0", "latency_us", 100.0 / f);
    evo_result_add_metric(out, "w0", "baseline_us", 100.0);
    evo_result_add_metric(out, "w0", "speedup", f);
    return EVO_OK;
}

static const char *syn_describe(void *user)
{
    (void)user;
    return "synthetic task: maximise f(P0..Pn), optimum 1.0";
}

evo_evaluator synthetic_table(synthetic_evaluator *s)
{
    evo_evaluator ev;
    memset(&ev, 0, sizeof ev);
    ev.name = "synthetic";
    ev.user = s;
    ev.evaluate = syn_evaluate;
    ev.describe = syn_describe;
    ev.confirm = syn_confirm;
    return ev;
}
