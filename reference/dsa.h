/* dsa.h -- host references for DeepSeek-V3.2 sparse attention (DSA, reference/dsa.c): the
 * top-k indexer over an fp8 paged key cache and the sparse MLA attention over the rows it
 * picks, exposed with the pieces a top-k gate needs. */
#ifndef EVO_REFERENCE_DSA_H
#define EVO_REFERENCE_DSA_H
#include "reference.h"

/* Row t of a deep_gemm-style fp8 key page (page_size rows of dim fp8 bytes, then page_size f32
 * scales) dequantised into out[dim]: fp8 e4m3 value times the row's scale. */
void dsa_dequant_row(const uint8_t *page, int64_t page_size, int64_t dim, int64_t t, float *out);

/* reference_fn for dsa_topk_indexer_* (topk_indices: the global token indices
 * page * page_size + offset of the min(topk, seq_len) best-scored rows of each batch row, best
 * first, -1 after; score = sum over heads of relu(q . k) * weight) and dsa_sparse_attention_*
 * (output: softmax(sm_scale (q_nope Kc^T + q_pe Kp^T)) Kc over the valid indices; lse: the
 * base-2 log-sum-exp of the scaled logits, -inf and a zero output for a token with none). */
int reference_dsa_topk_indexer(const ref_problem *p, const void *const *inputs,
                               float *const *outputs, char *err, size_t errlen);
int reference_dsa_sparse_attention(const ref_problem *p, const void *const *inputs,
                                   float *const *outputs, char *err, size_t errlen);
/* Their tables (reference.h). */
extern const ref_spec ref_spec_dsa_topk_indexer, ref_spec_dsa_sparse_attention;
#endif
