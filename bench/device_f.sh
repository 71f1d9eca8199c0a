#!/usr/bin/env bash
# Device run F (issue 5): the GDN seeds through the real evaluator (tests/gpu_seeds) at their
# defaults and at a few other points, every workload of each task.
set -u
OUT=${OUT:-/tmp/out}
T=build-dev/tests/gpu_seeds
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
EVO_SEEDS_ONLY=gdn_decode,gdn_prefill/gdn_prefill_mma timeout 300 $T > "$OUT/seeds_default.txt" 2>&1
echo "exit $?" >> "$OUT/seeds_default.txt"
grep -E "summary|mean|FAIL|fail|error|^--" "$OUT/seeds_default.txt" | head -40
for p in ${DECODE_POINTS:-}; do
  EVO_SEEDS_ONLY=gdn_decode EVO_SEEDS_PARAMS=$p timeout 120 $T > "$OUT/decode_$(echo $p | tr =, _-).txt" 2>&1
  echo "decode $p: $(grep -E 'batch_size=1 |mean' "$OUT/decode_$(echo $p | tr =, _-).txt" | head -2 | tr '\n' ' ')"
done
for p in ${PREFILL_POINTS:-}; do
  EVO_SEEDS_ONLY=gdn_prefill/gdn_prefill_mma EVO_SEEDS_PARAMS=$p timeout 200 $T > "$OUT/prefill_$(echo $p | tr =, _-).txt" 2>&1
  echo "prefill $p: $(grep -E 'total_seq_len=8192|mean' "$OUT/prefill_$(echo $p | tr =, _-).txt" | head -3 | tr '\n' ' ')"
done
for b in build-dev/launch_floor build-dev/probe_*; do [ -x "$b" ] && echo "== $b" && timeout 60 $b; done 2>&1 | tee "$OUT/probes.txt"
