#!/usr/bin/env bash
# Dataset mode from the command line (issue 18, item 3): configs that name the shared FlashInfer
# Trace folder (evaluator.dataset + evaluator.definition, blob_policy random) pass `evo check
# CONFIG` with the seeds of the task folder that has their definition, and `evo run` reaches
# the worker's no-GPU error (exit 3), not "evaluator.seeds names no seed" (exit 6). A
# definition no task folder has, and missing blobs under the error policy, are exit 6 with
# the reason. test_dataset.c checks the same below the CLI.
set -u
EVO=${EVO:-build/evo}
EVO=$(cd "$(dirname "$EVO")" && pwd)/$(basename "$EVO") # the commands run in a scratch folder
SRC=${EVO_SOURCE_DIR:-$PWD}
FI=$SRC/../shared/flashinfer-trace
[ -d "$FI/definitions" ] || { echo "$FI is not there: skipped"; exit 77; }
export CUDA_VISIBLE_DEVICES=
[ -n "${EVO_BUILD_DIR:-}" ] && export EVO_WORKER=$EVO_BUILD_DIR/evo-worker
dir=$(mktemp -d /tmp/evo-test-dataset-sh-XXXXXX)
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect RC PATTERN CMD...: CMD exits RC and its output holds PATTERN.
expect() {
    local want=$1 pat=$2
    shift 2
    (cd "$dir" && "$@") > "$dir/out" 2>&1
    local rc=$?
    if [ "$rc" != "$want" ]; then
        bad "$* exited $rc, want $want"; sed 's/^/  | /' "$dir/out" | tail -8; return
    fi
    if ! grep -qF -- "$pat" "$dir/out"; then
        bad "$*: no '$pat' in"; sed 's/^/  | /' "$dir/out" | tail -8; return
    fi
    ok
}
config() { # NAME DEFINITION POLICY
    printf '{"name": "%s", "evaluator": {"dataset": "%s", "definition": "%s", "blob_policy": "%s", "cache_dir": "%s/cache"}, "stop": {"max_evaluations": 2}}\n' \
        "$1" "$FI" "$2" "$3" "$dir" > "$dir/$1.json"
}
config rms rmsnorm_h4096 random
config gemm gemm_n4096_k4096 random
config moe moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048 random
config moe_strict moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048 error

expect 0 "task rmsnorm_h4096 (14 workloads, 2 seeds)" "$EVO" check rms.json --samples 0
expect 0 "ok: 1 task(s), 0 failure(s)" "$EVO" check rms.json --samples 1
expect 0 "task gemm_n4096_k4096 (43 workloads, 4 seeds)" "$EVO" check gemm.json --samples 0
expect 3 "no CUDA device found" "$EVO" run rms.json --quiet
expect 3 "no CUDA device found" "$EVO" run gemm.json --quiet
expect 6 "no seed kernels for definition 'moe_fp8_block_scale_ds_routing_topk8_ng8_kg4_e32_h7168_i2048'" \
    "$EVO" check moe.json
expect 6 "no seed kernels for definition 'moe_fp8" "$EVO" run moe.json --quiet
expect 6 "safetensors blob './blob/workloads/moe/" "$EVO" run moe_strict.json --quiet
expect 6 "the dataset's blob store is missing" "$EVO" check moe_strict.json
rm -rf "$dir"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
