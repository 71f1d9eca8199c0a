/* gdn.c -- host references for the Gated Delta Net definitions (gdn_decode_*_k_last and
 * gdn_prefill_*_k_last), read off the definitions' PyTorch in the same order of operations:
 *
 *   g    = exp(-exp(A_log) * softplus(a + dt_bias))      per token and v head
 *   beta = sigmoid(b)
 *   S    = g * S                                         S is [K, V] (the k-last state
 *   old  = k S;  new = beta v + (1 - beta) old           [V, K] transposed)
 *   S    = (S - k^T old) + k^T new
 *   out  = scale * q S                                   scale 0 means 1/sqrt(K)
 *
 * Each q/k head serves num_v_heads / num_q_heads consecutive v heads (repeat_interleave).
 * Decode is one step per batch row; prefill runs the step token by token within each
 * sequence of cu_seqlens, starting from that sequence's state (zeros when the optional state
 * is absent). Everything is float, as the definitions compute it; the output is returned in
 * float and the gate compares the kernel's bf16 against it. */
#include "gdn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The pieces of a definition the recurrence needs, found by name so the references do not
 * depend on the order the definition lists its inputs in. */
typedef struct gdn_io {
    int q, k, v, state, A_log, a, dt_bias, b, scale, cu_seqlens;
    int out, new_state;
    int64_t hq, hv, dk; /* q/k heads, v heads, head size */
} gdn_io;

/* The tables: q/k heads HQ, v heads HV, head size D (gdn_step takes int n and indexes
 * n * n, so D stays far below 46341), per token row (decode: [B, 1], prefill: [T]) and per
 * state (B or N). */
#define GDN_F32 REF_DT(REF_F32)
#define GDN_HEADS                                                                                  \
    {"HQ", "num_q_heads", 1, INT32_MAX}, {"HV", "num_v_heads", 1, INT32_MAX},                      \
    {                                                                                              \
        "D", "head_size", 1, 32768                                                                 \
    }

static int gdn_heads(const ref_problem *p, char *err, size_t errlen);

static const ref_sym DECODE_SYMS[] = {
    {"B", "batch_size", 0, INT64_MAX},
    GDN_HEADS,
    {NULL, NULL, 0, 0},
};

static const ref_arg DECODE_ARGS[] = {
    {"q", 0, "B 1 HQ D", 0, 0},         {"k", 0, "B 1 HQ D", 0, 0},
    {"v", 0, "B 1 HV D", 0, 0},         {"state", 0, "B HV D D", GDN_F32, 1},
    {"A_log", 0, "HV", GDN_F32, 0},     {"a", 0, "B 1 HV", 0, 0},
    {"dt_bias", 0, "HV", GDN_F32, 0},   {"b", 0, "B 1 HV", 0, 0},
    {"scale", 0, "", GDN_F32, 1},       {"output", 1, "B 1 HV D", 0, 0},
    {"new_state", 1, "B HV D D", 0, 0}, {NULL, 0, NULL, 0, 0},
};

static const ref_sym PREFILL_SYMS[] = {
    {"T", "total_seq_len", 0, INT64_MAX},
    {"N", "num_seqs", 0, INT64_MAX - 1},
    GDN_HEADS,
    {NULL, NULL, 0, 0},
};

static const ref_arg PREFILL_ARGS[] = {
    {"q", 0, "T HQ D", 0, 0},
    {"k", 0, "T HQ D", 0, 0},
    {"v", 0, "T HV D", 0, 0},
    {"state", 0, "N HV D D", GDN_F32, 1},
    {"A_log", 0, "HV", GDN_F32, 0},
    {"a", 0, "T HV", 0, 0},
    {"dt_bias", 0, "HV", GDN_F32, 0},
    {"b", 0, "T HV", 0, 0},
    {"cu_seqlens", 0, "N+1", REF_DT(REF_I64), 0},
    {"scale", 0, "", GDN_F32, 1},
    {"output", 1, "T HV D", 0, 0},
    {"new_state", 1, "N HV D D", 0, 0},
    {NULL, 0, NULL, 0, 0},
};

const ref_spec ref_spec_gdn_decode = {"gdn_decode", reference_gdn_decode, DECODE_SYMS, DECODE_ARGS,
                                      gdn_heads};
const ref_spec ref_spec_gdn_prefill = {"gdn_prefill", reference_gdn_prefill, PREFILL_SYMS,
                                       PREFILL_ARGS, gdn_heads};

static int gdn_heads(const ref_problem *p, char *err, size_t errlen)
{
    int64_t hq = 0, hv = 0;
    ref_axis(p, "num_q_heads", &hq);
    ref_axis(p, "num_v_heads", &hv);
    if (hq > 0 && hv % hq == 0) return 0;
    snprintf(err, errlen, "gdn reference: num_v_heads %lld is not a multiple of num_q_heads %lld",
             (long long)hv, (long long)hq);
    return -1;
}

/* The pieces of a definition the recurrence needs, found by name (the table has checked
 * that they are all there and what their shapes are). */
static void gdn_bind(const ref_problem *p, gdn_io *io)
{
    io->q = ref_input(p, "q");
    io->k = ref_input(p, "k");
    io->v = ref_input(p, "v");
    io->state = ref_input(p, "state");
    io->A_log = ref_input(p, "A_log");
    io->a = ref_input(p, "a");
    io->dt_bias = ref_input(p, "dt_bias");
    io->b = ref_input(p, "b");
    io->scale = ref_input(p, "scale");
    io->cu_seqlens = ref_input(p, "cu_seqlens");
    io->out = ref_output(p, "output");
    io->new_state = ref_output(p, "new_state");
    ref_axis(p, "num_q_heads", &io->hq);
    ref_axis(p, "num_v_heads", &io->hv);
    ref_axis(p, "head_size", &io->dk);
}

/* torch.nn.functional.softplus with its default beta 1 and threshold 20. */
static float softplus(float x)
{
    return x > 20.0f ? x : log1pf(expf(x));
}

float gdn_gate(float A_log, float a, float dt_bias)
{
    float x = a + dt_bias;
    return expf(-expf(A_log) * softplus(x));
}

float gdn_beta(float b)
{
    return 1.0f / (1.0f + expf(-b));
}

void gdn_step(float *S, const float *q, const float *k, const float *v, float g, float beta,
              float scale, int n, float *old_v, float *out)
{
    for (int i = 0; i < n * n; i++)
        S[i] = g * S[i];
    for (int j = 0; j < n; j++)
        old_v[j] = 0.0f;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            old_v[j] += k[i] * S[i * n + j];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            float new_v = beta * v[j] + (1.0f - beta) * old_v[j];
            S[i * n + j] = (S[i * n + j] - k[i] * old_v[j]) + k[i] * new_v;
        }
    for (int j = 0; j < n; j++) {
        float acc = 0.0f;
        for (int i = 0; i < n; i++)
            acc += q[i] * S[i * n + j];
        out[j] = scale * acc;
    }
}

/* Scratch for one head: the [K, V] state, the token's q, k, v and old_v as float. */
typedef struct gdn_scratch {
    float *S, *q, *k, *v, *old_v, *out;
} gdn_scratch;

static int scratch_new(gdn_scratch *s, int64_t n)
{
    s->S = malloc((size_t)(n * n) * sizeof(float));
    s->q = malloc((size_t)(5 * n) * sizeof(float));
    if (!s->S || !s->q) {
        free(s->S);
        free(s->q);
        return -1;
    }
    s->k = s->q + n;
    s->v = s->k + n;
    s->old_v = s->v + n;
    s->out = s->old_v + n;
    return 0;
}

static void scratch_free(gdn_scratch *s)
{
    free(s->S);
    free(s->q);
}

static void load_row(int t, const void *buf, int64_t off, int64_t n, float *dst)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = dtype_load_float(t, buf, off + i);
}

/* state [V, K] (k-last) -> S [K, V]; zeros without a state. */
static void load_state(const float *state, int64_t n, float *S)
{
    for (int64_t vi = 0; vi < n; vi++)
        for (int64_t ki = 0; ki < n; ki++)
            S[ki * n + vi] = state ? state[vi * n + ki] : 0.0f;
}

static void store_state(const float *S, int64_t n, float *dst)
{
    for (int64_t vi = 0; vi < n; vi++)
        for (int64_t ki = 0; ki < n; ki++)
            dst[vi * n + ki] = S[ki * n + vi];
}

static float read_scale(const void *p, int64_t dk)
{
    float s = p ? *(const float *)p : 0.0f;
    return s == 0.0f ? 1.0f / sqrtf((float)dk) : s;
}

/* One token t of a run of tokens for v head h: tokens are rows of q/k [T, Hq, K] and
 * v [T, Hv, V]; gates a, b are [T, Hv]. Writes out[t, h, :]. */
static void token_step(const ref_problem *p, const gdn_io *io, const void *const *in, int64_t t,
                       int64_t h, float scale, gdn_scratch *s, float *out)
{
    const ref_tensor *d = p->inputs;
    int64_t n = io->dk, hk = h / (io->hv / io->hq);
    load_row(d[io->q].dtype, in[io->q], (t * io->hq + hk) * n, n, s->q);
    load_row(d[io->k].dtype, in[io->k], (t * io->hq + hk) * n, n, s->k);
    load_row(d[io->v].dtype, in[io->v], (t * io->hv + h) * n, n, s->v);
    float A_log = ((const float *)in[io->A_log])[h];
    float dt_bias = ((const float *)in[io->dt_bias])[h];
    float a = dtype_load_float(d[io->a].dtype, in[io->a], t * io->hv + h);
    float b = dtype_load_float(d[io->b].dtype, in[io->b], t * io->hv + h);
    gdn_step(s->S, s->q, s->k, s->v, gdn_gate(A_log, a, dt_bias), gdn_beta(b), scale, (int)n,
             s->old_v, s->out);
    memcpy(out + (t * io->hv + h) * n, s->out, (size_t)n * sizeof(float));
}

int reference_gdn_decode(const ref_problem *p, const void *const *inputs, float *const *outputs,
                         char *err, size_t errlen)
{
    if (reference_check(&ref_spec_gdn_decode, p, err, errlen)) return -1;
    gdn_io io;
    gdn_bind(p, &io);
    int64_t B;
    ref_axis(p, "batch_size", &B);
    gdn_scratch s;
    if (scratch_new(&s, io.dk)) {
        snprintf(err, errlen, "gdn_decode reference: out of memory");
        return -1;
    }
    float scale = read_scale(inputs[io.scale], io.dk);
    const float *state = inputs[io.state];
    int64_t n2 = io.dk * io.dk;
    for (int64_t bi = 0; bi < B; bi++)
        for (int64_t h = 0; h < io.hv; h++) {
            int64_t sh = bi * io.hv + h;
            load_state(state ? state + sh * n2 : NULL, io.dk, s.S);
            token_step(p, &io, inputs, bi, h, scale, &s, outputs[io.out]);
            store_state(s.S, io.dk, outputs[io.new_state] + sh * n2);
        }
    scratch_free(&s);
    return 0;
}

int reference_gdn_prefill(const ref_problem *p, const void *const *inputs, float *const *outputs,
                          char *err, size_t errlen)
{
    if (reference_check(&ref_spec_gdn_prefill, p, err, errlen)) return -1;
    gdn_io io;
    gdn_bind(p, &io);
    int64_t T, N;
    ref_axis(p, "total_seq_len", &T);
    ref_axis(p, "num_seqs", &N);
    const int64_t *cu = inputs[io.cu_seqlens];
    if (!cu) {
        snprintf(err, errlen, "gdn_prefill reference: workload %s gives no cu_seqlens",
                 p->workload);
        return -1;
    }
    for (int64_t i = 0; i < N; i++)
        if (cu[0] < 0 || cu[i] > cu[i + 1] || cu[i + 1] > T) {
            snprintf(err, errlen,
                     "gdn_prefill reference: workload %s: cu_seqlens[%lld..%lld] = "
                     "%lld, %lld is not a non-decreasing split of %lld tokens",
                     p->workload, (long long)i, (long long)i + 1, (long long)cu[i],
                     (long long)cu[i + 1], (long long)T);
            return -1;
        }
    gdn_scratch s;
    if (scratch_new(&s, io.dk)) {
        snprintf(err, errlen, "gdn_prefill reference: out of memory");
        return -1;
    }
    float scale = read_scale(inputs[io.scale], io.dk);
    const float *state = inputs[io.state];
    int64_t n2 = io.dk * io.dk;
    /* Tokens outside every sequence keep zero output, as the definition's zeros() leaves
     * them. */
    memset(outputs[io.out], 0, (size_t)(T * io.hv * io.dk) * sizeof(float));
    for (int64_t sq = 0; sq < N; sq++)
        for (int64_t h = 0; h < io.hv; h++) {
            int64_t sh = sq * io.hv + h;
            /* The definition skips an empty sequence, leaving its new_state zero. */
            int empty = cu[sq + 1] <= cu[sq];
            load_state(state && !empty ? state + sh * n2 : NULL, io.dk, s.S);
            for (int64_t tok = cu[sq]; tok < cu[sq + 1]; tok++)
                token_step(p, &io, inputs, tok, h, scale, &s, outputs[io.out]);
            store_state(s.S, io.dk, outputs[io.new_state] + sh * n2);
        }
    scratch_free(&s);
    return 0;
}
