#!/usr/bin/env bash
# `evo check` compiles every shipped seed kernel at its defaults and at sampled points of
# its space with NVRTC, for Hopper and Blackwell, with no GPU.
set -u
EVO=${EVO:-build/evo}
out=$(mktemp)
"$EVO" check --arch sm_90a --arch sm_100a --samples 2 > "$out" 2>&1
rc=$?
tail -4 "$out"
fails=$(grep -c '^FAIL' "$out")
oks=$(grep -c '^ok' "$out")
rm -f "$out"
echo "$oks passed, $fails failed"
[ "$rc" = 0 ] && [ "$fails" = 0 ] && [ "$oks" -gt 20 ]
