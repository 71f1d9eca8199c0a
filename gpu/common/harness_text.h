/* harness_text.h -- device sources of the harness's own kernels, embedded by the build so the
 * installed programs need no source tree: input_gen.h (compiled by NVRTC as well as by the
 * host compiler), sandbox_kernels.cu (drawing and checking inputs, canaries, run verdicts) and
 * compare_kernels.cu (outputs against references). NUL-terminated. */
#ifndef EVO_HARNESS_TEXT_H
#define EVO_HARNESS_TEXT_H
extern const char evo_input_gen_text[];
extern const char evo_sandbox_kernels_text[];
extern const char evo_compare_kernels_text[];
#endif
