#!/usr/bin/env bash
# Device run E: the gate's comparisons moved onto the GPU (cuda_check.c): GPU tests, then the
# main job for 120 s with the GPU's utilisation sampled.
set -u
OUT=${OUT:-/tmp/out}
B=build-dev
(cd $B && timeout 200 ctest -L gpu -E llm --output-on-failure) > "$OUT/ctest_gpu.txt" 2>&1
tail -8 "$OUT/ctest_gpu.txt"
rm -rf runs && mkdir -p runs
nvidia-smi --query-gpu=timestamp,utilization.gpu --format=csv,noheader,nounits -lms 250 > "$OUT/util_quickstart.csv" 2>&1 &
smi=$!
timeout -s INT 120 ./$B/evo run configs/quickstart.json --run-dir runs/quickstart > "$OUT/quickstart.txt" 2>&1
echo "exit $?" >> "$OUT/quickstart.txt"
kill $smi
awk -F', ' '{n++; s+=$2} END {if (n) printf "GPU utilisation during quickstart: mean %.1f%% over %d samples\n", s/n, n}' "$OUT/util_quickstart.csv" | tee -a "$OUT/quickstart.txt"
./$B/evo status runs/quickstart > "$OUT/quickstart_status.txt" 2>&1
head -8 "$OUT/quickstart_status.txt"; grep -A3 failures "$OUT/quickstart_status.txt"
tar czf "$OUT/runs_e.tgz" runs
