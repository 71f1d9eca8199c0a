/* source_policy.h -- what a candidate source may be before NVRTC sees it, and what of a compile
 * log may leave the compiler.
 *
 * A candidate is device code and nothing else: NVRTC would open any file an #include names
 * (`#include "/proc/self/environ"` puts the process's environment, keys included, into the
 * compile log, which goes to the store and back to the model). So, before every compile:
 *   - the source is at most a given size and holds no NUL byte;
 *   - every include directive (`#include`, `%:include`, `??=include`, with comments or line
 *     splices anywhere in it) names a header from the allow-list below, in <> or "";
 *     `include_next`, `import`, `embed` and `__has_include` are refused outright;
 *   - the scan is of the raw text after line splicing, ignoring comments and string literals,
 *     so a directive the compiler would see is never missed (at worst a comment that spells
 *     "#include <x>" is refused too);
 *   - parameter names are identifiers and values plain tokens (no quotes, spaces or newlines
 *     that could smuggle a directive in through -D).
 * Compile logs are trimmed and scrubbed before anyone stores or sends them.
 *
 * The allow-list is the CUDA toolkit's device headers: cuda_fp16/bf16/fp8/fp6/fp4 (.h, .hpp),
 * mma.h, cuda_pipeline*.h, cuda_awbarrier*.h, cooperative_groups.h, cuda_stdint.h,
 * vector_types.h, vector_functions.h, math_constants.h, device_types.h, and anything below
 * cooperative_groups/, cuda/ (libcu++), cub/ and nv/. */
#ifndef EVO_SOURCE_POLICY_H
#define EVO_SOURCE_POLICY_H
#include <stddef.h>

/* The default for evaluator.max_source_bytes, and the ceiling no configuration can raise. */
#define SOURCE_DEFAULT_MAX_BYTES (256u * 1024u)
#define SOURCE_HARD_MAX_BYTES (4u * 1024u * 1024u)

/* 0 if src may be compiled, else -1 with err ("source policy: line L: ..."). max_bytes 0
 * means SOURCE_DEFAULT_MAX_BYTES; it is capped at SOURCE_HARD_MAX_BYTES. */
int source_policy_check(const char *src, size_t max_bytes, char *err, size_t errlen);
/* Whether name is a header a candidate may include. */
int source_policy_header_allowed(const char *name);
/* 0 if NAME=VALUE may become a -D option, else -1 with err. */
int source_policy_param(const char *name, const char *value, char *err, size_t errlen);
/* The log as it may be kept: printable text only, the program's virtual directory dropped,
 * cuda_include (may be NULL) shown as "<cuda>/include", the home directory as "~", at most
 * limit bytes (the head: the first errors explain the rest). Caller frees; NULL on out of
 * memory. */
char *source_policy_scrub_log(const char *log, const char *cuda_include, size_t limit);
/* The directory NVRTC is told the candidate lives in: one that cannot exist (a path below
 * /dev/null), so a quoted include never finds a file of the working directory. */
#define SOURCE_VIRTUAL_DIR "/dev/null/evo/"
#endif
