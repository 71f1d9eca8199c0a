/* nvrtc.c -- compiles candidate sources to cubins with NVRTC (no GPU needed) and keeps a
 * content-addressed cubin cache, so a candidate seen before (resume, duplicates across
 * islands, `evo check` twice) costs a file read instead of a compile.
 *
 * Every call owns its nvrtcProgram, so concurrent compiles from engine slots need no lock.
 * The only shared state is read-once facts (include dir, NVRTC version) set up through
 * pthread_once. */
#include "nvrtc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evo_status.h"
#include "sha256.h"
#include "source_policy.h"

/* NVRTC's C API, declared here because CUDA's <nvrtc.h> has the same name as this module's
 * header and the build puts gpu/ first on the include path. These are the documented,
 * ABI-stable signatures of libnvrtc (CUDA 11 to 13). */
typedef struct _nvrtcProgram *nvrtcProgram;
typedef int nvrtcResult;
#define NVRTC_SUCCESS 0
const char *nvrtcGetErrorString(nvrtcResult result);
nvrtcResult nvrtcVersion(int *major, int *minor);
nvrtcResult nvrtcCreateProgram(nvrtcProgram *prog, const char *src, const char *name,
                               int numHeaders, const char *const *headers,
                               const char *const *includeNames);
nvrtcResult nvrtcDestroyProgram(nvrtcProgram *prog);
nvrtcResult nvrtcCompileProgram(nvrtcProgram prog, int numOptions, const char *const *options);
nvrtcResult nvrtcGetPTXSize(nvrtcProgram prog, size_t *ptxSizeRet);
nvrtcResult nvrtcGetPTX(nvrtcProgram prog, char *ptx);
nvrtcResult nvrtcGetCUBINSize(nvrtcProgram prog, size_t *cubinSizeRet);
nvrtcResult nvrtcGetCUBIN(nvrtcProgram prog, char *cubin);
nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram prog, size_t *logSizeRet);
nvrtcResult nvrtcGetProgramLog(nvrtcProgram prog, char *log);

#ifndef EVO_CUDA_HOME
#define EVO_CUDA_HOME "/usr/local/cuda"
#endif

#define LOG_LIMIT 8192
#define TASK_NAME_MAX 256

const char *arch_for_device(int major, int minor)
{
    static const char *const known[][3] = {
        {"7", "5", "sm_75"},    {"8", "0", "sm_80"},    {"8", "6", "sm_86"},
        {"8", "7", "sm_87"},    {"8", "9", "sm_89"},    {"9", "0", "sm_90a"},
        {"10", "0", "sm_100a"}, {"10", "3", "sm_103a"}, {"12", "0", "sm_120"},
        {"12", "1", "sm_121"},
    };
    char mj[8], mn[8];
    snprintf(mj, sizeof mj, "%d", major);
    snprintf(mn, sizeof mn, "%d", minor);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(known[i][0], mj) && !strcmp(known[i][1], mn)) return known[i][2];
    return "sm_90a"; /* unknown future parts: the caller reports the device; NVRTC errors out */
}

static pthread_once_t facts_once = PTHREAD_ONCE_INIT;
static char include_dir[1024];
static int have_include;
static char version[32];

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int try_cuda_home(const char *home)
{
    char probe[1100];
    if (!home || !home[0]) return 0;
    snprintf(probe, sizeof probe, "%s/include/cuda_bf16.h", home);
    if (!is_file(probe)) return 0;
    snprintf(include_dir, sizeof include_dir, "%s/include", home);
    return 1;
}

static void init_facts(void)
{
    have_include = try_cuda_home(getenv("CUDA_HOME")) || try_cuda_home(getenv("CUDA_PATH")) ||
                   try_cuda_home(EVO_CUDA_HOME) || try_cuda_home("/usr/local/cuda");
    int maj = 0, min = 0;
    if (nvrtcVersion(&maj, &min) != NVRTC_SUCCESS) maj = min = 0;
    snprintf(version, sizeof version, "%d.%d", maj, min);
}

const char *nvrtc_include_dir(void)
{
    pthread_once(&facts_once, init_facts);
    return have_include ? include_dir : NULL;
}

const char *nvrtc_version_string(void)
{
    pthread_once(&facts_once, init_facts);
    return version;
}

void nvrtc_cache_key(const char *source, const char *arch, const char *const *opts, int nopts,
                     char key[65])
{
    evo_sha256 s;
    uint8_t d[32];
    sha256_init(&s);
    const char *ver = nvrtc_version_string();
    sha256_update(&s, "evo-nvrtc-1", 12);
    sha256_update(&s, ver, strlen(ver) + 1);
    sha256_update(&s, arch, strlen(arch) + 1);
    for (int i = 0; i < nopts; i++)
        sha256_update(&s, opts[i], strlen(opts[i]) + 1);
    sha256_update(&s, source, strlen(source));
    sha256_final(&s, d);
    sha256_to_hex(d, key);
}

void nvrtc_output_free(nvrtc_output *o)
{
    if (!o) return;
    free(o->cubin);
    free(o->log);
    memset(o, 0, sizeof *o);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int set_log(nvrtc_output *out, const char *fmt, const char *a, const char *b)
{
    char buf[1400];
    snprintf(buf, sizeof buf, fmt, a, b);
    free(out->log);
    out->log = strdup(buf);
    return 0;
}

static int mkdir_p(const char *dir)
{
    char path[1024];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) return -1;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(path, 0777) && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(path, 0777) && errno != EEXIST) return -1;
    return 0;
}

static int cache_read(const char *path, nvrtc_output *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    struct stat st;
    if (fstat(fileno(f), &st) || st.st_size <= 0) {
        fclose(f);
        return -1;
    }
    void *buf = malloc((size_t)st.st_size);
    if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    out->cubin = buf;
    out->size = (size_t)st.st_size;
    return 0;
}

/* Write to a unique temporary name and rename, so readers never see half a cubin. */
static int cache_write(const char *dir, const char *path, const void *data, size_t n)
{
    if (mkdir_p(dir)) return -1;
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) return -1;
    const char *p = data;
    size_t left = n;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    fchmod(fd, 0644);
    if (close(fd) || rename(tmp, path)) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int run_nvrtc(const char *source, const char *name, const char *arch,
                     const char *const *opts, int nopts, nvrtc_output *out)
{
    const char *inc = nvrtc_include_dir();
    char archopt[64], incopt[1100], cccl[1100], ccclopt[1100];
    const char **all = (const char **)calloc((size_t)nopts + 8, sizeof *all);
    if (!all) return EVO_ENOMEM;
    int n = 0;
    snprintf(archopt, sizeof archopt, "--gpu-architecture=%s", arch);
    all[n++] = archopt;
    all[n++] = "-std=c++17";
    all[n++] = "-default-device";
    if (inc) {
        snprintf(incopt, sizeof incopt, "--include-path=%s", inc);
        all[n++] = incopt;
        snprintf(cccl, sizeof cccl, "%s/cccl/cub/cub.cuh", inc);
        if (is_file(cccl)) {
            snprintf(ccclopt, sizeof ccclopt, "--include-path=%s/cccl", inc);
            all[n++] = ccclopt;
        }
    }
    for (int i = 0; i < nopts; i++)
        all[n++] = opts[i];

    /* A name in a directory that cannot exist: a quoted include is looked up beside the
     * program, and the working directory must never be searched. */
    char vname[TASK_NAME_MAX];
    snprintf(vname, sizeof vname, "%s%s", SOURCE_VIRTUAL_DIR, name ? name : "candidate.cu");
    nvrtcProgram prog;
    nvrtcResult r = nvrtcCreateProgram(&prog, source, vname, 0, NULL, NULL);
    if (r != NVRTC_SUCCESS) {
        free(all);
        set_log(out, "nvrtcCreateProgram failed: %s%s", nvrtcGetErrorString(r), "");
        return EVO_ERROR;
    }
    double t0 = now_ms();
    nvrtcResult cr = nvrtcCompileProgram(prog, n, all);
    out->ms = now_ms() - t0;
    free(all);
    size_t lsz = 0;
    char *log = NULL;
    if (nvrtcGetProgramLogSize(prog, &lsz) == NVRTC_SUCCESS && lsz > 0 && (log = malloc(lsz + 1))) {
        if (nvrtcGetProgramLog(prog, log) != NVRTC_SUCCESS) log[0] = 0;
        log[lsz] = 0;
    }
    out->log = source_policy_scrub_log(log ? log : "", inc, LOG_LIMIT);
    free(log);
    int rc = EVO_OK;
    if (cr != NVRTC_SUCCESS) {
        rc = EVO_ECOMPILE;
        if (out->log && !out->log[0]) set_log(out, "%s%s", nvrtcGetErrorString(cr), "");
        goto done;
    }
    int ptx = !strncmp(arch, "compute_", 8);
    size_t sz = 0;
    r = ptx ? nvrtcGetPTXSize(prog, &sz) : nvrtcGetCUBINSize(prog, &sz);
    if (r != NVRTC_SUCCESS || sz == 0 || !(out->cubin = malloc(sz))) {
        rc = EVO_ERROR;
        set_log(out, "no %s produced for %s", ptx ? "PTX" : "cubin", arch);
        goto done;
    }
    r = ptx ? nvrtcGetPTX(prog, out->cubin) : nvrtcGetCUBIN(prog, out->cubin);
    if (r != NVRTC_SUCCESS) {
        rc = EVO_ERROR;
        set_log(out, "reading the cubin failed: %s%s", nvrtcGetErrorString(r), "");
        goto done;
    }
    out->size = sz;
done:
    nvrtcDestroyProgram(&prog);
    if (rc != EVO_OK) {
        free(out->cubin);
        out->cubin = NULL;
        out->size = 0;
    }
    return rc;
}

int nvrtc_compile(const char *source, const char *name, const char *arch, const char *const *opts,
                  int nopts, const char *cache_dir, size_t max_source, nvrtc_output *out)
{
    memset(out, 0, sizeof *out);
    char why[512];
    if (source_policy_check(source, max_source, why, sizeof why)) {
        out->log = strdup(why);
        return EVO_ECOMPILE;
    }
    char key[65], path[1200] = "";
    if (cache_dir && cache_dir[0]) {
        nvrtc_cache_key(source, arch, opts, nopts, key);
        snprintf(path, sizeof path, "%s/%s.cubin", cache_dir, key);
        if (cache_read(path, out) == 0) {
            out->cache_hit = 1;
            out->log = strdup("");
            return EVO_OK;
        }
    }
    int rc = run_nvrtc(source, name, arch, opts, nopts, out);
    if (!out->log) out->log = strdup("");
    if (rc != EVO_OK || !path[0]) return rc;
    if (cache_write(cache_dir, path, out->cubin, out->size)) {
        /* A cache we cannot write is an I/O fault of the run directory, not of the candidate:
         * the cubin is still returned; the log says why nothing was cached. */
        char note[1400];
        snprintf(note, sizeof note, "%s[cubin cache: cannot write %s: %s]\n", out->log, path,
                 strerror(errno));
        free(out->log);
        out->log = strdup(note);
    }
    return EVO_OK;
}
