/* test_store_procs.c -- the run store across processes: the writer lock (a second writer
 * gets EVO_EBUSY naming the holder's pid, readers need no lock, the lock frees on close and
 * on death), a reader following a writer that grows the map, and kill -9 at random moments
 * in every sync mode with no committed candidate lost and no torn record.
 * Children report by exit status: the number of their failed checks. */
#include "check.h"
#include "evo.h"
#include "store.h"

#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char root[64];
static char err[1024];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(p);
}

/* A one-byte message over a pipe, to step parent and child in turn. */
static void say(int fd, char c)
{
    if (write(fd, &c, 1) != 1) perror("pipe write");
}

static char hear(int fd)
{
    char c = 0;
    if (read(fd, &c, 1) != 1) return 0;
    return c;
}

static void child_done(void)
{
    fflush(NULL);
    _exit(check_failed > 125 ? 125 : check_failed);
}

/* The child's failed checks, as seen by the parent. */
static void check_child(pid_t pid, const char *what)
{
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child %s with %d", what,
              WIFEXITED(st) ? "exited" : "died", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static json_t *cand_rec(int64_t id, int pad)
{
    char *fill = malloc((size_t)pad + 1);
    memset(fill, 'x', (size_t)pad);
    fill[pad] = 0;
    json_t *rec =
        json_pack("{sI s s s s}", "id", (json_int_t)id, "status", "PASSED", "notes", fill);
    free(fill);
    return rec;
}

static int put_cand(evo_store *s, int64_t id, int pad)
{
    evo_txn *t;
    int rc = store_begin(s, 1, &t);
    if (rc) return rc;
    json_t *rec = cand_rec(id, pad);
    char hash[32];
    snprintf(hash, sizeof hash, "h%lld", (long long)id);
    rc = store_cand_put(t, id, rec);
    if (rc == EVO_OK) rc = store_hash_put(t, hash, id);
    json_decref(rec);
    if (rc) {
        store_abort(t);
        return rc;
    }
    return store_commit(t);
}

static int64_t last_of(evo_store *s)
{
    evo_txn *t;
    if (store_begin(s, 0, &t)) return -1;
    int64_t n = store_cand_last(t);
    store_abort(t);
    return n;
}

/* --- the writer lock ---------------------------------------------------------------- */

static void lock_child(const char *dir, int rfd, int wfd, pid_t parent)
{
    check_passed = check_failed = 0;
    char want[700];
    snprintf(want, sizeof want, "run directory %s is in use by process %ld", dir, (long)parent);
    evo_store *s;
    CHECK(store_open(&s, dir, 0, "full", err, sizeof err) == EVO_EBUSY);
    CHECK_MSG(strcmp(err, want) == 0, "\"%s\"", err);
    CHECK(store_open(&s, dir, STORE_CREATE, "full", err, sizeof err) == EVO_EBUSY);
    CHECK_MSG(strcmp(err, want) == 0, "\"%s\"", err);

    CHECK(hear(rfd) == '1'); /* the parent holds an open write transaction */
    evo_store *r;
    CHECK_MSG(store_open(&r, dir, STORE_RDONLY, "full", err, sizeof err) == EVO_OK, "%s", err);
    if (!r) child_done();
    CHECK(last_of(r) == 10); /* its uncommitted 11..20 are invisible */
    say(wfd, 'a');

    CHECK(hear(rfd) == '2'); /* committed */
    CHECK(last_of(r) == 20);
    evo_txn *t;
    CHECK(store_begin(r, 0, &t) == EVO_OK);
    json_t *rec = store_cand_get(t, 15);
    CHECK(rec && json_integer_value(json_object_get(rec, "id")) == 15);
    json_decref(rec);
    CHECK(store_hash_get(t, "h20") == 20);
    store_abort(t);
    store_close(r);
    CHECK(store_open(&s, dir, 0, "full", err, sizeof err) == EVO_EBUSY);
    say(wfd, 'b');

    CHECK(hear(rfd) == '3'); /* the parent closed */
    CHECK_MSG(store_open(&s, dir, 0, "full", err, sizeof err) == EVO_OK, "%s", err);
    if (s) {
        CHECK(put_cand(s, 21, 10) == EVO_OK);
        store_close(s);
    }
    child_done();
}

static void test_lock(void)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/locked", root);
    evo_store *s;
    CHECK_MSG(store_open(&s, dir, STORE_CREATE, "full", err, sizeof err) == EVO_OK, "%s", err);
    for (int64_t id = 1; id <= 10; id++)
        CHECK(put_cand(s, id, 10) == EVO_OK);

    /* In this process too: a second writer handle is turned away. */
    evo_store *again;
    char want[700];
    snprintf(want, sizeof want, "run directory %s is in use by process %ld", dir, (long)getpid());
    CHECK(store_open(&again, dir, 0, "full", err, sizeof err) == EVO_EBUSY && again == NULL);
    CHECK_MSG(strcmp(err, want) == 0, "\"%s\"", err);

    int down[2], up[2];
    CHECK(pipe(down) == 0 && pipe(up) == 0);
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        lock_child(dir, down[0], up[1], parent);
    }
    close(down[0]);
    close(up[1]);

    evo_txn *t;
    CHECK(store_begin(s, 1, &t) == EVO_OK);
    for (int64_t id = 11; id <= 20; id++) {
        json_t *rec = cand_rec(id, 10);
        char hash[32];
        snprintf(hash, sizeof hash, "h%lld", (long long)id);
        CHECK(store_cand_put(t, id, rec) == EVO_OK);
        CHECK(store_hash_put(t, hash, id) == EVO_OK);
        json_decref(rec);
    }
    say(down[1], '1');
    CHECK(hear(up[0]) == 'a');
    CHECK(store_commit(t) == EVO_OK);
    say(down[1], '2');
    CHECK(hear(up[0]) == 'b');
    store_close(s);
    say(down[1], '3');
    check_child(pid, "lock");
    close(down[1]);
    close(up[0]);

    CHECK_MSG(store_open(&s, dir, 0, "full", err, sizeof err) == EVO_OK, "%s", err);
    CHECK(last_of(s) == 21);
    store_close(s);
}

/* --- a reader while the writer grows the map ------------------------------------------ */

static void grow_child(const char *dir, int rfd, int wfd)
{
    check_passed = check_failed = 0;
    evo_store *r;
    CHECK_MSG(store_open(&r, dir, STORE_RDONLY, "full", err, sizeof err) == EVO_OK, "%s", err);
    if (!r) child_done();
    size_t n = 1;
    CHECK(store_lookup_blob(r, "b0", &n) == NULL && n == 0);
    say(wfd, 'a');
    CHECK(hear(rfd) == '1'); /* the writer's map is now many times the one mapped here */
    int bad = 0;
    for (int i = 0; i < 40; i++) {
        char key[16];
        snprintf(key, sizeof key, "b%d", i);
        unsigned char *b = store_lookup_blob(r, key, &n);
        if (!b || n != 200000 || b[0] != (unsigned char)i || b[n - 1] != (unsigned char)i) bad++;
        if (!b && bad == 1) fprintf(stderr, "reader: %s\n", store_errmsg(r));
        free(b);
    }
    CHECK(bad == 0);
    store_close(r);
    child_done();
}

static void test_reader_follows_growth(void)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/growing", root);
    setenv("EVO_STORE_INITIAL_MAPSIZE", "1048576", 1);
    evo_store *s;
    CHECK_MSG(store_open(&s, dir, STORE_CREATE, "none", err, sizeof err) == EVO_OK, "%s", err);
    int down[2], up[2];
    CHECK(pipe(down) == 0 && pipe(up) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        grow_child(dir, down[0], up[1]);
    }
    close(down[0]);
    close(up[1]);
    CHECK(hear(up[0]) == 'a');
    unsigned char *blob = malloc(200000);
    for (int i = 0; i < 40; i++) {
        char key[16];
        snprintf(key, sizeof key, "b%d", i);
        memset(blob, i, 200000);
        CHECK(store_save_blob(s, key, blob, 200000) == EVO_OK);
    }
    free(blob);
    say(down[1], '1');
    check_child(pid, "reader during growth");
    close(down[1]);
    close(up[0]);
    store_close(s);
    unsetenv("EVO_STORE_INITIAL_MAPSIZE");
}

/* --- kill -9 ------------------------------------------------------------------------- */

static void writer_forever(const char *dir, const char *sync)
{
    evo_store *s;
    if (store_open(&s, dir, STORE_CREATE, sync, err, sizeof err) != EVO_OK) {
        fprintf(stderr, "writer: %s\n", err);
        _exit(1);
    }
    int64_t id = last_of(s);
    for (;;) {
        if (put_cand(s, ++id, 1500) != EVO_OK) {
            fprintf(stderr, "writer: %s\n", store_errmsg(s));
            _exit(2);
        }
    }
}

typedef struct verify {
    int64_t next;
    int bad;
} verify;

static int verify_fn(void *user, int64_t id, json_t *rec)
{
    verify *v = user;
    json_t *notes = json_object_get(rec, "notes");
    if (id != v->next || json_integer_value(json_object_get(rec, "id")) != id ||
        json_string_length(notes) != 1500)
        v->bad++;
    v->next = id + 1;
    return 0;
}

/* Every id 1..last present, whole, and indexed by its hash (committed with it). */
static int64_t verify_store(evo_store *s)
{
    evo_txn *t;
    CHECK(store_begin(s, 0, &t) == EVO_OK);
    if (!t) return -1;
    int64_t last = store_cand_last(t);
    verify v = {1, 0};
    CHECK(store_cand_each(t, 1, verify_fn, &v) == EVO_OK);
    CHECK_MSG(v.bad == 0 && v.next == last + 1, "%d bad records, ids up to %lld, last %lld", v.bad,
              (long long)v.next - 1, (long long)last);
    int missing = 0;
    for (int64_t id = 1; id <= last; id++) {
        char hash[32];
        snprintf(hash, sizeof hash, "h%lld", (long long)id);
        if (store_hash_get(t, hash) != id) missing++;
    }
    CHECK(missing == 0);
    store_abort(t);
    return last;
}

static void test_kill9(void)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/killed", root);
    const char *modes[] = {"full", "meta", "none"};
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    int64_t prev = 0;
    for (int round = 0; round < 12; round++) {
        const char *sync = modes[round % 3];
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) writer_forever(dir, sync);
        int ms = 1 + (int)(rand_r(&seed) % 30);
        /* The first rounds give the writer time to create the store and commit a few. */
        if (round < 3) ms += 20;
        nanosleep(&(struct timespec){0, ms * 1000000L}, NULL);
        kill(pid, SIGKILL);
        int st = 0;
        CHECK(waitpid(pid, &st, 0) == pid);
        CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "round %d: writer %s %d", round,
                  WIFEXITED(st) ? "exited" : "died",
                  WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));

        /* The lock died with the writer; the store holds a prefix of its candidates. */
        evo_store *s;
        int rc = store_open(&s, dir, STORE_CREATE, sync, err, sizeof err);
        CHECK_MSG(rc == EVO_OK, "round %d (%s, %d ms): %s", round, sync, ms, err);
        if (rc) continue;
        int64_t last = verify_store(s);
        CHECK_MSG(last >= prev, "round %d: last %lld after %lld", round, (long long)last,
                  (long long)prev);
        prev = last;
        store_close(s);
    }
    CHECK_MSG(prev > 0, "no candidate was committed in 12 rounds");
    evo_store *r;
    CHECK(store_open(&r, dir, STORE_RDONLY, NULL, err, sizeof err) == EVO_OK);
    if (r) {
        CHECK(verify_store(r) == prev);
        store_close(r);
    }
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/evo-test-store-procs-XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_lock();
    test_reader_follows_growth();
    test_kill9();
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return CHECK_DONE();
}
