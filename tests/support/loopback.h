/* loopback.h -- start tests/llm_server.py (the scripted OpenAI-compatible loopback server)
 * from a C test: the script is given as JSON text, the server's port is returned. */
#ifndef EVO_TEST_LOOPBACK_H
#define EVO_TEST_LOOPBACK_H
#include <sys/types.h>

typedef struct loopback {
    pid_t pid;
    int port;
    char script_path[512];
} loopback;

/* Start the server with the script (JSON text) and, when key_env is not NULL, require
 * "Authorization: Bearer $key_env". Returns 0, -1 on failure, or 77 when python3 is missing. */
int loopback_start(loopback *lb, const char *script_json, const char *key_env, double lifetime_s);
/* Stop the server (SIGKILL) and remove the script file. */
void loopback_stop(loopback *lb);
#endif
