/* evo_status.h -- the vocabulary every layer of evo shares: the version, the return codes
 * of every function, and the statuses a candidate can end with. Included by evo.h (the
 * public API); the layers below it (the task model, the GPU programs) include only this. */
#ifndef EVO_STATUS_H
#define EVO_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#define EVO_VERSION_MAJOR 0
#define EVO_VERSION_MINOR 1
#define EVO_VERSION_PATCH 0
#define EVO_VERSION "0.1.0"

/* The library's version string, e.g. "0.1.0". Static storage. */
const char *evo_version(void);

/* ---------------------------------------------------------------------------------------
 * Return codes. evo_strerror() names one in a few words (static storage).
 * ------------------------------------------------------------------------------------- */
#define EVO_OK 0
#define EVO_ERROR 1       /* generic failure; see the object's message */
#define EVO_ENOMEM 2      /* out of host memory */
#define EVO_EIO 3         /* file or pipe I/O failed */
#define EVO_ECONFIG 4     /* configuration is invalid */
#define EVO_ESPACE 5      /* parameter space is malformed or has no valid point */
#define EVO_ESTORE 6      /* the run store is corrupt, foreign, or an LMDB call failed */
#define EVO_EBUSY 7       /* the run directory is in use by another process */
#define EVO_ECOMPILE 8    /* a source did not compile (NVRTC) */
#define EVO_ECUDA 9       /* a CUDA call failed */
#define EVO_ENOGPU 10     /* no CUDA device is available */
#define EVO_ELLM 11       /* a language-model request failed */
#define EVO_EBUDGET 12    /* a budget (cost, tokens, calls) is exhausted */
#define EVO_EINTERRUPT 13 /* the run was interrupted (SIGINT/SIGTERM) */
#define EVO_ENOTFOUND 14  /* no such candidate, key or file */
#define EVO_EDUPLICATE 15 /* an operator produced only candidates already seen */
#define EVO_EINVAL 16     /* an argument is invalid */

const char *evo_strerror(int rc);

/* Free memory returned by the library (strings marked "caller frees"). */
void evo_free(void *p);

/* ---------------------------------------------------------------------------------------
 * Candidate statuses: FlashInfer-Bench's seven, plus a broken guard (out-of-bounds write or
 * an input modified in place), INVALID (an operator could not produce a candidate, e.g. a
 * model's diff did not apply), HARNESS_TAMPERED (the candidate wrote over memory of the
 * harness's own) and BEYOND_FLOOR (a workload ran faster than its bytes and FLOPs allow at
 * the measured ceilings, even re-timed alone: a cheat or a wrong cost model). Only PASSED
 * candidates have a fitness and can be parents.
 * ------------------------------------------------------------------------------------- */
typedef enum evo_status {
    EVO_STATUS_PENDING = 0,
    EVO_STATUS_PASSED,
    EVO_STATUS_INCORRECT_SHAPE,
    EVO_STATUS_INCORRECT_NUMERICAL,
    EVO_STATUS_INCORRECT_DTYPE,
    EVO_STATUS_RUNTIME_ERROR,
    EVO_STATUS_COMPILE_ERROR,
    EVO_STATUS_TIMEOUT,
    EVO_STATUS_GUARD_VIOLATION,
    EVO_STATUS_INVALID,
    EVO_STATUS_HARNESS_TAMPERED, /* wrote over the harness's own memory */
    EVO_STATUS_BEYOND_FLOOR,     /* faster than the physical floor allows, even re-timed alone */
    EVO_STATUS_COUNT
} evo_status;

/* "PASSED", "COMPILE_ERROR", ... (static storage). */
const char *evo_status_name(evo_status s);
/* The status named s, or -1 if s names none. */
int evo_status_from_name(const char *s);

#ifdef __cplusplus
}
#endif
#endif /* EVO_STATUS_H */
