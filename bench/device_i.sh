#!/usr/bin/env bash
# Device run I (issue 9): the first run of the split harness (evo-worker + evo-sandbox): the
# gate suite, timing suite and the main job, with logs under $OUT.
set -u
OUT=${OUT:-/tmp/out}
B=${B:-build-dev}
export EVO_TEST_WORKER=$PWD/$B/evo-worker
for t in ${TESTS:-gpu_gate}; do
  echo "== $t"
  timeout ${TEST_TIMEOUT:-240} $B/tests/$t > "$OUT/$t.txt" 2>&1
  echo "exit $?"
  grep -E "CHECK failed|passed|SKIPPED" "$OUT/$t.txt" | head -30
done
if [ -n "${QUICKSTART:-}" ]; then
  rm -rf runs && mkdir -p runs
  (nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 250 > "$OUT/util.txt" &)
  timeout 300 ./$B/evo run configs/quickstart.json --run-dir runs/qs > "$OUT/quickstart.txt" 2>&1
  echo "exit $?"
  pkill -f "nvidia-smi --query-gpu=utilization" || true
  grep -E "^eval|evaluations|best|batch_size=(1|8192|14509) " "$OUT/quickstart.txt" | tail -12
  awk '{s+=$1; n++} END {print "GPU busy", s/n, "% over", n, "samples"}' "$OUT/util.txt"
fi
