/* gpu_adversarial.c -- candidates that cheat, in the shipped candidate format, against the
 * real evaluator (needs a GPU; label gpu). One per class of exploit seen in public kernel
 * harnesses, each asserting the status it gets, and honest controls asserting PASSED:
 *
 *   telling checked runs from timed ones: by the poison in the output, by counting calls
 *   (honest for the first three), by %globaltimer gaps, by a random skip;
 *   caches keyed on input contents or on input addresses;
 *   reading memory beside the output (where an older harness kept its reference) and
 *   scribbling over it (the next honest candidate must keep its verdict);
 *   L2 residency through evict_last loads; constant, NaN and shape-hardcoded outputs; a
 *   persistent kernel; a device-side launch; oversized sources, host-file includes,
 *   astronomical grids and launch attributes; a workload faster than its physical floor
 *   (a task whose cost model lies); partial work inside a loose matched ratio;
 *   and, as controls, the honest kernel, every RMSNorm seed at its defaults and at random
 *   points of its space.
 *
 * A cheat that cannot tell runs apart must either fail or behave honestly: where a cheat
 * passes, its latency must be within 15 % of the honest kernel's (no speed from cheating). */
#include <math.h>

#include "gpu_harness.h"
#include "space.h"

enum {
    ADV_HONEST = 0,
    ADV_POISON_PEEK = 1,    /* computes only when the output holds the poison (a checked run) */
    ADV_CALL_COUNT = 2,     /* honest for its first three calls, then leaves the output alone */
    ADV_TIMER_GAP = 3,      /* works only after a long gap since its last call (a checked run) */
    ADV_CONTENT_CACHE = 4,  /* keeps each row's answer by a fingerprint of the row's inputs */
    ADV_ADDRESS_CACHE = 5,  /* keeps its answers by the input's address */
    ADV_READ_BESIDE = 6,    /* copies what lies past its output (an older harness's reference) */
    ADV_SCRIBBLE = 7,       /* honest, then zeroes 64 KiB past its output */
    ADV_EVICT_LAST = 8,     /* honest, loads with an evict_last L2 policy */
    ADV_CONSTANT = 9,       /* writes zeros */
    ADV_NAN = 10,           /* writes NaN */
    ADV_HARDCODE = 11,      /* handles seven rows whatever the batch */
    ADV_PERSISTENT = 12,    /* never returns */
    ADV_RANDOM_SKIP = 13,   /* skips the work on three calls in four */
    ADV_DEVICE_LAUNCH = 14, /* launches a child grid from the device */
    ADV_SKIP_ROWS = 15      /* writes zeros in one row of twenty (partial work) */
};

static const char ADV_SRC[] =
    "#include <cuda_bf16.h>\n"
    "/* evo:params\n"
    " MODE range 0..15 default 0\n"
    "*/\n"
    "/* evo:launch\n"
    " kernel adv\n"
    "   grid  batch_size\n"
    "   block 256\n"
    "   args  hidden_states, weight, output, batch_size, hidden_size\n"
    "*/\n"
    "#ifndef MODE\n#define MODE 0\n#endif\n"
    "__device__ unsigned int calls;\n"
    "__device__ unsigned long long last_end;\n"
    "__device__ unsigned long long fp_of[256];\n"
    "__device__ const void *cached_x;\n"
    "__device__ __nv_bfloat16 stash[256 * 4096];\n"
    "__device__ unsigned long long now() { unsigned long long t; asm volatile(\"mov.u64 %0, "
    "%%globaltimer;\" : \"=l\"(t)); return t; }\n"
    "#if MODE == 14\n"
    "__global__ void child(__nv_bfloat16 *y) { y[0] = y[0]; }\n"
    "#endif\n"
    "extern \"C\" __global__ void adv(const __nv_bfloat16 *x, const __nv_bfloat16 *w, "
    "__nv_bfloat16 *y,\n"
    "                                int batch, int hidden) {\n"
    "    __shared__ float part[256];\n"
    "    __shared__ int skip;\n"
    "    int row = blockIdx.x;\n"
    "    const __nv_bfloat16 *xr = x + (size_t)row * hidden;\n"
    "    __nv_bfloat16 *yr = y + (size_t)row * hidden;\n"
    "    if (threadIdx.x == 0) {\n"
    "        skip = 0;\n"
    "#if MODE == 1\n"
    "        unsigned short raw = *(const unsigned short *)yr;\n"
    "        skip = raw != 0xFFFF;\n"
    "#elif MODE == 2\n"
    "        skip = *(volatile unsigned int *)&calls >= 3;\n"
    "#elif MODE == 3\n"
    "        skip = now() - *(volatile unsigned long long *)&last_end < 200000ull;\n"
    "#elif MODE == 4\n"
    "        if (row < 256) {\n"
    "            unsigned long long f = 1469598103934665603ull;\n"
    "            for (int i = 0; i < 16; i++) f = (f ^ *(const unsigned short *)(xr + i)) * "
    "1099511628211ull;\n"
    "            skip = fp_of[row] == f ? 2 : 0;\n"
    "            fp_of[row] = f;\n"
    "        }\n"
    "#elif MODE == 5\n"
    "        skip = row < 256 && *(const void *volatile *)&cached_x == (const void *)x ? 2 : 0;\n"
    "#elif MODE == 13\n"
    "        skip = ((now() >> 5) & 3) != 0;\n"
    "#endif\n"
    "    }\n"
    "    __syncthreads();\n"
    "#if MODE == 12\n"
    "    for (;;) { if (*(volatile unsigned int *)&calls == 0xdeadbeefu) break; __nanosleep(1000); "
    "}\n"
    "#endif\n"
    "#if MODE == 14\n"
    "    if (row == 0 && threadIdx.x == 0) child<<<1, 1>>>(y);\n"
    "#endif\n"
    "    if (skip == 2) {\n"
    "        for (int i = threadIdx.x; i < hidden; i += blockDim.x) yr[i] = stash[(size_t)row * "
    "hidden + i];\n"
    "        return;\n"
    "    }\n"
    "    if (skip) return;\n"
    "#if MODE == 6\n"
    "    const __nv_bfloat16 *beside = y + (size_t)batch * hidden + 128;\n"
    "    for (int i = threadIdx.x; i < hidden; i += blockDim.x) yr[i] = beside[(size_t)row * "
    "hidden + i];\n"
    "    return;\n"
    "#endif\n"
    "#if MODE == 11\n"
    "    if (row >= 7) return;\n"
    "#endif\n"
    "    float s = 0.f;\n"
    "    for (int i = threadIdx.x; i < hidden; i += blockDim.x) {\n"
    "#if MODE == 8\n"
    "        unsigned long long pol; unsigned short raw;\n"
    "        asm volatile(\"createpolicy.fractional.L2::evict_last.b64 %0, 1.0;\" : \"=l\"(pol));\n"
    "        asm volatile(\"ld.global.L2::cache_hint.b16 %0, [%1], %2;\" : \"=h\"(raw) : \"l\"(xr "
    "+ i), \"l\"(pol));\n"
    "        float v = __bfloat162float(__ushort_as_bfloat16(raw));\n"
    "#else\n"
    "        float v = __bfloat162float(xr[i]);\n"
    "#endif\n"
    "        s += v * v;\n"
    "    }\n"
    "    part[threadIdx.x] = s;\n"
    "    __syncthreads();\n"
    "    for (int k = 128; k > 0; k >>= 1) { if (threadIdx.x < k) part[threadIdx.x] += "
    "part[threadIdx.x + k]; __syncthreads(); }\n"
    "    float inv = rsqrtf(part[0] / (float)hidden + 1e-5f);\n"
    "    for (int i = threadIdx.x; i < hidden; i += blockDim.x) {\n"
    "        __nv_bfloat16 o = __float2bfloat16(__bfloat162float(xr[i]) * inv * "
    "__bfloat162float(w[i]));\n"
    "#if MODE == 9\n"
    "        o = __float2bfloat16(0.f);\n"
    "#elif MODE == 10\n"
    "        o = __float2bfloat16(__int_as_float(0x7fc00000));\n"
    "#elif MODE == 15\n"
    "        if (row % 20 == 7) o = __float2bfloat16(0.f);\n"
    "#endif\n"
    "        yr[i] = o;\n"
    "#if MODE == 4 || MODE == 5\n"
    "        if (row < 256) stash[(size_t)row * hidden + i] = o;\n"
    "#endif\n"
    "    }\n"
    "#if MODE == 7\n"
    "    if (row == batch - 1) {\n"
    "        unsigned char *p = (unsigned char *)(y + (size_t)batch * hidden);\n"
    "        for (int i = threadIdx.x; i < 65536; i += blockDim.x) p[i] = 0;\n"
    "    }\n"
    "#endif\n"
    "    __syncthreads();\n"
    "    if (threadIdx.x == 0 && row == 0) {\n"
    "        atomicAdd(&calls, 1u);\n"
    "        last_end = now();\n"
    "        cached_x = x;\n"
    "    }\n"
    "}\n";

static double honest_us[2];
static const char *WL[2] = {"batch_size=7", "batch_size=8192"};

/* A cheat either fails with one of the statuses given, or passes at honest speed. */
static void expect_caught(evo_evaluator *ev, int mode, const char *what, evo_status want,
                          evo_status also)
{
    evo_result *r = harness_eval(ev, ADV_SRC, mode);
    if (r->status == EVO_STATUS_PASSED &&
        (want == EVO_STATUS_PASSED || also == EVO_STATUS_PASSED)) {
        for (int i = 0; i < 2; i++) {
            double us = harness_metric(r, WL[i], "latency_us");
            CHECK_MSG(us > 0.85 * honest_us[i],
                      "%s passed %.2fx faster than honest on %s (%.2f vs %.2f us)", what,
                      honest_us[i] / us, WL[i], us, honest_us[i]);
        }
        printf("%-22s PASSED at honest speed (%.2f, %.2f us)\n", what,
               harness_metric(r, WL[0], "latency_us"), harness_metric(r, WL[1], "latency_us"));
    } else {
        CHECK_MSG(r->status == want || r->status == also, "%s: got %s (%s), want %s", what,
                  evo_status_name(r->status), r->error ? r->error : "", evo_status_name(want));
        CHECK(r->fitness == 0);
        printf("%-22s %s: %.160s\n", what, evo_status_name(r->status), r->error ? r->error : "");
    }
    result_free(r);
}

static void expect_status(evo_evaluator *ev, const char *src, int np, const char *const *names,
                          const char *const *values, const char *what, evo_status want,
                          const char *text)
{
    evo_result *r = harness_eval_params(ev, src, np, names, values);
    CHECK_MSG(r->status == want, "%s: got %s (%s), want %s", what, evo_status_name(r->status),
              r->error ? r->error : "", evo_status_name(want));
    if (text) CHECK_CONTAINS(r->error, text);
    printf("%-22s %s: %.160s\n", what, evo_status_name(r->status), r->error ? r->error : "");
    result_free(r);
}

static void honest(evo_evaluator *ev, int remember)
{
    evo_result *r = harness_eval(ev, ADV_SRC, ADV_HONEST);
    CHECK_MSG(r->status == EVO_STATUS_PASSED, "honest kernel: %s (%s)", evo_status_name(r->status),
              r->error ? r->error : "");
    for (int i = 0; remember && i < 2; i++)
        honest_us[i] = harness_metric(r, WL[i], "latency_us");
    result_free(r);
}

static void test_cheats(void)
{
    gpu_evaluator *g = NULL;
    evo_evaluator ev;
    int rc =
        harness_open(", \"workloads\": [\"batch_size=7\", \"batch_size=8192\"], \"warmup\": 10, "
                     "\"iterations\": 50, \"timeout_s\": 10",
                     &g, &ev);
    CHECK(rc == 0);
    if (rc) return;
    honest(&ev, 1);
    printf("honest kernel: %.2f us, %.2f us\n", honest_us[0], honest_us[1]);
    expect_caught(&ev, ADV_POISON_PEEK, "poison peek", EVO_STATUS_PASSED,
                  EVO_STATUS_INCORRECT_NUMERICAL);
    expect_caught(&ev, ADV_CALL_COUNT, "honest first 3 calls", EVO_STATUS_INCORRECT_NUMERICAL,
                  EVO_STATUS_COUNT);
    expect_caught(&ev, ADV_TIMER_GAP, "globaltimer gap", EVO_STATUS_INCORRECT_NUMERICAL,
                  EVO_STATUS_PASSED);
    expect_caught(&ev, ADV_RANDOM_SKIP, "random skip", EVO_STATUS_INCORRECT_NUMERICAL,
                  EVO_STATUS_COUNT);
    expect_caught(&ev, ADV_CONTENT_CACHE, "content cache", EVO_STATUS_PASSED,
                  EVO_STATUS_INCORRECT_NUMERICAL);
    expect_caught(&ev, ADV_ADDRESS_CACHE, "address cache", EVO_STATUS_INCORRECT_NUMERICAL,
                  EVO_STATUS_COUNT);
    expect_caught(&ev, ADV_READ_BESIDE, "read beside output", EVO_STATUS_INCORRECT_NUMERICAL,
                  EVO_STATUS_RUNTIME_ERROR);
    expect_caught(&ev, ADV_SCRIBBLE, "scribble past output", EVO_STATUS_GUARD_VIOLATION,
                  EVO_STATUS_RUNTIME_ERROR);
    honest(&ev, 0); /* the scribble changed nothing of the harness's: verdicts stand */
    expect_caught(&ev, ADV_EVICT_LAST, "evict_last loads", EVO_STATUS_PASSED, EVO_STATUS_COUNT);
    expect_caught(&ev, ADV_CONSTANT, "constant output", EVO_STATUS_INCORRECT_NUMERICAL,
                  EVO_STATUS_COUNT);
    expect_caught(&ev, ADV_NAN, "NaN output", EVO_STATUS_INCORRECT_NUMERICAL, EVO_STATUS_COUNT);
    expect_caught(&ev, ADV_HARDCODE, "hardcoded shape", EVO_STATUS_INCORRECT_NUMERICAL,
                  EVO_STATUS_COUNT);
    expect_caught(&ev, ADV_DEVICE_LAUNCH, "device-side launch", EVO_STATUS_COMPILE_ERROR,
                  EVO_STATUS_RUNTIME_ERROR);
    expect_caught(&ev, ADV_PERSISTENT, "persistent kernel", EVO_STATUS_TIMEOUT, EVO_STATUS_COUNT);
    honest(&ev, 0);

    /* Sources and plans, refused before anything runs. */
    size_t big = 50u << 20;
    char *huge = malloc(big + sizeof ADV_SRC);
    if (huge) {
        memcpy(huge, ADV_SRC, sizeof ADV_SRC - 1);
        memset(huge + sizeof ADV_SRC - 1, ' ', big);
        huge[sizeof ADV_SRC - 1 + big] = 0;
        expect_status(&ev, huge, 0, NULL, NULL, "50 MiB source", EVO_STATUS_COMPILE_ERROR,
                      "over the limit");
        free(huge);
    }
    char src[sizeof ADV_SRC + 64];
    snprintf(src, sizeof src, "#include \"/etc/passwd\"\n%s", ADV_SRC);
    evo_result *r = harness_eval_params(&ev, src, 0, NULL, NULL);
    CHECK(r->status == EVO_STATUS_COMPILE_ERROR);
    CHECK_CONTAINS(r->error, "source policy: line 1");
    CHECK_MSG(!strstr(r->error ? r->error : "", "root:"), "the host file reached the error: %s",
              r->error);
    CHECK(!json_object_get(r->artifacts, "compile_log") ||
          !strstr(json_string_value(json_object_get(r->artifacts, "compile_log")), "root:"));
    printf("%-22s %s: %.100s\n", "include /etc/passwd", evo_status_name(r->status), r->error);
    result_free(r);
    const char *grid_src =
        "/* evo:launch\n kernel k\n   grid 65536, 65535, 65535\n   block 1024\n   args output\n*/\n"
        "#include <cuda_bf16.h>\nextern \"C\" __global__ void k(__nv_bfloat16 *y) { y[0] = y[0]; "
        "}\n";
    expect_status(&ev, grid_src, 0, NULL, NULL, "astronomical grid", EVO_STATUS_COMPILE_ERROR,
                  "blocks (at most");
    const char *attr_src = "/* evo:launch\n kernel k\n   grid 1\n   block 32\n   access_policy "
                           "persisting 1.0\n   args output\n*/\n"
                           "#include <cuda_bf16.h>\nextern \"C\" __global__ void k(__nv_bfloat16 "
                           "*y) { y[0] = y[0]; }\n";
    expect_status(&ev, attr_src, 0, NULL, NULL, "access-policy window", EVO_STATUS_COMPILE_ERROR,
                  "cannot set launch attributes");
    ev.stop(ev.user);
    gpu_evaluator_free(g);
}

/* Honest controls: every RMSNorm seed at its defaults and at three random points. */
static void test_controls(void)
{
    gpu_evaluator *g = NULL;
    evo_evaluator ev;
    int rc =
        harness_open(", \"workloads\": [\"batch_size=7\", \"batch_size=8192\"], \"warmup\": 4, "
                     "\"iterations\": 20, \"timeout_s\": 30",
                     &g, &ev);
    CHECK(rc == 0);
    if (rc) return;
    const evo_task *t = gpu_evaluator_task(g);
    evo_pcg32 rng;
    pcg32_seed(&rng, 42, 7);
    evo_constants k0;
    constants_init(&k0);
    constants_set(&k0, "SMEM_LIMIT", 232448);
    constants_set(&k0, "SMEM_OPTIN", 232448);
    constants_set(&k0, "SM_COUNT", 132);
    constants_set(&k0, "L2_BYTES", 50 << 20);
    for (int i = 0; i < t->nseeds; i++) {
        char err[512];
        evo_space *sp = space_parse(t->seed_sources[i], err, sizeof err);
        CHECK_MSG(sp != NULL, "%s", err);
        if (!sp) continue;
        for (int k = 0; k < 4; k++) {
            evo_point pt = point_new(sp);
            for (int tries = 0; k > 0 && tries < 100; tries++) {
                for (int p = 0; p < sp->nparams; p++)
                    pt.idx[p] = (int)pcg32_bounded(&rng, (uint32_t)sp->params[p].nvalues);
                if (space_check(sp, &k0, &pt, err, sizeof err) == 1) break;
            }
            evo_genome *gen = genome_new(t->seed_names[i], t->seed_sources[i], sp, &pt);
            evo_result *r = result_new();
            ev.evaluate(ev.user, 0, gen, r);
            CHECK_MSG(r->status == EVO_STATUS_PASSED, "control %s point %d: %s (%s)",
                      t->seed_names[i], k, evo_status_name(r->status), r->error ? r->error : "");
            printf("control %-14s point %d: %s fitness %.3f\n", t->seed_names[i], k,
                   evo_status_name(r->status), r->fitness);
            result_free(r);
            genome_free(gen);
            point_free(&pt);
        }
        space_free(sp);
    }
    constants_free(&k0);
    ev.stop(ev.user);
    gpu_evaluator_free(g);
}

/* A cost model that claims far more bytes than the kernel moves: the honest kernel beats its
 * "floor", is re-timed alone, and is BEYOND_FLOOR. */
static void test_floor(void)
{
    gpu_evaluator *g = NULL;
    evo_evaluator ev;
    int rc = harness_open_task("tests/tasks/rmsnorm_cost_lie",
                               ", \"warmup\": 4, \"iterations\": 20", &g, &ev);
    CHECK_MSG(rc == 0, "cannot open tests/tasks/rmsnorm_cost_lie");
    if (rc) return;
    char v[] = "0";
    const char *names[] = {"MODE"}, *values[] = {v};
    expect_status(&ev, ADV_SRC, 1, names, values, "beyond the floor", EVO_STATUS_BEYOND_FLOOR,
                  "below its physical floor");
    ev.stop(ev.user);
    gpu_evaluator_free(g);
}

/* Partial work inside a loose matched ratio: zeros in one row of twenty pass the element test
 * (|y| is mostly under atol = 1) and the 0.9 ratio, but not the row checks. */
static void test_partial_work(void)
{
    gpu_evaluator *g = NULL;
    evo_evaluator ev;
    int rc = harness_open_task("tests/tasks/rmsnorm_loose", ", \"warmup\": 4, \"iterations\": 20",
                               &g, &ev);
    CHECK_MSG(rc == 0, "cannot open tests/tasks/rmsnorm_loose");
    if (rc) return;
    char v[16];
    const char *names[] = {"MODE"}, *values[] = {v};
    snprintf(v, sizeof v, "%d", ADV_HONEST);
    expect_status(&ev, ADV_SRC, 1, names, values, "loose: honest", EVO_STATUS_PASSED, NULL);
    snprintf(v, sizeof v, "%d", ADV_SKIP_ROWS);
    expect_status(&ev, ADV_SRC, 1, names, values, "loose: 5% rows zero",
                  EVO_STATUS_INCORRECT_NUMERICAL, "partial work inside the loose matched ratio");
    ev.stop(ev.user);
    gpu_evaluator_free(g);
}

int main(void)
{
    gpu_evaluator *g = NULL;
    evo_evaluator ev;
    int rc = harness_open(", \"workloads\": [\"batch_size=7\"]", &g, &ev);
    if (rc) return rc;
    ev.stop(ev.user);
    gpu_evaluator_free(g);
    test_cheats();
    test_floor();
    test_partial_work();
    test_controls();
    return CHECK_DONE();
}
