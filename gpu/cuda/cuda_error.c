/* cuda_error.c -- building verdicts and classifying CUDA errors (cuda_error.h). */
#include "cuda_error.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void cw_fail(cw_error *e, evo_status s, const char *fmt, ...)
{
    if (e->status != EVO_STATUS_PASSED) return;
    e->status = s;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

void cw_prefix(cw_error *e, const char *prefix)
{
    size_t n = strlen(prefix), have = strlen(e->msg);
    if (n >= sizeof e->msg) n = sizeof e->msg - 1;
    if (have + n >= sizeof e->msg) have = sizeof e->msg - 1 - n;
    memmove(e->msg + n, e->msg, have);
    memcpy(e->msg, prefix, n);
    e->msg[n + have] = 0;
}

/* Errors after which the context is unusable: the process must exit. */
static int sticky_error(cudaError_t rc)
{
    switch (rc) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorMisalignedAddress:
    case cudaErrorAssert:
    case cudaErrorIllegalInstruction:
    case cudaErrorHardwareStackError:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorLaunchTimeout:
    case cudaErrorECCUncorrectable:
    case cudaErrorUnknown:
        return 1;
    default:
        return 0;
    }
}

int cw_cuda_check(cw_error *e, cudaError_t rc, const char *what)
{
    if (rc == cudaSuccess) return 0;
    int sticky = sticky_error(rc);
    if (!sticky) cudaGetLastError(); /* clear a non-sticky error so later calls work */
    if (e->status == EVO_STATUS_PASSED)
        cw_fail(e, EVO_STATUS_RUNTIME_ERROR, "%s: %s: %s", what, cudaGetErrorName(rc),
                cudaGetErrorString(rc));
    if (sticky) e->sticky = 1;
    return -1;
}

void cw_no_device(cudaError_t rc, char *buf, size_t n)
{
    void *h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        if (access("/proc/driver/nvidia/version", F_OK) != 0)
            snprintf(buf, n, "no NVIDIA driver is installed (libcuda.so.1 not found)");
        else /* a kernel module without its user-space library, or a broken one */
            snprintf(buf, n, "the NVIDIA driver is loaded but its library cannot be: %s",
                     why ? why : "libcuda.so.1 not found");
        return;
    }
    dlclose(h);
    if (rc == cudaErrorInsufficientDriver) {
        int drv = 0, rt = 0;
        cudaDriverGetVersion(&drv);
        cudaRuntimeGetVersion(&rt);
        snprintf(buf, n,
                 "%s (the NVIDIA driver supports CUDA %d.%d, evo's runtime is CUDA %d.%d: "
                 "upgrade the driver)",
                 cudaGetErrorString(rc), drv / 1000, drv % 1000 / 10, rt / 1000, rt % 1000 / 10);
        return;
    }
    snprintf(buf, n, "%s", cudaGetErrorString(rc));
}
