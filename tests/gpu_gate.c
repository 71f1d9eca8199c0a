/* gpu_gate.c -- the correctness gate against hostile kernels (needs a GPU; label gpu).
 * One small RMSNorm kernel, switched by its MODE parameter into each known way of cheating
 * or failing: wrong math, a write past or before the output, an input edited in place, the
 * previous call's output returned, part of the output left unwritten, a compile error, a
 * planned kernel that is not in the cubin, a wild-pointer fault and a hang. Each must get
 * its status and message, and a correct kernel must pass after every one of them. */
#include "gpu_harness.h"

static void expect(evo_evaluator *ev, int mode, evo_status want, const char *text)
{
    evo_result *r = harness_eval(ev, HOSTILE_SRC, mode);
    CHECK_MSG(r->status == want, "mode %d: got %s (%s), want %s", mode, evo_status_name(r->status),
              r->error ? r->error : "", evo_status_name(want));
    if (text) CHECK_CONTAINS(r->error, text);
    if (want != EVO_STATUS_PASSED) CHECK(r->fitness == 0);
    result_free(r);
}

static void expect_pass(evo_evaluator *ev)
{
    evo_result *r = harness_eval(ev, HOSTILE_SRC, MODE_OK);
    CHECK_MSG(r->status == EVO_STATUS_PASSED, "correct kernel: %s (%s)", evo_status_name(r->status),
              r->error ? r->error : "");
    CHECK(r->fitness > 0);
    CHECK(harness_metric(r, "batch_size=7", "latency_us") > 0);
    CHECK(harness_metric(r, "batch_size=7", "baseline_us") > 0);
    CHECK(harness_metric(r, "batch_size=34", "gbps") > 0);
    /* bf16 outputs of magnitude ~4 round by up to 2^-8 * 4: within atol or rtol, not both. */
    CHECK(harness_metric(r, "batch_size=34", "max_abs_err") < 0.1);
    CHECK(harness_metric(r, "batch_size=34", "max_rel_err") > 0);
    CHECK(harness_metric(r, NULL, "gpu_ms") > 0);
    result_free(r);
}

/* Two kernels through a workspace: per-row scale, then apply. BIG asks for 64 KiB of
 * dynamic shared memory (above the 48 KiB default, so the limit must be raised); OOB
 * writes one float past the workspace. */
static const char TWO_SRC[] =
    "#include <cuda_bf16.h>\n"
    "/* evo:params\n OOB bool default 0\n BIG bool default 0\n*/\n"
    "/* evo:launch\n"
    " workspace rms float32 batch_size\n"
    " kernel row_rms\n"
    "   grid  batch_size\n"
    "   block 256\n"
    "   smem  BIG ? 65536 : 1024\n"
    "   args  hidden_states, rms, batch_size, hidden_size\n"
    " kernel apply\n"
    "   grid  batch_size\n"
    "   block 256\n"
    "   args  hidden_states, weight, rms, output, hidden_size\n"
    "*/\n"
    "extern \"C\" __global__ void row_rms(const __nv_bfloat16 *x, float *rms, int batch, int "
    "hidden) {\n"
    "    extern __shared__ float part[];\n"
    "    int row = blockIdx.x;\n"
    "    const __nv_bfloat16 *xr = x + (size_t)row * hidden;\n"
    "    float s = 0.f;\n"
    "    for (int i = threadIdx.x; i < hidden; i += blockDim.x) { float v = "
    "__bfloat162float(xr[i]); s += v * v; }\n"
    "    part[threadIdx.x] = s;\n"
    "    __syncthreads();\n"
    "    for (int k = 128; k > 0; k >>= 1) { if (threadIdx.x < k) part[threadIdx.x] += "
    "part[threadIdx.x + k]; __syncthreads(); }\n"
    "    if (threadIdx.x == 0) {\n"
    "        rms[row] = rsqrtf(part[0] / (float)hidden + 1e-5f);\n"
    "        if (OOB && row == batch - 1) rms[batch] = 1.f;\n"
    "    }\n"
    "}\n"
    "extern \"C\" __global__ void apply(const __nv_bfloat16 *x, const __nv_bfloat16 *w, const "
    "float *rms,\n"
    "                                 __nv_bfloat16 *y, int hidden) {\n"
    "    int row = blockIdx.x;\n"
    "    float inv = rms[row];\n"
    "    for (int i = threadIdx.x; i < hidden; i += blockDim.x) {\n"
    "        size_t k = (size_t)row * hidden + i;\n"
    "        y[k] = __float2bfloat16(__bfloat162float(x[k]) * inv * __bfloat162float(w[i]));\n"
    "    }\n"
    "}\n";

static void expect_two(evo_evaluator *ev, const char *oob, const char *big, evo_status want,
                       const char *text)
{
    const char *names[] = {"BIG", "OOB"};
    const char *values[] = {big, oob};
    evo_result *r = harness_eval_params(ev, TWO_SRC, 2, names, values);
    CHECK_MSG(r->status == want, "two kernels OOB=%s BIG=%s: got %s (%s)", oob, big,
              evo_status_name(r->status), r->error ? r->error : "");
    if (text) CHECK_CONTAINS(r->error, text);
    result_free(r);
}

int main(void)
{
    gpu_evaluator *g = NULL;
    evo_evaluator ev;
    int rc = harness_open(", \"workloads\": [\"batch_size=7\", \"batch_size=34\"], "
                          "\"warmup\": 2, \"iterations\": 10, \"timeout_s\": 5",
                          &g, &ev);
    if (rc) return rc;
    expect_pass(&ev);
    expect_two(&ev, "0", "0", EVO_STATUS_PASSED, NULL);
    expect_two(&ev, "0", "1", EVO_STATUS_PASSED, NULL);
    expect_two(&ev, "1", "0", EVO_STATUS_GUARD_VIOLATION,
               "workspace 'rms': 4 bytes written past the end");
    expect(&ev, MODE_WRONG, EVO_STATUS_INCORRECT_NUMERICAL, "workload batch_size=7");
    expect(&ev, MODE_PAST_END, EVO_STATUS_GUARD_VIOLATION,
           "output 'output': 2 bytes written past the end");
    expect(&ev, MODE_BEFORE, EVO_STATUS_GUARD_VIOLATION,
           "output 'output': 2 bytes written before the start");
    expect(&ev, MODE_EDIT_INPUT, EVO_STATUS_GUARD_VIOLATION,
           "input 'hidden_states' was modified in place");
    /* The edited input must have been restored: a correct kernel passes again. */
    expect_pass(&ev);
    expect(&ev, MODE_STALE, EVO_STATUS_INCORRECT_NUMERICAL, "workload batch_size=7");
    expect(&ev, MODE_UNWRITTEN, EVO_STATUS_INCORRECT_NUMERICAL, "workload batch_size=7");
    expect(&ev, MODE_SYNTAX, EVO_STATUS_COMPILE_ERROR, "error");
    expect(&ev, MODE_MISSING, EVO_STATUS_COMPILE_ERROR, "hostile");
    expect(&ev, MODE_FAULT, EVO_STATUS_RUNTIME_ERROR, "cudaErrorIllegalAddress");
    expect_pass(&ev);
    expect(&ev, MODE_HANG, EVO_STATUS_TIMEOUT, "kernel did not finish within 5 s");
    expect_pass(&ev);
    ev.stop(ev.user);
    gpu_evaluator_free(g);
    return CHECK_DONE();
}
