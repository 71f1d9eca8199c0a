/* dsa.c -- host references for the DSA definitions (dsa_topk_indexer_fp8_* and
 * dsa_sparse_attention_*), read off their PyTorch in the same order of operations:
 *
 * indexer, per batch row b with L = seq_lens[b] valid rows over pages block_table[b, :]:
 *   K[t]     = fp8(page[t % PS]) * scale(page[t % PS])     page = block_table[b, t / PS]
 *   score[t] = sum_h relu(q[b, h] . K[t]) * weights[b, h]
 *   topk_indices[b] = page * PS + t % PS of the min(topk, L) best t, best first; -1 after
 * sparse attention, per token t over the valid (not -1) entries j of sparse_indices[t]:
 *   logit[h, j] = sm_scale (q_nope[t, h] . Kc[j] + q_pe[t, h] . Kp[j])
 *   lse[t, h]   = logsumexp_j logit[h, j] / ln 2
 *   output[t, h] = sum_j softmax(logit[h])_j Kc[j]     (zeros and lse -inf with no entry)
 *
 * The cache page layout is deep_gemm's: per page PS x D fp8 bytes, then PS f32 scales, viewed
 * as int8 [pages, PS, 1, D + 4]. The dot products run on OpenBLAS (cblas_sgemm, its own
 * threads for long contexts); the top-k sorts (score descending, then position ascending, so
 * the order is deterministic; ties may fall either way in the definition). Page and token
 * indices come from the workload's data and are checked against the cache before any read. */
#include "dsa.h"

#include <cblas.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DSA_CBLAS_MAX 2147483647LL /* cblas takes int sizes */

static const ref_sym INDEXER_SYMS[] = {
    {"B", "batch_size", 0, INT64_MAX}, {"H", "num_index_heads", 1, 4096},
    {"D", "index_head_dim", 1, 65536}, {"PS", "page_size", 1, 65536},
    {"K", "topk", 1, 1 << 24},         {"MP", "max_num_pages", 0, INT64_MAX},
    {"P", "num_pages", 0, INT64_MAX},  {NULL, NULL, 0, 0},
};

static const ref_arg INDEXER_ARGS[] = {
    {"q_index_fp8", 0, "B H D", REF_DT(REF_E4M3), 0},
    {"k_index_cache_fp8", 0, "P PS 1 D+4", REF_DT(REF_I8) | REF_DT(REF_U8), 0},
    {"weights", 0, "B H", REF_DT(REF_F32), 0},
    {"seq_lens", 0, "B", REF_DT(REF_I32), 0},
    {"block_table", 0, "B MP", REF_DT(REF_I32), 0},
    {"topk_indices", 1, "B K", 0, 0},
    {NULL, 0, NULL, 0, 0},
};

static const ref_sym ATTENTION_SYMS[] = {
    {"T", "num_tokens", 0, INT64_MAX}, {"H", "num_qo_heads", 1, 4096},
    {"DC", "head_dim_ckv", 1, 65536},  {"DP", "head_dim_kpe", 1, 65536},
    {"PS", "page_size", 1, 65536},     {"K", "topk", 1, 1 << 24},
    {"P", "num_pages", 0, INT64_MAX},  {NULL, NULL, 0, 0},
};

#define DSA_BF16 REF_DT(REF_BF16)
static const ref_arg ATTENTION_ARGS[] = {
    {"q_nope", 0, "T H DC", DSA_BF16, 0},
    {"q_pe", 0, "T H DP", DSA_BF16, 0},
    {"ckv_cache", 0, "P PS DC", DSA_BF16, 0},
    {"kpe_cache", 0, "P PS DP", DSA_BF16, 0},
    {"sparse_indices", 0, "T K", REF_DT(REF_I32), 0},
    {"sm_scale", 0, "", REF_DT(REF_F32), 0},
    {"output", 1, "T H DC", 0, 0},
    {"lse", 1, "T H", 0, 0},
    {NULL, 0, NULL, 0, 0},
};

const ref_spec ref_spec_dsa_topk_indexer = {"dsa_topk_indexer", reference_dsa_topk_indexer,
                                            INDEXER_SYMS, INDEXER_ARGS, NULL};
const ref_spec ref_spec_dsa_sparse_attention = {
    "dsa_sparse_attention", reference_dsa_sparse_attention, ATTENTION_SYMS, ATTENTION_ARGS, NULL};

void dsa_dequant_row(const uint8_t *page, int64_t page_size, int64_t dim, int64_t t, float *out)
{
    float scale;
    memcpy(&scale, page + page_size * dim + t * 4, sizeof scale);
    const uint8_t *row = page + t * dim;
    for (int64_t d = 0; d < dim; d++)
        out[d] = fp8e4m3_to_float(row[d]) * scale;
}

typedef struct scored {
    float score;
    int64_t pos; /* the row's position within its sequence */
} scored;

static int by_score(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* One batch row of the indexer: writes out[0..topk). */
static int indexer_row(const ref_problem *p, const void *const *in, int64_t b, float *out,
                       char *err, size_t errlen)
{
    const int qi = ref_input(p, "q_index_fp8"), ki = ref_input(p, "k_index_cache_fp8");
    const int wi = ref_input(p, "weights"), si = ref_input(p, "seq_lens");
    const int bi = ref_input(p, "block_table");
    const int64_t H = p->inputs[qi].dims[1], D = p->inputs[qi].dims[2];
    const int64_t P = p->inputs[ki].dims[0], PS = p->inputs[ki].dims[1];
    const int64_t MP = p->inputs[bi].dims[1], topk = p->outputs[0].dims[1];
    const int64_t L = ((const int32_t *)in[si])[b];
    for (int64_t j = 0; j < topk; j++)
        out[j] = -1.0f;
    if (L == 0) return 0;
    if (L < 0 || L > MP * PS)
        return fail(err, errlen,
                    "dsa_topk_indexer reference: workload %s: seq_lens[%lld] = %lld is outside "
                    "[0, max_num_pages * page_size = %lld]",
                    p->workload, (long long)b, (long long)L, (long long)(MP * PS));
    if (L > DSA_CBLAS_MAX || H * D > DSA_CBLAS_MAX)
        return fail(err, errlen, "dsa_topk_indexer reference: workload %s: too large", p->workload);
    const int32_t *pages = (const int32_t *)in[bi] + b * MP;
    const int64_t npages = (L + PS - 1) / PS;
    for (int64_t g = 0; g < npages; g++)
        if (pages[g] < 0 || pages[g] >= P)
            return fail(err, errlen,
                        "dsa_topk_indexer reference: workload %s: block_table[%lld][%lld] = %d "
                        "is not a page of the cache (0..%lld)",
                        p->workload, (long long)b, (long long)g, pages[g], (long long)P - 1);
    float *K = malloc((size_t)(L * D) * sizeof *K), *q = malloc((size_t)(H * D) * sizeof *q);
    float *S = malloc((size_t)(H * L) * sizeof *S);
    scored *sc = malloc((size_t)L * sizeof *sc);
    if (!K || !q || !S || !sc) {
        free(K), free(q), free(S), free(sc);
        return fail(err, errlen, "dsa_topk_indexer reference: out of memory (%lld rows)",
                    (long long)L);
    }
    const uint8_t *cache = in[ki];
    const int64_t page_bytes = PS * (D + 4);
    for (int64_t t = 0; t < L; t++)
        dsa_dequant_row(cache + pages[t / PS] * page_bytes, PS, D, t % PS, K + t * D);
    const uint8_t *qb = (const uint8_t *)in[qi] + b * H * D;
    for (int64_t i = 0; i < H * D; i++)
        q[i] = fp8e4m3_to_float(qb[i]);
    /* S [H, L] = q [H, D] K^T */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)H, (int)L, (int)D, 1.0f, q, (int)D, K,
                (int)D, 0.0f, S, (int)L);
    const float *w = (const float *)in[wi] + b * H;
    for (int64_t t = 0; t < L; t++) {
        float s = 0.0f; /* heads in order, as torch's sum over dim 0 of [H, L] */
        for (int64_t h = 0; h < H; h++) {
            float v = S[h * L + t];
            s += (v > 0.0f ? v : 0.0f) * w[h];
        }
        sc[t].score = s;
        sc[t].pos = t;
    }
    qsort(sc, (size_t)L, sizeof *sc, by_score);
    const int64_t n = L < topk ? L : topk;
    for (int64_t j = 0; j < n; j++) {
        const int64_t t = sc[j].pos;
        out[j] = (float)((int64_t)pages[t / PS] * PS + t % PS);
    }
    free(K), free(q), free(S), free(sc);
    return 0;
}

int reference_dsa_topk_indexer(const ref_problem *p, const void *const *inputs,
                               float *const *outputs, char *err, size_t errlen)
{
    if (reference_check(&ref_spec_dsa_topk_indexer, p, err, errlen)) return -1;
    const int oi = ref_output(p, "topk_indices");
    const int64_t B = p->outputs[oi].dims[0], topk = p->outputs[oi].dims[1];
    if (topk > (1 << 24))
        return fail(err, errlen, "dsa_topk_indexer reference: topk %lld is not exact in float",
                    (long long)topk);
    for (int64_t b = 0; b < B; b++)
        if (indexer_row(p, inputs, b, outputs[oi] + b * topk, err, errlen)) return -1;
    return 0;
}

/* One token of the sparse attention: out [H, DC] and lse [H]. */
static int attention_token(const ref_problem *p, const void *const *in, int64_t t, float sm_scale,
                           float *out, float *lse, char *err, size_t errlen)
{
    const int qn = ref_input(p, "q_nope"), qp = ref_input(p, "q_pe");
    const int kc = ref_input(p, "ckv_cache"), kp = ref_input(p, "kpe_cache");
    const int si = ref_input(p, "sparse_indices");
    const int64_t H = p->inputs[qn].dims[1], DC = p->inputs[qn].dims[2];
    const int64_t DP = p->inputs[qp].dims[2], topk = p->inputs[si].dims[1];
    const int64_t rows = p->inputs[kc].dims[0] * p->inputs[kc].dims[1];
    const int32_t *idx = (const int32_t *)in[si] + t * topk;
    int64_t n = 0;
    for (int64_t j = 0; j < topk; j++) {
        if (idx[j] == -1) continue;
        if (idx[j] < 0 || idx[j] >= rows)
            return fail(err, errlen,
                        "dsa_sparse_attention reference: workload %s: sparse_indices[%lld][%lld] "
                        "= %d is not a row of the cache (0..%lld, or -1)",
                        p->workload, (long long)t, (long long)j, idx[j], (long long)rows - 1);
        n++;
    }
    memset(out, 0, (size_t)(H * DC) * sizeof *out);
    if (n == 0) {
        for (int64_t h = 0; h < H; h++)
            lse[h] = -INFINITY;
        return 0;
    }
    if (H * (DC + DP) > DSA_CBLAS_MAX || n * (DC + DP) > DSA_CBLAS_MAX)
        return fail(err, errlen, "dsa_sparse_attention reference: workload %s: too large",
                    p->workload);
    float *Kc = malloc((size_t)(n * DC) * sizeof *Kc), *Kp = malloc((size_t)(n * DP) * sizeof *Kp);
    float *q1 = malloc((size_t)(H * DC) * sizeof *q1), *q2 = malloc((size_t)(H * DP) * sizeof *q2);
    float *lg = malloc((size_t)(H * n) * sizeof *lg);
    if (!Kc || !Kp || !q1 || !q2 || !lg) {
        free(Kc), free(Kp), free(q1), free(q2), free(lg);
        return fail(err, errlen, "dsa_sparse_attention reference: out of memory");
    }
    const uint16_t *ckv = in[kc], *kpe = in[kp];
    for (int64_t j = 0, r = 0; j < topk; j++) {
        if (idx[j] == -1) continue;
        for (int64_t d = 0; d < DC; d++)
            Kc[r * DC + d] = bf16_to_float(ckv[(int64_t)idx[j] * DC + d]);
        for (int64_t d = 0; d < DP; d++)
            Kp[r * DP + d] = bf16_to_float(kpe[(int64_t)idx[j] * DP + d]);
        r++;
    }
    const uint16_t *a = (const uint16_t *)in[qn] + t * H * DC,
                   *c = (const uint16_t *)in[qp] + t * H * DP;
    for (int64_t i = 0; i < H * DC; i++)
        q1[i] = bf16_to_float(a[i]);
    for (int64_t i = 0; i < H * DP; i++)
        q2[i] = bf16_to_float(c[i]);
    /* logits [H, n] = q_nope Kc^T + q_pe Kp^T */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)H, (int)n, (int)DC, 1.0f, q1, (int)DC,
                Kc, (int)DC, 0.0f, lg, (int)n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)H, (int)n, (int)DP, 1.0f, q2, (int)DP,
                Kp, (int)DP, 1.0f, lg, (int)n);
    for (int64_t h = 0; h < H; h++) {
        float *row = lg + h * n, m = -INFINITY;
        for (int64_t j = 0; j < n; j++) {
            row[j] *= sm_scale;
            if (row[j] > m) m = row[j];
        }
        double sum = 0;
        for (int64_t j = 0; j < n; j++)
            sum += exp((double)row[j] - m);
        lse[h] = (float)(((double)m + log(sum)) / log(2.0));
        for (int64_t j = 0; j < n; j++)
            row[j] = (float)(exp((double)row[j] - m) / sum);
    }
    /* out [H, DC] = softmax [H, n] Kc */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)H, (int)DC, (int)n, 1.0f, lg,
                (int)n, Kc, (int)DC, 0.0f, out, (int)DC);
    free(Kc), free(Kp), free(q1), free(q2), free(lg);
    return 0;
}

int reference_dsa_sparse_attention(const ref_problem *p, const void *const *inputs,
                                   float *const *outputs, char *err, size_t errlen)
{
    if (reference_check(&ref_spec_dsa_sparse_attention, p, err, errlen)) return -1;
    const int oi = ref_output(p, "output"), li = ref_output(p, "lse");
    const int64_t T = p->outputs[oi].dims[0], H = p->outputs[oi].dims[1];
    const int64_t DC = p->outputs[oi].dims[2];
    const float sm_scale = *(const float *)inputs[ref_input(p, "sm_scale")];
    for (int64_t t = 0; t < T; t++)
        if (attention_token(p, inputs, t, sm_scale, outputs[oi] + t * H * DC, outputs[li] + t * H,
                            err, errlen))
            return -1;
    return 0;
}
