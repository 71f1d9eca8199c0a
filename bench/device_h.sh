#!/usr/bin/env bash
# Device run H (issue 9, before): the harness probe (HMM, CUDA IPC, evict_last across the flush,
# %globaltimer), then landed main (build-base: commit 46be856) main job timed end to end, the baseline for the cost of the
# new checks.
set -u
OUT=${OUT:-/tmp/out}
B=${B:-build-dev}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
ls /usr/local/cuda/extras/CUPTI/lib64 2>/dev/null | head -3
$B/harness_probe 2>&1 | tee "$OUT/probe.txt"
rm -rf runs && mkdir -p runs
(nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 250 > "$OUT/util_before.txt" &)
s=$(date +%s.%N)
./build-base/evo run configs/quickstart.json --run-dir runs/qs > "$OUT/quickstart_before.txt" 2>&1
e=$(date +%s.%N)
pkill -f "nvidia-smi --query-gpu=utilization" || true
echo "quickstart wall $(echo "$e - $s" | bc) s" | tee -a "$OUT/quickstart_before.txt"
tail -12 "$OUT/quickstart_before.txt"
awk '{s+=$1; n++} END {print "GPU busy", s/n, "% over", n, "samples"}' "$OUT/util_before.txt"
