#!/usr/bin/env bash
# fib_validate.sh -- FlashInfer-Bench's own harness (flashinfer-bench 0.1.2: its TraceSet loader,
# builder registry and TorchBuilder, PersistentRunner, DefaultEvaluator with gen_inputs, its
# correctness check and time_runnable) on the Solutions `evo export` wrote, then where the time
# goes: the binding's host cost per call, and the same call replayed from a CUDA graph under
# FlashInfer-Bench's protocol (L2 flushed, inputs freshly written) and plainly. GPU machine.
#
#   bash bench/fib/fib_validate.sh EXPORT_DIR [DEFINITION]     (default gdn_decode_qk4_v8_d128_k_last)
#
# The updated copy of ../shared/peers/fib_validate.sh for the export layout of bbb5d47
# (kernel.cuh + kernel.cu + binding.cpp, entry binding.cpp::run): the Solution is run as written
# (FIB_PATCH=1 adds the header-renamed copy for an export made before, whose binding.cu
# #includes kernel.cu). Definitions and workloads come from this repository's task folders
# (kernels/*/definition.json is FlashInfer-Bench's definition unchanged; workloads.jsonl and
# blob/ are the contest-shaped workloads evo searches), so nothing of ../shared is needed.
#
# Modes (FIB_MODE): quick (default) Benchmark(TraceSet, BenchmarkConfig(...)).run_all with the
# defaults of `flashinfer-bench run` (10 warm-ups, 50 iterations, 3 trials, atol = rtol = 1e-2)
# except profile_baseline=False (the reference is not timed); cli: `flashinfer-bench run --local`
# itself. FIB_WORKLOADS=N keeps the first N workloads; FIB_DIAG=N (default 6, 0 = off) runs the
# host-cost / graph-replay breakdown on N workloads spread over the list; FIB_ARGS: extra CLI
# arguments (cli mode). Prints statuses, latencies, the contest-style mean and a verdict.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
EXPORT_DIR="${1:?usage: fib_validate.sh EXPORT_DIR [DEFINITION]}"
DEF="${2:-gdn_decode_qk4_v8_d128_k_last}"
MODE="${FIB_MODE:-quick}"
PY="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1
DS="$(mktemp -d "${TMPDIR:-/tmp}/fib_ds.XXXXXX")"
export FIB_CACHE_PATH="${FIB_CACHE_PATH:-${TMPDIR:-/tmp}/fib_cache}"
mkdir -p "$FIB_CACHE_PATH"

"$PY" "$HERE/fib_dataset.py" "$ROOT" "$EXPORT_DIR" "$DEF" "$DS" "${FIB_WORKLOADS:-0}" "${FIB_PATCH:-0}" || exit 1

if [ "$MODE" = cli ]; then
    echo "fib_validate: flashinfer-bench run --local $DS --definitions $DEF ${FIB_ARGS:-}"
    # shellcheck disable=SC2086
    "$PY" -c 'import sys; from flashinfer_bench.cli.main import cli; sys.argv[0] = "flashinfer-bench"; cli()' \
        run --local "$DS" --definitions "$DEF" --log-level INFO ${FIB_ARGS:-} || echo "fib_validate: flashinfer-bench run exited $?"
fi
# A file, not stdin: FlashInfer-Bench's runner spawns its worker, which re-imports the main module.
"$PY" "$HERE/fib_run.py" "$DS" "$DEF" "$MODE" "${FIB_DIAG:-6}"
