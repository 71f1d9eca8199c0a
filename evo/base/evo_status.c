/* evo_status.c -- the library's small fixed tables: version, return-code names and candidate
 * status names (see evo.h). Kept apart so every other file can name a code without pulling
 * in engine code. */
#include <stdlib.h>
#include <string.h>

#include "evo_status.h"

const char *evo_version(void)
{
    return EVO_VERSION;
}

void evo_free(void *p)
{
    free(p);
}

static const char *const rc_names[] = {
    [EVO_OK] = "success",
    [EVO_ERROR] = "error",
    [EVO_ENOMEM] = "out of memory",
    [EVO_EIO] = "input/output error",
    [EVO_ECONFIG] = "invalid configuration",
    [EVO_ESPACE] = "invalid parameter space or no valid point",
    [EVO_ESTORE] = "run store error",
    [EVO_EBUSY] = "run directory in use",
    [EVO_ECOMPILE] = "compilation failed",
    [EVO_ECUDA] = "CUDA error",
    [EVO_ENOGPU] = "no CUDA device",
    [EVO_ELLM] = "language-model request failed",
    [EVO_EBUDGET] = "budget exhausted",
    [EVO_EINTERRUPT] = "interrupted",
    [EVO_ENOTFOUND] = "not found",
    [EVO_EDUPLICATE] = "only duplicate candidates",
    [EVO_EINVAL] = "invalid argument",
};

const char *evo_strerror(int rc)
{
    if (rc < 0 || rc >= (int)(sizeof rc_names / sizeof rc_names[0]) || !rc_names[rc])
        return "unknown error code";
    return rc_names[rc];
}

static const char *const status_names[EVO_STATUS_COUNT] = {
    [EVO_STATUS_PENDING] = "PENDING",
    [EVO_STATUS_PASSED] = "PASSED",
    [EVO_STATUS_INCORRECT_SHAPE] = "INCORRECT_SHAPE",
    [EVO_STATUS_INCORRECT_NUMERICAL] = "INCORRECT_NUMERICAL",
    [EVO_STATUS_INCORRECT_DTYPE] = "INCORRECT_DTYPE",
    [EVO_STATUS_RUNTIME_ERROR] = "RUNTIME_ERROR",
    [EVO_STATUS_COMPILE_ERROR] = "COMPILE_ERROR",
    [EVO_STATUS_TIMEOUT] = "TIMEOUT",
    [EVO_STATUS_GUARD_VIOLATION] = "GUARD_VIOLATION",
    [EVO_STATUS_INVALID] = "INVALID",
    [EVO_STATUS_HARNESS_TAMPERED] = "HARNESS_TAMPERED",
    [EVO_STATUS_BEYOND_FLOOR] = "BEYOND_FLOOR",
};

const char *evo_status_name(evo_status s)
{
    if ((int)s < 0 || s >= EVO_STATUS_COUNT) return "UNKNOWN";
    return status_names[s];
}

int evo_status_from_name(const char *s)
{
    for (int i = 0; s && i < EVO_STATUS_COUNT; i++)
        if (strcmp(status_names[i], s) == 0) return i;
    return -1;
}
