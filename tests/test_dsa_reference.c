/* test_dsa_reference.c -- the DSA host references (reference/dsa.c) on problems small enough to
 * check against a plain double-precision evaluation of the definitions' formulas, written here
 * independently of the reference (no BLAS, no sort shared with it):
 *  - the indexer: deep_gemm's page layout (fp8 rows then f32 scales), scattered block tables,
 *    an empty row, the padded path (fewer rows than topk) and a selection, best first;
 *  - the sparse attention: gathered rows, -1 padding anywhere, a token with no row (zeros and
 *    lse -inf), lse in base 2;
 *  - FlashInfer-Bench's published definitions (../shared/flashinfer-trace) satisfy the tables;
 *  - indices from a workload that point outside the cache fail with exact errors.
 * The definitions' own PyTorch is the other yardstick: tests/gen_dsa_vectors.py writes vectors
 * from it on a machine with torch (not yet committed: see bench/NOTES.md). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "dsa.h"
#include "reference.h"
#include "task.h"

static ref_tensor tensor(const char *name, ref_dtype dt, int ndim, int64_t d0, int64_t d1,
                         int64_t d2, int64_t d3)
{
    ref_tensor t = {name, dt, ndim, {d0, d1, d2, d3}, 0};
    return t;
}

static void axis(ref_problem *p, const char *name, int64_t v)
{
    p->axis_names[p->naxes] = name;
    p->axis_values[p->naxes++] = v;
}

/* A small deterministic value in [-1, 1) with 1/16 steps (exact in fp8, bf16 and float). */
static float level(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((int)(*s >> 27) - 16) / 16.0f;
}

/* ---- the indexer ---- */

enum { IH = 3, ID = 4, IPS = 4, ITOPK = 6, IB = 4, IMP = 4, IP = 7 };

typedef struct indexer_case {
    uint8_t q[IB * IH * ID];
    uint8_t cache[IP * IPS * (ID + 4)];
    float w[IB * IH];
    int32_t seq_lens[IB];
    int32_t table[IB * IMP];
    float out[IB * ITOPK];
} indexer_case;

static ref_problem indexer_problem(void)
{
    ref_problem p = {0};
    p.definition = "dsa_topk_indexer_test";
    p.workload = "tiny";
    p.ninputs = 5;
    p.inputs[0] = tensor("q_index_fp8", REF_E4M3, 3, IB, IH, ID, 0);
    p.inputs[1] = tensor("k_index_cache_fp8", REF_I8, 4, IP, IPS, 1, ID + 4);
    p.inputs[2] = tensor("weights", REF_F32, 2, IB, IH, 0, 0);
    p.inputs[3] = tensor("seq_lens", REF_I32, 1, IB, 0, 0, 0);
    p.inputs[4] = tensor("block_table", REF_I32, 2, IB, IMP, 0, 0);
    p.noutputs = 1;
    p.outputs[0] = tensor("topk_indices", REF_I32, 2, IB, ITOPK, 0, 0);
    axis(&p, "batch_size", IB);
    axis(&p, "num_index_heads", IH);
    axis(&p, "index_head_dim", ID);
    axis(&p, "page_size", IPS);
    axis(&p, "topk", ITOPK);
    axis(&p, "max_num_pages", IMP);
    axis(&p, "num_pages", IP);
    return p;
}

static void indexer_fill(indexer_case *c)
{
    uint32_t s = 7;
    for (int i = 0; i < IB * IH * ID; i++)
        c->q[i] = float_to_fp8e4m3(level(&s));
    for (int pg = 0; pg < IP; pg++) {
        uint8_t *page = c->cache + pg * IPS * (ID + 4);
        for (int i = 0; i < IPS * ID; i++)
            page[i] = float_to_fp8e4m3(level(&s));
        for (int r = 0; r < IPS; r++) {
            float scale = 0.5f + 0.25f * (float)((pg + r) % 3);
            memcpy(page + IPS * ID + r * 4, &scale, 4);
        }
    }
    for (int i = 0; i < IB * IH; i++)
        c->w[i] = level(&s) + 0.03125f;      /* never 0: scores stay distinct */
    const int32_t lens[IB] = {0, 3, 13, 16}; /* empty; 3 < topk: padded; 13, 16: a selection */
    memcpy(c->seq_lens, lens, sizeof lens);
    const int32_t table[IB * IMP] = {6, 6, 6, 6, 5, 0, 0, 0, 2, 6, 0, 4, 3, 1, 5, 2};
    memcpy(c->table, table, sizeof table);
}

/* score of row t of batch row b, in double, straight from the bytes. */
static double indexer_score(const indexer_case *c, int b, int t)
{
    const uint8_t *page = c->cache + c->table[b * IMP + t / IPS] * IPS * (ID + 4);
    float scale;
    memcpy(&scale, page + IPS * ID + (t % IPS) * 4, 4);
    double total = 0;
    for (int h = 0; h < IH; h++) {
        double dot = 0;
        for (int d = 0; d < ID; d++)
            dot += (double)fp8e4m3_to_float(c->q[(b * IH + h) * ID + d]) *
                   ((double)fp8e4m3_to_float(page[(t % IPS) * ID + d]) * scale);
        total += (dot > 0 ? dot : 0) * c->w[b * IH + h];
    }
    return total;
}

static void test_indexer(void)
{
    static indexer_case c;
    indexer_fill(&c);
    ref_problem p = indexer_problem();
    const void *in[5] = {c.q, c.cache, c.w, c.seq_lens, c.table};
    float *out[1] = {c.out};
    char err[512] = "";
    CHECK_MSG(reference_dsa_topk_indexer(&p, in, out, err, sizeof err) == 0, "%s", err);
    for (int b = 0; b < IB; b++) {
        const int L = c.seq_lens[b], n = L < ITOPK ? L : ITOPK;
        /* best first, by selection: the expected order without any shared sort */
        int used[16] = {0};
        for (int j = 0; j < n; j++) {
            int best = -1;
            for (int t = 0; t < L; t++)
                if (!used[t] && (best < 0 || indexer_score(&c, b, t) > indexer_score(&c, b, best)))
                    best = t;
            used[best] = 1;
            const int want = c.table[b * IMP + best / IPS] * IPS + best % IPS;
            CHECK_MSG(c.out[b * ITOPK + j] == (float)want, "row %d, rank %d: %g, want %d", b, j,
                      c.out[b * ITOPK + j], want);
        }
        for (int j = n; j < ITOPK; j++)
            CHECK_MSG(c.out[b * ITOPK + j] == -1.0f, "row %d, slot %d: %g, want -1", b, j,
                      c.out[b * ITOPK + j]);
    }
    /* A page the cache does not have, and a row longer than its block table. */
    c.table[2 * IMP + 3] = IP;
    CHECK(reference_dsa_topk_indexer(&p, in, out, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "dsa_topk_indexer reference: workload tiny: block_table[2][3] = 7 is not "
                        "a page of the cache (0..6)");
    c.table[2 * IMP + 3] = 4;
    c.seq_lens[1] = IMP * IPS + 1;
    CHECK(reference_dsa_topk_indexer(&p, in, out, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "seq_lens[1] = 17 is outside [0, max_num_pages * page_size = 16]");
    /* The table: a cache row of the wrong width is refused before anything is read. */
    c.seq_lens[1] = 3;
    p.inputs[1].dims[3] = ID;
    CHECK(reference_dsa_topk_indexer(&p, in, out, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "k_index_cache_fp8");
}

/* ---- the sparse attention ---- */

enum { AH = 2, ADC = 4, ADP = 2, APS = 4, ATOPK = 5, AT = 3, AP = 3 };

static void test_attention(void)
{
    uint16_t qn[AT * AH * ADC], qp[AT * AH * ADP], kc[AP * APS * ADC], kp[AP * APS * ADP];
    uint32_t s = 11;
    for (size_t i = 0; i < sizeof qn / 2; i++)
        qn[i] = float_to_bf16(level(&s));
    for (size_t i = 0; i < sizeof qp / 2; i++)
        qp[i] = float_to_bf16(level(&s));
    for (size_t i = 0; i < sizeof kc / 2; i++)
        kc[i] = float_to_bf16(level(&s));
    for (size_t i = 0; i < sizeof kp / 2; i++)
        kp[i] = float_to_bf16(level(&s));
    int32_t idx[AT * ATOPK] = {11, -1, 3,  7,  0,  /* padding in the middle */
                               -1, -1, -1, -1, -1, /* no row */
                               5,  6,  2,  9,  10};
    float sm = 0.7f, out[AT * AH * ADC], lse[AT * AH];
    ref_problem p = {0};
    p.definition = "dsa_sparse_attention_test";
    p.workload = "tiny";
    p.ninputs = 6;
    p.inputs[0] = tensor("q_nope", REF_BF16, 3, AT, AH, ADC, 0);
    p.inputs[1] = tensor("q_pe", REF_BF16, 3, AT, AH, ADP, 0);
    p.inputs[2] = tensor("ckv_cache", REF_BF16, 3, AP, APS, ADC, 0);
    p.inputs[3] = tensor("kpe_cache", REF_BF16, 3, AP, APS, ADP, 0);
    p.inputs[4] = tensor("sparse_indices", REF_I32, 2, AT, ATOPK, 0, 0);
    p.inputs[5] = tensor("sm_scale", REF_F32, 0, 0, 0, 0, 0);
    p.noutputs = 2;
    p.outputs[0] = tensor("output", REF_BF16, 3, AT, AH, ADC, 0);
    p.outputs[1] = tensor("lse", REF_F32, 2, AT, AH, 0, 0);
    axis(&p, "num_tokens", AT);
    axis(&p, "num_qo_heads", AH);
    axis(&p, "head_dim_ckv", ADC);
    axis(&p, "head_dim_kpe", ADP);
    axis(&p, "page_size", APS);
    axis(&p, "topk", ATOPK);
    axis(&p, "num_pages", AP);
    const void *in[6] = {qn, qp, kc, kp, idx, &sm};
    float *outs[2] = {out, lse};
    char err[512] = "";
    CHECK_MSG(reference_dsa_sparse_attention(&p, in, outs, err, sizeof err) == 0, "%s", err);
    for (int t = 0; t < AT; t++)
        for (int h = 0; h < AH; h++) {
            double logit[ATOPK], m = -INFINITY, sum = 0, o[ADC] = {0};
            int rows[ATOPK], n = 0;
            for (int j = 0; j < ATOPK; j++)
                if (idx[t * ATOPK + j] >= 0) rows[n++] = idx[t * ATOPK + j];
            for (int j = 0; j < n; j++) {
                double l = 0;
                for (int d = 0; d < ADC; d++)
                    l += (double)bf16_to_float(qn[(t * AH + h) * ADC + d]) *
                         bf16_to_float(kc[rows[j] * ADC + d]);
                for (int d = 0; d < ADP; d++)
                    l += (double)bf16_to_float(qp[(t * AH + h) * ADP + d]) *
                         bf16_to_float(kp[rows[j] * ADP + d]);
                logit[j] = l * sm;
                m = logit[j] > m ? logit[j] : m;
            }
            for (int j = 0; j < n; j++)
                sum += exp(logit[j] - m);
            for (int j = 0; j < n; j++)
                for (int d = 0; d < ADC; d++)
                    o[d] += exp(logit[j] - m) / sum * bf16_to_float(kc[rows[j] * ADC + d]);
            if (n == 0) {
                CHECK_MSG(isinf(lse[t * AH + h]) && lse[t * AH + h] < 0, "token %d: lse %g", t,
                          lse[t * AH + h]);
            } else {
                double want = (m + log(sum)) / log(2.0);
                CHECK_MSG(fabs(lse[t * AH + h] - want) < 1e-5, "token %d head %d: lse %g, want %g",
                          t, h, lse[t * AH + h], want);
            }
            for (int d = 0; d < ADC; d++)
                CHECK_MSG(fabs(out[(t * AH + h) * ADC + d] - o[d]) < 1e-5,
                          "token %d head %d dim %d: %g, want %g", t, h, d,
                          out[(t * AH + h) * ADC + d], o[d]);
        }
    idx[3] = AP * APS; /* one past the cache */
    CHECK(reference_dsa_sparse_attention(&p, in, outs, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "dsa_sparse_attention reference: workload tiny: sparse_indices[0][3] = 12 "
                        "is not a row of the cache (0..11, or -1)");
    idx[3] = -2;
    CHECK(reference_dsa_sparse_attention(&p, in, outs, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "sparse_indices[0][3] = -2 is not a row of the cache");
}

/* ---- the published definitions ---- */

static void test_definitions(void)
{
    static const struct {
        const char *file, *ref;
        const char *axes[3];
        int64_t vals[3];
    } defs[] = {
        {"dsa_topk_indexer_fp8_h64_d128_topk2048_ps64.json",
         "dsa_topk_indexer",
         {"batch_size", "max_num_pages", "num_pages"},
         {2, 40, 100}},
        {"dsa_sparse_attention_h16_ckv512_kpe64_topk2048_ps64.json",
         "dsa_sparse_attention",
         {"num_tokens", "num_pages", NULL},
         {3, 50, 0}},
    };
    const char *dir = "../shared/flashinfer-trace/definitions/dsa_paged/";
    if (access(dir, R_OK) != 0) {
        printf("skipped: the published definitions (%s is not beside the checkout)\n", dir);
        return;
    }
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        char path[512], err[512] = "";
        snprintf(path, sizeof path, "%s%s", dir, defs[i].file);
        evo_task t = {0};
        CHECK_MSG(task_load_definition(path, &t.def, err, sizeof err) == 0, "%s: %s", path, err);
        task_workload w = {0};
        int n = defs[i].axes[2] ? 3 : 2;
        w.naxes = n;
        w.axis_names = calloc((size_t)n, sizeof *w.axis_names);
        w.axis_values = calloc((size_t)n, sizeof *w.axis_values);
        for (int a = 0; a < n; a++) {
            snprintf(w.axis_names[a], TASK_NAME, "%s", defs[i].axes[a]);
            w.axis_values[a] = defs[i].vals[a];
        }
        snprintf(w.uuid, sizeof w.uuid, "definition-check");
        ref_problem p;
        CHECK_MSG(task_problem(&t, &w, &p, err, sizeof err) == 0, "%s", err);
        CHECK_MSG(reference_check(reference_spec(defs[i].ref), &p, err, sizeof err) == 0, "%s: %s",
                  defs[i].file, err);
        free(w.axis_names);
        free(w.axis_values);
        task_definition_free(&t.def);
    }
}

int main(void)
{
    test_indexer();
    test_attention();
    test_definitions();
    return CHECK_DONE();
}
