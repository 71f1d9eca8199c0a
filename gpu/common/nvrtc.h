/* nvrtc.h -- run-time compilation of candidate sources with NVRTC, and the cubin cache.
 * No GPU is needed. The architecture is "sm_90a" for H100/H200 and "sm_100a" for B200
 * (arch_for_device); CUDA's include directory is on the include path so cuda_bf16.h,
 * cuda_fp8.h, cooperative groups and CUB resolve. Parameters arrive as -D options. */
#ifndef EVO_NVRTC_H
#define EVO_NVRTC_H
#include <stddef.h>

typedef struct nvrtc_output {
    void *cubin; /* malloc'd, NULL on failure */
    size_t size;
    char *log; /* compile log, scrubbed and trimmed to 8 KiB, malloc'd (may be "") */
    double ms; /* compile wall time; 0 on a cache hit */
    int cache_hit;
} nvrtc_output;

/* "sm_90a" for 9.0, "sm_100a" for 10.0, else "sm_MN" (static storage). */
const char *arch_for_device(int major, int minor);
/* The CUDA include directory found at run time (CUDA_HOME, /usr/local/cuda), or NULL. */
const char *nvrtc_include_dir(void);
/* NVRTC's version as "13.0". */
const char *nvrtc_version_string(void);

/* Cache key: SHA-256 over the NVRTC version, arch, options and source (hex[65]). */
void nvrtc_cache_key(const char *source, const char *arch, const char *const *opts, int nopts,
                     char key[65]);

/* Compile source for arch with options (each "-DNAME=VALUE" or an nvrtc flag). The source
 * first passes source_policy_check with max_source bytes (0: the default): a source that
 * fails never reaches NVRTC and gets EVO_ECOMPILE with the reason as its log. When cache_dir
 * is not NULL, a cubin cached under cache_dir/<key>.cubin is reused and a new one is written
 * there atomically. The log is scrubbed (source_policy_scrub_log). Returns EVO_OK,
 * EVO_ECOMPILE (log says why), or EVO_EIO / EVO_ERROR with log set to the reason (e.g.
 * libnvrtc missing). Thread-safe. */
int nvrtc_compile(const char *source, const char *name, const char *arch, const char *const *opts,
                  int nopts, const char *cache_dir, size_t max_source, nvrtc_output *out);
void nvrtc_output_free(nvrtc_output *o);
#endif
