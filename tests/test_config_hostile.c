/* test_config_hostile.c -- configs and task files built to hurt the readers (issue 18, items 9
 * and 10): huge, deep and wide texts, long key paths, many keys, a memory limit, and names
 * one typo away from a valid one.
 *
 * Each hostile load runs in a child under a 5 s alarm: a hang guard, not a benchmark (before
 * the limits, the 5 MB config took 116 s and 9.85 GB). A case that ran into the guard, or died
 * of a signal, fails with the reason. Run from the repository root. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "scratch.h"
#include "task.h"

#define GUARD_S 5

/* AddressSanitizer reserves terabytes of address space: an RLIMIT_AS above it means nothing. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static int hostile_cases;

/* ---- a growing text ----------------------------------------------------------------- */

typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void put(text *t, const char *s)
{
    size_t m = strlen(s);
    if (t->n + m + 1 > t->cap) {
        t->cap = (t->n + m + 1) * 2;
        t->p = realloc(t->p, t->cap);
        if (!t->p) abort();
    }
    memcpy(t->p + t->n, s, m + 1);
    t->n += m;
}

static void putf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(text *t, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(t, buf);
}

static void put_n(text *t, const char *s, int times)
{
    for (int i = 0; i < times; i++)
        put(t, s);
}

static const char *save(const char *name, const text *t)
{
    const char *path = scratch_path(name);
    FILE *f = fopen(path, "w");
    if (!f || fwrite(t->p, 1, t->n, f) != t->n) abort();
    fclose(f);
    return path;
}

/* ---- a load in a child -------------------------------------------------------------- */

typedef struct outcome {
    int rc;      /* the loader's return code */
    int died;    /* the signal that ended the child (SIGALRM: it ran past the guard), or 0 */
    double secs; /* wall time */
    char err[2048];
} outcome;

typedef int (*load_fn)(const void *arg, char *err, size_t errlen);

/* The address space now in use, in bytes. */
static size_t vm_bytes(void)
{
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1) pages = 0;
        fclose(f);
    }
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* Run fn in a child with the hang guard; with extra_as > 0, under an address-space limit of
 * what the child already uses plus extra_as bytes. */
static outcome in_child(load_fn fn, const void *arg, size_t extra_as)
{
    outcome o;
    memset(&o, 0, sizeof o);
    int fd[2];
    if (pipe(fd) != 0) abort();
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        alarm(GUARD_S);
        if (extra_as) {
            struct rlimit r = {vm_bytes() + extra_as, RLIM_INFINITY};
            r.rlim_max = r.rlim_cur;
            setrlimit(RLIMIT_AS, &r);
        }
        outcome c;
        memset(&c, 0, sizeof c);
        c.rc = fn(arg, c.err, sizeof c.err);
        if (write(fd[1], &c, sizeof c) != (ssize_t)sizeof c) _exit(2);
        _exit(0); /* no exit handlers: the parent's libraries' threads are not in the child */
    }
    close(fd[1]);
    ssize_t got = read(fd[0], &o, sizeof o);
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (got != (ssize_t)sizeof o) {
        memset(&o, 0, sizeof o);
        o.rc = -1;
        o.died = WIFSIGNALED(status) ? WTERMSIG(status) : -1;
    }
    o.secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    return o;
}

static int load_file(const void *arg, char *err, size_t errlen)
{
    evo_config *cfg = NULL;
    int rc = evo_config_load(arg, &cfg, err, errlen);
    evo_config_free(cfg);
    return rc;
}

static int parse_text(const void *arg, char *err, size_t errlen)
{
    evo_config *cfg = NULL;
    int rc = evo_config_parse(arg, "inline", &cfg, err, errlen);
    evo_config_free(cfg);
    return rc;
}

#define CHECK_FINISHED(o, what)                                                                    \
    CHECK_MSG((o).died == 0, "%s: the child %s after %.1f s", what,                                \
              (o).died == SIGALRM ? "ran past the hang guard" : "died", (o).secs)

/* A config load (file, or text when path is NULL) that must fail with exactly want. */
static void expect_refused(const char *what, const char *path, const char *textv, int want_rc,
                           const char *want)
{
    hostile_cases++;
    outcome o = path ? in_child(load_file, path, 0) : in_child(parse_text, textv, 0);
    CHECK_FINISHED(o, what);
    CHECK_MSG(o.rc == want_rc, "%s: rc %d, want %d (%s)", what, o.rc, want_rc, o.err);
    CHECK_MSG(strcmp(o.err, want) == 0, "%s:\n  got  %s\n  want %s", what, o.err, want);
}

static void expect_loaded(const char *what, const char *path)
{
    hostile_cases++;
    outcome o = in_child(load_file, path, 0);
    CHECK_FINISHED(o, what);
    CHECK_MSG(o.rc == EVO_OK, "%s: rc %d: %s", what, o.rc, o.err);
}

/* ---- size, depth, values ------------------------------------------------------------ */

/* The reproducer: 5 MB, 2,000 levels under evaluator.options, long keys (116 s and
 * 9.85 GB before). */
static void test_huge(void)
{
    text t = {0};
    put(&t, "{\"name\": \"x\", \"evaluator\": {\"kind\": \"synthetic\", \"options\": ");
    char key[2500];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = 0;
    for (int i = 0; i < 2000; i++) {
        put(&t, "{\"");
        put(&t, key + 99);
        put(&t, "\": ");
    }
    put(&t, "1");
    put_n(&t, "}", 2000);
    put(&t, "}}");
    const char *path = save("deep5mb.json", &t);
    char want[1200];
    snprintf(want, sizeof want, "%s: larger than 1048576 bytes (the limit for a config)", path);
    expect_refused("5 MB nested 2,000 deep", path, NULL, EVO_ECONFIG, want);

    /* 160,000 keys (51 s to be refused before). */
    t.n = 0;
    put(&t, "{");
    for (int i = 0; i < 160000; i++)
        putf(&t, "%s\"key%d\": %d", i ? "," : "", i, i);
    put(&t, "}");
    path = save("keys160k.json", &t);
    snprintf(want, sizeof want, "%s: larger than 1048576 bytes (the limit for a config)", path);
    expect_refused("160,000 keys", path, NULL, EVO_ECONFIG, want);

    /* A text handed to evo_config_parse is measured too: valid JSON padded past 1 MiB. */
    t.n = 0;
    put(&t, "{");
    put_n(&t, " ", 1 << 20);
    put(&t, "}");
    expect_refused("1 MiB of padding", NULL, t.p, EVO_ECONFIG,
                   "inline: 1048578 bytes, more than 1048576 (the limit for a config)");
    free(t.p);
}

/* Depth: 32 levels are allowed, the 33rd is refused where it opens, also when the text is
 * small (2,000 levels in 12 KB) or is arrays. */
static void test_depth(void)
{
    text t = {0};
    put(&t, "{\"evaluator\": {\"kind\": \"synthetic\", \"options\":\n");
    for (int i = 0; i < 30; i++)
        put(&t, "{\"k\":\n");
    put(&t, "1");
    put_n(&t, "}", 30);
    put(&t, "}}");
    expect_loaded("32 levels", save("depth32.json", &t));

    t.n = 0;
    put(&t, "{\"evaluator\": {\"kind\": \"synthetic\", \"options\":\n");
    for (int i = 0; i < 31; i++)
        put(&t, "  {\"k\":\n");
    put(&t, "1");
    put_n(&t, "}", 31);
    put(&t, "}}");
    const char *path = save("depth33.json", &t);
    char want[1200];
    snprintf(want, sizeof want, "%s:32:3: nested deeper than 32 levels (the limit for a config)",
             path);
    expect_refused("33 levels", path, NULL, EVO_ECONFIG, want);

    t.n = 0;
    put(&t, "{\"evaluator\": {\"kind\": \"synthetic\", \"options\": ");
    put_n(&t, "{\"k\":", 2000);
    put(&t, "1");
    put_n(&t, "}", 2000);
    put(&t, "}}");
    /* The 33rd brace: 2 opened by then, 30 of the 5-byte "{"k": before it. */
    snprintf(want, sizeof want,
             "inline:1:%d: nested deeper than 32 levels (the limit for a config)",
             (int)strlen("{\"evaluator\": {\"kind\": \"synthetic\", \"options\": ") + 30 * 5 + 1);
    expect_refused("2,000 levels in 12 KB", NULL, t.p, EVO_ECONFIG, want);

    t.n = 0;
    put(&t, "{\"evaluator\": {\"kind\": \"synthetic\", \"options\": {\"a\": ");
    put_n(&t, "[", 100000);
    put_n(&t, "]", 100000);
    put(&t, "}}}");
    snprintf(want, sizeof want,
             "inline:1:%d: nested deeper than 32 levels (the limit for a config)",
             (int)strlen("{\"evaluator\": {\"kind\": \"synthetic\", \"options\": {\"a\": ") + 30);
    expect_refused("100,000 nested arrays", NULL, t.p, EVO_ECONFIG, want);

    /* Brackets inside strings are not nesting. */
    t.n = 0;
    put(&t, "{\"evaluator\": {\"kind\": \"synthetic\", \"options\": {\"a\": \"");
    put_n(&t, "{[\\\"", 5000);
    put(&t, "\"}}}");
    expect_loaded("brackets in a string", save("brackets.json", &t));
    free(t.p);
}

static void options_with_keys(text *t, int n)
{
    t->n = 0;
    put(t, "{\"evaluator\": {\"kind\": \"synthetic\", \"options\": {");
    for (int i = 0; i < n; i++)
        putf(t, "%s\"key%d\": %d", i ? ", " : "", i, i);
    put(t, "}}}");
}

/* Values: members and elements at all levels, at most 10,000, with the defaults. */
static void test_values(void)
{
    text t = {0};
    options_with_keys(&t, 9000);
    expect_loaded("9,000 keys in evaluator.options", save("keys9000.json", &t));

    /* evaluator, kind, options and 9,998 keys: the 10,001st value is key9997. */
    options_with_keys(&t, 9998);
    const char *at = strstr(t.p, "\"key9997\"");
    char want[1200];
    snprintf(want, sizeof want,
             "inline:1:%d: more than 10000 keys and array elements (the limit for a config)",
             (int)(at - t.p) + 1);
    expect_refused("10,001 values", NULL, t.p, EVO_ECONFIG, want);

    /* Exactly 10,000 as written; the defaults would make the stored config pass the limit,
     * and evo_engine_open and resume read that one. */
    options_with_keys(&t, 9997);
    expect_refused("10,000 values and the defaults", NULL, t.p, EVO_ECONFIG,
                   "inline: with its defaults filled in, more than 10000 keys and array "
                   "elements (the limit for a config)");

    t.n = 0;
    put(&t, "{\"evaluator\": {\"kind\": \"synthetic\", \"options\": {\"a\": [");
    for (int i = 0; i < 20000; i++)
        put(&t, i ? ",0" : "0");
    put(&t, "]}}}");
    at = t.p + strlen("{\"evaluator\": {\"kind\": \"synthetic\", \"options\": {\"a\": [");
    snprintf(want, sizeof want,
             "inline:1:%d: more than 10000 keys and array elements (the limit for a config)",
             (int)(at - t.p) + 1 + 2 * (10000 - 4));
    expect_refused("20,000 array elements", NULL, t.p, EVO_ECONFIG, want);

    /* Wide and refused: each was quadratic in the number of members before. */
    t.n = 0;
    put(&t, "{");
    for (int i = 0; i < 9000; i++)
        putf(&t, "%s\"key%d\": %d", i ? ", " : "", i, i);
    put(&t, "}");
    expect_refused("9,000 unknown keys", NULL, t.p, EVO_ECONFIG,
                   "inline:1:2: unknown key 'key0' (valid keys here: name, seed, concurrency, "
                   "islands, migration, selection, archive, operators, bandit, mutation, stop, "
                   "store, log, constants, evaluator, llm)");
    t.n = 0;
    put(&t, "{\"operators\": {");
    for (int i = 0; i < 9000; i++)
        putf(&t, "%s\"op%d\": 1", i ? ", " : "", i);
    put(&t, "}}");
    expect_refused("9,000 operators", NULL, t.p, EVO_ECONFIG,
                   "inline:1:15: key 'operators': expected at most 16 members (defaults "
                   "included), found 9005");
    options_with_keys(&t, 9000);
    t.n -= 3;
    put(&t, ", \"key17\": 1}}}");
    at = strrchr(t.p, ',') + 2;
    snprintf(want, sizeof want,
             "inline:1:%d: duplicate key 'evaluator.options.key17' (first at "
             "1:%d)",
             (int)(at - t.p) + 1, (int)(strstr(t.p, "\"key17\"") - t.p) + 1);
    expect_refused("a duplicate after 9,000 keys", NULL, t.p, EVO_ECONFIG, want);
    free(t.p);
}

/* Long key paths: each value's path was kept in full (48 s and 7.9 GB for this one). */
static void test_long_paths(void)
{
    char *key = malloc(900001);
    memset(key, 'z', 900000);
    key[900000] = 0;
    text t = {0};
    put(&t, "{\"evaluator\": {\"kind\": \"synthetic\", \"options\": {\"");
    put(&t, key);
    put(&t, "\": {");
    for (int i = 0; i < 9000; i++)
        putf(&t, "%s\"c%d\": 1", i ? ", " : "", i);
    put(&t, "}}}}");
    expect_loaded("9,000 members under a 900 KB key", save("longparent.json", &t));

    t.n = 0;
    put(&t, "{\"evaluator\": {\"kind\": \"synthetic\", \"options\": ");
    for (int i = 0; i < 28; i++) {
        put(&t, "{\"");
        put(&t, key + 900000 - 33000);
        putf(&t, "%d\": ", i);
    }
    put(&t, "1");
    put_n(&t, "}", 28);
    put(&t, "}}");
    expect_loaded("28 levels of 33 KB keys", save("deepkeys.json", &t));

    /* A duplicate below a path too long to keep is named by its key. */
    t.n = 0;
    put(&t, "{\"evaluator\": {\"kind\": \"synthetic\", \"options\": {\"");
    put(&t, key + 900000 - 600);
    put(&t, "\": {\"dup\": 1, \"dup\": 2}}}}");
    char want[256];
    snprintf(want, sizeof want, "inline:1:%d: duplicate key 'dup' (first at 1:%d)",
             (int)(strrchr(t.p, 'd') - t.p), (int)(strstr(t.p, "\"dup\"") - t.p) + 1);
    expect_refused("a duplicate under a 600-byte key", NULL, t.p, EVO_ECONFIG, want);
    free(t.p);
    free(key);
}

/* Under a memory limit every failure says "out of memory" and names the file (it printed
 * "evo: " before). The limits run from barely above what the child uses up to enough. */
static void test_memory_limit(void)
{
#ifdef UNDER_ASAN
    printf("memory limit: not tried under AddressSanitizer (it reserves the address space)\n");
    return;
#endif
    text t = {0};
    put(&t, "{\"name\": \"x\", \"evaluator\": {\"kind\": \"synthetic\", \"options\": {");
    for (int i = 0; i < 9000; i++)
        putf(&t, "%s\"key%d\": \"%090d\"", i ? ", " : "", i, i);
    put(&t, "}}}");
    const char *path = save("mem.json", &t);
    free(t.p);
    int oom = 0, ok = 0;
    for (size_t mb = 1; mb <= 64; mb += mb < 16 ? 1 : 8) {
        hostile_cases++;
        outcome o = in_child(load_file, path, mb << 20);
        CHECK_FINISHED(o, "memory limit");
        if (o.rc == EVO_OK) {
            ok++;
            continue;
        }
        CHECK_MSG(o.rc == EVO_ENOMEM, "+%zu MB: rc %d: %s", mb, o.rc, o.err);
        CHECK_MSG(strstr(o.err, path) && strstr(o.err, "out of memory"),
                  "+%zu MB: the message names neither the file nor the cause: \"%s\"", mb, o.err);
        oom += o.rc == EVO_ENOMEM;
    }
    CHECK_MSG(oom > 0 && ok > 0, "%d limits ran out of memory, %d loaded: want both", oom, ok);
}

/* ---- names one typo away ------------------------------------------------------------ */

static void test_typos(void)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"{\"operators\": {\"pointt\": 1}}",
         "inline:1:16: key 'operators.pointt': unknown operator 'pointt' (did you mean 'point'?)"},
        {"{\"operators\": {\"point\": 1, \"crosover\": 0}}",
         "inline:1:28: key 'operators.crosover': unknown operator 'crosover' (did you mean "
         "'crossover'?)"},
        {"{\"operators\": {\"restrat\": 0.5}}",
         "inline:1:16: key 'operators.restrat': unknown operator 'restrat' (did you mean "
         "'restart'?)"},
        {"{\"operators\": {\"mult\": 0}}",
         "inline:1:16: key 'operators.mult': unknown operator 'mult' (did you mean 'multi'?)"},
        {"{\"operators\": {\"llmm\": 1}}",
         "inline:1:16: key 'operators.llmm': unknown operator 'llmm' (did you mean 'llm'?)"},
        {"{\"islands\": {\"features\": [{\"kind\": \"metric\", \"name\": \"frac_bww\"}]}}",
         "inline:1:54: key 'islands.features[0].name': unknown metric \"frac_bww\" (did you "
         "mean \"frac_bw\"?)"},
        {"{\"islands\": {\"features\": [{\"kind\": \"template\"}, {\"kind\": \"metric\", "
         "\"name\": \"speedup_geomaen\"}]}}",
         "inline:1:76: key 'islands.features[1].name': unknown metric \"speedup_geomaen\" (did "
         "you mean \"speedup_geomean\"?)"},
        {"{\"evaluator\": {\"kind\": \"synthetic\"}, \"islands\": {\"features\": [{\"kind\": "
         "\"metric\", \"name\": \"gbps\"}]}}",
         "inline:1:90: key 'islands.features[0].name': unknown metric \"gbps\" (the synthetic "
         "evaluator reports: latency_us, baseline_us, speedup, fitness_measured, confirm_ratio, "
         "confirm_noise, confirm_rounds, confirmed)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hostile_cases++;
        evo_config *cfg = NULL;
        char err[1024] = "";
        int rc = evo_config_parse(cases[i].text, "inline", &cfg, err, sizeof err);
        CHECK_MSG(rc == EVO_ECONFIG && !cfg, "%s: rc %d", cases[i].text, rc);
        CHECK_MSG(strcmp(err, cases[i].want) == 0, "\n  got  %s\n  want %s", err, cases[i].want);
        evo_config_free(cfg);
    }
    /* Names far from every shipped one may be a program's own operators; a custom evaluator
     * reports metrics of its own. */
    static const char *const fine[] = {
        "{\"operators\": {\"my-op\": 1, \"llm\": 0}}",
        "{\"evaluator\": {\"kind\": \"custom\"}, \"islands\": {\"features\": [{\"kind\": "
        "\"metric\", \"name\": \"my_figure\"}]}}",
        "{\"islands\": {\"features\": [{\"kind\": \"metric\", \"name\": \"frac_bw\"}]}}",
    };
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        evo_config *cfg = NULL;
        char err[1024] = "";
        CHECK_MSG(evo_config_parse(fine[i], "inline", &cfg, err, sizeof err) == EVO_OK, "%s: %s",
                  fine[i], err);
        evo_config_free(cfg);
    }
}

/* What the engine refuses when the run starts: operators nobody added, parameters no seed
 * has (the synthetic evaluator's seed has P0..P3 with the default 4 dimensions). */
static void expect_run_refused(const char *cfgtext, const char *want)
{
    hostile_cases++;
    evo_config *cfg = NULL;
    char err[1024] = "";
    CHECK_MSG(evo_config_parse(cfgtext, "inline", &cfg, err, sizeof err) == EVO_OK, "%s", err);
    if (!cfg) return;
    static int n;
    char name[32];
    snprintf(name, sizeof name, "run%d", n++);
    evo_engine *e = NULL;
    int rc = evo_engine_open(&e, scratch_path(name), cfg);
    if (rc == EVO_OK) rc = evo_engine_configure(e);
    CHECK_MSG(rc == EVO_OK, "open: %s", e ? evo_errmsg(e) : "?");
    if (rc == EVO_OK) rc = evo_engine_run(e);
    CHECK_MSG(rc == EVO_ECONFIG, "run: rc %d", rc);
    CHECK_MSG(e && strcmp(evo_errmsg(e), want) == 0, "\n  got  %s\n  want %s",
              e ? evo_errmsg(e) : "?", want);
    evo_engine_close(e);
    evo_config_free(cfg);
}

static void test_engine_names(void)
{
#define SYN "\"evaluator\": {\"kind\": \"synthetic\"}, \"stop\": {\"max_evaluations\": 2}"
    expect_run_refused("{" SYN ", \"operators\": {\"banana\": 1}}",
                       "config key 'operators.banana': no operator called 'banana' was added "
                       "(operators: point, multi, crossover, restart)");
    expect_run_refused("{" SYN ", \"islands\": {\"features\": [{\"kind\": \"param\", \"name\": "
                       "\"Q1\"}]}}",
                       "config key 'islands.features[0].name': no seed template has a "
                       "parameter called 'Q1' (did you mean 'P1'?)");
    expect_run_refused("{" SYN ", \"islands\": {\"features\": [{\"kind\": \"template\"}, "
                       "{\"kind\": \"param\", \"name\": \"block_m\"}]}}",
                       "config key 'islands.features[1].name': no seed template has a "
                       "parameter called 'block_m' (parameters: P0, P1, P2, P3)");
    /* And a name that is there runs. */
    evo_config *cfg = NULL;
    char err[1024];
    CHECK(evo_config_parse("{" SYN ", \"islands\": {\"features\": [{\"kind\": \"param\", "
                           "\"name\": \"P2\"}]}}",
                           "inline", &cfg, err, sizeof err) == EVO_OK);
    evo_engine *e = NULL;
    int rc = evo_engine_open(&e, scratch_path("run-ok"), cfg);
    if (rc == EVO_OK) rc = evo_engine_configure(e);
    if (rc == EVO_OK) rc = evo_engine_run(e);
    CHECK_MSG(rc == EVO_OK, "run: %s", e ? evo_errmsg(e) : "?");
    evo_engine_close(e);
    evo_config_free(cfg);
#undef SYN
}

/* ---- task files --------------------------------------------------------------------- */

#define DEF_HEAD                                                                                   \
    "{\"name\": \"g\", \"op_type\": \"gemm\", \"axes\": {\"M\": {\"type\": \"var\"}}, "            \
    "\"inputs\": {\"A\": {\"shape\": [\"M\"], \"dtype\": \"float32\"}}, "                          \
    "\"outputs\": {\"C\": {\"shape\": [\"M\"], \"dtype\": \"float32\"}}"

typedef struct task_case {
    const char *path;
    const task_definition *def; /* workloads when set, else a definition */
} task_case;

static int load_task_file(const void *arg, char *err, size_t errlen)
{
    const task_case *c = arg;
    if (c->def) {
        task_workload *w = NULL;
        int n = task_load_workloads(c->path, c->def, &w, err, errlen);
        task_workloads_free(w, n > 0 ? n : 0);
        return n < 0 ? -1 : 0;
    }
    task_definition d;
    int rc = task_load_definition(c->path, &d, err, errlen);
    if (rc == 0) task_definition_free(&d);
    return rc;
}

static void expect_task_refused(const char *what, const char *path, const task_definition *def,
                                const char *want_suffix)
{
    hostile_cases++;
    task_case c = {path, def};
    outcome o = in_child(load_task_file, &c, 0);
    CHECK_FINISHED(o, what);
    char want[1200];
    snprintf(want, sizeof want, "%s%s", path, want_suffix);
    CHECK_MSG(o.rc == -1 && strcmp(o.err, want) == 0, "%s:\n  got  %s\n  want %s", what, o.err,
              want);
}

static void workload_line(text *t, int uuid, const char *extra)
{
    putf(t,
         "{\"definition\": \"g\", \"workload\": {\"uuid\": \"u%d\", \"axes\": {\"M\": 4}, "
         "\"inputs\": {\"A\": {\"type\": \"random\"}}}%s}\n",
         uuid, extra);
}

static void test_task_files(void)
{
    text t = {0};
    put(&t, DEF_HEAD ", \"description\": \"");
    put_n(&t, "0123456789abcdef", 5 << 16);
    put(&t, "\"}");
    expect_task_refused("a 5 MB definition", save("big.json", &t), NULL,
                        ": larger than 4194304 bytes (the limit for a task or definition file)");
    t.n = 0;
    put(&t, DEF_HEAD ", \"description\": ");
    put_n(&t, "[", 40);
    put_n(&t, "]", 40);
    put(&t, "}");
    char suffix[256];
    snprintf(suffix, sizeof suffix,
             ":1:%d: nested deeper than 32 levels (the limit for a task or definition file)",
             (int)strlen(DEF_HEAD ", \"description\": ") + 32);
    expect_task_refused("a definition 41 levels deep", save("deep.json", &t), NULL, suffix);

    task_definition d;
    char err[512];
    t.n = 0;
    put(&t, DEF_HEAD "}");
    CHECK_MSG(task_load_definition(save("def.json", &t), &d, err, sizeof err) == 0, "%s", err);

    t.n = 0;
    workload_line(&t, 1, "");
    put(&t, "{\"definition\": \"g\", \"x\": \"");
    put_n(&t, "0123456789abcdef", 1 << 17);
    put(&t, "\"}\n");
    expect_task_refused("a 2 MB workload line", save("long.jsonl", &t), &d,
                        ":2: longer than 1048576 bytes (the limit for a workload line)");
    expect_task_refused("/dev/zero as workloads", "/dev/zero", &d,
                        ":1: longer than 1048576 bytes (the limit for a workload line)");
    t.n = 0;
    put(&t, "{\"definition\": \"g\", \"evaluation\": ");
    put_n(&t, "{\"a\":", 40);
    put(&t, "1");
    put_n(&t, "}", 40);
    put(&t, "}\n");
    snprintf(suffix, sizeof suffix,
             ":1:%d: nested deeper than 32 levels (the limit for a workload line)",
             (int)strlen("{\"definition\": \"g\", \"evaluation\": ") + 31 * 5 + 1);
    expect_task_refused("a workload line 41 levels deep", save("deepline.jsonl", &t), &d, suffix);
    t.n = 0;
    put(&t, "{\"definition\": \"g\", \"evaluation\": [0");
    put_n(&t, ",0", 100000);
    put(&t, "]}\n");
    snprintf(suffix, sizeof suffix,
             ":1:%d: more than 100000 keys and array elements (the limit for a workload line)",
             (int)strlen("{\"definition\": \"g\", \"evaluation\": [0") + 2 * (100000 - 2));
    expect_task_refused("100,001 values on a line", save("wideline.jsonl", &t), &d, suffix);
    t.n = 0;
    for (int i = 0; i <= 10000; i++)
        workload_line(&t, i, "");
    expect_task_refused("10,001 workloads", save("many.jsonl", &t), &d,
                        ":10001: more than 10000 workloads of g (the limit for a workloads "
                        "file)");
    t.n = 0;
    for (int i = 0; i < 10000; i++)
        workload_line(&t, i, "");
    hostile_cases++;
    task_case ok = {save("10k.jsonl", &t), &d};
    outcome o = in_child(load_task_file, &ok, 0);
    CHECK_FINISHED(o, "10,000 workloads");
    CHECK_MSG(o.rc == 0, "10,000 workloads: %s", o.err);
    task_definition_free(&d);
    free(t.p);
}

int main(void)
{
    scratch_dir("config-hostile");
    test_huge();
    test_depth();
    test_values();
    test_long_paths();
    test_memory_limit();
    test_typos();
    test_engine_names();
    test_task_files();
    printf("%d hostile cases\n", hostile_cases);
    scratch_remove();
    return CHECK_DONE();
}
