/* ipc.c -- framing over pipes between the GPU evaluator and evo-worker, and the worker's
 * process handling (spawn, kill, reap, find). See ipc.h for the message format.
 * Pipes, not sockets: writes to a dead worker must not kill the parent with SIGPIPE, so a
 * write blocks SIGPIPE on the calling thread and swallows a pending one afterwards. */
#include "ipc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef EVO_LIBEXEC_DIR
#define EVO_LIBEXEC_DIR "/usr/local/libexec/evo"
#endif

double ipc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Write all of buf; returns IPC_OK, IPC_EOF on EPIPE, IPC_FAIL otherwise. */
static int write_all(int fd, const void *buf, size_t n, char *err, size_t errlen)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EPIPE) return IPC_EOF;
        if (w < 0) {
            snprintf(err, errlen, "pipe write failed: %s", strerror(errno));
            return IPC_FAIL;
        }
        p += w;
        n -= (size_t)w;
    }
    return IPC_OK;
}

int ipc_send(int fd, json_t *hdr, const void *payload, size_t n, char *err, size_t errlen)
{
    if (n > 0) json_object_set_new(hdr, "payload_bytes", json_integer((json_int_t)n));
    char *text = json_dumps(hdr, JSON_COMPACT);
    if (!text) {
        snprintf(err, errlen, "cannot encode message header");
        return IPC_FAIL;
    }
    size_t len = strlen(text);
    unsigned char pre[4] = {(unsigned char)len, (unsigned char)(len >> 8),
                            (unsigned char)(len >> 16), (unsigned char)(len >> 24)};
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = write_all(fd, pre, 4, err, errlen);
    if (rc == IPC_OK) rc = write_all(fd, text, len, err, errlen);
    if (rc == IPC_OK && n > 0) rc = write_all(fd, payload, n, err, errlen);
    if (rc == IPC_EOF) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&block, NULL, &zero) == SIGPIPE) {
        }
        snprintf(err, errlen, "the peer closed the pipe");
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    free(text);
    return rc;
}

/* Read exactly n bytes before deadline (ms on the monotonic clock, < 0: none). got_any
 * tells whether a clean EOF happened at a message boundary. */
static int read_all(int fd, void *buf, size_t n, double deadline, char *err, size_t errlen,
                    int at_boundary)
{
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        int wait = -1;
        if (deadline >= 0) {
            double left = deadline - ipc_now_ms();
            if (left <= 0) return IPC_TIMEOUT;
            wait = left > INT_MAX ? INT_MAX : (int)left + 1;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int pr = poll(&pfd, 1, wait);
        if (pr < 0 && errno == EINTR) continue;
        if (pr < 0) {
            snprintf(err, errlen, "poll failed: %s", strerror(errno));
            return IPC_FAIL;
        }
        if (pr == 0) return IPC_TIMEOUT;
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (r < 0) {
            snprintf(err, errlen, "pipe read failed: %s", strerror(errno));
            return IPC_FAIL;
        }
        if (r == 0) {
            if (at_boundary && got == 0) {
                snprintf(err, errlen, "the peer closed the pipe");
                return IPC_EOF;
            }
            snprintf(err, errlen, "the peer closed the pipe in the middle of a message");
            return IPC_EOF;
        }
        got += (size_t)r;
    }
    return IPC_OK;
}

int ipc_recv(int fd, int timeout_ms, json_t **hdr, void **payload, size_t *n, char *err,
             size_t errlen)
{
    *hdr = NULL;
    *payload = NULL;
    *n = 0;
    double deadline = timeout_ms < 0 ? -1 : ipc_now_ms() + timeout_ms;
    unsigned char pre[4];
    int rc = read_all(fd, pre, 4, deadline, err, errlen, 1);
    if (rc != IPC_OK) return rc;
    uint32_t len = pre[0] | (uint32_t)pre[1] << 8 | (uint32_t)pre[2] << 16 | (uint32_t)pre[3] << 24;
    if (len == 0 || len > IPC_MAX_HEADER) {
        snprintf(err, errlen, "bad message: header length %u", len);
        return IPC_FAIL;
    }
    char *text = malloc(len + 1);
    if (!text) {
        snprintf(err, errlen, "out of memory reading a %u-byte header", len);
        return IPC_FAIL;
    }
    rc = read_all(fd, text, len, deadline, err, errlen, 0);
    if (rc != IPC_OK) {
        free(text);
        return rc;
    }
    text[len] = 0;
    json_error_t je;
    json_t *h = json_loadb(text, len, 0, &je);
    free(text);
    if (!h || !json_is_object(h)) {
        snprintf(err, errlen, "bad message: header is not a JSON object (%s)",
                 h ? "not an object" : je.text);
        json_decref(h);
        return IPC_FAIL;
    }
    json_int_t pn = json_integer_value(json_object_get(h, "payload_bytes"));
    if (pn < 0 || (uint64_t)pn > IPC_MAX_PAYLOAD) {
        snprintf(err, errlen, "bad message: payload_bytes %lld", (long long)pn);
        json_decref(h);
        return IPC_FAIL;
    }
    if (pn > 0) {
        void *buf = malloc((size_t)pn);
        if (!buf) {
            snprintf(err, errlen, "out of memory reading a %lld-byte payload", (long long)pn);
            json_decref(h);
            return IPC_FAIL;
        }
        rc = read_all(fd, buf, (size_t)pn, deadline, err, errlen, 0);
        if (rc != IPC_OK) {
            free(buf);
            json_decref(h);
            return rc;
        }
        *payload = buf;
        *n = (size_t)pn;
    }
    *hdr = h;
    return IPC_OK;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* In the child after fork: only async-signal-safe calls until exec. */
static void child_exec(const char *path, int req_rd, int rep_wr, int err_wr)
{
    /* Its own process group: Ctrl-C (or `timeout`) signals the terminal's group, and a
     * worker killed by it would fail the candidate in flight. The engine stops workers
     * itself, and the death signal ends one whose parent is gone. */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int devnull = open("/dev/null", O_RDWR);
    /* Move the pipe ends above 4 first so the dup2 targets cannot clobber them. */
    int a = fcntl(req_rd, F_DUPFD, 10), b = fcntl(rep_wr, F_DUPFD, 10);
    int e = fcntl(err_wr, F_DUPFD, 10);
    if (a < 0 || b < 0 || e < 0 || devnull < 0) _exit(126);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(e, 2);
    dup2(a, 3);
    dup2(b, 4);
    for (int fd = 5; fd < 1024; fd++)
        close(fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    char *argv[] = {(char *)path, "--ipc", "3", "4", NULL};
    execv(path, argv);
    _exit(127);
}

int ipc_spawn(const char *path, ipc_child *c, char *err, size_t errlen)
{
    int req[2], rep[2], er[2];
    c->pid = -1;
    c->to_child = c->from_child = c->err_fd = -1;
    c->on_progress = NULL;
    c->progress_user = NULL;
    if (access(path, X_OK) != 0) {
        snprintf(err, errlen, "cannot run worker %s: %s", path, strerror(errno));
        return -1;
    }
    if (pipe2(req, O_CLOEXEC) != 0) goto fail0;
    if (pipe2(rep, O_CLOEXEC) != 0) goto fail1;
    if (pipe2(er, O_CLOEXEC) != 0) goto fail2;
    pid_t pid = fork();
    if (pid < 0) goto fail3;
    if (pid == 0) child_exec(path, req[0], rep[1], er[1]);
    close(req[0]);
    close(rep[1]);
    close(er[1]);
    fcntl(er[0], F_SETFL, O_NONBLOCK);
    c->pid = pid;
    c->to_child = req[1];
    c->from_child = rep[0];
    c->err_fd = er[0];
    return 0;
fail3:
    close(er[0]);
    close(er[1]);
fail2:
    close(rep[0]);
    close(rep[1]);
fail1:
    close(req[0]);
    close(req[1]);
fail0:
    snprintf(err, errlen, "cannot start worker %s: %s", path, strerror(errno));
    return -1;
}

void ipc_child_kill(ipc_child *c, char *how, size_t howlen)
{
    if (how && howlen) how[0] = 0;
    close_fd(&c->to_child);
    close_fd(&c->from_child);
    close_fd(&c->err_fd);
    if (c->pid <= 0) return;
    int st = 0;
    pid_t r = waitpid(c->pid, &st, WNOHANG);
    if (r == 0) {
        kill(c->pid, SIGKILL);
        while ((r = waitpid(c->pid, &st, 0)) < 0 && errno == EINTR) {
        }
    }
    if (how && howlen && r == c->pid) {
        if (WIFSIGNALED(st))
            snprintf(how, howlen, "signal %d", WTERMSIG(st));
        else
            snprintf(how, howlen, "exit status %d", WEXITSTATUS(st));
    }
    c->pid = -1;
}

int ipc_child_await(ipc_child *c, double timeout_s, json_t **reply, char *tail, size_t tail_len,
                    char *err, size_t errlen)
{
    for (;;) {
        void *p = NULL;
        size_t n = 0;
        int rc = ipc_recv(c->from_child, (int)(timeout_s * 1000), reply, &p, &n, err, errlen);
        free(p);
        ipc_child_drain_stderr(c, tail, tail_len);
        if (rc != IPC_OK) return rc;
        const char *tick = json_string_value(json_object_get(*reply, "tick"));
        if (!json_object_get(*reply, "tick")) return IPC_OK;
        json_t *total = json_object_get(*reply, "total");
        if (tick && json_is_integer(total) && c->on_progress)
            c->on_progress(c->progress_user, tick,
                           json_integer_value(json_object_get(*reply, "done")),
                           json_integer_value(total));
        json_decref(*reply);
        *reply = NULL;
    }
}

void ipc_child_end(ipc_child *c, const char *who, char *tail, size_t tail_len, char *why, size_t n)
{
    char how[64] = "", line[512] = "";
    ipc_child_drain_stderr(c, tail, tail_len);
    ipc_child_kill(c, how, sizeof how);
    ipc_last_line(tail, line, sizeof line);
    if (tail_len) tail[0] = 0;
    if (why)
        snprintf(why, n, "%s died: %s%s%s", who, how[0] ? how : "unknown", line[0] ? ": " : "",
                 line);
}

void ipc_child_quit(ipc_child *c)
{
    if (c->pid > 0 && c->to_child >= 0) {
        char err[128];
        json_t *q = json_pack("{s:s}", "op", "quit");
        ipc_send(c->to_child, q, NULL, 0, err, sizeof err);
        json_decref(q);
        for (int i = 0; i < 50; i++) {
            json_t *h;
            void *p;
            size_t n;
            if (ipc_recv(c->from_child, 20, &h, &p, &n, err, sizeof err) == IPC_EOF) break;
            json_decref(h);
            free(p);
        }
    }
    ipc_child_kill(c, NULL, 0);
}

void ipc_child_drain_stderr(ipc_child *c, char *tail, size_t tail_len)
{
    if (c->err_fd < 0 || tail_len < 2) return;
    char buf[4096];
    for (;;) {
        ssize_t r = read(c->err_fd, buf, sizeof buf);
        if (r <= 0) return;
        size_t have = strlen(tail), keep = tail_len - 1;
        size_t add = (size_t)r > keep ? keep : (size_t)r;
        const char *src = buf + (size_t)r - add;
        if (have + add > keep) {
            size_t drop = have + add - keep;
            memmove(tail, tail + drop, have - drop);
            have -= drop;
        }
        memcpy(tail + have, src, add);
        tail[have + add] = 0;
    }
}

static int executable(const char *p)
{
    return access(p, X_OK) == 0;
}

int ipc_program_path(const char *name, const char *env_var, char *buf, size_t n, char *err,
                     size_t errlen)
{
    const char *env = getenv(env_var);
    if (env && *env) {
        if (executable(env)) {
            snprintf(buf, n, "%s", env);
            return 0;
        }
        snprintf(err, errlen, "%s=%s is not an executable file", env_var, env);
        return -1;
    }
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    char beside[PATH_MAX + 64] = "";
    if (len > 0) {
        self[len] = 0;
        char *slash = strrchr(self, '/');
        if (slash) *slash = 0;
        snprintf(beside, sizeof beside, "%s/%s", self, name);
        if (executable(beside)) {
            snprintf(buf, n, "%s", beside);
            return 0;
        }
    }
    char installed[PATH_MAX];
    snprintf(installed, sizeof installed, "%s/%s", EVO_LIBEXEC_DIR, name);
    if (executable(installed)) {
        snprintf(buf, n, "%s", installed);
        return 0;
    }
    snprintf(err, errlen, "%s not found (looked at $%s, %s, %s)", name, env_var,
             beside[0] ? beside : "beside the program", installed);
    return -1;
}

int ipc_worker_path(char *buf, size_t n, char *err, size_t errlen)
{
    return ipc_program_path("evo-worker", "EVO_WORKER", buf, n, err, errlen);
}

const char *ipc_str(const json_t *msg, const char *key)
{
    json_t *v = json_object_get(msg, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int ipc_int(const json_t *msg, const char *key, int fallback)
{
    json_t *v = json_object_get(msg, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : fallback;
}

json_t *ipc_refusal(const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

void ipc_last_line(const char *tail, char *out, size_t n)
{
    size_t len = strlen(tail);
    while (len > 0 && (tail[len - 1] == '\n' || tail[len - 1] == '\r'))
        len--;
    size_t start = len;
    while (start > 0 && tail[start - 1] != '\n')
        start--;
    snprintf(out, n, "%.*s", (int)(len - start), tail + start);
}

void ipc_serve_fds(int argc, char **argv, int *in, int *out)
{
    *in = 0;
    *out = 1;
    if (argc == 4 && strcmp(argv[1], "--ipc") == 0) {
        *in = atoi(argv[2]);
        *out = atoi(argv[3]);
    }
    signal(SIGPIPE, SIG_IGN);
}

void ipc_tick(int fd, pthread_mutex_t *send_lock, const char *what)
{
    if (fd < 0) return;
    char err[256];
    json_t *t = json_pack("{s:s}", "tick", what);
    pthread_mutex_lock(send_lock);
    if (t) ipc_send(fd, t, NULL, 0, err, sizeof err);
    pthread_mutex_unlock(send_lock);
    json_decref(t);
}

void ipc_tick_progress(int fd, pthread_mutex_t *send_lock, const char *step, int64_t done,
                       int64_t total)
{
    if (fd < 0) return;
    char err[256];
    json_t *t = json_pack("{s:s,s:I,s:I}", "tick", step, "done", (json_int_t)done, "total",
                          (json_int_t)total);
    pthread_mutex_lock(send_lock);
    if (t) ipc_send(fd, t, NULL, 0, err, sizeof err);
    pthread_mutex_unlock(send_lock);
    json_decref(t);
}

int ipc_serve(int in, int out, pthread_mutex_t *send_lock, const char *who, ipc_handler handler,
              void *user)
{
    for (;;) {
        json_t *req = NULL;
        void *payload = NULL;
        size_t n = 0;
        char err[512];
        int rc = ipc_recv(in, -1, &req, &payload, &n, err, sizeof err);
        if (rc == IPC_EOF) return 0;
        if (rc != IPC_OK) {
            fprintf(stderr, "%s: %s\n", who, err);
            return 2;
        }
        const char *op = ipc_str(req, "op");
        int quit = op && !strcmp(op, "quit"), exit_now = -1;
        json_t *reply = quit ? NULL : handler(user, op ? op : "", req, payload, n, &exit_now);
        json_decref(req);
        free(payload);
        if (reply) {
            if (exit_now >= 0) json_object_set_new(reply, "exiting", json_true());
            pthread_mutex_lock(send_lock);
            rc = ipc_send(out, reply, NULL, 0, err, sizeof err);
            pthread_mutex_unlock(send_lock);
            json_decref(reply);
            if (rc != IPC_OK) { /* the parent went away */
                fprintf(stderr, "%s: %s\n", who, err);
                return exit_now >= 0 ? exit_now : 2;
            }
        }
        if (exit_now >= 0) return exit_now;
        if (quit) return 0;
    }
}
