/* ipc.h -- the pipe protocol between the GPU evaluator (parent) and evo-worker (child).
 *
 * A message is a 4-byte little-endian length, that many bytes of JSON header (an object),
 * then an optional binary payload whose length the header gives as "payload_bytes". The
 * parent writes requests ({"op":"init"|"eval"|"quit", ...}) on one pipe and reads replies on
 * the other; the worker may send {"tick": "..."} messages while it works so the parent's
 * watchdog measures progress, not the whole evaluation. Also here: spawning the worker
 * with its pipes, killing and reaping it, and finding its executable.
 *
 * Requests and replies (worker_main.c answers, evaluator.c asks):
 *   {"op":"init", "task_dir":D | "dataset":R,"definition":N[,"blob_fallback":true],
 *    "device":0, "trials":3, "warmup":10, "iterations":50, "input_sets":0 (pool size, 0 =
 *    twice trials), "cache_dir":C, "timeout_s":T (the sandbox's watchdog), "floor_slack":S,
 *    "fresh_pool":bool, "ceilings":true (measure them; else use "ceiling_gbps" /
 *    "ceiling_tflops" as given), "baselines":[[workload index, us], ...] (already measured)}
 *     -> {"ok":true, "device":{"name","cc":"9.0","sms","l2_bytes","smem_optin","mem_bytes"},
 *         "ceiling_gbps":G, "ceiling_tflops":T}  |  {"ok":false, "error":"no CUDA device
 *         found: ..." or another reason}
 *   {"op":"eval", "source":S, "params":{NAME:VALUE}, "workloads":[indices]} + cubin payload
 *     -> {"status":"PASSED"|..., "error":E, "fitness":F, "speedup_geomean", "speedup_min",
 *         "won_share", "wall_ms":W,
 *         "workloads":{label:{latency_us, baseline_us, speedup, gbps, tflops, frac_bw,
 *                             frac_flops, max_abs_err, max_rel_err, status, ...}},
 *         "fatal":true (the harness itself failed, e.g. the baseline: stop the run)}
 *   {"op":"confirm", "a":{"source","params","bytes"}, "b":{...}, "workloads":[...],
 *    "rounds":R} + a's cubin then b's
 *     -> {"status", "error", "a":[fitness per round], "b":[...], "fatal"?}
 *   The worker sends {"tick": ...} while it works; hangs of candidate code are its own
 *   watchdog's business (it runs them in evo-sandbox, sandbox_main.c has that protocol).
 *   {"op":"quit"} -> no reply; the worker exits. */
#ifndef EVO_GPU_IPC_H
#define EVO_GPU_IPC_H
#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IPC_MAX_HEADER (64u << 20)
#define IPC_MAX_PAYLOAD (1u << 30)

enum { IPC_OK = 0, IPC_TIMEOUT = 1, IPC_EOF = 2, IPC_FAIL = -1 };

/* Send hdr (not stolen) followed by payload (n bytes, may be 0). "payload_bytes" is set in
 * hdr when n > 0. A peer that has gone away gives IPC_EOF (no SIGPIPE reaches the process).
 * Returns IPC_OK, IPC_EOF or IPC_FAIL with err set. */
int ipc_send(int fd, json_t *hdr, const void *payload, size_t n, char *err, size_t errlen);
/* Receive one message. timeout_ms < 0 waits forever; the deadline covers the whole message.
 * On IPC_OK *hdr is a new reference and *payload a malloc'd buffer (NULL when none). Returns
 * IPC_OK, IPC_TIMEOUT, IPC_EOF (peer closed before a message began) or IPC_FAIL. */
int ipc_recv(int fd, int timeout_ms, json_t **hdr, void **payload, size_t *n, char *err,
             size_t errlen);

/* A spawned worker: its pid, the pipe ends the parent uses, and its stderr (non-blocking). */
/* A tick that reports progress ({"tick": step, "done": n, "total": m}), for the parent's
 * display. */
typedef void (*ipc_progress_fn)(void *user, const char *step, int64_t done, int64_t total);

typedef struct ipc_child {
    pid_t pid;
    int to_child, from_child, err_fd;
    ipc_progress_fn on_progress; /* NULL after ipc_spawn; set it to hear progress ticks */
    void *progress_user;
} ipc_child;

/* Start path as a child process with requests on its fd 3 and replies on its fd 4
 * (argv: path "--ipc" "3" "4"); stdin is /dev/null, stderr a pipe the parent drains. The
 * child dies with the parent (PR_SET_PDEATHSIG). Returns 0, or -1 with err. */
int ipc_spawn(const char *path, ipc_child *c, char *err, size_t errlen);
/* Close the pipes, SIGKILL the child if it still runs, reap it, and describe how it ended
 * ("exit status 1", "signal 9"). Safe on a child already reaped (pid <= 0). */
void ipc_child_kill(ipc_child *c, char *how, size_t howlen);
/* Read what the child wrote on stderr so far (non-blocking) into the tail buffer, keeping
 * the last tail_len - 1 bytes. */
void ipc_child_drain_stderr(ipc_child *c, char *tail, size_t tail_len);
/* The watchdog of a served child: wait for a reply that is not a tick, each tick restarting
 * the timeout_s clock (a progress tick goes to c->on_progress); stderr is drained into tail
 * meanwhile. IPC_OK with *reply set, else
 * ipc_recv's code (IPC_TIMEOUT: no word for timeout_s) with err. */
int ipc_child_await(ipc_child *c, double timeout_s, json_t **reply, char *tail, size_t tail_len,
                    char *err, size_t errlen);
/* A child that hung or died: kill or reap it, and (when why is not NULL) say how it ended,
 * "WHO died: signal 9" or with its last stderr line. The tail is emptied. */
void ipc_child_end(ipc_child *c, const char *who, char *tail, size_t tail_len, char *why, size_t n);
/* Ask a running child to quit, give it a second to exit, then kill it. */
void ipc_child_quit(ipc_child *c);
/* Milliseconds on the monotonic clock (the watchdogs' and the figures' clock). */
double ipc_now_ms(void);

/* A program of evo's: $ENV_VAR, else NAME beside /proc/self/exe, else EVO_LIBEXEC_DIR/NAME.
 * Writes the first that exists into buf; returns 0 or -1 with err listing where it looked. */
int ipc_program_path(const char *name, const char *env_var, char *buf, size_t n, char *err,
                     size_t errlen);
/* ipc_program_path("evo-worker", "EVO_WORKER", ...). */
int ipc_worker_path(char *buf, size_t n, char *err, size_t errlen);
/* Message fields: a string (NULL if absent), an integer (fallback if absent). */
const char *ipc_str(const json_t *msg, const char *key);
int ipc_int(const json_t *msg, const char *key, int fallback);
/* {"ok": false, "error": formatted text}. */
json_t *ipc_refusal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last non-empty line of a stderr tail (for "died: ..." messages). */
void ipc_last_line(const char *tail, char *out, size_t n);

/* The pipe fds of a served process: "--ipc IN OUT" on its command line, else stdin and
 * stdout. SIGPIPE is ignored, so a parent that went away is a write error, not a death. */
void ipc_serve_fds(int argc, char **argv, int *in, int *out);

/* Tell the process at the other end of fd that this one is alive and what it does now:
 * {"tick": what}, sent under send_lock (the request loop and a heartbeat share the pipe). */
void ipc_tick(int fd, pthread_mutex_t *send_lock, const char *what);
/* The same with progress: {"tick": step, "done": done, "total": total}; ipc_child_await hands
 * it to the child's on_progress. */
void ipc_tick_progress(int fd, pthread_mutex_t *send_lock, const char *step, int64_t done,
                       int64_t total);

/* The request loop of a served process: each request goes to handler(user, op, req,
 * payload, n, &exit_now) and its reply (if any) back under send_lock; "quit" ends the loop.
 * A handler that sets exit_now >= 0 gets its reply marked "exiting" and the loop returns
 * exit_now at once (the CUDA context is gone: no cleanup). Returns 0 at EOF or quit, 2 when
 * the pipe breaks (who names the process in the message). */
typedef json_t *(*ipc_handler)(void *user, const char *op, json_t *req, const void *payload,
                               size_t n, int *exit_now);
int ipc_serve(int in, int out, pthread_mutex_t *send_lock, const char *who, ipc_handler handler,
              void *user);
#endif
