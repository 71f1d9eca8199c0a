/* gdn.h -- the Gated Delta Net host references (reference/gdn.c) and the one-step pieces
 * they are built from, exposed so tests can check the gate and the step on their own. */
#ifndef EVO_REFERENCE_GDN_H
#define EVO_REFERENCE_GDN_H
#include "reference.h"

/* g = exp(-exp(A_log) * softplus(a + dt_bias)), softplus as torch (threshold 20). */
float gdn_gate(float A_log, float a, float dt_bias);
/* beta = sigmoid(b). */
float gdn_beta(float b);
/* One delta-rule step on S [n, n] laid out [K, V]: S = g S; old = k S;
 * S = (S - k^T old) + k^T (beta v + (1 - beta) old); out = scale q S. old_v is scratch [n]. */
void gdn_step(float *S, const float *q, const float *k, const float *v, float g, float beta,
              float scale, int n, float *old_v, float *out);

/* reference_fn for gdn_decode_* (one step per batch row) and gdn_prefill_* (token by token
 * within each cu_seqlens sequence). An absent optional state (NULL) starts from zeros. */
int reference_gdn_decode(const ref_problem *p, const void *const *inputs, float *const *outputs,
                         char *err, size_t errlen);
int reference_gdn_prefill(const ref_problem *p, const void *const *inputs, float *const *outputs,
                          char *err, size_t errlen);
/* Their tables (reference.h). */
extern const ref_spec ref_spec_gdn_decode, ref_spec_gdn_prefill;
#endif
