#!/usr/bin/env bash
# Device run A: GPU test suite, then the main job (configs/quickstart.json) with the GPU's
# utilisation sampled every 250 ms. Run on the device machine from the repo root with the
# Release build carried in build-dev/. Writes logs under $OUT.
set -u
OUT=${OUT:-/tmp/out}
B=build-dev
{ date -u; nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv; } > "$OUT/env.txt" 2>&1
(cd $B && timeout 300 ctest -L gpu --output-on-failure) > "$OUT/ctest_gpu.txt" 2>&1
tail -15 "$OUT/ctest_gpu.txt"
rm -rf runs/quickstart
nvidia-smi --query-gpu=timestamp,utilization.gpu --format=csv,noheader,nounits -lms 250 > "$OUT/util_quickstart.csv" 2>&1 &
smi=$!
timeout -s TERM 270 ./$B/evo run configs/quickstart.json --run-dir runs/quickstart > "$OUT/quickstart.txt" 2>&1
echo "exit $?" >> "$OUT/quickstart.txt"
kill $smi
tail -30 "$OUT/quickstart.txt"
./$B/evo status runs/quickstart > "$OUT/quickstart_status.txt" 2>&1
./$B/evo plot runs/quickstart -o "$OUT/quickstart.svg" > /dev/null 2>&1
tar czf "$OUT/runs_a.tgz" runs/quickstart
awk -F', ' '{n++; s+=$2} END {if (n) printf "GPU utilisation during quickstart: mean %.1f%% over %d samples\n", s/n, n}' "$OUT/util_quickstart.csv"
