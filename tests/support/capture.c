/* capture.c -- see capture.h. */
#include "capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void read_back(int fd, char *buf, size_t n)
{
    lseek(fd, 0, SEEK_SET);
    ssize_t got = read(fd, buf, n - 1);
    buf[got > 0 ? got : 0] = '\0';
    close(fd);
}

int capture_call(int (*fn)(int, char **), int argc, const char **argv, char *out, size_t outn,
                 char *err, size_t errn)
{
    char o[] = "/tmp/evo_capture_out_XXXXXX", e[] = "/tmp/evo_capture_err_XXXXXX";
    int fo = mkstemp(o), fe = mkstemp(e);
    unlink(o);
    unlink(e);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    dup2(fo, 1);
    dup2(fe, 2);
    int code = fn(argc, (char **)argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    read_back(fo, out, outn);
    read_back(fe, err, errn);
    return code;
}
