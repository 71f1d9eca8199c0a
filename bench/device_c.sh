#!/usr/bin/env bash
# Device run C: finish the exhaustive sweep (resumed from the store carried in runs/sweep),
# then the main job once more after moving result read-back to pinned memory.
set -u
OUT=${OUT:-/tmp/out}
B=build-dev
timeout -s TERM 200 ./$B/bench_search_quality sweep bench/configs/sweep_rmsnorm.json rmsnorm_block runs/sweep > "$OUT/sweep.txt" 2>&1
echo "sweep exit $?" >> "$OUT/sweep.txt"; tail -3 "$OUT/sweep.txt"
./$B/evo status runs/sweep | head -5
rm -rf runs/quickstart
nvidia-smi --query-gpu=timestamp,utilization.gpu --format=csv,noheader,nounits -lms 250 > "$OUT/util_quickstart.csv" 2>&1 &
smi=$!
timeout -s TERM 130 ./$B/evo run configs/quickstart.json --run-dir runs/quickstart > "$OUT/quickstart.txt" 2>&1
echo "exit $?" >> "$OUT/quickstart.txt"
kill $smi
awk -F', ' '{n++; s+=$2} END {if (n) printf "GPU utilisation during quickstart: mean %.1f%% over %d samples\n", s/n, n}' "$OUT/util_quickstart.csv" | tee -a "$OUT/quickstart.txt"
./$B/evo status runs/quickstart > "$OUT/quickstart_status.txt" 2>&1
head -5 "$OUT/quickstart_status.txt"
tar czf "$OUT/runs_c.tgz" runs
