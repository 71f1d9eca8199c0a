/* cuda_error.h -- verdicts in the making, shared by the two processes that own a CUDA context
 * (evo-sandbox, which runs candidates, and evo-worker, which holds the references): a status
 * and message built up as checks fail, CUDA return codes turned into RUNTIME_ERROR messages,
 * and whether the context is now unusable. Only the runtime API, linked statically. */
#ifndef EVO_CUDA_ERROR_H
#define EVO_CUDA_ERROR_H
#include "evo_status.h"
#include <cuda_runtime_api.h>

#define CW_MSG 2048

typedef struct cw_error {
    evo_status status; /* EVO_STATUS_PASSED while nothing went wrong */
    int sticky;        /* a CUDA error that poisons the context: reply, then exit */
    char msg[CW_MSG];
} cw_error;

/* Check a CUDA return code: on failure sets RUNTIME_ERROR "what: cudaErrorName: string",
 * marks the error sticky when the context is now unusable, and returns -1; else 0. */
int cw_cuda_check(cw_error *e, cudaError_t rc, const char *what);
/* The first failure is the one reported: later calls leave e alone. */
void cw_fail(cw_error *e, evo_status s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Put prefix in front of the message (truncating the end). */
void cw_prefix(cw_error *e, const char *prefix);
/* Why no CUDA device can be had after rc (from cudaGetDeviceCount), for "no CUDA device found:
 * ...". The static runtime answers cudaErrorInsufficientDriver also when there is no driver at
 * all: without libcuda.so.1 the reason is "no NVIDIA driver is installed (libcuda.so.1 not
 * found)"; a driver too old for the runtime gets both versions; anything else the runtime's
 * own string. */
void cw_no_device(cudaError_t rc, char *buf, size_t n);
#endif
