/* test_ipc.c -- the pipe protocol between the GPU evaluator and evo-worker: framing round
 * trips with and without payloads, timeouts, a peer that goes away (no SIGPIPE), malformed
 * frames with their exact errors, and spawning, killing and finding the worker; progress
 * ticks handed to the child's on_progress while the watchdog waits for the reply. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "ipc.h"

/* A char array as a pointer, for CHECK_CONTAINS. */
static const char *text(const char *s)
{
    return s;
}

static void test_round_trip(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    char err[256] = "";
    json_t *h = json_pack("{s:s,s:i}", "op", "eval", "n", 42);
    const char payload[] = "\x7f"
                           "ELF binary\0with zeros";
    CHECK(ipc_send(p[1], h, payload, sizeof payload, err, sizeof err) == IPC_OK);
    json_t *h2 = json_pack("{s:s}", "tick", "trial");
    CHECK(ipc_send(p[1], h2, NULL, 0, err, sizeof err) == IPC_OK);
    json_t *got = NULL;
    void *data = NULL;
    size_t n = 0;
    CHECK(ipc_recv(p[0], 1000, &got, &data, &n, err, sizeof err) == IPC_OK);
    CHECK(got && strcmp(json_string_value(json_object_get(got, "op")), "eval") == 0);
    CHECK(json_integer_value(json_object_get(got, "n")) == 42);
    CHECK(n == sizeof payload && data && memcmp(data, payload, n) == 0);
    json_decref(got);
    free(data);
    CHECK(ipc_recv(p[0], 1000, &got, &data, &n, err, sizeof err) == IPC_OK);
    CHECK(n == 0 && data == NULL);
    CHECK(strcmp(json_string_value(json_object_get(got, "tick")), "trial") == 0);
    json_decref(got);
    /* Nothing more: a timeout, then EOF once the writer closes. */
    CHECK(ipc_recv(p[0], 30, &got, &data, &n, err, sizeof err) == IPC_TIMEOUT);
    close(p[1]);
    CHECK(ipc_recv(p[0], 1000, &got, &data, &n, err, sizeof err) == IPC_EOF);
    CHECK_CONTAINS(text(err), "the peer closed the pipe");
    close(p[0]);
    json_decref(h);
    json_decref(h2);
}

static char prog_step[4][64];
static int64_t prog_done[4], prog_total[4];
static int nprog;
static void on_prog(void *user, const char *step, int64_t done, int64_t total)
{
    CHECK(user == (void *)prog_step);
    if (nprog >= 4) return;
    snprintf(prog_step[nprog], sizeof prog_step[nprog], "%s", step);
    prog_done[nprog] = done;
    prog_total[nprog++] = total;
}

static void test_progress_ticks(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    char err[256] = "", tail[64] = "";
    ipc_tick(p[1], &lock, "busy");                                    /* no progress */
    ipc_tick_progress(p[1], &lock, "references and baseline", 2, 15); /* progress */
    json_t *r = json_pack("{s:b}", "ok", 1);
    CHECK(ipc_send(p[1], r, NULL, 0, err, sizeof err) == IPC_OK);
    json_decref(r);
    ipc_child c = {.pid = -1, .to_child = -1, .from_child = p[0], .err_fd = -1};
    json_t *reply = NULL;
    /* Without a callback the ticks are skipped as before. */
    CHECK(ipc_child_await(&c, 1, &reply, tail, sizeof tail, err, sizeof err) == IPC_OK);
    CHECK(json_is_true(json_object_get(reply, "ok")));
    json_decref(reply);
    CHECK(nprog == 0);
    ipc_tick_progress(p[1], &lock, "ceilings", 0, 1);
    ipc_tick_progress(p[1], &lock, "ceilings", 1, 1);
    r = json_pack("{s:b}", "ok", 1);
    CHECK(ipc_send(p[1], r, NULL, 0, err, sizeof err) == IPC_OK);
    json_decref(r);
    c.on_progress = on_prog;
    c.progress_user = prog_step;
    CHECK(ipc_child_await(&c, 1, &reply, tail, sizeof tail, err, sizeof err) == IPC_OK);
    CHECK(json_is_true(json_object_get(reply, "ok")));
    json_decref(reply);
    CHECK(nprog == 2);
    CHECK(!strcmp(prog_step[0], "ceilings") && prog_done[0] == 0 && prog_total[0] == 1);
    CHECK(!strcmp(prog_step[1], "ceilings") && prog_done[1] == 1 && prog_total[1] == 1);
    close(p[0]);
    close(p[1]);
}

static int recv_raw(const void *bytes, size_t len, char *err, size_t errlen)
{
    int p[2];
    if (pipe(p) != 0) return -99;
    if (write(p[1], bytes, len) != (ssize_t)len) return -98;
    close(p[1]);
    json_t *h = NULL;
    void *d = NULL;
    size_t n = 0;
    int rc = ipc_recv(p[0], 1000, &h, &d, &n, err, errlen);
    json_decref(h);
    free(d);
    close(p[0]);
    return rc;
}

static void test_malformed(void)
{
    char err[256] = "";
    CHECK(recv_raw("\0\0\0\0", 4, err, sizeof err) == IPC_FAIL);
    CHECK_CONTAINS(text(err), "bad message: header length 0");
    CHECK(recv_raw("\xff\xff\xff\x7f", 4, err, sizeof err) == IPC_FAIL);
    CHECK_CONTAINS(text(err), "bad message: header length 2147483647");
    CHECK(recv_raw("\x03\0\0\0[1]", 7, err, sizeof err) == IPC_FAIL);
    CHECK_CONTAINS(text(err), "bad message: header is not a JSON object (not an object)");
    CHECK(recv_raw("\x03\0\0\0{x}", 7, err, sizeof err) == IPC_FAIL);
    CHECK_CONTAINS(text(err), "bad message: header is not a JSON object");
    CHECK(recv_raw("\x0a\0\0\0{\"a\"", 8, err, sizeof err) == IPC_EOF);
    CHECK_CONTAINS(text(err), "the peer closed the pipe in the middle of a message");
    CHECK(recv_raw("\x13\0\0\0{\"payload_bytes\":5}ab", 25, err, sizeof err) == IPC_EOF);
    CHECK_CONTAINS(text(err), "in the middle of a message");
    CHECK(recv_raw("\x14\0\0\0{\"payload_bytes\":-5}", 24, err, sizeof err) == IPC_FAIL);
    CHECK_CONTAINS(text(err), "bad message: payload_bytes -5");
    CHECK(recv_raw("\x02\0\0", 3, err, sizeof err) == IPC_EOF);
}

static void test_dead_peer(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    close(p[0]);
    char err[256] = "";
    json_t *h = json_pack("{s:s}", "op", "quit");
    /* Must return, not kill the process with SIGPIPE. */
    CHECK(ipc_send(p[1], h, "xyz", 3, err, sizeof err) == IPC_EOF);
    CHECK_CONTAINS(text(err), "the peer closed the pipe");
    json_decref(h);
    close(p[1]);
}

static void test_spawn(void)
{
    char err[512] = "", how[64] = "";
    ipc_child c;
    CHECK(ipc_spawn("/nonexistent/evo-worker", &c, err, sizeof err) == -1);
    CHECK_CONTAINS(text(err),
                   "cannot run worker /nonexistent/evo-worker: No such file or directory");
    /* A stand-in worker that writes to stderr and then sleeps: killed by signal 9. */
    char script[] = "/tmp/evo-test-ipc-XXXXXX";
    int fd = mkstemp(script);
    CHECK(fd >= 0);
    const char body[] = "#!/bin/sh\necho 'stand-in: started' >&2\nexec sleep 30\n";
    CHECK(write(fd, body, sizeof body - 1) == (ssize_t)(sizeof body - 1));
    close(fd);
    chmod(script, 0755);
    CHECK(ipc_spawn(script, &c, err, sizeof err) == 0);
    char tail[64] = "";
    for (int i = 0; i < 200 && !strstr(tail, "started"); i++) {
        usleep(10000);
        ipc_child_drain_stderr(&c, tail, sizeof tail);
    }
    CHECK_CONTAINS(text(tail), "stand-in: started");
    ipc_child_kill(&c, how, sizeof how);
    CHECK_CONTAINS(text(how), "signal 9");
    CHECK(c.pid == -1);
    ipc_child_kill(&c, how, sizeof how); /* twice is harmless */
    CHECK(how[0] == 0);
    /* The worker's exit status is reported when it ends on its own. */
    fd = open(script, O_WRONLY | O_TRUNC);
    const char quick[] = "#!/bin/sh\nexit 3\n";
    CHECK(write(fd, quick, sizeof quick - 1) == (ssize_t)(sizeof quick - 1));
    close(fd);
    CHECK(ipc_spawn(script, &c, err, sizeof err) == 0);
    json_t *h = NULL;
    void *d = NULL;
    size_t n = 0;
    CHECK(ipc_recv(c.from_child, 5000, &h, &d, &n, err, sizeof err) == IPC_EOF);
    ipc_child_kill(&c, how, sizeof how);
    CHECK_CONTAINS(text(how), "exit status 3");
    unlink(script);
}

static void test_worker_path(void)
{
    char buf[4096], err[4096] = "";
    setenv("EVO_WORKER", "/nonexistent/worker", 1);
    CHECK(ipc_worker_path(buf, sizeof buf, err, sizeof err) == -1);
    CHECK_CONTAINS(text(err), "EVO_WORKER=/nonexistent/worker is not an executable file");
    setenv("EVO_WORKER", "/bin/sh", 1);
    CHECK(ipc_worker_path(buf, sizeof buf, err, sizeof err) == 0);
    CHECK(strcmp(buf, "/bin/sh") == 0);
    unsetenv("EVO_WORKER");
    int rc = ipc_worker_path(buf, sizeof buf, err, sizeof err);
    if (rc != 0) CHECK_CONTAINS(text(err), "evo-worker not found (looked at $EVO_WORKER, ");
}

int main(void)
{
    test_round_trip();
    test_progress_ticks();
    test_malformed();
    test_dead_peer();
    test_spawn();
    test_worker_path();
    return CHECK_DONE();
}
