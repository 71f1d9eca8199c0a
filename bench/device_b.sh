#!/usr/bin/env bash
# Device run B: the main job again after the gate fix (GPU utilisation sampled), the
# exhaustive sweep for the search-quality benchmark, source-to-fitness latency, and the
# GEMM seeds through the evaluator. Logs under $OUT.
set -u
OUT=${OUT:-/tmp/out}
B=build-dev
rm -rf runs && mkdir -p runs
nvidia-smi --query-gpu=timestamp,utilization.gpu --format=csv,noheader,nounits -lms 250 > "$OUT/util_quickstart.csv" 2>&1 &
smi=$!
timeout -s TERM 150 ./$B/evo run configs/quickstart.json --run-dir runs/quickstart > "$OUT/quickstart.txt" 2>&1
echo "exit $?" >> "$OUT/quickstart.txt"
kill $smi
awk -F', ' '{n++; s+=$2} END {if (n) printf "GPU utilisation during quickstart: mean %.1f%% over %d samples\n", s/n, n}' "$OUT/util_quickstart.csv" | tee -a "$OUT/quickstart.txt"
./$B/evo status runs/quickstart > "$OUT/quickstart_status.txt" 2>&1
tail -3 "$OUT/quickstart.txt"; head -12 "$OUT/quickstart_status.txt"
timeout -s TERM 90 ./$B/evo run bench/configs/gemm_seeds.json --run-dir runs/gemm > "$OUT/gemm.txt" 2>&1
./$B/evo status runs/gemm > "$OUT/gemm_status.txt" 2>&1
tail -22 "$OUT/gemm.txt"
timeout -s TERM 210 ./$B/bench_search_quality sweep bench/configs/sweep_rmsnorm.json rmsnorm_block runs/sweep > "$OUT/sweep.txt" 2>&1
echo "sweep exit $?" >> "$OUT/sweep.txt"; tail -2 "$OUT/sweep.txt"
rm -rf /tmp/evo-latency-cache
timeout 100 ./$B/bench_fitness_latency bench/configs/latency_gemm.json gemm_mma 8 > "$OUT/latency.txt" 2>&1
cat "$OUT/latency.txt" | tail -5
tar czf "$OUT/runs_b.tgz" runs
