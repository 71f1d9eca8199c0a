#!/usr/bin/env bash
# Device run J (issue 9): the main job with the re-timing of new bests, then the final
# validation of its best and the export it unlocks.
set -u
OUT=${OUT:-/tmp/out}
B=${B:-build-dev}
rm -rf runs && mkdir -p runs
timeout 200 ./$B/evo run configs/quickstart.json --run-dir runs/qs > "$OUT/quickstart.txt" 2>&1
echo "run exit $?"; grep -E "^eval 150|speedups" "$OUT/quickstart.txt"
# The records' re-timing figures (records are JSON text inside the LMDB file).
grep -ao '"confirm_noise":[^,]*,"confirm_ratio":[^,]*,"confirm_rounds":[^,]*,"confirmed":[^,}]*' runs/qs/store.mdb | sort -u | head -12
timeout 240 ./$B/evo validate runs/qs > "$OUT/validate.txt" 2>&1
echo "validate exit $?"; head -4 "$OUT/validate.txt"
./$B/evo export runs/qs --flashinfer-bench "$OUT/fib" > "$OUT/export.txt" 2>&1
echo "export exit $?"; cat "$OUT/export.txt" | head -3
