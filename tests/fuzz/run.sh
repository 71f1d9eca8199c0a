#!/usr/bin/env bash
# tests/fuzz/run.sh -- build the libFuzzer targets with clang (ASan + UBSan) and run each for a
# bounded time; fails on any finding (crash, leak, undefined behaviour, timeout, out of memory).
#
#   tests/fuzz/run.sh [SECONDS [TARGET...]]     default: 60 s for each of every target
#
# Environment: EVO_FUZZ_BUILD (build folder, default build-fuzz), CC (default clang). Each target
# starts from its committed corpus (tests/fuzz/corpus/NAME/, never written) and its dictionary
# (tests/fuzz/NAME.dict, where there is one); what it finds new, its log and any failing input
# go to $EVO_FUZZ_BUILD/fuzz-out/NAME/. A failing input belongs in corpus/NAME/ as
# regress-WHAT once fixed: the normal build's ctest fuzz_NAME replays the corpus.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
build=${EVO_FUZZ_BUILD:-build-fuzz}
cc=${CC:-clang}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do
    n=$(basename "$f" .c)
    targets+=("${n#fuzz_}")
  done
fi

echo "fuzz: building ${targets[*]} with $cc in $build"
mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_C_COMPILER="$cc" -DEVO_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >"$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j2 --target $(printf 'fuzz_%s ' "${targets[@]}")

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
printf '%-8s %10s %8s %8s %7s  %s\n' target execs exec/s cov ft result
for t in "${targets[@]}"; do
  out="$build/fuzz-out/$t"
  rm -rf "$out"
  mkdir -p "$out/new" "$out/artifacts"
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=("-dict=tests/fuzz/$t.dict")
  rc=0
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/" "${dict[@]}" \
    "$out/new" "tests/fuzz/corpus/$t" >"$out/log" 2>&1 || rc=$?
  # (a target that fails on its first input prints no coverage line)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$out/log" | tail -1 | cut -d' ' -f2 || true)
  ft=$(grep -o 'ft: [0-9]*' "$out/log" | tail -1 | cut -d' ' -f2 || true)
  found=$(ls -A "$out/artifacts")
  result=ok
  if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
    result="FAILED (exit $rc)"
    failed+=("$t")
  fi
  printf '%-8s %10s %8s %8s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
    "$result"
  if [ "$result" != ok ]; then
    echo "---- $t: the end of $out/log"
    tail -60 "$out/log"
    for a in "$out"/artifacts/*; do [ -e "$a" ] && echo "---- failing input: $a"; done
    echo "----"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, no finding"
