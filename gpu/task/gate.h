/* gate.h -- the host side of the correctness gate: random inputs drawn as FlashInfer-Bench
 * draws them, the element test, and checksums. No CUDA here, so all of it is tested on CPU.
 *
 * Inputs: floats randn (fp8: randn clamped to [-2, 2] then converted), integers randint in
 * [0, 1<<15) (narrower for 8-bit types), bool 0/1; scalar inputs take their workload value.
 * Generation is deterministic in (workload, seed) and bit-identical to the sandbox's GPU
 * generator (input_gen.h).
 * Element test (FlashInfer-Bench): an element fails only if |x - y| > atol and
 * |x - y| / (|y| + 1e-8) > rtol; NaN or Inf in the output fails outright; the output passes
 * if the matched fraction >= required_ratio. */
#ifndef EVO_GATE_H
#define EVO_GATE_H
#include "task.h"
#include <stddef.h>
#include <stdint.h>

typedef struct gate_stats {
    int64_t n, mismatched, nonfinite;
    double max_abs, max_rel;
    double matched_ratio;
    int64_t first_bad; /* index of the first failing element, -1 if none */
    float first_got, first_want;
    double required_ratio; /* as passed to gate_compare, for gate_describe */
} gate_stats;

/* Fill host buffers (one per definition input, malloc'd by the caller with
 * task_tensor_numel * dtype_size bytes; NULL for absent optional inputs) for a workload. */
int gate_make_inputs(const evo_task *t, const task_workload *w, uint64_t seed, void **inputs,
                     char *err, size_t errlen);
/* The generator key of random input `input` for a seed (input_gen.h), its scale, and whether
 * the workload draws it at random (else it is a scalar value, a stored blob or absent). */
uint64_t gate_input_key(const evo_task *t, const task_workload *w, uint64_t seed, int input);
float gate_input_scale(const evo_task *t, int input);
int gate_input_drawn(const evo_task *t, const task_workload *w, int input);
/* Compare an output of dtype dt (device bytes copied to host) with the float reference.
 * Returns 1 if it passes, 0 if not; stats filled either way. */
int gate_compare(evo_dtype dt, const void *got, const float *want, int64_t n, double atol,
                 double rtol, double required_ratio, gate_stats *st);
/* 64-bit FNV-1a checksum of a buffer (input-modified-in-place detection). */
uint64_t gate_checksum(const void *data, size_t n);
/* A one-line description of a failed comparison for the error excerpt. */
void gate_describe(const char *output, const gate_stats *st, char *buf, size_t n);
#endif
