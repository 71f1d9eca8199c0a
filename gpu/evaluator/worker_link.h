/* worker_link.h -- one device's evo-worker, seen from the evaluator (worker_link.c). */
#ifndef EVO_WORKER_LINK_H
#define EVO_WORKER_LINK_H
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>

#include "evo.h"
#include "ipc.h"

#define STDERR_TAIL 2048

typedef struct gpu_device {
    int index;
    pthread_mutex_t lock; /* one request at a time per device */
    ipc_child child;
    int alive;
    char err_tail[STDERR_TAIL];
    ipc_progress_fn on_progress; /* the worker's setup progress ticks go here (or NULL) */
    void *progress_user;
} gpu_device;

/* Start d's worker and send it init_req; the reply must come within timeout_s. EVO_OK with
 * the reply in *facts (when facts is not NULL: the caller decrefs it), or EVO_ENOGPU (no CUDA
 * device), EVO_ECUDA (the worker refused or died during init) or EVO_EIO (it cannot be
 * started), with msg. */
int link_start(gpu_device *d, json_t *init_req, double timeout_s, json_t **facts, char *msg,
               size_t n);
/* Send req (+ payload) to a live worker and wait up to timeout_s between ticks. EVO_OK with
 * *reply set, or EVO_OK with *reply NULL and out's status TIMEOUT or RUNTIME_ERROR (the worker
 * hung or died: it is buried, to be restarted). Records gpu_ms in out. */
int link_ask(gpu_device *d, json_t *req, const void *payload, size_t n, double timeout_s,
             json_t **reply, evo_result *out);
/* Kill or reap the worker; why (when not NULL) gets "worker died: signal 9" or its last
 * stderr line. */
void link_bury(gpu_device *d, char *why, size_t n);
/* Ask the worker to quit, wait a moment, then kill it. */
void link_stop(gpu_device *d);
#endif
