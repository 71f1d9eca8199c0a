/* loopback.c -- spawn and stop the loopback LLM server for C tests (see loopback.h). */
#include "loopback.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int have_python(void)
{
    static int known = -1; /* tests are single-threaded; asked once per process */
    if (known < 0) known = system("python3 -c 'import http.server' >/dev/null 2>&1") == 0;
    return known;
}

int loopback_start(loopback *lb, const char *script_json, const char *key_env, double lifetime_s)
{
    memset(lb, 0, sizeof *lb);
    if (!have_python()) return 77;
    snprintf(lb->script_path, sizeof lb->script_path, "/tmp/evo_loopback_%d_XXXXXX", (int)getpid());
    int fd = mkstemp(lb->script_path);
    if (fd < 0) return -1;
    size_t n = strlen(script_json);
    if (write(fd, script_json, n) != (ssize_t)n) {
        close(fd);
        return -1;
    }
    close(fd);
    int pipefd[2];
    if (pipe(pipefd) != 0) return -1;
    char life[32];
    snprintf(life, sizeof life, "%g", lifetime_s);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        close(pipefd[1]);
        if (key_env)
            execlp("python3", "python3", "tests/llm_server.py", "--script", lb->script_path,
                   "--lifetime", life, "--key-env", key_env, (char *)NULL);
        else
            execlp("python3", "python3", "tests/llm_server.py", "--script", lb->script_path,
                   "--lifetime", life, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    lb->pid = pid;
    FILE *f = fdopen(pipefd[0], "r");
    char line[64] = "";
    if (!f || !fgets(line, sizeof line, f) || sscanf(line, "PORT %d", &lb->port) != 1) {
        if (f) fclose(f);
        loopback_stop(lb);
        return -1;
    }
    fclose(f);
    return 0;
}

void loopback_stop(loopback *lb)
{
    if (lb->pid > 0) {
        kill(lb->pid, SIGKILL);
        waitpid(lb->pid, NULL, 0);
        lb->pid = 0;
    }
    if (lb->script_path[0]) unlink(lb->script_path);
    lb->script_path[0] = 0;
}
