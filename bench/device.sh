#!/usr/bin/env bash
# device.sh -- the measurements made on the GPU machine, one named step each. Run from the
# repository root on the device with the build carried (carry: ["build-dev"]); logs go under
# $OUT. bench/NOTES.md cites each figure by step.
#
#   bash bench/device.sh STEP...      e.g. bash bench/device.sh env gpu-tests main-job
#
# Steps:
#   env              the device, driver, clocks, memory, and whether CUPTI is installed
#   probes           the harness probe (HMM, CUDA IPC, evict_last across the flush,
#                    %globaltimer) and the launch-floor / prefill probes that were built
#   gpu-tests        the GPU suites (ctest -L gpu); TESTS="gpu_gate gpu_timing" runs only those
#   main-job         `evo run configs/quickstart.json` to its end, timed, GPU utilisation sampled
#                    every 250 ms, then status and plot (B=build-base times an older build)
#   gdn-searches     bounded searches from configs/gdn_prefill.json and gdn_decode.json
#                    (PREFILL_S, DECODE_S seconds), with plots and best sources
#   gemm-seeds       the GEMM seeds through the evaluator (bench/configs/gemm_seeds.json)
#   sweep            the exhaustive sweep behind bench_search_quality (resumes runs/sweep)
#   latency          source to gated fitness (bench_fitness_latency)
#   seeds            every GDN seed through tests/gpu_seeds at its defaults, and at
#                    DECODE_POINTS / PREFILL_POINTS ("NAME=V,NAME=V" each)
#   validate-export  `evo validate` of the main job's best, then the FlashInfer-Bench export
#   fib-setup        the peers bundle (.whl/, ../shared/peers/README.md) into /tmp/site
#   fib-trace        bench/fib_trace.py: FlashInfer's GDN decode under FlashInfer-Bench's own
#                    Benchmark, the trace the vs-flashinfer config reads ($OUT/flashinfer_trace.jsonl,
#                    also written to kernels/gdn_decode/ on the device)
#   fib-validate     bench/fib/fib_validate.sh on the exports in $EXPORT (default
#                    build-min/fib_export): decode, and prefill on PREFILL_N workloads (0 = skip)
#   binding-floor    bench/fib/binding_floor.py: FlashInfer-Bench's per-call time for each way of
#                    binding the exported decode kernel (no-ops, TVM-FFI from $EXPORT, torch from
#                    $EXPORT_TORCH, default build-min/fib_export_torch)
#   binding-compare  bench/fib/binding_compare.py: the TVM-FFI and torch exports' outputs bit for
#                    bit and against FlashInfer-Bench's reference, decode and prefill (CMP_N each)
#   vs-flashinfer    `evo run configs/gdn_decode_vs_flashinfer.json` for VS_S seconds, its status,
#                    report and the FlashInfer-Bench export of its best
set -u
OUT=${OUT:-/tmp/out}
B=${B:-build-dev}
mkdir -p "$OUT" runs

# Mean of the GPU-utilisation samples of a file written by sample_gpu.
gpu_busy() { awk -F', ' '{n++; s+=$NF} END {if (n) printf "GPU busy %.1f%% over %d samples\n", s/n, n}' "$1"; }
sample_gpu() {
  nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 250 > "$1" 2>&1 &
  SMI=$!
}

step_env() {
  { date -u; nvidia-smi -L
    nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,memory.total --format=csv
    ls /usr/local/cuda/extras/CUPTI/lib64 2>/dev/null | head -3; } 2>&1 | tee "$OUT/env.txt"
}

step_probes() {
  [ -x "$B/harness_probe" ] && "$B/harness_probe" 2>&1 | tee "$OUT/probe.txt"
  for p in "$B"/launch_floor "$B"/probe_*; do
    [ -x "$p" ] || continue
    echo "== $p"; timeout 60 "$p"
  done 2>&1 | tee "$OUT/probes.txt"
}

step_gpu_tests() {
  if [ -n "${TESTS:-}" ]; then
    export EVO_TEST_WORKER=$PWD/$B/evo-worker
    for t in $TESTS; do
      echo "== $t"
      timeout "${TEST_TIMEOUT:-240}" "$B/tests/$t" > "$OUT/$t.txt" 2>&1
      echo "exit $?"
      grep -E "CHECK failed|passed|SKIPPED" "$OUT/$t.txt" | head -30
    done
  else
    (cd "$B" && timeout "${TEST_TIMEOUT:-480}" ctest -L gpu --output-on-failure) > "$OUT/ctest_gpu.txt" 2>&1
    tail -15 "$OUT/ctest_gpu.txt"
  fi
}

step_main_job() {
  rm -rf runs/quickstart
  sample_gpu "$OUT/util_quickstart.txt"
  local s e
  s=$(date +%s.%N)
  timeout -s INT "${MAIN_S:-300}" "./$B/evo" run configs/quickstart.json --run-dir runs/quickstart \
    > "$OUT/quickstart.txt" 2>&1
  echo "exit $?" >> "$OUT/quickstart.txt"
  e=$(date +%s.%N)
  kill "$SMI"
  echo "quickstart wall $(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.1f", e - s}') s" | tee -a "$OUT/quickstart.txt"
  gpu_busy "$OUT/util_quickstart.txt" | tee -a "$OUT/quickstart.txt"
  tail -12 "$OUT/quickstart.txt"
  "./$B/evo" status runs/quickstart > "$OUT/quickstart_status.txt" 2>&1
  "./$B/evo" plot runs/quickstart -o "$OUT/quickstart.svg" > /dev/null 2>&1
  head -12 "$OUT/quickstart_status.txt"
}

step_gdn_searches() {
  for t in gdn_prefill:${PREFILL_S:-180} gdn_decode:${DECODE_S:-100}; do
    local n=${t%%:*} s=${t##*:}
    rm -rf "runs/$n"
    timeout -s INT "$s" "./$B/evo" run "configs/$n.json" --run-dir "runs/$n" > "$OUT/$n.txt" 2>&1
    echo "exit $?" >> "$OUT/$n.txt"
    tail -16 "$OUT/$n.txt"
    "./$B/evo" plot "runs/$n" -o "$OUT/$n.svg" > /dev/null 2>&1
    "./$B/evo" best "runs/$n" --out "$OUT/$n.best.cu" > /dev/null 2>&1
  done
}

step_gemm_seeds() {
  rm -rf runs/gemm
  timeout -s INT 90 "./$B/evo" run bench/configs/gemm_seeds.json --run-dir runs/gemm > "$OUT/gemm.txt" 2>&1
  "./$B/evo" status runs/gemm > "$OUT/gemm_status.txt" 2>&1
  tail -22 "$OUT/gemm.txt"
}

step_sweep() {
  timeout -s TERM "${SWEEP_S:-210}" "./$B/bench_search_quality" sweep bench/configs/sweep_rmsnorm.json \
    rmsnorm_block runs/sweep > "$OUT/sweep.txt" 2>&1
  echo "sweep exit $?" >> "$OUT/sweep.txt"
  tail -3 "$OUT/sweep.txt"
}

step_latency() {
  rm -rf /tmp/evo-latency-cache
  timeout 100 "./$B/bench_fitness_latency" bench/configs/latency_gemm.json gemm_mma 8 > "$OUT/latency.txt" 2>&1
  tail -5 "$OUT/latency.txt"
}

step_seeds() {
  local T=$B/tests/gpu_seeds p f
  EVO_SEEDS_ONLY=gdn_decode,gdn_prefill/gdn_prefill_mma timeout 300 "$T" > "$OUT/seeds_default.txt" 2>&1
  echo "exit $?" >> "$OUT/seeds_default.txt"
  grep -E "summary|mean|FAIL|fail|error|^--" "$OUT/seeds_default.txt" | head -40
  for p in ${DECODE_POINTS:-}; do
    f="$OUT/decode_$(echo "$p" | tr =, _-).txt"
    EVO_SEEDS_ONLY=gdn_decode EVO_SEEDS_PARAMS=$p timeout 120 "$T" > "$f" 2>&1
    echo "decode $p: $(grep -E 'batch_size=1 |mean' "$f" | head -2 | tr '\n' ' ')"
  done
  for p in ${PREFILL_POINTS:-}; do
    f="$OUT/prefill_$(echo "$p" | tr =, _-).txt"
    EVO_SEEDS_ONLY=gdn_prefill/gdn_prefill_mma EVO_SEEDS_PARAMS=$p timeout 200 "$T" > "$f" 2>&1
    echo "prefill $p: $(grep -E 'total_seq_len=8192|mean' "$f" | head -3 | tr '\n' ' ')"
  done
}

step_validate_export() {
  timeout 240 "./$B/evo" validate runs/quickstart > "$OUT/validate.txt" 2>&1
  echo "validate exit $?"; head -4 "$OUT/validate.txt"
  "./$B/evo" export runs/quickstart --flashinfer-bench "$OUT/fib" > "$OUT/export.txt" 2>&1
  echo "export exit $?"; head -3 "$OUT/export.txt"
}

step_fib_setup() {
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl > "$OUT/fib_setup.txt" 2>&1 &&
    python3 "${PEERS:-build-min/peers}/unpack_stack.py" .whl /tmp/site >> "$OUT/fib_setup.txt" 2>&1
  echo "fib-setup exit $?"; tail -2 "$OUT/fib_setup.txt"
  export PYTHONPATH=/tmp/site
}

step_fib_trace() {
  timeout 300 python3 bench/fib_trace.py --op decode --out "$OUT/flashinfer_trace.jsonl" \
    > "$OUT/fib_trace.txt" 2>&1
  echo "fib-trace exit $?"; tail -c 2500 "$OUT/fib_trace.txt"
  cp "$OUT/flashinfer_trace.jsonl" kernels/gdn_decode/flashinfer_trace.jsonl 2>/dev/null
}

step_fib_validate() {
  local e=${EXPORT:-build-min/fib_export}
  FIB_DIAG=${FIB_DIAG:-8} timeout 300 bash bench/fib/fib_validate.sh "$e" > "$OUT/fib_decode.txt" 2>&1
  echo "fib-validate decode exit $?"; tail -c 3500 "$OUT/fib_decode.txt"
  if [ "${PREFILL_N:-0}" -gt 0 ]; then
    FIB_DIAG=2 FIB_WORKLOADS=$PREFILL_N timeout 240 bash bench/fib/fib_validate.sh "$e" \
      gdn_prefill_qk4_v8_d128_k_last > "$OUT/fib_prefill.txt" 2>&1
    echo "fib-validate prefill exit $?"; tail -c 2500 "$OUT/fib_prefill.txt"
  fi
}

step_binding_floor() {
  local e=${EXPORT:-build-min/fib_export} t=${EXPORT_TORCH:-build-min/fib_export_torch} ds
  ds=$(mktemp -d /tmp/fib_floor.XXXXXX)
  python3 bench/fib/fib_dataset.py "$PWD" "$e" gdn_decode_qk4_v8_d128_k_last "$ds" 0 0 &&
    FIB_CACHE_PATH=/tmp/fib_cache timeout 400 python3 bench/fib/binding_floor.py "$ds" "$t" \
      gdn_decode_qk4_v8_d128_k_last 8 > "$OUT/binding_floor.txt" 2>&1
  echo "binding-floor exit $?"; tail -c 4000 "$OUT/binding_floor.txt"
}

step_binding_compare() {
  local e=${EXPORT:-build-min/fib_export} t=${EXPORT_TORCH:-build-min/fib_export_torch} ds def
  for def in gdn_decode_qk4_v8_d128_k_last gdn_prefill_qk4_v8_d128_k_last; do
    ds=$(mktemp -d /tmp/fib_cmp.XXXXXX)
    python3 bench/fib/fib_dataset.py "$PWD" "$e" "$def" "$ds" 0 0 > /dev/null &&
      FIB_CACHE_PATH=/tmp/fib_cache timeout 300 python3 bench/fib/binding_compare.py "$ds" "$t" \
        "$def" "${CMP_N:-8}" >> "$OUT/binding_compare.txt" 2>&1
    echo "binding-compare $def exit $?"
  done
  tail -c 5000 "$OUT/binding_compare.txt"
}

step_vs_flashinfer() {
  python3 - "${VS_S:-150}" > runs/vs.json << 'PY'
import json, sys
c = json.load(open("configs/gdn_decode_vs_flashinfer.json"))
c["evaluator"]["task"] = "../kernels/gdn_decode"
c["evaluator"]["baseline"]["path"] = "../kernels/gdn_decode/flashinfer_trace.jsonl"
c["stop"]["max_wall_seconds"] = int(sys.argv[1])
print(json.dumps(c))
PY
  rm -rf runs/vs
  "./$B/evo" run runs/vs.json --run-dir runs/vs > "$OUT/vs_run.txt" 2>&1
  echo "vs-flashinfer run exit $?"; tail -25 "$OUT/vs_run.txt"
  "./$B/evo" status runs/vs > "$OUT/vs_status.txt" 2>&1
  "./$B/evo" report runs/vs -o "$OUT/vs_report.html" > /dev/null 2>&1
  "./$B/evo" log runs/vs > "$OUT/vs_fitness.jsonl" 2>&1
  timeout 120 "./$B/evo" validate runs/vs > "$OUT/vs_validate.txt" 2>&1
  echo "validate exit $?"; head -3 "$OUT/vs_validate.txt"
  "./$B/evo" export runs/vs --flashinfer-bench "$OUT/vs_export" --hardware NVIDIA_H200 \
    --libs cuda=13.0 > "$OUT/vs_export.txt" 2>&1
  echo "export exit $?"; cat "$OUT/vs_export.txt"
}

[ $# -gt 0 ] || { sed -n '2,35p' "$0"; exit 2; }
for s in "$@"; do
  f=step_${s//-/_}
  if ! declare -F "$f" > /dev/null; then
    echo "device.sh: unknown step '$s' (see the list at the top of bench/device.sh)" >&2
    exit 2
  fi
  echo "=== $s"
  "$f"
done
tar czf "$OUT/runs.tgz" runs 2>/dev/null || true
