#!/usr/bin/env bash
# Device run D: bounded searches of the GDN tasks from their shipped configs (time-capped
# here), and the main job run to its end.
set -u
OUT=${OUT:-/tmp/out}
B=build-dev
rm -rf runs && mkdir -p runs
for t in gdn_decode gdn_prefill; do
  timeout -s INT 100 ./$B/evo run configs/$t.json --run-dir runs/$t > "$OUT/$t.txt" 2>&1
  echo "exit $?" >> "$OUT/$t.txt"
  tail -22 "$OUT/$t.txt"
  ./$B/evo plot runs/$t -o "$OUT/$t.svg" > /dev/null 2>&1
done
timeout -s INT 200 ./$B/evo run configs/quickstart.json --run-dir runs/quickstart > "$OUT/quickstart.txt" 2>&1
echo "exit $?" >> "$OUT/quickstart.txt"
tail -28 "$OUT/quickstart.txt"
./$B/evo plot runs/quickstart -o "$OUT/quickstart.svg" > /dev/null 2>&1
tar czf "$OUT/runs_d.tgz" runs
