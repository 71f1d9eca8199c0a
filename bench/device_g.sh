#!/usr/bin/env bash
# Device run G (issue 5): the tensor-core prefill seed checked on every workload through the
# evaluator, its two kernels timed apart (bench/prefill_probe.cu), then bounded engine searches
# from the shipped GDN configs, with their best-so-far plots.
set -u
OUT=${OUT:-/tmp/out}
B=build-dev
for p in $B/probe_*; do echo "== $p"; timeout 60 $p 8192 1; timeout 60 $p 1 1; done 2>&1 | tee "$OUT/probes.txt"
EVO_SEEDS_ONLY=gdn_prefill/gdn_prefill_mma timeout 200 $B/tests/gpu_seeds > "$OUT/prefill_seed.txt" 2>&1
grep -E "total_seq_len=8192,|mean" "$OUT/prefill_seed.txt" | head -3
rm -rf runs && mkdir -p runs
for t in gdn_prefill:${PREFILL_S:-180} gdn_decode:${DECODE_S:-100}; do
  n=${t%%:*}; s=${t##*:}
  timeout -s INT $s ./$B/evo run configs/$n.json --run-dir runs/$n > "$OUT/$n.txt" 2>&1
  echo "exit $?" >> "$OUT/$n.txt"
  tail -16 "$OUT/$n.txt"
  ./$B/evo plot runs/$n -o "$OUT/$n.svg" > /dev/null 2>&1
  ./$B/evo best runs/$n --out "$OUT/$n.best.cu" > /dev/null 2>&1
done
tar czf "$OUT/runs_g.tgz" runs
