/* test_store_damage.c -- a damaged store is detected and named, never read as other data
 * and never a crash; disk-full and permission errors are said as such (issue 18, items 5
 * and 6). On the real `evo` program with the synthetic evaluator, and the library's read
 * views in a forked child (so a crash is counted, not suffered):
 * - random single-bit flips and 16-byte smashes anywhere in store.mdb: each is either
 *   harmless to everything read (every candidate, the status, the config read back as
 *   before) or detected (EVO_ESTORE naming store.mdb, exit 5); `evo verify` exits 5
 *   whenever a read found damage, and 0 or 5 otherwise; `evo resume` exits 0 or 5, and
 *   after a 0 the old candidates are unchanged. Zero silent changes, zero crashes;
 * - a store.mdb swapped in from another run: exit 5 naming it, the fitness log untouched;
 * - truncated files, a damaged free-list or main root, meta txn ids that do not follow:
 *   exit 5 from status, verify and resume, never a signal;
 * - ENOSPC on a small tmpfs (root only: mount -t tmpfs): exit 1 naming ENOSPC, every
 *   earlier commit kept, and `evo resume` finishes once the space is back; and, on any
 *   machine, the same through the store's hook (EVO_STORE_TEST_FAIL: ENOSPC, EIO);
 * - EACCES on store.mdb: exit 1 naming EACCES, not 5. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "evo.h"
#include "file_text.h"
#include "scratch.h"

#define FLIPS 300
#define SMASHES 60
#define NOBODY 65534

static char evo_bin[512];
static const char *root;
static int64_t base_count;
static char *base_print;
static int hostile; /* hostile cases tried */

/* ---- processes ---- */

/* Run argv with stdout+stderr into out (appended); the exit code, or 128+signal. uid >= 0
 * runs it as that user. */
static int run_as(const char *const argv[], const char *out, int uid)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0666);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (uid >= 0 && (setgid((gid_t)uid) != 0 || setuid((uid_t)uid) != 0)) _exit(126);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run_cmd(const char *const argv[], const char *out)
{
    return run_as(argv, out, -1);
}

/* `evo CMD DIR [--quiet]`, output into out (truncated first). */
static int evo_cmd(const char *cmd, const char *dir, const char *out)
{
    unlink(out);
    int quiet = strcmp(cmd, "resume") == 0;
    const char *argv[] = {evo_bin, cmd, dir, quiet ? "--quiet" : NULL, NULL};
    return run_cmd(argv, out);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void copy_file(const char *from, const char *to)
{
    size_t n = 0;
    char *data = file_read_text(from, 0, &n);
    FILE *f = fopen(to, "wb");
    if (f && data) fwrite(data, 1, n, f);
    if (f) fclose(f);
    free(data);
}

static void copy_run(const char *from, const char *to)
{
    char a[600], b[600];
    static const char *const files[] = {"store.mdb", "run_id", "fitness.jsonl"};
    mkdir(to, 0755);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(a, sizeof a, "%s/%s", from, files[i]);
        snprintf(b, sizeof b, "%s/%s", to, files[i]);
        unlink(b);
        if (access(a, F_OK) == 0) copy_file(a, b);
    }
    snprintf(b, sizeof b, "%s/store.mdb-lock", to);
    unlink(b);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* ---- what is read ---- */

/* Everything the read views give, as one text: count, status, config, each candidate with
 * its rendered source. NULL with *rc and the message in err when a read failed. */
static char *read_all(const char *dir, int *rc, char *err, size_t errlen)
{
    evo_run *r;
    *rc = evo_run_open(&r, dir);
    if (*rc != EVO_OK) {
        snprintf(err, errlen, "%s", evo_run_errmsg(r));
        evo_run_close(r);
        return NULL;
    }
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    out[0] = 0;
#define ADD(...) len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, __VA_ARGS__)
    int64_t n = evo_run_count(r);
    char *text = NULL;
    if (n < 0) {
        *rc = EVO_ESTORE;
        goto fail;
    }
    ADD("count %lld\n", (long long)n);
    if ((*rc = evo_run_status_json(r, &text)) != EVO_OK) goto fail;
    ADD("status %s\n", text);
    evo_free(text);
    char *base = NULL;
    if ((*rc = evo_run_config(r, &text, &base)) != EVO_OK) goto fail;
    ADD("config %s %s\n", text, base);
    evo_free(text);
    evo_free(base);
    for (int64_t id = 1; id <= n && len < cap - 4096; id++) {
        evo_candidate *c;
        if ((*rc = evo_run_candidate(r, id, &c)) != EVO_OK) goto fail;
        char *src = evo_candidate_render(c);
        ADD("#%lld %s\n%s\n", (long long)id, evo_candidate_json(c), src ? src : "");
        free(src);
        evo_candidate_free(c);
    }
    if (len >= cap - 4096) {
        snprintf(err, errlen, "fingerprint too long");
        *rc = EVO_ERROR;
        free(out);
        evo_run_close(r);
        return NULL;
    }
    evo_run_close(r);
    return out;
fail:
    snprintf(err, errlen, "%s", evo_run_errmsg(r));
    free(out);
    evo_run_close(r);
    return NULL;
#undef ADD
}

enum { SAME = 0, DETECTED = 1, SILENT = 2, UNNAMED = 3, CRASHED = 4 };
static const char *const outcome_names[] = {"same", "detected", "SILENT CHANGE", "UNNAMED",
                                            "CRASHED"};

/* Read everything in a forked child and compare with the base: SAME, DETECTED (EVO_ESTORE
 * naming store.mdb), SILENT (read back differently without an error), UNNAMED (an error
 * that is not a named store error) or CRASHED. The child's message goes to msg_path. */
static int read_outcome(const char *dir, const char *msg_path)
{
    pid_t pid = fork();
    if (pid == 0) {
        int rc;
        char err[2048] = "";
        char *got = read_all(dir, &rc, err, sizeof err);
        FILE *f = fopen(msg_path, "w");
        if (f) {
            fprintf(f, "rc %d: %s\n", rc, err);
            fclose(f);
        }
        if (got && strcmp(got, base_print) != 0) {
            /* Where the reads first differ, for the message. */
            size_t i = 0;
            while (got[i] && got[i] == base_print[i])
                i++;
            size_t from = i > 120 ? i - 120 : 0;
            f = fopen(msg_path, "w");
            if (f) {
                fprintf(f, "first difference at %zu: was \"%.240s\", now \"%.240s\"\n", i,
                        base_print + from, got + from);
                fclose(f);
            }
            _exit(SILENT);
        }
        if (got) _exit(SAME);
        _exit(rc == EVO_ESTORE && strstr(err, "store.mdb") ? DETECTED : UNNAMED);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : CRASHED;
}

/* ---- the base run ---- */

static void write_config(const char *path, int seed, int max, int delay_ms)
{
    FILE *f = fopen(path, "w");
    fprintf(f,
            "{\"name\": \"damage\", \"seed\": %d, \"concurrency\": 1,\n"
            " \"islands\": {\"count\": 2, \"population\": 10},\n"
            " \"evaluator\": {\"kind\": \"synthetic\", \"synthetic\": {\"dims\": 4, "
            "\"levels\": 8, \"delay_ms\": %d, \"fail_rate\": 0.1}},\n"
            " \"store\": {\"sync\": \"none\"},\n"
            " \"stop\": {\"max_evaluations\": %d}}\n",
            seed, delay_ms, max);
    fclose(f);
}

static int64_t count_of(const char *dir)
{
    evo_run *r;
    int64_t n = -1;
    if (evo_run_open(&r, dir) == EVO_OK) n = evo_run_count(r);
    evo_run_close(r);
    return n;
}

/* A run stopped (SIGINT) after at least 30 of its 45 evaluations, so a resume has work. */
static void make_base(const char *dir)
{
    char cfg[600], out[600];
    snprintf(cfg, sizeof cfg, "%s/base.json", root);
    snprintf(out, sizeof out, "%s/base.txt", root);
    write_config(cfg, 5, 45, 15);
    const char *argv[] = {evo_bin, "run", cfg, "--run-dir", dir, "--quiet", NULL};
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 2000 && count_of(dir) < 30; i++)
        sleep_ms(10);
    kill(pid, SIGINT);
    int st;
    waitpid(pid, &st, 0);
    base_count = count_of(dir);
    CHECK_MSG(base_count >= 30 && base_count < 45, "base run has %lld candidates",
              (long long)base_count);
    int rc;
    char err[1024];
    base_print = read_all(dir, &rc, err, sizeof err);
    CHECK_MSG(base_print != NULL, "base run unreadable: %s", err);
}

/* ---- random damage ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void damage_at(const char *path, long off, const unsigned char *bytes, size_t n, int xor)
{
    int fd = open(path, O_RDWR);
    unsigned char buf[64];
    if (fd < 0 || n > sizeof buf || pread(fd, buf, n, off) != (ssize_t)n) {
        if (fd >= 0) close(fd);
        return;
    }
    for (size_t i = 0; i < n; i++)
        buf[i] = xor? (unsigned char)(buf[i] ^ bytes[i]) : bytes[i];
    if (pwrite(fd, buf, n, off) != (ssize_t)n) perror(path);
    close(fd);
}

static int counts[5], verify_codes[256], resume_codes[256];

static void one_damage(const char *base, int k, int smash)
{
    char dir[600], store[700], out[700], msg[700], log[700];
    snprintf(dir, sizeof dir, "%s/w", root);
    snprintf(store, sizeof store, "%s/store.mdb", dir);
    snprintf(out, sizeof out, "%s/out.txt", root);
    snprintf(msg, sizeof msg, "%s/msg.txt", root);
    snprintf(log, sizeof log, "%s/fitness.jsonl", dir);
    copy_run(base, dir);
    long size = file_size(store);
    long off = (long)(next_rand() % (uint64_t)size);
    unsigned char bytes[16];
    size_t n = smash ? sizeof bytes : 1;
    if (off + (long)n > size) off = size - (long)n;
    for (size_t i = 0; i < n; i++)
        bytes[i] = smash ? (unsigned char)next_rand() : (unsigned char)(1u << (next_rand() % 8));
    damage_at(store, off, bytes, n, !smash);
    hostile++;

    int o = read_outcome(dir, msg);
    counts[o]++;
    char *why = file_read_text(msg, 0, NULL);
    CHECK_MSG(o == SAME || o == DETECTED, "case %d (%s at byte %ld): reads: %s: %s", k,
              smash ? "smash" : "bit flip", off, outcome_names[o], why ? why : "");
    free(why);

    int v = evo_cmd("verify", dir, out);
    verify_codes[v & 255]++;
    char *text = file_read_text(out, 0, NULL);
    CHECK_MSG(v == 0 || v == 5, "case %d (byte %ld): evo verify exited %d: %s", k, off, v,
              text ? text : "");
    CHECK_MSG(!(o == DETECTED && v == 0), "case %d (byte %ld): reads found damage, verify did not",
              k, off);
    free(text);

    /* Half the cases lose the log, so the resume rebuilds it from every record. */
    if (k % 2) unlink(log);
    int r = evo_cmd("resume", dir, out);
    resume_codes[r & 255]++;
    text = file_read_text(out, 0, NULL);
    CHECK_MSG(r == 0 || r == 5, "case %d (byte %ld): evo resume exited %d: %s", k, off, r,
              text ? text : "");
    if (r == 5) CHECK_CONTAINS(text, "store.mdb");
    free(text);
    if (r == 0 && o == SAME) {
        /* What was there before is still there, unchanged, and the store is whole. */
        int rc;
        char err[1024];
        char *after = read_all(dir, &rc, err, sizeof err);
        const char *want = strstr(base_print, "\n#1 ");
        const char *got = after ? strstr(after, "\n#1 ") : NULL;
        size_t wn = want ? strlen(want) : 0;
        CHECK_MSG(want && got && strncmp(got, want, wn) == 0 && (got[wn] == 0 || got[wn] == '#'),
                  "case %d (byte %ld): the resumed run's old candidates changed %s", k, off,
                  after ? "" : err);
        free(after);
    }
}

static void test_random_damage(const char *base)
{
    /* EVO_DAMAGE_SEED=N draws another sequence (the default is fixed; the base run's bytes
     * vary with timing anyway), EVO_DAMAGE_CASES=N runs that many (a soak). */
    const char *seed = getenv("EVO_DAMAGE_SEED"), *cases = getenv("EVO_DAMAGE_CASES");
    if (seed && *seed) rng ^= strtoull(seed, NULL, 10) * 0x2545F4914F6CDD1DULL;
    int flips = FLIPS, smashes = SMASHES;
    if (cases && atoi(cases) > 0) {
        flips = atoi(cases) * 5 / 6;
        smashes = atoi(cases) - flips;
    }
    for (int k = 0; k < flips + smashes; k++)
        one_damage(base, k, k >= flips);
    printf("random damage: %d bit flips, %d 16-byte smashes: reads same %d, detected %d, "
           "silent %d, unnamed %d, crashed %d; verify exit 0: %d, 5: %d; resume exit 0: %d, "
           "5: %d\n",
           flips, smashes, counts[SAME], counts[DETECTED], counts[SILENT], counts[UNNAMED],
           counts[CRASHED], verify_codes[0], verify_codes[5], resume_codes[0], resume_codes[5]);
    CHECK(counts[SILENT] == 0 && counts[CRASHED] == 0 && counts[UNNAMED] == 0);
    CHECK_MSG(counts[DETECTED] > 0, "no damage was ever detected");
}

/* ---- a swapped store ---- */

static void test_swapped(const char *base)
{
    char other[600], cfg[600], out[600], dir[600], a[700], b[700], log[700];
    snprintf(other, sizeof other, "%s/other", root);
    snprintf(cfg, sizeof cfg, "%s/other.json", root);
    snprintf(out, sizeof out, "%s/out.txt", root);
    snprintf(dir, sizeof dir, "%s/swapped", root);
    write_config(cfg, 9, 20, 0);
    const char *argv[] = {evo_bin, "run", cfg, "--run-dir", other, "--quiet", NULL};
    CHECK(run_cmd(argv, out) == 0);
    copy_run(base, dir);
    snprintf(a, sizeof a, "%s/store.mdb", other);
    snprintf(b, sizeof b, "%s/store.mdb", dir);
    copy_file(a, b);
    snprintf(log, sizeof log, "%s/fitness.jsonl", dir);
    char *log_before = file_read_text(log, 0, NULL);
    static const char *const cmds[] = {"status", "verify", "resume", "best"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        hostile++;
        int code = evo_cmd(cmds[i], dir, out);
        char *text = file_read_text(out, 0, NULL);
        CHECK_MSG(code == 5, "swapped store: evo %s exited %d: %s", cmds[i], code,
                  text ? text : "");
        CHECK_CONTAINS(text, "belongs to another run");
        free(text);
    }
    char *log_after = file_read_text(log, 0, NULL);
    CHECK_MSG(log_before && log_after && strcmp(log_before, log_after) == 0,
              "swapped store: the fitness log was rewritten");
    free(log_before);
    free(log_after);
    /* Put this run's store back: it resumes. */
    snprintf(a, sizeof a, "%s/store.mdb", base);
    copy_file(a, b);
    CHECK(evo_cmd("resume", dir, out) == 0);
}

/* ---- truncation and a damaged header ---- */

/* status, verify and resume all exit 5 naming the file (a reader may read on when
 * reads_on: the damage is in what only a writer uses). */
static void expect_refused_(const char *dir, const char *what, const char *needle, int reads_on)
{
    char out[600];
    snprintf(out, sizeof out, "%s/out.txt", root);
    static const char *const cmds[] = {"status", "verify", "resume"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        hostile++;
        int code = evo_cmd(cmds[i], dir, out);
        char *text = file_read_text(out, 0, NULL);
        /* A reader does not use the free list: it may read on, but never crash. */
        int reader_ok = reads_on && strcmp(cmds[i], "status") == 0 && code == 0;
        CHECK_MSG(code == 5 || reader_ok, "%s: evo %s exited %d: %s", what, cmds[i], code,
                  text ? text : "");
        if (!reader_ok)
            CHECK_MSG(check_contains_(text, needle) ||
                          check_contains_(text, "not an evo run store"),
                      "%s: evo %s: %s", what, cmds[i], text ? text : "");
        free(text);
    }
}

static void expect_refused(const char *dir, const char *what, const char *needle)
{
    expect_refused_(dir, what, needle, 0);
}

static void test_truncated(const char *base)
{
    char dir[600], store[700], what[64];
    snprintf(dir, sizeof dir, "%s/trunc", root);
    snprintf(store, sizeof store, "%s/store.mdb", dir);
    char src[700];
    snprintf(src, sizeof src, "%s/store.mdb", base);
    long size = file_size(src);
    long cuts[] = {0, 100, 4095, 4096, 8192, 12288, size / 2, size - 8192, size - 4096, size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        copy_run(base, dir);
        CHECK(truncate(store, cuts[i]) == 0);
        snprintf(what, sizeof what, "store cut to %ld of %ld bytes", cuts[i], size);
        expect_refused(dir, what, "store.mdb");
    }
}

/* LMDB 0.9 meta page offsets (see store_guard.c). */
#define OFF_ROOT0 80
#define OFF_ROOT1 128
#define OFF_LASTPG 136
#define OFF_TXNID 144

static uint64_t rd64_at(const char *path, long off)
{
    uint64_t v = 0;
    int fd = open(path, O_RDONLY);
    if (pread(fd, &v, sizeof v, off) != (ssize_t)sizeof v) v = 0;
    close(fd);
    return v;
}

static void wr64_at(const char *path, long off, uint64_t v)
{
    damage_at(path, off, (const unsigned char *)&v, sizeof v, 0);
}

static void test_damaged_roots(const char *base)
{
    char dir[600], store[700], src[700], what[128];
    snprintf(dir, sizeof dir, "%s/roots", root);
    snprintf(store, sizeof store, "%s/store.mdb", dir);
    snprintf(src, sizeof src, "%s/store.mdb", base);
    /* The newer meta page: LMDB writes transaction t's into page t % 2. */
    uint64_t t0 = rd64_at(src, OFF_TXNID), t1 = rd64_at(src, 4096 + OFF_TXNID);
    long meta = t1 > t0 ? 4096 : 0;
    uint64_t last = rd64_at(src, meta + OFF_LASTPG);
    uint64_t main_root = rd64_at(src, meta + OFF_ROOT1);
    uint64_t free_root = rd64_at(src, meta + OFF_ROOT0);
    uint64_t bad[] = {0, 1, main_root, last, last + 1, last + 1000, 1ull << 40, UINT64_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (bad[i] == free_root) continue;
        copy_run(base, dir);
        wr64_at(store, meta + OFF_ROOT0, bad[i]);
        snprintf(what, sizeof what, "free-list root set to %llu", (unsigned long long)bad[i]);
        expect_refused_(dir, what, "store.mdb", 1);
    }
    uint64_t bad_main[] = {0, 1, free_root, last + 1};
    for (size_t i = 0; i < sizeof bad_main / sizeof bad_main[0]; i++) {
        if (bad_main[i] == main_root || bad_main[i] == UINT64_MAX) continue;
        copy_run(base, dir);
        wr64_at(store, meta + OFF_ROOT1, bad_main[i]);
        snprintf(what, sizeof what, "main root set to %llu", (unsigned long long)bad_main[i]);
        expect_refused(dir, what, "store.mdb");
    }
    /* The older meta made to look newer: LMDB would open an old snapshot, losing commits. */
    copy_run(base, dir);
    wr64_at(store, (4096 - meta) + OFF_TXNID, (t0 > t1 ? t0 : t1) + 2);
    expect_refused(dir, "older meta's txn id raised", "store.mdb");
    /* The last page in use past the end of the file. */
    copy_run(base, dir);
    wr64_at(store, meta + OFF_LASTPG, last + 50);
    expect_refused(dir, "last page past the end", "store.mdb");
}

/* ---- disk full (a small tmpfs) ---- */

static void test_disk_full(void)
{
    char mnt[600], dir[700], cfg[600], out[600];
    snprintf(mnt, sizeof mnt, "%s/mnt", root);
    snprintf(dir, sizeof dir, "%s/r", mnt);
    snprintf(cfg, sizeof cfg, "%s/full.json", root);
    snprintf(out, sizeof out, "%s/out.txt", root);
    mkdir(mnt, 0755);
    const char *sizes[] = {"size=120k", "size=160k", "size=240k"};
    if (geteuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, sizes[0]) != 0) {
        printf("SKIPPED part: ENOSPC needs a small tmpfs (run as root to mount one)\n");
        return;
    }
    umount(mnt);
    write_config(cfg, 7, 300, 0);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        hostile++;
        CHECK(mount("tmpfs", mnt, "tmpfs", 0, sizes[i]) == 0);
        const char *argv[] = {evo_bin, "run", cfg, "--run-dir", dir, "--quiet", NULL};
        unlink(out);
        int code = run_cmd(argv, out);
        char *text = file_read_text(out, 0, NULL);
        CHECK_MSG(code == 1, "disk full (%s): evo run exited %d: %s", sizes[i], code,
                  text ? text : "");
        CHECK_CONTAINS(text, "ENOSPC");
        free(text);
        int64_t kept = count_of(dir);
        CHECK_MSG(kept > 0, "disk full: nothing kept");
        /* Still full: resume says so again and loses nothing. */
        code = evo_cmd("resume", dir, out);
        text = file_read_text(out, 0, NULL);
        CHECK_MSG(code == 1 && check_contains_(text, "ENOSPC"), "still full: resume exited %d: %s",
                  code, text ? text : "");
        free(text);
        CHECK(count_of(dir) >= kept);
        CHECK(evo_cmd("verify", dir, out) == 0);
        /* Space is back: the run finishes, every earlier commit with it. */
        CHECK(mount("tmpfs", mnt, "tmpfs", MS_REMOUNT, "size=16m") == 0);
        code = evo_cmd("resume", dir, out);
        text = file_read_text(out, 0, NULL);
        CHECK_MSG(code == 0, "space back (%s): resume exited %d: %s", sizes[i], code,
                  text ? text : "");
        free(text);
        CHECK_MSG(count_of(dir) == 300, "after the resume: %lld candidates",
                  (long long)count_of(dir));
        CHECK(evo_cmd("verify", dir, out) == 0);
        CHECK(umount(mnt) == 0);
    }
}

/* The same without root, through the store's test hook: the 20th commit on fails as on a
 * full disk (EVO_STORE_TEST_FAIL), then the space "comes back" (the hook unset). */
static void test_disk_full_hook(void)
{
    char dir[600], cfg[600], out[600];
    snprintf(dir, sizeof dir, "%s/hook", root);
    snprintf(cfg, sizeof cfg, "%s/hook.json", root);
    snprintf(out, sizeof out, "%s/out.txt", root);
    write_config(cfg, 8, 120, 0);
    static const char *const errs[] = {"20:ENOSPC", "20:EIO"};
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        hostile++;
        setenv("EVO_STORE_TEST_FAIL", errs[i], 1);
        const char *argv[] = {evo_bin, "run", cfg, "--run-dir", dir, "--quiet", NULL};
        unlink(out);
        int code = run_cmd(argv, out);
        char *text = file_read_text(out, 0, NULL);
        CHECK_MSG(code == 1, "commit failing with %s: evo run exited %d: %s", errs[i], code,
                  text ? text : "");
        CHECK_CONTAINS(text, strchr(errs[i], ':') + 1);
        CHECK_CONTAINS(text, "what was committed before is kept");
        free(text);
        unsetenv("EVO_STORE_TEST_FAIL");
        int64_t kept = count_of(dir);
        CHECK_MSG(kept >= 1 && kept < 120, "after the failed commit: %lld candidates",
                  (long long)kept);
        CHECK(evo_cmd("verify", dir, out) == 0);
        CHECK(evo_cmd("resume", dir, out) == 0);
        CHECK_MSG(count_of(dir) == 120, "after the resume: %lld candidates",
                  (long long)count_of(dir));
        CHECK(evo_cmd("verify", dir, out) == 0);
        char rm[700];
        snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
        CHECK(system(rm) == 0);
    }
}

/* ---- permission denied ---- */

static void test_permission(const char *base)
{
    char dir[600], store[700], lock[700], out[600];
    snprintf(dir, sizeof dir, "%s/perm", root);
    snprintf(store, sizeof store, "%s/store.mdb", dir);
    snprintf(out, sizeof out, "%s/perm.txt", root);
    copy_run(base, dir);
    int uid = -1;
    if (geteuid() == 0) {
        /* Root passes every permission check: run as nobody, who may use the directory but
         * not write store.mdb. */
        uid = NOBODY;
        chmod(root, 0755);
        chmod(dir, 0777);
        snprintf(lock, sizeof lock, "%s/lock", dir);
        close(open(lock, O_CREAT | O_WRONLY, 0666));
        chmod(lock, 0666);
        chmod(out, 0666);
        chmod(store, 0644);
        char f[700];
        snprintf(f, sizeof f, "%s/fitness.jsonl", dir);
        chmod(f, 0666);
    } else {
        chmod(store, 0444);
    }
    hostile++;
    const char *argv[] = {evo_bin, "resume", dir, "--quiet", NULL};
    unlink(out);
    close(open(out, O_CREAT | O_WRONLY, 0666));
    chmod(out, 0666);
    int code = run_as(argv, out, uid);
    char *text = file_read_text(out, 0, NULL);
    CHECK_MSG(code == 1, "store.mdb not writable: resume exited %d: %s", code, text ? text : "");
    CHECK_CONTAINS(text, "EACCES");
    free(text);
    chmod(store, 0644);
    CHECK(count_of(dir) == base_count);
}

int main(void)
{
    snprintf(evo_bin, sizeof evo_bin, "%s/evo", EVO_BUILD_DIR);
    if (access(evo_bin, X_OK) != 0) {
        fprintf(stderr, "no evo binary at %s\n", evo_bin);
        return 1;
    }
    root = scratch_dir("store-damage");
    char base[600];
    snprintf(base, sizeof base, "%s/base", root);
    make_base(base);
    if (!base_print) return CHECK_DONE();
    test_swapped(base);
    test_truncated(base);
    test_damaged_roots(base);
    test_permission(base);
    test_disk_full();
    test_disk_full_hook();
    test_random_damage(base);
    printf("hostile cases tried: %d\n", hostile);
    free(base_print);
    int rc = CHECK_DONE();
    if (rc == 0) scratch_remove();
    return rc;
}
