/* gate.c -- the host side of the correctness gate: inputs drawn as FlashInfer-Bench draws
 * them (randn for floats, fp8 randn clamped to [-2, 2], randint for integers, workload
 * scalars, safetensors blobs), the FlashInfer-Bench element test, and checksums.
 *
 * Random inputs are counter-based draws keyed by (seed, workload uuid, input index), the
 * generator of input_gen.h, which the sandbox runs on the GPU too: the same seed gives the
 * same bits on both, so the host computes references for exactly the inputs a candidate ran
 * on, and a new seed gives a set never seen before. */
#include "gate.h"
#include "errbuf.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input_gen.h"
#include "reference.h"

uint64_t gate_checksum(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Store a double as element i of dtype t. */
static void store(evo_dtype t, void *buf, int64_t i, double v)
{
    switch (t) {
    case DT_FLOAT32:
        ((float *)buf)[i] = (float)v;
        break;
    case DT_FLOAT16:
        ((uint16_t *)buf)[i] = float_to_half((float)v);
        break;
    case DT_BFLOAT16:
        ((uint16_t *)buf)[i] = float_to_bf16((float)v);
        break;
    case DT_FLOAT8_E4M3:
        ((uint8_t *)buf)[i] = float_to_fp8e4m3((float)v);
        break;
    case DT_FLOAT8_E5M2:
        ((uint8_t *)buf)[i] = ig_to_e5m2((float)v); /* the generator's: one rounding for both */
        break;
    case DT_FLOAT64:
        ((double *)buf)[i] = v;
        break;
    case DT_INT64:
        ((int64_t *)buf)[i] = (int64_t)v;
        break;
    case DT_INT32:
        ((int32_t *)buf)[i] = (int32_t)v;
        break;
    case DT_INT16:
        ((int16_t *)buf)[i] = (int16_t)v;
        break;
    case DT_INT8:
        ((int8_t *)buf)[i] = (int8_t)v;
        break;
    case DT_UINT8:
        ((uint8_t *)buf)[i] = (uint8_t)v;
        break;
    case DT_BOOL:
        ((uint8_t *)buf)[i] = v != 0;
        break;
    default:
        break;
    }
}

static uint64_t uuid_hash(const char *uuid)
{
    return gate_checksum(uuid, strlen(uuid));
}

/* input_gen.h's kinds are the dtypes, in the same order. */
_Static_assert(IG_F32 == (int)DT_FLOAT32 && IG_BF16 == (int)DT_BFLOAT16 &&
                   IG_E4M3 == (int)DT_FLOAT8_E4M3 && IG_F64 == (int)DT_FLOAT64 &&
                   IG_I64 == (int)DT_INT64 && IG_BOOL == (int)DT_BOOL,
               "input_gen kinds follow evo_dtype");

/* Host work on big tensors (a 14509 x 4096 workload has 59M elements, checked several times
 * per candidate) is split over the machine's cores in fixed chunks, so results do not
 * depend on the number of threads. */
#define GATE_CHUNK ((int64_t)1 << 20)
#define GATE_MAX_THREADS 32

typedef struct par_job {
    void (*fn)(void *ctx, int64_t chunk);
    void *ctx;
    int64_t nchunks;
    int64_t next;
    pthread_mutex_t mu;
} par_job;

static void *par_worker(void *arg)
{
    par_job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        int64_t c = j->next++;
        pthread_mutex_unlock(&j->mu);
        if (c >= j->nchunks) return NULL;
        j->fn(j->ctx, c);
    }
}

static void parallel_chunks(int64_t n, void (*fn)(void *ctx, int64_t chunk), void *ctx)
{
    par_job j = {fn, ctx, (n + GATE_CHUNK - 1) / GATE_CHUNK, 0, PTHREAD_MUTEX_INITIALIZER};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = (int)(cores < 1 ? 1 : cores > GATE_MAX_THREADS ? GATE_MAX_THREADS : cores);
    if (nt > j.nchunks) nt = (int)j.nchunks;
    pthread_t th[GATE_MAX_THREADS];
    int started = 0;
    for (int i = 1; i < nt; i++)
        if (pthread_create(&th[started], NULL, par_worker, &j) == 0) started++;
    par_worker(&j);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&j.mu);
}

typedef struct fill_ctx {
    int kind;
    void *buf;
    int64_t n;
    ig_u64 key;
    float scale;
} fill_ctx;

/* Counter-based draws (input_gen.h): any chunk, on any core, gives the same bits, and so does
 * the sandbox's GPU kernel for the same key. */
static void fill_chunk(void *arg, int64_t chunk)
{
    const fill_ctx *c = arg;
    int64_t hi = (chunk + 1) * GATE_CHUNK < c->n ? (chunk + 1) * GATE_CHUNK : c->n;
    for (int64_t i = chunk * GATE_CHUNK; i < hi; i += 2) /* GATE_CHUNK is even: pairs stay whole */
        ig_fill_pair(c->kind, c->buf, c->key, (ig_u64)i / 2, (ig_u64)c->n, c->scale);
}

uint64_t gate_input_key(const evo_task *t, const task_workload *w, uint64_t seed, int input)
{
    (void)t;
    return ig_key(seed ^ uuid_hash(w->uuid), input);
}

float gate_input_scale(const evo_task *t, int input)
{
    return t->input_scale ? (float)t->input_scale[input] : 1.0f;
}

int gate_input_drawn(const evo_task *t, const task_workload *w, int input)
{
    (void)t;
    const task_input_gen *g = input < w->ninputs ? &w->inputs[input] : NULL;
    return !g || g->kind == GEN_RANDOM;
}

static const char *safetensors_dtype(evo_dtype t)
{
    static const char *const names[DT_COUNT] = {[DT_FLOAT32] = "F32",
                                                [DT_FLOAT16] = "F16",
                                                [DT_BFLOAT16] = "BF16",
                                                [DT_FLOAT8_E4M3] = "F8_E4M3",
                                                [DT_FLOAT8_E5M2] = "F8_E5M2",
                                                [DT_FLOAT64] = "F64",
                                                [DT_INT64] = "I64",
                                                [DT_INT32] = "I32",
                                                [DT_INT16] = "I16",
                                                [DT_INT8] = "I8",
                                                [DT_UINT8] = "U8",
                                                [DT_BOOL] = "BOOL"};
    return names[t];
}

/* Read tensor `key` of a safetensors file into buf (exactly bytes long, dtype t). The
 * format: u64 little-endian header length, a JSON header, then the raw data. */
static int load_safetensors(const char *where, const task_input_gen *g, evo_dtype t, void *buf,
                            size_t bytes, char *err, size_t errlen)
{
    FILE *f = fopen(g->path, "rb");
    if (!f)
        return errbuf_fail(err, errlen, "%s: cannot open %s: %s", where, g->path, strerror(errno));
    uint8_t lenb[8];
    uint64_t hlen = 0;
    int rc = -1;
    char *hdr = NULL;
    json_t *root = NULL;
    if (fread(lenb, 1, 8, f) != 8) {
        errbuf_fail(err, errlen, "%s: %s: truncated safetensors header", where, g->path);
        goto out;
    }
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | lenb[i];
    if (hlen > (100u << 20) || !(hdr = malloc(hlen + 1)) || fread(hdr, 1, hlen, f) != hlen) {
        errbuf_fail(err, errlen, "%s: %s: bad safetensors header length %llu", where, g->path,
                    (unsigned long long)hlen);
        goto out;
    }
    hdr[hlen] = 0;
    root = json_loads(hdr, 0, NULL);
    json_t *e = json_object_get(root, g->tensor_key);
    const char *dt = json_string_value(json_object_get(e, "dtype"));
    json_t *off = json_object_get(e, "data_offsets");
    if (!e || !dt || json_array_size(off) != 2) {
        errbuf_fail(err, errlen, "%s: %s has no tensor '%s'", where, g->path, g->tensor_key);
        goto out;
    }
    if (strcmp(dt, safetensors_dtype(t))) {
        errbuf_fail(err, errlen, "%s: %s: tensor '%s' is %s, the definition says %s", where,
                    g->path, g->tensor_key, dt, dtype_name(t));
        goto out;
    }
    json_int_t b0 = json_integer_value(json_array_get(off, 0));
    json_int_t b1 = json_integer_value(json_array_get(off, 1));
    if (b1 - b0 != (json_int_t)bytes) {
        errbuf_fail(err, errlen, "%s: %s: tensor '%s' holds %lld bytes, the workload needs %zu",
                    where, g->path, g->tensor_key, (long long)(b1 - b0), bytes);
        goto out;
    }
    if (fseek(f, (long)(8 + hlen + (uint64_t)b0), SEEK_SET) || fread(buf, 1, bytes, f) != bytes) {
        errbuf_fail(err, errlen, "%s: %s: tensor '%s' is truncated", where, g->path, g->tensor_key);
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    free(hdr);
    fclose(f);
    return rc;
}

int gate_make_inputs(const evo_task *t, const task_workload *w, uint64_t seed, void **inputs,
                     char *err, size_t errlen)
{
    const task_definition *d = &t->def;
    for (int i = 0; i < d->ninputs; i++) {
        if (!inputs[i]) continue;
        const task_tensor *x = &d->inputs[i];
        const task_input_gen *g = i < w->ninputs ? &w->inputs[i] : NULL;
        int64_t n = task_tensor_numel(t, w, x);
        size_t bytes = 0;
        if (n < 0 || task_tensor_bytes(t, w, x, &bytes))
            return errbuf_fail(err, errlen,
                               "workload %s: input '%s': cannot size it (an axis unknown, or "
                               "above %lld bytes)",
                               w->uuid, x->name, (long long)TASK_MAX_TENSOR_BYTES);
        char where[256];
        snprintf(where, sizeof where, "workload %s: input '%s'", w->uuid, x->name);
        task_gen_kind kind = g ? g->kind : GEN_RANDOM;
        double scale = t->input_scale ? t->input_scale[i] : 1.0;
        switch (kind) {
        case GEN_RANDOM: {
            fill_ctx c = {(int)x->dtype, inputs[i], n, gate_input_key(t, w, seed, i), (float)scale};
            parallel_chunks(n, fill_chunk, &c);
            break;
        }
        case GEN_SCALAR:
            store(x->dtype, inputs[i], 0, g->scalar);
            break;
        case GEN_ABSENT:
            memset(inputs[i], 0, bytes);
            break;
        case GEN_SAFETENSORS:
            if (load_safetensors(where, g, x->dtype, inputs[i], bytes, err, errlen)) return -1;
            break;
        }
    }
    return 0;
}

typedef struct cmp_ctx {
    evo_dtype dt;
    const void *got;
    const float *want;
    int64_t n;
    double atol, rtol;
    gate_stats *parts; /* one per chunk */
} cmp_ctx;

static void compare_range(evo_dtype dt, const void *got, const float *want, int64_t lo, int64_t hi,
                          double atol, double rtol, gate_stats *st);

static void compare_chunk(void *arg, int64_t chunk)
{
    const cmp_ctx *c = arg;
    int64_t lo = chunk * GATE_CHUNK, hi = lo + GATE_CHUNK < c->n ? lo + GATE_CHUNK : c->n;
    compare_range(c->dt, c->got, c->want, lo, hi, c->atol, c->rtol, &c->parts[chunk]);
}

int gate_compare(evo_dtype dt, const void *got, const float *want, int64_t n, double atol,
                 double rtol, double required_ratio, gate_stats *st)
{
    memset(st, 0, sizeof *st);
    st->n = n;
    st->first_bad = -1;
    st->required_ratio = required_ratio;
    int64_t nchunks = (n + GATE_CHUNK - 1) / GATE_CHUNK;
    gate_stats *parts = nchunks > 1 ? calloc((size_t)nchunks, sizeof *parts) : NULL;
    if (parts) {
        cmp_ctx c = {dt, got, want, n, atol, rtol, parts};
        parallel_chunks(n, compare_chunk, &c);
        /* Chunks merge in order, so the first bad element is the same as a serial scan's. */
        for (int64_t k = 0; k < nchunks; k++) {
            gate_stats *p = &parts[k];
            st->nonfinite += p->nonfinite;
            st->mismatched += p->mismatched;
            if (p->max_abs > st->max_abs) st->max_abs = p->max_abs;
            if (p->max_rel > st->max_rel) st->max_rel = p->max_rel;
            if (st->first_bad < 0 && p->first_bad >= 0) {
                st->first_bad = p->first_bad;
                st->first_got = p->first_got;
                st->first_want = p->first_want;
            }
        }
        free(parts);
    } else {
        compare_range(dt, got, want, 0, n, atol, rtol, st);
    }
    st->matched_ratio = n ? (double)(n - st->mismatched) / (double)n : 1.0;
    return st->nonfinite == 0 && st->matched_ratio >= required_ratio;
}

static void compare_range(evo_dtype dt, const void *got, const float *want, int64_t lo, int64_t hi,
                          double atol, double rtol, gate_stats *st)
{
    st->first_bad = -1;
    for (int64_t i = lo; i < hi; i++) {
        double g = dtype_load_float(dt, got, i), y = want[i];
        int bad;
        if (!isfinite(g)) {
            st->nonfinite++;
            bad = 1;
        } else if (!isfinite(y)) {
            bad = 1;
        } else {
            double ae = fabs(g - y), re = ae / (fabs(y) + 1e-8);
            if (ae > st->max_abs) st->max_abs = ae;
            if (re > st->max_rel) st->max_rel = re;
            bad = ae > atol && re > rtol;
        }
        if (!bad) continue;
        st->mismatched++;
        if (st->first_bad < 0) {
            st->first_bad = i;
            st->first_got = (float)g;
            st->first_want = (float)y;
        }
    }
}

void gate_describe(const char *output, const gate_stats *st, char *buf, size_t n)
{
    if (st->nonfinite) {
        snprintf(buf, n,
                 "output '%s': %lld of %lld elements are NaN or Inf; first bad at %lld: "
                 "got %.4f, want %.4f",
                 output, (long long)st->nonfinite, (long long)st->n, (long long)st->first_bad,
                 st->first_got, st->first_want);
        return;
    }
    if (st->first_bad < 0) {
        snprintf(buf, n,
                 "output '%s': all %lld elements matched; max abs err %.3g, max rel err "
                 "%.3g",
                 output, (long long)st->n, st->max_abs, st->max_rel);
        return;
    }
    snprintf(buf, n,
             "output '%s': %lld of %lld elements mismatched (matched %.6f %s %.6f); max "
             "abs err %.3g, max rel err %.3g; first at %lld: got %.4f, want %.4f",
             output, (long long)st->mismatched, (long long)st->n, st->matched_ratio,
             st->matched_ratio < st->required_ratio ? "<" : ">=", st->required_ratio, st->max_abs,
             st->max_rel, (long long)st->first_bad, st->first_got, st->first_want);
}
